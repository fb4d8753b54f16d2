//! A practitioner's agenda on both backends: ranges and the slots they generate (kept ids,
//! booked slots kept, daylight saving), absences, reasons, settings, and nobody else's agenda.

use super::*;

conformance!(
    slots_are_materialised_once,
    top_up_works_through_every_batch_of_practitioners,
    candidates_carry_their_range_reasons,
    demo_covers_every_case_and_is_idempotent,
    ranges_regenerate_free_slots_and_keep_booked_ones,
    slots_stay_at_local_time_across_dst,
    bad_ranges_are_refused_and_save_nothing,
    absences_remove_the_slots_they_cover,
    a_practitioner_changes_only_their_own_agenda,
    reasons_settings_and_questions,
);

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Unix seconds of a Paris wall-clock time.
fn paris(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    paris_instant(day(y, m, d), NaiveTime::from_hms_opt(h, min, 0).unwrap())
        .unwrap()
        .timestamp()
}

/// Two weeks of March 2027 (Mondays 22 and 29 to Sunday 4 April), seen from 15 March.
const MARCH: Horizon = Horizon {
    from: NaiveDate::from_ymd_opt(2027, 3, 22).unwrap(),
    to: NaiveDate::from_ymd_opt(2027, 4, 4).unwrap(),
    now: 1_805_000_000, // 2027-03-13
};

fn cabinet(times: RangeTimes, reason_ids: &[ReasonId]) -> NewRange<'_> {
    NewRange {
        times,
        mode: Mode::Cabinet,
        reason_ids,
    }
}

fn weekly_range(weekday: Weekday, (start, end): (u32, u32), slot_minutes: u32) -> RangeTimes {
    RangeTimes {
        recurrence: Recurrence::Weekly {
            weekday,
            valid_from: day(2027, 3, 1),
            valid_until: None,
        },
        start: NaiveTime::from_hms_opt(start / 100, start % 100, 0).unwrap(),
        end: NaiveTime::from_hms_opt(end / 100, end % 100, 0).unwrap(),
        slot_minutes,
    }
}

/// A SAS practitioner who does not accept new patients, with a plain reason and SNP.
async fn practitioner_with_reasons(
    store: &Store,
    rpps: &str,
) -> (PractitionerId, ReasonId, ReasonId) {
    let id = store
        .insert_practitioner(&practitioner(rpps, "75", true, false))
        .await
        .unwrap();
    let consult = store
        .insert_reason(
            id,
            &NewReason {
                name: "Consultation",
                duration_minutes: 20,
                flags: ReasonFlags {
                    is_snp: false,
                    open_to_new_patients: true,
                    bookable_online: true,
                },
                notice: "",
            },
        )
        .await
        .unwrap();
    let snp = store.add_snp_reason(id).await.unwrap();
    (id, consult, snp)
}

async fn march_slots(store: &Store, practitioner_id: PractitionerId) -> Vec<AgendaSlot> {
    store
        .agenda_slots(
            practitioner_id,
            paris(2027, 3, 22, 0, 0),
            paris(2027, 4, 5, 0, 0),
        )
        .await
        .unwrap()
}

fn times(slots: &[AgendaSlot]) -> Vec<String> {
    slots
        .iter()
        .map(|s| {
            let start = chrono::DateTime::from_timestamp(s.starts_at, 0).unwrap();
            paris_time(start).format("%d %H:%M").to_string()
        })
        .collect()
}

async fn book_slot(store: &Store, slot_id: SlotId) {
    let regulator = match store.user_by_email("r@demo.test").await.unwrap() {
        Some(user) => user.id,
        None => user(store, "r@demo.test", Role::Regulator, None).await,
    };
    hold_and_book(store, slot_id, regulator, &format!("k{slot_id}"), MARCH.now)
        .await
        .unwrap();
}

