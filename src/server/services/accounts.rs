//! Account flows: invitations of regulators (created, sent, sent again, revoked), account
//! creation from an invitation link, password reset by link, disabling an account, and a
//! practitioner's registration.
//! Used by the account and administration server functions and by the command line.

use crate::domain::Role;
use crate::domain::account::{
    AccountInput, CONFIRM_HOURS, INVITATION_DAYS, InvitationView, MAX_REGISTRATIONS_PER_HOUR,
    NewRegulatorValue, PRO_EMAIL_MESSAGE, RESET_HOURS, check_new_password,
};
use crate::domain::identity::{Departement, Email, PersonName};
use crate::domain::ids::*;
use crate::domain::participation::SasStatus;
use crate::domain::practitioner::Registration;
use crate::domain::rpps::RppsCheck;
use crate::error::AppError;
use crate::server::store::{
    NewAccount, NewPractitioner, NewRegulator, NewToken, NewUser, StoreError, Unique,
};
use crate::server::{AppState, auth, mail, now, state, store};

const NO_PENDING_INVITATION: &str = "Aucune invitation en attente pour ce régulateur.";

fn link(public_url: &str, path: &str, token: &str) -> String {
    format!("{}{path}?jeton={token}", public_url.trim_end_matches('/'))
}

pub const INVITATION_PATH: &str = "/creer-mon-compte";
pub const RESET_PATH: &str = "/mot-de-passe/nouveau";

/// Creates a regulator and sends their invitation; returns its id and the link.
/// Used by the administration page and by the command line.
pub async fn invite_regulator(
    state: &AppState,
    regulator: &NewRegulatorValue,
    invited_by: Option<UserId>,
    ip: Option<&str>,
) -> Result<(InvitationId, String), AppError> {
    let store = state.store.as_ref();
    let email = regulator.email.as_str();
    let existing = store.user_by_email(email).await?;
    // A practitioner's address may be invited: the account creation page asks for another one.
    if existing.is_some_and(|u| u.role != Role::Practitioner) {
        return Err(AppError::invalid(
            "email",
            "Un compte existe déjà avec cette adresse électronique.",
        ));
    }
    let (token, hash) = auth::new_token();
    let now = now();
    let created = store
        .insert_regulator(
            &NewRegulator {
                civility: regulator.civility.as_deref(),
                first_name: regulator.first_name.as_str(),
                last_name: regulator.last_name.as_str(),
                email,
                departement: regulator.departement.as_str(),
                invited_by,
                invited_at: now,
            },
            &NewToken {
                token_hash: &hash,
                created_at: now,
                expires_at: now + INVITATION_DAYS * 86_400,
            },
        )
        .await;
    let id = match created {
        Err(StoreError::Taken(Unique::Email)) => {
            return Err(AppError::invalid(
                "email",
                "Ce régulateur est déjà invité : renvoyez son invitation depuis la liste.",
            ));
        }
        other => other?,
    };
    let link = link(&state.public_url, INVITATION_PATH, &token);
    auth::record_audit(
        store,
        invited_by,
        "regulator_created",
        &format!("regulator:{id}"),
        ip,
    )
    .await?;
    send_invitation(state, id, &link, invited_by, ip).await?;
    Ok((id, link))
}

/// Replaces the link of a pending invitation and sends it again.
pub async fn resend_invitation(
    state: &AppState,
    regulator_id: InvitationId,
    by: Option<UserId>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let (token, hash) = auth::new_token();
    let now = now();
    let renewed = state
        .store
        .renew_invitation(
            regulator_id,
            &NewToken {
                token_hash: &hash,
                created_at: now,
                expires_at: now + INVITATION_DAYS * 86_400,
            },
        )
        .await?;
    if !renewed {
        return Err(AppError::NotFound(NO_PENDING_INVITATION.into()));
    }
    let link = link(&state.public_url, INVITATION_PATH, &token);
    send_invitation(state, regulator_id, &link, by, ip).await
}

async fn send_invitation(
    state: &AppState,
    regulator_id: InvitationId,
    link: &str,
    by: Option<UserId>,
    ip: Option<&str>,
) -> Result<(), AppError> {
    let store = state.store.as_ref();
    let regulator = store
        .regulator(regulator_id)
        .await?
        .ok_or(AppError::Internal)?;
    let mail = mail::invitation(
        &regulator.email,
        &regulator.first_name,
        &regulator.departement,
        link,
    );
    if let Err(err) = state.mailer.send(store, &mail).await {
        tracing::error!("invitation of regulator {regulator_id} not sent: {err}");
        return Err(AppError::MailFailed);
    }
    auth::record_audit(
        store,
        by,
        "invitation_sent",
        &format!("regulator:{regulator_id}"),
        ip,
    )
    .await
}

