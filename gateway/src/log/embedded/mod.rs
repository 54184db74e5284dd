//! The embedded event log on fjall: one process, one directory, no server.
//!
//! Durability: an append is acknowledged only after the journal is fsynced (`PersistMode::SyncAll`).
//! Group commit: a single writer thread takes every append waiting in its queue, checks each against
//! the application's last seq, writes them as one batch and fsyncs once for all of them, so
//! concurrent writers share the cost of a sync. Being the only writer also makes the concurrency
//! check race-free. The writer, the bound on its queue and how a conflict inside one group is
//! answered are in [`writer`].
//!
//! Visibility: readers see only positions up to the durable head, so an event whose fsync failed is
//! never observed. After a storage failure the log refuses all further writes (fail-stop) rather
//! than acknowledge anything it cannot vouch for.
//!
//! Layout (keyspaces):
//! - `events`: position (u64 BE) → envelope JSON
//! - `apps`:   app id, 0x00, seq (u64 BE) → position (u64 BE)
//! - `heads`:  app id → last seq (u64 BE)

mod failure;
mod index;
pub mod journal;
mod writer;

use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use fjall::{Database, Keyspace};
use tokio::sync::{oneshot, watch};

use super::index::{Disagreement, Disagrees, Holds, agrees};
use super::{At, EventLog, LogError, Positioned};
use crate::envelope::Envelope;
use writer::Request;
pub use writer::{QUEUE_BYTES, WRITER_PATIENCE};

struct Stores {
    /// The log's directory, named when a write fails ([`failure`]).
    dir: std::path::PathBuf,
    db: Database,
    events: Keyspace,
    apps: Keyspace,
    heads: Keyspace,
    /// The keyspaces and their memtable budgets: sealed after each group commit, counted for
    /// `stats`.
    memtables: crate::fjall_tuning::Memtables,
    durable: AtomicU64,
    /// The last position the writer has given an event, durable or not: set before a group's
    /// batch is written, so an index entry past it is no append under way but an index pointing
    /// where nothing was ever written (equal to `durable` in a log opened by the offline tools,
    /// which write nothing).
    written: AtomicU64,
    /// Set once a write failed; every later write is refused.
    failed: Mutex<Option<String>>,
    /// Test hook: fail the next fsyncs as a broken disk would.
    fail_writes: std::sync::atomic::AtomicBool,
    /// Test hook: how many more fsyncs succeed before the next one fails (`u64::MAX`: disarmed).
    fsyncs_before_failure: AtomicU64,
    /// Group commits (one fsync each) and the events they made durable.
    syncs: AtomicU64,
    synced_events: AtomicU64,
    /// Events per group commit, for `/metrics`.
    batch_sizes: crate::metrics::Histogram,
    /// Microseconds each group commit took to write and fsync, for `/metrics`.
    sync_micros: crate::metrics::Histogram,
    /// The latest durable events, which the projector follows without reading them back.
    recent: super::recent::Recent,
    /// Bytes of appends queued for the writer and not taken yet (bounded by [`QUEUE_BYTES`]).
    queued_bytes: AtomicUsize,
}

impl Stores {
    /// Opens (or creates) the stores in `dir`, durable up to the last event they hold.
    fn open(dir: &Path) -> Result<Stores, LogError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| LogError::Storage(format!("{}: {e}", dir.display())))?;
        // Before fjall's recovery, which would cut a damaged journal short without a word.
        match journal::damage(dir) {
            Ok(None) => {}
            Ok(Some(damage)) => return Err(LogError::Storage(damage.to_string())),
            Err(e) => {
                return Err(LogError::Storage(format!(
                    "reading the journal in {}: {e}",
                    dir.display()
                )));
            }
        }
        if let Err(missing) = crate::fjall_tuning::ready_to_open(dir) {
            return Err(LogError::Storage(format!(
                "the event log in {} does not open: {missing}",
                dir.display()
            )));
        }
        let db = crate::fjall_tuning::log_database(dir)
            .open()
            .map_err(|e| match e {
                fjall::Error::Locked => LogError::InUse {
                    dir: dir.display().to_string(),
                },
                fjall::Error::JournalRecovery(why) => {
                    // fjall says neither which file nor where: read the batches again with
                    // their checksums to name the first that fails ([`journal::bad_checksum`]).
                    let which = match journal::bad_checksum(dir) {
                        Ok(Some(bad)) => format!("the log's journal {bad}"),
                        _ => format!(
                            "the log's journal in {} fails its checksum ({why:?})",
                            dir.display()
                        ),
                    };
                    LogError::Storage(format!(
                        "{which}. Bytes of a group commit changed after they were written (a \
                         failing disk, or a change made outside tongban). Nothing was opened; \
                         keep a copy of the directory as it is, and restore the log from a \
                         backup (docs/operations.md, \"Backups\")"
                    ))
                }
                e => unopenable(dir, e),
            })?;
        use crate::fjall_tuning::{BULK_MEMTABLE_BYTES, Memtables, SMALL_MEMTABLE_BYTES, Values};
        let mut memtables = Memtables::default();
        let mut open = |name, budget| {
            memtables
                .keyspace(&db, name, budget, Values::Plain)
                .map_err(|e| unopenable(dir, e))
        };
        let events = open("events", BULK_MEMTABLE_BYTES)?;
        let apps = open("apps", SMALL_MEMTABLE_BYTES)?;
        let heads = open("heads", SMALL_MEMTABLE_BYTES)?;
        let last = match events.last_key_value() {
            Some(guard) => {
                let key = guard.key().map_err(storage)?;
                be_u64(&key).ok_or_else(|| LogError::Corrupt {
                    position: 0,
                    reason: "bad position key".into(),
                })?
            }
            None => 0,
        };
        Ok(Stores {
            dir: dir.to_path_buf(),
            db,
            events,
            apps,
            heads,
            memtables,
            durable: AtomicU64::new(last),
            written: AtomicU64::new(last),
            failed: Mutex::new(None),
            fail_writes: std::sync::atomic::AtomicBool::new(false),
            fsyncs_before_failure: AtomicU64::new(u64::MAX),
            syncs: AtomicU64::new(0),
            synced_events: AtomicU64::new(0),
            batch_sizes: crate::metrics::Histogram::new(&crate::metrics::BATCH_BOUNDS),
            sync_micros: crate::metrics::Histogram::new(&crate::metrics::STORAGE_BOUNDS_US),
            recent: super::recent::Recent::default(),
            queued_bytes: AtomicUsize::new(0),
        })
    }
}

/// How well group commit is doing: events made durable per fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStats {
    pub syncs: u64,
    pub events: u64,
}

#[derive(Clone)]
pub struct EmbeddedLog {
    stores: Arc<Stores>,
    queue: mpsc::Sender<Request>,
    head: watch::Receiver<u64>,
}

/// The file, beside the log's stores, that records how its application ids derive
/// ([`crate::ids::Derivation`], judged at every start by [`crate::log::app_ids`]); fjall passes
/// over it.
pub const APP_IDS_FILE: &str = "app-ids";

fn storage(e: fjall::Error) -> LogError {
    LogError::Storage(e.to_string())
}

