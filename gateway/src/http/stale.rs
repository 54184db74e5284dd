//! `X-Tongban-Stale`: the mark on answers drawn from projections that stopped for good.
//!
//! When the projection store fails in a way it does not recover from without a restart
//! ([`crate::projections::projector::Stopped`]), the gateway goes on taking writes (the log is
//! fine) and answers the routes that read the projections (boxes, the feed, search by serial,
//! overdue clocks, held applications) at once from what they hold, instead of making every read
//! wait for a catch-up that cannot come. Those answers carry `X-Tongban-Stale: <position>`: they
//! hold the events up to that log position only, so a write answered with a higher
//! `X-Tongban-Position` is not in them. A client that must see its write sends
//! `X-Tongban-Read-After` (503 `projections-unavailable` here, at once: retry through another
//! gateway). An application read (`GET /v1/applications/{id}`) is folded from the log then and
//! is not stale, so it carries no mark.

use axum::extract::{Request, State};
use axum::http::HeaderName;
use axum::middleware::Next;
use axum::response::Response;

use super::AppState;
use crate::log::EventLog;

/// The response header: the log position the answer holds every event up to.
pub const STALE: HeaderName = HeaderName::from_static("x-tongban-stale");

/// Marks a successful answer of a route that reads the projections while they are stopped.
pub async fn mark<L: EventLog>(
    State(s): State<AppState<L>>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    if response.status().is_success()
        && let Some(stopped) = s.gateway.projections_stopped()
    {
        response
            .headers_mut()
            .insert(STALE, axum::http::HeaderValue::from(stopped.at));
    }
    response
}
