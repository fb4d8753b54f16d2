//! The booking funnel over real HTTP on the real router, on SQLite and on PostgreSQL: fifty
//! simultaneous bookings of one slot, and attachments (content checks, size, who may read).

use super::{Server, on_server_runtime};
use crate::components::slot::OpenSlot;
use crate::domain::Role;
use crate::domain::appointment::AppointmentStatus;
use crate::domain::booking::SlotDetails;
use crate::domain::ids::{AppointmentId, SlotId};
use crate::features::booking::BookSlot;
use crate::server::auth;
use crate::server::store::conformance::{postgres_store, sqlite_store};
use crate::server::store::{CandidateSlot, NewUser, Store};
use crate::tools::booking_load::booking_form;
use crate::tools::demo as seed;
use leptos::server_fn::ServerFn;
use std::sync::Arc;

const SECOND_REGULATOR: &str = "second.regulateur@demo.test";

async fn start(store: Arc<Store>, dir: Option<tempfile::TempDir>) -> Server {
    let server = Server::start_on(store, dir).await;
    server
        .store
        .insert_user(&NewUser {
            email: SECOND_REGULATOR,
            password_hash: &auth::hash_password(seed::DEMO_PASSWORD).expect("hash"),
            role: Role::Regulator,
            first_name: "Paul",
            last_name: "Second",
            practitioner_id: None,
            created_at: 0,
            email_verified_at: Some(0),
            departement: None,
        })
        .await
        .expect("second regulator");
    server
}

/// A slot the search shows in Paris, and its practitioner's demo address; it starts in an hour or
/// more, so not while the test runs.
pub(super) async fn a_visible_slot(store: &Store) -> CandidateSlot {
    let now = crate::server::now();
    store
        .candidate_slots("75", now + 3600, now + 3 * 86_400)
        .await
        .expect("candidates")
        .into_iter()
        .find(|s| s.visibility(now, None).is_some())
        .expect("a visible slot")
}

/// Opens the slot as the regulator of `cookie` (the hold), over HTTP.
async fn open(server: &Server, slot_id: SlotId, cookie: &str) -> SlotDetails {
    let response = server
        .post(OpenSlot::PATH, &format!("slot_id={slot_id}"), Some(cookie))
        .await;
    assert_eq!(response.status(), 200);
    serde_json::from_str(&response.text().await.expect("body")).expect("slot details")
}

async fn fifty_simultaneous_bookings_give_one_appointment(server: Server) {
    let holder = server.session(seed::REGULATOR_EMAIL).await;
    let other = server.session(SECOND_REGULATOR).await;
    let slot = a_visible_slot(server.store.as_ref()).await;
    let details = open(&server, slot.slot_id, &holder).await;
    // Fifty different forms at once: half from the regulator holding the slot, half from another.
    let server = Arc::new(server);
    let requests = (0..50).map(|i| {
        let (server, details) = (server.clone(), details.clone());
        let cookie = if i % 2 == 0 {
            holder.clone()
        } else {
            other.clone()
        };
        tokio::spawn(async move {
            let response = server
                .post(
                    BookSlot::PATH,
                    &booking_form(&details, &format!("form-{i}"), None),
                    Some(&cookie),
                )
                .await;
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        })
    });
    let mut answers = Vec::new();
    for request in requests.collect::<Vec<_>>() {
        answers.push(request.await.expect("request"));
    }
    let ok = answers.iter().filter(|(s, _)| *s == 200).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s != 200).collect();
    assert_eq!(ok, 1, "{answers:?}");
    assert_eq!(refused.len(), 49);
    for (status, body) in refused {
        assert_eq!(*status, 409, "{body}");
        assert!(body.contains("SlotTaken"), "{body}");
    }
    let booked = server
        .store
        .practitioner_appointments(slot.practitioner_id)
        .await
        .unwrap();
    let mine: Vec<_> = booked
        .iter()
        .filter(|a| a.slot_id == slot.slot_id && a.status == AppointmentStatus::Booked)
        .collect();
    assert_eq!(mine.len(), 1);
    let subject = format!("appointment:{}", mine[0].id);
    // The practitioner was told by mail, without patient data.
    let mails = server.store.outbox(20).await.unwrap();
    let notice = mails
        .iter()
        .find(|m| m.subject.starts_with("Nouveau rendez-vous SAS"))
        .expect("practitioner mail");
    assert!(!notice.body.contains("Durand") && !notice.body.contains("06 45"));
    let log = server.store.audit_log(50).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "appointment_created" && e.subject == subject)
            .count(),
        1
    );
}