/// A store that does not open (a version or table file cut short or changed, a keyspace's
/// files missing), said with the directory and what to do, as a damaged journal is: fjall's own
/// words name neither.
///
/// A directory that cannot be written (a read-only file system, no permission, a full disk) is
/// said as such: the files are whole, and advice to restore them from a backup would have the
/// operator replace a good log with an older one. fjall's missing `lock` and `version` are
/// named before it opens ([`crate::fjall_tuning::missing_file`]); another file missing is said
/// as missing, not as damaged. The I/O error is given in the operating system's words, never
/// as Rust's debug text (fjall's own `Display` is its `Debug`).
fn unopenable(dir: &Path, e: fjall::Error) -> LogError {
    use crate::open_failure::{FAILED_ADVICE, OpenFailure};
    let dir_shown = dir.display();
    LogError::Storage(match OpenFailure::of(&e) {
        OpenFailure::InUse => {
            return LogError::InUse {
                dir: dir_shown.to_string(),
            };
        }
        OpenFailure::Host { why, io } => {
            return LogError::Unwritable {
                dir: dir_shown.to_string(),
                why,
                io: io.to_string(),
            };
        }
        OpenFailure::Missing { io } => format!(
            "the event log in {dir_shown} does not open: a file it needs is missing ({io}), as \
             when a copy or backup left files out. Nothing was opened; copy the directory again \
             from where it came from, or restore the log from a backup (docs/operations.md, \
             \"Backups\")"
        ),
        OpenFailure::Failed { what } => format!(
            "the event log in {dir_shown} does not open: the operating system failed it \
             ({what}). Nothing was opened; {FAILED_ADVICE}. Do not restore it from a backup \
             for this"
        ),
        OpenFailure::Damaged { what } => format!(
            "the event log in {dir_shown} does not open ({what}): one of its files is damaged, \
             cut short or was changed outside tongban. Nothing was opened; keep a copy of the \
             directory as it is, and restore the log from a backup (docs/operations.md, \
             \"Backups\")"
        ),
    })
}

