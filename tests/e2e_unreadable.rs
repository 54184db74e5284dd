//! A record of the log whose bytes are not an event (bit rot, a partial write) holds nothing but
//! itself: the projections go on past it and record it, operators are told where (never the
//! bytes), `tongban rebuild` gets through it alike, `tongban verify` reports it broken, and a
//! head signed after it still verifies; damage to the log's last record does not stop the start
//! when the index proves its writer wrote it there, while bytes planted past the end still do.
//! Over real HTTP against the real binary, on a real fjall log.

mod common;

use common::{Gateway, application, stored, tongban};
use serde_json::{Value, json};
use tongban_gateway::envelope::Content;

/// What looks like an ID number, stored in the bytes that are not an event: it must appear in
/// no answer, output or log line.
const SECRET: &str = "110101199003077777";

/// A forwarded application ([`stored::forwarded`]), then, while no gateway runs, bytes that are
/// not an event (holding [`SECRET`]) stored at the log's next position and the lead's acceptance
/// after them: the damaged log the tests start from, and the record's position.
fn damaged(name: &str) -> (stored::Forwarded, u64) {
    let f = stored::forwarded(name);
    // As a key: the decoder quotes the member it does not know in its message.
    let garbage = format!("{{\"{SECRET}\": \"name\", \"torn\": ");
    let position = stored::plant_after_end(&f.data.join("log"), garbage.as_bytes());
    let accepted = stored::acceptance(&f.lead_code, "clerk");
    let after = stored::append(&f.data, &f.id, accepted, |_| {});
    assert_eq!(after, position + 1);
    (f, position)
}

/// `by`'s reconciliation of `region` with `records` (CSV) over HTTP: its report (200 asserted).
fn reconciled(by: &common::Client, region: &str, records: &str) -> Value {
    let r = by
        .send(
            "POST",
            &format!("/v1/regions/{region}/reconcile"),
            &[("Content-Type", "text/csv")],
            Some(records.as_bytes()),
        )
        .expect("post");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
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
    let (f, position) = damaged("unreadable-record");
    let (dir, data, tokens, body) = (&f.dir, &f.data, &f.tokens, &f.body);
    let (origin_code, id) = (&f.origin_code, &f.id);
    let secret = SECRET;

    let mut gw = Gateway::start(data, false);
    let origin = gw.client(Some(&tokens[origin_code]));
    let operator = gw.client(Some(&tokens["operator"]));
    // The acceptance after the record is folded; a new submission is written and read.
    let view = origin.get(&format!("/v1/applications/{id}"));
    assert_eq!(view.status, 200, "{}", String::from_utf8_lossy(&view.body));
    assert_eq!(view.json()["status"], json!("accepted"), "{}", view.json());
    let later = application(&origin, body, &[]);
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
    // The log's records give the record's digest there, as the head took it: carried from the
    // log's start over them, the running hash arrives at the signed head (no INCONSISTENT).
    let records = origin.get("/v1/log/records").json();
    let at = records["records"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["position"] == json!(position)))
        .cloned()
        .unwrap_or_default();
    assert_eq!(at["hash"], json!(digest), "{records}");
    let records_file = dir.0.join("records.json");
    std::fs::write(&records_file, records.to_string()).expect("records");
    let head_file = dir.0.join("head.jsonl");
    std::fs::write(&head_file, format!("{head}\n")).expect("head");
    let (code, out, err) = tongban(
        &[
            "heads",
            head_file.to_str().expect("path"),
            "--records",
            records_file.to_str().expect("path"),
        ],
        data,
    );
    assert_eq!(code, 2, "one party: compared with no one; {out}{err}");
    assert!(
        out.contains(
            "1 pair(s) of consecutive positions joined by the records given, 0 not joined"
        ) && !out.contains("INCONSISTENT"),
        "{out}"
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
    let (code, out, err) = tongban(&["verify", "--heads", heads.to_str().expect("path")], data);
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
    let (code, out, err) = tongban(&["rebuild"], data);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains(&format!(
            "the log holds bytes that are not an event at position {position}"
        )),
        "{err}"
    );
    assert!(!out.contains(secret) && !err.contains(secret), "{out}{err}");
    let mut gw = Gateway::start(data, false);
    let origin = gw.client(Some(&tokens[origin_code]));
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(unreadable(&operator), (items, json!(1)));
    assert_eq!(
        origin.get(&format!("/v1/applications/{id}")).json(),
        accepted_view
    );
    assert_eq!(origin.get("/v1/log/head").json()["hash"], head["hash"]);
    assert!(gw.terminate().success());
}

