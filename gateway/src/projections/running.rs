//! The index of running clocks, by due date: what an operator's daily "who is late" reads
//! (`GET /v1/deadlines/overdue`, the `tongban_deadlines_overdue` gauge) without reading every
//! application's view.
//!
//! Each running deadline of each view ([`crate::domain::deadlines::DeadlineState::Running`]: a
//! paused clock is not in it, nor a closed one) has one entry: its due date (`YYYY-MM-DD`,
//! which sorts as the dates do), 0x00, the application id, 0x00, the deadline's kind →
//! [`Clock`] JSON (the matter and the responsible region). The projections keep it as they fold
//! events, in the same batch as the views, so the clocks due before a day are one range read.
//! Ids, codes and dates only: no personal data.
//!
//! Each entry is kept a second time under its responsible region: the region, 0x00, then the
//! entry's key ([`by_region`]), with the same value. A region's list (a region's token) reads
//! only its own clocks due before a day, one range read of that prefix, instead of every
//! region's overdue clocks filtered: its cost follows that region's backlog, not the
//! federation's.
//!
//! Which region must act on a clock is the `responsible` of its deadline: the lead handler, set
//! when the clock starts and never changed while it runs. A supplement request (补正告知) moves
//! the turn to the origin by closing the acceptance clock, not by handing it over (the origin
//! has no statutory clock on its supplement); the supplement starts a new acceptance clock for
//! the lead. A suspension takes a clock out of both orders, a resumption puts it back under its
//! new due date, and a closure removes it. The projections still compare each view's entries
//! in both orders before and after each run, so an entry whose region changed would move too.

use serde::{Deserialize, Serialize};

use super::view::ApplicationView;
use crate::domain::deadlines::{DeadlineKind, DeadlineState};
use crate::time::CivilDate;

/// What an entry holds besides its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Clock {
    pub matter: String,
    pub responsible: String,
    /// The deemed acceptance (行政许可法 Art. 32). On a decision entry: the clock runs from the
    /// receipt because the acceptance window ran out unanswered (folded in, or not yet: see
    /// [`entries`]). On an acceptance entry: no event has started that clock, and it runs
    /// once this window has run out, which is how a region's statistics count it as running
    /// before it is overdue. Absent from entries written before it was recorded.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deemed: bool,
}

/// A running clock whose due date is past, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct OverdueClock {
    pub app: String,
    /// The matter's code (`GET /v1/matters`).
    pub matter: String,
    pub kind: DeadlineKind,
    /// The region that must act.
    pub responsible: String,
    /// The last day (China date, inclusive) it had to act on.
    pub due: String,
    /// Calendar days (自然日) since the due date, by the Beijing date of the answer: 1 the day
    /// after it.
    pub days_overdue: i64,
    /// A decision clock of a deemed acceptance (行政许可法 Art. 32): the acceptance window ran
    /// out with neither acceptance, refusal nor 补正告知, so the application is accepted as of
    /// its receipt and this clock runs from the receipt, accepted later or not. Absent
    /// otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deemed: bool,
}

impl OverdueClock {
    /// `next` of a page ending with this clock: its place in the index (`due/app/kind`).
    pub fn cursor(&self) -> String {
        format!("{}/{}/{}", self.due, self.app, kind_str(self.kind))
    }
}

pub fn kind_str(kind: DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::Acceptance => "acceptance",
        DeadlineKind::Decision => "decision",
        DeadlineKind::Issue => "issue",
    }
}

pub(super) fn kind_of(s: &[u8]) -> Option<DeadlineKind> {
    match s {
        b"acceptance" => Some(DeadlineKind::Acceptance),
        b"decision" => Some(DeadlineKind::Decision),
        b"issue" => Some(DeadlineKind::Issue),
        _ => None,
    }
}

pub(super) fn key(due: &str, app: &str, kind: DeadlineKind) -> Vec<u8> {
    let kind = kind_str(kind);
    let mut k = Vec::with_capacity(due.len() + app.len() + kind.len() + 2);
    k.extend_from_slice(due.as_bytes());
    k.push(0);
    k.extend_from_slice(app.as_bytes());
    k.push(0);
    k.extend_from_slice(kind.as_bytes());
    k
}

/// The key of `key`'s entry (as [`key`] makes it) in the order of region `responsible`: the
/// region, 0x00, then `key`. The index of a region's clocks sorts as the index of all does.
pub(super) fn by_region(responsible: &str, key: &[u8]) -> Vec<u8> {
    let mut k = region_prefix(responsible);
    k.extend_from_slice(key);
    k
}

/// What every key of region `responsible`'s clocks starts with.
pub(super) fn region_prefix(responsible: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(responsible.len() + 1 + 40);
    k.extend_from_slice(responsible.as_bytes());
    k.push(0);
    k
}

