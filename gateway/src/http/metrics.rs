//! `GET /metrics` (Prometheus text) and the layer that times every routed request.
//!
//! Public, like `/healthz`: it holds no personal data, no ids and no tokens (labels are route
//! templates, methods, status classes, the backend and store names, read-after outcomes, clock
//! kinds and the causes of a remade consumer), and Prometheus scrapers are simplest without a
//! bearer token. Deployments that consider traffic volumes sensitive restrict the path in the
//! proxy in front. Every metric's name is written here, and docs/operations.md's table names
//! each (tests/e2e_metrics.rs checks both ways).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::log::EventLog;
use crate::metrics::HttpMetrics;
use crate::metrics::text::{self, Text};

/// Times every request (outermost layer, so refusals before routing count too) and counts it
/// under the route template [`tag`] left on the response, or `unmatched`.
pub async fn track(
    State(metrics): State<Arc<HttpMetrics>>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let uri = request.uri().clone();
    // A slot for the request's actor, for its answer's line if it is refused.
    let who = super::refusals::Who::default();
    request.extensions_mut().insert(who.clone());
    let response = next.run(request).await;
    let elapsed = started.elapsed();
    // A method the route does not take (405) reached no handler: it counts as unmatched, as a
    // path no route has, whatever axum left on the response (one series per template and method
    // taken, so no request adds series).
    let template = response
        .extensions()
        .get::<RouteTemplate>()
        .filter(|_| response.status() != axum::http::StatusCode::METHOD_NOT_ALLOWED);
    super::refusals::log(
        &method,
        uri.path(),
        template.map(|t| &t.0),
        Some(&who),
        &response,
    );
    metrics.record(
        if template.is_some() {
            method.as_str()
        } else {
            "ANY"
        },
        template.map(|t| t.0.as_str()),
        response.status().as_u16(),
        elapsed,
    );
    response
}

/// The matched route's template, carried from the route layer out to [`track`] (axum's own,
/// shared: no copy per request).
#[derive(Debug, Clone)]
struct RouteTemplate(MatchedPath);

/// Route layer: runs after routing, when the template is known, and puts it on the response.
pub async fn tag(matched: Option<MatchedPath>, request: Request, next: Next) -> Response {
    let template = matched.map(RouteTemplate);
    let mut response = next.run(request).await;
    if let Some(t) = template {
        response.extensions_mut().insert(t);
    }
    response
}