/// Given a forwarded application, then bytes that are not an event stored after it (holding an
/// ID number) and the lead's acceptance after them, and a second application submitted through
/// the gateway started on that log: when an operator reconciles the origin's export (agreeing
/// with both applications) over HTTP and with `tongban reconcile`, and asks for the origin's
/// statistics as of the second submission over HTTP and with `tongban statistics`, then each
/// answers from the genuine events on both sides of the record (the first application
/// accepted, the second submitted, both records agreeing), and names the record (position, why,
/// digest) as left out (to the origin's own token reconciling its region, how many only); the
/// reconciliation does not claim agreement (exit 1), the commands say
/// it on stderr, `tongban find` finds the second application's serial, and the ID number
/// appears in no answer, output or log line.
#[test]
fn reconciliation_and_statistics_as_of_an_instant_go_on_past_it_and_name_it() {
    let (f, position) = damaged("unreadable-whole-log");
    let (id, origin_code) = (&f.id, &f.origin_code);
    let mut gw = Gateway::start(&f.data, false);
    let origin = gw.client(Some(&f.tokens[origin_code]));
    let operator = gw.client(Some(&f.tokens["operator"]));
    let serial = "YS-2026-0002";
    let r = origin.post_with("/v1/applications", &[("Idempotency-Key", serial)], &f.body);
    let later = common::created_id(&r);
    let view = |app: &str| origin.get(&format!("/v1/applications/{app}")).json();
    let (first, second) = (view(id), view(&later));
    assert_eq!(first["status"], json!("accepted"), "{first}");
    assert_eq!(second["status"], json!("submitted"), "{second}");
    let records = format!(
        "app,status,updated_at\n{id},accepted,{}\n{later},submitted,{}\n",
        first["updated_at"].as_str().expect("updated_at"),
        second["updated_at"].as_str().expect("updated_at"),
    );
    let named = |answer: &Value| {
        assert_eq!(answer["unreadable_count"], json!(1), "{answer}");
        let record = &answer["unreadable"][0];
        assert_eq!(record["position"], json!(position), "{answer}");
        assert!(
            record["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{record}"
        );
        assert_eq!(
            record["digest"].as_str().map(str::len),
            Some(64),
            "{record}"
        );
        assert!(!answer.to_string().contains(SECRET), "{answer}");
    };

    // Reconciliation over HTTP: both records agree, the record is named, agreement not claimed.
    let reconciled = |by: &common::Client| reconciled(by, origin_code, &records);
    let report = reconciled(&operator);
    assert_eq!(report["agreeing"], json!(2), "{report}");
    assert_eq!(report["discrepancies"], json!([]), "{report}");
    assert_eq!(report["agrees"], json!(false), "{report}");
    named(&report);
    // The origin's own team reconciling its region: the same report, but of the record how
    // many, not which (its position and reason are the operators', as in the statistics below).
    let told = reconciled(&origin);
    assert_eq!(told["unreadable_count"], json!(1), "{told}");
    assert_eq!(told.get("unreadable"), None, "{told}");
    let mut without = report.clone();
    without
        .as_object_mut()
        .expect("a report")
        .remove("unreadable");
    assert_eq!(told, without);

    // The statistics as of the second submission: both applications, as they stood.
    let at = second["updated_at"].as_str().expect("updated_at");
    let r = operator.get(&format!(
        "/v1/regions/{origin_code}/statistics?at={}",
        at.replace('+', "%2B")
    ));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let statistics = r.json();
    assert_eq!(
        statistics["as_origin"]["by_status"],
        json!({"accepted": 1, "submitted": 1}),
        "{statistics}"
    );
    named(&statistics);
    // To the region's own token: how many, not which (the reasons are the operators').
    let r = origin.get(&format!(
        "/v1/regions/{origin_code}/statistics?at={}",
        at.replace('+', "%2B")
    ));
    let told = r.json();
    assert_eq!(told["unreadable_count"], json!(1), "{told}");
    assert_eq!(told.get("unreadable"), None, "{told}");
    assert_eq!(told["as_origin"], statistics["as_origin"], "{told}");
    assert!(gw.terminate().success());
    let said = std::fs::read_to_string(&gw.stderr_log).unwrap_or_default();
    assert!(!said.contains(SECRET), "the gateway's log echoes the bytes");

    // The same offline: the same answers, and stderr says what they leave out.
    let file = f.dir.0.join("records.csv");
    std::fs::write(&file, &records).expect("records");
    let file = file.to_str().expect("path");
    let reconcile = ["reconcile", "--region", origin_code, "--records", file];
    let (code, out, err) = tongban(&[&reconcile[..], &["--format", "json"]].concat(), &f.data);
    assert_eq!(code, 1, "{out}{err}");
    let offline: Value = serde_json::from_str(&out).expect("json report");
    assert_eq!(offline["agreeing"], json!(2), "{offline}");
    assert_eq!(offline["discrepancies"], json!([]), "{offline}");
    assert_eq!(offline["agrees"], json!(false), "{offline}");
    named(&offline);
    let leaves_out = format!(
        "leaves out 1 record(s) of the log that are not events, at position {position} (at \
         {position}: "
    );
    assert!(
        err.contains(&format!("this reconciliation {leaves_out}")),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
    let (code, out, err) = tongban(&reconcile, &f.data);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("2 agree, 0 discrepancies"), "{out}");
    assert!(
        out.contains(&format!(
            "not taken into account: 1 record(s) of the log that are not events, at position \
             {position}"
        )),
        "{out}"
    );
    assert!(!out.contains(SECRET) && !err.contains(SECRET), "{out}{err}");

    let (code, out, err) = tongban(
        &["statistics", "--region", origin_code, "--at", at],
        &f.data,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&out).expect("json"),
        statistics
    );
    assert!(
        err.contains(&format!("these figures {leaves_out}")),
        "{err}"
    );
    assert!(!out.contains(SECRET) && !err.contains(SECRET), "{out}{err}");

    // A serial given after the record is found all the same.
    let (code, out, err) = tongban(&["find", "--serial", serial], &f.data);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        format!("{later}\t{origin_code}\tidempotency-key\n"),
        "{err}"
    );
    assert!(err.contains(&format!("this search {leaves_out}")), "{err}");
    assert!(!err.contains(SECRET), "{err}");
}

