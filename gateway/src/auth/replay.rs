//! The replay cache of signed requests: a signature the gateway accepted is refused if it comes
//! again while its `Date` could still pass the freshness check.
//!
//! In memory, per process, on purpose (simple): it does not survive a restart and is not shared
//! between gateways on one JetStream stream. What protects durably is the request itself:
//! submissions carry an `Idempotency-Key` (a replay names the same application) and actions carry
//! `expected_seq` (a replay no longer matches the application's seq). docs/signed-requests.md
//! says so to clients.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use super::signature::MAX_SKEW_MS;
use crate::time::Timestamp;

/// How long an accepted signature is remembered: a `Date` accepted at `t` is at most
/// `t + MAX_SKEW_MS`, and stays acceptable until that plus `MAX_SKEW_MS` again.
const RETENTION_MS: i64 = 2 * MAX_SKEW_MS;

#[derive(Default)]
struct Seen {
    set: HashSet<String>,
    /// (forget at, signature), in insertion order, so expiry is monotonic.
    queue: VecDeque<(i64, String)>,
}

#[derive(Default)]
pub struct ReplayCache {
    seen: Mutex<Seen>,
}

impl ReplayCache {
    /// Records `sig` as used at `now`; false when it was already used.
    pub fn first_use(&self, sig: &str, now: Timestamp) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            // A poisoned lock means a panic elsewhere; refusing is the safe answer.
            return false;
        };
        while seen.queue.front().is_some_and(|(until, _)| *until <= now.0) {
            if let Some((_, old)) = seen.queue.pop_front() {
                seen.set.remove(&old);
            }
        }
        if !seen.set.insert(sig.to_string()) {
            return false;
        }
        seen.queue
            .push_back((now.0 + RETENTION_MS, sig.to_string()));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_accepted_once_until_it_could_no_longer_be_fresh() {
        let cache = ReplayCache::default();
        let t = Timestamp(1_000_000);
        assert!(cache.first_use("a", t));
        assert!(!cache.first_use("a", Timestamp(t.0 + RETENTION_MS - 1)));
        assert!(cache.first_use("b", t));
        assert!(cache.first_use("a", Timestamp(t.0 + RETENTION_MS)));
    }
}
