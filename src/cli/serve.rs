//! `tongban serve [--data DIR] [--listen IP:PORT] [--demo] [--adapters DIR]
//! [--rate-limit <per-second>[:<burst>]|off] [--write-quota <bytes>[KiB|MiB|GiB]|off]
//! [--shutdown-grace SECONDS] [--max-suspensions <n>|off]
//! [--nats URL [--nats-creds FILE] [--nats-replicas N]]`
//!
//! Local-form adapters are the builtin specs plus, when given, a directory of spec files
//! (`--adapters DIR`, else `<data>/adapters/` if it exists): a province added with files only.
//! `--rate-limit` bounds each region's requests, all its tokens together (token bucket; default 200/s, bursts of
//! 1000; operators exempt); over it the API answers 429 with `Retry-After`. `--write-quota` bounds
//! the bytes each region's writes carry per day (default 4GiB; `http::quota` says why), 429
//! `write-quota-exceeded` past it.
//! `--shutdown-grace` bounds how long a SIGTERM or SIGINT waits for the requests in flight
//! (default 30 s; `server::serve` says why nothing acknowledged is lost when it passes).
//! `--max-suspensions` bounds the suspensions (特别程序) one application may have (default 20,
//! `domain::Caps` says why); past it a suspension is refused, 409 `suspension-limit`. `off`
//! takes any number: for measures and tests that grow long histories.
//!
//! With `--nats` the event log is a JetStream stream shared by every gateway pointed at it; the
//! data directory still holds this gateway's projections, signing key and regions.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use tongban_gateway::demo;
use tongban_gateway::dir_lock::DirLock;
use tongban_gateway::domain::Caps;
use tongban_gateway::http::Limits;
use tongban_gateway::http::quota::WriteQuota;
use tongban_gateway::http::rate::RateLimit;
use tongban_gateway::log::{EventLog, JetStreamConfig};
use tongban_gateway::server::{self, DataDir, Opened};

use super::output::outln;
use super::{Args, CliError};

/// Threads for blocking work: the embedded log's reads (every action reads its application's
/// events) and the projector's batches. tokio allows 512 by default and starts one whenever all
/// are busy, so a 30-minute soak (8 connections of `tongban load`) ended with 17 of them, 26
/// threads in all. Each thread that allocated kept its own mimalloc heap of partly used pages:
/// when the soak stopped and the idle blocking threads exited (26 → 9 threads), RSS fell from 206
/// to 165 MiB, while heaptrack had seen a live heap of about 40 MiB under the same load, mostly
/// memtables (docs/performance.md, "Soak, 30 minutes"). The work is short CPU-bound reads from the page
/// cache, so more threads than cores only queue in the kernel instead of in tokio; two per core
/// keep one reading while another waits for the disk. Kept alive a minute so that bursts do not
/// churn them (each new thread starts its allocator caches afresh).
const BLOCKING_THREADS: usize = 4;

/// The longest `--shutdown-grace` taken: an hour. A supervisor kills a process that does not
/// stop long before that (systemd after 90 s by default), so a longer one is a typo.
const MAX_SHUTDOWN_GRACE_SECONDS: u64 = 3600;

/// The largest `--max-suspensions` taken as a number: more is `off` in all but name, and a
/// number that long is more likely a typo.
const MAX_SUSPENSIONS: u32 = 1_000_000;

