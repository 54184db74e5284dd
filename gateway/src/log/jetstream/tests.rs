//! The JetStream backend against a real nats-server (see `crate::testnats`).

use std::time::{Duration, Instant};

use super::*;
use crate::log::conformance;
use crate::testnats::NatsServer;

fn config(server: &NatsServer) -> JetStreamConfig {
    let mut c = JetStreamConfig::new(server.url());
    c.op_timeout = Duration::from_secs(1);
    c.head_poll = Duration::from_millis(50);
    c
}

/// [`config`] without head polling or a consumer of the stream: a log whose requests are
/// counted sends only those of the reads and appends counted, and one that must not learn of
/// another gateway's appends by itself does not.
fn quiet_config(server: &NatsServer) -> JetStreamConfig {
    let mut c = config(server);
    c.head_poll = Duration::from_secs(3600);
    c.head_pushed = false;
    c
}

/// Two logs on `server`'s stream: ours, told of every append by the stream's push (its head
/// poll off, so the push is what moves it), and theirs ([`quiet_config`]), writing as another
/// gateway would without learning of anything by itself.
async fn pushed_and_quiet(server: &NatsServer) -> (JetStreamLog, JetStreamLog) {
    let mut c = config(server);
    c.head_poll = Duration::from_secs(3600);
    let ours = JetStreamLog::open(&c).await.expect("open");
    let theirs = JetStreamLog::open(&quiet_config(server))
        .await
        .expect("open");
    (ours, theirs)
}

/// Publishes another application's first event onto `app`'s subject, as a client other than
/// the gateways could (no concurrency check, no event id), and answers it.
async fn publish_stray(log: &JetStreamLog, app: &str) -> Envelope {
    let stray = conformance::event(&crate::ids::new_v7(), 1, "");
    publish_onto(log, app, &stray).await;
    stray
}

/// Publishes `event` onto `app`'s subject as a client other than the gateways could (no
/// concurrency check, no event id): a copy of a genuine event, its signature and all. Answers
/// its position.
async fn publish_onto(log: &JetStreamLog, app: &str, event: &Envelope) -> u64 {
    let subject = log.subject(app).expect("subject");
    log.inner
        .js
        .publish(subject, event.to_json().expect("encode").into())
        .await
        .expect("publish")
        .await
        .expect("stored")
        .sequence
}

async fn open(server: &NatsServer) -> JetStreamLog {
    JetStreamLog::open(&config(server))
        .await
        .unwrap_or_else(|e| panic!("open on {}: {e}", crate::testnats::describe(server)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passes_the_conformance_suite() {
    let server = NatsServer::start();
    let log = open(&server).await;
    conformance::run_all(&log).await;
}

/// The conformance suite's page read, with bytes that name the application but are no event
/// published on its subject where its sixth event belongs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reads_no_further_than_it_goes() {
    let server = NatsServer::start();
    let log = open(&server).await;
    conformance::a_page_reads_no_further_than_it_goes(&log, |app, _| {
        let log = &log;
        async move {
            let subject = log.subject(&app).expect("subject");
            let garbage = format!("{{\"app\": \"{app}\", \"seq\": 6}}");
            log.inner
                .js
                .publish(subject, garbage.into())
                .await
                .expect("publish")
                .await
                .expect("stored");
        }
    })
    .await;
}

/// Given an application of five events on a stream to which a copy of its second was then
/// published from outside, when its history is read a page at a time, then a page that ends
/// before the copy is answered (from the subject's start, or from its fifth event's position)
/// and one that reaches it is refused at the copy's position, as the whole read refuses it; a
/// page read from a later event's position that meets the copy of an earlier one, which it
/// cannot compare, is read from the subject's start instead, and refused the same way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_refuses_a_copy_it_reaches_as_the_whole_read_does() {
    let (_server, log, app, written) = a_log_holding(5, false).await;
    let fifth = log.last_position(&app).await.expect("last").expect("some");
    let copy = publish_onto(&log, &app, &written[1]).await;
    let refused_at = |read: Result<Vec<Envelope>, LogError>| match read {
        Err(LogError::Corrupt { position, .. }) => position,
        other => panic!("expected the copy refused, got {other:?}"),
    };
    assert_eq!(refused_at(log.read(&app).await), copy);
    assert_eq!(
        log.read_page(&app, 1, 5, 0).await.expect("before the copy"),
        written
    );
    assert_eq!(
        log.read_page(&app, 5, 1, fifth)
            .await
            .expect("the fifth alone"),
        written[4..]
    );
    assert_eq!(refused_at(log.read_page(&app, 1, 6, 0).await), copy);
    assert_eq!(refused_at(log.read_page(&app, 5, 2, fifth).await), copy);
}

/// Another gateway's appends move the head: the stream's consumer pushes their positions (the
/// poll, at an hour here, cannot be what moves it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_gateways_appends_are_pushed_to_the_head() {
    let server = NatsServer::start();
    let mut c = config(&server);
    c.head_poll = Duration::from_secs(3600);
    let ours = JetStreamLog::open(&c).await.expect("open");
    let theirs = JetStreamLog::open(&c).await.expect("open");
    let mut head = ours.head();
    for (round, count) in [(1, 2), (2, 3)] {
        let app = crate::ids::new_v7();
        conformance::append_chain(&theirs, &app, count).await;
        let last = *theirs.head().borrow();
        let seen = tokio::time::timeout(Duration::from_secs(5), head.wait_for(|h| *h >= last))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "round {round}: the head stayed at {}",
                    *ours.head().borrow()
                )
            })
            .map(|h| *h)
            .expect("head");
        assert_eq!(seen, last, "round {round}");
    }
    assert_eq!(*ours.head().borrow(), 5);
    assert_eq!(ours.stats().pushed, Some(true), "for /metrics");
}

/// Another gateway's events, as the stream's consumer pushed them, are followed from memory: the
/// projector asks the server nothing for them, and gets what the server stored. A message that
/// is not an event on its own application's subject is not kept: following it asks the server,
/// whose copy is recorded as unreadable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_gateways_pushed_events_are_followed_without_asking_the_server() {
    let (server, received) = NatsServer::start_counting();
    let mut c = config(&server);
    c.head_poll = Duration::from_secs(3600);
    let ours = JetStreamLog::open(&c).await.expect("open");
    // Without a consumer of its own, whose making could fall inside the count below.
    c.head_pushed = false;
    let theirs = JetStreamLog::open(&c).await.expect("open");
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&theirs, &app, 3).await;
    let mut head = ours.head();
    let reached = |head: &mut watch::Receiver<u64>, position: u64| {
        let mut head = head.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(5), head.wait_for(|h| *h >= position))
                .await
                .expect("pushed")
                .map(|_| ())
                .expect("head");
        }
    };
    reached(&mut head, 3).await;
    let sent = || received.sent_by(ours.client_id());
    let before = sent();
    let followed = ours.follow(1, 100).await.expect("follow");
    let asked = sent() - before;
    assert_eq!(
        asked, 0,
        "{asked} messages to the server to follow pushed events"
    );
    let stats = ours.stats();
    assert_eq!(
        (stats.pushed_kept, stats.followed_from_stream),
        (Some(3), Some(0))
    );
    let events: Vec<Envelope> = followed.iter().map(|p| p.event.clone()).collect();
    assert_eq!(events, written);
    assert_eq!(followed, ours.read_all(1, 100).await.expect("read all"));

    // Another application's event on this application's subject, published by some other
    // client: not kept, so following reads it from the server, which records it as unreadable.
    publish_stray(&theirs, &app).await;
    reached(&mut head, 4).await;
    assert!(!ours.inner.recent.holds(4));
    let entries = ours.follow_entries(4, 100).await.expect("follow");
    assert!(
        matches!(entries.as_slice(), [At::Unreadable(u)] if u.position == 4),
        "{entries:?}"
    );
}

/// A head past what the stream's leader names as its last position (a position pushed from a
/// replica ahead of a leader elected a moment ago and still applying) is not read as "nothing
/// there": the projector would move past those positions for good. The read answers
/// unavailable, and reads them once the leader has them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_behind_the_head_is_not_read_as_nothing_there() {
    let server = NatsServer::start();
    let c = quiet_config(&server);
    let log = JetStreamLog::open(&c).await.expect("open");
    let app = crate::ids::new_v7();
    let mut written = conformance::append_chain(&log, &app, 2).await;
    // Positions 3 and 4 known stored (as a replica ahead pushes them), not on the leader yet.
    log.bump_head(4);
    let early = log.read_all(3, 10).await;
    assert!(
        matches!(&early, Err(LogError::Unavailable(why)) if why.contains("catching up")),
        "{early:?}"
    );
    // Once the leader holds them, they are read.
    for seq in 3..=4u64 {
        let prev = written.last().expect("written").hash.clone();
        let event = conformance::event(&app, seq, &prev);
        log.append(event.clone(), seq - 1).await.expect("append");
        written.push(event);
    }
    let read = log.read_all(3, 10).await.expect("read");
    let events: Vec<Envelope> = read.into_iter().map(|p| p.event).collect();
    assert_eq!(events, written[2..].to_vec());
}

