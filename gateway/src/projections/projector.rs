//! Keeps the projection store caught up with the log: at start from the persisted checkpoint, then
//! following the log's head. Publishes how far it got, so a read can wait until every write
//! acknowledged before it is visible (read-your-writes, `Gateway::caught_up`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::seals;
use super::store::ProjectionStore;
use super::verified::{self, Stretch};
use crate::domain::calendar::Calendar;
use crate::envelope::{GatewayKey, PublicKey};
use crate::log::unreadable::Run;
use crate::log::{EventLog, Positioned};
use crate::metrics::{Histogram, STORAGE_BOUNDS_US, Snapshot};

const BATCH: usize = 1024;
/// How long the projector waits before applying again after a failure it may recover from.
const RETRY: Duration = Duration::from_secs(1);
/// How often a failure that goes on is logged again: at its start, then at most this often,
/// with the count of attempts, so the log says it goes on without an ERROR line every retry.
const REPEAT_LOG: Duration = Duration::from_secs(60);
/// How often the projections stopped for good are told again in the log (ERROR), while the
/// gateway goes on serving: an operator who missed the first line still finds one recent.
const REMIND: Duration = Duration::from_secs(600);

/// Told of every event the projector reads whose seal holds, before it folds them: how the
/// service keeps the states it remembers up to date with other gateways' events on a shared
/// stream (`crate::service::states`). An event that does not verify ([`super::seals`]) is not
/// told: a remembered state is decided on as the projections' views are.
pub type Seen = Arc<dyn Fn(&Positioned) + Send + Sync>;

#[derive(Clone)]
pub struct Projector {
    progress: watch::Receiver<Progress>,
    timings: Arc<Timings>,
}

/// How far the projector got, and whether it stopped for good.
#[derive(Debug, Clone, Default)]
struct Progress {
    applied: u64,
    stopped: Option<Stopped>,
}

/// The projections stopped for good: their store failed in a way it does not recover from in
/// this process ([`crate::projections::ProjectionError::Failed`]). Reads then answer at once
/// from what the store holds (marked stale), `/healthz` says a restart is needed, and the
/// next start catches up from the checkpoint, the log holding every acknowledged event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stopped {
    /// What failed, as the store said it (no key or value, so no personal data).
    pub why: String,
    /// The log position the projections hold every event up to: what stale answers reflect.
    pub at: u64,
}

/// How long each batch took to read from the log and to apply, in microseconds, for `/metrics`:
/// a read that overtook the projector (read-your-writes) waits for both.
struct Timings {
    reads: Histogram,
    applies: Histogram,
}

impl Projector {
    /// Starts following `log` on the current tokio runtime, folding only events whose seal
    /// holds under `key` (when given; else every event, as a rebuild takes the log it is given).
    pub fn spawn<L: EventLog>(
        log: Arc<L>,
        store: ProjectionStore,
        cal: Arc<Calendar>,
        key: Option<PublicKey>,
    ) -> Projector {
        Projector::spawn_delayed(log, store, cal, key, None, Duration::ZERO, None)
    }

