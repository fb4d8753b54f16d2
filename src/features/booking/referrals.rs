//! « Mes adressages » (a regulator's bookings, newest first) and one appointment's page, read by
//! the regulator who booked it, its practitioner and administrators; every read is audited.

#[cfg(feature = "ssr")]
pub use super::when_label;
use crate::components::ErrorAlert;
use crate::components::form::{Errors, Radios, TextArea, general_error};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, internal, store, with_status};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// One line of « Mes adressages ».
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralLine {
    pub id: i64,
    pub when: String,
    pub practitioner: String,
    pub patient: String,
    pub reason: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachmentLink {
    pub href: String,
    pub name: String,
    pub size: String,
}

/// One appointment, as its readers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppointmentView {
    pub id: i64,
    pub when: String,
    pub practitioner: String,
    pub place: String,
    pub regulator: String,
    pub mode: String,
    pub status: String,
    pub reason: String,
    pub known_patient: Option<bool>,
    pub message: Option<String>,
    pub cancel_reason: Option<String>,
    /// Label and value of each patient field typed.
    pub patient: Vec<(String, String)>,
    /// `tel:` link of the patient's phone.
    pub phone_href: String,
    pub answers: Vec<(String, String)>,
    pub attachments: Vec<AttachmentLink>,
    pub can_cancel: bool,
    pub can_set_outcome: bool,
}

#[cfg(feature = "ssr")]
fn status_label(code: &str) -> String {
    crate::domain::agenda::Status::from_code(code)
        .map_or("", crate::domain::agenda::Status::label)
        .into()
}

/// "Marie DURAND (naissance : MARTIN)"
#[cfg(feature = "ssr")]
pub fn patient_label(a: &crate::server::store::AppointmentRecord) -> String {
    let born = if a.patient_birth_name != a.patient_last_name {
        format!(" (naissance : {})", a.patient_birth_name.to_uppercase())
    } else {
        String::new()
    };
    format!(
        "{} {}{born}",
        a.patient_first_name,
        a.patient_last_name.to_uppercase()
    )
}

/// Regulators only: their bookings, newest first (patient names: audited).
#[server(endpoint = "booking/my_referrals")]
pub async fn my_referrals() -> Result<Vec<ReferralLine>, AppError> {
    with_status(
        async {
            let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
            let records = store()?
                .regulator_appointments(regulator.id)
                .await
                .map_err(internal)?;
            auth::audit(
                Some(regulator.id),
                "patient_data_read",
                &format!("appointments:regulator:{}", regulator.id),
            )
            .await?;
            Ok(records
                .iter()
                .map(|a| ReferralLine {
                    id: a.id,
                    when: when_label(a.starts_at),
                    practitioner: format!(
                        "Dr {} {}",
                        a.practitioner_first_name, a.practitioner_last_name
                    ),
                    patient: patient_label(a),
                    reason: a.reason_name.clone(),
                    status: status_label(&a.status),
                })
                .collect())
        }
        .await,
    )
}

/// The appointment if `user` may read it: the regulator who booked it, its practitioner, an
/// administrator. Anyone else is told it does not exist.
#[cfg(feature = "ssr")]
async fn readable(
    user: &crate::server::store::UserRecord,
    id: i64,
) -> Result<crate::server::store::AppointmentRecord, AppError> {
    use crate::domain::Role;
    let appointment = store()?.appointment(id).await.map_err(internal)?;
    let allowed = |a: &crate::server::store::AppointmentRecord| match user.role() {
        Some(Role::Admin) => true,
        Some(Role::Regulator) => a.regulator_id == user.id,
        Some(Role::Practitioner) => user.practitioner_id == Some(a.practitioner_id),
        _ => false,
    };
    appointment
        .filter(allowed)
        .ok_or_else(|| AppError::NotFound("Rendez-vous introuvable.".into()))
}

