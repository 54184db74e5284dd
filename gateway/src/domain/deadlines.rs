//! Statutory deadlines (行政许可法), tracked per application as events arrive.
//!
//! - **acceptance** (Art. 32): within 5 working days of receipt the lead handler accepts, refuses or
//!   gives the one 补正告知; a new window opens when the supplement comes back;
//! - **decision** (Art. 42): 20 working days from acceptance, once extendable by 10; suspensions for
//!   hearings, inspections or expert review (Art. 45) pause the clock. An application accepted
//!   after the acceptance window ran out was accepted on receipt by law (Art. 32: 逾期不告知的，
//!   自收到申请材料之日起即为受理), so its decision clock starts at the receipt, not at the late
//!   acceptance: a late acceptance does not buy the authority more days to decide;
//! - **deemed acceptance** (Art. 32): that decision clock runs from the day the window runs out,
//!   whether or not an acceptance ever comes, so a handler that never accepts cannot let the
//!   decision limit lapse unseen. No event marks the day, so readers derive it from "now"
//!   ([`Deadlines::as_of`]); the first event after it folds the clock in for good
//!   ([`Deadlines::apply`] settles it before the event), with the same dates, so a replay shows
//!   what a reader was shown then. A 补正告知 after the window ran out, or a late acceptance,
//!   does not stop or move it. Its due date is fixed when the window opens
//!   ([`Deadline::deemed_due`]), so the index of running clocks can hold it by that date before
//!   any event starts it;
//! - **issue** (Art. 44): the licence issued *and delivered* (颁发、送达) within 10 working days of
//!   approval. The clock runs on past `result-issued` until `delivered`: issued on the last day
//!   and handed over a week later is late. From the issue on, its responsible region is the one
//!   that delivers (the origin's window in proxy mode, the lead handler otherwise), since the
//!   handover is then its to make.
//!
//! Whether a running deadline is overdue depends on "now", so that is judged when read
//! ([`Deadline::situation`]), never stored.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tongban_schemas::matters::TimeLimits;

use super::application::Application;
use super::calendar::Calendar;
use super::lifecycle::Event;
use crate::time::{CivilDate, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineKind {
    /// 受理/补正告知期限
    Acceptance,
    /// 审查决定期限
    Decision,
    /// 颁发、送达证件期限: from approval until the result is delivered
    Issue,
}

impl DeadlineKind {
    /// Every kind, in the order the clocks run.
    pub const ALL: [DeadlineKind; 3] = [
        DeadlineKind::Acceptance,
        DeadlineKind::Decision,
        DeadlineKind::Issue,
    ];

    pub fn title_zh(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "受理期限（5个工作日）",
            DeadlineKind::Decision => "审查决定期限",
            DeadlineKind::Issue => "颁发送达期限",
        }
    }
}

/// The stored state of one deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineState {
    Running,
    Paused,
    /// Closed on or before the due date.
    Met,
    /// Closed after the due date: acted on late, or the application withdrawn after it.
    Missed,
    /// The application was withdrawn while it ran, within its limit (or paused).
    Cancelled,
}

/// How a deadline stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Situation {
    Running,
    Overdue,
    Paused,
    Met,
    Missed,
    Cancelled,
}

impl Situation {
    /// The page's word for it. A clock past its due date that still runs and one that closed
    /// late stand side by side in one column (a late 补正告知: the acceptance clock closed late,
    /// the decision clock deemed to run on), so each says which it is: 逾期完成 as 按期完成
    /// says of a clock met, 已超期，仍在计时 of one still to close. (Found by a walkthrough: 逾期
    /// and 已超期 read alike.)
    pub fn title_zh(self) -> &'static str {
        match self {
            Situation::Running => "进行中",
            Situation::Overdue => "已超期，仍在计时",
            Situation::Paused => "已暂停（特别程序）",
            Situation::Met => "按期完成",
            Situation::Missed => "逾期完成",
            Situation::Cancelled => "已撤销",
        }
    }
}

