//! Keeping the tips of subjects other gateways appended to fresh, off the projector's path.
//!
//! When the projector reads another gateway's event on a subject this gateway holds a tip for
//! ([`super::Inner::tips`]), that tip is stale: the next append there would name an older last
//! message, be refused, and read the subject's last message before publishing again. Asking the
//! leader for each such subject's last message beforehand saves the action that round trip.
//!
//! The projector used to wait for those answers (up to 250 ms) before handing on what it read,
//! and with it every read waiting for a position (`X-Tongban-Read-After`): about one request's
//! time out of each read of another gateway's events. Now it only names the subjects, and one
//! worker per log asks the leader, several at a time. Names queued while the worker is busy are
//! taken together, each subject asked once. It is best effort: a tip not refreshed yet, or
//! dropped when the queue is full, costs an action one refused publish and a read of the
//! subject's last message, as it did before any tip was kept. An answer only moves a tip
//! forward: one from before this gateway's own later append is not put over it.

use std::collections::HashSet;
use std::sync::Weak;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, watch};

use super::{Inner, JetStreamLog, READ_WINDOW};

/// Lists of subjects queued for the worker; more are dropped (best effort, see above).
const QUEUED: usize = 64;

/// The projector's side of the worker: where it names the subjects to ask about.
pub(super) struct TipRefresh {
    queue: mpsc::Sender<Vec<String>>,
    /// Lists queued, and lists the worker has finished with (or dropped): equal when idle.
    queued: AtomicU64,
    finished: watch::Sender<u64>,
}

impl TipRefresh {
    /// The queue, and its end for [`spawn`].
    pub(super) fn new() -> (TipRefresh, mpsc::Receiver<Vec<String>>) {
        let (queue, taken) = mpsc::channel(QUEUED);
        let refresh = TipRefresh {
            queue,
            queued: AtomicU64::new(0),
            finished: watch::Sender::new(0),
        };
        (refresh, taken)
    }

    /// Queues `subjects` for the worker without waiting: if the queue is full they are dropped.
    pub(super) fn ask(&self, subjects: Vec<String>) {
        if subjects.is_empty() {
            return;
        }
        self.queued.fetch_add(1, Ordering::AcqRel);
        if self.queue.try_send(subjects).is_err() {
            tracing::debug!("the tip refresh queue is full; tips are asked again at the append");
            self.finish(1);
        }
    }

    fn finish(&self, lists: u64) {
        self.finished.send_modify(|f| *f += lists);
    }

    /// Waits until every list queued before the call has been asked about.
    #[cfg(test)]
    pub(super) async fn settled(&self) {
        let queued = self.queued.load(Ordering::Acquire);
        let mut finished = self.finished.subscribe();
        // The sender lives as long as `self`, so the wait ends only when reached.
        let _ = finished.wait_for(|f| *f >= queued).await;
    }
}

/// The worker: takes every list queued, asks the leader for the last message of each subject
/// named (at most [`READ_WINDOW`] at a time), and moves the tips it answers forward. Ends when
/// the log is dropped (the queue's sender with it).
pub(super) fn spawn(inner: Weak<Inner>, mut taken: mpsc::Receiver<Vec<String>>) {
    tokio::spawn(async move {
        while let Some(first) = taken.recv().await {
            let mut lists = 1;
            let mut seen: HashSet<String> = HashSet::new();
            let mut subjects: Vec<String> = Vec::new();
            let mut add = |list: Vec<String>| {
                for s in list {
                    if seen.insert(s.clone()) {
                        subjects.push(s);
                    }
                }
            };
            add(first);
            while let Ok(more) = taken.try_recv() {
                lists += 1;
                add(more);
            }
            let Some(inner) = inner.upgrade() else {
                return;
            };
            let log = JetStreamLog::sharing(inner);
            if log.connected().is_ok() {
                ask(&log, subjects).await;
            }
            log.inner.tip_refresh.finish(lists);
        }
    });
}

/// Asks for each subject's last message, a few at a time; a failed read leaves the tip as it
/// was.
async fn ask(log: &JetStreamLog, subjects: Vec<String>) {
    let mut tasks = tokio::task::JoinSet::new();
    for subject in subjects {
        while tasks.len() >= READ_WINDOW {
            let _ = tasks.join_next().await;
        }
        let log = log.clone();
        let Some(app) = log.inner.app_of(&subject).map(str::to_string) else {
            continue;
        };
        tasks.spawn(async move {
            if let Ok(Some(end)) = log.end_of(&app, &subject).await {
                let fresh = end.tip();
                log.inner.tips.update(&subject, |tip| {
                    if tip.position < fresh.position {
                        *tip = fresh;
                    }
                });
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The projector never waits on the queue: past [`QUEUED`] lists the rest are dropped, and
    /// counted as finished, so waiting for the queue to settle does not wait for them.
    #[tokio::test]
    async fn a_full_queue_drops_what_comes_next_without_waiting() {
        let (refresh, mut taken) = TipRefresh::new();
        refresh.ask(Vec::new());
        assert_eq!(refresh.queued.load(Ordering::Acquire), 0, "nothing to ask");
        for i in 0..QUEUED + 3 {
            refresh.ask(vec![format!("tongban.app.{i}")]);
        }
        assert_eq!(
            *refresh.finished.borrow(),
            3,
            "the three past the queue's size"
        );
        let mut lists = 0;
        while let Ok(list) = taken.try_recv() {
            assert_eq!(list, vec![format!("tongban.app.{lists}")]);
            lists += 1;
        }
        assert_eq!(lists, QUEUED);
        let settled = tokio::time::timeout(std::time::Duration::from_millis(50), refresh.settled());
        assert!(
            settled.await.is_err(),
            "settled before the lists were asked"
        );
        refresh.finish(lists as u64);
        tokio::time::timeout(std::time::Duration::from_secs(1), refresh.settled())
            .await
            .expect("settled once every queued list is finished");
    }
}
