//! Stored text as the offline tools show it: what a party wrote (a reason, a note, a number, an
//! actor) is data, and a line break, a control character or a bidirectional control in it must
//! not pass for the tools' own output (a forged row of a timeline, a number shown reversed).
//! Such characters ([`tongban_schemas::unseen::is_invisible`], and the line and paragraph
//! separators U+2028, U+2029) are written as JSON writes them: `\n`, `\t`, `\u202e`.

/// Whether `c` is written escaped: invisible, a control, or a line or paragraph separator.
fn hidden(c: char) -> bool {
    tongban_schemas::unseen::is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `c` as a JSON string escapes it (`\n`, `\u202e`; a character past U+FFFF as its UTF-16 pair).
fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
}

/// `s` as the text output shows stored text: each hidden character escaped as JSON escapes it.
/// A backslash stays as it is: a reason holding the two characters `\n` reads like an escaped
/// line break, but it cannot break the line, which is what a forged row needs; and a finding
/// that quotes a value already escaped (`"二〇二六\u0007"`) reads as `tongban verify` and
/// `docs/audit/verify_chain.py` both write it. Borrowed when there is nothing to escape, as is
/// almost always so.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if hidden(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A finding or a row the tools print as one line, made of their own words and stored text
/// (an event's type, a region, a head's source): [`printable`], so that it stays one line.
pub fn line(shown: impl std::fmt::Display) -> String {
    printable(&shown.to_string()).into_owned()
}

/// JSON text with every hidden character of its strings written as an escape: the same JSON
/// (a reader parses the same values), which shows them instead of obeying them. Outside its
/// strings JSON text holds ASCII alone, so only characters in strings are touched.
pub fn json_visible(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match hidden(c) && !matches!(c, '\n' | '\r' | '\t' | ' ') {
            true => push_escaped(&mut out, c),
            false => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn stored_text_prints_on_one_line_as_written() {
        assert_eq!(super::printable("专家评审"), "专家评审");
        assert_eq!(
            super::printable("评审\n   5  2026\r\t\u{202e}x\u{85}\u{2028}\\n"),
            r"评审\n   5  2026\r\t\u202ex\u0085\u2028\n"
        );
    }

    #[test]
    fn json_keeps_its_values_and_shows_its_hidden_characters() {
        let value = serde_json::json!({"reason": "a\u{202e}b\u{2028}c\u{e0041}", "n": [1, 2]});
        let pretty = serde_json::to_string_pretty(&value).expect("json");
        let shown = super::json_visible(&pretty);
        assert!(
            shown.contains(r#""a\u202eb\u2028c\udb40\udc41""#),
            "{shown}"
        );
        assert!(shown.contains("\n  \"n\""), "{shown}");
        let back: serde_json::Value = serde_json::from_str(&shown).expect("json");
        assert_eq!(back, value);
    }
}
