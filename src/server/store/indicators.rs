//! The indicators' aggregates (`/indicateurs`): counts over the bookings made in a period,
//! nationally or in one département, read from tables of counts per Paris day of booking
//! (migration 0016) that `count_appointment` keeps up to date in the transaction of every
//! booking and change of status; the figures are computed in `domain::indicators`.

use super::sql::Sql;
use super::{Backend, Store, StoreResult};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::ids::{AppointmentId, UserId};
use crate::domain::indicators::{
    Aggregates, IndicatorsFilter, TOP_PRACTITIONERS, TopPractitioner, day_number, delay_bucket,
    paris_day_number,
};
use std::collections::HashMap;

/// The scope of the delays counted over every département.
const NATIONAL: &str = "*";

/// The Paris day (`domain::indicators::paris_day_number`) of `created_at`, in SQL as migration
/// 0016 computes it: SQLite by the EU summer-time rule (last Sunday of March to last Sunday of
/// October, 01:00 UTC), PostgreSQL from its time zone data.
const SQLITE_PARIS_DAY: &str = "(created_at + 3600 + CASE
    WHEN created_at >= CAST(strftime('%s', created_at, 'unixepoch', 'start of year',
            '+2 months', '+24 days', 'weekday 0') AS INTEGER) + 3600
        AND created_at < CAST(strftime('%s', created_at, 'unixepoch', 'start of year',
            '+9 months', '+24 days', 'weekday 0') AS INTEGER) + 3600
    THEN 3600 ELSE 0 END) / 86400";
const POSTGRES_PARIS_DAY: &str =
    "((to_timestamp(created_at) AT TIME ZONE 'Europe/Paris')::date - DATE '1970-01-01')";

