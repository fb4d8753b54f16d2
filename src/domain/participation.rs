//! A practitioner's participation in the SAS: asked by the practitioner, approved or refused by
//! the SAS administration of their département, which may suspend it at any time. Only an
//! approved participation puts their slots in the regulators' search.

use super::field::FieldError;
use super::ids::PractitionerId;
use super::rpps::RppsCheck;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SasStatus {
    /// Never asked, or withdrawn by the practitioner.
    None,
    /// Asked, waiting for the administration.
    Requested,
    Approved,
    Refused,
    Suspended,
}

impl SasStatus {
    pub const ALL: [SasStatus; 5] = [
        SasStatus::None,
        SasStatus::Requested,
        SasStatus::Approved,
        SasStatus::Refused,
        SasStatus::Suspended,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SasStatus::None => "none",
            SasStatus::Requested => "requested",
            SasStatus::Approved => "approved",
            SasStatus::Refused => "refused",
            SasStatus::Suspended => "suspended",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            SasStatus::None => "Pas de participation au SAS",
            SasStatus::Requested => "Demande de participation en attente de validation",
            SasStatus::Approved => "Participation au SAS validée",
            SasStatus::Refused => "Demande de participation refusée",
            SasStatus::Suspended => "Participation au SAS suspendue",
        }
    }

    /// Whether the practitioner's slots may reach the regulators' search.
    pub fn in_search(self) -> bool {
        self == SasStatus::Approved
    }

    /// Whether the practitioner may send a request from this state.
    pub fn may_request(self) -> bool {
        matches!(self, SasStatus::None | SasStatus::Refused)
    }

    /// Whether the practitioner may withdraw from this state (a suspension is the
    /// administration's to lift).
    pub fn may_withdraw(self) -> bool {
        matches!(self, SasStatus::Requested | SasStatus::Approved)
    }
}

impl TryFrom<String> for SasStatus {
    type Error = super::ids::UnknownCode;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::from_code(&code).ok_or(super::ids::UnknownCode(code))
    }
}

/// What the administration decides on a participation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    Approve,
    Refuse,
    Suspend,
    /// Lifts a suspension.
    Reinstate,
}

impl Decision {
    /// The state a decision leaves, from the states it applies to.
    pub fn apply(self, from: SasStatus) -> Option<SasStatus> {
        use SasStatus::{Approved, Refused, Requested, Suspended};
        match (self, from) {
            (Decision::Approve, Requested) => Some(Approved),
            (Decision::Refuse, Requested) => Some(Refused),
            (Decision::Suspend, Approved | Requested) => Some(Suspended),
            (Decision::Reinstate, Suspended) => Some(Approved),
            _ => Option::None,
        }
    }

    /// Whether the practitioner must be told why.
    pub fn needs_reason(self) -> bool {
        matches!(self, Decision::Refuse | Decision::Suspend)
    }

    pub fn audit_action(self) -> &'static str {
        match self {
            Decision::Approve => "participation_approved",
            Decision::Refuse => "participation_refused",
            Decision::Suspend => "participation_suspended",
            Decision::Reinstate => "participation_reinstated",
        }
    }

    /// The confirmation the administrator reads.
    pub fn done(self) -> &'static str {
        match self {
            Decision::Approve => {
                "Participation validée : les créneaux du médecin remontent dans la recherche."
            }
            Decision::Refuse => "Demande refusée : le médecin en est informé par courriel.",
            Decision::Suspend => {
                "Participation suspendue : ses créneaux libres ont quitté la recherche, les régulateurs concernés sont prévenus."
            }
            Decision::Reinstate => "Participation rétablie.",
        }
    }
}

pub const REASON_MAX: usize = 1000;

/// The reason given with a refusal or a suspension (required for them), trimmed.
pub fn check_reason(decision: Decision, reason: &str) -> Result<Option<String>, Vec<FieldError>> {
    let reason = reason.trim();
    let error = |message: String| {
        Err(vec![FieldError {
            field: "reason".into(),
            message,
        }])
    };
    if reason.chars().count() > REASON_MAX {
        return error(format!("{REASON_MAX} caractères au maximum."));
    }
    match (decision.needs_reason(), reason.is_empty()) {
        (true, true) => error("Indiquez le motif : il est envoyé au médecin.".into()),
        (_, false) => Ok(Some(reason.to_string())),
        (false, true) => Ok(None),
    }
}

/// The practitioner's participation as their settings page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationView {
    pub status: SasStatus,
    /// The reason of a refusal or a suspension.
    pub reason: Option<String>,
    /// « 01/12/2026 à 10:02 », when the status last changed.
    pub since: Option<String>,
}

/// A practitioner as the administration's participation page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipationLine {
    pub practitioner_id: PractitionerId,
    /// « Dr Jeanne Rolland »
    pub name: String,
    pub specialty: String,
    pub rpps: String,
    pub email: String,
    /// « Rennes (35) »
    pub place: String,
    pub status: SasStatus,
    pub reason: Option<String>,
    pub since: Option<String>,
    pub email_confirmed: bool,
    pub check: RppsCheck,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_approved_participation_reaches_the_search() {
        for status in SasStatus::ALL {
            assert_eq!(status.in_search(), status == SasStatus::Approved);
            assert_eq!(SasStatus::from_code(status.code()), Some(status));
        }
    }

    #[test]
    fn decisions_apply_to_their_states_only() {
        use SasStatus::*;
        assert_eq!(Decision::Approve.apply(Requested), Some(Approved));
        assert_eq!(Decision::Approve.apply(None), Option::None);
        assert_eq!(Decision::Approve.apply(Suspended), Option::None);
        assert_eq!(Decision::Refuse.apply(Approved), Option::None);
        assert_eq!(Decision::Suspend.apply(Approved), Some(Suspended));
        assert_eq!(Decision::Suspend.apply(Refused), Option::None);
        assert_eq!(Decision::Reinstate.apply(Suspended), Some(Approved));
        assert_eq!(Decision::Reinstate.apply(Refused), Option::None);
    }

    #[test]
    fn refusals_and_suspensions_say_why() {
        assert!(check_reason(Decision::Refuse, "  ").is_err());
        assert!(check_reason(Decision::Suspend, "").is_err());
        assert_eq!(
            check_reason(Decision::Refuse, " RPPS inconnu ").unwrap(),
            Some("RPPS inconnu".into())
        );
        assert_eq!(check_reason(Decision::Approve, " ").unwrap(), None);
        assert!(check_reason(Decision::Approve, &"x".repeat(REASON_MAX + 1)).is_err());
    }
}
