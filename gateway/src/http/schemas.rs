//! `/v1/schemas…`: the schema registry as JSON. Public reads: every party needs the same documents to
//! validate and replay payloads, so none of them needs a token.

use super::guard::read_body;
use axum::Json;
use axum::body::Body;
use axum::extract::State;

use super::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::{Arc, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tongban_schemas::registry::{
    Incompatibility, Numeral, Registry, SchemaVersion, VERSION_FORMS, VersionRef,
};
use tongban_schemas::{SchemaError, Violation};

use super::AppState;
use super::body;
use super::problem::Problem;
use crate::log::EventLog;

/// The registry the gateway serves: every subject `tongban-schemas` defines (built once).
pub fn registry() -> &'static Registry {
    Registry::builtin()
}

/// A serde enum's wire name (`BACKWARD`, `type-narrowed` …), for the flat response types below.
fn wire<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// `GET /v1/schemas`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SubjectList {
    pub subjects: Vec<SubjectItem>,
}

/// One subject of the registry.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SubjectItem {
    /// `matter.<code>` (canonical submission body) or `application.<event>` (event payload).
    pub subject: String,
    /// `matter`, `event` or `other`.
    pub kind: String,
    /// The latest document's `title`.
    pub title: String,
    pub latest: u32,
    pub versions: Vec<u32>,
    /// Compatibility policy for new versions, e.g. `BACKWARD`.
    pub compatibility: String,
    /// `strict` or `lenient` judgement of properties added to open objects.
    pub open_objects: String,
}

/// `GET /v1/schemas/{subject}/versions`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VersionList {
    pub subject: String,
    /// Oldest first.
    pub versions: Vec<u32>,
    pub latest: u32,
}

/// `POST /v1/schemas/{subject}/compatibility`: the verdict on a candidate document.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CompatibilityReport {
    pub subject: String,
    /// The policy the candidate was judged under.
    pub compatibility: String,
    /// The registered versions it was compared with.
    pub checked_against: Vec<u32>,
    /// True when registering it as the next version would be allowed.
    pub compatible: bool,
    pub incompatibilities: Vec<IncompatibilityItem>,
    /// What the policy does not refuse but other parties would meet, for information: under
    /// `BACKWARD`, the `forward` incompatibilities with the latest version (data written under
    /// the candidate that provinces still validating against the latest would refuse; announce
    /// the version to them before sending such data). Empty under the other policies, which
    /// refuse or ignore that direction.
    pub notices: Vec<IncompatibilityItem>,
}

/// One place where data valid under one version may be rejected by the other.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IncompatibilityItem {
    /// Instance JSON pointer, `*` for any array item.
    pub path: String,
    /// Machine rule, named for what the candidate did: `backward` findings for what it removed
    /// or narrowed (`type-narrowed`, `enum-value-removed`, `required-added`, `range-narrowed`,
    /// `object-closed` …), `forward` ones for what it added or widened that the older version
    /// refuses (`type-widened`, `enum-value-added`, `required-removed`, `range-widened`,
    /// `object-opened`, `property-added-to-closed-object` …); `constraint-changed`,
    /// `pattern-changed`, `branch-not-accepted` either way.
    pub rule: String,
    /// What the candidate changed here and which version refuses what: "value \"express\" is
    /// new in the candidate; version 2 does not accept it: …".
    pub reason: String,
    /// `backward` (the candidate reading old data) or `forward` (old versions reading new data).
    pub direction: String,
    pub against_version: u32,
    /// Who the change hurts and what to do (中文 / English): for `backward`, events and forms
    /// stored under `against_version`, which would need an upcaster the gateway's maintainers
    /// register (propose the change to them); for `forward`, parties validating against it
    /// (keep the change compatible, or have the maintainers announce the version first).
    pub affects: String,
}

impl From<&Incompatibility> for IncompatibilityItem {
    fn from(i: &Incompatibility) -> IncompatibilityItem {
        IncompatibilityItem {
            path: i.path.clone(),
            rule: wire(&i.rule),
            reason: i.reason.clone(),
            direction: wire(&i.direction),
            against_version: i.against_version,
            affects: i.affects(),
        }
    }
}

/// The 404 of a subject the registry does not hold; the subject is quoted only when it has a
/// subject's form ([`super::shown`]: it may be personal data typed in the wrong place).
pub fn unknown_subject(subject: &str) -> Problem {
    Problem::not_found(match super::shown::quoted(subject, super::shown::code) {
        Some(subject) => {
            format!("no schema subject {subject}; the subjects are listed at /v1/schemas")
        }
        None => "no such schema subject (a subject is written like `matter.medical-filing`); \
                 the subjects are listed at /v1/schemas"
            .to_string(),
    })
}

