//! What one bench stage measured: operations, errors, elapsed time and every operation's latency
//! (kept whole, so percentiles are exact), plus the closed-loop driver most stages share.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::cli::load::quantile;

/// One stage's figures.
#[derive(Debug, Default, Clone)]
pub struct Measured {
    /// Operations that succeeded (appends acknowledged, submissions answered 201).
    pub ops: u64,
    /// Operations that failed; a stage with errors is reported, and fails the run.
    pub errors: u64,
    pub first_error: Option<String>,
    pub secs: f64,
    /// Microseconds per successful operation, sorted.
    pub latencies_us: Vec<u64>,
    /// CPU time the server process (the gateway) spent during the stage, where it is ours to
    /// read: per operation, a figure that holds even on a machine shared with other work.
    pub server_cpu_secs: Option<f64>,
}

impl Measured {
    pub fn per_sec(&self) -> f64 {
        self.ops as f64 / self.secs.max(1e-9)
    }

    /// Latency quantile in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        quantile(&self.latencies_us, q) as f64 / 1000.0
    }

    pub fn from_parts(mut latencies_us: Vec<u64>, errors: Vec<String>, secs: f64) -> Measured {
        latencies_us.sort_unstable();
        Measured {
            ops: latencies_us.len() as u64,
            errors: errors.len() as u64,
            first_error: errors.into_iter().next(),
            secs,
            latencies_us,
            server_cpu_secs: None,
        }
    }

    /// Server CPU microseconds per successful operation.
    pub fn cpu_us_per_op(&self) -> Option<f64> {
        self.server_cpu_secs
            .map(|c| c * 1e6 / self.ops.max(1) as f64)
    }

    pub fn json(&self) -> Value {
        let r = |x: f64, p: i32| (x * 10f64.powi(p)).round() / 10f64.powi(p);
        json!({
            "ops": self.ops,
            "secs": r(self.secs, 2),
            "per_sec": r(self.per_sec(), 0),
            "p50_ms": r(self.ms(0.50), 2),
            "p99_ms": r(self.ms(0.99), 2),
            "max_ms": r(self.ms(1.0), 2),
            "server_cpu_us_per_op": self.cpu_us_per_op().map(|c| r(c, 0)),
            "errors": self.errors,
            "first_error": self.first_error,
        })
    }
}

/// Unmeasured warm-up before a closed-loop stage (connections opened, streams and tables created,
/// caches and batching settled): a fifth of the stage, at most one second.
pub fn warm_up(duration: Duration) -> Duration {
    (duration / 5).min(Duration::from_secs(1))
}

/// Runs `op` from `clients` concurrent tasks, each issuing its next operation as soon as the
/// previous one returns, for [`warm_up`] and then `duration`; only operations started after the
/// warm-up are measured. `op(client, n)` is the client's `n`th operation.
pub async fn closed_loop<F, Fut>(clients: usize, duration: Duration, op: F) -> Measured
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let started = Instant::now() + warm_up(duration);
    let deadline = started + duration;
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let op = Arc::clone(&op);
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), Vec::new());
            let mut n = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                let result = op(client, n).await;
                n += 1;
                if t < started {
                    // Warm-up: errors still count, latencies do not.
                    if let Err(e) = result {
                        errors.push(e);
                    }
                    continue;
                }
                match result {
                    Ok(()) => lat.push(micros(t.elapsed())),
                    Err(e) => errors.push(e),
                }
            }
            (lat, errors)
        }));
    }
    collect(tasks, started).await
}