#[test]
fn fifty_simultaneous_bookings_on_sqlite() {
    on_server_runtime(async {
        let (store, dir) = sqlite_store().await;
        fifty_simultaneous_bookings_give_one_appointment(start(store, dir).await).await;
    });
}

#[test]
fn fifty_simultaneous_bookings_on_postgres() {
    on_server_runtime(async {
        if let Some((store, dir)) = postgres_store().await {
            fifty_simultaneous_bookings_give_one_appointment(start(store, dir).await).await;
        }
    });
}

/// `load booking` on a few slots: 60 regulators at once on each of 2 slots at a time, 360
/// attempts; one acknowledged booking per slot, none lost, none doubled.
async fn a_booking_load_books_each_slot_once(server: Server) {
    use crate::tools::booking_load::{LoadPlan, load_booking};
    let plan = LoadPlan {
        server: server.base.trim_start_matches("http://").parse().unwrap(),
        attempts: 360,
        per_slot: 60,
        parallel_slots: 2,
        journal: None,
    };
    let report = load_booking(server.store.as_ref(), &plan).await.unwrap();
    assert_eq!(report.attempts, 360);
    assert_eq!(
        (
            report.acknowledged,
            report.refused + report.busy,
            report.errors
        ),
        (6, 354, 0)
    );
    assert!(report.verdict.sound(), "{:?}", report.verdict);
    assert_eq!(report.verdict.lost, 0);
}

#[test]
fn a_booking_load_on_sqlite() {
    on_server_runtime(async {
        let (store, dir) = sqlite_store().await;
        a_booking_load_books_each_slot_once(start(store, dir).await).await;
    });
}

#[test]
fn a_booking_load_on_postgres() {
    on_server_runtime(async {
        if let Some((store, dir)) = postgres_store().await {
            a_booking_load_books_each_slot_once(start(store, dir).await).await;
        }
    });
}

