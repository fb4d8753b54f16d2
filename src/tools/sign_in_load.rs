//! `bench sign-in`: sign-in latency of a regulator while many clients hammer the practitioners'
//! registration, against a running server (loopback only, bounded: it stops by itself). Each
//! registering client speaks from its own loopback address (127.0.0.10, .11, …), as distinct
//! machines would, so that each meets the per-address registration limit (10 an hour) on its
//! own: on a fresh server every registration hashes a password, the worst case.

use crate::domain::identity::Rpps;
use crate::tools::demo::{DEMO_PASSWORD, REGULATOR_EMAIL};
use leptos::server_fn::ServerFn;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const LOGIN_PATH: &str = <crate::features::accounts::Login as ServerFn>::PATH;
const REGISTER_PATH: &str = <crate::features::agenda::register::Register as ServerFn>::PATH;

/// One POST of a form over a fresh connection from `from`; answers the status code.
async fn post_form(
    server: SocketAddr,
    from: IpAddr,
    path: &str,
    body: &str,
) -> Result<u16, String> {
    super::http_client::post_form(server, from, path, body, None)
        .await
        .map(|answer| answer.status)
        .map_err(|e| e.to_string())
}

fn login_form() -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("email", REGULATOR_EMAIL)
        .append_pair("password", DEMO_PASSWORD)
        .finish()
}

/// A valid registration form, different for each `n`.
fn registration_form(n: usize) -> String {
    let rpps =
        Rpps::with_check_digit(&format!("19{:08}", n % 100_000_000)).expect("a check digit exists");
    let email = format!("charge.{n}@exemple.fr");
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (field, value) in [
        ("email", email.as_str()),
        ("password", "sept tortues sous la pluie"),
        ("civility", "M."),
        ("first_name", "Paul"),
        ("last_name", "Charge"),
        ("rpps", rpps.as_str()),
        ("specialty", "Médecine générale"),
        ("address", "1 rue de la Charge"),
        ("postcode", "35000"),
        ("insee_code", "35238"),
        ("phone", ""),
    ] {
        form.append_pair(&format!("registration[{field}]"), value);
    }
    form.finish()
}

/// `signins` sign-ins one after the other, from an address of 127.0.1.0/24 of its own for each
/// run (a client address may try 300 sign-ins per 15 minutes); their latencies, sorted.
async fn sign_ins(server: SocketAddr, signins: usize) -> Result<Vec<Duration>, String> {
    let run = (std::process::id() % 250 + 1) as u8;
    let from = IpAddr::V4(Ipv4Addr::new(127, 0, 1, run));
    let body = login_form();
    let mut latencies = Vec::with_capacity(signins);
    for _ in 0..signins {
        let started = Instant::now();
        let status = post_form(server, from, LOGIN_PATH, &body).await?;
        if status != 200 {
            return Err(format!(
                "connexion du régulateur de démonstration : {status}"
            ));
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok(latencies)
}

pub(super) fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len());
    sorted[i - 1].as_secs_f64() * 1000.0
}

fn print_latencies(label: &str, sorted: &[Duration]) {
    println!(
        "{label} : {} connexions, p50 {:.1} ms · p95 {:.1} ms · max {:.1} ms",
        sorted.len(),
        percentile(sorted, 0.50),
        percentile(sorted, 0.95),
        percentile(sorted, 1.0)
    );
}

/// Measures sign-ins alone, then while `clients` clients post registrations without pause.
pub async fn bench_sign_in(
    server: SocketAddr,
    clients: usize,
    signins: usize,
) -> Result<(), String> {
    if !server.ip().is_loopback() {
        return Err("le banc d'essai ne vise que la boucle locale (127.0.0.1)".into());
    }
    let quiet = sign_ins(server, signins).await?;
    print_latencies("seules", &quiet);

    let stop = Arc::new(AtomicBool::new(false));
    let mut hammers = Vec::new();
    for c in 0..clients {
        let stop = stop.clone();
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10 + c as u8));
        hammers.push(tokio::spawn(async move {
            let mut statuses: Vec<u16> = Vec::new();
            let mut n = c * 1_000_000 + std::process::id() as usize % 1000 * 1000;
            while !stop.load(Ordering::Relaxed) && statuses.len() < 10_000 {
                n += 1;
                match post_form(server, from, REGISTER_PATH, &registration_form(n)).await {
                    Ok(status) => statuses.push(status),
                    Err(_) => statuses.push(0),
                }
            }
            statuses
        }));
    }
    let loaded = sign_ins(server, signins).await;
    stop.store(true, Ordering::Relaxed);
    let mut by_status = std::collections::BTreeMap::new();
    for hammer in hammers {
        for status in hammer.await.map_err(|e| e.to_string())? {
            *by_status.entry(status).or_insert(0usize) += 1;
        }
    }
    print_latencies(
        &format!("pendant que {clients} clients inscrivent en boucle"),
        &loaded?,
    );
    let answers = by_status
        .iter()
        .map(|(status, n)| match status {
            0 => format!("{n} sans réponse"),
            s => format!("{n} × {s}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    println!("inscriptions envoyées pendant la mesure : {answers}");
    Ok(())
}
