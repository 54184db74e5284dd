//! Memory bounds for every fjall database the gateway opens (log, projections, evidence).
//!
//! The goal is a memory ceiling that a gateway reaches while it is still small (by about 10,000
//! stored applications) and then keeps, however large the stores grow (docs/performance.md, "Flat
//! RSS"). fjall's memory is budgets that fill and never drain: a memtable per keyspace (written
//! until full, then flushed), a block cache per database (filled by reads of table blocks), and
//! the index and filter blocks that tables keep outside the cache. With 8 MiB memtables, 32 MiB
//! caches and fjall's default whole-table indexes and filters, the gateway grew from 99 to 208 MiB
//! between 10,000 and 1,000,000 applications (`tongban bench --only growth`). Changing one thing at
//! a time on 200,000-application runs: 2 MiB memtables took the end of the run from 165 to 111 MiB;
//! 1 MiB memtables with partitioned indexes and filters, 87 MiB instead of 124 MiB without (both
//! with journals capped at 64 MiB, which showed no clear effect of its own); the caches were
//! nearly empty (a few KiB) under the old settings, and mimalloc returning freed memory at once
//! (`MIMALLOC_PURGE_DELAY=0`) lowered every point by 10–15 MiB without changing the growth. With
//! 1 MiB memtables (2 MiB for the bulk keyspaces) one run gave 73 → 84 MiB from 10,000 to
//! 1,000,000 applications, but three more runs of the same bench left that plateau late and grew by
//! about 3 KB per submission (to 1.4 GiB). That was fjall's worker wedging itself (see
//! [`Memtables`], found in round 5): a memtable no longer rotated takes every write, and eight times
//! more rotations made it come sooner. The memtables of the bulk keyspaces stayed at 8 MiB, where
//! it came later; only the keyspaces of small entries, which rotate every 10,000 applications or
//! so even at 1 MiB, take the smaller memtable (see [`SMALL_MEMTABLE_BYTES`]). With that the growth
//! bench went 79 → 96 → 89 → 101 → 103 MiB at 10k, 33k, 100k, 333k and 1M applications, against
//! 105 → 153 MiB with 8 MiB everywhere (docs/performance.md, "Soak, 30 minutes").
//!
//! fjall stores a keyspace's options when it creates it: these apply to data directories created
//! with them; an existing directory keeps the options it was created with.

use fjall::config::{CompressionPolicy, PartitioningPolicy};
use fjall::{AbstractTree, CompressionType, KeyspaceCreateOptions};

/// Block cache per database. Every table read (data blocks, and with [`with_memtable`]'s partitioned
/// indexes and filters, their partitions too) goes through it, and it only fills: in the growth
/// bench the log's takes blocks all along (5 MiB of an 8 MiB cache at 200,000 applications, a
/// 4 MiB one full within 150,000), so a large cache is memory still growing at 1,000,000. A miss
/// costs a read from the OS page cache.
pub const CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// Memtable size before a flush for the keyspaces that take the bulk of the bytes: the log's
/// events and the projections' views and feed windows, each over a kilobyte per event or
/// application. They fill it every few thousand applications, so this budget is reached early and
/// then only cycles.
pub const BULK_MEMTABLE_BYTES: u64 = 8 * 1024 * 1024;

/// Memtable size before a flush for the keyspaces of small entries (the log's application index
/// and heads, inboxes, outboxes, checkpoints, evidence: a hundred bytes or so per application).
/// At 8 MiB they were still filling after 300,000 applications, so the gateway's memory kept
/// rising for as long as the growth bench ran (99 → 145 MiB from 10,000 to 1,000,000
/// applications): six keyspaces each reaching its budget at a different, late point. At 1 MiB
/// each fills within the first 10,000 to 20,000 applications and is flushed every 10,000 or so
/// after that, a small table at a time.
pub const SMALL_MEMTABLE_BYTES: u64 = 1024 * 1024;

/// Background threads (flushes and compactions) of the projection store. fjall 3.1 starts
/// min(cores, 4) by default, and with more than one its first worker hands every compaction
/// request back to the queue for another worker, taking it again at once while that worker is busy:
/// a thread spinning for as long as compactions run. Profiling a 1,000,000-event rebuild on two
/// cores showed that spin taking 5–15% of all CPU time (`fjall::worker_pool::worker_tick`) and
/// starving the log reader; one worker, which never hands work back, is what the projections'
/// write rate needs (docs/performance.md).
pub const PROJECTION_WORKERS: usize = 1;

