//! « Aide » (`/aide`), public: the regulators' mode d'emploi, the support contacts the server is
//! configured with, the practitioners' FAQ « Comment participer au SAS ? » and the guidance on
//! video consultations that the booking funnel links to (`/aide#video`).

pub mod view;

pub use view::HelpPage;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::with_status;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The support the platform's operator offers (`SAS_SUPPORT_EMAIL`, `SAS_SUPPORT_PHONE`): none
/// by default, so that the page never shows an address nobody reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportContacts {
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl SupportContacts {
    /// From the configured values; blank ones count as unset.
    pub fn new(email: Option<&str>, phone: Option<&str>) -> Self {
        let keep = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        Self {
            email: keep(email),
            phone: keep(phone),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.phone.is_none()
    }
}

/// The `tel:` link of a phone number as written for people (« 01 23 45 67 89 »,
/// « +33 1 23 45 67 89 »): its digits and a leading `+`.
pub fn tel_href(phone: &str) -> String {
    let mut href = String::from("tel:");
    // « +33 (0)1 … »: the bracketed trunk zero is not dialled after the country code.
    for (i, c) in phone.replace("(0)", "").trim().chars().enumerate() {
        if c.is_ascii_digit() || (i == 0 && c == '+') {
            href.push(c);
        }
    }
    href
}

/// Open to everyone: the support contacts of this platform (none when not configured).
#[server(endpoint = "help/support_info")]
pub async fn support_info() -> Result<SupportContacts, AppError> {
    with_status(async { Ok(crate::server::state()?.support) }).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_contacts_are_unset() {
        assert!(SupportContacts::new(None, None).is_empty());
        assert!(SupportContacts::new(Some("  "), Some("")).is_empty());
        let c = SupportContacts::new(Some(" support@sas.example.fr "), None);
        assert_eq!(c.email.as_deref(), Some("support@sas.example.fr"));
        assert!(!c.is_empty());
    }

    #[test]
    fn phone_links_keep_digits_and_leading_plus() {
        assert_eq!(tel_href("01 23 45 67 89"), "tel:0123456789");
        assert_eq!(tel_href("+33 (0)1.23.45.67.89"), "tel:+33123456789");
        assert_eq!(tel_href(" +33 1 23 45 67 89"), "tel:+33123456789");
    }
}
