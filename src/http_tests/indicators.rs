//! The indicators over real HTTP: who sees which département (page and CSV), the CSV's figures
//! and its audit entry, the page as the server renders it (charts, tables, field messages).

use super::{OTHER_EMAIL, Server, on_server_runtime};
use crate::domain::Role;
use crate::server::{auth, store::NewUser};
use crate::tools::demo as seed;

/// The demo's bookings (all made today) per département.
async fn booked_per_departement(server: &Server) -> Vec<(String, i64)> {
    sqlx::query_as(
        "SELECT departement, COUNT(*) FROM appointments GROUP BY departement ORDER BY departement",
    )
    .fetch_all(server.store.pool())
    .await
    .unwrap()
}

async fn text(server: &Server, path: &str, cookie: &str) -> (u16, String) {
    let response = server.get(path, cookie).await;
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[test]
fn indicators_are_scoped_to_the_departement_exported_as_csv_and_audited() {
    on_server_runtime(async {
        let server = Server::start().await;
        let booked = booked_per_departement(&server).await;
        let departements: Vec<&str> = booked.iter().map(|(d, _)| d.as_str()).collect();
        assert_eq!(departements, ["35", "69", "75"], "the demo books in each");
        let paris = booked.iter().find(|(d, _)| d == "75").unwrap().1;
        let total: i64 = booked.iter().map(|(_, n)| n).sum();

        let anonymous = server
            .client
            .get(format!("{}/indicateurs.csv", server.base));
        assert_eq!(anonymous.send().await.unwrap().status(), 401);
        for email in ["sophie.martin@demo.test", OTHER_EMAIL] {
            let cookie = server.session(email).await;
            assert_eq!(text(&server, "/indicateurs.csv", &cookie).await.0, 403);
        }

        // The demo regulator is the SAS of Paris: Paris only, whatever the address asks.
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let (status, csv) = text(&server, "/indicateurs.csv", &regulator).await;
        assert_eq!(status, 200);
        let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
        assert_eq!(lines[0], "indicateur,libellé,valeur,part");
        assert_eq!(lines[2], "Périmètre,département 75,,");
        assert_eq!(lines[3], format!("Rendez-vous pris,total,{paris},"));
        assert!(!csv.contains("Rendez-vous pris par département"));
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.starts_with("Rendez-vous pris par jour,"))
                .count(),
            30
        );
        let (status, _) = text(&server, "/indicateurs.csv?departement=69", &regulator).await;
        assert_eq!(status, 403);

        // A national administrator sees every département, or the one they choose.
        let admin = server.session(seed::ADMIN_EMAIL).await;
        let (status, csv) = text(&server, "/indicateurs.csv", &admin).await;
        assert_eq!(status, 200);
        assert!(csv.contains(&format!("\r\nRendez-vous pris,total,{total},\r\n")));
        for (departement, n) in &booked {
            let line = format!("\r\nRendez-vous pris par département,{departement},{n},\r\n");
            assert!(csv.contains(&line), "{line}");
        }
        let (_, csv) = text(&server, "/indicateurs.csv?departement=75", &admin).await;
        assert!(csv.contains(&format!("\r\nRendez-vous pris,total,{paris},\r\n")));
        let (status, refused) = text(&server, "/indicateurs.csv?du=hier", &admin).await;
        assert_eq!(status, 422);
        assert!(refused.contains("Date invalide"), "{refused}");

        // A département's administrator: theirs only.
        server
            .store
            .insert_user(&NewUser {
                email: "admin.35@demo.test",
                password_hash: &auth::hash_password(seed::DEMO_PASSWORD).unwrap(),
                role: Role::Admin,
                first_name: "Yves",
                last_name: "Admin",
                practitioner_id: None,
                created_at: 0,
                email_verified_at: Some(0),
                departement: Some("35"),
            })
            .await
            .unwrap();
        let admin_35 = server.session("admin.35@demo.test").await;
        let (_, csv) = text(&server, "/indicateurs.csv", &admin_35).await;
        assert!(csv.contains("\r\nPérimètre,département 35,,\r\n"));
        assert_eq!(
            text(&server, "/indicateurs.csv?departement=75", &admin_35)
                .await
                .0,
            403
        );

        // Each export is audited with its filters; refusals wrote nothing.
        let exports: Vec<(Option<String>, String)> = server
            .store
            .audit_log(500)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "indicators_export")
            .map(|e| (e.user_email, e.subject))
            .collect();
        let who = |e: &str| Some(e.to_string());
        assert_eq!(
            exports,
            [
                (who("admin.35@demo.test"), "indicateurs?".into()),
                (who(seed::ADMIN_EMAIL), "indicateurs?departement=75".into()),
                (who(seed::ADMIN_EMAIL), "indicateurs?".into()),
                (who(seed::REGULATOR_EMAIL), "indicateurs?".into()),
            ]
        );
    });
}

#[test]
fn the_indicators_page_renders_charts_tables_and_field_messages_without_javascript() {
    on_server_runtime(async {
        let server = Server::start().await;
        let admin = server.session(seed::ADMIN_EMAIL).await;
        let (status, html) = text(&server, "/indicateurs?departement=69", &admin).await;
        assert_eq!(status, 200);
        assert!(html.contains("rendez-vous pris du "), "summary");
        assert!(html.contains(", département 69."), "scope");
        assert!(html.contains("role=\"img\""), "charts");
        assert!(html.contains("<caption>Rendez-vous pris par jour, du "));
        assert!(html.contains("<caption>Issue des rendez-vous pris du "));
        assert!(html.contains("href=\"/indicateurs.csv?departement=69\""));
        // The national administrator may choose a département.
        assert!(html.contains("id=\"departement\""));

        let (_, html) = text(&server, "/indicateurs?du=2026-12-02&au=2026-12-01", &admin).await;
        assert!(html.contains("La date de fin doit être le jour de début ou après."));
        assert!(html.contains("aria-describedby=\"au-error\""));
        assert!(!html.contains("Exporter en CSV"));

        // A regulator sees their département without choosing it; a practitioner is refused.
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let (status, html) = text(&server, "/indicateurs", &regulator).await;
        assert_eq!(status, 200);
        assert!(html.contains(", département 75."));
        assert!(!html.contains("id=\"departement\""));
        let practitioner = server.session("sophie.martin@demo.test").await;
        let (status, html) = text(&server, "/indicateurs", &practitioner).await;
        assert_eq!(status, 403);
        assert!(html.contains("Votre compte n'a pas accès à cette fonctionnalité."));
    });
}
