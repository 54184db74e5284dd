//! Follows the stream's last sequence so projections see every gateway's writes, not only ours.
//!
//! Our own appends move the head as soon as they are acknowledged. Two tasks catch the rest:
//! - [`listen`]: a consumer of the stream pushes this gateway each message the stream stores, so
//!   the head moves within milliseconds of another gateway's append. A read through one gateway
//!   then waits for a write acknowledged through another a moment before (`Gateway::caught_up`
//!   waits for the head), where the poll alone let it miss that write for up to the poll's
//!   interval; and the projector folds the other gateway's event onto the state this one
//!   remembers before its next action, which then is one publish. The pushed event is kept for
//!   the projector (`recent`), which then does not ask the server for it: that read (the
//!   stream's state, then the messages) was most of the wait of a read naming another gateway's
//!   write (docs/performance.md, "Round 26").
//! - [`spawn`]: asks the stream leader for its state every `poll`. It is what the push cannot
//!   be: a fresh request each time, right across disconnects, leader changes and a consumer the
//!   server lost or this user may not create; and the answer carries the stream's settings
//!   (below). One small request per interval per gateway.
//!
//! Both stop when the log is dropped.
//!
//! The same answer carries the stream's settings: a limit or retention set on it after the
//! gateway opened it (NATS accepts them on a stream that refuses deletes) makes it remove events,
//! and the log refuses appends until the settings are restored ([`Inner::discarding`]).

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::connection::State;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, push};
use async_nats::jetstream::stream::RawMessageErrorKind;

use super::connect::{Denied, RecordedKey, SIGNER_METADATA, SIGNER_PLACEHOLDER};
use super::{Inner, advance};

/// How often the server tells the consumer it is there when the stream is quiet; two missed
/// tell [`listen`] that the consumer is gone (a restarted server, a lost leader), and it asks
/// for a new one.
#[cfg(not(test))]
const HEARTBEAT: Duration = Duration::from_secs(5);
#[cfg(test)]
const HEARTBEAT: Duration = Duration::from_secs(1);

/// How long the server keeps the consumer after this gateway stopped listening (it stopped, or
/// lost its connection for good). Ephemeral: nothing to clean up by hand.
const INACTIVE: Duration = Duration::from_secs(30);

/// How long the consumer may leave a position this gateway knows is stored undelivered before
/// [`listen`] asks for another: heartbeats alone do not tell a consumer stalled by a lost
/// flow-control reply, as the server goes on sending them.
const STALL: Duration = Duration::from_secs(2 * HEARTBEAT.as_secs());

/// How long [`listen`] waits before asking again for a consumer the server did not give.
const RETRY: Duration = Duration::from_secs(1);

/// How long a pushed position waits before it moves the head, gathering the positions pushed
/// meanwhile. This gateway's own appends are pushed too: their acknowledgements, which come
/// about as soon and move the head themselves once the event is in memory for the projector
/// (`recent`), are let in first, so the projector does not go to the server for our own
/// events. And a run of other gateways' events is read in one pass.
const SETTLE: Duration = Duration::from_millis(2);

/// How long the projector waits for the consumer to deliver an event whose position it already
/// knows (an own ack or a read asking where the stream ends moved the head first) before it
/// reads the event from the server instead: about what that read would take on a busy machine.
pub(super) const PUSH_PATIENCE: Duration = Duration::from_millis(2);

/// How often [`listen`] looks whether the log was dropped while no message came.
const LIVENESS: Duration = Duration::from_secs(1);

/// Moves the head to each message the stream stores, as its server pushes them: an ephemeral
/// consumer of every subject, delivering from the position after the head this gateway knows,
/// acknowledging none; each event pushed is kept for the projector ([`keep`]). A consumer lost (missed heartbeats) or never made is asked for
/// again; nothing is lost meanwhile that matters, as any later message, or the poll, names a
/// position past it. Stops for good when the server refuses this user the right (the poll
/// follows alone; docs/operations.md, "NATS permissions").
pub(super) fn listen(inner: Weak<Inner>, denied: Denied) {
    tokio::spawn(async move {
        let mut warned = false;
        loop {
            let Some(strong) = inner.upgrade() else {
                return;
            };
            let made = match strong.client.connection_state() {
                State::Connected => Some(consume(&strong).await),
                _ => None,
            };
            strong
                .pushed
                .store(matches!(made, Some(Ok(_))), Ordering::Relaxed);
            // Not held while following or waiting: the log may be dropped meanwhile.
            drop(strong);
            match made {
                Some(Ok((name, messages))) => {
                    warned = false;
                    let ended = follow(&inner, &name, messages).await;
                    let (Some(ended), Some(strong)) = (ended, inner.upgrade()) else {
                        return;
                    };
                    strong.pushed.store(false, Ordering::Relaxed);
                    match ended {
                        Ended::Stalled(why) => {
                            strong.consumers_stalled.fetch_add(1, Ordering::Relaxed);
                            tracing::warn!(reason = %why, "the stream's consumer stalled; asking for another")
                        }
                        Ended::Lost(why) => {
                            strong.consumers_lost.fetch_add(1, Ordering::Relaxed);
                            tracing::info!(reason = %why, "the stream's consumer ended; asking for another")
                        }
                    }
                }
                Some(Err(_)) if denied.consumer_refused() => return,
                Some(Err(e)) if !warned => {
                    warned = true;
                    tracing::warn!(error = %e, "no consumer of the stream; other gateways' appends are seen at the poll until there is one");
                }
                _ => {}
            }
            tokio::time::sleep(RETRY).await;
        }
    });
}

