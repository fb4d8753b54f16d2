//! `seed bookings`: a history of SAS bookings over the national data set's practitioners, for
//! the indicators' benchmark; `bench indicators`: the indicators of a mix of periods and
//! départements, computed as the server function does (store aggregates, then the figures),
//! with latency percentiles by kind of request.

use crate::domain::appointment::AppointmentStatus;
use crate::domain::indicators::{Indicators, IndicatorsQuery};
use crate::server::store::{PastBooking, Store, StoreError};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bookings written per statement.
const BATCH: usize = 500;

/// `per_day` bookings (± 30 %) on each of the `days` days before today, each with a SAS
/// practitioner drawn at random, booked between 08:00 and 20:00 UTC for an appointment 10 min to
/// 7 days later, with outcomes and kinds of slot in realistic shares. Reproducible.
pub async fn seed_bookings(store: &Store, per_day: usize, days: i64) -> Result<u64, StoreError> {
    let practitioners = store.sas_practitioners().await?;
    if practitioners.is_empty() {
        return Err(StoreError::Migration(
            "aucun médecin du SAS : lancez d'abord seed national".into(),
        ));
    }
    let today = crate::server::now() / 86_400 * 86_400;
    let mut rng = StdRng::seed_from_u64(2026);
    let progress = ProgressBar::new(days as u64);
    progress.set_style(
        ProgressStyle::with_template("Jours [{bar:40}] {pos}/{len} ({elapsed}, reste {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut written = 0;
    for day in (1..=days).rev() {
        let midnight = today - day * 86_400;
        let count = rng.gen_range(per_day * 7 / 10..=per_day * 13 / 10);
        let bookings: Vec<PastBooking> = (0..count)
            .map(|_| draw(&mut rng, &practitioners, midnight))
            .collect();
        for batch in bookings.chunks(BATCH) {
            written += store.insert_past_bookings(batch).await?;
        }
        progress.inc(1);
    }
    progress.finish();
    store.analyze().await?;
    Ok(written)
}

fn draw(rng: &mut StdRng, practitioners: &[(i64, String)], midnight: i64) -> PastBooking {
    let (practitioner_id, departement) = &practitioners[rng.gen_range(0..practitioners.len())];
    let created_at = midnight + rng.gen_range(8 * 3600..20 * 3600);
    // 70 % the same day or the next, 25 % within 3 days, 5 % within a week; on a 5-minute step.
    let delay = match rng.gen_range(0..100) {
        0..70 => rng.gen_range(10..1_440),
        70..95 => rng.gen_range(1_440..4_320),
        _ => rng.gen_range(4_320..10_080),
    };
    let starts_at = (created_at + delay * 60) / 300 * 300;
    let status = match rng.gen_range(0..100) {
        0..70 => AppointmentStatus::Fulfilled,
        70..78 => AppointmentStatus::NoShow,
        78..85 => AppointmentStatus::Cancelled,
        _ => AppointmentStatus::Booked,
    };
    PastBooking {
        practitioner_id: *practitioner_id,
        departement: departement.clone(),
        created_at,
        starts_at,
        status,
        sas_flags: [1, 1, 2, 2, 2, 3][rng.gen_range(0..6)],
    }
}

/// The kinds of request of the mix, by share: the default page (30 days) most often.
const KINDS: [(&str, i64, bool, u32); 5] = [
    ("national 30 j", 30, false, 30),
    ("national 365 j", 365, false, 10),
    ("département 7 j", 7, true, 15),
    ("département 30 j", 30, true, 35),
    ("département 365 j", 365, true, 10),
];

/// Runs `requests` indicator requests, `concurrency` at a time, and prints the latencies.
pub async fn bench_indicators(
    store: Arc<Store>,
    requests: usize,
    concurrency: usize,
) -> Result<(), StoreError> {
    let departements: Vec<String> = store
        .sas_practitioners()
        .await?
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    if departements.is_empty() {
        return Err(StoreError::Migration("aucun médecin du SAS".into()));
    }
    let today = crate::domain::agenda::paris_today(crate::server::now_utc());
    let mut rng = StdRng::seed_from_u64(7);
    // Drawn ahead: a département as often as it has SAS practitioners (its share of calls).
    let plan: Vec<(&'static str, IndicatorsQuery)> = (0..requests)
        .map(|_| {
            let mut roll = rng.gen_range(0..100);
            let (name, days, scoped, _) = *KINDS
                .iter()
                .find(|k| {
                    let hit = roll < k.3;
                    roll = roll.saturating_sub(k.3);
                    hit
                })
                .unwrap_or(&KINDS[0]);
            let query = IndicatorsQuery {
                du: (today - chrono::Duration::days(days - 1)).to_string(),
                au: today.to_string(),
                departement: if scoped {
                    departements[rng.gen_range(0..departements.len())].clone()
                } else {
                    String::new()
                },
            };
            (name, query)
        })
        .collect();
    let started = Instant::now();
    let mut results: Vec<(&'static str, Duration, u64)> = Vec::with_capacity(requests);
    for chunk in plan.chunks(concurrency.max(1)) {
        let mut tasks = tokio::task::JoinSet::new();
        for (name, query) in chunk.iter().cloned() {
            let store = store.clone();
            tasks.spawn(async move {
                let start = Instant::now();
                let filter = query.parse(today).expect("valid bench filters");
                let data = store.indicator_aggregates(&filter).await?;
                let figures = Indicators::from_aggregates(&filter, String::new(), data);
                Ok::<_, StoreError>((name, start.elapsed(), figures.total))
            });
        }
        while let Some(done) = tasks.join_next().await {
            results.push(done.map_err(|e| StoreError::Migration(e.to_string()))??);
        }
    }
    print(&results, started.elapsed(), concurrency);
    Ok(())
}

fn print(results: &[(&str, Duration, u64)], elapsed: Duration, concurrency: usize) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let percentiles = |mut l: Vec<Duration>| {
        l.sort_unstable();
        let at = |p: usize| l[(l.len() * p).div_ceil(100).max(1) - 1];
        (at(50), at(95), at(99), l[l.len() - 1])
    };
    let all: Vec<Duration> = results.iter().map(|r| r.1).collect();
    let (p50, p95, p99, max) = percentiles(all);
    println!(
        "indicateurs : {} requêtes, {concurrency} en parallèle, {:.1} s ({:.0} par s)",
        results.len(),
        elapsed.as_secs_f64(),
        results.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latence p50 {:.1} ms · p95 {:.1} ms · p99 {:.1} ms · max {:.1} ms",
        ms(p50),
        ms(p95),
        ms(p99),
        ms(max)
    );
    for (name, ..) in KINDS {
        let mine: Vec<&(&str, Duration, u64)> = results.iter().filter(|r| r.0 == name).collect();
        if mine.is_empty() {
            continue;
        }
        let bookings = mine.iter().map(|r| r.2).sum::<u64>() / mine.len() as u64;
        let (p50, p95, _, max) = percentiles(mine.iter().map(|r| r.1).collect());
        println!(
            "  {name} : {} requêtes, {bookings} rendez-vous en moyenne, p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            mine.len(),
            ms(p50),
            ms(p95),
            ms(max)
        );
    }
}
