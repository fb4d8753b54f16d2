//! The commune field shared by the search, the booking funnel (birth commune) and the
//! practitioners' registration and settings (the practice's commune), with the server
//! function that proposes the communes.

use crate::domain::place::CommuneOption;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{services, store, with_status};
use leptos::prelude::*;

/// Open to everyone: communes whose name or postcode starts with `text`, for the place field.
/// The commune list is public reference data, and registration (anonymous) picks from it.
#[server]
pub async fn suggest_communes(text: String) -> Result<Vec<CommuneOption>, AppError> {
    with_status(async { services::search::suggest_communes(store()?.as_ref(), &text).await }).await
}

/// A commune field: an ARIA combobox over every French commune (name or postcode).
#[component]
pub fn PlaceField(
    text: RwSignal<String>,
    insee: RwSignal<String>,
    choose: Callback<CommuneOption>,
    #[prop(default = "lieu")] id: &'static str,
    #[prop(default = "city")] name: &'static str,
    #[prop(default = "Commune ou code postal")] label: &'static str,
    #[prop(optional, into)] error: MaybeProp<String>,
) -> impl IntoView {
    let (hint_id, list_id, error_id) = (
        format!("{id}-hint"),
        format!("{id}-liste"),
        format!("{id}-error"),
    );
    let has_error = move || error.get().is_some();
    let options = RwSignal::new(Vec::<CommuneOption>::new());
    let active = RwSignal::new(None::<usize>);
    let open = move || !options.read().is_empty();
    // Answers may arrive out of order: only the latest request's answer is shown.
    let asked = StoredValue::new(0_u64);
    let on_input = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        text.set(value.clone());
        insee.set(String::new());
        active.set(None);
        if value.trim().chars().count() < 2 {
            options.set(Vec::new());
            return;
        }
        let n = asked.get_value() + 1;
        asked.set_value(n);
        leptos::task::spawn_local(async move {
            let found = suggest_communes(value).await.unwrap_or_default();
            if asked.get_value() == n {
                options.set(found);
            }
        });
    };
    let pick = move |i: usize| {
        if let Some(option) = options.get_untracked().get(i).cloned() {
            text.set(option.name.clone());
            insee.set(option.insee.clone());
            options.set(Vec::new());
            active.set(None);
            choose.run(option);
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let count = options.read_untracked().len();
        match ev.key().as_str() {
            "ArrowDown" if count > 0 => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(0, |i| (i + 1) % count)));
            }
            "ArrowUp" if count > 0 => {
                ev.prevent_default();
                active.update(|a| *a = Some(a.map_or(count - 1, |i| (i + count - 1) % count)));
            }
            "Enter" => {
                if let Some(i) = active.get_untracked() {
                    ev.prevent_default();
                    pick(i);
                }
            }
            "Escape" => {
                options.set(Vec::new());
                active.set(None);
            }
            _ => {}
        }
    };
    let described = format!("{hint_id} {error_id}");
    let list = list_id.clone();
    view! {
        <div class="fr-input-group place-field" class:fr-input-group--error=has_error>
            <label class="fr-label" for=id>{label}
                <span class="fr-hint-text" id=hint_id>"Saisissez au moins 2 caractères, puis choisissez dans la liste avec les flèches et Entrée"</span>
            </label>
            <input class="fr-input" id=id name=name type="text" autocomplete="off"
                role="combobox" aria-autocomplete="list" aria-controls=list_id.clone()
                aria-describedby=described
                aria-invalid=move || has_error().then_some("true")
                aria-expanded=move || if open() { "true" } else { "false" }
                aria-activedescendant=move || active.get().map(|i| format!("{id}-option-{i}"))
                value=move || text.get() prop:value=move || text.get()
                on:input=on_input on:keydown=on_keydown
                on:blur=move |_| options.set(Vec::new()) />
            <ul id=list role="listbox" aria-label="Communes proposées" class="place-options" hidden=move || !open()>
                {move || options.get().into_iter().enumerate().map(|(i, option)| view! {
                    <li role="option" id=format!("{id}-option-{i}")
                        aria-selected=move || if active.get() == Some(i) { "true" } else { "false" }
                        class:place-option--active=move || active.get() == Some(i)
                        on:mousedown=move |ev| { ev.prevent_default(); pick(i); }>
                        {option.label()} <span class="fr-hint-text">{option.postcodes.split(' ').next().unwrap_or("").to_string()}</span>
                    </li>
                }).collect_view()}
            </ul>
            <p id=error_id class="field-message" class:fr-error-text=has_error aria-live="polite">
                {move || error.get()}
            </p>
        </div>
    }
}
