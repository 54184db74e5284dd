//! Timestamps and civil dates, without a time-zone database.
//!
//! Event times are UTC instants written as RFC 3339 with milliseconds (`2026-11-23T03:04:05.123Z`).
//! Statutory days are counted in China Standard Time (UTC+8, no daylight saving since 1991), so a
//! fixed offset is exact for every date the gateway handles.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

const DAY_MS: i64 = 86_400_000;

impl Timestamp {
    pub fn now() -> Timestamp {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// The calendar date in China Standard Time.
    pub fn china_date(self) -> CivilDate {
        CivilDate(tongban_schemas::ids::date::china_day(self.0))
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`
    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(DAY_MS);
        let ms_of_day = self.0.rem_euclid(DAY_MS);
        let (y, m, d) = civil_from_days(days);
        let (h, rest) = (ms_of_day / 3_600_000, ms_of_day % 3_600_000);
        let (min, rest) = (rest / 60_000, rest % 60_000);
        let (s, ms) = (rest / 1000, rest % 1000);
        if !(0..=9999).contains(&y) {
            return format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z");
        }
        // Written digit by digit: projections format a few timestamps per event, and `format!`
        // showed in the rebuild's profile.
        let mut out = String::with_capacity(24);
        push_date(&mut out, y, m, d);
        out.push('T');
        push_digits(&mut out, h, 2);
        out.push(':');
        push_digits(&mut out, min, 2);
        out.push(':');
        push_digits(&mut out, s, 2);
        out.push('.');
        push_digits(&mut out, ms, 3);
        out.push('Z');
        out
    }

    /// Parses an HTTP date in the IMF-fixdate form of RFC 7231 §7.1.1.1
    /// (`Sun, 06 Nov 1994 08:49:37 GMT`), the form every HTTP client library writes.
    pub fn parse_http_date(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        // ASCII first: every index below is then a character boundary (a header value that is
        // not visible ASCII never gets here, but this is a public function).
        if b.len() != 29 || !s.is_ascii() || &s[3..5] != ", " || &s[25..] != " GMT" {
            return None;
        }
        if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = s.get(r)?;
            t.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| t.parse().ok())?
        };
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let month = MONTHS.iter().position(|m| s.get(8..11) == Some(m))? as i64 + 1;
        let (d, y) = (num(5..7)?, num(12..16)?);
        let (h, min, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
        if !(1..=days_in_month(y, month)).contains(&d) || h > 23 || min > 59 || sec > 60 {
            return None;
        }
        // A leap second, as in RFC 3339 below: at 23:59 GMT only, its day's last millisecond.
        let leap = sec == 60;
        if leap && (h, min) != (23, 59) {
            return None;
        }
        let days = days_from_civil(y, month, d);
        Some(Timestamp(
            days * DAY_MS
                + h * 3_600_000
                + min * 60_000
                + sec.min(59) * 1000
                + i64::from(leap) * 999,
        ))
    }

    /// Parses RFC 3339 (`Z` or `±hh:mm` offset, optional fraction; extra digits beyond milliseconds
    /// are truncated). Returns `None` for anything else.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let part = s.get(r)?;
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let date = CivilDate::from_ymd(num(0..4)?, num(5..7)?, num(8..10)?)?;
        let (h, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if h > 23 || min > 59 || sec > 60 {
            return None;
        }
        let mut i = 19;
        let mut ms = 0i64;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return None;
            }
            let frac = &s[start..i.min(start + 3)];
            ms = frac.parse::<i64>().ok()? * 10i64.pow(3 - frac.len() as u32);
        }
        let offset_ms = match b.get(i)? {
            b'Z' | b'z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
                let oh = num(i + 1..i + 3)?;
                let om = num(i + 4..i + 6)?;
                if oh > 23 || om > 59 {
                    return None;
                }
                let off = (oh * 60 + om) * 60_000;
                if *sign == b'+' { off } else { -off }
            }
            _ => return None,
        };
        // Second 60 is a leap second, which UTC inserts only after 23:59:59 (RFC 3339 5.7): at
        // any other minute it is no time (`03:25:60Z` was read as 03:25:59.000, before events of
        // that second it comes after). It is read as the last millisecond before the next UTC
        // day, which has no number of its own here.
        if sec == 60 {
            let utc_minute = ((h * 60 + min) * 60_000 - offset_ms).rem_euclid(DAY_MS) / 60_000;
            if utc_minute != 23 * 60 + 59 {
                return None;
            }
            ms = 999;
        }
        let ms_total =
            date.0 * DAY_MS + ((h * 60 + min) * 60 + sec.min(59)) * 1000 + ms - offset_ms;
        Some(Timestamp(ms_total))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A calendar date, as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate(pub i64);

impl CivilDate {
    pub fn from_ymd(y: i64, m: i64, d: i64) -> Option<CivilDate> {
        if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
            return None;
        }
        Some(CivilDate(days_from_civil(y, m, d)))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<CivilDate> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let p = &s[r];
            p.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| p.parse().ok())?
        };
        CivilDate::from_ymd(num(0..4)?, num(5..7)?, num(8..10)?)
    }

    /// Parses the date a serial's digits carry: `yyyyMMdd`, or `yyMMdd` as a date of 2000–2099
    /// (a 受理编号 of region code, date and sequence writes its intake's date one way or the
    /// other; the 15-digit legacy ID number's shape it shares has the six).
    pub fn parse_compact(s: &str) -> Option<CivilDate> {
        if !matches!(s.len(), 6 | 8) || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
        let (year, at) = match s.len() {
            8 => (num(0..4)?, 4),
            _ => (2000 + num(0..2)?, 2),
        };
        CivilDate::from_ymd(year, num(at..at + 2)?, num(at + 2..at + 4)?)
    }

    pub fn ymd(self) -> (i64, i64, i64) {
        civil_from_days(self.0)
    }

    /// ISO weekday: Monday = 1 … Sunday = 7.
    pub fn weekday(self) -> u8 {
        // 1970-01-01 was a Thursday (4).
        ((self.0 + 3).rem_euclid(7) + 1) as u8
    }

    pub fn add_days(self, n: i64) -> CivilDate {
        CivilDate(self.0 + n)
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        if !(0..=9999).contains(&y) {
            return write!(f, "{y:04}-{m:02}-{d:02}");
        }
        let mut out = String::with_capacity(10);
        push_date(&mut out, y, m, d);
        f.write_str(&out)
    }
}

/// Appends `YYYY-MM-DD` (0 ≤ y ≤ 9999).
fn push_date(out: &mut String, y: i64, m: i64, d: i64) {
    push_digits(out, y, 4);
    out.push('-');
    push_digits(out, m, 2);
    out.push('-');
    push_digits(out, d, 2);
}

/// Appends the last `width` decimal digits of `n` (0 ≤ n), zero-padded.
fn push_digits(out: &mut String, n: i64, width: u32) {
    let mut div = 10i64.pow(width.saturating_sub(1));
    while div > 0 {
        let digit = (n / div) % 10;
        out.push(char::from(b'0' + digit as u8));
        div /= 10;
    }
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// The calendar arithmetic lives with the dates the forms carry.
use tongban_schemas::ids::date::{civil_from_days, days_from_civil};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_dates() {
        let t = Timestamp::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
        assert_eq!(t.to_rfc3339(), "1994-11-06T08:49:37.000Z");
        assert_eq!(
            Timestamp::parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"),
            None
        );
        assert_eq!(
            Timestamp::parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"),
            None
        );
        assert_eq!(
            Timestamp::parse_http_date("Sun, 06 Nov 1994 08:49:60 GMT"),
            None
        );
        assert_eq!(
            Timestamp::parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"),
            Timestamp::parse_rfc3339("2016-12-31T23:59:60Z")
        );
        assert_eq!(
            Timestamp::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            None
        );
        // 29 bytes with a multi-byte character where a slice falls: refused, not a panic.
        for odd in [
            "Su中06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:中GMT",
        ] {
            assert_eq!(odd.len(), 29);
            assert_eq!(Timestamp::parse_http_date(odd), None);
        }
    }

    /// Given second 60, when it is read, then it is a leap second only at 23:59 UTC (read as
    /// the day's last millisecond), in any offset; at any other minute it is no time.
    #[test]
    fn second_60_is_a_leap_second_only_at_the_end_of_a_utc_day() {
        let parse = Timestamp::parse_rfc3339;
        assert_eq!(parse("2026-12-07T03:25:60Z"), None);
        assert_eq!(parse("2026-12-31T23:59:60+08:00"), None);
        let leap = parse("2016-12-31T23:59:60Z").expect("a leap second");
        assert_eq!(leap.to_rfc3339(), "2016-12-31T23:59:59.999Z");
        assert_eq!(parse("2017-01-01T07:59:60+08:00"), Some(leap));
        assert_eq!(parse("2016-12-31T23:59:60.5Z"), Some(leap));
        assert_eq!(
            parse("2016-12-31T23:59:59.999Z").map(|t| t.0 + 1),
            parse("2017-01-01T00:00:00Z").map(|t| t.0)
        );
    }

    #[test]
    fn formats_and_parses_round_trip() {
        let t = Timestamp(1_795_000_000_123);
        let s = t.to_rfc3339();
        assert_eq!(s, "2026-11-18T11:06:40.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&s), Some(t));
    }

    #[test]
    fn formatting_matches_the_general_formatter() {
        // From before year 0 to after 9999, in uneven steps that hit every field's range.
        let mut ms = -70_000_000_000_000i64;
        while ms < 260_000_000_000_000 {
            let t = Timestamp(ms);
            let days = ms.div_euclid(DAY_MS);
            let (y, m, d) = civil_from_days(days);
            let of_day = ms.rem_euclid(DAY_MS);
            let expected = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
                of_day / 3_600_000,
                of_day % 3_600_000 / 60_000,
                of_day % 60_000 / 1000,
                of_day % 1000
            );
            assert_eq!(t.to_rfc3339(), expected);
            assert_eq!(CivilDate(days).to_string(), format!("{y:04}-{m:02}-{d:02}"));
            ms += 12_345_678_901;
        }
    }

    #[test]
    fn parses_offsets_and_fractions() {
        let a = Timestamp::parse_rfc3339("2026-11-23T08:00:00+08:00");
        let b = Timestamp::parse_rfc3339("2026-11-23T00:00:00Z");
        assert_eq!(a, b);
        assert_eq!(
            Timestamp::parse_rfc3339("2026-11-23T00:00:00.5Z").map(|t| t.0 % 1000),
            Some(500)
        );
        assert_eq!(Timestamp::parse_rfc3339("2026-02-30T00:00:00Z"), None);
        assert_eq!(Timestamp::parse_rfc3339("2026-11-23 00:00"), None);
        assert_eq!(Timestamp::parse_rfc3339("2026-11-23T00:00:00"), None);
    }

    #[test]
    fn china_date_rolls_over_at_utc_16h() {
        let before = Timestamp::parse_rfc3339("2026-11-23T15:59:59Z").map(|t| t.china_date());
        let after = Timestamp::parse_rfc3339("2026-11-23T16:00:00Z").map(|t| t.china_date());
        assert_eq!(before.map(|d| d.to_string()), Some("2026-11-23".into()));
        assert_eq!(after.map(|d| d.to_string()), Some("2026-11-24".into()));
    }

    #[test]
    fn weekdays() {
        // 2026-11-23 is a Monday.
        assert_eq!(CivilDate::parse("2026-11-23").map(|d| d.weekday()), Some(1));
        assert_eq!(CivilDate::parse("2026-11-29").map(|d| d.weekday()), Some(7));
        assert_eq!(
            CivilDate::parse("2024-02-29").map(|d| d.to_string()),
            Some("2024-02-29".into())
        );
        assert_eq!(CivilDate::parse("2023-02-29"), None);
        // A serial's date: eight digits, or six of 2000–2099; a day that is none is no date.
        assert_eq!(
            CivilDate::parse_compact("20261206"),
            CivilDate::parse("2026-12-06")
        );
        assert_eq!(
            CivilDate::parse_compact("261206"),
            CivilDate::parse("2026-12-06")
        );
        assert_eq!(
            CivilDate::parse_compact("19491231"),
            CivilDate::parse("1949-12-31")
        );
        for none in [
            "20261306",
            "20260230",
            "2026126",
            "2026-12-6",
            "２０２６１２０６",
            "491231x",
        ] {
            assert_eq!(CivilDate::parse_compact(none), None, "{none}");
        }
    }
}
