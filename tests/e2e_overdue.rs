//! Overdue clocks, over real HTTP against the real binary. The clocks are made overdue by real
//! dates: histories sealed with the gateway's own key at times in November 2026 (as a gateway
//! running then would have written them) are put in the log before the gateway starts, beside one
//! written now; the gateway judges them by today's Beijing date.

mod common;

use common::{Client, Gateway, TempDir, register_regions};
use serde_json::{Value, json};
use tongban_gateway::domain::Command;
use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::log::{EmbeddedLog, EventLog};
use tongban_schemas::events as ev;

/// The applications put in the log, by what their clocks do today.
struct Apps {
    /// Forwarded 2026-11-02: its acceptance clock ran out after 2026-11-09.
    late_acceptance: String,
    /// Accepted 2026-11-02: its decision clock ran out after 2026-11-30.
    late_decision: String,
    /// Accepted 2026-11-02, suspended 2026-11-03: paused, so not overdue.
    paused: String,
    /// Forwarded now: running, not overdue.
    fresh: String,
    /// Delivered in November: no clock runs.
    done: String,
    /// The origin and the lead handler of all of them.
    origin: String,
    lead: String,
}

/// Writes the histories into `data`'s log, while no gateway runs.
fn write_histories(data: &std::path::Path) -> Apps {
    let key = GatewayKey::load_or_create(&data.join("gateway.key")).expect("key");
    let steps = tongban_gateway::sample::commands(0).expect("sample commands");
    let origin = steps[0].0.clone();
    let lead = steps[2].0.clone();
    let now = tongban_gateway::time::Timestamp::now().to_rfc3339();
    let history = |n: usize, extra: Option<(String, Command)>, times: &[&str]| {
        let app = tongban_gateway::ids::new_v7();
        let chosen = steps.iter().take(n).cloned().chain(extra);
        let timed = chosen
            .zip(times.iter().map(|t| t.to_string()))
            .map(|((region, cmd), at)| (region, cmd, at));
        let events = tongban_gateway::sample::sealed(&app, timed, "overdue", &key).expect("legal");
        assert_eq!(events.len(), times.len());
        (app, events)
    };
    let nov2 = "2026-11-02T03:00:00.000Z";
    let suspend = Command::Suspend(ev::Suspended {
        kind: ev::SuspensionKind::ExpertReview,
        reason: "专家评审".into(),
    });
    let all = [
        history(2, None, &[nov2, nov2]),
        history(3, None, &[nov2, nov2, nov2]),
        history(
            3,
            Some((lead.clone(), suspend)),
            &[nov2, nov2, nov2, "2026-11-03T03:00:00.000Z"],
        ),
        history(2, None, &[&now, &now]),
        history(6, None, &[nov2, nov2, nov2, nov2, nov2, nov2]),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let log = EmbeddedLog::open(&data.join("log")).expect("open the log");
        for (_, events) in &all {
            for e in events {
                log.append(e.clone(), e.seq - 1).await.expect("append");
            }
        }
    });
    let ids: Vec<String> = all.iter().map(|(app, _)| app.clone()).collect();
    Apps {
        late_acceptance: ids[0].clone(),
        late_decision: ids[1].clone(),
        paused: ids[2].clone(),
        fresh: ids[3].clone(),
        done: ids[4].clone(),
        origin,
        lead,
    }
}

fn ok(c: &Client, path: &str) -> Value {
    let r = c.get(path);
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    r.json()
}

