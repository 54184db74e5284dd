//! A region's feed at a position with no event to give, over real HTTP against the real binary:
//! an event planted in the log without the gateway's key (its application held), and an event
//! removed from the log's disk. Each is a marker in the page in its place, the rest of the page
//! is served, and the region's adapter acknowledges past it; before, the first was skipped
//! silently (the adapter never learnt its application stopped) and the second made every page
//! from there answer 500 (the region's feed stopped for good).

mod common;

use common::stored;
use common::{
    Client, Gateway, TempDir, application, feed_positions, parties, register_regions, tongban_on,
    verify_chain,
};
use serde_json::{Value, json};

/// The (application, seq) of every event of `page`, but the item at `position`, in order.
fn events_but(page: &Value, position: u64) -> Vec<(String, u64)> {
    page["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|item| item["position"] != json!(position))
        .map(|item| {
            let event = &item["event"];
            (
                event["app"].as_str().expect("app").to_string(),
                event["seq"].as_u64().expect("seq"),
            )
        })
        .collect()
}

/// The region's feed page after `after` (the whole feed from 0), as answered.
fn page(region: &Client, code: &str, after: u64, limit: usize) -> Value {
    let r = region.get(&format!(
        "/v1/regions/{code}/feed?after={after}&limit={limit}"
    ));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()
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

/// The gateway's public key, as an auditor records it from `GET /v1/keys`.
fn key(gw: &Gateway) -> String {
    let keys = gw.client(None).get("/v1/keys").json();
    keys["keys"][0]["public_key_hex"]
        .as_str()
        .expect("key")
        .to_string()
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

/// Given an application of two regions (origin and lead handler), forwarded, and an acceptance
/// planted after it in the stored log with its signature zeroed, when the gateway starts again
/// and another application follows, then each party's feed carries at the planted position a
/// `held` marker naming the application and why, and nothing of the planted event; every other
/// item is its event, whole; a region that is no party sees nothing there; each party reads a
/// page that ends at the marker, acknowledges it, and reads on; and the feeds are the same after
/// a restart and after `tongban rebuild`.
#[test]
fn an_event_planted_without_the_key_is_a_held_marker_in_each_partys_feed() {
    let stored::Forwarded {
        dir,
        data,
        tokens,
        body,
        origin_code,
        lead_code,
        id,
    } = stored::forwarded("feed-held-marker");

    // When an acceptance is planted after its forwarding, signed with nothing.
    let accepted = stored::acceptance(&lead_code, "planted");
    let planted = stored::append(&data, &id, accepted, |e| e.sig = "0".repeat(128));
    let mut gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let later = application(&origin, &body, &[]);
    let r = origin.get(&format!("/v1/applications/{id}"));
    assert_eq!(r.status, 503, "{}", String::from_utf8_lossy(&r.body));

    // Then each party's feed has the marker in its place, and every other item whole.
    let mut feeds = Vec::new();
    for code in [&origin_code, &lead_code] {
        let region = gw.client(Some(&tokens[code]));
        let whole = page(&region, code, 0, 1000);
        let items = feed_positions(&whole);
        assert!(items.contains(&planted), "{code}: {whole}");
        assert_eq!(whole["next"], json!(items.last()), "{code}: {whole}");
        let marker = item_at(&whole, planted);
        let reason = marker["held"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("does not verify"), "{code}: {marker}");
        assert_eq!(
            marker,
            json!({"position": planted, "held": {"app": id, "reason": reason}}),
            "{code}: no more than the application and why"
        );
        let mut apps = Vec::new();
        for item in whole["events"].as_array().expect("events") {
            if item["position"] == json!(planted) {
                continue;
            }
            let event = &item["event"];
            assert!(
                event["hash"].is_string() && event["sig"].is_string(),
                "{code}: {item}"
            );
            apps.push((
                event["app"].as_str().expect("app").to_string(),
                event["seq"].as_u64().expect("seq"),
            ));
        }
        assert_eq!(
            apps,
            [(id.clone(), 1), (id.clone(), 2), (later.clone(), 1)],
            "{code}"
        );
        assert_eq!(items.last(), Some(&(planted + 1)), "{code}: {whole}");
        // A page that ends at the marker moves `next` to it; acknowledged, the feed reads on.
        let short = page(&region, code, planted - 1, 1);
        assert_eq!(feed_positions(&short), [planted], "{code}: {short}");
        assert_eq!(short["next"], json!(planted), "{code}: {short}");
        ack(&region, code, planted);
        let on = region.get(&format!("/v1/regions/{code}/feed")).json();
        assert_eq!(
            (on["acked"].clone(), feed_positions(&on)),
            (json!(planted), vec![planted + 1]),
            "{code}: {on}"
        );
        // The audit script checks every event given, and names the marker as not given; a
        // saved head past it is not reproduced from the pages, and the script says why.
        let head = region.get("/v1/log/head").json();
        assert_eq!(head["position"], json!(planted + 1), "{head}");
        let heads = dir.0.join("heads.jsonl");
        std::fs::write(&heads, format!("{head}\n")).expect("heads");
        let heads = heads.to_str().expect("path");
        let file = dir.0.join("page.json");
        let (code_, out, err) = verify_chain(&file, &whole, &key(&gw), &["--heads", heads]);
        assert_eq!(code_, Some(1), "{code}: {out}{err}");
        assert!(
            out.contains(&format!(
                "the feed pages give position(s) {planted} as markers (missing, held or repeated)"
            )),
            "{code}: {out}"
        );
        let (code_, out, err) = verify_chain(&file, &whole, &key(&gw), &[]);
        assert_eq!(code_, Some(0), "{code}: {out}{err}");
        assert!(
            out.contains(&format!(
                "NOT GIVEN log position {planted}: the feed marks it held"
            )) && out.contains(&format!("holds application {id}"))
                && out.contains("OK: 3 events of 2 applications"),
            "{code}: {out}"
        );
        feeds.push(whole);
    }
    let outsider_code = ["440000", "330000", "340000", "310000", "510000", "500000"]
        .into_iter()
        .find(|c| {
            *c != origin_code
                && body["handlers"]
                    .as_array()
                    .is_some_and(|h| !h.contains(&json!(c)))
        })
        .expect("a region that is no party");
    let outsider = gw.client(Some(&tokens[outsider_code]));
    assert!(
        !feed_positions(&page(&outsider, outsider_code, 0, 1000)).contains(&planted),
        "{outsider_code}"
    );

    // And the same after a restart, and after a rebuild.
    let feeds_now = |gw: &Gateway| -> Vec<Value> {
        [&origin_code, &lead_code]
            .into_iter()
            .map(|code| page(&gw.client(Some(&tokens[code])), code, 0, 1000))
            .collect()
    };
    let acked = |feeds: &[Value]| -> Vec<Value> {
        feeds
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f["acked"] = json!(planted);
                f
            })
            .collect()
    };
    assert!(gw.terminate().success());
    let mut gw = Gateway::start(&data, false);
    assert_eq!(feeds_now(&gw), acked(&feeds), "after a restart");
    assert!(gw.terminate().success());
    let out = tongban_on(&data, &["rebuild"]);
    assert!(out.contains("1 application(s) held"), "{out}");
    let gw = Gateway::start(&data, false);
    assert_eq!(feeds_now(&gw), acked(&feeds), "after a rebuild");
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
    let events = events_but(&whole, removed);
    assert_eq!(events, [(id.clone(), 1), (id.clone(), 3), (later, 1)]);

    let short = page(&origin, &origin_code, removed - 1, 1);
    assert_eq!(
        (feed_positions(&short), short["next"].clone()),
        (vec![removed], json!(removed)),
        "{short}"
    );
    ack(&origin, &origin_code, removed);
    let on = origin
        .get(&format!("/v1/regions/{origin_code}/feed"))
        .json();
    let after: Vec<u64> = feed_positions(&whole)
        .into_iter()
        .filter(|p| *p > removed)
        .collect();
    assert_eq!(feed_positions(&on), after, "{on}");

    // The audit script names the position as not given, and the log as broken there.
    let (code, out, err) = verify_chain(&dir.0.join("page.json"), &whole, &key(&gw), &[]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        out.contains(&format!(
            "BROKEN log position {removed}: not given: the feed marks it missing"
        )),
        "{out}"
    );

    // Named once, though two pages above held the position: an adapter polling its page would
    // otherwise repeat the warning on every read.
    let log = std::fs::read_to_string(&gw.stderr_log).expect("gateway log");
    let warned = log
        .lines()
        .filter(|l| {
            l.contains("WARN")
                && l.contains(&format!("position={removed}"))
                && l.contains(&format!("region=\"{origin_code}\""))
                && l.contains("holds no event")
        })
        .count();
    assert_eq!(warned, 1, "{log}");
}

/// Given an application's forwarding folded into the feeds, then its bytes on the log's disk
/// damaged into something that is not an event (holding a fake ID number) while the gateway was
/// stopped, when the region reads its feed again, then the position is a `missing` marker saying
/// the bytes are no longer an event, the rest of the page is served, the operators' log names
/// the position once and the bytes nowhere.
#[test]
fn an_event_damaged_after_it_was_folded_is_a_missing_marker() {
    let dir = TempDir::new("feed-damaged-marker");
    let data = dir.0.join("data");
    let tokens = register_regions(&data);
    let mut gw = Gateway::start(&data, false);
    let (body, origin, _) = parties(&gw, &data, "proxy");
    let origin_code = body["origin"].as_str().expect("origin").to_string();
    let forward = (&origin, "forward", json!({"materials_checked": true}));
    let id = application(&origin, &body, &[forward]);
    let later = application(&origin, &body, &[]);
    assert!(gw.terminate().success());

    let secret = "110101199003070011";
    // As a key: the decoder quotes the member it does not know in its message.
    let garbage = format!("{{\"{secret}\": \"id_number\", \"torn\": ");
    let damaged = stored::damage(&data.join("log"), &id, 2, garbage.as_bytes());
    let mut gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let whole = page(&origin, &origin_code, 0, 1000);
    let again = page(&origin, &origin_code, 0, 1000);
    assert_eq!(whole, again);
    let marker = item_at(&whole, damaged);
    let missing = marker["missing"].as_str().unwrap_or_default();
    assert!(
        missing.contains(&format!("holds no event at position {damaged}"))
            && missing.contains("no longer an event"),
        "{whole}"
    );
    let events = events_but(&whole, damaged);
    assert_eq!(events, [(id, 1), (later, 1)]);
    assert!(!whole.to_string().contains(secret), "{whole}");

    assert!(gw.terminate().success());
    let log = std::fs::read_to_string(&gw.stderr_log).expect("gateway log");
    let warned = log
        .lines()
        .filter(|l| {
            l.contains("WARN")
                && l.contains(&format!("position={damaged}"))
                && l.contains("not an event")
        })
        .count();
    assert_eq!(warned, 1, "{log}");
    assert!(!log.contains(secret), "{log}");
}

/// Given a forwarded application whose acceptance (seq 3) and approval (seq 4) were stored in
/// each other's places before the gateway read them (seq 4 at the earlier position), when the
/// gateway starts (its projection held at seq 4, given to the parties as a `held` marker) and
/// the origin acknowledges its feed past both, then the replay counts both in seq order and its
/// `feeds` say seq 4 was given to the origin as a held marker, its content withheld, not
/// acknowledged as received, while seq 3 was; and the evidence page says 以标记给出, not 已确认,
/// for it. (The tools said "acknowledged" / 已确认 for every event before the cursor.)
#[test]
fn an_event_its_feed_gives_as_a_held_marker_is_not_said_to_be_received() {
    let stored::Forwarded {
        dir: _dir,
        data,
        tokens,
        origin_code,
        lead_code,
        id,
        ..
    } = stored::forwarded("feed-held-counted");
    let accepted = stored::append(&data, &id, stored::acceptance(&lead_code, "a"), |_| {});
    let approval = tongban_gateway::envelope::Content {
        kind: "application.approved".into(),
        schema: "application.approved/1".into(),
        region: lead_code.clone(),
        actor: format!("{lead_code}/a"),
        at: "2026-12-03T03:00:00.000Z".into(),
        data: json!({}),
    };
    let approved = stored::append(&data, &id, approval, |_| {});
    stored::swap(&data.join("log"), &id, 3, 4);

    let gw = Gateway::start(&data, false);
    let origin = gw.client(Some(&tokens[&origin_code]));
    let whole = page(&origin, &origin_code, 0, 1000);
    assert!(item_at(&whole, accepted)["held"].is_object(), "{whole}");
    ack(&origin, &origin_code, approved);

    let r = origin.get(&format!("/v1/applications/{id}/replay"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let t = r.json();
    let feed = t["feeds"]
        .as_array()
        .expect("feeds")
        .iter()
        .find(|f| f["region"] == json!(origin_code))
        .cloned()
        .unwrap_or_else(|| panic!("no feed of the origin in {t}"));
    let given = |seq: u64| {
        feed["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|g| g["seq"] == json!(seq))
            .cloned()
            .unwrap_or_else(|| panic!("no seq {seq} in {feed}"))
    };
    // The acknowledgement that first passed the marker is recorded like any other.
    let mut marker = given(4);
    assert_eq!(marker["first_ack"]["state"], json!("recorded"), "{feed}");
    marker
        .as_object_mut()
        .expect("an object")
        .remove("first_ack");
    assert_eq!(
        marker,
        json!({"seq": 4, "position": accepted, "type": "application.approved",
               "given": "held_marker", "cursor_past": true, "acknowledged": false}),
        "{feed}"
    );
    assert_eq!(
        (given(3)["given"].clone(), given(3)["acknowledged"].clone()),
        (json!("event"), json!(true)),
        "{feed}"
    );
    let r = origin.get(&format!("/ui/applications/{id}"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let html = String::from_utf8_lossy(&r.body);
    assert!(
        html.contains("以标记给出，内容未分发（已确认该标记，非事件）"),
        "{html}"
    );
}
