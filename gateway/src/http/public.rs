//! Routes anyone may read: health, the matter catalogue, the gateway's public key.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};
use tongban_schemas::matters;

use super::AppState;
use crate::log::EventLog;
use crate::projections::ProjectionError;
use std::sync::atomic::{AtomicBool, Ordering};

/// `GET /healthz`. `status` is `degraded` while the event log cannot take writes
/// (`log_available: false`) or the projections stopped for good (`projections_unavailable`), and
/// the answer stays HTTP 200: in either case the gateway still serves (reads of the projections
/// during a log outage; writes, and reads marked stale, while the projections are stopped), and a
/// load balancer that pulled gateways on a non-2xx would pull all of them at once during a NATS
/// outage, turning lost writes into lost reads too. Alert on `log_available` and
/// `projections_unavailable` (or `tongban_log_available`, `tongban_log_restart_required` and
/// `tongban_projections_restart_required` in `/metrics`) instead.
///
/// Anyone may ask, without a token: a balancer or a probe gets what it acts on (whether the
/// gateway serves, whether a restart is needed, how far the projections are behind). What only
/// an operator acts on (why, the log positions, the held applications, a region book that does
/// not read, the process id) is given to a caller presenting an operator token
/// ([`super::auth::presented`]): it tells whoever asks where the deployment is weak, its
/// files' errors, and how far its log has grown. Any other token, or a bad one, gets the public
/// answer, not a 401, so that a probe never breaks on it.
pub async fn healthz<L: EventLog>(
    State(s): State<AppState<L>>,
    headers: HeaderMap,
) -> Json<Health> {
    let operator = super::auth::presented(&s, &headers).is_some_and(|p| p.is_operator());
    let head = *s.gateway.log.head().borrow();
    let applied = s.gateway.projector.applied();
    let available = s.gateway.log.available();
    let stopped = s.gateway.projections_stopped();
    let why = |why: String| operator.then_some(why);
    Json(Health {
        status: match available && stopped.is_none() {
            true => HealthStatus::Ok,
            false => HealthStatus::Degraded,
        },
        backend: s.gateway.log.backend(),
        log_available: available,
        log_unavailable: s.gateway.log.refusal().map(|r| Unavailable {
            why: why(r.why),
            restart_required: r.restart_required,
        }),
        projection_lag: head.saturating_sub(applied),
        projections_unavailable: stopped.map(|p| Unavailable {
            why: why(p.why),
            restart_required: true,
        }),
        details: operator.then(|| details(&s, head, applied)),
    })
}

/// The operator's members.
fn details<L: EventLog>(s: &AppState<L>, head: u64, applied: u64) -> HealthDetails {
    let store = StoreMembers::of(&s.gateway.store);
    HealthDetails {
        log_position: head,
        projection_position: applied,
        projection_held: store.held,
        log_unreadable: store.unreadable,
        projections_unchecked: store.unchecked,
        applicants_indexed_after: store.applicants_after,
        unknown: store.unknown,
        region_book_unreadable: s.book.unreadable().map(|u| BookUnreadable {
            why: u.why,
            modified: u.modified,
            len: u.len,
        }),
        clock_behind_log_seconds: s
            .gateway
            .clock_behind_ms()
            .map(|ms| ms.unsigned_abs() / 1000),
        latest_event_time: s.gateway.latest_event_time(),
        pid: std::process::id(),
    }
}

/// What the projection store answers for `/healthz`. One it cannot answer is null and named in
/// `unknown`: a null `projections_unchecked` would otherwise read as "checked".
struct StoreMembers {
    held: Option<u64>,
    unreadable: Option<u64>,
    unchecked: Option<crate::projections::unchecked::Unchecked>,
    applicants_after: Option<u64>,
    unknown: Vec<&'static str>,
}

