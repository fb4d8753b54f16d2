//! Accounts and sessions, and the throttling of sign-in attempts.

use super::{Flag, Store, StoreError, StoreResult, Unique};
use crate::domain::Role;
use crate::domain::ids::*;

const USER_COLUMNS: &str = "u.id, u.email, u.password_hash, u.role, u.first_name, u.last_name,
    u.practitioner_id, u.profession, CAST(u.disabled AS INTEGER) AS disabled,
    u.email_verified_at, u.departement";

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub first_name: String,
    pub last_name: String,
    pub practitioner_id: Option<PractitionerId>,
    pub profession: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub disabled: bool,
    /// When the owner of the address confirmed it (by a link sent there).
    pub email_verified_at: Option<i64>,
    /// The département a regulator or an administrator answers for; `None`: every one.
    pub departement: Option<String>,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub practitioner_id: Option<PractitionerId>,
    pub created_at: i64,
    pub email_verified_at: Option<i64>,
    /// An administrator's département.
    pub departement: Option<&'a str>,
}

/// A unique-index violation on an address means it is taken.
pub(super) fn email_error(err: sqlx::Error) -> StoreError {
    match err.as_database_error() {
        Some(db) if db.is_unique_violation() => StoreError::Taken(Unique::Email),
        _ => StoreError::Database(err),
    }
}

/// Rows a purge deletes per statement.
const PURGE_BATCH: u64 = 1000;

impl Store {
    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email = $1");
        Ok(sqlx::query_as(&sql)
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn insert_user(&self, user: &NewUser<'_>) -> StoreResult<UserId> {
        let _turn = self.turn().await;
        let (id,): (UserId,) = sqlx::query_as(
            "INSERT INTO users (email, password_hash, role, first_name, last_name, practitioner_id,
                 created_at, email_verified_at, departement)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(user.email)
        .bind(user.password_hash)
        .bind(user.role.code())
        .bind(user.first_name)
        .bind(user.last_name)
        .bind(user.practitioner_id)
        .bind(user.created_at)
        .bind(user.email_verified_at)
        .bind(user.departement)
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    pub async fn insert_session(
        &self,
        token_hash: &str,
        user_id: UserId,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        let _turn = self.turn().await;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session_user(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<UserRecord>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > $2
                 AND (s.idle_until IS NULL OR s.idle_until > $2) AND NOT u.disabled"
        );
        Ok(sqlx::query_as(&sql)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Keeps a session open until `idle_until` at least; written only when that moves the
    /// deadline by a minute or more (not at every request).
    pub async fn touch_session(&self, token_hash: &str, idle_until: i64) -> StoreResult<()> {
        let _turn = self.turn().await;
        sqlx::query(
            "UPDATE sessions SET idle_until = $2
             WHERE token_hash = $1 AND (idle_until IS NULL OR idle_until < $3)",
        )
        .bind(token_hash)
        .bind(idle_until)
        .bind(idle_until - 60)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        let _turn = self.turn().await;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Disables an account and closes its sessions; false if it was already disabled.
    pub async fn disable_user(&self, user_id: UserId) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let changed =
            sqlx::query("UPDATE users SET disabled = TRUE WHERE id = $1 AND NOT disabled")
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(changed == 1)
    }

    /// Records one attempt under each key, forgetting those older than `forget_before`.
    pub async fn record_attempt(
        &self,
        keys: &[&str],
        at: i64,
        forget_before: i64,
    ) -> StoreResult<()> {
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

    pub async fn attempts(&self, key: &str, since: i64) -> StoreResult<i64> {
        let (count,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM throttle_events WHERE key = $1 AND at >= $2")
                .bind(key)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(count)
    }

    /// Counts one attempt under `key` and answers how many its window now holds; a window
    /// older than `window` seconds starts again at this attempt. One atomic upsert: parallel
    /// attempts each get their own count.
    pub async fn claim_attempt(&self, key: &str, now: i64, window: i64) -> StoreResult<i64> {
        let _turn = self.turn().await;
        let (attempts,): (i64,) = sqlx::query_as(
            "INSERT INTO throttle_counters (key, window_start, attempts) VALUES ($1, $2, 1)
             ON CONFLICT (key) DO UPDATE SET
                 attempts = CASE WHEN throttle_counters.window_start <= $3 THEN 1
                     ELSE throttle_counters.attempts + 1 END,
                 window_start = CASE WHEN throttle_counters.window_start <= $3 THEN $2
                     ELSE throttle_counters.window_start END
             RETURNING attempts",
        )
        .bind(key)
        .bind(now)
        .bind(now - window)
        .fetch_one(&self.pool)
        .await?;
        Ok(attempts)
    }

    pub async fn forget_attempts(&self, key: &str) -> StoreResult<()> {
        let _turn = self.turn().await;
        sqlx::query("DELETE FROM throttle_counters WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Remembers a browser that signed in to `user_id`, until `expires_at`.
    pub async fn trust_device(
        &self,
        token_hash: &str,
        user_id: UserId,
        expires_at: i64,
    ) -> StoreResult<()> {
        let _turn = self.turn().await;
        sqlx::query(
            "INSERT INTO trusted_devices (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The account a browser signed in to, if its mark is still valid at `now`.
    pub async fn trusted_device(&self, token_hash: &str, now: i64) -> StoreResult<Option<UserId>> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM trusted_devices WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Deletes what has expired at `now`: sessions, trusted browsers, throttling windows older
    /// than `window` seconds; returns how many rows went.
    pub async fn purge_expired(&self, now: i64, window: i64) -> StoreResult<u64> {
        let mut purged = 0;
        for (table, key, ended, bound) in [
            (
                "sessions",
                "token_hash",
                "expires_at <= $1 OR idle_until <= $1",
                now,
            ),
            ("trusted_devices", "token_hash", "expires_at <= $1", now),
            (
                "throttle_counters",
                "key",
                "window_start <= $1",
                now - window,
            ),
            ("throttle_events", "id", "at <= $1", now - window),
        ] {
            // A thousand rows per statement: a sign-in never waits long behind a purge.
            let sql = format!(
                "DELETE FROM {table} WHERE {key} IN
                 (SELECT {key} FROM {table} WHERE {ended} LIMIT {PURGE_BATCH})"
            );
            loop {
                let _turn = self.turn().await;
                let deleted = sqlx::query(&sql)
                    .bind(bound)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                purged += deleted;
                if deleted < PURGE_BATCH {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        Ok(purged)
    }
}
