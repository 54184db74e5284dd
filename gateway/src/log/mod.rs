//! The event log: the single source of truth. Everything else is derived from it.
//!
//! Two backends implement [`EventLog`]: the embedded fjall log (default, one machine) and NATS
//! JetStream (production). Both pass the same [`conformance`] suite.

pub mod acks;
pub mod any;
pub mod app_ids;
#[cfg(test)]
pub mod conformance;
pub mod embedded;
pub mod ends;
pub mod foreign;
pub mod head_hash;
pub mod index;
pub mod jetstream;
mod recent;
pub mod unreadable;
pub mod whole;

use std::future::Future;

use tokio::sync::watch;

use crate::envelope::Envelope;

pub use acks::{AckRecord, FirstAck};
pub use any::AnyLog;
pub use embedded::EmbeddedLog;
pub use jetstream::{JetStreamConfig, JetStreamLog, SharedCursors};
pub use unreadable::{PassedOver, Unreadable};
pub use whole::Whole;

/// An event and its position in the whole log.
#[derive(Debug, Clone)]
pub struct Positioned {
    /// Strictly increasing across the log (not necessarily contiguous on every backend).
    pub position: u64,
    pub event: Envelope,
    /// This process sealed the event and appended it, and it never left memory since: the
    /// bytes the log made durable at `position` were these. Such an event need not be verified
    /// again by whoever folds it (the projector); any other one (read from the store, pushed by
    /// the stream: another gateway's, or one planted by whoever can write there) must be.
    pub sealed_here: bool,
}

/// The same entry of the log (its position and event), whoever sealed it: what a read from the
/// store and a hand-over from memory are compared by.
impl PartialEq for Positioned {
    fn eq(&self, other: &Positioned) -> bool {
        self.position == other.position && self.event == other.event
    }
}

impl Positioned {
    /// An event as read from the log, not known to be this process's own.
    pub fn read(position: u64, event: Envelope) -> Positioned {
        Positioned {
            position,
            event,
            sealed_here: false,
        }
    }
}

/// What an acknowledgement (`POST …/feed/ack`) did to its region's feed cursor. A cursor only
/// moves forward, so an acknowledgement of a position at or behind it (a retry, or an adapter
/// whose own record of its progress went back, after a restore of its database say) changes
/// nothing and is answered as one that did, with the cursor as it stands: `moved` tells the two
/// apart, so that such an adapter can notice that it is behind the gateway's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Advanced {
    /// The cursor after the acknowledgement.
    pub cursor: u64,
    /// Whether this acknowledgement moved it.
    pub moved: bool,
}

/// A region's acknowledged feed cursor: the region acknowledged (`POST …/feed/ack`) everything
/// its feed lists up to `position`, and its feed lists only the events of applications it is
/// party to. Operators compare it with an event's log position to settle "we never received
/// it", so it carries when it was acknowledged where that is known.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Acked {
    /// 0: nothing acknowledged yet.
    pub position: u64,
    /// What moved the cursor to `position` and when, where the gateway knows (the latest move
    /// only: every earlier acknowledgement is in the history, [`acks`]).
    pub moved: Moved,
}

/// What moved a feed cursor to where it is, and when. Kept apart because in a deadline dispute
/// the time of an acknowledgement is evidence of the region's adapter, while a move the gateway
/// made itself (back after a restore, or the hand-over of cursors to a shared bucket) is not,
/// and an acknowledgement shown earlier than it was taken is the worst error there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Moved {
    /// No time is stored for the cursor's position: moved before the gateway kept times, by an
    /// older build (whose time, if any, is of another position), carried over a rebuild of the
    /// projections or moved back by the gateway on the embedded log.
    #[default]
    NotStored,
    /// The region's acknowledgement that moved the cursor there was taken then.
    Acknowledged(crate::time::Timestamp),
    /// The gateway moved the cursor there itself then: back to the end of a stream restored from
    /// a backup, or when it handed its own cursors over to the stream's bucket.
    ByGateway(crate::time::Timestamp),
    /// The cursor was last written then by a gateway that does not say how (a build before the
    /// distinction, or a write by hand): an acknowledgement or a gateway's move.
    Written(crate::time::Timestamp),
}