/// A consumer the server lost (deleted by hand here, as a restarted server or a failed node
/// loses an ephemeral one) is noticed by its missing heartbeats and asked for again, from the
/// head the log knew: appends made meanwhile are pushed too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_consumer_is_asked_for_again() {
    let server = NatsServer::start();
    let (ours, theirs) = pushed_and_quiet(&server).await;
    let admin = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut stream = admin.get_stream("TONGBAN").await.expect("stream");
    let consumers =
        async |stream: &mut Stream| stream.info().await.expect("info").state.consumer_count;
    let waited = Instant::now();
    while consumers(&mut stream).await == 0 {
        assert!(
            waited.elapsed() < Duration::from_secs(5),
            "no consumer made"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Ours (one, or more if a stalled runtime made it miss a heartbeat already): all deleted.
    let mut names = stream.consumer_names();
    let mut deleted = Vec::new();
    while let Some(name) = std::future::poll_fn(|cx| {
        futures_core::Stream::poll_next(std::pin::Pin::new(&mut names), cx)
    })
    .await
    {
        deleted.push(name.expect("a name"));
    }
    for name in &deleted {
        stream.delete_consumer(name).await.expect("delete");
    }
    assert!(!deleted.is_empty());

    let app = crate::ids::new_v7();
    conformance::append_chain(&theirs, &app, 2).await;
    let mut head = ours.head();
    tokio::time::timeout(Duration::from_secs(10), head.wait_for(|h| *h >= 2))
        .await
        .expect("the head is pushed on by a new consumer")
        .expect("head");
    assert!(consumers(&mut stream).await >= 1, "made again");
    let remade = ours.stats().consumers_remade.expect("counted");
    assert!(remade.lost >= 1, "{remade:?}");
}

/// A consumer stalled by a lost flow-control reply is made again. The server stops pushing once
/// this gateway leaves its flow-control window unanswered, and goes on sending heartbeats, so
/// only the positions this gateway knows are stored (its poll here) and never delivered tell.
/// The replies are lost on the wire, by a proxy between this gateway and a real server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_stalled_by_a_lost_flow_control_reply_is_made_again() {
    let server = NatsServer::start();
    let proxy = crate::testproxy::DroppingProxy::start(server.port(), |subject| {
        subject.starts_with("$JS.FC.")
    });
    let mut c = config(&server);
    c.url = proxy.url();
    c.head_poll = Duration::from_millis(200);
    let ours = JetStreamLog::open(&c).await.expect("open");
    let mut c = config(&server);
    c.head_pushed = false;
    let theirs = JetStreamLog::open(&c).await.expect("open");

    // Past the server's flow-control window: 8 MiB in events of 64 KiB.
    let key = crate::envelope::keys::GatewayKey::from_seed([3; 32]);
    let mut last = 0;
    for _ in 0..128 {
        let mut event = conformance::event(&crate::ids::new_v7(), 1, "");
        event.data = serde_json::json!({ "note": "x".repeat(64 * 1024) });
        event.seal(&key);
        last = theirs.append(event, 0).await.expect("append");
    }
    let delivered = || {
        ours.inner
            .pushed_to
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let waited = Instant::now();
    while delivered() < last {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "the consumer delivered up to {} of {last}, {} flow-control replies dropped",
            delivered(),
            proxy.dropped()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        proxy.dropped() >= 1,
        "the stream never asked for flow control"
    );
    let remade = ours.stats().consumers_remade.expect("counted");
    assert!(remade.stalled >= 1, "{remade:?}");

    // The consumer made again pushes what comes next, kept for the projector.
    // The head moves by the push or by the poll, whichever comes first; what is checked is
    // that the push delivers it too, and keeps it.
    let app = crate::ids::new_v7();
    conformance::append_chain(&theirs, &app, 1).await;
    let mut head = ours.head();
    tokio::time::timeout(Duration::from_secs(5), head.wait_for(|h| *h > last))
        .await
        .expect("the head moves on")
        .expect("head");
    let waited = Instant::now();
    while delivered() <= last {
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the new consumer delivered up to {} of {}",
            delivered(),
            last + 1
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        ours.inner.recent.holds(last + 1),
        "{:?}, {} dropped, pushed kept {}",
        ours.stats().consumers_remade,
        proxy.dropped(),
        ours.stats().pushed_kept.unwrap_or(0)
    );
}

/// This gateway's own appends reach the projector as the events it sealed (the ack's), never
/// as the consumer's pushed copies, which came before the ack for most of them and were decoded
/// and had their seals checked again (docs/performance.md, "Round 48: where JetStream's extra CPU
/// per submission goes"): many appends at once, followed, are all sealed here, none kept from
/// the push, none read from the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_appends_are_followed_as_sealed_here_not_as_pushed() {
    let server = NatsServer::start();
    let mut c = config(&server);
    c.head_poll = Duration::from_secs(3600);
    let ours = JetStreamLog::open(&c).await.expect("open");
    let appends = (0..64).map(|_| {
        let ours = ours.clone();
        tokio::spawn(async move {
            let app = crate::ids::new_v7();
            ours.append(conformance::event(&app, 1, ""), 0)
                .await
                .expect("append")
        })
    });
    let mut last = 0;
    for a in appends.collect::<Vec<_>>() {
        last = last.max(a.await.expect("joined"));
    }
    assert_eq!(last, 64);
    // Every push delivered (and passed over) before the projector follows.
    let waited = Instant::now();
    while ours
        .inner
        .pushed_to
        .load(std::sync::atomic::Ordering::Relaxed)
        < last
    {
        assert!(waited.elapsed() < Duration::from_secs(5), "not all pushed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let followed = ours.follow(1, 100).await.expect("follow");
    assert_eq!(followed.len(), 64);
    assert!(followed.iter().all(|p| p.sealed_here), "{followed:?}");
    let stats = ours.stats();
    assert_eq!(
        (stats.pushed_kept, stats.followed_from_stream),
        (Some(0), Some(0))
    );
}

/// The push of a message whose event id one of this gateway's appends is publishing is passed
/// over: not kept, the head not moved by it. Its ack never coming (here it is another
/// gateway's append of that id), the projector reads it from the stream, checked like any
/// event not sealed here, once the head has moved past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_of_an_id_being_published_is_passed_over_and_read_from_the_stream() {
    let server = NatsServer::start();
    let (ours, theirs) = pushed_and_quiet(&server).await;
    let app = crate::ids::new_v7();
    let event = conformance::event(&app, 1, "");
    let publishing = Publishing::start(&ours.inner, &event.id);
    theirs.append(event.clone(), 0).await.expect("append");
    let waited = Instant::now();
    while ours
        .inner
        .pushed_to
        .load(std::sync::atomic::Ordering::Relaxed)
        < 1
    {
        assert!(waited.elapsed() < Duration::from_secs(5), "not pushed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(SETTLE_FOR_TESTS).await;
    assert!(!ours.inner.recent.holds(1), "kept from the push");
    assert_eq!(*ours.head().borrow(), 0, "the head moved by the push");
    drop(publishing);
    assert!(!ours.inner.awaits_ack(1), "still awaiting its ack");
    // Another event moves the head past it; the first is read from the stream.
    conformance::append_chain(&theirs, &crate::ids::new_v7(), 1).await;
    let mut head = ours.head();
    tokio::time::timeout(Duration::from_secs(5), head.wait_for(|h| *h >= 2))
        .await
        .expect("pushed")
        .expect("head");
    let followed = ours.follow(1, 100).await.expect("follow");
    assert_eq!(followed.len(), 2);
    assert_eq!(followed[0].event, event);
    assert!(!followed[0].sealed_here && !followed[1].sealed_here);
    let stats = ours.stats();
    assert_eq!(
        (stats.pushed_kept, stats.followed_from_stream),
        (Some(1), Some(2)),
        "the second kept from the push; both read from the stream, from the first on"
    );
}

/// A position the push named as one of this gateway's appends awaiting its ack is waited for,
/// not read from the server, however long the ack takes (within the publish's timeout): the
/// ack's event, sealed here, is what the projector gets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_projector_waits_for_an_own_ack_the_push_announced() {
    let server = NatsServer::start();
    let (ours, theirs) = pushed_and_quiet(&server).await;
    let event = conformance::event(&crate::ids::new_v7(), 1, "");
    // The message stored as if ours (its ack held back here), pushed, and the head moved past
    // it as a later append's ack would.
    let publishing = Publishing::start(&ours.inner, &event.id);
    theirs.append(event.clone(), 0).await.expect("append");
    let waited = Instant::now();
    while !ours.inner.awaits_ack(1) {
        assert!(waited.elapsed() < Duration::from_secs(5), "not pushed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ours.bump_head(1);
    let following = tokio::spawn({
        let ours = ours.clone();
        async move { ours.follow(1, 100).await }
    });
    // Far longer than the patience for an ack not announced (1 ms).
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!following.is_finished(), "did not wait for the ack");
    ours.inner.recent.remember_own(1, event.clone(), 1_000);
    drop(publishing);
    let followed = following.await.expect("joined").expect("follow");
    assert_eq!(followed.len(), 1);
    assert_eq!(followed[0].event, event);
    assert!(followed[0].sealed_here);
    assert_eq!(ours.stats().followed_from_stream, Some(0));
}

/// Longer than the head's consumer waits before a push moves the head ([`head`]'s `SETTLE`).
const SETTLE_FOR_TESTS: Duration = Duration::from_millis(50);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_head_follows_other_gateways_writes() {
    let server = NatsServer::start();
    let ours = open(&server).await;
    let theirs = open(&server).await;
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&theirs, &app, 2).await;
    let mut head = ours.head();
    let position = tokio::time::timeout(Duration::from_secs(5), head.wait_for(|h| *h >= 2))
        .await
        .expect("head follows the other writer")
        .map(|h| *h)
        .expect("head open");
    assert!(position >= 2);
    assert_eq!(ours.read(&app).await.expect("read"), written);
    // And the concurrency check holds across the two.
    let stale = conformance::event(&app, 2, &written[0].hash);
    assert!(matches!(
        ours.append(stale, 1).await,
        Err(LogError::Conflict { actual: 2, .. })
    ));
    // Each gateway times the acks of its own appends, and only acknowledged ones.
    let acks = |log: &JetStreamLog| log.stats().ack_micros.expect("ack histogram");
    assert_eq!(acks(&theirs).count, 2);
    assert!(acks(&theirs).sum > 0);
    assert_eq!(acks(&ours).count, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_unavailable_promptly_and_heals_without_reopening() {
    let mut server = NatsServer::start();
    let log = open(&server).await;
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&log, &app, 1).await;
    server.stop();
    let next = conformance::event(&app, 2, &written[0].hash);
    let started = Instant::now();
    let result = log.append(next.clone(), 1).await;
    assert!(
        matches!(result, Err(LogError::Unavailable(_) | LogError::Storage(_))),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(matches!(
        log.read(&app).await,
        Err(LogError::Unavailable(_))
    ));
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    let position = loop {
        match log.append(next.clone(), 1).await {
            Ok(p) => break p,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no recovery after restart: {e}"),
        }
    };
    assert_eq!(position, 2);
    assert_eq!(
        log.read(&app).await.expect("read"),
        vec![written[0].clone(), next]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_appends_in_flight_at_once() {
    let server = NatsServer::start();
    // What is tested is 200 publishes pipelined on one connection, all acknowledged, not how
    // soon: on a busy machine the last of 200 acks has come later than the tests' usual second.
    let mut c = config(&server);
    c.op_timeout = Duration::from_secs(10);
    let log = JetStreamLog::open(&c).await.expect("open");
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let log = log.clone();
        tasks.spawn(async move {
            let app = crate::ids::new_v7();
            log.append(conformance::event(&app, 1, ""), 0).await
        });
    }
    let mut positions = Vec::new();
    while let Some(r) = tasks.join_next().await {
        positions.push(r.expect("task").expect("append"));
    }
    positions.sort_unstable();
    assert_eq!(positions, (1..=200).collect::<Vec<u64>>());
    let all = log.read_all(1, 1000).await.expect("read all");
    assert_eq!(all.len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_are_not_one_subject_token_read_nothing() {
    let server = NatsServer::start();
    let log = open(&server).await;
    conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
    for app in ["*", ">", "a.b", "", "a b"] {
        assert!(log.read(app).await.expect("read").is_empty(), "{app:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_stream_that_could_lose_events_is_refused() {
    let server = NatsServer::start();
    let c = config(&server);
    let client = async_nats::connect(server.url()).await.expect("connect");
    let js = jetstream::new(client);
    let mut loose = connect::stream_config(&c);
    loose.deny_delete = false;
    loose.deny_purge = false;
    loose.max_age = Duration::from_secs(3600);
    js.create_stream(loose).await.expect("create loose stream");
    match JetStreamLog::open(&c).await {
        Err(SetupError::UnsafeStream { problems, .. }) => {
            assert!(problems.contains("deny_delete"), "{problems}");
            assert!(problems.contains("max_age"), "{problems}");
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("an unsafe stream was accepted"),
    }
}

/// Recent clustered servers answer a lost race with 10164, which the client files under `Other`;
/// it must count as a conflict like 10071 does. (Only a cluster produces it, so it is checked here
/// on the error value the client builds.)
#[test]
fn wrong_last_sequence_is_recognised_by_kind_and_by_error_code() {
    use async_nats::jetstream::context::PublishError;
    let api_error = |code: u64| -> jetstream::Error {
        serde_json::from_value(serde_json::json!({
            "code": 400, "err_code": code, "description": "wrong last sequence"
        }))
        .expect("api error")
    };
    let clustered = PublishError::with_source(PublishErrorKind::Other, api_error(10164));
    assert!(is_wrong_last_sequence(&clustered));
    let single = PublishError::with_source(PublishErrorKind::WrongLastSequence, api_error(10071));
    assert!(is_wrong_last_sequence(&single));
    let other = PublishError::with_source(PublishErrorKind::Other, api_error(10077));
    assert!(!is_wrong_last_sequence(&other));
    assert!(!is_wrong_last_sequence(&PublishError::new(
        PublishErrorKind::TimedOut
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_answers_own_appends_from_memory_and_the_rest_from_the_server() {
    let server = NatsServer::start();
    // Without the stream's consumer, which would push the other gateway's events into memory
    // too (`another_gateways_pushed_events_are_followed_without_asking_the_server`).
    let mut c = config(&server);
    c.head_pushed = false;
    let ours = JetStreamLog::open(&c).await.expect("open");
    let theirs = open(&server).await;
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&ours, &app, 2).await;
    let positions = |r: &[Positioned]| r.iter().map(|p| p.position).collect::<Vec<_>>();

    // Which one asked the server: with the remembered copy of position 1 marked (the stream
    // denies deletes, so the server's copy cannot be changed instead), follow answers from
    // memory and read_all (what replay and verification use) from the stream.
    let mut marked = written[0].clone();
    marked.actor = "remembered".into();
    ours.inner.recent.remember_own(1, marked.clone(), 1_000);
    let followed = ours.follow(1, 100).await.expect("follow");
    assert_eq!(positions(&followed), vec![1, 2]);
    assert_eq!(followed[0].event, marked);
    assert_eq!(followed[1].event, written[1]);
    assert_eq!(
        ours.read_all(1, 100).await.expect("read all")[0].event,
        written[0]
    );
    // Handed over once: asked again, the server answers, with what was appended.
    let again = ours.follow(1, 100).await.expect("follow again");
    assert_eq!(again, ours.read_all(1, 100).await.expect("read all"));
    assert_eq!(again[0].event, written[0]);

    // Another gateway's message between two of ours: our run stops before it, and following on
    // from it asks the server, which has both.
    let first = conformance::append_chain(&ours, &crate::ids::new_v7(), 1).await;
    let their_first = conformance::append_chain(&theirs, &crate::ids::new_v7(), 1).await;
    conformance::append_chain(&ours, &crate::ids::new_v7(), 1).await;
    let followed = ours.follow(3, 100).await.expect("follow");
    assert_eq!(positions(&followed), vec![3]);
    assert_eq!(followed[0].event, first[0]);
    let followed = ours.follow(4, 100).await.expect("follow");
    assert_eq!(positions(&followed), vec![4, 5]);
    assert_eq!(followed[0].event, their_first[0]);
    assert_eq!(followed, ours.read_all(4, 100).await.expect("read all"));
}

/// Given a genuine event of application B published again onto A's subject by some other
/// client (no concurrency check, no event id), then it is no application's event: the stream's
/// reads record it as unreadable at its position, naming both applications (through the
/// leader, in batches and without, and the consumer's push alike), and the events after it
/// still read; A reads as exactly its own events, and is appended to, chained onto its own last
/// event, both by a gateway that saw the subject end before the copy and by one that had not
/// seen it; B is unaffected. (The copy used to be refused as corruption, which stopped every
/// read of the stream and of A.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_applications_event_on_a_subject_is_passed_over() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let mut c = config(&server);
    c.head_pushed = false;
    let unbatched = JetStreamLog::open(&c).await.expect("open");
    unbatched
        .inner
        .batched
        .store(false, std::sync::atomic::Ordering::Relaxed);
    let (a, b) = (crate::ids::new_v7(), crate::ids::new_v7());
    let mut a_events = conformance::append_chain(&log, &a, 2).await;
    let b_events = conformance::append_chain(&log, &b, 1).await;
    // A gateway that saw A's subject end before the copy: its tip is A's event 2.
    let stale = open(&server).await;
    assert_eq!(
        stale.last(&a).await.expect("last"),
        Some(a_events[1].clone())
    );
    let copy = publish_onto(&log, &a, &b_events[0]).await;
    assert_eq!(copy, 4);
    let c_events = conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;

    for (which, reader) in [("batched", &log), ("one by one", &unbatched)] {
        let entries = reader.entries(1, 10).await.expect("entries");
        let positions: Vec<u64> = entries.iter().map(At::position).collect();
        assert_eq!(positions, vec![1, 2, 3, 4, 5], "{which}");
        let At::Unreadable(u) = &entries[3] else {
            panic!("{which}: {:?}", entries[3]);
        };
        assert!(
            u.reason.contains(&a) && u.reason.contains(&b),
            "{which}: {u:?}"
        );
        let stored = b_events[0].to_json().expect("encode");
        assert_eq!(u.digest, crate::log::unreadable::digest(&stored), "{which}");
        assert!(
            matches!(&entries[4], At::Event(p) if p.event == c_events[0]),
            "{which}"
        );
        assert_eq!(
            reader.read_at(&[4]).await.expect("read at"),
            vec![entries[3].clone()],
            "{which}"
        );
        assert_eq!(reader.read(&a).await.expect("read a"), a_events, "{which}");
        assert_eq!(reader.read(&b).await.expect("read b"), b_events, "{which}");
        assert_eq!(
            reader.last(&a).await.expect("last"),
            Some(a_events[1].clone()),
            "{which}"
        );
        assert_eq!(
            reader.read_after(&a, 1, 1).await.expect("read after"),
            a_events[1..].to_vec(),
            "{which}"
        );
    }
    // The consumer's push keeps nothing of it: the projector reads the leader's record.
    assert!(!log.inner.recent.holds(4));

    // Appended through the gateway whose tip is A's own event 2, from before the copy: its
    // publish names event 2's message, which the server refuses (the copy is the subject's
    // last); it reads the subject's end and publishes again, naming the copy, chained onto
    // event 2.
    let third = conformance::event(&a, 3, &a_events[1].hash);
    assert_eq!(stale.append(third.clone(), 2).await.expect("append"), 6);
    a_events.push(third);
    // And through one whose tip is behind that append.
    let fourth = conformance::event(&a, 4, &a_events[2].hash);
    assert_eq!(
        unbatched.append(fourth.clone(), 3).await.expect("append"),
        7
    );
    a_events.push(fourth);
    assert_eq!(log.read(&a).await.expect("read a"), a_events);
    assert_eq!(log.read(&b).await.expect("read b"), b_events);
    // A stale expectation is still a conflict.
    let stale = conformance::event(&a, 4, &a_events[2].hash);
    assert!(matches!(
        unbatched.append(stale, 3).await,
        Err(LogError::Conflict {
            expected: 3,
            actual: 4,
            ..
        })
    ));
}

/// Given an application's history and another application's event published last on its
/// subject by some other client, when gateways ask for its last event and append to it, then
/// what each asks of the server does not grow with the history once the gateway holds a tip for
/// the subject: a history of 200 events costs as few requests as one of 5, through a gateway
/// holding the tip from before the message (its own appends), through one that has just asked
/// (its tip names the message), for its last event and for an append whose tip is behind. A
/// gateway just opened (no tip) reads the whole history once, and what it asks next costs as
/// little. Each used to read the whole history (a request per test-sized batch of 16 events),
/// on every action until the next genuine append. The events found and appended onto are the
/// application's own: the appends chain onto its last event, and it reads as exactly them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_last_message_costs_the_same_whatever_the_history() {
    let (server, received) = NatsServer::start_counting();
    let quiet = quiet_config(&server);
    let writer = JetStreamLog::open(&quiet).await.expect("open");
    let mut costs: Vec<Vec<(&str, u64)>> = Vec::new();
    for length in [5u64, 200] {
        let (fresh, appender) = (
            JetStreamLog::open(&quiet).await.expect("open"),
            JetStreamLog::open(&quiet).await.expect("open"),
        );
        let app = crate::ids::new_v7();
        let mut events = conformance::append_chain(&writer, &app, length).await;
        let stray = || conformance::event(&crate::ids::new_v7(), 1, "");
        let first = publish_onto(&writer, &app, &stray()).await;
        let sent = |log: &JetStreamLog| received.sent_by(log.client_id());
        let mut cost = Vec::new();
        let mut whole_reads = Vec::new();
        for (what, reader) in [
            ("last, tip before it", &writer),
            ("last, tip at it", &writer),
            ("last, no tip: the whole history, once", &fresh),
            ("last, with the tip that left", &fresh),
        ] {
            let before = sent(reader);
            let last = reader.last(&app).await.expect("last");
            let asked = sent(reader) - before;
            match what.contains("once") {
                true => whole_reads.push(asked),
                false => cost.push((what, asked)),
            }
            assert_eq!(last.as_ref(), events.last(), "{what}");
        }
        let next = conformance::event(&app, length + 1, &events[events.len() - 1].hash);
        let before = sent(&appender);
        let at = appender.append(next.clone(), length).await.expect("append");
        whole_reads.push(sent(&appender) - before);
        assert_eq!(at, first + 1, "right after the message");
        events.push(next);
        // The writer's tip names the first message, now behind the append and a second one.
        let second = publish_onto(&writer, &app, &stray()).await;
        let next = conformance::event(&app, length + 2, &events[events.len() - 1].hash);
        let before = sent(&writer);
        let at = writer
            .append(next.clone(), length + 1)
            .await
            .expect("append");
        cost.push(("append, tip behind", sent(&writer) - before));
        assert_eq!(at, second + 1);
        events.push(next);
        assert_eq!(writer.read(&app).await.expect("read"), events);
        eprintln!("{length} events: {cost:?}, without a tip {whole_reads:?}");
        costs.push(cost);
        if length == 200 {
            // Without a tip, the history is read (batches of 16): the price of a gateway that
            // has not seen the subject, paid once.
            assert!(whole_reads.iter().all(|n| *n > 12), "{whole_reads:?}");
        }
    }
    assert_eq!(costs[0], costs[1], "5 events, then 200");
    for (what, asked) in &costs[1] {
        assert!(*asked <= 7, "{asked} requests for {what}");
    }
}

/// Given A's events 1 to 3 and another application's event published last on A's subject, when
/// this gateway's tip for the subject is wrong, then A's last event is still event 3 and the
/// tip is put right: a tip only says where to start, and one the subject contradicts is not
/// used. Wrong as a tip may be (stale: an earlier event's; or from before the stream was put
/// back) or as it should never be (another hash, a seq ahead, an event that is not where it
/// says, one that the next event read does not chain onto or does not follow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tip_the_subject_contradicts_is_not_trusted() {
    let (_server, log, a, mut events) = a_log_holding(3, false).await;
    let stray = publish_onto(&log, &a, &conformance::event(&crate::ids::new_v7(), 1, "")).await;
    assert_eq!(stray, 4);
    let subject = log.subject(&a).expect("subject");
    let tip = |seq: u64, position: u64, hash: &str, at: u64| SubjectTip {
        seq,
        position,
        hash: hash.to_string(),
        at,
    };
    let right = tip(3, stray, &events[2].hash, 3);
    let wrong = [
        ("stale", tip(2, 2, &events[1].hash, 2)),
        // Event 2 is where these say, but not with their hash or seq: not taken for the last.
        ("another hash", tip(2, stray, "0000", 2)),
        ("another seq", tip(3, stray, &events[2].hash, 2)),
        ("not where it says", tip(3, stray, &events[2].hash, stray)),
        ("not chained onto", tip(1, 1, "0000", 1)),
        ("not followed", tip(1, 2, &events[0].hash, 1)),
        ("past the subject's end", tip(9, 99, "0000", 98)),
    ];
    for batched in [true, false] {
        log.inner
            .batched
            .store(batched, std::sync::atomic::Ordering::Relaxed);
        for (what, wrong) in &wrong {
            log.inner.tips.put(&subject, wrong.clone());
            assert_eq!(
                log.last(&a).await.expect("last").as_ref(),
                Some(&events[2]),
                "{what}, batched: {batched}"
            );
            assert!(
                log.inner.tips.holds(&subject, |t| *t == right),
                "{what}, batched: {batched}"
            );
        }
    }
    let fourth = conformance::event(&a, 4, &events[2].hash);
    log.inner.tips.put(&subject, wrong[1].1.clone());
    assert_eq!(log.append(fourth.clone(), 3).await.expect("append"), 5);
    events.push(fourth);
    assert_eq!(log.read(&a).await.expect("read"), events);
}

/// What `reader` reads of `app`, whose subject holds a copy or another event under an earlier
/// seq at `refused_at` first: the whole history is refused there, while the reads an action
/// makes pass over it: the events after `after` (its seq and position) are `events`, the last
/// of them the application's last event.
async fn read_past(
    reader: &JetStreamLog,
    app: &str,
    refused_at: u64,
    after: (u64, u64),
    events: &[Envelope],
) {
    match reader.read(app).await {
        Err(LogError::Corrupt { position, .. }) => assert_eq!(position, refused_at),
        other => panic!("expected refused at {refused_at}, got {other:?}"),
    }
    let (seq, position) = after;
    assert_eq!(
        reader
            .read_after(app, seq, position)
            .await
            .expect("read after"),
        events
    );
    assert_eq!(
        reader.last(app).await.expect("last").as_ref(),
        events.last()
    );
}

/// Given A's events 1 and 2 and a copy of its event 1 published again after them by some other
/// client, then A's history as an action reads it is still [1, 2] (from event 1 on, or its last
/// alone), and the next append is seq 3, chained onto event 2; a gateway without a tip for the
/// subject finds A's last event behind the copy. The whole history's read refuses the copy at
/// its position, for the evidence page and the API to name it. Another event under seq 1
/// (rewritten after sealing) is not a copy: the whole history's read refuses it, while the
/// reads an action makes pass over it as they pass over a copy (stored after the event under
/// seq 1 that the later events link to), and the next append is chained onto the last event;
/// a seq that jumps ahead is refused by every read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_of_an_earlier_event_is_passed_over() {
    let (server, log, a, mut a_events) = a_log_holding(2, false).await;
    assert_eq!(publish_onto(&log, &a, &a_events[0]).await, 3);
    let fresh = open(&server).await;
    for reader in [&log, &fresh] {
        read_past(reader, &a, 3, (1, 1), &a_events[1..]).await;
    }
    let third = conformance::event(&a, 3, &a_events[1].hash);
    assert_eq!(fresh.append(third.clone(), 2).await.expect("append"), 4);
    a_events.push(third);
    assert_eq!(
        log.read_after(&a, 0, 0).await.expect("read after"),
        a_events
    );

    // A stale expectation matching the copy is a conflict, not a second event 2.
    let fork = conformance::event(&a, 2, &a_events[0].hash);
    let again = open(&server).await;
    assert_eq!(publish_onto(&log, &a, &a_events[0]).await, 5);
    assert!(matches!(
        again.append(fork, 1).await,
        Err(LogError::Conflict {
            expected: 1,
            actual: 3,
            ..
        })
    ));
    assert_eq!(
        log.read_after(&a, 0, 0).await.expect("read after"),
        a_events
    );

    let mut rewritten = a_events[0].clone();
    rewritten.actor = "440000/someone-else".into();
    assert_eq!(publish_onto(&log, &a, &rewritten).await, 6);
    let fresh = open(&server).await;
    for reader in [&log, &fresh] {
        read_past(reader, &a, 3, (0, 0), &a_events).await;
    }
    let fourth = conformance::event(&a, 4, &a_events[2].hash);
    assert_eq!(fresh.append(fourth.clone(), 3).await.expect("append"), 7);
    a_events.push(fourth);
    assert_eq!(log.read_after(&a, 0, 0).await.expect("read"), a_events);

    let z = crate::ids::new_v7();
    let z_events = conformance::append_chain(&log, &z, 1).await;
    let ahead = conformance::event(&z, 3, &z_events[0].hash);
    assert_eq!(publish_onto(&log, &z, &ahead).await, 9);
    assert!(matches!(
        log.read(&z).await,
        Err(LogError::Corrupt { position: 9, .. })
    ));
    assert!(matches!(
        log.last(&z).await,
        Err(LogError::Corrupt { position: 9, .. })
    ));
}

/// Given A's events 1 and 2, and another event under seq 2 (rewritten after sealing: its hash
/// no longer its content's) published after them by some other client, when an action reads A
/// (its last event, the events after event 1, the subject's end for an append) through a log
/// that holds the gateway's key, by the gateway that appended event 2 (whose tip is event 2)
/// and by one that has no tip, then each read passes over the rewritten one (event 2, the one
/// stored first, verifies; the other does not), and event 3, chained onto event 2, is appended
/// after it (the append names the subject's last message, the rewritten one, so the server's
/// check is not refused for good). A log opened without the key (the read-only tools) refuses
/// each read, naming the rewritten message's position. The whole history's read refuses it
/// either way. Another event under seq 2 with event 3 after it, linked to the first, is passed
/// over without its seal being checked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_event_under_the_last_seq_is_settled_by_the_seals() {
    let (server, log, a, mut a_events) = a_log_holding(2, true).await;
    let mut rewritten = a_events[1].clone();
    rewritten.actor = "440000/someone-else".into();
    assert_eq!(publish_onto(&log, &a, &rewritten).await, 3);

    let keyless = open(&server).await;
    refused_beside_last(&keyless, &a, 3, "which the event at position 2 holds").await;

    let fresh = open_sealing(&server).await;
    for reader in [&log, &fresh] {
        assert_eq!(
            reader.last(&a).await.expect("last"),
            Some(a_events[1].clone())
        );
        assert_eq!(
            reader.read_after(&a, 1, 1).await.expect("after"),
            a_events[1..].to_vec()
        );
        assert!(matches!(
            reader.read(&a).await,
            Err(LogError::Corrupt { position: 3, .. })
        ));
    }
    let third = conformance::event(&a, 3, &a_events[1].hash);
    assert_eq!(fresh.append(third.clone(), 2).await.expect("append"), 4);
    a_events.push(third);
    assert_eq!(log.read_after(&a, 0, 0).await.expect("read"), a_events);

    // The same forgery with A's event 3 after it (published as a gateway that appended it
    // would have been before the forgery was met): the forged one is under an earlier seq.
    let b = crate::ids::new_v7();
    let b_events = conformance::append_chain(&log, &b, 2).await;
    let mut forged = b_events[1].clone();
    forged.actor = "440000/someone-else".into();
    assert_eq!(publish_onto(&log, &b, &forged).await, 7);
    let b_third = conformance::event(&b, 3, &b_events[1].hash);
    assert_eq!(publish_onto(&log, &b, &b_third).await, 8);
    let fresh = open(&server).await;
    assert_eq!(fresh.last(&b).await.expect("last"), Some(b_third.clone()));
    let mut expected = b_events[1..].to_vec();
    expected.push(b_third);
    assert_eq!(fresh.read_after(&b, 1, 4).await.expect("after"), expected);
}

/// Given A's events 1 and 2, and a second event under seq 2 sealed with the gateway's key (its
/// data differs, hash and signature made afresh: one the seals cannot tell from a gateway's),
/// published after them, when an action reads A through a log that holds the key, by the
/// gateway that appended event 2 and by one that has no tip, then each read is refused as
/// corrupt at the second one's position, saying the two are both sealed and truly ambiguous,
/// and nothing is appended. Given B's events 1 and 2 where event 2 does not verify (rewritten
/// in place of the one a gateway sealed) and another unsealed event under seq 2 after it, its
/// reads are refused too: nothing sealed says which B's history goes on from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sealed_events_under_the_last_seq_are_refused_as_ambiguous() {
    let (server, log, a, a_events) = a_log_holding(2, true).await;
    let mut resealed = a_events[1].clone();
    resealed.data = serde_json::json!({"materials_checked": false});
    resealed.seal(&crate::envelope::GatewayKey::from_seed([3; 32]));
    assert_eq!(publish_onto(&log, &a, &resealed).await, 3);
    let fresh = open_sealing(&server).await;
    for reader in [&log, &fresh] {
        refused_beside_last(
            reader,
            &a,
            3,
            "two different events under the application's last seq 2, at log positions 2 and \
             3, both sealed with the gateway's key: truly ambiguous",
        )
        .await;
    }
    assert_eq!(stream_info(&log).await.state.last_sequence, 3);

    let b = crate::ids::new_v7();
    let mut b_events = conformance::append_chain(&log, &b, 1).await;
    let mut unsealed = conformance::event(&b, 2, &b_events[0].hash);
    unsealed.sig = "00".repeat(64);
    assert_eq!(publish_onto(&log, &b, &unsealed).await, 5);
    b_events.push(unsealed.clone());
    let mut other = unsealed;
    other.actor = "440000/someone-else".into();
    assert_eq!(publish_onto(&log, &b, &other).await, 6);
    refused_beside_last(
        &fresh,
        &b,
        6,
        "and the one at 5 does not verify under the gateway's key",
    )
    .await;
}

/// Given A's events 1 and 2, event 2's data holding an integer, and event 2 published again
/// after them by some other client with that integer written as a float (`2` as `2.0`: parsed
/// differently, canonicalized, hashed and so sealed the same), when an action reads A through a
/// log that holds the gateway's key and through one that does not, then the re-published one is
/// passed over as a copy, not refused as a second sealed event under the last seq (which would
/// stop every action on A for good and say the key leaked): its last event is event 2, and
/// event 3, chained onto it, is appended after the copy. The whole history's read refuses it
/// as a copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_with_an_integer_written_as_a_float_is_a_copy() {
    let (server, log, a, mut a_events) = a_log_holding(1, true).await;
    let mut second = conformance::event(&a, 2, &a_events[0].hash);
    second.data = serde_json::json!({"matter_version": 2});
    second.seal(&crate::envelope::GatewayKey::from_seed([3; 32]));
    log.append(second.clone(), 1).await.expect("append");
    a_events.push(second.clone());
    let text = String::from_utf8(second.to_json().expect("encode")).expect("utf-8");
    let floated = text.replace("\"matter_version\":2", "\"matter_version\":2.0");
    assert_ne!(floated, text, "the integer is written as a float");
    let republished = Envelope::from_stored(floated.as_bytes()).expect("an event");
    assert_ne!(republished, second, "parsed differently");
    let subject = log.subject(&a).expect("subject");
    let ack = log.inner.js.publish(subject, floated.into_bytes().into());
    assert_eq!(
        ack.await.expect("publish").await.expect("stored").sequence,
        3
    );

    let keyless = open(&server).await;
    let fresh = open_sealing(&server).await;
    for reader in [&log, &fresh, &keyless] {
        assert_eq!(reader.last(&a).await.expect("last"), Some(second.clone()));
        assert_eq!(
            reader.read_after(&a, 0, 0).await.expect("from the start"),
            a_events
        );
        match reader.read(&a).await {
            Err(LogError::Corrupt {
                position: 3,
                reason,
            }) => {
                assert!(reason.contains("a second copy"), "{reason}");
            }
            other => panic!("expected the copy refused at 3, got {other:?}"),
        }
    }
    let third = conformance::event(&a, 3, &second.hash);
    assert_eq!(fresh.append(third.clone(), 2).await.expect("append"), 4);
    a_events.push(third);
    assert_eq!(log.read_after(&a, 0, 0).await.expect("read"), a_events);
}

/// Has each read an action makes of `app` through `reader` (its last event, the events after
/// event 1, the append of event 3 after event 2) refused as corrupt at `position`, the reason
/// saying `says`, and nothing appended.
async fn refused_beside_last(reader: &JetStreamLog, app: &str, position: u64, says: &str) {
    let stored = stream_info(reader).await.state.last_sequence;
    let second = reader.read_after(app, 0, 0).await;
    let refused = |r: Result<(), LogError>, what: &str| match r {
        Err(LogError::Corrupt {
            position: at,
            reason,
        }) if at == position => {
            assert!(reason.contains(says), "{what}: {reason}");
        }
        Err(other) => panic!("{what}: expected refused at {position}, got {other:?}"),
        Ok(()) => panic!("{what}: expected refused at {position}, got an answer"),
    };
    refused(second.map(|_| ()), "read from the start");
    refused(reader.last(app).await.map(|_| ()), "last");
    refused(reader.read_after(app, 1, 1).await.map(|_| ()), "read after");
    let third = conformance::event(app, 3, "");
    refused(reader.append(third, 2).await.map(|_| ()), "append");
    assert_eq!(stream_info(reader).await.state.last_sequence, stored);
}

/// A log that holds the gateway's key (the one [`conformance::event`] seals with), as a
/// serving gateway's does.
async fn open_sealing(server: &NatsServer) -> JetStreamLog {
    let mut c = config(server);
    c.signer = Some(
        crate::envelope::GatewayKey::from_seed([3; 32])
            .public()
            .to_hex(),
    );
    JetStreamLog::open(&c)
        .await
        .unwrap_or_else(|e| panic!("open on {}: {e}", crate::testnats::describe(server)))
}

/// A server, a log on it (with the conformance events' key, seed 3, as its own when
/// `sealing`), and a new application of `n` events appended through it, with its events.
async fn a_log_holding(n: u64, sealing: bool) -> (NatsServer, JetStreamLog, String, Vec<Envelope>) {
    let server = NatsServer::start();
    let log = match sealing {
        true => open_sealing(&server).await,
        false => open(&server).await,
    };
    let app = crate::ids::new_v7();
    let events = conformance::append_chain(&log, &app, n).await;
    (server, log, app, events)
}

/// What the server says of `log`'s stream now.
async fn stream_info(log: &JetStreamLog) -> async_nats::jetstream::stream::Info {
    log.inner.stream.clone().info().await.expect("info").clone()
}

/// Publishes `bytes` onto `app`'s subject with the headers a gateway's append carries: the
/// event id `id`, and the subject's last message (`expected`) when given.
async fn publish_with(
    log: &JetStreamLog,
    app: &str,
    bytes: Vec<u8>,
    id: &str,
    expected: Option<u64>,
) -> u64 {
    let subject = log.subject(app).expect("subject");
    let mut message = PublishMessage::build().payload(bytes.into()).message_id(id);
    if let Some(expected) = expected {
        message = message.expected_last_subject_sequence(expected);
    }
    log.inner
        .js
        .send_publish(subject, message)
        .await
        .expect("publish")
        .await
        .expect("stored")
        .sequence
}

/// Given A's events 1 and 2, then A's event 3 appended as a newer build would (with a member of
/// the envelope this build does not know, and a gateway's headers), when this build reads A or
/// appends its own event 3 after 2, then the read is refused as corrupt at that position and
/// the append is refused: passed over as something that is not A's event, the append would
/// chain past it, and the server would acknowledge a second event 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_of_the_application_this_build_cannot_read_is_not_passed_over() {
    let (server, log, a, a_events) = a_log_holding(2, false).await;
    let newer = conformance::event(&a, 3, &a_events[1].hash);
    let mut bytes: serde_json::Value =
        serde_json::from_slice(&newer.to_json().expect("json")).expect("an object");
    bytes["trace"] = serde_json::json!("a member this build does not know");
    let bytes = serde_json::to_vec(&bytes).expect("json");
    assert_eq!(publish_with(&log, &a, bytes, &newer.id, Some(2)).await, 3);
    let fresh = open(&server).await;
    assert!(matches!(
        fresh.last(&a).await,
        Err(LogError::Corrupt { position: 3, .. })
    ));
    assert!(matches!(
        fresh.read_after(&a, 2, 2).await,
        Err(LogError::Corrupt { position: 3, .. })
    ));
    let ours = conformance::event(&a, 3, &a_events[1].hash);
    let refused = fresh.append(ours, 2).await;
    assert!(
        matches!(refused, Err(LogError::Corrupt { position: 3, .. })),
        "{refused:?}"
    );
    let end = stream_info(&log).await.state.last_sequence;
    assert_eq!(end, 3, "nothing was stored after it");
}

/// Given A's events 1 and 2 and a copy of event 1 published again after them with its event id
/// but without naming the subject's last message (a tool replaying messages with their ids,
/// after the server's duplicate window), when a gateway that knows nothing of A asks for its
/// last event and appends, then the copy is not taken for A's last event: the last is event 2,
/// and the append is seq 3, chained onto it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_that_keeps_its_event_id_is_not_taken_for_the_last_event() {
    let (server, log, a, a_events) = a_log_holding(2, false).await;
    // Past the server's duplicate window (made short for the copy, then set back).
    let mut config = stream_info(&log).await.config;
    let window = config.duplicate_window;
    config.duplicate_window = Duration::from_millis(100);
    log.inner.js.update_stream(&config).await.expect("shorten");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let copy = a_events[0].to_json().expect("json");
    let stored = publish_with(&log, &a, copy, &a_events[0].id, None).await;
    assert_eq!(
        stored, 3,
        "stored as a new message, past the duplicate window"
    );
    config.duplicate_window = window;
    log.inner.js.update_stream(&config).await.expect("set back");
    let fresh = open(&server).await;
    assert_eq!(
        fresh.last(&a).await.expect("last"),
        Some(a_events[1].clone())
    );
    let third = conformance::event(&a, 3, &a_events[1].hash);
    assert_eq!(fresh.append(third, 2).await.expect("append"), 4);
}

/// An ack that says "duplicate" names where the server already holds a message with this event
/// id; it is this append's only if the event stored there is this one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_ack_for_another_event_is_a_conflict_not_its_position() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let first = conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
    // Another application's first event under the same event id.
    let mut reused = conformance::event(&crate::ids::new_v7(), 1, "");
    reused.id = first[0].id.clone();
    assert!(matches!(
        log.append(reused.clone(), 0).await,
        Err(LogError::Conflict { .. })
    ));
    assert!(log.read(&reused.app).await.expect("read").is_empty());
    // The very same event again (a retry) is told its position.
    assert_eq!(log.append(first[0].clone(), 0).await, Ok(1));
}

/// An event over the servers' max_payload is refused as too large (413), not as a passing
/// outage to retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_over_the_servers_max_payload_is_too_large_not_unavailable() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let mut big = conformance::event(&crate::ids::new_v7(), 1, "");
    big.data = serde_json::json!({"note": "x".repeat(1 << 20)});
    assert!(matches!(
        log.append(big, 0).await,
        Err(LogError::TooLarge(reason)) if reason.contains("max_payload")
    ));
}

/// Given a stream on which an administrator set `max_msg_size` while the gateway runs, when an
/// event larger than it is appended, then it is refused as too large (413: a retry is refused the
/// same way), naming the stream's limit, not answered as an append that may have landed (503);
/// smaller events still land. (Found by a walkthrough: it was "publish not acknowledged".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_over_the_streams_max_msg_size_is_too_large_not_unacknowledged() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut capped = connect::stream_config(&config(&server));
    capped.max_message_size = 4000;
    js.update_stream(capped).await.expect("cap the stream");
    let mut big = conformance::event(&crate::ids::new_v7(), 1, "");
    big.data = serde_json::json!({"note": "x".repeat(8000)});
    let refused = log.append(big.clone(), 0).await;
    assert!(
        matches!(&refused, Err(LogError::TooLarge(reason)) if reason.contains("max_msg_size")),
        "{refused:?}"
    );
    assert!(log.read(&big.app).await.expect("read").is_empty());
    conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
}

/// Given a stream whose `max_msg_size` an administrator sets while the gateway runs, one byte
/// below the message an event makes with its headers, when the log is asked whether the event
/// fits (a dry run's question, answered from the settings the head poll read, not by asking),
/// then it does not, naming the stream's limit, and its append is refused alike; given the limit
/// at that very size, then it fits and its append lands. So the size a dry run judges is the
/// one the server counts, headers included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whether_an_event_fits_is_the_streams_own_verdict_to_the_byte() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut event = conformance::event(&crate::ids::new_v7(), 1, "");
    event.data = serde_json::json!({"note": "x".repeat(3000)});
    event.seal(&crate::envelope::GatewayKey::from_seed([3; 32]));
    let payload = crate::log::stored_form(&event, 0)
        .expect("stored form")
        .len();
    let size = message_size(&event.id, payload, 0);
    assert!(size > payload, "the headers count");
    assert_eq!(log.fits(&event), Ok(()), "no limit yet");
    let seen = |limit: i64| {
        let log = &log;
        async move {
            let started = Instant::now();
            while log
                .inner
                .max_msg_size
                .load(std::sync::atomic::Ordering::Relaxed)
                != limit
            {
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "not seen: {limit}"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };

    let mut capped = connect::stream_config(&config(&server));
    capped.max_message_size = i32::try_from(size - 1).expect("small");
    js.update_stream(capped.clone())
        .await
        .expect("cap the stream");
    seen(i64::from(capped.max_message_size)).await;
    let refused = log.fits(&event);
    assert!(
        matches!(&refused, Err(LogError::TooLarge(reason))
            if reason.contains("max_msg_size") && reason.contains(&format!("{size} bytes with the message's headers"))),
        "{refused:?}"
    );
    let appended = log.append(event.clone(), 0).await;
    assert!(
        matches!(&appended, Err(LogError::TooLarge(reason)) if reason.contains("max_msg_size")),
        "{appended:?}"
    );

    capped.max_message_size = i32::try_from(size).expect("small");
    js.update_stream(capped.clone())
        .await
        .expect("raise the cap");
    seen(i64::from(capped.max_message_size)).await;
    assert_eq!(log.fits(&event), Ok(()));
    assert_eq!(log.append(event.clone(), 0).await.map(|_| ()), Ok(()));
}

/// Given an event larger than the servers' `max_payload`, when the log is asked whether it
/// fits, then it does not, naming that limit, without anything published.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_over_the_servers_max_payload_does_not_fit() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let mut big = conformance::event(&crate::ids::new_v7(), 1, "");
    big.data = serde_json::json!({"note": "x".repeat(1 << 20)});
    let refused = log.fits(&big);
    assert!(
        matches!(&refused, Err(LogError::TooLarge(reason)) if reason.contains("max_payload")),
        "{refused:?}"
    );
    assert!(log.read(&big.app).await.expect("read").is_empty());
}

/// A stream that allowed deletes and purges once and refuses them now (NATS lets a stream be
/// tightened, never loosened), with messages removed before that: the gateway accepts it, and a
/// reader passes over what the server lists as removed instead of waiting for it forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_removed_before_the_stream_refused_it_are_passed_over_as_gaps() {
    let server = NatsServer::start();
    let config = config(&server);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut loose = connect::stream_config(&config);
    (loose.deny_delete, loose.deny_purge) = (false, false);
    let stream = js.create_stream(loose.clone()).await.expect("loose stream");
    // Eight events of one application, published as the gateway would.
    let app = crate::ids::new_v7();
    let mut prev = String::new();
    for seq in 1..=8 {
        let e = conformance::event(&app, seq, &prev);
        prev = e.hash.clone();
        let payload = e.to_json().expect("json");
        js.publish(format!("{}.{app}", config.subject_prefix), payload.into())
            .await
            .expect("publish")
            .await
            .expect("ack");
    }
    // 1–2 purged, 5 deleted; then the stream is made as strict as the gateway wants it.
    stream.purge().sequence(3).await.expect("purge");
    assert!(stream.delete_message(5).await.expect("delete"));
    (loose.deny_delete, loose.deny_purge) = (true, true);
    js.update_stream(loose).await.expect("tighten");

    let log = open(&server).await;
    let positions = |batch: &[Positioned]| batch.iter().map(|p| p.position).collect::<Vec<_>>();
    let all = log
        .read_all(1, 100)
        .await
        .expect("read past the removed messages");
    assert_eq!(positions(&all), vec![3, 4, 6, 7, 8]);
    assert_eq!(all[1].event.seq, 4);
    // Windows count events, not positions, and start anywhere.
    assert_eq!(
        positions(&log.read_all(4, 2).await.expect("read")),
        vec![4, 6]
    );
    assert_eq!(positions(&log.read_all(5, 1).await.expect("read")), vec![6]);
    assert_eq!(
        positions(&log.follow(2, 100).await.expect("follow")),
        vec![3, 4, 6, 7, 8]
    );
    assert_eq!(*log.head().borrow(), 8);
}

