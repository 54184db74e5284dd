//! The log head: a running hash over the whole log in log order, and the gateway's signature
//! over it (`GET /v1/log/head`).
//!
//! Why: each application's hash chain shows an event changed or removed inside it, but not the
//! last events of a chain or of the log removed, nor a whole log re-sealed with the key. The
//! running hash commits to every event the log holds, in order, at every position; a head the
//! gateway signed and a province or auditor kept must be reproduced by any later log
//! (`tongban verify --heads`, `docs/audit/verify_chain.py --heads`), as Certificate
//! Transparency's signed tree heads are.
//!
//! ```text
//! H_0 = ""
//! H_p = hex(SHA-256("tongban-log-head-v1\n" + H_prev + "\n" + p + "\n" + hash of the event at p))
//! ```
//!
//! over every event the log holds, in position order, whether or not it folds or verifies (the
//! head commits to what the log holds, not to what was made of it). A position whose stored
//! bytes are not an event ([`super::unreadable`]) takes, in place of an event's hash, the
//! SHA-256 of those bytes (lowercase hex, 64 digits like an event's hash): the head commits to
//! the exact bytes there, so a record damaged after a head was signed, or put back, is seen by
//! `tongban verify --heads`, which computes the same. (docs/audit/verify_chain.py reads feed
//! pages, which never give such a position, and says so of positions it was not given.) Positions are decimal and
//! not contiguous on every backend: including them makes a gap part of what is committed to.
//! The signed statement is the ASCII bytes of `"tongban-log-head-v1\n{position}\n{hash}\n{at}"`,
//! which never reads as an event's hash (64 hex digits, what the key signs for events).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{At, EventLog, LogError};
use crate::envelope::{GatewayKey, PublicKey};

/// What both the running hash and the signed statement start with.
pub const DOMAIN: &str = "tongban-log-head-v1";

/// The running hash after the event whose hash is `event_hash`, at `position`, following the
/// running hash `previous` (`""` before the first event).
pub fn next(previous: &str, position: u64, event_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(DOMAIN.as_bytes());
    h.update(b"\n");
    h.update(previous.as_bytes());
    h.update(b"\n");
    h.update(position.to_string().as_bytes());
    h.update(b"\n");
    h.update(event_hash.as_bytes());
    crate::hex::encode(&h.finalize())
}

/// Where the running hash stands: after the event at `position` (0: before any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Running {
    pub position: u64,
    pub hash: String,
}

impl Running {
    /// Takes in the event at `position` (after every one taken so far) whose hash is
    /// `event_hash`.
    pub fn take(&mut self, position: u64, event_hash: &str) {
        self.hash = next(&self.hash, position, event_hash);
        self.position = position;
    }
}

/// A head as the gateway signs and serves it, and as provinces and auditors keep it (one per
/// line of the file `tongban verify --heads` reads).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedHead {
    /// The log position of the last event the head covers (0: none yet).
    pub position: u64,
    /// The running hash over every event up to `position`, lowercase hex (`""` at position 0).
    pub hash: String,
    /// When the gateway signed it (RFC 3339, UTC).
    pub at: String,
    /// The signing key's id, as `GET /v1/keys` names it.
    pub kid: String,
    /// Ed25519 signature, lowercase hex, over the ASCII bytes of
    /// `"tongban-log-head-v1\n{position}\n{hash}\n{at}"`.
    pub sig: String,
}

/// The bytes a head's signature is over.
pub fn statement(position: u64, hash: &str, at: &str) -> String {
    format!("{DOMAIN}\n{position}\n{hash}\n{at}")
}

impl SignedHead {
    /// `running` signed by `key` as of `at`.
    pub fn sign(running: &Running, at: &str, key: &GatewayKey) -> SignedHead {
        SignedHead {
            position: running.position,
            hash: running.hash.clone(),
            at: at.to_string(),
            kid: key.public().kid(),
            sig: key.sign_bytes(statement(running.position, &running.hash, at).as_bytes()),
        }
    }

