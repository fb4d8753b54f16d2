//! Regulators' invitations and single-use links (invitations, password resets, e-mail
//! address confirmations).

use super::accounts::email_error;
use super::{MaybeFlag, Store, StoreError, StoreResult};
use crate::domain::Role;
use crate::domain::ids::*;
use sqlx::AnyConnection;

const REGULATOR_SELECT: &str = "SELECT r.id, r.civility, r.first_name, r.last_name, r.email,
        r.departement, r.invited_at, r.revoked_at, r.user_id, u.email AS account_email,
        u.role AS account_role, CAST(u.disabled AS INTEGER) AS disabled,
        (SELECT MAX(t.expires_at) FROM account_tokens t
         WHERE t.regulator_id = r.id AND t.used_at IS NULL) AS invitation_expires_at
    FROM regulators r LEFT JOIN users u ON u.id = r.user_id";

/// A regulator to invite, as the SAS platform created them.
pub struct NewRegulator<'a> {
    pub civility: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub departement: &'a str,
    pub invited_by: Option<UserId>,
    pub invited_at: i64,
}

/// A single-use link: only the hash of its token is stored.
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A regulator with their invitation and, once created, their account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegulatorRecord {
    pub id: InvitationId,
    pub civility: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub departement: String,
    pub invited_at: i64,
    pub revoked_at: Option<i64>,
    pub user_id: Option<UserId>,
    pub account_email: Option<String>,
    pub account_role: Option<String>,
    #[sqlx(try_from = "MaybeFlag")]
    pub disabled: Option<bool>,
    /// Expiry of the newest unused invitation link, if any.
    pub invitation_expires_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRecord {
    pub purpose: String,
    pub regulator_id: Option<InvitationId>,
    pub user_id: Option<UserId>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// The account a regulator creates from their invitation.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub profession: &'a str,
    pub created_at: i64,
}

/// Who a link is for: an invited regulator or an existing account.
enum LinkFor {
    Invitation(InvitationId),
    Reset(UserId),
    Confirm(UserId),
}

/// Stores a single-use link.
async fn insert_token(
    conn: &mut AnyConnection,
    token: &NewToken<'_>,
    link: LinkFor,
) -> StoreResult<()> {
    let (purpose, regulator_id, user_id) = match link {
        LinkFor::Invitation(id) => ("invitation", Some(id), None),
        LinkFor::Reset(id) => ("reset", None, Some(id)),
        LinkFor::Confirm(id) => ("confirm", None, Some(id)),
    };
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, purpose, regulator_id, user_id, created_at,
             expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token.token_hash)
    .bind(purpose)
    .bind(regulator_id)
    .bind(user_id)
    .bind(token.created_at)
    .bind(token.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses an unexpired, unused link of `purpose`; answers whom it is for (regulator or user id).
async fn use_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> StoreResult<i64> {
    let used: Option<(Option<i64>, Option<i64>)> = sqlx::query_as(
        "UPDATE account_tokens SET used_at = $3
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING regulator_id, user_id",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    used.and_then(|(regulator, user)| regulator.or(user))
        .ok_or(StoreError::TokenUnusable)
}

impl Store {
    /// Creates the regulator and their first invitation link; `Taken(Unique::Email)` if the address
    /// already has an open invitation or account.
    pub async fn insert_regulator(
        &self,
        r: &NewRegulator<'_>,
        token: &NewToken<'_>,
    ) -> StoreResult<InvitationId> {
        let mut tx = self.begin_write().await?;
        let (id,): (InvitationId,) = sqlx::query_as(
            "INSERT INTO regulators (civility, first_name, last_name, email, departement,
                 invited_by, invited_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(r.civility)
        .bind(r.first_name)
        .bind(r.last_name)
        .bind(r.email)
        .bind(r.departement)
        .bind(r.invited_by)
        .bind(r.invited_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(email_error)?;
        insert_token(&mut tx, token, LinkFor::Invitation(id)).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records the regulator behind an account made without an invitation (the demo's), so that
    /// their département is known.
    pub async fn insert_account_regulator(
        &self,
        r: &NewRegulator<'_>,
        user_id: UserId,
    ) -> StoreResult<InvitationId> {
        let _turn = self.turn().await;
        let (id,): (InvitationId,) = sqlx::query_as(
            "INSERT INTO regulators (civility, first_name, last_name, email, departement,
                 invited_by, invited_at, user_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(r.civility)
        .bind(r.first_name)
        .bind(r.last_name)
        .bind(r.email)
        .bind(r.departement)
        .bind(r.invited_by)
        .bind(r.invited_at)
        .bind(user_id)
        .fetch_one(&self.pool)
        .await
        .map_err(email_error)?;
        Ok(id)
    }

    pub async fn regulators(&self) -> StoreResult<Vec<RegulatorRecord>> {
        let sql = format!("{REGULATOR_SELECT} ORDER BY r.invited_at DESC, r.id DESC");
        Ok(sqlx::query_as(&sql).fetch_all(&self.pool).await?)
    }

    pub async fn regulator(&self, id: InvitationId) -> StoreResult<Option<RegulatorRecord>> {
        let sql = format!("{REGULATOR_SELECT} WHERE r.id = $1");
        Ok(sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Replaces the unused links of a pending invitation by a new one; false if none is pending.
    pub async fn renew_invitation(
        &self,
        regulator_id: InvitationId,
        token: &NewToken<'_>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let pending: Option<(i64,)> = sqlx::query_as(
            "SELECT id FROM regulators WHERE id = $1 AND user_id IS NULL AND revoked_at IS NULL",
        )
        .bind(regulator_id)
        .fetch_optional(&mut *tx)
        .await?;
        if pending.is_none() {
            return Ok(false);
        }
        sqlx::query("DELETE FROM account_tokens WHERE regulator_id = $1 AND used_at IS NULL")
            .bind(regulator_id)
            .execute(&mut *tx)
            .await?;
        insert_token(&mut tx, token, LinkFor::Invitation(regulator_id)).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Cancels a pending invitation and its links; false if none is pending.
    pub async fn revoke_invitation(
        &self,
        regulator_id: InvitationId,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE regulators SET revoked_at = $2
             WHERE id = $1 AND user_id IS NULL AND revoked_at IS NULL",
        )
        .bind(regulator_id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM account_tokens WHERE regulator_id = $1 AND used_at IS NULL")
            .bind(regulator_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(changed == 1)
    }

    pub async fn account_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>> {
        Ok(sqlx::query_as(
            "SELECT purpose, regulator_id, user_id, expires_at, used_at FROM account_tokens
             WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Uses the invitation link and creates the account, in one transaction:
    /// `TokenUnusable` if the link is used, expired or revoked, `Taken(Unique::Email)` if the address is.
    pub async fn accept_invitation(
        &self,
        token_hash: &str,
        now: i64,
        account: &NewAccount<'_>,
    ) -> StoreResult<UserId> {
        let mut tx = self.begin_write().await?;
        let regulator_id = InvitationId(use_token(&mut tx, token_hash, "invitation", now).await?);
        let names: Option<(String, String)> = sqlx::query_as(
            "SELECT first_name, last_name FROM regulators
             WHERE id = $1 AND user_id IS NULL AND revoked_at IS NULL",
        )
        .bind(regulator_id)
        .fetch_optional(&mut *tx)
        .await?;
        let (first_name, last_name) = names.ok_or(StoreError::TokenUnusable)?;
        let (user_id,): (UserId,) = sqlx::query_as(
            "INSERT INTO users (email, password_hash, role, first_name, last_name, created_at,
                 profession, email_verified_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $6) RETURNING id",
        )
        .bind(account.email)
        .bind(account.password_hash)
        .bind(account.role.code())
        .bind(&first_name)
        .bind(&last_name)
        .bind(account.created_at)
        .bind(account.profession)
        .fetch_one(&mut *tx)
        .await
        .map_err(email_error)?;
        sqlx::query("UPDATE regulators SET user_id = $2 WHERE id = $1")
            .bind(regulator_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    pub async fn insert_reset_token(
        &self,
        user_id: UserId,
        token: &NewToken<'_>,
    ) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        insert_token(&mut conn, token, LinkFor::Reset(user_id)).await
    }

    pub async fn insert_confirm_token(
        &self,
        user_id: UserId,
        token: &NewToken<'_>,
    ) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        insert_token(&mut conn, token, LinkFor::Confirm(user_id)).await
    }

    /// Uses the confirmation link and marks the account's address confirmed; its other
    /// confirmation links stop working. `TokenUnusable` if the link is used or expired.
    pub async fn confirm_email(&self, token_hash: &str, now: i64) -> StoreResult<UserId> {
        let mut tx = self.begin_write().await?;
        let user_id = UserId(use_token(&mut tx, token_hash, "confirm", now).await?);
        sqlx::query(
            "UPDATE users SET email_verified_at = $2 WHERE id = $1 AND email_verified_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE account_tokens SET used_at = $2
             WHERE user_id = $1 AND purpose = 'confirm' AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    /// Uses the reset link, sets the new password and closes every session of the account.
    pub async fn reset_password(
        &self,
        token_hash: &str,
        now: i64,
        password_hash: &str,
    ) -> StoreResult<UserId> {
        let mut tx = self.begin_write().await?;
        let user_id = UserId(use_token(&mut tx, token_hash, "reset", now).await?);
        // The link reached the address: it counts as confirmed.
        let changed = sqlx::query(
            "UPDATE users SET password_hash = $2,
                 email_verified_at = COALESCE(email_verified_at, $3)
             WHERE id = $1 AND NOT disabled",
        )
        .bind(user_id)
        .bind(password_hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::TokenUnusable);
        }
        // The other links of the account stop working, and so do its open sessions.
        sqlx::query(
            "UPDATE account_tokens SET used_at = $2 WHERE user_id = $1 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user_id)
    }
}