/// A copy of the stream behind it that answers direct gets does not shorten a read: what its
/// batches lack is read from the stream's leader, for an application's history and for a run of
/// the whole stream. The copy is a mirror set to answer the stream's direct gets, with events
/// removed from it at an application's end and inside another's history (as a replica still
/// applying them lacks them), and the stream's own direct gets are off, so that every batch
/// comes from the copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_from_a_copy_behind_the_stream_are_completed_from_its_leader() {
    let server = NatsServer::start();
    let mut c = config(&server);
    c.head_pushed = false;
    let writer = JetStreamLog::open(&c).await.expect("open");
    let (app, other) = (crate::ids::new_v7(), crate::ids::new_v7());
    // 1–40 the application's, 41–45 another's, 46–50 the application's again.
    let mut written = conformance::append_chain(&writer, &app, 40).await;
    let others = conformance::append_chain(&writer, &other, 5).await;
    let mut by_position: Vec<Envelope> = written.clone();
    by_position.extend(others.iter().cloned());
    for seq in 41..=45u64 {
        let prev = written.last().expect("written").hash.clone();
        let event = conformance::event(&app, seq, &prev);
        writer.append(event.clone(), seq - 1).await.expect("append");
        written.push(event.clone());
        by_position.push(event);
    }

    let admin = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let copy = admin
        .create_stream(jetstream::stream::Config {
            name: "TONGBAN_COPY".into(),
            mirror: Some(jetstream::stream::Source {
                name: c.stream.clone(),
                ..Default::default()
            }),
            mirror_direct: true,
            ..Default::default()
        })
        .await
        .expect("mirror");
    let waited = Instant::now();
    loop {
        let mut copy = admin.get_stream("TONGBAN_COPY").await.expect("mirror");
        if copy.info().await.expect("info").state.last_sequence == 50 {
            break;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(10),
            "the mirror did not catch up"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The other application's second and third events (a gap inside its history and inside
    // the run of the stream), and the application's last four (its history's end).
    for position in [42, 43, 47, 48, 49, 50] {
        assert!(copy.delete_message(position).await.expect("delete"));
    }
    let mut own = admin.get_stream(&c.stream).await.expect("stream");
    let mut settings = own.info().await.expect("info").config.clone();
    settings.allow_direct = false;
    admin
        .update_stream(settings)
        .await
        .expect("direct gets off");

    let reader = JetStreamLog::open(&c).await.expect("open");
    assert!(reader.batching(), "the copy answers batches");
    for (app, written) in [(&app, &written), (&other, &others)] {
        let read = reader.read(app).await.expect("read");
        assert_eq!(read.len(), written.len());
        assert_eq!(&read, written);
    }
    let all = reader.read_all(1, 100).await.expect("read all");
    let positions: Vec<u64> = all.iter().map(|p| p.position).collect();
    assert_eq!(positions, (1..=50).collect::<Vec<u64>>());
    let events: Vec<Envelope> = all.into_iter().map(|p| p.event).collect();
    assert_eq!(events, by_position);
}

/// docs/operations.md from `heading` on, for the tests that run what it tells operators.
fn operations_section(heading: &str) -> String {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/operations.md"),
    )
    .expect("docs/operations.md");
    let at = doc.find(heading).unwrap_or_else(|| panic!("{heading}"));
    doc[at..].to_string()
}

