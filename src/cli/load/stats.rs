//! What the load generator measured: every request's latency per operation (kept whole, so the
//! percentiles are exact, not bucketed), and every answer by operation and status.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

/// One worker's measurements; merged at the end so workers never share a lock.
#[derive(Debug, Default)]
pub struct Recorder {
    /// Microseconds per request, by operation.
    latencies: BTreeMap<&'static str, Vec<u64>>,
    /// Answers by operation and status (`0`: no answer: transport error or timeout).
    statuses: BTreeMap<(&'static str, u16), u64>,
    /// Answers whose status the operation did not expect.
    unexpected: BTreeMap<(&'static str, u16), u64>,
    /// First few unexpected answers, verbatim (truncated), to say why.
    pub samples: Vec<String>,
    pub journeys: u64,
}

impl Recorder {
    pub fn record(&mut self, op: &'static str, status: u16, took: Duration, expected: bool) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.latencies.entry(op).or_default().push(micros);
        *self.statuses.entry((op, status)).or_default() += 1;
        if !expected {
            *self.unexpected.entry((op, status)).or_default() += 1;
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        for (op, mut l) in other.latencies {
            self.latencies.entry(op).or_default().append(&mut l);
        }
        for (k, n) in other.statuses {
            *self.statuses.entry(k).or_default() += n;
        }
        for (k, n) in other.unexpected {
            *self.unexpected.entry(k).or_default() += n;
        }
        for s in other.samples {
            if self.samples.len() < 10 {
                self.samples.push(s);
            }
        }
        self.journeys += other.journeys;
    }

    pub fn requests(&self) -> u64 {
        self.statuses.values().sum()
    }

    pub fn unexpected_total(&self) -> u64 {
        self.unexpected.values().sum()
    }

    /// The report as JSON: throughput, per-operation percentiles (ms), statuses and errors.
    pub fn report(&mut self, elapsed: Duration, concurrency: usize) -> Value {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mut ops = serde_json::Map::new();
        let mut all: Vec<u64> = Vec::new();
        for (op, l) in &mut self.latencies {
            l.sort_unstable();
            all.extend_from_slice(l);
            ops.insert(op.to_string(), summary(l, secs));
        }
        all.sort_unstable();
        let by_status = |m: &BTreeMap<(&'static str, u16), u64>| {
            let mut out: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
            for ((op, status), n) in m {
                out.entry(op.to_string())
                    .or_default()
                    .insert(status.to_string(), *n);
            }
            out
        };
        json!({
            "elapsed_s": round(secs, 2),
            "concurrency": concurrency,
            "requests": self.requests(),
            "throughput_rps": round(self.requests() as f64 / secs, 1),
            "journeys_completed": self.journeys,
            "all": summary(&all, secs),
            "operations": ops,
            "statuses": by_status(&self.statuses),
            "unexpected": by_status(&self.unexpected),
            "unexpected_total": self.unexpected_total(),
            "unexpected_samples": self.samples,
        })
    }
}

fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// The `q`-quantile of sorted values (nearest rank).
pub fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted.get(rank - 1).copied().unwrap_or_default()
}

fn summary(sorted: &[u64], secs: f64) -> Value {
    let ms = |us: u64| round(us as f64 / 1000.0, 2);
    json!({
        "count": sorted.len(),
        "rps": round(sorted.len() as f64 / secs, 1),
        "p50_ms": ms(quantile(sorted, 0.50)),
        "p90_ms": ms(quantile(sorted, 0.90)),
        "p99_ms": ms(quantile(sorted, 0.99)),
        "max_ms": ms(sorted.last().copied().unwrap_or_default()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(quantile(&v, 0.5), 50);
        assert_eq!(quantile(&v, 0.99), 99);
        assert_eq!(quantile(&v, 1.0), 100);
        assert_eq!(quantile(&[], 0.5), 0);
    }
}
