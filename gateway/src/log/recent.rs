//! This process's latest durable appends, by log position, for the projector.
//!
//! The projector reads back every event right after it is appended, and a read of the
//! projections waits for that (read-your-writes; until round 8 every submission did). On
//! JetStream that read is a stream-info request and one request per message, which made the
//! projector's read-then-apply cycle the larger part of a submission's latency
//! (docs/performance.md, "The half-peak tail, taken apart"); on the embedded log it is a range
//! read from fjall and a JSON decode per event, about 5% of the gateway's CPU (docs/performance.md,
//! "Round 8"). The events this process appended itself are already here, exactly as written: the
//! JetStream server stored those bytes at the sequence its ack named, and the embedded log's
//! writer remembers each event once its group commit is durable.
//!
//! Only [`crate::log::EventLog::follow`] answers from here. Every other read (replay,
//! verification, reconciliation, an operator's listing) goes to the store, so what those show
//! is what the log holds, never this process's memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::envelope::Envelope;
use crate::log::Positioned;

/// Appends remembered: a few seconds of this gateway's writes at its peak rate, about 2 MiB.
pub const CAPACITY: usize = 1024;

/// How long the follower lets [`Recent::wait_for`] wait for one of this gateway's own acks.
/// Acks arrive in stream order and are handed to their publishers at once, but each publisher is
/// its own task, so with publishes pipelined the ack for `p` can be processed (and move the head)
/// just before the one for `p - 1`. That gap closes within a task switch; the bound only matters
/// when the missing message is another writer's, which then costs the server read it always did
/// plus at most this.
pub const OWN_ACK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(1);

#[derive(Default)]
pub struct Recent {
    /// Shared, so a run is taken under the lock as pointers and copied out after it: the
    /// writer remembering a group commit never waits for a follower's copying.
    by_position: Mutex<BTreeMap<u64, Arc<Envelope>>>,
    /// Woken by every [`Recent::remember`].
    remembered: tokio::sync::Notify,
}

impl Recent {
    /// Remembers the event made durable at `position`, forgetting the oldest beyond
    /// [`CAPACITY`].
    pub fn remember(&self, position: u64, event: Envelope) {
        self.remember_all([(position, event)]);
    }

    /// [`Recent::remember`] for a whole group commit, under one lock and one wake.
    pub fn remember_all(&self, events: impl IntoIterator<Item = (u64, Envelope)>) {
        let Ok(mut map) = self.by_position.lock() else {
            return;
        };
        map.extend(events.into_iter().map(|(p, e)| (p, Arc::new(e))));
        while map.len() > CAPACITY {
            map.pop_first();
        }
        drop(map);
        self.remembered.notify_waiters();
    }

