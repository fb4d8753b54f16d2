//! Persistence: one `Store` trait, a SQLite and a PostgreSQL backend sharing their SQL.

mod cells;
#[macro_use]
mod sql;
#[cfg(test)]
pub mod conformance;
mod postgres;
mod sqlite;

use crate::domain::Role;
use crate::domain::agenda::{Absence, Mode, RangeTimes};
use crate::domain::booking::Choices;
use crate::domain::eligibility::ReasonFlags;
use crate::domain::patient::PatientIdentity;
use crate::domain::practitioner::{ReasonForm, Settings};
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
    #[error("la réservation temporaire du créneau a expiré")]
    HoldExpired,
    #[error("pièce jointe introuvable")]
    UnknownAttachment,
    #[error("ce lien n'est plus utilisable")]
    TokenUnusable,
    #[error("élément introuvable pour ce praticien")]
    NotFound,
    #[error("cette plage chevauche une plage existante : {0}")]
    Overlap(String),
    #[error("motif inconnu ou archivé")]
    UnknownReason,
    /// A unique value already in use: `email`, `regulator_email` or `rpps`.
    #[error("déjà utilisé : {0}")]
    Taken(&'static str),
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
    pub profession: Option<String>,
    pub disabled: bool,
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

/// The days whose slots a change regenerates, and the instant before which nothing changes.
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Unix seconds: slots starting earlier are left as they are.
    pub now: i64,
}

/// A practitioner as their own settings page shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PractitionerProfile {
    pub id: i64,
    pub civility: String,
    pub first_name: String,
    pub last_name: String,
    pub specialty: String,
    pub sas_registered: bool,
    pub accepts_new_patients: bool,
    pub booking_notice: String,
    /// Comma-separated `ExtraField` codes.
    pub extra_fields: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReasonRecord {
    pub id: i64,
    pub name: String,
    pub duration_minutes: i64,
    pub open_to_new_patients: bool,
    pub bookable_online: bool,
    pub is_snp: bool,
    pub archived: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRecord {
    pub id: i64,
    pub times: RangeTimes,
    pub mode: Mode,
    pub reason_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AbsenceRecord {
    pub id: i64,
    pub starts_at: i64,
    pub ends_at: i64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuestionRecord {
    pub id: i64,
    pub label: String,
    pub required: bool,
}

/// A slot of the practitioner's week view, with its active appointment if any.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AgendaSlot {
    pub slot_id: i64,
    /// `None` once no range covers the slot any more (kept because it is booked).
    pub range_id: Option<i64>,
    pub starts_at: i64,
    pub ends_at: i64,
    pub mode: String,
    pub appointment_id: Option<i64>,
    pub appointment_status: Option<String>,
    pub appointment_reason: Option<String>,
    pub appointment_message: Option<String>,
    /// Attachments of the appointment (0 without one).
    pub appointment_files: i64,
    pub patient_first_name: Option<String>,
    pub patient_last_name: Option<String>,
    /// The active reasons of its range, filled after the query.
    #[sqlx(skip)]
    pub reasons: Vec<ReasonFlags>,
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
    /// The regulator holding the slot during a booking, and until when.
    pub held_by: Option<i64>,
    pub hold_expires_at: Option<i64>,
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
    pub departement: String,
    /// Patient fields required beyond the default five (`ExtraField::split`).
    pub extra_fields: String,
    /// Filled from the range's reasons after the query.
    #[sqlx(skip)]
    pub reasons: Vec<ReasonFlags>,
}

pub struct NewBooking<'a> {
    pub slot_id: i64,
    pub regulator_id: i64,
    /// One appointment per key and regulator, however many times the form is submitted.
    pub idempotency_key: &'a str,
    pub choices: &'a Choices,
    pub patient: &'a PatientIdentity,
    /// The token of an upload of this regulator's, to link to the appointment.
    pub attachment: Option<&'a str>,
    pub now: i64,
    /// The regulator's address, for the audit entry written in the same transaction.
    pub ip: Option<&'a str>,
}

/// The answer to a booking: the appointment, and whether this request created it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Booked {
    pub id: i64,
    pub created: bool,
}

