//! Passwords (argon2id), database sessions behind an HttpOnly cookie, role checks, sign-in
//! throttling, single-use links (invitations, password resets: their tokens and checks; the
//! flows that send them are in `services::accounts`) and the audit log.

use super::metrics::{self, Event};
use super::store::{AuditEntry, Store, TokenRecord, UserRecord};
use super::{internal, now, store};
use crate::domain::Role;
use crate::domain::account::{THROTTLE_WINDOW_SECONDS, failure_delay_ms, sign_in_throttled};
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
/// A session unused this long ends (`SAS_SESSION_IDLE_MINUTES`, 30 minutes by default).
static IDLE_SECONDS: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
pub const DEFAULT_IDLE_MINUTES: i64 = 30;

/// Sets the idle timeout of sessions, once, at start.
pub fn set_idle_minutes(minutes: i64) {
    let _ = IDLE_SECONDS.set(minutes * 60);
}

fn idle_seconds() -> i64 {
    *IDLE_SECONDS.get_or_init(|| DEFAULT_IDLE_MINUTES * 60)
}

/// The mark of a browser that signed in (see `sign_in`), kept 90 days.
pub const DEVICE_COOKIE: &str = "sas_appareil";
const DEVICE_SECONDS: i64 = 90 * 86_400;

/// argon2id with the crate's defaults (19 MiB, 2 passes): OWASP's recommendation. Blocking:
/// request handlers use [`hash_password_async`].
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(internal)
}

fn password_matches(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A pool of password hashing slots on tokio's blocking threads.
struct HashPool(std::sync::OnceLock<tokio::sync::Semaphore>);

/// Checking a password at sign-in: as many at once as there are cores.
static SIGN_IN_POOL: HashPool = HashPool(std::sync::OnceLock::new());
/// Hashing a new password (registration, account creation, reset): half the cores at most, so
/// that a flood of registrations leaves cores to the people signing in.
static NEW_PASSWORD_POOL: HashPool = HashPool(std::sync::OnceLock::new());

impl HashPool {
    fn slots(&'static self, share: usize) -> &'static tokio::sync::Semaphore {
        self.0.get_or_init(|| {
            let cores = std::thread::available_parallelism().map_or(2, usize::from);
            tokio::sync::Semaphore::new((cores / share).max(1))
        })
    }
}

/// Runs a password hash (tens of milliseconds of CPU and 19 MiB) on tokio's blocking threads,
/// at most `slots` at once: a burst neither stalls the async workers that answer every other
/// request nor takes all the memory.
async fn off_the_workers<T: Send + 'static>(
    slots: &tokio::sync::Semaphore,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _slot = slots.acquire().await.map_err(internal)?;
    tokio::task::spawn_blocking(work).await.map_err(internal)
}

pub async fn hash_password_async(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    off_the_workers(NEW_PASSWORD_POOL.slots(2), move || hash_password(&password)).await?
}

/// Whether `password` matches `hash` (false for an account without a password yet).
pub async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    off_the_workers(SIGN_IN_POOL.slots(1), move || {
        password_matches(&password, &hash)
    })
    .await
    .unwrap_or(false)
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

/// The value of cookie `name` (or of its `__Host-` form, set over HTTPS) on a request.
fn cookie(parts: &Parts, name: &str) -> Option<String> {
    let host_name = format!("__Host-{name}");
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == host_name || *n == name)
        .map(|(_, value)| value.to_string())
}

/// The client's address, for the audit log.
pub fn client_ip() -> Option<String> {
    ip_of(&request_parts()?)
}

/// The client's address of a request (for plain axum handlers too): as `http` found it behind a
/// trusted reverse proxy ([`ClientAddress`]), else the connection's.
pub fn ip_of(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<ClientAddress>() {
        Some(client) => Some(client.0.to_string()),
        None => parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string()),
    }
}

/// The client's address of a request, found once for all its handlers.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub std::net::IpAddr);

/// The client's address: the connection's, or, when the connection comes from one of the
/// `trusted` reverse proxies (`SAS_TRUSTED_PROXIES`), the last address of its X-Forwarded-For:
/// the one that proxy saw (earlier ones are whatever the client wrote).
pub fn client_address(
    peer: std::net::IpAddr,
    forwarded_for: Option<&str>,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    forwarded_for
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .unwrap_or(peer)
}

fn is_https(parts: &Parts) -> bool {
    parts.uri.scheme_str() == Some("https")
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https")
}

