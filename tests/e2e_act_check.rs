//! End to end, against the real binary over real sockets: an action's dry run
//! (`POST /v1/applications/{id}/{action}/check`) answers what the action would do, or the
//! action's own refusal, and appends nothing.

mod common;

use common::{Client, Gateway, TempDir, refused, success};
use serde_json::{Value, json};

fn check(c: &Client, id: &str, action: &str, body: &Value) -> common::Response {
    c.post(&format!("/v1/applications/{id}/{action}/check"), body)
}

fn act(c: &Client, id: &str, action: &str, body: &Value) -> common::Response {
    c.post(&format!("/v1/applications/{id}/{action}"), body)
}

/// The application's seq and its events' count, as its origin reads them.
fn seq_and_events(c: &Client, id: &str) -> (Value, usize) {
    let read = success(&c.get(&format!("/v1/applications/{id}")));
    let events = success(&c.get(&format!("/v1/applications/{id}/events")));
    (
        read["seq"].clone(),
        events["events"].as_array().map_or(0, Vec::len),
    )
}

/// Given a proxy application submitted by its origin, when its parties send dry runs of their
/// actions, then: a valid forward and accept are answered with the status and seq each would
/// give, while the application's seq does not move; a stale `expected_seq` is the action's 409
/// `stale-seq`; a body error is the action's 422 at its pointer, a query parameter its 400; an
/// action the lifecycle or the region's role does not allow is the action's refusal; a 受理编号
/// holding the applicant's ID number is warned of (`personal-data`, not echoed) and nothing is
/// stored; the very accept that already landed is answered as its repeat. And the OpenAPI document lists a check route
/// for every action, which /metrics counts under its own template.
#[test]
fn an_actions_dry_run_answers_as_the_action_would_and_appends_nothing() {
    let dir = TempDir::new("act-check");
    let data = dir.0.join("data");
    common::register_regions(&data);
    let gw = Gateway::start(&data, false);
    let (body, origin, handlers) = common::parties(&gw, &data, "proxy");
    let lead = &handlers[0];
    let id = common::application(&origin, &body, &[]);

    // A valid forward: what it would do, and nothing done.
    let forward = json!({"materials_checked": true, "expected_seq": 1});
    let checked = success(&check(&origin, &id, "forward", &forward));
    assert_eq!(
        checked,
        json!({"id": id, "status": "forwarded", "seq": 2, "type": "application.forwarded",
               "repeated": false, "warnings": []})
    );
    assert_eq!(seq_and_events(&origin, &id), (json!(1), 1));
    success(&act(&origin, &id, "forward", &forward));

    // A valid accept, by the lead handler.
    let accept = json!({"reference": "受理-0001", "expected_seq": 2});
    let checked = success(&check(lead, &id, "accept", &accept));
    assert_eq!(
        (&checked["status"], &checked["seq"], &checked["type"]),
        (
            &json!("accepted"),
            &json!(3),
            &json!("application.accepted")
        ),
        "{checked}"
    );
    assert_eq!(seq_and_events(&origin, &id), (json!(2), 2));

    // What the action refuses, the check refuses alike: stale, a body error, not allowed.
    let stale = json!({"expected_seq": 1});
    let bad_body = json!({"reference": 5, "extra": true});
    let approve_too_early = json!({"decision_number": "JD-1"});
    for (who, action, body, status, slug) in [
        (lead, "accept", &stale, 409, "stale-seq"),
        (lead, "accept", &bad_body, 422, "invalid"),
        (&origin, "accept", &json!({}), 403, "forbidden"),
        (
            lead,
            "approve",
            &approve_too_early,
            409,
            "illegal-transition",
        ),
    ] {
        let dry = check(who, &id, action, body);
        let answer = refused(&dry, status, slug);
        let wet = act(who, &id, action, body);
        assert_eq!(
            answer,
            refused(&wet, status, slug),
            "{action} {body}: the check and the action disagree"
        );
        if status == 409 {
            assert_eq!(answer["current_seq"], json!(2), "{answer}");
        }
        if status == 422 {
            let pointers: Vec<&str> = answer["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["pointer"].as_str())
                .collect();
            assert_eq!(pointers, ["/reference", "/extra"], "{answer}");
        }
    }
    // A query parameter (an `expected_seq` sent there) is refused by name, as the action's.
    let queried = format!("/v1/applications/{id}/accept/check?expected_seq=2");
    let answer = refused(&lead.post(&queried, &json!({})), 400, "bad-request");
    assert_eq!(
        (
            &answer["errors"][0]["pointer"],
            &answer["errors"][0]["rule"]
        ),
        (&json!("query:expected_seq"), &json!("unknown")),
        "{answer}"
    );
    assert_eq!(seq_and_events(&origin, &id), (json!(2), 2));

    // The applicant's ID number as the 受理编号: warned of, not echoed, not stored.
    let id_number = body["applicant"]["id_number"].as_str().expect("id_number");
    let personal = json!({"reference": id_number, "expected_seq": 2});
    let answer = check(lead, &id, "accept", &personal);
    let checked = success(&answer);
    let warnings = &checked["warnings"];
    assert_eq!(warnings.as_array().map(Vec::len), Some(1), "{warnings}");
    assert_eq!(
        (&warnings[0]["pointer"], &warnings[0]["rule"]),
        (&json!("/reference"), &json!("personal-data")),
        "{warnings}"
    );
    assert!(
        !String::from_utf8_lossy(&answer.body).contains(id_number),
        "the number is echoed: {checked}"
    );
    assert_eq!(seq_and_events(&origin, &id), (json!(2), 2));

    // The accept lands; the very same accept checked again is its repeat.
    success(&act(lead, &id, "accept", &accept));
    let again = success(&check(lead, &id, "accept", &accept));
    assert_eq!(
        (&again["repeated"], &again["seq"], &again["status"]),
        (&json!(true), &json!(3), &json!("accepted")),
        "{again}"
    );
    assert_eq!(seq_and_events(&origin, &id), (json!(3), 3));

    // The document lists a check route for every action, unsigned; /metrics counts them.
    let doc = success(&gw.client(None).get("/openapi.json"));
    let actions: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .filter_map(|p| p.strip_prefix("/v1/applications/{id}/"))
        .filter(|rest| !rest.contains('/') && !matches!(*rest, "events" | "replay"))
        .map(str::to_string)
        .collect();
    assert!(actions.len() >= 14, "{actions:?}");
    for action in &actions {
        let path = format!("/v1/applications/{{id}}/{action}/check");
        let op = &doc["paths"][&path]["post"];
        assert_eq!(
            op["operationId"],
            json!(format!("check_act_{}", action.replace('-', "_"))),
            "{path}"
        );
        let signed = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["name"] == "X-Tongban-Signature");
        assert!(!signed, "{path} asks for a signature");
    }
    let metrics = String::from_utf8_lossy(&gw.client(None).get("/metrics").body).to_string();
    let series = "tongban_http_requests_total{method=\"POST\",route=\"/v1/applications/{id}/accept/check\",status=\"2xx\"} 3";
    assert!(metrics.contains(series), "{metrics}");
}
