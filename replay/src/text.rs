//! Plain-text rendering of a timeline, for terminals.

use std::fmt::Write;

use crate::printable::printable as p;
use crate::timeline::{DeadlineAt, NotCounted, Timeline};

/// How many of a timeline's deadlines were counted past the calendar (its last year, or with
/// none): weekdays alone, perhaps too early. Said once under the timeline; each such deadline is
/// marked only where some are and some are not, where every deadline of every line repeated
/// `past the calendar: Monday to Friday` (an auditor's walkthrough).
#[derive(Clone, Copy, PartialEq, Eq)]
enum PastCalendar {
    None,
    Some,
    Every,
}

impl PastCalendar {
    fn of(t: &Timeline) -> PastCalendar {
        let all = || {
            t.steps
                .iter()
                .flat_map(|s| &s.deadlines)
                .chain(&t.deadlines)
        };
        match (
            all().any(|d| !d.calendar_covers),
            all().all(|d| !d.calendar_covers),
        ) {
            (false, _) => PastCalendar::None,
            (true, false) => PastCalendar::Some,
            (true, true) => PastCalendar::Every,
        }
    }

    /// The line under the timeline that says how they were counted.
    fn footer(self) -> Option<&'static str> {
        match self {
            PastCalendar::None => None,
            PastCalendar::Some => Some(
                "due dates marked past the calendar are counted Monday to Friday alone (it lists \
                 no holidays or make-up working days for their year), so they may fall too early",
            ),
            PastCalendar::Every => Some(
                "every due date above is counted past the calendar, Monday to Friday alone (it \
                 lists no holidays or make-up working days for their year), so it may fall too \
                 early",
            ),
        }
    }
}

