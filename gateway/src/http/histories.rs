//! Whole histories built for an answer, a few at a time: an application's events
//! (`/v1/applications/{id}/events`), its timeline (`…/replay`) and its evidence page
//! (`/ui/applications/{id}`) each read every event of the application and write them out whole.
//!
//! An application's history has no bound but the actions taken on it, and each action's texts
//! may be long (64 KiB a reason). A red team's region suspended and resumed one application a
//! thousand times with such reasons: its evidence page became 320 MB, eight asked at once took
//! the gateway to 3.6 GB, and since each was written on a runtime worker, other regions' reads
//! waited for tens of seconds. So at most [`AT_ONCE`] such answers are in memory at a time, from
//! the read of their events until their last byte is sent (a slow reader holds its turn, not a
//! second copy), each built off the runtime's workers, which go on serving other requests
//! meanwhile. A request waits for its turn at most [`LONGEST_WAIT`], then is answered 503
//! `history-busy` with `Retry-After`.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::problem::Problem;

/// How many whole histories are in memory at a time.
pub const AT_ONCE: usize = 2;

/// How long a request waits for its turn before it is answered 503.
pub const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// `Retry-After` of a `history-busy` 503, in seconds.
const RETRY_AFTER: u64 = 5;

/// The turns whole histories are built in, and how often one waited for its turn.
pub struct Histories {
    turns: Arc<Semaphore>,
    waited: AtomicU64,
}

impl Default for Histories {
    fn default() -> Self {
        Histories {
            turns: Arc::new(Semaphore::new(AT_ONCE)),
            waited: AtomicU64::new(0),
        }
    }
}

/// An answer built from a history: its content type and bytes.
pub struct Built {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

impl Histories {
    /// Reads a history with `read` and builds its answer with `build`, in its turn: the read
    /// waits for a turn, the build runs off the runtime's workers, and the turn is given back
    /// once the answer's body is sent (or dropped).
    pub async fn build<R>(
        &self,
        read: impl Future<Output = Result<R, Problem>>,
        build: impl FnOnce(R) -> Result<Built, Problem>,
    ) -> Result<Response, Problem> {
        let turn = match Arc::clone(&self.turns).try_acquire_owned() {
            Ok(turn) => turn,
            Err(_) => {
                self.waited.fetch_add(1, Ordering::Relaxed);
                match tokio::time::timeout(LONGEST_WAIT, Arc::clone(&self.turns).acquire_owned())
                    .await
                {
                    Ok(Ok(turn)) => turn,
                    _ => return Err(busy()),
                }
            }
        };
        let history = read.await?;
        let built = off_the_workers(|| build(history))?;
        let body = Body::from_stream(Once {
            bytes: Some(Bytes::from(built.bytes)),
            _turn: turn,
        });
        Ok(([(header::CONTENT_TYPE, built.content_type)], body).into_response())
    }

    /// How many answers waited for their turn since the start (`/metrics`).
    pub fn waited(&self) -> u64 {
        self.waited.load(Ordering::Relaxed)
    }
}

/// An answer's JSON (500 if it does not serialise, which a history of events always does).
pub fn json(value: &impl serde::Serialize) -> Result<Built, Problem> {
    serde_json::to_vec(value)
        .map(|bytes| Built {
            content_type: "application/json",
            bytes,
        })
        .map_err(|e| {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "The answer could not be written",
                format!("the answer did not serialise: {e}"),
            )
        })
}

/// Runs `f` off the runtime's workers where the runtime has several ([`tokio::task::block_in_place`],
/// which a current-thread runtime, as an embedding test may run the router on, does not allow:
/// there it runs in place).
fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

fn busy() -> Problem {
    let mut p = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "history-busy",
        "Too many whole histories are being built",
        format!(
            "the gateway builds at most {AT_ONCE} answers holding an application's whole history \
             at a time, and this one waited {} s for its turn; retry after {RETRY_AFTER} s",
            LONGEST_WAIT.as_secs()
        ),
    );
    p.retry_after = Some(RETRY_AFTER);
    p
}

/// A body of one chunk that holds its history's turn until it is sent or dropped.
struct Once {
    bytes: Option<Bytes>,
    _turn: OwnedSemaphorePermit,
}

impl futures_core::Stream for Once {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.bytes.take().map(Ok))
    }
}
