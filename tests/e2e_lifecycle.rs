//! End to end, against the real binary over real sockets: one application per mode through its
//! whole lifecycle with region tokens, the refusals, idempotent submission, and a SIGKILL right
//! after a burst of acknowledged submissions, after which every acknowledged application and an
//! intact hash chain are found.

mod common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use common::{Client, Gateway, TempDir, created_id, success, tokens};
use serde_json::{Value, json};
use tongban_gateway::envelope::{Envelope, PublicKey};

const REGIONS: [&str; 6] = ["440000", "330000", "340000", "310000", "510000", "500000"];

struct World {
    gw: Gateway,
    tokens: BTreeMap<String, String>,
}

impl World {
    fn as_region(&self, code: &str) -> Client {
        self.gw.client(Some(&self.tokens[code]))
    }
}

/// A valid submission for `mode`, built from the published example of a matter allowing it.
fn submission(anon: &Client, mode: &str) -> Value {
    let matters = anon.get("/v1/matters").json();
    let list = matters["matters"].as_array().expect("matters");
    let m = list
        .iter()
        .find(|m| {
            m["modes"]
                .as_array()
                .is_some_and(|ms| ms.iter().any(|x| x == mode))
        })
        .unwrap_or_else(|| panic!("no matter allows {mode}"));
    let mut body = m["example"].clone();
    body["mode"] = json!(mode);
    let origin = body["origin"].as_str().expect("origin").to_string();
    let mut handlers: Vec<String> = body["handlers"]
        .as_array()
        .expect("handlers")
        .iter()
        .filter_map(|h| h.as_str().map(str::to_string))
        .collect();
    let others = REGIONS
        .iter()
        .map(|r| r.to_string())
        .filter(|r| *r != origin);
    match mode {
        "joint" => {
            for r in others {
                if handlers.len() >= 2 {
                    break;
                }
                if !handlers.contains(&r) {
                    handlers.push(r);
                }
            }
        }
        _ => handlers.truncate(1),
    }
    body["handlers"] = json!(handlers);
    common::relocated(body)
}

