//! The HTTP connections: accepting them, serving each with HTTP/1.1, the deadline of a request's
//! head, and closing them at shutdown.
//!
//! This is `axum::serve` with one thing it cannot do: a deadline for the request head. axum sets
//! no timer on hyper's connection, so a client that trickles its request line and header fields a
//! byte at a time held a connection (a task, a socket, a file descriptor) for as long as it liked:
//! a walkthrough held one 75 s, and a few thousand such clients exhaust the process's descriptors
//! (slowloris). Here every connection has hyper's `header_read_timeout`: the head must arrive
//! whole within [`HEAD_TIMEOUT`] of the connection starting to wait for it (a new connection, or
//! a kept-alive one after its last answer), or the connection is closed, unanswered. The body has
//! its own deadline, in the transport guard (`http::guard`).
//!
//! And a drain at shutdown that answers what comes on a kept-alive connection. hyper's own
//! `graceful_shutdown` closes an idle connection at once; a client (or a load balancer's pool)
//! that had just written its next request on it got a reset, unanswered, and cannot know whether
//! a POST was taken: an SRE's walkthrough lost 2–7 requests per SIGTERM under an 8-connection
//! keep-alive load. Now, once the shutdown begins, every connection goes on serving, each answer
//! carries `Connection: close` and its connection closes after it, and a connection still idle
//! closes only after a short delay ([`DRAIN_IDLE`]). A request written at the very instant an
//! idle connection closes still meets a closed socket: no server can answer it, but the window
//! is now that instant rather than the whole shutdown.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

tokio::task_local! {
    /// The address of the client whose request is being answered: set by its connection around
    /// each answer, for what is counted per client before any token is read
    /// (`http::drain::MAX_DRAINS_PER_CLIENT`). A task-local rather than a request extension, so
    /// that the body's reader deep in a route finds it without every route passing it on.
    pub static PEER: std::net::IpAddr;
}

/// How long a request head may take to arrive: 30 s, as the body's deadline, and what nginx
/// (`client_header_timeout`) and hyper's own default give. An idle kept-alive connection is
/// closed after as long. `TONGBAN_TEST_HEAD_TIMEOUT_MS` shortens it for end-to-end tests (warned
/// of when the gateway starts). Never set in production.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Test hook: milliseconds a request head may take instead of [`HEAD_TIMEOUT`].
pub const HEAD_TIMEOUT_ENV: &str = "TONGBAN_TEST_HEAD_TIMEOUT_MS";

/// Connections closed because a request head did not arrive in time (process-wide, as one gateway
/// serves per process): `tongban_http_head_timeouts_total` in `GET /metrics`. Approximate at the
/// edges: a head begun in the same packet as the previous request, then left unfinished, is not
/// counted (its answer cleared [`Heard`]); the rest of a body read after an early answer (a 401)
/// makes a later idle close count.
pub static HEAD_TIMEOUTS: AtomicU64 = AtomicU64::new(0);

/// How long a connection idle at the start of a shutdown is kept open for a request its client
/// may already be sending: 2 s, so that a pool using its connections more often than that has
/// each closed by a `Connection: close` answer instead, while a shutdown with only idle
/// connections open still ends within about as long. Cut to half the shutdown's grace when that
/// is shorter, so that idle connections close before the grace passes (which would be warned of).
pub const DRAIN_IDLE: Duration = Duration::from_secs(2);

/// The head deadline in force: [`HEAD_TIMEOUT`], unless the test hook shortens it.
pub fn head_timeout() -> Duration {
    crate::http::guard::deadline_hook(HEAD_TIMEOUT_ENV, HEAD_TIMEOUT, "request heads")
}

/// The connections being served, and the way to tell them to finish.
pub struct Connections {
    /// Connections open now (for the shutdown's log lines).
    open: Arc<AtomicUsize>,
    /// Connections with a request under way: bytes have come in since their last answer.
    busy: Arc<AtomicUsize>,
    /// Set once: each connection answers with `Connection: close` from then on, closes after
    /// its next answer, and closes anyway if idle after the drain delay.
    finish: watch::Sender<bool>,
    /// Every connection holds a receiver; closed once the last one has ended.
    ended: watch::Sender<()>,
}

impl Connections {
    pub fn new() -> Connections {
        Connections {
            open: Arc::new(AtomicUsize::new(0)),
            busy: Arc::new(AtomicUsize::new(0)),
            finish: watch::channel(false).0,
            ended: watch::channel(()).0,
        }
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// How many connections have a request under way (bytes in since their last answer): the
    /// requests a shutdown waits for. An idle kept-alive connection is open, not busy.
    pub fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }

