//! Surnuméraire on both backends: an accepted request is an appointment on a slot outside the
//! agenda (even at the time of a booked agenda slot), listed like any other, never in the
//! search; a declined, withdrawn or expired one books nothing; only its practitioner answers,
//! only its regulator withdraws; every step is audited.

use super::*;
use crate::domain::extra::{CONSULTATION_MINUTES, EXTRA_REASON, ExtraProposal, ExtraStatus};

conformance!(
    an_accepted_request_is_an_appointment_outside_the_agenda,
    a_request_declined_withdrawn_or_expired_books_nothing,
);

fn now() -> i64 {
    Utc::now().timestamp()
}

fn proposal(starts_at: i64) -> ExtraProposal {
    ExtraProposal {
        starts_at,
        mode: Mode::Cabinet,
        message: Some("Douleur abdominale depuis hier".into()),
    }
}

/// Sends a request for the example patient, answered within `answer` seconds.
async fn ask(
    store: &Store,
    (regulator, practitioner): (UserId, PractitionerId),
    key: &str,
    starts_at: i64,
    answer: i64,
) -> (ExtraRequestId, bool) {
    let (patient, proposal) = (patient(), proposal(starts_at));
    let request = NewExtraRequest {
        regulator_id: regulator,
        practitioner_id: practitioner,
        idempotency_key: key,
        patient: &patient,
        proposal: &proposal,
        now: now(),
        expires_at: now() + answer,
        ip: None,
    };
    store.create_extra_request(&request).await.expect("request")
}

fn by(user: UserId, at: i64) -> ExtraChange<'static> {
    ExtraChange {
        by: user,
        now: at,
        ip: None,
    }
}

async fn status(store: &Store, id: ExtraRequestId, at: i64) -> ExtraStatus {
    let record = store.extra_request(id).await.unwrap().expect("request");
    record.status_at(at)
}

async fn actions(store: &Store) -> Vec<String> {
    let mut log = store.audit_log(50).await.unwrap();
    log.reverse();
    log.into_iter().map(|e| e.action).collect()
}

