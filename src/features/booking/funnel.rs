//! The funnel's page: the held slot and its countdown, step A (type and reason), the patient,
//! the message, the attachment, then the confirmation. Everything typed survives a refusal
//! and a switch to another slot.

use super::{BookSlot, release_slot, show_slot, slot_alternatives};
use crate::components::ErrorAlert;
use crate::components::clock::ServerClock;
use crate::components::form::{ErrorText, Errors, Radios};
use crate::components::loaded::Loaded;
use crate::components::patient::{PatientFields, PatientSignals};
use crate::components::slot::open_slot;
use crate::domain::booking::{
    ATTACHMENT_RULE, Alternative, Answer, BookingRequest, ChoicesInput, MESSAGE_MAX,
    MESSAGE_WARNING, SlotDetails, question_field,
};
use crate::domain::field::FieldError;
use crate::domain::ids::{AppointmentId, QuestionId, ReasonId, SlotId};
use crate::domain::patient::PatientInput;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde::{Deserialize, Serialize};

#[component]
pub fn BookingPage() -> impl IntoView {
    let params = use_params_map();
    let slot_id = move || {
        params
            .read()
            .get("slot")
            .and_then(|s| s.parse::<i64>().ok())
            .map(SlotId)
    };
    let opened = Resource::new(slot_id, |id| async move {
        match id {
            Some(id) => show_slot(id).await,
            None => Err(AppError::NotFound("Ce créneau n'existe pas.".into())),
        }
    });
    view! {
        <Title text="Prise de rendez-vous" />
        <h1>"Prise de rendez-vous"</h1>
        <Loaded resource=opened loading="Chargement du créneau…"
            way_out=("/recherche", "Retour à la recherche") let:details>
            <HoldOrFunnel details />
        </Loaded>
    }
}

/// Step A and the message as typed; answers by question id.
#[derive(Clone, Copy)]
struct ChoiceSignals {
    mode: RwSignal<String>,
    known_patient: RwSignal<String>,
    reason_id: RwSignal<String>,
    answers: RwSignal<Vec<(QuestionId, String)>>,
    message: RwSignal<String>,
}

impl ChoiceSignals {
    fn read(&self) -> ChoicesInput {
        ChoicesInput {
            mode: self.mode.get_untracked(),
            known_patient: self.known_patient.get_untracked(),
            reason_id: self.reason_id.get_untracked(),
            answers: self
                .answers
                .get_untracked()
                .into_iter()
                .map(|(question_id, text)| Answer { question_id, text })
                .collect(),
            message: self.message.get_untracked(),
        }
    }

    /// Fits the choices to a (new) slot: its mode, and SNP unless a reason it has is chosen.
    fn fit(&self, details: &SlotDetails) {
        self.mode.set(details.offer.mode.code().into());
        let chosen = self
            .reason_id
            .get_untracked()
            .parse::<i64>()
            .ok()
            .map(ReasonId);
        if !details.offer.reasons.iter().any(|r| Some(r.id) == chosen) {
            let preselected = details.offer.preselected_reason();
            self.reason_id
                .set(preselected.map(|id| id.to_string()).unwrap_or_default());
        }
    }
}

/// An uploaded attachment, as the server answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Uploaded {
    token: String,
    name: String,
    size: u64,
}

/// The funnel once this regulator holds the slot; until then the slot and a button to hold it
/// (a POST: opening the page by its address holds nothing).
#[component]
fn HoldOrFunnel(details: SlotDetails) -> impl IntoView {
    let held = (details.hold_expires_at > details.server_now).then(|| details.clone());
    let hold = Action::new(|slot_id: &SlotId| open_slot(*slot_id));
    let current = move || {
        held.clone()
            .or_else(|| hold.value().get().and_then(Result::ok))
    };
    let error = Signal::derive(move || hold.value().get().and_then(Result::err));
    let slot_id = details.slot_id;
    move || {
        match current() {
        Some(details) => view! { <Funnel details /> }.into_any(),
        None => view! {
            <SlotRecap details=details.clone() />
            <ErrorAlert error />
            <p>"Réservez ce créneau pour saisir les informations du patient : il ne sera plus proposé aux autres régulateurs pendant la saisie."</p>
            <button type="button" class="fr-btn" disabled=move || hold.pending().get()
                on:click=move |_| { hold.dispatch(slot_id); }>
                "Réserver ce créneau"
            </button>
        }
        .into_any(),
    }
    }
}

