//! Appointments once booked: reads (patient data: the callers audit them), cancellation,
//! outcomes, « à replanifier » and its acknowledgement, and the attachments sent with them.

use super::journal::{AuditEntry, write_audit};
use super::slots::{repack, untake};
use super::{MaybeFlag, Store, StoreError, StoreResult};
use crate::domain::agenda::Mode;
use crate::domain::appointment::{AppointmentStatus, Reschedule};
use crate::domain::ids::*;

/// The columns of a [`PatientRecord`] from the `patients` table aliased `pa`.
pub(super) const PATIENT_COLUMNS: &str = "pa.civility AS patient_civility,
        pa.first_name AS patient_first_name, pa.last_name AS patient_last_name,
        pa.birth_name AS patient_birth_name, pa.birth_date AS patient_birth_date,
        pa.birth_insee AS patient_birth_insee, pa.birth_city AS patient_birth_city,
        pa.birth_country AS patient_birth_country, pa.phone AS patient_phone,
        pa.email AS patient_email, pa.address AS patient_address, pa.nir AS patient_nir";

/// An appointment with its patient, practitioner and regulator (`AppointmentRecord`), then `tail`.
fn appointment_select(tail: &str) -> String {
    format!(
        "SELECT a.id, a.slot_id, a.starts_at, a.mode, a.status,
        a.created_at, a.reason_name, CAST(a.known_patient AS INTEGER) AS known_patient, a.message, a.cancelled_at, a.cancel_reason,
        a.reschedule_reason, a.reschedule_acknowledged_at, s.ends_at,
        p.id AS practitioner_id, p.first_name AS practitioner_first_name,
        p.last_name AS practitioner_last_name, pu.email AS practitioner_email,
        p.address AS practitioner_address, p.postcode AS practitioner_postcode,
        p.city AS practitioner_city, p.phone AS practitioner_phone,
        COALESCE((SELECT r.notice FROM reasons r WHERE r.practitioner_id = p.id
            AND r.name = a.reason_name AND r.notice <> '' ORDER BY r.archived, r.id DESC LIMIT 1),
            p.booking_notice) AS practitioner_notice,
        a.regulator_id, ru.first_name AS regulator_first_name, ru.last_name AS regulator_last_name,
        ru.email AS regulator_email,
        {PATIENT_COLUMNS}
    FROM appointments a
    JOIN slots s ON s.id = a.slot_id
    JOIN patients pa ON pa.id = a.patient_id
    JOIN practitioners p ON p.id = a.practitioner_id
    JOIN users ru ON ru.id = a.regulator_id
    LEFT JOIN users pu ON pu.practitioner_id = p.id {tail}"
    )
}

const ATTACHMENT_COLUMNS: &str =
    "id, token, regulator_id, appointment_id, file_name, content_type, size_bytes";

/// An appointment with its patient, practitioner and regulator (patient data: audit reads).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppointmentRecord {
    pub id: AppointmentId,
    pub slot_id: SlotId,
    pub starts_at: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    #[sqlx(try_from = "String")]
    pub status: AppointmentStatus,
    pub created_at: i64,
    pub reason_name: String,
    #[sqlx(try_from = "MaybeFlag")]
    pub known_patient: Option<bool>,
    pub message: Option<String>,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: Option<String>,
    /// A `Reschedule` code (see [`AppointmentRecord::reschedule`]).
    pub reschedule_reason: Option<String>,
    pub reschedule_acknowledged_at: Option<i64>,
    /// The end of its slot.
    pub ends_at: i64,
    pub practitioner_id: PractitionerId,
    pub practitioner_first_name: String,
    pub practitioner_last_name: String,
    pub practitioner_email: Option<String>,
    pub practitioner_address: String,
    pub practitioner_postcode: String,
    pub practitioner_city: String,
    pub practitioner_phone: Option<String>,
    /// « À lire avant de prendre un rendez-vous »: the motif's own notice, else the practitioner's.
    pub practitioner_notice: String,
    pub regulator_id: UserId,
    pub regulator_first_name: String,
    pub regulator_last_name: String,
    pub regulator_email: String,
    #[sqlx(flatten)]
    pub patient: PatientRecord,
}

