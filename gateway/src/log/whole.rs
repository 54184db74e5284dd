//! The whole log read from its first position to its end, a batch of events at a time, for a
//! tool that takes every event once: reconciliation, the statistics as of an instant, `tongban
//! find`, the evidence's read of one application ([`super::read_whole`]), the benches' raw read.
//!
//! A record whose bytes are not an event ([`super::unreadable`]) is a fact about its position,
//! not a failure of the read: a tool that stopped there would be useless for the whole log over
//! one damaged record. So it is passed over, as the projector and `tongban rebuild` pass over it,
//! and kept ([`PassedOver`]) for the tool to say beside its answer what that answer leaves out:
//! an answer that silently took the log for whole would be wrong. A log that cannot be read now
//! is still an error, asked again.

use super::unreadable::PassedOver;
use super::{At, EventLog, LogError, Positioned};

/// A read of the whole log under way: [`Whole::next`] until it answers `None`, then
/// [`Whole::into_passed_over`].
pub struct Whole<'a, L> {
    log: &'a L,
    /// The position to read from next; `None` once the log's end is read.
    from: Option<u64>,
    /// Entries (events and records passed over) read at a time.
    max: usize,
    passed: PassedOver,
}

impl<'a, L: EventLog> Whole<'a, L> {
    /// A read of `log` from its first position, `max` entries at a time.
    pub fn new(log: &'a L, max: usize) -> Whole<'a, L> {
        Whole {
            log,
            from: Some(1),
            max: max.max(1),
            passed: PassedOver::default(),
        }
    }

    /// The log's next events, in position order (never none); `None` once it is read to its
    /// end. The records that are not events among them are passed over and kept.
    pub async fn next(&mut self) -> Result<Option<Vec<Positioned>>, LogError> {
        while let Some(from) = self.from {
            let entries = self.log.entries(from, self.max).await?;
            let Some(last) = entries.last().map(At::position) else {
                self.from = None;
                break;
            };
            // A backend answering before `from` would make the read start over for ever, or,
            // ended there, claim a log read whole that was not.
            if last < from {
                return Err(LogError::Corrupt {
                    position: from,
                    reason: format!(
                        "asked for the log from position {from}, it answered up to position \
                         {last}: not read whole"
                    ),
                });
            }
            // After the largest position there is, nothing follows.
            self.from = last.checked_add(1);
            let mut events = Vec::with_capacity(entries.len());
            for entry in entries {
                match entry {
                    At::Event(p) => events.push(p),
                    At::Unreadable(u) => self.passed.take(u),
                    At::Nothing(_) => {}
                }
            }
            if !events.is_empty() {
                return Ok(Some(events));
            }
        }
        Ok(None)
    }

    /// The records passed over so far.
    pub fn passed_over(&self) -> &PassedOver {
        &self.passed
    }

    /// The records passed over: once the read is at its end, all the log holds.
    pub fn into_passed_over(self) -> PassedOver {
        self.passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EmbeddedLog;
    use crate::log::conformance::append_chain;
    use crate::testutil::TempDir;

    /// What looks like personal data, stored where an event was.
    const GARBAGE: &[u8] = b"{\"id_number\": \"110101199003077777\", \"torn\": ";

    /// Reads `log` whole, `max` entries at a time: its events' positions, and what it passed over.
    async fn read(log: &EmbeddedLog, max: usize) -> (Vec<u64>, PassedOver) {
        let mut whole = Whole::new(log, max);
        let mut positions = Vec::new();
        while let Some(events) = whole.next().await.expect("read") {
            assert!(!events.is_empty());
            positions.extend(events.iter().map(|p| p.position));
        }
        (positions, whole.into_passed_over())
    }

    /// Given a log of seven events whose bytes at positions 1 (the first), 3 and 4 (a whole
    /// batch of two) and 7 (the last) were damaged, when it is read whole two entries at a time
    /// and in one batch, then every other event is handed over once, in position order, and
    /// the four records are passed over and named in order (position, why, digest of the bytes),
    /// nothing of the bytes kept.
    #[tokio::test]
    async fn records_that_are_not_events_are_passed_over_and_named() {
        let dir = TempDir::new("whole-unreadable");
        let log = EmbeddedLog::open(dir.path()).expect("log");
        append_chain(&log, "app-1", 4).await;
        append_chain(&log, "app-2", 3).await;
        for position in [1, 3, 4, 7] {
            log.overwrite(position, GARBAGE);
        }
        for max in [2, 100] {
            let (positions, passed) = read(&log, max).await;
            assert_eq!(positions, vec![2, 5, 6], "{max} at a time");
            assert_eq!(passed.unreadable_count, 4);
            let named: Vec<u64> = passed.unreadable.iter().map(|u| u.position).collect();
            assert_eq!(named, vec![1, 3, 4, 7]);
            let digest = crate::log::unreadable::digest(GARBAGE);
            assert!(passed.unreadable.iter().all(|u| u.digest == digest));
            assert!(passed.unreadable.iter().all(|u| !u.reason.is_empty()));
            let shown = format!("{} {}", serde_json::json!(passed), passed);
            assert!(!shown.contains("1101011990"), "{shown}");
        }
    }

    /// Given an empty log, when it is read whole, then it ends at once with nothing passed over;
    /// given a log whose only record is not an event, then it ends with no event, the record
    /// passed over.
    #[tokio::test]
    async fn an_empty_log_and_one_of_damage_alone_end_without_events() {
        let dir = TempDir::new("whole-empty");
        let log = EmbeddedLog::open(dir.path()).expect("log");
        assert_eq!(read(&log, 10).await, (vec![], PassedOver::default()));
        append_chain(&log, "app-1", 1).await;
        log.overwrite(1, GARBAGE);
        let (positions, passed) = read(&log, 10).await;
        assert!(positions.is_empty());
        assert_eq!(passed.unreadable_count, 1);
        assert_eq!(passed.unreadable[0].position, 1);
    }
}
