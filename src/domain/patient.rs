//! The patient identity a regulator types in the booking funnel.

use super::field::{FieldError, REQUIRED, bounded};
use super::identity::{BirthDate, Email, InseeCode, Nir, PersonName, Phone};
use super::practitioner::ExtraField;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The form as typed: every field a string, nothing checked yet; missing ones are empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PatientInput {
    /// "Madame", "Monsieur" or empty.
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub birth_name: String,
    pub birth_date: String,
    /// "france", "etranger" or empty.
    pub birth_place: String,
    /// The INSEE code of the birth commune (born in France).
    pub birth_insee: String,
    /// The commune's name as picked in the list; shown back, the code is what counts.
    pub birth_city: String,
    /// Born abroad.
    pub birth_country: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub nir: String,
}

pub const CIVILITIES: [&str; 2] = ["Madame", "Monsieur"];

/// Where the patient was born (INS trait).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BirthPlace {
    France { insee: InseeCode, city: String },
    Abroad { country: String },
}

/// A checked patient identity: the five fields the guide makes mandatory, and the others
/// when they were typed or the practitioner requires them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientIdentity {
    pub civility: Option<String>,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub birth_name: PersonName,
    pub birth_date: BirthDate,
    pub birth_place: Option<BirthPlace>,
    pub phone: Phone,
    pub email: Option<Email>,
    pub address: Option<String>,
    pub nir: Option<Nir>,
}

