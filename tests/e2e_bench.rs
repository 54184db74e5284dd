//! `tongban bench` end to end, small: every stage runs for real (fjall, a PostgreSQL cluster
//! driven by pgbench, nats-server single and three-node cluster, gateways over HTTP on each backend,
//! the growth and replay stages) and reports figures, goals and no errors. The numbers themselves
//! are the bench's business (docs/performance.md); this checks the command a newcomer runs works.

mod common;

use std::process::Command;

use common::{BIN, TempDir};
use serde_json::Value;

/// Runs `tongban bench --duration 1 --format json` with `args`, its data under `dir`; the report,
/// once the run succeeded with no stage failing.
fn bench(dir: &TempDir, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .args(["bench", "--duration", "1", "--format", "json"])
        .args(args)
        .arg("--work")
        .arg(dir.0.join("work"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A stage's errors are in the report on stdout, not on stderr.
    assert!(
        out.status.success(),
        "bench failed: {stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["failures"], serde_json::json!([]), "{report:#}");
    report
}

/// The keys of the stages a report holds, in its order.
fn stage_keys(report: &Value) -> Vec<&str> {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect()
}

#[test]
fn every_stage_measures_and_every_goal_is_judged() {
    let dir = TempDir::new("bench");
    let report = bench(
        &dir,
        &[
            "--clients",
            "4",
            "--apps",
            "300",
            "--events",
            "600",
            "--depth",
            "66",
        ],
    );
    let stages = stage_keys(&report);
    for want in [
        "raw-fjall",
        "postgres",
        "tongban-embedded",
        "tongban-embedded-half",
        "raw-fjall-half",
        "paired-raw-fjall",
        "paired-tongban",
        "raw-jetstream-r1",
        "tongban-jetstream-r1",
        "raw-jetstream-r3",
        "tongban-jetstream-r3",
    ] {
        assert!(stages.contains(&want), "{want} missing from {stages:?}");
    }
    for s in report["stages"].as_array().unwrap() {
        assert!(s["ops"].as_u64().unwrap() > 0, "{s}");
        assert_eq!(s["errors"], 0, "{s}");
        assert!(
            s["p99_ms"].as_f64().unwrap() >= s["p50_ms"].as_f64().unwrap(),
            "{s}"
        );
        assert!(s["p50_ms"].as_f64().unwrap() > 0.0, "{s}");
    }

    // The gateway stages carry the gateway's own figures over the stage: every request the
    // bench counted was timed by the gateway, and went through one append (a group commit on the
    // embedded log, a publish acked on JetStream) and one projection batch.
    for key in [
        "tongban-embedded",
        "tongban-embedded-half",
        "tongban-jetstream-r1",
        "tongban-jetstream-r3",
    ] {
        let s = report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == key)
            .unwrap();
        let inside = &s["inside_gateway"];
        let count = |part: &str| inside[part]["count"].as_u64().unwrap();
        assert!(count("requests") >= s["ops"].as_u64().unwrap(), "{s}");
        let appends = if key.contains("embedded") {
            assert_eq!(count("publish_acks"), 0, "{s}");
            "group_commits"
        } else {
            assert_eq!(count("group_commits"), 0, "{s}");
            "publish_acks"
        };
        assert!(count(appends) >= 1, "{s}");
        assert!(count(appends) <= count("requests"), "{s}");
        assert!(count("projection_batches") >= 1, "{s}");
        assert!(
            count("projection_reads") >= count("projection_batches"),
            "{s}"
        );
        // A bucket bound, or null past the last one (over a second: a broken disk or server).
        let p99 = &inside[appends]["p99_ms_at_most"];
        assert!(p99.is_null() || p99.as_f64().unwrap() > 0.0, "{s}");
        // The gateway's writes over the stage, per event it appended: every event, over a
        // kilobyte, is written at least once (to the journal, or to the server's socket).
        let written = &inside["written"];
        let events = written["events"].as_u64().unwrap();
        assert!(events >= s["ops"].as_u64().unwrap(), "{s}");
        assert!(
            written["write_call_bytes"].as_u64().unwrap() >= events * 1000,
            "{s}"
        );
    }

    // Growth: checkpoints up to --apps, each with the gateway's memory and disk measured.
    let growth = report["growth"].as_array().unwrap();
    assert!(growth.len() >= 3, "{growth:?}");
    assert!(growth.last().unwrap()["applications"].as_u64().unwrap() >= 300);
    for c in growth {
        assert!(c["rss_kib"].as_u64().unwrap() > 1024, "{c}");
        assert!(c["rss_rest_kib"].as_u64().unwrap() > 1024, "{c}");
        // fjall's memtables hold the latest applications (none has been flushed this early),
        // and what fjall counts is part of the process's RSS.
        let stores = c["stores_rest_kib"].as_u64().unwrap();
        assert!(stores > 0, "{c}");
        assert!(stores < c["rss_rest_kib"].as_u64().unwrap(), "{c}");
        assert!(c["tables"].is_u64(), "{c}");
        assert!(
            c["rss_peak_kib"].as_u64().unwrap() >= c["rss_kib"].as_u64().unwrap(),
            "the segment's peak includes the checkpoint's own sample: {c}"
        );
        assert!(c["disk_bytes"].as_u64().unwrap() > 0, "{c}");
    }

    // Shape: one leg per form size, growing with its investors, then the applications taken
    // to 10 and then --depth events, every action answered with the next seq.
    let legs = |key: &str| -> Vec<&Value> {
        report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["stage"] == key)
            .collect()
    };
    let forms = legs("shape-form");
    assert_eq!(forms.len(), 4, "{forms:?}");
    for (leg, investors) in forms.iter().zip(["2", "16", "128", "1000"]) {
        let label = leg["label"].as_str().unwrap();
        assert!(
            label.starts_with(&format!("form with {investors} investors")),
            "{label}"
        );
        assert!(leg["server_cpu_us_per_op"].as_f64().unwrap() > 0.0, "{leg}");
    }
    let events = legs("shape-events");
    assert_eq!(events.len(), 10, "{events:?}");
    // On each backend, four clients, each application from 3 to 10 events, then from 10 to 66,
    // then its whole history (66 events, every answer checked) read back ten times, one read at a
    // time: past 64 events the gateway builds one history at a time for one caller and answers
    // a second asked meanwhile 503 (which a read leg of concurrent clients met at 1,000 events).
    for (legs, backend) in events[..6].chunks(3).zip(["embedded", "JetStream R1"]) {
        assert_eq!(legs[0]["ops"], 4 * 7, "{}", legs[0]);
        assert_eq!(legs[1]["ops"], 4 * 56, "{}", legs[1]);
        let label = legs[1]["label"].as_str().unwrap();
        assert!(
            label.contains(backend) && label.contains("10 → 66 events"),
            "{label}"
        );
        assert_eq!(legs[2]["ops"], 4 * 10, "{}", legs[2]);
        assert_eq!(legs[2]["errors"], 0, "{}", legs[2]);
        let label = legs[2]["label"].as_str().unwrap();
        assert!(
            label.contains("whole history read") && label.contains(backend),
            "{label}"
        );
    }
    // Then, through a second gateway on the same stream, each application moved on 66 more
    // times (--depth bounds the leg), every other action through the other gateway, each
    // answered with the next seq; both gateways' CPU counted. Then 20 more, 200 ms apart.
    for (in_turn, (spaced, events, actions)) in events[6..8].iter().zip([
        ("in turn,", "66 → 132 events", 66),
        ("in turn 200 ms apart", "132 → 152 events", 20),
    ]) {
        assert_eq!(in_turn["ops"], 4 * actions, "{in_turn}");
        assert_eq!(in_turn["errors"], 0, "{in_turn}");
        let label = in_turn["label"].as_str().unwrap();
        assert!(
            label.contains(&format!("two gateways {spaced}")) && label.contains(events),
            "{label}"
        );
        assert!(
            in_turn["server_cpu_us_per_op"].as_f64().unwrap() > 0.0,
            "{in_turn}"
        );
    }
    // Then 20 more, each read back through the other gateway until the read shows it: every
    // action shown (no error), one figure per action.
    let across = &events[8];
    assert_eq!(across["ops"], 4 * 20, "{across}");
    assert_eq!(across["errors"], 0, "{across}");
    let label = across["label"].as_str().unwrap();
    assert!(
        label.contains("time until a read through the other shows it")
            && label.contains("152 → 172 events"),
        "{label}"
    );
    // Then 20 more, each read once through the other gateway naming the action's position:
    // every read shows its action (no error).
    let after = &events[9];
    assert_eq!(after["ops"], 4 * 20, "{after}");
    assert_eq!(after["errors"], 0, "{after}");
    let label = after["label"].as_str().unwrap();
    assert!(
        label.contains("a read through the other naming its position")
            && label.contains("172 → 192 events"),
        "{label}"
    );
    // Each gateway's /metrics counted the reads it was sent (every other action's), each timed,
    // each reached.
    let reaching = after["read_after"]
        .as_array()
        .expect("both gateways' reads");
    assert_eq!(reaching.len(), 2, "{after}");
    for gateway in reaching {
        assert_eq!(gateway["waits"]["count"], 4 * 10, "{gateway}");
        assert_eq!(gateway["not_reached"], 0, "{gateway}");
        assert!(gateway["end_asked"].as_u64().is_some(), "{gateway}");
        // Its projector took batches during the leg: the other gateway's actions, pushed by the
        // stream's consumer (or read from the stream when the push had not brought them).
        assert!(
            gateway["projection_reads"]["count"].as_u64() > Some(0),
            "{gateway}"
        );
    }

    // Replay over the requested log: every pass counted every event.
    let replay = &report["replay"];
    assert_eq!(replay["events"], 600, "{replay}");
    for pass in [
        "raw_read_per_sec",
        "rebuild_each_per_sec",
        "rebuild_per_sec",
        "rebuild_trusted_per_sec",
        "verify_per_sec",
    ] {
        assert!(replay[pass].as_f64().unwrap() > 0.0, "{replay}");
    }
    // The raw read after the write and after each of the three rebuilds, each rebuild judged
    // against the two on either side of it.
    let reads = replay["raw_reads_per_sec"].as_array().unwrap();
    assert_eq!(reads.len(), 4, "{replay}");
    assert!(reads.iter().all(|r| r.as_f64() > Some(0.0)), "{replay}");
    assert_eq!(reads[0], replay["raw_read_per_sec"], "{replay}");
    assert!(
        replay["rebuild_vs_first_read"].as_f64() > Some(0.0),
        "{replay}"
    );

    // Every goal of the performance issue is judged from the figures.
    let goals: Vec<&str> = report["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["goal"].as_str().unwrap())
        .collect();
    assert_eq!(goals.len(), 7, "{goals:?}");
    // The embedded ratio from three pairs of alternating windows, each pair measured.
    assert_eq!(
        stages.iter().filter(|s| **s == "paired-raw-fjall").count(),
        3
    );
    assert_eq!(stages.iter().filter(|s| **s == "paired-tongban").count(), 3);
    let embedded = report["goals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["goal"] == "embedded: tongban / raw fjall")
        .unwrap();
    assert!(
        embedded["value"].as_str().unwrap().contains("(pairs "),
        "{embedded}"
    );
    assert!(goals.iter().any(|g| g.contains("PostgreSQL")));
    assert!(goals.iter().any(|g| g.contains("half of peak")));
    assert!(goals.iter().any(|g| g.contains("RSS")));
    assert!(goals.iter().any(|g| g.contains("rebuild")));

    // The bench's own directory under --work is gone afterwards.
    assert_eq!(std::fs::read_dir(dir.0.join("work")).unwrap().count(), 0);
}

#[test]
fn bad_options_are_refused_by_name() {
    let out = Command::new(BIN)
        .args(["bench", "--only", "fjall,nonsense"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--only") && err.contains("nonsense"), "{err}");
    let out = Command::new(BIN)
        .args(["bench", "--duration", "ten"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--duration"));
}

/// `--only embedded` runs the embedded gateway's two stages and raw fjall at the half-peak rate
/// (the floor under that stage's tail), nothing else: no NATS servers, no JetStream gateways.
#[test]
fn the_embedded_stage_runs_the_embedded_gateway_alone() {
    let dir = TempDir::new("bench-embedded");
    let report = bench(&dir, &["--only", "embedded", "--clients", "2"]);
    assert_eq!(
        stage_keys(&report),
        [
            "tongban-embedded",
            "tongban-embedded-half",
            "raw-fjall-half"
        ]
    );
    for stage in report["stages"].as_array().unwrap() {
        assert!(stage["ops"].as_u64().unwrap() > 0, "{stage:#}");
    }
}
