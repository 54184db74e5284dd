//! The schema registry over real HTTP, without a token: subjects, versions, documents, candidate
//! checks with every incompatibility, problem+json for what is wrong, and the HTML pages' server side
//! (search, escaping, 404s). The browser's view of the pages is in `e2e_browser.rs`.

mod common;

use common::{Gateway, TempDir};
use serde_json::{Value, json};

fn start() -> (TempDir, Gateway) {
    let dir = TempDir::new("schemas");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    (dir, gw)
}

/// What a backward finding against version 1 tells a province: whom it hurts and whom to ask
/// (it said "register an upcaster from version 1 (schemas/README.md)", a step in the gateway's
/// code no province can take). The same words on the route, the CLI and the diff pages.
const BACKWARD_AFFECTS_1: &str = "已按版本 1 存储的数据 (日志中的事件、已提交的表单) 在新版本下无法原样读取，须由网关维护方注册升级转换 (upcaster)：请向他们提出此变更 / events already in the log and forms submitted under version 1 would not read under the new version without an upcaster, which the gateway's maintainers register: propose the change to them";

/// The same for a forward finding (it said "no upcaster helps them").
const FORWARD_AFFECTS_1: &str = "仍按版本 1 校验的各方 (其他省份的系统、按版本 1 编写的适配) 会拒收按新版本写出的数据，网关无法替他们转换：请保持变更兼容，或向网关维护方提出，由他们先向各方公布新版本 / parties still validating against version 1 (other provinces' systems, adapters written against it) would refuse data written under the new version, and the gateway cannot convert it for them: keep the change compatible, or propose it to the gateway's maintainers, who announce the new version to them before such data is sent";

fn problem(r: &common::Response, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    r.json()
}

#[test]
fn the_registry_reads_as_json_without_a_token() {
    let (_dir, gw) = start();
    let anon = gw.client(None);

    let list = anon.get("/v1/schemas");
    assert_eq!(list.status, 200);
    let subjects = list.json()["subjects"]
        .as_array()
        .expect("subjects")
        .clone();
    assert_eq!(subjects.len(), 8 + 15, "8 matters and 15 event types");
    let hukou = subjects
        .iter()
        .find(|s| s["subject"] == "matter.hukou-transfer")
        .expect("hukou subject");
    assert_eq!(hukou["kind"], "matter");
    // Version 2 added the materials' format.
    assert_eq!(hukou["latest"], 2);
    assert_eq!(hukou["compatibility"], "BACKWARD");
    assert!(hukou["title"].as_str().is_some_and(|t| !t.is_empty()));
    let accepted = subjects
        .iter()
        .find(|s| s["subject"] == "application.accepted")
        .expect("event subject");
    assert_eq!(accepted["kind"], "event");

    let versions = anon
        .get("/v1/schemas/matter.hukou-transfer/versions")
        .json();
    assert_eq!(
        versions,
        json!({"subject": "matter.hukou-transfer", "versions": [1, 2], "latest": 2})
    );

    for version in ["1", "latest"] {
        let r = anon.get(&format!(
            "/v1/schemas/application.denied/versions/{version}"
        ));
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/schema+json"));
        let doc = r.json();
        assert_eq!(
            doc["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(doc["$id"], "urn:tongban:schema:application.denied:1");
    }

    let r = anon.get("/v1/schemas/matter.nothing/versions");
    assert!(
        problem(&r, 404)["detail"]
            .as_str()
            .unwrap_or("")
            .contains("matter.nothing")
    );
    let r = anon.get("/v1/schemas/matter.nothing/versions/1");
    problem(&r, 404);
    let r = anon.get("/v1/schemas/application.denied/versions/2");
    assert!(
        problem(&r, 404)["detail"]
            .as_str()
            .unwrap_or("")
            .contains("no version")
    );
    let r = anon.get("/v1/schemas/application.denied/versions/zero");
    problem(&r, 404);
}

#[test]
fn candidates_are_checked_without_being_registered() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let current = anon
        .get("/v1/schemas/application.denied/versions/latest")
        .json();

    // The registered document itself is compatible with itself.
    let r = anon.post("/v1/schemas/application.denied/compatibility", &current);
    assert_eq!(r.status, 200);
    let verdict = r.json();
    assert_eq!(verdict["compatible"], true, "{verdict}");
    assert_eq!(verdict["incompatibilities"], json!([]));
    assert_eq!(verdict["checked_against"], json!([1]));
    assert_eq!(verdict["notices"], json!([]));

    // A new optional member of a closed object: BACKWARD allows it, and says whom it hurts
    // anyway (provinces still validating against version 1 refuse data that carries it).
    let mut added = current.clone();
    added["properties"]["appeal_deadline_days"] =
        json!({"type": "integer", "description": "申请复议期限 (日)"});
    let verdict = anon
        .post("/v1/schemas/application.denied/compatibility", &added)
        .json();
    assert_eq!(verdict["compatible"], true, "{verdict}");
    assert_eq!(verdict["incompatibilities"], json!([]));
    let notices = verdict["notices"].as_array().expect("notices");
    assert_eq!(notices.len(), 1, "{verdict}");
    assert_eq!(notices[0]["path"], "/appeal_deadline_days", "{verdict}");
    assert_eq!(notices[0]["direction"], "forward", "{verdict}");
    assert_eq!(notices[0]["affects"], FORWARD_AFFECTS_1, "{verdict}");

    // Narrowing a type and requiring an optional field: two incompatibilities, each with path and reason.
    let mut candidate = current.clone();
    candidate["properties"]["reason"]["type"] = json!("integer");
    candidate["properties"]["reason"]
        .as_object_mut()
        .expect("reason")
        .remove("minLength");
    candidate["required"] = json!(["reason", "decision_number"]);
    candidate["examples"] =
        json!([{"reason": 3, "decision_number": "浙公户不准字〔2024〕第 0003 号"}]);
    let verdict = anon
        .post("/v1/schemas/application.denied/compatibility", &candidate)
        .json();
    assert_eq!(verdict["compatible"], false, "{verdict}");
    let found = verdict["incompatibilities"].as_array().expect("list");
    let paths: Vec<&str> = found.iter().filter_map(|i| i["path"].as_str()).collect();
    assert!(paths.contains(&"/reason"), "{verdict}");
    assert!(paths.contains(&"/decision_number"), "{verdict}");
    for i in found {
        assert!(i["rule"].is_string() && i["reason"].is_string(), "{i}");
        assert_eq!(i["against_version"], 1);
        // Whom it hurts, and what a province can do: it cannot register an upcaster itself.
        assert_eq!(i["affects"], BACKWARD_AFFECTS_1, "{i}");
    }
    // Nothing was registered.
    let versions = anon.get("/v1/schemas/application.denied/versions").json();
    assert_eq!(versions["versions"], json!([1]));

    // Not JSON: 400. Not sent as JSON: 415. Not a schema: 422 naming each problem. Unknown: 404.
    let r = anon
        .send(
            "POST",
            "/v1/schemas/application.denied/compatibility",
            &[],
            Some(b"{\"type\": "),
        )
        .expect("request");
    assert_eq!(problem(&r, 400)["errors"][0]["rule"], "json-syntax");
    let r = anon
        .send(
            "POST",
            "/v1/schemas/application.denied/compatibility",
            &[("Content-Type", "text/plain")],
            Some(b"{}"),
        )
        .expect("request");
    problem(&r, 415);
    let r = anon.post(
        "/v1/schemas/application.denied/compatibility",
        &json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "objekt", "minLength": -1}),
    );
    let p = problem(&r, 422);
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(
        pointers.contains(&"/type") && pointers.contains(&"/minLength"),
        "{p}"
    );
    let r = anon.post(
        "/v1/schemas/application.denied/compatibility",
        &json!({"type": "object"}),
    );
    assert!(
        problem(&r, 422)["detail"]
            .as_str()
            .unwrap_or("")
            .contains("$schema")
    );
    let r = anon.post("/v1/schemas/matter.nothing/compatibility", &current);
    problem(&r, 404);

    // A schema whose `$ref` leads back into its own union: an answer (not compatible, too
    // complex), and the gateway still serves. This one request used to overflow the stack.
    let looped = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "anyOf": [{"$ref": "#"}, {"$ref": "#"}]});
    let r = anon.post("/v1/schemas/matter.hukou-transfer/compatibility", &looped);
    assert_eq!(r.status, 200);
    let verdict = r.json();
    assert_eq!(verdict["compatible"], false, "{verdict}");
    assert!(
        verdict["incompatibilities"]
            .as_array()
            .expect("list")
            .iter()
            .any(|i| i["rule"] == "too-complex"),
        "{verdict}"
    );
    assert_eq!(anon.get("/healthz").status, 200);
}

