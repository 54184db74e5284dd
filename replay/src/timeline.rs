//! The timeline of one application: each event with who acted, when, the state after it and how
//! every statutory deadline stood at that moment; and the state as of any point (a seq or a time).

use serde::Serialize;
use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::domain::deadlines::{Deadline, DeadlineKind, Holding, Pause, Situation};
use tongban_gateway::envelope::{Envelope, PublicKey};
use tongban_gateway::log::Placed;

pub use crate::chain::ChainStop;
use crate::chain::{Left, in_chain_order};
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
    /// The clock's suspensions, oldest first (an open one has no `to`). In the timeline's
    /// `deadlines` (the state at the point), every one; in a step's, only those the step's
    /// event began or ended ([`said_at_step`]): the earlier ones were said at the steps that
    /// changed them, and a step repeating them all made a history of n suspensions answer n²
    /// of them (a handler's suspend/resume pairs grew one replay to gigabytes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<Pause>,
    /// How many suspensions the clock has had up to here, those listed in `pauses` or not
    /// (absent: none).
    #[serde(skip_serializing_if = "is_zero")]
    pub pause_count: usize,
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
    /// Where the event is in the log ([`Timeline::place`]): the number a write's
    /// `X-Tongban-Position`, a region's feed items and its acknowledged cursor speak in, which
    /// settles "we never received it". Null where the reader could not say.
    pub position: Option<u64>,
    pub at: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub region: String,
    pub actor: String,
    pub status_after: String,
    /// The deadlines after the event, each with only the pauses it began or ended
    /// ([`DeadlineAt::pauses`]); the timeline's `deadlines` list them all.
    pub deadlines: Vec<DeadlineAt>,
    /// What the event asked for or recorded ([`crate::details`]): the 补正 items, a reason, the
    /// licence issued.
    pub details: Vec<crate::details::Detail>,
    pub hash: String,
    /// Which of the events given it was folded from (a copy of it may be stored too).
    #[serde(skip)]
    pub index: usize,
}

/// An event shown in a timeline but not counted in its state ([`crate::chain::Left`]): evidence,
/// never the application's state.
#[derive(Debug, Clone, Serialize)]
pub struct NotCounted {
    pub seq: u64,
    /// Where this event is in the log, as [`Step::position`]: a copy or a rewritten event at its
    /// own, which is how an auditor finds it.
    pub position: Option<u64>,
    pub at: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub region: String,
    pub actor: String,
    pub hash: String,
    pub why: Left,
    /// Which of the events given it is.
    #[serde(skip)]
    pub index: usize,
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
    /// Where the chain stops verifying in seq order, when the point lies past it: the steps,
    /// status and deadlines above are as of the last event counted, and `as_of` is its time
    /// ([`crate::chain::in_chain_order`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chain_stops: Option<ChainStop>,
    /// The events up to the point that are not counted (past the break, or a second event
    /// under the seal of one counted), in seq order: shown as evidence, never folded.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_counted: Vec<NotCounted>,
}

