//! What can go wrong running a command, classified for the edge.

use tongban_schemas::Violation;

use crate::domain::DomainError;
use crate::log::LogError;
use crate::projections::view::FoldError;
use crate::projections::{FormUpcastError, ProjectionError};

/// Why a client can hold a position past the end of the log (`end`), and what it does
/// then: said alike by every refusal of one ([`ServiceError::BeyondLog`], the feed's `after` and
/// acknowledgement). Positions this gateway answered before its data directory was restored from
/// an older backup are among them, and past `end` they will name new events.
pub(crate) fn past_the_end(end: u64) -> String {
    format!(
        "a position from another deployment, mistyped, or one this gateway answered before its \
         log was restored from a backup that ends before it. Drop it: positions after {end} \
         will name new events (docs/operations.md, \"Retention and backups\"; docs/adapters.md, \
         \"After a restore\")"
    )
}

/// What a caller holding a position the log has and the projections not yet does: keep it.
fn not_projected_yet(stopped: Option<&str>) -> String {
    match stopped {
        None => {
            "not projected yet. Keep the position and send it again after Retry-After".to_string()
        }
        Some(why) => format!(
            "they stopped after their store failed ({why}) and reach nothing more until the \
             gateway is restarted. Keep the position and send it again after the restart"
        ),
    }
}

/// `region` is no party to application `app`: answered as an unknown id is (`http::problem`).
pub(super) fn not_a_party(app: &str, region: &str) -> ServiceError {
    ServiceError::Domain(DomainError::NotAParty {
        app: app.to_string(),
        region: region.to_string(),
    })
}

impl ServiceError {
    /// `self`, when it is the log failing a read (unreachable, storage), as the read the append
    /// of `event` by `region` to `app` needed ([`FailedRead`]); any other error as it is.
    pub(super) fn reading_for(self, app: &str, event: &str, region: &str) -> ServiceError {
        match self {
            ServiceError::Log(error @ (LogError::Unavailable(_) | LogError::Storage(_))) => {
                ServiceError::Read(Box::new(FailedRead {
                    app: app.to_string(),
                    event: event.to_string(),
                    region: region.to_string(),
                    error,
                }))
            }
            e => e,
        }
    }
}

/// An append the event log failed: not taken (unreachable, fail-stopped), or sent and not
/// acknowledged. Carries what the append was for, so that the operator's log line names the
/// application, its event type and region (never the event's content).
#[derive(Debug)]
pub struct FailedAppend {
    pub app: String,
    pub seq: u64,
    pub event: String,
    pub region: String,
    /// [`LogError::Unavailable`] or [`LogError::Storage`].
    pub error: LogError,
}

/// A read of the event log that an append needed first (an action reading the application's
/// history, a retried submission reading the one its key made), which the log failed: nothing was
/// appended. Carries what the append was to be, so that the operator's log line names the
/// application, the event type and the region (never any content), and says it was a read.
#[derive(Debug)]
pub struct FailedRead {
    pub app: String,
    pub event: String,
    pub region: String,
    /// [`LogError::Unavailable`] or [`LogError::Storage`].
    pub error: LogError,
}

/// An application whose events, read over the whole log as stored, break their chain: where and
/// how, in the log's order. Ids, seqs, positions and hashes only: no content.
#[derive(Debug)]
pub struct BrokenHistory {
    pub app: String,
    pub breaks: Vec<ChainBreak>,
}

