//! Command dispatch.

mod adapt;
mod args;
mod bench;
mod dispute;
mod find;
mod heads;
mod load;
pub(crate) mod log_copy;
mod offline;
mod out_path;
mod output;
mod progress;
mod rebuild;
mod rebuild_key;
mod reconcile;
mod regions;
mod replay;
mod schemas;
mod serve;
mod statistics;
mod verify;

use std::process::ExitCode;

pub use args::Args;
use output::out;

/// The usage of every command, as written: [`usage`] fills in the values named in braces
/// (`{DEFAULT_TOLERANCE_SECONDS}`) from the constants they name, so the help never drifts from
/// what the command does.
const USAGE: &str = "\
tongban — federation gateway for 跨省通办

usage:
  tongban help [<command>]                           this text, or one command's (as <command> --help)
  tongban --version                                  the version of this build
  tongban serve [--data DIR] [--listen IP:PORT] [--demo] [--rate-limit N[:BURST]|off]
      run the gateway (embedded log in DIR, default ./tongban-data; --demo: ./tongban-demo with
      six provinces, tokens in DIR/demo-tokens.json and sample applications)
      --adapters SPECDIR: local-form adapter specs besides the builtin ones (default DIR/adapters
      when it exists); see docs/adapters.md
      --rate-limit: each region's requests per second, all its tokens together (default 200,
      bursts of 1000; operators exempt); off for `tongban load`
      --write-quota BYTES[KiB|MiB|GiB]|off: the bytes each region's submissions and actions may
      carry per day, refilled evenly over the day (default 4GiB); off for `tongban load`
      --shutdown-grace SECONDS: how long SIGTERM/SIGINT waits for requests in flight before
      closing their connections and exiting (default 30; a second signal exits at once; nothing
      acknowledged is lost either way)
      --max-suspensions N|off: the suspensions (特别程序) one application may have (default 20);
      past it a suspension is refused (409 suspension-limit); off for `tongban bench`
  tongban serve --nats URL [--nats-creds FILE] [--nats-replicas N] [--data DIR] [--listen IP:PORT]
      the event log is the JetStream stream TONGBAN on nats-server >= 2.10 (created with N
      replicas, default 1, if missing); DIR keeps projections, the signing key and regions.
      URL may carry the NATS user (nats://user:password@host:4222); the rights it needs are in
      docs/operations.md, section NATS permissions
  tongban regions add <code> <name> [--label TEXT] [--data DIR]
                                                     register a region; prints its new token once
  tongban regions token <code> [--label TEXT] [--data DIR]
                                                     issue another token for a region (rotation)
  tongban regions operator [--label TEXT] [--data DIR]
                                                     issue an operator token
      --label: what the token is for (window system, adapter), shown by `regions list`
  tongban regions revoke <token-id> [--data DIR]     revoke a token (exit 1: it was revoked already)
  tongban regions key <code> <ed25519-public-key-hex> [--data DIR]
                                                     require the region to sign its POST requests
  tongban regions key <code> --remove [--data DIR]   stop requiring signatures
  tongban regions list [--data DIR]
      every region and its tokens, revoked ones too: id, kind, created and revoked (UTC), label
  tongban verify [--app ID | --heads FILE [--heads FILE]...] [--public-key HEX] [--data DIR] [--nats URL [--nats-creds FILE]]
      recheck every hash chain and signature (in the JetStream stream with --nats) against the
      gateway's public key as you hold it (GET /v1/keys), or else the one in DIR; --heads (once
      per party's file; a pipe, as <(curl …), too): each log head saved from GET /v1/log/head
      (JSON Lines) must be reproduced by the log
  tongban heads FILE... [--records FILE]... [--public-key HEX] [--data DIR]
      compare log heads saved by several parties (JSON Lines from GET /v1/log/head, a file per
      party) among themselves, without the log: two signed heads at one position with different
      hashes are FORKED; with --records (pages of GET /v1/log/records?after=N&to=M, in one file
      or several, each with its own --records), a head the one before it, carried forward over
      the records between, does not arrive at is INCONSISTENT
  tongban replay <app-id> [--at RFC3339|--seq N] [--format text|json|html] [--public-key HEX] [--data DIR] [--nats URL [--nats-creds FILE]]
      one application's timeline: who did what, when, the state and deadlines after each event
  tongban dispute <app-id> [--out FILE [--force]] [--public-key HEX] [--data DIR] [--nats URL [--nats-creds FILE]]
      the evidence report (HTML) for a dispute; --out writes no file over another (--force
      replaces one) and none inside a data directory
  tongban find --serial <serial> [--region <code>] [--data DIR] [--nats URL [--nats-creds FILE]]
      the applications a province's own serial names (the origin's Idempotency-Key, a handler's
      受理编号): one line each, app id, the region that gave it, as what; exit 1 when none
  tongban rebuild [--accept-lost] [--public-key HEX | --trust-log] [--data DIR] [--nats URL [--nats-creds FILE]]
      drop and rebuild every projection in DIR from the log (the stream with --nats); the gateway
      on DIR must be stopped, even with --nats (DIR's projections are what is rebuilt). Refused
      while the projections were applied past the log's end (it lost events they had seen),
      naming the positions lost, unless --accept-lost says they are gone for good. Every
      event's seal is checked (DIR's gateway.key, or --public-key), as the gateway checks it:
      one that does not verify holds its application; with neither it is refused (exit 2).
      --trust-log skips that check, most of the rebuild's cost, for a log `tongban verify` has
      just passed
  tongban reconcile --region <code> --records <file> [--encoding utf-8|gbk|gb18030] [--tolerance-seconds N] [--format text|json] [--public-key HEX] [--data DIR] [--nats URL [--nats-creds FILE]]
      compare a province's own records (JSONL or CSV: app or serial, status, updated_at) with the log,
      counting only events whose seal holds under DIR's gateway.key or --public-key (with neither
      it is refused, exit 2);
      --tolerance-seconds: how far a record's updated_at may be from the log's times before it is
      reported (0 to {MAX_TOLERANCE_SECONDS}, 30 days; default {DEFAULT_TOLERANCE_SECONDS})
  tongban statistics --region <code> [--at RFC3339] [--public-key HEX] [--data DIR] [--nats URL [--nats-creds FILE]]
      the region's statistics as they stood at an instant (default now), counted from the whole
      log: the JSON of GET /v1/regions/{region}/statistics?at= (write 2026-11-30 24:00 Beijing
      time as 2026-12-01T00:00:00+08:00); an event whose seal does not hold under the key
      (DIR's gateway.key, or --public-key) is not counted; with neither it is refused (exit 2)
  tongban adapt --region <code> --matter <code> [--reverse] [--charset GBK] [--specs DIR] < file
      translate a province's local form (JSON or XML) to the canonical body, or back with --reverse;
      problems are listed in the province's own field names (exit 1)
  tongban adapt --list [--specs DIR]                 the adapters: region, matter, content type
  (verify, replay, dispute, find, rebuild, reconcile and statistics read the log directly, without a gateway: with --data DIR
   the embedded log (stop the gateway first; the directory is locked while it runs), or with
   --nats URL [--nats-creds FILE] the JetStream stream; DIR still supplies the key and region names)
  tongban load --tokens FILE [--url http://127.0.0.1:8080] [--duration SECS] [--concurrency N]
      [--format text|json] [--soak [--pid PID] [--sample-every SECS]]
      drive mixed traffic (every mode, whole lifecycles, a tail of large submissions) at a running
      gateway and report throughput, latency p50/p90/p99/max per operation and errors by status;
      --soak also samples the gateway's RSS and says whether it stayed flat. Run the gateway with
      --rate-limit off --write-quota off, or the 200/s and 4 GiB a day per region defaults
      turn it into a test of the limits
  tongban bench [--only fjall,postgres,jetstream,http,embedded,paired,growth,shape,replay]
      [--duration SECS] [--clients N] [--apps N] [--depth N] [--events N] [--work DIR]
      [--format text|json]
      measure side by side: raw fjall and JetStream (R1, R3) appends, the PostgreSQL peer, tongban
      end to end over HTTP on each backend, p99 at half peak, RSS as stored applications grow to
      --apps (default 1,000,000), cost by form size and by events per application (up to --depth,
      default 1,000), replay/rebuild vs raw read over --events; ratios against the
      goals (scripts/bench installs nats-server and PostgreSQL and runs it on a release build);
      `embedded` is the embedded-log part of `http` alone (peak and half peak); its data goes to
      a directory of its own under --work (default: the system's temporary directory), refused
      inside a gateway's data directory
  tongban schemas list                               every schema subject with kind, latest version, title
  tongban schemas show <subject> [--version N|latest]  print a JSON Schema document
  tongban schemas check <subject> <file>             judge a candidate schema under the subject's
      compatibility policy without registering it; exits 1 listing every incompatibility
  tongban schemas export [--out DIR] [--force]       write every version as DIR/<subject>/<version>.json
      (default DIR: ./tongban-schemas); refused when one of those files is there already
      (--force replaces them) or DIR is inside a data directory
";

#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for CliError {
    fn from(e: E) -> CliError {
        CliError(e.to_string())
    }
}

pub fn run(raw: Vec<String>) -> Result<ExitCode, CliError> {
    // `tongban --version` alone: `--version` is otherwise an option with a value (`schemas
    // show <subject> --version N`), so it is not one of the parser's flags.
    if matches!(raw.as_slice(), [only] if only == "--version") {
        out!("tongban {}\n", env!("CARGO_PKG_VERSION"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut args = Args::parse(raw);
    let help = args.flag("help");
    let Some(command) = args.next_positional() else {
        // An option without a command (`tongban --frob`) is named, as a command names one it
        // does not take, rather than answered with the whole usage and no word of it.
        if !help {
            args.finish().map_err(|e| {
                CliError(format!(
                    "{e}: give a command first (`tongban --help` lists them)"
                ))
            })?;
        }
        // Asked for (`tongban --help`), the usage is the answer, on stdout; without a command,
        // a mistake, said where mistakes are (stderr), so that `tongban > file` neither writes
        // the usage into the file nor leaves the terminal silent.
        if help {
            out!("{}", usage())?;
            return Ok(ExitCode::SUCCESS);
        }
        eprint!("tongban: give a command\n\n{}", usage());
        return Ok(ExitCode::from(2));
    };
    // `--help` and `-h` are never a command here: `Args::parse` makes both the `help` flag.
    if help && command != "help" {
        // Before the command reads anything: `regions --help` must not create a region book,
        // nor `serve --help` start a gateway.
        out!("{}", command_usage(&command)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    match command.as_str() {
        "serve" => serve::run(args),
        "regions" => regions::run(args),
        "verify" => verify::run(args),
        "heads" => heads::run(args),
        "replay" => replay::run(args),
        "dispute" => dispute::run(args),
        "find" => find::run(args),
        "rebuild" => rebuild::run(args),
        "reconcile" => reconcile::run(args),
        "statistics" => statistics::run(args),
        "adapt" => adapt::run(args),
        "schemas" => schemas::run(args),
        "load" => load::run(args),
        "bench" => bench::run(args),
        "help" => {
            // `tongban help verify` answers as `tongban verify --help` does.
            let about = args.next_positional();
            args.finish()?;
            match about {
                Some(command) => out!("{}", command_usage(&command)?)?,
                None => out!("{}", usage())?,
            }
            Ok(ExitCode::SUCCESS)
        }
        other => Err(unknown_command(other)),
    }
}

/// The usage of `command` alone ([`usage_of`]), or the refusal of a command that is none.
fn command_usage(command: &str) -> Result<String, CliError> {
    usage_of(command).ok_or_else(|| unknown_command(command))
}

/// A command that is none, and the usage: quoted only when it has the form of a command's name
/// ([`tongban_gateway::shown::code`]), as every value given is.
fn unknown_command(command: &str) -> CliError {
    CliError(format!(
        "unknown command {}\n\n{}",
        tongban_gateway::shown::said(command, tongban_gateway::shown::code),
        usage()
    ))
}

/// [`USAGE`] with the constants it names filled in.
fn usage() -> String {
    use tongban_gateway::http::operator::{DEFAULT_TOLERANCE_SECONDS, MAX_TOLERANCE_SECONDS};
    USAGE
        .replace(
            "{DEFAULT_TOLERANCE_SECONDS}",
            &DEFAULT_TOLERANCE_SECONDS.to_string(),
        )
        .replace(
            "{MAX_TOLERANCE_SECONDS}",
            &MAX_TOLERANCE_SECONDS.to_string(),
        )
}

/// The part of [`usage`] about `command` (`tongban verify --help`): the entries that begin
/// `tongban <command>`, each with its indented lines, and the note on reading the log offline for
/// the commands it names, so that one text stays the only description of the commands. `None`
/// for a command the usage does not name.
fn usage_of(command: &str) -> Option<String> {
    let usage = usage();
    let (_, body) = usage.split_once("usage:\n")?;
    // Entries start at an indent of two; their continuation lines are indented further.
    let mut entries: Vec<String> = Vec::new();
    for line in body.lines() {
        match entries.last_mut() {
            Some(entry) if line.starts_with("   ") => {
                entry.push('\n');
                entry.push_str(line);
            }
            _ => entries.push(line.to_string()),
        }
    }
    let own = format!("  tongban {command} ");
    let first = |entry: &str| entry.lines().next().unwrap_or_default().to_string();
    let is_own = |entry: &str| {
        let first = first(entry);
        first.starts_with(&own) || first.trim_end() == own.trim_end()
    };
    // The note names commands as whole words (`verify, replay, …`): `ver` or an empty name is
    // none of them, and a command with no entry of its own has no usage (`tongban help ver`
    // printed the note, exit 0).
    let in_note = |entry: &str| {
        let first = first(entry);
        first.starts_with("  (")
            && first
                .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                .any(|word| word == command)
    };
    if command.is_empty() || !entries.iter().any(|e| is_own(e)) {
        return None;
    }
    let mine: Vec<&str> = entries
        .iter()
        .map(String::as_str)
        .filter(|e| is_own(e) || in_note(e))
        .collect();
    Some(format!("usage:\n{}\n", mine.join("\n")))
}

/// What is logged without `RUST_LOG`: the gateway's own `info`, and only fjall's warnings and
/// errors (its `info` narrates every database it opens).
const DEFAULT_LOG_FILTER: &str = "info,fjall=warn,lsm_tree=warn";

/// Logs to stderr; `RUST_LOG` filters (default [`DEFAULT_LOG_FILTER`]). Never personal data: see SECURITY notes.
///
/// Records of the `log` crate are taken in too (`tracing-log`): fjall reports its background
/// workers' failures (a crashed flush or compaction, a poisoned database) only that way, and an
/// operator must see them in the same stream.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    // Colour only on a terminal: log files and pipes get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}