/// A patient's identity as stored, read as the `patient_…` columns of [`PATIENT_COLUMNS`]
/// (patient data: the callers audit the reads).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PatientRecord {
    #[sqlx(rename = "patient_civility")]
    pub civility: Option<String>,
    #[sqlx(rename = "patient_first_name")]
    pub first_name: String,
    #[sqlx(rename = "patient_last_name")]
    pub last_name: String,
    #[sqlx(rename = "patient_birth_name")]
    pub birth_name: String,
    #[sqlx(rename = "patient_birth_date")]
    pub birth_date: String,
    #[sqlx(rename = "patient_birth_insee")]
    pub birth_insee: Option<String>,
    #[sqlx(rename = "patient_birth_city")]
    pub birth_city: Option<String>,
    #[sqlx(rename = "patient_birth_country")]
    pub birth_country: Option<String>,
    #[sqlx(rename = "patient_phone")]
    pub phone: String,
    #[sqlx(rename = "patient_email")]
    pub email: Option<String>,
    #[sqlx(rename = "patient_address")]
    pub address: Option<String>,
    #[sqlx(rename = "patient_nir")]
    pub nir: Option<String>,
}

impl AppointmentRecord {
    /// Why it is « à replanifier », if it is.
    pub fn reschedule(&self) -> Option<Reschedule> {
        self.reschedule_reason
            .as_deref()
            .and_then(Reschedule::from_code)
    }

    /// « À replanifier » and not acknowledged yet by the regulator.
    pub fn to_acknowledge(&self) -> Option<Reschedule> {
        self.reschedule()
            .filter(|_| self.reschedule_acknowledged_at.is_none())
    }
}

/// Who cancels, from where, and whether the appointment is then « à replanifier ».
pub struct Cancellation<'a> {
    pub reason: &'a str,
    pub reschedule: Option<Reschedule>,
    pub now: i64,
    pub by: Option<UserId>,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerRecord {
    pub label: String,
    pub answer: String,
}

/// An uploaded file; `appointment_id` is set once a booking uses it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRecord {
    pub id: i64,
    pub token: String,
    pub regulator_id: UserId,
    pub appointment_id: Option<AppointmentId>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

pub struct NewAttachment<'a> {
    pub token: &'a str,
    pub regulator_id: UserId,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub now: i64,
}