/// One suspension of a clock (特别程序, 行政许可法 Art. 45).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Pause {
    /// When the clock stopped (RFC 3339).
    pub from: String,
    /// When it ran again, or the deadline closed; absent while it is paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// A region that held a clock before it was handed on, and when: in a dispute about who was late,
/// which region held it over which days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Holding {
    /// The region responsible for the clock over the span.
    pub region: String,
    /// When it became responsible (RFC 3339): the clock's start, or the handover to it.
    pub from: String,
    /// When the clock was handed on from it (RFC 3339).
    pub to: String,
}

/// When a clock that started at `started_at` and was `handed_over` so came to its current
/// holder: at the last handover, or at its start.
pub fn held_since<'a>(started_at: &'a str, handed_over: &'a [Holding]) -> &'a str {
    handed_over.last().map_or(started_at, |h| h.to.as_str())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// The region that must act in time: since the last handover (`handed_over`), or since the
    /// clock started.
    pub responsible: String,
    /// The regions that held the clock before `responsible`, oldest first, each with the span it
    /// held it: the issue clock passes from the lead handler to the delivering region at the
    /// issue. Absent for a clock never handed on, and from views stored before handovers were
    /// recorded, until `tongban rebuild`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub handed_over: Vec<Holding>,
    /// When the clock started.
    pub started_at: String,
    /// The limit in working days, including any extension.
    pub limit_days: u32,
    /// Working days used before the current running stretch (suspensions split the clock).
    pub used_days: u32,
    /// Where the current running stretch began (China date).
    pub stretch_start: String,
    /// The last day (China date, inclusive) to act, while running; the due date when it closed.
    /// While paused: the date it would run out on if it resumed today.
    // Stored while paused is the due date before the pause, which no longer binds: the answers
    // show `Deadline::due_at` in its place (this comment is the served description of `due`).
    pub due: String,
    pub state: DeadlineState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// The clock's suspensions, oldest first. Absent from views stored before they were
    /// recorded, until `tongban rebuild`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<Pause>,
    /// A decision clock the law started: the acceptance window ran out with neither
    /// acceptance, refusal nor 补正告知, so the application is accepted as of its receipt
    /// (行政许可法 Art. 32) and this clock runs from the receipt (`started_at`), whether or not
    /// an acceptance comes later. Absent otherwise (and from decision clocks stored before it
    /// was recorded, until `tongban rebuild`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deemed: bool,
    /// An open acceptance window with no decision clock yet: the last day (China date,
    /// inclusive) of the decision clock that runs from this receipt should the window run out
    /// unanswered (Art. 32), counted when the window opened. Absent otherwise: once the window
    /// closed or that clock runs (see `deemed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deemed_due: Option<String>,
}

/// Whether a running clock due on `due` (a China date, inclusive: `YYYY-MM-DD`) has run out on
/// `day` (a Beijing date): once `day` is past it. The one judgement of "overdue", for a
/// deadline's [`Deadline::situation`], an inbox line's `overdue` and the projections' index of
/// running clocks alike. A due date that does not read is never overdue.
pub fn overdue_on(due: &str, day: CivilDate) -> bool {
    CivilDate::parse(due).is_some_and(|due| day > due)
}

/// [`overdue_on`] the Beijing date of `now`.
pub fn overdue_at(due: &str, now: Timestamp) -> bool {
    overdue_on(due, now.china_date())
}

impl Deadline {
    /// Whether the due date is behind `day` (a running clock that has run out).
    fn lapsed_by(&self, day: CivilDate) -> bool {
        overdue_on(&self.due, day)
    }

    /// Met/missed/cancelled/paused as stored; running becomes overdue once `now`'s China date is
    /// past the due date.
    pub fn situation(&self, now: Timestamp) -> Situation {
        match self.state {
            DeadlineState::Running if overdue_at(&self.due, now) => Situation::Overdue,
            DeadlineState::Running => Situation::Running,
            DeadlineState::Paused => Situation::Paused,
            DeadlineState::Met => Situation::Met,
            DeadlineState::Missed => Situation::Missed,
            DeadlineState::Cancelled => Situation::Cancelled,
        }
    }

