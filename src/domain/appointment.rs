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

/// Why an appointment is « à replanifier »: the practitioner cancelled it, or recorded an absence
/// over it. The regulator who booked it is told until they acknowledge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Reschedule {
    PractitionerCancelled,
    Absence,
}

impl Reschedule {
    pub fn code(self) -> &'static str {
        match self {
            Reschedule::PractitionerCancelled => "practitioner_cancelled",
            Reschedule::Absence => "absence",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Reschedule::PractitionerCancelled, Reschedule::Absence]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// Also the cancellation's reason, as the appointment's readers see it.
    pub fn label(self) -> &'static str {
        match self {
            Reschedule::PractitionerCancelled => "Annulé par le praticien",
            Reschedule::Absence => "Absence du praticien",
        }
    }
}

impl TryFrom<String> for Reschedule {
    type Error = UnknownCode;

    fn try_from(code: String) -> Result<Self, UnknownCode> {
        Reschedule::from_code(&code).ok_or(UnknownCode(code))
    }
}

/// The status shown of an appointment: « À replanifier » once the practitioner cancelled it.
pub fn status_label(status: AppointmentStatus, reschedule: Option<Reschedule>) -> &'static str {
    match reschedule {
        Some(_) => "À replanifier",
        None => status.label(),
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
    /// Why it is « à replanifier », while the regulator has not acknowledged it.
    pub to_acknowledge: Option<String>,
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
    use super::{AppointmentStatus, Reschedule, status_label};

    #[test]
    fn reschedule_codes_round_trip_and_show_as_to_reschedule() {
        for r in [Reschedule::PractitionerCancelled, Reschedule::Absence] {
            assert_eq!(Reschedule::try_from(r.code().to_string()), Ok(r));
            assert_eq!(
                status_label(AppointmentStatus::Cancelled, Some(r)),
                "À replanifier"
            );
        }
        assert!(Reschedule::try_from("regulator".to_string()).is_err());
        assert_eq!(status_label(AppointmentStatus::Cancelled, None), "Annulé");
    }

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
