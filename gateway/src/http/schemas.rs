//! `/v1/schemas…`: the schema registry as JSON. Public reads: every party needs the same documents to
//! validate and replay payloads, so none of them needs a token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;

use super::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;
use tongban_schemas::registry::{Incompatibility, Registry, SchemaVersion, VersionRef};
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
}

/// One place where data valid under one version may be rejected by the other.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IncompatibilityItem {
    /// Instance JSON pointer, `*` for any array item.
    pub path: String,
    /// Machine rule, e.g. `type-narrowed`, `required-added`.
    pub rule: String,
    pub reason: String,
    /// `backward` (the candidate reading old data) or `forward` (old versions reading new data).
    pub direction: String,
    pub against_version: u32,
}

impl From<&Incompatibility> for IncompatibilityItem {
    fn from(i: &Incompatibility) -> IncompatibilityItem {
        IncompatibilityItem {
            path: i.path.clone(),
            rule: wire(&i.rule),
            reason: i.reason.clone(),
            direction: wire(&i.direction),
            against_version: i.against_version,
        }
    }
}

pub fn unknown_subject(subject: &str) -> Problem {
    Problem::not_found(format!(
        "no schema subject {subject:?}; the subjects are listed at /v1/schemas"
    ))
}

/// The version a URL names, or a 404 naming what exists.
pub fn lookup(subject: &str, version: &str) -> Result<&'static SchemaVersion, Problem> {
    let reg = registry();
    let versions = reg
        .versions(subject)
        .ok_or_else(|| unknown_subject(subject))?;
    VersionRef::parse(version)
        .and_then(|v| reg.get(subject, v))
        .ok_or_else(|| {
            Problem::not_found(format!(
                "subject {subject} has no version {version:?}; it has {versions:?} (or `latest`)"
            ))
        })
}

pub async fn list<L: EventLog>(State(_): State<AppState<L>>) -> Json<SubjectList> {
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
    Json(SubjectList { subjects })
}

pub async fn versions<L: EventLog>(
    State(_): State<AppState<L>>,
    Path(subject): Path<String>,
) -> Result<Json<VersionList>, Problem> {
    let versions = registry()
        .versions(&subject)
        .ok_or_else(|| unknown_subject(&subject))?;
    Ok(Json(VersionList {
        latest: versions.last().copied().unwrap_or(1),
        subject,
        versions,
    }))
}

/// The JSON Schema document itself, as `application/schema+json`.
pub async fn document<L: EventLog>(
    State(_): State<AppState<L>>,
    Path((subject, version)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let found = lookup(&subject, &version)?;
    let mut res = Json(&found.schema).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/schema+json"),
    );
    Ok(res)
}

/// Judges a candidate document under the subject's policy without registering it.
pub async fn compatibility<L: EventLog>(
    State(_): State<AppState<L>>,
    Path(subject): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<CompatibilityReport>, Problem> {
    let reg = registry();
    let versions = reg
        .versions(&subject)
        .ok_or_else(|| unknown_subject(&subject))?;
    let candidate = body::json_value(&headers, &bytes)?;
    let found = reg.check(&subject, &candidate).map_err(invalid_candidate)?;
    let config = reg.config(&subject).unwrap_or_default();
    let checked_against = match config.compatibility {
        c if !c.checks_backward() && !c.checks_forward() => Vec::new(),
        c if c.transitive() => versions,
        _ => versions.last().copied().into_iter().collect(),
    };
    Ok(Json(CompatibilityReport {
        compatibility: config.compatibility.as_str().to_string(),
        checked_against,
        compatible: found.is_empty(),
        incompatibilities: found.iter().map(IncompatibilityItem::from).collect(),
        subject,
    }))
}

/// A candidate that is not a usable draft 2020-12 document: 422 naming every problem found.
fn invalid_candidate(e: SchemaError) -> Problem {
    let (rule, text) = match &e {
        SchemaError::InvalidSchema(t) => ("invalid-schema", t.clone()),
        SchemaError::Compile(t) => ("schema-compile", t.clone()),
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
