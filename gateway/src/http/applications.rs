//! `/v1/applications…`: submit, act, read.

use super::guard::read_body;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::auth::Caller;
use super::body;
use super::extract::{Path, Query};
use super::problem::Problem;
use super::signed::{self, Exempt};
use crate::domain::{Action, Command};
use crate::log::EventLog;
use crate::projections::ApplicationView;
use crate::service::{Intake, SubmitRequest};
use crate::time::Timestamp;

/// Whether a path's `{id}` can name an application at all: every id is a lowercase UUID
/// ([`crate::ids::check_app_id`], the rule the offline tools hold their ids to as well). A UUID
/// in capitals names nothing here, and saying so reveals nothing. Anything else is refused as a
/// path segment that does not fit, as the document's 400 promises, and never quoted: what was
/// typed here may be an ID number or a phone. The 404 stays for a well-formed id, the same
/// whether the application does not exist or the caller is no party to it.
pub(super) fn check_id(id: &str) -> Result<(), Problem> {
    crate::ids::check_app_id(id).map_err(|refused| {
        Problem::bad_request(
            "path:id",
            refused.rule(),
            refused.message("this path segment"),
        )
    })
}

pub async fn submit<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    // What the head alone refuses, before the body is read (and a client that asked
    // `Expect: 100-continue` is told to send it).
    signed::check_head(&s, &principal, &headers)?;
    crate::service::submitting_region(&principal)?;
    let key = idempotency_key(&headers)?;
    let bytes = read_body(&headers, body).await?;
    let signed = signed::check(
        &s,
        &principal,
        &uri,
        &headers,
        &bytes,
        Exempt::WithIdempotencyKey,
    )?;
    let (intake, warnings) = match screened(&s, body::json_value(&headers, &bytes)?) {
        Ok(screened) => screened,
        // A body the checks refuse (422), not one that is no request at all.
        Err(refused) if refused.status == StatusCode::UNPROCESSABLE_ENTITY.as_u16() => {
            let request = || {
                body::json_value(&headers, &bytes)
                    .and_then(body::typed::<crate::service::SubmitRequest>)
                    .ok()
            };
            return match earlier_sending(&s, &principal, key, request).await {
                Some(earlier) => Ok(earlier),
                None => Err(refused),
            };
        }
        Err(refused) => return Err(refused),
    };
    // Counted once the body is known to be the region's and to hold a submission: a stolen
    // token without the signing key, or a malformed body, spends none of the day's bytes.
    s.quotas.charge(&principal, bytes.len())?;
    let (status, headers, mut outcome) =
        submitted(&s, &principal, intake, key, signed.as_ref()).await?;
    // The checks' doubts (a 15-digit ID number), told with the answer, a repeated submission's
    // too: it is the same request, and its first answer may have been lost.
    outcome.warnings.extend(warnings);
    Ok((status, headers, Json(outcome)).into_response())
}

/// `POST /v1/applications/check`: a submission's dry run. The request a region would send to
/// `POST /v1/applications` (its Idempotency-Key if any, its body) is checked as the submission
/// would be — [`screened`], then every check before the log
/// ([`crate::service::Gateway::dry_run`]) — and answered with the warnings (200), or with the
/// refusal the submission would get (the same 400, 403, 413 or 422: an event too large for the
/// log's largest message is refused too, as far as the log knows it without asking). Nothing is
/// appended, no key is taken; whether an earlier submission took the key is the log's to say,
/// and is not asked. As
/// the local forms' dry run (`translate`), it needs no request signature: it changes nothing,
/// and a province's CI need not hold the production key.
/// For a province's CI: the registry's JSON Schema documents do not carry the form's rules
/// (`required-when` …) nor the route's and the region book's, which a standard validator
/// therefore does not see.
pub async fn check<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Query(_): Query<super::regions::NoQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    crate::service::submitting_region(&principal)?;
    let key = idempotency_key(&headers)?;
    let bytes = read_body(&headers, body).await?;
    let (intake, warnings) = screened(&s, body::json_value(&headers, &bytes)?)?;
    let mut outcome = s.gateway.dry_run(&principal, intake, key)?;
    // In the order a submission's answer lists them.
    outcome.warnings.extend(warnings);
    Ok(Json(outcome).into_response())
}