/// Background threads of the event log's store: three, so that the spin [`PROJECTION_WORKERS`]
/// describes ends within a millisecond instead of lasting a whole compaction.
///
/// The log cannot take one worker like the projections: its flushes would then wait behind a
/// running compaction, and fjall halts writes for 100 ms whenever four sealed memtables wait for
/// their flush (docs/performance.md, "Round 13"). fjall's first worker keeps flushes moving by
/// never compacting: it hands each compaction request back to the queue, takes it again at once
/// while the others are busy, and so spins for as long as they are. After each flush fjall
/// queues one compaction request per worker. With two workers (fjall's default on two cores),
/// the second compacts and the first spins on the other request until that compaction ends: 4.7%
/// of the gateway's CPU at 650,000 stored applications (`worker_tick` and `flume`'s `send` in a
/// `perf` profile of the growth stage). With three, the third worker takes a request too, finds
/// the level already being compacted or nothing to do, returns within a millisecond, and then
/// takes the request the first keeps handing back.
pub const LOG_WORKERS: usize = 3;

/// Why a fjall store is not ready to be opened ([`ready_to_open`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotReady {
    /// Its `version` is missing ([`missing_file`]): fjall would take the directory for a new
    /// store. Its data may be whole; it is not opened.
    NoVersion(String),
    /// Its `lock` is missing ([`missing_file`]): whole, but not opened until it is back.
    NoLock(String),
    /// The directory could not be read to check it.
    Io(String),
}

impl std::fmt::Display for NotReady {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotReady::NoVersion(m) | NotReady::NoLock(m) | NotReady::Io(m) => f.write_str(m),
        }
    }
}

/// Readies the fjall store in `dir` to be opened: one whose making was cut short is removed so
/// that fjall makes it again ([`remove_unfinished`], said at WARN), and one missing a file fjall
/// needs is refused, saying which ([`missing_file`]).
pub fn ready_to_open(dir: &std::path::Path) -> Result<(), NotReady> {
    match remove_unfinished(dir) {
        Ok(true) => tracing::warn!(
            dir = %dir.display(),
            "a store whose making was cut short (its process stopped before fjall finished \
             it: a journal never written to, no keyspace) was removed and is made again; it \
             held nothing"
        ),
        Ok(false) => {}
        Err(e) => {
            return Err(NotReady::Io(format!(
                "{} could not be read to check it: {e}",
                dir.display()
            )));
        }
    }
    match missing_file(dir) {
        Some(missing) => Err(missing),
        None => Ok(()),
    }
}

/// Whether `dir`'s `version` is there and empty (made, never written, or truncated).
fn version_empty(dir: &std::path::Path) -> bool {
    std::fs::metadata(dir.join("version")).is_ok_and(|m| m.len() == 0)
}

/// Removes what a store's making left in `dir` when it was cut short (the process killed before
/// fjall wrote its `version`, which it makes before any keyspace): fjall's lock file, held by
/// no process, its journal, preallocated and never written to (all zeros), an empty keyspaces
/// folder, and a `version` made but left empty. fjall refuses such a directory for good (`File
/// exists`, or a missing file), though it holds nothing; a first start killed in its first
/// milliseconds left one. `false` (nothing done) for anything else: a `version` with content,
/// a journal byte written, a keyspace, a file fjall does not make, or no lock file, or a lock
/// another process holds (one making the store now). The lock file goes last, held until then.
pub fn remove_unfinished(dir: &std::path::Path) -> std::io::Result<bool> {
    use std::io::Read;
    if !dir.is_dir() {
        return Ok(false);
    }
    // The lock first: held by a process making the store this moment, or no lock file at all,
    // and the directory is left alone; held by this check, no process can finish making it
    // between the look below and the removal.
    let Ok(lock) = std::fs::File::open(dir.join("lock")) else {
        return Ok(false);
    };
    if lock.try_lock().is_err() {
        return Ok(false);
    }
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if name == "lock" {
            continue;
        } else if name == "version" {
            if std::fs::metadata(&path)?.len() > 0 {
                return Ok(false);
            }
        } else if name.ends_with(".jnl") {
            let mut file = std::fs::File::open(&path)?;
            let mut buf = vec![0u8; 1 << 20];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                if buf[..n].iter().any(|b| *b != 0) {
                    return Ok(false);
                }
            }
        } else if name == "keyspaces" {
            if !path.is_dir() || std::fs::read_dir(&path)?.next().is_some() {
                return Ok(false);
            }
        } else {
            return Ok(false);
        }
        entries.push(path);
    }
    // fjall makes `keyspaces/` and the journal before `version`: one of them says it began.
    if entries.is_empty() {
        return Ok(false);
    }
    for path in entries {
        match path.is_dir() {
            true => std::fs::remove_dir_all(&path)?,
            false => std::fs::remove_file(&path)?,
        }
    }
    std::fs::remove_file(dir.join("lock"))?;
    drop(lock);
    std::fs::File::open(dir)?.sync_all()?;
    Ok(true)
}