impl Moved {
    /// The time of the acknowledgement that moved the cursor, when that is what moved it.
    pub fn acknowledged_at(&self) -> Option<crate::time::Timestamp> {
        match self {
            Moved::Acknowledged(at) => Some(*at),
            _ => None,
        }
    }
}

/// One application's events as read, each beside its position in the log: `positions[i]` is
/// where `events[i]` is. Kept apart, not as [`Positioned`], so that the operator tools fold and
/// check the events as the slice they take everywhere else, without a copy of a history that
/// may be long. No positions (an empty `positions`) where the caller cannot say: the tools then
/// show none, never a number guessed.
#[derive(Debug, Clone, Copy)]
pub struct Placed<'a> {
    pub events: &'a [Envelope],
    pub positions: &'a [u64],
}

impl<'a> Placed<'a> {
    /// `events` at `positions` (as many, in the same order; any other count is taken as no
    /// positions at all rather than a wrong one beside an event).
    pub fn new(events: &'a [Envelope], positions: &'a [u64]) -> Placed<'a> {
        let positions = match positions.len() == events.len() {
            true => positions,
            false => &[],
        };
        Placed { events, positions }
    }

    /// Events whose positions are not known.
    pub fn unplaced(events: &'a [Envelope]) -> Placed<'a> {
        Placed {
            events,
            positions: &[],
        }
    }

    /// Where the `i`th event is in the log, when known.
    pub fn position(&self, i: usize) -> Option<u64> {
        self.positions.get(i).copied()
    }
}

/// What the log holds at a position [`EventLog::read_at`] was asked for.
///
/// A position that holds nothing is an answer, not an error: the read worked, and asking again
/// answers the same until someone puts the event back. A region's feed carries a marker there
/// and goes on past it (`crate::service::feed`), where an error of the read (the log out of
/// reach, the disk failing: [`LogError`]) answers 5xx and is asked again.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every position read holds its event: boxing it would cost an allocation per \
              event to save space on the rare position that holds nothing"
)]
pub enum At {
    /// The event stored at the position.
    Event(Positioned),
    /// No event is stored at the position: removed from the embedded log's disk, deleted from
    /// the stream, or past where the log ends. `tongban verify` names every such position.
    Nothing(u64),
    /// Bytes are stored at the position, but they are not an event ([`unreadable`]).
    Unreadable(Unreadable),
}

impl At {
    /// The position asked for.
    pub fn position(&self) -> u64 {
        match self {
            At::Event(p) => p.position,
            At::Nothing(position) => *position,
            At::Unreadable(u) => u.position,
        }
    }

    /// The event, if the position holds one.
    pub fn into_event(self) -> Option<Positioned> {
        match self {
            At::Event(p) => Some(p),
            At::Nothing(_) | At::Unreadable(_) => None,
        }
    }
}

impl From<Positioned> for At {
    fn from(p: Positioned) -> At {
        At::Event(p)
    }
}