#[test]
fn registry_pages_search_escape_and_link_to_json() {
    let (_dir, gw) = start();
    let anon = gw.client(None);

    let r = anon.get("/registry");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    // A page allows its own inline style and forms, nothing else; it is public, so cacheable.
    assert!(
        r.header("content-security-policy")
            .is_some_and(|p| p.contains("default-src 'none'") && p.contains("form-action 'self'")),
        "{:?}",
        r.header("content-security-policy")
    );
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(r.header("cache-control"), None);
    // A subject path that is not UTF-8 gets a page too, not a line of plain text.
    let unreadable = anon.get("/registry/%FF");
    assert_eq!(unreadable.status, 404);
    assert_eq!(
        unreadable.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = String::from_utf8(r.body).expect("utf-8");
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("户口迁移") && html.contains("application.accepted"));
    assert!(html.contains("href=\"/v1/schemas\""));
    assert!(!html.contains("<script"), "no scripts");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external assets"
    );

    // Search by Chinese title, English title and code; only the match is listed.
    for q in ["%E6%88%B7%E5%8F%A3", "Household", "hukou-TRANSFER"] {
        let html = String::from_utf8(anon.get(&format!("/registry?q={q}")).body).expect("utf-8");
        assert_eq!(html.matches("<tr class=\"matter\">").count(), 1, "q={q}");
        assert!(html.contains("/registry/matter.hukou-transfer"), "q={q}");
    }
    // Several words: each must be found, not the phrase ("Pension insurance transfer").
    for q in [
        "pension+transfer",
        "transfer%20PENSION",
        "%E5%85%BB%E8%80%81+transfer",
    ] {
        let html = String::from_utf8(anon.get(&format!("/registry?q={q}")).body).expect("utf-8");
        assert_eq!(html.matches("<tr class=\"matter\">").count(), 1, "q={q}");
        assert!(html.contains("/registry/matter.pension-transfer"), "q={q}");
    }
    let html = String::from_utf8(anon.get("/registry?q=pension+hukou").body).expect("utf-8");
    assert_eq!(html.matches("<tr class=\"matter\">").count(), 0);
    // Event subjects are searched too.
    let html = String::from_utf8(anon.get("/registry?q=%E8%A1%A5%E6%AD%A3").body).expect("utf-8");
    assert!(html.contains("application.supplement-requested"));
    assert_eq!(html.matches("<tr class=\"matter\">").count(), 0);

    // A direction control typed into the search stays inside the echo (<bdi>), so it cannot
    // reverse the rest of the line.
    let html = String::from_utf8(anon.get("/registry?q=%E2%80%AEabc").body).expect("utf-8");
    assert!(html.contains("“<bdi>\u{202e}abc</bdi>”"), "{html}");
    // What the caller typed comes back escaped, never as markup.
    let html = String::from_utf8(
        anon.get("/registry?q=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E")
            .body,
    )
    .expect("utf-8");
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(html.contains("没有匹配的事项"));

    let r = anon.get("/registry/matter.hukou-transfer?from=1&to=1");
    assert_eq!(r.status, 200);
    let html = String::from_utf8(r.body).expect("utf-8");
    assert!(html.contains("id=\"field-table\""));
    assert!(html.contains("/applicant/id_number") || html.contains("/applicant/name"));
    assert!(html.contains("id=\"adapter-table\"") && html.contains("浙江省"));
    assert!(html.contains("href=\"/v1/schemas/matter.hukou-transfer/versions/latest\""));
    assert!(html.contains("id=\"diff-result\""));
    // The diff page tells a province what the route tells it, in the same words.
    let html = String::from_utf8(anon.get("/registry/matter.hukou-transfer?from=1&to=2").body)
        .expect("utf-8");
    assert!(
        html.contains(&FORWARD_AFFECTS_1.replace('\'', "&#39;")),
        "{html}"
    );
    assert!(!html.contains("schemas/README.md") && !html.contains("no upcaster helps"));

    let r = anon.get("/registry/matter.nothing");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let r = anon.get("/registry/matter.hukou-transfer?from=1&to=9");
    assert_eq!(r.status, 404);
    assert!(String::from_utf8_lossy(&r.body).contains("no version"));
}

