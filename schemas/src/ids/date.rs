//! Calendar dates as the canonical forms write them (`YYYY-MM-DD`), checked to be real dates.

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A real date (leap years included), or `None`.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if month == 0 || month > 12 || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Parses `YYYYMMDD` (the form inside an ID number and many police systems).
    pub fn parse_compact(s: &str) -> Option<Date> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Date::new(
            s[0..4].parse().ok()?,
            s[4..6].parse().ok()?,
            s[6..8].parse().ok()?,
        )
    }

    /// Parses the canonical `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = [&s[0..4], &s[5..7], &s[8..10]];
        if !digits.iter().all(|d| d.bytes().all(|c| c.is_ascii_digit())) {
            return None;
        }
        Date::new(
            digits[0].parse().ok()?,
            digits[1].parse().ok()?,
            digits[2].parse().ok()?,
        )
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_only() {
        assert!(Date::parse_iso("2024-02-29").is_some());
        assert!(Date::parse_iso("2023-02-29").is_none());
        assert!(Date::parse_iso("1900-02-29").is_none());
        assert!(Date::parse_iso("2000-02-29").is_some());
        assert!(Date::parse_iso("2024-13-01").is_none());
        assert!(Date::parse_iso("2024-1-01").is_none());
        assert_eq!(Date::parse_compact("19491231"), Date::new(1949, 12, 31));
        assert!(Date::parse_compact("19490231").is_none());
    }
}