/// The events of a run of [`EventLog::entries`], for a reader that folds nothing past a record
/// that is not an event: up to the first such record (the run ends before it), which is
/// [`LogError::Corrupt`] when it comes first, so that the reader names it.
fn events_of(entries: Vec<At>) -> Result<Vec<Positioned>, LogError> {
    let mut events = Vec::with_capacity(entries.len());
    for entry in entries {
        match entry {
            At::Event(p) => events.push(p),
            At::Unreadable(u) if events.is_empty() => {
                return Err(LogError::Corrupt {
                    position: u.position,
                    reason: u.reason,
                });
            }
            At::Unreadable(_) => break,
            At::Nothing(_) => {}
        }
    }
    Ok(events)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// Someone else appended first: reload, decide again.
    #[error("application {app} is at seq {actual}, not the expected {expected}")]
    Conflict {
        app: String,
        expected: u64,
        actual: u64,
    },
    /// The caller built an event that does not follow its own expectation.
    #[error("event seq {seq} does not follow expected seq {expected}")]
    BadSeq { expected: u64, seq: u64 },
    /// The backend cannot take writes now (unreachable, or stopped after a storage failure).
    #[error("event log unavailable: {0}")]
    Unavailable(String),
    /// The write may not be durable: it was not acknowledged.
    #[error("event log storage failed: {0}")]
    Storage(String),
    /// The sealed event is larger than the backend takes in one record (a NATS server's
    /// `max_payload`): never stored, and a retry fails the same way.
    #[error("the event is too large for the event log: {0}")]
    TooLarge(String),
    #[error("stored event at position {position} is unreadable: {reason}")]
    Corrupt { position: u64, reason: String },
    /// A read of one application that the log's own index contradicts (the embedded log's):
    /// refused, not answered as a shorter or another history ([`index::agrees`]).
    #[error(transparent)]
    Index(Box<index::Disagreement>),
    /// The embedded log's directory is locked by another process (fjall allows one at a
    /// time): a gateway serving on it, or another tool. A variant of its own so that each
    /// caller can say what to do in its own terms, without reading the message.
    #[error("{dir} is in use by another process (is a gateway running on this data directory?)")]
    InUse { dir: String },
    /// The embedded log's directory cannot be written (no permission, a read-only file system,
    /// a full disk), so fjall, which writes to any log it opens, did not open it; its files are
    /// whole. A variant of its own, as [`LogError::InUse`] is: a tool that opened a copy of the
    /// log says that the copy's place is at fault, not the log, and does not advise the command
    /// that just failed.
    #[error(
        "the event log in {dir} {why} ({io}): a gateway writes to it from the start. Nothing was \
         opened and nothing is damaged; make the directory writable (or free space) and start \
         again. `tongban verify` reads the log as it is (from a copy of it)"
    )]
    Unwritable {
        dir: String,
        /// Completes "the event log in DIR …" ("is on a read-only file system").
        why: &'static str,
        /// The operating system's words, never Rust's debug text.
        io: String,
    },
}

/// The events of the applications `keep` takes, read over the whole log in position order, with
/// their positions: what the events themselves say an application's history is, whatever the
/// log's own read of one application makes of them (which refuses events that do not follow each
/// other). A position holding no event's bytes is passed over, as `tongban verify` goes on past
/// it (and reports it). For the evidence of a tampered log: the gateway's evidence page and
/// `/events` refusal, and the whole-log verification's second look at an application.
pub async fn read_whole<L: EventLog>(
    log: &L,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<Positioned>, LogError> {
    let mut whole = Whole::new(log, 4096);
    let mut events = Vec::new();
    while let Some(batch) = whole.next().await? {
        events.extend(batch.into_iter().filter(|p| keep(&p.event.app)));
    }
    Ok(events)
}

/// The bytes to store for `event`, appended after `expected_seq`: what every backend checks
/// first. Refused when the event does not follow its own expectation, or cannot be encoded (an
/// error rather than an empty record, which would stop every reader of the log there).
pub(crate) fn stored_form(event: &Envelope, expected_seq: u64) -> Result<Vec<u8>, LogError> {
    if event.seq != expected_seq.saturating_add(1) {
        return Err(LogError::BadSeq {
            expected: expected_seq,
            seq: event.seq,
        });
    }
    event
        .to_json()
        .map_err(|e| LogError::Storage(format!("event {} could not be encoded: {e}", event.id)))
}

/// What a backend counts about its writes, for `/metrics`. Fields a backend cannot know are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogStats {
    /// Events this process appended (acknowledged as durable).
    pub appends: u64,
    /// Events per group commit (one fsync each): how well batching amortises the fsync.
    pub batch_sizes: Option<crate::metrics::Snapshot>,
    /// Microseconds to write and fsync each group commit: the disk's share of an append's
    /// latency, apart from queueing for the writer.
    pub sync_micros: Option<crate::metrics::Snapshot>,
    /// Microseconds from publishing each append to the server's ack (JetStream): the server's
    /// store, and with replicas its quorum, as the gateway waits for it.
    pub ack_micros: Option<crate::metrics::Snapshot>,
    /// Appends published and not yet acknowledged by the server.
    pub in_flight: Option<u64>,
    /// Whether the stream's server pushes this gateway where each event is stored now
    /// (JetStream: its consumer follows); the poll alone follows other gateways' appends
    /// otherwise.
    pub pushed: Option<bool>,
    /// Requests that asked the log where it ends ([`EventLog::refresh_head`]): for a read naming
    /// a position this gateway had not heard of, or `latest`, or a feed acknowledgement beyond
    /// it. JetStream: the stream's info from its leader, shared by the callers waiting at the
    /// same time.
    pub end_asked: Option<u64>,
    /// Other gateways' events the stream's consumer pushed and this gateway kept for its
    /// projector (JetStream), which then did not ask the server for them.
    pub pushed_kept: Option<u64>,
    /// Events the projector read from the server because they were not in memory (JetStream):
    /// low while the push brings the other gateways' events.
    pub followed_from_stream: Option<u64>,
    /// Times the stream's consumer was given up and asked for again (JetStream): `stalled`, it
    /// left a position known stored undelivered (a flow-control reply lost); `lost`, the
    /// server stopped sending to it (missed heartbeats, a closed subscription, an error).
    pub consumers_remade: Option<ConsumersRemade>,
    /// What the log's own store holds in memory (the embedded log; JetStream keeps it in the
    /// server).
    pub memory: Option<crate::fjall_tuning::StoreMemory>,
}

