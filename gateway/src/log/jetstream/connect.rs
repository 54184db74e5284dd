//! Connecting to NATS and making sure the server and the stream are fit to hold the log.
//!
//! Two things are refused rather than worked around:
//! - servers older than 2.10: in 2.9.x clusters the per-subject concurrency check
//!   (`Nats-Expected-Last-Subject-Sequence`) let several concurrent appends win (nats-server #4320,
//!   fixed in 2.9.21), and only 2.10+ can fsync every write (`jetstream { sync_interval: always }`);
//! - an existing stream whose settings could lose or rewrite events (limits, deletes, purges,
//!   other subjects).

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::{self, stream};

/// The oldest server we accept (major, minor).
pub const MIN_SERVER: (u64, u64) = (2, 10);

/// Where and how to reach the JetStream log.
#[derive(Debug, Clone)]
pub struct JetStreamConfig {
    /// `nats://host:port` (several comma-separated URLs for a cluster).
    pub url: String,
    /// A `.creds` file (JWT + nkey seed), when the server requires one.
    pub creds: Option<PathBuf>,
    /// The stream holding every event.
    pub stream: String,
    /// Subjects are `<prefix>.<app id>`.
    pub subject_prefix: String,
    /// Replicas when the stream is created (3 in a production cluster); an existing stream keeps
    /// its own.
    pub replicas: usize,
    /// How long a request to NATS may take before the caller is told the log is unavailable.
    /// Bounded so that an outage answers 503 promptly instead of hanging requests.
    pub op_timeout: Duration,
    /// How often the head follower asks for the stream's last sequence (to see other gateways'
    /// writes; our own appends move the head at once).
    pub head_poll: Duration,
    /// Whether the stream's server also pushes this gateway the headers of every message it
    /// stores (a consumer of the stream, [`super::head`]), so the head moves within milliseconds
    /// of another gateway's append instead of at the next poll. Gateways only: the read-only
    /// tools (`create_stream` off) never listen.
    pub head_pushed: bool,
    /// Create the stream when it is missing (`serve`); read-only tools (`verify`) say no.
    pub create_stream: bool,
    /// With `create_stream`, whether a missing stream is made. A gateway whose data directory
    /// already follows a stream says no: there, a missing stream is a `--nats` naming the wrong
    /// servers (or a stream deleted), and a new empty stream made on them would be another log,
    /// which the gateway would then refuse anyway, leaving the stream behind.
    pub create_missing: bool,
    /// The public key (hex) of the gateway that would create the stream: recorded in a stream it
    /// creates (its metadata, [`SIGNER_METADATA`]), so that every gateway joining the stream later,
    /// before any event is in it too, can tell whether it signs with the stream's key.
    pub signer: Option<String>,
}

/// The stream metadata key under which the gateway that created the stream recorded its public
/// key (hex): the key every gateway of the stream signs with.
pub const SIGNER_METADATA: &str = "tongban.public_key";

/// What docs/operations.md's stream configuration holds in [`SIGNER_METADATA`] until an operator
/// puts the gateways' key there: a stream created from the block as it stands records no key.
pub const SIGNER_PLACEHOLDER: &str = "GATEWAY_PUBLIC_KEY_HEX";

/// What a stream's [`SIGNER_METADATA`] holds, read as the key it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedKey {
    /// A public key. Read as one, not compared as a string: a key typed into the metadata by
    /// hand may be in upper case hex or end in a newline, and is the same key.
    Key(crate::envelope::PublicKey),
    /// The docs' placeholder, left in a configuration sent as it stands.
    Placeholder,
    /// Anything else, with why it is no key.
    Unreadable(crate::envelope::KeyRefusal),
}

impl RecordedKey {
    /// Reads `value`, as the stream's metadata holds it.
    pub fn read(value: &str) -> RecordedKey {
        let value = value.trim();
        if value == SIGNER_PLACEHOLDER {
            return RecordedKey::Placeholder;
        }
        match crate::envelope::PublicKey::parse_hex(value) {
            Ok(key) => RecordedKey::Key(key),
            Err(why) => RecordedKey::Unreadable(why),
        }
    }

    /// Whether it is `key`.
    pub fn is(&self, key: &crate::envelope::PublicKey) -> bool {
        matches!(self, RecordedKey::Key(k) if k == key)
    }
}

/// The stream metadata key under which a gateway records how the stream's application ids
/// derive from Idempotency-Keys ([`crate::ids::Derivation`]): the one that makes the stream, and
/// a start that judges a missing or narrower record from the stream's submissions.
pub const APP_IDS_METADATA: &str = "tongban.app_ids";

impl JetStreamConfig {
    pub fn new(url: impl Into<String>) -> JetStreamConfig {
        JetStreamConfig {
            url: url.into(),
            creds: None,
            stream: "TONGBAN".into(),
            subject_prefix: "tongban.app".into(),
            replicas: 1,
            op_timeout: Duration::from_secs(3),
            head_poll: Duration::from_millis(100),
            head_pushed: true,
            create_stream: true,
            create_missing: true,
            signer: None,
        }
    }
}

