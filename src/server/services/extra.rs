//! Surnuméraire on the server: the request form for a practitioner of the search, the request
//! checked and written with its patient, the practitioner's answer (accepted: an appointment
//! outside the agenda, told to the patient like a booking), the regulator's withdrawal, the
//! lists and one request's page (patient data: every read audited), the mails (no patient data)
//! and the job that closes unanswered requests.

use super::appointments::{birth_date_label, notify_patient_booked, patient_fields, patient_label};
use super::booking::{birth_commune, form_key};
use crate::domain::Role;
use crate::domain::agenda::{paris_today, time_label, when_label};
use crate::domain::extra::{
    ExtraForm, ExtraLine, ExtraRequestInput, ExtraStatus, ExtraView, decline_reason,
};
use crate::domain::identity::PhoneFr;
use crate::domain::ids::*;
use crate::domain::patient::PatientInput;
use crate::error::AppError;
use crate::server::jobs::Jobs;
use crate::server::mail;
use crate::server::metrics::{self, Event};
use crate::server::store::{
    ExtraChange, ExtraPractitioner, ExtraRecord, NewExtraRequest, PatientRecord, Store, StoreError,
    UserRecord,
};
use crate::server::{auth, store};
use std::sync::Arc;

const NOT_ASKABLE: &str = "Ce médecin ne reçoit pas de demande de surnuméraire par la \
     plateforme (il n'est pas inscrit au SAS ou son compte n'est pas confirmé) : appelez le cabinet.";

/// Other practitioners offered once a request is closed without an appointment.
const OTHERS_SHOWN: i64 = 5;

/// The practitioner if they may be asked: SAS-registered, with a confirmed active account.
async fn askable(id: PractitionerId) -> Result<(ExtraPractitioner, String), AppError> {
    let found = store()?
        .extra_practitioner(id)
        .await?
        .ok_or_else(|| AppError::NotFound("Médecin introuvable.".into()))?;
    match found.account_email.clone() {
        Some(email) if found.sas_registered => Ok((found, email)),
        _ => Err(AppError::NotFound(NOT_ASKABLE.into())),
    }
}

fn phone_link(phone: Option<&str>) -> Option<(String, String)> {
    let number = PhoneFr::from_e164(phone?).ok()?;
    Some((format!("tel:{}", number.e164()), number.display_fr()))
}

