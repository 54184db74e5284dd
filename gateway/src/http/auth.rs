//! The `Authorization: Bearer <token>` extractor; it also admits the request under its region's
//! rate limit (one for all the region's tokens, [`super::rate`]), since only an authenticated
//! request has a region to count it against, and then waits for the log
//! position the request names (`X-Tongban-Read-After`, [`super::read_after`]), so that every
//! authenticated route honours it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::AppState;
use super::problem::Problem;
use crate::auth::Principal;
use crate::log::EventLog;

/// The authenticated caller of a request.
pub struct Caller(pub Principal);

impl<L: EventLog> FromRequestParts<AppState<L>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<L>) -> Result<Caller, Problem> {
        let principal = authenticated(state, &parts.headers)?;
        if let Some(who) = parts.extensions.get::<super::refusals::Who>() {
            who.set(principal.actor());
        }
        state.limiter.admit(&principal)?;
        super::read_after::wait(state, &parts.headers).await?;
        Ok(Caller(principal))
    }
}

/// The principal whose token the request's one `Authorization: Bearer <token>` header carries,
/// or the 401 saying what is wrong with it.
fn authenticated<L: EventLog>(
    state: &AppState<L>,
    headers: &HeaderMap,
) -> Result<Principal, Problem> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = values
        .next()
        .ok_or_else(|| Problem::unauthorized("send Authorization: Bearer <token>"))?;
    // Two credentials (a proxy that adds its own beside the client's): which one acts must
    // not depend on the order they arrive in.
    if values.next().is_some() {
        return Err(Problem::unauthorized(
            "the request carries more than one Authorization header: send exactly one \
             (a proxy in front may add its own beside the client's)",
        ));
    }
    let text = value
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not ASCII"))?;
    let token = bearer_token(text).ok_or_else(|| {
        Problem::unauthorized("the Authorization header must be `Bearer <token>`")
    })?;
    state
        .book
        .authenticate(token)
        .ok_or_else(|| Problem::unauthorized("the token is unknown or revoked"))
}

/// The caller the request's token names, read as [`Caller`] reads it, or none (no token, a bad
/// or revoked one) without a 401: for a route anyone may call that tells an authenticated
/// caller more (`/healthz` tells operators its details). Not counted under a rate limit and
/// waiting for no `X-Tongban-Read-After`: such a route answers the same to the public.
pub fn presented<L: EventLog>(state: &AppState<L>, headers: &HeaderMap) -> Option<Principal> {
    authenticated(state, headers).ok()
}

/// The token of `Bearer <token>`. The scheme is case-insensitive (RFC 9110 §11.1: `BEARER`,
/// `bearer` and `Bearer` are one scheme) and one or more spaces may follow it (`1*SP`).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    /// Given the scheme in any case and any number of spaces after it, when the header is read,
    /// then the token is found; another scheme or no token is none. Guards RFC 9110's
    /// case-insensitive scheme.
    #[test]
    fn the_scheme_is_case_insensitive() {
        for value in ["Bearer t0k", "bearer t0k", "BEARER t0k", "BeArEr   t0k"] {
            assert_eq!(bearer_token(value), Some("t0k"), "{value}");
        }
        for value in [
            "Basic t0k",
            "Bearer",
            "Bearer  ",
            "Bearert0k",
            "Bearers t0k",
        ] {
            assert_eq!(bearer_token(value), None, "{value}");
        }
    }
}
