//! How an answer names a value the caller wrote (into a URL, a query, a header, a body's code
//! field: a region's code, a matter's, a schema subject, a version, a time). A message that quotes it helps with a typo (`medical-filng`), but
//! the value is the caller's own text: an ID number or a phone pasted where a code belongs is
//! personal data, which no answer echoes and no log line carries. So a value is quoted only when
//! it has the form of what belongs there; otherwise the message leaves it out.

/// `value` quoted as written when `fits` says it has the form of what belongs there, else
/// `None` (and the message says what was expected instead of what was given).
pub fn quoted(value: &str, fits: fn(&str) -> bool) -> Option<String> {
    fits(value).then(|| format!("{value:?}"))
}

/// `value` as a message says it: quoted as written when `fits` says it has the form of what
/// belongs there, else by its length alone (`(a value of 11 characters, not shown)`).
pub fn said(value: &str, fits: fn(&str) -> bool) -> String {
    quoted(value, fits).unwrap_or_else(|| {
        format!(
            "(a value of {} characters, not shown)",
            value.chars().count()
        )
    })
}

/// A time or a date as a caller may write one, well or badly (`2026-11-23T08:00:00+08:00`,
/// `2026-11-23 08:00`, `2026-13-01`, `2026-11`): up to 40 characters, starting with a year and a
/// month of two digits (`YYYY-MM`, then the end or `-`), of digits, `-`, `:`, `.`, `+`, `T`, `Z`
/// and spaces. An ID number or a phone, whole or in groups (`1398-7654-321`, `4401-0619-…`), does
/// not start so.
pub fn time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    (7..=40).contains(&b.len())
        && digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && matches!(b.get(7), None | Some(b'-'))
        && (b.len() < 10 || (digits(8..10) && matches!(b.get(10), None | Some(b'T' | b't' | b' '))))
        && b.iter().all(|c| {
            c.is_ascii_digit()
                || matches!(
                    c,
                    b'-' | b':' | b'.' | b'+' | b'T' | b't' | b'Z' | b'z' | b' '
                )
        })
}

/// A seq, or any number of a query string, as a caller may write one, well or badly (`3`,
/// `+3`, `-1`, `03`, ` 3`, `1.5`): up to 8 characters of digits, a sign, `.` and spaces, up to 5
/// digits in all (no application has 100,000 events), so that a phone or an ID number typed
/// there is never one, nor a name (`zhangsan`, a person's in pinyin) or an address
/// (`li@qq.cn`): a letter makes it none.
pub fn seq(s: &str) -> bool {
    (1..=8).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.' | b' '))
        && s.bytes().filter(u8::is_ascii_digit).count() <= 5
}

/// A log position the caller named past the log's end (`end`), as a refusal says it: as written
/// when it has at most 5 digits, or no more than the end has (a typo, or a position from before a
/// restore), and never more than 10; else by its digits' count (`a number of 18 digits`): a phone
/// or an ID number's digits may have been typed where a position belongs (a log reaches 11
/// digits at ten billion events).
pub fn position(n: u64, end: u64) -> String {
    let digits = n.to_string().len();
    let allowed = end.to_string().len().clamp(5, 10);
    match digits <= allowed {
        true => n.to_string(),
        false => format!("a number of {digits} digits"),
    }
}

/// A media type as a header carries it (`text/plain; charset=GBK`): printable ASCII and spaces,
/// up to 100 characters, without the digits an ID number or a phone leaves.
pub fn media_type(s: &str) -> bool {
    (1..=100).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        && !has_digit_run(s)
}

/// A name the caller made up (a query parameter's) as a message names it: as written when it has
/// the form of a parameter's name ([`code`]), else by its length, not shown (`欧阳=1`, a name).
pub fn name(s: &str) -> String {
    match code(s) {
        true => s.to_string(),
        false => format!("({} characters, not shown)", s.chars().count()),
    }
}