/// Every problem of a canonical body in one answer: its matter's whole schema (the top-level
/// fields, the mode and route rules, the applicant and the form together) and the handlers that
/// are no region of the federation, a finding under one already made left out. Checked one field
/// group after another, a wrong handler would hide a wrong applicant until it was fixed. A body
/// that passes goes on as checked (the gate does not check it again); one whose `matter` names
/// no matter has no schema for its applicant and form, and gets the shape check and then the
/// gate's `unknown matter`. With a checked body come the checks' warnings (what they doubt
/// without refusing), which the gate does not hear again; an unchecked body's are the gate's.
fn screened<L: EventLog>(
    s: &AppState<L>,
    mut value: Value,
) -> Result<(Intake, Vec<tongban_schemas::Violation>), Problem> {
    let Some(matter) = value
        .get("matter")
        .and_then(Value::as_str)
        .and_then(tongban_schemas::matters::get)
    else {
        return Ok((
            Intake::Unchecked(body::typed::<SubmitRequest>(value)?),
            Vec::new(),
        ));
    };
    if body::whole_numbers_as_integers(&mut value).is_some() {
        // A whole number beyond 2^64: the shape check names it (`range`).
        return Ok((
            Intake::Unchecked(body::typed::<SubmitRequest>(value)?),
            Vec::new(),
        ));
    }
    let (report, checked) = matter.check_owned(value);
    let body: &Value = match &checked {
        Ok(c) => c,
        Err(v) => v,
    };
    let mut errors = report.violations;
    let found: Vec<&str> = errors
        .iter()
        .filter(|v| tongban_schemas::covers_gateways(&v.rule))
        .map(|v| v.pointer.as_str())
        .collect();
    let unknown = tongban_schemas::uncovered(&found, s.gateway.unknown_handlers(body));
    errors.retain(|v| !tongban_schemas::gives_way(&v.rule, &v.pointer, &unknown));
    errors.extend(unknown);
    match checked {
        Ok(c) if errors.is_empty() => Ok((Intake::Checked(c), report.warnings)),
        // With the warnings, as a refused local form's answer has them.
        _ => Err(Problem::unprocessable(
            format!("the body has {} problem(s)", errors.len()),
            errors,
        )
        .with_warnings(report.warnings)),
    }
}

/// The `Idempotency-Key` header, if sent, checked in full (sent once, 1 to 255 visible ASCII
/// characters) before the body is parsed: a key that can never be taken is refused as such, not
/// after a form was translated or a body checked only to be refused for the key. The service
/// checks the same rule again for callers other than HTTP.
pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, Problem> {
    let mut values = headers.get_all("idempotency-key").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    // Two keys name two submissions: taking either would answer a retry of the other with a
    // new application. The same key repeated (a proxy that copies headers) names one.
    if values.any(|other| other != value) {
        return Err(Problem::bad_request(
            "header:Idempotency-Key",
            "once",
            "Idempotency-Key is sent more than once with different keys: send the one key of \
             this submission",
        ));
    }
    match value.to_str() {
        Ok(key) if crate::ids::is_valid_idempotency_key(key) => Ok(Some(key)),
        // The rule every refused key gets (`ServiceError::BadRequest`).
        _ => Err(Problem::bad_request(
            "header:Idempotency-Key",
            "request",
            crate::ids::IDEMPOTENCY_KEY_RULE,
        )),
    }
}

/// Submits, and says how to answer: 201 with the new application's location, or 200 when an
/// earlier submission with the same key is returned, with the log position
/// (`X-Tongban-Position`). Shared by canonical and local-form submits.
/// The answer to a refused submission that is the retry of one an earlier sending under the
/// same Idempotency-Key created: that application (200), as every retry is
/// ([`crate::service::Gateway::resubmission`]). The rules may have changed in between (an
/// upgrade), and a refusal would have the window send the corrected request as a second
/// application. `None` (the refusal stands) without a key, without a request to compare
/// (`request` is read only when a key was sent), or for anything but an earlier sending of this
/// very request: none, another request's key, a log that cannot answer now.
pub(super) async fn earlier_sending<L: EventLog>(
    s: &AppState<L>,
    principal: &crate::auth::Principal,
    key: Option<&str>,
    request: impl FnOnce() -> Option<crate::service::SubmitRequest>,
) -> Option<Response> {
    let key = key?;
    let request = request()?;
    let outcome = s
        .gateway
        .resubmission(principal, &request, key)
        .await
        .ok()??;
    Some((StatusCode::OK, located(&outcome), Json(outcome)).into_response())
}

