//! Whole histories built for an answer, a few at a time: an application's events
//! (`/v1/applications/{id}/events`), its timeline (`…/replay`) and its evidence page
//! (`/ui/applications/{id}`) each read every event of the application and write them out whole.
//!
//! An application's history has no bound but the actions taken on it, and each action's texts
//! may be long (64 KiB a reason). A red team's region suspended and resumed one application a
//! thousand times with such reasons: its evidence page became 320 MB, eight asked at once took
//! the gateway to 3.6 GB, and since each was written on a runtime worker, other regions' reads
//! waited for tens of seconds. So at most [`AT_ONCE`] answers holding a history longer than
//! [`SHORT`] events are in memory at a time, from the read of their events until their last
//! byte is sent (a slow reader holds its turn, not a second copy), each built off the runtime's
//! workers, which go on serving other requests meanwhile. A request waits for its turn at most [`LONGEST_WAIT`], and one caller (a region,
//! or the operators) may have at most [`PER_CALLER`] built or waiting, so that a region asking
//! for many at once does not queue them ahead of every other region's; past either, 503
//! `history-busy` with `Retry-After`.
//!
//! The same turns and seats bound a region's reconciliation of its own records
//! (`POST /v1/regions/{region}/reconcile` with a region's token), which reads the whole log:
//! another [`Histories`], of its own [`Bounds`] ([`RECONCILIATIONS`]: `reconcile-busy`), so that
//! a province's month-end run never takes a turn an evidence page needs.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::problem::Problem;

/// How many whole histories are in memory at a time.
pub const AT_ONCE: usize = 3;

/// What one set of turns bounds, and how its 503 names it: how many at a time on this gateway,
/// how many of them for one caller, and the problem's type, title and words for what is built.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub at_once: usize,
    pub per_caller: usize,
    /// The problem type's slug (`history-busy`).
    pub slug: &'static str,
    pub title: &'static str,
    /// What is built, as the problem's detail names it.
    pub what: &'static str,
    /// How the detail says it is done, now and by those that hold a seat (`builds`, `built`).
    pub done: (&'static str, &'static str),
}

/// The whole histories' bounds ([`AT_ONCE`], [`PER_CALLER`]).
pub const HISTORIES: Bounds = Bounds {
    at_once: AT_ONCE,
    per_caller: PER_CALLER,
    slug: "history-busy",
    title: "Too many whole histories are being built",
    what: "answers holding an application's whole history",
    done: ("builds", "built"),
};

/// The regions' reconciliations' bounds: each reads every event of the log, for seconds to
/// minutes on a large one, so two run at a time on a gateway and one per region; operators'
/// are not held to them (few, named, and needed in a dispute).
pub const RECONCILIATIONS: Bounds = Bounds {
    at_once: 2,
    per_caller: 1,
    slug: "reconcile-busy",
    title: "Too many reconciliations are running",
    what: "reconciliations for regions' tokens",
    done: ("runs", "running"),
};

/// A history of at most this many events (by the projections' count) is built at once, without
/// a turn: an application's whole life is a dozen or two, and a province's adapter reads many of
/// them side by side. Only a longer one (a thousand suspensions) waits its turn.
pub const SHORT: u64 = 64;

/// How many events the projections count for application `app` (0 when they hold none): what
/// [`Histories::build`] judges a history's length by, before it is read. Asked of every caller
/// alike, and never answered to one.
fn events_of<L: crate::log::EventLog>(s: &super::AppState<L>, app: &str) -> u64 {
    s.gateway
        .store
        .get(app)
        .ok()
        .flatten()
        .map_or(0, |view| view.state.seq)
}

/// How long a request waits for its turn before it is answered 503.
pub const LONGEST_WAIT: Duration = Duration::from_secs(30);

/// `Retry-After` of a `history-busy` 503, in seconds.
const RETRY_AFTER: u64 = 5;

/// The turns whole histories are built in, who holds or awaits them, and how often one waited.
pub struct Histories {
    bounds: Bounds,
    turns: Arc<Semaphore>,
    /// How many answers each caller (a region, or the operators) has built or waiting: at most
    /// [`Bounds::per_caller`], so that one region asking for many at once queues none ahead of others.
    seats: Arc<Mutex<HashMap<String, usize>>>,
    waited: AtomicU64,
}

/// How many whole histories one caller may have built or waiting at a time.
pub const PER_CALLER: usize = 1;

