//! The regions' feed cursors, kept in a JetStream key-value bucket beside the stream, so that every
//! gateway of one stream sees one cursor per region.
//!
//! A region's adapter acknowledges what it has processed (`POST /v1/regions/{region}/feed/ack`)
//! and, without `after=`, reads on from there. On the embedded log the cursor lives in the
//! gateway's own projections, which is right: one gateway owns that log. On JetStream several
//! gateways serve one stream, and an adapter behind a load balancer reaches whichever answers;
//! a cursor kept in each gateway's projections would lag on the others, which would deliver
//! again what the region had processed. So here the cursor is one key per region in the bucket
//! `<stream>_cursors` (the region's code; the value its position, in decimal, readable with
//! `nats kv get`). Stored on the server like the events, replicated like them, and as durable
//! as the server's `sync_interval` makes every JetStream write.
//!
//! - A cursor only moves forward. Two gateways acknowledging at once compare and set on the
//!   key's revision (`Nats-Expected-Last-Subject-Sequence`); the loser reads the winner's
//!   position and tries again only while its own is further.
//! - Reads go to the bucket's stream leader, never a replica's direct get, which may answer
//!   from before the last write (as the event log's reads do).
//! - The bucket names the stream it belongs to (the key [`SOURCE_KEY`]): positions are that
//!   stream's sequences, so when the stream was deleted and made again under its name, the
//!   cursors name other events and are dropped, as a rebuild from another log drops them on the
//!   embedded log.
//! - When a cursor moved is the time the server stored its key ([`SharedCursors::acked`]). What
//!   moved it is said in a header of the key's message ([`MOVED_BY`]), beside the value, which
//!   stays the bare position every gateway (older ones too) reads: an acknowledgement, or the
//!   gateway itself (the move back of [`SharedCursors::clamp`] after a restore, or the hand-over
//!   of a gateway's own cursors at its first start on JetStream, which carries the time of the
//!   acknowledgement it kept, [`ACKED_AT`]). A value without the header was written by a build
//!   before it, or by hand, and is shown as written then, not as acknowledged. The bucket keeps
//!   the last value only, so only the latest move is known there.
//! - Every acknowledgement that moves a cursor is also recorded in the stream `<stream>_acks`
//!   ([`history_name`]), one subject per region (`<stream>_acks.<region>`), one message per
//!   acknowledgement (`{"from","to","actor"}`; its time is the server's of storing it): the
//!   history the dispute tools read the first acknowledgement past an event from
//!   ([`crate::log::acks`]). A record is stored after the cursor moves (late, never early: a
//!   record lost to a failure in between is stored by the region's next acknowledgement, with
//!   its time, [`SharedCursors::advance`]) and only past the region's last record (compare and
//!   set on the subject's last sequence), so a region's
//!   records' positions grow with their stream sequences, and the first at or past a position
//!   is found by a binary search over the stream's sequences with `next_by_subj` gets from the
//!   stream leader: O(log n) requests, whatever the number of records. (A direct get would do
//!   the same from a replica, which may answer from before the last record.)

use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream::{self, kv, stream};

use super::SetupError;
use super::connect::{Denied, FORMING_PATIENCE, still_forming};
use crate::domain::is_region_code;
use crate::log::{AckRecord, FirstAck, LogError};

/// How many times an acknowledgement tries after losing a compare-and-set to another gateway
/// before it reports the log unavailable. Each loss means someone else moved the cursor, so a
/// run of them is as many concurrent acknowledgements for one region; between tries it waits a
/// few random milliseconds so that the racers spread out.
const RACES: usize = 64;

/// The header of a cursor's message saying what moved it: [`BY_ACK`] or [`BY_GATEWAY`].
pub const MOVED_BY: &str = "Tongban-Moved-By";
/// [`MOVED_BY`] of a cursor moved by its region's acknowledgement.
const BY_ACK: &str = "acknowledgement";
/// [`MOVED_BY`] of a cursor moved by a gateway itself (back after a restore, or the hand-over).
const BY_GATEWAY: &str = "gateway";
/// The header of a handed-over cursor carrying when the acknowledgement that moved it was taken
/// (milliseconds since 1970), since the server's time of the write is the hand-over's.
pub const ACKED_AT: &str = "Tongban-Acked-At";

/// The key holding which stream the cursors are positions of (not a region code, so never a
/// region's cursor).
pub const SOURCE_KEY: &str = "log-source";

/// The bucket holding the cursors of the regions that read from `stream`. Bucket names take
/// letters, digits, `_` and `-`; any other character of the stream's name is written as `_u`
/// and its code point in hex, so that two streams' names never give one bucket (`通办` and
/// `办理` would both be `__` if each character became `_`).
pub fn bucket_name(stream: &str) -> String {
    named_for(stream, "_cursors")
}

/// The stream holding the history of the regions' acknowledgements of `stream`'s feeds, named
/// as [`bucket_name`] names the bucket (`TONGBAN_acks`). Its subjects are the name and a
/// region's code (`TONGBAN_acks.330000`): the name holds no `.`, `*` or `>`, so one token.
pub fn history_name(stream: &str) -> String {
    named_for(stream, "_acks")
}

/// `stream` in the characters stream and bucket names take, then `suffix`.
fn named_for(stream: &str, suffix: &str) -> String {
    use std::fmt::Write as _;
    let mut name = String::with_capacity(stream.len() + 8);
    for c in stream.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            name.push(c);
        } else {
            let _ = write!(name, "_u{:x}", u32::from(c));
        }
    }
    name.push_str(suffix);
    name
}

/// A record of the history as a message holds it (its time is the message's, unless `at`
/// says it).
#[derive(serde::Serialize, serde::Deserialize)]
struct RecordBody {
    from: u64,
    to: u64,
    actor: String,
    /// When the acknowledgement was taken (milliseconds since 1970), for a record written
    /// again later than it: one cut back to a restored stream's end keeps its time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    at: Option<i64>,
}

/// The regions' feed cursors in the stream's key-value bucket.
#[derive(Clone)]
pub struct SharedCursors {
    client: async_nats::Client,
    /// For the cursors' writes with headers ([`MOVED_BY`]), which the bucket's own update takes
    /// none of.
    js: jetstream::Context,
    store: kv::Store,
    /// The event stream, whose end bounds every cursor.
    events: stream::Stream,
    bucket: String,
    /// The stream of the acknowledgement history ([`history_name`]); `None` for a read-only
    /// tool on a stream whose gateways kept none yet.
    history: Option<stream::Stream>,
    op_timeout: Duration,
}

/// A key as stored: its value and the revision to compare and set against (0: never written).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    /// `None`: no value (never written, deleted or purged).
    value: Option<String>,
    revision: u64,
    /// What wrote it and when, from its headers and the server's time.
    moved: crate::log::Moved,
    /// Written by a region's acknowledgement as it was taken (not handed over): a move the
    /// history records ([`SharedCursors::record_through`]).
    recorded: bool,
}

/// What a cursor's write says moved it ([`MOVED_BY`]).
#[derive(Debug, Clone, Copy)]
enum Mark {
    /// The region's acknowledgement, taken now (the server's time of the write is its time).
    AckNow,
    /// An acknowledgement taken then, handed over from a gateway's own cursors.
    AckedAt(crate::time::Timestamp),
    /// The gateway's own move.
    Gateway,
}

/// A cursor as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cursor {
    position: u64,
    revision: u64,
    moved: crate::log::Moved,
    /// [`Stored::recorded`].
    recorded: bool,
}

impl SharedCursors {
    /// Opens the bucket of the stream `events`, creating it (with the stream's replicas) when it
    /// is missing, and drops its cursors if they were another stream's (`source` names this
    /// one: `jetstream:<name>:<created>`). Waits up to the stream's own patience for a cluster
    /// that is still forming.
    pub async fn open(
        client: async_nats::Client,
        js: &jetstream::Context,
        events: stream::Stream,
        source: &str,
        op_timeout: Duration,
        denied: &Denied,
    ) -> Result<SharedCursors, SetupError> {
        let name = events.cached_info().config.name.clone();
        let replicas = events.cached_info().config.num_replicas;
        let bucket = bucket_name(&name);
        let deadline = std::time::Instant::now() + FORMING_PATIENCE;
        let cannot = |what: &str, e: &dyn std::fmt::Display| {
            SetupError::JetStream(format!(
                "cannot open {what}: {e} (a gateway needs the rights to create and use it: \
                 docs/operations.md, \"NATS permissions\")"
            ))
        };
        let store = until_formed(denied, deadline, || {
            open_bucket(js, &bucket, &name, replicas)
        })
        .await?
        .map_err(|e| cannot(&format!("the feed cursors' bucket {bucket}"), &e))?;
        let acks = history_name(&name);
        let history = until_formed(denied, deadline, || {
            open_history(js, &acks, &name, replicas)
        })
        .await?
        .map_err(|e| cannot(&format!("the acknowledgement history's stream {acks}"), &e))?;
        let problems = unfit_history(&history.cached_info().config);
        if !problems.is_empty() {
            return Err(SetupError::JetStream(format!(
                "the acknowledgement history's stream {acks} would not keep the regions' \
                 acknowledgements: {}. Fix its settings, or delete it (`nats stream rm {acks}`): \
                 the gateway makes it anew, and the history then starts from the next \
                 acknowledgement",
                problems.join("; ")
            )));
        }
        // A bucket someone else made (or changed) is used only if it keeps what it is told:
        // an acknowledged position that vanishes sends a region's feed back to its start.
        if let Ok(status) = store.status().await {
            let kept = status.info.config.num_replicas;
            if kept < replicas {
                tracing::warn!(
                    %bucket,
                    replicas = kept,
                    stream_replicas = replicas,
                    "the feed cursors' bucket has fewer replicas than the event stream: a server lost may take acknowledged positions the stream keeps; raise them (nats stream edit KV_{bucket} --replicas {replicas})"
                );
            }
            let problems = unfit_bucket(&status.info.config);
            if !problems.is_empty() {
                return Err(SetupError::JetStream(format!(
                    "the feed cursors' bucket {bucket} (stream KV_{bucket}) would not keep the \
                     regions' acknowledged positions: {}. Fix its settings, or delete it (`nats \
                     kv del {bucket}`): the gateway makes it anew, and each region's feed then \
                     starts again from the beginning",
                    problems.join("; ")
                )));
            }
        }
        let cursors = SharedCursors::of(client, js, store, events, Some(history), op_timeout);
        // A bucket just made on a cluster takes writes only once its stream's subjects are
        // routed to it from this server ("no stream found for given subject" until then), as the
        // event stream does (`wait_routable`); binding is idempotent, so it is tried again.
        loop {
            let bound = async {
                cursors.bind(source).await?;
                cursors.bind_history(source).await
            };
            match denied.attempt(bound).await? {
                Ok(()) => return Ok(cursors),
                Err(_) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(e) => return Err(SetupError::JetStream(e.to_string())),
            }
        }
    }

