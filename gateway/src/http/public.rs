//! Routes anyone may read: health, the matter catalogue, the gateway's public key.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{Value, json};
use tongban_schemas::matters;

use super::AppState;
use crate::log::EventLog;

/// `GET /healthz`. `status` is `degraded` while the event log cannot take writes
/// (`log_available: false`) or the projections stopped for good (`projections_unavailable`), and
/// the answer stays HTTP 200: in either case the gateway still serves (reads of the projections
/// during a log outage; writes, and reads marked stale, while the projections are stopped), and a
/// load balancer that pulled gateways on a non-2xx would pull all of them at once during a NATS
/// outage, turning lost writes into lost reads too. Alert on `log_available` and
/// `projections_unavailable` (or `tongban_log_available`, `tongban_log_restart_required` and
/// `tongban_projections_restart_required` in `/metrics`) instead.
pub async fn healthz<L: EventLog>(State(s): State<AppState<L>>) -> Json<Value> {
    let head = *s.gateway.log.head().borrow();
    let applied = s.gateway.projector.applied();
    let available = s.gateway.log.available();
    let refusal = s.gateway.log.refusal();
    let stopped = s.gateway.projections_stopped();
    Json(json!({
        "status": if available && stopped.is_none() { "ok" } else { "degraded" },
        "backend": s.gateway.log.backend(),
        // Whether the event log can take writes now (`EventLog::available`).
        "log_available": available,
        // Why not, and whether it waits for the operator (a restart after a fix) rather than
        // healing by itself (`EventLog::refusal`).
        "log_unavailable": refusal.as_ref().map(|r| json!({
            "why": r.why,
            "restart_required": r.restart_required,
        })),
        "log_position": head,
        "projection_position": applied,
        "projection_lag": head.saturating_sub(applied),
        // The projections stopped for good: their store failed (a full or failing disk), and
        // only a restart brings them back (`projector::Stopped`).
        "projections_unavailable": stopped.as_ref().map(|p| json!({
            "why": p.why,
            "restart_required": true,
        })),
        // Applications whose view is held at an event that does not fold (`/v1/projections/held`).
        "projection_held": s.gateway.store.held_count().ok(),
        // A regions.json that changed but does not read: the book read before it is still in
        // use (tokens added or revoked since do not take effect) until the file is fixed.
        "region_book_unreadable": s.book.unreadable().map(|u| json!({
            "why": u.why,
            "modified": u.modified,
            "len": u.len,
        })),
        // For tools on the same machine that watch the process (`tongban load --soak`).
        "pid": std::process::id(),
    }))
}

