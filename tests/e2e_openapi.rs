//! `/openapi.json` stays true to the router: every documented operation is routed (answers with
//! something other than "no such route" or "method not allowed"), and the document is well formed.

mod common;

use common::{Gateway, TempDir, tokens};
use serde_json::{Value, json};

#[test]
fn every_documented_operation_is_routed() {
    let dir = TempDir::new("openapi");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let anon = gw.client(None);
    let doc = anon.get("/openapi.json").json();
    assert_eq!(doc["openapi"], json!("3.1.0"));
    let operator = gw.client(Some(&tokens["operator"]));
    // A real application id from the demo data.
    let app = common::demo_application(&gw, &tokens);

    // Every reference inside the document resolves in it (a client generator follows them).
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 20, "only {} references", refs.len());
    for r in &refs {
        if let Some(pointer) = r.strip_prefix('#') {
            assert!(doc.pointer(pointer).is_some(), "unresolvable $ref {r}");
        }
    }
    assert!(
        !doc.to_string().contains("\"$defs\""),
        "definitions belong in components/schemas"
    );

    // What a read answers is what the document says it answers: the application, validated
    // against the 200 schema of GET /v1/applications/{id}, resolved inside the document.
    let mut rooted = doc.clone();
    rooted["$ref"] = json!(
        "#/paths/~1v1~1applications~1%7Bid%7D/get/responses/200/content/application~1json/schema"
    );
    let read_schema =
        tongban_schemas::validation::CompiledSchema::compile(&rooted).expect("compiles");
    let read = operator.get(&format!("/v1/applications/{app}")).json();
    let report = read_schema.check(&read, "");
    assert!(report.is_ok(), "{report:?}\n{read}");
    let mut wrong = read.clone();
    wrong["seq"] = json!("three");
    assert!(!read_schema.is_valid(&wrong), "the schema checks something");
    // With ?view=local the same route answers the region's own form: the 200 schema takes it
    // too (oneOf, a free-form object beside the canonical view), and a canonical view with a
    // wrong member is still neither.
    let zhejiang = gw.client(Some(&tokens["330000"]));
    let inbox = zhejiang.get("/v1/regions/330000/inbox").json();
    let local = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|item| item["app"].as_str())
        .map(|id| zhejiang.get(&format!("/v1/applications/{id}?view=local")))
        .find(|r| {
            r.status == 200
                && r.header("content-type")
                    .is_some_and(|c| c.starts_with("application/json"))
        })
        .expect("a demo application 浙江 reads in its own JSON form");
    let local = local.json();
    assert!(
        local.get("seq").is_none(),
        "a local form, not the view: {local}"
    );
    let report = read_schema.check(&local, "");
    assert!(report.is_ok(), "{report:?}\n{local}");

    let paths = doc["paths"].as_object().expect("paths");
    // Every path template's parameters are declared on each of its operations.
    for (path, ops) in paths {
        let templated: Vec<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, op) in ops.as_object().expect("operations") {
            for name in &templated {
                let declared = op["parameters"].as_array().is_some_and(|ps| {
                    ps.iter()
                        .any(|p| p["in"] == json!("path") && p["name"] == json!(name))
                });
                assert!(declared, "{method} {path} does not declare {{{name}}}");
            }
        }
    }
    let mut operations = 0;
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            operations += 1;
            assert!(
                op["responses"].is_object(),
                "{method} {path} has no responses"
            );
            let concrete = path
                .replace("{matter}", "hukou-transfer")
                .replace("{id}", &app)
                .replace("{region}", "330000")
                .replace("{subject}", "matter.hukou-transfer")
                .replace("{version}", "latest");
            let body = if method == "post" {
                Some(b"{}".as_slice())
            } else {
                None
            };
            let r = operator
                .send(&method.to_uppercase(), &concrete, &[], body)
                .expect("request");
            let kind = serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_string));
            assert_ne!(
                kind.as_deref(),
                Some("urn:tongban:problem:no-route"),
                "{method} {path} is documented but not routed"
            );
            assert_ne!(
                r.status, 405,
                "{method} {path} is documented but not routed for {method}"
            );
        }
    }
    assert!(operations >= 30, "only {operations} operations documented");

    // And the router answers "no route" for what is not documented.
    let r = operator.get("/v1/nothing-here");
    assert_eq!(r.status, 404);
    assert_eq!(r.json()["type"], json!("urn:tongban:problem:no-route"));
    let r = operator
        .send("DELETE", "/v1/matters", &[], None)
        .expect("request");
    assert_eq!(r.status, 405);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|c| collect_refs(c, out));
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

