//! The OpenAPI 3.1 document, built from the same route table as the router.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::{AppState, Op, Route, actions};
use crate::log::EventLog;

pub async fn serve<L: EventLog>(
    State(s): State<AppState<L>>,
    super::extract::Query(_): super::extract::Query<super::regions::NoQuery>,
) -> Json<Value> {
    Json((*s.openapi).clone())
}

fn schema_of<T: schemars::JsonSchema>() -> Value {
    let mut v = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    if let Value::Object(m) = &mut v {
        m.remove("$schema");
    }
    v
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn problem_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

/// A local form's 422, with its own members (`region`, `matter`, each error's `field`, `label`,
/// `canonical`, `value`, the `warnings`).
fn local_form_problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/LocalFormProblem"}}}})
}

/// A local form submission's 422: the form refused ([`local_form_problem`]'s shape), or its
/// Idempotency-Key already used for another request, a problem of the submission and not of the
/// form (the generic shape, `idempotency-key-reused`).
fn local_form_submit_problem(description: &str) -> Value {
    // Told apart by `type`, so that exactly one shape fits each answer.
    let shape = |schema: &str, slug: &str| {
        json!({"allOf": [
            {"$ref": format!("#/components/schemas/{schema}")},
            {"properties": {"type": {"const": format!("urn:tongban:problem:{slug}")}}}
        ]})
    };
    json!({"description": description, "content": {"application/problem+json": {"schema": {"oneOf": [
        shape("LocalFormProblem", "invalid-local-form"),
        shape("Problem", "idempotency-key-reused")
    ]}}}})
}

