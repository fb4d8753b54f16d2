//! `GET /admin/journal.csv`: the audit log entries that the journal's filters match (same query
//! as the page), as CSV for a spreadsheet: RFC 4180 (comma-separated, CRLF line ends, a field
//! quoted when it holds a comma, a semicolon, a quote or a line break, quotes doubled), UTF-8,
//! newest first. Read 1,000 entries at a time and streamed; at most `JOURNAL_EXPORT_MAX` entries
//! (beyond, the filters must be narrowed). SAS administrators only, like the journal's server
//! function; the journal names appointments, so each export is itself audited.

use super::store::{AuditRecord, Store, StoreError};
use super::{AppState, auth};
use crate::domain::Role;
use crate::domain::admin::{JOURNAL_EXPORT_MAX, JournalFilter, JournalQuery};
use crate::domain::agenda::paris_time;
use crate::domain::field::FieldError;
use crate::error::AppError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, stream};
use std::sync::Arc;

pub use crate::domain::admin::JOURNAL_CSV_PATH as PATH;

const HEADER: &str = "date,compte,action,objet,adresse IP,empreinte\r\n";
/// Entries read per query.
const BATCH: u64 = 1_000;

/// The CSV of the filters in the query, to a signed-in SAS administrator.
pub async fn export(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _) = request.into_parts();
    let user = match auth::signed_in(state.store.as_ref(), &parts).await {
        Ok(user) if user.role == Role::Admin => user,
        Ok(_) => return refuse(AppError::Forbidden),
        Err(error) => return refuse(error),
    };
    let pairs = auth::query_pairs(&parts);
    let query = JournalQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let filter = match query.parse() {
        Ok(filter) => filter,
        Err(errors) => return refused_filters(&errors),
    };
    match state.store.audit_count(&filter).await {
        Ok(total) if total > JOURNAL_EXPORT_MAX => return too_many(),
        Ok(_) => {}
        Err(error) => return refuse(error.into()),
    }
    // No export without its audit entry.
    let subject = format!("audit_log?{}", query.filters());
    let ip = auth::ip_of(&parts);
    let store = state.store.as_ref();
    let audited = auth::record_audit(
        store,
        Some(user.id),
        "audit_export",
        &subject,
        ip.as_deref(),
    );
    if let Err(error) = audited.await {
        return refuse(error);
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"journal-audit.csv\"",
            ),
        ],
        Body::from_stream(csv(state.store.clone(), filter)),
    )
        .into_response()
}

pub(super) fn refuse(error: AppError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, error.to_string()).into_response()
}

pub(super) fn refused_filters(errors: &[FieldError]) -> Response {
    let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    let text = format!("Filtres refusés : {}", messages.join(" "));
    (StatusCode::UNPROCESSABLE_ENTITY, text).into_response()
}

fn too_many() -> Response {
    let text = format!(
        "Plus de {JOURNAL_EXPORT_MAX} entrées correspondent : resserrez les filtres (la période, par exemple) avant d'exporter."
    );
    (StatusCode::UNPROCESSABLE_ENTITY, text).into_response()
}

/// The header line, then the entries, `BATCH` at a time going down the ids (keyset paging:
/// each read is as fast as the first), `JOURNAL_EXPORT_MAX` at most.
fn csv(store: Arc<Store>, filter: JournalFilter) -> impl Stream<Item = Result<Bytes, StoreError>> {
    let header = stream::once(async { Ok(Bytes::from_static(HEADER.as_bytes())) });
    let start = (store, filter, i64::MAX, JOURNAL_EXPORT_MAX);
    let batches = stream::try_unfold(start, |(store, filter, below, left)| async move {
        let limit = i64::try_from(BATCH.min(left)).unwrap_or(0);
        if limit == 0 {
            return Ok(None);
        }
        let records = store.audit_below(&filter, below, limit).await?;
        let Some(last) = records.last() else {
            return Ok(None);
        };
        let below = last.id;
        let text: String = records.iter().map(csv_line).collect();
        let left = left.saturating_sub(records.len() as u64);
        Ok(Some((Bytes::from(text), (store, filter, below, left))))
    });
    header.chain(batches)
}

/// date (Paris time, ISO 8601), compte, action, objet, adresse IP, empreinte.
fn csv_line(entry: &AuditRecord) -> String {
    let at = chrono::DateTime::from_timestamp(entry.at, 0)
        .map(|t| paris_time(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
        .unwrap_or_default();
    let fields = [
        at.as_str(),
        entry.user_email.as_deref().unwrap_or_default(),
        &entry.action,
        &entry.subject,
        entry.ip.as_deref().unwrap_or_default(),
        entry.hash.as_deref().unwrap_or_default(),
    ];
    csv_record(&fields)
}

/// One CSV line: the fields defused and quoted (`csv_field`), separated by commas, CRLF.
pub(super) fn csv_record(fields: &[&str]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// One field: what a spreadsheet would run as a formula (starting with = + - @, a tab or a
/// carriage return) gets a leading `'`; then quoted, quotes doubled, when it holds a separator
/// (`,` or `;`, which a French spreadsheet may take), a quote or a line break.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', ';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        for (value, field) in [
            ("appointment:42", "appointment:42"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("a;b", "\"a;b\""),
            ("dit \"non\"", "\"dit \"\"non\"\"\""),
            ("deux\nlignes", "\"deux\nlignes\""),
            ("=1+1", "'=1+1"),
            ("+33 6", "'+33 6"),
            ("-2", "'-2"),
            ("@SOMME(A1)", "'@SOMME(A1)"),
            (
                "=HYPERLINK(\"x\",\"y\")",
                "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"",
            ),
            ("\tx", "'\tx"),
            ("2 = 2", "2 = 2"),
        ] {
            assert_eq!(csv_field(value), field, "{value:?}");
        }
        let entry = AuditRecord {
            id: 7,
            at: 1_796_113_800,
            user_email: Some("admin.sas@demo.test".into()),
            action: "audit_export".into(),
            subject: "audit_log?du=2026-12-01&compte=a,b".into(),
            ip: None,
            hash: Some("ab12".into()),
        };
        assert_eq!(
            csv_line(&entry),
            "2026-12-01T09:30:00+01:00,admin.sas@demo.test,audit_export,\"audit_log?du=2026-12-01&compte=a,b\",,ab12\r\n"
        );
    }
}