/// A submission's answer headers: where the application is, and the log position a read can
/// name to see it.
fn located(outcome: &crate::service::SubmitOutcome) -> [(axum::http::HeaderName, String); 2] {
    [
        (
            axum::http::header::LOCATION,
            format!("/v1/applications/{}", outcome.id),
        ),
        super::read_after::position(outcome.position),
    ]
}

pub(super) async fn submitted<L: EventLog>(
    s: &AppState<L>,
    principal: &crate::auth::Principal,
    request: impl Into<crate::service::Intake>,
    key: Option<&str>,
    signed: Option<&crate::auth::RequestSignature>,
) -> Result<
    (
        StatusCode,
        [(axum::http::HeaderName, String); 2],
        crate::service::SubmitOutcome,
    ),
    Problem,
> {
    let outcome = s
        .gateway
        .submit_signed(principal, request, key, signed)
        .await?;
    let status = if outcome.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, located(&outcome), outcome))
}

/// An action on application `id`. What the head alone refuses comes before the body is read
/// (and before a client that asked `Expect: 100-continue` is told to send it): an unsigned
/// request of a region that signs, an id that is none, an operator (who acts on nothing).
pub async fn act<L: EventLog>(
    action: Action,
    s: AppState<L>,
    principal: crate::auth::Principal,
    id: String,
    uri: Uri,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    signed::check_head(&s, &principal, &headers)?;
    let bytes = action_bytes(&principal, &id, &headers, body).await?;
    let signed = signed::check(&s, &principal, &uri, &headers, &bytes, Exempt::Never)?;
    let (command, expected_seq) = action_body(action, body::json_value(&headers, &bytes)?)?;
    s.quotas.charge(&principal, bytes.len())?;
    let outcome = s
        .gateway
        .act_signed(&principal, &id, command, expected_seq, signed.as_ref())
        .await?;
    Ok((
        [super::read_after::position(outcome.position)],
        Json(outcome),
    )
        .into_response())
}

/// `POST /v1/applications/{id}/{action}/check`: an action's dry run. The request a region would
/// send to the action's route (its token, its body with `expected_seq`) is held to every check
/// the action is held to, in the action's order — the id, the acting region, the body
/// ([`action_body`]), then the action's own decision on the application as the log holds it
/// ([`crate::service::Gateway::act_check`]) — and answered with the status and seq the action
/// would give and its warnings (200), or with the action's own refusal. Nothing is appended, so,
/// as the submissions' dry runs, it needs no request signature (a handler's CI need not hold
/// the production key) and spends none of the region's write quota.
pub async fn check_act<L: EventLog>(
    action: Action,
    s: AppState<L>,
    principal: crate::auth::Principal,
    id: String,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<Response, Problem> {
    let bytes = action_bytes(&principal, &id, &headers, body).await?;
    let (command, expected_seq) = action_body(action, body::json_value(&headers, &bytes)?)?;
    let outcome = s
        .gateway
        .act_check(&principal, &id, command, expected_seq)
        .await?;
    Ok(Json(outcome).into_response())
}

/// An action's body, read once the head says it may be: the path's id names an application,
/// and the caller is a region (an operator acts on nothing). The action and its dry run read it
/// so.
async fn action_bytes(
    principal: &crate::auth::Principal,
    id: &str,
    headers: &HeaderMap,
    body: axum::body::Body,
) -> Result<axum::body::Bytes, Problem> {
    check_id(id)?;
    crate::service::acting_region(principal)?;
    read_body(headers, body).await
}

/// The `expected_seq` an action's body may carry beside its event's fields, checked as the
/// OpenAPI document describes it: an integer, 0 or more, however a whole number is written.
#[derive(serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ExpectedSeq {
    /// The seq the caller last saw.
    expected_seq: u64,
}