/// Checks a real answer against the document: its status is listed for the operation, and its
/// content type is one the listed response names.
/// Checks `answer` against the schema at `pointer` in the document (its `$ref`s resolved inside
/// it), and that the schema checks something: without any of `required` the answer fails it.
fn conforms(doc: &Value, pointer: &str, answer: &Value, required: &[&str]) {
    let pointer = pointer.replace('{', "%7B").replace('}', "%7D");
    assert!(
        doc.pointer(&pointer.replace("%7B", "{").replace("%7D", "}"))
            .is_some(),
        "nothing documented at {pointer}"
    );
    let mut rooted = doc.clone();
    rooted["$ref"] = json!(format!("#{pointer}"));
    let schema = tongban_schemas::validation::CompiledSchema::compile(&rooted).expect("compiles");
    let report = schema.check(answer, "");
    assert!(report.is_ok(), "{pointer}: {report:?}\n{answer}");
    for member in required {
        let mut without = answer.clone();
        without.as_object_mut().expect("object").remove(*member);
        assert!(
            !schema.is_valid(&without),
            "{pointer}: the schema does not require {member}"
        );
    }
}

fn documented(doc: &Value, method: &str, template: &str, r: &common::Response) {
    let op = &doc["paths"][template][method];
    assert!(op.is_object(), "{method} {template} is not documented");
    let status = r.status.to_string();
    let response = &op["responses"][&status];
    assert!(
        response.is_object(),
        "{method} {template} answered {status}, which the document does not list: {}",
        String::from_utf8_lossy(&r.body)
    );
    let essence = r
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if !r.body.is_empty() {
        assert!(
            response["content"].get(&essence).is_some(),
            "{method} {template} answered {status} as {essence}, the document says {}",
            response["content"]
        );
    }
    // The headers a client acts on are declared on the answer that sends them.
    let declared: Vec<String> = response["headers"]
        .as_object()
        .map(|h| h.keys().map(|k| k.to_ascii_lowercase()).collect())
        .unwrap_or_default();
    for (name, value) in &r.headers {
        let name = name.to_ascii_lowercase();
        let meaningful = name.starts_with("x-tongban-")
            || [
                "etag",
                "location",
                "content-location",
                "retry-after",
                "www-authenticate",
            ]
            .contains(&name.as_str());
        assert!(
            !meaningful || declared.contains(&name),
            "{method} {template} answered {status} with {name}: {value}, which the document \
             does not declare there ({declared:?})"
        );
    }
}

