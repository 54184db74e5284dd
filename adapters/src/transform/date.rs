//! Date and time layouts as provinces write them: `yyyyMMdd`, `yyyy-MM-dd`, `yyyy年M月d日`,
//! `yyyy-MM-dd HH:mm:ss`, `yyyyMM` … A layout is compiled once into tokens; parsing checks that the
//! date is real (leap years included) with the schemas crate's [`Date`].

use tongban_schemas::ids::date::Date;

/// One piece of a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// `yyyy`: four digits.
    Year,
    /// `MM` (two digits) or `M` (one or two digits, written without padding).
    Month {
        padded: bool,
    },
    /// `dd` or `d`.
    Day {
        padded: bool,
    },
    /// `HH` (two digits) or `H` (one or two, as spreadsheets write `9:35`): 0–23. `mm`, `ss`:
    /// two digits, 0–59.
    Hour {
        padded: bool,
    },
    Minute,
    Second,
    Literal(char),
}

/// A compiled layout such as `yyyy年M月d日`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    tokens: Vec<Token>,
    text: String,
}

/// Minimum digits of a month or day: `MM` pads to two, `M` does not.
fn pad(padded: bool) -> usize {
    if padded { 2 } else { 1 }
}

/// `n` in decimal, zero-padded to `width` digits (as `{:0width$}` writes it, without the
/// formatting machinery: dates are formatted on every form).
fn number(out: &mut String, n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    let mut i = digits.len();
    let mut rest = n;
    loop {
        i -= 1;
        digits[i] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    for _ in (digits.len() - i)..width {
        out.push('0');
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// The parts a layout can carry. Missing parts are `None` (e.g. a year-month layout has no day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Parts {
    pub year: Option<u16>,
    pub month: Option<u8>,
    pub day: Option<u8>,
    pub hour: Option<u8>,
    pub minute: Option<u8>,
    pub second: Option<u8>,
}

/// The tokens of a layout, for messages.
const TOKENS: &str = "yyyy (year), MM or M (month), dd or d (day), HH or H (hour, 0-23), mm \
                      (minute), ss (second); any other character is written as it is";

/// Why a layout does not compile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// No `yyyy`: a layout without a year cannot be a date's.
    #[error("it has no year (yyyy); the tokens are {TOKENS}")]
    NoYear,
    /// A run of a token letter of a length that is no token (`yyyyy`, `yy`, `MMM`).
    #[error("{run:?} is no token; the tokens are {TOKENS}")]
    Run { run: String },
    /// A letter a date layout of another convention uses (`YYYY`, `DD`, `hh`, `SS`), which is
    /// no token here: it would be taken as a literal, and the layout read no year or no day.
    #[error("{run:?} is no token ({why}); the tokens are {TOKENS}")]
    Convention { run: String, why: &'static str },
    /// A one-digit token (`M`, `d`, `H`: one or two digits) next to another number with nothing
    /// between them: `yyyyMd` reads `2024111` as 2024-11-01 though it may be 2024-01-11, and
    /// writes 2024-11-01 and 2024-01-11 alike.
    #[error(
        "{token} (one or two digits) is next to {neighbour} with nothing between them, so a date \
         such as 2024111 reads ambiguously (2024-11-01 or 2024-01-11?): use {padded} (always two \
         digits) or put a separator between them"
    )]
    Ambiguous {
        token: &'static str,
        neighbour: &'static str,
        padded: &'static str,
    },
    /// A quote, as other conventions put around literal text (`yyyy-MM-dd'T'HH:mm:ss`): here it
    /// is a literal itself, so every value would have to hold the quotes and none does.
    #[error(
        "quotes are no part of a layout: they would have to be in every value; letters that are \
         no token are literal as they stand, so write {unquoted:?}"
    )]
    Quoted { unquoted: String },
}

impl Token {
    /// The token as a layout writes it.
    fn name(&self) -> &'static str {
        match self {
            Token::Year => "yyyy",
            Token::Month { padded: true } => "MM",
            Token::Month { padded: false } => "M",
            Token::Day { padded: true } => "dd",
            Token::Day { padded: false } => "d",
            Token::Hour { padded: true } => "HH",
            Token::Hour { padded: false } => "H",
            Token::Minute => "mm",
            Token::Second => "ss",
            Token::Literal(_) => "",
        }
    }

    /// For a one-digit token, its two-digit form.
    fn unpadded(&self) -> Option<&'static str> {
        match self {
            Token::Month { padded: false } => Some("MM"),
            Token::Day { padded: false } => Some("dd"),
            Token::Hour { padded: false } => Some("HH"),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        !matches!(self, Token::Literal(_))
    }
}

