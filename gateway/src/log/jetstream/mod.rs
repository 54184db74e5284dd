//! The event log on NATS JetStream: the production backend, shared by every gateway process.
//!
//! One stream holds every event; each application has its own subject `<prefix>.<app id>`
//! (`tongban.app.<app id>`), so the server keeps each application's order and the per-subject
//! concurrency check replaces the embedded log's single writer. A message is the envelope JSON;
//! its `Nats-Msg-Id` is the event id, so a retried publish inside the duplicate window is stored
//! once. A position is the stream sequence (strictly increasing; the stream refuses deletes, so
//! contiguous, except where a stream tightened later or a server lost messages: readers pass over
//! what the server lists as removed, and verification reports it as a gap).
//!
//! Concurrency: our `expected_seq` counts events per application, while JetStream's
//! `Nats-Expected-Last-Subject-Sequence` wants the *stream* sequence of the subject's last message.
//! So an append first reads the subject's last message (from the stream leader), checks its
//! envelope seq against `expected_seq`, then publishes expecting that message's stream sequence.
//! (A last message that something other than a gateway published is not the application's last
//! event, which is looked for behind it, from a point already known: [`behind`]; the publish
//! still names that message: [`subject`].)
//! Whoever publishes first wins; the others get "wrong last sequence" (10071, or 10164 from recent
//! clustered servers) and report a conflict, unless the message that won is their own event (a
//! retry that already landed), which is success.
//!
//! Appends are independent requests: many can be in flight at once, pipelined by the client.
//!
//! Outages: every request is bounded by `op_timeout`, and a write while the client knows it is
//! disconnected fails at once, so the API answers 503 promptly. The client reconnects by itself.

mod batch;
mod behind;
mod connect;
mod cursors;
mod head;
mod subject;
mod tips;
use super::recent;
pub use cursors::{SharedCursors, bucket_name as cursor_bucket_name};

use std::sync::Arc;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::stream::{RawMessageErrorKind, Stream};
use async_nats::jetstream::{self, ErrorCode};
// The `bytes` crate's buffer, as async-nats takes a payload (re-exported by axum).
use axum::body::Bytes;
use tokio::sync::watch;

use super::{At, EventLog, LogError, Positioned, Unreadable};
use crate::envelope::Envelope;
use subject::{End, Message};

/// The stream a gateway makes, for tests that make one otherwise.
#[cfg(test)]
pub(crate) use connect::stream_config;
pub use connect::{
    APP_IDS_METADATA, DUPLICATE_WINDOW, Denied, JetStreamConfig, MIN_SERVER, RecordedKey,
    SIGNER_METADATA, SIGNER_PLACEHOLDER, SetupError, check_version, connect, ensure_stream,
    parse_version,
};

/// How often, and how far apart, an append reads the subject's last message again while the
/// answer is behind what the log already told it (`end_at_least`): 0.5 s in all, which a leader
/// elected a moment ago needs to apply what was committed before it.
const CATCH_UP_TRIES: usize = 10;
const CATCH_UP_PAUSE: Duration = Duration::from_millis(50);

/// How many single-message reads `read_all` keeps in flight.
const READ_WINDOW: usize = 64;

struct Inner {
    client: async_nats::Client,
    js: jetstream::Context,
    stream: Stream,
    prefix: String,
    op_timeout: Duration,
    head: watch::Sender<u64>,
    /// `jetstream:<stream>:<created, unix ns>`: names this very stream, not just its name.
    source: String,
    /// The public key (hex) the stream's creator recorded in its metadata
    /// ([`connect::SIGNER_METADATA`]); `None` for a stream made otherwise, until a gateway
    /// records its own there ([`JetStreamLog::record_signer`]).
    signer: std::sync::Mutex<Option<String>>,
    /// The key this gateway's seals verify under (its own: [`JetStreamConfig::signer`]), with
    /// which an action's read settles another event under an application's last seq
    /// ([`subject::Reading::finish`]); `None` for a log opened without it (the read-only
    /// tools), whose reads refuse every such event.
    seal_key: Option<crate::envelope::PublicKey>,
    /// How the stream's creator recorded its application ids derive
    /// ([`connect::APP_IDS_METADATA`]); `None` for a stream made otherwise.
    app_ids: Option<String>,
    /// Whether the head's consumer follows now ([`head::listen`]), for `/metrics`.
    pushed: std::sync::atomic::AtomicBool,
    /// The last position that consumer delivered: a later one's event is on its way to
    /// [`Inner::recent`] while the consumer follows.
    pushed_to: std::sync::atomic::AtomicU64,
    /// Events kept from the push ([`head`]) and events the projector read from the server
    /// instead, for `/metrics`.
    pushed_kept: std::sync::atomic::AtomicU64,
    followed_from_stream: std::sync::atomic::AtomicU64,
    /// Consumers of the stream given up and asked for again ([`head`]), for `/metrics`.
    consumers_stalled: std::sync::atomic::AtomicU64,
    consumers_lost: std::sync::atomic::AtomicU64,
    /// Acknowledged appends, and publishes awaiting their ack, for `/metrics`.
    appends: std::sync::atomic::AtomicU64,
    in_flight: std::sync::atomic::AtomicU64,
    /// The event ids of this gateway's appends from their first publish until their ack has put
    /// the event in [`Inner::recent`] (or the append ended otherwise), each with how many
    /// appends of it are under way: the consumer's push of such a message is passed over
    /// ([`head`]), since the ack brings the very event this gateway sealed, which the projector
    /// folds without checking its seal again, where the pushed copy, decoded first when it came
    /// before the ack (most of the time), was decoded and its seal checked (docs/performance.md,
    /// "Round 48: where JetStream's extra CPU per submission goes").
    publishing: std::sync::Mutex<Publishes>,
    /// Microseconds from publishing an append to its ack, for `/metrics`.
    ack_micros: crate::metrics::Histogram,
    /// This gateway's latest acknowledged appends, for [`EventLog::follow`].
    recent: recent::Recent,
    /// The sequences the server lists as deleted, by the deleted count they were read at: asked
    /// for again only when the count changes, not at every read (the list can be long).
    removed: std::sync::Mutex<Option<(u64, Arc<Vec<u64>>)>>,
    /// Why the stream now removes events by its own settings (a limit or retention set after
    /// the gateway opened it), as the head poller last saw them; `None` while it keeps them all.
    /// Appends are refused meanwhile: an event acknowledged into such a stream would be lost.
    discarding: std::sync::Mutex<Option<String>>,
    /// The position this gateway has seen that the stream last answered it ends before
    /// ([`head::check_rollback`]): appends wait meanwhile, until the stream is seen to hold it
    /// (a leader elected a moment ago, a replica catching up) or proven put back to an older
    /// copy ([`Inner::replaced`]).
    behind: std::sync::Mutex<Option<u64>>,
    /// The last event this log gave its projector (position, event id): what the stream must
    /// still hold there for the projections to be the stream's. The proof of a stream put back
    /// to an older copy is another event at this position ([`head::check_rollback`]).
    witness: std::sync::Mutex<Option<(u64, String)>>,
    /// When the stream this log opened was created: the head poller compares each answer's
    /// with it, and a stream deleted and created again under the same name is not appended to
    /// ([`Inner::replaced`]).
    created: i128,
    /// Why appends and reads stop for good: the stream was replaced after this gateway opened
    /// it ([`JetStreamLog::same_stream`]). Its projections, and the positions in
    /// [`Inner::tips`], are the old stream's.
    replaced: std::sync::OnceLock<String>,
    /// Why the stream's servers count as unreachable though the connection is up: the head poll
    /// has had no answer for its state for a while ([`head::spawn`]; a cluster that lost its
    /// quorum, a stream without a leader), or an append was answered that no server takes the
    /// stream's writes ([`head::note_no_responders`]: a leader being elected). `None` once a poll
    /// is answered again, or an append acknowledged. Only reported (`/healthz`, `/metrics`, when
    /// the count of refused writes says the log takes writes again): appends still try, and fail
    /// on their own (503).
    unreachable: std::sync::Mutex<Option<String>>,
    /// Whether the latest append was answered that no server takes the stream's writes
    /// ([`head::note_no_responders`]), until one is acknowledged: the head poll then checks
    /// whether the stream's subjects still cover this gateway's ([`head::note_subjects`]).
    no_responders: std::sync::atomic::AtomicBool,
    /// Where each subject's last message was when this gateway last saw it (its own append or a
    /// read of the subject's last message from the leader, also when the projector has read
    /// another gateway's event there): what the next append's concurrency check names, without
    /// asking the server first. A stale one costs only a refused publish, after which
    /// the subject is read as before.
    tips: crate::generations::Generations<SubjectTip>,
    /// Subjects other gateways moved on, as the projector read them: their tips are asked for
    /// in the background ([`tips`]).
    tip_refresh: tips::TipRefresh,
    /// Whether an application's history is read in batches ([`batch`]): the server answers
    /// them and this user may ask. Turned off for good by a batch that fails.
    batched: std::sync::atomic::AtomicBool,
    /// Whether the server refused this user a batch ([`batch`]: the right is optional).
    denied: connect::Denied,
    /// [`EventLog::refresh_head`]'s requests for the stream's state, one at a time: how many
    /// began, and (held while one is on its way) the last one.
    refreshes_begun: std::sync::atomic::AtomicU64,
    refreshing: tokio::sync::Mutex<Refreshed>,
    /// The stream's `max_msg_size` as the head poll last read its settings (0 or less: none):
    /// what [`EventLog::fits`] holds a dry run's event to without asking the server. A stream
    /// is opened only without one, but an administrator may set one while the gateway runs.
    max_msg_size: std::sync::atomic::AtomicI64,
}