async fn an_accepted_request_is_an_appointment_outside_the_agenda(store: Arc<Store>) {
    let store = store.as_ref();
    let (practitioner, doctor, regulator) = practice(store).await;
    // The agenda's slot at that time is booked already: the extra patient comes on top.
    let slot = visible_slots(store).await.remove(0);
    hold_and_book(store, slot.slot_id, regulator, "agenda", now())
        .await
        .unwrap();
    let asked = (regulator, practitioner);
    let (id, created) = ask(store, asked, "k1", slot.starts_at, 1800).await;
    assert!(created);
    assert_eq!(
        ask(store, asked, "k1", slot.starts_at, 1800).await,
        (id, false)
    );
    assert_eq!(status(store, id, now()).await, ExtraStatus::Pending);

    let wrong = store
        .accept_extra_request(id, PractitionerId(practitioner.0 + 1), &by(doctor, now()))
        .await;
    assert!(matches!(wrong, Err(StoreError::NotFound)));
    let appointment = store
        .accept_extra_request(id, practitioner, &by(doctor, now()))
        .await
        .unwrap();
    let record = store.extra_request(id).await.unwrap().unwrap();
    assert_eq!(
        (record.status, record.appointment_id),
        (ExtraStatus::Accepted, Some(appointment))
    );
    let again = store
        .accept_extra_request(id, practitioner, &by(doctor, now()))
        .await;
    assert!(matches!(again, Err(StoreError::NotFound)), "answered once");

    // Like any appointment: its page, « Mes adressages », the practitioner's list and agenda.
    let a = store.appointment(appointment).await.unwrap().unwrap();
    assert_eq!(
        (
            a.status,
            a.reason_name.as_str(),
            a.starts_at,
            a.ends_at - a.starts_at,
            a.regulator_id,
            a.patient.last_name.as_str(),
            a.message.as_deref(),
        ),
        (
            AppointmentStatus::Booked,
            EXTRA_REASON,
            slot.starts_at,
            CONSULTATION_MINUTES * 60,
            regulator,
            "Durand",
            Some("Douleur abdominale depuis hier"),
        )
    );
    // Counted by the indicators as a surnuméraire, the tables in agreement with the bookings.
    let query = crate::domain::indicators::IndicatorsQuery {
        du: paris_today(Utc::now()).to_string(),
        au: paris_today(Utc::now()).to_string(),
        departement: String::new(),
    };
    let filter = query.parse(paris_today(Utc::now())).unwrap();
    let data = store.indicator_aggregates(&filter).await.unwrap();
    assert!(
        data.per_kind
            .contains(&(crate::domain::indicators::EXTRA_FLAGS, 1))
    );
    assert_eq!(store.indicator_disagreements().await.unwrap(), 0);
    let listed = |list: Vec<AppointmentRecord>| list.iter().any(|x| x.id == appointment);
    assert!(listed(
        store.regulator_appointments(regulator).await.unwrap()
    ));
    assert!(listed(
        store.practitioner_appointments(practitioner).await.unwrap()
    ));
    let agenda = store
        .agenda_slots(practitioner, slot.starts_at, slot.starts_at + 1)
        .await
        .unwrap();
    assert_eq!(agenda.len(), 2, "the agenda's slot and the extra one");
    assert!(agenda.iter().all(|s| s.appointment_id.is_some()));

    // Never in the search, kept by the agenda's top-up, gone from the agenda once cancelled.
    let today = paris_today(Utc::now());
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .unwrap();
    let shown = store
        .candidate_slots("75", slot.starts_at, slot.starts_at + 1)
        .await
        .unwrap();
    assert!(
        shown
            .iter()
            .filter(|s| s.slot_id != slot.slot_id)
            .all(|s| !visible(s))
    );
    store
        .cancel_appointment(
            appointment,
            &cancellation("Patient rétabli", now(), regulator, None),
        )
        .await
        .unwrap();
    let agenda = store
        .agenda_slots(practitioner, slot.starts_at, slot.starts_at + 1)
        .await
        .unwrap();
    assert_eq!(
        agenda.len(),
        1,
        "the extra slot leaves with its appointment"
    );
    let shown = store
        .candidate_slots("75", slot.starts_at, slot.starts_at + 1)
        .await
        .unwrap();
    assert!(
        shown.iter().all(|s| !visible(s)),
        "a freed extra slot stays hidden"
    );
    let log = actions(store).await;
    for action in ["extra_request_created", "extra_request_accepted"] {
        assert_eq!(log.iter().filter(|a| *a == action).count(), 1, "{action}");
    }
    assert_eq!(
        log.iter().filter(|a| *a == "appointment_created").count(),
        2
    );
    assert_eq!(store.indicator_disagreements().await.unwrap(), 0);
}