impl Default for Histories {
    fn default() -> Self {
        Histories::new(HISTORIES)
    }
}

/// A caller's seat: one of its [`Bounds::per_caller`], given back when dropped (with the
/// answer's body).
pub struct Seat {
    seats: Arc<Mutex<HashMap<String, usize>>>,
    caller: String,
}

impl Seat {
    /// A seat for `caller`, or `None` when it holds all of its own (`per_caller`).
    fn take(
        seats: &Arc<Mutex<HashMap<String, usize>>>,
        caller: &str,
        per_caller: usize,
    ) -> Option<Seat> {
        let mut held = seats.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(caller.to_string()).or_insert(0);
        if *n >= per_caller {
            return None;
        }
        *n += 1;
        Some(Seat {
            seats: Arc::clone(seats),
            caller: caller.to_string(),
        })
    }
}

impl Drop for Seat {
    fn drop(&mut self) {
        let mut held = self.seats.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.caller) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                held.remove(&self.caller);
            }
        }
    }
}

/// Whom a request's seats are counted for: its region (all its tokens together), or the operator
/// by their own token (operators' reads in an incident are not made to wait on one another's).
fn caller_of(principal: &crate::auth::Principal) -> String {
    principal
        .region()
        .map_or_else(|| principal.actor(), str::to_string)
}

/// `principal`'s answer holding application `app`'s whole history, built in its turn
/// ([`Histories::build`], judged by the caller's region and the history's length).
pub async fn answer<L: crate::log::EventLog, R>(
    s: &super::AppState<L>,
    principal: &crate::auth::Principal,
    app: &str,
    read: impl Future<Output = Result<R, Problem>>,
    build: impl FnOnce(R) -> Result<Built, Problem>,
) -> Result<Response, Problem> {
    s.histories
        .build(&caller_of(principal), events_of(s, app), read, build)
        .await
}

/// An answer built from a history: its content type and bytes.
pub struct Built {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

/// A turn and the caller's seat, held together until the answer is sent ([`Held::answer`]).
pub struct Held {
    turn: OwnedSemaphorePermit,
    seat: Seat,
}

impl Held {
    /// `built` as the answer, its body holding the turn and the seat until its last byte is
    /// sent (or it is dropped): a slow reader keeps its own turn, not a second copy.
    pub fn answer(self, built: Built) -> Response {
        let body = Body::from_stream(Once {
            bytes: Some(Bytes::from(built.bytes)),
            _turn: (self.turn, self.seat),
        });
        ([(header::CONTENT_TYPE, built.content_type)], body).into_response()
    }
}

impl Histories {
    /// Turns of `bounds`: `at_once` at a time, `per_caller` for one caller.
    pub fn new(bounds: Bounds) -> Histories {
        Histories {
            bounds,
            turns: Arc::new(Semaphore::new(bounds.at_once)),
            seats: Arc::new(Mutex::new(HashMap::new())),
            waited: AtomicU64::new(0),
        }
    }

    /// A seat for `caller` (a region's code, or an operator), at once: refused (503, with
    /// `Retry-After`) when it holds its `per_caller` already, before anything is read for it.
    pub fn seat(&self, caller: &str) -> Result<Seat, Problem> {
        Seat::take(&self.seats, caller, self.bounds.per_caller)
            .ok_or_else(|| self.busy(Some(caller)))
    }

    /// A turn for the holder of `seat`, waiting for one at most [`LONGEST_WAIT`] (503 past it).
    pub async fn turn(&self, seat: Seat) -> Result<Held, Problem> {
        let turn = match Arc::clone(&self.turns).try_acquire_owned() {
            Ok(turn) => turn,
            Err(_) => {
                self.waited.fetch_add(1, Ordering::Relaxed);
                match tokio::time::timeout(LONGEST_WAIT, Arc::clone(&self.turns).acquire_owned())
                    .await
                {
                    Ok(Ok(turn)) => turn,
                    _ => return Err(self.busy(None)),
                }
            }
        };
        Ok(Held { turn, seat })
    }

