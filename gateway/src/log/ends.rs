//! Whether a key signed a log, by its first and last events: what a gateway's start checks its
//! own key against (a key that signed none of them would sign events no auditor's key
//! verifies), and what `tongban rebuild` checks its key against before it drops any projection
//! (a key that signed none of them would hold every application). One rule for both: the key
//! must verify the first event or the last, either, so that one altered event does not stop a
//! gateway or a rebuild (`tongban verify` reports it).

use super::{AnyLog, At, EventLog, LogError};
use crate::envelope::{Envelope, PublicKey};

/// What a log's ends say of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyAtEnds {
    /// The key verifies the first event or the last.
    Signs,
    /// No record reads as an event (or the log is empty): nothing to check the key against.
    Unchecked,
    /// Neither the first event (at `first`) nor the last (at `last`) verifies under the key.
    SignsNeither { first: u64, last: u64 },
}

impl KeyAtEnds {
    /// What `ends` (the log's first and last events, with their positions) say of `key`.
    pub fn of(ends: &[(u64, Envelope)], key: &PublicKey) -> KeyAtEnds {
        let (Some((first, _)), Some((last, _))) = (ends.first(), ends.last()) else {
            return KeyAtEnds::Unchecked;
        };
        if ends.iter().any(|(_, e)| key.verify_hash(&e.hash, &e.sig)) {
            return KeyAtEnds::Signs;
        }
        KeyAtEnds::SignsNeither {
            first: *first,
            last: *last,
        }
    }
}

/// The first and last events of a log that ends at `head` (one when they are the same), with
/// their positions, read as any backend answers them: the first event from position 1 and the
/// event at `head`. A record there that does not read as an event (a message published by
/// something else on a stream) is left out: it proves nothing either way. Any other failure to
/// read is an error: a key never checked is no key of the log's.
pub async fn read_ends<L: EventLog>(log: &L, head: u64) -> Result<Vec<(u64, Envelope)>, LogError> {
    let positions: &[u64] = match head {
        0 => &[],
        1 => &[1],
        _ => &[1, head],
    };
    let mut out: Vec<(u64, Envelope)> = Vec::new();
    for &from in positions {
        let events = match log.read_all(from, 1).await {
            Ok(events) => events,
            Err(LogError::Corrupt { .. }) => continue,
            Err(e) => return Err(e),
        };
        if let Some(p) = events.into_iter().next()
            && out.last().is_none_or(|(at, _)| *at != p.position)
        {
            out.push((p.position, p.event));
        }
    }
    Ok(out)
}

/// The first event of a log that ends at `head`, with its position: read from position 1
/// inward, past positions that hold nothing or a record that does not read as an event (a
/// message published by something else on a stream), as the embedded log's ends are read
/// ([`super::EmbeddedLog::ends`]). `None` when no position up to `head` holds one. What a
/// start on a stream without a recorded key checks its key against: the key that sealed the
/// stream's first event is the stream's.
pub async fn first_event<L: EventLog>(
    log: &L,
    head: u64,
) -> Result<Option<(u64, Envelope)>, LogError> {
    const PAGE: usize = 64;
    let mut from = 1;
    while from <= head {
        let entries = log.entries(from, PAGE).await?;
        let Some(last) = entries.last().map(At::position) else {
            return Ok(None);
        };
        if let Some(event) = entries.into_iter().find_map(At::into_event) {
            return Ok(Some((event.position, event.event)));
        }
        from = last.saturating_add(1).max(from + 1);
    }
    Ok(None)
}

impl AnyLog {
    /// The log's first and last events, with their positions: the embedded log's nearest inward
    /// that read ([`super::EmbeddedLog::ends`]), a stream's at its ends ([`read_ends`]).
    pub async fn ends(&self) -> Result<Vec<(u64, Envelope)>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.ends(),
            AnyLog::JetStream(l) => {
                // Bound first, so the head's guard is not held across the reads.
                let end = *l.head().borrow();
                read_ends(l, end).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::GatewayKey;

    /// Given a log's ends, when a key is checked against them, then it signs them when it
    /// verifies either, signs neither (naming both positions) when it verifies none, and is
    /// unchecked when no event reads.
    #[test]
    fn a_key_signs_a_log_when_it_verifies_its_first_or_last_event() {
        let key = GatewayKey::from_seed([3; 32]);
        let other = GatewayKey::from_seed([4; 32]).public();
        let each = (0..3).map(|n| ("application.forwarded", serde_json::json!({"n": n})));
        let chain = crate::testutil::sealed_chain(&key, "app-1", each);
        let ends = vec![(1, chain[0].clone()), (3, chain[2].clone())];
        assert_eq!(KeyAtEnds::of(&ends, &key.public()), KeyAtEnds::Signs);
        assert_eq!(
            KeyAtEnds::of(&ends, &other),
            KeyAtEnds::SignsNeither { first: 1, last: 3 }
        );
        let mut altered = ends.clone();
        altered[0].1.sig = "0".repeat(128);
        assert_eq!(KeyAtEnds::of(&altered, &key.public()), KeyAtEnds::Signs);
        assert_eq!(KeyAtEnds::of(&[], &other), KeyAtEnds::Unchecked);
    }
}
