//! The outbox of the demo (mails kept in the database when no SMTP server is configured) and
//! the audit log.

use super::{Store, StoreResult};
use crate::domain::ids::*;
use sqlx::AnyConnection;

pub struct OutboxMail<'a> {
    pub created_at: i64,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRecord {
    pub id: i64,
    pub created_at: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

/// Who did what to which record, and from where. Never patient data itself.
pub struct AuditEntry<'a> {
    pub at: i64,
    pub user_id: Option<UserId>,
    pub action: &'a str,
    pub subject: &'a str,
    pub ip: Option<&'a str>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRecord {
    pub at: i64,
    pub user_email: Option<String>,
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
}

/// Writes an audit entry, in the caller's transaction when the entry must not exist without
/// the change it records.
pub(super) async fn write_audit(
    conn: &mut AnyConnection,
    entry: &AuditEntry<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, action, subject, ip) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(entry.at)
    .bind(entry.user_id)
    .bind(entry.action)
    .bind(entry.subject)
    .bind(entry.ip)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn queue_mail(&self, mail: &OutboxMail<'_>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO outbox (created_at, recipient, subject, body) VALUES ($1, $2, $3, $4)",
        )
        .bind(mail.created_at)
        .bind(mail.recipient)
        .bind(mail.subject)
        .bind(mail.body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest mails first.
    pub async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, created_at, recipient, subject, body FROM outbox ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn audit(&self, entry: &AuditEntry<'_>) -> StoreResult<()> {
        write_audit(&mut *self.pool.acquire().await?, entry).await
    }

    /// The newest entries first.
    pub async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        Ok(sqlx::query_as(
            "SELECT l.at, u.email AS user_email, l.action, l.subject, l.ip
             FROM audit_log l LEFT JOIN users u ON u.id = l.user_id ORDER BY l.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
