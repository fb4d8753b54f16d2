//! A slot the regulator chooses: holding it is a POST (`open_slot`) sent when they choose it
//! from the results, then the funnel opens. The funnel's address itself (a GET: a bookmark, a
//! new tab, a link from elsewhere) holds nothing; its page offers to hold the slot.

use crate::domain::booking::SlotDetails;
use crate::domain::ids::SlotId;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, services::booking, with_status};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Regulators only: holds the slot for this regulator (others no longer see it) and returns
/// what the funnel needs.
#[server(endpoint = "booking/open_slot")]
pub async fn open_slot(slot_id: SlotId) -> Result<SlotDetails, AppError> {
    with_status(async {
        let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
        booking::hold(regulator.id, slot_id).await
    })
    .await
}

/// The address of a slot's funnel.
pub fn funnel_href(slot_id: SlotId) -> String {
    format!("/rendez-vous/{slot_id}")
}

/// A link to a slot's funnel that holds the slot first (a POST), then opens the funnel. A
/// click that opens another tab or window only opens the page, which holds nothing.
#[component]
pub fn SlotLink(slot_id: SlotId, class: &'static str, children: Children) -> impl IntoView {
    let navigate = use_navigate();
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let elsewhere = ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.button() != 0;
        if elsewhere {
            return;
        }
        ev.prevent_default();
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            // Refused (just taken): the page says so and offers the way back.
            let _ = open_slot(slot_id).await;
            navigate(&funnel_href(slot_id), Default::default());
        });
    };
    view! {
        <a href=funnel_href(slot_id) class=class on:click=on_click>{children()}</a>
    }
}