/// Given a forwarded application, then a second submission the gateway acknowledged before it
/// was killed (its projector held back: the log's last record, not projected yet), whose bytes
/// are then overwritten by bytes that are not an event (holding an ID number, as bit rot could
/// leave them), when the gateway starts, then it starts (the index proves its writer wrote that
/// position) and logs an ERROR naming the position; `/healthz` is ok, the held list names the
/// position, a new submission is written at the next position and read, the first application
/// reads and takes its next action, the damaged one's reads and its action answer `log-corrupt`
/// (appending nothing), and the ID number is in no answer and no log line. Given then the same
/// bytes planted one past the end (no index entry: not the writer's), the start is refused
/// (exit 2), naming the position.
#[test]
fn a_damaged_last_record_its_writer_wrote_is_passed_over_and_one_planted_after_it_is_refused() {
    let f = stored::forwarded("unreadable-last");
    let (data, tokens, body, id) = (&f.data, &f.tokens, &f.body, &f.id);
    let origin_code = &f.origin_code;
    let mut answers: Vec<String> = Vec::new();
    let mut gw = Gateway::start_env(
        data,
        false,
        &[],
        &[("TONGBAN_TEST_PROJECTOR_DELAY_MS", "60000")],
    );
    let origin = gw.client(Some(&tokens[origin_code]));
    let r = origin.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "YS-2026-0009")],
        body,
    );
    let damaged_app = common::created_id(&r);
    let written: u64 = r
        .header("x-tongban-position")
        .and_then(|p| p.parse().ok())
        .expect("position");
    gw.kill9();
    let garbage = format!("{{\"name\": \"{SECRET}\", \"torn\": ");
    let position = stored::damage(&data.join("log"), &damaged_app, 1, garbage.as_bytes());
    assert_eq!(position, written);

    let mut gw = Gateway::start(data, false);
    let origin = gw.client(Some(&tokens[origin_code]));
    let lead = gw.client(Some(&tokens[&f.lead_code]));
    let operator = gw.client(Some(&tokens["operator"]));
    let r = origin.post_with(
        "/v1/applications",
        &[("Idempotency-Key", "YS-2026-0010")],
        body,
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("x-tongban-position"),
        Some((position + 1).to_string().as_str())
    );
    let later = common::created_id(&r);
    let view = origin.get(&format!("/v1/applications/{later}"));
    assert_eq!(view.json()["status"], json!("submitted"), "{}", view.json());
    let accepted = lead.post(&format!("/v1/applications/{id}/accept"), &json!({}));
    assert_eq!(
        accepted.status,
        200,
        "{}",
        String::from_utf8_lossy(&accepted.body)
    );
    let view = origin.get(&format!("/v1/applications/{id}"));
    assert_eq!(view.json()["status"], json!("accepted"), "{}", view.json());
    let events = origin.get(&format!("/v1/applications/{id}/events"));
    assert_eq!(
        events.status,
        200,
        "{}",
        String::from_utf8_lossy(&events.body)
    );
    // The damaged application has no event that reads: its reads say where its log is damaged.
    let history = origin.get(&format!("/v1/applications/{damaged_app}/events"));
    let damaged_view = origin.get(&format!("/v1/applications/{damaged_app}"));
    let end = operator.get("/healthz").json()["log_position"].clone();
    let action = origin.post(
        &format!("/v1/applications/{damaged_app}/forward"),
        &json!({"materials_checked": true}),
    );
    assert_eq!(
        operator.get("/healthz").json()["log_position"],
        end,
        "the action appended"
    );
    for r in [&history, &damaged_view, &action] {
        let problem = r.json();
        assert_eq!(r.status, 500, "{problem}");
        assert_eq!(
            problem["type"],
            json!("urn:tongban:problem:log-corrupt"),
            "{problem}"
        );
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains(&format!("log position {position} "))),
            "{problem}"
        );
    }

    let (items, count) = unreadable(&operator);
    assert_eq!(count, json!(1), "{items}");
    assert_eq!(items[0]["position"], json!(position), "{items}");
    let health = operator.get("/healthz").json();
    assert_eq!(health["status"], json!("ok"), "{health}");
    assert_eq!(health["log_unreadable"], json!(1), "{health}");
    for r in [&view, &events, &history, &damaged_view, &action] {
        answers.push(String::from_utf8_lossy(&r.body).into_owned());
    }
    answers.push(items.to_string());
    assert!(gw.terminate().success());
    let said = std::fs::read_to_string(&gw.stderr_log).unwrap_or_default();
    assert!(
        said.contains("is not the event the log's writer wrote there")
            && said.contains(&format!("position={position}")),
        "{said}"
    );
    assert!(!said.contains(SECRET), "the gateway's log echoes the bytes");
    for answer in &answers {
        assert!(!answer.contains(SECRET), "{answer}");
    }

    let planted = stored::plant_after_end(&data.join("log"), garbage.as_bytes());
    assert_eq!(planted, position + 3);
    let (code, err) = common::refused_start(data);
    assert_eq!(code, Some(2), "started anyway: {err}");
    assert!(
        err.contains(&format!(
            "the log's last event, at position {planted}, does not read as an event: it was not \
             appended by tongban"
        )),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}

