//! Operator pages and reports served over HTTP: the dispute evidence page and reconciliation.
//!
//! Both are implemented in `tongban-replay`, which reads the log through this crate's `EventLog`
//! trait and so depends on it; this crate cannot depend back. The binary therefore installs the
//! implementation once at start ([`install`]); without it these routes answer 501.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use super::auth::Caller;
use super::extract::{Path, Query};
use super::problem::Problem;
use crate::domain::calendar::Calendar;
use crate::envelope::{Envelope, PublicKey};
use crate::log::{EventLog, Placed};

/// The widest clock difference a reconciliation tolerates (`tolerance_seconds`, and the
/// command line's `--tolerance-seconds`): 30 days.
pub const MAX_TOLERANCE_SECONDS: i64 = 86_400 * 30;

/// The clock difference a reconciliation tolerates when not told (`tolerance_seconds`, and the
/// command line's `--tolerance-seconds`): five minutes, wide enough for a province's
/// `updated_at` written a little after the event, narrow enough to catch a stale copy. The
/// command's usage and the OpenAPI document state it from here.
pub const DEFAULT_TOLERANCE_SECONDS: i64 = 300;

/// Incremental reconciliation: given the province's records, then fed every event of the log.
pub trait ReconcileSession: Send {
    /// Reads the province's export from the request body, before the log is read: decoded as
    /// `tongban reconcile` decodes a file (the `charset` the Content-Type names, else UTF-8,
    /// else GB 18030). `Err` says why it is not an export: bytes not in the charset (where), a
    /// charset not accepted, a file that as a whole is no export (a JSON array, a header
    /// without the columns), in the export's own terms (its line, the column).
    fn read_records(&mut self, body: &[u8], charset: Option<&str>) -> Result<(), String>;
    /// Feeds one event of the log with its position (a finding may name where an event is).
    fn add(&mut self, event: &crate::log::Positioned);
    /// Returns whether the two agree and the report as JSON, which names the records of the log
    /// that are not events, `passed_over` by the read, as not taken into account.
    fn finish(
        self: Box<Self>,
        tolerance_ms: i64,
        passed_over: crate::log::PassedOver,
    ) -> (bool, serde_json::Value);
}

/// `?at=<RFC 3339>` or `?seq=<n>`: the state as of a moment or an event, as `tongban replay
/// --at / --seq` gives it; neither: as of now. Kept as text: `seq` is read as every number of
/// a query string is ([`AsOf::check_seq`]), and the replay's own rules name what else is wrong
/// (a time that does not read, a point the history does not reach: 422).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    pub at: Option<String>,
    pub seq: Option<String>,
}

impl AsOf {
    /// Refuses a `seq` that is no whole number from 1 up, read as every numeric query parameter
    /// is ([`super::extract::whole_number`]: 400, rule `type` or `range`), before the history is
    /// read; whether the application has that many events is the replay's to say.
    fn check_seq(&self) -> Result<(), Problem> {
        match self.seq.as_deref() {
            Some(text) => super::extract::whole_number("seq", text, 1, u64::MAX).map(|_| ()),
            None => Ok(()),
        }
    }
}

/// Why a replay to a point was not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsOfRefusal {
    /// The point names no state of the application: which parameter, the rule, and why.
    Query {
        param: &'static str,
        rule: &'static str,
        detail: String,
    },
    /// An event up to the point does not read in this build.
    Unreadable(String),
}

impl From<AsOfRefusal> for Problem {
    fn from(refusal: AsOfRefusal) -> Problem {
        match refusal {
            AsOfRefusal::Query {
                param,
                rule,
                detail,
            } => Problem::unprocessable(
                detail.clone(),
                vec![tongban_schemas::Violation::new(
                    format!("query:{param}"),
                    rule,
                    detail,
                )],
            ),
            AsOfRefusal::Unreadable(detail) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unreadable-history",
                "Unreadable history",
                detail,
            ),
        }
    }
}

/// What the serving gateway adds to a dispute page besides the events: its address (the page
/// says so, and its links to the registry lead there: `http://host[:port]`,
/// [`super::origin::from_host`]) and the regions' request signatures it keeps for the events.
pub struct ServedBy<'a> {
    pub gateway: &'a str,
    /// By event id; or, when the evidence store could not be read, what failed (the page shows
    /// the events all the same, saying the signatures could not be read).
    pub requests: Result<BTreeMap<String, crate::auth::RequestSignature>, String>,
    /// The acknowledged feed cursors of the application's parties, which the page shows beside
    /// the events' positions.
    pub cursors: &'a PartiesAcked,
    /// Whether the gateway read its calendar from a `holidays.json` (`None`: not known), which
    /// the page's calendar sentence names.
    pub calendar_file: Option<bool>,
}

