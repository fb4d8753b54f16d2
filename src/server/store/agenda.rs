//! A practitioner's agenda: ranges (plages), absences and the week of slots. A change of ranges
//! or absences regenerates the practitioner's future slots in the same transaction.

use super::appointments::{Cancellation, cancel_in};
use super::slots::{practitioner_reasons, regenerate, untake};
use super::{Store, StoreError, StoreResult, found};
use crate::domain::agenda::{Absence, Mode, RangeTimes, Recurrence};
use crate::domain::appointment::Reschedule;
use crate::domain::eligibility::ReasonFlags;
use crate::domain::ids::*;
use chrono::{NaiveDate, NaiveTime, Timelike, Weekday};
use sqlx::AnyConnection;

pub(super) const RANGE_COLUMNS: &str = "id, practitioner_id, weekday, valid_from, valid_until,
    start_minute, end_minute, slot_minutes, mode";

pub struct NewRange<'a> {
    pub times: RangeTimes,
    pub mode: Mode,
    pub reason_ids: &'a [ReasonId],
}

/// The days whose slots a change regenerates, and the instant before which nothing changes.
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Unix seconds: slots starting earlier are left as they are.
    pub now: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRecord {
    pub id: RangeId,
    pub times: RangeTimes,
    pub mode: Mode,
    pub reason_ids: Vec<ReasonId>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AbsenceRecord {
    pub id: AbsenceId,
    pub starts_at: i64,
    pub ends_at: i64,
    pub label: String,
}

/// A slot of the practitioner's week view, with its active appointment if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgendaSlot {
    pub slot_id: SlotId,
    /// `None` once no range covers the slot any more (kept because it is booked).
    pub range_id: Option<RangeId>,
    pub starts_at: i64,
    pub ends_at: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    pub appointment_id: Option<AppointmentId>,
    pub appointment_reason: Option<String>,
    pub appointment_message: Option<String>,
    /// Attachments of the appointment (0 without one).
    pub appointment_files: i64,
    pub patient_first_name: Option<String>,
    pub patient_last_name: Option<String>,
    /// The active reasons of its range, filled after the query.
    #[sqlx(skip)]
    pub reasons: Vec<ReasonFlags>,
}

/// A range as stored.
#[derive(sqlx::FromRow)]
pub(super) struct RangeRow {
    pub id: RangeId,
    pub practitioner_id: PractitionerId,
    pub weekday: Option<i64>,
    pub valid_from: String,
    pub valid_until: Option<String>,
    pub start_minute: i64,
    pub end_minute: i64,
    pub slot_minutes: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
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

    /// The range's slots over the days `from..=to`, tagged with the range and its mode.
    pub fn wanted(&self, from: NaiveDate, to: NaiveDate) -> Vec<(i64, i64, (RangeId, Mode))> {
        self.times()
            .map(|times| times.slots(from, to))
            .unwrap_or_default()
            .into_iter()
            .map(|(start, end)| (start.timestamp(), end.timestamp(), (self.id, self.mode)))
            .collect()
    }
}

/// Columns of a range as stored: (weekday 1–7 or NULL, valid_from, valid_until, start, end minutes).
fn range_columns(times: &RangeTimes) -> (Option<i64>, String, Option<String>, i64, i64) {
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

/// Writes a range's row: a new one (`id` None) or over an existing one; returns its id.
async fn write_range(
    conn: &mut AnyConnection,
    practitioner_id: PractitionerId,
    id: Option<RangeId>,
    range: &NewRange<'_>,
) -> StoreResult<RangeId> {
    let (weekday, from, until, start, end) = range_columns(&range.times);
    let sql = match id {
        None => {
            "INSERT INTO ranges (practitioner_id, weekday, valid_from, valid_until, start_minute,
                 end_minute, slot_minutes, mode)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
        }
        Some(_) => {
            "UPDATE ranges SET weekday = $2, valid_from = $3, valid_until = $4,
                 start_minute = $5, end_minute = $6, slot_minutes = $7, mode = $8
             WHERE id = $9 AND practitioner_id = $1 RETURNING id"
        }
    };
    let mut q = sqlx::query_as(sql)
        .bind(practitioner_id)
        .bind(weekday)
        .bind(from)
        .bind(until)
        .bind(start)
        .bind(end)
        .bind(i64::from(range.times.slot_minutes))
        .bind(range.mode.code());
    if let Some(id) = id {
        q = q.bind(id);
    }
    let (id,): (RangeId,) = q.fetch_one(&mut *conn).await?;
    link_reasons(conn, practitioner_id, id, range.reason_ids).await?;
    Ok(id)
}