/// Why the fjall store in `dir` cannot open, when a file fjall needs is missing from it: fjall
/// says so as a bare I/O error naming no file (`No such file or directory`), and a store copied
/// by a backup tool that leaves lock files out is whole but for that file. `None` when both are
/// there, or the directory holds no store yet (fjall makes a new one).
///
/// - `lock`: fjall's lock file, empty, which it only opens to lock (fjall 3.1 creates it with
///   a new store and never again). It is not made here: were the lock file of a running gateway
///   deleted, a new one would let a second process lock and open the same store beside it. The
///   operator, who knows no tongban process uses the directory, recreates it.
/// - `version`: fjall's format marker, written when the store is made. Without it fjall takes
///   the directory for a new store and would start one over the old files, so it must be there
///   before fjall opens the directory at all.
pub fn missing_file(dir: &std::path::Path) -> Option<NotReady> {
    let holds_store = dir.join("keyspaces").is_dir()
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "jnl"))
        });
    if !holds_store {
        return None;
    }
    let version = dir.join("version");
    if version_empty(dir) {
        return Some(NotReady::NoVersion(format!(
            "{} is empty, though the directory holds a store (its journal and keyspaces): it \
             is fjall's format marker, written when the store was made. Nothing was opened. Copy \
             the file back from where this directory came from; every store this build makes \
             has the same one, so the file of the same name in a new data directory serves too",
            version.display()
        )));
    }
    if !version.exists() {
        return Some(NotReady::NoVersion(format!(
            "{} is missing, though the directory holds a store (its journal and keyspaces): it \
             is fjall's format marker, written when the store was made, and a copy or backup \
             left it out. Nothing was opened (without it, fjall would start a new, empty store \
             over these files). Copy the file back from where this directory came from; every \
             store this build makes has the same one, so the file of the same name in a new data \
             directory serves too",
            version.display()
        )));
    }
    let lock = dir.join("lock");
    if !lock.exists() {
        return Some(NotReady::NoLock(format!(
            "{} is missing: it is fjall's lock file, an empty file that marks the store as open, \
             and backup tools often leave it out. Nothing is damaged and nothing was opened: \
             recreate it as an empty file (`touch {}`) while no tongban process uses this data \
             directory, and start again",
            lock.display(),
            lock.display()
        )));
    }
    None
}

/// The event log's database in `dir`, as the embedded log opens it: journal persisted by the log's
/// own group commit, the block cache budget, [`LOG_WORKERS`] workers. The raw fjall stage of
/// `tongban bench` opens its baseline through this too, so the two stay alike.
pub fn log_database(dir: &std::path::Path) -> fjall::DatabaseBuilder<fjall::Database> {
    fjall::Database::builder(dir)
        .manual_journal_persist(true)
        .cache_size(CACHE_BYTES)
        .worker_threads(LOG_WORKERS)
}

/// How far past its budget a memtable may grow before fjall itself asks for a rotation: only a
/// write that bypasses [`Memtables::seal_full`] ever gets there (see [`Memtables`] for why
/// fjall's own trigger must stay out of the way).
pub const FJALL_TRIGGER_FACTOR: u64 = 4;

/// Target size of a keyspace's tables, in memtable budgets; level 1 holds four such tables
/// (fjall's leveled compaction: four level-0 tables trigger a merge into level 1, which holds
/// four target sizes, each level below ten times the one above).
///
/// fjall's default target is 64 MiB whatever the memtable, so level 1 grew to 256 MiB before
/// anything moved below it. The keyspaces keyed by application (the log's index and heads, the
/// projections' views, inboxes and outboxes) receive their keys in no order, so every table
/// flushed overlaps all of level 1, and each merge of four 1 MiB memtables rewrote the whole
/// level, which grows with every stored application: the write amplification rose with the
/// store (docs/performance.md, "Round 13": the gateway's CPU per submission went from 134 µs at
/// 10,000 applications to 253 µs at 1,000,000, nearly half of it in fjall's workers). With a target of
/// four budgets, level 1 stops at 16 MiB for the 1 MiB keyspaces and each further level costs
/// the usual tenfold rewrite of leveled compaction, however large the store grows.
pub const TABLES_PER_MEMTABLE: u64 = 4;