/// Given the headers a client must act on (`Retry-After` on 429 and 503, `Location` on a
/// submission, `WWW-Authenticate` on 401, `Content-Location` on `latest`'s 304), which were sent
/// but not declared, when they are answered over HTTP, then the document declares each on the
/// answer that sends it, through one shared header object. (Found by a walkthrough.)
#[test]
fn headers_sent_are_declared() {
    let dir = TempDir::new("openapi-headers");
    let data = dir.0.join("data");
    let gw = Gateway::start_with(&data, true, &["--rate-limit", "0.5:3"]);
    let tokens = tokens(&data);
    let anon = gw.client(None);
    let doc = anon.get("/openapi.json").json();
    // Every 429 and 503 of the document declares Retry-After, every 401 WWW-Authenticate, by
    // reference to a shared object that resolves.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            for (code, name) in [
                ("429", "Retry-After"),
                ("503", "Retry-After"),
                ("401", "WWW-Authenticate"),
            ] {
                let answer = &op["responses"][code];
                if answer.is_object() {
                    let r = answer["headers"][name]["$ref"].as_str().unwrap_or("");
                    assert!(
                        r.strip_prefix('#')
                            .is_some_and(|p| doc.pointer(p).is_some()),
                        "{method} {path} {code}: {answer}"
                    );
                }
            }
        }
    }

    // 401 without a token.
    let r = anon.get("/v1/regions/440000/inbox");
    assert_eq!(r.status, 401);
    documented(&doc, "get", "/v1/regions/{region}/inbox", &r);
    // 201 and 200 of a submission, with Location.
    let gd = gw.client(Some(&tokens["440000"]));
    let form: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("adapters/regions/440000/golden/medical-filing.local.json"),
        )
        .expect("golden form"),
    )
    .expect("json");
    let route = "/v1/regions/440000/forms/medical-filing";
    for status in [201, 200] {
        let r = gd.post_with(route, &[("Idempotency-Key", "oa-headers")], &form);
        assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
        assert!(r.header("location").is_some());
        documented(&doc, "post", "/v1/regions/{region}/forms/{matter}", &r);
    }
    // 304 of `latest`, with Content-Location.
    let latest = "/v1/schemas/matter.medical-filing/versions/latest";
    let r = anon.get(latest);
    let etag = r.header("etag").expect("etag").to_string();
    let r = anon
        .send("GET", latest, &[("If-None-Match", &etag)], None)
        .expect("GET");
    assert_eq!(r.status, 304);
    assert!(r.header("content-location").is_some());
    documented(&doc, "get", "/v1/schemas/{subject}/versions/{version}", &r);
    // 429 with Retry-After, once the region's burst is spent.
    let zj = gw.client(Some(&tokens["330000"]));
    let limited = (0..10)
        .map(|_| zj.get("/v1/regions/330000/inbox"))
        .find(|r| r.status == 429)
        .expect("a 429");
    assert!(limited.header("retry-after").is_some());
    documented(&doc, "get", "/v1/regions/{region}/inbox", &limited);
}