/// An action's body as its command and `expected_seq`, with every problem of both in one
/// answer: a wrong `expected_seq` beside an unknown member is reported with it, not alone.
/// `expected_seq` is checked by its own schema (rule `type`, `minimum`, and `range` for a whole
/// number too large to take), the rest by the action's event schema and the domain.
fn action_body(action: Action, mut value: Value) -> Result<(Command, Option<u64>), Problem> {
    let Value::Object(map) = &mut value else {
        return Err(Problem::unprocessable(
            "the body must be a JSON object",
            vec![tongban_schemas::Violation::new(
                "",
                "type",
                "expected an object",
            )],
        ));
    };
    let expected_seq = match map.remove("expected_seq") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            body::typed::<ExpectedSeq>(json!({ "expected_seq": v })).map(|s| Some(s.expected_seq))
        }
    };
    match (judged(action, value), expected_seq) {
        (Ok(command), Ok(seq)) => Ok((command, seq)),
        (Err(mut refused), Err(seq)) if refused.status == seq.status => {
            let mut errors = seq.errors;
            errors.append(&mut refused.errors);
            refused.detail = format!("the body has {} problem(s)", errors.len());
            refused.errors = errors;
            Err(refused)
        }
        (Err(refused), _) | (Ok(_), Err(refused)) => Err(refused),
    }
}

/// An action's body (without `expected_seq`) as its command, refused with every problem at once:
/// its event schema's findings and the action's own rules on its fields (a text that says
/// nothing, a result naming no 电子证照, a post delivery without its 快递单号:
/// [`crate::domain::decide::body_faults`]), which the domain would otherwise tell one at a time,
/// after the schema's. A body the schema refuses is read again without the members it refused
/// (unknown ones, or of the wrong type or length), so that the rules judge the rest too; a rule's
/// finding at a member the schema already refused is not told twice.
fn judged(action: Action, value: Value) -> Result<Command, Problem> {
    let faults = |command: &Command| -> Vec<tongban_schemas::Violation> {
        crate::domain::decide::body_faults(command)
            .iter()
            .map(|e| {
                tongban_schemas::Violation::new(
                    e.pointer().unwrap_or_default(),
                    e.rule(),
                    e.to_string(),
                )
            })
            .collect()
    };
    match super::actions::parse(action, value.clone()) {
        Ok(command) => match faults(&command) {
            found if found.is_empty() => Ok(command),
            found => Err(Problem::unprocessable(
                format!("the body has {} problem(s)", found.len()),
                found,
            )),
        },
        Err(mut refused) if refused.status == StatusCode::UNPROCESSABLE_ENTITY.as_u16() => {
            let mut rest = value;
            for e in &refused.errors {
                remove_member(&mut rest, &e.pointer);
            }
            if let Ok(command) = super::actions::parse(action, rest) {
                let told = |pointer: &str| {
                    refused.errors.iter().any(|e| {
                        pointer == e.pointer
                            || pointer
                                .strip_prefix(e.pointer.as_str())
                                .is_some_and(|below| below.starts_with('/'))
                    })
                };
                let more: Vec<_> = faults(&command)
                    .into_iter()
                    .filter(|f| !told(&f.pointer))
                    .collect();
                refused.errors.extend(more);
                refused.detail = format!("the body has {} problem(s)", refused.errors.len());
            }
            Err(refused)
        }
        Err(refused) => Err(refused),
    }
}

/// Removes the member `pointer` (RFC 6901) names from `value`, if there is one.
fn remove_member(value: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let name = last.replace("~1", "/").replace("~0", "~");
    if let Some(Value::Object(members)) = value.pointer_mut(parent) {
        members.remove(&name);
    }
}