/// Options for every keyspace, given its memtable budget.
///
/// fjall's own rotation trigger is set [`FJALL_TRIGGER_FACTOR`] times above the budget, which
/// [`Memtables::seal_full`] enforces.
///
/// Index and filter blocks are partitioned at every level (fjall partitions them only from level 3
/// by default). A table whose index or filter is one whole block either keeps it in memory for
/// as long as the table exists (levels 0 and 1 by default), memory that grows with the data, or
/// loads the whole block through the cache on each read that needs it; partitioned, a table keeps
/// only a small top-level index and reads go through the cache a 4 KiB partition at a time.
fn with_memtable(bytes: u64) -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .compaction_strategy(std::sync::Arc::new(
            fjall::compaction::Leveled::default()
                .with_table_target_size(bytes * TABLES_PER_MEMTABLE),
        ))
        .max_memtable_size(bytes * FJALL_TRIGGER_FACTOR)
        .index_block_partitioning_policy(PartitioningPolicy::all(true))
        .filter_block_partitioning_policy(PartitioningPolicy::all(true))
}

/// What one fjall database holds in memory by fjall's own accounting, for `/metrics`: the budgets
/// above as they fill, so an operator (or the soak and growth benches) can tell the store's share
/// of the gateway's RSS from the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreMemory {
    /// Active and sealed memtables: keys, values and a fixed per-entry overhead.
    pub memtable_bytes: u64,
    /// Blocks held by the block cache (at most [`CACHE_BYTES`]).
    pub cache_bytes: u64,
    /// Tables on disk, over all keyspaces; each keeps its top-level index and filter in memory.
    pub tables: u64,
    /// Superseded versions of the keyspaces' trees still held, each keeping the memtables and
    /// tables it listed alive: fjall drops them once no open read is older than them, so a count
    /// that climbs means memory held for a reader that never finished.
    pub retained_versions: u64,
}

impl StoreMemory {
    /// Reads the figures of `db`, whose keyspaces were all opened through `memtables`.
    pub fn of(db: &fjall::Database, memtables: &Memtables) -> StoreMemory {
        let keyspaces = || memtables.keyspaces.iter().map(|(k, _)| k);
        StoreMemory {
            memtable_bytes: db.write_buffer_size(),
            cache_bytes: db.cache_size(),
            tables: keyspaces().map(|k| k.table_count() as u64).sum(),
            retained_versions: keyspaces()
                .map(|k| k.tree.version_free_list_len() as u64)
                .sum(),
        }
    }
}

/// LZ4 on the data blocks of every level; fjall compresses only from level 2 by default.
///
/// For keyspaces keyed by application (the projections' views, inboxes and outboxes): an
/// application submitted with an `Idempotency-Key` has an id derived from a hash (`ids.rs`), so
/// their keys arrive in no order, and leveled compaction merges each flushed table into the
/// overlapping part of the level below, writing an entry again at each level it passes through,
/// the first two of them uncompressed by default. Their values are JSON, which LZ4 shrinks
/// well; it costs a few microseconds per kilobyte in the background workers that flush and
/// compact, and a decompression per block read. The bytes this saves are
/// the bytes the disk writes and later discards; on this project's virtual disks a burst of them
/// delays every fsync on the machine, the log's group commits included (docs/performance.md,
/// "Round 9": 19.3 KB written to the device per stored application before, 13.7 KB after). The
/// log's own keyspaces stay as they are: its events arrive in position order, so compaction moves
/// their tables down whole instead of rewriting them.
fn compressed(options: KeyspaceCreateOptions) -> KeyspaceCreateOptions {
    options.data_block_compression_policy(CompressionPolicy::all(CompressionType::Lz4))
}

