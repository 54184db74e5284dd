//! A region follows its own work durably: it reads its feed page by page, acknowledges what it
//! processed, and after the gateway is killed and restarted it resumes from its cursor. In the
//! end it has seen every event of every application it takes part in exactly once, in log order,
//! and nothing of applications it has no part in.

mod common;

use common::{Client, Gateway, TempDir, matter_example};
use serde_json::json;

const ZJ: &str = "330000";

/// Reads one page after the cursor, "processes" it (records positions), acknowledges it.
fn consume_page(zj: &Client, seen: &mut Vec<(u64, String, u64)>) -> usize {
    let page = zj.get(&format!("/v1/regions/{ZJ}/feed?limit=4")).json();
    let events = page["events"].as_array().cloned().unwrap_or_default();
    for e in &events {
        let position = e["position"].as_u64().expect("position");
        seen.push((
            position,
            e["event"]["app"].as_str().expect("app").to_string(),
            e["event"]["seq"].as_u64().expect("seq"),
        ));
    }
    if let Some(last) = events.last() {
        let r = zj.post(
            &format!("/v1/regions/{ZJ}/feed/ack"),
            &json!({"position": last["position"]}),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        // A page past the cursor moves it.
        assert_eq!(
            r.json(),
            json!({"region": ZJ, "acked": last["position"], "moved": true})
        );
    }
    events.len()
}

#[test]
fn a_region_resumes_its_feed_after_a_restart_without_gaps_or_repeats() {
    let dir = TempDir::new("feed");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let mut gw = Gateway::start(&data, false);
    let anon = gw.client(None);
    let hukou = matter_example(&anon, "hukou-transfer"); // 440000 → 330000, 340000 (joint)
    let pension = matter_example(&anon, "pension-transfer"); // 340000 → 310000: not Zhejiang's
    assert!(
        hukou["handlers"]
            .as_array()
            .is_some_and(|h| h.iter().any(|r| r == ZJ))
    );
    assert!(
        pension["origin"] != json!(ZJ)
            && pension["handlers"]
                .as_array()
                .is_some_and(|h| h.iter().all(|r| r != ZJ))
    );

    let client = |gw: &Gateway, code: &str| gw.client(Some(&tokens[code]));
    let mut ours = Vec::new();
    for round in 0..3 {
        let gd = client(&gw, "440000");
        let id = gd
            .post_with(
                "/v1/applications",
                &[("Idempotency-Key", &format!("hk-{round}"))],
                &hukou,
            )
            .json()["id"]
            .as_str()
            .expect("id")
            .to_string();
        assert_eq!(
            gd.post(
                &format!("/v1/applications/{id}/forward"),
                &json!({"materials_checked": true})
            )
            .status,
            200
        );
        let ah = client(&gw, "340000");
        let other = ah.post_with(
            "/v1/applications",
            &[("Idempotency-Key", &format!("pt-{round}"))],
            &pension,
        );
        assert_eq!(other.status, 201);
        ours.push(id);
    }
    // Zhejiang consumes two pages, then the gateway dies.
    let mut seen = Vec::new();
    let zj = client(&gw, ZJ);
    consume_page(&zj, &mut seen);
    consume_page(&zj, &mut seen);
    assert_eq!(
        seen.len(),
        6,
        "all six of Zhejiang's events so far: {seen:?}"
    );
    // More work arrives, then SIGKILL.
    let zj_accept =
        client(&gw, ZJ).post(&format!("/v1/applications/{}/accept", ours[0]), &json!({}));
    assert_eq!(zj_accept.status, 200);
    gw.kill9();

    let gw = Gateway::start(&data, false);
    let zj = client(&gw, ZJ);
    assert_eq!(
        zj.get(&format!("/v1/regions/{ZJ}/feed")).json()["acked"],
        json!(seen.last().map(|s| s.0))
    );
    let more = client(&gw, "340000").post(
        &format!("/v1/applications/{}/complete-part", ours[0]),
        &json!({}),
    );
    assert_eq!(more.status, 200);
    while consume_page(&zj, &mut seen) > 0 {}

    // Exactly Zhejiang's events, each once, in log order.
    let positions: Vec<u64> = seen.iter().map(|s| s.0).collect();
    let mut sorted = positions.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(positions, sorted, "in order, no repeats");
    assert!(
        seen.iter().all(|(_, app, _)| ours.contains(app)),
        "only Zhejiang's applications"
    );
    let expected: usize = ours
        .iter()
        .map(|id| {
            gw.client(Some(&tokens["operator"]))
                .get(&format!("/v1/applications/{id}"))
                .json()["seq"]
                .as_u64()
                .unwrap_or(0) as usize
        })
        .sum();
    assert_eq!(
        seen.len(),
        expected,
        "every event of Zhejiang's applications: {seen:?}"
    );

    // Only Zhejiang acknowledges its feed; others may not even read it (operators may).
    assert_eq!(
        client(&gw, "440000")
            .get(&format!("/v1/regions/{ZJ}/feed"))
            .status,
        403
    );
    assert_eq!(
        gw.client(Some(&tokens["operator"]))
            .get(&format!("/v1/regions/{ZJ}/feed"))
            .status,
        200
    );
    let r = gw.client(Some(&tokens["operator"])).post(
        &format!("/v1/regions/{ZJ}/feed/ack"),
        &json!({"position": 1}),
    );
    assert_eq!(r.status, 403);
    let r = zj.post(
        &format!("/v1/regions/{ZJ}/feed/ack"),
        &json!({"position": 999_999}),
    );
    assert_eq!(r.status, 422);
    // Nor is a read after a position the feed never showed answered as "nothing yet": its `next`
    // would pass over every event up to it.
    let last = *positions.last().expect("read");
    // Acknowledging the cursor again (a retry), or a position behind it (an adapter whose own
    // record went back), is answered 200 with the cursor where it stands, saying it did not move.
    for position in [last, positions[0]] {
        let r = zj.post(
            &format!("/v1/regions/{ZJ}/feed/ack"),
            &json!({"position": position}),
        );
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json(),
            json!({"region": ZJ, "acked": last, "moved": false})
        );
    }
    let r = zj.get(&format!("/v1/regions/{ZJ}/feed?after=13612345678"));
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let problem = r.json();
    assert_eq!(
        problem["errors"][0]["pointer"],
        json!("query:after"),
        "{problem}"
    );
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("beyond the feed")),
        "{problem}"
    );
    // A phone's digits typed there are said by their count, never echoed; so in an
    // acknowledgement's position, and in a read naming a position to wait for.
    let said = String::from_utf8_lossy(&r.body).to_string();
    assert!(!said.contains("13612345678"), "{said}");
    assert!(said.contains("a number of 11 digits"), "{said}");
    let r = zj.post(
        &format!("/v1/regions/{ZJ}/feed/ack"),
        &json!({"position": 13_800_138_000_u64}),
    );
    assert_eq!(r.status, 422);
    let said = String::from_utf8_lossy(&r.body).to_string();
    assert!(!said.contains("13800138000"), "{said}");
    assert!(said.contains("a number of 11 digits"), "{said}");
    let r = zj
        .send(
            "GET",
            &format!("/v1/regions/{ZJ}/inbox"),
            &[("X-Tongban-Read-After", "13800138000")],
            None,
        )
        .expect("GET");
    assert!(r.status >= 400, "{}", String::from_utf8_lossy(&r.body));
    let said = String::from_utf8_lossy(&r.body).to_string();
    assert!(!said.contains("13800138000"), "{said}");
    let r = zj.get(&format!("/v1/regions/{ZJ}/feed?after={last}"));
    assert_eq!(r.status, 200, "the feed's end itself reads, empty");
    assert_eq!(r.json()["next"], json!(last));
}