/// What stops the booking and what the regulator can do about it.
#[derive(Debug, Clone, PartialEq)]
enum Blocker {
    Taken(Vec<Alternative>),
    Expired,
}

#[component]
fn Funnel(details: SlotDetails) -> impl IntoView {
    let key = details.idempotency_key.clone();
    let details = RwSignal::new(details);
    let patient = PatientSignals::default();
    let choices = ChoiceSignals {
        mode: RwSignal::new(String::new()),
        known_patient: RwSignal::new(String::new()),
        reason_id: RwSignal::new(String::new()),
        answers: RwSignal::new(Vec::new()),
        message: RwSignal::new(String::new()),
    };
    choices.fit(&details.get_untracked());
    let errors = Errors::new();
    let attachment = RwSignal::new(None::<Uploaded>);
    let blocker = RwSignal::new(None::<Blocker>);
    // One key per funnel: a double submit books once.
    let idempotency_key = StoredValue::new(key);
    let book = ServerAction::<BookSlot>::new();
    let clock = ServerClock::new(details.with_untracked(|d| d.server_now));
    let today = move || {
        let now = chrono::DateTime::from_timestamp(clock.now(), 0).unwrap_or_default();
        crate::domain::agenda::paris_today(now)
    };

    let check = move |field: &str| {
        let d = details.get_untracked();
        let found = match field {
            "mode" | "known_patient" | "reason_id" | "message" => {
                choices.read().check_field(field, &d.offer)
            }
            f if f.starts_with("question-") => choices.read().check_field(f, &d.offer),
            f => patient.read().check_field(f, today(), &d.extra_fields),
        };
        errors.set_field(field, found.err());
    };
    let validate_all = move || -> Vec<FieldError> {
        let d = details.get_untracked();
        let mut found = choices.read().validate(&d.offer).err().unwrap_or_default();
        found.extend(
            patient
                .read()
                .validate(today(), &d.extra_fields)
                .err()
                .unwrap_or_default(),
        );
        // In the page's order, so that focus goes to the first one on screen.
        found.sort_by_key(|e| page_order(&e.field));
        found
    };
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let found = validate_all();
        if !found.is_empty() {
            errors.show(found);
            return;
        }
        errors.clear();
        book.dispatch(BookSlot {
            request: BookingRequest {
                slot_id: details.get_untracked().slot_id,
                idempotency_key: idempotency_key.get_value(),
                choices: choices.read(),
                patient: patient.read(),
                attachment: attachment.get_untracked().map(|a| a.token),
            },
        });
    };
    // The server's refusals: on their fields, or a blocker with what to do next.
    Effect::new(move || match book.value().get() {
        Some(Err(AppError::Invalid(found))) => errors.show(found),
        Some(Err(AppError::SlotTaken)) => {
            let slot_id = details.get_untracked().slot_id;
            leptos::task::spawn_local(async move {
                let others = slot_alternatives(slot_id).await.unwrap_or_default();
                blocker.set(Some(Blocker::Taken(others)));
            });
        }
        Some(Err(AppError::HoldExpired)) => blocker.set(Some(Blocker::Expired)),
        _ => {}
    });
    // Opens another slot (an alternative, or the same one again) keeping everything typed.
    let reopen = Callback::new(move |slot_id: SlotId| {
        leptos::task::spawn_local(async move {
            match open_slot(slot_id).await {
                Ok(next) => {
                    choices.fit(&next);
                    idempotency_key.set_value(next.idempotency_key.clone());
                    clock.sync(next.server_now);
                    details.set(next);
                    blocker.set(None);
                    book.value().set(None);
                    replace_url(slot_id);
                    focus_element("creneau");
                }
                Err(_) => {
                    let others = slot_alternatives(slot_id).await.unwrap_or_default();
                    blocker.set(Some(Blocker::Taken(others)));
                }
            }
        });
    });
    let booked = move || book.value().get().and_then(Result::ok);
    let server_error = Signal::derive(move || match book.value().get() {
        Some(Err(AppError::Invalid(_) | AppError::SlotTaken | AppError::HoldExpired)) => None,
        Some(Err(e)) => Some(e),
        _ => None,
    });
    view! {
        <Show when=move || booked().is_none() fallback=move || view! {
            <Confirmed details=details.get_untracked() id=booked().unwrap_or_default()
                patient=format!("{} {}", patient.first_name.get_untracked(), patient.last_name.get_untracked().to_uppercase())
                summary=summary(&details.get_untracked(), &choices, &patient, attachment.get_untracked()) />
        }>
            {move || view! { <SlotRecap details=details.get() /> }}
            <HoldTimer details clock blocker reopen />
            <BlockerNotice blocker reopen slot_id=Signal::derive(move || details.get().slot_id) />
            <ErrorAlert error=server_error />
            <form on:submit=on_submit novalidate>
                <p class="fr-hint-text">"Les champs marqués d'un astérisque (" <span class="required-mark">"*"</span> ") sont obligatoires."</p>
                <StepA details choices errors check />
                <PatientFields needed=Signal::derive(move || details.get().extra_fields) patient errors check />
                <Questions details answers=choices.answers errors check />
                <MessageField choices errors check />
                <AttachmentField attachment errors />
                <div class="fr-btns-group fr-btns-group--inline-md fr-mt-4w">
                    <button type="submit" class="fr-btn" disabled=move || book.pending().get()>
                        "Confirmer le rendez-vous"
                    </button>
                    <CancelButton slot_id=Signal::derive(move || details.get().slot_id) />
                </div>
            </form>
        </Show>
    }
}

