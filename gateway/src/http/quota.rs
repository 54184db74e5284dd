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
//! small part of it. Operators are exempt; they do not write.
//!
//! The buckets are in memory, since a body must be admitted or refused before anything is
//! appended, but what they hold is the log's ([`crate::service::written`]): at start each
//! region's bucket holds what its own arithmetic would hold after the bytes the projections
//! count for the region over the last day ([`left_after`]), and the events other gateways of
//! the stream append for it are charged to it as this gateway's projector folds them. Held in
//! each gateway alone, a region wrote its quota once through every gateway behind a balancer,
//! and again after every restart (found by a red team).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;

use super::problem::Problem;
use super::rate::{RateLimit, RateLimiter};
use crate::auth::Principal;
use crate::projections::written::Hours;
use crate::service::written::Written;
use crate::time::Timestamp;

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
    /// What other gateways appended, told by the projector (`None`: nothing but this router's
    /// own admissions counts, as for a router without a gateway's log).
    written: Option<Arc<Written>>,
}

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// What a bucket of `quota` holds at `now` after the bytes of `hours` (by UTC hour since the
/// epoch, ascending), were it full a day before: its own arithmetic (refilled evenly, never
/// above the day's allowance, never below empty) replayed over them, each hour's bytes taken
/// at its end (at `now` for the current hour, and for a later one stamped by a clock ahead).
/// A day is what an empty bucket takes to fill, so nothing before it matters, and taking each
/// hour's bytes at its end is never more generous than taking them when they came. Subtracting
/// the day's bytes from the allowance instead would ignore the refill since: a region that
/// spent its day's bytes 20 hours ago would be refused for hours after a restart where a
/// gateway that went on running lets it write.
pub fn left_after(
    quota: WriteQuota,
    hours: impl IntoIterator<Item = (u64, u64)>,
    now: Timestamp,
) -> f64 {
    let day = quota.bytes_per_day as f64;
    let per_ms = day / DAY_MS as f64;
    let start = now.0 - DAY_MS;
    let (mut level, mut at) = (day, start);
    for (hour, bytes) in hours {
        let end = i64::try_from(hour.saturating_add(1))
            .map_or(i64::MAX, |h| h.saturating_mul(HOUR_MS))
            .min(now.0);
        if end <= start {
            continue;
        }
        level = (level + (end - at) as f64 * per_ms).min(day);
        at = end;
        level = (level - bytes as f64).max(0.0);
    }
    (level + (now.0 - at) as f64 * per_ms).min(day)
}

/// How often a region's refusals are logged: a flood refused at its rate limit would otherwise
/// write a line per request.
const TELL_EVERY: Duration = Duration::from_secs(600);

impl WriteQuotas {
    /// Buckets that start full and count only what this router admits.
    pub fn new(quota: Option<WriteQuota>) -> WriteQuotas {
        WriteQuotas {
            quota,
            buckets: RateLimiter::new(quota.map(WriteQuota::as_rate)),
            told: Mutex::new(HashMap::new()),
            written: None,
        }
    }

    /// Buckets that start from what the log took from each region over the last day, as the
    /// projections counted it when the gateway started ([`left_after`]), and are charged with
    /// what other writers append as `written` is told of it.
    pub fn for_log(quota: Option<WriteQuota>, written: Arc<Written>) -> WriteQuotas {
        let mut quotas = WriteQuotas::new(quota);
        if let Some(quota) = quota {
            quotas.seed(quota, written.at_start(), Timestamp::now(), Instant::now());
        }
        quotas.written = Some(written);
        quotas
    }

