//! What an operator's probes read: `/healthz` (the process answers) and `/readyz` (the database
//! answers, every migration of this version applied).

use super::{Server, on_server_runtime};
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
