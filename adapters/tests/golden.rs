//! Golden files: for every builtin (region, matter) the local form in
//! `regions/<region>/golden/<matter>.local.(json|xml)` translates to exactly
//! `<matter>.canonical.json`, that canonical body is a valid submission, and the local form
//! regenerated from it equals the input byte for byte (lossless round trip).
//!
//! New canonical goldens get their local form written by
//! `TONGBAN_REGENERATE_GOLDEN=1 cargo test -p tongban-adapters --test golden` — review the
//! result like any hand-written file before committing it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tongban_adapters::Registry;
use tongban_adapters::spec::Format;

fn regions_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("regions")
}

#[test]
fn every_builtin_adapter_round_trips_its_golden_files() {
    let registry = Registry::builtin().expect("builtin specs compile");
    let regenerate = std::env::var_os("TONGBAN_REGENERATE_GOLDEN").is_some();
    let mut checked = 0;
    let mut failures = Vec::new();
    for adapter in registry.all() {
        let dir = regions_dir().join(&adapter.region).join("golden");
        let matter = adapter.matter.code;
        let ext = match adapter.format {
            Format::Json => "json",
            Format::Xml => "xml",
        };
        let canonical_path = dir.join(format!("{matter}.canonical.json"));
        let local_path = dir.join(format!("{matter}.local.{ext}"));
        let canonical: Value = match std::fs::read_to_string(&canonical_path) {
            Ok(t) => serde_json::from_str(&t).expect("canonical golden is JSON"),
            Err(_) => {
                failures.push(format!(
                    "{}: no {}",
                    adapter.source,
                    canonical_path.display()
                ));
                continue;
            }
        };
        let report = adapter.matter.check_submission(&canonical);
        if !report.is_ok() {
            failures.push(format!(
                "{}: canonical golden invalid: {:?}",
                adapter.source, report.violations
            ));
            continue;
        }
        if regenerate {
            let bytes = adapter
                .render(&canonical)
                .unwrap_or_else(|r| panic!("{}: {r}", adapter.source));
            std::fs::write(&local_path, bytes).expect("write golden");
        }
        let local = std::fs::read(&local_path)
            .unwrap_or_else(|_| panic!("missing {}", local_path.display()));
        let ct = adapter.content_type();
        match adapter.translate(&local, Some(&ct)) {
            Ok(t) => {
                if t.canonical != canonical {
                    failures.push(format!(
                        "{}: inbound differs\n got: {}\nwant: {}",
                        adapter.source, *t.canonical, canonical
                    ));
                }
                if !t.warnings.is_empty() {
                    failures.push(format!("{}: warnings {:?}", adapter.source, t.warnings));
                }
                match adapter.render(&t.canonical) {
                    Ok(again) if again == local => {}
                    Ok(again) => failures.push(format!(
                        "{}: round trip differs\n got: {}\nwant: {}",
                        adapter.source,
                        String::from_utf8_lossy(&again),
                        String::from_utf8_lossy(&local)
                    )),
                    Err(r) => failures.push(format!("{}: outbound: {r}", adapter.source)),
                }
            }
            Err(r) => failures.push(format!("{}: inbound rejected:\n{r}", adapter.source)),
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(checked >= 18, "only {checked} adapters checked");
}

#[test]
fn six_regions_with_at_least_three_matters_each() {
    let registry = Registry::builtin().expect("builtin specs compile");
    for region in ["440000", "330000", "340000", "310000", "510000", "500000"] {
        let matters = registry.matters_of(region);
        assert!(matters.len() >= 3, "{region}: {matters:?}");
    }
}

#[test]
fn the_builtin_listing_names_every_spec_file() {
    let mut on_disk = vec!["codes.json".to_string()];
    let mut regions: Vec<_> = std::fs::read_dir(regions_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .collect();
    regions.sort_by_key(|e| e.file_name());
    for r in regions {
        let mut files: Vec<_> = std::fs::read_dir(r.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".json"))
            .collect();
        files.sort();
        for f in files {
            on_disk.push(format!("{}/{f}", r.file_name().to_string_lossy()));
        }
    }
    let src = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/builtin.rs"))
        .unwrap();
    for f in &on_disk {
        assert!(
            src.contains(&format!("\"{f}\"")),
            "src/builtin.rs does not list {f}"
        );
    }
}
