//! This process's latest durable appends, by log position, handed to the projector once.
//!
//! The projector reads back every event right after it is appended, and a read of the
//! projections waits for that (read-your-writes; until round 8 every submission did). On
//! JetStream that read is a stream-info request and one request per message, which made the
//! projector's read-then-apply cycle the larger part of a submission's latency
//! (docs/performance.md, "The half-peak tail, taken apart"); on the embedded log it is a range
//! read from fjall and a JSON decode per event, about 5% of the gateway's CPU (docs/performance.md,
//! "Round 8"). The events this process appended itself are already here, exactly as written: the
//! JetStream server stored those bytes at the sequence its ack named, and the embedded log's
//! writer remembers each event once its group commit is durable. On JetStream, other gateways'
//! events come here too, as the stream's consumer pushes them (`jetstream::head`): the bytes the
//! server stored, which the projector would otherwise ask the server for again.
//!
//! Each event is handed over once, moved out rather than copied: the projector is the one reader
//! here and never asks for a position twice, except after a failed batch, which then reads the
//! store (docs/performance.md, "Round 13": the copy was a tenth of a submission's allocations, and
//! the 1,024 events kept for it 8 MiB of the heap at rest).
//!
//! Only [`crate::log::EventLog::follow`] answers from here. Every other read (replay,
//! verification, reconciliation, an operator's listing) goes to the store, so what those show
//! is what the log holds, never this process's memory.

use std::collections::BTreeMap;
use std::sync::Mutex;

use crate::envelope::Envelope;
use crate::log::Positioned;

/// Appends remembered while nobody takes them (a projector stalled or not started): a few
/// seconds of this gateway's writes at its peak rate, about 2 MiB. A projector that keeps up
/// leaves only the events of the batch it has not taken yet.
pub const CAPACITY: usize = 1024;

/// The most stored bytes remembered, whatever the count: events may be up to a request's size
/// (1 MiB), and 1,024 of those would be a gigabyte held for a stalled projector. Beyond it the
/// oldest are forgotten, and the projector reads them from the store.
pub const CAPACITY_BYTES: usize = 16 << 20;

/// How long the follower lets [`Recent::wait_for`] wait for one of this gateway's own acks.
/// Acks arrive in stream order and are handed to their publishers at once, but each publisher is
/// its own task, so with publishes pipelined the ack for `p` can be processed (and move the head)
/// just before the one for `p - 1`. That gap closes within a task switch; the bound only matters
/// when the missing message is another writer's, which then costs the server read it always did
/// plus at most this.
pub const OWN_ACK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(1);

#[derive(Default)]
pub struct Recent {
    held: Mutex<Held>,
    /// Woken by every [`Recent::remember`].
    remembered: tokio::sync::Notify,
}

/// The remembered events by position, each with its stored size, and the sizes' sum.
#[derive(Default)]
struct Held {
    /// Each with its stored size and whether this process sealed it ([`Positioned::sealed_here`]).
    by_position: BTreeMap<u64, (Envelope, usize, bool)>,
    bytes: usize,
    /// The position after the last one taken: the follower is past everything before it.
    taken_to: u64,
}

impl Held {
    fn insert(&mut self, position: u64, event: Envelope, size: usize, sealed_here: bool) {
        self.bytes += size;
        if let Some((_, replaced, _)) = self
            .by_position
            .insert(position, (event, size, sealed_here))
        {
            self.bytes -= replaced;
        }
    }

    fn pop_oldest(&mut self) -> Option<Envelope> {
        let (_, (event, size, _)) = self.by_position.pop_first()?;
        self.bytes -= size;
        Some(event)
    }

    fn remove(&mut self, position: u64) -> Option<(Envelope, bool)> {
        let (event, size, sealed_here) = self.by_position.remove(&position)?;
        self.bytes -= size;
        Some((event, sealed_here))
    }

    /// Forgets every event before `position`, returning them to be freed outside the lock.
    fn forget_before(&mut self, position: u64) -> BTreeMap<u64, (Envelope, usize, bool)> {
        let newer = self.by_position.split_off(&position);
        let behind = std::mem::replace(&mut self.by_position, newer);
        self.bytes -= behind.values().map(|(_, size, _)| size).sum::<usize>();
        behind
    }
}

impl Recent {
    /// Remembers the event this process sealed and made durable at `position`, stored as
    /// `bytes` bytes, forgetting the oldest beyond [`CAPACITY`] events or [`CAPACITY_BYTES`].
    pub fn remember_own(&self, position: u64, event: Envelope, bytes: usize) {
        self.remember_all([(position, event, bytes)], true);
    }

    /// Remembers an event the stream pushed (another writer's, or this process's own message
    /// as the server sent it back): handed over as not sealed here, so it is verified.
    pub fn remember_pushed(&self, position: u64, event: Envelope, bytes: usize) {
        self.remember_all([(position, event, bytes)], false);
    }

    /// [`Recent::remember_own`] for a whole group commit, under one lock and one wake.
    pub fn remember_own_all(&self, events: impl IntoIterator<Item = (u64, Envelope, usize)>) {
        self.remember_all(events, true);
    }