/// Asks the server for the consumer and subscribes to what it delivers: its name, and the
/// deliveries.
async fn consume(inner: &Inner) -> Result<(String, push::Messages), String> {
    let head = *inner.head.borrow();
    let consumer = inner
        .stream
        .create_consumer(push::Config {
            deliver_subject: inner.client.new_inbox(),
            description: Some("tongban gateway: the stream's head".into()),
            // From the position after the head this gateway knows: nothing stored between
            // what it last saw and the consumer's making is passed over.
            deliver_policy: DeliverPolicy::ByStartSequence {
                start_sequence: head + 1,
            },
            ack_policy: AckPolicy::None,
            // Whole messages now (kept for the projector): the server stops sending once this
            // gateway leaves its flow-control window (a few MiB) unanswered, so a stalled
            // gateway does not buffer the stream in its memory (the poll moves the head
            // meanwhile). A reply lost leaves the consumer stalled: [`Progress`] notices.
            flow_control: true,
            idle_heartbeat: HEARTBEAT,
            inactive_threshold: INACTIVE,
            ..Default::default()
        })
        .await
        .map_err(|e| e.to_string())?;
    let name = consumer.cached_info().name.clone();
    let messages = consumer.messages().await.map_err(|e| e.to_string())?;
    // It starts after the head: what is before counts as delivered.
    inner.pushed_to.fetch_max(head, Ordering::Relaxed);
    Ok((name, messages))
}

/// Why a consumer was given up: each is counted for `/metrics`
/// (`tongban_log_consumers_remade_total`).
enum Ended {
    /// It left a position known stored undelivered ([`Progress`]): a flow-control reply lost.
    Stalled(String),
    /// The server stopped sending to it: missed heartbeats, a closed subscription, an error.
    Lost(String),
}

/// Advances the head to each delivered message's stream sequence until the consumer ends (why:
/// also when it stalls, [`Progress`]) or the log is dropped (`None`). Only deliveries that name
/// this stream and this consumer count: the head never moves back, so a position published to
/// the inbox by anything else would hold the projections waiting for an event that is not
/// there.
async fn follow(inner: &Weak<Inner>, name: &str, mut messages: push::Messages) -> Option<Ended> {
    // One timer for the whole run, and one for each run of pushes, not one per message.
    let mut liveness = tokio::time::interval(LIVENESS);
    let settle = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(settle);
    let mut pushed: Option<u64> = None;
    let mut progress = Progress::default();
    loop {
        let next = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut messages), cx));
        tokio::select! {
            biased;
            _ = &mut settle, if pushed.is_some() => {
                let inner = inner.upgrade()?;
                if let Some(position) = pushed.take() {
                    advance(&inner.head, position);
                }
            }
            next = next => {
                let inner = inner.upgrade()?;
                match next {
                    Some(Ok(message)) => match message.info() {
                        Ok(info)
                            if info.consumer == name
                                && info.stream == inner.stream.cached_info().config.name =>
                        {
                            // This gateway's own append, its ack not processed yet: the ack
                            // moves the head once the event is in memory, as it is (sealed
                            // here), so the pushed copy is neither decoded nor moves the head.
                            let own = own_awaiting_ack(&inner, info.stream_sequence, &message);
                            if !own {
                                keep(&inner, info.stream_sequence, &message);
                            }
                            inner
                                .pushed_to
                                .fetch_max(info.stream_sequence, Ordering::Relaxed);
                            if !own {
                                if pushed.is_none() {
                                    settle.as_mut().reset(tokio::time::Instant::now() + SETTLE);
                                }
                                pushed = pushed.max(Some(info.stream_sequence));
                            }
                        }
                        Ok(_) => tracing::warn!("a delivery to the head's consumer names another stream or consumer; passed over"),
                        Err(e) => return Some(Ended::Lost(format!("a delivery without its position: {e}"))),
                    },
                    Some(Err(e)) => return Some(Ended::Lost(e.to_string())),
                    None => return Some(Ended::Lost("the subscription closed".into())),
                }
            }
            _ = liveness.tick() => {
                let inner = inner.upgrade()?;
                let head = *inner.head.borrow();
                let delivered = inner.pushed_to.load(Ordering::Relaxed);
                if progress.stalled(head, delivered, tokio::time::Instant::now()) {
                    return Some(Ended::Stalled(format!(
                        "the consumer delivered nothing up to position {head} for {STALL:?} \
                         (last delivered {delivered})"
                    )));
                }
            }
        }
    }
}