/// Key-value separation (fjall's blob files, its defaults: values of 1 KiB or more, LZ4, 64 MiB
/// files), for the projections' views: a kilobyte or two of JSON each, keyed by application, so
/// in no order. In the table, compaction carried each view down level after level and compressed
/// it again each time. Separated, a view is written once into a blob file when its memtable is
/// flushed, and compaction moves only its key and a pointer. When a later event rewrites a view,
/// the old copy stays in its blob file until a compaction finds that file a quarter stale and
/// copies out what is still live. Measured in round 13 (docs/performance.md): the bytes the
/// gateway writes per submission fell from 9.1 to 8.0 KB, its CPU per submission by about 5% at
/// half peak and by 6–9% in the growth runs from 33,000 to 333,000 applications.
fn separated(options: KeyspaceCreateOptions) -> KeyspaceCreateOptions {
    options.with_kv_separation(Some(fjall::KvSeparationOptions::default()))
}

/// How a keyspace stores its values, beyond the budgets and table sizes every keyspace gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// fjall's defaults: data blocks compressed only from level 2 on.
    Plain,
    /// Every level's data blocks LZ4-compressed, for keyspaces whose entries compaction rewrites
    /// level after level (see [`compressed`]).
    Compressed,
    /// [`Values::Compressed`], with values of a kilobyte or more kept apart from the keys in blob
    /// files (fjall's key-value separation, see [`separated`]).
    Separated,
}

/// The memtable budgets of one database's keyspaces, enforced by the gateway rather than by fjall.
/// Every keyspace a store opens goes through [`Memtables::keyspace`], so this is also the list
/// [`StoreMemory::of`] counts tables and versions over.
///
/// fjall 3.1.13 rotates a full memtable from a background worker. Each write that finds the
/// active memtable past its size `try_send`s a rotation request into the worker queue (bounded at
/// 1,000 messages), and the worker, once it rotates, queues the flush with a *blocking* `send`
/// into that same queue. When writes outpace the worker (a compaction keeping it busy for a second
/// is enough at a few thousand writes a second), they fill the queue with duplicate rotation
/// requests; the worker then blocks forever sending to itself, nothing rotates again, and the
/// active memtable grows without bound while the worker sits idle. That was the 30-minute soak's
/// blow-up: the projections' memtable went from 7 MB to 589 MB at about 3.9 million events
/// (docs/performance.md, "Soak, 30 minutes"). The same flood with a 64 KiB budget and one worker
/// takes a memtable to hundreds of megabytes in seconds (the ignored test
/// `fjall_alone_lets_a_memtable_grow_without_bound`). Upstream: fjall-rs/fjall pull request
/// 323 (open, unreleased), "don't flood the worker mailbox with rotate pokes".
///
/// So each store seals its own memtables: after every write it calls [`Memtables::seal_full`],
/// which rotates, on the writer's thread, every memtable at or past its budget. fjall's trigger
/// sits [`FJALL_TRIGGER_FACTOR`] times higher and is never reached, so the queue only ever holds
/// one flush per rotation and a few compaction requests, and fjall's halt of writes at four sealed
/// memtables bounds the rest. (A data directory created before this keeps fjall's trigger at the
/// budget: there the crossing write sends one request and the seal right after it makes it stale,
/// one message per rotation instead of one per write.)
#[derive(Clone, Default)]
pub struct Memtables {
    keyspaces: Vec<(fjall::Keyspace, u64)>,
}

impl Memtables {
    /// Opens (or creates) keyspace `name` in `db` with memtable budget `budget` bytes, storing its
    /// values as `values` says, and holds it to that budget from now on.
    pub fn keyspace(
        &mut self,
        db: &fjall::Database,
        name: &str,
        budget: u64,
        values: Values,
    ) -> Result<fjall::Keyspace, fjall::Error> {
        let options = with_memtable(budget);
        let options = match values {
            Values::Plain => options,
            Values::Compressed => compressed(options),
            Values::Separated => separated(compressed(options)),
        };
        self.open(db, name, options, budget)
    }

    fn open(
        &mut self,
        db: &fjall::Database,
        name: &str,
        options: KeyspaceCreateOptions,
        budget: u64,
    ) -> Result<fjall::Keyspace, fjall::Error> {
        let keyspace = db.keyspace(name, || options)?;
        self.keyspaces.push((keyspace.clone(), budget));
        Ok(keyspace)
    }