/// An application as its parties and operators read it (`GET /v1/applications/{id}`): its
/// state, who must act next, its statutory deadlines judged as of the answer, and the submission
/// in the canonical shape of its matter's latest version. Typed so that the OpenAPI document
/// describes exactly what is sent.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct ApplicationRead<'a> {
    pub id: &'a str,
    /// The matter's code (`GET /v1/matters`).
    pub matter: &'a str,
    pub mode: tongban_schemas::Mode,
    /// 收件地: the region that submitted.
    pub origin: &'a str,
    /// 办理地: the first is the lead handler.
    pub handlers: &'a [String],
    pub status: crate::domain::Status,
    /// How many events the application has: pass it as `expected_seq` when acting on what
    /// was read.
    pub seq: u64,
    /// The last event's hash (the chain's head).
    pub last_hash: &'a str,
    pub submitted_at: &'a str,
    pub updated_at: &'a str,
    /// Handlers (joint mode) whose part is done, in completion order.
    pub parts_completed: &'a [String],
    /// Who must act next, and how: the expected next step, not every action allowed.
    pub awaiting: Vec<Awaiting>,
    /// Every action the caller's region may take next, as the lifecycle allows it now (the
    /// rules an action is decided by): a lead handler awaited to `accept` may also `not-accept`
    /// or `request-supplement`, an origin may `withdraw`; empty when it may take none. Without
    /// `not-accept` once the application counts as accepted by law (`deemed_accepted_at`):
    /// a refusal then is a decision after review (`deny`, once accepted), and a `not-accept`
    /// taken all the same is answered with a `deemed-accepted` warning. Without `suspend` once
    /// the application has had as many suspensions as the gateway takes (20 unless its
    /// operators set another; a suspension past it is refused 409 `suspension-limit`). The same
    /// as the region's inbox or outbox line says. Absent for an operator's token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<&'static str>>,
    /// When the application counts as accepted by law (受理, 行政许可法 Art. 32): its acceptance
    /// window ran out with neither acceptance, refusal nor 补正告知, so it is accepted as of the
    /// receipt, this moment (RFC 3339), and its decision clock runs from it (`deemed` in
    /// `deadlines`), whether or not an acceptance comes later. `status` stays what the events
    /// made it. Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deemed_accepted_at: Option<String>,
    pub deadlines: Vec<DeadlineRead>,
    pub applicant: &'a Value,
    pub form: &'a Value,
    /// The version of `matter.<matter>` the applicant and form are in: the latest, since a read
    /// brings an application submitted under an older version up to it.
    // (projections::upcast does that.)
    pub matter_version: u32,
    pub materials: &'a [tongban_schemas::blocks::material::MaterialRef],
}

/// A region that must act next, and the action.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Awaiting {
    pub region: String,
    pub action: &'static str,
}

/// A statutory deadline, with how it stands at the moment of the answer. While the clock is
/// paused (`situation` `paused`), `due` is the date it would run out on if it resumed today,
/// and `paused_since` says since when it is paused.
// `due` while paused is crate::domain::deadlines::Deadline::due_at.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct DeadlineRead {
    #[serde(flatten)]
    pub deadline: crate::domain::deadlines::Deadline,
    pub situation: crate::domain::deadlines::Situation,
    /// Whether the clock is running and its due date is past, at the moment of the answer
    /// (`situation` `overdue`): the same judgement as an inbox line's `overdue`. A paused clock
    /// is not overdue.
    pub overdue: bool,
    /// While paused: when the suspension began (RFC 3339). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused_since: Option<String>,
    /// Whether the gateway's holiday calendar (`holidays.json`) lists dates for the year `due`
    /// falls in. False: counted Monday to Friday without that year's holidays and 调休, so it
    /// may be due earlier than the law says (always false without a calendar).
    pub calendar_covers: bool,
}

impl DeadlineRead {
    /// `deadline` as it stands at `now`, counted with `cal`.
    pub fn of(
        deadline: &crate::domain::deadlines::Deadline,
        now: Timestamp,
        cal: &crate::domain::calendar::Calendar,
    ) -> DeadlineRead {
        let mut shown = deadline.clone();
        shown.due = deadline.due_at(now, cal);
        let situation = deadline.situation(now);
        DeadlineRead {
            situation,
            overdue: situation == crate::domain::deadlines::Situation::Overdue,
            paused_since: deadline.paused_since().map(str::to_string),
            calendar_covers: deadline.calendar_covers(now, cal),
            deadline: shown,
        }
    }
}

impl<'a> ApplicationRead<'a> {
    /// `view` as read at `now` by `region` (`None`: an operator), its deadlines counted with
    /// `cal`, what it allows decided under `caps` (the gateway's).
    pub fn of(
        view: &'a ApplicationView,
        region: Option<&str>,
        now: Timestamp,
        cal: &crate::domain::calendar::Calendar,
        caps: crate::domain::decide::Caps,
    ) -> ApplicationRead<'a> {
        let deadlines = view.deadlines_at(now, cal);
        let deemed = deadlines.deemed_acceptance();
        ApplicationRead {
            id: &view.state.id,
            matter: &view.state.matter,
            mode: view.state.mode,
            origin: &view.state.origin,
            handlers: &view.state.handlers,
            status: view.state.status,
            seq: view.state.seq,
            last_hash: &view.last_hash,
            submitted_at: &view.submitted_at,
            updated_at: &view.updated_at,
            parts_completed: &view.state.parts_completed,
            awaiting: view
                .state
                .awaiting()
                .into_iter()
                .map(|(region, action)| Awaiting {
                    region,
                    action: action.as_str(),
                })
                .collect(),
            // Not `not-accept` once the law counts the application accepted.
            allowed: region.map(|region| {
                crate::domain::decide::allowed_by_law(&view.state, region, deemed.is_some(), caps)
                    .into_iter()
                    .map(|a| a.as_str())
                    .collect()
            }),
            deemed_accepted_at: deemed.map(|d| d.received_at),
            deadlines: deadlines
                .0
                .iter()
                .map(|deadline| DeadlineRead::of(deadline, now, cal))
                .collect(),
            applicant: &view.applicant,
            form: &view.form,
            matter_version: view.matter_version,
            materials: &view.materials,
        }
    }
}