impl Inner {
    /// How many connections the client has made, the first and every reconnect: the head
    /// poll checks the stream after each ([`head::check_rollback`]).
    fn connects(&self) -> u64 {
        self.client
            .statistics()
            .connects
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Whether the client made a connection that the head poll has not checked the stream on
    /// yet: a stream put back to an older copy meanwhile is only told apart by that check.
    fn end_unchecked(&self) -> bool {
        self.connects() > self.denied.checked_connects()
    }

    /// The subject of application `app`'s events (`None`: not an id usable as a subject token).
    fn subject_of(&self, app: &str) -> Option<String> {
        valid_token(app).then(|| format!("{}.{app}", self.prefix))
    }

    /// The application whose subject `subject` is (`None`: not one of the log's subjects).
    fn app_of<'s>(&self, subject: &'s str) -> Option<&'s str> {
        subject
            .strip_prefix(self.prefix.as_str())
            .and_then(|s| s.strip_prefix('.'))
            .filter(|app| valid_token(app))
    }

    /// What the stream holds at `position`: the message's bytes, stored on `subject`. An event
    /// on its own application's subject, or a record that is not one: bytes that are not an
    /// event, or an event on another application's subject. Only the gateways' publishes carry
    /// the concurrency check and the event id; anything else with publish rights on the
    /// subjects (a misconfigured client) could put any application's event anywhere, a genuine
    /// one copied included. Folded, it would count as that application's (again); refused, it
    /// would stop every reader of the stream there. So it is a fact about its position, which
    /// the projections record and go on past, as for bytes that are not an event. The one
    /// judgement for every way the stream is read: the leader's messages, batches, and the
    /// consumer's pushes ([`head`]).
    fn entry(&self, position: u64, subject: &str, payload: &[u8]) -> At {
        match Envelope::from_stored(payload) {
            Ok(event) if self.subject_of(&event.app).as_deref() == Some(subject) => {
                At::Event(Positioned::read(position, event))
            }
            Ok(event) => {
                let shown = |app: &str| crate::shown::said(app, crate::ids::is_valid);
                let on = match self.app_of(subject) {
                    Some(app) => format!("the subject of application {}", shown(app)),
                    None => "a subject of no application".to_string(),
                };
                let reason = format!(
                    "an event of application {} stored on {on}: it is neither application's \
                     event there (only the gateways may publish on the stream's subjects, each \
                     event on its own application's)",
                    shown(&event.app)
                );
                At::Unreadable(Unreadable::of(position, payload, reason))
            }
            // Published by something other than a gateway.
            Err(reason) => At::Unreadable(Unreadable::of(position, payload, reason)),
        }
    }
}

/// The end of a subject as this gateway last saw it ([`End`]): its last message, and its
/// application's last event (the same message, unless something other than a gateway
/// published after it).
#[derive(Clone, PartialEq, Eq)]
struct SubjectTip {
    /// The application's last event's seq.
    seq: u64,
    /// The stream sequence of the subject's last message: what an append names to the server.
    position: u64,
    /// The application's last event's hash: an append names the subject's last message only
    /// for an event chained onto it.
    hash: String,
    /// The application's last event's own position (0: it has none): where its envelope is,
    /// when the subject's last message is something else ([`behind`]).
    at: u64,
}

/// The least time between two of [`EventLog::refresh_head`]'s requests for the stream's state.
const REFRESH_SPACING: Duration = Duration::from_millis(2);

/// The last of [`EventLog::refresh_head`]'s requests: when it began, and whether it was
/// answered.
#[derive(Default)]
struct Refreshed {
    began: Option<std::time::Instant>,
    ok: bool,
}

/// Subjects per generation of [`Inner::tips`]: a few dozen bytes each.
const TIPS: usize = 4096;

/// Counts a publish as in flight until dropped, whichever way the append ends.
struct InFlight<'a>(&'a std::sync::atomic::AtomicU64);

impl<'a> InFlight<'a> {
    fn start(counter: &'a std::sync::atomic::AtomicU64) -> InFlight<'a> {
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// This gateway's appends awaiting their ack ([`Inner::publishing`]).
#[derive(Default)]
struct Publishes {
    /// By event id: how many appends of it are under way, and the position the consumer pushed
    /// its message at, once it did.
    ids: std::collections::HashMap<String, (u32, Option<u64>)>,
    /// The positions pushed of those: the projector waits for their acks rather than reading
    /// them from the server ([`EventLog::follow_entries`]).
    pushed: std::collections::HashSet<u64>,
}

/// Names an event id in [`Inner::publishing`] until dropped, whichever way the append ends.
struct Publishing<'a> {
    inner: &'a Inner,
    id: String,
}

impl<'a> Publishing<'a> {
    fn start(inner: &'a Inner, id: &str) -> Publishing<'a> {
        let mut publishing = inner.publishing.lock().unwrap_or_else(|p| p.into_inner());
        publishing.ids.entry(id.to_string()).or_insert((0, None)).0 += 1;
        Publishing {
            inner,
            id: id.to_string(),
        }
    }
}

impl Drop for Publishing<'_> {
    fn drop(&mut self) {
        let mut publishing = self
            .inner
            .publishing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let pushed = match publishing.ids.get_mut(&self.id) {
            Some((count, _)) if *count > 1 => {
                *count -= 1;
                None
            }
            Some(_) => publishing.ids.remove(&self.id).and_then(|(_, at)| at),
            None => None,
        };
        if let Some(position) = pushed {
            publishing.pushed.remove(&position);
            drop(publishing);
            // A projector waiting for this ack ([`EventLog::follow_entries`]) stops waiting:
            // the event is in memory now, or (the append failed) only the stream has it.
            self.inner.recent.wake();
        }
    }
}

impl Inner {
    /// Whether the message with event id `id`, pushed at `position`, is one of this gateway's
    /// appends awaiting its ack ([`Inner::publishing`]): the ack, not the consumer's push, hands
    /// it to the projector, which waits for it ([`Inner::awaits_ack`]).
    fn publishing(&self, id: &str, position: u64) -> bool {
        let mut publishing = self.publishing.lock().unwrap_or_else(|p| p.into_inner());
        let Some((_, at)) = publishing.ids.get_mut(id) else {
            return false;
        };
        *at = Some(position);
        publishing.pushed.insert(position);
        drop(publishing);
        // A follower waiting for the push of this position waits for its ack now.
        self.recent.wake();
        true
    }

    /// Whether the message at `position` is one of this gateway's appends whose ack is still
    /// to come, as the consumer's push of it said ([`Inner::publishing`]).
    fn awaits_ack(&self, position: u64) -> bool {
        self.publishing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pushed
            .contains(&position)
    }
}

/// The JetStream event log. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct JetStreamLog {
    inner: Arc<Inner>,
    head: watch::Receiver<u64>,
    /// The regions' feed cursors, shared by every gateway of the stream; opened by a gateway
    /// that serves (`create_stream`), not by the read-only tools.
    /// (Boxed: the bucket's handle holds its stream's whole description, kilobytes.)
    cursors: Option<Box<SharedCursors>>,
}

/// How the server answered one publish of an append.
enum Published {
    /// Stored at this position.
    Acked(u64),
    /// A message with the event's id is already stored, at this position.
    Duplicate(u64),
    /// Refused: the position named is not the subject's last message on the leader.
    NotLast,
}

/// An event of an application, read on its subject.
struct Last {
    /// Its envelope's seq.
    seq: u64,
    /// Its stream sequence (our position).
    position: u64,
    event: Envelope,
}

impl JetStreamLog {
    /// Connects, checks the server version, creates or verifies the stream and starts following
    /// its head. Needs a tokio runtime.
    pub async fn open(config: &JetStreamConfig) -> Result<JetStreamLog, SetupError> {
        Self::open_checked(config, |_| Ok(())).await
    }

    /// [`JetStreamLog::open`], with `check` given the stream's identity ([`JetStreamLog::source`])
    /// before the feed cursors' bucket is bound to it. Binding drops the cursors of another
    /// stream of this name, which cannot be undone: a gateway that is about to refuse this
    /// stream (its projections were built from another) must refuse before that, or a failed
    /// start would have wiped every region's cursor.
    pub async fn open_checked<E: From<SetupError>>(
        config: &JetStreamConfig,
        check: impl FnOnce(&str) -> Result<(), E>,
    ) -> Result<JetStreamLog, E> {
        let (client, denied) = connect::connect(config).await?;
        let js = jetstream::ContextBuilder::new()
            .timeout(config.op_timeout)
            .build(client.clone());
        let stream = connect::ensure_stream(&js, config, &denied).await?;
        // Only a gateway publishes; the read-only tools (no `create_stream`) neither need the
        // probe nor have the right to send it.
        if config.create_stream
            && !denied
                .attempt(wait_routable(&js, &config.subject_prefix, ROUTABLE_WITHIN))
                .await?
        {
            tracing::warn!(
                stream = %config.stream,
                "the stream takes no publishes from this server yet; appends answer unavailable until it does"
            );
        }
        let info = stream
            .get_info()
            .await
            .map_err(|e| SetupError::JetStream(e.to_string()))?;
        let last = info.state.last_sequence;
        let source = format!(
            "jetstream:{}:{}",
            config.stream,
            info.created.unix_timestamp_nanos()
        );
        check(&source)?;
        let batched =
            batch::answered(&client, &config.stream, &config.subject_prefix, &denied).await;
        let (tx, head) = watch::channel(last);
        let (tip_refresh, tips_queued) = tips::TipRefresh::new();
        let inner = Arc::new(Inner {
            client,
            js,
            stream,
            prefix: config.subject_prefix.clone(),
            op_timeout: config.op_timeout,
            head: tx,
            source,
            signer: std::sync::Mutex::new(
                info.config.metadata.get(connect::SIGNER_METADATA).cloned(),
            ),
            seal_key: config
                .signer
                .as_deref()
                .and_then(crate::envelope::PublicKey::from_hex),
            app_ids: info.config.metadata.get(connect::APP_IDS_METADATA).cloned(),
            pushed: std::sync::atomic::AtomicBool::new(false),
            pushed_to: std::sync::atomic::AtomicU64::new(0),
            pushed_kept: std::sync::atomic::AtomicU64::new(0),
            followed_from_stream: std::sync::atomic::AtomicU64::new(0),
            consumers_stalled: std::sync::atomic::AtomicU64::new(0),
            consumers_lost: std::sync::atomic::AtomicU64::new(0),
            appends: std::sync::atomic::AtomicU64::new(0),
            in_flight: std::sync::atomic::AtomicU64::new(0),
            publishing: std::sync::Mutex::new(Publishes::default()),
            ack_micros: crate::metrics::Histogram::new(&crate::metrics::STORAGE_BOUNDS_US),
            recent: recent::Recent::default(),
            removed: std::sync::Mutex::new(None),
            discarding: std::sync::Mutex::new(None),
            behind: std::sync::Mutex::new(None),
            witness: std::sync::Mutex::new(None),
            created: info.created.unix_timestamp_nanos(),
            replaced: std::sync::OnceLock::new(),
            unreachable: std::sync::Mutex::new(None),
            no_responders: std::sync::atomic::AtomicBool::new(false),
            tips: crate::generations::Generations::new(TIPS),
            tip_refresh,
            batched: std::sync::atomic::AtomicBool::new(batched),
            denied: denied.clone(),
            refreshes_begun: std::sync::atomic::AtomicU64::new(0),
            refreshing: tokio::sync::Mutex::new(Refreshed::default()),
            max_msg_size: std::sync::atomic::AtomicI64::new(i64::from(
                info.config.max_message_size,
            )),
        });
        let cursors = if config.create_stream {
            Some(Box::new(
                SharedCursors::open(
                    inner.client.clone(),
                    &inner.js,
                    inner.stream.clone(),
                    &inner.source,
                    config.op_timeout,
                    &denied,
                )
                .await?,
            ))
        } else {
            None
        };
        // The connections made so far were checked by the open itself (it read where the
        // stream ends, and this gateway had seen nothing of it before).
        inner.denied.end_checked(inner.connects());
        head::spawn(Arc::downgrade(&inner), config.head_poll);
        tips::spawn(Arc::downgrade(&inner), tips_queued);
        if config.create_stream && config.head_pushed {
            head::listen(Arc::downgrade(&inner), denied);
        }
        tracing::info!(stream = %config.stream, replicas = inner.stream.cached_info().config.num_replicas, head = last, server = %inner.client.server_info().version, "JetStream event log open");
        Ok(JetStreamLog {
            inner,
            head,
            cursors,
        })
    }

