//! Memory bounds for every fjall database the gateway opens (log, projections, evidence).
//!
//! The goal is a memory ceiling that a gateway reaches while it is still small (by about 10,000
//! stored applications) and then keeps, however large the stores grow (docs/performance.md, "Flat
//! RSS"). fjall's own memory is three budgets, each of which only fills up, never drains: the
//! memtables (one per keyspace, written until full), the block cache (one per database, filled by
//! reads of table blocks) and the index and filter blocks that tables keep in memory outside the
//! cache. Measured on `tongban bench --only growth`, the previous settings (8 MiB memtables, a
//! 32 MiB cache per database, fjall's default whole-table indexes and filters) let the gateway grow
//! from 99 to 208 MiB between 10,000 and 1,000,000 applications, because those budgets were large
//! enough to keep filling the whole way: the keyspaces with small entries (heads, inbox, outbox,
//! feed, checkpoints) took hundreds of thousands of applications to fill an 8 MiB memtable, and the
//! caches kept taking blocks. The numbers below are small enough to fill early.
//!
//! fjall stores a keyspace's options when it creates it: these apply to data directories created
//! with them; an existing directory keeps the options it was created with.

use fjall::KeyspaceCreateOptions;
use fjall::config::PartitioningPolicy;

/// Block cache per database. Every table read (data blocks, and with [`keyspace`]'s partitioned
/// indexes and filters, their partitions too) goes through it, so it is what bounds the memory
/// that reads take as the stores grow; 8 MiB holds the filter partitions that submissions consult
/// (new keys, so they are misses every filter must answer) past 1,000,000 applications.
pub const CACHE_BYTES: u64 = 8 * 1024 * 1024;

/// Memtable size before a flush, for keyspaces of small entries (indexes, heads, inboxes, feed,
/// checkpoints). Each such keyspace takes about 100 bytes per application, so a 1 MiB memtable has
/// been filled (and its sawtooth reached its full height) by about 10,000 applications; at 8 MiB
/// they were still filling at 300,000.
pub const MEMTABLE_BYTES: u64 = 1024 * 1024;

/// Memtable size for the two keyspaces that take the bulk of the bytes (the log's events, the
/// projections' application views: over a kilobyte per application each). They fill a 4 MiB
/// memtable within a few thousand applications; larger than [`MEMTABLE_BYTES`] so that they flush
/// fewer, larger tables, and so that the projector mostly reads events still in the memtable
/// rather than through the block cache.
pub const BULK_MEMTABLE_BYTES: u64 = 4 * 1024 * 1024;

/// Background threads (flushes and compactions) of the projection store. fjall 3.1 starts
/// min(cores, 4) by default, and with more than one its first worker hands every compaction
/// request back to the queue for another worker, taking it again at once while that worker is busy:
/// a thread spinning for as long as compactions run. Profiling a 1,000,000-event rebuild on two
/// cores showed that spin taking 5–15% of all CPU time (`fjall::worker_pool::worker_tick`) and
/// starving the log reader; one worker, which never hands work back, is what the projections'
/// write rate needs (docs/performance.md).
pub const PROJECTION_WORKERS: usize = 1;

/// Options for every keyspace of small entries.
///
/// Index and filter blocks are partitioned at every level (fjall partitions them only from level 3
/// by default). A table whose index or filter is one whole block either keeps it in memory for
/// as long as the table exists (levels 0 and 1 by default), memory that grows with the data, or
/// loads the whole block through the cache on each read that needs it; partitioned, a table keeps
/// only a small top-level index and reads go through the cache a 4 KiB partition at a time.
pub fn keyspace() -> KeyspaceCreateOptions {
    options(MEMTABLE_BYTES)
}

/// Options for the keyspaces that take the bulk of the bytes (see [`BULK_MEMTABLE_BYTES`]).
pub fn bulk_keyspace() -> KeyspaceCreateOptions {
    options(BULK_MEMTABLE_BYTES)
}

fn options(memtable: u64) -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .max_memtable_size(memtable)
        .index_block_partitioning_policy(PartitioningPolicy::all(true))
        .filter_block_partitioning_policy(PartitioningPolicy::all(true))
}