/// Given two submissions appended while no gateway runs, each sealed with the gateway's own key
/// and unreadable by this build: one naming the origin as a party, one naming no party in a form
/// that reads; when an operator reconciles the origin's region over HTTP, then the report names
/// both by their applications; when the origin's own token does, then it names neither and counts
/// each in a finding without an application (the gateway serves neither to any party), its own
/// application reconciled as the operators' is. (A review found that a region's report naming
/// them left every test passing.)
#[test]
fn a_regions_own_reconciliation_names_no_submission_its_routes_do_not_serve() {
    let f = stored::forwarded("reconcile-unserved");
    let (origin_code, lead_code, id) = (&f.origin_code, &f.lead_code, &f.id);
    let submission = |app: &str, data: Value| {
        let content = Content {
            kind: "application.submitted".into(),
            schema: "application.submitted/1".into(),
            region: origin_code.clone(),
            actor: format!("{origin_code}/newer-build"),
            at: "2026-12-03T02:00:00.000Z".into(),
            data,
        };
        stored::append_first(&f.data, app, content, |_| {});
    };
    let naming = "0000000a-0000-4000-8000-00000000000a";
    let unnamed = "0000000b-0000-4000-8000-00000000000b";
    submission(
        naming,
        json!({"origin": origin_code, "handlers": [lead_code], "matter": 42}),
    );
    submission(unnamed, json!({"matter": 42}));
    let gw = Gateway::start(&f.data, false);
    let origin = gw.client(Some(&f.tokens[origin_code]));
    let operator = gw.client(Some(&f.tokens["operator"]));
    let view = origin.get(&format!("/v1/applications/{id}")).json();
    let records = format!(
        "app,status,updated_at\n{id},forwarded,{}\n",
        view["updated_at"].as_str().expect("updated_at")
    );
    let reconciled = |by: &common::Client| reconciled(by, origin_code, &records);
    let undecodable = |report: &Value| -> Vec<Value> {
        report["discrepancies"]
            .as_array()
            .expect("discrepancies")
            .iter()
            .filter(|d| d["category"] == json!("undecodable-event"))
            .cloned()
            .collect()
    };
    let report = reconciled(&operator);
    let mut named: Vec<String> = undecodable(&report)
        .iter()
        .filter_map(|d| d["app"].as_str().map(str::to_string))
        .collect();
    named.sort();
    assert_eq!(
        named,
        vec![naming.to_string(), unnamed.to_string()],
        "{report:#}"
    );
    assert_eq!(report["agreeing"], json!(1), "{report:#}");

    let told = reconciled(&origin);
    let text = told.to_string();
    assert!(
        !text.contains(naming) && !text.contains(unnamed),
        "{told:#}"
    );
    let counted = undecodable(&told);
    assert_eq!(counted.len(), 2, "{told:#}");
    assert!(
        counted
            .iter()
            .all(|d| d.get("app").is_none_or(Value::is_null)),
        "{told:#}"
    );
    assert!(
        counted.iter().any(
            |d| d["detail"].as_str().is_some_and(|t| t.starts_with(&format!(
                "1 submission(s) in the log name {origin_code} as a party"
            )))
        ),
        "{told:#}"
    );
    assert_eq!(told["agreeing"], json!(1), "{told:#}");
    assert_eq!(told["agrees"], json!(false), "{told:#}");
}
