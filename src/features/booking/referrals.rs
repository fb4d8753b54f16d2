//! « Mes adressages » (a regulator's bookings, newest first, under a banner of those « à
//! replanifier » until acknowledged) and one appointment's page, read by the regulator who
//! booked it, its practitioner and administrators; every read is audited.

use crate::components::ErrorAlert;
use crate::components::form::{Errors, Radios, TextArea, general_error};
use crate::components::loaded::{Loaded, LoadedList};
#[cfg(feature = "ssr")]
use crate::domain::Role;
use crate::domain::appointment::{AppointmentView, ReferralLine};
use crate::domain::ids::AppointmentId;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, services::appointments, with_status};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// Regulators only: their bookings, newest first (patient names: audited).
#[server(endpoint = "booking/my_referrals")]
pub async fn my_referrals() -> Result<Vec<ReferralLine>, AppError> {
    with_status(async {
        let regulator = auth::require(&[Role::Regulator]).await?;
        appointments::regulator_lines(regulator.id).await
    })
    .await
}

/// Regulators only: « J'ai pris connaissance » of one of their appointments « à replanifier »,
/// or of all of them when `id` is `None`.
#[server(endpoint = "booking/acknowledge_reschedule")]
pub async fn acknowledge_reschedule(id: Option<AppointmentId>) -> Result<(), AppError> {
    with_status(async {
        let regulator = auth::require(&[Role::Regulator]).await?;
        appointments::acknowledge(regulator.id, id).await
    })
    .await
}

/// The regulator who booked it, its practitioner or an administrator: one appointment with
/// its patient (audited).
#[server(endpoint = "booking/appointment_detail")]
pub async fn appointment_detail(id: AppointmentId) -> Result<AppointmentView, AppError> {
    with_status(async {
        let user = auth::require(&[Role::Regulator, Role::Practitioner, Role::Admin]).await?;
        appointments::detail(&user, id).await
    })
    .await
}

/// The regulator who booked it (or an administrator): cancels a future appointment with a
/// reason; the slot is back in the search at once and the practitioner is told by mail.
#[server(endpoint = "booking/cancel_booking")]
pub async fn cancel_booking(id: AppointmentId, reason: String) -> Result<(), AppError> {
    with_status(async {
        let user = auth::require(&[Role::Regulator, Role::Admin]).await?;
        appointments::cancel(&user, id, &reason).await
    })
    .await
}

/// The practitioner of the appointment: honoré / non honoré (once its time has come) or annulé
/// (which frees the slot).
#[server(endpoint = "booking/set_appointment_outcome")]
pub async fn set_appointment_outcome(id: AppointmentId, status: String) -> Result<(), AppError> {
    with_status(async {
        let user = auth::require(&[Role::Practitioner]).await?;
        appointments::set_outcome(&user, id, &status).await
    })
    .await
}

#[component]
pub fn ReferralsPage() -> impl IntoView {
    let changed = RwSignal::new(0_u32);
    let lines = Resource::new(move || changed.get(), |_| my_referrals());
    view! {
        <Title text="Mes adressages" />
        <h1>"Mes adressages"</h1>
        <p>"Les rendez-vous que vous avez pris pour vos patients, du plus récent au plus ancien."</p>
        <LoadedList resource=lines empty="Vous n'avez pris aucun rendez-vous pour le moment." let:lines>
            <RescheduleBanner lines=lines.clone() changed />
            <ReferralTable lines />
        </LoadedList>
    }
}

