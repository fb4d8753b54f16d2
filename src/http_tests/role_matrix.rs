//! Every server function, called over real HTTP on the real router, by an anonymous visitor and
//! by each role: allowed, or refused with 401 (not signed in) / 403 (wrong role). The table must
//! list exactly the registered functions, so a new one cannot be added without stating who may
//! call it. Sign-in throttling and the audit of sign-ins are checked here too, over HTTP.

use super::{OTHER_EMAIL, Server};
use crate::domain::Role;
use crate::tools::demo as seed;
use leptos::server_fn::ServerFn;
use std::collections::BTreeSet;

enum Access {
    /// Open to everyone (the function says why).
    Open,
    Only(&'static [Role]),
}
use Access::{Only, Open};

/// Every server function: its path, a well-formed body, and who may call it.
/// `login` and `logout` come last: they close the session of whoever calls them.
fn table() -> Vec<(&'static str, &'static str, Access)> {
    use crate::components::place::SuggestCommunes;
    use crate::components::slot::OpenSlot;
    use crate::features::agenda::{ranges::*, reasons::*, register::*, settings::*, week::*};
    use crate::features::booking::referrals::*;
    use crate::features::{accounts::*, admin::*, agenda::*, booking::*, extra::*, search::*};
    const REGULATOR: &[Role] = &[Role::Regulator];
    const PRACTITIONER: &[Role] = &[Role::Practitioner];
    const ADMIN: &[Role] = &[Role::Admin];
    vec![
        (WhoAmI::PATH, "", Open),
        (crate::features::help::SupportInfo::PATH, "", Open),
        (
            Search::PATH,
            "params[inseecode]=&params[city]=&params[departement]=75&params[rayon]=\
             &params[perimetre]=&params[speciality]=&params[fenetre]=&params[sous]=&params[mode]=\
             &params[tous]=&params[page]=&params[ordre]=&params[origin]=",
            Only(REGULATOR),
        ),
        (SuggestCommunes::PATH, "text=Renn", Open),
        (OpenSlot::PATH, "slot_id=1", Only(REGULATOR)),
        (ShowSlot::PATH, "slot_id=1", Only(REGULATOR)),
        (ReleaseSlot::PATH, "slot_id=1", Only(REGULATOR)),
        (
            BookSlot::PATH,
            "request[slot_id]=1&request[idempotency_key]=k&request[choices][mode]=\
             &request[patient][first_name]=",
            Only(REGULATOR),
        ),
        (SlotAlternatives::PATH, "slot_id=1", Only(REGULATOR)),
        (MyReferrals::PATH, "", Only(REGULATOR)),
        (
            AppointmentDetail::PATH,
            "id=1",
            Only(&[Role::Regulator, Role::Practitioner, Role::Admin]),
        ),
        (
            CancelBooking::PATH,
            "id=1&reason=x",
            Only(&[Role::Regulator, Role::Admin]),
        ),
        (
            SetAppointmentOutcome::PATH,
            "id=1&status=noshow",
            Only(PRACTITIONER),
        ),
        (AcknowledgeReschedule::PATH, "", Only(REGULATOR)),
        (NewRequestForm::PATH, "practitioner_id=1", Only(REGULATOR)),
        (
            SendExtraRequest::PATH,
            "request[practitioner_id]=1&request[idempotency_key]=k&request[day]=",
            Only(REGULATOR),
        ),
        (
            ExtraRequest::PATH,
            "id=1",
            Only(&[Role::Regulator, Role::Practitioner, Role::Admin]),
        ),
        (
            ExtraRequests::PATH,
            "",
            Only(&[Role::Regulator, Role::Practitioner]),
        ),
        (AcceptExtraRequest::PATH, "id=1", Only(PRACTITIONER)),
        (
            DeclineExtraRequest::PATH,
            "id=1&reason=x",
            Only(PRACTITIONER),
        ),
        (WithdrawExtraRequest::PATH, "id=1", Only(REGULATOR)),
        (MyAppointments::PATH, "", Only(PRACTITIONER)),
        (
            Register::PATH,
            "registration[email]=&registration[password]=&registration[civility]=\
             &registration[first_name]=&registration[last_name]=&registration[rpps]=\
             &registration[specialty]=&registration[address]=&registration[postcode]=\
             &registration[insee_code]=",
            Open,
        ),
        (WeekAgenda::PATH, "week=", Only(PRACTITIONER)),
        (
            SavePractice::PATH,
            "practice[specialty]=&practice[address]=&practice[postcode]=&practice[insee_code]=",
            Only(PRACTITIONER),
        ),
        (MyRanges::PATH, "", Only(PRACTITIONER)),
        (
            SaveRange::PATH,
            "id=0&range[kind]=weekly&range[start]=&range[end]=&range[slot_minutes]=&range[mode]=",
            Only(PRACTITIONER),
        ),
        (DeleteRange::PATH, "id=0", Only(PRACTITIONER)),
        (
            AddAbsence::PATH,
            "absence[start_date]=&absence[start_time]=&absence[end_date]=&absence[end_time]=",
            Only(PRACTITIONER),
        ),
        (DeleteAbsence::PATH, "id=0", Only(PRACTITIONER)),
        (MyReasons::PATH, "", Only(PRACTITIONER)),
        (
            SaveReason::PATH,
            "id=0&reason[duration_minutes]=",
            Only(PRACTITIONER),
        ),
        (
            ArchiveReason::PATH,
            "id=0&archived=true",
            Only(PRACTITIONER),
        ),
        (AddSnpReason::PATH, "", Only(PRACTITIONER)),
        (MySettings::PATH, "", Only(PRACTITIONER)),
        (
            SaveSettings::PATH,
            "settings[booking_notice]=",
            Only(PRACTITIONER),
        ),
        (AddQuestion::PATH, "question[label]=", Only(PRACTITIONER)),
        (RemoveQuestion::PATH, "id=0", Only(PRACTITIONER)),
        (RequestParticipation::PATH, "", Only(PRACTITIONER)),
        (WithdrawParticipation::PATH, "", Only(PRACTITIONER)),
        (ConfirmationLink::PATH, "token=inconnu", Open),
        (ConfirmEmail::PATH, "token=inconnu", Open),
        (ParticipationLines::PATH, "", Only(ADMIN)),
        (
            DecideParticipation::PATH,
            "id=0&decision=Approve&reason=",
            Only(ADMIN),
        ),
        (Invitation::PATH, "token=inconnu", Open),
        (
            CreateAccount::PATH,
            "token=inconnu&profession=&email=&password=&confirmation=",
            Open,
        ),
        (RequestReset::PATH, "email=", Open),
        (ResetLink::PATH, "token=inconnu", Open),
        (
            ResetPassword::PATH,
            "token=inconnu&password=&confirmation=",
            Open,
        ),
        (ListRegulators::PATH, "", Only(ADMIN)),
        (
            InviteRegulator::PATH,
            "civility=&first_name=&last_name=&email=&departement=",
            Only(ADMIN),
        ),
        (ResendInvitation::PATH, "id=0", Only(ADMIN)),
        (RevokeInvitation::PATH, "id=0", Only(ADMIN)),
        (DisableAccount::PATH, "id=0", Only(ADMIN)),
        (SentMails::PATH, "", Only(ADMIN)),
        (AuditEntries::PATH, "query[page]=1", Only(ADMIN)),
        (
            crate::features::indicators::IndicatorFigures::PATH,
            "query[du]=",
            Only(&[Role::Admin, Role::Regulator]),
        ),
        (
            Login::PATH,
            "email=regulateur%40demo.test&password=Demo-SAS-2026",
            Open,
        ),
        (Logout::PATH, "", Open),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_states_who_may_call_it() {
    let table = table();
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    let listed: BTreeSet<&str> = table.iter().map(|(path, _, _)| *path).collect();
    assert_eq!(listed.len(), table.len(), "a path is listed twice");
    let missing: Vec<_> = registered.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "server functions missing from the role table: {missing:?}"
    );
    let unknown: Vec<_> = listed.difference(&registered).collect();
    assert!(unknown.is_empty(), "listed but not registered: {unknown:?}");

    let server = Server::start().await;
    let mut callers: Vec<(Option<Role>, Option<String>)> = vec![(None, None)];
    for (role, email) in [
        (Role::Admin, seed::ADMIN_EMAIL),
        (Role::Regulator, seed::REGULATOR_EMAIL),
        (Role::Practitioner, "sophie.martin@demo.test"),
        (Role::Other, OTHER_EMAIL),
    ] {
        callers.push((Some(role), Some(server.session(email).await)));
    }
    let mut failures = Vec::new();
    for (path, body, access) in &table {
        for (role, cookie) in &callers {
            let status = server
                .post(path, body, cookie.as_deref())
                .await
                .status()
                .as_u16();
            let expected_ok = match (access, role) {
                (Open, _) => true,
                (Only(roles), Some(role)) => roles.contains(role),
                (Only(_), None) => false,
            };
            let right = match (expected_ok, role) {
                (true, _) => status != 401 && status != 403,
                (false, None) => status == 401,
                (false, Some(_)) => status == 403,
            };
            if !right {
                failures.push(format!("{path} as {role:?}: {status}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "wrong answers:\n{}",
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_guesses_is_counted_before_checking_and_locks_out_only_strangers() {
    use crate::domain::account::{MAX_ATTEMPTS_PER_ACCOUNT, MAX_ATTEMPTS_PER_IP};
    use crate::features::accounts::Login;
    let server = std::sync::Arc::new(Server::start().await);
    // The regulator signed in from this browser yesterday: it carries the device mark.
    let earlier = server
        .sign_in(seed::REGULATOR_EMAIL, seed::DEMO_PASSWORD)
        .await;
    assert_eq!(earlier.status(), 200);
    let device =
        super::cookie_set(&earlier, crate::server::auth::DEVICE_COOKIE).expect("device mark");

    // 40 wrong passwords at once from elsewhere: at most 5 are checked, the others refused.
    let burst: Vec<_> = (0..40)
        .map(|_| {
            let server = server.clone();
            tokio::spawn(async move {
                server
                    .sign_in(seed::REGULATOR_EMAIL, "mauvais")
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut answers = Vec::new();
    for answer in burst {
        answers.push(answer.await.unwrap());
    }
    let checked = answers.iter().filter(|s| **s == 401).count();
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (checked, refused),
        (MAX_ATTEMPTS_PER_ACCOUNT as usize, 35),
        "{answers:?}"
    );

    let status = |r: reqwest::Response| r.status().as_u16();
    // A stranger with the right password waits too…
    assert_eq!(
        status(
            server
                .sign_in(seed::REGULATOR_EMAIL, seed::DEMO_PASSWORD)
                .await
        ),
        429
    );
    // …but the regulator's own browser still signs in…
    let body = format!(
        "email={}&password={}",
        seed::REGULATOR_EMAIL.replace('@', "%40"),
        seed::DEMO_PASSWORD
    );
    assert_eq!(
        status(server.post(Login::PATH, &body, Some(&device)).await),
        200
    );
    // …an unknown address is throttled the same way (no enumeration)…
    for _ in 0..MAX_ATTEMPTS_PER_ACCOUNT {
        assert_eq!(
            status(server.sign_in("inconnu@demo.test", "mauvais").await),
            401
        );
    }
    assert_eq!(
        status(server.sign_in("inconnu@demo.test", "mauvais").await),
        429
    );
    // …and the other accounts behind this client address are not locked out.
    assert_eq!(
        status(server.sign_in(seed::ADMIN_EMAIL, seed::DEMO_PASSWORD).await),
        200
    );

    // Only a flood over many addresses, beyond what a call centre sends, stops the address.
    let spent = 1 + 40 + 1 + 1 + (MAX_ATTEMPTS_PER_ACCOUNT + 1) + 1;
    for i in 0..(MAX_ATTEMPTS_PER_IP - spent) {
        let email = format!("essai{i}@demo.test");
        assert_eq!(
            status(server.sign_in(&email, "mauvais").await),
            401,
            "{email}"
        );
    }
    assert_eq!(
        status(server.sign_in(seed::ADMIN_EMAIL, seed::DEMO_PASSWORD).await),
        429
    );

    // Each outcome is in the audit log, with the client address.
    let log = server.store.audit_log(500).await.expect("audit log");
    for action in ["sign_in", "sign_in_failed", "sign_in_throttled"] {
        assert!(
            log.iter()
                .any(|e| e.action == action && e.ip.as_deref() == Some("127.0.0.1")),
            "{action}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_smtp_the_invitation_waits_in_the_outbox_and_its_link_serves_once() {
    use crate::features::accounts::CreateAccount;
    use crate::features::admin::InviteRegulator;
    let server = Server::start().await;
    let admin = server.session(seed::ADMIN_EMAIL).await;
    let body =
        "civility=Mme&first_name=Claire&last_name=Morel&email=claire%40sas.test&departement=35";
    let invited = server.post(InviteRegulator::PATH, body, Some(&admin)).await;
    assert_eq!(invited.status(), 200);

    let mails = server.store.outbox(10).await.expect("outbox");
    let mail = mails.first().expect("the invitation is in the outbox");
    assert_eq!(mail.recipient, "claire@sas.test");
    let link = mail
        .body
        .split_whitespace()
        .find(|w| w.starts_with(&format!("{}/creer-mon-compte?jeton=", server.base)))
        .expect("link in the mail");
    let token = link.rsplit('=').next().expect("token");
    assert!(token.len() >= 22, "at least 128 bits");
    assert!(
        server.store.account_token(token).await.unwrap().is_none(),
        "only its hash is stored"
    );

    let page = |url: String| async move {
        let response = reqwest::get(url).await.expect("page");
        (
            response.status().as_u16(),
            response.text().await.expect("body"),
        )
    };
    let (status, html) = page(link.to_string()).await;
    assert_eq!(status, 200);
    assert!(html.contains("Création de votre compte") && html.contains("Claire Morel"));
    let account = format!(
        "token={token}&profession=R%C3%A9gulateur&email=claire%40sas.test\
         &password=cheval+batterie+agrafe&confirmation=cheval+batterie+agrafe"
    );
    assert_eq!(
        server
            .post(CreateAccount::PATH, &account, None)
            .await
            .status(),
        200
    );
    assert_eq!(
        server
            .post(CreateAccount::PATH, &account, None)
            .await
            .status(),
        410
    );
    let (status, html) = page(link.to_string()).await;
    assert_eq!(status, 410);
    assert!(html.contains("Ce lien a déjà été utilisé"));
    let signed_in = server
        .sign_in("claire@sas.test", "cheval+batterie+agrafe")
        .await;
    assert_eq!(signed_in.status(), 200);

    let log = server.store.audit_log(50).await.unwrap();
    for action in ["regulator_created", "invitation_sent", "account_created"] {
        assert!(
            log.iter()
                .any(|e| e.action == action && e.ip.as_deref() == Some("127.0.0.1")),
            "{action}"
        );
    }
}