    /// Like [`Projector::spawn`], waiting `delay` before applying each batch (a test hook; see
    /// `Gateway::start_with_projector_delay`), and telling `seen` of each run of events read.
    /// With `signer` (the private half of `key`, and how many positions apart: [`verified::EVERY`]
    /// but in tests), it signs a verified head over what it folded as it goes, so that a rebuild
    /// need not check those signatures again ([`verified`]).
    pub fn spawn_delayed<L: EventLog>(
        log: Arc<L>,
        store: ProjectionStore,
        cal: Arc<Calendar>,
        key: Option<PublicKey>,
        signer: Option<(GatewayKey, u64)>,
        delay: Duration,
        seen: Option<Seen>,
    ) -> Projector {
        let start = store.checkpoint().unwrap_or(0);
        let (tx, progress) = watch::channel(Progress {
            applied: start,
            stopped: None,
        });
        let timings = Arc::new(Timings {
            reads: Histogram::new(&STORAGE_BOUNDS_US),
            applies: Histogram::new(&STORAGE_BOUNDS_US),
        });
        let timed = Arc::clone(&timings);
        tokio::spawn(async move {
            // A store whose log head is behind its checkpoint has it caught up first, while
            // nothing moves the checkpoint ([`super::head`]).
            let mut failing = Failing::default();
            // Asked again while the log is out of reach (a JetStream server restarting as the
            // gateway starts): nothing is applied meanwhile, and nothing could be, since the
            // projector reads the same log.
            loop {
                match super::head::catch_up(&*log, &store).await {
                    Ok(_) => {
                        failing.recovered(start);
                        break;
                    }
                    Err(e) if e.transient() => {
                        failing.failed(
                            "the log head could not be caught up with the projections yet; \
                             retrying (GET /v1/log/head answers 503 meanwhile, and the \
                             projections wait)",
                            &e,
                            start,
                        );
                        tokio::time::sleep(RETRY).await;
                    }
                    Err(e) => {
                        tracing::warn!(
                            error = %e,
                            "the log head could not be caught up with the projections: GET \
                             /v1/log/head answers 503 until `tongban rebuild`"
                        );
                        break;
                    }
                }
            }
            let mut head = log.head();
            let mut checkpoint = start;
            // What this process folded is vouched for from where it started: the list of
            // events that did not verify before then went with the process that checked them.
            let mut attesting = signer
                .filter(|(s, _)| key.is_some_and(|k| k == s.public()))
                .map(|(s, every)| {
                    let stretch = Stretch::after(start).every(every);
                    (s, verified::file_beside(store.dir()), stretch)
                });
            loop {
                let target = *head.borrow_and_update();
                while checkpoint < target {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    let reading = std::time::Instant::now();
                    let read = log.follow_entries(checkpoint + 1, BATCH).await;
                    let applying = std::time::Instant::now();
                    let result = match read.map(Run::first) {
                        Ok(None) => {
                            // Nothing readable below the head (positions that are not events).
                            checkpoint = target;
                            tx.send_modify(|p| p.applied = checkpoint);
                            continue;
                        }
                        // Bytes that are not an event: recorded and passed over, never folded,
                        // and never vouched for by a verified head (named unverified there).
                        Ok(Some(Run::Unreadable(u))) => {
                            let passing = store.clone();
                            tokio::task::spawn_blocking(move || {
                                passing.pass_unreadable(&u).map(|pos| (pos, vec![pos]))
                            })
                            .await
                        }
                        Ok(Some(Run::Events(mut events))) => {
                            timed.reads.record_duration(reading.elapsed());
                            let folding = store.clone();
                            let cal = Arc::clone(&cal);
                            let seen = seen.clone();
                            // The seals are checked off the async workers too: a start's
                            // catch-up, or a run of another gateway's events, costs ~50 µs each.
                            tokio::task::spawn_blocking(move || {
                                let unverified = key.map(|key| seals::check(&events, &key));
                                let positions: Vec<u64> = unverified
                                    .as_ref()
                                    .map(|u| u.keys().copied().collect())
                                    .unwrap_or_default();
                                if let Some(seen) = &seen {
                                    for p in &events {
                                        if unverified
                                            .as_ref()
                                            .is_none_or(|u| !u.contains_key(&p.position))
                                        {
                                            seen(p);
                                        }
                                    }
                                }
                                let applied =
                                    folding.apply_checked(&mut events, &cal, unverified.as_ref());
                                applied.map(|pos| (pos, positions))
                            })
                            .await
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, checkpoint, "cannot read the log; projections wait");
                            tokio::time::sleep(Duration::from_millis(500)).await;
                            continue;
                        }
                    };
                    match result {
                        Ok(Ok((pos, unverified))) => {
                            timed.applies.record_duration(applying.elapsed());
                            failing.recovered(checkpoint);
                            checkpoint = pos;
                            if let Some(attesting) = &mut attesting {
                                attest(attesting, &store, checkpoint, unverified).await;
                            }
                        }
                        Ok(Err(e)) if e.restart_required() => {
                            let stopped = Stopped {
                                why: e.to_string(),
                                at: checkpoint,
                            };
                            tracing::error!(
                                error = %e,
                                checkpoint,
                                "projections stopped: their store failed and does not \
                                 recover without a restart. Writes are still taken (the \
                                 event log is fine and holds them); reads answer at once \
                                 from the projections as they are, marked stale \
                                 (X-Tongban-Stale), and /healthz says degraded. Fix the \
                                 disk of DIR/projections (space, permissions, errors in \
                                 the kernel log), then restart: the projections catch \
                                 up from their checkpoint"
                            );
                            tx.send_modify(|p| p.stopped = Some(stopped));
                            drop(log);
                            remind_stopped(head, checkpoint).await;
                            return;
                        }
                        Ok(Err(e)) => {
                            failing.failed("projection failed; retrying", &e, checkpoint);
                            tokio::time::sleep(RETRY).await;
                            continue;
                        }
                        Err(e) => {
                            failing.failed("projection task failed; retrying", &e, checkpoint);
                            tokio::time::sleep(RETRY).await;
                            continue;
                        }
                    }
                    tx.send_modify(|p| p.applied = checkpoint);
                }
                if head.changed().await.is_err() {
                    break;
                }
            }
        });
        Projector { progress, timings }
    }

    pub fn applied(&self) -> u64 {
        self.progress.borrow().applied
    }

    /// Whether the projections stopped for good ([`Stopped`]), and why.
    pub fn stopped(&self) -> Option<Stopped> {
        self.progress.borrow().stopped.clone()
    }

    /// How long reading each batch from the log took so far, in microseconds.
    pub fn read_micros(&self) -> Snapshot {
        self.timings.reads.snapshot()
    }

    /// How long applying each batch took so far, in microseconds.
    pub fn apply_micros(&self) -> Snapshot {
        self.timings.applies.snapshot()
    }

    /// Waits until the projection has applied `position`, or `timeout` passes, or the
    /// projections stop for good (nothing more will be applied: a read waits no longer). Returns
    /// whether it got there.
    pub async fn wait_for(&self, position: u64, timeout: Duration) -> bool {
        let mut rx = self.progress.clone();
        tokio::time::timeout(
            timeout,
            rx.wait_for(|p| p.applied >= position || p.stopped.is_some()),
        )
        .await
        .is_ok_and(|r| r.is_ok_and(|p| p.applied >= position))
    }
}

