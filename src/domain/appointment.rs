//! An appointment once booked, as its readers see it: the lines of the regulator's « Mes
//! adressages » and of the practitioner's « Mes rendez-vous », and one appointment's page.

use serde::{Deserialize, Serialize};

/// One line of « Mes adressages ».
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralLine {
    pub id: i64,
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
    pub id: i64,
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
    pub id: i64,
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
