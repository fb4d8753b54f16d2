//! Notifications over real HTTP (mails in the outbox): the patient's confirmation when an e-mail
//! address was given, and a practitioner's cancellation or absence « à replanifier » — the
//! regulator's mail without patient data, the patient's mail, the acknowledgement.

use super::{Server, on_server_runtime};
use crate::components::slot::OpenSlot;
use crate::domain::appointment::ReferralLine;
use crate::domain::booking::SlotDetails;
use crate::domain::ids::AppointmentId;
use crate::features::agenda::ranges::AddAbsence;
use crate::features::booking::BookSlot;
use crate::features::booking::referrals::{
    AcknowledgeReschedule, MyReferrals, SetAppointmentOutcome,
};
use crate::server::store::OutboxRecord;
use crate::tools::booking_load::booking_form;
use crate::tools::demo as seed;
use leptos::server_fn::ServerFn;

const PATIENT: &str = "marie.durand@exemple.fr";

/// Books the `nth` visible slot of Paris for the example patient, with her e-mail address.
async fn book(server: &Server, cookie: &str, nth: usize) -> AppointmentId {
    let now = crate::server::now();
    let slot = server
        .store
        .candidate_slots("75", now + 3600, now + 3 * 86_400)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.visibility(now, None).is_some())
        .nth(nth)
        .expect("a visible slot");
    let opened = server
        .post(
            OpenSlot::PATH,
            &format!("slot_id={}", slot.slot_id),
            Some(cookie),
        )
        .await;
    let details: SlotDetails = serde_json::from_str(&opened.text().await.unwrap()).unwrap();
    let form = booking_form(&details, &format!("form-{nth}"), None)
        + "&request%5Bpatient%5D%5Bemail%5D="
        + PATIENT;
    let booked = server.post(BookSlot::PATH, &form, Some(cookie)).await;
    assert_eq!(booked.status(), 200);
    serde_json::from_str(&booked.text().await.unwrap()).unwrap()
}

async fn mails_to(server: &Server, to: &str, subject: &str) -> Vec<OutboxRecord> {
    let mails = server.store.outbox(50).await.unwrap();
    mails
        .into_iter()
        .filter(|m| m.recipient == to && m.subject.contains(subject))
        .collect()
}

