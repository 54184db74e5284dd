//! `/v1/regions…`: the participating regions and each region's inbox and outbox.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::problem::Problem;
use crate::log::EventLog;

#[derive(Debug, Deserialize)]
pub struct Paging {
    pub limit: Option<usize>,
}

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

fn limit(p: &Paging) -> Result<usize, Problem> {
    match p.limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(n) => Err(Problem::bad_request(
            "query:limit",
            "range",
            format!("limit must be 1 to {MAX_LIMIT}, got {n}"),
        )),
    }
}

pub async fn list<L: EventLog>(State(s): State<AppState<L>>, Caller(_): Caller) -> Json<Value> {
    let book = s.book.snapshot();
    let regions: Vec<Value> = book
        .regions
        .iter()
        .map(|(code, r)| json!({"code": code, "name": r.name}))
        .collect();
    Json(json!({ "regions": regions }))
}

pub async fn inbox<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(region): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, Problem> {
    let items = s.gateway.inbox(&principal, &region, limit(&paging)?)?;
    Ok(Json(json!({"region": region, "items": items})))
}

pub async fn outbox<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(region): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, Problem> {
    let items = s.gateway.outbox(&principal, &region, limit(&paging)?)?;
    Ok(Json(json!({"region": region, "items": items})))
}
