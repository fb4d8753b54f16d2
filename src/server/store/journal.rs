//! The outbox of the demo (mails kept in the database when no SMTP server is configured) and
//! the audit log: written as a hash chain, verified, read by filters.

use super::sql::Sql;
use super::{Store, StoreResult};
use crate::domain::admin::JournalFilter;
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
    pub id: i64,
    pub at: i64,
    pub user_email: Option<String>,
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
    /// Empty for entries written before the chain (migration 0009).
    pub hash: Option<String>,
}

/// The hash of an entry over its canonical form: its fields in a fixed order, separated by a
/// control character no field contains, and the previous entry's hash.
pub fn audit_hash(id: i64, entry: &AuditEntry<'_>, prev_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let user = entry.user_id.map(|u| u.to_string()).unwrap_or_default();
    let canonical = [
        id.to_string(),
        entry.at.to_string(),
        user,
        entry.action.to_string(),
        entry.subject.to_string(),
        entry.ip.unwrap_or_default().to_string(),
        prev_hash.to_string(),
    ]
    .join("\u{1f}");
    format!("{:x}", Sha256::digest(canonical.as_bytes()))
}

/// Writes an audit entry chained to the previous one, inside the caller's write transaction
/// (writers take turns: SQLite's write lock, a transaction-scoped advisory lock on PostgreSQL).
/// Callers pass their own transaction when the entry must not exist without the change it records.
pub(super) async fn write_audit(
    conn: &mut AnyConnection,
    entry: &AuditEntry<'_>,
) -> StoreResult<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock(7331)")
            .execute(&mut *conn)
            .await?;
    }
    let last: Option<(Option<String>,)> =
        sqlx::query_as("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let prev_hash = last.and_then(|(hash,)| hash).unwrap_or_default();
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO audit_log (at, user_id, action, subject, ip, prev_hash)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(entry.at)
    .bind(entry.user_id)
    .bind(entry.action)
    .bind(entry.subject)
    .bind(entry.ip)
    .bind(&prev_hash)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query("UPDATE audit_log SET hash = $1 WHERE id = $2")
        .bind(audit_hash(id, entry, &prev_hash))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerdict {
    /// Entries checked in the chain.
    pub chained: u64,
    /// Entries written before the chain existed (no hash).
    pub before_chain: u64,
    /// The hash of the last entry (to note elsewhere: deleting the newest entries leaves no
    /// trace in the chain itself).
    pub last_hash: Option<String>,
    /// The first entry that does not hold, and why.
    pub first_broken: Option<(i64, &'static str)>,
}

/// An entry as the chain is checked: what its hash covers, and the hashes it holds.
#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    user_id: Option<UserId>,
    action: String,
    subject: String,
    ip: Option<String>,
    prev_hash: Option<String>,
    hash: Option<String>,
}

impl AuditVerdict {
    /// Checks the next row (in id order); false once the chain is broken.
    fn check(&mut self, row: AuditRow) -> bool {
        let id = row.id;
        let Some(hash) = row.hash else {
            if self.last_hash.is_none() {
                self.before_chain += 1;
                return true;
            }
            self.first_broken = Some((id, "entrée sans empreinte au milieu de la chaîne"));
            return false;
        };
        let expected_prev = self.last_hash.clone().unwrap_or_default();
        if row.prev_hash.as_deref() != Some(expected_prev.as_str()) {
            self.first_broken = Some((id, "l'entrée précédente a été modifiée ou supprimée"));
            return false;
        }
        let entry = AuditEntry {
            at: row.at,
            user_id: row.user_id,
            action: &row.action,
            subject: &row.subject,
            ip: row.ip.as_deref(),
        };
        if audit_hash(id, &entry, &expected_prev) != hash {
            self.first_broken = Some((id, "le contenu de l'entrée a été modifié"));
            return false;
        }
        self.chained += 1;
        self.last_hash = Some(hash);
        true
    }
}

impl Store {
    pub async fn queue_mail(&self, mail: &OutboxMail<'_>) -> StoreResult<()> {
        let _turn = self.turn().await;
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
        let mut tx = self.begin_write().await?;
        write_audit(&mut tx, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Walks the audit chain in id order, 10,000 entries at a time, up to the first entry that
    /// does not hold.
    pub async fn verify_audit(&self) -> StoreResult<AuditVerdict> {
        let mut verdict = AuditVerdict {
            chained: 0,
            before_chain: 0,
            last_hash: None,
            first_broken: None,
        };
        let mut after = i64::MIN;
        loop {
            let rows: Vec<AuditRow> = sqlx::query_as(
                "SELECT id, at, user_id, action, subject, ip, prev_hash, hash FROM audit_log
                 WHERE id > $1 ORDER BY id LIMIT 10000",
            )
            .bind(after)
            .fetch_all(&self.pool)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(verdict);
            };
            after = last.id;
            for row in rows {
                if !verdict.check(row) {
                    return Ok(verdict);
                }
            }
        }
    }

    /// How many entries `filter` matches.
    pub async fn audit_count(&self, filter: &JournalFilter) -> StoreResult<u64> {
        let mut q = Sql::new("SELECT COUNT(*) FROM audit_log l WHERE 1 = 1");
        audit_filter(&mut q, filter);
        let (count,): (i64,) = q.fetch_one(&self.pool).await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The newest entries first.
    pub async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRecord>> {
        self.audit_page(&JournalFilter::default(), 0, limit).await
    }

    /// The entries `filter` matches, newest first, `limit` of them after the first `offset`.
    pub async fn audit_page(
        &self,
        filter: &JournalFilter,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditRecord>> {
        let mut q = Sql::new(AUDIT_SELECT);
        audit_filter(&mut q, filter);
        q.push(" ORDER BY l.id DESC LIMIT ")
            .bind(limit)
            .push(" OFFSET ")
            .bind(offset);
        q.fetch_all(&self.pool).await
    }

    /// The same, `limit` entries older than entry `below` (keyset paging, for the CSV export).
    pub async fn audit_below(
        &self,
        filter: &JournalFilter,
        below: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditRecord>> {
        let mut q = Sql::new(AUDIT_SELECT);
        audit_filter(&mut q, filter);
        q.push(" AND l.id < ")
            .bind(below)
            .push(" ORDER BY l.id DESC LIMIT ")
            .bind(limit);
        q.fetch_all(&self.pool).await
    }
}

const AUDIT_SELECT: &str =
    "SELECT l.id, l.at, u.email AS user_email, l.action, l.subject, l.ip, l.hash
     FROM audit_log l LEFT JOIN users u ON u.id = l.user_id WHERE 1 = 1";

/// The journal's filters, after `WHERE 1 = 1`. An appointment is named by the entries about it
/// (`appointment:42`) and by those about its attachments (`attachment:7`, while the file exists).
fn audit_filter<'a>(q: &mut Sql<'a>, filter: &'a JournalFilter) {
    if let Some(since) = filter.since {
        q.push(" AND l.at >= ").bind(since);
    }
    if let Some(before) = filter.before {
        q.push(" AND l.at < ").bind(before);
    }
    if let Some(email) = &filter.email {
        q.push(" AND l.user_id IN (SELECT id FROM users WHERE lower(email) = ")
            .bind(email.as_str())
            .push(")");
    }
    if let Some(action) = filter.action {
        q.push(" AND l.action = ").bind(action);
    }
    if let Some(id) = filter.appointment {
        q.push(" AND (l.subject = ")
            .bind(format!("appointment:{id}"))
            .push(" OR l.subject IN (SELECT 'attachment:' || id FROM attachments WHERE appointment_id = ")
            .bind(id)
            .push("))");
    }
}