/// How long the server remembers message ids: a client retry (same event id) within this window is
/// answered with the stored message instead of a second copy. Longer than any client's retry
/// budget; held in server memory.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot read NATS credentials {path}: {source}")]
    Creds {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("--nats: {0}")]
    Url(String),
    #[error(
        "NATS refused this gateway's user: {violation}. A gateway needs the NATS permissions \
         listed in docs/operations.md (\"NATS permissions\")"
    )]
    Denied { violation: String },
    #[error(
        "nats-server {version} is too old: tongban needs {}.{} or newer. 2.9.x lets several \
         concurrent appends win the per-subject concurrency check in clusters (nats-server #4320) \
         and cannot fsync every write (jetstream {{ sync_interval: always }} needs 2.10+)",
        MIN_SERVER.0,
        MIN_SERVER.1
    )]
    ServerTooOld { version: String },
    #[error("cannot tell the nats-server version from {version:?}")]
    UnknownVersion { version: String },
    #[error("JetStream request failed: {0}")]
    JetStream(String),
    #[error(
        "there is no stream {stream} on {urls}: check that --nats names the servers of the \
         federation's stream"
    )]
    NoStream { stream: String, urls: String },
    #[error("stream {stream} exists with settings unsafe for an event log: {problems}")]
    UnsafeStream { stream: String, problems: String },
    /// The servers are fewer than the replicas asked for: the stream was not created.
    #[error(
        "--nats-replicas {asked}: the stream was not created, the servers cannot hold {asked} \
         replicas ({reason}); start with --nats-replicas 1 on a single server, or run a cluster \
         of at least {asked} servers"
    )]
    Replicas { asked: usize, reason: String },
}

impl SetupError {
    /// Whether the start this refused made no stream: it failed before creating one, or found
    /// one already there. A key made for a new stream by that start was then recorded nowhere.
    pub fn made_no_stream(&self) -> bool {
        matches!(
            self,
            SetupError::Creds { .. }
                | SetupError::Connect { .. }
                | SetupError::Url(_)
                | SetupError::ServerTooOld { .. }
                | SetupError::UnknownVersion { .. }
                | SetupError::NoStream { .. }
                | SetupError::UnsafeStream { .. }
                | SetupError::Replicas { .. }
        )
    }
}

