//! RFC 9457 problem details: every error the API returns, as `application/problem+json`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongban_schemas::Violation;

use crate::domain::{DomainError, ErrorKind};
use crate::log::LogError;
use crate::service::ServiceError;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Problem {
    /// `urn:tongban:problem:<slug>`; stable, for programs to branch on.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Every problem with the request body, each at its JSON pointer; left out when the
    /// problem is not about the body's fields (a wrong token, content type or route), so the
    /// documented shape does not require it. At most 100: past them, the first 99 and a last of
    /// rule `too-many-problems` at the empty pointer, saying how many more there are and how
    /// many in all (a 422's `detail` counts them all too).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(with = "Vec<ErrorItem>")]
    pub errors: Vec<Violation>,
    /// For 409s on an application: its current status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// For 409s on an application: its current seq.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_seq: Option<u64>,
    /// For an application whose projection is held: at which event, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held: Option<crate::projections::Held>,
    /// For `log-corrupt` of an application whose events as the log stores them do not follow
    /// each other (a copy, one removed, two swapped): each event that breaks the chain, in the
    /// log's order, with its seq, log position and what is wrong.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub breaks: Vec<crate::service::ChainBreak>,
    /// With `breaks`: the page that shows the application's events as stored, each break marked
    /// (its evidence page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Of a refused canonical submission (422 `invalid`): what the checks doubt without
    /// refusing (a 15-digit ID number, a credit code's check character), each at its pointer,
    /// as an accepted submission's answer carries them and a refused local form's does: fixing
    /// the errors does not hide them until the next answer. Absent from other problems. At
    /// most 100, as `errors`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Vec<ErrorItem>>")]
    pub warnings: Option<Vec<Violation>>,
    #[serde(skip)]
    pub retry_after: Option<u64>,
}

/// `Retry-After` of a `projections-unavailable` 503, in seconds: behind a load balancer the
/// retry reaches another gateway (whose projections run) at once; this gateway answers only
/// after an operator restarted it, which takes minutes, so a client retrying on this one alone
/// is not told to hammer it every second.
const PROJECTIONS_RETRY_AFTER: u64 = 30;

/// `Retry-After` of a `log-read-busy` 503, in seconds: a read of a whole log of a million events
/// takes some seconds; asked again sooner, it is most likely refused again.
const WHOLE_LOG_READ_RETRY_AFTER: u64 = 5;

/// One problem: where it is (`pointer`), the rule it breaks and what is wrong.
// The documented shape of a `Violation`, as `errors` carries it.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct ErrorItem {
    /// JSON pointer into the request body (or `header:<name>`, `query:<name>`).
    pointer: String,
    /// Machine rule name, e.g. `required`, `gb11643-checksum`.
    rule: String,
    /// For people; personal values are masked.
    message: String,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("urn:tongban:problem:{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            state: None,
            current_seq: None,
            held: None,
            breaks: Vec::new(),
            evidence: None,
            warnings: None,
            retry_after: None,
        }
    }

    pub fn with_errors(mut self, errors: Vec<Violation>) -> Problem {
        self.errors = errors;
        self
    }

    /// The problem with the checks' warnings beside its errors ([`Problem::warnings`]).
    pub fn with_warnings(mut self, warnings: Vec<Violation>) -> Problem {
        self.warnings = Some(warnings);
        self
    }

    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    /// 413 `payload-too-large`, with one title (RFC 9457: one per problem type) whether the body
    /// itself is over the limit or the event it makes is over the log's: the detail says which.
    pub fn payload_too_large(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn bad_request(pointer: &str, rule: &str, detail: impl Into<String>) -> Problem {
        let detail = detail.into();
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Malformed request",
            detail.clone(),
        )
        .with_errors(vec![Violation::new(pointer, rule, detail)])
    }

    /// 403 `forbidden`, with one title whatever the reason (RFC 9457: a problem type has one
    /// title); the detail says what this caller may not do.
    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed for this caller",
            detail,
        )
    }

    pub fn unprocessable(detail: impl Into<String>, errors: Vec<Violation>) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "The request is not valid",
            detail,
        )
        .with_errors(errors)
    }
}

/// What a request asked of the event log. A failure of the log means something different to the
/// caller of each: whether its write may have landed, and what repeating the request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogUse {
    /// Appending an event: a submission or an action (the default of `From<ServiceError>`).
    Append,
    /// Reading events or the stream's state; nothing is written.
    Read,
    /// Moving a region's feed cursor, which only ever moves forward, so repeating it is harmless.
    Acknowledge,
}