#[test]
fn what_the_document_lists_is_what_is_answered() {
    let dir = TempDir::new("openapi-answers");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let doc = gw.client(None).get("/openapi.json").json();
    let gd = gw.client(Some(&tokens["440000"]));

    // /healthz answers the documented shape, `projections_unavailable` included (null while
    // the projections run), so a monitor generated from the document reads every member: the
    // public answer, and an operator's with its details, each member of which is documented.
    let schema = "/paths/~1healthz/get/responses/200/content/application~1json/schema";
    let health = gw.client(None).get("/healthz");
    documented(&doc, "get", "/healthz", &health);
    let health = health.json();
    assert_eq!(health["projections_unavailable"], json!(null), "{health}");
    assert_eq!(health.get("pid"), None, "{health}");
    conforms(
        &doc,
        schema,
        &health,
        &["status", "backend", "log_available", "projection_lag"],
    );
    let health = gw.client(Some(&tokens["operator"])).get("/healthz");
    documented(&doc, "get", "/healthz", &health);
    let health = health.json();
    conforms(&doc, schema, &health, &["status", "projection_lag"]);
    let properties = doc
        .pointer(&format!("{schema}/properties"))
        .expect("properties");
    for member in health.as_object().expect("an object").keys() {
        assert!(properties.get(member).is_some(), "{member} undocumented");
    }
    assert!(health["pid"].is_u64(), "{health}");
    assert_eq!(
        doc.pointer("/paths/~1healthz/get/security"),
        Some(&json!([{}, {"bearer": []}]))
    );

    // What a write answers is in its documented shape, every required member there: a
    // canonical submission without warnings (`warnings: []`) and an action that is no repeat
    // (`repeated: false`). (A walkthrough's generated client refused both: the members were
    // left out when empty or false.)
    let matters = gw.client(None).get("/v1/matters").json();
    let example = matters["matters"]
        .as_array()
        .expect("matters")
        .iter()
        .map(|m| m["example"].clone())
        .find(|e| e["mode"] == json!("online") && e["origin"] == json!("440000"))
        .expect("an online example of 440000");
    let created = gd.post("/v1/applications", &example);
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    documented(&doc, "post", "/v1/applications", &created);
    conforms(
        &doc,
        "/paths/~1v1~1applications/post/responses/201/content/application~1json/schema",
        &created.json(),
        &["id", "status", "seq", "warnings"],
    );
    let id = common::created_id(&created);
    let forwarded = gd.post(
        &format!("/v1/applications/{id}/forward"),
        &json!({"expected_seq": 1}),
    );
    assert_eq!(
        forwarded.status,
        200,
        "{}",
        String::from_utf8_lossy(&forwarded.body)
    );
    documented(&doc, "post", "/v1/applications/{id}/forward", &forwarded);
    conforms(
        &doc,
        "/paths/~1v1~1applications~1{id}~1forward/post/responses/200/content/application~1json/schema",
        &forwarded.json(),
        &["id", "status", "seq", "event", "repeated"],
    );

    // A local form that is not JSON: a problem of the local form (422 `json-syntax`), on submit
    // and dry run, and the document says so (its 400 does not claim malformed bodies).
    for (template, path) in [
        (
            "/v1/regions/{region}/forms/{matter}",
            "/v1/regions/440000/forms/medical-filing",
        ),
        (
            "/v1/regions/{region}/translate/{matter}",
            "/v1/regions/440000/translate/medical-filing",
        ),
    ] {
        let r = gd
            .send("POST", path, &[], Some(b"{\"SXBM\": "))
            .expect("POST");
        assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
        let p = r.json();
        assert_eq!(p["type"], "urn:tongban:problem:invalid-local-form", "{p}");
        assert_eq!(p["errors"][0]["rule"], "json-syntax", "{p}");
        documented(&doc, "post", template, &r);
        let responses = &doc["paths"][template]["post"]["responses"];
        assert!(
            responses["422"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("json-syntax")),
            "{template}: {}",
            responses["422"]
        );
        let bad_request = responses["400"]["description"].as_str().unwrap_or("");
        assert!(
            !bad_request.contains("not JSON"),
            "{template} lists malformed JSON under 400: {bad_request}"
        );
    }
    // What an adapter team's generated client reads is in the documented shapes: a refused
    // local form's members (`field`, `label`, `canonical`, `value`, `region`, `matter`), and
    // each matter's rules across fields.
    let mut form: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("adapters/regions/440000/golden/medical-filing.local.json"),
        )
        .expect("golden form"),
    )
    .expect("json");
    form["formData"]["endDate"] = json!("2024-02-01");
    let r = gd.post("/v1/regions/440000/forms/medical-filing", &form);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let refused = r.json();
    assert_eq!(
        refused["errors"][0]["rule"], "end-before-start",
        "{refused}"
    );
    let pointer = "/paths/~1v1~1regions~1{region}~1forms~1{matter}/post/responses/422/content/application~1problem+json/schema";
    conforms(&doc, pointer, &refused, &["region", "matter", "errors"]);
    // The other 422 of the same route: a key already used for another form is a problem of the
    // submission, in the generic shape, and the document says that too.
    let golden = |region: &str, matter: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
                format!("adapters/regions/{region}/golden/{matter}.local.json"),
            ))
            .expect("golden form"),
        )
        .expect("json")
    };
    let route = "/v1/regions/440000/forms/medical-filing";
    let first = gd.post_with(
        route,
        &[("Idempotency-Key", "oa-reused")],
        &golden("440000", "medical-filing"),
    );
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let mut changed = golden("440000", "medical-filing");
    changed["applicant"]["address"]["detail"] = json!("天河路 386 號 1201 房");
    let r = gd.post_with(route, &[("Idempotency-Key", "oa-reused")], &changed);
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let reused = r.json();
    assert_eq!(
        reused["type"], "urn:tongban:problem:idempotency-key-reused",
        "{reused}"
    );
    documented(&doc, "post", "/v1/regions/{region}/forms/{matter}", &r);
    conforms(&doc, pointer, &reused, &["type", "detail"]);
    // Problems that are not about the body's fields carry no `errors`, and the generic shape
    // does not ask for them (a generated client decodes them).
    let r = gd
        .send(
            "POST",
            route,
            &[("Content-Type", "text/plain")],
            Some(b"{}"),
        )
        .expect("POST");
    assert_eq!(r.status, 415, "{}", String::from_utf8_lossy(&r.body));
    let wrong_type = r.json();
    assert!(wrong_type.get("errors").is_none(), "{wrong_type}");
    documented(&doc, "post", "/v1/regions/{region}/forms/{matter}", &r);
    conforms(
        &doc,
        "/components/schemas/Problem",
        &wrong_type,
        &["type", "title", "status", "detail"],
    );
    let item = &doc["components"]["schemas"]["LocalErrorItem"]["properties"];
    for member in [
        "pointer",
        "field",
        "label",
        "canonical",
        "rule",
        "message",
        "value",
    ] {
        assert!(item.get(member).is_some(), "{member} undocumented: {item}");
    }
    let matters = gw.client(None).get("/v1/matters").json();
    let pointer = "/paths/~1v1~1matters/get/responses/200/content/application~1json/schema";
    conforms(&doc, pointer, &matters, &["matters"]);
    let rule = &doc["components"]["schemas"]["RuleItem"]["properties"];
    for member in ["code", "pointer", "rule_zh"] {
        assert!(rule.get(member).is_some(), "{member} undocumented: {rule}");
    }

    // The canonical route does answer 400 for malformed JSON, as documented.
    let r = gd
        .send("POST", "/v1/applications", &[], Some(b"{\"matter\": "))
        .expect("POST");
    assert_eq!(r.status, 400);
    documented(&doc, "post", "/v1/applications", &r);

    // The evidence page: HTML to a party, 404 (problem+json) to a region that is no party.
    let inbox = gw
        .client(Some(&tokens["330000"]))
        .get("/v1/regions/330000/inbox")
        .json();
    let app = inbox["items"][0]["app"].as_str().expect("demo application");
    let read = gw
        .client(Some(&tokens["330000"]))
        .get(&format!("/v1/applications/{app}"))
        .json();
    let mut parties = vec![read["origin"].clone()];
    parties.extend(
        read["handlers"]
            .as_array()
            .expect("handlers")
            .iter()
            .cloned(),
    );
    let outsider = ["440000", "330000", "340000", "310000", "510000", "500000"]
        .into_iter()
        .find(|c| !parties.contains(&json!(c)))
        .expect("a region that is no party");
    let page = format!("/ui/applications/{app}");
    let r = gw.client(Some(&tokens["330000"])).get(&page);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    documented(&doc, "get", "/ui/applications/{id}", &r);
    assert!(
        doc["paths"]["/ui/applications/{id}"]["get"]["responses"]["200"]["content"]
            .get("application/json")
            .is_none()
    );
    let r = gw.client(Some(&tokens[outsider])).get(&page);
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    documented(&doc, "get", "/ui/applications/{id}", &r);

    // A region route naming no region of the federation.
    let r = gd.get("/v1/regions/44000/feed");
    assert_eq!(r.status, 404);
    documented(&doc, "get", "/v1/regions/{region}/feed", &r);

    // A read naming a position beyond the log, or none at all; and where writes say theirs.
    for after in ["999999999", "soon"] {
        let r = gw
            .client(Some(&tokens["330000"]))
            .send(
                "GET",
                "/v1/regions/330000/inbox",
                &[("X-Tongban-Read-After", after)],
                None,
            )
            .expect("GET");
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
        documented(&doc, "get", "/v1/regions/{region}/inbox", &r);
    }
    for (method, template) in [
        ("get", "/v1/applications/{id}"),
        ("get", "/v1/regions/{region}/feed"),
        ("post", "/v1/applications/{id}/accept"),
    ] {
        let params = doc["paths"][template][method]["parameters"].to_string();
        assert!(
            params.contains("X-Tongban-Read-After"),
            "{template}: {params}"
        );
    }
    for (template, code) in [
        ("/v1/applications", "201"),
        ("/v1/applications", "200"),
        ("/v1/applications/{id}/accept", "200"),
        ("/v1/regions/{region}/forms/{matter}", "201"),
    ] {
        let answer = &doc["paths"][template]["post"]["responses"][code];
        assert!(
            answer["headers"]["X-Tongban-Position"].is_object(),
            "{template} {code}: {answer}"
        );
    }
    // What ?view=local says beside the local form is declared as headers, for client generators.
    let read = &doc["paths"]["/v1/applications/{id}"]["get"]["responses"]["200"]["headers"];
    for header in ["X-Tongban-Status", "X-Tongban-Seq", "X-Tongban-Unmapped"] {
        assert!(read[header].is_object(), "{header}: {read}");
    }
}

