//! Local forms: a region submits (or dry-runs) its own form through its adapter, and reads an
//! application back in its own dialect.
//!
//! - `POST /v1/regions/{region}/forms/{matter}`: translate, then the normal submit path
//!   ([`crate::service::Gateway::submit`]) with the canonical body.
//! - `POST /v1/regions/{region}/translate/{matter}`: the translation only (canonical body, warnings,
//!   the simplified-character matching copy), or the problems.
//! - `GET /v1/applications/{id}?view=local`: the application as the calling region's local form.
//!
//! A refused form answers 422 problem+json whose `errors` each name the caller's own field
//! (`pointer`, `field`, `label`), the canonical path, the rule and the masked value.

use super::guard::read_body;
use axum::Json;
use axum::body::Body;
use axum::extract::State;

use super::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tongban_adapters::codec::CharsetSource;
use tongban_adapters::{Adapter, LocalProblem, Rejection};

use super::AppState;
use super::auth::Caller;
use super::problem::Problem;
use crate::auth::Principal;
use crate::log::EventLog;
use crate::projections::ApplicationView;
use crate::service::duplicates::{POSSIBLE_DUPLICATE, Taken};

/// The installed adapter specs; that they do not compile is the gateway's fault (500), logged.
pub(super) fn registry() -> Result<&'static tongban_adapters::Registry, Problem> {
    crate::adapters::registry().map_err(|e| {
        tracing::error!(error = %e, "adapter specs do not compile");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the adapter specs do not compile; see the gateway log",
        )
    })
}

/// The calling region's adapter for `matter`, after checking that `region` is a region of the
/// federation and the caller is that region.
fn adapter_for<L: EventLog>(
    s: &AppState<L>,
    principal: &Principal,
    region: &str,
    matter: &str,
) -> Result<&'static Adapter, Problem> {
    super::regions::known(s, region)?;
    if principal.region() != Some(region) {
        return Err(Problem::forbidden(format!(
            "only region {region}'s own tokens submit its local forms"
        )));
    }
    let registry = registry()?;
    registry
        .get(region, matter)
        .map(|a| a.as_ref())
        .ok_or_else(|| {
            let have = registry.matters_of(region);
            // Quoted only in a code's form: what was typed in the path may be personal data.
            let matter = super::shown::quoted(matter, super::shown::code)
                .unwrap_or_else(|| "that matter".to_string());
            Problem::new(
                StatusCode::NOT_FOUND,
                "no-adapter",
                "No adapter for this region and matter",
                if have.is_empty() {
                    format!("region {region} has no local-form adapters")
                } else {
                    format!(
                        "region {region} has no adapter for {matter}; it has: {}",
                        have.join(", ")
                    )
                },
            )
        })
}

/// The body must be sent in the adapter's format (its charset may vary: the parameter is read).
fn check_media_type(adapter: &Adapter, headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or("");
    let essence = text
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let ok = match adapter.format {
        tongban_adapters::spec::Format::Json => {
            essence == "application/json" || essence.ends_with("+json")
        }
        tongban_adapters::spec::Format::Xml => {
            essence == "application/xml" || essence == "text/xml" || essence.ends_with("+xml")
        }
    };
    if ok {
        Ok(Some(text.to_string()))
    } else {
        Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content type",
            format!(
                "region {}'s {} form is sent as {} (got {})",
                adapter.region,
                adapter.matter.code,
                adapter.content_type(),
                super::shown::said(text, super::shown::media_type)
            ),
        ))
    }
}

/// A refused local form: each problem named by the region's own field (`field`, `label`), the
/// canonical path and the masked value, beside the problem's usual members.
// The documented shape of what `rejected` writes, for openapi.json: client generators keep the
// members an adapter team reads, which the generic problem's `errors` do not have.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
pub struct LocalFormProblem {
    /// `urn:tongban:problem:invalid-local-form`.
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// The region whose form it is (6-digit GB/T 2260 code).
    region: String,
    /// The matter's code.
    matter: String,
    /// Every problem, in the region's own field names; at most 100: past them, the first 99
    /// and a last of rule `too-many-problems` saying how many more there are and how many in
    /// all (`detail` counts them all too).
    errors: Vec<LocalErrorItem>,
    /// What does not stop the form (a credit code's check character …), the same way, and as
    /// many at most.
    warnings: Vec<LocalErrorItem>,
}

