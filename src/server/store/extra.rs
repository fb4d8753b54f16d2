//! Surnuméraire requests: created with their patient, answered by their practitioner (an
//! accepted one books an appointment on a slot of its own outside the agenda, in the same
//! transaction), withdrawn by their regulator, expired by the periodic job. Every change writes
//! its audit entry in its transaction; reads carry patient data (the callers audit them).

use super::appointments::{PATIENT_COLUMNS, PatientRecord};
use super::booking::insert_patient;
use super::journal::{AuditEntry, write_audit};
use super::{Store, StoreError, StoreResult};
use crate::domain::agenda::Mode;
use crate::domain::extra::{CONSULTATION_MINUTES, EXTRA_REASON, ExtraProposal, ExtraStatus};
use crate::domain::ids::*;
use crate::domain::indicators::EXTRA_FLAGS;
use crate::domain::patient::PatientIdentity;
use crate::domain::practitioner::ExtraFields;
use sqlx::AnyConnection;

/// A request with its practitioner, regulator and patient ([`ExtraRecord`]), then `tail`.
fn extra_select(tail: &str) -> String {
    format!(
        "SELECT e.id, e.regulator_id, e.practitioner_id, e.starts_at, e.mode, e.message,
             e.status, e.decline_reason, e.created_at, e.expires_at, e.appointment_id,
             p.first_name AS practitioner_first_name, p.last_name AS practitioner_last_name,
             p.address AS practitioner_address, p.postcode AS practitioner_postcode,
             p.city AS practitioner_city, p.phone AS practitioner_phone,
             pu.email AS practitioner_email, ru.first_name AS regulator_first_name,
             ru.last_name AS regulator_last_name, ru.email AS regulator_email,
             {PATIENT_COLUMNS}
         FROM extra_requests e
         JOIN patients pa ON pa.id = e.patient_id
         JOIN practitioners p ON p.id = e.practitioner_id
         JOIN users ru ON ru.id = e.regulator_id
         LEFT JOIN users pu ON pu.practitioner_id = p.id {tail}"
    )
}

/// A request as stored, with what its pages and mails show.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExtraRecord {
    pub id: ExtraRequestId,
    pub regulator_id: UserId,
    pub practitioner_id: PractitionerId,
    pub starts_at: i64,
    #[sqlx(try_from = "String")]
    pub mode: Mode,
    pub message: Option<String>,
    /// As written: [`ExtraRecord::status_at`] tells an unanswered one past its deadline.
    #[sqlx(try_from = "String")]
    pub status: ExtraStatus,
    pub decline_reason: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub appointment_id: Option<AppointmentId>,
    pub practitioner_first_name: String,
    pub practitioner_last_name: String,
    pub practitioner_address: String,
    pub practitioner_postcode: String,
    pub practitioner_city: String,
    pub practitioner_phone: Option<String>,
    pub practitioner_email: Option<String>,
    pub regulator_first_name: String,
    pub regulator_last_name: String,
    pub regulator_email: String,
    #[sqlx(flatten)]
    pub patient: PatientRecord,
}

impl ExtraRecord {
    pub fn status_at(&self, now: i64) -> ExtraStatus {
        self.status.at(self.expires_at, now)
    }
}

/// The practitioner a request is for, as its form shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExtraPractitioner {
    pub id: PractitionerId,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub phone: Option<String>,
    #[sqlx(try_from = "String")]
    pub extra_fields: ExtraFields,
    #[sqlx(try_from = "super::Flag")]
    pub sas_registered: bool,
    /// The address of their account when it is active and confirmed: who can answer.
    pub account_email: Option<String>,
}

/// A request to write: who asks whom, for which patient, when; answered before `expires_at`.
pub struct NewExtraRequest<'a> {
    pub regulator_id: UserId,
    pub practitioner_id: PractitionerId,
    /// One request per key and regulator, however many times the form is submitted.
    pub idempotency_key: &'a str,
    pub patient: &'a PatientIdentity,
    pub proposal: &'a ExtraProposal,
    pub now: i64,
    pub expires_at: i64,
    pub ip: Option<&'a str>,
}

/// Who changes a request, when, from where.
pub struct ExtraChange<'a> {
    pub by: UserId,
    pub now: i64,
    pub ip: Option<&'a str>,
}

async fn audit(
    conn: &mut AnyConnection,
    change: &ExtraChange<'_>,
    action: &str,
    subject: &str,
) -> StoreResult<()> {
    let entry = AuditEntry {
        at: change.now,
        user_id: Some(change.by),
        action,
        subject,
        ip: change.ip,
    };
    write_audit(conn, &entry).await
}

/// The request this regulator already sent with this key, if any.
async fn existing_request(
    conn: &mut AnyConnection,
    regulator_id: UserId,
    key: &str,
) -> StoreResult<Option<ExtraRequestId>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM extra_requests WHERE regulator_id = $1 AND idempotency_key = $2",
    )
    .bind(regulator_id)
    .bind(key)
    .fetch_optional(conn)
    .await?)
}

