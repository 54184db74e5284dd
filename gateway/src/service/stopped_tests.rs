//! Projections that stopped for good: their store failed in a way it does not recover from
//! (fjall poisoned on a full disk), armed here with the store's test hook.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fixtures::{gateway_on, origin_code, region, request};
use super::{ReadAfter, ServiceError};
use crate::log::EmbeddedLog;
use crate::testutil::TempDir;

/// Given a gateway whose projection store fails as a poisoned store does after one batch, when
/// a second submission is taken, then the projections stop for good at the first failure
/// (`projections_stopped`, at the position they hold): the write is still acknowledged, reads do
/// not wait for a catch-up that cannot come (the application read is folded from the log and
/// exact, the outbox answers what the store holds at once), and a read naming the new position
/// is refused at once as `ProjectionsStopped`. Guards against the projector retrying a poisoned
/// store forever while every read waited the whole read-your-writes wait and answered stale.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_that_cannot_recover_stops_the_projections_and_reads_do_not_wait() {
    let dir = TempDir::new("service-projections-stopped");
    let log = Arc::new(EmbeddedLog::open(&dir.path().join("log")).expect("log"));
    let gw = gateway_on(&log, &dir, "projections");
    gw.store.fail_applies_after(1);
    let origin = region(&origin_code());

    let first = gw.submit(&origin, request(), None).await.expect("submit");
    gw.projected_within(Duration::from_secs(10))
        .await
        .expect("the first batch applies");
    assert!(gw.projections_stopped().is_none());

    let second = gw
        .submit(&origin, request(), None)
        .await
        .expect("a write is still taken");
    let deadline = Instant::now() + Duration::from_secs(10);
    let stopped = loop {
        if let Some(stopped) = gw.projections_stopped() {
            break stopped;
        }
        assert!(Instant::now() < deadline, "the projections never stopped");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(stopped.at, first.position, "{stopped:?}");
    assert!(stopped.why.contains("Poisoned"), "{stopped:?}");
    assert_eq!(gw.projector.applied(), first.position);

    let began = Instant::now();
    let view = gw
        .application(&origin, &second.id)
        .await
        .expect("folded from the log");
    assert_eq!(view.state.seq, 1);
    let outbox = gw
        .outbox(&origin, &origin_code(), None, 100)
        .await
        .expect("outbox");
    assert_eq!(
        outbox.iter().map(|l| l.app.as_str()).collect::<Vec<_>>(),
        [first.id.as_str()],
        "what the store holds"
    );
    match gw.reach(ReadAfter::Position(second.position)).await {
        Err(ServiceError::ProjectionsStopped {
            wanted, reached, ..
        }) => assert_eq!((wanted, reached), (second.position, first.position)),
        other => panic!("{other:?}"),
    }
    gw.reach(ReadAfter::Position(first.position))
        .await
        .expect("a position the projections hold is still reached");
    assert!(
        began.elapsed() < Duration::from_secs(1),
        "the reads waited {:?}",
        began.elapsed()
    );
}

/// Given the store's errors, when one is a poisoned store, an I/O error of its disk (as a full
/// disk answers) or a store fjall gave up on, then it is a failure that needs a restart; a
/// store locked by another process or a bad tag is not. Guards the line between fail-stop and
/// retrying.
#[test]
fn only_failures_of_the_store_itself_need_a_restart() {
    use crate::projections::ProjectionError;
    let full = std::io::Error::from_raw_os_error(28);
    let lsm = fjall::Error::Storage(fjall::LsmError::Io(std::io::Error::from_raw_os_error(5)));
    for (e, restart) in [
        (fjall::Error::Poisoned, true),
        (fjall::Error::Io(full), true),
        (lsm, true),
        (fjall::Error::Unrecoverable, true),
        (fjall::Error::Locked, false),
        (fjall::Error::InvalidTag(("test", 9)), false),
    ] {
        let said = format!("{e:?}");
        let e: ProjectionError = crate::projections::store::storage_error(e);
        assert_eq!(e.restart_required(), restart, "{said}: {e}");
    }
}