    fn open(&self) -> bool {
        matches!(self.state, DeadlineState::Running | DeadlineState::Paused)
    }

    /// When the current suspension began, while the clock is paused (and the pause was
    /// recorded: see [`Deadline::pauses`]).
    pub fn paused_since(&self) -> Option<&str> {
        match self.state {
            DeadlineState::Paused => self
                .pauses
                .last()
                .filter(|p| p.to.is_none())
                .map(|p| p.from.as_str()),
            _ => None,
        }
    }

    /// The day the clock runs out if it runs again on `day`: the working days left after `day`;
    /// with none left (suspended on its last day, which counts as used), `day` itself when it is
    /// a working day, else the next working day. The resumption day alone had been the due
    /// date, so a clock resumed on a Saturday ran out that Saturday, and its holder was overdue
    /// on the Monday without having had a working day (a review's finding).
    fn due_if_resumed(&self, day: CivilDate, cal: &Calendar) -> CivilDate {
        match self.limit_days.saturating_sub(self.used_days) {
            0 if !cal.is_working_day(day) => cal.add_working_days(day, 1),
            left => cal.add_working_days(day, left),
        }
    }

    /// The due date a reader is shown at `now`: while paused, the date the clock would run out
    /// if it resumed on `now`'s (Beijing) date, which moves on with each working day of the
    /// pause; otherwise the stored one. The stored date of a paused clock is from before the
    /// pause and binds no one.
    pub fn due_at(&self, now: Timestamp, cal: &Calendar) -> String {
        match self.state {
            DeadlineState::Paused => self.due_if_resumed(now.china_date(), cal).to_string(),
            _ => self.due.clone(),
        }
    }

    /// Whether the calendar covers the due date shown at `now` ([`Calendar::covers`]): when it
    /// does not, the deadline was counted by the weekday alone past the calendar's last year.
    pub fn calendar_covers(&self, now: Timestamp, cal: &Calendar) -> bool {
        CivilDate::parse(&self.due_at(now, cal)).is_some_and(|due| cal.covers(due))
    }

    /// Ends an open suspension at `at` (the clock resumed, or closed while paused).
    fn end_pause(&mut self, at: Timestamp) {
        if let Some(p) = self.pauses.last_mut().filter(|p| p.to.is_none()) {
            p.to = Some(at.to_rfc3339());
        }
    }
}

/// An application accepted by law (行政许可法 Art. 32: 逾期不告知的，自收到申请材料之日起即为受理):
/// its acceptance window ran out with neither acceptance, refusal nor 补正告知 in it
/// ([`Deadlines::deemed_acceptance`]). What follows is a review and a decision: a refusal now is
/// `deny`, no longer `not-accept`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeemedAcceptance {
    /// The receipt (RFC 3339), as of which the application counts as accepted.
    pub received_at: String,
    /// The window's last day (China date, inclusive): accepted by law from the day after it.
    pub window_last_day: String,
    /// The lead handler whose window it was.
    pub handler: String,
}

impl DeemedAcceptance {
    /// Whether the window had run out by `day` (a Beijing date): an answer on `day` came after
    /// the law had accepted the application.
    pub fn lapsed_by(&self, day: CivilDate) -> bool {
        overdue_on(&self.window_last_day, day)
    }
}

/// All deadlines of one application, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Deadlines(pub Vec<Deadline>);

