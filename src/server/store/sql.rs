//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here
//! (`$n` parameters, `RETURNING`, `ON CONFLICT`, partial indexes), so each backend only says
//! how to connect, migrate and open a write transaction, and `impl_store!` writes the rest.

pub use super::cells::{CellEntry, CellMember, cells_of_box, encode, entries, in_area, patch};
use super::{CandidateSlot, Horizon, SearchArea, SlotFilter, StoreError};
use crate::domain::agenda::{Mode, RangeTimes, Recurrence, fit_slots};
use crate::domain::eligibility::{ReasonFlags, SasVisibility, range_visibility};
use crate::domain::patient::BirthPlace;
use chrono::{NaiveDate, NaiveTime, Weekday};
use std::collections::{BTreeMap, HashMap};

pub const USER_COLUMNS: &str = "u.id, u.email, u.password_hash, u.role, u.first_name, u.last_name,
    u.practitioner_id, u.profession, u.disabled";

pub const REGULATOR_SELECT: &str = "SELECT r.id, r.civility, r.first_name, r.last_name, r.email,
        r.departement, r.invited_at, r.revoked_at, r.user_id, u.email AS account_email, u.role AS account_role,
        u.disabled,
        (SELECT MAX(t.expires_at) FROM account_tokens t
         WHERE t.regulator_id = r.id AND t.used_at IS NULL) AS invitation_expires_at
    FROM regulators r LEFT JOIN users u ON u.id = r.user_id";

pub const CANDIDATE_SELECT: &str = "SELECT s.id AS slot_id, s.range_id, s.starts_at, s.ends_at, s.mode,
        EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled') AS booked,
        h.regulator_id AS held_by, h.expires_at AS hold_expires_at,
        p.id AS practitioner_id, p.civility, p.first_name, p.last_name, p.specialty, p.address,
        p.postcode, p.city, p.phone, p.sas_registered, p.accepts_new_patients, p.booking_notice,
        p.departement, p.extra_fields
    FROM slots s JOIN practitioners p ON p.id = s.practitioner_id
    LEFT JOIN slot_holds h ON h.slot_id = s.id";

/// An appointment with its patient, practitioner and regulator (`AppointmentRecord`).
pub const APPOINTMENT_SELECT: &str =
    "SELECT a.id, a.slot_id, a.starts_at, a.mode, a.status, a.created_at,
        a.reason_name, a.known_patient, a.message, a.cancelled_at, a.cancel_reason,
        p.id AS practitioner_id, p.first_name AS practitioner_first_name,
        p.last_name AS practitioner_last_name, pu.email AS practitioner_email,
        p.address AS practitioner_address, p.city AS practitioner_city,
        a.regulator_id, ru.first_name AS regulator_first_name, ru.last_name AS regulator_last_name,
        pa.civility AS patient_civility, pa.first_name AS patient_first_name,
        pa.last_name AS patient_last_name, pa.birth_name AS patient_birth_name,
        pa.birth_date AS patient_birth_date, pa.birth_insee AS patient_birth_insee,
        pa.birth_city AS patient_birth_city, pa.birth_country AS patient_birth_country,
        pa.phone AS patient_phone, pa.email AS patient_email, pa.address AS patient_address,
        pa.nir AS patient_nir
    FROM appointments a
    JOIN patients pa ON pa.id = a.patient_id
    JOIN practitioners p ON p.id = a.practitioner_id
    JOIN users ru ON ru.id = a.regulator_id
    LEFT JOIN users pu ON pu.practitioner_id = p.id";

pub const ATTACHMENT_COLUMNS: &str =
    "id, token, regulator_id, appointment_id, file_name, content_type, size_bytes";

pub const REASON_FLAGS_SELECT: &str =
    "SELECT rr.range_id, r.is_snp, r.open_to_new_patients, r.bookable_online
    FROM range_reasons rr JOIN reasons r ON r.id = rr.reason_id";

#[derive(sqlx::FromRow)]
pub struct RangeReasonRow {
    pub range_id: i64,
    pub is_snp: bool,
    pub open_to_new_patients: bool,
    pub bookable_online: bool,
}

pub fn reasons_by_range(rows: Vec<RangeReasonRow>) -> HashMap<i64, Vec<ReasonFlags>> {
    let mut by_range: HashMap<i64, Vec<ReasonFlags>> = HashMap::new();
    for row in rows {
        by_range.entry(row.range_id).or_default().push(ReasonFlags {
            is_snp: row.is_snp,
            open_to_new_patients: row.open_to_new_patients,
            bookable_online: row.bookable_online,
        });
    }
    by_range
}

/// The stored verdict of the eligibility rule (`slots.sas_flags`) for the slots of a range.
pub fn range_flags(
    (sas_registered, accepts_new_patients): (bool, bool),
    reasons: Option<&Vec<ReasonFlags>>,
) -> i64 {
    SasVisibility::code(range_visibility(
        sas_registered,
        accepts_new_patients,
        reasons.map_or(&[][..], Vec::as_slice),
    ))
}

/// Attaches to each slot the reasons of its range.
pub fn attach_reasons(slots: &mut [CandidateSlot], rows: Vec<RangeReasonRow>) {
    let by_range = reasons_by_range(rows);
    for slot in slots {
        slot.reasons = slot
            .range_id
            .and_then(|id| by_range.get(&id).cloned())
            .unwrap_or_default();
    }
}

#[derive(sqlx::FromRow)]
pub struct RangeRow {
    pub id: i64,
    pub practitioner_id: i64,
    pub weekday: Option<i64>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub start_minute: i64,
    pub end_minute: i64,
    pub slot_minutes: i64,
    pub mode: String,
}

impl RangeRow {
    pub fn times(&self) -> Option<RangeTimes> {
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let time = |m: i64| {
            let m = u32::try_from(m).ok()?;
            NaiveTime::from_hms_opt(m / 60, m % 60, 0).or((m == 1440).then_some(NaiveTime::MIN))
        };
        let valid_from = date(&self.valid_from)?;
        let recurrence = match self.weekday {
            Some(n) => Recurrence::Weekly {
                weekday: Weekday::try_from(u8::try_from(n - 1).ok()?).ok()?,
                valid_from,
                valid_until: self.valid_until.as_deref().and_then(date),
            },
            None => Recurrence::Once(valid_from),
        };
        Some(RangeTimes {
            recurrence,
            start: time(self.start_minute)?,
            end: time(self.end_minute.min(1439))?,
            slot_minutes: u32::try_from(self.slot_minutes).ok()?,
        })
    }
}

pub const RANGE_COLUMNS: &str = "id, practitioner_id, weekday, valid_from, valid_until, start_minute, end_minute, slot_minutes, mode";

impl RangeRow {
    /// The range's slots over the days `from..=to`, tagged with the range and its mode.
    fn wanted(&self, from: NaiveDate, to: NaiveDate) -> Vec<(i64, i64, (i64, String))> {
        self.times()
            .map(|times| times.slots(from, to))
            .unwrap_or_default()
            .into_iter()
            .map(|(start, end)| {
                (
                    start.timestamp(),
                    end.timestamp(),
                    (self.id, self.mode.clone()),
                )
            })
            .collect()
    }
}

/// A slot as regeneration sees it: `kept` when an appointment (even cancelled) points at it.
#[derive(sqlx::FromRow)]
pub struct ExistingSlot {
    pub id: i64,
    pub range_id: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub mode: String,
    pub kept: bool,
}

pub const EXISTING_SLOT_SELECT: &str = "SELECT s.id, s.range_id, s.starts_at, s.ends_at, s.mode,
        EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id) AS kept
    FROM slots s";

/// A slot to insert: (practitioner, range, start, end, mode).
pub type SlotRow = (i64, i64, i64, i64, String);

/// What regenerating one practitioner's agenda changes.
#[derive(Default)]
pub struct Regeneration {
    /// Slots still in the agenda whose range or mode changed: (slot, range, mode).
    pub attach: Vec<(i64, i64, String)>,
    /// Booked slots no range covers any more: kept, out of the agenda ("hors agenda").
    pub detach: Vec<i64>,
    /// Free slots no range covers any more.
    pub delete: Vec<i64>,
    pub insert: Vec<SlotRow>,
}

/// Compares the slots the ranges want (outside absences, from `horizon.now` on) with the
/// existing ones: a slot at the same times stays (same id), the others go or come. Slots that
/// started before `horizon.now` are never touched.
pub fn plan_regeneration(
    practitioner_id: i64,
    ranges: &[RangeRow],
    absences: &[(i64, i64)],
    existing: &[ExistingSlot],
    horizon: &Horizon,
) -> Regeneration {
    let wanted: Vec<_> = ranges
        .iter()
        .flat_map(|r| r.wanted(horizon.from, horizon.to))
        .filter(|w| w.0 >= horizon.now)
        .collect();
    let mut wanted: HashMap<(i64, i64), (i64, String)> = fit_slots(wanted, &[], absences)
        .into_iter()
        .map(|(start, end, tag)| ((start, end), tag))
        .collect();
    let mut plan = Regeneration::default();
    let mut occupied = Vec::new();
    for slot in existing {
        occupied.push((slot.starts_at, slot.ends_at));
        if slot.starts_at < horizon.now {
            continue;
        }
        match wanted.remove(&(slot.starts_at, slot.ends_at)) {
            Some((range_id, mode)) => {
                if slot.range_id != Some(range_id) || slot.mode != mode {
                    plan.attach.push((slot.id, range_id, mode));
                }
            }
            None if slot.kept => {
                if slot.range_id.is_some() {
                    plan.detach.push(slot.id);
                }
            }
            None => {
                occupied.pop();
                plan.delete.push(slot.id);
            }
        }
    }
    let rest = wanted
        .into_iter()
        .map(|((start, end), tag)| (start, end, tag))
        .collect();
    plan.insert = fit_slots(rest, &occupied, &[])
        .into_iter()
        .map(|(start, end, (range_id, mode))| (practitioner_id, range_id, start, end, mode))
        .collect();
    plan
}

