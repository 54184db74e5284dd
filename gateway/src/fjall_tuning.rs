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

/// Options for every keyspace.
pub fn keyspace() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default().max_memtable_size(MEMTABLE_BYTES)
}
