//! The booking funnel on both backends: holds, one appointment per slot and per submitted form,
//! what is stored of the patient, cancellation and outcome, attachments.

use super::*;

conformance!(
    a_held_slot_is_booked_once,
    concurrent_bookings_give_one_appointment,
    a_form_submitted_many_times_at_once_books_once,
    a_refused_booking_saves_nothing,
    holds_hide_slots_from_others_until_released_or_ended,
    simultaneous_holds_of_one_practitioner_all_leave_the_search,
    cancelling_puts_the_slot_back_and_outcomes_stay_with_the_practitioner,
    the_whole_form_and_its_attachment_are_stored,
    the_database_forbids_two_active_appointments_on_one_slot,
);

fn now() -> i64 {
    Utc::now().timestamp()
}

/// Shown to `regulator` (their own hold does not hide the slot from them).
fn visible_to(regulator: UserId) -> impl Fn(&CandidateSlot) -> bool + Send + Sync {
    move |slot| slot.visibility(now(), Some(regulator)).is_some()
}

async fn first_visible_slot(store: &Store) -> CandidateSlot {
    future_slots(store)
        .await
        .into_iter()
        .find(visible)
        .expect("a visible slot")
}

/// Whether the search's packed slots of the practitioner include `slot_id`'s start.
async fn packed_in_search(store: &Store, slot: &CandidateSlot) -> bool {
    let area = SearchArea::Departement("75".into());
    let found = area_practitioners(store, &area, "Médecine générale", true).await;
    let mine = found.iter().find(|p| p.id == slot.practitioner_id);
    let packed = mine
        .and_then(|p| p.sas_slots.as_deref())
        .unwrap_or_default();
    let at = [(slot.starts_at, slot.starts_at + 1)];
    crate::domain::search::count_packed(packed, &at, &[Mode::Cabinet, Mode::Video]) == 1
}