    /// A handle on `inner` for its background workers: without the feed cursors, which only
    /// serving handles hold.
    fn sharing(inner: Arc<Inner>) -> JetStreamLog {
        let head = inner.head.subscribe();
        JetStreamLog {
            inner,
            head,
            cursors: None,
        }
    }

    /// Waits until the tips the projector named so far have been asked for ([`tips`]).
    #[cfg(test)]
    pub(crate) async fn tips_settled(&self) {
        self.inner.tip_refresh.settled().await;
    }

    /// The id the server gave this log's connection, by which it counts what the connection
    /// sent (`testnats::Received::sent_by`).
    #[cfg(test)]
    pub(crate) fn client_id(&self) -> u64 {
        self.inner.client.server_info().client_id
    }

    /// The server's version as it announced itself.
    pub fn server_version(&self) -> String {
        self.inner.client.server_info().version
    }

    /// The public key (hex) recorded by the gateway that created the stream, if one did.
    pub fn recorded_signer(&self) -> Option<String> {
        self.inner
            .signer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records `key` (hex) as the stream's gateways' key in its metadata ([`SIGNER_METADATA`]),
    /// for a stream made without it (by hand), and returns what the metadata holds there when
    /// read back, read as a key: the caller compares it with its key (another gateway may have
    /// recorded its own meanwhile) and, where it is another, names it. `Err` when the update
    /// failed (most often: no right to a stream update), with why. A stream update: a right a
    /// gateway needs at most once.
    pub async fn record_signer(&self, key: &str) -> Result<Option<RecordedKey>, String> {
        let recorded = self.record_metadata(SIGNER_METADATA, key).await?;
        Ok(self.note_recorded_signer(recorded.get(SIGNER_METADATA)))
    }

    /// What the stream's metadata holds as its gateways' key ([`SIGNER_METADATA`]) now, as the
    /// servers answer, read as a key: read again a while after a record, since two gateways
    /// recording their keys at once each read their own back until the later update lands.
    pub async fn read_signer(&self) -> Result<Option<RecordedKey>, String> {
        let stream = self.inner.stream.cached_info().config.name.clone();
        let config = self.stream_config(&stream).await?;
        Ok(self.note_recorded_signer(config.metadata.get(SIGNER_METADATA)))
    }

    /// Keeps `value`, what the metadata holds as the stream's key now, for
    /// [`JetStreamLog::recorded_signer`], and gives it read as a key: once, for the caller to
    /// compare and name.
    fn note_recorded_signer(&self, value: Option<&String>) -> Option<RecordedKey> {
        *self.inner.signer.lock().unwrap_or_else(|p| p.into_inner()) = value.cloned();
        value.map(|v| RecordedKey::read(v))
    }

    /// The configuration of `stream` as the servers give it now.
    async fn stream_config(&self, stream: &str) -> Result<jetstream::stream::Config, String> {
        self.inner
            .js
            .get_stream(stream)
            .await
            .map_err(|e| e.to_string())?
            .info()
            .await
            .map(|info| info.config.clone())
            .map_err(|e| e.to_string())
    }

    /// Sets `name` to `value` in the stream's metadata, beside what its configuration holds as
    /// the servers give it now, and returns the metadata the servers then hold (read again, so
    /// that what is returned is what a later reader finds).
    async fn record_metadata(
        &self,
        name: &str,
        value: &str,
    ) -> Result<std::collections::HashMap<String, String>, String> {
        let stream = self.inner.stream.cached_info().config.name.clone();
        let mut config = self.stream_config(&stream).await?;
        config.metadata.insert(name.to_string(), value.to_string());
        self.inner
            .js
            .update_stream(config)
            .await
            .map_err(|e| match self.refused_right() {
                Some(violation) => format!("NATS refused it: {violation}"),
                None => e.to_string(),
            })?;
        Ok(self.stream_config(&stream).await?.metadata)
    }

    /// Where the stream records how its application ids derive, as a refusal names it.
    pub fn derivation_record(&self) -> String {
        format!(
            "the metadata {APP_IDS_METADATA} of the stream {}",
            self.inner.stream.cached_info().config.name
        )
    }

    /// How the stream's creator recorded its application ids derive
    /// ([`crate::ids::Derivation`]; `None`: no record, a stream made by a version before keyed
    /// ids, by hand, or promoted from a mirror). Judged against the stream's own submissions at
    /// start ([`crate::log::app_ids`]). A record this version does not know is refused.
    pub fn recorded_derivation(
        &self,
    ) -> Result<Option<crate::ids::Derivation>, crate::ids::UnknownDerivation> {
        match self.inner.app_ids.as_deref() {
            None => Ok(None),
            Some(word) => crate::ids::Derivation::recorded(word)
                .map(Some)
                .ok_or_else(|| crate::ids::UnknownDerivation {
                    at: self.derivation_record(),
                    empty: word.trim().is_empty(),
                }),
        }
    }

    /// Records `derivation` in the stream's metadata ([`APP_IDS_METADATA`]), beside what its
    /// configuration holds as the servers give it now: a stream update, which the gateway's
    /// NATS permissions may refuse (the error says so, for the operator to set it by hand).
    pub async fn record_derivation(
        &self,
        derivation: crate::ids::Derivation,
    ) -> Result<(), String> {
        self.record_metadata(APP_IDS_METADATA, derivation.word())
            .await
            .map(|_| ())
    }

    /// The regions' feed cursors as the stream's bucket holds them, for a reader that opened
    /// the stream without them (the offline tools, `create_stream` off): the bucket is never
    /// created or changed. `None` when the stream has none ([`SharedCursors::existing`]).
    pub async fn existing_cursors(&self) -> Result<Option<SharedCursors>, LogError> {
        if let Some(cursors) = &self.cursors {
            return Ok(Some((**cursors).clone()));
        }
        SharedCursors::existing(
            self.inner.client.clone(),
            &self.inner.js,
            self.inner.stream.clone(),
            &self.inner.source,
            self.inner.op_timeout,
        )
        .await
    }

    /// Which log this is, for binding projections to it (see `server::bind_log_source`).
    pub fn source(&self) -> String {
        self.inner.source.clone()
    }

    fn subject(&self, app: &str) -> Option<String> {
        self.inner.subject_of(app)
    }

    /// The subject a read of application `app` reads (`None`: an id no subject can name, which
    /// holds nothing), once the connection is up and the stream is the one this log opened:
    /// what every read of one application checks first.
    fn subject_to_read(&self, app: &str) -> Result<Option<String>, LogError> {
        let Some(subject) = self.subject(app) else {
            return Ok(None);
        };
        self.connected()?;
        self.same_stream()?;
        Ok(Some(subject))
    }

    /// Fails at once while the client knows the connection is down, so nothing is queued for a
    /// server that is not there (a queued publish could land after we answered 503).
    fn connected(&self) -> Result<(), LogError> {
        match self.inner.client.connection_state() {
            State::Connected => Ok(()),
            state => Err(LogError::Unavailable(format!(
                "NATS connection is {state:?}"
            ))),
        }
    }

    /// Refuses writes while the stream removes events by its own settings ([`Inner::discarding`]):
    /// they would be acknowledged and later dropped. Readers stop there too (`read_all`); an
    /// action on a remembered state ([`crate::service::states`]) reads no history, so without
    /// this it would go on appending while the history under it is removed.
    fn keeping_events(&self) -> Result<(), LogError> {
        self.same_stream()?;
        self.checked_stream()?;
        let discarding = self
            .inner
            .discarding
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match discarding.as_deref() {
            None => Ok(()),
            Some(why) => Err(LogError::Unavailable(format!(
                "stream {} now removes events ({why}): no event is appended until its settings \
                 are restored (docs/operations.md, \"The stream\")",
                self.inner.stream.cached_info().config.name
            ))),
        }
    }

    /// Refuses appends and the projector's new events while the stream is not checked since a
    /// reconnect, or is behind what this gateway has seen ([`head::check_rollback`]): an event
    /// appended now could take a position this gateway has seen another event at, which its
    /// projections count as applied, and what the projector would take may be an older copy's
    /// (its last event taken is what the check compares).
    fn checked_stream(&self) -> Result<(), LogError> {
        if self.inner.end_unchecked() {
            return Err(LogError::Unavailable(
                "reconnected to NATS: no event is appended or projected until the head poll has \
                 checked the stream against what this gateway has seen (it needs the stream's \
                 info and, after a restore, its leader)"
                    .into(),
            ));
        }
        let behind = *self.inner.behind.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(seen) = behind {
            return Err(LogError::Unavailable(format!(
                "stream {} answers that it ends before position {seen}, which this gateway has \
                 seen: no event is appended or projected until it holds it again (a leader \
                 elected a moment ago, a replica catching up). If it was put back to an older \
                 copy, stop the gateways and follow docs/operations.md, \"Backups\"",
                self.inner.stream.cached_info().config.name
            )));
        }
        Ok(())
    }

    /// Notes the last event given to the projector as the [`Inner::witness`].
    fn took<'a>(&self, run: impl IntoIterator<Item = &'a Positioned>) {
        if let Some(last) = run.into_iter().last()
            && let Ok(mut witness) = self.inner.witness.lock()
        {
            *witness = Some((last.position, last.event.id.clone()));
        }
    }

