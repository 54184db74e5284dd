//! `/v1/regions…`: the participating regions and each region's inbox and outbox.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::extract::{Path, Query};
use super::problem::Problem;
use crate::log::EventLog;

/// `?limit=&after=` of a paged list. Unknown parameters are refused (a misspelt `limt` would
/// page by the default), and `limit` is kept as text for [`limit`] to judge, so that `-1` or
/// `abc` is answered with the range the parameter takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paging {
    pub limit: Option<String>,
    /// The last application id of the previous page (its `next`).
    pub after: Option<String>,
}

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

/// `after` of a list paged by application id: the `next` of the previous page, so a lowercase
/// UUID. Anything else is refused at `query:after` (rule `format`), as the overdue list refuses
/// a cursor it never gave: read as a place in the key order, it would answer a page that starts
/// somewhere arbitrary, or an empty one, as if the list ended there.
///
/// An empty `after=` is the first page, as a loop that starts from an empty cursor sends it.
pub(super) fn after(p: &Paging) -> Result<Option<&str>, Problem> {
    match p.after.as_deref().filter(|a| !a.is_empty()) {
        Some(after) if !crate::ids::is_valid(after) => Err(Problem::bad_request(
            "query:after",
            "format",
            "after must be the `next` of the previous page: an application id (a lowercase UUID)",
        )),
        after => Ok(after),
    }
}

/// `limit`: 1 to 1000, 100 when not given.
pub(super) fn limit(p: &Paging) -> Result<usize, Problem> {
    limit_of(p.limit.as_deref())
}

pub(super) fn limit_of(text: Option<&str>) -> Result<usize, Problem> {
    let Some(text) = text else {
        return Ok(DEFAULT_LIMIT);
    };
    let n = super::extract::whole_number("limit", text, 1, MAX_LIMIT as u64)?;
    // At most MAX_LIMIT, so it fits.
    Ok(usize::try_from(n).unwrap_or(MAX_LIMIT))
}

/// `GET /v1/regions`: no query parameters (a misspelt one is refused, not ignored).
pub async fn list<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(_): Caller,
    Query(_): Query<NoQuery>,
) -> Json<Value> {
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
    known(&s, &region)?;
    let limit = limit(&paging)?;
    let items = s
        .gateway
        .inbox(&principal, &region, after(&paging)?, limit)
        .await?;
    Ok(Json(page(&region, items, limit, &s.gateway)))
}

pub async fn outbox<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(region): Path<String>,
    Query(paging): Query<Paging>,
) -> Result<Json<Value>, Problem> {
    known(&s, &region)?;
    let limit = limit(&paging)?;
    let items = s
        .gateway
        .outbox(&principal, &region, after(&paging)?, limit)
        .await?;
    Ok(Json(page(&region, items, limit, &s.gateway)))
}

/// `?at=` of the statistics; unknown parameters are refused, as on every route.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatisticsQuery {
    /// An instant in the past (RFC 3339): the statistics as they stood then, counted from the
    /// log ([`crate::projections::statistics_at`]). None: now, from the projections' counters.
    pub at: Option<String>,
}

/// The region's statistics ([`crate::projections::statistics`]), now or as of `?at=`.
pub async fn statistics<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(region): Path<String>,
    Query(q): Query<StatisticsQuery>,
) -> Result<Json<crate::projections::statistics::RegionStatistics>, Problem> {
    known(&s, &region)?;
    let now = crate::time::Timestamp::now();
    let Some(text) = q.at.as_deref() else {
        return Ok(Json(s.gateway.statistics(&principal, &region, now).await?));
    };
    // Another region's statistics are refused whatever the instant asked for.
    crate::service::Gateway::<L>::may_see_region(&principal, &region)?;
    let at = crate::projections::statistics_at::instant(text, now).map_err(|e| {
        // A `+` sent as it is in a query string reads as a space: the offset's sign is lost.
        let plus_lost = text.contains(' ')
            && crate::time::Timestamp::parse_rfc3339(&text.replace(' ', "+")).is_some();
        let hint = match plus_lost {
            true => " (a + in a query string reads as a space: send the offset's + as %2B)",
            false => "",
        };
        Problem::bad_request("query:at", e.rule(), format!("at {e}{hint}"))
    })?;
    let counted = s.gateway.statistics_at(&principal, &region, at).await;
    Ok(Json(counted.map_err(Problem::reading)?))
}

/// A route that takes no query parameters: any is refused by name.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoQuery {}

/// `?after=&limit=` of the feed; as [`Paging`], unknown parameters are refused and numbers are
/// judged from their text.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// Log position to read after; default: the region's acknowledged cursor.
    pub after: Option<String>,
    pub limit: Option<String>,
}

