//! What an operator's probes read: `/healthz` (the process answers) and `/readyz` (the database
//! answers, every migration of this version applied).

use super::{METRICS_TOKEN, Server, on_server_runtime};
use crate::error::AppError;
use crate::tools::demo as seed;

#[test]
fn health_and_readiness_say_what_they_check() {
    on_server_runtime(async {
        let server = Server::start().await;
        let probe = |path: &'static str| {
            let url = format!("{}{path}", server.base);
            let client = server.client.clone();
            async move {
                let answer = client.get(url).send().await.unwrap();
                (answer.status().as_u16(), answer.text().await.unwrap())
            }
        };
        assert_eq!(probe("/healthz").await, (200, "ok".to_string()));
        let (status, text) = probe("/readyz").await;
        assert_eq!(status, 200, "{text}");
        assert!(text.starts_with("prêt : base sqlite joignable"), "{text}");

        // A database behind this version (its newest migration missing) is not ready.
        sqlx::query(
            "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
        )
        .execute(server.store.pool())
        .await
        .unwrap();
        let (status, text) = probe("/readyz").await;
        assert_eq!(status, 503, "{text}");
        assert!(text.contains("migrations appliquées sur"), "{text}");
        assert_eq!(probe("/healthz").await.0, 200, "alive all the same");
    });
}

/// A request that meets a database kept busy by another writer longer than it may wait gets a
/// French « réessayez » with Retry-After (503), not a technical error; then it goes through.
#[test]
fn a_busy_database_answers_try_again_not_a_technical_error() {
    on_server_runtime(async {
        let server = Server::start().await;
        let mut writer = server.store.pool().acquire().await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut *writer)
            .await
            .unwrap();
        let answer = server.sign_in(seed::REGULATOR_EMAIL, "pas-le-bon").await;
        assert_eq!(answer.status().as_u16(), 503);
        assert_eq!(
            answer.headers().get("retry-after").map(|v| v.as_bytes()),
            Some(&b"2"[..])
        );
        let error: AppError = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
        assert_eq!(error, AppError::Busy);
        assert!(
            error
                .to_string()
                .contains("réessayez dans quelques secondes")
        );
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut *writer)
            .await
            .unwrap();
        drop(writer);
        let answer = server
            .sign_in(seed::REGULATOR_EMAIL, seed::DEMO_PASSWORD)
            .await;
        assert_eq!(answer.status().as_u16(), 200);
    });
}

/// The value of one line of `/metrics` (0 when absent).
fn metric(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
        .unwrap_or(0.0)
}

/// `/metrics` is for the bearer of the operator's token only; it counts requests per route
/// (a server function's path, a page's pattern: no ids) and the platform's events; every answer
/// names its request, with the proxy's id when it is a plain token.
#[test]
fn metrics_count_routes_and_events_for_the_operator_only() {
    on_server_runtime(async {
        let server = Server::start().await;
        let metrics = || async {
            let answer = server
                .client
                .get(format!("{}/metrics", server.base))
                .header("authorization", format!("Bearer {METRICS_TOKEN}"))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status().as_u16(), 200);
            answer.text().await.unwrap()
        };
        let anonymous = server
            .client
            .get(format!("{}/metrics", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status().as_u16(), 401);
        let before = metrics().await;
        let failures = "sas_sign_in_failures_total ";
        let refused = server.sign_in(seed::REGULATOR_EMAIL, "pas-le-bon").await;
        assert_eq!(refused.status().as_u16(), 401);
        let cookie = server.session(seed::REGULATOR_EMAIL).await;
        let page = server.get("/recherche?origine=75104", &cookie).await;
        assert_eq!(page.status().as_u16(), 200);
        let after = metrics().await;
        assert!(metric(&after, failures) >= metric(&before, failures) + 1.0);
        let login = <crate::features::accounts::Login as leptos::server_fn::ServerFn>::PATH;
        let line = format!("sas_http_requests_total{{route=\"{login}\",status=\"401\"}} ");
        assert!(metric(&after, &line) >= 1.0, "{after}");
        let page = "sas_http_request_duration_seconds_count{route=\"/recherche\"} ";
        assert!(metric(&after, page) >= 1.0, "{after}");
        assert!(after.contains("sas_db_pool_max_connections 8"), "{after}");
        assert!(!after.contains("75104"), "no address or query in a label");

        let named = |id: Option<&'static str>| {
            let mut request = server.client.get(format!("{}/healthz", server.base));
            if let Some(id) = id {
                request = request.header("x-request-id", id);
            }
            async move {
                let answer = request.send().await.unwrap();
                answer.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_string()
            }
        };
        assert_eq!(named(Some("proxy-4f2a_9")).await, "proxy-4f2a_9");
        let fresh = named(Some("pas une id ; <script>")).await;
        assert!(
            fresh.len() == 16 && fresh.bytes().all(|b| b.is_ascii_hexdigit()),
            "{fresh}"
        );
        assert_ne!(named(None).await, named(None).await);
    });
}
