//! The booking funnel ("funnel d'adressage"): a regulator books a slot for a patient.

use crate::components::{ErrorAlert, Field};
use crate::domain::patient::PatientInput;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, internal, store, with_status};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

/// What the funnel shows of the slot being booked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlotDetails {
    pub slot_id: i64,
    pub practitioner: String,
    pub specialty: String,
    pub address: String,
    pub day: String,
    pub time: String,
    pub mode: String,
    /// "À lire avant de prendre un rendez-vous".
    pub notice: String,
    pub snp: bool,
}

#[cfg(feature = "ssr")]
const GONE: &str = "Ce créneau n'est plus disponible. Choisissez-en un autre dans la recherche.";

/// Regulators only: the slot about to be booked, if it is still open to the SAS.
#[server]
pub async fn slot_summary(slot_id: i64) -> Result<SlotDetails, AppError> {
    use crate::domain::agenda::{Mode, day_label_fr, time_label};
    use crate::features::search::{practitioner_name, visibility};
    with_status(
        async {
            auth::require(&[crate::domain::Role::Regulator]).await?;
            let slot = store()?.candidate_slot(slot_id).await.map_err(internal)?;
            let (slot, why) = slot
                .and_then(|s| visibility(&s, crate::server::now()).map(|why| (s, why)))
                .ok_or_else(|| AppError::NotFound(GONE.into()))?;
            let start =
                chrono::DateTime::from_timestamp(slot.starts_at, 0).ok_or(AppError::Internal)?;
            Ok(SlotDetails {
                slot_id,
                practitioner: practitioner_name(&slot),
                specialty: slot.specialty.clone(),
                address: format!("{}, {} {}", slot.address, slot.postcode, slot.city),
                day: day_label_fr(start),
                time: time_label(start),
                mode: Mode::from_code(&slot.mode).map_or("", Mode::label).into(),
                notice: slot.booking_notice,
                snp: why.snp,
            })
        }
        .await,
    )
}

/// Regulators only: books the slot for the patient, if it is still free and eligible.
#[server]
pub async fn book_slot(slot_id: i64, patient: PatientInput) -> Result<i64, AppError> {
    use crate::features::search::visibility;
    use crate::server::store::{NewBooking, StoreError};
    with_status(
        async {
            let regulator = auth::require(&[crate::domain::Role::Regulator]).await?;
            let now = crate::server::now();
            let today = crate::domain::agenda::paris_today(chrono::Utc::now());
            let patient = patient.validate(today).map_err(AppError::Invalid)?;
            let booking = NewBooking {
                slot_id,
                regulator_id: regulator.id,
                patient: &patient,
                now,
            };
            let id = match store()?
                .book(&booking, &|slot| visibility(slot, now).is_some())
                .await
            {
                Ok(id) => id,
                Err(StoreError::SlotTaken) => return Err(AppError::SlotTaken),
                Err(e) => return Err(internal(e)),
            };
            auth::audit(
                Some(regulator.id),
                "appointment_created",
                &format!("appointment:{id}"),
            )
            .await?;
            Ok(id)
        }
        .await,
    )
}

