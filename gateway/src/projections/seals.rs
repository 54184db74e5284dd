//! Which events of a run the projector may not fold: those whose own seal does not hold.
//!
//! The projections are what the parties read and act on: the inboxes, the feeds their adapters
//! follow, the states actions are decided on. An event this process sealed and appended itself
//! never left its memory before the projector took it ([`Positioned::sealed_here`]); any other one
//! was read from the store or pushed by the stream, where whoever can write the disk or publish
//! to the stream's subjects may have put it. Folded unchecked, an approval planted with a made-up
//! signature was shown as the application's state, fed to the provinces' adapters, and refused the
//! real handler's decision (found by an auditor's walkthrough); only the history's readers said it
//! was broken. So each such event's hash and signature are checked before it is folded, and one
//! that fails holds its application there ([`super::held`]), kept out of every feed.
//!
//! Only the seal is checked here, which needs nothing but the event: its link to the event before
//! it is checked against the view it would fold onto ([`super::store`]). The cost (a canonical
//! form, a SHA-256 and an Ed25519 verification, about 50 µs) falls on other gateways' events and
//! on a start's catch-up from the store, not on this gateway's own appends.

use std::collections::HashMap;

use super::view::ApplicationView;
use crate::envelope::{ChainError, Envelope, PublicKey};
use crate::log::Positioned;

/// The events of a run whose seal does not hold, by log position, with what is wrong.
pub type Unverified = HashMap<u64, ChainError>;

/// The events of `run` not sealed here whose seal does not hold under `key`.
pub fn check(run: &[Positioned], key: &PublicKey) -> Unverified {
    run.iter()
        .filter(|p| !p.sealed_here)
        .filter_map(|p| p.event.seal_error(key).map(|found| (p.position, found)))
        .collect()
}

/// How `event` fails to follow `view`'s last event, if it does: not the next seq, or not linked
/// to its hash. (A view of a build that kept no hash is not judged by it.)
pub fn unlinked(view: &ApplicationView, event: &Envelope) -> Option<ChainError> {
    if event.seq != view.state.seq.saturating_add(1) {
        return Some(ChainError::SeqGap {
            previous: view.state.seq,
            found: event.seq,
        });
    }
    (!view.last_hash.is_empty() && event.prev_hash != view.last_hash).then(|| {
        ChainError::PrevHash {
            expected: view.last_hash.clone(),
            found: event.prev_hash.clone(),
        }
    })
}

/// Whether `event`, about to be folded onto `view` (none for a submission), may not be, when
/// seals are checked (`key`): its seal does not hold, or it does not link to the view. The
/// projector's rule, for a fold that checks one event at a time (the statistics as of an
/// instant); the projector checks a run's seals at once ([`check`]).
pub fn refused(key: Option<&PublicKey>, view: Option<&ApplicationView>, event: &Envelope) -> bool {
    key.is_some_and(|key| {
        event.seal_error(key).is_some() || view.is_some_and(|v| unlinked(v, event).is_some())
    })
}

/// [`check`] over every core, for a rebuild's batches of thousands of events read from the store:
/// checked one after the other, the seals would cost a rebuild several times its fold. Where
/// `attested` says so for an event (aligned with `run`), a verified head vouches for its
/// signature and only its hash is recomputed ([`super::verified`]).
pub fn check_all(run: &[Positioned], key: &PublicKey, attested: Option<&[bool]>) -> Unverified {
    let one = |part: &[Positioned], attested: Option<&[bool]>| -> Unverified {
        part.iter()
            .enumerate()
            .filter(|(_, p)| !p.sealed_here)
            .filter_map(|(i, p)| {
                let found = match attested.and_then(|a| a.get(i)) {
                    Some(true) => p.event.hash_error(),
                    _ => p.event.seal_error(key),
                };
                found.map(|found| (p.position, found))
            })
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    if threads < 2 || run.len() < 512 {
        return one(run, attested);
    }
    let chunk = run.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = run
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                let attested = attested.map(|a| &a[(n * chunk).min(a.len())..]);
                (part, attested, scope.spawn(move || one(part, attested)))
            })
            .collect();
        // A part whose thread failed is checked again here: never taken as verified.
        parts
            .into_iter()
            .flat_map(|(part, attested, checking)| {
                checking.join().unwrap_or_else(|_| one(part, attested))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{Content, Envelope, GatewayKey};

    fn sealed(key: &GatewayKey) -> Envelope {
        let content = Content {
            kind: "application.forwarded".to_string(),
            schema: "application.forwarded/1".to_string(),
            region: "310000".to_string(),
            actor: "window".to_string(),
            at: "2026-12-05T08:00:00Z".to_string(),
            data: serde_json::json!({"materials_checked": true}),
        };
        Envelope::sealed_after(None, "app-1", content, key)
    }

    /// Given a run of an event sealed under the gateway's key, one with its data rewritten, one
    /// sealed under another key and one with its signature zeroed, each read from the log, and
    /// a rewritten one this process says it sealed itself, when the run is checked, then exactly
    /// the three read from the log with a broken seal are named, each by what is wrong.
    /// Given a run long enough to be checked over every core, with broken seals spread through
    /// it, when it is checked, then every broken one is named, as one thread names them.
    #[test]
    fn a_run_checked_over_every_core_names_what_one_thread_names() {
        let key = GatewayKey::from_seed([3; 32]);
        let genuine = sealed(&key);
        let mut zeroed = genuine.clone();
        zeroed.sig = "0".repeat(128);
        let run: Vec<Positioned> = (1..=1200)
            .map(|p| {
                let event = if p % 97 == 0 {
                    zeroed.clone()
                } else {
                    genuine.clone()
                };
                Positioned::read(p, event)
            })
            .collect();
        let all = check_all(&run, &key.public(), None);
        assert_eq!(all.len(), 12);
        assert_eq!(all, check(&run, &key.public()));
        // Attested by a verified head: the zeroed signatures pass, their hashes being intact;
        // a rewritten event's hash does not, wherever it lies among the threads' parts.
        let mut rewritten = genuine.clone();
        rewritten.data = serde_json::json!({"materials_checked": false});
        let mut run = run;
        run[1000].event = rewritten;
        let attested = vec![true; run.len()];
        let found = check_all(&run, &key.public(), Some(&attested));
        assert_eq!(found.keys().copied().collect::<Vec<_>>(), [1001]);
        assert!(matches!(found.get(&1001), Some(ChainError::Hash { .. })));
        // Not attested, the same run's zeroed signatures are named too.
        assert_eq!(check_all(&run, &key.public(), None).len(), 13);
    }

    #[test]
    fn only_events_read_from_the_log_with_a_broken_seal_are_named() {
        let key = GatewayKey::from_seed([3; 32]);
        let other = GatewayKey::from_seed([4; 32]);
        let genuine = sealed(&key);
        let mut rewritten = genuine.clone();
        rewritten.data = serde_json::json!({"materials_checked": false});
        let mut zeroed = genuine.clone();
        zeroed.sig = "0".repeat(128);
        let mut own = Positioned::read(5, rewritten.clone());
        own.sealed_here = true;
        let run = vec![
            Positioned::read(1, genuine),
            Positioned::read(2, rewritten),
            Positioned::read(3, sealed(&other)),
            Positioned::read(4, zeroed),
            own,
        ];
        let found = check(&run, &key.public());
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(matches!(found.get(&2), Some(ChainError::Hash { .. })));
        assert_eq!(found.get(&3), Some(&ChainError::Signature));
        assert_eq!(found.get(&4), Some(&ChainError::Signature));
    }
}
