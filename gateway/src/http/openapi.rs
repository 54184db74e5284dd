//! The OpenAPI 3.1 document, built from the same route table as the router.

use axum::Json;
use axum::extract::State;
use serde_json::{Map, Value, json};

use super::{AppState, Op, Route, actions};
use crate::log::EventLog;

pub async fn serve<L: EventLog>(State(s): State<AppState<L>>) -> Json<Value> {
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

fn operation(route: &Route) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), json!(route.summary));
    op.insert("operationId".into(), json!(operation_id(route)));
    let mut params = Vec::new();
    for name in ["id", "region", "subject", "version"] {
        if route.path.contains(&format!("{{{name}}}")) {
            let description = match name {
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
        Op::Submit => {
            params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false,
                "description": "Retries with the same key from the same region return the original application (200) instead of creating another.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 255}}));
            op.insert("requestBody".into(), json!({"required": true, "content": json_content(schema_of::<crate::service::SubmitRequest>())}));
            responses.insert("201".into(), json!({"description": "Created", "content": json_content(schema_of::<crate::service::SubmitOutcome>())}));
            responses.insert("200".into(), json!({"description": "The earlier submission with this Idempotency-Key", "content": json_content(schema_of::<crate::service::SubmitOutcome>())}));
            responses.insert(
                "422".into(),
                problem_response(
                    "Invalid application; `errors` lists every problem at its JSON pointer",
                ),
            );
        }
        Op::Act(action) => {
            let mut body = actions::schema(action);
            if let Value::Object(m) = &mut body {
                m.remove("$schema");
                if let Some(Value::Object(props)) = m.get_mut("properties") {
                    props.insert("expected_seq".into(), json!({"type": "integer", "minimum": 0,
                        "description": "The seq the caller last saw; 409 if the application has moved on"}));
                }
            }
            op.insert(
                "requestBody".into(),
                json!({"required": false, "content": json_content(body)}),
            );
            responses.insert("200".into(), json!({"description": "The event was appended", "content": json_content(schema_of::<crate::service::ActOutcome>())}));
            responses.insert(
                "409".into(),
                problem_response("Illegal transition, or stale expected_seq"),
            );
            responses.insert("422".into(), problem_response("Invalid body"));
            responses.insert("503".into(), problem_response("Nothing was appended: the event log cannot take writes (`log-unavailable`, with `Retry-After`), the application changed too often while deciding (`contended`), or its history holds an event this gateway cannot read (`unreadable-history`)"));
        }
        Op::Held => {
            params.push(json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
            params.push(json!({"name": "after", "in": "query", "required": false, "description": "the previous page's `next`: held applications after that id", "schema": {"type": "string"}}));
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {"count": {"type": "integer", "description": "how many applications are held in all"},
                "items": {"type": "array", "items": schema_of::<crate::projections::Held>()},
                "next": {"type": ["string", "null"], "description": "when the page is full: pass it as `after` for the next page"}}}))}));
        }
        Op::Inbox | Op::Outbox => {
            params.push(json!({"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}));
            params.push(json!({"name": "after", "in": "query", "required": false, "description": "the previous page's `next`: lines after that application id", "schema": {"type": "string"}}));
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {"region": {"type": "string"}, "items": {"type": "array", "items": schema_of::<crate::projections::BoxEntry>()},
                "next": {"type": ["string", "null"], "description": "when the page is full: pass it as `after` for the next page"}}}))}));
        }
        Op::Schemas => {
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(schema_of::<super::schemas::SubjectList>())}));
        }
        Op::SchemaVersions => {
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(schema_of::<super::schemas::VersionList>())}));
            responses.insert("404".into(), problem_response("Unknown subject"));
        }
        Op::SchemaDocument => {
            let meta = json!({"$ref": "https://json-schema.org/draft/2020-12/schema"});
            responses.insert("200".into(), json!({"description": "The JSON Schema document", "content": {"application/schema+json": {"schema": meta}}}));
            responses.insert("404".into(), problem_response("Unknown subject or version"));
        }
        Op::SchemaCompatibility => {
            op.insert("requestBody".into(), json!({"required": true, "description": "The candidate JSON Schema document (draft 2020-12)",
                "content": {"application/json": {"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}},
                            "application/schema+json": {"schema": {"$ref": "https://json-schema.org/draft/2020-12/schema"}}}}));
            responses.insert("200".into(), json!({"description": "The verdict: compatible, or every incompatibility with its path, rule and reason", "content": json_content(schema_of::<super::schemas::CompatibilityReport>())}));
            responses.insert("400".into(), problem_response("The body is not JSON"));
            responses.insert("404".into(), problem_response("Unknown subject"));
            responses.insert(
                "415".into(),
                problem_response("The body is not sent as JSON"),
            );
            responses.insert("422".into(), problem_response("The candidate is not a valid draft 2020-12 schema, or its examples fail it; `errors` names each problem"));
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
                params.push(json!({"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string"}}));
                responses.insert("201".into(), json!({"description": "Submitted", "content": json_content(schema_of::<crate::service::SubmitOutcome>())}));
            } else {
                responses.insert("200".into(), json!({"description": "The canonical body, warnings and the simplified-character matching copy", "content": json_content(json!({"type": "object", "properties": {"canonical": {"type": "object"}, "warnings": {"type": "array"}, "matching": {"type": "object"}}}))}));
            }
            responses.insert(
                "404".into(),
                problem_response("The region has no adapter for this matter"),
            );
            responses.insert(
                "415".into(),
                problem_response("Not sent in the adapter's format"),
            );
            responses.insert("422".into(), problem_response("The local form is refused; `errors` names each problem by the region's own field (pointer, field, label), the canonical path, the rule and the masked value"));
        }
        Op::Get => {
            params.push(json!({"name": "view", "in": "query", "required": false, "description": "canonical (default) or local: the application in the calling region's own form (406 when the region has no adapter for the matter)", "schema": {"type": "string", "enum": ["canonical", "local"]}}));
            responses.insert("200".into(), json!({"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}, "application/xml": {"schema": {"type": "string"}}}}));
            responses.insert(
                "406".into(),
                problem_response("view=local, but the region has no adapter for the matter"),
            );
            responses.insert("503".into(), problem_response("The application's view is held at an event that does not fold (`application-held`; `held` names the event, its position and the reason)"));
        }
        Op::Metrics => {
            responses.insert("200".into(), json!({"description": "Prometheus text exposition format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}}));
        }
        Op::Events => {
            responses.insert("200".into(), json!({"description": "OK", "content": json_content(json!({
                "type": "object", "properties": {"app": {"type": "string"}, "events": {"type": "array", "items": schema_of::<crate::envelope::Envelope>()},
                "request_signatures": {"type": "object", "description": "Event id → the signing region's verified request signature (docs/signed-requests.md), for events appended by signed requests; outside the envelopes, which stay the fixed hash-chained contract", "additionalProperties": schema_of::<crate::auth::RequestSignature>()}}}))}));
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
        responses.insert(
            "401".into(),
            problem_response(if signed {
                "Missing, unknown or revoked token; or, for a region with a request-signing key, a missing, invalid, stale or replayed signature (docs/signed-requests.md)"
            } else {
                "Missing, unknown or revoked token"
            }),
        );
        responses.insert(
            "403".into(),
            problem_response("The region may not do this: not in the needed role, or not its own region's resource"),
        );
        responses.insert(
            "429".into(),
            problem_response("The region's rate limit (all its tokens together) is exceeded; wait `Retry-After` seconds"),
        );
    }
    if route.path.starts_with("/v1/applications/{id}") {
        responses.insert(
            "404".into(),
            problem_response(
                "No such application, or the region is not a party to it (both answer alike, so \
                 that an id reveals nothing to a region that may not read it)",
            ),
        );
    }
    if route.method == axum::http::Method::POST {
        responses
            .entry("400")
            .or_insert_with(|| problem_response("Malformed body: not UTF-8, not JSON (line and column given), or nested deeper than the limit"));
        responses.insert(
            "413".into(),
            problem_response(
                "The body exceeds the size limit, or (on JetStream) the sealed event exceeds the \
                 NATS servers' max_payload; a retry fails alike",
            ),
        );
        responses
            .entry("415")
            .or_insert_with(|| problem_response("Wrong content type"));
    }
    if route.path.contains('{') {
        const MISFIT: &str = "path segment or query parameter that does not fit (named \
                              `path:<name>` or `query:<name>` in `errors`)";
        let description = match responses.get("400").and_then(|r| r["description"].as_str()) {
            Some(body) => format!("{body}; or a {MISFIT}"),
            None => format!("A {MISFIT}"),
        };
        responses.insert("400".into(), problem_response(&description));
    }
    responses.insert(
        "431".into(),
        problem_response("The request line and header fields exceed the size limit"),
    );
    if !params.is_empty() {
        op.insert("parameters".into(), Value::Array(params));
    }
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

fn operation_id(route: &Route) -> String {
    match route.op {
        Op::Act(a) => format!("act_{}", a.as_str().replace('-', "_")),
        Op::Schemas => "schemas_list".into(),
        Op::SchemaVersions => "schema_versions".into(),
        Op::SchemaDocument => "schema_document".into(),
        Op::SchemaCompatibility => "schema_compatibility".into(),
        Op::RegistryPage => "registry_page".into(),
        Op::RegistrySubjectPage => "registry_subject_page".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

pub fn document(routes: &[Route]) -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for route in routes {
        let entry = paths.entry(route.path.clone()).or_insert_with(|| json!({}));
        if let Value::Object(m) = entry {
            m.insert(route.method.as_str().to_lowercase(), operation(route));
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "tongban federation gateway",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "跨省通办 federation gateway: provinces submit cross-region applications and move them through their lifecycle; every change is a hash-chained, signed event."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Problem": schema_of::<super::problem::Problem>()}
        }
    })
}
