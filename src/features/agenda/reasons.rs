//! "Motifs de consultation": the practitioner's reasons, with the built-in
//! "Soins non programmés" added in one action.

#[cfg(feature = "ssr")]
use super::signed_in_practitioner;
use crate::components::form::{Checkbox, Errors, TextArea, general_error, successes};
use crate::components::loaded::Loaded;
use crate::components::{ErrorAlert, Field};
use crate::domain::ids::ReasonId;
use crate::domain::practitioner::{ReasonInput, ReasonView, SNP_NAME};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::services::agenda;
#[cfg(feature = "ssr")]
use crate::server::{store, with_status};
use leptos::prelude::*;
use leptos_meta::Title;

/// Practitioners only: their own reasons, archived ones included.
#[server(endpoint = "agenda/my_reasons")]
pub async fn my_reasons() -> Result<Vec<ReasonView>, AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        agenda::reasons(practitioner_id).await
    })
    .await
}

/// Practitioners only: creates a reason (`id` empty) or edits one of their own.
#[server(endpoint = "agenda/save_reason")]
pub async fn save_reason(id: Option<ReasonId>, reason: ReasonInput) -> Result<(), AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        agenda::save_reason(practitioner_id, id, &reason).await
    })
    .await
}

/// Practitioners only: archives one of their own reasons, or brings it back.
#[server(endpoint = "agenda/archive_reason")]
pub async fn archive_reason(id: ReasonId, archived: bool) -> Result<(), AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        store()?
            .set_reason_archived(practitioner_id, id, archived)
            .await
            .map_err(AppError::from)
    })
    .await
}

/// Practitioners only: adds "Soins non programmés" to their own reasons.
#[server(endpoint = "agenda/add_snp_reason")]
pub async fn add_snp_reason() -> Result<(), AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        store()?
            .add_snp_reason(practitioner_id)
            .await
            .map(drop)
            .map_err(AppError::from)
    })
    .await
}

fn yes_no(value: bool) -> &'static str {
    if value { "Oui" } else { "Non" }
}

#[component]
pub fn ReasonsPage() -> impl IntoView {
    let save = ServerAction::<SaveReason>::new();
    let archive = ServerAction::<ArchiveReason>::new();
    let add_snp = ServerAction::<AddSnpReason>::new();
    let changes = successes(vec![save.value(), archive.value(), add_snp.value()]);
    let reasons = Resource::new(move || changes.get(), |_| my_reasons());
    let editing = RwSignal::new(None::<ReasonView>);
    view! {
        <Title text="Motifs de consultation" />
        <h1>"Motifs de consultation"</h1>
        <p>
            "Le motif « Soins non programmés » ouvre au SAS les plages où vous le paramétrez, "
            "même si vous n'acceptez pas de nouveaux patients. Il peut partager une plage avec d'autres motifs."
        </p>
        <ErrorAlert error=Signal::derive(move || {
            general_error(archive.value()).get().or_else(|| general_error(add_snp.value()).get())
        }) />
        <Loaded resource=reasons let:list>
            {(!list.iter().any(|r| r.is_snp && !r.archived)).then(|| view! {
                <button type="button" class="fr-btn fr-icon-add-line fr-btn--icon-left fr-mb-3w"
                    on:click=move |_| { add_snp.dispatch(AddSnpReason {}); }>
                    {format!("Ajouter le motif « {SNP_NAME} »")}
                </button>
            })}
            <ReasonTable list editing archive />
        </Loaded>
        {move || view! { <ReasonForm editing=editing.get() save on_done=Callback::new(move |()| editing.set(None)) /> }}
    }
}

