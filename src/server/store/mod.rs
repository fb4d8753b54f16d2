//! Persistence: one `Store` trait, a SQLite and a PostgreSQL backend sharing their SQL.

#[macro_use]
mod sql;
#[cfg(test)]
pub mod conformance;
mod postgres;
mod sqlite;

use crate::domain::Role;
use crate::domain::agenda::{Mode, RangeTimes};
use crate::domain::eligibility::ReasonFlags;
use crate::domain::patient::PatientIdentity;
use async_trait::async_trait;
use chrono::NaiveDate;
use std::sync::Arc;

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "adresse de base de données invalide « {0} » : attendu sqlite://chemin ou postgres://…"
    )]
    BadUrl(String),
    #[error("base de données injoignable : {0}")]
    Unreachable(String),
    #[error("migration impossible : {0}")]
    Migration(String),
    #[error("ce créneau est déjà réservé")]
    SlotTaken,
    #[error("erreur de base de données : {0}")]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Opens the database named by `url` (sqlite:… or postgres:…) and brings its schema up to date.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Err(StoreError::BadUrl(url.to_string()))
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub first_name: String,
    pub last_name: String,
    pub practitioner_id: Option<i64>,
}

impl UserRecord {
    pub fn role(&self) -> Option<Role> {
        Role::from_code(&self.role)
    }
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub practitioner_id: Option<i64>,
    pub created_at: i64,
}

pub struct NewPractitioner<'a> {
    pub rpps: &'a str,
    pub civility: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub specialty: &'a str,
    pub address: &'a str,
    pub postcode: &'a str,
    pub city: &'a str,
    pub insee_code: &'a str,
    pub departement: &'a str,
    pub latitude: f64,
    pub longitude: f64,
    /// E.164, or `None` when the practitioner gave no number.
    pub phone: Option<&'a str>,
    pub sas_registered: bool,
    pub accepts_new_patients: bool,
    pub booking_notice: &'a str,
}

pub struct NewReason<'a> {
    pub name: &'a str,
    pub duration_minutes: i64,
    pub flags: ReasonFlags,
}

pub struct NewRange<'a> {
    pub times: RangeTimes,
    pub mode: Mode,
    pub reason_ids: &'a [i64],
}

/// A slot with what the eligibility rule and the result card need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateSlot {
    pub slot_id: i64,
    pub range_id: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub mode: String,
    pub booked: bool,
    pub practitioner_id: i64,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub phone: Option<String>,
    pub sas_registered: bool,
    pub accepts_new_patients: bool,
    pub booking_notice: String,
    /// Filled from the range's reasons after the query.
    #[sqlx(skip)]
    pub reasons: Vec<ReasonFlags>,
}

pub struct NewBooking<'a> {
    pub slot_id: i64,
    pub regulator_id: i64,
    pub patient: &'a PatientIdentity,
    pub now: i64,
}

/// An appointment as its practitioner lists it, patient identity included.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppointmentRecord {
    pub id: i64,
    pub starts_at: i64,
    pub mode: String,
    pub status: String,
    pub patient_first_name: String,
    pub patient_last_name: String,
    pub patient_birth_name: String,
    pub patient_birth_date: String,
    pub patient_phone: String,
}

/// A commune of the place field.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct CommuneRecord {
    pub insee_code: String,
    pub name: String,
    pub departement: String,
    /// Space-separated.
    pub postcodes: String,
    pub population: i64,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DepartementRecord {
    pub code: String,
    pub name: String,
    /// The département's default search radius, if it has one.
    pub radius_km: Option<i64>,
}

/// Where the search looks for practitioners.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchArea {
    /// Around a point (latitude, longitude): at least every practitioner within the radius.
    Circle {
        center: (f64, f64),
        radius_km: f64,
    },
    Departement(String),
    /// The practitioners of a département who have video slots.
    VideoInDepartement(String),
}

/// Which slots count: those the eligibility rule opens to the SAS (stored with each slot),
/// free, starting in one of `intervals` (after now), in one of `modes`.
pub struct SlotFilter<'a> {
    pub specialty: &'a str,
    pub intervals: &'a [(i64, i64)],
    pub modes: &'a [Mode],
}

/// A SAS practitioner of a search area, with their visible free slots packed
/// (`domain::search::pack_slots`; `None` when they have none).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AreaPractitioner {
    pub id: i64,
    pub latitude: f64,
    pub longitude: f64,
    pub sas_slots: Option<Vec<u8>>,
}

