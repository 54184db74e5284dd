//! The adapters this gateway serves (a region's local form ⇄ the canonical form), from the
//! `tongban-adapters` crate: its builtin specs, plus a directory of spec files when `tongban serve`
//! is given one (`--adapters DIR`, or `<data>/adapters/` when it exists). Installed once at start;
//! every request then reads the same compiled registry.

use std::sync::OnceLock;

use serde::Serialize;
use tongban_adapters::{Registry, SpecError};

static INSTALLED: OnceLock<Registry> = OnceLock::new();

/// Makes `registry` the one every request uses. Only the first call counts (returns false after).
pub fn install(registry: Registry) -> bool {
    INSTALLED.set(registry).is_ok()
}

/// The installed registry, or the builtin one when nothing was installed.
pub fn registry() -> Result<&'static Registry, SpecError> {
    match INSTALLED.get() {
        Some(r) => Ok(r),
        None => Registry::builtin(),
    }
}

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

/// The adapters registered for `matter` (a canonical matter code), by region.
pub fn for_matter(matter: &str) -> Vec<RegionAdapter> {
    let Ok(registry) = registry() else {
        return Vec::new();
    };
    registry
        .all()
        .filter(|a| a.matter.code == matter)
        .map(|a| RegionAdapter {
            region: a.region.clone(),
            region_name: tongban_schemas::ids::gb2260::lookup(&a.region)
                .map(|d| d.name().to_string())
                .unwrap_or_default(),
            canonical_version: a.matter.version,
            local_form: format!(
                "{} ({})",
                a.title.as_deref().unwrap_or(&a.source),
                a.content_type()
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_adapters_are_listed_per_matter() {
        let medical = for_matter("medical-filing");
        let regions: Vec<&str> = medical.iter().map(|a| a.region.as_str()).collect();
        assert_eq!(regions, ["330000", "340000", "440000"]);
        assert_eq!(medical[2].region_name, "广东省");
        assert!(for_matter("no-such-matter").is_empty());
    }
}