/// The caps `--max-suspensions` gives: a whole number from 1 to [`MAX_SUSPENSIONS`], or `off`.
/// 0 is refused: 行政许可法 Art. 45 gives every handler its 特别程序, so a gateway that took no
/// suspension would refuse what the law allows.
fn parse_max_suspensions(text: &str) -> Result<Caps, CliError> {
    if text.trim() == "off" {
        return Ok(Caps::NONE);
    }
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_SUSPENSIONS).contains(n))
        .map(|suspensions| Caps { suspensions })
        .ok_or_else(|| {
            CliError(format!(
                "--max-suspensions: a whole number from 1 to {MAX_SUSPENSIONS} (the suspensions \
                 one application may have; default {}), or off, not {text:?}",
                Caps::DEFAULT.suspensions,
            ))
        })
}

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    let demo_mode = args.flag("demo");
    let default_dir = if demo_mode {
        "tongban-demo"
    } else {
        "tongban-data"
    };
    let dir = DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| default_dir.into()),
    ));
    let listen = parse_listen(
        &args
            .value("listen")
            .unwrap_or_else(|| "127.0.0.1:8080".into()),
    )?;
    let limits = Limits {
        requests: match args.value("rate-limit") {
            Some(text) => RateLimit::parse(&text).map_err(|e| CliError(e.to_string()))?,
            None => Some(RateLimit::DEFAULT),
        },
        writes: match args.value("write-quota") {
            Some(text) => WriteQuota::parse(&text).map_err(|e| CliError(e.to_string()))?,
            None => Some(WriteQuota::DEFAULT),
        },
    };
    let grace = match args.value("shutdown-grace") {
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| *s <= MAX_SHUTDOWN_GRACE_SECONDS)
            .map(Duration::from_secs)
            .ok_or_else(|| {
                CliError(format!(
                    "--shutdown-grace: a whole number of seconds from 0 to \
                     {MAX_SHUTDOWN_GRACE_SECONDS}, not {text:?}"
                ))
            })?,
        None => server::SHUTDOWN_GRACE,
    };
    let caps = match args.value("max-suspensions") {
        Some(text) => parse_max_suspensions(&text)?,
        None => Caps::DEFAULT,
    };
    let nats = match args.value("nats") {
        Some(url) => {
            let mut config = JetStreamConfig::new(url);
            config.creds = args.value("nats-creds").map(PathBuf::from);
            if let Some(n) = args.value("nats-replicas") {
                config.replicas = n
                    .parse()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| CliError("--nats-replicas: 1 to 5".into()))?;
            }
            Some(config)
        }
        None => None,
    };
    let adapters = args.value("adapters").map(PathBuf::from);
    args.finish()?;
    super::init_tracing();
    install_adapters(adapters, &dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .thread_keep_alive(Duration::from_secs(60))
        .build()?;
    // The data directory's lock, given back once the gateway has stopped serving: let go only
    // after the runtime's last tasks (the projector, which holds the stores) have ended below.
    let held = runtime.block_on(async move {
        // First: an address in use must fail the start before the data directory, its key and
        // its log are created.
        let listener = server::bind(listen).await?;
        match nats {
            Some(config) => {
                let opened = server::open_jetstream_capped(&dir, &config, caps).await?;
                run_gateway(opened, &dir, demo_mode, listener, limits, grace).await
            }
            None => {
                let opened = server::open_embedded_capped(&dir, caps)?;
                run_gateway(opened, &dir, demo_mode, listener, limits, grace).await
            }
        }
    })?;
    // Connections closed when the grace passed may have left a blocking read running: the
    // process does not wait on it (nothing it does is acknowledged to anyone).
    runtime.shutdown_timeout(Duration::from_secs(1));
    drop(held);
    Ok(ExitCode::SUCCESS)
}

/// The `--listen` address: an IP address and a port. The parser's own words ("invalid socket
/// address syntax") say neither what is expected nor that a host name is not taken.
fn parse_listen(text: &str) -> Result<SocketAddr, CliError> {
    text.trim().parse().map_err(|_| {
        CliError(format!(
            "--listen {text:?}: expected IP:PORT, an IP address and a port from 0 to 65535 \
             (e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080); a host name is not taken"
        ))
    })
}

async fn run_gateway<L: EventLog>(
    opened: Opened<L>,
    dir: &DataDir,
    demo_mode: bool,
    listener: tokio::net::TcpListener,
    limits: Limits,
    grace: Duration,
) -> Result<DirLock, CliError> {
    let tokens_file = dir.0.join("demo-tokens.json");
    // The demo's help reads its tokens file: printed only where there is one.
    let demo_help = demo_mode && prepare_demo(&opened, dir, &tokens_file).await?;
    if opened.book.snapshot().regions.is_empty() {
        if opened.gateway.log.backend() == "jetstream" {
            // Other gateways of the stream have their book: copying it keeps every token working
            // on every gateway, where regions added here would be this gateway's alone.
            tracing::warn!(
                "no region is registered, so no region can call this gateway: copy regions.json \
                 from the data directory of a gateway of this stream into {} (it takes effect \
                 without a restart), or, on the stream's first gateway, register each with \
                 `tongban regions add <code> <name> --data {}`",
                dir.0.display(),
                dir.0.display()
            );
        } else {
            tracing::warn!(
                "no region is registered, so no region can call this gateway: register each with \
                 `tongban regions add <code> <name> --data {}` (it takes effect without a restart)",
                dir.0.display()
            );
        }
    }
    let backend = opened.gateway.log.backend();
    let dir_shown = dir.0.display().to_string();
    // The data directory stays held until the gateway has stopped and its stores are closed
    // (the caller lets it go): a gateway started on it meanwhile is refused, not let in behind
    // this one.
    let Opened {
        gateway,
        book,
        lock,
    } = opened;
    server::serve(gateway, book, listener, limits, grace, |addr| {
        let announced =
            outln!("tongban listening on http://{addr} (data: {dir_shown}, log: {backend})")
                .and_then(|()| {
                    outln!(
                        "  模式注册表 schema registry: http://{addr}/registry · \
                             API: http://{addr}/openapi.json"
                    )
                })
                .and_then(|()| match demo_help {
                    true => print_demo_help(addr, &tokens_file),
                    false => Ok(()),
                });
        // The address is for whoever started the gateway; a stdout that cannot take it must
        // not stop the gateway from serving (a closed pipe is dropped quietly by `outln!`).
        if let Err(e) = announced {
            tracing::warn!(error = %e, "could not print the listening address");
        }
    })
    .await?;
    Ok(lock)
}

