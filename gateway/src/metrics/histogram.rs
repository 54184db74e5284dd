//! A fixed-bucket histogram on atomics: recording is a few relaxed adds, no lock, so it can sit on
//! every request and every group commit without contending with the work it measures.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts observations into fixed upper bounds (inclusive), plus an overflow bucket (`+Inf`).
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [u64],
    /// One per bound, then the overflow; not cumulative (summed when read).
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
    count: AtomicU64,
}

/// A consistent-enough copy of a histogram for rendering: cumulative counts per bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub bounds: &'static [u64],
    /// Cumulative: `cumulative[i]` observations were `<= bounds[i]`.
    pub cumulative: Vec<u64>,
    pub sum: u64,
    pub count: u64,
}

impl Histogram {
    /// `bounds` must be increasing.
    pub fn new(bounds: &'static [u64]) -> Histogram {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn record(&self, value: u64) {
        let i = self.bounds.partition_point(|b| *b < value);
        if let Some(bucket) = self.buckets.get(i) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Records `d` in microseconds, for histograms whose bounds are microseconds.
    pub fn record_duration(&self, d: std::time::Duration) {
        self.record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
    }

    /// Read without stopping writers: a scrape racing a record may see the bucket a moment before
    /// the count, which Prometheus tolerates (the next scrape agrees).
    pub fn snapshot(&self) -> Snapshot {
        let mut running = 0;
        let cumulative = self
            .buckets
            .iter()
            .take(self.bounds.len())
            .map(|b| {
                running += b.load(Ordering::Relaxed);
                running
            })
            .collect();
        Snapshot {
            bounds: self.bounds,
            cumulative,
            sum: self.sum.load(Ordering::Relaxed),
            count: self.count.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_in_the_first_bucket_that_holds_them() {
        static BOUNDS: [u64; 3] = [1, 10, 100];
        let h = Histogram::new(&BOUNDS);
        for v in [0, 1, 2, 10, 11, 100, 101, 5000] {
            h.record(v);
        }
        let s = h.snapshot();
        assert_eq!(s.cumulative, vec![2, 4, 6]);
        assert_eq!(s.count, 8);
        assert_eq!(s.sum, 5225);
    }
}
