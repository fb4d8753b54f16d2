//! The SQL both backends share. SQLite and PostgreSQL accept the same statements here
//! (`$n` parameters, `RETURNING`, `ON CONFLICT`, partial indexes), so each backend only says
//! how to connect, migrate and open a write transaction, and `impl_store!` writes the rest.

use super::{CandidateSlot, SearchArea, SlotFilter, StoreError};
use crate::domain::agenda::{Mode, RangeTimes, Recurrence};
use crate::domain::eligibility::{ReasonFlags, SasVisibility, range_visibility};
use chrono::{NaiveDate, NaiveTime, Weekday};
use std::collections::HashMap;

pub const USER_COLUMNS: &str =
    "u.id, u.email, u.password_hash, u.role, u.first_name, u.last_name, u.practitioner_id";

pub const CANDIDATE_SELECT: &str = "SELECT s.id AS slot_id, s.range_id, s.starts_at, s.ends_at, s.mode,
        EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled') AS booked,
        p.id AS practitioner_id, p.civility, p.first_name, p.last_name, p.specialty, p.address,
        p.postcode, p.city, p.phone, p.sas_registered, p.accepts_new_patients, p.booking_notice
    FROM slots s JOIN practitioners p ON p.id = s.practitioner_id";

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

/// A unique-index violation on booking means another regulator was faster.
pub fn booking_error(err: sqlx::Error) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::SlotTaken,
        _ => StoreError::Database(err),
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
                     WHERE s.token_hash = $1 AND s.expires_at > $2"
                );
                Ok(sqlx::query_as(&sql).bind(token_hash).bind(now).fetch_optional(&self.pool).await?)
            }

            async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
                Ok(())
            }

            async fn insert_practitioner(&self, p: &NewPractitioner<'_>) -> StoreResult<i64> {
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
                .fetch_one(&self.pool)
                .await?;
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
                let (weekday, from, until, start, end) = range_columns(&range.times);
                let mut tx = self.begin_write().await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO ranges (practitioner_id, weekday, valid_from, valid_until, start_minute,
                         end_minute, slot_minutes, mode)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(practitioner_id)
                .bind(weekday)
                .bind(from)
                .bind(until)
                .bind(start)
                .bind(end)
                .bind(i64::from(range.times.slot_minutes))
                .bind(range.mode.code())
                .fetch_one(&mut *tx)
                .await?;
                for reason_id in range.reason_ids {
                    // The reason must belong to the same practitioner.
                    let inserted = sqlx::query(
                        "INSERT INTO range_reasons (range_id, reason_id)
                         SELECT $1, id FROM reasons WHERE id = $2 AND practitioner_id = $3",
                    )
                    .bind(id)
                    .bind(reason_id)
                    .bind(practitioner_id)
                    .execute(&mut *tx)
                    .await?;
                    if inserted.rows_affected() != 1 {
                        return Err(StoreError::Database(sqlx::Error::RowNotFound));
                    }
                }
                tx.commit().await?;
                Ok(id)
            }

            async fn materialize_slots(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<u64> {
                let ranges: Vec<RangeRow> = sqlx::query_as(
                    "SELECT id, practitioner_id, weekday, valid_from, valid_until, start_minute, end_minute,
                         slot_minutes, mode FROM ranges ORDER BY id",
                )
                .fetch_all(&self.pool)
                .await?;
                let settings: std::collections::HashMap<i64, (bool, bool)> =
                    sqlx::query_as::<_, (i64, bool, bool)>("SELECT id, sas_registered, accepts_new_patients FROM practitioners")
                        .fetch_all(&self.pool)
                        .await?
                        .into_iter()
                        .map(|(id, sas, accepts)| (id, (sas, accepts)))
                        .collect();
                let sql = format!("{REASON_FLAGS_SELECT} WHERE NOT r.archived");
                let reasons = reasons_by_range(sqlx::query_as(&sql).fetch_all(&self.pool).await?);
                let mut created = 0;
                let mut tx = self.begin_write().await?;
                // A few hundred ranges at a time keeps memory flat on a national data set.
                for ranges in ranges.chunks(256) {
                    let rows: Vec<(i64, i64, i64, i64, &str, i64)> = ranges
                        .iter()
                        .filter_map(|r| Some((r, r.times()?)))
                        .flat_map(|(r, times)| {
                            let practitioner = settings.get(&r.practitioner_id).copied().unwrap_or_default();
                            let flags = range_flags(practitioner, reasons.get(&r.id));
                            times.slots(from, to).into_iter().map(move |(start, end)| {
                                (r.practitioner_id, r.id, start.timestamp(), end.timestamp(), r.mode.as_str(), flags)
                            })
                        })
                        .collect();
                    let mut practitioners: Vec<i64> = ranges.iter().map(|r| r.practitioner_id).collect();
                    practitioners.sort_unstable();
                    practitioners.dedup();
                    let before = created;
                    for chunk in rows.chunks(500) {
                        let mut insert = sqlx::QueryBuilder::new(
                            "INSERT INTO slots (practitioner_id, range_id, starts_at, ends_at, mode, sas_flags) ",
                        );
                        insert.push_values(chunk, |mut b, row| {
                            b.push_bind(row.0)
                                .push_bind(row.1)
                                .push_bind(row.2)
                                .push_bind(row.3)
                                .push_bind(row.4)
                                .push_bind(row.5);
                        });
                        insert.push(" ON CONFLICT (practitioner_id, starts_at) DO NOTHING");
                        created += insert.build().execute(&mut *tx).await?.rows_affected();
                    }
                    if created > before {
                        repack!(&mut *tx, &practitioners);
                    }
                }
                tx.commit().await?;
                Ok(created)
            }

            async fn refresh_visibility(&self, practitioner_id: i64) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                let settings: Option<(bool, bool)> = sqlx::query_as(
                    "SELECT sas_registered, accepts_new_patients FROM practitioners WHERE id = $1",
                )
                .bind(practitioner_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(settings) = settings else {
                    return Ok(());
                };
                let ranges: Vec<(i64,)> = sqlx::query_as("SELECT id FROM ranges WHERE practitioner_id = $1")
                    .bind(practitioner_id)
                    .fetch_all(&mut *tx)
                    .await?;
                let sql = format!(
                    "{REASON_FLAGS_SELECT} JOIN ranges g ON g.id = rr.range_id
                     WHERE g.practitioner_id = $1 AND NOT r.archived"
                );
                let reasons = reasons_by_range(
                    sqlx::query_as(&sql).bind(practitioner_id).fetch_all(&mut *tx).await?,
                );
                for (range_id,) in ranges {
                    sqlx::query("UPDATE slots SET sas_flags = $1 WHERE range_id = $2 AND sas_flags <> $1")
                        .bind(range_flags(settings, reasons.get(&range_id)))
                        .bind(range_id)
                        .execute(&mut *tx)
                        .await?;
                }
                // A slot whose range was deleted has no reason left: hidden.
                sqlx::query("UPDATE slots SET sas_flags = 0 WHERE practitioner_id = $1 AND range_id IS NULL")
                    .bind(practitioner_id)
                    .execute(&mut *tx)
                    .await?;
                repack!(&mut *tx, &[practitioner_id]);
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

            async fn book(
                &self,
                booking: &NewBooking<'_>,
                still_eligible: &(dyn for<'s> Fn(&'s CandidateSlot) -> bool + Send + Sync),
            ) -> StoreResult<i64> {
                let mut tx = self.begin_write().await?;
                let slot = candidate_by_id!(&mut *tx, booking.slot_id).ok_or(StoreError::SlotTaken)?;
                if !still_eligible(&slot) {
                    return Err(StoreError::SlotTaken);
                }
                let p = booking.patient;
                let (patient_id,): (i64,) = sqlx::query_as(
                    "INSERT INTO patients (first_name, last_name, birth_name, birth_date, phone, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(p.first_name.as_str())
                .bind(p.last_name.as_str())
                .bind(p.birth_name.as_str())
                .bind(p.birth_date.date().to_string())
                .bind(p.phone.e164())
                .bind(booking.now)
                .fetch_one(&mut *tx)
                .await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at, mode,
                         status, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'booked', $7) RETURNING id",
                )
                .bind(slot.slot_id)
                .bind(slot.practitioner_id)
                .bind(booking.regulator_id)
                .bind(patient_id)
                .bind(slot.starts_at)
                .bind(&slot.mode)
                .bind(booking.now)
                .fetch_one(&mut *tx)
                .await
                .map_err(booking_error)?;
                // The search reads this flag and the packed slots instead of looking up appointments.
                sqlx::query("UPDATE slots SET taken = TRUE WHERE id = $1")
                    .bind(slot.slot_id)
                    .execute(&mut *tx)
                    .await?;
                repack!(&mut *tx, &[slot.practitioner_id]);
                tx.commit().await.map_err(booking_error)?;
                Ok(id)
            }

            async fn practitioner_appointments(&self, practitioner_id: i64) -> StoreResult<Vec<AppointmentRecord>> {
                Ok(sqlx::query_as(
                    "SELECT a.id, a.starts_at, a.mode, a.status, pa.first_name AS patient_first_name,
                         pa.last_name AS patient_last_name, pa.birth_name AS patient_birth_name,
                         pa.birth_date AS patient_birth_date, pa.phone AS patient_phone
                     FROM appointments a JOIN patients pa ON pa.id = a.patient_id
                     WHERE a.practitioner_id = $1 ORDER BY a.starts_at",
                )
                .bind(practitioner_id)
                .fetch_all(&self.pool)
                .await?)
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
        }
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

/// Repacks the visible free future slots of `practitioner_ids` into `practitioners.sas_slots`,
/// through any connection or transaction.
macro_rules! repack {
    ($conn:expr, $practitioner_ids:expr) => {{
        let ids: &[i64] = $practitioner_ids;
        let now = chrono::Utc::now().timestamp();
        for ids in ids.chunks(500) {
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
    }};
}