    /// The bucket of the stream `events` as it stands, for the read-only tools, which neither
    /// create nor bind it: `None` when there is none (no gateway has served the stream) or when
    /// its cursors are another stream's of that name (`source` names this one), which the next
    /// gateway to start drops.
    pub async fn existing(
        client: async_nats::Client,
        js: &jetstream::Context,
        events: stream::Stream,
        source: &str,
        op_timeout: Duration,
    ) -> Result<Option<SharedCursors>, LogError> {
        let name = events.cached_info().config.name.clone();
        let bucket = bucket_name(&name);
        let unavailable = |e: &dyn std::fmt::Display| {
            LogError::Unavailable(format!("reading the feed cursors' bucket {bucket}: {e}"))
        };
        match super::within(op_timeout, js.get_stream(format!("KV_{bucket}"))).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if super::connect::is_not_found(&e) => return Ok(None),
            Ok(Err(e)) => return Err(unavailable(&e)),
            Err(no) => return Err(unavailable(&no)),
        }
        let store = match super::within(op_timeout, js.get_key_value(&bucket)).await {
            Ok(Ok(store)) => store,
            Ok(Err(e)) => return Err(unavailable(&e)),
            Err(no) => return Err(unavailable(&no)),
        };
        let history = match super::within(op_timeout, js.get_stream(history_name(&name))).await {
            Ok(Ok(history)) => Some(history),
            Ok(Err(e)) if super::connect::is_not_found(&e) => None,
            Ok(Err(e)) => return Err(unavailable(&e)),
            Err(no) => return Err(unavailable(&no)),
        };
        let mut cursors = SharedCursors::of(client, js, store, events, history, op_timeout);
        if cursors.stored(SOURCE_KEY).await?.value.as_deref() != Some(source) {
            return Ok(None);
        }
        // A history of another stream of this name (one no gateway has served since) is none.
        if cursors.history_source().await?.as_deref() != Some(source) {
            cursors.history = None;
        }
        Ok(Some(cursors))
    }

    /// The cursors in `store`, the bucket of the stream `events`.
    fn of(
        client: async_nats::Client,
        js: &jetstream::Context,
        store: kv::Store,
        events: stream::Stream,
        history: Option<stream::Stream>,
        op_timeout: Duration,
    ) -> SharedCursors {
        SharedCursors {
            history,
            bucket: store.name.clone(),
            // The log's own context (built on `client` with `op_timeout`), not a second one.
            js: js.clone(),
            client,
            store,
            events,
            op_timeout,
        }
    }

    /// Makes sure the bucket's cursors are positions of the stream `source` names.
    async fn bind(&self, source: &str) -> Result<(), LogError> {
        for _ in 0..RACES {
            let stored = self.stored(SOURCE_KEY).await?;
            match stored.value.as_deref() {
                Some(s) if s == source => return Ok(()),
                Some(other) => {
                    tracing::warn!(
                        bucket = %self.bucket,
                        was = other,
                        now = source,
                        "the feed cursors were positions of another stream of this name; dropped, \
                         so every region reads its feed from the start"
                    );
                    self.bounded("dropping the cursors of another stream", async {
                        self.store.stream.purge().await
                    })
                    .await?;
                }
                None => {
                    if self.set(SOURCE_KEY, source, stored.revision).await? {
                        return Ok(());
                    }
                }
            }
        }
        Err(self.unavailable(
            "naming the stream of the feed cursors",
            format!("the key kept changing under {RACES} tries"),
        ))
    }

    /// The bucket's name, for logs and documentation.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn unavailable(&self, what: &str, e: impl std::fmt::Display) -> LogError {
        LogError::Unavailable(format!("{what} in bucket {}: {e}", self.bucket))
    }

    /// Fails at once while the client knows the connection is down, as the log's appends do.
    fn connected(&self, what: &str) -> Result<(), LogError> {
        match self.client.connection_state() {
            State::Connected => Ok(()),
            state => Err(self.unavailable(what, format!("NATS connection is {state:?}"))),
        }
    }

    /// `f` within the operation timeout ([`super::within`]), failing at once while disconnected.
    /// The outer error is the connection's or the timeout's; the inner result is `f`'s own, for
    /// callers that tell some of its errors apart (no message yet, a lost race). The connection
    /// is checked here, before every request, because the cursors' operations have no check of
    /// their own (the log's `timed` leaves it to the log's operations, which check once each).
    async fn timed<T, E>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, E>>,
    ) -> Result<Result<T, E>, LogError> {
        self.connected(what)?;
        super::within(self.op_timeout, f)
            .await
            .map_err(|no| self.unavailable(what, no))
    }

    /// [`SharedCursors::timed`], with every error of `f` reported as unavailable.
    async fn bounded<T, E: std::fmt::Display>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, E>>,
    ) -> Result<T, LogError> {
        self.timed(what, f)
            .await?
            .map_err(|e| self.unavailable(what, e))
    }

    /// The last message of `subject` in `stream`, read from its leader (`None`: the subject
    /// holds none): a cursor's key, or a region's last record of the history.
    async fn last_message(
        &self,
        what: &str,
        stream: &stream::Stream,
        subject: &str,
    ) -> Result<Option<jetstream::message::StreamMessage>, LogError> {
        use jetstream::stream::LastRawMessageErrorKind;
        let read = stream.get_last_raw_message_by_subject(subject);
        match self.timed(what, read).await? {
            Ok(m) => Ok(Some(m)),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(self.unavailable(what, e)),
        }
    }

    /// Publishes `payload` with `headers` to `subject` if the subject's last message is still
    /// at the sequence the headers expect; false when another gateway wrote first (10071, or
    /// 10164 from clustered servers: however the server words it).
    async fn publish_expecting(
        &self,
        what: &str,
        subject: String,
        headers: async_nats::HeaderMap,
        payload: Vec<u8>,
    ) -> Result<bool, LogError> {
        let write = async {
            self.js
                .publish_with_headers(subject, headers, payload.into())
                .await?
                .await
        };
        match self.timed(what, write).await? {
            Ok(_) => Ok(true),
            Err(e) if super::is_wrong_last_sequence(&e) => Ok(false),
            Err(e) => Err(self.unavailable(what, e)),
        }
    }

    /// A key's last message, read from the bucket's stream leader.
    async fn stored(&self, key: &str) -> Result<Stored, LogError> {
        let subject = format!("{}{key}", self.store.prefix);
        let what = "reading a feed cursor";
        let Some(message) = self
            .last_message(what, &self.store.stream, &subject)
            .await?
        else {
            return Ok(Stored {
                value: None,
                revision: 0,
                moved: crate::log::Moved::NotStored,
                recorded: false,
            });
        };
        // A delete or purge leaves a marker: no value, but its revision is what a write expects.
        let removed = message.headers.get("KV-Operation").is_some();
        let value = (!removed).then(|| String::from_utf8_lossy(&message.payload).into_owned());
        // Milliseconds, as every time the gateway writes; the server's clock, which every
        // gateway of the stream shares for this.
        let millis = message.time.unix_timestamp_nanos() / 1_000_000;
        let written = i64::try_from(millis).ok().map(crate::time::Timestamp);
        let header = |name: &str| message.headers.get(name).map(|v| v.as_str().to_string());
        let carried = header(ACKED_AT)
            .and_then(|v| v.parse::<i64>().ok())
            .map(crate::time::Timestamp);
        let moved = match (header(MOVED_BY).as_deref(), written) {
            (_, None) => crate::log::Moved::NotStored,
            (Some(BY_ACK), Some(at)) => crate::log::Moved::Acknowledged(carried.unwrap_or(at)),
            (Some(BY_GATEWAY), Some(at)) => crate::log::Moved::ByGateway(at),
            (_, Some(at)) => crate::log::Moved::Written(at),
        };
        let recorded = header(MOVED_BY).as_deref() == Some(BY_ACK) && carried.is_none();
        Ok(Stored {
            value,
            revision: message.sequence,
            moved,
            recorded,
        })
    }

    async fn cursor(&self, region: &str) -> Result<Cursor, LogError> {
        let stored = self.stored(region).await?;
        let position = match stored.value.as_deref().map(str::parse::<u64>) {
            Some(Ok(position)) => position,
            None => 0,
            // Written by hand, not by a gateway: read as no cursor, which the next
            // acknowledgement overwrites, rather than stop every read of the feed.
            Some(Err(_)) => {
                tracing::warn!(
                    %region,
                    bucket = %self.bucket,
                    "a feed cursor is not a position; read as none until the region acknowledges"
                );
                0
            }
        };
        Ok(Cursor {
            position,
            revision: stored.revision,
            // A value that is no position moved nothing: no time for it either.
            moved: match position {
                0 => crate::log::Moved::NotStored,
                _ => stored.moved,
            },
            recorded: position > 0 && stored.recorded,
        })
    }

    /// The position up to which `region` has acknowledged its feed (0: nothing yet).
    pub async fn get(&self, region: &str) -> Result<u64, LogError> {
        if !is_region_code(region) {
            return Ok(0);
        }
        Ok(self.cursor(region).await?.position)
    }

    /// [`SharedCursors::get`] with what last moved the cursor and when ([`crate::log::Acked`]).
    pub async fn acked(&self, region: &str) -> Result<crate::log::Acked, LogError> {
        if !is_region_code(region) {
            return Ok(crate::log::Acked::default());
        }
        let cursor = self.cursor(region).await?;
        Ok(crate::log::Acked {
            position: cursor.position,
            moved: cursor.moved,
        })
    }

    /// Writes `value` if the key is still at `revision`; false when another gateway wrote it
    /// first.
    async fn set(&self, key: &str, value: &str, revision: u64) -> Result<bool, LogError> {
        let what = "writing a feed cursor";
        let write = self.store.update(key, value.to_string().into(), revision);
        match self.timed(what, write).await? {
            Ok(_) => Ok(true),
            // Lost the race, however the server words it (10071; 10164 from clustered servers).
            Err(e) if super::is_wrong_last_sequence(&e) => Ok(false),
            Err(e) => Err(self.unavailable(what, e)),
        }
    }

    /// Writes a cursor with what moved it ([`MOVED_BY`]) if the key is still at `revision`;
    /// false when another gateway wrote it first. The value is the bare position, as every
    /// gateway reads it.
    async fn set_cursor(
        &self,
        region: &str,
        position: u64,
        revision: u64,
        mark: Mark,
    ) -> Result<bool, LogError> {
        use async_nats::header::{HeaderMap, NATS_EXPECTED_LAST_SUBJECT_SEQUENCE};
        let what = "writing a feed cursor";
        let mut headers = HeaderMap::new();
        headers.insert(NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, revision.to_string());
        match mark {
            Mark::AckNow => headers.insert(MOVED_BY, BY_ACK),
            Mark::AckedAt(at) => {
                headers.insert(MOVED_BY, BY_ACK);
                headers.insert(ACKED_AT, at.0.to_string());
            }
            Mark::Gateway => headers.insert(MOVED_BY, BY_GATEWAY),
        }
        let prefix = self
            .store
            .put_prefix
            .as_deref()
            .unwrap_or(&self.store.prefix);
        let subject = format!("{prefix}{region}");
        let payload = position.to_string().into_bytes();
        self.publish_expecting(what, subject, headers, payload)
            .await
    }

    /// Moves `region`'s cursor to `position` unless it is already there or further, and
    /// returns the cursor as it then is, and whether this moved it. Answers once the server has stored it and the history
    /// records it. The region's acknowledgement, by `actor` (`<region>/<token id>`): the time
    /// shown for it is the server's of its record.
    ///
    /// A record may be late, never early: the cursor moves first, and the record is stored
    /// after it ([`SharedCursors::record_through`]), so no record ever stands for an
    /// acknowledgement that was not taken. A gateway that fails between the two (a timeout, a
    /// lost connection) answers 503 and leaves the cursor past the region's last record; the
    /// next acknowledgement of the region, whatever its position, records that catch-up with
    /// its own time before it is answered, later than the acknowledgement the cursor took but
    /// never earlier. With two gateways racing, one may record the other's move with its own
    /// time: a position's first acknowledgement then shows a moment later, never earlier.
    pub async fn advance(
        &self,
        region: &str,
        position: u64,
        actor: &str,
    ) -> Result<crate::log::Advanced, LogError> {
        if !is_region_code(region) {
            return Err(self.unavailable(
                "writing a feed cursor",
                format!("{region:?} is not a region code"),
            ));
        }
        for _ in 0..RACES {
            let now = self.cursor(region).await?;
            if position <= now.position {
                // Nothing to move; a move an acknowledgement made whose record was lost is
                // recorded now, before this acknowledgement is answered.
                if now.recorded {
                    self.record_through(region, now.position, 0, actor).await?;
                }
                return Ok(crate::log::Advanced {
                    cursor: now.position,
                    moved: false,
                });
            }
            if self
                .set_cursor(region, position, now.revision, Mark::AckNow)
                .await?
            {
                // A cursor a gateway moved (a hand-over, a move back) was not acknowledged
                // then: the record starts from it, not from the region's last record, unless
                // an acknowledgement moved it and its record was lost.
                let floor = if now.recorded { 0 } else { now.position };
                self.record_through(region, position, floor, actor).await?;
                return Ok(crate::log::Advanced {
                    cursor: position,
                    moved: true,
                });
            }
            race_pause().await;
        }
        Err(self.unavailable(
            "writing a feed cursor",
            format!("region {region}'s cursor kept changing under {RACES} tries"),
        ))
    }

    /// Records that `region`'s cursor was moved to `to` by `actor`'s acknowledgement, now,
    /// unless the region's last record reaches it already: from the last record's `to` (or
    /// `floor`, where the cursor was moved without an acknowledgement), appended past the last
    /// record only (compare and set on the subject's last sequence), so a region's records'
    /// positions grow with their stream sequences.
    async fn record_through(
        &self,
        region: &str,
        to: u64,
        floor: u64,
        actor: &str,
    ) -> Result<(), LogError> {
        for _ in 0..RACES {
            let last = self.last_record(region).await?;
            let (expected, last_to) = last.map_or((0, 0), |(seq, r)| (seq, r.to));
            if to <= last_to {
                return Ok(());
            }
            let record = RecordBody {
                from: last_to.max(floor),
                to,
                actor: actor.to_string(),
                at: None,
            };
            if self.append_record(region, &record, expected).await? {
                return Ok(());
            }
            race_pause().await;
        }
        Err(self.unavailable(
            "recording a feed acknowledgement",
            format!("region {region}'s history kept changing under {RACES} tries"),
        ))
    }

    /// [`SharedCursors::advance`] for a cursor a gateway kept itself and hands over: marked an
    /// acknowledgement taken at its time where `moved` knows one, else the gateway's move.
    pub async fn hand_over(
        &self,
        region: &str,
        position: u64,
        moved: crate::log::Moved,
    ) -> Result<u64, LogError> {
        let mark = match moved {
            crate::log::Moved::Acknowledged(at) => Mark::AckedAt(at),
            _ => Mark::Gateway,
        };
        self.move_forward(region, position, mark).await
    }

    /// Moves the cursor forward, written with `mark`.
    async fn move_forward(&self, region: &str, position: u64, mark: Mark) -> Result<u64, LogError> {
        if !is_region_code(region) {
            return Err(self.unavailable(
                "writing a feed cursor",
                format!("{region:?} is not a region code"),
            ));
        }
        for _ in 0..RACES {
            let now = self.cursor(region).await?;
            if position <= now.position {
                return Ok(now.position);
            }
            if self
                .set_cursor(region, position, now.revision, mark)
                .await?
            {
                return Ok(position);
            }
            race_pause().await;
        }
        Err(self.unavailable(
            "writing a feed cursor",
            format!("region {region}'s cursor kept changing under {RACES} tries"),
        ))
    }

    /// The event stream's last sequence as its leader has it now: the furthest any region can
    /// have seen ([`SharedCursors::clamp`]; reads ask through
    /// [`crate::log::EventLog::refresh_head`], which shares one request among its callers).
    async fn log_end(&self) -> Result<u64, LogError> {
        let info = self
            .bounded("reading the stream state", self.events.get_info())
            .await?;
        Ok(info.state.last_sequence)
    }

    /// Moves the cursor of each of `regions` that is past the stream's end back to it, and
    /// returns those regions with the cursor each had. A cursor can only be past the end of a
    /// stream restored from a backup that ends before it; left there, the region would skip the
    /// events appended next, at positions it had acknowledged. A cursor moved by another gateway
    /// in between is left to that gateway.
    pub async fn clamp(
        &self,
        regions: impl IntoIterator<Item = String>,
    ) -> Result<Vec<(String, u64)>, LogError> {
        let mut read = Vec::new();
        for region in regions.into_iter().filter(|r| is_region_code(r)) {
            let cursor = self.cursor(&region).await?;
            read.push((region, cursor));
        }
        // Read after the cursors: every cursor read was at most the stream's end when it was
        // written, and the end only grows, so a cursor past this end is past every end.
        let end = self.log_end().await?;
        let mut moved = Vec::new();
        for (region, cursor) in read {
            if cursor.position > end {
                if !self
                    .set_cursor(&region, end, cursor.revision, Mark::Gateway)
                    .await?
                {
                    continue;
                }
                moved.push((region.clone(), cursor.position));
                // The history's records past the end acknowledged events the restored stream
                // no longer holds (the events appended next take their positions): cut after
                // the cursor moved back, so that no acknowledgement in between records the
                // cursor past the end as its catch-up ([`SharedCursors::advance`]); one in
                // between is at worst recorded late, by the next.
                self.drop_history_past(&region, end, true, u64::MAX).await?;
            } else if self.history.is_some() {
                self.drop_records_past_cursor(&region).await?;
            }
        }
        Ok(moved)
    }

    /// Drops `region`'s records past its cursor, which no acknowledgement the cursor took made
    /// (a record is stored after its cursor moves): those an earlier build stored before moving
    /// the cursor and never answered, or those a gateway stopped between moving a cursor back
    /// to a restored end and cutting its history left. Left, they would read as the first
    /// acknowledgement of the events there once the cursor passes them, earlier than it was
    /// taken. A cursor an acknowledgement moved drops them whole (they were never taken); one
    /// the gateway moved back to an end cuts the one over it back to it. The cursor is read
    /// after the last record, so a record stored meanwhile by another gateway is within it, and
    /// only records up to the last one read are dropped.
    async fn drop_records_past_cursor(&self, region: &str) -> Result<(), LogError> {
        let Some((seq, last)) = self.last_record(region).await? else {
            return Ok(());
        };
        let cursor = self.cursor(region).await?;
        if last.to <= cursor.position {
            return Ok(());
        }
        tracing::warn!(
            %region,
            cursor = cursor.position,
            "the history holds acknowledgements past the region's cursor, which it never took; dropped"
        );
        self.drop_history_past(region, cursor.position, !cursor.recorded, seq)
            .await
    }

    /// Which stream the history's records are positions of (`None`: not said, or no history).
    async fn history_source(&self) -> Result<Option<String>, LogError> {
        Ok(self.history_source_at().await?.map(|(_, source)| source))
    }

    /// [`SharedCursors::history_source`] with the sequence of the message saying it, which the
    /// next naming expects.
    async fn history_source_at(&self) -> Result<Option<(u64, String)>, LogError> {
        let Some(history) = &self.history else {
            return Ok(None);
        };
        let what = "reading the acknowledgement history";
        let subject = format!("{}.{SOURCE_KEY}", history.cached_info().config.name);
        let last = self.last_message(what, history, &subject).await?;
        Ok(last.map(|m| (m.sequence, String::from_utf8_lossy(&m.payload).into_owned())))
    }

    /// The regions the history holds records of (its subjects but the source's).
    async fn history_regions(&self) -> Result<Vec<String>, LogError> {
        let history = self.history()?;
        let name = history.cached_info().config.name.clone();
        let what = "listing the acknowledgement history's regions";
        let mut subjects = self
            .bounded(what, history.info_with_subjects(format!("{name}.*")))
            .await?;
        let mut regions = Vec::new();
        loop {
            let next = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(std::pin::Pin::new(&mut subjects), cx)
            });
            let next = tokio::time::timeout(self.op_timeout, next)
                .await
                .map_err(|_| self.unavailable(what, "no answer from NATS in time"))?;
            match next {
                None => break,
                Some(Ok((subject, _))) => {
                    let region = subject.strip_prefix(&format!("{name}.")).unwrap_or("");
                    if is_region_code(region) {
                        regions.push(region.to_string());
                    }
                }
                Some(Err(e)) => return Err(self.unavailable(what, e)),
            }
        }
        Ok(regions)
    }

    /// Makes sure the history's records are positions of the stream `source` names, as
    /// [`SharedCursors::bind`] does for the cursors, on a subject of its own
    /// (`<stream>_acks.log-source`, no region code). A history named for another stream of
    /// this name is kept, cut back to this stream's end as a restore's is
    /// ([`SharedCursors::drop_history_past`]), then named for this one: a stream restored from
    /// a snapshot (`nats stream restore`) has a new creation time but the same events at the
    /// same sequences, and its history is evidence; a stream made again empty cuts it all (a
    /// purge). What this cannot tell apart: a stream deleted, made again and refilled by other
    /// means than a restore before any gateway started on it keeps the records of the old
    /// stream's positions up to the new end (docs/operations.md). A new bucket beside a history
    /// of this very stream keeps the history: its records are true of this stream's positions.
    /// Cut back before it is named, so that a failure in between cuts it again at the next
    /// start.
    async fn bind_history(&self, source: &str) -> Result<(), LogError> {
        use async_nats::header::{HeaderMap, NATS_EXPECTED_LAST_SUBJECT_SEQUENCE};
        let Some(history) = &self.history else {
            return Ok(());
        };
        let name = history.cached_info().config.name.clone();
        for _ in 0..RACES {
            let expected = match self.history_source_at().await? {
                Some((_, s)) if s == source => return Ok(()),
                Some((seq, other)) => {
                    let end = self.log_end().await?;
                    tracing::warn!(
                        stream = %name,
                        was = other,
                        now = source,
                        end,
                        "the acknowledgement history was named for another stream of this name (a restore from a snapshot, or the stream made again); kept up to the stream's end"
                    );
                    if end == 0 {
                        self.bounded("dropping the acknowledgements of another stream", async {
                            history.purge().await
                        })
                        .await?;
                    } else {
                        for region in self.history_regions().await? {
                            self.drop_history_past(&region, end, true, u64::MAX).await?;
                        }
                    }
                    seq
                }
                None => 0,
            };
            let mut headers = HeaderMap::new();
            headers.insert(NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, expected.to_string());
            let subject = format!("{name}.{SOURCE_KEY}");
            let what = "naming the stream of the acknowledgement history";
            let payload = source.as_bytes().to_vec();
            if self
                .publish_expecting(what, subject, headers, payload)
                .await?
            {
                return Ok(());
            }
        }
        Err(self.unavailable(
            "naming the stream of the acknowledgement history",
            format!("the key kept changing under {RACES} tries"),
        ))
    }

    /// Whether this stream keeps a history of acknowledgements (a read-only tool finds none on
    /// a stream no gateway of this build has served).
    pub fn keeps_history(&self) -> bool {
        self.history.is_some()
    }

    fn history(&self) -> Result<&stream::Stream, LogError> {
        self.history.as_ref().ok_or_else(|| {
            self.unavailable(
                "reading the acknowledgement history",
                "the stream has no history of acknowledgements",
            )
        })
    }

    fn history_subject(&self, region: &str) -> Result<String, LogError> {
        Ok(format!(
            "{}.{region}",
            self.history()?.cached_info().config.name
        ))
    }

    /// A history message read as a record, with its stream sequence.
    fn record_of(
        &self,
        message: &jetstream::message::StreamMessage,
    ) -> Result<(u64, AckRecord), LogError> {
        let body: RecordBody = serde_json::from_slice(&message.payload[..]).map_err(|e| {
            self.unavailable(
                "reading the acknowledgement history",
                format!("the message at {} is not a record: {e}", message.sequence),
            )
        })?;
        let millis = message.time.unix_timestamp_nanos() / 1_000_000;
        let stored = i64::try_from(millis).unwrap_or(i64::MAX);
        let at = crate::time::Timestamp(body.at.unwrap_or(stored));
        let record = AckRecord {
            from: body.from,
            to: body.to,
            at,
            actor: body.actor,
        };
        Ok((message.sequence, record))
    }

    /// The region's last record, from the history stream's leader.
    async fn last_record(&self, region: &str) -> Result<Option<(u64, AckRecord)>, LogError> {
        let what = "reading the acknowledgement history";
        let subject = self.history_subject(region)?;
        match self.last_message(what, self.history()?, &subject).await? {
            Some(m) => self.record_of(&m).map(Some),
            None => Ok(None),
        }
    }

    /// The region's first record at stream sequence `seq` or after it (`next_by_subj`), from
    /// the history stream's leader.
    async fn record_from(
        &self,
        region: &str,
        seq: u64,
    ) -> Result<Option<(u64, AckRecord)>, LogError> {
        use jetstream::stream::RawMessageErrorKind;
        let what = "reading the acknowledgement history";
        let subject = self.history_subject(region)?;
        let read = self
            .history()?
            .get_first_raw_message_by_subject(&subject, seq.max(1));
        match self.timed(what, read).await? {
            Ok(m) => self.record_of(&m).map(Some),
            Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(self.unavailable(what, e)),
        }
    }

    /// Stores `record` if the region's last record is still at `expected` (0: none); false
    /// when another gateway recorded first.
    async fn append_record(
        &self,
        region: &str,
        record: &RecordBody,
        expected: u64,
    ) -> Result<bool, LogError> {
        use async_nats::header::{HeaderMap, NATS_EXPECTED_LAST_SUBJECT_SEQUENCE};
        let what = "recording a feed acknowledgement";
        let subject = self.history_subject(region)?;
        let payload = serde_json::to_vec(record).map_err(|e| self.unavailable(what, e))?;
        let mut headers = HeaderMap::new();
        headers.insert(NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, expected.to_string());
        self.publish_expecting(what, subject, headers, payload)
            .await
    }

    /// The region's first record whose acknowledgement moved its cursor to `position` or past
    /// it, with its stream sequence: a binary search over the stream's sequences, since a
    /// region's records' positions grow with them. `next(s)`, the region's first record at
    /// sequence `s` or after, reaches `position` from some `s` on; each step asks for one
    /// `next(mid)` and halves the sequences left, so a history of a million records is found in
    /// about twenty requests.
    async fn first_record(
        &self,
        region: &str,
        position: u64,
    ) -> Result<Option<(u64, AckRecord)>, LogError> {
        let Some(first) = self.record_from(region, 1).await? else {
            return Ok(None);
        };
        if first.1.to >= position {
            return Ok(Some(first));
        }
        let Some(last) = self.last_record(region).await? else {
            return Ok(None);
        };
        if last.1.to < position {
            return Ok(None);
        }
        // next(lo) is before `position`, next(hi) reaches it (and is `found`).
        let (mut lo, mut hi, mut found) = (first.0, last.0, last);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let Some(next) = self.record_from(region, mid).await? else {
                break;
            };
            if next.1.to >= position {
                hi = mid;
                found = next;
            } else {
                // Every s up to next's sequence has next(s) = next: before `position` too.
                lo = next.0.max(mid);
            }
        }
        Ok(Some(found))
    }

    /// [`SharedCursors::first_record`] without its sequence: the history's first record of
    /// `region` at or past `position`.
    pub async fn first_ack(
        &self,
        region: &str,
        position: u64,
    ) -> Result<Option<AckRecord>, LogError> {
        Ok(self.first_record(region, position).await?.map(|(_, r)| r))
    }

    /// The first acknowledgement of `region` at or past each of `positions`, judged against its
    /// cursor as it stands ([`crate::log::acks::first_of`]). The cursor is read first, the
    /// history after it: a record is stored after its cursor moves, so a position the cursor
    /// passed whose record is still to come (being stored, or lost to a failure until the
    /// region's next acknowledgement) reads as not kept, never as another acknowledgement.
    ///
    /// The positions are taken in order: the first is searched for over the whole history
    /// ([`SharedCursors::first_record`]); a later one the record found reaches is answered by
    /// it, and one past it is searched for from that record on ([`SharedCursors::record_after`]),
    /// usually the very next record, one request. So an application's events cost one search
    /// and about one request per acknowledgement that first passed them, not a search per event.
    pub async fn first_acks(
        &self,
        region: &str,
        positions: &[u64],
    ) -> Result<std::collections::BTreeMap<u64, FirstAck>, LogError> {
        let cursor = self.get(region).await?;
        let mut sorted = positions.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        let mut out = std::collections::BTreeMap::new();
        // The last record found, `None` before the first search; `Some(None)` once no record
        // reaches a position (none reaches any later one either).
        let mut found: Option<Option<(u64, AckRecord)>> = None;
        for position in sorted {
            if cursor >= position && is_region_code(region) {
                found = Some(match found {
                    None => self.first_record(region, position).await?,
                    Some(Some((seq, record))) if record.to < position => {
                        self.record_after(region, seq, position).await?
                    }
                    Some(same) => same,
                });
            }
            let record = match (&found, cursor >= position) {
                (Some(Some((_, r))), true) => Some(r.clone()),
                _ => None,
            };
            out.insert(
                position,
                crate::log::acks::first_of(position, cursor, record),
            );
        }
        Ok(out)
    }

    /// The region's first record at or past `position` after the stream sequence `after`, whose
    /// record (and every one before it) is before `position`: the next record, then steps
    /// doubling from it (a gallop), then a binary search between the last two, so a record k
    /// records on costs about 2·log₂ k requests, and the next one, the usual answer, one.
    async fn record_after(
        &self,
        region: &str,
        after: u64,
        position: u64,
    ) -> Result<Option<(u64, AckRecord)>, LogError> {
        let Some(next) = self.record_from(region, after + 1).await? else {
            return Ok(None);
        };
        if next.1.to >= position {
            return Ok(Some(next));
        }
        // Every record at `lo` or before is before `position`; `next(hi)` is `found`.
        let mut lo = next.0;
        let mut step = 1u64;
        let (mut hi, mut found) = loop {
            let probe = lo.saturating_add(step);
            match self.record_from(region, probe).await? {
                None => break (probe, None),
                Some(r) if r.1.to >= position => break (probe, Some(r)),
                Some(r) => {
                    lo = r.0;
                    step = step.saturating_mul(2);
                }
            }
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            match self.record_from(region, mid).await? {
                Some(r) if r.1.to < position => lo = r.0.max(mid),
                other => {
                    hi = mid;
                    found = other;
                }
            }
        }
        Ok(found)
    }

    /// Deletes the region's records wholly past `end` (those at the end of its subject, since
    /// their positions grow with their sequences), for [`SharedCursors::clamp`], and cuts back
    /// to `end` the one that moved the cursor from before `end` to past it: it acknowledged the
    /// events up to `end` too, which are the same events after the restore, so they keep their
    /// first acknowledgement (its time and token). It is deleted with the others and stored
    /// again after the records before it, so positions still grow with sequences; a failure
    /// in between loses it (those positions then read as not kept, never as acknowledged
    /// earlier).
    ///
    /// `cut`: false drops the one over `end` too; `through`: the last sequence dropped (a
    /// record stored after it is left).
    async fn drop_history_past(
        &self,
        region: &str,
        end: u64,
        cut: bool,
        through: u64,
    ) -> Result<(), LogError> {
        let Some(history) = &self.history else {
            return Ok(());
        };
        let mut next = self.first_record(region, end.saturating_add(1)).await?;
        let mut dropped = 0u64;
        let mut over = None;
        while let Some((seq, record)) = next.filter(|(seq, _)| *seq <= through) {
            if record.from < end && cut {
                over = Some(record);
            }
            self.bounded(
                "dropping acknowledgements past a restored stream's end",
                history.delete_message(seq),
            )
            .await?;
            dropped += 1;
            next = self.record_from(region, seq + 1).await?;
        }
        if let Some(record) = over {
            let body = RecordBody {
                from: record.from,
                to: end,
                actor: record.actor,
                at: Some(record.at.0),
            };
            let expected = self.last_record(region).await?.map_or(0, |(seq, _)| seq);
            if !self.append_record(region, &body, expected).await? {
                // An acknowledgement recorded in between: the cursor it moved is not past the
                // end, so this clamp leaves the region to it.
                tracing::warn!(
                    %region,
                    end,
                    "an acknowledgement was recorded while its history was cut back to a restored stream's end; the record cut back was not stored again"
                );
            }
        }
        if dropped > 0 {
            tracing::warn!(
                %region,
                end,
                dropped,
                "acknowledgements of positions past the restored stream's end were dropped from the history (one moving the cursor over the end cut back to it): the events appended next take those positions"
            );
        }
        Ok(())
    }
}

