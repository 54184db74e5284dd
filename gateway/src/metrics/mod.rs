//! Operational metrics in the Prometheus text format (`GET /metrics`).
//!
//! Everything is counted with atomics at the point where it happens; the scrape only reads. HTTP
//! requests are labelled by the matched route *template* (`/v1/applications/{id}`), never the
//! concrete path, so application ids (and anything else a caller puts in a path) never become label
//! values and the series count stays bounded by the route table.

pub mod histogram;
pub mod text;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use histogram::{Histogram, Snapshot};

/// Request latency bounds, in microseconds (1 ms … 10 s).
pub static LATENCY_BOUNDS_US: [u64; 13] = [
    1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    5_000_000, 10_000_000,
];

/// Storage step bounds, in microseconds (100 µs … 1 s): a group commit's write and fsync, a
/// projection batch. Finer at the low end than [`LATENCY_BOUNDS_US`], because a healthy fsync takes
/// a fraction of a millisecond and the interesting figure is how often it takes tens.
pub static STORAGE_BOUNDS_US: [u64; 13] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000,
];

/// Group-commit batch size bounds (events per fsync).
pub static BATCH_BOUNDS: [u64; 11] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/// The status classes counted, each emitted for every route from the start (at 0 until a
/// request of that class): a series that appears only with its first sample hides that sample
/// from `increase()` and `rate()`, so an alert on a route's 5xx would miss its first error.
/// No 1xx: no handler answers one, and hyper sends a 1xx response as a 500 (counted as 5xx).
const CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

/// Per route: requests by status class, those refused over their region's rate limit, and one
/// latency histogram.
#[derive(Debug)]
pub struct RouteMetrics {
    pub method: String,
    pub template: String,
    by_class: [AtomicU64; CLASSES.len()],
    /// 429s, also counted in `4xx`: the rate limiter is what answers 429, and these are apart
    /// because a client retrying past its limit is not the same trouble as a 404 or a 422 (and
    /// 429s are not logged, so the counter is the only trace of them).
    rate_limited: AtomicU64,
    latency: Histogram,
}

impl RouteMetrics {
    fn new(method: &str, template: &str) -> RouteMetrics {
        RouteMetrics {
            method: method.to_string(),
            template: template.to_string(),
            by_class: Default::default(),
            rate_limited: AtomicU64::new(0),
            latency: Histogram::new(&LATENCY_BOUNDS_US),
        }
    }
}

/// The HTTP side: one slot per route of the route table, fixed at start, plus one for requests no
/// route matched (so scanning junk paths cannot grow the series).
#[derive(Debug)]
pub struct HttpMetrics {
    routes: Vec<RouteMetrics>,
    /// Template → (method, slot): looked up by `&str`, so counting a request allocates nothing.
    index: HashMap<String, Vec<(String, usize)>>,
}

/// Template of requests that matched no route.
pub const UNMATCHED: &str = "unmatched";

impl HttpMetrics {
    /// One slot per `(method, template)`.
    pub fn new<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> HttpMetrics {
        let mut out = HttpMetrics {
            routes: Vec::new(),
            index: HashMap::new(),
        };
        for (method, template) in routes.into_iter().chain([("ANY", UNMATCHED)]) {
            if out.slot(method, template).is_some() {
                continue;
            }
            let slot = out.routes.len();
            out.index
                .entry(template.to_string())
                .or_default()
                .push((method.to_string(), slot));
            out.routes.push(RouteMetrics::new(method, template));
        }
        out
    }

    fn slot(&self, method: &str, template: &str) -> Option<usize> {
        self.index
            .get(template)?
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, slot)| *slot)
    }

    /// Counts one answered request. A HEAD counts under its route's GET (the router answers it
    /// with the GET handler, headers only: the same route, not an unmatched request). An unknown
    /// `(method, template)` counts as unmatched.
    pub fn record(&self, method: &str, template: Option<&str>, status: u16, took: Duration) {
        let method = if method == "HEAD" { "GET" } else { method };
        let slot = template
            .and_then(|t| self.slot(method, t))
            .or_else(|| self.slot("ANY", UNMATCHED))
            .and_then(|i| self.routes.get(i));
        if let Some(route) = slot {
            // 2xx … 5xx; anything else (a 1xx, which hyper sends as a 500) as 5xx.
            let class = match status / 100 {
                2..=5 => usize::from(status / 100 - 2),
                _ => CLASSES.len() - 1,
            };
            if let Some(c) = route.by_class.get(class) {
                c.fetch_add(1, Ordering::Relaxed);
            }
            if status == 429 {
                route.rate_limited.fetch_add(1, Ordering::Relaxed);
            }
            route.latency.record_duration(took);
        }
    }

    pub fn routes(&self) -> &[RouteMetrics] {
        &self.routes
    }
}

