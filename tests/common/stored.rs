//! The embedded log's stored events changed while no gateway runs, as whoever can write its disk
//! could: an event rewritten, removed, or appended with a seal of its own. For the tests of what
//! the gateway, its projections and its tools make of such a log.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tongban_gateway::envelope::{Content, Envelope, GatewayKey};
use tongban_gateway::log::{EmbeddedLog, EventLog};

/// Rewrites the `data` of the application's event at `seq` in place in the stored log (its
/// position, seq, hash and signature left as they were), as an attacker with disk access could;
/// returns its position.
pub fn rewrite(log_dir: &Path, app: &str, seq: u64, change: impl Fn(&mut Value)) -> u64 {
    rewrite_event(log_dir, app, seq, |e| change(&mut e["data"]))
}

/// Changes the application's stored event at `seq` as a whole (its `data`, `hash`, `sig`…) in
/// the stored log; returns its position.
pub fn rewrite_event(log_dir: &Path, app: &str, seq: u64, change: impl Fn(&mut Value)) -> u64 {
    on_stored(log_dir, app, seq, |events, key, mut e| {
        change(&mut e);
        events
            .insert(key, serde_json::to_vec(&e).expect("json"))
            .expect("insert");
    })
}

/// Deletes the application's event at `seq` from the stored log, as an attacker with disk access
/// would; returns its position.
pub fn remove(log_dir: &Path, app: &str, seq: u64) -> u64 {
    on_stored(log_dir, app, seq, |events, key, _| {
        events.remove(key).expect("remove")
    })
}

/// Overwrites the application's stored event at `seq` with `bytes` that are not an event (bit
/// rot on the disk); returns its position.
pub fn damage(log_dir: &Path, app: &str, seq: u64, bytes: &[u8]) -> u64 {
    on_stored(log_dir, app, seq, |events, key, _| {
        events.insert(key, bytes).expect("insert")
    })
}

/// Does `what` to the application's event at `seq` in the stored log (given the log's events,
/// its key and the event), and persists it; returns its position.
fn on_stored(
    log_dir: &Path,
    app: &str,
    seq: u64,
    what: impl FnOnce(&fjall::Keyspace, Vec<u8>, Value),
) -> u64 {
    let db = fjall::Database::builder(log_dir).open().expect("open log");
    let events = db
        .keyspace("events", fjall::KeyspaceCreateOptions::default)
        .expect("events");
    let mut target = None;
    for guard in events.iter() {
        let (k, v) = guard.into_inner().expect("kv");
        let e: Value = serde_json::from_slice(&v).expect("event json");
        if e["app"] == json!(app) && e["seq"] == json!(seq) {
            target = Some((k.to_vec(), e));
        }
    }
    let (key, event) = target.expect("the event");
    let position = u64::from_be_bytes(key.as_slice().try_into().expect("an eight-byte position"));
    what(&events, key, event);
    db.persist(fjall::PersistMode::SyncAll).expect("persist");
    position
}

/// Stores the application's events `a` and `b` in each other's places in the log (its index
/// left as it was), as an attacker with disk access could.
pub fn swap(log_dir: &Path, app: &str, a: u64, b: u64) {
    let db = fjall::Database::builder(log_dir).open().expect("open log");
    let events = db
        .keyspace("events", fjall::KeyspaceCreateOptions::default)
        .expect("events");
    let mut found = BTreeMap::new();
    for guard in events.iter() {
        let (k, v) = guard.into_inner().expect("kv");
        let e: Value = serde_json::from_slice(&v).expect("event json");
        if e["app"] == json!(app) && (e["seq"] == json!(a) || e["seq"] == json!(b)) {
            found.insert(e["seq"].as_u64().expect("seq"), (k.to_vec(), v.to_vec()));
        }
    }
    let (ka, va) = found.remove(&a).expect("event a");
    let (kb, vb) = found.remove(&b).expect("event b");
    events.insert(ka, vb).expect("insert");
    events.insert(kb, va).expect("insert");
    db.persist(fjall::PersistMode::SyncAll).expect("persist");
}

/// Appends to `app`'s history in the data directory `data`, through the log's own writer,
/// `content` sealed with the gateway's own key after the application's last event, then changed
/// by `tamper` (nothing: what a newer build would have written; a zeroed `sig`: an event planted
/// without the key); returns its position.
pub fn append(data: &Path, app: &str, content: Content, tamper: impl FnOnce(&mut Envelope)) -> u64 {
    with_log(data, async |log, key| {
        let history = log.read(app).await.expect("read");
        let last = history.last().expect("a history");
        let mut event = Envelope::sealed_after(Some(last), app, content, key);
        tamper(&mut event);
        log.append(event, last.seq).await.expect("append")
    })
}

