//! Which regions have an adapter for a matter, for the registry pages.
//!
//! Adapters (a region's local form ⇄ the canonical form) will live in their own crate, between
//! `schemas` and `gateway`. Until it exists no region has one, and the pages say so rather than show
//! invented data; when it lands, [`for_matter`] asks it and the pages need no change.

use serde::Serialize;

/// A region's adapter for one matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegionAdapter {
    /// GB/T 2260 region code, e.g. `440000`.
    pub region: String,
    /// The region's name, e.g. 广东省.
    pub region_name: String,
    /// The canonical schema version the adapter maps to.
    pub canonical_version: u32,
    /// The local platform's form or interface the adapter reads, e.g. 粤省事 form id.
    pub local_form: String,
}

/// The adapters registered for `matter` (a canonical matter code). Empty today: no adapters exist yet.
pub fn for_matter(matter: &str) -> Vec<RegionAdapter> {
    let _ = matter;
    Vec::new()
}
