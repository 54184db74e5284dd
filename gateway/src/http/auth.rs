//! The `Authorization: Bearer <token>` extractor; it also admits the request under the token's
//! rate limit, since the token is what the limit is kept for, and then waits for the log
//! position the request names (`X-Tongban-Read-After`, [`super::read_after`]), so that every
//! authenticated route honours it.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

use super::AppState;
use super::problem::Problem;
use crate::auth::Principal;
use crate::log::EventLog;

/// The authenticated caller of a request.
pub struct Caller(pub Principal);

impl<L: EventLog> FromRequestParts<AppState<L>> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState<L>) -> Result<Caller, Problem> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| Problem::unauthorized("send Authorization: Bearer <token>"))?;
        let text = value
            .to_str()
            .map_err(|_| Problem::unauthorized("the Authorization header is not ASCII"))?;
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Problem::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let principal = state
            .book
            .authenticate(token)
            .ok_or_else(|| Problem::unauthorized("the token is unknown or revoked"))?;
        if let Some(who) = parts.extensions.get::<super::refusals::Who>() {
            who.set(principal.actor());
        }
        state.limiter.admit(&principal)?;
        super::read_after::wait(state, &parts.headers).await?;
        Ok(Caller(principal))
    }
}
