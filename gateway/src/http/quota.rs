//! A quota of bytes per region per day on what its writes carry: submissions (canonical bodies
//! and local forms) and actions, counted by their bodies' size once read, before anything is
//! decided or appended.
//!
//! Why: the rate limit bounds requests, not what they hold. Every event stays in the log for
//! good, and each action may carry texts of up to 64 KiB, so a compromised region within its
//! 200 requests a second grew a red team's embedded log by 6.6 MB a second, on course to fill
//! the disk, which stops the log for every region. The quota is a token bucket of bytes (one per
//! region, all its tokens together, as [`super::rate`]): full at the day's allowance, refilled
//! evenly over a day, so a province's busy hour draws on the day while a flood is stopped once
//! the day's bytes are spent and then held to a trickle. Default 4 GiB a day: a province's
//! cross-region work (tens of thousands of applications a day, a few kilobytes each) uses a
//! small part of it. Operators are exempt; they do not write. The buckets live in memory, so a
//! restart refills them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::problem::Problem;
use super::rate::{RateLimit, RateLimiter};
use crate::auth::Principal;

/// Bytes a region's writes may carry per day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteQuota {
    pub bytes_per_day: u64,
}

/// The smallest quota taken: one largest body (1 MiB) must always fit.
pub const MIN_BYTES_PER_DAY: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--write-quota: expected the bytes each region's writes may carry per day, a whole number \
     with an optional KiB, MiB or GiB (at least 1MiB, the largest body), or `off` (got {0:?})"
)]
pub struct WriteQuotaParseError(pub String);

impl WriteQuota {
    /// The default: 4 GiB a day per region.
    pub const DEFAULT: WriteQuota = WriteQuota {
        bytes_per_day: 4 << 30,
    };

    /// Parses `<n>[KiB|MiB|GiB]`, or `off` for no quota (`None`).
    pub fn parse(text: &str) -> Result<Option<WriteQuota>, WriteQuotaParseError> {
        let err = || WriteQuotaParseError(text.to_string());
        let t = text.trim();
        if t.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
            Some(at) => t.split_at(at),
            None => (t, ""),
        };
        let scale: u64 = match unit.trim() {
            "" | "B" => 1,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ => return Err(err()),
        };
        let n: u64 = digits.parse().map_err(|_| err())?;
        let bytes_per_day = n.checked_mul(scale).ok_or_else(err)?;
        if bytes_per_day < MIN_BYTES_PER_DAY {
            return Err(err());
        }
        Ok(Some(WriteQuota { bytes_per_day }))
    }

    /// As a bucket of bytes: full at a day's allowance, refilled over a day.
    fn as_rate(self) -> RateLimit {
        let day = self.bytes_per_day as f64;
        RateLimit {
            per_second: day / 86_400.0,
            burst: day,
        }
    }
}

/// The regions' buckets of bytes, and when each region's refusal was last logged.
#[derive(Debug)]
pub struct WriteQuotas {
    quota: Option<WriteQuota>,
    buckets: RateLimiter,
    told: Mutex<HashMap<String, Instant>>,
}

/// How often a region's refusals are logged: a flood refused at its rate limit would otherwise
/// write a line per request.
const TELL_EVERY: Duration = Duration::from_secs(600);

impl WriteQuotas {
    pub fn new(quota: Option<WriteQuota>) -> WriteQuotas {
        WriteQuotas {
            quota,
            buckets: RateLimiter::new(quota.map(WriteQuota::as_rate)),
            told: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a write's `bytes` against `principal`'s region, or refuses it with 429
    /// `write-quota-exceeded` and `Retry-After` (whole seconds until that many bytes are
    /// available again; a day at most).
    pub fn charge(&self, principal: &Principal, bytes: usize) -> Result<(), Problem> {
        let (Principal::Region { code, .. }, Some(quota)) = (principal, self.quota) else {
            return Ok(());
        };
        let now = Instant::now();
        self.buckets
            .take_n(code, bytes as f64, now)
            .map_err(|wait| {
                self.tell(code, now, quota);
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "write-quota-exceeded",
                    "Write quota exceeded",
                    format!(
                        "region {code}'s writes (all its tokens together) may carry {} bytes a \
                         day, refilled evenly over the day, and this body of {bytes} bytes is \
                         past what is left; retry after {secs} s, or ask the gateway's operators \
                         (tongban serve --write-quota)",
                        quota.bytes_per_day
                    ),
                );
                p.retry_after = Some(secs);
                p
            })
    }

    /// Logs a region's refusal, once per [`TELL_EVERY`].
    fn tell(&self, code: &str, now: Instant, quota: WriteQuota) {
        let mut told = self.told.lock().unwrap_or_else(|p| p.into_inner());
        let due = told
            .get(code)
            .is_none_or(|last| now.saturating_duration_since(*last) >= TELL_EVERY);
        if due {
            told.insert(code.to_string(), now);
            tracing::warn!(
                region = code,
                bytes_per_day = quota.bytes_per_day,
                "a region's writes are past its write quota and are refused (429 \
                 write-quota-exceeded) until it refills: a flood from its platform, or a quota \
                 too small for its work (tongban serve --write-quota); said once per 10 minutes"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_and_off() {
        let q = |n: u64| Ok(Some(WriteQuota { bytes_per_day: n }));
        assert_eq!(WriteQuota::parse("4GiB"), q(4 << 30));
        assert_eq!(WriteQuota::parse(" 512MiB "), q(512 << 20));
        assert_eq!(WriteQuota::parse("2048KiB"), q(2 << 20));
        assert_eq!(WriteQuota::parse("1048576"), q(1 << 20));
        assert_eq!(WriteQuota::parse("OFF"), Ok(None));
        for bad in [
            "",
            "x",
            "1",
            "1023KiB",
            "4 GB",
            "4gib",
            "-1GiB",
            "1.5GiB",
            "99999999999999GiB",
        ] {
            assert!(WriteQuota::parse(bad).is_err(), "{bad}");
        }
    }

    /// Given a quota of 2 MiB a day, when a region's writes carry 1.5 MiB and then another
    /// 1 MiB, then the second is refused (429, with the wait until 1 MiB is back, about half a
    /// day's refill of 2 MiB: 0.5 MiB short of 1 MiB at 2 MiB a day is about 6 hours); another
    /// region and an operator are not.
    #[test]
    fn a_region_past_its_days_bytes_is_refused_and_told_how_long_to_wait() {
        let quotas = WriteQuotas::new(Some(WriteQuota {
            bytes_per_day: 2 << 20,
        }));
        let region = |code: &str| Principal::Region {
            code: code.into(),
            token_id: "t".into(),
        };
        assert!(quotas.charge(&region("310000"), 1536 << 10).is_ok());
        let refused = quotas
            .charge(&region("310000"), 1 << 20)
            .expect_err("past the quota");
        assert_eq!(refused.status, 429);
        let wait = refused.retry_after.expect("Retry-After");
        assert!((21_500..=21_700).contains(&wait), "{wait}");
        assert!(
            refused.detail.contains("region 310000"),
            "{}",
            refused.detail
        );
        // Nothing was taken by the refusal: what is left still fits.
        assert!(quotas.charge(&region("310000"), 512 << 10).is_ok());
        assert!(quotas.charge(&region("440000"), 2 << 20).is_ok());
        let op = Principal::Operator {
            token_id: "op".into(),
        };
        assert!(quotas.charge(&op, 100 << 20).is_ok());
        let off = WriteQuotas::new(None);
        assert!(off.charge(&region("310000"), 100 << 20).is_ok());
    }
}
