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

/// How many of the records a reader passed over it names one by one ([`PassedOver`], the held
/// list): a few are damage to look into one by one; more is a publisher flooding the stream,
/// counted.
pub const SHOWN: usize = 100;

// The records a read of the whole log passed over (`super::whole`), for the reader to say so
// beside its answer: the first `SHOWN` by position, and how many in all, so that a stream
// flooded with them costs no more memory than a few. (A doc comment here would be the API's.)
/// The records of the event log that are not events, which the read of the whole log behind this
/// answer passed over: what the answer leaves out. Empty when the log holds none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PassedOver {
    /// Records of the event log whose bytes are not an event (damaged on the disk, or published
    /// on the stream's subjects by something other than a gateway), which this answer was read
    /// past and leaves out: the first 100 by position, each with its position, why it is not an
    /// event and the SHA-256 of its bytes (never the bytes). `tongban verify` reports each.
    /// Absent when the log holds none, and from an answer to a region's token, which is told
    /// how many (`unreadable_count`) and asks the operators which.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<Unreadable>,
    /// How many such records the answer leaves out in all. Absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unreadable_count: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl PassedOver {
    /// Counts `u`, after every record taken so far; kept while fewer than [`SHOWN`] are.
    pub fn take(&mut self, u: Unreadable) {
        self.unreadable_count += 1;
        if self.unreadable.len() < SHOWN {
            self.unreadable.push(u);
        }
    }

    /// Whether the read passed over none.
    pub fn is_empty(&self) -> bool {
        self.unreadable_count == 0
    }

    /// What `reader` is told of them: an operator which records and why (as the held list
    /// names them); a region how many only, since their positions and reasons may be other
    /// regions' applications', which it could not read (it asks the operators which).
    pub fn told_to(&mut self, reader: &crate::auth::Principal) {
        if !reader.is_operator() {
            self.unreadable.clear();
        }
    }
}

/// For people (a command's error output): how many, where (the first five positions) and why the
/// first is not an event, as `tongban rebuild` says it; what that leaves out is the reader's to say.
impl std::fmt::Display for PassedOver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let positions: Vec<String> = self
            .unreadable
            .iter()
            .take(5)
            .map(|u| u.position.to_string())
            .collect();
        let more = if self.unreadable_count > positions.len() as u64 {
            ", …"
        } else {
            ""
        };
        write!(
            f,
            "{} record(s) of the log that are not events, at position {}{more}",
            self.unreadable_count,
            positions.join(", ")
        )?;
        if let Some(first) = self.unreadable.first() {
            write!(f, " (at {}: {})", first.position, first.reason)?;
        }
        Ok(())
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

    fn record(position: u64) -> Unreadable {
        Unreadable::of(position, b"{\"name\": ", format!("torn at {position}"))
    }

    /// Given more records than are named one by one, when each is taken, then the first
    /// [`SHOWN`] are kept in order and all are counted; said for people, the first five
    /// positions, that more follow, and why the first is not an event.
    #[test]
    fn the_first_records_passed_over_are_named_and_all_counted() {
        let mut passed = PassedOver::default();
        assert!(passed.is_empty());
        for position in 1..=(SHOWN as u64 + 3) {
            passed.take(record(position * 2));
        }
        assert!(!passed.is_empty());
        assert_eq!(passed.unreadable_count, SHOWN as u64 + 3);
        assert_eq!(passed.unreadable.len(), SHOWN);
        assert_eq!(passed.unreadable[SHOWN - 1].position, 2 * SHOWN as u64);
        assert_eq!(
            passed.to_string(),
            "103 record(s) of the log that are not events, at position 2, 4, 6, 8, 10, … (at 2: \
             torn at 2)"
        );
        let mut one = PassedOver::default();
        one.take(record(7));
        assert_eq!(
            one.to_string(),
            "1 record(s) of the log that are not events, at position 7 (at 7: torn at 7)"
        );
    }

    /// None passed over: the fields are left out of the JSON, so an answer of a whole log reads
    /// as before; some: both are there.
    #[test]
    fn none_passed_over_is_left_out_of_the_json() {
        let none = serde_json::to_value(PassedOver::default()).expect("json");
        assert_eq!(none, serde_json::json!({}));
        let mut one = PassedOver::default();
        one.take(record(7));
        let shown = serde_json::to_value(&one).expect("json");
        assert_eq!(shown["unreadable_count"], 1, "{shown}");
        assert_eq!(shown["unreadable"][0]["position"], 7, "{shown}");
    }

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