    /// Reads a history with `read` and builds its answer with `build`, in its turn: the read
    /// waits for a turn, the build runs off the runtime's workers, and the turn is given back
    /// once the answer's body is sent (or dropped). `caller` (a region's code, or `operators`)
    /// may have [`Bounds::per_caller`] built or waiting; one more is refused at once.
    pub async fn build<R>(
        &self,
        caller: &str,
        events: u64,
        read: impl Future<Output = Result<R, Problem>>,
        build: impl FnOnce(R) -> Result<Built, Problem>,
    ) -> Result<Response, Problem> {
        if events <= SHORT {
            let built = build(read.await?)?;
            return Ok(([(header::CONTENT_TYPE, built.content_type)], built.bytes).into_response());
        }
        let held = self.turn(self.seat(caller)?).await?;
        let history = read.await?;
        let built = off_the_workers(|| build(history))?;
        Ok(held.answer(built))
    }

    /// How many answers waited for their turn since the start (`/metrics`).
    pub fn waited(&self) -> u64 {
        self.waited.load(Ordering::Relaxed)
    }

    /// The 503 of a caller with no seat left (`caller`, who holds its own share: said so), or of
    /// one whose turn did not come in time (`None`: the gateway's turns were all taken, by
    /// whom is not said, and the caller is not told it holds what it does not): what is bounded,
    /// and when to ask again.
    fn busy(&self, caller: Option<&str>) -> Problem {
        let Bounds {
            at_once,
            per_caller,
            slug,
            title,
            what,
            done: (does, doing),
        } = self.bounds;
        let mut p = Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            slug,
            title,
            match caller {
                Some(caller) => format!(
                    "one caller may have at most {per_caller} of the {what} the gateway {does} \
                     at a time, and {caller} has that many {doing} or waiting; retry after \
                     {RETRY_AFTER} s"
                ),
                None => format!(
                    "the gateway {does} at most {at_once} {what} at a time, and no turn came \
                     free within {} s; retry after {RETRY_AFTER} s",
                    LONGEST_WAIT.as_secs()
                ),
            },
        );
        p.retry_after = Some(RETRY_AFTER);
        p
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
pub fn off_the_workers<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// A body of one chunk that holds its history's turn and its caller's seat until it is sent or
/// dropped.
struct Once {
    bytes: Option<Bytes>,
    _turn: (OwnedSemaphorePermit, Seat),
}

impl futures_core::Stream for Once {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.bytes.take().map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given the regions' reconciliations' turns, when 广东 takes one and 浙江 the other, then
    /// 广东's second is refused at once (503 `reconcile-busy`, `Retry-After`, naming the bounds)
    /// while 上海 still takes a seat; 上海's turn waits while both are held, and comes once 广东's
    /// is given back, 广东 then taking a seat again.
    #[tokio::test]
    async fn reconciliations_run_one_per_region_and_two_at_once() {
        let turns = Histories::new(RECONCILIATIONS);
        let guangdong = turns
            .turn(turns.seat("440000").expect("a seat"))
            .await
            .expect("a turn");
        let _zhejiang = turns
            .turn(turns.seat("330000").expect("a seat"))
            .await
            .expect("a turn");

        let Err(refused) = turns.seat("440000") else {
            panic!("a second seat for 440000");
        };
        assert_eq!(
            (refused.status, refused.kind.as_str(), refused.retry_after),
            (503, "urn:tongban:problem:reconcile-busy", Some(RETRY_AFTER))
        );
        assert!(
            refused.detail.starts_with(
                "one caller may have at most 1 of the reconciliations for regions' tokens the \
                 gateway runs at a time, and 440000 has that many running or waiting"
            ),
            "{}",
            refused.detail
        );

        let shanghai = turns.seat("310000").expect("a seat of its own");
        let mut waiting = Box::pin(turns.turn(shanghai));
        let early = tokio::time::timeout(Duration::from_millis(50), &mut waiting).await;
        assert!(early.is_err(), "a third turn while two are held");
        assert_eq!(turns.waited(), 1);
        drop(guangdong);
        let _shanghai = waiting.await.expect("the turn given back");
        assert!(turns.seat("440000").is_ok());
        // A turn that does not come in time is the gateway's being busy, not the caller's
        // holding its share: it is not told it has any running, nor who has.
        let late = turns.busy(None);
        assert_eq!(late.retry_after, Some(RETRY_AFTER));
        assert!(
            late.detail.starts_with(
                "the gateway runs at most 2 reconciliations for regions' tokens at a time, and \
                 no turn came free within 30 s"
            ) && !late.detail.contains("has that many"),
            "{}",
            late.detail
        );
    }
}