/// Whether the pushed `message` is one of this gateway's appends still awaiting its ack
/// ([`Inner::publishing`], by the message's `Nats-Msg-Id`, the event id every append gives it).
/// The ack hands the projector the event this gateway sealed, moving the head after it (the
/// projector waits for it there rather than reading the stream); should it never come (a timeout, a lost connection), the projector reads the event from the stream, as
/// it reads any event not in memory, and the head poll or a later push moves the head past it.
/// So passing the push over costs no event, and taking it for another's (a message
/// of this id stored otherwise) only a read of the stream.
fn own_awaiting_ack(
    inner: &Inner,
    position: u64,
    message: &async_nats::jetstream::Message,
) -> bool {
    message
        .headers
        .as_ref()
        .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
        .is_some_and(|id| inner.publishing(id.as_str(), position))
}

/// Keeps the event pushed at `position` for the projector (`recent`), unless it is there already
/// (this gateway's own append, whose ack came first) or the projector is past it. Only an event
/// on its own application's subject is kept ([`Inner::entry`], the judgement of every read of
/// the stream); anything else is left for the projector to read from the stream's leader,
/// which records it as unreadable there.
fn keep(inner: &Inner, position: u64, message: &async_nats::jetstream::Message) {
    // A stream created again under the same name is not this log's (`Inner::replaced`).
    if inner.replaced.get().is_some() || !inner.recent.wants(position) {
        return;
    }
    if let crate::log::At::Event(p) = inner.entry(position, &message.subject, &message.payload) {
        inner
            .recent
            .remember_pushed(position, p.event, message.payload.len());
        inner.pushed_kept.fetch_add(1, Ordering::Relaxed);
    }
}

/// Whether the consumer still delivers: a head this gateway knew (by its own acks or the poll)
/// must be delivered within [`STALL`]. Each position waited for is the head when the wait
/// began, so a busy stream, whose head is always a little ahead of the deliveries, is not a
/// stall.
#[derive(Default)]
struct Progress {
    behind: Option<(tokio::time::Instant, u64)>,
}

impl Progress {
    fn stalled(&mut self, head: u64, delivered: u64, now: tokio::time::Instant) -> bool {
        match self.behind {
            Some((_, wanted)) if delivered >= wanted => self.behind = None,
            Some((since, _)) if now.duration_since(since) >= STALL => return true,
            _ => {}
        }
        if self.behind.is_none() && head > delivered {
            self.behind = Some((now, head));
        }
        false
    }
}

/// How long the head poll must go unanswered (over two polls at least) while the connection is
/// up before the log counts as unavailable ([`Inner::unreachable`]): longer than a leader
/// stepping down takes to be answered for, shorter than the two request timeouts that an R3
/// cluster without quorum leaves a poll waiting for.
const UNREACHABLE_AFTER: Duration = Duration::from_secs(3);

/// How long the servers must go on answering that the stream does not exist (10059), over two
/// polls at least, before it counts as deleted, which only a restart clears
/// ([`note_gone`]): a server that has not yet recovered its streams, or a meta leader just
/// elected that has not applied its state, may answer so for a while, and every gateway of the
/// stream polls the same servers, so a verdict any sooner could stop the whole fleet for an
/// operator to restart. Until then the log counts as unreachable ([`UNREACHABLE_AFTER`]), which
/// heals by itself. A stream deleted and created again at once is [`note_replacement`]'s.
const GONE_AFTER: Duration = Duration::from_secs(30);

/// The head poll's run of failed requests since its last answer.
#[derive(Default)]
struct Failures {
    /// When the first failed request of the run was sent, and how many failed.
    run: Option<(std::time::Instant, u32)>,
    /// The same for the run's last requests answered "stream not found".
    not_found: Option<(std::time::Instant, u32)>,
}

/// What a run of failed polls says of the stream ([`Failures::failed`]).
#[derive(Debug, PartialEq)]
enum Verdict {
    /// Not yet anything: one slow answer, a leader elected.
    Failing,
    /// Its servers do not answer: the log is unavailable until they do.
    Unreachable(Duration),
    /// It was deleted.
    Gone,
}