/// What makes an existing cursors' bucket (its stream's `config`) lose acknowledged positions
/// (empty: fit). Fewer replicas than the event stream's is warned of, not refused
/// ([`SharedCursors::open`]): an operator who raised the stream's replicas is told to raise the
/// bucket's too, and the gateways still start.
pub(super) fn unfit_bucket(config: &stream::Config) -> Vec<String> {
    let mut problems = Vec::new();
    if config.storage != stream::StorageType::File {
        problems.push("its storage is memory (positions are lost when the servers restart)".into());
    }
    if !config.max_age.is_zero() {
        problems.push(format!(
            "max_age is {:?} (positions expire)",
            config.max_age
        ));
    }
    if config.max_messages > 0 || config.max_bytes > 0 {
        problems.push("a limit (max_msgs, max_bytes) would drop positions".into());
    }
    problems
}

/// A pause of a few random milliseconds after losing a compare-and-set to another gateway, so
/// that the racers spread out.
async fn race_pause() {
    let mut jitter = [0u8; 1];
    crate::random::fill(&mut jitter);
    tokio::time::sleep(Duration::from_micros(500 + u64::from(jitter[0]) * 30)).await;
}

/// `step` tried again while the cluster is still forming (until `deadline`): its own result
/// once it is not, or the refusal of a right it needs.
async fn until_formed<T, F, Fut>(
    denied: &Denied,
    deadline: std::time::Instant,
    mut step: F,
) -> Result<Result<T, BoxError>, SetupError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, BoxError>>,
{
    loop {
        match denied.attempt(step()).await? {
            Ok(done) => return Ok(Ok(done)),
            Err(e) if still_forming(&*e) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => return Ok(Err(e)),
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What makes an existing history stream lose acknowledgements (empty: fit): what loses a
/// cursor ([`unfit_bucket`]), and a limit per subject, which would drop a region's first
/// records.
fn unfit_history(config: &stream::Config) -> Vec<String> {
    let mut problems = unfit_bucket(config);
    if config.max_messages_per_subject > 0 {
        problems.push("max_msgs_per_subject would drop a region's first records".into());
    }
    problems
}

/// Gets the history's stream, or creates it: the event stream's replicas, file storage, no
/// limits (it grows by one record per acknowledgement that moves a cursor: docs/operations.md).
async fn open_history(
    js: &jetstream::Context,
    name: &str,
    stream: &str,
    replicas: usize,
) -> Result<stream::Stream, BoxError> {
    let config = stream::Config {
        name: name.to_string(),
        description: Some(format!(
            "tongban: every acknowledgement that moved a region's feed cursor in stream {stream}"
        )),
        subjects: vec![format!("{name}.*")],
        storage: stream::StorageType::File,
        num_replicas: replicas.max(1),
        ..Default::default()
    };
    let (history, created) =
        got_or_created(|| js.get_stream(name), js.create_stream(config)).await?;
    if created {
        tracing::info!(stream = %name, replicas, "created the acknowledgement history's stream");
    }
    Ok(history)
}

/// What `get` answers, or else what `create` makes (`true`), or, when creating fails, what `get`
/// answers then (another gateway created it in between), or else the creation's own error,
/// which says why.
async fn got_or_created<T, GE, CE, GF>(
    get: impl Fn() -> GF,
    create: impl Future<Output = Result<T, CE>>,
) -> Result<(T, bool), BoxError>
where
    GF: Future<Output = Result<T, GE>>,
    CE: std::error::Error + Send + Sync + 'static,
{
    if let Ok(got) = get().await {
        return Ok((got, false));
    }
    match create.await {
        Ok(made) => Ok((made, true)),
        Err(created) => match get().await {
            Ok(got) => Ok((got, false)),
            Err(_) => Err(Box::new(created)),
        },
    }
}

/// Gets the bucket, or creates it: its stream's replicas, file storage, the last value only.
async fn open_bucket(
    js: &jetstream::Context,
    bucket: &str,
    stream: &str,
    replicas: usize,
) -> Result<kv::Store, BoxError> {
    let config = kv::Config {
        bucket: bucket.to_string(),
        description: format!(
            "tongban: each region's acknowledged feed position in stream {stream}"
        ),
        history: 1,
        storage: stream::StorageType::File,
        num_replicas: replicas.max(1),
        ..Default::default()
    };
    let (store, created) =
        got_or_created(|| js.get_key_value(bucket), js.create_key_value(config)).await?;
    if created {
        tracing::info!(%bucket, replicas, "created the feed cursors' bucket");
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::jetstream::{JetStreamConfig, JetStreamLog};
    use crate::log::{EventLog, conformance};
    use crate::testnats::NatsServer;

    async fn gateway(server: &NatsServer) -> JetStreamLog {
        let mut c = JetStreamConfig::new(server.url());
        c.op_timeout = std::time::Duration::from_secs(2);
        JetStreamLog::open(&c)
            .await
            .unwrap_or_else(|e| panic!("open on {}: {e}", crate::testnats::describe(server)))
    }

    fn cursors(log: &JetStreamLog) -> &SharedCursors {
        log.shared_cursors()
            .expect("a serving gateway shares its cursors")
    }

    /// A stream of 3 events whose region 440000 acknowledged to 2, 40 and 90 (as a stream
    /// restored to an end of 3 leaves its history): the record from 2 to 40, over the end.
    async fn acked_past_an_end(log: &JetStreamLog) -> AckRecord {
        conformance::append_chain(log, &crate::ids::new_v7(), 3).await;
        let c = cursors(log);
        for (position, token) in [(2, "a"), (40, "b"), (90, "c")] {
            c.advance("440000", position, &format!("440000/{token}"))
                .await
                .expect("ack");
        }
        c.first_ack("440000", 3).await.expect("read").expect("b")
    }

    /// A read-only tool's log on `server` (kept for as long as its bucket is read) and the
    /// gateways' bucket it finds there.
    async fn read_only(server: &NatsServer) -> (JetStreamLog, SharedCursors) {
        let mut config = JetStreamConfig::new(server.url());
        config.create_stream = false;
        let tool = JetStreamLog::open(&config).await.expect("open for reading");
        let read = tool
            .existing_cursors()
            .await
            .expect("read")
            .expect("the gateways' bucket");
        (tool, read)
    }

    /// A gateway's start on `server` refused, its message naming each of `parts`.
    async fn refused_naming(server: &NatsServer, parts: &[&str]) {
        let mut c = JetStreamConfig::new(server.url());
        c.op_timeout = Duration::from_secs(2);
        let refused = JetStreamLog::open(&c)
            .await
            .err()
            .expect("refused")
            .to_string();
        for part in parts {
            assert!(refused.contains(part), "{part:?} not in {refused}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_gateway_of_a_stream_moves_one_cursor_forward_only() {
        let server = NatsServer::start();
        let (a, b) = (gateway(&server).await, gateway(&server).await);
        let (ca, cb) = (cursors(&a), cursors(&b));
        assert_eq!(ca.bucket(), "TONGBAN_cursors");
        assert_eq!(ca.get("330000").await.expect("get"), 0);

        assert_eq!(
            ca.advance("330000", 7, "330000/test").await.expect("ack"),
            crate::log::Advanced {
                cursor: 7,
                moved: true
            }
        );
        assert_eq!(cb.get("330000").await.expect("get"), 7, "B sees A's ack");
        // Never back: an older ack through B leaves it.
        assert_eq!(
            cb.advance("330000", 5, "330000/test").await.expect("ack"),
            crate::log::Advanced {
                cursor: 7,
                moved: false
            }
        );
        assert_eq!(
            cb.advance("330000", 12, "330000/test").await.expect("ack"),
            crate::log::Advanced {
                cursor: 12,
                moved: true
            }
        );
        assert_eq!(ca.get("330000").await.expect("get"), 12);
        // Regions are apart.
        assert_eq!(ca.get("440000").await.expect("get"), 0);

        // Racing acknowledgements through both gateways end at the furthest, and no answer
        // claims a cursor behind what it asked for.
        let mut racers = Vec::new();
        for i in 0..24u64 {
            let c = if i % 2 == 0 { ca.clone() } else { cb.clone() };
            racers.push(tokio::spawn(async move {
                let asked = 100 + i;
                (asked, c.advance("440000", asked, "330000/test").await)
            }));
        }
        for r in racers {
            let (asked, answer) = r.await.expect("racer");
            let answer = answer.expect("ack under a race").cursor;
            assert!(answer >= asked, "asked {asked}, answered {answer}");
        }
        assert_eq!(cb.get("440000").await.expect("get"), 123);

        // A gateway started later reads them from the bucket.
        let c = gateway(&server).await;
        assert_eq!(cursors(&c).get("330000").await.expect("get"), 12);
        assert_eq!(cursors(&c).get("440000").await.expect("get"), 123);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursor_past_the_end_of_the_stream_moves_back_to_it() {
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let app = crate::ids::new_v7();
        conformance::append_chain(&log, &app, 3).await;
        let c = cursors(&log);
        assert_eq!(c.log_end().await.expect("end"), 3);
        c.advance("330000", 2, "330000/test").await.expect("ack");
        c.advance("440000", 90, "330000/test").await.expect("ack");
        let regions = ["330000", "440000", "510000"].map(String::from);
        let moved = c.clamp(regions).await.expect("clamp");
        assert_eq!(moved, vec![("440000".to_string(), 90)]);
        assert_eq!(c.get("440000").await.expect("get"), 3);
        assert_eq!(c.get("330000").await.expect("get"), 2);
        assert_eq!(c.get("510000").await.expect("get"), 0, "no cursor is made");
    }

    /// On a cluster a lost race can come back as 10164 while the winner is still being
    /// replicated: it must count as lost and be tried again, never answered as a failure.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn racing_acknowledgements_on_a_three_node_cluster_all_succeed() {
        let _turn = super::super::cluster_tests::ONE_CLUSTER_AT_A_TIME
            .lock()
            .await;
        let cluster = crate::testnats::NatsCluster::start();
        let mut gateways = Vec::new();
        for i in 0..3 {
            let mut c = JetStreamConfig::new(cluster.node(i).url());
            c.replicas = 3;
            c.op_timeout = std::time::Duration::from_secs(5);
            gateways.push(
                JetStreamLog::open(&c)
                    .await
                    .unwrap_or_else(|e| panic!("open on node {i}: {e}\n{}", cluster.logs())),
            );
        }
        let all: Vec<SharedCursors> = gateways.iter().map(|g| cursors(g).clone()).collect();
        // A bucket made a moment ago may not be known to every node yet ("no stream found"):
        // the race is run once each node reads it (a gateway answers 503 until then, and its
        // caller tries again).
        for (i, c) in all.iter().enumerate() {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while let Err(e) = c.get("330000").await {
                assert!(
                    std::time::Instant::now() < deadline,
                    "node {i} never read the bucket: {e}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
        let mut next = 1u64;
        for round in 0..20 {
            let mut racers = Vec::new();
            for (i, c) in all.iter().enumerate() {
                let c = c.clone();
                let asked = next + i as u64;
                racers.push(tokio::spawn(async move {
                    // A node may still lose sight of the new bucket for a moment ("no stream
                    // found"): the gateway answers 503 and its caller tries again, as here.
                    // A lost race is never such an answer.
                    let mut tries = 0;
                    loop {
                        let answer = c.advance("330000", asked, "330000/test").await;
                        match &answer {
                            Err(e) if tries < 50 && e.to_string().contains("no stream found") => {
                                tries += 1;
                                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                            }
                            _ => return (asked, answer),
                        }
                    }
                }));
            }
            next += all.len() as u64;
            for r in racers {
                let (asked, answer) = r.await.expect("racer");
                let answer = answer
                    .unwrap_or_else(|e| panic!("round {round}, ack of {asked}: {e}"))
                    .cursor;
                assert!(answer >= asked, "asked {asked}, answered {answer}");
            }
            // Read through any node, the cursor is the furthest acknowledged (reads go to the
            // leader, not a replica that may not have the last write yet).
            for c in &all {
                assert_eq!(
                    c.get("330000").await.expect("get"),
                    next - 1,
                    "round {round}"
                );
            }
        }
    }

    /// Positions are one stream's: a stream deleted and made again under its name starts its
    /// sequences over, so the cursors and the history of the old one are dropped, not read as
    /// the new one's; a bucket made anew beside a history of the same stream keeps the history.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_cursors_of_a_stream_made_again_under_its_name_are_dropped() {
        let server = NatsServer::start();
        let first = gateway(&server).await;
        cursors(&first)
            .advance("330000", 40, "330000/test")
            .await
            .expect("ack");
        drop(first);
        let again = gateway(&server).await;
        assert_eq!(
            cursors(&again).get("330000").await.expect("get"),
            40,
            "same stream"
        );
        drop(again);
        let client = async_nats::connect(server.url()).await.expect("connect");
        let js = jetstream::new(client);
        js.delete_stream("TONGBAN")
            .await
            .expect("delete the stream");
        let remade = gateway(&server).await;
        assert_eq!(cursors(&remade).get("330000").await.expect("get"), 0);
        cursors(&remade)
            .advance("330000", 2, "330000/test")
            .await
            .expect("ack");
        let another = gateway(&server).await;
        assert_eq!(cursors(&another).get("330000").await.expect("get"), 2);
        let first = cursors(&another)
            .first_ack("330000", 1)
            .await
            .expect("read");
        assert_eq!(
            first.map(|r| (r.from, r.to)),
            Some((0, 2)),
            "the old stream's history is gone"
        );
        drop((remade, another));

        // The bucket deleted by hand (as the docs advise for an unfit one), the stream kept:
        // the history of this very stream stays, and the next start finds it bound to it.
        js.delete_key_value("TONGBAN_cursors")
            .await
            .expect("delete the bucket");
        // And a history of another stream of this name is dropped even beside a new bucket.
        let kept = gateway(&server).await;
        assert_eq!(cursors(&kept).get("330000").await.expect("get"), 0);
        let first = cursors(&kept).first_ack("330000", 1).await.expect("read");
        assert_eq!(
            first.map(|r| r.to),
            Some(2),
            "the same stream's history is kept"
        );
        drop(kept);
        js.delete_key_value("TONGBAN_cursors")
            .await
            .expect("delete the bucket");
        js.delete_stream("TONGBAN")
            .await
            .expect("delete the stream");
        let new = gateway(&server).await;
        let first = cursors(&new).first_ack("330000", 1).await.expect("read");
        assert_eq!(first, None, "another stream's history is dropped");
    }

    /// Given a history named for another stream of this name whose events are this one's (a
    /// stream restored from a snapshot, which gives it a new creation time but keeps its
    /// sequences; here the history's name written over), when a gateway starts on the stream,
    /// which ends at 3, then the history is kept, cut back to the end: the acknowledgement to 2
    /// stays, the one from 2 to 40 is cut back to 3 with its time, the one past it dropped, and
    /// the history is named for this stream. A read-only tool before that start reads no
    /// history of another stream.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_history_of_a_restored_stream_is_kept_up_to_its_end() {
        use crate::log::FirstAck;
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let b = acked_past_an_end(&log).await;
        let c = cursors(&log);
        c.advance("330000", 1, "330000/z").await.expect("ack");
        let source = c.history_source().await.expect("read").expect("named");
        drop(log);
        let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
        js.publish("TONGBAN_acks.log-source", "jetstream:TONGBAN:1".into())
            .await
            .expect("publish")
            .await
            .expect("stored");
        let (_tool, read) = read_only(&server).await;
        assert!(
            !read.keeps_history(),
            "another stream's history is not read"
        );

        let again = gateway(&server).await;
        let c = cursors(&again);
        assert_eq!(c.history_source().await.expect("read"), Some(source));
        let last = c.last_record("440000").await.expect("read").expect("one");
        assert_eq!(
            (last.1.from, last.1.to),
            (2, 3),
            "cut back when the history is named"
        );
        // As a gateway does at start, before it serves.
        c.clamp(["440000".to_string()]).await.expect("clamp");
        c.advance("440000", 3, "440000/after").await.expect("ack");
        let first = c.first_acks("440000", &[1, 3]).await.expect("read");
        assert!(matches!(&first[&1], FirstAck::Taken(r) if r.actor == "440000/a"));
        assert_eq!(first[&3], FirstAck::Taken(AckRecord { to: 3, ..b }));
        let first = c.first_acks("330000", &[1]).await.expect("read");
        assert!(matches!(&first[&1], FirstAck::Taken(r) if r.actor == "330000/z"));
    }

    /// Given a cursors' bucket an administrator made before the gateway's first start, in memory
    /// with a max age, when a gateway opens the stream, then it refuses to start, naming the
    /// bucket and each setting that would lose acknowledged positions, and how to get a fit one;
    /// once the bucket is deleted the gateway makes it anew and starts. (Found by a walkthrough:
    /// an acknowledged position vanished 8 s later and the region's feed started over, unlogged.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursors_bucket_that_would_lose_positions_is_refused() {
        let server = NatsServer::start();
        let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
        js.create_key_value(kv::Config {
            bucket: "TONGBAN_cursors".into(),
            history: 1,
            storage: stream::StorageType::Memory,
            max_age: Duration::from_secs(8),
            ..Default::default()
        })
        .await
        .expect("a bucket made by hand");
        refused_naming(
            &server,
            &[
                "TONGBAN_cursors",
                "storage is memory",
                "max_age is 8s",
                "nats kv del TONGBAN_cursors",
            ],
        )
        .await;
        js.delete_key_value("TONGBAN_cursors")
            .await
            .expect("delete");
        let log = gateway(&server).await;
        assert_eq!(
            cursors(&log)
                .advance("330000", 1, "330000/test")
                .await
                .expect("ack"),
            crate::log::Advanced {
                cursor: 1,
                moved: true
            }
        );
    }

    /// A value a gateway did not write reads as no cursor, and the next acknowledgement
    /// overwrites it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursor_written_by_hand_that_is_no_position_reads_as_none() {
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let client = async_nats::connect(server.url()).await.expect("connect");
        let kv = jetstream::new(client)
            .get_key_value("TONGBAN_cursors")
            .await
            .expect("bucket");
        kv.put("330000", "banana".into()).await.expect("put");
        let c = cursors(&log);
        assert_eq!(c.get("330000").await.expect("get"), 0);
        assert_eq!(
            c.advance("330000", 5, "330000/test").await.expect("ack"),
            crate::log::Advanced {
                cursor: 5,
                moved: true
            }
        );
        kv.delete("330000").await.expect("delete");
        assert_eq!(c.get("330000").await.expect("get"), 0, "deleted: none");
        assert_eq!(
            c.advance("330000", 3, "330000/test").await.expect("ack"),
            crate::log::Advanced {
                cursor: 3,
                moved: true
            }
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_is_no_region_code_has_no_cursor_and_gets_none() {
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let c = cursors(&log);
        for name in ["33000", "3300000", "tongban.>", "", "a b"] {
            assert_eq!(c.get(name).await.expect("get"), 0, "{name:?}");
            let refused = c.advance(name, 1, "330000/test").await.expect_err(name);
            assert!(
                refused.to_string().contains("not a region code"),
                "{refused}"
            );
        }
    }

    /// Given a stream a gateway serves, when a read-only tool opens it, then it holds no
    /// cursors of its own, and reads the bucket's as it stands (the position and when the
    /// server stored it), never creating one where none is.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_read_only_tools_open_no_bucket() {
        let server = NatsServer::start();
        let mut c = JetStreamConfig::new(server.url());
        c.create_stream = false;
        let serving = gateway(&server).await;
        let reader = JetStreamLog::open(&c).await.expect("open for reading");
        assert!(reader.shared_cursors().is_none());
        let before = crate::time::Timestamp::now();
        cursors(&serving)
            .advance("330000", 1, "330000/test")
            .await
            .expect("ack");
        let bucket = reader
            .existing_cursors()
            .await
            .expect("read")
            .expect("the serving gateway's bucket");
        let acked = bucket.acked("330000").await.expect("acked");
        assert_eq!(acked.position, 1);
        let crate::log::Moved::Acknowledged(at) = acked.moved else {
            panic!("an acknowledgement's time: {:?}", acked.moved)
        };
        // One host's clock, read by the test and the server: a tick's leeway.
        assert!(at.0 >= before.0 - 5, "{at:?} before {before:?}");
        assert_eq!(
            bucket.acked("440000").await.expect("acked"),
            crate::log::Acked::default()
        );
        // A stream no gateway served has no bucket, and reading makes none.
        let other = NatsServer::start();
        let mut served = JetStreamConfig::new(other.url());
        served.create_stream = true;
        drop(JetStreamLog::open(&served).await.expect("stream"));
        let js =
            async_nats::jetstream::new(async_nats::connect(other.url()).await.expect("connect"));
        js.delete_key_value(bucket_name(&served.stream))
            .await
            .expect("drop the bucket");
        let mut c = JetStreamConfig::new(other.url());
        c.create_stream = false;
        let reader = JetStreamLog::open(&c).await.expect("open for reading");
        assert!(reader.existing_cursors().await.expect("read").is_none());
        assert!(js.get_key_value(bucket_name(&served.stream)).await.is_err());
    }

    /// Given a stream's cursors, when a region acknowledges, a gateway moves a cursor back to
    /// the end of a restored stream, hands its own cursors over, or a build before the mark (or
    /// a hand) writes one, then each is read as what it was: only an acknowledgement gives an
    /// acknowledgement's time, and a handed-over one keeps the time it was taken, not the
    /// hand-over's.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_moved_a_cursor_is_read_with_it() {
        use crate::log::Moved;
        let server = NatsServer::start();
        let log = gateway(&server).await;
        conformance::append_chain(&log, &crate::ids::new_v7(), 3).await;
        let c = cursors(&log);
        c.advance("330000", 1, "330000/test").await.expect("ack");
        let acked = c.acked("330000").await.expect("acked");
        assert!(matches!(acked.moved, Moved::Acknowledged(_)), "{acked:?}");
        // As a gateway before the mark writes it, and as every gateway reads it: a bare number.
        let kv = jetstream::new(async_nats::connect(server.url()).await.expect("connect"))
            .get_key_value(c.bucket())
            .await
            .expect("bucket");
        let entry = kv.entry("330000").await.expect("get").expect("a value");
        assert_eq!(&entry.value[..], b"1");
        kv.put("330000", "9".into()).await.expect("put");
        let written = c.acked("330000").await.expect("acked");
        assert_eq!(written.position, 9);
        assert!(matches!(written.moved, Moved::Written(_)), "{written:?}");
        // Past the stream's end (a restore): moved back by the gateway.
        assert_eq!(
            c.clamp(["330000".to_string()]).await.expect("clamp"),
            [("330000".to_string(), 9)]
        );
        let back = c.acked("330000").await.expect("acked");
        assert_eq!(back.position, 3);
        assert!(matches!(back.moved, Moved::ByGateway(_)), "{back:?}");
        // Handed over with the time the gateway kept, or without one.
        let taken = crate::time::Timestamp(1_700_000_000_000);
        c.hand_over("440000", 1, Moved::Acknowledged(taken))
            .await
            .expect("hand over");
        assert_eq!(
            c.acked("440000").await.expect("acked").moved,
            Moved::Acknowledged(taken)
        );
        c.hand_over("110000", 1, Moved::NotStored)
            .await
            .expect("hand over");
        let handed = c.acked("110000").await.expect("acked");
        assert!(matches!(handed.moved, Moved::ByGateway(_)), "{handed:?}");
    }

    /// Given two gateways of one stream, through which two regions acknowledge alternately
    /// (each acknowledgement one gateway's, some repeated or older, which move nothing), when
    /// the first acknowledgement at or past each position is asked of either gateway, or of a
    /// read-only tool, then each answers the acknowledgement that first moved the region's
    /// cursor over it (its token and the server's time of it), found by a binary search over
    /// the history's stream, and a position past the cursor is not acknowledged. A gateway
    /// opened again reads the same history.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_gateways_keep_one_history_every_gateway_and_tool_reads() {
        use crate::log::FirstAck;
        let server = NatsServer::start();
        let (a, b) = (gateway(&server).await, gateway(&server).await);
        let (ca, cb) = (cursors(&a), cursors(&b));
        // region → (position acknowledged, token) of each acknowledgement that moved it.
        let mut moved: std::collections::BTreeMap<&str, Vec<(u64, String)>> = Default::default();
        for i in 1..=30u64 {
            for (region, step) in [("330000", 3), ("440000", 5)] {
                let c = if i % 2 == 0 { ca } else { cb };
                let token = format!("{region}/tok-{i}");
                let position = i * step;
                assert_eq!(
                    c.advance(region, position, &token).await.expect("ack"),
                    crate::log::Advanced {
                        cursor: position,
                        moved: true
                    }
                );
                moved.entry(region).or_default().push((position, token));
                // A repeat and an older position through the other gateway move nothing.
                let other = if i % 2 == 0 { cb } else { ca };
                let again = other
                    .advance(region, position, "x/repeat")
                    .await
                    .expect("ack");
                assert_eq!(
                    again,
                    crate::log::Advanced {
                        cursor: position,
                        moved: false
                    }
                );
                let older = other.advance(region, position / 2, "x/older").await;
                assert_eq!(
                    older.expect("ack"),
                    crate::log::Advanced {
                        cursor: position,
                        moved: false
                    }
                );
            }
        }
        let (_tool, read) = read_only(&server).await;
        assert!(read.keeps_history());
        let again = gateway(&server).await;
        for (region, moves) in &moved {
            let end = moves.last().expect("moves").0;
            let positions: Vec<u64> = (1..=end + 1).collect();
            let answers = [
                ca.first_acks(region, &positions).await.expect("a"),
                cb.first_acks(region, &positions).await.expect("b"),
                read.first_acks(region, &positions).await.expect("tool"),
                cursors(&again)
                    .first_acks(region, &positions)
                    .await
                    .expect("again"),
            ];
            for p in positions {
                let expected = moves.iter().enumerate().find(|(_, (to, _))| *to >= p);
                for first in &answers {
                    match (expected, &first[&p]) {
                        (Some((k, (to, token))), FirstAck::Taken(r)) => {
                            let from = match k {
                                0 => 0,
                                k => moves[k - 1].0,
                            };
                            assert_eq!(
                                (r.from, r.to, r.actor.as_str()),
                                (from, *to, token.as_str()),
                                "{region} at {p}"
                            );
                        }
                        (None, FirstAck::NotYet) => {}
                        (expected, found) => {
                            panic!("{region} at {p}: {expected:?}, found {found:?}")
                        }
                    }
                }
            }
            // The records' times are in the order they were taken.
            let mut times = Vec::new();
            for (to, _) in moves {
                let r = ca
                    .first_ack(region, *to)
                    .await
                    .expect("read")
                    .expect("a record");
                times.push(r.at);
            }
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
        }
    }

    /// Given a region whose acknowledgements moved its cursor every 5 positions up to 40, among
    /// 200 of another region's records, when the first acknowledgement of each of 40 positions
    /// is asked, then the answers are each position's own search's, and they cost one search
    /// and one request per record found after it (9 requests: the cursor, the first record,
    /// the next seven; a search per position took 306); sparse positions, found by a gallop
    /// from the record before, are answered alike.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_acknowledgements_of_many_positions_take_one_search() {
        let (server, received) = NatsServer::start_counting();
        let mut config = JetStreamConfig::new(server.url());
        config.head_poll = Duration::from_secs(3600);
        config.head_pushed = false;
        let log = JetStreamLog::open(&config).await.expect("open");
        let c = cursors(&log);
        for i in 1..=200u64 {
            if i % 25 == 0 {
                c.advance("330000", i / 5, "330000/tok").await.expect("ack");
            }
            c.advance("440000", i, "440000/tok").await.expect("ack");
        }
        let all: Vec<u64> = (1..=41).collect();
        let before = received.sent_by(log.client_id());
        let first = c.first_acks("330000", &all).await.expect("read");
        let sent = received.sent_by(log.client_id()) - before;
        assert!(sent <= 12, "{sent} requests for 40 positions");
        let sparse = [41, 2, 39, 1, 17, 40, 17];
        let some = c.first_acks("330000", &sparse).await.expect("read");
        for p in all {
            let one =
                crate::log::acks::first_of(p, 40, c.first_ack("330000", p).await.expect("read"));
            assert_eq!(first[&p], one, "at {p}");
            if sparse.contains(&p) {
                assert_eq!(some[&p], one, "at {p}, sparse");
            }
        }
        assert!(matches!(&first[&12], FirstAck::Taken(r) if (r.from, r.to) == (10, 15)));
        assert_eq!(first[&41], FirstAck::NotYet);
    }

    /// Given a gateway that moved a region's cursor for an acknowledgement and failed before
    /// recording it (a timeout, a lost connection: answered 503), when the region acknowledges
    /// again, an older position or a further one, then the move is recorded before the answer,
    /// with the time of the acknowledgement that recorded it (late, never earlier than the one
    /// the cursor took), and the next record starts where the cursor was; until then the
    /// history says it does not reach the positions, never another acknowledgement's time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_move_whose_record_was_lost_is_recorded_by_the_next_acknowledgement() {
        use crate::log::FirstAck;
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let c = cursors(&log);
        c.advance("330000", 4, "330000/tok").await.expect("ack");
        // The acknowledgement's cursor written, its record lost.
        assert_eq!(
            c.move_forward("330000", 9, Mark::AckNow)
                .await
                .expect("moved"),
            9
        );
        assert_eq!(
            c.first_acks("330000", &[6]).await.expect("read")[&6],
            FirstAck::NotKept { kept_from: None },
            "no record reaches it yet"
        );
        // One host's clock, read by the test and the server: a tick's leeway.
        let before = crate::time::Timestamp::now().0 - 5;
        assert_eq!(
            c.advance("330000", 7, "330000/retry").await.expect("ack"),
            crate::log::Advanced {
                cursor: 9,
                moved: false
            }
        );
        let FirstAck::Taken(r) = &c.first_acks("330000", &[6]).await.expect("read")[&6] else {
            panic!("recorded")
        };
        assert_eq!((r.from, r.to, r.actor.as_str()), (4, 9, "330000/retry"));
        assert!(
            r.at.0 >= before,
            "{r:?} earlier than the acknowledgement that recorded it"
        );
        assert_eq!(
            c.advance("330000", 9, "330000/again").await.expect("ack"),
            crate::log::Advanced {
                cursor: 9,
                moved: false
            }
        );
        c.advance("330000", 12, "330000/next").await.expect("ack");
        let FirstAck::Taken(r) = &c.first_acks("330000", &[10]).await.expect("read")[&10] else {
            panic!("recorded")
        };
        assert_eq!((r.from, r.to, r.actor.as_str()), (9, 12, "330000/next"));
        let info = c
            .history()
            .expect("history")
            .clone()
            .info()
            .await
            .expect("info")
            .clone();
        // The stream the history is of, and the three records: a repeat records nothing.
        assert_eq!(info.state.messages, 4);
    }

    /// Given a record past the region's cursor, which no acknowledgement the cursor took made
    /// (an earlier build stored records before moving the cursor, and one whose cursor write
    /// failed was answered 503), when the gateway clamps the cursors at start, then it is
    /// dropped though the cursor is within the stream, and the region's next acknowledgement
    /// is the first at those positions, never the record's earlier time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_record_past_the_cursor_is_dropped_at_start() {
        let server = NatsServer::start();
        let log = gateway(&server).await;
        conformance::append_chain(&log, &crate::ids::new_v7(), 12).await;
        let c = cursors(&log);
        c.advance("330000", 4, "330000/tok").await.expect("ack");
        let (last, _) = c.last_record("330000").await.expect("read").expect("one");
        let never = RecordBody {
            from: 4,
            to: 9,
            actor: "330000/never".into(),
            at: None,
        };
        assert!(
            c.append_record("330000", &never, last)
                .await
                .expect("stored")
        );
        assert!(
            c.clamp(["330000".to_string()])
                .await
                .expect("clamp")
                .is_empty()
        );
        c.advance("330000", 6, "330000/real").await.expect("ack");
        let first = c.first_acks("330000", &[5, 7]).await.expect("read");
        let FirstAck::Taken(r) = &first[&5] else {
            panic!("{first:?}")
        };
        assert_eq!((r.from, r.to, r.actor.as_str()), (4, 6, "330000/real"));
        assert_eq!(first[&7], FirstAck::NotYet);
    }

    /// Given a cursor a gateway handed over or moved itself (no acknowledgement of this
    /// history's), when the region acknowledges further, then the record starts at the cursor
    /// (the positions before it say the history does not reach back), and a repeat of an older
    /// position records nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursor_the_gateway_moved_is_not_recorded_as_acknowledged() {
        use crate::log::FirstAck;
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let c = cursors(&log);
        c.hand_over("330000", 5, crate::log::Moved::NotStored)
            .await
            .expect("hand over");
        c.advance("330000", 3, "330000/old").await.expect("ack");
        c.advance("330000", 8, "330000/tok").await.expect("ack");
        let first = c.first_acks("330000", &[4, 6]).await.expect("read");
        assert_eq!(first[&4], FirstAck::NotKept { kept_from: Some(5) });
        assert!(matches!(&first[&6], FirstAck::Taken(r) if (r.from, r.to) == (5, 8)));
    }

    /// Given a stream restored from a backup that ends at 3, and a region's history past it
    /// (acknowledgements to 2, 40 and 90), when the gateway moves the cursor back to the end,
    /// then the record to 90 is dropped, the one from 2 to 40 is cut back to 3 with its time and
    /// token (3 is the same event after the restore), and the next acknowledgement is the first
    /// at the positions the next events take.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursor_moved_back_to_a_restored_end_cuts_its_history_back_to_it() {
        use crate::log::FirstAck;
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let b = acked_past_an_end(&log).await;
        let c = cursors(&log);
        c.clamp(["440000".to_string()]).await.expect("clamp");
        let first = c.first_acks("440000", &[1, 3, 4]).await.expect("read");
        assert!(matches!(&first[&1], FirstAck::Taken(r) if r.actor == "440000/a"));
        let cut = AckRecord { to: 3, ..b };
        assert_eq!(first[&3], FirstAck::Taken(cut.clone()));
        assert_eq!(first[&4], FirstAck::NotYet);
        conformance::append_chain(&log, &crate::ids::new_v7(), 2).await;
        c.advance("440000", 5, "440000/d").await.expect("ack");
        let first = c.first_acks("440000", &[3, 4]).await.expect("read");
        assert_eq!(first[&3], FirstAck::Taken(cut));
        let FirstAck::Taken(r) = &first[&4] else {
            panic!("{first:?}")
        };
        assert_eq!((r.from, r.to, r.actor.as_str()), (3, 5, "440000/d"));
    }

    /// A read-only tool on a stream whose gateways kept no history (a build before it) says
    /// it keeps none, and a history stream made by hand with a per-subject limit is refused.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_without_a_history_says_so_and_one_that_drops_records_is_refused() {
        let server = NatsServer::start();
        drop(gateway(&server).await);
        let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
        js.delete_stream("TONGBAN_acks").await.expect("delete");
        let (_tool, read) = read_only(&server).await;
        assert!(!read.keeps_history());
        js.create_stream(stream::Config {
            name: "TONGBAN_acks".into(),
            subjects: vec!["TONGBAN_acks.*".into()],
            max_messages_per_subject: 1,
            ..Default::default()
        })
        .await
        .expect("made by hand");
        refused_naming(
            &server,
            &[
                "TONGBAN_acks",
                "max_msgs_per_subject",
                "nats stream rm TONGBAN_acks",
            ],
        )
        .await;
    }

    #[test]
    fn a_bucket_is_named_for_its_stream_in_the_characters_buckets_take() {
        assert_eq!(bucket_name("TONGBAN"), "TONGBAN_cursors");
        assert_eq!(bucket_name("tb-prod+v2"), "tb-prod_u2bv2_cursors");
        assert_eq!(bucket_name("通办"), "_u901a_u529e_cursors");
        assert_eq!(history_name("tb-prod+v2"), "tb-prod_u2bv2_acks");
        assert_ne!(bucket_name("通办"), bucket_name("办理"));
    }
}
