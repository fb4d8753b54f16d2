//! Tools beside the product, run from the command line: demo data (`seed demo`), the national
//! data set (`seed national`) and its booking history (`seed bookings`), the benchmarks
//! (`bench search`, `bench sign-in`, `bench indicators`) and the booking
//! load (`load booking`, `load check`). The serving code
//! never calls them, except the demo top-up of the default database at start-up.

pub mod bench;
pub mod booking_load;
pub mod demo;
pub mod http_client;
pub mod indicators_bench;
pub mod national;
pub mod sign_in_load;

use crate::server::{communes, store::Store};
use std::path::Path;
use std::sync::Arc;

/// `seed demo`: loads the demo data (idempotent) and says what it did.
pub async fn seed_demo(store: &Store) -> Result<(), String> {
    let report = demo::seed_demo(store).await.map_err(|e| e.to_string())?;
    println!(
        "Démo {} : {} praticiens ajoutés, {} créneaux créés, {} rendez-vous réservés.",
        if report.loaded {
            "chargée"
        } else {
            "déjà présente"
        },
        report.practitioners,
        report.slots_created,
        report.booked
    );
    Ok(())
}

/// `seed national`: the national data set over the communes of `communes_dir`.
pub async fn seed_national(
    store: Arc<Store>,
    communes_dir: &Path,
    practitioners: usize,
    days: i64,
) -> Result<(), String> {
    let started = std::time::Instant::now();
    let report = national::seed_national(store, &read_communes(communes_dir)?, practitioners, days)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "Jeu national chargé : {} praticiens, {} créneaux, en {:.0} s.",
        report.practitioners,
        report.slots_created,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `bench search`: a mix of searches around the communes of `communes_dir`, then its report.
pub async fn bench_search(
    store: Arc<Store>,
    communes_dir: &Path,
    searches: usize,
    concurrency: usize,
) -> Result<(), String> {
    let report = bench::bench_search(
        store.clone(),
        &read_communes(communes_dir)?,
        searches,
        concurrency,
    )
    .await?;
    report.print(store.backend(), concurrency);
    Ok(())
}

fn read_communes(dir: &Path) -> Result<Vec<crate::server::store::CommuneRecord>, String> {
    std::fs::read_to_string(dir.join("communes.tsv"))
        .map_err(|e| format!("communes.tsv : {e}"))
        .and_then(|text| communes::parse_communes(&text))
}
