//! "Participation au SAS": the practitioner's SAS settings, their practice (specialty, address,
//! commune chosen in the commune list), the notice shown before booking, and what bookings
//! must carry beyond the default patient fields.

#[cfg(feature = "ssr")]
use super::signed_in_practitioner;
use crate::components::form::{
    Checkbox, Choices, Errors, Select, TextArea, general_error, successes,
};
use crate::components::loaded::Loaded;
use crate::components::place::PlaceField;
use crate::components::{ErrorAlert, Field};
use crate::domain::ids::QuestionId;
use crate::domain::participation::{ParticipationView, SasStatus};
use crate::domain::place::CommuneOption;
use crate::domain::practitioner::{
    ExtraField, PracticeInput, QuestionInput, QuestionView, SettingsInput, SettingsView,
};
use crate::domain::specialty::Specialty;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::services::{agenda, participation};
#[cfg(feature = "ssr")]
use crate::server::{store, with_status};
use leptos::prelude::*;
use leptos_meta::Title;

/// Practitioners only: their own settings and questions.
#[server(endpoint = "agenda/my_settings")]
pub async fn my_settings() -> Result<SettingsView, AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        agenda::settings(practitioner_id).await
    })
    .await
}

/// Practitioners only: « Je participe au SAS », a request the SAS administration of their
/// département decides on.
#[server(endpoint = "agenda/request_participation")]
pub async fn request_participation() -> Result<(), AppError> {
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        participation::request(user_id, practitioner_id).await
    })
    .await
}

/// Practitioners only: withdraws their request or their participation; their slots leave the
/// search at once.
#[server(endpoint = "agenda/withdraw_participation")]
pub async fn withdraw_participation() -> Result<(), AppError> {
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        participation::withdraw(user_id, practitioner_id).await
    })
    .await
}

/// Practitioners only: saves their own settings.
#[server(endpoint = "agenda/save_settings")]
pub async fn save_settings(settings: SettingsInput) -> Result<(), AppError> {
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        let settings = settings.validate().map_err(AppError::Invalid)?;
        store()?.update_settings(practitioner_id, &settings).await?;
        tracing::info!(%user_id, %practitioner_id, "practitioner settings saved");
        Ok(())
    })
    .await
}

/// Practitioners only: changes their own practice; the server places it by the commune.
#[server(endpoint = "agenda/save_practice")]
pub async fn save_practice(practice: PracticeInput) -> Result<(), AppError> {
    with_status(async {
        let (user_id, practitioner_id) = signed_in_practitioner().await?;
        agenda::save_practice(practitioner_id, &practice).await?;
        tracing::info!(%user_id, %practitioner_id, "practice saved");
        Ok(())
    })
    .await
}

/// Practitioners only: adds a question to their own booking form.
#[server(endpoint = "agenda/add_question")]
pub async fn add_question(question: QuestionInput) -> Result<(), AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        let (label, required) = question.validate().map_err(AppError::Invalid)?;
        store()?
            .insert_question(practitioner_id, &label, required)
            .await?;
        Ok(())
    })
    .await
}

/// Practitioners only: removes one of their own questions.
#[server(endpoint = "agenda/remove_question")]
pub async fn remove_question(id: QuestionId) -> Result<(), AppError> {
    with_status(async {
        let (_, practitioner_id) = signed_in_practitioner().await?;
        store()?
            .archive_question(practitioner_id, id)
            .await
            .map_err(AppError::from)
    })
    .await
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let save = ServerAction::<SaveSettings>::new();
    let add = ServerAction::<AddQuestion>::new();
    let remove = ServerAction::<RemoveQuestion>::new();
    let request = ServerAction::<RequestParticipation>::new();
    let withdraw = ServerAction::<WithdrawParticipation>::new();
    let practice = ServerAction::<SavePractice>::new();
    let changes = successes(vec![
        practice.value(),
        add.value(),
        remove.value(),
        request.value(),
        withdraw.value(),
    ]);
    let view_data = Resource::new(move || changes.get(), |_| my_settings());
    view! {
        <Title text="Participation au SAS" />
        <h1>"Participation au SAS"</h1>
        <div class="fr-callout fr-mb-4w">
            <p class="fr-callout__text">
                "Vos créneaux remontent dans la recherche des régulateurs du SAS si votre participation au SAS "
                "est validée par l'administration du SAS de votre département et : "
                "soit vous acceptez de nouveaux patients sur des créneaux réservables en ligne, "
                "soit le motif « Soins non programmés » est paramétré sur la plage. "
                "Vous n'avez pas besoin de dédier des créneaux au SAS : d'autres motifs peuvent partager la plage."
            </p>
        </div>
        <Loaded resource=view_data let:data>
            <Participation participation=data.participation request withdraw />
            <PracticeForm initial=data.practice approximate=data.approximate_position save=practice />
            <SettingsForm initial=data.settings save />
            <Questions questions=data.questions add remove />
        </Loaded>
    }
}

