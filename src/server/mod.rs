//! Server-only code: configuration, persistence, authentication, audit, HTTP.

pub mod attachments;
pub mod auth;
pub mod clock;
pub mod communes;
pub mod headers;
pub mod http;
pub mod ics;
pub mod indicators_csv;
pub mod jobs;
pub mod journal_csv;
pub mod mail;
pub mod metrics;
pub mod retention;
pub mod rpps;
pub mod services;
pub mod site;
pub mod slots;
pub mod store;

use crate::error::AppError;
use leptos::prelude::*;
use std::sync::Arc;
use store::Store;

/// What every request handler and server function can reach.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<Store>,
    pub mailer: mail::Mailer,
    /// Address of the site as users reach it (`PUBLIC_URL`), for the links sent by mail.
    pub public_url: String,
    /// Days of slots kept ahead (`SAS_SLOT_HORIZON_DAYS`).
    pub horizon_days: i64,
    pub booking: BookingSettings,
    /// Started with `serve --demo`: the footer says the data are a demonstration.
    pub demo: bool,
    /// Reverse proxies whose X-Forwarded-For names the client (`SAS_TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The bearer token `/metrics` asks for (`SAS_METRICS_TOKEN`); without it, no `/metrics`.
    pub metrics_token: Option<String>,
    /// The support contacts `/aide` shows (`SAS_SUPPORT_EMAIL`, `SAS_SUPPORT_PHONE`); none by default.
    pub support: crate::features::help::SupportContacts,
}

#[derive(Clone)]
pub struct BookingSettings {
    /// How long opening a slot holds it (`SAS_HOLD_SECONDS`, 10 minutes by default).
    pub hold_seconds: i64,
    /// Where attachments are written (`SAS_DATA_DIR`/pieces-jointes).
    pub attachments_dir: std::path::PathBuf,
    /// How long a practitioner has to answer a surnuméraire request
    /// (`SAS_EXTRA_ANSWER_MINUTES`, 30 minutes by default).
    pub extra_answer_seconds: i64,
}

/// The state of the running application, from the server function's context.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or(AppError::Internal)
}

/// The store of the running application, from the server function's context.
pub fn store() -> Result<Arc<Store>, AppError> {
    state().map(|s| s.store)
}

/// The slot horizon of the running application, from now.
pub fn horizon() -> Result<store::Horizon, AppError> {
    use_context::<AppState>()
        .map(|s| slots::horizon(s.horizon_days, now_utc()))
        .ok_or(AppError::Internal)
}

/// Current time as Unix seconds, from the server's clock (real, or the test clock: [`clock`]).
pub fn now() -> i64 {
    clock::now().timestamp()
}

/// Current instant, from the server's clock (real, or the test clock: [`clock`]).
pub fn now_utc() -> chrono::DateTime<chrono::Utc> {
    clock::now()
}

/// Logs a storage failure (never its data) and turns it into the user-facing error.
pub fn internal(err: impl std::fmt::Display) -> AppError {
    tracing::error!("internal error: {err}");
    AppError::Internal
}

/// What a busy answer (503) asks the browser to wait before trying again.
pub const RETRY_AFTER_SECONDS: &str = "2";

/// Runs a server function's work: a panic inside it is logged and answered as a technical
/// error at once (never a request left hanging, even while a page renders), and a failure gets
/// the HTTP status its error stands for.
pub async fn with_status<T>(
    work: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    use futures_util::FutureExt;
    let result = std::panic::AssertUnwindSafe(work)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| {
            tracing::error!("a server function panicked");
            Err(AppError::Internal)
        });
    if let Err(err) = &result
        && let (Some(options), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            axum::http::StatusCode::from_u16(err.status()),
        )
    {
        options.set_status(status);
        if *err == AppError::Busy {
            options.insert_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static(RETRY_AFTER_SECONDS),
            );
        }
    }
    result
}
