//! Sign-in and sign-out, who is signed in, account creation from an invitation link, and
//! password reset.

use crate::components::loaded::Loaded;
use crate::components::{ErrorAlert, Field};
use crate::domain::Role;
use crate::domain::account::{
    AccountInput, InvitationView, PROFESSION_WARNING, PROFESSIONS, REGULATOR_PROFESSION,
    check_confirmation, check_password, return_path, strength,
};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::{auth, services::accounts, with_status};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
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
        Role::Admin => "/admin/regulateurs",
        Role::Other => "/",
    }
}

/// Open to everyone: tells who is signed in, if anyone.
#[server]
pub async fn who_am_i() -> Result<Option<CurrentUser>, AppError> {
    with_status(async {
        Ok(auth::current_user().await?.map(|u| CurrentUser {
            name: format!("{} {}", u.first_name, u.last_name),
            role: u.role,
        }))
    })
    .await
}

/// Open to everyone: checks the credentials and opens a session, then goes back to `retour` (a
/// path of this site: the page that asked for a session) or to the role's home page.
#[server]
pub async fn login(
    email: String,
    password: String,
    retour: Option<String>,
) -> Result<CurrentUser, AppError> {
    with_status(async {
        let user = match auth::sign_in(&email, &password).await {
            Err(AppError::EmailNotConfirmed) => {
                accounts::resend_confirmation(&email).await?;
                return Err(AppError::EmailNotConfirmed);
            }
            other => other?,
        };
        let role = user.role;
        let back = retour.as_deref().and_then(return_path);
        leptos_axum::redirect(back.unwrap_or(home_of(role)));
        Ok(CurrentUser {
            name: format!("{} {}", user.first_name, user.last_name),
            role,
        })
    })
    .await
}

/// Open to everyone: closes the session of this browser, if any.
#[server]
pub async fn logout() -> Result<(), AppError> {
    with_status(async {
        auth::sign_out().await?;
        leptos_axum::redirect("/connexion");
        Ok(())
    })
    .await
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
    // The page that sent the visitor here, kept through the form (same-site paths only).
    let retour = use_query_map()
        .get_untracked()
        .get("retour")
        .filter(|r| return_path(r).is_some());
    let sent_here = retour.is_some();
    view! {
        <Title text="Connexion" />
        <div class="fr-grid-row fr-grid-row--center">
            <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
                <h1>"Connexion"</h1>
                {sent_here.then(|| view! {
                    <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w">
                        <p>{AppError::Unauthenticated.to_string()}</p>
                    </div>
                })}
                <p>"Connectez-vous avec l'adresse électronique et le mot de passe définis à la création de votre compte."</p>
                <ErrorAlert error />
                <ActionForm action=auth.login>
                    {retour.map(|r| view! { <input type="hidden" name="retour" value=r /> })}
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
                <p><A href="/mot-de-passe-oublie" attr:class="fr-link">"Mot de passe oublié ?"</A></p>
            </div>
        </div>
    }
}

/// Open to everyone: the link's token is the credential. Whose invitation the link carries.
#[server]
pub async fn invitation(token: String) -> Result<InvitationView, AppError> {
    with_status(accounts::invitation(&token)).await
}

/// Open to everyone: the link's token is the credential. Creates the account and uses the link;
/// returns the role the chosen profession gives.
#[server]
pub async fn create_account(
    token: String,
    profession: String,
    email: String,
    password: String,
    confirmation: String,
) -> Result<Role, AppError> {
    let input = AccountInput {
        profession,
        email,
        password,
        confirmation,
    };
    with_status(accounts::create_account(&token, &input)).await
}

/// Open to everyone: sends a reset link if an account has this address; the same answer
/// whether or not one has (no account enumeration).
#[server]
pub async fn request_reset(email: String) -> Result<(), AppError> {
    with_status(async {
        let email = crate::domain::identity::Email::parse(&email)
            .map_err(|message| AppError::invalid("email", message))?;
        accounts::request_password_reset(email.as_str()).await
    })
    .await
}

/// Open to everyone: the link's token is the credential. Whether a reset link can be used.
#[server]
pub async fn reset_link(token: String) -> Result<(), AppError> {
    with_status(async { auth::check_link(&token, "reset").await.map(drop) }).await
}

/// Open to everyone: the link's token is the credential. Sets the new password, uses the link
/// and closes the account's sessions.
#[server]
pub async fn reset_password(
    token: String,
    password: String,
    confirmation: String,
) -> Result<(), AppError> {
    with_status(accounts::reset_password(&token, &password, &confirmation)).await
}