/// Counts in the indicators' tables an appointment just inserted (`was`: `None`) or whose status
/// just changed from `was`, in the caller's transaction, after its write. Called by every place
/// that inserts an appointment or changes its status:
/// - `booking::book_once` (a booking),
/// - `appointments::cancel_in` (cancelled by the regulator or the practitioner, and by an absence:
///   `agenda::add_absence`),
/// - `appointments::set_outcome` (honoured / not honoured),
/// - `insert_past_bookings` (the benchmark's history, counted in bulk with the same `Tally`),
/// - `extra::book_outside_agenda` (a surnuméraire request accepted).
///
/// Any new way of creating an appointment or changing its status calls it too.
pub(super) async fn count_appointment(
    tx: &mut sqlx::AnyConnection,
    id: AppointmentId,
    was: Option<AppointmentStatus>,
) -> StoreResult<()> {
    let row: CountedRow = sqlx::query_as(
        "SELECT created_at, starts_at, practitioner_id, departement, status, sas_flags
         FROM appointments WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let mut tally = Tally::default();
    tally.add(&row, was);
    tally.write(tx).await
}

/// An appointment as the indicators count it.
#[derive(sqlx::FromRow)]
struct CountedRow {
    created_at: i64,
    starts_at: i64,
    practitioner_id: i64,
    departement: Option<String>,
    #[sqlx(try_from = "String")]
    status: AppointmentStatus,
    sas_flags: Option<i64>,
}

/// Changes to the indicators' tables, summed per row before they are written.
#[derive(Default)]
struct Tally {
    /// (day, département) → bookings, booked, fulfilled, noshow, cancelled, snp, new, snp_new,
    /// extra.
    days: HashMap<(i64, String), [i64; 9]>,
    /// (scope, day, delay) → bookings.
    delays: HashMap<(String, i64, i64), i64>,
    /// (day, département, practitioner) → appointments not cancelled.
    practitioners: HashMap<(i64, String, i64), i64>,
}

impl Tally {
    fn add(&mut self, a: &CountedRow, was: Option<AppointmentStatus>) {
        let day = paris_day_number(a.created_at);
        let departement = a.departement.clone().unwrap_or_default();
        let counts = self.days.entry((day, departement.clone())).or_default();
        let status_column = |s: AppointmentStatus| match s {
            AppointmentStatus::Booked => 1,
            AppointmentStatus::Fulfilled => 2,
            AppointmentStatus::NoShow => 3,
            AppointmentStatus::Cancelled => 4,
        };
        counts[status_column(a.status)] += 1;
        let active = |s: AppointmentStatus| i64::from(s != AppointmentStatus::Cancelled);
        let mut practitioner = active(a.status);
        match was {
            Some(was) => {
                counts[status_column(was)] -= 1;
                practitioner -= active(was);
            }
            None => {
                counts[0] += 1;
                if let Some(flags @ 1..=4) = a.sas_flags {
                    counts[4 + flags as usize] += 1;
                }
                let delay = delay_bucket(a.starts_at - a.created_at);
                for scope in [NATIONAL.to_string(), departement.clone()] {
                    *self.delays.entry((scope, day, delay)).or_default() += 1;
                }
            }
        }
        if practitioner != 0 {
            *self
                .practitioners
                .entry((day, departement, a.practitioner_id))
                .or_default() += practitioner;
        }
    }

    /// Adds the changes to the stored counts (rows made as needed).
    async fn write(self, tx: &mut sqlx::AnyConnection) -> StoreResult<()> {
        // Rows in key order: concurrent transactions lock them in the same order (PostgreSQL).
        let mut days: Vec<_> = self
            .days
            .into_iter()
            .filter(|(_, c)| *c != [0; 9])
            .collect();
        days.sort_by(|a, b| a.0.cmp(&b.0));
        for chunk in days.chunks(UPSERT_ROWS) {
            let mut q = Sql::new(
                "INSERT INTO indicator_days (day, departement, bookings, booked, fulfilled,
                     noshow, cancelled, snp, new_patients, snp_new, extra)",
            );
            q.values(chunk, |row, ((day, departement), c)| {
                row.bind(*day).bind(departement.as_str());
                for n in c {
                    row.bind(*n);
                }
            })
            .push(
                " ON CONFLICT (day, departement) DO UPDATE SET
                 bookings = indicator_days.bookings + excluded.bookings,
                 booked = indicator_days.booked + excluded.booked,
                 fulfilled = indicator_days.fulfilled + excluded.fulfilled,
                 noshow = indicator_days.noshow + excluded.noshow,
                 cancelled = indicator_days.cancelled + excluded.cancelled,
                 snp = indicator_days.snp + excluded.snp,
                 new_patients = indicator_days.new_patients + excluded.new_patients,
                 snp_new = indicator_days.snp_new + excluded.snp_new,
                 extra = indicator_days.extra + excluded.extra",
            );
            q.execute(&mut *tx).await?;
        }
        let mut delays: Vec<_> = self.delays.into_iter().collect();
        delays.sort_by(|a, b| a.0.cmp(&b.0));
        for chunk in delays.chunks(UPSERT_ROWS) {
            let mut q = Sql::new("INSERT INTO indicator_delays (scope, day, delay, bookings)");
            q.values(chunk, |row, ((scope, day, delay), n)| {
                row.bind(scope.as_str()).bind(*day).bind(*delay).bind(*n);
            })
            .push(
                " ON CONFLICT (scope, day, delay) DO UPDATE
                 SET bookings = indicator_delays.bookings + excluded.bookings",
            );
            q.execute(&mut *tx).await?;
        }
        let mut practitioners: Vec<_> = self.practitioners.into_iter().collect();
        practitioners.sort_by(|a, b| a.0.cmp(&b.0));
        for chunk in practitioners.chunks(UPSERT_ROWS) {
            let mut q = Sql::new(
                "INSERT INTO indicator_practitioners (day, departement, practitioner_id,
                     appointments)",
            );
            q.values(chunk, |row, ((day, departement, practitioner), n)| {
                row.bind(*day)
                    .bind(departement.as_str())
                    .bind(*practitioner)
                    .bind(*n);
            })
            .push(
                " ON CONFLICT (day, departement, practitioner_id) DO UPDATE
                 SET appointments = indicator_practitioners.appointments + excluded.appointments",
            );
            q.execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// Rows per statement when the counts are written (well under both databases' parameter limits).
const UPSERT_ROWS: usize = 500;

/// A booking of the past, written for the indicators' benchmark (`seed bookings`) with its slot.
pub struct PastBooking {
    pub practitioner_id: i64,
    pub departement: String,
    pub created_at: i64,
    pub starts_at: i64,
    pub status: AppointmentStatus,
    pub sas_flags: i64,
}

/// The account and patient the benchmark's bookings are made by and for (nobody signs in).
const HISTORY_EMAIL: &str = "historique@bench.invalid";

#[derive(sqlx::FromRow)]
struct DayRow {
    day: i64,
    bookings: i64,
    booked: i64,
    fulfilled: i64,
    noshow: i64,
    cancelled: i64,
    snp: i64,
    new_patients: i64,
    snp_new: i64,
    extra: i64,
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
        let (days, per_departement, delays, top) = tokio::try_join!(
            self.day_counts(filter),
            self.departement_counts(filter),
            self.delay_counts(filter),
            self.top_practitioners(filter),
        )?;
        let sum = |f: fn(&DayRow) -> i64| count(days.iter().map(f).sum());
        Ok(Aggregates {
            total: sum(|d| d.bookings),
            per_status: vec![
                (AppointmentStatus::Booked, sum(|d| d.booked)),
                (AppointmentStatus::Fulfilled, sum(|d| d.fulfilled)),
                (AppointmentStatus::NoShow, sum(|d| d.noshow)),
                (AppointmentStatus::Cancelled, sum(|d| d.cancelled)),
            ],
            per_kind: vec![
                (1, sum(|d| d.snp)),
                (2, sum(|d| d.new_patients)),
                (3, sum(|d| d.snp_new)),
                (4, sum(|d| d.extra)),
            ],
            per_day: days.iter().map(|d| (d.day, count(d.bookings))).collect(),
            per_departement,
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
                .bind(b.status.code())
                .bind(b.created_at)
                .bind(b.sas_flags)
                .bind(b.departement.as_str());
        });
        let written = q.execute(&mut *tx).await?;
        let mut tally = Tally::default();
        for (_, b) in &placed {
            let row = CountedRow {
                created_at: b.created_at,
                starts_at: b.starts_at,
                practitioner_id: b.practitioner_id,
                departement: Some(b.departement.clone()),
                status: b.status,
                sas_flags: Some(b.sas_flags),
            };
            tally.add(&row, None);
        }
        tally.write(&mut tx).await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn day_counts(&self, filter: &IndicatorsFilter) -> StoreResult<Vec<DayRow>> {
        let mut q = Sql::new(
            "SELECT day, CAST(SUM(bookings) AS BIGINT) AS bookings,
                 CAST(SUM(booked) AS BIGINT) AS booked, CAST(SUM(fulfilled) AS BIGINT) AS fulfilled,
                 CAST(SUM(noshow) AS BIGINT) AS noshow, CAST(SUM(cancelled) AS BIGINT) AS cancelled,
                 CAST(SUM(snp) AS BIGINT) AS snp, CAST(SUM(new_patients) AS BIGINT) AS new_patients,
                 CAST(SUM(snp_new) AS BIGINT) AS snp_new, CAST(SUM(extra) AS BIGINT) AS extra
             FROM indicator_days",
        );
        period(&mut q, filter);
        q.push(" GROUP BY day ORDER BY day");
        q.fetch_all(&self.pool).await
    }

    /// Bookings per département, nationally (within one, its line would repeat the total).
    async fn departement_counts(
        &self,
        filter: &IndicatorsFilter,
    ) -> StoreResult<Vec<(String, u64)>> {
        if filter.departement.is_some() {
            return Ok(Vec::new());
        }
        let mut q =
            Sql::new("SELECT departement, CAST(SUM(bookings) AS BIGINT) FROM indicator_days");
        period(&mut q, filter);
        q.push(" GROUP BY departement ORDER BY departement");
        let rows: Vec<(String, i64)> = q.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(d, n)| (d, count(n))).collect())
    }

    async fn delay_counts(&self, filter: &IndicatorsFilter) -> StoreResult<Vec<(i64, u64)>> {
        let scope = filter.departement.as_deref().unwrap_or(NATIONAL);
        let mut q = Sql::new(
            "SELECT delay, CAST(SUM(bookings) AS BIGINT) FROM indicator_delays WHERE scope = ",
        );
        q.bind(scope).push(" AND");
        days(&mut q, filter);
        q.push(" GROUP BY delay");
        let rows: Vec<(i64, i64)> = q.fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(d, n)| (d, count(n))).collect())
    }

    /// The practitioners with the most appointments not cancelled, then by id.
    async fn top_practitioners(
        &self,
        filter: &IndicatorsFilter,
    ) -> StoreResult<Vec<TopPractitioner>> {
        let mut q = Sql::new(
            "SELECT p.first_name, p.last_name, p.city, p.departement, t.n
             FROM (SELECT practitioner_id, CAST(SUM(appointments) AS BIGINT) AS n
                   FROM indicator_practitioners",
        );
        period(&mut q, filter);
        q.push(" GROUP BY practitioner_id HAVING SUM(appointments) > 0")
            .push(" ORDER BY n DESC, practitioner_id LIMIT ")
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

    /// Rows of the indicators' tables that differ from the counts of the appointments themselves
    /// (0 when they agree): for the conformance tests and the invariants after a crash.
    pub async fn indicator_disagreements(&self) -> StoreResult<i64> {
        let day = match self.backend {
            Backend::Sqlite => SQLITE_PARIS_DAY,
            Backend::Postgres => POSTGRES_PARIS_DAY,
        };
        let sql = format!(
            "WITH counted AS (
                 SELECT {day} AS day, COALESCE(departement, '') AS departement, practitioner_id,
                     status, sas_flags,
                     CASE WHEN starts_at - created_at >= 86400
                         THEN (starts_at - created_at) / 3600 * 60
                         ELSE (starts_at - created_at) / 60 END AS delay
                 FROM appointments),
             days AS (
                 SELECT day, departement, COUNT(*) AS bookings,
                     SUM(CASE WHEN status = 'booked' THEN 1 ELSE 0 END) AS booked,
                     SUM(CASE WHEN status = 'fulfilled' THEN 1 ELSE 0 END) AS fulfilled,
                     SUM(CASE WHEN status = 'noshow' THEN 1 ELSE 0 END) AS noshow,
                     SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled,
                     SUM(CASE WHEN sas_flags = 1 THEN 1 ELSE 0 END) AS snp,
                     SUM(CASE WHEN sas_flags = 2 THEN 1 ELSE 0 END) AS new_patients,
                     SUM(CASE WHEN sas_flags = 3 THEN 1 ELSE 0 END) AS snp_new,
                     SUM(CASE WHEN sas_flags = 4 THEN 1 ELSE 0 END) AS extra
                 FROM counted GROUP BY day, departement),
             delays AS (
                 SELECT '*' AS scope, day, delay, COUNT(*) AS bookings FROM counted
                 GROUP BY day, delay
                 UNION ALL
                 SELECT departement, day, delay, COUNT(*) FROM counted
                 GROUP BY departement, day, delay),
             practitioners AS (
                 SELECT day, departement, practitioner_id, COUNT(*) AS appointments FROM counted
                 WHERE status <> 'cancelled' GROUP BY day, departement, practitioner_id),
             kept_days AS (
                 SELECT day, departement, bookings, booked, fulfilled, noshow, cancelled, snp,
                     new_patients, snp_new, extra FROM indicator_days),
             kept_delays AS (SELECT scope, day, delay, bookings FROM indicator_delays),
             kept_practitioners AS (
                 SELECT day, departement, practitioner_id, appointments
                 FROM indicator_practitioners WHERE appointments <> 0)
             SELECT (SELECT COUNT(*) FROM (SELECT * FROM days EXCEPT SELECT * FROM kept_days) a)
                 + (SELECT COUNT(*) FROM (SELECT * FROM kept_days EXCEPT SELECT * FROM days) b)
                 + (SELECT COUNT(*) FROM (SELECT * FROM delays EXCEPT SELECT * FROM kept_delays) c)
                 + (SELECT COUNT(*) FROM (SELECT * FROM kept_delays EXCEPT SELECT * FROM delays) d)
                 + (SELECT COUNT(*) FROM (SELECT * FROM practitioners
                        EXCEPT SELECT * FROM kept_practitioners) e)
                 + (SELECT COUNT(*) FROM (SELECT * FROM kept_practitioners
                        EXCEPT SELECT * FROM practitioners) f)"
        );
        Ok(sqlx::query_scalar(&sql).fetch_one(&self.pool).await?)
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
    days(q, filter);
}

/// ` day …`: the Paris days of booking of the period.
fn days<'a>(q: &mut Sql<'a>, filter: &IndicatorsFilter) {
    q.push(" day >= ")
        .bind(day_number(filter.first))
        .push(" AND day <= ")
        .bind(day_number(filter.last));
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