async fn ranges_regenerate_free_slots_and_keep_booked_ones(store: Arc<Store>) {
    let store = store.as_ref();
    let (p, consult, snp) = practitioner_with_reasons(store, "10000000009").await;
    let tuesday = weekly_range(Weekday::Tue, (900, 1200), 20);
    let ids = store
        .save_ranges(p, None, &[cabinet(tuesday.clone(), &[consult])], &MARCH)
        .await
        .unwrap();
    let before = march_slots(store, p).await;
    assert_eq!(before.len(), 18, "two Tuesdays of nine slots");
    assert_eq!(times(&before)[..2], ["23 09:00", "23 09:20"]);
    assert!(before.iter().all(|s| s.range_id == Some(ids[0])));
    assert!(before.iter().all(|s| s.reasons.iter().all(|r| !r.is_snp)));

    // Adding "Soins non programmés" to the range keeps its slots (same ids) and opens them.
    store
        .save_ranges(
            p,
            Some(ids[0]),
            &[cabinet(tuesday, &[consult, snp])],
            &MARCH,
        )
        .await
        .unwrap();
    let with_snp = march_slots(store, p).await;
    let slot_ids = |slots: &[AgendaSlot]| slots.iter().map(|s| s.slot_id).collect::<Vec<_>>();
    assert_eq!(slot_ids(&with_snp), slot_ids(&before));
    assert!(with_snp.iter().all(|s| s.reasons.iter().any(|r| r.is_snp)));
    let visible_on_23 = store
        .candidate_slots("75", paris(2027, 3, 23, 0, 0), paris(2027, 3, 24, 0, 0))
        .await
        .unwrap();
    assert_eq!(visible_on_23.len(), 9);

    // Booked 09:00; then the range becomes 10:00–12:00 in 30-minute slots, by video.
    book_slot(store, before[0].slot_id).await;
    let shorter = NewRange {
        times: weekly_range(Weekday::Tue, (1000, 1200), 30),
        mode: Mode::Video,
        reason_ids: &[snp],
    };
    store
        .save_ranges(p, Some(ids[0]), std::slice::from_ref(&shorter), &MARCH)
        .await
        .unwrap();
    let after = march_slots(store, p).await;
    assert_eq!(
        times(&after),
        [
            "23 09:00", "23 10:00", "23 10:30", "23 11:00", "23 11:30", "30 10:00", "30 10:30",
            "30 11:00", "30 11:30"
        ]
    );
    let booked = &after[0];
    assert_eq!(
        booked.slot_id, before[0].slot_id,
        "the appointment's slot is kept"
    );
    assert_eq!(booked.range_id, None, "out of the agenda");
    assert_eq!(booked.patient_last_name.as_deref(), Some("Durand"));
    assert!(
        after[1..]
            .iter()
            .all(|s| s.mode == Mode::Video && s.appointment_id.is_none())
    );

    // A second pass changes nothing; deleting the range leaves the booked slot alone.
    let again = store
        .save_ranges(p, Some(ids[0]), &[shorter], &MARCH)
        .await
        .unwrap();
    assert_eq!(slot_ids(&march_slots(store, p).await), slot_ids(&after));
    store.delete_range(p, again[0], &MARCH).await.unwrap();
    let left = march_slots(store, p).await;
    assert_eq!(slot_ids(&left), [before[0].slot_id]);
    assert!(store.ranges(p).await.unwrap().is_empty());
    assert_eq!(store.practitioner_appointments(p).await.unwrap().len(), 1);
}

async fn slots_stay_at_local_time_across_dst(store: Arc<Store>) {
    let store = store.as_ref();
    let (p, _, snp) = practitioner_with_reasons(store, "10000000009").await;
    let sunday = NewRange {
        times: weekly_range(Weekday::Sun, (900, 1000), 30),
        mode: Mode::Cabinet,
        reason_ids: &[snp],
    };
    let october = Horizon {
        from: day(2027, 10, 18),
        to: day(2027, 11, 7),
        now: MARCH.now,
    };
    store.save_ranges(p, None, &[sunday], &MARCH).await.unwrap();
    store
        .materialize_slots(october.from, october.to)
        .await
        .unwrap();
    let slots = store
        .agenda_slots(p, MARCH.now, paris(2027, 12, 31, 0, 0))
        .await
        .unwrap();
    let utc: Vec<String> = slots
        .iter()
        .step_by(2)
        .map(|s| {
            let start = chrono::DateTime::from_timestamp(s.starts_at, 0).unwrap();
            format!(
                "{} {}",
                start.format("%d/%m %H:%M"),
                paris_time(start).format("%H:%M")
            )
        })
        .collect();
    assert_eq!(
        utc,
        [
            "28/03 07:00 09:00",
            "04/04 07:00 09:00",
            "24/10 07:00 09:00",
            "31/10 08:00 09:00",
            "07/11 08:00 09:00"
        ]
    );
}

