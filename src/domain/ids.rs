//! Typed ids: one type per table, so that a slot id cannot be passed where an appointment id
//! is expected. On the wire they are plain numbers (`serde(transparent)`); in the store they
//! are decoded and bound as the integer column they are (`sqlx(transparent)`); displayed, the
//! number (audit subjects such as `appointment:42`, addresses such as `/rendez-vous/42`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares one id type: a copyable `i64` newtype with the derives above. No logic.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An account (`users`): regulators, practitioners and administrators.
    UserId
);
id_type!(
    /// A médecin effecteur's profile (`practitioners`).
    PractitionerId
);
id_type!(
    /// An invited regulator (`regulators`), before and after their account exists.
    InvitationId
);
id_type!(SlotId);
id_type!(AppointmentId);
id_type!(
    /// A range of the agenda (plage).
    RangeId
);
id_type!(
    /// A consultation reason (motif).
    ReasonId
);
id_type!(AbsenceId);
id_type!(
    /// A regulator's request that a practitioner see a patient beyond the agenda.
    ExtraRequestId
);
id_type!(
    /// A practitioner's booking question.
    QuestionId
);

/// A stored code (role, mode, status, extra field) the program does not know: the row is
/// refused when read rather than shown wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("code inconnu en base : « {0} »")]
pub struct UnknownCode(pub String);
