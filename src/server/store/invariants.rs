//! What no load and no crash may break, checked over the whole database: for `load booking`
//! and the crash script (`.ci/crash`).

use super::sql::Sql;
use super::{Backend, Store, StoreResult};
use crate::domain::ids::{AppointmentId, SlotId};

/// The invariants of the booking tables at one moment.
#[derive(Debug, PartialEq, Eq)]
pub struct BookingInvariants {
    /// Slots with two active (not cancelled) appointments: must be 0.
    pub doubled_slots: i64,
    /// Holds still stored `grace` seconds after their end: must be 0 on a running server.
    pub stale_holds: i64,
    /// Slots whose `taken` flag says otherwise than their appointments and holds: must be 0.
    pub wrong_taken: i64,
    /// Rows of the indicators' counts that differ from the appointments: must be 0.
    pub wrong_indicators: i64,
    /// SQLite's `PRAGMA integrity_check` (« ok »); None on PostgreSQL.
    pub integrity: Option<String>,
}

impl Store {
    /// Checks the booking invariants, seen from `now`; holds get `grace` seconds past their end
    /// for the sweeper to remove them.
    pub async fn booking_invariants(&self, now: i64, grace: i64) -> StoreResult<BookingInvariants> {
        let count = |sql: &'static str| async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&self.pool)
                .await
        };
        let doubled_slots = count(
            "SELECT COUNT(*) FROM (SELECT slot_id FROM appointments WHERE status <> 'cancelled'
             GROUP BY slot_id HAVING COUNT(*) > 1) d",
        )
        .await?;
        let wrong_taken = count(
            "SELECT COUNT(*) FROM slots s WHERE s.taken <> (
                 EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id
                         AND a.status <> 'cancelled')
                 OR EXISTS (SELECT 1 FROM slot_holds h WHERE h.slot_id = s.id))",
        )
        .await?;
        let stale_holds =
            sqlx::query_scalar("SELECT COUNT(*) FROM slot_holds WHERE expires_at <= $1")
                .bind(now - grace)
                .fetch_one(&self.pool)
                .await?;
        let wrong_indicators = self.indicator_disagreements().await?;
        let integrity = match self.backend {
            Backend::Sqlite => Some(
                sqlx::query_scalar("PRAGMA integrity_check")
                    .fetch_one(&self.pool)
                    .await?,
            ),
            Backend::Postgres => None,
        };
        Ok(BookingInvariants {
            doubled_slots,
            stale_holds,
            wrong_taken,
            wrong_indicators,
            integrity,
        })
    }

    /// How many of `ids` are stored appointments.
    pub async fn appointments_present(&self, ids: &[AppointmentId]) -> StoreResult<usize> {
        let mut present = 0;
        for chunk in ids.chunks(500) {
            let mut q = Sql::new("SELECT id FROM appointments WHERE id IN");
            q.ids(chunk);
            present += q.fetch_all::<(AppointmentId,), _>(&self.pool).await?.len();
        }
        Ok(present)
    }

    /// Free slots the search shows, starting after `after`, soonest first: targets for the
    /// booking load.
    pub async fn free_visible_slots(&self, after: i64, limit: i64) -> StoreResult<Vec<SlotId>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM slots WHERE sas_flags > 0 AND NOT taken AND starts_at > $1
             ORDER BY starts_at, id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