/// The `authorization` block of docs/operations.md ("NATS permissions"), with test passwords,
/// and an administrator for what the test does behind the gateway's back.
pub(crate) fn documented_permissions() -> String {
    documented_permissions_with("gateway-secret")
}

/// [`documented_permissions`] with `gateway_password` written in place of the gateway user's
/// `$TONGBAN_GATEWAY_PASSWORD` (a password, or a quoted bcrypt hash).
pub(crate) fn documented_permissions_with(gateway_password: &str) -> String {
    let section = operations_section("## NATS permissions");
    let block = section
        .split("```")
        .nth(1)
        .expect("the section's configuration block")
        .trim();
    assert!(block.starts_with("authorization {"), "{block}");
    block
        .replace("$TONGBAN_GATEWAY_PASSWORD", gateway_password)
        .replace("$TONGBAN_READER_PASSWORD", "reader-secret")
        .replacen(
            "users = [",
            "users = [\n    { user: admin, password: admin },",
            1,
        )
}

/// The stream configuration docs/operations.md ("Creating the stream by hand") gives, for one
/// server: `key` (hex) in place of its placeholder, or its line left out (`None`), as the docs
/// say for a deployment with no key yet.
pub(crate) fn documented_stream(key: Option<&str>) -> String {
    let section = operations_section("### Creating the stream by hand");
    let block = section
        .split("```json")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section's JSON block");
    assert!(block.contains("\"num_replicas\": 3,"), "{block}");
    let block = block.replace("\"num_replicas\": 3,", "\"num_replicas\": 1,");
    match key {
        Some(key) => block.replace("GATEWAY_PUBLIC_KEY_HEX", key),
        None => block
            .lines()
            .filter(|l| !l.contains("GATEWAY_PUBLIC_KEY_HEX"))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Records `key` as the stream TONGBAN's gateways' key by running the python3 script
/// docs/operations.md gives ("Recording the key on an existing stream") as the test's
/// administrator of `server`; fails when it does.
pub(crate) fn record_key_as_documented(server: &NatsServer, key: &str) {
    let section = operations_section("#### Recording the key on an existing stream");
    let script = section
        .split("```python")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the section's python block");
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(["TONGBAN", key])
        .env("NATS", format!("127.0.0.1:{}", server.port()))
        .env("NATS_USER", "admin")
        .env("NATS_PASSWORD", "admin")
        .output()
        .expect("python3");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains(key.trim()), "{said}");
}

/// Changes `server`'s stream TONGBAN as an operator would by hand: its configuration read,
/// `change`d and sent back.
pub(crate) async fn change_stream(
    server: &NatsServer,
    change: impl FnOnce(&mut async_nats::jetstream::stream::Config),
) {
    let mut stream = stream_config_of(server).await;
    change(&mut stream);
    let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    js.update_stream(stream).await.expect("changed by hand");
}

/// The configuration of `server`'s stream TONGBAN as the server holds it now.
pub(crate) async fn stream_config_of(server: &NatsServer) -> async_nats::jetstream::stream::Config {
    let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    js.get_stream("TONGBAN")
        .await
        .expect("stream")
        .info()
        .await
        .expect("info")
        .config
        .clone()
}

/// What the metadata of `server`'s stream TONGBAN holds, as its administrator reads it.
pub(crate) async fn stream_metadata(server: &NatsServer) -> serde_json::Value {
    let client = async_nats::ConnectOptions::with_user_and_password("admin".into(), "admin".into())
        .connect(server.url())
        .await
        .expect("admin");
    let answer = client
        .request("$JS.API.STREAM.INFO.TONGBAN", "".into())
        .await
        .expect("an answer");
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).expect("JSON");
    answer["config"]["metadata"].clone()
}