/// An appointment with its patient, practitioner and regulator (patient data: audit reads).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AppointmentRecord {
    pub id: i64,
    pub slot_id: i64,
    pub starts_at: i64,
    pub mode: String,
    pub status: String,
    pub created_at: i64,
    pub reason_name: String,
    pub known_patient: Option<bool>,
    pub message: Option<String>,
    pub cancelled_at: Option<i64>,
    pub cancel_reason: Option<String>,
    pub practitioner_id: i64,
    pub practitioner_first_name: String,
    pub practitioner_last_name: String,
    pub practitioner_email: Option<String>,
    pub practitioner_address: String,
    pub practitioner_city: String,
    pub regulator_id: i64,
    pub regulator_first_name: String,
    pub regulator_last_name: String,
    pub patient_civility: Option<String>,
    pub patient_first_name: String,
    pub patient_last_name: String,
    pub patient_birth_name: String,
    pub patient_birth_date: String,
    pub patient_birth_insee: Option<String>,
    pub patient_birth_city: Option<String>,
    pub patient_birth_country: Option<String>,
    pub patient_phone: String,
    pub patient_email: Option<String>,
    pub patient_address: Option<String>,
    pub patient_nir: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnswerRecord {
    pub label: String,
    pub answer: String,
}

/// An uploaded file; `appointment_id` is set once a booking uses it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRecord {
    pub id: i64,
    pub token: String,
    pub regulator_id: i64,
    pub appointment_id: Option<i64>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

pub struct NewAttachment<'a> {
    pub token: &'a str,
    pub regulator_id: i64,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub now: i64,
}

/// A free slot offered instead of one just taken.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AlternativeRecord {
    pub slot_id: i64,
    pub starts_at: i64,
    pub mode: String,
    pub first_name: String,
    pub last_name: String,
    pub address: String,
    pub city: String,
}

/// A reason configured on a slot's range (for the funnel's « Motif de consultation »).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SlotReasonRecord {
    pub id: i64,
    pub name: String,
    pub is_snp: bool,
}

/// A regulator to invite, as the SAS platform created them.
pub struct NewRegulator<'a> {
    pub civility: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub departement: &'a str,
    pub invited_by: Option<i64>,
    pub invited_at: i64,
}

