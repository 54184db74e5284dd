//! The authorization matrix, exhaustively: every action × every kind of caller (origin, lead
//! handler, second handler, unrelated region, operator, no token, revoked token), each with its
//! expected answer, over HTTP against the real binary. Reads too: only parties and operators.

mod common;

use std::process::Command;

use common::{BIN, Client, Gateway, TempDir, created_id};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Origin,
    Lead,
    Second,
    Stranger,
    Operator,
    NoToken,
    Revoked,
}

const EVERYONE: [Who; 7] = [
    Who::Origin,
    Who::Lead,
    Who::Second,
    Who::Stranger,
    Who::Operator,
    Who::NoToken,
    Who::Revoked,
];

struct Cast {
    origin: Client,
    lead: Client,
    second: Client,
    stranger: Client,
    operator: Client,
    anon: Client,
    revoked: Client,
}

impl Cast {
    fn client(&self, who: Who) -> &Client {
        match who {
            Who::Origin => &self.origin,
            Who::Lead => &self.lead,
            Who::Second => &self.second,
            Who::Stranger => &self.stranger,
            Who::Operator => &self.operator,
            Who::NoToken => &self.anon,
            Who::Revoked => &self.revoked,
        }
    }
}

fn body_for(action: &str) -> Value {
    match action {
        "not-accept" => json!({"reason": "不属于受理范围"}),
        "request-supplement" => json!({"items": ["材料"]}),
        "suspend" => json!({"kind": "hearing", "reason": "听证"}),
        "extend-deadline" => json!({"reason": "复杂"}),
        "deny" => json!({"reason": "不符合条件"}),
        "deliver" => json!({"channel": "post", "tracking": "SF100200300"}),
        "forward" => json!({"materials_checked": true}),
        "issue-result" => json!({"licence": {"kind": "电子证照", "number": "ZZ-0001"}}),
        _ => json!({}),
    }
}

/// One row: the action, the steps that make it legal, the callers for whom it succeeds.
type Row = (&'static str, Vec<(Who, &'static str)>, Vec<Who>);

fn table() -> Vec<Row> {
    use Who::*;
    vec![
        ("forward", vec![], vec![Origin]),
        ("accept", vec![(Origin, "forward")], vec![Lead]),
        ("not-accept", vec![(Origin, "forward")], vec![Lead]),
        ("request-supplement", vec![(Origin, "forward")], vec![Lead]),
        (
            "supplement",
            vec![(Origin, "forward"), (Lead, "request-supplement")],
            vec![Origin],
        ),
        (
            "suspend",
            vec![(Origin, "forward"), (Lead, "accept")],
            vec![Lead],
        ),
        (
            "resume",
            vec![(Origin, "forward"), (Lead, "accept"), (Lead, "suspend")],
            vec![Lead],
        ),
        (
            "extend-deadline",
            vec![(Origin, "forward"), (Lead, "accept")],
            vec![Lead],
        ),
        (
            "complete-part",
            vec![(Origin, "forward"), (Lead, "accept")],
            vec![Lead, Second],
        ),
        (
            "approve",
            vec![
                (Origin, "forward"),
                (Lead, "accept"),
                (Lead, "complete-part"),
                (Second, "complete-part"),
            ],
            vec![Lead],
        ),
        (
            "deny",
            vec![
                (Origin, "forward"),
                (Lead, "accept"),
                (Lead, "complete-part"),
                (Second, "complete-part"),
            ],
            vec![Lead],
        ),
        (
            "issue-result",
            vec![
                (Origin, "forward"),
                (Lead, "accept"),
                (Lead, "complete-part"),
                (Second, "complete-part"),
                (Lead, "approve"),
            ],
            vec![Lead],
        ),
        (
            "deliver",
            vec![
                (Origin, "forward"),
                (Lead, "accept"),
                (Lead, "complete-part"),
                (Second, "complete-part"),
                (Lead, "approve"),
                (Lead, "issue-result"),
            ],
            vec![Origin, Lead],
        ),
        (
            "withdraw",
            vec![(Origin, "forward"), (Lead, "accept")],
            vec![Origin],
        ),
    ]
}