/// What a result card shows of its practitioner.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CardPractitioner {
    pub id: i64,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub phone: Option<String>,
}

/// A slot on a result card; `sas_flags` is the stored verdict of the eligibility rule.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchSlot {
    pub id: i64,
    pub practitioner_id: i64,
    pub starts_at: i64,
    pub mode: String,
    pub sas_flags: i64,
}

/// Who did what to which record, and from where. Never patient data itself.
pub struct AuditEntry<'a> {
    pub at: i64,
    pub user_id: Option<i64>,
    pub action: &'a str,
    pub subject: &'a str,
    pub ip: Option<&'a str>,
}

#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> &'static str;

    // Accounts and sessions.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>>;
    async fn insert_user(&self, user: &NewUser<'_>) -> StoreResult<i64>;
    async fn insert_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    async fn session_user(&self, token_hash: &str, now: i64) -> StoreResult<Option<UserRecord>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;

    // Practitioners and their agendas.
    async fn insert_practitioner(&self, p: &NewPractitioner<'_>) -> StoreResult<i64>;
    async fn insert_reason(&self, practitioner_id: i64, reason: &NewReason<'_>)
    -> StoreResult<i64>;
    async fn insert_range(&self, practitioner_id: i64, range: &NewRange<'_>) -> StoreResult<i64>;
    /// Creates the missing slots of every range for the days `from..=to`, with the eligibility
    /// rule's verdict on their range; returns how many.
    async fn materialize_slots(&self, from: NaiveDate, to: NaiveDate) -> StoreResult<u64>;
    /// Re-evaluates the eligibility rule on every slot of a practitioner and repacks their
    /// visible free slots; to call after a change of their SAS settings, ranges, reasons or slots.
    async fn refresh_visibility(&self, practitioner_id: i64) -> StoreResult<()>;

    // Communes and départements (reference data from migrations/communes).
    async fn communes_version(&self) -> StoreResult<Option<String>>;
    /// Replaces the communes and départements in one transaction, and records their version.
    async fn replace_communes(
        &self,
        version: &str,
        departements: &[(String, String)],
        communes: &[CommuneRecord],
    ) -> StoreResult<()>;
    /// Communes whose name starts with the words of `text`, or whose postcode starts with
    /// its digits; most populated first.
    async fn find_communes(&self, text: &str, limit: i64) -> StoreResult<Vec<CommuneRecord>>;
    async fn commune(&self, insee_code: &str) -> StoreResult<Option<CommuneRecord>>;
    async fn departement(&self, code: &str) -> StoreResult<Option<DepartementRecord>>;

    // National search.
    /// The SAS practitioners of `specialty` in the area who have slots (all of them with
    /// `with_empty`), with their packed slots.
    async fn area_practitioners(
        &self,
        area: &SearchArea,
        specialty: &str,
        with_empty: bool,
    ) -> StoreResult<Vec<AreaPractitioner>>;
    /// The practitioners of the result cards and their slots that match `filter`, by time.
    async fn search_cards(
        &self,
        practitioner_ids: &[i64],
        filter: &SlotFilter<'_>,
    ) -> StoreResult<(Vec<CardPractitioner>, Vec<SearchSlot>)>;

    // Search and booking.
    /// Slots of SAS-registered practitioners of a département starting in `[from, to)`,
    /// with their range's reasons, for the eligibility rule to decide.
    async fn candidate_slots(
        &self,
        departement: &str,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<CandidateSlot>>;
    async fn candidate_slot(&self, slot_id: i64) -> StoreResult<Option<CandidateSlot>>;
    /// Books in one transaction, after `still_eligible` approved the slot as read inside it.
    async fn book(
        &self,
        booking: &NewBooking<'_>,
        still_eligible: &(dyn for<'s> Fn(&'s CandidateSlot) -> bool + Send + Sync),
    ) -> StoreResult<i64>;
    async fn practitioner_appointments(
        &self,
        practitioner_id: i64,
    ) -> StoreResult<Vec<AppointmentRecord>>;

    async fn audit(&self, entry: &AuditEntry<'_>) -> StoreResult<()>;

    /// Refreshes the planner's statistics (and PostgreSQL's visibility map) after a bulk load.
    async fn analyze(&self) -> StoreResult<()>;
}
