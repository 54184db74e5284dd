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
//! code). So the memtables stay at 8 MiB, where two 1,000,000-application runs never did that, and
//! only the partitioned indexes and filters and the smaller cache are kept (docs/performance.md).
//!
//! fjall stores a keyspace's options when it creates it: these apply to data directories created
//! with them; an existing directory keeps the options it was created with.

use fjall::KeyspaceCreateOptions;
use fjall::config::PartitioningPolicy;

/// Block cache per database. Every table read (data blocks, and with [`keyspace`]'s partitioned
/// indexes and filters, their partitions too) goes through it, and it only fills: in the growth
/// bench the log's takes blocks all along (5 MiB of an 8 MiB cache at 200,000 applications, a
/// 4 MiB one full within 150,000), so a large cache is memory still growing at 1,000,000. A miss
/// costs a read from the OS page cache.
pub const CACHE_BYTES: u64 = 4 * 1024 * 1024;

/// Memtable size before a flush, for every keyspace. The two that take the bulk of the bytes (the
/// log's events, the projections' views: over a kilobyte per application each) fill it every few
/// thousand applications; those of small entries (indexes, heads, inboxes, feed, checkpoints: a
/// hundred bytes or so per application) are still filling after 100,000 (1 MiB would be full by
/// about 10,000, but see the module documentation for why memtables are not that small).
pub const MEMTABLE_BYTES: u64 = 8 * 1024 * 1024;

/// Background threads (flushes and compactions) of the projection store. fjall 3.1 starts
/// min(cores, 4) by default, and with more than one its first worker hands every compaction
/// request back to the queue for another worker, taking it again at once while that worker is busy:
/// a thread spinning for as long as compactions run. Profiling a 1,000,000-event rebuild on two
/// cores showed that spin taking 5–15% of all CPU time (`fjall::worker_pool::worker_tick`) and
/// starving the log reader; one worker, which never hands work back, is what the projections'
/// write rate needs (docs/performance.md).
pub const PROJECTION_WORKERS: usize = 1;

/// Options for every keyspace.
///
/// Index and filter blocks are partitioned at every level (fjall partitions them only from level 3
/// by default). A table whose index or filter is one whole block either keeps it in memory for
/// as long as the table exists (levels 0 and 1 by default), memory that grows with the data, or
/// loads the whole block through the cache on each read that needs it; partitioned, a table keeps
/// only a small top-level index and reads go through the cache a 4 KiB partition at a time.
pub fn keyspace() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .max_memtable_size(MEMTABLE_BYTES)
        .index_block_partitioning_policy(PartitioningPolicy::all(true))
        .filter_block_partitioning_policy(PartitioningPolicy::all(true))
}