pub async fn serve<L: EventLog>(State(s): State<AppState<L>>) -> Response {
    let mut t = Text::default();
    t.family(
        "tongban_http_requests_total",
        "counter",
        "HTTP requests answered, by method, route template and status class.",
    );
    for r in s.metrics.routes() {
        for (class, n) in r.classes() {
            t.sample(
                "tongban_http_requests_total",
                &[
                    ("method", &r.method),
                    ("route", &r.template),
                    ("status", class),
                ],
                n,
            );
        }
    }
    t.family(
        "tongban_http_rate_limited_total",
        "counter",
        "Requests refused with 429 because their region was over its rate limit, by method and \
         route template (also counted in tongban_http_requests_total's 4xx; not logged).",
    );
    for r in s.metrics.routes() {
        t.sample(
            "tongban_http_rate_limited_total",
            &[("method", &r.method), ("route", &r.template)],
            r.rate_limited(),
        );
    }
    t.family(
        "tongban_http_request_duration_seconds",
        "histogram",
        "Time from routing to the response head, by method and route template.",
    );
    for r in s.metrics.routes() {
        let snap = r.latency();
        if snap.count > 0 {
            t.histogram(
                "tongban_http_request_duration_seconds",
                &[("method", &r.method), ("route", &r.template)],
                &snap,
                1e6,
            );
        }
    }
    t.family(
        "tongban_http_head_timeouts_total",
        "counter",
        "Connections closed because a request head (request line and header fields) did not \
         arrive within its deadline, 30 s; an idle kept-alive connection is closed after as \
         long, and is not counted.",
    );
    t.sample(
        "tongban_http_head_timeouts_total",
        &[],
        crate::connections::HEAD_TIMEOUTS.load(std::sync::atomic::Ordering::Relaxed),
    );
    let backend = s.gateway.log.backend();
    let stats = s.gateway.log.stats();
    t.family(
        "tongban_events_appended_total",
        "counter",
        "Events this process appended to the log (acknowledged durable).",
    );
    t.sample(
        "tongban_events_appended_total",
        &[("backend", backend)],
        stats.appends,
    );
    // The backend's own histograms, where it keeps them; `scale` turns their unit into the
    // metric's (events stay events, microseconds become seconds).
    for (name, help, snapshot, scale) in [
        (
            "tongban_log_group_commit_events",
            "Events made durable per group commit (one fsync each).",
            &stats.batch_sizes,
            1.0,
        ),
        (
            "tongban_log_sync_duration_seconds",
            "Time to write and fsync one group commit.",
            &stats.sync_micros,
            1e6,
        ),
        (
            "tongban_log_publish_ack_duration_seconds",
            "Time from publishing an append to the server's acknowledgement.",
            &stats.ack_micros,
            1e6,
        ),
    ] {
        if let Some(snapshot) = snapshot {
            t.family(name, "histogram", help);
            t.histogram(name, &[("backend", backend)], snapshot, scale);
        }
    }
    if let Some(n) = stats.in_flight {
        t.family(
            "tongban_log_publishes_in_flight",
            "gauge",
            "Appends published to JetStream and not yet acknowledged.",
        );
        t.sample(
            "tongban_log_publishes_in_flight",
            &[("backend", backend)],
            n,
        );
    }
    if let Some(pushed) = stats.pushed {
        t.family(
            "tongban_log_head_pushed",
            "gauge",
            "1 while the stream's server pushes this gateway where each event is stored, 0 while only the poll follows other gateways' appends.",
        );
        t.sample(
            "tongban_log_head_pushed",
            &[("backend", backend)],
            u64::from(pushed),
        );
    }
    if let Some(n) = stats.end_asked {
        t.family(
            "tongban_log_end_asked_total",
            "counter",
            "Requests that asked the log where it ends, for reads naming a position this gateway \
             had not heard of or `latest`, and feed acknowledgements beyond it (one request serves \
             every caller waiting at the time).",
        );
        t.sample("tongban_log_end_asked_total", &[("backend", backend)], n);
    }
    for (name, help, n) in [
        (
            "tongban_log_pushed_kept_total",
            "Other gateways' events the stream's consumer pushed, kept for the projector, which \
             did not ask the server for them.",
            stats.pushed_kept,
        ),
        (
            "tongban_log_followed_from_stream_total",
            "Events the projector read from the stream because the push had not brought them.",
            stats.followed_from_stream,
        ),
    ] {
        if let Some(n) = n {
            t.family(name, "counter", help);
            t.sample(name, &[("backend", backend)], n);
        }
    }
    if let Some(remade) = stats.consumers_remade {
        let name = "tongban_log_consumers_remade_total";
        t.family(
            name,
            "counter",
            "Times the stream's consumer was given up and asked for again, by cause: stalled (it \
             left a position known stored undelivered: a flow-control reply lost) or lost (the \
             server stopped sending to it: missed heartbeats, a closed subscription).",
        );
        for (cause, n) in [("stalled", remade.stalled), ("lost", remade.lost)] {
            t.sample(name, &[("backend", backend), ("cause", cause)], n);
        }
    }
    let reach = &s.gateway.reach_stats;
    t.family(
        "tongban_read_after_total",
        "counter",
        "Requests that named a log position (or latest) to read after (X-Tongban-Read-After), \
         by outcome: reached, refused as beyond-log, not-caught-up, log-unavailable or \
         projections-stopped, or abandoned by the caller mid-wait. A header refused as malformed is not counted.",
    );
    for (outcome, n) in reach.outcomes() {
        t.sample(
            "tongban_read_after_total",
            &[("backend", backend), ("outcome", outcome)],
            n,
        );
    }
    t.family(
        "tongban_read_after_wait_seconds",
        "histogram",
        "Time a request naming a log position waited for it before its handler ran, or until \
         it was refused or abandoned (a not-caught-up refusal waits 2 s).",
    );
    t.histogram(
        "tongban_read_after_wait_seconds",
        &[("backend", backend)],
        &reach.waited(),
        1e6,
    );
    let stores = [
        ("log", stats.memory),
        ("projections", Some(s.gateway.store.memory())),
        ("evidence", s.gateway.evidence.as_ref().map(|e| e.memory())),
    ];
    type Figure = fn(&crate::fjall_tuning::StoreMemory) -> u64;
    let figures: [(&str, &str, Figure); 4] = [
        (
            "tongban_store_memtable_bytes",
            "Bytes in the store's memtables (active and sealed), as fjall accounts them.",
            |m| m.memtable_bytes,
        ),
        (
            "tongban_store_block_cache_bytes",
            "Bytes in the store's block cache.",
            |m| m.cache_bytes,
        ),
        (
            "tongban_store_tables",
            "Tables on disk in the store, over all its keyspaces.",
            |m| m.tables,
        ),
        (
            "tongban_store_retained_versions",
            "Superseded versions of the store's trees still held for open reads (each keeps \
             its memtables and tables in memory).",
            |m| m.retained_versions,
        ),
    ];
    for (name, help, figure) in figures {
        t.family(name, "gauge", help);
        for (store, memory) in &stores {
            if let Some(m) = memory {
                t.sample(name, &[("store", store)], figure(m));
            }
        }
    }
    let name = "tongban_log_available";
    t.family(
        name,
        "gauge",
        "1 while the event log can take writes, 0 while it cannot (NATS unreachable, or the \
         embedded log stopped after a storage failure); /healthz says the same.",
    );
    t.sample(
        name,
        &[("backend", backend)],
        u64::from(s.gateway.log.available()),
    );
    let name = "tongban_log_restart_required";
    t.family(
        name,
        "gauge",
        "1 while the event log refuses writes until the gateway is restarted after the \
         operator's fix (a stream replaced or put back to an older copy, a failed disk), 0 \
         otherwise; /healthz says why (log_unavailable).",
    );
    t.sample(
        name,
        &[("backend", backend)],
        u64::from(s.gateway.log.refusal().is_some_and(|r| r.restart_required)),
    );
    let name = "tongban_projections_restart_required";
    t.family(
        name,
        "gauge",
        "1 while the projections are stopped because their store failed (a full or failing \
         disk: fjall poisoned, or an I/O error) and only a restart brings them back; 0 \
         otherwise. Writes are still taken; reads of the projections answer stale \
         (X-Tongban-Stale). /healthz says why (projections_unavailable).",
    );
    t.sample(
        name,
        &[("backend", backend)],
        u64::from(s.gateway.projections_stopped().is_some()),
    );
    let head = *s.gateway.log.head().borrow();
    let applied = s.gateway.projector.applied();
    for (name, help, value) in [
        (
            "tongban_log_head_position",
            "Position of the last durable event in the log.",
            head,
        ),
        (
            "tongban_projection_position",
            "Position the projections have applied up to (their checkpoint).",
            applied,
        ),
        (
            "tongban_projection_lag_events",
            "Log head minus projection position: how far reads are behind writes.",
            head.saturating_sub(applied),
        ),
    ] {
        t.family(name, "gauge", help);
        t.sample(name, &[("backend", backend)], value);
    }
    // Read from the store's own count: one point read. An unreadable count is left out rather
    // than shown as 0.
    if let Ok(held) = s.gateway.store.held_count() {
        let name = "tongban_projection_held_applications";
        t.family(
            name,
            "gauge",
            "Applications whose view is held at an event that does not fold (GET /v1/projections/held).",
        );
        t.sample(name, &[("backend", backend)], held);
    }
    if let Ok(unreadable) = s.gateway.store.unreadable_count() {
        let name = "tongban_log_unreadable_records";
        t.family(
            name,
            "gauge",
            "Records of the event log that are not events, passed over by the projections (GET /v1/projections/held, unreadable).",
        );
        t.sample(name, &[("backend", backend)], unreadable);
    }
    if let Ok(repeated) = s.gateway.store.repeated_count() {
        let name = "tongban_log_repeated_events";
        t.family(
            name,
            "gauge",
            "Events of the log under a seq their application's projection had folded already (a copy, or another event under that seq, published onto the stream by something other than a gateway), passed over by the projections; the gateway's log says where; tongban verify names each.",
        );
        t.sample(name, &[("backend", backend)], repeated);
    }
    if let Ok(unchecked) = s.gateway.store.unchecked() {
        let name = "tongban_projections_unchecked";
        t.family(
            name,
            "gauge",
            "1 while the projections were folded by a rebuild that did not check the events' seals (tongban rebuild --trust-log; /healthz projections_unchecked), else 0.",
        );
        t.sample(
            name,
            &[("backend", backend)],
            u64::from(unchecked.is_some()),
        );
    }
    let name = "tongban_history_builds_waited_total";
    t.family(
        name,
        "counter",
        "Answers that hold an application's whole history (its events, its timeline, its evidence page) that waited for their turn: those of more than 64 events are built at most 3 at a time, 1 per region.",
    );
    t.sample(name, &[("backend", backend)], s.histories.waited());
    let name = "tongban_clock_behind_log_seconds";
    t.family(
        name,
        "gauge",
        "How many seconds this host's clock is behind the latest event time in the log, when more than a minute (events stamped now read as happened before events the log holds; /healthz clock_behind_log_seconds), else 0.",
    );
    t.sample(
        name,
        &[("backend", backend)],
        s.gateway
            .clock_behind_ms()
            .map_or(0, |ms| ms.unsigned_abs() / 1000),
    );
    // For a monitor without an operator's token: a book that does not read keeps the one read
    // before in use, so tokens revoked in the file since still act.
    s.book.refresh();
    let name = "tongban_region_book_unreadable";
    t.family(
        name,
        "gauge",
        "1 while regions.json changed but does not read (the book read before stays in use: revocations and keys in the file take no effect; /healthz region_book_unreadable), else 0.",
    );
    t.sample(
        name,
        &[("backend", backend)],
        u64::from(s.book.unreadable().is_some()),
    );
    // Counted from the index of running clocks at scrape time: its keys due before today only.
    if let Ok(counts) = s
        .gateway
        .store
        .overdue_counts(crate::time::Timestamp::now().china_date())
    {
        let name = "tongban_deadlines_overdue";
        t.family(
            name,
            "gauge",
            "Running statutory clocks past their due date, by the Beijing date of the scrape, per \
             kind (GET /v1/deadlines/overdue lists them).",
        );
        for (kind, n) in counts {
            t.sample(
                name,
                &[("kind", crate::projections::running::kind_str(kind))],
                n,
            );
        }
    }
    let projector = &s.gateway.projector;
    for (name, help, snapshot) in [
        (
            "tongban_projection_read_duration_seconds",
            "Time to read one batch of events from the log for the projections.",
            projector.read_micros(),
        ),
        (
            "tongban_projection_apply_duration_seconds",
            "Time to apply one batch of events to the projections (a writer waiting to read its \
             own write waits for the read and the apply of the batch that holds it).",
            projector.apply_micros(),
        ),
    ] {
        t.family(name, "histogram", help);
        t.histogram(name, &[("backend", backend)], &snapshot, 1e6);
    }
    ([(CONTENT_TYPE, text::CONTENT_TYPE)], t.finish()).into_response()
}