/// An optional field: empty is fine unless required; typed, it must be valid.
fn optional<T>(
    value: &str,
    required: bool,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, String> {
    if value.trim().is_empty() && !required {
        Ok(None)
    } else {
        parse(value).map(Some)
    }
}

const ADDRESS_MAX: usize = 300;
const COUNTRY_MAX: usize = 100;

impl PatientInput {
    /// Every field in the form's order, for errors and focus.
    pub const FIELDS: [&'static str; 12] = [
        "civility",
        "first_name",
        "last_name",
        "birth_name",
        "birth_date",
        "birth_place",
        "birth_insee",
        "birth_country",
        "phone",
        "email",
        "address",
        "nir",
    ];

    /// Checks one field, for feedback as the regulator types. `required` lists what the
    /// practitioner asks beyond the default five.
    pub fn check_field(
        &self,
        field: &str,
        today: NaiveDate,
        required: &[ExtraField],
    ) -> Result<(), String> {
        let needs = |f: ExtraField| required.contains(&f);
        match field {
            "civility" => self.civility().map(drop),
            "first_name" => PersonName::parse(&self.first_name).map(drop),
            "last_name" => PersonName::parse(&self.last_name).map(drop),
            "birth_name" => PersonName::parse(&self.birth_name).map(drop),
            "birth_date" => BirthDate::parse(&self.birth_date, today).map(drop),
            "birth_place" => match self.birth_place.as_str() {
                "" if needs(ExtraField::BirthPlace) => {
                    Err("Indiquez si le patient est né en France ou à l'étranger.".into())
                }
                "" | "france" | "etranger" => Ok(()),
                _ => Err("Lieu de naissance inconnu.".into()),
            },
            "birth_insee" if self.birth_place == "france" => InseeCode::parse(&self.birth_insee)
                .map_err(|e| {
                    if e == REQUIRED {
                        "Choisissez la ville de naissance dans la liste.".into()
                    } else {
                        e
                    }
                })
                .map(drop),
            "birth_country" if self.birth_place == "etranger" => {
                bounded(&self.birth_country, COUNTRY_MAX).map(drop)
            }
            "phone" => Phone::parse(&self.phone).map(drop),
            "email" => optional(&self.email, needs(ExtraField::Email), Email::parse).map(drop),
            "address" => optional(&self.address, needs(ExtraField::Address), |a| {
                bounded(a, ADDRESS_MAX)
            })
            .map(drop),
            "nir" => optional(
                &self.nir,
                needs(ExtraField::SocialSecurityNumber),
                Nir::parse,
            )
            .map(drop),
            _ => Ok(()),
        }
    }

    fn civility(&self) -> Result<Option<String>, String> {
        match self.civility.trim() {
            "" => Ok(None),
            c if CIVILITIES.contains(&c) => Ok(Some(c.to_string())),
            _ => Err("Choisissez Madame ou Monsieur.".into()),
        }
    }

    /// Checks every field; all errors at once, in the form's order.
    pub fn validate(
        &self,
        today: NaiveDate,
        required: &[ExtraField],
    ) -> Result<PatientIdentity, Vec<FieldError>> {
        let errors: Vec<FieldError> = Self::FIELDS
            .iter()
            .filter_map(|field| {
                self.check_field(field, today, required)
                    .err()
                    .map(|message| FieldError {
                        field: (*field).into(),
                        message,
                    })
            })
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let name = |s: &str| PersonName::parse(s).expect("checked above");
        let needs = |f: ExtraField| required.contains(&f);
        let birth_place = match self.birth_place.as_str() {
            "france" => Some(BirthPlace::France {
                insee: InseeCode::parse(&self.birth_insee).expect("checked above"),
                city: self.birth_city.trim().to_string(),
            }),
            "etranger" => Some(BirthPlace::Abroad {
                country: bounded(&self.birth_country, COUNTRY_MAX).expect("checked above"),
            }),
            _ => None,
        };
        Ok(PatientIdentity {
            civility: self.civility().expect("checked above"),
            first_name: name(&self.first_name),
            last_name: name(&self.last_name),
            birth_name: name(&self.birth_name),
            birth_date: BirthDate::parse(&self.birth_date, today).expect("checked above"),
            birth_place,
            phone: Phone::parse(&self.phone).expect("checked above"),
            email: optional(&self.email, needs(ExtraField::Email), Email::parse)
                .expect("checked above"),
            address: optional(&self.address, needs(ExtraField::Address), |a| {
                bounded(a, ADDRESS_MAX)
            })
            .expect("checked above"),
            nir: optional(
                &self.nir,
                needs(ExtraField::SocialSecurityNumber),
                Nir::parse,
            )
            .expect("checked above"),
        })
    }
}

#[cfg(test)]
impl PatientInput {
    /// The guide's example patient, complete and valid.
    pub fn example() -> Self {
        Self {
            civility: "Madame".into(),
            first_name: "Marie".into(),
            last_name: "Durand".into(),
            birth_name: "Martin".into(),
            birth_date: "21/11/1952".into(),
            phone: "06 45 37 26 53".into(),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
    }

    #[test]
    fn a_complete_form_gives_an_identity() {
        let identity = PatientInput::example().validate(today(), &[]).unwrap();
        assert_eq!(identity.birth_name.as_str(), "Martin");
        assert_eq!(identity.phone.e164(), "+33645372653");
        assert_eq!(identity.birth_date.display_fr(), "21/11/1952");
        assert_eq!(identity.civility.as_deref(), Some("Madame"));
        assert_eq!((identity.email, identity.birth_place), (None, None));
    }

    fn cleared(field: &str) -> PatientInput {
        let mut input = PatientInput::example();
        match field {
            "first_name" => input.first_name.clear(),
            "last_name" => input.last_name.clear(),
            "birth_name" => input.birth_name.clear(),
            "birth_date" => input.birth_date.clear(),
            _ => input.phone.clear(),
        }
        input
    }

    #[test]
    fn each_missing_mandatory_field_is_reported_on_that_field() {
        for field in [
            "first_name",
            "last_name",
            "birth_name",
            "birth_date",
            "phone",
        ] {
            let errors = cleared(field).validate(today(), &[]).unwrap_err();
            assert_eq!(
                errors,
                vec![FieldError {
                    field: field.into(),
                    message: "Ce champ est obligatoire.".into()
                }]
            );
        }
        assert_eq!(
            PatientInput::default()
                .validate(today(), &[])
                .unwrap_err()
                .len(),
            5
        );
    }

    #[test]
    fn what_the_practitioner_requires_becomes_mandatory() {
        let all = ExtraField::ALL;
        let fields: Vec<String> = PatientInput::example()
            .validate(today(), &all)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["birth_place", "email", "address", "nir"]);
        let mut input = PatientInput::example();
        input.birth_place = "france".into();
        assert_eq!(
            input.check_field("birth_insee", today(), &all).unwrap_err(),
            "Choisissez la ville de naissance dans la liste."
        );
        input.birth_insee = "69123".into();
        input.birth_city = "Lyon".into();
        input.email = "marie.durand@exemple.fr".into();
        input.address = "3 rue de la Paix, 75002 Paris".into();
        let body = 2_521_169_123_001_u64;
        input.nir = format!("{body}{:02}", 97 - body % 97);
        let identity = input.validate(today(), &all).unwrap();
        assert!(
            matches!(identity.birth_place, Some(BirthPlace::France { ref city, .. }) if city == "Lyon")
        );
        assert_eq!(identity.email.unwrap().as_str(), "marie.durand@exemple.fr");
    }

    #[test]
    fn optional_fields_are_checked_when_typed() {
        let mut input = PatientInput::example();
        input.email = "pas-une-adresse".into();
        input.civility = "Docteur".into();
        input.birth_place = "etranger".into();
        let fields: Vec<String> = input
            .validate(today(), &[])
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["civility", "birth_country", "email"]);
        input.email.clear();
        input.civility.clear();
        input.birth_country = "Belgique".into();
        input.phone = "+32 470 12 34 56".into();
        let identity = input.validate(today(), &[]).unwrap();
        assert_eq!(
            identity.birth_place,
            Some(BirthPlace::Abroad {
                country: "Belgique".into()
            })
        );
        assert_eq!(identity.phone.e164(), "+32470123456");
    }
}