/// A region route naming no region of the federation (a code mistyped, `44000`) is answered 404
/// saying so, to an authenticated caller, whoever it is; a real other region's route stays 403.
/// The request is still authenticated first and counted against the caller's rate limit.
#[test]
fn a_mistyped_region_is_not_found_and_another_region_still_forbidden() {
    let dir = TempDir::new("feed-unknown-region");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let client = |gw: &Gateway, code: &str| gw.client(Some(&tokens[code]));
    let gd = client(&gw, "440000");
    let operator = gw.client(Some(&tokens["operator"]));
    let not_found = |r: common::Response, what: &str| {
        assert_eq!(
            r.status,
            404,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let p = r.json();
        assert_eq!(
            p["type"], "urn:tongban:problem:unknown-region",
            "{what}: {p}"
        );
        let detail = p["detail"].as_str().unwrap_or("");
        assert!(
            detail.contains("\"44000\"") && detail.contains("GET /v1/regions"),
            "{what}: {p}"
        );
    };
    not_found(gd.get("/v1/regions/44000/feed"), "feed");
    not_found(
        gd.post("/v1/regions/44000/feed/ack", &json!({"position": 1})),
        "ack",
    );
    not_found(gd.get("/v1/regions/44000/inbox"), "inbox");
    not_found(gd.get("/v1/regions/44000/outbox"), "outbox");
    let form = matter_example(&gw.client(None), "medical-filing");
    not_found(
        gd.post("/v1/regions/44000/forms/medical-filing", &form),
        "forms",
    );
    not_found(
        gd.post("/v1/regions/44000/translate/medical-filing", &form),
        "translate",
    );
    not_found(operator.get("/v1/regions/44000/feed"), "operator's feed");
    not_found(
        gd.send(
            "POST",
            "/v1/regions/44000/reconcile",
            &[("Content-Type", "text/csv")],
            Some(b"app,status\n"),
        )
        .expect("reconcile"),
        "region's reconcile",
    );
    not_found(
        operator
            .send(
                "POST",
                "/v1/regions/44000/reconcile",
                &[("Content-Type", "text/csv")],
                Some(b"app,status\n"),
            )
            .expect("reconcile"),
        "reconcile",
    );
    // A real other region: still 403, on every region route.
    assert_eq!(gd.get(&format!("/v1/regions/{ZJ}/feed")).status, 403);
    assert_eq!(
        gd.post(
            &format!("/v1/regions/{ZJ}/feed/ack"),
            &json!({"position": 1})
        )
        .status,
        403
    );
    assert_eq!(gd.get(&format!("/v1/regions/{ZJ}/inbox")).status, 403);
    assert_eq!(
        gd.post(&format!("/v1/regions/{ZJ}/forms/medical-filing"), &form)
            .status,
        403
    );
    // Without a valid token, nothing is said about regions at all.
    assert_eq!(gw.client(None).get("/v1/regions/44000/feed").status, 401);
    assert_eq!(
        gw.client(Some("not-a-token"))
            .get("/v1/regions/44000/feed")
            .status,
        401
    );
    drop(gw);

    // The 404s are counted against the caller's rate limit like any other request.
    let gw = Gateway::start_with(&data, false, &["--rate-limit", "0.01:2"]);
    let gd = client(&gw, "440000");
    assert_eq!(gd.get("/v1/regions/44000/feed").status, 404);
    assert_eq!(gd.get("/v1/regions/44000/feed").status, 404);
    assert_eq!(gd.get("/v1/regions/44000/feed").status, 429);
}

/// Every write answers the log position of its event (`X-Tongban-Position`: the one the feed
/// shows it at), and any authenticated request may name a position it must reflect
/// (`X-Tongban-Read-After`), or `latest`. On the embedded log, a position beyond the log's end
/// was never answered here and is refused at once, naming the header, as is anything that is no
/// position; a write naming one appends nothing. A request without a valid token is refused
/// for that first.
#[test]
fn a_write_answers_its_position_and_a_request_may_name_one() {
    let dir = TempDir::new("feed-positions");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let gd = gw.client(Some(&tokens["440000"]));
    let zj = gw.client(Some(&tokens[ZJ]));
    let hukou = matter_example(&gw.client(None), "hukou-transfer");
    let position = |r: &common::Response| -> u64 {
        r.header("x-tongban-position")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no position: {:?}", r.header("x-tongban-position")))
    };
    let feed = |c: &Client| -> Vec<(u64, String, u64)> {
        let page = c.get(&format!("/v1/regions/{ZJ}/feed")).json();
        page["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                (
                    e["position"].as_u64().expect("position"),
                    e["event"]["app"].as_str().expect("app").to_string(),
                    e["event"]["seq"].as_u64().expect("seq"),
                )
            })
            .collect()
    };

    let submitted = gd.post_with("/v1/applications", &[("Idempotency-Key", "pos-1")], &hukou);
    let id = common::created_id(&submitted);
    let first = position(&submitted);
    let repeated = gd.post_with("/v1/applications", &[("Idempotency-Key", "pos-1")], &hukou);
    assert_eq!(repeated.status, 200);
    assert!(position(&repeated) >= first);
    let forwarded = gd.post(
        &format!("/v1/applications/{id}/forward"),
        &json!({"materials_checked": true}),
    );
    assert_eq!(common::success(&forwarded)["status"], "forwarded");
    let second = position(&forwarded);
    assert!(second > first);
    assert_eq!(
        feed(&zj),
        vec![(first, id.clone(), 1), (second, id.clone(), 2)]
    );

    let read = |c: &Client, after: &str| {
        c.send(
            "GET",
            &format!("/v1/applications/{id}"),
            &[("X-Tongban-Read-After", after)],
            None,
        )
        .expect("GET")
    };
    for after in [second.to_string(), "0".into(), "latest".into()] {
        let r = read(&zj, &after);
        assert_eq!(
            r.status,
            200,
            "{after}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["status"], "forwarded");
    }
    let refused = |r: common::Response, rule: &str| {
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
        let p = r.json();
        assert_eq!(
            p["errors"][0]["pointer"], "header:X-Tongban-Read-After",
            "{p}"
        );
        assert_eq!(p["errors"][0]["rule"], rule, "{p}");
        p
    };
    let beyond = refused(read(&zj, &(second + 1).to_string()), "beyond-log");
    assert!(
        beyond["detail"]
            .as_str()
            .is_some_and(|d| d.contains(&format!("ends at {second}"))),
        "{beyond}"
    );
    for bad in ["-1", "soon", "1.5"] {
        refused(read(&zj, bad), "position");
    }
    // A position the log holds, written with a leading zero: refused as a query string's
    // number is, not taken for that position (a review found `007` taken).
    let padded = refused(read(&zj, &format!("0{second}")), "position");
    assert!(
        padded["detail"]
            .as_str()
            .is_some_and(|d| d.contains("without a sign, spaces, a fraction or leading zeros")),
        "{padded}"
    );
    // A write naming a position beyond the log: refused before anything is appended.
    let accept = zj
        .send(
            "POST",
            &format!("/v1/applications/{id}/accept"),
            &[("X-Tongban-Read-After", &(second + 5).to_string())],
            Some(b"{}"),
        )
        .expect("POST");
    refused(accept, "beyond-log");
    assert_eq!(feed(&zj).len(), 2, "nothing appended");
    // No token: refused for that, whatever the header says.
    assert_eq!(read(&gw.client(None), "soon").status, 401);
}

