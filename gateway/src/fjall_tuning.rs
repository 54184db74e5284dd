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
//! about 3 KB per submission (to 1.4 GiB): memory that fjall had not released after flushes, which
//! the eight times more frequent memtable rotations make likely (not yet pinned down in fjall's
//! code). So the memtables of the bulk keyspaces stay at 8 MiB, where 1,000,000-application runs
//! never did that; only the keyspaces of small entries, which rotate every 10,000 applications or so
//! even at 1 MiB, take the smaller memtable (see [`SMALL_MEMTABLE_BYTES`]). With that the growth
//! bench went 79 → 96 → 89 → 101 → 103 MiB at 10k, 33k, 100k, 333k and 1M applications, against
//! 105 → 153 MiB with 8 MiB everywhere (docs/performance.md, "Soak, 30 minutes").
//!
//! fjall stores a keyspace's options when it creates it: these apply to data directories created
//! with them; an existing directory keeps the options it was created with.

use fjall::config::PartitioningPolicy;
use fjall::{AbstractTree, KeyspaceCreateOptions};

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

/// Options for a keyspace of [bulk](BULK_MEMTABLE_BYTES) entries.
pub fn bulk() -> KeyspaceCreateOptions {
    with_memtable(BULK_MEMTABLE_BYTES)
}

/// Options for a keyspace of [small](SMALL_MEMTABLE_BYTES) entries.
pub fn small() -> KeyspaceCreateOptions {
    with_memtable(SMALL_MEMTABLE_BYTES)
}

/// Options for every keyspace, given its memtable size.
///
/// Index and filter blocks are partitioned at every level (fjall partitions them only from level 3
/// by default). A table whose index or filter is one whole block either keeps it in memory for
/// as long as the table exists (levels 0 and 1 by default), memory that grows with the data, or
/// loads the whole block through the cache on each read that needs it; partitioned, a table keeps
/// only a small top-level index and reads go through the cache a 4 KiB partition at a time.
fn with_memtable(bytes: u64) -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .max_memtable_size(bytes)
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
    /// Reads the figures of `db`, whose keyspaces are `keyspaces`.
    pub fn of(db: &fjall::Database, keyspaces: &[&fjall::Keyspace]) -> StoreMemory {
        StoreMemory {
            memtable_bytes: db.write_buffer_size(),
            cache_bytes: db.cache_size(),
            tables: keyspaces.iter().map(|k| k.table_count() as u64).sum(),
            retained_versions: keyspaces
                .iter()
                .map(|k| k.tree.version_free_list_len() as u64)
                .sum(),
        }
    }
}
