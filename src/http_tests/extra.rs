//! Surnuméraire over real HTTP: the request sent from the form reaches only its practitioner and
//! its regulator (mail without patient data), a second submit sends nothing more, refused input
//! gets French field messages, and the accepted request is among the regulator's bookings.

use super::{Server, on_server_runtime};
use crate::domain::appointment::ReferralLine;
use crate::domain::extra::{EXTRA_REASON, ExtraView};
use crate::domain::ids::{AppointmentId, ExtraRequestId};
use crate::features::booking::referrals::MyReferrals;
use crate::features::extra::{AcceptExtraRequest, ExtraRequest, SendExtraRequest};
use crate::tools::demo as seed;
use leptos::server_fn::ServerFn;

const DOCTOR: &str = "sophie.martin@demo.test";

/// The form as the page sends it, for the example patient, proposed tomorrow at 10:30.
fn form(practitioner: i64, key: &str, time: &str) -> String {
    let tomorrow = crate::domain::agenda::paris_today(crate::server::now_utc()).succ_opt();
    let fields = [
        ("practitioner_id", practitioner.to_string()),
        ("idempotency_key", key.into()),
        ("day", tomorrow.unwrap().to_string()),
        ("time", time.into()),
        ("mode", "cabinet".into()),
        ("message", "Douleur abdominale".into()),
        ("patient][first_name", "Marie".into()),
        ("patient][last_name", "Durand".into()),
        ("patient][birth_name", "Martin".into()),
        ("patient][birth_date", "21/11/1952".into()),
        ("patient][phone", "06 45 37 26 53".into()),
    ];
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        body.append_pair(&format!("request[{name}]"), &value);
    }
    body.finish()
}

async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

async fn seed_regulator(server: &Server) -> crate::domain::ids::UserId {
    let regulator = server
        .store
        .user_by_email(seed::REGULATOR_EMAIL)
        .await
        .unwrap();
    regulator.unwrap().id
}

#[test]
fn a_request_reaches_only_its_practitioner_and_its_acceptance_is_a_booking() {
    on_server_runtime(async {
        let server = Server::start().await;
        let doctor = server.store.user_by_email(DOCTOR).await.unwrap().unwrap();
        let practitioner = doctor.practitioner_id.unwrap().0;
        let regulator = server.session(seed::REGULATOR_EMAIL).await;

        // A time that does not exist: the field says so, nothing is written.
        let refused = server
            .post(
                SendExtraRequest::PATH,
                &form(practitioner, "k", "25:00"),
                Some(&regulator),
            )
            .await;
        assert_eq!(refused.status(), 422);
        let said = refused.text().await.unwrap();
        assert!(said.contains("\"field\":\"time\""), "{said}");
        assert!(said.contains("Heure invalide"), "{said}");
        assert!(
            server
                .store
                .regulator_extra_requests(seed_regulator(&server).await)
                .await
                .unwrap()
                .is_empty()
        );

        let body = form(practitioner, "k", "10:30");
        let sent = server
            .post(SendExtraRequest::PATH, &body, Some(&regulator))
            .await;
        assert_eq!(sent.status(), 200);
        let id: ExtraRequestId = json(sent).await;
        let again = server
            .post(SendExtraRequest::PATH, &body, Some(&regulator))
            .await;
        assert_eq!(
            json::<ExtraRequestId>(again).await,
            id,
            "one request per form"
        );
        let mails = server.store.outbox(20).await.unwrap();
        let asked: Vec<_> = mails
            .iter()
            .filter(|m| m.subject.starts_with("Demande de surnuméraire SAS"))
            .collect();
        assert_eq!(asked.len(), 1);
        assert_eq!(asked[0].recipient, DOCTOR);
        assert!(asked[0].body.contains(&format!("/surnumeraires/{id}")));
        for data in ["Marie", "Durand", "06 45", "1952", "abdominale"] {
            assert!(!asked[0].body.contains(data), "{data} in the mail");
        }

        // Another practitioner is told it does not exist; its own reads the patient.
        let stranger = server.session("thomas.bernard@demo.test").await;
        let read = |cookie: String| {
            let server = &server;
            async move {
                server
                    .post(ExtraRequest::PATH, &format!("id={id}"), Some(&cookie))
                    .await
            }
        };
        assert_eq!(read(stranger.clone()).await.status(), 404);
        let doctor_cookie = server.session(DOCTOR).await;
        let view: ExtraView = json(read(doctor_cookie.clone()).await).await;
        assert!(view.can_answer);
        assert!(
            view.patient
                .contains(&("Nom du patient".into(), "Durand".into()))
        );
        let not_theirs = server
            .post(
                AcceptExtraRequest::PATH,
                &format!("id={id}"),
                Some(&stranger),
            )
            .await;
        assert_eq!(not_theirs.status(), 404);

        let accepted = server
            .post(
                AcceptExtraRequest::PATH,
                &format!("id={id}"),
                Some(&doctor_cookie),
            )
            .await;
        assert_eq!(accepted.status(), 200);
        let appointment: AppointmentId = json(accepted).await;
        let lines: Vec<ReferralLine> =
            json(server.post(MyReferrals::PATH, "", Some(&regulator)).await).await;
        let line = lines.iter().find(|l| l.id == appointment).expect("booked");
        assert_eq!(
            (line.reason.as_str(), line.status.as_str()),
            (EXTRA_REASON, "Réservé")
        );
        let twice = server
            .post(
                AcceptExtraRequest::PATH,
                &format!("id={id}"),
                Some(&doctor_cookie),
            )
            .await;
        assert_eq!(twice.status(), 422, "answered once");
        assert!(
            twice
                .text()
                .await
                .unwrap()
                .contains("déjà reçu une réponse")
        );
    });
}
