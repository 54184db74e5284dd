//! `tongban load --url URL --tokens FILE [--duration SECS] [--concurrency N] [--format text|json]
//! [--soak [--pid PID] [--sample-every SECS]]`
//!
//! Drives mixed traffic at a running gateway over loopback and reports what it saw: throughput,
//! latency percentiles per operation, and every answer by status. `--concurrency` workers each hold
//! one keep-alive connection and run whole application journeys (see [`scenario`]) until
//! `--duration` ends; a journey cut by the deadline simply stops. Any status an operation does not
//! expect counts as an error and makes the command exit 1.
//!
//! The gateway's default limits (200 requests a second and 4 GiB of writes a day per region) would
//! turn a load run into a test of them: run it with `tongban serve --rate-limit off --write-quota
//! off`.
//!
//! `--soak` also samples the gateway's resident memory (VmRSS in `/proc/<pid>/status`, so the
//! gateway must run on this machine) every `--sample-every` seconds, PID from `--pid` or else from
//! `GET /healthz`, which gives it to an operator's token (the tokens file's `operator`, as
//! `--demo` writes it), and says whether it stayed flat: the mean of the last third of the samples
//! within 10% of the middle third's (the first third is warm-up: caches and allocator arenas fill).

pub(crate) mod client;
mod scenario;
mod stats;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::output::{out, outln};
use super::{Args, CliError};
use client::Client;
use scenario::{Plan, Worker};
use stats::Recorder;
pub(crate) use stats::quantile;

/// Growth of the last third over the middle third of RSS samples still called flat.
const FLAT_GROWTH: f64 = 0.10;

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let url = args
        .value("url")
        .unwrap_or_else(|| "http://127.0.0.1:8080".into());
    let addr = url
        .strip_prefix("http://")
        .ok_or_else(|| CliError("--url: only http:// (the gateway on loopback)".into()))?
        .trim_end_matches('/')
        .to_string();
    let tokens_path = args
        .value("tokens")
        .ok_or_else(|| CliError("--tokens <demo-tokens.json> is required".into()))?;
    let number = |v: Option<String>, name: &str, default: u64| -> Result<u64, CliError> {
        v.map_or(Ok(default), |t| {
            t.trim_end_matches('s')
                .parse()
                .map_err(|_| CliError(format!("--{name}: expected a whole number")))
        })
    };
    let duration = Duration::from_secs(number(args.value("duration"), "duration", 10)?);
    let concurrency = usize::try_from(number(args.value("concurrency"), "concurrency", 16)?)
        .map_err(|_| CliError("--concurrency: too large".into()))?
        .max(1);
    let soak = args.flag("soak");
    let pid = args
        .value("pid")
        .map(|p| number(Some(p), "pid", 0))
        .transpose()?;
    let every = Duration::from_secs(number(args.value("sample-every"), "sample-every", 5)?.max(1));
    let json_out = match args.value("format").as_deref() {
        None | Some("text") => false,
        Some("json") => true,
        Some(other) => {
            return Err(CliError(format!(
                "--format: text or json, not {}",
                tongban_gateway::shown::said(other, tongban_gateway::shown::code)
            )));
        }
    };
    args.finish()?;

    let text = tongban_adapters::codec::read_utf8(&tokens_path)
        .map_err(|e| CliError(format!("{tokens_path}: {e}")))?;
    let tokens: BTreeMap<String, String> = serde_json::from_str(&text).map_err(|e| {
        // serde quotes the value it could not take: a token file is secrets, and an ID
        // number or a phone put in one is masked too.
        CliError(format!(
            "{tokens_path}: {}",
            tongban_schemas::mask::serde_error(&e)
        ))
    })?;
    let regions = scenario::regions(&tokens);
    let operator = tokens.get("operator").cloned();
    if regions.len() < 3 {
        return Err(CliError(format!(
            "{tokens_path}: needs at least three regions (joint mode has two handlers besides the origin)"
        )));
    }
    let runtime = tokio::runtime::Runtime::new()?;
    let report = runtime.block_on(drive(
        addr,
        regions,
        duration,
        concurrency,
        soak,
        match pid {
            Some(p) => Pid::Given(p),
            None => Pid::Healthz(operator),
        },
        every,
    ))?;
    if json_out {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", render(&report))?;
    }
    let failed = report["unexpected_total"].as_u64().unwrap_or(1) > 0
        || report["requests"].as_u64().unwrap_or(0) == 0;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Where `--soak` takes the gateway's pid from.
enum Pid {
    /// `--pid`.
    Given(u64),
    /// `GET /healthz`, which gives it to an operator's token only: the tokens file's
    /// `operator`, if it has one.
    Healthz(Option<String>),
}

async fn get_json(client: &mut Client, path: &str, token: Option<&str>) -> Result<Value, CliError> {
    let a = client
        .send("GET", path, token, &[], None)
        .await
        .map_err(|e| CliError(format!("GET {path}: {e}")))?;
    if a.status != 200 {
        return Err(CliError(format!("GET {path}: {}", a.status)));
    }
    Ok(serde_json::from_slice(&a.body)?)
}

