//! A real gateway for the end-to-end stages: this very binary's `serve --demo` as a child process
//! on a random loopback port, rate limit off, on the embedded log or on a JetStream stream; and
//! the submission workloads driven at it over HTTP (local forms through the region adapters).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::forms::FORMS;
use super::inside::{Inside, Written};
use super::measure::Measured;
use crate::cli::CliError;
use crate::cli::load::client::Client;

pub struct GatewayProcess {
    child: Child,
    dir: PathBuf,
    pub addr: String,
    tokens: BTreeMap<String, String>,
    /// How many times each of [`FORMS`] was sent to this gateway, over every stage: the next
    /// sending is the next person's ([`super::forms::another_person`]).
    sent: Arc<[AtomicU64]>,
}

impl GatewayProcess {
    /// Starts `tongban serve --demo` in `work/<label>`, on JetStream when `nats` is
    /// `Some((urls, replicas))`, and waits until it answers `/healthz`.
    pub async fn start(
        work: &Path,
        label: &str,
        nats: Option<(&str, usize)>,
    ) -> Result<GatewayProcess, CliError> {
        GatewayProcess::start_signing_as(work, label, nats, None).await
    }

    /// Starts another gateway on the stream `first` serves, with `first`'s `gateway.key` copied
    /// into its data directory before its first start: every gateway of one stream signs with
    /// the stream's key, and one without it refuses to start (docs/operations.md).
    pub async fn start_beside(
        work: &Path,
        label: &str,
        nats: (&str, usize),
        first: &GatewayProcess,
    ) -> Result<GatewayProcess, CliError> {
        let key = first.dir.join("data").join("gateway.key");
        GatewayProcess::start_signing_as(work, label, Some(nats), Some(&key)).await
    }

