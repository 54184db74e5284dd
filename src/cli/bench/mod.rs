//! `tongban bench [--only STAGES] [--duration SECS] [--clients N] [--apps N] [--events N]
//! [--depth N] [--work DIR] [--format text|json]`
//!
//! Data goes to a fresh directory under `--work` (default: the system temp dir; it must be a real
//! disk, not tmpfs, or fsync is free), removed when the run ends; never inside a gateway's data
//! directory, where no command writes.
//!
//! One run, one machine, one event size, everything side by side: the raw engines' durable append
//! ceilings (fjall with group commit; JetStream R1 and R3), the PostgreSQL peer, tongban end to
//! end over HTTP on each backend (local forms through the adapters, validation, sealing, durable
//! append, 201), tongban at half its peak rate (open loop, p99) and raw fjall at that same rate
//! (the floor under that tail on this machine), the gateway's memory as stored
//! applications grow, and replay/rebuild against a raw read. Each figure is throughput plus
//! p50/p99 latency; then the ratios the performance goals are stated in, each marked met or not.
//!
//! Needs `nats-server` (as the tests do: `$NATS_SERVER_BIN` or on PATH) and PostgreSQL's server
//! binaries (`$PG_BIN`, else Debian's `/usr/lib/postgresql/<major>/bin`); `scripts/bench`
//! installs both and runs this with a release build. Exit 1 if any stage failed or erred.

mod forms;
mod gateway;
mod inside;
mod measure;
mod postgres;
mod raw_fjall;
mod raw_jetstream;
mod replay;
mod report;
mod shape;

#[path = "../../../gateway/src/testnats.rs"]
mod testnats;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::sample::lifecycle;

use super::output::{out, outln};
use super::{Args, CliError};
use report::Report;

/// The stages `--only` picks from. `http` is tongban end to end on every backend; `embedded` is
/// its embedded-log part alone (peak, half peak and raw fjall at that rate), for working on that path without starting
/// NATS clusters; `paired` is the embedded gateway and raw fjall in alternating windows
/// ([`PAIRS`]), for their ratio on a disk whose pace moves within a minute.
const STAGES: &[&str] = &[
    "fjall",
    "postgres",
    "jetstream",
    "http",
    "embedded",
    "paired",
    "growth",
    "shape",
    "replay",
];

/// Pairs of windows in the `paired` stage: raw fjall and the embedded gateway one after the
/// other, the order swapped every pair, so that a disk whose pace moves between the stages (by a
/// factor of 2.7 within a minute on these machines) moves both sides of a pair alike.
const PAIRS: usize = 3;

