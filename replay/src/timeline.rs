//! The timeline of one application: each event with who acted, when, the state after it and how
//! every statutory deadline stood at that moment; and the state as of any point (a seq or a time).

use serde::Serialize;
use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::domain::deadlines::{Deadline, DeadlineKind, Holding, Pause, Situation};
use tongban_gateway::envelope::Envelope;
use tongban_gateway::projections::ApplicationView;
use tongban_gateway::projections::view::FoldError;
use tongban_gateway::time::Timestamp;
use tongban_schemas::registry::Numeral;

/// Where to stop. In JSON `{"kind": "now"}`, `{"kind": "seq", "value": 3}` or `{"kind": "at",
/// "value": "2026-11-10T00:00:00.000Z"}` (see [`PointJson`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// Everything, judged as of now.
    Now,
    /// Up to and including this seq.
    Seq(u64),
    /// Everything that happened at or before this instant (milliseconds since the epoch).
    At(i64),
}

/// [`Point`] as the JSON of a timeline says it: a moment in RFC 3339 UTC with milliseconds, as
/// `as_of` and every step's `at` are, not milliseconds since the epoch.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "value")]
enum PointJson {
    Now,
    Seq(u64),
    At(String),
}

impl Serialize for Point {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Point::Now => PointJson::Now,
            Point::Seq(n) => PointJson::Seq(n),
            Point::At(ms) => PointJson::At(Timestamp(ms).to_rfc3339()),
        }
        .serialize(s)
    }
}

/// Why a point asked for (`at` / `seq`, from the command line or a query) names no state of the
/// application: the field is named by the caller, in its own terms (`--at`, `?at=`).
/// A seq past the end, as a refusal says it: as a number up to 99,999 (no application has more
/// events), else by its digits' count: a phone or an ID number's digits may have been typed.
fn shown_seq(seq: u64) -> String {
    match seq < 100_000 {
        true => seq.to_string(),
        false => format!("a number of {} digits", seq.to_string().len()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointError {
    #[error("give at or seq, not both")]
    Both,
    #[error("{} is not an RFC 3339 time such as 2026-11-23T08:00:00+08:00", tongban_gateway::shown::said(.0, tongban_gateway::shown::time))]
    BadAt(String),
    #[error(
        "{} is not a whole number as written: digits without a sign, spaces or leading zeros",
        tongban_gateway::shown::said(.0, tongban_gateway::shown::seq)
    )]
    BadSeq(String),
    /// A whole number, larger than any seq can be (2^64 − 1): out of range, not misspelt. Said
    /// by its length: a number that long may be an ID number's digits.
    #[error("a number of {} digits: no application has that many events (a seq is at most 18446744073709551615)", .0.chars().filter(char::is_ascii_digit).count())]
    SeqTooLarge(String),
    #[error("0: events count from seq 1")]
    SeqZero,
    #[error("{}: application {app} has {last} event(s), seq 1 to {last}", shown_seq(*seq))]
    SeqPast { seq: u64, app: String, last: u64 },
    #[error("{at} is before application {app}'s first event, at {first}")]
    BeforeFirst {
        at: String,
        app: String,
        first: String,
    },
    /// A moment yet to come: the log holds what happened up to now only, so a state "as of" a
    /// later moment would be a forecast shown as evidence (events may still come before it).
    #[error("{at} is after now ({now}): the log tells no state yet to come")]
    Future { at: String, now: String },
}

impl PointError {
    /// The refusal with the moment as the caller wrote it (`2026-12-06T00:55:33+08:00`), the UTC
    /// form it was read as after it in parentheses where the two differ: [`Point::check`] has
    /// only the instant, and a caller who wrote Beijing time would not find their own value in
    /// a UTC one (`2026-12-05T16:55:33.000Z`) and may take it for another.
    pub fn as_written(self, written: Option<&str>) -> PointError {
        let quote = |utc: String| match written {
            Some(w) if w != utc => format!("{w} ({utc})"),
            _ => utc,
        };
        match self {
            PointError::BeforeFirst { at, app, first } => PointError::BeforeFirst {
                at: quote(at),
                app,
                first,
            },
            PointError::Future { at, now } => PointError::Future { at: quote(at), now },
            e => e,
        }
    }

    /// Which of the two was wrong (`at`, `seq`; `at` and `seq` together: `seq`, the second).
    pub fn field(&self) -> &'static str {
        match self {
            PointError::BadAt(_) | PointError::BeforeFirst { .. } | PointError::Future { .. } => {
                "at"
            }
            _ => "seq",
        }
    }

    /// The rule broken, as problem `errors` name rules.
    pub fn rule(&self) -> &'static str {
        match self {
            PointError::Both => "exclusive",
            PointError::BadAt(_) => "format",
            PointError::BadSeq(_) => "type",
            PointError::SeqZero
            | PointError::SeqTooLarge(_)
            | PointError::SeqPast { .. }
            | PointError::BeforeFirst { .. }
            | PointError::Future { .. } => "range",
        }
    }
}

