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

/// The registration form of a practitioner in Brest (no demo practitioner there), as sent.
fn registration(rpps: &str, (first, last): (&str, &str), email: &str) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (field, value) in [
        ("email", email),
        ("password", "Cinq-Pommes-Vertes-29"),
        ("civility", "Mme"),
        ("first_name", first),
        ("last_name", last),
        ("rpps", rpps),
        ("specialty", "Médecine générale"),
        ("address", "2 rue de Siam"),
        ("postcode", "29200"),
        ("insee_code", "29019"),
        ("phone", ""),
    ] {
        form.append_pair(&format!("registration[{field}]"), value);
    }
    form.finish()
}

/// The newest mail to `to` whose subject contains `subject` (mails leave in the background).
async fn mailed(server: &Server, to: &str, subject: &str) -> crate::server::store::OutboxRecord {
    for _ in 0..50 {
        let mails = server.store.outbox(20).await.unwrap();
        if let Some(mail) = mails
            .into_iter()
            .find(|m| m.recipient == to && m.subject.contains(subject))
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail « {subject} » to {to}");
}

/// The single-use link's token of that mail (the outbox keeps it whole).
async fn mailed_token(server: &Server, to: &str, subject: &str) -> String {
    let body = mailed(server, to, subject).await.body;
    let at = body.find("jeton=").expect("a link") + "jeton=".len();
    body[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// What a regulator's search of the Finistère answers.
async fn finistere_search(server: &Server, regulator: &str) -> String {
    use crate::features::search::Search;
    let body = "params[inseecode]=&params[city]=&params[departement]=29&params[rayon]=\
        &params[perimetre]=&params[speciality]=&params[fenetre]=&params[sous]=&params[mode]=\
        &params[tous]=&params[page]=&params[ordre]=&params[origin]=";
    let response = server.post(Search::PATH, body, Some(regulator)).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, 200, "{text}");
    text
}

/// Gives the practitioner a « Soins non programmés » range over the next days.
async fn snp_range(server: &Server, practitioner_id: crate::domain::ids::PractitionerId) {
    use crate::domain::agenda::{Mode, RangeTimes, Recurrence, paris_today};
    use crate::server::store::NewRange;
    let store = server.store.as_ref();
    let snp = store.add_snp_reason(practitioner_id).await.unwrap();
    let today = paris_today(chrono::Utc::now());
    for day in 1..3 {
        let times = RangeTimes {
            recurrence: Recurrence::Once(today + chrono::Duration::days(day)),
            start: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: chrono::NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            slot_minutes: 20,
        };
        let range = NewRange {
            times,
            mode: Mode::Cabinet,
            reason_ids: &[snp],
        };
        store.insert_range(practitioner_id, &range).await.unwrap();
    }
    store
        .materialize_slots(today, today + chrono::Duration::days(3))
        .await
        .unwrap();
}

#[test]
fn only_a_confirmed_and_approved_practitioner_reaches_the_search() {
    use crate::features::accounts::ConfirmEmail;
    use crate::features::admin::DecideParticipation;
    use crate::features::agenda::register::Register;
    use crate::features::agenda::settings::RequestParticipation;
    on_server_runtime(async {
        let server = Server::start().await;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        crate::server::communes::ensure_loaded(&server.store, &root.join("migrations/communes"))
            .await
            .expect("communes (built by .ci/setup)");
        let file = root.join("migrations/rpps/PS_LibreAcces_Personne_activite_exemple.txt");
        let report = crate::server::rpps::import_file(&server.store, &file)
            .await
            .unwrap();
        assert_eq!(
            (report.lines, report.skipped, report.professionals),
            (6, 1, 4)
        );

        // A public RPPS number under another name, or a number the directory does not know.
        let email = "helene.lefevre@exemple.fr";
        let impostor = registration("10001112225", ("Hélène", "Martin"), email);
        let unknown = registration("10007778888", ("Hélène", "Lefèvre-Dupont"), email);
        // The practice is placed by a commune of the list, with one of its postcodes.
        let genuine = registration("10001112225", ("Hélène", "Lefevre Dupont"), email);
        let unlisted = genuine.replace("29019", "99999");
        let elsewhere = genuine.replace("29200", "35000");
        for (form, says) in [
            (impostor, "ne correspondent pas"),
            (unknown, "absent de l'annuaire"),
            (unlisted, "Choisissez la commune du cabinet dans la liste"),
            (
                elsewhere,
                "Ce code postal n'est pas celui de Brest : 29200.",
            ),
        ] {
            let refused = server.post(Register::PATH, &form, None).await;
            assert_eq!(refused.status(), 422);
            assert!(refused.text().await.unwrap().contains(says), "{says}");
        }
        // The directory's names, typed without capitals or accents as people do.
        assert_eq!(
            server.post(Register::PATH, &genuine, None).await.status(),
            200
        );
        let refused = server.sign_in(email, "Cinq-Pommes-Vertes-29").await;
        assert_eq!(
            refused.status(),
            403,
            "no sign-in before the address is confirmed"
        );
        assert!(refused.text().await.unwrap().contains("EmailNotConfirmed"));

        let token = mailed_token(&server, email, "Confirmez votre adresse").await;
        let confirm = |token: &str| format!("token={token}");
        assert_eq!(
            server
                .post(ConfirmEmail::PATH, &confirm(&token), None)
                .await
                .status(),
            200
        );
        assert_eq!(
            server
                .post(ConfirmEmail::PATH, &confirm(&token), None)
                .await
                .status(),
            410
        );
        let practitioner = server.store.user_by_email(email).await.unwrap().unwrap();
        let practitioner_id = practitioner.practitioner_id.unwrap();
        snp_range(&server, practitioner_id).await;
        let session = super::cookie_set(
            &server.sign_in(email, "Cinq-Pommes-Vertes-29").await,
            crate::server::auth::SESSION_COOKIE,
        )
        .expect("signed in once confirmed");

        // Asking is not participating: nothing reaches the search before an approval.
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        assert!(
            !finistere_search(&server, &regulator)
                .await
                .contains("Lefevre Dupont")
        );
        let asked = server
            .post(RequestParticipation::PATH, "", Some(&session))
            .await;
        assert_eq!(asked.status(), 200);
        assert!(
            !finistere_search(&server, &regulator)
                .await
                .contains("Lefevre Dupont")
        );

        // An administrator of another département cannot decide; the national one can.
        let decide = |decision: &str, reason: &str| {
            format!("id={practitioner_id}&decision={decision}&reason={reason}")
        };
        let password = seed::DEMO_PASSWORD;
        server
            .store
            .insert_user(&crate::server::store::NewUser {
                email: "admin.75@demo.test",
                password_hash: &crate::server::auth::hash_password(password).unwrap(),
                role: crate::domain::Role::Admin,
                first_name: "Admin",
                last_name: "Paris",
                practitioner_id: None,
                created_at: 0,
                email_verified_at: Some(0),
                departement: Some("75"),
            })
            .await
            .unwrap();
        let paris = server.session("admin.75@demo.test").await;
        let elsewhere = server
            .post(
                DecideParticipation::PATH,
                &decide("Approve", ""),
                Some(&paris),
            )
            .await;
        assert_eq!(
            elsewhere.status(),
            404,
            "a Paris administrator does not decide for Brest"
        );

        let admin = server.session(seed::ADMIN_EMAIL).await;
        let approved = server
            .post(
                DecideParticipation::PATH,
                &decide("Approve", ""),
                Some(&admin),
            )
            .await;
        assert_eq!(approved.status(), 200);
        assert!(
            finistere_search(&server, &regulator)
                .await
                .contains("Lefevre Dupont")
        );
        mailed(&server, email, "validée").await;

        // Suspended: out of the search at once, with a reason the practitioner reads.
        let without_reason = server
            .post(
                DecideParticipation::PATH,
                &decide("Suspend", ""),
                Some(&admin),
            )
            .await;
        assert_eq!(without_reason.status(), 422);
        let suspended = server
            .post(
                DecideParticipation::PATH,
                &decide("Suspend", "Plainte+en+cours"),
                Some(&admin),
            )
            .await;
        assert_eq!(suspended.status(), 200);
        assert!(
            !finistere_search(&server, &regulator)
                .await
                .contains("Lefevre Dupont")
        );
        mailed(&server, email, "suspendue").await;
    });
}