impl StoreMembers {
    fn of(store: &crate::projections::ProjectionStore) -> StoreMembers {
        let mut unknown = Vec::new();
        /// Said once while a member fails, not on every probe's poll; again after it answered.
        static FAILING: [AtomicBool; 4] = [const { AtomicBool::new(false) }; 4];
        fn answered<T>(
            unknown: &mut Vec<&'static str>,
            (member, failing): (&'static str, &AtomicBool),
            answer: Result<T, ProjectionError>,
        ) -> Option<T> {
            match answer {
                Ok(answer) => {
                    failing.store(false, Ordering::Relaxed);
                    Some(answer)
                }
                Err(e) => {
                    if !failing.swap(true, Ordering::Relaxed) {
                        tracing::warn!(member, error = %e, "/healthz: the projection store cannot say (said once while it lasts)");
                    }
                    unknown.push(member);
                    None
                }
            }
        }
        StoreMembers {
            held: answered(
                &mut unknown,
                ("projection_held", &FAILING[0]),
                store.held_count(),
            ),
            unreadable: answered(
                &mut unknown,
                ("log_unreadable", &FAILING[1]),
                store.unreadable_count(),
            ),
            unchecked: answered(
                &mut unknown,
                ("projections_unchecked", &FAILING[2]),
                store.unchecked(),
            )
            .flatten(),
            applicants_after: answered(
                &mut unknown,
                ("applicants_indexed_after", &FAILING[3]),
                store.applicants_indexed_from(),
            )
            .filter(|from| *from > 0),
            unknown,
        }
    }
}

/// Whether this gateway serves, and how far its projections are behind the log; with an
/// operator token, also why not, where its log and projections are, and its process id.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `ok`, or `degraded` while the event log takes no writes (`log_unavailable`) or the
    /// projections stopped (`projections_unavailable`). The answer is HTTP 200 either way.
    status: HealthStatus,
    /// `embedded` or `jetstream`.
    backend: &'static str,
    /// Whether the event log can take writes now.
    log_available: bool,
    /// That the event log takes no writes, and whether only a restart brings it back (else it
    /// heals by itself); null while it takes them.
    log_unavailable: Option<Unavailable>,
    /// How many events of the log the projections have not applied yet.
    projection_lag: u64,
    /// That the projections stopped for good (their store failed) and only a restart brings
    /// them back; null while they run. Meanwhile writes are taken, an application read is folded
    /// from the log, and the other reads of the projections answer at once marked
    /// `X-Tongban-Stale`.
    projections_unavailable: Option<Unavailable>,
    /// Given to a caller presenting an operator token only; absent otherwise.
    #[serde(flatten)]
    details: Option<HealthDetails>,
}

