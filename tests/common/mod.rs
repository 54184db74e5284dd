//! Test harness: runs the real `tongban` binary on a random loopback port and talks HTTP/1.1 to it
//! over real sockets.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The real nats-server harness, shared with the gateway crate's own tests.
#[path = "../../gateway/src/testnats.rs"]
pub mod nats;
pub mod signed_here;
pub mod stored;

pub const BIN: &str = env!("CARGO_BIN_EXE_tongban");

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "tongban-e2e-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running gateway process.
pub struct Gateway {
    pub child: Child,
    pub addr: String,
    pub stderr_log: PathBuf,
    /// The line the gateway prints after its address (where its pages and API are).
    pub banner: String,
}

impl Gateway {
    /// Starts `tongban serve` on `data` (with `--demo` when asked) and waits until it listens.
    pub fn start(data: &Path, demo: bool) -> Gateway {
        Gateway::start_with(data, demo, &[])
    }

    /// Like [`Gateway::start`], with more `serve` arguments (e.g. `--nats URL`).
    pub fn start_with(data: &Path, demo: bool, extra: &[&str]) -> Gateway {
        Gateway::start_env(data, demo, extra, &[])
    }

    /// Like [`Gateway::start_with`], with environment variables (e.g. a test hook).
    pub fn start_env(data: &Path, demo: bool, extra: &[&str], env: &[(&str, &str)]) -> Gateway {
        // One log per start: a gateway started again on the same data must not find the last
        // one's lines in its own log (a test counting ERROR lines would count both).
        static STARTS: AtomicU64 = AtomicU64::new(0);
        let stderr_log = data.with_extension(format!(
            "stderr.{}.log",
            STARTS.fetch_add(1, Ordering::Relaxed)
        ));
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&stderr_log)
            .expect("stderr log");
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg("--data")
            .arg(data)
            .arg("--listen")
            .arg("127.0.0.1:0");
        if demo {
            cmd.arg("--demo");
        }
        cmd.args(extra);
        cmd.envs(env.iter().copied());
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn tongban");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut addr = None;
        let mut banner = String::new();
        while Instant::now() < deadline {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.strip_prefix("tongban listening on http://") {
                        addr = rest.split_whitespace().next().map(str::to_string);
                        banner = lines.next().and_then(Result::ok).unwrap_or_default();
                        break;
                    }
                }
                _ => break,
            }
        }
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        let addr = addr.unwrap_or_else(|| {
            let log = std::fs::read_to_string(&stderr_log).unwrap_or_default();
            panic!("gateway did not start; stderr:\n{log}")
        });
        Gateway {
            child,
            addr,
            stderr_log,
            banner,
        }
    }

    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on Unix
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").arg("-TERM").arg(&pid).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                self.kill9();
                panic!("gateway did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn client(&self, token: Option<&str>) -> Client {
        Client {
            addr: self.addr.clone(),
            token: token.map(str::to_string),
        }
    }
}

impl Drop for Gateway {
    /// Stops the gateway and scans what it logged for the fixtures' personal data, so every
    /// end-to-end test that runs a gateway checks that nothing personal reached its logs.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill9();
        }
        if std::thread::panicking() {
            return;
        }
        let log = std::fs::read_to_string(&self.stderr_log).unwrap_or_default();
        if let Some(leak) = fixture_personal_values()
            .iter()
            .find(|v| log.contains(v.as_str()))
        {
            panic!(
                "personal data {leak:?} appears in the gateway log {}",
                self.stderr_log.display()
            );
        }
    }
}

/// The personal values (names, ID numbers, phones) of every matter's published example.
pub fn fixture_personal_values() -> Vec<String> {
    let matters: Vec<Value> = tongban_schemas::matters::all()
        .iter()
        .map(|m| serde_json::json!({"example": m.example()}))
        .collect();
    personal_values(&serde_json::json!({ "matters": matters }))
}