/// Runs `op` at a fixed `rate` per second (open loop) from `clients` tasks for `duration`.
/// Latency counts from when each operation was *due*, not when it was sent, so a stalled server
/// cannot hide its stall by slowing the client down (no coordinated omission). Operation `k` is
/// due at `k / rate` seconds and is client `k % clients`'s: a client still waiting for its
/// previous answer sends it late, and the wait is charged.
///
/// The due times are kept by a thread of their own that sleeps until each (the kernel's timer,
/// tens of microseconds late), then hands the operation to its client. tokio's timer would wake
/// the client at the next whole millisecond after the due time, or later: 1.1 ms at the median
/// and 2.0 ms at the 99th percentile of an operation that does nothing, at 3,500/s from 16
/// clients on these machines, charged to every operation measured as if the server took it.
pub async fn open_loop<F, Fut>(clients: usize, rate: f64, duration: Duration, op: F) -> Measured
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let clients = clients.max(1);
    let started = Instant::now();
    let total = (rate * duration.as_secs_f64()) as u64;
    let interval = 1.0 / rate.max(1e-9);
    let due = move |k: u64| started + Duration::from_secs_f64(k as f64 * interval);
    let mut senders = Vec::with_capacity(clients);
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients {
        let op = Arc::clone(&op);
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        senders.push(tx);
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors) = (Vec::new(), Vec::new());
            while let Some(k) = rx.recv().await {
                match op(client, k).await {
                    Ok(()) => lat.push(micros(due(k).elapsed())),
                    Err(e) => errors.push(e),
                }
            }
            (lat, errors)
        }));
    }
    // Dropping the senders once every operation is handed out ends each client after its last.
    let pacer = std::thread::Builder::new()
        .name("bench-pacer".into())
        .spawn(move || {
            for k in 0..total {
                let at = due(k);
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                if senders[(k % clients as u64) as usize].send(k).is_err() {
                    return;
                }
            }
        });
    if let Err(e) = pacer {
        return Measured::from_parts(
            Vec::new(),
            vec![format!("the open loop's pacing thread did not start: {e}")],
            0.0,
        );
    }
    collect(tasks, started).await
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<(Vec<u64>, Vec<String>)>>,
    started: Instant,
) -> Measured {
    let (mut lat, mut errors) = (Vec::new(), Vec::new());
    for t in tasks {
        match t.await {
            Ok((l, e)) => {
                lat.extend(l);
                errors.extend(e);
            }
            Err(e) => errors.push(format!("a bench client failed: {e}")),
        }
    }
    Measured::from_parts(lat, errors, started.elapsed().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closed_loop_counts_successes_and_errors_apart() {
        let m = closed_loop(4, Duration::from_millis(100), |client, n| async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            if client == 0 && n == 0 {
                Err("boom".to_string())
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(m.errors, 1);
        assert_eq!(m.first_error.as_deref(), Some("boom"));
        assert!(m.ops > 20, "{m:?}");
        assert!(m.ms(0.5) >= 1.0, "every op slept 1 ms: {m:?}");
    }

    /// Each operation goes to its client (`k % clients`) once, never before it is due; the
    /// lateness printed (`--nocapture`) is the driver's own, with operations that do nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn open_loop_hands_each_operation_to_its_client_once_and_never_early() {
        let (clients, rate) = (16, 3500.0);
        let before = Instant::now();
        let started = Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = Arc::clone(&started);
        let m = open_loop(
            clients,
            rate,
            Duration::from_millis(500),
            move |client, k| {
                log.lock().unwrap().push((client, k, Instant::now()));
                async { Ok(()) }
            },
        )
        .await;
        let mut started = started.lock().unwrap().clone();
        started.sort_by_key(|(_, k, _)| *k);
        assert_eq!(m.ops, 1750);
        assert_eq!(started.len(), 1750);
        for (i, (client, k, at)) in started.iter().enumerate() {
            assert_eq!(*k, i as u64, "each operation once");
            assert_eq!(*client, i % clients, "operation {k} went to another client");
            let due = before + Duration::from_secs_f64(*k as f64 * (1.0 / rate));
            assert!(*at >= due, "operation {k} started before it was due");
        }
        eprintln!(
            "the open loop's own lateness, {rate}/s from {clients} clients: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            m.ms(0.5),
            m.ms(0.99),
            m.ms(1.0)
        );
    }

    #[tokio::test]
    async fn open_loop_keeps_the_rate_and_charges_stalls_from_the_due_time() {
        let m = open_loop(2, 200.0, Duration::from_millis(500), |_, n| async move {
            // One 100 ms stall: the operations due during it must show the wait.
            if n == 10 {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok(())
        })
        .await;
        assert_eq!(m.ops, 100);
        assert!(m.ms(1.0) >= 100.0, "{m:?}");
        assert!(
            m.ms(0.99) >= 50.0,
            "ops queued behind the stall count it: {m:?}"
        );
    }
}