async fn upload(server: &Server, name: &str, body: Vec<u8>, cookie: Option<&str>) -> (u16, String) {
    let mut request = server
        .client
        .post(format!("{}/pieces-jointes", server.base))
        .header("content-type", "application/octet-stream")
        .header("x-nom-fichier", name)
        .body(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.expect("upload");
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

/// An upload written by hand on the socket: `framing` is the length header, then `chunked`
/// bytes of a PDF go out in 1 MiB chunks (the server may stop reading; that is the point).
async fn raw_upload(server: &Server, cookie: &str, framing: &str, chunked: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /pieces-jointes HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\n\
         x-nom-fichier: gros.pdf\r\nContent-Type: application/octet-stream\r\n{framing}\r\n"
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    let mut chunk = vec![b'0'; 1024 * 1024];
    chunk[..5].copy_from_slice(b"%PDF-");
    let mut sent = 0;
    while sent < chunked {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
        if socket.write_all(&frame).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        socket.read_to_end(&mut answer),
    )
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

async fn download(server: &Server, token: &str, cookie: &str) -> reqwest::Response {
    server
        .client
        .get(format!("{}/pieces-jointes/{token}", server.base))
        .header("cookie", cookie)
        .send()
        .await
        .expect("download")
}

#[test]
fn attachments_are_checked_by_content_and_read_only_by_those_concerned() {
    on_server_runtime(async {
        use crate::domain::booking::ATTACHMENT_RULE;
        let (store, dir) = sqlite_store().await;
        let server = start(store, dir).await;
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let pdf = b"%PDF-1.4\n1 0 obj << >> endobj\n%%EOF\n".to_vec();

        assert_eq!(upload(&server, "a.pdf", pdf.clone(), None).await.0, 401);
        let practitioner = server.session("sophie.martin@demo.test").await;
        assert_eq!(
            upload(&server, "a.pdf", pdf.clone(), Some(&practitioner))
                .await
                .0,
            403
        );
        // Wrong content whatever the name, a name that lies about the content, too big.
        for (name, body) in [
            (
                "ordonnance.pdf",
                b"MZ\x90\x00\x03\x00\x00\x00binaire".to_vec(),
            ),
            ("radio.pdf", b"\x89PNG\r\n\x1a\n0000".to_vec()),
            ("vide.pdf", Vec::new()),
        ] {
            let (status, body) = upload(&server, name, body, Some(&regulator)).await;
            assert_eq!(
                (status, body.contains(ATTACHMENT_RULE)),
                (422, true),
                "{name}"
            );
        }
        // Too big: refused on its declared length before any byte is read…
        let max = crate::domain::booking::ATTACHMENT_MAX_BYTES as usize;
        let declared = format!("Content-Length: {}\r\n", max + 1);
        let answer = raw_upload(&server, &regulator, &declared, 0).await;
        assert!(
            answer.starts_with("HTTP/1.1 413") && answer.contains(ATTACHMENT_RULE),
            "{answer}"
        );
        // …and, sent without a length, as soon as the streamed bytes pass 50 Mo.
        let chunked = "Transfer-Encoding: chunked\r\n";
        let answer = raw_upload(&server, &regulator, chunked, max + 1024 * 1024).await;
        assert!(
            answer.starts_with("HTTP/1.1 413") && answer.contains(ATTACHMENT_RULE),
            "{answer}"
        );
        let left: Vec<_> = std::fs::read_dir(server.attachments.path())
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "refused files are removed: {left:?}");

        let (status, body) = upload(
            &server,
            "ordonnance%20sign%C3%A9e.pdf",
            pdf.clone(),
            Some(&regulator),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let uploaded: serde_json::Value = serde_json::from_str(&body).unwrap();
        let token = uploaded["token"].as_str().unwrap().to_string();
        assert_eq!(uploaded["name"], "ordonnance signée.pdf");

        // Booked with the appointment; read by its practitioner, by no other one.
        let slot = a_visible_slot(server.store.as_ref()).await;
        let details = open(&server, slot.slot_id, &regulator).await;
        let booked = server
            .post(
                BookSlot::PATH,
                &booking_form(&details, "k", Some(&token)),
                Some(&regulator),
            )
            .await;
        assert_eq!(booked.status(), 200);
        let owner = server
            .store
            .appointment(AppointmentId(booked.text().await.unwrap().parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        let owner_email = server
            .store
            .user_by_email(owner.practitioner_email.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap()
            .email;
        let theirs = server.session(&owner_email).await;
        let response = download(&server, &token, &theirs).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/pdf");
        assert!(
            response.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .ends_with("filename*=UTF-8''ordonnance%20sign%C3%A9e.pdf")
        );
        assert_eq!(response.bytes().await.unwrap().to_vec(), pdf);
        assert_eq!(download(&server, &token, &regulator).await.status(), 200);
        let stranger_email = if owner_email == "sophie.martin@demo.test" {
            "thomas.bernard@demo.test"
        } else {
            "sophie.martin@demo.test"
        };
        let stranger = server.session(stranger_email).await;
        assert_eq!(download(&server, &token, &stranger).await.status(), 404);
        let second = server.session(SECOND_REGULATOR).await;
        assert_eq!(download(&server, &token, &second).await.status(), 404);
        let log = server.store.audit_log(100).await.unwrap();
        assert_eq!(
            log.iter().filter(|e| e.action == "attachment_read").count(),
            2
        );
        assert!(log.iter().any(|e| e.action == "attachment_uploaded"));
    });
}

#[test]
fn no_link_holds_a_slot_not_even_the_platforms_own() {
    on_server_runtime(async {
        let (store, dir) = sqlite_store().await;
        let server = start(store, dir).await;
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let slot = a_visible_slot(server.store.as_ref()).await;
        // A link from another site (which carries the session cookie) and the platform's own
        // address alike: the page offers to hold the slot, a GET holds nothing.
        for site in ["cross-site", "same-origin"] {
            let html = server
                .client
                .get(format!("{}/rendez-vous/{}", server.base, slot.slot_id))
                .header("cookie", &regulator)
                .header("sec-fetch-site", site)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(html.contains("Réserver ce créneau"), "{site}");
            let untouched = server
                .store
                .candidate_slot(slot.slot_id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(untouched.held_by, None, "{site}");
        }
    });
}