impl Failures {
    /// The poll sent at `asked` failed at `now` (`not_found`: answered "stream not found").
    fn failed(
        &mut self,
        asked: std::time::Instant,
        now: std::time::Instant,
        not_found: bool,
    ) -> Verdict {
        if not_found {
            let (since, count) = self.not_found.get_or_insert((asked, 0));
            *count += 1;
            if *count >= 2 && now.duration_since(*since) >= GONE_AFTER {
                return Verdict::Gone;
            }
        } else {
            self.not_found = None;
        }
        let (since, count) = self.run.get_or_insert((asked, 0));
        *count += 1;
        let failing = now.duration_since(*since);
        match *count >= 2 && failing >= UNREACHABLE_AFTER {
            true => Verdict::Unreachable(failing),
            false => Verdict::Failing,
        }
    }
}

/// Whether the stream's info request was answered "stream not found" (10059).
fn not_found(e: &async_nats::jetstream::stream::InfoError) -> bool {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|j| j.error_code() == async_nats::jetstream::ErrorCode::STREAM_NOT_FOUND)
}

/// Asks the stream for its state every `poll` while connected: moves the head, checks the
/// stream is the one opened and keeps its events ([`note_replacement`], [`check_rollback`],
/// [`note_removal`]), still records this gateway's key ([`note_signer`]) and still takes its
/// subjects ([`note_subjects`]). A run of polls that fail while the connection is up makes the log
/// unavailable for `/healthz` and `/metrics` ([`Failures`]): a cluster that lost its quorum,
/// or a deleted stream, left them "available" while every write answered 503.
pub(super) fn spawn(inner: Weak<Inner>, poll: Duration) {
    tokio::spawn(async move {
        let mut warned = false;
        let mut failures = Failures::default();
        loop {
            tokio::time::sleep(poll).await;
            let Some(inner) = inner.upgrade() else {
                return;
            };
            if inner.client.connection_state() != State::Connected {
                // The connection's state says it meanwhile; a run starts again after it.
                failures = Failures::default();
                note_reachable(&inner);
                continue;
            }
            // What this gateway had seen before asking: every position of it was in the
            // stream before the question, so an answer that ends before it is behind (an ack
            // that lands while the question is out is no such sign). And the drops of the
            // connection before asking: the answer checks the stream after each of them.
            let seen = *inner.head.borrow();
            let connects = inner.connects();
            let asked = std::time::Instant::now();
            let failed = match tokio::time::timeout(inner.op_timeout, inner.stream.get_info()).await
            {
                // Answered by a leader that lost its quorum (it may answer for its stream a
                // while before it stalls, and answer on after): as good as unanswered for
                // appends, which wait out their timeout.
                Ok(Ok(info)) if let Some(why) = without_quorum(&info) => (why, false),
                Ok(Ok(info)) => {
                    warned = false;
                    failures = Failures::default();
                    note_reachable(&inner);
                    note_replacement(&inner, &info);
                    let reconnected = connects > inner.denied.checked_connects();
                    if check_rollback(&inner, &info, seen, reconnected).await {
                        inner.denied.end_checked(connects);
                    }
                    advance(&inner.head, info.state.last_sequence);
                    note_removal(&inner, &info.config);
                    note_signer(&inner, &info.config);
                    note_subjects(&inner, &info.config);
                    inner.max_msg_size.store(
                        i64::from(info.config.max_message_size),
                        std::sync::atomic::Ordering::Relaxed,
                    );
                    continue;
                }
                Ok(Err(e)) => {
                    if !warned {
                        tracing::warn!(error = %e, "cannot read the stream state; projections wait");
                    }
                    (e.to_string(), not_found(&e))
                }
                Err(_) => {
                    if !warned {
                        tracing::warn!("no answer for the stream state; projections wait");
                    }
                    (format!("no answer within {:?}", inner.op_timeout), false)
                }
            };
            warned = true;
            let (error, not_found) = failed;
            match failures.failed(asked, std::time::Instant::now(), not_found) {
                Verdict::Failing => {}
                Verdict::Unreachable(failing) => note_unreachable(&inner, failing, &error),
                Verdict::Gone => note_gone(&inner),
            }
        }
    });
}

/// Why a replicated stream's state, as `info` gives it, says it has no quorum: fewer of its
/// replicas than a majority are online, counting its leader and the peers the group does not
/// consider offline (a peer merely behind still counts: a loaded replica is no outage), or it
/// has no leader. `None` for a stream of one replica, or one with its quorum.
fn without_quorum(info: &async_nats::jetstream::stream::Info) -> Option<String> {
    let replicas = info.config.num_replicas;
    let cluster = info.cluster.as_ref()?;
    if replicas < 2 {
        return None;
    }
    let Some(leader) = &cluster.leader else {
        return Some("the stream has no leader".to_string());
    };
    let online = 1 + cluster.replicas.iter().filter(|p| !p.offline).count();
    let quorum = replicas / 2 + 1;
    (online < quorum).then(|| {
        format!(
            "its leader {leader} counts {online} of its {replicas} replicas online, fewer than a \
             quorum ({quorum})"
        )
    })
}

