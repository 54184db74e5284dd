//! Whole histories built for an answer, a few at a time: an application's events
//! (`/v1/applications/{id}/events`), its timeline (`…/replay`) and its evidence page
//! (`/ui/applications/{id}`) each read every event of the application and write them out whole.
//!
//! An application's history has no bound but the actions taken on it, and each action's texts
//! may be long (64 KiB a reason). A red team's region suspended and resumed one application a
//! thousand times with such reasons: its evidence page became 320 MB, eight asked at once took
//! the gateway to 3.6 GB, and since each was written on a runtime worker, other regions' reads
//! waited for tens of seconds. So at most [`AT_ONCE`] such answers are built at a time (the
//! others wait their turn, holding nothing yet), and each is built off the runtime's workers
//! ([`tokio::task::block_in_place`]), which go on serving other requests meanwhile.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Semaphore;

/// How many whole histories are read and built at a time.
pub const AT_ONCE: usize = 2;

/// The turns whole histories are built in, and how often one waited for its turn.
pub struct Histories {
    turns: Semaphore,
    waited: AtomicU64,
}

impl Default for Histories {
    fn default() -> Self {
        Histories {
            turns: Semaphore::new(AT_ONCE),
            waited: AtomicU64::new(0),
        }
    }
}

impl Histories {
    /// Reads a history with `read` and builds its answer with `build`, in turn with the others:
    /// the read waits for a turn, and the build runs off the runtime's workers.
    pub async fn build<T, R, E>(
        &self,
        read: impl Future<Output = Result<R, E>>,
        build: impl FnOnce(R) -> T,
    ) -> Result<T, E> {
        let _turn = match self.turns.try_acquire() {
            Ok(turn) => Some(turn),
            Err(_) => {
                self.waited.fetch_add(1, Ordering::Relaxed);
                // Never closed: a closed semaphore would only mean building without a turn.
                self.turns.acquire().await.ok()
            }
        };
        let history = read.await?;
        Ok(tokio::task::block_in_place(|| build(history)))
    }

    /// How many answers waited for their turn since the start (`/metrics`).
    pub fn waited(&self) -> u64 {
        self.waited.load(Ordering::Relaxed)
    }
}
