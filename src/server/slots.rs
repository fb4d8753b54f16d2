//! The rolling horizon of slots kept in the database: topped up at start-up and every hour,
//! regenerated for one practitioner whenever their ranges or absences change; the eligibility
//! rule applied to a stored slot; and the holds of the booking funnel, given back to the
//! search once they end.

use super::store::{CandidateSlot, Horizon, Store};
use crate::domain::agenda::paris_today;
use crate::domain::eligibility::{SasVisibility, SlotFacts, SlotState, sas_visibility};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

pub const DEFAULT_HORIZON_DAYS: i64 = 28;
pub const DEFAULT_HOLD_SECONDS: i64 = crate::domain::booking::HOLD_MINUTES * 60;

/// Today (Paris) and the `days - 1` days after it, seen from `now`.
pub fn horizon(days: i64, now: DateTime<Utc>) -> Horizon {
    let from = paris_today(now);
    Horizon {
        from,
        to: from + Duration::days(days.max(1) - 1),
        now: now.timestamp(),
    }
}

/// What the rule says of a candidate slot at `now`, for `viewer` (a regulator's own hold does
/// not hide the slot from them). The booking funnel holds and books with it.
pub fn visibility(slot: &CandidateSlot, now: i64, viewer: Option<i64>) -> Option<SasVisibility> {
    let held_by_other = slot.held_by.is_some_and(|by| Some(by) != viewer)
        && slot.hold_expires_at.is_some_and(|end| end > now);
    sas_visibility(&SlotFacts {
        sas_registered: slot.sas_registered,
        accepts_new_patients: slot.accepts_new_patients,
        reasons: &slot.reasons,
        state: if slot.booked {
            SlotState::Booked
        } else if held_by_other {
            SlotState::Held
        } else {
            SlotState::Free
        },
        starts_in_future: slot.starts_at > now,
    })
}

/// Creates the missing slots over the horizon now, then once an hour.
pub fn spawn_top_up(store: Arc<dyn Store>, days: i64) {
    tokio::spawn(async move {
        let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
        loop {
            every_hour.tick().await;
            let window = horizon(days, Utc::now());
            let started = std::time::Instant::now();
            match store.materialize_slots(window.from, window.to).await {
                Ok(created) => tracing::info!(
                    "slots topped up to {}: {created} created in {} ms",
                    window.to,
                    started.elapsed().as_millis()
                ),
                Err(err) => tracing::error!("slot top-up failed: {err}"),
            }
        }
    });
}

/// Gives the slots whose hold ended back to the search, every few seconds.
pub fn spawn_hold_sweeper(store: Arc<dyn Store>) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            if let Err(err) = store.release_expired_holds(Utc::now().timestamp()).await {
                tracing::error!("releasing ended holds failed: {err}");
            }
        }
    });
}
