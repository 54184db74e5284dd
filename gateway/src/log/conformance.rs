//! The conformance suite every [`EventLog`] backend must pass: the same assertions, run against the
//! embedded log and against a real nats-server.

use std::time::Duration;

use serde_json::json;

use super::{At, EventLog, LogError};
use crate::envelope::{Envelope, GatewayKey};

/// A sealed event for tests.
pub fn event(app: &str, seq: u64, prev_hash: &str) -> Envelope {
    let mut e = Envelope {
        id: crate::ids::new_v7(),
        app: app.to_string(),
        seq,
        kind: "application.forwarded".into(),
        schema: "application.forwarded/1".into(),
        region: "440000".into(),
        actor: "440000/test".into(),
        at: crate::time::Timestamp::now().to_rfc3339(),
        data: json!({"materials_checked": true}),
        prev_hash: prev_hash.to_string(),
        hash: String::new(),
        sig: String::new(),
    };
    e.seal(&GatewayKey::from_seed([3; 32]));
    e
}

/// Appends `n` chained events to a fresh application and returns them.
pub async fn append_chain<L: EventLog>(log: &L, app: &str, n: u64) -> Vec<Envelope> {
    let mut out: Vec<Envelope> = Vec::new();
    for seq in 1..=n {
        let prev = out.last().map(|e| e.hash.clone()).unwrap_or_default();
        let e = event(app, seq, &prev);
        log.append(e.clone(), seq - 1).await.expect("append");
        out.push(e);
    }
    out
}

fn fresh_app() -> String {
    crate::ids::new_v7()
}

pub async fn run_all<L: EventLog>(log: &L) {
    appends_and_reads_in_seq_order(log).await;
    stale_expectations_conflict(log).await;
    events_must_follow_their_expectation(log).await;
    events_must_be_chained_onto_the_last(log).await;
    retried_appends_are_not_duplicated(log).await;
    read_all_is_ordered_and_resumable(log).await;
    follow_reads_what_read_all_reads(log).await;
    read_at_reads_given_positions(log).await;
    last_is_the_last_read(log).await;
    read_with_passed_places_each_event(log).await;
    read_after_reads_the_rest_of_read(log).await;
    read_page_reads_a_page_of_read(log).await;
    subscribers_see_the_head_move(log).await;
    concurrent_appends_have_one_winner(log).await;
}

pub async fn appends_and_reads_in_seq_order<L: EventLog>(log: &L) {
    let app = fresh_app();
    let before = *log.head().borrow();
    let written = append_chain(log, &app, 3).await;
    assert_eq!(log.read(&app).await.expect("read"), written);
    assert!(*log.head().borrow() >= before + 3);
    assert!(
        log.read(&fresh_app())
            .await
            .expect("read unknown")
            .is_empty()
    );
}

/// `read_with_passed` reads what `read` reads, each event at the position its append answered
/// (what the operator tools show beside it, and a region's feed and acknowledged cursor speak
/// in), another application's appends between them included; `read_decided` reads the same.
pub async fn read_with_passed_places_each_event<L: EventLog>(log: &L) {
    let app = fresh_app();
    let mut written = Vec::new();
    let mut answered = Vec::new();
    for seq in 1..=3 {
        let prev = written.last().map(|e: &Envelope| e.hash.clone());
        let e = event(&app, seq, &prev.unwrap_or_default());
        answered.push(log.append(e.clone(), seq - 1).await.expect("append"));
        written.push(e);
        append_chain(log, &fresh_app(), 1).await;
    }
    let (read, passed) = log.read_with_passed(&app).await.expect("read");
    assert_eq!(passed, Default::default());
    let events: Vec<Envelope> = read.iter().map(|p| p.event.clone()).collect();
    assert_eq!(events, written);
    let positions: Vec<u64> = read.iter().map(|p| p.position).collect();
    assert_eq!(positions, answered);
    assert!(
        positions.windows(2).all(|w| w[1] > w[0] + 1),
        "{positions:?}"
    );
    // With nothing else among the application's events, the read an action makes is the same.
    let decided = log.read_decided(&app).await.expect("read as decided");
    assert_eq!(decided, (read, passed));
}