/// Takes a run just folded up to `checkpoint` (`unverified`: its events whose seal did not hold) into the stretch
/// since the last verified head, and signs and appends the next head when it is due. A head that
/// cannot be written is logged and left for the next: only a rebuild's speed depends on it.
async fn attest(
    (signer, file, stretch): &mut (GatewayKey, std::path::PathBuf, Stretch),
    store: &ProjectionStore,
    checkpoint: u64,
    unverified: Vec<u64>,
) {
    stretch.took(unverified, true);
    if !stretch.spans(checkpoint) {
        return;
    }
    let running = match store.log_head() {
        Ok(Some(running)) => running,
        // No log head yet (a store made before heads, not caught up): nothing to vouch by.
        _ => return,
    };
    if !stretch.due(&running, false) {
        return;
    }
    let at = crate::time::Timestamp::now().to_rfc3339();
    let head = stretch.close(&running, &at, signer);
    let path = file.clone();
    let written = tokio::task::spawn_blocking(move || verified::append(&path, &head)).await;
    if let Err(e) = written.map_err(std::io::Error::other).and_then(|r| r) {
        tracing::warn!(
            file = %file.display(),
            error = %e,
            "a verified head could not be written: a rebuild checks the signatures of the \
             events since the last one"
        );
    }
}

/// A failure the projector retries, logged at its start and then at most every [`REPEAT_LOG`]
/// with the attempts since, and its end said once.
#[derive(Default)]
struct Failing {
    attempts: u64,
    logged: Option<std::time::Instant>,
}

impl Failing {
    fn failed(&mut self, what: &str, e: &dyn std::fmt::Display, checkpoint: u64) {
        self.attempts += 1;
        if self.logged.is_none_or(|at| at.elapsed() >= REPEAT_LOG) {
            tracing::error!(error = %e, checkpoint, attempts = self.attempts, "{what}");
            self.logged = Some(std::time::Instant::now());
        }
    }

    fn recovered(&mut self, checkpoint: u64) {
        if self.attempts > 0 {
            tracing::info!(
                checkpoint,
                attempts = self.attempts,
                "projections apply again after failed attempts"
            );
            *self = Failing::default();
        }
    }
}

/// Says again every [`REMIND`] that the projections stopped at `at` and how far the log (its
/// `head`) went on since, for as long as the gateway runs.
async fn remind_stopped(head: watch::Receiver<u64>, at: u64) {
    loop {
        tokio::time::sleep(REMIND).await;
        if head.has_changed().is_err() {
            return;
        }
        let behind = head.borrow().saturating_sub(at);
        tracing::error!(
            checkpoint = at,
            behind,
            "projections are still stopped after their store failed; restart the gateway once \
             the disk of DIR/projections is fixed"
        );
    }
}
