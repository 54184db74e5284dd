//! Rate limiting per region: one token bucket per region, shared by all of its tokens.
//!
//! Why per region, not per address: regions reach the gateway through their own platforms and
//! often through shared proxies, so the authenticated region is the only identity that means
//! "this province's system". A runaway or compromised platform can then exhaust only its own
//! allowance, not the log's write capacity for everyone else. Not per token: a region holds
//! several while it rotates them (and one per adapter instance), and each would otherwise bring a
//! whole allowance of its own. Buckets exist only for authenticated regions, so their number is
//! bounded by the region book; unauthenticated traffic is refused with 401 before it costs
//! anything and is left to the TLS-terminating proxy in front.
//!
//! Operators are exempt: they are few, named in the region book, and their heavy reads
//! (reconciliation, evidence pages) must not be throttled during an incident.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::problem::Problem;
use crate::auth::Principal;

/// Requests per second and burst size of every region's bucket.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second.
    pub per_second: f64,
    /// How many requests may come at once after a quiet period (the bucket's capacity).
    pub burst: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--rate-limit: expected <per-second>[:<burst>], a rate of at least 0.001 per second and a \
     burst of at least 1, or `off` (got {0:?})"
)]
pub struct RateLimitParseError(pub String);

impl RateLimit {
    /// The default: far above what a province's platform sends in normal operation (batch
    /// forwarding included), low enough that one runaway client cannot starve the others.
    pub const DEFAULT: RateLimit = RateLimit {
        per_second: 200.0,
        burst: 1000.0,
    };

    /// Parses `<per-second>[:<burst>]` (burst defaults to one second's worth, at least 1), or
    /// `off` for no limit (`None`).
    pub fn parse(text: &str) -> Result<Option<RateLimit>, RateLimitParseError> {
        let err = || RateLimitParseError(text.to_string());
        if text.trim().eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (rate, burst) = match text.split_once(':') {
            Some((r, b)) => (r, Some(b)),
            None => (text, None),
        };
        let per_second: f64 = rate.trim().parse().map_err(|_| err())?;
        let burst: f64 = match burst {
            Some(b) => b.trim().parse().map_err(|_| err())?,
            None => per_second.max(1.0),
        };
        let usable = |x: f64| x.is_finite() && x > 0.0;
        // Below one request in about 17 minutes a limit is a refusal, and its wait overflows.
        if !usable(per_second) || per_second < MIN_PER_SECOND || !usable(burst) || burst < 1.0 {
            return Err(err());
        }
        Ok(Some(RateLimit { per_second, burst }))
    }
}

/// The lowest rate `--rate-limit` takes: one request in about 17 minutes.
pub const MIN_PER_SECOND: f64 = 0.001;

