//! The embedded log's single writer: group commit, the concurrency check, and the bound on what
//! waits for it.
//!
//! One thread takes everything queued, checks each append against its application's last seq,
//! writes the accepted ones as one batch, fsyncs once for all of them and only then answers. An
//! answer never rests on what is not durable yet: an append that conflicts with another append of
//! the same group waits for that group's fsync, and hears the outcome (conflict, or its own
//! position when it was a retry of the same event) only once the event it lost to is durable, or
//! `Unavailable` when that fsync failed.
//!
//! The queue is bounded by bytes ([`QUEUE_BYTES`]): while the disk stalls, appends beyond it are
//! refused at once (`Unavailable`, HTTP 503 with Retry-After) instead of piling up in memory, and
//! an append whose writer does not answer within [`WRITER_PATIENCE`] gets `Storage` (not
//! acknowledged; it may still land, so a retry carries the same Idempotency-Key).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc;

use fjall::PersistMode;
use tokio::sync::{oneshot, watch};

use super::{Stores, app_key, indexed, last_seq, storage};
use crate::envelope::Envelope;
use crate::log::LogError;

/// How many queued appends one group commit takes at most.
const MAX_GROUP: usize = 4096;

/// How many bytes of appends may wait for the writer. At the peak the queue holds about one
/// event per client (1.4 KB each); this much waits only while the disk stalls, and past it an
/// append is refused rather than held: 64 MiB is 45,000 typical submissions, or 64 of the
/// largest a request may carry.
pub const QUEUE_BYTES: usize = 64 << 20;

/// How long an append waits for the writer's answer before it is told the write was not
/// acknowledged. Group commits take a fraction of a millisecond and fjall's write stalls up to
/// seconds; a writer silent for this long is stuck (a store whose flushes failed halts its
/// writes for good), and callers should hear so rather than wait forever.
pub const WRITER_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

pub(super) struct Request {
    pub event: Envelope,
    pub bytes: Vec<u8>,
    pub expected_seq: u64,
    pub reply: oneshot::Sender<Result<u64, LogError>>,
}

/// Counts `bytes` into the queue, or refuses them when the queue is full.
pub(super) fn reserve(s: &Stores, bytes: usize) -> Result<(), LogError> {
    let before = s.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
    // One append alone is always let in, however large, so an empty queue never refuses.
    if before > 0 && before + bytes > QUEUE_BYTES {
        s.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
        return Err(LogError::Unavailable(format!(
            "{} MiB of appends are waiting for the disk; try again shortly",
            QUEUE_BYTES >> 20
        )));
    }
    Ok(())
}

/// The writer thread's loop: until every sender is gone, takes a group and commits it.
pub(super) fn write_loop(
    s: &Stores,
    rx: mpsc::Receiver<Request>,
    head: watch::Sender<u64>,
    mut position: u64,
) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(r) => group.push(r),
                Err(_) => break,
            }
        }
        let taken: usize = group.iter().map(|r| r.bytes.len()).sum();
        s.queued_bytes.fetch_sub(taken, Ordering::AcqRel);
        position = commit_group(s, group, position, &head);
    }
}

