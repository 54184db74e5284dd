//! The HTTP API (axum on hyper): JSON in and out, errors as RFC 9457 problem+json.
//!
//! Handlers return `Result<_, Problem>`; a problem is built once per failed request and sent, so its
//! size on the error path does not matter.
//!
//! Every route is listed once in [`routes`]; the router and the OpenAPI document are both built
//! from that list, so they cannot disagree.
#![allow(clippy::result_large_err)]

pub mod actions;
pub mod adapters;
pub mod applications;
pub mod auth;
pub mod body;
pub mod deadlines;
pub mod drain;
pub mod extract;
pub mod find;
pub mod forms;
pub mod guard;
pub mod headers;
pub mod histories;
pub mod limits;
pub mod log_head;
pub mod log_records;
pub mod metrics;
pub mod openapi;
pub mod operator;
pub mod origin;
pub mod pages;
pub mod problem;
pub mod public;
pub mod quota;
pub mod rate;
pub mod read_after;
pub mod refusals;
pub mod regions;
pub mod schemas;
pub use crate::shown;
pub mod signed;
pub mod stale;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method};
use axum::routing::{MethodRouter, on};

use crate::auth::RegionBook;
use crate::domain::Action;
use crate::log::EventLog;
use crate::service::Gateway;
use extract::Path;

/// Shared state of every handler: one `Arc`, since axum clones the state for every request
/// (each clone and drop of six `Arc`s was twelve atomic operations on lines both cores touch).
pub struct AppState<L: EventLog>(Arc<Shared<L>>);

/// What [`AppState`] shares.
pub struct Shared<L: EventLog> {
    pub gateway: Arc<Gateway<L>>,
    pub book: Arc<RegionBook>,
    pub openapi: Arc<serde_json::Value>,
    pub limiter: Arc<rate::RateLimiter>,
    pub replay: Arc<crate::auth::ReplayCache>,
    pub metrics: Arc<crate::metrics::HttpMetrics>,
    /// The turns whole histories are built in ([`histories`]).
    pub histories: histories::Histories,
    /// The turns regions' reconciliations of their own records run in, each reading the whole
    /// log ([`histories::RECONCILIATIONS`]).
    pub reconciliations: histories::Histories,
    /// Each region's bytes written per day ([`quota`]).
    pub quotas: quota::WriteQuotas,
}

/// What a router holds each region to: its requests per second, and the bytes its writes may
/// carry per day (`None`: no limit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub requests: Option<rate::RateLimit>,
    pub writes: Option<quota::WriteQuota>,
}

impl Limits {
    /// `tongban serve`'s defaults: 200 requests a second (bursts of 1,000) and 4 GiB a day.
    pub const DEFAULT: Limits = Limits {
        requests: Some(rate::RateLimit::DEFAULT),
        writes: Some(quota::WriteQuota::DEFAULT),
    };
}

impl<L: EventLog> Clone for AppState<L> {
    fn clone(&self) -> Self {
        AppState(Arc::clone(&self.0))
    }
}

impl<L: EventLog> std::ops::Deref for AppState<L> {
    type Target = Shared<L>;

    fn deref(&self) -> &Shared<L> {
        &self.0
    }
}

/// What a route does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Healthz,
    Metrics,
    OpenApi,
    Matters,
    Adapters,
    AdapterDetail,
    Keys,
    Schemas,
    SchemaVersions,
    SchemaDocument,
    SchemaCompatibility,
    RegistryPage,
    RegistrySubjectPage,
    Submit,
    CheckSubmission,
    LocalForm,
    Translate,
    Get,
    Find,
    Events,
    Replay,
    Act(Action),
    /// An action's dry run (`…/{action}/check`).
    CheckAct(Action),
    Regions,
    Inbox,
    Outbox,
    Statistics,
    DisputePage,
    Reconcile,
    Feed,
    FeedAck,
    Held,
    Overdue,
    LogHead,
    LogRecords,
}

/// One route of the API.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    pub path: String,
    pub op: Op,
    /// Needs a bearer token.
    pub auth: bool,
    pub summary: String,
}

