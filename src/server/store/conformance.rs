//! One conformance suite, run against every backend: the same scenarios must give the same
//! answers on SQLite and on PostgreSQL. PostgreSQL comes from `SAS_TEST_POSTGRES_URL`
//! (a throwaway cluster started by the test command); each test gets its own database.

use super::*;
use crate::domain::agenda::{Recurrence, paris_today};
use crate::domain::eligibility::{SlotFacts, SlotState, sas_visibility};
use crate::domain::patient::PatientInput;
use crate::server::seed;
use chrono::{Duration, NaiveTime, Utc};

/// A fresh SQLite database in a temporary directory (kept alive by the returned guard).
pub async fn sqlite_store() -> (Arc<dyn Store>, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    (connect(&url).await.expect("sqlite store"), Some(dir))
}

/// A fresh PostgreSQL database on the test cluster; `None` when no cluster is configured
/// (a failure instead when `SAS_REQUIRE_POSTGRES` is set, as in the test command).
pub async fn postgres_store() -> Option<(Arc<dyn Store>, Option<tempfile::TempDir>)> {
    let Ok(admin_url) = std::env::var("SAS_TEST_POSTGRES_URL") else {
        assert!(
            std::env::var_os("SAS_REQUIRE_POSTGRES").is_none(),
            "SAS_REQUIRE_POSTGRES is set but SAS_TEST_POSTGRES_URL is not"
        );
        eprintln!("PostgreSQL skipped: SAS_TEST_POSTGRES_URL is not set");
        return None;
    };
    use sqlx::Connection;
    let name = format!("sas_test_{}", uuid_like());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("test cluster reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("URL ends with a database name");
    let store = connect(&format!("{base}/{name}"))
        .await
        .expect("postgres store");
    Some((store, None))
}

fn uuid_like() -> String {
    use rand::Rng;
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

/// Generates one test per scenario and backend.
macro_rules! conformance {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    let (store, _guard) = super::sqlite_store().await;
                    super::$scenario(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    if let Some((store, _guard)) = super::postgres_store().await {
                        super::$scenario(store).await;
                    }
                }
            )*
        }
    };
}

conformance!(
    accounts_and_sessions,
    emails_are_unique,
    slots_are_materialised_once,
    candidates_carry_their_range_reasons,
    a_slot_is_booked_once,
    concurrent_bookings_give_one_appointment,
    a_refused_booking_saves_nothing,
    demo_covers_every_case_and_is_idempotent,
);

fn practitioner<'a>(
    rpps: &'a str,
    departement: &'a str,
    sas: bool,
    accepts_new: bool,
) -> NewPractitioner<'a> {
    NewPractitioner {
        rpps,
        civility: "Mme",
        first_name: "Sophie",
        last_name: "Martin",
        specialty: "Médecine générale",
        address: "12 rue de Rivoli",
        postcode: "75004",
        city: "Paris 4e",
        insee_code: "75104",
        departement,
        latitude: 48.85,
        longitude: 2.35,
        phone: Some("+33142000000"),
        sas_registered: sas,
        accepts_new_patients: accepts_new,
        booking_notice: "",
    }
}

async fn user(store: &dyn Store, email: &str, role: Role, practitioner_id: Option<i64>) -> i64 {
    store
        .insert_user(&NewUser {
            email,
            password_hash: "$argon2id$placeholder",
            role,
            first_name: "Claire",
            last_name: "Morel",
            practitioner_id,
            created_at: 0,
        })
        .await
        .expect("insert user")
}

/// A practitioner with one daily range 08:00–20:00 of 20-minute slots over the next 3 days.
async fn practitioner_with_range(store: &dyn Store, rpps: &str, flags: ReasonFlags) -> (i64, i64) {
    let id = store
        .insert_practitioner(&practitioner(rpps, "75", true, true))
        .await
        .expect("practitioner");
    let reason = store
        .insert_reason(
            id,
            &NewReason {
                name: "Consultation",
                duration_minutes: 20,
                flags,
            },
        )
        .await
        .expect("reason");
    let today = paris_today(Utc::now());
    for day in 0..3 {
        let times = RangeTimes {
            recurrence: Recurrence::Once(today + Duration::days(day)),
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(20, 0, 0).unwrap(),
            slot_minutes: 20,
        };
        store
            .insert_range(
                id,
                &NewRange {
                    times,
                    mode: Mode::Cabinet,
                    reason_ids: &[reason],
                },
            )
            .await
            .expect("range");
    }
    store
        .materialize_slots(today, today + Duration::days(2))
        .await
        .expect("slots");
    (id, reason)
}