    async fn start_signing_as(
        work: &Path,
        label: &str,
        nats: Option<(&str, usize)>,
        key: Option<&Path>,
    ) -> Result<GatewayProcess, CliError> {
        let dir = work.join(label);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data"))?;
        if let Some(key) = key {
            std::fs::copy(key, dir.join("data").join("gateway.key"))
                .map_err(|e| CliError(format!("{}: {e}", key.display())))?;
        }
        let addr = format!("127.0.0.1:{}", super::free_port()?);
        let exe = std::env::current_exe()?;
        let mut command = Command::new(exe);
        command
            .arg("serve")
            .arg("--demo")
            .arg("--data")
            .arg(dir.join("data"))
            .args([
                "--listen",
                &addr,
                "--rate-limit",
                "off",
                "--write-quota",
                "off",
                // The events stage suspends and resumes each application up to its depth
                // (1,000 events by default), far past the cap a province's traffic is held to.
                "--max-suspensions",
                "off",
            ])
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.join("gateway.log"))?)
            .stderr(std::fs::File::create(dir.join("gateway.err"))?);
        if let Some((url, replicas)) = nats {
            command
                .args(["--nats", url])
                .args(["--nats-replicas", &replicas.to_string()]);
        }
        let child = command.spawn()?;
        let mut gateway = GatewayProcess {
            child,
            dir,
            addr,
            tokens: BTreeMap::new(),
            sent: FORMS.iter().map(|_| AtomicU64::new(0)).collect(),
        };
        gateway.wait_ready().await?;
        let path = gateway.dir.join("data").join("demo-tokens.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
        gateway.tokens = serde_json::from_str(&text)?;
        Ok(gateway)
    }

    async fn wait_ready(&mut self) -> Result<(), CliError> {
        let deadline = Instant::now() + Duration::from_secs(120);
        let mut client = Client::new(&self.addr);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(CliError(format!(
                    "the gateway exited with {status} before answering: {}",
                    self.errors()
                )));
            }
            if let Ok(a) = client.send("GET", "/healthz", None, &[], None).await
                && a.status == 200
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(CliError(format!(
            "the gateway did not answer /healthz within 120 s: {}",
            self.errors()
        )))
    }

    /// Runs `stage` and takes the gateway's own figures over it, from `/metrics` before and after.
    pub async fn inside<T, F: std::future::Future<Output = Result<T, CliError>>>(
        &self,
        stage: F,
    ) -> Result<(T, Inside), CliError> {
        let io_before = self.io_counters();
        let before = self.metrics().await?;
        let out = stage.await?;
        let after = self.metrics().await?;
        let mut inside = Inside::between(&before, &after);
        if let (Some(b), Some(a)) = (io_before, self.io_counters()) {
            inside.written = Some(Written::between((b, a), (&before, &after)));
        }
        Ok((out, inside))
    }

    /// The gateway process's `(wchar, write_bytes)` so far, if `/proc/<pid>/io` is readable.
    fn io_counters(&self) -> Option<(u64, u64)> {
        let text = std::fs::read_to_string(format!("/proc/{}/io", self.child.id())).ok()?;
        super::inside::io_counters(&text)
    }

    /// The gateway's `/metrics` text.
    pub async fn metrics(&self) -> Result<String, CliError> {
        let answer = Client::new(&self.addr)
            .send("GET", "/metrics", None, &[], None)
            .await
            .map_err(|e| CliError(format!("GET /metrics: {e}")))?;
        if answer.status != 200 {
            return Err(CliError(format!("GET /metrics answered {}", answer.status)));
        }
        Ok(String::from_utf8_lossy(&answer.body).into_owned())
    }

    fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.join("gateway.err")).unwrap_or_default()
    }

    pub fn rss_kib(&self) -> Result<u64, CliError> {
        crate::cli::load::rss_kib(u64::from(self.child.id()))
    }

    /// CPU seconds (user + system) the gateway process has used so far, from `/proc/<pid>/stat`
    /// (in clock ticks of 1/100 s, Linux's USER_HZ).
    pub fn cpu_secs(&self) -> Result<f64, CliError> {
        let path = format!("/proc/{}/stat", self.child.id());
        let stat = std::fs::read_to_string(&path).map_err(|e| CliError(format!("{path}: {e}")))?;
        // After the command name in parentheses: state, ppid, … utime is the 12th, stime the 13th.
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        match (tick(11), tick(12)) {
            (Some(u), Some(s)) => Ok((u + s) as f64 / 100.0),
            _ => Err(CliError(format!("{path}: no utime/stime"))),
        }
    }

    /// Waits until the gateway is idle (under 5% of a core over half a second), at most `limit`:
    /// the flushes and compactions a closed-loop stage leaves behind are done, so the stage after
    /// it measures its own load, not the previous stage's backlog. Returns how long it waited.
    pub async fn settle(&self, limit: Duration) -> Result<Duration, CliError> {
        const WINDOW: Duration = Duration::from_millis(500);
        let started = Instant::now();
        let mut before = self.cpu_secs()?;
        while started.elapsed() < limit {
            tokio::time::sleep(WINDOW).await;
            let now = self.cpu_secs()?;
            if now - before < 0.05 * WINDOW.as_secs_f64() {
                break;
            }
            before = now;
        }
        Ok(started.elapsed())
    }

    /// Runs `stage` and charges the gateway's CPU time over it to the measurement, from `warm`
    /// into it: a closed-loop stage counts its operations only after its warm-up
    /// ([`super::measure::warm_up`]), so its CPU is read from then too. (Until round 21 it was
    /// read from the start, which overstated the CPU per operation by the warm-up's share: a
    /// tenth in a 10 s stage.)
    pub async fn charged<F: std::future::Future<Output = Measured>>(
        &self,
        warm: Duration,
        stage: F,
    ) -> Result<Measured, CliError> {
        let at_warm = async {
            tokio::time::sleep(warm).await;
            self.cpu_secs()
        };
        let (mut m, before) = tokio::join!(stage, at_warm);
        m.server_cpu_secs = Some(self.cpu_secs()? - before?);
        Ok(m)
    }

    /// Local-form submissions from `clients` keep-alive connections for `duration`: closed loop
    /// (each client sends its next form when the last is answered), or open loop at `rate` per
    /// second when given; charged with the gateway's CPU time. `run` keeps this stage's
    /// Idempotency-Keys apart from every other stage's.
    pub async fn submit_forms(
        &self,
        clients: usize,
        duration: Duration,
        rate: Option<f64>,
        run: &str,
    ) -> Result<Measured, CliError> {
        let sub = Arc::new(self.submitter(clients, run)?);
        let op = move |c, n| {
            let sub = Arc::clone(&sub);
            async move { sub.submit(c, n).await }
        };
        match rate {
            None => {
                self.charged(
                    super::measure::warm_up(duration),
                    super::measure::closed_loop(clients, duration, op),
                )
                .await
            }
            Some(rate) => {
                self.charged(
                    Duration::ZERO,
                    super::measure::open_loop(clients, rate, duration, op),
                )
                .await
            }
        }
    }

    /// The demo token of `region`.
    pub fn token(&self, region: &str) -> Result<String, CliError> {
        self.tokens
            .get(region)
            .cloned()
            .ok_or_else(|| CliError(format!("no demo token for region {region}")))
    }

    /// Bytes the gateway's data directory holds (log, projections, evidence) right now.
    pub fn disk_bytes(&self) -> u64 {
        crate::cli::bench::dir_bytes(&self.dir.join("data"))
    }

    /// A submitter: one keep-alive connection per client; submission `n` of client `c` is form
    /// `(c + n) % forms`, under its own Idempotency-Key so every submission is a new application,
    /// and as another person than every earlier sending of that form to this gateway.
    pub fn submitter(&self, clients: usize, run: &str) -> Result<Submitter, CliError> {
        super::forms::prepare();
        let mut tokens = Vec::with_capacity(FORMS.len());
        for f in FORMS {
            tokens.push(self.token(f.region)?);
        }
        Ok(Submitter {
            connections: (0..clients)
                .map(|_| Mutex::new(Client::new(&self.addr)))
                .collect(),
            tokens,
            run: run.to_string(),
            sent: Arc::clone(&self.sent),
        })
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Submitter {
    connections: Vec<Mutex<Client>>,
    tokens: Vec<String>,
    run: String,
    sent: Arc<[AtomicU64]>,
}

impl Submitter {
    /// Submits one local form; `Ok` only for 201 Created.
    pub async fn submit(&self, client: usize, n: u64) -> Result<(), String> {
        let i = (client + n as usize) % FORMS.len();
        let form = &FORMS[i];
        let person = self
            .sent
            .get(i)
            .map_or(0, |sent| sent.fetch_add(1, Ordering::Relaxed));
        let body = super::forms::another_person(form.body, person);
        let key = format!("bench-{}-{client}-{n}", self.run);
        let path = format!("/v1/regions/{}/forms/{}", form.region, form.matter);
        let Some(connection) = self.connections.get(client) else {
            return Err(format!("no connection for client {client}"));
        };
        let mut connection = connection.lock().await;
        let answer = connection
            .send(
                "POST",
                &path,
                Some(&self.tokens[i]),
                &[
                    ("Content-Type", form.content_type),
                    ("Idempotency-Key", &key),
                ],
                Some(&body),
            )
            .await
            .map_err(|e| format!("POST {path}: {e}"))?;
        if answer.status == 201 {
            Ok(())
        } else {
            Err(format!(
                "POST {path}: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)])
            ))
        }
    }
}

/// RSS and cost at one point of the growth stage.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub applications: u64,
    /// RSS with the gateway at rest holding `applications`: the median of the samples over
    /// [`REST_WINDOW`], taken once the submissions have stopped and the gateway has gone idle
    /// (its CPU under 5% of a core: the flushes and compactions the writes left behind have run,
    /// unless one waits on the disk). This is the figure the flat-memory goal is judged on:
    /// memory as a function of what is stored, without what depends on the write rate at that
    /// instant (requests in flight, sealed memtables waiting for their flush, compaction buffers).
    pub rss_rest_kib: u64,
    /// What fjall holds in its memtables and block caches over all the gateway's stores, read
    /// from `/metrics` while at rest: the part of [`Checkpoint::rss_rest_kib`] that swings with
    /// how full each memtable happens to be when the clients stop (up to a budget per keyspace,
    /// so by tens of MiB between two checkpoints), shown beside it so a rise can be told from
    /// that swing.
    pub stores_rest_kib: u64,
    /// Tables on disk over all the gateway's stores (from `/metrics`): each keeps a few small
    /// allocations for as long as it exists (its metadata and top-level index and filter).
    pub tables: u64,
    /// RSS under load just before the checkpoint: the median of the samples (about every 250 ms)
    /// over the last [`RSS_WINDOW`]. One sample moves by 10–20 MiB with the memtables filling and
    /// flushing and with the compactions under way at that instant, so the median is the level.
    /// At the first checkpoint the window also holds the gateway's first seconds, before its
    /// budgets filled, which is why the goal is not judged on this figure.
    pub rss_kib: u64,
    /// Highest RSS sampled since the previous checkpoint: the swings the medians leave out.
    pub rss_peak_kib: u64,
    pub disk_bytes: u64,
    /// Submissions between the previous checkpoint and this one: their time ends at the hold,
    /// their gateway CPU once the gateway has gone idle after them (see [`take_checkpoint`]).
    pub segment: Measured,
}