fn app_key(app: &str, seq: u64) -> Vec<u8> {
    let mut k = Vec::with_capacity(app.len() + 9);
    k.extend_from_slice(app.as_bytes());
    k.push(0);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The seq of an index key of `app` (`None`: not `app`, a zero byte and eight bytes).
fn entry_seq(app: &str, key: &[u8]) -> Option<u64> {
    key.strip_prefix(app.as_bytes())?
        .strip_prefix(&[0])
        .and_then(be_u64)
}

fn be_u64(bytes: &[u8]) -> Option<u64> {
    bytes.try_into().ok().map(u64::from_be_bytes)
}

/// Where `app`'s event `seq` is in the log, as the index says (None: no entry, or not a
/// position).
fn indexed(s: &Stores, app: &str, seq: u64) -> Result<Option<u64>, LogError> {
    Ok(s.apps
        .get(app_key(app, seq))
        .map_err(storage)?
        .as_deref()
        .and_then(be_u64))
}

impl EmbeddedLog {
    /// Opens (or creates) the log in `dir`, and starts its writer.
    pub fn open(dir: &Path) -> Result<EmbeddedLog, LogError> {
        let stores = Arc::new(Stores::open(dir)?);
        let last = stores.durable.load(Ordering::Acquire);
        let (head_tx, head) = watch::channel(last);
        let (queue, rx) = mpsc::channel();
        let writer = Arc::clone(&stores);
        std::thread::Builder::new()
            .name("tongban-log-writer".into())
            .spawn(move || writer::write_loop(&writer, rx, head_tx, last))
            .map_err(|e| LogError::Storage(format!("cannot start the log writer: {e}")))?;
        Ok(EmbeddedLog {
            stores,
            queue,
            head,
        })
    }

    /// Checks that the log's last event is one this log's writer appended: the index names it
    /// at its position. The writer puts every event, its index entry and its head in one atomic
    /// batch, so a last event the index does not name was put there by something else (an event
    /// planted past the end); appending after it would number new events from a position that
    /// is not the log's, and one planted at the largest position would make the next append
    /// wrap round onto acknowledged events. A gateway refuses to start on such a log; the
    /// offline tools still open it, so that `tongban verify` can name the event.
    ///
    /// A last record whose bytes do not read as an event names no application to look up: it
    /// passes when an index entry names its position ([`EmbeddedLog::entry_naming`], a read of
    /// the whole index, only on this path). Then the writer wrote it, its bytes were damaged
    /// since (bit rot), and new events rightly follow it: like a damaged record anywhere else,
    /// it is a fact about its position, which the projections record and pass over, and only
    /// its application's history stops reading. An ERROR names the position, never the bytes.
    pub fn check_last_event(&self) -> Result<(), LogError> {
        #[derive(serde::Deserialize)]
        struct Names {
            app: String,
            seq: u64,
        }
        let s = &self.stores;
        let last = s.durable.load(Ordering::Acquire);
        if last == 0 {
            return Ok(());
        }
        let refused = |what: String| LogError::Corrupt {
            position: last,
            reason: format!(
                "the log's last event, at position {last}, {what}: it was not appended by \
                 tongban (an event added outside it). Nothing was started; keep a copy of the \
                 directory as it is, run `tongban verify` on it, and restore the log from a \
                 backup (docs/operations.md, \"Backups\")"
            ),
        };
        let bytes = s
            .events
            .get(last.to_be_bytes())
            .map_err(storage)?
            .ok_or_else(|| refused("cannot be read".into()))?;
        let refusal = match serde_json::from_slice::<Names>(&bytes) {
            Err(_) => refused("does not read as an event".into()),
            Ok(names) => match indexed(s, &names.app, names.seq)? {
                Some(position) if position == last => return Ok(()),
                Some(position) => refused(format!(
                    "is not where the index puts its application's seq {} (position {position})",
                    names.seq
                )),
                None => refused(format!(
                    "is not in the index (its application's seq {})",
                    names.seq
                )),
            },
        };
        // Bytes the index does not place there, at a position the index names: the writer wrote
        // it, and its bytes were changed since (damaged on the disk, or rewritten in place,
        // which the projections' seal check holds as anywhere else in the log).
        let Some((app, seq)) = self.entry_naming(last)? else {
            return Err(refusal);
        };
        tracing::error!(
            position = last,
            app = %app,
            seq,
            "the log's last record, at this position, is not the event the log's writer wrote \
             there (the index names it as this application's event at this seq): its bytes \
             were changed on the disk. The gateway starts: new events follow it, the \
             projections pass over it (GET /v1/projections/held lists it under `unreadable` \
             when they had not folded it yet), and this application's history no longer reads \
             (its reads and actions answer log-corrupt). Keep a copy of the log directory and \
             run `tongban verify` on it; the event's bytes can only come back from a backup \
             (docs/operations.md, \"Backups\")"
        );
        Ok(())
    }

    /// The log's first and last events that read as events (one when they are the same), with
    /// their positions: what a gateway's key is checked against before it signs more. A record
    /// that does not read proves nothing either way (`verify` reports it), so each end is the
    /// nearest record inward that reads: a damaged last record leaves the event before it to
    /// check. Reading inward stops at the first that reads, so only damage costs more reads.
    pub fn ends(&self) -> Result<Vec<(u64, Envelope)>, LogError> {
        let events = &self.stores.events;
        let readable = |guard: fjall::Guard| -> Result<Option<(u64, Envelope)>, LogError> {
            let (key, bytes) = guard.into_inner().map_err(storage)?;
            Ok(be_u64(&key).zip(Envelope::from_json(&bytes).ok()))
        };
        let mut out: Vec<(u64, Envelope)> = Vec::new();
        for guard in events.iter() {
            if let Some(first) = readable(guard)? {
                out.push(first);
                break;
            }
        }
        // None reads from the front: none reads from the back either.
        let Some(after) = out.first().and_then(|(first, _)| first.checked_add(1)) else {
            return Ok(out);
        };
        for guard in events.range(after.to_be_bytes()..).rev() {
            if let Some(last) = readable(guard)? {
                out.push(last);
                break;
            }
        }
        Ok(out)
    }

    /// Takes `app`'s last index entry and moves its head back one seq, keeping the event: an
    /// index rolled back outside tongban. For tests of what the gateway does with it.
    #[cfg(test)]
    pub(crate) fn roll_back_index(&self, app: &str) {
        let s = &self.stores;
        let seq = last_seq(s, app).expect("head");
        s.apps.remove(app_key(app, seq)).expect("remove entry");
        s.heads
            .insert(app.as_bytes(), (seq - 1).to_be_bytes())
            .expect("head");
    }

    /// Swaps the events at positions `a` and `b`, their index untouched: a log whose bytes were
    /// moved outside tongban. For tests of what a read makes of it.
    #[cfg(test)]
    pub(crate) fn swap_events(&self, a: u64, b: u64) {
        let s = &self.stores;
        let at = |p: u64| {
            s.events
                .get(p.to_be_bytes())
                .expect("get")
                .expect("an event")
        };
        let (first, second) = (at(a), at(b));
        s.events.insert(a.to_be_bytes(), second).expect("insert");
        s.events.insert(b.to_be_bytes(), first).expect("insert");
    }

    /// Replaces the bytes stored at `position` with `bytes`, its index untouched, durably:
    /// damage on the disk (bit rot). For tests of what a read, or a later open, makes of it.
    #[cfg(test)]
    pub(crate) fn overwrite(&self, position: u64, bytes: &[u8]) {
        self.stores
            .events
            .insert(position.to_be_bytes(), bytes)
            .expect("insert");
        self.stores
            .db
            .persist(fjall::PersistMode::SyncAll)
            .expect("persist");
    }

    /// Makes every following fsync fail, as a full or broken disk would. For fault tests.
    pub fn inject_write_failure(&self) {
        self.stores.fail_writes.store(true, Ordering::SeqCst);
    }

    /// Lets the next `n` fsyncs (group commits) succeed and fails the one after, as a disk that
    /// breaks mid-run would. For fault tests of the running binary: `tongban serve` arms it from
    /// the `TONGBAN_TEST_FAIL_FSYNC_AFTER` environment variable.
    pub fn fail_fsync_after(&self, n: u64) {
        self.stores
            .fsyncs_before_failure
            .store(n.min(u64::MAX - 1), Ordering::SeqCst);
    }

    pub fn sync_stats(&self) -> SyncStats {
        SyncStats {
            syncs: self.stores.syncs.load(Ordering::Relaxed),
            events: self.stores.synced_events.load(Ordering::Relaxed),
        }
    }

    /// Number of events durably stored.
    pub fn durable_position(&self) -> u64 {
        self.stores.durable.load(Ordering::Acquire)
    }

    fn read_sync(&self, app: &str) -> Result<Vec<Envelope>, LogError> {
        self.read_after_sync(app, 0, usize::MAX)
    }

    /// [`EmbeddedLog::read_after_sync`]'s events, each without its position.
    fn read_after_sync(
        &self,
        app: &str,
        after: u64,
        max: usize,
    ) -> Result<Vec<Envelope>, LogError> {
        let read = self.read_positioned_sync(app, after, max)?;
        Ok(read.into_iter().map(|p| p.event).collect())
    }

    /// Up to `max` of the application's durable events after its seq `after`, in order, each
    /// at the position its index entry gives: a range of its index from `after + 1` (0: the
    /// whole application), checked against the index's head as it goes ([`agrees`]): an index
    /// that contradicts itself is refused, never answered as a shorter or another history. A
    /// read that stops at `max` follows no entry past it, so a page costs its own events' reads;
    /// the entries past it are the next page's to check.
    fn read_positioned_sync(
        &self,
        app: &str,
        after: u64,
        max: usize,
    ) -> Result<Vec<Positioned>, LogError> {
        let s = &self.stores;
        // The log's end before the head: an entry within that end was written, with its head,
        // before the head is read, so only an append that is not durable yet can show entries
        // past the head.
        let durable = s.durable.load(Ordering::Acquire);
        // Most reads of an application with no events are the idempotency check of a new
        // submission: point lookups in `heads` and of the entry the read would start at
        // (bloom-filtered, written in the same batch as the index) answer it, where a prefix scan
        // visits every table of the index and grows slower as the log grows.
        let head = last_seq(s, app)?;
        if head == 0 {
            let first = after.saturating_add(1);
            if let Some(position) = indexed(s, app, first)? {
                s.written_up_to(app, first, position, durable)?;
                if position <= durable {
                    agrees(app, 0, first, first)?;
                }
            }
            return Ok(Vec::new());
        }
        if max == 0 {
            return Ok(Vec::new());
        }
        let mut out: Vec<Positioned> = Vec::new();
        // Whether the read stopped at `max` with entries perhaps left after it.
        let mut stopped = false;
        // The first entry past the durable end of the log, if any: an append whose group commit
        // is under way, so it and every later seq are not answered yet. Only such a run ends the
        // index; an entry within the log after one is an edited index, which would otherwise
        // cut the history short at the entry it moved.
        let mut pending: Option<(u64, u64)> = None;
        // The last seq the index has an entry for, as far as the range has gone.
        let mut entries = after;
        // Where the seq before was placed: positions rise with seq, as the writer appends.
        let mut previous: Option<u64> = None;
        let disagrees = |what| Disagreement {
            app: app.to_string(),
            what,
        };
        let index = s
            .apps
            .range(app_key(app, after.saturating_add(1))..=app_key(app, u64::MAX));
        for guard in index {
            let (key, value) = guard.into_inner().map_err(storage)?;
            let seq = entries + 1;
            let position = match (entry_seq(app, &key), be_u64(&value)) {
                (Some(found), Some(position)) if found == seq => position,
                (Some(found), Some(_)) if found > seq => {
                    return Err(disagrees(Disagrees::Missing {
                        seq,
                        next: Some(found),
                    })
                    .into());
                }
                _ => {
                    return Err(disagrees(Disagrees::Malformed {
                        after: entries,
                        bytes: value.len(),
                    })
                    .into());
                }
            };
            entries = seq;
            if position > durable {
                s.written_up_to(app, seq, position, durable)?;
                pending.get_or_insert((seq, position));
                continue;
            }
            if let Some((seq, beyond)) = pending {
                return Err(disagrees(Disagrees::PastEnd {
                    seq,
                    position: beyond,
                    end: durable,
                })
                .into());
            }
            if let Some(before) = previous.filter(|&before| position <= before) {
                return Err(disagrees(Disagrees::Order {
                    seq,
                    position,
                    previous: before,
                })
                .into());
            }
            previous = Some(position);
            out.push(Positioned::read(
                position,
                self.indexed_event(app, seq, position)?,
            ));
            if out.len() >= max {
                stopped = true;
                break;
            }
        }
        // Nothing read: nothing to hold against the head but the entries (a caller's `after`
        // past the head is its own).
        let read = out.last().map_or(after.min(head), |p| p.event.seq);
        // Stopped at `max`: the entries after it were not followed, so only the events read are
        // held against the head (none past it); a head past the entries is the next page's
        // refusal.
        let entries = if stopped { entries.max(head) } else { entries };
        agrees(app, head, read, entries)?;
        Ok(out)
    }

    /// The application's last durable event: its head, the index entry at that seq, the event
    /// there, and that the index has no entry after it within the log (one more point lookup,
    /// bloom-filtered: a head moved back would otherwise have an action decide on an earlier
    /// event as the last, and its append overwrite the next seq's entry). A head whose event is
    /// not durable yet (written in a group whose fsync is under way) is not an answer: then the
    /// events are read as [`EmbeddedLog::read_sync`] reads them, up to the durable head.
    fn last_sync(&self, app: &str) -> Result<Option<Envelope>, LogError> {
        let s = &self.stores;
        // The log's end before the head, as for a read ([`EmbeddedLog::read_after_sync`]).
        let durable = s.durable.load(Ordering::Acquire);
        let seq = last_seq(s, app)?;
        let next = indexed(s, app, seq.saturating_add(1))?;
        if let Some(position) = next {
            s.written_up_to(app, seq + 1, position, durable)?;
        }
        // An entry after the head within the log: the head is behind the index.
        let within = next.is_some_and(|p| p <= durable);
        let read = if within { seq + 1 } else { seq };
        agrees(app, seq, read, seq + u64::from(next.is_some()))?;
        if seq == 0 {
            return Ok(None);
        }
        let position = indexed(s, app, seq)?.ok_or_else(|| Disagreement {
            app: app.to_string(),
            what: Disagrees::Missing { seq, next: None },
        })?;
        if position > durable {
            s.written_up_to(app, seq, position, durable)?;
            return Ok(self.read_sync(app)?.pop());
        }
        Ok(Some(self.indexed_event(app, seq, position)?))
    }

    /// The event at `position`, where the index places seq `seq` of `app`: refused as the
    /// index's disagreement when it is another event. The index is not what is signed: an edited
    /// index must not pass another application's event, or a chain with a hole, off as this one.
    fn indexed_event(&self, app: &str, seq: u64, position: u64) -> Result<Envelope, LogError> {
        let event = self.get(position)?;
        if event.app != app || event.seq != seq {
            return Err(Disagreement {
                app: app.to_string(),
                what: Disagrees::Points {
                    seq,
                    position,
                    holds: Holds::Event {
                        app: event.app,
                        seq: event.seq,
                    },
                },
            }
            .into());
        }
        Ok(event)
    }

    /// Runs a read of fjall on tokio's blocking pool: a read may wait on the disk, which must not
    /// hold up the runtime's workers.
    async fn blocking<T: Send + 'static>(
        &self,
        read: impl FnOnce(&EmbeddedLog) -> Result<T, LogError> + Send + 'static,
    ) -> Result<T, LogError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || read(&this))
            .await
            .map_err(|e| LogError::Unavailable(e.to_string()))?
    }

    fn get(&self, position: u64) -> Result<Envelope, LogError> {
        // The writer numbers events from 1: an index entry naming 0 points where nothing of the
        // log's is, whatever is stored there.
        if position == 0 {
            return Err(LogError::Corrupt {
                position,
                reason: "the index names log position 0, where the log holds no event (its \
                         positions start at 1)"
                    .into(),
            });
        }
        self.stored(position)?.ok_or_else(|| LogError::Corrupt {
            position,
            reason: "indexed event is missing".into(),
        })
    }

    /// The event stored at `position` (`None`: no bytes there), read as it is stored.
    fn stored(&self, position: u64) -> Result<Option<Envelope>, LogError> {
        match self.stored_entry(position)? {
            None => Ok(None),
            Some(At::Unreadable(u)) => Err(LogError::Corrupt {
                position,
                reason: u.reason,
            }),
            Some(entry) => Ok(entry.into_event().map(|p| p.event)),
        }
    }

    /// What is stored at `position` (`None`: no bytes there): its event, or a record that is
    /// not one.
    fn stored_entry(&self, position: u64) -> Result<Option<At>, LogError> {
        let bytes = self
            .stores
            .events
            .get(position.to_be_bytes())
            .map_err(storage)?;
        Ok(bytes.map(|bytes| entry(position, &bytes)))
    }

    /// What the log holds at `positions`, read on the calling thread ([`EventLog::read_at`] runs
    /// it on a blocking thread; the start's checks, outside a runtime, call it directly).
    /// Position 0, one past the durable end, and one whose bytes were removed hold nothing.
    pub fn read_at_sync(&self, positions: &[u64]) -> Result<Vec<At>, LogError> {
        let durable = self.stores.durable.load(Ordering::Acquire);
        positions
            .iter()
            .map(|&position| {
                if position == 0 || position > durable {
                    return Ok(At::Nothing(position));
                }
                Ok(self
                    .stored_entry(position)?
                    .unwrap_or(At::Nothing(position)))
            })
            .collect()
    }

    pub(crate) fn entries_sync(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        let durable = self.stores.durable.load(Ordering::Acquire);
        if from > durable || max == 0 {
            return Ok(Vec::new());
        }
        let mut out = Vec::with_capacity(max.min(1024));
        for guard in self
            .stores
            .events
            .range(from.to_be_bytes()..=durable.to_be_bytes())
        {
            let (key, value) = guard.into_inner().map_err(storage)?;
            let position = be_u64(&key).ok_or_else(|| LogError::Corrupt {
                position: 0,
                reason: "bad key".into(),
            })?;
            out.push(entry(position, &value));
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }
}