impl Timeline {
    /// Each step and each event not counted at its position in the log, as `events` (those the
    /// timeline was built from) place it; none where they do not.
    pub fn place(mut self, events: Placed<'_>) -> Timeline {
        for s in &mut self.steps {
            s.position = events.position(s.index);
        }
        for n in &mut self.not_counted {
            n.position = events.position(n.index);
        }
        self
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Which pauses of `d` a step says, where `before` is the same clock as the step before said
/// it (None: the clock is new at this step, or this is the first): the pauses begun since, and
/// the one open then if it has ended since. Linear in what changed: the earlier pauses are not
/// looked at again, so a timeline of n steps costs n, not n², whatever the pauses.
fn said_at_step(d: &Deadline, before: Option<&DeadlineAt>) -> Vec<Pause> {
    let (count, open) = before.map_or((0, false), |b| (b.pause_count, b.paused_since.is_some()));
    let ended = open
        .then(|| count.checked_sub(1))
        .flatten()
        .and_then(|last| d.pauses.get(last))
        .filter(|p| p.to.is_some());
    ended
        .into_iter()
        .chain(d.pauses.get(count..).unwrap_or_default())
        .cloned()
        .collect()
}

/// `view`'s deadlines as they stood at `when` ([`ApplicationView::deadlines_at`]: with the
/// decision clock of a deemed acceptance once the acceptance window had run out). With
/// `previous` (the step before's deadlines), a step's: each clock with only the pauses that
/// changed since ([`said_at_step`]); without, the state's: every pause.
fn deadlines_at(
    view: &ApplicationView,
    when: Timestamp,
    cal: &Calendar,
    previous: Option<&[DeadlineAt]>,
) -> Vec<DeadlineAt> {
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
                pauses: match previous {
                    // The same clock: of its kind, started at the same moment.
                    Some(previous) => said_at_step(
                        d,
                        previous
                            .iter()
                            .find(|b| b.kind == d.kind && b.started_at == d.started_at),
                    ),
                    None => d.pauses.clone(),
                },
                pause_count: d.pauses.len(),
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
    /// Not even its first event starts a chain that verifies ([`in_chain_order`]): nothing
    /// is counted.
    #[error("application {app}'s events do not start a chain that verifies at seq 1: {}", .stop.reason)]
    NoStart { app: String, stop: ChainStop },
}

/// Builds the timeline of `events` (one application) up to `point`, folding them in the order
/// of their chain and no further than it verifies ([`in_chain_order`], under `key`): the state,
/// the deadlines and every row's status come from events that verify. Where the point lies past
/// a break, the state is as of the last event counted (`as_of` is its time), and the events
/// from the break on are listed as not counted.
pub fn build(
    events: &[Envelope],
    key: &PublicKey,
    cal: &Calendar,
    point: Point,
    now: Timestamp,
) -> Result<Timeline, TimelineError> {
    let chain = in_chain_order(events, key);
    let first = match (chain.counted.first(), events.first(), &chain.stop) {
        (Some((_, first)), _, _) => *first,
        (None, Some(any), Some(stop)) => {
            return Err(TimelineError::NoStart {
                app: any.app.clone(),
                stop: stop.clone(),
            });
        }
        _ => return Err(TimelineError::Empty(String::new())),
    };
    let app = first.app.clone();
    let chain_len = chain.counted.len();
    let mut view: Option<ApplicationView> = None;
    let mut steps = Vec::new();
    let own = crate::details::own_numbers(chain.counted.iter().map(|&(_, e)| e));
    for &(index, e) in &chain.counted {
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
        // Each step says only the pauses that changed at it ([`said_at_step`]).
        let before: &[DeadlineAt] = steps.last().map_or(&[], |s: &Step| &s.deadlines);
        let deadlines = deadlines_at(&next, when, cal, Some(before));
        steps.push(Step {
            seq: e.seq,
            position: None,
            at: e.at.clone(),
            kind: e.kind.clone(),
            region: e.region.clone(),
            actor: e.actor.clone(),
            status_after: next.state.status.as_str().to_string(),
            deadlines,
            details: crate::details::of(e, own.as_ref()),
            hash: e.hash.clone(),
            index,
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
    // Said where the point lies past the break: a point before it is told in full. A moment
    // after the last event counted may be past the break, whose events' times are not to be
    // trusted (or not known: an event removed).
    let stop = chain.stop.filter(|stop| match point {
        Point::Now => true,
        Point::Seq(n) => n > stop.after,
        Point::At(_) => steps.len() == chain_len,
    });
    let last_counted = steps
        .last()
        .and_then(|s| Timestamp::parse_rfc3339(&s.at))
        .unwrap_or(now);
    let as_of = match (point, &stop) {
        // The state as of the last event that verifies: the events after it may have changed it.
        (_, Some(_)) => last_counted,
        (Point::Now, None) => now,
        (Point::At(ms), None) => Timestamp(ms),
        (Point::Seq(_), None) => last_counted,
    };
    let last_seq = steps.last().map_or(0, |s| s.seq);
    let not_counted = chain
        .left
        .iter()
        .filter(|(_, e, why)| match why {
            Left::Copy | Left::Rewritten => e.seq <= last_seq,
            Left::BreaksHere | Left::AfterBreak => stop.is_some(),
        })
        .map(|&(index, e, why)| NotCounted {
            seq: e.seq,
            position: None,
            at: e.at.clone(),
            kind: e.kind.clone(),
            region: e.region.clone(),
            actor: e.actor.clone(),
            hash: e.hash.clone(),
            why,
            index,
        })
        .collect();
    Ok(Timeline {
        app,
        matter: view.state.matter.clone(),
        mode: view.state.mode.as_str().to_string(),
        origin: view.state.origin.clone(),
        handlers: view.state.handlers.clone(),
        point,
        as_of: as_of.to_rfc3339(),
        status: view.state.status.as_str().to_string(),
        deadlines: deadlines_at(&view, as_of, cal, None),
        chain_stops: stop,
        not_counted,
        steps,
    })
}

/// Why a history as of now folds no further than the timeline given with it, if at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unfolded {
    /// An event this build cannot read: the timeline stops before it.
    Unreadable { seq: u64, reason: String },
    /// Not even seq 1 starts a chain that verifies: no event is counted, no state shown.
    NoStart(ChainStop),
}

/// The timeline as of now, as far as the events fold: all of them, or those before the first
/// that does not (which is then said too). No timeline when not even the first folds, or when
/// not even the first verifies.
///
/// For the evidence page, which must show the chain's verification and every raw event whatever
/// this build makes of them: a party needs that page most when an event does not read.
pub fn build_readable(
    events: &[Envelope],
    key: &PublicKey,
    cal: &Calendar,
    now: Timestamp,
) -> (Option<Timeline>, Option<Unfolded>) {
    let failed = match build(events, key, cal, Point::Now, now) {
        Ok(t) => return (Some(t), None),
        Err(TimelineError::Fold(e)) => e,
        Err(TimelineError::NoStart { stop, .. }) => return (None, Some(Unfolded::NoStart(stop))),
        Err(e) => {
            let seq = events.first().map_or(0, |e| e.seq);
            let reason = e.to_string();
            return (None, Some(Unfolded::Unreadable { seq, reason }));
        }
    };
    let seq = match &failed {
        FoldError::Decode { seq, .. } | FoldError::Time { seq, .. } => *seq,
        FoldError::Submission { .. } => events.first().map_or(0, |e| e.seq),
    };
    let before = seq
        .checked_sub(1)
        .filter(|s| *s > 0)
        .and_then(|s| build(events, key, cal, Point::Seq(s), now).ok());
    let reason = failed.to_string();
    (before, Some(Unfolded::Unreadable { seq, reason }))
}

/// 中文 names of event types, for people: the schemas crate's, which the registry's pages show
/// too ([`tongban_schemas::events::title_zh`]).
pub fn event_title_zh(kind: &str) -> &'static str {
    tongban_schemas::events::title_zh(kind).unwrap_or("未知事件")
}

/// The 中文 name of one event, as the evidence page names it: its type's ([`event_title_zh`]),
/// and a result's by what was issued
/// ([`tongban_schemas::events::ResultIssued::title_zh`]): a document alone is no 证照.
pub fn event_label_zh(event: &Envelope) -> &'static str {
    use tongban_gateway::domain::lifecycle::Event;
    if event.kind == tongban_schemas::events::ResultIssued::TYPE
        && let Ok(Event::IssueResult(result)) = Event::from_envelope(event)
    {
        return result.title_zh();
    }
    event_title_zh(&event.kind)
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
        let key = GatewayKey::from_seed([3; 32]).public();
        let t = build(&events, &key, &Calendar::weekdays(), at, now).expect("timeline");
        let json = serde_json::to_value(&t).expect("json");
        assert_eq!(
            json["point"],
            serde_json::json!({"kind": "at", "value": "2026-11-02T01:30:00.250Z"})
        );
        assert_eq!(json["point"]["value"], json["as_of"]);
        let seq =
            build(&events, &key, &Calendar::weekdays(), Point::Seq(1), now).expect("timeline");
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
        let key = crate::reconcile::tests::key();
        let timeline =
            |events: &[Envelope]| build(events, &key, &cal, Point::Now, now).expect("timeline");
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
            text.contains("the chain breaks after seq 3: two different events"),
            "{text}"
        );
        // Both claimants are listed, neither counted.
        let left: Vec<(u64, Left)> = t.not_counted.iter().map(|n| (n.seq, n.why)).collect();
        assert_eq!(
            left,
            [
                (4, Left::BreaksHere),
                (4, Left::BreaksHere),
                (5, Left::AfterBreak)
            ]
        );
        // A point before the break is told in full, with no stop.
        let t = build(&forked, &key, &cal, Point::Seq(2), now).expect("timeline");
        assert!(t.chain_stops.is_none() && t.not_counted.is_empty());

        // Without seq 1 there is no chain to fold.
        let e = build(&events[1..], &key, &cal, Point::Now, now).expect_err("no start");
        assert!(
            e.to_string().ends_with(
                "do not start a chain that verifies at seq 1: seq 1 is missing (the next event \
                 is seq 2)"
            ),
            "{e}"
        );
    }