/// How far back from a checkpoint the RSS samples reach whose median is its RSS under load.
pub const RSS_WINDOW: Duration = Duration::from_secs(5);

/// How long the RSS at rest is sampled at each checkpoint.
pub const REST_WINDOW: Duration = Duration::from_secs(3);

/// The longest a checkpoint waits for the gateway to go idle before sampling its RSS at rest.
const REST_SETTLE_LIMIT: Duration = Duration::from_secs(15);

/// The median of the samples taken within `window` before `now` (all of them if none is that
/// recent); `None` without samples.
fn median_within(samples: &[(Instant, u64)], now: Instant, window: Duration) -> Option<u64> {
    let mut recent: Vec<u64> = samples
        .iter()
        .filter(|(t, _)| now.duration_since(*t) <= window)
        .map(|(_, kib)| *kib)
        .collect();
    if recent.is_empty() {
        recent = samples.iter().map(|(_, kib)| *kib).collect();
    }
    recent.sort_unstable();
    recent.get(recent.len() / 2).copied()
}

/// Lets the growth stage's clients be stopped at a checkpoint and started again: a client
/// [`enter`](Pause::enter)s before each submission and leaves when it is answered, and
/// [`hold`](Pause::hold) returns once no submission is in flight and none can start.
///
/// Both sides announce themselves before they look at the other (the client counts itself in,
/// then reads the flag; the holder sets the flag, then reads the count), all sequentially
/// consistent, so at least one of them sees the other: a submission never slips past a hold.
#[derive(Default)]
struct Pause {
    held: AtomicBool,
    in_flight: AtomicU64,
}