impl Layout {
    /// Compiles a layout; `None` if it does not compile (see [`Layout::try_compile`]).
    pub fn compile(text: &str) -> Option<Layout> {
        Layout::try_compile(text).ok()
    }

    /// Compiles a layout, or says why it cannot: it names no year (a layout without one cannot
    /// be a date), a run of a token letter is no token, or a one-digit token touches another
    /// number (which no reader could split).
    pub fn try_compile(text: &str) -> Result<Layout, LayoutError> {
        if text.contains('\'') {
            return Err(LayoutError::Quoted {
                unquoted: text.replace('\'', ""),
            });
        }
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            let run = chars[i..].iter().take_while(|&&x| x == c).count();
            let token = match (c, run) {
                ('y', 4) => Token::Year,
                ('M', 2) => Token::Month { padded: true },
                ('M', 1) => Token::Month { padded: false },
                ('d', 2) => Token::Day { padded: true },
                ('d', 1) => Token::Day { padded: false },
                ('H', 2) => Token::Hour { padded: true },
                ('H', 1) => Token::Hour { padded: false },
                ('m', 2) => Token::Minute,
                ('s', 2) => Token::Second,
                // A convention of other date libraries, not a word of the layout's own text (the
                // `S` of a `CST` suffix): a run of two or more, or one letter standing alone.
                ('Y' | 'D' | 'h' | 'S', _)
                    if run > 1
                        || !(chars.get(i + 1).is_some_and(char::is_ascii_alphabetic)
                            || i > 0 && chars[i - 1].is_ascii_alphabetic()) =>
                {
                    return Err(LayoutError::Convention {
                        run: chars[i..i + run].iter().collect(),
                        why: match (c, run) {
                            ('Y', _) => "upper-case: the year is lower-case yyyy",
                            ('D', _) => "upper-case: the day is lower-case dd or d",
                            ('h', _) => "lower-case: the hour is upper-case HH or H, 0-23",
                            // Milliseconds elsewhere: not the seconds written another way.
                            ('S', 3) => {
                                "milliseconds: a layout reads whole seconds (ss) only, no \
                                 fraction, so values with milliseconds cannot be read"
                            }
                            _ => "upper-case: the seconds are lower-case ss",
                        },
                    });
                }
                ('y' | 'M' | 'd' | 'H' | 'm' | 's', _) => {
                    return Err(LayoutError::Run {
                        run: chars[i..i + run].iter().collect(),
                    });
                }
                _ => {
                    tokens.push(Token::Literal(c));
                    i += 1;
                    continue;
                }
            };
            tokens.push(token);
            i += run;
        }
        // A one-digit token is read greedily: it is ambiguous only when another number follows it
        // at once (`yyyyMd`: is `2024111` January 11 or November 1?). One after a fixed-width
        // token (`yyyyMMd`, `yyyyM月`) ends where the text or a literal does.
        for pair in tokens.windows(2) {
            let [a, b] = pair else { continue };
            if !(a.is_number() && b.is_number()) {
                continue;
            }
            if let Some(padded) = a.unpadded() {
                return Err(LayoutError::Ambiguous {
                    token: a.name(),
                    neighbour: b.name(),
                    padded,
                });
            }
        }
        if !tokens.contains(&Token::Year) {
            return Err(LayoutError::NoYear);
        }
        Ok(Layout {
            tokens,
            text: text.to_string(),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Why this layout cannot be a date's, if it cannot: a day without a month, or a time of day
    /// without a whole date. Such a layout compiles (it names a year) but reads no real date, so
    /// every form would be refused with `date-format`; the common slip is `yyyymmdd`, where `mm`
    /// is minutes. A year and month (`yyyyMM`) or a year alone is a layout of its own.
    pub fn not_a_date(&self) -> Option<&'static str> {
        let (month, day) = self.date_parts();
        let time = self
            .tokens
            .iter()
            .any(|t| matches!(t, Token::Hour { .. } | Token::Minute | Token::Second));
        if day && !month {
            Some("it has a day but no month (the month is MM or M; lower-case mm is minutes)")
        } else if time && !(month && day) {
            Some(
                "it has a time of day but not a whole date: yyyy, MM (or M) and dd (or d) \
                 (lower-case mm is minutes)",
            )
        } else {
            None
        }
    }

    /// Which parts of a date the layout carries, in words: `a whole date`, `a year and month` or
    /// `a year`. The local and canonical layouts of a field must carry the same (one direction
    /// would otherwise fail on every value: `yyyyMM` read has no day for `yyyy-MM-dd` to write).
    pub fn carries(&self) -> &'static str {
        match self.date_parts() {
            (true, true) => "a whole date",
            (true, false) => "a year and month",
            _ => "a year",
        }
    }