/// A line of a box as answered: the stored line, and whether its clock has run out at the
/// moment of the answer (judged on each read, never stored: it changes with the date, not with
/// an event).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct BoxLine {
    #[serde(flatten)]
    pub entry: crate::projections::BoxEntry,
    /// Whether `due` (the earliest running clock's last day) is past, by the Beijing date of the
    /// answer. A paused clock is not running, so it makes no line overdue; false without `due`.
    pub overdue: bool,
    /// With `due` only: whether the gateway's holiday calendar lists dates for the year `due`
    /// falls in, as the application's own deadlines say. False: counted Monday to Friday without
    /// that year's holidays and 调休 (元旦 counted as a working day), so the law's date may be
    /// later than shown (a holiday counted as a working day) or earlier (a 调休 working day
    /// counted as a weekend); staff reading the list are told so here, not only on the
    /// application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_covers: Option<bool>,
}

impl BoxLine {
    /// `entry` as it stands at `now`, its due date judged against `cal`; once its acceptance
    /// window has run out (`accepted_by_law_after` past), its `allowed` without what an
    /// application accepted by law no longer offers (`not-accept`: the line was written while
    /// the window ran); once its suspensions reach `caps` (the serving gateway's, which may not
    /// be those of the gateway or the rebuild that wrote the line), without `suspend`.
    pub fn of(
        mut entry: crate::projections::BoxEntry,
        now: crate::time::Timestamp,
        cal: &crate::domain::calendar::Calendar,
        caps: crate::domain::decide::Caps,
    ) -> BoxLine {
        if entry
            .suspensions
            .is_some_and(|had| !caps.takes_another_suspension(had))
            && let Some(allowed) = &mut entry.allowed
        {
            allowed.retain(|a| a != crate::domain::Action::Suspend.as_str());
        }
        if entry
            .accepted_by_law_after
            .as_deref()
            .is_some_and(|day| crate::domain::deadlines::overdue_at(day, now))
            && let Some(allowed) = &mut entry.allowed
        {
            allowed.retain(|a| {
                crate::domain::Action::parse(a)
                    .is_none_or(crate::domain::decide::open_once_accepted_by_law)
            });
        }
        let overdue = entry
            .due
            .as_deref()
            .is_some_and(|due| crate::domain::deadlines::overdue_at(due, now));
        let calendar_covers = entry
            .due
            .as_deref()
            .map(|due| crate::time::CivilDate::parse(due).is_some_and(|day| cal.covers(day)));
        BoxLine {
            entry,
            overdue,
            calendar_covers,
        }
    }
}

/// A page of a box, with `next` (the `after` of the following page) when the page is full, its
/// lines as `gateway` serves them ([`BoxLine::of`]: under its calendar and caps).
fn page<L: EventLog>(
    region: &str,
    items: Vec<crate::projections::BoxEntry>,
    limit: usize,
    gateway: &crate::service::Gateway<L>,
) -> Value {
    let next = next_after(&items, limit, |i| &i.app);
    let now = crate::time::Timestamp::now();
    let items: Vec<BoxLine> = items
        .into_iter()
        .map(|e| BoxLine::of(e, now, &gateway.calendar, gateway.caps()))
        .collect();
    json!({"region": region, "items": items, "next": next})
}

/// The `next` of a page of `limit` lines paged by application id: the last line's id when the
/// page is full (there may be more), none when it is not.
pub(super) fn next_after<T>(items: &[T], limit: usize, app: impl Fn(&T) -> &str) -> Option<String> {
    (items.len() == limit)
        .then(|| items.last().map(|i| app(i).to_string()))
        .flatten()
}

/// Every `/v1/regions/{region}/…` route first asks that `region` is a region of this federation
/// (after authentication, which also admitted the request under the caller's rate limit): a
/// mistyped code (`44000`) is answered 404 as what it is, not 403 as if another region's data
/// were being refused. The regions are no secret to a caller (`GET /v1/regions` lists them), so
/// the answer reveals nothing; a real other region still gets its 403.
pub(super) fn known<L: EventLog>(s: &AppState<L>, region: &str) -> Result<(), Problem> {
    if s.book.has_region(region) {
        Ok(())
    } else {
        Err(Problem::new(
            axum::http::StatusCode::NOT_FOUND,
            "unknown-region",
            "No such region",
            match super::shown::quoted(region, super::shown::region) {
                Some(code) => format!(
                    "there is no region {code} in this federation; its regions are listed at \
                     GET /v1/regions"
                ),
                // Not even a code's form: not quoted, it may be personal data typed here.
                None => "there is no such region in this federation: a region is named by its \
                         6-digit GB/T 2260 code; the regions are listed at GET /v1/regions"
                    .to_string(),
            },
        ))
    }
}

fn own_region(
    principal: &crate::auth::Principal,
    region: &str,
    write: bool,
) -> Result<(), Problem> {
    match principal.region() {
        Some(own) if own == region => Ok(()),
        None if !write => Ok(()),
        _ => Err(Problem::forbidden(format!(
            "only region {region} reads and acknowledges its feed (operators may read it)"
        ))),
    }
}