/// Given an ID number or a phone typed where a path or query names an application, a region, a
/// schema subject, a version or a matter, when the gateway refuses it, then no answer body (nor
/// its log) carries it, each answer is one the document lists, and an application id that is
/// no UUID is 400 `path:id` rule `uuid` as the document's 400 promises. (Found by a
/// walkthrough: the 404 details quoted the segment, `no application "11010519491231002X"`.)
#[test]
fn personal_data_in_a_url_is_never_echoed() {
    let dir = TempDir::new("openapi-echo");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let doc = gw.client(None).get("/openapi.json").json();
    let gd = gw.client(Some(&tokens["440000"]));
    let operator = gw.client(Some(&tokens["operator"]));
    let anon = gw.client(None);
    let personal = ["11010519491231002X", "13800138000", "138-0013-8000"];
    for pd in personal {
        let cases: Vec<(&common::Client, &str, String, &str)> = vec![
            (
                &gd,
                "GET",
                format!("/v1/applications/{pd}"),
                "/v1/applications/{id}",
            ),
            (
                &gd,
                "GET",
                format!("/v1/applications/{pd}/events"),
                "/v1/applications/{id}/events",
            ),
            (
                &gd,
                "GET",
                format!("/v1/applications/{pd}/replay"),
                "/v1/applications/{id}/replay",
            ),
            (
                &gd,
                "POST",
                format!("/v1/applications/{pd}/accept"),
                "/v1/applications/{id}/accept",
            ),
            (
                &operator,
                "GET",
                format!("/ui/applications/{pd}"),
                "/ui/applications/{id}",
            ),
            (
                &gd,
                "GET",
                format!("/v1/regions/{pd}/inbox"),
                "/v1/regions/{region}/inbox",
            ),
            (
                &gd,
                "GET",
                format!("/v1/regions/{pd}/statistics"),
                "/v1/regions/{region}/statistics",
            ),
            (
                &gd,
                "POST",
                format!("/v1/regions/440000/forms/{pd}"),
                "/v1/regions/{region}/forms/{matter}",
            ),
            (
                &anon,
                "GET",
                format!("/v1/schemas/{pd}/versions"),
                "/v1/schemas/{subject}/versions",
            ),
            (
                &anon,
                "GET",
                format!("/v1/schemas/{pd}/versions/1"),
                "/v1/schemas/{subject}/versions/{version}",
            ),
            (
                &anon,
                "GET",
                format!("/v1/schemas/matter.medical-filing/versions/{pd}"),
                "/v1/schemas/{subject}/versions/{version}",
            ),
            (
                &anon,
                "POST",
                format!("/v1/schemas/{pd}/compatibility"),
                "/v1/schemas/{subject}/compatibility",
            ),
            (
                &anon,
                "GET",
                format!("/v1/adapters/{pd}/medical-filing"),
                "/v1/adapters/{region}/{matter}",
            ),
            (
                &anon,
                "GET",
                format!("/v1/adapters/440000/{pd}"),
                "/v1/adapters/{region}/{matter}",
            ),
            (
                &anon,
                "GET",
                format!("/v1/adapters?region={pd}"),
                "/v1/adapters",
            ),
            (
                &anon,
                "GET",
                format!("/v1/adapters?matter={pd}"),
                "/v1/adapters",
            ),
            (
                &gd,
                "GET",
                format!("/v1/applications/00000000-0000-7000-8000-000000000000?view={pd}"),
                "/v1/applications/{id}",
            ),
            (
                &anon,
                "GET",
                format!("/registry/{pd}"),
                "/registry/{subject}",
            ),
            (
                &anon,
                "GET",
                format!("/registry/matter.medical-filing?version={pd}"),
                "/registry/{subject}",
            ),
            (
                &gd,
                "GET",
                format!("/v1/regions/440000/inbox?limit={}", pd.replace('-', "")),
                "/v1/regions/{region}/inbox",
            ),
        ];
        for (client, method, path, template) in cases {
            let body = (method == "POST").then_some(&b"{}"[..]);
            let r = client.send(method, &path, &[], body).expect("request");
            let text = String::from_utf8_lossy(&r.body);
            assert!(
                (400..500).contains(&r.status),
                "{method} {path}: {} {text}",
                r.status
            );
            assert!(
                !text.contains(pd) && !text.contains(&pd.replace('-', "")),
                "{method} {path} echoes it: {text}"
            );
            documented(&doc, &method.to_lowercase(), template, &r);
            if template.contains("{id}") && !path.contains('?') {
                assert_eq!(r.status, 400, "{method} {path}: {text}");
                if r.header("content-type") == Some("application/problem+json") {
                    let p = r.json();
                    assert_eq!(p["errors"][0]["pointer"], "path:id", "{p}");
                    assert_eq!(p["errors"][0]["rule"], "uuid", "{p}");
                }
            }
        }
    }
    // A well-formed id still names what it names: a 404, as for a region that is no party.
    let r = gd.get("/v1/applications/00000000-0000-7000-8000-000000000000");
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    // What is known is still named, to help with a typo.
    // The registry pages refuse a query with a page, as the document says.
    for (path, template) in [
        ("/registry?page=2", "/registry"),
        (
            "/registry/matter.medical-filing?version=01",
            "/registry/{subject}",
        ),
    ] {
        let r = anon.get(path);
        assert_eq!(r.status, 400, "{path}");
        documented(&doc, "get", template, &r);
    }
    let r = anon.get("/v1/adapters/440000/medical-filng");
    assert!(String::from_utf8_lossy(&r.body).contains("medical-filng"));
    let log = gw.stderr_log.clone();
    drop(gw);
    let values: Vec<String> = personal.iter().map(|s| s.to_string()).collect();
    common::assert_absent_from(&log, &values);
}