/// Open to everyone: the link's token is the credential. Whether a confirmation link can be used.
#[server]
pub async fn confirmation_link(token: String) -> Result<(), AppError> {
    with_status(async { auth::check_link(&token, "confirm").await.map(drop) }).await
}

/// Open to everyone: the link's token is the credential. Confirms the account's address.
#[server]
pub async fn confirm_email(token: String) -> Result<(), AppError> {
    with_status(accounts::confirm_email(&token)).await
}

/// The token of the link the page was opened from.
fn link_token() -> impl Fn() -> String + Copy {
    let query = use_query_map();
    move || query.read().get("jeton").unwrap_or_default()
}

/// A new password and its confirmation, with the strength meter and ANSSI's advice.
#[component]
fn PasswordFields(
    password: RwSignal<String>,
    confirmation: RwSignal<String>,
    password_error: RwSignal<Option<String>>,
    confirmation_error: RwSignal<Option<String>>,
    /// Names the password must not contain.
    context: Vec<String>,
) -> impl IntoView {
    let context = StoredValue::new(context);
    let check = move || {
        context.with_value(|c| {
            let names: Vec<&str> = c.iter().map(String::as_str).collect();
            check_password(&password.get_untracked(), &names).err()
        })
    };
    let level = move || {
        let value = password.get();
        context.with_value(|c| {
            let names: Vec<&str> = c.iter().map(String::as_str).collect();
            strength(&value, &names)
        })
    };
    view! {
        <div class="fr-fieldset__element">
            <Field id="password" name="password" label="Mot de passe" kind="password"
                hint="12 caractères au minimum, sans obligation de chiffres ni de caractères spéciaux : une phrase de passe de plusieurs mots est plus sûre et facile à retenir."
                autocomplete="new-password" required=true value=password error=password_error
                on_blur=Callback::new(move |()| password_error.set(check())) />
            <div class="password-strength" data-level=move || level().level()>
                <div class="password-strength__bar" aria-hidden="true"><span></span></div>
                <p class="fr-text--sm fr-mb-0" aria-live="polite">
                    "Robustesse du mot de passe : " {move || if password.get().is_empty() { "—" } else { level().label() }}
                </p>
            </div>
        </div>
        <div class="fr-fieldset__element">
            <Field id="confirmation" name="confirmation" label="Confirmation du mot de passe" kind="password"
                autocomplete="new-password" required=true value=confirmation error=confirmation_error
                on_blur=Callback::new(move |()| confirmation_error.set(
                    check_confirmation(&password.get_untracked(), &confirmation.get_untracked()).err()
                )) />
        </div>
    }
    .into_any()
}

#[component]
pub fn CreateAccountPage() -> impl IntoView {
    let token = link_token();
    let invited = Resource::new(token, invitation);
    view! {
        <Title text="Création de votre compte" />
        <h1>"Création de votre compte"</h1>
        <Loaded resource=invited loading="Vérification du lien…"
            way_out=("/connexion", "Se connecter") let:invited>
            <CreateAccountForm token=token() invited />
        </Loaded>
    }
}

