//! The rolling horizon of slots kept in the database: topped up at start-up and every hour,
//! regenerated for one practitioner whenever their ranges or absences change; and the holds of
//! the booking funnel, given back to the search once they end.

use super::jobs::Jobs;
use super::store::{Horizon, Store};
use crate::domain::agenda::paris_today;
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

/// Creates the missing slots over the horizon now, then once an hour.
pub fn top_up_job(jobs: &mut Jobs, store: Arc<Store>, days: i64) {
    jobs.every("top-up", std::time::Duration::from_secs(3600), move || {
        let store = store.clone();
        async move {
            let window = horizon(days, super::now_utc());
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
pub fn hold_sweeper_job(jobs: &mut Jobs, store: Arc<Store>) {
    jobs.every("hold sweep", std::time::Duration::from_secs(5), move || {
        let store = store.clone();
        async move {
            if let Err(err) = store.release_expired_holds(super::now()).await {
                tracing::error!("releasing ended holds failed: {err}");
            }
        }
    });
}
