//! The search page: form and filters (each change is a new URL, so results update in place
//! and back / forward work), result cards, pagination with the next pages fetched ahead.

use super::*;
use crate::components::loaded::Loaded;
use crate::components::place::PlaceField;
use crate::components::slot::SlotLink;
use crate::domain::agenda::Mode;
use crate::domain::place::{CommuneOption, PositionSource};
use crate::domain::search::{
    DaySlots, MAX_RADIUS_KM, MIN_RADIUS_KM, PractitionerCard, SlotLink, WITHIN, Window,
    within_label,
};
use crate::domain::specialty::Specialty;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use std::collections::HashMap;

/// Slots shown per day before "Voir plus".
const SLOTS_SHOWN: usize = 6;
/// Keys whose repeated values (checkboxes of a plain GET form) join with commas.
const LISTS: [&str; 2] = ["sous", "mode"];

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let params = Memo::new(move |_| {
        let map = query.read();
        let lists: Vec<(&str, String)> = LISTS
            .iter()
            .filter_map(|k| map.get_all(k).map(|v| (*k, v.join(","))))
            .collect();
        let mut p = SearchParams::from_pairs(
            map.latest_values()
                .map(|(k, v)| (k.as_ref(), v))
                .filter(|(k, _)| !LISTS.contains(k)),
        );
        p.sous = lists
            .iter()
            .find(|(k, _)| *k == "sous")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        p.mode = lists
            .iter()
            .find(|(k, _)| *k == "mode")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        p
    });
    // Pages fetched ahead, used once: a later visit of the same page asks the server again.
    let ahead = StoredValue::new(HashMap::<String, SearchResults>::new());
    let results = Resource::new(
        move || params.get(),
        move |p| async move {
            if let Some(hit) = ahead.try_update_value(|a| a.remove(&p.url())).flatten() {
                return Ok(Some(hit));
            }
            search(p).await
        },
    );
    // Once a page shows, the next two are fetched in the background.
    Effect::new(move || {
        if let Some(Ok(Some(r))) = results.get() {
            for next in (r.page + 1)..=(r.page + 2).min(r.pages) {
                let mut p = r.params.clone();
                p.page = next.to_string();
                leptos::task::spawn_local(async move {
                    if let Ok(Some(found)) = search(p.clone()).await {
                        ahead.update_value(|a| {
                            a.insert(p.url(), found);
                        });
                    }
                });
            }
        }
    });
    let navigate = use_navigate();
    let go = Callback::new(move |p: SearchParams| navigate(&p.url(), Default::default()));
    view! {
        <Title text="Rechercher un créneau" />
        <h1>"Rechercher un créneau"</h1>
        <p>
            "Les créneaux proposés sont ceux des médecins inscrits au SAS : ouverts aux nouveaux "
            "patients et réservables en ligne, ou paramétrés avec le motif « Soins non programmés »."
        </p>
        <SearchForm params go />
        <Loaded resource=results loading="Recherche en cours…"
            error=|error| view! { <SearchError error /> }.into_any() let:found>
            {found.map(|results| view! { <Results results /> })}
        </Loaded>
    }
}

#[component]
fn SearchError(error: AppError) -> impl IntoView {
    let messages: Vec<String> = match &error {
        AppError::Invalid(errors) => errors.iter().map(|e| e.message.clone()).collect(),
        other => vec![other.to_string()],
    };
    view! {
        <div role="alert" class="fr-alert fr-alert--error fr-mt-3w">
            <h2 class="fr-alert__title">"La recherche n'a pas pu être lancée"</h2>
            {messages.into_iter().map(|m| view! { <p>{m}</p> }).collect_view()}
        </div>
    }
}