/// Marks the log unavailable ([`Inner::unreachable`]): its servers have not answered the head
/// poll for `failing`, the last failure being `error`. Logged when it starts; the reason is
/// brought up to date at each failed poll.
fn note_unreachable(inner: &Inner, failing: Duration, error: &str) {
    let name = &inner.stream.cached_info().config.name;
    let why = format!(
        "the NATS servers have not answered this gateway's requests for the state of stream \
         {name}, or answered that it lacks a quorum, for {} s though it is connected (the last: \
         {error}): appends fail until they answer with a quorum (a cluster that lost its quorum, a \
         stream without a leader, a stream deleted; or the server this gateway is connected to \
         hangs, which the client drops within about 15 s for another)",
        failing.as_secs()
    );
    let mut unreachable = inner.unreachable.lock().unwrap_or_else(|p| p.into_inner());
    if unreachable.is_none() {
        tracing::error!(stream = %name, error = %error, "the stream's servers do not answer though NATS is connected; the log counts as unavailable until they do");
    }
    *unreachable = Some(why);
}

/// Counts the log as unavailable at once when an append is answered that no server takes the
/// stream's writes (NATS "no responders", which the client reports as "no stream found for given
/// subject"), and returns why, for the append's 503. Nothing was stored. In a cluster this is
/// a stream without a leader: one is elected within seconds of its server being lost, and the
/// head poll's verdict ([`UNREACHABLE_AFTER`], over two polls) came only after a five-second
/// election had ended, so `/healthz` said "ok" through every refused write of it and the count
/// of refused writes said the log took writes again while it did not (an operator's
/// walkthrough, the stream leader killed). The answer is definite, not a slow one, so one is
/// enough; the next acknowledged append or answered poll clears it
/// ([`note_reachable`]). A stream deleted, or whose subjects no longer cover this gateway's, is
/// answered so too, for good: the head poll finds either ([`note_gone`], [`note_subjects`]).
pub(super) fn note_no_responders(inner: &Inner) -> String {
    let name = &inner.stream.cached_info().config.name;
    let why = format!(
        "no server takes the writes of stream {name} now: NATS answered the append that nothing \
         listens on its subject (\"no responders\"), so nothing was stored. In a cluster, the \
         stream has no leader: one is being elected after its server was lost or restarted, \
         which takes seconds; if it lasts, the stream's servers have lost their quorum, or the \
         stream was deleted or its subjects changed (docs/operations.md, \"When a cluster node \
         fails\")"
    );
    let mut unreachable = inner.unreachable.lock().unwrap_or_else(|p| p.into_inner());
    if unreachable.is_none() {
        tracing::error!(stream = %name, "an append was answered that no server takes the stream's writes (no leader: an election, or a quorum lost); the log counts as unavailable until an append is acknowledged or the stream's state answers again");
    }
    *unreachable = Some(why.clone());
    inner.no_responders.store(true, Ordering::Relaxed);
    why
}

/// Clears [`Inner::unreachable`], saying so in the log when it was set: a poll answered, or an
/// append acknowledged (the stream takes writes, whatever the poll last found).
pub(super) fn note_reachable(inner: &Inner) {
    let was = inner
        .unreachable
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take();
    if was.is_some() {
        tracing::warn!(stream = %inner.stream.cached_info().config.name, "the stream's servers answer again; the log counts as available");
    }
}

/// Stops appends and reads for good once the servers go on answering that the stream does not
/// exist: it was deleted, and its events with it (`deny_delete` keeps its messages, not the
/// stream). Like a replaced stream ([`note_replacement`]) it waits for the operator: a stream
/// of that name created later is another log, and a restart refuses the data directory until
/// the stream is restored or the projections rebuilt.
fn note_gone(inner: &Inner) {
    if inner.replaced.get().is_some() {
        return;
    }
    let name = &inner.stream.cached_info().config.name;
    let why = format!(
        "stream {name} no longer exists on the NATS servers (they answer \"stream not found\"): \
         it was deleted since this gateway opened it, and no event is appended or read; restore \
         it from a backup and restart the gateway (docs/operations.md, \"The stream\")"
    );
    tracing::error!(stream = %name, "the stream no longer exists on the servers; appends and reads are refused");
    let _ = inner.replaced.set(why);
}

