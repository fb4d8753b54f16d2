//! Participation in the SAS: the practitioner asks or withdraws; the SAS administration of
//! their département (or a national administrator) approves, refuses, suspends or reinstates,
//! with a mail to the practitioner, and to the regulators who booked with them on a suspension.

use super::accounts::rpps_check;
use super::admin::date_time;
use crate::domain::ids::{PractitionerId, UserId};
use crate::domain::participation::{
    Decision, ParticipationLine, ParticipationView, SasStatus, check_reason,
};
use crate::error::AppError;
use crate::server::store::{ParticipationRecord, UserRecord};
use crate::server::{AppState, auth, mail, now, state, store};

/// Where a practitioner reads their participation.
pub const PARTICIPATION_PATH: &str = "/agenda/parametres";
/// Where a regulator reads the appointments they booked.
const REFERRALS_PATH: &str = "/adressages";

pub async fn view(practitioner_id: PractitionerId) -> Result<ParticipationView, AppError> {
    let record = store()?
        .participation(practitioner_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    Ok(ParticipationView {
        status: record.sas_status,
        reason: record.sas_status_reason,
        since: record.sas_status_at.map(date_time),
    })
}

/// « Je participe au SAS »: the practitioner asks; the administration decides.
pub async fn request(user_id: UserId, practitioner_id: PractitionerId) -> Result<(), AppError> {
    let from = [SasStatus::None, SasStatus::Refused];
    change_own(practitioner_id, &from, SasStatus::Requested).await?;
    auth::audit(
        Some(user_id),
        "participation_requested",
        &format!("practitioner:{practitioner_id}"),
    )
    .await
}

/// The practitioner stops participating (or cancels their request): their slots leave the
/// search at once.
pub async fn withdraw(user_id: UserId, practitioner_id: PractitionerId) -> Result<(), AppError> {
    let from = [SasStatus::Requested, SasStatus::Approved];
    change_own(practitioner_id, &from, SasStatus::None).await?;
    auth::audit(
        Some(user_id),
        "participation_withdrawn",
        &format!("practitioner:{practitioner_id}"),
    )
    .await
}

async fn change_own(
    practitioner_id: PractitionerId,
    from: &[SasStatus],
    to: SasStatus,
) -> Result<(), AppError> {
    let changed = store()?
        .set_participation(practitioner_id, from, to, None, now())
        .await?;
    if !changed {
        return Err(AppError::NotFound(
            "Votre participation a changé entre-temps : la page est mise à jour.".into(),
        ));
    }
    Ok(())
}

/// May this administrator decide for practitioners of `departement`?
fn answers_for(admin: &UserRecord, departement: &str) -> bool {
    admin
        .departement
        .as_deref()
        .is_none_or(|d| d == departement)
}

/// The practitioners the administrator answers for who asked to participate, pending
/// requests first, each with what the national directory says of their RPPS number.
pub async fn lines(admin: &UserRecord) -> Result<Vec<ParticipationLine>, AppError> {
    let store = store()?;
    let records = store.participations(admin.departement.as_deref()).await?;
    let mut lines = Vec::with_capacity(records.len());
    for r in records {
        let check = rpps_check(&store, &r.rpps, &r.first_name, &r.last_name).await?;
        lines.push(line(r, check));
    }
    Ok(lines)
}

fn line(r: ParticipationRecord, check: crate::domain::rpps::RppsCheck) -> ParticipationLine {
    ParticipationLine {
        practitioner_id: r.practitioner_id,
        name: format!("Dr {} {}", r.first_name, r.last_name),
        specialty: r.specialty,
        rpps: r.rpps,
        email: r.email,
        place: format!("{} ({})", r.city, r.departement),
        status: r.sas_status,
        reason: r.sas_status_reason,
        since: r.sas_status_at.map(date_time),
        email_confirmed: r.email_verified_at.is_some(),
        check,
    }
}

/// Applies the administrator's decision, then tells the practitioner (and, on a suspension,
/// the regulators with appointments still to come). Returns what the administrator reads.
pub async fn decide(
    admin: &UserRecord,
    practitioner_id: PractitionerId,
    decision: Decision,
    reason: &str,
) -> Result<&'static str, AppError> {
    let reason = check_reason(decision, reason).map_err(AppError::Invalid)?;
    let state = state()?;
    let not_found =
        || AppError::NotFound("Cette demande a déjà été traitée ou n'existe plus.".into());
    let record = state
        .store
        .participation(practitioner_id)
        .await?
        .filter(|r| answers_for(admin, &r.departement))
        .ok_or_else(not_found)?;
    let from: Vec<SasStatus> = SasStatus::ALL
        .into_iter()
        .filter(|s| decision.apply(*s).is_some())
        .collect();
    let to = decision.apply(record.sas_status).ok_or_else(not_found)?;
    let changed = state
        .store
        .set_participation(practitioner_id, &from, to, reason.as_deref(), now())
        .await?;
    if !changed {
        return Err(not_found());
    }
    auth::audit(
        Some(admin.id),
        decision.audit_action(),
        &format!("practitioner:{practitioner_id}"),
    )
    .await?;
    tell(&state, &record, to, reason.as_deref()).await?;
    Ok(decision.done())
}

/// The mails of a decision, sent in the background: the decision stands whatever happens to
/// them (a failure is logged without the message).
async fn tell(
    state: &AppState,
    record: &ParticipationRecord,
    to: SasStatus,
    reason: Option<&str>,
) -> Result<(), AppError> {
    let url = state.public_url.trim_end_matches('/');
    let mut mails = vec![mail::participation_decided(
        &record.email,
        &record.first_name,
        to,
        reason,
        &format!("{url}{PARTICIPATION_PATH}"),
    )];
    if to == SasStatus::Suspended {
        let name = format!("Dr {} {}", record.first_name, record.last_name);
        let regulators = state
            .store
            .regulators_with_upcoming(record.practitioner_id, now())
            .await?;
        mails.extend(regulators.iter().map(|r| {
            mail::practitioner_suspended(
                &r.email,
                &r.first_name,
                &name,
                &format!("{url}{REFERRALS_PATH}"),
            )
        }));
    }
    let state = state.clone();
    let practitioner_id = record.practitioner_id;
    tokio::spawn(async move {
        for mail in mails {
            if let Err(err) = state.mailer.send(state.store.as_ref(), &mail).await {
                tracing::error!(
                    "participation mail about practitioner {practitioner_id} not sent: {err}"
                );
            }
        }
    });
    Ok(())
}
