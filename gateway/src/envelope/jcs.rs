//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! The event hash is computed over these bytes, so auditors can recompute it in any language with an
//! off-the-shelf JCS library. Rules: no whitespace; object members sorted by the UTF-16 code units of
//! their names; strings escaped as ECMAScript's `JSON.stringify` does; numbers written as ECMAScript's
//! `Number.prototype.toString` writes IEEE-754 doubles.

mod typed;

use serde_json::Value;
use std::cmp::Ordering;
use tongban_schemas::json_text::first_to_escape;

pub use typed::{Error as CanonicalError, canonical};

/// The canonical form of `value`.
pub fn canonicalize(value: &Value) -> String {
    let mut out = String::new();
    write_value(value, &mut out);
    out
}

pub(crate) fn write_value(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            // serde_json's map gives its members in the byte order of their names, which is
            // their UTF-16 order unless a name holds a character from U+E000 up (lead byte 0xEE
            // or above: RFC 8785's example sorts U+1F600 before U+FB33). Sorted again only then:
            // collecting and sorting every object was about 2% of a rebuild's CPU.
            if map.keys().any(|k| k.bytes().any(|b| b >= 0xee)) {
                let mut members: Vec<(&String, &Value)> = map.iter().collect();
                members.sort_by(|a, b| utf16_cmp(a.0, b.0));
                write_members(members.into_iter(), out);
            } else {
                write_members(map.iter(), out);
            }
            out.push('}');
        }
    }
}

fn write_members<'a>(members: impl Iterator<Item = (&'a String, &'a Value)>, out: &mut String) {
    for (i, (k, v)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(k, out);
        out.push(':');
        write_value(v, out);
    }
}

fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// Writes `s` as a JSON string, escaped as `JSON.stringify` escapes it. Runs of characters that
/// need no escape (everything but `"`, `\\` and controls, all ASCII, so a byte scan of UTF-8 finds
/// them) are copied whole: this runs over every character the hashes cover, and pushing one
/// `char` at a time was 6% of a submission's instructions (docs/performance.md). The scan looks
/// at eight bytes at a time (`tongban_schemas::json_text`, shared with the adapters' scanner):
/// most of what is written (names, addresses, hashes, dates) has nothing to escape.
pub(crate) fn write_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if let Some(word) = bytes
            .get(i..i + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
        {
            match first_to_escape(word) {
                None => {
                    i += 8;
                    continue;
                }
                // Go straight to the byte to escape (an ASCII byte, so a character boundary).
                Some(k) if k > 0 => {
                    i += k;
                    continue;
                }
                Some(_) => {}
            }
        }
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            0..0x20 => "",
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&s[run..i]);
        if escape.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escape);
        }
        i += 1;
        run = i;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Integers up to 2^53 are exact doubles and print as themselves; anything else goes through the
/// double, exactly as a JavaScript verifier would see it.
fn write_number(n: &serde_json::Number, out: &mut String) {
    if let Some(u) = n.as_u64() {
        write_u64(u, out);
    } else if let Some(i) = n.as_i64() {
        write_i64(i, out);
    } else if let Some(f) = n.as_f64() {
        out.push_str(&es_number(f));
    }
}

/// An integer as [`write_number`] prints it: exactly up to 2^53, through the double beyond.
/// The typed serializer writes its integers with this too, so both agree by construction.
fn write_u64(n: u64, out: &mut String) {
    if n <= 1 << 53 {
        out.push_str(&n.to_string());
    } else {
        out.push_str(&es_number(n as f64));
    }
}

/// [`write_u64`] for signed integers: exactly up to 2^53 either side of zero.
fn write_i64(n: i64, out: &mut String) {
    if n.unsigned_abs() <= 1 << 53 {
        out.push_str(&n.to_string());
    } else {
        out.push_str(&es_number(n as f64));
    }
}