async fn a_held_slot_is_booked_once(store: Arc<Store>) {
    let (practitioner_id, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slot = first_visible_slot(store.as_ref()).await;
    let first = hold_and_book(store.as_ref(), slot.slot_id, regulator, "form-1", now())
        .await
        .expect("first booking");
    assert!(first.created);
    // The same form submitted again: the same appointment, nothing more.
    let (patient, choices) = (patient(), choices());
    let again = NewBooking {
        slot_id: slot.slot_id,
        regulator_id: regulator,
        idempotency_key: "form-1",
        choices: &choices,
        patient: &patient,
        attachment: None,
        now: now(),
        ip: None,
    };
    assert_eq!(
        store.book(&again).await.unwrap(),
        Booked {
            id: first.id,
            created: false
        }
    );
    // Another form for the same slot is refused.
    let other = NewBooking {
        idempotency_key: "form-2",
        ..again
    };
    assert!(matches!(
        store.book(&other).await,
        Err(StoreError::SlotTaken)
    ));
    // One audit entry, written with the appointment; the repeat added none.
    let subject = format!("appointment:{}", first.id);
    let log = store.audit_log(20).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "appointment_created" && e.subject == subject)
            .count(),
        1
    );
    let after = store.candidate_slot(slot.slot_id).await.unwrap().unwrap();
    assert!(after.booked && after.held_by.is_none() && !visible(&after));
    assert!(!packed_in_search(store.as_ref(), &slot).await);

    let listed = store
        .practitioner_appointments(practitioner_id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let a = &listed[0];
    assert_eq!(
        (a.id, a.starts_at, a.status.code(), a.mode.code()),
        (first.id, slot.starts_at, "booked", "cabinet")
    );
    assert_eq!(
        (
            a.patient.first_name.as_str(),
            a.patient.last_name.as_str(),
            a.patient.birth_name.as_str(),
            a.patient.birth_date.as_str(),
            a.patient.phone.as_str(),
            a.patient.civility.as_deref(),
        ),
        (
            "Marie",
            "Durand",
            "Martin",
            "1952-11-21",
            "+33645372653",
            Some("Madame")
        )
    );
    assert_eq!(
        (a.reason_name.as_str(), a.known_patient, a.regulator_id),
        ("Soins non programmés", Some(false), regulator)
    );
    let other_practitioner = store
        .insert_practitioner(&practitioner("10000000108", "75", true, true))
        .await
        .unwrap();
    assert!(
        store
            .practitioner_appointments(other_practitioner)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A practitioner with a range, a regulator holding one of its slots: (practitioner, regulator, slot).
async fn a_held_slot(store: &Store) -> (PractitionerId, UserId, SlotId) {
    let (practitioner_id, _) = practitioner_with_range(store, "10000000009", SNP).await;
    let regulator = user(store, "r@demo.test", Role::Regulator, None).await;
    let slot_id = first_visible_slot(store).await.slot_id;
    store
        .hold_slot(slot_id, regulator, now(), now() + 600)
        .await
        .unwrap();
    (practitioner_id, regulator, slot_id)
}

/// Submits one booking form per key, all at once; the answers in the keys' order.
async fn book_at_once(
    store: &Arc<Store>,
    slot_id: SlotId,
    regulator: UserId,
    keys: Vec<String>,
) -> Vec<StoreResult<Booked>> {
    let attempts: Vec<_> = keys
        .into_iter()
        .map(|key| {
            let store = store.clone();
            tokio::spawn(async move {
                let (patient, choices) = (patient(), choices());
                let booking = NewBooking {
                    slot_id,
                    regulator_id: regulator,
                    idempotency_key: &key,
                    choices: &choices,
                    patient: &patient,
                    attachment: None,
                    now: now(),
                    ip: None,
                };
                store.book(&booking).await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    answers
}

async fn concurrent_bookings_give_one_appointment(store: Arc<Store>) {
    let (practitioner_id, regulator, slot_id) = a_held_slot(store.as_ref()).await;
    // Twelve different forms for the one slot, at once.
    let keys = (0..12).map(|i| format!("form-{i}")).collect();
    let mut ok = 0;
    for answer in book_at_once(&store, slot_id, regulator, keys).await {
        match answer {
            Ok(_) => ok += 1,
            Err(StoreError::SlotTaken) => {}
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(
        store
            .practitioner_appointments(practitioner_id)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_form_submitted_many_times_at_once_books_once(store: Arc<Store>) {
    let (practitioner_id, regulator, slot_id) = a_held_slot(store.as_ref()).await;
    let keys = vec!["the-same-form".to_string(); 8];
    let answers: Vec<Booked> = book_at_once(&store, slot_id, regulator, keys)
        .await
        .into_iter()
        .map(|a| a.expect("every submit answers the appointment"))
        .collect();
    assert_eq!(answers.iter().filter(|b| b.created).count(), 1);
    assert!(answers.iter().all(|b| b.id == answers[0].id));
    assert_eq!(
        store
            .practitioner_appointments(practitioner_id)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_refused_booking_saves_nothing(store: Arc<Store>) {
    let (practitioner_id, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slot_id = first_visible_slot(store.as_ref()).await.slot_id;
    let (patient, choices) = (patient(), choices());
    let booking = NewBooking {
        slot_id,
        regulator_id: regulator,
        idempotency_key: "form",
        choices: &choices,
        patient: &patient,
        attachment: None,
        now: now(),
        ip: None,
    };
    // Not held by this regulator.
    assert!(matches!(
        store.book(&booking).await,
        Err(StoreError::HoldExpired)
    ));
    store
        .hold_slot(slot_id, regulator, now(), now() + 600)
        .await
        .unwrap();
    // A slot the rule no longer shows (its time has come) is refused.
    let starts_at = store
        .candidate_slot(slot_id)
        .await
        .unwrap()
        .unwrap()
        .starts_at;
    let too_late = NewBooking {
        now: starts_at + 1,
        ..booking
    };
    assert!(matches!(
        store.book(&too_late).await,
        Err(StoreError::SlotTaken)
    ));
    let missing = NewBooking {
        slot_id: SlotId(999_999),
        ..booking
    };
    assert!(matches!(
        store.book(&missing).await,
        Err(StoreError::SlotTaken)
    ));
    // An attachment that is not this regulator's: nothing of the booking stays.
    let stranger = user(store.as_ref(), "s@demo.test", Role::Regulator, None).await;
    store
        .insert_attachment(&NewAttachment {
            token: "theirs",
            regulator_id: stranger,
            file_name: "ordonnance.pdf",
            content_type: "application/pdf",
            size_bytes: 10,
            now: now(),
        })
        .await
        .unwrap();
    let foreign_file = NewBooking {
        attachment: Some("theirs"),
        ..booking
    };
    assert!(matches!(
        store.book(&foreign_file).await,
        Err(StoreError::UnknownAttachment)
    ));
    assert!(
        store
            .practitioner_appointments(practitioner_id)
            .await
            .unwrap()
            .is_empty()
    );
    // The refused attempts wrote nothing: this is the only appointment.
    let booked = store.book(&booking).await.unwrap();
    let all = store.regulator_appointments(regulator).await.unwrap();
    assert_eq!(all.iter().map(|a| a.id).collect::<Vec<_>>(), [booked.id]);
}

async fn holds_hide_slots_from_others_until_released_or_ended(store: Arc<Store>) {
    practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let a = user(store.as_ref(), "a@demo.test", Role::Regulator, None).await;
    let b = user(store.as_ref(), "b@demo.test", Role::Regulator, None).await;
    let slots: Vec<CandidateSlot> = future_slots(store.as_ref())
        .await
        .into_iter()
        .filter(visible)
        .take(2)
        .collect();
    let (first, second) = (&slots[0], &slots[1]);
    let t = now();
    store.hold_slot(first.slot_id, a, t, t + 600).await.unwrap();
    let held = store.candidate_slot(first.slot_id).await.unwrap().unwrap();
    assert!(visible_to(a)(&held), "the holder still sees it");
    assert!(!visible_to(b)(&held) && !visible(&held), "nobody else does");
    assert!(!packed_in_search(store.as_ref(), first).await);
    assert!(matches!(
        store.hold_slot(first.slot_id, b, t, t + 600).await,
        Err(StoreError::SlotTaken)
    ));
    // Opening another slot gives the first one back.
    store
        .hold_slot(second.slot_id, a, t, t + 600)
        .await
        .unwrap();
    let back = store.candidate_slot(first.slot_id).await.unwrap().unwrap();
    assert!(visible(&back) && packed_in_search(store.as_ref(), first).await);
    // « Annuler » in the funnel.
    assert!(store.release_hold(second.slot_id, a).await.unwrap());
    assert!(!store.release_hold(second.slot_id, a).await.unwrap());
    assert!(packed_in_search(store.as_ref(), second).await);
    // An ended hold: another regulator may take the slot over, and the sweep frees the rest.
    store
        .hold_slot(first.slot_id, a, t - 700, t - 100)
        .await
        .unwrap();
    store
        .hold_slot(first.slot_id, b, t, t + 600)
        .await
        .expect("an ended hold is taken over");
    store
        .hold_slot(second.slot_id, a, t - 700, t - 100)
        .await
        .unwrap();
    assert!(!packed_in_search(store.as_ref(), second).await);
    assert_eq!(store.release_expired_holds(t).await.unwrap(), 1);
    assert!(packed_in_search(store.as_ref(), second).await);
    let still = store.candidate_slot(first.slot_id).await.unwrap().unwrap();
    assert_eq!(still.held_by, Some(b));
}

async fn simultaneous_holds_of_one_practitioner_all_leave_the_search(store: Arc<Store>) {
    practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let slots: Vec<CandidateSlot> = future_slots(store.as_ref())
        .await
        .into_iter()
        .filter(visible)
        .take(6)
        .collect();
    let mut regulators = Vec::new();
    for i in 0..slots.len() {
        regulators.push(
            user(
                store.as_ref(),
                &format!("r{i}@demo.test"),
                Role::Regulator,
                None,
            )
            .await,
        );
    }
    // Six regulators each open a different slot of the same practitioner at once.
    let holds = slots.iter().zip(regulators).map(|(slot, regulator)| {
        let (store, slot_id) = (store.clone(), slot.slot_id);
        tokio::spawn(async move {
            store
                .hold_slot(slot_id, regulator, now(), now() + 600)
                .await
        })
    });
    for hold in holds.collect::<Vec<_>>() {
        hold.await.unwrap().expect("hold");
    }
    for slot in &slots {
        assert!(
            !packed_in_search(store.as_ref(), slot).await,
            "slot {} is held but still packed for the search",
            slot.slot_id
        );
    }
}

async fn cancelling_puts_the_slot_back_and_outcomes_stay_with_the_practitioner(store: Arc<Store>) {
    let (practitioner_id, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slots: Vec<CandidateSlot> = future_slots(store.as_ref())
        .await
        .into_iter()
        .filter(visible)
        .take(2)
        .collect();
    let first = hold_and_book(store.as_ref(), slots[0].slot_id, regulator, "1", now())
        .await
        .unwrap();
    let second = hold_and_book(store.as_ref(), slots[1].slot_id, regulator, "2", now() + 1)
        .await
        .unwrap();
    store
        .cancel_appointment(
            first.id,
            &cancellation("Patient rétabli", now(), regulator, Some("127.0.0.1")),
        )
        .await
        .unwrap();
    let log = store.audit_log(20).await.unwrap();
    assert!(log.iter().any(|e| e.action == "appointment_cancelled"
        && e.subject == format!("appointment:{}", first.id)
        && e.ip.as_deref() == Some("127.0.0.1")));
    let freed = store
        .candidate_slot(slots[0].slot_id)
        .await
        .unwrap()
        .unwrap();
    assert!(visible(&freed) && packed_in_search(store.as_ref(), &slots[0]).await);
    assert!(matches!(
        store
            .cancel_appointment(first.id, &cancellation("encore", now(), regulator, None))
            .await,
        Err(StoreError::NotFound)
    ));
    // The slot can be booked again.
    hold_and_book(store.as_ref(), slots[0].slot_id, regulator, "3", now() + 2)
        .await
        .expect("booked again after the cancellation");
    // Outcomes: the practitioner's own appointments only, never a cancelled one.
    let other = store
        .insert_practitioner(&practitioner("10000000108", "75", true, true))
        .await
        .unwrap();
    assert!(matches!(
        store.set_outcome(other, second.id, "noshow", now()).await,
        Err(StoreError::NotFound)
    ));
    store
        .set_outcome(practitioner_id, second.id, "noshow", now())
        .await
        .unwrap();
    assert!(matches!(
        store
            .set_outcome(practitioner_id, first.id, "fulfilled", now())
            .await,
        Err(StoreError::NotFound)
    ));
    // « Mes adressages »: newest first, with statuses and the cancellation reason.
    let mine = store.regulator_appointments(regulator).await.unwrap();
    let seen: Vec<(&str, Option<&str>)> = mine
        .iter()
        .map(|a| (a.status.code(), a.cancel_reason.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            ("booked", None),
            ("noshow", None),
            ("cancelled", Some("Patient rétabli"))
        ]
    );
}

async fn the_whole_form_and_its_attachment_are_stored(store: Arc<Store>) {
    use crate::domain::booking::{ChoicesInput, Offer, OfferedReason, Question};
    let (practitioner_id, reason) =
        practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slot = first_visible_slot(store.as_ref()).await;
    let question = store
        .insert_question(practitioner_id, "Traitement en cours ?", true)
        .await
        .unwrap();
    // The funnel reads each reason's own duration and notice.
    let form = crate::domain::practitioner::ReasonForm {
        name: None,
        duration_minutes: 25,
        open_to_new_patients: false,
        bookable_online: false,
        notice: "Apportez la carte Vitale.".into(),
    };
    store
        .update_reason(practitioner_id, reason, &form)
        .await
        .unwrap();
    let offered = store.slot_reasons(slot.slot_id).await.unwrap();
    assert_eq!(
        offered
            .iter()
            .map(|r| (r.id, r.is_snp, r.duration_minutes, r.notice.as_str()))
            .collect::<Vec<_>>(),
        [(reason, true, 25, "Apportez la carte Vitale.")]
    );
    let offer = Offer {
        mode: Mode::Cabinet,
        reasons: vec![OfferedReason {
            id: reason,
            name: offered[0].name.clone(),
            is_snp: true,
            duration_minutes: offered[0].duration_minutes,
            notice: offered[0].notice.clone(),
        }],
        questions: vec![Question {
            id: question,
            label: "Traitement en cours ?".into(),
            required: true,
        }],
    };
    let choices = ChoicesInput {
        mode: "cabinet".into(),
        known_patient: "oui".into(),
        reason_id: reason.to_string(),
        answers: vec![crate::domain::booking::Answer {
            question_id: question,
            text: "Aucun".into(),
        }],
        message: "Fièvre depuis trois jours.".into(),
    }
    .validate(&offer)
    .unwrap();
    let mut input = PatientInput::example();
    input.birth_place = "etranger".into();
    input.birth_country = "Belgique".into();
    input.email = "marie.durand@exemple.fr".into();
    input.phone = "+32 470 12 34 56".into();
    let patient = input.validate(paris_today(Utc::now()), &[]).unwrap();
    let file = store
        .insert_attachment(&NewAttachment {
            token: "jeton-1",
            regulator_id: regulator,
            file_name: "ordonnance.pdf",
            content_type: "application/pdf",
            size_bytes: 2048,
            now: now(),
        })
        .await
        .unwrap();
    store
        .hold_slot(slot.slot_id, regulator, now(), now() + 600)
        .await
        .unwrap();
    let booked = store
        .book(&NewBooking {
            slot_id: slot.slot_id,
            regulator_id: regulator,
            idempotency_key: "form",
            choices: &choices,
            patient: &patient,
            attachment: Some("jeton-1"),
            now: now(),
            ip: None,
        })
        .await
        .unwrap();
    let a = store.appointment(booked.id).await.unwrap().unwrap();
    assert_eq!(
        (
            a.known_patient,
            a.message.as_deref(),
            a.patient.birth_country.as_deref(),
            a.patient.birth_insee.as_deref(),
            a.patient.email.as_deref(),
            a.patient.phone.as_str(),
        ),
        (
            Some(true),
            Some("Fièvre depuis trois jours."),
            Some("Belgique"),
            None,
            Some("marie.durand@exemple.fr"),
            "+32470123456"
        )
    );
    let answers = store.appointment_answers(booked.id).await.unwrap();
    assert_eq!(
        answers
            .iter()
            .map(|r| (r.label.as_str(), r.answer.as_str()))
            .collect::<Vec<_>>(),
        [("Traitement en cours ?", "Aucun")]
    );
    let files = store.appointment_attachments(booked.id).await.unwrap();
    assert_eq!(
        files
            .iter()
            .map(|f| (f.id, f.file_name.as_str(), f.size_bytes))
            .collect::<Vec<_>>(),
        [(file, "ordonnance.pdf", 2048)]
    );
    let by_token = store.attachment("jeton-1").await.unwrap().unwrap();
    assert_eq!(by_token.appointment_id, Some(booked.id));
    assert!(store.attachment("inconnu").await.unwrap().is_none());
    // An upload no booking used is forgotten after a while; a used one stays.
    store
        .insert_attachment(&NewAttachment {
            token: "jeton-2",
            regulator_id: regulator,
            file_name: "radio.png",
            content_type: "image/png",
            size_bytes: 10,
            now: now() - 90_000,
        })
        .await
        .unwrap();
    let forgotten = store
        .forget_unused_attachments(now() - 86_400)
        .await
        .unwrap();
    assert_eq!(forgotten, ["jeton-2"]);
    assert!(store.attachment("jeton-1").await.unwrap().is_some());

    // Past the retention period the patient data goes; the appointment and the audit chain stay.
    assert_eq!(
        store
            .erase_patient_data(a.starts_at, 10, now())
            .await
            .unwrap()
            .0,
        0,
        "not due yet"
    );
    let (erased, files) = store.erase_patient_data(i64::MAX, 10, now()).await.unwrap();
    assert_eq!((erased, files), (1, vec!["jeton-1".to_string()]));
    let kept = store.appointment(booked.id).await.unwrap().unwrap();
    assert_eq!(
        (
            kept.patient.first_name.as_str(),
            kept.patient.phone.as_str(),
            kept.patient.email.as_deref(),
            kept.message.as_deref(),
            kept.starts_at,
        ),
        ("", "", None, None, a.starts_at)
    );
    assert!(
        store
            .appointment_answers(booked.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .appointment_attachments(booked.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .erase_patient_data(i64::MAX, 10, now())
            .await
            .unwrap()
            .0,
        0,
        "once"
    );
    assert_eq!(store.verify_audit().await.unwrap().first_broken, None);
}

async fn the_database_forbids_two_active_appointments_on_one_slot(store: Arc<Store>) {
    practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slot = first_visible_slot(store.as_ref()).await;
    let booked = hold_and_book(store.as_ref(), slot.slot_id, regulator, "1", now())
        .await
        .unwrap();
    // Past the store's checks (hold, eligibility, lock): only the schema's unique index stands
    // between a second active appointment and the first one.
    let second = sqlx::query(
        "INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at,
             mode, status, created_at, reason_name)
         SELECT slot_id, practitioner_id, regulator_id, patient_id, starts_at, mode, 'booked',
             created_at, reason_name
         FROM appointments WHERE id = $1",
    )
    .bind(booked.id)
    .execute(store.pool())
    .await;
    let refused = second.expect_err("a second active appointment on the slot");
    assert!(
        refused
            .as_database_error()
            .is_some_and(|e| e.is_unique_violation()),
        "{refused:?}"
    );
    let a = store.appointment(booked.id).await.unwrap().unwrap();
    assert_eq!(a.status, AppointmentStatus::Booked);
    assert_eq!(
        store.regulator_appointments(regulator).await.unwrap().len(),
        1
    );
}