impl Problem {
    /// `e` for a request that only reads the event log (its events, a feed): a log that cannot be
    /// reached is answered as such, not as a write that may have landed.
    pub fn reading(e: ServiceError) -> Problem {
        Problem::during(e, LogUse::Read)
    }

    /// `e` for a feed acknowledgement (`POST …/feed/ack`).
    pub fn acknowledging(e: ServiceError) -> Problem {
        Problem::during(e, LogUse::Acknowledge)
    }

    fn during(e: ServiceError, what: LogUse) -> Problem {
        match e {
            ServiceError::Log(e @ (LogError::Unavailable(_) | LogError::Storage(_))) => {
                Problem::log_failure(&e, what, None)
            }
            e => Problem::from(e),
        }
    }
}

/// What a failed use of the log was for, for its log line: the application, event type and
/// region of the append it was (or was to be), and the seq of an append. Never any content.
struct LogContext<'a> {
    app: &'a str,
    seq: Option<u64>,
    event: &'a str,
    region: &'a str,
}

impl Problem {
    /// 503 `log-unavailable` (with `Retry-After`) for a log that failed `what`. One type and one
    /// title for every case, as clients already branch on it; the detail says what happened to
    /// the request, which is what the caller decides on: [`LogError::Unavailable`] means nothing
    /// was sent (the client knew it was disconnected, or the request never left it), so nothing
    /// was written; [`LogError::Storage`] on an append means the write was sent and not
    /// acknowledged, so it may have landed.
    ///
    /// `context` names the append that failed, or that a failed read was for, for the log line:
    /// an operator checks that application (did the event land?) without its content appearing
    /// anywhere.
    fn log_failure(e: &LogError, what: LogUse, context: Option<LogContext<'_>>) -> Problem {
        let unacknowledged = matches!(e, LogError::Storage(_));
        let for_append = context.is_some();
        let (failed, detail) = match (what, unacknowledged) {
            (LogUse::Append, false) => (
                "event log cannot take writes: an append was refused before it was sent",
                "the event log cannot be reached or is not taking writes now, so nothing was \
                 written: repeat the request as it is after Retry-After (a submission with its \
                 same Idempotency-Key)",
            ),
            (LogUse::Append, true) => (
                "event log did not acknowledge an append that was sent",
                "the write was sent to the event log and not acknowledged: it may or may not have \
                 landed. Retry a submission with the same Idempotency-Key, or an action with the \
                 expected_seq it was sent with (safe either way: a repeat of what landed is \
                 answered with it); re-read an application before repeating an action sent \
                 without expected_seq",
            ),
            (LogUse::Read, false) if for_append => (
                "event log unreachable: a read an append needed failed, so nothing was appended",
                "the event log cannot be reached now, so it could not be read; nothing was \
                 written: repeat the request as it is after Retry-After",
            ),
            (LogUse::Read, true) if for_append => (
                "event log storage failed a read an append needed, so nothing was appended",
                "the event log could not read its storage now; nothing was written: repeat the \
                 request as it is after Retry-After",
            ),
            (LogUse::Read, false) => (
                "event log unreachable: a read failed",
                "the event log cannot be reached now, so it could not be read; nothing was \
                 changed: try again after Retry-After",
            ),
            (LogUse::Read, true) => (
                "event log storage failed a read",
                "the event log could not read its storage now; nothing was changed: try again \
                 after Retry-After",
            ),
            (LogUse::Acknowledge, _) => (
                "event log unreachable: a feed acknowledgement was not confirmed",
                "the event log cannot be reached now, so the acknowledgement was not confirmed: \
                 send it again after Retry-After (harmless: the cursor only moves forward)",
            ),
        };
        // A failure that wrote nothing is the log's state, not an application's: during an
        // outage every request meets it, and a line each would flood the gateway's own log
        // (20,000 lines in 20 s under load, on the disk that may be the one full). It is
        // logged once per interval, with how many were not. One that may have landed is
        // logged every time, naming the application an operator must check.
        let context =
            match (what == LogUse::Append && unacknowledged) || what == LogUse::Acknowledge {
                true => context,
                false => match NothingWritten::take(failed, Back::of(what, e)) {
                    Some(0) => context,
                    Some(suppressed) => {
                        tracing::error!(
                            suppressed,
                            "{failed}: {suppressed} more request(s) since the last such line, each \
                         refused with 503 and nothing written"
                        );
                        context
                    }
                    None => return Problem::log_unavailable(detail),
                },
            };
        // The error names the operation, the backend's reason and the application, event type
        // and region of an append, never an event's content.
        match context {
            Some(LogContext {
                app,
                seq: Some(seq),
                event,
                region,
            }) => tracing::error!(
                error = %e,
                app = %app,
                seq,
                event = %event,
                region = %region,
                "{failed}"
            ),
            Some(LogContext {
                app, event, region, ..
            }) => tracing::error!(
                error = %e,
                app = %app,
                event = %event,
                region = %region,
                "{failed}"
            ),
            None => tracing::error!(error = %e, "{failed}"),
        }
        Problem::log_unavailable(detail)
    }

