//! `/v1/deadlines/…`: statutory clocks across applications, for the daily "who is late" check.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::extract::Query;
use super::problem::Problem;
use super::regions::Paging;
use crate::log::EventLog;

/// `GET /v1/deadlines/overdue`: the running clocks whose due date is past today (Beijing date),
/// oldest due first, a page at a time: application, matter, kind, responsible region, due date
/// and days overdue, no personal data. Operators see all; a region the clocks it must act on. A
/// paused clock is not running, so it is not listed. The decision clock of a deemed acceptance
/// (行政许可法 Art. 32) is listed once overdue, before any event started it
/// (`crate::projections::running::entries`).
pub async fn overdue<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, Problem> {
    let limit = super::regions::limit(&paging)?;
    let after = paging
        .after
        .as_deref()
        .map(crate::projections::running::cursor_key)
        .transpose()
        .map_err(|detail| Problem::bad_request("query:after", "format", detail))?;
    let now = crate::time::Timestamp::now();
    let items = s
        .gateway
        .overdue(&principal, now, after, limit)
        .await
        .map_err(Problem::reading)?;
    let next = (items.len() == limit)
        .then(|| items.last().map(|c| c.cursor()))
        .flatten();
    Ok(Json(json!({
        "as_of": now.china_date().to_string(),
        "items": items,
        "next": next,
    })))
}
