//! Given an application with a longer history, when its events are read a page at a time, then
//! the pages are its history cut in order, each naming the hash of the event it follows, on
//! either log.

use std::sync::Arc;

use tongban_schemas::events::{Resumed, Suspended, SuspensionKind};

use super::fixtures::{accepted, gateway_capped, gateway_on, lead_code, region};
use super::{Gateway, ServiceError};
use crate::auth::Principal;
use crate::domain::{Caps, Command};
use crate::log::EventLog;
use crate::testutil::TempDir;

/// An accepted application suspended and resumed until it holds 11 events.
async fn eleven_events<L: EventLog>(gw: &Gateway<L>) -> String {
    suspended_and_resumed(gw, 4).await
}

/// An accepted application (3 events) suspended and resumed `pairs` times: `3 + 2 * pairs`
/// events.
async fn suspended_and_resumed<L: EventLog>(gw: &Gateway<L>, pairs: usize) -> String {
    let app = accepted(gw).await;
    let lead = region(&lead_code());
    for _ in 0..pairs {
        let suspend = Command::Suspend(Suspended {
            kind: SuspensionKind::ExpertReview,
            reason: "组织专家评审".into(),
        });
        gw.act(&lead, &app, suspend, None).await.expect("suspend");
        let resume = Command::Resume(Resumed {
            note: Some("评审完成".into()),
        });
        gw.act(&lead, &app, resume, None).await.expect("resume");
    }
    app
}

/// A JetStream log on a nats-server of its own, and a directory for a gateway's key and
/// projections.
async fn on_jetstream(
    label: &str,
) -> (
    crate::testnats::NatsServer,
    TempDir,
    Arc<crate::log::JetStreamLog>,
) {
    let server = crate::testnats::NatsServer::start();
    let config = crate::log::JetStreamConfig::new(server.url());
    let log = crate::log::JetStreamLog::open(&config)
        .await
        .expect("open JetStream");
    (server, TempDir::new(label), Arc::new(log))
}

