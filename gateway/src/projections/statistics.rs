//! Statistics: each region's applications, as the origin that sent them and as a handler sent
//! them, by matter and status, and its statutory clocks by kind and how they stand or closed.
//!
//! A province's platform team asks "how many did we send, how many wait on us, how many of our
//! clocks closed late" without paging its whole inbox and outbox. Counting views on each read
//! would cost a read of every application a region ever touched; instead the projections keep
//! counters, in the `meta` keyspace under [`PREFIX`], moved in the same batch as the views they
//! count: each run of events takes away what every view it touches counted before the run
//! ([`tallies`] of the stored view) and adds what it counts after. So the counters agree with the
//! views at every checkpoint, a replay after a crash moves them no further than the views, and a
//! rebuild counts them again from the log. The position they stand at is kept beside them
//! ([`AT`]): views moved on by a build that keeps no counters are counted again at the next start.
//!
//! Key: [`PREFIX`], the region, 0x00, then `origin` or `handler`, 0x00, the matter, 0x00, the
//! status; or `clock`, 0x00, the deadline's kind, 0x00, its state, counted for the region
//! responsible for it → the count (u64 BE). Codes only: no personal data.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::Serialize;

use super::view::ApplicationView;
use crate::domain::Status;
use crate::domain::deadlines::{DeadlineKind, DeadlineState};
use crate::time::CivilDate;

/// Counters by their key in `meta`, as the projections hold them in memory between runs.
pub type Counters = HashMap<Vec<u8>, u64>;

/// What every counter's key in `meta` starts with.
pub const PREFIX: &[u8] = b"statistics/";

/// The `meta` key holding the log position the counters stand at (u64 BE), written with the
/// checkpoint in every batch. A store where it is missing (made before the counters) or not the
/// checkpoint (a build without them moved the views on: a rollback) counts its views again when
/// opened by a build that has them.
pub const AT: &str = "statistics-at";

fn state_str(state: DeadlineState) -> &'static str {
    match state {
        DeadlineState::Running => "running",
        DeadlineState::Paused => "paused",
        DeadlineState::Met => "met",
        DeadlineState::Missed => "missed",
        DeadlineState::Cancelled => "cancelled",
    }
}

/// What every counter of `region` starts with.
pub fn region_prefix(region: &str) -> Vec<u8> {
    let mut k = PREFIX.to_vec();
    k.extend_from_slice(region.as_bytes());
    k.push(0);
    k
}

fn counter(region: &str, parts: [&str; 3]) -> Vec<u8> {
    let mut k = region_prefix(region);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            k.push(0);
        }
        k.extend_from_slice(p.as_bytes());
    }
    k
}

/// The counters `view` adds one to: its origin's (`origin`, matter, status), each handler's
/// (`handler`, matter, status, once per region), and each deadline's responsible region's
/// (`clock`, kind, state).
pub fn tallies(view: &ApplicationView) -> Vec<Vec<u8>> {
    let s = &view.state;
    let (matter, status) = (s.matter.as_str(), s.status.as_str());
    let mut out = Vec::with_capacity(2 + s.handlers.len() + view.deadlines.0.len());
    out.push(counter(&s.origin, ["origin", matter, status]));
    for (i, h) in s.handlers.iter().enumerate() {
        if !s.handlers[..i].contains(h) {
            out.push(counter(h, ["handler", matter, status]));
        }
    }
    for d in &view.deadlines.0 {
        out.push(counter(
            &d.responsible,
            [
                "clock",
                super::running::kind_str(d.kind),
                state_str(d.state),
            ],
        ));
    }
    out
}

/// Adds `sign` (+1 or −1) to each of `keys` in `into`.
pub fn count(into: &mut HashMap<Vec<u8>, i64>, keys: Vec<Vec<u8>>, sign: i64) {
    for k in keys {
        *into.entry(k).or_default() += sign;
    }
}

/// `count` moved by `delta`, never below 0 (a counter below its views is a bug, not a number
/// to show).
pub fn moved(count: u64, delta: i64) -> u64 {
    count.saturating_add_signed(delta)
}

/// A region's applications in one role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Tally {
    /// Every application, whatever its status.
    pub total: u64,
    /// Those not yet closed (neither delivered, not accepted nor withdrawn).
    pub open: u64,
    /// By status (`submitted`, `accepted`, … as `GET /v1/applications/{id}` says it).
    pub by_status: BTreeMap<String, u64>,
    /// By matter (`GET /v1/matters`), each by status.
    pub by_matter: BTreeMap<String, MatterTally>,
}

/// A region's applications of one matter in one role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MatterTally {
    pub total: u64,
    pub by_status: BTreeMap<String, u64>,
}

/// The statutory clocks of one kind a region is responsible for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ClockTally {
    /// Running now, overdue ones included: a decision clock of a deemed acceptance (行政许可法
    /// Art. 32) from the day after the acceptance window ran out unanswered, before any event
    /// started it.
    pub running: u64,
    /// Of those running, the ones past their due date on the day of the answer (Beijing date), or
    /// on the day of `at` for statistics as of that instant.
    pub overdue: u64,
    /// Paused by a suspension (特别程序).
    pub paused: u64,
    /// Closed on or before the due date.
    pub met: u64,
    /// Closed after it.
    pub missed: u64,
    /// Ended by a withdrawal while open.
    pub cancelled: u64,
}