/// `last` answers what the last of `read` is, as the application grows, and nothing for an
/// application without events.
pub async fn last_is_the_last_read<L: EventLog>(log: &L) {
    let app = fresh_app();
    assert_eq!(log.last(&app).await.expect("last of none"), None);
    let mut written = Vec::new();
    for seq in 1..=3 {
        let prev = written
            .last()
            .map(|e: &Envelope| e.hash.clone())
            .unwrap_or_default();
        let e = event(&app, seq, &prev);
        log.append(e.clone(), seq - 1).await.expect("append");
        written.push(e);
        let last = log.last(&app).await.expect("last");
        assert_eq!(last.as_ref(), written.last(), "after seq {seq}");
        assert_eq!(last, log.read(&app).await.expect("read").pop());
    }
    // Another application's events do not show.
    append_chain(log, &fresh_app(), 2).await;
    assert_eq!(log.last(&app).await.expect("last").as_ref(), written.last());
}

/// `read_after` answers the events of `read` after a seq, whatever position it is told event
/// seq is at: the right one, another event's, none.
pub async fn read_after_reads_the_rest_of_read<L: EventLog>(log: &L) {
    let (app, other) = (fresh_app(), fresh_app());
    let mut written: Vec<Envelope> = Vec::new();
    let mut positions = vec![0];
    let mut elsewhere = Vec::new();
    for seq in 1..=4 {
        let prev = written.last().map(|e| e.hash.clone()).unwrap_or_default();
        let e = event(&app, seq, &prev);
        positions.push(log.append(e.clone(), seq - 1).await.expect("append"));
        written.push(e);
        // Another application's event between each two of this one's.
        let o = event(
            &other,
            seq,
            elsewhere.last().map_or("", |e: &Envelope| &e.hash),
        );
        log.append(o.clone(), seq - 1).await.expect("append other");
        elsewhere.push(o);
    }
    assert_eq!(log.read(&app).await.expect("read"), written);
    for seq in 0..=4u64 {
        let rest = &written[seq as usize..];
        let right = positions[seq as usize];
        for (hint, what) in [
            (right, "its position"),
            (0, "none"),
            (right + 1, "a wrong one"),
        ] {
            let after = log.read_after(&app, seq, hint).await.expect("read_after");
            assert_eq!(after, rest, "after seq {seq}, told {what} ({hint})");
        }
    }
    assert!(log.read_after(&app, 9, 0).await.expect("past").is_empty());
    assert!(
        log.read_after(&fresh_app(), 0, 0)
            .await
            .expect("none")
            .is_empty()
    );
}

/// `read_page` answers the events of `read` from a seq, at most so many of them, whatever
/// position it is told the first is at: the right one, another event's, none; across the reads
/// of a history a batch at a time (JetStream asks for 16 messages a batch in tests).
pub async fn read_page_reads_a_page_of_read<L: EventLog>(log: &L) {
    let app = fresh_app();
    let mut written: Vec<Envelope> = Vec::new();
    let mut positions = vec![0];
    for seq in 1..=20 {
        let prev = written.last().map(|e| e.hash.clone()).unwrap_or_default();
        let e = event(&app, seq, &prev);
        positions.push(log.append(e.clone(), seq - 1).await.expect("append"));
        written.push(e);
        if seq % 7 == 0 {
            // Another application's events among this one's.
            append_chain(log, &fresh_app(), 1).await;
        }
    }
    assert_eq!(log.read(&app).await.expect("read"), written);
    for first in [0u64, 1, 2, 7, 8, 16, 17, 19, 20, 21, 30] {
        let right = positions.get(first as usize).copied().unwrap_or(0);
        for max in [0usize, 1, 2, 5, 16, 40] {
            let skip = (first.max(1) - 1) as usize;
            let expected: Vec<Envelope> = written.iter().skip(skip).take(max).cloned().collect();
            for (hint, what) in [
                (right, "its position"),
                (0, "none"),
                (right + 1, "a wrong one"),
            ] {
                let page = log.read_page(&app, first, max, hint).await.expect("page");
                assert_eq!(
                    page, expected,
                    "from seq {first}, {max} at most, told {what}"
                );
            }
        }
    }
    assert!(
        log.read_page(&fresh_app(), 1, 10, 0)
            .await
            .expect("none")
            .is_empty()
    );
}

