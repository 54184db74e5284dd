//! Masking of personal values for messages and logs. Personal data never goes into log lines, so
//! every message that refers to a value shows only enough of it to find the record again.

/// `11010519491231002X` → `1101**********002X`: region prefix and last four kept.
pub fn id_number(s: &str) -> String {
    keep_ends(s, 4, 4)
}

/// `13812345678` → `138****5678`.
pub fn phone(s: &str) -> String {
    keep_ends(s, 3, 4)
}

/// `张三` → `张*`, `欧阳娜娜` → `欧***`: only the first character stays.
pub fn name(s: &str) -> String {
    keep_ends(s, 1, 0)
}

/// Anything else: the first and last character of longer values, stars between.
pub fn other(s: &str) -> String {
    keep_ends(s, 1, 1)
}

/// A serde error's message with the content of every quoted string masked ([`other`]), and of
/// every text it quotes in backticks but the names of the type being read.
/// serde quotes the value it could not take (`invalid type: string "张三", expected u64`), the
/// member it did not know (`unknown field `110101199003070011``, or `张三`: bytes that hold
/// personal data as a key) and the number it could not take (`invalid type: integer
/// `13987654321``), and a stored event that fails to decode (a corrupted or tampered log) is
/// logged with its reason: the reason keeps its shape and position, and the names the type
/// knows (those after `expected`, and a `missing field` or `duplicate field`), never the
/// personal data it quoted.
pub fn serde_error(e: &impl std::fmt::Display) -> String {
    masked_serde_error(&e.to_string(), false)
}

/// [`serde_error`] for a file an operator edits, whose member names are the type's alone (the
/// region book): a member it does not know, spelt in ASCII letters, digits, `_` and `-` as the
/// type's own are, is named as [`field_name`] names one (a typo such as `signingkey` shown,
/// digit runs that look like an ID number masked), since a misspelt member masked to
/// `s********y` leaves the operator guessing which one; any other member (a person's name put
/// where a member belongs, a terminal escape) and the values it quotes stay masked.
pub fn config_error(e: &impl std::fmt::Display) -> String {
    masked_serde_error(&e.to_string(), true)
}

fn masked_serde_error(text: &str, members_named: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '"' && c != '`' {
            continue;
        }
        let mut quoted = String::new();
        let mut escaped = false;
        let mut closed = false;
        for q in chars.by_ref() {
            if escaped {
                escaped = false;
            } else if q == '\\' && c == '"' {
                escaped = true;
            } else if q == c {
                closed = true;
                break;
            }
            quoted.push(q);
        }
        let known = c == '`'
            && (out.contains("expected")
                || out.ends_with("missing field `")
                || out.ends_with("duplicate field `")
                || (members_named && out.ends_with("unknown field `")));
        // In a config file, a member it did not know is named only when it is spelt as every
        // member the type knows is (ASCII letters, digits, `_`, `-`): a typo. Anything else (a
        // name put where a member belongs, a terminal escape) is masked like a value.
        let member = members_named
            && out.ends_with("unknown field `")
            && !quoted.is_empty()
            && quoted
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        match known && (member || !out.ends_with("unknown field `")) {
            true => out.push_str(&field_name(&quoted)),
            false => out.push_str(&other(&quoted)),
        }
        if closed {
            out.push(c);
        }
    }
    out
}

/// Longer names than this are cut in messages: a name is a field's, and no spec names a field
/// with a paragraph.
pub const MAX_NAME_CHARS: usize = 64;

/// A member or element name the sender made up, as a problem names it: a run of six or more
/// digits in it is masked (a province that keys a record by an ID number or a phone has put
/// personal data into a name), and so are the digits of one holding seven or more in groups
/// (`139-8765-4321`: a phone written as people write it), but for the first three and the last
/// two; a name past [`MAX_NAME_CHARS`] is cut. Names a spec knows are never of this kind;
/// ordinary names come back as they are.
pub fn field_name(s: &str) -> std::borrow::Cow<'_, str> {
    let long_digits = {
        let mut run = 0;
        s.chars().any(|c| {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            run >= 6
        })
    };
    let long = s.chars().count() > MAX_NAME_CHARS;
    let grouped = s.chars().filter(char::is_ascii_digit).count() >= 7;
    if !long_digits && !grouped && !long {
        return std::borrow::Cow::Borrowed(s);
    }
    // Runs first, then what digits are left in view, when they are still seven or more.
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 6 {
            out.push_str(&keep_ends(digits, 3, 2));
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    let shown = out.chars().filter(char::is_ascii_digit).count();
    if shown >= 7 {
        let mut seen = 0;
        out = out
            .chars()
            .map(|c| match c.is_ascii_digit() {
                true => {
                    seen += 1;
                    match seen <= 3 || seen > shown - 2 {
                        true => c,
                        false => '*',
                    }
                }
                false => c,
            })
            .collect();
    }
    if long {
        out = out.chars().take(MAX_NAME_CHARS).chain(['…']).collect();
    }
    std::borrow::Cow::Owned(out)
}

/// A JSON pointer made of names the sender made up, each of its steps as [`field_name`] shows it.
pub fn field_path(pointer: &str) -> std::borrow::Cow<'_, str> {
    let steps: Vec<std::borrow::Cow<'_, str>> = pointer.split('/').map(field_name).collect();
    if steps
        .iter()
        .all(|step| matches!(step, std::borrow::Cow::Borrowed(_)))
    {
        return std::borrow::Cow::Borrowed(pointer);
    }
    std::borrow::Cow::Owned(steps.join("/"))
}

/// The most stars one masked value shows: past it the rest is cut (`…`), so a long value does not
/// become a long line of stars (nor tell its exact length).
pub const MAX_STARS: usize = 16;