    /// Given an application's five events (the fourth a suspension) with the fourth rewritten in
    /// place (its hash and signature left), or a sixth appended that the key did not sign (its
    /// link right), when its timeline is built at any point past it, then the state, the
    /// deadlines and `as_of` are those of the last event that verifies, the stop says why, and
    /// the events from there on are listed as not counted; a point before the break is told in
    /// full. (A walkthrough found `replay` printing the rewritten event's state, and a forged
    /// approval's, as the application's.)
    #[test]
    fn an_event_whose_seal_fails_is_not_counted_nor_any_after_it() {
        let events = crate::reconcile::tests::suspended("GD-S");
        let key = crate::reconcile::tests::key();
        let now = Timestamp::parse_rfc3339("2026-11-25T00:00:00Z").expect("now");
        let cal = Calendar::weekdays();
        let at = |point| build(&events, &key, &cal, point, now).expect("timeline");
        let as_of_3 = at(Point::Seq(3));
        assert_eq!(as_of_3.status, "accepted");

        let mut rewritten = events.clone();
        rewritten[3].data["reason"] = serde_json::json!("申请人主动放弃");
        for point in [
            Point::Now,
            Point::Seq(4),
            Point::Seq(5),
            Point::At(now.0),
            // After the third event, before the (rewritten) fourth's time: its time is not to be
            // trusted, so the stop is told all the same.
            Point::At(
                Timestamp::parse_rfc3339("2026-11-06T00:00:00Z")
                    .expect("at")
                    .0,
            ),
        ] {
            let t = build(&rewritten, &key, &cal, point, now).expect("timeline");
            assert_eq!(t.status, "accepted", "{point:?}");
            assert_eq!(t.steps.len(), 3, "{point:?}");
            assert_eq!(t.as_of, as_of_3.as_of, "{point:?}");
            assert_eq!(t.deadlines, as_of_3.deadlines, "{point:?}");
            let stop = t.chain_stops.clone().expect("stops");
            assert_eq!(stop.after, 3);
            assert!(
                stop.reason
                    .starts_with(&format!("seq 4's hash is {}, recomputed ", events[3].hash)),
                "{}",
                stop.reason
            );
            let left: Vec<(u64, Left)> = t.not_counted.iter().map(|n| (n.seq, n.why)).collect();
            assert_eq!(left, [(4, Left::BreaksHere), (5, Left::AfterBreak)]);
            let text = crate::text::render(&t);
            assert!(
                text.contains(&format!(
                    "state as of seq 3 (application.accepted at {}), the last event that \
                     verifies: accepted\n",
                    as_of_3.as_of
                )),
                "{text}"
            );
            let row = |seq: &str| {
                text.lines()
                    .find(|l| l.starts_with(seq))
                    .unwrap_or_default()
                    .to_string()
            };
            assert!(
                row("   4  ").ends_with(
                    "application.suspended               not counted: the chain breaks here"
                ),
                "{text}"
            );
            assert!(
                row("   5  ").ends_with("not counted: the chain is broken before it"),
                "{text}"
            );
        }
        // Up to the event before the break: the state is whole, nothing to say.
        let t = build(&rewritten, &key, &cal, Point::Seq(3), now).expect("timeline");
        assert!(t.chain_stops.is_none() && t.not_counted.is_empty());
        assert_eq!(t.as_of, as_of_3.as_of);

        // A sixth event, linked after the fifth but signed with another key.
        let forger = GatewayKey::from_seed([9; 32]);
        let mut forged = events.clone();
        let mut approval = Envelope::sealed_after(
            events.last(),
            &events[0].app,
            tongban_gateway::envelope::Content {
                kind: "application.approved".into(),
                schema: "application.approved/1".into(),
                region: "330000".into(),
                actor: "330000/forger".into(),
                at: "2026-11-21T03:00:00Z".into(),
                data: serde_json::json!({}),
            },
            &forger,
        );
        forged.push(approval.clone());
        let t = build(&forged, &key, &cal, Point::Now, now).expect("timeline");
        assert_eq!(t.status, "accepted");
        assert_eq!(t.as_of, "2026-11-20T03:00:00.000Z");
        let stop = t.chain_stops.clone().expect("stops");
        assert_eq!(
            (stop.after, stop.reason.as_str()),
            (
                5,
                "seq 6's signature does not verify under the key the chain is checked with"
            )
        );
        let json = serde_json::to_value(&t).expect("json");
        assert_eq!(json["not_counted"][0]["seq"], 6, "{json}");
        assert_eq!(json["not_counted"][0]["why"], "breaks-here", "{json}");
        assert_eq!(json["chain_stops"]["after"], 5, "{json}");

        // The same forged event stored under the seal of the genuine seq 5, before it: the
        // genuine one is counted, the other said to be rewritten under its seal.
        approval.seq = 5;
        approval.hash = events[4].hash.clone();
        approval.sig = events[4].sig.clone();
        let mut twinned = events.clone();
        twinned.insert(4, approval);
        let t = build(&twinned, &key, &cal, Point::Now, now).expect("timeline");
        assert!(t.chain_stops.is_none());
        assert_eq!(t.steps.last().map(|s| s.index), Some(5));
        let left: Vec<(u64, Left, usize)> = t
            .not_counted
            .iter()
            .map(|n| (n.seq, n.why, n.index))
            .collect();
        assert_eq!(left, [(5, Left::Rewritten, 4)]);

        // Under another key nothing verifies: no state at all.
        let e = build(&events, &forger.public(), &cal, Point::Now, now).expect_err("no start");
        assert!(
            matches!(&e, TimelineError::NoStart { stop, .. } if stop.after == 0),
            "{e}"
        );
    }