/// A GB/T 2260 region code as written, or a typo of one (`44000`): one to six ASCII digits.
/// Letters are not quoted (a name in pinyin is a person's), nor seven digits or more (the shape
/// an ID number or a phone leaves).
pub fn region(s: &str) -> bool {
    (1..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// A token id as a region book holds one (`tongban regions` mints 8 hex digits; a book edited by
/// hand may hold up to 64 ASCII letters, digits, `_` and `-`), without the digits an ID number
/// or a phone leaves: an id typed to `tongban regions revoke` is quoted back only so.
pub fn token_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        && !has_digit_run(s)
}

/// A code of this gateway's vocabulary (a matter's code, a schema subject such as
/// `matter.medical-filing`): lowercase ASCII letters, digits, `.`, `-` and `_`, up to 64 of them.
pub fn code(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_')
        })
        && !has_digit_run(s)
}

/// A word of a command line as a caller may give one where none belongs (a file's path, a
/// subcommand, a stray value): printable ASCII, up to 255 characters, no `@` (an address), without
/// the digits an ID number or a phone leaves, so `tongban verify /tmp/heads.jsonl extra` names
/// what was not expected while an ID number there is said by its length.
pub fn word(s: &str) -> bool {
    (1..=255).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_graphic() && b != b'@')
        && !has_digit_run(s)
}

/// A version as a caller may write it, well or badly (`2`, `latest`, `01`, `+1`, ` 1`, `v2`):
/// printable ASCII or spaces, up to 20 characters. No version has six digits, so a value with
/// six in a row (an ID number's, a phone's) is none.
pub fn version(s: &str) -> bool {
    (1..=20).contains(&s.len())
        && s.bytes()
            .all(|b| (b.is_ascii_graphic() && b != b'@') || b == b' ')
        && !has_digit_run(s)
}

/// The form a province's own number for an application (an Idempotency-Key as origin, a 受理编号
/// as handler) has when a reconciliation finding may quote it, whatever its digits: printable
/// ASCII (no person's name in Chinese characters), up to 64 characters, no `@` (an address).
/// Its digits are judged apart, by what they hold (`tongban_gateway::ids::quotable_serial`).
pub fn serial_form(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| (b.is_ascii_graphic() && b != b'@') || b == b' ')
}

/// Six or more ASCII digits in a row, or seven or more in all: the shape an ID number or a
/// phone leaves in any text, written whole or in groups (`138-0013-8000`, `+86 138 0013 8000`).
/// Reconciliation judges the names of a province's columns by it too.
pub fn has_digit_run(s: &str) -> bool {
    let mut run = 0;
    let in_a_row = s.bytes().any(|b| {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        run >= 6
    });
    in_a_row || has_seven_digits(s)
}

/// Seven or more ASCII digits in all, however grouped (`138.0013.8000`, `0571-88888888`): more
/// than any code of a table holds, and as many as a landline's own number. A local form's code
/// field echoes no value with them, though a typo of a six-digit code there is shown.
pub fn has_seven_digits(s: &str) -> bool {
    s.bytes().filter(u8::is_ascii_digit).count() >= 7
}

