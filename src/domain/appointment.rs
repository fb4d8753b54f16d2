//! An appointment once booked, as its readers see it: the lines of the regulator's « Mes
//! adressages » and of the practitioner's « Mes rendez-vous », and one appointment's page.

use super::ids::{AppointmentId, UnknownCode};
use serde::{Deserialize, Serialize};

/// Appointment outcome (FHIR booked / fulfilled / noshow / cancelled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppointmentStatus {
    Booked,
    Fulfilled,
    NoShow,
    Cancelled,
}

impl AppointmentStatus {
    pub fn code(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Fulfilled => "fulfilled",
            AppointmentStatus::NoShow => "noshow",
            AppointmentStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            AppointmentStatus::Booked,
            AppointmentStatus::Fulfilled,
            AppointmentStatus::NoShow,
            AppointmentStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "Réservé",
            AppointmentStatus::Fulfilled => "Honoré",
            AppointmentStatus::NoShow => "Non honoré",
            AppointmentStatus::Cancelled => "Annulé",
        }
    }
}

impl TryFrom<String> for AppointmentStatus {
    type Error = UnknownCode;

    fn try_from(code: String) -> Result<Self, UnknownCode> {
        AppointmentStatus::from_code(&code).ok_or(UnknownCode(code))
    }
}

/// One line of « Mes adressages ».
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralLine {
    pub id: AppointmentId,
    pub when: String,
    pub practitioner: String,
    pub patient: String,
    pub reason: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentLink {
    pub href: String,
    pub name: String,
    pub size: String,
}

/// One appointment, as its readers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentView {
    pub id: AppointmentId,
    pub when: String,
    pub practitioner: String,
    pub place: String,
    pub regulator: String,
    pub mode: String,
    pub status: String,
    pub reason: String,
    pub known_patient: Option<bool>,
    pub message: Option<String>,
    pub cancel_reason: Option<String>,
    /// Label and value of each patient field typed.
    pub patient: Vec<(String, String)>,
    /// `tel:` link of the patient's phone.
    pub phone_href: String,
    pub answers: Vec<(String, String)>,
    pub attachments: Vec<AttachmentLink>,
    pub can_cancel: bool,
    pub can_set_outcome: bool,
}

/// One line of the practitioner's « Mes rendez-vous ».
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentLine {
    pub id: AppointmentId,
    /// "lundi 30 novembre à 09:00"
    pub when: String,
    pub mode: String,
    pub status: String,
    pub reason: String,
    /// "Marie DURAND (naissance : MARTIN)"
    pub patient: String,
    pub birth_date: String,
    /// `tel:` target and display.
    pub phone: (String, String),
}

#[cfg(test)]
mod tests {
    use super::AppointmentStatus;

    #[test]
    fn status_codes_round_trip() {
        for s in [
            AppointmentStatus::Booked,
            AppointmentStatus::Fulfilled,
            AppointmentStatus::NoShow,
            AppointmentStatus::Cancelled,
        ] {
            assert_eq!(AppointmentStatus::try_from(s.code().to_string()), Ok(s));
        }
        assert!(AppointmentStatus::try_from("done".to_string()).is_err());
    }
}
