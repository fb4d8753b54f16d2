//! The booking funnel on the server: holds a slot for a regulator, checks what was typed against
//! the slot as it is now and books it in one transaction, offers alternatives when it was taken,
//! and tells the practitioner by mail, and the patient when an e-mail address was given.

use super::appointments::{notify_patient_booked, notify_practitioner};
use crate::domain::agenda::{day_label_fr, time_label, when_label};
use crate::domain::booking::{
    Alternative, BookingRequest, Choices, Offer, OfferedReason, Question, SlotDetails,
};
use crate::domain::field::FieldError;
use crate::domain::ids::*;
use crate::domain::patient::{BirthPlace, PatientIdentity};
use crate::domain::practitioner::ExtraField;
use crate::error::AppError;
use crate::server::metrics::{self, Event};
use crate::server::store::{CandidateSlot, NewBooking, StoreError};
use crate::server::{auth, store};

const GONE: &str = "Ce créneau n'est plus disponible. Choisissez-en un autre dans la recherche.";

/// The slot, what it offers and what its practitioner requires, as read now.
async fn slot_offer(slot: &CandidateSlot) -> Result<(Offer, Vec<ExtraField>), AppError> {
    let store = store()?;
    let reasons = store.slot_reasons(slot.slot_id).await?;
    let questions = store.booking_questions(slot.practitioner_id).await?;
    let offer = Offer {
        mode: slot.mode,
        reasons: reasons
            .into_iter()
            .map(|r| OfferedReason {
                id: r.id,
                name: r.name,
                is_snp: r.is_snp,
                duration_minutes: r.duration_minutes,
                notice: r.notice,
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
    Ok((offer, slot.extra_fields.0.clone()))
}

/// Holds the slot for this regulator (others no longer see it) and returns what the funnel
/// needs.
pub async fn hold(regulator_id: UserId, slot_id: SlotId) -> Result<SlotDetails, AppError> {
    let state = crate::server::state()?;
    let now = crate::server::now();
    let expires_at = now + state.booking.hold_seconds;
    match state
        .store
        .hold_slot(slot_id, regulator_id, now, expires_at)
        .await
    {
        Ok(()) => {}
        Err(StoreError::SlotTaken) => return Err(AppError::NotFound(GONE.into())),
        Err(e) => return Err(e.into()),
    }
    let slot = state
        .store
        .candidate_slot(slot_id)
        .await?
        .ok_or_else(|| AppError::NotFound(GONE.into()))?;
    metrics::count(Event::Hold);
    describe(&slot, expires_at, now).await
}

/// The slot as the funnel shows it to this regulator, held or not (`hold_expires_at` 0 when
/// it is not theirs); reading it holds nothing. Gone if the rule no longer shows it to them.
pub async fn details(regulator_id: UserId, slot_id: SlotId) -> Result<SlotDetails, AppError> {
    let now = crate::server::now();
    let slot = store()?
        .candidate_slot(slot_id)
        .await?
        .filter(|slot| slot.visibility(now, Some(regulator_id)).is_some())
        .ok_or_else(|| AppError::NotFound(GONE.into()))?;
    let held_until = match (slot.held_by, slot.hold_expires_at) {
        (Some(by), Some(end)) if by == regulator_id && end > now => end,
        _ => 0,
    };
    describe(&slot, held_until, now).await
}

/// What the funnel shows of a slot held until `hold_expires_at`, at `now`.
async fn describe(
    slot: &CandidateSlot,
    hold_expires_at: i64,
    now: i64,
) -> Result<SlotDetails, AppError> {
    let (offer, extra_fields) = slot_offer(slot).await?;
    let start = chrono::DateTime::from_timestamp(slot.starts_at, 0).ok_or(AppError::Internal)?;
    Ok(SlotDetails {
        slot_id: slot.slot_id,
        practitioner: slot.practitioner_name(),
        specialty: slot.specialty.clone(),
        address: format!("{}, {} {}", slot.address, slot.postcode, slot.city),
        day: day_label_fr(start),
        time: time_label(start),
        notice: slot.booking_notice.clone(),
        offer,
        extra_fields,
        hold_expires_at,
        server_now: now,
        idempotency_key: auth::random_token(),
    })
}

/// Checks everything typed against the slot as it is now; all errors at once.
async fn check_request(
    request: &BookingRequest,
    slot: &CandidateSlot,
) -> Result<(Choices, PatientIdentity), AppError> {
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
    let mut patient = patient;
    if let Ok(identity) = &mut patient {
        errors.extend(birth_commune(identity).await?);
    }
    match (choices, patient) {
        (Ok(choices), Ok(patient)) if errors.is_empty() => Ok((choices, patient)),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// The key a form was made with (a second submit of it does nothing more).
pub(super) fn form_key(key: &str) -> Result<&str, AppError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(AppError::invalid(
            "idempotency_key",
            "Formulaire incomplet : rechargez la page.",
        ));
    }
    Ok(key)
}

/// The birth commune must exist, not only look like an INSEE code; its name becomes the
/// reference's, not what the browser sent.
pub(super) async fn birth_commune(
    identity: &mut PatientIdentity,
) -> Result<Option<FieldError>, AppError> {
    let Some(BirthPlace::France { insee, city }) = &mut identity.birth_place else {
        return Ok(None);
    };
    match store()?.commune(insee.as_str()).await? {
        Some(commune) => {
            *city = commune.name;
            Ok(None)
        }
        None => Ok(Some(FieldError {
            field: "birth_insee".into(),
            message: "Commune inconnue : choisissez la ville de naissance dans la liste.".into(),
        })),
    }
}

/// Books the slot this regulator holds for the patient, in one transaction, and mails the
/// practitioner. A second submit with the same key answers the same appointment.
pub async fn book(
    regulator_id: UserId,
    request: &BookingRequest,
) -> Result<AppointmentId, AppError> {
    let key = form_key(&request.idempotency_key)?;
    let store = store()?;
    let slot = store
        .candidate_slot(request.slot_id)
        .await?
        .ok_or(AppError::SlotTaken)?;
    let (choices, patient) = check_request(request, &slot).await?;
    let now = crate::server::now();
    let ip = auth::client_ip();
    let booking = NewBooking {
        slot_id: request.slot_id,
        regulator_id,
        idempotency_key: key,
        choices: &choices,
        patient: &patient,
        attachment: request.attachment.as_deref(),
        now,
        ip: ip.as_deref(),
    };
    let booked = match store.book(&booking).await {
        Ok(booked) => booked,
        Err(StoreError::SlotTaken) => return Err(AppError::SlotTaken),
        Err(StoreError::HoldExpired) => return Err(AppError::HoldExpired),
        Err(StoreError::UnknownAttachment) => {
            return Err(AppError::invalid(
                "attachment",
                "La pièce jointe n'est plus disponible : joignez-la de nouveau.",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    // The audit entry was written with the appointment.
    if booked.created {
        metrics::count(Event::Booking);
        notify_practitioner(booked.id, crate::server::mail::appointment_booked).await;
        notify_patient_booked(regulator_id, booked.id).await;
    }
    Ok(booked.id)
}

/// Up to three free slots like this one, nearest in time.
pub async fn alternatives(slot_id: SlotId) -> Result<Vec<Alternative>, AppError> {
    let found = store()?
        .alternatives(slot_id, crate::server::now(), 3)
        .await?;
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