async fn pages_cut_the_history_in_order<L: EventLog>(gw: &Gateway<L>) {
    let app = eleven_events(gw).await;
    // The pages after the first are read from the log after the projections' view.
    gw.caught_up().await;
    let lead = region(&lead_code());
    let whole = gw.events(&lead, &app).await.expect("whole").events;
    assert_eq!(whole.len(), 11);

    let mut after = 0;
    let mut read = Vec::new();
    loop {
        let page = gw.events_page(&lead, &app, after, 4).await.expect("page");
        let expected_hash = whole
            .iter()
            .find(|e| e.seq == after)
            .map(|e| e.hash.clone());
        assert_eq!(page.after_hash, expected_hash, "after {after}");
        assert_eq!(
            page.events.first().map(|e| e.seq),
            Some(after + 1),
            "after {after}"
        );
        assert!(page.events.len() <= 4);
        after = page.events.last().map_or(after, |e| e.seq);
        read.extend(page.events);
        if !page.more {
            break;
        }
    }
    assert_eq!(after, 11);
    let ids = |events: &[crate::envelope::Envelope]| -> Vec<String> {
        events.iter().map(|e| e.id.clone()).collect()
    };
    assert_eq!(
        ids(&read),
        ids(&whole),
        "the pages are the history, in order"
    );

    // After the last event: nothing more, and the hash of the last to compare with.
    let end = gw
        .events_page(&lead, &app, 11, 4)
        .await
        .expect("at the end");
    assert!(end.events.is_empty() && !end.more);
    assert_eq!(end.after_hash.as_deref(), Some(whole[10].hash.as_str()));
    // Past it: refused, naming where the application ends.
    match gw.events_page(&lead, &app, 12, 4).await {
        Err(e @ ServiceError::BeyondHistory { last: 11 }) => {
            assert!(e.to_string().contains("(seq 11)"), "{e}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A region not party to it reads no page of it; an operator reads every one.
    let stranger = region("110000");
    for after in [0, 4] {
        assert!(
            matches!(
                gw.events_page(&stranger, &app, after, 4).await,
                Err(ServiceError::Domain(
                    crate::domain::DomainError::NotAParty { .. }
                ))
            ),
            "after {after}"
        );
    }
    let operator = Principal::Operator {
        token_id: "op".into(),
    };
    let page = gw
        .events_page(&operator, &app, 9, 100)
        .await
        .expect("an operator");
    assert_eq!(ids(&page.events), ids(&whole[9..]));
}

#[tokio::test]
async fn an_embedded_history_is_read_a_page_at_a_time() {
    let dir = TempDir::new("events-page");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    pages_cut_the_history_in_order(&gateway_on(&log, &dir, "p")).await;
}

#[tokio::test]
async fn a_jetstream_history_is_read_a_page_at_a_time() {
    let (_server, dir, log) = on_jetstream("events-page-js").await;
    pages_cut_the_history_in_order(&gateway_on(&log, &dir, "p")).await;
}

/// Given a history whose sixth event was rewritten in place (its hash no longer that of its
/// content), when a page holding it is asked for (or whose event after its last, read to say
/// that more follow, is it), then it is refused as the whole history is, naming the break, not
/// served, nor answered otherwise. A page that ends before it reads no further, and is served.
#[tokio::test]
async fn a_page_of_a_damaged_history_is_refused_as_the_whole_history_is() {
    let dir = TempDir::new("events-page-damaged");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "p");
    let app = eleven_events(&gw).await;
    gw.caught_up().await;
    let lead = region(&lead_code());
    let sixth = log
        .entries(1, 100)
        .await
        .expect("entries")
        .into_iter()
        .find_map(|at| match at {
            crate::log::At::Event(p) if p.event.app == app && p.event.seq == 6 => Some(p),
            _ => None,
        })
        .expect("the sixth event");
    let mut changed = serde_json::to_value(&sixth.event).expect("json");
    changed["data"]["reason"] = serde_json::json!("改过的理由");
    log.overwrite(
        sixth.position,
        &serde_json::to_vec(&changed).expect("bytes"),
    );
    let whole = gw.events(&lead, &app).await.expect_err("damaged");
    assert!(matches!(whole, ServiceError::Broken(_)), "{whole}");
    for (after, limit) in [(0, 5), (0, 6), (4, 4), (5, 4), (1, 4)] {
        let page = gw
            .events_page(&lead, &app, after, limit)
            .await
            .expect_err("damaged");
        assert_eq!(
            page.to_string(),
            whole.to_string(),
            "after {after}, {limit} at most"
        );
    }
    // Events 1 to 4, and the fifth that says more follow: the sixth is not read.
    let before = gw.events_page(&lead, &app, 0, 4).await.expect("before it");
    assert_eq!(before.events.last().map(|e| e.seq), Some(4));
    assert!(before.more);
    // A page after the break holds none of it, and is served.
    let later = gw.events_page(&lead, &app, 7, 4).await.expect("after it");
    assert_eq!(later.events.first().map(|e| e.seq), Some(8));
    // Past the last event, which is the one the projections folded last: no page to check,
    // and the history's end said from the log's last event alone.
    assert!(matches!(
        gw.events_page(&lead, &app, 12, 4).await,
        Err(ServiceError::BeyondHistory { last: 11 })
    ));
}

/// What a page of 50 events costs on `log` at `after_seq` 900 of a 1,001-event application,
/// and at its start and after its last event: the fastest of 20 reads of each, beside the
/// fastest of 5 reads of the whole history. A measurement, not a test (it asserts only that
/// the pages are the right ones): `cargo test -p tongban-gateway --lib
/// page_of_a_long_history_costs -- --ignored --nocapture`, in a debug build, whose times are
/// a rough indication only (docs/performance.md, round 45). `gw` decides under no cap on
/// suspensions: its 499 are far past the default.
async fn page_of_a_long_history_costs<L: EventLog>(gw: &Gateway<L>, backend: &str) {
    let app = suspended_and_resumed(gw, 499).await;
    gw.caught_up().await;
    let lead = region(&lead_code());
    let fastest = |times: &[std::time::Duration]| times.iter().min().copied().unwrap_or_default();
    for (after, held) in [(900, 50), (0, 50), (1001, 0)] {
        let mut times = Vec::new();
        for _ in 0..20 {
            let started = std::time::Instant::now();
            let page = gw.events_page(&lead, &app, after, 50).await.expect("page");
            times.push(started.elapsed());
            assert_eq!(page.events.len(), held);
            assert_eq!(page.more, held > 0);
        }
        println!(
            "{backend}: a page of 50 after seq {after} of 1,001 events: {:?}",
            fastest(&times)
        );
    }
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let whole = gw.events(&lead, &app).await.expect("whole").events;
        times.push(started.elapsed());
        assert_eq!(whole.len(), 1001);
    }
    println!("{backend}: the whole history: {:?}", fastest(&times));
}

#[tokio::test]
#[ignore = "a measurement (docs/performance.md, round 45), not a test"]
async fn page_of_a_long_history_costs_embedded() {
    let dir = TempDir::new("events-page-cost");
    let log = Arc::new(crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    page_of_a_long_history_costs(&gateway_capped(&log, &dir, "p", Caps::NONE), "embedded").await;
}

#[tokio::test]
#[ignore = "a measurement (docs/performance.md, round 45), not a test"]
async fn page_of_a_long_history_costs_jetstream() {
    let (_server, dir, log) = on_jetstream("events-page-cost-js").await;
    page_of_a_long_history_costs(&gateway_capped(&log, &dir, "p", Caps::NONE), "JetStream").await;
}
