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
use crate::log::{EventLog, LogError};

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
    crate::log::head_hash::records(log, head.position, checkpoint, |position, hash| {
        head.take(position, hash)
    })
    .await?;
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
}