/// The acknowledged feed cursor of each region party to the application, by region
/// ([`crate::service::parties`]), with the positions their feeds give as markers; or, when they could not be read, what failed (the page and
/// the timeline are answered all the same, saying so).
pub type PartiesAcked = Result<crate::projections::marked::FeedCursors, String>;

pub trait OperatorTools: Send + Sync + 'static {
    /// The evidence page (HTML) for one application's events, as of `as_of`, served by the
    /// gateway at `gateway` (`http://host[:port]`, [`super::origin::from_host`]): the page says
    /// so and its links to the registry lead there. Each event is shown at its position in the
    /// log.
    fn dispute_page(
        &self,
        events: Placed<'_>,
        key: &PublicKey,
        names: &BTreeMap<String, String>,
        cal: &Calendar,
        as_of: &AsOf,
        served: ServedBy<'_>,
    ) -> Result<String, AsOfRefusal>;
    /// The timeline as of `as_of` with its verification, key and calendar (JSON), as
    /// `tongban replay --format json` prints it, each event at its position in the log, and
    /// the parties' feed `cursors` compared with those positions.
    fn replay(
        &self,
        events: Placed<'_>,
        key: &PublicKey,
        cal: &Calendar,
        as_of: &AsOf,
        cursors: &PartiesAcked,
    ) -> Result<serde_json::Value, AsOfRefusal>;
    /// A reconciliation of `region`'s records, counting only events whose seal holds under
    /// `key` (as the projections fold them), its report for `reader`.
    fn reconcile(
        &self,
        region: &str,
        key: &crate::envelope::PublicKey,
        reader: ReportFor,
    ) -> Box<dyn ReconcileSession>;
}

/// Whom a reconciliation's report is for: a region's team is told nothing it could not read
/// itself through its own routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFor {
    /// The federation's operators: everything in the log that is, or may be, the region's.
    Operators,
    /// The region's own team, reconciling with its token: only the applications it is a party
    /// to, and of the records of the log that are not events how many, not which.
    Region,
}

static TOOLS: OnceLock<Arc<dyn OperatorTools>> = OnceLock::new();

/// Installs the operator tools (once per process; later calls are ignored).
pub fn install(tools: Arc<dyn OperatorTools>) {
    let _ = TOOLS.set(tools);
}

fn tools() -> Result<&'static Arc<dyn OperatorTools>, Problem> {
    TOOLS.get().ok_or_else(|| {
        Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "not-installed",
            "Not available",
            "operator tools are not installed in this build",
        )
    })
}

/// `GET /ui/applications/{id}[?at=|?seq=]`: the evidence page, for the application's parties
/// and operators, as of now or of the point asked for. Its links are absolute, to the gateway
/// the request's `Host` names, since the page is saved and opened from a file as evidence.
pub async fn dispute_page<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    Query(as_of): Query<AsOf>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    super::applications::check_id(&id)?;
    as_of.check_seq()?;
    let gateway = super::origin::from_host(&headers)?;
    let tools = tools()?;
    super::histories::answer(
        &s,
        &principal,
        &id,
        as_stored(&s, &principal, &id),
        |(events, positions, cursors)| {
            let events = Placed::new(&events, &positions);
            page(&s, &principal, tools, events, &as_of, &gateway, &cursors).map(|page| {
                super::histories::Built {
                    content_type: "text/html; charset=utf-8",
                    bytes: page.into_bytes(),
                }
            })
        },
    )
    .await
}

/// The application's events as stored, for its parties and operators: the page and the
/// timeline show what the log holds, broken links and all; where each is in the log; and the
/// acknowledged feed cursor of each of its parties, which those positions are compared with.
async fn as_stored<L: EventLog>(
    s: &AppState<L>,
    principal: &crate::auth::Principal,
    id: &str,
) -> Result<(Vec<Envelope>, Vec<u64>, PartiesAcked), Problem> {
    let stored = s
        .gateway
        .events_as_stored(principal, id)
        .await
        .map_err(Problem::reading)?;
    let (events, positions): (Vec<Envelope>, Vec<u64>) =
        stored.into_iter().map(|p| (p.event, p.position)).unzip();
    // Cursors that do not read now cost the answer that section, not the answer.
    let cursors = s.gateway.parties_acked(&events, &positions).await.map_err(|e| {
        tracing::warn!(app = id, error = %e, "the feed cursors of an application's parties could not be read");
        "the feed cursors could not be read now (the gateway's log says why)".to_string()
    });
    Ok((events, positions, cursors))
}

