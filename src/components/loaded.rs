//! The shape of a page that shows what a server function read: a loading line, then the error
//! as an alert or the content. Once shown, content stays in place while it reloads.

use super::ErrorAlert;
use crate::domain::account::sign_in_path;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::{A, Redirect};
use leptos_router::hooks::use_location;
use std::sync::Arc;

/// `resource`'s value given to `children` once loaded (`let:value`), or its error as an alert.
#[component]
pub fn Loaded<T, F, V>(
    resource: Resource<Result<T, AppError>>,
    /// Shown while loading the first time.
    #[prop(default = "Chargement…")]
    loading: &'static str,
    /// A way out shown under the error, as a button: (href, label).
    #[prop(optional)]
    way_out: Option<(&'static str, &'static str)>,
    /// Shows the error instead of the standard alert.
    #[prop(optional, into)]
    error: Option<Callback<AppError, AnyView>>,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    // The content's view type is erased here, once: carried through the generic types below,
    // it would multiply the debug information of every page by the size of its view.
    let content: Content<T> = Arc::new(move |value| children(value).into_any());
    let error = error.unwrap_or_else(|| {
        Callback::new(move |e: AppError| {
            view! {
                <ErrorAlert error=Signal::derive(move || Some(e.clone())) />
                {way_out.map(|(href, label)| view! {
                    <A href=href attr:class="fr-btn fr-btn--secondary">{label}</A>
                })}
            }
            .into_any()
        })
    });
    loaded(resource, loading, error, content)
}

type Content<T> = Arc<dyn Fn(T) -> AnyView + Send + Sync>;

fn loaded<T: Clone + Send + Sync + 'static>(
    resource: Resource<Result<T, AppError>>,
    loading: &'static str,
    error: Callback<AppError, AnyView>,
    content: Content<T>,
) -> AnyView {
    view! {
        <Transition fallback=move || view! { <p>{loading}</p> }>
            {move || resource.get().map(|result| match result {
                Ok(value) => content(value),
                Err(AppError::Unauthenticated) => view! { <SignInFirst /> }.into_any(),
                Err(e) => error.run(e),
            })}
        </Transition>
    }
    .into_any()
}

/// A page that needs a session, opened without one: the visitor goes to the sign-in page, which
/// brings them back to this very address (query included) once signed in.
#[component]
pub fn SignInFirst() -> impl IntoView {
    let location = use_location();
    let (path, query) = (
        location.pathname.get_untracked(),
        location.search.get_untracked(),
    );
    let here = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    let sign_in = sign_in_path(&here);
    view! {
        <Redirect path=sign_in.clone() />
        <div role="alert" class="fr-alert fr-alert--info fr-mb-3w">
            <p>{AppError::Unauthenticated.to_string()}</p>
        </div>
        <A href=sign_in attr:class="fr-btn">"Se connecter"</A>
    }
}

/// The same for a list, with `empty` shown when it has nothing in it.
#[component]
pub fn LoadedList<T, F, V>(
    resource: Resource<Result<Vec<T>, AppError>>,
    /// Shown instead of `children` when the list is empty.
    empty: &'static str,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(Vec<T>) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Loaded resource let:items>
            {if items.is_empty() {
                view! { <p>{empty}</p> }.into_any()
            } else {
                children(items).into_any()
            }}
        </Loaded>
    }
}
