//! A position of the log whose stored bytes are read fine but are not an event: not JSON, not an
//! envelope. Damage on the embedded log's disk (bit rot), or a message published on the stream's
//! subjects by something other than a gateway.
//!
//! A permanent fact about that position, not a failure of the read: asking again answers the
//! same bytes. So it holds nothing but itself. The projections go on past it and record it
//! (`GET /v1/projections/held`'s `unreadable`, `/healthz`, `/metrics`), the log head commits to
//! its bytes ([`super::head_hash`]), and `tongban verify` reports it as damage. A log that cannot
//! be read now (the disk failing, the server out of reach) is a [`super::LogError`] instead, and
//! is asked again.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{At, Positioned};

/// What the log holds at a position whose bytes are not an event. Never the bytes themselves:
/// they may hold anything, personal data included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unreadable {
    /// The log position.
    pub position: u64,
    /// Why the bytes are not an event, in the envelope's own terms (what the decoder quotes is
    /// masked).
    pub reason: String,
    /// SHA-256 of the stored bytes, lowercase hex: what the log head takes in at this position
    /// in place of an event's hash, so that it commits to the exact bytes.
    pub digest: String,
}

impl Unreadable {
    /// The record for `bytes` stored at `position`, which did not read as an event for `reason`.
    pub fn of(position: u64, bytes: &[u8], reason: String) -> Unreadable {
        Unreadable {
            position,
            reason,
            digest: digest(bytes),
        }
    }
}

/// A stretch of entries of the log ([`super::EventLog::entries`]) as its readers take them: a
/// run of events folded together, or one record that is not an event, passed over alone.
#[derive(Debug)]
pub enum Run {
    Events(Vec<Positioned>),
    Unreadable(Unreadable),
}

impl Run {
    /// `entries` cut into runs, in order (positions holding nothing, which entries never
    /// answer, are left out).
    pub fn all(entries: Vec<At>) -> Vec<Run> {
        let mut runs = Vec::new();
        let mut events = Vec::new();
        for entry in entries {
            match entry {
                At::Event(p) => events.push(p),
                At::Unreadable(u) => {
                    if !events.is_empty() {
                        runs.push(Run::Events(std::mem::take(&mut events)));
                    }
                    runs.push(Run::Unreadable(u));
                }
                At::Nothing(_) => {}
            }
        }
        if !events.is_empty() {
            runs.push(Run::Events(events));
        }
        runs
    }

    /// The first run of `entries` (`None`: there are none); the rest is read again.
    pub fn first(entries: Vec<At>) -> Option<Run> {
        Run::all(entries).into_iter().next()
    }

    /// How many entries the run holds (never none).
    pub fn entries(&self) -> usize {
        match self {
            Run::Events(events) => events.len(),
            Run::Unreadable(_) => 1,
        }
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn digest(bytes: &[u8]) -> String {
    crate::hex::encode(&Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A known answer (`printf 'not an event' | sha256sum`), and nothing of the bytes kept.
    #[test]
    fn the_digest_is_the_sha256_of_the_bytes() {
        let u = Unreadable::of(7, b"not an event", "expected value".into());
        assert_eq!(
            u.digest,
            "3e3de993b2db2c49fbfdeb10b2cd9e0b240b7a0c3f212c80b6b428036328ffb3"
        );
        let shown = serde_json::to_string(&u).expect("json");
        assert!(!shown.contains("not an event"), "{shown}");
    }
}
