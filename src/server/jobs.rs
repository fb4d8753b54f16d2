//! Background jobs (slot top-up, hold sweep, purge of expired sessions, unused attachments):
//! each runs every period until the server stops. A stop lets the run in progress finish.

use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub struct Jobs {
    stop: CancellationToken,
    running: Vec<(&'static str, JoinHandle<()>)>,
}

impl Jobs {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `job` now, then every `period`, until [`Jobs::stop`].
    pub fn every<F, Fut>(&mut self, name: &'static str, period: Duration, mut job: F)
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send,
    {
        let stop = self.stop.clone();
        let handle = tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = every.tick() => job().await,
                }
            }
        });
        self.running.push((name, handle));
    }

    /// The signal a long job watches to end its run early when the server stops.
    pub fn stopping(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Asks every job to stop and waits for the runs in progress to end.
    pub async fn stop(self) {
        self.stop.cancel();
        for (name, handle) in self.running {
            if handle.await.is_err() {
                tracing::error!("background job {name} ended abnormally");
            }
        }
        tracing::info!("background jobs stopped");
    }
}