async fn a_request_declined_withdrawn_or_expired_books_nothing(store: Arc<Store>) {
    let store = store.as_ref();
    let (practitioner, doctor, regulator) = practice(store).await;
    let colleague = user(store, "r2@demo.test", Role::Regulator, None).await;
    let asked = (regulator, practitioner);
    let at = now() + 7200;
    let (declined, _) = ask(store, asked, "a", at, 1800).await;
    let (withdrawn, _) = ask(store, asked, "b", at, 1800).await;
    let (expiring, _) = ask(store, asked, "c", at, 60).await;

    store
        .decline_extra_request(
            declined,
            practitioner,
            "Cabinet fermé cet après-midi",
            &by(doctor, now()),
        )
        .await
        .unwrap();
    let record = store.extra_request(declined).await.unwrap().unwrap();
    assert_eq!(
        (
            record.status,
            record.decline_reason.as_deref(),
            record.appointment_id
        ),
        (
            ExtraStatus::Declined,
            Some("Cabinet fermé cet après-midi"),
            None
        )
    );
    let late = store
        .withdraw_extra_request(declined, &by(regulator, now()))
        .await;
    assert!(
        matches!(late, Err(StoreError::NotFound)),
        "answered already"
    );

    let not_theirs = store
        .withdraw_extra_request(withdrawn, &by(colleague, now()))
        .await;
    assert!(matches!(not_theirs, Err(StoreError::NotFound)));
    store
        .withdraw_extra_request(withdrawn, &by(regulator, now()))
        .await
        .unwrap();
    assert_eq!(
        status(store, withdrawn, now()).await,
        ExtraStatus::Withdrawn
    );
    let too_late = store
        .accept_extra_request(withdrawn, practitioner, &by(doctor, now()))
        .await;
    assert!(matches!(too_late, Err(StoreError::NotFound)));

    // Past its deadline: read as expired at once, written so by the job, never accepted.
    assert_eq!(
        status(store, expiring, now() + 61).await,
        ExtraStatus::Expired
    );
    let past = store
        .accept_extra_request(expiring, practitioner, &by(doctor, now() + 61))
        .await;
    assert!(matches!(past, Err(StoreError::NotFound)));
    assert!(store.expire_extra_requests(now()).await.unwrap().is_empty());
    assert_eq!(
        store.expire_extra_requests(now() + 61).await.unwrap(),
        [expiring]
    );
    assert_eq!(
        store.extra_request(expiring).await.unwrap().unwrap().status,
        ExtraStatus::Expired
    );

    assert!(
        store
            .regulator_appointments(regulator)
            .await
            .unwrap()
            .is_empty()
    );
    let mine: Vec<ExtraRequestId> = store
        .regulator_extra_requests(regulator)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(mine, [expiring, withdrawn, declined], "newest first");
    assert_eq!(
        store
            .practitioner_extra_requests(practitioner)
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(
        store
            .regulator_extra_requests(colleague)
            .await
            .unwrap()
            .is_empty()
    );
    let log = actions(store).await;
    for action in [
        "extra_request_declined",
        "extra_request_withdrawn",
        "extra_request_expired",
    ] {
        assert_eq!(log.iter().filter(|a| *a == action).count(), 1, "{action}");
    }

    // Whom to ask next: SAS practitioners of the area with a confirmed account, not the first.
    let nearby = store
        .insert_practitioner(&practitioner_at("10000000017", 48.86, 2.35))
        .await
        .unwrap();
    user(store, "p3@demo.test", Role::Practitioner, Some(nearby)).await;
    let no_account = store
        .insert_practitioner(&practitioner_at("10000000025", 48.851, 2.351))
        .await
        .unwrap();
    let others = store.other_askable(practitioner, 5).await.unwrap();
    let ids: Vec<PractitionerId> = others.iter().map(|o| o.0).collect();
    assert_eq!(ids, [nearby]);
    assert!(!ids.contains(&no_account));
    assert_eq!(others[0].1, "Dr Sophie Martin");

    // Past the retention period, the patients of requests that booked nothing are erased.
    let (erased, _) = store.erase_patient_data(i64::MAX, 10, now()).await.unwrap();
    assert_eq!(erased, 3);
    let kept = store.extra_request(declined).await.unwrap().unwrap();
    assert_eq!(
        (kept.patient.last_name.as_str(), kept.message, kept.status),
        ("", None, ExtraStatus::Declined)
    );
    let log = store.audit_log(1).await.unwrap();
    assert_eq!(
        (log[0].action.as_str(), log[0].subject.as_str()),
        (
            "patient_data_erased",
            format!("extra_requests:{}-{}", declined, expiring).as_str()
        )
    );
}

fn practitioner_at(rpps: &str, latitude: f64, longitude: f64) -> NewPractitioner<'_> {
    NewPractitioner {
        latitude,
        longitude,
        ..practitioner(rpps, "75", true, true)
    }
}