/// A data directory restored whole from a backup taken before its last events (the operator's
/// walkthrough of docs/operations.md, "Backups of a gateway's data dir"): the positions the
/// gateway answered after the backup are gone, and new events will be given them. A region that
/// names one (its acknowledged feed position, a write's `X-Tongban-Position`) is refused saying
/// so, restore included, not only "another deployment, or mistyped", and pointed at the docs;
/// and `tongban verify --heads` with a head saved before the restore names the positions lost,
/// as the restore checklist says.
#[test]
fn positions_lost_to_a_restore_from_an_older_backup_are_refused_naming_it() {
    let dir = TempDir::new("feed-restore");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let hukou = |gw: &Gateway, key: &str| {
        let gd = gw.client(Some(&tokens["440000"]));
        let body = matter_example(&gw.client(None), "hukou-transfer");
        let r = gd.post_with("/v1/applications", &[("Idempotency-Key", key)], &body);
        common::created_id(&r);
        r.header("x-tongban-position")
            .and_then(|p| p.parse::<u64>().ok())
            .expect("a position")
    };
    let mut gw = Gateway::start(&data, false);
    let backed_up = hukou(&gw, "before-1").max(hukou(&gw, "before-2"));
    gw.terminate();
    let backup = dir.0.join("backup-1");
    common::copy_dir(&data, &backup);

    let mut gw = Gateway::start(&data, false);
    let mut last = 0;
    for key in ["after-1", "after-2"] {
        last = hukou(&gw, key);
    }
    assert!(last > backed_up);
    let zj = gw.client(Some(&tokens[ZJ]));
    let page = zj.get(&format!("/v1/regions/{ZJ}/feed")).json();
    assert_eq!(page["next"], json!(last), "{page}");
    let acked = zj.post(
        &format!("/v1/regions/{ZJ}/feed/ack"),
        &json!({"position": last}),
    );
    assert_eq!(
        acked.status,
        200,
        "{}",
        String::from_utf8_lossy(&acked.body)
    );
    let head = gw
        .client(Some(&tokens["operator"]))
        .get("/v1/log/head")
        .json();
    assert_eq!(head["position"], json!(last), "{head}");
    let heads = dir.0.join("heads.jsonl");
    std::fs::write(&heads, format!("{head}\n")).expect("heads");
    gw.terminate();

    std::fs::rename(&data, dir.0.join("data.after")).expect("mv");
    common::copy_dir(&backup, &data);
    let gw = Gateway::start(&data, false);
    let zj = gw.client(Some(&tokens[ZJ]));
    let restored = |p: &serde_json::Value| {
        let detail = p["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(&format!("{last}"))
                && detail.contains(&format!("{backed_up}"))
                && detail.contains("restored from a backup that ends before it")
                && detail.contains(&format!("positions after {backed_up} will name new events"))
                && detail.contains("\"Retention and backups\""),
            "{p}"
        );
    };
    let read = zj
        .send(
            "GET",
            &format!("/v1/regions/{ZJ}/inbox"),
            &[("X-Tongban-Read-After", &last.to_string())],
            None,
        )
        .expect("GET");
    assert_eq!(read.status, 400, "{}", String::from_utf8_lossy(&read.body));
    assert_eq!(read.json()["errors"][0]["rule"], "beyond-log");
    restored(&read.json());
    let feed = zj.get(&format!("/v1/regions/{ZJ}/feed?after={last}"));
    assert_eq!(feed.status, 422, "{}", String::from_utf8_lossy(&feed.body));
    restored(&feed.json());
    let ack = zj.post(
        &format!("/v1/regions/{ZJ}/feed/ack"),
        &json!({"position": last}),
    );
    assert_eq!(ack.status, 422, "{}", String::from_utf8_lossy(&ack.body));
    restored(&ack.json());
    // The places the refusals point at are there.
    let doc = |name: &str| {
        std::fs::read_to_string(format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR")))
            .expect("docs")
    };
    assert!(doc("operations.md").contains("\n## Retention and backups\n"));
    assert!(doc("adapters.md").contains("- **After a restore.**"));
    // The region's acknowledged cursor is the backup's: it reads on from there.
    assert_eq!(
        zj.get(&format!("/v1/regions/{ZJ}/feed")).json()["acked"],
        json!(0)
    );
    drop(gw);

    // The checklist: a head saved before the restore names the positions lost.
    let out = std::process::Command::new(common::BIN)
        .args(["verify", "--heads"])
        .arg(&heads)
        .arg("--data")
        .arg(&data)
        .output()
        .expect("verify");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "log positions {}-{last} held events when the gateway signed the head",
            backed_up + 1
        )),
        "{text}"
    );
}