#[component]
fn CreateAccountForm(token: String, invited: InvitationView) -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let profession = RwSignal::new(REGULATOR_PROFESSION.to_string());
    let email = RwSignal::new(invited.email.clone());
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let errors: [RwSignal<Option<String>>; 4] = std::array::from_fn(|_| RwSignal::new(None));
    let [
        profession_error,
        email_error,
        password_error,
        confirmation_error,
    ] = errors;
    let fields = ["profession", "email", "password", "confirmation"];
    let names = vec![invited.first_name.clone(), invited.last_name.clone()];
    let show = move |found: &[crate::domain::field::FieldError]| {
        for (field, error) in fields.iter().zip(errors) {
            error.set(
                found
                    .iter()
                    .find(|e| e.field == *field)
                    .map(|e| e.message.clone()),
            );
        }
    };
    Effect::new(move || {
        if let Some(Err(AppError::Invalid(found))) = create.value().get() {
            show(&found);
        }
    });
    let on_submit = {
        let (token, names) = (token.clone(), names.clone());
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let input = AccountInput {
                profession: profession.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
                confirmation: confirmation.get_untracked(),
            };
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            match input.validate(&names) {
                Ok(_) => {
                    show(&[]);
                    create.dispatch(CreateAccount {
                        token: token.clone(),
                        profession: input.profession,
                        email: input.email,
                        password: input.password,
                        confirmation: input.confirmation,
                    });
                }
                Err(found) => show(&found),
            }
        }
    };
    let created = move || create.value().get().and_then(Result::ok);
    let server_error = Signal::derive(move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !matches!(e, AppError::Invalid(_)))
    });
    let greeting = format!(
        "Bonjour {} {}, votre SAS ({}) vous a inscrit sur la plateforme. ",
        invited.first_name, invited.last_name, invited.departement
    );
    view! {
        <Show when=move || created().is_none() fallback=move || view! { <AccountCreated role=created() /> }>
            <p>
                {greeting.clone()}
                "Choisissez votre profession, votre adresse électronique de connexion et votre mot de passe."
            </p>
            <ErrorAlert error=server_error />
            <form method="post" action=CreateAccount::url() on:submit=on_submit.clone() novalidate>
                <input type="hidden" name="token" value=token.clone() />
                <fieldset class="fr-fieldset">
                    <legend class="fr-fieldset__legend">"Votre compte"</legend>
                    <ProfessionSelect profession error=profession_error />
                    <div class="fr-fieldset__element">
                        <Field id="email" name="email" label="Adresse électronique de connexion"
                            hint="Si vous avez un compte Pro de professionnel de santé, utilisez une autre adresse que celle de ce compte. L'adresse de votre compte Patient est acceptée."
                            kind="email" autocomplete="username" required=true value=email error=email_error />
                    </div>
                    <PasswordFields password confirmation password_error confirmation_error context=names.clone() />
                    <div class="fr-fieldset__element">
                        <button type="submit" class="fr-btn" disabled=move || create.pending().get()>"Créer mon compte"</button>
                    </div>
                </fieldset>
            </form>
        </Show>
    }
}

/// The professions, "Régulateur" last and preselected, with the guide's warning.
#[component]
fn ProfessionSelect(
    profession: RwSignal<String>,
    error: RwSignal<Option<String>>,
) -> impl IntoView {
    let profession_error = error;
    let not_regulator = move || profession.get() != REGULATOR_PROFESSION;
    view! {
                    <div class="fr-fieldset__element">
                        <div class="fr-select-group" class:fr-select-group--error=move || profession_error.get().is_some()>
                            <label class="fr-label" for="profession">
                                "Profession" <span class="required-mark" aria-hidden="true">" *"</span>
                                <span class="fr-hint-text">{PROFESSION_WARNING}</span>
                            </label>
                            <select class="fr-select" id="profession" name="profession" required aria-required="true"
                                aria-describedby="profession-warning profession-error"
                                on:change=move |ev| profession.set(event_target_value(&ev))>
                                {PROFESSIONS.iter().map(|p| view! {
                                    <option value=*p selected=*p == REGULATOR_PROFESSION>{*p}</option>
                                }).collect_view()}
                            </select>
                            <p id="profession-error" class="fr-error-text" hidden=move || profession_error.get().is_none()>
                                {move || profession_error.get()}
                            </p>
                        </div>
                        <div id="profession-warning" role="status">
                            <Show when=not_regulator>
                                <div class="fr-alert fr-alert--warning fr-alert--sm fr-mt-1w">
                                    <p>{PROFESSION_WARNING}</p>
                                </div>
                            </Show>
                        </div>
                    </div>
    }
    .into_any()
}

