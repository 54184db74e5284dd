//! One log line for every write the gateway refused: who asked, on which route and application,
//! and why (the problem type), so that an operator can answer "the gateway refused our accept
//! on the 5th" or "we tried to approve first" from the gateway's log. The event log holds only
//! what was appended; a refusal leaves no event. And one for every read refused to an
//! authenticated caller because it may not read there (403, or 404 on an application's route:
//! not a party to it): a security officer's question is who tried to read another region's
//! applications, and a read leaves no other trace. (Reads refused for a malformed query or an
//! unknown token are not logged: those come from broken or anonymous clients, at any rate.)
//!
//! No personal data: the actor is `<region>/<token id>`, the route its template, the application
//! its id (only when the path segment is one, since anything can be typed into a path), the
//! reason the problem type, never its detail.

use std::sync::{Arc, OnceLock};

use axum::extract::MatchedPath;
use axum::http::{Method, Response, StatusCode};

/// Who a request was authenticated as, filled in by the `Caller` extractor for [`log`].
#[derive(Debug, Clone, Default)]
pub struct Who(Arc<OnceLock<String>>);

impl Who {
    pub fn set(&self, actor: String) {
        let _ = self.0.set(actor);
    }
}

fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD)
}

/// The problem type a refusal was answered with, left on the response by `Problem`.
#[derive(Debug, Clone)]
pub struct Refused(pub String);

/// Logs `response` when it is a refusal (4xx) on a route: to a write (any method but GET and
/// HEAD) whatever the refusal, to a read ([`logged_read`]) when an authenticated caller may not
/// read there; `refused` with the method, route template, status, problem type, actor and
/// application. Not 429: a client over its rate limit would flood the log with one line per
/// retry; those are counted in `/metrics`.
pub fn log<B>(
    method: &Method,
    path: &str,
    template: Option<&MatchedPath>,
    who: Option<&Who>,
    response: &Response<B>,
) {
    let status = response.status();
    if !status.is_client_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return;
    }
    let Some(template) = template else { return };
    let actor = who.and_then(|w| w.0.get());
    if is_read(method) && !logged_read(status, template.as_str(), actor.is_some()) {
        return;
    }
    let problem = response
        .extensions()
        .get::<Refused>()
        .map_or("-", |r| r.0.as_str());
    let app = application(template.as_str(), path);
    tracing::info!(
        method = %method,
        route = template.as_str(),
        status = status.as_u16(),
        problem,
        actor = actor.map_or("-", String::as_str),
        app = app.unwrap_or("-"),
        "refused"
    );
}

/// Whether a read refused with `status` on `template` is logged: when the caller was
/// authenticated (`authenticated`) and may not read there, 403, or 404 on a route of one
/// application (`{id}`: the answer to a region that is not its party, alike whether it exists).
fn logged_read(status: StatusCode, template: &str, authenticated: bool) -> bool {
    authenticated
        && (status == StatusCode::FORBIDDEN
            || (status == StatusCode::NOT_FOUND && template.contains("{id}")))
}

/// The `{id}` segment of `path` under `template`, when it is an application id (a UUID's 36
/// characters of hex digits and dashes): anything else may be whatever a caller typed.
fn application<'a>(template: &str, path: &'a str) -> Option<&'a str> {
    let at = template.split('/').position(|s| s == "{id}")?;
    let segment = path.split('/').nth(at)?;
    let uuid = segment.len() == 36
        && segment.bytes().enumerate().all(|(i, b)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        });
    uuid.then_some(segment)
}

#[cfg(test)]
mod tests {
    use super::{application, logged_read};
    use axum::http::StatusCode;

    /// Given reads refused, when their lines are decided, then those an authenticated caller met
    /// for reading where it may not (another region's inbox: 403; an application it is no party
    /// to: 404) are logged, and the rest (no token, a bad query, an unknown route's 404) not.
    #[test]
    fn reads_refused_for_want_of_a_right_are_logged() {
        let app = "/v1/applications/{id}";
        let inbox = "/v1/regions/{region}/inbox";
        assert!(logged_read(StatusCode::FORBIDDEN, inbox, true));
        assert!(logged_read(StatusCode::NOT_FOUND, app, true));
        assert!(logged_read(
            StatusCode::NOT_FOUND,
            "/ui/applications/{id}",
            true
        ));
        assert!(!logged_read(
            StatusCode::NOT_FOUND,
            "/v1/matters/{matter}",
            true
        ));
        assert!(!logged_read(StatusCode::BAD_REQUEST, inbox, true));
        assert!(!logged_read(StatusCode::UNAUTHORIZED, inbox, false));
        assert!(!logged_read(StatusCode::FORBIDDEN, inbox, false));
    }

    #[test]
    fn only_an_application_id_in_its_place_is_named() {
        let id = "0192f3a4-5b6c-7d8e-9f01-23456789abcd";
        let path = format!("/v1/applications/{id}/accept");
        assert_eq!(application("/v1/applications/{id}/accept", &path), Some(id));
        // An ID number typed where the id goes is not logged.
        assert_eq!(
            application(
                "/v1/applications/{id}/accept",
                "/v1/applications/110101199003077777/accept"
            ),
            None
        );
        assert_eq!(
            application(
                "/v1/regions/{region}/feed/ack",
                "/v1/regions/440000/feed/ack"
            ),
            None
        );
    }
}
