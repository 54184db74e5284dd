//! Keeps the projection store caught up with the log: at start from the persisted checkpoint, then
//! following the log's head. Publishes how far it got, so a read can wait until every write
//! acknowledged before it is visible (read-your-writes, `Gateway::caught_up`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::store::ProjectionStore;
use crate::domain::calendar::Calendar;
use crate::log::{EventLog, Positioned};
use crate::metrics::{Histogram, STORAGE_BOUNDS_US, Snapshot};

const BATCH: usize = 1024;

/// Told of every run of events the projector reads, before it folds them: how the service
/// keeps the states it remembers up to date with other gateways' events on a shared stream
/// (`crate::service::states`).
pub type Seen = Arc<dyn Fn(&[Positioned]) + Send + Sync>;

#[derive(Clone)]
pub struct Projector {
    applied: watch::Receiver<u64>,
    timings: Arc<Timings>,
}

/// How long each batch took to read from the log and to apply, in microseconds, for `/metrics`:
/// a read that overtook the projector (read-your-writes) waits for both.
struct Timings {
    reads: Histogram,
    applies: Histogram,
}

impl Projector {
    /// Starts following `log` on the current tokio runtime.
    pub fn spawn<L: EventLog>(
        log: Arc<L>,
        store: ProjectionStore,
        cal: Arc<Calendar>,
    ) -> Projector {
        Projector::spawn_delayed(log, store, cal, Duration::ZERO, None)
    }

    /// Like [`Projector::spawn`], waiting `delay` before applying each batch (a test hook; see
    /// `Gateway::start_with_projector_delay`), and telling `seen` of each run of events read.
    pub fn spawn_delayed<L: EventLog>(
        log: Arc<L>,
        store: ProjectionStore,
        cal: Arc<Calendar>,
        delay: Duration,
        seen: Option<Seen>,
    ) -> Projector {
        let start = store.checkpoint().unwrap_or(0);
        let (tx, applied) = watch::channel(start);
        let timings = Arc::new(Timings {
            reads: Histogram::new(&STORAGE_BOUNDS_US),
            applies: Histogram::new(&STORAGE_BOUNDS_US),
        });
        let timed = Arc::clone(&timings);
        tokio::spawn(async move {
            let mut head = log.head();
            let mut checkpoint = start;
            loop {
                let target = *head.borrow_and_update();
                while checkpoint < target {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let reading = std::time::Instant::now();
                    match log.follow(checkpoint + 1, BATCH).await {
                        Ok(events) if events.is_empty() => {
                            // Nothing readable below the head (positions that are not events).
                            checkpoint = target;
                        }
                        Ok(mut events) => {
                            timed.reads.record_duration(reading.elapsed());
                            if let Some(seen) = &seen {
                                seen(&events);
                            }
                            let store = store.clone();
                            let cal = Arc::clone(&cal);
                            let applying = std::time::Instant::now();
                            let result =
                                tokio::task::spawn_blocking(move || store.apply(&mut events, &cal))
                                    .await;
                            match result {
                                Ok(Ok(pos)) => {
                                    timed.applies.record_duration(applying.elapsed());
                                    checkpoint = pos;
                                }
                                Ok(Err(e)) => {
                                    tracing::error!(error = %e, checkpoint, "projection failed; retrying");
                                    tokio::time::sleep(Duration::from_secs(1)).await;
                                    continue;
                                }
                                Err(e) => {
                                    tracing::error!(error = %e, "projection task failed");
                                    tokio::time::sleep(Duration::from_secs(1)).await;
                                    continue;
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, checkpoint, "cannot read the log; projections wait");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            continue;
                        }
                    }
                    tx.send_replace(checkpoint);
                }
                if head.changed().await.is_err() {
                    break;
                }
            }
        });
        Projector { applied, timings }
    }

    pub fn applied(&self) -> u64 {
        *self.applied.borrow()
    }

    /// How long reading each batch from the log took so far, in microseconds.
    pub fn read_micros(&self) -> Snapshot {
        self.timings.reads.snapshot()
    }

    /// How long applying each batch took so far, in microseconds.
    pub fn apply_micros(&self) -> Snapshot {
        self.timings.applies.snapshot()
    }

    /// Waits until the projection has applied `position`, or `timeout` passes. Returns whether
    /// it got there.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let mut rx = self.applied.clone();
        tokio::time::timeout(timeout, rx.wait_for(|p| *p >= position))
            .await
            .is_ok_and(|r| r.is_ok())
    }
}