/// The application as `region` (`None`: an operator) sees it, deadlines judged as of now with
/// `cal`, what it allows under `caps`.
pub fn render(
    view: &ApplicationView,
    region: Option<&str>,
    cal: &crate::domain::calendar::Calendar,
    caps: crate::domain::decide::Caps,
) -> Value {
    serde_json::to_value(ApplicationRead::of(
        view,
        region,
        Timestamp::now(),
        cal,
        caps,
    ))
    .unwrap_or_default()
}

/// `?view=local` asks for the calling region's own form (see [`super::forms::local_view`]).
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewQuery {
    pub view: Option<String>,
}

pub async fn get<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    Query(q): Query<ViewQuery>,
) -> Result<Response, Problem> {
    check_id(&id)?;
    let view = s
        .gateway
        .application(&principal, &id)
        .await
        .map_err(Problem::reading)?;
    match q.view.as_deref() {
        None | Some("canonical") => {
            let shown = render(
                &view,
                principal.region(),
                &s.gateway.calendar,
                s.gateway.caps(),
            );
            Ok(Json(shown).into_response())
        }
        Some("local") => super::forms::local_view(&principal, &view),
        Some(other) => Err(Problem::bad_request(
            "query:view",
            "enum",
            match super::shown::quoted(other, super::shown::code) {
                Some(other) => format!("view must be canonical or local, got {other}"),
                None => "view must be canonical or local".to_string(),
            },
        )),
    }
}

/// `GET /v1/applications/{id}/events`: every event, from the first, or with `?after_seq=` or
/// `?limit=` a page of them ([`events_page`]); any other parameter (`?after=5`) is refused by
/// name rather than answered as if it paged.
pub async fn events<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> Result<Response, Problem> {
    check_id(&id)?;
    if q.after_seq.is_some() || q.limit.is_some() {
        return events_page(s, principal, id, q).await;
    }
    let read = async {
        let history = s
            .gateway
            .events(&principal, &id)
            .await
            .map_err(Problem::reading)?;
        // Outside the envelopes: the hash-chained contract stays exactly as it is, and the
        // evidence verifies on its own with the signing region's public key
        // (docs/signed-requests.md).
        let request_signatures = s.gateway.request_evidence(&principal, &history.events)?;
        Ok::<_, Problem>((history, request_signatures))
    };
    // Written out in its turn ([`super::histories`]), from the events themselves (no copy as a
    // `Value`).
    super::histories::answer(
        &s,
        &principal,
        &id,
        read,
        |(history, request_signatures)| {
            #[derive(serde::Serialize)]
            struct Answer<'a, S> {
                app: &'a str,
                events: &'a [crate::envelope::Envelope],
                #[serde(skip_serializing_if = "<[_]>::is_empty")]
                not_history: &'a [crate::service::ChainBreak],
                request_signatures: S,
            }
            super::histories::json(&Answer {
                app: &id,
                events: &history.events,
                not_history: &history.not_history,
                request_signatures,
            })
        },
    )
    .await
}

/// `?after_seq=&limit=` of an application's events: either asks for a page
/// ([`events_page`]); neither, for the whole history. Unknown parameters are refused.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// The seq of the last event the caller holds (0: none); the page begins after it.
    pub after_seq: Option<String>,
    /// At most this many events (1 to 1000, 100 when not given).
    pub limit: Option<String>,
}