impl RouteMetrics {
    /// `(class label, count)` for every class, 0 for those not seen yet.
    pub fn classes(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        CLASSES
            .iter()
            .zip(&self.by_class)
            .map(|(class, c)| (*class, c.load(Ordering::Relaxed)))
    }

    /// Requests refused with 429 over their region's rate limit.
    pub fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    pub fn latency(&self) -> Snapshot {
        self.latency.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_counted_by_template_and_class_and_unknown_ones_as_unmatched() {
        let m = HttpMetrics::new([("GET", "/v1/applications/{id}")]);
        m.record(
            "GET",
            Some("/v1/applications/{id}"),
            200,
            Duration::from_micros(1_500),
        );
        m.record(
            "GET",
            Some("/v1/applications/{id}"),
            404,
            Duration::from_micros(900),
        );
        m.record("GET", None, 404, Duration::from_micros(10));
        m.record(
            "POST",
            Some("/v1/applications/{id}"),
            405,
            Duration::from_micros(10),
        );
        let app = &m.routes()[0];
        assert_eq!(
            app.classes().collect::<Vec<_>>(),
            vec![("2xx", 1), ("3xx", 0), ("4xx", 1), ("5xx", 0)]
        );
        assert_eq!(app.rate_limited(), 0);
        assert_eq!(app.latency().count, 2);
        assert_eq!(app.latency().cumulative[0], 1);
        assert_eq!(m.routes()[1].template, UNMATCHED);
        assert_eq!(m.routes()[1].latency().count, 2);
    }

    /// Given a HEAD request to a GET route, when it is counted, then it is under that route's
    /// GET series, not `unmatched`; a HEAD of a route that has no GET is still unmatched.
    /// Guards health checkers and link checkers that send HEAD from hiding as unmatched traffic.
    #[test]
    fn head_counts_under_its_get_route() {
        let m = HttpMetrics::new([("GET", "/v1/matters"), ("POST", "/v1/applications")]);
        let took = Duration::from_micros(10);
        m.record("HEAD", Some("/v1/matters"), 200, took);
        m.record("HEAD", Some("/v1/applications"), 405, took);
        let seen = |i: usize| {
            m.routes()[i]
                .classes()
                .filter(|(_, n)| *n > 0)
                .collect::<Vec<_>>()
        };
        assert_eq!(seen(0), vec![("2xx", 1)]);
        assert_eq!(seen(1), vec![]);
        assert_eq!(m.routes()[2].template, UNMATCHED);
        assert_eq!(seen(2), vec![("4xx", 1)]);
    }

    /// Given a fresh set of routes, every status class of every route is there at 0; a 429 is
    /// counted in 4xx and as rate limited, other 4xx only in 4xx; a status outside 2xx–5xx
    /// counts as 5xx. Guards alerts on `increase(...{status="5xx"}[5m])` missing a route's
    /// first error (the series used to appear only with it) and 429s hiding among 4xx.
    #[test]
    fn every_class_is_there_from_the_start_and_429s_are_counted_apart() {
        let m = HttpMetrics::new([("GET", "/v1/regions/{region}/inbox")]);
        let route = Some("/v1/regions/{region}/inbox");
        for r in m.routes() {
            let classes = r.classes().collect::<Vec<_>>();
            assert_eq!(
                classes,
                vec![("2xx", 0), ("3xx", 0), ("4xx", 0), ("5xx", 0)],
                "{}",
                r.template
            );
            assert_eq!(r.rate_limited(), 0);
        }
        let took = Duration::from_micros(10);
        m.record("GET", route, 429, took);
        m.record("GET", route, 429, took);
        m.record("GET", route, 404, took);
        m.record("GET", route, 103, took);
        let inbox = &m.routes()[0];
        assert_eq!(
            inbox.classes().collect::<Vec<_>>(),
            vec![("2xx", 0), ("3xx", 0), ("4xx", 3), ("5xx", 1)]
        );
        assert_eq!(inbox.rate_limited(), 2);
        assert_eq!(m.routes()[1].rate_limited(), 0);
    }
}