/// What `GET /v1/regions/{region}/statistics` answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RegionStatistics {
    pub region: String,
    /// The log position the projections had applied when the counters were read: every event
    /// up to it is counted, none after. As of an instant (`at`): the last log position holding
    /// an event accepted at or before it.
    pub position: u64,
    /// The applications this region sent (收件地).
    pub as_origin: Tally,
    /// The applications naming this region as a handler (办理地), joint ones included, from
    /// their submission on: those not yet forwarded to it count under `submitted` (and, once
    /// withdrawn before it got them, under `withdrawn`), as it can read them from the start.
    pub as_handler: Tally,
    /// Its statutory clocks (行政许可法), by kind: `acceptance`, `decision`, `issue`.
    pub clocks: BTreeMap<String, ClockTally>,
    /// Statistics as of a past instant (`?at=`, counted from the log): that instant (RFC 3339,
    /// UTC). Everything counted is as it stood then: the applications as folded from their events
    /// accepted at or before it, their clocks judged overdue on its Beijing date; `position` is
    /// then the last log position holding an event accepted at or before it. Absent from the
    /// statistics of now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// As of an instant: the records of the log that are not events, which the count was read
    /// past (`unreadable`, `unreadable_count`): the figures leave them out. Absent when there are
    /// none, and from the statistics of now (the projections' held list names those).
    #[serde(flatten)]
    pub passed_over: crate::log::PassedOver,
}

impl RegionStatistics {
    /// Nothing counted yet for `region` at `position`, every kind of clock listed: the answer has
    /// one shape whatever was counted.
    pub fn new(region: &str, position: u64) -> RegionStatistics {
        RegionStatistics {
            region: region.to_string(),
            position,
            clocks: DeadlineKind::ALL
                .iter()
                .map(|k| {
                    (
                        super::running::kind_str(*k).to_string(),
                        ClockTally::default(),
                    )
                })
                .collect(),
            ..RegionStatistics::default()
        }
    }

    /// Adds one stored counter (its key after the region's prefix, and its count).
    pub fn add(&mut self, rest: &[u8], n: u64) {
        let mut parts = rest.split(|b| *b == 0).map(String::from_utf8_lossy);
        let (Some(role), Some(a), Some(b)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        let tally = match role.as_ref() {
            "origin" => &mut self.as_origin,
            "handler" => &mut self.as_handler,
            "clock" => {
                let clock = self.clocks.entry(a.into_owned()).or_default();
                match b.as_ref() {
                    "running" => clock.running += n,
                    "paused" => clock.paused += n,
                    "met" => clock.met += n,
                    "missed" => clock.missed += n,
                    "cancelled" => clock.cancelled += n,
                    _ => {}
                }
                return;
            }
            _ => return,
        };
        tally.total += n;
        // Open unless its status is final, as the lifecycle judges it.
        if !Status::ALL
            .iter()
            .any(|s| s.as_str() == b.as_ref() && s.is_final())
        {
            tally.open += n;
        }
        *tally.by_status.entry(b.clone().into_owned()).or_default() += n;
        let matter = tally.by_matter.entry(a.into_owned()).or_default();
        matter.total += n;
        *matter.by_status.entry(b.into_owned()).or_default() += n;
    }

    /// Counts one of the region's running clocks, as the index of running clocks holds it
    /// ([`super::running`]: its due date, its kind, and whether it is `deemed`), as it stands on
    /// `today` (a Beijing date): overdue once its due date is past. An acceptance window of a
    /// deemed acceptance (行政许可法 Art. 32) that has run out also counts the decision clock it
    /// started as running: no event started that clock, so no counter holds it
    /// ([`super::running::entries`]). `deemed` is asked only then (the store reads it from the
    /// entry's value). The one judgement of the statistics of now and of those as of an instant.
    pub fn add_running(
        &mut self,
        due: &str,
        kind: DeadlineKind,
        deemed: impl FnOnce() -> bool,
        today: CivilDate,
    ) {
        if !crate::domain::deadlines::overdue_on(due, today) {
            return;
        }
        let mut add = |kind: DeadlineKind, running: u64, overdue: u64| {
            let clock = self
                .clocks
                .entry(super::running::kind_str(kind).to_string())
                .or_default();
            clock.running += running;
            clock.overdue += overdue;
        };
        add(kind, 0, 1);
        // It is overdue too when its own entry is among those counted.
        if kind == DeadlineKind::Acceptance && deemed() {
            add(DeadlineKind::Decision, 1, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_moves_by_its_delta_and_never_below_zero() {
        assert_eq!(moved(3, 2), 5);
        assert_eq!(moved(3, -2), 1);
        assert_eq!(moved(1, -2), 0);
    }

    #[test]
    fn counters_read_back_into_a_regions_statistics() {
        let mut s = RegionStatistics::default();
        let key =
            |parts: [&str; 3]| counter("440000", parts)[region_prefix("440000").len()..].to_vec();
        s.add(&key(["origin", "medical-filing", "submitted"]), 2);
        s.add(&key(["origin", "medical-filing", "delivered"]), 1);
        s.add(&key(["origin", "hukou-transfer", "accepted"]), 4);
        s.add(&key(["handler", "pension-transfer", "withdrawn"]), 5);
        s.add(&key(["clock", "decision", "missed"]), 3);
        s.add(&key(["clock", "decision", "met"]), 7);
        assert_eq!(s.as_origin.total, 7);
        assert_eq!(s.as_origin.open, 6, "delivered is closed");
        assert_eq!(s.as_origin.by_status["submitted"], 2);
        assert_eq!(
            s.as_origin.by_matter["hukou-transfer"].by_status["accepted"],
            4
        );
        assert_eq!(s.as_handler.total, 5);
        assert_eq!(s.as_handler.open, 0);
        assert_eq!(s.clocks["decision"].missed, 3);
        assert_eq!(s.clocks["decision"].met, 7);
    }
}