/// The key a page's `next` names (`due/app/kind`), or why it is not one.
pub fn cursor_key(cursor: &str) -> Result<Vec<u8>, String> {
    let mut parts = cursor.splitn(3, '/');
    let (Some(due), Some(app), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "after must be a page's next (due/app/kind), got {}",
            crate::shown::said(cursor, crate::shown::code)
        ));
    };
    if CivilDate::parse(due).is_none() {
        return Err(format!(
            "after must start with a date (YYYY-MM-DD), got {}",
            crate::shown::said(due, crate::shown::time)
        ));
    }
    let kind = kind_of(kind.as_bytes()).ok_or_else(|| {
        format!(
            "after must end with a deadline kind (acceptance, decision, issue), got {}",
            crate::shown::said(kind, crate::shown::code)
        )
    })?;
    Ok(key(due, app, kind))
}

/// The parts of a key: due date, application id, kind (`None` for one this build does not
/// read).
pub(super) fn parts(key: &[u8]) -> Option<(&str, &str, DeadlineKind)> {
    let due = std::str::from_utf8(key.get(..10)?).ok()?;
    let rest = key.get(11..)?;
    let split = rest.iter().position(|b| *b == 0)?;
    let app = std::str::from_utf8(&rest[..split]).ok()?;
    Some((due, app, kind_of(&rest[split + 1..])?))
}

/// One running clock as the index holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Entry {
    /// Its key in the order of all clocks ([`key`]).
    pub key: Vec<u8>,
    /// Its key in the order of its responsible region's ([`by_region`]).
    pub by_region: Vec<u8>,
    pub clock: Clock,
}

/// The entries of `view`'s running clocks, and of the decision clock its open acceptance window
/// starts if it runs out unanswered (a deemed acceptance, 行政许可法 Art. 32), under the due date
/// the window recorded for it ([`crate::domain::deadlines::Deadline::deemed_due`]). No event
/// marks the day that clock starts, so the index holds it from the window's opening: by its
/// due date, which comes after the window's, it is listed only once it runs and has run out.
/// An acceptance in time replaces it with the clock it starts; a late one folds in this very
/// clock, under the same key. A window stored before it recorded that date has no such entry
/// until an event after it ran out folds the clock in (or `tongban rebuild`).
pub(super) fn entries(view: &ApplicationView) -> Vec<Entry> {
    let entry = |kind: DeadlineKind, due: &str, responsible: &str, deemed: bool| {
        let key = key(due, &view.state.id, kind);
        Entry {
            by_region: by_region(responsible, &key),
            key,
            clock: Clock {
                matter: view.state.matter.clone(),
                responsible: responsible.to_string(),
                deemed,
            },
        }
    };
    let mut out = Vec::new();
    for d in &view.deadlines.0 {
        if d.state != DeadlineState::Running {
            continue;
        }
        let pending = d
            .deemed_due
            .as_deref()
            .filter(|_| !view.state.status.is_final());
        out.push(entry(
            d.kind,
            &d.due,
            &d.responsible,
            d.deemed || pending.is_some(),
        ));
        if let Some(due) = pending {
            out.push(entry(DeadlineKind::Decision, due, &d.responsible, true));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_due_date_and_read_back() {
        let app = "0192aaaa-0000-7000-8000-000000000001";
        let early = key("2026-11-09", app, DeadlineKind::Decision);
        let late = key("2026-11-10", "0", DeadlineKind::Acceptance);
        assert!(early < late);
        // The day after the due date bounds the range of those due before it.
        assert!(early < b"2026-11-10".to_vec());
        assert!(b"2026-11-09".to_vec() < early);
        assert_eq!(
            parts(&early),
            Some(("2026-11-09", app, DeadlineKind::Decision))
        );
        let clock = OverdueClock {
            app: app.into(),
            matter: "m".into(),
            kind: DeadlineKind::Decision,
            responsible: "330000".into(),
            due: "2026-11-09".into(),
            days_overdue: 1,
            deemed: false,
        };
        assert_eq!(cursor_key(&clock.cursor()), Ok(early.clone()));
        // A region's order is the same order within its prefix, and no other region's key
        // falls inside it, even one that starts with the same digits.
        let in_region = by_region("330000", &early);
        assert!(in_region.starts_with(&region_prefix("330000")));
        assert_eq!(
            parts(&in_region[region_prefix("330000").len()..]),
            parts(&early)
        );
        assert!(by_region("330000", &early) < by_region("330000", &late));
        let mut end = region_prefix("330000");
        end.extend_from_slice(b"2026-11-10");
        assert!(in_region < end);
        for other in ["3300001", "33000", "340000"] {
            let k = by_region(other, &early);
            assert!(!(region_prefix("330000") <= k && k < end), "{other}");
        }
        for bad in [
            "2026-11-09",
            "2026-13-09/x/decision",
            "2026-11-09/x/hearing",
        ] {
            assert!(cursor_key(bad).is_err(), "{bad}");
        }
    }
}
