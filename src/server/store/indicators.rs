//! The indicators' aggregates (`/indicateurs`): counts over the bookings made in a period,
//! nationally or in one département. Each is one GROUP BY over a range of a covering index
//! (migration 0014: `appointments_indicators`, by time, and `…_departement`, by département then
//! time), so that no table row is read; the figures are computed in `domain::indicators`.

use super::sql::Sql;
use super::{Store, StoreResult};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::UserId;
use crate::domain::indicators::{Aggregates, IndicatorsFilter, TOP_PRACTITIONERS, TopPractitioner};

/// A booking of the past, written for the indicators' benchmark (`seed bookings`) with its slot.
pub struct PastBooking {
    pub practitioner_id: i64,
    pub departement: String,
    pub created_at: i64,
    pub starts_at: i64,
    pub status: &'static str,
    pub sas_flags: i64,
}

/// The account and patient the benchmark's bookings are made by and for (nobody signs in).
const HISTORY_EMAIL: &str = "historique@bench.invalid";

#[derive(sqlx::FromRow)]
struct KindRow {
    #[sqlx(try_from = "String")]
    status: AppointmentStatus,
    sas_flags: Option<i64>,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct TopRow {
    first_name: String,
    last_name: String,
    city: String,
    departement: String,
    n: i64,
}

impl Store {
    /// The counts of the bookings `filter` covers (made in its period, in its département).
    pub async fn indicator_aggregates(&self, filter: &IndicatorsFilter) -> StoreResult<Aggregates> {
        let (per_hour, per_departement, kinds, delays, top) = tokio::try_join!(
            self.grouped::<i64>("created_at / 3600", filter),
            self.grouped::<String>("COALESCE(departement, '')", filter),
            self.kinds(filter),
            self.grouped::<i64>("(starts_at - created_at) / 60", filter),
            self.top_practitioners(filter),
        )?;
        Ok(Aggregates {
            per_hour,
            per_departement,
            per_kind: kinds
                .into_iter()
                .map(|k| (k.status, k.sas_flags, count(k.n)))
                .collect(),
            delays,
            top,
        })
    }

    /// The département of a regulator's account, as the SAS platform created them.
    pub async fn regulator_departement(&self, user_id: UserId) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT departement FROM regulators WHERE user_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The SAS practitioners with their département (for the benchmark).
    pub async fn sas_practitioners(&self) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, departement FROM practitioners WHERE sas_registered ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes past bookings and their slots in one transaction (the benchmark's history); a
    /// booking whose practitioner already has a slot at that time is left out. How many written.
    pub async fn insert_past_bookings(&self, bookings: &[PastBooking]) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let (regulator, patient) = history_owner(&mut tx).await?;
        let mut q = Sql::new("INSERT INTO slots (practitioner_id, starts_at, ends_at, mode)");
        q.values(bookings, |row, b| {
            row.bind(b.practitioner_id)
                .bind(b.starts_at)
                .bind(b.starts_at + 900)
                .bind("cabinet");
        })
        .push(" ON CONFLICT DO NOTHING RETURNING id, practitioner_id, starts_at");
        let slots: Vec<(i64, i64, i64)> = q.fetch_all(&mut *tx).await?;
        let mut slot_of: std::collections::HashMap<(i64, i64), i64> =
            slots.into_iter().map(|(id, p, at)| ((p, at), id)).collect();
        let placed: Vec<(i64, &PastBooking)> = bookings
            .iter()
            .filter_map(|b| Some((slot_of.remove(&(b.practitioner_id, b.starts_at))?, b)))
            .collect();
        if placed.is_empty() {
            return Ok(0);
        }
        let mut q = Sql::new(
            "INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id,
                 starts_at, mode, status, created_at, sas_flags, departement)",
        );
        q.values(&placed, |row, (slot, b)| {
            row.bind(*slot)
                .bind(b.practitioner_id)
                .bind(regulator)
                .bind(patient)
                .bind(b.starts_at)
                .bind("cabinet")
                .bind(b.status)
                .bind(b.created_at)
                .bind(b.sas_flags)
                .bind(b.departement.as_str());
        });
        let written = q.execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Bookings per value of `key` (an expression over the index's columns), in key order.
    async fn grouped<K>(&self, key: &str, filter: &IndicatorsFilter) -> StoreResult<Vec<(K, u64)>>
    where
        K: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + Unpin,
    {
        let mut q = Sql::new(&format!(
            "SELECT {key} AS k, COUNT(*) AS n FROM appointments"
        ));
        period(&mut q, filter);
        q.push(&format!(" GROUP BY {key} ORDER BY k"));
        let rows: Vec<(K, i64)> = q.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(k, n)| (k, count(n))).collect())
    }