    /// Refuses appends and reads once the stream was replaced ([`Inner::replaced`]): what the
    /// new stream holds under an application's subject is not what this gateway's projections
    /// hold of it (an application it holds would read as one with no events).
    fn same_stream(&self) -> Result<(), LogError> {
        match self.inner.replaced.get() {
            Some(why) => Err(LogError::Unavailable(why.clone())),
            None => Ok(()),
        }
    }

    /// `f` within the operation timeout ([`within`]), the timeout reported as unavailable; the
    /// inner result is `f`'s own, for callers that tell some of its errors apart. Unlike the feed
    /// cursors' `timed`, it does not check the connection first: the log's operations do that
    /// once each ([`JetStreamLog::connected`]), before their first request, not before each one.
    async fn timed<T, E>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, E>>,
    ) -> Result<Result<T, E>, LogError> {
        within(self.inner.op_timeout, f)
            .await
            .map_err(|no| LogError::Unavailable(format!("{what}: {no}")))
    }

    /// [`JetStreamLog::timed`], with every error of `f` reported as unavailable.
    async fn bounded<T, E: std::fmt::Display>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, E>>,
    ) -> Result<T, LogError> {
        self.timed(what, f)
            .await?
            .map_err(|e| LogError::Unavailable(format!("{what}: {e}")))
    }

    /// The subject's message at or after stream sequence `from`, if any.
    async fn next_on(&self, subject: &str, from: u64) -> Result<Option<Message>, LogError> {
        let request = self
            .inner
            .stream
            .raw_message_builder()
            .sequence(from)
            .next_by_subject(subject.to_string())
            .send();
        match self.timed("reading the log", request).await? {
            Ok(m) => Ok(Some(Message::of(m))),
            Err(e) if e.kind() == RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(LogError::Unavailable(format!("reading the log: {e}"))),
        }
    }

    /// The subject's last message, from the stream leader (`None`: the subject has none).
    async fn last_raw(&self, subject: &str) -> Result<Option<Message>, LogError> {
        let request = self.inner.stream.get_last_raw_message_by_subject(subject);
        match self.timed("reading the log", request).await? {
            Ok(m) => Ok(Some(Message::of(m))),
            Err(e)
                if e.kind()
                    == async_nats::jetstream::stream::LastRawMessageErrorKind::NoMessageFound =>
            {
                Ok(None)
            }
            Err(e) => Err(LogError::Unavailable(format!("reading the log: {e}"))),
        }
    }

    /// The end of application `app`'s subject, from the stream leader (`None`: the subject
    /// holds nothing), kept as the subject's tip.
    async fn last_on(&self, app: &str, subject: &str) -> Result<Option<End>, LogError> {
        let end = self.end_of(app, subject).await?;
        if let Some(end) = &end {
            self.inner.tips.put(subject, end.tip());
        }
        Ok(end)
    }

    /// [`JetStreamLog::last_on`] without keeping what it answers as the subject's tip. One
    /// request when the subject's last message is a gateway's append of the application's
    /// event; when it is anything else (published by another client), the application's last
    /// event is further back: found from a point already known, reading only what lies after
    /// it ([`behind`]), and failing that by reading its whole history.
    async fn end_of(&self, app: &str, subject: &str) -> Result<Option<End>, LogError> {
        let Some(m) = self.last_raw(subject).await? else {
            return Ok(None);
        };
        if let Some(last) = m.appended_event_of(app) {
            return Ok(Some(End {
                message: m.position,
                last: Some(last),
            }));
        }
        if let Some(end) = self.end_behind(app, subject, m.position).await? {
            return Ok(Some(end));
        }
        let mut read = self
            .read_positioned(app, subject, subject::Copies::Passed)
            .await?;
        // The last message this read reached, not the one asked for first: a leader that
        // changed in between may have answered the read short of it, and naming a later
        // message than the events read reach would chain an append onto a stale event. Named
        // short, the publish is refused and asked again.
        Ok(Some(End {
            message: read.end,
            last: read.events.pop(),
        }))
    }

    /// [`JetStreamLog::last_on`], asked again a few times while it answers with fewer than
    /// `seq` events of the application. The caller knows of `seq` from the log itself (its own
    /// read or acknowledged append, or the leader's refusal of a publish), so an answer behind
    /// it is a stream leader just elected and still applying what was committed, not the
    /// application's state: taken at its word it would be a false conflict. What is still
    /// behind after [`CATCH_UP_TRIES`] is answered as it is (a caller's expectation really
    /// ahead of the log is a conflict).
    async fn end_at_least(
        &self,
        app: &str,
        subject: &str,
        seq: u64,
    ) -> Result<Option<End>, LogError> {
        let mut end = self.last_on(app, subject).await?;
        for _ in 1..CATCH_UP_TRIES {
            if end.as_ref().map_or(0, End::seq) >= seq {
                break;
            }
            tokio::time::sleep(CATCH_UP_PAUSE).await;
            end = self.last_on(app, subject).await?;
        }
        Ok(end)
    }

    /// The application's events on its subject, each at its stream sequence, with what the
    /// read passed over there, copies judged as `copies` says.
    async fn read_placed(
        &self,
        app: &str,
        copies: subject::Copies,
    ) -> Result<(Vec<Positioned>, crate::log::foreign::Passed), LogError> {
        let Some(subject) = self.subject_to_read(app)? else {
            return Ok(Default::default());
        };
        let read = self.read_positioned(app, &subject, copies).await?;
        let events = read
            .events
            .into_iter()
            .map(|l| Positioned::read(l.position, l.event))
            .collect();
        Ok((events, read.passed))
    }

    /// Every event of `app` on its subject with its position, in seq order; `copies` says
    /// what a copy of one of them later on the subject makes the read.
    async fn read_positioned(
        &self,
        app: &str,
        subject: &str,
        copies: subject::Copies,
    ) -> Result<subject::Read, LogError> {
        self.read_positioned_from(app, subject, 1, 0, copies).await
    }

    /// The events of `app` on its subject from stream position `from` on, with their
    /// positions, in seq order, the first expected at seq `after + 1`; what else is there is
    /// passed over ([`subject`]). In batches where the server answers them ([`batch`]), as far
    /// as they answer the application's next events, checked against the leader's last message
    /// (whoever answered a batch may be behind it); whatever a batch answers that is not the
    /// next event, the leader is asked for, which says what it is, and batches go on after it.
    /// One request per message, to the leader, where batches end otherwise.
    async fn read_positioned_from(
        &self,
        app: &str,
        subject: &str,
        from: u64,
        after: u64,
        copies: subject::Copies,
    ) -> Result<subject::Read, LogError> {
        let reading =
            subject::Reading::new(app, after, copies).verifying(self.inner.seal_key.as_ref());
        self.read_on(subject, from, reading, u64::MAX).await
    }

    /// [`JetStreamLog::read_positioned_from`] with `reading` as far as it has gone, stopping once
    /// it holds the application's event `until`: a page's read, which reads no further than its
    /// page. Stopped there, the events are taken without comparing the last one read with the
    /// leader's: whoever answered a batch holds the stream's messages in the leader's order up
    /// to where it is, so those it answered are the leader's too.
    async fn read_on(
        &self,
        subject: &str,
        mut from: u64,
        mut reading: subject::Reading<'_>,
        until: u64,
    ) -> Result<subject::Read, LogError> {
        if reading.holds(until) {
            return reading.finish(subject);
        }
        // The last message read, for the check against the leader's last.
        let mut last_read: Option<(u64, Bytes)> = None;
        let mut batching = self.batching();
        loop {
            // Batches while they answer the application's next events; `asked`: a message
            // they answered is something else, which the leader is asked for below.
            let mut asked = false;
            while batching {
                let name = &self.inner.stream.cached_info().config.name;
                let patience = self.inner.op_timeout;
                let answered = batch::read(
                    &self.inner.client,
                    name,
                    subject,
                    from,
                    batch::BATCH,
                    patience,
                );
                let batch = match answered.await {
                    Ok(batch) => batch,
                    Err(failed) => {
                        self.batch_failed(&failed, "a batched read of an application's history");
                        batching = false;
                        break;
                    }
                };
                let progressed = !batch.messages.is_empty();
                for batched in batch.messages {
                    // What the leader holds is the log: only the next events are taken from
                    // whoever answered the batch.
                    match reading.judge(batched.position, &batched.payload) {
                        Ok(next @ subject::Judged::Next(_)) => {
                            reading.accept(batched.position, next);
                            if reading.holds(until) {
                                return reading.finish(subject);
                            }
                            from = batched.position + 1;
                            last_read = Some((batched.position, batched.payload));
                        }
                        _ => {
                            asked = true;
                            break;
                        }
                    }
                }
                if asked {
                    break;
                }
                if batch.more && !progressed {
                    batching = false;
                    break;
                }
                if batch.more {
                    continue;
                }
                // Whoever answered may be behind the leader (a replica, a mirror that answers
                // direct gets): done only if the leader's last message is the last one read. A
                // leader behind the batch (elected a moment ago, still applying what was
                // committed) or one that holds another message there is read on from, message
                // by message.
                let leaders = self.last_raw(subject).await?;
                match (leaders, &last_read) {
                    (None, None) => return reading.finish(subject),
                    (Some(m), Some((position, payload)))
                        if m.position == *position && m.payload == *payload =>
                    {
                        return reading.finish(subject);
                    }
                    _ => {
                        batching = false;
                        break;
                    }
                }
            }
            let Some(m) = self.next_on(subject, from).await? else {
                return reading.finish(subject);
            };
            reading.take(m.position, &m.payload)?;
            if reading.holds(until) {
                return reading.finish(subject);
            }
            from = m.position + 1;
            // After a message the batches did not take, they go on (`batching` is still set);
            // after a batch behind the leader, or failed, the rest is read from the leader.
            last_read = Some((m.position, m.payload));
        }
    }

    /// After a stale expectation: success if the event at `event.seq` is this very event (a
    /// retry that already landed), a conflict otherwise. `after` is the subject's last message
    /// the refused publish named, when known (0 for none): then the event at `event.seq` is the
    /// subject's next message after it, one request, not a read of the whole history (which is
    /// read when that message is not the application's event there).
    async fn retry_or_conflict(
        &self,
        event: &Envelope,
        subject: &str,
        expected_seq: u64,
        end: Option<End>,
        after: Option<u64>,
    ) -> Result<u64, LogError> {
        let last = end.and_then(|e| e.last);
        let actual = last.as_ref().map_or(0, |l| l.seq);
        let conflict = LogError::Conflict {
            app: event.app.clone(),
            expected: expected_seq,
            actual,
        };
        let Some(last) = last else {
            return Err(conflict);
        };
        if last.seq < event.seq {
            return Err(conflict);
        }
        // The subject's next message after the one named is the application's event there,
        // unless something other than a gateway published in between: then its history says.
        let next = match after {
            Some(after) if last.seq != event.seq => self
                .next_on(subject, after + 1)
                .await?
                .and_then(|m| m.event_of(&event.app))
                .filter(|l| l.seq == event.seq),
            _ => None,
        };
        let stored = if last.seq == event.seq {
            Some(last)
        } else if next.is_some() {
            next
        } else {
            self.read_positioned(&event.app, subject, subject::Copies::Passed)
                .await?
                .events
                .into_iter()
                .find(|l| l.seq == event.seq)
        };
        match stored {
            Some(s) if s.event.id == event.id => {
                self.bump_head(s.position);
                Ok(s.position)
            }
            _ => Err(conflict),
        }
    }

    /// One publish of `event` onto `subject`, naming `last_position` as the subject's last
    /// message (0: none), and how the server answered it.
    async fn publish(
        &self,
        subject: &str,
        event: &Envelope,
        payload: Bytes,
        last_position: u64,
    ) -> Result<Published, LogError> {
        let size = payload.len();
        let message = PublishMessage::build()
            .payload(payload)
            .message_id(&event.id)
            .expected_last_subject_sequence(last_position);
        self.connected()?;
        let _in_flight = InFlight::start(&self.inner.in_flight);
        let publish = self.inner.js.send_publish(subject.to_string(), message);
        let ack = match self.timed("publishing", publish).await? {
            Ok(ack) => ack,
            // Permanent: the client checks the size against the server's `max_payload` before
            // sending, so nothing reached the stream, and a retry fails alike (not a 503).
            Err(e) if e.kind() == PublishErrorKind::MaxPayloadExceeded => {
                return Err(LogError::TooLarge(format!(
                    "{size} bytes sealed, over the NATS servers' max_payload ({e})"
                )));
            }
            Err(e) => return Err(LogError::Unavailable(format!("publishing: {e}"))),
        };
        // From here the message may have reached the server: a failure is "not acknowledged",
        // not "not recorded". A retry with the same event id settles it either way. So no
        // [`JetStreamLog::timed`] here: its timeout would be "unavailable", this one is storage.
        match tokio::time::timeout(self.inner.op_timeout, ack.into_future()).await {
            Ok(Ok(ack)) if ack.duplicate => Ok(Published::Duplicate(ack.sequence)),
            Ok(Ok(ack)) => {
                head::note_reachable(&self.inner);
                self.inner
                    .no_responders
                    .store(false, std::sync::atomic::Ordering::Relaxed);
                Ok(Published::Acked(ack.sequence))
            }
            Ok(Err(e)) if is_wrong_last_sequence(&e) => Ok(Published::NotLast),
            Ok(Err(e)) if is_over_the_streams_limit(&e) => Err(LogError::TooLarge(format!(
                "{size} bytes sealed, over the stream's max_msg_size ({e})"
            ))),
            Ok(Err(e)) => match e.kind() {
                PublishErrorKind::StreamNotFound => {
                    Err(LogError::Unavailable(head::note_no_responders(&self.inner)))
                }
                _ => Err(LogError::Storage(format!("publish not acknowledged: {e}"))),
            },
            Err(_) => Err(LogError::Storage(format!(
                "publish not acknowledged within {:?}",
                self.inner.op_timeout
            ))),
        }
    }

    /// Other gateways' events, as the projector reads them: each subject whose last message
    /// this gateway knows at an earlier position is named to the background worker ([`tips`]),
    /// which asks the leader for it, so that this gateway's next append there names it without
    /// asking first. From the leader, not from the events read: those may come from a replica's
    /// batch, and a tip is what the server's concurrency check is told the subject's last
    /// message is. The projector does not wait for the answers.
    fn name_stale_tips<'a>(&self, read: impl IntoIterator<Item = &'a Positioned>) {
        let mut behind: Vec<String> = Vec::new();
        for p in read {
            let Some(subject) = self.subject(&p.event.app) else {
                continue;
            };
            if !behind.contains(&subject)
                && self
                    .inner
                    .tips
                    .holds(&subject, |tip| tip.position < p.position)
            {
                behind.push(subject);
            }
        }
        self.inner.tip_refresh.ask(behind);
    }

    fn bump_head(&self, position: u64) {
        advance(&self.inner.head, position);
    }

    async fn entries_inner(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        // Positions this gateway knows to be stored before it asks: a leader whose state ends
        // below them is behind (elected a moment ago, still applying what was committed).
        let known = *self.head.borrow();
        let info = self.stream_state().await?;
        let state = &info.state;
        let last = state.last_sequence;
        let deleted = state.deleted_count.unwrap_or(0);
        let asked = from.max(1);
        // Positions below the stream's first hold nothing any more (a purge before the stream
        // refused purges): passed over, not asked for one by one.
        let from = asked.max(state.first_sequence);
        // An empty answer tells the projector that nothing below the head is an event, and it
        // moves past them: from a leader behind, that would pass over events for good.
        let behind = || {
            LogError::Unavailable(format!(
                "the stream's leader names {last} as its last position, below {known} which \
                 this gateway saw stored: it is catching up; reading again later"
            ))
        };
        if from > last {
            return if asked <= known && last < known {
                Err(behind())
            } else {
                Ok(Vec::new())
            };
        }
        // Messages the server lists as deleted are gone for good: passed over as gaps, not asked
        // for (verification reports them; the projections go on past them).
        let removed = self.removed(deleted).await?;
        let wanted: Vec<u64> = (from..=last)
            .filter(|p| removed.binary_search(p).is_err())
            .take(max)
            .collect();
        if wanted.is_empty() && last < known {
            return Err(behind());
        }
        // Up to the last position read, or the stream's last when nothing is left to read.
        let to = wanted.last().copied().unwrap_or(last);
        let passed_over = (from - asked) + (to - from + 1).saturating_sub(wanted.len() as u64);
        if passed_over > 0 {
            // Holes the stream's own settings made since the gateway opened it (a limit added:
            // max_age, max_msgs_per_subject…) are not a past to pass over but a loss going on.
            let problems = connect::removes_events(&info.config);
            if !problems.is_empty() {
                return Err(LogError::Unavailable(format!(
                    "stream {} now removes events ({}): not passing over the {passed_over} \
                     position(s) it removed from {asked} on; restore its settings \
                     (docs/operations.md, \"The stream\")",
                    info.config.name,
                    problems.join("; ")
                )));
            }
            tracing::warn!(
                from = asked,
                to,
                passed_over,
                "passing over log positions the stream lists as removed (verify reports them)"
            );
        }
        // In batches as far as they answer what is wanted in order; then a window from the
        // leader (all the rest when batches are off), and batches again from there: a replica
        // behind costs one window, not the rest of the run.
        let mut read: Vec<At> = Vec::with_capacity(wanted.len());
        while read.len() < wanted.len() {
            read.extend(
                self.read_batched(&wanted[read.len()..])
                    .await
                    .into_iter()
                    .map(At::Event),
            );
            let batching = self.batching();
            let window = if batching { READ_WINDOW } else { usize::MAX };
            let fetched = self
                .fetch(wanted[read.len()..].iter().copied().take(window))
                .await?;
            // Any other position with no message means the server that answered is behind (a
            // new leader still applying what was committed). Passing over it would leave a
            // permanent gap in the projections; asking again later does not.
            for entry in fetched {
                if let At::Nothing(position) = entry {
                    return Err(LogError::Unavailable(format!(
                        "the stream's server has no message at position {position}, below its \
                         last {last}: it is catching up; reading again later"
                    )));
                }
                read.push(entry);
            }
        }
        Ok(read)
    }

    /// The events at the first of `wanted` (ascending stream positions, all at most the
    /// stream's last as its leader said) and on, in batches of the stream's messages
    /// ([`batch`], every subject), as far as the batches answer them in order: a replica or a
    /// mirror that answered from behind ends early, and a message that does not read as an
    /// event on its application's subject, or is not the position wanted next, stops them. The
    /// caller reads the rest from the leader, one request per message, whose copy says what a
    /// message that is not an event is ([`Inner::entry`], the same judgement). Empty when batches
    /// are off.
    async fn read_batched(&self, wanted: &[u64]) -> Vec<Positioned> {
        let mut out: Vec<Positioned> = Vec::with_capacity(wanted.len());
        let name = &self.inner.stream.cached_info().config.name;
        while out.len() < wanted.len() && self.batching() {
            let from = wanted[out.len()];
            let max = (wanted.len() - out.len()).min(batch::BATCH);
            let asked = batch::read(
                &self.inner.client,
                name,
                ">",
                from,
                max,
                self.inner.op_timeout,
            );
            let batch = match asked.await {
                Ok(batch) => batch,
                Err(failed) => {
                    self.batch_failed(&failed, "a batched read of the stream");
                    break;
                }
            };
            let before = out.len();
            for m in batch.messages {
                if wanted.get(out.len()) != Some(&m.position) {
                    break;
                }
                // What is not an event on its own subject is judged from the leader's copy.
                match self.inner.entry(m.position, &m.subject, &m.payload) {
                    At::Event(p) => out.push(p),
                    _ => break,
                }
            }
            let took = out.len() - before;
            if took == 0 || took < max && !batch.more {
                break;
            }
        }
        out
    }

    /// Whether histories and runs of the stream are read in batches now ([`Inner::batched`]).
    fn batching(&self) -> bool {
        self.inner
            .batched
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Logs a failed batch, and turns batches off when the failure will not pass
    /// ([`batch::Failed::lasting`]); otherwise only the read at hand goes on one message per
    /// request.
    fn batch_failed(&self, failed: &batch::Failed, what: &str) {
        // Refused for good: the right was taken away, or a server that does not batch; off
        // until a restart probes again. Passing: a timeout, a reconnect, no replica subscribed
        // yet.
        let lasting = failed.lasting || self.inner.denied.batches_refused();
        tracing::warn!(
            reason = %failed.reason,
            lasting,
            "{what} failed; reading on one message per request"
        );
        if lasting {
            self.inner
                .batched
                .store(false, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// The stream sequences the server lists as deleted, ascending: messages removed from inside
    /// the stream (before it refused deletes, or lost by a server), which are holes for good.
    /// `count` is the number the stream's state gave; none are asked for when it is 0, and the
    /// list read at the same count before is used again.
    async fn removed(&self, count: u64) -> Result<Arc<Vec<u64>>, LogError> {
        if count == 0 {
            return Ok(Arc::default());
        }
        let cached = |slot: &Option<(u64, Arc<Vec<u64>>)>| {
            slot.as_ref()
                .filter(|(at, _)| *at == count)
                .map(|(_, list)| Arc::clone(list))
        };
        if let Some(list) = self.inner.removed.lock().ok().and_then(|s| cached(&s)) {
            return Ok(list);
        }
        let detailed = self
            .bounded(
                "reading the stream's deleted messages",
                self.inner.stream.info_builder().with_deleted(true).fetch(),
            )
            .await?;
        let mut list = detailed.info.state.deleted.clone().unwrap_or_default();
        list.sort_unstable();
        let list = Arc::new(list);
        if let Ok(mut slot) = self.inner.removed.lock() {
            *slot = Some((count, Arc::clone(&list)));
        }
        Ok(list)
    }

    /// The stream's state as its server tells it now, for a read of this log: refused when the
    /// stream is another than the one this log follows (replaced under its name), whose positions
    /// are not this log's and are never read into its projections.
    async fn stream_state(&self) -> Result<jetstream::stream::Info, LogError> {
        let info = self
            .bounded("reading the stream state", self.inner.stream.get_info())
            .await?;
        head::note_replacement(&self.inner, &info);
        self.same_stream()?;
        Ok(info)
    }

    /// Refuses as unavailable for now any of `absent` (positions the server answered no message
    /// at) that the stream does not say holds nothing for good: listed as deleted, below its
    /// first sequence (purged), or past both its last sequence and this gateway's head (never
    /// written). Any other one is below what the stream or this gateway saw stored: a leader
    /// elected a moment ago and still applying what was committed, as the projector's reads
    /// meet it too. A feed that marked it missing would have its region pass over an event.
    async fn gone_for_good(&self, absent: &[u64]) -> Result<(), LogError> {
        let known = *self.head.borrow();
        let info = self.stream_state().await?;
        let state = &info.state;
        let removed = self.removed(state.deleted_count.unwrap_or(0)).await?;
        let last = state.last_sequence;
        match absent.iter().find(|&&p| {
            p >= state.first_sequence && p <= last.max(known) && removed.binary_search(&p).is_err()
        }) {
            Some(position) => Err(LogError::Unavailable(format!(
                "the stream's server has no message at position {position}, which the stream \
                 does not list as removed (its last position is {last}): it is catching up; \
                 reading again later"
            ))),
            None => Ok(()),
        }
    }

    /// The messages at `sequences`, keeping `READ_WINDOW` requests in flight: each an event, a
    /// message that is not one ([`At::Unreadable`]), or [`At::Nothing`] where a sequence holds
    /// no message. In sequence order.
    async fn fetch(&self, sequences: impl IntoIterator<Item = u64>) -> Result<Vec<At>, LogError> {
        let mut sequences = sequences.into_iter();
        let mut tasks = tokio::task::JoinSet::new();
        let mut results: std::collections::BTreeMap<u64, At> = std::collections::BTreeMap::new();
        loop {
            while tasks.len() < READ_WINDOW {
                let Some(seq) = sequences.next() else { break };
                let stream = self.inner.stream.clone();
                let timeout = self.inner.op_timeout;
                tasks.spawn(async move {
                    let r = within(timeout, stream.get_raw_message(seq)).await;
                    (seq, r)
                });
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (seq, r) = joined.map_err(|e| LogError::Unavailable(e.to_string()))?;
            match r {
                Ok(Ok(m)) => {
                    results.insert(seq, self.inner.entry(seq, &m.subject, &m.payload));
                }
                Ok(Err(e)) if e.kind() == RawMessageErrorKind::NoMessageFound => {
                    results.insert(seq, At::Nothing(seq));
                }
                Ok(Err(e)) => {
                    return Err(LogError::Unavailable(format!("reading the log: {e}")));
                }
                Err(no) => return Err(LogError::Unavailable(format!("reading the log: {no}"))),
            }
        }
        Ok(results.into_values().collect())
    }
}

/// `f` within `limit`. The outer error is the timeout, worded once for the log and the feed
/// cursors; the inner result is `f`'s own, for callers that tell some of its errors apart (no
/// message yet, a lost race, a wrong last sequence).
async fn within<T, E>(
    limit: Duration,
    f: impl Future<Output = Result<T, E>>,
) -> Result<Result<T, E>, String> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| format!("no answer from NATS within {limit:?}"))
}

/// Moves the head forward only (appends acknowledge out of order when pipelined).
fn advance(head: &watch::Sender<u64>, position: u64) {
    head.send_if_modified(|h| {
        if position > *h {
            *h = position;
            true
        } else {
            false
        }
    });
}

/// An application id usable as one subject token: no dots, wildcards, spaces or controls. Ids
/// are UUIDs; anything else must not turn into a wildcard read of other applications.
fn valid_token(app: &str) -> bool {
    !app.is_empty()
        && app.len() <= 128
        && app
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// How long [`JetStreamLog::open`] waits for the stream to take publishes from its server.
const ROUTABLE_WITHIN: Duration = Duration::from_secs(10);

/// Waits until a publish from this connection reaches the stream, at most `limit`; whether it
/// did. A cluster answers a stream's creation before every server routes its subjects, and until
/// the server this gateway is connected to does, every append fails with "no stream found for
/// given subject": a gateway that had just created its stream answered its first submissions
/// 503 (and a test cluster's first appends failed). The probe is a publish to
/// `<prefix>._probe` (no application id has that form) expecting the subject's last sequence to
/// be `u64::MAX`, which no subject ever has: the stream always refuses it, stores nothing, and
/// its refusal is the proof that it was reached.
async fn wait_routable(js: &jetstream::Context, prefix: &str, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    let subject = format!("{prefix}._probe");
    loop {
        let probe = PublishMessage::build()
            .payload(Vec::new().into())
            .expected_last_subject_sequence(u64::MAX);
        let reached = match js.send_publish(subject.clone(), probe).await {
            Ok(ack) => match ack.into_future().await {
                Ok(_) => true,
                Err(e) => e.kind() != PublishErrorKind::StreamNotFound,
            },
            Err(_) => false,
        };
        if reached {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether the stream refused a message for its size (10054, a stream's `max_msg_size`, which
/// a stream made by someone else may have): never stored, and a retry is refused the same way.
fn is_over_the_streams_limit(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| {
        e.downcast_ref::<jetstream::Error>()
            .is_some_and(|j| j.error_code() == ErrorCode::STREAM_MESSAGE_EXCEEDS_MAXIMUM)
    })
}

/// Wrong-last-sequence, however the server spells it and whichever client call reports it: 10071,
/// or 10164 from recent clustered servers (which the client reports as `Other`), on a publish or
/// on a key-value update (the client's `WrongLastRevision`). Looks through the error's sources.
fn is_wrong_last_sequence(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| {
        e.downcast_ref::<jetstream::context::PublishError>()
            .is_some_and(|p| p.kind() == PublishErrorKind::WrongLastSequence)
            || e.downcast_ref::<jetstream::kv::UpdateError>()
                .is_some_and(|u| u.kind() == jetstream::kv::UpdateErrorKind::WrongLastRevision)
            || e.downcast_ref::<jetstream::Error>().is_some_and(|j| {
                let code = j.error_code();
                code == ErrorCode::STREAM_WRONG_LAST_SEQUENCE
                    || code == ErrorCode::STREAM_WRONG_LAST_SEQUENCE_CONSTANT
            })
    })
}

impl JetStreamLog {
    /// The last request the server refused this gateway's user for lack of a right, since the
    /// last call (the violation as the server words it, naming the subject). A read that fails
    /// so times out like one the server never answered: a start that fails on one names the
    /// right instead of the timeout.
    pub fn refused_right(&self) -> Option<String> {
        self.inner.denied.take()
    }
}

/// The bytes a publish of an event puts against the servers' `max_payload` and the stream's
/// `max_msg_size`: its stored form (`payload` bytes) and the headers [`JetStreamLog::publish`]
/// gives it, as NATS writes them (`NATS/1.0\r\n`, a `name: value\r\n` line each, `\r\n`).
fn message_size(event_id: &str, payload: usize, last_position: u64) -> usize {
    let line = |name: &str, value: usize| name.len() + ": ".len() + value + "\r\n".len();
    "NATS/1.0\r\n".len()
        + line(async_nats::header::NATS_MESSAGE_ID.as_ref(), event_id.len())
        + line(
            async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE.as_ref(),
            last_position.to_string().len(),
        )
        + "\r\n".len()
        + payload
}

impl EventLog for JetStreamLog {
    fn limits_size(&self) -> bool {
        true
    }

    /// From what is known without asking the server: the `max_payload` the servers announced
    /// to the connection and the stream's `max_msg_size` as the head poll last read it. An
    /// event after the first is measured as if its subject's last message were at the largest
    /// position (its concurrency header at its longest), since where it is is not asked.
    fn fits(&self, event: &Envelope) -> Result<(), LogError> {
        let payload = crate::log::stored_form(event, event.seq.saturating_sub(1))?.len();
        let last_position = if event.seq <= 1 { 0 } else { u64::MAX };
        let size = message_size(&event.id, payload, last_position);
        // What the client's own publish checks against, set at each connect.
        let max_payload = self.inner.client.max_payload();
        if max_payload > 0 && size > max_payload {
            return Err(LogError::TooLarge(format!(
                "{payload} bytes sealed, over the NATS servers' max_payload ({size} bytes with \
                 the message's headers, over {max_payload})"
            )));
        }
        let stream = self
            .inner
            .max_msg_size
            .load(std::sync::atomic::Ordering::Relaxed);
        if let Ok(limit) = usize::try_from(stream)
            && limit > 0
            && size > limit
        {
            return Err(LogError::TooLarge(format!(
                "{payload} bytes sealed, over the stream's max_msg_size ({size} bytes with the \
                 message's headers, over {limit})"
            )));
        }
        Ok(())
    }

    async fn append(&self, event: Envelope, expected_seq: u64) -> Result<u64, LogError> {
        let payload = crate::log::stored_form(&event, expected_seq)?;
        let subject = self.subject(&event.app).ok_or_else(|| LogError::Corrupt {
            position: 0,
            reason: "application id is not usable as a subject token".into(),
        })?;
        self.connected()?;
        self.keeping_events()?;
        // A first event needs no read: "expected last subject sequence 0" means the subject must
        // be empty, and the server refuses the publish otherwise (then we look, below). Nor does
        // one whose expected seq is where this gateway last saw the subject end: the server
        // refuses the publish if another message came since. (The tip's position is the
        // subject's last message, which the server checks, whatever it holds; its seq and hash
        // are the application's last event, which the event is chained onto: [`End`].)
        let chained = |t: &SubjectTip| t.seq == expected_seq && t.hash == event.prev_hash;
        let known = || self.inner.tips.get(&subject, chained);
        let last_position = match expected_seq {
            0 => 0,
            _ if let Some(tip) = known() => tip.position,
            _ => {
                let end = self
                    .end_at_least(&event.app, &subject, expected_seq)
                    .await?;
                if end.as_ref().map_or(0, End::seq) != expected_seq {
                    return self
                        .retry_or_conflict(&event, &subject, expected_seq, end, None)
                        .await;
                }
                // The event at the expected seq is not the one this event is chained onto:
                // another history than the caller's (a stream that lost acknowledged events
                // and took others at their seqs). Decide again on what is there.
                if let Some(l) = end
                    .as_ref()
                    .and_then(|e| e.last.as_ref())
                    .filter(|l| l.event.hash != event.prev_hash)
                {
                    return Err(LogError::Conflict {
                        app: event.app.clone(),
                        expected: expected_seq,
                        actual: l.seq,
                    });
                }
                end.map_or(0, |e| e.message)
            }
        };
        let size = payload.len();
        let payload = Bytes::from(payload);
        let mut last_position = last_position;
        // From before the first publish until the event is in `recent` (or the append fails):
        // the consumer's push of the message, often processed before its ack, is passed over.
        let _publishing = Publishing::start(&self.inner, &event.id);
        // A refusal names no reason but "not the last message": another writer's message came
        // first, or the leader answering was elected a moment ago and has not applied the
        // message this append names yet. So once, the subject is read again (waiting for the
        // leader to show at least the expected seq) and, if it still ends where this append
        // expects, the event is published again naming what the leader now shows.
        for again in [true, false] {
            let publishing = std::time::Instant::now();
            let acked = self
                .publish(&subject, &event, payload.clone(), last_position)
                .await?;
            match acked {
                Published::Acked(position) => {
                    self.inner.ack_micros.record_duration(publishing.elapsed());
                    let tip = SubjectTip {
                        seq: event.seq,
                        position,
                        hash: event.hash.clone(),
                        at: position,
                    };
                    self.inner.tips.put(&subject, tip);
                    // Before the head moves, so a follower woken by it finds the event here.
                    self.inner.recent.remember_own(position, event, size);
                    self.bump_head(position);
                    self.inner
                        .appends
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    return Ok(position);
                }
                Published::Duplicate(position) => {
                    // The server already holds a message with this event id (the dedupe
                    // window): it is this event only if what is stored there is this event, at
                    // its seq.
                    self.inner.ack_micros.record_duration(publishing.elapsed());
                    let stored = self.read_at(&[position]).await?;
                    return match stored.into_iter().next().and_then(At::into_event) {
                        Some(p)
                            if p.event.id == event.id
                                && p.event.app == event.app
                                && p.event.seq == event.seq =>
                        {
                            self.bump_head(position);
                            Ok(position)
                        }
                        _ => Err(LogError::Conflict {
                            app: event.app.clone(),
                            expected: expected_seq,
                            actual: self
                                .last_on(&event.app, &subject)
                                .await?
                                .map_or(0, |e| e.seq()),
                        }),
                    };
                }
                Published::NotLast if again => {
                    // A refusal of a first event (expected 0) is never a lagging leader's: one
                    // behind accepts it. Waiting for at least one message then finds the winner.
                    let end = self
                        .end_at_least(&event.app, &subject, expected_seq.max(1))
                        .await?;
                    match end {
                        Some(e) if e.chains(expected_seq, &event.prev_hash) => {
                            last_position = e.message;
                        }
                        end => {
                            let after = Some(last_position);
                            return self
                                .retry_or_conflict(&event, &subject, expected_seq, end, after)
                                .await;
                        }
                    }
                }
                Published::NotLast => break,
            }
        }
        // Refused twice: the leader holds a later message on the subject than the one expected.
        let end = self
            .end_at_least(&event.app, &subject, expected_seq + 1)
            .await?;
        let after = Some(last_position);
        self.retry_or_conflict(&event, &subject, expected_seq, end, after)
            .await
    }

    /// The application's own events; what else is on its subject is passed over, but a copy
    /// of one of them is refused, at its position: the callers reading a whole history (the
    /// API's events, the evidence page, disputes, `verify --app`) show it as found
    /// ([`subject::Copies`]).
    async fn read(&self, app: &str) -> Result<Vec<Envelope>, LogError> {
        let read = self.read_with_passed(app).await?.0;
        Ok(read.into_iter().map(|p| p.event).collect())
    }

    /// [`EventLog::read`], each event at its stream sequence, with what it passed over on the
    /// application's subject.
    async fn read_with_passed(
        &self,
        app: &str,
    ) -> Result<(Vec<Positioned>, crate::log::foreign::Passed), LogError> {
        self.read_placed(app, subject::Copies::Refused).await
    }

    /// The subject read as an action reads it, copies passed over and named.
    async fn read_decided(
        &self,
        app: &str,
    ) -> Result<(Vec<Positioned>, crate::log::foreign::Passed), LogError> {
        self.read_placed(app, subject::Copies::Passed).await
    }

    /// From the message at `position` when it is event `seq` of the application (one request
    /// per event after it); otherwise every event is read.
    async fn read_after(
        &self,
        app: &str,
        seq: u64,
        position: u64,
    ) -> Result<Vec<Envelope>, LogError> {
        let Some(subject) = self.subject_to_read(app)? else {
            return Ok(Vec::new());
        };
        let found = match position {
            0 => None,
            _ => self
                .next_on(&subject, position)
                .await?
                .and_then(|m| m.event_of(app)),
        };
        let from_there = match found {
            Some(at) if at.position == position && at.seq == seq => Some(
                self.read_positioned_from(
                    app,
                    &subject,
                    position + 1,
                    seq,
                    subject::Copies::Passed,
                )
                .await?,
            ),
            _ => None,
        };
        // A copy of an event before `seq` met on the way cannot be told from another event
        // under its seq without the events before: the whole history is read then too.
        let events = match from_there.filter(|read| !read.unchecked) {
            Some(read) => read.events,
            None => {
                let mut all = self
                    .read_positioned(app, &subject, subject::Copies::Passed)
                    .await?
                    .events;
                let keep = usize::try_from(seq).map_or(all.len(), |s| s.min(all.len()));
                all.split_off(keep)
            }
        };
        Ok(events.into_iter().map(|l| l.event).collect())
    }

    /// The subject read from its start as [`EventLog::read`] reads it (a copy of one of the
    /// application's events refused), stopping at the page's last event: a page near the
    /// history's end still reads what comes before it, since the stream has no index by seq.
    /// From `position` when it holds event `first` (the view's last event, for a caller that
    /// asks what came after it): that event, then only what follows it, where nothing met on
    /// the way is an event before `first` (a copy the read could not compare without them),
    /// after which the page is read from the subject's start.
    async fn read_page(
        &self,
        app: &str,
        first: u64,
        max: usize,
        position: u64,
    ) -> Result<Vec<Envelope>, LogError> {
        let Some(subject) = self.subject_to_read(app)? else {
            return Ok(Vec::new());
        };
        let Some(until) = (max as u64).checked_sub(1) else {
            return Ok(Vec::new());
        };
        let first = first.max(1);
        let until = first.saturating_add(until);
        let found = match position {
            0 => None,
            _ => self.next_on(&subject, position).await?,
        };
        let at_first = found.filter(|m| {
            m.position == position && m.event_of(app).is_some_and(|at| at.seq == first)
        });
        let from_there = match at_first {
            Some(m) => {
                let mut reading = subject::Reading::new(app, first - 1, subject::Copies::Refused);
                reading.take(m.position, &m.payload)?;
                let next = position.saturating_add(1);
                let read = self.read_on(&subject, next, reading, until).await?;
                (!read.unchecked).then_some(read.events)
            }
            None => None,
        };
        let events = match from_there {
            Some(events) => events,
            None => {
                let reading = subject::Reading::new(app, 0, subject::Copies::Refused);
                let mut events = self.read_on(&subject, 1, reading, until).await?.events;
                let skip = usize::try_from(first - 1).map_or(events.len(), |s| s.min(events.len()));
                events.split_off(skip)
            }
        };
        Ok(events.into_iter().map(|l| l.event).collect())
    }

    /// One request for the subject's last message, where [`EventLog::read`] makes one per
    /// event.
    async fn last(&self, app: &str) -> Result<Option<Envelope>, LogError> {
        let Some(subject) = self.subject_to_read(app)? else {
            return Ok(None);
        };
        Ok(self
            .last_on(app, &subject)
            .await?
            .and_then(|end| end.last)
            .map(|l| l.event))
    }

    async fn entries(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        self.connected()?;
        self.entries_inner(from, max).await
    }

    /// From this gateway's own latest appends and the events the stream's consumer pushed
    /// ([`head`]), as far as they run without a gap from `from`; from the server when `from` is
    /// not one of them. A `from` missing while some of our publishes await their acks is most
    /// likely one of those, its ack processed just after a later one's; one missing while the
    /// consumer follows and has not delivered that far yet is most likely on its way (the head
    /// moved first, by an ack or by a read asking where the stream ends). Either is waited for
    /// briefly ([`recent::OWN_ACK_PATIENCE`], [`head::PUSH_PATIENCE`]) rather than read from the
    /// server; one the push named as this gateway's own append awaiting its ack
    /// ([`Inner::awaits_ack`]) for as long as that append lasts (its ack's timeout at most).
    async fn follow_entries(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        use std::sync::atomic::Ordering::Relaxed;
        self.connected()?;
        // Not even from memory: what the consumer pushed may be the new stream's.
        self.same_stream()?;
        self.checked_stream()?;
        let from = from.max(1);
        let pushing =
            || self.inner.pushed.load(Relaxed) && self.inner.pushed_to.load(Relaxed) < from;
        // One of this gateway's appends, as its push said, whose ack is still to come: its
        // publisher puts the event here (or fails) within the publish's timeout, and wakes the
        // wait either way; reading it from the server instead would decode it and check its
        // seal again. Asked again at each wake: a push that comes while the follower waits for
        // it may say so.
        let started = tokio::time::Instant::now();
        let until = || {
            if self.inner.awaits_ack(from) {
                Some(started + self.inner.op_timeout)
            } else if pushing() {
                Some(started + head::PUSH_PATIENCE)
            } else if self.inner.in_flight.load(Relaxed) > 0 {
                Some(started + recent::OWN_ACK_PATIENCE)
            } else {
                None
            }
        };
        if from <= *self.head.borrow() && self.inner.recent.wait_until(from, until).await {
            let head = *self.head.borrow();
            if let Some(run) = self.inner.recent.take(from, head, max) {
                // Other gateways' events among them were pushed by the stream's consumer.
                self.name_stale_tips(&run);
                self.took(&run);
                return Ok(run.into_iter().map(At::Event).collect());
            }
        }
        let read = self.entries_inner(from, max).await?;
        if let Some(last) = read.last() {
            // Their pushed copies, arriving after this read, are not decoded and kept.
            self.inner.recent.passed(last.position() + 1);
        }
        let events = || {
            read.iter().filter_map(|at| match at {
                At::Event(p) => Some(p),
                _ => None,
            })
        };
        self.inner
            .followed_from_stream
            .fetch_add(events().count() as u64, Relaxed);
        self.name_stale_tips(events());
        self.took(events());
        Ok(read)
    }

    /// A stream sequence the server has no message at holds nothing only where the stream says
    /// so for good ([`JetStreamLog::gone_for_good`]); otherwise the server is behind, and the read
    /// is refused as unavailable for now, never answered as a hole a feed would pass over.
    async fn read_at(&self, positions: &[u64]) -> Result<Vec<At>, LogError> {
        self.connected()?;
        self.same_stream()?;
        let fetched = self.fetch(positions.iter().copied()).await?;
        let absent: Vec<u64> = fetched
            .iter()
            .filter_map(|at| match at {
                At::Nothing(position) => Some(*position),
                _ => None,
            })
            .collect();
        if !absent.is_empty() {
            self.gone_for_good(&absent).await?;
        }
        Ok(fetched)
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    /// The stream leader's last position: what every gateway on the stream has had
    /// acknowledged, unless the leader was elected a moment ago and is still applying what was
    /// committed (a caller waiting for a position asks again).
    ///
    /// One request at a time, shared: a caller that arrives while one is on its way waits for
    /// it and for the next, which began after it arrived, and takes that one's answer; and one
    /// begins [`REFRESH_SPACING`] after the last at the soonest. So clients asking on every
    /// request (`X-Tongban-Read-After: latest`, or a position beyond the end) cost the stream
    /// at most 500 requests a second from this gateway, however many they are.
    async fn refresh_head(&self) -> Result<u64, LogError> {
        use std::sync::atomic::Ordering;
        self.connected()?;
        let arrived = self.inner.refreshes_begun.load(Ordering::Acquire);
        let mut last = self.inner.refreshing.lock().await;
        let begun = self.inner.refreshes_begun.load(Ordering::Acquire);
        if begun > arrived && last.ok {
            return Ok(*self.head.borrow());
        }
        if let Some(began) = last.began {
            tokio::time::sleep_until((began + REFRESH_SPACING).into()).await;
        }
        self.inner
            .refreshes_begun
            .store(begun + 1, Ordering::Release);
        last.began = Some(std::time::Instant::now());
        let asked = self
            .bounded("reading the stream state", self.inner.stream.get_info())
            .await;
        last.ok = asked.is_ok();
        let info = asked?;
        head::note_replacement(&self.inner, &info);
        self.same_stream()?;
        self.bump_head(info.state.last_sequence);
        Ok(*self.head.borrow())
    }

    /// The subject's last message, from the leader: its own position, not the head's.
    async fn last_position(&self, app: &str) -> Result<Option<u64>, LogError> {
        let Some(subject) = self.subject_to_read(app)? else {
            return Ok(None);
        };
        Ok(self.last_raw(&subject).await?.map(|last| last.position))
    }

    fn backend(&self) -> &'static str {
        "jetstream"
    }

    /// Whether the log can take writes now: the client holds a connection to a server (appends
    /// and reads fail at once otherwise, [`JetStreamLog::connected`]), the stream is the one
    /// opened and keeps its events, and its servers answer. A connected server that cannot reach
    /// the stream (a cluster without quorum, a stream without a leader, a leaf link down) is
    /// seen by the head poll once it has gone unanswered for a few seconds
    /// ([`Inner::unreachable`]); a deleted stream, by the poll too ([`Inner::replaced`]).
    /// Without that, `/healthz` said "ok" while every write answered 503.
    fn available(&self) -> bool {
        self.refusal().is_none()
    }

    fn refusal(&self) -> Option<crate::log::Refusal> {
        if let Some(why) = self.inner.replaced.get() {
            return Some(crate::log::Refusal {
                why: why.clone(),
                restart_required: true,
            });
        }
        let unreachable = || {
            let why = self
                .inner
                .unreachable
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            why.map_or(Ok(()), |why| Err(LogError::Unavailable(why)))
        };
        match self
            .connected()
            .and_then(|()| self.keeping_events())
            .and_then(|()| unreachable())
        {
            Ok(()) => None,
            Err(e) => Some(crate::log::Refusal {
                why: e.to_string(),
                restart_required: false,
            }),
        }
    }

    fn shared_cursors(&self) -> Option<&SharedCursors> {
        self.cursors.as_deref()
    }

    fn stats(&self) -> crate::log::LogStats {
        use std::sync::atomic::Ordering;
        crate::log::LogStats {
            appends: self.inner.appends.load(Ordering::Relaxed),
            batch_sizes: None,
            sync_micros: None,
            ack_micros: Some(self.inner.ack_micros.snapshot()),
            in_flight: Some(self.inner.in_flight.load(Ordering::Relaxed)),
            pushed: Some(self.inner.pushed.load(Ordering::Relaxed)),
            end_asked: Some(self.inner.refreshes_begun.load(Ordering::Relaxed)),
            pushed_kept: Some(self.inner.pushed_kept.load(Ordering::Relaxed)),
            followed_from_stream: Some(self.inner.followed_from_stream.load(Ordering::Relaxed)),
            consumers_remade: Some(crate::log::ConsumersRemade {
                stalled: self.inner.consumers_stalled.load(Ordering::Relaxed),
                lost: self.inner.consumers_lost.load(Ordering::Relaxed),
            }),
            memory: None,
        }
    }
}

#[cfg(test)]
mod cluster_tests;
#[cfg(test)]
pub(crate) mod tests;
