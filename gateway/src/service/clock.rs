//! This host's clock against the times of the events in the log.
//!
//! An event's `at` is the clock of the gateway that sealed it, signed with the rest: in a
//! dispute over a deadline it is the answer, and the signature vouches that the gateway said it,
//! not that it was so. Within one application the gateway keeps times in order
//! ([`stamp_after`]); across applications only the clock does. A host whose clock fell behind
//! (NTP failed, a virtual machine restored from a snapshot, a clock set back) stamps events
//! before events the log already holds: an acceptance made late reads as made on time. The
//! gateway cannot know the true time, but it knows the latest time in its log
//! ([`LatestStamp`]), and says when its clock is well behind it: a warning in its log,
//! `/healthz` (`clock_behind_log_seconds`) and `/metrics`, for an operator to fix the clock. It
//! does not refuse to act: one event stamped ahead by another gateway's clock would otherwise
//! stop every gateway until that time came. `tongban verify` names the events stamped so
//! (`TIME …`).

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use crate::time::Timestamp;

/// How far this host's clock may be behind the latest event time in the log before it is said:
/// far above the skew of synchronised clocks and the moment from sealing to appending, far
/// below the days deadlines count. `tongban verify` judges the log's times by it too.
pub const TOLERANCE_MS: i64 = 60_000;

/// How far this host's clock may be behind an application's last event before a warning says
/// so: gateways on one stream, and the same gateway across a step of its clock, stamp events
/// of one chain; milliseconds apart is ordinary, seconds is a clock to fix.
const CLOCK_BEHIND_WARNING_MS: i64 = 1_000;

/// The latest event time this gateway has seen in its log: its own events and other gateways'
/// on a shared stream, as the projector reads them.
#[derive(Debug, Default)]
pub struct LatestStamp {
    /// Milliseconds since the epoch; 0 before any event.
    latest: AtomicI64,
    /// Whether the warning was given for the episode now going on (again once the clock caught
    /// up).
    warned: AtomicBool,
}

/// How many of the log's last events a starting gateway reads to know the latest time in it:
/// the projector tells it only of events it applies, and after a clean stop those are none.
const SEEDED_FROM: u64 = 64;

impl LatestStamp {
    /// Reads the latest times of the log's last events ([`SEEDED_FROM`]) whose seal holds under
    /// `key` (a planted event's time says nothing of any gateway's clock). Best effort: a log
    /// that cannot be read now leaves it to the projector.
    pub async fn seed<L: crate::log::EventLog>(&self, log: &L, key: &crate::envelope::PublicKey) {
        let head = *log.head().borrow();
        if head == 0 {
            return;
        }
        let from = head.saturating_sub(SEEDED_FROM - 1).max(1);
        let Ok(entries) = log.entries(from, SEEDED_FROM as usize).await else {
            return;
        };
        for entry in entries {
            if let crate::log::At::Event(p) = entry
                && p.event.seal_error(key).is_none()
            {
                self.see(&p.event.at);
            }
        }
    }

    /// Takes the time of an event read from the log (one that does not read is passed over).
    pub fn see(&self, at: &str) {
        if let Some(at) = Timestamp::parse_rfc3339(at) {
            self.latest.fetch_max(at.0, Ordering::Relaxed);
        }
    }

    /// How far this host's clock is behind the latest event time seen, in milliseconds, when
    /// that is more than [`TOLERANCE_MS`]; else `None`. Warns once an episode begins (asked at
    /// every stamp, and by `/healthz` and `/metrics`).
    pub fn behind_ms(&self) -> Option<i64> {
        self.behind_at(Timestamp::now())
    }

    /// The latest event time seen (RFC 3339), if any: what a clock behind is measured against.
    pub fn latest(&self) -> Option<String> {
        let latest = self.latest.load(Ordering::Relaxed);
        (latest != 0).then(|| Timestamp(latest).to_rfc3339())
    }

    pub(super) fn behind_at(&self, now: Timestamp) -> Option<i64> {
        let latest = self.latest.load(Ordering::Relaxed);
        let behind = latest - now.0;
        if behind <= TOLERANCE_MS {
            self.warned.store(false, Ordering::Relaxed);
            return None;
        }
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                behind_ms = behind,
                latest = %Timestamp(latest).to_rfc3339(),
                "this host's clock is behind the latest event time in the log: the events this \
                 gateway stamps now read as happened before events the log already holds, and \
                 deadlines are judged on those times. Check the host's time synchronisation \
                 (NTP), and the time of the latest event (another gateway's clock may have run \
                 ahead); `tongban verify` names the events stamped out of order (TIME)"
            );
        }
        Some(behind)
    }
}

/// The time of an event that follows one that happened at `previous` (RFC 3339): now, or
/// `previous` itself when this host's clock is behind it. An application's events are then in
/// time order as well as in seq order, whatever the clocks of the gateways that stamped them:
/// an auditor answering "who did what, when" never reads a decision dated before the
/// submission it decides, and its deadlines never start before the event that opened them.
/// A clock a second or more behind is warned of (the stamp says when the chain allows, not
/// when the host thought it was).
pub(super) fn stamp_after(previous: Option<&str>, latest: &LatestStamp) -> Timestamp {
    let now = Timestamp::now();
    // Said here too, where the stamp is made, not only when a monitor asks.
    latest.behind_at(now);
    match previous.and_then(Timestamp::parse_rfc3339) {
        Some(previous) if previous.0 > now.0 => {
            let behind_ms = previous.0 - now.0;
            if behind_ms >= CLOCK_BEHIND_WARNING_MS {
                tracing::warn!(
                    behind_ms,
                    "this host's clock is behind the last event of the application acted on; \
                     the new event is stamped with that event's time, so the chain's times do \
                     not run backwards. Check the host's time synchronisation (NTP)"
                );
            }
            previous
        }
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given events seen up to some time, when this host's clock is within a minute of it, then
    /// nothing is said; when it is further behind, how far; once the clock is past it again,
    /// nothing.
    #[test]
    fn a_clock_well_behind_the_latest_event_is_said() {
        let latest = LatestStamp::default();
        let t = |s: &str| Timestamp::parse_rfc3339(s).expect("time");
        assert_eq!(
            latest.behind_at(t("2026-10-01T00:00:00Z")),
            None,
            "no event"
        );
        latest.see("2026-10-13T01:00:00.000Z");
        latest.see("2026-10-12T01:00:00.000Z");
        latest.see("not a time");
        assert_eq!(latest.behind_at(t("2026-10-13T00:59:30Z")), None);
        assert_eq!(
            latest.behind_at(t("2026-10-13T00:58:00Z")),
            Some(120_000),
            "two minutes behind the later event"
        );
        assert_eq!(latest.behind_at(t("2026-10-13T01:00:01Z")), None);
    }
}