/// The longest wait a refusal names.
const MAX_WAIT: Duration = Duration::from_secs(86_400);

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// The buckets of every region; `None` limit means unlimited.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(limit: Option<RateLimit>) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket at `now`, or says how long until one is available.
    pub fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        self.take_n(key, 1.0, now)
    }

    /// Takes `cost` from `key`'s bucket at `now` (a request, or a body's bytes: [`super::quota`]),
    /// or says how long until that much is available. Nothing is taken from a refused bucket.
    pub fn take_n(&self, key: &str, cost: f64, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: limit.burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * limit.per_second).min(limit.burst);
        bucket.last = now;
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            Ok(())
        } else {
            // Bounded, whatever the limit: a wait past a day is a day.
            let wait = (cost - bucket.tokens) / limit.per_second;
            Err(Duration::try_from_secs_f64(wait)
                .unwrap_or(MAX_WAIT)
                .min(MAX_WAIT))
        }
    }

    /// Admits `principal`'s request or refuses it with 429 and `Retry-After` (whole seconds,
    /// rounded up, so a client that waits that long is admitted).
    pub fn admit(&self, principal: &Principal) -> Result<(), Problem> {
        let Principal::Region { code, .. } = principal else {
            return Ok(());
        };
        self.take(code, Instant::now()).map_err(|wait| {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            let mut p = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                format!(
                    "region {code}'s request rate (all its tokens together) is limited to {}/s \
                     (bursts of {}); retry after {secs} s",
                    self.limit.map_or(0.0, |l| l.per_second),
                    self.limit.map_or(0.0, |l| l.burst)
                ),
            );
            p.retry_after = Some(secs);
            p
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rate_and_burst() {
        assert_eq!(
            RateLimit::parse("5:10"),
            Ok(Some(RateLimit {
                per_second: 5.0,
                burst: 10.0
            }))
        );
        assert_eq!(
            RateLimit::parse("0.5"),
            Ok(Some(RateLimit {
                per_second: 0.5,
                burst: 1.0
            }))
        );
        assert_eq!(RateLimit::parse("off"), Ok(None));
        for bad in [
            "", "0", "-1", "x", "5:0", "5:x", "inf", "NaN:2", "1e-30:1", "0.0009",
        ] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
        assert!(RateLimit::parse("0.001").is_ok());
    }

    /// Given the lowest rate, or a bucket set up below it (as a limit made in code could be),
    /// when a second request comes at once, then it is refused with a wait of at most a day,
    /// never a panic. (Found by an operator's walkthrough: `--rate-limit 1e-30:1` made the
    /// handler panic on the wait's overflow.)
    #[test]
    fn a_refusal_names_a_bounded_wait() {
        for per_second in [MIN_PER_SECOND, 1e-30] {
            let limiter = RateLimiter::new(Some(RateLimit {
                per_second,
                burst: 1.0,
            }));
            let now = Instant::now();
            assert!(limiter.take("440000", now).is_ok());
            let wait = limiter.take("440000", now).expect_err("refused");
            assert!(
                wait <= MAX_WAIT && wait > Duration::from_secs(900),
                "{wait:?}"
            );
        }
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_the_rate() {
        let limiter = RateLimiter::new(Some(RateLimit {
            per_second: 2.0,
            burst: 3.0,
        }));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take("a", t0).is_ok());
        }
        let wait = limiter.take("a", t0).expect_err("empty");
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-9, "{wait:?}");
        // Another region has its own bucket.
        assert!(limiter.take("b", t0).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_ok());
        assert!(limiter.take("a", t0 + Duration::from_millis(500)).is_err());
        // Refill never exceeds the burst.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert!(limiter.take("a", later).is_ok());
        }
        assert!(limiter.take("a", later).is_err());
    }

    /// A region's second token (one being rotated in) draws on the same allowance.
    #[test]
    fn every_token_of_a_region_shares_its_bucket() {
        let limiter = RateLimiter::new(Some(RateLimit {
            per_second: 1.0,
            burst: 2.0,
        }));
        let token = |code: &str, id: &str| Principal::Region {
            code: code.into(),
            token_id: id.into(),
        };
        assert!(limiter.admit(&token("310000", "old")).is_ok());
        assert!(limiter.admit(&token("310000", "new")).is_ok());
        let refused = limiter
            .admit(&token("310000", "new"))
            .expect_err("the region's burst is spent");
        assert_eq!(refused.status, 429);
        assert!(
            refused.detail.contains("region 310000"),
            "{}",
            refused.detail
        );
        assert!(limiter.admit(&token("310000", "old")).is_err());
        assert!(limiter.admit(&token("440000", "gd")).is_ok());
    }

    #[test]
    fn operators_and_unlimited_gateways_are_never_refused() {
        let limiter = RateLimiter::new(Some(RateLimit {
            per_second: 1.0,
            burst: 1.0,
        }));
        let op = Principal::Operator {
            token_id: "op".into(),
        };
        for _ in 0..10 {
            assert!(limiter.admit(&op).is_ok());
        }
        let off = RateLimiter::new(None);
        let region = Principal::Region {
            code: "310000".into(),
            token_id: "t".into(),
        };
        for _ in 0..10 {
            assert!(off.admit(&region).is_ok());
        }
    }
}
