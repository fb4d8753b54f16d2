//! "Mon agenda": the week grid of the practitioner's slots, each saying whether the SAS sees
//! it and why, with booked appointments (flagged when out of the agenda) and absences.

#[cfg(feature = "ssr")]
use super::signed_in_practitioner;
use crate::components::loaded::Loaded;
use crate::domain::agenda::{SlotCell, WeekView};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{services::agenda, with_status};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

/// Practitioners only: their own week, Monday of `week` (`AAAA-MM-JJ`, this week if empty).
#[server(endpoint = "agenda/week_agenda")]
pub async fn week_agenda(week: String) -> Result<WeekView, AppError> {
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        agenda::week(user_id, practitioner_id, &week).await
    })
    .await
}

#[component]
pub fn WeekPage() -> impl IntoView {
    let query = use_query_map();
    let week = Resource::new(
        move || query.read().get("semaine").unwrap_or_default(),
        week_agenda,
    );
    view! {
        <Title text="Mon agenda" />
        <h1>"Mon agenda"</h1>
        <Loaded resource=week let:week>
            <Week week />
        </Loaded>
    }
}

#[component]
fn Week(week: WeekView) -> impl IntoView {
    view! {
        {(!week.sas_registered).then(|| view! {
            <div class="fr-alert fr-alert--warning fr-mb-3w">
                <p>
                    "Votre participation au SAS n'est pas validée : aucun de vos créneaux n'est visible des régulateurs. "
                    <A href="/agenda/parametres">"Voir ma participation"</A>
                </p>
            </div>
        })}
        <div class="week-nav">
            <A href=format!("/agenda/semaine?semaine={}", week.previous)
                attr:class="fr-link fr-icon-arrow-left-line fr-link--icon-left">"Semaine précédente"</A>
            <h2 class="fr-h4 fr-mb-0" aria-live="polite">{week.title}</h2>
            <A href=format!("/agenda/semaine?semaine={}", week.next)
                attr:class="fr-link fr-icon-arrow-right-line fr-link--icon-right">"Semaine suivante"</A>
        </div>
        <p class="fr-text--sm">
            "Un créneau visible par le SAS porte la raison pour laquelle il remonte : "
            <span class="fr-badge fr-badge--sm fr-badge--info">"Soins non programmés"</span> " ou "
            <span class="fr-badge fr-badge--sm fr-badge--success">"Nouveaux patients"</span> "."
        </p>
        <div class="week-grid">
            {week.days.into_iter().enumerate().map(|(i, day)| {
                let heading = format!("jour-{i}");
                view! {
                    <section class="week-day" aria-labelledby=heading.clone()>
                        <h3 class="fr-h6 week-day__title" id=heading.clone()>{day.label}</h3>
                        {(day.absences.is_empty() && day.slots.is_empty()).then(|| view! {
                            <p class="fr-text--sm">"Aucun créneau"</p>
                        })}
                        <ul class="week-day__list">
                            {day.absences.into_iter().map(|text| view! {
                                <li class="agenda-absence">{text}</li>
                            }).collect_view()}
                            {day.slots.into_iter().map(|slot| view! { <SlotItem cell=slot /> }).collect_view()}
                        </ul>
                    </section>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn SlotItem(cell: SlotCell) -> impl IntoView {
    let slot = cell;
    let visible = slot.snp || slot.new_patients;
    let class = match (&slot.patient, slot.past, visible) {
        (Some(_), _, _) => "agenda-slot agenda-slot--booked",
        (None, true, _) => "agenda-slot agenda-slot--past",
        (None, false, true) => "agenda-slot agenda-slot--sas",
        (None, false, false) => "agenda-slot",
    };
    view! {
        <li class=class>
            <span class="agenda-slot__time">{slot.time}</span>
            {(!slot.mode.is_empty()).then(|| view! { <span>" · " {slot.mode.clone()}</span> })}
            <br />
            {match slot.patient {
                Some(patient) => view! {
                    {match slot.appointment.clone() {
                        Some(booked) => view! {
                            <a class="fr-link" href=format!("/adressages/{}", booked.id)>"Réservé : " {patient}</a>
                            {(!booked.reason.is_empty()).then(|| view! { <br /> <span class="fr-text--xs">{booked.reason.clone()}</span> })}
                            {booked.message.clone().map(|m| view! { <br /> <span class="fr-text--xs agenda-slot__message">"Message : " {m}</span> })}
                            {(booked.files > 0).then(|| view! {
                                <br /> <span class="fr-text--xs">{if booked.files == 1 { "1 pièce jointe".to_string() } else { format!("{} pièces jointes", booked.files) }}</span>
                            })}
                        }.into_any(),
                        None => view! { <span>"Réservé : " {patient}</span> }.into_any(),
                    }}
                    {slot.out_of_agenda.then(|| view! {
                        " " <span class="fr-badge fr-badge--sm fr-badge--warning">"Hors agenda"</span>
                    })}
                }.into_any(),
                None if slot.past => view! { <span>"Passé"</span> }.into_any(),
                None if visible => view! {
                    <span class="fr-sr-only">"Visible par le SAS : "</span>
                    {slot.snp.then(|| view! { <span class="fr-badge fr-badge--sm fr-badge--info">"Soins non programmés"</span> })}
                    {slot.new_patients.then(|| view! { " " <span class="fr-badge fr-badge--sm fr-badge--success">"Nouveaux patients"</span> })}
                }.into_any(),
                None => view! { <span>"Libre, non visible par le SAS"</span> }.into_any(),
            }}
        </li>
    }
}
