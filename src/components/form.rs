//! Form pieces shared by the pages: per-field errors, checkboxes, radios, text areas, selects.

use crate::domain::field::FieldError;
use crate::error::AppError;
use leptos::prelude::*;

/// The messages of a form, each attached to its field.
#[derive(Clone, Copy)]
pub struct Errors(RwSignal<Vec<FieldError>>);

impl Errors {
    pub fn new() -> Self {
        Self(RwSignal::new(Vec::new()))
    }

    /// The message of `field`, if any.
    pub fn of(self, field: impl Into<String>) -> Signal<Option<String>> {
        let field = field.into();
        Signal::derive(move || {
            self.0
                .read()
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone())
        })
    }

    /// Shows `errors` and moves focus to the first field in error.
    pub fn show(self, errors: Vec<FieldError>) {
        focus_first(&errors);
        self.0.set(errors);
    }

    /// Shows the field messages of a server refusal.
    pub fn show_server(self, error: &AppError) {
        if let AppError::Invalid(errors) = error {
            self.show(errors.clone());
        }
    }

    pub fn clear(self) {
        self.0.set(Vec::new());
    }

    /// Replaces the message of one field (as the user goes from field to field).
    pub fn set_field(self, field: &str, message: Option<String>) {
        self.0.update(|all| {
            all.retain(|e| e.field != field);
            if let Some(message) = message {
                all.push(FieldError {
                    field: field.into(),
                    message,
                });
            }
        });
    }
}

impl Default for Errors {
    fn default() -> Self {
        Self::new()
    }
}

/// The error of a server action that is not about one field (shown in an alert).
pub fn general_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || match value.get() {
        Some(Err(AppError::Invalid(_))) | Some(Ok(_)) | None => None,
        Some(Err(e)) => Some(e),
    })
}

/// Counts the successful results of `values` (server actions): a resource that tracks the
/// count refetches after a change went through, not after a refusal (the form keeps its input).
pub fn successes<T, S>(values: Vec<S>) -> RwSignal<u32>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    let count = RwSignal::new(0);
    for value in values {
        Effect::new(move || {
            if matches!(value.get(), Some(Ok(_))) {
                count.update(|n| *n += 1);
            }
        });
    }
    count
}

/// Moves keyboard focus to the first field in error, or into the first group in error.
pub fn focus_first(errors: &[FieldError]) {
    #[cfg(feature = "hydrate")]
    if let Some(first) = errors.first() {
        use leptos::wasm_bindgen::JsCast;
        let id = &first.field;
        let element = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| {
                d.query_selector(&format!(
                    "input[id='{id}'], textarea[id='{id}'], select[id='{id}'], [id='{id}'] input:not([disabled])"
                ))
                .ok()
                .flatten()
            })
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(element) = element {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = errors;
}

/// The error paragraph of a field or group, linked by `aria-describedby="{id}-error"`. It stays
/// in the page, empty, when there is no error: a live region must exist before it speaks.
#[component]
pub fn ErrorText(#[prop(into)] id: String, error: Signal<Option<String>>) -> impl IntoView {
    view! {
        <p id=format!("{id}-error") class="field-message" class:fr-error-text=move || error.get().is_some() aria-live="polite">
            {move || error.get()}
        </p>
    }
}

/// One checkbox bound to a boolean.
#[component]
pub fn Checkbox(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: &'static str,
    checked: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="fr-checkbox-group">
            <input type="checkbox" id=id name=id value="true"
                prop:checked=move || checked.get()
                on:change=move |ev| checked.set(event_target_checked(&ev)) />
            <label class="fr-label" for=id>
                {label}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
        </div>
    }
}

