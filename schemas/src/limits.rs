//! Limits on what one submission may hold, whichever way it arrives: as canonical JSON through
//! the API, or as a province's local form through its adapter. The gateway checks them on the
//! body it parsed; an adapter on the canonical form it built, and reports each in the province's
//! own field names. Together with the transport's body limit they bound what one accepted event
//! costs afterwards (validation, hashing, projections, every later read of it).

use serde_json::Value;

use crate::violation::{Step, Violation, pointer};

/// The longest string (value or member name) accepted, in UTF-8 bytes. Generous: free-text notes
/// and reasons fit many times over, while one string cannot take a whole body's budget unnoticed.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// The deepest nesting accepted, of a JSON body's objects and arrays and of a local form's XML
/// elements (the root the first): the gateway holds every body and form to it before or as it
/// parses ([`nested_past`]), and `tongban adapt`'s XML reader holds a form to it, so a form the
/// command line takes is one the gateway takes. Canonical forms are a handful of levels deep, real provincial forms three
/// or four; 32 leaves room for any of them without letting a body reach a parser's own recursion
/// limit.
pub const MAX_DEPTH: usize = 32;

/// Where a JSON text first opens an object or array `limit` levels deep already (the byte of
/// that `{` or `[`), or `None`: without recursion and without parsing, so it runs before any
/// recursive reader sees the text.
///
/// Runs on bytes that may not be valid JSON yet: brackets inside strings are skipped, everything
/// else that is malformed is left for the parser to report. It looks at bytes (the brackets,
/// quotes and backslashes are ASCII, and no byte of a multi-byte character is one of them);
/// counted per character, this was 8% of the CPU spent on a large submission
/// (docs/performance.md, "Round 21").
pub fn nested_past(text: &str, limit: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // To the closing quote; an escape's next byte is never it.
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The most materials (申请材料 / 补正材料) one submission or supplement may list.
pub const MAX_MATERIALS: usize = 100;

/// The most handlers (办理地) one application may name: every provincial-level division once.
/// Each is checked, and against every other, so a list of thousands would cost the checks dearly.
pub const MAX_HANDLERS: usize = 34;

/// The most items any other list may hold (family members, investors, …): far beyond any form,
/// and it bounds how many findings one list can produce.
pub const MAX_ITEMS: usize = 1000;

/// The largest integer a submission or action may hold, 2^53 − 1 (JavaScript's
/// `Number.MAX_SAFE_INTEGER`): every integer up to it is a distinct IEEE double, so its JCS form,
/// which the event's signature covers, names it exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Whether `n` is an integer beyond ±[`MAX_SAFE_INTEGER`]: one a JCS form writes as the double
/// nearest it, so that a signature over it binds no one value. The submission limit (rule
/// `max-integer`) and the verifiers' `INEXACT` finding judge by it.
pub fn beyond_exact_integers(n: &serde_json::Number) -> bool {
    match (n.as_u64(), n.as_i64()) {
        (Some(u), _) => u > MAX_SAFE_INTEGER,
        (None, Some(i)) => i.unsigned_abs() > MAX_SAFE_INTEGER,
        (None, None) => false,
    }
}

/// The most problems one answer lists (every 422's `errors` and `warnings`, a local form's, a
/// candidate schema's examples'): the last of a longer list says how many more there are and
/// how many in all ([`cut`]). A 1 MB body of 131,350 unknown members had been answered with
/// all of them, 14 MB, held in memory for as long as its caller took to read it.
pub const MAX_PROBLEMS: usize = 100;

/// `items` cut to [`MAX_PROBLEMS`], the last then `last` of what [`not_listed`] says: nobody
/// reads past the first hundred, and the answer stays small whatever the body held. The one
/// cut of every list of problems, whatever their type (a canonical body's, a local form's).
pub fn cut<T>(mut items: Vec<T>, last: impl FnOnce(String) -> T) -> Vec<T> {
    let total = items.len();
    if total > MAX_PROBLEMS {
        items.truncate(MAX_PROBLEMS - 1);
        items.push(last(not_listed(total)));
    }
    items
}

/// How many of `total` problems [`cut`] leaves out: how many more, how many in all, and that
/// only the first ones are listed.
pub fn not_listed(total: usize) -> String {
    let listed = MAX_PROBLEMS - 1;
    let more = total.saturating_sub(listed);
    format!(
        "另有 {more} 个问题未列出，共 {total} 个，仅列出前 {listed} 个 ({more} more problems not \
         listed, {total} in all: only the first {listed} are listed; fix these first)"
    )
}

/// `problems` cut to [`MAX_PROBLEMS`] ([`cut`]), the last then `too-many-problems` at `pointer`.
pub fn capped(problems: Vec<Violation>, pointer: &str) -> Vec<Violation> {
    cut(problems, |message| {
        Violation::new(pointer, "too-many-problems", message)
    })
}

/// The first character of `s` that no form may hold, with its byte offset: C0 controls but tab,
/// line feed and carriage return, and the noncharacters U+FFFE and U+FFFF. XML 1.0 cannot carry
/// any of them (a region whose system speaks XML would get a document no parser reads), and no
/// form field means one.
///
/// Every string of every submission goes through here: eight bytes are tested at once, and only
/// a word holding a control character (a line break, most often) or the byte 0xEF (which starts
/// U+F000 to U+FFFF, full-width punctuation among them) byte by byte.
pub fn control_character(s: &str) -> Option<(usize, char)> {
    let bytes = s.as_bytes();
    let refused_at = |i: usize| match bytes[i] {
        b if b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') => Some((i, char::from(b))),
        0xEF if bytes.get(i + 1) == Some(&0xBF) => match bytes.get(i + 2) {
            Some(0xBE) => Some((i, '\u{FFFE}')),
            Some(0xBF) => Some((i, '\u{FFFF}')),
            _ => None,
        },
        _ => None,
    };
    let mut at = 0;
    for word in bytes.chunks_exact(8) {
        if let Ok(w) = <[u8; 8]>::try_from(word)
            && (crate::json_text::has_control(w) || crate::json_text::has_byte(w, 0xEF))
            && let Some(found) = (at..at + 8).find_map(refused_at)
        {
            return Some(found);
        }
        at += 8;
    }
    (at..bytes.len()).find_map(refused_at)
}

/// What `value` exceeds: every string or member name longer than [`MAX_STRING_BYTES`] or holding
/// a [`control_character`], every `materials` list longer than [`MAX_MATERIALS`], every
/// `handlers` list longer than [`MAX_HANDLERS`] and every other list longer than [`MAX_ITEMS`],
/// each at its JSON pointer. Returns the first `max_reported` of them and how many there are in
/// all.
pub fn exceeded(value: &Value, max_reported: usize) -> (Vec<Violation>, usize) {
    let mut found = Found {
        list: Vec::new(),
        count: 0,
        max_reported,
        path: Vec::new(),
    };
    walk(value, &mut found);
    (found.list, found.count)
}

struct Found<'a> {
    list: Vec<Violation>,
    count: usize,
    max_reported: usize,
    path: Vec<Step<'a>>,
}

