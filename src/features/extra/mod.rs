//! Surnuméraire: from the search, a regulator asks a practitioner to see a patient beyond the
//! agenda at a proposed time (the funnel's patient form); the practitioner, told by mail,
//! accepts or declines on the request's page within the set time; the regulator follows it
//! there and, when it closes without an appointment, asks another practitioner.

mod pages;

pub use pages::{ExtraListPage, ExtraPage, NewExtraPage};

use crate::domain::extra::{ExtraForm, ExtraLine, ExtraRequestInput, ExtraView};
use crate::domain::ids::{AppointmentId, ExtraRequestId, PractitionerId};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{
    domain::Role,
    server::{auth, services::extra, with_status},
};
use leptos::prelude::*;

/// Regulators only: the request form for a practitioner of the search; with `from`, filled
/// with the patient of one of their closed requests (an audited read).
#[server(endpoint = "extra/form")]
pub async fn new_request_form(
    practitioner_id: PractitionerId,
    from: Option<ExtraRequestId>,
) -> Result<ExtraForm, AppError> {
    with_status(async {
        let regulator = auth::require(&[Role::Regulator]).await?;
        extra::form(regulator.id, practitioner_id, from).await
    })
    .await
}

/// Regulators only: sends the request; the practitioner is told by mail. A second submit of
/// the same form answers the same request.
#[server(endpoint = "extra/send")]
pub async fn send_extra_request(request: ExtraRequestInput) -> Result<ExtraRequestId, AppError> {
    with_status(async {
        let regulator = auth::require(&[Role::Regulator]).await?;
        extra::send_request(regulator.id, &request).await
    })
    .await
}

/// Its regulator, its practitioner or an administrator: one request with its patient (audited).
#[server(endpoint = "extra/show")]
pub async fn extra_request(id: ExtraRequestId) -> Result<ExtraView, AppError> {
    with_status(async {
        let user = auth::require(&[Role::Regulator, Role::Practitioner, Role::Admin]).await?;
        extra::view(&user, id).await
    })
    .await
}

/// A regulator's requests, or those a practitioner received; newest first (audited).
#[server(endpoint = "extra/list")]
pub async fn extra_requests() -> Result<Vec<ExtraLine>, AppError> {
    with_status(async {
        let user = auth::require(&[Role::Regulator, Role::Practitioner]).await?;
        extra::lines(&user).await
    })
    .await
}

/// The practitioner asked: accepts; the appointment is booked outside the agenda.
#[server(endpoint = "extra/accept")]
pub async fn accept_extra_request(id: ExtraRequestId) -> Result<AppointmentId, AppError> {
    with_status(async {
        let user = auth::require(&[Role::Practitioner]).await?;
        extra::accept(&user, id).await
    })
    .await
}

/// The practitioner asked: declines, with a reason.
#[server(endpoint = "extra/decline")]
pub async fn decline_extra_request(id: ExtraRequestId, reason: String) -> Result<(), AppError> {
    with_status(async {
        let user = auth::require(&[Role::Practitioner]).await?;
        extra::decline(&user, id, &reason).await
    })
    .await
}

/// Its regulator: withdraws the request while it waits.
#[server(endpoint = "extra/withdraw")]
pub async fn withdraw_extra_request(id: ExtraRequestId) -> Result<(), AppError> {
    with_status(async {
        let user = auth::require(&[Role::Regulator]).await?;
        extra::withdraw(&user, id).await
    })
    .await
}