    /// Whether the layout has a month and a day.
    fn date_parts(&self) -> (bool, bool) {
        let month = self.tokens.iter().any(|t| matches!(t, Token::Month { .. }));
        let day = self.tokens.iter().any(|t| matches!(t, Token::Day { .. }));
        (month, day)
    }

    /// Reads `s` in this layout. Year, month and day (where present) must form a real date.
    pub fn parse(&self, s: &str) -> Option<Parts> {
        let mut b = s.chars().peekable();
        let mut p = Parts::default();
        for t in &self.tokens {
            match t {
                Token::Literal(c) => {
                    if b.next() != Some(*c) {
                        return None;
                    }
                }
                Token::Year => p.year = Some(digits(&mut b, 4, 4)? as u16),
                Token::Month { padded } => {
                    p.month = Some(digits(&mut b, if *padded { 2 } else { 1 }, 2)? as u8)
                }
                Token::Day { padded } => {
                    p.day = Some(digits(&mut b, if *padded { 2 } else { 1 }, 2)? as u8)
                }
                Token::Hour { padded } => {
                    p.hour = Some(bounded(
                        digits(&mut b, if *padded { 2 } else { 1 }, 2)?,
                        23,
                    )?)
                }
                Token::Minute => p.minute = Some(bounded(digits(&mut b, 2, 2)?, 59)?),
                Token::Second => p.second = Some(bounded(digits(&mut b, 2, 2)?, 59)?),
            }
        }
        if b.next().is_some() {
            return None;
        }
        match (p.year, p.month, p.day) {
            (Some(y), Some(m), Some(d)) => Date::new(y, m, d).map(|_| p),
            (Some(_), Some(m), None) => (1..=12).contains(&m).then_some(p),
            (Some(_), None, None) => Some(p),
            _ => None,
        }
    }

    /// Writes `parts` in this layout; `None` if the layout needs a part that is missing (a time of
    /// day is written as zeros when the source had none: `2024-03-01` → `2024-03-01 00:00:00`).
    pub fn format(&self, p: &Parts) -> Option<String> {
        let mut out = String::with_capacity(self.text.len() + 4);
        for t in &self.tokens {
            match t {
                Token::Literal(c) => out.push(*c),
                Token::Year => number(&mut out, p.year?.into(), 4),
                Token::Month { padded } => number(&mut out, p.month?.into(), pad(*padded)),
                Token::Day { padded } => number(&mut out, p.day?.into(), pad(*padded)),
                Token::Hour { padded } => {
                    number(&mut out, p.hour.unwrap_or(0).into(), pad(*padded))
                }
                Token::Minute => number(&mut out, p.minute.unwrap_or(0).into(), 2),
                Token::Second => number(&mut out, p.second.unwrap_or(0).into(), 2),
            }
        }
        Some(out)
    }
}

/// Reads `min..=max` ASCII digits greedily (a one-digit `M` still takes a second digit if present).
fn digits(b: &mut std::iter::Peekable<std::str::Chars<'_>>, min: usize, max: usize) -> Option<u32> {
    let mut n = 0u32;
    let mut count = 0;
    while count < max {
        match b.peek() {
            Some(c) if c.is_ascii_digit() => {
                n = n * 10 + (*c as u32 - '0' as u32);
                b.next();
                count += 1;
            }
            _ => break,
        }
    }
    (count >= min).then_some(n)
}