impl Found<'_> {
    fn report(&mut self, rule: &str, message: String) {
        self.count += 1;
        if self.list.len() < self.max_reported {
            // A name too long to take is too long to echo: cut, as every made-up name is shown.
            let pointer = pointer(&self.path);
            let pointer = crate::mask::field_path(&pointer).into_owned();
            self.list.push(Violation::new(pointer, rule, message));
        }
    }

    /// Reports a list of `len` items under member `key` (empty for a list in a list) that is
    /// longer than its kind of list may be.
    fn too_many(&mut self, len: usize, key: &str) {
        let (max, rule, what) = match key {
            "materials" => (MAX_MATERIALS, "max-materials", "材料"),
            "handlers" => (MAX_HANDLERS, "max-handlers", "办理地"),
            _ => (MAX_ITEMS, "max-items", "列表"),
        };
        if len > max {
            self.report(
                rule,
                format!("{what}最多 {max} 项 ({len} listed; at most {max} are accepted)"),
            );
        }
    }

    /// Reports an integer beyond ±(2^53 − 1). An event is signed over its JCS form (RFC 8785),
    /// which writes every number as an IEEE double: a larger integer is signed as the double
    /// nearest it, so the signature would hold for every integer within a few hundred of the one
    /// written (2^60 + 1 and 2^60 + 23 sign alike), and the stored value could be changed
    /// unnoticed. I-JSON (RFC 7493) draws the same line.
    fn number(&mut self, n: &serde_json::Number) {
        if beyond_exact_integers(n) {
            self.report(
                "max-integer",
                format!(
                    "整数不超过 ±{MAX_SAFE_INTEGER} (2^53 − 1) (an integer beyond it cannot be \
                     signed exactly: the signed form, JCS, writes numbers as IEEE doubles)"
                ),
            );
        }
    }

    /// Reports a string (`what`: a value or a member name) that is too long or holds a character
    /// no form may hold.
    fn string(&mut self, s: &str, what: &str) {
        if let Some((at, c)) = control_character(s) {
            self.report(
                "control-character",
                format!(
                    "不能含控制字符或非字符 ({what} holds U+{:04X} at byte {at}, which XML cannot \
                     carry; of the control characters only tab, line feed and carriage return \
                     are accepted)",
                    u32::from(c)
                ),
            );
        }
        if s.len() > MAX_STRING_BYTES {
            self.report(
                "max-string-length",
                format!(
                    "最长 {MAX_STRING_BYTES} 字节 ({what} is {} bytes long; at most \
                     {MAX_STRING_BYTES} bytes are accepted)",
                    s.len()
                ),
            );
        }
    }
}

