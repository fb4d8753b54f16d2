//! The administrators' journal over real HTTP: its page with filters and field messages, and its
//! CSV export (administrators only, quoted fields, defused formulas, itself audited).

use super::{Server, on_server_runtime};
use crate::server::store::AuditEntry;
use crate::tools::demo as seed;

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[test]
fn the_journal_exports_as_csv_to_administrators_only_and_audits_it() {
    on_server_runtime(async {
        let server = Server::start().await;
        // An entry whose subject a spreadsheet would run, with a comma and quotes.
        let entry = AuditEntry {
            at: 1_796_113_800,
            user_id: None,
            action: "password_reset",
            subject: "=HYPERLINK(\"http://x\",\"y\")",
            ip: Some("10.0.0.1"),
        };
        server.store.audit(&entry).await.unwrap();
        let path = "/admin/journal.csv?action=password_reset";

        let anonymous = server.client.get(format!("{}{path}", server.base));
        let anonymous = anonymous.send().await.unwrap();
        assert_eq!(anonymous.status(), 401);
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let refused = server.get(path, &regulator).await;
        assert_eq!(refused.status(), 403);
        assert_eq!(
            refused.text().await.unwrap(),
            "Votre compte n'a pas accès à cette fonctionnalité."
        );
        let admin = server.session(seed::ADMIN_EMAIL).await;
        let bad = server.get("/admin/journal.csv?rdv=douze", &admin).await;
        assert_eq!(bad.status(), 422);
        assert!(
            bad.text()
                .await
                .unwrap()
                .contains("Numéro de rendez-vous invalide")
        );

        let csv = server.get(path, &admin).await;
        assert_eq!(csv.status(), 200);
        assert_eq!(header(&csv, "content-type"), "text/csv; charset=utf-8");
        assert_eq!(
            header(&csv, "content-disposition"),
            "attachment; filename=\"journal-audit.csv\""
        );
        let body = csv.text().await.unwrap();
        let lines: Vec<&str> = body.split_terminator("\r\n").collect();
        assert_eq!(lines.len(), 2, "{body}");
        assert_eq!(lines[0], "date,compte,action,objet,adresse IP,empreinte");
        let (start, hash) = lines[1].rsplit_once(',').unwrap();
        assert_eq!(
            start,
            "2026-12-01T09:30:00+01:00,,password_reset,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",10.0.0.1"
        );
        assert_eq!(hash.len(), 64, "{hash}");

        // The export is in the journal: who, which filters, from where; refusals wrote nothing.
        let exports: Vec<_> = server
            .store
            .audit_log(200)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "audit_export")
            .collect();
        assert_eq!(exports.len(), 1);
        assert_eq!(exports[0].user_email.as_deref(), Some(seed::ADMIN_EMAIL));
        assert_eq!(exports[0].subject, "audit_log?action=password_reset");
        assert_eq!(exports[0].ip.as_deref(), Some("127.0.0.1"));
        // An export of the exports lists the first one and itself.
        let again = server
            .get("/admin/journal.csv?action=audit_export", &admin)
            .await;
        let body = again.text().await.unwrap();
        assert_eq!(body.split_terminator("\r\n").count(), 3, "{body}");
        assert!(body.contains(",admin.sas@demo.test,audit_export,audit_log?action=audit_export,"));
    });
}

#[test]
fn the_journal_page_filters_pages_and_shows_field_messages() {
    on_server_runtime(async {
        use crate::features::admin::AuditEntries;
        use leptos::server_fn::ServerFn;
        let server = Server::start().await;
        for i in 0..60 {
            let entry = AuditEntry {
                at: 1_796_113_800 + i,
                user_id: None,
                action: "password_reset_requested",
                subject: &format!("user:{i}"),
                ip: None,
            };
            server.store.audit(&entry).await.unwrap();
        }
        let admin = server.session(seed::ADMIN_EMAIL).await;
        let body = "query[action]=password_reset_requested&query[du]=2026-12-01&query[page]=2";
        let page = server.post(AuditEntries::PATH, body, Some(&admin)).await;
        assert_eq!(page.status(), 200);
        let page: serde_json::Value = serde_json::from_str(&page.text().await.unwrap()).unwrap();
        assert_eq!(
            (page["total"].as_u64(), page["page"].as_u64()),
            (Some(60), Some(2))
        );
        assert_eq!(page["lines"].as_array().unwrap().len(), 10);
        assert_eq!(page["lines"][0]["subject"], "user:9");
        assert_eq!(
            page["lines"][0]["action"],
            "Réinitialisation du mot de passe demandée"
        );
        let refused = server
            .post(AuditEntries::PATH, "query[au]=2026-02-30", Some(&admin))
            .await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("\"field\":\"au\""));

        // Without JavaScript: the page as the server renders it.
        let html = server
            .get(
                "/admin/journal?action=password_reset_requested&page=2",
                &admin,
            )
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("60 entrées"), "count");
        assert!(html.contains("page 2 sur 2"), "caption");
        assert!(html.contains("href=\"/admin/journal.csv?action=password_reset_requested\""));
        assert!(html.contains("href=\"/admin/journal?action=password_reset_requested\""));
        let html = server
            .get("/admin/journal?du=2026-12-02&au=2026-12-01&rdv=12b", &admin)
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("La date de fin doit être le jour de début ou après."));
        assert!(html.contains("Numéro de rendez-vous invalide"));
        assert!(html.contains("aria-describedby=\"rdv-error\""));
        assert!(!html.contains("Exporter en CSV"));
    });
}