/// Stops appends and reads for good once the stream answering is not the one the log opened (deleted and
/// created again under its name): this gateway's projections, and the subject positions it
/// remembers, are the old stream's. A restart then asks for `tongban rebuild` (the projections'
/// log source differs).
pub(super) fn note_replacement(inner: &Inner, info: &async_nats::jetstream::stream::Info) {
    let created = info.created.unix_timestamp_nanos();
    if created == inner.created || inner.replaced.get().is_some() {
        return;
    }
    let why = format!(
        "stream {} was deleted and created again since this gateway opened it: no event is \
         appended to it or read from it; restart the gateway (docs/operations.md, \"The stream\")",
        info.config.name
    );
    tracing::error!(stream = %info.config.name, "the stream was replaced; appends and reads are refused");
    let _ = inner.replaced.set(why);
}

/// Checks the stream's answer against what this gateway has seen (`seen`, its head before
/// asking: every position of it was in the stream before the question), and after a reconnect
/// against what its projector took. Returns whether the answer was checked (false: the
/// leader did not answer a read the check needs; the next poll checks again).
///
/// A stream that ends before `seen` is behind: appends and the projector wait
/// ([`super::JetStreamLog::keeping_events`]) until it holds `seen` again. Behind is no proof of
/// anything: a leader elected a moment ago, or a replica answering for a group without a
/// leader, is behind too. The proof of a stream put back to an older copy (its store restored
/// under the servers) is what it holds where this gateway's projector took its last event
/// ([`Inner::witness`]): another event, or none though the stream ends past it. Then its
/// positions from there were taken again or lost, its projections count them as applied, and
/// appends and reads stop for good, as for a replaced stream. A lagging stream, whose end is
/// before that position, proves nothing and is waited for. What memory holds of events not
/// taken yet is forgotten whenever the stream is behind or reconnected: it may be another
/// history's, and the stream is read instead.
pub(super) async fn check_rollback(
    inner: &Inner,
    info: &async_nats::jetstream::stream::Info,
    seen: u64,
    reconnected: bool,
) -> bool {
    let end = info.state.last_sequence;
    let was_behind = inner
        .behind
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some();
    if end < seen && !was_behind {
        tracing::warn!(
            stream = %info.config.name,
            end,
            seen,
            "the stream answers that it ends before a position this gateway has seen; appends and projections wait until it holds it"
        );
        *inner.behind.lock().unwrap_or_else(|p| p.into_inner()) = Some(seen);
    }
    if end < seen || reconnected {
        inner.recent.forget_all();
    }
    if end < seen || was_behind || reconnected {
        let witness = inner
            .witness
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if let Some((position, id)) = witness.filter(|(position, _)| *position <= end) {
            #[derive(serde::Deserialize)]
            struct Id {
                id: String,
            }
            // The leader's answer (a direct get may come from a replica behind it).
            let held = match tokio::time::timeout(
                inner.op_timeout,
                inner.stream.get_raw_message(position),
            )
            .await
            {
                Ok(Ok(message)) => serde_json::from_slice::<Id>(&message.payload)
                    .ok()
                    .map(|e| e.id),
                Ok(Err(e)) if e.kind() == RawMessageErrorKind::NoMessageFound => None,
                _ => return false,
            };
            if held.as_deref() != Some(id.as_str()) {
                refuse_rolled_back(inner, &info.config.name, position, held.is_some());
                return true;
            }
        }
    }
    if end >= seen && was_behind {
        *inner.behind.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if inner.replaced.get().is_none() {
            tracing::warn!(
                stream = %info.config.name,
                end,
                "the stream holds what this gateway has seen again; appends and projections go on"
            );
        }
    }
    true
}

/// Stops appends and reads for good: the stream holds another event (`other`) or none where
/// this gateway's projector took one.
fn refuse_rolled_back(inner: &Inner, stream: &str, position: u64, other: bool) {
    if inner.replaced.get().is_some() {
        return;
    }
    let holds = if other { "another event" } else { "no event" };
    tracing::error!(
        stream = %stream,
        position,
        "the stream holds {holds} where this gateway's projections took one: it was put back to an older copy; appends and reads are refused"
    );
    let _ = inner.replaced.set(format!(
        "stream {stream} holds {holds} at position {position}, where this gateway's projections \
         took an event: it was put back to an older copy (and written to since), or lost \
         acknowledged events. No event is appended to it or read from it (its projections count \
         positions as applied that do not hold what they applied). Stop every gateway on it, \
         and restore the stream with its events or, with each gateway stopped, `tongban \
         rebuild` its projections from the stream as it is (docs/operations.md, \"Backups\")"
    ));
}

