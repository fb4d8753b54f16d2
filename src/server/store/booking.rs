//! Booking: candidate slots as the eligibility rule sees them, holds during the funnel, the
//! booking transaction and the alternatives to a slot just taken.

use super::journal::{AuditEntry, write_audit};
use super::slots::{REASON_FLAGS_SELECT, reasons_by_range, repack, untake};
use super::{Flag, Store, StoreError, StoreResult, Unique};
use crate::domain::agenda::Mode;
use crate::domain::booking::Choices;
use crate::domain::eligibility::{
    ReasonFlags, SasVisibility, SlotFacts, SlotState, sas_visibility,
};
use crate::domain::ids::*;
use crate::domain::patient::{BirthPlace, PatientIdentity};
use crate::domain::practitioner::ExtraFields;
use sqlx::AnyConnection;

const CANDIDATE_SELECT: &str = "SELECT s.id AS slot_id, s.range_id, s.starts_at, s.ends_at, s.mode,
        EXISTS (SELECT 1 FROM appointments a WHERE a.slot_id = s.id AND a.status <> 'cancelled')
            AS booked,
        h.regulator_id AS held_by, h.expires_at AS hold_expires_at,
        p.id AS practitioner_id, p.civility, p.first_name, p.last_name, p.specialty, p.address,
        p.postcode, p.city, p.phone, CAST(p.sas_registered AS INTEGER) AS sas_registered,
        CAST(p.accepts_new_patients AS INTEGER) AS accepts_new_patients, p.booking_notice,
        p.departement, p.extra_fields
    FROM slots s JOIN practitioners p ON p.id = s.practitioner_id
    LEFT JOIN slot_holds h ON h.slot_id = s.id";

/// A slot with what the eligibility rule and the result card need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateSlot {
    pub slot_id: SlotId,
    pub range_id: Option<RangeId>,
    pub starts_at: i64,
    pub ends_at: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    #[sqlx(try_from = "Flag")]
    pub booked: bool,
    /// The regulator holding the slot during a booking, and until when.
    pub held_by: Option<UserId>,
    pub hold_expires_at: Option<i64>,
    pub practitioner_id: PractitionerId,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub phone: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub sas_registered: bool,
    #[sqlx(try_from = "Flag")]
    pub accepts_new_patients: bool,
    pub booking_notice: String,
    pub departement: String,
    /// Patient fields required beyond the default five (`ExtraField::split`).
    #[sqlx(try_from = "String")]
    pub extra_fields: ExtraFields,
    /// Filled from the range's reasons after the query.
    #[sqlx(skip)]
    pub reasons: Vec<ReasonFlags>,
}

impl CandidateSlot {
    /// What the eligibility rule says of the slot at `now`, for `viewer` (a regulator's own
    /// hold does not hide the slot from them).
    pub fn visibility(&self, now: i64, viewer: Option<UserId>) -> Option<SasVisibility> {
        let held_by_other = self.held_by.is_some_and(|by| Some(by) != viewer)
            && self.hold_expires_at.is_some_and(|end| end > now);
        let state = if self.booked {
            SlotState::Booked
        } else if held_by_other {
            SlotState::Held
        } else {
            SlotState::Free
        };
        sas_visibility(&SlotFacts {
            sas_registered: self.sas_registered,
            accepts_new_patients: self.accepts_new_patients,
            reasons: &self.reasons,
            state,
            starts_in_future: self.starts_at > now,
        })
    }

    pub fn practitioner_name(&self) -> String {
        format!("Dr {} {}", self.first_name, self.last_name)
    }
}

/// Attaches to each slot the reasons of its range.
fn attach_reasons(slots: &mut [CandidateSlot], rows: Vec<super::slots::RangeReasonRow>) {
    let by_range = reasons_by_range(rows);
    for slot in slots {
        slot.reasons = slot
            .range_id
            .and_then(|id| by_range.get(&id).cloned())
            .unwrap_or_default();
    }
}

pub struct NewBooking<'a> {
    pub slot_id: SlotId,
    pub regulator_id: UserId,
    /// One appointment per key and regulator, however many times the form is submitted.
    pub idempotency_key: &'a str,
    pub choices: &'a Choices,
    pub patient: &'a PatientIdentity,
    /// The token of an upload of this regulator's, to link to the appointment.
    pub attachment: Option<&'a str>,
    pub now: i64,
    /// The regulator's address, for the audit entry written in the same transaction.
    pub ip: Option<&'a str>,
}