/// The patient as a previous request typed them, to ask another practitioner without typing
/// them again.
fn typed_again(p: &PatientRecord) -> PatientInput {
    let birth_place = match (&p.birth_insee, &p.birth_country) {
        (Some(_), _) => "france",
        (None, Some(_)) => "etranger",
        _ => "",
    };
    PatientInput {
        civility: p.civility.clone().unwrap_or_default(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        birth_name: p.birth_name.clone(),
        birth_date: birth_date_label(p),
        birth_place: birth_place.into(),
        birth_insee: p.birth_insee.clone().unwrap_or_default(),
        birth_city: p.birth_city.clone().unwrap_or_default(),
        birth_country: p.birth_country.clone().unwrap_or_default(),
        phone: p.phone.clone(),
        email: p.email.clone().unwrap_or_default(),
        address: p.address.clone().unwrap_or_default(),
        nir: p.nir.clone().unwrap_or_default(),
    }
}

/// The request form for `practitioner_id`; with `from`, a closed request of this regulator's
/// whose patient it is filled with (an audited read).
pub async fn form(
    regulator_id: UserId,
    practitioner_id: PractitionerId,
    from: Option<ExtraRequestId>,
) -> Result<ExtraForm, AppError> {
    let (p, _) = askable(practitioner_id).await?;
    let now = crate::server::now();
    let mut patient = None;
    if let Some(from) = from {
        let previous = store()?
            .extra_request(from)
            .await?
            .filter(|r| r.regulator_id == regulator_id && r.status_at(now).ask_another());
        if let Some(previous) = previous {
            auth::audit(
                Some(regulator_id),
                "patient_data_read",
                &format!("extra_request:{from}"),
            )
            .await?;
            patient = Some(typed_again(&previous.patient));
        }
    }
    Ok(ExtraForm {
        practitioner_id,
        practitioner: format!("Dr {} {}", p.first_name, p.last_name),
        specialty: p.specialty,
        address: format!("{}, {} {}", p.address, p.postcode, p.city),
        phone: phone_link(p.phone.as_deref()),
        extra_fields: p.extra_fields.0,
        answer_minutes: answer_seconds()? / 60,
        idempotency_key: auth::random_token(),
        today: paris_today(crate::server::now_utc()).to_string(),
        server_now: now,
        patient,
    })
}

fn answer_seconds() -> Result<i64, AppError> {
    Ok(crate::server::state()?.booking.extra_answer_seconds)
}

/// Checks and writes the request, then mails the practitioner (no patient data). A second
/// submit of the same form answers the same request.
pub async fn send_request(
    regulator_id: UserId,
    input: &ExtraRequestInput,
) -> Result<ExtraRequestId, AppError> {
    let key = form_key(&input.idempotency_key)?;
    let (p, practitioner_email) = askable(input.practitioner_id).await?;
    let now_utc = crate::server::now_utc();
    let proposal = input.proposal(now_utc);
    let patient = input
        .patient
        .validate(paris_today(now_utc), &p.extra_fields.0);
    let mut errors: Vec<_> = proposal.as_ref().err().cloned().unwrap_or_default();
    errors.extend(patient.as_ref().err().cloned().unwrap_or_default());
    let (Ok(proposal), Ok(mut patient)) = (proposal, patient) else {
        return Err(AppError::Invalid(errors));
    };
    if let Some(error) = birth_commune(&mut patient).await? {
        return Err(AppError::Invalid(vec![error]));
    }
    let now = now_utc.timestamp();
    let ip = auth::client_ip();
    let request = NewExtraRequest {
        regulator_id,
        practitioner_id: p.id,
        idempotency_key: key,
        patient: &patient,
        proposal: &proposal,
        now,
        expires_at: now + answer_seconds()?,
        ip: ip.as_deref(),
    };
    let (id, created) = store()?.create_extra_request(&request).await?;
    if created {
        let state = crate::server::state()?;
        let url = state.public_url.trim_end_matches('/');
        let deadline = chrono::DateTime::from_timestamp(request.expires_at, 0)
            .map(time_label)
            .unwrap_or_default();
        let mail = mail::extra_requested(
            &practitioner_email,
            &when_label(proposal.starts_at),
            &deadline,
            &format!("{url}/surnumeraires/{id}"),
        );
        if let Err(err) = state.mailer.send(state.store.as_ref(), &mail).await {
            tracing::error!("mail about extra request {id} not sent: {err}");
        }
    }
    Ok(id)
}

/// The request if `user` may read it: its regulator, its practitioner, an administrator.
async fn readable(user: &UserRecord, id: ExtraRequestId) -> Result<ExtraRecord, AppError> {
    let allowed = |r: &ExtraRecord| match user.role {
        Role::Admin => true,
        Role::Regulator => r.regulator_id == user.id,
        Role::Practitioner => user.practitioner_id == Some(r.practitioner_id),
        Role::Other => false,
    };
    store()?
        .extra_request(id)
        .await?
        .filter(allowed)
        .ok_or_else(|| AppError::NotFound("Demande de surnuméraire introuvable.".into()))
}

/// One request with its patient, for a reader allowed to see it (audited).
pub async fn view(user: &UserRecord, id: ExtraRequestId) -> Result<ExtraView, AppError> {
    let r = readable(user, id).await?;
    auth::audit(
        Some(user.id),
        "patient_data_read",
        &format!("extra_request:{id}"),
    )
    .await?;
    let status = r.status_at(crate::server::now());
    let pending = status == ExtraStatus::Pending;
    let others = if status.ask_another() && user.id == r.regulator_id {
        store()?
            .other_askable(r.practitioner_id, OTHERS_SHOWN)
            .await?
    } else {
        Vec::new()
    };
    Ok(ExtraView {
        id,
        status,
        practitioner: format!(
            "Dr {} {}",
            r.practitioner_first_name, r.practitioner_last_name
        ),
        address: format!(
            "{}, {} {}",
            r.practitioner_address, r.practitioner_postcode, r.practitioner_city
        ),
        phone: phone_link(r.practitioner_phone.as_deref()),
        when: when_label(r.starts_at),
        mode: r.mode.label().into(),
        regulator: format!("{} {}", r.regulator_first_name, r.regulator_last_name),
        expires: expires_label(&r),
        message: r.message.clone(),
        decline_reason: r.decline_reason.clone(),
        appointment_id: r.appointment_id,
        patient: patient_fields(&r.patient),
        can_answer: pending && user.practitioner_id == Some(r.practitioner_id),
        can_withdraw: pending && user.id == r.regulator_id,
        others,
    })
}

fn expires_label(r: &ExtraRecord) -> String {
    chrono::DateTime::from_timestamp(r.expires_at, 0)
        .map(time_label)
        .unwrap_or_default()
}

/// A regulator's requests, or those sent to a practitioner; newest first (patient names:
/// audited).
pub async fn lines(user: &UserRecord) -> Result<Vec<ExtraLine>, AppError> {
    let store = store()?;
    let (records, subject) = match (user.role, user.practitioner_id) {
        (Role::Practitioner, Some(p)) => (
            store.practitioner_extra_requests(p).await?,
            format!("extra_requests:practitioner:{p}"),
        ),
        _ => (
            store.regulator_extra_requests(user.id).await?,
            format!("extra_requests:regulator:{}", user.id),
        ),
    };
    auth::audit(Some(user.id), "patient_data_read", &subject).await?;
    let now = crate::server::now();
    Ok(records
        .iter()
        .map(|r| ExtraLine {
            id: r.id,
            when: when_label(r.starts_at),
            practitioner: format!(
                "Dr {} {}",
                r.practitioner_first_name, r.practitioner_last_name
            ),
            patient: patient_label(&r.patient),
            status: r.status_at(now),
            expires: expires_label(r),
        })
        .collect())
}

/// Why a request can no longer be answered or withdrawn, in the words of its status now.
async fn closed(id: ExtraRequestId, field: &str) -> AppError {
    let now = crate::server::now();
    let status = match store() {
        Ok(store) => store.extra_request(id).await.ok().flatten(),
        Err(_) => None,
    }
    .map(|r| r.status_at(now));
    let message = match status {
        Some(ExtraStatus::Expired) => "Le délai de réponse est dépassé : la demande a expiré.",
        Some(ExtraStatus::Withdrawn) => "Le régulateur a retiré cette demande.",
        _ => "Cette demande a déjà reçu une réponse.",
    };
    AppError::invalid(field, message)
}

/// The practitioner accepts: the appointment is booked outside the agenda; the regulator is
/// told (no patient data), and the patient like after a booking.
pub async fn accept(user: &UserRecord, id: ExtraRequestId) -> Result<AppointmentId, AppError> {
    let r = readable(user, id).await?;
    let practitioner = user.practitioner_id.ok_or(AppError::Forbidden)?;
    let ip = auth::client_ip();
    let answer = ExtraChange {
        by: user.id,
        now: crate::server::now(),
        ip: ip.as_deref(),
    };
    let appointment = match store()?
        .accept_extra_request(id, practitioner, &answer)
        .await
    {
        Ok(appointment) => appointment,
        Err(StoreError::NotFound) => return Err(closed(id, "answer").await),
        Err(e) => return Err(e.into()),
    };
    metrics::count(Event::Booking);
    tell_regulator(&r, true).await;
    notify_patient_booked(user.id, appointment).await;
    Ok(appointment)
}

/// The practitioner declines with a reason; the regulator is told (no patient data).
pub async fn decline(user: &UserRecord, id: ExtraRequestId, reason: &str) -> Result<(), AppError> {
    let r = readable(user, id).await?;
    let practitioner = user.practitioner_id.ok_or(AppError::Forbidden)?;
    let reason = decline_reason(reason).map_err(|m| AppError::invalid("decline_reason", m))?;
    let ip = auth::client_ip();
    let answer = ExtraChange {
        by: user.id,
        now: crate::server::now(),
        ip: ip.as_deref(),
    };
    match store()?
        .decline_extra_request(id, practitioner, &reason, &answer)
        .await
    {
        Ok(()) => {}
        Err(StoreError::NotFound) => return Err(closed(id, "decline_reason").await),
        Err(e) => return Err(e.into()),
    }
    tell_regulator(&r, false).await;
    Ok(())
}

/// The regulator withdraws their request while it waits.
pub async fn withdraw(user: &UserRecord, id: ExtraRequestId) -> Result<(), AppError> {
    readable(user, id).await?;
    let ip = auth::client_ip();
    let withdrawal = ExtraChange {
        by: user.id,
        now: crate::server::now(),
        ip: ip.as_deref(),
    };
    match store()?.withdraw_extra_request(id, &withdrawal).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(closed(id, "withdraw").await),
        Err(e) => Err(e.into()),
    }
}