async fn drive(
    addr: String,
    regions: Vec<(String, String)>,
    duration: Duration,
    concurrency: usize,
    soak: bool,
    pid: Pid,
    every: Duration,
) -> Result<Value, CliError> {
    let mut probe = Client::new(&addr);
    let matters = scenario::matters(&get_json(&mut probe, "/v1/matters", None).await?);
    let pid = match (soak, pid) {
        (false, _) => None,
        (true, Pid::Given(p)) => Some(p),
        (true, Pid::Healthz(operator)) => Some(
            get_json(&mut probe, "/healthz", operator.as_deref()).await?["pid"]
                .as_u64()
                .ok_or_else(|| {
                    CliError(
                        "--soak: /healthz gives the pid to an operator's token only, and the \
                         tokens file has no \"operator\" it accepts; add one \
                         (`tongban regions operator`) or pass --pid"
                            .into(),
                    )
                })?,
        ),
    };
    let seed = u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
            % u128::from(u64::MAX),
    )
    .unwrap_or(1);
    let started = Instant::now();
    let plan = Arc::new(Plan {
        matters,
        regions,
        deadline: started + duration,
        run: format!("{seed:x}"),
    });
    let sampler = pid.map(|p| tokio::spawn(sample_rss(p, every, started + duration)));
    let mut handles = Vec::with_capacity(concurrency);
    for id in 0..concurrency {
        let plan = Arc::clone(&plan);
        let addr = addr.clone();
        handles.push(tokio::spawn(async move {
            Worker::new(&plan, &addr, id, seed).run().await
        }));
    }
    let mut total = Recorder::default();
    for h in handles {
        match h.await {
            Ok(rec) => total.merge(rec),
            Err(e) => return Err(CliError(format!("a load worker failed: {e}"))),
        }
    }
    let mut report = total.report(started.elapsed(), concurrency);
    if let Some(s) = sampler {
        let samples = s
            .await
            .map_err(|e| CliError(format!("the RSS sampler failed: {e}")))??;
        report["soak"] = soak_verdict(pid.unwrap_or_default(), &samples);
    }
    Ok(report)
}

/// VmRSS of `pid` in KiB.
pub(crate) fn rss_kib(pid: u64) -> Result<u64, CliError> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).map_err(|e| CliError(format!("{path}: {e}")))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| CliError(format!("{path}: no VmRSS")))
}

/// `(seconds since start, KiB)` every `every` until `end`, and once at the end.
async fn sample_rss(pid: u64, every: Duration, end: Instant) -> Result<Vec<(u64, u64)>, CliError> {
    let start = Instant::now();
    let mut out = vec![(0, rss_kib(pid)?)];
    while Instant::now() + every <= end {
        tokio::time::sleep(every).await;
        out.push((start.elapsed().as_secs(), rss_kib(pid)?));
    }
    tokio::time::sleep(end.saturating_duration_since(Instant::now())).await;
    out.push((start.elapsed().as_secs(), rss_kib(pid)?));
    Ok(out)
}

fn mean(xs: &[(u64, u64)]) -> f64 {
    xs.iter().map(|(_, k)| *k as f64).sum::<f64>() / xs.len().max(1) as f64
}

fn soak_verdict(pid: u64, samples: &[(u64, u64)]) -> Value {
    let third = samples.len() / 3;
    let middle = samples.get(third..2 * third).unwrap_or_default();
    let last = samples.get(2 * third..).unwrap_or_default();
    let growth = if middle.is_empty() {
        0.0
    } else {
        mean(last) / mean(middle) - 1.0
    };
    json!({
        "pid": pid,
        "samples": samples.iter().map(|(t, k)| json!({"t_s": t, "rss_kib": k})).collect::<Vec<_>>(),
        "rss_first_kib": samples.first().map(|s| s.1),
        "rss_last_kib": samples.last().map(|s| s.1),
        "rss_max_kib": samples.iter().map(|s| s.1).max(),
        "growth_last_vs_middle_third_pct": (growth * 1000.0).round() / 10.0,
        "flat": !middle.is_empty() && growth < FLAT_GROWTH,
    })
}

/// The report as a table for people.
fn render(r: &Value) -> String {
    let mut out = format!(
        "{} requests in {} s over {} connections: {} req/s, {} journeys completed\n\n",
        r["requests"],
        r["elapsed_s"],
        r["concurrency"],
        r["throughput_rps"],
        r["journeys_completed"]
    );
    out.push_str(&format!(
        "{:<20} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}\n",
        "operation", "count", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms"
    ));
    // `Value`'s Display ignores width, so each cell is made a `String` first.
    let row = |name: &str, o: &Value| {
        let c = |k: &str| o[k].to_string();
        format!(
            "{:<20} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}\n",
            name,
            c("count"),
            c("rps"),
            c("p50_ms"),
            c("p90_ms"),
            c("p99_ms"),
            c("max_ms")
        )
    };
    if let Some(ops) = r["operations"].as_object() {
        for (name, o) in ops {
            out.push_str(&row(name, o));
        }
    }
    out.push_str(&row("(all)", &r["all"]));
    out.push_str("\nstatuses:\n");
    if let Some(ops) = r["statuses"].as_object() {
        for (name, s) in ops {
            out.push_str(&format!("  {name:<20} {s}\n"));
        }
    }
    out.push_str(&format!("unexpected: {}\n", r["unexpected_total"]));
    if let Some(samples) = r["unexpected_samples"].as_array() {
        for s in samples {
            out.push_str(&format!("  {}\n", s.as_str().unwrap_or_default()));
        }
    }
    if let Some(soak) = r.get("soak") {
        out.push_str(&format!(
            "\nsoak: gateway pid {} RSS {} KiB at start, {} KiB at end, {} KiB max; last third vs middle third {}%: {}\n",
            soak["pid"],
            soak["rss_first_kib"],
            soak["rss_last_kib"],
            soak["rss_max_kib"],
            soak["growth_last_vs_middle_third_pct"],
            if soak["flat"] == json!(true) { "flat" } else { "NOT flat" }
        ));
    }
    out
}