/// Sends `body` to the JetStream API `subject` as the test's administrator of `server`
/// ([`documented_permissions`]), and fails on an error answer.
pub(crate) async fn as_admin(server: &NatsServer, subject: &str, body: String) {
    let client = async_nats::ConnectOptions::with_user_and_password("admin".into(), "admin".into())
        .connect(server.url())
        .await
        .expect("admin");
    let answer = client
        .request(subject.to_string(), body.into())
        .await
        .expect("an answer");
    let answer: serde_json::Value = serde_json::from_slice(&answer.payload).expect("JSON");
    assert!(answer.get("error").is_none(), "{subject}: {answer}");
}

/// [`documented_permissions`] without the lines `left_out` picks, which must be some.
fn documented_permissions_without(left_out: impl Fn(&str) -> bool, what: &str) -> String {
    let config = documented_permissions()
        .lines()
        .filter(|l| !left_out(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(config, documented_permissions(), "{what}: nothing left out");
    config
}

/// Opens the log as the gateway's user of `server`, which must take well under the time setup
/// gives a cluster still forming: a right left out is optional, not a failure of setup.
async fn gateway_opens_at_once(server: &NatsServer, without: &str) -> JetStreamLog {
    let started = Instant::now();
    let log = JetStreamLog::open(&as_user(server, "tongban-gateway", "gateway-secret"))
        .await
        .unwrap_or_else(|e| panic!("the gateway opens without the {without} right: {e}"));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    log
}

fn as_user(server: &NatsServer, user: &str, password: &str) -> JetStreamConfig {
    let mut c = config(server);
    c.url = format!("nats://{user}:{password}@127.0.0.1:{}", server.port());
    c
}

/// What docs/operations.md tells operators to grant is enough: the gateway's user creates the
/// stream and the cursors' bucket, appends, reads, moves cursors, and drops the cursors of a
/// stream made again; the readers' user reads (as `verify` and `replay` do: the events, the
/// cursors and the history of acknowledgements) and cannot append.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_documented_nats_permissions_are_enough_and_no_more() {
    let server = NatsServer::start_with_config(&documented_permissions());
    let gateway = as_user(&server, "tongban-gateway", "gateway-secret");
    let log = JetStreamLog::open(&gateway)
        .await
        .expect("the gateway opens");
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&log, &app, 2).await;
    assert_eq!(log.read(&app).await.expect("read"), written);
    assert_eq!(log.read_all(1, 10).await.expect("read all").len(), 2);
    let cursors = log.shared_cursors().expect("cursors on JetStream");
    assert_eq!(
        cursors
            .advance("440000", 2, "440000/test")
            .await
            .expect("ack"),
        crate::log::Advanced {
            cursor: 2,
            moved: true
        }
    );
    assert_eq!(cursors.get("440000").await.expect("cursor"), 2);
    // The history of acknowledgements: recorded, read, and cut back to a restored end.
    let first = cursors.first_acks("440000", &[1]).await.expect("history");
    assert!(
        matches!(&first[&1], crate::log::FirstAck::Taken(r) if r.to == 2),
        "{first:?}"
    );
    cursors
        .advance("330000", 500, "330000/test")
        .await
        .expect("ack");
    cursors
        .clamp(["330000".to_string()])
        .await
        .expect("moved back to the end, its history with it");
    // The record over the end is cut back to it (deleted and stored again).
    let cut = cursors.first_ack("330000", 1).await.expect("history");
    assert_eq!(cut.map(|r| (r.from, r.to)), Some((0, 2)));
    // More than the push's flow-control window (a few MiB) through the stream, so the server
    // asks the gateway's consumer of the head for flow-control replies, on `$JS.FC.TONGBAN.>`
    // (found by a walkthrough: the documented rights lacked it, and the push stalled under
    // load).
    let mut prev = String::new();
    let bulky = crate::ids::new_v7();
    for seq in 1..=120 {
        let mut e = conformance::event(&bulky, seq, &prev);
        e.data = serde_json::json!({"materials_checked": true, "note": "补".repeat(20_000)});
        e.seal(&crate::envelope::GatewayKey::from_seed([3; 32]));
        prev = e.hash.clone();
        log.append(e, seq - 1).await.expect("a bulky append");
    }
    // The push runs behind the appends' acknowledgements: a moment for its last messages.
    tokio::time::sleep(Duration::from_secs(1)).await;
    drop(log);

    let mut reading = as_user(&server, "tongban-reader", "reader-secret");
    reading.create_stream = false;
    let reader = JetStreamLog::open(&reading)
        .await
        .expect("the reader opens");
    assert_eq!(reader.read(&app).await.expect("read"), written);
    assert_eq!(reader.read_all(1, 200).await.expect("read all").len(), 122);
    let refused = reader
        .append(conformance::event(&app, 3, &written[1].hash), 2)
        .await;
    // The server drops the publish: the append is not acknowledged.
    assert!(
        matches!(
            refused,
            Err(LogError::Storage(_) | LogError::Unavailable(_))
        ),
        "{refused:?}"
    );
    // The dispute tools read the cursors and the history of acknowledgements (replay --nats).
    let bucket = reader
        .existing_cursors()
        .await
        .expect("the reader reads the bucket")
        .expect("the gateways' bucket");
    assert_eq!(bucket.acked("440000").await.expect("cursor").position, 2);
    assert!(bucket.keeps_history());
    let first = bucket.first_acks("440000", &[1, 2]).await.expect("history");
    assert!(
        matches!(&first[&1], crate::log::FirstAck::Taken(r) if r.to == 2),
        "{first:?}"
    );
    drop(reader);

    // The stream deleted and made again (by an administrator): the gateway's next start drops
    // the old stream's cursors, which takes the purge right on the bucket.
    let admin = jetstream::new(
        async_nats::ConnectOptions::with_user_and_password("admin".into(), "admin".into())
            .connect(server.url())
            .await
            .expect("admin"),
    );
    admin
        .delete_stream("TONGBAN")
        .await
        .expect("delete the stream");
    let log = JetStreamLog::open(&gateway)
        .await
        .expect("the gateway opens again");
    let cursors = log.shared_cursors().expect("cursors");
    assert_eq!(cursors.get("440000").await.expect("cursor"), 0, "dropped");
    // Nothing else that either did needed more: the one violation is the reader's append, on
    // its application's subject (the reader sends no probe).
    let violations: Vec<String> = server
        .log()
        .lines()
        .filter(|l| l.contains("Violation"))
        .map(str::to_string)
        .collect();
    assert_eq!(violations.len(), 1, "{violations:#?}");
    assert!(
        violations[0].contains("user:tongban-reader")
            && violations[0].contains(&format!("\"tongban.app.{app}\"")),
        "{violations:#?}"
    );
}

