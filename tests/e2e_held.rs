//! A gateway rolled back to a build that does not know an event type a newer build wrote: the
//! application with that event is held at it, every other application goes on, and parties,
//! operators and monitoring each learn where and why, over real HTTP against the real binary.

mod common;

use common::{Gateway, TempDir, register_regions, tongban_on};
use serde_json::{Value, json};
use tongban_gateway::envelope::Content;

/// Appends to `app`'s history, while no gateway runs, an event of a type this build does not
/// know, sealed with the gateway's own key: what a newer build would have written.
fn append_from_a_newer_build(data: &std::path::Path, app: &str, region: &str) {
    let content = Content {
        kind: "application.transferred".into(),
        schema: "application.transferred/1".into(),
        region: region.into(),
        actor: format!("{region}/newer-build"),
        at: "2026-12-03T02:00:00.000Z".into(),
        data: json!({"to": "500000"}),
    };
    common::stored::append(data, app, content, |_| {});
}

fn problem_type(r: &common::Response) -> String {
    r.json()["type"].as_str().unwrap_or_default().to_string()
}

#[test]
fn an_event_this_build_does_not_fold_holds_its_application_and_the_others_go_on() {
    let tmp = TempDir::new("held");
    let data = tmp.0.join("data");
    let tokens = register_regions(&data);

    // Given application A, submitted and forwarded, and B, submitted.
    let mut gw = Gateway::start(&data, false);
    let example = gw.client(None).get("/v1/matters").json()["matters"][0]["example"].clone();
    let origin_code = example["origin"].as_str().expect("origin").to_string();
    let lead_code = example["handlers"][0].as_str().expect("lead").to_string();
    let parties: Vec<&str> = std::iter::once(example["origin"].as_str())
        .chain(
            example["handlers"]
                .as_array()
                .expect("handlers")
                .iter()
                .map(Value::as_str),
        )
        .flatten()
        .collect();
    let outsider_code = ["440000", "330000", "340000", "310000", "510000", "500000"]
        .into_iter()
        .find(|c| !parties.contains(c))
        .expect("a region that is no party");
    let origin = gw.client(Some(&tokens[&origin_code]));
    let submit = |origin: &common::Client, key: &str| {
        let r = origin.post_with("/v1/applications", &[("Idempotency-Key", key)], &example);
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()["id"].as_str().expect("id").to_string()
    };
    let (a, b) = (submit(&origin, "a"), submit(&origin, "b"));
    let r = origin.post(
        &format!("/v1/applications/{a}/forward"),
        &json!({"materials_checked": true}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(gw.terminate().success());

    // When a newer build appended an event of a type this one does not know to A, and this build
    // starts on the log again.
    append_from_a_newer_build(&data, &a, &lead_code);
    let mut gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let lead = gw.client(Some(&tokens[&lead_code]));
    let outsider = gw.client(Some(&tokens[outsider_code]));
    let operator = gw.client(Some(&tokens["operator"]));

    // Then the others go on: B reads, and a new application C is taken and read.
    assert_eq!(origin.get(&format!("/v1/applications/{b}")).status, 200);
    let c = submit(&origin, "c");
    let r = origin.get(&format!("/v1/applications/{c}"));
    assert_eq!((r.status, r.json()["seq"].clone()), (200, json!(1)));

    // A party reading A learns that it is held, where and why.
    let r = origin.get(&format!("/v1/applications/{a}"));
    let held = &r.held();
    assert_eq!(
        (
            held["app"].as_str(),
            held["seq"].as_u64(),
            held["type"].as_str()
        ),
        (Some(a.as_str()), Some(3), Some("application.transferred")),
        "{held}"
    );
    let detail = r.json()["detail"].as_str().unwrap_or_default().to_string();
    assert!(detail.contains("held before seq 3"), "{detail}");
    assert!(detail.contains("unknown event type"), "{detail}");
    // A region that is no party learns nothing: as for any id that does not exist.
    let r = outsider.get(&format!("/v1/applications/{a}"));
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.json().get("held").is_none());
    // The parties still read every event of A, the one this build cannot fold too.
    let r = origin.get(&format!("/v1/applications/{a}/events"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let types: Vec<String> = r.json()["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["type"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        types,
        [
            "application.submitted",
            "application.forwarded",
            "application.transferred"
        ]
    );
    // Its evidence page still verifies the chain, shows every event, and says which one this
    // build cannot read.
    let r = origin.get(&format!("/ui/applications/{a}"));
    assert_eq!(r.status, 200);
    let page = String::from_utf8_lossy(&r.body).into_owned();
    // (the verification reads every event as its type too, so it names the same one: as
    // unreadable by this build, not as a break, since its chain is intact)
    assert!(
        page.contains("id=\"verdict\">本页所列 3 个事件的哈希链衔接与签名全部校验通过"),
        "{page}"
    );
    assert!(!page.contains("处断裂"), "{page}");
    assert!(
        page.contains("id=\"unreadable-events\">1 个事件本版本无法解读"),
        "{page}"
    );
    assert!(
        page.contains("id=\"unreadable\">第 3 号事件无法解读"),
        "{page}"
    );
    let events = origin.get(&format!("/v1/applications/{a}/events")).json();
    for e in events["events"].as_array().expect("events") {
        let hash = e["hash"].as_str().expect("hash");
        assert!(
            page.contains(hash),
            "event {} missing from the page",
            e["seq"]
        );
    }
    // Acting on A is refused, and nothing is appended.
    let r = lead.post(&format!("/v1/applications/{a}/accept"), &json!({}));
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(problem_type(&r), "urn:tongban:problem:unreadable-history");
    // A's line in the lead handler's inbox says it is held.
    let inbox = lead.get(&format!("/v1/regions/{lead_code}/inbox")).json();
    let line = inbox["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|l| l["app"] == json!(a))
        .cloned()
        .unwrap_or_else(|| panic!("no line for A in {inbox}"));
    assert_eq!(line["held"], json!(true), "{line}");

    // Operators list the held applications; regions may not.
    let r = operator.get("/v1/projections/held");
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let list = r.json();
    assert_eq!(list["count"], json!(1), "{list}");
    assert_eq!(list["items"][0]["app"], json!(a), "{list}");
    assert_eq!(list["items"][0]["position"], json!(4), "{list}");
    assert_eq!(origin.get("/v1/projections/held").status, 403);
    // Monitoring sees it with an operator's token, and the projections are not behind.
    let health = operator.get("/healthz").json();
    assert_eq!(
        (
            health["projection_held"].clone(),
            health["projection_lag"].clone()
        ),
        (json!(1), json!(0)),
        "{health}"
    );
    // The public answer has the lag, not the held applications.
    let health = gw.client(None).get("/healthz").json();
    assert_eq!(health["projection_lag"], json!(0), "{health}");
    assert_eq!(health.get("projection_held"), None, "{health}");
    let metrics = String::from_utf8_lossy(&gw.client(None).get("/metrics").body).into_owned();
    assert!(
        metrics.contains("tongban_projection_held_applications{backend=\"embedded\"} 1"),
        "{metrics}"
    );

    // A rebuild by this build goes past A too, and says so.
    assert!(gw.terminate().success());
    let out = tongban_on(&data, &["rebuild"]);
    assert!(out.contains("1 application(s) held"), "{out}");
}