    /// The 503 of a failure of the event log, saying `detail`.
    fn log_unavailable(detail: &str) -> Problem {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "log-unavailable",
            "The event log is unavailable",
            detail,
        );
        p.retry_after = Some(5);
        p
    }
}

/// How often a failure of the event log that wrote nothing is logged: each kind (its line's
/// words) at most once per [`NothingWritten::INTERVAL`], the line after saying how many were not.
/// That count is also written without waiting for another failure ([`report_nothing_written`]):
/// as soon as the log takes writes again, else once the kind has been quiet a moment after its
/// interval. Before, it waited for the next failure of the kind, so an outage's refusals
/// were counted in the line of the next outage, a minute or a day later.
struct NothingWritten;

/// A kind's last line and what was not logged since.
#[derive(Debug, PartialEq)]
struct Throttle {
    /// When its last line was logged.
    line: std::time::Instant,
    /// The failures counted since, if any.
    pending: Option<Pending>,
    /// When a count was last written because the log took writes again.
    back: Option<std::time::Instant>,
}

/// Failures of one kind counted and not logged: how many, and when the first and the last came
/// (as the clock says, for the line; and the last on the monotonic clock, for the quiet).
#[derive(Debug, PartialEq)]
struct Pending {
    count: u64,
    first: crate::time::Timestamp,
    last: crate::time::Timestamp,
    last_at: std::time::Instant,
}

type LastLine = Option<Throttle>;

/// What the log's availability, as [`report_nothing_written`] asks it, says of a kind of
/// failure's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    /// An append refused before it was sent: over once the log takes writes again.
    Writes,
    /// A read the log could not be reached for: over once it can be reached again.
    Reachable,
    /// A failure of the log's storage: its availability does not see it end, so its count
    /// waits for the quiet, and no line says the log is back.
    Unseen,
}

impl Back {
    fn of(what: LogUse, e: &LogError) -> Back {
        match (what, e) {
            (_, LogError::Storage(_)) => Back::Unseen,
            (LogUse::Append, _) => Back::Writes,
            _ => Back::Reachable,
        }
    }
}

