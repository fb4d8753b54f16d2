//! Retention: the patient data of appointments (and of surnuméraire requests that booked
//! nothing) past the retention period is erased in small batches; the appointments and requests
//! themselves (ids, times, statuses) and the audit chain stay.

use super::journal::{AuditEntry, write_audit};
use super::{Store, StoreResult};
use crate::domain::ids::{AppointmentId, ExtraRequestId};

impl Store {
    /// Erases the patient data of at most `batch` appointments that started before `before`
    /// (identity, message, answers, cancellation reason, attachment rows), in one short
    /// transaction with its audit entry. Returns how many, and the attachment files to delete.
    pub async fn erase_patient_data(
        &self,
        before: i64,
        batch: i64,
        now: i64,
    ) -> StoreResult<(u64, Vec<String>)> {
        let mut tx = self.begin_write().await?;
        let due: Vec<(AppointmentId, i64)> = sqlx::query_as(
            "SELECT a.id, a.patient_id FROM appointments a JOIN patients p ON p.id = a.patient_id
             WHERE a.starts_at < $1 AND p.erased_at IS NULL ORDER BY a.id LIMIT $2",
        )
        .bind(before)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        let mut files = Vec::new();
        for (appointment_id, patient_id) in &due {
            erase_patient(&mut tx, *patient_id, now).await?;
            sqlx::query(
                "UPDATE appointments SET message = NULL, cancel_reason = NULL WHERE id = $1",
            )
            .bind(appointment_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM appointment_answers WHERE appointment_id = $1")
                .bind(appointment_id)
                .execute(&mut *tx)
                .await?;
            let tokens: Vec<(String,)> =
                sqlx::query_as("DELETE FROM attachments WHERE appointment_id = $1 RETURNING token")
                    .bind(appointment_id)
                    .fetch_all(&mut *tx)
                    .await?;
            files.extend(tokens.into_iter().map(|(token,)| token));
        }
        // Surnuméraire requests that booked nothing: their patient and message.
        let requests: Vec<(ExtraRequestId, i64)> = sqlx::query_as(
            "SELECT e.id, e.patient_id FROM extra_requests e JOIN patients p ON p.id = e.patient_id
             WHERE e.appointment_id IS NULL AND e.starts_at < $1 AND p.erased_at IS NULL
             ORDER BY e.id LIMIT $2",
        )
        .bind(before)
        .bind(batch)
        .fetch_all(&mut *tx)
        .await?;
        for (request_id, patient_id) in &requests {
            erase_patient(&mut tx, *patient_id, now).await?;
            sqlx::query("UPDATE extra_requests SET message = NULL WHERE id = $1")
                .bind(request_id)
                .execute(&mut *tx)
                .await?;
        }
        let subjects = [
            span("appointments", due.iter().map(|d| d.0.0)),
            span("extra_requests", requests.iter().map(|r| r.0.0)),
        ];
        let subject = subjects.into_iter().flatten().collect::<Vec<_>>().join(",");
        if subject.is_empty() {
            return Ok((0, files));
        }
        let entry = AuditEntry {
            at: now,
            user_id: None,
            action: "patient_data_erased",
            subject: &subject,
            ip: None,
        };
        write_audit(&mut tx, &entry).await?;
        tx.commit().await?;
        Ok(((due.len() + requests.len()) as u64, files))
    }
}

/// "appointments:12-40", from the ids in order; `None` without any.
fn span(what: &str, mut ids: impl Iterator<Item = i64>) -> Option<String> {
    let first = ids.next()?;
    let last = ids.last().unwrap_or(first);
    Some(format!("{what}:{first}-{last}"))
}

/// Empties a patient's identity, keeping the row (appointments and requests point at it).
async fn erase_patient(tx: &mut sqlx::AnyConnection, patient_id: i64, now: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE patients SET civility = NULL, first_name = '', last_name = '',
             birth_name = '', birth_date = '', birth_insee = NULL, birth_city = NULL,
             birth_country = NULL, phone = '', email = NULL, address = NULL, nir = NULL,
             erased_at = $2
         WHERE id = $1",
    )
    .bind(patient_id)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}
