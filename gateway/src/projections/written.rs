//! The bytes each region got appended to the log, per UTC hour of its events' `at`: what its
//! write quota is about (`crate::http::quota`).
//!
//! Why in the projections: the quota exists so that a compromised region cannot fill the log's
//! disk, so what counts is what the log took from it, and every gateway of a log folds every
//! event of it. Counted in memory per gateway, the quota was a region's allowance once per
//! gateway behind a balancer and again after every restart. Here the count is the log's: each
//! gateway of a stream folds the same events into the same counters, a restart finds them where
//! it left them, and a rebuild counts them again from the log.
//!
//! What counts is each event whose seal holds (a planted one's region is only its claim), by its
//! `region` (the writer) and its stored size ([`crate::log::Positioned::stored`]), whether its
//! application's view folds it or holds it. Per event that is a parse of its `at` (no
//! allocation) and an add into a map of the run ([`Tally`]); the run writes one counter per
//! (region, hour) it touched, in the batch that moves the checkpoint, so a replay after a crash
//! moves the counters no further than the views. Only the last [`KEPT_HOURS`] hours are kept:
//! older ones are pruned when a run finds the hour changed since the last prune (by this host's
//! clock; a rebuild prunes by the time it runs, so a rebuild and the live projections agree on
//! every hour still kept).
//!
//! Key in `meta`: [`PREFIX`], the hour (hours since the Unix epoch, u64 BE), the region's code →
//! the bytes (u64 BE). Codes and sizes only: no personal data.

use std::collections::{BTreeMap, HashMap};

use crate::time::Timestamp;

/// What every counter's key in `meta` starts with.
pub const PREFIX: &[u8] = b"written/";

/// How many hours are kept: the current one and the 24 before it, so that any stretch of 24
/// hours ending now lies within them.
pub const KEPT_HOURS: u64 = 25;

const HOUR_MS: i64 = 3_600_000;

/// The UTC hour (since the Unix epoch) of an RFC 3339 time; `None` for one that does not read
/// or lies before 1970 (no event of a gateway does; such an hour would be pruned at once).
pub fn hour_of(at: &str) -> Option<u64> {
    let t = Timestamp::parse_rfc3339(at)?;
    u64::try_from(t.0.div_euclid(HOUR_MS)).ok()
}

/// The hour `now` lies in.
pub fn hour_at(now: Timestamp) -> u64 {
    u64::try_from(now.0.div_euclid(HOUR_MS)).unwrap_or(0)
}

/// The first hour kept at `now_hour` ([`KEPT_HOURS`]).
pub fn first_kept(now_hour: u64) -> u64 {
    now_hour.saturating_sub(KEPT_HOURS - 1)
}

/// The counter's key for `region`'s bytes in `hour`.
pub fn key(hour: u64, region: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(PREFIX.len() + 8 + region.len());
    k.extend_from_slice(PREFIX);
    k.extend_from_slice(&hour.to_be_bytes());
    k.extend_from_slice(region.as_bytes());
    k
}

/// The hour and region a counter's key names; `None` for a key not written by [`key`].
pub fn parse_key(key: &[u8]) -> Option<(u64, String)> {
    let rest = key.strip_prefix(PREFIX)?;
    let (hour, region) = rest.split_at_checked(8)?;
    let hour = u64::from_be_bytes(hour.try_into().ok()?);
    Some((hour, String::from_utf8(region.to_vec()).ok()?))
}

/// Bytes by hour and region: the counters as held between runs, and as read for the quota and
/// `/metrics`. Ordered by hour first, so pruning splits it.
pub type Hours = BTreeMap<(u64, String), u64>;

/// What one run of events adds: bytes by region, then by hour. Keyed by region first so that
/// an event's region is looked up as it is (`&str`), a region's name copied once per run.
#[derive(Debug, Default)]
pub struct Tally(HashMap<String, HashMap<u64, u64>>);

