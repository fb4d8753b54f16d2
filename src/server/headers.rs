//! The security headers of every answer: a strict Content-Security-Policy (scripts only from
//! the site itself or carrying the page's nonce, no framing), no referrer to other sites, no MIME sniffing,
//! HSTS when the public address is HTTPS, and nothing cached but the built assets. A panic in
//! a handler answers a French error page at once.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use std::any::Any;

/// Answers that are not pages (server functions, attachments, errors): nothing may run in them.
const NOTHING_RUNS: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The policy of a page whose own scripts carry `nonce`. WebAssembly is compiled from the
/// site's own file ('wasm-unsafe-eval'); styles may be inline (DSFR components set some), never
/// scripts. With `reload_port` (development under `cargo leptos watch`), the reload socket.
pub fn page_policy(nonce: &str, reload_port: Option<u32>) -> String {
    let reload = reload_port.map_or(String::new(), |port| format!(" ws://127.0.0.1:{port}"));
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
         connect-src 'self'{reload}; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Gives the page being rendered a fresh nonce (Leptos puts it on its hydration scripts) and
/// the policy that lets only those run.
pub fn provide_page_policy(options: &leptos::config::LeptosOptions) {
    leptos::nonce::provide_nonce();
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    static WATCHING: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let watching = *WATCHING.get_or_init(|| std::env::var_os("LEPTOS_WATCH").is_some());
    let policy = page_policy(&nonce, watching.then_some(options.reload_port));
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(&policy),
    ) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
        // Forms work without JavaScript by returning to the page they were sent from, which the
        // server learns from `Referer`: pages send it to the site itself, never to another one.
        response.insert_header(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
    }
}

/// Paths of the built assets (hashed or versioned with the release): the only answers that
/// may be cached.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path.starts_with("/dsfr/")
}

/// Adds the headers to every answer; `https` when the public address is HTTPS. A page sets its
/// own policy (with its nonce) as it renders; other answers get the one where nothing runs.
pub async fn secure(State(https): State<bool>, request: Request, next: Next) -> Response {
    let asset = is_asset(request.uri().path());
    let mut response = next.run(request).await;
    apply(response.headers_mut(), https, asset);
    response
}

fn apply(headers: &mut HeaderMap, https: bool, asset: bool) {
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(headers, header::CONTENT_SECURITY_POLICY, NOTHING_RUNS);
    }
    if !headers.contains_key(header::REFERRER_POLICY) {
        set(headers, header::REFERRER_POLICY, "no-referrer");
    }
    if https {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if !asset {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
}

/// The answer to a request whose handler panicked: logged (the panic hook printed where), and
/// a French page sent at once rather than a connection left hanging.
pub fn panicked(_panic: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(
            "<!DOCTYPE html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
             <title>Erreur technique — Service d'Accès aux Soins</title></head><body>\
             <main><h1>Une erreur technique est survenue</h1>\
             <p>Veuillez réessayer dans quelques instants. Si l'erreur persiste, \
             contactez le support de la plateforme.</p><p><a href=\"/\">Retour à l'accueil</a>\
             </p></main></body></html>",
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_run_only_their_own_scripts() {
        let policy = page_policy("abc123", None);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("script-src 'self' 'unsafe-inline'"));
        assert!(!policy.contains("ws://"));
        assert!(page_policy("n", Some(3001)).contains("connect-src 'self' ws://127.0.0.1:3001;"));
    }

    #[test]
    fn a_panic_answers_a_french_error_page() {
        let response = panicked(Box::new("boom"));
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
    }

    #[test]
    fn only_assets_are_cached_and_hsts_only_over_https() {
        let mut page = HeaderMap::new();
        apply(&mut page, false, false);
        assert_eq!(page[header::CACHE_CONTROL], "no-store");
        assert_eq!(page[header::CONTENT_SECURITY_POLICY], NOTHING_RUNS);
        assert!(!page.contains_key(header::STRICT_TRANSPORT_SECURITY));
        let mut asset = HeaderMap::new();
        apply(&mut asset, true, true);
        assert!(!asset.contains_key(header::CACHE_CONTROL));
        assert_eq!(asset[header::STRICT_TRANSPORT_SECURITY], HSTS);
        assert_eq!(asset[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