/// The version a URL names, or a 404 naming what exists.
pub fn lookup(subject: &str, version: &str) -> Result<&'static SchemaVersion, Problem> {
    let reg = registry();
    let versions = reg
        .versions(subject)
        .ok_or_else(|| unknown_subject(subject))?;
    // The version as asked, quoted only when it has a version's form: a value with an ID
    // number's or a phone's digits is left out.
    let asked = match super::shown::quoted(version, super::shown::version) {
        Some(v) => format!(" {v}"),
        None => " by that name".to_string(),
    };
    let Some(wanted) = VersionRef::parse(version) else {
        return Err(Problem::not_found(match Numeral::read(version) {
            Numeral::Misspelt => format!(
                "subject {subject} has no version{asked}: a version is written as \
                 {VERSION_FORMS}; it has {versions:?}"
            ),
            _ => format!(
                "subject {subject} has no version{asked}; it has {versions:?} (or `latest`)"
            ),
        }));
    };
    reg.get(subject, wanted).ok_or_else(|| {
        Problem::not_found(format!(
            "subject {subject} has no version{asked}; it has {versions:?} (or `latest`)"
        ))
    })
}

/// A numbered version never changes once published (`schemas/json/` is frozen, each document's
/// digest in `schemas/SHA256SUMS`, which a test holds),
/// so caches may keep it for a day without asking again.
const PUBLISHED: &str = "public, max-age=86400, immutable";
/// Listings and `latest` change when a gateway with a new version is deployed: caches keep them
/// but ask again each time, which the ETag makes a 304 without a body.
pub(super) const REVALIDATE: &str = "public, no-cache";

/// Serves `value` as JSON of `content_type` with a strong ETag (the body's SHA-256) and
/// `cache_control`, or a bodiless 304 when the request's `If-None-Match` already names that ETag,
/// so an adapter that polls the registry, or a validator that caches its documents, downloads
/// a document again only when it changed.
pub(super) fn cached_json<T: Serialize>(
    request: &HeaderMap,
    value: &T,
    content_type: &'static str,
    cache_control: &'static str,
) -> Response {
    let body = match serde_json::to_vec(value) {
        Ok(body) => body,
        Err(e) => {
            return Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal error",
                format!("serialising the answer: {e}"),
            )
            .into_response();
        }
    };
    let etag = format!("\"{}\"", crate::hex::encode(&Sha256::digest(&body)[..16]));
    let matches = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag);
    let mut res = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut res = Response::new(Body::from(body));
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        res
    };
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    res
}

pub async fn list<L: EventLog>(
    State(_): State<AppState<L>>,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
    request: HeaderMap,
) -> Response {
    let subjects = registry()
        .subjects()
        .into_iter()
        .map(|s| SubjectItem {
            kind: wire(&s.kind),
            compatibility: s.config.compatibility.as_str().to_string(),
            open_objects: wire(&s.config.open_objects),
            subject: s.subject,
            title: s.title,
            latest: s.latest,
            versions: s.versions,
        })
        .collect();
    cached_json(
        &request,
        &SubjectList { subjects },
        "application/json",
        REVALIDATE,
    )
}

pub async fn versions<L: EventLog>(
    State(_): State<AppState<L>>,
    Path(subject): Path<String>,
    // No query parameters: a misspelt one is refused, not ignored.
    Query(_): Query<super::regions::NoQuery>,
    request: HeaderMap,
) -> Result<Response, Problem> {
    let versions = registry()
        .versions(&subject)
        .ok_or_else(|| unknown_subject(&subject))?;
    let list = VersionList {
        latest: versions.last().copied().unwrap_or(1),
        subject,
        versions,
    };
    Ok(cached_json(&request, &list, "application/json", REVALIDATE))
}

/// The JSON Schema document itself, as `application/schema+json`. `latest` names the version it
/// is in `Content-Location` (the numbered URL, which caches keep), since a document's `$id`
/// (`urn:tongban:schema:<subject>:<n>`) is a name, not an address.
pub async fn document<L: EventLog>(
    State(_): State<AppState<L>>,
    Path((subject, version)): Path<(String, String)>,
    // The version is named in the path and revalidation rides on headers (`If-None-Match`):
    // a query parameter (`?version=2`) is refused, not ignored while `latest` is answered.
    Query(_): Query<super::regions::NoQuery>,
    request: HeaderMap,
) -> Result<Response, Problem> {
    let found = lookup(&subject, &version)?;
    let latest = VersionRef::parse(&version) == Some(VersionRef::Latest);
    let cache = if latest { REVALIDATE } else { PUBLISHED };
    let mut res = cached_json(&request, &found.schema, "application/schema+json", cache);
    if latest && let Ok(v) = HeaderValue::from_str(&document_href(&subject, found.version)) {
        res.headers_mut().insert(header::CONTENT_LOCATION, v);
    }
    Ok(res)
}

/// Where version `version` of `subject` is served: what `urn:tongban:schema:<subject>:<version>`
/// resolves to on a gateway.
pub fn document_href(subject: &str, version: u32) -> String {
    format!("/v1/schemas/{subject}/versions/{version}")
}

/// How many candidate checks run at once. A check is anonymous and pure CPU (the meta-schema,
/// the candidate compiled, its examples validated, both directions walked): it runs on the
/// blocking pool, never on a runtime worker that `/healthz` and every other request need, and
/// no more than this many at a time, so a burst of checks takes at most this many cores.
pub const CONCURRENT_CHECKS: usize = 2;