/// One event that breaks its application's chain as stored: its seq, its log position and
/// what is wrong with it, in the words `tongban verify --app` uses.
// The words are crate::envelope::ChainError's.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct ChainBreak {
    pub seq: u64,
    pub position: u64,
    pub problem: String,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seq {} at log position {}: {}",
            self.seq, self.position, self.problem
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{}", .0.error)]
    Append(Box<FailedAppend>),
    #[error("{}", .0.error)]
    Read(Box<FailedRead>),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("the application has {} problem(s)", .0.len())]
    Invalid(Vec<Violation>),
    /// The event this command would append does not validate against its registered payload schema
    /// (a bug in a command's checks, or a request the action schema let through); nothing was appended.
    #[error("the {event} payload has {} problem(s) against schema {schema}", .violations.len())]
    InvalidEvent {
        event: String,
        schema: String,
        violations: Vec<Violation>,
    },
    /// The registry has no usable schema for an event type the gateway writes (a build defect).
    #[error("no usable registered schema for event {event}: {reason}")]
    Unregistered { event: String, reason: String },
    #[error("{message}")]
    BadRequest { pointer: String, message: String },
    #[error("no application {0}")]
    NotFound(String),
    /// The application's projection is held at an event that does not fold, or does not verify
    /// ([`crate::projections::held`]).
    #[error(
        "application {}'s view is held before seq {}: that event (log position {}, type {}) is \
         not folded: {}; its events are in the log (GET /v1/applications/{}/events; `tongban \
         verify --app` checks them), and a rebuild by a gateway that reads it (`tongban \
         rebuild`) folds it again if it verifies",
        .0.app, .0.seq, .0.position, .0.kind, .0.reason, .0.app
    )]
    Held(Box<crate::projections::Held>),
    #[error("{0}")]
    Forbidden(String),
    #[error("expected_seq is {expected} but the application is at seq {actual}")]
    StaleSeq {
        expected: u64,
        actual: u64,
        /// The application's status at `actual`.
        status: crate::domain::Status,
    },
    /// A command the application's state does not allow (a domain conflict such as an illegal
    /// transition), with that state's status and seq, so that the caller can decide again
    /// without reading the application first.
    #[error("{error}")]
    Refused {
        error: DomainError,
        status: crate::domain::Status,
        seq: u64,
    },
    /// The key is shown as [`tongban_schemas::mask::field_name`] shows a made-up name: a
    /// province that numbers its requests by an applicant's ID number or phone would otherwise
    /// get it back in a message that may be logged on either side.
    #[error(
        "Idempotency-Key {} was already used by this region for a different request (application {app})",
        shown_key(key)
    )]
    IdempotencyKeyReused { key: String, app: String },
    #[error("the application changed while deciding, too often; try again")]
    Contended,
    /// A read of the whole log asked for while another runs on this gateway, which runs one at
    /// a time (`Gateway::statistics_at`): refused at once, since a queue would only hold callers
    /// while the work piles up.
    #[error(
        "this gateway is reading its whole log for another caller, which it does one at a time \
         (each reads every event); ask for {what} again after Retry-After"
    )]
    Busy { what: &'static str },
    /// A read naming a log position (`X-Tongban-Read-After`) that this gateway's projections
    /// did not reach in time: the write is acknowledged, and this gateway has not seen it yet.
    #[error(
        "X-Tongban-Read-After names log position {}; the log ends at {end} as far as this \
         gateway has heard, and its projections hold events up to {reached}: not reached in \
         time; retry after Retry-After (through any gateway). A position far beyond the log's \
         end was answered by no gateway of this log and is never reached: drop it",
        crate::shown::position(*.wanted, *.end)
    )]
    NotCaughtUp { wanted: u64, end: u64, reached: u64 },
    /// A feed position (`after`, or an acknowledgement: `what`) that the log holds but this
    /// gateway's projections have not reached yet (catching up after a restart, a slow
    /// projector, or projections that stopped for good: `stopped`, their store's failure). The
    /// position is valid: kept, and asked again, never dropped as one past the log's end.
    #[error(
        "{what} {wanted} is in the log (it ends at {end}), but this gateway's projections hold \
         events up to {reached} only: {}",
        not_projected_yet(stopped.as_deref())
    )]
    FeedNotProjected {
        what: &'static str,
        wanted: u64,
        end: u64,
        reached: u64,
        stopped: Option<String>,
    },
    /// A read naming a log position (`X-Tongban-Read-After`) beyond the end of a log only this
    /// gateway writes: no write of the log as it is answered it (one before a restore may have).
    #[error(
        "X-Tongban-Read-After names log position {}, but this gateway's log ends at \
         {end}: {}",
        crate::shown::position(*.wanted, *.end),
        past_the_end(*.end)
    )]
    BeyondLog { wanted: u64, end: u64 },
    /// A page of an application's events asked after a seq past its last event
    /// ([`crate::service::Gateway::events_page`]): the caller holds events the log does not.
    /// The number asked after is not echoed: one typed in the wrong place may be an ID number.
    #[error(
        "after_seq is past the application's last event (seq {last}): ask after a seq it holds, \
         0 for its start"
    )]
    BeyondHistory { last: u64 },
    /// A read naming a log position (`X-Tongban-Read-After`) beyond what this gateway's
    /// projections hold, when they stopped for good (their store failed): never reached here,
    /// so refused at once rather than after the wait; another gateway, or this one restarted,
    /// answers it.
    #[error(
        "X-Tongban-Read-After names log position {wanted}, but this gateway's projections \
         stopped at {reached} after their store failed ({why}) and reach nothing more until the \
         gateway is restarted: retry through another gateway, or after the restart. The write \
         itself is durable in the log"
    )]
    ProjectionsStopped {
        wanted: u64,
        reached: u64,
        why: String,
    },
    #[error(transparent)]
    Log(#[from] LogError),
    /// An application's events as the log stores them are not an intact chain (a copy, one
    /// removed, two swapped, one rewritten in place): refused, and [`super::Gateway::events`] names
    /// each break rather than the position alone.
    #[error(
        "application {}'s events as the log stores them are not an intact chain: {}",
        .0.app,
        .0.breaks.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Broken(Box<BrokenHistory>),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error(transparent)]
    Fold(#[from] FoldError),
    /// A submission's form does not upcast to the latest version of its matter's schema.
    #[error(transparent)]
    FormUpcast(#[from] FormUpcastError),
    /// The region's request evidence could not be stored; nothing was appended.
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
}

/// A key as a message shows it: as [`tongban_schemas::mask::field_name`] shows a made-up name,
/// and when it reads as personal data written in groups (`136-1234-5678`), whose short runs of
/// digits that masking would leave, its digits run together first (`136******78`).
fn shown_key(key: &str) -> String {
    let shown = match crate::ids::personal_key(key) {
        Some(_) => key.replace('-', ""),
        None => key.to_string(),
    };
    format!("{:?}", tongban_schemas::mask::field_name(&shown))
}
