//! Signed requests at the edge: for a region that registered a request-signing key, its
//! state-changing requests must carry a valid, fresh, unreplayed signature (401 otherwise, naming
//! what is wrong); regions without a key keep using their token alone.

use axum::http::{HeaderMap, StatusCode, Uri};

use super::AppState;
use super::problem::Problem;
use crate::auth::signature::{self, DIGEST_HEADER, SIGNATURE_HEADER, SignedParts};
use crate::auth::{Principal, RequestSignature, SignatureError};
use crate::log::EventLog;
use crate::time::Timestamp;

/// Which repeated signatures the route lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exempt {
    /// Every signature is single-use.
    Never,
    /// A submission with an `Idempotency-Key` may be repeated as is, under the same key: the key
    /// makes the repetition name the same application and append nothing, so a client retrying
    /// after a lost answer gets that answer. Under another key (or none) it is a replay.
    WithIdempotencyKey,
}

fn refuse(e: &SignatureError) -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        e.slug(),
        "Request signature refused",
        e.to_string(),
    )
}

/// The signature's headers, before the body is read: a region that signs and sent none is
/// refused (401) whatever the path names, and before it uploads the body (`Expect:
/// 100-continue`). [`check`] verifies the rest once the body is read.
pub fn check_head<L: EventLog>(
    s: &AppState<L>,
    principal: &Principal,
    headers: &HeaderMap,
) -> Result<(), Problem> {
    let Some(region) = principal.region() else {
        return Ok(());
    };
    if s.book.signing_key(region).is_none() {
        return Ok(());
    }
    signature::present(region, &parts(headers, "", &[]))
        .map(|_| ())
        .map_err(|e| refuse(&e))
}

/// A header's value as text, if it is sent and is text.
fn text<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What a signature covers, as the request carries it. Every signed route is POST-only (the
/// router refuses other methods before this runs).
fn parts<'a>(headers: &'a HeaderMap, path_and_query: &'a str, body: &'a [u8]) -> SignedParts<'a> {
    SignedParts {
        method: "POST",
        path_and_query,
        date: text(headers, "date"),
        digest: text(headers, DIGEST_HEADER),
        signature: text(headers, SIGNATURE_HEADER),
        body,
    }
}

/// Checks the request's signature when the caller's region has a key; returns the evidence to
/// keep with the event (`None` when the region signs nothing, or for operators, who act on nothing).
pub fn check<L: EventLog>(
    s: &AppState<L>,
    principal: &Principal,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    exempt: Exempt,
) -> Result<Option<RequestSignature>, Problem> {
    let Some(region) = principal.region() else {
        return Ok(None);
    };
    let Some(key) = s.book.signing_key(region) else {
        return Ok(None);
    };
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or_else(|| uri.path());
    let now = Timestamp::now();
    let verified = signature::verify(region, &key, parts(headers, path_and_query, body), now)
        .map_err(|e| refuse(&e))?;
    let key = match exempt {
        Exempt::WithIdempotencyKey => text(headers, "idempotency-key"),
        Exempt::Never => None,
    };
    if !s.replay.use_under_key(&verified.sig, key, now) {
        return Err(refuse(&SignatureError::Replayed));
    }
    Ok(Some(verified))
}