/// Parses `2.15.1`, `v2.10.0-beta.3` and the like into (major, minor, patch).
pub fn parse_version(version: &str) -> Option<(u64, u64, u64)> {
    let v = version.trim().trim_start_matches('v');
    let core = v.split(['-', '+', ' ']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next()??;
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// Refuses servers below [`MIN_SERVER`].
pub fn check_version(version: &str) -> Result<(), SetupError> {
    let (major, minor, _) = parse_version(version).ok_or_else(|| SetupError::UnknownVersion {
        version: version.to_string(),
    })?;
    if (major, minor) < MIN_SERVER {
        return Err(SetupError::ServerTooOld {
            version: version.to_string(),
        });
    }
    Ok(())
}

/// How often the client pings a server that has sent nothing: it drops the connection when a
/// third ping is due with two unanswered, about three of these after the server fell silent, and
/// connects to another server of the cluster. The client's default (a minute) left a gateway on
/// a hung server (stopped, or behind a network that drops packets without a reset) answering
/// every write 503 for three minutes while the rest of the cluster took writes (found by an
/// operator's walkthrough, `kill -STOP` on one node); five seconds costs one small frame each way
/// on an idle connection and is long past any pause of a loaded but live server.
pub const PING_INTERVAL: Duration = Duration::from_secs(5);

/// Connects, logging connection changes (never message contents). Reconnects forever, at most a
/// second apart, so the gateway recovers by itself when NATS comes back. A user and password (or
/// a token) in the URLs are the connection's credentials; they are never printed. The returned
/// [`Denied`] holds the last permissions violation the server reported.
pub async fn connect(config: &JetStreamConfig) -> Result<(async_nats::Client, Denied), SetupError> {
    let denied = Denied::default();
    let heard = denied.clone();
    let direct_get = format!("\"$JS.API.DIRECT.GET.{}\"", config.stream);
    let consumer_create = format!("\"$JS.API.CONSUMER.CREATE.{}\"", config.stream);
    let slow = Every::new(SLOW_CONSUMER_SAID);
    let (urls, auth) = split_credentials(&config.url)?;
    let mut options = async_nats::ConnectOptions::new()
        .name("tongban-gateway")
        .connection_timeout(config.op_timeout)
        .request_timeout(Some(config.op_timeout))
        .ping_interval(PING_INTERVAL)
        .max_reconnects(None)
        .reconnect_delay_callback(|attempts| {
            Duration::from_millis((attempts as u64).saturating_mul(100).min(1000))
        })
        .event_callback(move |event| {
            let heard = heard.clone();
            let direct_get = direct_get.clone();
            let consumer_create = consumer_create.clone();
            let slow = slow.clone();
            async move {
                match event {
                    async_nats::Event::Connected => tracing::info!("connected to NATS"),
                    async_nats::Event::Disconnected => {
                        tracing::warn!("disconnected from NATS; writes answer 503 until it is back")
                    }
                    // Batched reads are optional: without the right, histories are read one
                    // event per request (batch.rs), which is no failure of setup.
                    async_nats::Event::ServerError(async_nats::ServerError::Other(message))
                        if is_permissions_violation(&message) && message.contains(&direct_get) =>
                    {
                        tracing::warn!(
                            violation = %message,
                            "NATS refused this user batched reads of the stream; an application's history is read one event per request"
                        );
                        heard.refuse_batches();
                    }
                    // So is the head's push (head.rs): without it, the poll alone follows the
                    // other gateways' appends.
                    async_nats::Event::ServerError(async_nats::ServerError::Other(message))
                        if is_permissions_violation(&message)
                            && message.contains(&consumer_create) =>
                    {
                        tracing::warn!(
                            violation = %message,
                            "NATS refused this user a consumer of the stream; other gateways' appends are seen by the poll alone"
                        );
                        heard.refuse_consumer();
                    }
                    // The head's flow-control replies (head.rs): the server stops pushing
                    // until they come, so the consumer stalls and is made again, and the
                    // other gateways' appends are read back instead of taken from the push.
                    async_nats::Event::ServerError(async_nats::ServerError::Other(message))
                        if is_permissions_violation(&message) && message.contains("$JS.FC.") =>
                    {
                        tracing::error!(
                            violation = %message,
                            "NATS refused this user the replies to the stream's flow control ($JS.FC.<stream>.>): the head's push stalls and other gateways' appends are read back from the stream instead. The rights a gateway needs are in docs/operations.md"
                        );
                    }
                    // A stream update is no standing right: a gateway asks for one only to
                    // record its key or its ids in a stream made by hand without them, and the
                    // start then says what to do (the list of rights holds no UPDATE).
                    async_nats::Event::ServerError(async_nats::ServerError::Other(message))
                        if is_permissions_violation(&message)
                            && message.contains("$JS.API.STREAM.UPDATE.") =>
                    {
                        tracing::error!(
                            violation = %message,
                            "NATS refused this user a stream update, which a gateway asks for only to record its key or its application ids in the metadata of a stream made without them: docs/operations.md, \"Creating the stream by hand\""
                        );
                        heard.record(message);
                    }
                    async_nats::Event::ServerError(async_nats::ServerError::Other(message))
                        if is_permissions_violation(&message) =>
                    {
                        tracing::error!(
                            violation = %message,
                            "NATS refused a request for lack of a permission; the request times out (503). The rights a gateway needs are in docs/operations.md"
                        );
                        heard.record(message);
                    }
                    async_nats::Event::ServerError(
                        async_nats::ServerError::AuthorizationViolation,
                    ) => tracing::error!(
                        "NATS refused this gateway's credentials: check the user in --nats or the --nats-creds file"
                    ),
                    // One event per message dropped: said once per interval, not per message.
                    async_nats::Event::SlowConsumer(sid) if slow.due() => tracing::warn!(
                        subscription = sid,
                        "a subscription of this gateway fell behind and the client dropped messages for it (a batch read, or the head's push, which the poll makes up for)"
                    ),
                    async_nats::Event::SlowConsumer(_) => {}
                    other => tracing::info!(event = %other, "NATS connection event"),
                }
            }
        });
    match auth {
        Some(UrlAuth::UserPassword(user, password)) => {
            options = options.user_and_password(user, password);
        }
        Some(UrlAuth::Token(token)) => options = options.token(token),
        None => {}
    }
    if let Some(path) = &config.creds {
        options = options
            .credentials_file(path)
            .await
            .map_err(|source| SetupError::Creds {
                path: path.display().to_string(),
                source,
            })?;
    }
    let client = options
        .connect(urls.iter().map(String::as_str).collect::<Vec<_>>())
        .await
        .map_err(|e| SetupError::Connect {
            url: urls.join(","),
            reason: e.to_string(),
        })?;
    check_version(&client.server_info().version)?;
    Ok((client, denied))
}

/// How often a client dropping messages for a slow subscription is said in the log at most.
const SLOW_CONSUMER_SAID: Duration = Duration::from_secs(10);

/// Says whether something said at most once per interval is due now (and, if so, marks it said).
#[derive(Clone)]
struct Every {
    interval: Duration,
    last: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl Every {
    fn new(interval: Duration) -> Every {
        Every {
            interval,
            last: std::sync::Arc::default(),
        }
    }

    fn due(&self) -> bool {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        match *last {
            Some(said) if now.duration_since(said) < self.interval => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

/// The last permissions violation the server reported on a connection (`-ERR 'Permissions
/// Violation for Publish to "…"'`). The server answers a denied request with that error alone,
/// so the request itself only times out; setup looks here to stop at once with the reason
/// instead of waiting for a cluster that seems to be forming.
/// A refused batched direct get ([`Denied::batches_refused`]) and a refused consumer
/// ([`Denied::consumer_refused`]) are kept apart: those rights are optional.
#[derive(Debug, Clone, Default)]
pub struct Denied {
    last: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    batches: std::sync::Arc<std::sync::atomic::AtomicBool>,
    consumer: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// How many connections (the first and every reconnect) the head poll has checked the
    /// stream's end on (asked after the connection was made): appends and the projector wait
    /// while the client counts more ([`super::JetStreamLog::keeping_events`]).
    checked: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Denied {
    /// The head poll has checked where the stream ends, on an answer asked once `connects`
    /// connections were made.
    pub(super) fn end_checked(&self, connects: u64) {
        self.checked
            .fetch_max(connects, std::sync::atomic::Ordering::SeqCst);
    }

    /// How many connections the head poll has checked the stream on.
    pub(super) fn checked_connects(&self) -> u64 {
        self.checked.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn record(&self, violation: String) {
        if let Ok(mut last) = self.last.lock() {
            *last = Some(violation);
        }
    }

    /// The violation reported since the last call, if any.
    pub(super) fn take(&self) -> Option<String> {
        self.last.lock().ok().and_then(|mut last| last.take())
    }

    fn refuse_batches(&self) {
        self.batches
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the server refused a batched direct get of this user (`$JS.API.DIRECT.GET.…`).
    pub(super) fn batches_refused(&self) -> bool {
        self.batches.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn refuse_consumer(&self) {
        self.consumer
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the server refused this user the stream's consumer (`$JS.API.CONSUMER.CREATE.…`).
    pub(super) fn consumer_refused(&self) -> bool {
        self.consumer.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs one setup step. A violation the server reports meanwhile is its failure, whatever
    /// the step made of it (a refused request only times out, which a step may take for a
    /// cluster still forming, or for a stream that is there): setup needs every right it uses.
    /// One reported before the step is forgotten first, so it is not blamed on this one.
    pub(super) async fn attempt<T>(&self, step: impl Future<Output = T>) -> Result<T, SetupError> {
        self.take();
        let done = step.await;
        match self.take() {
            Some(violation) => Err(SetupError::Denied { violation }),
            None => Ok(done),
        }
    }
}

fn is_permissions_violation(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("permissions violation")
}

/// Credentials written into `--nats` URLs.
#[derive(Debug, PartialEq, Eq)]
enum UrlAuth {
    UserPassword(String, String),
    Token(String),
}

/// Takes `user:password@` (or `token@`) out of every URL: the client library reads no
/// credentials from a URL, and an address printed in a message must not carry them. Every URL
/// of a cluster names the same credentials, or none. A `,` in a password must be written `%2C`
/// (URLs are separated by commas); `%` as `%25`.
fn split_credentials(urls: &str) -> Result<(Vec<String>, Option<UrlAuth>), SetupError> {
    let mut found: Option<UrlAuth> = None;
    let mut plain = Vec::new();
    let mut plain_pieces = 0;
    for (n, url) in server_urls(urls).into_iter().enumerate() {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        // Each address is checked before anything prints it: a comma written as it is inside a
        // password splits the URL there, and the piece before it (`nats://gw:se`) would be
        // printed as an address, the password's start as its port.
        if !is_address(&rest[rest.rfind('@').map_or(0, |at| at + 1)..]) {
            return Err(SetupError::Url(format!(
                "server {} of the URL is not [nats://][user:password@]host[:port]: a comma, or \
                 another character URLs reserve, in a user name or password is written \
                 percent-encoded (%2C for a comma, %40 for @)",
                n + 1
            )));
        }
        // A server address has no path, so everything up to the last `@` is the user part, even
        // where a password holds an unescaped `/`, `?`, `#` or `@` (cut at the first of those,
        // such a password would be kept in the address and printed with it).
        let Some(at) = rest.rfind('@') else {
            plain.push(url.to_string());
            plain_pieces += 1;
            continue;
        };
        let auth = match rest[..at].split_once(':') {
            Some((user, password)) => {
                UrlAuth::UserPassword(percent_decoded(user)?, percent_decoded(password)?)
            }
            None => UrlAuth::Token(percent_decoded(&rest[..at])?),
        };
        if found.as_ref().is_some_and(|f| *f != auth) {
            return Err(SetupError::Url(
                "the URLs name different credentials; a gateway connects as one user".into(),
            ));
        }
        found = Some(auth);
        let host = &rest[at + 1..];
        plain.push(if scheme.is_empty() {
            host.to_string()
        } else {
            format!("{scheme}://{host}")
        });
    }
    // A comma inside a user name, token or password splits the URL there, and the piece before
    // it can look like an address (`nats://s3cr3tTok`, `nats://gw:12`): the URLs of one gateway
    // all name its one user, so a piece without one beside pieces with one is refused.
    if found.is_some() && plain_pieces > 0 {
        return Err(SetupError::Url(
            "some servers of the URL name a user and others do not: name the same user in each \
             (a comma, or another character URLs reserve, in a user name, token or password is \
             written percent-encoded: %2C for a comma, %40 for @)"
                .into(),
        ));
    }
    Ok((plain, found))
}

/// Whether `host` is a server's address as a URL names it after its user part: a name or an IP
/// address (IPv6 in brackets), then an optional numeric port.
fn is_address(host: &str) -> bool {
    let host = host.strip_suffix('/').unwrap_or(host);
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((inside, "")) => (inside, None),
            Some((inside, after)) => match after.strip_prefix(':') {
                Some(port) => (inside, Some(port)),
                None => return false,
            },
            None => return false,
        },
        None => match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    !name.is_empty()
        && !name.contains(['/', '@', ' '])
        && port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `%40` → `@` and the like, as a URL's user and password are written.
fn percent_decoded(text: &str) -> Result<String, SetupError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let byte = text
                .get(i + 1..i + 3)
                // Two hex digits, not what `from_str_radix` also takes (`+1`).
                .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
                .ok_or_else(|| {
                    SetupError::Url(
                        "a % in the user or password is not followed by two hex digits".into(),
                    )
                })?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map_err(|_| SetupError::Url("the user or password is not UTF-8 once decoded".into()))
}

/// The servers named by `--nats`: one URL, or a cluster's URLs separated by commas. The client
/// library parses a plain string as a single address, so `nats://a:4222,nats://b:4222` must be
/// split here; the client then tries them in turn at connect and on every reconnect (and also
/// learns the other members a server announces).
pub fn server_urls(url: &str) -> Vec<&str> {
    url.split(',')
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .collect()
}

/// The stream configuration tongban creates.
pub fn stream_config(config: &JetStreamConfig) -> stream::Config {
    stream::Config {
        name: config.stream.clone(),
        description: Some("tongban event log: one subject per application".into()),
        subjects: vec![format!("{}.>", config.subject_prefix)],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        num_replicas: config.replicas.max(1),
        duplicate_window: DUPLICATE_WINDOW,
        deny_delete: true,
        deny_purge: true,
        allow_direct: true,
        // A stream a gateway makes records its key and that its application ids are keyed
        // (`crate::ids::Derivation`): every gateway joining it later derives the same ids.
        metadata: config
            .signer
            .iter()
            .map(|key| (SIGNER_METADATA.to_string(), key.clone()))
            .chain([(
                APP_IDS_METADATA.to_string(),
                crate::ids::Derivation::KEYED.to_string(),
            )])
            .collect(),
        ..Default::default()
    }
}

/// The settings by which the stream itself removes events as it goes (empty: none): a
/// retention other than limits, or a limit. What a reader checks again when it finds holes.
pub fn removes_events(actual: &stream::Config) -> Vec<String> {
    let mut problems = Vec::new();
    if actual.retention != stream::RetentionPolicy::Limits {
        problems.push("retention is not limits (events would be removed when consumed)".into());
    }
    if actual.max_messages > 0
        || actual.max_bytes > 0
        || actual.max_messages_per_subject > 0
        || !actual.max_age.is_zero()
    {
        problems.push(
            "a limit (max_msgs, max_bytes, max_msgs_per_subject, max_age) would drop events".into(),
        );
    }
    problems
}

/// Lists what makes an existing stream unfit to hold the log (empty: fit).
pub fn unsafe_settings(expected: &stream::Config, actual: &stream::Config) -> Vec<String> {
    let mut problems = Vec::new();
    if actual.subjects != expected.subjects {
        problems.push(format!(
            "subjects are {:?}, expected {:?}",
            actual.subjects, expected.subjects
        ));
    }
    if actual.storage != stream::StorageType::File {
        problems.push("storage is not file".into());
    }
    problems.extend(removes_events(actual));
    if !actual.deny_delete {
        problems.push("deny_delete is off".into());
    }
    if !actual.deny_purge {
        problems.push("deny_purge is off".into());
    }
    if actual.duplicate_window < expected.duplicate_window {
        problems.push(format!(
            "duplicate_window is {:?}, shorter than {:?}",
            actual.duplicate_window, expected.duplicate_window
        ));
    }
    if actual.sealed {
        problems.push("the stream is sealed".into());
    }
    if actual.mirror.is_some() {
        problems.push("the stream is a mirror".into());
    }
    if actual.no_ack {
        problems.push("no_ack is on (no publish would be acknowledged)".into());
    }
    if actual.max_message_size > 0 {
        problems.push(format!(
            "max_msg_size is {} bytes: an event larger than that would be refused by the stream \
             on every attempt (leave it unset: the servers' max_payload bounds every message, and \
             an event over it is answered 413)",
            actual.max_message_size
        ));
    }
    if actual.allow_message_ttl {
        problems.push(
            "allow_msg_ttl is on: a message could carry its own expiry (Nats-TTL), and an event \
             would be removed when it expires"
                .into(),
        );
    }
    if actual.sources.as_ref().is_some_and(|s| !s.is_empty()) || actual.subject_transform.is_some()
    {
        problems.push(
            "sources or a subject transform would put messages on the subjects that no gateway \
             published"
                .into(),
        );
    }
    problems
}

/// How long [`ensure_stream`] waits for a cluster that is still forming.
pub(super) const FORMING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Whether a JetStream API error means a cluster still forming: its servers answer before they
/// have elected a meta leader or seen each other, and until then refuse to place a replicated
/// stream (`no suitable peers for placement, peer offline`, 10005), refuse to answer (10008), or
/// let the request time out (the server is connected, so it is JetStream that has not answered).
fn forming(code: jetstream::ErrorCode) -> bool {
    use jetstream::ErrorCode as C;
    [
        C::CLUSTER_NO_PEERS,
        C::CLUSTER_NOT_AVAILABLE,
        C::CLUSTER_INCOMPLETE,
        C::CLUSTER_NOT_LEADER,
    ]
    .contains(&code)
}

/// Creates the stream, or checks that the existing one is fit. Never changes an existing stream.
///
/// Waits up to [`FORMING_PATIENCE`] for a cluster that is still forming (a gateway started with
/// its servers, a cluster restarted), rather than failing at the first refusal; any other error,
/// or a cluster that does not form in time, is reported as it is. A request the server refused
/// for lack of a permission ([`Denied`]) stops the wait at once, with the violation.
pub async fn ensure_stream(
    js: &jetstream::Context,
    config: &JetStreamConfig,
    denied: &Denied,
) -> Result<stream::Stream, SetupError> {
    let deadline = std::time::Instant::now() + FORMING_PATIENCE;
    let mut warned = false;
    loop {
        match denied.attempt(ensure_stream_once(js, config)).await? {
            Err(Attempt::Forming(reason)) if std::time::Instant::now() < deadline => {
                if !warned {
                    tracing::warn!(%reason, "the NATS cluster is not ready for the stream yet; waiting");
                    warned = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
            Err(Attempt::Forming(reason)) => return Err(SetupError::JetStream(reason)),
            Err(Attempt::Failed(e)) => return Err(e),
            Ok(stream) => return Ok(stream),
        }
    }
}

/// One try of [`ensure_stream`].
enum Attempt {
    /// The cluster is still forming ([`forming`]); worth another try.
    Forming(String),
    Failed(SetupError),
}

impl From<SetupError> for Attempt {
    fn from(e: SetupError) -> Attempt {
        Attempt::Failed(e)
    }
}

async fn ensure_stream_once(
    js: &jetstream::Context,
    config: &JetStreamConfig,
) -> Result<stream::Stream, Attempt> {
    use jetstream::context::{CreateStreamErrorKind, GetStreamErrorKind, RequestErrorKind};
    let expected = stream_config(config);
    match js.get_stream(&config.stream).await {
        Ok(mut existing) => {
            let info = existing
                .info()
                .await
                .map_err(|e| SetupError::JetStream(e.to_string()))?;
            let problems = unsafe_settings(&expected, &info.config);
            if problems.is_empty() {
                if config.create_stream && expected.num_replicas > info.config.num_replicas {
                    // `--nats-replicas` applies when the stream is created; an existing stream
                    // keeps its own, and an operator who forgot the flag at the first start
                    // would otherwise never learn it.
                    tracing::warn!(
                        stream = %config.stream,
                        replicas = info.config.num_replicas,
                        asked = expected.num_replicas,
                        "the stream exists with fewer replicas than asked for; it keeps its own (change it on the servers)"
                    );
                }
                return Ok(existing);
            }
            if !config.create_stream {
                // The read-only tools read what is there: a mirror near a province, a copy, a
                // stream set up by hand. Every setting refused for a gateway is about taking
                // writes or keeping events; what a stream lost, verification reports.
                tracing::warn!(
                    stream = %config.stream,
                    problems = %problems.join("; "),
                    "reading a stream whose settings a gateway would refuse (a mirror or a copy?)"
                );
                return Ok(existing);
            }
            Err(SetupError::UnsafeStream {
                stream: config.stream.clone(),
                problems: problems.join("; "),
            }
            .into())
        }
        Err(e) if is_not_found(&e) && !(config.create_stream && config.create_missing) => {
            Err(SetupError::NoStream {
                stream: config.stream.clone(),
                urls: split_credentials(&config.url)?.0.join(","),
            }
            .into())
        }
        Err(e) if is_not_found(&e) => {
            tracing::info!(stream = %config.stream, replicas = expected.num_replicas, "creating the event stream");
            js.create_stream(expected)
                .await
                .map_err(|e| match e.kind() {
                    CreateStreamErrorKind::JetStream(j) if forming(j.error_code()) => {
                        Attempt::Forming(e.to_string())
                    }
                    CreateStreamErrorKind::TimedOut => Attempt::Forming(e.to_string()),
                    CreateStreamErrorKind::JetStream(j)
                        if j.error_code()
                            == jetstream::ErrorCode::STREAM_REPLICAS_NOT_SUPPORTED =>
                    {
                        SetupError::Replicas {
                            asked: config.replicas,
                            reason: e.to_string(),
                        }
                        .into()
                    }
                    _ => SetupError::JetStream(e.to_string()).into(),
                })
        }
        Err(e) => Err(match e.kind() {
            GetStreamErrorKind::JetStream(j) if forming(j.error_code()) => {
                Attempt::Forming(e.to_string())
            }
            // A request that timed out; not one that found no JetStream to answer at all (a
            // server without it), which waiting does not mend.
            GetStreamErrorKind::Request if request_failed(&e, RequestErrorKind::TimedOut) => {
                Attempt::Forming(e.to_string())
            }
            GetStreamErrorKind::Request if request_failed(&e, RequestErrorKind::NoResponders) => {
                SetupError::JetStream(
                    "nothing answers JetStream requests on this server: JetStream is not enabled \
                     (start nats-server with -js, or a jetstream { store_dir …, sync_interval: \
                     always } block; docs/operations.md, \"nats-server\"), or this user's \
                     account has none"
                        .into(),
                )
                .into()
            }
            _ => SetupError::JetStream(e.to_string()).into(),
        }),
    }
}

/// Whether an error from setting up something on the server (the stream, the cursors' bucket)
/// means a cluster still forming ([`forming`], or a request that timed out), looking through the
/// error's sources.
pub(super) fn still_forming(e: &(dyn std::error::Error + 'static)) -> bool {
    std::iter::successors(Some(e), |e| e.source()).any(|e| {
        e.downcast_ref::<jetstream::Error>()
            .is_some_and(|j| forming(j.error_code()))
            || e.downcast_ref::<jetstream::context::RequestError>()
                .is_some_and(|r| r.kind() == jetstream::context::RequestErrorKind::TimedOut)
            // Creating a key-value bucket reports its timeout as its own kind, with no source.
            || e.downcast_ref::<jetstream::context::CreateKeyValueError>()
                .is_some_and(|c| c.kind() == jetstream::context::CreateKeyValueErrorKind::TimedOut)
            // Creating a bucket creates its stream, and holds that creation's error as its
            // source, with the server's refusal inside its kind rather than as a source of its
            // own: an R3 bucket on a cluster still forming is refused placement (10005) there.
            || e.downcast_ref::<jetstream::context::CreateStreamError>()
                .is_some_and(|c| match c.kind() {
                    jetstream::context::CreateStreamErrorKind::JetStream(j) => {
                        forming(j.error_code())
                    }
                    jetstream::context::CreateStreamErrorKind::TimedOut => true,
                    _ => false,
                })
    })
}

/// Whether a JetStream API request failed in this way (timed out; found no responder).
fn request_failed(
    e: &(dyn std::error::Error + 'static),
    kind: jetstream::context::RequestErrorKind,
) -> bool {
    e.source()
        .and_then(|s| s.downcast_ref::<jetstream::context::RequestError>())
        .is_some_and(|r| r.kind() == kind)
}

pub(super) fn is_not_found(e: &jetstream::context::GetStreamError) -> bool {
    matches!(
        e.kind(),
        jetstream::context::GetStreamErrorKind::JetStream(ref j)
            if j.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_said_once_per_interval_is_said_once_within_it() {
        let every = Every::new(Duration::from_millis(200));
        assert!(every.due());
        assert!(!every.due());
        assert!(!every.clone().due(), "clones share the mark");
        std::thread::sleep(Duration::from_millis(250));
        assert!(every.due());
        assert!(!every.due());
    }

    /// A stream request that timed out is a cluster still forming, worth waiting for; one that
    /// found no JetStream at all is not.
    #[test]
    fn only_a_timed_out_request_counts_as_a_forming_cluster() {
        use jetstream::context::{
            GetStreamError, GetStreamErrorKind, RequestError, RequestErrorKind,
        };
        let failed = |kind| {
            GetStreamError::with_source(GetStreamErrorKind::Request, RequestError::new(kind))
        };
        assert!(request_failed(
            &failed(RequestErrorKind::TimedOut),
            RequestErrorKind::TimedOut
        ));
        assert!(!request_failed(
            &failed(RequestErrorKind::NoResponders),
            RequestErrorKind::TimedOut
        ));
    }

    /// What the cursors' bucket setup waits out: a bucket creation that timed out (its own error
    /// kind, no source), or a request that did; not a creation the server refused.
    #[test]
    fn a_bucket_creation_that_timed_out_counts_as_a_forming_cluster() {
        use jetstream::context::{CreateKeyValueError, CreateKeyValueErrorKind};
        assert!(still_forming(&CreateKeyValueError::new(
            CreateKeyValueErrorKind::TimedOut
        )));
        assert!(!still_forming(&CreateKeyValueError::new(
            CreateKeyValueErrorKind::BucketCreate
        )));
        // A bucket's stream refused placement on a cluster still forming (seen on an R3 cluster
        // started with two nodes down), and one refused for good.
        let refused = |err_code: u64| {
            let server: jetstream::Error = serde_json::from_value(serde_json::json!({
                "code": 500,
                "err_code": err_code,
                "description": "refused"
            }))
            .expect("a JetStream API error");
            CreateKeyValueError::with_source(
                CreateKeyValueErrorKind::BucketCreate,
                jetstream::context::CreateStreamError::new(
                    jetstream::context::CreateStreamErrorKind::JetStream(server),
                ),
            )
        };
        assert!(still_forming(&refused(10005)));
        assert!(!still_forming(&refused(10058)));
    }

    #[test]
    fn credentials_are_taken_out_of_the_urls() {
        let (urls, auth) =
            split_credentials("nats://gw:p%40ss@a:4222, nats://gw:p%40ss@b:4222").expect("ok");
        assert_eq!(urls, vec!["nats://a:4222", "nats://b:4222"]);
        assert_eq!(
            auth,
            Some(UrlAuth::UserPassword("gw".into(), "p@ss".into()))
        );
        // Characters a URL would escape, written as they are: still all taken out.
        for raw in ["se/cret", "se#cret", "se?cr@et"] {
            let (urls, auth) = split_credentials(&format!("nats://gw:{raw}@h:4222")).expect(raw);
            assert_eq!(urls, vec!["nats://h:4222"], "{raw}");
            assert_eq!(auth, Some(UrlAuth::UserPassword("gw".into(), raw.into())));
        }
        let (urls, auth) = split_credentials("s3cr3t@127.0.0.1:4222").expect("ok");
        assert_eq!(urls, vec!["127.0.0.1:4222"]);
        assert_eq!(auth, Some(UrlAuth::Token("s3cr3t".into())));
        let (urls, auth) = split_credentials("nats://a:4222").expect("ok");
        assert_eq!((urls, auth), (vec!["nats://a:4222".to_string()], None));
        let (urls, _) = split_credentials("nats://[::1]:4222,localhost,tls://h:4443/").expect("ok");
        assert_eq!(
            urls,
            vec!["nats://[::1]:4222", "localhost", "tls://h:4443/"]
        );
        // Two users, a broken escape, or a comma written as it is in a password (which splits the
        // URL inside the password): refused without echoing any of it.
        for bad in [
            "nats://x:1@a,nats://y:2@b",
            "nats://gw:%zz@a",
            "nats://gw:%+1@a",
            "nats://gw:S3cr3t,zz@127.0.0.1:4222",
            "nats://s3cr3tTok,en@127.0.0.1:4222",
            "nats://gw:12,ab@127.0.0.1:4222",
            "nats://gw:pw@a:4222,nats://b:4222",
        ] {
            let e = split_credentials(bad).expect_err(bad).to_string();
            assert!(e.starts_with("--nats: "), "{e}");
            assert!(
                !e.contains("gw")
                    && !e.contains("x:1")
                    && !e.contains("zz")
                    && !e.contains("S3cr3t")
                    && !e.contains("s3cr3tTok")
                    && !e.contains(":12"),
                "{e}"
            );
        }
    }

    #[test]
    fn versions_below_2_10_are_refused() {
        assert!(check_version("2.15.1").is_ok());
        assert!(check_version("2.10.0").is_ok());
        assert!(check_version("v2.11.0-beta.2").is_ok());
        assert!(check_version("3.0.0").is_ok());
        let old = check_version("2.9.10").expect_err("2.9 is refused");
        assert!(old.to_string().contains("#4320"), "{old}");
        assert!(old.to_string().contains("sync_interval"), "{old}");
        assert!(matches!(
            check_version("banana"),
            Err(SetupError::UnknownVersion { .. })
        ));
    }

    #[test]
    fn a_cluster_is_named_by_comma_separated_urls() {
        assert_eq!(
            server_urls("nats://127.0.0.1:4222"),
            vec!["nats://127.0.0.1:4222"]
        );
        assert_eq!(
            server_urls("nats://a:4222, nats://b:4222,,nats://c:4222"),
            vec!["nats://a:4222", "nats://b:4222", "nats://c:4222"]
        );
        // Why the split: the client reads the whole string as one address and refuses it.
        assert!(
            "nats://127.0.0.1:4222,nats://127.0.0.1:4223"
                .parse::<async_nats::ServerAddr>()
                .is_err()
        );
    }

    #[test]
    fn the_created_stream_is_safe() {
        let c = stream_config(&JetStreamConfig::new("nats://127.0.0.1:4222"));
        assert!(unsafe_settings(&c, &c).is_empty());
        let mut loose = c.clone();
        loose.deny_delete = false;
        loose.max_age = Duration::from_secs(3600);
        assert_eq!(unsafe_settings(&c, &loose).len(), 2);
        let mut silent = c.clone();
        silent.no_ack = true;
        assert!(unsafe_settings(&c, &silent)[0].contains("no_ack"));
        // Found by a walkthrough: both were taken, and every larger event answered 503.
        let mut capped = c.clone();
        capped.max_message_size = 2000;
        capped.allow_message_ttl = true;
        let problems = unsafe_settings(&c, &capped);
        assert!(
            problems[0].contains("max_msg_size is 2000 bytes"),
            "{problems:?}"
        );
        assert!(problems[1].contains("allow_msg_ttl"), "{problems:?}");
    }
}