    fn remember_all(
        &self,
        events: impl IntoIterator<Item = (u64, Envelope, usize)>,
        sealed_here: bool,
    ) {
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        for (position, event, size) in events {
            held.insert(position, event, size, sealed_here);
        }
        let mut forgotten = Vec::new();
        while held.by_position.len() > CAPACITY || held.bytes > CAPACITY_BYTES {
            let Some(event) = held.pop_oldest() else {
                break;
            };
            forgotten.push(event);
        }
        drop(held);
        // Freed outside the lock, so a follower taking a run never waits for it.
        drop(forgotten);
        self.remembered.notify_waiters();
    }

    /// Waits until `position` is remembered, for as long as `own_pending` says one of this
    /// gateway's publishes still awaits its ack (it may be that message) and at most `patience`
    /// ([`OWN_ACK_PATIENCE`] when following). Returns whether it is remembered now.
    #[cfg(test)]
    pub async fn wait_for(
        &self,
        position: u64,
        own_pending: impl Fn() -> bool,
        patience: std::time::Duration,
    ) -> bool {
        let deadline = tokio::time::Instant::now() + patience;
        self.wait_until(position, || own_pending().then_some(deadline))
            .await
    }

    /// Waits until `position` is remembered, for as long as `until` names a deadline not yet
    /// passed, asked again at every wake ([`Recent::remember_own`], [`Recent::wake`]) and when
    /// the deadline it named passes: what the wait waits for may change meanwhile (the push
    /// of a message telling it is one of this gateway's own appends). Returns whether it is
    /// remembered now.
    pub async fn wait_until(
        &self,
        position: u64,
        until: impl Fn() -> Option<tokio::time::Instant>,
    ) -> bool {
        loop {
            let notified = self.remembered.notified();
            tokio::pin!(notified);
            // Registered before the check, so a remember between the two still wakes us.
            notified.as_mut().enable();
            if self.holds(position) {
                return true;
            }
            let Some(deadline) = until().filter(|d| tokio::time::Instant::now() < *d) else {
                return false;
            };
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    /// Wakes every [`Recent::wait_for`], to look again whether what it waits for may still come.
    pub fn wake(&self) {
        self.remembered.notify_waiters();
    }

    /// Whether an event at `position` is still wanted here: neither remembered nor already
    /// taken past. A pushed copy of an event is only decoded then.
    pub fn wants(&self, position: u64) -> bool {
        self.held.lock().is_ok_and(|held| {
            position >= held.taken_to && !held.by_position.contains_key(&position)
        })
    }

    /// The follower has everything before `position` (read from the store): what is held
    /// before it is forgotten, and a pushed copy of it is no longer wanted.
    pub fn passed(&self, position: u64) {
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        held.taken_to = held.taken_to.max(position);
        let behind = held.forget_before(position);
        drop(held);
        drop(behind);
    }

    /// Forgets every event held and not taken yet: what the stream holds there may no longer be
    /// them (a stream put back to an older copy), so the follower reads the stream instead.
    pub fn forget_all(&self) {
        let Ok(mut held) = self.held.lock() else {
            return;
        };
        let forgotten = std::mem::take(&mut held.by_position);
        held.bytes = 0;
        drop(held);
        drop(forgotten);
    }

    /// Whether the event at `position` is remembered (and not taken yet).
    pub fn holds(&self, position: u64) -> bool {
        self.held
            .lock()
            .is_ok_and(|held| held.by_position.contains_key(&position))
    }

    /// Takes the remembered events at `from`, `from + 1`, … without a gap, up to `until`
    /// (inclusive) and at most `max` of them, and forgets them, with every event before `from`
    /// (the follower is past those). `None` when `from` itself is not remembered (another
    /// writer's message, one whose ack this gateway has not had yet, one forgotten, or one
    /// taken before: only the store has it). A run that stops short of `until` is still in
    /// order and whole: the follower asks again from where it stopped.
    pub fn take(&self, from: u64, until: u64, max: usize) -> Option<Vec<Positioned>> {
        if from > until || max == 0 {
            return None;
        }
        let until = until.min(from.saturating_add(max as u64 - 1));
        let mut held = self.held.lock().ok()?;
        let behind = held.forget_before(from);
        let mut out = Vec::new();
        let mut position = from;
        while position <= until {
            let Some((event, sealed_here)) = held.remove(position) else {
                break;
            };
            out.push(Positioned {
                position,
                event,
                sealed_here,
            });
            position += 1;
        }
        held.taken_to = held.taken_to.max(position);
        drop(held);
        drop(behind);
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
            recent.remember_own(p, conformance::event("app", 1, ""), 1_000);
        }
        recent
    }

    fn positions(run: Option<Vec<Positioned>>) -> Option<Vec<u64>> {
        run.map(|r| r.into_iter().map(|p| p.position).collect())
    }

    /// A pushed copy is wanted only where the follower has not been and nothing is held.
    #[test]
    fn only_positions_neither_held_nor_taken_past_are_wanted() {
        let recent = remembered(5..=8);
        assert!(recent.wants(1), "nothing taken yet");
        assert_eq!(positions(recent.take(5, 6, 10)), Some(vec![5, 6]));
        assert!(!recent.wants(4), "the follower is past it");
        assert!(!recent.wants(6), "taken");
        assert!(!recent.wants(7), "held");
        assert!(recent.wants(9));
        // A follower asking from further on (the store answered the rest) is past those too.
        assert_eq!(recent.take(20, 30, 10), None);
        assert!(!recent.wants(9));
        assert!(recent.wants(20));
        // One that read on from the store says how far it got: nothing before is wanted or
        // held.
        recent.remember_pushed(21, conformance::event("app", 1, ""), 1_000);
        recent.passed(25);
        assert!(!recent.wants(21) && !recent.holds(21));
        assert!(!recent.wants(24));
        assert!(recent.wants(25));
    }

    #[test]
    fn a_range_it_holds_whole_is_handed_over_up_to_max_and_forgotten() {
        let recent = remembered(5..=12);
        assert_eq!(positions(recent.take(5, 9, 2)), Some(vec![5, 6]));
        assert_eq!(positions(recent.take(7, 9, 100)), Some(vec![7, 8, 9]));
        // Taken once: a second ask goes to the store.
        assert_eq!(positions(recent.take(7, 9, 100)), None);
        assert!(!recent.holds(9));
        assert!(recent.holds(10), "past `until` stays for the next run");
        assert_eq!(positions(recent.take(10, 12, 1)), Some(vec![10]));
    }

    #[test]
    fn taken_events_are_moved_out_exactly_as_remembered() {
        let recent = Recent::default();
        let first = conformance::event("app-a", 1, "");
        let second = conformance::event("app-b", 1, "");
        recent.remember_own_all([(1, first.clone(), 1_000)]);
        recent.remember_pushed(2, second.clone(), 1_000);
        let run = recent.take(1, 2, 10).expect("both remembered");
        assert_eq!(run[0], Positioned::read(1, first));
        assert_eq!(run[1], Positioned::read(2, second));
        assert_eq!(
            (run[0].sealed_here, run[1].sealed_here),
            (true, false),
            "a pushed event is not known as this process's own"
        );
    }

    #[test]
    fn a_run_stops_at_a_gap_and_a_missing_start_goes_to_the_server() {
        // 7 is another writer's message.
        let recent = remembered([5, 6, 8, 9]);
        assert_eq!(positions(recent.take(4, 6, 100)), None);
        assert_eq!(positions(recent.take(10, 9, 100)), None);
        assert_eq!(positions(recent.take(5, 9, 100)), Some(vec![5, 6]));
        assert_eq!(positions(recent.take(7, 9, 100)), None);
        assert_eq!(positions(recent.take(8, 10, 100)), Some(vec![8, 9]));
    }

    #[test]
    fn what_the_follower_skipped_is_forgotten() {
        let recent = remembered(1..=6);
        // The follower read 1..=3 from the store (after a restart, say) and asks from 4.
        assert_eq!(positions(recent.take(4, 4, 10)), Some(vec![4]));
        assert!(!recent.holds(1) && !recent.holds(3));
        assert!(recent.holds(5) && recent.holds(6));
    }

    #[tokio::test]
    async fn a_wait_ends_when_the_missing_ack_is_remembered() {
        let recent = std::sync::Arc::new(remembered([5, 7]));
        let late = std::sync::Arc::clone(&recent);
        let remembering = tokio::spawn(async move {
            tokio::task::yield_now().await;
            late.remember_own(6, conformance::event("app", 1, ""), 1_000);
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
        assert_eq!(positions(recent.take(5, 7, 10)), Some(vec![5, 6, 7]));
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
        assert!(!recent.holds(1) && !recent.holds(10));
        let last = CAPACITY as u64 + 10;
        assert!(recent.holds(11) && recent.holds(last));
        assert_eq!(positions(recent.take(1, 1, 1)), None);
        assert_eq!(positions(recent.take(10, 11, 10)), None);
        assert_eq!(positions(recent.take(11, 11, 1)), Some(vec![11]));
        assert_eq!(positions(recent.take(last, last, 1)), Some(vec![last]));
    }

    #[test]
    fn large_events_are_kept_to_the_byte_budget() {
        let recent = Recent::default();
        let big = CAPACITY_BYTES / 4;
        for p in 1..=6 {
            recent.remember_own(p, conformance::event("app", 1, ""), big);
        }
        // Four fit in the budget; the two oldest went, whatever the count allows.
        assert!(!recent.holds(1) && !recent.holds(2));
        assert!((3..=6).all(|p| recent.holds(p)));
        // What is taken or skipped leaves the budget: four more fit again.
        assert_eq!(positions(recent.take(5, 6, 10)), Some(vec![5, 6]));
        assert!(
            !recent.holds(3) && !recent.holds(4),
            "skipped ones are forgotten"
        );
        for p in 7..=10 {
            recent.remember_own(p, conformance::event("app", 1, ""), big);
        }
        assert!((7..=10).all(|p| recent.holds(p)));
        recent.remember_own(11, conformance::event("app", 1, ""), big);
        assert!(!recent.holds(7) && recent.holds(8) && recent.holds(11));
    }
}
