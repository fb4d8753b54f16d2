//! The booking funnel ("funnel d'adressage"): a regulator holds a slot, books it for a patient,
//! finds it again in « Mes adressages » and may cancel it; the practitioner reads it and sets
//! its outcome.

mod funnel;
pub mod referrals;

pub use funnel::BookingPage;
#[cfg(feature = "ssr")]
pub use referrals::patient_label;
pub use referrals::{AppointmentPage, ReferralsPage};

use crate::domain::booking::{ChoicesInput, Offer};
use crate::domain::patient::PatientInput;
use crate::domain::practitioner::ExtraField;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, internal, store, with_status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the funnel shows of the slot being booked, and what it lets the regulator choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotDetails {
    pub slot_id: i64,
    pub practitioner: String,
    pub specialty: String,
    pub address: String,
    pub day: String,
    pub time: String,
    /// "À lire avant de prendre un rendez-vous".
    pub notice: String,
    pub offer: Offer,
    /// Patient fields this practitioner requires beyond the default five.
    pub extra_fields: Vec<ExtraField>,
    /// When the hold ends (Unix seconds).
    pub hold_expires_at: i64,
    /// The server's clock when it answered (Unix seconds): the page's countdown and today's
    /// date follow the server's time, which is authoritative, not the browser's clock.
    pub server_now: i64,
    /// Sent back with the booking: a second submit of this funnel books nothing more.
    pub idempotency_key: String,
}

/// Everything the funnel sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BookingRequest {
    pub slot_id: i64,
    /// Made once per form: a second submit of the same form books nothing more.
    pub idempotency_key: String,
    pub choices: ChoicesInput,
    pub patient: PatientInput,
    /// The token of an uploaded attachment.
    pub attachment: Option<String>,
}

/// A free slot offered when the chosen one was just taken.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub slot_id: i64,
    /// "Dr Anne Martin — mardi 1 décembre à 10:30"
    pub label: String,
    pub place: String,
}

#[cfg(feature = "ssr")]
const GONE: &str = "Ce créneau n'est plus disponible. Choisissez-en un autre dans la recherche.";

/// "lundi 30 novembre à 09:00", in Paris time.
#[cfg(feature = "ssr")]
pub fn when_label(starts_at: i64) -> String {
    use crate::domain::agenda::{day_label_fr, time_label};
    chrono::DateTime::from_timestamp(starts_at, 0)
        .map(|t| format!("{} à {}", day_label_fr(t), time_label(t)))
        .unwrap_or_default()
}

/// The slot, what it offers and what its practitioner requires, as read now.
#[cfg(feature = "ssr")]
async fn slot_offer(
    slot: &crate::server::store::CandidateSlot,
) -> Result<(Offer, Vec<ExtraField>), AppError> {
    use crate::domain::agenda::Mode;
    use crate::domain::booking::{OfferedReason, Question};
    let store = store()?;
    let reasons = store.slot_reasons(slot.slot_id).await.map_err(internal)?;
    let questions = store
        .booking_questions(slot.practitioner_id)
        .await
        .map_err(internal)?;
    let offer = Offer {
        mode: Mode::from_code(&slot.mode).ok_or(AppError::Internal)?,
        reasons: reasons
            .into_iter()
            .map(|r| OfferedReason {
                id: r.id,
                name: r.name,
                is_snp: r.is_snp,
            })
            .collect(),
        questions: questions
            .into_iter()
            .map(|q| Question {
                id: q.id,
                label: q.label,
                required: q.required,
            })
            .collect(),
    };
    Ok((offer, ExtraField::split(&slot.extra_fields)))
}

/// Regulators only: holds the slot for this regulator (others no longer see it) and returns
/// what the funnel needs.
#[server(endpoint = "booking/open_slot")]
pub async fn open_slot(slot_id: i64) -> Result<SlotDetails, AppError> {
    use crate::features::search::{practitioner_name, visibility};
    use crate::server::store::StoreError;
    with_status(
        async {
            let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
            // The page holds the slot as it renders: a link from another site (which carries
            // the session cookie) must not hold slots in the regulator's name.
            if auth::from_another_site() {
                return Err(AppError::NotFound(
                    "Pour réserver ce créneau, ouvrez-le depuis la recherche de la plateforme."
                        .into(),
                ));
            }
            let state = crate::server::state()?;
            let now = crate::server::now();
            let expires_at = now + state.booking.hold_seconds;
            let eligible = |s: &crate::server::store::CandidateSlot| {
                visibility(s, now, Some(regulator.id)).is_some()
            };
            match state
                .store
                .hold_slot(slot_id, regulator.id, now, expires_at, &eligible)
                .await
            {
                Ok(()) => {}
                Err(StoreError::SlotTaken) => return Err(AppError::NotFound(GONE.into())),
                Err(e) => return Err(internal(e)),
            }
            let slot = state
                .store
                .candidate_slot(slot_id)
                .await
                .map_err(internal)?
                .ok_or_else(|| AppError::NotFound(GONE.into()))?;
            let (offer, extra_fields) = slot_offer(&slot).await?;
            let start =
                chrono::DateTime::from_timestamp(slot.starts_at, 0).ok_or(AppError::Internal)?;
            Ok(SlotDetails {
                slot_id,
                practitioner: practitioner_name(&slot),
                specialty: slot.specialty.clone(),
                address: format!("{}, {} {}", slot.address, slot.postcode, slot.city),
                day: crate::domain::agenda::day_label_fr(start),
                time: crate::domain::agenda::time_label(start),
                notice: slot.booking_notice.clone(),
                offer,
                extra_fields,
                hold_expires_at: expires_at,
                server_now: crate::server::now(),
                idempotency_key: auth::random_token(),
            })
        }
        .await,
    )
}

