//! The indicators on both backends: bookings with known dates, outcomes and kinds of slot give
//! exact figures (per Paris day, per département, shares, median and 90th percentile of the
//! delay, top practitioners), nationally and for one département; a booking records why its
//! slot was shown and its département; a regulator's département is the one they were created in;
//! the counts the page reads follow bookings, cancellations, absences and outcomes exactly.

use super::*;
use crate::domain::appointment::Reschedule;
use crate::domain::indicators::{
    Indicators, IndicatorsQuery, KIND_BOTH, KIND_NEW, KIND_SNP, KIND_UNKNOWN,
};

conformance!(
    the_indicators_count_a_period_by_day_departement_kind_outcome_and_delay,
    a_booking_records_why_its_slot_was_shown_and_its_departement,
    a_regulator_sees_the_departement_they_were_created_in,
    the_counts_follow_bookings_cancellations_absences_and_outcomes,
);

/// Unix seconds of a Paris wall-clock time in November 2026 (UTC+1).
fn nov(day: u32, h: u32, m: u32) -> i64 {
    let day = NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
    paris_instant(day, NaiveTime::from_hms_opt(h, m, 0).unwrap())
        .unwrap()
        .timestamp()
}

/// A booking written past the store (its slot and patient too), as it stands after its outcome,
/// and counted.
async fn booking(
    store: &Store,
    (practitioner, departement): (PractitionerId, &str),
    regulator: UserId,
    (created_at, delay_minutes): (i64, i64),
    status: &str,
    sas_flags: Option<i64>,
) {
    let starts_at = created_at + delay_minutes * 60;
    let (slot,): (i64,) = sqlx::query_as(
        "INSERT INTO slots (practitioner_id, starts_at, ends_at, mode)
         VALUES ($1, $2, $3, 'cabinet') RETURNING id",
    )
    .bind(practitioner)
    .bind(starts_at)
    .bind(starts_at + 1200)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let (patient,): (i64,) = sqlx::query_as(
        "INSERT INTO patients (first_name, last_name, birth_name, birth_date, phone, created_at)
         VALUES ('Jean', 'Dupuis', 'Dupuis', '1961-03-14', '+33612345678', $1) RETURNING id",
    )
    .bind(created_at)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let id: AppointmentId = sqlx::query_scalar(
        "INSERT INTO appointments (slot_id, practitioner_id, regulator_id, patient_id, starts_at,
             mode, status, created_at, sas_flags, departement)
         VALUES ($1, $2, $3, $4, $5, 'cabinet', $6, $7, $8, $9) RETURNING id",
    )
    .bind(slot)
    .bind(practitioner)
    .bind(regulator)
    .bind(patient)
    .bind(starts_at)
    .bind(status)
    .bind(created_at)
    .bind(sas_flags)
    .bind(departement)
    .fetch_one(store.pool())
    .await
    .unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    crate::server::store::indicators::count_appointment(&mut conn, id, None)
        .await
        .unwrap();
}

async fn figures(store: &Store, departement: &str) -> Indicators {
    let query = IndicatorsQuery {
        du: "2026-11-02".into(),
        au: "04/11/2026".into(),
        departement: departement.into(),
    };
    let filter = query
        .parse(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap())
        .unwrap();
    let data = store.indicator_aggregates(&filter).await.unwrap();
    Indicators::from_aggregates(&filter, String::new(), data)
}

fn rows(shares: &[crate::domain::indicators::Share]) -> Vec<(&str, u64)> {
    shares.iter().map(|s| (s.label.as_str(), s.count)).collect()
}

