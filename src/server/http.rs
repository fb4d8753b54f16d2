//! The HTTP server: Leptos pages and server functions on axum, plus a same-origin check.

use super::jobs::Jobs;
use super::{AppState, attachments, headers, metrics, site};
use crate::app::{App, shell};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;

pub fn router(state: AppState) -> axum::Router {
    let routes = routes();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let options = state.leptos_options.clone();
    let https = state.public_url.starts_with("https://");
    // Built assets are served by their own routes: leptos' file fallback answers them with the
    // status of whatever page set one last on the same thread (a 404 for the wasm, at times).
    let pkg = format!("/{}", options.site_pkg_dir);
    axum::Router::new()
        .nest_service(
            &pkg,
            site::assets(&options, &options.site_pkg_dir, options.hash_files),
        )
        .nest_service("/dsfr", site::assets(&options, "dsfr", false))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics_text))
        .route(attachments::UPLOAD_PATH, post(attachments::upload))
        .route(
            &format!("{}/{{token}}", attachments::UPLOAD_PATH),
            get(attachments::download),
        )
        .route(super::journal_csv::PATH, get(super::journal_csv::export))
        .route(
            super::indicators_csv::PATH,
            get(super::indicators_csv::export),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(middleware::from_fn(body_limit))
        // The headers wrap everything, the French page of a panic included.
        .layer(CatchPanicLayer::custom(headers::panicked))
        .layer(middleware::from_fn_with_state(https, headers::secure))
        .layer(middleware::from_fn(observe))
        .layer(middleware::from_fn_with_state(
            Arc::<[IpAddr]>::from(state.trusted_proxies.clone()),
            client_address,
        ))
        .with_state(state)
}

/// The app's routes, listed once per process. Listing renders the app with resource loading
/// suspended process-wide (leptos' `SuppressResourceLoad` is a global flag): a page of another
/// router of the same process rendered meanwhile (the HTTP tests start many servers) would wait
/// for ever on its data, a hung request.
pub fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Refuses a state-changing request sent by another site (CSRF), on top of SameSite cookies.
async fn same_origin_writes(request: Request, next: Next) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let origin_host = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(|origin| {
            origin
                .split_once("://")
                .map_or(origin, |(_, host)| host)
                .to_string()
        });
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok());
    match (writes, origin_host, host) {
        (true, Some(origin), Some(host)) if origin != host => (
            StatusCode::FORBIDDEN,
            "Requête refusée : origine différente du site.",
        )
            .into_response(),
        _ => next.run(request).await,
    }
}

/// The largest body a page or server function accepts (attachments have their own limit).
pub const BODY_LIMIT_BYTES: u64 = 1024 * 1024;

/// Answers 413 to a body announced over [`BODY_LIMIT_BYTES`], before reading it.
async fn body_limit(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let upload = request.uri().path().starts_with(attachments::UPLOAD_PATH);
    match declared {
        Some(length) if length > BODY_LIMIT_BYTES && !upload => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "Requête refusée : le contenu envoyé dépasse 1 Mo.",
        )
            .into_response(),
        _ => next.run(request).await,
    }
}

/// Stack of each worker thread. Rendering a page walks its whole view tree, which needs more
/// than tokio's 2 MiB in a debug build; an overflow would abort the whole server.
pub const WORKER_STACK_BYTES: usize = 16 * 1024 * 1024;

/// The multi-threaded runtime the server (and its HTTP tests) run on.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(WORKER_STACK_BYTES)
        .build()
}

/// Finds the client's address once per request (see `auth::client_address`).
async fn client_address(
    State(trusted): State<Arc<[IpAddr]>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    if let Some(peer) = peer {
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok());
        let client = super::auth::client_address(peer, forwarded, &trusted);
        request
            .extensions_mut()
            .insert(super::auth::ClientAddress(client));
    }
    next.run(request).await
}

/// Names each request (the proxy's `X-Request-Id` when it is a plain token, else a fresh one),
/// serves it inside a span carrying that id, so that every log line of the request names it,
/// logs its route, status and duration, counts it in the metrics and answers the id back.
async fn observe(request: Request, next: Next) -> Response {
    use tracing::Instrument;
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(autre)", MatchedPath::as_str)
        .to_string();
    let id = request_id(request.headers());
    let method = request.method().clone();
    let span = tracing::info_span!("request", id = %id);
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let (status, took) = (response.status().as_u16(), started.elapsed());
    metrics::observe(&route, status, took);
    span.in_scope(|| {
        tracing::info!(%method, route, status, ms = took.as_millis() as u64, "requête servie");
    });
    if let Ok(value) = header::HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

const REQUEST_ID: &str = "x-request-id";

/// The proxy's request id when it is 1 to 64 letters, digits, `-` or `_`; a fresh one otherwise.
fn request_id(headers: &header::HeaderMap) -> String {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map_or_else(|| format!("{:016x}", rand::random::<u64>()), str::to_string)
}

/// `/metrics` in Prometheus' format, for the bearer of `SAS_METRICS_TOKEN`; without that
/// setting the page does not exist (nothing is exposed by default).
async fn metrics_text(State(state): State<AppState>, headers: header::HeaderMap) -> Response {
    let Some(expected) = state.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let authorised =
        given.is_some_and(|g| super::auth::token_hash(g) == super::auth::token_hash(expected));
    if !authorised {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "Jeton de lecture des métriques absent ou incorrect.",
        )
            .into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics::render(&state.store.pool_usage()),
    )
        .into_response()
}

/// `/readyz`: the database answers within 2 s and has every migration of this version.
async fn ready(State(state): State<AppState>) -> Response {
    let unready = |why: String| (StatusCode::SERVICE_UNAVAILABLE, format!("pas prêt : {why}"));
    match tokio::time::timeout(Duration::from_secs(2), state.store.ready()).await {
        Ok(Ok(migrations)) => (
            StatusCode::OK,
            format!(
                "prêt : base {} joignable, {migrations} migrations appliquées",
                state.store.backend()
            ),
        )
            .into_response(),
        Ok(Err(err)) => unready(err.to_string()).into_response(),
        Err(_) => unready("la base ne répond pas en 2 s".into()).into_response(),
    }
}

/// How long a stop waits for the requests in flight.
pub const STOP_GRACE: Duration = Duration::from_secs(20);

/// SIGTERM (what systemd and container runtimes send) or Ctrl-C.
async fn stop_asked() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Connections waiting to be accepted. Tokio's default (1024) overflowed under bursts of new
/// connections on loopback (the kernel dropped them: the client retried a second later).
const LISTEN_BACKLOG: u32 = 4096;

fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Serves until a stop is asked; then stops accepting, lets the requests in flight finish
/// (at most [`STOP_GRACE`]) and stops the background jobs.
pub async fn serve(state: AppState, jobs: Jobs) -> std::io::Result<()> {
    let addr = state.leptos_options.site_addr;
    let listener = listen(addr)?;
    tracing::info!("Service d'Accès aux Soins : http://{addr}");
    let stopping = std::sync::Arc::new(tokio::sync::Notify::new());
    let server = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown({
        let stopping = stopping.clone();
        async move {
            stop_asked().await;
            tracing::info!("stop asked: no new connection, finishing the requests in flight");
            stopping.notify_one();
        }
    });
    let grace = async {
        stopping.notified().await;
        tokio::time::sleep(STOP_GRACE).await;
    };
    tokio::select! {
        served = server => served?,
        _ = grace => tracing::warn!("requests still in flight after {} s: stopping anyway", STOP_GRACE.as_secs()),
    }
    jobs.stop().await;
    Ok(())
}
