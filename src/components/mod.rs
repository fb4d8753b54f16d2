//! Small DSFR building blocks shared by the pages.

pub mod clock;
pub mod form;
pub mod loaded;
pub mod patient;
pub mod place;
pub mod slot;

use crate::error::AppError;
use leptos::prelude::*;

/// A labelled text input with its error linked by `aria-describedby`.
#[component]
pub fn Field(
    /// `id` of the input; its error paragraph is `{id}-error`.
    id: &'static str,
    /// Form field name sent to the server function.
    name: &'static str,
    label: &'static str,
    /// Shown under the label when not empty.
    #[prop(optional)]
    hint: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
    value: RwSignal<String>,
    /// The message shown under the field, if any.
    #[prop(optional, into)]
    error: MaybeProp<String>,
    /// Called when the field loses focus (for validation as the user goes).
    #[prop(optional, into)]
    on_blur: Option<Callback<()>>,
    /// Shown but not typed in (its value comes from elsewhere).
    #[prop(optional, into)]
    readonly: Signal<bool>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let has_error = move || error.get().is_some();
    view! {
        <div class="fr-input-group" class:fr-input-group--error=has_error>
            <label class="fr-label" for=id>
                {label}
                {required.then(|| view! { <span class="required-mark" aria-hidden="true">" *"</span> })}
                {(!hint.is_empty()).then(|| view! { <span class="fr-hint-text">{hint}</span> })}
            </label>
            <input
                class="fr-input"
                class:fr-input--error=has_error
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                readonly=move || readonly.get()
                aria-required=required.then_some("true")
                aria-invalid=move || has_error().then_some("true")
                aria-describedby=error_id.clone()
                prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:blur=move |_| {
                    if let Some(on_blur) = on_blur {
                        on_blur.run(());
                    }
                }
            />
            <p id=error_id class="field-message" class:fr-error-text=has_error aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}

/// A DSFR error alert, announced to screen readers.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    view! {
        <div role="alert">
            {move || error.get().map(|e| view! {
                <div class="fr-alert fr-alert--error fr-mb-3w">
                    <p>{e.to_string()}</p>
                </div>
            })}
        </div>
    }
}