#[component]
fn SettingsForm(initial: SettingsInput, save: ServerAction<SaveSettings>) -> impl IntoView {
    let accepts = RwSignal::new(initial.accepts_new_patients);
    let notice = RwSignal::new(initial.booking_notice);
    let extra = RwSignal::new(initial.extra_fields);
    let errors = Errors::new();
    Effect::new(move || match save.value().get() {
        Some(Err(e)) => errors.show_server(&e),
        Some(Ok(())) => errors.clear(),
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings = SettingsInput {
            accepts_new_patients: accepts.get_untracked(),
            booking_notice: notice.get_untracked(),
            extra_fields: extra.get_untracked(),
        };
        match settings.validate() {
            Ok(_) => {
                errors.clear();
                save.dispatch(SaveSettings { settings });
            }
            Err(found) => errors.show(found),
        }
    };
    let options = ExtraField::ALL
        .iter()
        .map(|f| (f.code().to_string(), f.label().to_string()))
        .collect();
    view! {
        <form on:submit=on_submit novalidate>
            <ErrorAlert error=general_error(save.value()) />
            <fieldset class="fr-fieldset">
                <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Mes créneaux et mes patients"</h2></legend>
                <div class="fr-fieldset__element">
                    <Checkbox id="accepts_new_patients" label="J'accepte de nouveaux patients"
                        hint="Les créneaux ouverts aux nouveaux patients et réservables en ligne remontent au SAS."
                        checked=accepts />
                </div>
                <div class="fr-fieldset__element">
                    <TextArea id="booking_notice" label="À lire avant de prendre un rendez-vous"
                        hint="Affiché à la personne qui réserve, avant qu'elle confirme le rendez-vous, quand le motif choisi n'a pas de message à lui (Motifs de consultation)."
                        value=notice error=errors.of("booking_notice") />
                </div>
            </fieldset>
            <Choices id="extra_fields" legend="Informations du patient demandées en plus"
                hint="Par défaut les informations obligatoires sont : nom, prénom, nom de naissance, date de naissance, téléphone."
                options selected=extra error=errors.of("extra_fields") />
            <button type="submit" class="fr-btn" disabled=move || save.pending().get()>"Enregistrer"</button>
            <div role="status" class="fr-mt-2w">
                {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! {
                    <div class="fr-alert fr-alert--success fr-alert--sm"><p>"Paramètres enregistrés."</p></div>
                })}
            </div>
        </form>
    }
}

