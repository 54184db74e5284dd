//! Overdue clocks, over real HTTP against the real binary. The clocks are made overdue by real
//! dates: histories sealed with the gateway's own key at times in November 2026 (as a gateway
//! running then would have written them) are put in the log before the gateway starts, beside one
//! written now; the gateway judges them by today's Beijing date.

mod common;

use common::{Client, Gateway, TempDir, register_regions, success, tongban_on};
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

/// Sample application `i`'s history under a new id (its matter's route:
/// [`tongban_gateway::sample::commands`]): its first `n` steps, then `extra`, one step at each
/// of `times`, sealed with `key` as the gateway would have sealed them then.
fn history(
    key: &GatewayKey,
    i: usize,
    n: usize,
    extra: Vec<(String, Command)>,
    times: &[&str],
) -> (String, Vec<tongban_gateway::envelope::Envelope>) {
    let steps = tongban_gateway::sample::commands(i).expect("sample commands");
    let app = tongban_gateway::ids::new_v7();
    let chosen = steps.into_iter().take(n).chain(extra);
    let timed = chosen
        .zip(times.iter().map(|t| t.to_string()))
        .map(|((region, cmd), at)| (region, cmd, at));
    let events = tongban_gateway::sample::sealed(&app, timed, "overdue", key).expect("legal");
    assert_eq!(events.len(), times.len());
    (app, events)
}

/// Appends the histories to `data`'s log, while no gateway runs.
fn append_all(data: &std::path::Path, all: &[(String, Vec<tongban_gateway::envelope::Envelope>)]) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // The evidence store a gateway that wrote them would have kept (empty: nothing signed): a
    // log holding events is not served without it.
    std::fs::create_dir_all(data.join("evidence")).expect("evidence");
    runtime.block_on(async {
        let log = EmbeddedLog::open(&data.join("log")).expect("open the log");
        for (_, events) in all {
            for e in events {
                log.append(e.clone(), e.seq - 1).await.expect("append");
            }
        }
    });
}

fn suspend() -> Command {
    Command::Suspend(ev::Suspended {
        kind: ev::SuspensionKind::ExpertReview,
        reason: "专家评审".into(),
    })
}

const NOV2: &str = "2026-11-02T03:00:00.000Z";