/// Every route, in the order the OpenAPI document lists them.
pub fn routes() -> Vec<Route> {
    let r = |method: Method, path: &str, op: Op, auth: bool, summary: &str| Route {
        method,
        path: path.to_string(),
        op,
        auth,
        summary: summary.to_string(),
    };
    let mut out = vec![
        r(
            Method::GET,
            "/healthz",
            Op::Healthz,
            false,
            "Liveness and how far the projections are behind the log",
        ),
        r(
            Method::GET,
            "/metrics",
            Op::Metrics,
            false,
            "Prometheus metrics: requests and latency per route template and status class, event appends, group-commit sizes, projection lag (text)",
        ),
        r(
            Method::GET,
            "/openapi.json",
            Op::OpenApi,
            false,
            "This document",
        ),
        r(
            Method::GET,
            "/v1/matters",
            Op::Matters,
            false,
            "The matters (事项) with modes, limits, materials, the form's rules across fields (`rules`: `code`, `pointer`, `rule_zh`) and a complete example submission",
        ),
        r(
            Method::GET,
            "/v1/adapters",
            Op::Adapters,
            false,
            "The regions' adapters: region, matter, title, content type and charset of each local form (?region=, ?matter=)",
        ),
        r(
            Method::GET,
            "/v1/adapters/{region}/{matter}",
            Op::AdapterDetail,
            false,
            "One region's adapter with its field table: each local field (pointer), the canonical path it maps to, its label and whether it is required",
        ),
        r(
            Method::GET,
            "/v1/keys",
            Op::Keys,
            false,
            "The gateway's Ed25519 public key that signs every event hash",
        ),
        r(
            Method::GET,
            "/v1/schemas",
            Op::Schemas,
            false,
            "The schema registry's subjects (matters and event payloads) with kind, title and latest version",
        ),
        r(
            Method::GET,
            "/v1/schemas/{subject}/versions",
            Op::SchemaVersions,
            false,
            "A subject's registered versions, oldest first",
        ),
        r(
            Method::GET,
            "/v1/schemas/{subject}/versions/{version}",
            Op::SchemaDocument,
            false,
            "The JSON Schema document (draft 2020-12) of a version (a number or `latest`)",
        ),
        r(
            Method::POST,
            "/v1/schemas/{subject}/compatibility",
            Op::SchemaCompatibility,
            false,
            "Check a candidate schema against the subject's compatibility policy, without registering it",
        ),
        r(
            Method::GET,
            "/registry",
            Op::RegistryPage,
            false,
            "Web page: every matter and event subject, searchable with ?q= (HTML)",
        ),
        r(
            Method::GET,
            "/registry/{subject}",
            Op::RegistrySubjectPage,
            false,
            "Web page: a subject's fields, versions and diffs (?from=&to=); for matters also modes, limits, materials, adapters (HTML)",
        ),
        r(
            Method::POST,
            "/v1/applications",
            Op::Submit,
            true,
            "Submit a canonical application (origin region only); Idempotency-Key supported",
        ),
        r(
            Method::POST,
            "/v1/applications/check",
            Op::CheckSubmission,
            true,
            "Dry run of a canonical submission: every check the gateway holds it to (its matter's schema, the form's rules, the identifier checks, the route's rules, the region book, and on JetStream the log's largest message), nothing appended; the warnings, or the submission's own refusal",
        ),
        r(
            Method::POST,
            "/v1/regions/{region}/forms/{matter}",
            Op::LocalForm,
            true,
            "Submit the region's own local form (JSON or XML, e.g. GBK) through its adapter; 422 lists every problem in the region's field names",
        ),
        r(
            Method::POST,
            "/v1/regions/{region}/translate/{matter}",
            Op::Translate,
            true,
            "Dry run: the region's local form translated to the canonical body, or every problem",
        ),
        r(
            Method::GET,
            "/v1/applications",
            Op::Find,
            true,
            "The applications a province's own serial names (?serial=, ?region=): its Idempotency-Key as origin or its 受理编号 as handler; operators see all, a region those it is a party to",
        ),
        r(
            Method::GET,
            "/v1/applications/{id}",
            Op::Get,
            true,
            "An application: state, deadlines, awaiting whom (parties and operators); ?view=local for the calling region's own form",
        ),
        r(
            Method::GET,
            "/v1/applications/{id}/events",
            Op::Events,
            true,
            "The application's sealed events, hash-chained and signed",
        ),
        r(
            Method::GET,
            "/v1/applications/{id}/replay",
            Op::Replay,
            true,
            "The application's timeline, state and deadlines as of now, a moment (?at=) or an event (?seq=), with the chain's verification (parties and operators; as `tongban replay --format json`)",
        ),
    ];
    // Each action's route, then its dry run's.
    for action in Action::ALL {
        let path = format!("/v1/applications/{{id}}/{}", action.as_str());
        out.extend([
            r(
                Method::POST,
                &path,
                Op::Act(*action),
                true,
                &format!(
                    "Action `{}`: appends `{}`. {}",
                    action.as_str(),
                    action.event_type(),
                    action.rule()
                ),
            ),
            r(
                Method::POST,
                &format!("{path}/check"),
                Op::CheckAct(*action),
                true,
                &format!(
                    "Dry run of action `{}`: every check the action is held to (its body, the region, the application's state, `expected_seq`, and on JetStream the log's largest message), nothing appended; the status and seq it would give, its warnings, or the action's own refusal",
                    action.as_str(),
                ),
            ),
        ]);
    }
    out.extend([
        r(
            Method::GET,
            "/v1/regions",
            Op::Regions,
            true,
            "The participating regions",
        ),
        r(
            Method::GET,
            "/v1/regions/{region}/inbox",
            Op::Inbox,
            true,
            "Applications waiting for this region's action",
        ),
        r(
            Method::GET,
            "/v1/regions/{region}/outbox",
            Op::Outbox,
            true,
            "Open applications this region submitted",
        ),
        r(
            Method::GET,
            "/v1/regions/{region}/statistics",
            Op::Statistics,
            true,
            "The region's applications as origin and as handler, by status and matter, and its statutory clocks by kind: running, overdue today, paused, met, missed, cancelled; now, or as of a past instant (`?at=`, counted from the whole log)",
        ),
        r(
            Method::GET,
            "/v1/regions/{region}/feed",
            Op::Feed,
            true,
            "The region's durable feed: every event of its applications after a cursor (?after=, ?limit=), in log order",
        ),
        r(
            Method::POST,
            "/v1/regions/{region}/feed/ack",
            Op::FeedAck,
            true,
            "Acknowledge the feed up to a position; reading resumes there after a restart",
        ),
        r(
            Method::POST,
            "/v1/regions/{region}/reconcile",
            Op::Reconcile,
            true,
            "A province's team (its own region, with its region's token) or an operator (any region): reconcile the province's own records (text/csv or application/x-ndjson; ?tolerance_seconds=) with the log",
        ),
        r(
            Method::GET,
            "/v1/projections/held",
            Op::Held,
            true,
            "Operators: applications whose view is held at an event that does not fold (?after=, ?limit=)",
        ),
        r(
            Method::GET,
            "/v1/deadlines/overdue",
            Op::Overdue,
            true,
            "Running statutory clocks past their due date (Beijing date), oldest due first (?after=, ?limit=): application, matter, kind, responsible region, due date, days overdue, and `deemed` for the decision clock of an application accepted by law on receipt (行政许可法 Art. 32: its acceptance window ran out unanswered), listed whether or not it was accepted since; operators see all, a region those it must act on",
        ),
        r(
            Method::GET,
            "/v1/log/head",
            Op::LogHead,
            true,
            "The log head the projections stand at, signed by the gateway: a running hash over every event in log order up to `position`; keep one periodically, and `tongban verify --heads` or docs/audit/verify_chain.py --heads shows any later log that does not reproduce it (events removed from its end, or anything before rewritten)",
        ),
        r(
            Method::GET,
            "/v1/log/records",
            Op::LogRecords,
            true,
            "What the running hash takes at each position of the log after `after` up to `to` (paged, 4,096 positions a page): carry a signed head forward over them and compare with the gateway's signed head at `to`; heads kept by different parties are so compared (`tongban heads --records`, docs/audit/verify_chain.py --records), which shows a gateway that signed two histories",
        ),
        r(
            Method::GET,
            "/ui/applications/{id}",
            Op::DisputePage,
            true,
            "Web page: the evidence report of one application (chain, verification, deadlines, raw events), as of now, a moment (?at=) or an event (?seq=) (HTML; its refusals are HTML pages too, in Chinese with English beside it)",
        ),
    ]);
    out
}