/// One problem of a local form, at the region's own field.
// The documented shape of a tongban_adapters::LocalProblem.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
pub struct LocalErrorItem {
    /// Where in the region's form, in its own field names (`/formData/endDate`, `/SQRY/1/XM`;
    /// for XML below the root element); empty for the whole form.
    pointer: String,
    /// The region's field name itself (`endDate`).
    field: String,
    /// The field's 中文 name from the region's spec, when it gives one.
    label: Option<String>,
    /// The canonical path the field maps to (`/form/end_date`).
    canonical: String,
    /// Stable machine rule: `required`, `date-format`, `code`, `end-before-start` … (the form's
    /// rules across fields as `GET /v1/matters` lists them under `rules`).
    rule: String,
    /// For people, in Chinese with the English in parentheses; never personal data in clear.
    message: String,
    /// The value the region sent, masked when personal.
    value: Option<String>,
}

/// 422 problem+json listing every local problem (a superset of the usual `errors` entries).
fn rejected(adapter: &Adapter, rejection: &Rejection) -> Response {
    let problem = json!({
        "type": "urn:tongban:problem:invalid-local-form",
        "title": "The local form is not valid",
        "status": 422,
        "detail": format!(
            "the {} form for {} has {} problem(s)",
            adapter.region,
            adapter.matter.code,
            rejection.total()
        ),
        "region": adapter.region,
        "matter": adapter.matter.code,
        "errors": rejection.problems,
        "warnings": rejection.warnings,
    });
    let mut res = problem_json(StatusCode::UNPROCESSABLE_ENTITY, &problem);
    // For the refusal's log line (`super::refusals`), as `Problem` leaves it: the type only.
    res.extensions_mut()
        .insert(super::refusals::Refused("invalid-local-form".into()));
    res
}