/// A machine that keeps the registry's documents (a province's validator, an adapter generator)
/// revalidates instead of downloading again: every JSON answer carries an ETag, a matching
/// `If-None-Match` gets a bodiless 304, a numbered version is cacheable as immutable, and
/// `latest` says which numbered document it is.
#[test]
fn registry_documents_carry_cache_validators() {
    let (dir, gw) = start();
    let anon = gw.client(None);
    let get_if = |path: &str, etag: &str| {
        anon.send("GET", path, &[("If-None-Match", etag)], None)
            .expect("GET")
    };
    for path in [
        "/v1/schemas",
        "/v1/schemas/matter.hukou-transfer/versions",
        "/v1/schemas/matter.hukou-transfer/versions/1",
        "/v1/schemas/matter.hukou-transfer/versions/latest",
        // What an adapter team keeps beside the documents: the matters with their rules, and
        // the adapters' field tables.
        "/v1/matters",
        "/v1/adapters",
        "/v1/adapters/440000/medical-filing",
    ] {
        let first = anon.get(path);
        assert_eq!(first.status, 200, "{path}");
        let etag = first.header("etag").expect("etag").to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "{path}: {etag}"
        );
        // Same document, same tag; the tag names it.
        assert_eq!(anon.get(path).header("etag"), Some(etag.as_str()), "{path}");
        let again = get_if(path, &etag);
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}");
        assert_eq!(again.header("etag"), Some(etag.as_str()), "{path}");
        // A list of tags and a weak comparison both match; another tag does not.
        assert_eq!(
            get_if(path, &format!("\"x\", W/{etag}")).status,
            304,
            "{path}"
        );
        let other = get_if(path, "\"not-this-one\"");
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(other.body, first.body, "{path}");
    }
    for path in ["/v1/matters", "/v1/adapters"] {
        let r = anon.get(path);
        assert_eq!(
            r.header("cache-control"),
            Some("public, no-cache"),
            "{path}"
        );
        assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
    }
    // Each matter names the schema version its rules and limits go with.
    let matters = anon.get("/v1/matters").json();
    let hukou = matters["matters"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["code"] == "hukou-transfer"))
        .cloned()
        .expect("hukou-transfer");
    let latest = anon
        .get("/v1/schemas/matter.hukou-transfer/versions")
        .json()["latest"]
        .clone();
    assert_eq!(hukou["version"], latest, "{hukou}");
    let v1 = anon.get("/v1/schemas/matter.hukou-transfer/versions/1");
    assert_eq!(v1.header("content-type"), Some("application/schema+json"));
    assert_eq!(
        v1.header("cache-control"),
        Some("public, max-age=86400, immutable")
    );
    assert_ne!(
        v1.header("etag"),
        anon.get("/v1/schemas/matter.hukou-transfer/versions/2")
            .header("etag")
    );
    let latest = anon.get("/v1/schemas/matter.hukou-transfer/versions/latest");
    assert_eq!(latest.header("cache-control"), Some("public, no-cache"));
    let location = latest.header("content-location").expect("content-location");
    let numbered = anon.get(location);
    assert_eq!(numbered.status, 200);
    assert_eq!(numbered.body, latest.body);
    assert_eq!(numbered.header("etag"), latest.header("etag"));
    // The document's $id names the version Content-Location serves.
    let version = location.rsplit('/').next().expect("version");
    assert_eq!(
        latest.json()["$id"],
        format!("urn:tongban:schema:matter.hukou-transfer:{version}")
    );
    // With a token the answer is the same public document, still cacheable (no personal data).
    let tokens = common::tokens(&dir.0.join("data"));
    let token = tokens.values().next().expect("a demo token");
    let authed = gw
        .client(Some(token))
        .get("/v1/schemas/matter.hukou-transfer/versions/1");
    assert_eq!(
        authed.header("cache-control"),
        Some("public, max-age=86400, immutable")
    );
}

/// A candidate of `levels` definitions, each a union of eight references to the next, the last a
/// string: a kilobyte that multiplies to 8^levels paths.
fn multiplied_candidate(levels: usize) -> Value {
    let mut defs = serde_json::Map::new();
    for i in 0..levels {
        let next = format!("#/$defs/L{}", i + 1);
        let refs: Vec<Value> = (0..8).map(|_| json!({"$ref": next})).collect();
        defs.insert(format!("L{i}"), json!({"anyOf": refs}));
    }
    defs.insert(format!("L{levels}"), json!({"type": "string"}));
    json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/$defs/L0", "$defs": defs})
}

