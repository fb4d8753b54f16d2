//! "Plages et absences": the practitioner's opening ranges (weekly or one-off) with their
//! reasons, and the absences that remove the slots they cover. Every change regenerates the
//! free slots over the horizon in the same transaction; booked ones are kept, but an absence
//! cancels the appointments it covers, « à replanifier ».

#[cfg(feature = "ssr")]
use super::signed_in_practitioner;
use crate::components::form::{Choices, Errors, Radios, general_error, successes};
use crate::components::loaded::Loaded;
use crate::components::{ErrorAlert, Field};
#[cfg(feature = "ssr")]
use crate::domain::agenda::paris_today;
use crate::domain::agenda::{AbsenceInput, AbsenceView, RangeInput, RangeView, RangesView};
use crate::domain::ids::{AbsenceId, RangeId, ReasonId};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::services::agenda;
#[cfg(feature = "ssr")]
use crate::server::{horizon, store, with_status};
use leptos::prelude::*;
use leptos_meta::Title;

/// Practitioners only: their own ranges, active reasons and current absences.
#[server(endpoint = "agenda/my_ranges")]
pub async fn my_ranges() -> Result<RangesView, AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        agenda::ranges(practitioner_id).await
    })
    .await
}

/// Practitioners only: creates ranges (one a day chosen) or edits one of their own.
#[server(endpoint = "agenda/save_range")]
pub async fn save_range(id: Option<RangeId>, range: RangeInput) -> Result<(), AppError> {
    use crate::server::store::NewRange;
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        let horizon = horizon()?;
        let plan = agenda::range_with_reason_duration(practitioner_id, range)
            .await?
            .validate(paris_today(crate::server::now_utc()))
            .map_err(AppError::Invalid)?;
        let ranges: Vec<NewRange> = plan
            .times
            .into_iter()
            .map(|times| NewRange {
                times,
                mode: plan.mode,
                reason_ids: &plan.reason_ids,
            })
            .collect();
        let ids = store()?
            .save_ranges(practitioner_id, id, &ranges, &horizon)
            .await?;
        tracing::info!(%user_id, %practitioner_id, ?ids, "ranges saved");
        Ok(())
    })
    .await
}

/// Practitioners only: deletes one of their own ranges (its booked slots stay).
#[server(endpoint = "agenda/delete_range")]
pub async fn delete_range(id: RangeId) -> Result<(), AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        store()?
            .delete_range(practitioner_id, id, &horizon()?)
            .await
            .map_err(AppError::from)
    })
    .await
}

/// Practitioners only: adds an absence to their own agenda; the SAS appointments it covers are
/// cancelled « à replanifier » (their regulators and patients are told).
#[server(endpoint = "agenda/add_absence")]
pub async fn add_absence(absence: AbsenceInput) -> Result<(), AppError> {
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        let absence = absence.validate().map_err(AppError::Invalid)?;
        agenda::add_absence(user_id, practitioner_id, &absence, &horizon()?).await
    })
    .await
}

/// Practitioners only: deletes one of their own absences.
#[server(endpoint = "agenda/delete_absence")]
pub async fn delete_absence(id: AbsenceId) -> Result<(), AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        store()?
            .delete_absence(practitioner_id, id, &horizon()?)
            .await
            .map_err(AppError::from)
    })
    .await
}

#[component]
pub fn RangesPage() -> impl IntoView {
    let save = ServerAction::<SaveRange>::new();
    let delete = ServerAction::<DeleteRange>::new();
    let add_absence = ServerAction::<AddAbsence>::new();
    let delete_absence = ServerAction::<DeleteAbsence>::new();
    let changes = successes(vec![
        save.value(),
        delete.value(),
        add_absence.value(),
        delete_absence.value(),
    ]);
    let data = Resource::new(move || changes.get(), |_| my_ranges());
    let editing = RwSignal::new(None::<RangeView>);
    view! {
        <Title text="Plages et absences" />
        <h1>"Plages et absences"</h1>
        <p>
            "Les créneaux sont calculés à partir de vos plages, en heure de Paris. Modifier une plage "
            "recalcule les créneaux libres ; un rendez-vous déjà pris n'est jamais supprimé ni déplacé."
        </p>
        <ErrorAlert error=Signal::derive(move || {
            general_error(delete.value()).get().or_else(|| general_error(delete_absence.value()).get())
        }) />
        <Loaded resource=data let:data>
            {
                let (reasons, today) = (data.reasons.clone(), data.today);
                view! {
                    <RangeTable ranges=data.ranges editing delete />
                    {move || view! {
                        <RangeForm editing=editing.get() reasons=reasons.clone() today save
                            on_done=Callback::new(move |()| editing.set(None)) />
                    }}
                    <h2 class="fr-mt-6w">"Absences"</h2>
                    <p>"Une absence retire de votre agenda les créneaux libres qu'elle couvre. Les rendez-vous SAS qu'elle couvre sont annulés : le régulateur qui les a pris et le patient sont prévenus."</p>
                    <AbsenceTable absences=data.absences delete=delete_absence />
                    <AbsenceForm add=add_absence />
                }
            }
        </Loaded>
    }
}