fn bounded(n: u32, max: u32) -> Option<u8> {
    (n <= max).then_some(n as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_pad_like_format() {
        for n in [
            0u32,
            1,
            9,
            10,
            99,
            100,
            999,
            1000,
            2024,
            9999,
            10000,
            65535,
            u32::MAX,
        ] {
            for width in [1, 2, 4] {
                let mut out = String::new();
                number(&mut out, n, width);
                assert_eq!(out, format!("{n:0width$}"));
            }
        }
    }

    fn convert(from: &str, to: &str, s: &str) -> Option<String> {
        let p = Layout::compile(from)?.parse(s)?;
        Layout::compile(to)?.format(&p)
    }

    #[test]
    fn layouts_provinces_use() {
        assert_eq!(
            convert("yyyyMMdd", "yyyy-MM-dd", "20240301").as_deref(),
            Some("2024-03-01")
        );
        assert_eq!(
            convert("yyyy年M月d日", "yyyy-MM-dd", "2024年3月1日").as_deref(),
            Some("2024-03-01")
        );
        assert_eq!(
            convert("yyyy-MM-dd", "yyyy年M月d日", "2024-12-25").as_deref(),
            Some("2024年12月25日")
        );
        assert_eq!(
            convert("yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd", "2024-03-01 08:30:00").as_deref(),
            Some("2024-03-01")
        );
        assert_eq!(
            convert("yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss", "2024-03-01").as_deref(),
            Some("2024-03-01 00:00:00")
        );
        assert_eq!(
            convert("yyyyMM", "yyyy-MM", "200107").as_deref(),
            Some("2001-07")
        );
    }

    #[test]
    fn layouts_that_read_no_date_are_told_apart() {
        let why = |l: &str| Layout::compile(l).and_then(|l| l.not_a_date());
        for ok in [
            "yyyyMMdd",
            "yyyy年M月d日",
            "yyyy-MM-dd HH:mm:ss",
            "yyyyMM",
            "yyyy",
        ] {
            assert_eq!(why(ok), None, "{ok}");
        }
        // `mm` is minutes: a day with no month, or a time of day with no whole date.
        assert!(why("yyyymmdd").is_some_and(|w| w.contains("no month")));
        assert!(why("yyyyddmm").is_some_and(|w| w.contains("no month")));
        assert!(why("yyyy-MM mm:ss").is_some_and(|w| w.contains("not a whole date")));
        assert!(why("yyyy-MM HH:mm").is_some_and(|w| w.contains("not a whole date")));
        let carries = |l: &str| Layout::compile(l).map(|l| l.carries());
        assert_eq!(carries("yyyy年M月d日"), Some("a whole date"));
        assert_eq!(carries("yyyy-MM-dd HH:mm:ss"), Some("a whole date"));
        assert_eq!(carries("yyyyMM"), Some("a year and month"));
        assert_eq!(carries("yyyy"), Some("a year"));
    }

    #[test]
    fn rejects_unreal_and_malformed() {
        let l = Layout::compile("yyyyMMdd").unwrap();
        assert!(l.parse("20230229").is_none());
        assert!(l.parse("2024031").is_none());
        assert!(l.parse("202403011").is_none());
        assert!(l.parse("２０２４0301").is_none());
        assert!(
            Layout::compile("yyyy-MM-dd HH:mm:ss")
                .unwrap()
                .parse("2024-03-01 24:00:00")
                .is_none()
        );
        assert!(Layout::compile("yyyyy").is_none());
        assert!(Layout::compile("MM-dd").is_none());
    }

    /// Given layouts written in another convention's letters (`YYYY年M月D日`, `hh`, `SS`), when
    /// compiled, then each is refused naming the letter, the token meant and the tokens there
    /// are; before, `Y` and `D` were taken as literals and the message said only "bad date
    /// layout".
    #[test]
    fn letters_of_other_conventions_are_named() {
        for (bad, run, meant) in [
            ("YYYY年M月D日", "YYYY", "the year is lower-case yyyy"),
            ("yyyy年M月D日", "D", "the day is lower-case dd or d"),
            ("yyyyMMDD", "DD", "the day is lower-case dd or d"),
            ("yyyy-MM-dd hh:mm", "hh", "the hour is upper-case HH or H"),
            ("yyyy-MM-dd HH:mm:SS", "SS", "the seconds are lower-case ss"),
        ] {
            let e = Layout::try_compile(bad).expect_err(bad).to_string();
            assert!(e.starts_with(&format!("{run:?} is no token")), "{bad}: {e}");
            assert!(e.contains(meant), "{bad}: {e}");
            assert!(
                e.contains("the tokens are yyyy (year), MM or M (month)"),
                "{e}"
            );
        }
    }

    /// Given `yyyy-MM-dd HH:mm:ss.SSS`, when compiled, then the hint is about milliseconds (which
    /// no layout reads), not "the seconds are lower-case ss", which led to `ss.ss`; given a
    /// layout quoting a literal (`yyyy-MM-dd'T'HH:mm:ss`), then it is refused saying to write it
    /// unquoted (before, it compiled with the quotes as literals, and every value failed), and
    /// the unquoted layout reads the values meant.
    #[test]
    fn milliseconds_and_quoted_literals_get_their_own_hints() {
        let e = Layout::try_compile("yyyy-MM-dd HH:mm:ss.SSS")
            .expect_err("SSS")
            .to_string();
        assert!(e.starts_with("\"SSS\" is no token (milliseconds"), "{e}");
        assert!(!e.contains("lower-case ss"), "{e}");

        let e = Layout::try_compile("yyyy-MM-dd'T'HH:mm:ss").expect_err("quoted");
        assert_eq!(
            e,
            LayoutError::Quoted {
                unquoted: "yyyy-MM-ddTHH:mm:ss".into()
            }
        );
        assert!(
            e.to_string().contains("write \"yyyy-MM-ddTHH:mm:ss\""),
            "{e}"
        );
        assert_eq!(
            convert("yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd", "2024-03-01T08:30:00").as_deref(),
            Some("2024-03-01")
        );
    }

    /// Given layouts where a one-digit token (`M`, `d`, `H`) is followed at once by another
    /// number, when compiled, then they are refused saying to pad or separate: read, `yyyyMd`
    /// would take `2024111` as 2024-11-01 though it may be 2024-01-11, and written, both dates
    /// would come out alike. One-digit tokens set off by literals (`yyyy年M月d日`, `yyyy/M/d
    /// H:mm`, `yyyy-M-dTH:mm:ss`) or ending the text after fixed-width ones (`yyyyMMd`) still
    /// compile, and still read unpadded values.
    #[test]
    fn one_digit_tokens_touching_another_number_are_refused() {
        for (bad, token, neighbour, padded) in [
            ("yyyyMd", "M", "d", "MM"),
            ("yyyyMdd", "M", "dd", "MM"),
            ("yyyy-MM-dH:mm", "d", "H", "dd"),
            ("yyyy-MM-dd Hmm", "H", "mm", "HH"),
        ] {
            let e = Layout::try_compile(bad).expect_err(bad);
            assert_eq!(
                e,
                LayoutError::Ambiguous {
                    token,
                    neighbour,
                    padded
                },
                "{bad}"
            );
            let text = e.to_string();
            assert!(
                text.contains("use ") && text.contains("or put a separator between them"),
                "{text}"
            );
        }
        for ok in [
            "yyyy年M月d日",
            "yyyy/M/d H:mm",
            "yyyy-M-dTH:mm:ss",
            "yyyy年M月d日H:mm",
            "yyyyMMddHHmmss",
            "yyyy年M月",
            "yyyyMMd",
            "yyyy-MMd",
            // Letters of the layout's own text are literals, not conventions of other libraries.
            "yyyy-MM-dd HH:mm:ss CST",
        ] {
            assert!(Layout::try_compile(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            convert("yyyyMMd", "yyyy-MM-dd", "2024011").as_deref(),
            Some("2024-01-01")
        );
        for convention in [
            "YYYY-MM-dd",
            "yyyy年M月D日",
            "yyyy-MM-dd hh:mm",
            "yyyy-MM-dd HH:mm:SS",
        ] {
            assert!(
                matches!(
                    Layout::try_compile(convention),
                    Err(LayoutError::Convention { .. })
                ),
                "{convention}"
            );
        }
        assert_eq!(
            convert("yyyy/M/d H:mm", "yyyy-MM-dd HH:mm:ss", "2024/1/5 9:07").as_deref(),
            Some("2024-01-05 09:07:00")
        );
    }
}
