//! The practitioner's side: registration, SAS participation and booking requirements,
//! reasons (motifs), agenda ranges and absences, the week view, and the appointments the SAS
//! booked for their patients. Every server function works on the signed-in practitioner's own
//! agenda only: the practitioner id comes from the session, never from the request.

pub mod ranges;
pub mod reasons;
pub mod register;
pub mod settings;
pub mod week;

use crate::components::loaded::LoadedList;
use crate::domain::appointment::AppointmentLine;
#[cfg(feature = "ssr")]
use crate::domain::ids::{PractitionerId, UserId};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, services, with_status};
use leptos::prelude::*;
use leptos_meta::Title;

pub use ranges::RangesPage;
pub use reasons::ReasonsPage;
pub use register::RegisterPage;
pub use settings::SettingsPage;
pub use week::WeekPage;

/// Practitioners only: (user id, practitioner id) of the signed-in practitioner.
#[cfg(feature = "ssr")]
async fn signed_in_practitioner() -> Result<(UserId, PractitionerId), AppError> {
    let user = auth::require(&[crate::domain::Role::Practitioner]).await?;
    let practitioner_id = user.practitioner_id.ok_or(AppError::Forbidden)?;
    Ok((user.id, practitioner_id))
}

/// Practitioners only: their own appointments, patient identity included (audited).
#[server]
pub async fn my_appointments() -> Result<Vec<AppointmentLine>, AppError> {
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        services::appointments::practitioner_lines(user_id, practitioner_id).await
    })
    .await
}

#[component]
pub fn AppointmentsPage() -> impl IntoView {
    let appointments = Resource::new(|| (), |_| my_appointments());
    view! {
        <Title text="Mes rendez-vous" />
        <h1>"Mes rendez-vous"</h1>
        <p>"Les rendez-vous pris pour vos patients par les régulateurs du SAS."</p>
        <LoadedList resource=appointments empty="Aucun rendez-vous pour le moment." let:lines>
            <AppointmentTable lines />
        </LoadedList>
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
