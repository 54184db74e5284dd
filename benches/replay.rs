//! Replay, rebuild and verification speed against simply reading the same events.
//!
//! `cargo bench --bench replay` (events: `TONGBAN_BENCH_EVENTS`, default 1,000,000). Builds a log
//! of realistic applications (every matter's example submission, then forward → accept → approve →
//! issue → deliver), sealed and signed like the gateway does, appended through the embedded log
//! with many appends in flight; then measures a raw scan of the log, a projection rebuild (seals
//! checked, then `--trust-log`) and a full chain verification over it, and prints each with its
//! ratio to the raw scan.
//!
//! For profiling: `TONGBAN_BENCH_DIR=<dir>` writes the log there and keeps it, and a later run with
//! the same directory reuses it (no write phase); `TONGBAN_BENCH_SKIP_VERIFY=1` skips verification.
//! `TONGBAN_BENCH_NATS=<url>` measures the same on a JetStream stream (`TONGBAN`, created on a
//! server of your own, reused when it already holds events) instead of the embedded log.

use std::sync::Arc;
use std::time::Instant;

use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::log::{AnyLog, EmbeddedLog, EventLog, JetStreamConfig, JetStreamLog};
use tongban_gateway::projections::rebuild::rebuild;
use tongban_gateway::sample::{
    EVENTS_PER_APP, REBUILDS, read_everything, rebuild_seals, write_lifecycles,
};

/// CPU seconds (user + system, all threads) this process has used so far.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at the last ')'.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the command); Linux
    // counts them in USER_HZ, 100 on every mainstream configuration.
    (ticks(11) + ticks(12)) / 100.0
}

fn rate(n: u64, secs: f64) -> String {
    format!("{:>10.0} events/s", n as f64 / secs)
}

/// Write: many applications in flight, each appending its events in order.
async fn write(log: &Arc<AnyLog>, key: &GatewayKey, apps: usize) {
    let started = Instant::now();
    let writers = 64;
    write_lifecycles(log, key, apps, writers)
        .await
        .expect("write");
    let total = *log.head().borrow();
    let write_secs = started.elapsed().as_secs_f64();
    let per_fsync = match &**log {
        AnyLog::Embedded(l) => {
            let stats = l.sync_stats();
            format!(
                " ({:.1} events per fsync)",
                stats.events as f64 / stats.syncs.max(1) as f64
            )
        }
        AnyLog::JetStream(_) => String::new(),
    };
    println!(
        "write (seal + durable append, {writers} writers): {}{per_fsync}",
        rate(total, write_secs),
    );
}

fn main() {
    let target: u64 = std::env::var("TONGBAN_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let apps = (target / EVENTS_PER_APP) as usize;
    let kept = std::env::var_os("TONGBAN_BENCH_DIR").map(std::path::PathBuf::from);
    let dir = kept.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tongban-bench-replay-{}", std::process::id()))
    });
    let nats = std::env::var("TONGBAN_BENCH_NATS").ok();
    let reuse_dir = kept.is_some() && dir.join("log").exists();
    if !reuse_dir {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let log = Arc::new(match &nats {
            Some(url) => AnyLog::JetStream(
                JetStreamLog::open(&JetStreamConfig::new(url.as_str()))
                    .await
                    .expect("open stream"),
            ),
            None => AnyLog::Embedded(EmbeddedLog::open(&dir.join("log")).expect("open log")),
        });
        let held = *log.head().borrow();
        let reuse = held > 0;
        let key = GatewayKey::from_seed([42; 32]);
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        if reuse {
            println!(
                "machine: {cores} cores; reusing the {} log of {held} events",
                log.backend()
            );
        } else {
            println!(
                "machine: {cores} cores; {} log; events: {} ({apps} applications × {EVENTS_PER_APP})",
                log.backend(),
                apps as u64 * EVENTS_PER_APP,
            );
            write(&log, &key, apps).await;
        }

        // Raw: read every event back, decoded.
        let started = Instant::now();
        let cpu = cpu_secs();
        let n = read_everything(&*log).await.expect("read");
        let raw_secs = started.elapsed().as_secs_f64();
        println!(
            "raw read:                                  {}  (CPU {:.1} s in {raw_secs:.1} s)",
            rate(n, raw_secs),
            cpu_secs() - cpu
        );

        // `tongban rebuild` three ways (`sample::REBUILDS`).
        let projections = dir.join("projections");
        for (stage, label) in REBUILDS.iter().enumerate() {
            let seals = rebuild_seals(stage, &projections, &key).expect("heads");
            let started = Instant::now();
            let cpu = cpu_secs();
            let (_, filled) = rebuild(&*log, &projections, &Calendar::weekdays(), seals, |_, _| {})
                .await
                .expect("rebuild");
            let rebuild_secs = started.elapsed().as_secs_f64();
            println!(
                "{:<41}  {}  ({:.0}% of raw read speed; CPU {:.1} s in {rebuild_secs:.1} s; {} vouched for by heads, {} heads written)",
                format!("rebuild projections ({label}):"),
                rate(filled.events, rebuild_secs),
                raw_secs / rebuild_secs * 100.0,
                cpu_secs() - cpu,
                filled.attested,
                filled.written,
            );
        }

        if std::env::var_os("TONGBAN_BENCH_SKIP_VERIFY").is_some() {
            return;
        }
        let started = Instant::now();
        let report = tongban_replay::verify::verify_all(&*log, &key.public(), |_, _| {})
            .await
            .expect("verify");
        let verify_secs = started.elapsed().as_secs_f64();
        assert!(report.broken.is_empty());
        println!(
            "verify chains + signatures:                {}  ({:.0}% of raw read speed)",
            rate(report.events, verify_secs),
            raw_secs / verify_secs * 100.0
        );
    });
    if kept.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
