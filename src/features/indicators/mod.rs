//! « Indicateurs » (`/indicateurs`): the SAS's activity over a period — bookings per day and per
//! département, kind of slot (« Soins non programmés » / « Nouveaux patients »), outcomes, delay
//! between booking and appointment, practitioners with the most SAS appointments — as charts
//! drawn on the server (SVG) with their tables, and a CSV export (`server::indicators_csv`).
//! Administrators (a national one may choose a département) and regulators of the département.

mod charts;

use crate::components::form::FilterInput;
use crate::components::loaded::Loaded;
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::field::FieldError;
use crate::domain::indicators::{
    Count, INDICATORS_PATH, Indicators, IndicatorsPage, IndicatorsQuery, Share, delay_fr,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, services::indicators, store, with_status};
use charts::{DayChart, ShareChart};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// Administrators and regulators: the figures of the filters, within their département.
#[server]
pub async fn indicator_figures(query: IndicatorsQuery) -> Result<IndicatorsPage, AppError> {
    with_status(async {
        let user = auth::require(&[Role::Admin, Role::Regulator]).await?;
        indicators::page(store()?.as_ref(), &user, &query).await
    })
    .await
}

/// The filters are a plain GET form (they live in the address: sharing, back and the CSV export
/// keep them, and it all works without JavaScript).
#[component]
pub fn IndicatorsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = Memo::new(move |_| {
        IndicatorsQuery::from_pairs(
            query_map
                .read()
                .latest_values()
                .map(|(k, v)| (k.as_ref(), v)),
        )
    });
    let page = Resource::new(move || query.get(), indicator_figures);
    view! {
        <Title text="Indicateurs d'activité" />
        <h1>"Indicateurs d'activité du SAS"</h1>
        <p>"Rendez-vous pris par les régulateurs sur la période choisie (jours de prise de rendez-vous, heure de Paris), quel que soit leur devenir."</p>
        <Loaded resource=page let:found>
            <Filters query=query.get_untracked() errors=found.errors.clone()
                may_choose_departement=found.may_choose_departement />
            {found.figures.map(|figures| view! { <Figures query=query.get_untracked() figures /> })}
        </Loaded>
    }
}

#[component]
fn Filters(
    query: IndicatorsQuery,
    errors: Vec<FieldError>,
    may_choose_departement: bool,
) -> impl IntoView {
    let error = |field: &str| {
        let message = errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone());
        Signal::derive(move || message.clone())
    };
    let value = |v: &str| {
        let v = v.to_string();
        Signal::derive(move || v.clone())
    };
    view! {
        <form method="get" action=INDICATORS_PATH novalidate class="fr-mb-3w" aria-labelledby="filtres-titre">
            <h2 id="filtres-titre" class="fr-h5">"Choisir la période"</h2>
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-md-8">
                    <fieldset class="fr-fieldset fr-mb-0" aria-labelledby="periode-legende">
                        <legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="periode-legende">
                            "Période" <span class="fr-hint-text">"Jours inclus, heure de Paris ; par défaut les 30 derniers jours"</span>
                        </legend>
                        <div class="fr-fieldset__element fr-fieldset__element--inline">
                            <FilterInput id="du" label="Du" kind="date" value=value(&query.du) error=error("du") />
                        </div>
                        <div class="fr-fieldset__element fr-fieldset__element--inline">
                            <FilterInput id="au" label="Au" kind="date" value=value(&query.au) error=error("au") />
                        </div>
                    </fieldset>
                </div>
                {may_choose_departement.then(|| view! {
                    <div class="fr-col-12 fr-col-md-4">
                        <FilterInput id="departement" label="Département"
                            hint="Par exemple 75, 2A ou 974 ; vide : tous les départements"
                            value=value(&query.departement) error=error("departement") />
                    </div>
                })}
            </div>
            <ul class="fr-btns-group fr-btns-group--inline fr-mt-2w">
                <li><button type="submit" class="fr-btn">"Afficher"</button></li>
                <li><A href=INDICATORS_PATH attr:class="fr-btn fr-btn--secondary">"Revenir aux 30 derniers jours"</A></li>
            </ul>
        </form>
    }
}

