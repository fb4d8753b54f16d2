//! Appointments once booked: the regulator's « Mes adressages » and the practitioner's « Mes
//! rendez-vous », one appointment's page for those who may read it, its cancellation and its
//! outcome, « à replanifier » and its acknowledgement, and the mails: the practitioner's, the
//! regulator's, the patient's. Every read of patient data is audited, a mail to the patient too.

use crate::domain::Role;
use crate::domain::agenda::when_label;
use crate::domain::appointment::{AppointmentLine, AppointmentView, AttachmentLink, ReferralLine};
use crate::domain::appointment::{AppointmentStatus, Reschedule, status_label};
use crate::domain::identity::Phone;
use crate::domain::ids::*;
use crate::error::AppError;
use crate::server::mail::{self, Mail};
use crate::server::metrics::{self, Event};
use crate::server::store::{
    AppointmentRecord, Cancellation, PatientRecord, StoreError, UserRecord,
};
use crate::server::{auth, store};

/// "Marie DURAND (naissance : MARTIN)"
pub(super) fn patient_label(p: &PatientRecord) -> String {
    let born = if p.birth_name != p.last_name {
        format!(" (naissance : {})", p.birth_name.to_uppercase())
    } else {
        String::new()
    };
    format!("{} {}{born}", p.first_name, p.last_name.to_uppercase())
}

/// "21/11/1952"
pub(super) fn birth_date_label(p: &PatientRecord) -> String {
    chrono::NaiveDate::parse_from_str(&p.birth_date, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// The patient's phone as it is shown ("06 45 37 26 53"), or as stored if it does not parse.
fn phone_label(p: &PatientRecord) -> String {
    Phone::parse(&p.phone).map_or_else(|_| p.phone.clone(), |n| n.display())
}

/// A regulator's bookings, newest first (patient names: audited).
pub async fn regulator_lines(regulator_id: UserId) -> Result<Vec<ReferralLine>, AppError> {
    let records = store()?.regulator_appointments(regulator_id).await?;
    auth::audit(
        Some(regulator_id),
        "patient_data_read",
        &format!("appointments:regulator:{regulator_id}"),
    )
    .await?;
    Ok(records
        .iter()
        .map(|a| ReferralLine {
            id: a.id,
            when: when_label(a.starts_at),
            practitioner: format!(
                "Dr {} {}",
                a.practitioner_first_name, a.practitioner_last_name
            ),
            patient: patient_label(&a.patient),
            reason: a.reason_name.clone(),
            status: status_label(a.status, a.reschedule()).into(),
            to_acknowledge: a.to_acknowledge().map(|r| r.label().into()),
        })
        .collect())
}

/// The regulator acknowledges their appointments « à replanifier »: one, or all.
pub async fn acknowledge(
    regulator_id: UserId,
    only: Option<AppointmentId>,
) -> Result<(), AppError> {
    let done = store()?
        .acknowledge_reschedules(regulator_id, only, crate::server::now())
        .await?;
    match (done, only) {
        (0, Some(_)) => Err(AppError::NotFound(
            "Aucun rendez-vous à replanifier à prendre en compte.".into(),
        )),
        _ => Ok(()),
    }
}

/// A practitioner's own appointments, patient identity included (audited as `user_id`).
pub async fn practitioner_lines(
    user_id: UserId,
    practitioner_id: PractitionerId,
) -> Result<Vec<AppointmentLine>, AppError> {
    let records = store()?.practitioner_appointments(practitioner_id).await?;
    auth::audit(
        Some(user_id),
        "patient_data_read",
        &format!("appointments:practitioner:{practitioner_id}"),
    )
    .await?;
    Ok(records
        .iter()
        .map(|a| AppointmentLine {
            id: a.id,
            when: when_label(a.starts_at),
            mode: a.mode.label().into(),
            status: a.status.label().into(),
            reason: a.reason_name.clone(),
            patient: patient_label(&a.patient),
            birth_date: birth_date_label(&a.patient),
            phone: (format!("tel:{}", a.patient.phone), phone_label(&a.patient)),
        })
        .collect())
}

/// The appointment if `user` may read it: the regulator who booked it, its practitioner, an
/// administrator. Anyone else is told it does not exist.
async fn readable(user: &UserRecord, id: AppointmentId) -> Result<AppointmentRecord, AppError> {
    let appointment = store()?.appointment(id).await?;
    let allowed = |a: &AppointmentRecord| match user.role {
        Role::Admin => true,
        Role::Regulator => a.regulator_id == user.id,
        Role::Practitioner => user.practitioner_id == Some(a.practitioner_id),
        Role::Other => false,
    };
    appointment
        .filter(allowed)
        .ok_or_else(|| AppError::NotFound("Rendez-vous introuvable.".into()))
}

/// (label, value) of the patient's identity, in the funnel's order.
pub(super) fn patient_fields(p: &PatientRecord) -> Vec<(String, String)> {
    let birth_place = match (&p.birth_insee, &p.birth_country) {
        (Some(insee), _) => Some(format!(
            "Né(e) en France — {} ({insee})",
            p.birth_city.clone().unwrap_or_default()
        )),
        (None, Some(country)) => Some(format!("Né(e) à l'étranger — {country}")),
        _ => None,
    };
    [
        ("Civilité", p.civility.clone()),
        ("Prénom du patient", Some(p.first_name.clone())),
        ("Nom du patient", Some(p.last_name.clone())),
        ("Nom de naissance du patient", Some(p.birth_name.clone())),
        ("Date de naissance du patient", Some(birth_date_label(p))),
        ("Lieu de naissance du patient", birth_place),
        ("Téléphone du patient", Some(phone_label(p))),
        ("Email du patient", p.email.clone()),
        ("Adresse postale du patient", p.address.clone()),
        ("Numéro de sécurité sociale du patient", p.nir.clone()),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label.to_string(), v)))
    .collect()
}

fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} ko", (bytes + 1023) / 1024)
    }
}

/// One appointment with its patient, for a reader allowed to see it (audited).
pub async fn detail(user: &UserRecord, id: AppointmentId) -> Result<AppointmentView, AppError> {
    let a = readable(user, id).await?;
    let store = store()?;
    let answers = store.appointment_answers(id).await?;
    let files = store.appointment_attachments(id).await?;
    auth::audit(
        Some(user.id),
        "patient_data_read",
        &format!("appointment:{id}"),
    )
    .await?;
    let booked = a.status == AppointmentStatus::Booked;
    let future = a.starts_at > crate::server::now();
    Ok(AppointmentView {
        id,
        when: when_label(a.starts_at),
        practitioner: format!(
            "Dr {} {}",
            a.practitioner_first_name, a.practitioner_last_name
        ),
        place: format!("{}, {}", a.practitioner_address, a.practitioner_city),
        regulator: format!("{} {}", a.regulator_first_name, a.regulator_last_name),
        mode: a.mode.label().into(),
        status: status_label(a.status, a.reschedule()).into(),
        reason: a.reason_name.clone(),
        known_patient: a.known_patient,
        message: a.message.clone(),
        cancel_reason: a.cancel_reason.clone(),
        patient: patient_fields(&a.patient),
        phone_href: format!("tel:{}", a.patient.phone),
        answers: answers.into_iter().map(|r| (r.label, r.answer)).collect(),
        attachments: files
            .into_iter()
            .map(|f| AttachmentLink {
                href: format!("/pieces-jointes/{}", f.token),
                name: f.file_name,
                size: size_label(f.size_bytes),
            })
            .collect(),
        can_cancel: booked && future && matches!(user.role, Role::Regulator | Role::Admin),
        can_set_outcome: a.status != AppointmentStatus::Cancelled
            && user.role == Role::Practitioner,
    })
}

