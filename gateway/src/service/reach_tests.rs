//! Reads after a position (`X-Tongban-Read-After`): on a log another gateway writes too, and on
//! the embedded log only this gateway writes.

use std::time::{Duration, Instant};

use tongban_schemas::events::Forwarded;

use super::fixtures::{origin_code, region, request};
use super::tests::{OneStream, one_stream};
use super::{Gateway, ReadAfter, ServiceError};
use crate::domain::Command;
use crate::log::EventLog;
use crate::log::conformance::futures_join_all;
use crate::testutil::TempDir;

async fn in_outbox<L: EventLog>(gw: &Gateway<L>, app: &str) -> bool {
    gw.outbox(&region(&origin_code()), &origin_code(), None, 100)
        .await
        .expect("outbox")
        .iter()
        .any(|line| line.app == app)
}

/// What the log holds at `position`: its application and seq.
async fn stored_at<L: EventLog>(gw: &Gateway<L>, position: u64) -> (String, u64) {
    let found = gw.log.read_at(&[position]).await.expect("read");
    let event = found
        .into_iter()
        .next()
        .and_then(crate::log::At::into_event)
        .expect("an event there")
        .event;
    (event.app.clone(), event.seq)
}

/// Two gateways on one stream, the second told of the first's appends by nothing (no push, the
/// poll at an hour), as a gateway whose consumer is lost: a read naming the position a write
/// answered waits until the second holds it, asking the stream where it ends; `latest` does so
/// for whatever the stream holds; a position the stream never reaches is refused once the
/// patience is spent. Without the wait, each read here answers from before the write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_after_a_position_sees_another_gateways_write() {
    let dir = TempDir::new("service-read-after");
    let OneStream {
        server: _server,
        received,
        logs: [_, reader_log],
        gateways: [writer, reader],
        ..
    } = one_stream(&dir, false).await;
    // What the reader's log sends the server (the reads' requests for where the stream ends).
    let sent = || received.sent_by(reader_log.client_id());
    let origin = region(&origin_code());

    let submitted = writer
        .submit(&origin, request(), None)
        .await
        .expect("submit");
    let app = submitted.id.clone();
    assert_eq!(
        stored_at(&writer, submitted.position).await,
        (app.clone(), 1)
    );
    assert!(!in_outbox(&reader, &app).await, "nothing told the reader");
    let reached = reader
        .reach(ReadAfter::Position(submitted.position))
        .await
        .expect("read after the submission");
    assert!(reached >= submitted.position);
    assert!(in_outbox(&reader, &app).await);

    // The reader's view is at seq 1 now; the writer forwards it.
    let forwarded = writer
        .act(&origin, &app, Command::Forward(Forwarded::checked()), None)
        .await
        .expect("forward");
    assert_eq!(
        stored_at(&writer, forwarded.position).await,
        (app.clone(), 2)
    );
    let stale = reader.application(&origin, &app).await.expect("read");
    assert_eq!(stale.state.seq, 1, "nothing told the reader");
    reader
        .reach(ReadAfter::Latest)
        .await
        .expect("read after the latest");
    let read = reader.application(&origin, &app).await.expect("read");
    assert_eq!(
        (read.state.seq, read.state.status.as_str()),
        (2, "forwarded")
    );

    // A position beyond the stream: another stream's, or a leader still applying what it
    // committed. It is asked again until the patience is spent, then refused for a retry; a
    // handful of requests to the stream for it, however many reads wait at once (one request
    // at a time, shared).
    let beyond = forwarded.position + 100;
    let asked = Instant::now();
    let asks = || {
        reader
            .log
            .stats()
            .end_asked
            .expect("JetStream counts its asks")
    };
    let asks_before = asks();
    let before = sent();
    let refused = reader
        .reach(ReadAfter::Position(beyond))
        .await
        .expect_err("never reached");
    assert!(asked.elapsed() >= Duration::from_millis(1500));
    let one = sent() - before;
    assert!((2..=8).contains(&one), "{one} messages for one read");
    let before = sent();
    let reads: Vec<_> = (0..50)
        .map(|_| reader.reach(ReadAfter::Position(beyond)))
        .collect();
    for read in futures_join_all(reads).await {
        assert!(
            matches!(read, Err(ServiceError::NotCaughtUp { .. })),
            "{read:?}"
        );
    }
    let fifty = sent() - before;
    // Each ask of where the stream ends is one request, and the reader sent nothing else.
    let asks_in_windows = asks() - asks_before;
    assert_eq!(asks_in_windows, one + fifty, "asks counted for /metrics");
    // 18 and 27 seen (each round of asks shared; under load the reads' rounds drift apart
    // by a few milliseconds and a round takes a few requests); 251 with every read asking for
    // itself.
    assert!(
        fifty <= 10 * one,
        "{fifty} messages for 50 reads at once, {one} for one"
    );
    match refused {
        ServiceError::NotCaughtUp {
            wanted,
            end,
            reached,
        } => {
            assert_eq!((wanted, end), (beyond, forwarded.position));
            assert!(reached >= forwarded.position, "{reached}");
        }
        other => panic!("{other:?}"),
    }

    // What /metrics shows of it: every read by its outcome, each timed, and the asks of the
    // stream (shared, so fewer than the reads that waited on them).
    // A read whose caller goes away mid-wait is counted too, as abandoned.
    let gone = tokio::time::timeout(
        Duration::from_millis(100),
        reader.reach(ReadAfter::Position(beyond)),
    );
    assert!(gone.await.is_err(), "still waiting when dropped");
    let outcomes: Vec<_> = reader.reach_stats.outcomes().collect();
    assert_eq!(
        outcomes,
        [
            ("reached", 2),
            ("beyond-log", 0),
            ("not-caught-up", 51),
            ("log-unavailable", 0),
            ("projections-stopped", 0),
            ("abandoned", 1),
        ]
    );
    let waited = reader.reach_stats.waited();
    assert_eq!(waited.count, 54);
    assert!(waited.sum >= 51 * 1_500_000, "{} µs", waited.sum);
    // Besides those: one ask for the submission, one for `latest`, and the abandoned read's
    // (at once, after 25 ms, and after 100 ms when it is not dropped first).
    let outside = asks() - asks_in_windows;
    assert!((3..=5).contains(&outside), "{outside} asks");
    assert_eq!(
        writer.log.stats().end_asked,
        Some(0),
        "the writer never asked"
    );
}