fn problem_json(status: StatusCode, body: &Value) -> Response {
    let mut res = (status, serde_json::to_vec(body).unwrap_or_default()).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

/// Translates the local form with the gateway's own checks of the canonical body beside the
/// matter's schema (a handler that is no region of the federation, an origin that is not the
/// caller: [`crate::service::Gateway::local_form_problems`]), so that the dry run and the
/// submission refuse the same forms, every problem in the province's own field names. Its text
/// is first held to the nesting limit every JSON body is held to (400 `limit-exceeded`, rule
/// `max-depth`, as on the canonical route: a form does not reach the reader past it), its
/// JSON's objects and arrays or its XML's elements; the form's own problems are the inner
/// error (422).
fn translated<L: EventLog>(
    s: &AppState<L>,
    adapter: &Adapter,
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<Result<tongban_adapters::Translation, Rejection>, Problem> {
    let text = match adapter.form_text(bytes, content_type.map(CharsetSource::ContentType)) {
        Ok(text) => text,
        Err(refused) => return Ok(Err(refused)),
    };
    let extra = |body: &serde_json::Value| s.gateway.local_form_problems(&adapter.region, body);
    match adapter.format {
        // Counted as the form is read: a scan before it was 1.1% of a submission's
        // instructions (docs/performance.md, "Round 43").
        tongban_adapters::spec::Format::Json => adapter
            .translate_text_within(&text, super::limits::MAX_DEPTH, &extra)
            .map_err(|too_deep| super::limits::too_deep_json(&text, too_deep.0)),
        tongban_adapters::spec::Format::Xml => {
            super::limits::check_element_depth(&text)?;
            Ok(adapter.translate_text(&text, &extra))
        }
    }
}

pub async fn translate<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path((region, matter)): Path<(String, String)>,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    let adapter = adapter_for(&s, &principal, &region, &matter)?;
    let content_type = check_media_type(adapter, &headers)?;
    // The key the form would be submitted under, if the dry run is given one: its own
    // application (a retry's) is no duplicate of it. Not refused here when malformed: the dry
    // run of a form never took a key before.
    let key = super::applications::idempotency_key(&headers)
        .ok()
        .flatten();
    let bytes = read_body(&headers, body).await?;
    let t = match translated(&s, adapter, &bytes, content_type.as_deref())? {
        Ok(t) => t,
        Err(r) => return Ok(rejected(adapter, &r)),
    };
    // The open applications of the same applicant and matter, as the submission would be told
    // of them (a submission would still be taken). A form whose sealed event the log would
    // refuse as too large (JetStream) is refused here as its submission would be (413), not
    // passed: the canonical dry run's measure, on the translation, which reads them too (a log
    // that takes every size is not asked to measure).
    let duplicates = if s.gateway.log.limits_size() {
        let checked = s
            .gateway
            .dry_run(&principal, t.canonical.clone(), key)
            .map_err(Problem::from)?;
        checked
            .warnings
            .into_iter()
            .filter(|w| w.rule == POSSIBLE_DUPLICATE)
            .collect()
    } else {
        s.gateway.possible_duplicates(
            &region,
            &t.canonical["applicant"],
            adapter.matter.code,
            key,
            Taken::WouldBe,
        )
    };
    Ok(translation_answer(adapter, t, &duplicates))
}

/// The dry run's answer: the canonical body, with the warnings (the form's, then the
/// submission's own, as the form route lists them: [`warnings_of`]) and matching copies.
fn translation_answer(
    adapter: &Adapter,
    t: tongban_adapters::Translation,
    submission: &[tongban_schemas::Violation],
) -> Response {
    Json(json!({
        "canonical": t.canonical,
        "warnings": warnings_of(adapter, &t.warnings, submission),
        "matching": t.matching,
    }))
    .into_response()
}

/// A local form's answer's warnings, every one at the province's own field as its errors are:
/// the form's own (the adapter's), then the submission's, those about the canonical body (the
/// `possible-duplicate` warning at the applicant's number) traced back to the province's field
/// by the adapter's own mapping ([`Adapter::at_local_field`]), the canonical path beside it;
/// one about a header (a key that reads as personal data) stays at the header.
fn warnings_of(
    adapter: &Adapter,
    form: &[LocalProblem],
    submission: &[tongban_schemas::Violation],
) -> Value {
    let form = form.iter().filter_map(|w| serde_json::to_value(w).ok());
    let submission = submission
        .iter()
        .filter_map(|w| match w.pointer.starts_with('/') {
            true => serde_json::to_value(adapter.at_local_field(w)).ok(),
            false => serde_json::to_value(w).ok(),
        });
    Value::Array(form.chain(submission).collect())
}

pub async fn submit<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Path((region, matter)): Path<(String, String)>,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Problem> {
    // What the head alone refuses, before the body is read (and a client that asked
    // `Expect: 100-continue` is told to send it): an unsigned request of a region that signs
    // first, whatever the path names.
    super::signed::check_head(&s, &principal, &headers)?;
    let adapter = adapter_for(&s, &principal, &region, &matter)?;
    let key = super::applications::idempotency_key(&headers)?;
    let content_type = check_media_type(adapter, &headers)?;
    let bytes = read_body(&headers, body).await?;
    let signed = super::signed::check(
        &s,
        &principal,
        &uri,
        &headers,
        &bytes,
        super::signed::Exempt::WithIdempotencyKey,
    )?;
    let mut translation = match translated(&s, adapter, &bytes, content_type.as_deref())? {
        Ok(t) => t,
        Err(r) => {
            // A retry of a form an earlier sending under this key submitted, taken under other
            // rules, is answered with that application, as on the canonical route.
            let request = || {
                r.translated
                    .clone()
                    .and_then(|body| super::body::typed::<crate::service::SubmitRequest>(body).ok())
            };
            let earlier = super::applications::earlier_sending(&s, &principal, key, request).await;
            return Ok(earlier.unwrap_or_else(|| rejected(adapter, &r)));
        }
    };
    if signed.is_some() {
        kept_in_evidence(&mut translation.warnings);
    }
    s.quotas.charge(&principal, bytes.len())?;
    // The adapter checked the canonical body in full; the gate takes it without a second check.
    let (status, headers, outcome) =
        super::applications::submitted(&s, &principal, translation.canonical, key, signed.as_ref())
            .await?;
    let mut body = serde_json::to_value(&outcome).unwrap_or_default();
    if let Value::Object(m) = &mut body {
        // The form's warnings, then the submission's own, each at the province's field.
        let warnings = warnings_of(adapter, &translation.warnings, &outcome.warnings);
        m.insert("warnings".into(), warnings);
    }
    Ok((status, headers, Json(body)).into_response())
}

/// What a field ignored as `unknown-field` becomes on a signed request: it is in no event, but
/// the signed body that holds it is kept as the request's evidence (served to the signing region
/// and to operators, docs/signed-requests.md), so "ignored" alone would tell the province it is
/// gone. What follows the adapter's words (the field the name most likely slipped from) stays.
fn kept_in_evidence(warnings: &mut [tongban_adapters::LocalProblem]) {
    const KEPT: &str = "本地区规格中没有此字段，未写入事件；但本请求已签名，含此字段的请求原文作为请求证据保存，向本地区与运维人员提供 (field not in this region's spec: not in the event, but kept in the signed request's evidence, which this region and operators are served)";
    for w in warnings.iter_mut().filter(|w| w.rule == "unknown-field") {
        let rest = w
            .message
            .strip_prefix(tongban_adapters::engine::UNKNOWN_FIELD_IGNORED)
            .unwrap_or("");
        w.message = format!("{KEPT}{rest}");
    }
}

/// The canonical submission of an application, as its adapters read it.
fn canonical_of(view: &ApplicationView) -> Value {
    // The deadlines are not part of it, nor what a region may do: any calendar and caps will
    // do.
    let rendered = super::applications::render(
        view,
        None,
        &crate::domain::calendar::Calendar::weekdays(),
        crate::domain::decide::Caps::DEFAULT,
    );
    json!({
        "matter": rendered["matter"],
        "mode": rendered["mode"],
        "origin": rendered["origin"],
        "handlers": rendered["handlers"],
        "applicant": rendered["applicant"],
        "form": rendered["form"],
        "materials": rendered["materials"],
    })
}

/// 406 `no-local-form`, with one title (RFC 9457) whether the caller is an operator or its region
/// has no adapter for the matter: the detail says which.
fn no_local_form(detail: impl Into<String>) -> Problem {
    Problem::new(
        StatusCode::NOT_ACCEPTABLE,
        "no-local-form",
        "No local form",
        detail,
    )
}

/// `GET /v1/applications/{id}?view=local`: the application in the calling region's dialect, with
/// its status and seq in headers (the local form has no place for them).
pub fn local_view(principal: &Principal, view: &ApplicationView) -> Result<Response, Problem> {
    let Some(region) = principal.region() else {
        return Err(no_local_form(
            "operators have no local dialect; read the canonical view",
        ));
    };
    let canonical = canonical_of(view);
    let matter = canonical["matter"].as_str().unwrap_or("").to_string();
    let registry = registry()?;
    let Some(adapter) = registry.get(region, &matter) else {
        let matter = super::shown::quoted(&matter, super::shown::code)
            .unwrap_or_else(|| "the application's matter".to_string());
        return Err(no_local_form(format!(
            "region {region} has no adapter for {matter}, so the application cannot be shown in its local form; read the canonical view (without ?view=local)"
        )));
    };
    match adapter.render(&canonical) {
        Ok(bytes) => {
            let mut res = Response::new(Body::from(bytes));
            let headers = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&adapter.content_type()) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(view.state.status.as_str()) {
                headers.insert("x-tongban-status", v);
            }
            if let Ok(v) = HeaderValue::from_str(&view.state.seq.to_string()) {
                headers.insert("x-tongban-seq", v);
            }
            // What the local form has no field for is left out of it: said, by canonical path
            // only (never a value), so a reader knows the form is not the whole application.
            let unmapped = adapter.unmapped(&canonical);
            if !unmapped.is_empty()
                && let Ok(v) = HeaderValue::from_str(&unmapped.join(", "))
            {
                headers.insert("x-tongban-unmapped", v);
            }
            Ok(res)
        }
        Err(r) => {
            let problems: Vec<&LocalProblem> = r.problems.iter().collect();
            Ok(problem_json(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({
                    "type": "urn:tongban:problem:local-form-unwritable",
                    "title": "The application cannot be written in this region's local form",
                    "status": 422,
                    "detail": format!("{} value(s) have no local equivalent in region {region}'s {matter} form", problems.len()),
                    "errors": problems,
                }),
            ))
        }
    }
}
