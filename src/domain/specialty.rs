//! The one list of specialties: what a practitioner registers with is what regulators search.

use super::place::normalise;
use serde::{Deserialize, Serialize};

/// A medical specialty. Stored by its label; searched by its URL code or label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Specialty {
    GeneralPractice,
    Pediatrics,
    MedicalGynecology,
    Psychiatry,
    Cardiology,
    Dermatology,
    Ophthalmology,
    Ent,
    Gastroenterology,
    Pulmonology,
    Rheumatology,
    Endocrinology,
    Neurology,
    OrthopedicSurgery,
}

use Specialty::*;

/// (specialty, URL code, label), médecine générale first.
const TABLE: [(Specialty, &str, &str); 14] = [
    (GeneralPractice, "medecine-generale", "Médecine générale"),
    (Pediatrics, "pediatrie", "Pédiatrie"),
    (MedicalGynecology, "gynecologie", "Gynécologie médicale"),
    (Psychiatry, "psychiatrie", "Psychiatrie"),
    (Cardiology, "cardiologie", "Cardiologie"),
    (Dermatology, "dermatologie", "Dermatologie"),
    (Ophthalmology, "ophtalmologie", "Ophtalmologie"),
    (Ent, "orl", "Oto-rhino-laryngologie (ORL)"),
    (Gastroenterology, "gastro-enterologie", "Gastro-entérologie"),
    (Pulmonology, "pneumologie", "Pneumologie"),
    (Rheumatology, "rhumatologie", "Rhumatologie"),
    (Endocrinology, "endocrinologie", "Endocrinologie"),
    (Neurology, "neurologie", "Neurologie"),
    (
        OrthopedicSurgery,
        "chirurgie-orthopedique",
        "Chirurgie orthopédique",
    ),
];

impl Specialty {
    pub const ALL: [Specialty; 14] = {
        let mut all = [GeneralPractice; 14];
        let mut i = 0;
        while i < TABLE.len() {
            all[i] = TABLE[i].0;
            i += 1;
        }
        all
    };

    fn row(self) -> (Specialty, &'static str, &'static str) {
        TABLE[self as usize]
    }

    /// In search URLs: `speciality=cardiologie`.
    pub fn code(self) -> &'static str {
        self.row().1
    }

    /// As shown, and as stored with the practitioner.
    pub fn label(self) -> &'static str {
        self.row().2
    }

    /// The specialty stored as `label`.
    pub fn from_label(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }

    /// A specialty as a URL or a form gives it: its code or its label, accents and case aside;
    /// SM54 is médecine générale in the TRE_R38 nomenclature call-centre software sends.
    pub fn find(input: &str) -> Option<Self> {
        let key = normalise(input);
        if input.trim().eq_ignore_ascii_case("SM54") {
            return Some(GeneralPractice);
        }
        Self::ALL
            .into_iter()
            .find(|s| s.code().replace('-', " ") == key || normalise(s.label()) == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_specialty_has_its_own_row_code_and_label() {
        for (i, s) in Specialty::ALL.into_iter().enumerate() {
            assert_eq!(s.row().0, s, "{s:?}");
            assert_eq!(Specialty::from_label(s.label()), Some(s));
            assert_eq!(Specialty::find(s.code()), Some(s));
            assert_eq!(Specialty::find(&s.label().to_uppercase()), Some(s));
            assert!(Specialty::ALL[i + 1..].iter().all(|o| o.code() != s.code()));
        }
        assert_eq!(Specialty::ALL[0], GeneralPractice);
    }

    #[test]
    fn search_inputs() {
        assert_eq!(Specialty::find("SM54"), Some(GeneralPractice));
        assert_eq!(Specialty::find(" Cardiologie "), Some(Cardiology));
        assert_eq!(Specialty::find("oto rhino laryngologie orl"), Some(Ent));
        assert_eq!(Specialty::find("chirurgie"), None);
        assert_eq!(Specialty::find("Astrologie"), None);
        assert_eq!(Specialty::from_label("cardiologie"), None);
    }
}
