//! "Mon agenda": the week grid of the practitioner's slots, each saying whether the SAS sees
//! it and why, with booked appointments (flagged when out of the agenda) and absences.

#[cfg(feature = "ssr")]
use super::signed_in_practitioner;
use crate::components::ErrorAlert;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, internal, store, with_status};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekView {
    /// "Semaine du 23 au 29 novembre 2026"
    pub title: String,
    /// Mondays of the previous and next weeks, `AAAA-MM-JJ`.
    pub previous: String,
    pub next: String,
    pub sas_registered: bool,
    pub days: Vec<DayColumn>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayColumn {
    /// "lundi 23 novembre"
    pub label: String,
    /// "Absence de 14:00 à 18:00 (Formation)"
    pub absences: Vec<String>,
    pub slots: Vec<SlotCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotCell {
    /// "09:00 – 09:20"
    pub time: String,
    /// "En vidéo", or empty at the practice.
    pub mode: String,
    pub past: bool,
    /// "Marie DURAND" when an appointment is booked.
    pub patient: Option<String>,
    /// The appointment's page, reason, message and number of attachments.
    pub appointment: Option<Booked>,
    /// Booked on a slot no range or absence-free period covers any more.
    pub out_of_agenda: bool,
    /// Why the SAS sees the slot, if it does.
    pub snp: bool,
    pub new_patients: bool,
}

/// What the week view shows of an appointment (its page has the rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booked {
    pub id: i64,
    pub reason: String,
    pub message: Option<String>,
    pub files: i64,
}

/// Practitioners only: their own week, Monday of `week` (`AAAA-MM-JJ`, this week if empty).
#[server(endpoint = "agenda/week_agenda")]
pub async fn week_agenda(week: String) -> Result<WeekView, AppError> {
    use crate::domain::agenda::{
        date_label_fr, paris_instant, paris_time, paris_today, parse_date, time_label,
        week_label_fr, week_start,
    };
    use crate::domain::eligibility::{SlotFacts, SlotState, sas_visibility};
    use chrono::{DateTime, Duration, NaiveTime};
    with_status(
        async {
            let (user_id, practitioner_id) = signed_in_practitioner().await?;
            let now = crate::server::now();
            let day = match week.trim() {
                "" => paris_today(crate::server::now_utc()),
                week => parse_date(week).map_err(|m| AppError::invalid("semaine", m))?,
            };
            let monday = week_start(day);
            let midnight = |d| {
                paris_instant(d, NaiveTime::MIN)
                    .map(|t| t.timestamp())
                    .ok_or(AppError::Internal)
            };
            let (from, to) = (midnight(monday)?, midnight(monday + Duration::days(7))?);
            let store = store()?;
            let profile = store
                .practitioner_profile(practitioner_id)
                .await
                .map_err(internal)?
                .ok_or(AppError::Forbidden)?;
            let slots = store
                .agenda_slots(practitioner_id, from, to)
                .await
                .map_err(internal)?;
            let absences = store
                .absences(practitioner_id, from)
                .await
                .map_err(internal)?;
            if slots.iter().any(|s| s.appointment_id.is_some()) {
                auth::audit(
                    Some(user_id),
                    "patient_data_read",
                    &format!("agenda:practitioner:{practitioner_id}:week:{monday}"),
                )
                .await?;
            }
            let instant = |t: i64| DateTime::from_timestamp(t, 0).ok_or(AppError::Internal);
            let mut days = Vec::new();
            for offset in 0..7 {
                let date = monday + Duration::days(offset);
                let (start_of_day, end_of_day) =
                    (midnight(date)?, midnight(date + Duration::days(1))?);
                let mut column = DayColumn {
                    label: date_label_fr(date),
                    absences: Vec::new(),
                    slots: Vec::new(),
                };
                for a in absences
                    .iter()
                    .filter(|a| a.starts_at < end_of_day && a.ends_at > start_of_day)
                {
                    let (start, end) = (a.starts_at.max(start_of_day), a.ends_at.min(end_of_day));
                    let mut text = if (start, end) == (start_of_day, end_of_day) {
                        "Absence toute la journée".to_string()
                    } else {
                        let end = if end == end_of_day {
                            "24:00".into()
                        } else {
                            time_label(instant(end)?)
                        };
                        format!("Absence de {} à {end}", time_label(instant(start)?))
                    };
                    if !a.label.is_empty() {
                        text.push_str(&format!(" ({})", a.label));
                    }
                    column.absences.push(text);
                }
                for slot in &slots {
                    let start = instant(slot.starts_at)?;
                    let booked = slot.appointment_id.is_some();
                    if paris_time(start).date_naive() != date
                        || (!booked && slot.range_id.is_none())
                    {
                        continue;
                    }
                    let why = sas_visibility(&SlotFacts {
                        sas_registered: profile.sas_registered,
                        accepts_new_patients: profile.accepts_new_patients,
                        reasons: &slot.reasons,
                        state: if booked {
                            SlotState::Booked
                        } else {
                            SlotState::Free
                        },
                        starts_in_future: slot.starts_at > now,
                    })
                    .unwrap_or_default();
                    column.slots.push(SlotCell {
                        time: format!(
                            "{} – {}",
                            time_label(start),
                            time_label(instant(slot.ends_at)?)
                        ),
                        mode: if slot.mode == "video" {
                            "En vidéo".into()
                        } else {
                            String::new()
                        },
                        past: slot.starts_at <= now,
                        patient: booked.then(|| {
                            format!(
                                "{} {}",
                                slot.patient_first_name.clone().unwrap_or_default(),
                                slot.patient_last_name
                                    .clone()
                                    .unwrap_or_default()
                                    .to_uppercase()
                            )
                        }),
                        appointment: slot.appointment_id.map(|id| Booked {
                            id,
                            reason: slot.appointment_reason.clone().unwrap_or_default(),
                            message: slot.appointment_message.clone(),
                            files: slot.appointment_files,
                        }),
                        out_of_agenda: booked && slot.range_id.is_none(),
                        snp: why.snp,
                        new_patients: why.new_patients,
                    });
                }
                days.push(column);
            }
            Ok(WeekView {
                title: week_label_fr(monday),
                previous: (monday - Duration::days(7)).to_string(),
                next: (monday + Duration::days(7)).to_string(),
                sas_registered: profile.sas_registered,
                days,
            })
        }
        .await,
    )
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
        <Transition fallback=|| view! { <p>"Chargement…"</p> }>
            {move || week.get().map(|r| match r {
                Ok(week) => view! { <Week week /> }.into_any(),
                Err(e) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Week(week: WeekView) -> impl IntoView {
    view! {
        {(!week.sas_registered).then(|| view! {
            <div class="fr-alert fr-alert--warning fr-mb-3w">
                <p>
                    "Vous ne participez pas au SAS : aucun de vos créneaux n'est visible par les régulateurs. "
                    <A href="/agenda/parametres">"Modifier ma participation"</A>
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
