//! Pure domain types and rules: no IO, compiled for the server and the browser alike,
//! so the browser gives instant feedback and the server has the final word.

pub mod account;
pub mod admin;
pub mod agenda;
pub mod appointment;
pub mod booking;
pub mod eligibility;
pub mod extra;
pub mod field;
pub mod identity;
pub mod ids;
pub mod indicators;
pub mod participation;
pub mod patient;
pub mod place;
pub mod practitioner;
#[cfg(test)]
mod properties;
pub mod rpps;
pub mod search;
pub mod specialty;

use serde::{Deserialize, Serialize};

/// What a signed-in account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// SAS platform administrator.
    Admin,
    /// Régulateur / OSNP: searches and books for patients.
    Regulator,
    /// Médecin effecteur.
    Practitioner,
    /// An account created from an invitation with another profession than "Régulateur":
    /// it may sign in but has none of the regulator features.
    Other,
}

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Regulator => "regulator",
            Role::Practitioner => "practitioner",
            Role::Other => "other",
        }
    }

    pub const ALL: [Role; 4] = [
        Role::Admin,
        Role::Regulator,
        Role::Practitioner,
        Role::Other,
    ];

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrateur SAS",
            Role::Regulator => "Régulateur",
            Role::Practitioner => "Médecin effecteur",
            Role::Other => "Autre profession (sans accès régulateur)",
        }
    }
}

/// The store's edge: a stored code becomes a role once, when the row is read.
impl TryFrom<String> for Role {
    type Error = ids::UnknownCode;

    fn try_from(code: String) -> Result<Self, ids::UnknownCode> {
        Role::from_code(&code).ok_or(ids::UnknownCode(code))
    }
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code("root"), None);
        assert!(Role::try_from("root".to_string()).is_err());
    }
}