/// Checks, writes and fsyncs one group, and answers every request in it. Returns the log's last
/// position afterwards.
pub(super) fn commit_group(
    s: &Stores,
    group: Vec<Request>,
    mut position: u64,
    head: &watch::Sender<u64>,
) -> u64 {
    if let Some(reason) = failure(s) {
        for r in group {
            let _ = r.reply.send(Err(stopped(&reason)));
        }
        return position;
    }
    let mut batch = s.db.batch();
    // Each application's last seq and hash as this group leaves it.
    let mut tips: HashMap<String, (u64, String)> = HashMap::new();
    let mut accepted = Vec::with_capacity(group.len());
    // Appends that lost to an append of this same group, with the seq they lost to: answered once
    // that one's fsync has returned.
    let mut lost_in_group = Vec::new();
    for r in group {
        let app = r.event.app.clone();
        let known = tips.get(&app).map(|(seq, hash)| (*seq, hash.as_str()));
        let in_group = known.is_some();
        let current = match known.map_or_else(|| last_seq(s, &app), |(seq, _)| Ok(seq)) {
            Ok(c) => c,
            Err(e) => {
                let _ = r.reply.send(Err(e));
                continue;
            }
        };
        // The seq is right but the event is chained onto another one than the application's
        // last (decided on a state that is not the log's): a conflict, never a broken chain.
        let chained = if current != r.expected_seq || current == 0 {
            true
        } else if let Some((_, hash)) = known {
            hash == r.event.prev_hash
        } else {
            match last_hash(s, &app, current) {
                Ok(hash) => hash == r.event.prev_hash,
                Err(e) => {
                    let _ = r.reply.send(Err(e));
                    continue;
                }
            }
        };
        if current != r.expected_seq || !chained {
            if in_group {
                lost_in_group.push((r, current));
            } else {
                let answer = retry_or_conflict(s, &r, current);
                let _ = r.reply.send(answer);
            }
            continue;
        }
        // The last position there is: nothing follows it (and wrapping round would write over
        // acknowledged events). Only an event planted there can bring a log this far.
        let Some(next) = position.checked_add(1) else {
            let _ = r.reply.send(Err(LogError::Corrupt {
                position,
                reason: "the log's last position is the largest there is; no event can follow it"
                    .into(),
            }));
            continue;
        };
        position = next;
        let size = r.bytes.len();
        batch.insert(&s.events, position.to_be_bytes(), r.bytes);
        batch.insert(&s.apps, app_key(&app, r.event.seq), position.to_be_bytes());
        batch.insert(&s.heads, app.as_bytes(), r.event.seq.to_be_bytes());
        tips.insert(app, (r.event.seq, r.event.hash.clone()));
        accepted.push((r.reply, position, r.event, size));
    }
    if accepted.is_empty() {
        return position;
    }
    // The batch is written before the injected failure, as a real failed fsync leaves it in
    // memory: what keeps it unobserved is the durable head, not its absence.
    let syncing = std::time::Instant::now();
    // Before the batch: a reader that finds one of its entries past the durable end takes it for
    // an append under way, not an index pointing nowhere ([`Stores::written_up_to`]).
    s.written.store(position, Ordering::Release);
    // Said with the directory and the cause, or where fjall logged it ([`super::failure`]).
    let result = batch
        .commit()
        .map_err(|e| super::failure::of(&s.dir, &e))
        .and_then(|()| {
            if injected_failure(s) {
                Err(super::failure::injected(&s.dir))
            } else {
                s.db.persist(PersistMode::SyncAll)
                    .map_err(|e| super::failure::of(&s.dir, &e))
            }
        });
    match result {
        Ok(()) => {
            s.syncs.fetch_add(1, Ordering::Relaxed);
            s.synced_events
                .fetch_add(accepted.len() as u64, Ordering::Relaxed);
            s.batch_sizes.record(accepted.len() as u64);
            s.sync_micros.record_duration(syncing.elapsed());
            let (replies, durable): (Vec<_>, Vec<_>) = accepted
                .into_iter()
                .map(|(reply, pos, event, size)| ((reply, pos), (pos, event, size)))
                .unzip();
            s.recent.remember_own_all(durable);
            s.durable.store(position, Ordering::Release);
            head.send_replace(position);
            for (reply, pos) in replies {
                let _ = reply.send(Ok(pos));
            }
            // The events they lost to are durable now, and in the store: a retry of one of them
            // finds itself there.
            for (r, current) in lost_in_group {
                let answer = retry_or_conflict(s, &r, current);
                let _ = r.reply.send(answer);
            }
            // After the answers: a rotation is the next group's cost, not this one's.
            s.memtables.seal_full();
        }
        Err(reason) => {
            tracing::error!(
                %reason,
                "event log write failed; refusing further writes until a restart (fix the disk \
                 first; nothing acknowledged is lost, do not restore the log from a backup for \
                 this)"
            );
            if let Ok(mut f) = s.failed.lock() {
                *f = Some(reason.clone());
            }
            for (reply, ..) in accepted {
                let _ = reply.send(Err(LogError::Storage(reason.clone())));
            }
            // Never written: what they lost to is not durable, so no conflict is claimed.
            for (r, _) in lost_in_group {
                let _ = r.reply.send(Err(stopped(&reason)));
            }
        }
    }
    position
}

/// Why writes stopped, once a write failed.
pub(super) fn failure(s: &Stores) -> Option<String> {
    s.failed
        .lock()
        .map(|f| f.clone())
        .unwrap_or_else(|p| p.into_inner().clone())
}

fn stopped(reason: &str) -> LogError {
    LogError::Unavailable(format!("writes stopped after a storage failure: {reason}"))
}

