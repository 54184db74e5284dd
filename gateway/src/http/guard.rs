//! The transport guard: limits on the request head and body size, enforced for every route as one
//! layer, so each refusal is a problem+json document whatever route was asked for.
//!
//! hyper itself refuses heads beyond its read buffer (about 400 KiB) or with more than 100 header
//! fields with a bare 431 before any of this runs; this layer sets the real, much lower cap and
//! answers it in the API's own error format.

use axum::extract::Request;
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::body::{MAX_BODY, MAX_EXPORT_BODY};
use super::drain::{DRAIN_BYTES, DRAIN_TIME, drain, drain_time};
use super::problem::Problem;

/// The largest request head accepted (request line and header fields), in bytes. Bearer tokens,
/// an Idempotency-Key and the usual proxy headers take well under 2 KiB.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

fn head_size(req: &Request) -> usize {
    // The whole request target: an absolute-form one (`GET http://host/path`) carries its
    // scheme and authority too, which a client may make as long as a header.
    let uri = req.uri();
    let target = uri.path_and_query().map_or(1, |p| p.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len())
        + uri.scheme_str().map_or(0, |s| s.len() + 3);
    let line = req.method().as_str().len() + target + 11;
    let fields: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    line + fields
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// How long a request body may take to arrive: 30 s, enough for the largest body (1 MiB) at
/// 35 KB/s. `TONGBAN_TEST_BODY_TIMEOUT_MS` shortens it for end-to-end tests (warned of when
/// first read). Never set in production.
fn body_timeout() -> std::time::Duration {
    static TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *TIMEOUT.get_or_init(|| deadline_hook(BODY_TIMEOUT_ENV, BODY_TIMEOUT, "request bodies"))
}

/// How long a province's export may take to arrive ([`EXPORT_BODY_TIMEOUT`]), unless the same
/// test hook shortens it.
fn export_timeout() -> std::time::Duration {
    static TIMEOUT: std::sync::OnceLock<std::time::Duration> = std::sync::OnceLock::new();
    *TIMEOUT.get_or_init(|| deadline_hook(BODY_TIMEOUT_ENV, EXPORT_BODY_TIMEOUT, "exports"))
}

/// A transport deadline: `default`, or the milliseconds a test hook `env` gives instead (warned
/// of, naming `what` times out early). The body's and the head's deadlines both read theirs so.
pub(crate) fn deadline_hook(
    env: &str,
    default: std::time::Duration,
    what: &str,
) -> std::time::Duration {
    match std::env::var(env)
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
    {
        Some(ms) => {
            tracing::warn!(ms, "test hook {env} armed: {what} time out early");
            std::time::Duration::from_millis(ms)
        }
        None => default,
    }
}

/// The deadline of a request body's arrival, unless a test shortens it.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The deadline of a province's export (the reconcile route's body, up to [`MAX_EXPORT_BODY`]):
/// 300 s, the largest at about 220 KB/s.
pub const EXPORT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

/// Test hook: milliseconds a request body may take instead of [`BODY_TIMEOUT`].
pub const BODY_TIMEOUT_ENV: &str = "TONGBAN_TEST_BODY_TIMEOUT_MS";

/// Why a body could not be read: over the limit (a chunked body: 413), or not a body HTTP
/// frames (a chunk size that is no number, a chunk not followed by its line break: 400), or the
/// connection gone mid-body (400, which nobody reads). A malformed body was answered 413,
/// "limited to 1048576 bytes", for seven bytes.
fn unread(e: &axum::Error, limit: usize) -> Problem {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if let Some(h) = err.downcast_ref::<hyper::Error>() {
            let why = if h.is_incomplete_message() || h.is_closed() {
                "the connection ended before the whole request body arrived"
            } else {
                "the request body is not framed as HTTP/1.1 frames it (a chunk size that is no \
                 hexadecimal number, or a chunk not followed by CRLF)"
            };
            return Problem::bad_request("body", "framing", why);
        }
        source = err.source();
    }
    too_large(limit)
}

