//! `load booking`: many regulators try to book the same free slots of a running server at once,
//! over HTTP as their browsers do (open the slot: the hold; then the funnel's form: the booking),
//! then the database is checked. Loopback only, bounded: it stops after its attempts.
//! `load check` checks the database again, e.g. after the crash script killed the server.

use crate::components::slot::OpenSlot;
use crate::domain::Role;
use crate::domain::booking::SlotDetails;
use crate::domain::ids::{AppointmentId, SlotId};
use crate::features::booking::BookSlot;
use crate::server::auth;
use crate::server::store::{BookingInvariants, NewUser, Store};
use crate::tools::http_client::{Answer, Unanswered, post_form};
use crate::tools::sign_in_load::percentile;
use leptos::server_fn::ServerFn;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct LoadPlan {
    pub server: SocketAddr,
    pub attempts: usize,
    /// Attempts at once on each slot, each by another regulator.
    pub per_slot: usize,
    /// Slots under attack at once.
    pub parallel_slots: usize,
    /// Where each acknowledged appointment's number is appended as soon as it is known.
    pub journal: Option<PathBuf>,
}

/// How one attempt ended.
enum Outcome {
    /// The server answered the booking with its appointment.
    Acknowledged(AppointmentId),
    /// A clean refusal: slot held or booked by another (404, 409, 410).
    Refused,
    /// 503 « réessayez »: the database was busy.
    Busy,
    /// Anything else: no answer (server down), a technical error.
    Error,
}

/// A complete funnel form for the slot, as the browser sends it (the first reason offered,
/// an unknown patient, a made-up identity).
pub fn booking_form(details: &SlotDetails, key: &str, attachment: Option<&str>) -> String {
    let reason = details
        .offer
        .preselected_reason()
        .or_else(|| details.offer.reasons.first().map(|r| r.id))
        .map(|id| id.to_string())
        .unwrap_or_default();
    let mut form = form_urlencoded::Serializer::new(String::new());
    form.append_pair("request[slot_id]", &details.slot_id.to_string())
        .append_pair("request[idempotency_key]", key)
        .append_pair("request[choices][mode]", details.offer.mode.code())
        .append_pair("request[choices][known_patient]", "non")
        .append_pair("request[choices][reason_id]", &reason)
        .append_pair("request[patient][civility]", "Madame")
        .append_pair("request[patient][first_name]", "Marie")
        .append_pair("request[patient][last_name]", "Durand")
        .append_pair("request[patient][birth_name]", "Martin")
        .append_pair("request[patient][birth_date]", "21/11/1952")
        .append_pair("request[patient][phone]", "06 45 37 26 53");
    if let Some(token) = attachment {
        form.append_pair("request[attachment]", token);
    }
    form.finish()
}

/// Regulator accounts `charge.N@charge.invalid` (created when missing, without a password:
/// nobody can sign in with them) and a fresh session cookie for each, written in the database.
async fn regulator_sessions(store: &Store, count: usize) -> Result<Vec<String>, String> {
    let now = crate::server::now();
    let mut cookies = Vec::with_capacity(count);
    for n in 0..count {
        let email = format!("charge.{n}@charge.invalid");
        let id = match store
            .user_by_email(&email)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(user) => user.id,
            None => store
                .insert_user(&NewUser {
                    email: &email,
                    password_hash: "!",
                    role: Role::Regulator,
                    first_name: "Charge",
                    last_name: &format!("Régulateur {n}"),
                    practitioner_id: None,
                    created_at: now,
                    email_verified_at: Some(now),
                    departement: None,
                })
                .await
                .map_err(|e| e.to_string())?,
        };
        let token = auth::random_token();
        store
            .insert_session(&auth::token_hash(&token), id, now, now + 86_400)
            .await
            .map_err(|e| e.to_string())?;
        cookies.push(format!("{}={token}", auth::SESSION_COOKIE));
    }
    Ok(cookies)
}

/// How long a request waits for a server that does not accept connections (restarting).
const PATIENCE: Duration = Duration::from_secs(60);