/// ECMAScript `Number::toString(10)` for a finite double.
pub fn es_number(f: f64) -> String {
    if f == 0.0 {
        return "0".into();
    }
    // Rust's `{:e}` prints the shortest digits that round-trip, as ECMAScript requires.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let n = exp.parse::<i64>().unwrap_or(0) + 1;
    let mut s = String::new();
    if f < 0.0 {
        s.push('-');
    }
    if k <= n && n <= 21 {
        s.push_str(&digits);
        s.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        s.push_str(&digits[..n as usize]);
        s.push('.');
        s.push_str(&digits[n as usize..]);
    } else if -6 < n && n <= 0 {
        s.push_str("0.");
        s.extend(std::iter::repeat_n('0', (-n) as usize));
        s.push_str(&digits);
    } else {
        s.push_str(&digits[..1]);
        if k > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if n > 0 { '+' } else { '-' });
        s.push_str(&(n - 1).abs().to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_members_and_drops_whitespace() {
        let v = json!({"b": [1, 2, {"z": null, "a": true}], "a": "x", "A": false});
        assert_eq!(
            canonicalize(&v),
            r#"{"A":false,"a":"x","b":[1,2,{"a":true,"z":null}]}"#
        );
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // RFC 8785 §3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33 by UTF-16, though
        // after it by code point.
        let v = json!({"\u{fb33}": 1, "\u{1f600}": 2, "\r": 3, "1": 4, "\u{80}": 5, "ö": 6});
        assert_eq!(
            canonicalize(&v),
            "{\"\\r\":3,\"1\":4,\"\u{80}\":5,\"ö\":6,\"\u{1f600}\":2,\"\u{fb33}\":1}"
        );
    }

    /// Objects whose names are all below U+E000 are written in the map's own order: it must be
    /// the UTF-16 order for such names (ASCII, Latin, CJK, up to U+D7FF), as sorting gives.
    #[test]
    fn names_below_u_e000_come_in_utf16_order_without_sorting() {
        let names = [
            "",
            "A",
            "a",
            "ab",
            "b",
            "\u{7f}",
            "\u{80}",
            "é",
            "ö",
            "\u{7ff}",
            "\u{800}",
            "汉",
            "字",
            "汉字",
            "\u{d7ff}",
            "z\u{4e00}",
            "\u{9fa5}",
        ];
        let map: serde_json::Map<String, Value> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), json!(i)))
            .collect();
        let mut sorted: Vec<&String> = map.keys().collect();
        sorted.sort_by(|a, b| utf16_cmp(a, b));
        assert_eq!(map.keys().collect::<Vec<_>>(), sorted);
        let written = canonicalize(&Value::Object(map.clone()));
        let mut expected = String::from("{");
        for (i, k) in sorted.iter().enumerate() {
            if i > 0 {
                expected.push(',');
            }
            write_string(k, &mut expected);
            expected.push(':');
            write_value(&map[k.as_str()], &mut expected);
        }
        expected.push('}');
        assert_eq!(written, expected);
    }

    #[test]
    fn escapes_like_json_stringify() {
        let v = json!("\u{1}\u{1f}\"\\/\n\t é 汉字");
        assert_eq!(canonicalize(&v), "\"\\u0001\\u001f\\\"\\\\/\\n\\t é 汉字\"");
    }

    /// Every ASCII character, with multi-byte ones between, escaped as `JSON.stringify` does
    /// (only `"`, `\\` and the controls; DEL and `/` as they are), against a char-by-char writer.
    #[test]
    fn escapes_every_ascii_character_like_a_char_by_char_writer() {
        let text: String = (0u8..0x80).flat_map(|b| [b as char, 'é']).collect();
        let mut want = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => want.push_str("\\\""),
                '\\' => want.push_str("\\\\"),
                '\u{08}' => want.push_str("\\b"),
                '\t' => want.push_str("\\t"),
                '\n' => want.push_str("\\n"),
                '\u{0c}' => want.push_str("\\f"),
                '\r' => want.push_str("\\r"),
                c if (c as u32) < 0x20 => want.push_str(&format!("\\u{:04x}", c as u32)),
                c => want.push(c),
            }
        }
        want.push('"');
        assert_eq!(canonicalize(&json!(text)), want);
    }

    /// Strings written through the word scan equal serde_json's escaping (the same rules as
    /// `JSON.stringify`), with an escape at every offset from a word's start.
    #[test]
    fn strings_written_a_word_at_a_time_equal_serde_json() {
        let pieces = [
            "a", "汉字", "é", "\"", "\\", "\n", "\u{1}", "\u{1f}", "/", "\u{7f}", "😀",
        ];
        let mut cases = vec![
            String::new(),
            "0123456789abcdef".repeat(4),
            "广东省深圳市南山区".into(),
        ];
        for lead in 0..17 {
            for p in pieces {
                cases.push(format!("{}{p}{}", "x".repeat(lead), "y".repeat(9)));
                cases.push(format!("{}{p}", "汉".repeat(lead)));
            }
        }
        for text in cases {
            let mut out = String::new();
            write_string(&text, &mut out);
            assert_eq!(out, serde_json::to_string(&text).expect("json"), "{text:?}");
        }
    }

    #[test]
    fn numbers_follow_ecmascript() {
        // Vectors from RFC 8785 appendix B.
        let cases: [(f64, &str); 10] = [
            (0.0, "0"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (333333333.3333332, "333333333.3333332"),
            (9007199254740992.0, "9007199254740992"),
            (295147905179352830000.0, "295147905179352830000"),
            (-5e-324, "-5e-324"),
        ];
        for (f, want) in cases {
            assert_eq!(es_number(f), want, "{f:e}");
        }
        assert_eq!(canonicalize(&json!(1.5)), "1.5");
        assert_eq!(canonicalize(&json!(-12)), "-12");
        assert_eq!(canonicalize(&json!(u64::MAX)), "18446744073709552000");
    }
}