    /// Rotates every active memtable at or past its budget, queueing it for a flush. Cheap when
    /// nothing is full (one atomic read per keyspace); called after each write.
    ///
    /// A failed rotation loses nothing (the write is in the journal and the memtable stays
    /// active), so it is logged, not returned: the next write tries again, and a store whose
    /// journal has failed refuses that write itself.
    pub fn seal_full(&self) {
        for (keyspace, budget) in &self.keyspaces {
            if keyspace.tree.active_memtable().size() >= *budget
                && let Err(error) = keyspace.rotate_memtable()
            {
                tracing::warn!(keyspace = %keyspace.name(), %error, "memtable rotation failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    const BUDGET: u64 = 64 * 1024;

    /// Given what a first start killed in its first milliseconds leaves (fjall's lock, a
    /// journal of zeros preallocated, an empty keyspaces folder, no `version`), when the store is
    /// readied, then it is removed and fjall makes it again; a journal with one byte written,
    /// or a table, is left as it is and the missing `version` is told.
    #[test]
    fn a_store_whose_making_was_cut_short_is_made_again_and_nothing_else_is() {
        let dir = crate::testutil::TempDir::new("unfinished-store");
        let half_made = |name: &str, journal: &[u8]| {
            let store = dir.path().join(name);
            std::fs::create_dir_all(store.join("keyspaces")).expect("keyspaces");
            std::fs::write(store.join("lock"), b"").expect("lock");
            let mut bytes = vec![0u8; 1 << 16];
            bytes[..journal.len()].copy_from_slice(journal);
            std::fs::write(store.join("0.jnl"), bytes).expect("journal");
            store
        };
        let store = half_made("cut-short", &[]);
        assert_eq!(ready_to_open(&store), Ok(()));
        let db = fjall::Database::builder(&store).open().expect("made again");
        let ks = db
            .keyspace("k", KeyspaceCreateOptions::default)
            .expect("keyspace");
        ks.insert("a", "1").expect("write");
        drop((ks, db));
        assert!(store.join("version").exists());
        // Made whole now: nothing is removed again.
        assert!(!remove_unfinished(&store).expect("checked"));

        let written = half_made("written", &[7]);
        assert!(!remove_unfinished(&written).expect("checked"));
        let refused = ready_to_open(&written).expect_err("version missing");
        assert!(
            matches!(&refused, NotReady::NoVersion(m) if m.contains("version is missing")),
            "{refused}"
        );
        assert!(written.join("0.jnl").exists());

        let tabled = half_made("tabled", &[]);
        std::fs::create_dir_all(tabled.join("keyspaces/3/tables")).expect("tables");
        std::fs::write(tabled.join("keyspaces/3/tables/0"), b"t").expect("table");
        assert!(!remove_unfinished(&tabled).expect("checked"));

        // A keyspace at all: fjall wrote `version` before it, so a backup lost it; kept.
        let keyspace = half_made("keyspace", &[]);
        std::fs::create_dir_all(keyspace.join("keyspaces/0")).expect("keyspace");
        assert!(!remove_unfinished(&keyspace).expect("checked"));
        assert!(matches!(
            ready_to_open(&keyspace),
            Err(NotReady::NoVersion(_))
        ));

        // `version` made but left empty: cut short too.
        let empty_version = half_made("empty-version", &[]);
        std::fs::write(empty_version.join("version"), b"").expect("version");
        assert!(remove_unfinished(&empty_version).expect("checked"));
        assert!(
            std::fs::read_dir(&empty_version)
                .expect("dir")
                .next()
                .is_none()
        );

        // An empty `version` beside a journal written to: told as empty, never removed.
        let emptied = half_made("emptied", &[7]);
        std::fs::write(emptied.join("version"), b"").expect("version");
        assert!(matches!(
            ready_to_open(&emptied),
            Err(NotReady::NoVersion(m)) if m.contains("version is empty")
        ));
        assert!(emptied.join("0.jnl").exists());

        // No lock file: not fjall's own leftovers; kept.
        let unlocked = half_made("unlocked", &[]);
        std::fs::remove_file(unlocked.join("lock")).expect("lock");
        assert!(!remove_unfinished(&unlocked).expect("checked"));
    }

    /// A fresh database with one fjall worker, in a directory of its own.
    /// A database with one worker in a temporary directory, removed when the returned guard drops
    /// (after the database, which the caller binds second).
    fn one_worker_db(name: &str) -> (crate::testutil::TempDir, fjall::Database) {
        let dir = crate::testutil::TempDir::new(&format!("memtable-{name}"));
        let db = fjall::Database::builder(dir.path())
            .worker_threads(1)
            .open()
            .expect("open");
        (dir, db)
    }

    /// A compressed keyspace's freshly flushed table (level 0, which fjall leaves uncompressed by
    /// default) takes far fewer bytes than a plain one's for the same JSON views, and reads back
    /// the same values.
    #[test]
    fn a_compressed_keyspace_flushes_json_in_fewer_bytes_and_reads_it_back() {
        let (_dir, db) = one_worker_db("compressed");
        let mut memtables = Memtables::default();
        let plain = memtables
            .keyspace(&db, "plain", 8 << 20, Values::Plain)
            .expect("plain");
        let packed = memtables
            .keyspace(&db, "packed", 8 << 20, Values::Compressed)
            .expect("packed");
        let view = |i: u32| {
            format!(
                r#"{{"app_id":"TB-440300-20261202-{i:06}","matter":"household_transfer","status":"submitted","applicant":{{"name_masked":"张*","id_type":"resident_id"}},"form":{{"from_address":"广东省深圳市南山区{i}号","to_address":"湖南省长沙市岳麓区{i}号","reason":"employment"}},"seq":{i}}}"#
            )
        };
        for i in 0..4_000u32 {
            let key = format!("app/{:08x}", i.wrapping_mul(2_654_435_761));
            plain.insert(&key, view(i)).expect("insert");
            packed.insert(&key, view(i)).expect("insert");
        }
        plain.rotate_memtable_and_wait().expect("flush plain");
        packed.rotate_memtable_and_wait().expect("flush packed");
        let (a, b) = (plain.disk_space(), packed.disk_space());
        assert!(a > 0 && b > 0, "both flushed a table: {a} and {b} bytes");
        assert!(
            b * 2 < a,
            "compressed {b} bytes is not under half of plain {a} bytes"
        );
        for i in [0u32, 1_234, 3_999] {
            let key = format!("app/{:08x}", i.wrapping_mul(2_654_435_761));
            let got = packed.get(&key).expect("get").expect("present");
            assert_eq!(&got[..], view(i).as_bytes());
        }
    }

    /// A separated keyspace writes views of a kilobyte or more into a blob file at the flush, reads
    /// them back whole, and a view rewritten after the flush reads back as rewritten; a small
    /// value stays in the table.
    #[test]
    fn a_separated_keyspace_keeps_large_views_in_blob_files_and_reads_them_back() {
        let (_dir, db) = one_worker_db("separated");
        let mut memtables = Memtables::default();
        let views = memtables
            .keyspace(&db, "views", 8 << 20, Values::Separated)
            .expect("separated");
        let view = |i: u32, status: &str| {
            format!(
                r#"{{"app_id":"TB-440300-20261202-{i:06}","status":"{status}","form":{{"from_address":"广东省深圳市南山区{i}号","note":"{}"}}}}"#,
                "甲".repeat(400)
            )
        };
        let key = |i: u32| format!("app/{:08x}", i.wrapping_mul(2_654_435_761));
        assert!(
            view(0, "submitted").len() >= 1024,
            "a view above the threshold"
        );
        for i in 0..500u32 {
            views.insert(key(i), view(i, "submitted")).expect("insert");
        }
        views.insert("small", "{}").expect("insert");
        assert_eq!(views.tree.blob_file_count(), 0);
        views.rotate_memtable_and_wait().expect("flush");
        assert!(
            views.tree.blob_file_count() >= 1,
            "the views went to a blob file"
        );
        views.insert(key(7), view(7, "accepted")).expect("rewrite");
        views.rotate_memtable_and_wait().expect("flush the rewrite");
        for (i, status) in [(0, "submitted"), (7, "accepted"), (499, "submitted")] {
            let got = views.get(key(i)).expect("get").expect("present");
            assert_eq!(&got[..], view(i, status).as_bytes());
        }
        assert_eq!(
            &views.get("small").expect("get").expect("present")[..],
            b"{}"
        );
    }

    /// Keys in no order, flushed many times, end up in tables of about [`TABLES_PER_MEMTABLE`]
    /// budgets spread over the levels, not in one level-1 table growing toward fjall's default
    /// 64 MiB target, which every merge would rewrite whole.
    #[test]
    fn keys_in_no_order_compact_into_tables_of_a_few_budgets() {
        let (_dir, db) = one_worker_db("levels");
        let mut memtables = Memtables::default();
        let budget = 64 * 1024;
        let ks = memtables
            .keyspace(&db, "random", budget, Values::Plain)
            .expect("keyspace");
        // Values that do not compress (fjall compresses from level 2 by default).
        let value = |i: u32| {
            let mut x = u64::from(i) | 1 << 40;
            (0..100)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect::<Vec<u8>>()
        };
        for i in 0..40_000u32 {
            ks.insert(i.wrapping_mul(2_654_435_761).to_be_bytes(), value(i))
                .expect("insert");
            memtables.seal_full();
        }
        // Flushes and compactions run in fjall's worker: wait until the table count holds still.
        let deadline = Instant::now() + Duration::from_secs(60);
        let (mut seen, mut since) = (usize::MAX, Instant::now());
        while Instant::now() < deadline {
            let tables = ks.table_count();
            if tables != seen {
                (seen, since) = (tables, Instant::now());
            } else if ks.tree.sealed_memtable_count() == 0
                && since.elapsed() > Duration::from_secs(1)
            {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let tables = ks.table_count() as u64;
        let bytes = ks.disk_space();
        assert!(
            bytes > 3_000_000,
            "the values reached the disk: {bytes} bytes"
        );
        assert!(tables >= 8, "{tables} tables hold {bytes} bytes");
        assert!(
            bytes / tables <= 2 * TABLES_PER_MEMTABLE * budget,
            "{tables} tables of {} bytes on average",
            bytes / tables
        );
        assert_eq!(
            ks.get(7u32.wrapping_mul(2_654_435_761).to_be_bytes())
                .expect("get")
                .as_deref(),
            Some(&value(7)[..])
        );
    }

    /// Batches of four 200-byte values, as fast as one thread commits them, for `length`;
    /// `after_commit` runs after each. Returns the entries written and the largest active
    /// memtable seen.
    fn flood(
        db: &fjall::Database,
        ks: &fjall::Keyspace,
        length: Duration,
        after_commit: impl Fn(),
    ) -> (u64, u64) {
        let value = [7u8; 200];
        let (mut largest, mut written) = (0, 0u64);
        let start = Instant::now();
        while start.elapsed() < length {
            let mut batch = db.batch();
            for _ in 0..4 {
                batch.insert(ks, written.to_be_bytes(), value);
                written += 1;
            }
            batch.commit().expect("commit");
            largest = largest.max(ks.tree.active_memtable().size());
            after_commit();
        }
        (written, largest)
    }

    /// The flood that wedges fjall's worker when fjall rotates on its own (see the ignored test
    /// below). With the gateway sealing its memtables, the active memtable stays within a batch
    /// of its budget and the worker keeps flushing (tables appear on disk throughout).
    #[test]
    fn memtables_stay_within_budget_under_a_write_flood() {
        let (_dir, db) = one_worker_db("sealed");
        let mut memtables = Memtables::default();
        let ks = memtables
            .keyspace(&db, "k", BUDGET, Values::Plain)
            .expect("keyspace");
        let (written, largest) = flood(&db, &ks, Duration::from_secs(3), || memtables.seal_full());
        let flushed = ks.table_count();
        eprintln!(
            "sealed by the gateway: {written} entries, largest active memtable {largest} bytes, \
             {flushed} tables flushed, budget {BUDGET}"
        );
        assert!(written > 10_000, "the flood wrote only {written} entries");
        assert!(
            largest < BUDGET + 4 * 1024,
            "active memtable reached {largest} bytes against a budget of {BUDGET}"
        );
        assert!(flushed > 10, "only {flushed} tables flushed");
    }

    /// fjall 3.1.13's own behaviour under the same flood, without [`Memtables`]: its trigger at
    /// the budget, its one worker rotating. The worker wedges itself (see [`Memtables`]) and
    /// the active memtable takes every later write. Ignored: it demonstrates an upstream bug,
    /// leaves a worker blocked for good and holds hundreds of megabytes. Run it with
    /// `cargo test -p tongban-gateway --lib fjall_alone -- --ignored --nocapture`; once it fails,
    /// fjall rotates safely by itself and [`Memtables`] can go.
    #[test]
    #[ignore = "reproduces an upstream fjall bug; leaves a worker blocked"]
    fn fjall_alone_lets_a_memtable_grow_without_bound() {
        let (_dir, db) = one_worker_db("fjall-alone");
        let ks = db
            .keyspace("k", || {
                KeyspaceCreateOptions::default().max_memtable_size(BUDGET)
            })
            .expect("keyspace");
        let (written, largest) = flood(&db, &ks, Duration::from_secs(8), || {});
        eprintln!(
            "fjall alone: {written} entries, largest active memtable {largest} bytes, \
             {} sealed memtables waiting, budget {BUDGET}",
            ks.tree.sealed_memtable_count()
        );
        assert!(
            largest > 100 * BUDGET,
            "the memtable stayed at {largest} bytes: fjall no longer wedges its worker"
        );
    }
}