/// Cancels a future appointment `user` may read, with a reason; the slot is back in the search
/// at once and the practitioner and the patient are told by mail.
pub async fn cancel(user: &UserRecord, id: AppointmentId, reason: &str) -> Result<(), AppError> {
    let a = readable(user, id).await?;
    let reason = crate::domain::booking::cancel_reason(reason)
        .map_err(|m| AppError::invalid("cancel_reason", m))?;
    if a.starts_at <= crate::server::now() {
        return Err(AppError::invalid(
            "cancel_reason",
            "Ce rendez-vous est passé : il ne peut plus être annulé.",
        ));
    }
    let ip = auth::client_ip();
    let cancellation = Cancellation {
        reason: &reason,
        reschedule: None,
        now: crate::server::now(),
        by: Some(user.id),
        ip: ip.as_deref(),
    };
    match store()?.cancel_appointment(id, &cancellation).await {
        Ok(()) => {}
        Err(StoreError::NotFound) => {
            return Err(AppError::invalid(
                "cancel_reason",
                "Ce rendez-vous est déjà annulé.",
            ));
        }
        Err(e) => return Err(e.into()),
    }
    // The audit entry was written with the cancellation.
    metrics::count(Event::Cancellation);
    notify_practitioner(id, crate::server::mail::appointment_cancelled).await;
    notify_patient_cancelled(user.id, id).await;
    Ok(())
}

/// The practitioner's outcome: honoré / non honoré (once its time has come) or annulé (which
/// frees the slot and makes it « à replanifier »: the regulator and the patient are told).
pub async fn set_outcome(
    user: &UserRecord,
    id: AppointmentId,
    status: &str,
) -> Result<(), AppError> {
    let a = readable(user, id).await?;
    let now = crate::server::now();
    let status = AppointmentStatus::from_code(status)
        .filter(|s| *s != AppointmentStatus::Booked)
        .ok_or_else(|| AppError::invalid("outcome", "Choisissez le résultat du rendez-vous."))?;
    let store = store()?;
    let done = match status {
        AppointmentStatus::Cancelled => {
            let ip = auth::client_ip();
            let cancellation = Cancellation {
                reason: Reschedule::PractitionerCancelled.label(),
                reschedule: Some(Reschedule::PractitionerCancelled),
                now,
                by: Some(user.id),
                ip: ip.as_deref(),
            };
            store.cancel_appointment(id, &cancellation).await
        }
        _ if a.starts_at > now => {
            return Err(AppError::invalid(
                "outcome",
                "Un rendez-vous se déclare honoré ou non honoré une fois son heure passée.",
            ));
        }
        _ => {
            store
                .set_outcome(a.practitioner_id, id, status.code(), now)
                .await
        }
    };
    done.map_err(|e| match e {
        StoreError::NotFound => AppError::invalid("outcome", "Ce rendez-vous est annulé."),
        e => e.into(),
    })?;
    // A cancellation wrote its audit entry with it.
    if status == AppointmentStatus::Cancelled {
        metrics::count(Event::Cancellation);
        notify_rescheduled(user.id, id).await;
    } else {
        auth::audit(
            Some(user.id),
            &format!("appointment_{}", status.code()),
            &format!("appointment:{id}"),
        )
        .await?;
    }
    Ok(())
}

/// Sends `mail` about appointment `id`; a failure is logged (without the mail, and without the
/// server's answer for a patient's: it may quote the address), what was done stands.
async fn send(id: AppointmentId, mail: &Mail, to_patient: bool) {
    let Ok(state) = crate::server::state() else {
        return;
    };
    match state.mailer.send(state.store.as_ref(), mail).await {
        Ok(()) => {}
        Err(_) if to_patient => tracing::error!("patient mail about appointment {id} not sent"),
        Err(err) => tracing::error!("mail about appointment {id} not sent: {err}"),
    }
}

/// The appointment and the base of the links, for its mails; `None` if either is missing.
async fn for_mail(id: AppointmentId) -> Option<(AppointmentRecord, String)> {
    let state = crate::server::state().ok()?;
    let appointment = state.store.appointment(id).await.ok()??;
    Some((
        appointment,
        state.public_url.trim_end_matches('/').to_string(),
    ))
}

/// The patient's address, once the mail to it is audited as `by`'s (it is patient data).
async fn patient_address(by: UserId, a: &AppointmentRecord) -> Option<String> {
    let to = a.patient.email.clone()?;
    let subject = format!("appointment:{}", a.id);
    match auth::audit(Some(by), "patient_mail_sent", &subject).await {
        Ok(()) => Some(to),
        Err(_) => {
            tracing::error!(
                "patient mail for appointment {} not audited: not sent",
                a.id
            );
            None
        }
    }
}