/// Links reasons to a range (replacing its links); each must belong to the same practitioner.
async fn link_reasons(
    conn: &mut AnyConnection,
    practitioner_id: PractitionerId,
    range_id: RangeId,
    reason_ids: &[ReasonId],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM range_reasons WHERE range_id = $1")
        .bind(range_id)
        .execute(&mut *conn)
        .await?;
    for reason_id in reason_ids {
        let inserted = sqlx::query(
            "INSERT INTO range_reasons (range_id, reason_id)
             SELECT $1, id FROM reasons WHERE id = $2 AND practitioner_id = $3",
        )
        .bind(range_id)
        .bind(reason_id)
        .bind(practitioner_id)
        .execute(&mut *conn)
        .await?;
        if inserted.rows_affected() != 1 {
            return Err(StoreError::UnknownReason);
        }
    }
    Ok(())
}

impl Store {
    pub async fn insert_range(
        &self,
        practitioner_id: PractitionerId,
        range: &NewRange<'_>,
    ) -> StoreResult<RangeId> {
        let mut tx = self.begin_write().await?;
        let id = write_range(&mut tx, practitioner_id, None, range).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn ranges(&self, practitioner_id: PractitionerId) -> StoreResult<Vec<RangeRecord>> {
        let sql =
            format!("SELECT {RANGE_COLUMNS} FROM ranges WHERE practitioner_id = $1 ORDER BY id");
        let rows: Vec<RangeRow> = sqlx::query_as(&sql)
            .bind(practitioner_id)
            .fetch_all(&self.pool)
            .await?;
        let links: Vec<(RangeId, ReasonId)> = sqlx::query_as(
            "SELECT rr.range_id, rr.reason_id FROM range_reasons rr
             JOIN ranges g ON g.id = rr.range_id
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
                    mode: row.mode,
                    reason_ids: links
                        .iter()
                        .filter(|l| l.0 == row.id)
                        .map(|l| l.1)
                        .collect(),
                })
            })
            .collect())
    }

    /// In one transaction: replaces range `replace` (if any) by the first of `ranges` and adds
    /// the others, refusing overlaps (`Overlap`) and reasons not active (`UnknownReason`), then
    /// regenerates the free slots. Returns the ids of the ranges written.
    pub async fn save_ranges(
        &self,
        practitioner_id: PractitionerId,
        replace: Option<RangeId>,
        ranges: &[NewRange<'_>],
        horizon: &Horizon,
    ) -> StoreResult<Vec<RangeId>> {
        let mut tx = self.begin_write().await?;
        let sql = format!("SELECT {RANGE_COLUMNS} FROM ranges WHERE practitioner_id = $1");
        let mut existing: Vec<RangeRow> = sqlx::query_as(&sql)
            .bind(practitioner_id)
            .fetch_all(&mut *tx)
            .await?;
        if let Some(replaced) = replace {
            let before = existing.len();
            existing.retain(|r| r.id != replaced);
            if existing.len() == before {
                return Err(StoreError::NotFound);
            }
        }
        let active: Vec<(ReasonId,)> =
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
            let over = replace.filter(|_| i == 0);
            ids.push(write_range(&mut tx, practitioner_id, over, range).await?);
        }
        regenerate(&mut tx, practitioner_id, horizon).await?;
        tx.commit().await?;
        Ok(ids)
    }

    pub async fn delete_range(
        &self,
        practitioner_id: PractitionerId,
        range_id: RangeId,
        horizon: &Horizon,
    ) -> StoreResult<()> {
        let sql = "DELETE FROM ranges WHERE id = $1 AND practitioner_id = $2";
        self.delete_and_regenerate(sql, practitioner_id, range_id.0, horizon)
            .await
    }

    /// Absences that end after `after` (Unix seconds), in time order.
    pub async fn absences(
        &self,
        practitioner_id: PractitionerId,
        after: i64,
    ) -> StoreResult<Vec<AbsenceRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, starts_at, ends_at, label FROM absences
             WHERE practitioner_id = $1 AND ends_at > $2 ORDER BY starts_at, id",
        )
        .bind(practitioner_id)
        .bind(after)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records an absence; the booked appointments it covers that have not started are cancelled
    /// « à replanifier » (audited as `by`, from `ip`), their slots leave the agenda's free
    /// slots, all in one transaction. Returns the absence and the cancelled appointments.
    pub async fn insert_absence(
        &self,
        practitioner_id: PractitionerId,
        absence: &Absence,
        horizon: &Horizon,
        by: Option<UserId>,
        ip: Option<&str>,
    ) -> StoreResult<(AbsenceId, Vec<AppointmentId>)> {
        let mut tx = self.begin_write().await?;
        let (start, end) = (absence.start.timestamp(), absence.end.timestamp());
        let (id,): (AbsenceId,) = sqlx::query_as(
            "INSERT INTO absences (practitioner_id, starts_at, ends_at, label)
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(practitioner_id)
        .bind(start)
        .bind(end)
        .bind(&absence.label)
        .fetch_one(&mut *tx)
        .await?;
        let covered: Vec<AppointmentId> = sqlx::query_scalar(
            "SELECT a.id FROM appointments a JOIN slots s ON s.id = a.slot_id
             WHERE a.practitioner_id = $1 AND a.status = 'booked' AND a.starts_at > $2
                 AND s.starts_at < $4 AND s.ends_at > $3
             ORDER BY a.starts_at, a.id",
        )
        .bind(practitioner_id)
        .bind(horizon.now)
        .bind(start)
        .bind(end)
        .fetch_all(&mut *tx)
        .await?;
        let cancellation = Cancellation {
            reason: Reschedule::Absence.label(),
            reschedule: Some(Reschedule::Absence),
            now: horizon.now,
            by,
            ip,
        };
        let mut slots = Vec::with_capacity(covered.len());
        for &appointment in &covered {
            slots.push(cancel_in(&mut tx, appointment, &cancellation).await?);
        }
        // Free again, then out of the agenda's ranges (the absence covers them): never shown.
        untake(&mut tx, &slots).await?;
        regenerate(&mut tx, practitioner_id, horizon).await?;
        tx.commit().await?;
        Ok((id, covered))
    }

    pub async fn delete_absence(
        &self,
        practitioner_id: PractitionerId,
        absence_id: AbsenceId,
        horizon: &Horizon,
    ) -> StoreResult<()> {
        let sql = "DELETE FROM absences WHERE id = $1 AND practitioner_id = $2";
        self.delete_and_regenerate(sql, practitioner_id, absence_id.0, horizon)
            .await
    }

    /// Deletes one row of the practitioner's agenda (`sql` binds its id, then the
    /// practitioner's) and regenerates their slots; `NotFound` if it is not theirs.
    async fn delete_and_regenerate(
        &self,
        sql: &str,
        practitioner_id: PractitionerId,
        id: i64,
        horizon: &Horizon,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let deleted = sqlx::query(sql)
            .bind(id)
            .bind(practitioner_id)
            .execute(&mut *tx)
            .await?;
        found(deleted.rows_affected())?;
        regenerate(&mut tx, practitioner_id, horizon).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The practitioner's slots starting in `[from, to)`, booked or not, in time order; a slot
    /// outside the agenda (surnuméraire) while its appointment stands.
    pub async fn agenda_slots(
        &self,
        practitioner_id: PractitionerId,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<AgendaSlot>> {
        let mut slots: Vec<AgendaSlot> = sqlx::query_as(
            "SELECT s.id AS slot_id, s.range_id, s.starts_at, s.ends_at, s.mode,
                 a.id AS appointment_id,
                 a.reason_name AS appointment_reason, a.message AS appointment_message,
                 (SELECT COUNT(*) FROM attachments f WHERE f.appointment_id = a.id)
                     AS appointment_files,
                 pa.first_name AS patient_first_name, pa.last_name AS patient_last_name
             FROM slots s
             LEFT JOIN appointments a ON a.slot_id = s.id AND a.status <> 'cancelled'
             LEFT JOIN patients pa ON pa.id = a.patient_id
             WHERE s.practitioner_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3
                 AND (NOT s.extra OR a.id IS NOT NULL)
             ORDER BY s.starts_at, s.id",
        )
        .bind(practitioner_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let by_range =
            practitioner_reasons(&mut *self.pool.acquire().await?, practitioner_id).await?;
        for slot in &mut slots {
            slot.reasons = slot
                .range_id
                .and_then(|id| by_range.get(&id).cloned())
                .unwrap_or_default();
        }
        Ok(slots)
    }
}