/// The accepted request's appointment, on a slot of its own outside the agenda (never in the
/// search: no range, no SAS flag), taken at once.
async fn book_outside_agenda(
    conn: &mut AnyConnection,
    id: ExtraRequestId,
    practitioner_id: PractitionerId,
    now: i64,
) -> StoreResult<AppointmentId> {
    let (regulator_id, patient_id, starts_at, mode, message): (
        UserId,
        i64,
        i64,
        String,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT regulator_id, patient_id, starts_at, mode, message FROM extra_requests
         WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let (slot_id,): (SlotId,) = sqlx::query_as(
        "INSERT INTO slots (practitioner_id, starts_at, ends_at, mode, taken, extra)
         VALUES ($1, $2, $3, $4, TRUE, TRUE) RETURNING id",
    )
    .bind(practitioner_id)
    .bind(starts_at)
    .bind(starts_at + CONSULTATION_MINUTES * 60)
    .bind(&mode)
    .fetch_one(&mut *conn)
    .await?;
    let (appointment_id,): (AppointmentId,) = sqlx::query_as(
        "INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at,
             mode, status, created_at, reason_name, message, idempotency_key, departement,
             sas_flags)
         SELECT $1, $2, $3, $4, $5, $6, 'booked', $7, $8, $9, $10, departement, $11
         FROM practitioners WHERE id = $2 RETURNING id",
    )
    .bind(slot_id)
    .bind(practitioner_id)
    .bind(regulator_id)
    .bind(patient_id)
    .bind(starts_at)
    .bind(&mode)
    .bind(now)
    .bind(EXTRA_REASON)
    .bind(message)
    .bind(format!("surnumeraire:{id}"))
    .bind(EXTRA_FLAGS)
    .fetch_one(&mut *conn)
    .await?;
    super::indicators::count_appointment(conn, appointment_id, None).await?;
    sqlx::query("UPDATE extra_requests SET appointment_id = $2 WHERE id = $1")
        .bind(id)
        .bind(appointment_id)
        .execute(&mut *conn)
        .await?;
    Ok(appointment_id)
}

