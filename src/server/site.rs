//! The built site's files: `/pkg` (the app's JS, wasm and CSS) and `/dsfr` (the State design
//! system). A production build (`LEPTOS_HASH_FILES=true cargo leptos build --release`, see
//! `.ci/start --release`) names the app's files after their content (`hash.txt` beside the
//! binary) and leaves `.br` / `.gz` copies beside each file: those are cached for a year and
//! sent compressed to browsers that accept it. Unhashed files are revalidated at each use.

use axum::http::{HeaderValue, header};
use axum::response::Response;
use leptos::prelude::LeptosOptions;
use std::path::PathBuf;
use std::sync::OnceLock;
use tower_http::services::ServeDir;

/// Where cargo-leptos writes the content hashes: beside the server binary.
fn hash_file(options: &LeptosOptions) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(PathBuf::from))
        .unwrap_or_default()
        .join(options.hash_file.as_ref())
}

/// The content hash of the app's `kind` file ("js", "wasm", "css") in a hashed build.
pub fn asset_hash(options: &LeptosOptions, kind: &str) -> Option<String> {
    static HASHES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    if !options.hash_files {
        return None;
    }
    let hashes = HASHES.get_or_init(|| {
        let text = std::fs::read_to_string(hash_file(options)).unwrap_or_default();
        text.lines()
            .filter_map(|line| line.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect()
    });
    hashes
        .iter()
        .find(|(k, _)| k == kind)
        .map(|(_, v)| v.clone())
}

/// Checks at start-up that a hashed build has its hash file: without it, pages would name
/// files that do not exist.
pub fn check(options: &LeptosOptions) -> Result<(), String> {
    if options.hash_files && asset_hash(options, "css").is_none() {
        return Err(format!(
            "LEPTOS_HASH_FILES est activé mais {} manque ou ne nomme pas la feuille de style : \
             construisez avec LEPTOS_HASH_FILES=true cargo leptos build --release",
            hash_file(options).display()
        ));
    }
    Ok(())
}

/// The files of `dir` under the site root, their compressed copies offered, cached for a year
/// when their names carry their hash (`hashed`).
pub fn assets(options: &LeptosOptions, dir: &str, hashed: bool) -> axum::Router {
    let files = ServeDir::new(PathBuf::from(options.site_root.as_ref()).join(dir))
        .precompressed_br()
        .precompressed_gzip();
    axum::Router::new()
        .fallback_service(files)
        .layer(axum::middleware::map_response(cache_policy(hashed)))
}

/// A year for the app's files when their names carry their hash; otherwise (a debug build, the
/// design system's files) the browser revalidates (Last-Modified) before reusing its copy.
fn cache_policy(hashed: bool) -> impl Fn(Response) -> std::future::Ready<Response> + Clone {
    let value = HeaderValue::from_static(if hashed {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    });
    move |mut response: Response| {
        if response.status().is_success() {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, value.clone());
        }
        std::future::ready(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A browser that accepts brotli gets the `.br` copy, others the file itself; hashed files
    /// are cached for a year, others revalidated.
    #[tokio::test]
    async fn files_go_compressed_and_hashed_ones_are_kept_a_year() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("pkg")).unwrap();
        std::fs::write(root.path().join("pkg/app.x1.js"), "console.log(1);").unwrap();
        std::fs::write(root.path().join("pkg/app.x1.js.br"), "brotli").unwrap();
        let options = LeptosOptions::builder()
            .output_name("app")
            .site_root(root.path().to_str().unwrap())
            .build();
        let app = axum::Router::new()
            .nest_service("/pkg", assets(&options, "pkg", true))
            .nest_service("/plain", assets(&options, "pkg", false));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest::Client::new();
        let get = |path: &str, encoding: &'static str| {
            let request = client
                .get(format!("{base}{path}"))
                .header("accept-encoding", encoding);
            async move {
                let answer = request.send().await.unwrap();
                let header = |name| {
                    answer
                        .headers()
                        .get(name)
                        .map(|v| v.to_str().unwrap().to_string())
                };
                let (encoding, cache) = (header("content-encoding"), header("cache-control"));
                (encoding, cache, answer.text().await.unwrap())
            }
        };
        let year = Some("public, max-age=31536000, immutable".to_string());
        assert_eq!(
            get("/pkg/app.x1.js", "br, gzip").await,
            (Some("br".into()), year.clone(), "brotli".into())
        );
        assert_eq!(
            get("/pkg/app.x1.js", "identity").await,
            (None, year, "console.log(1);".into())
        );
        assert_eq!(
            get("/plain/app.x1.js", "identity").await.1.as_deref(),
            Some("no-cache")
        );
    }
}
