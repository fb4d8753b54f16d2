//! One conformance suite, run against every backend: the same scenarios must give the same
//! answers on SQLite and on PostgreSQL. PostgreSQL comes from `SAS_TEST_POSTGRES_URL`
//! (a throwaway cluster started by the test command); each test gets its own database.

use super::*;
use crate::domain::Role;
use crate::domain::agenda::{Mode, RangeTimes, Recurrence, paris_instant, paris_time, paris_today};
use crate::domain::appointment::AppointmentStatus;
use crate::domain::booking::Choices;
use crate::domain::eligibility::ReasonFlags;
use crate::domain::ids::*;
use crate::domain::patient::PatientIdentity;
use crate::domain::patient::PatientInput;
use crate::domain::practitioner::ExtraField;
use crate::tools::demo as seed;
use chrono::NaiveDate;
use chrono::{Duration, NaiveTime, Utc, Weekday};

/// A fresh SQLite database in a temporary directory (kept alive by the returned guard).
pub async fn sqlite_store() -> (Arc<Store>, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    (connect(&url).await.expect("sqlite store"), Some(dir))
}

/// A fresh PostgreSQL database on the test cluster; `None` when no cluster is configured
/// (a failure instead when `SAS_REQUIRE_POSTGRES` is set, as in the test command).
pub async fn postgres_store() -> Option<(Arc<Store>, Option<tempfile::TempDir>)> {
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

/// Runs a scenario on a fresh database of `backend` (PostgreSQL skipped when not configured).
pub async fn run_on<F: std::future::Future<Output = ()>>(
    backend: Backend,
    scenario: impl FnOnce(Arc<Store>) -> F,
) {
    let store = match backend {
        Backend::Sqlite => Some(sqlite_store().await),
        Backend::Postgres => postgres_store().await,
    };
    if let Some((store, _guard)) = store {
        scenario(store).await;
    }
}

/// One test per scenario and backend (`run_on` does the work).
macro_rules! conformance {
    ($($s:ident),* $(,)?) => {
        mod sqlite { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $s() { super::run_on(super::Backend::Sqlite, super::$s).await }
        )* }
        mod postgres { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $s() { super::run_on(super::Backend::Postgres, super::$s).await }
        )* }
    };
}