    /// Accepted by Zhejiang on 2026-11-05, then suspended and resumed `pairs` times on
    /// 2026-11-10, a minute apart: a history of 3 + 2 × `pairs` events.
    fn suspended_and_resumed(pairs: usize) -> Vec<Envelope> {
        use crate::reconcile::tests::{GD, ZJ, history, submit_to};
        use tongban_gateway::domain::Command;
        use tongban_schemas::events as ev;
        let at = |minute: usize| format!("2026-11-10T{:02}:{:02}:00Z", minute / 60, minute % 60);
        let mut steps: Vec<(&str, Command, String)> = vec![
            (GD, submit_to("GD-P", ZJ), "2026-11-02T01:00:00Z".into()),
            (
                GD,
                Command::Forward(ev::Forwarded::checked()),
                "2026-11-02T02:00:00Z".into(),
            ),
            (
                ZJ,
                Command::Accept(ev::Accepted::default()),
                "2026-11-05T03:00:00Z".into(),
            ),
        ];
        for i in 0..pairs {
            let suspend = ev::Suspended {
                kind: ev::SuspensionKind::ExpertReview,
                reason: "专家评审".into(),
            };
            steps.push((ZJ, Command::Suspend(suspend), at(2 * i)));
            steps.push((ZJ, Command::Resume(ev::Resumed::default()), at(2 * i + 1)));
        }
        let steps: Vec<(&str, Command, &str)> = steps
            .iter()
            .map(|(r, c, at)| (*r, c.clone(), at.as_str()))
            .collect();
        history("GD-P", steps)
    }