/// Stops appends and reads for good once the stream's metadata records another key than this
/// gateway's ([`SIGNER_METADATA`]; not when it records none). Two gateways starting at once
/// on a stream made by hand without the record may each record their own key and read it back
/// before the other's update lands; the start reads the record again a while later, and this
/// poll catches the one that lost even after that, before it appends more under a key no
/// auditor is told of. A read-only log (no key of its own) is not checked.
fn note_signer(inner: &Inner, config: &async_nats::jetstream::stream::Config) {
    let (Some(own), Some(value)) = (&inner.seal_key, config.metadata.get(SIGNER_METADATA)) else {
        return;
    };
    let recorded = RecordedKey::read(value);
    if recorded.is(own) || inner.replaced.get().is_some() {
        return;
    }
    let records = match &recorded {
        RecordedKey::Key(key) => format!("key id {}", key.kid()),
        RecordedKey::Placeholder => format!("the docs' placeholder {SIGNER_PLACEHOLDER}"),
        RecordedKey::Unreadable(why) => format!("no key ({why})"),
    };
    tracing::error!(
        stream = %config.name,
        recorded = %records,
        kid = %own.kid(),
        "the stream's metadata now records another key than this gateway's; appends and reads are refused"
    );
    let _ = inner.replaced.set(format!(
        "stream {} now records {records} as its gateways' key ({SIGNER_METADATA}), not this \
         gateway's (key id {}): another gateway recorded its own, or the metadata was changed. \
         No event is appended or read, since what this gateway would seal verifies under no key \
         the stream names. Find which key the stream's events verify under (`tongban verify`), \
         make the record that one, and start the gateways with it (docs/operations.md, \
         \"Recording the key on an existing stream\")",
        config.name,
        own.kid()
    ));
}

/// Stops appends and reads for good once an append was answered that no server takes the
/// stream's writes ([`note_no_responders`]) and the stream's subjects (`config`) no longer cover
/// this gateway's (`<prefix>.<app id>`): every append would be answered so, as for a deleted
/// stream, and its messages would land nowhere or on another stream.
fn note_subjects(inner: &Inner, config: &async_nats::jetstream::stream::Config) {
    if !inner.no_responders.load(Ordering::Relaxed)
        || covers(&config.subjects, &inner.prefix)
        || inner.replaced.get().is_some()
    {
        return;
    }
    tracing::error!(
        stream = %config.name,
        subjects = ?config.subjects,
        prefix = %inner.prefix,
        "the stream's subjects no longer cover this gateway's; appends and reads are refused"
    );
    let _ = inner.replaced.set(format!(
        "stream {} takes the subjects {:?} now, which do not cover this gateway's ({}.<app id>): \
         its subjects were changed since this gateway opened it, and no append reaches it. No \
         event is appended or read; set its subjects back to [\"{}.>\"] and restart the \
         gateway (docs/operations.md, \"The stream\")",
        config.name, config.subjects, inner.prefix, inner.prefix
    ));
}

/// Whether one of the NATS subject filters `subjects` takes every subject `<prefix>.<app id>`
/// (`*` takes one token, `>` one or more at the end).
fn covers(subjects: &[String], prefix: &str) -> bool {
    let prefix: Vec<&str> = prefix.split('.').collect();
    subjects.iter().any(|filter| {
        let tokens: Vec<&str> = filter.split('.').collect();
        for (i, token) in tokens.iter().enumerate() {
            match prefix.get(i) {
                Some(p) if token == p || *token == "*" => continue,
                Some(_) => return *token == ">",
                // The app id's token: any, so only a wildcard, the filter's last, takes it.
                None => return (*token == "*" || *token == ">") && i + 1 == tokens.len(),
            }
        }
        false
    })
}

