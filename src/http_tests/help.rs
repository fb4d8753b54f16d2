//! The help page over real HTTP: public, rendered whole by the server (readable without
//! JavaScript), linked from every page, and honest about support contacts it was not given.

use super::{Server, on_server_runtime};
use crate::features::help::view::SECTIONS;

#[test]
fn the_help_page_is_public_and_complete_without_javascript() {
    on_server_runtime(async {
        let server = Server::start().await;
        let response = server
            .client
            .get(format!("{}/aide", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert_eq!(html.matches("<h1").count(), 1, "one h1");
        for (id, _) in SECTIONS {
            assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
            assert!(
                html.contains(&format!("href=\"#{id}\"")),
                "summary link to {id}"
            );
        }
        for heading in [
            "emploi des régulateurs / OSNP",
            "Contacter le support",
            "Médecins effecteurs : comment participer au SAS ?",
            "Dans quels cas prendre rendez-vous en vidéo ?",
            "Soit le médecin accepte des nouveaux patients",
            "accepte pas de nouveaux patients",
            "pas besoin de dédier des créneaux au SAS",
        ] {
            assert!(html.contains(heading), "{heading}");
        }
        // The test server has no support contact: none is invented.
        assert!(html.contains("Aucun contact de support"), "no contact");
        assert!(!html.contains("mailto:"));
        assert!(!html.contains("Chargement…"), "rendered before answering");
        // Linked from the header and the footer.
        assert!(
            html.matches("href=\"/aide\"").count() >= 2,
            "header and footer"
        );
    });
}

#[test]
fn every_page_links_to_help() {
    on_server_runtime(async {
        let server = Server::start().await;
        for path in ["/", "/connexion", "/inscription"] {
            let html = server
                .client
                .get(format!("{}{path}", server.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(html.matches("href=\"/aide\"").count() >= 2, "{path}");
        }
    });
}
