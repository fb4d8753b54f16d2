//! Practitioners' participation in the SAS (requests and the administration's decisions) and
//! the national directory of health professionals they are checked against.

use super::slots::reflag;
use super::{Store, StoreResult};
use crate::domain::ids::*;
use crate::domain::participation::SasStatus;
use crate::domain::rpps::DirectoryEntry;

/// A practitioner with their participation, as the administration lists them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipationRecord {
    pub practitioner_id: PractitionerId,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub rpps: String,
    pub city: String,
    pub departement: String,
    #[sqlx(try_from = "String")]
    pub sas_status: SasStatus,
    pub sas_status_reason: Option<String>,
    pub sas_status_at: Option<i64>,
    pub user_id: UserId,
    pub email: String,
    pub email_verified_at: Option<i64>,
}

const PARTICIPATION_SELECT: &str = "SELECT p.id AS practitioner_id, p.civility, p.first_name,
        p.last_name, p.specialty, p.rpps, p.city, p.departement, p.sas_status,
        p.sas_status_reason, p.sas_status_at, u.id AS user_id, u.email, u.email_verified_at
    FROM practitioners p JOIN users u ON u.practitioner_id = p.id";

/// A regulator to tell about a practitioner (they booked an appointment still to come).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegulatorContact {
    pub user_id: UserId,
    pub email: String,
    pub first_name: String,
    pub appointments: i64,
}

impl Store {
    /// Moves the participation from one of `from` to `to` and, in the same transaction, puts
    /// the practitioner's free slots in or out of the search. `false` if it was in none of
    /// `from` (someone decided first): nothing changes.
    pub async fn set_participation(
        &self,
        practitioner_id: PractitionerId,
        from: &[SasStatus],
        to: SasStatus,
        reason: Option<&str>,
        at: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let (current,): (String,) =
            match sqlx::query_as("SELECT sas_status FROM practitioners WHERE id = $1")
                .bind(practitioner_id)
                .fetch_optional(&mut *tx)
                .await?
            {
                Some(row) => row,
                None => return Ok(false),
            };
        if !from.iter().any(|s| s.code() == current) {
            return Ok(false);
        }
        let changed = sqlx::query(
            "UPDATE practitioners SET sas_status = $2, sas_registered = $3,
                 sas_status_reason = $4, sas_status_at = $5
             WHERE id = $1 AND sas_status = $6",
        )
        .bind(practitioner_id)
        .bind(to.code())
        .bind(to.in_search())
        .bind(reason)
        .bind(at)
        .bind(&current)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        reflag(&mut tx, &[practitioner_id]).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Every practitioner who asked to participate, at some point, in `departement` (`None`:
    /// every département): pending requests first, then by the last change.
    pub async fn participations(
        &self,
        departement: Option<&str>,
    ) -> StoreResult<Vec<ParticipationRecord>> {
        let sql = format!(
            "{PARTICIPATION_SELECT}
             WHERE p.sas_status <> 'none' AND ($1 IS NULL OR p.departement = $1)
             ORDER BY CASE p.sas_status WHEN 'requested' THEN 0 ELSE 1 END,
                 p.sas_status_at DESC, p.id"
        );
        Ok(sqlx::query_as(&sql)
            .bind(departement)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn participation(
        &self,
        practitioner_id: PractitionerId,
    ) -> StoreResult<Option<ParticipationRecord>> {
        let sql = format!("{PARTICIPATION_SELECT} WHERE p.id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(practitioner_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The regulators who booked an appointment with the practitioner still to come.
    pub async fn regulators_with_upcoming(
        &self,
        practitioner_id: PractitionerId,
        now: i64,
    ) -> StoreResult<Vec<RegulatorContact>> {
        Ok(sqlx::query_as(
            "SELECT u.id AS user_id, u.email, u.first_name, COUNT(*) AS appointments
             FROM appointments a JOIN users u ON u.id = a.regulator_id
             WHERE a.practitioner_id = $1 AND a.status = 'booked' AND a.starts_at > $2
             GROUP BY u.id, u.email, u.first_name ORDER BY u.id",
        )
        .bind(practitioner_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Opens an import of the directory; its entries count once it is finished.
    pub async fn start_rpps_import(&self, source: &str, at: i64) -> StoreResult<i64> {
        let _turn = self.turn().await;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO rpps_imports (source, started_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(source)
        .bind(at)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    /// Adds a batch of entries to an import, in one short transaction; a number met again
    /// (the extraction has one line per activity) keeps its first entry.
    pub async fn insert_rpps_entries(
        &self,
        import_id: i64,
        entries: &[DirectoryEntry],
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for e in entries {
            sqlx::query(
                "INSERT INTO rpps_directory (import_id, rpps, civility, last_name, first_name,
                     profession, savoir_faire, commune)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (import_id, rpps) DO NOTHING",
            )
            .bind(import_id)
            .bind(&e.rpps)
            .bind(&e.civility)
            .bind(&e.last_name)
            .bind(&e.first_name)
            .bind(&e.profession)
            .bind(&e.savoir_faire)
            .bind(&e.commune)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Makes the import the directory in force; returns its number of professionals. The
    /// previous imports are then deleted in small batches.
    pub async fn finish_rpps_import(&self, import_id: i64, at: i64) -> StoreResult<i64> {
        let _turn = self.turn().await;
        let (entries,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM rpps_directory WHERE import_id = $1")
                .bind(import_id)
                .fetch_one(&self.pool)
                .await?;
        sqlx::query("UPDATE rpps_imports SET finished_at = $2, entries = $3 WHERE id = $1")
            .bind(import_id)
            .bind(at)
            .bind(entries)
            .execute(&self.pool)
            .await?;
        let old: Vec<(i64,)> = sqlx::query_as("SELECT id FROM rpps_imports WHERE id < $1")
            .bind(import_id)
            .fetch_all(&self.pool)
            .await?;
        for (old_id,) in old {
            loop {
                let deleted = sqlx::query(
                    "DELETE FROM rpps_directory WHERE import_id = $1 AND rpps IN
                         (SELECT rpps FROM rpps_directory WHERE import_id = $1 LIMIT 5000)",
                )
                .bind(old_id)
                .execute(&self.pool)
                .await?
                .rows_affected();
                if deleted == 0 {
                    break;
                }
            }
            sqlx::query("DELETE FROM rpps_imports WHERE id = $1")
                .bind(old_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(entries)
    }

    /// The directory's entry for `rpps`: `None` when no directory has been imported,
    /// `Some(None)` when the number is not in it.
    pub async fn rpps_entry(&self, rpps: &str) -> StoreResult<Option<Option<DirectoryEntry>>> {
        let current: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM rpps_imports WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        let Some((import_id,)) = current else {
            return Ok(None);
        };
        let entry: Option<(String, String, String, String, String, String, String)> =
            sqlx::query_as(
                "SELECT rpps, civility, last_name, first_name, profession, savoir_faire, commune
                 FROM rpps_directory WHERE import_id = $1 AND rpps = $2",
            )
            .bind(import_id)
            .bind(rpps)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Some(entry.map(
            |(rpps, civility, last_name, first_name, profession, savoir_faire, commune)| {
                DirectoryEntry {
                    rpps,
                    civility,
                    last_name,
                    first_name,
                    profession,
                    savoir_faire,
                    commune,
                }
            },
        )))
    }
}
