//! A disk that fails mid-run, over HTTP against the real binary: the embedded log's fsync fails
//! (test hook `TONGBAN_TEST_FAIL_FSYNC_AFTER`), every write from then on answers 503 problem+json,
//! nothing unacknowledged becomes visible, and reads keep working. After a restart on a healthy
//! disk the submission retried with its Idempotency-Key succeeds once and the log verifies.

mod common;

use std::process::Command;

use common::{BIN, Gateway, TempDir, log_unavailable, register_regions};
use serde_json::{Value, json};

fn ids(list: &Value) -> Vec<String> {
    let items = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list}"));
    items
        .iter()
        .filter_map(|a| a["app"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_failed_fsync_answers_503_hides_the_write_and_keeps_reads() {
    let tmp = TempDir::new("storage-failure");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let gw = Gateway::start_env(&data, false, &[], &[("TONGBAN_TEST_FAIL_FSYNC_AFTER", "2")]);
    let anon = gw.client(None);
    let example = anon.get("/v1/matters").json()["matters"][0]["example"].clone();
    let origin_code = example["origin"].as_str().expect("origin").to_string();
    let lead_code = example["handlers"][0].as_str().expect("lead").to_string();
    let origin = gw.client(Some(&tokens[&origin_code]));
    let lead = gw.client(Some(&tokens[&lead_code]));

    // Two fsyncs succeed: a submission and its forwarding.
    let r = origin.post_with("/v1/applications", &[("Idempotency-Key", "a")], &example);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let a = r.json()["id"].as_str().expect("id").to_string();
    let r = origin.post(
        &format!("/v1/applications/{a}/forward"),
        &json!({"materials_checked": true}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));

    let health = anon.get("/healthz").json();
    assert_eq!(health["status"], json!("ok"), "{health}");
    assert_eq!(health["log_available"], json!(true), "{health}");
    assert_eq!(health["log_unavailable"], json!(null), "{health}");
    let metrics = String::from_utf8_lossy(&anon.get("/metrics").body).to_string();
    assert!(
        metrics.contains("tongban_log_available{backend=\"embedded\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tongban_log_restart_required{backend=\"embedded\"} 0"),
        "{metrics}"
    );

    // The third fsync fails: 503, and every write after it too (fail-stop). The failed write
    // was written and not acknowledged; those after it were refused before being written.
    let said = log_unavailable(&origin.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "b")],
        &example,
    ));
    assert!(said.contains("may or may not have landed"), "{said}");
    for refused in [
        lead.post(&format!("/v1/applications/{a}/accept"), &json!({})),
        origin.post_with("/v1/applications", &[("Idempotency-Key", "b")], &example),
        origin.post("/v1/applications", &example),
    ] {
        let said = log_unavailable(&refused);
        assert!(said.contains("nothing was written"), "{said}");
        assert!(!said.contains("may or may not"), "{said}");
    }
    // The operator's ERROR lines name what to check: the application, the event type and the
    // region of each append, no content.
    // The id the gateway derived for the key `b`: keyed under its gateway key, on a new log.
    let key = tongban_gateway::envelope::GatewayKey::load(&data.join("gateway.key"))
        .expect("key")
        .expect("made");
    let b = tongban_gateway::ids::AppIds::new(tongban_gateway::ids::Derivation::Keyed, &key)
        .for_key(&origin_code, "b");
    assert_ne!(b, tongban_gateway::ids::app_id_for_key(&origin_code, "b"));
    let log = std::fs::read_to_string(&gw.stderr_log).expect("gateway log");
    let line = |what: &str, app: &str, event: &str, region: &str| {
        log.lines()
            .find(|l| {
                l.contains("ERROR")
                    && l.contains(what)
                    && l.contains(&format!("app={app}"))
                    && l.contains(&format!("event={event}"))
                    && l.contains(&format!("region={region}"))
            })
            .unwrap_or_else(|| panic!("no {what:?} line for {app} {event} {region} in:\n{log}"))
            .to_string()
    };
    line(
        "did not acknowledge an append that was sent",
        &b,
        "application.submitted",
        &origin_code,
    );
    line(
        "an append was refused before it was sent",
        &a,
        "application.accepted",
        &lead_code,
    );
    common::assert_absent_from(
        &gw.stderr_log,
        &common::personal_values(&anon.get("/v1/matters").json()),
    );

    // The outage shows where an operator looks, and /healthz still answers 200 (reads are
    // served: a load balancer must not pull the gateway).
    let health = anon.get("/healthz");
    assert_eq!(health.status, 200);
    let health = health.json();
    assert_eq!(health["status"], json!("degraded"), "{health}");
    assert_eq!(health["log_available"], json!(false), "{health}");
    // Said for what it is: a failed disk waits for the operator (a restart on a healthy one).
    assert_eq!(
        health["log_unavailable"]["restart_required"],
        json!(true),
        "{health}"
    );
    // Why, and the positions, only to an operator's token.
    assert_eq!(health["log_unavailable"].get("why"), None, "{health}");
    assert_eq!(health.get("log_position"), None, "{health}");
    let operator = gw.client(Some(&tokens["operator"]));
    let health = operator.get("/healthz").json();
    // With the log's directory, which the operator fixes (fjall's words named none).
    assert!(
        health["log_unavailable"]["why"].as_str().is_some_and(|w| {
            w.contains("storage failure")
                && w.contains(&format!("the event log in {}", data.join("log").display()))
        }),
        "{health}"
    );
    let metrics = String::from_utf8_lossy(&anon.get("/metrics").body).to_string();
    assert!(
        metrics.contains("tongban_log_available{backend=\"embedded\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("tongban_log_restart_required{backend=\"embedded\"} 1"),
        "{metrics}"
    );

    // Nothing unacknowledged is visible; reads are served as before.
    let health = operator.get("/healthz").json();
    assert_eq!(health["log_position"], json!(2), "{health}");
    assert_eq!(health["projection_position"], json!(2), "{health}");
    let view = origin.get(&format!("/v1/applications/{a}"));
    assert_eq!(view.status, 200);
    assert_eq!(view.json()["status"], json!("forwarded"));
    assert_eq!(view.json()["seq"], json!(2));
    let events = lead.get(&format!("/v1/applications/{a}/events")).json();
    assert_eq!(events["events"].as_array().map(Vec::len), Some(2));
    let outbox = origin.get(&format!("/v1/regions/{origin_code}/outbox"));
    assert_eq!(outbox.status, 200);
    assert_eq!(ids(&outbox.json()), vec![a.clone()]);
    let inbox = lead.get(&format!("/v1/regions/{lead_code}/inbox"));
    assert_eq!(ids(&inbox.json()), vec![a.clone()]);
    assert_eq!(anon.get("/v1/matters").status, 200);

    // A healthy restart: the retried submission lands exactly once, and the log verifies.
    let mut gw = gw;
    gw.kill9();
    let gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let first = origin.post_with("/v1/applications", &[("Idempotency-Key", "b")], &example);
    assert!(
        first.status == 201 || first.status == 200,
        "{} {}",
        first.status,
        String::from_utf8_lossy(&first.body)
    );
    let again = origin.post_with("/v1/applications", &[("Idempotency-Key", "b")], &example);
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["id"], first.json()["id"]);
    let r = origin.post(
        &format!("/v1/applications/{a}/forward"),
        &json!({"materials_checked": true}),
    );
    assert_eq!(r.status, 409, "already forwarded");
    drop(gw);
    let verify = Command::new(BIN)
        .args(["verify", "--data"])
        .arg(&data)
        .output()
        .expect("tongban verify");
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}