conformance!(
    accounts_and_sessions,
    emails_are_unique,
    slots_are_materialised_once,
    candidates_carry_their_range_reasons,
    demo_covers_every_case_and_is_idempotent,
    invitations_are_single_use_and_expire,
    pending_invitations_are_renewed_or_revoked,
    password_reset_uses_its_link_once_and_closes_sessions,
    disabled_accounts_lose_their_sessions,
    attempts_are_counted_per_key_within_the_window,
    parallel_attempts_each_get_their_own_count,
    expired_sessions_devices_and_windows_are_purged,
    outbox_and_audit_log_list_newest_first,
    ranges_regenerate_free_slots_and_keep_booked_ones,
    slots_stay_at_local_time_across_dst,
    bad_ranges_are_refused_and_save_nothing,
    absences_remove_the_slots_they_cover,
    a_practitioner_changes_only_their_own_agenda,
    reasons_settings_and_questions,
    registration_is_one_transaction,
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

async fn user(
    store: &Store,
    email: &str,
    role: Role,
    practitioner_id: Option<PractitionerId>,
) -> UserId {
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
async fn practitioner_with_range(
    store: &Store,
    rpps: &str,
    flags: ReasonFlags,
) -> (PractitionerId, ReasonId) {
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

/// The reference the grid is held to: the SAS practitioners of `specialty` in the area (a
/// circle gives its bounding box) with their packed slots, read one row per practitioner.
async fn area_practitioners(
    store: &Store,
    area: &SearchArea,
    specialty: &str,
    with_empty: bool,
) -> Vec<AreaPractitioner> {
    let mut q = sql::Sql::new(
        "SELECT id, latitude, longitude, sas_slots FROM practitioners
         WHERE sas_registered AND specialty = ",
    );
    q.bind(specialty);
    match area {
        SearchArea::Circle { center, radius_km } => {
            let (lat0, lat1, lon0, lon1) = crate::domain::place::bounding_box(*center, *radius_km);
            q.push(" AND latitude BETWEEN ")
                .bind(lat0)
                .push(" AND ")
                .bind(lat1)
                .push(" AND longitude BETWEEN ")
                .bind(lon0)
                .push(" AND ")
                .bind(lon1);
        }
        SearchArea::Departement(code) => {
            q.push(" AND departement = ").bind(code.as_str());
        }
        SearchArea::VideoInDepartement(code) => {
            q.push(" AND sas_video AND departement = ")
                .bind(code.as_str());
        }
    }
    if !with_empty {
        q.push(" AND sas_slots IS NOT NULL");
    }
    q.fetch_all(store.pool()).await.unwrap()
}

/// Shown to a regulator who holds nothing.
fn visible(slot: &CandidateSlot) -> bool {
    slot.visibility(Utc::now().timestamp(), None).is_some()
}

fn patient() -> PatientIdentity {
    PatientInput::example()
        .validate(paris_today(Utc::now()), &[])
        .unwrap()
}

/// Step A as a regulator fills it for a "Soins non programmés" slot at the practice.
fn choices() -> Choices {
    Choices {
        mode: Mode::Cabinet,
        known_patient: false,
        reason: crate::domain::booking::OfferedReason {
            id: ReasonId(0),
            name: "Soins non programmés".into(),
            is_snp: true,
        },
        answers: Vec::new(),
        message: None,
    }
}

/// Holds the slot for the regulator at `now`, then books it for the example patient.
async fn hold_and_book(
    store: &Store,
    slot_id: SlotId,
    regulator: UserId,
    key: &str,
    now: i64,
) -> StoreResult<Booked> {
    store.hold_slot(slot_id, regulator, now, now + 600).await?;
    let (patient, choices) = (patient(), choices());
    let booking = NewBooking {
        slot_id,
        regulator_id: regulator,
        idempotency_key: key,
        choices: &choices,
        patient: &patient,
        attachment: None,
        now,
        ip: None,
    };
    store.book(&booking).await
}

/// Slots starting in an hour or more: none of them starts while the test runs.
async fn future_slots(store: &Store) -> Vec<CandidateSlot> {
    let now = Utc::now().timestamp();
    store
        .candidate_slots("75", now + 3600, now + 4 * 86_400)
        .await
        .expect("candidates")
}

async fn accounts_and_sessions(store: Arc<Store>) {
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

async fn emails_are_unique(store: Arc<Store>) {
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

fn regulator<'a>(email: &'a str) -> NewRegulator<'a> {
    NewRegulator {
        civility: Some("Mme"),
        first_name: "Claire",
        last_name: "Morel",
        email,
        departement: "75",
        invited_by: None,
        invited_at: 1_000,
    }
}

fn token(hash: &str, expires_at: i64) -> NewToken<'_> {
    NewToken {
        token_hash: hash,
        created_at: 1_000,
        expires_at,
    }
}

fn account(email: &str, role: Role) -> NewAccount<'_> {
    NewAccount {
        email,
        password_hash: "$argon2id$placeholder",
        role,
        profession: if role == Role::Regulator {
            "Régulateur"
        } else {
            "Médecin"
        },
        created_at: 1_500,
    }
}

fn is_unusable<T: std::fmt::Debug>(result: StoreResult<T>) -> bool {
    matches!(result, Err(StoreError::TokenUnusable))
}

async fn invitations_are_single_use_and_expire(store: Arc<Store>) {
    let id = store
        .insert_regulator(&regulator("claire@sas.test"), &token("t1", 2_000))
        .await
        .unwrap();
    let again = store
        .insert_regulator(&regulator("claire@sas.test"), &token("t2", 2_000))
        .await;
    assert!(
        matches!(again, Err(StoreError::Taken(Unique::Email))),
        "one open invitation per address"
    );
    let link = store.account_token("t1").await.unwrap().expect("token");
    assert_eq!(
        (link.purpose.as_str(), link.regulator_id, link.used_at),
        ("invitation", Some(id), None)
    );
    assert!(store.account_token("unknown").await.unwrap().is_none());

    // An address already taken leaves the link unused.
    user(store.as_ref(), "pris@sas.test", Role::Admin, None).await;
    let taken = store
        .accept_invitation("t1", 1_500, &account("pris@sas.test", Role::Regulator))
        .await;
    assert!(matches!(taken, Err(StoreError::Taken(Unique::Email))));
    assert!(
        store
            .account_token("t1")
            .await
            .unwrap()
            .unwrap()
            .used_at
            .is_none()
    );

    assert!(
        is_unusable(
            store
                .accept_invitation("t1", 2_000, &account("c@sas.test", Role::Regulator))
                .await
        ),
        "expired"
    );
    let user_id = store
        .accept_invitation("t1", 1_500, &account("c@sas.test", Role::Regulator))
        .await
        .unwrap();
    assert!(
        is_unusable(
            store
                .accept_invitation("t1", 1_600, &account("d@sas.test", Role::Regulator))
                .await
        ),
        "used"
    );
    assert_eq!(
        store.account_token("t1").await.unwrap().unwrap().used_at,
        Some(1_500)
    );
    let created = store
        .user_by_email("c@sas.test")
        .await
        .unwrap()
        .expect("account");
    assert_eq!(
        (created.id, created.role(), created.first_name.as_str()),
        (user_id, Some(Role::Regulator), "Claire")
    );
    assert_eq!(created.profession.as_deref(), Some("Régulateur"));
    let record = store.regulator(id).await.unwrap().expect("regulator");
    assert_eq!(record.user_id, Some(user_id));
    assert_eq!(record.account_email.as_deref(), Some("c@sas.test"));
    assert_eq!(record.account_role.as_deref(), Some("regulator"));

    // Another profession gives an account without the regulator role.
    store
        .insert_regulator(&regulator("autre@sas.test"), &token("t3", 2_000))
        .await
        .unwrap();
    let other_id = store
        .accept_invitation("t3", 1_500, &account("autre@sas.test", Role::Other))
        .await
        .unwrap();
    let other = store
        .user_by_email("autre@sas.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((other.id, other.role()), (other_id, Some(Role::Other)));
    assert_eq!(store.regulators().await.unwrap().len(), 2);
}

async fn pending_invitations_are_renewed_or_revoked(store: Arc<Store>) {
    let id = store
        .insert_regulator(&regulator("r@sas.test"), &token("old", 2_000))
        .await
        .unwrap();
    assert!(
        store
            .renew_invitation(id, &token("new", 5_000))
            .await
            .unwrap()
    );
    assert!(
        store.account_token("old").await.unwrap().is_none(),
        "the old link is replaced"
    );
    assert_eq!(
        store
            .regulator(id)
            .await
            .unwrap()
            .unwrap()
            .invitation_expires_at,
        Some(5_000)
    );
    assert!(store.revoke_invitation(id, 1_200).await.unwrap());
    assert!(
        !store.revoke_invitation(id, 1_300).await.unwrap(),
        "already revoked"
    );
    assert!(store.account_token("new").await.unwrap().is_none());
    assert!(is_unusable(
        store
            .accept_invitation("new", 1_500, &account("r@sas.test", Role::Regulator))
            .await
    ));
    assert!(
        !store
            .renew_invitation(id, &token("newer", 5_000))
            .await
            .unwrap()
    );
    let record = store.regulator(id).await.unwrap().unwrap();
    assert_eq!(
        (record.revoked_at, record.invitation_expires_at),
        (Some(1_200), None)
    );
    // A revoked address may be invited again; an accepted invitation cannot be renewed.
    let second = store
        .insert_regulator(&regulator("r@sas.test"), &token("t", 5_000))
        .await
        .unwrap();
    store
        .accept_invitation("t", 1_500, &account("r@sas.test", Role::Regulator))
        .await
        .unwrap();
    assert!(
        !store
            .renew_invitation(second, &token("t2", 5_000))
            .await
            .unwrap()
    );
    assert!(!store.revoke_invitation(second, 1_600).await.unwrap());
    assert!(store.regulator(InvitationId(999)).await.unwrap().is_none());
}

async fn password_reset_uses_its_link_once_and_closes_sessions(store: Arc<Store>) {
    let id = user(store.as_ref(), "u@sas.test", Role::Regulator, None).await;
    store.insert_session("s", id, 1_000, 9_000).await.unwrap();
    store
        .insert_reset_token(id, &token("r1", 2_000))
        .await
        .unwrap();
    store
        .insert_reset_token(id, &token("r2", 2_000))
        .await
        .unwrap();
    assert_eq!(
        store.account_token("r1").await.unwrap().unwrap().user_id,
        Some(id)
    );
    assert!(
        is_unusable(store.reset_password("r1", 2_000, "h").await),
        "expired"
    );
    assert_eq!(
        store.reset_password("r1", 1_500, "new-hash").await.unwrap(),
        id
    );
    assert_eq!(
        store
            .user_by_email("u@sas.test")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    assert!(
        store.session_user("s", 1_600).await.unwrap().is_none(),
        "sessions closed"
    );
    assert!(
        is_unusable(store.reset_password("r1", 1_600, "h").await),
        "used"
    );
    assert!(
        is_unusable(store.reset_password("r2", 1_600, "h").await),
        "the other links are used up"
    );
    // An invitation link is no reset link.
    store
        .insert_regulator(&regulator("x@sas.test"), &token("inv", 2_000))
        .await
        .unwrap();
    assert!(is_unusable(store.reset_password("inv", 1_500, "h").await));
}

async fn disabled_accounts_lose_their_sessions(store: Arc<Store>) {
    let id = user(store.as_ref(), "u@sas.test", Role::Regulator, None).await;
    store.insert_session("s", id, 1_000, 9_000).await.unwrap();
    store
        .insert_reset_token(id, &token("r", 2_000))
        .await
        .unwrap();
    assert!(store.disable_user(id).await.unwrap());
    assert!(!store.disable_user(id).await.unwrap(), "already disabled");
    assert!(
        store
            .user_by_email("u@sas.test")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );
    assert!(store.session_user("s", 1_500).await.unwrap().is_none());
    store.insert_session("s2", id, 1_000, 9_000).await.unwrap();
    assert!(
        store.session_user("s2", 1_500).await.unwrap().is_none(),
        "no session for a disabled account"
    );
    assert!(
        is_unusable(store.reset_password("r", 1_500, "h").await),
        "no reset either"
    );
}

async fn attempts_are_counted_per_key_within_the_window(store: Arc<Store>) {
    for at in [100, 200, 300] {
        store.record_attempt(&["a", "ip"], at, 0).await.unwrap();
    }
    store.record_attempt(&["b", "ip"], 400, 0).await.unwrap();
    assert_eq!(store.attempts("a", 0).await.unwrap(), 3);
    assert_eq!(store.attempts("a", 200).await.unwrap(), 2);
    assert_eq!(store.attempts("ip", 0).await.unwrap(), 4);
    assert_eq!(store.attempts("c", 0).await.unwrap(), 0);
    // Old attempts are forgotten when new ones come.
    store.record_attempt(&["ip"], 500, 350).await.unwrap();
    assert_eq!(store.attempts("ip", 0).await.unwrap(), 2);
}

async fn parallel_attempts_each_get_their_own_count(store: Arc<Store>) {
    let claims: Vec<_> = (0..40)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim_attempt("k", 1_000, 900).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for claim in claims {
        counts.push(claim.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=40).collect::<Vec<i64>>());
    // Within the window the count goes on; once it has passed, it starts again.
    assert_eq!(store.claim_attempt("k", 1_899, 900).await.unwrap(), 41);
    assert_eq!(store.claim_attempt("k", 1_900, 900).await.unwrap(), 1);
    assert_eq!(store.claim_attempt("other", 1_900, 900).await.unwrap(), 1);
    store.forget_attempts("k").await.unwrap();
    assert_eq!(store.claim_attempt("k", 1_901, 900).await.unwrap(), 1);
}

async fn expired_sessions_devices_and_windows_are_purged(store: Arc<Store>) {
    let user = user(&store, "r@sas.test", Role::Regulator, None).await;
    store.insert_session("old", user, 0, 100).await.unwrap();
    store.insert_session("live", user, 0, 10_000).await.unwrap();
    store.insert_session("idle", user, 0, 10_000).await.unwrap();
    store.touch_session("idle", 4_000).await.unwrap();
    // Used again 30 s later: the deadline stays (no write for less than a minute)…
    store.touch_session("idle", 4_030).await.unwrap();
    assert!(store.session_user("idle", 4_010).await.unwrap().is_none());
    store.insert_session("used", user, 0, 10_000).await.unwrap();
    store.touch_session("used", 4_000).await.unwrap();
    // …a minute or more later it moves.
    store.touch_session("used", 6_000).await.unwrap();
    store.trust_device("gone", user, 100).await.unwrap();
    store.trust_device("kept", user, 10_000).await.unwrap();
    store.claim_attempt("stale", 100, 900).await.unwrap();
    store.claim_attempt("fresh", 4_000, 900).await.unwrap();
    assert_eq!(store.purge_expired(5_000, 3_600).await.unwrap(), 4);
    assert!(store.session_user("used", 5_500).await.unwrap().is_some());
    assert!(store.session_user("old", 200).await.unwrap().is_none());
    assert!(store.session_user("live", 5_000).await.unwrap().is_some());
    assert_eq!(
        store.trusted_device("kept", 5_000).await.unwrap(),
        Some(user)
    );
    assert_eq!(store.trusted_device("gone", 50).await.unwrap(), None);
    assert_eq!(store.claim_attempt("fresh", 4_100, 900).await.unwrap(), 2);
}

async fn outbox_and_audit_log_list_newest_first(store: Arc<Store>) {
    for subject in ["premier", "second"] {
        store
            .queue_mail(&OutboxMail {
                created_at: 1_000,
                recipient: "r@sas.test",
                subject,
                body: "Bonjour",
            })
            .await
            .unwrap();
    }
    let mails = store.outbox(10).await.unwrap();
    assert_eq!(
        mails.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>(),
        ["second", "premier"]
    );
    assert_eq!(store.outbox(1).await.unwrap().len(), 1);
    let id = user(store.as_ref(), "u@sas.test", Role::Admin, None).await;
    for (user_id, action) in [(Some(id), "sign_in"), (None, "sign_in_failed")] {
        store
            .audit(&AuditEntry {
                at: 1_000,
                user_id,
                action,
                subject: "account",
                ip: Some("127.0.0.1"),
            })
            .await
            .unwrap();
    }
    let log = store.audit_log(10).await.unwrap();
    assert_eq!(log[0].action, "sign_in_failed");
    assert_eq!(log[1].user_email.as_deref(), Some("u@sas.test"));
    assert_eq!(log[1].ip.as_deref(), Some("127.0.0.1"));
}

// ---- The practitioner's agenda, on fixed dates of 2027 (DST changes on 28 March and 31 October).

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
    let absence_id = store.insert_absence(p, &absence, &MARCH).await.unwrap();
    assert_eq!(visible_on_23().await, ["10:40", "11:00", "11:20", "11:40"]);
    let slots = march_slots(store, p).await;
    assert_eq!(slots[0].slot_id, first, "the booked slot stays");
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
    assert_eq!(visible_on_23().await.len(), 8);
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
    let other_absence = store.insert_absence(other, &absence, &MARCH).await.unwrap();
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
    store.insert_absence(me, &absence, &MARCH).await.unwrap();
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
    assert_eq!(store.add_snp_reason(p).await.unwrap(), snp);
    assert!(
        !store.reasons(p).await.unwrap()[0].archived,
        "back from the archive"
    );

    let settings = crate::domain::practitioner::Settings {
        sas_registered: false,
        accepts_new_patients: true,
        booking_notice: "Sonnez à l'interphone.".into(),
        extra_fields: vec![crate::domain::practitioner::ExtraField::Email],
    };
    store.update_settings(p, &settings).await.unwrap();
    let profile = store.practitioner_profile(p).await.unwrap().unwrap();
    assert_eq!(
        (
            profile.sas_registered,
            profile.accepts_new_patients,
            profile.booking_notice.as_str(),
            profile.extra_fields.0
        ),
        (
            false,
            true,
            "Sonnez à l'interphone.",
            vec![ExtraField::Email]
        )
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

async fn registration_is_one_transaction(store: Arc<Store>) {
    let store = store.as_ref();
    user(store, "regulation@demo.test", Role::Regulator, None).await;
    let account = |email| NewUser {
        email,
        password_hash: "$argon2id$placeholder",
        role: Role::Practitioner,
        first_name: "Sophie",
        last_name: "Martin",
        practitioner_id: None,
        created_at: 0,
    };
    let id = store
        .register_practitioner(
            &practitioner("10000000009", "75", false, false),
            &account("sophie@exemple.fr"),
        )
        .await
        .unwrap();
    let user = store
        .user_by_email("sophie@exemple.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((user.id, user.role()), (id, Some(Role::Practitioner)));
    let practitioner_id = user.practitioner_id.expect("linked to the practitioner");
    assert!(
        store
            .practitioner_profile(practitioner_id)
            .await
            .unwrap()
            .is_some()
    );

    for (rpps, email, field) in [
        ("10000000108", "sophie@exemple.fr", Unique::Email),
        (
            "10000000108",
            "regulation@demo.test",
            Unique::RegulatorEmail,
        ),
        ("10000000009", "autre@exemple.fr", Unique::Rpps),
    ] {
        let refused = store
            .register_practitioner(&practitioner(rpps, "75", false, false), &account(email))
            .await;
        assert!(
            matches!(refused, Err(StoreError::Taken(f)) if f == field),
            "{field:?}: {refused:?}"
        );
    }
    assert!(
        store
            .user_by_email("autre@exemple.fr")
            .await
            .unwrap()
            .is_none()
    );
    // Nothing half-written: the RPPS refused above is still free.
    store
        .register_practitioner(
            &practitioner("10000000108", "75", false, false),
            &account("autre@exemple.fr"),
        )
        .await
        .unwrap();
}

mod booking;
mod search;
