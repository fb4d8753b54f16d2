//! The prefilled link of a call-centre software survives sign-in: a page that needs a session
//! sends the visitor to sign in, and the sign-in sends them back to that exact address. Pages
//! answer while other routers of the same process are built (no hung request).

use super::{Server, on_server_runtime};
use crate::domain::account::sign_in_path;
use crate::features::accounts::Login;
use crate::tools::demo as seed;
use leptos::server_fn::ServerFn;

fn location(response: &reqwest::Response) -> &str {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

const PREFILLED: &str = "/recherche?inseecode=35238&city=Rennes&speciality=SM54&origin=crra";

#[test]
fn every_page_needing_a_session_sends_to_sign_in_with_its_address() {
    on_server_runtime(async {
        let server = Server::start().await;
        for path in [
            PREFILLED,
            "/agenda",
            "/agenda/semaine?semaine=2026-12-07",
            "/agenda/plages",
            "/agenda/motifs",
            "/agenda/parametres",
            "/adressages",
            "/adressages/1",
            "/rendez-vous/1",
            "/admin/regulateurs",
            "/admin/medecins",
            "/admin/courriels",
            "/admin/journal?action=sign_in",
            "/indicateurs?du=2026-11-01",
        ] {
            // A browser's navigation: the answer is a redirection (302).
            let response = server
                .client
                .get(format!("{}{path}", server.base))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 302, "{path}");
            assert_eq!(location(&response), sign_in_path(path), "{path}");
        }
        // The sign-in page carries the address on, in its form.
        let html = server
            .get(&sign_in_path(PREFILLED), "")
            .await
            .text()
            .await
            .unwrap();
        assert!(
            html.contains(&format!(
                "name=\"retour\" value=\"{}\"",
                PREFILLED.replace('&', "&amp;")
            )),
            "{html}"
        );
    });
}

/// Listing the routes suspends leptos' resources in the whole process: were it done again by
/// each router built (each test server), a page rendered meanwhile would never answer.
#[test]
fn pages_answer_while_routers_are_built_beside_them() {
    on_server_runtime(async {
        let server = Server::start().await;
        let building = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let builder = {
            let building = building.clone();
            std::thread::spawn(move || {
                while building.load(std::sync::atomic::Ordering::Relaxed) {
                    crate::server::http::routes();
                }
            })
        };
        for _ in 0..10 {
            let path = "/indicateurs?du=2026-11-01";
            let answer = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                server
                    .client
                    .get(format!("{}{path}", server.base))
                    .header("accept", "text/html")
                    .send(),
            )
            .await;
            let answer = answer.expect("the page answers").unwrap();
            assert_eq!(location(&answer), sign_in_path(path));
        }
        building.store(false, std::sync::atomic::Ordering::Relaxed);
        builder.join().unwrap();
    });
}

#[test]
fn signing_in_goes_back_to_a_path_of_this_site_only() {
    on_server_runtime(async {
        let server = Server::start().await;
        let sign_in = |retour: &str| {
            let retour: String = form_urlencoded::byte_serialize(retour.as_bytes()).collect();
            format!(
                "email={}&password={}&retour={retour}",
                seed::REGULATOR_EMAIL.replace('@', "%40"),
                seed::DEMO_PASSWORD
            )
        };
        let back = server.post(Login::PATH, &sign_in(PREFILLED), None).await;
        assert_eq!(location(&back), PREFILLED);
        for foreign in [
            "//evil.example/recherche",
            "https://evil.example/",
            "/\\evil.example",
        ] {
            let home = server.post(Login::PATH, &sign_in(foreign), None).await;
            assert_eq!(location(&home), "/recherche", "{foreign}");
        }
        // Without an address: the role's home page, as before.
        let plain = server
            .sign_in(seed::REGULATOR_EMAIL, seed::DEMO_PASSWORD)
            .await;
        assert_eq!(location(&plain), "/recherche");
    });
}

#[test]
fn a_search_without_a_place_opens_on_the_regulators_departement() {
    on_server_runtime(async {
        use crate::domain::search::SearchResults;
        use crate::features::search::Search;
        let server = Server::start().await;
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let body = "params[inseecode]=&params[city]=&params[departement]=&params[rayon]=\
            &params[perimetre]=&params[speciality]=&params[fenetre]=&params[sous]=&params[mode]=\
            &params[tous]=&params[page]=&params[ordre]=&params[origin]=crra";
        let response = server.post(Search::PATH, body, Some(&regulator)).await;
        assert_eq!(response.status(), 200);
        let text = response.text().await.unwrap();
        let results: Option<SearchResults> = serde_json::from_str(&text).unwrap();
        let results = results.expect("the regulator's département is searched");
        assert_eq!(
            results.scope,
            "dans tout le département Paris (75), par rotation équitable"
        );
        assert!(results.practitioner_count > 0);
        assert!(results.cards.iter().all(|c| c.address.contains("Paris")));
        // The next pages keep the same rotation and the call-centre origin.
        assert_eq!(results.params.departement, "75");
        assert!(!results.params.ordre.is_empty());
        assert_eq!(results.params.origin, "crra");
    });
}
