//! Passwords (argon2id), database sessions behind an HttpOnly cookie, role checks, sign-in
//! throttling, single-use links (invitations, password resets: their tokens and checks; the
//! flows that send them are in `services::accounts`) and the audit log.

use super::store::{AuditEntry, Store, TokenRecord, UserRecord};
use super::{internal, now, store};
use crate::domain::Role;
use crate::domain::account::{THROTTLE_WINDOW_SECONDS, sign_in_throttled};
use crate::domain::ids::*;
use crate::error::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::http::{HeaderValue, header, request::Parts};
use base64::Engine;
use leptos::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "sas_session";
const SESSION_SECONDS: i64 = 12 * 3600;

/// argon2id with the crate's defaults (19 MiB, 2 passes): OWASP's recommendation.
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(internal)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A fresh random token (256 bits, for a session or a link) and the hash the database keeps.
pub fn new_token() -> (String, String) {
    let token = random_token();
    let hash = token_hash(&token);
    (token, hash)
}

/// 256 random bits, URL-safe.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn request_parts() -> Option<Parts> {
    use_context::<Parts>()
}

fn session_token(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_string())
}

/// Whether the browser says this request comes from another site (`Sec-Fetch-Site`).
pub fn from_another_site() -> bool {
    request_parts().is_some_and(|parts| {
        parts
            .headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site")
    })
}

/// The client's address, for the audit log.
pub fn client_ip() -> Option<String> {
    let parts = request_parts()?;
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip().to_string())
}

fn is_https(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
}

fn set_cookie(value: String) {
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        options.append_header(header::SET_COOKIE, value);
    }
}

/// The signed-in user of this request, if any.
pub async fn current_user() -> Result<Option<UserRecord>, AppError> {
    match request_parts() {
        Some(parts) => user_of(store()?.as_ref(), &parts).await,
        None => Ok(None),
    }
}

/// The account whose session cookie the request carries (for plain axum handlers too).
pub async fn user_of(store: &Store, parts: &Parts) -> Result<Option<UserRecord>, AppError> {
    let Some(token) = session_token(parts) else {
        return Ok(None);
    };
    store
        .session_user(&token_hash(&token), now())
        .await
        .map_err(AppError::from)
}

/// The signed-in user, provided their role is one of `roles`.
pub async fn require(roles: &[Role]) -> Result<UserRecord, AppError> {
    let user = current_user().await?.ok_or(AppError::Unauthenticated)?;
    match user.role() {
        Some(role) if roles.contains(&role) => Ok(user),
        _ => Err(AppError::Forbidden),
    }
}

/// Who did what, when and from where (the client address of this request).
pub async fn audit(user_id: Option<UserId>, action: &str, subject: &str) -> Result<(), AppError> {
    let ip = client_ip();
    record_audit(store()?.as_ref(), user_id, action, subject, ip.as_deref()).await
}

/// The same, outside a request (command line).
pub async fn record_audit(
    store: &Store,
    user_id: Option<UserId>,
    action: &str,
    subject: &str,
    ip: Option<&str>,
) -> Result<(), AppError> {
    store
        .audit(&AuditEntry {
            at: now(),
            user_id,
            action,
            subject,
            ip,
        })
        .await
        .map_err(AppError::from)
}

/// Checks the credentials, opens a new session and sets its cookie. Repeated failures for an
/// address or from a client address are throttled, whether or not the account exists.
pub async fn sign_in(email: &str, password: &str) -> Result<UserRecord, AppError> {
    let store = store()?;
    let email = email.trim().to_lowercase();
    let now = now();
    let since = now - THROTTLE_WINDOW_SECONDS;
    let account_key = format!("sign-in:{email}");
    let ip_key = client_ip().map(|ip| format!("sign-in-ip:{ip}"));
    let account_failures = store.attempts(&account_key, since).await?;
    let ip_failures = match &ip_key {
        Some(key) => store.attempts(key, since).await?,
        None => 0,
    };
    let user = store.user_by_email(&email).await?;
    if sign_in_throttled(account_failures, ip_failures) {
        audit(user.map(|u| u.id), "sign_in_throttled", "account").await?;
        return Err(AppError::TooManyAttempts);
    }
    let verified = match &user {
        Some(user) => verify_password(password, &user.password_hash) && !user.disabled,
        None => {
            // Same work whether or not the account exists: no enumeration by timing.
            let _ = hash_password(password);
            false
        }
    };
    let user = match (user, verified) {
        (Some(user), true) => user,
        (user, _) => {
            let keys: Vec<&str> = std::iter::once(account_key.as_str())
                .chain(ip_key.as_deref())
                .collect();
            store.record_attempt(&keys, now, since).await?;
            audit(user.map(|u| u.id), "sign_in_failed", "account").await?;
            return Err(AppError::BadCredentials);
        }
    };
    store.clear_attempts(&account_key).await?;
    // A fresh token at every sign-in, the previous one closed: a session cannot be fixed upon the user.
    if let Some(old) = request_parts().as_ref().and_then(session_token) {
        store.delete_session(&token_hash(&old)).await?;
    }
    let (token, hash) = new_token();
    store
        .insert_session(&hash, user.id, now, now + SESSION_SECONDS)
        .await?;
    let secure = request_parts().as_ref().is_some_and(is_https);
    set_cookie(format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={SESSION_SECONDS}{}",
        if secure { "; Secure" } else { "" }
    ));
    audit(Some(user.id), "sign_in", "account").await?;
    Ok(user)
}

pub async fn sign_out() -> Result<(), AppError> {
    if let Some(token) = request_parts().as_ref().and_then(session_token) {
        store()?.delete_session(&token_hash(&token)).await?;
    }
    set_cookie(format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ));
    Ok(())
}

/// Whether a link's stored token can still be used for `purpose`, and why not.
pub fn link_state(
    record: Option<TokenRecord>,
    purpose: &str,
    now: i64,
) -> Result<TokenRecord, AppError> {
    match record {
        Some(r) if r.purpose == purpose => {
            if r.used_at.is_some() {
                Err(AppError::LinkUsed)
            } else if r.expires_at <= now {
                Err(AppError::LinkExpired)
            } else {
                Ok(r)
            }
        }
        _ => Err(AppError::LinkInvalid),
    }
}

/// Reads a link's token without using it.
pub async fn check_link(token: &str, purpose: &str) -> Result<TokenRecord, AppError> {
    let record = store()?.account_token(&token_hash(token)).await?;
    link_state(record, purpose, now())
}

/// Why a link could not be used, read again after the store refused it.
pub async fn link_refusal(token: &str, purpose: &str) -> AppError {
    match check_link(token, purpose).await {
        Ok(_) => AppError::LinkInvalid,
        Err(err) => err,
    }
}