#[component]
fn AccountCreated(role: Option<Role>) -> impl IntoView {
    view! {
        <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
            <h2 class="fr-alert__title">"Votre compte est créé"</h2>
            <p>"Connectez-vous avec votre adresse électronique et votre mot de passe."</p>
        </div>
        {(role != Some(Role::Regulator)).then(|| view! {
            <div class="fr-alert fr-alert--warning fr-mb-3w">
                <p>
                    "Vous n'avez pas choisi la profession « Régulateur » : votre compte n'a pas accès aux "
                    "fonctionnalités des régulateurs. Contactez votre SAS pour recevoir une nouvelle invitation."
                </p>
            </div>
        })}
        <A href="/connexion" attr:class="fr-btn">"Se connecter"</A>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let request = ServerAction::<RequestReset>::new();
    let email = RwSignal::new(String::new());
    let sent = move || matches!(request.value().get(), Some(Ok(())));
    let email_error = Signal::derive(move || {
        request
            .value()
            .get()
            .and_then(|r| r.err()?.field_message("email"))
    });
    let server_error = Signal::derive(move || {
        request
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !matches!(e, AppError::Invalid(_)))
    });
    view! {
        <Title text="Mot de passe oublié" />
        <div class="fr-grid-row fr-grid-row--center">
            <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
                <h1>"Mot de passe oublié"</h1>
                <Show when=sent fallback=move || view! {
                    <p>"Indiquez l'adresse électronique de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe."</p>
                    <ErrorAlert error=server_error />
                    <ActionForm action=request>
                        <Field id="email" name="email" label="Adresse électronique" hint="Format attendu : nom@domaine.fr"
                            kind="email" autocomplete="username" required=true value=email error=email_error />
                        <button type="submit" class="fr-btn">"Recevoir un lien"</button>
                    </ActionForm>
                }>
                    <div class="fr-alert fr-alert--info" role="status">
                        <p>
                            "Si un compte existe avec cette adresse, un courriel contenant un lien de "
                            "réinitialisation vient de lui être envoyé. Ce lien ne sert qu'une fois et expire dans une heure."
                        </p>
                    </div>
                </Show>
                <p class="fr-mt-3w"><A href="/connexion" attr:class="fr-link">"Retour à la connexion"</A></p>
            </div>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let token = link_token();
    let usable = Resource::new(token, reset_link);
    view! {
        <Title text="Nouveau mot de passe" />
        <h1>"Nouveau mot de passe"</h1>
        <Loaded resource=usable loading="Vérification du lien…"
            way_out=("/mot-de-passe-oublie", "Demander un nouveau lien") let:_usable>
            <ResetPasswordForm token=token() />
        </Loaded>
    }
}

#[component]
fn ResetPasswordForm(token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let reset = ServerAction::<ResetPassword>::new();
    let password = RwSignal::new(String::new());
    let confirmation = RwSignal::new(String::new());
    let password_error = RwSignal::new(None);
    let confirmation_error = RwSignal::new(None);
    Effect::new(move || {
        if let Some(Err(err)) = reset.value().get() {
            password_error.set(err.field_message("password"));
            confirmation_error.set(err.field_message("confirmation"));
        }
    });
    let done = move || matches!(reset.value().get(), Some(Ok(())));
    let server_error = Signal::derive(move || {
        reset
            .value()
            .get()
            .and_then(Result::err)
            .filter(|e| !matches!(e, AppError::Invalid(_)))
    });
    view! {
        <Show when=move || !done() fallback=|| view! {
            <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
                <p>"Votre mot de passe est changé. Connectez-vous avec ce nouveau mot de passe."</p>
            </div>
            <A href="/connexion" attr:class="fr-btn">"Se connecter"</A>
        }>
            <ErrorAlert error=server_error />
            <ActionForm action=reset>
                <input type="hidden" name="token" value=token.get_value() />
                <fieldset class="fr-fieldset">
                    <legend class="fr-fieldset__legend">"Choisissez un nouveau mot de passe"</legend>
                    <PasswordFields password confirmation password_error confirmation_error context=vec![] />
                    <div class="fr-fieldset__element">
                        <button type="submit" class="fr-btn">"Enregistrer le mot de passe"</button>
                    </div>
                </fieldset>
            </ActionForm>
        </Show>
    }
}

/// The page of the link a new practitioner receives: a button confirms the address (a mail
/// scanner that opens the link confirms nothing).
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let token = link_token();
    let usable = Resource::new(token, confirmation_link);
    view! {
        <Title text="Confirmer mon adresse électronique" />
        <h1>"Confirmer mon adresse électronique"</h1>
        <Loaded resource=usable loading="Vérification du lien…"
            way_out=("/connexion", "Se connecter pour recevoir un nouveau lien") let:_usable>
            <ConfirmEmailForm token=token() />
        </Loaded>
    }
}

#[component]
fn ConfirmEmailForm(token: String) -> impl IntoView {
    let token = StoredValue::new(token);
    let confirm = ServerAction::<ConfirmEmail>::new();
    let done = move || matches!(confirm.value().get(), Some(Ok(())));
    let error = Signal::derive(move || confirm.value().get().and_then(Result::err));
    view! {
        <Show when=move || !done() fallback=|| view! {
            <div class="fr-alert fr-alert--success fr-mb-3w" role="status">
                <p>
                    "Votre adresse électronique est confirmée. Connectez-vous pour demander votre "
                    "participation au SAS et paramétrer votre agenda."
                </p>
            </div>
            <A href="/connexion" attr:class="fr-btn">"Se connecter"</A>
        }>
            <p>"Confirmez que cette adresse est bien la vôtre pour activer votre compte de médecin effecteur."</p>
            <ErrorAlert error />
            <ActionForm action=confirm>
                <input type="hidden" name="token" value=token.get_value() />
                <button type="submit" class="fr-btn">"Confirmer mon adresse électronique"</button>
            </ActionForm>
        </Show>
    }
}