#[component]
fn Figures(query: IndicatorsQuery, figures: Indicators) -> impl IntoView {
    let Indicators {
        period,
        scope,
        total,
        days,
        departements,
        kinds,
        outcomes,
        delay_median,
        delay_p90,
        top,
    } = figures;
    let summary = format!("{total} rendez-vous pris {period}, {scope}.");
    let delay = |minutes: Option<i64>| minutes.map_or_else(|| "—".to_string(), delay_fr);
    view! {
        <div class="fr-mb-4w">
            <p class="fr-mb-1w" role="status"><strong>{summary}</strong></p>
            <a class="fr-link fr-link--download" href=query.csv_url() download="indicateurs-sas.csv">
                "Exporter en CSV"
                <span class="fr-link__detail">"CSV, toutes les données de la page"</span>
            </a>
        </div>
        <section class="fr-mb-6w" aria-labelledby="par-jour">
            <h2 id="par-jour">"Rendez-vous pris par jour"</h2>
            <DayChart id="graphique-jours" days=days.clone() period=period.clone() />
            <CountTable caption=format!("Rendez-vous pris par jour, {period}") head="Jour" counts=days />
        </section>
        {(!departements.is_empty()).then(|| view! {
            <section class="fr-mb-6w" aria-labelledby="par-departement">
                <h2 id="par-departement">"Rendez-vous pris par département"</h2>
                <CountTable caption=format!("Rendez-vous pris par département, {period}")
                    head="Département" counts=departements />
            </section>
        })}
        <section class="fr-mb-6w" aria-labelledby="types">
            <h2 id="types">"Soins non programmés et nouveaux patients"</h2>
            <p>"Ce qui ouvrait le créneau à la recherche du SAS au moment de la prise de rendez-vous."</p>
            <ShareChart id="graphique-types" title=format!("Rendez-vous par type de créneau, {period}") shares=kinds.clone() />
            <ShareTable caption=format!("Rendez-vous par type de créneau, {period}") head="Type de créneau" shares=kinds />
        </section>
        <section class="fr-mb-6w" aria-labelledby="issues">
            <h2 id="issues">"Issue des rendez-vous"</h2>
            <ShareChart id="graphique-issues" title=format!("Issue des rendez-vous pris {period}") shares=outcomes.clone() />
            <ShareTable caption=format!("Issue des rendez-vous pris {period}") head="Issue" shares=outcomes />
        </section>
        <section class="fr-mb-6w" aria-labelledby="delais">
            <h2 id="delais">"Délai entre la prise de rendez-vous et le rendez-vous"</h2>
            <div class="fr-table">
                <table>
                    <caption>{format!("Délai avant le rendez-vous, {period}")}</caption>
                    <thead><tr><th scope="col">"Mesure"</th><th scope="col">"Délai"</th></tr></thead>
                    <tbody>
                        <tr><th scope="row">"Médiane (la moitié des rendez-vous ont lieu avant)"</th><td>{delay(delay_median)}</td></tr>
                        <tr><th scope="row">"90e centile (9 rendez-vous sur 10 ont lieu avant)"</th><td>{delay(delay_p90)}</td></tr>
                    </tbody>
                </table>
            </div>
        </section>
        <section class="fr-mb-6w" aria-labelledby="medecins">
            <h2 id="medecins">"Médecins effecteurs ayant reçu le plus de rendez-vous SAS"</h2>
            {if top.is_empty() {
                view! { <p>"Aucun rendez-vous sur la période."</p> }.into_any()
            } else {
                view! {
                    <div class="fr-table">
                        <table>
                            <caption>{format!("Rendez-vous non annulés par médecin effecteur, {period}")}</caption>
                            <thead><tr><th scope="col">"Médecin effecteur"</th><th scope="col">"Lieu"</th><th scope="col">"Rendez-vous"</th></tr></thead>
                            <tbody>
                                {top.into_iter().map(|p| view! {
                                    <tr><th scope="row">{p.name}</th><td>{p.place}</td><td>{p.count}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn CountTable(caption: String, head: &'static str, counts: Vec<Count>) -> impl IntoView {
    view! {
        <div class="fr-table">
            <table>
                <caption>{caption}</caption>
                <thead><tr><th scope="col">{head}</th><th scope="col">"Rendez-vous pris"</th></tr></thead>
                <tbody>
                    {counts.into_iter().map(|c| view! {
                        <tr><th scope="row">{c.label}</th><td>{c.count}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ShareTable(caption: String, head: &'static str, shares: Vec<Share>) -> impl IntoView {
    view! {
        <div class="fr-table">
            <table>
                <caption>{caption}</caption>
                <thead><tr><th scope="col">{head}</th><th scope="col">"Rendez-vous"</th><th scope="col">"Part"</th></tr></thead>
                <tbody>
                    {shares.into_iter().map(|s| view! {
                        <tr><th scope="row">{s.label}</th><td>{s.count}</td><td>{s.percent}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