/// Whether a route answers from the projections alone, so that its answers are marked stale
/// while they are stopped ([`stale`]). An application read is not: it is folded from the log then.
pub fn reads_projections(op: Op) -> bool {
    matches!(
        op,
        Op::Find
            | Op::Inbox
            | Op::Outbox
            | Op::Statistics
            | Op::Feed
            | Op::Overdue
            | Op::Held
            | Op::LogHead
            | Op::LogRecords
    )
}

fn method_router<L: EventLog>(route: &Route, state: &AppState<L>) -> MethodRouter<AppState<L>> {
    let handler = handler_of::<L>(route);
    if route.path.starts_with("/ui/") {
        // People open these: their refusals are pages too.
        handler.layer(axum::middleware::from_fn(pages::refused::as_page))
    } else if reads_projections(route.op) {
        handler.layer(axum::middleware::from_fn_with_state(
            state.clone(),
            stale::mark::<L>,
        ))
    } else {
        handler
    }
}

fn handler_of<L: EventLog>(route: &Route) -> MethodRouter<AppState<L>> {
    let filter = axum::routing::MethodFilter::try_from(route.method.clone())
        .unwrap_or(axum::routing::MethodFilter::GET);
    match route.op {
        Op::Healthz => on(filter, public::healthz::<L>),
        Op::Metrics => on(filter, metrics::serve::<L>),
        Op::OpenApi => on(filter, openapi::serve::<L>),
        Op::Matters => on(filter, public::matters_list::<L>),
        Op::Adapters => on(filter, adapters::list::<L>),
        Op::AdapterDetail => on(filter, adapters::one::<L>),
        Op::Keys => on(filter, public::keys::<L>),
        Op::Schemas => on(filter, schemas::list::<L>),
        Op::SchemaVersions => on(filter, schemas::versions::<L>),
        Op::SchemaDocument => on(filter, schemas::document::<L>),
        Op::SchemaCompatibility => on(filter, schemas::compatibility::<L>),
        Op::RegistryPage => on(filter, pages::catalogue::page),
        Op::RegistrySubjectPage => on(filter, pages::subject::page),
        Op::Submit => on(filter, applications::submit::<L>),
        Op::CheckSubmission => on(filter, applications::check::<L>),
        Op::LocalForm => on(filter, forms::submit::<L>),
        Op::Translate => on(filter, forms::translate::<L>),
        Op::Get => on(filter, applications::get::<L>),
        Op::Find => on(filter, find::by_serial::<L>),
        Op::Events => on(filter, applications::events::<L>),
        Op::Replay => on(filter, operator::replay::<L>),
        Op::Act(action) => on(
            filter,
            move |State(s): State<AppState<L>>,
                  auth::Caller(p): auth::Caller,
                  Path(id): Path<String>,
                  extract::Query(_): extract::Query<regions::NoQuery>,
                  uri: axum::http::Uri,
                  headers: HeaderMap,
                  body: axum::body::Body| {
                applications::act(action, s, p, id, uri, headers, body)
            },
        ),
        Op::CheckAct(action) => on(
            filter,
            move |State(s): State<AppState<L>>,
                  auth::Caller(p): auth::Caller,
                  Path(id): Path<String>,
                  extract::Query(_): extract::Query<regions::NoQuery>,
                  headers: HeaderMap,
                  body: axum::body::Body| {
                applications::check_act(action, s, p, id, headers, body)
            },
        ),
        Op::Regions => on(filter, regions::list::<L>),
        Op::Inbox => on(filter, regions::inbox::<L>),
        Op::Outbox => on(filter, regions::outbox::<L>),
        Op::Statistics => on(filter, regions::statistics::<L>),
        Op::DisputePage => on(filter, operator::dispute_page::<L>),
        Op::Reconcile => on(filter, operator::reconcile::<L>),
        Op::Feed => on(filter, regions::feed::<L>),
        Op::FeedAck => on(filter, regions::ack::<L>),
        Op::Held => on(filter, operator::held::<L>),
        Op::Overdue => on(filter, deadlines::overdue::<L>),
        Op::LogHead => on(filter, log_head::head::<L>),
        Op::LogRecords => on(filter, log_records::records::<L>),
    }
}