/// Given an application of five events and, where its sixth belongs, something the whole read
/// refuses (`spoil` puts it there: an event damaged in place, bytes on its subject that name it
/// but are no event), when its history is read a page at a time, then a page that ends before
/// the sixth (the page and the one event after it that says more follow) is answered, and one
/// that reaches it is refused as the whole read is: a page reads no further than it goes, and
/// answers for what it reads.
pub async fn a_page_reads_no_further_than_it_goes<L, F, Fut>(log: &L, spoil: F)
where
    L: EventLog,
    F: FnOnce(String, Vec<Envelope>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let app = fresh_app();
    let written = append_chain(log, &app, 5).await;
    spoil(app.clone(), written.clone()).await;
    assert!(
        matches!(log.read(&app).await, Err(LogError::Corrupt { .. })),
        "the whole read refuses it"
    );
    for (first, max) in [(1, 5), (0, 3), (3, 3), (5, 1)] {
        let page = log.read_page(&app, first, max, 0).await.expect("before it");
        let from = (first.max(1) - 1) as usize;
        assert_eq!(
            page,
            written[from..from + max],
            "from seq {first}, {max} at most"
        );
    }
    for (first, max) in [(1, 6), (3, 4), (5, 2), (6, 1)] {
        let page = log.read_page(&app, first, max, 0).await;
        assert!(
            matches!(page, Err(LogError::Corrupt { .. })),
            "from seq {first}, {max} at most: {page:?}"
        );
    }
}

pub async fn stale_expectations_conflict<L: EventLog>(log: &L) {
    let app = fresh_app();
    append_chain(log, &app, 2).await;
    let result = log.append(event(&app, 1, ""), 0).await;
    assert_eq!(
        result,
        Err(LogError::Conflict {
            app: app.clone(),
            expected: 0,
            actual: 2
        })
    );
    let result = log.append(event(&app, 5, ""), 4).await;
    assert_eq!(
        result,
        Err(LogError::Conflict {
            app: app.clone(),
            expected: 4,
            actual: 2
        })
    );
    assert_eq!(log.read(&app).await.expect("read").len(), 2);
}

pub async fn events_must_follow_their_expectation<L: EventLog>(log: &L) {
    let app = fresh_app();
    assert_eq!(
        log.append(event(&app, 3, ""), 0).await,
        Err(LogError::BadSeq {
            expected: 0,
            seq: 3
        })
    );
    assert!(log.read(&app).await.expect("read").is_empty());
}

/// An event at the right seq whose `prev_hash` is not the last event's hash was decided on
/// another history (a state that is not the log's): a conflict, so the caller decides again,
/// never an appended break in the chain that verification would find later. Also within one
/// group commit on the embedded log (the third and fourth appends below race).
pub async fn events_must_be_chained_onto_the_last<L: EventLog>(log: &L) {
    let app = fresh_app();
    let written = append_chain(log, &app, 2).await;
    let elsewhere = event(&app, 3, &written[0].hash);
    assert!(
        matches!(
            log.append(elsewhere, 2).await,
            Err(LogError::Conflict {
                expected: 2,
                actual: 2,
                ..
            })
        ),
        "appended onto an event it does not follow"
    );
    let third = event(&app, 3, &written[1].hash);
    let rival = event(&app, 4, &written[1].hash);
    let (third_appended, rival_appended) =
        tokio::join!(log.append(third.clone(), 2), log.append(rival, 3));
    third_appended.expect("chained onto the last");
    assert!(
        matches!(rival_appended, Err(LogError::Conflict { .. })),
        "{rival_appended:?}"
    );
    let read = log.read(&app).await.expect("read");
    assert_eq!(read.len(), 3);
    assert_eq!(read[2], third);
}

pub async fn retried_appends_are_not_duplicated<L: EventLog>(log: &L) {
    let app = fresh_app();
    let first = event(&app, 1, "");
    let p1 = log.append(first.clone(), 0).await.expect("append");
    let p2 = log
        .append(first.clone(), 0)
        .await
        .expect("retry is success");
    assert_eq!(p1, p2);
    assert_eq!(log.read(&app).await.expect("read"), vec![first]);
    // A different event at the same seq is a real conflict.
    let other = event(&app, 1, "");
    assert!(matches!(
        log.append(other, 0).await,
        Err(LogError::Conflict { .. })
    ));
}

