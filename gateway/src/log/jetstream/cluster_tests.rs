//! The JetStream log on a three-node cluster (R3) while the stream leader is SIGKILLed under load.
//!
//! What runs: `NatsCluster` (three real nats-servers, `sync_interval: always`). Several
//! `JetStreamLog`s (separate connections, like separate gateways) append at once:
//! - *lanes* each write chains of events to their own fresh applications (submissions, then
//!   actions), so any conflict they see is a false one;
//! - *racers* all append the next event to the same few applications with the same expected
//!   seq, so exactly one may win each seq.
//!
//! Mid-load the stream leader (stream info's cluster leader) is killed with SIGKILL; the load goes
//! on against the other two (the clients reconnect, a new leader is elected); the killed node is
//! restarted on its store and catches up. An error is only ever "unavailable" or "not
//! acknowledged", and the writer then retries the very same event (same id, same expectation)
//! until the log settles it: acknowledged, or a conflict.
//!
//! How every replica is read: a JetStream read request (`STREAM.MSG.GET`) is answered by the
//! stream leader from its own store, so the test steps the leader down until each node in turn is
//! the leader, checks through stream info that it is (before and after), and reads the whole
//! stream there. Each node's monitoring endpoint (`/jsz`, node-local, never routed) must also
//! report the same message count and last sequence. Direct get is not used: any replica may
//! answer it and the reply does not say which one did.
//!
//! Then: the three copies are identical; every acknowledged event is stored exactly once at its
//! acknowledged position; no (application, seq) holds two events and no two acknowledgements
//! name one (application, seq); every application's hash chain and signatures verify; every
//! stored event was acknowledged (nothing was left unsettled).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::*;
use crate::envelope::GatewayKey;
use crate::log::conformance;
use crate::testnats::NatsCluster;

/// Log connections writing at once (each is one client connection, like one gateway): one per
/// node, given only that node's URL (so whichever node leads, one writer loses its server and
/// must fail over to servers it learnt from the cluster), and one given every URL.
/// The tests that start a three-node cluster take turns: two clusters at once on two cores
/// slow each other's elections and catch-ups past the patience the tests give them (a node
/// restarted while another cluster replicates took more than 27 s to be placed again).
pub(super) static ONE_CLUSTER_AT_A_TIME: std::sync::LazyLock<tokio::sync::Mutex<()>> =
    std::sync::LazyLock::new(|| tokio::sync::Mutex::new(()));

const WRITERS: usize = 4;
/// Concurrent lanes per writer, each on its own applications.
const LANES: usize = 4;
/// Events per lane application (1: the submission; then actions).
const CHAIN: u64 = 4;
/// Applications every writer races on.
const CONTESTED: usize = 3;
/// The whole test, cluster start to last assertion.
const BUDGET: Duration = Duration::from_secs(60);

/// One acknowledged append.
#[derive(Debug, Clone)]
struct Ack {
    /// Which log connection appended it.
    writer: usize,
    at: Instant,
    app: String,
    seq: u64,
    id: String,
    position: u64,
}

/// What the writers saw.
#[derive(Default)]
struct Record {
    acks: Vec<Ack>,
    /// Errors that were retried, by kind.
    retried: BTreeMap<&'static str, u64>,
    /// A sample of the retried errors' texts, one per distinct prefix.
    samples: BTreeMap<String, u64>,
    /// Races lost (a racer's conflict).
    lost: u64,
    /// Appends acknowledged on a retry after an earlier attempt went unacknowledged: the
    /// ambiguous ones (the first attempt may have landed), settled without a duplicate.
    resolved: u64,
    /// Events still unsettled at the deadline (may or may not be stored).
    unsettled: HashSet<String>,
    /// Anything that must not happen.
    failures: Vec<String>,
}

struct Shared {
    record: Mutex<Record>,
    acked: AtomicU64,
    stop: AtomicBool,
    /// Retrying stops here; what is still in flight then is "unsettled".
    deadline: Instant,
}

