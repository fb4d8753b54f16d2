//! Tests over real HTTP on the real router: they call the features' server functions as a
//! browser does, so they live beside both `server/` and `features/`.

mod booking;
mod extra;
mod help;
mod indicators;
mod journal;
mod notifications;
mod operations;
mod role_matrix;
mod security;
mod sign_in;

use crate::domain::Role;
use crate::server::store::{NewUser, Store};
use crate::server::{AppState, auth, http, mail::Mailer};
use crate::tools::demo as seed;
use leptos::server_fn::ServerFn;
use std::sync::Arc;

/// Runs a test on the runtime the server uses (its worker threads have the stack that
/// rendering pages needs).
pub fn on_server_runtime(test: impl std::future::Future<Output = ()>) {
    crate::server::http::runtime()
        .expect("runtime")
        .block_on(test);
}

/// The real router on 127.0.0.1, for tests that speak HTTP.
pub struct Server {
    pub base: String,
    pub store: Arc<Store>,
    pub client: reqwest::Client,
    _dir: Option<tempfile::TempDir>,
    pub attachments: tempfile::TempDir,
}

/// What the test server's `/metrics` asks for.
pub const METRICS_TOKEN: &str = "jeton-des-metriques-de-test";

pub const OTHER_EMAIL: &str = "autre.profession@demo.test";

impl Server {
    /// The real router on 127.0.0.1:0, on a fresh SQLite database with the demo.
    pub async fn start() -> Self {
        let (store, dir) = crate::server::store::conformance::sqlite_store().await;
        Self::start_on(store, dir).await
    }

    /// The same on a given store (SQLite or PostgreSQL), with the demo and the communes of the
    /// test fixture (its départements included) loaded.
    pub async fn start_on(store: Arc<Store>, dir: Option<tempfile::TempDir>) -> Self {
        seed::seed_demo(store.as_ref()).await.expect("demo");
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/communes/fixture");
        crate::server::communes::ensure_loaded(store.as_ref(), std::path::Path::new(fixture))
            .await
            .expect("fixture communes");
        store
            .insert_user(&NewUser {
                email: OTHER_EMAIL,
                password_hash: &auth::hash_password(seed::DEMO_PASSWORD).expect("hash"),
                role: Role::Other,
                first_name: "Alex",
                last_name: "Autre",
                practitioner_id: None,
                created_at: 0,
                email_verified_at: Some(0),
                departement: None,
            })
            .await
            .expect("other account");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port");
        let addr = listener.local_addr().expect("address");
        let attachments = tempfile::tempdir().expect("attachments dir");
        let state = AppState {
            leptos_options: leptos::prelude::LeptosOptions::builder()
                .output_name("sas-rdv")
                .site_addr(addr)
                .build(),
            store: store.clone(),
            mailer: Mailer::Outbox,
            public_url: format!("http://{addr}"),
            horizon_days: crate::server::slots::DEFAULT_HORIZON_DAYS,
            booking: crate::server::BookingSettings {
                hold_seconds: crate::server::slots::DEFAULT_HOLD_SECONDS,
                attachments_dir: attachments.path().to_path_buf(),
                extra_answer_seconds: crate::domain::extra::DEFAULT_ANSWER_MINUTES * 60,
            },
            demo: true,
            metrics_token: Some(METRICS_TOKEN.into()),
            trusted_proxies: Vec::new(),
            support: Default::default(),
        };
        let app = http::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base: format!("http://{addr}"),
            store,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            _dir: dir,
            attachments,
        }
    }

    pub async fn post(&self, path: &str, body: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body.to_string());
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.expect("request")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        use crate::features::accounts::Login;
        let body = format!("email={}&password={password}", email.replace('@', "%40"));
        self.post(Login::PATH, &body, None).await
    }

    /// The session cookie of a fresh sign-in.
    pub async fn session(&self, email: &str) -> String {
        let response = self.sign_in(email, seed::DEMO_PASSWORD).await;
        cookie_set(&response, auth::SESSION_COOKIE)
            .unwrap_or_else(|| panic!("{email}: no session cookie ({})", response.status()))
    }

    /// A page (or file) as the holder of `cookie` opens it.
    pub async fn get(&self, path: &str, cookie: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request")
    }
}

/// The `name` cookie an answer sets, as `name=value`.
pub fn cookie_set(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .filter(|c| c.starts_with(&format!("{name}=")))
        })
        .map(str::to_string)
}