/// A gateway whose user lacks a right stops at once, naming the subject the server refused,
/// instead of waiting out the 30 s it gives a cluster that is still forming, or starting and
/// answering every append with 503: the cursors' rights, the history's, or publishing on the log's subjects
/// (which setup's probe publish finds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_without_a_permission_stops_at_once_naming_it() {
    // Which lines of the block to leave out, and the subject the refusal then names.
    type LeftOut = fn(&str) -> bool;
    let cases: [(LeftOut, &str); 3] = [
        (
            |l: &str| l.contains("KV_TONGBAN_cursors") || l.contains("$KV."),
            "KV_TONGBAN_cursors",
        ),
        (|l: &str| l.contains("TONGBAN_acks"), "TONGBAN_acks"),
        (
            |l: &str| l.trim() == "\"tongban.app.>\",",
            "tongban.app._probe",
        ),
    ];
    for (left_out, named) in cases {
        let config = documented_permissions_without(left_out, named);
        let server = NatsServer::start_with_config(&config);
        let started = Instant::now();
        let refused = JetStreamLog::open(&as_user(&server, "tongban-gateway", "gateway-secret"))
            .await
            .err()
            .expect("refused");
        let message = refused.to_string();
        assert!(matches!(refused, SetupError::Denied { .. }), "{message}");
        assert!(message.contains(named), "{message}");
        assert!(message.contains("docs/operations.md"), "{message}");
        assert!(
            started.elapsed() < connect::FORMING_PATIENCE / 2,
            "{named}: took {:?}",
            started.elapsed()
        );
    }
}

/// Given a gateway user without `$JS.API.STREAM.MSG.GET.TONGBAN`, when a read that needs it
/// fails (it times out: the server drops what it refuses), then the log can name the right the
/// server refused, which a start that fails on the read reports instead of the timeout. (Found by
/// a JetStream walkthrough: the start said only "request timed out".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_refused_for_a_right_can_name_it() {
    let config = documented_permissions_without(
        |l: &str| l.trim() == "\"$JS.API.STREAM.MSG.GET.TONGBAN\",",
        "MSG.GET",
    );
    let server = NatsServer::start_with_config(&config);
    let mut user = as_user(&server, "tongban-gateway", "gateway-secret");
    user.op_timeout = Duration::from_secs(1);
    let log = JetStreamLog::open(&user).await.expect("opens");
    let app = crate::ids::new_v7();
    conformance::append_chain(&log, &app, 1).await;
    assert_eq!(log.refused_right(), None);
    let failed = log.last(&app).await;
    assert!(failed.is_err(), "{failed:?}");
    let right = log.refused_right().expect("the refusal named");
    assert!(right.contains("$JS.API.STREAM.MSG.GET.TONGBAN"), "{right}");
}

/// A password in the URL is used to log in and never shown: a wrong one is refused with the
/// address as it is, without the credentials.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_in_the_url_log_in_and_are_never_shown() {
    let server = NatsServer::start_with_config(&documented_permissions());
    let wrong = as_user(&server, "tongban-gateway", "not-the-secret");
    let refused = JetStreamLog::open(&wrong).await.err().expect("refused");
    let message = refused.to_string();
    assert!(matches!(refused, SetupError::Connect { .. }), "{message}");
    assert!(
        message.contains(&format!("nats://127.0.0.1:{}", server.port())),
        "{message}"
    );
    assert!(
        !message.contains("not-the-secret") && !message.contains("tongban-gateway"),
        "{message}"
    );
    // Percent-encoded, as a URL's password is written.
    let encoded = format!("nats://admin:%61dmin@127.0.0.1:{}", server.port());
    let mut admin = JetStreamConfig::new(encoded);
    admin.op_timeout = Duration::from_secs(1);
    JetStreamLog::open(&admin).await.expect("admin, decoded");
}