impl Store {
    /// In time order.
    pub async fn practitioner_appointments(
        &self,
        practitioner_id: PractitionerId,
    ) -> StoreResult<Vec<AppointmentRecord>> {
        let sql = appointment_select("WHERE a.practitioner_id = $1 ORDER BY a.starts_at, a.id");
        Ok(sqlx::query_as(&sql)
            .bind(practitioner_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// « Mes adressages »: newest first.
    pub async fn regulator_appointments(
        &self,
        regulator_id: UserId,
    ) -> StoreResult<Vec<AppointmentRecord>> {
        let sql =
            appointment_select("WHERE a.regulator_id = $1 ORDER BY a.created_at DESC, a.id DESC");
        Ok(sqlx::query_as(&sql)
            .bind(regulator_id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn appointment(&self, id: AppointmentId) -> StoreResult<Option<AppointmentRecord>> {
        let sql = appointment_select("WHERE a.id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn appointment_answers(&self, id: AppointmentId) -> StoreResult<Vec<AnswerRecord>> {
        Ok(sqlx::query_as(
            "SELECT label, answer FROM appointment_answers WHERE appointment_id = $1
             ORDER BY question_id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Cancels a booked appointment and frees its slot at once, with its audit entry in the same
    /// transaction; `NotFound` if it is not booked.
    pub async fn cancel_appointment(
        &self,
        id: AppointmentId,
        cancellation: &Cancellation<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let slot = cancel_in(&mut tx, id, cancellation).await?;
        // Back in the search at once (the slot is free unless someone holds it).
        let practitioners = untake(&mut tx, &[slot]).await?;
        repack(&mut tx, &practitioners).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The regulator acknowledges their appointments « à replanifier »: one, or all when `only`
    /// is `None`; returns how many. Nobody else's.
    pub async fn acknowledge_reschedules(
        &self,
        regulator_id: UserId,
        only: Option<AppointmentId>,
        now: i64,
    ) -> StoreResult<u64> {
        let _turn = self.turn().await;
        let sql = "UPDATE appointments SET reschedule_acknowledged_at = $2
             WHERE regulator_id = $1 AND reschedule_reason IS NOT NULL
                 AND reschedule_acknowledged_at IS NULL";
        let done: Vec<i64> = match only {
            Some(id) => {
                sqlx::query_scalar(&format!("{sql} AND id = $3 RETURNING id"))
                    .bind(regulator_id)
                    .bind(now)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                sqlx::query_scalar(&format!("{sql} RETURNING id"))
                    .bind(regulator_id)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        Ok(done.len() as u64)
    }

    /// The practitioner's outcome (fulfilled / noshow) of one of their appointments, counted in
    /// the indicators in the same transaction.
    pub async fn set_outcome(
        &self,
        practitioner_id: PractitionerId,
        id: AppointmentId,
        status: &str,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // Locked first (PostgreSQL), so that the status read is the one replaced.
        let lock = "UPDATE appointments SET status = status
             WHERE id = $1 AND practitioner_id = $2 AND status <> 'cancelled'";
        let locked = sqlx::query(lock)
            .bind(id)
            .bind(practitioner_id)
            .execute(&mut *tx)
            .await?;
        super::found(locked.rows_affected())?;
        let was: String = sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let was = AppointmentStatus::from_code(&was).ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE appointments SET status = $2, status_changed_at = $3 WHERE id = $1")
            .bind(id)
            .bind(status)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        super::indicators::count_appointment(&mut tx, id, Some(was)).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_attachment(&self, a: &NewAttachment<'_>) -> StoreResult<i64> {
        let _turn = self.turn().await;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO attachments (token, regulator_id, file_name, content_type, size_bytes,
                 created_at)
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

    pub async fn attachment(&self, token: &str) -> StoreResult<Option<AttachmentRecord>> {
        let sql = format!("SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE token = $1");
        Ok(sqlx::query_as(&sql)
            .bind(token)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn appointment_attachments(
        &self,
        id: AppointmentId,
    ) -> StoreResult<Vec<AttachmentRecord>> {
        let sql = format!(
            "SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE appointment_id = $1 ORDER BY id"
        );
        Ok(sqlx::query_as(&sql).bind(id).fetch_all(&self.pool).await?)
    }

    /// Forgets the uploads no booking used, sent before `before`; returns their tokens (files).
    pub async fn forget_unused_attachments(&self, before: i64) -> StoreResult<Vec<String>> {
        let _turn = self.turn().await;
        Ok(sqlx::query_scalar(
            "DELETE FROM attachments WHERE appointment_id IS NULL AND created_at < $1
             RETURNING token",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Cancels a booked appointment inside the caller's transaction and writes its audit entry;
/// returns its slot (still taken: the caller frees or detaches it). `NotFound` if not booked.
pub(super) async fn cancel_in(
    tx: &mut sqlx::AnyConnection,
    id: AppointmentId,
    c: &Cancellation<'_>,
) -> StoreResult<SlotId> {
    let slot: Option<SlotId> = sqlx::query_scalar(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3,
             status_changed_at = $2, reschedule_reason = $4
         WHERE id = $1 AND status = 'booked' RETURNING slot_id",
    )
    .bind(id)
    .bind(c.now)
    .bind(c.reason)
    .bind(c.reschedule.map(Reschedule::code))
    .fetch_optional(&mut *tx)
    .await?;
    let slot = slot.ok_or(StoreError::NotFound)?;
    super::indicators::count_appointment(tx, id, Some(AppointmentStatus::Booked)).await?;
    let subject = format!("appointment:{id}");
    let entry = AuditEntry {
        at: c.now,
        user_id: c.by,
        action: "appointment_cancelled",
        subject: &subject,
        ip: c.ip,
    };
    write_audit(tx, &entry).await?;
    Ok(slot)
}