impl Point {
    /// The point `at` (RFC 3339) or `seq` name, or now when neither is given.
    pub fn parse(at: Option<&str>, seq: Option<&str>) -> Result<Point, PointError> {
        match (at, seq) {
            (Some(_), Some(_)) => Err(PointError::Both),
            (Some(at), None) => Timestamp::parse_rfc3339(at)
                .map(|t| Point::At(t.0))
                .ok_or_else(|| PointError::BadAt(at.to_string())),
            // One spelling for a number, as the registry's versions have (`03`, `+3` and ` 3`
            // are refused as misspelt), and a number too large for a seq is out of range.
            (None, Some(seq)) => match Numeral::read(seq) {
                Numeral::Number(0) => Err(PointError::SeqZero),
                Numeral::Number(n) => Ok(Point::Seq(n)),
                Numeral::TooLarge => Err(PointError::SeqTooLarge(seq.to_string())),
                Numeral::Misspelt => Err(PointError::BadSeq(seq.to_string())),
            },
            (None, None) => Ok(Point::Now),
        }
    }

    /// Refuses a point that names no state of `events` (one application, in seq order) as of
    /// `now`: a seq past the last, which has no state yet (showing the last under that name would
    /// say the application went no further by then), a time before the first event, or a time
    /// after `now`.
    pub fn check(self, events: &[Envelope], now: Timestamp) -> Result<Point, PointError> {
        // In the order of their seqs, whatever the log's (a copy stored after the last event).
        let (Some(first), Some(last)) = (
            events.iter().min_by_key(|e| e.seq),
            events.iter().max_by_key(|e| e.seq),
        ) else {
            return Ok(self);
        };
        match self {
            Point::At(ms) if ms > now.0 => Err(PointError::Future {
                at: Timestamp(ms).to_rfc3339(),
                now: now.to_rfc3339(),
            }),
            Point::Seq(0) => Err(PointError::SeqZero),
            Point::Seq(n) if n > last.seq => Err(PointError::SeqPast {
                seq: n,
                app: first.app.clone(),
                last: last.seq,
            }),
            Point::At(ms) if Timestamp::parse_rfc3339(&first.at).is_some_and(|t| ms < t.0) => {
                Err(PointError::BeforeFirst {
                    at: Timestamp(ms).to_rfc3339(),
                    app: first.app.clone(),
                    first: first.at.clone(),
                })
            }
            point => Ok(point),
        }
    }
}