/// A page of an application's events ([`crate::service::Gateway::events_page`]), with the
/// region's request signatures for those events, as the whole history's answer carries them.
async fn events_page<L: EventLog>(
    s: AppState<L>,
    principal: crate::auth::Principal,
    id: String,
    q: EventsQuery,
) -> Result<Response, Problem> {
    let after = match q.after_seq.as_deref() {
        None => 0,
        Some(text) => super::extract::whole_number("after_seq", text, 0, u64::MAX >> 1)?,
    };
    let limit = super::regions::limit_of(q.limit.as_deref())?;
    let read = async {
        let page = s
            .gateway
            .events_page(&principal, &id, after, limit)
            .await
            .map_err(Problem::reading)?;
        let request_signatures = s.gateway.request_evidence(&principal, &page.events)?;
        Ok::<_, Problem>((page, request_signatures))
    };
    // A page of a long history takes its turn as the whole history does: it holds up to 1,000
    // events, and on JetStream its read goes from the subject's start to the page's end (the
    // stream has no index by seq), so what it costs there grows with `after_seq`.
    super::histories::answer(&s, &principal, &id, read, |(page, request_signatures)| {
        #[derive(serde::Serialize)]
        struct Answer<'a, S> {
            app: &'a str,
            after_seq: u64,
            after_hash: Option<&'a str>,
            events: &'a [crate::envelope::Envelope],
            more: bool,
            next_after_seq: u64,
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            not_history: &'a [crate::service::ChainBreak],
            request_signatures: S,
        }
        super::histories::json(&Answer {
            app: &id,
            after_seq: after,
            after_hash: page.after_hash.as_deref(),
            events: &page.events,
            more: page.more,
            not_history: &page.not_history,
            next_after_seq: page.events.last().map_or(after, |e| e.seq),
            request_signatures,
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(p: &Problem) -> Vec<(&str, &str)> {
        p.errors
            .iter()
            .map(|v| (v.pointer.as_str(), v.rule.as_str()))
            .collect()
    }

    /// Given an action's body, when its `expected_seq` is a whole number however written, then
    /// it is read as that number beside the command; absent or null, there is none.
    #[test]
    fn a_sequence_number_is_read_however_a_whole_number_is_written() {
        for body in [
            json!({"expected_seq": 4}),
            json!({"expected_seq": 4.0}),
            json!({"expected_seq": 4e0}),
        ] {
            let (_, seq) = action_body(Action::Accept, body.clone()).expect("taken");
            assert_eq!(seq, Some(4), "{body}");
        }
        for body in [json!({}), json!({"expected_seq": null})] {
            let (_, seq) = action_body(Action::Accept, body.clone()).expect("taken");
            assert_eq!(seq, None, "{body}");
        }
    }

    /// Given an action's body with a wrong `expected_seq`, when it is read, then the answer is
    /// 422 naming `/expected_seq` with the rule its schema breaks (`type` for a text or a
    /// fraction, `minimum` for a negative number, `range` for a whole number too large to take,
    /// said to be too large) together with every other problem of the body. (Found by an HTTP
    /// walkthrough: the check answered alone, `/extra` was lost, and -1 and 10^23 were both told
    /// "must be a non-negative integer".)
    #[test]
    fn a_wrong_sequence_number_is_reported_with_the_rest_of_the_body() {
        let p = action_body(Action::Approve, json!({"expected_seq": "x", "extra": 1}))
            .map(|_| ())
            .expect_err("two problems");
        assert_eq!(p.status, 422);
        assert_eq!(
            found(&p),
            [("/expected_seq", "type"), ("/extra", "unknown-property")],
            "{p:?}"
        );
        assert_eq!(p.detail, "the body has 2 problem(s)");
        for (seq, rule) in [(json!(-1), "minimum"), (json!(4.5), "type")] {
            let p = action_body(Action::Approve, json!({ "expected_seq": seq }))
                .map(|_| ())
                .expect_err("refused");
            assert_eq!(found(&p), [("/expected_seq", rule)], "{p:?}");
        }
        let huge: Value =
            serde_json::from_str(r#"{"expected_seq": 99999999999999999999999}"#).expect("json");
        let p = action_body(Action::Approve, huge)
            .map(|_| ())
            .expect_err("too large");
        assert_eq!(found(&p), [("/expected_seq", "range")], "{p:?}");
        assert!(p.errors[0].message.contains("large"), "{p:?}");
        // A body fine but for its expected_seq is refused for it alone.
        let p = action_body(
            Action::Approve,
            json!({"expected_seq": -1, "decision_number": "JD-1"}),
        )
        .map(|_| ())
        .expect_err("refused");
        assert_eq!(found(&p), [("/expected_seq", "minimum")], "{p:?}");
    }
}
