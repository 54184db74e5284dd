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
//!     valgrind --tool=callgrind --toggle-collect='bench::counted' \
//!         target/release/deps/bench-… instructions --ignored --nocapture
//!
//! `TONGBAN_BENCH_PART` counts one part of the work instead: `read` (the bytes decoded and read
//! into a form tree), `map` (the mapping, unknown-field scan and canonical schema check of an
//! already read form) or `check` (the canonical schema check alone).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::Value;
use tongban_adapters::local::{self, Local};
use tongban_adapters::spec::Format;
use tongban_adapters::{Adapter, Registry, xml};

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

/// The form's text, decoded as its region declares.
fn text(a: &Adapter, bytes: &[u8]) -> String {
    let charset = a.xml.as_ref().map_or("UTF-8", |x| x.charset.as_str());
    let enc = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap();
    enc.decode_without_bom_handling(bytes).0.into_owned()
}

fn read<'t>(a: &Adapter, text: &'t str) -> Local<'t> {
    match a.format {
        Format::Json => local::from_json(text).unwrap(),
        Format::Xml => xml::parse_local(text).unwrap().1,
    }
}

enum Part<'f> {
    Translate(&'f [u8], &'f str),
    Read(&'f str),
    Map(&'f Local<'f>),
    Check(&'f Value),
}

#[inline(never)]
fn counted(a: &Adapter, part: &Part<'_>, n: usize) {
    for _ in 0..n {
        match part {
            Part::Translate(bytes, ct) => {
                let t = a.translate(black_box(bytes), Some(ct));
                assert!(black_box(t).is_ok());
            }
            Part::Read(text) => {
                black_box(read(a, black_box(text)));
            }
            Part::Map(form) => {
                assert!(black_box(a.inbound_local(black_box(form))).is_ok());
            }
            Part::Check(canonical) => {
                assert!(black_box(a.matter.check_submission(black_box(canonical))).is_ok());
            }
        }
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
    let text = text(a, &bytes);
    let tree = read(a, &text);
    let canonical = a.inbound_local(&tree).unwrap().canonical;
    let part = std::env::var("TONGBAN_BENCH_PART").unwrap_or_default();
    let part = match part.as_str() {
        "read" => Part::Read(&text),
        "map" => Part::Map(&tree),
        "check" => Part::Check(&canonical),
        _ => Part::Translate(&bytes, &ct),
    };
    counted(a, &part, n);
    println!("{form}: {n} counted");
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
    let bytes = golden(a);
    let text = text(a, &bytes);
    let tree = read(a, &text);
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
    time("read the form (JSON into a Local tree)", &|| {
        black_box(read(a, black_box(&text)));
    });
    time("map, unknown fields, canonical check", &|| {
        let _ = black_box(a.inbound_local(black_box(&tree)));
    });
    time("canonical check_submission alone", &|| {
        let _ = black_box(a.matter.check_submission(black_box(&canonical)));
    });
    time("whole translate", &|| {
        let _ = black_box(a.translate(black_box(&bytes), None));
    });
}
