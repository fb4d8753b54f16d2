//! Practitioners: their registration, SAS settings, reasons (motifs) and booking questions.
//! Every method of a practitioner's own data is scoped by `practitioner_id` and answers
//! `NotFound` for another practitioner's record.

use super::accounts::NewUser;
use super::cells::{cell_member, recell, recell_moved};
use super::slots::reflag;
use super::{Flag, Store, StoreError, StoreResult, Unique, found};
use crate::domain::eligibility::ReasonFlags;
use crate::domain::ids::*;
use crate::domain::participation::SasStatus;
use crate::domain::place::PositionSource;
use crate::domain::practitioner::ExtraFields;
use crate::domain::practitioner::{ExtraField, ReasonForm, SNP_NAME, Settings};
use sqlx::AnyConnection;

pub struct NewPractitioner<'a> {
    pub rpps: &'a str,
    pub civility: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub specialty: &'a str,
    pub address: &'a str,
    pub postcode: &'a str,
    pub city: &'a str,
    pub insee_code: &'a str,
    pub departement: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub position_source: PositionSource,
    /// E.164, or `None` when the practitioner gave no number.
    pub phone: Option<&'a str>,
    /// Only `Approved` puts their slots in the search (`sas_registered`).
    pub sas_status: SasStatus,
    pub accepts_new_patients: bool,
    pub booking_notice: &'a str,
}

/// A practice as the settings change it: specialty, address, and the position of the commune.
pub struct PracticeChange<'a> {
    pub specialty: &'a str,
    pub address: &'a str,
    pub postcode: &'a str,
    pub city: &'a str,
    pub insee_code: &'a str,
    pub departement: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    pub position_source: PositionSource,
}

pub struct NewReason<'a> {
    pub name: &'a str,
    pub duration_minutes: i64,
    pub flags: ReasonFlags,
    /// « À lire avant de prendre un rendez-vous » for this reason; empty for none.
    pub notice: &'a str,
}