#[cfg(feature = "ssr")]
fn patient_fields(a: &crate::server::store::AppointmentRecord) -> Vec<(String, String)> {
    use crate::domain::identity::Phone;
    let birth_date = chrono::NaiveDate::parse_from_str(&a.patient_birth_date, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default();
    let birth_place = match (&a.patient_birth_insee, &a.patient_birth_country) {
        (Some(insee), _) => Some(format!(
            "Né(e) en France — {} ({insee})",
            a.patient_birth_city.clone().unwrap_or_default()
        )),
        (None, Some(country)) => Some(format!("Né(e) à l'étranger — {country}")),
        _ => None,
    };
    let phone =
        Phone::parse(&a.patient_phone).map_or_else(|_| a.patient_phone.clone(), |p| p.display());
    [
        ("Civilité", a.patient_civility.clone()),
        ("Prénom du patient", Some(a.patient_first_name.clone())),
        ("Nom du patient", Some(a.patient_last_name.clone())),
        (
            "Nom de naissance du patient",
            Some(a.patient_birth_name.clone()),
        ),
        ("Date de naissance du patient", Some(birth_date)),
        ("Lieu de naissance du patient", birth_place),
        ("Téléphone du patient", Some(phone)),
        ("Email du patient", a.patient_email.clone()),
        ("Adresse postale du patient", a.patient_address.clone()),
        (
            "Numéro de sécurité sociale du patient",
            a.patient_nir.clone(),
        ),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| (label.to_string(), v)))
    .collect()
}

/// The regulator who booked it, its practitioner or an administrator: one appointment with
/// its patient (audited).
#[server(endpoint = "booking/appointment_detail")]
pub async fn appointment_detail(id: i64) -> Result<AppointmentView, AppError> {
    use crate::domain::Role;
    use crate::domain::agenda::Mode;
    with_status(
        async {
            let user = auth::require(&[Role::Regulator, Role::Practitioner, Role::Admin]).await?;
            let a = readable(&user, id).await?;
            let store = store()?;
            let answers = store.appointment_answers(id).await.map_err(internal)?;
            let files = store.appointment_attachments(id).await.map_err(internal)?;
            auth::audit(
                Some(user.id),
                "patient_data_read",
                &format!("appointment:{id}"),
            )
            .await?;
            let booked = a.status == "booked";
            let future = a.starts_at > crate::server::now();
            Ok(AppointmentView {
                id,
                when: when_label(a.starts_at),
                practitioner: format!(
                    "Dr {} {}",
                    a.practitioner_first_name, a.practitioner_last_name
                ),
                place: format!("{}, {}", a.practitioner_address, a.practitioner_city),
                regulator: format!("{} {}", a.regulator_first_name, a.regulator_last_name),
                mode: Mode::from_code(&a.mode).map_or("", Mode::label).into(),
                status: status_label(&a.status),
                reason: a.reason_name.clone(),
                known_patient: a.known_patient,
                message: a.message.clone(),
                cancel_reason: a.cancel_reason.clone(),
                patient: patient_fields(&a),
                phone_href: format!("tel:{}", a.patient_phone),
                answers: answers.into_iter().map(|r| (r.label, r.answer)).collect(),
                attachments: files
                    .into_iter()
                    .map(|f| AttachmentLink {
                        href: format!("/pieces-jointes/{}", f.token),
                        name: f.file_name,
                        size: size_label(f.size_bytes),
                    })
                    .collect(),
                can_cancel: booked
                    && future
                    && matches!(user.role(), Some(Role::Regulator | Role::Admin)),
                can_set_outcome: a.status != "cancelled" && user.role() == Some(Role::Practitioner),
            })
        }
        .await,
    )
}

#[cfg(feature = "ssr")]
fn size_label(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} Mo", bytes as f64 / (1024.0 * 1024.0)).replace('.', ",")
    } else {
        format!("{} ko", (bytes + 1023) / 1024)
    }
}

