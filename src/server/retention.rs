//! The daily erasure of patient data past the retention period (`SAS_RETENTION_DAYS`, 3 years
//! after the appointment by default): batches of 200 appointments, each in its own short
//! transaction, their attachment files deleted after.

use super::jobs::Jobs;
use super::store::{Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub const DEFAULT_RETENTION_DAYS: i64 = 3 * 365;
const BATCH: i64 = 200;

/// Erases what is due now; returns the number of appointments erased.
pub async fn erase_due(
    store: &Store,
    days: i64,
    attachments_dir: &Path,
) -> Result<u64, StoreError> {
    let before = super::now() - days * 86_400;
    let mut total = 0;
    loop {
        let (erased, files) = store
            .erase_patient_data(before, BATCH, super::now())
            .await?;
        for token in files {
            let _ = tokio::fs::remove_file(attachments_dir.join(token)).await;
        }
        total += erased;
        if erased < BATCH as u64 {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}

pub fn retention_job(jobs: &mut Jobs, store: Arc<Store>, days: i64, attachments_dir: PathBuf) {
    jobs.every("retention", Duration::from_secs(86_400), move || {
        let (store, dir) = (store.clone(), attachments_dir.clone());
        async move {
            match erase_due(&store, days, &dir).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("patient data of {n} appointments erased (retention)"),
                Err(err) => tracing::error!("retention erasure failed: {err}"),
            }
        }
    });
}
