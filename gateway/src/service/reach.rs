//! Reaching a position before a read (`X-Tongban-Read-After`): read-your-writes across gateways.
//!
//! Every read already waits for the writes this gateway acknowledged and for the head it knows
//! ([`Gateway::caught_up`]). Behind a load balancer that is not enough for certainty: a write
//! acknowledged through another gateway is seen here once the stream's server pushes its
//! position (milliseconds) or the poll asks (100 ms). A client that must see its own write
//! carries the position the write answered (`X-Tongban-Position`) to the read
//! (`X-Tongban-Read-After`), and the read waits until this gateway's projections hold every
//! event up to it, asking the log where it ends when this gateway has not heard of it yet. Or it
//! asks for `latest`: everything the log had acknowledged to anyone when the read came, at the
//! cost of one request to the log.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::{Gateway, ServiceError};
use crate::log::{EventLog, LogError};
use crate::metrics::{Histogram, LATENCY_BOUNDS_US, Snapshot};

/// How long a read waits for the position it names before it is refused (503, retry).
const PATIENCE: Duration = Duration::from_secs(2);
/// How long a read waits for this gateway's head to reach a position beyond the end the
/// stream's leader named (pushed by the stream's consumer, or the poll) before it asks the
/// leader again, each: a leader elected a moment ago may still be applying what was committed.
/// A handful of requests per read at most, shared with every read waiting at the same time
/// ([`crate::log::EventLog::refresh_head`]).
const ASK_AGAIN: [Duration; 5] = [
    Duration::from_millis(25),
    Duration::from_millis(75),
    Duration::from_millis(200),
    Duration::from_millis(500),
    Duration::from_millis(1000),
];

/// What a read must have seen before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAfter {
    /// Every event up to this log position: one a write answered.
    Position(u64),
    /// Every event the log holds when the read arrives.
    Latest,
}

/// How the reads that named a position fared (`GET /metrics`): an operator sees whether adapters
/// use the header, how long it holds reads, and whether a gateway falls behind its stream.
#[derive(Debug)]
pub struct ReachStats {
    /// Reads by [`Outcome`], in its order.
    outcomes: [AtomicU64; OUTCOMES.len()],
    /// Time from the start of the wait until the position was reached, the read refused or
    /// abandoned, every outcome.
    waited: Histogram,
}

/// How a read naming a position ended.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Reached,
    BeyondLog,
    NotCaughtUp,
    LogUnavailable,
    /// Beyond what the projections hold, and they stopped for good (their store failed).
    ProjectionsStopped,
    /// The caller went away (or the gateway stopped) while the read waited.
    Abandoned,
}

/// Each [`Outcome`] as `/metrics` labels it: the refusals' own rules.
const OUTCOMES: [&str; 6] = [
    "reached",
    "beyond-log",
    "not-caught-up",
    "log-unavailable",
    "projections-stopped",
    "abandoned",
];

/// Why a read naming a position is refused: exactly what [`Gateway::reach`] can answer, so
/// that each is counted under its own outcome.
enum Refusal {
    BeyondLog {
        wanted: u64,
        end: u64,
    },
    NotCaughtUp {
        wanted: u64,
        end: u64,
        reached: u64,
    },
    ProjectionsStopped {
        wanted: u64,
        reached: u64,
        why: String,
    },
    Log(LogError),
}

impl From<LogError> for Refusal {
    fn from(e: LogError) -> Refusal {
        Refusal::Log(e)
    }
}

impl From<Refusal> for ServiceError {
    fn from(r: Refusal) -> ServiceError {
        match r {
            Refusal::BeyondLog { wanted, end } => ServiceError::BeyondLog { wanted, end },
            Refusal::NotCaughtUp {
                wanted,
                end,
                reached,
            } => ServiceError::NotCaughtUp {
                wanted,
                end,
                reached,
            },
            Refusal::ProjectionsStopped {
                wanted,
                reached,
                why,
            } => ServiceError::ProjectionsStopped {
                wanted,
                reached,
                why,
            },
            Refusal::Log(e) => ServiceError::Log(e),
        }
    }
}

impl Default for ReachStats {
    fn default() -> ReachStats {
        ReachStats {
            outcomes: Default::default(),
            waited: Histogram::new(&LATENCY_BOUNDS_US),
        }
    }
}

impl ReachStats {
    fn record(&self, outcome: Outcome, took: Duration) {
        if let Some(counter) = self.outcomes.get(outcome as usize) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        self.waited.record_duration(took);
    }