    /// Whether `sig` is `key`'s signature over this head (lowercase hex only, as events' are;
    /// over an ASCII statement, as the gateway writes it and the audit script judges it).
    pub fn verifies(&self, key: &PublicKey) -> bool {
        self.at.is_ascii()
            && self.hash.is_ascii()
            && !self.sig.bytes().any(|b| b.is_ascii_uppercase())
            && key.verify_bytes(
                statement(self.position, &self.hash, &self.at).as_bytes(),
                &self.sig,
            )
    }
}

/// Hands `each` what the running hash takes at every position the log holds after `after` up to
/// `up_to`, in position order: an event's hash, or, for a record that is not an event, its
/// bytes' digest ([`super::unreadable`]). What the projector folds into the head, what the
/// start's catch-up reads it again from, and what `GET /v1/log/records` lists, so that anyone
/// can carry a signed head forward to a later one: one reading for all three.
pub async fn records<L: EventLog>(
    log: &L,
    after: u64,
    up_to: u64,
    mut each: impl FnMut(u64, &str),
) -> Result<(), LogError> {
    let mut from = after.saturating_add(1);
    while from <= up_to {
        // In batches of the projector's size: a batch holds whole events, up to 1 MiB each.
        let wanted = usize::try_from(up_to - from + 1).map_or(1024, |n| n.min(1024));
        let batch = log.entries(from, wanted).await?;
        let Some(last) = batch.last().map(At::position) else {
            break;
        };
        for entry in &batch {
            let (position, hash) = match entry {
                At::Event(p) => (p.position, &p.event.hash),
                At::Unreadable(u) => (u.position, &u.digest),
                At::Nothing(_) => continue,
            };
            if position > up_to {
                return Ok(());
            }
            each(position, hash);
        }
        match last.checked_add(1) {
            Some(next) => from = next,
            None => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known-answer vector tests/e2e_operators.rs checks docs/audit/verify_chain.py's
    /// `head_step` against too, so that both implementations compute the same heads.
    const VECTOR: [(u64, &str); 3] = [
        (
            1,
            "1111111111111111111111111111111111111111111111111111111111111111",
        ),
        (
            2,
            "2222222222222222222222222222222222222222222222222222222222222222",
        ),
        (
            5,
            "5555555555555555555555555555555555555555555555555555555555555555",
        ),
    ];

    #[test]
    fn known_answer() {
        let mut running = Running::default();
        let mut seen = Vec::new();
        for (position, hash) in VECTOR {
            running.take(position, hash);
            seen.push(running.hash.clone());
        }
        // H_1 by hand: SHA-256 of the exact bytes the definition names.
        let by_hand = crate::hex::encode(&Sha256::digest(
            format!("tongban-log-head-v1\n\n1\n{}", VECTOR[0].1).as_bytes(),
        ));
        assert_eq!(seen[0], by_hand);
        assert_eq!(
            seen[2],
            "eee184d2780eb5aa04db641a26642046dad1aafbcc03c071a038b607cb604335"
        );
        assert_eq!(running.position, 5);
    }

    #[test]
    fn position_and_order_are_committed_to() {
        let h = |events: &[(u64, &str)]| {
            let mut r = Running::default();
            for (p, e) in events {
                r.take(*p, e);
            }
            r.hash
        };
        let a = h(&[(1, "aa"), (2, "bb")]);
        assert_ne!(a, h(&[(1, "aa"), (3, "bb")]));
        assert_ne!(a, h(&[(1, "bb"), (2, "aa")]));
        assert_ne!(a, h(&[(1, "aa")]));
    }

    #[test]
    fn signed_heads_verify_and_changed_ones_do_not() {
        let key = GatewayKey::from_seed([7; 32]);
        let mut r = Running::default();
        r.take(1, "aa");
        let head = SignedHead::sign(&r, "2026-01-02T03:04:05.006Z", &key);
        assert_eq!(head.kid, key.public().kid());
        assert!(head.verifies(&key.public()));
        let mut changed = head.clone();
        changed.hash = next("", 1, "ab");
        assert!(!changed.verifies(&key.public()));
        let mut moved = head.clone();
        moved.position = 2;
        assert!(!moved.verifies(&key.public()));
        let mut capitals = head.clone();
        capitals.sig = capitals.sig.to_uppercase();
        assert!(!capitals.verifies(&key.public()));
        assert!(!head.verifies(&GatewayKey::from_seed([8; 32]).public()));
    }
}