impl Store {
    /// A practitioner who may be asked: SAS-registered, with their confirmed active account.
    pub async fn extra_practitioner(
        &self,
        id: PractitionerId,
    ) -> StoreResult<Option<ExtraPractitioner>> {
        Ok(sqlx::query_as(
            "SELECT p.id, p.first_name, p.last_name, p.specialty, p.address, p.postcode, p.city,
                 p.phone, p.extra_fields, CAST(p.sas_registered AS INTEGER) AS sas_registered,
                 (SELECT u.email FROM users u WHERE u.practitioner_id = p.id AND NOT u.disabled
                     AND u.email_verified_at IS NOT NULL ORDER BY u.id LIMIT 1) AS account_email
             FROM practitioners p WHERE p.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Up to `limit` other practitioners who may be asked, of the same specialty and
    /// département as `practitioner_id`, nearest first: (id, name, address).
    pub async fn other_askable(
        &self,
        practitioner_id: PractitionerId,
        limit: i64,
    ) -> StoreResult<Vec<(PractitionerId, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT p.id, 'Dr ' || p.first_name || ' ' || p.last_name,
                 p.address || ', ' || p.postcode || ' ' || p.city
             FROM practitioners o
             JOIN practitioners p ON p.departement = o.departement AND p.specialty = o.specialty
                 AND p.id <> o.id AND p.sas_registered
             WHERE o.id = $1 AND EXISTS (SELECT 1 FROM users u WHERE u.practitioner_id = p.id
                 AND NOT u.disabled AND u.email_verified_at IS NOT NULL)
             ORDER BY (p.latitude - o.latitude) * (p.latitude - o.latitude)
                 + (p.longitude - o.longitude) * (p.longitude - o.longitude), p.id
             LIMIT $2",
        )
        .bind(practitioner_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Writes the request and its patient in one transaction, with its audit entry; a key
    /// already used answers the request it created (and `false`).
    pub async fn create_extra_request(
        &self,
        request: &NewExtraRequest<'_>,
    ) -> StoreResult<(ExtraRequestId, bool)> {
        match self.create_extra_once(request).await {
            // A double submit that raced past the first check, stopped by the key's index.
            Err(StoreError::Database(e))
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                let conn = &mut *self.pool.acquire().await?;
                match existing_request(conn, request.regulator_id, request.idempotency_key).await? {
                    Some(id) => Ok((id, false)),
                    None => Err(StoreError::Database(e)),
                }
            }
            other => other,
        }
    }

    async fn create_extra_once(
        &self,
        request: &NewExtraRequest<'_>,
    ) -> StoreResult<(ExtraRequestId, bool)> {
        let mut tx = self.begin_write().await?;
        let key = request.idempotency_key;
        if let Some(id) = existing_request(&mut tx, request.regulator_id, key).await? {
            return Ok((id, false));
        }
        let patient_id = insert_patient(&mut tx, request.patient, request.now).await?;
        let p = request.proposal;
        let (id,): (ExtraRequestId,) = sqlx::query_as(
            "INSERT INTO extra_requests (regulator_id, practitioner_id, patient_id, starts_at,
                 mode, message, status, created_at, expires_at, idempotency_key)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9) RETURNING id",
        )
        .bind(request.regulator_id)
        .bind(request.practitioner_id)
        .bind(patient_id)
        .bind(p.starts_at)
        .bind(p.mode.code())
        .bind(p.message.as_deref())
        .bind(request.now)
        .bind(request.expires_at)
        .bind(key)
        .fetch_one(&mut *tx)
        .await?;
        let change = ExtraChange {
            by: request.regulator_id,
            now: request.now,
            ip: request.ip,
        };
        let subject = format!("extra_request:{id}");
        audit(&mut tx, &change, "extra_request_created", &subject).await?;
        tx.commit().await?;
        Ok((id, true))
    }

    pub async fn extra_request(&self, id: ExtraRequestId) -> StoreResult<Option<ExtraRecord>> {
        let sql = extra_select("WHERE e.id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A regulator's requests, newest first.
    pub async fn regulator_extra_requests(
        &self,
        regulator_id: UserId,
    ) -> StoreResult<Vec<ExtraRecord>> {
        let sql = extra_select("WHERE e.regulator_id = $1 ORDER BY e.created_at DESC, e.id DESC");
        Ok(sqlx::query_as(&sql)
            .bind(regulator_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The requests sent to a practitioner, newest first.
    pub async fn practitioner_extra_requests(
        &self,
        practitioner_id: PractitionerId,
    ) -> StoreResult<Vec<ExtraRecord>> {
        let sql =
            extra_select("WHERE e.practitioner_id = $1 ORDER BY e.created_at DESC, e.id DESC");
        Ok(sqlx::query_as(&sql)
            .bind(practitioner_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The practitioner accepts a request still waiting and not expired: its appointment is
    /// booked outside the agenda in the same transaction. `NotFound` otherwise.
    pub async fn accept_extra_request(
        &self,
        id: ExtraRequestId,
        practitioner_id: PractitionerId,
        change: &ExtraChange<'_>,
    ) -> StoreResult<AppointmentId> {
        let mut tx = self.begin_write().await?;
        let answered = sqlx::query(
            "UPDATE extra_requests SET status = 'accepted', answered_at = $3
             WHERE id = $1 AND practitioner_id = $2 AND status = 'pending' AND expires_at > $3",
        )
        .bind(id)
        .bind(practitioner_id)
        .bind(change.now)
        .execute(&mut *tx)
        .await?;
        super::found(answered.rows_affected())?;
        let appointment = book_outside_agenda(&mut tx, id, practitioner_id, change.now).await?;
        audit(
            &mut tx,
            change,
            "extra_request_accepted",
            &format!("extra_request:{id}"),
        )
        .await?;
        let subject = format!("appointment:{appointment}");
        audit(&mut tx, change, "appointment_created", &subject).await?;
        tx.commit().await?;
        Ok(appointment)
    }

    /// The practitioner declines a request still waiting, with a reason. `NotFound` otherwise.
    pub async fn decline_extra_request(
        &self,
        id: ExtraRequestId,
        practitioner_id: PractitionerId,
        reason: &str,
        change: &ExtraChange<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let answered = sqlx::query(
            "UPDATE extra_requests SET status = 'declined', decline_reason = $4, answered_at = $3
             WHERE id = $1 AND practitioner_id = $2 AND status = 'pending' AND expires_at > $3",
        )
        .bind(id)
        .bind(practitioner_id)
        .bind(change.now)
        .bind(reason)
        .execute(&mut *tx)
        .await?;
        super::found(answered.rows_affected())?;
        let subject = format!("extra_request:{id}");
        audit(&mut tx, change, "extra_request_declined", &subject).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The regulator withdraws their request still waiting. `NotFound` otherwise.
    pub async fn withdraw_extra_request(
        &self,
        id: ExtraRequestId,
        change: &ExtraChange<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let withdrawn = sqlx::query(
            "UPDATE extra_requests SET status = 'withdrawn', answered_at = $3
             WHERE id = $1 AND regulator_id = $2 AND status = 'pending' AND expires_at > $3",
        )
        .bind(id)
        .bind(change.by)
        .bind(change.now)
        .execute(&mut *tx)
        .await?;
        super::found(withdrawn.rows_affected())?;
        let subject = format!("extra_request:{id}");
        audit(&mut tx, change, "extra_request_withdrawn", &subject).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks the requests unanswered at their deadline as expired, each with its audit entry,
    /// in one transaction; returns them.
    pub async fn expire_extra_requests(&self, now: i64) -> StoreResult<Vec<ExtraRequestId>> {
        let mut tx = self.begin_write().await?;
        let expired: Vec<ExtraRequestId> = sqlx::query_scalar(
            "UPDATE extra_requests SET status = 'expired'
             WHERE status = 'pending' AND expires_at <= $1 RETURNING id",
        )
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for id in &expired {
            let entry = AuditEntry {
                at: now,
                user_id: None,
                action: "extra_request_expired",
                subject: &format!("extra_request:{id}"),
                ip: None,
            };
            write_audit(&mut tx, &entry).await?;
        }
        tx.commit().await?;
        Ok(expired)
    }
}