/// The 413 of a body over `limit`: over the export's, it says what to do with a larger file.
pub(super) fn too_large(limit: usize) -> Problem {
    if limit == MAX_EXPORT_BODY {
        return Problem::payload_too_large(format!(
            "a province's export sent for reconciliation is limited to {MAX_EXPORT_BODY} bytes \
             (64 MiB); reconcile a larger file with `tongban reconcile --region <code> \
             --records <file>`, which reads a file of any size"
        ));
    }
    Problem::payload_too_large(format!("request bodies are limited to {MAX_BODY} bytes"))
}

/// The middleware: 431 for an over-long head, 413 for a declared over-long body, both before a
/// byte of the body is read. The body itself is read by the route that takes one, last ([`read_body`]).
pub async fn guard(req: Request, next: Next) -> Response {
    // The response headers every answer carries are set here too: one layer for both, since each
    // layer costs every request a boxed future (docs/performance.md, "Round 18").
    let authenticated = req.headers().contains_key(header::AUTHORIZATION);
    let mut response = guarded(req, next).await;
    super::headers::apply(authenticated, &mut response);
    response
}

async fn guarded(req: Request, next: Next) -> Response {
    let head = head_size(&req);
    if head > MAX_HEAD_BYTES {
        return Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "header-too-large",
            "Request header fields too large",
            format!("the request line and header fields are {head} bytes; at most {MAX_HEAD_BYTES} are accepted"),
        )
        .into_response();
    }
    let limit = match super::body::takes_an_export(req.method(), req.uri().path()) {
        true => MAX_EXPORT_BODY,
        false => MAX_BODY,
    };
    let declared = content_length(req.headers());
    if let Some(n) = declared.filter(|n| *n > limit as u64) {
        // A client that asked first (`Expect: 100-continue`) is answered without being told to
        // send its body; any other may be writing it all before it reads a byte of the answer.
        let asked_first = req.headers().contains_key(header::EXPECT);
        if !asked_first && n <= (limit + DRAIN_BYTES) as u64 {
            let mut body = req.into_body();
            drain(
                &mut body,
                DRAIN_BYTES + limit,
                drain_time(n, body_timeout()),
            )
            .await;
        }
        return too_large(limit).into_response();
    }
    next.run(req).await
}

/// What a body's buffer is reserved for at least once a second frame comes ([`read_within`]):
/// a few frames' worth, whatever the body declares.
const RESERVED_AT_LEAST: usize = 64 << 10;

/// A request body, read whole: in no coding but `chunked` ([`uncoded`], 415 or 501, before it is
/// read), within [`BODY_TIMEOUT`] and [`MAX_BODY`] (a chunked body is cut off at the limit,
/// 413), its framing checked (400 `framing`).
///
/// Routes call it last, after the caller's token, the rate limit, the route itself and every
/// check of theirs the head allows (a right, the path's region or id, a header, the content
/// type), so nothing reads a body before its request could be refused. It is no extractor: an
/// extractor runs before the handler's own checks, and a region's token refused 403 by one of
/// them had its body read first. That matters for `Expect: 100-continue`: hyper answers 100 when
/// the body is first read, so a client with a revoked token, over its rate, at no route or
/// without the right is refused before it uploads its body (up to a MiB), as RFC 9110 §10.1.1
/// intends. A slow body holds no worker meanwhile: the read is a future with a deadline.
pub async fn read_body(
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<axum::body::Bytes, Problem> {
    uncoded(headers)?;
    read_within(body, MAX_BODY, body_timeout()).await
}

/// Refuses, before a byte of it is read, a body sent in a coding the gateway does not undo:
/// a `Content-Encoding` other than `identity` (415: a gzip body was read as JSON and refused
/// as "not valid UTF-8", and a plain body labelled `br` was taken as if uncoded), or a
/// `Transfer-Encoding` other than `chunked` (`gzip, chunked`: hyper undoes the chunks and
/// passes the gzip on; 501, RFC 9112 §6.1). Neither header's value is quoted unless it has
/// the form of a coding's name.
fn uncoded(headers: &HeaderMap) -> Result<(), Problem> {
    let codings = |name: header::HeaderName| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("(not ASCII)").split(','))
            .map(|c| c.trim().to_ascii_lowercase())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let said = |c: &str| super::shown::said(c, super::shown::code);
    if let Some(coding) = codings(header::CONTENT_ENCODING)
        .iter()
        .find(|c| *c != "identity")
    {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content coding",
            format!(
                "the body is sent with Content-Encoding {}, which the gateway does not decode: \
                 send it uncoded (no Content-Encoding, or identity)",
                said(coding)
            ),
        ));
    }
    if let Some(coding) = codings(header::TRANSFER_ENCODING)
        .iter()
        .find(|c| *c != "chunked")
    {
        return Err(Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "transfer-coding",
            "Unsupported transfer coding",
            format!(
                "the body is sent with Transfer-Encoding {}, which the gateway does not decode \
                 (RFC 9112 §6.1): send it with Content-Length or Transfer-Encoding: chunked \
                 alone",
                said(coding)
            ),
        ));
    }
    Ok(())
}