    /// `(outcome, reads)`, every outcome.
    pub fn outcomes(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        OUTCOMES
            .iter()
            .zip(&self.outcomes)
            .map(|(name, n)| (*name, n.load(Ordering::Relaxed)))
    }

    pub fn waited(&self) -> Snapshot {
        self.waited.snapshot()
    }
}

/// Counts a read as abandoned unless it is recorded with its outcome first: the future of a
/// read whose caller went away is dropped mid-wait, and those are the slow ones.
struct Recording<'a> {
    stats: &'a ReachStats,
    began: Instant,
    done: bool,
}

impl Recording<'_> {
    fn finish(mut self, outcome: Outcome) {
        self.done = true;
        self.stats.record(outcome, self.began.elapsed());
    }
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.stats.record(Outcome::Abandoned, self.began.elapsed());
        }
    }
}

impl<L: EventLog> Gateway<L> {
    /// Waits until the projections hold every event `after` names, and answers the position
    /// they hold then: at least the one named.
    ///
    /// Refused, with nothing read, when the position is beyond the end of a log only this
    /// gateway writes (it was never written here: another deployment's, or mistyped;
    /// [`ServiceError::BeyondLog`]), and when it is not reached within [`PATIENCE`]
    /// ([`ServiceError::NotCaughtUp`]: a retry may find it).
    pub async fn reach(&self, after: ReadAfter) -> Result<u64, ServiceError> {
        let recording = Recording {
            stats: &self.reach_stats,
            began: Instant::now(),
            done: false,
        };
        let answer = self.reach_unrecorded(after).await;
        recording.finish(match &answer {
            Ok(_) => Outcome::Reached,
            Err(Refusal::BeyondLog { .. }) => Outcome::BeyondLog,
            Err(Refusal::NotCaughtUp { .. }) => Outcome::NotCaughtUp,
            Err(Refusal::ProjectionsStopped { .. }) => Outcome::ProjectionsStopped,
            Err(Refusal::Log(_)) => Outcome::LogUnavailable,
        });
        Ok(answer?)
    }

    async fn reach_unrecorded(&self, after: ReadAfter) -> Result<u64, Refusal> {
        let deadline = Instant::now() + PATIENCE;
        let mut end = self.known_end();
        let wanted = match after {
            ReadAfter::Position(position) => position,
            ReadAfter::Latest => {
                end = end.max(self.ask_end(deadline).await?);
                end
            }
        };
        if wanted > end {
            end = end.max(self.ask_end(deadline).await?);
        }
        if wanted > end && self.log.is_local() {
            return Err(Refusal::BeyondLog { wanted, end });
        }
        let mut head = self.log.head();
        for pause in ASK_AGAIN {
            if wanted <= end {
                break;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let heard = tokio::time::timeout(pause.min(remaining), head.wait_for(|h| *h >= wanted));
            if let Ok(Ok(moved)) = heard.await {
                end = end.max(*moved);
                break;
            }
            match self.ask_end(deadline).await {
                Ok(asked) => end = end.max(asked),
                Err(_) if Instant::now() >= deadline => break,
                Err(e) => return Err(Refusal::Log(e)),
            }
        }
        if wanted > end {
            return Err(Refusal::NotCaughtUp {
                wanted,
                end,
                reached: self.projector.applied(),
            });
        }
        // Projections that stopped for good never get there: refused now, not after the wait.
        if let Some(stopped) = self.projector.stopped() {
            let reached = self.projector.applied();
            if reached < wanted {
                return Err(Refusal::ProjectionsStopped {
                    wanted,
                    reached,
                    why: stopped.why,
                });
            }
        }
        // Only the position named: what else this gateway knows of, the read that follows waits
        // for itself (`Gateway::caught_up`).
        let patience = deadline.saturating_duration_since(Instant::now());
        if self.projector.applied() < wanted {
            self.projector.wait_for(wanted, patience).await;
        }
        let reached = self.projector.applied();
        if reached >= wanted {
            Ok(reached)
        } else {
            Err(Refusal::NotCaughtUp {
                wanted,
                end,
                reached,
            })
        }
    }

    /// Where the log ends, asked of it ([`crate::log::EventLog::refresh_head`]), the answer
    /// awaited until `deadline` at most (then the log is unavailable to this read).
    async fn ask_end(&self, deadline: Instant) -> Result<u64, LogError> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(remaining, self.log.refresh_head()).await {
            Ok(answer) => answer,
            Err(_) => Err(LogError::Unavailable(format!(
                "asking the log where it ends: no answer within {PATIENCE:?}"
            ))),
        }
    }
}