/// A feed position the log holds but the projections have not reached yet (catching up after a
/// crash, or a slow projector: here the projector is held back by the test hook) is valid: the
/// feed's `after` and the acknowledgement of it are answered 503 `not-caught-up` with
/// Retry-After, saying to keep it, not 422 with the restore's "drop it", which would make an
/// adapter throw away a good cursor. Only a position past the log's end is refused as one.
#[test]
fn a_position_the_log_holds_and_the_projections_not_yet_is_asked_again_not_dropped() {
    let dir = TempDir::new("feed-not-projected");
    let data = dir.0.join("data");
    let tokens = common::register_regions(&data);
    let gw = Gateway::start_env(
        &data,
        false,
        &[],
        &[("TONGBAN_TEST_PROJECTOR_DELAY_MS", "60000")],
    );
    let gd = gw.client(Some(&tokens["440000"]));
    let body = matter_example(&gw.client(None), "hukou-transfer");
    let r = gd.post_with("/v1/applications", &[("Idempotency-Key", "held")], &body);
    common::created_id(&r);
    let position = r
        .header("x-tongban-position")
        .and_then(|p| p.parse::<u64>().ok())
        .expect("a position");
    let health = gw.client(Some(&tokens["operator"])).get("/healthz").json();
    assert_eq!(health["log_position"], json!(position), "{health}");
    assert!(
        health["projection_position"]
            .as_u64()
            .is_some_and(|p| p < position),
        "the projector is held back: {health}"
    );

    let zj = gw.client(Some(&tokens[ZJ]));
    let not_yet = |r: common::Response, what: &str| {
        assert_eq!(
            r.status,
            503,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.header("retry-after"), Some("1"), "{what}");
        let problem = r.json();
        assert_eq!(
            problem["type"],
            json!("urn:tongban:problem:not-caught-up"),
            "{what}: {problem}"
        );
        let detail = problem["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(&format!("{what} {position} is in the log"))
                && detail.contains("Keep the position")
                && !detail.contains("restored"),
            "{what}: {problem}"
        );
    };
    not_yet(
        zj.get(&format!("/v1/regions/{ZJ}/feed?after={position}")),
        "after",
    );
    not_yet(
        zj.post(
            &format!("/v1/regions/{ZJ}/feed/ack"),
            &json!({"position": position}),
        ),
        "position",
    );

    // Past the log's end it is the restore's refusal, naming the log's end (not the projections').
    let r = zj.get(&format!("/v1/regions/{ZJ}/feed?after={}", position + 1));
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let problem = r.json();
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("the log ends at {position}"))
            && detail.contains(&format!("positions after {position} will name new events")),
        "{problem}"
    );
}