/// The slots the ranges want over `from..=to` that do not exist yet: outside absences and
/// clear of existing slots, practitioner by practitioner.
pub fn plan_top_up(
    ranges: &[RangeRow],
    absences: &[(i64, i64, i64)],
    existing: &[(i64, i64, i64)],
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<SlotRow> {
    let mut by_practitioner: HashMap<i64, Vec<_>> = HashMap::new();
    for range in ranges {
        by_practitioner
            .entry(range.practitioner_id)
            .or_default()
            .extend(range.wanted(from, to));
    }
    let of = |rows: &[(i64, i64, i64)], id: i64| -> Vec<(i64, i64)> {
        rows.iter()
            .filter(|r| r.0 == id)
            .map(|r| (r.1, r.2))
            .collect()
    };
    let mut existing_by: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for row in existing {
        existing_by.entry(row.0).or_default().push((row.1, row.2));
    }
    by_practitioner
        .into_iter()
        .flat_map(|(id, wanted)| {
            let occupied = existing_by.remove(&id).unwrap_or_default();
            fit_slots(wanted, &occupied, &of(absences, id))
                .into_iter()
                .map(move |(start, end, (range_id, mode))| (id, range_id, start, end, mode))
        })
        .collect()
}

/// Columns of a range as stored: (weekday 1–7 or NULL, valid_from, valid_until, start, end minutes).
pub fn range_columns(times: &RangeTimes) -> (Option<i64>, String, Option<String>, i64, i64) {
    use chrono::Timelike;
    let minutes = |t: NaiveTime| i64::from(t.hour() * 60 + t.minute());
    let (weekday, from, until) = match &times.recurrence {
        Recurrence::Weekly {
            weekday,
            valid_from,
            valid_until,
        } => (
            Some(i64::from(weekday.number_from_monday())),
            *valid_from,
            *valid_until,
        ),
        Recurrence::Once(day) => (None, *day, None),
    };
    (
        weekday,
        from.to_string(),
        until.map(|d| d.to_string()),
        minutes(times.start),
        minutes(times.end),
    )
}

/// A unique-index violation on an address means it is taken.
pub fn email_error(err: sqlx::Error) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Taken("email"),
        _ => StoreError::Database(err),
    }
}

/// `NotFound` when a statement scoped to a practitioner touched nothing.
pub fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// Unix seconds of midnight UTC starting `day` (a bound for windows, not a Paris time).
pub fn day_start(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp()
}

/// Packs, per practitioner, the slots read by `repack!` (ordered by practitioner and time),
/// and tells whether some are video slots.
pub fn pack_by_practitioner(rows: Vec<(i64, i64, String)>) -> HashMap<i64, (Vec<u8>, bool)> {
    let mut by_practitioner: HashMap<i64, Vec<(i64, Mode)>> = HashMap::new();
    for (practitioner_id, starts_at, mode) in rows {
        if let Some(mode) = Mode::from_code(&mode) {
            by_practitioner
                .entry(practitioner_id)
                .or_default()
                .push((starts_at, mode));
        }
    }
    by_practitioner
        .into_iter()
        .map(|(id, slots)| {
            let video = slots.iter().any(|s| s.1 == Mode::Video);
            (id, (crate::domain::search::pack_slots(slots), video))
        })
        .collect()
}

pub const CELL_MEMBER_SELECT: &str =
    "SELECT id, specialty, sas_registered, latitude, longitude, departement,
    sas_video, sas_slots FROM practitioners";

/// The SAS practitioners grouped by cell, by id within a cell.
pub fn cells_from(members: Vec<CellMember>) -> BTreeMap<(String, i64, i64), Vec<CellEntry>> {
    let mut cells: BTreeMap<(String, i64, i64), Vec<CellEntry>> = BTreeMap::new();
    for m in members.into_iter().filter(|m| m.sas_registered) {
        cells.entry(m.key()).or_default().push(m.entry);
    }
    for entries in cells.values_mut() {
        entries.sort_by_key(|e| e.id);
    }
    cells
}

/// ` AND …` conditions keeping the slots of `filter`. They repeat the predicate of the partial
/// index `slots_search`, so that both databases read that index only.
pub fn push_slot_filter<'a, DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<'a, DB>,
    filter: &SlotFilter<'a>,
) where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    // Intervals are sorted and merged: the first starts earliest, the last ends latest.
    let from = filter.intervals.first().map_or(0, |i| i.0);
    let to = filter.intervals.last().map_or(0, |i| i.1);
    q.push(" AND s.sas_flags > 0 AND NOT s.taken AND s.starts_at >= ")
        .push_bind(from)
        .push(" AND s.starts_at < ")
        .push_bind(to);
    if filter.intervals.len() > 1 {
        q.push(" AND (");
        for (i, (a, b)) in filter.intervals.iter().enumerate() {
            q.push(if i == 0 { "" } else { " OR " })
                .push("(s.starts_at >= ")
                .push_bind(*a)
                .push(" AND s.starts_at < ")
                .push_bind(*b)
                .push(")");
        }
        q.push(")");
    }
    if let [mode] = filter.modes {
        q.push(" AND s.mode = ").push_bind(mode.code());
    }
}

/// `WHERE …` keeping the SAS practitioners of `area` and of `specialty`. A circle is a
/// bounding box (what the index ranges over) and a flat-earth distance slightly wider than the
/// radius, so that fewer rows leave the database; the exact distance is checked afterwards.
pub fn push_practitioner_area<'a, DB: sqlx::Database>(
    q: &mut sqlx::QueryBuilder<'a, DB>,
    area: &'a SearchArea,
    specialty: &'a str,
) where
    f64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    q.push(" WHERE p.sas_registered AND p.specialty = ")
        .push_bind(specialty);
    match area {
        SearchArea::Circle { center, radius_km } => {
            let (lat0, lat1, lon0, lon1) = crate::domain::place::bounding_box(*center, *radius_km);
            // The radius in degrees of latitude, and the smallest shrink of a degree of longitude
            // over the box, so that the test never leaves out a practitioner within the radius.
            let degrees = (radius_km * 1.02 / 6371.0).to_degrees();
            let shrink = lat0.abs().max(lat1.abs()).to_radians().cos().powi(2);
            q.push(" AND p.latitude BETWEEN ")
                .push_bind(lat0)
                .push(" AND ")
                .push_bind(lat1)
                .push(" AND p.longitude BETWEEN ")
                .push_bind(lon0)
                .push(" AND ")
                .push_bind(lon1)
                .push(" AND (p.latitude - ")
                .push_bind(center.0)
                .push(") * (p.latitude - ")
                .push_bind(center.0)
                .push(") + (p.longitude - ")
                .push_bind(center.1)
                .push(") * (p.longitude - ")
                .push_bind(center.1)
                .push(") * ")
                .push_bind(shrink)
                .push(" <= ")
                .push_bind(degrees * degrees);
        }
        SearchArea::Departement(code) => {
            q.push(" AND p.departement = ").push_bind(code.as_str());
        }
        SearchArea::VideoInDepartement(code) => {
            q.push(" AND p.departement = ")
                .push_bind(code.as_str())
                .push(" AND p.sas_video");
        }
    }
}

pub const COMMUNE_COLUMNS: &str =
    "c.insee_code, c.name, c.departement, c.postcodes, c.population, c.latitude, c.longitude";

/// A unique-index violation on booking means another request was faster: for the slot
/// (`SlotTaken`) or with the same idempotency key (`Taken("idempotency_key")`).
pub fn booking_error(err: sqlx::Error) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => {
            let on_key = db.constraint() == Some("appointments_idempotency")
                || db.message().contains("idempotency_key");
            if on_key {
                StoreError::Taken("idempotency_key")
            } else {
                StoreError::SlotTaken
            }
        }
        _ => StoreError::Database(err),
    }
}

/// The patient's birth place as stored: (INSEE code, city, country).
pub fn birth_columns(place: Option<&BirthPlace>) -> (Option<&str>, Option<&str>, Option<&str>) {
    match place {
        Some(BirthPlace::France { insee, city }) => (Some(insee.as_str()), Some(city), None),
        Some(BirthPlace::Abroad { country }) => (None, None, Some(country)),
        None => (None, None, None),
    }
}

