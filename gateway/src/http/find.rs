//! `GET /v1/applications?serial=&region=`: from a province's own number to the application.
//!
//! Provinces name applications by their `Idempotency-Key` (origin) or their 受理编号 (handler),
//! not by our ids; the projections index both ([`crate::projections::serials`]). The answer
//! holds ids, codes, states and times only: no personal data, so it may be shown to whoever
//! asks at a province's desk. The serial itself is never logged.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use tongban_schemas::Violation;

use super::AppState;
use super::auth::Caller;
use super::extract::Query;
use super::problem::Problem;
use crate::log::EventLog;
use crate::projections::SerialKind;

/// The longest serial asked for: an Idempotency-Key is at most 255 characters, and a 受理编号
/// far shorter.
const SERIAL_MAX_CHARS: usize = 255;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindQuery {
    pub serial: Option<String>,
    /// Only the serials this region gave.
    pub region: Option<String>,
}

/// One application a serial names.
#[derive(Serialize, schemars::JsonSchema)]
pub struct SerialMatch<'a> {
    pub id: &'a str,
    pub matter: &'a str,
    pub mode: tongban_schemas::Mode,
    pub status: crate::domain::Status,
    pub origin: &'a str,
    pub handlers: &'a [String],
    pub submitted_at: &'a str,
    pub updated_at: &'a str,
    /// The region that gave the serial: the origin for its Idempotency-Key, the accepting
    /// handler for its 受理编号.
    pub given_by: &'a str,
    /// As what that region gave it.
    pub given_as: SerialKind,
}

/// The answer.
#[derive(Serialize, schemars::JsonSchema)]
pub struct SerialMatches<'a> {
    /// The serial asked for, as given; `null` when it holds personal data by the gateway's rules
    /// (an ID number or a phone number, whole or among other characters, or an ID number's
    /// shape whose check character does not match: one mistyped), or is no serial's form (Chinese
    /// characters, `张三1`, or letters alone: a person's name), which no answer echoes (a
    /// walkthrough found `?serial=<an applicant's ID number>` sent back in the answer).
    pub serial: Option<&'a str>,
    /// The `region` asked for, if any.
    pub region: Option<&'a str>,
    /// In the order of the region that gave the serial, then the application id. Empty when
    /// the serial names nothing the caller may read.
    pub applications: Vec<SerialMatch<'a>>,
    /// Present (a log position) when these projections were made before the serial index:
    /// serials given in events up to that position are found only after `tongban rebuild`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub indexed_after: Option<u64>,
}

fn invalid(pointer: &str, rule: &str, message: String) -> Problem {
    Problem::unprocessable(
        message.clone(),
        vec![Violation::new(pointer, rule, message)],
    )
}

pub async fn by_serial<L: EventLog>(
    State(s): State<AppState<L>>,
    Caller(principal): Caller,
    Query(q): Query<FindQuery>,
) -> Result<Json<serde_json::Value>, Problem> {
    let serial = q.serial.as_deref().map(str::trim).unwrap_or_default();
    if serial.is_empty() {
        return Err(invalid(
            "query:serial",
            "required",
            "serial is required: the province's Idempotency-Key or 受理编号 of the application \
             (GET /v1/applications?serial=…)"
                .into(),
        ));
    }
    if serial.chars().count() > SERIAL_MAX_CHARS {
        return Err(invalid(
            "query:serial",
            "length",
            format!("serial must be at most {SERIAL_MAX_CHARS} characters"),
        ));
    }
    let region = q.region.as_deref();
    if let Some(r) = region {
        if !crate::domain::is_region_code(r) {
            return Err(invalid(
                "query:region",
                "gb2260-format",
                // Not quoted: a value that is no code may be personal data.
                "region must be a 6-digit GB/T 2260 code".to_string(),
            ));
        }
        if !s.book.has_region(r) {
            return Err(invalid(
                "query:region",
                "unknown-region",
                format!("region {r} is no region of this federation (see GET /v1/regions)"),
            ));
        }
    }
    let matches = s.gateway.by_serial(&principal, serial, region).await?;
    let body = SerialMatches {
        serial: (crate::ids::typed_serial_form(serial) && crate::ids::serial_shape_clean(serial))
            .then_some(serial),
        region,
        applications: matches
            .found
            .iter()
            .map(|(view, hit)| SerialMatch {
                id: &view.state.id,
                matter: &view.state.matter,
                mode: view.state.mode,
                status: view.state.status,
                origin: &view.state.origin,
                handlers: &view.state.handlers,
                submitted_at: &view.submitted_at,
                updated_at: &view.updated_at,
                given_by: &hit.region,
                given_as: hit.kind,
            })
            .collect(),
        indexed_after: (matches.indexed_from > 0).then_some(matches.indexed_from),
    };
    Ok(Json(serde_json::to_value(body).unwrap_or_default()))
}