/// A deadline as it stood at some moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineAt {
    pub kind: DeadlineKind,
    pub responsible: String,
    /// The regions that held the clock before `responsible`, each from when to when
    /// ([`Deadline::handed_over`]): the issue clock's issuer, when another region delivers.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub handed_over: Vec<Holding>,
    pub started_at: String,
    /// The last day to act (Beijing date). While paused: the day the clock would run out if it
    /// resumed at the moment judged ([`Deadline::due_at`]), since the date before the pause no
    /// longer binds.
    pub due: String,
    pub limit_days: u32,
    /// Working days used before the current running stretch: before the pause, while paused.
    pub used_days: u32,
    pub situation: Situation,
    /// While paused: when the suspension began.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<String>,
    /// The clock's suspensions so far, oldest first (an open one has no `to`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<Pause>,
    /// Whether the calendar lists dates for the year `due` falls in ([`Calendar::covers`]);
    /// false: counted Monday to Friday alone, and perhaps due too early.
    pub calendar_covers: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// A decision clock that runs from the receipt because the application was accepted by law
    /// (行政许可法 Art. 32: the acceptance window ran out unanswered), acceptance or not.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deemed: bool,
    /// Which clock of its kind for its region this is (1, 2, …), when there is more than one: a
    /// supplement request closes the acceptance clock and the supplement starts another, and the
    /// two may share a due date and a result. `None` for the only one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub seq: u64,
    pub at: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub region: String,
    pub actor: String,
    pub status_after: String,
    pub deadlines: Vec<DeadlineAt>,
    /// What the event asked for or recorded ([`crate::details`]): the 补正 items, a reason, the
    /// licence issued.
    pub details: Vec<crate::details::Detail>,
    pub hash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub app: String,
    pub matter: String,
    pub mode: String,
    pub origin: String,
    pub handlers: Vec<String>,
    pub point: Point,
    /// When the state below is judged (RFC 3339).
    pub as_of: String,
    pub steps: Vec<Step>,
    /// The status at the point.
    pub status: String,
    /// The deadlines at the point.
    pub deadlines: Vec<DeadlineAt>,
    /// Where the signed chain stopped running in seq order, when it did: the steps, status and
    /// deadlines above are as of the event before, the last one in order ([`in_chain_order`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_stops: Option<ChainStop>,
}

/// Where an application's events stop forming one chain in seq order: a seq missing, two
/// different events claiming one seq, or an event whose `prev_hash` is not its predecessor's
/// hash. Nothing after it is folded: a state built past a break would be one the gateway may
/// never have had (a copy of an old event folded again, a decision before its acceptance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainStop {
    /// The last seq folded (0: not even the first).
    pub after: u64,
    pub reason: String,
    /// The same, in Chinese, for the evidence page (which is in Chinese throughout).
    #[serde(skip)]
    pub reason_zh: String,
}

/// `events` (one application, in any order: the log's positions or its seqs) as the chain they
/// sign, from seq 1 on: by seq, a byte-identical copy of an event left out, up to where the
/// chain stops following ([`ChainStop`]). An intact history comes back whole, in seq order.
pub fn in_chain_order(events: &[Envelope]) -> (Vec<&Envelope>, Option<ChainStop>) {
    let mut sorted: Vec<&Envelope> = events.iter().collect();
    sorted.sort_by_key(|e| e.seq);
    let mut chain: Vec<&Envelope> = Vec::with_capacity(sorted.len());
    for e in sorted {
        let (expected, prev_hash) = chain
            .last()
            .map_or((1, ""), |p| (p.seq.saturating_add(1), p.hash.as_str()));
        if chain
            .last()
            .is_some_and(|p| p.seq == e.seq && p.hash == e.hash)
        {
            continue;
        }
        if e.seq == expected && e.prev_hash == prev_hash {
            chain.push(e);
            continue;
        }
        let (reason, reason_zh) = if e.seq < expected {
            // Neither claimant is folded: which one the gateway appended, the chain cannot tell.
            let claimed = chain.pop().map_or("", |p| p.hash.as_str());
            (
                format!(
                    "two different events claim seq {} (hashes {claimed} and {}); neither is \
                     folded",
                    e.seq, e.hash
                ),
                format!(
                    "两个不同的事件都标为第 {} 号（哈希 {claimed} 与 {}），均不计入",
                    e.seq, e.hash
                ),
            )
        } else if e.seq > expected {
            (
                format!(
                    "seq {expected} is missing (the next event is seq {})",
                    e.seq
                ),
                format!("缺少第 {expected} 号事件（下一个事件为第 {} 号）", e.seq),
            )
        } else {
            let before = expected.saturating_sub(1);
            (
                format!(
                    "seq {} does not follow seq {before}: its prev_hash is not that event's hash",
                    e.seq
                ),
                format!(
                    "第 {} 号事件的上一哈希（prev_hash）不是第 {before} 号事件的哈希，二者不相衔接",
                    e.seq
                ),
            )
        };
        let after = chain.last().map_or(0, |p| p.seq);
        return (
            chain,
            Some(ChainStop {
                after,
                reason,
                reason_zh,
            }),
        );
    }
    (chain, None)
}

