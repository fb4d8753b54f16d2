//! The national directory of health professionals (Annuaire Santé, RPPS): its public
//! extraction « PS_LibreAcces_Personne_activite » (one line per activity, fields separated by
//! `|`, a header line naming them) and how a registration's names are compared with it.

use super::place::normalise;
use serde::{Deserialize, Serialize};

/// The columns read from the extraction, by their header name.
const RPPS_KIND: &str = "Type d'identifiant PP";
const RPPS: &str = "Identifiant PP";
const CIVILITY: &str = "Libellé civilité";
const LAST_NAME: &str = "Nom d'exercice";
const FIRST_NAME: &str = "Prénom d'exercice";
const PROFESSION: &str = "Libellé profession";
const SAVOIR_FAIRE: &str = "Libellé savoir-faire";
const COMMUNE: &str = "Libellé commune (coord. structure)";
/// « Type d'identifiant PP » of an RPPS number (0 is an ADELI number).
const KIND_RPPS: &str = "8";

/// One professional of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub rpps: String,
    pub civility: String,
    pub last_name: String,
    pub first_name: String,
    pub profession: String,
    pub savoir_faire: String,
    pub commune: String,
}

/// Where the columns read stand in a line, from the header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Columns {
    kind: usize,
    rpps: usize,
    civility: usize,
    last_name: usize,
    first_name: usize,
    profession: usize,
    savoir_faire: usize,
    commune: usize,
}

impl Columns {
    /// Reads the header line; names the first missing column.
    pub fn from_header(line: &str) -> Result<Self, String> {
        let names: Vec<&str> = line
            .trim_start_matches('\u{feff}')
            .trim_end()
            .split('|')
            .collect();
        let at = |name: &str| {
            names
                .iter()
                .position(|n| n.trim() == name)
                .ok_or_else(|| {
                    format!(
                        "Ce fichier n'est pas une extraction « PS_LibreAcces_Personne_activite » : la colonne « {name} » manque."
                    )
                })
        };
        Ok(Columns {
            kind: at(RPPS_KIND)?,
            rpps: at(RPPS)?,
            civility: at(CIVILITY)?,
            last_name: at(LAST_NAME)?,
            first_name: at(FIRST_NAME)?,
            profession: at(PROFESSION)?,
            savoir_faire: at(SAVOIR_FAIRE)?,
            commune: at(COMMUNE)?,
        })
    }

    /// The professional of a data line: `None` for an ADELI line, a line without a valid RPPS
    /// number or without names (the extraction has such lines; they are skipped).
    pub fn entry(&self, line: &str) -> Option<DirectoryEntry> {
        let fields: Vec<&str> = line.trim_end_matches(['\r', '\n']).split('|').collect();
        let field = |i: usize| fields.get(i).map(|f| f.trim()).unwrap_or_default();
        let rpps = field(self.rpps);
        let valid = field(self.kind) == KIND_RPPS
            && rpps.len() == 11
            && rpps.bytes().all(|b| b.is_ascii_digit());
        let entry = DirectoryEntry {
            rpps: rpps.to_string(),
            civility: field(self.civility).to_string(),
            last_name: field(self.last_name).to_string(),
            first_name: field(self.first_name).to_string(),
            profession: field(self.profession).to_string(),
            savoir_faire: field(self.savoir_faire).to_string(),
            commune: field(self.commune).to_string(),
        };
        (valid && !entry.last_name.is_empty() && !entry.first_name.is_empty()).then_some(entry)
    }
}

/// What the directory says of a practitioner's RPPS number and names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RppsCheck {
    /// No directory has been imported: nothing was checked.
    NotVerified,
    /// The number is in the directory under the same names.
    Verified {
        profession: String,
        savoir_faire: String,
    },
    /// The number is in the directory under other names.
    NamesDiffer { directory_name: String },
    /// The number is not in the directory.
    Absent,
}

impl RppsCheck {
    /// Compares the names given with the directory's entry for the number (`None`: absent).
    pub fn of(first_name: &str, last_name: &str, entry: Option<&DirectoryEntry>) -> Self {
        match entry {
            None => RppsCheck::Absent,
            Some(e)
                if normalise(&e.first_name) == normalise(first_name)
                    && normalise(&e.last_name) == normalise(last_name) =>
            {
                RppsCheck::Verified {
                    profession: e.profession.clone(),
                    savoir_faire: e.savoir_faire.clone(),
                }
            }
            Some(e) => RppsCheck::NamesDiffer {
                directory_name: format!("{} {}", e.first_name, e.last_name),
            },
        }
    }