/// A single-use link: only the hash of its token is stored.
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A regulator with their invitation and, once created, their account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RegulatorRecord {
    pub id: i64,
    pub civility: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub departement: String,
    pub invited_at: i64,
    pub revoked_at: Option<i64>,
    pub user_id: Option<i64>,
    pub account_email: Option<String>,
    pub account_role: Option<String>,
    pub disabled: Option<bool>,
    /// Expiry of the newest unused invitation link, if any.
    pub invitation_expires_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRecord {
    pub purpose: String,
    pub regulator_id: Option<i64>,
    pub user_id: Option<i64>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// The account a regulator creates from their invitation.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub profession: &'a str,
    pub created_at: i64,
}

pub struct OutboxMail<'a> {
    pub created_at: i64,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRecord {
    pub id: i64,
    pub created_at: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRecord {
    pub at: i64,
    pub user_email: Option<String>,
    pub action: String,
    pub subject: String,
    pub ip: Option<String>,
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
    /// Disables an account and closes its sessions; false if it was already disabled.
    async fn disable_user(&self, user_id: i64) -> StoreResult<bool>;

    // Invitations, single-use links and password resets.
    /// Creates the regulator and their first invitation link; `Taken("email")` if the address
    /// already has an open invitation or account.
    async fn insert_regulator(
        &self,
        r: &NewRegulator<'_>,
        token: &NewToken<'_>,
    ) -> StoreResult<i64>;
    async fn regulators(&self) -> StoreResult<Vec<RegulatorRecord>>;
    async fn regulator(&self, id: i64) -> StoreResult<Option<RegulatorRecord>>;
    /// Replaces the unused links of a pending invitation by a new one; false if none is pending.
    async fn renew_invitation(&self, regulator_id: i64, token: &NewToken<'_>) -> StoreResult<bool>;
    /// Cancels a pending invitation and its links; false if none is pending.
    async fn revoke_invitation(&self, regulator_id: i64, now: i64) -> StoreResult<bool>;
    async fn account_token(&self, token_hash: &str) -> StoreResult<Option<TokenRecord>>;
    /// Uses the invitation link and creates the account, in one transaction:
    /// `TokenUnusable` if the link is used, expired or revoked, `Taken("email")` if the address is.
    async fn accept_invitation(
        &self,
        token_hash: &str,
        now: i64,
        account: &NewAccount<'_>,
    ) -> StoreResult<i64>;
    async fn insert_reset_token(&self, user_id: i64, token: &NewToken<'_>) -> StoreResult<()>;
    /// Uses the reset link, sets the new password and closes every session of the account.
    async fn reset_password(
        &self,
        token_hash: &str,
        now: i64,
        password_hash: &str,
    ) -> StoreResult<i64>;

    // Throttling (failed sign-ins, reset requests), shared by every application server.
    /// Records one attempt under each key, forgetting those older than `forget_before`.
    async fn record_attempt(&self, keys: &[&str], at: i64, forget_before: i64) -> StoreResult<()>;
    async fn attempts(&self, key: &str, since: i64) -> StoreResult<i64>;
    async fn clear_attempts(&self, key: &str) -> StoreResult<()>;

    // Outbox of the demo (no SMTP server configured).
    async fn queue_mail(&self, mail: &OutboxMail<'_>) -> StoreResult<()>;
    /// The newest mails first.
    async fn outbox(&self, limit: i64) -> StoreResult<Vec<OutboxRecord>>;

    // Practitioners and their agendas.
    async fn insert_practitioner(&self, p: &NewPractitioner<'_>) -> StoreResult<i64>;
    async fn insert_reason(&self, practitioner_id: i64, reason: &NewReason<'_>)
    -> StoreResult<i64>;
    async fn insert_range(&self, practitioner_id: i64, range: &NewRange<'_>) -> StoreResult<i64>;
    /// Creates the missing slots of every range for the days `from..=to`, outside absences and
    /// clear of existing slots, with the eligibility rule's verdict on their range; returns how many.
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
    /// `with_empty`), with their packed slots, read one row per practitioner (a circle gives its
    /// bounding box): the reference the tests hold `grid_practitioners` to.
    async fn area_practitioners(
        &self,
        area: &SearchArea,
        specialty: &str,
        with_empty: bool,
    ) -> StoreResult<Vec<AreaPractitioner>>;
    /// The SAS practitioners of `area` and `specialty` (exactly within a circle), read from the
    /// grid cells: what `area_practitioners` gives from one row per practitioner.
    async fn grid_practitioners(
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

    // A practitioner's own account and agenda: every method is scoped by `practitioner_id`
    // and answers `NotFound` for another practitioner's record.
    /// Creates the practitioner and their account in one transaction; `Taken` names the field.
    async fn register_practitioner(
        &self,
        practitioner: &NewPractitioner<'_>,
        account: &NewUser<'_>,
    ) -> StoreResult<i64>;
    async fn practitioner_profile(
        &self,
        practitioner_id: i64,
    ) -> StoreResult<Option<PractitionerProfile>>;
    async fn update_settings(&self, practitioner_id: i64, settings: &Settings) -> StoreResult<()>;
    /// Every reason, archived ones included, "Soins non programmés" first.
    async fn reasons(&self, practitioner_id: i64) -> StoreResult<Vec<ReasonRecord>>;
    /// The name of "Soins non programmés" never changes.
    async fn update_reason(
        &self,
        practitioner_id: i64,
        reason_id: i64,
        reason: &ReasonForm,
    ) -> StoreResult<()>;
    async fn set_reason_archived(
        &self,
        practitioner_id: i64,
        reason_id: i64,
        archived: bool,
    ) -> StoreResult<()>;
    /// Adds the built-in "Soins non programmés" reason, or brings it back from the archive.
    async fn add_snp_reason(&self, practitioner_id: i64) -> StoreResult<i64>;
    async fn ranges(&self, practitioner_id: i64) -> StoreResult<Vec<RangeRecord>>;
    /// In one transaction: replaces range `replace` (if any) by the first of `ranges` and adds
    /// the others, refusing overlaps (`Overlap`) and reasons not active (`UnknownReason`), then
    /// regenerates the free slots. Returns the ids of the ranges written.
    async fn save_ranges(
        &self,
        practitioner_id: i64,
        replace: Option<i64>,
        ranges: &[NewRange<'_>],
        horizon: &Horizon,
    ) -> StoreResult<Vec<i64>>;
    async fn delete_range(
        &self,
        practitioner_id: i64,
        range_id: i64,
        horizon: &Horizon,
    ) -> StoreResult<()>;
    /// Absences that end after `after` (Unix seconds), in time order.
    async fn absences(&self, practitioner_id: i64, after: i64) -> StoreResult<Vec<AbsenceRecord>>;
    async fn insert_absence(
        &self,
        practitioner_id: i64,
        absence: &Absence,
        horizon: &Horizon,
    ) -> StoreResult<i64>;
    async fn delete_absence(
        &self,
        practitioner_id: i64,
        absence_id: i64,
        horizon: &Horizon,
    ) -> StoreResult<()>;
    /// Active questions, in the order they were added.
    async fn booking_questions(&self, practitioner_id: i64) -> StoreResult<Vec<QuestionRecord>>;
    async fn insert_question(
        &self,
        practitioner_id: i64,
        label: &str,
        required: bool,
    ) -> StoreResult<i64>;
    async fn archive_question(&self, practitioner_id: i64, question_id: i64) -> StoreResult<()>;
    /// The practitioner's slots starting in `[from, to)`, booked or not, in time order.
    async fn agenda_slots(
        &self,
        practitioner_id: i64,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<AgendaSlot>>;

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
    /// The active reasons of the slot's range, "Soins non programmés" first.
    async fn slot_reasons(&self, slot_id: i64) -> StoreResult<Vec<SlotReasonRecord>>;
    /// Holds the slot for the regulator until `expires_at` (releasing the other slot they held),
    /// after `still_eligible` approved it as read inside the transaction; `SlotTaken` otherwise.
    async fn hold_slot(
        &self,
        slot_id: i64,
        regulator_id: i64,
        now: i64,
        expires_at: i64,
        still_eligible: &(dyn for<'s> Fn(&'s CandidateSlot) -> bool + Send + Sync),
    ) -> StoreResult<()>;
    /// Gives back a slot the regulator held; false if they held none.
    async fn release_hold(&self, slot_id: i64, regulator_id: i64) -> StoreResult<bool>;
    /// Gives back every slot whose hold ended by `now`; returns how many.
    async fn release_expired_holds(&self, now: i64) -> StoreResult<u64>;
    /// Books in one transaction: the slot must be approved by `still_eligible` as read inside
    /// it and held by this regulator (`HoldExpired` otherwise), with its audit entry. A key
    /// already used answers the appointment it created.
    async fn book(
        &self,
        booking: &NewBooking<'_>,
        still_eligible: &(dyn for<'s> Fn(&'s CandidateSlot) -> bool + Send + Sync),
    ) -> StoreResult<Booked>;
    /// Up to `limit` visible free slots like `slot_id` (same specialty, mode and département),
    /// nearest in time first.
    async fn alternatives(
        &self,
        slot_id: i64,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<AlternativeRecord>>;
    /// In time order.
    async fn practitioner_appointments(
        &self,
        practitioner_id: i64,
    ) -> StoreResult<Vec<AppointmentRecord>>;
    /// « Mes adressages »: newest first.
    async fn regulator_appointments(
        &self,
        regulator_id: i64,
    ) -> StoreResult<Vec<AppointmentRecord>>;
    async fn appointment(&self, id: i64) -> StoreResult<Option<AppointmentRecord>>;
    async fn appointment_answers(&self, id: i64) -> StoreResult<Vec<AnswerRecord>>;
    /// Cancels a booked appointment and frees its slot at once, with its audit entry (`by`, from
    /// `ip`) in the same transaction; `NotFound` if it is not booked.
    async fn cancel_appointment(
        &self,
        id: i64,
        reason: &str,
        now: i64,
        by: i64,
        ip: Option<&str>,
    ) -> StoreResult<()>;
    /// The practitioner's outcome (fulfilled / noshow) of one of their appointments.
    async fn set_outcome(
        &self,
        practitioner_id: i64,
        id: i64,
        status: &str,
        now: i64,
    ) -> StoreResult<()>;
    async fn insert_attachment(&self, attachment: &NewAttachment<'_>) -> StoreResult<i64>;
    async fn attachment(&self, token: &str) -> StoreResult<Option<AttachmentRecord>>;
    async fn appointment_attachments(&self, id: i64) -> StoreResult<Vec<AttachmentRecord>>;
    /// Forgets the uploads no booking used, sent before `before`; returns their tokens (files).
    async fn forget_unused_attachments(&self, before: i64) -> StoreResult<Vec<String>>;

    async fn audit(&self, entry: &AuditEntry<'_>) -> StoreResult<()>;
    /// The newest entries first.
    async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditRecord>>;

    /// Refreshes the planner's statistics (and PostgreSQL's visibility map) after a bulk load.
    async fn analyze(&self) -> StoreResult<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bad_urls_and_unreachable_databases_are_explained() {
        let err =
            |r: StoreResult<Arc<dyn Store>>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            err(connect("mysql://localhost/x").await)
                .starts_with("adresse de base de données invalide")
        );
        assert!(
            err(connect("sqlite:///proc/nulle-part/x.db").await)
                .starts_with("base de données injoignable")
        );
        // Port 1 on loopback: nothing listens there.
        let refused = err(connect("postgres://sas@127.0.0.1:1/sas").await);
        assert!(
            refused.starts_with("base de données injoignable"),
            "{refused}"
        );
        assert!(!refused.contains("timed out"), "{refused}");
    }
}
