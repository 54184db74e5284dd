//! What this gateway tells the write quota (`crate::http::quota`) of the bytes regions got
//! appended to the log, beyond the bodies it admitted itself: the projections' counts when it
//! started, and the events of other gateways (on a shared stream) as its projector folds them.
//!
//! The quota is checked on a bucket in memory, since it must answer before the append; what it
//! is about is the log ([`crate::projections::written`]). So a region's bucket starts from what
//! the projections count for it ([`Written::at_start`], taken before the projector folds
//! anything), and is charged with every event folded since that this process did not append:
//! another gateway's, or one appended before this process started that the projections had not
//! folded yet. This process's own are charged by their bodies when admitted, so they are known
//! here by their ids from before their append until their fold, and passed over then. An own
//! event is not told by [`crate::log::Positioned::sealed_here`]: that says its bytes never left
//! memory, and is false for an own event read back from the store (the projector behind by
//! more than the log's memory of recent appends, a batch applied again) or pushed by the stream
//! before its ack arrived, which would be charged twice.
//!
//! Other gateways' events are charged at their fold, milliseconds after their append: the one
//! window in which a region can write through several gateways at once beyond its quota.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use crate::log::Positioned;
use crate::projections::written::{self, Hours};
use crate::time::Timestamp;

/// The most own appends remembered between their append and their fold: far more than are in
/// flight, or behind a projector that keeps up. Beyond it (a projector stalled for minutes) an
/// own event is not remembered and is charged again at its fold: the quota errs strict.
const OWN_MAX: usize = 1 << 16;

#[derive(Debug, Default)]
pub struct Written {
    /// The projections' counters when the gateway started.
    at_start: Hours,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// The ids (hashed) of events this process is appending or appended, not folded yet.
    own: HashSet<u64>,
    /// Bytes of other writers' events folded, per region, not yet charged to its bucket.
    others: HashMap<String, u64>,
    /// The last position told: a run told again (its apply failed and is retried) is not
    /// counted twice.
    told_to: u64,
}

/// An event being appended by this process, known by its id's hash (no copy of the id).
#[derive(Debug, Clone, Copy)]
pub struct Appending(u64);

fn id_hash(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl Written {
    /// Starts from the projections' counters `at_start`, which hold every event up to
    /// `checkpoint`: the events after it are told ([`Written::folded`]).
    pub fn new(at_start: Hours, checkpoint: u64) -> Written {
        Written {
            at_start,
            inner: Mutex::new(Inner {
                told_to: checkpoint,
                ..Inner::default()
            }),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The projections' counters when the gateway started: where each region's bucket starts.
    pub fn at_start(&self) -> &Hours {
        &self.at_start
    }

    /// The event `id` is about to be appended by this process: its bytes were charged when its
    /// body was admitted. Returns what [`Written::not_appended`] takes if the append fails.
    pub fn appending(&self, id: &str) -> Appending {
        let hash = id_hash(id);
        let mut inner = self.inner();
        if inner.own.len() < OWN_MAX {
            inner.own.insert(hash);
        }
        Appending(hash)
    }

    /// The append failed: the event is not this process's to pass over. (An append that
    /// failed after the log took it, a lost acknowledgement, is then charged again at its
    /// fold: strict, and rare.)
    pub fn not_appended(&self, appending: Appending) {
        self.inner().own.remove(&appending.0);
    }

    /// The projector folds `p` (its seal holds): another writer's event is counted for its
    /// region, unless stamped before the hours the projections keep (a catch-up through old
    /// events: long refilled).
    pub fn folded(&self, p: &Positioned) {
        let mut inner = self.inner();
        if p.position <= inner.told_to {
            return;
        }
        inner.told_to = p.position;
        if inner.own.remove(&id_hash(&p.event.id)) {
            return;
        }
        let now = written::hour_at(Timestamp::now());
        if written::hour_of(&p.event.at).is_none_or(|h| h < written::first_kept(now)) {
            return;
        }
        let bytes = inner.others.entry(p.event.region.clone()).or_default();
        *bytes = bytes.saturating_add(p.stored as u64);
    }

    /// The bytes of other writers' events folded for `region` since last asked.
    pub fn take_others(&self, region: &str) -> u64 {
        self.inner().others.remove(region).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;

    fn event(id: &str, region: &str) -> Envelope {
        let mut e = crate::log::conformance::event("app", 1, "");
        e.id = id.into();
        e.region = region.into();
        e.at = Timestamp::now().to_rfc3339();
        e
    }

    /// Given a gateway that started with its projections at position 10, when its projector
    /// folds its own appended event, another gateway's, one it had already been told, and an
    /// old one, then only the other gateway's bytes are counted for its region, once.
    #[test]
    fn other_writers_events_are_counted_once_and_own_ones_not_at_all() {
        let written = Written::new(Hours::new(), 10);
        written.appending("own");
        let failed = written.appending("failed");
        written.not_appended(failed);
        written.folded(&Positioned::stored(11, event("own", "310000"), 5_000));
        written.folded(&Positioned::stored(12, event("other", "310000"), 700));
        written.folded(&Positioned::stored(12, event("other", "310000"), 700));
        written.folded(&Positioned::stored(9, event("before", "310000"), 1));
        written.folded(&Positioned::stored(13, event("failed", "310000"), 30));
        let mut old = event("old", "310000");
        old.at = "2020-01-01T00:00:00.000Z".into();
        written.folded(&Positioned::stored(14, old, 1_000_000));
        written.folded(&Positioned::stored(15, event("gd", "440000"), 2));
        assert_eq!(written.take_others("310000"), 730);
        assert_eq!(written.take_others("310000"), 0, "taken once");
        assert_eq!(written.take_others("440000"), 2);
    }
}