/// The appointments the practitioner cancelled or was absent for, until the regulator says
/// « J'ai pris connaissance » (one by one, or all at once).
#[component]
fn RescheduleBanner(lines: Vec<ReferralLine>, changed: RwSignal<u32>) -> impl IntoView {
    let pending: Vec<ReferralLine> = lines
        .into_iter()
        .filter(|l| l.to_acknowledge.is_some())
        .collect();
    if pending.is_empty() {
        return ().into_any();
    }
    let acknowledge = ServerAction::<AcknowledgeReschedule>::new();
    Effect::new(move || {
        if let Some(Ok(())) = acknowledge.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let many = pending.len() > 1;
    let title = if many {
        format!("{} rendez-vous à replanifier", pending.len())
    } else {
        "Un rendez-vous à replanifier".to_string()
    };
    view! {
        <section class="fr-alert fr-alert--warning fr-mb-4w" aria-labelledby="a-replanifier">
            <h2 class="fr-alert__title" id="a-replanifier">{title}</h2>
            <p>"Le praticien a annulé ces rendez-vous ou s'est déclaré absent : prévenez le patient et proposez-lui un autre rendez-vous."</p>
            <ErrorAlert error=general_error(acknowledge.value()) />
            <ul class="reschedule-list">
                {pending.into_iter().map(|l| {
                    let id = l.id;
                    view! {
                        <li>
                            <A href=format!("/adressages/{id}") attr:class="fr-link">
                                {format!("{} — {} — {}", l.when, l.practitioner, l.patient)}
                            </A>
                            " : " {l.to_acknowledge.clone().unwrap_or_default()} " "
                            <button type="button" class="fr-btn fr-btn--sm fr-btn--tertiary"
                                disabled=move || acknowledge.pending().get()
                                on:click=move |_| { acknowledge.dispatch(AcknowledgeReschedule { id: Some(id) }); }>
                                "J'ai pris connaissance"
                                <span class="fr-sr-only">{format!(" du rendez-vous de {} du {}", l.patient, l.when)}</span>
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            {many.then(|| view! {
                <button type="button" class="fr-btn fr-btn--sm"
                    disabled=move || acknowledge.pending().get()
                    on:click=move |_| { acknowledge.dispatch(AcknowledgeReschedule { id: None }); }>
                    "J'ai pris connaissance de tous ces rendez-vous"
                </button>
            })}
        </section>
    }
    .into_any()
}

#[component]
fn ReferralTable(lines: Vec<ReferralLine>) -> impl IntoView {
    view! {
        <div class="fr-table">
            <table>
                <caption>"Rendez-vous pris, du plus récent au plus ancien"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Rendez-vous"</th>
                        <th scope="col">"Praticien"</th>
                        <th scope="col">"Patient"</th>
                        <th scope="col">"Motif"</th>
                        <th scope="col">"Statut"</th>
                        <th scope="col">"Détail"</th>
                    </tr>
                </thead>
                <tbody>
                    {lines.into_iter().map(|l| view! {
                        <tr>
                            <td>{l.when}</td>
                            <td>{l.practitioner}</td>
                            <td>{l.patient.clone()}</td>
                            <td>{l.reason}</td>
                            <td>{l.status}</td>
                            <td>
                                <A href=format!("/adressages/{}", l.id) attr:class="fr-link">
                                    "Voir" <span class="fr-sr-only">{format!(" le rendez-vous de {}", l.patient)}</span>
                                </A>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn AppointmentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .map(AppointmentId)
    };
    let changed = RwSignal::new(0_u32);
    let detail = Resource::new(
        move || (id(), changed.get()),
        |(id, _)| async move {
            match id {
                Some(id) => appointment_detail(id).await,
                None => Err(AppError::NotFound("Rendez-vous introuvable.".into())),
            }
        },
    );
    view! {
        <Title text="Rendez-vous SAS" />
        <h1>"Rendez-vous SAS"</h1>
        <Loaded resource=detail let:view>
            <AppointmentDetail view changed />
        </Loaded>
    }
}

#[component]
fn AppointmentDetail(view: AppointmentView, changed: RwSignal<u32>) -> impl IntoView {
    let a = view;
    let known = a.known_patient.map(|k| if k { "Oui" } else { "Non" });
    view! {
        <div class="fr-callout fr-mb-4w">
            <h2 class="fr-callout__title">{a.when.clone()}</h2>
            <p class="fr-callout__text">
                {a.practitioner.clone()} " — " {a.place.clone()} <br />
                "Type de consultation : " {a.mode.clone()} <br />
                "Motif de consultation : " {a.reason.clone()} <br />
                "Praticien référent : SAS — pris par " {a.regulator.clone()}
            </p>
            <p class="fr-badge fr-badge--info" id="statut">{a.status.clone()}</p>
        </div>
        {a.cancel_reason.clone().map(|r| view! { <p>"Motif de l'annulation : " {r}</p> })}
        <h2 class="fr-h4">"Les informations du patient"</h2>
        <dl class="patient-fields">
            {a.patient.iter().cloned().map(|(label, value)| {
                let phone = (label == "Téléphone du patient").then(|| a.phone_href.clone());
                view! {
                    <dt>{label}</dt>
                    <dd>{match phone {
                        Some(href) => view! { <a class="fr-link" href=href>{value}</a> }.into_any(),
                        None => view! { <span>{value}</span> }.into_any(),
                    }}</dd>
                }
            }).collect_view()}
            {known.map(|k| view! { <dt>"A déjà consulté ce praticien"</dt> <dd>{k}</dd> })}
        </dl>
        {(!a.answers.is_empty()).then(|| view! {
            <h2 class="fr-h4">"Réponses aux questions du praticien"</h2>
            <dl>{a.answers.iter().cloned().map(|(q, r)| view! { <dt>{q}</dt> <dd>{r}</dd> }).collect_view()}</dl>
        })}
        <h2 class="fr-h4">"Message à destination du praticien"</h2>
        <p>{a.message.clone().unwrap_or_else(|| "Aucun message.".into())}</p>
        <h2 class="fr-h4">"Pièces jointes"</h2>
        {if a.attachments.is_empty() {
            view! { <p>"Aucune pièce jointe."</p> }.into_any()
        } else {
            view! {
                <ul>{a.attachments.iter().cloned().map(|f| view! {
                    <li><a class="fr-link fr-link--download" href=f.href download=f.name.clone()>
                        {f.name.clone()} <span class="fr-link__detail">{f.size}</span>
                    </a></li>
                }).collect_view()}</ul>
            }.into_any()
        }}
        {a.can_cancel.then(|| view! { <CancelForm id=a.id changed /> })}
        {a.can_set_outcome.then(|| view! { <OutcomeForm id=a.id changed /> })}
    }
}

#[component]
fn CancelForm(id: AppointmentId, changed: RwSignal<u32>) -> impl IntoView {
    let cancel = ServerAction::<CancelBooking>::new();
    let reason = RwSignal::new(String::new());
    let errors = Errors::new();
    Effect::new(move || match cancel.value().get() {
        Some(Ok(())) => changed.update(|n| *n += 1),
        Some(Err(e)) => errors.show_server(&e),
        None => {}
    });
    view! {
        <ErrorAlert error=general_error(cancel.value()) />
        <form class="fr-mt-4w" novalidate on:submit=move |ev| {
            ev.prevent_default();
            cancel.dispatch(CancelBooking { id, reason: reason.get_untracked() });
        }>
            <h2 class="fr-h4">"Annuler le rendez-vous"</h2>
            <TextArea id="cancel_reason" label="Motif de l'annulation"
                hint="Le créneau redevient disponible dans la recherche ; le praticien et le patient (si son adresse électronique a été donnée) sont prévenus par courriel."
                value=reason error=errors.of("cancel_reason") />
            <button type="submit" class="fr-btn fr-btn--secondary" disabled=move || cancel.pending().get()>
                "Annuler le rendez-vous"
            </button>
        </form>
    }
}

#[component]
fn OutcomeForm(id: AppointmentId, changed: RwSignal<u32>) -> impl IntoView {
    let save = ServerAction::<SetAppointmentOutcome>::new();
    let status = RwSignal::new(String::new());
    let errors = Errors::new();
    Effect::new(move || match save.value().get() {
        Some(Ok(())) => changed.update(|n| *n += 1),
        Some(Err(e)) => errors.show_server(&e),
        None => {}
    });
    view! {
        <ErrorAlert error=general_error(save.value()) />
        <form class="fr-mt-4w" novalidate on:submit=move |ev| {
            ev.prevent_default();
            save.dispatch(SetAppointmentOutcome { id, status: status.get_untracked() });
        }>
            <Radios id="outcome" legend="Résultat du rendez-vous"
                options=vec![("fulfilled", "Honoré"), ("noshow", "Non honoré"), ("cancelled", "Annulé")]
                value=status error=errors.of("outcome") />
            <button type="submit" class="fr-btn" disabled=move || save.pending().get()>"Enregistrer le résultat"</button>
        </form>
    }
}