fn expected_refusal(who: Who) -> u16 {
    match who {
        Who::NoToken | Who::Revoked => 401,
        // A region that is no party hears what it would hear of an id that does not exist.
        Who::Stranger => 404,
        _ => 403,
    }
}

#[test]
fn every_action_for_every_caller() {
    let dir = TempDir::new("authz");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    // A second token for the origin region, revoked while the gateway runs.
    let out = Command::new(BIN)
        .args(["regions", "token", "440000", "--data"])
        .arg(&data)
        .output()
        .expect("token");
    let revoked_token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let gw = Gateway::start(&data, false);
    let anon = gw.client(None);
    let matters = anon.get("/v1/matters").json();
    let joint = matters["matters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["example"]["mode"] == json!("joint"))
        .expect("a joint example")["example"]
        .clone();
    // Roles by the example: origin, lead handler, second handler; a stranger is anyone else.
    let origin_code = joint["origin"].as_str().expect("origin").to_string();
    let lead_code = joint["handlers"][0].as_str().expect("lead").to_string();
    let second_code = joint["handlers"][1].as_str().expect("second").to_string();
    let stranger_code = ["440000", "330000", "340000", "310000", "510000", "500000"]
        .into_iter()
        .find(|r| ![&origin_code, &lead_code, &second_code].contains(&&r.to_string()))
        .expect("stranger");
    let revoked = if origin_code == "440000" {
        revoked_token.clone()
    } else {
        String::new()
    };
    let cast = Cast {
        origin: gw.client(Some(&tokens[&origin_code])),
        lead: gw.client(Some(&tokens[&lead_code])),
        second: gw.client(Some(&tokens[&second_code])),
        stranger: gw.client(Some(&tokens[stranger_code])),
        operator: gw.client(Some(&tokens["operator"])),
        anon: gw.client(None),
        revoked: gw.client(Some(if revoked.is_empty() {
            "tb_revoked"
        } else {
            &revoked
        })),
    };
    // The revoked token works until it is revoked, then not at all.
    if !revoked.is_empty() {
        assert_eq!(cast.revoked.get("/v1/regions").status, 200);
    }
    let id_of = |out: &str| -> String {
        out.lines()
            .find_map(|l| l.split("token id ").nth(1))
            .map(|s| s.split_whitespace().next().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    let token_id = id_of(&String::from_utf8_lossy(&out.stderr));
    common::tongban_on(&data, &["regions", "revoke", &token_id]);
    assert_eq!(
        gw.client(Some(&revoked_token)).get("/v1/regions").status,
        401,
        "revocation takes effect at once"
    );

    let mut checked = 0;
    for (action, steps, allowed) in table() {
        let created = cast.origin.post("/v1/applications", &joint);
        let id = created_id(&created);
        for (who, step) in &steps {
            let r = cast
                .client(*who)
                .post(&format!("/v1/applications/{id}/{step}"), &body_for(step));
            assert_eq!(
                r.status,
                200,
                "setup {step} for {action}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
        // Reads: parties and operators only.
        for who in EVERYONE {
            let status = cast
                .client(who)
                .get(&format!("/v1/applications/{id}"))
                .status;
            let expected = match who {
                Who::Origin | Who::Lead | Who::Second | Who::Operator => 200,
                other => expected_refusal(other),
            };
            assert_eq!(status, expected, "GET as {who:?}");
            let status = cast
                .client(who)
                .get(&format!("/v1/applications/{id}/events"))
                .status;
            assert_eq!(status, expected, "GET events as {who:?}");
        }
        // Everyone not allowed is refused first (nothing changes), then the rightful caller acts.
        let path = format!("/v1/applications/{id}/{action}");
        for who in EVERYONE.into_iter().filter(|w| !allowed.contains(w)) {
            let r = cast.client(who).post(&path, &body_for(action));
            assert_eq!(
                r.status,
                expected_refusal(who),
                "{action} as {who:?}: {}",
                String::from_utf8_lossy(&r.body)
            );
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            checked += 1;
        }
        let seq_before = cast.operator.get(&format!("/v1/applications/{id}")).json()["seq"].clone();
        assert_eq!(
            seq_before,
            json!(steps.len() + 1),
            "a refused request must append nothing"
        );
        let r = cast.client(allowed[0]).post(&path, &body_for(action));
        assert_eq!(
            r.status,
            200,
            "{action} as {:?}: {}",
            allowed[0],
            String::from_utf8_lossy(&r.body)
        );
        checked += 1;
        if let Some(other) = allowed.get(1) {
            // complete-part: each handler does its own; deliver: the second allowed caller now meets a delivered application.
            let r = cast.client(*other).post(&path, &body_for(action));
            let expected = if action == "complete-part" { 200 } else { 409 };
            assert_eq!(
                r.status,
                expected,
                "{action} as {other:?}: {}",
                String::from_utf8_lossy(&r.body)
            );
            checked += 1;
        }
    }
    assert!(checked >= 14 * 6, "only {checked} checks");
    // Inboxes: own region or operator only.
    assert_eq!(
        cast.stranger
            .get(&format!("/v1/regions/{origin_code}/inbox"))
            .status,
        403
    );
    assert_eq!(
        cast.operator
            .get(&format!("/v1/regions/{origin_code}/inbox"))
            .status,
        200
    );
    assert_eq!(
        cast.anon
            .get(&format!("/v1/regions/{origin_code}/inbox"))
            .status,
        401
    );
}

/// The rule SECURITY.md states for handlers, pinned: every handler named in the submission is a
/// party from the submission on, before the origin forwards it and even when the origin
/// withdraws it unforwarded. It reads the application (with the applicant) and its events, and
/// its feed carries `application.submitted` and the withdrawal; its inbox never lists it, as
/// nothing awaited the handler. A region named nowhere reads nothing.
#[test]
fn handlers_are_parties_from_the_submission_even_if_never_forwarded() {
    let dir = TempDir::new("authz-unforwarded");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let matters = gw.client(None).get("/v1/matters").json();
    let body = matters["matters"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["example"]["mode"] == json!("proxy"))
        .expect("a proxy example")["example"]
        .clone();
    let origin_code = body["origin"].as_str().expect("origin").to_string();
    let lead_code = body["handlers"][0].as_str().expect("lead").to_string();
    let stranger_code = ["440000", "330000", "340000", "310000", "510000", "500000"]
        .into_iter()
        .find(|r| {
            *r != origin_code
                && !body["handlers"]
                    .as_array()
                    .is_some_and(|h| h.contains(&json!(r)))
        })
        .expect("stranger");
    let origin = gw.client(Some(&tokens[&origin_code]));
    let lead = gw.client(Some(&tokens[&lead_code]));
    let stranger = gw.client(Some(&tokens[stranger_code]));
    let id = created_id(&origin.post("/v1/applications", &body));
    let r = origin.post(
        &format!("/v1/applications/{id}/withdraw"),
        &body_for("withdraw"),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let view = lead.get(&format!("/v1/applications/{id}"));
    assert_eq!(view.status, 200);
    assert_eq!(view.json()["status"], json!("withdrawn"));
    assert_eq!(view.json()["applicant"], body["applicant"]);
    assert_eq!(
        lead.get(&format!("/v1/applications/{id}/events")).status,
        200
    );
    let feed = lead
        .get(&format!("/v1/regions/{lead_code}/feed?after=0"))
        .json();
    let kinds: Vec<&str> = feed["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["event"]["app"] == json!(id))
        .filter_map(|e| e["event"]["type"].as_str())
        .collect();
    assert_eq!(kinds, ["application.submitted", "application.withdrawn"]);
    let inbox = lead.get(&format!("/v1/regions/{lead_code}/inbox")).json();
    assert!(
        !inbox["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|i| i["app"] == json!(id)),
        "{inbox}"
    );
    assert_eq!(stranger.get(&format!("/v1/applications/{id}")).status, 404);
    // That read, and one of another region's inbox, leave a line naming who tried: a security
    // officer's question (they left none, only a count in /metrics).
    assert_eq!(
        stranger
            .get(&format!("/v1/regions/{lead_code}/inbox"))
            .status,
        403
    );
    let log = std::fs::read_to_string(&gw.stderr_log).expect("log");
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("refused") && l.contains("method=GET"))
        .collect();
    for (route, status) in [
        ("/v1/applications/{id}", 404),
        ("/v1/regions/{region}/inbox", 403),
    ] {
        assert!(
            refused
                .iter()
                .any(|l| l.contains(&format!("route=\"{route}\""))
                    && l.contains(&format!("status={status}"))
                    && l.contains(&format!("actor=\"{stranger_code}/"))),
            "{route}: {refused:#?}"
        );
    }
}

/// Given a valid token, when it is sent with the scheme in any case (`BEARER`, `bearer`,
/// `Bearer`, RFC 9110 §11.1) or more than one space after it, then the caller is admitted; another
/// scheme is still 401. Guards clients whose HTTP library upper-cases the scheme.
#[test]
fn the_bearer_scheme_is_case_insensitive() {
    let dir = TempDir::new("bearer-case");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let anon = gw.client(None);
    let token = &tokens["440000"];
    for scheme in ["BEARER", "bearer", "Bearer", "bEaReR"] {
        for spaces in [" ", "   "] {
            let value = format!("{scheme}{spaces}{token}");
            let r = anon
                .send("GET", "/v1/regions", &[("Authorization", &value)], None)
                .expect("GET");
            assert_eq!(
                r.status,
                200,
                "{scheme:?}: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
    }
    let r = anon
        .send(
            "GET",
            "/v1/regions",
            &[("Authorization", &format!("Basic {token}"))],
            None,
        )
        .expect("GET");
    assert_eq!(r.status, 401);
    // Two tokens, in either order (a proxy adding its own): refused, not acted on by the first.
    let other = format!("Bearer {}", tokens["310000"]);
    let own = format!("Bearer {token}");
    for pair in [[&own, &other], [&other, &own]] {
        let r = anon
            .send(
                "GET",
                "/v1/regions/440000/inbox",
                &[("Authorization", pair[0]), ("Authorization", pair[1])],
                None,
            )
            .expect("GET");
        assert_eq!(r.status, 401, "{}", String::from_utf8_lossy(&r.body));
        assert!(
            String::from_utf8_lossy(&r.body).contains("more than one Authorization header"),
            "{}",
            String::from_utf8_lossy(&r.body)
        );
    }
}

/// Given a running gateway whose regions.json is then broken, when requests keep coming, then
/// they are still served under the book read before, the broken file is warned of once (not once
/// per request), and /healthz names it under `region_book_unreadable` until the file is fixed,
/// to an operator's token only: without one, or with a region's, the parse error is not told.
/// Guards against a WARN line and a full re-read per request, and an operator left guessing why
/// a new token does not work.
#[test]
fn a_broken_region_book_is_warned_of_once_and_shown_in_healthz() {
    let dir = TempDir::new("book-broken");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    let c = gw.client(Some(&tokens["440000"]));
    assert_eq!(
        operator.get("/healthz").json()["region_book_unreadable"],
        Value::Null
    );
    let book = data.join("regions.json");
    let good = std::fs::read(&book).expect("book");
    std::fs::write(&book, b"{\"regions\": ").expect("break");
    for _ in 0..5 {
        assert_eq!(c.get("/v1/regions").status, 200);
    }
    let health = operator.get("/healthz").json();
    let unreadable = &health["region_book_unreadable"];
    assert!(
        unreadable["why"]
            .as_str()
            .is_some_and(|w| w.starts_with("not a valid region book")),
        "{health}"
    );
    assert_eq!(unreadable["len"], 12, "{health}");
    // A monitor without an operator's token sees it too.
    let metrics = String::from_utf8_lossy(&operator.get("/metrics").body).into_owned();
    assert!(
        metrics.contains("tongban_region_book_unreadable{backend=\"embedded\"} 1"),
        "{metrics}"
    );
    for public in [gw.client(None), c.clone()] {
        let health = public.get("/healthz").json();
        assert_eq!(health.get("region_book_unreadable"), None, "{health}");
    }
    let log = std::fs::read_to_string(&gw.stderr_log).expect("log");
    assert_eq!(
        log.matches("keeping the previous region book").count(),
        1,
        "{log}"
    );
    // The remedy it names is one that works: `tongban regions` refuses this book and rewrites
    // nothing, saying the same.
    let warned = log
        .lines()
        .find(|l| l.contains("keeping the previous region book"))
        .expect("the warning");
    assert_eq!(
        warned
            .matches("Fix it by hand or restore it from the backup of its data directory")
            .count(),
        1,
        "said once: {warned}"
    );
    assert!(!log.contains("which rewrites it"), "{log}");
    let out = std::process::Command::new(common::BIN)
        .args(["regions", "list", "--data"])
        .arg(&data)
        .output()
        .expect("tongban regions list");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is not a valid region book")
            && err.contains("Fix it by hand or restore it from the backup of its data directory"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&book).expect("book"),
        b"{\"regions\": ",
        "rewrote nothing"
    );
    // Fixed: read again, and no longer reported.
    std::fs::write(&book, &good).expect("fix");
    assert_eq!(c.get("/v1/regions").status, 200);
    assert_eq!(
        operator.get("/healthz").json()["region_book_unreadable"],
        Value::Null
    );
    // Broken again while no request authenticates (a quiet gateway): a scrape reads the file
    // itself, so the monitor sees it, and sees it fixed.
    let gauge =
        |value: u8| format!("tongban_region_book_unreadable{{backend=\"embedded\"}} {value}");
    let scrape = || String::from_utf8_lossy(&gw.client(None).get("/metrics").body).into_owned();
    std::fs::write(&book, b"{\"regions\": [").expect("break again");
    assert!(scrape().contains(&gauge(1)), "{}", scrape());
    std::fs::write(&book, &good).expect("fix again");
    assert!(scrape().contains(&gauge(0)), "{}", scrape());
}

/// Given clients that declare a body of a MiB and send only its first KiB, never the rest, when
/// a region acknowledges another region's feed or one not in the federation, an operator acts on
/// an application, a region acts on a path segment that is no id, or anyone asks the
/// compatibility of a subject that is none, then each is answered (403, 404, 403, 400, 404) at
/// once, where a body may take 30 s to arrive: what the head alone refuses comes before the body
/// is read, and a client that sent `Expect: 100-continue` is not told to upload it. The control,
/// a region acknowledging its own feed, waits for its body.
/// (Found by a review: these routes took the body as an extractor, read before their handler
/// looked at the caller's right, the region or the id.)
#[test]
fn what_the_head_refuses_is_refused_before_the_body_is_read() {
    let dir = TempDir::new("head-first");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let gd = gw.client(Some(&tokens["440000"]));
    let operator = gw.client(Some(&tokens["operator"]));
    let anon = gw.client(None);
    let json = [("Content-Type", "application/json")];
    let some_id = "0190a0f2-5b1c-7d3e-8f40-123456789abc";
    let forward = format!("/v1/applications/{some_id}/forward");
    let declared = 1 << 20;
    let at_once = std::time::Duration::from_secs(10);
    let refused: [(&Client, &str, u16, &str); 5] = [
        (&gd, "/v1/regions/330000/feed/ack", 403, "forbidden"),
        (&gd, "/v1/regions/44000/feed/ack", 404, "unknown-region"),
        (&operator, &forward, 403, "forbidden"),
        (
            &gd,
            "/v1/applications/not-an-id/forward",
            400,
            "bad-request",
        ),
        (
            &anon,
            "/v1/schemas/no-such-subject/compatibility",
            404,
            "not-found",
        ),
    ];
    for (client, path, status, slug) in refused {
        let started = std::time::Instant::now();
        let r = common::answer_before_body(client, path, &json, declared, at_once)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let problem = r.json();
        assert_eq!(r.status, status, "{path}: {problem}");
        assert_eq!(
            problem["type"],
            json!(format!("urn:tongban:problem:{slug}")),
            "{path}: {problem}"
        );
        assert!(
            started.elapsed() < at_once,
            "{path}: {:?}",
            started.elapsed()
        );
        let expecting = [json[0], ("Expect", "100-continue")];
        let r = common::answer_before_body(client, path, &expecting, declared, at_once)
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(r.status, status, "{path} with Expect");
    }
    let own = "/v1/regions/440000/feed/ack";
    let control =
        common::answer_before_body(&gd, own, &json, declared, std::time::Duration::from_secs(2));
    assert!(control.is_err(), "answered before its body: {control:?}");
    let expecting = [json[0], ("Expect", "100-continue")];
    let r = common::answer_before_body(&gd, own, &expecting, declared, at_once)
        .expect("an interim answer");
    assert_eq!(r.status, 100);
}

/// Given a running gateway, when `/healthz` is asked without a token, with a region's token, with
/// an unknown token, with a malformed Authorization and with two of them, then each gets 200 and
/// the public answer: what a load balancer or a probe acts on, nothing more; and with an
/// operator's token, the details too (the log and projection positions, the held applications,
/// the region book, the process id), not kept by any cache.
/// (Found by a review: anyone was told the pid, the log's positions and the region book's parse
/// error.)
#[test]
fn healthz_tells_its_details_to_operators_only() {
    let dir = TempDir::new("healthz-details");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let public = [
        "backend",
        "log_available",
        "log_unavailable",
        "projection_lag",
        "projections_unavailable",
        "status",
    ];
    let members = |health: &Value| -> Vec<String> {
        let mut keys: Vec<String> = health
            .as_object()
            .expect("an object")
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    };
    let anon = gw.client(None);
    let asked = [
        ("no token", anon.get("/healthz")),
        (
            "a region's",
            gw.client(Some(&tokens["440000"])).get("/healthz"),
        ),
        (
            "an unknown",
            gw.client(Some("no-such-token")).get("/healthz"),
        ),
        (
            "a malformed",
            anon.send(
                "GET",
                "/healthz",
                &[("Authorization", "Basic b3A6b3A=")],
                None,
            )
            .expect("GET"),
        ),
        (
            "two",
            anon.send(
                "GET",
                "/healthz",
                &[
                    ("Authorization", &format!("Bearer {}", tokens["operator"])),
                    ("Authorization", "Bearer no-such-token"),
                ],
                None,
            )
            .expect("GET"),
        ),
    ];
    for (what, r) in asked {
        assert_eq!(
            r.status,
            200,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let health = r.json();
        assert_eq!(members(&health), public, "{what}: {health}");
        assert_eq!(health["status"], json!("ok"), "{what}: {health}");
    }
    let r = gw.client(Some(&tokens["operator"])).get("/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let health = r.json();
    let mut all: Vec<&str> = public
        .iter()
        .copied()
        .chain([
            "applicants_indexed_after",
            "clock_behind_log_seconds",
            "latest_event_time",
            "log_position",
            "log_unreadable",
            "pid",
            "projection_held",
            "projection_position",
            "projections_unchecked",
            "region_book_unreadable",
            "unknown",
        ])
        .collect();
    all.sort();
    assert_eq!(members(&health), all, "{health}");
    assert_eq!(health["pid"], json!(gw.child.id()), "{health}");
    assert_eq!(health["log_position"], json!(0), "{health}");
    assert_eq!(health["projection_held"], json!(0), "{health}");
    assert_eq!(health["log_unreadable"], json!(0), "{health}");
    assert_eq!(health["projections_unchecked"], Value::Null, "{health}");
    assert_eq!(health["applicants_indexed_after"], Value::Null, "{health}");
    assert_eq!(health["region_book_unreadable"], Value::Null, "{health}");
    assert_eq!(health["unknown"], json!([]), "{health}");
}
