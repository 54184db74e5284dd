//! A gateway's clock against the times in its log: an event's `at` is the clock of the gateway
//! that sealed it, and the signature vouches that the gateway said it, not that it was so. A
//! host whose clock is behind the log's latest event is said (`/healthz`, `/metrics`, a warning)
//! while it serves, and `tongban verify` names the events stamped before events the log held
//! before them (`TIME`), without calling the chain broken. Over real HTTP against the real
//! binary, on a real fjall log.

mod common;

use common::{Gateway, application, stored, tongban};
use tongban_gateway::time::Timestamp;

const DAY_MS: i64 = 86_400_000;

/// Given a log whose last event was stamped a day ahead of this host's clock (a gateway whose
/// clock ran ahead, or, as the log sees it, this host's a day behind), when the gateway starts
/// on it, then `/healthz` (to an operator) and `/metrics` say how far behind its clock is, and
/// against which time, it warns once, and it goes on serving; the submission it then takes is
/// stamped by its own clock, a day before the event the log holds before it; started again after
/// a clean stop it says the same; and `tongban verify` names that submission (`TIME`) with the
/// chain intact.
#[test]
fn a_clock_behind_the_log_is_said_while_serving_and_by_verify() {
    let f = stored::forwarded("clock-behind");
    let (data, tokens) = (&f.data, &f.tokens);
    let mut ahead = stored::acceptance(&f.lead_code, "clerk");
    ahead.at = Timestamp(Timestamp::now().0 + DAY_MS).to_rfc3339();
    let ahead_at = ahead.at.clone();
    let ahead_position = stored::append(data, &f.id, ahead, |_| {});

    let mut gw = Gateway::start(data, false);
    let origin = gw.client(Some(&tokens[&f.origin_code]));
    // The projector has read the log once the acceptance shows.
    let view = origin.get(&format!("/v1/applications/{}", f.id)).json();
    assert_eq!(view["status"], "accepted", "{view}");
    let operator = gw.client(Some(&tokens["operator"]));
    let behind = |operator: &common::Client| {
        // The latest time is read as the gateway starts, beside its serving, and the projector
        // tells of each event it applies: asked again for a moment until it is there (a
        // projector that applies the earlier events of the log first, on a loaded machine,
        // says their time before the seed or the next batch says the later one).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut health = operator.get("/healthz").json();
        while health["latest_event_time"] != ahead_at.as_str()
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(20));
            health = operator.get("/healthz").json();
        }
        assert_eq!(health["status"], "ok", "{health}");
        assert_eq!(health["latest_event_time"], ahead_at.as_str(), "{health}");
        let behind = health["clock_behind_log_seconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("no clock_behind_log_seconds: {health}"));
        assert!((86_000..=86_400).contains(&behind), "{health}");
    };
    behind(&operator);
    let metrics = String::from_utf8(gw.client(None).get("/metrics").body).expect("utf-8");
    let gauge = metrics
        .lines()
        .find_map(|l| l.strip_prefix("tongban_clock_behind_log_seconds{backend=\"embedded\"} "))
        .unwrap_or_else(|| panic!("no gauge:\n{metrics}"));
    let gauge: u64 = gauge.parse().expect("seconds");
    assert!((86_000..=86_400).contains(&gauge), "{gauge}");

    // Still served; stamped by this host's clock.
    let later = application(&origin, &f.body, &[]);
    let events = origin
        .get(&format!("/v1/applications/{later}/events"))
        .json();
    let stamped = events["events"][0]["at"].as_str().expect("at").to_string();
    assert!(stamped < ahead_at, "{stamped} {ahead_at}");
    assert_eq!(gw.terminate().code(), Some(0));
    let said = std::fs::read_to_string(&gw.stderr_log).unwrap_or_default();
    let warnings = said
        .matches("this host's clock is behind the latest event time in the log")
        .count();
    assert_eq!(warnings, 1, "warned once, for the episode:\n{said}");

    // Started again after a clean stop, with nothing left to apply: the latest time is read
    // from the log's last events, not only from what the projector applies.
    let mut gw = Gateway::start(data, false);
    behind(&gw.client(Some(&tokens["operator"])));
    assert_eq!(gw.terminate().code(), Some(0));

    let (code, out, err) = tongban(&["verify"], data);
    assert_eq!(code, 0, "the chain is intact: {out}{err}");
    let summary = out.lines().next().unwrap_or_default();
    assert!(summary.starts_with("intact: "), "{out}");
    assert!(
        summary.contains(
            "1 event(s) stamped more than a minute before an event the log holds before them"
        ),
        "{summary}"
    );
    let time: Vec<&str> = out.lines().filter(|l| l.starts_with("TIME ")).collect();
    assert_eq!(time.len(), 1, "{out}");
    assert!(
        time[0].contains(&format!("application {later} seq 1"))
            && time[0].contains(&format!(
                "before the event at log position {ahead_position} ({ahead_at})"
            ))
            && time[0].contains(" h "),
        "{}",
        time[0]
    );
}