#[component]
fn RangeTable(
    ranges: Vec<RangeView>,
    editing: RwSignal<Option<RangeView>>,
    delete: ServerAction<DeleteRange>,
) -> impl IntoView {
    if ranges.is_empty() {
        return view! { <p>"Aucune plage pour le moment."</p> }.into_any();
    }
    view! {
        <div class="fr-table">
            <table>
                <caption>"Vos plages"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Plage"</th>
                        <th scope="col">"Validité"</th>
                        <th scope="col">"Créneaux"</th>
                        <th scope="col">"Type de consultation"</th>
                        <th scope="col">"Motifs"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {ranges.into_iter().map(|r| {
                        let id = r.id;
                        let (label, edited) = (r.label.clone(), r.clone());
                        view! {
                            <tr>
                                <th scope="row">{r.label.clone()}</th>
                                <td>{r.validity.clone()}</td>
                                <td>{format!("{} min", r.slot_minutes)}</td>
                                <td>{r.mode.clone()}</td>
                                <td>
                                    {r.reasons.join(", ")}
                                    {r.snp.then(|| view! { <br /><span class="fr-badge fr-badge--sm fr-badge--info">"Ouverte au SAS"</span> })}
                                </td>
                                <td>
                                    <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm"
                                        on:click=move |_| editing.set(Some(edited.clone()))>
                                        "Modifier" <span class="fr-sr-only">{format!(" la plage {label}")}</span>
                                    </button>
                                    <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm fr-ml-1w"
                                        on:click=move |_| { delete.dispatch(DeleteRange { id }); }>
                                        "Supprimer" <span class="fr-sr-only">{format!(" la plage {}", r.label)}</span>
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

const DAY_OPTIONS: [(&str, &str); 7] = [
    ("1", "Lundi"),
    ("2", "Mardi"),
    ("3", "Mercredi"),
    ("4", "Jeudi"),
    ("5", "Vendredi"),
    ("6", "Samedi"),
    ("7", "Dimanche"),
];

#[component]
fn RangeForm(
    editing: Option<RangeView>,
    reasons: Vec<(ReasonId, String, u32)>,
    /// Today in Paris, by the server's clock.
    today: chrono::NaiveDate,
    save: ServerAction<SaveRange>,
    on_done: Callback<()>,
) -> impl IntoView {
    let id = editing.as_ref().map(|r| r.id);
    let title = match &editing {
        Some(r) => format!("Modifier la plage {}", r.label),
        None => "Nouvelle plage".to_string(),
    };
    let initial = editing.map(|r| r.input).unwrap_or_else(|| RangeInput {
        kind: "weekly".into(),
        valid_from: today.to_string(),
        slot_minutes: "20".into(),
        mode: "cabinet".into(),
        ..RangeInput::default()
    });
    let kind = RwSignal::new(initial.kind);
    let days = RwSignal::new(initial.days);
    let date = RwSignal::new(initial.date);
    let valid_from = RwSignal::new(initial.valid_from);
    let valid_until = RwSignal::new(initial.valid_until);
    let start = RwSignal::new(initial.start);
    let end = RwSignal::new(initial.end);
    let slot_minutes = RwSignal::new(initial.slot_minutes);
    let mode = RwSignal::new(initial.mode);
    let reason_ids = RwSignal::new(initial.reason_ids);
    // One reason only: its duration is the slots' (the server applies it too).
    let durations: Vec<(String, u32)> = reasons
        .iter()
        .map(|(id, _, d)| (id.to_string(), *d))
        .collect();
    let single = Memo::new(move |_| {
        let range = RangeInput {
            reason_ids: reason_ids.get(),
            ..RangeInput::default()
        };
        let only = range.single_reason()?;
        durations.iter().find(|(id, _)| id == only).map(|(_, d)| *d)
    });
    Effect::new(move || {
        if let Some(minutes) = single.get() {
            slot_minutes.set(minutes.to_string());
        }
    });
    let errors = Errors::new();
    let version = save.version().get_untracked();
    Effect::new(move || {
        if save.version().get() == version {
            return;
        }
        match save.value().get() {
            Some(Err(e)) => errors.show_server(&e),
            Some(Ok(())) => on_done.run(()),
            None => {}
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let range = RangeInput {
            kind: kind.get_untracked(),
            days: days.get_untracked(),
            date: date.get_untracked(),
            valid_from: valid_from.get_untracked(),
            valid_until: valid_until.get_untracked(),
            start: start.get_untracked(),
            end: end.get_untracked(),
            slot_minutes: slot_minutes.get_untracked(),
            mode: mode.get_untracked(),
            reason_ids: reason_ids.get_untracked(),
        };
        match range.validate(today) {
            Ok(_) => {
                errors.clear();
                save.dispatch(SaveRange { id, range });
            }
            Err(found) => errors.show(found),
        }
    };
    let day_options: Vec<(String, String)> = DAY_OPTIONS
        .iter()
        .map(|(v, l)| (v.to_string(), l.to_string()))
        .collect();
    let reason_options: Vec<(String, String)> = reasons
        .into_iter()
        .map(|(id, name, minutes)| (id.to_string(), format!("{name} ({minutes} min)")))
        .collect();
    let days_hint = if id.is_some() {
        "Cocher un autre jour ajoute une plage identique ce jour-là."
    } else {
        "Une plage est créée pour chaque jour coché."
    };
    view! {
        <h2 class="fr-h4 fr-mt-6w" id="range-form-title">{title}</h2>
        <form on:submit=on_submit novalidate aria-labelledby="range-form-title">
            <ErrorAlert error=general_error(save.value()) />
            <Radios id="kind" legend="Récurrence"
                options=vec![("weekly", "Chaque semaine"), ("once", "Une seule fois")]
                value=kind error=errors.of("kind") />
            <Show when=move || kind.get() == "weekly"
                fallback=move || view! {
                    <Field id="date" name="date" label="Date" kind="date" required=true value=date error=errors.of("date") />
                }>
                <Choices id="days" legend="Jours" hint=days_hint options=day_options.clone() selected=days
                    error=errors.of("days") inline=true />
                <div class="fr-grid-row fr-grid-row--gutters">
                    <div class="fr-col-12 fr-col-md-6">
                        <Field id="valid_from" name="valid_from" label="Valable à partir du" kind="date"
                            required=true value=valid_from error=errors.of("valid_from") />
                    </div>
                    <div class="fr-col-12 fr-col-md-6">
                        <Field id="valid_until" name="valid_until" label="Jusqu'au" hint="Facultatif" kind="date"
                            value=valid_until error=errors.of("valid_until") />
                    </div>
                </div>
            </Show>
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-md-4">
                    <Field id="start" name="start" label="Heure de début" kind="time" required=true
                        value=start error=errors.of("start") />
                </div>
                <div class="fr-col-12 fr-col-md-4">
                    <Field id="end" name="end" label="Heure de fin" kind="time" required=true
                        value=end error=errors.of("end") />
                </div>
                <div class="fr-col-12 fr-col-md-4">
                    <Field id="slot_minutes" name="slot_minutes" label="Durée d'un créneau (minutes)" kind="number"
                        required=true value=slot_minutes error=errors.of("slot_minutes")
                        readonly=Signal::derive(move || single.get().is_some()) />
                </div>
            </div>
            {move || single.get().map(|minutes| view! {
                <p class="fr-hint-text" id="slot_minutes-reason">
                    {format!("Un seul motif sur la plage : ses créneaux durent la durée du motif ({minutes} min).")}
                </p>
            })}
            <Radios id="mode" legend="Type de consultation"
                options=vec![("cabinet", "Au cabinet"), ("video", "En vidéo")]
                value=mode error=errors.of("mode") />
            <Choices id="reason_ids" legend="Motifs réservables sur la plage"
                hint="« Soins non programmés » ouvre la plage au SAS ; il peut la partager avec d'autres motifs."
                options=reason_options selected=reason_ids error=errors.of("reason_ids") />
            <div class="fr-mt-2w">
                <button type="submit" class="fr-btn" disabled=move || save.pending().get()>
                    {if id.is_some() { "Enregistrer la plage" } else { "Ajouter la plage" }}
                </button>
                {id.is_some().then(|| view! {
                    <button type="button" class="fr-btn fr-btn--secondary fr-ml-2w" on:click=move |_| on_done.run(())>"Annuler"</button>
                })}
            </div>
        </form>
    }
}

#[component]
fn AbsenceTable(absences: Vec<AbsenceView>, delete: ServerAction<DeleteAbsence>) -> impl IntoView {
    if absences.is_empty() {
        return view! { <p>"Aucune absence à venir."</p> }.into_any();
    }
    view! {
        <ul class="absence-list">
            {absences.into_iter().map(|a| {
                let id = a.id;
                let text = if a.label.is_empty() { a.period.clone() } else { format!("{} — {}", a.period, a.label) };
                view! {
                    <li>
                        {format!("Absence {text}")}
                        <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm fr-ml-2w"
                            on:click=move |_| { delete.dispatch(DeleteAbsence { id }); }>
                            "Supprimer" <span class="fr-sr-only">{format!(" l'absence {}", a.period)}</span>
                        </button>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn AbsenceForm(add: ServerAction<AddAbsence>) -> impl IntoView {
    let fields: [RwSignal<String>; 5] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let [start_date, start_time, end_date, end_time, label] = fields;
    let errors = Errors::new();
    let version = add.version().get_untracked();
    Effect::new(move || {
        if add.version().get() == version {
            return;
        }
        match add.value().get() {
            Some(Err(e)) => errors.show_server(&e),
            Some(Ok(())) => {
                errors.clear();
                fields.iter().for_each(|f| f.set(String::new()));
            }
            None => {}
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let absence = AbsenceInput {
            start_date: start_date.get_untracked(),
            start_time: start_time.get_untracked(),
            end_date: end_date.get_untracked(),
            end_time: end_time.get_untracked(),
            label: label.get_untracked(),
        };
        match absence.validate() {
            Ok(_) => {
                errors.clear();
                add.dispatch(AddAbsence { absence });
            }
            Err(found) => errors.show(found),
        }
    };
    view! {
        <h3 class="fr-h5 fr-mt-4w" id="absence-form-title">"Nouvelle absence"</h3>
        <form on:submit=on_submit novalidate aria-labelledby="absence-form-title">
            <ErrorAlert error=general_error(add.value()) />
            <div class="fr-grid-row fr-grid-row--gutters">
                <div class="fr-col-12 fr-col-md-3">
                    <Field id="start_date" name="start_date" label="Début : date" kind="date" required=true
                        value=start_date error=errors.of("start_date") />
                </div>
                <div class="fr-col-12 fr-col-md-3">
                    <Field id="start_time" name="start_time" label="Début : heure" kind="time" required=true
                        value=start_time error=errors.of("start_time") />
                </div>
                <div class="fr-col-12 fr-col-md-3">
                    <Field id="end_date" name="end_date" label="Fin : date" kind="date" required=true
                        value=end_date error=errors.of("end_date") />
                </div>
                <div class="fr-col-12 fr-col-md-3">
                    <Field id="end_time" name="end_time" label="Fin : heure" kind="time" required=true
                        value=end_time error=errors.of("end_time") />
                </div>
            </div>
            <Field id="label" name="label" label="Motif de l'absence" hint="Facultatif, par exemple : Formation"
                value=label error=errors.of("label") />
            <button type="submit" class="fr-btn fr-btn--secondary fr-mt-2w" disabled=move || add.pending().get()>
                "Ajouter l'absence"
            </button>
        </form>
    }
}
