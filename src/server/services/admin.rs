//! What administrators read: the regulators and where they stand, the outbox of the demo, the
//! audit log by page (its CSV export is `server::journal_csv`).

use crate::domain::Role;
use crate::domain::account::RegulatorState;
use crate::domain::admin::{
    AuditLine, JOURNAL_PAGE_SIZE, JournalPage, JournalQuery, MailLine, Outbox, RegulatorLine,
    action_label,
};
use crate::error::AppError;
use crate::server::store::AuditRecord;
use crate::server::{state, store};

/// "26/11/2026 à 10:02", Paris time.
pub fn date_time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| {
            crate::domain::agenda::paris_time(t)
                .format("%d/%m/%Y à %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Every regulator with where they stand.
pub async fn regulator_lines() -> Result<Vec<RegulatorLine>, AppError> {
    let now = crate::server::now();
    let records = store()?.regulators().await?;
    Ok(records
        .into_iter()
        .map(|r| {
            let account = r.account_role.as_deref().map(|role| {
                (
                    Role::from_code(role).unwrap_or(Role::Other),
                    r.disabled.unwrap_or(false),
                )
            });
            RegulatorLine {
                id: r.id,
                name: [
                    r.civility.as_deref().unwrap_or(""),
                    &r.first_name,
                    &r.last_name,
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
                account_email: r.account_email.filter(|e| *e != r.email),
                email: r.email,
                departement: r.departement,
                invited_on: date_time(r.invited_at),
                state: RegulatorState::of(
                    r.revoked_at.is_some(),
                    account,
                    r.invitation_expires_at,
                    now,
                ),
            }
        })
        .collect())
}

/// The mails kept when no SMTP server is configured (the demo), newest first.
pub async fn outbox() -> Result<Outbox, AppError> {
    let state = state()?;
    let mails = state.store.outbox(100).await?;
    Ok(Outbox {
        smtp: matches!(state.mailer, crate::server::mail::Mailer::Smtp(_)),
        mails: mails
            .into_iter()
            .map(|m| MailLine {
                sent_at: date_time(m.created_at),
                to: m.recipient,
                subject: m.subject,
                body: crate::domain::admin::mask_tokens(&m.body),
            })
            .collect(),
    })
}

/// A page of the audit log (newest first) with the filters of `query`, and how many entries
/// they match; a page past the last shows the last.
pub async fn audit_page(query: &JournalQuery) -> Result<JournalPage, AppError> {
    let filter = query.parse().map_err(AppError::Invalid)?;
    let store = store()?;
    let total = store.audit_count(&filter).await?;
    let pages = JournalPage::pages_for(total);
    let page = query.page().min(pages);
    let size = i64::from(JOURNAL_PAGE_SIZE);
    let records = store
        .audit_page(&filter, i64::from(page - 1) * size, size)
        .await?;
    Ok(JournalPage {
        lines: records.into_iter().map(audit_line).collect(),
        total,
        page,
        pages,
    })
}

fn audit_line(e: AuditRecord) -> AuditLine {
    AuditLine {
        at: date_time(e.at),
        who: e.user_email.unwrap_or_else(|| "—".into()),
        action: action_label(&e.action).to_string(),
        subject: e.subject,
        from: e.ip.unwrap_or_else(|| "ligne de commande".into()),
    }
}