async fn bad_ranges_are_refused_and_save_nothing(store: Arc<Store>) {
    let store = store.as_ref();
    let (p, consult, snp) = practitioner_with_reasons(store, "10000000009").await;
    let ids = store
        .save_ranges(
            p,
            None,
            &[cabinet(
                weekly_range(Weekday::Tue, (900, 1200), 20),
                &[consult],
            )],
            &MARCH,
        )
        .await
        .unwrap();
    let slots_before = march_slots(store, p).await.len();

    // Monday would be fine, Tuesday 11:00–13:00 overlaps: neither is saved.
    let refused = store
        .save_ranges(
            p,
            None,
            &[
                cabinet(weekly_range(Weekday::Mon, (900, 1200), 20), &[consult]),
                cabinet(weekly_range(Weekday::Tue, (1100, 1300), 20), &[consult]),
            ],
            &MARCH,
        )
        .await;
    match refused {
        Err(StoreError::Overlap(other)) => assert_eq!(other, "chaque mardi de 09:00 à 12:00"),
        other => panic!("expected an overlap, got {other:?}"),
    }
    let only_snp = [snp];
    let one_off = cabinet(
        RangeTimes {
            recurrence: Recurrence::Once(day(2027, 3, 30)),
            start: NaiveTime::from_hms_opt(11, 40, 0).unwrap(),
            end: NaiveTime::from_hms_opt(14, 0, 0).unwrap(),
            slot_minutes: 20,
        },
        &only_snp,
    );
    assert!(matches!(
        store.save_ranges(p, None, &[one_off], &MARCH).await,
        Err(StoreError::Overlap(_))
    ));

    // Reasons must be the practitioner's own, and active.
    let (other, other_reason, _) = practitioner_with_reasons(store, "10000000108").await;
    let monday = weekly_range(Weekday::Mon, (900, 1200), 20);
    assert!(matches!(
        store
            .save_ranges(p, None, &[cabinet(monday.clone(), &[other_reason])], &MARCH)
            .await,
        Err(StoreError::UnknownReason)
    ));
    store.set_reason_archived(p, consult, true).await.unwrap();
    assert!(matches!(
        store
            .save_ranges(p, None, &[cabinet(monday.clone(), &[consult])], &MARCH)
            .await,
        Err(StoreError::UnknownReason)
    ));
    assert!(matches!(
        store
            .save_ranges(
                p,
                Some(RangeId(ids[0].0 + 1000)),
                &[cabinet(monday.clone(), &[snp])],
                &MARCH
            )
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(store.ranges(p).await.unwrap().len(), 1);
    assert_eq!(march_slots(store, p).await.len(), slots_before);
    assert!(store.ranges(other).await.unwrap().is_empty());

    // A range may be edited over its own times.
    store
        .save_ranges(
            p,
            Some(ids[0]),
            &[cabinet(
                weekly_range(Weekday::Tue, (1000, 1300), 20),
                &[snp],
            )],
            &MARCH,
        )
        .await
        .unwrap();
    assert_eq!(
        store.ranges(p).await.unwrap(),
        [RangeRecord {
            id: ids[0],
            times: weekly_range(Weekday::Tue, (1000, 1300), 20),
            mode: Mode::Cabinet,
            reason_ids: vec![snp],
        }]
    );
}

async fn absences_remove_the_slots_they_cover(store: Arc<Store>) {
    let store = store.as_ref();
    let (p, _, snp) = practitioner_with_reasons(store, "10000000009").await;
    let tuesday = NewRange {
        times: weekly_range(Weekday::Tue, (900, 1200), 20),
        mode: Mode::Cabinet,
        reason_ids: &[snp],
    };
    store
        .save_ranges(p, None, &[tuesday], &MARCH)
        .await
        .unwrap();
    let first = march_slots(store, p).await[0].slot_id;
    book_slot(store, first).await;
    let visible_on_23 = || async {
        let slots = store
            .candidate_slots("75", paris(2027, 3, 23, 0, 0), paris(2027, 3, 24, 0, 0))
            .await
            .unwrap();
        let eligible: Vec<CandidateSlot> = slots
            .into_iter()
            .filter(|s| !s.booked && s.reasons.iter().any(|r| r.is_snp))
            .collect();
        times_of(&eligible)
    };
    assert_eq!(visible_on_23().await.len(), 8);

    let absence = crate::domain::agenda::Absence {
        start: chrono::DateTime::from_timestamp(paris(2027, 3, 23, 8, 0), 0).unwrap(),
        end: chrono::DateTime::from_timestamp(paris(2027, 3, 23, 10, 30), 0).unwrap(),
        label: "Formation".into(),
    };
    let (absence_id, cancelled) = store
        .insert_absence(p, &absence, &MARCH, None, None)
        .await
        .unwrap();
    assert_eq!(
        cancelled.len(),
        1,
        "the appointment it covers, « à replanifier »"
    );
    assert_eq!(visible_on_23().await, ["10:40", "11:00", "11:20", "11:40"]);
    let slots = march_slots(store, p).await;
    assert_eq!(
        slots[0].slot_id, first,
        "the cancelled appointment's slot stays"
    );
    assert_eq!(slots[0].range_id, None, "flagged out of the agenda");
    assert_eq!(slots.len(), 1 + 4 + 9);
    // The periodic top-up does not bring covered slots back.
    store.materialize_slots(MARCH.from, MARCH.to).await.unwrap();
    assert_eq!(march_slots(store, p).await.len(), 14);
    assert_eq!(
        store.absences(p, MARCH.now).await.unwrap(),
        [AbsenceRecord {
            id: absence_id,
            starts_at: absence.start.timestamp(),
            ends_at: absence.end.timestamp(),
            label: "Formation".into(),
        }]
    );
    assert!(
        store
            .absences(p, absence.end.timestamp())
            .await
            .unwrap()
            .is_empty()
    );

    store.delete_absence(p, absence_id, &MARCH).await.unwrap();
    let back = march_slots(store, p).await;
    assert_eq!(back.len(), 18);
    assert_eq!(
        back[0].range_id,
        slots.iter().find_map(|s| s.range_id),
        "back in the agenda"
    );
    // Free again: its appointment was cancelled by the absence.
    assert_eq!(visible_on_23().await.len(), 9);
}

fn times_of(slots: &[CandidateSlot]) -> Vec<String> {
    slots
        .iter()
        .map(|s| {
            let start = chrono::DateTime::from_timestamp(s.starts_at, 0).unwrap();
            paris_time(start).format("%H:%M").to_string()
        })
        .collect()
}

async fn a_practitioner_changes_only_their_own_agenda(store: Arc<Store>) {
    let store = store.as_ref();
    let (me, _, my_snp) = practitioner_with_reasons(store, "10000000009").await;
    let (other, other_reason, other_snp) = practitioner_with_reasons(store, "10000000108").await;
    let range = NewRange {
        times: weekly_range(Weekday::Tue, (900, 1200), 20),
        mode: Mode::Cabinet,
        reason_ids: &[other_snp],
    };
    let other_range = store
        .save_ranges(other, None, &[range], &MARCH)
        .await
        .unwrap()[0];
    let absence = crate::domain::agenda::Absence {
        start: chrono::DateTime::from_timestamp(paris(2027, 3, 30, 8, 0), 0).unwrap(),
        end: chrono::DateTime::from_timestamp(paris(2027, 3, 30, 10, 0), 0).unwrap(),
        label: String::new(),
    };
    let (other_absence, _) = store
        .insert_absence(other, &absence, &MARCH, None, None)
        .await
        .unwrap();
    let other_question = store
        .insert_question(other, "Allergies ?", true)
        .await
        .unwrap();
    let snapshot = || async {
        (
            store.reasons(other).await.unwrap(),
            store.ranges(other).await.unwrap(),
            store.absences(other, 0).await.unwrap(),
            store.booking_questions(other).await.unwrap(),
            march_slots(store, other).await.len(),
        )
    };
    let before = snapshot().await;

    let form = crate::domain::practitioner::ReasonForm {
        name: Some("Piratage".into()),
        duration_minutes: 5,
        open_to_new_patients: true,
        bookable_online: true,
        notice: String::new(),
    };
    let not_found = |r: StoreResult<()>| assert!(matches!(r, Err(StoreError::NotFound)), "{r:?}");
    not_found(store.update_reason(me, other_reason, &form).await);
    not_found(store.set_reason_archived(me, other_reason, true).await);
    not_found(store.delete_range(me, other_range, &MARCH).await);
    not_found(store.delete_absence(me, other_absence, &MARCH).await);
    not_found(store.archive_question(me, other_question).await);
    let mine = NewRange {
        times: weekly_range(Weekday::Wed, (900, 1200), 20),
        mode: Mode::Cabinet,
        reason_ids: &[my_snp],
    };
    assert!(matches!(
        store
            .save_ranges(me, Some(other_range), std::slice::from_ref(&mine), &MARCH)
            .await,
        Err(StoreError::NotFound)
    ));
    store.save_ranges(me, None, &[mine], &MARCH).await.unwrap();
    store
        .insert_absence(me, &absence, &MARCH, None, None)
        .await
        .unwrap();
    assert_eq!(snapshot().await, before);
}

async fn reasons_settings_and_questions(store: Arc<Store>) {
    let store = store.as_ref();
    let (p, consult, snp) = practitioner_with_reasons(store, "10000000009").await;
    assert_eq!(
        store.add_snp_reason(p).await.unwrap(),
        snp,
        "one SNP reason"
    );
    let renamed = crate::domain::practitioner::ReasonForm {
        name: Some("Urgences".into()),
        duration_minutes: 15,
        open_to_new_patients: false,
        bookable_online: false,
        notice: "Apportez vos derniers examens.".into(),
    };
    store.update_reason(p, snp, &renamed).await.unwrap();
    store.update_reason(p, consult, &renamed).await.unwrap();
    store.set_reason_archived(p, snp, true).await.unwrap();
    let reasons = store.reasons(p).await.unwrap();
    assert_eq!(
        reasons
            .iter()
            .map(|r| (r.name.as_str(), r.duration_minutes, r.is_snp, r.archived))
            .collect::<Vec<_>>(),
        [
            ("Soins non programmés", 15, true, true),
            ("Urgences", 15, false, false)
        ]
    );
    // Each reason keeps its own notice.
    assert!(
        reasons
            .iter()
            .all(|r| r.notice == "Apportez vos derniers examens.")
    );
    assert_eq!(store.add_snp_reason(p).await.unwrap(), snp);
    assert!(
        !store.reasons(p).await.unwrap()[0].archived,
        "back from the archive"
    );

    let settings = crate::domain::practitioner::Settings {
        accepts_new_patients: true,
        booking_notice: "Sonnez à l'interphone.".into(),
        extra_fields: vec![crate::domain::practitioner::ExtraField::Email],
    };
    store.update_settings(p, &settings).await.unwrap();
    let profile = store.practitioner_profile(p).await.unwrap().unwrap();
    assert_eq!(
        (
            profile.accepts_new_patients,
            profile.booking_notice.as_str(),
            profile.extra_fields.0
        ),
        (true, "Sonnez à l'interphone.", vec![ExtraField::Email])
    );
    assert!(
        store
            .practitioner_profile(PractitionerId(p.0 + 1000))
            .await
            .unwrap()
            .is_none()
    );

    let first = store
        .insert_question(p, "Traitement en cours ?", true)
        .await
        .unwrap();
    let second = store
        .insert_question(p, "Allergies ?", false)
        .await
        .unwrap();
    store.archive_question(p, first).await.unwrap();
    assert!(matches!(
        store.archive_question(p, first).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.booking_questions(p).await.unwrap(),
        [QuestionRecord {
            id: second,
            label: "Allergies ?".into(),
            required: false
        }]
    );
}

async fn slots_are_materialised_once(store: Arc<Store>) {
    let (_, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let today = paris_today(Utc::now());
    // 3 days × 36 slots were created by the helper; doing it again adds none.
    assert_eq!(
        store
            .materialize_slots(today, today + Duration::days(2))
            .await
            .unwrap(),
        0
    );
    let now = Utc::now().timestamp();
    let all = store
        .candidate_slots("75", now - 86_400, now + 4 * 86_400)
        .await
        .unwrap();
    assert_eq!(all.len(), 3 * 36);
    assert!(
        all.windows(2).all(|w| w[0].starts_at <= w[1].starts_at),
        "ordered by time"
    );
    assert!(all.iter().all(|s| s.ends_at - s.starts_at == 20 * 60));
}

/// The top-up works a few practitioners per transaction: with more practitioners than one
/// batch and every slot gone, it creates each practitioner's slots again, once.
async fn top_up_works_through_every_batch_of_practitioners(store: Arc<Store>) {
    let count = 2 * crate::server::store::TOP_UP_BATCH + 3;
    for n in 0..count {
        practitioner_with_range(store.as_ref(), &format!("2000000{n:04}"), SNP).await;
    }
    sqlx::query("DELETE FROM slots")
        .execute(store.pool())
        .await
        .unwrap();
    let today = paris_today(Utc::now());
    let span = (today, today + Duration::days(2));
    let created = store.materialize_slots(span.0, span.1).await.unwrap();
    assert_eq!(created, (count * 3 * 36) as u64);
    assert_eq!(store.materialize_slots(span.0, span.1).await.unwrap(), 0);
    let now = Utc::now().timestamp();
    let all = store
        .candidate_slots("75", now - 86_400, now + 4 * 86_400)
        .await
        .unwrap();
    assert_eq!(all.len(), count * 3 * 36);
}

async fn candidates_carry_their_range_reasons(store: Arc<Store>) {
    let (_, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let slots = future_slots(store.as_ref()).await;
    assert!(!slots.is_empty());
    assert!(
        slots
            .iter()
            .all(|s| s.reasons == vec![SNP] && !s.booked && s.sas_registered)
    );
    // Another département, and practitioners not registered on the SAS, are left out.
    let now = Utc::now().timestamp();
    assert!(
        store
            .candidate_slots("69", now, now + 4 * 86_400)
            .await
            .unwrap()
            .is_empty()
    );
    let off = store
        .insert_practitioner(&practitioner("10000000108", "75", false, true))
        .await
        .unwrap();
    let reason = store
        .insert_reason(
            off,
            &NewReason {
                name: "SNP",
                duration_minutes: 20,
                flags: SNP,
                notice: "",
            },
        )
        .await
        .unwrap();
    let today = paris_today(Utc::now());
    let times = RangeTimes {
        recurrence: Recurrence::Once(today + Duration::days(1)),
        start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        slot_minutes: 20,
    };
    store
        .insert_range(
            off,
            &NewRange {
                times,
                mode: Mode::Video,
                reason_ids: &[reason],
            },
        )
        .await
        .unwrap();
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(future_slots(store.as_ref()).await.len(), slots.len());
    // A range cannot use another practitioner's reason.
    let (first, first_reason) = (slots[0].practitioner_id, slots[0].range_id);
    assert!(first_reason.is_some());
    let foreign = NewRange {
        times: RangeTimes {
            recurrence: Recurrence::Once(today),
            start: NaiveTime::MIN,
            end: NaiveTime::from_hms_opt(1, 0, 0).unwrap(),
            slot_minutes: 20,
        },
        mode: Mode::Cabinet,
        reason_ids: &[reason],
    };
    assert!(store.insert_range(first, &foreign).await.is_err());
}

async fn demo_covers_every_case_and_is_idempotent(store: Arc<Store>) {
    // Both loads as of one instant: a day passing between them (midnight) would add a day of slots.
    let at = Utc::now();
    let first = seed::seed_demo_at(store.as_ref(), at).await.expect("seed");
    assert!(
        first.loaded && first.practitioners >= 40 && first.slots_created > 0 && first.booked > 0
    );
    let again = seed::seed_demo_at(store.as_ref(), at)
        .await
        .expect("seed again");
    assert!(!again.loaded);
    assert_eq!(again.slots_created, 0);

    for email in [
        seed::ADMIN_EMAIL,
        seed::REGULATOR_EMAIL,
        "sophie.martin@demo.test",
    ] {
        let user = store
            .user_by_email(email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{email}"));
        assert!(
            crate::server::auth::verify_password(seed::DEMO_PASSWORD, &user.password_hash).await,
            "{email}"
        );
    }
    let now = Utc::now().timestamp();
    for departement in ["75", "69", "35"] {
        let slots = store
            .candidate_slots(departement, now, now + 14 * 86_400)
            .await
            .unwrap();
        let practitioners: std::collections::HashSet<_> =
            slots.iter().map(|s| s.practitioner_id).collect();
        assert!(
            practitioners.len() >= 10,
            "{departement}: {} SAS practitioners",
            practitioners.len()
        );
        let facts = |s: &CandidateSlot| {
            (
                visible(s),
                s.booked,
                s.reasons.iter().any(|r| r.is_snp),
                s.accepts_new_patients,
            )
        };
        let cases: std::collections::HashSet<_> = slots.iter().map(facts).collect();
        for (case, label) in [
            ((true, false, true, false), "SNP only"),
            ((true, false, false, true), "new patients only"),
            ((true, false, true, true), "both"),
            ((false, false, false, false), "registered, hidden"),
            ((false, false, false, true), "new patients offline, hidden"),
        ] {
            assert!(cases.contains(&case), "{departement}: {label}");
        }
    }
}
