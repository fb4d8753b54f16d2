//! The practitioner's side: registration, SAS participation and booking requirements,
//! reasons (motifs), agenda ranges and absences, the week view, and the appointments the SAS
//! booked for their patients. Every server function works on the signed-in practitioner's own
//! agenda only: the practitioner id comes from the session, never from the request.

pub mod ranges;
pub mod reasons;
pub mod register;
pub mod settings;
pub mod week;

use crate::components::ErrorAlert;
use crate::domain::appointment::AppointmentLine;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::store::StoreError;
#[cfg(feature = "ssr")]
use crate::server::{auth, internal, services, with_status};
use leptos::prelude::*;
use leptos_meta::Title;

pub use ranges::RangesPage;
pub use reasons::ReasonsPage;
pub use register::RegisterPage;
pub use settings::SettingsPage;
pub use week::WeekPage;

/// Practitioners only: (user id, practitioner id) of the signed-in practitioner.
#[cfg(feature = "ssr")]
async fn signed_in_practitioner() -> Result<(i64, i64), AppError> {
    let user = auth::require(&[crate::domain::Role::Practitioner]).await?;
    let practitioner_id = user.practitioner_id.ok_or(AppError::Forbidden)?;
    Ok((user.id, practitioner_id))
}

/// A refusal of the store, in the words of the practitioner pages.
#[cfg(feature = "ssr")]
fn refused(err: StoreError) -> AppError {
    match err {
        StoreError::NotFound => {
            AppError::NotFound("Cet élément n'existe pas dans votre agenda.".into())
        }
        StoreError::Overlap(other) => AppError::invalid(
            "start",
            format!("Cette plage chevauche une plage existante : {other}."),
        ),
        StoreError::UnknownReason => {
            AppError::invalid("reason_ids", crate::domain::agenda::UNKNOWN_REASON)
        }
        other => internal(other),
    }
}

/// Practitioners only: their own appointments, patient identity included (audited).
#[server]
pub async fn my_appointments() -> Result<Vec<AppointmentLine>, AppError> {
    with_status(
        async {
            let (user_id, practitioner_id) = signed_in_practitioner().await?;
            services::appointments::practitioner_lines(user_id, practitioner_id).await
        }
        .await,
    )
}

#[component]
pub fn AppointmentsPage() -> impl IntoView {
    let appointments = Resource::new(|| (), |_| my_appointments());
    view! {
        <Title text="Mes rendez-vous" />
        <h1>"Mes rendez-vous"</h1>
        <p>"Les rendez-vous pris pour vos patients par les régulateurs du SAS."</p>
        <Transition fallback=|| view! { <p>"Chargement…"</p> }>
            {move || appointments.get().map(|r| match r {
                Ok(lines) if lines.is_empty() => view! { <p>"Aucun rendez-vous pour le moment."</p> }.into_any(),
                Ok(lines) => view! { <AppointmentTable lines /> }.into_any(),
                Err(e) => view! { <ErrorAlert error=Signal::derive(move || Some(e.clone())) /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn AppointmentTable(lines: Vec<AppointmentLine>) -> impl IntoView {
    view! {
        <div class="fr-table">
            <table>
                <caption>"Rendez-vous pris par le SAS"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Rendez-vous"</th>
                        <th scope="col">"Patient"</th>
                        <th scope="col">"Date de naissance"</th>
                        <th scope="col">"Téléphone"</th>
                        <th scope="col">"Type de consultation"</th>
                        <th scope="col">"Motif"</th>
                        <th scope="col">"Statut"</th>
                        <th scope="col">"Détail"</th>
                    </tr>
                </thead>
                <tbody>
                    {lines.into_iter().map(|a| view! {
                        <tr>
                            <td>{a.when}</td>
                            <td>{a.patient.clone()}</td>
                            <td>{a.birth_date}</td>
                            <td><a href=a.phone.0 class="fr-link">{a.phone.1}</a></td>
                            <td>{a.mode}</td>
                            <td>{a.reason}</td>
                            <td>{a.status}</td>
                            <td><a class="fr-link" href=format!("/adressages/{}", a.id)>
                                "Voir" <span class="fr-sr-only">{format!(" le rendez-vous de {}", a.patient)}</span>
                            </a></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