static NOTHING_WRITTEN: std::sync::Mutex<Vec<(&'static str, Back, LastLine)>> =
    std::sync::Mutex::new(Vec::new());

impl NothingWritten {
    const INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

    /// How long a kind must have had no failure before its count is written without the log
    /// being back: a failure about to come logs it itself, with its error.
    const QUIET: std::time::Duration = std::time::Duration::from_secs(1);

    /// How long a kind must have had no failure, the log taking writes, before its count is
    /// written as the outage's.
    const BACK: std::time::Duration = std::time::Duration::from_millis(250);

    /// Whether this failure, of the kind `failed` says, is logged: `Some(n)`, with the `n` of
    /// its kind not logged since its last line, or `None` (counted for the next).
    fn take(failed: &'static str, back: Back) -> Option<u64> {
        let mut kinds = NOTHING_WRITTEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (now, wall) = (std::time::Instant::now(), crate::time::Timestamp::now());
        match kinds.iter_mut().find(|(kind, _, _)| *kind == failed) {
            Some((_, _, last)) => Self::take_at(last, now, wall),
            None => {
                let mut last = None;
                let logged = Self::take_at(&mut last, now, wall);
                kinds.push((failed, back, last));
                logged
            }
        }
    }

    /// [`NothingWritten::take`] at `now` (`wall` on the clock), given the kind's last line and
    /// what was not logged since.
    fn take_at(
        last: &mut LastLine,
        now: std::time::Instant,
        wall: crate::time::Timestamp,
    ) -> Option<u64> {
        match last {
            Some(throttle) if now.duration_since(throttle.line) < Self::INTERVAL => {
                match &mut throttle.pending {
                    Some(p) => {
                        p.count += 1;
                        (p.last, p.last_at) = (wall, now);
                    }
                    None => {
                        throttle.pending = Some(Pending {
                            count: 1,
                            first: wall,
                            last: wall,
                            last_at: now,
                        })
                    }
                }
                None
            }
            Some(throttle) => {
                throttle.line = now;
                Some(throttle.pending.take().map_or(0, |p| p.count))
            }
            None => {
                *last = Some(Throttle {
                    line: now,
                    pending: None,
                    back: None,
                });
                Some(0)
            }
        }
    }

    /// What of a kind is to be written now without another failure, at `now`, and whether
    /// because the log takes writes again. When it does (`available`) and no failure of the kind
    /// came for [`NothingWritten::BACK`], the outage is over: everything counted is written at
    /// once, though only once per interval this way (a failure the log's availability does not
    /// see, repeated every few seconds, would otherwise be a line each). Else the count once the
    /// interval since the kind's last line has passed and it has been quiet for
    /// [`NothingWritten::QUIET`]. What is written counts as the kind's line.
    ///
    /// The failures themselves show the outage: one that ends between two looks (a server
    /// restarted, a reconnect in 100 ms) is never seen unavailable here.
    fn flush_at(
        last: &mut LastLine,
        now: std::time::Instant,
        available: bool,
    ) -> Option<(Pending, bool)> {
        let throttle = last.as_mut()?;
        let pending = throttle.pending.as_ref()?;
        let quiet = now.duration_since(pending.last_at);
        let back = available
            && quiet >= Self::BACK
            && throttle
                .back
                .is_none_or(|at| now.duration_since(at) >= Self::INTERVAL);
        let due =
            back || (now.duration_since(throttle.line) >= Self::INTERVAL && quiet >= Self::QUIET);
        if !due {
            return None;
        }
        throttle.line = now;
        if back {
            throttle.back = Some(now);
        }
        Some((throttle.pending.take()?, back))
    }

    /// [`NothingWritten::flush_at`] for a kind whose end the log's availability shows as `seen`
    /// says, with what its line says came after the failures: the log taking writes again, being
    /// reached again (a failed read), or none since. A failure of the log's storage is never said
    /// to be over because the log is available: that does not see it.
    fn due_at(
        last: &mut LastLine,
        seen: Back,
        now: std::time::Instant,
        available: bool,
    ) -> Option<(Pending, &'static str)> {
        let available = available && seen != Back::Unseen;
        let (pending, back) = Self::flush_at(last, now, available)?;
        let after = match (back, seen) {
            (true, Back::Writes) => "the event log takes writes again",
            (true, _) => "the event log can be reached again",
            (false, _) => "none since",
        };
        Some((pending, after))
    }

    /// Writes the counts [`NothingWritten::due_at`] finds due, one line each kind.
    fn flush(available: bool) {
        let mut kinds = NOTHING_WRITTEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = std::time::Instant::now();
        for (failed, seen, last) in kinds.iter_mut() {
            let Some((p, after)) = Self::due_at(last, *seen, now, available) else {
                continue;
            };
            let (count, from, to) = (p.count, p.first.to_rfc3339(), p.last.to_rfc3339());
            tracing::error!(
                suppressed = count,
                from = %from,
                to = %to,
                "{failed}: {count} more request(s) since the last such line, each refused with \
                 503 and nothing written, between {from} and {to}; {after}"
            );
        }
    }
}

/// How often [`report_nothing_written`] looks; asking whether the log is available is cheap (the
/// connection's state and a few flags).
const REPORT_TICK: std::time::Duration = std::time::Duration::from_millis(250);

/// Writes the counts of refusals that wrote nothing that their throttle holds
/// ([`NothingWritten`]) without waiting for another failure: every [`REPORT_TICK`] it asks
/// `available` whether the log takes writes, and writes each kind's count due
/// ([`NothingWritten::flush_at`]): as soon as the log takes writes again, saying between which
/// times those requests were refused. Stops when `available` answers `None` (the gateway is
/// gone).
pub fn report_nothing_written(available: impl Fn() -> Option<bool> + Send + 'static) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(REPORT_TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let Some(available) = available() else {
                return;
            };
            NothingWritten::flush(available);
        }
    });
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        // Every answer lists at most the first problems, the last saying how many there were
        // ([`tongban_schemas::limits::capped`]): a body of unknown members had been answered
        // with one problem each, 14 MB for 1 MB, and held in memory until read.
        self.errors = tongban_schemas::limits::capped(std::mem::take(&mut self.errors), "");
        self.warnings = self
            .warnings
            .take()
            .map(|w| tongban_schemas::limits::capped(w, ""));
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"tongban\""),
            );
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        // For the refusal's log line (`super::refusals`): the type, never the detail.
        let slug = self
            .kind
            .strip_prefix("urn:tongban:problem:")
            .unwrap_or(&self.kind);
        res.extensions_mut()
            .insert(super::refusals::Refused(slug.to_string()));
        // For a page's route, which answers it as a page (`super::pages::refused`).
        res.extensions_mut().insert(self);
        res
    }
}