/// Each inbox line's `overdue`, by application id.
fn inbox_overdue(c: &Client, region: &str) -> Vec<(String, bool, Value)> {
    let inbox = ok(c, &format!("/v1/regions/{region}/inbox"));
    let mut out: Vec<(String, bool, Value)> = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["app"].as_str().expect("app").to_string(),
                i["overdue"]
                    .as_bool()
                    .unwrap_or_else(|| panic!("no overdue in {i}")),
                i["due"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn inbox_lines_and_deadlines_say_whether_a_running_clock_is_overdue() {
    let tmp = TempDir::new("overdue-inbox");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let apps = write_histories(&data);
    let gw = Gateway::start(&data, false);
    let lead = gw.client(Some(&tokens[&apps.lead]));

    let mut expected = vec![
        (apps.late_acceptance.clone(), true, json!("2026-11-09")),
        (apps.late_decision.clone(), true, json!("2026-11-30")),
        // Paused: no running clock, so no due date on the line, and not overdue.
        (apps.paused.clone(), false, Value::Null),
    ];
    let fresh = inbox_overdue(&lead, &apps.lead)
        .into_iter()
        .find(|(app, _, _)| *app == apps.fresh)
        .expect("the fresh application waits for the lead");
    assert!(!fresh.1, "{fresh:?}");
    expected.push(fresh);
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(inbox_overdue(&lead, &apps.lead), expected);
    // An operator reads the same lines.
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(inbox_overdue(&operator, &apps.lead), expected);
    // The origin's outbox lines say it too.
    let origin = gw.client(Some(&tokens[&apps.origin]));
    let outbox = ok(&origin, &format!("/v1/regions/{}/outbox", apps.origin));
    let line = |app: &str| {
        outbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|i| i["app"] == json!(app))
            .cloned()
            .unwrap_or_else(|| panic!("{app} not in {outbox}"))
    };
    assert_eq!(line(&apps.late_decision)["overdue"], json!(true));
    assert_eq!(line(&apps.fresh)["overdue"], json!(false));

    // The application's deadlines: the running one that ran out is overdue, a paused one and
    // closed ones are not.
    let deadlines = |app: &str| -> Vec<(Value, Value, Value)> {
        ok(&lead, &format!("/v1/applications/{app}"))["deadlines"]
            .as_array()
            .expect("deadlines")
            .iter()
            .map(|d| {
                (
                    d["kind"].clone(),
                    d["situation"].clone(),
                    d["overdue"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        deadlines(&apps.late_acceptance),
        [(json!("acceptance"), json!("overdue"), json!(true))]
    );
    assert_eq!(
        deadlines(&apps.paused),
        [
            (json!("acceptance"), json!("met"), json!(false)),
            (json!("decision"), json!("paused"), json!(false))
        ]
    );
    assert_eq!(
        deadlines(&apps.done),
        [
            (json!("acceptance"), json!("met"), json!(false)),
            (json!("decision"), json!("met"), json!(false)),
            (json!("issue"), json!("met"), json!(false))
        ]
    );
}

/// The overdue list as `(app, kind, due, days_overdue)`, checking each line holds nothing else
/// than it should.
fn overdue_list(c: &Client, query: &str) -> (Vec<(String, String, String, i64)>, Value) {
    let page = ok(c, &format!("/v1/deadlines/overdue{query}"));
    let items = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let keys: Vec<&String> = i.as_object().expect("an object").keys().collect();
            assert_eq!(
                keys,
                [
                    "app",
                    "days_overdue",
                    "due",
                    "kind",
                    "matter",
                    "responsible"
                ],
                "{i}"
            );
            (
                i["app"].as_str().expect("app").to_string(),
                i["kind"].as_str().expect("kind").to_string(),
                i["due"].as_str().expect("due").to_string(),
                i["days_overdue"].as_i64().expect("days"),
            )
        })
        .collect();
    (items, page)
}

fn days_since(due: &str) -> i64 {
    let today = tongban_gateway::time::Timestamp::now().china_date();
    today.0
        - tongban_gateway::time::CivilDate::parse(due)
            .expect("date")
            .0
}

#[test]
fn the_overdue_list_names_each_late_clock_for_operators_and_its_responsible_region() {
    let tmp = TempDir::new("overdue-list");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let apps = write_histories(&data);
    let mut gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    let lead = gw.client(Some(&tokens[&apps.lead]));
    let origin = gw.client(Some(&tokens[&apps.origin]));
    assert_ne!(apps.origin, apps.lead);

    // Oldest due first; the paused, the fresh and the finished ones are not late.
    let expected = vec![
        (
            apps.late_acceptance.clone(),
            "acceptance".to_string(),
            "2026-11-09".to_string(),
            days_since("2026-11-09"),
        ),
        (
            apps.late_decision.clone(),
            "decision".to_string(),
            "2026-11-30".to_string(),
            days_since("2026-11-30"),
        ),
    ];
    let (items, page) = overdue_list(&operator, "");
    assert_eq!(items, expected);
    assert_eq!(page["next"], Value::Null);
    let today = tongban_gateway::time::Timestamp::now()
        .china_date()
        .to_string();
    assert_eq!(page["as_of"], json!(today));
    assert_eq!(page["items"][0]["responsible"], json!(apps.lead));
    let matter = tongban_gateway::sample::commands(0).expect("commands");
    let tongban_gateway::domain::Command::Submit(submitted) = &matter[0].1 else {
        panic!("a submission first")
    };
    assert_eq!(page["items"][0]["matter"], json!(submitted.matter));
    // No personal data in the answer.
    let text = page.to_string();
    let anon = gw.client(None);
    for value in common::personal_values(&anon.get("/v1/matters").json()) {
        assert!(!text.contains(&value), "{value} in {text}");
    }
    // The responsible region sees its clocks; the origin, responsible for none, sees none.
    assert_eq!(overdue_list(&lead, "").0, expected);
    assert!(overdue_list(&origin, "").0.is_empty());
    // The gauge counts them by kind.
    let gauge = |anon: &Client| -> Vec<String> {
        let text = String::from_utf8_lossy(&anon.get("/metrics").body).to_string();
        text.lines()
            .filter(|l| l.starts_with("tongban_deadlines_overdue{"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        gauge(&anon),
        [
            "tongban_deadlines_overdue{kind=\"acceptance\"} 1",
            "tongban_deadlines_overdue{kind=\"decision\"} 1",
            "tongban_deadlines_overdue{kind=\"issue\"} 0",
        ]
    );
    // A page at a time.
    let (first, page) = overdue_list(&operator, "?limit=1");
    assert_eq!(first, expected[..1]);
    let next = page["next"].as_str().expect("next").to_string();
    let (second, page) = overdue_list(&operator, &format!("?limit=1&after={next}"));
    assert_eq!(second, expected[1..]);
    let next = page["next"].as_str().expect("next").to_string();
    assert!(
        overdue_list(&operator, &format!("?limit=1&after={next}"))
            .0
            .is_empty()
    );
    let r = operator.get("/v1/deadlines/overdue?after=yesterday");
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["errors"][0]["pointer"], json!("query:after"));
    assert_eq!(gw.client(None).get("/v1/deadlines/overdue").status, 401);

    // Accepted late: the acceptance clock closes (missed) and the decision clock that starts is
    // not due yet.
    let r = lead.post(
        &format!("/v1/applications/{}/accept", apps.late_acceptance),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(overdue_list(&operator, "").0, expected[1..]);
    assert_eq!(
        gauge(&anon)[..2],
        [
            "tongban_deadlines_overdue{kind=\"acceptance\"} 0",
            "tongban_deadlines_overdue{kind=\"decision\"} 1",
        ]
    );

    // The same after a restart, and after the projections are rebuilt from the log.
    assert!(gw.terminate().success());
    let mut gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(overdue_list(&operator, "").0, expected[1..]);
    assert!(gw.terminate().success());
    common::tongban_on(&data, &["rebuild"]);
    let gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(overdue_list(&operator, "").0, expected[1..]);
}