/// Checkboxes choosing several values; the fieldset's id is `id`, its boxes `{id}-{value}`.
#[component]
pub fn Choices(
    id: &'static str,
    legend: &'static str,
    #[prop(optional)] hint: &'static str,
    /// (value, label)
    options: Vec<(String, String)>,
    selected: RwSignal<Vec<String>>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
    #[prop(optional)] inline: bool,
) -> impl IntoView {
    let error = error.unwrap_or_default();
    view! {
        <fieldset id=id class="fr-fieldset" class:fr-fieldset--error=move || error.get().is_some()
            aria-describedby=format!("{id}-error")>
            <legend class="fr-fieldset__legend fr-fieldset__legend--regular">
                {legend}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </legend>
            {options.into_iter().map(|(value, label)| {
                let box_id = format!("{id}-{value}");
                let (v1, v2) = (value.clone(), value.clone());
                view! {
                    <div class="fr-fieldset__element" class:fr-fieldset__element--inline=inline>
                        <div class="fr-checkbox-group">
                            <input type="checkbox" id=box_id.clone() name=id value=value
                                prop:checked=move || selected.read().contains(&v1)
                                on:change=move |ev| {
                                    let on = event_target_checked(&ev);
                                    selected.update(|s| {
                                        s.retain(|x| *x != v2);
                                        if on {
                                            s.push(v2.clone());
                                        }
                                    });
                                } />
                            <label class="fr-label" for=box_id>{label}</label>
                        </div>
                    </div>
                }
            }).collect_view()}
            <ErrorText id=id.to_string() error />
        </fieldset>
    }
}

/// Radio buttons choosing one value; the fieldset's id is `id`, its buttons `{id}-{value}`.
#[component]
pub fn Radios(
    id: &'static str,
    legend: &'static str,
    #[prop(optional)] hint: &'static str,
    /// (value, label)
    options: Vec<(&'static str, &'static str)>,
    /// Values shown but not offered.
    #[prop(optional)]
    disabled: Vec<&'static str>,
    #[prop(optional)] required: bool,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_default();
    view! {
        <fieldset id=id class="fr-fieldset" class:fr-fieldset--error=move || error.get().is_some()
            aria-describedby=format!("{id}-error")>
            <legend class="fr-fieldset__legend fr-fieldset__legend--regular">
                {legend}
                {required.then(|| view! { <span class="required-mark" aria-hidden="true">" *"</span> })}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </legend>
            {options.into_iter().map(|(code, label)| {
                let radio_id = format!("{id}-{code}");
                view! {
                    <div class="fr-fieldset__element fr-fieldset__element--inline">
                        <div class="fr-radio-group">
                            <input type="radio" id=radio_id.clone() name=id value=code
                                disabled=disabled.contains(&code) required=required
                                prop:checked=move || value.get() == code
                                on:change=move |_| value.set(code.to_string()) />
                            <label class="fr-label" for=radio_id>{label}</label>
                        </div>
                    </div>
                }
            }).collect_view()}
            <ErrorText id=id error />
        </fieldset>
    }
}

/// A labelled text area with its error linked by `aria-describedby`.
#[component]
pub fn TextArea(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: &'static str,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_default();
    view! {
        <div class="fr-input-group" class:fr-input-group--error=move || error.get().is_some()>
            <label class="fr-label" for=id>
                {label}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
            <textarea class="fr-input" id=id name=id rows="4" aria-describedby=format!("{id}-error")
                aria-invalid=move || error.get().is_some().then_some("true")
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))></textarea>
            <ErrorText id=id.to_string() error />
        </div>
    }
}

/// A labelled select; `options` are (value, label).
#[component]
pub fn Select(
    id: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    value: RwSignal<String>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_default();
    view! {
        <div class="fr-select-group" class:fr-select-group--error=move || error.get().is_some()>
            <label class="fr-label" for=id>{label}</label>
            <select class="fr-select" id=id name=id aria-describedby=format!("{id}-error")
                aria-invalid=move || error.get().is_some().then_some("true")
                on:change=move |ev| value.set(event_target_value(&ev))>
                <option value="" disabled selected=move || value.get().is_empty()>"Choisissez dans la liste"</option>
                {options.into_iter().map(|(code, text)| {
                    let selected_code = code.clone();
                    view! { <option value=code selected=move || value.get() == selected_code>{text}</option> }
                }).collect_view()}
            </select>
            <ErrorText id=id.to_string() error />
        </div>
    }
}

/// A filter of the GET form: its value from the address, its error linked by `aria-describedby`.
#[component]
pub fn FilterInput(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] inputmode: Option<&'static str>,
    value: Signal<String>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    let has_error = move || error.get().is_some();
    view! {
        <div class="fr-input-group" class:fr-input-group--error=has_error>
            <label class="fr-label" for=id>
                {label}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
            <input class="fr-input" class:fr-input--error=has_error id=id name=id type=kind
                inputmode=inputmode autocomplete="off" aria-describedby=format!("{id}-error")
                aria-invalid=move || has_error().then_some("true")
                value=move || value.get() prop:value=move || value.get() />
            <ErrorText id=id error />
        </div>
    }
}