/// `view`'s deadlines as they stood at `when` ([`ApplicationView::deadlines_at`]: with the
/// decision clock of a deemed acceptance once the acceptance window had run out).
fn deadlines_at(view: &ApplicationView, when: Timestamp, cal: &Calendar) -> Vec<DeadlineAt> {
    let stood = view.deadlines_at(when, cal);
    let all = &stood.0;
    let same = |a: &Deadline, b: &Deadline| a.kind == b.kind && a.responsible == b.responsible;
    all.iter()
        .enumerate()
        .map(|(i, d)| {
            // Clocks are kept in the order they started: the round is the count up to this one.
            let before = all[..i].iter().filter(|o| same(o, d)).count();
            let total = all.iter().filter(|o| same(o, d)).count();
            DeadlineAt {
                kind: d.kind,
                responsible: d.responsible.clone(),
                handed_over: d.handed_over.clone(),
                started_at: d.started_at.clone(),
                due: d.due_at(when, cal),
                limit_days: d.limit_days,
                used_days: d.used_days,
                situation: d.situation(when),
                paused_since: d.paused_since().map(str::to_string),
                pauses: d.pauses.clone(),
                calendar_covers: d.calendar_covers(when, cal),
                closed_at: d.closed_at.clone(),
                deemed: d.deemed,
                round: (total > 1).then(|| u32::try_from(before + 1).unwrap_or(u32::MAX)),
            }
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error(transparent)]
    Fold(#[from] FoldError),
    #[error("application {0} has no events")]
    Empty(String),
    #[error("application {app} has no event at or before {point}")]
    BeforeStart { app: String, point: String },
    /// Not even its first event starts the chain ([`in_chain_order`]).
    #[error("application {app}'s events do not start a chain at seq 1: {reason}")]
    NoStart { app: String, reason: String },
}

/// Builds the timeline of `events` (one application) up to `point`, folding them in the order
/// of their chain and no further than it runs ([`in_chain_order`]).
pub fn build(
    events: &[Envelope],
    cal: &Calendar,
    point: Point,
    now: Timestamp,
) -> Result<Timeline, TimelineError> {
    let (chain, chain_stops) = in_chain_order(events);
    let first = match (chain.first(), events.first(), &chain_stops) {
        (Some(first), _, _) => *first,
        (None, Some(any), Some(stop)) => {
            return Err(TimelineError::NoStart {
                app: any.app.clone(),
                reason: stop.reason.clone(),
            });
        }
        _ => return Err(TimelineError::Empty(String::new())),
    };
    let app = first.app.clone();
    let chain_len = chain.len();
    let mut view: Option<ApplicationView> = None;
    let mut steps = Vec::new();
    for e in chain {
        let at = Timestamp::parse_rfc3339(&e.at);
        let included = match point {
            Point::Now => true,
            Point::Seq(n) => e.seq <= n,
            Point::At(ms) => at.is_some_and(|t| t.0 <= ms),
        };
        if !included {
            break;
        }
        let next = ApplicationView::fold(view.take(), e, cal)?;
        let when = at.unwrap_or(now);
        steps.push(Step {
            seq: e.seq,
            at: e.at.clone(),
            kind: e.kind.clone(),
            region: e.region.clone(),
            actor: e.actor.clone(),
            status_after: next.state.status.as_str().to_string(),
            deadlines: deadlines_at(&next, when, cal),
            details: crate::details::of(e),
            hash: e.hash.clone(),
        });
        view = Some(next);
    }
    let view = view.ok_or_else(|| TimelineError::BeforeStart {
        app: app.clone(),
        point: match point {
            Point::At(ms) => Timestamp(ms).to_rfc3339(),
            Point::Seq(n) => format!("seq {n}"),
            Point::Now => "now".into(),
        },
    })?;
    let as_of = match point {
        Point::Now => now,
        Point::At(ms) => Timestamp(ms),
        Point::Seq(_) => steps
            .last()
            .and_then(|s| Timestamp::parse_rfc3339(&s.at))
            .unwrap_or(now),
    };
    Ok(Timeline {
        app,
        matter: view.state.matter.clone(),
        mode: view.state.mode.as_str().to_string(),
        origin: view.state.origin.clone(),
        handlers: view.state.handlers.clone(),
        point,
        as_of: as_of.to_rfc3339(),
        status: view.state.status.as_str().to_string(),
        deadlines: deadlines_at(&view, as_of, cal),
        // Said where the point lies past it: a point before the break is told in full.
        chain_stops: chain_stops.filter(|_| steps.len() == chain_len),
        steps,
    })
}

/// Where a history stops folding: the first event this build cannot read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub seq: u64,
    pub reason: String,
}

/// The timeline as of now, as far as the events fold: all of them, or those before the first
/// that does not (which is then returned too). No timeline when not even the first folds.
///
/// For the evidence page, which must show the chain's verification and every raw event whatever
/// this build makes of them: a party needs that page most when an event does not read.
pub fn build_readable(
    events: &[Envelope],
    cal: &Calendar,
    now: Timestamp,
) -> (Option<Timeline>, Option<Unreadable>) {
    let failed = match build(events, cal, Point::Now, now) {
        Ok(t) => return (Some(t), None),
        Err(TimelineError::Fold(e)) => e,
        Err(e) => {
            let seq = events.first().map_or(0, |e| e.seq);
            let reason = e.to_string();
            return (None, Some(Unreadable { seq, reason }));
        }
    };
    let seq = match &failed {
        FoldError::Decode { seq, .. } | FoldError::Time { seq, .. } => *seq,
        FoldError::Submission { .. } => events.first().map_or(0, |e| e.seq),
    };
    let before = seq
        .checked_sub(1)
        .filter(|s| *s > 0)
        .and_then(|s| build(events, cal, Point::Seq(s), now).ok());
    let reason = failed.to_string();
    (before, Some(Unreadable { seq, reason }))
}

/// 中文 names of event types, for people: the schemas crate's, which the registry's pages show
/// too ([`tongban_schemas::events::title_zh`]).
pub fn event_title_zh(kind: &str) -> &'static str {
    tongban_schemas::events::title_zh(kind).unwrap_or("未知事件")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given seqs spelt otherwise than a number's one spelling (`03`, `+3`, ` 3`), which were
    /// read as 3, and one beyond 2^64 − 1, which was "not a whole number", when parsed, then the
    /// first are `type` findings and the last a `range` one; `3` is still seq 3.
    #[test]
    fn a_seq_has_one_spelling_and_a_range() {
        assert_eq!(Point::parse(None, Some("3")), Ok(Point::Seq(3)));
        for misspelt in ["03", "+3", " 3", "3 ", "3.0", ""] {
            let e = Point::parse(None, Some(misspelt)).expect_err(misspelt);
            assert_eq!((e.field(), e.rule()), ("seq", "type"), "{misspelt:?}");
        }
        let e = Point::parse(None, Some("18446744073709551616")).expect_err("too large");
        assert_eq!((e.field(), e.rule()), ("seq", "range"));
        // Said by its length: a number that long may be an ID number's digits.
        assert!(e.to_string().starts_with("a number of 20 digits: "), "{e}");
        for personal in ["33010619850612234X", "陈秀英", "139-8765-4321"] {
            let e = Point::parse(None, Some(personal)).expect_err(personal);
            assert!(!e.to_string().contains(personal), "{e}");
        }
        // A phone's digits read as a seq past the end: said by their count.
        let past = PointError::SeqPast {
            seq: 13987654321,
            app: "a".into(),
            last: 3,
        };
        assert_eq!(
            past.to_string(),
            "a number of 11 digits: application a has 3 event(s), seq 1 to 3"
        );
    }
    use tongban_gateway::envelope::{Content, GatewayKey};

    fn one_event(at: &str) -> Vec<Envelope> {
        let content = Content {
            kind: "application.forwarded".into(),
            schema: "application.forwarded/1".into(),
            region: "440000".into(),
            actor: "440000/0000000a".into(),
            at: at.into(),
            data: serde_json::json!({"materials_checked": true}),
        };
        vec![Envelope::sealed_after(
            None,
            "app-a",
            content,
            &GatewayKey::from_seed([3; 32]),
        )]
    }

    /// A point in a timeline's JSON: a moment in RFC 3339 UTC with milliseconds, as `as_of` is
    /// (asked for in Beijing time), a seq as a number.
    #[test]
    fn a_point_in_json_is_a_time_like_the_others() {
        let events = one_event("2026-11-02T01:00:00.000Z");
        let now = Timestamp::parse_rfc3339("2026-11-10T00:00:00Z").expect("now");
        let at = Point::parse(Some("2026-11-02T09:30:00.25+08:00"), None).expect("parses");
        let t = build(&events, &Calendar::weekdays(), at, now).expect("timeline");
        let json = serde_json::to_value(&t).expect("json");
        assert_eq!(
            json["point"],
            serde_json::json!({"kind": "at", "value": "2026-11-02T01:30:00.250Z"})
        );
        assert_eq!(json["point"]["value"], json["as_of"]);
        let seq = build(&events, &Calendar::weekdays(), Point::Seq(1), now).expect("timeline");
        assert_eq!(
            serde_json::to_value(&seq).expect("json")["point"],
            serde_json::json!({"kind": "seq", "value": 1})
        );
        assert_eq!(
            serde_json::to_value(Point::Now).expect("json"),
            serde_json::json!({"kind": "now"})
        );
    }

    /// Given an application's events and a moment after now, when the point is checked, then it
    /// is refused as out of range, naming both times; now itself and the first event's moment
    /// are points.
    #[test]
    fn a_moment_yet_to_come_names_no_state() {
        let events = one_event("2026-11-02T01:00:00.000Z");
        let now = Timestamp::parse_rfc3339("2026-11-10T00:00:00Z").expect("now");
        let later = Point::parse(Some("2026-11-10T08:00:01+08:00"), None).expect("parses");
        let e = later.check(&events, now).expect_err("a later moment");
        assert_eq!((e.field(), e.rule()), ("at", "range"));
        assert_eq!(
            e.to_string(),
            "2026-11-10T00:00:01.000Z is after now (2026-11-10T00:00:00.000Z): the log tells no \
             state yet to come"
        );
        // Quoted as written, with the UTC form it was read as.
        assert_eq!(
            e.as_written(Some("2026-11-10T08:00:01+08:00")).to_string(),
            "2026-11-10T08:00:01+08:00 (2026-11-10T00:00:01.000Z) is after now \
             (2026-11-10T00:00:00.000Z): the log tells no state yet to come"
        );
        assert_eq!(Point::At(now.0).check(&events, now), Ok(Point::At(now.0)));
        let first = Timestamp::parse_rfc3339("2026-11-02T01:00:00Z").expect("first");
        assert!(Point::At(first.0).check(&events, now).is_ok());
    }

    /// Given an application's five events (submitted … resumed, status accepted) as a broken log
    /// may hold them, when its timeline is built, then it folds the signed chain in seq order: a
    /// byte-identical copy of an event is left out and two swapped positions are read in seq
    /// order, each giving the intact timeline; a missing seq, or a second, different event at one
    /// seq (neither of the two folded), stops the fold at the event before, and the timeline says
    /// where and why. A point is checked against the seqs, not the log's order.
    #[test]
    fn a_broken_log_is_folded_only_as_far_as_its_chain_runs_in_order() {
        let events = crate::reconcile::tests::suspended("GD-7");
        let now = Timestamp::parse_rfc3339("2026-11-25T00:00:00Z").expect("now");
        let cal = Calendar::weekdays();
        let timeline =
            |events: &[Envelope]| build(events, &cal, Point::Now, now).expect("timeline");
        let intact = timeline(&events);
        assert_eq!(intact.status, "accepted");
        assert_eq!(intact.steps.len(), 5);
        assert!(intact.chain_stops.is_none());
        let seqs = |t: &Timeline| t.steps.iter().map(|s| s.seq).collect::<Vec<_>>();

        // A copy of seq 2 (forwarded) after the last event: not folded again.
        let mut copied = events.clone();
        copied.push(events[1].clone());
        let t = timeline(&copied);
        assert_eq!(
            (t.status.as_str(), seqs(&t)),
            ("accepted", vec![1, 2, 3, 4, 5])
        );
        assert_eq!(t.deadlines, intact.deadlines);
        assert!(t.chain_stops.is_none());
        // A point is judged by the seqs, not by the last stored event (the copy of seq 2).
        assert_eq!(Point::Seq(5).check(&copied, now), Ok(Point::Seq(5)));
        assert!(matches!(
            Point::Seq(6).check(&copied, now),
            Err(PointError::SeqPast { last: 5, .. })
        ));

        // Seq 3 stored before seq 2.
        let mut swapped = events.clone();
        swapped.swap(1, 2);
        let t = timeline(&swapped);
        assert_eq!(
            (t.status.as_str(), seqs(&t)),
            ("accepted", vec![1, 2, 3, 4, 5])
        );

        // Seq 3 (accepted) gone: the state is the forwarded one, and the stop says so.
        let mut gap = events.clone();
        gap.remove(2);
        let t = timeline(&gap);
        assert_eq!((t.status.as_str(), seqs(&t)), ("forwarded", vec![1, 2]));
        let stop = t.chain_stops.expect("stops");
        assert_eq!(stop.after, 2);
        assert_eq!(stop.reason, "seq 3 is missing (the next event is seq 4)");

        // A second, different seq 4, stored first: neither claimant is folded.
        let mut forked = events.clone();
        let mut other = events[3].clone();
        other.hash = "f".repeat(64);
        forked.insert(0, other);
        let t = timeline(&forked);
        assert_eq!((t.status.as_str(), seqs(&t)), ("accepted", vec![1, 2, 3]));
        let stop = t.chain_stops.clone().expect("stops");
        assert_eq!(stop.after, 3);
        assert!(
            stop.reason.starts_with("two different events claim seq 4"),
            "{}",
            stop.reason
        );
        let text = crate::text::render(&t);
        assert!(
            text.contains("the chain stops running in order after seq 3: two different events"),
            "{text}"
        );
        // A point before the break is told in full, with no stop.
        let t = build(&forked, &cal, Point::Seq(2), now).expect("timeline");
        assert!(t.chain_stops.is_none());

        // Without seq 1 there is no chain to fold.
        let e = build(&events[1..], &cal, Point::Now, now).expect_err("no start");
        assert!(
            e.to_string().ends_with(
                "do not start a chain at seq 1: seq 1 is missing (the next event is seq 2)"
            ),
            "{e}"
        );
    }

    /// Given an application's first event at 2026-11-02T01:00Z, when a moment before it is
    /// asked for in Beijing time, then the refusal quotes the moment as it was written, the UTC
    /// form after it; a moment written in UTC as the refusal would write it is quoted once.
    #[test]
    fn a_moment_before_the_first_event_is_quoted_as_written() {
        let events = one_event("2026-11-02T01:00:00.000Z");
        let now = Timestamp::parse_rfc3339("2026-11-10T00:00:00Z").expect("now");
        let written = "2026-11-02T08:55:33+08:00";
        let e = Point::parse(Some(written), None)
            .expect("parses")
            .check(&events, now)
            .expect_err("before the first event")
            .as_written(Some(written));
        assert_eq!((e.field(), e.rule()), ("at", "range"));
        assert!(
            e.to_string().starts_with(
                "2026-11-02T08:55:33+08:00 (2026-11-02T00:55:33.000Z) is before application "
            ),
            "{e}"
        );
        let utc = "2026-11-02T00:55:33.000Z";
        let e = Point::parse(Some(utc), None)
            .expect("parses")
            .check(&events, now)
            .expect_err("before the first event")
            .as_written(Some(utc));
        assert!(
            e.to_string()
                .starts_with("2026-11-02T00:55:33.000Z is before application "),
            "{e}"
        );
    }
}