    /// Sets each region of `hours` to what [`left_after`] says of its hours at `now`.
    fn seed(&self, quota: WriteQuota, hours: &Hours, now: Timestamp, instant: Instant) {
        let mut by_region: HashMap<&str, Vec<(u64, u64)>> = HashMap::new();
        for ((hour, region), bytes) in hours {
            by_region.entry(region).or_default().push((*hour, *bytes));
        }
        for (region, hours) in by_region {
            let left = left_after(quota, hours, now);
            self.buckets.set(region, left, instant);
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
        // Other gateways' appends for the region, folded since its last write here.
        let others = self.written.as_ref().map_or(0, |w| w.take_others(code));
        if others > 0 {
            self.buckets.spend(code, others as f64, now);
        }
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
                        "region {code}'s writes (all its tokens together, through any gateway \
                         of the log) may carry {} bytes a day, refilled evenly over the day, and \
                         this body of {bytes} bytes is past what is left; retry after {secs} s, \
                         or ask the gateway's operators (tongban serve --write-quota)",
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

    fn region(code: &str) -> Principal {
        Principal::Region {
            code: code.into(),
            token_id: "t".into(),
        }
    }

    const MIB: u64 = 1 << 20;

    /// Given a quota of 24 MiB a day (1 MiB an hour of refill), when the log's last day holds
    /// a region's bytes, then its bucket starts where its own arithmetic would stand: full
    /// with nothing written, empty right after the whole day's bytes, refilled by the hours
    /// since they were written (never above full), and a day's worth written in each of two
    /// hours empties it whatever came between.
    #[test]
    fn a_bucket_starts_where_the_logs_last_day_leaves_it() {
        let quota = WriteQuota {
            bytes_per_day: 24 * MIB,
        };
        let now_hour = 494_000u64;
        // Ten minutes into `now_hour`.
        let now = Timestamp(now_hour as i64 * HOUR_MS + 600_000);
        let mib = |x: f64| x * MIB as f64;
        let close = |got: f64, want: f64| (got - want).abs() < 1.0;
        assert!(close(left_after(quota, [], now), mib(24.0)));
        // The whole day's bytes this hour: empty.
        assert!(close(left_after(quota, [(now_hour, 24 * MIB)], now), 0.0));
        // Five hours ago (the hour ending four hours and fifty minutes before now's ten minutes
        // in): 24 MiB spent at its end, refilled by 4 h 10 min since.
        let five_ago = left_after(quota, [(now_hour - 5, 24 * MIB)], now);
        assert!(close(five_ago, mib(4.0 + 10.0 / 60.0)), "{five_ago}");
        // Half the day's bytes 20 hours ago: long refilled.
        assert!(close(
            left_after(quota, [(now_hour - 20, 12 * MIB)], now),
            mib(24.0)
        ));
        // An hour before the day began counts only for its part inside it, at its end.
        let first = left_after(quota, [(now_hour - 24, 24 * MIB)], now);
        assert!(close(first, mib(23.0 + 10.0 / 60.0)), "{first}");
        let older = left_after(quota, [(now_hour - 26, 24 * MIB)], now);
        assert!(close(older, mib(24.0)));
        // Over the quota twice: empty at the second, refilled since.
        let twice = left_after(
            quota,
            [(now_hour - 3, 24 * MIB), (now_hour - 1, 24 * MIB)],
            now,
        );
        assert!(close(twice, mib(10.0 / 60.0)), "{twice}");
        // Stamped ahead by another gateway's clock: taken now.
        assert!(close(
            left_after(quota, [(now_hour + 2, 2 * MIB)], now),
            mib(22.0)
        ));
    }

    /// Given a gateway whose projections counted 2 MiB of a region's writes this hour, and a
    /// quota of 3 MiB a day, when it starts, then that region has about 1 MiB left (a second
    /// MiB is refused) while another region starts full; and when the projector then folds 512
    /// KiB another gateway appended for a region, that region's next write is charged it too
    /// (past empty it stays empty: refused), while its own admitted writes are not charged again.
    #[test]
    fn buckets_start_from_the_log_and_take_other_gateways_writes() {
        let quota = WriteQuota {
            bytes_per_day: 3 * MIB,
        };
        let hour = crate::projections::written::hour_at(Timestamp::now());
        let hours = Hours::from([((hour, "310000".to_string()), 2 * MIB)]);
        let written = Arc::new(Written::new(hours, 40));
        let quotas = WriteQuotas::for_log(Some(quota), Arc::clone(&written));
        assert!(
            quotas
                .charge(&region("310000"), (MIB - 4096) as usize)
                .is_ok()
        );
        assert_eq!(
            quotas
                .charge(&region("310000"), MIB as usize)
                .expect_err("the log's 2 MiB and this 1 MiB are the day's")
                .status,
            429
        );
        assert!(quotas.charge(&region("440000"), (2 * MIB) as usize).is_ok());

        // 440000 has 1 MiB left: another gateway's 512 KiB leaves half of it.
        let mut other = crate::log::conformance::event("app", 1, "");
        other.region = "440000".into();
        written.folded(&crate::log::Positioned::stored(41, other, 512 << 10));
        assert!(quotas.charge(&region("440000"), 500 << 10).is_ok());
        assert!(quotas.charge(&region("440000"), 100 << 10).is_err());
        // This gateway's own append, folded, is not charged again.
        let mut own = crate::log::conformance::event("app", 2, "");
        own.region = "440000".into();
        written.appending(&own.id);
        written.folded(&crate::log::Positioned::stored(42, own, 2 * MIB as usize));
        assert!(quotas.charge(&region("440000"), 8 << 10).is_ok());
    }
}