/// One submission in flight; it leaves the [`Pause`] when dropped.
struct InFlight<'a>(&'a Pause);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Pause {
    /// `None` while held: the client waits and asks again.
    fn enter(&self) -> Option<InFlight<'_>> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let entered = InFlight(self);
        if self.held.load(Ordering::SeqCst) {
            return None;
        }
        Some(entered)
    }

    /// Stops new submissions and returns once none is in flight. Clients stay held until
    /// [`Pause::release`]; a hold has no time limit of its own (each submission has its
    /// client's timeout).
    async fn hold(&self) {
        self.held.store(true, Ordering::SeqCst);
        while self.in_flight.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Lets the held clients go on.
    fn release(&self) {
        self.held.store(false, Ordering::SeqCst);
    }
}

/// The gateway's RSS at rest: waits for it to go idle (under 5% of a core over half a second, at
/// most [`REST_SETTLE_LIMIT`]: [`GatewayProcess::settle`]), then the median of samples every
/// 250 ms over [`REST_WINDOW`].
async fn rss_at_rest(gateway: &GatewayProcess) -> Result<u64, CliError> {
    gateway.settle(REST_SETTLE_LIMIT).await?;
    let started = Instant::now();
    let mut samples = Vec::new();
    while started.elapsed() < REST_WINDOW {
        samples.push((Instant::now(), gateway.rss_kib()?));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(median_within(&samples, Instant::now(), REST_WINDOW).unwrap_or_default())
}

/// Takes a checkpoint while the clients are held: the segment since `segment_start`, its RSS
/// under load (the `samples` since the previous checkpoint, which it clears) and the RSS at rest.
/// The segment's time ends at the hold, but its CPU is counted until the gateway has gone idle:
/// the flushes and compactions its writes left behind are its cost, not the next segment's.
/// Returns the gateway's CPU seconds at the end, where the next segment's count starts.
async fn take_checkpoint(
    gateway: &GatewayProcess,
    applications: u64,
    latencies: &std::sync::Mutex<(Vec<u64>, Vec<String>)>,
    samples: &mut Vec<(Instant, u64)>,
    segment_start: Instant,
    cpu_before: f64,
) -> Result<(Checkpoint, f64), CliError> {
    let (lat, errors) = match latencies.lock() {
        Ok(mut l) => (std::mem::take(&mut l.0), std::mem::take(&mut l.1)),
        Err(_) => return Err(CliError("growth stage: a client panicked".into())),
    };
    let mut segment = Measured::from_parts(lat, errors, segment_start.elapsed().as_secs_f64());
    samples.push((Instant::now(), gateway.rss_kib()?));
    let rss_kib = median_within(samples, Instant::now(), RSS_WINDOW).unwrap_or_default();
    let rss_peak_kib = samples
        .iter()
        .map(|(_, kib)| *kib)
        .max()
        .unwrap_or_default();
    samples.clear();
    let rss_rest_kib = rss_at_rest(gateway).await?;
    // CPU first, so the scrape below is not charged to the segment.
    let cpu_after = gateway.cpu_secs()?;
    let metrics = gateway.metrics().await?;
    let stores_rest_kib = [
        "tongban_store_memtable_bytes",
        "tongban_store_block_cache_bytes",
    ]
    .iter()
    .map(|name| super::inside::gauge_total(&metrics, name))
    .sum::<u64>()
        / 1024;
    let tables = super::inside::gauge_total(&metrics, "tongban_store_tables");
    segment.server_cpu_secs = Some(cpu_after - cpu_before);
    let checkpoint = Checkpoint {
        applications,
        rss_rest_kib,
        stores_rest_kib,
        tables,
        rss_kib,
        rss_peak_kib,
        disk_bytes: gateway.disk_bytes(),
        segment,
    };
    Ok((checkpoint, cpu_after))
}

/// Submits new applications from `clients` connections until the gateway holds `target` of them
/// (besides the demo's), and at each of `checkpoints` records its RSS under load, its disk use
/// and the submissions since the previous checkpoint, then stops the clients until it has
/// measured the RSS at rest: how memory and cost grow with stored applications.
pub async fn grow(
    gateway: &GatewayProcess,
    clients: usize,
    checkpoints: &[u64],
    run: &str,
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<Checkpoint>, CliError> {
    let target = checkpoints.iter().copied().max().unwrap_or(0);
    let submitter = Arc::new(gateway.submitter(clients, run)?);
    let issued = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(std::sync::Mutex::new((Vec::new(), Vec::new())));
    let pause = Arc::new(Pause::default());
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (submitter, issued, done, latencies, pause) = (
            Arc::clone(&submitter),
            Arc::clone(&issued),
            Arc::clone(&done),
            Arc::clone(&latencies),
            Arc::clone(&pause),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            loop {
                let Some(_in_flight) = pause.enter() else {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                };
                if issued.fetch_add(1, Ordering::Relaxed) >= target {
                    break;
                }
                let t = Instant::now();
                let result = submitter.submit(client, n).await;
                let us = u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX);
                if let Ok(mut l) = latencies.lock() {
                    match result {
                        Ok(()) => l.0.push(us),
                        Err(e) => l.1.push(e),
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    let mut out = Vec::new();
    let mut pending: Vec<u64> = checkpoints.to_vec();
    pending.sort_unstable();
    pending.reverse();
    let mut segment_start = Instant::now();
    let mut cpu_before = gateway.cpu_secs()?;
    let mut samples: Vec<(Instant, u64)> = Vec::new();
    let mut polls = 0u64;
    while let Some(&next) = pending.last() {
        let now = done.load(Ordering::Relaxed);
        progress(now, target);
        if polls.is_multiple_of(5) {
            samples.push((Instant::now(), gateway.rss_kib()?));
        }
        polls += 1;
        if now >= next {
            pending.pop();
            pause.hold().await;
            let applications = done.load(Ordering::Relaxed);
            let taken = take_checkpoint(
                gateway,
                applications,
                &latencies,
                &mut samples,
                segment_start,
                cpu_before,
            )
            .await;
            // Released on an error too: the clients must not stay held.
            pause.release();
            let (checkpoint, cpu_after) = taken?;
            out.push(checkpoint);
            cpu_before = cpu_after;
            segment_start = Instant::now();
            continue;
        }
        // Counted again once every client is seen finished: the last one may have finished its
        // submission between the count above and this look.
        if tasks.iter().all(|t| t.is_finished()) {
            let now = done.load(Ordering::Relaxed);
            if now < next {
                return Err(CliError(format!(
                    "growth stage: clients stopped at {now} of {next} applications"
                )));
            }
            continue;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for t in tasks {
        t.await
            .map_err(|e| CliError(format!("growth stage client: {e}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoints_rss_is_the_median_of_its_last_seconds() {
        let now = Instant::now();
        let at = |secs_ago: u64, kib: u64| (now - Duration::from_secs(secs_ago), kib);
        // An old spike and an old trough fall outside the window; of the recent samples one
        // momentary spike does not move the median.
        let samples = [
            at(30, 900),
            at(20, 10),
            at(4, 100),
            at(3, 110),
            at(2, 400),
            at(1, 105),
            at(0, 102),
        ];
        assert_eq!(
            median_within(&samples, now, Duration::from_secs(5)),
            Some(105)
        );
        // A segment shorter than the window: all of it.
        assert_eq!(
            median_within(&samples[..2], now, Duration::from_secs(5)),
            Some(900)
        );
        assert_eq!(median_within(&[], now, Duration::from_secs(5)), None);
    }

    #[tokio::test]
    async fn a_hold_waits_for_the_submission_in_flight_and_lets_none_start() {
        let pause = Arc::new(Pause::default());
        let in_flight = pause.enter().expect("not held yet");
        let holder = tokio::spawn({
            let pause = Arc::clone(&pause);
            async move { pause.hold().await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !holder.is_finished(),
            "the hold returned with a submission in flight"
        );
        assert!(pause.enter().is_none(), "a submission started while held");
        drop(in_flight);
        tokio::time::timeout(Duration::from_secs(5), holder)
            .await
            .expect("the hold never returned once nothing was in flight")
            .unwrap();
        assert!(pause.enter().is_none());
        pause.release();
        assert!(pause.enter().is_some(), "released, yet still held");
    }
}
