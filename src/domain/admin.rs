//! What the administration pages show: the regulators and where they stand, the mails kept in
//! the outbox, the audit log.

use super::account::RegulatorState;
use super::ids::InvitationId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorLine {
    pub id: InvitationId,
    /// "Mme Claire Morel"
    pub name: String,
    pub email: String,
    pub departement: String,
    pub invited_on: String,
    pub state: RegulatorState,
    /// The sign-in address, when the account exists and differs from the invited one.
    pub account_email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailLine {
    pub sent_at: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// Mails leave by SMTP: none is kept.
    pub smtp: bool,
    pub mails: Vec<MailLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub from: String,
}
