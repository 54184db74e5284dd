//! Rebuilding projections from the log: drop them, then fold every event again from position 1.
//! The result equals the live projection, because both use the same fold ([`super::store`]).

use std::path::Path;

use super::store::{ProjectionError, ProjectionStore, Submissions};
use crate::domain::calendar::Calendar;
use crate::log::{EventLog, LogError};

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("removing the old projections at {path}: {source}")]
    Remove {
        path: String,
        source: std::io::Error,
    },
}

/// Events folded per batch (one atomic projection write each).
const BATCH: usize = 16_384;

/// Replaces the projections in `dir` with ones rebuilt from `log`. `progress(done, head)` is called
/// after each batch. Returns the store and the number of events applied.
pub async fn rebuild<L: EventLog>(
    log: &L,
    dir: &Path,
    cal: &Calendar,
    progress: impl FnMut(u64, u64),
) -> Result<(ProjectionStore, u64), RebuildError> {
    let store = clear(dir)?.with_submissions(Submissions::for_log(log));
    let n = fill(log, &store, cal, progress).await?;
    Ok((store, n))
}

/// Drops the projections in `dir` and returns an empty store in their place, holding only the
/// regions' feed cursors (their own progress, not derived from the log).
pub fn clear(dir: &Path) -> Result<ProjectionStore, RebuildError> {
    let cursors = if dir.exists() {
        let cursors = ProjectionStore::open_any_layout(dir)?.feed_cursors()?;
        std::fs::remove_dir_all(dir).map_err(|source| RebuildError::Remove {
            path: dir.display().to_string(),
            source,
        })?;
        cursors
    } else {
        Vec::new()
    };
    let store = ProjectionStore::open(dir)?;
    for (region, position) in cursors {
        store.ack_feed(&region, position)?;
    }
    Ok(store)
}

/// Folds every event of `log` into `store` (empty, from [`clear`]) and makes the result durable.
///
/// Each batch is written atomically with its checkpoint, as the live projector does, so a rebuild
/// that is killed leaves projections that are exact up to their checkpoint: the gateway's
/// projector continues from there when it starts (or `tongban rebuild` starts over).
pub async fn fill<L: EventLog>(
    log: &L,
    store: &ProjectionStore,
    cal: &Calendar,
    mut progress: impl FnMut(u64, u64),
) -> Result<u64, RebuildError> {
    let head = *log.head().borrow();
    let cal = std::sync::Arc::new(cal.clone());
    // Read the next batch while the previous one is folded and written: on a machine with more
    // than one core the rebuild then costs about as much as the slower of the two, not their sum.
    type Applied = (Result<u64, ProjectionError>, Vec<crate::log::Positioned>);
    let mut applying: Option<tokio::task::JoinHandle<Applied>> = None;
    let mut from = 1;
    let mut done = 0u64;
    loop {
        let batch = log.read_all(from, BATCH).await?;
        if let Some(task) = applying.take() {
            let (applied, events) = task
                .await
                .map_err(|e| ProjectionError::Storage(e.to_string()))?;
            // Freeing a batch of decoded events takes about a third as long as folding it: off
            // the path from one batch to the next.
            tokio::task::spawn_blocking(move || drop(events));
            applied?;
            progress(done, head);
        }
        let Some(last) = batch.last() else { break };
        from = last.position + 1;
        done += batch.len() as u64;
        let (store, cal) = (store.clone(), std::sync::Arc::clone(&cal));
        applying = Some(tokio::task::spawn_blocking(move || {
            let mut batch = batch;
            (store.apply(&mut batch, &cal), batch)
        }));
    }
    store.persist()?;
    Ok(done)
}