async fn referrals(server: &Server, cookie: &str) -> Vec<ReferralLine> {
    let response = server.post(MyReferrals::PATH, "", Some(cookie)).await;
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

fn line(lines: &[ReferralLine], id: AppointmentId) -> &ReferralLine {
    lines.iter().find(|l| l.id == id).expect("the appointment")
}

/// No patient data in a regulator's mail.
fn without_patient_data(mail: &OutboxRecord) {
    // The demo practitioner may be a Martin, like the patient's birth name: not checked.
    for data in ["Marie", "Durand", "DURAND", "06 45", "1952", PATIENT] {
        assert!(!mail.body.contains(data), "{data} in {}", mail.body);
    }
}

#[test]
fn the_patient_is_told_and_a_practitioners_cancellation_is_to_reschedule() {
    on_server_runtime(async {
        let server = Server::start().await;
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let id = book(&server, &regulator, 0).await;
        let appointment = server.store.appointment(id).await.unwrap().unwrap();

        // The patient's confirmation: when, who, where; its sending audited.
        let confirmation = mails_to(&server, PATIENT, "Votre rendez-vous médical le").await;
        assert_eq!(confirmation.len(), 1);
        let body = &confirmation[0].body;
        assert!(body.contains(&format!(
            "Praticien : Dr {} {}",
            appointment.practitioner_first_name, appointment.practitioner_last_name
        )));
        assert!(body.contains(&appointment.practitioner_address));
        assert!(!body.contains("Durand"), "no patient identity: {body}");
        // « À lire avant de prendre un rendez-vous »: the practitioner's general notice here…
        assert!(body.contains("Merci d'arriver 5 minutes avant"), "{body}");
        // …and the motif's own once it has one.
        sqlx::query("UPDATE reasons SET notice = 'Apportez votre carnet de santé.' WHERE practitioner_id = $1 AND name = $2")
            .bind(appointment.practitioner_id)
            .bind(&appointment.reason_name)
            .execute(server.store.pool())
            .await
            .unwrap();
        let reread = server.store.appointment(id).await.unwrap().unwrap();
        assert_eq!(
            reread.practitioner_notice,
            "Apportez votre carnet de santé."
        );
        let audited = |action: &'static str| {
            let store = server.store.clone();
            async move {
                store
                    .audit_log(50)
                    .await
                    .unwrap()
                    .iter()
                    .filter(|e| e.action == action && e.subject == format!("appointment:{id}"))
                    .count()
            }
        };
        assert_eq!(audited("patient_mail_sent").await, 1);

        // The practitioner cancels: « à replanifier » for the regulator, mails to both.
        let doctor = server
            .session(appointment.practitioner_email.as_deref().unwrap())
            .await;
        let cancelled = server
            .post(
                SetAppointmentOutcome::PATH,
                &format!("id={id}&status=cancelled"),
                Some(&doctor),
            )
            .await;
        assert_eq!(cancelled.status(), 200);
        let told = mails_to(&server, seed::REGULATOR_EMAIL, "à replanifier").await;
        assert_eq!(told.len(), 1);
        without_patient_data(&told[0]);
        assert!(told[0].body.contains(&format!("/adressages/{id}")));
        assert!(told[0].body.contains("(annulé par le praticien)"));
        let patient = mails_to(&server, PATIENT, "est annulé").await;
        assert_eq!(patient.len(), 1);
        assert!(
            patient[0]
                .body
                .contains("le cabinet du médecin ne peut pas vous recevoir")
        );
        assert_eq!(audited("patient_mail_sent").await, 2);

        let lines = referrals(&server, &regulator).await;
        let shown = line(&lines, id);
        assert_eq!(shown.status, "À replanifier");
        assert_eq!(
            shown.to_acknowledge.as_deref(),
            Some("Annulé par le praticien")
        );
        // Acknowledged by the regulator who booked it only.
        let other = server.session(seed::ADMIN_EMAIL).await;
        let refused = server
            .post(
                AcknowledgeReschedule::PATH,
                &format!("id={id}"),
                Some(&other),
            )
            .await;
        assert_eq!(refused.status(), 403);
        let ack = server
            .post(
                AcknowledgeReschedule::PATH,
                &format!("id={id}"),
                Some(&regulator),
            )
            .await;
        assert_eq!(ack.status(), 200);
        let again = server
            .post(
                AcknowledgeReschedule::PATH,
                &format!("id={id}"),
                Some(&regulator),
            )
            .await;
        assert_eq!(again.status(), 404);
        let lines = referrals(&server, &regulator).await;
        assert_eq!(line(&lines, id).to_acknowledge, None);
        assert_eq!(line(&lines, id).status, "À replanifier");
    });
}

#[test]
fn an_absence_over_an_appointment_tells_the_regulator_and_the_patient() {
    on_server_runtime(async {
        let server = Server::start().await;
        let regulator = server.session(seed::REGULATOR_EMAIL).await;
        let id = book(&server, &regulator, 0).await;
        let appointment = server.store.appointment(id).await.unwrap().unwrap();
        let doctor = server
            .session(appointment.practitioner_email.as_deref().unwrap())
            .await;
        let start = crate::domain::agenda::paris_time(
            chrono::DateTime::from_timestamp(appointment.starts_at, 0).unwrap(),
        );
        let end = start + chrono::Duration::minutes(1);
        let form = format!(
            "absence[start_date]={}&absence[start_time]={}&absence[end_date]={}\
             &absence[end_time]={}&absence[label]=Formation",
            start.format("%Y-%m-%d"),
            start.format("%H:%M"),
            end.format("%Y-%m-%d"),
            end.format("%H:%M"),
        );
        let added = server.post(AddAbsence::PATH, &form, Some(&doctor)).await;
        assert_eq!(added.status(), 200, "{}", added.text().await.unwrap());
        let told = mails_to(&server, seed::REGULATOR_EMAIL, "à replanifier").await;
        assert_eq!(told.len(), 1);
        without_patient_data(&told[0]);
        assert!(told[0].body.contains("(absence du praticien)"));
        assert_eq!(mails_to(&server, PATIENT, "est annulé").await.len(), 1);
        let lines = referrals(&server, &regulator).await;
        assert_eq!(
            line(&lines, id).to_acknowledge.as_deref(),
            Some("Absence du praticien")
        );
        // « J'ai pris connaissance » of all.
        let ack = server
            .post(AcknowledgeReschedule::PATH, "", Some(&regulator))
            .await;
        assert_eq!(ack.status(), 200);
        let lines = referrals(&server, &regulator).await;
        assert!(lines.iter().all(|l| l.to_acknowledge.is_none()));
    });
}
