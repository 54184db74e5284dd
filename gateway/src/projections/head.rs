//! Catching the log head ([`crate::log::head_hash`]) up to the projections' checkpoint, for a
//! store whose head is behind it: one made before heads were kept, or moved on by a build that
//! does not keep them (a rollback).
//!
//! Chosen over refusing to serve a head until `tongban rebuild`: the projections are right, only
//! the head is missing, and reading the log up to the checkpoint once (seconds for a million
//! events, at the projector's start, before it applies anything) is far cheaper than a rebuild.
//! Until it is done `GET /v1/log/head` answers 503 (`log-head-not-ready`): a head not standing at
//! the checkpoint is never served. The head so computed commits to the log as it is at this
//! start, which is all any head commits to.

use super::store::{ProjectionError, ProjectionStore};
use crate::log::head_hash::Running;
use crate::log::{At, EventLog, LogError};

#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
}

impl CatchUpError {
    /// Whether asking again may succeed soon: the log out of reach (a JetStream server
    /// restarting as the gateway starts). A storage error reading the log, a log that no longer
    /// reaches the checkpoint, or a store failing, is not waited on: the projections go on, and
    /// only the head waits for the next start or `tongban rebuild`.
    pub fn transient(&self) -> bool {
        matches!(self, CatchUpError::Log(LogError::Unavailable(_)))
    }
}

/// Reads the log from where the stored head stands up to the checkpoint and stores the head
/// there; nothing when it stands there already. Returns whether it caught one up. Called by the
/// projector before it applies anything, so the checkpoint does not move meanwhile.
pub async fn catch_up<L: EventLog>(log: &L, store: &ProjectionStore) -> Result<bool, CatchUpError> {
    let Some((mut head, checkpoint)) = store.head_behind()? else {
        return Ok(false);
    };
    tracing::info!(
        from = head.position,
        checkpoint,
        "the projections keep no log head up to their checkpoint (made before heads, or moved \
         on by a build without them): reading the log up to it once"
    );
    read_on(log, &mut head, checkpoint).await?;
    // The checkpoint is the position of an event the projections applied: a log that no longer
    // reaches it is not the log they were applied from, and no head is made of it.
    if head.position != checkpoint {
        return Err(LogError::Corrupt {
            position: checkpoint,
            reason: format!(
                "the projections were applied up to log position {checkpoint}, but the log's \
                 last event up to it is at {}: no log head is kept until `tongban rebuild`",
                head.position
            ),
        }
        .into());
    }
    Ok(store.put_head(&head)?)
}