/// The entry `bytes` stored at `position` make: their event, or a record that is not one.
fn entry(position: u64, bytes: &[u8]) -> At {
    match Envelope::from_stored(bytes) {
        Ok(event) => At::Event(Positioned::read(position, event)),
        Err(reason) => At::Unreadable(super::Unreadable::of(position, bytes, reason)),
    }
}

impl EventLog for EmbeddedLog {
    async fn append(&self, event: Envelope, expected_seq: u64) -> Result<u64, LogError> {
        let bytes = super::stored_form(&event, expected_seq)?;
        let size = bytes.len();
        writer::reserve(&self.stores, size)?;
        let (reply, rx) = oneshot::channel();
        let request = Request {
            event,
            bytes,
            expected_seq,
            reply,
        };
        if self.queue.send(request).is_err() {
            self.stores.queued_bytes.fetch_sub(size, Ordering::AcqRel);
            return Err(LogError::Unavailable("the log writer has stopped".into()));
        }
        match tokio::time::timeout(WRITER_PATIENCE, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(LogError::Unavailable("the log writer has stopped".into())),
            Err(_) => Err(LogError::Storage(format!(
                "the log writer did not answer within {} s; the append was not acknowledged \
                 and may still land",
                WRITER_PATIENCE.as_secs()
            ))),
        }
    }

    async fn read(&self, app: &str) -> Result<Vec<Envelope>, LogError> {
        let app = app.to_string();
        self.blocking(move |log| log.read_sync(&app)).await
    }

    /// The index's read, each event at the position its entry gives; nothing else is stored
    /// among an application's events here, so nothing is passed over.
    async fn read_with_passed(
        &self,
        app: &str,
    ) -> Result<(Vec<Positioned>, super::foreign::Passed), LogError> {
        let app = app.to_string();
        let read = self
            .blocking(move |log| log.read_positioned_sync(&app, 0, usize::MAX))
            .await?;
        Ok((read, super::foreign::Passed::default()))
    }

    async fn last(&self, app: &str) -> Result<Option<Envelope>, LogError> {
        let app = app.to_string();
        self.blocking(move |log| log.last_sync(&app)).await
    }

    /// A range of the index from `seq + 1`: no position needed.
    async fn read_after(
        &self,
        app: &str,
        seq: u64,
        _position: u64,
    ) -> Result<Vec<Envelope>, LogError> {
        let app = app.to_string();
        self.blocking(move |log| log.read_after_sync(&app, seq, usize::MAX))
            .await
    }

    /// A range of the index from `first`, as long as the page: no position needed.
    async fn read_page(
        &self,
        app: &str,
        first: u64,
        max: usize,
        _position: u64,
    ) -> Result<Vec<Envelope>, LogError> {
        let app = app.to_string();
        let after = first.saturating_sub(1);
        self.blocking(move |log| log.read_after_sync(&app, after, max))
            .await
    }