/// `body` read whole within `limit` bytes (413 past it, sent once the rest is drained: see
/// [`DRAIN_BYTES`]) and `deadline` (408).
async fn read_within(
    body: axum::body::Body,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<axum::body::Bytes, Problem> {
    use axum::body::HttpBody;
    let mut body = body;
    let read = async {
        // The first frame is kept as it came, uncopied: a body of one frame (most submissions)
        // is returned as is, as `to_bytes` returned it. Only a second frame starts a buffer,
        // reserved for the body's declared size up to the limit, so it does not grow by doubling.
        let mut first: Option<axum::body::Bytes> = None;
        let mut bytes = Vec::new();
        loop {
            let frame =
                std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
            match frame {
                None => {
                    return Ok(match first {
                        Some(one) if bytes.is_empty() => one,
                        _ => axum::body::Bytes::from(bytes),
                    });
                }
                Some(Err(e)) => return Err(unread(&e, limit)),
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    let had = first.as_ref().map_or(0, |f| f.len()) + bytes.len();
                    if had + data.len() > limit {
                        return Err(too_large(limit));
                    }
                    match first.take() {
                        None if bytes.is_empty() => first = Some(data),
                        held => {
                            if let Some(held) = held {
                                // Reserved for what is declared to come, but never more than
                                // what came so far, doubled: a declared length is the client's
                                // word, and two bytes declaring a megabyte held a megabyte for
                                // the body's deadline on a route that takes no token (found by a
                                // review). Past that the buffer grows as bytes come.
                                let came = held.len() + data.len();
                                let hint = usize::try_from(body.size_hint().lower())
                                    .unwrap_or(limit)
                                    .saturating_add(came)
                                    .min(came.saturating_mul(2).max(RESERVED_AT_LEAST))
                                    .min(limit);
                                bytes.reserve(hint);
                                bytes.extend_from_slice(&held);
                            }
                            bytes.extend_from_slice(&data);
                        }
                    }
                }
            }
        }
    };
    match tokio::time::timeout(deadline, read).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(problem)) => {
            // Over the limit, the rest is read and dropped so the client reads the 413
            // ([`DRAIN_BYTES`]); a body HTTP does not frame cannot be read on.
            if problem.status == StatusCode::PAYLOAD_TOO_LARGE.as_u16() {
                drain(&mut body, DRAIN_BYTES, DRAIN_TIME).await;
            }
            Err(problem)
        }
        Err(_) => Err(Problem::new(
            StatusCode::REQUEST_TIMEOUT,
            "request-timeout",
            "Request body too slow",
            format!(
                "the request body did not arrive within {} s; send it at once",
                deadline.as_secs_f64()
            ),
        )),
    }
}

/// A province's export, the reconcile route's body, read whole within [`MAX_EXPORT_BODY`] and
/// [`EXPORT_BODY_TIMEOUT`].
///
/// No extractor, as [`read_body`] is none: an extractor runs before the handler, so the route's own
/// checks (the operator's right, the region, the Content-Type, the tolerance) ran only once up to
/// 64 MiB had been read and held, for any region's token. The route calls this last, after
/// every check the head allows, as [`read_body`] is called. It decodes the export and lets it
/// go before the log is read, so it is held only while its records are parsed.
pub async fn read_export(
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<axum::body::Bytes, Problem> {
    uncoded(headers)?;
    read_within(body, MAX_EXPORT_BODY, export_timeout()).await
}