/// Mails the regulator that the practitioner answered (no patient data); a failure is logged.
async fn tell_regulator(r: &ExtraRecord, accepted: bool) {
    let Ok(state) = crate::server::state() else {
        return;
    };
    let url = state.public_url.trim_end_matches('/');
    let mail = mail::extra_answered(
        &r.regulator_email,
        &r.regulator_first_name,
        &when_label(r.starts_at),
        &format!(
            "Dr {} {}",
            r.practitioner_first_name, r.practitioner_last_name
        ),
        accepted,
        &format!("{url}/surnumeraires/{}", r.id),
    );
    if let Err(err) = state.mailer.send(state.store.as_ref(), &mail).await {
        tracing::error!("mail about extra request {} not sent: {err}", r.id);
    }
}

/// Closes the requests left unanswered past their deadline, every minute (each audited).
pub fn expiry_job(jobs: &mut Jobs, store: Arc<Store>) {
    jobs.every(
        "extra_requests_expiry",
        std::time::Duration::from_secs(60),
        move || {
            let store = store.clone();
            async move {
                match store.expire_extra_requests(crate::server::now()).await {
                    Ok(expired) if !expired.is_empty() => {
                        tracing::info!("{} demandes de surnuméraire expirées", expired.len());
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!("extra requests expiry failed: {err}"),
                }
            }
        },
    );
}
