//! Event times that run backwards in the log: the clock of the gateway that stamped them.
//!
//! An event's `at` is the stamping gateway's clock, sealed and signed with the rest: the
//! signature proves the gateway said it, not that it was so. A gateway keeps one application's
//! times in order ([`tongban_gateway::service`] stamps an event no earlier than the one before
//! it), but nothing in the chain orders times across applications. A host whose clock is behind
//! (a failed NTP, or a clock set back on purpose to make a late acceptance look on time) stamps
//! events earlier than events the log already held. The log's positions say the order in which
//! events were appended, so the whole-log check can see it: an event stamped well before an
//! event at an earlier position. Gateways on one stream stamp with their own clocks and append
//! milliseconds after sealing, so small inversions are ordinary: only one of more than
//! [`TOLERANCE_MS`] is said.
//!
//! Not a break: the chain is whole. Said beside the verdict (`TIME …`), since in a dispute over
//! a deadline the times are the question.

use tongban_gateway::envelope::Envelope;
use tongban_gateway::time::Timestamp;

/// How far an event may be stamped before one at an earlier position without being said: the
/// gateway's own tolerance for its clock behind the log, one figure for both.
pub use tongban_gateway::service::clock::TOLERANCE_MS;

/// How many positions without an event stamped out of order close a run: a gateway whose
/// clock is behind, its events interleaved with those of gateways whose clocks are right, makes
/// one run, not one per event.
pub const QUIET_POSITIONS: u64 = 1_000;

/// A run of events each stamped more than [`TOLERANCE_MS`] before the latest time the log held
/// at an earlier position: the events a clock behind stamped, until [`QUIET_POSITIONS`] passed
/// without one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backdated {
    /// The first event of the run: application, seq, position.
    pub first: (String, u64, u64),
    /// The last event's position.
    pub last: u64,
    /// Events in the run (not every position between `first` and `last` need be one).
    pub events: u64,
    /// The farthest any of them is stamped before the latest time at an earlier position.
    pub behind_ms: i64,
    /// The event the first is stamped before: its position and time.
    pub reference: (u64, String),
}

impl std::fmt::Display for Backdated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (app, seq, position) = &self.first;
        let (at, time) = &self.reference;
        match self.events {
            1 => write!(
                f,
                "application {app} seq {seq} (log position {position}) is stamped {} before the \
                 event at log position {at} ({time}), which the log holds before it",
                span(self.behind_ms)
            )?,
            n => write!(
                f,
                "{n} events at log positions {position}–{}, the first application {app} seq \
                 {seq}, are stamped up to {} before events the log holds before them (the \
                 first, before the event at log position {at} ({time}))",
                self.last,
                span(self.behind_ms)
            )?,
        }
        write!(
            f,
            ": the clock of the gateway that stamped them was behind, or the earlier event's \
             gateway's ahead. An event's time is its gateway's clock; the signature does not \
             vouch for it"
        )
    }
}

/// A span of milliseconds for people: the two largest units.
fn span(ms: i64) -> String {
    let s = ms / 1000;
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{sec} s"),
        (0, 0, _) => format!("{m} min {sec} s"),
        (0, _, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

/// Follows the log in position order and collects its [`Backdated`] runs.
#[derive(Debug, Default)]
pub struct ClockCheck {
    /// The latest time at any position so far: its position, time and text.
    latest: Option<(u64, Timestamp, String)>,
    runs: Vec<Backdated>,
}

impl ClockCheck {
    /// Takes `e`, read at `position`, whose seal and signature held (a forged event's time
    /// says nothing of any gateway's clock). A time that does not read is not judged here.
    pub fn take(&mut self, position: u64, e: &Envelope) {
        let Some(at) = Timestamp::parse_rfc3339(&e.at) else {
            return;
        };
        match &self.latest {
            Some((ref_position, latest, text)) if latest.0 - at.0 > TOLERANCE_MS => {
                let behind_ms = latest.0 - at.0;
                match self.runs.last_mut() {
                    Some(run) if position - run.last <= QUIET_POSITIONS => {
                        run.last = position;
                        run.events += 1;
                        run.behind_ms = run.behind_ms.max(behind_ms);
                    }
                    _ => self.runs.push(Backdated {
                        first: (e.app.clone(), e.seq, position),
                        last: position,
                        events: 1,
                        behind_ms,
                        reference: (*ref_position, text.clone()),
                    }),
                }
            }
            Some((_, latest, _)) if at.0 <= latest.0 => {}
            _ => self.latest = Some((position, at, e.at.clone())),
        }
    }

    /// The runs found.
    pub fn finish(self) -> Vec<Backdated> {
        self.runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(app: &str, seq: u64, at: &str) -> Envelope {
        Envelope {
            id: String::new(),
            app: app.to_string(),
            seq,
            kind: "application.accepted".to_string(),
            schema: String::new(),
            region: "330000".to_string(),
            actor: String::new(),
            at: at.to_string(),
            data: serde_json::Value::Null,
            prev_hash: String::new(),
            hash: String::new(),
            sig: String::new(),
        }
    }

    /// Given a log whose events' times run forward, with a second's skew between gateways, then
    /// nothing is said; given a gateway whose clock was twelve days behind, its events between
    /// those of a gateway whose clock is right, then one run is said, naming the first, the
    /// count, how far behind at most and the event the first is stamped before; one more such
    /// event once a thousand positions passed without one is a run of its own.
    #[test]
    fn times_that_run_backwards_in_the_log_are_said_as_runs() {
        let mut check = ClockCheck::default();
        check.take(1, &event("a", 1, "2026-10-13T01:00:00.000Z"));
        check.take(2, &event("b", 1, "2026-10-13T00:59:59.000Z"));
        check.take(3, &event("a", 2, "2026-10-13T01:00:05.000Z"));
        check.take(4, &event("c", 1, "2026-10-01T02:00:00.000Z"));
        check.take(5, &event("a", 3, "2026-10-13T01:00:06.000Z"));
        check.take(6, &event("c", 2, "2026-10-01T02:00:01.000Z"));
        check.take(8, &event("d", 1, "2026-10-01T03:00:00.000Z"));
        check.take(9, &event("a", 4, "2026-10-13T02:00:00.000Z"));
        check.take(1_008, &event("e", 1, "2026-10-13T01:58:00.000Z"));
        check.take(2_010, &event("f", 1, "2026-10-13T01:57:00.000Z"));
        let runs = check.finish();
        assert_eq!(
            runs,
            vec![
                Backdated {
                    first: ("c".to_string(), 1, 4),
                    last: 1_008,
                    events: 4,
                    behind_ms: 12 * 86_400_000 - 3_600_000 + 5_000,
                    reference: (3, "2026-10-13T01:00:05.000Z".to_string()),
                },
                Backdated {
                    first: ("f".to_string(), 1, 2_010),
                    last: 2_010,
                    events: 1,
                    behind_ms: 180_000,
                    reference: (9, "2026-10-13T02:00:00.000Z".to_string()),
                },
            ]
        );
        let said = runs[0].to_string();
        assert!(
            said.starts_with(
                "4 events at log positions 4–1008, the first application c seq 1, are stamped \
                 up to 11 d 23 h before events the log holds before them (the first, before the \
                 event at log position 3 (2026-10-13T01:00:05.000Z))"
            ),
            "{said}"
        );
        let said = runs[1].to_string();
        assert!(
            said.contains("is stamped 3 min 0 s before the event at log position 9"),
            "{said}"
        );
    }
}
