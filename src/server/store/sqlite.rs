//! SQLite backend: the embedded default. One file, WAL, foreign keys on, writes serialised
//! with `BEGIN IMMEDIATE` so that a booking never fails half-way on a lock upgrade.

use super::sql::*;
use super::*;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|_| StoreError::BadUrl(url.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // Searches read much of the file: map it rather than copy pages, and cache more.
            .pragma("mmap_size", "1073741824")
            .pragma("cache_size", "-32768")
            // Rows cross from SQLite's thread in large batches, not one wake-up per few rows.
            .row_buffer_size(4096);
        if let Some(dir) = std::path::Path::new(options.get_filename()).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unreachable(format!("{}: {e}", dir.display())))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unreachable(e.to_string()))?;
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        fill_cells!(pool.begin_with("BEGIN IMMEDIATE").await?);
        Ok(Self { pool })
    }

    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

impl_store!(SqliteStore, "sqlite");

#[cfg(test)]
mod tests {
    use super::*;

    /// 0002 rebuilds `users` on SQLite: a database filled under 0001 keeps its accounts, their
    /// sessions and every reference to them.
    #[tokio::test]
    async fn accounts_migration_keeps_existing_data() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("old.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let mut first = sqlx::migrate!("./migrations/sqlite");
        first.migrations = first.migrations.iter().take(1).cloned().collect();
        first.run(&pool).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO practitioners (id, rpps, civility, first_name, last_name, specialty, address,
                 postcode, city, insee_code, departement, latitude, longitude)
             VALUES (1, '10000000009', 'Mme', 'A', 'B', 'MG', 'rue', '75004', 'Paris', '75104', '75', 0, 0);
             INSERT INTO users (id, email, password_hash, role, first_name, last_name, practitioner_id, created_at)
             VALUES (7, 'r@demo.test', 'h', 'regulator', 'R', 'S', NULL, 1),
                    (8, 'p@demo.test', 'h', 'practitioner', 'A', 'B', 1, 1);
             INSERT INTO sessions VALUES ('s', 7, 1, 9999999999);
             INSERT INTO slots (id, practitioner_id, starts_at, ends_at, mode) VALUES (1, 1, 10, 20, 'cabinet');
             INSERT INTO patients (id, first_name, last_name, birth_name, birth_date, phone, created_at)
             VALUES (1, 'P', 'Q', 'Q', '1950-01-01', '+33600000000', 1);
             INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at, mode, status, created_at)
             VALUES (1, 1, 7, 1, 10, 'cabinet', 'booked', 1);
             INSERT INTO audit_log (at, user_id, action, subject) VALUES (1, 7, 'sign_in', 'account');",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let store = SqliteStore::connect(&url).await.expect("migrated");
        let user = store
            .session_user("s", 2)
            .await
            .unwrap()
            .expect("session kept");
        assert_eq!(
            (user.id, user.email.as_str(), user.disabled),
            (7, "r@demo.test", false)
        );
        let practitioner = store.user_by_email("p@demo.test").await.unwrap().unwrap();
        assert_eq!(practitioner.practitioner_id, Some(1));
        assert_eq!(store.practitioner_appointments(1).await.unwrap().len(), 1);
        assert_eq!(
            store.audit_log(5).await.unwrap()[0].user_email.as_deref(),
            Some("r@demo.test")
        );
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&store.pool)
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
    }
}