/// A password hash no password matches: the account of `create_admin` until its owner
/// chooses one through the link.
const NO_PASSWORD_YET: &str = "!";

/// How long the first administrator's link stays usable.
pub const ADMIN_LINK_HOURS: i64 = 24;

/// An administrator account, from the command line: created without a password, with a
/// single-use link to choose it (nothing secret passes on the command line). Returns the link.
pub async fn create_admin(
    state: &AppState,
    email: &Email,
    (first_name, last_name): (&PersonName, &PersonName),
    departement: Option<&Departement>,
) -> Result<String, AppError> {
    let store = state.store.as_ref();
    let now = now();
    let user_id = store
        .insert_user(&NewUser {
            email: email.as_str(),
            password_hash: NO_PASSWORD_YET,
            role: Role::Admin,
            first_name: first_name.as_str(),
            last_name: last_name.as_str(),
            practitioner_id: None,
            created_at: now,
            // Confirmed when its owner uses the link.
            email_verified_at: None,
            departement: departement.map(Departement::as_str),
        })
        .await?;
    let (token, hash) = auth::new_token();
    store
        .insert_reset_token(
            user_id,
            &NewToken {
                token_hash: &hash,
                created_at: now,
                expires_at: now + ADMIN_LINK_HOURS * 3600,
            },
        )
        .await?;
    auth::record_audit(
        store,
        None,
        "admin_created",
        &format!("user:{user_id}"),
        None,
    )
    .await?;
    Ok(link(&state.public_url, RESET_PATH, &token))
}

/// Sends a password reset link if an active account has this address. The answer is the same
/// either way, the mail leaves in the background, and requests are throttled per address.
pub async fn request_password_reset(email: &str) -> Result<(), AppError> {
    let state = state()?;
    let now = now();
    let key = format!("reset:{email}");
    let since = now - 3600;
    let recent = state.store.attempts(&key, since).await?;
    state.store.record_attempt(&[&key], now, since).await?;
    let user = state.store.user_by_email(email).await?;
    let Some(user) = user.filter(|u| !u.disabled && recent < 3) else {
        return Ok(());
    };
    let (token, hash) = auth::new_token();
    state
        .store
        .insert_reset_token(
            user.id,
            &NewToken {
                token_hash: &hash,
                created_at: now,
                expires_at: now + RESET_HOURS * 3600,
            },
        )
        .await?;
    auth::audit(
        Some(user.id),
        "password_reset_requested",
        &format!("user:{}", user.id),
    )
    .await?;
    let mail = mail::password_reset(
        &user.email,
        &user.first_name,
        &link(&state.public_url, RESET_PATH, &token),
    );
    tokio::spawn(async move {
        if let Err(err) = state.mailer.send(state.store.as_ref(), &mail).await {
            tracing::error!("password reset of user {} not sent: {err}", user.id);
        }
    });
    Ok(())
}

/// Whose invitation a link carries, if it can still be used.
pub async fn invitation(token: &str) -> Result<InvitationView, AppError> {
    let record = auth::check_link(token, "invitation").await?;
    let regulator = store()?
        .regulator(record.regulator_id.ok_or(AppError::LinkInvalid)?)
        .await?
        .filter(|r| r.revoked_at.is_none() && r.user_id.is_none())
        .ok_or(AppError::LinkInvalid)?;
    Ok(InvitationView {
        first_name: regulator.first_name,
        last_name: regulator.last_name,
        email: regulator.email,
        departement: regulator.departement,
    })
}