/// The characters kept at the ends, but a control character (a terminal escape's first byte)
/// is starred like the rest: a masked value is printed on operators' terminals.
fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s
        .chars()
        .map(|c| if c.is_control() { '*' } else { c })
        .collect();
    let n = chars.len();
    if n == 0 {
        return String::new();
    }
    if n <= head + tail {
        // Too short to show anything safely: keep at most the first character.
        let mut out = String::new();
        out.push(chars[0]);
        out.extend(std::iter::repeat_n('*', n.saturating_sub(1).max(1)));
        return out;
    }
    let mut out: String = chars[..head].iter().collect();
    let hidden = n - head - tail;
    out.extend(std::iter::repeat_n('*', hidden.min(MAX_STARS)));
    if hidden > MAX_STARS {
        out.push('…');
    }
    out.extend(&chars[n - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made-up name keeps its shape, but not an ID number or phone typed into it, nor a
    /// paragraph's length; an ordinary name is not copied.
    #[test]
    fn names_hide_the_numbers_put_into_them_and_are_cut_when_long() {
        assert!(matches!(
            field_name("entName"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(field_name("investors2"), "investors2");
        assert_eq!(field_name("顾雪13601701234"), "顾雪136******34");
        assert_eq!(field_name("310105199003071234"), "310*************34");
        let long = "a".repeat(100_000);
        let cut = field_name(&long);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(
            field_path("/formData/13601701234/mobile"),
            "/formData/136******34/mobile"
        );
        assert_eq!(field_path("/formData/investors/0"), "/formData/investors/0");
        // Written in groups, as people write a phone: every digit but the ends masked too.
        assert_eq!(field_name("139-8765-4321"), "139-****-**21");
        assert_eq!(field_name("+86 139 8765 4321"), "+86 1** **** **21");
        assert_eq!(field_name("item_1_2_3"), "item_1_2_3");
        // A run beside a phone in groups: both masked.
        assert_eq!(
            field_name("ref123456-139-8765-4321"),
            "ref123***-***-****-**21"
        );
    }

    #[test]
    fn masks() {
        assert_eq!(id_number("11010519491231002X"), "1101**********002X");
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(name("张三"), "张*");
        assert_eq!(name("欧阳娜娜"), "欧***");
        assert_eq!(name("王"), "王*");
        assert_eq!(other(""), "");
        // What serde quotes is masked; the rest of its message stays.
        let e = serde_json::from_str::<u64>("\"11010519491231002X\"").unwrap_err();
        let shown = serde_error(&e);
        assert!(
            shown.starts_with("invalid type: string \"1") && shown.contains("expected u64"),
            "{shown}"
        );
        assert!(!shown.contains("0519491231"), "{shown}");
        assert_eq!(
            serde_error(&"a \"x\\\"yz\" b \"unclosed"),
            "a \"x***z\" b \"u******d"
        );
        // What it quotes in backticks, as a name: an ID number used as a key, a phone read as a
        // number. The names it expected stay.
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Known {
            app: String,
        }
        let e = serde_json::from_str::<Known>(r#"{"110101199003070011": 1}"#).unwrap_err();
        let shown = serde_error(&e);
        assert!(
            shown.starts_with("unknown field `1****") && shown.contains("expected `app`"),
            "{shown}"
        );
        assert!(!shown.contains("0101199003"), "{shown}");
        for key in ["张三丰", "zhangsanfeng"] {
            let e = serde_json::from_str::<Known>(&format!(r#"{{"{key}": 1}}"#)).unwrap_err();
            let shown = serde_error(&e);
            assert!(!shown.contains(key), "{shown}");
            assert!(shown.contains("expected `app`"), "{shown}");
        }
        // In a file an operator edits, the member it did not know is named (digits that look
        // like an ID number still masked); the values it quoted stay masked.
        let e = serde_json::from_str::<Known>(r#"{"ap": 1}"#).unwrap_err();
        assert!(
            config_error(&e).starts_with("unknown field `ap`, expected `app`"),
            "{e}"
        );
        assert!(serde_error(&e).starts_with("unknown field `a*`"), "{e}");
        let e = serde_json::from_str::<Known>(r#"{"110101199003070011": 1}"#).unwrap_err();
        assert!(!config_error(&e).contains("0101199003"), "{e}");
        let e = serde_json::from_str::<Known>(r#"{"app": 13987654321}"#).unwrap_err();
        assert!(!config_error(&e).contains("8765"), "{e}");
        for key in ["张三的窗口", "\\u001b]0;x\\u0007", "a b"] {
            let e = serde_json::from_str::<Known>(&format!(r#"{{"{key}": 1}}"#)).unwrap_err();
            let shown = config_error(&e);
            assert!(shown.contains("expected `app`"), "{shown}");
            assert!(
                !shown.contains("三的") && !shown.contains('\u{1b}'),
                "{shown}"
            );
            assert!(!shown.contains("a b"), "{shown}");
        }
        let e = serde_json::from_str::<Known>("13987654321").unwrap_err();
        let shown = serde_error(&e);
        assert!(shown.starts_with("invalid type: integer `1"), "{shown}");
        assert!(!shown.contains("8765"), "{shown}");
        let e = serde_json::from_str::<Known>("{}").unwrap_err();
        assert!(serde_error(&e).starts_with("missing field `app`"), "{e}");
        // However long, a few dozen characters at most.
        let long = other(&"x".repeat(200_000));
        assert_eq!(long, format!("x{}…x", "*".repeat(MAX_STARS)));
        assert_eq!(
            id_number(&"1".repeat(40)),
            format!("1111{}…1111", "*".repeat(MAX_STARS))
        );
    }
}
