//! The patient identity a regulator types in the booking funnel.

use super::identity::{BirthDate, PersonName, PhoneFr};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The form as typed: every field a string, nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientInput {
    pub first_name: String,
    pub last_name: String,
    pub birth_name: String,
    pub birth_date: String,
    pub phone: String,
}

/// A checked patient identity, with the five fields the guide makes mandatory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientIdentity {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub birth_name: PersonName,
    pub birth_date: BirthDate,
    pub phone: PhoneFr,
}

/// A message attached to the form field it concerns (the field's `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// Keeps the parsed value, or records its message against `field`.
    pub fn check<T>(
        errors: &mut Vec<FieldError>,
        field: &str,
        parsed: Result<T, String>,
    ) -> Option<T> {
        parsed
            .map_err(|message| {
                errors.push(FieldError {
                    field: field.into(),
                    message,
                })
            })
            .ok()
    }
}

impl PatientInput {
    pub const FIELDS: [(&'static str, &'static str); 5] = [
        ("first_name", "Prénom du patient"),
        ("last_name", "Nom du patient"),
        ("birth_name", "Nom de naissance du patient"),
        ("birth_date", "Date de naissance du patient"),
        ("phone", "Téléphone du patient"),
    ];

    /// Checks one field, for feedback as the regulator types.
    pub fn check_field(&self, field: &str, today: NaiveDate) -> Result<(), String> {
        match field {
            "first_name" => PersonName::parse(&self.first_name).map(drop),
            "last_name" => PersonName::parse(&self.last_name).map(drop),
            "birth_name" => PersonName::parse(&self.birth_name).map(drop),
            "birth_date" => BirthDate::parse(&self.birth_date, today).map(drop),
            "phone" => PhoneFr::parse(&self.phone).map(drop),
            _ => Ok(()),
        }
    }

    /// Checks every field; all errors at once, in the form's order.
    pub fn validate(&self, today: NaiveDate) -> Result<PatientIdentity, Vec<FieldError>> {
        let errors: Vec<FieldError> = Self::FIELDS
            .iter()
            .filter_map(|(field, _)| {
                self.check_field(field, today)
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
        Ok(PatientIdentity {
            first_name: name(&self.first_name),
            last_name: name(&self.last_name),
            birth_name: name(&self.birth_name),
            birth_date: BirthDate::parse(&self.birth_date, today).expect("checked above"),
            phone: PhoneFr::parse(&self.phone).expect("checked above"),
        })
    }
}

#[cfg(test)]
impl PatientInput {
    /// The guide's example patient, complete and valid.
    pub fn example() -> Self {
        Self {
            first_name: "Marie".into(),
            last_name: "Durand".into(),
            birth_name: "Martin".into(),
            birth_date: "21/11/1952".into(),
            phone: "06 45 37 26 53".into(),
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
        let identity = PatientInput::example().validate(today()).unwrap();
        assert_eq!(identity.birth_name.as_str(), "Martin");
        assert_eq!(identity.phone.e164(), "+33645372653");
        assert_eq!(identity.birth_date.display_fr(), "21/11/1952");
    }

    #[test]
    fn each_missing_mandatory_field_is_reported_on_that_field() {
        for (field, _) in PatientInput::FIELDS {
            let mut input = PatientInput::example();
            match field {
                "first_name" => input.first_name.clear(),
                "last_name" => input.last_name.clear(),
                "birth_name" => input.birth_name.clear(),
                "birth_date" => input.birth_date.clear(),
                _ => input.phone.clear(),
            }
            let errors = input.validate(today()).unwrap_err();
            assert_eq!(
                errors,
                vec![FieldError {
                    field: field.into(),
                    message: "Ce champ est obligatoire.".into()
                }]
            );
        }
        assert_eq!(
            PatientInput::default().validate(today()).unwrap_err().len(),
            5
        );
    }
}