pub fn tokens(data: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(data.join("demo-tokens.json")).expect("demo-tokens.json");
    serde_json::from_str(&text).expect("tokens json")
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The `held` record of an answer that must be 503 `application-held`: the application is
    /// held at an event its projections do not fold.
    pub fn held(&self) -> Value {
        assert_eq!(self.status, 503, "{}", String::from_utf8_lossy(&self.body));
        let p = self.json();
        assert_eq!(
            p["type"],
            json!("urn:tongban:problem:application-held"),
            "{p}"
        );
        p["held"].clone()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A minimal HTTP/1.1 client: one connection per request, `Connection: close`.
#[derive(Clone)]
pub struct Client {
    pub addr: String,
    pub token: Option<String>,
}

impl Client {
    pub fn get(&self, path: &str) -> Response {
        self.send("GET", path, &[], None).expect("GET")
    }

    pub fn post(&self, path: &str, body: &Value) -> Response {
        self.send("POST", path, &[], Some(body.to_string().as_bytes()))
            .expect("POST")
    }

    pub fn post_with(&self, path: &str, headers: &[(&str, &str)], body: &Value) -> Response {
        self.send("POST", path, headers, Some(body.to_string().as_bytes()))
            .expect("POST")
    }

    pub fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(t) = &self.token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        let has_content_type = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            if !has_content_type {
                req.push_str("Content-Type: application/json\r\n");
            }
            req.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        stream.write_all(req.as_bytes())?;
        if let Some(b) = body {
            stream.write_all(b)?;
        }
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_response(&raw).ok_or_else(|| std::io::Error::other("malformed HTTP response"))
    }
}

impl Client {
    /// Writes `request` exactly as given (a hand-made head, a partial body) and reads the answer.
    pub fn raw(&self, request: &[u8]) -> std::io::Result<Response> {
        let mut stream = TcpStream::connect(&self.addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        stream.write_all(request)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_response(&raw).ok_or_else(|| std::io::Error::other("malformed HTTP response"))
    }
}

/// What a client that never finishes its body is answered: `POST path` with `headers`, a body
/// declared `declared` bytes long of which only the first KiB is sent (with the head, in one
/// write), then nothing. `Ok` with the answer when one comes within `wait`; `Err` when none
/// does, the gateway waiting for the rest of the body. With `Expect: 100-continue` among
/// `headers`, an interim `100 Continue` is the answer returned.
pub fn answer_before_body(
    c: &Client,
    path: &str,
    headers: &[(&str, &str)],
    declared: usize,
    wait: Duration,
) -> Result<Response, String> {
    let mut stream = TcpStream::connect(&c.addr).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(wait))
        .map_err(|e| e.to_string())?;
    let mut head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {declared}\r\n",
        c.addr
    );
    if let Some(t) = &c.token {
        head.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut request = head.into_bytes();
    request.extend(std::iter::repeat_n(b'a', declared.min(1024)));
    stream.write_all(&request).map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let text = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length: usize = text
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            if raw.len() >= end + 4 + length {
                raw.truncate(end + 4 + length);
                return parse_response(&raw).ok_or_else(|| "malformed HTTP response".to_string());
            }
        }
        match stream.read(&mut buf) {
            Ok(0) => return Err("closed unanswered".to_string()),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("no answer within {wait:?} ({e})")),
        }
    }
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n")?;
            let size =
                usize::from_str_radix(std::str::from_utf8(&rest[..eol]).ok()?.trim(), 16).ok()?;
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
            rest = &rest[eol + 2 + size + 2..];
        }
        body = out;
    }
    Some(Response {
        status,
        headers,
        body,
    })
}

/// Runs `tongban <args> --data <data>`: its exit code (-1 when killed by a signal), standard
/// output and standard error.
pub fn tongban(args: &[&str], data: &Path) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("run tongban");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `program` run with `args`, `fed` written to its standard input, a pipe (none: nothing to
/// read): its exit code, and its output then its errors.
pub fn run_fed(program: &str, args: &[&str], fed: Option<&str>) -> (Option<i32>, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    // Written whole (a few lines, less than a pipe holds), then closed: the end of the file.
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(fed.unwrap_or_default().as_bytes())
        .expect("feed");
    drop(stdin);
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Every file below `dir`, with its bytes, by path: to show a command changed nothing.
pub fn files_below(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("dir") {
            let p = entry.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("below").display().to_string();
                out.push((rel, std::fs::read(&p).expect("file")));
            }
        }
    }
    out.sort();
    out
}