#[component]
fn ReasonTable(
    list: Vec<ReasonView>,
    editing: RwSignal<Option<ReasonView>>,
    archive: ServerAction<ArchiveReason>,
) -> impl IntoView {
    view! {
        <div class="fr-table">
            <table>
                <caption>"Vos motifs"</caption>
                <thead>
                    <tr>
                        <th scope="col">"Motif"</th>
                        <th scope="col">"Durée"</th>
                        <th scope="col">"Ouvert aux nouveaux patients"</th>
                        <th scope="col">"Réservable en ligne"</th>
                        <th scope="col">"Statut"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>
                    {list.into_iter().map(|r| {
                        let (id, archived, name) = (r.id, r.archived, r.name.clone());
                        let edited = r.clone();
                        view! {
                            <tr>
                                <th scope="row">{r.name.clone()}</th>
                                <td>{format!("{} min", r.duration_minutes)}</td>
                                <td>{yes_no(r.open_to_new_patients)}</td>
                                <td>{yes_no(r.bookable_online)}</td>
                                <td>{if archived { "Archivé" } else { "Actif" }}</td>
                                <td>
                                    <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm"
                                        on:click=move |_| editing.set(Some(edited.clone()))>
                                        "Modifier" <span class="fr-sr-only">{format!(" le motif « {name} »")}</span>
                                    </button>
                                    <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm fr-ml-1w"
                                        on:click=move |_| { archive.dispatch(ArchiveReason { id, archived: !archived }); }>
                                        {if archived { "Réactiver" } else { "Archiver" }}
                                        <span class="fr-sr-only">{format!(" le motif « {} »", r.name)}</span>
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ReasonForm(
    editing: Option<ReasonView>,
    save: ServerAction<SaveReason>,
    on_done: Callback<()>,
) -> impl IntoView {
    let id = editing.as_ref().map(|r| r.id);
    let is_snp = editing.as_ref().is_some_and(|r| r.is_snp);
    let title = match &editing {
        Some(r) => format!("Modifier le motif « {} »", r.name),
        None => "Nouveau motif".to_string(),
    };
    let name = RwSignal::new(editing.as_ref().map(|r| r.name.clone()).unwrap_or_default());
    let duration = RwSignal::new(
        editing
            .as_ref()
            .map_or("20".to_string(), |r| r.duration_minutes.to_string()),
    );
    let open = RwSignal::new(editing.as_ref().is_some_and(|r| r.open_to_new_patients));
    let online = RwSignal::new(editing.as_ref().is_some_and(|r| r.bookable_online));
    let notice = RwSignal::new(
        editing
            .as_ref()
            .map(|r| r.notice.clone())
            .unwrap_or_default(),
    );
    let errors = Errors::new();
    let version = save.version().get_untracked();
    Effect::new(move || {
        if save.version().get() == version {
            return;
        }
        match save.value().get() {
            Some(Err(e)) => errors.show_server(&e),
            Some(Ok(())) => {
                errors.clear();
                name.set(String::new());
                notice.set(String::new());
                on_done.run(());
            }
            None => {}
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let reason = ReasonInput {
            name: name.get_untracked(),
            duration_minutes: duration.get_untracked(),
            open_to_new_patients: open.get_untracked(),
            bookable_online: online.get_untracked(),
            notice: notice.get_untracked(),
        };
        match reason.validate(is_snp) {
            Ok(_) => {
                save.dispatch(SaveReason { id, reason });
            }
            Err(found) => errors.show(found),
        }
    };
    view! {
        <h2 class="fr-h4 fr-mt-6w" id="reason-form-title">{title}</h2>
        <form on:submit=on_submit novalidate aria-labelledby="reason-form-title">
            <ErrorAlert error=general_error(save.value()) />
            {if is_snp {
                view! { <p>{format!("Le motif « {SNP_NAME} » ne peut pas être renommé.")}</p> }.into_any()
            } else {
                view! { <Field id="name" name="name" label="Nom du motif" required=true value=name error=errors.of("name") /> }.into_any()
            }}
            <Field id="duration_minutes" name="duration_minutes" label="Durée (minutes)" kind="number"
                required=true value=duration error=errors.of("duration_minutes") />
            <Checkbox id="open_to_new_patients" label="Ouvert aux nouveaux patients" checked=open />
            <Checkbox id="bookable_online" label="Réservable en ligne" checked=online />
            <TextArea id="reason_notice" label="À lire avant de prendre un rendez-vous (facultatif)"
                hint="Affiché aux régulateurs qui choisissent ce motif. Laissé vide : votre message général (Participation au SAS)."
                value=notice error=errors.of("reason_notice") />
            <div class="fr-mt-2w">
                <button type="submit" class="fr-btn" disabled=move || save.pending().get()>
                    {if id.is_some() { "Enregistrer le motif" } else { "Ajouter le motif" }}
                </button>
                {id.is_some().then(|| view! {
                    <button type="button" class="fr-btn fr-btn--secondary fr-ml-2w" on:click=move |_| on_done.run(())>"Annuler"</button>
                })}
            </div>
        </form>
    }
}