impl From<DomainError> for Problem {
    fn from(e: DomainError) -> Problem {
        // A region that is no party hears what it would hear of an id that does not exist:
        // a 403 would confirm that the application exists, and on a log made before keyed ids,
        // ids derived from a region's Idempotency-Key can be guessed.
        if let DomainError::NotAParty { app, .. } = &e {
            return Problem::not_found(ServiceError::NotFound(app.clone()).to_string());
        }
        let detail = e.to_string();
        let mut p = match e.kind() {
            // A field the caller may not write so (an origin that is not the caller) is named
            // with its rule, as a local form's 422 names it at the province's own field.
            ErrorKind::Forbidden => match e.pointer() {
                Some(pointer) => Problem::forbidden(detail.clone())
                    .with_errors(vec![Violation::new(&pointer, e.rule(), detail)]),
                None => Problem::forbidden(detail),
            },
            // The rule is the problem's type: one title for each.
            ErrorKind::Conflict => {
                let title = match e {
                    DomainError::NotJoint { .. } => "Only for joint (多地联办) applications",
                    DomainError::SuspensionsExhausted { .. } => {
                        "The application was suspended as often as this gateway takes"
                    }
                    _ => "Not possible in the current state",
                };
                Problem::new(StatusCode::CONFLICT, e.rule(), title, detail)
            }
            ErrorKind::Invalid => {
                let pointer = e.pointer().unwrap_or_default();
                Problem::unprocessable(
                    detail.clone(),
                    vec![Violation::new(&pointer, e.rule(), detail)],
                )
            }
        };
        if let DomainError::IllegalTransition { state, .. } = &e {
            p.state = Some(state.as_str().to_string());
        }
        p
    }
}