async fn the_indicators_count_a_period_by_day_departement_kind_outcome_and_delay(
    store: Arc<Store>,
) {
    let store = store.as_ref();
    let named = |rpps, first_name, departement| NewPractitioner {
        first_name,
        ..practitioner(rpps, departement, true, true)
    };
    let a = store
        .insert_practitioner(&named("10000000009", "Anne", "75"))
        .await
        .unwrap();
    let b = store
        .insert_practitioner(&named("10000000017", "Bruno", "75"))
        .await
        .unwrap();
    let c = store
        .insert_practitioner(&named("10000000025", "Chloé", "69"))
        .await
        .unwrap();
    let regulator = user(store, "r@sas.test", Role::Regulator, None).await;
    let (a, b, c) = ((a, "75"), (b, "75"), (c, "69"));
    for (who, created, delay, status, flags) in [
        (a, nov(2, 9, 0), 30, "fulfilled", Some(1)),
        (a, nov(2, 23, 30), 120, "noshow", Some(2)),
        // 00:30 in Paris is still 2 November in UTC: it counts for the 3rd.
        (a, nov(3, 0, 30), 1440, "cancelled", Some(3)),
        (b, nov(4, 10, 0), 45, "booked", None),
        (c, nov(4, 11, 0), 10, "fulfilled", Some(1)),
        // Outside the period, by one second on each side.
        (a, nov(2, 0, 0) - 1, 5, "fulfilled", Some(1)),
        (b, nov(5, 0, 0), 5, "fulfilled", Some(2)),
    ] {
        booking(store, who, regulator, (created, delay), status, flags).await;
    }

    let all = figures(store, "").await;
    assert_eq!(all.total, 5);
    let days: Vec<(&str, u64)> = all.days.iter().map(|d| (d.key.as_str(), d.count)).collect();
    assert_eq!(
        days,
        [("2026-11-02", 2), ("2026-11-03", 1), ("2026-11-04", 2)]
    );
    let departements: Vec<(&str, u64)> = all
        .departements
        .iter()
        .map(|d| (d.label.as_str(), d.count))
        .collect();
    assert_eq!(departements, [("69", 1), ("75", 4)]);
    assert_eq!(
        rows(&all.kinds),
        [
            (KIND_SNP, 2),
            (KIND_NEW, 1),
            (KIND_BOTH, 1),
            (KIND_UNKNOWN, 1)
        ]
    );
    assert_eq!(all.kinds[0].percent, "40\u{a0}%");
    assert_eq!(
        rows(&all.outcomes),
        [
            ("Honorés", 2),
            ("Non honorés", 1),
            ("Annulés", 1),
            ("À venir ou sans issue saisie", 1)
        ]
    );
    // Delays 10, 30, 45, 120, 1440 minutes: the 3rd and the 5th.
    assert_eq!((all.delay_median, all.delay_p90), (Some(45), Some(1440)));
    let top: Vec<(&str, &str, u64)> = all
        .top
        .iter()
        .map(|p| (p.name.as_str(), p.place.as_str(), p.count))
        .collect();
    assert_eq!(
        top,
        [
            ("Anne Martin", "Paris 4e (75)", 2),
            ("Bruno Martin", "Paris 4e (75)", 1),
            ("Chloé Martin", "Paris 4e (69)", 1),
        ]
    );

    let paris = figures(store, "75").await;
    assert_eq!(paris.total, 4);
    assert!(paris.departements.is_empty());
    let days: Vec<u64> = paris.days.iter().map(|d| d.count).collect();
    assert_eq!(days, [2, 1, 1]);
    assert_eq!(
        rows(&paris.kinds),
        [
            (KIND_SNP, 1),
            (KIND_NEW, 1),
            (KIND_BOTH, 1),
            (KIND_UNKNOWN, 1)
        ]
    );
    // Delays 30, 45, 120, 1440: the 2nd and the 4th.
    assert_eq!(
        (paris.delay_median, paris.delay_p90),
        (Some(45), Some(1440))
    );
    assert_eq!(paris.top.len(), 2);

    let nothing = figures(store, "35").await;
    assert_eq!(nothing.total, 0);
    assert_eq!((nothing.delay_median, nothing.delay_p90), (None, None));
    assert!(nothing.top.is_empty());
    assert!(nothing.days.iter().all(|d| d.count == 0));
}

