//! Regulators search the free slots that the eligibility rule opens to the SAS.

use crate::components::ErrorAlert;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, internal, store, with_status};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde::{Deserialize, Serialize};

/// How far ahead the search looks: today, tomorrow and the day after (72 h).
pub const WINDOW_HOURS: i64 = 72;

/// The départements that have SAS practitioners in the demo, for the search form.
pub const DEPARTEMENTS: [(&str, &str); 3] =
    [("75", "Paris"), ("69", "Rhône"), ("35", "Ille-et-Vilaine")];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub departement: String,
    pub slot_count: usize,
    pub practitioners: Vec<PractitionerCard>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PractitionerCard {
    pub id: i64,
    /// "Dr Sophie Martin"
    pub name: String,
    pub specialty: String,
    pub address: String,
    /// `tel:` target and display, or `None`: "N° de téléphone non renseigné".
    pub phone: Option<(String, String)>,
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
    pub snp: bool,
    pub new_patients: bool,
}

/// Regulators only: the eligible slots of a département in the next 72 hours.
#[server]
pub async fn search_slots(departement: String) -> Result<SearchResults, AppError> {
    with_status(
        async {
            auth::require(&[crate::domain::Role::Regulator]).await?;
            let departement = crate::domain::identity::Departement::parse(&departement)
                .map_err(|message| AppError::invalid("departement", message))?;
            let now = crate::server::now();
            let candidates = store()?
                .candidate_slots(departement.as_str(), now, now + WINDOW_HOURS * 3600)
                .await
                .map_err(internal)?;
            Ok(results::build(departement.as_str(), candidates, now))
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
mod results {
    use super::*;
    use crate::domain::agenda::{Mode, day_label_fr, time_label};
    use crate::domain::eligibility::{SasVisibility, SlotFacts, SlotState, sas_visibility};
    use crate::domain::identity::PhoneFr;
    use crate::server::store::CandidateSlot;
    use chrono::DateTime;

    /// What the rule says of a candidate slot at `now`.
    pub fn visibility(slot: &CandidateSlot, now: i64) -> Option<SasVisibility> {
        sas_visibility(&SlotFacts {
            sas_registered: slot.sas_registered,
            accepts_new_patients: slot.accepts_new_patients,
            reasons: &slot.reasons,
            state: if slot.booked {
                SlotState::Booked
            } else {
                SlotState::Free
            },
            starts_in_future: slot.starts_at > now,
        })
    }

    pub fn practitioner_name(slot: &CandidateSlot) -> String {
        format!("Dr {} {}", slot.first_name, slot.last_name)
    }

    /// Keeps the eligible slots and groups them by practitioner (first slot first), then by day.
    pub fn build(departement: &str, candidates: Vec<CandidateSlot>, now: i64) -> SearchResults {
        let mut cards: Vec<PractitionerCard> = Vec::new();
        let mut slot_count = 0;
        for slot in candidates {
            let Some(why) = visibility(&slot, now) else {
                continue;
            };
            let Some(start) = DateTime::from_timestamp(slot.starts_at, 0) else {
                continue;
            };
            slot_count += 1;
            let index = match cards.iter().position(|c| c.id == slot.practitioner_id) {
                Some(index) => index,
                None => {
                    cards.push(card(&slot));
                    cards.len() - 1
                }
            };
            let days = &mut cards[index].days;
            let label = day_label_fr(start);
            if days.last().is_none_or(|d| d.label != label) {
                days.push(DaySlots {
                    label,
                    slots: Vec::new(),
                });
            }
            days.last_mut().expect("pushed above").slots.push(SlotLink {
                id: slot.slot_id,
                time: time_label(start),
                mode: Mode::from_code(&slot.mode)
                    .map_or("", Mode::label)
                    .to_string(),
                snp: why.snp,
                new_patients: why.new_patients,
            });
        }
        SearchResults {
            departement: departement.to_string(),
            slot_count,
            practitioners: cards,
        }
    }

    fn card(slot: &CandidateSlot) -> PractitionerCard {
        PractitionerCard {
            id: slot.practitioner_id,
            name: practitioner_name(slot),
            specialty: slot.specialty.clone(),
            address: format!("{}, {} {}", slot.address, slot.postcode, slot.city),
            phone: slot
                .phone
                .as_deref()
                .and_then(|p| PhoneFr::from_e164(p).ok())
                .map(|p| (format!("tel:{}", p.e164()), p.display_fr())),
            days: Vec::new(),
        }
    }
}

#[cfg(feature = "ssr")]
pub use results::{practitioner_name, visibility};

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let departement = move || query.read().get("departement").unwrap_or_default();
    // Without JavaScript the form is a plain GET; with it, the router navigates.
    let chosen = RwSignal::new(String::new());
    let navigate = use_navigate();
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let code = chosen.get_untracked();
        let code = if code.is_empty() { departement() } else { code };
        navigate(
            &format!("/recherche?departement={code}"),
            Default::default(),
        );
    };
    let results = Resource::new(departement, |d| async move {
        if d.is_empty() {
            Ok(None)
        } else {
            search_slots(d).await.map(Some)
        }
    });
    view! {
        <Title text="Rechercher un créneau" />
        <h1>"Rechercher un créneau"</h1>
        <p>
            "Les créneaux proposés sont ceux des médecins inscrits au SAS, disponibles dans les "
            "72 prochaines heures : ouverts aux nouveaux patients et réservables en ligne, ou "
            "paramétrés avec le motif « Soins non programmés »."
        </p>
        <form method="get" action="/recherche" on:submit=on_submit>
            <div class="fr-grid-row fr-grid-row--gutters fr-grid-row--bottom">
                <div class="fr-col-12 fr-col-md-6">
                    <div class="fr-select-group">
                        <label class="fr-label" for="departement">"Département"</label>
                        <select class="fr-select" id="departement" name="departement"
                            on:change=move |ev| chosen.set(event_target_value(&ev))>
                            <option value="" disabled selected=move || departement().is_empty()>
                                "Choisissez un département"
                            </option>
                            {DEPARTEMENTS.iter().map(|(code, name)| view! {
                                <option value=*code selected=move || departement() == *code>
                                    {format!("{code} — {name}")}
                                </option>
                            }).collect_view()}
                        </select>
                    </div>
                </div>
                <div class="fr-col-12 fr-col-md-3">
                    <button type="submit" class="fr-btn fr-icon-search-line fr-btn--icon-left">"Rechercher"</button>
                </div>
            </div>
        </form>
        <Transition fallback=|| view! { <p>"Recherche en cours…"</p> }>
            {move || results.get().map(|r| match r {
                Ok(Some(results)) => view! { <Results results /> }.into_any(),
                Ok(None) => ().into_any(),
                Err(e) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Results(results: SearchResults) -> impl IntoView {
    let summary = format!(
        "{} praticien{} et {} créneau{} disponible{}",
        results.practitioners.len(),
        if results.practitioners.len() > 1 {
            "s"
        } else {
            ""
        },
        results.slot_count,
        if results.slot_count > 1 { "x" } else { "" },
        if results.slot_count > 1 { "s" } else { "" },
    );
    view! {
        <h2 class="fr-mt-5w" aria-live="polite" id="resultats">{summary}</h2>
        <ul class="result-list" aria-labelledby="resultats">
            {results.practitioners.into_iter().map(|card| view! { <li><Card card /></li> }).collect_view()}
        </ul>
    }
}

#[component]
fn Card(card: PractitionerCard) -> impl IntoView {
    let name = card.name.clone();
    view! {
        <article class="fr-card fr-card--no-arrow fr-mb-3w practitioner-card">
            <div class="fr-card__body">
                <div class="fr-card__content">
                    <h3 class="fr-card__title">{card.name}</h3>
                    <p class="fr-card__desc">{card.specialty} <br /> {card.address} <br />
                        {match card.phone {
                            Some((href, display)) => view! { <a href=href class="fr-link">{display}</a> }.into_any(),
                            None => view! { <span>"N° de téléphone non renseigné"</span> }.into_any(),
                        }}
                    </p>
                    {card.days.into_iter().map(|day| {
                        let name = name.clone();
                        view! {
                            <h4 class="fr-text--md fr-mb-1w fr-mt-2w day-label">{day.label.clone()}</h4>
                            <ul class="slot-list">
                                {day.slots.into_iter().map(|slot| view! {
                                    <li><SlotButton link=slot day=day.label.clone() practitioner=name.clone() /></li>
                                }).collect_view()}
                            </ul>
                        }
                    }).collect_view()}
                </div>
            </div>
        </article>
    }
}

#[component]
fn SlotButton(link: SlotLink, day: String, practitioner: String) -> impl IntoView {
    let slot = link;
    // Screen readers hear the whole sentence; the button shows its essential part.
    let context = format!(", {day}, {practitioner}");
    view! {
        <A href=format!("/rendez-vous/{}", slot.id) attr:class="fr-btn fr-btn--secondary fr-btn--sm slot">
            <span class="fr-sr-only">"Réserver le créneau de "</span>
            {slot.time}
            <span class="fr-sr-only">{context}</span>
            {(slot.mode != "Au cabinet").then(|| view! { <span class="slot-mode">" · " {slot.mode.clone()}</span> })}
            {slot.snp.then(|| view! { <span class="fr-badge fr-badge--sm fr-badge--info fr-ml-1w">"Soins non programmés"</span> })}
            {slot.new_patients.then(|| view! { <span class="fr-badge fr-badge--sm fr-badge--success fr-ml-1w">"Nouveaux patients"</span> })}
        </A>
    }
}