/// `serve`'s arguments for a gateway [`long_history`] is made on: its 80 suspensions are past
/// the default cap (20), which a gateway may raise.
const LONG_HISTORIES: &[&str] = &["--max-suspensions", "80"];

/// An online application whose lead handler suspended and resumed it 80 times, each time with a
/// long reason (60 KB): 163 events, 4.8 MB of reasons, on a gateway started with
/// [`LONG_HISTORIES`]. Its id, its origin's client and code.
fn long_history(gw: &Gateway, data: &std::path::Path) -> (String, Client, String) {
    let (body, origin, handlers) = common::parties(gw, data, "online");
    let lead = &handlers[0];
    let reason = "理".repeat(20_000);
    let mut steps = vec![
        (&origin, "forward", json!({"materials_checked": true})),
        (lead, "accept", json!({})),
    ];
    for _ in 0..80 {
        steps.push((
            lead,
            "suspend",
            json!({"kind": "hearing", "reason": reason}),
        ));
        steps.push((lead, "resume", json!({})));
    }
    let id = common::application(&origin, &body, &steps);
    let region = body["origin"].as_str().expect("origin").to_string();
    (id, origin, region)
}

/// Given an application whose handler suspended and resumed it 80 times, each time with a long
/// reason (60 KB), when its origin reads its feed asking for 1000 items a page, then each page
/// ends early, after the event that passes about 4 MiB, and reading on from `next` gives the
/// rest: every position of the feed once, in order. (Found by a red team: one region reading
/// pages of a thousand such events, 40 MB each, at once took the gateway to 1.8 GB and stalled
/// other regions' reads.)
#[test]
fn a_page_of_long_events_ends_early_and_reading_on_gives_the_rest() {
    const PAGE_BYTES: usize = 4 << 20;
    let dir = TempDir::new("feed-bytes");
    let data = dir.0.join("data");
    let gw = Gateway::start_with(&data, true, LONG_HISTORIES);
    let (id, origin, region) = long_history(&gw, &data);
    let region = region.as_str();
    let history = origin.get(&format!("/v1/applications/{id}/events")).json();
    let total = history["events"].as_array().map_or(0, Vec::len);
    assert_eq!(total, 163);

    let mut after = 0;
    let mut pages = Vec::new();
    let mut ours = Vec::new();
    loop {
        let r = origin.get(&format!(
            "/v1/regions/{region}/feed?limit=1000&after={after}"
        ));
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = r.json();
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if events.is_empty() {
            break;
        }
        // Past the budget by one event at most.
        assert!(
            r.body.len() < PAGE_BYTES + 100_000,
            "{} bytes",
            r.body.len()
        );
        pages.push(events.len());
        for e in &events {
            if e["event"]["app"] == json!(id) {
                ours.push(e["event"]["seq"].as_u64().expect("seq"));
            }
        }
        after = page["next"].as_u64().expect("next");
        assert_eq!(json!(after), events[events.len() - 1]["position"]);
    }
    assert!(pages.len() >= 2, "one page held it all: {pages:?}");
    assert_eq!(ours, (1..=163).collect::<Vec<u64>>(), "{pages:?}");
}