/// Why the stream's consumer was asked for again, counted ([`LogStats::consumers_remade`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConsumersRemade {
    pub stalled: u64,
    pub lost: u64,
}

/// An append-only, per-application ordered, durable log of sealed events.
/// Why a log takes no writes ([`EventLog::refusal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What the 503s say (ids and positions, no personal data).
    pub why: String,
    /// Only a restart, after the operator's fix, takes writes again.
    pub restart_required: bool,
}

pub trait EventLog: Send + Sync + 'static {
    /// Appends `event` if its application's last seq is `expected_seq` (0: no events yet) and
    /// its `prev_hash` names that last event's hash (else a conflict: an event decided on another
    /// history is never appended as a break in the chain).
    /// Resolves only once the event is durable; returns its position. Appending an event whose id
    /// is already stored at that seq returns the stored position (a retry, not a conflict).
    fn append(
        &self,
        event: Envelope,
        expected_seq: u64,
    ) -> impl Future<Output = Result<u64, LogError>> + Send;

    /// Every event of one application, in seq order.
    fn read(&self, app: &str) -> impl Future<Output = Result<Vec<Envelope>, LogError>> + Send;

    /// [`EventLog::read`], each event with its position in the log, and the messages stored
    /// among the application's events that are not its history, which the read passed over
    /// ([`foreign`]: on JetStream, what something other than a gateway published on its subject;
    /// none on the embedded log), for `tongban verify --app` to name. The positions are what the
    /// operator tools show beside each event (`tongban replay`, the evidence page): the number a
    /// region's feed and its acknowledged cursor speak in, which settles "we never received it".
    /// Every backend knows them as it reads (the embedded log from its index, JetStream from the
    /// stream sequence), so none is guessed.
    fn read_with_passed(
        &self,
        app: &str,
    ) -> impl Future<Output = Result<(Vec<Positioned>, foreign::Passed), LogError>> + Send;

    /// [`EventLog::read_with_passed`] as the reads an action makes read the application
    /// ([`EventLog::read_after`] from its start): a copy of one of its events, and another event
    /// under a seq before its last (under its last only where the seals settle it), is passed
    /// over and named among what was passed ([`foreign::What::Copy`], [`foreign::What::Another`])
    /// instead of refusing the read at its position. The history is served from this one read
    /// (`service`'s events), the copies named beside it, where refusing at the first copy made
    /// it read the whole log and the application's events again to say the same. The default,
    /// for a log that stores nothing among an application's events (the embedded one), is that
    /// read.
    fn read_decided(
        &self,
        app: &str,
    ) -> impl Future<Output = Result<(Vec<Positioned>, foreign::Passed), LogError>> + Send {
        self.read_with_passed(app)
    }

    /// Whether `event`, sealed and not yet appended, fits the largest message this log stores:
    /// `TooLarge`, as its append would answer, where the backend knows that limit without
    /// asking (JetStream: the servers' `max_payload`, the stream's `max_msg_size`). What a
    /// submission's dry run asks, so that it refuses what the submission would be refused. The
    /// default, for a log without such a limit (the embedded one), says it fits.
    fn fits(&self, event: &Envelope) -> Result<(), LogError> {
        let _ = event;
        Ok(())
    }

    /// Whether this log refuses an event over a size ([`EventLog::fits`] can say no): a dry
    /// run seals its event to measure it only then, and spares the signature on a log that
    /// takes every size (the embedded one, the default).
    fn limits_size(&self) -> bool {
        false
    }

    /// The application's last event (`None`: it has none), without reading the ones before it:
    /// what an action checks its remembered state against ([`crate::service::states`]), so
    /// that acting on an application costs the same at its hundredth event as at its second.
    /// The same answer as the last of [`EventLog::read`]; a backend that cannot do better reads
    /// them all.
    fn last(&self, app: &str) -> impl Future<Output = Result<Option<Envelope>, LogError>> + Send {
        async move { Ok(self.read(app).await?.pop()) }
    }

    /// The application's events after its seq `seq`, in seq order (`seq` 0: all of them): what
    /// an action reads to bring a state remembered as of event `seq` up to date when another
    /// writer moved the application on ([`crate::service::states`]), without the events before
    /// it. `position` is where event `seq` is in the log when the caller knows it (0: it does
    /// not): a backend without an index by seq (JetStream) starts reading there. It is checked,
    /// not trusted; a wrong one costs a whole read. The default reads every event.
    fn read_after(
        &self,
        app: &str,
        seq: u64,
        position: u64,
    ) -> impl Future<Output = Result<Vec<Envelope>, LogError>> + Send {
        let _ = position;
        async move {
            let mut all = self.read(app).await?;
            let keep = usize::try_from(seq).map_or(all.len(), |s| s.min(all.len()));
            Ok(all.split_off(keep))
        }
    }

    /// Up to `max` of the application's events from its seq `first` on (0 reads as 1), in seq
    /// order: one page of its history ([`crate::service::Gateway::events_page`]), read as far as
    /// the page goes and no further, so that a page of 50 costs 50 events' reads wherever it
    /// lies in a history of thousands. What it reads is judged as [`EventLog::read`] judges it
    /// (on JetStream, a copy of one of the application's events among it is refused too), so
    /// that a page refuses what the whole read refuses among the events it covers. What lies
    /// past them is neither read nor judged, nor, where the read starts at `position` or by an
    /// index, what lies before event `first`: the whole read, `tongban verify` and the evidence
    /// page are where that is found. `position` is where event `first` is in the log when the
    /// caller knows it (0: it does not): a backend without an index by seq (JetStream) reads
    /// its subject from there rather than from its start; checked, not trusted. The default, for
    /// a backend that cannot do better, reads the whole history and cuts the page from it.
    fn read_page(
        &self,
        app: &str,
        first: u64,
        max: usize,
        position: u64,
    ) -> impl Future<Output = Result<Vec<Envelope>, LogError>> + Send {
        let _ = position;
        async move {
            let all = self.read(app).await?;
            let skip = usize::try_from(first.saturating_sub(1)).unwrap_or(usize::MAX);
            Ok(all.into_iter().skip(skip).take(max).collect())
        }
    }

    /// Up to `max` entries at positions `>= from`, in position order: each an event, or a
    /// record whose bytes are read fine but are not one ([`At::Unreadable`], a fact about that
    /// position that the projections record and go on past). Positions holding nothing are
    /// passed over, never answered. A log that cannot be read now is an error, asked again.
    fn entries(
        &self,
        from: u64,
        max: usize,
    ) -> impl Future<Output = Result<Vec<At>, LogError>> + Send;

    /// [`EventLog::entries`] for a reader following the head (the projector), which reads back
    /// each event just after it lands: a backend may answer from the events this process itself
    /// just appended instead of reading them back from its store. Every other reader uses
    /// `entries`, so verification, reconciliation and rebuilds always see what the backend
    /// holds (on JetStream, what the stream's replicas answer in batches, and the leader the
    /// rest).
    fn follow_entries(
        &self,
        from: u64,
        max: usize,
    ) -> impl Future<Output = Result<Vec<At>, LogError>> + Send {
        self.entries(from, max)
    }

    /// Up to `max` events at positions `>= from`, in position order ([`EventLog::entries`]'s
    /// events): a record that is not an event ends the run before it, and is
    /// [`LogError::Corrupt`] when it is the first, for readers that stop there or name it and
    /// read on after it. A reader of the whole log reads it through [`Whole`], which passes over
    /// such records and keeps them for it to say so.
    fn read_all(
        &self,
        from: u64,
        max: usize,
    ) -> impl Future<Output = Result<Vec<Positioned>, LogError>> + Send {
        async move { events_of(self.entries(from, max).await?) }
    }

    /// [`EventLog::read_all`] over [`EventLog::follow_entries`].
    fn follow(
        &self,
        from: u64,
        max: usize,
    ) -> impl Future<Output = Result<Vec<Positioned>, LogError>> + Send {
        async move { events_of(self.follow_entries(from, max).await?) }
    }

    /// What the log holds at each of `positions` (ascending; positions of events, e.g. from a
    /// region's feed), in that order: the event, or [`At::Nothing`] where no event is stored
    /// (which the caller judges: the feed marks it and goes on, a read of one application's
    /// submission reports the log corrupt), or [`At::Unreadable`] where the bytes stored are
    /// not an event; a log that cannot be read now is an error.
    fn read_at(&self, positions: &[u64]) -> impl Future<Output = Result<Vec<At>, LogError>> + Send;

    /// The position of the last durable event, updated as appends land (also those of other
    /// writers, where the backend is shared). Projections subscribe to this.
    fn head(&self) -> watch::Receiver<u64>;

    /// Asks the log where it ends now, moves [`EventLog::head`] there and answers it: for a
    /// read that must see a write acknowledged through another gateway (`X-Tongban-Read-After`)
    /// before this gateway's head has heard of it. A log only this process writes knows its
    /// head already, and asks nothing. No default: a shared backend that answered its head
    /// would lose read-your-writes across gateways without a sound.
    fn refresh_head(&self) -> impl Future<Output = Result<u64, LogError>> + Send;

    /// Where the application's last event is in the log (`None`: it has none, as far as the
    /// log's answer goes): a position at or after every event of it, for a repeated submission
    /// to answer (`X-Tongban-Position`). A log only this process writes answers its head.
    fn last_position(
        &self,
        app: &str,
    ) -> impl Future<Output = Result<Option<u64>, LogError>> + Send;

    /// A short name for logs and metrics (`embedded`, `jetstream`).
    fn backend(&self) -> &'static str;

    /// Whether the log is on this gateway's own disk, readable whenever its projections are. Then
    /// the projections leave what never changes, a submission's content, in the log and read it
    /// back from there ([`crate::projections::store::Submissions`]). A log behind the network may
    /// be out of reach while the projections still answer reads, so they keep it themselves.
    fn is_local(&self) -> bool {
        false
    }

    /// Whether the log can take writes now, as far as this process knows without asking it: for
    /// `/healthz` (`log_available`) and `/metrics` (`tongban_log_available`), so that an outage
    /// is seen before the 503s it causes are. Cheap and never waits: both endpoints are polled.
    /// A backend that cannot tell answers `true`, as before this existed: its failures still
    /// answer 503 each, and no health check is failed on a guess.
    fn available(&self) -> bool {
        true
    }

    /// Why the log takes no writes now, and whether only a restart (after the operator's fix)
    /// brings them back; `None` while it takes them. For `/healthz`: an outage heals by itself,
    /// a refusal for good (a stream replaced or put back to an older copy, a failed disk) waits
    /// for someone, and the two must not look alike.
    fn refusal(&self) -> Option<Refusal> {
        None
    }

    /// Write counters for `/metrics`; a backend that keeps none reports zeros.
    fn stats(&self) -> LogStats {
        LogStats::default()
    }

    /// Where the regions' feed cursors live when several gateways share this log (JetStream:
    /// a key-value bucket beside the stream), so that a region acknowledging through one gateway
    /// reads on from there through any. `None`: one gateway owns the log, and keeps the cursors
    /// in its projections.
    fn shared_cursors(&self) -> Option<&SharedCursors> {
        None
    }

    /// The log's own index by application, where it keeps one apart from the events (the
    /// embedded log), for verification to check against them ([`index`]). `None`: an
    /// application's events are read from the events themselves (JetStream).
    fn index(&self) -> Option<&dyn index::AppIndex> {
        None
    }
}