pub struct Settings {
    pub duration: Duration,
    pub clients: usize,
    pub apps: u64,
    pub events: u64,
    /// Events per application at the end of the shape stage's deepest leg.
    pub depth: u64,
    pub work: PathBuf,
}

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let number = |v: Option<String>, name: &str, default: u64| -> Result<u64, CliError> {
        v.map_or(Ok(default), |t| {
            t.replace('_', "").parse().map_err(|_| {
                CliError(format!(
                    "--{name}: expected a whole number, not {}",
                    tongban_gateway::shown::said(&t, tongban_gateway::shown::seq)
                ))
            })
        })
    };
    let only: Vec<String> = match args.value("only") {
        None => STAGES.iter().map(|s| s.to_string()).collect(),
        Some(list) => {
            let chosen: Vec<String> = list.split(',').map(|s| s.trim().to_string()).collect();
            if let Some(bad) = chosen.iter().find(|s| !STAGES.contains(&s.as_str())) {
                return Err(CliError(format!(
                    "--only: unknown stage {}; stages are {}",
                    tongban_gateway::shown::said(bad, tongban_gateway::shown::code),
                    STAGES.join(", ")
                )));
            }
            chosen
        }
    };
    let work = args
        .value("work")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let settings = Settings {
        duration: Duration::from_secs(number(args.value("duration"), "duration", 10)?.max(1)),
        clients: usize::try_from(number(args.value("clients"), "clients", 16)?.clamp(1, 1024))
            .unwrap_or(16),
        apps: number(args.value("apps"), "apps", 1_000_000)?.max(100),
        events: number(args.value("events"), "events", 1_000_000)?.max(6),
        depth: number(args.value("depth"), "depth", 1_000)?.clamp(4, 100_000),
        // A fresh directory of its own under --work, removed afterwards (never --work itself).
        work: work.join(format!("tongban-bench-{}", std::process::id())),
    };
    // Never among a gateway's files, as no command writes there ([`super::out_path`]).
    super::out_path::refuse_in_data_directory("--work", &work, &settings.work)?;
    let json = match args.value("format").as_deref() {
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
    std::fs::create_dir_all(&settings.work)?;
    let runtime = tokio::runtime::Runtime::new()?;
    let result = runtime.block_on(stages(&settings, &only));
    let _ = std::fs::remove_dir_all(&settings.work);
    let report = result?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&report.json())?)?;
    } else {
        out!("{}", report.text())?;
    }
    Ok(if report.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The sample events raw engines append: each matter's submission, sealed as the gateway seals
/// it, serialized as the logs store it.
fn payloads() -> Result<Vec<Vec<u8>>, CliError> {
    let key = GatewayKey::from_seed([42; 32]);
    let all = tongban_schemas::matters::all().len();
    let mut out = Vec::with_capacity(all);
    for i in 0..all {
        let events = lifecycle(i, &key).map_err(|e| CliError(e.to_string()))?;
        let first = events
            .first()
            .ok_or_else(|| CliError("an empty sample history".into()))?;
        out.push(serde_json::to_vec(first)?);
    }
    Ok(out)
}

fn say(line: &str) {
    eprintln!("bench: {line}");
}

async fn stages(s: &Settings, only: &[String]) -> Result<Report, CliError> {
    let on = |stage: &str| only.iter().any(|o| o == stage);
    let payloads = Arc::new(payloads()?);
    let mut report = Report::new(s, &payloads);
    let run = tongban_gateway::random::hex(8);

    if on("fjall") {
        say("raw fjall appends");
        let dir = s.work.join("fjall");
        let m = raw_fjall::run(&dir, Arc::clone(&payloads), s.clients, s.duration, None).await?;
        let _ = std::fs::remove_dir_all(&dir);
        report.row("raw-fjall", "raw fjall append (group commit, fsync)", m);
    }
    if on("postgres") {
        say("PostgreSQL appends (pgbench)");
        let work = s.work.clone();
        let p = Arc::clone(&payloads);
        let (clients, duration) = (s.clients, s.duration);
        let (m, version) =
            tokio::task::spawn_blocking(move || postgres::run(&work, &p, clients, duration))
                .await
                .map_err(|e| CliError(format!("PostgreSQL stage: {e}")))??;
        report.row(
            "postgres",
            &format!("{version} INSERT (synchronous_commit on)"),
            m,
        );
    }
    if on("http") || on("embedded") {
        say("tongban end to end, embedded log");
        let gw = gateway::GatewayProcess::start(&s.work, "gateway-embedded", None).await?;
        let (m, inside) = gw
            .inside(gw.submit_forms(s.clients, s.duration, None, &format!("{run}p")))
            .await?;
        let peak = m.per_sec();
        report.row_inside(
            "tongban-embedded",
            "tongban HTTP form submit, embedded log",
            m,
            inside,
        );
        if peak > 0.0 {
            let waited = gw.settle(Duration::from_secs(60)).await?;
            say(&format!(
                "tongban at half its peak rate, embedded log (after {:.1} s for the gateway to go idle)",
                waited.as_secs_f64()
            ));
            let (m, inside) = gw
                .inside(gw.submit_forms(
                    s.clients,
                    s.duration,
                    Some(peak / 2.0),
                    &format!("{run}h"),
                ))
                .await?;
            report.row_inside(
                "tongban-embedded-half",
                &format!("tongban at half peak ({:.0}/s, open loop)", peak / 2.0),
                m,
                inside,
            );
            drop(gw);
            say("raw fjall appends at that rate, open loop");
            let dir = s.work.join("fjall-half");
            let m = raw_fjall::run(
                &dir,
                Arc::clone(&payloads),
                s.clients,
                s.duration,
                Some(peak / 2.0),
            )
            .await?;
            let _ = std::fs::remove_dir_all(&dir);
            report.row(
                "raw-fjall-half",
                &format!(
                    "raw fjall append at that rate ({:.0}/s, open loop)",
                    peak / 2.0
                ),
                m,
            );
        }
    }
    if on("paired") {
        say("the embedded gateway and raw fjall in alternating windows");
        paired(s, &payloads, &mut report, &run).await?;
    }
    if on("jetstream") || on("http") {
        for replicas in [1usize, 3] {
            let nats = start_nats(replicas)?;
            if on("jetstream") {
                say(&format!("raw JetStream publishes R{replicas}"));
                let m = raw_jetstream::run(
                    &nats.urls(),
                    replicas,
                    Arc::clone(&payloads),
                    s.clients,
                    s.duration,
                )
                .await?;
                report.row(
                    if replicas == 1 {
                        "raw-jetstream-r1"
                    } else {
                        "raw-jetstream-r3"
                    },
                    &format!("raw JetStream publish+ack R{replicas} ({})", nats.version()),
                    m,
                );
            }
            if on("http") {
                say(&format!("tongban end to end, JetStream R{replicas}"));
                let gw = gateway::GatewayProcess::start(
                    &s.work,
                    &format!("gateway-r{replicas}"),
                    Some((&nats.urls(), replicas)),
                )
                .await?;
                let (m, inside) = gw
                    .inside(gw.submit_forms(
                        s.clients,
                        s.duration,
                        None,
                        &format!("{run}r{replicas}"),
                    ))
                    .await?;
                report.row_inside(
                    if replicas == 1 {
                        "tongban-jetstream-r1"
                    } else {
                        "tongban-jetstream-r3"
                    },
                    &format!("tongban HTTP form submit, JetStream R{replicas}"),
                    m,
                    inside,
                );
            }
        }
    }
    if on("growth") {
        say(&format!(
            "memory and cost as stored applications grow to {}",
            s.apps
        ));
        let gw = gateway::GatewayProcess::start(&s.work, "gateway-growth", None).await?;
        let checkpoints: Vec<u64> = [100, 30, 10, 3, 1]
            .iter()
            .map(|d| s.apps / d)
            .filter(|n| *n > 0)
            .collect();
        let mut last_said = std::time::Instant::now();
        let points = gateway::grow(&gw, s.clients, &checkpoints, &format!("{run}g"), |n, t| {
            if last_said.elapsed() > Duration::from_secs(15) {
                say(&format!("  {n} of {t} applications"));
                last_said = std::time::Instant::now();
            }
        })
        .await?;
        report.growth = points;
    }
    if on("shape") {
        say("cost by form size, then by events per application");
        let gw = gateway::GatewayProcess::start(&s.work, "gateway-shape", None).await?;
        let leg = (s.duration / 2).max(Duration::from_secs(1));
        for l in shape::form_sizes(&gw, s.clients, leg, &format!("{run}s")).await? {
            report.row("shape-form", &l.label, l.m);
        }
        let depth_run = format!("{run}d");
        let (legs, _) =
            shape::events_per_application(&gw, "embedded", s.clients, s.depth, &depth_run).await?;
        for l in legs {
            report.row("shape-events", &l.label, l.m);
        }
        drop(gw);
        say("cost by events per application, JetStream R1");
        let nats = start_nats(1)?;
        let gw =
            gateway::GatewayProcess::start(&s.work, "gateway-shape-r1", Some((&nats.urls(), 1)))
                .await?;
        let (legs, mut deep) =
            shape::events_per_application(&gw, "JetStream R1", s.clients, s.depth, &depth_run)
                .await?;
        for l in legs {
            report.row("shape-events", &l.label, l.m);
        }
        say("two gateways on one stream, acting in turn");
        let other = gateway::GatewayProcess::start_beside(
            &s.work,
            "gateway-shape-r1-b",
            (&nats.urls(), 1),
            &gw,
        )
        .await?;
        let pair = [&gw, &other];
        let actions = shape::IN_TURN.min(s.depth);
        let l = shape::two_gateways(pair, "JetStream R1", &mut deep, actions, None).await?;
        report.row("shape-events", &l.label, l.m);
        let (actions, pause) = (shape::IN_TURN_SPACED.min(s.depth), Some(shape::SPACED));
        let l = shape::two_gateways(pair, "JetStream R1", &mut deep, actions, pause).await?;
        report.row("shape-events", &l.label, l.m);
        let actions = shape::READ_ACROSS.min(s.depth);
        let l = shape::read_across(pair, "JetStream R1", &mut deep, actions).await?;
        report.row("shape-events", &l.label, l.m);
        let actions = shape::READ_AFTER.min(s.depth);
        let before = [gw.metrics().await?, other.metrics().await?];
        let l = shape::read_after(pair, "JetStream R1", &mut deep, actions).await?;
        let after = [gw.metrics().await?, other.metrics().await?];
        let reaching = ["first", "second"]
            .into_iter()
            .zip(before.iter().zip(&after))
            .map(|(name, (b, a))| inside::Reaching::between(name, b, a))
            .collect();
        report.row_reaching("shape-events", &l.label, l.m, reaching);
    }
    if on("replay") {
        say(&format!(
            "replay, rebuild and verify over {} events",
            s.events
        ));
        report.replay = Some(replay::run(&s.work, s.events).await?);
    }
    report.judge();
    Ok(report)
}

/// [`PAIRS`] pairs of closed-loop windows of half the stage duration (at least a second): raw
/// fjall appends into a fresh directory, and local-form submissions to one embedded gateway,
/// the gateway idle before each window so that its projections and compactions of the last one
/// do not slow the next. Rows `paired-raw-fjall` and `paired-tongban`, in pair order; the goal
/// takes the median of the pairs' ratios ([`report::Report::judge`]).
async fn paired(
    s: &Settings,
    payloads: &Arc<Vec<Vec<u8>>>,
    report: &mut Report,
    run: &str,
) -> Result<(), CliError> {
    let gw = gateway::GatewayProcess::start(&s.work, "gateway-paired", None).await?;
    let window = (s.duration / 2).max(Duration::from_secs(1));
    for pair in 0..PAIRS {
        let raw_first = pair % 2 == 0;
        for raw in [raw_first, !raw_first] {
            gw.settle(Duration::from_secs(60)).await?;
            if raw {
                let dir = s.work.join(format!("fjall-paired-{pair}"));
                let m = raw_fjall::run(&dir, Arc::clone(payloads), s.clients, window, None).await?;
                let _ = std::fs::remove_dir_all(&dir);
                let label = format!("pair {}: raw fjall append", pair + 1);
                report.row("paired-raw-fjall", &label, m);
            } else {
                let m = gw
                    .submit_forms(s.clients, window, None, &format!("{run}w{pair}"))
                    .await?;
                let label = format!("pair {}: tongban HTTP form submit, embedded", pair + 1);
                report.row("paired-tongban", &label, m);
            }
        }
    }
    Ok(())
}

/// A nats-server (R1) or a three-node cluster (R3) from the test harness, started on a thread so
/// that the harness's failure (a panic with instructions, e.g. no nats-server) becomes an error.
enum Nats {
    One(testnats::NatsServer),
    Three(testnats::NatsCluster),
}

impl Nats {
    fn urls(&self) -> String {
        match self {
            Nats::One(s) => s.url(),
            Nats::Three(c) => c.urls(),
        }
    }

    fn version(&self) -> String {
        let v = match self {
            Nats::One(s) => &s.version,
            Nats::Three(c) => &c.node(0).version,
        };
        format!("nats-server {v}")
    }
}

fn start_nats(replicas: usize) -> Result<Nats, CliError> {
    std::thread::spawn(move || {
        if replicas == 1 {
            Nats::One(testnats::NatsServer::start())
        } else {
            Nats::Three(testnats::NatsCluster::start())
        }
    })
    .join()
    .map_err(|panic| {
        let why = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown failure".into());
        CliError(format!("cannot start nats-server: {why}"))
    })
}

/// A free loopback port.
pub fn free_port() -> Result<u16, CliError> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Bytes under `dir`, recursively.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