/// `GET /v1/regions/{region}/feed`: the events of every application the region takes part in, in
/// log order, after a cursor. A region's adapter follows its work here and resumes after a
/// restart from its acknowledged cursor (or from a cursor it keeps itself: positions are the
/// log's, the same on every gateway of one JetStream stream). A position with no event to give
/// (missing from the log, or held) is a marker item ([`crate::service::FeedItem`]).
pub async fn feed<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(region): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Result<Json<Value>, Problem> {
    known(&s, &region)?;
    own_region(&principal, &region, false)?;
    let limit = limit_of(q.limit.as_deref())?;
    let after = q
        .after
        .as_deref()
        .map(|text| super::extract::whole_number("after", text, 0, u64::MAX))
        .transpose()?;
    s.gateway.caught_up().await;
    let acked = s
        .gateway
        .feed_cursor(&region)
        .await
        .map_err(Problem::reading)?;
    let after = after.unwrap_or(acked);
    // A cursor past the log's end (another deployment's, mistyped, or lost in a restore) read as
    // "nothing yet" would come back as `next`, and an adapter following it would pass over every
    // event up to it. One the log holds and the projections not yet is asked again (503).
    let last = s
        .gateway
        .readable_after(after)
        .await
        .map_err(Problem::reading)?;
    if after > last {
        return Err(beyond_feed(
            "after",
            after,
            last,
            "query:after",
            "read after a position the feed has shown (a `next` it answered), or leave after \
             out to read from the region's acknowledged cursor",
        ));
    }
    // A position with no event to give is a marker, and `next` goes past it like any other,
    // so that an acknowledgement can move past it.
    let events = s
        .gateway
        .feed_page(&region, after, limit)
        .await
        .map_err(Problem::reading)?;
    let next = events.last().map_or(after, |item| item.position());
    Ok(Json(
        json!({"region": region, "after": after, "acked": acked, "next": next, "events": events}),
    ))
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// The position of the last event the region has processed.
    pub position: u64,
}

/// `POST /v1/regions/{region}/feed/ack`: the region has processed everything up to `position`.
/// The cursor only moves forward and is durable before the answer: fsynced in the projections, or on
/// JetStream stored in the stream's bucket, where every gateway of the stream reads the same one
/// ([`crate::log::SharedCursors`]); so is the record of an acknowledgement that moved it, in the
/// history the dispute tools read the first acknowledgement past an event from
/// ([`crate::log::acks`]).
/// A region that signs its requests signs this one too: moving the cursor hides work from the
/// region's own adapter, which a stolen token alone must not be able to do. The signature's
/// headers are checked first, before the path's region, as on the form route: an unsigned
/// request from a signing region is refused 401 whatever region the path names, so the answer
/// to a request the signature rule refuses never depends on what else is wrong with it. The
/// region and the caller's right to it come next, and the body is read only then (another
/// region's token is refused 403 before it uploads a byte), and the signature verified over it.
pub async fn ack<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(region): Path<String>,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
    body: axum::body::Body,
) -> Result<Json<Value>, Problem> {
    super::signed::check_head(&s, &principal, &headers)?;
    known(&s, &region)?;
    own_region(&principal, &region, true)?;
    let bytes = super::guard::read_body(&headers, body).await?;
    super::signed::check(
        &s,
        &principal,
        &uri,
        &headers,
        &bytes,
        super::signed::Exempt::Never,
    )?;
    let ack: Ack = super::body::typed(super::body::json_value(&headers, &bytes)?)?;
    s.gateway.caught_up().await;
    let ackable = s
        .gateway
        .ackable(ack.position)
        .await
        .map_err(Problem::acknowledging)?;
    if ack.position > ackable {
        return Err(beyond_feed(
            "position",
            ack.position,
            ackable,
            "/position",
            "acknowledge only positions the feed has shown",
        ));
    }
    let actor = principal.actor();
    let advanced = s
        .gateway
        .ack_feed(&region, ack.position, &actor)
        .await
        .map_err(Problem::acknowledging)?;
    // When a region said it had processed its feed: evidence in a "we never received it".
    tracing::info!(
        region,
        position = ack.position,
        acked = advanced.cursor,
        moved = advanced.moved,
        actor,
        "feed acknowledged"
    );
    Ok(Json(
        json!({"region": region, "acked": advanced.cursor, "moved": advanced.moved}),
    ))
}

/// 422 for a position past the end of the log (`last`; where the cursor is shared, of what any
/// gateway's feed may have shown), named as the caller sent it when it could be a position
/// (`shown::position`: a phone's digits typed there are not echoed): a read after it, or an
/// acknowledgement of it, would pass over every event up to it. Said with how a caller comes to
/// hold one (a restore from an older backup among them).
fn beyond_feed(what: &str, position: u64, last: u64, pointer: &str, rule: &str) -> Problem {
    Problem::unprocessable(
        format!(
            "{what} {} is beyond the feed (the log ends at {last}): {}",
            crate::shown::position(position, last),
            crate::service::past_the_end(last)
        ),
        vec![tongban_schemas::Violation::new(pointer, "range", rule)],
    )
}