/// The answer to a booking: the appointment, and whether this request created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    pub id: AppointmentId,
    pub created: bool,
}

/// A free slot offered instead of one just taken.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlternativeRecord {
    pub slot_id: SlotId,
    pub starts_at: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    pub city: String,
}

/// A reason configured on a slot's range (for the funnel's « Motif de consultation »).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlotReasonRecord {
    pub id: ReasonId,
    pub name: String,
    #[sqlx(try_from = "Flag")]
    pub is_snp: bool,
    pub duration_minutes: i64,
    pub notice: String,
}

/// One slot and its range's reasons.
async fn candidate_by_id(
    conn: &mut AnyConnection,
    slot_id: SlotId,
) -> StoreResult<Option<CandidateSlot>> {
    let sql = format!("{CANDIDATE_SELECT} WHERE s.id = $1");
    let slot: Option<CandidateSlot> = sqlx::query_as(&sql)
        .bind(slot_id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(mut slot) = slot else {
        return Ok(None);
    };
    let sql = format!("{REASON_FLAGS_SELECT} WHERE rr.range_id = $1 AND NOT r.archived");
    let reasons = sqlx::query_as(&sql)
        .bind(slot.range_id)
        .fetch_all(conn)
        .await?;
    attach_reasons(std::slice::from_mut(&mut slot), reasons);
    Ok(Some(slot))
}

/// Locks the slot's row until the end of the transaction (a no-op write: PostgreSQL takes the
/// row lock, SQLite already writes one transaction at a time), then reads it: `SlotTaken`
/// unless the rule still shows it to `regulator_id` at `now`.
async fn lock_visible_slot(
    conn: &mut AnyConnection,
    slot_id: SlotId,
    regulator_id: UserId,
    now: i64,
) -> StoreResult<CandidateSlot> {
    sqlx::query("UPDATE slots SET taken = taken WHERE id = $1")
        .bind(slot_id)
        .execute(&mut *conn)
        .await?;
    candidate_by_id(conn, slot_id)
        .await?
        .filter(|slot| slot.visibility(now, Some(regulator_id)).is_some())
        .ok_or(StoreError::SlotTaken)
}

/// The appointment a regulator already created with this idempotency key, if any.
async fn existing_booking(
    conn: &mut AnyConnection,
    booking: &NewBooking<'_>,
) -> StoreResult<Option<AppointmentId>> {
    let row: Option<(AppointmentId,)> = sqlx::query_as(
        "SELECT id FROM appointments WHERE regulator_id = $1 AND idempotency_key = $2",
    )
    .bind(booking.regulator_id)
    .bind(booking.idempotency_key)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// A unique-index violation on booking means another request was faster: for the slot
/// (`SlotTaken`) or with the same idempotency key (`Taken(Unique::IdempotencyKey)`).
fn booking_error(err: sqlx::Error) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => {
            let on_key = db.constraint() == Some("appointments_idempotency")
                || db.message().contains("idempotency_key");
            if on_key {
                StoreError::Taken(Unique::IdempotencyKey)
            } else {
                StoreError::SlotTaken
            }
        }
        _ => StoreError::Database(err),
    }
}

/// The patient's birth place as stored: (INSEE code, city, country).
fn birth_columns(place: Option<&BirthPlace>) -> (Option<&str>, Option<&str>, Option<&str>) {
    match place {
        Some(BirthPlace::France { insee, city }) => (Some(insee.as_str()), Some(city), None),
        Some(BirthPlace::Abroad { country }) => (None, None, Some(country)),
        None => (None, None, None),
    }
}

pub(super) async fn insert_patient(
    conn: &mut AnyConnection,
    p: &PatientIdentity,
    now: i64,
) -> StoreResult<i64> {
    let (birth_insee, birth_city, birth_country) = birth_columns(p.birth_place.as_ref());
    let (patient_id,): (i64,) = sqlx::query_as(
        "INSERT INTO patients (civility, first_name, last_name, birth_name, birth_date,
             birth_insee, birth_city, birth_country, phone, email, address, nir, created_at)
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
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(patient_id)
}