/// What no route takes. A person at the gateway's address is sent to the registry's pages (`/`
/// to `/registry`, `/registry/` and `/registry/{subject}/` to the page without the slash), and
/// any other path under `/registry/` is answered with an HTML page, as the pages' 404s are (the
/// OpenAPI document says so); every other path is a problem+json `no-route`, for the API's
/// clients.
async fn unrouted(method: Method, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::{IntoResponse, Redirect};
    let path = uri.path();
    let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
    let reads = method == Method::GET || method == Method::HEAD;
    if reads && path == "/" {
        return Redirect::temporary("/registry").into_response();
    }
    if path.starts_with("/registry/") {
        let page = path.trim_end_matches('/');
        let one_segment = page
            .strip_prefix("/registry")
            .is_some_and(|rest| rest.is_empty() || !rest[1..].contains('/'));
        let exists = page
            .strip_prefix("/registry/")
            .is_none_or(pages::subject::is_page);
        if page.len() < path.len() && one_segment && (reads || exists) {
            if reads {
                return Redirect::permanent(&format!("{page}{query}")).into_response();
            }
            // A page that exists, asked with another method: as the page's own route answers.
            let mut refused = problem::Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this route does not take that method; see /openapi.json",
            )
            .into_response();
            refused.headers_mut().insert(
                axum::http::header::ALLOW,
                axum::http::HeaderValue::from_static("GET, HEAD"),
            );
            return refused;
        }
        return pages::Page::not_found(
            "没有这个页面：注册表的页面是 /registry 和 /registry/{主题} \
             / no such page: the registry's pages are /registry and /registry/{subject}",
        )
        .into_response();
    }
    if path.starts_with("/ui/") {
        // A person's link with a slash too many, or a segment after the id: answered as a page,
        // as the evidence page's own refusals are.
        return pages::Page::not_found(
            "没有这个页面：申请的证据页是 /ui/applications/{申请编号} \
             / no such page: an application's evidence page is /ui/applications/{id}",
        )
        .into_response();
    }
    problem::Problem::new(
        axum::http::StatusCode::NOT_FOUND,
        "no-route",
        "No such route",
        "no such route; see /openapi.json",
    )
    .into_response()
}