/// The members of `/healthz` only an operator's token is answered: all of them, or none.
#[derive(Serialize, schemars::JsonSchema)]
struct HealthDetails {
    /// The position of the last durable event in the log (operators only).
    log_position: u64,
    /// The position the projections have applied up to (operators only).
    projection_position: u64,
    /// Applications whose view is held at an event that does not fold
    /// (`/v1/projections/held`); null when the store cannot say (then named in `unknown`)
    /// (operators only).
    projection_held: Option<u64>,
    /// Records of the log that are not events (damaged bytes, or a message published by
    /// something other than a gateway), which the projections passed over
    /// (`/v1/projections/held`'s `unreadable`); null when the store cannot say (then named in
    /// `unknown`) (operators only).
    log_unreadable: Option<u64>,
    /// That the projections were folded by a rebuild that did not check the events' seals
    /// (`tongban rebuild --trust-log`) up to a log position: an event planted without the
    /// gateway's key before it may be folded rather than held. Null when they were checked, or
    /// the store cannot say (then named in `unknown`) (operators only).
    projections_unchecked: Option<crate::projections::unchecked::Unchecked>,
    /// The log position after which every open application is in the applicant index, which
    /// the `possible-duplicate` warning reads: set on projections made before the index (an
    /// upgrade) or folded without the gateway key, whose earlier applications are named to no
    /// one until `tongban rebuild` with the key; null when the index is whole, or the store
    /// cannot say (then named in `unknown`) (operators only).
    applicants_indexed_after: Option<u64>,
    /// The members above the projection store could not answer (`projection_held`,
    /// `log_unreadable`, `projections_unchecked`, `applicants_indexed_after`): their null means
    /// unknown, not none; the gateway's log says why. Empty when it answered them all
    /// (operators only).
    unknown: Vec<&'static str>,
    /// A regions.json that changed but does not read: the book read before it is still in use
    /// (tokens added or revoked since do not take effect) until the file is fixed; null while it
    /// reads (operators only).
    region_book_unreadable: Option<BookUnreadable>,
    /// How many seconds this host's clock is behind the latest event time in the log
    /// (`latest_event_time`), when more than a minute; null otherwise. The events this gateway
    /// stamps meanwhile read as happened before events the log already holds, and deadlines are
    /// judged on those times: fix the host's time synchronisation (NTP), or, if the latest
    /// event's time is the one that is wrong, find the gateway whose clock ran ahead. The
    /// gateway goes on serving (`status` stays as it is) (operators only).
    clock_behind_log_seconds: Option<u64>,
    /// The latest event time this gateway has seen in its log (RFC 3339); null before any
    /// (operators only).
    latest_event_time: Option<String>,
    /// The gateway's process id, for tools on the same machine that watch the process
    /// (`tongban load --soak`) (operators only).
    pid: u32,
}

#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum HealthStatus {
    Ok,
    Degraded,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Unavailable {
    /// What failed (ids, positions and the operating system's words; no personal data). Given
    /// to a caller presenting an operator token only; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    why: Option<String>,
    /// Only a restart after the operator's fix brings it back (else it heals by itself).
    restart_required: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
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
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
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

pub async fn keys<L: EventLog>(
    State(s): State<AppState<L>>,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
) -> Json<Value> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Given projections whose unchecked mark is damaged, when `/healthz` reads the store, then
    /// `projections_unchecked` is null and named in `unknown` (before, it was only null, which
    /// reads as "every seal was checked"); an intact store names nothing.
    #[test]
    fn a_mark_the_store_cannot_read_is_named_unknown_not_taken_as_checked() {
        let dir = crate::testutil::TempDir::new("healthz-unknown");
        let store = crate::projections::ProjectionStore::open(dir.path()).expect("open");
        let intact = StoreMembers::of(&store);
        assert_eq!(intact.unknown, Vec::<&str>::new());
        assert_eq!((intact.held, intact.unreadable), (Some(0), Some(0)));
        assert!(intact.unchecked.is_none());
        store.damage_unchecked_mark();
        let damaged = StoreMembers::of(&store);
        assert!(damaged.unchecked.is_none());
        assert_eq!(damaged.unknown, ["projections_unchecked"]);
        assert_eq!(damaged.held, Some(0));
    }

    /// Given projections folded without the gateway key (a rebuild with none at hand), whose
    /// applicant index names none of the applications folded, when `/healthz` reads the store,
    /// then `applicants_indexed_after` says from where the index is whole (the warning names
    /// nothing before it), where an operator had no way to tell; a whole index says null.
    #[test]
    fn an_applicant_index_that_is_not_whole_says_from_where() {
        let cal = crate::domain::calendar::Calendar::weekdays();
        let (log, _) = crate::projections::applicants::tests::log();
        let dir = crate::testutil::TempDir::new("healthz-applicants");
        let keyless = crate::projections::ProjectionStore::open(dir.path()).expect("open");
        assert_eq!(StoreMembers::of(&keyless).applicants_after, None);
        keyless.apply(&mut log.clone(), &cal).expect("apply");
        let members = StoreMembers::of(&keyless);
        assert_eq!(members.applicants_after, Some(log.len() as u64));
        assert_eq!(members.unknown, Vec::<&str>::new());
    }
}