/// Appends, in the data directory `data`, the first event of a new application `app`: `content`
/// sealed with the gateway's own key, then changed by `tamper`; returns its position.
#[allow(dead_code)]
pub fn append_first(
    data: &Path,
    app: &str,
    content: Content,
    tamper: impl FnOnce(&mut Envelope),
) -> u64 {
    with_log(data, async |log, key| {
        let mut event = Envelope::sealed_after(None, app, content, key);
        tamper(&mut event);
        log.append(event, 0).await.expect("append")
    })
}

/// `what`, given the log of the data directory `data` (opened through its own writer) and the
/// gateway's own key, run to its end.
fn with_log<T>(data: &Path, what: impl AsyncFnOnce(&EmbeddedLog, &GatewayKey) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let out = runtime.block_on(async {
        let log = EmbeddedLog::open(&data.join("log")).expect("open the log");
        let key = GatewayKey::load_or_create(&data.join("gateway.key")).expect("key");
        what(&log, &key).await
    });
    released(&data.join("log"));
    out
}

/// Waits until the log in `log_dir` is no longer open in this process. The log's writer thread
/// holds the store until it sees the log dropped, a moment after: a `tongban` command started
/// at once found the store locked and said a gateway was running (a suite run on a loaded
/// machine). Opening the store succeeds only once the writer let it go; fjall's own drop waits
/// for its threads, so it is free again when this returns.
fn released(log_dir: &Path) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match fjall::Database::builder(log_dir).open() {
            Ok(db) => return drop(db),
            Err(fjall::Error::Locked) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(e) => panic!("the log in {} is not released: {e}", log_dir.display()),
        }
    }
}

/// Appends to the log of the data directory `data` the submission of application `app` again,
/// sealed with the gateway's own key as the first event of application `as_app`: what a
/// gateway deriving application ids another way (a version before keyed ids, after a rollback)
/// writes for a retry of that submission. Returns its position.
pub fn resubmitted_as(data: &Path, app: &str, as_app: &str) -> u64 {
    with_log(data, async |log, key| {
        let history = log.read(app).await.expect("read");
        let submitted = history.first().expect("a submission");
        let content = Content {
            kind: submitted.kind.clone(),
            schema: submitted.schema.clone(),
            region: submitted.region.clone(),
            actor: submitted.actor.clone(),
            at: submitted.at.clone(),
            data: submitted.data.clone(),
        };
        let event = Envelope::sealed_after(None, as_app, content, key);
        log.append(event, 0).await.expect("append")
    })
}

/// Stores `bytes` at the position after the stored log's last, as damage on the disk or a
/// partial write would leave them (no index entry, nothing that reads as an event); returns the
/// position.
pub fn plant_after_end(log_dir: &Path, bytes: &[u8]) -> u64 {
    let db = fjall::Database::builder(log_dir).open().expect("open log");
    let events = db
        .keyspace("events", fjall::KeyspaceCreateOptions::default)
        .expect("events");
    let last = events.last_key_value().map_or(0, |guard| {
        let key = guard.key().expect("key");
        u64::from_be_bytes(key.as_ref().try_into().expect("an eight-byte position"))
    });
    let position = last + 1;
    events.insert(position.to_be_bytes(), bytes).expect("plant");
    db.persist(fjall::PersistMode::SyncAll).expect("persist");
    position
}

/// A data directory (`data` in a new temporary directory, there while `dir` lives) whose
/// gateway, now stopped, took one application of the first proxy-mode example and its
/// forwarding: what the tests that then change its log on disk start from.
pub struct Forwarded {
    pub dir: super::TempDir,
    pub data: PathBuf,
    /// Every region's token, and the operator's.
    pub tokens: BTreeMap<String, String>,
    /// The submission's body.
    pub body: Value,
    pub origin_code: String,
    pub lead_code: String,
    /// The application's id.
    pub id: String,
}

/// [`Forwarded`], in a temporary directory named for `name`.
pub fn forwarded(name: &str) -> Forwarded {
    let dir = super::TempDir::new(name);
    let data = dir.0.join("data");
    let tokens = super::register_regions(&data);
    let mut gw = super::Gateway::start(&data, false);
    let (body, origin, _) = super::parties(&gw, &data, "proxy");
    let origin_code = body["origin"].as_str().expect("origin").to_string();
    let lead_code = body["handlers"][0].as_str().expect("lead").to_string();
    let forward = (&origin, "forward", json!({"materials_checked": true}));
    let id = super::application(&origin, &body, &[forward]);
    assert!(gw.terminate().success());
    Forwarded {
        dir,
        data,
        tokens,
        body,
        origin_code,
        lead_code,
        id,
    }
}

/// The lead handler's acceptance, as content to seal and [`append`]: in `lead`, by its `actor`
/// (who, inside the region).
pub fn acceptance(lead: &str, actor: &str) -> Content {
    Content {
        kind: "application.accepted".into(),
        schema: "application.accepted/1".into(),
        region: lead.to_string(),
        actor: format!("{lead}/{actor}"),
        at: "2026-12-03T02:00:00.000Z".into(),
        data: json!({}),
    }
}
