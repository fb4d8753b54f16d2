//! The rolling horizon of slots kept in the database: topped up at start-up and every hour,
//! regenerated for one practitioner whenever their ranges or absences change; and the holds of
//! the booking funnel, given back to the search once they end.

use super::jobs::Jobs;
use super::store::{Horizon, Store, StoreResult, TOP_UP_BATCH};
use crate::domain::agenda::paris_today;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub const DEFAULT_HORIZON_DAYS: i64 = 28;
pub const DEFAULT_HOLD_SECONDS: i64 = crate::domain::booking::HOLD_MINUTES * 60;

/// Today (Paris) and the `days - 1` days after it, seen from `now`.
pub fn horizon(days: i64, now: DateTime<Utc>) -> Horizon {
    let from = paris_today(now);
    Horizon {
        from,
        to: from + chrono::Duration::days(days.max(1) - 1),
        now: now.timestamp(),
    }
}

/// Creates the missing slots over the horizon now, then once an hour.
pub fn top_up_job(jobs: &mut Jobs, store: Arc<Store>, days: i64) {
    let stop = jobs.stopping();
    jobs.every("top-up", Duration::from_secs(3600), move || {
        let (store, stop) = (store.clone(), stop.clone());
        async move {
            let window = horizon(days, super::now_utc());
            let started = std::time::Instant::now();
            match top_up(&store, &window, &stop).await {
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

/// The shortest and longest pause after a top-up batch.
const TOP_UP_PAUSE: (Duration, Duration) = (Duration::from_millis(20), Duration::from_millis(100));

/// The top-up, batch after batch, each followed by a pause as long as it took (20 to 100 ms):
/// the database stays free half the time for writers that poll for it (other processes) and
/// people's requests go first. A stop ends it between two batches.
async fn top_up(store: &Store, window: &Horizon, stop: &CancellationToken) -> StoreResult<u64> {
    let mut created = 0;
    for batch in store
        .practitioners_with_ranges()
        .await?
        .chunks(TOP_UP_BATCH)
    {
        let started = std::time::Instant::now();
        created += store.top_up_batch(batch, window.from, window.to).await?;
        let pause = started.elapsed().clamp(TOP_UP_PAUSE.0, TOP_UP_PAUSE.1);
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.cancelled() => break,
        }
    }
    Ok(created)
}

/// Gives the slots whose hold ended back to the search, every few seconds.
pub fn hold_sweeper_job(jobs: &mut Jobs, store: Arc<Store>) {
    jobs.every("hold sweep", Duration::from_secs(5), move || {
        let store = store.clone();
        async move {
            if let Err(err) = store.release_expired_holds(super::now()).await {
                tracing::error!("releasing ended holds failed: {err}");
            }
        }
    });
}
