//! The peer users would pick instead: the same appends into PostgreSQL (Debian's packages), the way
//! an event store on PostgreSQL keeps them: an `events` table with a global position, the event as
//! `jsonb`, and a unique `(app_id, seq)` constraint doing the concurrency check, under
//! `synchronous_commit = on` and `fsync = on` (each commit durable before it is acknowledged).
//!
//! The load comes from `pgbench` (PostgreSQL's own C client, so the client is never the
//! bottleneck): one INSERT per transaction, one script per sample event, `--clients` connections,
//! every transaction's latency logged (`--log`) so p50/p99 are exact.
//!
//! A private cluster is created for the run (`initdb` in a temporary directory, a Unix socket
//! only, a random port) and removed after it. PostgreSQL refuses to run as root, so as root the
//! server runs as the `postgres` user that Debian's package creates.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use super::measure::Measured;
use crate::cli::CliError;

const HOW_TO_INSTALL: &str =
    "install Debian's postgresql (apt-get install postgresql), or run scripts/bench, which does";

/// The directory holding `initdb`, `pg_ctl`, `postgres`, `psql` and `pgbench`: `$PG_BIN`, else the
/// newest `/usr/lib/postgresql/<major>/bin` (Debian's layout).
fn bin_dir() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os("PG_BIN").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let mut majors: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| CliError(format!("PostgreSQL not found: {HOW_TO_INSTALL}")))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let major = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((major, bin))
        })
        .collect();
    majors.sort();
    majors.pop().map(|(_, bin)| bin).ok_or_else(|| {
        CliError(format!(
            "PostgreSQL server binaries not found: {HOW_TO_INSTALL}"
        ))
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A private PostgreSQL cluster, stopped and removed on drop.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
    running: bool,
}

impl Cluster {
    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.join("socket")
    }

    /// A server-side command, as `postgres` when we are root.
    fn server_command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn start(bin: PathBuf, work: &Path) -> Result<Cluster, CliError> {
        let dir = work.join("postgres");
        std::fs::create_dir_all(dir.join("socket"))?;
        let as_postgres = is_root();
        if as_postgres {
            // The server runs as `postgres`, which must be able to reach its directory through
            // ours whatever the umask.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(work, std::fs::Permissions::from_mode(0o755))?;
        }
        let mut cluster = Cluster {
            bin,
            dir,
            port: super::free_port()?,
            as_postgres,
            running: false,
        };
        if as_postgres {
            checked(
                Command::new("chown")
                    .args(["-R", "postgres:"])
                    .arg(&cluster.dir)
                    .output(),
                "chown the PostgreSQL work directory to postgres (does the user exist?)",
            )?;
        }
        checked(
            cluster
                .server_command("initdb")
                .arg("-D")
                .arg(cluster.data())
                .args(["-U", "bench", "-A", "trust", "-E", "UTF8", "--no-sync"])
                .output(),
            "initdb",
        )?;
        let options = format!(
            "-p {} -c listen_addresses='' -c unix_socket_directories='{}' \
             -c fsync=on -c synchronous_commit=on -c max_connections=200",
            cluster.port,
            cluster.socket_dir().display()
        );
        checked(
            cluster
                .server_command("pg_ctl")
                .arg("-D")
                .arg(cluster.data())
                .arg("-l")
                .arg(cluster.dir.join("server.log"))
                .args(["-w", "-t", "60", "-o", &options, "start"])
                .output(),
            "pg_ctl start",
        )?;
        cluster.running = true;
        Ok(cluster)
    }

    /// A client command (psql, pgbench) connected to the cluster.
    fn client(&self, program: &str) -> Command {
        let mut c = Command::new(self.bin.join(program));
        c.arg("-h")
            .arg(self.socket_dir())
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-U", "bench"]);
        c
    }

    fn server_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self
                .server_command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "fast", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn checked(output: std::io::Result<Output>, what: &str) -> Result<Output, CliError> {
    let output = output.map_err(|e| CliError(format!("{what}: {e}; {HOW_TO_INSTALL}")))?;
    if !output.status.success() {
        return Err(CliError(format!(
            "{what} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(output)
}

/// An SQL string literal pgbench leaves alone: an escape string (`E'…'`) with every colon written
/// as `\x3a`, since pgbench would read `:name` in a script as one of its variables.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str("E'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            ':' => out.push_str("\\x3a"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Runs the append workload for `duration` with `clients` connections.
pub fn run(
    work: &Path,
    payloads: &[Vec<u8>],
    clients: usize,
    duration: Duration,
) -> Result<(Measured, String), CliError> {
    let cluster = Cluster::start(bin_dir()?, work)?;
    let version = checked(
        cluster
            .client("psql")
            .args(["-d", "postgres", "-At", "-c", "SHOW server_version"])
            .output(),
        "psql",
    )?;
    let version = String::from_utf8_lossy(&version.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    checked(
        cluster
            .client("psql")
            .args(["-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c"])
            .arg(
                "CREATE TABLE events (\
                   position bigserial PRIMARY KEY, \
                   app_id text NOT NULL, \
                   seq bigint NOT NULL, \
                   body jsonb NOT NULL, \
                   UNIQUE (app_id, seq))",
            )
            .output(),
        "psql CREATE TABLE",
    )
    .map_err(|e| CliError(format!("{e}\nserver log:\n{}", cluster.server_log())))?;

    // One script per sample event; pgbench picks among them at random, equally weighted.
    let scripts = cluster.dir.join("scripts");
    std::fs::create_dir_all(&scripts)?;
    let mut script_args = Vec::new();
    for (i, p) in payloads.iter().enumerate() {
        let body = String::from_utf8_lossy(p);
        let path = scripts.join(format!("append-{i}.sql"));
        std::fs::write(
            &path,
            format!(
                "INSERT INTO events (app_id, seq, body) VALUES (gen_random_uuid()::text, 1, {}::jsonb);\n",
                literal(&body)
            ),
        )?;
        script_args.push("-f".to_string());
        script_args.push(path.display().to_string());
    }
    let logs = cluster.dir.join("latency");
    std::fs::create_dir_all(&logs)?;
    let threads = clients.min(std::thread::available_parallelism().map_or(2, |n| n.get()));
    let out = checked(
        cluster
            .client("pgbench")
            .args(["-n", "-M", "prepared"])
            .arg(format!("--client={clients}"))
            .arg(format!("--jobs={threads}"))
            .arg(format!(
                "--time={}",
                (duration + super::measure::warm_up(duration))
                    .as_secs_f64()
                    .ceil()
            ))
            .arg("--log")
            .arg(format!("--log-prefix={}", logs.join("tx").display()))
            .args(&script_args)
            .arg("postgres")
            .output(),
        "pgbench",
    )?;
    if out.stdout.is_empty() {
        return Err(CliError("pgbench printed nothing".into()));
    }
    let (latencies, errors, secs) =
        read_latency_logs(&logs, super::measure::warm_up(duration).as_micros())?;
    Ok((
        Measured::from_parts(latencies, errors, secs),
        format!("PostgreSQL {version}"),
    ))
}

/// pgbench's per-transaction log lines: `client_id transaction_no time script_no epoch epoch_us`
/// (`time`: latency in microseconds, or `failed`/`skipped`; the epoch pair: when it ended).
/// Transactions that began within `warm_up_us` of the first one are left out, as the other stages
/// leave out their warm-up; returns the latencies, the failures and the measured span in seconds.
fn read_latency_logs(
    dir: &Path,
    warm_up_us: u128,
) -> Result<(Vec<u64>, Vec<String>, f64), CliError> {
    // (began µs since the epoch, latency µs), or the failed line.
    let mut done: Vec<(u128, u64)> = Vec::new();
    let mut errors = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        for line in text.lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let number = |i: usize| f.get(i).and_then(|v| v.parse::<u128>().ok());
            match (number(2), number(4), number(5)) {
                (Some(us), Some(s), Some(frac)) => {
                    let end = s * 1_000_000 + frac;
                    done.push((
                        end.saturating_sub(us),
                        u64::try_from(us).unwrap_or(u64::MAX),
                    ));
                }
                _ => errors.push(format!("pgbench: {line}")),
            }
        }
    }
    let first = done.iter().map(|d| d.0).min().unwrap_or(0);
    let from = first + warm_up_us;
    let measured: Vec<&(u128, u64)> = done.iter().filter(|d| d.0 >= from).collect();
    let last_end = measured
        .iter()
        .map(|d| d.0 + u128::from(d.1))
        .max()
        .unwrap_or(from);
    let secs = last_end.saturating_sub(from) as f64 / 1e6;
    Ok((measured.iter().map(|d| d.1).collect(), errors, secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_logs_leave_out_the_warm_up_and_keep_failures() {
        let dir = std::env::temp_dir().join(format!("tongban-pglog-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // Began at 100.000000 s (warm-up), 101.000500 s and 102.000000 s; one failure.
        std::fs::write(
            dir.join("tx.1"),
            "0 0 1000 0 100 1000\n0 1 2000 1 101 2500\n1 0 500 0 102 500\n1 1 failed 0 102 900\n",
        )
        .unwrap();
        let (latencies, errors, secs) = read_latency_logs(&dir, 1_000_000).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut latencies = latencies;
        latencies.sort_unstable();
        assert_eq!(latencies, vec![500, 2000]);
        assert_eq!(errors.len(), 1);
        assert!((secs - 1.0005).abs() < 1e-9, "{secs}");
    }

    #[test]
    fn literals_escape_quotes_backslashes_and_colons() {
        assert_eq!(
            literal(r#"{"note":"it's a\b","ok":true}"#),
            r#"E'{"note"\x3a"it\'s a\\b","ok"\x3atrue}'"#
        );
    }
}