/// Writes the histories into `data`'s log, while no gateway runs.
fn write_histories(data: &std::path::Path) -> Apps {
    let key = GatewayKey::load_or_create(&data.join("gateway.key")).expect("key");
    let steps = tongban_gateway::sample::commands(0).expect("sample commands");
    let origin = steps[0].0.clone();
    let lead = steps[2].0.clone();
    let now = tongban_gateway::time::Timestamp::now().to_rfc3339();
    let nov2 = NOV2;
    let all = [
        history(&key, 0, 2, vec![], &[nov2, nov2]),
        history(&key, 0, 3, vec![], &[nov2, nov2, nov2]),
        history(
            &key,
            0,
            3,
            vec![(lead.clone(), suspend())],
            &[nov2, nov2, nov2, "2026-11-03T03:00:00.000Z"],
        ),
        history(&key, 0, 2, vec![], &[&now, &now]),
        history(&key, 0, 6, vec![], &[nov2, nov2, nov2, nov2, nov2, nov2]),
    ];
    append_all(data, &all);
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
    // Never answered: accepted by law on receipt (Art. 32), its decision clock runs from the
    // receipt and has run out too.
    assert_eq!(
        deadlines(&apps.late_acceptance),
        [
            (json!("acceptance"), json!("overdue"), json!(true)),
            (json!("decision"), json!("overdue"), json!(true))
        ]
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
            let keys: Vec<&String> = i
                .as_object()
                .expect("an object")
                .keys()
                .filter(|k| *k != "deemed")
                .collect();
            // Said only of a decision clock of a deemed acceptance (its test reads it).
            assert!(
                i.get("deemed").is_none()
                    || (i["deemed"] == json!(true) && i["kind"] == json!("decision")),
                "{i}"
            );
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

    // Oldest due first; the paused, the fresh and the finished ones are not late. The one
    // never answered was accepted by law on receipt (Art. 32): its decision clock, run from
    // the receipt, is late too.
    let mut expected = vec![
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
        (
            apps.late_acceptance.clone(),
            "decision".to_string(),
            "2026-11-30".to_string(),
            days_since("2026-11-30"),
        ),
    ];
    expected[1..].sort_by(|x, y| x.0.cmp(&y.0));
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
            "tongban_deadlines_overdue{kind=\"decision\"} 2",
            "tongban_deadlines_overdue{kind=\"issue\"} 0",
        ]
    );
    // A page at a time.
    let (first, page) = overdue_list(&operator, "?limit=1");
    assert_eq!(first, expected[..1]);
    let next = page["next"].as_str().expect("next").to_string();
    let (second, page) = overdue_list(&operator, &format!("?limit=2&after={next}"));
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

    // Accepted late: the acceptance clock closes (missed); the decision clock the law started
    // on receipt (行政许可法 Art. 32) stays as it was, from the forward on 11-02, due 11-30.
    let r = lead.post(
        &format!("/v1/applications/{}/accept", apps.late_acceptance),
        &json!({}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let after_accept = expected[1..].to_vec();
    assert_eq!(overdue_list(&operator, "").0, after_accept);
    assert_eq!(
        gauge(&anon)[..2],
        [
            "tongban_deadlines_overdue{kind=\"acceptance\"} 0",
            "tongban_deadlines_overdue{kind=\"decision\"} 2",
        ]
    );

    // The same after a restart, and after the projections are rebuilt from the log.
    assert!(gw.terminate().success());
    let mut gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(overdue_list(&operator, "").0, after_accept);
    assert!(gw.terminate().success());
    common::tongban_on(&data, &["rebuild"]);
    let gw = Gateway::start(&data, false);
    let operator = gw.client(Some(&tokens["operator"]));
    assert_eq!(overdue_list(&operator, "").0, after_accept);
    // The region's own order of the index is rebuilt too.
    let lead = gw.client(Some(&tokens[&apps.lead]));
    assert_eq!(overdue_list(&lead, "").0, after_accept);
    let origin = gw.client(Some(&tokens[&apps.origin]));
    assert!(overdue_list(&origin, "").0.is_empty());
}

/// Two regions' overdue lists over real HTTP: each region's token lists exactly the operator's
/// list filtered to the clocks it is responsible for (each region is the other's origin for
/// some of them), page by page through `next`, and a transition one region makes moves only
/// its own list; the same after a restart. Each region's list is read from its own order of the
/// index of running clocks (docs/operators.md, "Overdue clocks").
#[test]
fn each_regions_overdue_list_is_its_own_page_by_page_among_two_regions() {
    let tmp = TempDir::new("overdue-two-regions");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let key = GatewayKey::load_or_create(&data.join("gateway.key")).expect("key");
    // Sample 0 (medical filing) goes from 440000 to 330000, sample 5 (business registration)
    // from 330000 to 440000: each region the lead of one and the origin of the other.
    let leads = |i: usize| {
        let steps = tongban_gateway::sample::commands(i).expect("sample commands");
        (steps[0].0.clone(), steps[2].0.clone())
    };
    let (a, b) = (leads(0).1, leads(5).1);
    assert_eq!((leads(0).0, leads(5).0), (b.clone(), a.clone()));
    let day = |d: u32| format!("2026-11-{d:02}T03:00:00.000Z");
    let supplement_request = |lead: &str| {
        (
            lead.to_string(),
            Command::RequestSupplement(ev::SupplementRequested {
                items: vec!["户口簿首页".into()],
                note: None,
            }),
        )
    };
    let mut all = Vec::new();
    for (i, lead) in [(0, &a), (5, &b)] {
        let origin = leads(i).0;
        // Left at acceptance, forwarded on different days.
        for d in [2, 3, 4] {
            all.push(history(&key, i, 2, vec![], &[&day(d), &day(d)]));
        }
        // Accepted: a late decision.
        all.push(history(&key, i, 3, vec![], &[NOV2, NOV2, NOV2]));
        // Suspended: paused, not listed.
        all.push(history(
            &key,
            i,
            3,
            vec![(lead.clone(), suspend())],
            &[NOV2, NOV2, NOV2, &day(3)],
        ));
        // Asked for a supplement: the turn is the origin's, and no clock runs.
        all.push(history(
            &key,
            i,
            2,
            vec![supplement_request(lead)],
            &[NOV2, NOV2, &day(3)],
        ));
        // Given one: a new acceptance clock, the lead's again.
        all.push(history(
            &key,
            i,
            2,
            vec![
                supplement_request(lead),
                (
                    origin,
                    Command::Supplement(ev::Supplemented {
                        materials: vec![
                            serde_json::from_value(json!({
                                "name": "户口簿首页", "kind": "id-card",
                                "sha256": "ab".repeat(32), "size": 1024
                            }))
                            .expect("a material"),
                        ],
                        note: None,
                    }),
                ),
            ],
            &[NOV2, NOV2, &day(3), &day(5)],
        ));
    }
    append_all(&data, &all);
    let mut gw = Gateway::start(&data, false);

    // The operator's whole list, as `(app, kind, due, days)` with each line's region.
    let whole = |gw: &Gateway| -> Vec<((String, String, String, i64), String)> {
        let operator = gw.client(Some(&tokens["operator"]));
        let (items, page) = overdue_list(&operator, "?limit=1000");
        assert_eq!(page["next"], Value::Null);
        let regions = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| i["responsible"].as_str().expect("responsible").to_string());
        items.into_iter().zip(regions).collect()
    };
    // A region's list, a page of `limit` at a time through `next`.
    let paged = |gw: &Gateway, region: &str, limit: usize| {
        let client = gw.client(Some(&tokens[region]));
        let mut out = Vec::new();
        let mut query = format!("?limit={limit}");
        loop {
            let (items, page) = overdue_list(&client, &query);
            assert!(items.len() <= limit);
            out.extend(items);
            match page["next"].as_str() {
                Some(next) => query = format!("?limit={limit}&after={next}"),
                None => break,
            }
        }
        out
    };
    let check = |gw: &Gateway| {
        let whole = whole(gw);
        for region in [&a, &b] {
            let own: Vec<(String, String, String, i64)> = whole
                .iter()
                .filter(|(_, r)| r == region)
                .map(|(c, _)| c.clone())
                .collect();
            for limit in [1, 2, 1000] {
                assert_eq!(paged(gw, region, limit), own, "{region}, pages of {limit}");
            }
        }
        whole
    };
    let before = check(&gw);
    // Each region: three late acceptances, the supplemented one's new acceptance, a late
    // decision, and the four never answered in their window are accepted by law on receipt
    // (Art. 32), so their decision clocks (due 11-30 to 12-03) are late too; nothing paused or
    // at the origin's turn.
    for region in [&a, &b] {
        let mut kinds: Vec<&str> = before
            .iter()
            .filter(|(_, r)| r == region)
            .map(|((_, kind, _, _), _)| kind.as_str())
            .collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                "acceptance",
                "acceptance",
                "acceptance",
                "acceptance",
                "decision",
                "decision",
                "decision",
                "decision",
                "decision"
            ],
            "{region}"
        );
    }
    assert_eq!(before.len(), 18);
    // A region party to none of them lists none.
    let other = gw.client(Some(&tokens[&leads(1).0]));
    assert!(overdue_list(&other, "").0.is_empty());

    // Region a accepts its oldest late application (forwarded 11-02): that clock leaves a's
    // list, and its decision clock, run from the receipt (accepted on receipt by law), stays
    // as it was; b's list is as it was.
    let at = before
        .iter()
        .position(|((_, kind, _, _), r)| kind == "acceptance" && *r == a)
        .expect("a late acceptance of a's");
    let first = before[at].0.0.clone();
    assert_eq!(before[at].0.2, "2026-11-09");
    let r = gw
        .client(Some(&tokens[&a]))
        .post(&format!("/v1/applications/{first}/accept"), &json!({}));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut expected = before.clone();
    expected.remove(at);
    assert!(expected.contains(&(
        (
            first.clone(),
            "decision".to_string(),
            "2026-11-30".to_string(),
            days_since("2026-11-30"),
        ),
        a.clone(),
    )));
    assert_eq!(check(&gw), expected);

    // The same after a restart.
    assert!(gw.terminate().success());
    let gw = Gateway::start(&data, false);
    assert_eq!(check(&gw), expected);
}