    async fn entries(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        self.blocking(move |log| log.entries_sync(from, max)).await
    }

    /// From the writer's latest durable events, as far as they run from `from`; from fjall when
    /// `from` is older than those (a projector catching up after a restart or a long stall).
    async fn follow_entries(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        let durable = self.stores.durable.load(Ordering::Acquire);
        if let Some(run) = self.stores.recent.take(from.max(1), durable, max) {
            return Ok(run.into_iter().map(At::Event).collect());
        }
        self.entries(from, max).await
    }

    async fn read_at(&self, positions: &[u64]) -> Result<Vec<At>, LogError> {
        let positions = positions.to_vec();
        self.blocking(move |log| log.read_at_sync(&positions)).await
    }

    /// Every event of this log went through this process's writer, which moves the head
    /// before it answers the append: the head is where the log ends.
    async fn refresh_head(&self) -> Result<u64, LogError> {
        Ok(*self.head().borrow())
    }

    async fn last_position(&self, app: &str) -> Result<Option<u64>, LogError> {
        Ok(self.last(app).await?.map(|_| *self.head().borrow()))
    }

    fn head(&self) -> watch::Receiver<u64> {
        self.head.clone()
    }

    fn backend(&self) -> &'static str {
        "embedded"
    }

    /// Unavailable once a write has failed: the log stops taking writes for good (fail-stop),
    /// until the gateway is restarted on a healthy disk.
    fn available(&self) -> bool {
        writer::failure(&self.stores).is_none()
    }

    fn refusal(&self) -> Option<crate::log::Refusal> {
        writer::failure(&self.stores).map(|why| crate::log::Refusal {
            why: format!("writes stopped after a storage failure: {why}"),
            restart_required: true,
        })
    }

    fn index(&self) -> Option<&dyn crate::log::index::AppIndex> {
        Some(self)
    }

    fn is_local(&self) -> bool {
        true
    }

    fn stats(&self) -> super::LogStats {
        super::LogStats {
            appends: self.stores.synced_events.load(Ordering::Relaxed),
            batch_sizes: Some(self.stores.batch_sizes.snapshot()),
            sync_micros: Some(self.stores.sync_micros.snapshot()),
            ack_micros: None,
            in_flight: None,
            pushed: None,
            end_asked: None,
            pushed_kept: None,
            followed_from_stream: None,
            consumers_remade: None,
            memory: Some(crate::fjall_tuning::StoreMemory::of(
                &self.stores.db,
                &self.stores.memtables,
            )),
        }
    }
}

impl Stores {
    /// Refuses an index entry (seq `seq` of `app` at `position`) past every position the writer
    /// has given: not an append under way, whose entries lie between the durable end (`durable`)
    /// and that mark, but an index pointing where nothing was written. Read after the entry, so
    /// an entry of a group being written is never taken for one.
    fn written_up_to(
        &self,
        app: &str,
        seq: u64,
        position: u64,
        durable: u64,
    ) -> Result<(), Disagreement> {
        if position <= self.written.load(Ordering::Acquire) {
            return Ok(());
        }
        Err(Disagreement {
            app: app.to_string(),
            what: Disagrees::Unwritten {
                seq,
                position,
                end: durable,
            },
        })
    }
}

