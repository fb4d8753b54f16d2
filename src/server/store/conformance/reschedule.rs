//! « À replanifier » on both backends: a practitioner's cancellation and an absence over booked
//! appointments mark them for their regulator until acknowledged; a regulator's own
//! cancellation does not; nobody acknowledges another regulator's.

use super::*;
use crate::domain::appointment::Reschedule;

conformance!(
    a_practitioner_cancellation_is_to_reschedule_until_its_regulator_acknowledges_it,
    an_absence_cancels_the_appointments_it_covers_to_reschedule,
);

fn now() -> i64 {
    Utc::now().timestamp()
}

fn by_practitioner(by: UserId) -> Cancellation<'static> {
    Cancellation {
        reason: Reschedule::PractitionerCancelled.label(),
        reschedule: Some(Reschedule::PractitionerCancelled),
        now: now(),
        by: Some(by),
        ip: None,
    }
}

async fn record(store: &Store, id: AppointmentId) -> AppointmentRecord {
    store.appointment(id).await.unwrap().expect("appointment")
}

/// The regulator's appointments still to acknowledge, as « Mes adressages » reads them.
async fn pending(store: &Store, regulator: UserId) -> Vec<AppointmentId> {
    let mut ids: Vec<AppointmentId> = store
        .regulator_appointments(regulator)
        .await
        .unwrap()
        .iter()
        .filter(|a| a.to_acknowledge().is_some())
        .map(|a| a.id)
        .collect();
    ids.sort_by_key(|id| id.0);
    ids
}

async fn a_practitioner_cancellation_is_to_reschedule_until_its_regulator_acknowledges_it(
    store: Arc<Store>,
) {
    let store = store.as_ref();
    let (_, doctor, mine) = practice(store).await;
    let theirs = user(store, "r2@demo.test", Role::Regulator, None).await;
    let slots = visible_slots(store).await;
    let mut booked = Vec::new();
    for (n, (slot, regulator)) in slots.iter().zip([mine, mine, mine, theirs]).enumerate() {
        let key = n.to_string();
        let b = hold_and_book(store, slot.slot_id, regulator, &key, now() + n as i64)
            .await
            .expect("booked");
        booked.push(b.id);
    }
    let [first, second, third, other] = booked[..] else {
        panic!("four appointments")
    };
    for id in [first, third, other] {
        store
            .cancel_appointment(id, &by_practitioner(doctor))
            .await
            .unwrap();
    }
    // The regulator's own cancellation is nothing to reschedule.
    store
        .cancel_appointment(second, &cancellation("Patient rétabli", now(), mine, None))
        .await
        .unwrap();
    let cancelled = record(store, first).await;
    assert_eq!(
        (
            cancelled.status,
            cancelled.reschedule(),
            cancelled.cancel_reason.as_deref()
        ),
        (
            AppointmentStatus::Cancelled,
            Some(Reschedule::PractitionerCancelled),
            Some("Annulé par le praticien")
        )
    );
    assert_eq!(record(store, second).await.reschedule(), None);
    // As before: the practitioner's cancellation frees the slot for the search.
    let freed = store
        .candidate_slot(slots[0].slot_id)
        .await
        .unwrap()
        .unwrap();
    assert!(visible(&freed));
    assert_eq!(pending(store, mine).await, [first, third]);
    assert_eq!(pending(store, theirs).await, [other]);

    // Nobody acknowledges another's, nor what is not to reschedule.
    let ack = |regulator, only| store.acknowledge_reschedules(regulator, only, now());
    assert_eq!(ack(theirs, Some(first)).await.unwrap(), 0);
    assert_eq!(ack(mine, Some(second)).await.unwrap(), 0);
    assert_eq!(ack(mine, Some(other)).await.unwrap(), 0);
    assert_eq!(ack(mine, Some(first)).await.unwrap(), 1);
    assert_eq!(ack(mine, Some(first)).await.unwrap(), 0, "once");
    assert_eq!(pending(store, mine).await, [third]);
    let acknowledged = record(store, first).await;
    assert!(acknowledged.reschedule_acknowledged_at.is_some());
    assert_eq!(
        acknowledged.reschedule(),
        Some(Reschedule::PractitionerCancelled),
        "still shown « à replanifier »"
    );
    // All at once: the regulator's own only.
    assert_eq!(ack(mine, None).await.unwrap(), 1);
    assert!(pending(store, mine).await.is_empty());
    assert_eq!(pending(store, theirs).await, [other]);
}

async fn an_absence_cancels_the_appointments_it_covers_to_reschedule(store: Arc<Store>) {
    let store = store.as_ref();
    let (practitioner_id, doctor, regulator) = practice(store).await;
    let slots = visible_slots(store).await;
    let (covered_slot, kept_slot) = (&slots[0], &slots[slots.len() - 1]);
    let covered = hold_and_book(store, covered_slot.slot_id, regulator, "1", now())
        .await
        .unwrap()
        .id;
    let kept = hold_and_book(store, kept_slot.slot_id, regulator, "2", now() + 1)
        .await
        .unwrap()
        .id;
    let today = paris_today(Utc::now());
    let horizon = Horizon {
        from: today,
        to: today + Duration::days(2),
        now: now(),
    };
    let absence = crate::domain::agenda::Absence {
        start: chrono::DateTime::from_timestamp(covered_slot.starts_at - 3600, 0).unwrap(),
        end: chrono::DateTime::from_timestamp(covered_slot.starts_at + 600, 0).unwrap(),
        label: "Formation".into(),
    };
    let (_, cancelled) = store
        .insert_absence(
            practitioner_id,
            &absence,
            &horizon,
            Some(doctor),
            Some("127.0.0.1"),
        )
        .await
        .unwrap();
    assert_eq!(cancelled, [covered]);
    let a = record(store, covered).await;
    assert_eq!(
        (a.status, a.reschedule(), a.cancel_reason.as_deref()),
        (
            AppointmentStatus::Cancelled,
            Some(Reschedule::Absence),
            Some("Absence du praticien")
        )
    );
    assert_eq!(record(store, kept).await.status, AppointmentStatus::Booked);
    assert_eq!(pending(store, regulator).await, [covered]);
    let log = store.audit_log(20).await.unwrap();
    assert!(log.iter().any(|e| e.action == "appointment_cancelled"
        && e.subject == format!("appointment:{covered}")
        && e.user_email.as_deref() == Some("p@demo.test")
        && e.ip.as_deref() == Some("127.0.0.1")));
    // The practitioner is absent: the slot does not come back to the search.
    let slot = store.candidate_slot(covered_slot.slot_id).await.unwrap();
    assert!(!slot.as_ref().is_some_and(visible), "{slot:?}");
    // The same absence again finds nothing more to cancel.
    let (_, again) = store
        .insert_absence(practitioner_id, &absence, &horizon, Some(doctor), None)
        .await
        .unwrap();
    assert!(again.is_empty());
}