/// bcrypt of "gateway-secret" at cost 11, made once with Python's `bcrypt` package:
/// `bcrypt.hashpw(b"gateway-secret", bcrypt.gensalt(rounds=11, prefix=b"2a"))`.
const GATEWAY_SECRET_BCRYPT: &str = "$2a$11$KPhE.s40u4GiMSzB.himzeQ6TqE0/F4ouKQzPkAP41h9LHNRMXfha";

/// What docs/operations.md offers in place of a password from the environment: a bcrypt hash,
/// quoted, in the server's configuration. The gateway logs in with the plain password in its URL
/// (as `--nats` carries it) and works; a wrong password, or the hash itself, is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bcrypt_hash_for_the_password_lets_the_gateway_in_with_the_plain_one() {
    let server = NatsServer::start_with_config(&documented_permissions_with(&format!(
        "\"{GATEWAY_SECRET_BCRYPT}\""
    )));
    let log = JetStreamLog::open(&as_user(&server, "tongban-gateway", "gateway-secret"))
        .await
        .expect("the gateway logs in with the plain password");
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&log, &app, 2).await;
    assert_eq!(log.read(&app).await.expect("read"), written);
    drop(log);
    // The hash percent-encoded as a URL's password ($ and / are not plain there).
    let hash_as_password = GATEWAY_SECRET_BCRYPT
        .replace('$', "%24")
        .replace('/', "%2F");
    for password in ["not-the-secret", hash_as_password.as_str()] {
        let refused = JetStreamLog::open(&as_user(&server, "tongban-gateway", password))
            .await
            .err()
            .expect("refused");
        assert!(
            matches!(refused, SetupError::Connect { .. }),
            "{password}: {refused}"
        );
    }
}

/// A limit added to the stream after the gateway opened it (NATS takes `max_msgs_per_subject`
/// on a stream that refuses deletes) removes events as it goes: that is a loss going on, not a
/// past to pass over, so the reader stops there saying so instead of reading past the holes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_added_later_stops_the_reader_instead_of_being_passed_over() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let (a, b) = (crate::ids::new_v7(), crate::ids::new_v7());
    conformance::append_chain(&log, &a, 2).await;
    conformance::append_chain(&log, &b, 1).await;
    assert_eq!(log.read_all(1, 10).await.expect("whole").len(), 3);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let mut stream = js.get_stream("TONGBAN").await.expect("stream");
    let mut limited = stream.info().await.expect("info").config.clone();
    limited.max_messages_per_subject = 1;
    js.update_stream(limited)
        .await
        .expect("a limit is accepted");
    let refused = log.read_all(1, 10).await.expect_err("holes a limit made");
    let message = refused.to_string();
    assert!(matches!(refused, LogError::Unavailable(_)), "{message}");
    assert!(message.contains("now removes events"), "{message}");
    assert!(message.contains("max_msgs_per_subject"), "{message}");
}

/// A mirror of the log (a read copy near a province, an auditor's own): the read-only tools read
/// it as it is, though a gateway refuses to serve from it (it takes no publishes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_only_tools_read_a_mirror_that_a_gateway_refuses() {
    let server = NatsServer::start();
    let config = config(&server);
    let js = jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    // The federation's stream, here under another name, and its mirror named as the tools expect.
    let mut upstream = connect::stream_config(&config);
    upstream.name = "UPSTREAM".into();
    js.create_stream(upstream).await.expect("upstream");
    let app = crate::ids::new_v7();
    let mut prev = String::new();
    let mut written = Vec::new();
    for seq in 1..=3 {
        let e = conformance::event(&app, seq, &prev);
        prev = e.hash.clone();
        js.publish(
            format!("{}.{app}", config.subject_prefix),
            e.to_json().expect("json").into(),
        )
        .await
        .expect("publish")
        .await
        .expect("ack");
        written.push(e);
    }
    js.create_stream(jetstream::stream::Config {
        name: config.stream.clone(),
        mirror: Some(jetstream::stream::Source {
            name: "UPSTREAM".into(),
            ..Default::default()
        }),
        ..Default::default()
    })
    .await
    .expect("mirror");

    let refused = JetStreamLog::open(&config)
        .await
        .err()
        .expect("a gateway refuses");
    assert!(
        matches!(refused, SetupError::UnsafeStream { .. }),
        "{refused}"
    );
    let mut reading = config.clone();
    reading.create_stream = false;
    let reader = JetStreamLog::open(&reading)
        .await
        .expect("a reader reads it");
    let deadline = Instant::now() + Duration::from_secs(10);
    while reader.read_all(1, 10).await.expect("read").len() < 3 {
        assert!(Instant::now() < deadline, "the mirror did not catch up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reader.read(&app).await.expect("by subject"), written);
}

/// A server without JetStream (pointed at by mistake, or started without `-js`) is named as
/// that, at once, instead of "requested JetStream resource does not exist".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_jetstream_is_named_as_such() {
    let server = NatsServer::start_without_jetstream();
    let started = Instant::now();
    let refused = JetStreamLog::open(&config(&server))
        .await
        .err()
        .expect("refused");
    let message = refused.to_string();
    assert!(message.contains("JetStream is not enabled"), "{message}");
    assert!(message.contains("-js"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

/// An append after this gateway's own last one on the subject names that message in its
/// concurrency check without asking the server where the subject ends (the publish is the one
/// message the server receives); when another gateway appended in between, the server refuses
/// it and the append is a conflict, after which the subject is read again and the next append
/// lands. The other gateway, which had not seen the subject, asks for its last message once:
/// a gateway's append carries its event's id, by which it is known as the application's last
/// event without reading the history before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_after_our_own_asks_nothing_and_a_stale_one_is_a_conflict() {
    let (server, received) = NatsServer::start_counting();
    let quiet = quiet_config(&server);
    let opened = || async { JetStreamLog::open(&quiet).await.expect("open") };
    let (ours, theirs) = (opened().await, opened().await);
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&ours, &app, 2).await;
    let sent = || received.sent_by(ours.client_id());
    let before = sent();
    let third = conformance::event(&app, 3, &written[1].hash);
    ours.append(third.clone(), 2).await.expect("third");
    assert_eq!(
        sent() - before,
        1,
        "the append sent the server more than the event"
    );

    // Another gateway appends seq 4; ours still has the subject ending at 3.
    let four = conformance::event(&app, 4, &third.hash);
    let theirs_before = received.sent_by(theirs.client_id());
    theirs.append(four.clone(), 3).await.expect("theirs");
    assert_eq!(
        received.sent_by(theirs.client_id()) - theirs_before,
        2,
        "the other gateway read more than the subject's last message"
    );
    let stale = conformance::event(&app, 4, &third.hash);
    assert!(
        matches!(
            ours.append(stale, 3).await,
            Err(LogError::Conflict { actual: 4, .. })
        ),
        "the server refused the stale position"
    );
    let five = conformance::event(&app, 5, &four.hash);
    ours.append(five, 4)
        .await
        .expect("after reading the subject again");
    let events = ours.read(&app).await.expect("read");
    assert_eq!(events.len(), 5);
    assert_eq!(events[3], four);
}

/// Deletes the log's stream and creates it again with the same settings (a new creation time,
/// empty subjects), and waits until `log` has noticed.
async fn replace_stream(server: &NatsServer, log: &JetStreamLog) {
    let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    let kept = stream_config_of(server).await;
    let name = kept.name.clone();
    js.delete_stream(&name).await.expect("deleted");
    js.create_stream(kept).await.expect("created again");
    let started = Instant::now();
    while log.available() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still available on the new stream"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A server whose stream holds positions 1 to 4, the projector of `log` having taken them all,
/// and a copy of its store from when the stream ended at 2. Returns the copy's directory and
/// the event that would follow the first application (seq 3 of the events at 1 and 2).
async fn taken_to_4_with_a_copy_at_2(
    server: &mut NatsServer,
    log: &JetStreamLog,
) -> (std::path::PathBuf, Envelope) {
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(log, &app, 2).await;
    server.stop();
    let copy = server.store_dir().with_extension("at-2");
    crate::testutil::copy_dir(&server.store_dir(), &copy);
    server.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    for _ in 0..2 {
        let more = conformance::event(&crate::ids::new_v7(), 1, "");
        loop {
            match log.append(more.clone(), 0).await {
                Ok(_) => break,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no recovery after restart: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }
    assert_eq!(*log.head().borrow(), 4);
    let taken = log.follow(1, 10).await.expect("the projector takes 1 to 4");
    assert_eq!(taken.last().map(|p| p.position), Some(4));
    (copy, conformance::event(&app, 3, &written[1].hash))
}

/// Puts the server's store back to `copy` (a backup restored under running gateways).
fn put_back(server: &mut NatsServer, copy: &std::path::Path) {
    server.stop();
    std::fs::remove_dir_all(server.store_dir()).expect("remove the store");
    crate::testutil::copy_dir(copy, &server.store_dir());
    server.restart();
}

/// Appends `event` until `log` answers what `wanted` accepts, at most `within`; that answer.
async fn answered(
    log: &JetStreamLog,
    event: &Envelope,
    expected_seq: u64,
    within: Duration,
    wanted: impl Fn(&str) -> bool,
) -> LogError {
    let deadline = Instant::now() + within;
    loop {
        match log.append(event.clone(), expected_seq).await {
            Err(e) if wanted(&e.to_string()) => return e,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("no append may land here; got {other:?}"),
        }
    }
}

/// Given a gateway whose projector took positions 1 to 4, when the server's store is put back
/// to a copy that ends at 2 under it, then it appends nothing (a new event would take position
/// 3, which its projections count as applied): first because it reconnected, then because the
/// stream ends before what it has seen. Behind proves nothing (a lagging replica is behind
/// too), so it waits; when another writer puts other events at positions 3 and 4, the stream
/// holds another event where its projector took one, and it refuses the stream for good,
/// saying why. (Found by an operator's walkthrough: the gateways went on, serving lost
/// applications and never projecting new ones.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_put_back_to_an_older_copy_is_not_appended_to() {
    let mut server = NatsServer::start();
    let log = open(&server).await;
    let (copy, next) = taken_to_4_with_a_copy_at_2(&mut server, &log).await;
    put_back(&mut server, &copy);
    let waiting = answered(&log, &next, 2, Duration::from_secs(10), |e| {
        e.contains("before position 4")
    })
    .await;
    assert!(matches!(waiting, LogError::Unavailable(_)), "{waiting}");
    assert!(!log.available());
    let refusal = log.refusal().expect("waiting");
    assert!(
        !refusal.restart_required,
        "behind heals by itself: {refusal:?}"
    );
    assert!(log.follow(5, 10).await.is_err(), "the projector waits too");

    // Another writer (a gateway started on the older copy) takes positions 3 and 4 again.
    let other = open(&server).await;
    conformance::append_chain(&other, &crate::ids::new_v7(), 2).await;
    let refused = answered(&log, &next, 2, Duration::from_secs(10), |e| {
        e.contains("holds another event")
    })
    .await;
    assert!(
        refused.to_string().contains("another event at position 4"),
        "{refused}"
    );
    let read = log.read_all(1, 10).await.expect_err("nor read");
    assert!(read.to_string().contains("older copy"), "{read}");
    // /healthz tells this refusal, which waits for the operator, from an outage.
    let refusal = log.refusal().expect("refused");
    assert!(refusal.restart_required, "{refusal:?}");
    assert!(refusal.why.contains("holds another event"), "{refusal:?}");
}

/// The same when the other writer goes past what the gateway has seen (positions 3 to 6), as
/// soon as the server is back, whichever of the two reaches it first: the gateway compares
/// what the stream holds where its projector took its last event before it appends or projects
/// anything after a reconnect, and refuses the stream for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_written_past_what_was_seen_after_a_put_back_is_refused() {
    let mut server = NatsServer::start();
    let log = open(&server).await;
    let (copy, next) = taken_to_4_with_a_copy_at_2(&mut server, &log).await;
    put_back(&mut server, &copy);
    let other = open(&server).await;
    conformance::append_chain(&other, &crate::ids::new_v7(), 4).await;
    assert_eq!(*other.head().borrow(), 6);
    let refused = answered(&log, &next, 2, Duration::from_secs(10), |e| {
        e.contains("holds another event")
    })
    .await;
    assert!(refused.to_string().contains("position 4"), "{refused}");
    assert!(log.follow(5, 10).await.is_err());
}

/// A stream that comes back holding what the gateway has seen (a replica that caught up; here
/// the store put back to the copy and then to the whole again) is appended to again: behind
/// alone never refuses a stream for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_behind_for_a_while_and_back_is_appended_to_again() {
    let mut server = NatsServer::start();
    let log = open(&server).await;
    let (copy, next) = taken_to_4_with_a_copy_at_2(&mut server, &log).await;
    server.stop();
    let whole = server.store_dir().with_extension("whole");
    crate::testutil::copy_dir(&server.store_dir(), &whole);
    server.restart();
    put_back(&mut server, &copy);
    answered(&log, &next, 2, Duration::from_secs(10), |e| {
        e.contains("before position 4")
    })
    .await;
    put_back(&mut server, &whole);
    let deadline = Instant::now() + Duration::from_secs(20);
    let position = loop {
        match log.append(next.clone(), 2).await {
            Ok(p) => break p,
            Err(e) => {
                assert!(
                    !e.to_string().contains("holds another event"),
                    "refused for good: {e}"
                );
                assert!(Instant::now() < deadline, "never appended again: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    assert_eq!(position, 5);
    assert!(log.available());
}

/// A stream deleted and created again under its name is another log: the gateway that opened
/// the first one appends nothing to it and reads nothing from it, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_created_again_under_its_name_is_not_appended_to() {
    let (server, log, app, written) = a_log_holding(2, false).await;
    replace_stream(&server, &log).await;
    let next = conformance::event(&app, 3, &written[1].hash);
    let refused = log
        .append(next, 2)
        .await
        .expect_err("appended to another stream");
    assert!(
        refused.to_string().contains("deleted and created again"),
        "{refused}"
    );
    let first = conformance::event(&crate::ids::new_v7(), 1, "");
    assert!(log.append(first, 0).await.is_err());
    let read = log.read_all(1, 10).await.expect_err("read another stream");
    assert!(
        read.to_string().contains("deleted and created again"),
        "{read}"
    );
    // Nor followed from memory: an event at a position past the old head, as a consumer made
    // again on the new stream would push it.
    log.inner
        .recent
        .remember_own(3, conformance::event(&crate::ids::new_v7(), 1, ""), 1_000);
    log.bump_head(3);
    let followed = log
        .follow(3, 10)
        .await
        .expect_err("followed another stream");
    assert!(
        followed.to_string().contains("deleted and created again"),
        "{followed}"
    );
    let fresh = open(&server).await;
    assert!(fresh.read(&app).await.expect("read").is_empty());
}

/// Reads of a gateway that saw its stream replaced are refused like its appends: the new
/// stream's subjects are not the applications its projections hold, so reading one of them
/// would answer "no such application" (404) for an application the gateway holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_stream_is_not_read_from_by_application_either() {
    let server = NatsServer::start();
    let log = open(&server).await;
    let app = crate::ids::new_v7();
    conformance::append_chain(&log, &app, 2).await;
    replace_stream(&server, &log).await;
    let replaced = |r: Result<String, LogError>| match r {
        Err(e) => e.to_string().contains("deleted and created again"),
        Ok(_) => false,
    };
    let read = log.read(&app).await.map(|e| format!("{e:?}"));
    assert!(replaced(read.clone()), "read: {read:?}");
    let last = log.last(&app).await.map(|e| format!("{e:?}"));
    assert!(replaced(last.clone()), "last: {last:?}");
    let at = log.read_at(&[1]).await.map(|e| format!("{e:?}"));
    assert!(replaced(at.clone()), "read_at: {at:?}");
}

/// An event is appended only onto the event it names as its previous one: at the expected seq
/// the subject holds another event (as in a stream that lost acknowledged events and took others
/// at their seqs), so the append is a conflict, whether this gateway remembers where the
/// subject ends or reads it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_chained_onto_another_history_is_a_conflict() {
    let server = NatsServer::start();
    let (ours, fresh) = (open(&server).await, open(&server).await);
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&ours, &app, 2).await;
    for log in [&ours, &fresh] {
        let elsewhere = conformance::event(&app, 3, &written[0].hash);
        assert!(
            matches!(
                log.append(elsewhere, 2).await,
                Err(LogError::Conflict { actual: 2, .. })
            ),
            "appended onto an event it does not follow"
        );
    }
    let next = conformance::event(&app, 3, &written[1].hash);
    fresh.append(next, 2).await.expect("chained onto the last");
    assert_eq!(ours.read(&app).await.expect("read").len(), 3);
}

/// An application's whole history is read in batches of direct gets, not one request per event:
/// 40 events in three test-sized batches (16 each) and the leader's last message, where walking
/// the subject took 41 requests (one per event and the one that finds no more). The same read
/// from a later position (`read_after`) too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_history_is_read_in_a_few_requests() {
    let (server, received) = NatsServer::start_counting();
    let c = quiet_config(&server);
    let log = JetStreamLog::open(&c).await.expect("open");
    let sent = || received.sent_by(log.client_id());
    let app = crate::ids::new_v7();
    // Another application's events in between, so the batch must skip them.
    let other = crate::ids::new_v7();
    let mut written: Vec<Envelope> = Vec::new();
    let mut others: Vec<Envelope> = Vec::new();
    for seq in 1..=40u64 {
        for (app, chain) in [(&app, &mut written), (&other, &mut others)] {
            let prev = chain.last().map(|e| e.hash.clone()).unwrap_or_default();
            let e = conformance::event(app, seq, &prev);
            log.append(e.clone(), seq - 1).await.expect("append");
            chain.push(e);
        }
    }
    let before = sent();
    let read = log.read(&app).await.expect("read");
    let asked = sent() - before;
    assert_eq!(read, written);
    assert!(asked <= 4, "{asked} messages to read 40 events");
    let before = sent();
    let tail = log.read_after(&app, 30, 0).await.expect("read after");
    assert_eq!(tail, written[30..].to_vec());
    assert!(sent() - before <= 4, "read_after");

    // The whole stream, as the projector of another gateway, a rebuild or `verify` read it:
    // the stream's state, then batches of every subject (five of the tests' 16 for 80 events),
    // where it took a request per event.
    let interleaved: Vec<Envelope> = written
        .iter()
        .zip(&others)
        .flat_map(|(a, b)| [a.clone(), b.clone()])
        .collect();
    let before = sent();
    let all = log.read_all(1, 1000).await.expect("read all");
    let asked = sent() - before;
    let positions: Vec<u64> = all.iter().map(|p| p.position).collect();
    assert_eq!(positions, (1..=80).collect::<Vec<u64>>());
    let events: Vec<Envelope> = all.into_iter().map(|p| p.event).collect();
    assert_eq!(events, interleaved);
    assert!(asked <= 7, "{asked} messages to read 80 events");
    // A part of it, bounded by max.
    let before = sent();
    let part = log.read_all(41, 20).await.expect("read part");
    assert!(sent() - before <= 4, "a part");
    let events: Vec<Envelope> = part.into_iter().map(|p| p.event).collect();
    assert_eq!(events, interleaved[40..60].to_vec());
}

