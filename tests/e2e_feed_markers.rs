//! A region's feed at a position with no event to give, over real HTTP against the real binary:
//! an event removed from the log's disk. It is a marker in the page in its place, the rest of the
//! page is served, and the region's adapter acknowledges past it; before, it made every page from
//! there answer 500 (the region's feed stopped for good).

mod common;

use common::stored;
use common::{Client, Gateway, TempDir, application, parties, register_regions};
use serde_json::{Value, json};

/// The region's feed page after `after` (the whole feed from 0), as answered.
fn page(region: &Client, code: &str, after: u64, limit: usize) -> Value {
    let r = region.get(&format!(
        "/v1/regions/{code}/feed?after={after}&limit={limit}"
    ));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

/// The positions of a page's items.
fn positions(page: &Value) -> Vec<u64> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|item| item["position"].as_u64().expect("position"))
        .collect()
}

/// The page's item at `position`.
fn item_at(page: &Value, position: u64) -> Value {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .find(|item| item["position"] == json!(position))
        .cloned()
        .unwrap_or_else(|| panic!("no item at {position} in {page}"))
}

/// Acknowledges `position` for the region, which must be taken.
fn ack(region: &Client, code: &str, position: u64) {
    let r = region.post(
        &format!("/v1/regions/{code}/feed/ack"),
        &json!({"position": position}),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["acked"], json!(position));
}

/// Given an application accepted (three events) and another submitted after it, when the
/// forwarding is removed from the log's disk while the gateway is stopped and it starts again,
/// then the origin's feed answers 200 with a `missing` marker at that position, saying in
/// English what happened and what to do, and every other event whole; a page that ends at the
/// marker moves `next` to it, is acknowledged, and the feed reads on; and the gateway's log
/// warns of the position and the region.
#[test]
fn a_position_the_log_no_longer_holds_is_a_missing_marker_and_the_feed_goes_on() {
    let dir = TempDir::new("feed-missing-marker");
    let data = dir.0.join("data");
    let tokens = register_regions(&data);
    let mut gw = Gateway::start(&data, false);
    let (body, origin, handlers) = parties(&gw, &data, "proxy");
    let origin_code = body["origin"].as_str().expect("origin").to_string();
    let forward = (&origin, "forward", json!({"materials_checked": true}));
    let accept = (&handlers[0], "accept", json!({}));
    let id = application(&origin, &body, &[forward, accept]);
    let later = application(&origin, &body, &[]);
    assert!(gw.terminate().success());

    let removed = stored::remove(&data.join("log"), &id, 2);
    let gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let whole = page(&origin, &origin_code, 0, 1000);
    let marker = item_at(&whole, removed);
    let missing = marker["missing"].as_str().unwrap_or_default();
    assert_eq!(
        marker,
        json!({"position": removed, "missing": missing}),
        "{whole}"
    );
    assert!(
        missing.contains(&format!("holds no event at position {removed}"))
            && missing.contains("tongban verify")
            && missing.contains("Acknowledge past it"),
        "{missing}"
    );
    let events: Vec<(String, u64)> = whole["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|item| item["position"] != json!(removed))
        .map(|item| {
            let event = &item["event"];
            (
                event["app"].as_str().expect("app").to_string(),
                event["seq"].as_u64().expect("seq"),
            )
        })
        .collect();
    assert_eq!(events, [(id.clone(), 1), (id.clone(), 3), (later, 1)]);

    let short = page(&origin, &origin_code, removed - 1, 1);
    assert_eq!(
        (positions(&short), short["next"].clone()),
        (vec![removed], json!(removed)),
        "{short}"
    );
    ack(&origin, &origin_code, removed);
    let on = origin
        .get(&format!("/v1/regions/{origin_code}/feed"))
        .json();
    let after: Vec<u64> = positions(&whole)
        .into_iter()
        .filter(|p| *p > removed)
        .collect();
    assert_eq!(positions(&on), after, "{on}");

    let log = std::fs::read_to_string(&gw.stderr_log).expect("gateway log");
    assert!(
        log.lines().any(|l| l.contains("WARN")
            && l.contains(&format!("position={removed}"))
            && l.contains(&format!("region=\"{origin_code}\""))
            && l.contains("holds no event")),
        "{log}"
    );
}