    /// Given an application suspended and resumed 40 times, when its timeline is built, then
    /// each step lists only the pause its event began or ended (a suspension the open pause, a
    /// resumption the one it closed), with the count so far, and the state's deadlines list all
    /// 40; the JSON and the text of 80 pairs are about twice those of 40, not four times (each
    /// step had repeated every earlier pause: 203 events answered 906,025 bytes).
    #[test]
    fn a_step_says_only_the_pauses_that_changed_at_it() {
        let key = crate::reconcile::tests::key();
        let now = Timestamp::parse_rfc3339("2026-11-25T00:00:00Z").expect("now");
        let cal = Calendar::weekdays();
        let timeline = |pairs| {
            build(&suspended_and_resumed(pairs), &key, &cal, Point::Now, now).expect("timeline")
        };
        let t = timeline(40);
        assert_eq!(t.steps.len(), 83);
        let decision = |ds: &[DeadlineAt]| {
            ds.iter()
                .find(|d| d.kind == DeadlineKind::Decision)
                .cloned()
                .expect("a decision clock")
        };
        for (i, step) in t.steps[3..].iter().enumerate() {
            let d = decision(&step.deadlines);
            let pair = i / 2;
            assert_eq!(d.pause_count, pair + 1, "seq {}", step.seq);
            assert_eq!(d.pauses.len(), 1, "seq {}: {:?}", step.seq, d.pauses);
            let suspended = i % 2 == 0;
            assert_eq!(d.pauses[0].to.is_none(), suspended, "seq {}", step.seq);
            assert_eq!(d.paused_since.is_some(), suspended, "seq {}", step.seq);
        }
        // The acceptance, before any pause: none listed, none counted.
        let accepted = decision(&t.steps[2].deadlines);
        assert_eq!((accepted.pauses.len(), accepted.pause_count), (0, 0));
        let state = decision(&t.deadlines);
        assert_eq!((state.pauses.len(), state.pause_count), (40, 40));
        assert!(state.pauses.iter().all(|p| p.to.is_some()));
        let json = serde_json::to_value(&t).expect("json");
        assert_eq!(json["steps"][3]["deadlines"][1]["pause_count"], 1, "{json}");
        assert!(json["steps"][0]["deadlines"].as_array().is_some());

        let bytes = |t: &Timeline| serde_json::to_vec(t).expect("json").len();
        let (short, long) = (timeline(40), timeline(80));
        let (json40, json80) = (bytes(&short), bytes(&long));
        assert!(json80 * 10 < json40 * 22, "{json40} → {json80} bytes");
        let (text40, text80) = (
            crate::text::render(&short).len(),
            crate::text::render(&long).len(),
        );
        assert!(text80 * 10 < text40 * 22, "{text40} → {text80} bytes");
    }

