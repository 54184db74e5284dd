//! Mainland phone numbers: mobile `1[3-9]` + 9 digits, landline with area code (`010`/`02x` + 8 digits
//! or `0xxx` + 7–8 digits, optional hyphen and extension).

/// The JSON Schema pattern the canonical forms use for phone fields; [`classify`] agrees with it.
pub const PATTERN: &str = r"^(1[3-9][0-9]{9}|0(10|2[0-9])-?[2-9][0-9]{7}(-[0-9]{1,6})?|0[3-9][0-9]{2}-?[2-9][0-9]{6,7}(-[0-9]{1,6})?)$";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    Mobile,
    Landline,
}

pub fn classify(s: &str) -> Option<PhoneKind> {
    let b = s.as_bytes();
    if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && all_digits(s) {
        return Some(PhoneKind::Mobile);
    }
    let parts: Vec<&str> = s.split('-').collect();
    let (number, ext) = match parts.as_slice() {
        [n] => ((*n).to_string(), None),
        [a, n] if is_area(a) && (7..=8).contains(&n.len()) => (format!("{a}{n}"), None),
        [n, e] => ((*n).to_string(), Some(*e)),
        [a, n, e] if is_area(a) => (format!("{a}{n}"), Some(*e)),
        _ => return None,
    };
    if let Some(e) = ext
        && (e.is_empty() || e.len() > 6 || !all_digits(e))
    {
        return None;
    }
    if !all_digits(&number) {
        return None;
    }
    let area_len = if number.len() >= 3 && is_area(&number[..3]) {
        3
    } else if number.len() >= 4 && is_area(&number[..4]) {
        4
    } else {
        return None;
    };
    let sub = &number[area_len..];
    let len_ok = if area_len == 3 {
        sub.len() == 8
    } else {
        (7..=8).contains(&sub.len())
    };
    let first_ok = sub
        .bytes()
        .next()
        .is_some_and(|c| (b'2'..=b'9').contains(&c));
    (len_ok && first_ok).then_some(PhoneKind::Landline)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// 010 and 02x are the three-digit area codes; the rest are 0 + [3-9] + two digits.
fn is_area(a: &str) -> bool {
    let b = a.as_bytes();
    all_digits(a)
        && b[0] == b'0'
        && ((b.len() == 3 && (a == "010" || b[1] == b'2'))
            || (b.len() == 4 && (b'3'..=b'9').contains(&b[1])))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles() {
        assert_eq!(classify("13812345678"), Some(PhoneKind::Mobile));
        assert_eq!(classify("19912345678"), Some(PhoneKind::Mobile));
        assert_eq!(classify("12812345678"), None);
        assert_eq!(classify("1381234567"), None);
    }

    #[test]
    fn landlines() {
        for ok in [
            "010-62345678",
            "01062345678",
            "020-87654321",
            "0571-8765432",
            "0571-87654321",
            "0571-87654321-123",
            "021-63211234-8",
        ] {
            assert_eq!(classify(ok), Some(PhoneKind::Landline), "{ok}");
        }
        for bad in [
            "011-62345678",
            "010-02345678",
            "0571-876543",
            "62345678",
            "0571-87654321-1234567",
            "0271234567",
        ] {
            assert_eq!(classify(bad), None, "{bad}");
        }
    }
}