/// Whether this gateway serves, and how far its log and projections are.
// The documented shape of what `healthz` writes, for openapi.json.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
pub struct Health {
    /// `ok`, or `degraded` while the event log takes no writes (`log_unavailable`) or the
    /// projections stopped (`projections_unavailable`). The answer is HTTP 200 either way.
    status: HealthStatus,
    /// `embedded` or `jetstream`.
    backend: String,
    /// Whether the event log can take writes now.
    log_available: bool,
    /// Why the event log takes no writes; null while it does.
    log_unavailable: Option<Unavailable>,
    /// The position of the last durable event in the log.
    log_position: u64,
    /// The position the projections have applied up to.
    projection_position: u64,
    /// `log_position - projection_position`.
    projection_lag: u64,
    /// Why the projections stopped for good (their store failed) and that only a restart
    /// brings them back; null while they run. Meanwhile writes are taken, an application read
    /// is folded from the log, and the other reads of the projections answer at once marked
    /// `X-Tongban-Stale`.
    projections_unavailable: Option<Unavailable>,
    /// Applications whose view is held at an event that does not fold; null when the store
    /// cannot say.
    projection_held: Option<u64>,
    /// A regions.json that changed but does not read; null while it reads.
    region_book_unreadable: Option<BookUnreadable>,
    /// The gateway's process id.
    pid: u32,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
#[serde(rename_all = "lowercase")]
enum HealthStatus {
    Ok,
    Degraded,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct Unavailable {
    /// What failed (ids, positions and the operating system's words; no personal data).
    why: String,
    /// Only a restart after the operator's fix brings it back (else it heals by itself).
    restart_required: bool,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct BookUnreadable {
    why: String,
    /// The failed file's modification time (RFC 3339).
    modified: Option<String>,
    /// The failed file's length in bytes.
    len: u64,
}

/// The matters this federation handles, each with its modes, limits, materials and rules.
// The documented shape of what `matters_list` writes, for openapi.json.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
pub struct MatterList {
    matters: Vec<MatterItem>,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct MatterItem {
    /// The matter's code (`medical-filing` …), as submissions and `/v1/schemas` name it.
    code: String,
    /// The matter's current schema version (`/v1/schemas/matter.<code>/versions/<version>`).
    version: u32,
    title_zh: String,
    title_en: String,
    modes: Vec<tongban_schemas::Mode>,
    /// Statutory time limits, in working days.
    limits: MatterLimits,
    /// The materials (申请材料) a submission lists, by `kind`.
    materials: Vec<MaterialItem>,
    /// Every rule beyond the schema's structure that a submission is held to: the route's
    /// (`kind: route`), the identifier checks the schema carries as `x-tongban-check`, each
    /// finding at each field (`identity`; docs/adapters.md lists them), and the rules across the
    /// form's fields (`form`). A submission breaking one is refused (or, for a `warning`, told)
    /// at `pointer` with `code` as its rule.
    rules: Vec<RuleItem>,
    /// Which regions may handle an application (rule `handler-jurisdiction`).
    jurisdiction: JurisdictionItem,
    /// A complete valid submission body.
    example: Value,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct JurisdictionItem {
    /// Pointers to the division codes of the places whose authorities decide: each handler is
    /// one of those regions or a city or province containing it, and a joint application has a
    /// handler for each place.
    places: Vec<String>,
    /// The same, in words: Chinese with the English in parentheses.
    rule_zh: String,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct MatterLimits {
    acceptance_days: u32,
    decision_days: u32,
    extension_days: u32,
    issue_days: u32,
    /// `working-days`.
    unit: String,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct MaterialItem {
    kind: String,
    name_zh: String,
    required: bool,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct RuleItem {
    /// Stable machine code, the refusal's `rule` (`end-before-start`, `same-province`,
    /// `required-when` …).
    code: String,
    /// The field a refusal names: a JSON pointer from the body's root, `*` for any list item.
    pointer: String,
    /// What the rule requires, in Chinese with the English in parentheses.
    rule_zh: String,
    /// `route`, `identity` or `form`.
    kind: String,
    /// True for a finding reported beside an accepted submission, not a refusal.
    warning: bool,
    /// For `identity`: the `x-tongban-check` value and the field carrying it (`person` on
    /// `/applicant`).
    check: Option<CheckItem>,
}

#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct CheckItem {
    /// `person`, `gb2260`, `gb32100` or `date`.
    name: String,
    /// The field the schema puts the check on (JSON pointer, `*` for any list item).
    on: String,
}

pub async fn matters_list<L: EventLog>(
    State(_): State<AppState<L>>,
    request: HeaderMap,
) -> Response {
    let items: Vec<Value> = matters::all()
        .iter()
        .map(|m| {
            json!({
                "code": m.code,
                "version": m.version,
                "title_zh": m.title_zh,
                "title_en": m.title_en,
                "modes": m.modes,
                "limits": {
                    "acceptance_days": m.limits.acceptance_days,
                    "decision_days": m.limits.decision_days,
                    "extension_days": m.limits.extension_days,
                    "issue_days": m.limits.issue_days,
                    "unit": "working-days",
                },
                "materials": m.materials.iter().map(|r| json!({"kind": r.kind, "name_zh": r.name_zh, "required": r.required})).collect::<Vec<_>>(),
                // Every rule beyond the schema's structure (route, identifier checks, form), each
                // with the field a finding names and its stable code.
                "rules": m.listed_rules(),
                "jurisdiction": {
                    "places": m.jurisdiction.handled,
                    "rule_zh": m.jurisdiction.rule_zh,
                },
                "example": m.example(),
            })
        })
        .collect();
    // Revalidated by ETag: a team that keeps the rules and limits downloads them again only
    // when they changed (a new matter version, a rule added).
    super::schemas::cached_json(
        &request,
        &json!({ "matters": items }),
        "application/json",
        super::schemas::REVALIDATE,
    )
}

pub async fn keys<L: EventLog>(State(s): State<AppState<L>>) -> Json<Value> {
    let public = s.gateway.key.public();
    Json(json!({
        "keys": [{
            "kid": public.kid(),
            "alg": "Ed25519",
            "public_key_hex": public.to_hex(),
            "jwk": public.jwk(),
            "signs": "the ASCII bytes of each event's lowercase hex `hash`; `sig` is the signature in lowercase hex",
        }]
    }))
}