impl Tally {
    /// Counts an event of `region` stamped `at`, stored in `bytes` bytes. An event whose time
    /// does not read is not counted (its view holds it: [`super::held`]).
    pub fn add(&mut self, region: &str, at: &str, bytes: usize) {
        let Some(hour) = hour_of(at) else {
            return;
        };
        let hours = match self.0.get_mut(region) {
            Some(hours) => hours,
            None => self.0.entry(region.to_string()).or_default(),
        };
        *hours.entry(hour).or_default() += bytes as u64;
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The counters held between runs, and the hour they were last pruned at.
#[derive(Debug, Default, Clone)]
pub struct Held {
    pub hours: Hours,
    pruned_at: Option<u64>,
}

/// A counter to write (`Some(bytes)`) or remove (`None`).
pub type Write = (Vec<u8>, Option<u64>);

impl Held {
    pub fn new(hours: Hours) -> Held {
        Held {
            hours,
            pruned_at: None,
        }
    }

    /// Adds a run's `tally` at `now_hour`, leaving out hours before the first kept, and prunes
    /// those when the hour moved since the last prune. Returns the counters to write: one per
    /// (region, hour) the run touched, and a removal per hour pruned.
    pub fn take(&mut self, tally: Tally, now_hour: u64) -> Vec<Write> {
        let first = first_kept(now_hour);
        let mut writes = Vec::new();
        if self.pruned_at != Some(now_hour) {
            let kept = self.hours.split_off(&(first, String::new()));
            let pruned = std::mem::replace(&mut self.hours, kept);
            writes.extend(pruned.into_keys().map(|(h, r)| (key(h, &r), None)));
            self.pruned_at = Some(now_hour);
        }
        for (region, hours) in tally.0 {
            for (hour, bytes) in hours {
                if hour < first {
                    continue;
                }
                let now = self.hours.entry((hour, region.clone())).or_default();
                *now = now.saturating_add(bytes);
                writes.push((key(hour, &region), Some(*now)));
            }
        }
        writes
    }
}

/// Each region's bytes over the hours kept at `now_hour` (hours after it, stamped by a clock
/// ahead, count too): what `/metrics` shows.
pub fn by_region(hours: &Hours, now_hour: u64) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for ((_, region), bytes) in hours.range((first_kept(now_hour), String::new())..) {
        *out.entry(region.clone()).or_insert(0u64) += bytes;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: &str = "2026-03-01T08";

    fn at(hour_suffix: &str) -> String {
        format!("{HOUR}{hour_suffix}")
    }

    fn hour0() -> u64 {
        hour_of(&at(":00:00.000Z")).expect("an hour")
    }

    /// Given events of two regions in two hours (one written with an offset, the same UTC hour
    /// as another), when they are tallied and taken, then one counter is written per (region,
    /// hour) with the sum of their stored sizes, and a second run adds to what the first left.
    #[test]
    fn a_run_writes_one_counter_per_region_and_hour() {
        let h = hour0();
        let mut tally = Tally::default();
        tally.add("310000", &at(":05:00.000Z"), 1000);
        tally.add("310000", "2026-03-01T16:59:59.999+08:00", 500);
        tally.add("310000", "2026-03-01T09:00:00.000Z", 7);
        tally.add("440000", &at(":30:00.000Z"), 20);
        tally.add("440000", "not a time", 99);
        let mut held = Held::default();
        let mut writes = held.take(tally, h + 1);
        writes.sort();
        let mut expected = vec![
            (key(h, "310000"), Some(1500)),
            (key(h + 1, "310000"), Some(7)),
            (key(h, "440000"), Some(20)),
        ];
        expected.sort();
        assert_eq!(writes, expected);

        let mut again = Tally::default();
        again.add("310000", &at(":59:00.000Z"), 1);
        assert_eq!(
            held.take(again, h + 1),
            vec![(key(h, "310000"), Some(1501))]
        );
        assert_eq!(
            by_region(&held.hours, h + 1),
            BTreeMap::from([("310000".to_string(), 1508), ("440000".to_string(), 20)])
        );
    }

    /// Given counters over 25 hours, when a run comes an hour later, then the oldest hour is
    /// removed (once: the next run in that hour prunes nothing), and an event stamped before the
    /// hours kept is not counted at all.
    #[test]
    fn hours_older_than_the_kept_ones_are_pruned_as_new_hours_come() {
        let h = hour0();
        let mut held = Held::default();
        let mut tally = Tally::default();
        for back in 0..KEPT_HOURS {
            let t = Timestamp((h - back) as i64 * HOUR_MS + 1);
            tally.add("310000", &t.to_rfc3339(), 10);
        }
        assert_eq!(held.take(tally, h).len(), KEPT_HOURS as usize);
        assert_eq!(by_region(&held.hours, h)["310000"], 250);

        let mut next = Tally::default();
        next.add(
            "310000",
            &Timestamp((h + 1) as i64 * HOUR_MS).to_rfc3339(),
            1,
        );
        let oldest = Timestamp((h + 1 - KEPT_HOURS) as i64 * HOUR_MS).to_rfc3339();
        next.add("440000", &oldest, 5);
        let writes = held.take(next, h + 1);
        assert_eq!(
            writes,
            vec![
                (key(h + 1 - KEPT_HOURS, "310000"), None),
                (key(h + 1, "310000"), Some(1)),
            ]
        );
        assert_eq!(held.hours.len(), KEPT_HOURS as usize);
        assert_eq!(by_region(&held.hours, h + 1)["310000"], 241);
        assert_eq!(held.take(Tally::default(), h + 1), vec![]);
    }

    #[test]
    fn a_key_reads_back_as_its_hour_and_region() {
        assert_eq!(
            parse_key(&key(494_000, "310000")),
            Some((494_000, "310000".to_string()))
        );
        assert_eq!(parse_key(b"statistics/310000"), None);
        assert_eq!(parse_key(b"written/123"), None);
    }
}