/// Given an application with a long history whose origin reads its events without taking the
/// answer (a slow reader), when the origin asks for its timeline, then it is refused at once,
/// 503 `history-busy` with `Retry-After` (one long history at a time per region, held until its
/// answer is sent), while the timeline of a short application of the same region is answered,
/// and the lead handler's reads of the events, the timeline and the evidence
/// page are answered whole; once the slow reader goes, the origin's next read is answered. (Found
/// by a red team: eight evidence pages of a 320 MB history built at once took the gateway to
/// 3.6 GB and held its runtime's workers, so that other regions' reads timed out.)
#[test]
fn whole_histories_are_built_a_few_at_a_time_and_one_per_region() {
    use std::io::Write;
    let dir = TempDir::new("histories");
    let data = dir.0.join("data");
    let gw = Gateway::start_with(&data, true, LONG_HISTORIES);
    let (id, origin, _) = long_history(&gw, &data);
    let tokens = common::tokens(&data);
    let events = format!("/v1/applications/{id}/events");
    // The slow reader: its request sent, nothing of the 5 MB answer read.
    let mut slow = std::net::TcpStream::connect(&origin.addr).expect("connect");
    let token = origin.token.as_deref().expect("token");
    write!(
        slow,
        "GET {events} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\r\n",
        origin.addr
    )
    .expect("send");
    std::thread::sleep(std::time::Duration::from_secs(3));

    let r = origin.get(&format!("/v1/applications/{id}/replay"));
    common::refused(&r, 503, "history-busy");
    assert!(r.header("retry-after").is_some());
    // A short history (a dozen events, as real applications have) takes no turn.
    let (short, _, _) = {
        let (body, o, handlers) = common::parties(&gw, &data, "online");
        let id = common::application(
            &o,
            &body,
            &[(&o, "forward", json!({"materials_checked": true}))],
        );
        (id, o, handlers)
    };
    let r = origin.get(&format!("/v1/applications/{short}/replay"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let lead_code = {
        let page = origin.get(&format!("/v1/applications/{id}")).json();
        page["handlers"][0].as_str().expect("lead").to_string()
    };
    let lead = gw.client(Some(&tokens[&lead_code]));
    for path in [
        events.clone(),
        format!("/v1/applications/{id}/replay"),
        format!("/ui/applications/{id}"),
    ] {
        let r = lead.get(&path);
        assert_eq!(
            r.status,
            200,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        if path.ends_with("/events") {
            assert_eq!(r.json()["events"].as_array().map(Vec::len), Some(163));
        }
    }

    drop(slow);
    std::thread::sleep(std::time::Duration::from_millis(500));
    let r = origin.get(&format!("/v1/applications/{id}/replay"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
}