/// Creates the account of an invitation link and uses the link; returns the role the chosen
/// profession gives.
pub async fn create_account(token: &str, input: &AccountInput) -> Result<Role, AppError> {
    let invited = invitation(token).await?;
    let account = input
        .validate(&[&invited.first_name, &invited.last_name])
        .map_err(AppError::Invalid)?;
    let store = store()?;
    let taken = |message: &str| AppError::invalid("email", message);
    let other_account =
        "Un compte existe déjà avec cette adresse électronique : choisissez-en une autre.";
    match store.user_by_email(account.email.as_str()).await? {
        Some(user) if user.role == Role::Practitioner => {
            return Err(taken(PRO_EMAIL_MESSAGE));
        }
        Some(_) => return Err(taken(other_account)),
        None => {}
    }
    let password_hash = auth::hash_password_async(&input.password).await?;
    let created = store
        .accept_invitation(
            &auth::token_hash(token),
            crate::server::now(),
            &NewAccount {
                email: account.email.as_str(),
                password_hash: &password_hash,
                role: account.role,
                profession: &account.profession,
                created_at: crate::server::now(),
            },
        )
        .await;
    let user_id = match created {
        Ok(id) => id,
        Err(StoreError::TokenUnusable) => {
            return Err(auth::link_refusal(token, "invitation").await);
        }
        Err(StoreError::Taken(Unique::Email)) => return Err(taken(other_account)),
        Err(e) => return Err(e.into()),
    };
    auth::audit(Some(user_id), "account_created", &format!("user:{user_id}")).await?;
    Ok(account.role)
}

/// Sets the new password of a reset link, uses the link and closes the account's sessions.
pub async fn reset_password(
    token: &str,
    password: &str,
    confirmation: &str,
) -> Result<(), AppError> {
    let record = auth::check_link(token, "reset").await?;
    let store = store()?;
    let user_id = record.user_id.ok_or(AppError::LinkInvalid)?;
    check_new_password(password, confirmation).map_err(AppError::Invalid)?;
    let hash = auth::hash_password_async(password).await?;
    match store
        .reset_password(&auth::token_hash(token), crate::server::now(), &hash)
        .await
    {
        Ok(_) => {}
        Err(StoreError::TokenUnusable) => {
            return Err(auth::link_refusal(token, "reset").await);
        }
        Err(e) => return Err(e.into()),
    }
    auth::audit(Some(user_id), "password_reset", &format!("user:{user_id}")).await?;
    Ok(())
}

/// Cancels a pending invitation; its link stops working.
pub async fn revoke_invitation(regulator_id: InvitationId, by: UserId) -> Result<(), AppError> {
    if !store()?
        .revoke_invitation(regulator_id, crate::server::now())
        .await?
    {
        return Err(AppError::NotFound(NO_PENDING_INVITATION.into()));
    }
    auth::audit(
        Some(by),
        "invitation_revoked",
        &format!("regulator:{regulator_id}"),
    )
    .await
}

/// Disables a regulator's account and closes its sessions.
pub async fn disable_account(regulator_id: InvitationId, by: UserId) -> Result<(), AppError> {
    let store = store()?;
    let not_found = || AppError::NotFound("Ce régulateur n'a pas de compte actif.".into());
    let user_id = store
        .regulator(regulator_id)
        .await?
        .and_then(|r| r.user_id)
        .ok_or_else(not_found)?;
    if !store.disable_user(user_id).await? {
        return Err(not_found());
    }
    auth::audit(Some(by), "account_disabled", &format!("user:{user_id}")).await
}

/// Why a registration is refused when a value is already taken, in the words of its form.
fn registration_refused(taken: Unique) -> AppError {
    match taken {
        Unique::RegulatorEmail => AppError::invalid(
            "email",
            "Cette adresse est celle d'un compte régulateur : utilisez une autre adresse pour votre compte de médecin.",
        ),
        other => StoreError::Taken(other).into(),
    }
}