/// Given the kilobyte candidate of the registry walkthrough (five `$defs` levels, each an
/// `anyOf` of eight `$ref`s to the next), which took ~8 s of a runtime worker, stalled
/// `/healthz` and answered 300 MB of the same notice repeated, and a smaller one within the
/// bounds (three levels), when several are posted anonymously at once, then each is answered
/// within seconds: the large one refused (422 `too-complex`, at the document), the small one
/// judged with each finding once, or 503 `checks-busy` with `Retry-After` while the check slots
/// are taken; and `/healthz` answers quickly all the while, since checks run off the runtime.
#[test]
fn multiplied_candidates_are_answered_quickly_and_health_stays_fast() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let path = "/v1/schemas/matter.pension-transfer/compatibility";

    let started = std::time::Instant::now();
    let r = anon.post(path, &multiplied_candidate(5));
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    let p = problem(&r, 422);
    assert_eq!(p["errors"][0]["rule"], "too-complex", "{p}");
    assert_eq!(p["errors"][0]["pointer"], "", "{p}");
    assert!(p["detail"].as_str().unwrap_or("").contains("$ref"), "{p}");

    let started = std::time::Instant::now();
    let r = anon.post(path, &multiplied_candidate(3));
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let verdict = r.json();
    assert_eq!(verdict["compatible"], false, "{verdict}");
    // Every path through the unions finds the same things: each is listed once.
    for list in ["incompatibilities", "notices"] {
        let items = verdict[list].as_array().expect("list");
        let mut seen = std::collections::HashSet::new();
        for i in items {
            assert!(
                seen.insert((
                    i["path"].to_string(),
                    i["rule"].to_string(),
                    i["reason"].to_string()
                )),
                "{list}: {i}"
            );
        }
        assert!(items.len() <= 101, "{list}: {}", items.len());
    }

    // Six clients posting at once, for a while; health is read meanwhile.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let posters: Vec<_> = (0..6)
        .map(|i| {
            let client = anon.clone();
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                let candidate = multiplied_candidate(if i % 2 == 0 { 5 } else { 3 });
                let mut statuses = Vec::new();
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let r = client.post(path, &candidate);
                    if r.status == 503 {
                        assert_eq!(r.header("retry-after"), Some("1"));
                        assert_eq!(r.json()["type"], "urn:tongban:problem:checks-busy");
                    }
                    statuses.push(r.status);
                }
                statuses
            })
        })
        .collect();
    let mut slowest = std::time::Duration::ZERO;
    for _ in 0..20 {
        let started = std::time::Instant::now();
        assert_eq!(anon.get("/healthz").status, 200);
        slowest = slowest.max(started.elapsed());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for poster in posters {
        let statuses = poster.join().expect("poster");
        assert!(
            statuses.iter().all(|s| [200, 422, 503].contains(s)),
            "{statuses:?}"
        );
    }
    assert!(slowest < std::time::Duration::from_secs(1), "{slowest:?}");
}

/// Given a candidate whose examples fail in several places, which was answered with one problem
/// at pointer "" (the first violation of the first failing example), when posted, then the 422
/// lists every violation of every example at `/examples/<i><pointer>` with its rule.
#[test]
fn every_failing_example_is_named_at_its_pointer() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let mut candidate = anon
        .get("/v1/schemas/application.denied/versions/latest")
        .json();
    candidate["examples"] = json!([
        {"reason": 3, "decision_number": "浙公户不准字〔2024〕第 0003 号"},
        {"reason": "材料不齐", "unknown_member": true},
        {"reason": []}
    ]);
    let r = anon.post("/v1/schemas/application.denied/compatibility", &candidate);
    let p = problem(&r, 422);
    let errors = p["errors"].as_array().expect("errors");
    let at: Vec<(String, String)> = errors
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap_or("").to_string(),
                e["rule"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        at.iter()
            .any(|(p, r)| p == "/examples/0/reason" && r == "type"),
        "{p}"
    );
    assert!(at.iter().any(|(p, _)| p.starts_with("/examples/1")), "{p}");
    assert!(
        at.iter()
            .any(|(p, r)| p == "/examples/2/reason" && r == "type"),
        "{p}"
    );
    assert!(at.iter().all(|(p, _)| p.starts_with("/examples/")), "{p}");
    for e in errors {
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
    }
}