fn practitioner_name(a: &AppointmentRecord) -> String {
    format!(
        "Dr {} {}",
        a.practitioner_first_name, a.practitioner_last_name
    )
}

/// The patient's confirmation with its `.ics`, when the regulator typed an e-mail address.
pub(super) async fn notify_patient_booked(by: UserId, id: AppointmentId) {
    let Some((a, url)) = for_mail(id).await else {
        return;
    };
    let Some(to) = patient_address(by, &a).await else {
        return;
    };
    let Some(start) = chrono::DateTime::from_timestamp(a.starts_at, 0) else {
        return;
    };
    let practitioner = practitioner_name(&a);
    let address = format!(
        "{}, {} {}",
        a.practitioner_address, a.practitioner_postcode, a.practitioner_city
    );
    let phone = a
        .practitioner_phone
        .as_deref()
        .map(|p| Phone::parse(p).map_or_else(|_| p.to_string(), |p| p.display()));
    let details = mail::PatientAppointment {
        day: &crate::domain::agenda::day_label_fr(start),
        time: &crate::domain::agenda::time_label(start),
        practitioner: &practitioner,
        address: &address,
        mode: a.mode.label(),
        notice: &a.practitioner_notice,
        phone: phone.as_deref(),
    };
    let ics = patient_calendar(&a, &url, false);
    send(id, &mail::patient_booked(&to, &details, ics), true).await;
}

/// The appointment as the patient's calendar file: confirmed, or `cancelled` (same UID).
fn patient_calendar(a: &AppointmentRecord, url: &str, cancelled: bool) -> String {
    let host = url.split("://").last().unwrap_or_default();
    let host = host.split(['/', ':']).next().unwrap_or_default();
    let description = match a.practitioner_notice.trim() {
        "" => format!("Type de consultation : {}", a.mode.label()),
        notice => format!("Type de consultation : {}\n{notice}", a.mode.label()),
    };
    crate::server::ics::calendar(&crate::server::ics::Event {
        uid: &format!("rendez-vous-{}@{host}", a.id),
        stamp: crate::server::now(),
        start: a.starts_at,
        end: a.ends_at,
        summary: &format!("Rendez-vous médical — {}", practitioner_name(a)),
        location: &format!(
            "{}, {} {}",
            a.practitioner_address, a.practitioner_postcode, a.practitioner_city
        ),
        description: &description,
        cancelled,
    })
}

/// The patient's notice of a cancellation (by the SAS: no regulator's reason in it).
async fn notify_patient_cancelled(by: UserId, id: AppointmentId) {
    let Some((a, url)) = for_mail(id).await else {
        return;
    };
    let Some(to) = patient_address(by, &a).await else {
        return;
    };
    let by_practitioner = a.reschedule().is_some();
    let mail = mail::patient_cancelled(
        &to,
        &when_label(a.starts_at),
        &practitioner_name(&a),
        by_practitioner,
        patient_calendar(&a, &url, true),
    );
    send(id, &mail, true).await;
}

/// An appointment the practitioner cancelled or was absent for: the regulator who booked it is
/// told (no patient data), and the patient.
pub(super) async fn notify_rescheduled(by: UserId, id: AppointmentId) {
    let Some((a, url)) = for_mail(id).await else {
        return;
    };
    let reason = a.reschedule().map_or("", Reschedule::label);
    let mail = mail::appointment_to_reschedule(
        &a.regulator_email,
        &a.regulator_first_name,
        &when_label(a.starts_at),
        &practitioner_name(&a),
        &reason.to_lowercase(),
        &format!("{url}/adressages/{id}"),
    );
    send(id, &mail, false).await;
    notify_patient_cancelled(by, id).await;
}

/// Mails the practitioner of the appointment (no patient data); a failure is logged, the
/// booking stands.
pub(super) async fn notify_practitioner(id: AppointmentId, compose: fn(&str, &str, &str) -> Mail) {
    let Some((a, url)) = for_mail(id).await else {
        return;
    };
    let Some(to) = a.practitioner_email.as_deref() else {
        return;
    };
    let mail = compose(
        to,
        &when_label(a.starts_at),
        &format!("{url}/adressages/{id}"),
    );
    send(id, &mail, false).await;
}