impl Deadlines {
    /// Advances the deadlines for `event`, which region `by` took at `at`; `app` is the state
    /// after it.
    pub fn apply(
        &mut self,
        app: &Application,
        by: &str,
        event: &Event,
        at: Timestamp,
        limits: &TimeLimits,
        cal: &Calendar,
    ) {
        let day = at.china_date();
        let lead = app.lead_handler().to_string();
        // Whatever the event, the application was accepted by law the day its window ran out
        // if that is before it: the event finds that decision clock running.
        self.settle(at, limits, cal);
        match event {
            // A supplement to an application the law already counts as accepted (a deemed
            // decision clock runs from its receipt, settled above: the 补正告知 came after the
            // window ran out) is no new receipt to accept: its acceptance is behind it, and a
            // second window would run out too and charge the handler's one lateness twice, in
            // statistics and the overdue list, beside the decision clock (a walkthrough's
            // finding). The decision clock runs on from the receipt.
            Event::Supplement(_) if self.deemed_acceptance().is_some() => {}
            Event::Forward(_) | Event::Supplement(_) => {
                self.start(
                    DeadlineKind::Acceptance,
                    lead,
                    at,
                    limits.acceptance_days,
                    cal,
                );
                // The decision clock a lapse of this window would start, from this receipt;
                // none once one runs (a 补正告知 that came too late did not stop it).
                if !self.has(DeadlineKind::Decision)
                    && let Some(window) = self.0.last_mut()
                {
                    window.deemed_due =
                        Some(cal.add_working_days(day, limits.decision_days).to_string());
                }
            }
            Event::Accept(_) => {
                self.close(DeadlineKind::Acceptance, at);
                // Accepted in time, the decision clock starts now. Accepted late, it runs
                // already, from the receipt (settled above): the acceptance changes nothing of
                // it.
                if !self.has(DeadlineKind::Decision) {
                    self.start(DeadlineKind::Decision, lead, at, limits.decision_days, cal);
                }
            }
            Event::RequestSupplement(_) => self.close(DeadlineKind::Acceptance, at),
            Event::NotAccept(_) => {
                self.close(DeadlineKind::Acceptance, at);
                // A refusal after the window ran out answers the application the law had
                // accepted: it closes the decision clock that ran from the receipt.
                self.close(DeadlineKind::Decision, at);
            }
            // A deadline already passed stays passed: a suspension or an extension after it
            // does not stop or move a clock that has run out (an extension is for a decision
            // that cannot be made within the limit, so it comes before the limit is reached).
            // Without this, suspending and resuming, or extending, turned a missed decision
            // into a met one.
            Event::Suspend(_) => {
                if let Some(d) = self
                    .open_mut(DeadlineKind::Decision)
                    .filter(|d| d.state == DeadlineState::Running && !d.lapsed_by(day))
                {
                    let start = CivilDate::parse(&d.stretch_start).unwrap_or(day);
                    d.used_days += cal.working_days_between(start, day);
                    d.state = DeadlineState::Paused;
                    d.pauses.push(Pause {
                        from: at.to_rfc3339(),
                        to: None,
                    });
                }
            }
            Event::Resume(_) => {
                if let Some(d) = self
                    .open_mut(DeadlineKind::Decision)
                    .filter(|d| d.state == DeadlineState::Paused)
                {
                    d.stretch_start = day.to_string();
                    d.due = d.due_if_resumed(day, cal).to_string();
                    d.state = DeadlineState::Running;
                    d.end_pause(at);
                }
            }
            Event::ExtendDeadline(_) => {
                if let Some(d) = self
                    .open_mut(DeadlineKind::Decision)
                    .filter(|d| !(d.state == DeadlineState::Running && d.lapsed_by(day)))
                {
                    d.limit_days += limits.extension_days;
                    if d.state == DeadlineState::Running {
                        let start = CivilDate::parse(&d.stretch_start).unwrap_or(day);
                        d.due = cal
                            .add_working_days(start, d.limit_days.saturating_sub(d.used_days))
                            .to_string();
                    }
                }
            }
            Event::Approve(_) => {
                self.close(DeadlineKind::Decision, at);
                self.start(DeadlineKind::Issue, lead, at, limits.issue_days, cal);
            }
            Event::Deny(_) => self.close(DeadlineKind::Decision, at),
            Event::IssueResult(_) => {
                let deliverer = app
                    .awaiting()
                    .into_iter()
                    .find(|(_, action)| *action == super::lifecycle::Action::Deliver)
                    .map(|(region, _)| region);
                // Only a clock still in time is handed on: one that ran out before the issue was
                // the issuer's to miss, and stays so.
                let open = self
                    .open_mut(DeadlineKind::Issue)
                    .filter(|d| !d.lapsed_by(day));
                if let (Some(d), Some(deliverer)) = (open, deliverer)
                    && d.responsible != deliverer
                {
                    let from = held_since(&d.started_at, &d.handed_over).to_string();
                    let region = std::mem::replace(&mut d.responsible, deliverer);
                    d.handed_over.push(Holding {
                        region,
                        from,
                        to: at.to_rfc3339(),
                    });
                }
            }
            Event::Deliver(_) => {
                // Delivered by the region that handed the clock on at the issue (the lead in
                // proxy mode, which may post the result itself): the result never left it, so
                // neither did the clock, and a late delivery is its own. Without this the
                // region it was handed to was named as late for a delivery it never had.
                if let Some(d) = self.open_mut(DeadlineKind::Issue)
                    && d.responsible != by
                    && d.handed_over.last().is_some_and(|h| h.region == by)
                    && let Some(kept) = d.handed_over.pop()
                {
                    d.responsible = kept.region;
                }
                self.close(DeadlineKind::Issue, at)
            }
            Event::Withdraw(_) => {
                for d in self.0.iter_mut().filter(|d| d.open()) {
                    // A paused clock's stored date is from before the pause (and before any
                    // extension during it): the date it closes on is the one it would have
                    // run out on had it resumed that day, as a reader was shown while it was
                    // paused ([`Deadline::due_at`]).
                    if d.state == DeadlineState::Paused {
                        d.due = d.due_if_resumed(day, cal).to_string();
                    }
                    // One that had already run out was missed, by the authority it ran for:
                    // a withdrawal after the limit (often because of it) does not make the
                    // limit void. (A paused clock never has: its date moves while paused.)
                    d.state = match d.state == DeadlineState::Running && d.lapsed_by(day) {
                        true => DeadlineState::Missed,
                        false => DeadlineState::Cancelled,
                    };
                    d.closed_at = Some(at.to_rfc3339());
                    d.deemed_due = None;
                    d.end_pause(at);
                }
            }
            Event::Submitted(_) | Event::CompletePart(_) => {}
        }
    }