/// The last seq of `app` in the store (0: none). A head that is not eight bytes is corruption,
/// not "no events": read as 0 it would let a second seq 1 overwrite the first.
fn last_seq(s: &Stores, app: &str) -> Result<u64, LogError> {
    match s.heads.get(app.as_bytes()).map_err(storage)? {
        None => Ok(0),
        Some(v) => be_u64(&v).ok_or_else(|| {
            Disagreement {
                app: app.to_string(),
                what: Disagrees::MalformedHead(v.len()),
            }
            .into()
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::conformance;
    use crate::testutil::TempDir;

    /// Given a log directory that cannot be written (read-only, no permission, full), when it
    /// does not open, then the refusal says so and that nothing is damaged, not that its files
    /// are and should be restored from a backup (which would replace a good log with an older
    /// one); another I/O error still says how to proceed with a damaged log. (Found by an
    /// operator's walkthrough, on a file system remounted read-only.)
    #[test]
    fn a_directory_that_cannot_be_written_is_not_called_damaged() {
        use std::io::{Error, ErrorKind};
        let dir = Path::new("/srv/tongban/log");
        for (kind, said) in [
            (ErrorKind::ReadOnlyFilesystem, "read-only file system"),
            (ErrorKind::PermissionDenied, "not writable"),
            (ErrorKind::StorageFull, "full disk"),
        ] {
            let refused = unopenable(dir, fjall::Error::Io(Error::from(kind)));
            assert!(
                matches!(refused, LogError::Unwritable { .. }),
                "{kind:?}: {refused}"
            );
            let message = refused.to_string();
            assert!(message.contains(said), "{message}");
            assert!(message.contains("nothing is damaged"), "{message}");
            assert!(
                !message.contains("restore the log from a backup"),
                "{message}"
            );
        }
        // Too many open files, or an I/O error of the disk: not the files' fault as far as
        // anyone knows, so no restore is advised (it was, as damage).
        for errno in [24, 5] {
            let LogError::Storage(message) =
                unopenable(dir, fjall::Error::Io(Error::from_raw_os_error(errno)))
            else {
                panic!("a storage error");
            };
            assert!(message.contains("open-file limit"), "{message}");
            assert!(message.contains("Do not restore it"), "{message}");
            assert!(!message.contains("is damaged"), "{message}");
        }
        let LogError::Storage(damaged) =
            unopenable(dir, fjall::Error::Io(Error::from(ErrorKind::UnexpectedEof)))
        else {
            panic!("a storage error");
        };
        assert!(
            damaged.contains("restore the log from a backup"),
            "{damaged}"
        );
        // The operating system's words, never Rust's debug text.
        assert!(
            !damaged.contains("Io(") && !damaged.contains("Kind("),
            "{damaged}"
        );
    }

    /// The conformance suite's page read, with the sixth event's bytes damaged in place (its
    /// index entry and head as the append left them).
    #[tokio::test]
    async fn a_page_reads_no_further_than_it_goes() {
        let dir = TempDir::new("embedded-page-stops");
        let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
        conformance::a_page_reads_no_further_than_it_goes(&log, |app, written| {
            let log = &log;
            async move {
                let prev = written.last().map(|e| e.hash.clone()).unwrap_or_default();
                let sixth = conformance::event(&app, 6, &prev);
                let position = log.append(sixth, 5).await.expect("append");
                log.overwrite(position, format!("{{\"app\": \"{app}\"").as_bytes());
            }
        })
        .await;
    }

    /// Given a log made by the embedded log and then copied without its `lock` (or its
    /// `version`), as backup tools leave them out, when it is opened, then the refusal names
    /// the missing file and how to recreate it, without Rust's debug text and without the advice
    /// to restore the log from a backup; with the file put back, it opens with its events.
    #[tokio::test]
    async fn a_missing_lock_or_version_file_is_named_not_called_damage() {
        let dir = TempDir::new("embedded-missing-marker");
        let log_dir = dir.path().join("log");
        let app = "0190f0c4-0000-7000-8000-00000000000b";
        let written = {
            let log = EmbeddedLog::open(&log_dir).expect("a new log");
            conformance::append_chain(&log, app, 2).await
        };
        for (file, said) in [
            ("lock", "it is fjall's lock file"),
            ("version", "it is fjall's format marker"),
        ] {
            let path = log_dir.join(file);
            let kept = std::fs::read(&path).expect("the file");
            std::fs::remove_file(&path).expect("removed");
            let Err(LogError::Storage(why)) = EmbeddedLog::open(&log_dir) else {
                panic!("{file}: the log opened without it");
            };
            assert!(
                why.contains(&format!("{} is missing", path.display())) && why.contains(said),
                "{file}: {why}"
            );
            assert!(
                !why.contains("Io(") && !why.contains("restore the log from a backup"),
                "{file}: {why}"
            );
            std::fs::write(&path, kept).expect("put back");
            let log = EmbeddedLog::open(&log_dir).expect("opens again");
            assert_eq!(log.read(app).await.expect("read"), written, "{file}");
        }
    }

    #[tokio::test]
    async fn passes_the_conformance_suite() {
        let dir = TempDir::new("embedded-conformance");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        conformance::run_all(&log).await;
    }

    #[tokio::test]
    async fn events_survive_reopening() {
        let dir = TempDir::new("embedded-reopen");
        let written = {
            let log = EmbeddedLog::open(dir.path()).expect("open");
            conformance::append_chain(&log, "0190f0c4-0000-7000-8000-00000000000a", 3).await
        };
        let log = EmbeddedLog::open(dir.path()).expect("reopen");
        assert_eq!(
            log.read("0190f0c4-0000-7000-8000-00000000000a")
                .await
                .expect("read"),
            written
        );
        assert_eq!(*log.head().borrow(), 3);
    }

    /// Given a log with an event planted at the largest position (by something else than its
    /// writer: no index entry), then a gateway's start check refuses the log, naming the
    /// position, and an append (by a tool that opens it anyway) is refused instead of wrapping
    /// round onto position 0 and the acknowledged events after it.
    #[tokio::test]
    async fn an_event_planted_at_the_last_position_is_refused_and_never_wraps_round() {
        let dir = TempDir::new("embedded-planted");
        let app = "0190f0c4-0000-7000-8000-00000000000b";
        let written = {
            let log = EmbeddedLog::open(dir.path()).expect("open");
            log.check_last_event().expect("a log its writer wrote");
            let written = conformance::append_chain(&log, app, 2).await;
            log.check_last_event().expect("still its writer's");
            let planted = conformance::event(&crate::ids::new_v7(), 1, "");
            log.stores
                .events
                .insert(u64::MAX.to_be_bytes(), planted.to_json().expect("json"))
                .expect("plant");
            log.stores
                .db
                .persist(fjall::PersistMode::SyncAll)
                .expect("persist");
            written
        };
        let log = EmbeddedLog::open(dir.path()).expect("the offline tools still open it");
        assert_eq!(*log.head().borrow(), u64::MAX);
        match log.check_last_event() {
            Err(LogError::Corrupt { position, reason }) => {
                assert_eq!(position, u64::MAX);
                assert!(reason.contains("not in the index"), "{reason}");
            }
            other => panic!("expected the planted event refused, got {other:?}"),
        }
        let refused = log
            .append(conformance::event(&crate::ids::new_v7(), 1, ""), 0)
            .await;
        assert!(
            matches!(refused, Err(LogError::Corrupt { .. })),
            "{refused:?}"
        );
        assert_eq!(log.read(app).await.expect("read"), written);
        assert_eq!(*log.head().borrow(), u64::MAX);
    }

    /// Given a log whose last record, appended by its writer (its index entry and head written
    /// with it), then had its bytes overwritten by bytes that are not an event (bit rot, holding
    /// what looks like an ID number), when the log is opened again and a gateway's start checks
    /// it, then the check passes; an event of another application is appended at the next
    /// position and read back, the earlier application reads whole, and the damaged
    /// application's reads and its next append answer corrupt at that position, never echoing
    /// the bytes. Given the same bytes then planted one past the end (no index entry, or one
    /// whose application's head never reached it), then the check refuses, naming the position.
    #[tokio::test]
    async fn a_damaged_last_record_its_writer_wrote_passes_the_check_and_one_planted_does_not() {
        let dir = TempDir::new("embedded-damaged-last");
        let (a, b, c) = (
            "0190f0c4-0000-7000-8000-000000000011",
            "0190f0c4-0000-7000-8000-000000000012",
            "0190f0c4-0000-7000-8000-000000000013",
        );
        let secret = "110101199003077777";
        let garbage = format!("{{\"name\": \"{secret}\", \"torn\": ");
        let reopened = |log: EmbeddedLog| {
            log.stores
                .db
                .persist(fjall::PersistMode::SyncAll)
                .expect("persist");
            drop(log);
            EmbeddedLog::open(dir.path()).expect("reopen")
        };
        let log = EmbeddedLog::open(dir.path()).expect("open");
        let earlier = conformance::append_chain(&log, a, 2).await;
        let damaged = conformance::append_chain(&log, b, 1).await;
        log.overwrite(3, garbage.as_bytes());
        let log = reopened(log);

        log.check_last_event()
            .expect("a damaged record its writer wrote");
        let next = conformance::event(c, 1, "");
        assert_eq!(log.append(next.clone(), 0).await, Ok(4));
        assert_eq!(log.read(c).await.expect("read"), vec![next]);
        assert_eq!(log.read(a).await.expect("read"), earlier);
        let corrupt_at_3 = |answer: Result<_, LogError>, what: &str| match answer {
            Err(LogError::Corrupt { position, reason }) => {
                assert_eq!(position, 3, "{what}: {reason}");
                assert!(!reason.contains(secret), "{what}: {reason}");
            }
            Err(e) => panic!("{what}: expected corrupt, got {e}"),
            Ok(_) => panic!("{what}: answered from a damaged history"),
        };
        corrupt_at_3(log.read(b).await.map(|_| ()), "read");
        corrupt_at_3(log.last(b).await.map(|_| ()), "last");
        let after = conformance::event(b, 2, &damaged[0].hash);
        corrupt_at_3(log.append(after, 1).await.map(|_| ()), "append");
        assert_eq!(*log.head().borrow(), 4, "nothing appended to it");

        log.overwrite(5, garbage.as_bytes());
        let log = reopened(log);
        let refused = |log: &EmbeddedLog| match log.check_last_event() {
            Err(LogError::Corrupt { position, reason }) => {
                assert_eq!(position, 5, "{reason}");
                assert!(
                    reason.contains("does not read as an event")
                        && reason.contains("not appended by tongban"),
                    "{reason}"
                );
                assert!(!reason.contains(secret), "{reason}");
            }
            other => panic!("expected the planted record refused, got {other:?}"),
        };
        refused(&log);
        // An entry naming it whose application's head never reached it was no batch of the
        // writer's either.
        log.stores
            .apps
            .insert(app_key(c, 2), 5u64.to_be_bytes())
            .expect("entry");
        refused(&log);
    }

    /// Given a log whose last record, its writer's, had bytes changed that still read as an
    /// event but of another application (a bit flipped in its application id), when a gateway's
    /// start checks it, then the check passes, as for bytes that no longer read at all: the
    /// index names the position. The same bytes one past the end are refused.
    #[tokio::test]
    async fn a_last_record_whose_application_changed_passes_when_its_writer_wrote_it() {
        let dir = TempDir::new("embedded-changed-last");
        let (a, b) = (
            "0190f0c4-0000-7000-8000-000000000021",
            "0190f0c4-0000-7000-8000-000000000022",
        );
        let log = EmbeddedLog::open(dir.path()).expect("open");
        conformance::append_chain(&log, a, 2).await;
        let mut flipped = conformance::event(b, 1, "");
        flipped.app = "0190f0c4-0000-7000-8000-000000000023".into();
        log.overwrite(2, &flipped.to_json().expect("json"));
        log.check_last_event().expect("its writer's position");
        log.overwrite(3, &flipped.to_json().expect("json"));
        drop(log);
        let log = EmbeddedLog::open(dir.path()).expect("reopen");
        assert!(matches!(
            log.check_last_event(),
            Err(LogError::Corrupt { position: 3, .. })
        ));
    }

    /// Given an application's last event moved to position 0 and its index entry pointing there
    /// (an edit outside tongban: the writer numbers from 1), when it is read, then the read is
    /// refused, and the index check names the entry (the scan of the log never reads position 0).
    #[tokio::test]
    async fn an_index_entry_naming_position_0_is_refused_and_named() {
        let dir = TempDir::new("embedded-position-0");
        let app = "0190f0c4-0000-7000-8000-00000000000d";
        let log = EmbeddedLog::open(dir.path()).expect("open");
        conformance::append_chain(&log, app, 2).await;
        let s = &log.stores;
        let moved = s
            .events
            .get(2u64.to_be_bytes())
            .expect("get")
            .expect("event 2");
        s.events.insert(0u64.to_be_bytes(), moved).expect("insert");
        s.events.remove(2u64.to_be_bytes()).expect("remove");
        s.apps
            .insert(app_key(app, 2), 0u64.to_be_bytes())
            .expect("repoint");
        let refused = log.read(app).await;
        assert!(refused.is_err(), "{refused:?}");
        let strays = crate::log::index::AppIndex::strays(&log, Some(app)).expect("strays");
        assert!(
            strays.iter().any(|st| st.position == 0 && st.seq == 2),
            "{strays:?}"
        );
    }

    /// Given a log whose version file was cut short, when it is opened, then it is refused
    /// naming the directory and what to do, not with fjall's words alone: the file is told as
    /// empty, to be copied back (every store of this build has the same one), not the log
    /// restored from a backup.
    #[tokio::test]
    async fn a_damaged_store_file_is_named_with_its_directory_and_the_way_out() {
        let dir = TempDir::new("embedded-damaged-version");
        {
            let log = EmbeddedLog::open(dir.path()).expect("open");
            conformance::append_chain(&log, "0190f0c4-0000-7000-8000-00000000000c", 1).await;
        }
        let version = dir.path().join("version");
        assert!(version.exists(), "fjall's version file");
        std::fs::write(&version, b"").expect("cut the version file");
        let refused = EmbeddedLog::open(dir.path()).err().expect("refused");
        let said = refused.to_string();
        assert!(said.contains("does not open"), "{said}");
        assert!(said.contains(&dir.path().display().to_string()), "{said}");
        assert!(
            said.contains("version is empty") && said.contains("Copy the file back"),
            "{said}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_appends_share_fsyncs() {
        let dir = TempDir::new("embedded-group");
        let log = std::sync::Arc::new(EmbeddedLog::open(dir.path()).expect("open"));
        let tasks: Vec<_> = (0..400)
            .map(|_| {
                let log = std::sync::Arc::clone(&log);
                tokio::spawn(async move {
                    let app = crate::ids::new_v7();
                    log.append(conformance::event(&app, 1, ""), 0).await
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.expect("task").is_ok());
        }
        let stats = log.sync_stats();
        assert_eq!(stats.events, 400);
        // Every append was acknowledged after an fsync, but they shared them.
        assert!(stats.syncs < 400, "no group commit: {stats:?}");
        assert_eq!(log.read_all(1, 1000).await.expect("read").len(), 400);
    }

    /// The projector follows the latest appends from the writer's memory, and anything older
    /// (more than the memory holds, or written before a restart) from fjall: either way the same
    /// events as a read of the store.
    #[tokio::test]
    async fn follow_answers_recent_events_from_memory_and_older_ones_from_the_store() {
        let dir = TempDir::new("embedded-follow");
        let n = super::super::recent::CAPACITY as u64 + 100;
        {
            let log = EmbeddedLog::open(dir.path()).expect("open");
            for _ in 0..n {
                let app = crate::ids::new_v7();
                log.append(conformance::event(&app, 1, ""), 0)
                    .await
                    .expect("append");
            }
            let recent = &log.stores.recent;
            assert!(recent.holds(n), "the latest is in memory");
            assert!(!recent.holds(1), "the oldest is forgotten");
            let all = log.read_all(1, 2 * n as usize).await.expect("read all");
            assert_eq!(all.len() as u64, n);
            assert_eq!(log.follow(1, 2 * n as usize).await.expect("follow"), all);
            let tail = log.follow(n - 9, 100).await.expect("follow the tail");
            assert_eq!(tail, all[(n - 10) as usize..].to_vec());
            assert!(!recent.holds(n), "handed over once");
            let again = log.follow(n - 9, 100).await.expect("follow again");
            assert_eq!(again, tail, "the store answers a second ask alike");
        }
        let log = EmbeddedLog::open(dir.path()).expect("reopen");
        assert!(!log.stores.recent.holds(n), "memory starts empty");
        let all = log.read_all(1, 2 * n as usize).await.expect("read all");
        assert_eq!(
            log.follow(n - 9, 100).await.expect("follow"),
            all[(n - 10) as usize..].to_vec()
        );
    }

    /// What a read of `app`'s history and of its last event each answer, as the disagreement
    /// each refuses them with (`None`: it answered).
    async fn refusals(log: &EmbeddedLog, app: &str) -> (Option<Disagrees>, Option<Disagrees>) {
        let disagreement = |e: LogError| match e {
            LogError::Index(d) => {
                assert_eq!(d.app, app, "{d}");
                d.what
            }
            other => panic!("expected a disagreement of the index, got {other:?}"),
        };
        (
            log.read(app).await.err().map(disagreement),
            log.last(app).await.err().map(disagreement),
        )
    }

    /// The index maps (application, seq) to positions and is not signed: an entry pointing at
    /// another application's event is a disagreement, not that event passed off as this one's.
    #[tokio::test]
    async fn an_index_entry_pointing_at_another_applications_event_is_refused() {
        let dir = TempDir::new("embedded-index");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        let a = "0190f0c4-0000-7000-8000-00000000000d";
        let b = "0190f0c4-0000-7000-8000-00000000000e";
        conformance::append_chain(&log, a, 1).await;
        log.stores
            .heads
            .insert(b.as_bytes(), 1u64.to_be_bytes())
            .expect("head");
        log.stores
            .apps
            .insert(app_key(b, 1), 1u64.to_be_bytes())
            .expect("index");
        let points = Disagrees::Points {
            seq: 1,
            position: 1,
            holds: Holds::Event {
                app: a.into(),
                seq: 1,
            },
        };
        assert_eq!(
            refusals(&log, b).await,
            (Some(points.clone()), Some(points))
        );
        assert_eq!(log.read(a).await.expect("read").len(), 1);
    }

    /// Given an application's events 2 and 3 stored in each other's places and its index
    /// rewritten to match (each entry pointing at its event), when it is read, then the read is
    /// refused, naming seq 3 placed before seq 2: positions rise with seq, as the writer appends.
    /// (Read through the index, the swap was served as intact, while `verify --app` found it.)
    #[tokio::test]
    async fn an_index_rewritten_to_a_swap_is_refused() {
        let dir = TempDir::new("embedded-index-order");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        let a = "0190f0c4-0000-7000-8000-00000000000f";
        conformance::append_chain(&log, a, 4).await;
        log.swap_events(2, 3);
        log.stores
            .apps
            .insert(app_key(a, 2), 3u64.to_be_bytes())
            .expect("index");
        log.stores
            .apps
            .insert(app_key(a, 3), 2u64.to_be_bytes())
            .expect("index");
        let (read, _) = refusals(&log, a).await;
        assert_eq!(
            read,
            Some(Disagrees::Order {
                seq: 3,
                position: 2,
                previous: 3
            })
        );
        assert!(log.last(a).await.expect("the last event").is_some());
    }

    /// An index entry moved past the log's end is not an append under way when a later seq of the
    /// application is within the log: the read is refused, not cut short there (which would show
    /// the application's first events as its whole history).
    #[tokio::test]
    async fn an_index_entry_moved_past_the_end_is_corruption_not_the_end() {
        let dir = TempDir::new("embedded-index-beyond");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        let a = "0190f0c4-0000-7000-8000-00000000000f";
        conformance::append_chain(&log, a, 3).await;
        log.stores
            .apps
            .insert(app_key(a, 2), 99u64.to_be_bytes())
            .expect("index");
        let disagreement = |what: &str| {
            format!(
                "the log's index of application {a} disagrees with its events: it places {what}"
            )
        };
        match log.read(a).await {
            Err(e @ LogError::Index(_)) => assert_eq!(
                e.to_string(),
                disagreement(
                    "seq 2 at log position 99, past the log's end (3), where no append is under way"
                )
            ),
            other => panic!("expected a disagreement, got {other:?}"),
        }
        // Even while an append has been given position 99 (its group not durable yet), a later
        // seq within the log shows the entry was moved: an append under way is only ever last.
        log.stores.written.store(99, Ordering::Release);
        match log.read(a).await {
            Err(e @ LogError::Index(_)) => assert_eq!(
                e.to_string(),
                disagreement(
                    "seq 2 at log position 99, past the log's end (3), yet a later seq within the log"
                )
            ),
            other => panic!("expected a disagreement, got {other:?}"),
        }
        log.stores.written.store(3, Ordering::Release);
        // The last entry moved past the end, where no append was ever given a position: refused
        // too, by a read and by the last event's (an offline tool's log, which writes nothing,
        // would otherwise show the first two events as the whole history).
        log.stores
            .apps
            .insert(app_key(a, 2), 2u64.to_be_bytes())
            .expect("index");
        log.stores
            .apps
            .insert(app_key(a, 3), 99u64.to_be_bytes())
            .expect("index");
        let unwritten = disagreement(
            "seq 3 at log position 99, past the log's end (3), where no append is under way",
        );
        match log.read(a).await {
            Err(e @ LogError::Index(_)) => assert_eq!(e.to_string(), unwritten),
            other => panic!("expected a disagreement, got {other:?}"),
        }
        match log.last(a).await {
            Err(e @ LogError::Index(_)) => assert_eq!(e.to_string(), unwritten),
            other => panic!("expected a disagreement, got {other:?}"),
        }
        // The same entry while the writer has given position 99 to an append whose group is not
        // durable yet (its head written with it): an append under way, read up to it.
        log.stores.written.store(99, Ordering::Release);
        assert_eq!(log.read(a).await.expect("read").len(), 2);
        assert_eq!(log.last(a).await.expect("last").map(|e| e.seq), Some(2));
    }

    /// Every way the index's head and entries can contradict each other refuses both a read of
    /// the history and of the last event (what an action checks before it decides), naming what
    /// disagreed, where each used to answer a shorter or an earlier history: the head past the
    /// entries, behind them, missing, an entry missing in the middle (the last event alone does
    /// not go through it, and answers).
    #[tokio::test]
    async fn a_read_the_index_head_contradicts_is_refused() {
        let dir = TempDir::new("embedded-index-head");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        let a = "0190f0c4-0000-7000-8000-000000000010";
        conformance::append_chain(&log, a, 5).await;
        let head = |seq: Option<u64>| match seq {
            Some(seq) => log.stores.heads.insert(a.as_bytes(), seq.to_be_bytes()),
            None => log.stores.heads.remove(a.as_bytes()),
        };
        assert_eq!(refusals(&log, a).await, (None, None), "an untouched index");

        head(Some(7)).expect("head ahead");
        let ahead = Disagrees::Head {
            head: 7,
            read: 5,
            entries: 5,
        };
        let no_entry = Disagrees::Missing { seq: 7, next: None };
        assert_eq!(refusals(&log, a).await, (Some(ahead), Some(no_entry)));

        head(Some(3)).expect("head behind");
        let behind = |read| Disagrees::Head {
            head: 3,
            read,
            entries: if read == 4 { 4 } else { 5 },
        };
        assert_eq!(refusals(&log, a).await, (Some(behind(5)), Some(behind(4))));
        assert!(
            matches!(log.read_after(a, 2, 0).await, Err(LogError::Index(_))),
            "an action's catch-up read too"
        );

        head(None).expect("head removed");
        let headless = Disagrees::Head {
            head: 0,
            read: 1,
            entries: 1,
        };
        assert_eq!(
            refusals(&log, a).await,
            (Some(headless.clone()), Some(headless))
        );

        head(Some(5)).expect("head restored");
        log.stores
            .apps
            .remove(app_key(a, 3))
            .expect("entry removed");
        let hole = Disagrees::Missing {
            seq: 3,
            next: Some(4),
        };
        assert_eq!(refusals(&log, a).await, (Some(hole), None));
        log.stores
            .apps
            .insert(app_key(a, 3), 3u64.to_be_bytes())
            .expect("entry restored");
        assert_eq!(log.read(a).await.expect("read").len(), 5);
    }

    /// A second opener of a directory in use (a tool while the gateway serves) is told so by an
    /// error of its own kind, which the offline tools turn into advice.
    #[tokio::test]
    async fn a_directory_in_use_is_refused_as_in_use() {
        let dir = TempDir::new("embedded-in-use");
        let _first = EmbeddedLog::open(dir.path()).expect("open");
        match EmbeddedLog::open(dir.path()) {
            Err(LogError::InUse { dir: shown }) => {
                assert_eq!(shown, dir.path().display().to_string());
            }
            Err(e) => panic!("expected InUse, got {e}"),
            Ok(_) => panic!("a second open of a locked log succeeded"),
        }
    }

    #[tokio::test]
    async fn a_failed_fsync_is_never_acknowledged_and_stops_writes() {
        let dir = TempDir::new("embedded-fail");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        let app = "0190f0c4-0000-7000-8000-00000000000b";
        let written = conformance::append_chain(&log, app, 1).await;
        log.inject_write_failure();
        let next = conformance::event(app, 2, &written[0].hash);
        assert!(matches!(
            log.append(next.clone(), 1).await,
            Err(LogError::Storage(_))
        ));
        assert!(matches!(
            log.append(next, 1).await,
            Err(LogError::Unavailable(_))
        ));
        // The unacknowledged event is invisible, also to the projector's read.
        assert_eq!(log.read(app).await.expect("read").len(), 1);
        assert_eq!(log.read_all(1, 10).await.expect("read all").len(), 1);
        assert_eq!(log.follow(1, 10).await.expect("follow").len(), 1);
        assert!(log.follow(2, 10).await.expect("follow").is_empty());
    }

    #[tokio::test]
    async fn the_armed_countdown_fails_exactly_the_fsync_after_n() {
        let dir = TempDir::new("embedded-countdown");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        log.fail_fsync_after(2);
        let app = "0190f0c4-0000-7000-8000-00000000000c";
        let written = conformance::append_chain(&log, app, 2).await;
        let third = conformance::event(app, 3, &written[1].hash);
        assert!(matches!(
            log.append(third.clone(), 2).await,
            Err(LogError::Storage(_))
        ));
        assert!(matches!(
            log.append(third, 2).await,
            Err(LogError::Unavailable(_))
        ));
        assert_eq!(log.read(app).await.expect("read").len(), 2);
        assert_eq!(*log.head().borrow(), 2);
    }
}