/// Given versions in other spellings (`01`, `+1`, `1.0`, ` 1`), which were served as further
/// immutable URLs of the same document, when asked for as JSON or on the registry page, then
/// the JSON route answers 404 naming how a version is written, and the page 400 naming the
/// query parameter and the spelling in Chinese and English (it said 404 "没有版本 1" for ` 1`,
/// named no parameter, and its English read "written as a version number as written"), while
/// `1` and `latest` still answer.
#[test]
fn versions_have_one_spelling() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    for spelled in ["01", "+1", "%2B1", "1.0", "%201", "00"] {
        let r = anon.get(&format!(
            "/v1/schemas/application.denied/versions/{spelled}"
        ));
        let detail = problem(&r, 404)["detail"]
            .as_str()
            .unwrap_or("")
            .to_string();
        assert!(
            detail.contains("a version is written as a whole number without leading zeros")
                && detail.contains("`latest`"),
            "{spelled}: {detail}"
        );
        for param in ["version", "from", "to"] {
            let r = anon.get(&format!("/registry/application.denied?{param}={spelled}"));
            assert_eq!(r.status, 400, "{param}={spelled}");
            assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
            let html = String::from_utf8_lossy(&r.body);
            assert!(
                html.contains(&format!("查询参数 {param} 的值"))
                    && html.contains("不是版本号：版本号写作不带前导零")
                    && html.contains(&format!("query parameter {param}:"))
                    && html.contains("without leading zeros, a sign or spaces"),
                "{param}={spelled}: {html}"
            );
            assert!(!html.contains("没有版本"), "{param}={spelled}: {html}");
        }
    }
    // A well-written number the subject lacks, however large, is a version it does not have;
    // one with six digits in a row (a phone's, an ID number's) is not shown.
    for (query, param, number) in [
        ("from=1&to=3", "to", "3"),
        ("version=4294967296", "version", "by that number"),
        (
            "from=99999999999999999999999&to=1",
            "from",
            "by that number",
        ),
    ] {
        let r = anon.get(&format!("/registry/application.denied?{query}"));
        assert_eq!(r.status, 404, "{query}");
        let html = String::from_utf8_lossy(&r.body);
        let zh = match number {
            "by that number" => "没有该版本".to_string(),
            n => format!("没有版本 {n}"),
        };
        assert!(
            html.contains(&format!("{zh}（查询参数 {param}；现有版本：1"))
                && html.contains(&format!("has no version {number} (query parameter {param}")),
            "{query}: {html}"
        );
        assert!(
            !html.contains("4294967296") && !html.contains("99999999"),
            "{html}"
        );
        assert!(!html.contains("written as"), "{query}: {html}");
    }
    let r = anon.get("/v1/schemas/application.denied/versions/4294967296");
    let detail = problem(&r, 404)["detail"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(!detail.contains("written as"), "{detail}");
    assert_eq!(
        anon.get("/v1/schemas/application.denied/versions/1").status,
        200
    );
    assert_eq!(
        anon.get("/v1/schemas/application.denied/versions/latest")
            .status,
        200
    );
    assert_eq!(
        anon.get("/registry/application.denied?version=1").status,
        200
    );
}

/// Given a matter whose schema carries identifier checks and whose route has rules, which
/// `/v1/matters` and the registry page's 表单规则 table did not list (only the form's rules),
/// when a province's team reads them, then both list the route's rules, each identifier check's
/// findings at the fields carrying it (the person check on `/applicant`) and the form's rules.
#[test]
fn matters_list_route_and_identity_rules_with_the_form_rules() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let matters = anon.get("/v1/matters").json();
    let hukou = matters["matters"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["code"] == "hukou-transfer"))
        .cloned()
        .expect("hukou-transfer");
    let rules = hukou["rules"].as_array().expect("rules");
    let has = |kind: &str, code: &str, pointer: &str| {
        rules
            .iter()
            .any(|r| r["kind"] == kind && r["code"] == code && r["pointer"] == pointer)
    };
    assert!(has("route", "duplicate-handler", "/handlers/*"), "{hukou}");
    assert!(has("route", "region-code", "/origin"), "{hukou}");
    assert!(has("route", "unknown-region", "/handlers/*"), "{hukou}");
    assert!(
        has("identity", "gb11643-checksum", "/applicant/id_number"),
        "{hukou}"
    );
    assert!(has("identity", "sex-mismatch", "/applicant/sex"), "{hukou}");
    assert!(has("identity", "gb2260-unknown", "/origin"), "{hukou}");
    assert!(rules.iter().any(|r| r["kind"] == "form"), "{hukou}");
    let person = rules
        .iter()
        .find(|r| r["code"] == "gb11643-checksum")
        .expect("person check");
    assert_eq!(
        person["check"],
        json!({"name": "person", "on": "/applicant"})
    );

    let html = String::from_utf8(anon.get("/registry/matter.hukou-transfer").body).expect("utf-8");
    let table = html
        .split("id=\"rule-table\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("rule table");
    for text in [
        "<code>duplicate-handler</code>",
        "<code>gb11643-checksum</code>",
        "<code>/applicant/id_number</code>",
        "<code>person</code> @ <code>/applicant</code>",
        "仅提示 warning",
        "路由 route",
        "表单 form",
    ] {
        assert!(table.contains(text), "{text} in {table}");
    }
}

/// Given a person who types the gateway's address, or a registry page's address with a trailing
/// slash, which were answered with a problem+json "no such route", when they ask, then `/` leads
/// to `/registry`, a trailing slash to the page without it (query kept), any other path under
/// `/registry/` is an HTML 404 page (as the OpenAPI document promises), the API's paths still
/// answer problem+json, and the start banner names the registry's address.
#[test]
fn the_gateway_address_leads_to_the_registry() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    for (path, to) in [
        ("/", "/registry"),
        ("/registry/", "/registry"),
        (
            "/registry/matter.hukou-transfer/",
            "/registry/matter.hukou-transfer",
        ),
        (
            "/registry/matter.hukou-transfer/?version=1",
            "/registry/matter.hukou-transfer?version=1",
        ),
    ] {
        let r = anon.get(path);
        assert!(
            matches!(r.status, 301 | 302 | 307 | 308),
            "{path}: {}",
            r.status
        );
        assert_eq!(r.header("location"), Some(to), "{path}");
    }
    // A page asked with another method is not "no such page" (found by a walkthrough).
    for path in ["/registry/", "/registry/matter.hukou-transfer/"] {
        let r = anon.send("POST", path, &[], Some(b"{}")).expect("POST");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{path}");
        assert_eq!(
            problem(&r, 405)["type"],
            json!("urn:tongban:problem:method-not-allowed")
        );
    }
    // One that is no page is none, whatever the method.
    let r = anon
        .send("POST", "/registry/no-such-subject/", &[], Some(b"{}"))
        .expect("POST");
    assert_eq!(r.status, 404);
    let r = anon.get("/registry/matter.hukou-transfer/versions");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(String::from_utf8_lossy(&r.body).contains("没有这个页面"));
    let r = anon.get("/v1/nothing-here/");
    assert_eq!(
        problem(&r, 404)["type"],
        json!("urn:tongban:problem:no-route")
    );
    assert!(
        gw.banner.contains(&format!("http://{}/registry", gw.addr)),
        "{}",
        gw.banner
    );
}