/// « Mon cabinet »: specialty, address and commune, from the lists registration uses.
#[component]
fn PracticeForm(
    initial: PracticeInput,
    approximate: bool,
    save: ServerAction<SavePractice>,
) -> impl IntoView {
    let specialty = RwSignal::new(initial.specialty);
    let address = RwSignal::new(initial.address);
    let postcode = RwSignal::new(initial.postcode);
    let (commune, insee) = (
        RwSignal::new(initial.commune),
        RwSignal::new(initial.insee_code),
    );
    let errors = Errors::new();
    Effect::new(move || {
        if let Some(Err(e)) = save.value().get() {
            errors.show_server(&e);
        }
    });
    let choose = Callback::new(move |c: CommuneOption| {
        if !c
            .postcodes
            .split_whitespace()
            .any(|p| p == postcode.get_untracked().trim())
        {
            postcode.set(
                c.postcodes
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .to_string(),
            );
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let practice = PracticeInput {
            specialty: specialty.get_untracked(),
            address: address.get_untracked(),
            postcode: postcode.get_untracked(),
            insee_code: insee.get_untracked(),
            commune: commune.get_untracked(),
        };
        match practice.validate() {
            Ok(_) => {
                errors.clear();
                save.dispatch(SavePractice { practice });
            }
            Err(found) => errors.show(found),
        }
    };
    let specialties = Specialty::ALL
        .iter()
        .map(|s| (s.label().to_string(), s.label().to_string()))
        .collect();
    view! {
        <form on:submit=on_submit novalidate class="fr-mb-6w">
            <ErrorAlert error=general_error(save.value()) />
            <fieldset class="fr-fieldset">
                <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Mon cabinet"</h2></legend>
                <div class="fr-fieldset__element">
                    <Select id="specialty" label="Spécialité" options=specialties value=specialty
                        error=errors.of("specialty") />
                </div>
                <div class="fr-fieldset__element">
                    <Field id="address" name="address" label="Adresse du cabinet" required=true
                        autocomplete="street-address" value=address error=errors.of("address") />
                </div>
                <div class="fr-fieldset__element">
                    <PlaceField text=commune insee choose id="commune" name="commune" label="Commune du cabinet"
                        error=errors.of("commune") />
                    {approximate.then(|| view! {
                        <p class="fr-hint-text">
                            "Cette commune n'a pas de coordonnées dans la liste des communes : la recherche des "
                            "régulateurs vous place au centre de votre département (position approximative)."
                        </p>
                    })}
                </div>
                <div class="fr-fieldset__element">
                    <Field id="postcode" name="postcode" label="Code postal" hint="5 chiffres" required=true
                        autocomplete="postal-code" value=postcode error=errors.of("postcode") />
                </div>
            </fieldset>
            <button type="submit" class="fr-btn" disabled=move || save.pending().get()>"Enregistrer mon cabinet"</button>
            <div role="status" class="fr-mt-2w">
                {move || matches!(save.value().get(), Some(Ok(()))).then(|| view! {
                    <div class="fr-alert fr-alert--success fr-alert--sm"><p>"Cabinet enregistré."</p></div>
                })}
            </div>
        </form>
    }
}

/// Where the participation stands, and what the practitioner may do about it.
#[component]
fn Participation(
    participation: ParticipationView,
    request: ServerAction<RequestParticipation>,
    withdraw: ServerAction<WithdrawParticipation>,
) -> impl IntoView {
    let ParticipationView {
        status,
        reason,
        since,
    } = participation;
    let since = since.map(|s| format!(" (le {s})")).unwrap_or_default();
    let reason = reason.map(|r| format!(" Motif : {r}")).unwrap_or_default();
    let (kind, text) = match status {
        SasStatus::None => (
            "info",
            "Vous ne participez pas au SAS : aucun de vos créneaux n'est visible des régulateurs."
                .to_string(),
        ),
        SasStatus::Requested => (
            "info",
            format!(
                "Votre demande de participation est en attente de validation par l'administration du SAS de votre département{since}. Vos créneaux ne sont pas visibles des régulateurs avant sa validation."
            ),
        ),
        SasStatus::Approved => (
            "success",
            format!("Votre participation au SAS est validée{since}."),
        ),
        SasStatus::Refused => (
            "error",
            format!("Votre demande de participation a été refusée{since}.{reason}"),
        ),
        SasStatus::Suspended => (
            "warning",
            format!(
                "Votre participation au SAS est suspendue par l'administration du SAS{since} : vos créneaux ne sont plus visibles des régulateurs.{reason} Pour la rétablir, contactez l'administration du SAS de votre département."
            ),
        ),
    };
    let error = Signal::derive(move || {
        request
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| withdraw.value().get().and_then(Result::err))
    });
    view! {
        <section class="fr-mb-6w" aria-labelledby="participation-title">
            <h2 id="participation-title" class="fr-h4">"Ma participation au SAS"</h2>
            <div class=format!("fr-alert fr-alert--{kind} fr-alert--sm fr-mb-2w")>
                <p>{text}</p>
            </div>
            <ErrorAlert error />
            {status.may_request().then(|| view! {
                <ActionForm action=request>
                    <p class="fr-hint-text">
                        "Votre demande est envoyée à l'administration du SAS de votre département, qui vérifie votre "
                        "numéro RPPS et vous répond par courriel."
                    </p>
                    <button type="submit" class="fr-btn">"Je participe au SAS"</button>
                </ActionForm>
            })}
            {status.may_withdraw().then(|| {
                let label = if status == SasStatus::Requested {
                    "Annuler ma demande"
                } else {
                    "Je ne participe plus au SAS"
                };
                view! {
                    <ActionForm action=withdraw>
                        <button type="submit" class="fr-btn fr-btn--secondary">{label}</button>
                    </ActionForm>
                }
            })}
        </section>
    }
}

#[component]
fn Questions(
    questions: Vec<QuestionView>,
    add: ServerAction<AddQuestion>,
    remove: ServerAction<RemoveQuestion>,
) -> impl IntoView {
    let label = RwSignal::new(String::new());
    let required = RwSignal::new(false);
    let errors = Errors::new();
    Effect::new(move || match add.value().get() {
        Some(Err(e)) => errors.show_server(&e),
        Some(Ok(())) => {
            errors.clear();
            label.set(String::new());
            required.set(false);
        }
        None => {}
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let question = QuestionInput {
            label: label.get_untracked(),
            required: required.get_untracked(),
        };
        match question.validate() {
            Ok(_) => {
                add.dispatch(AddQuestion { question });
            }
            Err(found) => errors.show(found),
        }
    };
    view! {
        <h2 class="fr-h4 fr-mt-6w">"Questions aux régulateurs"</h2>
        <p>"Le régulateur répond à ces questions quand il prend un rendez-vous pour un patient."</p>
        <ErrorAlert error=general_error(remove.value()) />
        {if questions.is_empty() {
            view! { <p>"Aucune question pour le moment."</p> }.into_any()
        } else {
            view! {
                <ul class="question-list">
                    {questions.into_iter().map(|q| {
                        let id = q.id;
                        view! {
                            <li>
                                {q.label.clone()}
                                {q.required.then_some(" (réponse obligatoire)")}
                                <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm fr-ml-2w"
                                    on:click=move |_| { remove.dispatch(RemoveQuestion { id }); }>
                                    "Retirer" <span class="fr-sr-only">{format!(" la question « {} »", q.label)}</span>
                                </button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <form on:submit=on_submit novalidate class="fr-mt-3w">
            <Field id="question_label" name="question_label" label="Nouvelle question"
                hint="Par exemple : Quel est le traitement en cours ?" value=label error=errors.of("question_label") />
            <Checkbox id="question_required" label="Réponse obligatoire" checked=required />
            <button type="submit" class="fr-btn fr-btn--secondary fr-mt-2w">"Ajouter la question"</button>
        </form>
    }
}