fn unrelated(body: &Value) -> String {
    let parties: Vec<&str> = std::iter::once(body["origin"].as_str().unwrap_or_default())
        .chain(
            body["handlers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|h| h.as_str()),
        )
        .collect();
    REGIONS
        .iter()
        .find(|r| !parties.contains(r))
        .map(|r| r.to_string())
        .expect("an unrelated region")
}

fn act(c: &Client, id: &str, action: &str, body: Value) -> common::Response {
    c.post(&format!("/v1/applications/{id}/{action}"), &body)
}

fn expect_problem(r: common::Response, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let p = r.json();
    assert_eq!(p["status"], json!(status));
    assert!(
        p["type"]
            .as_str()
            .is_some_and(|t| t.starts_with("urn:tongban:problem:"))
    );
    p
}

fn public_key(c: &Client) -> PublicKey {
    let keys = c.get("/v1/keys").json();
    PublicKey::from_hex(keys["keys"][0]["public_key_hex"].as_str().expect("key"))
        .expect("valid key")
}

/// Fetches an application's events and checks every link, hash and signature.
fn assert_chain(c: &Client, id: &str, key: &PublicKey) -> Vec<Envelope> {
    let events: Vec<Envelope> = serde_json::from_value(
        c.get(&format!("/v1/applications/{id}/events")).json()["events"].clone(),
    )
    .expect("envelopes");
    let mut prev: Option<&Envelope> = None;
    for e in &events {
        e.verify_link(prev, key)
            .unwrap_or_else(|err| panic!("{id} seq {}: {err}", e.seq));
        prev = Some(e);
    }
    events
}

#[test]
fn every_mode_runs_its_lifecycle_and_acknowledged_writes_survive_sigkill() {
    let dir = TempDir::new("lifecycle");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let world = World {
        tokens: tokens(&data),
        gw,
    };
    let anon = world.gw.client(None);
    let key = public_key(&anon);
    let matters_doc = anon.get("/v1/matters").json();
    let mut all_ids = Vec::new();

    // ---- proxy (异地代收代办), with every kind of refusal on the way --------------------------
    let body = submission(&anon, "proxy");
    let origin = world.as_region(body["origin"].as_str().expect("origin"));
    let lead = world.as_region(body["handlers"][0].as_str().expect("handler"));
    let stranger = world.as_region(&unrelated(&body));

    expect_problem(anon.post("/v1/applications", &body), 401);
    expect_problem(
        world
            .gw
            .client(Some("tb_not-a-token"))
            .post("/v1/applications", &body),
        401,
    );
    // Submitting as another region than the origin in the body.
    let p = expect_problem(lead.post("/v1/applications", &body), 403);
    assert!(
        p["detail"].as_str().is_some_and(|d| d.contains("origin")),
        "{p}"
    );

    // Two keys on one request name two submissions: refused at the header, nothing created
    // under either (a retry with the second key must not make a second application).
    let p = expect_problem(
        origin.post_with(
            "/v1/applications",
            &[
                ("Idempotency-Key", "proxy-1"),
                ("Idempotency-Key", "proxy-2"),
            ],
            &body,
        ),
        400,
    );
    assert_eq!(p["errors"][0]["pointer"], "header:Idempotency-Key", "{p}");
    assert_eq!(p["errors"][0]["rule"], "once", "{p}");
    // A key that reads as personal data (the applicant's ID number, a mobile number) is taken
    // with a warning at the key that does not echo it: the application's id is a hash of it, in
    // URLs and NATS subjects. (Found by a JetStream walkthrough.)
    let r = origin.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "11010519491231002X")],
        &body,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(!String::from_utf8_lossy(&r.body).contains("11010519491231002X"));
    let warnings = r.json()["warnings"].clone();
    assert!(
        warnings.as_array().is_some_and(|w| w
            .iter()
            .any(|w| w["pointer"] == "header:Idempotency-Key" && w["rule"] == "personal-data")),
        "{warnings}"
    );
    // Its retry (a first answer lost) is told the same: the warnings came with the 201 only.
    let retry = origin.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "11010519491231002X")],
        &body,
    );
    assert_eq!(
        retry.status,
        200,
        "{}",
        String::from_utf8_lossy(&retry.body)
    );
    assert_eq!(retry.json()["warnings"], warnings);
    // The same key repeated (a proxy copying headers) names one submission: taken, and a
    // retry with the key once is the same application.
    let twice = origin.post_with(
        "/v1/applications",
        &[
            ("Idempotency-Key", "proxy-0"),
            ("Idempotency-Key", "proxy-0"),
        ],
        &body,
    );
    assert_eq!(
        twice.status,
        201,
        "{}",
        String::from_utf8_lossy(&twice.body)
    );
    let once = origin.post_with("/v1/applications", &[("Idempotency-Key", "proxy-0")], &body);
    assert_eq!(once.status, 200);
    assert_eq!(once.json()["id"], twice.json()["id"]);

    let first = origin.post_with("/v1/applications", &[("Idempotency-Key", "proxy-1")], &body);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let created = first.json();
    let id = created["id"].as_str().expect("id").to_string();
    assert_eq!(
        (created["status"].clone(), created["seq"].clone()),
        (json!("submitted"), json!(1))
    );
    let again = origin.post_with("/v1/applications", &[("Idempotency-Key", "proxy-1")], &body);
    assert_eq!(again.status, 200);
    assert_eq!(
        again.json()["id"],
        json!(id),
        "same Idempotency-Key must return the same application"
    );
    let mut changed = body.clone();
    changed["form"] = json!({"something": "else"});
    expect_problem(
        origin.post_with(
            "/v1/applications",
            &[("Idempotency-Key", "proxy-1")],
            &changed,
        ),
        422,
    );

    // The handler sees it in its inbox only once it is forwarded; the origin sees it now.
    let inbox = |c: &Client, region: &str| -> Vec<String> {
        c.get(&format!("/v1/regions/{region}/inbox")).json()["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["app"].as_str().map(str::to_string))
            .collect()
    };
    let origin_code = body["origin"].as_str().expect("origin").to_string();
    let lead_code = body["handlers"][0].as_str().expect("lead").to_string();
    assert!(inbox(&origin, &origin_code).contains(&id));
    assert!(!inbox(&lead, &lead_code).contains(&id));
    expect_problem(lead.get(&format!("/v1/regions/{origin_code}/inbox")), 403);

    // A region that is no party hears, byte for byte, what it hears of an id that does not
    // exist: nothing tells it that the application is there.
    let missing = tongban_gateway::ids::new_v7();
    for (hidden, unknown) in [
        (
            act(
                &stranger,
                &id,
                "forward",
                json!({"materials_checked": true}),
            ),
            act(
                &stranger,
                &missing,
                "forward",
                json!({"materials_checked": true}),
            ),
        ),
        (
            stranger.get(&format!("/v1/applications/{id}")),
            stranger.get(&format!("/v1/applications/{missing}")),
        ),
        (
            stranger.get(&format!("/v1/applications/{id}/events")),
            stranger.get(&format!("/v1/applications/{missing}/events")),
        ),
    ] {
        assert_eq!(unknown.status, 404);
        let hidden_body = String::from_utf8_lossy(&hidden.body).replace(&id, &missing);
        assert_eq!(
            (hidden.status, hidden_body),
            (
                unknown.status,
                String::from_utf8_lossy(&unknown.body).into_owned()
            )
        );
    }
    let p = expect_problem(act(&lead, &id, "accept", json!({})), 409);
    assert_eq!(p["state"], json!("submitted"));
    assert_eq!(p["current_seq"], json!(1), "both halves of the state: {p}");
    success(&act(
        &origin,
        &id,
        "forward",
        json!({"materials_checked": true}),
    ));
    assert!(inbox(&lead, &lead_code).contains(&id));
    expect_problem(act(&origin, &id, "accept", json!({})), 403); // wrong role
    let p = expect_problem(act(&origin, &id, "supplement", json!({})), 409);
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("supplement") && d.contains("forwarded")),
        "{p}"
    );
    // Invalid payload: every problem named at its pointer.
    let p = expect_problem(
        act(
            &lead,
            &id,
            "request-supplement",
            json!({"items": [], "colour": "red"}),
        ),
        422,
    );
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["pointer"].as_str())
        .collect();
    assert!(
        pointers.contains(&"/items") && pointers.contains(&"/colour"),
        "{p}"
    );
    success(&act(
        &lead,
        &id,
        "request-supplement",
        json!({"items": ["户口簿首页复印件"]}),
    ));
    success(&act(&origin, &id, "supplement", json!({"note": "已补齐"})));
    // Stale expected_seq.
    let p = expect_problem(act(&lead, &id, "accept", json!({"expected_seq": 2})), 409);
    assert_eq!(p["current_seq"], json!(4));
    assert_eq!(p["state"], json!("supplemented"), "{p}");
    // A whole number is read however it is written, as everywhere else in a body.
    let p = expect_problem(act(&lead, &id, "accept", json!({"expected_seq": 2.0})), 409);
    assert_eq!(p["current_seq"], json!(4));
    // An id in capitals is told apart from an unknown one, revealing nothing.
    let p = expect_problem(
        lead.get(&format!("/v1/applications/{}", id.to_uppercase())),
        400,
    );
    assert!(
        p["errors"][0]["rule"] == json!("uuid-lowercase")
            && p["detail"].as_str().is_some_and(|d| d.contains(&id)),
        "{p}"
    );
    success(&act(
        &lead,
        &id,
        "accept",
        json!({"expected_seq": 4, "reference": "SL-0001"}),
    ));
    // A part is for joint applications: a conflict with this one (409 with its state), not a
    // fault of the body.
    let p = expect_problem(act(&lead, &id, "complete-part", json!({})), 409);
    assert_eq!(
        (&p["type"], &p["state"], &p["current_seq"]),
        (
            &json!("urn:tongban:problem:not-joint"),
            &json!("accepted"),
            &json!(5)
        ),
        "{p}"
    );
    success(&act(
        &lead,
        &id,
        "suspend",
        json!({"kind": "expert-review", "reason": "专家评审"}),
    ));
    expect_problem(act(&lead, &id, "approve", json!({})), 409);
    // While suspended, the decision deadline says since when it is paused, and its pause is
    // open; `due` is the date it would fall on if it resumed today.
    let decision = |view: &Value| {
        view["deadlines"]
            .as_array()
            .and_then(|ds| ds.iter().find(|d| d["kind"] == json!("decision")))
            .cloned()
            .unwrap_or_else(|| panic!("no decision deadline: {view}"))
    };
    let paused = decision(&origin.get(&format!("/v1/applications/{id}")).json());
    assert_eq!(paused["situation"], json!("paused"), "{paused}");
    let since = paused["paused_since"].as_str().expect("paused_since");
    assert_eq!(paused["pauses"], json!([{"from": since}]), "{paused}");
    assert!(paused["due"].is_string(), "{paused}");
    success(&act(&lead, &id, "resume", json!({})));
    let resumed = decision(&origin.get(&format!("/v1/applications/{id}")).json());
    assert!(resumed.get("paused_since").is_none(), "{resumed}");
    assert!(resumed["pauses"][0]["to"].is_string(), "{resumed}");
    success(&act(
        &lead,
        &id,
        "approve",
        json!({"decision_number": "JD-0001"}),
    ));
    expect_problem(act(&origin, &id, "withdraw", json!({})), 409); // only before the decision
    // A result names what was issued: its 电子证照 or its document.
    let p = expect_problem(act(&lead, &id, "issue-result", json!({})), 422);
    assert_eq!(
        (&p["errors"][0]["pointer"], &p["errors"][0]["rule"]),
        (&json!("/licence"), &json!("licence-or-document")),
        "{p}"
    );
    success(&act(
        &lead,
        &id,
        "issue-result",
        json!({"licence": {"kind": "电子证照", "number": "ZZ-0001"}}),
    ));
    // Only a delivery by post has a 快递单号, and it must.
    for (body, rule) in [
        (
            json!({"channel": "window", "tracking": "SF123"}),
            "post-only",
        ),
        (json!({"channel": "post"}), "required-for-post"),
    ] {
        let p = expect_problem(act(&origin, &id, "deliver", body), 422);
        assert_eq!(
            (&p["errors"][0]["pointer"], &p["errors"][0]["rule"]),
            (&json!("/tracking"), &json!(rule)),
            "{p}"
        );
    }
    let done = success(&act(&origin, &id, "deliver", json!({"channel": "window"})));
    assert_eq!(done["status"], json!("delivered"));
    let view = origin.get(&format!("/v1/applications/{id}")).json();
    assert_eq!(
        (view["status"].clone(), view["seq"].clone()),
        (json!("delivered"), json!(10))
    );
    assert!(
        view["deadlines"].as_array().is_some_and(|d| d.len() >= 3),
        "{view}"
    );
    let events = assert_chain(&origin, &id, &key);
    let types: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        types,
        [
            "application.submitted",
            "application.forwarded",
            "application.supplement-requested",
            "application.supplemented",
            "application.accepted",
            "application.suspended",
            "application.resumed",
            "application.approved",
            "application.result-issued",
            "application.delivered",
        ]
    );
    all_ids.push(id);

    // ---- online (全程网办): the handler delivers ------------------------------------------------
    let body = submission(&anon, "online");
    let origin = world.as_region(body["origin"].as_str().expect("origin"));
    let lead = world.as_region(body["handlers"][0].as_str().expect("handler"));
    let id = created_id(&origin.post("/v1/applications", &body));
    success(&act(
        &origin,
        &id,
        "forward",
        json!({"materials_checked": true}),
    ));
    success(&act(&lead, &id, "accept", json!({})));
    success(&act(
        &lead,
        &id,
        "extend-deadline",
        json!({"reason": "情况复杂，经负责人批准"}),
    ));
    expect_problem(
        act(&lead, &id, "extend-deadline", json!({"reason": "again"})),
        409,
    );
    success(&act(&lead, &id, "approve", json!({})));
    success(&act(
        &lead,
        &id,
        "issue-result",
        json!({"document": {"name": "准予许可决定书", "kind": "decision", "sha256": "ab".repeat(32), "size": 2048, "format": "ofd"}}),
    ));
    assert_eq!(
        success(&act(&lead, &id, "deliver", json!({"channel": "online"})))["status"],
        json!("delivered")
    );
    assert_eq!(assert_chain(&lead, &id, &key).len(), 7);
    all_ids.push(id);

    // ---- joint (多地联办): the decision waits for every part ------------------------------------
    let body = submission(&anon, "joint");
    let origin = world.as_region(body["origin"].as_str().expect("origin"));
    let lead = world.as_region(body["handlers"][0].as_str().expect("lead"));
    let second = world.as_region(body["handlers"][1].as_str().expect("second handler"));
    let id = created_id(&origin.post("/v1/applications", &body));
    success(&act(
        &origin,
        &id,
        "forward",
        json!({"materials_checked": true}),
    ));
    expect_problem(act(&second, &id, "accept", json!({})), 403); // only the lead accepts
    success(&act(&lead, &id, "accept", json!({})));
    let p = expect_problem(act(&lead, &id, "approve", json!({})), 409);
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("outstanding")),
        "{p}"
    );
    success(&act(&second, &id, "complete-part", json!({"part": "迁出"})));
    expect_problem(act(&second, &id, "complete-part", json!({})), 409);
    success(&act(&lead, &id, "complete-part", json!({"part": "迁入"})));
    success(&act(&lead, &id, "approve", json!({})));
    success(&act(
        &lead,
        &id,
        "issue-result",
        json!({"document": {"name": "准予许可决定书", "kind": "decision", "sha256": "ab".repeat(32), "size": 2048, "format": "ofd"}}),
    ));
    assert_eq!(
        success(&act(
            &lead,
            &id,
            "deliver",
            json!({"channel": "post", "tracking": "SF100200300"})
        ))["status"],
        json!("delivered")
    );
    assert_eq!(assert_chain(&origin, &id, &key).len(), 8);
    all_ids.push(id);

    // ---- withdrawal, and operators read but do not act -------------------------------------
    let body = submission(&anon, "proxy");
    let origin = world.as_region(body["origin"].as_str().expect("origin"));
    let lead = world.as_region(body["handlers"][0].as_str().expect("handler"));
    let id = created_id(&origin.post("/v1/applications", &body));
    success(&act(
        &origin,
        &id,
        "forward",
        json!({"materials_checked": true}),
    ));
    success(&act(&lead, &id, "accept", json!({})));
    assert_eq!(
        success(&act(
            &origin,
            &id,
            "withdraw",
            json!({"reason": "申请人撤回"})
        ))["status"],
        json!("withdrawn")
    );
    expect_problem(act(&lead, &id, "approve", json!({})), 409);
    let operator = world.gw.client(Some(&world.tokens["operator"]));
    assert_eq!(
        operator.get(&format!("/v1/applications/{id}")).json()["status"],
        json!("withdrawn")
    );
    expect_problem(
        act(
            &operator,
            &id,
            "forward",
            json!({"materials_checked": true}),
        ),
        403,
    );
    all_ids.push(id);

    // ---- burst of acknowledged submissions, then SIGKILL -----------------------------------
    let acked: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let burst_body = submission(&anon, "online");
    let burst_origin = world.as_region(burst_body["origin"].as_str().expect("origin"));
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let (c, acked, stop, body) = (
                burst_origin.clone(),
                Arc::clone(&acked),
                Arc::clone(&stop),
                burst_body.clone(),
            );
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let key = format!("burst-{w}-{n}");
                    match c.send(
                        "POST",
                        "/v1/applications",
                        &[("Idempotency-Key", &key)],
                        Some(body.to_string().as_bytes()),
                    ) {
                        Ok(r) if r.status == 201 => {
                            if let Some(id) = r.json()["id"].as_str() {
                                acked.lock().expect("lock").push(id.to_string());
                            }
                        }
                        Ok(r) => panic!(
                            "burst submission failed: {} {}",
                            r.status,
                            String::from_utf8_lossy(&r.body)
                        ),
                        Err(_) => break, // the gateway is gone
                    }
                }
            })
        })
        .collect();
    let started = std::time::Instant::now();
    while acked.lock().expect("lock").len() < 300
        && started.elapsed() < std::time::Duration::from_secs(60)
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let World { mut gw, tokens } = world;
    let stderr_first_run = gw.stderr_log.clone();
    gw.kill9(); // while submissions are still in flight
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().expect("worker");
    }
    let acknowledged = acked.lock().expect("lock").clone();
    assert!(
        acknowledged.len() >= 300,
        "only {} acknowledged",
        acknowledged.len()
    );

    // ---- restart: everything acknowledged is there, chains intact ---------------------------
    let mut gw = Gateway::start(&data, true);
    let operator = gw.client(Some(&tokens["operator"]));
    let key_after = public_key(&operator);
    assert_eq!(key_after, key, "the signing key survives restarts");
    for id in acknowledged.iter().chain(all_ids.iter()) {
        let r = operator.get(&format!("/v1/applications/{id}"));
        assert_eq!(
            r.status, 200,
            "acknowledged application {id} lost after SIGKILL"
        );
        assert_chain(&operator, id, &key);
    }
    // The projections caught up with the log at start.
    let health = operator.get("/healthz").json();
    assert_eq!(health["projection_lag"], json!(0), "{health}");
    assert_eq!(
        gw.terminate().code(),
        Some(0),
        "graceful shutdown on SIGTERM"
    );

    // Nothing personal went into the gateway's logs along the way.
    let personal = common::personal_values(&matters_doc);
    assert!(
        personal.len() >= 16,
        "too few fixture values to be a real check: {personal:?}"
    );
    common::assert_absent_from(&gw.stderr_log, &personal);
    common::assert_absent_from(&stderr_first_run, &personal);
    // Each refused write left a line naming who, where and why: the accept before forwarding
    // (409), the origin's accept (403), the anonymous submission (401).
    let first_run = std::fs::read_to_string(&stderr_first_run).expect("log");
    let refused: Vec<&str> = first_run
        .lines()
        .filter(|l| l.contains("refused"))
        .collect();
    assert!(
        refused
            .iter()
            .any(|l| l.contains("/v1/applications/{id}/accept")
                && l.contains("status=409")
                && l.contains(&format!("actor=\"{lead_code}/"))
                && l.contains("problem=")),
        "{refused:#?}"
    );
    assert!(
        refused
            .iter()
            .any(|l| l.contains("status=403") && l.contains(&format!("actor=\"{origin_code}/"))),
        "{refused:#?}"
    );
    assert!(
        refused
            .iter()
            .any(|l| l.contains("status=401") && l.contains("actor=\"-\"")),
        "{refused:#?}"
    );

    // An offline verifier over the data dir agrees.
    let out = std::process::Command::new(common::BIN)
        .args(["verify", "--data"])
        .arg(&data)
        .output()
        .expect("verify");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.starts_with("intact"), "{text}");
}