/// Recursion bounded by the caller: the gateway refuses bodies nested deeper than 32 levels
/// before parsing them, and an adapter's canonical form nests as deep as its spec.
fn walk<'a>(value: &'a Value, found: &mut Found<'a>) {
    match value {
        Value::String(s) => found.string(s, "the string"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                found.path.push(Step::Item(i));
                if let Value::Array(inner) = item {
                    found.too_many(inner.len(), "");
                }
                walk(item, found);
                found.path.pop();
            }
        }
        Value::Object(members) => {
            for (key, item) in members {
                found.path.push(Step::Member(key));
                found.string(key, "the member name");
                if let Value::Array(list) = item {
                    found.too_many(list.len(), key);
                }
                walk(item, found);
                found.path.pop();
            }
        }
        Value::Number(n) => found.number(n),
        Value::Null | Value::Bool(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each finding as (pointer, rule).
    fn pointers_and_rules(found: &[Violation]) -> Vec<(&str, &str)> {
        found
            .iter()
            .map(|v| (v.pointer.as_str(), v.rule.as_str()))
            .collect()
    }

    /// Given integers at and beyond 2^53 − 1 (a material's size of 2^60 + 1, which JCS writes
    /// as the double 2^60 and so signs alike with 2^60 + 23), when the limits are checked, then
    /// those beyond are refused at their pointers, negative ones too, and those within and
    /// fractions pass.
    #[test]
    fn integers_beyond_what_a_signature_binds_are_refused() {
        let max = MAX_SAFE_INTEGER;
        let body = json!({
            "materials": [{"size": 1_152_921_504_606_846_977_u64}, {"size": max}],
            "a": -(max as i64) - 1,
            "b": -(max as i64),
            "c": 1.5e300,
            "d": max + 1,
        });
        let (found, count) = exceeded(&body, 10);
        assert_eq!(
            pointers_and_rules(&found),
            [
                ("/a", "max-integer"),
                ("/d", "max-integer"),
                ("/materials/0/size", "max-integer"),
            ]
        );
        assert_eq!(count, 3);
    }

    #[test]
    fn long_strings_long_names_and_many_materials_are_found_at_their_pointers() {
        let long = "长".repeat(MAX_STRING_BYTES / 3 + 1);
        let materials: Vec<Value> = (0..=MAX_MATERIALS).map(|i| json!({"n": i})).collect();
        let body = json!({
            "form": {"note": long, "a/b": "short"},
            "materials": materials,
            long.clone(): 1,
        });
        let (found, count) = exceeded(&body, 10);
        let at = pointers_and_rules(&found);
        assert_eq!(count, 3, "{at:?}");
        assert!(at.contains(&("/form/note", "max-string-length")));
        assert!(at.contains(&("/materials", "max-materials")));
        // The long member name at its own pointer, cut (not echoed whole).
        let cut = format!("/{}…", "长".repeat(crate::mask::MAX_NAME_CHARS));
        assert!(
            at.contains(&(cut.as_str(), "max-string-length")),
            "{:?}",
            at.iter()
                .map(|(p, r)| (p.chars().take(80).collect::<String>(), *r))
                .collect::<Vec<_>>()
        );
        // Counted in full, reported up to the bound.
        let (found, count) = exceeded(&body, 1);
        assert_eq!((found.len(), count), (1, 3));
        let fine = json!({"form": {"note": "ok"}, "materials": vec![json!({}); MAX_MATERIALS]});
        assert_eq!(exceeded(&fine, 10), (vec![], 0));
    }

    #[test]
    fn long_handler_lists_and_long_lists_of_anything_are_found() {
        let handlers: Vec<Value> = (0..=MAX_HANDLERS)
            .map(|i| json!(format!("{i:06}")))
            .collect();
        let members: Vec<Value> = (0..=MAX_ITEMS).map(|i| json!({"n": i})).collect();
        let nested = vec![json!(vec![0; MAX_ITEMS + 1])];
        let within = vec![json!("310000"); MAX_HANDLERS];
        let body = json!({
            "handlers": handlers,
            "form": {"members": members, "grid": nested, "handlers": within},
        });
        let (found, count) = exceeded(&body, 10);
        let at = pointers_and_rules(&found);
        assert_eq!(
            at,
            [
                ("/form/grid/0", "max-items"),
                ("/form/members", "max-items"),
                ("/handlers", "max-handlers"),
            ]
        );
        assert_eq!(count, 3);
    }

    #[test]
    fn control_characters_are_found_but_tab_and_line_breaks_are_not() {
        let body = json!({
            "form": {"note": "第一行\r\n\t第二行", "detail": "天河路\u{1}385号"},
            "k\u{1b}": 1,
        });
        let (found, count) = exceeded(&body, 10);
        let at = pointers_and_rules(&found);
        assert_eq!(
            at,
            [
                ("/form/detail", "control-character"),
                ("/k\u{1b}", "control-character")
            ]
        );
        assert_eq!(count, 2);
        assert!(
            found[0].message.contains("U+0001 at byte 9"),
            "{}",
            found[0].message
        );
        assert_eq!(control_character("a\tb\nc\rd"), None);
        // The noncharacters XML refuses too, wherever they fall; full-width punctuation (also
        // starting with 0xEF) is text.
        assert_eq!(
            control_character("南京东路\u{FFFF}100号"),
            Some((12, '\u{FFFF}'))
        );
        assert_eq!(control_character("\u{FFFE}"), Some((0, '\u{FFFE}')));
        assert_eq!(control_character("１２３，（南京东路）ＡＢ"), None);
        // Found wherever it is, in a word of eight or in the bytes after the last one.
        for len in 1..40 {
            for place in 0..len {
                let mut s = "天".repeat(len);
                s.insert(place * 3, '\u{1f}');
                assert_eq!(
                    control_character(&s),
                    Some((place * 3, '\u{1f}')),
                    "{len} {place}"
                );
                let s = "\n".repeat(len);
                assert_eq!(control_character(&s), None);
            }
        }
    }
}
