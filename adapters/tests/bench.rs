//! Throughput of translation + validation for typical forms, single-threaded. Ignored by default;
//! run it in a release build (the figure is recorded in docs/performance.md):
//!
//!     cargo test --release -p tongban-adapters --test bench -- --ignored --nocapture

use std::time::{Duration, Instant};

use tongban_adapters::Registry;

fn measure(region: &str, matter: &str, file: &str) -> f64 {
    let a = Registry::builtin().unwrap().get(region, matter).unwrap();
    let bytes = std::fs::read(format!(
        "{}/regions/{region}/golden/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let ct = a.content_type();
    // Warm up (compiles the canonical schema once), then count for about two seconds.
    for _ in 0..1_000 {
        assert!(a.translate(&bytes, Some(&ct)).is_ok());
    }
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(2) {
        for _ in 0..1_000 {
            let t = a.translate(&bytes, Some(&ct));
            assert!(t.is_ok());
        }
        n += 1_000;
    }
    let per_sec = n as f64 / start.elapsed().as_secs_f64();
    println!(
        "{region}/{matter} ({} bytes, {}): {per_sec:.0} forms/s ({:.1} µs per form: decode, map, validate)",
        bytes.len(),
        ct,
        1e6 / per_sec
    );
    per_sec
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn translation_and_validation_throughput() {
    let json = measure("440000", "medical-filing", "medical-filing.local.json");
    let xml = measure(
        "310000",
        "social-security-card",
        "social-security-card.local.xml",
    );
    let list = measure("330000", "hukou-transfer", "hukou-transfer.local.json");
    let joined = measure("340000", "pension-transfer", "pension-transfer.local.json");
    let slowest = json.min(xml).min(list).min(joined);
    println!("slowest: {slowest:.0} forms/s per core");
}

#[test]
#[ignore = "benchmark: run in release with --ignored --nocapture"]
fn where_the_time_goes() {
    let a = Registry::builtin()
        .unwrap()
        .get("330000", "hukou-transfer")
        .unwrap();
    let bytes = std::fs::read(format!(
        "{}/regions/330000/golden/hukou-transfer.local.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let canonical = a.translate(&bytes, None).unwrap().canonical;
    let time = |label: &str, f: &dyn Fn()| {
        for _ in 0..1_000 {
            f();
        }
        let start = Instant::now();
        for _ in 0..20_000 {
            f();
        }
        println!(
            "{label}: {:.1} µs",
            start.elapsed().as_secs_f64() * 1e6 / 20_000.0
        );
    };
    time("parse JSON", &|| {
        let _ = a.read_local(&bytes, None);
    });
    time("canonical check_submission", &|| {
        let _ = a.matter.check_submission(&canonical);
    });
    time("whole translate", &|| {
        let _ = a.translate(&bytes, None);
    });
}