/// A practitioner as their own settings page shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PractitionerProfile {
    pub id: PractitionerId,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    #[sqlx(try_from = "Flag")]
    pub sas_registered: bool,
    #[sqlx(try_from = "String")]
    pub sas_status: SasStatus,
    pub sas_status_reason: Option<String>,
    pub sas_status_at: Option<i64>,
    #[sqlx(try_from = "Flag")]
    pub accepts_new_patients: bool,
    pub booking_notice: String,
    /// Comma-separated `ExtraField` codes.
    #[sqlx(try_from = "String")]
    pub extra_fields: ExtraFields,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub insee_code: String,
    #[sqlx(try_from = "String")]
    pub position_source: PositionSource,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReasonRecord {
    pub id: ReasonId,
    pub name: String,
    pub duration_minutes: i64,
    #[sqlx(try_from = "Flag")]
    pub open_to_new_patients: bool,
    #[sqlx(try_from = "Flag")]
    pub bookable_online: bool,
    #[sqlx(try_from = "Flag")]
    pub is_snp: bool,
    #[sqlx(try_from = "Flag")]
    pub archived: bool,
    pub notice: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuestionRecord {
    pub id: QuestionId,
    pub label: String,
    #[sqlx(try_from = "Flag")]
    pub required: bool,
}

/// Inserts a practitioner, into their grid cell too; returns their id.
async fn insert_practitioner(
    conn: &mut AnyConnection,
    p: &NewPractitioner<'_>,
) -> StoreResult<PractitionerId> {
    let (id,): (PractitionerId,) = sqlx::query_as(
        "INSERT INTO practitioners (rpps, civility, first_name, last_name, specialty, address,
             postcode, city, insee_code, departement, latitude, longitude, position_source, phone,
             sas_registered, sas_status, accepts_new_patients, booking_notice)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         RETURNING id",
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
    .bind(p.position_source.code())
    .bind(p.phone)
    .bind(p.sas_status.in_search())
    .bind(p.sas_status.code())
    .bind(p.accepts_new_patients)
    .bind(p.booking_notice)
    .fetch_one(&mut *conn)
    .await?;
    recell(conn, &[id]).await?;
    Ok(id)
}

/// Ends a change of the practitioner's settings or reasons: `NotFound` if it touched nothing;
/// otherwise the eligibility verdicts of their slots follow it, in the same transaction.
async fn reflag_and_commit(
    mut tx: super::WriteTx,
    changed: u64,
    practitioner_id: PractitionerId,
) -> StoreResult<()> {
    found(changed)?;
    reflag(&mut tx, &[practitioner_id]).await?;
    tx.commit().await?;
    Ok(())
}

impl Store {
    pub async fn insert_practitioner(
        &self,
        p: &NewPractitioner<'_>,
    ) -> StoreResult<PractitionerId> {
        let mut tx = self.begin_write().await?;
        let id = insert_practitioner(&mut tx, p).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Creates the practitioner and their account in one transaction; `Taken` names the field.
    pub async fn register_practitioner(
        &self,
        p: &NewPractitioner<'_>,
        account: &NewUser<'_>,
    ) -> StoreResult<UserId> {
        let mut tx = self.begin_write().await?;
        let role: Option<(String,)> = sqlx::query_as("SELECT role FROM users WHERE email = $1")
            .bind(account.email)
            .fetch_optional(&mut *tx)
            .await?;
        match role {
            Some((role,)) if role == "regulator" => {
                return Err(StoreError::Taken(Unique::RegulatorEmail));
            }
            Some(_) => return Err(StoreError::Taken(Unique::Email)),
            None => {}
        }
        let rpps: Option<(i64,)> = sqlx::query_as("SELECT id FROM practitioners WHERE rpps = $1")
            .bind(p.rpps)
            .fetch_optional(&mut *tx)
            .await?;
        if rpps.is_some() {
            return Err(StoreError::Taken(Unique::Rpps));
        }
        let practitioner_id = insert_practitioner(&mut tx, p).await?;
        let (user_id,): (UserId,) = sqlx::query_as(
            "INSERT INTO users (email, password_hash, role, first_name, last_name, practitioner_id,
                 created_at, email_verified_at)
             VALUES ($1, $2, 'practitioner', $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(account.email)
        .bind(account.password_hash)
        .bind(account.first_name)
        .bind(account.last_name)
        .bind(practitioner_id)
        .bind(account.created_at)
        .bind(account.email_verified_at)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    pub async fn practitioner_profile(
        &self,
        practitioner_id: PractitionerId,
    ) -> StoreResult<Option<PractitionerProfile>> {
        Ok(sqlx::query_as(
            "SELECT id, civility, first_name, last_name, specialty,
                 CAST(sas_registered AS INTEGER) AS sas_registered, sas_status, sas_status_reason,
                 sas_status_at, CAST(accepts_new_patients AS INTEGER) AS accepts_new_patients,
                 booking_notice, extra_fields, address, postcode, city, insee_code, position_source
             FROM practitioners WHERE id = $1",
        )
        .bind(practitioner_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn update_settings(
        &self,
        practitioner_id: PractitionerId,
        settings: &Settings,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE practitioners SET accepts_new_patients = $2, booking_notice = $3,
                 extra_fields = $4
             WHERE id = $1",
        )
        .bind(practitioner_id)
        .bind(settings.accepts_new_patients)
        .bind(&settings.booking_notice)
        .bind(ExtraField::join(&settings.extra_fields))
        .execute(&mut *tx)
        .await?;
        reflag_and_commit(tx, updated.rows_affected(), practitioner_id).await
    }

    /// Changes the practitioner's specialty, address and position; their grid entry moves
    /// with them in the same transaction.
    pub async fn update_practice(
        &self,
        practitioner_id: PractitionerId,
        p: &PracticeChange<'_>,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        // A no-op write first: PostgreSQL locks the row before it is read.
        let locked = sqlx::query("UPDATE practitioners SET id = id WHERE id = $1")
            .bind(practitioner_id)
            .execute(&mut *tx)
            .await?;
        found(locked.rows_affected())?;
        let before = cell_member(&mut tx, practitioner_id).await?;
        sqlx::query(
            "UPDATE practitioners SET specialty = $2, address = $3, postcode = $4, city = $5,
                 insee_code = $6, departement = $7, latitude = $8, longitude = $9,
                 position_source = $10
             WHERE id = $1",
        )
        .bind(practitioner_id)
        .bind(p.specialty)
        .bind(p.address)
        .bind(p.postcode)
        .bind(p.city)
        .bind(p.insee_code)
        .bind(p.departement)
        .bind(p.latitude)
        .bind(p.longitude)
        .bind(p.position_source.code())
        .execute(&mut *tx)
        .await?;
        recell_moved(&mut tx, &[practitioner_id], before.into_iter().collect()).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn insert_reason(
        &self,
        practitioner_id: PractitionerId,
        reason: &NewReason<'_>,
    ) -> StoreResult<ReasonId> {
        let (id,): (ReasonId,) = sqlx::query_as(
            "INSERT INTO reasons (practitioner_id, name, duration_minutes, open_to_new_patients,
                 bookable_online, is_snp, notice)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(practitioner_id)
        .bind(reason.name)
        .bind(reason.duration_minutes)
        .bind(reason.flags.open_to_new_patients)
        .bind(reason.flags.bookable_online)
        .bind(reason.flags.is_snp)
        .bind(reason.notice)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Every reason, archived ones included, "Soins non programmés" first.
    pub async fn reasons(&self, practitioner_id: PractitionerId) -> StoreResult<Vec<ReasonRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, name, duration_minutes,
                 CAST(open_to_new_patients AS INTEGER) AS open_to_new_patients,
                 CAST(bookable_online AS INTEGER) AS bookable_online,
                 CAST(is_snp AS INTEGER) AS is_snp, CAST(archived AS INTEGER) AS archived, notice
             FROM reasons WHERE practitioner_id = $1 ORDER BY is_snp DESC, archived, id",
        )
        .bind(practitioner_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The name of "Soins non programmés" never changes.
    pub async fn update_reason(
        &self,
        practitioner_id: PractitionerId,
        reason_id: ReasonId,
        reason: &ReasonForm,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let updated = sqlx::query(
            "UPDATE reasons SET name = CASE WHEN is_snp THEN name ELSE $3 END,
                 duration_minutes = $4, open_to_new_patients = $5, bookable_online = $6,
                 notice = $7
             WHERE id = $1 AND practitioner_id = $2",
        )
        .bind(reason_id)
        .bind(practitioner_id)
        .bind(reason.name.as_deref().unwrap_or(SNP_NAME))
        .bind(i64::from(reason.duration_minutes))
        .bind(reason.open_to_new_patients)
        .bind(reason.bookable_online)
        .bind(&reason.notice)
        .execute(&mut *tx)
        .await?;
        reflag_and_commit(tx, updated.rows_affected(), practitioner_id).await
    }

    pub async fn set_reason_archived(
        &self,
        practitioner_id: PractitionerId,
        reason_id: ReasonId,
        archived: bool,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let updated =
            sqlx::query("UPDATE reasons SET archived = $3 WHERE id = $1 AND practitioner_id = $2")
                .bind(reason_id)
                .bind(practitioner_id)
                .bind(archived)
                .execute(&mut *tx)
                .await?;
        reflag_and_commit(tx, updated.rows_affected(), practitioner_id).await
    }

    /// Adds the built-in "Soins non programmés" reason, or brings it back from the archive.
    pub async fn add_snp_reason(&self, practitioner_id: PractitionerId) -> StoreResult<ReasonId> {
        let mut tx = self.begin_write().await?;
        let existing: Option<(ReasonId,)> =
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
                let (id,): (ReasonId,) = sqlx::query_as(
                    "INSERT INTO reasons (practitioner_id, name, duration_minutes,
                         open_to_new_patients, bookable_online, is_snp)
                     VALUES ($1, $2, 20, FALSE, FALSE, TRUE) RETURNING id",
                )
                .bind(practitioner_id)
                .bind(SNP_NAME)
                .fetch_one(&mut *tx)
                .await?;
                id
            }
        };
        tx.commit().await?;
        Ok(id)
    }

    /// Active questions, in the order they were added.
    pub async fn booking_questions(
        &self,
        practitioner_id: PractitionerId,
    ) -> StoreResult<Vec<QuestionRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, label, CAST(required AS INTEGER) AS required FROM booking_questions
             WHERE practitioner_id = $1 AND NOT archived ORDER BY id",
        )
        .bind(practitioner_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn insert_question(
        &self,
        practitioner_id: PractitionerId,
        label: &str,
        required: bool,
    ) -> StoreResult<QuestionId> {
        let _turn = self.turn().await;
        let (id,): (QuestionId,) = sqlx::query_as(
            "INSERT INTO booking_questions (practitioner_id, label, required) VALUES ($1, $2, $3)
             RETURNING id",
        )
        .bind(practitioner_id)
        .bind(label)
        .bind(required)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn archive_question(
        &self,
        practitioner_id: PractitionerId,
        question_id: QuestionId,
    ) -> StoreResult<()> {
        let _turn = self.turn().await;
        let updated = sqlx::query(
            "UPDATE booking_questions SET archived = TRUE
             WHERE id = $1 AND practitioner_id = $2 AND NOT archived",
        )
        .bind(question_id)
        .bind(practitioner_id)
        .execute(&self.pool)
        .await?;
        found(updated.rows_affected())
    }
}