/// What a value is made of, for a message that may not quote it (it may be a person's ID
/// number, name or phone): its length and its kinds of characters, `18 characters: 17 digits,
/// 1 ASCII letter`, never the characters themselves. Reconciliation describes a province's
/// cells by it, the offline tools an application id that is none.
pub fn shape(value: &str) -> String {
    let (mut digits, mut ascii, mut beyond, mut other) = (0, 0, 0, 0);
    for c in value.chars() {
        match c {
            '0'..='9' => digits += 1,
            c if c.is_ascii_alphabetic() => ascii += 1,
            c if c.is_alphanumeric() => beyond += 1,
            _ => other += 1,
        }
    }
    let parts: Vec<String> = [
        (digits, "digit", "digits"),
        (ascii, "ASCII letter", "ASCII letters"),
        (beyond, "non-ASCII letter", "non-ASCII letters"),
        (other, "other character", "other characters"),
    ]
    .iter()
    .filter(|(k, _, _)| *k > 0)
    .map(|(k, one, many)| format!("{k} {}", if *k == 1 { one } else { many }))
    .collect();
    let n = value.chars().count();
    format!(
        "{n} character{}: {}",
        if n == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a position past the log's end, when a refusal says it, then a phone's or an ID
    /// number's digits are said by their count, and a typo near the end as written.
    #[test]
    fn positions_past_the_end_are_quoted_only_when_they_could_be_ones() {
        assert_eq!(position(110105194912310021, 263), "a number of 18 digits");
        assert_eq!(position(13800138000, 263), "a number of 11 digits");
        assert_eq!(
            position(13800138000, 99_999_999_999),
            "a number of 11 digits"
        );
        assert_eq!(position(99_999, 263), "99999");
        assert_eq!(position(264, 263), "264");
        assert_eq!(position(1_000_000, 263), "a number of 7 digits");
        assert_eq!(position(12_345_678, 12_000_000), "12345678");
    }

    /// Given personal data typed where a code belongs, when a message would quote it, then it is
    /// left out; codes, subjects and misspelt versions are still quoted.
    #[test]
    fn only_values_of_the_expected_form_are_quoted() {
        for personal in [
            "11010519491231002X",
            "13800138000",
            "张三",
            "110105491231002",
        ] {
            // (A serial is judged by the numbers it holds: `ids::quotable_serial`'s tests.)
            for fits in [region, code, version, token_id, word] {
                assert_eq!(quoted(personal, fits), None, "{personal}");
            }
        }
        assert_eq!(quoted("440000", region).as_deref(), Some("\"440000\""));
        assert_eq!(quoted("44000", region).as_deref(), Some("\"44000\""));
        assert_eq!(quoted("4400000", region), None);
        assert_eq!(quoted("zhangsan", region), None);
        assert_eq!(
            quoted("dcaea366", token_id).as_deref(),
            Some("\"dcaea366\"")
        );
        assert!(token_id("a1") && token_id("ops-2026_b") && !token_id("a b") && !token_id(""));
        for grouped in ["138-0013-8000", "+86 138 0013 8000", "a@b.cn"] {
            assert_eq!(quoted(grouped, code), None, "{grouped}");
            assert_eq!(quoted(grouped, version), None, "{grouped}");
        }
        assert!(serial_form("ZJ-SL-9") && serial_form("GD-2026-01") && serial_form("SL 0001"));
        assert!(!serial_form("") && !serial_form("受理-1") && !serial_form(&"A".repeat(65)));
        assert!(!serial_form("a@b.cn"));
        assert!(code("matter.medical-filing") && code("medical-filng"));
        assert!(word("/tmp/Heads-2026.jsonl") && word("./records.csv") && word("verify"));
        assert!(!word("a@b.cn") && !word("my file") && !word("") && !word("/tmp/13800138000"));
        assert!(!code("Matter") && !code(""));
        assert!(version("latest") && version(" 1") && version("+1") && version("99999"));
        assert!(!version("123456"));
        for t in [
            "2026-11-23T08:00:00+08:00",
            "2026-11-23 08:00",
            "2026-13-01",
            "2026-11-23T08:00:00.123456789Z",
        ] {
            assert_eq!(said(t, time), format!("{t:?}"));
        }
        for personal in [
            "13987654321",
            "440106197707077771",
            "139-8765-4321",
            "欧阳隐私13987654321",
            "1398-7654-321",
            "4401-0619-7707-0777-71",
            "1398-76-54321",
        ] {
            assert!(
                !time(personal) && !media_type(personal) && !seq(personal),
                "{personal}"
            );
        }
        assert!(seq("3") && seq("+3") && seq("03") && seq("99999") && !seq("100000"));
        // A name in pinyin, an address, a name with a space: a person's, never quoted.
        for personal in ["zhangsan", "li@qq.cn", "wang wei", "3a", "0x10", "1e3"] {
            assert!(!seq(personal), "{personal}");
        }
        assert!(seq("-1") && seq("1.5") && seq(" 3"));
        assert_eq!(
            said("欧阳隐私13987654321", time),
            "(a value of 15 characters, not shown)"
        );
        assert!(media_type("text/plain; charset=GBK") && media_type("application/xml"));
        assert!(!media_type("text/plain; name=13987654321"));
    }
}
