//! A record of the log whose bytes are not an event (bit rot, a partial write) holds nothing but
//! itself: the projections go on past it and record it, operators are told where (never the
//! bytes), `tongban rebuild` gets through it alike, `tongban verify` reports it broken, and a
//! head signed after it still verifies. Over real HTTP against the real binary, on a real fjall
//! log.

mod common;

use common::{Gateway, application, stored};
use serde_json::{Value, json};

/// Runs `tongban <args> --data <data>`: its exit code, output and error output.
fn tongban(args: &[&str], data: &std::path::Path) -> (i32, String, String) {
    let out = std::process::Command::new(common::BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .expect("tongban");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// What the operators' held list says of records that are not events.
fn unreadable(operator: &common::Client) -> (Value, Value) {
    let held = operator.get("/v1/projections/held").json();
    (held["unreadable"].clone(), held["unreadable_count"].clone())
}

/// Given a forwarded application, and then, while no gateway runs, bytes that are not an event
/// stored at the log's next position (holding what looks like personal data) and the lead's
/// acceptance after them, when the gateway starts, then the acceptance is folded (the
/// projections went on past the record), a new submission is written and read, operators find
/// the position and why in the held list, `/healthz` and `/metrics`, nothing of the bytes; a
/// head taken after it verifies with `tongban verify --heads`, which still reports the position
/// broken; and `tongban rebuild` gets through it, records the same, and serves the same views.
#[test]
fn a_record_that_is_not_an_event_is_passed_over_and_reported() {
    let stored::Forwarded {
        dir,
        data,
        tokens,
        body,
        origin_code,
        lead_code,
        id,
    } = stored::forwarded("unreadable-record");

    let secret = "110101199003077777";
    let garbage = format!("{{\"name\": \"{secret}\", \"torn\": ");
    let position = stored::plant_after_end(&data.join("log"), garbage.as_bytes());
    let accepted = stored::acceptance(&lead_code, "clerk");
    let after = stored::append(&data, &id, accepted, |_| {});
    assert_eq!(after, position + 1);

    let mut gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let operator = gw.client(Some(&tokens["operator"]));
    // The acceptance after the record is folded; a new submission is written and read.
    let view = origin.get(&format!("/v1/applications/{id}"));
    assert_eq!(view.status, 200, "{}", String::from_utf8_lossy(&view.body));
    assert_eq!(view.json()["status"], json!("accepted"), "{}", view.json());
    let later = application(&origin, &body, &[]);
    let r = origin.get(&format!("/v1/applications/{later}"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["status"], json!("submitted"), "{}", r.json());

    // Operators are told where and why, never the bytes.
    let (items, count) = unreadable(&operator);
    assert_eq!(count, json!(1), "{items}");
    let record = &items[0];
    assert_eq!(record["position"], json!(position), "{record}");
    assert!(
        record["reason"].as_str().is_some_and(|r| !r.is_empty()),
        "{record}"
    );
    let digest = record["digest"].as_str().expect("digest").to_string();
    assert_eq!(digest.len(), 64, "{record}");
    assert!(!items.to_string().contains(secret), "{items}");
    let health = operator.get("/healthz").json();
    assert_eq!(health["log_unreadable"], json!(1), "{health}");
    assert_eq!(health["projection_lag"], json!(0), "{health}");
    let metrics = String::from_utf8_lossy(&gw.client(None).get("/metrics").body).into_owned();
    assert!(
        metrics.contains("tongban_log_unreadable_records{backend=\"embedded\"} 1"),
        "{metrics}"
    );
    let head = origin.get("/v1/log/head").json();
    assert!(
        head["position"].as_u64().is_some_and(|p| p > position),
        "{head}"
    );
    let accepted_view = view.json();
    assert!(gw.terminate().success());
    let said = std::fs::read_to_string(&gw.stderr_log).unwrap_or_default();
    assert!(
        said.contains("bytes that are not an event")
            && said.contains(&format!("position={position}")),
        "{said}"
    );
    assert!(!said.contains(secret), "the gateway's log echoes the bytes");

    // `tongban verify` reports the position broken; the saved head is reproduced all the same.
    let heads = dir.0.join("heads.jsonl");
    std::fs::write(&heads, format!("{head}\n")).expect("heads");
    let (code, out, err) = tongban(&["verify", "--heads", heads.to_str().expect("path")], &data);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains(&format!(
            "log position {position} holds bytes that are not an event"
        )),
        "{out}"
    );
    assert!(out.contains("1 saved log head(s) reproduced"), "{out}");
    assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");

    // `tongban rebuild` gets through it, says where, and records the same.
    let (code, out, err) = tongban(&["rebuild"], &data);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(&format!(
            "the log holds bytes that are not an event at position {position}"
        )),
        "{err}"
    );
    assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    let mut gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(unreadable(&operator), (items, json!(1)));
    assert_eq!(
        origin.get(&format!("/v1/applications/{id}")).json(),
        accepted_view
    );
    assert_eq!(origin.get("/v1/log/head").json()["hash"], head["hash"]);
    assert!(gw.terminate().success());
}