/// Given routes that take no query parameters but ignored any (`?after=5` on an application's
/// events answered every event as if it paged), when one is sent, then it is refused with 400
/// naming it (`query:<name>`, rule `unknown`), as the document promises; without it they answer.
#[test]
fn query_parameters_no_route_takes_are_refused() {
    let dir = TempDir::new("openapi-query");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let doc = gw.client(None).get("/openapi.json").json();
    let app = common::demo_application(&gw, &tokens);
    let operator = gw.client(Some(&tokens["operator"]));
    let anon = gw.client(None);
    for (client, path, template, name) in [
        (
            &operator,
            format!("/v1/applications/{app}/events"),
            "/v1/applications/{id}/events",
            "after",
        ),
        (
            &anon,
            "/v1/schemas/matter.medical-filing/versions".to_string(),
            "/v1/schemas/{subject}/versions",
            "limit",
        ),
        (
            &anon,
            "/v1/schemas/matter.medical-filing/versions/latest".to_string(),
            "/v1/schemas/{subject}/versions/{version}",
            "version",
        ),
        (
            &anon,
            "/v1/adapters/440000/medical-filing".to_string(),
            "/v1/adapters/{region}/{matter}",
            "fields",
        ),
        (&operator, "/v1/regions".to_string(), "/v1/regions", "q"),
    ] {
        assert_eq!(client.get(&path).status, 200, "{path}");
        let r = client.get(&format!("{path}?{name}=5"));
        assert_eq!(
            r.status,
            400,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        documented(&doc, "get", template, &r);
        let p = r.json();
        assert_eq!(p["errors"][0]["pointer"], format!("query:{name}"), "{p}");
        assert_eq!(p["errors"][0]["rule"], "unknown", "{p}");
        let promised = doc["paths"][template]["get"]["responses"]["400"]["description"]
            .as_str()
            .unwrap_or("");
        assert!(promised.contains("`unknown`"), "{template}: {promised}");
    }

    // The routes that took any query parameter and ignored it: an action's `?expected_seq=99`
    // was no guard (the action was taken, where the body's is 409 `stale-seq`), an ack's
    // `?position=` moved nothing, unremarked. Each is refused by name; nothing is appended.
    let handler = gw.client(Some(&tokens["330000"]));
    let seq = |app: &str| operator.get(&format!("/v1/applications/{app}")).json()["seq"].clone();
    let before = seq(&app);
    assert!(before.is_u64(), "{before}");
    let action = format!("/v1/applications/{app}/accept");
    for (client, method, path, template, name) in [
        (
            &handler,
            "post",
            action.clone(),
            "/v1/applications/{id}/accept",
            "expected_seq",
        ),
        (
            &handler,
            "post",
            "/v1/regions/330000/feed/ack".to_string(),
            "/v1/regions/{region}/feed/ack",
            "position",
        ),
        (
            &handler,
            "post",
            "/v1/applications".to_string(),
            "/v1/applications",
            "dry_run",
        ),
        (&anon, "get", "/v1/keys".to_string(), "/v1/keys", "kid"),
        (
            &anon,
            "get",
            "/v1/matters".to_string(),
            "/v1/matters",
            "code",
        ),
        (
            &anon,
            "get",
            "/v1/schemas".to_string(),
            "/v1/schemas",
            "subject",
        ),
        (
            &anon,
            "get",
            "/openapi.json".to_string(),
            "/openapi.json",
            "v",
        ),
        (
            &operator,
            "get",
            "/v1/log/head".to_string(),
            "/v1/log/head",
            "at",
        ),
    ] {
        let with = format!("{path}?{name}=99");
        let r = match method {
            "post" => client.post(&with, &json!({"position": 1})),
            _ => client.get(&with),
        };
        assert_eq!(
            r.status,
            400,
            "{with}: {}",
            String::from_utf8_lossy(&r.body)
        );
        documented(&doc, method, template, &r);
        let p = r.json();
        assert_eq!(p["errors"][0]["pointer"], format!("query:{name}"), "{p}");
        assert_eq!(p["errors"][0]["rule"], "unknown", "{p}");
    }
    assert_eq!(seq(&app), before, "a refused request appended");
    // The probes take whatever their tools append.
    assert_eq!(anon.get("/healthz?probe=1").status, 200);
    assert_eq!(anon.get("/metrics?probe=1").status, 200);
}

/// Given candidates whose `$schema` is missing or another draft, or whose `$ref` names nothing in
/// them or lies outside them, which were answered at pointer "" (and the external one in the
/// validator crate's words, "`resolve-http` feature or a custom resolver is required"), when
/// each is checked, then the 422 points at `/$schema` or at that `$ref` and says what to do.
#[test]
fn a_candidates_problems_are_located() {
    let dir = TempDir::new("openapi-candidate");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, false);
    let anon = gw.client(None);
    let doc = anon.get("/openapi.json").json();
    let base = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"});
    let with = |member: &str, value: Value| {
        let mut c = base.clone();
        c[member] = value;
        c
    };
    let mut bare = base.clone();
    bare.as_object_mut().expect("object").remove("$schema");
    for (candidate, pointer, says) in [
        (bare, "/$schema", "draft 2020-12"),
        (
            with("$schema", json!("http://json-schema.org/draft-07/schema#")),
            "/$schema",
            "another draft",
        ),
        (
            with("properties", json!({"a": {"$ref": "#/$defs/nope"}})),
            "/properties/a/$ref",
            "#/$defs/nope",
        ),
        (
            with(
                "properties",
                json!({"a": {"items": {"$ref": "https://example.com/a.json"}}}),
            ),
            "/properties/a/items/$ref",
            "external $refs are not supported: inline the definition",
        ),
    ] {
        let r = anon.post(
            "/v1/schemas/matter.medical-filing/compatibility",
            &candidate,
        );
        assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
        documented(&doc, "post", "/v1/schemas/{subject}/compatibility", &r);
        let p = r.json();
        let errors = p["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{p}");
        assert_eq!(errors[0]["pointer"], pointer, "{p}");
        let message = errors[0]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{p}");
        assert!(!p.to_string().contains("resolve-http"), "{p}");
    }
}

/// Given doc comments that schemars copies into the document, some of which spoke to Rust
/// readers (`[\`Gateway::repeated\`]`, "`A` is the applicant type", `crate::…`), when the served
/// document is read, then no description, title or summary carries an intra-doc link or a Rust
/// path: the document is read by province teams.
#[test]
fn descriptions_carry_no_rust_names() {
    let dir = TempDir::new("openapi-prose");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, false);
    let doc = gw.client(None).get("/openapi.json").json();
    let mut found = Vec::new();
    rust_names(&doc, "", &mut found);
    assert!(found.is_empty(), "{found:#?}");
}

fn rust_names(v: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                let here = format!("{at}/{k}");
                if let (true, Some(text)) = (
                    matches!(k.as_str(), "description" | "title" | "summary"),
                    c.as_str(),
                ) {
                    let rusty = text.contains("[`")
                        || text.contains("crate::")
                        || text.contains("` is the applicant type")
                        || text
                            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                            .any(|w| w.contains("::") && !w.starts_with("urn:"));
                    if rusty {
                        found.push((here.clone(), text.to_string()));
                    }
                }
                rust_names(c, &here, found);
            }
        }
        Value::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                rust_names(c, &format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}