/// The evidence page of `events`, as of `as_of`, served by `gateway` to `reader` (who is served
/// the regions' signed request bodies only where it signed them or is an operator).
fn page<L: EventLog>(
    s: &AppState<L>,
    reader: &crate::auth::Principal,
    tools: &Arc<dyn OperatorTools>,
    events: Placed<'_>,
    as_of: &AsOf,
    gateway: &str,
    cursors: &PartiesAcked,
) -> Result<String, Problem> {
    let names = s
        .book
        .snapshot()
        .regions
        .into_iter()
        .map(|(code, r)| (code, r.name))
        .collect();
    // The regions' own signatures over the requests behind the events, kept beside the log. A
    // store that does not read now costs the page that section, not the page.
    let requests = s
        .gateway
        .request_evidence(reader, events.events)
        .map_err(|e| {
            tracing::warn!(error = %e, "the dispute page could not read the request evidence");
            e.to_string()
        });
    tools
        .dispute_page(
            events,
            &s.gateway.key.public(),
            &names,
            &s.gateway.calendar,
            as_of,
            ServedBy {
                gateway,
                requests,
                cursors,
                calendar_file: s.gateway.calendar_file,
            },
        )
        .map_err(Problem::from)
}

/// `GET /v1/applications/{id}/replay[?at=|?seq=]`: the timeline and the state and deadlines as
/// of the point, as `tongban replay --format json` gives them, for the application's parties
/// and operators (as its events are), without stopping the gateway.
pub async fn replay<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    Query(as_of): Query<AsOf>,
) -> Result<Response, Problem> {
    super::applications::check_id(&id)?;
    as_of.check_seq()?;
    let tools = tools()?;
    super::histories::answer(
        &s,
        &principal,
        &id,
        as_stored(&s, &principal, &id),
        |(events, positions, cursors)| {
            tools
                .replay(
                    Placed::new(&events, &positions),
                    &s.gateway.key.public(),
                    &s.gateway.calendar,
                    &as_of,
                    &cursors,
                )
                .map_err(Problem::from)
                .and_then(|value| super::histories::json(&value))
        },
    )
    .await
}

/// The content types the reconcile route takes the province's records in (CSV, JSON Lines under
/// its several names, plain text); the OpenAPI document lists the same.
pub const RECORD_TYPES: [&str; 5] = [
    "text/csv",
    "application/x-ndjson",
    "application/jsonl",
    "application/json-lines",
    "text/plain",
];

/// The reconcile route's query: as every query, unknown parameters are refused and the number
/// is judged from its text ([`super::extract::whole_number`]).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileQuery {
    pub tolerance_seconds: Option<String>,
}

fn operators_only(principal: &crate::auth::Principal, detail: &str) -> Result<(), Problem> {
    match principal.is_operator() {
        true => Ok(()),
        false => Err(Problem::forbidden(detail)),
    }
}

/// `GET /v1/projections/held`: the applications whose view is held at an event that does not
/// fold ([`crate::projections::held`]), a page at a time, with how many there are in all; and
/// the log's records that are not events, which the projections passed over
/// ([`crate::log::unreadable`]): the first [`crate::log::unreadable::SHOWN`] by position, and how many; the
/// events under a seq their application had folded already ([`crate::projections::repeated`]),
/// as many; and whether a rebuild folded the projections without the seals checked
/// ([`crate::projections::unchecked`]).
pub async fn held<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Query(paging): Query<super::regions::Paging>,
) -> Result<axum::Json<serde_json::Value>, Problem> {
    operators_only(&principal, "the held applications are listed for operators")?;
    s.gateway.caught_up().await;
    let limit = super::regions::limit(&paging)?;
    let store = &s.gateway.store;
    let items = store
        .held_list(super::regions::after(&paging)?, limit)
        .map_err(crate::service::ServiceError::from)?;
    let count = store
        .held_count()
        .map_err(crate::service::ServiceError::from)?;
    let next = super::regions::next_after(&items, limit, |h| &h.app);
    let unreadable = store
        .unreadable_list(crate::log::unreadable::SHOWN)
        .map_err(crate::service::ServiceError::from)?;
    let unreadable_count = store
        .unreadable_count()
        .map_err(crate::service::ServiceError::from)?;
    // A list folded without the seals checked holds nothing the check would have held: said
    // beside it, so that an empty list is not read as "every event verified".
    let unchecked = store
        .unchecked()
        .map_err(crate::service::ServiceError::from)?;
    // The applications whose subject holds a second event under a seq of theirs: not held (they
    // read and are acted on), but in trouble all the same, so listed where operators look.
    let repeated = store
        .repeated_list(crate::log::unreadable::SHOWN)
        .map_err(crate::service::ServiceError::from)?;
    let repeated_count = store
        .repeated_count()
        .map_err(crate::service::ServiceError::from)?;
    Ok(axum::Json(serde_json::json!({
        "count": count,
        "items": items,
        "next": next,
        "unreadable": unreadable,
        "unreadable_count": unreadable_count,
        "repeated": repeated,
        "repeated_count": repeated_count,
        "unchecked": unchecked,
    })))
}