    /// Given an application accepted, suspended and resumed (seq 4, 5), suspended again (6),
    /// its decision limit extended while suspended (7), resumed (8) and approved (9), when its
    /// timeline is built, then a step that neither began nor ended a pause (the extension, the
    /// approval, the acceptance) lists none, with the count so far; a step that ended one lists
    /// exactly it, closed; one that began one, exactly it, open. (A review found the tests
    /// passing with every step listing the clock's last pause.)
    #[test]
    fn a_step_lists_the_pause_it_began_or_ended_and_no_other() {
        use crate::reconcile::tests::{ZJ, history, suspended_steps};
        use tongban_gateway::domain::Command;
        use tongban_schemas::events as ev;
        let mut steps = suspended_steps("GD-X");
        steps.extend([
            (
                ZJ,
                Command::Suspend(ev::Suspended {
                    kind: ev::SuspensionKind::Inspection,
                    reason: "现场核查".into(),
                }),
                "2026-11-23T03:00:00Z",
            ),
            (
                ZJ,
                Command::ExtendDeadline(ev::DeadlineExtended {
                    reason: "需要实地核查".into(),
                }),
                "2026-11-24T03:00:00Z",
            ),
            (
                ZJ,
                Command::Resume(ev::Resumed::default()),
                "2026-11-26T03:00:00Z",
            ),
            (
                ZJ,
                Command::Approve(ev::Approved::default()),
                "2026-11-27T03:00:00Z",
            ),
        ]);
        let events = history("GD-X", steps);
        let key = crate::reconcile::tests::key();
        let now = Timestamp::parse_rfc3339("2026-11-30T00:00:00Z").expect("now");

        let t = build(&events, &key, &Calendar::weekdays(), Point::Now, now).expect("timeline");

        assert_eq!(t.steps.len(), 9);
        let decision = |ds: &[DeadlineAt]| {
            ds.iter()
                .find(|d| d.kind == DeadlineKind::Decision)
                .cloned()
                .expect("a decision clock")
        };
        let all = decision(&t.deadlines).pauses;
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(all.iter().all(|p| p.to.is_some()), "{all:?}");
        let open = |p: &Pause| Pause {
            from: p.from.clone(),
            to: None,
        };
        // Seq by seq from the acceptance (3): the pauses listed, and the count so far.
        let said: [(Vec<Pause>, usize); 7] = [
            (vec![], 0),
            (vec![open(&all[0])], 1),
            (vec![all[0].clone()], 1),
            (vec![open(&all[1])], 2),
            (vec![], 2),
            (vec![all[1].clone()], 2),
            (vec![], 2),
        ];
        for (step, (pauses, count)) in t.steps[2..].iter().zip(said) {
            let d = decision(&step.deadlines);
            assert_eq!(
                (&d.pauses, d.pause_count),
                (&pauses, count),
                "seq {} ({})",
                step.seq,
                step.kind
            );
        }
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