const SNP: ReasonFlags = ReasonFlags {
    is_snp: true,
    open_to_new_patients: false,
    bookable_online: false,
};

fn visible(slot: &CandidateSlot) -> bool {
    sas_visibility(&SlotFacts {
        sas_registered: slot.sas_registered,
        accepts_new_patients: slot.accepts_new_patients,
        reasons: &slot.reasons,
        state: if slot.booked {
            SlotState::Booked
        } else {
            SlotState::Free
        },
        starts_in_future: slot.starts_at > Utc::now().timestamp(),
    })
    .is_some()
}

fn patient() -> PatientIdentity {
    PatientInput {
        first_name: "Marie".into(),
        last_name: "Durand".into(),
        birth_name: "Martin".into(),
        birth_date: "21/11/1952".into(),
        phone: "06 45 37 26 53".into(),
    }
    .validate(paris_today(Utc::now()))
    .unwrap()
}

async fn future_slots(store: &dyn Store) -> Vec<CandidateSlot> {
    let now = Utc::now().timestamp();
    store
        .candidate_slots("75", now, now + 4 * 86_400)
        .await
        .expect("candidates")
}

async fn accounts_and_sessions(store: Arc<dyn Store>) {
    let id = user(
        store.as_ref(),
        "regulateur@demo.test",
        Role::Regulator,
        None,
    )
    .await;
    let found = store
        .user_by_email("regulateur@demo.test")
        .await
        .unwrap()
        .expect("user found");
    assert_eq!((found.id, found.role()), (id, Some(Role::Regulator)));
    assert!(
        store
            .user_by_email("personne@demo.test")
            .await
            .unwrap()
            .is_none()
    );

    store.insert_session("hash-1", id, 100, 200).await.unwrap();
    assert_eq!(
        store
            .session_user("hash-1", 150)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(id)
    );
    assert!(
        store.session_user("hash-1", 200).await.unwrap().is_none(),
        "expired session"
    );
    assert!(store.session_user("other", 150).await.unwrap().is_none());
    store.delete_session("hash-1").await.unwrap();
    assert!(
        store.session_user("hash-1", 150).await.unwrap().is_none(),
        "signed out"
    );
}

async fn emails_are_unique(store: Arc<dyn Store>) {
    user(store.as_ref(), "a@demo.test", Role::Regulator, None).await;
    let again = store
        .insert_user(&NewUser {
            email: "a@demo.test",
            password_hash: "x",
            role: Role::Admin,
            first_name: "A",
            last_name: "B",
            practitioner_id: None,
            created_at: 0,
        })
        .await;
    assert!(again.is_err());
    // A practitioner account must point at its practitioner, and only it.
    let bad = store
        .insert_user(&NewUser {
            email: "b@demo.test",
            password_hash: "x",
            role: Role::Practitioner,
            first_name: "A",
            last_name: "B",
            practitioner_id: None,
            created_at: 0,
        })
        .await;
    assert!(bad.is_err());
}