pub async fn read_at_reads_given_positions<L: EventLog>(log: &L) {
    let (a, b) = (fresh_app(), fresh_app());
    let ea = event(&a, 1, "");
    let pa = log.append(ea.clone(), 0).await.expect("a1");
    let eb = event(&b, 1, "");
    let pb = log.append(eb.clone(), 0).await.expect("b1");
    let ea2 = event(&a, 2, &ea.hash);
    let pa2 = log.append(ea2.clone(), 1).await.expect("a2");
    // One application's events, skipping the other's between them: what a region's feed asks.
    let read = log.read_at(&[pa, pa2]).await.expect("read at");
    let got: Vec<(u64, Envelope)> = read
        .into_iter()
        .filter_map(At::into_event)
        .map(|p| (p.position, p.event))
        .collect();
    assert_eq!(got, vec![(pa, ea), (pa2, ea2)]);
    assert_eq!(log.read_at(&[pb]).await.expect("one").len(), 1);
    assert!(log.read_at(&[]).await.expect("none").is_empty());
    // A position past the end holds nothing: said at its place, not an error of the whole read
    // and not an answer one item short.
    let past = pa2 + 1000;
    let read = log.read_at(&[pb, past]).await.expect("past the end");
    assert_eq!(
        read.iter().map(At::position).collect::<Vec<_>>(),
        [pb, past]
    );
    assert!(matches!(read[0], At::Event(_)), "{read:?}");
    assert_eq!(read[1], At::Nothing(past));
}

/// The projector's read, wherever a backend answers it from, gives what `read_all` gives: the
/// same events at the same positions, bounded by `max` and by the head.
pub async fn follow_reads_what_read_all_reads<L: EventLog>(log: &L) {
    let app = fresh_app();
    let start = *log.head().borrow() + 1;
    let chain = append_chain(log, &app, 5).await;
    let head = *log.head().borrow();
    let followed = log.follow(start, 1000).await.expect("follow");
    let read = log.read_all(start, 1000).await.expect("read all");
    assert_eq!(followed, read);
    let ours: Vec<Envelope> = followed
        .into_iter()
        .filter(|p| p.event.app == app)
        .map(|p| p.event)
        .collect();
    assert_eq!(ours, chain);
    let two = log.follow(start + 1, 2).await.expect("follow, bounded");
    assert_eq!(
        two,
        log.read_all(start + 1, 2).await.expect("read all, bounded")
    );
    assert_eq!(two.len(), 2);
    assert!(
        log.follow(head + 1, 10)
            .await
            .expect("past the head")
            .is_empty()
    );
}

pub async fn read_all_is_ordered_and_resumable<L: EventLog>(log: &L) {
    let (a, b) = (fresh_app(), fresh_app());
    let start = *log.head().borrow() + 1;
    let ea = event(&a, 1, "");
    let eb = event(&b, 1, "");
    let pa = log.append(ea.clone(), 0).await.expect("a1");
    let pb = log.append(eb.clone(), 0).await.expect("b1");
    let ea2 = event(&a, 2, &ea.hash);
    let pa2 = log.append(ea2.clone(), 1).await.expect("a2");
    assert!(pa < pb && pb < pa2);
    let all = log.read_all(start, 1000).await.expect("read all");
    let ours: Vec<(u64, Envelope)> = all
        .into_iter()
        .filter(|p| p.event.app == a || p.event.app == b)
        .map(|p| (p.position, p.event))
        .collect();
    assert_eq!(ours, vec![(pa, ea), (pb, eb.clone()), (pa2, ea2.clone())]);
    // Resume after the first: positions are usable cursors.
    let rest = log.read_all(pa + 1, 2).await.expect("resume");
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[0].position, pb);
    assert_eq!(rest[0].event, eb);
    assert_eq!(rest[1].event, ea2);
    assert!(
        log.read_all(pa2 + 1, 10)
            .await
            .expect("past the end")
            .is_empty()
    );
}

pub async fn subscribers_see_the_head_move<L: EventLog>(log: &L) {
    let mut head = log.head();
    let before = *head.borrow_and_update();
    let app = fresh_app();
    let position = log.append(event(&app, 1, ""), 0).await.expect("append");
    let moved = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if *head.borrow_and_update() >= position {
                return true;
            }
            if head.changed().await.is_err() {
                return false;
            }
        }
    })
    .await;
    assert_eq!(
        moved,
        Ok(true),
        "head did not reach {position} (was {before})"
    );
}

pub async fn concurrent_appends_have_one_winner<L: EventLog>(log: &L) {
    let app = fresh_app();
    let first = event(&app, 1, "");
    log.append(first.clone(), 0).await.expect("first");
    let attempts: Vec<_> = (0..16)
        .map(|_| log.append(event(&app, 2, &first.hash), 1))
        .collect();
    let results = futures_join_all(attempts).await;
    let wins = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(LogError::Conflict { .. })))
        .count();
    assert_eq!((wins, conflicts), (1, 15), "{results:?}");
    assert_eq!(log.read(&app).await.expect("read").len(), 2);
}

/// Polls all futures concurrently (a tiny `join_all`, to avoid a dependency for tests).
pub async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in futures.iter_mut().zip(results.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}