/// What a check waits before asking again when [`CONCURRENT_CHECKS`] are running (seconds): one
/// takes well under a second within the registry's bounds.
const BUSY_RETRY_AFTER_SECS: u64 = 1;

fn check_permits() -> &'static Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    PERMITS.get_or_init(|| Arc::new(Semaphore::new(CONCURRENT_CHECKS)))
}

/// One of the [`CONCURRENT_CHECKS`] slots, held while a check runs, or 503 `checks-busy` with
/// `Retry-After` when every one is taken (refused at once: a queue would only hold callers
/// while the work piles up).
fn check_slot() -> Result<OwnedSemaphorePermit, Problem> {
    Arc::clone(check_permits())
        .try_acquire_owned()
        .map_err(|_| checks_busy())
}

fn checks_busy() -> Problem {
    let mut p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "checks-busy",
        "Compatibility checks are busy",
        format!(
            "{CONCURRENT_CHECKS} compatibility checks are running, the most this gateway runs at \
             once; send the candidate again after Retry-After"
        ),
    );
    p.retry_after = Some(BUSY_RETRY_AFTER_SECS);
    p
}

/// Judges a candidate document under the subject's policy without registering it, off the
/// runtime and behind [`CONCURRENT_CHECKS`] (503 `checks-busy` beyond them). A subject that is
/// none is refused (404) before the candidate is read.
pub async fn compatibility<L: EventLog>(
    State(_): State<AppState<L>>,
    Path(subject): Path<String>,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<CompatibilityReport>, Problem> {
    let reg = registry();
    let versions = reg
        .versions(&subject)
        .ok_or_else(|| unknown_subject(&subject))?;
    let bytes = read_body(&headers, body).await?;
    let candidate = body::json_value(&headers, &bytes)?;
    let permit = check_slot()?;
    let judged = subject.clone();
    let verdict = tokio::task::spawn_blocking(move || {
        // Held until the check ends, even if the caller has gone away meanwhile.
        let _permit = permit;
        reg.judge(&judged, &candidate)
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "compatibility check did not finish");
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "the compatibility check did not finish",
        )
    })?
    .map_err(invalid_candidate)?;
    let config = reg.config(&subject).unwrap_or_default();
    let checked_against = match config.compatibility {
        c if !c.checks_backward() && !c.checks_forward() => Vec::new(),
        c if c.transitive() => versions,
        _ => versions.last().copied().into_iter().collect(),
    };
    Ok(Json(CompatibilityReport {
        compatibility: config.compatibility.as_str().to_string(),
        checked_against,
        compatible: verdict.incompatibilities.is_empty(),
        incompatibilities: verdict
            .incompatibilities
            .iter()
            .map(IncompatibilityItem::from)
            .collect(),
        notices: verdict
            .notices
            .iter()
            .map(IncompatibilityItem::from)
            .collect(),
        subject,
    }))
}

/// A candidate that is not a usable draft 2020-12 document: 422 naming every problem found.
fn invalid_candidate(e: SchemaError) -> Problem {
    let (rule, text) = match &e {
        SchemaError::InvalidSchema(t) => ("invalid-schema", t.clone()),
        SchemaError::Compile(t) => ("schema-compile", t.clone()),
        // One finding about the whole document, whatever its wording.
        SchemaError::TooComplex(t) => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-schema",
                "The candidate is too complex to judge",
                e.to_string(),
            )
            .with_errors(vec![Violation::new("", "too-complex", t.as_str())]);
        }
        // Already one violation each, at `/examples/<i>…`.
        SchemaError::InvalidExamples(found) => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-schema",
                "The candidate's examples fail it",
                "the candidate's examples do not validate under it: `errors` lists each \
                 violation at /examples/<i> followed by its pointer inside the example, with \
                 its rule",
            )
            .with_errors(found.clone());
        }
        other => ("schema", other.to_string()),
    };
    let errors = text
        .split("; ")
        .map(|part| match part.split_once(": ") {
            Some((pointer, message)) if pointer.is_empty() || pointer.starts_with('/') => {
                Violation::new(pointer, rule, message)
            }
            _ => Violation::new("", rule, part),
        })
        .collect();
    Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-schema",
        "The candidate is not a usable JSON Schema",
        e.to_string(),
    )
    .with_errors(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given every check slot taken, when another check asks for one, then it is refused at once
    /// with 503 `checks-busy` and `Retry-After`; once a slot is given back, the next check gets it.
    #[test]
    fn checks_beyond_the_slots_are_refused_with_retry_after() {
        let held: Vec<OwnedSemaphorePermit> = (0..CONCURRENT_CHECKS)
            .map(|_| check_slot().expect("a free slot"))
            .collect();
        let refused = check_slot().expect_err("every slot is taken");
        assert_eq!(refused.status, 503);
        assert_eq!(refused.kind, "urn:tongban:problem:checks-busy");
        assert_eq!(refused.retry_after, Some(BUSY_RETRY_AFTER_SECS));
        assert!(refused.detail.contains("Retry-After"), "{}", refused.detail);
        drop(held);
        assert!(check_slot().is_ok());
    }
}