/// Runs `tongban <args> --data <data>`, which must succeed; returns its trimmed output.
pub fn tongban_on(data: &Path, args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("tongban");
    assert!(
        out.status.success(),
        "tongban {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Registers the six demo provinces and an operator with `tongban regions` (no demo data), and
/// writes their tokens to `<data>/demo-tokens.json` like `--demo` does.
pub fn register_regions(data: &Path) -> BTreeMap<String, String> {
    let mut tokens = BTreeMap::new();
    let run = |args: &[&str]| tongban_on(data, args);
    for (code, name) in tongban_gateway::demo::REGIONS {
        tokens.insert(code.to_string(), run(&["regions", "add", code, name]));
    }
    tokens.insert("operator".to_string(), run(&["regions", "operator"]));
    std::fs::write(
        data.join("demo-tokens.json"),
        serde_json::to_vec(&tokens).expect("json"),
    )
    .expect("write tokens");
    tokens
}

/// Every personal value of the published examples: names, ID numbers, phones (all strings under
/// `applicant`, plus phone-like and ID-like strings in forms), to look for in logs.
pub fn personal_values(matters: &Value) -> Vec<String> {
    fn walk(v: &Value, under_applicant: bool, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                let digits = s.chars().filter(|c| c.is_ascii_digit()).count();
                let id_or_phone = digits >= 11 && s.len() <= 18;
                if (under_applicant && s.chars().count() >= 2 && !s.is_ascii()) || id_or_phone {
                    out.push(s.clone());
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, under_applicant, out)),
            Value::Object(m) => {
                for (k, x) in m {
                    let pd_key = matches!(k.as_str(), "name" | "id_number" | "phone" | "applicant");
                    walk(x, under_applicant || pd_key, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for m in matters["matters"].as_array().into_iter().flatten() {
        walk(&m["example"]["applicant"], true, &mut out);
        walk(&m["example"]["form"], false, &mut out);
    }
    out.retain(|s| !s.chars().all(|c| c == '0'));
    out.sort();
    out.dedup();
    out
}

/// Fails if any of `values` appears in the file (a gateway's log).
pub fn assert_absent_from(path: &Path, values: &[String]) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(!text.is_empty(), "no log at {}", path.display());
    for v in values {
        assert!(
            !text.contains(v.as_str()),
            "personal data {v:?} appears in the log {}",
            path.display()
        );
    }
}

/// The positions of a region's feed page's items (events and markers alike), in its order.
pub fn feed_positions(page: &Value) -> Vec<u64> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|item| item["position"].as_u64().expect("position"))
        .collect()
}

/// Copies the directory tree `from` to `to`, file by file (a data directory or a NATS store,
/// taken as a backup while nothing writes to it).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The body of a successful answer (200 or 201), failing with the status and body otherwise.
pub fn success(r: &Response) -> Value {
    assert!(
        r.status == 200 || r.status == 201,
        "expected success, got {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// The id of the application a submission created, failing unless it answered 201.
pub fn created_id(r: &Response) -> String {
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["id"].as_str().expect("id").to_string()
}

/// Fails unless a submission sent again under its Idempotency-Key answered 200 with the
/// application `id` it created the first time.
pub fn resubmitted(r: &Response, id: &str) {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["id"], serde_json::json!(id));
}

/// The `detail` of a 503 `log-unavailable` problem (with `Retry-After`), which says what became
/// of the request; fails on any other answer.
pub fn log_unavailable(r: &Response) -> String {
    assert_eq!(
        r.status,
        503,
        "expected 503, got {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(
        r.json()["type"],
        serde_json::json!("urn:tongban:problem:log-unavailable")
    );
    assert!(r.header("retry-after").is_some());
    r.json()["detail"].as_str().expect("detail").to_string()
}

/// The published example (a valid canonical submission) of the matter `code`.
pub fn matter_example(c: &Client, code: &str) -> Value {
    let matters = c.get("/v1/matters").json();
    matters["matters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["code"] == serde_json::json!(code))
        .unwrap_or_else(|| panic!("no matter {code}"))["example"]
        .clone()
}

/// Moves a re-routed body's places into its route (`matters::jurisdiction::relocate`): a test
/// that sends a matter's example to other regions keeps the handlers' jurisdiction.
pub fn relocated(mut body: Value) -> Value {
    let code = body["matter"].as_str().unwrap_or_default();
    let matter = tongban_schemas::matters::get(code).unwrap_or_else(|| panic!("no matter {code}"));
    tongban_schemas::matters::jurisdiction::relocate(&matter.jurisdiction, &mut body);
    body
}

/// A demo application (`--demo`) that has come some way: the first in 浙江's inbox.
pub fn demo_application(gw: &Gateway, tokens: &BTreeMap<String, String>) -> String {
    let inbox = gw
        .client(Some(&tokens["330000"]))
        .get("/v1/regions/330000/inbox")
        .json();
    inbox["items"][0]["app"]
        .as_str()
        .expect("demo application")
        .to_string()
}

/// The first published example of a matter in `mode`, and clients for its origin and handlers.
pub fn parties(gw: &Gateway, data: &Path, mode: &str) -> (Value, Client, Vec<Client>) {
    let tokens = tokens(data);
    let matters = gw.client(None).get("/v1/matters").json();
    let body = matters["matters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["example"]["mode"] == json!(mode))
        .unwrap_or_else(|| panic!("a {mode} example"))["example"]
        .clone();
    let origin = gw.client(Some(&tokens[body["origin"].as_str().expect("origin")]));
    let handlers = body["handlers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| gw.client(Some(&tokens[h.as_str().expect("handler")])))
        .collect();
    (body, origin, handlers)
}

/// An application of the first published example in `mode` ([`parties`]), forwarded by its
/// origin and accepted by its lead handler: the example, the origin's and the handlers'
/// clients, and the application's id.
#[allow(dead_code)]
pub fn accepted(gw: &Gateway, data: &Path, mode: &str) -> (Value, Client, Vec<Client>, String) {
    let (body, origin, handlers) = parties(gw, data, mode);
    let id = application(
        &origin,
        &body,
        &[
            (&origin, "forward", json!({"materials_checked": true})),
            (&handlers[0], "accept", json!({})),
        ],
    );
    (body, origin, handlers, id)
}

/// Submits `body` through `origin` and takes it through `steps`; returns its id.
pub fn application(origin: &Client, body: &Value, steps: &[(&Client, &str, Value)]) -> String {
    let r = origin.post("/v1/applications", body);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["id"].as_str().expect("id").to_string();
    for (c, action, body) in steps {
        let r = c.post(&format!("/v1/applications/{id}/{action}"), body);
        assert_eq!(
            r.status,
            200,
            "{action}: {}",
            String::from_utf8_lossy(&r.body)
        );
    }
    id
}

/// Takes accepted application `id` through `pairs` suspensions and resumptions by its lead
/// handler `lead` (特别程序, the one pair the lifecycle lets come back, as often as the
/// gateway's `--max-suspensions` allows: 20 by default): a history two events longer each pair.
pub fn suspend_and_resume(lead: &Client, id: &str, pairs: usize) {
    let suspend = json!({"kind": "expert-review", "reason": "专家评审"});
    for _ in 0..pairs {
        for (action, body) in [("suspend", &suspend), ("resume", &json!({}))] {
            success(&lead.post(&format!("/v1/applications/{id}/{action}"), body));
        }
    }
}

/// Reads application `id`'s history through `c` a page of `limit` at a time, from its start to
/// its end, then from its middle and from its last event, and asserts that each page is the
/// whole history's events after the seq asked, with the hash of the event it follows, whether
/// more follow and the next page's `after_seq`, and that a page after a seq past the last is
/// refused (400 `beyond-history` at `query:after_seq`, naming the last seq). Answers the whole
/// history's events.
pub fn pages_agree_with_the_whole(c: &Client, id: &str, limit: usize) -> Vec<Value> {
    let whole = success(&c.get(&format!("/v1/applications/{id}/events")));
    let events = whole["events"].as_array().expect("events").clone();
    let page_after = |after: usize| {
        let page = success(&c.get(&format!(
            "/v1/applications/{id}/events?after_seq={after}&limit={limit}"
        )));
        let end = (after + limit).min(events.len());
        let expected = json!({
            "app": id,
            "after_seq": after,
            "after_hash": after.checked_sub(1).map(|i| events[i]["hash"].clone()),
            "events": events[after..end],
            "more": end < events.len(),
            "next_after_seq": end.max(after),
            "request_signatures": page["request_signatures"],
        });
        assert_eq!(page, expected, "after_seq {after}, limit {limit}");
        page
    };
    let mut after = 0;
    loop {
        let page = page_after(after);
        after = page["next_after_seq"].as_u64().expect("next") as usize;
        if page["more"] == json!(false) {
            break;
        }
    }
    assert_eq!(after, events.len());
    page_after(events.len() / 2);
    page_after(events.len());
    let past = c.get(&format!(
        "/v1/applications/{id}/events?after_seq={}",
        events.len() + 1
    ));
    let past = refused(&past, 400, "bad-request");
    let found = &past["errors"][0];
    assert_eq!(
        (&found["pointer"], &found["rule"]),
        (&json!("query:after_seq"), &json!("beyond-history")),
        "{past}"
    );
    let last = format!("(seq {})", events.len());
    assert!(
        found["message"].as_str().is_some_and(|m| m.contains(&last)),
        "{past}"
    );
    events
}

/// Writes `doc` to `file` and runs docs/audit/verify_chain.py on it with `key` and `options`:
/// exit code, stdout, stderr.
pub fn verify_chain(
    file: &std::path::Path,
    doc: &Value,
    key: &str,
    options: &[&str],
) -> (Option<i32>, String, String) {
    std::fs::write(file, doc.to_string()).expect("write");
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/audit/verify_chain.py"
        ))
        .arg("--key")
        .arg(key)
        .args(options)
        .arg(file)
        .output()
        .expect("python3");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `tongban serve` on `data`, expecting it to refuse to start: its exit code (`None`: it
/// was still running after 30 s, and was stopped) and error output.
pub fn refused_start(data: &std::path::Path) -> (Option<i32>, String) {
    let mut serve = std::process::Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("tongban serve");
    let waited = std::time::Instant::now();
    let status = loop {
        if let Some(status) = serve.try_wait().expect("wait") {
            break status.code();
        }
        if waited.elapsed() > std::time::Duration::from_secs(30) {
            let _ = serve.kill();
            let _ = serve.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut pipe) = serve.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut err);
    }
    (status, err)
}

/// A stopped gateway's data directory (`data` in a new temporary directory) holding two
/// applications forwarded and accepted, the ids of both, and the gateway's public key (hex).
pub fn two_accepted(name: &str) -> (TempDir, [String; 2], String) {
    let dir = TempDir::new(name);
    let data = dir.0.join("data");
    register_regions(&data);
    let mut gw = Gateway::start(&data, false);
    let (body, origin, handlers) = parties(&gw, &data, "proxy");
    let forward = (
        &origin,
        "forward",
        serde_json::json!({"materials_checked": true}),
    );
    let accept = (&handlers[0], "accept", serde_json::json!({}));
    let first = application(&origin, &body, &[forward.clone(), accept.clone()]);
    let second = application(&origin, &body, &[forward, accept]);
    let key = gw.client(None).get("/v1/keys").json()["keys"][0]["public_key_hex"]
        .as_str()
        .expect("key")
        .to_string();
    assert_eq!(gw.terminate().code(), Some(0));
    (dir, [first, second], key)
}

/// Asserts a problem+json refusal and returns the problem document.
pub fn refused(r: &Response, status: u16, slug: &str) -> Value {
    assert_eq!(
        r.status,
        status,
        "expected {status} {slug}, got {}: {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "not problem+json: {:?}",
        r.headers
    );
    let p = r.json();
    assert_eq!(
        p["type"],
        serde_json::json!(format!("urn:tongban:problem:{slug}")),
        "{p}"
    );
    assert_eq!(p["status"], serde_json::json!(status), "{p}");
    p
}

/// The line of application `id` in `region`'s `which` box (`inbox` or `outbox`), as `client`
/// reads it; panics, showing the page, when the box has none.
#[allow(dead_code)]
pub fn box_line(client: &Client, region: &str, which: &str, id: &str) -> Value {
    let page = client.get(&format!("/v1/regions/{region}/{which}")).json();
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["app"] == id)
        .unwrap_or_else(|| panic!("{id} in {region}'s {which}: {page}"))
        .clone()
}