/// `POST /v1/regions/{region}/reconcile`: a province's team (with its region's token, for its
/// own region) or an operator (for any region) sends a province's export (CSV or JSON Lines, in
/// UTF-8, GBK or GB 18030 as `charset=` says, or detected as the command line detects it) and
/// gets the discrepancy report. Month-end reconciliation is the province's own work; a region's
/// report names only what its own routes would serve it ([`ReportFor::Region`]).
///
/// Everything the head can refuse is refused before a byte of the export (up to 64 MiB) is read:
/// the token, the region and the token's right to it, the Content-Type and the query; and, for a
/// region's token, a second reconciliation of its own while one runs (503 `reconcile-busy`, its
/// seat in [`super::histories::RECONCILIATIONS`]). A mistyped region, a token of another region
/// or a JSON body gets its 404, 403 or 415 at once, and a client that asked
/// `Expect: 100-continue` is never told to upload. No request signature is asked for: it
/// changes nothing, as the reads and dry runs do not (docs/signed-requests.md).
pub async fn reconcile<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(region): Path<String>,
    Query(q): Query<ReconcileQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    // A region the federation has none of is 404 to every caller, as on every region route;
    // a real other region's is 403.
    super::regions::known(&s, &region)?;
    let reader = own_region_or_operator(&principal, &region)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !RECORD_TYPES.contains(&essence.as_str()) {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content type",
            "send the province's records as text/csv or application/x-ndjson",
        ));
    }
    let tolerance = match q.tolerance_seconds.as_deref() {
        None => DEFAULT_TOLERANCE_SECONDS,
        Some(text) => {
            let max = MAX_TOLERANCE_SECONDS.unsigned_abs();
            let n = super::extract::whole_number("tolerance_seconds", text, 0, max)?;
            i64::try_from(n).unwrap_or(MAX_TOLERANCE_SECONDS)
        }
    };
    let tools = tools()?;
    // A region's one reconciliation at a time, refused before its export is read: a second
    // upload of the same region's waits for nothing and holds nothing.
    let seat = match reader {
        ReportFor::Region => Some(s.reconciliations.seat(&region)?),
        ReportFor::Operators => None,
    };
    // Last, once nothing the head says can refuse the request.
    let body = super::guard::read_export(&headers, body).await?;
    let mut session = tools.reconcile(&region, &s.gateway.key.public(), reader);
    // Before the log is read: a file that is no export is refused at once, saying why.
    session
        .read_records(&body, tongban_adapters::codec::charset_of(content_type))
        .map_err(|why| Problem::bad_request("", "records", why))?;
    // The records are read: the export's bytes (up to 64 MiB) are not held while the log is.
    drop(body);
    // The whole log is read in a turn of the gateway's few for regions (waiting for one at most
    // `LONGEST_WAIT`), held until the report is sent.
    let turn = match seat {
        Some(seat) => Some(s.reconciliations.turn(seat).await?),
        None => None,
    };
    // Past the records that are not events, which the report names as not taken into account:
    // one damaged record must not leave the region's every other application unreconciled.
    let mut whole = crate::log::Whole::new(&*s.gateway.log, 4096);
    while let Some(batch) = whole.next().await.map_err(|e| Problem::reading(e.into()))? {
        for p in &batch {
            session.add(p);
        }
    }
    let mut passed_over = whole.into_passed_over();
    passed_over.told_to(&principal);
    let Some(turn) = turn else {
        let (_, report) = session.finish(tolerance * 1000, passed_over);
        return Ok(axum::Json(report).into_response());
    };
    // A region's report is compared and written off the runtime's workers, as a whole history
    // is built, and holds its turn until it is sent.
    let built = super::histories::off_the_workers(|| {
        let (_, report) = session.finish(tolerance * 1000, passed_over);
        super::histories::json(&report)
    })?;
    Ok(turn.answer(built))
}

/// Whom a reconciliation of `region` (a region of the federation) is for: an operator's token
/// reconciles any region; a region's only its own (403 otherwise, naming the rule).
fn own_region_or_operator(
    principal: &crate::auth::Principal,
    region: &str,
) -> Result<ReportFor, Problem> {
    match principal.region() {
        None => Ok(ReportFor::Operators),
        Some(own) if own == region => Ok(ReportFor::Region),
        Some(own) => Err(Problem::forbidden(format!(
            "a region's token reconciles its own region's records only: {own} posts its export \
             to /v1/regions/{own}/reconcile; region {region} is reconciled by its own team or by \
             the federation's operators (docs/operators.md, \"Reconciliation over HTTP\")"
        ))),
    }
}