    /// What the administration reads.
    pub fn label(&self) -> String {
        match self {
            RppsCheck::NotVerified => "RPPS non vérifié (annuaire santé non importé)".into(),
            RppsCheck::Verified {
                profession,
                savoir_faire,
            } if savoir_faire.is_empty() => format!("RPPS vérifié : {profession}"),
            RppsCheck::Verified {
                profession,
                savoir_faire,
            } => format!("RPPS vérifié : {profession}, {savoir_faire}"),
            RppsCheck::NamesDiffer { directory_name } => {
                format!("Nom différent dans l'annuaire santé : {directory_name}")
            }
            RppsCheck::Absent => "RPPS absent de l'annuaire santé".into(),
        }
    }

    /// Why a registration is refused, in the words of its form (`None`: accepted).
    pub fn refusal(&self) -> Option<&'static str> {
        match self {
            RppsCheck::NotVerified | RppsCheck::Verified { .. } => None,
            RppsCheck::NamesDiffer { .. } => Some(
                "Vos nom et prénom ne correspondent pas à ce numéro RPPS dans l'annuaire santé : saisissez-les comme l'annuaire les connaît.",
            ),
            RppsCheck::Absent => Some(
                "Ce numéro RPPS est absent de l'annuaire santé : vérifiez-le sur votre carte CPS.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header of the public extraction, as published (with its trailing separator).
    pub const HEADER: &str = "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|Adresse e-mail (coord. structure)|Code Département (structure)|Libellé Département (structure)|Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|";

    #[test]
    fn reads_the_extraction_format() {
        let columns = Columns::from_header(&format!("\u{feff}{HEADER}\r\n")).unwrap();
        let line = "8|12345678903|812345678903|DR|Docteur|MME|Madame|ROLLAND|JEANNE|10|Médecin|C|Civil|S|Spécialité ordinale|SM54|Médecine générale (SM)|L|Libéral||||||CABINET DU DR ROLLAND||||3||R|Rue|DES LILAS||35000 RENNES|35000|35238|Rennes|||0299000000||||35|Ille-et-Vilaine||CNOM/CNOM/CNOM|SA07|Cabinet individuel|||\r\n";
        assert_eq!(
            columns.entry(line),
            Some(DirectoryEntry {
                rpps: "12345678903".into(),
                civility: "Madame".into(),
                last_name: "ROLLAND".into(),
                first_name: "JEANNE".into(),
                profession: "Médecin".into(),
                savoir_faire: "Médecine générale (SM)".into(),
                commune: "Rennes".into(),
            })
        );
        // An ADELI line, a short line, a line without names: skipped.
        let adeli = line.replacen("8|12345678903", "0|012600631", 1);
        assert_eq!(columns.entry(&adeli), None);
        assert_eq!(columns.entry("8|12345678903"), None);
        assert_eq!(columns.entry(&line.replace("ROLLAND", "")), None);
    }

    #[test]
    fn another_file_is_refused_by_name() {
        let err = Columns::from_header("code;libelle;commune").unwrap_err();
        assert!(err.contains("« Type d'identifiant PP »"), "{err}");
        let without_names = HEADER.replace("Nom d'exercice", "Nom");
        assert!(
            Columns::from_header(&without_names)
                .unwrap_err()
                .contains("« Nom d'exercice »")
        );
    }

    #[test]
    fn names_compare_without_accents_case_or_separators() {
        let entry = DirectoryEntry {
            rpps: "12345678903".into(),
            civility: "Madame".into(),
            last_name: "LEFEVRE DUPONT".into(),
            first_name: "HELENE".into(),
            profession: "Médecin".into(),
            savoir_faire: String::new(),
            commune: String::new(),
        };
        assert_eq!(
            RppsCheck::of("Hélène", "Lefèvre-Dupont", Some(&entry)),
            RppsCheck::Verified {
                profession: "Médecin".into(),
                savoir_faire: String::new()
            }
        );
        let other = RppsCheck::of("Hélène", "Martin", Some(&entry));
        assert_eq!(
            other,
            RppsCheck::NamesDiffer {
                directory_name: "HELENE LEFEVRE DUPONT".into()
            }
        );
        assert!(other.refusal().is_some());
        assert_eq!(RppsCheck::of("Hélène", "Martin", None), RppsCheck::Absent);
        assert_eq!(RppsCheck::NotVerified.refusal(), None);
        assert_eq!(
            RppsCheck::NotVerified.label(),
            "RPPS non vérifié (annuaire santé non importé)"
        );
    }
}
