//! `bench search`: runs a mix of searches, the way the server function runs them (parse, then
//! `run_search` on the store), and prints latency percentiles and throughput.

use crate::domain::search::{SearchParams, WITHIN};
use crate::domain::specialty::Specialty;
use crate::server::services::search::run_search;
use crate::server::store::{CommuneRecord, Store};
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct BenchReport {
    pub searches: usize,
    pub elapsed: Duration,
    /// Sorted.
    pub latencies: Vec<Duration>,
    pub practitioners_found: usize,
    pub slots_found: i64,
    /// Each search's kind (`kind`) and latency, to see where the slow ones come from.
    pub by_kind: Vec<(&'static str, Duration)>,
}

/// The kind of a search of the mix: département-wide, or its radius in bands.
fn kind(p: &SearchParams) -> &'static str {
    match (p.perimetre.as_str(), p.rayon.parse::<u32>().unwrap_or(0)) {
        ("departement", _) => "département",
        (_, 0..=15) => "rayon 5-15 km",
        (_, 16..=30) => "rayon 16-30 km",
        _ => "rayon 31-50 km",
    }
}

impl BenchReport {
    pub fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[i - 1]
    }

    pub fn print(&self, backend: &str, concurrency: usize) {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{backend} : {} recherches, {concurrency} en parallèle, {:.1} s",
            self.searches,
            self.elapsed.as_secs_f64()
        );
        println!(
            "latence p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms · max {:.2} ms",
            ms(self.percentile(0.50)),
            ms(self.percentile(0.95)),
            ms(self.percentile(0.99)),
            ms(self.percentile(1.0))
        );
        println!(
            "débit {:.0} recherches/s · en moyenne {:.1} praticiens et {:.0} créneaux trouvés",
            self.searches as f64 / self.elapsed.as_secs_f64(),
            self.practitioners_found as f64 / self.searches as f64,
            self.slots_found as f64 / self.searches as f64
        );
        for name in [
            "rayon 5-15 km",
            "rayon 16-30 km",
            "rayon 31-50 km",
            "département",
        ] {
            let mut mine: Vec<Duration> = self
                .by_kind
                .iter()
                .filter(|k| k.0 == name)
                .map(|k| k.1)
                .collect();
            mine.sort_unstable();
            if let Some(&max) = mine.last() {
                let p95 = mine[(mine.len() * 95).div_ceil(100).max(1) - 1];
                println!(
                    "  {name} : {} recherches, p95 {:.2} ms, max {:.2} ms",
                    mine.len(),
                    ms(p95),
                    ms(max)
                );
            }
        }
    }
}

/// One search of the mix: a commune drawn by population (calls come from where people live),
/// a radius of 5–50 km, and every filter in turn; one search in ten covers a whole département.
fn draw(
    rng: &mut StdRng,
    communes: &[&CommuneRecord],
    weights: &WeightedIndex<f64>,
) -> SearchParams {
    let commune = communes[weights.sample(rng)];
    let mut p = SearchParams {
        inseecode: commune.insee_code.clone(),
        rayon: rng.gen_range(5..=50).to_string(),
        ..SearchParams::default()
    };
    if rng.gen_bool(0.1) {
        p.perimetre = "departement".into();
    }
    if rng.gen_bool(0.1) {
        p.speciality = Specialty::ALL[rng.gen_range(1..Specialty::ALL.len())]
            .code()
            .into();
    }
    p.fenetre = ["", "", "", "j0", "j1", "j2"][rng.gen_range(0..6)].into();
    if rng.gen_bool(0.3) {
        let codes: Vec<&str> = WITHIN
            .iter()
            .filter(|_| rng.gen_bool(0.4))
            .map(|w| w.2)
            .collect();
        p.sous = codes.join(",");
    }
    p.mode = ["", "", "", "cabinet", "video"][rng.gen_range(0..5)].into();
    if rng.gen_bool(0.1) {
        p.tous = "1".into();
    }
    if rng.gen_bool(0.2) {
        p.page = rng.gen_range(2..=3).to_string();
    }
    p
}

pub async fn bench_search(
    store: Arc<Store>,
    communes: &[CommuneRecord],
    searches: usize,
    concurrency: usize,
) -> Result<BenchReport, String> {
    let located: Vec<&CommuneRecord> = communes
        .iter()
        .filter(|c| c.latitude.is_some() && c.population > 0)
        .collect();
    let weights = WeightedIndex::new(located.iter().map(|c| c.population as f64))
        .map_err(|_| "aucune commune avec coordonnées".to_string())?;
    let mut rng = StdRng::seed_from_u64(15);
    let warm_up = (searches / 10).clamp(1, 200);
    let mix: Vec<SearchParams> = (0..searches + warm_up)
        .map(|_| draw(&mut rng, &located, &weights))
        .collect();
    let run_one = |store: Arc<Store>, p: SearchParams| async move {
        let (query, kind) = (p.parse().map_err(|e| format!("{e:?}"))?, kind(&p));
        let started = Instant::now();
        let results = run_search(store.as_ref(), &p, &query, crate::server::now_utc())
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((
            started.elapsed(),
            results.practitioner_count,
            results.slot_count,
            kind,
        ))
    };
    for p in &mix[..warm_up] {
        run_one(store.clone(), p.clone()).await?;
    }
    let queue = Arc::new(std::sync::Mutex::new(mix[warm_up..].to_vec()));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency.max(1) {
        let (queue, store) = (queue.clone(), store.clone());
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = queue.lock().map_err(|e| e.to_string())?.pop();
                let Some(p) = next else { break };
                done.push(run_one(store.clone(), p).await?);
            }
            Ok::<_, String>(done)
        });
    }
    let mut all = Vec::with_capacity(searches);
    while let Some(done) = workers.join_next().await {
        all.extend(done.map_err(|e| e.to_string())??);
    }
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = all.iter().map(|r| r.0).collect();
    latencies.sort_unstable();
    Ok(BenchReport {
        searches: all.len(),
        elapsed,
        latencies,
        practitioners_found: all.iter().map(|r| r.1).sum(),
        slots_found: all.iter().map(|r| r.2).sum(),
        by_kind: all.iter().map(|r| (r.3, r.0)).collect(),
    })
}