    /// Waits until `position` is remembered, for as long as `own_pending` says one of this
    /// gateway's publishes still awaits its ack (it may be that message) and at most `patience`
    /// ([`OWN_ACK_PATIENCE`] when following). Returns whether it is remembered now.
    pub async fn wait_for(
        &self,
        position: u64,
        own_pending: impl Fn() -> bool,
        patience: std::time::Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let notified = self.remembered.notified();
            tokio::pin!(notified);
            // Registered before the check, so a remember between the two still wakes us.
            notified.as_mut().enable();
            if self.holds(position) {
                return true;
            }
            if !own_pending() || tokio::time::Instant::now() >= deadline {
                return false;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.holds(position);
            }
        }
    }

    fn holds(&self, position: u64) -> bool {
        self.by_position
            .lock()
            .is_ok_and(|map| map.contains_key(&position))
    }

    /// The remembered events at `from`, `from + 1`, … without a gap, up to `until` (inclusive)
    /// and at most `max` of them; `None` when `from` itself is not remembered (another writer's
    /// message, one whose ack this gateway has not had yet, or one forgotten: only the server has
    /// it). A run that stops short of `until` is still in order and whole: the follower asks again
    /// from where it stopped.
    pub fn run(&self, from: u64, until: u64, max: usize) -> Option<Vec<Positioned>> {
        if from > until || max == 0 {
            return None;
        }
        let until = until.min(from.saturating_add(max as u64 - 1));
        let shared: Vec<(u64, Arc<Envelope>)> = {
            let map = self.by_position.lock().ok()?;
            (from..=until)
                .map_while(|position| map.get(&position).map(|e| (position, Arc::clone(e))))
                .collect()
        };
        let out: Vec<Positioned> = shared
            .into_iter()
            .map(|(position, event)| Positioned {
                position,
                event: Arc::unwrap_or_clone(event),
            })
            .collect();
        (!out.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::conformance;
    use std::time::Duration;

    fn remembered(positions: impl IntoIterator<Item = u64>) -> Recent {
        let recent = Recent::default();
        for p in positions {
            recent.remember(p, conformance::event("app", 1, ""));
        }
        recent
    }

    fn positions(run: Option<Vec<Positioned>>) -> Option<Vec<u64>> {
        run.map(|r| r.into_iter().map(|p| p.position).collect())
    }

    #[test]
    fn a_range_it_holds_whole_is_answered_up_to_max() {
        let recent = remembered(5..=9);
        assert_eq!(positions(recent.run(5, 9, 100)), Some(vec![5, 6, 7, 8, 9]));
        assert_eq!(positions(recent.run(6, 9, 2)), Some(vec![6, 7]));
        assert_eq!(positions(recent.run(9, 9, 1)), Some(vec![9]));
    }

    #[test]
    fn a_run_stops_at_a_gap_and_a_missing_start_goes_to_the_server() {
        // 7 is another writer's message.
        let recent = remembered([5, 6, 8, 9]);
        assert_eq!(positions(recent.run(5, 9, 100)), Some(vec![5, 6]));
        assert_eq!(positions(recent.run(7, 9, 100)), None);
        assert_eq!(positions(recent.run(4, 6, 100)), None);
        assert_eq!(positions(recent.run(8, 10, 100)), Some(vec![8, 9]));
        assert_eq!(positions(recent.run(10, 9, 100)), None);
    }

    #[tokio::test]
    async fn a_wait_ends_when_the_missing_ack_is_remembered() {
        let recent = std::sync::Arc::new(remembered([5, 7]));
        let late = std::sync::Arc::clone(&recent);
        let remembering = tokio::spawn(async move {
            tokio::task::yield_now().await;
            late.remember(6, conformance::event("app", 1, ""));
        });
        // A generous bound, so a slow machine cannot fail the test: the wake is what is tested,
        // and without it the wait would run to the bound.
        let started = std::time::Instant::now();
        assert!(recent.wait_for(6, || true, Duration::from_secs(10)).await);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the remember did not wake the wait"
        );
        remembering.await.expect("task");
        assert_eq!(positions(recent.run(5, 7, 10)), Some(vec![5, 6, 7]));
    }

    #[tokio::test]
    async fn a_wait_gives_up_at_once_with_no_own_publish_pending_and_soon_otherwise() {
        let recent = remembered([5, 7]);
        let started = std::time::Instant::now();
        assert!(!recent.wait_for(6, || false, Duration::from_secs(10)).await);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "waited with nothing of ours in flight"
        );
        let started = std::time::Instant::now();
        assert!(!recent.wait_for(6, || true, OWN_ACK_PATIENCE).await);
        let waited = started.elapsed();
        assert!(
            waited >= OWN_ACK_PATIENCE && waited < Duration::from_secs(5),
            "waited {waited:?} for a message that never came"
        );
        assert!(recent.wait_for(7, || true, OWN_ACK_PATIENCE).await);
    }

    #[test]
    fn only_the_latest_appends_are_kept() {
        let recent = remembered(1..=(CAPACITY as u64 + 10));
        assert_eq!(positions(recent.run(1, 1, 1)), None);
        assert_eq!(positions(recent.run(10, 11, 10)), None);
        let last = CAPACITY as u64 + 10;
        assert_eq!(positions(recent.run(11, 11, 1)), Some(vec![11]));
        assert_eq!(positions(recent.run(last, last, 1)), Some(vec![last]));
    }
}