    /// The decision clock the law runs from the receipt should the acceptance window run out
    /// unanswered (Art. 32), and the window's last day, after which it runs: for the first
    /// window still open, or one a 补正告知 closed after it ran out (the notice came too late to
    /// stop it). None once a decision clock runs, or when no window is open or ran out. Its due
    /// date is the one counted when the window opened ([`Deadline::deemed_due`]); a window
    /// stored before that was recorded counts it with `cal`.
    pub fn deemed_decision(
        &self,
        limits: &TimeLimits,
        cal: &Calendar,
    ) -> Option<(CivilDate, Deadline)> {
        let window = self.lapsing_window()?;
        let last_day = CivilDate::parse(&window.due)?;
        let receipt = Timestamp::parse_rfc3339(&window.started_at)?;
        let day = receipt.china_date();
        let due = window
            .deemed_due
            .clone()
            .unwrap_or_else(|| cal.add_working_days(day, limits.decision_days).to_string());
        Some((
            last_day,
            Deadline {
                kind: DeadlineKind::Decision,
                responsible: window.responsible.clone(),
                handed_over: Vec::new(),
                started_at: window.started_at.clone(),
                limit_days: limits.decision_days,
                used_days: 0,
                stretch_start: day.to_string(),
                due,
                state: DeadlineState::Running,
                closed_at: None,
                pauses: Vec::new(),
                deemed: true,
                deemed_due: None,
            },
        ))
    }

    /// The acceptance window whose lapse makes (or made) the application accepted by law, while
    /// no decision clock runs ([`Deadlines::deemed_decision`]): the first still open, or one a
    /// 补正告知 closed after it ran out.
    fn lapsing_window(&self) -> Option<&Deadline> {
        if self.has(DeadlineKind::Decision) {
            return None;
        }
        self.0.iter().find(|d| {
            d.kind == DeadlineKind::Acceptance
                && matches!(d.state, DeadlineState::Running | DeadlineState::Missed)
        })
    }

