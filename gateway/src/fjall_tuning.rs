//! Memory bounds for every fjall database the gateway opens (log, projections, evidence).
//!
//! fjall's defaults let each keyspace hold a 64 MiB memtable (plus the one being flushed), which
//! over a dozen keyspaces lets a long-running gateway's memory climb by hundreds of MiB before it
//! levels off. Smaller memtables and a fixed block cache make the ceiling a number we chose.

use fjall::KeyspaceCreateOptions;

/// Block cache per database.
pub const CACHE_BYTES: u64 = 32 * 1024 * 1024;

/// Memtable size per keyspace before it is flushed to disk.
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
pub fn keyspace() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES)
}
