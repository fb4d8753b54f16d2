//! Regulators search the free slots that the eligibility rule opens to the SAS: around a
//! commune (by distance) or in a whole département (fair rotation), with the guide's filters.
//! The URL holds the whole search, so back / forward and sharing work.

mod view;

use crate::domain::search::{SearchParams, SearchResults};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, services, store, with_status};
use leptos::prelude::*;

pub use view::SearchPage;

/// Regulators only: one page of results of the search the URL describes. Without a place, the
/// regulator's own département (rotation order); `None` when they have none.
#[server]
pub async fn search(params: SearchParams) -> Result<Option<SearchResults>, AppError> {
    with_status(async {
        let user = auth::require(&[crate::domain::Role::Regulator]).await?;
        let mut params = params;
        if !params.has_place() {
            let Some(departement) = user.departement else {
                return Ok(None);
            };
            params.departement = departement;
        }
        let query = params.parse().map_err(AppError::Invalid)?;
        let results = services::search::run_search(
            store()?.as_ref(),
            &params,
            &query,
            crate::server::now_utc(),
        )
        .await?;
        crate::server::metrics::count(crate::server::metrics::Event::Search);
        Ok(Some(results))
    })
    .await
}