/// Given a matter's code as the matter's page shows it (事项编码 `hukou-transfer`), which was a
/// 404 "no schema subject", when it is put where a subject belongs, then the answer leads to the
/// matter's subject page, `/registry/matter.hukou-transfer`, its query kept; a name that is no
/// matter stays a 404.
#[test]
fn a_matter_code_leads_to_its_subject_page() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let r = anon.get("/registry/hukou-transfer?version=1");
    assert!(matches!(r.status, 301 | 302 | 307 | 308), "{}", r.status);
    assert_eq!(
        r.header("location"),
        Some("/registry/matter.hukou-transfer?version=1")
    );
    assert_eq!(anon.get("/registry/no-such-matter").status, 404);
}

/// Given the joint-handling event `application.part-completed`, whose page's heading was cut
/// from its description ("多地联办") while the evidence page calls it 联办环节完成, when its
/// registry page is read, then its heading is the event's one Chinese name.
#[test]
fn an_event_page_is_headed_with_the_event_name() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let html =
        String::from_utf8(anon.get("/registry/application.part-completed").body).expect("utf-8");
    assert!(html.contains("<h1 id=\"title\">联办环节完成 "), "{html}");
    let html = String::from_utf8(anon.get("/registry/application.supplement-requested").body)
        .expect("utf-8");
    assert!(html.contains("<h1 id=\"title\">补正告知 "), "{html}");
    // Its title too, as a matter page's has the matter's name (found by a walkthrough).
    assert!(
        html.contains("<title>补正告知 application.supplement-requested"),
        "{html}"
    );
}

/// Given a subject page showing an older version's fields (`?version=1`), whose compare form
/// dropped the version (比较 showed the latest's fields) and whose version table's links
/// dropped the diff shown, when the page is read, then the form carries `version` in a hidden
/// input and each field-table link keeps `from` and `to`. Versions picked newer first are
/// compared older to newer, saying so (it advised an upcaster from version 2 to 1).
#[test]
fn the_compare_form_and_version_links_keep_what_is_shown() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let forward = String::from_utf8(anon.get("/registry/matter.hukou-transfer?from=1&to=2").body)
        .expect("utf-8");
    let backward = String::from_utf8(anon.get("/registry/matter.hukou-transfer?from=2&to=1").body)
        .expect("utf-8");
    assert!(
        backward.contains("按旧版本到新版本比较：版本 1 → 2"),
        "{backward}"
    );
    assert!(!forward.contains("按旧版本到新版本比较"), "{forward}");
    let result = |html: &str| {
        html.split("<div id=\"diff-result\">")
            .nth(1)
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert_eq!(result(&backward), result(&forward));
    drop(gw);
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let html = String::from_utf8(
        anon.get("/registry/matter.hukou-transfer?version=1&from=1&to=2")
            .body,
    )
    .expect("utf-8");
    let form = html
        .split("<form method=\"get\" action=\"#diff\">")
        .nth(1)
        .and_then(|rest| rest.split("</form>").next())
        .expect("the compare form");
    assert!(
        form.contains("<input type=\"hidden\" name=\"version\" value=\"1\">"),
        "{form}"
    );
    assert!(
        html.contains("href=\"?version=2&amp;from=1&amp;to=2#fields\""),
        "{html}"
    );
    let html = String::from_utf8(anon.get("/registry/matter.hukou-transfer").body).expect("utf-8");
    assert!(
        !html.contains("type=\"hidden\""),
        "nothing asked, nothing carried"
    );
    assert!(html.contains("href=\"?version=1#fields\""));
}

/// Given registry pages read their query loosely (`?version=1&version=2` used 2, `?foo=bar` was
/// ignored) while `/ui/applications/{id}` refuses both, when such a query is sent, then the page
/// is a 400 HTML page naming the parameter in Chinese and English (a made-up name masked), as
/// on the catalogue's `?q=`.
#[test]
fn registry_pages_refuse_a_parameter_twice_or_unknown() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    for (path, says) in [
        (
            "/registry/matter.hukou-transfer?version=1&version=2",
            "查询参数 version 出现了不止一次",
        ),
        (
            "/registry/matter.hukou-transfer?foo=bar",
            "未定义的查询参数 foo",
        ),
        ("/registry?q=a&q=b", "查询参数 q 出现了不止一次"),
        (
            "/registry?version=1",
            "未定义的查询参数 version：本页只接受 q",
        ),
    ] {
        let r = anon.get(path);
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let html = String::from_utf8_lossy(&r.body);
        assert!(html.contains(says), "{path}: {html}");
    }
    assert_eq!(
        anon.get("/registry/matter.hukou-transfer?version=1&from=1&to=2")
            .status,
        200
    );
}

/// Given the pages' footer, which said every page has a JSON counterpart though the search and
/// the version diff have none, when a diff is read, then the footer says which have one and
/// where a compatibility verdict is had as JSON.
#[test]
fn the_footer_says_what_has_json() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let html = String::from_utf8(anon.get("/registry/matter.hukou-transfer?from=1&to=2").body)
        .expect("utf-8");
    let footer = html
        .split("<footer>")
        .nth(1)
        .and_then(|rest| rest.split("</footer>").next())
        .expect("a footer");
    assert!(
        !footer.contains("every page has a JSON counterpart"),
        "{footer}"
    );
    assert!(
        footer.contains("搜索结果和版本比较只有网页")
            && footer.contains("/v1/schemas/{subject}/compatibility"),
        "{footer}"
    );
}