/// The router with the default rate limit ([`rate::RateLimit::DEFAULT`]).
pub fn router<L: EventLog>(gateway: Arc<Gateway<L>>, book: Arc<RegionBook>) -> Router {
    router_with(gateway, book, Limits::DEFAULT)
}

/// The router; every region (all its tokens together) is held to `limits`.
pub fn router_with<L: EventLog>(
    gateway: Arc<Gateway<L>>,
    book: Arc<RegionBook>,
    limits: Limits,
) -> Router {
    let table = routes();
    let http_metrics = Arc::new(crate::metrics::HttpMetrics::new(
        table.iter().map(|r| (r.method.as_str(), r.path.as_str())),
    ));
    let state = AppState(Arc::new(Shared {
        gateway,
        book,
        openapi: Arc::new(openapi::document(&table)),
        limiter: Arc::new(rate::RateLimiter::new(limits.requests)),
        replay: Arc::new(crate::auth::ReplayCache::default()),
        metrics: Arc::clone(&http_metrics),
        histories: histories::Histories::default(),
        reconciliations: histories::Histories::new(histories::RECONCILIATIONS),
        quotas: quota::WriteQuotas::new(limits.writes),
    }));
    let mut by_path: BTreeMap<String, MethodRouter<AppState<L>>> = BTreeMap::new();
    for route in &table {
        let mr = method_router::<L>(route, &state);
        let merged = match by_path.remove(&route.path) {
            Some(existing) => existing.merge(mr),
            None => mr,
        };
        by_path.insert(route.path.clone(), merged);
    }
    let mut router = Router::new();
    for (path, mr) in by_path {
        router = router.route(&path, mr);
    }
    router
        .route_layer(axum::middleware::from_fn(metrics::tag))
        .fallback(unrouted)
        .method_not_allowed_fallback(|| async {
            problem::Problem::new(
                axum::http::StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                "this route does not take that method; see /openapi.json",
            )
        })
        .layer(axum::middleware::from_fn(guard::guard))
        .layer(axum::middleware::from_fn_with_state(
            http_metrics,
            metrics::track,
        ))
        .with_state(state)
}
