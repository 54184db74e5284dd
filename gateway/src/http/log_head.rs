//! `GET /v1/log/head`: the log head the projections stand at, signed by the gateway
//! ([`crate::log::head_hash`]). Provinces and auditors keep such heads; any later log must
//! reproduce each (`tongban verify --heads`, `docs/audit/verify_chain.py --heads`).
//!
//! `?position=N` signs the head at an earlier position instead. Why: heads prove nothing
//! against a gateway that shows each party its own history unless parties compare them, and
//! heads kept at different positions cannot be compared (a running hash is not extended without
//! the events between). A party handed another's head at N asks for the head at N and compares
//! the two (`tongban heads`): a gateway that showed them two histories must sign a second hash at
//! N, which is the proof, or refuse.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::extract::Query;
use super::problem::Problem;
use crate::log::EventLog;
use crate::log::head_hash::SignedHead;

/// `?position=N`: the head at log position N instead of now's (a whole number, at most where
/// the head stands).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadQuery {
    position: Option<String>,
}

/// Any authenticated caller (region or operator): the head says nothing of any application.
/// Read-your-writes as every projection read: it covers every event acknowledged before.
///
/// The answer ends with a line break, so that the guide's `curl … >> heads.jsonl` keeps one head
/// per line: without it, a month of heads appended so made one line that `verify --heads` refused
/// (found by an auditor's walkthrough).
pub async fn head<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(_): Caller,
    Query(q): Query<HeadQuery>,
) -> Result<Response, Problem> {
    let wanted = q
        .position
        .as_deref()
        .map(|text| super::extract::whole_number("position", text, 0, u64::MAX))
        .transpose()?;
    s.gateway.caught_up().await;
    let running = s
        .gateway
        .store
        .log_head()
        .map_err(crate::service::ServiceError::from)?;
    let Some(running) = running else {
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "log-head-not-ready",
            "The log head is not ready",
            "the projections keep no log head up to where they stand yet (a store made before \
             heads, caught up from the log when the gateway starts; if the gateway's log says the \
             catch-up failed, run `tongban rebuild`): try again later",
        );
        p.retry_after = Some(5);
        return Err(p);
    };
    let running = match wanted {
        Some(wanted) if wanted > running.position => {
            return Err(Problem::new(
                StatusCode::NOT_FOUND,
                "log-position-not-reached",
                "The log does not reach that position yet",
                format!(
                    "position {wanted}: the log head stands at position {} (every event \
                     acknowledged before this request): ask for a head at or before it, or \
                     again once the log has grown past it",
                    running.position
                ),
            ));
        }
        Some(wanted) if wanted < running.position => s.gateway.log_head_at(wanted).await?,
        _ => running,
    };
    let at = crate::time::Timestamp::now().to_rfc3339();
    let signed = SignedHead::sign(&running, &at, &s.gateway.key);
    let mut body = serde_json::to_vec(&signed).map_err(|e| {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            format!("the head does not serialize: {e}"),
        )
    })?;
    body.push(b'\n');
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
