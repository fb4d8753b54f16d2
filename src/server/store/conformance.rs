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
use crate::domain::participation::SasStatus;
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

conformance!();

/// A regulator's cancellation (nothing « à replanifier »).
fn cancellation<'a>(
    reason: &'a str,
    now: i64,
    by: UserId,
    ip: Option<&'a str>,
) -> Cancellation<'a> {
    Cancellation {
        reason,
        reschedule: None,
        now,
        by: Some(by),
        ip,
    }
}

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
        position_source: crate::domain::place::PositionSource::Commune,
        phone: Some("+33142000000"),
        sas_status: if sas {
            SasStatus::Approved
        } else {
            SasStatus::None
        },
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
            email_verified_at: Some(0),
            departement: None,
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
                notice: "",
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
            duration_minutes: 20,
            notice: String::new(),
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

/// A practitioner with a range (`practitioner_with_range`, SNP), their account
/// (`p@demo.test`) and a regulator's (`r@demo.test`).
async fn practice(store: &Store) -> (PractitionerId, UserId, UserId) {
    let (id, _) = practitioner_with_range(store, "10000000009", SNP).await;
    let doctor = user(store, "p@demo.test", Role::Practitioner, Some(id)).await;
    let regulator = user(store, "r@demo.test", Role::Regulator, None).await;
    (id, doctor, regulator)
}

/// [`future_slots`] a regulator who holds nothing sees, in time order.
async fn visible_slots(store: &Store) -> Vec<CandidateSlot> {
    future_slots(store)
        .await
        .into_iter()
        .filter(visible)
        .collect()
}

/// Slots starting in an hour or more: none of them starts while the test runs.
async fn future_slots(store: &Store) -> Vec<CandidateSlot> {
    let now = Utc::now().timestamp();
    store
        .candidate_slots("75", now + 3600, now + 4 * 86_400)
        .await
        .expect("candidates")
}

mod accounts;
mod agenda;
mod booking;
mod extra;
mod indicators;
mod journal;
mod participation;
mod reschedule;
mod search;
