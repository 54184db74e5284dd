//! `GET /v1/log/head`: the log head the projections stand at, signed by the gateway
//! ([`crate::log::head_hash`]). Provinces and auditors keep such heads; any later log must
//! reproduce each (`tongban verify --heads`, `docs/audit/verify_chain.py --heads`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::auth::Caller;
use super::problem::Problem;
use crate::log::EventLog;
use crate::log::head_hash::SignedHead;

/// Any authenticated caller (region or operator): the head says nothing of any application.
/// Read-your-writes as every projection read: it covers every event acknowledged before.
///
/// The answer ends with a line break, so that the guide's `curl … >> heads.jsonl` keeps one head
/// per line: without it, a month of heads appended so made one line that `verify --heads` refused
/// (found by an auditor's walkthrough).
pub async fn head<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(_): Caller,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
) -> Result<Response, Problem> {
    s.gateway.caught_up().await;
    let running = s
        .gateway
        .store
        .log_head()
        .map_err(crate::service::ServiceError::from)?;
    let Some(running) = running else {
        return Err(not_ready());
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

/// 503 `log-head-not-ready`: the projections keep no log head up to where they stand yet, so
/// none is signed, and no records are bounded by it (`GET /v1/log/records`).
pub(super) fn not_ready() -> Problem {
    let mut p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "log-head-not-ready",
        "The log head is not ready",
        "the projections keep no log head up to where they stand yet (a store made before \
         heads, caught up from the log when the gateway starts; if the gateway's log says the \
         catch-up failed, run `tongban rebuild`): try again later",
    );
    p.retry_after = Some(5);
    p
}