/// POSTs as a browser whose user tries again while the server is down: a request is sent
/// once connected, at most [`PATIENCE`] later.
async fn post_when_up(
    server: SocketAddr,
    path: &str,
    body: &str,
    cookie: &str,
) -> Result<Answer, Unanswered> {
    let from = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let started = Instant::now();
    loop {
        match post_form(server, from, path, body, Some(cookie)).await {
            Err(Unanswered::NotConnected(_)) if started.elapsed() < PATIENCE => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            answered => return answered,
        }
    }
}

/// One regulator's attempt: open the slot, then send the form if the hold is theirs.
async fn attempt(server: SocketAddr, slot: SlotId, cookie: &str, key: &str) -> Outcome {
    let post = |path: &'static str, body: String| async move {
        post_when_up(server, path, &body, cookie).await
    };
    let opened = post(OpenSlot::PATH, format!("slot_id={slot}")).await;
    let details: SlotDetails = match opened {
        Ok(Answer {
            status: 200, body, ..
        }) => match serde_json::from_str(&body) {
            Ok(details) => details,
            Err(_) => return Outcome::Error,
        },
        other => return classify(other),
    };
    match post(BookSlot::PATH, booking_form(&details, key, None)).await {
        Ok(Answer {
            status: 200, body, ..
        }) => body
            .trim()
            .parse()
            .map(|id| Outcome::Acknowledged(AppointmentId(id)))
            .unwrap_or(Outcome::Error),
        other => classify(other),
    }
}

fn classify(answer: Result<Answer, Unanswered>) -> Outcome {
    match answer.map(|a| a.status) {
        Ok(404 | 409 | 410) => Outcome::Refused,
        Ok(503) => Outcome::Busy,
        _ => Outcome::Error,
    }
}

/// What the load saw.
#[derive(Default)]
struct Tally {
    acknowledged: Vec<AppointmentId>,
    refused: usize,
    busy: usize,
    errors: usize,
    latencies: Vec<Duration>,
}

impl Tally {
    fn add(&mut self, outcome: Outcome, took: Duration, journal: &mut Option<std::fs::File>) {
        self.latencies.push(took);
        match outcome {
            Outcome::Acknowledged(id) => {
                if let Some(file) = journal {
                    let _ = writeln!(file, "{id}").and_then(|_| file.flush());
                }
                self.acknowledged.push(id);
            }
            Outcome::Refused => self.refused += 1,
            Outcome::Busy => self.busy += 1,
            Outcome::Error => self.errors += 1,
        }
    }
}

/// What a load did and what the database holds afterwards.
pub struct LoadReport {
    pub backend: &'static str,
    pub attempts: usize,
    pub acknowledged: usize,
    pub refused: usize,
    pub busy: usize,
    pub errors: usize,
    pub seconds: f64,
    /// Latencies of the attempts, sorted.
    pub latencies: Vec<Duration>,
    pub verdict: Verdict,
}

/// Runs the plan against the server, then checks the database.
pub async fn load_booking(store: &Store, plan: &LoadPlan) -> Result<LoadReport, String> {
    if !plan.server.ip().is_loopback() {
        return Err("la charge ne vise que la boucle locale (127.0.0.1)".into());
    }
    let per_slot = plan.per_slot.clamp(1, 500);
    let parallel = plan.parallel_slots.clamp(1, 16);
    let slots_needed = plan.attempts.div_ceil(per_slot);
    let slots = store
        .free_visible_slots(crate::server::now() + 3600, slots_needed as i64)
        .await
        .map_err(|e| e.to_string())?;
    if slots.len() < slots_needed {
        return Err(format!(
            "{} créneaux libres visibles seulement, {slots_needed} nécessaires",
            slots.len()
        ));
    }
    let cookies = regulator_sessions(store, per_slot * parallel).await?;
    let mut journal = match &plan.journal {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("{} : {e}", path.display()))?,
        ),
        None => None,
    };
    let started = Instant::now();
    let mut tally = Tally::default();
    let run = std::process::id();
    let mut left = plan.attempts;
    for group in slots.chunks(parallel) {
        let mut tasks = Vec::new();
        for (g, &slot) in group.iter().enumerate() {
            for r in 0..per_slot.min(left) {
                let cookie = cookies[g * per_slot + r].clone();
                let (server, key) = (plan.server, format!("charge-{run}-{slot}-{r}"));
                tasks.push(tokio::spawn(async move {
                    let began = Instant::now();
                    let outcome = attempt(server, slot, &cookie, &key).await;
                    (outcome, began.elapsed())
                }));
            }
            left -= per_slot.min(left);
        }
        for task in tasks {
            let (outcome, took) = task.await.map_err(|e| e.to_string())?;
            tally.add(outcome, took, &mut journal);
        }
    }
    let mut latencies = tally.latencies;
    latencies.sort();
    Ok(LoadReport {
        backend: store.backend(),
        attempts: latencies.len(),
        acknowledged: tally.acknowledged.len(),
        refused: tally.refused,
        busy: tally.busy,
        errors: tally.errors,
        seconds: started.elapsed().as_secs_f64(),
        latencies,
        verdict: check(store, &tally.acknowledged).await?,
    })
}