    async fn kinds(&self, filter: &IndicatorsFilter) -> StoreResult<Vec<KindRow>> {
        let mut q = Sql::new("SELECT status, sas_flags, COUNT(*) AS n FROM appointments");
        period(&mut q, filter);
        q.push(" GROUP BY status, sas_flags");
        q.fetch_all(&self.pool).await
    }

    /// The practitioners with the most appointments not cancelled, then by id.
    async fn top_practitioners(
        &self,
        filter: &IndicatorsFilter,
    ) -> StoreResult<Vec<TopPractitioner>> {
        let mut q = Sql::new(
            "SELECT p.first_name, p.last_name, p.city, p.departement, t.n
             FROM (SELECT practitioner_id, COUNT(*) AS n FROM appointments",
        );
        period(&mut q, filter);
        q.push(" AND status <> 'cancelled' GROUP BY practitioner_id ORDER BY n DESC, practitioner_id LIMIT ")
            .bind(TOP_PRACTITIONERS)
            .push(") t JOIN practitioners p ON p.id = t.practitioner_id ORDER BY t.n DESC, p.id");
        let rows: Vec<TopRow> = q.fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| TopPractitioner {
                name: format!("{} {}", r.first_name, r.last_name),
                place: format!("{} ({})", r.city, r.departement),
                count: count(r.n),
            })
            .collect())
    }
}

/// The benchmark's regulator account and patient, made at the first call.
async fn history_owner(conn: &mut sqlx::AnyConnection) -> StoreResult<(i64, i64)> {
    let user: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(HISTORY_EMAIL)
        .fetch_optional(&mut *conn)
        .await?;
    let user =
        match user {
            Some(id) => id,
            None => sqlx::query_scalar(
                "INSERT INTO users (email, password_hash, role, first_name, last_name, created_at)
                 VALUES ($1, '!', 'regulator', 'Historique', 'Banc', 0) RETURNING id",
            )
            .bind(HISTORY_EMAIL)
            .fetch_one(&mut *conn)
            .await?,
        };
    let patient: Option<i64> =
        sqlx::query_scalar("SELECT MIN(patient_id) FROM appointments WHERE regulator_id = $1")
            .bind(user)
            .fetch_one(&mut *conn)
            .await?;
    let patient = match patient {
        Some(id) => id,
        None => {
            sqlx::query_scalar(
                "INSERT INTO patients (first_name, last_name, birth_name, birth_date, phone,
                     created_at)
                 VALUES ('Banc', 'Historique', 'Historique', '1970-01-01', '+33600000000', 0)
                 RETURNING id",
            )
            .fetch_one(&mut *conn)
            .await?
        }
    };
    Ok((user, patient))
}

/// `WHERE` the booking was made in the period (and in the département).
fn period<'a>(q: &mut Sql<'a>, filter: &'a IndicatorsFilter) {
    if let Some(departement) = &filter.departement {
        q.push(" WHERE departement = ")
            .bind(departement.as_str())
            .push(" AND");
    } else {
        q.push(" WHERE");
    }
    q.push(" created_at >= ")
        .bind(filter.since)
        .push(" AND created_at < ")
        .bind(filter.before);
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