/// Records whether `config` makes the stream remove events, saying so in the log once each time
/// it starts or stops.
fn note_removal(inner: &Inner, config: &async_nats::jetstream::stream::Config) {
    let problems = super::connect::removes_events(config);
    let now = (!problems.is_empty()).then(|| problems.join("; "));
    let mut discarding = inner.discarding.lock().unwrap_or_else(|p| p.into_inner());
    match (&*discarding, &now) {
        (None, Some(why)) => tracing::error!(
            stream = %config.name,
            reason = %why,
            "the stream now removes events by its own settings; appends are refused until they are restored"
        ),
        (Some(_), None) => tracing::warn!(
            stream = %config.name,
            "the stream keeps its events again; appends are taken"
        ),
        _ => {}
    }
    *discarding = now;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a gateway's subject prefix, when the stream's subjects are read, then they cover
    /// it when a filter takes every `<prefix>.<app id>` (its own `<prefix>.>`, a wider `>`, a
    /// `*` in its place), and not when they were changed to another prefix, to one application
    /// or to deeper subjects.
    #[test]
    fn a_streams_subjects_cover_a_prefix_only_when_they_take_every_application() {
        let of = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        for covering in [
            &["tongban.app.>"][..],
            &[">"],
            &["tongban.>"],
            &["tongban.*.>"],
            &["tongban.app.*"],
            &["other.>", "tongban.app.>"],
        ] {
            assert!(covers(&of(covering), "tongban.app"), "{covering:?}");
        }
        for not in [
            &["tongban.other.>"][..],
            &["tongban.app.one"],
            &["tongban.app.*.x"],
            &["tongban.app"],
            &["tongban"],
            &[],
        ] {
            assert!(!covers(&of(not), "tongban.app"), "{not:?}");
        }
    }

    /// Given a consumer behind the head, when it delivers up to where the head was within
    /// [`STALL`], then it is not stalled, however far the head has moved on meanwhile; when it
    /// does not, it is.
    #[test]
    fn a_consumer_is_stalled_only_when_it_leaves_a_known_head_undelivered() {
        let start = tokio::time::Instant::now();
        let at = |secs: f64| start + Duration::from_secs_f64(secs);
        let mut busy = Progress::default();
        // A busy stream: the head a little ahead at every tick, each delivered by the next.
        for tick in 0..60u64 {
            let (head, delivered) = (100 + tick * 10 + 5, 100 + tick * 10);
            assert!(
                !busy.stalled(head, delivered, at(tick as f64)),
                "tick {tick}"
            );
        }
        let mut quiet = Progress::default();
        assert!(!quiet.stalled(7, 7, at(0.0)));
        assert!(!quiet.stalled(7, 7, at(100.0)), "nothing to deliver");
        let mut stuck = Progress::default();
        assert!(!stuck.stalled(12, 7, at(0.0)));
        assert!(!stuck.stalled(20, 11, at(STALL.as_secs_f64() - 0.5)));
        assert!(stuck.stalled(20, 11, at(STALL.as_secs_f64())));
    }

    /// Given polls that fail while connected, when they go on failing past
    /// [`UNREACHABLE_AFTER`] over two polls at least, then the stream is unreachable, not
    /// before (a slow answer, an election); when they answer "stream not found" past
    /// [`GONE_AFTER`], then it is gone, but not when another failure breaks the run (a server
    /// still recovering its streams), and a run that ended (`Failures::default`) starts afresh.
    #[test]
    fn failed_polls_make_the_stream_unreachable_or_gone_only_when_they_last() {
        let start = std::time::Instant::now();
        let at = |secs: f64| start + Duration::from_secs_f64(secs);
        let mut slow = Failures::default();
        // One request that timed out after 3.5 s: one poll is no run.
        assert_eq!(slow.failed(at(0.0), at(3.5), false), Verdict::Failing);
        assert_eq!(
            slow.failed(at(3.6), at(7.1), false),
            Verdict::Unreachable(Duration::from_secs_f64(7.1))
        );
        let mut quick = Failures::default();
        for tick in 0..30 {
            let secs = f64::from(tick) * 0.1;
            assert_eq!(
                quick.failed(at(secs), at(secs + 0.01), false),
                Verdict::Failing,
                "tick {tick}"
            );
        }
        assert!(matches!(
            quick.failed(at(3.0), at(3.01), false),
            Verdict::Unreachable(_)
        ));
        // "Not found" for 30 s: unreachable meanwhile (which heals), then gone.
        let mut gone = Failures::default();
        assert_eq!(gone.failed(at(0.0), at(0.01), true), Verdict::Failing);
        assert_eq!(gone.failed(at(0.5), at(0.51), true), Verdict::Failing);
        assert!(matches!(
            gone.failed(at(3.5), at(3.51), true),
            Verdict::Unreachable(_)
        ));
        assert!(matches!(
            gone.failed(at(29.0), at(29.01), true),
            Verdict::Unreachable(_)
        ));
        assert_eq!(gone.failed(at(30.0), at(30.01), true), Verdict::Gone);
        // Another failure breaks the run of "not found": it starts again after it.
        let mut broken = Failures::default();
        assert_eq!(broken.failed(at(0.0), at(0.01), true), Verdict::Failing);
        assert_eq!(broken.failed(at(0.5), at(0.51), false), Verdict::Failing);
        assert_eq!(broken.failed(at(1.0), at(1.01), true), Verdict::Failing);
        assert_eq!(broken.failed(at(1.5), at(1.51), true), Verdict::Failing);
        assert!(matches!(
            broken.failed(at(30.5), at(30.51), true),
            Verdict::Unreachable(_)
        ));
        assert_eq!(broken.failed(at(31.0), at(31.01), true), Verdict::Gone);
    }
}
