//! Throughput of translation + validation for typical forms, single-threaded. Ignored by default;
//! run it in a release build (the figure is recorded in docs/performance.md):
//!
//!     cargo test --release -p tongban-adapters --test bench -- --ignored --nocapture
//!
//! Wall-clock figures depend on the machine's load; instruction counts do not. `instructions`
//! translates one form (`TONGBAN_BENCH_FORM`, default `330000/hukou-transfer`) a fixed number of
//! times (`TONGBAN_BENCH_COUNT`, default 100) inside `counted`, so callgrind can count exactly that
//! work:
//!
//!     valgrind --tool=callgrind --toggle-collect='*counted*' \
//!         target/release/deps/bench-… instructions --ignored --nocapture

use std::hint::black_box;
use std::time::{Duration, Instant};

use tongban_adapters::{Adapter, Registry};

/// The local golden file of a builtin adapter.
fn golden(a: &Adapter) -> Vec<u8> {
    let ext = match a.format {
        tongban_adapters::spec::Format::Json => "json",
        tongban_adapters::spec::Format::Xml => "xml",
    };
    std::fs::read(format!(
        "{}/regions/{}/golden/{}.local.{ext}",
        env!("CARGO_MANIFEST_DIR"),
        a.region,
        a.matter.code
    ))
    .unwrap()
}

#[inline(never)]
fn counted(a: &Adapter, bytes: &[u8], ct: &str, n: usize) {
    for _ in 0..n {
        let t = a.translate(black_box(bytes), Some(ct));
        assert!(black_box(t).is_ok());
    }
}

#[test]
#[ignore = "for callgrind: run with --ignored, see the module comment"]
fn instructions() {
    let form =
        std::env::var("TONGBAN_BENCH_FORM").unwrap_or_else(|_| "330000/hukou-transfer".into());
    let (region, matter) = form.split_once('/').unwrap();
    let a = Registry::builtin().unwrap().get(region, matter).unwrap();
    let bytes = golden(a);
    let ct = a.content_type();
    // Once outside the count: compiles the canonical schema.
    assert!(a.translate(&bytes, Some(&ct)).is_ok());
    // Translations counted (`TONGBAN_BENCH_COUNT`, default 100): the difference between two
    // counts, divided by the difference of the counts, is the cost of one form.
    let n = std::env::var("TONGBAN_BENCH_COUNT")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    counted(a, &bytes, &ct, n);
    println!("{form}: {n} translations counted");
}

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
