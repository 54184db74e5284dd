//! Applications whose projection is held: an event of theirs does not fold (a type this build does
//! not know, data that does not read as its type, a time that is not RFC 3339).
//!
//! Every event the gateway appends was checked first, so such an event comes from elsewhere: a
//! newer gateway on the same log (a rollback), another publisher on the JetStream subjects, or a
//! schema change without its upcaster. Stopping every projection at it would take the inboxes,
//! outboxes and reads of every region down for one application, and skipping it would leave a
//! view that silently disagrees with the log. So the projection keeps that application's last
//! view that folded, holds it there (with every later event of it), and goes on with the others.
//! A read of it answers that it is held, an operator lists the held applications
//! (`GET /v1/projections/held`, `tongban_projection_held_applications`), and a rebuild by a build
//! that reads the event (`tongban rebuild`) folds it again from the log, which was never touched.

use serde::{Deserialize, Serialize};

use crate::log::Positioned;

/// Why and where one application's projection is held. No personal data: ids, codes, positions,
/// and a reason that masks what the decoder quotes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Held {
    pub app: String,
    /// Log position of the first event that did not fold.
    pub position: u64,
    /// That event's seq in the application (the view stops at the seq before it).
    pub seq: u64,
    /// That event's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Why it did not fold.
    pub reason: String,
    /// The regions party to the application as of its last view that folded (none when its
    /// submission did not fold): who may read that it is held.
    pub parties: Vec<String>,
    /// Events of the application after that one, held with it.
    #[serde(default)]
    pub later_events: u64,
    /// Log position of the last event held.
    pub last_position: u64,
    /// Whether the event at `position` is given to no feed: its seal does not verify, it does
    /// not follow the application's previous event, or it is a submission that does not fold.
    /// Each region in `parties` then finds a `held` marker at `position` in its feed instead of
    /// the event (docs/adapters.md, "Markers"); with no parties (a submission that does not
    /// verify names no one it can be trusted for), only this list shows it. False: the event
    /// verified and follows the application's previous event, and is in its parties' feeds as it
    /// is, though this build cannot fold it; or the record was written by a build before the
    /// markers, and its position is marked in no feed until `tongban rebuild`.
    #[serde(default)]
    pub withheld: bool,
}

/// What the reason of an application held at an event that does not verify starts with (its
/// seal does not hold under the checking key, or it does not link to the event before it), then
/// what is wrong: told apart from an event that verified and does not fold in this build, since
/// what to do differs (check the key and the log, not the build).
pub const UNVERIFIED: &str = "the event does not verify, so it is not folded";

impl Held {
    /// Whether the event held at does not verify ([`UNVERIFIED`]), rather than not fold.
    pub fn unverified(&self) -> bool {
        self.reason.starts_with(UNVERIFIED)
    }

    /// The record for an application held at `event`, for `reason`.
    pub fn at(event: &Positioned, reason: String, parties: Vec<String>) -> Held {
        Held {
            app: event.event.app.clone(),
            position: event.position,
            seq: event.event.seq,
            kind: event.event.kind.clone(),
            reason,
            parties,
            later_events: 0,
            last_position: event.position,
            withheld: false,
        }
    }

    /// The record, for an event that is given to no feed (`withheld`).
    pub fn withheld_from_feeds(self) -> Held {
        Held {
            withheld: true,
            ..self
        }
    }

    /// Notes a later event of the held application, held with it. A position already counted (a
    /// run applied again after a crash) is not counted twice.
    pub fn hold_later(&mut self, position: u64) {
        if position > self.last_position {
            self.later_events += 1;
            self.last_position = position;
        }
    }

    /// Whether `region` may read this record: a party, as of the last view that folded.
    pub fn is_party(&self, region: &str) -> bool {
        self.parties.iter().any(|p| p == region)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::Envelope;

    fn positioned(position: u64, seq: u64) -> Positioned {
        Positioned::read(
            position,
            Envelope {
                id: format!("e{seq}"),
                app: "a1".into(),
                seq,
                kind: "application.from-the-future".into(),
                schema: "application.from-the-future/1".into(),
                region: "310000".into(),
                actor: "t1".into(),
                at: "2026-12-03T00:00:00Z".into(),
                data: serde_json::Value::Null,
                prev_hash: String::new(),
                hash: String::new(),
                sig: String::new(),
            },
        )
    }

    #[test]
    fn a_later_event_is_counted_once_even_when_a_run_is_applied_again() {
        let mut held = Held::at(&positioned(7, 2), "unknown".into(), vec!["310000".into()]);
        held.hold_later(9);
        held.hold_later(9);
        held.hold_later(8);
        held.hold_later(12);
        assert_eq!((held.later_events, held.last_position), (2, 12));
        assert!(held.is_party("310000"));
        assert!(!held.is_party("440000"));
    }
}
