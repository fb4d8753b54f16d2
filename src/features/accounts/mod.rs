//! Sign-in and sign-out; who is signed in.

use crate::components::{ErrorAlert, Field};
use crate::domain::Role;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, with_status};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

/// The signed-in account, as pages need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub name: String,
    pub role: Role,
}

/// The page a role lands on after signing in.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Regulator => "/recherche",
        Role::Practitioner => "/agenda",
        Role::Admin => "/",
    }
}

/// Open to everyone: tells who is signed in, if anyone.
#[server]
pub async fn who_am_i() -> Result<Option<CurrentUser>, AppError> {
    with_status(
        async {
            Ok(auth::current_user().await?.and_then(|u| {
                Some(CurrentUser {
                    name: format!("{} {}", u.first_name, u.last_name),
                    role: u.role()?,
                })
            }))
        }
        .await,
    )
}

/// Open to everyone: checks the credentials and opens a session.
#[server]
pub async fn login(email: String, password: String) -> Result<CurrentUser, AppError> {
    with_status(
        async {
            let user = auth::sign_in(&email, &password).await?;
            let role = user.role().ok_or(AppError::Forbidden)?;
            leptos_axum::redirect(home_of(role));
            Ok(CurrentUser {
                name: format!("{} {}", user.first_name, user.last_name),
                role,
            })
        }
        .await,
    )
}

/// Open to everyone: closes the session of this browser, if any.
#[server]
pub async fn logout() -> Result<(), AppError> {
    with_status(
        async {
            auth::sign_out().await?;
            leptos_axum::redirect("/connexion");
            Ok(())
        }
        .await,
    )
}

/// Sign-in state shared by the layout and the pages.
#[derive(Clone, Copy)]
pub struct Auth {
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub user: Resource<Result<Option<CurrentUser>, AppError>>,
}

impl Auth {
    pub fn new() -> Self {
        let login = ServerAction::<Login>::new();
        let logout = ServerAction::<Logout>::new();
        let user = Resource::new(
            move || (login.version().get(), logout.version().get()),
            |_| who_am_i(),
        );
        Self {
            login,
            logout,
            user,
        }
    }
}

impl Default for Auth {
    fn default() -> Self {
        Self::new()
    }
}

/// Name, role and sign-out button in the header.
#[component]
pub fn UserTools(user: CurrentUser) -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <ul class="fr-btns-group">
            <li>
                <span class="fr-btn fr-btn--tertiary-no-outline fr-icon-user-line user-name">
                    {user.name} " — " {user.role.label()}
                </span>
            </li>
            <li>
                <ActionForm action=auth.logout>
                    <button type="submit" class="fr-btn fr-icon-logout-box-r-line">"Se déconnecter"</button>
                </ActionForm>
            </li>
        </ul>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let error = Signal::derive(move || auth.login.value().get().and_then(Result::err));
    view! {
        <Title text="Connexion" />
        <div class="fr-grid-row fr-grid-row--center">
            <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
                <h1>"Connexion"</h1>
                <p>"Connectez-vous avec l'adresse électronique et le mot de passe définis à la création de votre compte."</p>
                <ErrorAlert error />
                <ActionForm action=auth.login>
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend">"Vos identifiants"</legend>
                        <div class="fr-fieldset__element">
                            <Field id="email" name="email" label="Adresse électronique" hint="Format attendu : nom@domaine.fr"
                                kind="email" autocomplete="username" required=true value=email />
                        </div>
                        <div class="fr-fieldset__element">
                            <Field id="password" name="password" label="Mot de passe" kind="password"
                                autocomplete="current-password" required=true value=password />
                        </div>
                        <div class="fr-fieldset__element">
                            <button type="submit" class="fr-btn">"Se connecter"</button>
                        </div>
                    </fieldset>
                </ActionForm>
            </div>
        </div>
    }
}