fn deadlines_line(ds: &[DeadlineAt], past: PastCalendar) -> String {
    if ds.is_empty() {
        return "—".into();
    }
    ds.iter()
        .map(|d| {
            let kind = serde_json::to_value(d.kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let sit = serde_json::to_value(d.situation)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            // The round and the start tell apart two clocks of one kind (a supplement starts
            // the acceptance clock again), which may share the due date and the result.
            let round = d.round.map(|n| format!(" round {n}")).unwrap_or_default();
            // Started by no acceptance: the application was accepted by law on receipt.
            let round = match d.deemed {
                true => format!("{round} (deemed accepted on receipt, Art. 32)"),
                false => round,
            };
            // A paused clock has no due date yet: what it would be if it ran again now, and
            // since when it is paused. A step's line names the pauses its event began or
            // ended, the last line every one (each step repeating all of them made a long
            // history's text grow with its square). A due date is a Beijing
            // date (the statutory days are China's), where every time beside it is UTC: said.
            let due = match &d.paused_since {
                Some(since) => format!(
                    "paused since {since}, {} of {} days used, due {} (Beijing) if resumed now",
                    d.used_days, d.limit_days, d.due
                ),
                None => format!("due {} (Beijing)", d.due),
            };
            let pauses: String = d
                .pauses
                .iter()
                .filter_map(|p| {
                    p.to.as_ref()
                        .map(|to| format!(", paused {} to {to}", p.from))
                })
                .collect();
            // Counted past the calendar's last year (or with none): weekdays alone, which the
            // footer says ([`PastCalendar::footer`]).
            let covers = match past == PastCalendar::Some && !d.calendar_covers {
                true => ", past the calendar",
                false => "",
            };
            // A clock handed on (the issue clock, to the region that delivers): who held it
            // before, from when to when.
            let before: String = d
                .handed_over
                .iter()
                .map(|h| format!(", held before by {} from {} to {}", h.region, h.from, h.to))
                .collect();
            // The start in UTC, as every time beside it, and its Beijing date, the day the
            // statutory days are counted from (a receipt on a Monday morning in Beijing is a
            // Sunday in UTC: a walkthrough counted from the wrong day).
            let started_on = crate::html::beijing(&d.started_at);
            let started_on = started_on.get(..10).unwrap_or(&started_on);
            format!(
                "{kind}{round} {sit} (started {} ({started_on} Beijing), {due}{pauses}, \
                 {}{before}{covers})",
                d.started_at, d.responsible
            )
        })
        .map(|line| p(&line).into_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The log position of an event, or `—` where the reader could not say.
fn position(at: Option<u64>) -> String {
    at.map_or_else(|| "—".to_string(), |p| p.to_string())
}

/// A row of an event not counted: who and when, and why instead of a status.
fn not_counted_row(out: &mut String, n: &NotCounted) {
    let _ = writeln!(
        out,
        "{:>4}  {:>8}  {:<24}  {:<6}  {:<18}  {:<34}  {}",
        n.seq,
        position(n.position),
        p(&n.at),
        p(&n.region),
        p(&n.actor),
        p(&n.kind),
        p(n.why.said())
    );
}

pub fn render(t: &Timeline) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "application {}  matter {}  mode {}  origin {}  handlers {}",
        p(&t.app),
        p(&t.matter),
        p(&t.mode),
        p(&t.origin),
        p(&t.handlers.join(","))
    );
    let past = PastCalendar::of(t);
    // `position`: where the event is in the log, the number a region's feed and its
    // acknowledged cursor speak in.
    let _ = writeln!(
        out,
        "{:>4}  {:>8}  {:<24}  {:<6}  {:<18}  {:<34}  {:<20}  deadlines",
        "seq", "position", "at (UTC)", "region", "actor", "event", "status after"
    );
    // The events not counted among those counted, by seq: each says why.
    let mut left = t.not_counted.iter().peekable();
    for s in &t.steps {
        while let Some(n) = left.next_if(|n| n.seq < s.seq) {
            not_counted_row(&mut out, n);
        }
        let _ = writeln!(
            out,
            "{:>4}  {:>8}  {:<24}  {:<6}  {:<18}  {:<34}  {:<20}  {}",
            s.seq,
            position(s.position),
            p(&s.at),
            p(&s.region),
            p(&s.actor),
            p(&s.kind),
            p(&s.status_after),
            deadlines_line(&s.deadlines, past)
        );
        // What was asked or done, under its event: `items: 照片、户口簿; note: …`, each on
        // this one line whatever it holds (a reason with line breaks would print rows of its
        // own, a forged event among them).
        if !s.details.is_empty() {
            let facts: Vec<String> = s
                .details
                .iter()
                .map(|d| format!("{}: {}", d.field, p(&d.text())))
                .collect();
            let _ = writeln!(out, "                {}", facts.join("; "));
        }
    }
    for n in left {
        not_counted_row(&mut out, n);
    }
    match (&t.chain_stops, t.steps.last()) {
        (Some(stop), Some(last)) => {
            let _ = writeln!(
                out,
                "the chain breaks after seq {}: {}; the state and deadlines below are as of seq {}, \
                 the last event that verifies in order, and the events from the break on are \
                 listed, not counted",
                stop.after,
                p(&stop.reason),
                last.seq
            );
            let _ = writeln!(
                out,
                "state as of seq {} ({} at {}), the last event that verifies: {}",
                last.seq,
                p(&last.kind),
                p(&t.as_of),
                p(&t.status)
            );
        }
        _ => {
            let _ = writeln!(out, "state as of {}: {}", p(&t.as_of), p(&t.status));
        }
    }
    let _ = writeln!(
        out,
        "deadlines as of {}: {}",
        p(&t.as_of),
        deadlines_line(&t.deadlines, past)
    );
    if let Some(footer) = past.footer() {
        let _ = writeln!(out, "{footer}");
    }
    out
}

#[cfg(test)]
mod tests {
    use tongban_gateway::domain::calendar::Calendar;
    use tongban_gateway::time::Timestamp;

    use crate::timeline::{self, Point};

    /// Given a decision clock suspended, when the timeline is printed as of the pause, then the
    /// decision shows as paused since the suspension with the days used and the due date if it
    /// ran again then, not the date from before the pause; once resumed, the pause is listed.
    /// With no calendar, that every due date was counted Monday to Friday alone is said once,
    /// under the timeline, not on every deadline of every line.
    #[test]
    fn a_paused_clock_shows_the_pause_not_a_stale_due_date() {
        let events = crate::reconcile::tests::suspended("GD-5");
        let at = Timestamp::parse_rfc3339("2026-11-16T01:00:00Z").expect("at");
        let t = timeline::build(
            &events,
            &crate::reconcile::tests::key(),
            &Calendar::weekdays(),
            Point::At(at.0),
            at,
        )
        .expect("timeline");
        let text = super::render(&t);
        let last = text
            .lines()
            .find(|l| l.starts_with("deadlines as of"))
            .expect("deadlines line");
        assert!(
            last.contains(
                "decision paused (started 2026-11-05T03:00:00.000Z (2026-11-05 Beijing), paused since \
                 2026-11-10T03:00:00.000Z, 3 of 20 days used, due 2026-12-09 (Beijing) if resumed \
                 now, 330000)"
            ),
            "{last}"
        );
        assert!(!last.contains("due 2026-12-03"), "{last}");
        assert!(
            !text.contains("past the calendar: Monday to Friday"),
            "{text}"
        );
        assert_eq!(
            text.matches("past the calendar").count(),
            1,
            "said once: {text}"
        );
        assert!(
            text.ends_with(
                "\nevery due date above is counted past the calendar, Monday to Friday alone (it \
                 lists no holidays or make-up working days for their year), so it may fall too \
                 early\n"
            ),
            "{text}"
        );
        let t = timeline::build(
            &events,
            &crate::reconcile::tests::key(),
            &Calendar::weekdays(),
            Point::Now,
            at,
        )
        .expect("timeline");
        let json = serde_json::to_value(&t).expect("json");
        let decision = &json["deadlines"][1];
        assert_eq!(decision["due"], "2026-12-15", "{decision}");
        assert!(decision.get("paused_since").is_none(), "{decision}");
        assert_eq!(
            decision["pauses"],
            serde_json::json!([{"from": "2026-11-10T03:00:00.000Z", "to": "2026-11-20T03:00:00.000Z"}])
        );
    }

    /// Given the issue clock handed from the issuer to the region that delivers, when the
    /// timeline is printed, then its line names who held it before, from when to when.
    #[test]
    fn a_clock_handed_on_says_who_held_it_before() {
        let events = crate::reconcile::tests::delivered_by_origin("GD-I");
        let t = timeline::build(
            &events,
            &crate::reconcile::tests::key(),
            &Calendar::weekdays(),
            Point::Now,
            Timestamp::now(),
        )
        .expect("timeline");
        let text = super::render(&t);
        let last = text
            .lines()
            .find(|l| l.starts_with("deadlines as of"))
            .expect("deadlines line");
        assert!(
            last.contains(
                "issue missed (started 2026-11-02T02:00:00.000Z (2026-11-02 Beijing), due 2026-11-16 \
                 (Beijing), 440000, held \
                 before by 330000 from 2026-11-02T02:00:00.000Z to 2026-11-06T02:00:00.000Z"
            ),
            "{last}"
        );
    }

    /// Given a calendar listing 2026 only and a decision due in 2027, when the timeline is
    /// printed, then that deadline says it was counted past the calendar, and one due within
    /// 2026 does not.
    #[test]
    fn a_deadline_past_the_calendar_says_so() {
        let events = crate::reconcile::tests::suspended("GD-5");
        let cal = Calendar::from_json(r#"{"holidays": ["2026-10-01"]}"#).expect("calendar");
        // As of the pause on 2026-12-20: resumed then, 17 working days run into 2027.
        let at = Timestamp::parse_rfc3339("2026-12-20T01:00:00Z").expect("at");
        let t = timeline::build(
            &events[..4],
            &crate::reconcile::tests::key(),
            &cal,
            Point::Now,
            at,
        )
        .expect("timeline");
        let decision = &t.deadlines[1];
        assert!(decision.due.starts_with("2027-"), "{decision:?}");
        assert!(!decision.calendar_covers);
        assert!(t.deadlines[0].calendar_covers, "{:?}", t.deadlines[0]);
        let text = super::render(&t);
        let last = text
            .lines()
            .find(|l| l.starts_with("deadlines as of"))
            .expect("deadlines line");
        let parts: Vec<&str> = last.split("; ").collect();
        assert!(!parts[0].contains("past the calendar"), "{last}");
        assert!(parts[1].ends_with(", past the calendar)"), "{last}");
        // What that means, said once under the timeline.
        assert!(
            text.ends_with(
                "\ndue dates marked past the calendar are counted Monday to Friday alone (it \
                 lists no holidays or make-up working days for their year), so they may fall too \
                 early\n"
            ),
            "{text}"
        );
        assert_eq!(text.matches("Monday to Friday").count(), 1, "{text}");
    }

    /// Given a supplement requested and supplied, when the timeline is printed, then the two
    /// acceptance clocks read as two (round 1, round 2, each with its start), not as one line
    /// twice.
    #[test]
    fn two_clocks_of_one_kind_are_told_apart() {
        let events = crate::reconcile::tests::supplemented("GD-7");
        let now = Timestamp::parse_rfc3339("2026-11-02T04:00:00Z").expect("time");
        let t = timeline::build(
            &events,
            &crate::reconcile::tests::key(),
            &Calendar::weekdays(),
            Point::Now,
            now,
        )
        .expect("timeline");
        let text = super::render(&t);
        let last = text
            .lines()
            .find(|l| l.starts_with("deadlines as of"))
            .expect("deadlines line");
        let parts: Vec<&str> = last
            .split_once(": ")
            .map(|(_, rest)| rest.split("; ").collect())
            .unwrap_or_default();
        assert_eq!(parts.len(), 2, "{last}");
        assert_ne!(parts[0], parts[1], "{last}");
        assert!(
            parts[0].starts_with("acceptance round 1 met (started 2026-11-02T02:00:00")
                && parts[1].starts_with("acceptance round 2 running (started 2026-11-02T03:00:00"),
            "{last}"
        );
        // What was asked for is under its event.
        assert!(text.contains("\n                items: 照片\n"), "{text}");
        // The only clock of its kind has no round.
        let first = crate::reconcile::tests::to_accepted("GD-8", "SL-8");
        let t = timeline::build(
            &first,
            &crate::reconcile::tests::key(),
            &Calendar::weekdays(),
            Point::Now,
            Timestamp::now(),
        )
        .expect("timeline");
        assert!(!super::render(&t).contains(" round "));
    }

    /// Given an application's four events at log positions 3, 5, 8 and 9 and a copy of its
    /// forward stored again at position 20, when its timeline is printed and given as JSON,
    /// then each event is shown at its own position, the copy too (where an auditor finds it);
    /// read without positions, none is shown rather than a wrong one.
    #[test]
    fn each_event_is_shown_at_its_log_position() {
        let mut events = crate::reconcile::tests::supplemented("GD-P");
        events.push(events[1].clone());
        let positions = [3, 5, 8, 9, 20];
        let build = || {
            timeline::build(
                &events,
                &crate::reconcile::tests::key(),
                &Calendar::weekdays(),
                Point::Now,
                Timestamp::now(),
            )
            .expect("timeline")
        };
        let t = build().place(tongban_gateway::log::Placed::new(&events, &positions));
        let text = super::render(&t);
        let row = |seq: &str, kind: &str| {
            text.lines()
                .find(|l| l.starts_with(seq) && l.contains(kind))
                .unwrap_or_default()
                .to_string()
        };
        assert!(
            text.contains("\n seq  position  at (UTC)  "),
            "the column is named: {text}"
        );
        assert!(
            row("   3  ", "supplement-requested").starts_with("   3         8  2026-"),
            "{text}"
        );
        // The copy of seq 2, not counted, at its own position.
        let copy = text
            .lines()
            .find(|l| l.contains("not counted"))
            .unwrap_or_default();
        assert!(copy.starts_with("   2        20  "), "{text}");
        let json = serde_json::to_value(&t).expect("json");
        let at: Vec<&serde_json::Value> = json["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| &s["position"])
            .collect();
        assert_eq!(at, [3, 5, 8, 9]);
        assert_eq!(json["not_counted"][0]["position"], 20, "{json}");

        // Not known: a dash and null, never a number.
        let t = build().place(tongban_gateway::log::Placed::unplaced(&events));
        assert!(
            super::render(&t).contains("\n   1         —  2026-"),
            "{}",
            super::render(&t)
        );
        let json = serde_json::to_value(&t).expect("json");
        assert_eq!(json["steps"][0]["position"], serde_json::Value::Null);
        // Positions that do not match the events one for one are none.
        let t = build().place(tongban_gateway::log::Placed::new(&events, &positions[..4]));
        assert!(t.steps.iter().all(|s| s.position.is_none()));
    }
}