/// The batch right (`$JS.API.DIRECT.GET.<stream>`) is optional: a user without it opens the log
/// at once (the refusal is not a failure of setup) and reads whole histories one event per
/// request; the log asks once, at open, not at every read (a read that asked would wait out the
/// request timeout, 1 s here, for an answer the server never sends).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_batch_right_histories_are_read_one_event_per_request() {
    let config = documented_permissions_without(|l| l.contains("DIRECT.GET"), "batch");
    let server = NatsServer::start_with_config(&config);
    let log = gateway_opens_at_once(&server, "batch").await;
    let app = crate::ids::new_v7();
    let written = conformance::append_chain(&log, &app, 5).await;
    let all = log.read_all(1, 100).await.expect("read all");
    let events: Vec<Envelope> = all.into_iter().map(|p| p.event).collect();
    assert_eq!(events, written, "the stream read one message per request");
    for _ in 0..3 {
        let reading = Instant::now();
        assert_eq!(log.read(&app).await.expect("read"), written);
        assert!(
            reading.elapsed() < Duration::from_millis(500),
            "a read took {:?}",
            reading.elapsed()
        );
    }
    let refusals = server
        .log()
        .lines()
        .filter(|l| l.contains("Violation") && l.contains("DIRECT.GET"))
        .count();
    assert_eq!(refusals, 1, "{}", server.log());
}

/// The consumer right (`$JS.API.CONSUMER.CREATE.<stream>`) is optional too: a user without it
/// opens the log at once, appends, and follows other gateways' appends by the poll alone. The
/// refusal is asked for once, not again every second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_consumer_right_the_poll_follows_the_head() {
    let config = documented_permissions_without(|l| l.contains("CONSUMER.CREATE"), "consumer");
    let server = NatsServer::start_with_config(&config);
    let ours = gateway_opens_at_once(&server, "consumer").await;
    let theirs = gateway_opens_at_once(&server, "consumer").await;
    let app = crate::ids::new_v7();
    conformance::append_chain(&theirs, &app, 3).await;
    let mut head = ours.head();
    tokio::time::timeout(Duration::from_secs(5), head.wait_for(|h| *h >= 3))
        .await
        .expect("the poll moves the head")
        .expect("head");
    // Long enough for a listener that kept asking to have asked again (each ask waits out the
    // 1 s request timeout, then 1 s before the next).
    tokio::time::sleep(Duration::from_secs(4)).await;
    let refusals = server
        .log()
        .lines()
        .filter(|l| l.contains("Violation") && l.contains("CONSUMER.CREATE"))
        .count();
    assert_eq!(refusals, 2, "one per gateway: {}", server.log());
    assert_eq!(ours.stats().pushed, Some(false), "for /metrics");
}

/// A stream deleted under a running gateway (and not made again) makes the log unavailable
/// within seconds, and for good once the servers have said so for 30 s, saying why and that it
/// waits for the operator: the head poll hears
/// "stream not found" (10059). Before, `/healthz` and `/metrics` went on saying the log was
/// available while every append answered 503, with one warning in the gateway's log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_stream_makes_the_log_unavailable_until_a_restart() {
    let (server, log, app, written) = a_log_holding(1, false).await;
    assert!(log.available() && log.refusal().is_none());
    let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
    js.delete_stream(&config(&server).stream)
        .await
        .expect("deleted");
    let started = Instant::now();
    while log.available() {
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "still available with its stream deleted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Unreachable first, which heals by itself; deleted, which waits for a restart, only once
    // the servers have said so for GONE_AFTER (a meta leader just elected may say so a while).
    let refusal = loop {
        let refusal = log.refusal().expect("a refusal");
        if refusal.restart_required {
            break refusal;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "never counted as deleted: {}",
            refusal.why
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        started.elapsed() >= Duration::from_secs(29),
        "counted as deleted after {:?}",
        started.elapsed()
    );
    assert!(
        refusal.why.contains("no longer exists on the NATS servers"),
        "{}",
        refusal.why
    );
    let next = conformance::event(&app, 2, &written[0].hash);
    match log.append(next, 1).await {
        Err(LogError::Unavailable(why)) => assert!(why.contains("no longer exists"), "{why}"),
        other => panic!("an append to a deleted stream: {other:?}"),
    }
}

/// Given a gateway's log on its stream, when the stream's subjects are changed so that they no
/// longer take the gateway's and an append is answered that nothing takes it ("no
/// responders"), then the head poll refuses appends for good, saying the subjects changed; an
/// append before that is refused as unavailable, nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_whose_subjects_no_longer_take_the_gateways_refuses_appends_for_good() {
    let server = NatsServer::start();
    let config = JetStreamConfig::new(server.url());
    let log = JetStreamLog::open(&config).await.expect("open");
    crate::log::conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
    change_stream(&server, |stream| {
        stream.subjects = vec!["elsewhere.>".to_string()]
    })
    .await;

    let first = log
        .append(
            crate::log::conformance::event(&crate::ids::new_v7(), 1, ""),
            0,
        )
        .await;
    assert!(matches!(first, Err(LogError::Unavailable(_))), "{first:?}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let refused = loop {
        let event = crate::log::conformance::event(&crate::ids::new_v7(), 1, "");
        match log.append(event, 0).await {
            Err(e) if e.to_string().contains("do not cover") => break e,
            Err(_) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => panic!("not refused for good: {other:?}"),
        }
    };
    assert!(refused.to_string().contains("elsewhere.>"), "{refused}");
    assert_eq!(*log.head().borrow(), 1, "nothing stored");
}