impl From<ServiceError> for Problem {
    fn from(e: ServiceError) -> Problem {
        let detail = e.to_string();
        match e {
            ServiceError::Domain(d) => d.into(),
            ServiceError::Refused { error, status, seq } => {
                let mut p = Problem::from(error);
                p.state = Some(status.as_str().to_string());
                p.current_seq = Some(seq);
                p
            }
            ServiceError::Invalid(errors) => Problem::unprocessable(detail, errors),
            ServiceError::InvalidEvent { violations, .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-event",
                "The event payload does not fit its registered schema",
                detail,
            )
            .with_errors(violations),
            ServiceError::BadRequest { pointer, message } => {
                Problem::bad_request(&pointer, "request", message)
            }
            ServiceError::BeyondHistory { .. } => {
                Problem::bad_request("query:after_seq", "beyond-history", detail)
            }
            ServiceError::BeyondLog { .. } => {
                Problem::bad_request(super::read_after::HEADER_POINTER, "beyond-log", detail)
            }
            ServiceError::NotCaughtUp { .. }
            | ServiceError::FeedNotProjected { stopped: None, .. } => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not-caught-up",
                    "This gateway has not reached the position the request names",
                    detail,
                );
                p.retry_after = Some(1);
                p
            }
            ServiceError::ProjectionsStopped { .. }
            | ServiceError::FeedNotProjected {
                stopped: Some(_), ..
            } => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "projections-unavailable",
                    "This gateway's projections stopped and need a restart",
                    detail,
                );
                // Another gateway may answer at once; this one only after a restart.
                p.retry_after = Some(PROJECTIONS_RETRY_AFTER);
                p
            }
            ServiceError::Projection(crate::projections::ProjectionError::Failed(why)) => {
                // The store's own words (a kind and the OS error): no keys, no personal data.
                tracing::error!(error = %why, "a request met the failed projection store");
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "projections-unavailable",
                    "This gateway's projections stopped and need a restart",
                    format!(
                        "the projection store of this gateway failed ({why}) and takes no more \
                         writes until the gateway is restarted on a healthy disk; the event log \
                         is not affected. Retry through another gateway, or after the restart"
                    ),
                );
                p.retry_after = Some(PROJECTIONS_RETRY_AFTER);
                p
            }
            ServiceError::NotFound(_) => Problem::not_found(detail),
            ServiceError::Held(held) => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "application-held",
                    "This application's view is held at an event that does not fold",
                    detail,
                );
                p.held = Some(*held);
                p
            }
            ServiceError::Fold(
                crate::projections::FoldError::Decode { .. }
                | crate::projections::FoldError::Time { .. },
            ) => {
                tracing::error!(error = %detail, "an application's history does not fold");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unreadable-history",
                    "The application's history holds an event this gateway cannot read",
                    format!(
                        "{detail}; nothing was appended: its events are in the log \
                         (GET /v1/applications/{{id}}/events), and it can be acted on again \
                         once the gateway reads them"
                    ),
                )
            }
            ServiceError::Forbidden(_) => Problem::forbidden(detail),
            ServiceError::StaleSeq { actual, status, .. } => {
                let mut p = Problem::new(
                    StatusCode::CONFLICT,
                    "stale-seq",
                    "The application has moved on",
                    detail,
                );
                p.current_seq = Some(actual);
                p.state = Some(status.as_str().to_string());
                p
            }
            ServiceError::IdempotencyKeyReused { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key reused with a different request",
                detail,
            ),
            ServiceError::Contended => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "contended",
                    "Too much contention",
                    detail,
                );
                p.retry_after = Some(1);
                p
            }
            ServiceError::Busy { .. } => {
                let mut p = Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "log-read-busy",
                    "Another read of the whole log is running",
                    detail,
                );
                p.retry_after = Some(WHOLE_LOG_READ_RETRY_AFTER);
                p
            }
            ServiceError::Append(a) => Problem::log_failure(
                &a.error,
                LogUse::Append,
                Some(LogContext {
                    app: &a.app,
                    seq: Some(a.seq),
                    event: &a.event,
                    region: &a.region,
                }),
            ),
            ServiceError::Read(r) => Problem::log_failure(
                &r.error,
                LogUse::Read,
                Some(LogContext {
                    app: &r.app,
                    seq: None,
                    event: &r.event,
                    region: &r.region,
                }),
            ),
            ServiceError::Log(e @ (LogError::Unavailable(_) | LogError::Storage(_))) => {
                Problem::log_failure(&e, LogUse::Append, None)
            }
            ServiceError::Log(LogError::TooLarge(reason)) => Problem::payload_too_large(format!(
                "the event is too large for the event log: {reason}; nothing was stored: send a \
                 smaller form (fewer or shorter fields), since a retry fails the same way"
            )),
            ServiceError::FormUpcast(_) => {
                // Names the application, matter and versions only: no personal data.
                tracing::error!(error = %detail, "stored form does not upcast");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "form-upcast-failed",
                    "The application's form cannot be read under the current matter schema",
                    detail,
                )
            }
            ServiceError::Log(LogError::Corrupt { position, reason }) => {
                // The reason names positions, ids and seqs, and masks values: no personal data.
                tracing::error!(position, reason = %reason, "a stored event cannot be read");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "log-corrupt",
                    "The event log holds a damaged event",
                    format!(
                        "{} cannot be read as it should ({reason}): the log was damaged or \
                         changed outside tongban; the gateway's operators find every such \
                         position with `tongban verify` (docs/operators.md)",
                        // Position 0 is none: what is wrong is no one stored event.
                        if position == 0 {
                            "the event log".to_string()
                        } else {
                            format!("the stored event at log position {position}")
                        }
                    ),
                )
            }
            ServiceError::Broken(b) => {
                let breaks = b
                    .breaks
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                // Ids, seqs, positions and hashes: no personal data.
                tracing::error!(app = %b.app, breaks = %breaks,
                    "an application's stored events are not an intact chain; its history refused");
                let evidence = format!("/ui/applications/{}", b.app);
                let mut p = Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "log-corrupt",
                    "The event log holds a damaged event",
                    format!(
                        "the events of application {app} as the event log stores them are not \
                         an intact chain ({breaks}): the log was damaged or changed outside \
                         tongban, so no history of it is served here. Its evidence page \
                         ({evidence}) shows its events as stored with each break marked, and \
                         the gateway's operators check its chain with `tongban verify --app \
                         {app}` (docs/operators.md)",
                        app = b.app,
                    ),
                );
                p.breaks = b.breaks;
                p.evidence = Some(evidence);
                p
            }
            ServiceError::Log(LogError::Index(d)) => {
                // Names the application (an id), seqs and positions: no personal data.
                tracing::error!(app = %d.app, disagreement = %d.what,
                    "the log's index contradicts a read of one application; refused");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "log-corrupt",
                    "The event log holds a damaged event",
                    format!(
                        "the event log's index of application {} does not agree with itself or \
                         its events ({}): the log was damaged or changed outside tongban, so \
                         its history is neither served nor decided on; the gateway's operators \
                         find every such disagreement with `tongban verify --app {}` \
                         (docs/operators.md)",
                        d.app, d.what, d.app
                    ),
                )
            }
            ServiceError::Log(_)
            | ServiceError::Evidence(_)
            | ServiceError::Projection(_)
            | ServiceError::Fold(_)
            | ServiceError::Unregistered { .. } => {
                tracing::error!(error = %detail, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                    "internal error; see the gateway log",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a part completed in an application that is not joint, when it is answered, then it
    /// is a 409 of type `not-joint` with the application's state and seq, as every refusal by
    /// state is answered, and no body error. (Found by an HTTP walkthrough: 422 at pointer "",
    /// rule `domain`.)
    #[test]
    fn a_part_of_an_application_that_is_not_joint_is_a_conflict() {
        let p = Problem::from(ServiceError::Refused {
            error: DomainError::NotJoint { mode: "proxy" },
            status: crate::domain::Status::Accepted,
            seq: 3,
        });
        assert_eq!(
            (p.status, p.kind.as_str(), p.state.as_deref(), p.current_seq),
            (
                409,
                "urn:tongban:problem:not-joint",
                Some("accepted"),
                Some(3)
            )
        );
        assert!(p.errors.is_empty(), "{p:?}");
        assert!(p.detail.contains("joint (多地联办)"), "{}", p.detail);
        let p = Problem::from(ServiceError::Refused {
            error: DomainError::SupplementAlreadyRequested,
            status: crate::domain::Status::Supplemented,
            seq: 4,
        });
        assert_eq!(
            (p.status, p.kind.as_str()),
            (409, "urn:tongban:problem:illegal-transition")
        );
    }

    /// Given the two causes of a 413 (a body over the limit, an event over the log's), when each
    /// is answered, then both carry the one title of `payload-too-large` (RFC 9457) and differ in
    /// the detail only. Guards clients that show the title.
    #[test]
    fn payload_too_large_has_one_title() {
        let event = Problem::from(ServiceError::Log(LogError::TooLarge(
            "1200000 bytes, the servers take 1048576".into(),
        )));
        let body = super::super::guard::too_large(super::super::body::MAX_BODY);
        assert_eq!((event.status, body.status), (413, 413));
        assert_eq!(event.kind, body.kind);
        assert_eq!(event.title, body.title);
        assert!(event.detail.contains("event log"), "{}", event.detail);
        assert!(body.detail.contains("request bodies"), "{}", body.detail);
    }

    /// A stored event that cannot be read is answered as what it is, with its position, not as
    /// an anonymous internal error (the parties could not tell a damaged log from a bug).
    #[test]
    fn a_damaged_stored_event_is_named_with_its_position() {
        let p = Problem::reading(ServiceError::Log(LogError::Corrupt {
            position: 27,
            reason: "the index gives this position as seq 4".into(),
        }));
        assert_eq!(p.status, 500);
        assert_eq!(p.kind, "urn:tongban:problem:log-corrupt");
        assert!(p.detail.contains("log position 27"), "{}", p.detail);
        assert!(p.detail.contains("tongban verify"), "{}", p.detail);
    }

    /// A read the log's own index contradicts is the same problem, naming the application and
    /// what disagreed rather than a position that cannot be read.
    #[test]
    fn an_index_that_disagrees_is_named_with_the_application() {
        use crate::log::index::{Disagreement, Disagrees};
        let p = Problem::reading(ServiceError::Log(
            Disagreement {
                app: "0190f0c4-0000-7000-8000-00000000000a".into(),
                what: Disagrees::Missing {
                    seq: 3,
                    next: Some(4),
                },
            }
            .into(),
        ));
        assert_eq!(p.status, 500);
        assert_eq!(p.kind, "urn:tongban:problem:log-corrupt");
        assert!(
            p.detail.contains(
                "application 0190f0c4-0000-7000-8000-00000000000a does not agree with itself or \
                 its events (it has no entry for seq 3, yet one for seq 4)"
            ),
            "{}",
            p.detail
        );
        assert!(
            p.detail
                .contains("tongban verify --app 0190f0c4-0000-7000-8000-00000000000a"),
            "{}",
            p.detail
        );
    }
}

#[cfg(test)]
mod nothing_written_tests {
    use super::NothingWritten;
    use crate::time::Timestamp;
    use std::time::{Duration, Instant};

    /// Given failures of the event log that wrote nothing, coming every second, when each asks
    /// whether it is logged, then the first is, the next nine are counted, and the first after
    /// the interval is logged with the count of those nine.
    #[test]
    fn a_failure_that_wrote_nothing_is_logged_once_per_interval_with_a_count() {
        let start = Instant::now();
        let mut last = None;
        let asked: Vec<Option<u64>> = (0..12)
            .map(|s| {
                NothingWritten::take_at(&mut last, start + Duration::from_secs(s), Timestamp(0))
            })
            .collect();
        let mut expected = vec![Some(0)];
        expected.extend(std::iter::repeat_n(None, 9));
        expected.push(Some(9));
        expected.push(None);
        assert_eq!(asked, expected);
    }

    /// Given an outage of 12 s whose failures came every 10 ms, when it ends, then the failures
    /// counted since the line at 10 s are written at once when the log takes writes again, with
    /// their count and first and last times, and nothing is left for the next outage; while it
    /// lasts (failures still coming), nothing is written but the failures' own lines. Another
    /// outage's end is written at most once per interval.
    #[test]
    fn an_outages_count_is_written_when_the_log_is_back_not_at_the_next_outage() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut last = None;
        let mut logged = Vec::new();
        for ms in (0..12_000).step_by(10) {
            if let Some(n) = NothingWritten::take_at(&mut last, at(ms), Timestamp(ms as i64)) {
                logged.push((ms, n));
            }
            assert_eq!(NothingWritten::flush_at(&mut last, at(ms), false), None);
        }
        assert_eq!(logged, vec![(0, 0), (10_000, 999)]);
        // Back at 12.5 s: the 199 after the line at 10 s, from 10.01 s to 11.99 s.
        let (flushed, back) =
            NothingWritten::flush_at(&mut last, at(12_500), true).expect("flushed");
        assert_eq!(
            (flushed.count, flushed.first, flushed.last, back),
            (199, Timestamp(10_010), Timestamp(11_990), true)
        );
        assert_eq!(NothingWritten::flush_at(&mut last, at(12_600), true), None);
        // A failure a moment later, the log available: counted, and not written as an
        // outage's end again within the interval; written once the interval has passed.
        assert_eq!(
            NothingWritten::take_at(&mut last, at(13_000), Timestamp(13_000)),
            None
        );
        assert_eq!(NothingWritten::flush_at(&mut last, at(14_000), true), None);
        let (flushed, back) =
            NothingWritten::flush_at(&mut last, at(22_500), true).expect("flushed");
        assert_eq!((flushed.count, back), (1, true));
        // The next outage, a minute later, starts with its own line and no old count.
        assert_eq!(
            NothingWritten::take_at(&mut last, at(72_000), Timestamp(72_000)),
            Some(0)
        );
    }

    /// Given failures of each kind counted and over, when the log is available, then a refused
    /// append's count says the log takes writes again and a failed read's that it can be reached
    /// again, at once; a failed storage's waits for its interval and the quiet, and says none
    /// since: the log's availability does not see storage fail. (Every count said the log takes
    /// writes again, a failed read's too.)
    #[test]
    fn what_a_count_says_came_after_depends_on_what_failed() {
        use super::Back;
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut said = Vec::new();
        for seen in [Back::Writes, Back::Reachable, Back::Unseen] {
            let mut last = None;
            for ms in [0, 100, 200] {
                NothingWritten::take_at(&mut last, at(ms), Timestamp(ms as i64));
            }
            let soon = NothingWritten::due_at(&mut last, seen, at(1_000), true);
            let later = NothingWritten::due_at(&mut last, seen, at(11_000), true);
            said.push((
                soon.map(|(p, after)| (p.count, after)),
                later.map(|(p, after)| (p.count, after)),
            ));
        }
        assert_eq!(
            said,
            [
                (Some((2, "the event log takes writes again")), None),
                (Some((2, "the event log can be reached again")), None),
                (None, Some((2, "none since"))),
            ]
        );
    }

    /// Given failures counted while the log still counts as available (a failure it does not
    /// see), when they stop, then their count is written once the interval has passed and a
    /// second has gone by without one, not before: the throttle holds.
    #[test]
    fn a_count_is_written_after_its_interval_once_quiet_without_the_log_coming_back() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut last = None;
        assert_eq!(
            NothingWritten::take_at(&mut last, at(0), Timestamp(0)),
            Some(0)
        );
        for ms in [1_000, 2_000, 9_500] {
            assert_eq!(
                NothingWritten::take_at(&mut last, at(ms), Timestamp(ms as i64)),
                None
            );
        }
        assert_eq!(NothingWritten::flush_at(&mut last, at(9_000), false), None);
        assert_eq!(
            NothingWritten::flush_at(&mut last, at(10_200), false),
            None,
            "a failure 0.7 s ago: the next may log it"
        );
        let (flushed, back) =
            NothingWritten::flush_at(&mut last, at(10_600), false).expect("flushed");
        assert_eq!(
            (flushed.count, flushed.first, back),
            (3, Timestamp(1_000), false)
        );
        assert_eq!(
            NothingWritten::take_at(&mut last, at(11_000), Timestamp(11_000)),
            None,
            "the written count is the kind's line"
        );
    }
}
