//! What an operator's probes read: `/healthz` (the process answers) and `/readyz` (the database
//! answers, every migration of this version applied).

use super::{Server, on_server_runtime};

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