/// Whether a test hook says this fsync fails (and counts down the armed countdown).
fn injected_failure(s: &Stores) -> bool {
    if s.fail_writes.load(Ordering::SeqCst) {
        return true;
    }
    match s.fsyncs_before_failure.load(Ordering::SeqCst) {
        u64::MAX => false,
        0 => true,
        n => {
            s.fsyncs_before_failure.store(n - 1, Ordering::SeqCst);
            false
        }
    }
}

/// The hash of `app`'s event `seq` (its last), read from the store: what the next event's
/// `prev_hash` must name. Only the hash is decoded.
fn last_hash(s: &Stores, app: &str, seq: u64) -> Result<String, LogError> {
    #[derive(serde::Deserialize)]
    struct Sealed {
        hash: String,
    }
    let corrupt = |reason: String| LogError::Corrupt {
        position: 0,
        reason,
    };
    let position = indexed(s, app, seq)?.ok_or_else(|| {
        corrupt(format!(
            "application {app} has no index entry for its last seq {seq}"
        ))
    })?;
    let bytes = s
        .events
        .get(position.to_be_bytes())
        .map_err(storage)?
        .ok_or_else(|| {
            corrupt(format!(
                "no event at position {position}, which the index names"
            ))
        })?;
    serde_json::from_slice::<Sealed>(&bytes)
        .map(|sealed| sealed.hash)
        .map_err(|e| LogError::Corrupt {
            position,
            reason: tongban_schemas::mask::serde_error(&e),
        })
}