/// Given version 2 of matter.social-security-card and four candidates that each widen one thing
/// (an enum value added, a required field made optional, a material's size made a string, the
/// form opened), when each is checked, then its forward notice says what the candidate did and
/// which version refuses what, under a rule for that direction. The notices once reused the
/// backward phrases: `enum-value-removed: value "express" is no longer allowed` for a value
/// the candidate had just added, `required-added` for a field it had made optional,
/// `range-narrowed: minimum raised to 0` where it had raised nothing.
#[test]
fn forward_notices_say_what_the_candidate_did() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let subject = "/v1/schemas/matter.social-security-card";
    let v2 = anon.get(&format!("{subject}/versions/2")).json();
    let notices = |candidate: &Value| -> Vec<(String, String, String)> {
        let verdict = anon
            .post(&format!("{subject}/compatibility"), candidate)
            .json();
        // Only the size made a string is refused too (version 2's integers no longer read).
        let refused = verdict["incompatibilities"].as_array().map_or(0, Vec::len);
        assert_eq!(verdict["compatible"], refused == 0, "{verdict}");
        verdict["notices"]
            .as_array()
            .expect("notices")
            .iter()
            .map(|n| {
                assert_eq!(n["direction"], "forward", "{n}");
                let s = |k: &str| n[k].as_str().unwrap_or_default().to_string();
                (s("path"), s("rule"), s("reason"))
            })
            .collect()
    };

    let mut express = v2.clone();
    express["$defs"]["CardDelivery"]["oneOf"]
        .as_array_mut()
        .expect("CardDelivery")
        .push(json!({"const": "express", "description": "快递到付", "type": "string"}));
    assert_eq!(
        notices(&express),
        vec![(
            "/form/delivery".to_string(),
            "enum-value-added".to_string(),
            "value \"express\" is new in the candidate; version 2 does not accept it: data \
             written with it cannot be read by readers of version 2"
                .to_string()
        )]
    );

    let mut optional = v2.clone();
    optional["$defs"]["SocialSecurityCardForm"]["required"] =
        json!(["application_type", "delivery"]);
    assert_eq!(
        notices(&optional),
        vec![(
            "/form/insured_region".to_string(),
            "required-removed".to_string(),
            "property insured_region is no longer required in the candidate; version 2 \
             requires it: data written without it cannot be read by readers of version 2"
                .to_string()
        )]
    );

    let mut size = v2.clone();
    size["$defs"]["MaterialRef"]["properties"]["size"] =
        json!({"description": "文件大小 (bytes)", "type": "string"});
    for example in size["examples"].as_array_mut().expect("examples") {
        for m in example["materials"].as_array_mut().expect("materials") {
            m["size"] = json!("102400");
        }
    }
    let found = notices(&size);
    assert!(
        found.contains(&(
            "/materials/*/size".to_string(),
            "type-widened".to_string(),
            "type string is new in the candidate; version 2 accepts only integer: data written \
             as string cannot be read by readers of version 2"
                .to_string()
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "/materials/*/size".to_string(),
            "range-widened".to_string(),
            "the candidate has no minimum here; version 2's minimum is 0: data written below \
             it cannot be read by readers of version 2"
                .to_string()
        )),
        "{found:?}"
    );

    let mut opened = v2.clone();
    opened["$defs"]["SocialSecurityCardForm"]["additionalProperties"] = json!(true);
    assert_eq!(
        notices(&opened),
        vec![(
            "/form".to_string(),
            "object-opened".to_string(),
            "the candidate allows properties it does not list; version 2's object is closed: \
             data written with them cannot be read by readers of version 2"
                .to_string()
        )]
    );
    // None of them reads as the backward change it is not.
    for candidate in [&express, &optional, &size, &opened] {
        for (_, rule, reason) in notices(candidate) {
            assert!(
                !reason.contains("no longer allowed")
                    && !reason.contains("newly required")
                    && !reason.contains("raised to")
                    && ![
                        "enum-value-removed",
                        "required-added",
                        "range-narrowed",
                        "type-narrowed",
                        "object-closed"
                    ]
                    .contains(&rule.as_str()),
                "{rule}: {reason}"
            );
        }
    }
}

/// A registry page, answered 200, as text.
fn page(anon: &common::Client, path: &str) -> String {
    let r = anon.get(path);
    assert_eq!(r.status, 200, "{path}");
    String::from_utf8(r.body).expect("utf-8")
}