fn operation(route: &Route) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(route.summary));
    op.insert("operationId".into(), json!(operation_id(route)));
    let mut params = Vec::new();
    for name in ["id", "region", "matter", "subject", "version"] {
        if route.path.contains(&format!("{{{name}}}")) {
            let description = match name {
                "id" => {
                    "the application id (a lowercase UUID; anything else is 400 at `path:id`, rule `uuid`, or `uuid-lowercase` for one in capitals)"
                }
                "region" => "a region's 6-digit GB/T 2260 code, see /v1/regions",
                "matter" => "a matter's code, see /v1/matters",
                "subject" => "`matter.<code>` or `application.<event>`, see /v1/schemas",
                "version" => "a version number (1, 2 …) or `latest`",
                _ => "",
            };
            let mut p =
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
            if !description.is_empty() {
                p["description"] = json!(description);
            }
            params.push(p);
        }
    }
    let mut responses = Map::new();
    match route.op {
        Op::Submit | Op::CheckSubmission => {
            let check = route.op == Op::CheckSubmission;
            params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": if check {
                    "Checked as the submission checks it (its form, and a key that reads as personal data is warned of); not taken, and whether an earlier submission took it is not asked. The application it would name is left out of the `possible-duplicate` warnings, as a retry's own application is"
                } else {
                    "Retries with the same key from the same region return the original application (200) instead of creating another."
                },
                "schema": {"type": "string", "minLength": 1, "maxLength": 255}}));
            op.insert("requestBody".into(), json!({"required": true, "content": json_content(schema_of::<crate::service::SubmitRequest>())}));
            if check {
                responses.insert("200".into(), json!({"description": "The submission would pass every check before the log, and its sealed event would fit the log's largest message (on JetStream: the servers' max_payload and the stream's max_msg_size as the gateway last read them, every head poll; otherwise 413 as the submission's); `warnings` lists what they doubt without refusing, as a 201 would. Nothing was appended", "content": json_content(schema_of::<crate::service::CheckOutcome>())}));
            } else {
                responses.insert("201".into(), json!({"description": "Created; `warnings` lists what the checks doubt without refusing, among them `possible-duplicate` (at `/applicant/id_number` or `/applicant/credit_code`) for each open application (up to three) of the same applicant and matter the caller's region is a party to, naming its id, status and handlers: the submission was still taken, as another application", "content": json_content(schema_of::<crate::service::SubmitOutcome>())}));
                responses.insert("200".into(), json!({"description": "The earlier submission with this Idempotency-Key", "content": json_content(schema_of::<crate::service::SubmitOutcome>())}));
            }
            responses.insert(
                "422".into(),
                problem_response(
                    "Invalid application; `errors` lists every problem at its JSON pointer \
                     (a handler that is no region of the federation: rule `unknown-region`; the \
                     handler of an online or proxy application in the origin's province, or \
                     every handler of a joint one, which no 跨省 matter has: `same-province`; a \
                     rule across the form's fields at the field it is about, with the codes the \
                     matter lists under `rules` in /v1/matters: `end-before-start`, \
                     `same-province`, `required-when`, `accompanying-is-applicant`, \
                     `duplicate-accompanying`, `capital-mismatch`), and `warnings` what the \
                     checks doubt without refusing, as a 201 lists them (a 15-digit ID number: \
                     `gb11643-legacy`); or the Idempotency-Key was already used by this region \
                     for a different request (`idempotency-key-reused`, not asked by the dry \
                     run)",
                ),
            );
            responses.insert(
                "400".into(),
                problem_response(&format!(
                    "{MALFORMED_BODY}; or, refused before the body is parsed, {KEY_REFUSED}"
                )),
            );
            if !check {
                responses.insert("503".into(), problem_response(SUBMIT_UNAVAILABLE));
            }
        }
        Op::Act(action) | Op::CheckAct(action) => {
            let check = matches!(route.op, Op::CheckAct(_));
            let mut body = actions::schema(action);
            if let Value::Object(m) = &mut body {
                m.remove("$schema");
                if let Some(Value::Object(props)) = m.get_mut("properties") {
                    props.insert("expected_seq".into(), json!({"type": "integer", "minimum": 0,
                        "description": "The seq the caller last saw; 409 if the application has moved on"}));
                }
            }
            // A body is needed where the action's schema requires a field; otherwise `{}` or
            // nothing at all will do.
            let required = body["required"].as_array().is_some_and(|r| !r.is_empty());
            op.insert(
                "requestBody".into(),
                json!({"required": required, "content": json_content(body)}),
            );
            if check {
                responses.insert("200".into(), json!({"description": "The action would pass every check it is held to, decided on the application as the event log holds it now, and its sealed event would fit the log's largest message (on JetStream, as the gateway last read it; otherwise 413 as the action's): `status` and `seq` are what the application would have after it, `type` the event it would append, `warnings` what the action's 200 would list (`personal-data`: the action would store that number in the log for good; `deadline-lapsed`; `deemed-accepted`). `repeated: true`: this request repeats (same action, token, body and `expected_seq`) the one that already moved the application on, which the action would answer with that event and append nothing again. Nothing was appended, no request evidence kept, and no write quota spent; no request signature is needed", "content": json_content(schema_of::<crate::service::ActCheck>())}));
            } else {
                responses.insert("200".into(), json!({"description": "The event was appended; or, `repeated: true`, this request repeats (same action, token, body and `expected_seq`) the one that appended it, which is the event answered, and nothing was appended again. Actions need no Idempotency-Key: the header is not read here", "content": json_content(schema_of::<crate::service::ActOutcome>())}));
            }
            responses.insert(
                "409".into(),
                problem_response("Illegal transition (`illegal-transition`), a part completed in an application that is not joint (`not-joint`: its mode never changes, so no retry helps), a suspension past the gateway's cap on suspensions per application (`suspension-limit`: 20 unless the gateway was started with another; no retry helps, decide or extend instead), or stale expected_seq (`stale-seq`); each carries the application's `state` and `current_seq`, so the caller can decide again without another read"),
            );
            responses.insert(
                "422".into(),
                problem_response(
                    "Invalid body; `errors` lists every problem of its schema at its JSON \
                     pointer, `expected_seq`'s among them; then the first the action's rules \
                     find: a reason, an item of a 补正告知 or an identifier given (`reference`, \
                     `decision_number`, a licence's or document's or material's fields, \
                     `tracking`) that is empty or spaces alone (`blank`), an identifier (the \
                     numbers, the type codes) holding a bidirectional control (U+061C, U+200E, \
                     U+200F, U+202A–U+202E, U+2066–U+2069: `bidi-control`) or another invisible \
                     or control character (`invisible-character`), which would show it as \
                     another number than the one stored, a proxy forward \
                     without `materials_checked` (`proxy-check`), a result naming neither its \
                     `licence` (电子证照) nor its `document` (at `/licence`, \
                     `licence-or-document`), a delivery by post without its `tracking` \
                     (快递单号, `required-for-post`) or another with one (`post-only`)",
                ),
            );
            responses.insert("500".into(), problem_response("The event log holds the application's history damaged (`log-corrupt`): nothing was appended, and the detail names the application or the log position. A message something other than a gateway published onto the application's subject does not cause it by itself: a copy of one of its events, or another event under a seq before its last, is passed over, and so is another event under its last seq whose seal does not verify while the event stored first there does (the next event links to that one). It is answered where its history does not verify, or where two different events under its last seq both carry the gateway's seal (truly ambiguous: the detail says so), or the event stored first there does not verify; the stream keeps the message, so this lasts until the application's regions settle it (docs/operations.md, \"A copy on the stream\")"));
            if check {
                responses.insert("503".into(), problem_response("The event log cannot be read now (`log-unavailable`, with `Retry-After`), or the application's history holds an event this gateway cannot read (`unreadable-history`), as the action would be refused; nothing was appended"));
            } else {
                responses.insert("503".into(), problem_response("Not acknowledged: the event log cannot be reached, so nothing was appended, or it did not acknowledge the write, which may have landed (`log-unavailable`, with `Retry-After`; the detail says which: repeat the action with the `expected_seq` it was sent with, and if the first landed the answer is its event with `repeated: true`; without `expected_seq`, re-read the application first), the application changed too often while deciding (`contended`), or its history holds an event this gateway cannot read (`unreadable-history`)"));
            }
        }
        Op::Held => {
            params.push(json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
            params.push(json!({"name": "after", "in": "query", "required": false, "description": "the previous page's `next`: held applications after that id (a lowercase UUID; anything else is 400 at `query:after`, rule `format`)", "schema": {"type": "string", "format": "uuid"}}));
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {"count": {"type": "integer", "description": "how many applications are held in all"},
                "items": {"type": "array", "items": schema_of::<crate::projections::Held>()},
                "next": {"type": ["string", "null"], "description": "when the page is full: pass it as `after` for the next page"},
                "unreadable": {"type": "array", "description": "records of the event log whose bytes are not an event (damaged on the disk, or published on the stream's subjects by something other than a gateway, an event on another application's subject included), passed over by the projections: the first 100 by position, each with its position, why it is not an event and the SHA-256 of its bytes (never the bytes). `tongban verify` reports each", "items": schema_of::<crate::log::Unreadable>()},
                "unreadable_count": {"type": "integer", "description": "how many such records the projections passed over in all"},
                "repeated": {"type": "array", "description": "messages of the event log holding an event of an application under a seq its history holds at an earlier position (a copy of that event, or another event under that seq, published onto its subject by something other than a gateway), passed over by the projections: the first 100 by position, each naming the application, its position, the seq and the regions party to it, whose feeds hold a `repeated` marker there. The application reads and is acted on as before; its history names each under `not_history`; `tongban verify` names each a break of the log. Find who publishes onto the stream (docs/operations.md, \"A copy on the stream\")", "items": schema_of::<crate::projections::repeated::Repeated>()},
                "repeated_count": {"type": "integer", "description": "how many such messages the projections passed over in all (`tongban_log_repeated_events`): more than `repeated` lists when over 100, or when a store counted some before it recorded them (`tongban rebuild` records them)"},
                "unchecked": {"description": "null, or the mark a rebuild that did not check the events' seals (`tongban rebuild --trust-log`) left: up to which log position the projections were folded as the log held them, when and why. Before it, an event planted without the gateway's key is folded, not held, so it is missing from this list; the live projector checks every event after it. A rebuild that checks the seals (`tongban rebuild`) clears it", "anyOf": [{"type": "null"}, schema_of::<crate::projections::unchecked::Unchecked>()]}}}))}));
        }
        Op::LogRecords => {
            params.push(json!({"name": "after", "in": "query", "required": false, "description": "the page lists positions after this one (default 0: from the log's start); the previous page's `next` for the page after it", "schema": {"type": "integer", "minimum": 0, "default": 0}}));
            params.push(json!({"name": "to", "in": "query", "required": false, "description": "up to this position (default: where the log head stands, as GET /v1/log/head answers it now): the position of the signed head to reach", "schema": {"type": "integer", "minimum": 0}}));
            responses.insert("200".into(), json!({"description": "Every record the log holds after `after` up to `next` (or `to` on the last page), each with what the running hash takes there: the event's hash, or the SHA-256 of the bytes of a record that is not an event. A position of the range not listed holds nothing. From a signed head (p, H_p), H_q for every q the pages reach is H_q = hex(SHA-256(\"tongban-log-head-v1\\n\" + H_prev + \"\\n\" + position + \"\\n\" + hash)) over the records in order; it must be the `hash` of the gateway's signed head at q. Signed: `sig` is the gateway's Ed25519 signature (lowercase hex) over the ASCII bytes of `tongban-log-records-v1\n{after}\n{end}\n{digest}\n{at}`, `end` the page's `next` or else `to`, `digest` the lowercase hex SHA-256 of `{position} {n} {hash}\n` per record in order, `n` the hash's length in bytes", "content": json_content(schema_of::<crate::service::log_records::RecordsPage>())}));
            responses.insert("400".into(), problem_response("`after` or `to` not a whole number (`query:after`, `query:to`, rule `type` or `range`), `after` past `to` (`query:after`, rule `range`), or another query parameter (`query:<name>`, rule `unknown`)"));
            responses.insert("404".into(), problem_response("`to` or `after` is past where the log head stands (`log-position-not-reached`; the detail names where it stands)"));
            responses.insert("503".into(), problem_response("The projections keep no head yet (`log-head-not-ready`, with `Retry-After`), another page is being read on this gateway, which reads one at a time (`log-read-busy`, with `Retry-After`), or the log cannot be read now (`log-unavailable`, with `Retry-After`)"));
        }
        Op::LogHead => {
            responses.insert("200".into(), json!({"description": "The head the projections stand at (every event acknowledged before the request), signed now: `sig` is the gateway's Ed25519 signature (lowercase hex) over the ASCII bytes of `tongban-log-head-v1\n{position}\n{hash}\n{at}`, where `hash` is the running hash H_p = hex(SHA-256(\"tongban-log-head-v1\\n\" + H_prev + \"\\n\" + position + \"\\n\" + the event's hash)) over every event in log order (H_0 = \"\"); a position whose bytes are not an event takes the SHA-256 of those bytes (lowercase hex) in place of an event's hash. Keep it as one line of a JSON Lines file for `tongban verify --heads`", "content": json_content(schema_of::<crate::log::head_hash::SignedHead>())}));
            responses.insert("503".into(), problem_response("The projections keep no head up to where they stand yet (`log-head-not-ready`, with `Retry-After`): a store made before heads, caught up from the log when the gateway starts"));
        }
        Op::Overdue => {
            params.push(json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
            params.push(json!({"name": "after", "in": "query", "required": false, "description": "the previous page's `next` (`due/app/kind`): clocks after that one", "schema": {"type": "string"}}));
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {"as_of": {"type": "string", "description": "the Beijing date the clocks are judged on: each was due before it"},
                "items": {"type": "array", "items": schema_of::<crate::projections::OverdueClock>()},
                "next": {"type": ["string", "null"], "description": "when the page is full: pass it as `after` for the next page"}}}))}));
            responses.insert(
                "400".into(),
                problem_response("`after` is not a page's `next`, or `limit` is out of range"),
            );
        }
        Op::Statistics => {
            params.push(json!({"name": "at", "in": "query", "required": false,
                "description": "as of this instant (RFC 3339 with its offset, e.g. 2026-12-01T00:00:00%2B08:00 for 2026-11-30 24:00 Beijing time: the offset's + encoded), not after now: each application as folded from its events accepted at or before it (one with none then is not counted), its clocks judged overdue on its Beijing date; the answer says it in `at`. Counted from the log, not from the counters: each such request reads the whole event log (seconds for a million events), one at a time per gateway. Without it: now, from the projections' counters",
                "schema": {"type": "string"}}));
            responses.insert("200".into(), json!({"description": "OK. With `at`, counted from the log read whole: records of the log that are not events are passed over and counted under `unreadable_count` (and named under `unreadable`, to an operator's token only: the reasons may name other regions' applications), and the figures leave them out (an event stored there is not counted, and its application is counted as it stood before it)", "content": json_content(schema_of::<crate::projections::statistics::RegionStatistics>())}));
            responses.insert(
                "400".into(),
                problem_response(
                    "`at` not an RFC 3339 instant (`query:at`, rule `format`) or after now \
                     (rule `range`), or a query parameter other than `at` (`query:<name>`, \
                     rule `unknown`)",
                ),
            );
            responses.insert(
                "503".into(),
                problem_response(
                    "With `at`: another count from the whole log is running on this gateway, \
                     which runs one at a time (`log-read-busy`, with `Retry-After`), or the \
                     event log cannot be read now (`log-unavailable`, with `Retry-After`)",
                ),
            );
        }
        Op::Inbox | Op::Outbox => {
            params.push(json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
            params.push(json!({"name": "after", "in": "query", "required": false, "description": "the previous page's `next`: lines after that application id (a lowercase UUID; anything else is 400 at `query:after`, rule `format`)", "schema": {"type": "string", "format": "uuid"}}));
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {"region": {"type": "string"}, "items": {"type": "array", "items": schema_of::<super::regions::BoxLine>()},
                "next": {"type": ["string", "null"], "description": "when the page is full: pass it as `after` for the next page"}}}))}));
        }
        Op::Adapters => {
            params.push(json!({"name": "region", "in": "query", "required": false, "description": "only this region's adapters (6-digit GB/T 2260 code; empty list when it has none)", "schema": {"type": "string", "pattern": "^[1-9][0-9]{5}$"}}));
            params.push(json!({"name": "matter", "in": "query", "required": false, "description": "only the adapters of this matter (a code of /v1/matters)", "schema": {"type": "string"}}));
            cache_validated(&mut params, &mut responses, false);
            responses.insert("200".into(), json!({"description": "OK", "headers": cache_headers(false), "content": json_content(schema_of::<super::adapters::AdapterList>())}));
            responses.insert(
                "400".into(),
                problem_response("`region` no 6-digit code (`query:region`, rule `gb2260-format`), `matter` no matter's code (`query:matter`, rule `unknown-matter`), or a query parameter given twice (`query:<name>`, rule `once`) or not taken here (rule `unknown`)"),
            );
        }
        Op::AdapterDetail => {
            cache_validated(&mut params, &mut responses, false);
            responses.insert("200".into(), json!({"description": "OK", "headers": cache_headers(false), "content": json_content(schema_of::<super::adapters::AdapterDetail>())}));
            responses.insert(
                "404".into(),
                problem_response("The region has no adapter for the matter"),
            );
        }
        Op::Schemas => {
            cache_validated(&mut params, &mut responses, false);
            responses.insert("200".into(), json!({"description": "OK", "headers": cache_headers(false), "content": json_content(schema_of::<super::schemas::SubjectList>())}));
        }
        Op::SchemaVersions => {
            cache_validated(&mut params, &mut responses, false);
            responses.insert("200".into(), json!({"description": "OK", "headers": cache_headers(false), "content": json_content(schema_of::<super::schemas::VersionList>())}));
            responses.insert("404".into(), problem_response("Unknown subject"));
        }
        Op::SchemaDocument => {
            cache_validated(&mut params, &mut responses, true);
            let meta = json!({"$ref": "https://json-schema.org/draft/2020-12/schema"});
            responses.insert("200".into(), json!({"description": "The JSON Schema document. A numbered version is `Cache-Control: public, max-age=86400, immutable`; `latest` is `public, no-cache` and names the numbered document in `Content-Location`", "headers": cache_headers(true), "content": {"application/schema+json": {"schema": meta}}}));
            responses.insert("404".into(), problem_response("Unknown subject or version"));
        }
        Op::SchemaCompatibility => {
            op.insert("requestBody".into(), json!({"required": true, "description": "The candidate JSON Schema document, draft 2020-12, saying so in `\"$schema\": \"https://json-schema.org/draft/2020-12/schema\"` (required: a document without it, or naming another draft, is 422 at `/$schema`). It stands alone: every `$ref` points inside it (`#/$defs/<name>`); an external one is 422 at that `$ref`",
                "content": {"application/json": {"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}},
                            "application/schema+json": {"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}}}));
            responses.insert("200".into(), json!({"description": "The verdict: compatible, or every incompatibility with its path, rule and reason", "content": json_content(schema_of::<super::schemas::CompatibilityReport>())}));
            responses.insert("400".into(), problem_response("The body is not JSON"));
            responses.insert("404".into(), problem_response("Unknown subject"));
            responses.insert(
                "415".into(),
                problem_response("The body is not sent as JSON (or sent with a `Content-Encoding` other than `identity`: send the body uncoded; a `Transfer-Encoding` other than `chunked` is 501 `transfer-coding`)"),
            );
            responses.insert("422".into(), problem_response("The candidate is not a valid draft 2020-12 schema (each problem at its pointer in the candidate: `/$schema` when it is missing or names another draft, a `$ref` that points outside the document or at nothing in it at that `$ref`), its examples fail it (each violation at `/examples/<i>` and its pointer in the example, with its rule; at most 100), or its `$ref`s multiply it past 5,000 schema nodes (rule `too-complex`); `errors` names each problem"));
            responses.insert("503".into(), problem_response("Two checks are running, the most the gateway runs at once (`checks-busy`, with `Retry-After`)"));
        }
        Op::RegistryPage | Op::RegistrySubjectPage => {
            let queries: &[(&str, &str)] = if route.op == Op::RegistryPage {
                &[(
                    "q",
                    "Search matters and event subjects by code or Chinese/English title",
                )]
            } else {
                &[
                    (
                        "version",
                        "The version whose field table to show (default: latest)",
                    ),
                    ("from", "Diff: the older version"),
                    ("to", "Diff: the newer version"),
                ]
            };
            for (name, description) in queries {
                params.push(json!({"name": name, "in": "query", "required": false, "description": description, "schema": {"type": "string"}}));
            }
            responses.insert("200".into(), json!({"description": "An HTML page", "content": {"text/html": {"schema": {"type": "string"}}}}));
            if route.op == Op::RegistrySubjectPage {
                responses.insert("404".into(), json!({"description": "Unknown subject or version (an HTML page)", "content": {"text/html": {"schema": {"type": "string"}}}}));
            }
        }
        Op::LocalForm | Op::Translate => {
            op.insert("requestBody".into(), json!({"required": true,
                "description": "The region's local form in its own dialect: JSON, or XML in the charset named by Content-Type (GBK, GB18030, UTF-8)",
                "content": {"application/json": {"schema": {"type": "object"}}, "application/xml": {"schema": {"type": "string"}}}}));
            if route.op == Op::LocalForm {
                params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "Retries with the same key from the same region return the original application (200) instead of creating another.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255}}));
                let outcome = with_warnings(schema_of::<crate::service::SubmitOutcome>());
                responses.insert("201".into(), json!({"description": "Submitted; `warnings` lists what the adapter accepted with a remark, then the submission's own (a `possible-duplicate` for each open application (up to three) of the same applicant and matter the caller's region is a party to, at the region's own field for the applicant's number with the canonical path beside it: the form was still taken, as another application)", "content": json_content(outcome.clone())}));
                responses.insert("200".into(), json!({"description": "The earlier submission with this Idempotency-Key", "content": json_content(outcome)}));
                responses.insert("503".into(), problem_response(SUBMIT_UNAVAILABLE));
            } else {
                params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "The key the form would be submitted under: not taken, not refused, only used to leave its own application (a retry's) out of the `possible-duplicate` warnings",
                    "schema": {"type": "string", "minLength": 1, "maxLength": 255}}));
                responses.insert("200".into(), json!({"description": "The canonical body, warnings and the simplified-character matching copy; `warnings` ends with a `possible-duplicate` for each open application (up to three) of the same applicant and matter the caller's region is a party to, at the region's own field for the applicant's number with the canonical path beside it (a submission would still be taken)", "content": json_content(json!({"type": "object", "properties": {"canonical": {"type": "object"}, "warnings": {"type": "array"}, "matching": {"type": "object"}}}))}));
            }
            responses.insert(
                "404".into(),
                problem_response("The region has no adapter for this matter"),
            );
            responses.insert(
                "415".into(),
                problem_response("Not sent in the adapter's format (or sent with a `Content-Encoding` other than `identity`: send the body uncoded; a `Transfer-Encoding` other than `chunked` is 501 `transfer-coding`)"),
            );
            // A form that does not even parse is a problem of the local form (422, in the
            // adapter's words), not a malformed request (400): for an adapter team it is one more
            // thing its form got wrong, reported like the others.
            let refused = "The local form is refused (`invalid-local-form`): `errors` names each problem by the region's own field (pointer, field, label), the canonical path, the rule and the masked value, a handler that is no region of the federation (`unknown-region`), an origin that is not the caller (`origin-not-submitter`, as the canonical route's 403 names it) and a rule across the form's fields (`end-before-start`, `same-province` … as the matter lists under `rules` in /v1/matters) included. A form that is not JSON or XML at all (`json-syntax`, `xml-syntax`), not in its charset (`encoding`, `charset`), under the wrong root (`xml-root`), or with a member given twice (`duplicate-member`) is refused here too, with one error naming the rule. A body over 1 MiB is 413 `payload-too-large`, as for every route";
            responses.insert(
                "422".into(),
                if route.op == Op::LocalForm {
                    local_form_submit_problem(&format!(
                        "{refused}. Or the Idempotency-Key was already used by this region for a \
                         different request (`idempotency-key-reused`, the generic problem shape)"
                    ))
                } else {
                    local_form_problem(refused)
                },
            );
            // Nested too deep, a form is refused as a canonical body is, before it is read.
            let too_deep = "a form whose text (decoded from its charset) nests deeper than 32 \
                            levels, its JSON's objects and arrays or its XML's elements (the root \
                            the first), is `limit-exceeded`, rule `max-depth`, with the line and \
                            column, as a canonical body is";
            responses.insert(
                "400".into(),
                problem_response(&if route.op == Op::LocalForm {
                    format!(
                        "Refused before the form is parsed: {KEY_REFUSED}; or {too_deep} (a \
                         malformed form is a 422)"
                    )
                } else {
                    format!(
                        "Refused before the form is parsed: {too_deep} (a malformed form is a 422)"
                    )
                }),
            );
        }
        Op::Get => {
            params.push(json!({"name": "view", "in": "query", "required": false, "description": "canonical (default) or local: the application in the calling region's own form (406 when the region has no adapter for the matter)", "schema": {"type": "string", "enum": ["canonical", "local"]}}));
            responses.insert("200".into(), json!({"description": "The application (with ?view=local: the calling region's own form, JSON or XML, status and seq in X-Tongban-Status / X-Tongban-Seq; the canonical paths its form has no field for, `*` for any item, in X-Tongban-Unmapped, comma-separated, never their values)", "content": {"application/json": {"schema": {"oneOf": [
                    schema_of::<super::applications::ApplicationRead<'static>>(),
                    // The local form is the region's adapter's, so its fields are the
                    // adapter's (GET /v1/adapters/{region}/{matter}), not fixed here. `not`
                    // keeps the two exclusive, as oneOf needs: a local form never carries all
                    // of the canonical view's id, matter, status and seq.
                    {"type": "object", "title": "LocalForm", "additionalProperties": true,
                     "not": {"required": ["id", "matter", "status", "seq"]},
                     "description": "with ?view=local, for a region whose adapter writes JSON: the application in the region's own form, its fields as the adapter names them (GET /v1/adapters/{region}/{matter})"}
                ]}}, "application/xml": {"schema": {"type": "string", "description": "with ?view=local, for a region whose adapter writes XML: the local form"}}},
                "headers": {
                    "X-Tongban-Status": {"description": "with ?view=local: the application's status (the local form carries none)", "schema": {"type": "string"}},
                    "X-Tongban-Seq": {"description": "with ?view=local: the seq of its last event, for `expected_seq`", "schema": {"type": "integer", "minimum": 1}},
                    "X-Tongban-Unmapped": {"description": "with ?view=local, when the local form has no field for some values: their canonical paths, `*` for any list item, comma-separated (`/applicant/ethnicity, /materials/*/format`); never values; absent when nothing was left out", "schema": {"type": "string"}}
                }}));
            responses.insert(
                "406".into(),
                problem_response("view=local, but the region has no adapter for the matter, or the caller is an operator (`no-local-form`)"),
            );
            responses.insert(
                "422".into(),
                problem_response("view=local, but the application cannot be written in the region's form (`local-form-unwritable`; `errors` names the fields)"),
            );
            responses.insert("503".into(), problem_response("The application's view is held at an event that does not fold (`application-held`; `held` names the event, its position and the reason), or the event log cannot be read now (`log-unavailable`, with `Retry-After`)"));
        }
        Op::Find => {
            params.push(json!({"name": "serial", "in": "query", "required": true, "description": "the province's own serial of the application: the origin's Idempotency-Key, or the handler's 受理编号 (`reference` of application.accepted); 1 to 255 characters. Matched as written, but for full-width characters, read as their ASCII, and the check character of a 公民身份号码 (17 digits and `x` or `X`), read in either case. Any other letter is matched in its own case: a serial the log holds in another case is not found (an empty list); `tongban find` names one", "schema": {"type": "string", "minLength": 1, "maxLength": 255}}));
            params.push(json!({"name": "region", "in": "query", "required": false, "description": "only the serials this region gave (6-digit GB/T 2260 code, see /v1/regions)", "schema": {"type": "string", "pattern": "^[1-9][0-9]{5}$"}}));
            responses.insert("200".into(), json!({"description": "The applications the serial names that the caller may read (operators: all; a region: those it is a party to), with no personal data; empty when none", "content": json_content(schema_of::<super::find::SerialMatches<'static>>())}));
            responses.insert(
                "422".into(),
                problem_response("`serial` missing, empty or too long (`query:serial`), or `region` no 6-digit code of the federation (`query:region`)"),
            );
        }
        Op::DisputePage => {
            as_of(&mut params, &mut responses);
            responses.insert("200".into(), json!({"description": "An HTML page. It names the gateway that served it and links to that gateway's registry pages absolutely, at the address the request's `Host` header gave, so that the page saved to a file still says where it came from and its links still lead there", "content": {"text/html": {"schema": {"type": "string"}}}}));
            responses.insert(
                "400".into(),
                problem_response("The `Host` header is missing, sent twice, or not a plain host[:port] (a DNS name, an IPv4 address or a bracketed IPv6 address, and an optional port): a page saying so (`errors[0].pointer` `header:Host` in the problem it is made from); the value is not echoed"),
            );
            responses.insert("503".into(), problem_response(LOG_UNREADABLE_OR_HISTORY));
        }
        Op::Replay => {
            as_of(&mut params, &mut responses);
            responses.insert("200".into(), json!({"description": "The timeline to the point (`steps`: each event with its `position` in the log (the number of `X-Tongban-Position`, the feed's items and its `acked` cursor), who acted, when, the status after it, every deadline then and what it asked for or recorded in `details`; a step's deadline lists in `pauses` only the suspensions its event began or ended, and counts all so far in `pause_count`, absent for none), the `status` and `deadlines` as of `as_of` (each deadline with every pause, oldest first), `verification` of the whole chain (`intact`, `summary`, `broken`, `unreadable`, `key`: `{id, public_key_hex, source: serving-gateway}`) and `calendar` (`source`: the file or `weekdays-only`, `covered_through`); `feeds`: for each region party to the application (origin, then handlers), its acknowledged feed cursor as it stands now whatever the point (`acked`, 0 for nothing yet; `acked_at`, when the acknowledgement that moved it there was taken, RFC 3339 UTC, null where that is not known: the latest move only; `moved_by`, what moved it there: `acknowledgement`, `gateway` (the gateway itself at `moved_at`, back to the end of a restored log or handing its own cursors over, not an acknowledgement's time), `unknown` (last written at `moved_at` by an older gateway or by hand, which does not say how), `not_stored`, or null for nothing acknowledged), and each event the timeline counts with its `position`, what its feed gives there (`given`: `event`; `held_marker` or `repeated_marker`, a marker naming the position without the event's content, where the projection withheld or passed over the event; `nothing`), whether the cursor is at or past it (`cursor_past`), whether the region `acknowledged` the event itself (given as the event and the cursor past it: a cursor past a marker is no receipt of the event), and `first_ack`, the region's first acknowledgement at or past the event's position from the history of its acknowledgements (each acknowledgement that moved its cursor forward is recorded): `state` `recorded` with `at` (RFC 3339 UTC, never the latest move's time unless it was that one), `token` (`<region>/<token id>`), `from` (the cursor before it, before the position) and `to` (where it moved it, at or past the position); `not_acknowledged` (the cursor is before the position); `not_kept` (the cursor passed the position before the history reaches back: acknowledged before the gateway kept it, or moved otherwise; `history_from`, where present, is where the cursor was at the history's first record past it); or `unread`, with the feed's `history_unread` saying why the history could not be read. An empty `feeds` with `feeds_unavailable` when the cursors could not be read now", "content": json_content(json!({"type": "object", "required": ["app", "status", "as_of", "steps", "deadlines", "verification", "calendar", "feeds"]}))}));
            responses.insert("503".into(), problem_response(LOG_UNREADABLE_OR_HISTORY));
        }
        Op::Metrics => {
            responses.insert("200".into(), json!({"description": "Prometheus text exposition format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}));
        }
        Op::Healthz => {
            responses.insert("200".into(), json!({"description": "Always 200 while the process serves: `status` is `degraded` while the event log takes no writes (`log_unavailable`) or the projections stopped for good (`projections_unavailable`, a restart needed); alert on those members, not on the status code. Without a token (or with a token that is not an operator's, which is no 401 here) the answer holds what a load balancer or a probe acts on; with an operator's token (`Authorization: Bearer`, as the operator routes take it) it adds why the log or the projections are unavailable, the log and projection positions, the held applications, the log's unreadable records, whether a rebuild folded the projections without checking the seals (`projections_unchecked`), which of those the projection store could not answer (`unknown`: their null then means unknown, not none), a region book that does not read, and the process id", "content": json_content(schema_of::<super::public::Health>())}));
            // A token is optional: an operator's is answered the details.
            op.insert("security".into(), json!([{}, {"bearer": []}]));
        }
        Op::Feed => {
            params.push(json!({"name": "after", "in": "query", "required": false, "description": "the log position to read after (default: the region's acknowledged cursor)", "schema": {"type": "integer", "minimum": 0}}));
            params.push(json!({"name": "limit", "in": "query", "required": false, "description": format!("the most items the page holds; it holds fewer when it ends after the event that passes about {} MiB (events with long notes or reasons), so only an empty page says the feed has nothing more", crate::service::feed_page::PAGE_BYTES >> 20), "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {
                    "region": {"type": "string"},
                    "after": {"type": "integer", "description": "the position this page reads after"},
                    "acked": {"type": "integer", "description": "the region's acknowledged cursor"},
                    "next": {"type": "integer", "description": "the last position on this page, a marker's included (`after` when empty): acknowledge it once processed, or pass it as `after`"},
                    "events": {"type": "array", "description": "the page's items in log order, each with its log `position`: an `event` as the log holds it, or, where there is none to give, a marker in its place. `missing` (English text): the log holds no event at this position though the feed lists one (removed from the log); the operators are told and find it with `tongban verify`. `held` (`{app, reason}`): the event here holds its application and is not given (its seal does not verify, it does not follow the application's previous event, or it is a submission that does not fold); the application answers 503 `application-held`. `repeated` (`{app, seq, reason}`): the message here is under a seq the application's history holds at an earlier position, published onto the stream by something other than a gateway (a copy of that event, or another event under that seq); its content is not given, it is not the application's history, and the application reads and is acted on as before, its history naming the position under `not_history`. Alert your staff, and acknowledge past a marker like any item (docs/adapters.md, \"Markers\")", "items": schema_of::<crate::service::FeedItem>()}}}))}));
            responses.insert(
                "422".into(),
                problem_response(
                    "`after` is beyond the log's end (`query:after`, rule `range`): a \
                     position the feed never showed, or showed before the log was restored from \
                     a backup that ends before it",
                ),
            );
            responses.insert(
                "503".into(),
                problem_response(&format!(
                    "{LOG_UNREADABLE}; or `after` is in the log and this gateway's projections \
                     have not reached it yet (`not-caught-up`, with `Retry-After`; \
                     `projections-unavailable` when they stopped): keep it and ask again"
                )),
            );
        }
        Op::FeedAck => {
            op.insert("requestBody".into(), json!({"required": true, "content": json_content(schema_of::<super::regions::Ack>())}));
            responses.insert("200".into(), json!({"description": "The cursor as it now is (never moved back), and whether this acknowledgement moved it: one of a position at or behind the cursor (a retry, or an adapter whose own record of its progress went back) changes nothing and is answered 200 all the same, with `moved: false` and the cursor where it stands", "content": json_content(json!({
                "type": "object", "required": ["region", "acked", "moved"], "properties": {"region": {"type": "string"}, "acked": {"type": "integer", "description": "the region's acknowledged cursor after this acknowledgement"}, "moved": {"type": "boolean", "description": "whether this acknowledgement moved the cursor (false: `position` was at or behind it)"}}}))}));
            responses.insert(
                "422".into(),
                problem_response("The position is beyond the log's end"),
            );
            responses.insert(
                "503".into(),
                problem_response(
                    "The acknowledgement was not confirmed: the event log cannot be reached \
                     (`log-unavailable`, with `Retry-After`), or, on the embedded log, the \
                     position is in the log and this gateway's projections have not reached it \
                     yet (`not-caught-up`, with `Retry-After`; `projections-unavailable` when \
                     they stopped; on JetStream a position up to the stream's end is accepted, \
                     as any gateway's feed may have shown it); send it again (the cursor only \
                     moves forward)",
                ),
            );
        }
        Op::Reconcile => {
            params.push(json!({"name": "tolerance_seconds", "in": "query", "required": false, "description": format!("how far the province's timestamps may differ from the log's before they are reported (0 to 30 days; default {})", super::operator::DEFAULT_TOLERANCE_SECONDS), "schema": {"type": "integer", "minimum": 0, "maximum": super::operator::MAX_TOLERANCE_SECONDS, "default": super::operator::DEFAULT_TOLERANCE_SECONDS}}));
            op.insert("requestBody".into(), json!({"required": true,
                "description": format!("The province's own records: CSV with a header line (app or serial, status, updated_at), or JSON Lines (docs/operators.md, \"Reconciliation over HTTP\"). UTF-8 when it starts with UTF-8's byte order mark (as Excel's \"CSV UTF-8\" writes it), else in the charset the Content-Type names (`text/csv; charset=GBK`: UTF-8, GBK or GB18030); without one, UTF-8 when the bytes are UTF-8, else GB 18030. At most {} bytes (64 MiB, where every other route takes 1 MiB): a larger file is reconciled with `tongban reconcile`. Read only once the head is accepted: a region not in the federation (404), another region's token (403), a second reconciliation of the caller's region while one runs (503 `reconcile-busy`), another content type (415) or a query refused (400) is answered before a byte of it is read. Needs no request signature, even from a region that signs its writes: it changes nothing (docs/signed-requests.md)", super::body::MAX_EXPORT_BODY),
                "content": super::operator::RECORD_TYPES
                    .iter()
                    .map(|t| (t.to_string(), json!({"schema": {"type": "string"}})))
                    .collect::<Map<String, Value>>()}));
            // The report is the replay crate's; of it, what names the log's records passed over.
            let mut report = schema_of::<crate::log::PassedOver>();
            report["title"] = json!("ReconcileReport");
            report["description"] = json!(
                "The discrepancy report: `region`, `records`, `log_applications`, `agreeing`, `counts`, `discrepancies` (docs/operators.md, \"Reconciliation\"), `agrees` (the verdict: no discrepancy and no record of the log passed over, as `tongban reconcile` exits 0), and the records of the event log it did not take into account"
            );
            responses.insert("200".into(), json!({"description": "The discrepancy report (records of the export that cannot be read are in it, as invalid-record with their line). Records of the event log that are not events are passed over and named under `unreadable` and `unreadable_count`: the reconciliation did not take them into account (an event of the region's stored there is compared with nothing, so its application may show as behind or missing in the log), and the report does not agree (`agrees` false). A region's own token is given the report an operator is given for the same export, holding only what its own routes would serve it: the applications it is a party to; of the records that are not events, `unreadable_count` alone (which ones, and why, are the operators'); and of the submissions the gateway cannot read that name no party readably, how many, in one `undecodable-event` finding without an `app` (the operators' report names each, as any may be the region's)", "content": json_content(report)}));
            responses.insert(
                "400".into(),
                problem_response("The body is no export: empty (no line, not even a header; a province with no records sends its header line alone), bytes not in its charset (line, column and byte given), a charset other than UTF-8, GBK or GB18030, a UTF-16 or spreadsheet (xlsx) file, a JSON array, a JSON document written over several lines, one of the gateway's own answers saved as a file (an application's events, a feed page, a replay, an application, a list page, a log head, a problem document, a reconciliation report: the detail names which), JSON Lines whose first record has none of the members app, serial, status and updated_at, an HTML page or XML, or a CSV header without the columns"),
            );
            responses.insert(
                "415".into(),
                problem_response("The body is not text/csv, JSON Lines or text/plain (or sent with a `Content-Encoding` other than `identity`: send the body uncoded; a `Transfer-Encoding` other than `chunked` is 501 `transfer-coding`)"),
            );
            responses.insert(
                "503".into(),
                problem_response(&format!(
                    "{LOG_UNREADABLE}; or, to a region's token, its region has a reconciliation \
                 running already (its export still arriving, or its log being read), or none of \
                 the {} turns regions' reconciliations of the whole log run in came within {} s \
                 (`reconcile-busy`, with `Retry-After`). Operators' reconciliations are not held \
                 to these",
                    super::histories::RECONCILIATIONS.at_once,
                    super::histories::LONGEST_WAIT.as_secs()
                )),
            );
        }
        Op::Matters => {
            cache_validated(&mut params, &mut responses, false);
            responses.insert("200".into(), json!({"description": "OK", "headers": cache_headers(false), "content": json_content(schema_of::<super::public::MatterList>())}));
        }
        Op::Events => {
            params.push(json!({"name": "after_seq", "in": "query", "required": false, "description": "a page of the history: the events after this seq (the last one the caller holds; 0 for the start). With it or `limit` the answer is a page, with `after_hash`, `more` and `next_after_seq`; with neither, the whole history. Past the application's last event: 400 `beyond-history` naming its last seq", "schema": {"type": "integer", "minimum": 0, "maximum": 9223372036854775807_u64}}));
            params.push(json!({"name": "limit", "in": "query", "required": false, "description": "the most events a page holds", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
            responses.insert("400".into(), problem_response("A page's `after_seq` or `limit` is not a whole number in its range (rule `type` or `range`, at `query:after_seq` or `query:limit`), `after_seq` is past the application's last event (rule `beyond-history`, the detail naming its seq), or the query names another parameter"));
            responses.insert("503".into(), problem_response(LOG_UNREADABLE));
            responses.insert("500".into(), problem_response("The event log holds the application's history damaged (`log-corrupt`): no history is served. Its events as stored are not an intact chain (one removed, two swapped, one rewritten, or a second event under a seq where the first events under each seq are not intact either; on either backend): `breaks` lists each break (`seq`, log `position`, `problem` as `tongban verify --app` words it) and `evidence` the evidence page that shows the events as stored, each break marked; or the log's index disagrees with them, or a stored event cannot be read: the detail names the application or the position"));
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {"app": {"type": "string"}, "events": {"type": "array", "description": "the history in seq order, or, for a page, its events after `after_seq`; each checked before it is served (its hash, its signature, its link to the one before)", "items": schema_of::<crate::envelope::Envelope>()},
                "after_seq": {"type": "integer", "description": "pages only: the seq the page follows, as asked"},
                "after_hash": {"type": ["string", "null"], "description": "pages only: the hash of event `after_seq` (null after 0), checked with the page: compare it with the hash of the event you hold, which the page's first event's `prev_hash` names"},
                "more": {"type": "boolean", "description": "pages only: whether events follow the page's last"},
                "next_after_seq": {"type": "integer", "description": "pages only: the `after_seq` of the next page (the page's last seq; `after_seq` again when the page is empty)"},
                "not_history": {"type": "array", "description": "present only when the log stores, after the application's events, an event under a seq its history holds at an earlier position (a copy of that event, or another event under that seq, published onto its subject by something other than a gateway): each one's `seq`, log `position` and `problem`, as `tongban verify --app` words it. None of them is in `events`, which are the history the gateway folded and decided on (the first event under each seq, an intact chain), so the answer vouches for none of them; the regions party to the application find a `repeated` marker at each position in their feeds, and operators find them in GET /v1/projections/held. The whole history names every one; a page names them when it was read from the whole history, and otherwise none. Where the application's subject also holds a message naming it that does not read as an event (another build's, or damaged), the history is refused 500 `log-corrupt` naming that message's position, never served without it", "items": schema_of::<crate::service::ChainBreak>()},
                "request_signatures": {"type": "object", "description": "Event id → the signing region's verified request signature (docs/signed-requests.md), for events appended by signed requests; outside the envelopes, which stay the fixed hash-chained contract. body_base64url (the exact bytes signed, for a local form the whole form with its ignored fields) is served only to the signing region and to operators; other parties get body_withheld instead, saying who is served it", "additionalProperties": schema_of::<crate::auth::RequestSignature>()}}}))}));
        }
        _ => {
            responses.insert("200".into(), json!({"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}));
        }
    }
    if route.auth {
        op.insert("security".into(), json!([{"bearer": []}]));
        let signed = matches!(
            route.op,
            Op::Submit | Op::LocalForm | Op::Act(_) | Op::FeedAck
        );
        let refused = match signed {
            true => {
                signed_headers(&mut params);
                let slugs: Vec<String> = crate::auth::signature::SLUGS
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect();
                format!(
                    "Missing, unknown or revoked token; or, for a region with a request-signing \
                     key, a missing, malformed, stale, replayed or invalid signature or a body \
                     whose digest differs, `type` urn:tongban:problem:<slug> with the slug one \
                     of {} (docs/signed-requests.md)",
                    slugs.join(", ")
                )
            }
            false => "Missing, unknown or revoked token".to_string(),
        };
        responses.insert("401".into(), problem_response(&refused));
        responses.insert(
            "403".into(),
            problem_response(
                "The region may not do this: not in the needed role, or another region's resource; a submission whose `origin` is not the caller names it in `errors` (`/origin`, rule `origin-not-submitter`)",
            ),
        );
        let writes = matches!(route.op, Op::Submit | Op::LocalForm | Op::Act(_));
        responses.insert(
            "429".into(),
            problem_response(if writes {
                "The region's rate limit (all its tokens together) is exceeded (`rate-limited`), or its write quota, the bytes its submissions and actions may carry per day (`write-quota-exceeded`); wait `Retry-After` seconds"
            } else {
                "The region's rate limit (all its tokens together) is exceeded; wait `Retry-After` seconds"
            }),
        );
    }
    if route.path.starts_with("/v1/regions/{region}") {
        // Asked after authentication: the regions are listed at GET /v1/regions.
        const NO_REGION: &str =
            "there is no such region in this federation (`unknown-region`; see GET /v1/regions)";
        let description = match responses.get("404").and_then(|r| r["description"].as_str()) {
            Some(other) => format!("{other}; or {NO_REGION}"),
            None => format!("No such region: {NO_REGION}"),
        };
        responses.insert("404".into(), problem_response(&description));
    }
    if route.path.starts_with("/v1/applications/{id}") || route.op == Op::DisputePage {
        responses.insert(
            "404".into(),
            problem_response(
                "No such application, or the region is not a party to it (both answer alike, so \
                 that an id reveals nothing to a region that may not read it)",
            ),
        );
    }
    // A local form's body is the adapter's to read: it answers 422 where JSON bodies get 400.
    let local_form = matches!(route.op, Op::LocalForm | Op::Translate);
    if route.method == axum::http::Method::POST && !local_form {
        responses
            .entry("400")
            .or_insert_with(|| problem_response(MALFORMED_BODY));
    }
    if route.method == axum::http::Method::POST {
        responses.insert(
            "501".into(),
            problem_response(
                "The request's Transfer-Encoding names a coding other than chunked \
                 (`transfer-coding`): send the body uncoded",
            ),
        );
    }
    if route.method == axum::http::Method::POST && route.op == Op::Reconcile {
        responses.insert(
            "408".into(),
            problem_response(&format!(
                "The export did not arrive within {} s of the head (`request-timeout`): send it \
                 at once",
                super::guard::EXPORT_BODY_TIMEOUT.as_secs()
            )),
        );
        responses.insert(
            "413".into(),
            problem_response(&format!(
                "The export exceeds {} bytes (64 MiB); reconcile a larger file with \
                 `tongban reconcile --region <code> --records <file>`, which the detail says",
                super::body::MAX_EXPORT_BODY
            )),
        );
    } else if route.method == axum::http::Method::POST {
        responses.insert(
            "408".into(),
            problem_response(
                "The body did not arrive within 30 s of the head (`request-timeout`): send it \
                 at once",
            ),
        );
        responses.insert(
            "413".into(),
            problem_response(
                "The body exceeds the size limit (1 MiB), or (on JetStream) the sealed event \
                 exceeds the NATS servers' max_payload or the stream's max_msg_size; a retry \
                 fails alike. A body over the limit is read and dropped, up to 8 MiB more (a declared \
                 length for its time at 35 KB/s, 5 to 30 s; a chunked body for 5 s), before this \
                 is answered, so a client that writes its whole body before reading reads it. \
                 A declared length with `Expect: 100-continue` is answered at once, without a \
                 100; a chunked body has had its 100 when it is read, and is drained as any \
                 other",
            ),
        );
        responses.entry("415").or_insert_with(|| {
            problem_response(
                "Wrong content type: not JSON, or JSON with bytes beyond ASCII in a charset \
                     other than UTF-8 (a GBK or GB18030 local form goes to \
                     /v1/regions/{region}/forms/{matter}), or sent with a `Content-Encoding` \
                     other than `identity` (send the body uncoded; a `Transfer-Encoding` other \
                     than `chunked` is 501 `transfer-coding`)",
            )
        });
    }
    // Every route refuses a path segment or a query parameter that does not fit it, those that
    // take no query parameter every one (an action's `?expected_seq=` was ignored, and the
    // action taken unguarded); but the probes' (`/healthz`, `/metrics`: a probe is never
    // refused for what its tool appends) and the pages' (an HTML page, below).
    if !matches!(
        route.op,
        Op::Healthz | Op::Metrics | Op::RegistryPage | Op::RegistrySubjectPage
    ) {
        const MISFIT: &str = "path segment or query parameter that does not fit (named \
                              `path:<name>` or `query:<name>` in `errors`; a query parameter \
                              that is no whole number where one is taken: rule `type`, one \
                              outside its range: `range`, given twice: `once`, not taken by \
                              the route at all: `unknown`)";
        let description = match responses.get("400").and_then(|r| r["description"].as_str()) {
            Some(body) => format!("{body}; or a {MISFIT}"),
            None => format!("A {MISFIT}"),
        };
        responses.insert("400".into(), problem_response(&description));
    }
    if matches!(route.op, Op::RegistryPage | Op::RegistrySubjectPage) {
        // A page answers a page, its refusals too (pages::query_params): not problem+json.
        let which = if route.op == Op::RegistrySubjectPage {
            ", or a `version`, `from` or `to` that is no version as written (a whole number \
             without leading zeros, a sign or spaces, or `latest`)"
        } else {
            ""
        };
        responses.insert("400".into(), json!({
            "description": format!("A query parameter the page does not take, or one given twice{which} (an HTML page naming it)"),
            "content": {"text/html": {"schema": {"type": "string"}}}}));
    }
    if route.auth {
        read_after(&mut params, &mut responses);
    }
    if super::reads_projections(route.op)
        && let Some(Value::Object(answer)) = responses.get_mut("200")
    {
        answer.insert("headers".into(), json!({"X-Tongban-Stale": {
            "description": "Only while this gateway's projections are stopped (their store failed; /healthz `projections_unavailable`): the answer is drawn from them at once and holds the events up to this log position only, so a write answered with a higher X-Tongban-Position is not in it. Send X-Tongban-Read-After to be refused (503 `projections-unavailable`) instead of answered stale",
            "schema": {"type": "integer", "minimum": 0}}}));
    }
    if matches!(route.op, Op::Submit | Op::LocalForm | Op::Act(_)) {
        for code in ["200", "201"] {
            if let Some(Value::Object(answer)) = responses.get_mut(code) {
                answer.insert("headers".into(), json!({"X-Tongban-Position": {
                    "description": "The log position of the event (of a repeated submission, a position at or after it): send it as X-Tongban-Read-After to read through any gateway what this write did",
                    "schema": {"type": "integer", "minimum": 1}}}));
            }
        }
    }
    if matches!(route.op, Op::Events | Op::Replay | Op::DisputePage) {
        let busy = format!(
            "The answer holds the application's whole history (or a page of it, which the log \
             reads past), which the gateway builds, when the history is longer than {} events, \
             at most {} at a time and {} per region: the region has one \
             built or waiting already, or no turn came within {} s (`history-busy`, with \
             `Retry-After`)",
            super::histories::SHORT,
            super::histories::AT_ONCE,
            super::histories::PER_CALLER,
            super::histories::LONGEST_WAIT.as_secs()
        );
        match responses.get_mut("503") {
            Some(Value::Object(answer)) => {
                let said = answer["description"].as_str().unwrap_or_default();
                let both = format!("{said}; or {busy}");
                answer.insert("description".into(), json!(both));
            }
            _ => {
                responses.insert("503".into(), problem_response(&busy));
            }
        }
    }
    responses.insert(
        "431".into(),
        problem_response("The request line and header fields exceed the size limit"),
    );
    declare_headers(&mut responses, route.op);
    if route.path.starts_with("/ui/") {
        // A page's refusals are pages too (pages::refused): not problem+json. But for those of
        // the layers outside the route (the head's and the body's size limits, `http::guard`),
        // which answer before it, as on every route.
        for (code, answer) in responses.iter_mut() {
            let Value::Object(answer) = answer else {
                continue;
            };
            if matches!(code.as_str(), "200" | "413" | "431") {
                continue;
            }
            let said = answer["description"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            answer.insert("description".into(), json!(format!("An HTML page saying what went wrong, in Chinese with English beside it, and the status: {said}")));
            answer.insert(
                "content".into(),
                json!({"text/html": {"schema": {"type": "string"}}}),
            );
        }
    }
    number_spelling(&mut params);
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

/// Says, in every numeric query parameter's description, how its number is written: one rule
/// for all of them ([`super::extract::whole_number`]), which a generated client's integer
/// meets and a hand-built query string may not (`?after_seq=02`).
fn number_spelling(params: &mut [Value]) {
    for p in params.iter_mut() {
        if p["in"] != "query" || p["schema"]["type"] != "integer" {
            continue;
        }
        let name = p["name"].as_str().unwrap_or_default().to_string();
        let rule = format!(
            "Written in {}; otherwise 400 at `query:{name}`, rule `type` (rule `range` for a \
             number outside the range)",
            super::extract::WHOLE_NUMBER_SPELLING
        );
        let description = match p["description"].as_str() {
            Some(said) => format!("{said}. {rule}"),
            None => rule,
        };
        p["description"] = json!(description);
    }
}

/// The response headers that go with a status rather than with one operation, declared where
/// they are sent so that a generated client reads them: `Retry-After` on every 429 and 503 (each
/// 503 of the document has a type that sends it), `WWW-Authenticate` on every 401, and
/// `Location` on a submission's 201 and 200. Each refers to one shared header object
/// (`components/headers`, [`shared_headers`]), added to whatever headers the answer already declares.
fn declare_headers(responses: &mut Map<String, Value>, op: Op) {
    let submission = matches!(op, Op::Submit | Op::LocalForm);
    for (code, answer) in responses.iter_mut() {
        let name = match code.as_str() {
            "429" | "503" => "Retry-After",
            "401" => "WWW-Authenticate",
            "200" | "201" if submission => "Location",
            _ => continue,
        };
        let Value::Object(answer) = answer else {
            continue;
        };
        if let Value::Object(headers) = answer.entry("headers").or_insert_with(|| json!({})) {
            headers.insert(name.into(), header_ref(name));
        }
    }
}

/// A reference to one of [`shared_headers`] (`Retry-After` → `#/components/headers/Retry-After`).
fn header_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/headers/{name}")})
}

/// The header objects shared by many answers (`components/headers`).
fn shared_headers() -> Value {
    json!({
        "Retry-After": {
            "description": "Whole seconds to wait before sending the request again",
            "schema": {"type": "integer", "minimum": 0}
        },
        "WWW-Authenticate": {
            "description": "`Bearer realm=\"tongban\"`: the token is sent as `Authorization: Bearer <token>`",
            "schema": {"type": "string"}
        },
        "Location": {
            "description": "The application's URL, `/v1/applications/{id}`",
            "schema": {"type": "string"}
        },
        "Content-Location": {
            "description": "For `latest`: the numbered version's URL (`/v1/schemas/{subject}/versions/{n}`), which the document's `$id` `urn:tongban:schema:{subject}:{n}` names",
            "schema": {"type": "string"}
        }
    })
}

/// The headers of a signed request (docs/signed-requests.md), on the routes a region with a
/// request-signing key must sign: required of such a region only, so not `required` here.
fn signed_headers(params: &mut Vec<Value>) {
    let only = "Required when the token's region has registered a request-signing key \
                (docs/signed-requests.md); ignored otherwise. ";
    for (name, description, schema) in [
        (
            "Date",
            "When the request was signed: RFC 3339 (fractional seconds preferred) or RFC 7231 \
             IMF-fixdate; refused when more than 5 minutes from the gateway's clock",
            json!({"type": "string"}),
        ),
        (
            "X-Tongban-Content-SHA256",
            "Lowercase hex SHA-256 of the body bytes exactly as sent (of the empty string \
             without a body)",
            json!({"type": "string", "pattern": "^[0-9a-f]{64}$"}),
        ),
        (
            "X-Tongban-Signature",
            "keyid=\"<region code>\",sig=\"<128 lowercase hex digits>\": the Ed25519 \
             signature over METHOD, path with query, the Date value and the body digest, \
             joined by LF",
            json!({"type": "string"}),
        ),
    ] {
        params.push(json!({"name": name, "in": "header", "required": false,
            "description": format!("{only}{description}"), "schema": schema}));
    }
}

/// `?at=` / `?seq=` of the replayed views, and their 422.
fn as_of(params: &mut Vec<Value>, responses: &mut Map<String, Value>) {
    params.push(json!({"name": "at", "in": "query", "required": false,
        "description": "as of this moment (RFC 3339, e.g. 2026-11-10T18:00:00%2B08:00: the offset's + encoded), not after now: the events at or before it, deadlines judged then; not with `seq`",
        "schema": {"type": "string"}}));
    params.push(json!({"name": "seq", "in": "query", "required": false,
        "description": "as of this event (1 to the application's last seq), deadlines judged at its time; not with `at`",
        "schema": {"type": "integer", "minimum": 1}}));
    responses.insert(
        "422".into(),
        problem_response(
            "The point names no state of the application (`errors` names `query:at` or \
             `query:seq`): `at` not RFC 3339 (rule `format`) or before the first event or \
             after now (`range`); `seq` past the last event (`range`, the detail names the \
             range); both given (`exclusive`). A `seq` that is no whole number from 1 up is 400, \
             as every numeric query parameter",
        ),
    );
}

/// `X-Tongban-Read-After`, which every authenticated route honours ([`super::read_after`]), and
/// the answers it adds: 400 for no position or one beyond the embedded log, 503 when not reached
/// in time.
fn read_after(params: &mut Vec<Value>, responses: &mut Map<String, Value>) {
    params.push(json!({"name": "X-Tongban-Read-After", "in": "header", "required": false,
        "description": "A log position a write answered (X-Tongban-Position), or `latest`: the request is answered only once this gateway holds every event up to it (up to where the log ends when the request arrives), whichever gateway took the write. A position is written as a write answered it: digits alone, without a sign, a fraction or leading zeros (`0` alone is zero; `007` is refused), as every number of a query string",
        "schema": {"type": "string", "maxLength": 20, "pattern": "^(0|[1-9][0-9]{0,19}|[Ll][Aa][Tt][Ee][Ss][Tt])$"}}));
    const BAD: &str = "an X-Tongban-Read-After that is no position from 0 to 2^64 - 1 \
                       in its one spelling (`position`), sent more than once (`once`), or beyond the end of the \
                       embedded log (`beyond-log`)";
    let bad = match responses.get("400").and_then(|r| r["description"].as_str()) {
        Some(body) => format!("{body}; or {BAD}"),
        None => format!("Malformed request: {BAD}"),
    };
    responses.insert("400".into(), problem_response(&bad));
    const LATE: &str = "the position X-Tongban-Read-After names is not reached in time \
                        (`not-caught-up`, with `Retry-After`), is beyond where this gateway's \
                        projections stopped after their store failed (`projections-unavailable`, \
                        at once, with `Retry-After`: retry through another gateway or after a \
                        restart), or the log could not be asked where it ends \
                        (`log-unavailable`)";
    let late = match responses.get("503").and_then(|r| r["description"].as_str()) {
        Some(before) => format!("{before}; or {LATE}"),
        None => format!("Not answered: {LATE}"),
    };
    responses.insert("503".into(), problem_response(&late));
}

/// Why a submission may answer 503: whether or not the write landed, a retry with the same
/// Idempotency-Key is safe.
/// A JSON body the gateway cannot read (400), on every POST but a local form's.
const MALFORMED_BODY: &str = "Malformed body: not UTF-8, not JSON (`json-syntax`, line and column given), a member given \
     twice in one object (`duplicate-member`, at the member's JSON pointer), or nested deeper \
     than the limit";

/// The submission routes' refusal of their `Idempotency-Key` header (400).
const KEY_REFUSED: &str = "an Idempotency-Key that is not 1 to 255 visible ASCII characters, or \
                           is sent more than once (`once`); one that reads as personal data is \
                           taken with a `personal-data` warning";

const SUBMIT_UNAVAILABLE: &str = "Nothing was acknowledged: the event log cannot be reached, so \
    nothing was written, or it did not acknowledge the write, which may have landed \
    (`log-unavailable`, with `Retry-After`; the detail says which), or the application changed \
    too often while deciding (`contended`); retry with the same Idempotency-Key, which can never make a second application";

/// Why a read that needs the log itself may answer 503.
const LOG_UNREADABLE: &str = "The event log cannot be read now (`log-unavailable`, with \
    `Retry-After`); the projections' reads still answer";

/// [`LOG_UNREADABLE`], or an event up to the point asked for that this build cannot read.
const LOG_UNREADABLE_OR_HISTORY: &str = "The event log cannot be read now \
    (`log-unavailable`, with `Retry-After`), or an event up to the point asked for does not read \
    in this build (`unreadable-history`; the page as of now, or GET /v1/applications/{id}/events, \
    still shows every event)";

/// A submission outcome's schema with the adapter's `warnings` beside it.
fn with_warnings(mut outcome: Value) -> Value {
    if let Some(Value::Object(props)) = outcome.get_mut("properties") {
        props.insert(
            "warnings".into(),
            json!({"type": "array", "description": "what the adapter accepted with a remark: each with the region's own field, the rule and a message; then the submission's own: a key that reads as personal data at its header (`header:Idempotency-Key`), and `possible-duplicate` at the region's own field for the applicant's number (its pointer, field and label, the canonical path beside them), each with the rule and a message", "items": {"type": "object"}}),
        );
    }
    outcome
}

/// Moves every schema's `$defs` into `components/schemas` and points its `$ref`s there: a
/// schemars document refers to its definitions as `#/$defs/<Name>` from its own root, which
/// inside an OpenAPI document resolves against the document's root and finds nothing. A name
/// two schemas define differently gets a numbered suffix in the second.
fn lift_definitions(doc: &mut Value) {
    let mut lifted: Map<String, Value> = Map::new();
    if let Some(paths) = doc.get_mut("paths") {
        lift_in(paths, &mut lifted);
    }
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for schema in schemas.values_mut() {
            lift_in(schema, &mut lifted);
        }
        for (name, schema) in lifted {
            schemas.entry(name).or_insert(schema);
        }
    }
}

fn lift_in(v: &mut Value, lifted: &mut Map<String, Value>) {
    let defs = match v {
        Value::Object(m) => m.remove("$defs"),
        _ => None,
    };
    if let Some(Value::Object(defs)) = defs {
        let mut defs: Vec<(String, Value)> = defs.into_iter().collect();
        let renamed = targets(&defs, lifted);
        for (_, def) in defs.iter_mut() {
            rewrite_refs(def, &renamed);
            lift_in(def, lifted);
        }
        for (name, def) in defs {
            if let Some(Value::String(target)) = renamed.get(&name) {
                lifted.entry(target.clone()).or_insert(def);
            }
        }
        // The schema itself too: its root may be a `$ref` to one of its definitions.
        rewrite_refs(v, &renamed);
    }
    match v {
        Value::Object(m) => m.values_mut().for_each(|c| lift_in(c, lifted)),
        Value::Array(items) => items.iter_mut().for_each(|i| lift_in(i, lifted)),
        _ => {}
    }
}

/// What each of a schema's own definitions becomes among the components: its own name when that
/// is free or holds the very same definition, else the first free numbered name (`Address2`).
/// A definition is compared as it will be stored, its `$ref`s already pointing at the
/// components (the stored ones were rewritten so): compared as written (`#/$defs/Phone`), any
/// definition holding a reference would differ from its stored twin and be copied again. Whether
/// a definition matches depends on what the ones it refers to became, so the choice is repeated
/// until it no longer changes (a few rounds: a rename only ever moves a referring definition on
/// to a numbered name, bounded by the number of definitions).
fn targets(defs: &[(String, Value)], lifted: &Map<String, Value>) -> Map<String, Value> {
    let mut renamed: Map<String, Value> = defs
        .iter()
        .map(|(name, _)| (name.clone(), Value::String(name.clone())))
        .collect();
    for _ in 0..=defs.len() {
        let mut next: Map<String, Value> = Map::new();
        for (name, def) in defs {
            let mut stored = def.clone();
            rewrite_refs(&mut stored, &renamed);
            let mut target = name.clone();
            let mut n = 2;
            while lifted
                .get(&target)
                .is_some_and(|existing| *existing != stored)
                || next
                    .values()
                    .any(|taken| taken.as_str() == Some(target.as_str()))
            {
                target = format!("{name}{n}");
                n += 1;
            }
            next.insert(name.clone(), Value::String(target));
        }
        if next == renamed {
            break;
        }
        renamed = next;
    }
    renamed
}

/// Points `#/$defs/<Name>` at `#/components/schemas/<renamed Name>` throughout `v`.
fn rewrite_refs(v: &mut Value, renamed: &Map<String, Value>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
                && let Some(Value::String(target)) = renamed.get(name)
            {
                *r = format!("#/components/schemas/{target}");
            }
            m.values_mut().for_each(|c| rewrite_refs(c, renamed));
        }
        Value::Array(items) => items.iter_mut().for_each(|i| rewrite_refs(i, renamed)),
        _ => {}
    }
}

fn operation_id(route: &Route) -> String {
    match route.op {
        Op::Act(a) => format!("act_{}", a.as_str().replace('-', "_")),
        Op::CheckAct(a) => format!("check_act_{}", a.as_str().replace('-', "_")),
        Op::Schemas => "schemas_list".into(),
        Op::SchemaVersions => "schema_versions".into(),
        Op::SchemaDocument => "schema_document".into(),
        Op::SchemaCompatibility => "schema_compatibility".into(),
        Op::RegistryPage => "registry_page".into(),
        Op::RegistrySubjectPage => "registry_subject_page".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The registry's JSON reads are revalidated with an ETag: `If-None-Match` in, 304 out (with
/// `Content-Location` where the 200 has it: `latest` names its numbered version either way).
fn cache_validated(params: &mut Vec<Value>, responses: &mut Map<String, Value>, location: bool) {
    params.push(json!({"name": "If-None-Match", "in": "header", "required": false,
        "description": "an ETag this answer carried before: 304 without a body while it still names the answer",
        "schema": {"type": "string"}}));
    responses.insert(
        "304".into(),
        json!({"description": "Not modified: the ETag in If-None-Match still names the answer", "headers": cache_headers(location)}),
    );
}

fn cache_headers(location: bool) -> Value {
    let mut h = json!({
        "ETag": {"description": "strong validator of the body (the first 16 bytes of its SHA-256, in hex)", "schema": {"type": "string"}},
        "Cache-Control": {"description": "`public, no-cache` for listings and `latest`, `public, max-age=86400, immutable` for a numbered version", "schema": {"type": "string"}}
    });
    if location {
        h["Content-Location"] = header_ref("Content-Location");
    }
    h
}

pub fn document(routes: &[Route]) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for route in routes {
        let entry = paths.entry(route.path.clone()).or_insert_with(|| json!({}));
        if let Value::Object(m) = entry {
            m.insert(route.method.as_str().to_lowercase(), operation(route));
        }
    }
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tongban federation gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "跨省通办 federation gateway: provinces submit cross-region applications and move them through their lifecycle; every change is a hash-chained, signed event."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "headers": shared_headers(),
            "schemas": {
                "Problem": schema_of::<super::problem::Problem>(),
                "LocalFormProblem": schema_of::<super::forms::LocalFormProblem>()
            }
        }
    });
    lift_definitions(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Component names that are a base name with a number appended (`Address2`).
    fn numbered(doc: &Value) -> Vec<String> {
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        schemas
            .keys()
            .filter(|k| {
                let base = k.trim_end_matches(|c: char| c.is_ascii_digit());
                base.len() < k.len() && schemas.contains_key(base)
            })
            .cloned()
            .collect()
    }

    /// A document whose two operations' schemas each define `Address` (and the `Phone` it
    /// refers to) as given.
    fn two_schemas(first: &Value, second: &Value) -> Value {
        let schema = |address: &Value| {
            json!({"$ref": "#/$defs/Address", "$defs": {
                "Address": address,
                "Phone": {"type": "string", "pattern": "^1[0-9]{10}$"}}})
        };
        let mut doc = json!({
            "paths": {
                "/a": {"get": {"responses": {"200": {"content": {"application/json": {"schema": schema(first)}}}}}},
                "/b": {"get": {"responses": {"200": {"content": {"application/json": {"schema": schema(second)}}}}}}
            },
            "components": {"schemas": {}}
        });
        lift_definitions(&mut doc);
        doc
    }

    fn schema_ref(doc: &Value, path: &str) -> Value {
        doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
            ["$ref"]
            .clone()
    }

    /// Given the routes a signing region must sign (submissions, actions, local forms, feed
    /// acks), whose operations listed neither the signature headers nor the `signature-*`
    /// refusals, when the document is built, then each declares `Date`,
    /// `X-Tongban-Content-SHA256` and `X-Tongban-Signature` and its 401 names every slug; reads
    /// and the dry runs (a submission's, a local form's, an action's) declare none. And the reconcile route lists every content type it takes.
    #[test]
    fn signed_routes_declare_their_headers_and_refusals() {
        let doc = document(&super::super::routes());
        let op = |path: &str, method: &str| doc["paths"][path][method].clone();
        let headers = |op: &Value| -> Vec<String> {
            op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "header")
                        .filter_map(|p| p["name"].as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        for (path, method) in [
            ("/v1/applications", "post"),
            ("/v1/applications/{id}/forward", "post"),
            ("/v1/regions/{region}/forms/{matter}", "post"),
            ("/v1/regions/{region}/feed/ack", "post"),
        ] {
            let o = op(path, method);
            let names = headers(&o);
            for h in ["Date", "X-Tongban-Content-SHA256", "X-Tongban-Signature"] {
                assert!(
                    names.iter().any(|n| n == h),
                    "{method} {path} lacks {h}: {names:?}"
                );
            }
            let refused = o["responses"]["401"]["description"].as_str().unwrap_or("");
            for slug in crate::auth::signature::SLUGS {
                assert!(refused.contains(slug), "{method} {path}: {refused}");
            }
        }
        for (path, method) in [
            ("/v1/applications/{id}", "get"),
            ("/v1/applications/check", "post"),
            ("/v1/applications/{id}/forward/check", "post"),
            ("/v1/regions/{region}/translate/{matter}", "post"),
        ] {
            let o = op(path, method);
            assert!(
                !headers(&o).iter().any(|n| n == "X-Tongban-Signature"),
                "{path}"
            );
        }
        let reconcile = op("/v1/regions/{region}/reconcile", "post");
        let types: Vec<&String> = reconcile["requestBody"]["content"]
            .as_object()
            .map(|c| c.keys().collect())
            .unwrap_or_default();
        for t in super::super::operator::RECORD_TYPES {
            assert!(types.iter().any(|k| *k == t), "{t} not listed: {types:?}");
        }
    }

    #[test]
    fn identical_definitions_holding_references_are_lifted_once() {
        let address = json!({"type": "object", "properties": {
            "detail": {"type": "string"}, "phone": {"$ref": "#/$defs/Phone"}}});
        let doc = two_schemas(&address, &address);
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let names: Vec<&String> = schemas.keys().collect();
        assert_eq!(names, ["Address", "Phone"], "{doc}");
        assert_eq!(
            schemas["Address"]["properties"]["phone"]["$ref"],
            "#/components/schemas/Phone"
        );
        for path in ["/a", "/b"] {
            assert_eq!(schema_ref(&doc, path), "#/components/schemas/Address");
        }
    }

    #[test]
    fn different_definitions_of_one_name_are_both_kept() {
        let address = json!({"type": "object", "properties": {
            "detail": {"type": "string"}, "phone": {"$ref": "#/$defs/Phone"}}});
        let other = json!({"type": "object", "properties": {
            "line": {"type": "string"}, "phone": {"$ref": "#/$defs/Phone"}}});
        let doc = two_schemas(&address, &other);
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let names: Vec<&String> = schemas.keys().collect();
        assert_eq!(names, ["Address", "Address2", "Phone"], "{doc}");
        assert!(schemas["Address2"]["properties"]["line"].is_object());
        assert_eq!(schema_ref(&doc, "/a"), "#/components/schemas/Address");
        assert_eq!(schema_ref(&doc, "/b"), "#/components/schemas/Address2");
        assert_eq!(
            schemas["Address2"]["properties"]["phone"]["$ref"],
            "#/components/schemas/Phone"
        );
    }

    /// A definition referring to one that had to be renamed differs from its stored twin (its
    /// reference points elsewhere), so it is renamed too, and the references stay consistent.
    #[test]
    fn a_rename_carries_over_to_the_definitions_that_refer_to_it() {
        let address = json!({"type": "object", "properties": {"phone": {"$ref": "#/$defs/Phone"}}});
        let mut doc = json!({
            "paths": {
                "/a": {"get": {"responses": {"200": {"content": {"application/json": {"schema":
                    {"$ref": "#/$defs/Address", "$defs": {"Address": address, "Phone": {"type": "string"}}}}}}}}},
                "/b": {"get": {"responses": {"200": {"content": {"application/json": {"schema":
                    {"$ref": "#/$defs/Address", "$defs": {"Address": address, "Phone": {"type": "integer"}}}}}}}}}
            },
            "components": {"schemas": {}}
        });
        lift_definitions(&mut doc);
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        let names: Vec<&String> = schemas.keys().collect();
        assert_eq!(names, ["Address", "Address2", "Phone", "Phone2"], "{doc}");
        assert_eq!(
            schemas["Address2"]["properties"]["phone"]["$ref"],
            "#/components/schemas/Phone2"
        );
        assert_eq!(schema_ref(&doc, "/b"), "#/components/schemas/Address2");
    }

    /// The served document holds each definition once: no numbered copy of an identical one.
    #[test]
    fn the_served_document_has_no_duplicate_definitions() {
        let doc = document(&super::super::routes());
        let schemas = doc["components"]["schemas"].as_object().expect("schemas");
        for name in numbered(&doc) {
            let base = name.trim_end_matches(|c: char| c.is_ascii_digit());
            assert_ne!(schemas[base], schemas[&name], "{name} copies {base}");
        }
        assert!(numbered(&doc).is_empty(), "{:?}", numbered(&doc));
    }
}
