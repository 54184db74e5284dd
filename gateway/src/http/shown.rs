//! How an answer names a value the caller wrote into a URL (a region's code, a matter's, a
//! schema subject, a version). A message that quotes it helps with a typo (`medical-filng`), but
//! the value is the caller's own text: an ID number or a phone pasted where a code belongs is
//! personal data, which no answer echoes and no log line carries. So a value is quoted only when
//! it has the form of what belongs there; otherwise the message leaves it out.

/// `value` quoted as written when `fits` says it has the form of what belongs there, else
/// `None` (and the message says what was expected instead of what was given).
pub fn quoted(value: &str, fits: fn(&str) -> bool) -> Option<String> {
    fits(value).then(|| format!("{value:?}"))
}

/// A GB/T 2260 region code as written, or a typo of one (`44000`): one to six ASCII digits.
/// Letters are not quoted (a name in pinyin is a person's), nor seven digits or more (the shape
/// an ID number or a phone leaves).
pub fn region(s: &str) -> bool {
    (1..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
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

/// A version as a caller may write it, well or badly (`2`, `latest`, `01`, `+1`, ` 1`, `v2`):
/// printable ASCII or spaces, up to 20 characters. No version has six digits, so a value with
/// six in a row (an ID number's, a phone's) is none.
pub fn version(s: &str) -> bool {
    (1..=20).contains(&s.len())
        && s.bytes()
            .all(|b| (b.is_ascii_graphic() && b != b'@') || b == b' ')
        && !has_digit_run(s)
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
    in_a_row || s.bytes().filter(u8::is_ascii_digit).count() >= 7
}

#[cfg(test)]
mod tests {
    use super::*;

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
            for fits in [region, code, version] {
                assert_eq!(quoted(personal, fits), None, "{personal}");
            }
        }
        assert_eq!(quoted("440000", region).as_deref(), Some("\"440000\""));
        assert_eq!(quoted("44000", region).as_deref(), Some("\"44000\""));
        assert_eq!(quoted("4400000", region), None);
        assert_eq!(quoted("zhangsan", region), None);
        for grouped in ["138-0013-8000", "+86 138 0013 8000", "a@b.cn"] {
            assert_eq!(quoted(grouped, code), None, "{grouped}");
            assert_eq!(quoted(grouped, version), None, "{grouped}");
        }
        assert!(code("matter.medical-filing") && code("medical-filng"));
        assert!(!code("Matter") && !code(""));
        assert!(version("latest") && version(" 1") && version("+1") && version("99999"));
        assert!(!version("123456"));
    }
}
