//! The replay cache of signed requests: a signature the gateway accepted is refused if it comes
//! again while its `Date` could still pass the freshness check.
//!
//! In memory, per process, on purpose (simple): it does not survive a restart and is not shared
//! between gateways on one JetStream stream. What protects durably is the request itself:
//! submissions carry an `Idempotency-Key` (a replay names the same application) and actions carry
//! `expected_seq` (a replay no longer matches the application's seq). docs/signed-requests.md
//! says so to clients.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use super::signature::MAX_SKEW_MS;
use crate::time::Timestamp;

/// How long an accepted signature is remembered: a `Date` accepted at `t` is at most
/// `t + MAX_SKEW_MS`, and stays acceptable until that plus `MAX_SKEW_MS` again.
const RETENTION_MS: i64 = 2 * MAX_SKEW_MS;

#[derive(Default)]
struct Seen {
    /// Signature → the `Idempotency-Key` it came with the first time, if the route lets a
    /// signature repeat under its key.
    set: HashMap<String, Option<String>>,
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
        self.use_under_key(sig, None, now)
    }

    /// Records `sig` as used at `now` under `idempotency_key`. True the first time, and again
    /// only for a repeat under the same key (a client retrying after a lost answer, which the key
    /// makes name the same application). A repeat without a key or under another key is a
    /// replay: the key is not part of what is signed, so without this a captured signature
    /// could be sent again under fresh keys, each making a new application.
    pub fn use_under_key(&self, sig: &str, idempotency_key: Option<&str>, now: Timestamp) -> bool {
        let Ok(mut seen) = self.seen.lock() else {
            // A poisoned lock means a panic elsewhere; refusing is the safe answer.
            return false;
        };
        while seen.queue.front().is_some_and(|(until, _)| *until <= now.0) {
            if let Some((_, old)) = seen.queue.pop_front() {
                seen.set.remove(&old);
            }
        }
        if let Some(first) = seen.set.get(sig) {
            return idempotency_key.is_some() && first.as_deref() == idempotency_key;
        }
        seen.set
            .insert(sig.to_string(), idempotency_key.map(str::to_string));
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

    #[test]
    fn a_signature_repeats_only_under_the_idempotency_key_it_came_with() {
        let cache = ReplayCache::default();
        let t = Timestamp(1_000_000);
        assert!(cache.use_under_key("s", Some("k1"), t));
        assert!(cache.use_under_key("s", Some("k1"), t), "a retry");
        assert!(
            !cache.use_under_key("s", Some("k2"), t),
            "another key: a replay"
        );
        assert!(!cache.use_under_key("s", None, t));
        // First seen without a key: no key makes it repeatable afterwards.
        assert!(cache.use_under_key("u", None, t));
        assert!(!cache.use_under_key("u", Some("k1"), t));
        assert!(!cache.use_under_key("u", None, t));
    }
}