/// Makes the demo's regions, tokens and sample applications where they are not complete yet,
/// and says what it did; whether the demo's tokens file is there for the help to read.
///
/// Complete means the tokens file is there: [`demo::create_regions`] writes it last. A first
/// start killed before then (the regions are registered one by one) left a book without it,
/// which once counted as a demo to reuse, for good, and whose help then read a file that was
/// never written; such a start is finished here instead. A book holding anything `--demo` did
/// not make is an operator's (`--demo` given another gateway's data directory): nothing is added
/// to it.
async fn prepare_demo<L: EventLog>(
    opened: &Opened<L>,
    dir: &DataDir,
    tokens_file: &std::path::Path,
) -> Result<bool, CliError> {
    if tokens_file.is_file() {
        eprintln!("demo: reusing {}", dir.0.display());
        return Ok(true);
    }
    if !demo::is_demo_book(&opened.book.snapshot()) {
        eprintln!(
            "demo: {} holds regions or tokens that --demo did not make, and no \
             demo-tokens.json: nothing was added to its region book, which is served as it is",
            dir.0.display()
        );
        return Ok(false);
    }
    let (tokens, already) = demo::create_regions(&opened.book, tokens_file)?;
    if already > 0 {
        eprintln!(
            "demo: finishing the demo data of a first start that was interrupted: {already} \
             of its regions were registered already and were issued new tokens (their first \
             ones were shown to no one; demo data is throwaway)"
        );
    }
    // Sample applications go into an empty log only: a second gateway on a shared stream finds
    // the first one's there (and its actions would be refused).
    let held = *opened.gateway.log.head().borrow();
    if held == 0 {
        let n = demo::seed(&opened.gateway, &opened.book, &tokens).await?;
        eprintln!(
            "demo: created {} regions, an operator and {n} sample applications",
            tokens.len() - 1
        );
    } else {
        eprintln!(
            "demo: created {} regions and an operator; the log already holds events (up to \
             position {held}), so no sample applications were added",
            tokens.len() - 1
        );
    }
    Ok(true)
}

fn print_demo_help(addr: SocketAddr, tokens_file: &std::path::Path) -> Result<(), CliError> {
    let t = tokens_file.display();
    outln!(
        "\nTry it (tokens are in {t}):\n\
         \x20 GD=$(python3 -c 'import json;print(json.load(open(\"{t}\"))[\"440000\"])')\n\
         \x20 curl -s http://{addr}/v1/matters | python3 -m json.tool | head -40\n\
         \x20 curl -s -H \"Authorization: Bearer $GD\" http://{addr}/v1/regions/440000/inbox\n\
         See README.md for a walk-through from submission to delivery."
    )
}

/// Compiles the builtin adapter specs plus the directory's, once, before serving: a broken spec
/// stops the start with its file and field named, rather than failing requests later.
fn install_adapters(dir: Option<PathBuf>, data: &DataDir) -> Result<(), CliError> {
    let dir = dir.or_else(|| Some(data.0.join("adapters")).filter(|d| d.is_dir()));
    let registry = match &dir {
        Some(d) => tongban_adapters::Registry::with_dir(d)?,
        None => tongban_adapters::Registry::builtin()?.clone(),
    };
    tracing::info!(
        adapters = registry.len(),
        extra = dir
            .as_ref()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        "local-form adapters"
    );
    tongban_gateway::adapters::install(registry);
    Ok(())
}
