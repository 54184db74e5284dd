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
//! And a deadline for the answer's reading: a connection whose answer cannot be written for
//! [`WRITE_STALL`] (its client reads nothing of it) is closed. Without it a client that sent a request and never
//! read kept the answer in memory and whatever the answer held for as long as it liked: a
//! review found two regions each keeping a reconciliation's turn (of two on the gateway) and a
//! report of hundreds of megabytes by posting a large export and never reading, every other
//! region's reconciliation refused meanwhile; a whole history's turn is held the same way.
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
use std::future::Future;
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

/// How long a write of an answer may wait for room in the socket: 60 s, nginx's `send_timeout`,
/// with the same meaning (the time between two writes that go through, not the whole answer's).
/// A slow reader is served however long the whole answer takes, as long as it frees room in
/// time: the kernel lets a write through once about a third of the socket's send buffer (up to
/// a few MiB) has been read, so a client reading under some 20 KB/s may be cut off, as by
/// nginx. A connection whose write waits longer is closed, the answer's memory and any turn it
/// holds (`http::histories`) given back. `TONGBAN_TEST_WRITE_STALL_MS` shortens it for tests.
pub const WRITE_STALL: Duration = Duration::from_secs(60);

/// Test hook: milliseconds an answer may wait for its reader instead of [`WRITE_STALL`].
pub const WRITE_STALL_ENV: &str = "TONGBAN_TEST_WRITE_STALL_MS";

/// The write-stall deadline in force: [`WRITE_STALL`], unless the test hook shortens it.
pub fn write_stall() -> Duration {
    crate::http::guard::deadline_hook(WRITE_STALL_ENV, WRITE_STALL, "unread answers")
}

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
        stop: impl Future<Output = ()>,
    ) {
        let mut stop = std::pin::pin!(stop);
        let write_stall = write_stall();
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
            self.spawn(io, app.clone(), head_timeout, drain_idle, write_stall);
        }
        drop(listener);
        self.finish.send_replace(true);
    }

    /// Resolves once every connection has ended.
    pub async fn ended(&self) {
        self.ended.closed().await;
    }

    fn spawn(
        &self,
        io: TcpStream,
        app: Router,
        head_timeout: Duration,
        drain_idle: Duration,
        write_stall: Duration,
    ) {
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
                stall: Stall::new(write_stall),
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
/// head's timeout, whether a request had begun or the connection was idle. Its writes fail once
/// the client has read nothing for the write-stall deadline ([`Stall`]).
struct Heard {
    io: TcpStream,
    heard: Arc<AtomicBool>,
    /// [`Connections::busy`]: counted while `heard` is set.
    busy: Arc<AtomicUsize>,
    stall: Stall,
}

/// The deadline of a write the client does not read ([`WRITE_STALL`]): armed when a write finds
/// the socket's buffer full, disarmed by any write that goes through. Polled with the write, so
/// the connection's task is woken when it passes, and the write then fails (`TimedOut`): hyper
/// ends the connection and drops the answer.
struct Stall {
    limit: Duration,
    armed: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Stall {
    fn new(limit: Duration) -> Stall {
        Stall { limit, armed: None }
    }

    /// What a write polled as `polled` answers: as it is, unless it waits on a client that has
    /// read nothing for the deadline.
    fn judge<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if !polled.is_pending() {
            self.armed = None;
            return polled;
        }
        let limit = self.limit;
        let deadline = self
            .armed
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match deadline.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                self.armed = None;
                tracing::debug!(
                    seconds = limit.as_secs_f64(),
                    "a client read nothing of its answer for the write-stall deadline; connection closed"
                );
                Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the client read nothing of its answer in time",
                )))
            }
        }
    }
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
        this.stall.judge(cx, polled)
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
        this.stall.judge(cx, polled)
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A served socket (as [`Heard`], with a write-stall deadline of `stall`) and its client's
    /// end, whose receive buffer is `small` so that an unread answer fills the buffers soon.
    async fn served(stall: Duration, small: bool) -> (Heard, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        if small {
            socket.set_recv_buffer_size(4096).expect("receive buffer");
        }
        let (client, accepted) = tokio::join!(socket.connect(address), listener.accept());
        let heard = Heard {
            io: accepted.expect("accept").0,
            heard: Arc::new(AtomicBool::new(false)),
            busy: Arc::new(AtomicUsize::new(0)),
            stall: Stall::new(stall),
        };
        (heard, client.expect("connect"))
    }

    /// Given a client that reads nothing of its answer, when the answer fills the socket's
    /// buffers, then the next write fails (TimedOut) once the deadline passes, well before the
    /// test's own limit: the connection is closed rather than kept for as long as the client likes.
    #[tokio::test]
    async fn an_answer_its_client_does_not_read_fails_after_the_deadline() {
        let (mut served, _client) = served(Duration::from_millis(200), true).await;
        let chunk = vec![b'x'; 1 << 20];
        let started = std::time::Instant::now();
        let failed = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                if let Err(e) = served.write_all(&chunk).await {
                    return e;
                }
            }
        })
        .await
        .expect("the write failed before the test's limit");
        assert_eq!(failed.kind(), std::io::ErrorKind::TimedOut, "{failed}");
        assert!(started.elapsed() >= Duration::from_millis(200));
    }

    /// Given a client that reads a little at a time, pausing between reads, when an answer
    /// larger than the sockets' buffers is written, then it is written whole: each write that
    /// goes through resets the deadline, so the whole answer may take longer than it.
    #[tokio::test]
    async fn a_slow_reader_that_keeps_reading_gets_the_whole_answer() {
        let stall = Duration::from_secs(2);
        let (mut served, mut client) = served(stall, false).await;
        let answer = vec![b'y'; 24 << 20];
        let reader = tokio::spawn(async move {
            let mut got = 0usize;
            let mut buf = vec![0u8; 64 << 10];
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                match client.read(&mut buf).await.expect("read") {
                    0 => return got,
                    n => got += n,
                }
            }
        });
        let started = std::time::Instant::now();
        served
            .write_all(&answer)
            .await
            .expect("the whole answer written");
        served.shutdown().await.expect("shutdown");
        drop(served);
        assert_eq!(reader.await.expect("reader"), answer.len());
        // It took longer than the deadline: the deadline is of a stall, not of the answer.
        assert!(started.elapsed() > stall, "{:?}", started.elapsed());
    }
}