    /// Accepts connections on `listener` and serves `app` on each, until `stop` resolves; then
    /// stops accepting and tells every open connection to finish (see [`Connections::ended`]):
    /// each answers what it is sent with `Connection: close` and closes after that answer, or
    /// after `drain_idle` if no request comes.
    pub async fn accept_until(
        &self,
        listener: TcpListener,
        app: Router,
        head_timeout: Duration,
        drain_idle: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        let mut stop = std::pin::pin!(stop);
        loop {
            let (io, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        accept_failed(e).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            self.spawn(io, app.clone(), head_timeout, drain_idle);
        }
        drop(listener);
        self.finish.send_replace(true);
    }

    /// Resolves once every connection has ended.
    pub async fn ended(&self) {
        self.ended.closed().await;
    }

    fn spawn(&self, io: TcpStream, app: Router, head_timeout: Duration, drain_idle: Duration) {
        let open = Open::new(&self.open);
        let busy = Arc::clone(&self.busy);
        let mut finish = self.finish.subscribe();
        let draining = self.finish.subscribe();
        let ended = self.ended.subscribe();
        let peer = io.peer_addr().ok().map(|address| address.ip());
        tokio::spawn(async move {
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(head_timeout);
            let app = TowerToHyperService::new(app);
            // Read when the answer is ready, not when the request came: a request under way
            // as the shutdown begins is answered with `Connection: close` too.
            let service = hyper::service::service_fn(move |request| {
                let answer = hyper::service::Service::call(&app, request);
                let draining = draining.clone();
                async move {
                    let answered = match peer {
                        Some(ip) => PEER.scope(ip, answer).await,
                        None => answer.await,
                    };
                    let mut response = match answered {
                        Ok(response) => response,
                        Err(never) => match never {},
                    };
                    if *draining.borrow() {
                        closing(response.headers_mut());
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            let heard = Arc::new(AtomicBool::new(false));
            let io = Heard {
                io,
                heard: Arc::clone(&heard),
                busy,
            };
            let conn = http.serve_connection(TokioIo::new(io), service);
            let mut conn = std::pin::pin!(conn);
            let drain = tokio::time::sleep(Duration::ZERO);
            let mut drain = std::pin::pin!(drain);
            let mut stage = Stage::Serving;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            ended_with(&e, heard.load(Ordering::Relaxed));
                        }
                        break;
                    }
                    // Set, or its sender gone: either way, finish.
                    _ = finish.wait_for(|f| *f), if stage == Stage::Serving => {
                        stage = Stage::Draining;
                        drain.as_mut().reset(tokio::time::Instant::now() + drain_idle);
                    }
                    // Idle now: closed at once; a request under way: closed after its answer
                    // (which says so already).
                    () = drain.as_mut(), if stage == Stage::Draining => {
                        stage = Stage::Closing;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(open);
            drop(ended);
        });
    }
}

/// Where a connection is in a shutdown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// No shutdown yet.
    Serving,
    /// The shutdown began: answers say `Connection: close`; idle until the drain delay.
    Draining,
    /// Told to close: at once if idle, after its answer otherwise.
    Closing,
}

/// Marks an answer given during a shutdown as its connection's last: hyper closes a connection
/// after an answer saying `Connection: close`, and the client knows not to send on it again. The
/// `Keep-Alive` timeout every answer carries (`http::headers`) would say otherwise.
fn closing(headers: &mut axum::http::HeaderMap) {
    headers.remove(header::HeaderName::from_static("keep-alive"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
}

impl Default for Connections {
    fn default() -> Connections {
        Connections::new()
    }
}

/// How a connection ended with an error. A head that did not arrive in time is counted when some
/// of it had (`begun`: bytes read since the last answer); hyper's timer also closes a kept-alive
/// connection that stayed idle as long, which is no client's fault. The rest (a client gone
/// mid-answer, a malformed request hyper answered itself) are the clients' doing.
fn ended_with(e: &hyper::Error, begun: bool) {
    if e.is_timeout() {
        if begun {
            HEAD_TIMEOUTS.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("a request head did not arrive in time; connection closed");
        }
    } else {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}

/// An accept that failed. A connection reset before it was taken concerns that client alone;
/// anything else (out of file descriptors) would fail again at once, so the loop waits a moment
/// instead of spinning, as axum's does.
async fn accept_failed(e: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed; retrying in a second");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// One open connection, counted until dropped.
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(count: &Arc<AtomicUsize>) -> Open {
        count.fetch_add(1, Ordering::Relaxed);
        Open(Arc::clone(count))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A connection's socket, noting whether bytes have come in since the last bytes went out: at a
/// head's timeout, whether a request had begun or the connection was idle.
struct Heard {
    io: TcpStream,
    heard: Arc<AtomicBool>,
    /// [`Connections::busy`]: counted while `heard` is set.
    busy: Arc<AtomicUsize>,
}

impl Heard {
    fn set(&self, heard: bool) {
        if self.heard.swap(heard, Ordering::Relaxed) != heard {
            if heard {
                self.busy.fetch_add(1, Ordering::Relaxed);
            } else {
                self.busy.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for Heard {
    fn drop(&mut self) {
        self.set(false);
    }
}

impl tokio::io::AsyncRead for Heard {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.set(true);
        }
        polled
    }
}

impl tokio::io::AsyncWrite for Heard {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.set(false);
        }
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            this.set(false);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