#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let slot_id = move || {
        params
            .read()
            .get("slot")
            .and_then(|s| s.parse::<i64>().ok())
    };
    let summary = Resource::new(slot_id, |id| async move {
        match id {
            Some(id) => slot_summary(id).await,
            None => Err(AppError::NotFound("Ce créneau n'existe pas.".into())),
        }
    });
    view! {
        <Title text="Prise de rendez-vous" />
        <h1>"Prise de rendez-vous"</h1>
        <Transition fallback=|| view! { <p>"Chargement du créneau…"</p> }>
            {move || summary.get().map(|s| match s {
                Ok(summary) => view! { <Funnel summary /> }.into_any(),
                Err(e) => view! {
                    <ErrorAlert error=Signal::derive(move || Some(e.clone())) />
                    <A href="/recherche" attr:class="fr-btn fr-btn--secondary">"Retour à la recherche"</A>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Funnel(summary: SlotDetails) -> impl IntoView {
    let book = ServerAction::<BookSlot>::new();
    let slot_id = summary.slot_id;
    let fields: Vec<RwSignal<String>> = (0..5).map(|_| RwSignal::new(String::new())).collect();
    let errors: Vec<RwSignal<Option<String>>> = (0..5).map(|_| RwSignal::new(None)).collect();
    let read_input = {
        let fields = fields.clone();
        move || PatientInput {
            first_name: fields[0].get_untracked(),
            last_name: fields[1].get_untracked(),
            birth_name: fields[2].get_untracked(),
            birth_date: fields[3].get_untracked(),
            phone: fields[4].get_untracked(),
        }
    };
    let today = move || crate::domain::agenda::paris_today(chrono::Utc::now());
    // A server refusal shows on its fields too.
    Effect::new({
        let errors = errors.clone();
        move || {
            if let Some(Err(err)) = book.value().get() {
                for (i, (field, _)) in PatientInput::FIELDS.iter().enumerate() {
                    errors[i].set(err.field_message(field));
                }
            }
        }
    });
    let on_submit = {
        let (errors, read_input) = (errors.clone(), read_input.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let input = read_input();
            match input.validate(today()) {
                Ok(_) => {
                    book.dispatch(BookSlot {
                        slot_id,
                        patient: input,
                    });
                }
                Err(found) => {
                    for (i, (field, _)) in PatientInput::FIELDS.iter().enumerate() {
                        errors[i].set(
                            found
                                .iter()
                                .find(|e| e.field == *field)
                                .map(|e| e.message.clone()),
                        );
                    }
                    focus_first_error(&found);
                }
            }
        }
    };
    let hints = ["", "", "", "Format attendu : JJ/MM/AAAA", ""];
    let booked = move || book.value().get().and_then(Result::ok);
    let server_error = Signal::derive(move || book.value().get().and_then(Result::err));
    let (recap, confirmed) = (summary.clone(), summary.clone());
    view! {
        <SlotRecap summary=recap />
        <Show when=move || booked().is_none() fallback=move || view! { <Confirmed summary=confirmed.clone() /> }>
            <ErrorAlert error=server_error />
            <form method="post" action=BookSlot::url() on:submit=on_submit.clone() novalidate>
                <input type="hidden" name="slot_id" value=slot_id />
                <h2 class="fr-h4">"Praticien référent"</h2>
                <p class="fr-tag">"SAS"</p>
                <fieldset class="fr-fieldset fr-mt-3w">
                    <legend class="fr-fieldset__legend"><h2 class="fr-h4 fr-mb-0">"Les informations du patient"</h2></legend>
                    <p class="fr-fieldset__element fr-hint-text">
                        "Par défaut les informations obligatoires sont : nom, prénom, nom de naissance, date de naissance, téléphone."
                    </p>
                    {PatientInput::FIELDS.iter().enumerate().map(|(i, (field, label))| {
                        let (value, error) = (fields[i], errors[i]);
                        let read_input = read_input.clone();
                        let check = Callback::new(move |()| {
                            error.set(read_input().check_field(field, today()).err());
                        });
                        view! {
                            <div class="fr-fieldset__element">
                                <Field id=field name=patient_field_name(field) label=label hint=hints[i]
                                    autocomplete="off" required=true value error on_blur=check />
                            </div>
                        }
                    }).collect_view()}
                    <p class="fr-fieldset__element fr-text--sm">
                        "Un numéro de téléphone valide est nécessaire afin que l'établissement puisse contacter "
                        "le patient en cas de changement lié au rendez-vous."
                    </p>
                </fieldset>
                <button type="submit" class="fr-btn" disabled=move || book.pending().get()>
                    "Confirmer le rendez-vous"
                </button>
            </form>
        </Show>
    }
}

/// The form name serde reads into `patient.<field>` of `BookSlot`.
fn patient_field_name(field: &str) -> &'static str {
    match field {
        "first_name" => "patient[first_name]",
        "last_name" => "patient[last_name]",
        "birth_name" => "patient[birth_name]",
        "birth_date" => "patient[birth_date]",
        _ => "patient[phone]",
    }
}

/// Moves keyboard focus to the first field in error (RGAA: errors are reachable at once).
fn focus_first_error(errors: &[crate::domain::patient::FieldError]) {
    #[cfg(feature = "hydrate")]
    if let Some(first) = errors.first() {
        use leptos::wasm_bindgen::JsCast;
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&first.field))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = errors;
}

#[component]
fn SlotRecap(summary: SlotDetails) -> impl IntoView {
    view! {
        <div class="fr-callout fr-mb-4w">
            <h2 class="fr-callout__title">{format!("{} à {}", summary.day, summary.time)}</h2>
            <p class="fr-callout__text">
                {summary.practitioner} " — " {summary.specialty} <br />
                {summary.address} <br />
                "Type de consultation : " {summary.mode}
                {summary.snp.then(|| view! { <br /> "Motif de consultation : Soins non programmés" })}
            </p>
        </div>
        {(!summary.notice.is_empty()).then(|| view! {
            <div class="fr-notice fr-notice--info fr-mb-4w">
                <div class="fr-container">
                    <div class="fr-notice__body">
                        <p class="fr-notice__title">"À lire avant de prendre un rendez-vous"</p>
                        <p>{summary.notice.clone()}</p>
                    </div>
                </div>
            </div>
        })}
    }
}

#[component]
fn Confirmed(summary: SlotDetails) -> impl IntoView {
    view! {
        <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
            <h2 class="fr-alert__title">"Rendez-vous confirmé"</h2>
            <p>{format!("Le rendez-vous du {} à {} avec {} est réservé pour votre patient.", summary.day, summary.time, summary.practitioner)}</p>
        </div>
        <A href="/recherche" attr:class="fr-btn">"Nouvelle recherche"</A>
    }
}