/// Takes every record the log holds after `head`'s position up to `up_to` into it: an event by
/// its hash, a record that is not an event by its bytes' digest, as the projector took it
/// ([`crate::log::head_hash`]). `head` then stands at the last record at or before `up_to`.
pub async fn read_on<L: EventLog>(log: &L, head: &mut Running, up_to: u64) -> Result<(), LogError> {
    let mut from = head.position.saturating_add(1);
    while from <= up_to {
        let batch = log.entries(from, 4096).await?;
        let Some(last) = batch.last().map(At::position) else {
            break;
        };
        for entry in &batch {
            let (position, hash) = match entry {
                At::Event(p) => (p.position, &p.event.hash),
                At::Unreadable(u) => (u.position, &u.digest),
                At::Nothing(_) => continue,
            };
            if position > up_to {
                return Ok(());
            }
            head.take(position, hash);
        }
        match last.checked_add(1) {
            Some(next) => from = next,
            None => break,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::Calendar;
    use crate::log::EmbeddedLog;
    use crate::log::head_hash::Running;
    use crate::testutil::TempDir;

    fn expected(events: &[crate::log::Positioned]) -> Running {
        let mut r = Running::default();
        for p in events {
            r.take(p.position, &p.event.hash);
        }
        r
    }

    /// Given runs of events applied, one of them twice (as after a crash before its checkpoint
    /// moved), the head is the running hash over each event once, at the checkpoint; a store
    /// whose head was lost (made before heads) serves none, and the catch-up from the log
    /// restores the very same head.
    #[tokio::test]
    async fn the_head_follows_the_checkpoint_and_is_caught_up_from_the_log() {
        let dir = TempDir::new("log-head");
        let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
        let events = crate::projections::store::tests::mixed(12);
        for p in &events {
            log.append(p.event.clone(), p.event.seq - 1)
                .await
                .expect("append");
        }
        let cal = Calendar::weekdays();
        let store = ProjectionStore::open(&dir.path().join("projections")).expect("store");
        assert_eq!(store.log_head().expect("head"), Some(Running::default()));
        let mid = events.len() / 2;
        store.apply(&mut events[..mid].to_vec(), &cal).expect("a");
        assert_eq!(
            store.log_head().expect("head"),
            Some(expected(&events[..mid]))
        );
        // The first run again with the rest: its events are not taken in twice.
        store.apply(&mut events.to_vec(), &cal).expect("b");
        let whole = expected(&events);
        assert_eq!(whole.position, events.len() as u64);
        assert_eq!(store.log_head().expect("head"), Some(whole.clone()));

        // As a store made before heads: a checkpoint, no head. None is served, and a run
        // applied meanwhile does not make one up.
        store
            .meta
            .remove(super::super::store::HEAD)
            .expect("remove");
        assert_eq!(store.log_head().expect("head"), None);
        assert!(catch_up(&log, &store).await.expect("caught up"));
        assert_eq!(store.log_head().expect("head"), Some(whole));
        assert!(!catch_up(&log, &store).await.expect("nothing to do"));
    }

    /// Given a store whose head is behind its checkpoint, and the JetStream server down as the
    /// projector starts (so the catch-up's read fails), when the server is back, then the head
    /// is caught up without a restart, to the very head the projections had.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_catch_up_is_asked_again_once_the_log_is_back() {
        use crate::log::jetstream::{JetStreamConfig, JetStreamLog};
        use std::time::{Duration, Instant};
        let mut server = crate::testnats::NatsServer::start();
        let mut config = JetStreamConfig::new(server.url());
        config.op_timeout = Duration::from_secs(1);
        let log = std::sync::Arc::new(JetStreamLog::open(&config).await.expect("open"));
        for p in crate::projections::store::tests::mixed(4) {
            log.append(p.event.clone(), p.event.seq - 1)
                .await
                .expect("append");
        }
        let mut read = log.read_all(1, 100).await.expect("read");
        let dir = TempDir::new("log-head-retry");
        let cal = Calendar::weekdays();
        let store = ProjectionStore::open(&dir.path().join("projections")).expect("store");
        store.apply(&mut read, &cal).expect("apply");
        let whole = store.log_head().expect("head").expect("a head");
        assert_eq!(whole, expected(&read));
        store
            .meta
            .remove(super::super::store::HEAD)
            .expect("remove");

        server.stop();
        let _projector = crate::projections::projector::Projector::spawn(
            std::sync::Arc::clone(&log),
            store.clone(),
            std::sync::Arc::new(cal),
            None,
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(
            store.log_head().expect("head"),
            None,
            "not while the log is away"
        );
        server.restart();
        let deadline = Instant::now() + Duration::from_secs(20);
        while store.log_head().expect("head").as_ref() != Some(&whole) {
            assert!(
                Instant::now() < deadline,
                "the head was not caught up after the server came back"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Given a log of over two thousand events applied in runs of uneven length, when the head
    /// at each earlier position is asked for, then it is the running hash over the events up to
    /// there, read on from the past head kept last before it: one kept as the head passed each
    /// multiple of [`HEAD_MARK_EVERY`], none before the first.
    #[tokio::test]
    async fn a_head_at_an_earlier_position_is_read_on_from_the_last_past_head() {
        use super::super::store::HEAD_MARK_EVERY;
        let dir = TempDir::new("past-heads");
        let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
        let events = crate::projections::store::tests::mixed(700);
        assert!(
            events.len() as u64 > 2 * HEAD_MARK_EVERY + 2,
            "{}",
            events.len()
        );
        for p in &events {
            log.append(p.event.clone(), p.event.seq - 1)
                .await
                .expect("append");
        }
        let store = ProjectionStore::open(&dir.path().join("projections")).expect("store");
        let cal = Calendar::weekdays();
        for run in events.chunks(333) {
            store.apply(&mut run.to_vec(), &cal).expect("apply");
        }
        let last = events.len() as u64;
        assert_eq!(store.log_head().expect("head"), Some(expected(&events)));
        for position in [0, 1, 1023, 1024, 1025, 2047, 2048, 2049, last - 1] {
            let mark = store.head_mark_at_or_before(position).expect("mark");
            assert_eq!(
                mark.position,
                position / HEAD_MARK_EVERY * HEAD_MARK_EVERY,
                "the past head kept before {position}"
            );
            assert_eq!(mark, expected(&events[..mark.position as usize]));
            let mut head = mark;
            read_on(&log, &mut head, position).await.expect("read on");
            assert_eq!(
                head,
                expected(&events[..position as usize]),
                "the head at {position}"
            );
        }
    }
}