/// A repeated submission answers a position at or after the original's, read through either
/// gateway: the other gateway found the original in the log without having heard of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_submission_answers_a_position_its_original_is_at_or_before() {
    let dir = TempDir::new("service-read-after-repeat");
    let OneStream {
        server: _server,
        gateways: [writer, other],
        ..
    } = one_stream(&dir, false).await;
    let origin = region(&origin_code());
    let first = writer
        .submit(&origin, request(), Some("repeat-1"))
        .await
        .expect("submit");
    let again = other
        .submit(&origin, request(), Some("repeat-1"))
        .await
        .expect("repeat");
    assert_eq!(
        (again.id.as_str(), again.created),
        (first.id.as_str(), false)
    );
    assert!(again.position >= first.position, "{again:?} {first:?}");
    other
        .reach(ReadAfter::Position(again.position))
        .await
        .expect("read after");
    assert!(in_outbox(&other, &first.id).await);
}

/// On the embedded log the gateway knows where its log ends: a position beyond it was never
/// answered here, and is refused at once, not waited for.
#[tokio::test]
async fn on_the_embedded_log_a_position_beyond_its_end_is_refused_at_once() {
    let dir = TempDir::new("service-read-after-embedded");
    let opened = super::fixtures::opened(&dir);
    let gw = &opened.gateway;
    let origin = region(&origin_code());
    let submitted = gw.submit(&origin, request(), None).await.expect("submit");
    assert_eq!(
        stored_at(gw, submitted.position).await,
        (submitted.id.clone(), 1)
    );
    gw.reach(ReadAfter::Position(0))
        .await
        .expect("nothing to wait for");
    for after in [ReadAfter::Position(submitted.position), ReadAfter::Latest] {
        let reached = gw.reach(after).await.expect("reached");
        assert!(reached >= submitted.position, "{after:?}: {reached}");
    }
    let asked = Instant::now();
    let refused = gw
        .reach(ReadAfter::Position(submitted.position + 1))
        .await
        .expect_err("beyond");
    assert!(asked.elapsed() < Duration::from_secs(1));
    match refused {
        ServiceError::BeyondLog { wanted, end } => {
            assert_eq!((wanted, end), (submitted.position + 1, submitted.position));
        }
        other => panic!("{other:?}"),
    }
}