/// Given five applications of one origin and one lead handler (two waiting for acceptance, one
/// of them since November; one accepted in November, one suspended, one delivered), when the
/// lead, the origin and an operator read `GET /v1/regions/{region}/statistics`, then each side
/// counts the five by status and matter, and the lead's clocks by kind: running (overdue
/// included), overdue today, paused, met; a write shows in the next read; another region is
/// refused (403), an unknown one is 404, and a query parameter is named (400).
#[test]
fn a_regions_statistics_count_its_applications_and_clocks() {
    let tmp = TempDir::new("statistics");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let apps = write_histories(&data);
    let gw = Gateway::start(&data, false);
    let lead = gw.client(Some(&tokens[&apps.lead]));
    let stats = |c: &Client, region: &str| ok(c, &format!("/v1/regions/{region}/statistics"));

    let s = stats(&lead, &apps.lead);
    let handled = &s["as_handler"];
    assert_eq!(handled["total"], json!(5), "{s}");
    assert_eq!(handled["open"], json!(4), "{s}");
    assert_eq!(
        handled["by_status"],
        json!({"forwarded": 2, "accepted": 1, "suspended": 1, "delivered": 1}),
        "{s}"
    );
    let matter = ok(&lead, &format!("/v1/applications/{}", apps.done))["matter"].clone();
    let matter = matter.as_str().expect("matter");
    assert_eq!(handled["by_matter"][matter]["total"], json!(5), "{s}");
    let clock = |s: &Value, kind: &str| {
        let c = &s["clocks"][kind];
        ["running", "overdue", "paused", "met", "missed", "cancelled"].map(|k| c[k].clone())
    };
    assert_eq!(
        clock(&s, "acceptance"),
        [2, 1, 0, 3, 0, 0].map(|n| json!(n)),
        "{s}"
    );
    // The late decision, and the deemed acceptance's (the one never answered): both running
    // and overdue.
    assert_eq!(
        clock(&s, "decision"),
        [2, 2, 1, 1, 0, 0].map(|n| json!(n)),
        "{s}"
    );
    assert_eq!(
        clock(&s, "issue"),
        [0, 0, 0, 1, 0, 0].map(|n| json!(n)),
        "{s}"
    );
    if apps.origin != apps.lead {
        assert_eq!(s["as_origin"]["total"], json!(0), "{s}");
    }

    // The origin's side, read by the origin and by an operator alike.
    let origin = gw.client(Some(&tokens[&apps.origin]));
    let operator = gw.client(Some(&tokens["operator"]));
    let sent = stats(&origin, &apps.origin);
    assert_eq!(
        sent["as_origin"]["by_status"], handled["by_status"],
        "{sent}"
    );
    assert_eq!(stats(&operator, &apps.origin), sent);

    // The lead accepts the fresh application: the next read counts it.
    let r = lead.post(
        &format!("/v1/applications/{}/accept", apps.fresh),
        &json!({"reference": "受理-2026-0001"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let s = stats(&lead, &apps.lead);
    assert_eq!(s["as_handler"]["by_status"]["accepted"], json!(2), "{s}");
    assert_eq!(s["as_handler"]["by_status"]["forwarded"], json!(1), "{s}");
    assert_eq!(
        clock(&s, "acceptance"),
        [1, 1, 0, 4, 0, 0].map(|n| json!(n)),
        "{s}"
    );
    assert_eq!(clock(&s, "decision")[0], json!(3), "{s}");

    // Another region may not read the lead's; an unknown region is none; no parameters.
    let other = tongban_gateway::demo::REGIONS
        .iter()
        .map(|(code, _)| *code)
        .find(|r| *r != apps.lead && *r != apps.origin)
        .expect("a third region");
    let r = gw
        .client(Some(&tokens[other]))
        .get(&format!("/v1/regions/{}/statistics", apps.lead));
    assert_eq!(r.status, 403, "{}", String::from_utf8_lossy(&r.body));
    assert!(String::from_utf8_lossy(&r.body).contains("statistics"));
    assert_eq!(operator.get("/v1/regions/999998/statistics").status, 404);
    let r = lead.get(&format!(
        "/v1/regions/{}/statistics?since=2026-11-01",
        apps.lead
    ));
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["errors"][0]["pointer"], json!("query:since"));
}

/// A clock's six counts (`running`, `overdue`, `paused`, `met`, `missed`, `cancelled`) of kind
/// `kind` in statistics `s`.
fn clock_counts(s: &Value, kind: &str) -> [Value; 6] {
    let c = &s["clocks"][kind];
    ["running", "overdue", "paused", "met", "missed", "cancelled"].map(|k| c[k].clone())
}

/// `s` without its `at`: what the statistics of now say of the same moment.
fn without_at(mut s: Value) -> Value {
    s.as_object_mut().expect("statistics").remove("at");
    s
}

/// Given the five applications of November (two waiting for acceptance since then, one
/// accepted, one suspended 11-03, one delivered; one more forwarded just before the gateway
/// started), when the lead then accepts that one and the origin submits another, each at a
/// known moment, then `GET /v1/regions/{region}/statistics?at=` answers the counts as they
/// stood at each instant asked: zeros a millisecond before the first event; the November
/// applications as of their first day (the suspension not yet made); at 2026-11-30 24:00
/// Beijing time the decision clocks due 11-30 overdue, and a moment before not yet; between
/// the live steps, each step counted from its moment; as of now, exactly the statistics of now,
/// for the lead, the origin and an operator. An instant that is not RFC 3339, one in the future
/// or beside another parameter is refused 400 by name and rule, without echoing a value that is
/// no time; another region's is 403. Offline, `tongban statistics --at` gives the same
/// document.
#[test]
fn a_regions_statistics_as_of_an_instant_count_what_stood_then() {
    use tongban_gateway::time::Timestamp;
    let tmp = TempDir::new("statistics-at");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let apps = write_histories(&data);
    let gw = Gateway::start(&data, false);
    let lead = gw.client(Some(&tokens[&apps.lead]));
    let origin = gw.client(Some(&tokens[&apps.origin]));
    let operator = gw.client(Some(&tokens["operator"]));
    let at = |c: &Client, region: &str, instant: &str| {
        ok(c, &format!("/v1/regions/{region}/statistics?at={instant}"))
    };
    let counts = |n: [u64; 6]| n.map(|n| json!(n));
    let statuses = |s: &Value| s["as_handler"]["by_status"].clone();

    // A millisecond before the first event: nothing, the instant said back in UTC.
    let s = at(&lead, &apps.lead, "2026-11-02T02:59:59.999Z");
    assert_eq!(s["at"], json!("2026-11-02T02:59:59.999Z"), "{s}");
    assert_eq!(
        (
            &s["position"],
            &s["as_handler"]["total"],
            &s["as_origin"]["total"]
        ),
        (&json!(0), &json!(0), &json!(0)),
        "{s}"
    );
    for kind in ["acceptance", "decision", "issue"] {
        assert_eq!(clock_counts(&s, kind), counts([0; 6]), "{s}");
    }
    // At the first events (at or before counts them), Beijing time with its offset: the one
    // suspended 11-03 still accepted and running; nothing overdue on 11-02.
    let s = at(&lead, &apps.lead, "2026-11-02T11:00:00%2B08:00");
    assert_eq!(s["at"], json!(NOV2), "{s}");
    assert_eq!(
        statuses(&s),
        json!({"forwarded": 1, "accepted": 2, "delivered": 1}),
        "{s}"
    );
    assert_eq!(clock_counts(&s, "acceptance"), counts([1, 0, 0, 3, 0, 0]));
    assert_eq!(clock_counts(&s, "decision"), counts([2, 0, 0, 1, 0, 0]));
    assert_eq!(clock_counts(&s, "issue"), counts([0, 0, 0, 1, 0, 0]));
    // The month's end, 2026-11-30 24:00 Beijing time: the window of 11-09 overdue, and the
    // decision clocks due 11-30 (the accepted one's, and the deemed acceptance's: 行政许可法
    // Art. 32) overdue on 12-01; the application forwarded in December not counted.
    let month_end = at(&lead, &apps.lead, "2026-12-01T00:00:00%2B08:00");
    assert_eq!(month_end["as_handler"]["total"], json!(4), "{month_end}");
    assert_eq!(
        statuses(&month_end),
        json!({"forwarded": 1, "accepted": 1, "suspended": 1, "delivered": 1}),
        "{month_end}"
    );
    assert_eq!(
        clock_counts(&month_end, "acceptance"),
        counts([1, 1, 0, 3, 0, 0])
    );
    assert_eq!(
        clock_counts(&month_end, "decision"),
        counts([2, 2, 1, 1, 0, 0])
    );
    // A millisecond before, still 11-30: those due that day are not late yet.
    let s = at(&lead, &apps.lead, "2026-11-30T23:59:59.999%2B08:00");
    assert_eq!(clock_counts(&s, "decision"), counts([2, 0, 1, 1, 0, 0]));
    // The origin's side of the same moment, read by the origin and an operator alike.
    let sent = at(&origin, &apps.origin, "2026-12-01T00:00:00%2B08:00");
    assert_eq!(sent["as_origin"]["total"], json!(4), "{sent}");
    assert_eq!(
        at(&operator, &apps.origin, "2026-12-01T00:00:00%2B08:00"),
        sent
    );

    // Now, live: the lead accepts the application forwarded in December, then the origin
    // submits another, each at a moment known to be between the steps.
    let pause = || std::thread::sleep(std::time::Duration::from_millis(50));
    let before_accept = Timestamp::now().to_rfc3339();
    pause();
    let r = lead.post(
        &format!("/v1/applications/{}/accept", apps.fresh),
        &json!({"reference": "受理-2026-0002"}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let accepted = Timestamp::now().to_rfc3339();
    pause();
    let matter = &tongban_schemas::matters::all()[0];
    let r = origin.post("/v1/applications", &matter.example());
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let submitted = Timestamp::now().to_rfc3339();

    let s = at(&lead, &apps.lead, &before_accept);
    assert_eq!(
        statuses(&s),
        json!({"forwarded": 2, "accepted": 1, "suspended": 1, "delivered": 1}),
        "{s}"
    );
    assert_eq!(clock_counts(&s, "acceptance"), counts([2, 1, 0, 3, 0, 0]));
    assert_eq!(clock_counts(&s, "decision"), counts([2, 2, 1, 1, 0, 0]));
    let s = at(&lead, &apps.lead, &accepted);
    assert_eq!(s["at"], json!(accepted), "{s}");
    assert_eq!(
        statuses(&s),
        json!({"forwarded": 1, "accepted": 2, "suspended": 1, "delivered": 1}),
        "{s}"
    );
    assert_eq!(clock_counts(&s, "acceptance"), counts([1, 1, 0, 4, 0, 0]));
    assert_eq!(clock_counts(&s, "decision"), counts([3, 2, 1, 1, 0, 0]));
    let s = at(&lead, &apps.lead, &submitted);
    assert_eq!(s["as_handler"]["total"], json!(6), "{s}");
    assert_eq!(s["as_handler"]["by_status"]["submitted"], json!(1), "{s}");
    assert_eq!(s["as_handler"]["open"], json!(5), "{s}");

    // As of now: the statistics of now, exactly, for every side and reader.
    for (c, region) in [
        (&lead, &apps.lead),
        (&origin, &apps.origin),
        (&operator, &apps.lead),
    ] {
        let live = ok(c, &format!("/v1/regions/{region}/statistics"));
        assert!(live.get("at").is_none(), "{live}");
        let now = Timestamp::now().to_rfc3339();
        assert_eq!(without_at(at(c, region, &now)), live);
    }

    // Refusals: by parameter and rule, the value quoted only when it has a time's form.
    let refused = |c: &Client, query: &str, status: u16| {
        let r = c.get(&format!("/v1/regions/{}/statistics?{query}", apps.lead));
        assert_eq!(
            r.status,
            status,
            "{query}: {}",
            String::from_utf8_lossy(&r.body)
        );
        r.json()
    };
    let p = refused(&lead, "at=2026-11-30%2024:00", 400);
    assert_eq!(
        (&p["errors"][0]["pointer"], &p["errors"][0]["rule"]),
        (&json!("query:at"), &json!("format")),
        "{p}"
    );
    let detail = p["detail"].as_str().expect("detail");
    assert!(
        detail.contains("RFC 3339") && detail.contains("\"2026-11-30 24:00\""),
        "{p}"
    );
    // The offset's + sent as it is reads as a space: said so.
    let p = refused(&lead, "at=2026-12-01T00:00:00+08:00", 400);
    assert!(p["detail"].as_str().expect("detail").contains("%2B"), "{p}");
    let p = refused(&lead, "at=110101199003077777", 400);
    assert_eq!(p["errors"][0]["rule"], json!("format"), "{p}");
    assert!(!p.to_string().contains("1101011990"), "{p}");
    let p = refused(&lead, "at=2099-01-01T00:00:00Z", 400);
    assert_eq!(
        (&p["errors"][0]["pointer"], &p["errors"][0]["rule"]),
        (&json!("query:at"), &json!("range")),
        "{p}"
    );
    assert!(
        p["detail"].as_str().expect("detail").contains("after now"),
        "{p}"
    );
    let p = refused(&lead, "at=2026-12-01T00:00:00Z&since=2026-11-01", 400);
    assert_eq!(p["errors"][0]["pointer"], json!("query:since"), "{p}");
    let other = tongban_gateway::demo::REGIONS
        .iter()
        .map(|(code, _)| *code)
        .find(|r| *r != apps.lead && *r != apps.origin)
        .expect("a third region");
    refused(
        &gw.client(Some(&tokens[other])),
        "at=2026-12-01T00:00:00Z",
        403,
    );
    refused(&gw.client(Some(&tokens[other])), "at=yesterday", 403);

    // Offline, with the gateway stopped: the same count, the same document.
    let mut gw = gw;
    assert!(gw.terminate().success());
    let offline = tongban_on(
        &data,
        &[
            "statistics",
            "--region",
            apps.lead.as_str(),
            "--at",
            "2026-12-01T00:00:00+08:00",
        ],
    );
    let offline: Value = serde_json::from_str(&offline).expect("json");
    assert_eq!(offline, month_end);
    let out = std::process::Command::new(common::BIN)
        .args([
            "statistics",
            "--region",
            apps.lead.as_str(),
            "--at",
            "2026-11-30 24:00",
        ])
        .arg("--data")
        .arg(&data)
        .output()
        .expect("tongban");
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("--at") && said.contains("RFC 3339"), "{said}");
    let out = std::process::Command::new(common::BIN)
        .args(["statistics", "--region", "990000", "--data"])
        .arg(&data)
        .output()
        .expect("tongban");
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("990000 is no region of this federation"),
        "{said}"
    );
}

/// Given two applications the lead handler never accepted, forwarded on Monday 11-02 (window to
/// 11-09): one never answered, one given a 补正告知 on 11-20, after its window ran out, and
/// supplemented on 11-23, when the lead's region reads its overdue list, an application and its
/// statistics over HTTP, then both are accepted by law as of the receipt (行政许可法 Art. 32):
/// each has a decision clock from 11-02, due 11-30 and late, listed under the decision clock
/// (`deemed`) and counted as a running, overdue decision clock, the late notice having stopped
/// nothing; the application says since when it counts as accepted while its status stays
/// forwarded. The supplement to the application already accepted opens no second acceptance
/// window: the late notice's one lateness is listed and counted once, in the overdue list and the
/// statistics, now and as of an instant. Neither is offered `not-accept` (on the application or
/// its inbox line); one sent all the same is taken with a `deemed-accepted` warning naming the
/// window's last day and the receipt. (Found by a domain review: until an acceptance came, the
/// decision clock the law had started showed nowhere, and its limit could lapse unseen; and by a
/// walkthrough: the supplement started a second acceptance clock, overdue beside them, and the
/// lead was still offered 不予受理, taken silently.)
#[test]
fn an_application_never_accepted_is_listed_under_its_deemed_decision_clock() {
    let tmp = TempDir::new("overdue-deemed");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);
    let key = GatewayKey::load_or_create(&data.join("gateway.key")).expect("key");
    let steps = tongban_gateway::sample::commands(0).expect("sample commands");
    let (origin, lead) = (steps[0].0.clone(), steps[2].0.clone());
    let never = history(&key, 0, 2, vec![], &[NOV2, NOV2]);
    let noticed = history(
        &key,
        0,
        2,
        vec![
            (
                lead.clone(),
                Command::RequestSupplement(ev::SupplementRequested {
                    items: vec!["户口簿首页".into()],
                    note: None,
                }),
            ),
            (
                origin.clone(),
                Command::Supplement(ev::Supplemented {
                    materials: vec![
                        serde_json::from_value(json!({
                            "name": "户口簿首页", "kind": "id-card",
                            "sha256": "ab".repeat(32), "size": 1024
                        }))
                        .expect("a material"),
                    ],
                    note: None,
                }),
            ),
        ],
        &[
            NOV2,
            NOV2,
            "2026-11-20T03:00:00.000Z",
            "2026-11-23T03:00:00.000Z",
        ],
    );
    append_all(&data, &[never.clone(), noticed.clone()]);
    let (never, noticed) = (never.0, noticed.0);
    let gw = Gateway::start(&data, false);
    let client = gw.client(Some(&tokens[&lead]));

    // The lead's list: each under its decision clock, deemed, beside the never-answered window
    // still open; the supplement opened none.
    let page = ok(&client, "/v1/deadlines/overdue");
    let mut listed: Vec<(String, String, String, bool)> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["app"].as_str().expect("app").to_string(),
                i["kind"].as_str().expect("kind").to_string(),
                i["due"].as_str().expect("due").to_string(),
                i["deemed"] == json!(true),
            )
        })
        .collect();
    listed.sort();
    let line = |app: &str, kind: &str, due: &str, deemed: bool| {
        (app.to_string(), kind.to_string(), due.to_string(), deemed)
    };
    let mut expected = vec![
        line(&never, "acceptance", "2026-11-09", false),
        line(&never, "decision", "2026-11-30", true),
        line(&noticed, "decision", "2026-11-30", true),
    ];
    expected.sort();
    assert_eq!(listed, expected, "{page}");
    assert!(
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["responsible"] == json!(lead)),
        "{page}"
    );
    // The origin is responsible for none of them.
    let origin_client = gw.client(Some(&tokens[&origin]));
    assert!(overdue_list(&origin_client, "").0.is_empty());

    // The application: forwarded, accepted by law as of the receipt, the decision clock from it.
    let app = ok(&client, &format!("/v1/applications/{never}"));
    assert_eq!(app["status"], json!("forwarded"), "{app}");
    assert_eq!(app["deemed_accepted_at"], json!(NOV2), "{app}");
    let decision = app["deadlines"]
        .as_array()
        .expect("deadlines")
        .iter()
        .find(|d| d["kind"] == json!("decision"))
        .cloned()
        .unwrap_or_else(|| panic!("no decision clock in {app}"));
    assert_eq!(
        [
            &decision["deemed"],
            &decision["started_at"],
            &decision["due"],
            &decision["situation"]
        ],
        [
            &json!(true),
            &json!(NOV2),
            &json!("2026-11-30"),
            &json!("overdue")
        ],
        "{decision}"
    );

    // The statistics: two decision clocks running, both overdue; the late notice's window
    // missed, the never-answered one open and overdue. As of an instant after the supplement
    // (counted from the log by the same fold), the same.
    for query in ["", "?at=2026-12-05T00:00:00%2B08:00"] {
        let s = ok(&client, &format!("/v1/regions/{lead}/statistics{query}"));
        let clock = |kind: &str| {
            let c = &s["clocks"][kind];
            ["running", "overdue", "paused", "met", "missed", "cancelled"].map(|k| c[k].clone())
        };
        assert_eq!(
            clock("decision"),
            [2, 2, 0, 0, 0, 0].map(|n| json!(n)),
            "{query}: {s}"
        );
        assert_eq!(
            clock("acceptance"),
            [1, 1, 0, 0, 1, 0].map(|n| json!(n)),
            "{query}: {s}"
        );
    }

    // Accepted by law, neither is offered a refusal to accept (不予受理): not on the
    // application, not on the inbox line (the never-answered one's written while the window
    // ran, judged on the read); the supplemented one has had its one 补正告知.
    let inbox = ok(&client, &format!("/v1/regions/{lead}/inbox"));
    for (id, offered) in [
        (&never, json!(["accept", "request-supplement"])),
        (&noticed, json!(["accept"])),
    ] {
        let read = ok(&client, &format!("/v1/applications/{id}"));
        assert_eq!(read["allowed"], offered, "{id}");
        let line = inbox["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|l| l["app"] == json!(id))
            .unwrap_or_else(|| panic!("no line of {id} in {inbox}"));
        assert_eq!(line["allowed"], offered, "{line}");
    }
    // Refused all the same: taken, with the warning that the law accepted it on 11-02.
    let r = client.post(
        &format!("/v1/applications/{never}/not-accept"),
        &json!({"reason": "材料不齐"}),
    );
    let answer = success(&r);
    let warnings = answer["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{answer}");
    assert_eq!(warnings[0]["rule"], json!("deemed-accepted"), "{answer}");
    let said = warnings[0]["message"].as_str().expect("message");
    assert!(
        said.contains("ran out on 2026-11-09") && said.contains("receipt on 2026-11-02"),
        "{said}"
    );
}
