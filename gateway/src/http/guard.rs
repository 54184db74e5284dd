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

use super::body::MAX_BODY;
use super::problem::Problem;

/// The largest request head accepted (request line and header fields), in bytes. Bearer tokens,
/// an Idempotency-Key and the usual proxy headers take well under 2 KiB.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

fn head_size(req: &Request) -> usize {
    let line = req.method().as_str().len()
        + req.uri().path_and_query().map_or(1, |p| p.as_str().len())
        + 11;
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

pub(super) fn too_large() -> Problem {
    Problem::payload_too_large(format!("request bodies are limited to {MAX_BODY} bytes"))
}

/// The middleware: 431 for an over-long head, 413 for a declared or actual over-long body.
///
/// A declared `Content-Length` above the limit is refused before a byte of the body is read. A
/// body without one (chunked) is cut off by the router's body limit while it is read; that
/// rejection is axum's plain text, which is turned into the same problem here.
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
    if content_length(req.headers()).is_some_and(|n| n > MAX_BODY as u64) {
        return too_large().into_response();
    }
    let response = next.run(req).await;
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem {
        return too_large().into_response();
    }
    response
}
