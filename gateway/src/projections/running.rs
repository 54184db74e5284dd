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

use serde::{Deserialize, Serialize};

use super::view::ApplicationView;
use crate::domain::deadlines::{DeadlineKind, DeadlineState};
use crate::time::CivilDate;

/// What an entry holds besides its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Clock {
    pub matter: String,
    pub responsible: String,
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

/// The key a page's `next` names (`due/app/kind`), or why it is not one.
pub fn cursor_key(cursor: &str) -> Result<Vec<u8>, String> {
    let mut parts = cursor.splitn(3, '/');
    let (Some(due), Some(app), Some(kind)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(format!(
            "after must be a page's next (due/app/kind), got {cursor:?}"
        ));
    };
    if CivilDate::parse(due).is_none() {
        return Err(format!(
            "after must start with a date (YYYY-MM-DD), got {due:?}"
        ));
    }
    let kind = kind_of(kind.as_bytes()).ok_or_else(|| {
        format!("after must end with a deadline kind (acceptance, decision, issue), got {kind:?}")
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

/// The entries of `view`'s running clocks.
pub(super) fn entries(view: &ApplicationView) -> Vec<(Vec<u8>, Clock)> {
    view.deadlines
        .0
        .iter()
        .filter(|d| d.state == DeadlineState::Running)
        .map(|d| {
            (
                key(&d.due, &view.state.id, d.kind),
                Clock {
                    matter: view.state.matter.clone(),
                    responsible: d.responsible.clone(),
                },
            )
        })
        .collect()
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
        };
        assert_eq!(cursor_key(&clock.cursor()), Ok(early));
        for bad in [
            "2026-11-09",
            "2026-13-09/x/decision",
            "2026-11-09/x/hearing",
        ] {
            assert!(cursor_key(bad).is_err(), "{bad}");
        }
    }
}