/// Implements `Store` for a backend struct that has a `pool` field and a
/// `begin_write()` method opening a write transaction.
macro_rules! impl_store {
    ($store:ty, $backend:literal) => {
        #[async_trait::async_trait]
        impl $crate::server::store::Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
                let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
                Ok(sqlx::query_as(&sql).bind(email).fetch_optional(&self.pool).await?)
            }

            async fn insert_user(&self, user: &NewUser<'_>) -> StoreResult<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO users (email, password_hash, role, first_name, last_name, practitioner_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(user.email)
                .bind(user.password_hash)
                .bind(user.role.code())
                .bind(user.first_name)
                .bind(user.last_name)
                .bind(user.practitioner_id)
                .bind(user.created_at)
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn insert_session(&self, token_hash: &str, user_id: i64, now: i64, expires_at: i64) -> StoreResult<()> {
                sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash)
                    .bind(user_id)
                    .bind(now)
                    .bind(expires_at)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn session_user(&self, token_hash: &str, now: i64) -> StoreResult<Option<UserRecord>> {
                let sql = format!(
                    "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
                );
                Ok(sqlx::query_as(&sql).bind(token_hash).bind(now).fetch_optional(&self.pool).await?)
            }

            async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn disable_user(&self, user_id: i64) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query("UPDATE users SET disabled = TRUE WHERE id = $1 AND NOT disabled")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(changed == 1)
            }

            async fn insert_regulator(&self, r: &NewRegulator<'_>, token: &NewToken<'_>) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO regulators (civility, first_name, last_name, email, departement, invited_by, invited_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(r.civility)
                .bind(r.first_name)
                .bind(r.last_name)
                .bind(r.email)
                .bind(r.departement)
                .bind(r.invited_by)
                .bind(r.invited_at)
                .fetch_one(&mut *tx)
                .await
                .map_err(email_error)?;
                insert_token!(&mut *tx, token, "invitation", Some(id), None::<i64>);
                tx.commit().await?;
                Ok(id)
            }

            async fn regulators(&self) -> StoreResult<Vec<RegulatorRecord>> {
                let sql = format!("{REGULATOR_SELECT} ORDER BY r.invited_at DESC, r.id DESC");
                Ok(sqlx::query_as(&sql).fetch_all(&self.pool).await?)
            }

            async fn regulator(&self, id: i64) -> StoreResult<Option<RegulatorRecord>> {
                let sql = format!("{REGULATOR_SELECT} WHERE r.id = $1");
                Ok(sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn renew_invitation(&self, regulator_id: i64, token: &NewToken<'_>) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let pending: Option<(i64,)> = sqlx::query_as(
                    "SELECT id FROM regulators WHERE id = $1 AND user_id IS NULL AND revoked_at IS NULL",
                )
                .bind(regulator_id)
                .fetch_optional(&mut *tx)
                .await?;
                if pending.is_none() {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM account_tokens WHERE regulator_id = $1 AND used_at IS NULL")
                    .bind(regulator_id)
                    .execute(&mut *tx)
                    .await?;
                insert_token!(&mut *tx, token, "invitation", Some(regulator_id), None::<i64>);
                tx.commit().await?;
                Ok(true)
            }

            async fn revoke_invitation(&self, regulator_id: i64, now: i64) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE regulators SET revoked_at = $2 WHERE id = $1 AND user_id IS NULL AND revoked_at IS NULL",
                )
                .bind(regulator_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                sqlx::query("DELETE FROM account_tokens WHERE regulator_id = $1 AND used_at IS NULL")
                    .bind(regulator_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(changed == 1)
            }

            async fn account_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
                Ok(sqlx::query_as(
                    "SELECT purpose, regulator_id, user_id, expires_at, used_at FROM account_tokens WHERE token_hash = $1",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn accept_invitation(&self, token_hash: &str, now: i64, account: &NewAccount<'_>) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let used: Option<(Option<i64>,)> = sqlx::query_as(
                    "UPDATE account_tokens SET used_at = $2
                     WHERE token_hash = $1 AND purpose = 'invitation' AND used_at IS NULL AND expires_at > $2
                     RETURNING regulator_id",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let regulator_id = used.and_then(|(id,)| id).ok_or(StoreError::TokenUnusable)?;
                let names: Option<(String, String)> = sqlx::query_as(
                    "SELECT first_name, last_name FROM regulators
                     WHERE id = $1 AND user_id IS NULL AND revoked_at IS NULL",
                )
                .bind(regulator_id)
                .fetch_optional(&mut *tx)
                .await?;
                let (first_name, last_name) = names.ok_or(StoreError::TokenUnusable)?;
                let (user_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO users (email, password_hash, role, first_name, last_name, created_at, profession)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(account.email)
                .bind(account.password_hash)
                .bind(account.role.code())
                .bind(&first_name)
                .bind(&last_name)
                .bind(account.created_at)
                .bind(account.profession)
                .fetch_one(&mut *tx)
                .await
                .map_err(email_error)?;
                sqlx::query("UPDATE regulators SET user_id = $2 WHERE id = $1")
                    .bind(regulator_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(user_id)
            }

            async fn insert_reset_token(&self, user_id: i64, token: &NewToken<'_>) -> StoreResult<()> {
                let mut conn = self.pool.acquire().await?;
                insert_token!(&mut *conn, token, "reset", None::<i64>, Some(user_id));
                Ok(())
            }

            async fn reset_password(&self, token_hash: &str, now: i64, password_hash: &str) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let used: Option<(Option<i64>,)> = sqlx::query_as(
                    "UPDATE account_tokens SET used_at = $2
                     WHERE token_hash = $1 AND purpose = 'reset' AND used_at IS NULL AND expires_at > $2
                     RETURNING user_id",
                )
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
                let user_id = used.and_then(|(id,)| id).ok_or(StoreError::TokenUnusable)?;
                let changed = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1 AND NOT disabled")
                    .bind(user_id)
                    .bind(password_hash)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed == 0 {
                    return Err(StoreError::TokenUnusable);
                }
                // The other links of the account stop working, and so do its open sessions.
                sqlx::query("UPDATE account_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL")
                    .bind(user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(user_id)
            }

            async fn record_attempt(&self, keys: &[&str], at: i64, forget_before: i64) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                for key in keys {
                    sqlx::query("DELETE FROM throttle_events WHERE key = $1 AND at < $2")
                        .bind(key)
                        .bind(forget_before)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("INSERT INTO throttle_events (key, at) VALUES ($1, $2)")
                        .bind(key)
                        .bind(at)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn attempts(&self, key: &str, since: i64) -> StoreResult<i64> {
                let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM throttle_events WHERE key = $1 AND at >= $2")
                    .bind(key)
                    .bind(since)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count)
            }

            async fn clear_attempts(&self, key: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM throttle_events WHERE key = $1").bind(key).execute(&self.pool).await?;
                Ok(())
            }

            async fn queue_mail(&self, mail: &OutboxMail<'_>) -> StoreResult<()> {
                sqlx::query("INSERT INTO outbox (created_at, recipient, subject, body) VALUES ($1, $2, $3, $4)")
                    .bind(mail.created_at)
                    .bind(mail.recipient)
                    .bind(mail.subject)
                    .bind(mail.body)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
                Ok(sqlx::query_as("SELECT id, created_at, recipient, subject, body FROM outbox ORDER BY id DESC LIMIT $1")
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn insert_practitioner(&self, p: &NewPractitioner<'_>) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let id = insert_practitioner!(&mut *tx, p);
                tx.commit().await?;
                Ok(id)
            }

            async fn insert_reason(&self, practitioner_id: i64, reason: &NewReason<'_>) -> StoreResult<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO reasons (practitioner_id, name, duration_minutes, open_to_new_patients,
                         bookable_online, is_snp)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(practitioner_id)
                .bind(reason.name)
                .bind(reason.duration_minutes)
                .bind(reason.flags.open_to_new_patients)
                .bind(reason.flags.bookable_online)
                .bind(reason.flags.is_snp)
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn insert_range(&self, practitioner_id: i64, range: &NewRange<'_>) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let id = insert_range!(&mut *tx, practitioner_id, range);
                tx.commit().await?;
                Ok(id)
            }

            async fn materialize_slots(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let sql = format!("SELECT {RANGE_COLUMNS} FROM ranges");
                let ranges: Vec<RangeRow> = sqlx::query_as(&sql).fetch_all(&mut *tx).await?;
                // Slots last less than a day: a margin of two days around the window is enough.
                let (lo, hi) = (day_start(from) - 2 * 86_400, day_start(to) + 3 * 86_400);
                let absences: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT practitioner_id, starts_at, ends_at FROM absences WHERE ends_at > $1 AND starts_at < $2",
                )
                .bind(lo)
                .bind(hi)
                .fetch_all(&mut *tx)
                .await?;
                let existing: Vec<(i64, i64, i64)> = sqlx::query_as(
                    "SELECT practitioner_id, starts_at, ends_at FROM slots WHERE starts_at >= $1 AND starts_at < $2",
                )
                .bind(lo)
                .bind(hi)
                .fetch_all(&mut *tx)
                .await?;
                let rows = plan_top_up(&ranges, &absences, &existing, from, to);
                let created = insert_slots!(&mut *tx, rows);
                if created > 0 {
                    let mut touched: Vec<i64> = rows.iter().map(|r| r.0).collect();
                    touched.sort_unstable();
                    touched.dedup();
                    reflag!(&mut *tx, &touched);
                }
                tx.commit().await?;
                Ok(created)
            }

            async fn register_practitioner(&self, p: &NewPractitioner<'_>, account: &NewUser<'_>) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let role: Option<(String,)> = sqlx::query_as("SELECT role FROM users WHERE email = $1")
                    .bind(account.email)
                    .fetch_optional(&mut *tx)
                    .await?;
                match role {
                    Some((role,)) if role == "regulator" => return Err(StoreError::Taken("regulator_email")),
                    Some(_) => return Err(StoreError::Taken("email")),
                    None => {}
                }
                let rpps: Option<(i64,)> = sqlx::query_as("SELECT id FROM practitioners WHERE rpps = $1")
                    .bind(p.rpps)
                    .fetch_optional(&mut *tx)
                    .await?;
                if rpps.is_some() {
                    return Err(StoreError::Taken("rpps"));
                }
                let practitioner_id = insert_practitioner!(&mut *tx, p);
                let (user_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO users (email, password_hash, role, first_name, last_name, practitioner_id, created_at)
                     VALUES ($1, $2, 'practitioner', $3, $4, $5, $6) RETURNING id",
                )
                .bind(account.email)
                .bind(account.password_hash)
                .bind(account.first_name)
                .bind(account.last_name)
                .bind(practitioner_id)
                .bind(account.created_at)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(user_id)
            }

            async fn practitioner_profile(&self, practitioner_id: i64) -> StoreResult<Option<PractitionerProfile>> {
                Ok(sqlx::query_as(
                    "SELECT id, civility, first_name, last_name, specialty, sas_registered, accepts_new_patients,
                         booking_notice, extra_fields
                     FROM practitioners WHERE id = $1",
                )
                .bind(practitioner_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn update_settings(&self, practitioner_id: i64, settings: &Settings) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE practitioners SET sas_registered = $2, accepts_new_patients = $3, booking_notice = $4,
                         extra_fields = $5
                     WHERE id = $1",
                )
                .bind(practitioner_id)
                .bind(settings.sas_registered)
                .bind(settings.accepts_new_patients)
                .bind(&settings.booking_notice)
                .bind(crate::domain::practitioner::ExtraField::join(&settings.extra_fields))
                .execute(&mut *tx)
                .await?;
                found(updated.rows_affected())?;
                // The eligibility verdicts of the practitioner's slots follow the change.
                reflag!(&mut *tx, &[practitioner_id]);
                tx.commit().await?;
                Ok(())
            }

            async fn reasons(&self, practitioner_id: i64) -> StoreResult<Vec<ReasonRecord>> {
                Ok(sqlx::query_as(
                    "SELECT id, name, duration_minutes, open_to_new_patients, bookable_online, is_snp, archived
                     FROM reasons WHERE practitioner_id = $1 ORDER BY is_snp DESC, archived, id",
                )
                .bind(practitioner_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn update_reason(&self, practitioner_id: i64, reason_id: i64, reason: &ReasonForm) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE reasons SET name = CASE WHEN is_snp THEN name ELSE $3 END, duration_minutes = $4,
                         open_to_new_patients = $5, bookable_online = $6
                     WHERE id = $1 AND practitioner_id = $2",
                )
                .bind(reason_id)
                .bind(practitioner_id)
                .bind(reason.name.as_deref().unwrap_or(crate::domain::practitioner::SNP_NAME))
                .bind(i64::from(reason.duration_minutes))
                .bind(reason.open_to_new_patients)
                .bind(reason.bookable_online)
                .execute(&mut *tx)
                .await?;
                found(updated.rows_affected())?;
                // The eligibility verdicts of the practitioner's slots follow the change.
                reflag!(&mut *tx, &[practitioner_id]);
                tx.commit().await?;
                Ok(())
            }

            async fn set_reason_archived(&self, practitioner_id: i64, reason_id: i64, archived: bool) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query("UPDATE reasons SET archived = $3 WHERE id = $1 AND practitioner_id = $2")
                    .bind(reason_id)
                    .bind(practitioner_id)
                    .bind(archived)
                    .execute(&mut *tx)
                    .await?;
                found(updated.rows_affected())?;
                // The eligibility verdicts of the practitioner's slots follow the change.
                reflag!(&mut *tx, &[practitioner_id]);
                tx.commit().await?;
                Ok(())
            }

            async fn add_snp_reason(&self, practitioner_id: i64) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let existing: Option<(i64,)> =
                    sqlx::query_as("SELECT id FROM reasons WHERE practitioner_id = $1 AND is_snp")
                        .bind(practitioner_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                let id = match existing {
                    Some((id,)) => {
                        sqlx::query("UPDATE reasons SET archived = FALSE WHERE id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await?;
                        id
                    }
                    None => {
                        let (id,): (i64,) = sqlx::query_as(
                            "INSERT INTO reasons (practitioner_id, name, duration_minutes, open_to_new_patients,
                                 bookable_online, is_snp)
                             VALUES ($1, $2, 20, FALSE, FALSE, TRUE) RETURNING id",
                        )
                        .bind(practitioner_id)
                        .bind(crate::domain::practitioner::SNP_NAME)
                        .fetch_one(&mut *tx)
                        .await?;
                        id
                    }
                };
                tx.commit().await?;
                Ok(id)
            }

            async fn ranges(&self, practitioner_id: i64) -> StoreResult<Vec<RangeRecord>> {
                let sql = format!("SELECT {RANGE_COLUMNS} FROM ranges WHERE practitioner_id = $1 ORDER BY id");
                let rows: Vec<RangeRow> = sqlx::query_as(&sql).bind(practitioner_id).fetch_all(&self.pool).await?;
                let links: Vec<(i64, i64)> = sqlx::query_as(
                    "SELECT rr.range_id, rr.reason_id FROM range_reasons rr JOIN ranges g ON g.id = rr.range_id
                     WHERE g.practitioner_id = $1 ORDER BY rr.reason_id",
                )
                .bind(practitioner_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .iter()
                    .filter_map(|row| {
                        Some(RangeRecord {
                            id: row.id,
                            times: row.times()?,
                            mode: Mode::from_code(&row.mode)?,
                            reason_ids: links.iter().filter(|l| l.0 == row.id).map(|l| l.1).collect(),
                        })
                    })
                    .collect())
            }

            async fn save_ranges(
                &self,
                practitioner_id: i64,
                replace: Option<i64>,
                ranges: &[NewRange<'_>],
                horizon: &Horizon,
            ) -> StoreResult<Vec<i64>> {
                let mut tx = self.begin_write().await?;
                let sql = format!("SELECT {RANGE_COLUMNS} FROM ranges WHERE practitioner_id = $1");
                let mut existing: Vec<RangeRow> = sqlx::query_as(&sql).bind(practitioner_id).fetch_all(&mut *tx).await?;
                if let Some(replaced) = replace {
                    let before = existing.len();
                    existing.retain(|r| r.id != replaced);
                    if existing.len() == before {
                        return Err(StoreError::NotFound);
                    }
                }
                let active: Vec<(i64,)> =
                    sqlx::query_as("SELECT id FROM reasons WHERE practitioner_id = $1 AND NOT archived")
                        .bind(practitioner_id)
                        .fetch_all(&mut *tx)
                        .await?;
                let mut kept: Vec<RangeTimes> = existing.iter().filter_map(RangeRow::times).collect();
                for range in ranges {
                    if !range.reason_ids.iter().all(|id| active.contains(&(*id,))) {
                        return Err(StoreError::UnknownReason);
                    }
                    if let Some(other) = kept.iter().find(|other| other.overlaps(&range.times)) {
                        return Err(StoreError::Overlap(other.label_fr()));
                    }
                    kept.push(range.times.clone());
                }
                let mut ids = Vec::new();
                for (i, range) in ranges.iter().enumerate() {
                    let id = match replace.filter(|_| i == 0) {
                        Some(id) => {
                            let (weekday, from, until, start, end) = range_columns(&range.times);
                            sqlx::query(
                                "UPDATE ranges SET weekday = $2, valid_from = $3, valid_until = $4, start_minute = $5,
                                     end_minute = $6, slot_minutes = $7, mode = $8
                                 WHERE id = $1",
                            )
                            .bind(id)
                            .bind(weekday)
                            .bind(from)
                            .bind(until)
                            .bind(start)
                            .bind(end)
                            .bind(i64::from(range.times.slot_minutes))
                            .bind(range.mode.code())
                            .execute(&mut *tx)
                            .await?;
                            sqlx::query("DELETE FROM range_reasons WHERE range_id = $1")
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                            link_reasons!(&mut *tx, practitioner_id, id, range.reason_ids);
                            id
                        }
                        None => insert_range!(&mut *tx, practitioner_id, range),
                    };
                    ids.push(id);
                }
                regenerate!(&mut *tx, practitioner_id, horizon);
                tx.commit().await?;
                Ok(ids)
            }

            async fn delete_range(&self, practitioner_id: i64, range_id: i64, horizon: &Horizon) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query("DELETE FROM ranges WHERE id = $1 AND practitioner_id = $2")
                    .bind(range_id)
                    .bind(practitioner_id)
                    .execute(&mut *tx)
                    .await?;
                found(deleted.rows_affected())?;
                regenerate!(&mut *tx, practitioner_id, horizon);
                tx.commit().await?;
                Ok(())
            }

            async fn absences(&self, practitioner_id: i64, after: i64) -> StoreResult<Vec<AbsenceRecord>> {
                Ok(sqlx::query_as(
                    "SELECT id, starts_at, ends_at, label FROM absences
                     WHERE practitioner_id = $1 AND ends_at > $2 ORDER BY starts_at, id",
                )
                .bind(practitioner_id)
                .bind(after)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn insert_absence(&self, practitioner_id: i64, absence: &Absence, horizon: &Horizon) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO absences (practitioner_id, starts_at, ends_at, label) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(practitioner_id)
                .bind(absence.start.timestamp())
                .bind(absence.end.timestamp())
                .bind(&absence.label)
                .fetch_one(&mut *tx)
                .await?;
                regenerate!(&mut *tx, practitioner_id, horizon);
                tx.commit().await?;
                Ok(id)
            }

            async fn delete_absence(&self, practitioner_id: i64, absence_id: i64, horizon: &Horizon) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query("DELETE FROM absences WHERE id = $1 AND practitioner_id = $2")
                    .bind(absence_id)
                    .bind(practitioner_id)
                    .execute(&mut *tx)
                    .await?;
                found(deleted.rows_affected())?;
                regenerate!(&mut *tx, practitioner_id, horizon);
                tx.commit().await?;
                Ok(())
            }

            async fn booking_questions(&self, practitioner_id: i64) -> StoreResult<Vec<QuestionRecord>> {
                Ok(sqlx::query_as(
                    "SELECT id, label, required FROM booking_questions
                     WHERE practitioner_id = $1 AND NOT archived ORDER BY id",
                )
                .bind(practitioner_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn insert_question(&self, practitioner_id: i64, label: &str, required: bool) -> StoreResult<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO booking_questions (practitioner_id, label, required) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(practitioner_id)
                .bind(label)
                .bind(required)
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn archive_question(&self, practitioner_id: i64, question_id: i64) -> StoreResult<()> {
                let updated = sqlx::query(
                    "UPDATE booking_questions SET archived = TRUE WHERE id = $1 AND practitioner_id = $2 AND NOT archived",
                )
                .bind(question_id)
                .bind(practitioner_id)
                .execute(&self.pool)
                .await?;
                found(updated.rows_affected())
            }

            async fn agenda_slots(&self, practitioner_id: i64, from: i64, to: i64) -> StoreResult<Vec<AgendaSlot>> {
                let mut slots: Vec<AgendaSlot> = sqlx::query_as(
                    "SELECT s.id AS slot_id, s.range_id, s.starts_at, s.ends_at, s.mode, a.id AS appointment_id,
                         a.status AS appointment_status, a.reason_name AS appointment_reason,
                         a.message AS appointment_message,
                         (SELECT COUNT(*) FROM attachments f WHERE f.appointment_id = a.id) AS appointment_files,
                         pa.first_name AS patient_first_name,
                         pa.last_name AS patient_last_name
                     FROM slots s
                     LEFT JOIN appointments a ON a.slot_id = s.id AND a.status <> 'cancelled'
                     LEFT JOIN patients pa ON pa.id = a.patient_id
                     WHERE s.practitioner_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3
                     ORDER BY s.starts_at",
                )
                .bind(practitioner_id)
                .bind(from)
                .bind(to)
                .fetch_all(&self.pool)
                .await?;
                let sql = format!(
                    "{REASON_FLAGS_SELECT} JOIN ranges g ON g.id = rr.range_id
                     WHERE g.practitioner_id = $1 AND NOT r.archived"
                );
                let rows = sqlx::query_as(&sql).bind(practitioner_id).fetch_all(&self.pool).await?;
                let by_range = reasons_by_range(rows);
                for slot in &mut slots {
                    slot.reasons = slot.range_id.and_then(|id| by_range.get(&id).cloned()).unwrap_or_default();
                }
                Ok(slots)
            }

            async fn refresh_visibility(&self, practitioner_id: i64) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                reflag!(&mut *tx, &[practitioner_id]);
                tx.commit().await?;
                Ok(())
            }

            async fn communes_version(&self) -> StoreResult<Option<String>> {
                let row: Option<(String,)> =
                    sqlx::query_as("SELECT version FROM reference_data WHERE name = 'communes'")
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.map(|r| r.0))
            }

            async fn replace_communes(
                &self,
                version: &str,
                departements: &[(String, String)],
                communes: &[CommuneRecord],
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                for table in ["commune_postcodes", "communes", "departements"] {
                    sqlx::query(&format!("DELETE FROM {table}")).execute(&mut *tx).await?;
                }
                for chunk in departements.chunks(500) {
                    let mut insert = sqlx::QueryBuilder::new("INSERT INTO departements (code, name) ");
                    insert.push_values(chunk, |mut b, (code, name)| {
                        b.push_bind(code).push_bind(name);
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                for chunk in communes.chunks(1000) {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO communes (insee_code, name, search_name, departement, postcodes, population,
                             latitude, longitude) ",
                    );
                    insert.push_values(chunk, |mut b, c| {
                        b.push_bind(&c.insee_code)
                            .push_bind(&c.name)
                            .push_bind(crate::domain::place::normalise(&c.name))
                            .push_bind(&c.departement)
                            .push_bind(&c.postcodes)
                            .push_bind(c.population)
                            .push_bind(c.latitude)
                            .push_bind(c.longitude);
                    });
                    insert.build().execute(&mut *tx).await?;
                    let pairs: Vec<(&str, &str)> = chunk
                        .iter()
                        .flat_map(|c| c.postcodes.split_whitespace().map(|p| (p, c.insee_code.as_str())))
                        .collect();
                    for pairs in pairs.chunks(1000) {
                        let mut insert =
                            sqlx::QueryBuilder::new("INSERT INTO commune_postcodes (postcode, insee_code) ");
                        insert.push_values(pairs, |mut b, (postcode, insee)| {
                            b.push_bind(*postcode).push_bind(*insee);
                        });
                        insert.push(" ON CONFLICT DO NOTHING");
                        insert.build().execute(&mut *tx).await?;
                    }
                }
                sqlx::query(
                    "INSERT INTO reference_data (name, version) VALUES ('communes', $1)
                     ON CONFLICT (name) DO UPDATE SET version = excluded.version",
                )
                .bind(version)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn find_communes(&self, text: &str, limit: i64) -> StoreResult<Vec<CommuneRecord>> {
                let text = text.trim();
                let (sql, key) = if !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit()) {
                    (
                        format!(
                            "SELECT DISTINCT {COMMUNE_COLUMNS} FROM commune_postcodes cp
                             JOIN communes c ON c.insee_code = cp.insee_code
                             WHERE cp.postcode >= $1 AND cp.postcode < $2
                             ORDER BY c.population DESC, c.name, c.insee_code LIMIT $3"
                        ),
                        text.to_string(),
                    )
                } else {
                    (
                        format!(
                            "SELECT {COMMUNE_COLUMNS} FROM communes c
                             WHERE c.search_name >= $1 AND c.search_name < $2
                             ORDER BY c.population DESC, c.name, c.insee_code LIMIT $3"
                        ),
                        crate::domain::place::normalise(text),
                    )
                };
                if key.is_empty() {
                    return Ok(Vec::new());
                }
                // Every normalised character sorts before '~': [key, key~) holds the names it starts.
                let end = format!("{key}~");
                Ok(sqlx::query_as(&sql).bind(&key).bind(&end).bind(limit).fetch_all(&self.pool).await?)
            }

            async fn commune(&self, insee_code: &str) -> StoreResult<Option<CommuneRecord>> {
                let sql = format!("SELECT {COMMUNE_COLUMNS} FROM communes c WHERE c.insee_code = $1");
                Ok(sqlx::query_as(&sql).bind(insee_code).fetch_optional(&self.pool).await?)
            }

            async fn departement(&self, code: &str) -> StoreResult<Option<DepartementRecord>> {
                Ok(sqlx::query_as(
                    "SELECT d.code, d.name, r.radius_km FROM departements d
                     LEFT JOIN search_radius r ON r.departement = d.code WHERE d.code = $1",
                )
                .bind(code)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn area_practitioners(
                &self,
                area: &SearchArea,
                specialty: &str,
                with_empty: bool,
            ) -> StoreResult<Vec<AreaPractitioner>> {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT p.id, p.latitude, p.longitude, p.sas_slots FROM practitioners p",
                );
                push_practitioner_area(&mut q, area, specialty);
                if !with_empty {
                    q.push(" AND p.sas_slots IS NOT NULL");
                }
                Ok(q.build_query_as().fetch_all(&self.pool).await?)
            }

            async fn grid_practitioners(
                &self,
                area: &SearchArea,
                specialty: &str,
                with_empty: bool,
            ) -> StoreResult<Vec<AreaPractitioner>> {
                // Rows, so that the blobs are read in place rather than copied.
                let rows = match area {
                    SearchArea::Circle { center, radius_km } => {
                        let (r0, r1, c0, c1) =
                            cells_of_box(crate::domain::place::bounding_box(*center, *radius_km));
                        sqlx::query(
                            "SELECT practitioners FROM search_cells
                             WHERE specialty = $1 AND cell_lat BETWEEN $2 AND $3 AND cell_lon BETWEEN $4 AND $5",
                        )
                        .bind(specialty)
                        .bind(r0)
                        .bind(r1)
                        .bind(c0)
                        .bind(c1)
                        .fetch_all(&self.pool)
                        .await?
                    }
                    SearchArea::Departement(code) | SearchArea::VideoInDepartement(code) => {
                        sqlx::query(
                            "SELECT c.practitioners FROM departement_cells d JOIN search_cells c
                                 ON c.specialty = d.specialty AND c.cell_lat = d.cell_lat AND c.cell_lon = d.cell_lon
                             WHERE d.departement = $1 AND d.specialty = $2",
                        )
                        .bind(code.as_str())
                        .bind(specialty)
                        .fetch_all(&self.pool)
                        .await?
                    }
                };
                let mut found = Vec::new();
                for row in &rows {
                    let blob: &[u8] = sqlx::Row::try_get(row, 0)?;
                    found.extend(
                        entries(blob)
                            .filter(|e| (with_empty || !e.slots.is_empty()) && in_area(e, area))
                            .map(|e| e.area_practitioner()),
                    );
                }
                Ok(found)
            }

            async fn search_cards(
                &self,
                practitioner_ids: &[i64],
                filter: &SlotFilter<'_>,
            ) -> StoreResult<(Vec<CardPractitioner>, Vec<SearchSlot>)> {
                if practitioner_ids.is_empty() {
                    return Ok((Vec::new(), Vec::new()));
                }
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT id, civility, first_name, last_name, specialty, address, postcode, city, phone
                     FROM practitioners WHERE id IN (",
                );
                let mut ids = q.separated(", ");
                for id in practitioner_ids {
                    ids.push_bind(*id);
                }
                q.push(")");
                let practitioners = q.build_query_as().fetch_all(&self.pool).await?;
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT s.id, s.practitioner_id, s.starts_at, s.mode, s.sas_flags FROM slots s
                     WHERE s.practitioner_id IN (",
                );
                let mut ids = q.separated(", ");
                for id in practitioner_ids {
                    ids.push_bind(*id);
                }
                q.push(")");
                push_slot_filter(&mut q, filter);
                q.push(" ORDER BY s.starts_at, s.id");
                let slots = q.build_query_as().fetch_all(&self.pool).await?;
                Ok((practitioners, slots))
            }

            async fn candidate_slots(&self, departement: &str, from: i64, to: i64) -> StoreResult<Vec<CandidateSlot>> {
                let sql = format!(
                    "{CANDIDATE_SELECT} WHERE p.departement = $1 AND p.sas_registered
                     AND s.starts_at >= $2 AND s.starts_at < $3 ORDER BY s.starts_at, p.id"
                );
                let mut slots: Vec<CandidateSlot> =
                    sqlx::query_as(&sql).bind(departement).bind(from).bind(to).fetch_all(&self.pool).await?;
                let sql = format!(
                    "{REASON_FLAGS_SELECT} JOIN ranges g ON g.id = rr.range_id
                     JOIN practitioners p ON p.id = g.practitioner_id
                     WHERE p.departement = $1 AND p.sas_registered AND NOT r.archived"
                );
                let reasons = sqlx::query_as(&sql).bind(departement).fetch_all(&self.pool).await?;
                attach_reasons(&mut slots, reasons);
                Ok(slots)
            }

            async fn candidate_slot(&self, slot_id: i64) -> StoreResult<Option<CandidateSlot>> {
                let mut conn = self.pool.acquire().await?;
                Ok(candidate_by_id!(&mut *conn, slot_id))
            }

            async fn slot_reasons(&self, slot_id: i64) -> StoreResult<Vec<SlotReasonRecord>> {
                Ok(sqlx::query_as(
                    "SELECT r.id, r.name, r.is_snp FROM slots s
                     JOIN range_reasons rr ON rr.range_id = s.range_id
                     JOIN reasons r ON r.id = rr.reason_id
                     WHERE s.id = $1 AND NOT r.archived ORDER BY r.is_snp DESC, r.name",
                )
                .bind(slot_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn hold_slot(
                &self,
                slot_id: i64,
                regulator_id: i64,
                now: i64,
                expires_at: i64,
                still_eligible: &(dyn for<'s> Fn(&'s CandidateSlot) -> bool + Send + Sync),
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                // One slot at a time per regulator: opening another gives the previous one back.
                let others: Vec<(i64,)> = sqlx::query_as(
                    "DELETE FROM slot_holds WHERE regulator_id = $1 AND slot_id <> $2 RETURNING slot_id",
                )
                .bind(regulator_id)
                .bind(slot_id)
                .fetch_all(&mut *tx)
                .await?;
                let mut practitioners = untake!(&mut *tx, &others);
                // Waits for a booking of this slot under way, then sees it.
                lock_slot!(&mut *tx, slot_id);
                let slot = candidate_by_id!(&mut *tx, slot_id).ok_or(StoreError::SlotTaken)?;
                if !still_eligible(&slot) {
                    return Err(StoreError::SlotTaken);
                }
                // Taken over only if the hold is this regulator's or has ended (a concurrent
                // hold committed first leaves nothing to update).
                let held = sqlx::query(
                    "INSERT INTO slot_holds (slot_id, regulator_id, created_at, expires_at) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (slot_id) DO UPDATE SET regulator_id = excluded.regulator_id,
                         created_at = excluded.created_at, expires_at = excluded.expires_at
                     WHERE slot_holds.regulator_id = excluded.regulator_id OR slot_holds.expires_at <= $3",
                )
                .bind(slot_id)
                .bind(regulator_id)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                if held.rows_affected() == 0 {
                    return Err(StoreError::SlotTaken);
                }
                sqlx::query("UPDATE slots SET taken = TRUE WHERE id = $1")
                    .bind(slot_id)
                    .execute(&mut *tx)
                    .await?;
                practitioners.push(slot.practitioner_id);
                repack!(&mut *tx, &practitioners);
                tx.commit().await?;
                Ok(())
            }

            async fn release_hold(&self, slot_id: i64, regulator_id: i64) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let released: Vec<(i64,)> = sqlx::query_as(
                    "DELETE FROM slot_holds WHERE slot_id = $1 AND regulator_id = $2 RETURNING slot_id",
                )
                .bind(slot_id)
                .bind(regulator_id)
                .fetch_all(&mut *tx)
                .await?;
                let practitioners = untake!(&mut *tx, &released);
                repack!(&mut *tx, &practitioners);
                tx.commit().await?;
                Ok(!released.is_empty())
            }

            async fn release_expired_holds(&self, now: i64) -> StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let released: Vec<(i64,)> =
                    sqlx::query_as("DELETE FROM slot_holds WHERE expires_at <= $1 RETURNING slot_id")
                        .bind(now)
                        .fetch_all(&mut *tx)
                        .await?;
                let practitioners = untake!(&mut *tx, &released);
                repack!(&mut *tx, &practitioners);
                tx.commit().await?;
                Ok(released.len() as u64)
            }

            async fn book(
                &self,
                booking: &NewBooking<'_>,
                still_eligible: &(dyn for<'s> Fn(&'s CandidateSlot) -> bool + Send + Sync),
            ) -> StoreResult<Booked> {
                match self.book_once(booking, still_eligible).await {
                    // A double submit that raced past the first check (stopped by the slot's lock,
                    // its index or the claimed hold): answer the first submit's appointment.
                    Err(e @ (StoreError::Taken(_) | StoreError::SlotTaken | StoreError::HoldExpired)) => {
                        match existing_booking!(&self.pool, booking) {
                            Some(id) => Ok(Booked { id, created: false }),
                            None if matches!(e, StoreError::Taken(_)) => Err(StoreError::SlotTaken),
                            None => Err(e),
                        }
                    }
                    other => other,
                }
            }

            async fn alternatives(&self, slot_id: i64, now: i64, limit: i64) -> StoreResult<Vec<AlternativeRecord>> {
                Ok(sqlx::query_as(
                    "SELECT s.id AS slot_id, s.starts_at, s.mode, p.first_name, p.last_name, p.address, p.city
                     FROM slots o
                     JOIN practitioners op ON op.id = o.practitioner_id
                     JOIN practitioners p ON p.departement = op.departement AND p.specialty = op.specialty
                         AND p.sas_registered
                     JOIN slots s ON s.practitioner_id = p.id AND s.mode = o.mode
                     WHERE o.id = $1 AND s.id <> o.id AND s.sas_flags > 0 AND NOT s.taken
                         AND s.starts_at > $2 AND s.starts_at < $2 + 259200
                     ORDER BY ABS(s.starts_at - o.starts_at), s.id LIMIT $3",
                )
                .bind(slot_id)
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn practitioner_appointments(&self, practitioner_id: i64) -> StoreResult<Vec<AppointmentRecord>> {
                let sql = format!("{APPOINTMENT_SELECT} WHERE a.practitioner_id = $1 ORDER BY a.starts_at, a.id");
                Ok(sqlx::query_as(&sql).bind(practitioner_id).fetch_all(&self.pool).await?)
            }

            async fn regulator_appointments(&self, regulator_id: i64) -> StoreResult<Vec<AppointmentRecord>> {
                let sql = format!("{APPOINTMENT_SELECT} WHERE a.regulator_id = $1 ORDER BY a.created_at DESC, a.id DESC");
                Ok(sqlx::query_as(&sql).bind(regulator_id).fetch_all(&self.pool).await?)
            }

            async fn appointment(&self, id: i64) -> StoreResult<Option<AppointmentRecord>> {
                let sql = format!("{APPOINTMENT_SELECT} WHERE a.id = $1");
                Ok(sqlx::query_as(&sql).bind(id).fetch_optional(&self.pool).await?)
            }

            async fn appointment_answers(&self, id: i64) -> StoreResult<Vec<AnswerRecord>> {
                Ok(sqlx::query_as(
                    "SELECT label, answer FROM appointment_answers WHERE appointment_id = $1 ORDER BY question_id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn cancel_appointment(
                &self,
                id: i64,
                reason: &str,
                now: i64,
                by: i64,
                ip: Option<&str>,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let cancelled: Option<(i64,)> = sqlx::query_as(
                    "UPDATE appointments SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3,
                         status_changed_at = $2
                     WHERE id = $1 AND status = 'booked' RETURNING slot_id",
                )
                .bind(id)
                .bind(now)
                .bind(reason)
                .fetch_optional(&mut *tx)
                .await?;
                let slot = cancelled.ok_or(StoreError::NotFound)?;
                audit_in!(&mut *tx, now, by, "appointment_cancelled", id, ip);
                // Back in the search at once (the slot is free unless someone holds it).
                let practitioners = untake!(&mut *tx, &[slot]);
                repack!(&mut *tx, &practitioners);
                tx.commit().await?;
                Ok(())
            }

            async fn set_outcome(&self, practitioner_id: i64, id: i64, status: &str, now: i64) -> StoreResult<()> {
                let done = sqlx::query(
                    "UPDATE appointments SET status = $3, status_changed_at = $4
                     WHERE id = $1 AND practitioner_id = $2 AND status <> 'cancelled'",
                )
                .bind(id)
                .bind(practitioner_id)
                .bind(status)
                .bind(now)
                .execute(&self.pool)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                Ok(())
            }

            async fn insert_attachment(&self, a: &NewAttachment<'_>) -> StoreResult<i64> {
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO attachments (token, regulator_id, file_name, content_type, size_bytes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(a.token)
                .bind(a.regulator_id)
                .bind(a.file_name)
                .bind(a.content_type)
                .bind(a.size_bytes)
                .bind(a.now)
                .fetch_one(&self.pool)
                .await?;
                Ok(id)
            }

            async fn attachment(&self, token: &str) -> StoreResult<Option<AttachmentRecord>> {
                let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE token = $1");
                Ok(sqlx::query_as(&sql).bind(token).fetch_optional(&self.pool).await?)
            }

            async fn forget_unused_attachments(&self, before: i64) -> StoreResult<Vec<String>> {
                let forgotten: Vec<(String,)> = sqlx::query_as(
                    "DELETE FROM attachments WHERE appointment_id IS NULL AND created_at < $1 RETURNING token",
                )
                .bind(before)
                .fetch_all(&self.pool)
                .await?;
                Ok(forgotten.into_iter().map(|(token,)| token).collect())
            }

            async fn appointment_attachments(&self, id: i64) -> StoreResult<Vec<AttachmentRecord>> {
                let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE appointment_id = $1 ORDER BY id");
                Ok(sqlx::query_as(&sql).bind(id).fetch_all(&self.pool).await?)
            }

            async fn analyze(&self) -> StoreResult<()> {
                // VACUUM also marks pages all-visible, so PostgreSQL can answer from the index alone.
                let sql = if $backend == "postgres" { "VACUUM ANALYZE" } else { "ANALYZE" };
                sqlx::raw_sql(sql).execute(&self.pool).await?;
                Ok(())
            }

            async fn audit(&self, entry: &AuditEntry<'_>) -> StoreResult<()> {
                sqlx::query("INSERT INTO audit_log (at, user_id, action, subject, ip) VALUES ($1, $2, $3, $4, $5)")
                    .bind(entry.at)
                    .bind(entry.user_id)
                    .bind(entry.action)
                    .bind(entry.subject)
                    .bind(entry.ip)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRecord>> {
                Ok(sqlx::query_as(
                    "SELECT l.at, u.email AS user_email, l.action, l.subject, l.ip
                     FROM audit_log l LEFT JOIN users u ON u.id = l.user_id ORDER BY l.id DESC LIMIT $1",
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }
        }

        impl $store {
            /// One booking transaction (see `Store::book`).
            async fn book_once(
                &self,
                booking: &NewBooking<'_>,
                still_eligible: &(dyn for<'s> Fn(&'s CandidateSlot) -> bool + Send + Sync),
            ) -> StoreResult<Booked> {
                let mut tx = self.begin_write().await?;
                if let Some(id) = existing_booking!(&mut *tx, booking) {
                    return Ok(Booked { id, created: false });
                }
                lock_slot!(&mut *tx, booking.slot_id);
                let slot = candidate_by_id!(&mut *tx, booking.slot_id).ok_or(StoreError::SlotTaken)?;
                if !still_eligible(&slot) {
                    return Err(StoreError::SlotTaken);
                }
                // The hold is this regulator's and running: claimed (deleted) in one statement.
                let claimed: Option<(i64,)> = sqlx::query_as(
                    "DELETE FROM slot_holds WHERE slot_id = $1 AND regulator_id = $2 AND expires_at > $3
                     RETURNING slot_id",
                )
                .bind(booking.slot_id)
                .bind(booking.regulator_id)
                .bind(booking.now)
                .fetch_optional(&mut *tx)
                .await?;
                if claimed.is_none() {
                    return Err(StoreError::HoldExpired);
                }
                let p = booking.patient;
                let (birth_insee, birth_city, birth_country) = birth_columns(p.birth_place.as_ref());
                let (patient_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO patients (civility, first_name, last_name, birth_name, birth_date, birth_insee,
                         birth_city, birth_country, phone, email, address, nir, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(p.civility.as_deref())
                .bind(p.first_name.as_str())
                .bind(p.last_name.as_str())
                .bind(p.birth_name.as_str())
                .bind(p.birth_date.date().to_string())
                .bind(birth_insee)
                .bind(birth_city)
                .bind(birth_country)
                .bind(p.phone.e164())
                .bind(p.email.as_ref().map(|e| e.as_str()))
                .bind(p.address.as_deref())
                .bind(p.nir.as_ref().map(|n| n.as_str()))
                .bind(booking.now)
                .fetch_one(&mut *tx)
                .await?;
                let c = booking.choices;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at, mode,
                         status, created_at, reason_name, known_patient, message, idempotency_key)
                     VALUES ($1, $2, $3, $4, $5, $6, 'booked', $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(slot.slot_id)
                .bind(slot.practitioner_id)
                .bind(booking.regulator_id)
                .bind(patient_id)
                .bind(slot.starts_at)
                .bind(&slot.mode)
                .bind(booking.now)
                .bind(&c.reason.name)
                .bind(c.known_patient)
                .bind(c.message.as_deref())
                .bind(booking.idempotency_key)
                .fetch_one(&mut *tx)
                .await
                .map_err(booking_error)?;
                for (question, answer) in &c.answers {
                    sqlx::query(
                        "INSERT INTO appointment_answers (appointment_id, question_id, label, answer)
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(question.id)
                    .bind(&question.label)
                    .bind(answer)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some(token) = booking.attachment {
                    let linked = sqlx::query(
                        "UPDATE attachments SET appointment_id = $1
                         WHERE token = $2 AND regulator_id = $3 AND appointment_id IS NULL",
                    )
                    .bind(id)
                    .bind(token)
                    .bind(booking.regulator_id)
                    .execute(&mut *tx)
                    .await?;
                    if linked.rows_affected() == 0 {
                        return Err(StoreError::UnknownAttachment);
                    }
                }
                audit_in!(&mut *tx, booking.now, booking.regulator_id, "appointment_created", id, booking.ip);
                // Already hidden by the hold; the flag now stands for the appointment.
                sqlx::query("UPDATE slots SET taken = TRUE WHERE id = $1")
                    .bind(slot.slot_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await.map_err(booking_error)?;
                Ok(Booked { id, created: true })
            }
        }
    };
}

/// Stores a single-use link through any connection or transaction.
macro_rules! insert_token {
    ($conn:expr, $token:expr, $purpose:literal, $regulator_id:expr, $user_id:expr) => {
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, purpose, regulator_id, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($token.token_hash)
        .bind($purpose)
        .bind($regulator_id)
        .bind($user_id)
        .bind($token.created_at)
        .bind($token.expires_at)
        .execute($conn)
        .await?
    };
}

/// One slot and its range's reasons, read through any connection or transaction.
macro_rules! candidate_by_id {
    ($conn:expr, $slot_id:expr) => {{
        let sql = format!("{CANDIDATE_SELECT} WHERE s.id = $1");
        let slot: Option<CandidateSlot> = sqlx::query_as(&sql)
            .bind($slot_id)
            .fetch_optional(&mut *$conn)
            .await?;
        match slot {
            Some(mut slot) => {
                let sql =
                    format!("{REASON_FLAGS_SELECT} WHERE rr.range_id = $1 AND NOT r.archived");
                let reasons = sqlx::query_as(&sql)
                    .bind(slot.range_id)
                    .fetch_all(&mut *$conn)
                    .await?;
                attach_reasons(std::slice::from_mut(&mut slot), reasons);
                Some(slot)
            }
            None => None,
        }
    }};
}

/// Inserts a practitioner through any connection or transaction; evaluates to its id.
macro_rules! insert_practitioner {
    ($conn:expr, $p:expr) => {{
        let p = $p;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO practitioners (rpps, civility, first_name, last_name, specialty, address, postcode,
                 city, insee_code, departement, latitude, longitude, phone, sas_registered,
                 accepts_new_patients, booking_notice)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
        )
        .bind(p.rpps)
        .bind(p.civility)
        .bind(p.first_name)
        .bind(p.last_name)
        .bind(p.specialty)
        .bind(p.address)
        .bind(p.postcode)
        .bind(p.city)
        .bind(p.insee_code)
        .bind(p.departement)
        .bind(p.latitude)
        .bind(p.longitude)
        .bind(p.phone)
        .bind(p.sas_registered)
        .bind(p.accepts_new_patients)
        .bind(p.booking_notice)
        .fetch_one(&mut *$conn)
        .await?;
        // Into its grid cell.
        recell!($conn, &[id]);
        id
    }};
}

/// Inserts slot rows (`SlotRow`) in chunks; evaluates to how many were created.
macro_rules! insert_slots {
    ($conn:expr, $rows:expr) => {{
        let mut created = 0;
        for chunk in $rows.chunks(500) {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO slots (practitioner_id, range_id, starts_at, ends_at, mode) ",
            );
            insert.push_values(chunk, |mut b, row| {
                b.push_bind(row.0)
                    .push_bind(row.1)
                    .push_bind(row.2)
                    .push_bind(row.3)
                    .push_bind(row.4.clone());
            });
            insert.push(" ON CONFLICT (practitioner_id, starts_at) DO NOTHING");
            created += insert.build().execute(&mut *$conn).await?.rows_affected();
        }
        created
    }};
}

/// Brings one practitioner's slots in line with their ranges and absences over the horizon,
/// inside the caller's transaction (see `plan_regeneration`).
macro_rules! regenerate {
    ($conn:expr, $practitioner_id:expr, $horizon:expr) => {{
        let (practitioner_id, horizon): (i64, &Horizon) = ($practitioner_id, $horizon);
        let sql = format!("SELECT {RANGE_COLUMNS} FROM ranges WHERE practitioner_id = $1");
        let ranges: Vec<RangeRow> = sqlx::query_as(&sql)
            .bind(practitioner_id)
            .fetch_all(&mut *$conn)
            .await?;
        let absences: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT starts_at, ends_at FROM absences WHERE practitioner_id = $1 AND ends_at > $2",
        )
        .bind(practitioner_id)
        .bind(horizon.now)
        .fetch_all(&mut *$conn)
        .await?;
        let sql = format!(
            "{EXISTING_SLOT_SELECT} WHERE s.practitioner_id = $1 AND s.ends_at > $2 ORDER BY s.starts_at"
        );
        let existing: Vec<ExistingSlot> = sqlx::query_as(&sql)
            .bind(practitioner_id)
            .bind(horizon.now)
            .fetch_all(&mut *$conn)
            .await?;
        let plan = plan_regeneration(practitioner_id, &ranges, &absences, &existing, horizon);
        for chunk in plan.delete.chunks(500) {
            let mut delete = sqlx::QueryBuilder::new("DELETE FROM slots WHERE id IN (");
            let mut ids = delete.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            delete.push(")");
            delete.build().execute(&mut *$conn).await?;
        }
        for chunk in plan.detach.chunks(500) {
            let mut detach = sqlx::QueryBuilder::new("UPDATE slots SET range_id = NULL WHERE id IN (");
            let mut ids = detach.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            detach.push(")");
            detach.build().execute(&mut *$conn).await?;
        }
        for (slot_id, range_id, mode) in &plan.attach {
            sqlx::query("UPDATE slots SET range_id = $2, mode = $3 WHERE id = $1")
                .bind(slot_id)
                .bind(range_id)
                .bind(mode)
                .execute(&mut *$conn)
                .await?;
        }
        insert_slots!($conn, plan.insert);
        reflag!($conn, &[practitioner_id]);
    }};
}

/// Repacks the visible free future slots of `practitioner_ids` into `practitioners.sas_slots`,
/// through any connection or transaction.
macro_rules! repack {
    ($conn:expr, $practitioner_ids:expr) => {{
        let mut sorted: Vec<i64> = $practitioner_ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let now = crate::server::now();
        for ids in sorted.chunks(500) {
            // Lock the practitioners first (in id order: no deadlock), so that on PostgreSQL
            // two transactions repacking one practitioner read each other's committed slots
            // instead of overwriting each other's packing. SQLite writes one at a time anyway.
            let mut lock = sqlx::QueryBuilder::new(
                "UPDATE practitioners SET sas_video = sas_video WHERE id IN (",
            );
            let mut list = lock.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            lock.push(")").build().execute(&mut *$conn).await?;
            let mut q = sqlx::QueryBuilder::new(
                "SELECT s.practitioner_id, s.starts_at, s.mode FROM slots s WHERE s.practitioner_id IN (",
            );
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            q.push(") AND s.sas_flags > 0 AND NOT s.taken AND s.starts_at > ")
                .push_bind(now)
                .push(" ORDER BY s.practitioner_id, s.starts_at");
            let packed = pack_by_practitioner(q.build_query_as().fetch_all(&mut *$conn).await?);
            for id in ids {
                let (slots, video) = packed.get(id).map_or((None, false), |(s, v)| (Some(s), *v));
                sqlx::query("UPDATE practitioners SET sas_slots = $1, sas_video = $2 WHERE id = $3")
                    .bind(slots)
                    .bind(video)
                    .bind(*id)
                    .execute(&mut *$conn)
                    .await?;
            }
        }
        recell!($conn, &sorted);
    }};
}

/// Rewrites the grid cells (`search_cells`) of `sorted_ids` from their practitioner rows, after
/// the practitioners' own locks: each cell in key order is locked and read by one upsert, then
/// patched. Through any connection or transaction.
macro_rules! recell {
    ($conn:expr, $sorted_ids:expr) => {{
        let mut members: Vec<CellMember> = Vec::new();
        for ids in $sorted_ids.chunks(500) {
            let mut q = sqlx::QueryBuilder::new(CELL_MEMBER_SELECT);
            q.push(" WHERE id IN (");
            let mut list = q.separated(", ");
            for id in ids {
                list.push_bind(*id);
            }
            q.push(")");
            members.extend(q.build_query_as::<CellMember>().fetch_all(&mut *$conn).await?);
        }
        let mut by_cell: std::collections::BTreeMap<(String, i64, i64), Vec<&CellMember>> =
            std::collections::BTreeMap::new();
        for m in &members {
            by_cell.entry(m.key()).or_default().push(m);
        }
        for ((specialty, row, col), members) in by_cell {
            let (blob,): (Vec<u8>,) = sqlx::query_as(
                "INSERT INTO search_cells (specialty, cell_lat, cell_lon, practitioners) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (specialty, cell_lat, cell_lon) DO UPDATE SET practitioners = search_cells.practitioners
                 RETURNING practitioners",
            )
            .bind(&specialty)
            .bind(row)
            .bind(col)
            .bind(Vec::<u8>::new())
            .fetch_one(&mut *$conn)
            .await?;
            for departement in members.iter().map(|m| &m.entry.departement).collect::<std::collections::BTreeSet<_>>() {
                sqlx::query(
                    "INSERT INTO departement_cells (departement, specialty, cell_lat, cell_lon) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                )
                .bind(departement)
                .bind(&specialty)
                .bind(row)
                .bind(col)
                .execute(&mut *$conn)
                .await?;
            }
            sqlx::query(
                "UPDATE search_cells SET practitioners = $1 WHERE specialty = $2 AND cell_lat = $3 AND cell_lon = $4",
            )
            .bind(patch(&blob, &members))
            .bind(&specialty)
            .bind(row)
            .bind(col)
            .execute(&mut *$conn)
            .await?;
        }
    }};
}

/// Fills `search_cells` from the practitioners once, on a database migrated before the grid
/// existed (the `reference_data` row `search_cells` says it is done).
macro_rules! fill_cells {
    ($tx:expr) => {{
        let mut tx = $tx;
        let first = sqlx::query(
            "INSERT INTO reference_data (name, version) VALUES ('search_cells', '1') ON CONFLICT (name) DO NOTHING",
        )
        .execute(&mut *tx)
        .await?;
        if first.rows_affected() == 1 {
            let sql = format!("{CELL_MEMBER_SELECT} WHERE sas_registered");
            let members: Vec<CellMember> = sqlx::query_as(&sql).fetch_all(&mut *tx).await?;
            for ((specialty, row, col), entries) in cells_from(members) {
                for departement in entries.iter().map(|e| &e.departement).collect::<std::collections::BTreeSet<_>>() {
                    sqlx::query(
                        "INSERT INTO departement_cells (departement, specialty, cell_lat, cell_lon)
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(departement)
                    .bind(&specialty)
                    .bind(row)
                    .bind(col)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "INSERT INTO search_cells (specialty, cell_lat, cell_lon, practitioners) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (specialty, cell_lat, cell_lon) DO UPDATE SET practitioners = excluded.practitioners",
                )
                .bind(&specialty)
                .bind(row)
                .bind(col)
                .bind(encode(&entries))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
    }};
}

/// Re-evaluates the eligibility rule on every slot of `practitioner_ids` (stored in
/// `slots.sas_flags`) and repacks their visible free slots, through any connection or
/// transaction: after a change of their SAS settings, ranges, reasons, absences or slots.
macro_rules! reflag {
    ($conn:expr, $practitioner_ids:expr) => {{
        let ids: &[i64] = $practitioner_ids;
        for practitioner_id in ids {
            let settings: Option<(bool, bool)> = sqlx::query_as(
                "SELECT sas_registered, accepts_new_patients FROM practitioners WHERE id = $1",
            )
            .bind(practitioner_id)
            .fetch_optional(&mut *$conn)
            .await?;
            let Some(settings) = settings else { continue };
            let ranges: Vec<(i64,)> =
                sqlx::query_as("SELECT id FROM ranges WHERE practitioner_id = $1")
                    .bind(practitioner_id)
                    .fetch_all(&mut *$conn)
                    .await?;
            let sql = format!(
                "{REASON_FLAGS_SELECT} JOIN ranges g ON g.id = rr.range_id
                 WHERE g.practitioner_id = $1 AND NOT r.archived"
            );
            let reasons = reasons_by_range(
                sqlx::query_as(&sql)
                    .bind(practitioner_id)
                    .fetch_all(&mut *$conn)
                    .await?,
            );
            for (range_id,) in ranges {
                sqlx::query(
                    "UPDATE slots SET sas_flags = $1 WHERE range_id = $2 AND sas_flags <> $1",
                )
                .bind(range_flags(settings, reasons.get(&range_id)))
                .bind(range_id)
                .execute(&mut *$conn)
                .await?;
            }
            // A slot detached from its range (outside the agenda) has no reason left: hidden.
            sqlx::query(
                "UPDATE slots SET sas_flags = 0 WHERE practitioner_id = $1 AND range_id IS NULL",
            )
            .bind(practitioner_id)
            .execute(&mut *$conn)
            .await?;
        }
        repack!($conn, ids);
    }};
}

/// Frees the given slots (`(slot_id,)` rows) unless an active appointment or a hold keeps them,
/// through any connection or transaction; evaluates to their practitioners, to repack.
macro_rules! untake {
    ($conn:expr, $slots:expr) => {{
        let mut practitioners: Vec<i64> = Vec::new();
        for (slot_id,) in $slots.iter() {
            let row: Option<(i64,)> = sqlx::query_as(
                "UPDATE slots SET taken =
                     EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = slots.id AND a.status <> 'cancelled')
                     OR EXISTS (SELECT 1 FROM slot_holds h WHERE h.slot_id = slots.id)
                 WHERE id = $1 RETURNING practitioner_id",
            )
            .bind(*slot_id)
            .fetch_optional(&mut *$conn)
            .await?;
            if let Some((practitioner_id,)) = row {
                practitioners.push(practitioner_id);
            }
        }
        practitioners
    }};
}

/// The appointment a regulator already created with this idempotency key, if any.
macro_rules! existing_booking {
    ($conn:expr, $booking:expr) => {{
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM appointments WHERE regulator_id = $1 AND idempotency_key = $2",
        )
        .bind($booking.regulator_id)
        .bind($booking.idempotency_key)
        .fetch_optional($conn)
        .await?;
        row.map(|(id,)| id)
    }};
}

/// Locks a slot's row until the end of the transaction (a no-op write: PostgreSQL takes the row
/// lock, SQLite already writes one transaction at a time).
macro_rules! lock_slot {
    ($conn:expr, $slot_id:expr) => {
        sqlx::query("UPDATE slots SET taken = taken WHERE id = $1")
            .bind($slot_id)
            .execute(&mut *$conn)
            .await?
    };
}

/// Writes the audit entry of a change to an appointment in the change's own transaction.
macro_rules! audit_in {
    ($conn:expr, $at:expr, $user_id:expr, $action:literal, $appointment_id:expr, $ip:expr) => {
        sqlx::query(
            "INSERT INTO audit_log (at, user_id, action, subject, ip) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind($at)
        .bind($user_id)
        .bind($action)
        .bind(format!("appointment:{}", $appointment_id))
        .bind($ip)
        .execute(&mut *$conn)
        .await?
    };
}

/// Inserts a range and links its reasons, through a transaction; evaluates to the range's id.
macro_rules! insert_range {
    ($conn:expr, $practitioner_id:expr, $range:expr) => {{
        let range: &NewRange<'_> = $range;
        let (weekday, from, until, start, end) = range_columns(&range.times);
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO ranges (practitioner_id, weekday, valid_from, valid_until, start_minute,
                 end_minute, slot_minutes, mode)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind($practitioner_id)
        .bind(weekday)
        .bind(from)
        .bind(until)
        .bind(start)
        .bind(end)
        .bind(i64::from(range.times.slot_minutes))
        .bind(range.mode.code())
        .fetch_one(&mut *$conn)
        .await?;
        link_reasons!($conn, $practitioner_id, id, range.reason_ids);
        id
    }};
}

/// Links reasons to a range; each must belong to the same practitioner.
macro_rules! link_reasons {
    ($conn:expr, $practitioner_id:expr, $range_id:expr, $reason_ids:expr) => {
        for reason_id in $reason_ids {
            let inserted = sqlx::query(
                "INSERT INTO range_reasons (range_id, reason_id)
                 SELECT $1, id FROM reasons WHERE id = $2 AND practitioner_id = $3",
            )
            .bind($range_id)
            .bind(reason_id)
            .bind($practitioner_id)
            .execute(&mut *$conn)
            .await?;
            if inserted.rows_affected() != 1 {
                return Err(StoreError::Database(sqlx::Error::RowNotFound));
            }
        }
    };
}