/// Given the registry's pages as a province's team walked through them, when read, then: a
/// field's title is not repeated at the start of its description (`材料格式材料格式: …`), nor
/// the punctuation after it (`；第一个为牵头办理地…`); the applicant's `kind` has a Chinese
/// label; an event has one name, the same on the index and as its page's heading (`出证 (办结)`
/// beside `出具结果（证照或结果文书）`); result-issued's `document/format` names that event's own
/// versions, not "matter schemas version 1"; `?q=社保卡` finds the social security card, and
/// `?q=出证` (`挂起`, `申请提交`: an event's own words in its description) the event; and a
/// field with an identifier check lists the rules that check names on its own row, as the
/// 表单规则 table does.
#[test]
fn registry_pages_name_fields_and_events_once_and_rightly() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let page = |path: &str| page(&anon, path);
    let row = |html: &str, path: &str| -> String {
        html.split("<tr class=\"field\">")
            .find(|r| r.starts_with(&format!("<td class=\"path\"><code>{path}</code>")))
            .and_then(|r| r.split("</tr>").next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no row {path}"))
    };

    let card = page("/registry/matter.social-security-card");
    let format = row(&card, "/materials/*/format");
    assert!(
        format.contains("<td>材料格式<br><small>the file&#39;s format"),
        "{format}"
    );
    let detail = row(&card, "/form/delivery_address/detail");
    assert!(
        detail.contains("<td>详细地址<br><small>(街道、门牌号等，不含省市县)</small>"),
        "{detail}"
    );
    // A description cut at a semicolon for its title goes on after it, without it.
    let handlers = row(&card, "/handlers");
    assert!(
        handlers.contains("<td>办理地行政区划代码<br><small>第一个为牵头办理地"),
        "{handlers}"
    );
    let kind = row(&card, "/applicant/kind");
    assert!(kind.contains("<td>申请人类型 kind</td>"), "{kind}");
    // The ID number's check, and the rules it gives, on the field's own row.
    let id = row(&card, "/applicant/id_number");
    assert!(
        id.contains("<ul class=\"checks\">")
            && id.contains("<li><code>gb11643-checksum</code> 公民身份号码校验码正确"),
        "{id}"
    );
    let person = row(&card, "/applicant");
    assert!(
        person.contains("<ul class=\"checks\">") && person.contains("<code>gb11643-"),
        "{person}"
    );

    let index = page("/registry");
    let event = index
        .split("<tr class=\"event\">")
        .find(|r| r.contains("application.result-issued"))
        .expect("the result-issued row");
    assert!(
        event.contains("<td>出具结果（证照或结果文书）: the result document"),
        "{event}"
    );
    assert!(!index.contains("出证 (办结)"), "one name per event");
    let issued = page("/registry/application.result-issued");
    assert!(
        issued.contains("<h1 id=\"title\">出具结果（证照或结果文书） "),
        "{issued}"
    );
    assert!(!issued.contains("出证 (办结)"), "one name per event");
    let format = row(&issued, "/document/format");
    assert!(
        format.contains("(versions of application.result-issued before 2)")
            && !format.contains("matter schemas"),
        "{format}"
    );

    let found = page("/registry?q=%E7%A4%BE%E4%BF%9D%E5%8D%A1");
    assert!(
        found.contains(
            "<tr class=\"matter\"><td><a href=\"/registry/matter.social-security-card\">"
        ),
        "{found}"
    );
    assert!(!found.contains("没有匹配的事项"), "{found}");
    // Everyday names find their matter, and none of another's: 失业金 is 失业保险金申领, not
    // 失业登记; 社保转移 is 医保关系转移 as much as 养老保险关系转移接续.
    for (q, matters) in [
        ("失业证", 1),
        ("养老金转移", 1),
        ("失业金", 0),
        ("社保转移", 0),
    ] {
        let encoded: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
        let found = page(&format!("/registry?q={encoded}"));
        assert_eq!(
            found.matches("<tr class=\"matter\">").count(),
            matters,
            "q={q}: {found}"
        );
    }
    // An event is found by the words its published description names it with, though its row
    // shows the one name in their place (they found none once the row was rewritten).
    for (q, subject) in [
        ("出证", "application.result-issued"),
        ("办结", "application.result-issued"),
        ("挂起", "application.suspended"),
        ("申请提交", "application.submitted"),
        ("出具结果", "application.result-issued"),
    ] {
        let encoded: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
        let found = page(&format!("/registry?q={encoded}"));
        assert!(
            found.contains(&format!(
                "<tr class=\"event\"><td><a href=\"/registry/{subject}\">"
            )),
            "q={q}: {found}"
        );
        assert!(!found.contains("没有匹配的事件"), "q={q}: {found}");
    }
}

/// Given a matter with two versions, when its page shows version 1's fields (`?version=1`), then
/// it says beside the field table, and under the 表单规则 heading, that the rules listed are
/// today's, applied to new submissions under version 2, and that rules are not versioned (the
/// rows of version 1 showed today's rules as if version 1 had been held to them); the rows list
/// the identifier checks version 1's own document carries. When it shows the latest version,
/// then neither note is there.
#[test]
fn an_older_versions_page_says_whose_rules_it_lists() {
    let (_dir, gw) = start();
    let anon = gw.client(None);
    let page = |path: &str| page(&anon, path);
    let note = |html: &str, id: &str| -> Option<String> {
        html.split(&format!("<p class=\"note\" id=\"{id}\">"))
            .nth(1)
            .and_then(|r| r.split("</p>").next())
            .map(str::to_string)
    };
    let older = page("/registry/matter.hukou-transfer?version=1");
    let by_fields = note(&older, "older-version-rules").expect("the note by version 1's fields");
    assert!(
        by_fields.contains("版本 1 不是最新版本（最新为版本 2）")
            && by_fields.contains("新申请一律按版本 2 校验")
            && by_fields.contains("Rules are not versioned: applications submitted under version 1 were held to the rules of their day"),
        "{by_fields}"
    );
    // After the field heading of version 1, before its table.
    let fields_at = older
        .find("Fields (version 1,")
        .expect("version 1's fields");
    let note_at = older.find("id=\"older-version-rules\"").expect("note");
    let table_at = older.find("<table id=\"field-table\"").expect("table");
    assert!(fields_at < note_at && note_at < table_at);
    let by_rules = note(&older, "rules-today").expect("the note under 表单规则");
    assert!(
        by_rules.contains(
            "rules are not versioned: these are today's, for new submissions (validated under version 2)"
        ),
        "{by_rules}"
    );
    assert!(older.find("id=\"rules\"") < older.find("id=\"rules-today\""));
    // Version 1's document checks the ID number: its row lists the check's rules.
    let id_row = older
        .split("<tr class=\"field\">")
        .find(|r| r.starts_with("<td class=\"path\"><code>/applicant/id_number</code>"))
        .and_then(|r| r.split("</tr>").next())
        .expect("the ID number's row");
    assert!(id_row.contains("<code>gb11643-checksum</code>"), "{id_row}");

    for latest in [
        page("/registry/matter.hukou-transfer"),
        page("/registry/matter.hukou-transfer?version=2"),
    ] {
        assert!(note(&latest, "older-version-rules").is_none());
        assert!(note(&latest, "rules-today").is_none());
    }
}