    /// The last day (China date) of the acceptance window that, run out unanswered, makes the
    /// application accepted by law from the day after it (Art. 32), while no decision clock
    /// runs: what a line stored now needs to say, on a later day, that the application is
    /// accepted by then, no event marking that day ([`Deadlines::deemed_acceptance`] once one
    /// folded it in).
    pub fn accepted_by_law_after(&self) -> Option<&str> {
        self.lapsing_window().map(|w| w.due.as_str())
    }

    /// Starts the decision clock of a deemed acceptance ([`Deadlines::deemed_decision`]) if
    /// the acceptance window ran out before `at`'s (Beijing) date.
    fn settle(&mut self, at: Timestamp, limits: &TimeLimits, cal: &Calendar) {
        if let Some((last_day, clock)) = self.deemed_decision(limits, cal)
            && at.china_date() > last_day
        {
            for window in &mut self.0 {
                window.deemed_due = None;
            }
            self.0.push(clock);
        }
    }

    /// The deadlines as they stand at `now`: those stored, and the decision clock of a deemed
    /// acceptance (Art. 32) once the acceptance window has run out, though no event has folded
    /// it in yet. What the next event would find ([`Deadlines::apply`] settles the same clock
    /// first), so a reader is shown now what a replay shows later. `app` is the application
    /// after the last event: one that ended (refused, withdrawn, delivered) starts no clock.
    pub fn as_of(
        &self,
        app: &Application,
        now: Timestamp,
        limits: &TimeLimits,
        cal: &Calendar,
    ) -> Deadlines {
        let mut out = self.clone();
        if !app.status.is_final() {
            out.settle(now, limits, cal);
        }
        out
    }

    /// The application's acceptance by law (行政许可法 Art. 32) these deadlines hold: the
    /// decision clock its lapsed acceptance window started ([`Deadline::deemed`]), running or
    /// closed, and that window. Of stored deadlines, once an event folded it in; of
    /// [`Deadlines::as_of`] a moment, from the day after the window's last day. None for an
    /// application accepted, refused or asked for 补正 in time.
    pub fn deemed_acceptance(&self) -> Option<DeemedAcceptance> {
        let clock = self
            .0
            .iter()
            .find(|d| d.kind == DeadlineKind::Decision && d.deemed)?;
        let window = self
            .0
            .iter()
            .find(|d| d.kind == DeadlineKind::Acceptance && d.started_at == clock.started_at)?;
        Some(DeemedAcceptance {
            received_at: clock.started_at.clone(),
            window_last_day: window.due.clone(),
            handler: window.responsible.clone(),
        })
    }

    fn has(&self, kind: DeadlineKind) -> bool {
        self.0.iter().any(|d| d.kind == kind)
    }

    fn open_mut(&mut self, kind: DeadlineKind) -> Option<&mut Deadline> {
        self.0.iter_mut().rev().find(|d| d.kind == kind && d.open())
    }

    fn start(
        &mut self,
        kind: DeadlineKind,
        responsible: String,
        at: Timestamp,
        limit: u32,
        cal: &Calendar,
    ) {
        let day = at.china_date();
        self.0.push(Deadline {
            kind,
            responsible,
            started_at: at.to_rfc3339(),
            handed_over: Vec::new(),
            limit_days: limit,
            used_days: 0,
            stretch_start: day.to_string(),
            due: cal.add_working_days(day, limit).to_string(),
            state: DeadlineState::Running,
            closed_at: None,
            pauses: Vec::new(),
            deemed: false,
            deemed_due: None,
        });
    }

    fn close(&mut self, kind: DeadlineKind, at: Timestamp) {
        if let Some(d) = self.open_mut(kind) {
            let on_time = CivilDate::parse(&d.due).is_none_or(|due| at.china_date() <= due);
            d.state = if on_time {
                DeadlineState::Met
            } else {
                DeadlineState::Missed
            };
            d.closed_at = Some(at.to_rfc3339());
            d.deemed_due = None;
            d.end_pause(at);
        }
    }
}
