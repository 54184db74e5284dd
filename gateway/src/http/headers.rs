//! Headers every response carries, set by the transport guard's layer (`super::guard`) so no
//! route can forget them.
//!
//! - `X-Content-Type-Options: nosniff` on everything: a JSON answer holding a form's text is never
//!   read as HTML by a browser that guesses.
//! - `Cache-Control: no-store` on every answer to a request with a token: applications, events,
//!   inboxes, feeds and evidence pages hold personal data, which no shared or browser cache keeps.
//! - On HTML pages (the registry, the evidence page): a Content-Security-Policy that allows their
//!   inline style and their own forms and nothing else (no script, no framing, no other origin),
//!   and no `Referer` sent from them. Their escaping is what keeps injected markup inert; these
//!   make a missed escape harmless too.

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// The pages' policy: sent as a header with every served page, and written into every page the
/// offline tools save (`tongban dispute --out`, `replay --format html`) as a `<meta
/// http-equiv>`, which a browser opening the file obeys the same (but for `frame-ancestors`,
/// which only the header can carry).
pub const HTML_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                           base-uri 'none'; frame-ancestors 'none'";

const KEEP_ALIVE: header::HeaderName = header::HeaderName::from_static("keep-alive");

/// Sets them on `res`, the answer to a request that did (`authenticated`) or did not carry a token.
pub fn apply(authenticated: bool, res: &mut Response) {
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // A kept-alive connection left idle is closed after the head's deadline (30 s,
    // `connections::HEAD_TIMEOUT`). Saying so lets a province's connection pool (Apache
    // HttpClient reads it) drop it first, instead of sending a request just as it closes and
    // failing without a retry.
    headers.insert(KEEP_ALIVE, HeaderValue::from_static("timeout=25"));
    if authenticated && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(HTML_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
}
