//! Passwords (argon2id), database sessions behind an HttpOnly cookie, and role checks.

use super::store::{AuditEntry, UserRecord};
use super::{internal, now, store};
use crate::domain::Role;
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

/// A fresh random session token and the hash under which the database keeps it.
fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

fn token_hash(token: &str) -> String {
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
    let Some(token) = request_parts().as_ref().and_then(session_token) else {
        return Ok(None);
    };
    store()?
        .session_user(&token_hash(&token), now())
        .await
        .map_err(internal)
}

/// The signed-in user, provided their role is one of `roles`.
pub async fn require(roles: &[Role]) -> Result<UserRecord, AppError> {
    let user = current_user().await?.ok_or(AppError::Unauthenticated)?;
    match user.role() {
        Some(role) if roles.contains(&role) => Ok(user),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn audit(user_id: Option<i64>, action: &str, subject: &str) -> Result<(), AppError> {
    let ip = client_ip();
    store()?
        .audit(&AuditEntry {
            at: now(),
            user_id,
            action,
            subject,
            ip: ip.as_deref(),
        })
        .await
        .map_err(internal)
}

/// Checks the credentials, opens a new session and sets its cookie.
pub async fn sign_in(email: &str, password: &str) -> Result<UserRecord, AppError> {
    let store = store()?;
    let user = store
        .user_by_email(&email.trim().to_lowercase())
        .await
        .map_err(internal)?;
    let verified = match &user {
        Some(user) => verify_password(password, &user.password_hash),
        None => {
            // Same work whether or not the account exists: no enumeration by timing.
            let _ = hash_password(password);
            false
        }
    };
    let user = match (user, verified) {
        (Some(user), true) => user,
        (user, _) => {
            audit(user.map(|u| u.id), "sign_in_failed", "account").await?;
            return Err(AppError::BadCredentials);
        }
    };
    // A fresh token at every sign-in: an old one cannot be fixed upon the user.
    let (token, hash) = new_token();
    let now = now();
    store
        .insert_session(&hash, user.id, now, now + SESSION_SECONDS)
        .await
        .map_err(internal)?;
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
        store()?
            .delete_session(&token_hash(&token))
            .await
            .map_err(internal)?;
    }
    set_cookie(format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
    ));
    Ok(())
}
