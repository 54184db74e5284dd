//! `GET /v1/log/records?after=N&to=M`: what the running hash takes at each position of the log
//! after N up to M ([`crate::service::log_records`]), so that a party holding a signed head at
//! N can carry it to M and check it against the gateway's signed head there.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::extract::{Query, whole_number};
use super::problem::Problem;
use crate::log::EventLog;
use crate::service::log_records::{RecordsPage, RecordsRefused};

/// `after` (default 0) and `to` (default: where the log head stands), whole numbers.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordsQuery {
    after: Option<String>,
    to: Option<String>,
}

/// Any authenticated caller (region or operator), as the head: positions and hashes only, which
/// say nothing of any application (no id, no content).
pub async fn records<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(_): Caller,
    Query(q): Query<RecordsQuery>,
) -> Result<Json<RecordsPage>, Problem> {
    let after = q
        .after
        .as_deref()
        .map(|text| whole_number("after", text, 0, u64::MAX))
        .transpose()?
        .unwrap_or(0);
    let to =
        q.to.as_deref()
            .map(|text| whole_number("to", text, 0, u64::MAX))
            .transpose()?;
    match s.gateway.log_records(after, to).await {
        Ok(page) => Ok(Json(page)),
        Err(RecordsRefused::NotReady) => Err(super::log_head::not_ready()),
        Err(RecordsRefused::NotReached { head }) => Err(Problem::new(
            StatusCode::NOT_FOUND,
            "log-position-not-reached",
            "The log does not reach that position yet",
            format!(
                "the log head stands at position {head} (every event acknowledged before this \
                 request): ask for records up to it at most, or again once the log has grown"
            ),
        )),
        Err(RecordsRefused::Backwards) => Err(Problem::bad_request(
            "query:after",
            "range",
            "after must be at most to: the page lists the positions after `after` up to `to`",
        )),
        Err(RecordsRefused::Service(e)) => Err(Problem::reading(e)),
    }
}