/// Sets cookie `name` for `max_age` seconds (0 deletes it): HttpOnly, SameSite=Lax, and over
/// HTTPS (the public address or the request) `__Host-` prefixed and Secure.
fn set_cookie(name: &str, value: &str, max_age: i64) {
    let https = request_parts().as_ref().is_some_and(is_https)
        || super::state().is_ok_and(|s| s.public_url.starts_with("https://"));
    let (prefix, secure) = if https {
        ("__Host-", "; Secure")
    } else {
        ("", "")
    };
    let cookie = format!(
        "{prefix}{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    if let (Some(options), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&cookie),
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
    let Some(token) = cookie(parts, SESSION_COOKIE) else {
        return Ok(None);
    };
    let (hash, now) = (token_hash(&token), now());
    let user = store.session_user(&hash, now).await?;
    if user.is_some() {
        store.touch_session(&hash, now + idle_seconds()).await?;
    }
    Ok(user)
}

/// The same, `Unauthenticated` without a session.
pub async fn signed_in(store: &Store, parts: &Parts) -> Result<UserRecord, AppError> {
    user_of(store, parts)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// The pairs of the request's query, decoded (`…Query::from_pairs` reads them).
pub fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The signed-in user, provided their role is one of `roles`.
pub async fn require(roles: &[Role]) -> Result<UserRecord, AppError> {
    let user = current_user().await?.ok_or(AppError::Unauthenticated)?;
    if roles.contains(&user.role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
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

/// Checks the credentials, opens a new session and sets its cookie. Each attempt is counted
/// before the password is checked: per address typed (whether or not the account exists), or
/// per browser that already signed in to this account (so that an attack from elsewhere does
/// not lock it out), and per client address.
pub async fn sign_in(email: &str, password: &str) -> Result<UserRecord, AppError> {
    let store = store()?;
    let email = email.trim().to_lowercase();
    let now = now();
    let user = store.user_by_email(&email).await?;
    let device = trusted_device(&store, user.as_ref(), now).await?;
    let key = match &device {
        Some(device_hash) => format!("sign-in-device:{device_hash}"),
        None => format!("sign-in:{email}"),
    };
    let attempt = store
        .claim_attempt(&key, now, THROTTLE_WINDOW_SECONDS)
        .await?;
    let ip_attempt = match client_ip() {
        Some(ip) => {
            let key = format!("sign-in-ip:{ip}");
            store
                .claim_attempt(&key, now, THROTTLE_WINDOW_SECONDS)
                .await?
        }
        None => 0,
    };
    if sign_in_throttled(attempt, ip_attempt) {
        audit(user.map(|u| u.id), "sign_in_throttled", "account").await?;
        metrics::count(Event::SignInFailure);
        return Err(AppError::TooManyAttempts);
    }
    let verified = match &user {
        Some(user) => verify_password(password, &user.password_hash).await && !user.disabled,
        None => {
            // Same work whether or not the account exists: no enumeration by timing.
            let password = password.to_string();
            let _ = off_the_workers(SIGN_IN_POOL.slots(1), move || hash_password(&password)).await;
            false
        }
    };
    let user = match user {
        Some(user) if verified => user,
        user => {
            let delay = failure_delay_ms(attempt);
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            audit(user.map(|u| u.id), "sign_in_failed", "account").await?;
            metrics::count(Event::SignInFailure);
            return Err(AppError::BadCredentials);
        }
    };
    // A practitioner signs in once the owner of the address has confirmed it.
    if user.role == Role::Practitioner && user.email_verified_at.is_none() {
        audit(Some(user.id), "sign_in_unconfirmed", "account").await?;
        return Err(AppError::EmailNotConfirmed);
    }
    store.forget_attempts(&key).await?;
    // A fresh token at every sign-in, the previous one closed: a session cannot be fixed upon the user.
    if let Some(old) = request_parts()
        .as_ref()
        .and_then(|p| cookie(p, SESSION_COOKIE))
    {
        store.delete_session(&token_hash(&old)).await?;
    }
    let (token, hash) = new_token();
    store
        .insert_session(&hash, user.id, now, now + SESSION_SECONDS)
        .await?;
    store.touch_session(&hash, now + idle_seconds()).await?;
    set_cookie(SESSION_COOKIE, &token, SESSION_SECONDS);
    if device.is_none() {
        let (token, hash) = new_token();
        store
            .trust_device(&hash, user.id, now + DEVICE_SECONDS)
            .await?;
        set_cookie(DEVICE_COOKIE, &token, DEVICE_SECONDS);
    }
    audit(Some(user.id), "sign_in", "account").await?;
    Ok(user)
}

/// The hash of this browser's device mark, if it marks a sign-in to `user`'s account.
async fn trusted_device(
    store: &Store,
    user: Option<&UserRecord>,
    now: i64,
) -> Result<Option<String>, AppError> {
    let (Some(user), Some(token)) = (
        user,
        request_parts()
            .as_ref()
            .and_then(|p| cookie(p, DEVICE_COOKIE)),
    ) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let owner = store.trusted_device(&hash, now).await?;
    Ok((owner == Some(user.id)).then_some(hash))
}

pub async fn sign_out() -> Result<(), AppError> {
    if let Some(token) = request_parts()
        .as_ref()
        .and_then(|p| cookie(p, SESSION_COOKIE))
    {
        store()?.delete_session(&token_hash(&token)).await?;
    }
    set_cookie(SESSION_COOKIE, "", 0);
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

/// Deletes, every hour, the sessions, trusted browsers and throttling windows that have ended.
pub fn purge_job(jobs: &mut super::jobs::Jobs, store: std::sync::Arc<Store>) {
    jobs.every("purge", std::time::Duration::from_secs(3600), move || {
        let store = store.clone();
        async move {
            match store.purge_expired(now(), 3600).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("{n} sessions, appareils et compteurs expirés supprimés"),
                Err(err) => tracing::error!("purging expired sessions failed: {err}"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::client_address;
    use std::net::IpAddr;

    #[test]
    fn only_a_trusted_proxy_names_the_client() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let proxy = [ip("127.0.0.1")];
        // The proxy appends the address it saw; what the client wrote before it is ignored.
        let forwarded = Some("6.6.6.6, 203.0.113.7");
        assert_eq!(
            client_address(ip("127.0.0.1"), forwarded, &proxy),
            ip("203.0.113.7")
        );
        // Straight from a client: its header is not believed.
        assert_eq!(
            client_address(ip("198.51.100.2"), forwarded, &proxy),
            ip("198.51.100.2")
        );
        assert_eq!(
            client_address(ip("127.0.0.1"), forwarded, &[]),
            ip("127.0.0.1")
        );
        // A trusted proxy without a readable header: the connection's address.
        assert_eq!(
            client_address(ip("127.0.0.1"), Some("pas une adresse"), &proxy),
            ip("127.0.0.1")
        );
        assert_eq!(
            client_address(ip("::1"), Some("2001:db8::5"), &[ip("::1")]),
            ip("2001:db8::5")
        );
    }
}