/// The answers to the practitioner's questions and the attachment, linked to the appointment.
async fn insert_answers_and_file(
    conn: &mut AnyConnection,
    id: AppointmentId,
    booking: &NewBooking<'_>,
) -> StoreResult<()> {
    for (question, answer) in &booking.choices.answers {
        sqlx::query(
            "INSERT INTO appointment_answers (appointment_id, question_id, label, answer)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(question.id)
        .bind(&question.label)
        .bind(answer)
        .execute(&mut *conn)
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
        .execute(conn)
        .await?;
        if linked.rows_affected() == 0 {
            return Err(StoreError::UnknownAttachment);
        }
    }
    Ok(())
}

/// Gives the slots of deleted holds back to the search; returns how many.
async fn end_holds(conn: &mut AnyConnection, released: &[SlotId]) -> StoreResult<usize> {
    let practitioners = untake(conn, released).await?;
    repack(conn, &practitioners).await?;
    Ok(released.len())
}

impl Store {
    /// Slots of SAS-registered practitioners of a département starting in `[from, to)`,
    /// with their range's reasons, for the eligibility rule to decide.
    pub async fn candidate_slots(
        &self,
        departement: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<CandidateSlot>> {
        let sql = format!(
            "{CANDIDATE_SELECT} WHERE p.departement = $1 AND p.sas_registered
             AND s.starts_at >= $2 AND s.starts_at < $3 ORDER BY s.starts_at, p.id"
        );
        let mut slots: Vec<CandidateSlot> = sqlx::query_as(&sql)
            .bind(departement)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        let sql = format!(
            "{REASON_FLAGS_SELECT} JOIN ranges g ON g.id = rr.range_id
             JOIN practitioners p ON p.id = g.practitioner_id
             WHERE p.departement = $1 AND p.sas_registered AND NOT r.archived"
        );
        let reasons = sqlx::query_as(&sql)
            .bind(departement)
            .fetch_all(&self.pool)
            .await?;
        attach_reasons(&mut slots, reasons);
        Ok(slots)
    }

    pub async fn candidate_slot(&self, slot_id: SlotId) -> StoreResult<Option<CandidateSlot>> {
        candidate_by_id(&mut *self.pool.acquire().await?, slot_id).await
    }

    /// The active reasons of the slot's range, "Soins non programmés" first.
    pub async fn slot_reasons(&self, slot_id: SlotId) -> StoreResult<Vec<SlotReasonRecord>> {
        Ok(sqlx::query_as(
            "SELECT r.id, r.name, CAST(r.is_snp AS INTEGER) AS is_snp, r.duration_minutes,
                 r.notice FROM slots s
             JOIN range_reasons rr ON rr.range_id = s.range_id
             JOIN reasons r ON r.id = rr.reason_id
             WHERE s.id = $1 AND NOT r.archived ORDER BY r.is_snp DESC, r.name",
        )
        .bind(slot_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Holds the slot for the regulator until `expires_at` (releasing the other slot they
    /// held), if the eligibility rule still shows it to them as read inside the transaction;
    /// `SlotTaken` otherwise.
    pub async fn hold_slot(
        &self,
        slot_id: SlotId,
        regulator_id: UserId,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // One slot at a time per regulator: opening another gives the previous one back.
        let others: Vec<SlotId> = sqlx::query_scalar(
            "DELETE FROM slot_holds WHERE regulator_id = $1 AND slot_id <> $2 RETURNING slot_id",
        )
        .bind(regulator_id)
        .bind(slot_id)
        .fetch_all(&mut *tx)
        .await?;
        let mut practitioners = untake(&mut tx, &others).await?;
        // Waits for a booking of this slot under way, then sees it.
        let slot = lock_visible_slot(&mut tx, slot_id, regulator_id, now).await?;
        // Taken over only if the hold is this regulator's or has ended (a concurrent hold
        // committed first leaves nothing to update).
        let held = sqlx::query(
            "INSERT INTO slot_holds (slot_id, regulator_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (slot_id) DO UPDATE SET regulator_id = excluded.regulator_id,
                 created_at = excluded.created_at, expires_at = excluded.expires_at
             WHERE slot_holds.regulator_id = excluded.regulator_id
                 OR slot_holds.expires_at <= $3",
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
        repack(&mut tx, &practitioners).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives back a slot the regulator held; false if they held none.
    pub async fn release_hold(&self, slot_id: SlotId, regulator_id: UserId) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let released: Vec<SlotId> = sqlx::query_scalar(
            "DELETE FROM slot_holds WHERE slot_id = $1 AND regulator_id = $2 RETURNING slot_id",
        )
        .bind(slot_id)
        .bind(regulator_id)
        .fetch_all(&mut *tx)
        .await?;
        let count = end_holds(&mut tx, &released).await?;
        tx.commit().await?;
        Ok(count > 0)
    }

    /// Gives back every slot whose hold ended by `now`; returns how many.
    pub async fn release_expired_holds(&self, now: i64) -> StoreResult<u64> {
        let mut tx = self.begin_write().await?;
        let released: Vec<SlotId> =
            sqlx::query_scalar("DELETE FROM slot_holds WHERE expires_at <= $1 RETURNING slot_id")
                .bind(now)
                .fetch_all(&mut *tx)
                .await?;
        let count = end_holds(&mut tx, &released).await?;
        tx.commit().await?;
        Ok(count as u64)
    }

    /// Books in one transaction: the slot must still pass the eligibility rule as read inside
    /// it and be held by this regulator (`HoldExpired` otherwise), with its audit entry. A key
    /// already used answers the appointment it created.
    pub async fn book(&self, booking: &NewBooking<'_>) -> StoreResult<Booked> {
        match self.book_once(booking).await {
            // A double submit that raced past the first check (stopped by the slot's lock, its
            // index or the claimed hold): answer the first submit's appointment.
            Err(e @ (StoreError::Taken(_) | StoreError::SlotTaken | StoreError::HoldExpired)) => {
                match existing_booking(&mut *self.pool.acquire().await?, booking).await? {
                    Some(id) => Ok(Booked { id, created: false }),
                    None if matches!(e, StoreError::Taken(_)) => Err(StoreError::SlotTaken),
                    None => Err(e),
                }
            }
            other => other,
        }
    }

    /// One booking transaction (see `book`).
    async fn book_once(&self, booking: &NewBooking<'_>) -> StoreResult<Booked> {
        let mut tx = self.begin_write().await?;
        if let Some(id) = existing_booking(&mut tx, booking).await? {
            return Ok(Booked { id, created: false });
        }
        let slot =
            lock_visible_slot(&mut tx, booking.slot_id, booking.regulator_id, booking.now).await?;
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
        let patient_id = insert_patient(&mut tx, booking.patient, booking.now).await?;
        let c = booking.choices;
        // Why the slot reached the search, kept for the indicators.
        let why = slot.visibility(booking.now, Some(booking.regulator_id));
        let (id,): (AppointmentId,) = sqlx::query_as(
            "INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id,
                 starts_at, mode, status, created_at, reason_name, known_patient, message,
                 idempotency_key, sas_flags, departement)
             VALUES ($1, $2, $3, $4, $5, $6, 'booked', $7, $8, $9, $10, $11, $12, $13)
             RETURNING id",
        )
        .bind(slot.slot_id)
        .bind(slot.practitioner_id)
        .bind(booking.regulator_id)
        .bind(patient_id)
        .bind(slot.starts_at)
        .bind(slot.mode.code())
        .bind(booking.now)
        .bind(&c.reason.name)
        .bind(c.known_patient)
        .bind(c.message.as_deref())
        .bind(booking.idempotency_key)
        .bind(SasVisibility::code(why))
        .bind(&slot.departement)
        .fetch_one(&mut *tx)
        .await
        .map_err(booking_error)?;
        insert_answers_and_file(&mut tx, id, booking).await?;
        super::indicators::count_appointment(&mut tx, id, None).await?;
        let subject = format!("appointment:{id}");
        let entry = AuditEntry {
            at: booking.now,
            user_id: Some(booking.regulator_id),
            action: "appointment_created",
            subject: &subject,
            ip: booking.ip,
        };
        write_audit(&mut tx, &entry).await?;
        // Already hidden by the hold; the flag now stands for the appointment.
        sqlx::query("UPDATE slots SET taken = TRUE WHERE id = $1")
            .bind(slot.slot_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await.map_err(booking_error)?;
        Ok(Booked { id, created: true })
    }

    /// Up to `limit` visible free slots like `slot_id` (same specialty, mode and département),
    /// nearest in time first.
    pub async fn alternatives(
        &self,
        slot_id: SlotId,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<AlternativeRecord>> {
        Ok(sqlx::query_as(
            "SELECT s.id AS slot_id, s.starts_at, s.mode, p.first_name, p.last_name, p.address,
                 p.city
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
}
