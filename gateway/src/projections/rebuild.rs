//! Rebuilding projections from the log: drop them, then fold every event again from position 1.
//! The result equals the live projection, because both use the same fold ([`super::store`]).

use std::path::Path;

use super::store::{ProjectionError, ProjectionStore};
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
const BATCH: usize = 4096;

/// Replaces the projections in `dir` with ones rebuilt from `log`. `progress(done, head)` is called
/// after each batch. Returns the store and the number of events applied.
pub async fn rebuild<L: EventLog>(
    log: &L,
    dir: &Path,
    cal: &Calendar,
    mut progress: impl FnMut(u64, u64),
) -> Result<(ProjectionStore, u64), RebuildError> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| RebuildError::Remove {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let store = ProjectionStore::open(dir)?;
    let head = *log.head().borrow();
    let mut from = 1;
    let mut done = 0u64;
    loop {
        let batch = log.read_all(from, BATCH).await?;
        let Some(last) = batch.last() else { break };
        from = last.position + 1;
        done += batch.len() as u64;
        store.apply(&batch, cal)?;
        progress(done, head);
    }
    store.persist()?;
    Ok((store, done))
}
