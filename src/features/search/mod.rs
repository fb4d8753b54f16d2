//! Regulators search the free slots that the eligibility rule opens to the SAS: around a
//! commune (by distance) or in a whole département (fair rotation), with the guide's filters.
//! The URL holds the whole search, so back / forward and sharing work.

mod view;

#[cfg(feature = "ssr")]
mod run;

use crate::domain::search::SearchParams;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, internal, store, with_status};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub use run::{practitioner_name, run_search, visibility};
pub use view::{PlaceField, SearchPage};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// The search as run: commune resolved, rotation seed and page set. Page links derive from it.
    pub params: SearchParams,
    /// "Lyon (69)" or "Rhône (69)".
    pub place: String,
    /// "dans un rayon de 10 km, par distance" or "dans tout le département, par rotation".
    pub scope: String,
    /// Set when a commune without known coordinates was searched département-wide.
    pub notice: Option<String>,
    pub practitioner_count: usize,
    pub slot_count: i64,
    /// From 1; `pages` is 0 when nothing was found.
    pub page: usize,
    pub pages: usize,
    pub cards: Vec<PractitionerCard>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PractitionerCard {
    pub id: i64,
    /// "Dr Sophie Martin"
    pub name: String,
    pub specialty: String,
    pub address: String,
    /// "3,2 km", for a search around a commune.
    pub distance: Option<String>,
    /// `tel:` target and display, or `None`: "N° de téléphone non renseigné".
    pub phone: Option<(String, String)>,
    /// Badges: some slot has « Soins non programmés » / is open to new patients.
    pub snp: bool,
    pub new_patients: bool,
    /// Only video slots are listed: the practitioner is beyond the radius.
    pub video_only: bool,
    pub days: Vec<DaySlots>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySlots {
    pub label: String,
    pub slots: Vec<SlotLink>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotLink {
    pub id: i64,
    pub time: String,
    pub mode: String,
}

/// A commune proposed by the place field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommuneOption {
    pub insee: String,
    pub name: String,
    pub departement: String,
    pub postcodes: String,
}

impl CommuneOption {
    /// "Lyon (69)", as the field shows it once chosen.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.departement)
    }
}

/// Regulators only: one page of results of the search the URL describes.
#[server]
pub async fn search(params: SearchParams) -> Result<SearchResults, AppError> {
    with_status(
        async {
            auth::require(&[crate::domain::Role::Regulator]).await?;
            let query = params.parse().map_err(AppError::Invalid)?;
            run_search(store()?.as_ref(), &params, &query, crate::server::now_utc()).await
        }
        .await,
    )
}

/// Regulators only: communes whose name or postcode starts with `text`, for the place field.
#[server]
pub async fn suggest_communes(text: String) -> Result<Vec<CommuneOption>, AppError> {
    with_status(
        async {
            auth::require(&[crate::domain::Role::Regulator]).await?;
            let found = store()?.find_communes(&text, 8).await.map_err(internal)?;
            Ok(found
                .into_iter()
                .map(|c| CommuneOption {
                    insee: c.insee_code,
                    name: c.name,
                    departement: c.departement,
                    postcodes: c.postcodes,
                })
                .collect())
        }
        .await,
    )
}