/// Given a gateway whose projection store fails after one batch as fjall fails on a full disk
/// (test hook `TONGBAN_TEST_FAIL_PROJECTIONS_AFTER`, warned of at start), when submissions go
/// on, then the projections stop for good and say so: `/healthz` is `degraded` with
/// `projections_unavailable` (`restart_required`), `/metrics` has
/// `tongban_projections_restart_required 1`, the failure is logged at ERROR once (not every
/// second); writes are still taken (201, the log is fine); an application read is folded from
/// the log at once (exact, unmarked); the outbox answers at once what the projections hold,
/// marked `X-Tongban-Stale` with their position; a read naming a later position is refused at
/// once (503 `projections-unavailable`). After a restart the projections catch up and every
/// write is there. (Found by an operator's walkthrough: /healthz said ok, every read waited 2 s
/// then answered stale, and the retry was logged every second forever.)
#[test]
fn a_failed_projection_store_is_told_and_reads_answer_at_once() {
    let tmp = TempDir::new("projection-failure");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let gw = Gateway::start_env(
        &data,
        false,
        &[],
        &[("TONGBAN_TEST_FAIL_PROJECTIONS_AFTER", "1")],
    );
    let anon = gw.client(None);
    let example = anon.get("/v1/matters").json()["matters"][0]["example"].clone();
    let origin_code = example["origin"].as_str().expect("origin").to_string();
    let origin = gw.client(Some(&tokens[&origin_code]));
    let position = |r: &common::Response| -> u64 {
        r.header("x-tongban-position")
            .and_then(|p| p.parse().ok())
            .expect("X-Tongban-Position")
    };

    let r = origin.post_with("/v1/applications", &[("Idempotency-Key", "a")], &example);
    let a = common::created_id(&r);
    let at_a = position(&r);
    let outbox = origin.get(&format!("/v1/regions/{origin_code}/outbox"));
    assert_eq!(
        ids(&outbox.json()),
        vec![a.clone()],
        "the first batch applies"
    );
    assert_eq!(outbox.header("x-tongban-stale"), None);
    assert_eq!(
        anon.get("/healthz").json()["projections_unavailable"],
        json!(null)
    );

    // The second batch fails: the write itself is acknowledged.
    let r = origin.post_with("/v1/applications", &[("Idempotency-Key", "b")], &example);
    let b = common::created_id(&r);
    let at_b = position(&r);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let health = loop {
        let health = anon.get("/healthz");
        assert_eq!(health.status, 200, "still 200: the gateway serves");
        let health = health.json();
        if !health["projections_unavailable"].is_null() {
            break health;
        }
        assert!(std::time::Instant::now() < deadline, "never told: {health}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(health["status"], json!("degraded"), "{health}");
    assert_eq!(health["log_available"], json!(true), "{health}");
    assert_eq!(
        health["projections_unavailable"]["restart_required"],
        json!(true),
        "{health}"
    );
    assert_eq!(
        health["projections_unavailable"].get("why"),
        None,
        "{health}"
    );
    let operator = gw.client(Some(&tokens["operator"]));
    let health = operator.get("/healthz").json();
    assert!(
        health["projections_unavailable"]["why"]
            .as_str()
            .is_some_and(|w| w.contains("Poisoned")),
        "{health}"
    );
    assert_eq!(health["projection_position"], json!(at_a), "{health}");
    let metrics = String::from_utf8_lossy(&anon.get("/metrics").body).to_string();
    assert!(
        metrics.contains("tongban_projections_restart_required{backend=\"embedded\"} 1"),
        "{metrics}"
    );

    // Writes go on; reads answer at once.
    let r = origin.post_with("/v1/applications", &[("Idempotency-Key", "c")], &example);
    let c = common::created_id(&r);
    let began = std::time::Instant::now();
    let view = origin.get(&format!("/v1/applications/{c}"));
    assert_eq!(view.status, 200, "{}", String::from_utf8_lossy(&view.body));
    assert_eq!(view.json()["status"], json!("submitted"));
    assert_eq!(view.header("x-tongban-stale"), None, "folded from the log");
    let outbox = origin.get(&format!("/v1/regions/{origin_code}/outbox"));
    assert_eq!(outbox.status, 200);
    assert_eq!(
        ids(&outbox.json()),
        vec![a.clone()],
        "what the projections hold"
    );
    assert_eq!(
        outbox.header("x-tongban-stale"),
        Some(at_a.to_string().as_str())
    );
    let refused = origin
        .send(
            "GET",
            &format!("/v1/regions/{origin_code}/outbox"),
            &[("X-Tongban-Read-After", &at_b.to_string())],
            None,
        )
        .expect("GET");
    assert_eq!(
        refused.status,
        503,
        "{}",
        String::from_utf8_lossy(&refused.body)
    );
    assert_eq!(
        refused.json()["type"],
        json!("urn:tongban:problem:projections-unavailable")
    );
    assert!(refused.header("retry-after").is_some());
    assert!(
        began.elapsed() < std::time::Duration::from_secs(1),
        "the reads waited {:?}",
        began.elapsed()
    );

    // Logged once, not once a second.
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let log = std::fs::read_to_string(&gw.stderr_log).expect("gateway log");
    assert!(
        log.contains("test hook TONGBAN_TEST_FAIL_PROJECTIONS_AFTER armed"),
        "{log}"
    );
    let stopped = log
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("projections stopped"))
        .count();
    assert_eq!(stopped, 1, "{log}");
    assert!(!log.contains("retrying"), "{log}");

    // A restart (the hook gone, as a fixed disk): the projections catch up with every write.
    let mut gw = gw;
    assert!(gw.terminate().success());
    let gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let mut all = ids(&origin
        .get(&format!("/v1/regions/{origin_code}/outbox"))
        .json());
    all.sort();
    let mut expected = vec![a, b, c];
    expected.sort();
    assert_eq!(all, expected);
    let health = gw.client(None).get("/healthz").json();
    assert_eq!(health["status"], json!("ok"), "{health}");
    assert_eq!(health["projections_unavailable"], json!(null), "{health}");
}