/// The regulator who booked it (or an administrator): cancels a future appointment with a
/// reason; the slot is back in the search at once and the practitioner is told by mail.
#[server(endpoint = "booking/cancel_booking")]
pub async fn cancel_booking(id: i64, reason: String) -> Result<(), AppError> {
    use crate::domain::Role;
    use crate::server::store::StoreError;
    with_status(
        async {
            let user = auth::require(&[Role::Regulator, Role::Admin]).await?;
            let a = readable(&user, id).await?;
            let reason = crate::domain::booking::cancel_reason(&reason)
                .map_err(|m| AppError::invalid("cancel_reason", m))?;
            if a.starts_at <= crate::server::now() {
                return Err(AppError::invalid(
                    "cancel_reason",
                    "Ce rendez-vous est passé : il ne peut plus être annulé.",
                ));
            }
            match store()?
                .cancel_appointment(
                    id,
                    &reason,
                    crate::server::now(),
                    user.id,
                    auth::client_ip().as_deref(),
                )
                .await
            {
                Ok(()) => {}
                Err(StoreError::NotFound) => {
                    return Err(AppError::invalid(
                        "cancel_reason",
                        "Ce rendez-vous est déjà annulé.",
                    ));
                }
                Err(e) => return Err(internal(e)),
            }
            // The audit entry was written with the cancellation.
            super::notify_practitioner(id, crate::server::mail::appointment_cancelled).await;
            Ok(())
        }
        .await,
    )
}

/// The practitioner of the appointment: honoré / non honoré (once its time has come) or annulé
/// (which frees the slot).
#[server(endpoint = "booking/set_appointment_outcome")]
pub async fn set_appointment_outcome(id: i64, status: String) -> Result<(), AppError> {
    use crate::domain::Role;
    use crate::domain::agenda::Status;
    with_status(
        async {
            let user = auth::require(&[Role::Practitioner]).await?;
            let a = readable(&user, id).await?;
            let now = crate::server::now();
            let status = Status::from_code(&status)
                .filter(|s| *s != Status::Booked)
                .ok_or_else(|| {
                    AppError::invalid("outcome", "Choisissez le résultat du rendez-vous.")
                })?;
            let store = store()?;
            let done = match status {
                Status::Cancelled => {
                    let ip = auth::client_ip();
                    store
                        .cancel_appointment(
                            id,
                            "Annulé par le praticien",
                            now,
                            user.id,
                            ip.as_deref(),
                        )
                        .await
                }
                _ if a.starts_at > now => {
                    return Err(AppError::invalid(
                        "outcome",
                        "Un rendez-vous se déclare honoré ou non honoré une fois son heure passée.",
                    ));
                }
                _ => {
                    store
                        .set_outcome(a.practitioner_id, id, status.code(), now)
                        .await
                }
            };
            done.map_err(|e| match e {
                crate::server::store::StoreError::NotFound => {
                    AppError::invalid("outcome", "Ce rendez-vous est annulé.")
                }
                e => internal(e),
            })?;
            // A cancellation wrote its audit entry with it.
            if status != Status::Cancelled {
                auth::audit(
                    Some(user.id),
                    &format!("appointment_{}", status.code()),
                    &format!("appointment:{id}"),
                )
                .await?;
            }
            Ok(())
        }
        .await,
    )
}

#[component]
pub fn ReferralsPage() -> impl IntoView {
    let lines = Resource::new(|| (), |_| my_referrals());
    view! {
        <Title text="Mes adressages" />
        <h1>"Mes adressages"</h1>
        <p>"Les rendez-vous que vous avez pris pour vos patients, du plus récent au plus ancien."</p>
        <Transition fallback=|| view! { <p>"Chargement…"</p> }>
            {move || lines.get().map(|r| match r {
                Ok(lines) if lines.is_empty() => view! { <p>"Vous n'avez pris aucun rendez-vous pour le moment."</p> }.into_any(),
                Ok(lines) => view! { <ReferralTable lines /> }.into_any(),
                Err(e) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
            })}
        </Transition>
    }
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
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok());
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
        <Transition fallback=|| view! { <p>"Chargement…"</p> }>
            {move || detail.get().map(|r| match r {
                Ok(view) => view! { <AppointmentDetail view changed /> }.into_any(),
                Err(e) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
            })}
        </Transition>
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
fn CancelForm(id: i64, changed: RwSignal<u32>) -> impl IntoView {
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
                hint="Le créneau redevient disponible dans la recherche et le praticien est prévenu par courriel."
                value=reason error=errors.of("cancel_reason") />
            <button type="submit" class="fr-btn fr-btn--secondary" disabled=move || cancel.pending().get()>
                "Annuler le rendez-vous"
            </button>
        </form>
    }
}

#[component]
fn OutcomeForm(id: i64, changed: RwSignal<u32>) -> impl IntoView {
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
