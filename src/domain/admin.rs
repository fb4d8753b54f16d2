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

/// A mail of the outbox as an administrator may read it: the single-use links it carries are
/// another account's keys, so their token is cut to its first characters.
pub fn mask_tokens(body: &str) -> String {
    const KEY: &str = "jeton=";
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(at) = rest.find(KEY) {
        let (before, after) = rest.split_at(at + KEY.len());
        out.push_str(before);
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        out.push_str(&after[..end.min(4)]);
        if end > 4 {
            out.push_str("…(masqué)");
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: String,
    pub who: String,
    pub action: String,
    pub subject: String,
    pub from: String,
}

#[cfg(test)]
mod tests {
    use super::mask_tokens;

    #[test]
    fn outbox_links_lose_their_token() {
        let body =
            "Créez votre compte : https://sas.example/creer-mon-compte?jeton=Abc_12-xyzXYZ\nMerci.";
        let masked = mask_tokens(body);
        assert_eq!(
            masked,
            "Créez votre compte : https://sas.example/creer-mon-compte?jeton=Abc_…(masqué)\nMerci."
        );
        assert!(!masked.contains("xyzXYZ"));
        assert_eq!(mask_tokens("sans lien"), "sans lien");
        assert_eq!(mask_tokens("jeton=ab"), "jeton=ab");
        assert_eq!(mask_tokens("a jeton=é"), "a jeton=é");
    }
}