#[component]
fn SearchForm(params: Memo<SearchParams>, go: Callback<SearchParams>) -> impl IntoView {
    let start = params.get_untracked();
    let place = RwSignal::new(start.city.clone());
    let insee = RwSignal::new(start.inseecode.clone());
    let radius = RwSignal::new(start.rayon.clone());
    // The typed values follow the URL (back / forward).
    Effect::new(move || {
        let p = params.get();
        place.set(p.city.clone());
        insee.set(p.inseecode.clone());
        radius.set(p.rayon.clone());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut p = params
            .get_untracked()
            .with("rayon", radius.get_untracked().trim());
        p.city = place.get_untracked().trim().to_string();
        p.inseecode = insee.get_untracked();
        if !p.city.is_empty() || !p.inseecode.is_empty() {
            p.departement.clear();
        }
        go.run(p);
    };
    let choose = Callback::new(move |option: CommuneOption| {
        let mut p = params.get_untracked().with("rayon", "");
        p.inseecode = option.insee.clone();
        p.city = option.name.clone();
        p.departement.clear();
        go.run(p);
    });
    let set =
        move |key: &'static str, value: String| go.run(params.get_untracked().with(key, &value));
    let p = move || params.get();
    // Toggles one value of a comma-separated list (checkbox groups).
    let toggle = move |key: &'static str, value: &'static str, on: bool| {
        let current = if key == "sous" { p().sous } else { p().mode };
        let mut values: Vec<&str> = current
            .split(',')
            .filter(|v| !v.is_empty() && *v != value)
            .collect();
        if on {
            values.push(value);
        }
        set(key, values.join(","));
    };
    let window_on = move |code: &str| {
        let f = p().fenetre;
        f == code || (f.is_empty() && code == "72h")
    };
    let sous_on = move |code: &str| p().sous.split(',').any(|v| v == code);
    let mode_on = move |m: Mode| {
        let modes = p().mode;
        modes.is_empty() || modes.split(',').any(|v| v == m.code())
    };
    view! {
        <form method="get" action="/recherche" on:submit=submit role="search" class="search-form">
            <input type="hidden" name="inseecode" value=move || insee.get() prop:value=move || insee.get() />
            {move || (!p().origin.is_empty()).then(|| view! { <input type="hidden" name="origin" value=p().origin /> })}
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-md-5">
                    <PlaceField text=place insee choose />
                </div>
                <div class="fr-col-12 fr-col-md-3">
                    <div class="fr-select-group">
                        <label class="fr-label" for="specialite">"Spécialité"</label>
                        <select class="fr-select" id="specialite" name="speciality"
                            on:change=move |ev| set("speciality", event_target_value(&ev))>
                            {Specialty::ALL.into_iter().enumerate().map(|(i, specialty)| view! {
                                <option value=specialty.code() selected=move || {
                                    let s = p().speciality;
                                    if s.is_empty() { i == 0 } else { Specialty::find(&s) == Some(specialty) }
                                }>{specialty.label()}</option>
                            }).collect_view()}
                        </select>
                    </div>
                </div>
                <div class="fr-col-12 fr-col-md-2">
                    <div class="fr-input-group">
                        <label class="fr-label" for="rayon">"Rayon (km)"
                            <span class="fr-hint-text">"Vide : rayon par défaut du département"</span>
                        </label>
                        <input class="fr-input" id="rayon" name="rayon" type="number" inputmode="numeric"
                            min=MIN_RADIUS_KM max=MAX_RADIUS_KM value=move || radius.get() prop:value=move || radius.get()
                            disabled=move || p().perimetre == "departement"
                            on:input=move |ev| radius.set(event_target_value(&ev))
                            on:change=move |ev| set("rayon", event_target_value(&ev)) />
                    </div>
                </div>
                <div class="fr-col-12 fr-col-md-2 search-submit">
                    <button type="submit" class="fr-btn fr-icon-search-line fr-btn--icon-left">"Rechercher"</button>
                </div>
            </div>
            <div class="fr-checkbox-group fr-mt-2w">
                <input type="checkbox" id="perimetre" name="perimetre" value="departement"
                    checked=move || p().perimetre == "departement" prop:checked=move || p().perimetre == "departement"
                    on:change=move |ev| set("perimetre", if event_target_checked(&ev) { "departement".into() } else { String::new() }) />
                <label class="fr-label" for="perimetre">"Rechercher dans tout le département"</label>
            </div>
            <div class="fr-grid-row fr-grid-row--gutters fr-mt-1w search-filters">
                <div class="fr-col-12 fr-col-md-4">
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend fr-text--regular">"Période"</legend>
                        {Window::ALL.iter().map(|w| {
                            let id = format!("fenetre-{}", w.code());
                            let code = w.code();
                            view! {
                                <div class="fr-fieldset__element">
                                    <div class="fr-radio-group">
                                        <input type="radio" id=id.clone() name="fenetre" value=code
                                            checked=move || window_on(code) prop:checked=move || window_on(code)
                                            on:change=move |_| set("fenetre", if code == "72h" { String::new() } else { code.into() }) />
                                        <label class="fr-label" for=id>{w.label()}</label>
                                    </div>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                </div>
                <div class="fr-col-12 fr-col-md-4">
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend fr-text--regular">"Disponible sous"</legend>
                        {WITHIN.iter().map(|&(from, to, code)| {
                            let id = format!("sous-{code}");
                            view! {
                                <div class="fr-fieldset__element fr-fieldset__element--inline">
                                    <div class="fr-checkbox-group">
                                        <input type="checkbox" id=id.clone() name="sous" value=code
                                            checked=move || sous_on(code) prop:checked=move || sous_on(code)
                                            on:change=move |ev| toggle("sous", code, event_target_checked(&ev)) />
                                        <label class="fr-label" for=id>{within_label(from, to)}</label>
                                    </div>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                </div>
                <div class="fr-col-12 fr-col-md-4">
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend fr-text--regular">"Type de consultation"</legend>
                        {[Mode::Cabinet, Mode::Video].into_iter().map(|m| {
                            let id = format!("mode-{}", m.code());
                            view! {
                                <div class="fr-fieldset__element">
                                    <div class="fr-checkbox-group">
                                        <input type="checkbox" id=id.clone() name="mode" value=m.code()
                                            checked=move || mode_on(m) prop:checked=move || mode_on(m)
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                // Unticking both modes means both: keep the other one ticked.
                                                let other = if m == Mode::Cabinet { Mode::Video } else { Mode::Cabinet };
                                                let value = match (on, mode_on(other)) {
                                                    (true, true) | (false, false) => String::new(),
                                                    (true, false) => m.code().into(),
                                                    (false, true) => other.code().into(),
                                                };
                                                set("mode", value);
                                            } />
                                        <label class="fr-label" for=id>{m.label()}
                                            {(m == Mode::Video).then(|| view! { <span class="fr-hint-text">"Sans limite de distance, dans le département"</span> })}
                                        </label>
                                    </div>
                                </div>
                            }
                        }).collect_view()}
                    </fieldset>
                    <div class="fr-toggle">
                        <input type="checkbox" class="fr-toggle__input" id="avec-creneaux"
                            aria-describedby="avec-creneaux-hint"
                            checked=move || p().tous != "1" prop:checked=move || p().tous != "1"
                            on:change=move |ev| set("tous", if event_target_checked(&ev) { String::new() } else { "1".into() }) />
                        <label class="fr-toggle__label" for="avec-creneaux">"Afficher les PS disposant de créneaux disponibles"</label>
                        <p class="fr-hint-text" id="avec-creneaux-hint">"Désactivé : les PS inscrits sans créneau apparaissent aussi, avec leur téléphone."</p>
                    </div>
                </div>
            </div>
        </form>
    }
}

#[component]
fn Results(results: SearchResults) -> impl IntoView {
    let plural = |n: usize, one: &'static str, many: &'static str| if n > 1 { many } else { one };
    let slots = usize::try_from(results.slot_count).unwrap_or(0);
    let summary = format!(
        "{} praticien{} et {} créneau{} disponible{}",
        results.practitioner_count,
        plural(results.practitioner_count, "", "s"),
        results.slot_count,
        plural(slots, "", "x"),
        plural(slots, "", "s"),
    );
    let scope = format!("Autour de {}, {}.", results.place, results.scope);
    let page_label =
        (results.pages > 1).then(|| format!(" Page {} sur {}.", results.page, results.pages));
    let params = results.params.clone();
    let back = params.url();
    let everyone = (params.tous.is_empty() && slots == 0).then(|| {
        let mut p = params.clone();
        p.tous = "1".into();
        p.page = String::new();
        p.url()
    });
    view! {
        <div class="fr-mt-5w" aria-live="polite" aria-atomic="true">
            <h2 id="resultats">{summary}</h2>
            <p class="search-scope">{scope}{page_label}</p>
        </div>
        {results.notice.map(|n| view! {
            <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w"><p>{n}</p></div>
        })}
        {everyone.map(|href| view! {
            <p class="fr-mb-3w">"Aucun créneau ne convient ? "
                <A href=href attr:class="fr-link">"Afficher les médecins inscrits sans créneau disponible"</A>
                " pour leur demander de recevoir le patient en surnuméraire."</p>
        })}
        <ul class="result-list" aria-labelledby="resultats">
            {results.cards.into_iter().map(|card| view! { <li><Card card back=back.clone() /></li> }).collect_view()}
        </ul>
        <Pagination params page=results.page pages=results.pages />
    }
}

#[component]
fn Pagination(params: SearchParams, page: usize, pages: usize) -> impl IntoView {
    let url = move |n: usize| {
        let mut p = params.clone();
        p.page = if n > 1 { n.to_string() } else { String::new() };
        p.url()
    };
    let first = page.saturating_sub(3).max(1);
    let last = (first + 6).min(pages);
    (pages > 1).then(|| view! {
        <nav role="navigation" class="fr-pagination" aria-label="Pages de résultats">
            <ul class="fr-pagination__list">
                <li>{if page > 1 {
                    view! { <A href=url(page - 1) attr:class="fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label">"Page précédente"</A> }.into_any()
                } else {
                    view! { <a class="fr-pagination__link fr-pagination__link--prev fr-pagination__link--lg-label" aria-disabled="true" role="link">"Page précédente"</a> }.into_any()
                }}</li>
                {(first..=last).map(|n| view! {
                    <li><A href=url(n) attr:class="fr-pagination__link" attr:title=format!("Page {n}")
                        attr:aria-current=(n == page).then_some("page")>{n.to_string()}</A></li>
                }).collect_view()}
                <li>{if page < pages {
                    view! { <A href=url(page + 1) attr:class="fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label">"Page suivante"</A> }.into_any()
                } else {
                    view! { <a class="fr-pagination__link fr-pagination__link--next fr-pagination__link--lg-label" aria-disabled="true" role="link">"Page suivante"</a> }.into_any()
                }}</li>
            </ul>
        </nav>
    })
}

/// A practitioner: who, where and how to reach them first, then their days and slots.
/// (DSFR orders a card's title and description by CSS: the slots go in its end part.)
#[component]
fn Card(card: PractitionerCard, back: String) -> impl IntoView {
    let name = card.name.clone();
    let extra = format!(
        "/surnumeraire/nouveau?praticien={}&retour={}",
        card.id,
        form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>()
    );
    let empty = card.days.is_empty();
    view! {
        <article class="fr-card fr-card--no-arrow fr-mb-3w practitioner-card">
            <div class="fr-card__body">
                <div class="fr-card__content">
                    <h3 class="fr-card__title">{card.name}</h3>
                    <p class="fr-card__desc">{card.specialty} <br /> {card.address}
                        {card.distance.map(|d| view! { <br /> <span class="distance">{format!("À {d}")}</span> })}
                        {card.approximate_position.then(|| view! { <br /> <span class="fr-text--xs">{PositionSource::APPROXIMATE}</span> })}
                        <br />
                        {match card.phone {
                            Some((href, display)) => view! { <a href=href class="fr-link">{display}</a> }.into_any(),
                            None => view! { <span>"N° de téléphone non renseigné"</span> }.into_any(),
                        }}
                    </p>
                    <div class="fr-card__end practitioner-slots">
                        {(card.snp || card.new_patients).then(|| view! {
                            <ul class="fr-badges-group">
                                {card.snp.then(|| view! { <li><p class="fr-badge fr-badge--sm fr-badge--info">"Soins non programmés"</p></li> })}
                                {card.new_patients.then(|| view! { <li><p class="fr-badge fr-badge--sm fr-badge--success">"Nouveaux patients"</p></li> })}
                            </ul>
                        })}
                        {card.video_only.then(|| view! { <p class="fr-text--sm fr-mb-1w">"Au-delà du rayon : créneaux en vidéo seulement."</p> })}
                        {empty.then(|| view! { <p class="fr-text--sm">"Aucun créneau disponible sur la période : contactez le cabinet."</p> })}
                        {card.days.into_iter().map(|day| view! { <Day day practitioner=name.clone() /> }).collect_view()}
                        <p class="fr-mt-2w fr-mb-0">
                            <A href=extra attr:class="fr-link fr-icon-user-add-line fr-link--icon-left">
                                "Demander un surnuméraire"
                                <span class="fr-sr-only">{format!(" au {name}")}</span>
                            </A>
                        </p>
                    </div>
                </div>
            </div>
        </article>
    }
}

/// One day of a card: its first slots, the others behind « Voir plus ».
#[component]
fn Day(day: DaySlots, practitioner: String) -> impl IntoView {
    let mut slots = day.slots;
    let more = slots.split_off(SLOTS_SHOWN.min(slots.len()));
    let (label, heading) = (day.label.clone(), day.label);
    let button = move |slot: SlotLink| {
        view! {
            <li><SlotButton link=slot day=label.clone() practitioner=practitioner.clone() /></li>
        }
    };
    view! {
        <h4 class="fr-text--md fr-mb-1w fr-mt-2w day-label">{heading}</h4>
        <ul class="slot-list">{slots.into_iter().map(button.clone()).collect_view()}</ul>
        {(!more.is_empty()).then(|| view! {
            <details class="more-slots fr-mt-1w">
                <summary class="fr-link">{format!("Voir plus ({} créneaux)", more.len())}</summary>
                <ul class="slot-list fr-mt-1w">{more.into_iter().map(button).collect_view()}</ul>
            </details>
        })}
    }
}

#[component]
fn SlotButton(link: SlotLink, day: String, practitioner: String) -> impl IntoView {
    let slot = link;
    // Screen readers hear the whole sentence; the button shows its essential part.
    let context = format!(", {day}, {practitioner}");
    view! {
        <SlotLink slot_id=slot.id class="fr-btn fr-btn--secondary fr-btn--sm slot">
            <span class="fr-sr-only">"Réserver le créneau de "</span>
            {slot.time}
            <span class="fr-sr-only">{context}</span>
            {(slot.mode != "Au cabinet").then(|| view! { <span class="slot-mode">" · " {slot.mode.clone()}</span> })}
        </SlotLink>
    }
}