async fn slots_are_materialised_once(store: Arc<dyn Store>) {
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

async fn candidates_carry_their_range_reasons(store: Arc<dyn Store>) {
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

async fn a_slot_is_booked_once(store: Arc<dyn Store>) {
    let (practitioner_id, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slot = future_slots(store.as_ref())
        .await
        .into_iter()
        .find(visible)
        .expect("a visible slot");
    let patient = patient();
    let booking = NewBooking {
        slot_id: slot.slot_id,
        regulator_id: regulator,
        patient: &patient,
        now: 1,
    };
    let id = store.book(&booking, &visible).await.expect("first booking");
    assert!(matches!(
        store.book(&booking, &|_| true).await,
        Err(StoreError::SlotTaken)
    ));

    let after = store
        .candidate_slot(slot.slot_id)
        .await
        .unwrap()
        .expect("slot still exists");
    assert!(after.booked && !visible(&after));
    assert!(
        future_slots(store.as_ref())
            .await
            .iter()
            .filter(|s| visible(s))
            .all(|s| s.slot_id != slot.slot_id)
    );

    let listed = store
        .practitioner_appointments(practitioner_id)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let a = &listed[0];
    assert_eq!(
        (a.id, a.starts_at, a.status.as_str(), a.mode.as_str()),
        (id, slot.starts_at, "booked", "cabinet")
    );
    assert_eq!(
        (
            a.patient_first_name.as_str(),
            a.patient_last_name.as_str(),
            a.patient_birth_name.as_str()
        ),
        ("Marie", "Durand", "Martin")
    );
    assert_eq!(
        (a.patient_birth_date.as_str(), a.patient_phone.as_str()),
        ("1952-11-21", "+33645372653")
    );
    let other = store
        .insert_practitioner(&practitioner("10000000108", "75", true, true))
        .await
        .unwrap();
    assert!(
        store
            .practitioner_appointments(other)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn concurrent_bookings_give_one_appointment(store: Arc<dyn Store>) {
    let (practitioner_id, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slot_id = future_slots(store.as_ref())
        .await
        .into_iter()
        .find(visible)
        .expect("a visible slot")
        .slot_id;
    let attempts = (0..12).map(|_| {
        let store = store.clone();
        tokio::spawn(async move {
            let patient = patient();
            let booking = NewBooking {
                slot_id,
                regulator_id: regulator,
                patient: &patient,
                now: 1,
            };
            store.book(&booking, &visible).await
        })
    });
    let mut ok = 0;
    for attempt in attempts.collect::<Vec<_>>() {
        match attempt.await.unwrap() {
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

async fn a_refused_booking_saves_nothing(store: Arc<dyn Store>) {
    let (practitioner_id, _) = practitioner_with_range(store.as_ref(), "10000000009", SNP).await;
    let regulator = user(store.as_ref(), "r@demo.test", Role::Regulator, None).await;
    let slot_id = future_slots(store.as_ref()).await[0].slot_id;
    let patient = patient();
    let booking = NewBooking {
        slot_id,
        regulator_id: regulator,
        patient: &patient,
        now: 1,
    };
    assert!(matches!(
        store.book(&booking, &|_| false).await,
        Err(StoreError::SlotTaken)
    ));
    let missing = NewBooking {
        slot_id: 999_999,
        ..booking
    };
    assert!(matches!(
        store.book(&missing, &|_| true).await,
        Err(StoreError::SlotTaken)
    ));
    assert!(
        store
            .practitioner_appointments(practitioner_id)
            .await
            .unwrap()
            .is_empty()
    );
    // The refused attempts wrote nothing: this is the very first appointment.
    assert_eq!(store.book(&booking, &|_| true).await.unwrap(), 1);
}

async fn demo_covers_every_case_and_is_idempotent(store: Arc<dyn Store>) {
    let first = seed::seed_demo(store.as_ref()).await.expect("seed");
    assert!(
        first.loaded && first.practitioners >= 40 && first.slots_created > 0 && first.booked > 0
    );
    let again = seed::seed_demo(store.as_ref()).await.expect("seed again");
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
            crate::server::auth::verify_password(seed::DEMO_PASSWORD, &user.password_hash),
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
        assert!(
            cases.contains(&(true, false, true, false)),
            "{departement}: SNP only"
        );
        assert!(
            cases.contains(&(true, false, false, true)),
            "{departement}: new patients only"
        );
        assert!(
            cases.contains(&(true, false, true, true)),
            "{departement}: both"
        );
        assert!(
            cases.contains(&(false, false, false, false)),
            "{departement}: registered, hidden"
        );
        assert!(
            cases.contains(&(false, false, false, true)),
            "{departement}: new patients offline, hidden"
        );
    }
}

mod search;
