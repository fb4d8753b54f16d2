//! The booking funnel ("funnel d'adressage"): a regulator holds a slot, books it for a patient,
//! finds it again in « Mes adressages » and may cancel it; the practitioner reads it and sets
//! its outcome.

mod funnel;
pub mod referrals;

pub use funnel::BookingPage;
pub use referrals::{AppointmentPage, ReferralsPage};

use crate::domain::booking::{Alternative, BookingRequest, SlotDetails};
use crate::domain::ids::{AppointmentId, SlotId};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, services::booking, store, with_status};
use leptos::prelude::*;

/// Regulators only: the slot as the funnel shows it, held by this regulator or not. Reading it
/// holds nothing: the page of a slot, opened by its address, changes no state.
#[server(endpoint = "booking/show_slot")]
pub async fn show_slot(slot_id: SlotId) -> Result<SlotDetails, AppError> {
    with_status(async {
        let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
        booking::details(regulator.id, slot_id).await
    })
    .await
}

/// Regulators only: gives back a slot they held (the funnel's « Annuler »).
#[server(endpoint = "booking/release_slot")]
pub async fn release_slot(slot_id: SlotId) -> Result<(), AppError> {
    with_status(async {
        let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
        store()?.release_hold(slot_id, regulator.id).await?;
        Ok(())
    })
    .await
}

/// Regulators only: books the held slot for the patient, in one transaction. The practitioner
/// is told by mail. A second submit with the same key answers the same appointment.
#[server(endpoint = "booking/book_slot")]
pub async fn book_slot(request: BookingRequest) -> Result<AppointmentId, AppError> {
    with_status(async {
        let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
        booking::book(regulator.id, &request).await
    })
    .await
}

/// Regulators only: up to three free slots like this one, nearest in time.
#[server(endpoint = "booking/slot_alternatives")]
pub async fn slot_alternatives(slot_id: SlotId) -> Result<Vec<Alternative>, AppError> {
    with_status(async {
        auth::require(&[crate::domain::Role::Regulator]).await?;
        booking::alternatives(slot_id).await
    })
    .await
}