/// Registers a practitioner (their account and practice, in one transaction) and sends the link
/// that confirms their address; the account cannot sign in before. At most
/// `MAX_REGISTRATIONS_PER_HOUR` per client address. When a directory of health professionals is
/// imported, the RPPS number must be in it under the names given.
pub async fn register_practitioner(r: &Registration) -> Result<(), AppError> {
    let state = state()?;
    let store = state.store.as_ref();
    if let Some(ip) = auth::client_ip() {
        let key = format!("register-ip:{ip}");
        if store.claim_attempt(&key, now(), 3600).await? > MAX_REGISTRATIONS_PER_HOUR {
            return Err(AppError::TooManyRequests);
        }
    }
    // The cheap refusals first: no password is hashed for an address already taken.
    if let Some(existing) = store.user_by_email(r.email.as_str()).await? {
        return Err(match existing.role {
            Role::Regulator => registration_refused(Unique::RegulatorEmail),
            _ => registration_refused(Unique::Email),
        });
    }
    let check = rpps_check(
        store,
        r.rpps.as_str(),
        r.first_name.as_str(),
        r.last_name.as_str(),
    )
    .await?;
    if let Some(refusal) = check.refusal() {
        return Err(AppError::invalid("rpps", refusal));
    }
    let place = super::search::locate_practice(store, r.insee_code.as_str(), &r.postcode).await?;
    let hash = auth::hash_password_async(&r.password).await?;
    let practitioner = NewPractitioner {
        rpps: r.rpps.as_str(),
        civility: r.civility,
        first_name: r.first_name.as_str(),
        last_name: r.last_name.as_str(),
        specialty: r.specialty.label(),
        address: &r.address,
        postcode: &r.postcode,
        city: &place.commune.name,
        insee_code: r.insee_code.as_str(),
        departement: r.departement.as_str(),
        latitude: place.latitude,
        longitude: place.longitude,
        position_source: place.source,
        phone: r.phone.as_ref().map(|p| p.e164()),
        sas_status: SasStatus::None,
        accepts_new_patients: false,
        booking_notice: "",
    };
    let account = NewUser {
        email: r.email.as_str(),
        password_hash: &hash,
        role: Role::Practitioner,
        first_name: r.first_name.as_str(),
        last_name: r.last_name.as_str(),
        practitioner_id: None,
        created_at: now(),
        email_verified_at: None,
        departement: None,
    };
    let user_id = match store.register_practitioner(&practitioner, &account).await {
        Ok(id) => id,
        Err(StoreError::Taken(taken)) => return Err(registration_refused(taken)),
        Err(e) => return Err(e.into()),
    };
    auth::audit(Some(user_id), "practitioner_registered", "account").await?;
    send_confirmation(&state, user_id, r.email.as_str(), r.first_name.as_str()).await
}

/// What the directory of health professionals says of an RPPS number and names.
pub async fn rpps_check(
    store: &store::Store,
    rpps: &str,
    first_name: &str,
    last_name: &str,
) -> Result<RppsCheck, AppError> {
    Ok(match store.rpps_entry(rpps).await? {
        None => RppsCheck::NotVerified,
        Some(entry) => RppsCheck::of(first_name, last_name, entry.as_ref()),
    })
}

pub const CONFIRM_PATH: &str = "/confirmer-mon-adresse";

/// Stores a new confirmation link for the account and mails it, in the background: the
/// account exists either way, and signing in with the right password sends another link.
async fn send_confirmation(
    state: &AppState,
    user_id: UserId,
    email: &str,
    first_name: &str,
) -> Result<(), AppError> {
    let (token, hash) = auth::new_token();
    let now = now();
    state
        .store
        .insert_confirm_token(
            user_id,
            &NewToken {
                token_hash: &hash,
                created_at: now,
                expires_at: now + CONFIRM_HOURS * 3600,
            },
        )
        .await?;
    let mail = mail::email_confirmation(
        email,
        first_name,
        &link(&state.public_url, CONFIRM_PATH, &token),
    );
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(err) = state.mailer.send(state.store.as_ref(), &mail).await {
            tracing::error!("address confirmation of user {user_id} not sent: {err}");
        }
    });
    Ok(())
}

/// A new confirmation link for the account of `email` if it is not confirmed yet, once its
/// owner proved the password; at most 3 an hour per account.
pub async fn resend_confirmation(email: &str) -> Result<(), AppError> {
    let state = state()?;
    let user = state
        .store
        .user_by_email(&email.trim().to_lowercase())
        .await?;
    let Some(user) = user.filter(|u| u.email_verified_at.is_none() && !u.disabled) else {
        return Ok(());
    };
    let key = format!("confirm:{}", user.id);
    if state.store.claim_attempt(&key, now(), 3600).await? > 3 {
        return Ok(());
    }
    send_confirmation(&state, user.id, &user.email, &user.first_name).await
}

/// Uses a confirmation link: the account's address is confirmed, it may sign in.
pub async fn confirm_email(token: &str) -> Result<(), AppError> {
    auth::check_link(token, "confirm").await?;
    let user_id = match store()?
        .confirm_email(&auth::token_hash(token), now())
        .await
    {
        Ok(id) => id,
        Err(StoreError::TokenUnusable) => return Err(auth::link_refusal(token, "confirm").await),
        Err(e) => return Err(e.into()),
    };
    auth::audit(Some(user_id), "email_confirmed", &format!("user:{user_id}")).await
}
