//! Server-only code: configuration, persistence, authentication, audit, demo data, HTTP.

pub mod auth;
pub mod bench;
pub mod communes;
pub mod http;
pub mod national;
pub mod seed;
pub mod store;

use crate::error::AppError;
use leptos::prelude::*;
use std::sync::Arc;
use store::Store;

/// What every request handler and server function can reach.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn Store>,
}

/// The store of the running application, from the server function's context.
pub fn store() -> Result<Arc<dyn Store>, AppError> {
    use_context::<AppState>()
        .map(|s| s.store)
        .ok_or(AppError::Internal)
}

/// Current time as Unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Logs a storage failure (never its data) and turns it into the user-facing error.
pub fn internal(err: impl std::fmt::Display) -> AppError {
    tracing::error!("internal error: {err}");
    AppError::Internal
}

/// Gives a failed server function the HTTP status its error stands for.
pub fn with_status<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(err) = &result
        && let (Some(options), Ok(status)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            axum::http::StatusCode::from_u16(err.status()),
        )
    {
        options.set_status(status);
    }
    result
}