/// Where a field sits in the page: step A, the patient, the questions, the message, the file.
fn page_order(field: &str) -> usize {
    let step_a = ["mode", "known_patient", "reason_id"];
    if let Some(i) = step_a.iter().position(|f| *f == field) {
        return i;
    }
    if let Some(i) = PatientInput::FIELDS.iter().position(|f| *f == field) {
        return 10 + i;
    }
    match field {
        f if f.starts_with("question-") => 100,
        "message" => 200,
        _ => 300,
    }
}

/// Moves focus to the element `id` (a heading with `tabindex="-1"` after the page changed).
fn focus_element(id: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Keeps the address bar on the slot being booked (a reload reopens it).
fn replace_url(slot_id: SlotId) {
    #[cfg(feature = "hydrate")]
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let url = format!("/rendez-vous/{slot_id}");
        let _ =
            history.replace_state_with_url(&leptos::wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = slot_id;
}

#[component]
fn SlotRecap(details: SlotDetails) -> impl IntoView {
    view! {
        <div class="fr-callout fr-mb-4w">
            <h2 class="fr-callout__title" id="creneau" tabindex="-1">{format!("{} à {}", details.day, details.time)}</h2>
            <p class="fr-callout__text">
                {details.practitioner} " — " {details.specialty} <br />
                {details.address}
            </p>
        </div>
    }
}

/// The time left on the hold, announced two minutes before its end, with « Prolonger »; when it
/// is over, the regulator may take the slot again.
#[component]
fn HoldTimer(
    details: RwSignal<SlotDetails>,
    clock: ServerClock,
    blocker: RwSignal<Option<Blocker>>,
    reopen: Callback<SlotId>,
) -> impl IntoView {
    let now = RwSignal::new(clock.now());
    Effect::new(move || {
        let handle = set_interval_with_handle(
            move || now.set(clock.now()),
            std::time::Duration::from_secs(1),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    });
    let left = move || details.get().hold_expires_at - now.get();
    Effect::new(move || {
        if left() <= 0 && blocker.get_untracked().is_none() {
            blocker.set(Some(Blocker::Expired));
        }
    });
    let until = move || {
        chrono::DateTime::from_timestamp(details.get().hold_expires_at, 0)
            .map(crate::domain::agenda::time_label)
            .unwrap_or_default()
    };
    // Said once by screen readers, not every second.
    let warning = move || {
        (left() > 0 && left() <= 120).then_some(
            "Il reste moins de 2 minutes pour confirmer ce rendez-vous : prolongez la réservation si besoin.",
        )
    };
    view! {
        <div class="fr-notice fr-notice--info fr-mb-3w" hidden=move || left() <= 0>
            <div class="fr-container"><div class="fr-notice__body">
                <p class="fr-notice__title">
                    "Ce créneau vous est réservé jusqu'à " {until} " : les autres régulateurs ne le voient plus. "
                    <span role="timer" aria-live="off" class="hold-left">
                        {move || format!("Temps restant : {} min {:02} s", left().max(0) / 60, left().max(0) % 60)}
                    </span>
                </p>
                <button type="button" class="fr-btn fr-btn--tertiary fr-btn--sm fr-mt-1w"
                    on:click=move |_| reopen.run(details.get_untracked().slot_id)>
                    "Prolonger la réservation"
                </button>
            </div></div>
        </div>
        <p class="fr-sr-only" aria-live="polite">{warning}</p>
    }
}

#[component]
fn BlockerNotice(
    blocker: RwSignal<Option<Blocker>>,
    reopen: Callback<SlotId>,
    slot_id: Signal<SlotId>,
) -> impl IntoView {
    view! {
        <div role="alert">
            {move || blocker.get().map(|b| match b {
                Blocker::Expired => view! {
                    <div class="fr-alert fr-alert--warning fr-mb-3w">
                        <h2 class="fr-alert__title">"Délai de réservation dépassé"</h2>
                        <p>"Le créneau a été libéré à la fin de sa réservation temporaire. Vos saisies sont conservées : reprenez-le s'il est encore disponible."</p>
                        <button type="button" class="fr-btn fr-btn--sm fr-mt-2w"
                            on:click=move |_| reopen.run(slot_id.get_untracked())>"Reprendre ce créneau"</button>
                    </div>
                }.into_any(),
                Blocker::Taken(others) => view! {
                    <div class="fr-alert fr-alert--error fr-mb-3w">
                        <h2 class="fr-alert__title">"Ce créneau vient d'être réservé"</h2>
                        <p>"Vos saisies sont conservées. Choisissez un autre créneau :"</p>
                        {if others.is_empty() {
                            view! { <p>"Aucun autre créneau proche n'est disponible. "
                                <A href="/recherche" attr:class="fr-link">"Retour à la recherche"</A></p> }.into_any()
                        } else {
                            view! {
                                <ul class="alternatives">
                                    {others.into_iter().map(|a| view! {
                                        <li>
                                            <button type="button" class="fr-btn fr-btn--secondary fr-btn--sm fr-mt-1w"
                                                on:click=move |_| reopen.run(a.slot_id)>
                                                {a.label.clone()}
                                            </button>
                                            " " <span class="fr-hint-text">{a.place.clone()}</span>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </div>
                }.into_any(),
            })}
        </div>
    }
}

/// Step A: « Sélection du type de consultation et du motif ».
#[component]
fn StepA(
    details: RwSignal<SlotDetails>,
    choices: ChoiceSignals,
    errors: Errors,
    check: impl Fn(&str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let reason_error = errors.of("reason_id");
    let has_reason_error = move || reason_error.get().is_some();
    view! {
        <h2 class="fr-h4">"Sélection du type de consultation et du motif"</h2>
        {move || {
            let offered = details.get().offer.mode.code();
            view! {
                <Radios id="mode" legend="Type de consultation" required=true
                    hint="Seul le type de consultation de ce créneau peut être choisi."
                    options=vec![("cabinet", "Au cabinet"), ("video", "En vidéo")]
                    disabled=vec![if offered == "cabinet" { "video" } else { "cabinet" }]
                    value=choices.mode error=errors.of("mode") />
            }
        }}
        // A new window: leaving the funnel would lose what was typed and the slot's hold.
        <p class="fr-mb-3w">
            <a class="fr-link" href="/aide#video" target="_blank" rel="noopener"
                title="Dans quels cas prendre rendez-vous en vidéo ? - nouvelle fenêtre">
                "Dans quels cas prendre rendez-vous en vidéo ?"
            </a>
        </p>
        <Radios id="known_patient" required=true
            legend="Avez-vous déjà consulté ce praticien ?"
            hint="Si vous prenez rendez-vous pour quelqu'un d'autre, cette question le concerne."
            options=vec![("oui", "Oui"), ("non", "Non")]
            value=choices.known_patient error=errors.of("known_patient") />
        <div class="fr-select-group" class:fr-select-group--error=has_reason_error>
            <label class="fr-label" for="reason_id">"Motif de consultation"
                <span class="required-mark" aria-hidden="true">" *"</span>
                <span class="fr-hint-text">"Si le motif « Soins non programmés » est disponible, merci de le sélectionner. S'il n'est pas disponible, sélectionnez le motif le plus pertinent."</span>
            </label>
            <select class="fr-select" id="reason_id" name="request[choices][reason_id]" required
                aria-describedby="reason_id-error" aria-invalid=move || has_reason_error().then_some("true")
                prop:value=move || choices.reason_id.get()
                on:change=move |ev| { choices.reason_id.set(event_target_value(&ev)); check("reason_id"); }>
                <option value="">"Choisissez un motif"</option>
                {move || details.get().offer.reasons.into_iter().map(|r| view! {
                    <option value=r.id.to_string() selected=move || choices.reason_id.get() == r.id.to_string()>{r.label()}</option>
                }).collect_view()}
            </select>
            <ErrorText id="reason_id" error=reason_error />
        </div>
        // The chosen reason's own notice, else the practitioner's general one.
        {move || {
            let notice = details.read().notice_for(&choices.reason_id.get()).to_string();
            (!notice.is_empty()).then(|| view! {
                <div class="fr-notice fr-notice--info fr-mb-3w">
                    <div class="fr-container"><div class="fr-notice__body">
                        <p class="fr-notice__title">"À lire avant de prendre un rendez-vous"</p>
                        <p>{notice}</p>
                    </div></div>
                </div>
            })
        }}
        <h2 class="fr-h4">"Praticien référent"</h2>
        <p class="fr-tag">"SAS"</p>
    }
}

/// « Répondre aux questions des médecins effecteurs ».
#[component]
fn Questions(
    details: RwSignal<SlotDetails>,
    answers: RwSignal<Vec<(QuestionId, String)>>,
    errors: Errors,
    check: impl Fn(&str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    move || {
        let questions = details.get().offer.questions;
        (!questions.is_empty()).then(|| view! {
            <h2 class="fr-h4 fr-mt-3w">"Répondre aux questions des médecins effecteurs"</h2>
            {questions.into_iter().map(|q| {
                let field = question_field(q.id);
                let error_id = format!("{field}-error");
                let error = errors.of(field.clone());
                let has_error = move || error.get().is_some();
                let value = move || answers.read().iter().find(|(id, _)| *id == q.id).map(|(_, t)| t.clone()).unwrap_or_default();
                let on_input = move |ev: leptos::ev::Event| {
                    let text = event_target_value(&ev);
                    answers.update(|all| {
                        all.retain(|(id, _)| *id != q.id);
                        all.push((q.id, text));
                    });
                };
                let blur_field = field.clone();
                view! {
                    <div class="fr-input-group" class:fr-input-group--error=has_error>
                        <label class="fr-label" for=field.clone()>{q.label.clone()}
                            {q.required.then(|| view! { <span class="required-mark" aria-hidden="true">" *"</span> })}
                        </label>
                        <textarea class="fr-input" id=field.clone() rows="2" maxlength="500"
                            required=q.required aria-describedby=error_id.clone()
                            aria-invalid=move || has_error().then_some("true")
                            prop:value=value on:input=on_input on:blur=move |_| check(&blur_field)></textarea>
                        <ErrorText id=field.clone() error />
                    </div>
                }
            }).collect_view()}
        })
    }
}

/// « Message à destination du praticien », with the guide's warning.
#[component]
fn MessageField(
    choices: ChoiceSignals,
    errors: Errors,
    check: impl Fn(&str) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let error = errors.of("message");
    let has_error = move || error.get().is_some();
    let count = move || choices.message.read().chars().count();
    view! {
        <div class="fr-input-group fr-mt-3w" class:fr-input-group--error=has_error>
            <label class="fr-label" for="message">"Message à destination du praticien"
                <span class="fr-hint-text" id="message-warning">{MESSAGE_WARNING}</span>
            </label>
            <textarea class="fr-input" id="message" name="request[choices][message]" rows="4"
                maxlength=MESSAGE_MAX.to_string()
                aria-describedby="message-count message-error"
                aria-invalid=move || has_error().then_some("true")
                prop:value=move || choices.message.get()
                on:input=move |ev| choices.message.set(event_target_value(&ev))
                on:blur=move |_| check("message")></textarea>
            <p id="message-count" class="fr-hint-text">{move || format!("{} / {MESSAGE_MAX} caractères", count())}</p>
            <ErrorText id="message" error />
        </div>
    }
}

/// « Pièce jointe »: sent to the server as soon as it is chosen, streamed.
#[component]
fn AttachmentField(attachment: RwSignal<Option<Uploaded>>, errors: Errors) -> impl IntoView {
    let error = errors.of("attachment");
    let has_error = move || error.get().is_some();
    let sending = RwSignal::new(false);
    let on_change = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let file = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|input| input.files())
                .and_then(|files| files.get(0));
            attachment.set(None);
            let Some(file) = file else { return };
            let allowed = [".pdf", ".jpg", ".jpeg", ".png"];
            let name = file.name();
            if file.size() > crate::domain::booking::ATTACHMENT_MAX_BYTES as f64
                || !allowed.iter().any(|ext| name.to_lowercase().ends_with(ext))
            {
                errors.set_field("attachment", Some(ATTACHMENT_RULE.into()));
                return;
            }
            errors.set_field("attachment", None);
            sending.set(true);
            leptos::task::spawn_local(async move {
                let outcome = upload(file).await;
                sending.set(false);
                match outcome {
                    Ok(uploaded) => attachment.set(Some(uploaded)),
                    Err(message) => errors.set_field("attachment", Some(message)),
                }
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, attachment, sending);
    };
    view! {
        <div class="fr-upload-group fr-mt-3w" class:fr-upload-group--error=has_error>
            <label class="fr-label" for="attachment">"Pièce jointe"
                <span class="fr-hint-text">{ATTACHMENT_RULE}</span>
            </label>
            <input class="fr-upload" type="file" id="attachment" accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
                aria-describedby="attachment-status attachment-error"
                aria-invalid=move || has_error().then_some("true")
                on:change=on_change />
            <p id="attachment-status" class="fr-hint-text" aria-live="polite">
                {move || if sending.get() {
                    "Envoi de la pièce jointe…".to_string()
                } else {
                    attachment.get().map(|a| format!("Pièce jointe ajoutée : {} ({} ko)", a.name, a.size.div_ceil(1024))).unwrap_or_default()
                }}
            </p>
            <ErrorText id="attachment" error />
        </div>
    }
}

/// Sends the file itself as the request body: the browser streams it from disk.
#[cfg(feature = "hydrate")]
async fn upload(file: web_sys::File) -> Result<Uploaded, String> {
    let name = form_urlencoded::byte_serialize(file.name().as_bytes()).collect::<String>();
    let failed = || "L'envoi de la pièce jointe a échoué. Réessayez.".to_string();
    let response = gloo_net::http::Request::post("/pieces-jointes")
        .header("content-type", "application/octet-stream")
        .header("x-nom-fichier", &name)
        .body(leptos::wasm_bindgen::JsValue::from(file))
        .map_err(|_| failed())?
        .send()
        .await
        .map_err(|_| failed())?;
    if response.ok() {
        return response.json::<Uploaded>().await.map_err(|_| failed());
    }
    #[derive(Deserialize)]
    struct Refusal {
        message: String,
    }
    Err(response
        .json::<Refusal>()
        .await
        .map(|r| r.message)
        .unwrap_or_else(|_| failed()))
}

/// « Annuler »: gives the slot back and returns to the search.
#[component]
fn CancelButton(slot_id: Signal<SlotId>) -> impl IntoView {
    let navigate = use_navigate();
    view! {
        <button type="button" class="fr-btn fr-btn--secondary" on:click=move |_| {
            let navigate = navigate.clone();
            let id = slot_id.get_untracked();
            leptos::task::spawn_local(async move {
                let _ = release_slot(id).await;
                navigate("/recherche", Default::default());
            });
        }>"Annuler"</button>
    }
}

/// What was booked, as the confirmation lists it.
fn summary(
    details: &SlotDetails,
    choices: &ChoiceSignals,
    patient: &PatientSignals,
    attachment: Option<Uploaded>,
) -> Vec<(&'static str, String)> {
    let reason_id = choices.reason_id.get_untracked();
    let reason = details
        .offer
        .reasons
        .iter()
        .find(|r| r.id.to_string() == reason_id)
        .map_or(String::new(), |r| r.name.clone());
    let known = if choices.known_patient.get_untracked() == "oui" {
        "Oui"
    } else {
        "Non"
    };
    let message = choices.message.get_untracked();
    vec![
        (
            "Type de consultation",
            details.offer.mode.label().to_string(),
        ),
        ("Motif de consultation", reason),
        ("A déjà consulté ce praticien", known.to_string()),
        ("Praticien référent", "SAS".to_string()),
        ("Téléphone du patient", patient.phone.get_untracked()),
        (
            "Message à destination du praticien",
            if message.trim().is_empty() {
                "Aucun".into()
            } else {
                message
            },
        ),
        (
            "Pièce jointe",
            attachment.map_or("Aucune".into(), |a| a.name),
        ),
    ]
}

#[component]
fn Confirmed(
    details: SlotDetails,
    id: AppointmentId,
    patient: String,
    summary: Vec<(&'static str, String)>,
) -> impl IntoView {
    // The form is gone: focus goes to what replaced it.
    Effect::new(|| focus_element("confirmation"));
    view! {
        <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
            <h2 class="fr-alert__title" id="confirmation" tabindex="-1">"Rendez-vous confirmé"</h2>
            <p>{format!(
                "Le rendez-vous du {} à {} avec {} est réservé pour votre patient, {patient}.",
                details.day, details.time, details.practitioner
            )}</p>
            <p>{details.address.clone()} " — le praticien le retrouve dans son agenda et en est informé par courriel."</p>
        </div>
        <dl class="patient-fields fr-mb-3w">
            {summary.into_iter().map(|(label, value)| view! { <dt>{label}</dt> <dd>{value}</dd> }).collect_view()}
        </dl>
        <ul class="fr-btns-group fr-btns-group--inline-md">
            <li><A href=format!("/adressages/{id}") attr:class="fr-btn">"Voir le rendez-vous"</A></li>
            <li><A href="/adressages" attr:class="fr-btn fr-btn--secondary">"Mes adressages"</A></li>
            <li><A href="/recherche" attr:class="fr-btn fr-btn--tertiary">"Nouvelle recherche"</A></li>
        </ul>
    }
}
