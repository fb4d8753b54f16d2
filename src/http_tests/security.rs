//! Hostile or careless clients over real HTTP: the security headers of every kind of answer,
//! oversize bodies, and inputs that once crashed a request.

use super::{Server, on_server_runtime};
use crate::features::accounts::Login;
use crate::tools::demo as seed;
use leptos::server_fn::ServerFn;
use std::time::Duration;

fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header on {}", response.url()))
}

/// The headers every answer carries, whatever it is.
fn assert_common_headers(response: &reqwest::Response) {
    assert_eq!(header(response, "x-content-type-options"), "nosniff");
    assert_eq!(header(response, "cache-control"), "no-store");
    let policy = header(response, "content-security-policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    // Served over plain HTTP here: no HSTS (it would be ignored, and wrong behind no TLS).
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none()
    );
}

#[test]
fn a_page_runs_only_the_scripts_carrying_its_nonce() {
    on_server_runtime(async {
        let server = Server::start().await;
        let page = server
            .client
            .get(format!("{}/connexion", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        assert_common_headers(&page);
        assert_eq!(header(&page, "referrer-policy"), "same-origin");
        let policy = header(&page, "content-security-policy").to_string();
        let script_src = policy
            .split(';')
            .find(|d| d.trim().starts_with("script-src"))
            .expect("script-src")
            .to_string();
        assert!(!script_src.contains("unsafe-inline"), "{script_src}");
        let body = page.text().await.unwrap();
        // Every script of the page carries the nonce the policy names, and it differs per page.
        let nonce = body
            .split("nonce=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("a nonce on the hydration script");
        assert!(
            script_src.contains(&format!("'nonce-{nonce}'")),
            "{script_src}"
        );
        for script in body.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "<script{tag}>");
        }
        let again = server
            .client
            .get(format!("{}/connexion", server.base))
            .send()
            .await
            .unwrap();
        assert!(!header(&again, "content-security-policy").contains(&format!("'nonce-{nonce}'")));
    });
}

#[test]
fn server_functions_and_files_carry_the_headers_too() {
    on_server_runtime(async {
        let server = Server::start().await;
        let refused = server.sign_in(seed::REGULATOR_EMAIL, "mauvais").await;
        assert_eq!(refused.status(), 401);
        assert_common_headers(&refused);
        assert_eq!(header(&refused, "referrer-policy"), "no-referrer");
        assert!(header(&refused, "content-security-policy").starts_with("default-src 'none'"));
        let cookie = server.session(seed::REGULATOR_EMAIL).await;
        let missing = server
            .client
            .get(format!(
                "{}{}/inconnu",
                server.base,
                crate::server::attachments::UPLOAD_PATH
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        assert_common_headers(&missing);
    });
}

#[test]
fn an_oversize_body_is_refused_with_413_before_being_read() {
    on_server_runtime(async {
        let server = Server::start().await;
        let body = format!(
            "email=a%40b.fr&password={}",
            "x".repeat(crate::server::http::BODY_LIMIT_BYTES as usize + 1)
        );
        let refused = server.post(Login::PATH, &body, None).await;
        assert_eq!(refused.status(), 413);
        assert_common_headers(&refused);
        assert!(refused.text().await.unwrap().contains("dépasse 1 Mo"));
    });
}

#[test]
fn a_crafted_commune_code_gets_a_french_message_not_a_hung_request() {
    on_server_runtime(async {
        let server = Server::start().await;
        let cookie = server.session(seed::REGULATOR_EMAIL).await;
        let page = tokio::time::timeout(
            Duration::from_secs(30),
            server
                .client
                .get(format!("{}/recherche?inseecode=a%C3%A912", server.base))
                .header("cookie", &cookie)
                .send(),
        )
        .await
        .expect("the page answers")
        .unwrap();
        let status = page.status();
        let body = tokio::time::timeout(Duration::from_secs(30), page.text())
            .await
            .expect("the page ends")
            .unwrap();
        assert_ne!(status, 500, "{body}");
        assert!(body.contains("Code commune INSEE invalide"), "{body}");
    });
}

#[test]
fn opening_a_slot_page_holds_nothing_until_the_regulator_chooses_to() {
    on_server_runtime(async {
        let server = Server::start().await;
        let cookie = server.session(seed::REGULATOR_EMAIL).await;
        let slot = super::booking::a_visible_slot(server.store.as_ref()).await;
        let page = server
            .get(&format!("/rendez-vous/{}", slot.slot_id), &cookie)
            .await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Réserver ce créneau"));
        let after = server
            .store
            .candidate_slot(slot.slot_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(after.held_by, None, "a GET held the slot");
        // The regulator's choice is a POST: then it is held, and the page opens the funnel.
        let held = server
            .post(
                crate::components::slot::OpenSlot::PATH,
                &format!("slot_id={}", slot.slot_id),
                Some(&cookie),
            )
            .await;
        assert_eq!(held.status(), 200);
        let page = server
            .get(&format!("/rendez-vous/{}", slot.slot_id), &cookie)
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Confirmer le rendez-vous"), "{page}");
    });
}