/// Given a canonical submission whose applicant has a 15-digit (pre-1999) ID number, which the
/// checks doubt without refusing, when it is posted over HTTP, then it is created (201) and the
/// answer carries the warning at `/applicant/id_number` without the number itself; a retry under
/// the same Idempotency-Key is answered 200 with it too (a first answer may be lost). (Found by a
/// walkthrough of the docs: the HTTP route dropped the warnings architecture.md promises; only
/// the service's own test, which skips the route's checks, heard them.)
#[test]
fn a_canonical_submission_is_told_what_the_checks_doubt() {
    let dir = TempDir::new("warnings");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let anon = gw.client(None);
    let mut body = common::matter_example(&anon, "social-security-card");
    // Born 1960-10-15, sequence 001: odd, a man, as the example's sex says.
    body["applicant"]["id_number"] = json!("440305601015001");
    let origin = gw.client(Some(&tokens[body["origin"].as_str().expect("origin")]));
    let key = [("Idempotency-Key", "legacy-id-1")];
    let first = origin.post_with("/v1/applications", &key, &body);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let answer = first.json();
    let warnings = answer["warnings"].as_array().expect("warnings");
    assert!(
        warnings
            .iter()
            .any(|w| w["pointer"] == "/applicant/id_number"
                && w["rule"].as_str().is_some_and(|r| r.starts_with("gb11643"))),
        "{answer}"
    );
    assert!(!answer.to_string().contains("440305601015001"), "{answer}");
    let again = origin.post_with("/v1/applications", &key, &body);
    assert_eq!(
        again.status,
        200,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    // Its retry carries the same warnings (a client whose first answer was lost learns them).
    assert_eq!(
        again.json()["warnings"],
        answer["warnings"],
        "{}",
        again.json()
    );
}

/// Given a region's CI holding its canonical bodies to the gateway's rules, when it sends them to
/// the dry run (`POST /v1/applications/check`), then each is answered as `POST
/// /v1/applications` would answer it — a valid body 200 with the same warnings (a 15-digit ID
/// number), a card sent by post without an address 422 `required-when` (a form rule the
/// registry's JSON Schema does not carry), a handler no region of the federation 422
/// `unknown-region` — and nothing is appended, no key taken: the real submission under the
/// same key afterwards creates the application (201). An operator is refused (403), and a
/// misspelt query parameter too (400), never taken for a submission.
#[test]
fn a_dry_run_answers_as_the_submission_would_and_appends_nothing() {
    let dir = TempDir::new("dry-run");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let operator = gw.client(Some(&tokens["operator"]));
    let position = || operator.get("/healthz").json()["log_position"].clone();
    let anon = gw.client(None);
    let valid = common::matter_example(&anon, "social-security-card");
    let origin = gw.client(Some(&tokens[valid["origin"].as_str().expect("origin")]));
    let before = position();
    let check = |body: &Value, key: &str| {
        origin.post_with("/v1/applications/check", &[("Idempotency-Key", key)], body)
    };

    let ok = check(&valid, "dry-1");
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    // The demo holds an open application of the example's applicant for this matter, which
    // the origin is party to: the one warning, saying the submission would still be taken.
    let warned = ok.json();
    let warnings = warned["warnings"].as_array().cloned().unwrap_or_default();
    assert!(
        !warnings.is_empty()
            && warnings.iter().all(|w| w["rule"] == "possible-duplicate"
                && w["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("would still be taken"))),
        "{warned}"
    );

    let mut legacy = valid.clone();
    // Born 1960-10-15, sequence 001: odd, a man, as the example's sex says.
    legacy["applicant"]["id_number"] = json!("440305601015001");
    let doubted = check(&legacy, "dry-2");
    assert_eq!(
        doubted.status,
        200,
        "{}",
        String::from_utf8_lossy(&doubted.body)
    );
    let warnings = doubted.json()["warnings"].clone();
    assert!(
        warnings.as_array().is_some_and(|w| w
            .iter()
            .any(|w| w["pointer"] == "/applicant/id_number" && w["rule"] == "gb11643-legacy")),
        "{warnings}"
    );

    let mut unposted = valid.clone();
    unposted["form"]["delivery"] = json!("post");
    unposted["form"]
        .as_object_mut()
        .expect("form")
        .remove("delivery_address");
    let mut nowhere = valid.clone();
    nowhere["handlers"] = json!(["440300"]);
    for (body, pointer, rule) in [
        (&unposted, "/form/delivery_address", "required-when"),
        (&nowhere, "/handlers/0", "unknown-region"),
    ] {
        let dry = check(body, "dry-3");
        let real = origin.post_with("/v1/applications", &[("Idempotency-Key", "dry-3")], body);
        assert_eq!((dry.status, real.status), (422, 422), "{}", dry.json());
        let errors = dry.json()["errors"].clone();
        assert_eq!(
            errors,
            real.json()["errors"],
            "the dry run answers as the submission"
        );
        assert!(
            errors.as_array().is_some_and(|e| e
                .iter()
                .any(|e| e["pointer"] == pointer && e["rule"] == rule)),
            "{rule}: {errors}"
        );
    }
    assert_eq!(position(), before, "a dry run appends nothing");

    let refused = operator.post("/v1/applications/check", &valid);
    assert_eq!(
        refused.status,
        403,
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    let misspelt = origin.post_with(
        "/v1/applications/check?dryrun=true",
        &[("Idempotency-Key", "dry-4")],
        &valid,
    );
    assert_eq!(
        misspelt.status,
        400,
        "{}",
        String::from_utf8_lossy(&misspelt.body)
    );
    assert_eq!(position(), before);

    // The keys the dry run saw were not taken: the submission under one of them creates it.
    let real = origin.post_with("/v1/applications", &[("Idempotency-Key", "dry-1")], &valid);
    assert_eq!(real.status, 201, "{}", String::from_utf8_lossy(&real.body));
    // The same warnings as its dry run, said of a submission taken.
    let said = |answer: &Value| -> Vec<(String, String)> {
        answer["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|w| (w["rule"].to_string(), w["pointer"].to_string()))
            .collect()
    };
    let taken = real.json();
    assert_eq!(said(&taken), said(&warned), "{taken}");
    assert!(taken.to_string().contains("was still taken"), "{taken}");
    let real = origin.post_with("/v1/applications", &[("Idempotency-Key", "dry-2")], &legacy);
    assert_eq!(real.status, 201, "{}", String::from_utf8_lossy(&real.body));
    // The same warnings as its dry run but for the applications open then: the 15-digit number
    // is the example applicant's, upgraded, and dry-1's application was taken in between.
    let beside_duplicates = |warnings: &Value| -> Vec<Value> {
        warnings
            .as_array()
            .into_iter()
            .flatten()
            .filter(|w| w["rule"] != "possible-duplicate")
            .cloned()
            .collect()
    };
    assert_eq!(
        beside_duplicates(&real.json()["warnings"]),
        beside_duplicates(&warnings),
        "the same warnings as its dry run"
    );
}

/// A demo gateway with one application of `mode` submitted by its origin: where several tests
/// begin. The data directory goes once the gateway has stopped (`_dir` is dropped last).
struct Submitted {
    _dir: TempDir,
    gw: Gateway,
    tokens: BTreeMap<String, String>,
    body: Value,
    origin: Client,
    id: String,
}

impl Submitted {
    /// A client of the application's lead handler.
    fn lead(&self) -> Client {
        let lead = self.body["handlers"][0].as_str().expect("lead");
        self.gw.client(Some(&self.tokens[lead]))
    }
}

fn submitted(name: &str, mode: &str) -> Submitted {
    let dir = TempDir::new(name);
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = tokens(&data);
    let body = submission(&gw.client(None), mode);
    let origin = gw.client(Some(&tokens[body["origin"].as_str().expect("origin")]));
    let id = created_id(&origin.post("/v1/applications", &body));
    Submitted {
        _dir: dir,
        gw,
        tokens,
        body,
        origin,
        id,
    }
}

/// Given a forwarded application, when the origin sends its forward again with the
/// `expected_seq` it was first sent with (a client whose answer was lost), then the answer is the
/// event the first appended, `200` with `"repeated": true`, and the history holds it once; the
/// same request without `expected_seq` is refused by the lifecycle (409). (Found by a region
/// team's walkthrough: the retry was told 409 stale-seq, caused by its own write.)
#[test]
fn an_action_repeated_with_its_expected_seq_is_answered_with_its_event() {
    let Submitted {
        _dir,
        gw: _gw,
        origin,
        id,
        ..
    } = submitted("action-repeat", "proxy");
    let forward = json!({"materials_checked": true, "expected_seq": 1});
    let first = act(&origin, &id, "forward", forward.clone());
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.json()["repeated"], json!(false), "{}", first.json());
    let again = act(&origin, &id, "forward", forward);
    assert_eq!(
        again.status,
        200,
        "{}",
        String::from_utf8_lossy(&again.body)
    );
    let again = again.json();
    assert_eq!(again["repeated"], json!(true), "{again}");
    assert_eq!(again["seq"], json!(2));
    assert_eq!(again["event"], first.json()["event"]);
    expect_problem(
        act(&origin, &id, "forward", json!({"materials_checked": true})),
        409,
    );
    let events = origin.get(&format!("/v1/applications/{id}/events")).json();
    assert_eq!(events["events"].as_array().map(Vec::len), Some(2));
}

/// Given an application's history, when it is read a page at a time
/// (`?after_seq=&limit=`), then each page holds the events after the seq asked, names the hash
/// of the event it follows and whether more follow; a page's parameters are judged by name and
/// rule, and an `after_seq` past the last event is refused naming it.
#[test]
fn an_applications_events_are_read_a_page_at_a_time() {
    let Submitted {
        _dir,
        gw: _gw,
        origin,
        id,
        ..
    } = submitted("events-page", "proxy");
    let forwarded = act(&origin, &id, "forward", json!({"materials_checked": true}));
    assert_eq!(
        forwarded.status,
        200,
        "{}",
        String::from_utf8_lossy(&forwarded.body)
    );
    let whole = origin.get(&format!("/v1/applications/{id}/events")).json();
    let events = whole["events"].as_array().expect("events").clone();
    assert_eq!(events.len(), 2);

    let first = origin
        .get(&format!("/v1/applications/{id}/events?limit=1"))
        .json();
    assert_eq!(first["events"], json!([events[0]]), "{first}");
    assert_eq!(first["after_seq"], json!(0));
    assert_eq!(first["after_hash"], json!(null));
    assert_eq!(first["more"], json!(true));
    assert_eq!(first["next_after_seq"], json!(1));
    let second = origin
        .get(&format!("/v1/applications/{id}/events?after_seq=1&limit=1"))
        .json();
    assert_eq!(second["events"], json!([events[1]]), "{second}");
    assert_eq!(second["after_hash"], events[0]["hash"]);
    assert_eq!(second["more"], json!(false));
    assert_eq!(second["next_after_seq"], json!(2));
    let end = origin
        .get(&format!("/v1/applications/{id}/events?after_seq=2"))
        .json();
    assert_eq!(end["events"], json!([]), "{end}");
    assert_eq!(
        (end["more"].clone(), end["next_after_seq"].clone()),
        (json!(false), json!(2))
    );

    for (query, pointer, rule) in [
        ("after_seq=abc", "query:after_seq", "type"),
        ("after_seq=3", "query:after_seq", "beyond-history"),
        ("limit=0", "query:limit", "range"),
        ("limit=1001", "query:limit", "range"),
    ] {
        let problem = expect_problem(
            origin.get(&format!("/v1/applications/{id}/events?{query}")),
            400,
        );
        let found = &problem["errors"][0];
        assert_eq!(
            (found["pointer"].as_str(), found["rule"].as_str()),
            (Some(pointer), Some(rule)),
            "{query}: {problem}"
        );
    }
    let past = expect_problem(
        origin.get(&format!("/v1/applications/{id}/events?after_seq=3")),
        400,
    );
    assert!(
        past["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("(seq 2)")),
        "{past}"
    );
    expect_problem(
        origin.get(&format!("/v1/applications/{id}/events?page=2")),
        400,
    );
}

/// Given an application of 23 events, when its history is read five events a page, from its
/// start to its end, from its middle and after its last event, then each page is the whole
/// history's events after the seq asked, with the hash of the event it follows, whether more
/// follow and the next page's `after_seq` (the embedded log reads each page's events and the
/// one after them, not the history); past its last event, it is refused naming seq 23.
#[test]
fn a_longer_history_is_read_a_page_at_a_time_from_its_start_middle_and_end() {
    let s = submitted("events-pages", "proxy");
    let (origin, id) = (&s.origin, &s.id);
    success(&act(
        origin,
        id,
        "forward",
        json!({"materials_checked": true}),
    ));
    let lead = s.lead();
    success(&act(&lead, id, "accept", json!({})));
    common::suspend_and_resume(&lead, id, 10);
    let events = common::pages_agree_with_the_whole(origin, id, 5);
    assert_eq!(events.len(), 23);
}

/// Given an online application on its way, when its lead sends a 受理编号, a 决定文书编号, a
/// licence number and the origin a 快递单号 holding a right-to-left override
/// (`YS-2026-\u{202e}4321\u{202c}`, shown as YS-2026-1234), then each is refused 422 at its
/// field with the rule `bidi-control`, saying which characters are not allowed and never
/// echoing the number, and nothing is appended; a suspension's reason in Uyghur, with its
/// marks, is taken, and the numbers written plainly are, and are found by what a reader copies.
/// (Found by a red-team walkthrough: all four were taken, and a search for the number the page
/// showed found nothing.)
#[test]
fn an_identifier_holding_a_bidi_control_is_refused_at_its_field() {
    let Submitted {
        _dir,
        gw,
        tokens,
        body,
        origin,
        id,
    } = submitted("bidi-identifiers", "online");
    let lead = gw.client(Some(&tokens[body["handlers"][0].as_str().expect("lead")]));
    let operator = gw.client(Some(&tokens["operator"]));
    success(&act(&origin, &id, "forward", json!({})));
    let events = |c: &Client| {
        c.get(&format!("/v1/applications/{id}/events")).json()["events"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let refused = |c: &Client, action: &str, body: Value, pointer: &str, digits: &str| {
        let before = events(c);
        let p = expect_problem(act(c, &id, action, body), 422);
        let errors = p["errors"].as_array().expect("errors");
        assert_eq!(errors.len(), 1, "{p}");
        assert_eq!(errors[0]["pointer"], pointer, "{p}");
        assert_eq!(errors[0]["rule"], "bidi-control", "{p}");
        let message = errors[0]["message"].as_str().expect("message");
        assert!(
            message.contains("U+202E RIGHT-TO-LEFT OVERRIDE") && message.contains("U+2066–U+2069"),
            "{message}"
        );
        assert!(!p.to_string().contains(digits), "the number is echoed: {p}");
        assert_eq!(events(c), before, "{action} appended an event");
    };
    refused(
        &lead,
        "accept",
        json!({"reference": "YS-2026-\u{202e}4321\u{202c}"}),
        "/reference",
        "4321",
    );
    success(&act(
        &lead,
        &id,
        "accept",
        json!({"reference": "YS-2026-1234"}),
    ));
    let uyghur = "\u{202b}ئابدۇرېھىم ئابدۇللا\u{202c} 专家评审";
    success(&act(
        &lead,
        &id,
        "suspend",
        json!({"kind": "expert-review", "reason": uyghur}),
    ));
    success(&act(&lead, &id, "resume", json!({})));
    refused(
        &lead,
        "approve",
        json!({"decision_number": "\u{202e}0987\u{202c}"}),
        "/decision_number",
        "0987",
    );
    success(&act(&lead, &id, "approve", json!({})));
    refused(
        &lead,
        "issue-result",
        json!({"licence": {"kind": "社会保障卡", "number": "SSC-\u{202e}9876543210"}}),
        "/licence/number",
        "9876543210",
    );
    success(&act(
        &lead,
        &id,
        "issue-result",
        json!({"licence": {"kind": "社会保障卡", "number": "SSC-0123456789"}}),
    ));
    refused(
        &lead,
        "deliver",
        json!({"channel": "post", "tracking": "SF\u{202e}0987654321"}),
        "/tracking",
        "0987654321",
    );
    // The number a reader copies is the one stored.
    let found = operator.get("/v1/applications?serial=YS-2026-1234").json();
    assert!(found.to_string().contains(&id), "{found}");
    // The reason is stored exactly as given.
    let stored = lead.get(&format!("/v1/applications/{id}/events")).json();
    assert!(
        stored["events"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["data"]["reason"] == uyghur),
        "{stored}"
    );
}

/// Given a forwarded application, when its lead sends bodies with several faults, then one 422
/// lists them all, each at its pointer: an unknown member beside a blank 受理编号 and a negative
/// `expected_seq`; a licence whose type and number are both blank (judged before the state, which
/// does not allow the action yet); a blank reason beside a 决定文书编号 of the wrong type. (Found by
/// a walkthrough: each fix revealed the next fault.)
#[test]
fn every_fault_of_an_action_body_is_told_in_one_answer() {
    let Submitted {
        _dir,
        gw,
        tokens,
        body,
        origin,
        id,
    } = submitted("action-faults", "online");
    let lead = gw.client(Some(&tokens[body["handlers"][0].as_str().expect("lead")]));
    success(&act(&origin, &id, "forward", json!({})));
    let told = |r: common::Response| -> Vec<(String, String)> {
        let p = expect_problem(r, 422);
        p["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| {
                (
                    e["pointer"].as_str().unwrap_or("").to_string(),
                    e["rule"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    let mut faults = told(act(
        &lead,
        &id,
        "accept",
        json!({"reference": " ", "colour": "red", "expected_seq": -1}),
    ));
    faults.sort();
    assert_eq!(
        faults,
        [
            ("/colour".to_string(), "unknown-property".to_string()),
            ("/expected_seq".to_string(), "minimum".to_string()),
            ("/reference".to_string(), "blank".to_string()),
        ]
    );
    let faults = told(act(
        &lead,
        &id,
        "issue-result",
        json!({"licence": {"kind": " ", "number": " "}}),
    ));
    assert_eq!(
        faults,
        [
            ("/licence/kind".to_string(), "blank".to_string()),
            ("/licence/number".to_string(), "blank".to_string()),
        ]
    );
    // A member the schema refuses for its type is left out, and the rules judge the rest; a
    // rule's finding at that member is not told beside the schema's.
    let mut faults = told(act(
        &lead,
        &id,
        "deny",
        json!({"reason": " ", "decision_number": 7}),
    ));
    faults.sort();
    assert_eq!(
        faults,
        [
            ("/decision_number".to_string(), "type".to_string()),
            ("/reason".to_string(), "blank".to_string()),
        ]
    );
    let faults = told(act(
        &lead,
        &id,
        "deliver",
        json!({"channel": "post", "tracking": 12345}),
    ));
    assert_eq!(faults, [("/tracking".to_string(), "type".to_string())]);
}

/// Given a gateway started with `--max-suspensions 3` and an online application its lead
/// handler accepted, then suspended and resumed three times, when the lead checks a fourth
/// suspension and sends it, then both are refused 409 `suspension-limit` with the state and seq
/// (nothing appended), the third suspension sent again from its seq is answered as its repeat
/// (200, `repeated`, its seq), the application's view and the lead's inbox line no longer offer
/// `suspend` (they still offer the decision), and the replay's steps each list only the pause
/// they began or ended, the state's deadline all three. Started again with `off` or 4, the
/// same inbox line (no event since) offers `suspend` as the view does and the dry run takes
/// it, and with 3 again it does not. A cap of 0, or one not a number, stops
/// the start, naming the option. (Found by a red team: 5,000 suspend/resume pairs in a minute
/// grew one application's replay with the square of its history.)
#[test]
fn suspensions_past_the_gateways_cap_are_refused_and_not_offered() {
    let dir = TempDir::new("suspension-cap");
    let data = dir.0.join("data");
    for bad in ["0", "-1", "twenty"] {
        let (code, _, err) = common::tongban(
            &["serve", "--listen", "127.0.0.1:0", "--max-suspensions", bad],
            &dir.0.join("refused"),
        );
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("--max-suspensions: a whole number from 1"),
            "{bad}: {err}"
        );
    }
    let gw = Gateway::start_with(&data, true, &["--max-suspensions", "3"]);
    let (body, origin, handlers, id) = common::accepted(&gw, &data, "online");
    let lead = &handlers[0];
    common::suspend_and_resume(lead, &id, 3);
    let suspend = json!({"kind": "hearing", "reason": "第四次听证"});
    for path in ["suspend/check", "suspend"] {
        let r = lead.post(&format!("/v1/applications/{id}/{path}"), &suspend);
        let p = common::refused(&r, 409, "suspension-limit");
        assert_eq!(
            (&p["state"], &p["current_seq"]),
            (&json!("accepted"), &json!(9))
        );
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("suspended 3 time(s)"), "{p}");
    }
    // The third suspension (seq 8, sent from 7) sent again after its resumption, its answer
    // lost: its repeat, answered as it was, though the cap is reached.
    let third = json!({"kind": "expert-review", "reason": "专家评审", "expected_seq": 7});
    for path in ["suspend/check", "suspend"] {
        let r = lead.post(&format!("/v1/applications/{id}/{path}"), &third);
        let answer = common::success(&r);
        assert_eq!(
            (&answer["repeated"], &answer["seq"]),
            (&json!(true), &json!(8)),
            "{path}: {answer}"
        );
    }
    let events = origin.get(&format!("/v1/applications/{id}/events")).json();
    assert_eq!(events["events"].as_array().map(Vec::len), Some(9));

    let lead_code = body["handlers"][0].as_str().expect("lead");
    let view = lead.get(&format!("/v1/applications/{id}")).json();
    let line = common::box_line(lead, lead_code, "inbox", &id);
    for allowed in [&view["allowed"], &line["allowed"]] {
        let allowed = allowed.as_array().expect("allowed");
        assert!(!allowed.contains(&json!("suspend")), "{allowed:?}");
        assert!(allowed.contains(&json!("approve")), "{allowed:?}");
    }

    let replay = origin.get(&format!("/v1/applications/{id}/replay")).json();
    let decision = |deadlines: &Value| {
        deadlines
            .as_array()
            .and_then(|ds| ds.iter().find(|d| d["kind"] == json!("decision")))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let steps = replay["steps"].as_array().expect("steps");
    for (i, step) in steps.iter().enumerate().skip(3) {
        let d = decision(&step["deadlines"]);
        assert_eq!(d["pauses"].as_array().map(Vec::len), Some(1), "{step}");
        assert_eq!(d["pause_count"], json!((i - 3) / 2 + 1), "{step}");
    }
    let now = decision(&replay["deadlines"]);
    assert_eq!(now["pauses"].as_array().map(Vec::len), Some(3), "{now}");
    assert_eq!(now["pause_count"], json!(3), "{now}");

    // The same lines, written under a cap of 3, served by the gateway started again with
    // another cap (no event since): `suspend` is offered by the line as by the view and the
    // action under `off`, and not again under 3.
    let tokens = common::tokens(&data);
    let mut gw = gw;
    assert_eq!(gw.terminate().code(), Some(0));
    drop(gw);
    for (cap, offered) in [("off", true), ("4", true), ("3", false)] {
        let gw = Gateway::start_with(&data, true, &["--max-suspensions", cap]);
        let lead = gw.client(Some(&tokens[lead_code]));
        let view = lead.get(&format!("/v1/applications/{id}")).json();
        let line = common::box_line(&lead, lead_code, "inbox", &id);
        for allowed in [&view["allowed"], &line["allowed"]] {
            let allowed = allowed.as_array().expect("allowed");
            assert_eq!(
                allowed.contains(&json!("suspend")),
                offered,
                "{cap}: {allowed:?}"
            );
        }
        assert_eq!(line["suspensions"], json!(3), "{line}");
        let check = lead.post(&format!("/v1/applications/{id}/suspend/check"), &suspend);
        assert_eq!(check.status == 200, offered, "{cap}: {}", check.status);
        let mut gw = gw;
        assert_eq!(gw.terminate().code(), Some(0));
    }
}