async fn a_booking_records_why_its_slot_was_shown_and_its_departement(store: Arc<Store>) {
    let new_patients = ReasonFlags {
        is_snp: false,
        open_to_new_patients: true,
        bookable_online: true,
    };
    let (snp_doctor, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let (new_doctor, _) =
        practitioner_with_range(store.as_ref(), "10000000017", new_patients).await;
    let regulator = user(store.as_ref(), "r@sas.test", Role::Regulator, None).await;
    let slots = future_slots(store.as_ref()).await;
    for (i, doctor) in [snp_doctor, new_doctor].into_iter().enumerate() {
        let slot = slots
            .iter()
            .find(|s| s.practitioner_id == doctor && visible(s))
            .expect("a visible slot");
        let now = Utc::now().timestamp();
        hold_and_book(store.as_ref(), slot.slot_id, regulator, &i.to_string(), now)
            .await
            .unwrap();
    }
    let recorded: Vec<(PractitionerId, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT practitioner_id, sas_flags, departement FROM appointments ORDER BY id",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert_eq!(
        recorded,
        [
            (snp_doctor, Some(1), Some("75".into())),
            (new_doctor, Some(2), Some("75".into())),
        ]
    );
}

async fn a_regulator_sees_the_departement_they_were_created_in(store: Arc<Store>) {
    let store = store.as_ref();
    let regulator = user(store, "r@sas.test", Role::Regulator, None).await;
    let other = user(store, "o@sas.test", Role::Regulator, None).await;
    let row = NewRegulator {
        civility: Some("Mme"),
        first_name: "Claire",
        last_name: "Morel",
        email: "r@sas.test",
        departement: "35",
        invited_by: None,
        invited_at: 0,
    };
    store
        .insert_account_regulator(&row, regulator)
        .await
        .unwrap();
    assert_eq!(
        store.regulator_departement(regulator).await.unwrap(),
        Some("35".into())
    );
    assert_eq!(store.regulator_departement(other).await.unwrap(), None);
}

async fn figures_of(store: &Store, day: NaiveDate) -> Indicators {
    let query = IndicatorsQuery {
        du: day.to_string(),
        au: day.to_string(),
        departement: String::new(),
    };
    let filter = query.parse(day).unwrap();
    let data = store.indicator_aggregates(&filter).await.unwrap();
    Indicators::from_aggregates(&filter, String::new(), data)
}

async fn the_counts_follow_bookings_cancellations_absences_and_outcomes(store: Arc<Store>) {
    let store = store.as_ref();
    let (practitioner_id, _) = practitioner_with_range(store, "10000000009", SNP).await;
    let doctor = user(
        store,
        "p@sas.test",
        Role::Practitioner,
        Some(practitioner_id),
    )
    .await;
    let regulator = user(store, "r@sas.test", Role::Regulator, None).await;
    let slots: Vec<CandidateSlot> = future_slots(store)
        .await
        .into_iter()
        .filter(visible)
        .collect();
    let now = Utc::now().timestamp();
    let mut booked = Vec::new();
    for (n, slot) in slots.iter().take(5).enumerate() {
        let b = hold_and_book(store, slot.slot_id, regulator, &n.to_string(), now)
            .await
            .unwrap();
        booked.push(b.id);
    }
    assert_eq!(store.indicator_disagreements().await.unwrap(), 0);
    store
        .cancel_appointment(
            booked[0],
            &cancellation("Patient rétabli", now, regulator, None),
        )
        .await
        .unwrap();
    let by_practitioner = Cancellation {
        reason: Reschedule::PractitionerCancelled.label(),
        reschedule: Some(Reschedule::PractitionerCancelled),
        now,
        by: Some(doctor),
        ip: None,
    };
    store
        .cancel_appointment(booked[1], &by_practitioner)
        .await
        .unwrap();
    let today = paris_today(Utc::now());
    let horizon = Horizon {
        from: today,
        to: today + Duration::days(4),
        now,
    };
    let covered = &slots[2];
    let absence = crate::domain::agenda::Absence {
        start: chrono::DateTime::from_timestamp(covered.starts_at, 0).unwrap(),
        end: chrono::DateTime::from_timestamp(covered.ends_at, 0).unwrap(),
        label: "Formation".into(),
    };
    let (_, cancelled) = store
        .insert_absence(practitioner_id, &absence, &horizon, Some(doctor), None)
        .await
        .unwrap();
    assert_eq!(cancelled, [booked[2]]);
    store
        .set_outcome(practitioner_id, booked[3], "noshow", now)
        .await
        .unwrap();
    // An outcome corrected moves the appointment from one count to the other.
    store
        .set_outcome(practitioner_id, booked[3], "fulfilled", now)
        .await
        .unwrap();
    // The benchmark's history, counted in bulk: five days ago (appointments in the past, away
    // from the agenda's slots), one cancelled.
    let booked_at = now - 5 * 86_400;
    let past = |minutes: i64, status| PastBooking {
        practitioner_id: practitioner_id.0,
        departement: "75".into(),
        created_at: booked_at,
        starts_at: (booked_at + minutes * 60) / 300 * 300,
        status,
        sas_flags: 2,
    };
    let history = [
        past(60, AppointmentStatus::Fulfilled),
        past(3 * 1440 + 65, AppointmentStatus::Cancelled),
    ];
    assert_eq!(store.insert_past_bookings(&history).await.unwrap(), 2);
    assert_eq!(store.indicator_disagreements().await.unwrap(), 0);

    let figures = figures_of(store, today).await;
    assert_eq!(figures.total, 5);
    assert_eq!(
        rows(&figures.outcomes),
        [
            ("Honorés", 1),
            ("Non honorés", 0),
            ("Annulés", 3),
            ("À venir ou sans issue saisie", 1)
        ]
    );
    assert_eq!(
        rows(&figures.kinds),
        [(KIND_SNP, 5), (KIND_NEW, 0), (KIND_BOTH, 0)]
    );
    let top: Vec<u64> = figures.top.iter().map(|p| p.count).collect();
    assert_eq!(top, [2], "5 booked, 3 cancelled");
    let earlier = figures_of(store, paris_today(Utc::now() - Duration::days(5))).await;
    assert_eq!(earlier.total, 2);
    assert_eq!(rows(&earlier.kinds)[1], (KIND_NEW, 2));
    assert_eq!(earlier.top[0].count, 1);
    // Three days and 1 h 05 counted by the hour: the same « 3 j 1 h » as the exact delay.
    let p90 = earlier.delay_p90.unwrap();
    assert_eq!(crate::domain::indicators::delay_fr(p90), "3 j 1 h");

    // A change written past `count_appointment` shows.
    sqlx::query("UPDATE appointments SET status = 'noshow' WHERE id = $1")
        .bind(booked[4])
        .execute(store.pool())
        .await
        .unwrap();
    assert!(store.indicator_disagreements().await.unwrap() > 0);
}