/// Regulators only: gives back a slot they held (the funnel's « Annuler »).
#[server(endpoint = "booking/release_slot")]
pub async fn release_slot(slot_id: i64) -> Result<(), AppError> {
    with_status(
        async {
            let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
            store()?
                .release_hold(slot_id, regulator.id)
                .await
                .map_err(internal)?;
            Ok(())
        }
        .await,
    )
}

/// Checks everything typed against the slot as it is now; all errors at once.
#[cfg(feature = "ssr")]
async fn check_request(
    request: &BookingRequest,
    slot: &crate::server::store::CandidateSlot,
) -> Result<
    (
        crate::domain::booking::Choices,
        crate::domain::patient::PatientIdentity,
    ),
    AppError,
> {
    let (offer, extra) = slot_offer(slot).await?;
    let today = crate::domain::agenda::paris_today(crate::server::now_utc());
    let choices = request.choices.validate(&offer);
    let patient = request.patient.validate(today, &extra);
    let mut errors = Vec::new();
    if let Err(found) = &choices {
        errors.extend(found.iter().cloned());
    }
    if let Err(found) = &patient {
        errors.extend(found.iter().cloned());
    }
    // The birth commune must exist, not only look like an INSEE code; its name is the
    // reference's, not what the browser sent.
    let mut patient = patient;
    if let Ok(identity) = &mut patient
        && let Some(crate::domain::patient::BirthPlace::France { insee, city }) =
            &mut identity.birth_place
    {
        match store()?.commune(insee.as_str()).await.map_err(internal)? {
            Some(commune) => *city = commune.name,
            None => errors.push(crate::domain::patient::FieldError {
                field: "birth_insee".into(),
                message: "Commune inconnue : choisissez la ville de naissance dans la liste."
                    .into(),
            }),
        }
    }
    match (choices, patient) {
        (Ok(choices), Ok(patient)) if errors.is_empty() => Ok((choices, patient)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Regulators only: books the held slot for the patient, in one transaction. The practitioner
/// is told by mail. A second submit with the same key answers the same appointment.
#[server(endpoint = "booking/book_slot")]
pub async fn book_slot(request: BookingRequest) -> Result<i64, AppError> {
    use crate::features::search::visibility;
    use crate::server::store::{NewBooking, StoreError};
    with_status(
        async {
            let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
            let key = request.idempotency_key.trim();
            if key.is_empty() || key.len() > 100 {
                return Err(AppError::invalid(
                    "idempotency_key",
                    "Formulaire incomplet : rechargez la page.",
                ));
            }
            let store = store()?;
            let slot = store
                .candidate_slot(request.slot_id)
                .await
                .map_err(internal)?
                .ok_or(AppError::SlotTaken)?;
            let (choices, patient) = check_request(&request, &slot).await?;
            let now = crate::server::now();
            let ip = auth::client_ip();
            let booking = NewBooking {
                slot_id: request.slot_id,
                regulator_id: regulator.id,
                idempotency_key: key,
                choices: &choices,
                patient: &patient,
                attachment: request.attachment.as_deref(),
                now,
                ip: ip.as_deref(),
            };
            let eligible = |s: &crate::server::store::CandidateSlot| {
                visibility(s, now, Some(regulator.id)).is_some()
            };
            let booked = match store.book(&booking, &eligible).await {
                Ok(booked) => booked,
                Err(StoreError::SlotTaken) => return Err(AppError::SlotTaken),
                Err(StoreError::HoldExpired) => return Err(AppError::HoldExpired),
                Err(StoreError::UnknownAttachment) => {
                    return Err(AppError::invalid(
                        "attachment",
                        "La pièce jointe n'est plus disponible : joignez-la de nouveau.",
                    ));
                }
                Err(e) => return Err(internal(e)),
            };
            // The audit entry was written with the appointment.
            if booked.created {
                notify_practitioner(booked.id, crate::server::mail::appointment_booked).await;
            }
            Ok(booked.id)
        }
        .await,
    )
}

/// Mails the practitioner of the appointment (no patient data); a failure is logged, the
/// booking stands.
#[cfg(feature = "ssr")]
async fn notify_practitioner(id: i64, compose: fn(&str, &str, &str) -> crate::server::mail::Mail) {
    let Ok(state) = crate::server::state() else {
        return;
    };
    let Ok(Some(appointment)) = state.store.appointment(id).await else {
        return;
    };
    let Some(to) = appointment.practitioner_email.as_deref() else {
        return;
    };
    let link = format!("{}/adressages/{id}", state.public_url.trim_end_matches('/'));
    let mail = compose(to, &when_label(appointment.starts_at), &link);
    if let Err(err) = state.mailer.send(state.store.as_ref(), &mail).await {
        tracing::error!("appointment mail for appointment {id} not sent: {err}");
    }
}

/// Regulators only: up to three free slots like this one, nearest in time.
#[server(endpoint = "booking/slot_alternatives")]
pub async fn slot_alternatives(slot_id: i64) -> Result<Vec<Alternative>, AppError> {
    with_status(
        async {
            auth::require(&[crate::domain::Role::Regulator]).await?;
            let found = store()?
                .alternatives(slot_id, crate::server::now(), 3)
                .await
                .map_err(internal)?;
            Ok(found
                .into_iter()
                .map(|a| Alternative {
                    slot_id: a.slot_id,
                    label: format!(
                        "Dr {} {} — {}",
                        a.first_name,
                        a.last_name,
                        when_label(a.starts_at)
                    ),
                    place: format!("{}, {}", a.address, a.city),
                })
                .collect())
        }
        .await,
    )
}
