//! What an operator's Prometheus reads at `/metrics`: requests and their latency per route (a
//! page's pattern or a server function's path), the platform's events (searches, holds,
//! bookings, cancellations, sign-in failures, mails) and the database pool. Process-wide
//! counters, written by a middleware and by the services at the moment each event happens.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The platform's events, counted since the process started.
#[derive(Debug, Clone, Copy)]
pub enum Event {
    Search,
    Hold,
    Booking,
    Cancellation,
    SignInFailure,
    MailSent,
    MailFailed,
}

impl Event {
    const ALL: [Event; 7] = [
        Event::Search,
        Event::Hold,
        Event::Booking,
        Event::Cancellation,
        Event::SignInFailure,
        Event::MailSent,
        Event::MailFailed,
    ];

    /// The metric's name and help line.
    fn describe(self) -> (&'static str, &'static str) {
        match self {
            Event::Search => ("sas_searches_total", "Recherches de créneaux menées."),
            Event::Hold => (
                "sas_holds_total",
                "Créneaux ouverts (réservés temporairement).",
            ),
            Event::Booking => ("sas_bookings_total", "Rendez-vous pris."),
            Event::Cancellation => ("sas_cancellations_total", "Rendez-vous annulés."),
            Event::SignInFailure => ("sas_sign_in_failures_total", "Connexions refusées."),
            Event::MailSent => (
                "sas_mails_sent_total",
                "Courriels envoyés (ou mis en boîte d'envoi).",
            ),
            Event::MailFailed => (
                "sas_mails_failed_total",
                "Courriels qui n'ont pas pu partir.",
            ),
        }
    }
}

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    /// Requests at or under each bound of [`BUCKETS`].
    buckets: [u64; BUCKETS.len()],
    count: u64,
    seconds: f64,
}

static EVENTS: [AtomicU64; Event::ALL.len()] = [const { AtomicU64::new(0) }; Event::ALL.len()];
static ROUTES: Mutex<BTreeMap<String, RouteStats>> = Mutex::new(BTreeMap::new());

/// Counts one event.
pub fn count(event: Event) {
    EVENTS[event as usize].fetch_add(1, Ordering::Relaxed);
}

/// Records one request served on `route` (a pattern, never a raw address: no ids, no query).
pub fn observe(route: &str, status: u16, took: Duration) {
    let seconds = took.as_secs_f64();
    let mut routes = ROUTES.lock().unwrap_or_else(|p| p.into_inner());
    let stats = routes.entry(route.to_string()).or_default();
    *stats.by_status.entry(status).or_default() += 1;
    for (bucket, bound) in stats.buckets.iter_mut().zip(BUCKETS) {
        if seconds <= bound {
            *bucket += 1;
        }
    }
    stats.count += 1;
    stats.seconds += seconds;
}

/// The database pool at one moment.
pub struct PoolUsage {
    pub open: u32,
    pub idle: usize,
    pub max: u32,
}

/// Everything, in Prometheus' text format (version 0.0.4).
pub fn render(pool: &PoolUsage) -> String {
    let mut out = String::new();
    for event in Event::ALL {
        let (name, help) = event.describe();
        let value = EVENTS[event as usize].load(Ordering::Relaxed);
        let _ = write!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n"
        );
    }
    render_routes(&mut out);
    let used = (pool.open as usize).saturating_sub(pool.idle);
    let _ = write!(
        out,
        "# HELP sas_db_pool_connections Connexions à la base, par état.\n\
         # TYPE sas_db_pool_connections gauge\n\
         sas_db_pool_connections{{state=\"used\"}} {used}\n\
         sas_db_pool_connections{{state=\"idle\"}} {}\n\
         # HELP sas_db_pool_max_connections Connexions à la base au plus.\n\
         # TYPE sas_db_pool_max_connections gauge\n\
         sas_db_pool_max_connections {}\n",
        pool.idle, pool.max
    );
    out
}

fn render_routes(out: &mut String) {
    let routes = ROUTES.lock().unwrap_or_else(|p| p.into_inner());
    out.push_str(
        "# HELP sas_http_requests_total Requêtes servies, par route et statut.\n\
         # TYPE sas_http_requests_total counter\n",
    );
    for (route, stats) in routes.iter() {
        for (status, n) in &stats.by_status {
            let _ = writeln!(
                out,
                "sas_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
    }
    out.push_str(
        "# HELP sas_http_request_duration_seconds Durée des requêtes, par route.\n\
         # TYPE sas_http_request_duration_seconds histogram\n",
    );
    for (route, stats) in routes.iter() {
        let route = escape(route);
        let name = "sas_http_request_duration_seconds";
        for (n, bound) in stats.buckets.iter().zip(BUCKETS) {
            let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
        }
        let _ = write!(
            out,
            "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {count}\n\
             {name}_sum{{route=\"{route}\"}} {sum}\n{name}_count{{route=\"{route}\"}} {count}\n",
            count = stats.count,
            sum = stats.seconds,
        );
    }
}

/// A label value as Prometheus reads it: backslashes, quotes and line breaks escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let route = "/essai/métriques/\"x\"";
        observe(route, 200, Duration::from_millis(3));
        observe(route, 200, Duration::from_millis(30));
        observe(route, 404, Duration::from_secs(20));
        let text = render(&PoolUsage {
            open: 3,
            idle: 1,
            max: 8,
        });
        let label = "route=\"/essai/métriques/\\\"x\\\"\"";
        for line in [
            format!("sas_http_requests_total{{{label},status=\"200\"}} 2"),
            format!("sas_http_requests_total{{{label},status=\"404\"}} 1"),
            format!("sas_http_request_duration_seconds_bucket{{{label},le=\"0.005\"}} 1"),
            format!("sas_http_request_duration_seconds_bucket{{{label},le=\"0.05\"}} 2"),
            format!("sas_http_request_duration_seconds_bucket{{{label},le=\"10\"}} 2"),
            format!("sas_http_request_duration_seconds_bucket{{{label},le=\"+Inf\"}} 3"),
            format!("sas_http_request_duration_seconds_count{{{label}}} 3"),
            "sas_db_pool_connections{state=\"used\"} 2".to_string(),
            "sas_db_pool_max_connections 8".to_string(),
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