/// A stale expectation is a retry of an append that already landed when the event at the next
/// seq has the same id; then the answer is that event's position.
fn retry_or_conflict(s: &Stores, r: &Request, current: u64) -> Result<u64, LogError> {
    let conflict = LogError::Conflict {
        app: r.event.app.clone(),
        expected: r.expected_seq,
        actual: current,
    };
    if current <= r.expected_seq {
        return Err(conflict);
    }
    let Some(position) = indexed(s, &r.event.app, r.event.seq)? else {
        return Err(conflict);
    };
    let bytes = s.events.get(position.to_be_bytes()).map_err(storage)?;
    match bytes.map(|b| Envelope::from_json(&b)) {
        Some(Ok(e)) if e.id == r.event.id => Ok(position),
        _ => Err(conflict),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::conformance;
    use crate::testutil::TempDir;

    type Answer = oneshot::Receiver<Result<u64, LogError>>;

    /// Stores with no writer thread: the test is the writer, and hands it whole groups.
    fn stores(name: &str) -> (TempDir, Stores, watch::Sender<u64>) {
        let dir = TempDir::new(name);
        let s = Stores::open(dir.path()).expect("open");
        let (head, _) = watch::channel(0);
        (dir, s, head)
    }

    fn request(event: Envelope, expected_seq: u64) -> (Request, Answer) {
        let (reply, rx) = oneshot::channel();
        let bytes = event.to_json().expect("encode");
        let r = Request {
            event,
            bytes,
            expected_seq,
            reply,
        };
        (r, rx)
    }

    fn answer(mut rx: Answer) -> Result<u64, LogError> {
        rx.try_recv()
            .expect("answered by the time the group is done")
    }

    /// Within one group the next event must name the hash of the one accepted before it in the
    /// group, as across groups it must name the stored one's.
    #[test]
    fn an_event_in_a_group_is_chained_onto_the_one_accepted_before_it() {
        let (_dir, s, head) = stores("writer-chain");
        let app = crate::ids::new_v7();
        let first = conformance::event(&app, 1, "");
        let (a, a_rx) = request(first.clone(), 0);
        assert_eq!(commit_group(&s, vec![a], 0, &head), 1);
        let second = conformance::event(&app, 2, &first.hash);
        let third = conformance::event(&app, 3, &second.hash);
        let astray = conformance::event(&app, 4, &second.hash);
        let (b, b_rx) = request(second, 1);
        let (c, c_rx) = request(third, 2);
        let (d, d_rx) = request(astray, 3);
        assert_eq!(commit_group(&s, vec![b, c, d], 1, &head), 3);
        assert_eq!(
            [answer(a_rx), answer(b_rx), answer(c_rx)],
            [Ok(1), Ok(2), Ok(3)]
        );
        assert!(
            matches!(
                answer(d_rx),
                Err(LogError::Conflict {
                    expected: 3,
                    actual: 3,
                    ..
                })
            ),
            "chained onto the second, not the third"
        );
        let onto_stored = conformance::event(&app, 4, &first.hash);
        let (e, e_rx) = request(onto_stored, 3);
        assert_eq!(commit_group(&s, vec![e], 3, &head), 3);
        assert!(matches!(answer(e_rx), Err(LogError::Conflict { .. })));
    }

    #[test]
    fn a_retry_in_its_originals_group_gets_the_originals_position_and_a_rival_a_conflict() {
        let (_dir, s, head) = stores("writer-retry");
        let app = crate::ids::new_v7();
        let event = conformance::event(&app, 1, "");
        let (original, a) = request(event.clone(), 0);
        let (retry, b) = request(event, 0);
        let (rival, c) = request(conformance::event(&app, 1, ""), 0);
        assert_eq!(commit_group(&s, vec![original, retry, rival], 0, &head), 1);
        assert_eq!(answer(a), Ok(1));
        assert_eq!(answer(b), Ok(1), "the retry is told where its event is");
        assert!(
            matches!(
                answer(c),
                Err(LogError::Conflict {
                    expected: 0,
                    actual: 1,
                    ..
                })
            ),
            "a different event for the same seq lost"
        );
        assert_eq!(last_seq(&s, &app), Ok(1));
        assert_eq!(s.durable.load(Ordering::Acquire), 1);
    }

    #[test]
    fn an_append_that_lost_to_its_neighbour_hears_no_conflict_when_that_fsync_fails() {
        let (_dir, s, head) = stores("writer-lost-fail");
        s.fail_writes.store(true, Ordering::SeqCst);
        let app = crate::ids::new_v7();
        let (first, a) = request(conformance::event(&app, 1, ""), 0);
        let (second, b) = request(conformance::event(&app, 1, ""), 0);
        commit_group(&s, vec![first, second], 0, &head);
        assert!(matches!(answer(a), Err(LogError::Storage(_))));
        // The event it lost to is not durable: claiming a conflict would send its caller to read
        // an application that has no such event.
        assert!(matches!(answer(b), Err(LogError::Unavailable(_))));
        assert_eq!(s.durable.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_conflict_with_the_store_is_answered_whatever_the_group_does() {
        let (_dir, s, head) = stores("writer-store-conflict");
        let app = crate::ids::new_v7();
        let (first, a) = request(conformance::event(&app, 1, ""), 0);
        commit_group(&s, vec![first], 0, &head);
        assert_eq!(answer(a), Ok(1));
        let (stale, b) = request(conformance::event(&app, 1, ""), 0);
        let (other, c) = request(conformance::event(&crate::ids::new_v7(), 1, ""), 0);
        assert_eq!(commit_group(&s, vec![stale, other], 1, &head), 2);
        assert!(matches!(
            answer(b),
            Err(LogError::Conflict {
                expected: 0,
                actual: 1,
                ..
            })
        ));
        assert_eq!(answer(c), Ok(2));
    }

    #[test]
    fn the_queue_refuses_appends_past_its_byte_budget_and_takes_them_again_once_drained() {
        let (_dir, s, _head) = stores("writer-queue");
        // One append alone is let in, whatever its size.
        assert_eq!(reserve(&s, QUEUE_BYTES + 1), Ok(()));
        s.queued_bytes.fetch_sub(QUEUE_BYTES + 1, Ordering::AcqRel);
        assert_eq!(reserve(&s, QUEUE_BYTES - 10), Ok(()));
        assert!(matches!(
            reserve(&s, 100),
            Err(LogError::Unavailable(reason)) if reason.contains("64 MiB")
        ));
        assert_eq!(s.queued_bytes.load(Ordering::Acquire), QUEUE_BYTES - 10);
        assert_eq!(reserve(&s, 10), Ok(()));
        s.queued_bytes.fetch_sub(QUEUE_BYTES, Ordering::AcqRel);
        assert_eq!(reserve(&s, 100), Ok(()));
    }

    #[test]
    fn a_malformed_head_is_corruption_not_an_application_without_events() {
        let (_dir, s, head) = stores("writer-bad-head");
        let app = crate::ids::new_v7();
        s.heads.insert(app.as_bytes(), [1u8, 2, 3]).expect("insert");
        let (first, a) = request(conformance::event(&app, 1, ""), 0);
        assert_eq!(commit_group(&s, vec![first], 0, &head), 0);
        assert!(matches!(
            answer(a),
            Err(LogError::Index(d))
                if d.app == app && d.what == crate::log::index::Disagrees::MalformedHead(3)
        ));
    }
}
