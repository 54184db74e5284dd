//! Projections recover after a crash between append and projection update: acknowledged events
//! whose projection had not happened yet (the projector held back by the test hook
//! `TONGBAN_TEST_PROJECTOR_DELAY_MS`) are projected after SIGKILL and restart, from the persisted
//! checkpoint, and the earlier, already projected application is untouched. A clean shutdown
//! first lets the projector take what was acknowledged.

mod common;

use common::{Client, Gateway, TempDir, register_regions};
use serde_json::{Value, json};

fn apps(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items in {list}"))
        .iter()
        .filter_map(|a| a["app"].as_str().map(str::to_string))
        .collect();
    out.sort();
    out
}

/// `/healthz` as an operator's token is answered it, with the log and projection positions.
fn health(operator: &Client) -> Value {
    operator.get("/healthz").json()
}

#[test]
fn acknowledged_events_are_projected_after_a_crash_before_their_projection() {
    let tmp = TempDir::new("projection-recovery");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);

    // Run 1: one application, then a clean shutdown, which leaves it projected (checkpoint 1)
    // though the projector holds every batch back for a second: the shutdown waits for it.
    let mut gw = Gateway::start_env(
        &data,
        false,
        &[],
        &[("TONGBAN_TEST_PROJECTOR_DELAY_MS", "1000")],
    );
    let anon = gw.client(None);
    let example = anon.get("/v1/matters").json()["matters"][0]["example"].clone();
    let origin_code = example["origin"].as_str().expect("origin").to_string();
    let lead_code = example["handlers"][0].as_str().expect("lead").to_string();
    let r = gw.client(Some(&tokens[&origin_code])).post_with(
        "/v1/applications",
        &[("Idempotency-Key", "c")],
        &example,
    );
    assert_eq!(r.status, 201);
    let c = r.json()["id"].as_str().expect("id").to_string();
    assert!(gw.terminate().success());

    // Run 2: the projector holds every batch back for a minute; writes are acknowledged once
    // durable while the projection stays at the checkpoint (reads wait 2 s for it, then answer
    // from what it holds).
    let mut gw = Gateway::start_env(
        &data,
        false,
        &[],
        &[("TONGBAN_TEST_PROJECTOR_DELAY_MS", "60000")],
    );
    let origin = gw.client(Some(&tokens[&origin_code]));
    let submit = |key: &'static str| {
        let (origin, body) = (origin.clone(), example.clone());
        std::thread::spawn(move || {
            let r = origin.post_with("/v1/applications", &[("Idempotency-Key", key)], &body);
            assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
            r.json()["id"].as_str().expect("id").to_string()
        })
    };
    let (a, b) = (submit("a"), submit("b"));
    let (a, b) = (a.join().expect("a"), b.join().expect("b"));
    let r = origin.post(
        &format!("/v1/applications/{a}/forward"),
        &json!({"materials_checked": true}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let h = health(&gw.client(Some(&tokens["operator"])));
    assert_eq!(h["log_position"], json!(4), "{h}");
    assert_eq!(h["projection_position"], json!(1), "{h}");
    // The crash window is real: the acknowledged applications are not in the read models yet
    // (an application's own view is folded from the log when its projection lags; the boxes
    // exist only as projections).
    assert_eq!(
        apps(
            &origin
                .get(&format!("/v1/regions/{origin_code}/outbox"))
                .json()
        ),
        vec![c.clone()]
    );
    gw.kill9();

    // Run 3: no hook; the projector resumes from its checkpoint and catches up.
    let gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while health(&operator)["projection_lag"] != json!(0) {
        assert!(
            std::time::Instant::now() < deadline,
            "projections did not catch up"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let h = health(&operator);
    assert_eq!(h["log_position"], json!(4), "{h}");
    assert_eq!(h["projection_position"], json!(4), "{h}");
    let origin = gw.client(Some(&tokens[&origin_code]));
    let lead = gw.client(Some(&tokens[&lead_code]));
    let view = origin.get(&format!("/v1/applications/{a}")).json();
    assert_eq!(view["status"], json!("forwarded"), "{view}");
    assert_eq!(view["seq"], json!(2));
    assert_eq!(
        origin.get(&format!("/v1/applications/{b}")).json()["status"],
        json!("submitted")
    );
    assert_eq!(
        origin.get(&format!("/v1/applications/{c}")).json()["status"],
        json!("submitted")
    );
    let mut expected = vec![a.clone(), b.clone(), c.clone()];
    expected.sort();
    assert_eq!(
        apps(
            &origin
                .get(&format!("/v1/regions/{origin_code}/outbox"))
                .json()
        ),
        expected
    );
    // Only the forwarded application waits for the lead handler.
    assert_eq!(
        apps(&lead.get(&format!("/v1/regions/{lead_code}/inbox")).json()),
        vec![a]
    );
}

/// Copies the tree `from` to `to`.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A log that ends before the position its projections were applied up to (restored from a
/// backup older than the projections, or cut short) is refused at start, naming both positions:
/// a gateway started on it would append new events at positions the projections count as seen,
/// and never project them. The refusal does not offer `tongban verify` as proof the log is whole;
/// `verify` reports the lost position as broken (exit 1: it said "intact", never looking at the
/// projections), and `tongban rebuild` refuses to drop the projections, the one record that the
/// position existed, naming it, until `--accept-lost` (found by an auditor's walkthrough: the
/// rebuild dropped them silently). Then the gateway starts again.
#[test]
fn a_log_that_ends_before_its_projections_is_refused_at_start() {
    let tmp = TempDir::new("log-behind");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let submit = |gw: &Gateway, key: &str| {
        let anon = gw.client(None);
        let example = anon.get("/v1/matters").json()["matters"][0]["example"].clone();
        let origin = example["origin"].as_str().expect("origin").to_string();
        let r = gw.client(Some(&tokens[&origin])).post_with(
            "/v1/applications",
            &[("Idempotency-Key", key)],
            &example,
        );
        assert_eq!(r.status, 201);
        r.json()["id"].as_str().expect("id").to_string()
    };
    let mut gw = Gateway::start(&data, false);
    let first = submit(&gw, "first");
    assert!(gw.terminate().success());
    let older = tmp.0.join("older-log");
    copy_tree(&data.join("log"), &older);
    let mut gw = Gateway::start(&data, false);
    submit(&gw, "second");
    assert!(
        gw.terminate().success(),
        "a clean stop projects both (checkpoint 2)"
    );

    std::fs::remove_dir_all(data.join("log")).expect("rm");
    std::fs::rename(&older, data.join("log")).expect("restore the older log");
    // A gateway that started anyway is stopped after a while, and the test fails.
    let (status, err) = common::refused_start(&data);
    assert_eq!(status, Some(2), "started anyway: {err}");
    assert!(
        err.contains("applied up to log position 2") && err.contains("ends at 1"),
        "{err}"
    );
    assert!(
        !err.contains("if its log is whole") && err.contains("rebuild --accept-lost"),
        "{err}"
    );

    let tongban = |args: &[&str]| {
        let out = std::process::Command::new(common::BIN)
            .args(args)
            .arg("--data")
            .arg(&data)
            .output()
            .expect("tongban");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let projections = data.join("projections").display().to_string();
    let (code, out, _) = tongban(&["verify"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.starts_with("BROKEN: 1 event in 1 application checked")
            && out.contains("1 event(s) lost from the log's end")
            && out.contains(&format!(
                "BROKEN log position 2 holds no event, yet the projections in {projections} \
                 were applied up to log position 2: the log lost its last event"
            )),
        "{out}"
    );
    // `replay` of the application still in the log gives the same verdict as `verify`: the log
    // is not whole (what it lost may be anyone's).
    let (code, out, err) = tongban(&["replay", &first]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains("lost from the log's end") || out.contains("holds no event"),
        "{out}"
    );
    let (code, out, err) = tongban(&["rebuild"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("log position 2 was lost") && err.contains("--accept-lost"),
        "{err}"
    );
    // Refused, nothing dropped: the start is still refused the same way.
    let (code, out, _) = tongban(&["verify"]);
    assert_eq!(code, Some(1), "the projections are still there: {out}");
    let (code, out, err) = tongban(&["rebuild", "--accept-lost"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        err.contains("log position 2 (1 event(s)) are lost"),
        "{err}"
    );
    let (code, out, _) = tongban(&["verify"]);
    assert_eq!(code, Some(0), "{out}");
    let gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(
        operator.get(&format!("/v1/applications/{first}")).status,
        200
    );
}