impl Shared {
    fn note<R>(&self, f: impl FnOnce(&mut Record) -> R) -> R {
        let mut guard = self
            .record
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    fn ack(&self, writer: usize, event: &Envelope, position: u64) {
        self.note(|r| {
            r.acks.push(Ack {
                writer,
                at: Instant::now(),
                app: event.app.clone(),
                seq: event.seq,
                id: event.id.clone(),
                position,
            })
        });
        self.acked.fetch_add(1, Ordering::SeqCst);
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

enum Outcome {
    Acked(u64),
    Conflict,
    Unsettled,
    Failed(String),
}

/// Appends `event`, retrying the very same event while the log is unavailable or did not
/// acknowledge, until it is acknowledged or conflicts.
async fn settle(log: &JetStreamLog, event: &Envelope, expected: u64, shared: &Shared) -> Outcome {
    let mut unacknowledged = false;
    loop {
        let (kind, text) = match log.append(event.clone(), expected).await {
            Ok(position) => {
                if unacknowledged {
                    shared.note(|r| r.resolved += 1);
                }
                return Outcome::Acked(position);
            }
            Err(LogError::Conflict { .. }) => return Outcome::Conflict,
            Err(LogError::Unavailable(m)) => ("unavailable", m),
            Err(LogError::Storage(m)) => {
                unacknowledged = true;
                ("not acknowledged", m)
            }
            Err(other) => return Outcome::Failed(format!("{other:?}")),
        };
        shared.note(|r| {
            *r.retried.entry(kind).or_default() += 1;
            let prefix: String = text.chars().take(60).collect();
            *r.samples.entry(format!("{kind}: {prefix}")).or_default() += 1;
        });
        if Instant::now() > shared.deadline {
            return Outcome::Unsettled;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Chains of events on fresh applications only this lane writes.
async fn lane(writer: usize, log: JetStreamLog, shared: Arc<Shared>) {
    while !shared.stopped() {
        let app = crate::ids::new_v7();
        let mut prev = String::new();
        for seq in 1..=CHAIN {
            if seq > 1 && shared.stopped() {
                break;
            }
            let event = conformance::event(&app, seq, &prev);
            match settle(&log, &event, seq - 1, &shared).await {
                Outcome::Acked(position) => {
                    shared.ack(writer, &event, position);
                    prev = event.hash.clone();
                }
                Outcome::Conflict => {
                    shared.note(|r| {
                        r.failures.push(format!(
                            "false conflict: {app} seq {seq} is written by one lane only"
                        ))
                    });
                    break;
                }
                Outcome::Unsettled => {
                    shared.note(|r| r.unsettled.insert(event.id.clone()));
                    return;
                }
                Outcome::Failed(e) => {
                    shared.note(|r| r.failures.push(format!("{app} seq {seq}: {e}")));
                    return;
                }
            }
        }
    }
}

/// Reads the application and appends its next event, racing the other racers on it.
async fn racer(writer: usize, log: JetStreamLog, app: String, shared: Arc<Shared>) {
    while !shared.stopped() {
        let events = match log.read(&app).await {
            Ok(events) => events,
            Err(LogError::Unavailable(_)) if Instant::now() < shared.deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => {
                shared.note(|r| r.failures.push(format!("reading {app}: {e:?}")));
                return;
            }
        };
        let n = events.len() as u64;
        let prev = events.last().map(|e| e.hash.clone()).unwrap_or_default();
        let event = conformance::event(&app, n + 1, &prev);
        match settle(&log, &event, n, &shared).await {
            Outcome::Acked(position) => shared.ack(writer, &event, position),
            Outcome::Conflict => shared.note(|r| r.lost += 1),
            Outcome::Unsettled => {
                shared.note(|r| r.unsettled.insert(event.id.clone()));
                return;
            }
            Outcome::Failed(e) => {
                shared.note(|r| r.failures.push(format!("{app} seq {}: {e}", n + 1)));
                return;
            }
        }
    }
}

/// Every node's URL, or only `node`'s.
fn cluster_config(cluster: &NatsCluster, node: Option<usize>) -> JetStreamConfig {
    let url = match node {
        Some(i) => cluster.node(i).url(),
        None => cluster.urls(),
    };
    let mut c = JetStreamConfig::new(url);
    c.replicas = 3;
    c.op_timeout = Duration::from_secs(2);
    c
}

/// Opens a log, retrying while the fresh cluster places the stream.
async fn open_log(config: &JetStreamConfig, cluster: &NatsCluster) -> JetStreamLog {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match JetStreamLog::open(config).await {
            Ok(log) => return log,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("open on the cluster: {e}\n{}", cluster.logs()),
        }
    }
}

/// The stream's info as its leader reports it (`None` while there is no leader to answer).
async fn stream_info(log: &JetStreamLog) -> Option<async_nats::jetstream::stream::Info> {
    tokio::time::timeout(Duration::from_secs(2), log.inner.stream.get_info())
        .await
        .ok()?
        .ok()
}

async fn stream_leader(log: &JetStreamLog) -> Option<String> {
    stream_info(log).await?.cluster?.leader
}

/// Waits (bounded) for a stream leader other than `not`.
async fn wait_leader(log: &JetStreamLog, not: Option<&str>, limit: Duration) -> Option<String> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(leader) = stream_leader(log).await
            && Some(leader.as_str()) != not
        {
            return Some(leader);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Asks the stream leader to step down, preferring `to` (servers that do not take a preference
/// elect any current replica; the caller checks who won).
async fn step_down(log: &JetStreamLog, stream: &str, to: &str) -> Result<(), String> {
    let subject = format!("$JS.API.STREAM.LEADER.STEPDOWN.{stream}");
    let body = serde_json::json!({ "placement": { "preferred": to } }).to_string();
    let reply = tokio::time::timeout(
        Duration::from_secs(3),
        log.inner.client.request(subject.clone(), body.into()),
    )
    .await
    .map_err(|_| "stepdown: no answer".to_string())?
    .map_err(|e| format!("stepdown: {e}"))?;
    let answer: Value = serde_json::from_slice(&reply.payload).map_err(|e| e.to_string())?;
    if answer["success"] == Value::Bool(true) {
        return Ok(());
    }
    // A server that refuses a body: a plain stepdown.
    let reply = tokio::time::timeout(
        Duration::from_secs(3),
        log.inner.client.request(subject, "".into()),
    )
    .await
    .map_err(|_| "stepdown: no answer".to_string())?
    .map_err(|e| format!("stepdown: {e}"))?;
    let plain: Value = serde_json::from_slice(&reply.payload).map_err(|e| e.to_string())?;
    if plain["success"] == Value::Bool(true) {
        Ok(())
    } else {
        Err(format!("stepdown refused: {answer} / {plain}"))
    }
}

/// A node's own view of the stream from its monitoring port: (messages, first seq, last seq).
fn node_state(cluster: &NatsCluster, node: usize, stream: &str) -> Option<(u64, u64, u64)> {
    let (status, body) = cluster
        .monitor(node, "/jsz?accounts=true&streams=true")
        .ok()?;
    if status != 200 {
        return None;
    }
    let jsz: Value = serde_json::from_str(&body).ok()?;
    let accounts = jsz["account_details"].as_array()?;
    let detail = accounts
        .iter()
        .filter_map(|a| a["stream_detail"].as_array())
        .flatten()
        .find(|s| s["name"] == stream)?;
    let state = &detail["state"];
    Some((
        state["messages"].as_u64()?,
        state["first_seq"].as_u64()?,
        state["last_seq"].as_u64()?,
    ))
}

/// Waits until the leader reports both followers current with no lag and every node's own
/// state holds the leader's last sequence.
async fn wait_caught_up(log: &JetStreamLog, cluster: &NatsCluster, stream: &str) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    while Instant::now() < deadline {
        if let Some(info) = stream_info(log).await {
            let last = info.state.last_sequence;
            let replicas = info.cluster.as_ref().map(|c| c.replicas.clone());
            let followers_current = replicas.as_ref().is_some_and(|r| {
                r.len() == 2
                    && r.iter()
                        .all(|p| p.current && !p.offline && p.lag.unwrap_or(0) == 0)
            });
            let nodes: Vec<_> = (0..cluster.node_count())
                .map(|i| node_state(cluster, i, stream))
                .collect();
            if followers_current
                && nodes
                    .iter()
                    .all(|s| s.is_some_and(|(n, first, l)| l == last && n == last && first == 1))
            {
                return last;
            }
            seen = format!("leader last {last}, followers {replicas:?}, nodes {nodes:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the replicas did not catch up: {seen}\n{}", cluster.logs());
}

/// Makes `node` the stream leader and reads the whole stream from it: its own copy.
async fn read_replica(
    log: &JetStreamLog,
    cluster: &NatsCluster,
    node: usize,
    stream: &str,
    last: u64,
) -> BTreeMap<u64, Envelope> {
    let name = cluster.node(node).name().to_string();
    for _ in 0..20 {
        let leader = wait_leader(log, None, Duration::from_secs(10)).await;
        if leader.as_deref() != Some(name.as_str()) {
            match step_down(log, stream, &name).await {
                Ok(()) => eprintln!("stepped {leader:?} down for {name}"),
                Err(e) => eprintln!("{e}"),
            }
            wait_leader(log, leader.as_deref(), Duration::from_secs(10)).await;
            continue;
        }
        let copy = match log.read_all(1, last as usize + 1).await {
            Ok(all) => all,
            Err(e) => {
                eprintln!("reading {name}'s copy: {e}; again");
                continue;
            }
        };
        if stream_leader(log).await.as_deref() != Some(name.as_str()) {
            continue; // the leader moved while reading: the copy may be mixed
        }
        return copy.into_iter().map(|p| (p.position, p.event)).collect();
    }
    panic!("could not make {name} the stream leader to read its copy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_stream_leader_under_load_loses_and_duplicates_nothing() {
    let _turn = ONE_CLUSTER_AT_A_TIME.lock().await;
    let started = Instant::now();
    let mut cluster = NatsCluster::start();
    let cluster_up = started.elapsed();
    let config = cluster_config(&cluster, None);
    let mut logs = vec![open_log(&config, &cluster).await];
    for node in 0..WRITERS - 1 {
        logs.push(open_log(&cluster_config(&cluster, Some(node)), &cluster).await);
    }
    let info = stream_info(&logs[0]).await.expect("stream info");
    assert_eq!(info.config.num_replicas, 3, "the log created an R3 stream");

    let shared = Arc::new(Shared {
        record: Mutex::new(Record::default()),
        acked: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        deadline: started + BUDGET - Duration::from_secs(20),
    });
    let mut tasks = tokio::task::JoinSet::new();
    let mut contested = Vec::new();
    for _ in 0..CONTESTED {
        let app = crate::ids::new_v7();
        let first = conformance::event(&app, 1, "");
        // Retried like every other append here: a three-node cluster answers the stream's
        // creation before every server routes its subjects, so the very first publishes can find
        // no stream ("unavailable") for a moment.
        let Outcome::Acked(position) = settle(&logs[0], &first, 0, &shared).await else {
            panic!("first event of {app} not acknowledged\n{}", cluster.logs());
        };
        shared.ack(0, &first, position);
        contested.push(app);
    }
    for (writer, log) in logs.iter().enumerate() {
        for _ in 0..LANES {
            tasks.spawn(lane(writer, log.clone(), shared.clone()));
        }
        for app in &contested {
            tasks.spawn(racer(writer, log.clone(), app.clone(), shared.clone()));
        }
    }

    // Load before the fault.
    let wait_acks = |target: u64, limit: Duration| {
        let shared = shared.clone();
        async move {
            let deadline = Instant::now() + limit;
            while shared.acked.load(Ordering::SeqCst) < target && Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            shared.acked.load(Ordering::SeqCst)
        }
    };
    wait_acks(300, Duration::from_secs(10)).await;
    let loaded = started.elapsed();

    let leader = stream_leader(&logs[0]).await.expect("a stream leader");
    let victim = cluster
        .index_of(&leader)
        .unwrap_or_else(|| panic!("leader {leader} is not one of the nodes"));
    let before = shared.acked.load(Ordering::SeqCst);
    cluster.kill9(victim);
    let killed = Instant::now();

    // The load goes on against the other two nodes: wait for a new leader and new acks.
    let new_leader = wait_leader(&logs[0], Some(&leader), Duration::from_secs(20))
        .await
        .unwrap_or_else(|| {
            panic!(
                "no new stream leader after killing {leader}\n{}",
                cluster.logs()
            )
        });
    let elected = killed.elapsed();
    let after = wait_acks(before + 200, Duration::from_secs(20)).await;
    assert!(
        after >= before + 200,
        "appends did not resume after the failover ({before} -> {after})"
    );
    let failover = killed.elapsed();

    cluster.restart(victim);
    wait_acks(after + 200, Duration::from_secs(10)).await;
    shared.stop.store(true, Ordering::SeqCst);
    let stopped = Instant::now();
    let joined = tokio::time::timeout(Duration::from_secs(25), async {
        while let Some(r) = tasks.join_next().await {
            r.expect("writer task");
        }
    })
    .await;
    assert!(joined.is_ok(), "writers did not finish");
    let settled_in = stopped.elapsed();

    let stream = config.stream.clone();
    let last = wait_caught_up(&logs[0], &cluster, &stream).await;
    let caught_up = started.elapsed();

    let mut copies = Vec::new();
    for node in 0..cluster.node_count() {
        let copy = read_replica(&logs[0], &cluster, node, &stream, last).await;
        copies.push((cluster.node(node).name().to_string(), copy));
    }

    let record = shared.note(std::mem::take);
    eprintln!(
        "cluster fault test: cluster up in {cluster_up:?}; killed leader {leader} at {loaded:?} \
         after {before} acks; new leader {new_leader} reported {elected:?} after the kill; {} \
         more acks within {failover:?}; writers settled in \
         {settled_in:?}; caught up at {caught_up:?}; {} acks ({} after an unacknowledged attempt), {} events \
         stored, {} races lost; retried {:?}; samples {:?}; unsettled {}; total {:?}",
        after - before,
        record.acks.len(),
        record.resolved,
        last,
        record.lost,
        record.retried,
        record.samples,
        record.unsettled.len(),
        started.elapsed()
    );
    assert!(record.failures.is_empty(), "{:#?}", record.failures);
    assert!(
        record.unsettled.is_empty(),
        "appends neither acknowledged nor refused by the deadline: {:?}",
        record.unsettled
    );
    // The writer that knew only the killed node failed over to the others.
    let orphan = 1 + victim;
    assert!(
        record
            .acks
            .iter()
            .any(|a| a.writer == orphan && a.at > killed),
        "the writer connected only to {leader} never wrote again after it was killed"
    );

    // Every replica holds the same events at the same positions, with no holes.
    let (first_name, reference) = &copies[0];
    assert_eq!(
        reference.keys().copied().collect::<Vec<_>>(),
        (1..=last).collect::<Vec<_>>(),
        "{first_name}'s copy has holes"
    );
    for (name, copy) in &copies[1..] {
        assert!(
            copy == reference,
            "{name}'s copy differs from {first_name}'s ({} vs {} events)",
            copy.len(),
            reference.len()
        );
    }

    // Exactly once: no event id twice, no (app, seq) twice.
    let mut by_id: HashMap<&str, u64> = HashMap::new();
    let mut by_app: BTreeMap<&str, Vec<&Envelope>> = BTreeMap::new();
    for (position, event) in reference {
        if let Some(other) = by_id.insert(&event.id, *position) {
            panic!("event {} stored twice, at {other} and {position}", event.id);
        }
        by_app.entry(&event.app).or_default().push(event);
    }

    // One winner per (app, seq) among the acknowledgements, and each is stored where it was
    // acknowledged.
    let mut winners: HashMap<(&str, u64), &str> = HashMap::new();
    for ack in &record.acks {
        if let Some(other) = winners.insert((&ack.app, ack.seq), &ack.id) {
            panic!(
                "two appends acknowledged for {} seq {}: {other} and {}",
                ack.app, ack.seq, ack.id
            );
        }
        let stored = by_id.get(ack.id.as_str()).copied();
        assert_eq!(
            stored,
            Some(ack.position),
            "acknowledged event {} ({} seq {}) at {} is stored at {stored:?}",
            ack.id,
            ack.app,
            ack.seq,
            ack.position
        );
    }

    // Every chain is intact (seq 1..n, prev_hash links, hashes, signatures).
    let key = GatewayKey::from_seed([3; 32]).public();
    for (app, events) in &by_app {
        let mut previous: Option<&Envelope> = None;
        for event in events {
            if let Err(e) = event.verify_link(previous, &key) {
                panic!("chain of {app} broken at seq {}: {e}", event.seq);
            }
            previous = Some(event);
        }
    }

    // Nothing landed that nobody was told about, beyond events still unsettled at the deadline.
    let acked: HashSet<&str> = record.acks.iter().map(|a| a.id.as_str()).collect();
    let unexplained: Vec<_> = by_id
        .keys()
        .filter(|id| !acked.contains(*id) && !record.unsettled.contains(**id))
        .collect();
    assert!(
        unexplained.is_empty(),
        "stored but never acknowledged: {unexplained:?}"
    );
    assert!(record.lost > 0, "the racers never raced");
    assert!(started.elapsed() < BUDGET, "took {:?}", started.elapsed());
}

/// A replicated stream just created takes its first append at once, from whichever node the
/// gateway is connected to, and opening it stored nothing: the readiness probe is refused by the
/// stream, never kept. (The race the probe waits out depends on timing and seldom shows on a
/// quiet machine: it failed the leader-kill test's first append once in a full suite run. What
/// this pins down every time is that the probe leaves the log untouched.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_replicated_stream_takes_its_first_append_at_once() {
    let _turn = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = NatsCluster::start();
    for round in 0..6 {
        let mut config = cluster_config(&cluster, Some(round % 3));
        config.stream = format!("FRESH{round}");
        config.subject_prefix = format!("fresh{round}.app");
        let log = open_log(&config, &cluster).await;
        let info = stream_info(&log).await.expect("stream info");
        assert_eq!(
            info.state.messages, 0,
            "round {round}: opening stored a message"
        );
        let event = conformance::event(&crate::ids::new_v7(), 1, "");
        if let Err(e) = log.append(event, 0).await {
            panic!(
                "round {round}: the first append on a fresh stream failed: {e:?}\n{}",
                cluster.logs()
            );
        }
    }
}

/// A gateway that starts while its cluster has no quorum (two of three nodes down, or not yet
/// up) waits for it: JetStream answers nothing or "temporarily unavailable" (10008), and a fresh
/// cluster refuses to place a replicated stream until it has seen its peers (10005); the log
/// opens once the nodes are back, rather than failing at the first refusal. Both come back: a
/// quorum alone is not always enough, as the meta leader places an R3 stream only on peers it
/// counts as online, and on a slow machine it has marked a killed node offline before the
/// second one returns (then 10005 lasts until the third is back too).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_opened_while_its_cluster_is_down_waits_for_it() {
    let _turn = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster = NatsCluster::start();
    cluster.kill9(1);
    cluster.kill9(2);
    let mut config = cluster_config(&cluster, Some(0));
    config.stream = "WAITS".into();
    config.subject_prefix = "waits.app".into();
    let opening = tokio::spawn(async move { JetStreamLog::open(&config).await });
    tokio::time::sleep(Duration::from_secs(3)).await;
    if opening.is_finished() {
        let outcome = opening.await.expect("task").map(|_| "opened");
        panic!("with two nodes of three down: {outcome:?}");
    }
    tokio::task::block_in_place(|| {
        cluster.restart(1);
        cluster.restart(2);
    });
    let log = match opening.await.expect("task") {
        Ok(log) => log,
        Err(e) => panic!(
            "open once the cluster has a quorum: {e}\n{}",
            cluster.logs()
        ),
    };
    let info = stream_info(&log).await.expect("stream info");
    assert_eq!(info.config.num_replicas, 3);
}

/// An application's whole history reads the same through every node of a replicated stream,
/// including the event acknowledged a moment before: batches may be answered by a replica still
/// behind the leader, and what they lack is read from the leader (40 events span three
/// test-sized batches).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_history_reads_the_same_through_every_node() {
    let _turn = ONE_CLUSTER_AT_A_TIME.lock().await;
    let cluster = NatsCluster::start();
    let writer = open_log(&cluster_config(&cluster, None), &cluster).await;
    let app = crate::ids::new_v7();
    let mut written = conformance::append_chain(&writer, &app, 40).await;
    let mut readers = Vec::new();
    for node in 0..3 {
        readers.push(open_log(&cluster_config(&cluster, Some(node)), &cluster).await);
    }
    for round in 0..5u64 {
        let seq = written.len() as u64 + 1;
        let prev = written.last().map(|e| e.hash.clone()).unwrap_or_default();
        let next = conformance::event(&app, seq, &prev);
        writer.append(next.clone(), seq - 1).await.expect("append");
        written.push(next);
        for (node, reader) in readers.iter().enumerate() {
            let read = reader.read(&app).await.expect("read");
            assert_eq!(
                read.len(),
                written.len(),
                "round {round}, through node {node}: {} of {} events",
                read.len(),
                written.len()
            );
            assert_eq!(read, written, "round {round}, through node {node}");
        }
    }
}

/// A gateway connected to the one node left of an R3 cluster (the other two stopped: no quorum)
/// counts its log as unavailable once the head poll has gone unanswered for a few seconds,
/// though its connection is up, and as available again once the nodes are back. Before, the
/// log counted as available throughout while every append waited out its timeout and answered
/// 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_without_quorum_counts_as_unavailable_until_it_is_back() {
    let _turn = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster = NatsCluster::start();
    let mut config = cluster_config(&cluster, Some(0));
    config.stream = "QUORUM".into();
    config.subject_prefix = "quorum.app".into();
    let log = open_log(&config, &cluster).await;
    conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
    assert!(log.available(), "{:?}", log.refusal().map(|r| r.why));
    tokio::task::block_in_place(|| {
        cluster.kill9(1);
        cluster.kill9(2);
    });
    // The node left may answer for its stream until it finds it has no quorum (its log says
    // "has NO quorum, stalled"), which took some 20 s on a loaded host; then the head poll
    // goes unanswered and the log counts as unavailable within seconds.
    let started = Instant::now();
    while log.available() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "still available without a quorum\n{}",
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        log.inner.client.connection_state(),
        async_nats::connection::State::Connected,
        "the node left must still be connected: this is not the disconnected case"
    );
    let refusal = log.refusal().expect("a refusal");
    assert!(!refusal.restart_required, "{}", refusal.why);
    assert!(refusal.why.contains("have not answered"), "{}", refusal.why);
    tokio::task::block_in_place(|| {
        cluster.restart(1);
        cluster.restart(2);
    });
    let back = Instant::now();
    while !log.available() {
        assert!(
            back.elapsed() < Duration::from_secs(30),
            "still unavailable with the cluster back: {:?}\n{}",
            log.refusal().map(|r| r.why),
            cluster.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
}

/// A gateway connected to a node that lives on while the stream's leader is killed counts its
/// log as unavailable from the first append answered that no server takes the stream's writes
/// (no leader, during the election), not after the head poll's verdict of several seconds, and
/// as available again from the first append acknowledged after it. Before, `/healthz` said "ok"
/// through a five-second election in which every write answered 503, and the count of refused
/// writes said the log took writes again while it did not (an operator's walkthrough).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_answered_that_no_server_takes_writes_counts_the_log_unavailable_at_once() {
    let _turn = ONE_CLUSTER_AT_A_TIME.lock().await;
    let mut cluster = NatsCluster::start();
    let mut config = cluster_config(&cluster, None);
    config.stream = "ELECTION".into();
    config.subject_prefix = "election.app".into();
    let all = open_log(&config, &cluster).await;
    conformance::append_chain(&all, &crate::ids::new_v7(), 1).await;
    let leader = wait_leader(&all, None, Duration::from_secs(10))
        .await
        .expect("a stream leader");
    let victim = cluster.index_of(&leader).expect("the leader is a node");
    let survivor = (victim + 1) % 3;
    let mut on_survivor = cluster_config(&cluster, Some(survivor));
    on_survivor.stream = config.stream.clone();
    on_survivor.subject_prefix = config.subject_prefix.clone();
    let log = open_log(&on_survivor, &cluster).await;
    conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
    assert!(log.available(), "{:?}", log.refusal().map(|r| r.why));
    drop(all);
    tokio::task::block_in_place(|| cluster.kill9(victim));
    let started = Instant::now();
    let mut refused = 0;
    let mut no_responders = 0;
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no append acknowledged a minute after the leader was killed\n{}",
            cluster.logs()
        );
        let app = crate::ids::new_v7();
        match log.append(conformance::event(&app, 1, ""), 0).await {
            Ok(_) if refused > 0 => break,
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            Err(LogError::Unavailable(why)) if why.contains("no server takes the writes") => {
                refused += 1;
                no_responders += 1;
                let refusal = log.refusal().expect("unavailable from this very answer");
                assert!(
                    refusal.why.contains("no server takes the writes"),
                    "{}",
                    refusal.why
                );
                assert!(!refusal.restart_required, "{}", refusal.why);
            }
            Err(_) => refused += 1,
        }
    }
    assert!(
        no_responders > 0,
        "the election answered no append that no server takes the stream's writes ({refused} \
         refused otherwise): the case this test is about did not arise"
    );
    assert!(
        log.available(),
        "an acknowledged append counts the log available again: {:?}",
        log.refusal().map(|r| r.why)
    );
}