impl LoadReport {
    pub fn print(&self) {
        let per_second = |n: usize| n as f64 / self.seconds.max(1e-3);
        println!(
            "base {} : {} tentatives en {:.1} s ({:.0} tentatives/s) — {} réservations \
             acquittées ({:.1} réservations/s), {} refusées, {} « réessayez » (503), {} erreurs",
            self.backend,
            self.attempts,
            self.seconds,
            per_second(self.attempts),
            self.acknowledged,
            per_second(self.acknowledged),
            self.refused,
            self.busy,
            self.errors,
        );
        if !self.latencies.is_empty() {
            println!(
                "latence d'une tentative (ouverture + réservation) : p50 {:.1} ms · p95 {:.1} ms \
                 · max {:.1} ms",
                percentile(&self.latencies, 0.50),
                percentile(&self.latencies, 0.95),
                percentile(&self.latencies, 1.0)
            );
        }
        self.verdict.print();
    }
}

/// What the database holds for a set of acknowledged appointments.
#[derive(Debug)]
pub struct Verdict {
    pub acknowledged: usize,
    pub lost: usize,
    pub invariants: BookingInvariants,
}

impl Verdict {
    pub fn sound(&self) -> bool {
        let i = &self.invariants;
        self.lost == 0
            && i.doubled_slots == 0
            && i.stale_holds == 0
            && i.wrong_taken == 0
            && i.wrong_indicators == 0
            && i.integrity.as_deref().is_none_or(|i| i == "ok")
    }

    pub fn print(&self) {
        let i = &self.invariants;
        println!(
            "vérification : {} acquittées, {} perdues, {} créneaux réservés deux fois, {} \
             réservations temporaires échues encore là, {} créneaux à l'état « pris » faux, \
             {} lignes d'indicateurs fausses, intégrité SQLite : {}",
            self.acknowledged,
            self.lost,
            i.doubled_slots,
            i.stale_holds,
            i.wrong_taken,
            i.wrong_indicators,
            i.integrity.as_deref().unwrap_or("sans objet (PostgreSQL)")
        );
    }

    /// Ok when every guarantee holds.
    pub fn into_result(self) -> Result<(), String> {
        if self.sound() {
            Ok(())
        } else {
            Err("la base ne tient pas ses garanties (voir ci-dessus)".into())
        }
    }
}

/// Checks that every acknowledged appointment is stored and reads the booking invariants.
pub async fn check(store: &Store, acknowledged: &[AppointmentId]) -> Result<Verdict, String> {
    let present = store
        .appointments_present(acknowledged)
        .await
        .map_err(|e| e.to_string())?;
    // The sweeper runs every 5 s: a hold may outlive its end by that much, not more.
    let invariants = store
        .booking_invariants(crate::server::now(), 15)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Verdict {
        acknowledged: acknowledged.len(),
        lost: acknowledged.len() - present,
        invariants,
    })
}

/// `load check FILE`: the appointment numbers a load acknowledged, one per line.
pub async fn check_journal(store: &Store, journal: &Path) -> Result<Verdict, String> {
    let text =
        std::fs::read_to_string(journal).map_err(|e| format!("{} : {e}", journal.display()))?;
    let ids = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse().map(AppointmentId))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{} : numéro illisible ({e})", journal.display()))?;
    check(store, &ids).await
}
