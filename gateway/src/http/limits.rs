//! Limits on what a JSON request body may contain, checked before anything is decided or appended.
//!
//! The body size is capped by the transport guard ([`super::guard`]); these limits bound the work
//! and the memory one accepted body can cost afterwards (schema validation, hashing, projections,
//! every later read of the event) and keep hostile shapes away from recursive code:
//!
//! - nesting depth is scanned on the raw bytes, iteratively, before the JSON parser (which
//!   recurses) ever sees them; a region's local form is held to the same depth once decoded from
//!   its charset: its JSON counted by the form's reader as it reads, its XML's element nesting
//!   scanned;
//! - string length (values and member names) and the number of materials are checked on the parsed
//!   value, each violation at its JSON pointer.

use axum::http::StatusCode;
use serde_json::Value;
use tongban_schemas::Violation;

use super::problem::Problem;

/// The deepest nesting of objects and arrays (of elements, in a local form's XML) accepted: the
/// one limit `tongban adapt`'s XML reader holds forms to as well.
pub use tongban_schemas::limits::MAX_DEPTH;

pub use tongban_schemas::limits::{MAX_MATERIALS, MAX_STRING_BYTES};

/// How many limit violations one problem reports at most (the rest are counted in `detail`).
const MAX_REPORTED: usize = 20;

/// The problem type of every exceeded content limit.
pub const LIMIT_SLUG: &str = "limit-exceeded";

/// Refuses bodies nested deeper than [`MAX_DEPTH`], without recursion and without parsing
/// ([`tongban_schemas::limits::nested_past`]): malformed JSON is left for the parser to report
/// with its line and column. Every canonical JSON body passes through here; a local form's JSON
/// is held to the same limit by its reader instead ([`too_deep_json`]).
pub fn check_depth(text: &str) -> Result<(), Problem> {
    match tongban_schemas::limits::nested_past(text, MAX_DEPTH) {
        Some(at) => Err(too_deep_json(text, at)),
        None => Ok(()),
    }
}

/// The refusal of a JSON body whose `{` or `[` at byte `at` opens one level past [`MAX_DEPTH`].
pub fn too_deep_json(text: &str, at: usize) -> Problem {
    too_deep(text, at, "objects and arrays")
}

/// Refuses an XML text whose elements nest deeper than [`MAX_DEPTH`] (the root counts as one),
/// without recursion: the XML counterpart of [`check_depth`], for the local forms of regions
/// that send XML. Comments, CDATA sections, processing instructions and declarations hold no
/// elements, and a `>` inside a quoted attribute value does not end its tag; everything else
/// that is malformed is left for the form's reader to report.
pub fn check_element_depth(text: &str) -> Result<(), Problem> {
    let bytes = text.as_bytes();
    // The index just past the first `end` at or after `from` (the text's end if none).
    let past = |from: usize, end: &[u8]| {
        bytes
            .get(from..)
            .and_then(|rest| rest.windows(end.len()).position(|w| w == end))
            .map_or(bytes.len(), |p| from + p + end.len())
    };
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(p) = bytes
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'<'))
    {
        let at = i + p;
        let rest = &bytes[at..];
        i = if rest.starts_with(b"<!--") {
            past(at + 4, b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            past(at + 9, b"]]>")
        } else if rest.starts_with(b"<?") {
            past(at + 2, b"?>")
        } else if rest.starts_with(b"</") {
            depth = depth.saturating_sub(1);
            past(at + 2, b">")
        } else if rest.starts_with(b"<!") {
            past(at + 2, b">")
        } else {
            // A start tag, to its `>` outside quoted attribute values; `/>` closes it at once.
            let mut quote = None;
            let mut end = at + 1;
            while let Some(&b) = bytes.get(end) {
                match (quote, b) {
                    (None, b'>') => break,
                    (None, b'"' | b'\'') => quote = Some(b),
                    (Some(q), b) if b == q => quote = None,
                    _ => {}
                }
                end += 1;
            }
            if bytes.get(end.saturating_sub(1)) != Some(&b'/') {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep(text, at, "elements"));
                }
            }
            end + 1
        };
    }
    Ok(())
}

/// The refusal of a body whose bracket (or tag) at byte `at` is one level too deep, with its
/// line and column (in characters, from 1); `what` nests there.
fn too_deep(text: &str, at: usize, what: &str) -> Problem {
    let before = text.get(..=at).unwrap_or(text);
    let line = 1 + before.matches('\n').count();
    let column = before
        .rsplit_once('\n')
        .map_or(before, |(_, last)| last)
        .chars()
        .count();
    let message = format!(
        "the body nests {what} deeper than {MAX_DEPTH} levels (at line {line} column {column})"
    );
    Problem::new(
        StatusCode::BAD_REQUEST,
        LIMIT_SLUG,
        "A request limit was exceeded",
        message.clone(),
    )
    .with_errors(vec![Violation::new("", "max-depth", message)])
}

/// Refuses over-long strings and over-long materials lists, every one at its pointer
/// ([`tongban_schemas::limits`], which adapters apply to the forms they translate too).
///
/// Recursion there is bounded by [`MAX_DEPTH`], which [`check_depth`] (or a local form's reader)
/// enforced before parsing.
pub fn check_value(value: &Value) -> Result<(), Problem> {
    let (found, count) = tongban_schemas::limits::exceeded(value, MAX_REPORTED);
    if count == 0 {
        return Ok(());
    }
    Err(Problem::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        LIMIT_SLUG,
        "A request limit was exceeded",
        format!("the body exceeds {count} limit(s)"),
    )
    .with_errors(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_is_counted_outside_strings_only() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(check_depth(&ok).is_ok());
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        let p = check_depth(&deep).expect_err("too deep");
        assert_eq!(p.status, 400);
        assert_eq!(p.errors[0].rule, "max-depth");
        let in_string = format!("{{\"a\": \"{}\\\"{}\"}}", "[".repeat(100), "{".repeat(100));
        assert!(check_depth(&in_string).is_ok());
        // A million brackets: no recursion, no stack overflow.
        assert!(check_depth(&"[".repeat(1_000_000)).is_err());
        // An escaped backslash ends before the quote that closes the string; a quote escaped
        // inside it does not close it.
        assert!(check_depth(r#"["\\", "[[[\"[[["]"#).is_ok());
        let after_escapes = format!("[\"a\\\\\"{}\"]", "[".repeat(MAX_DEPTH + 1));
        assert!(check_depth(&after_escapes).is_err(), "{after_escapes}");
        // Where the refused bracket is: its line, and its column in characters.
        let body = format!(
            "{{\n  \"名称\": \"深圳\",\n  \"x\": {}",
            "[".repeat(MAX_DEPTH)
        );
        let p = check_depth(&body).expect_err("too deep");
        let column = "  \"x\": ".chars().count() + MAX_DEPTH;
        assert!(
            p.errors[0]
                .message
                .ends_with(&format!("(at line 3 column {column})")),
            "{}",
            p.errors[0].message
        );
    }

    /// Given XML texts, when their element nesting is scanned, then 32 levels pass and 33 are
    /// refused at the 33rd start tag's line and column; self-closing tags, end tags, comments,
    /// CDATA, processing instructions and a `>` or `<` inside an attribute value or a comment
    /// add no level; a million open tags cost no recursion.
    #[test]
    fn element_depth_is_counted_on_start_tags_only() {
        let nested = |n: usize| {
            let open: String = (0..n).map(|i| format!("<E{i}>")).collect();
            let close: String = (0..n).rev().map(|i| format!("</E{i}>")).collect();
            format!("<?xml version=\"1.0\" encoding=\"GBK\"?>\n{open}x{close}")
        };
        assert!(check_element_depth(&nested(MAX_DEPTH)).is_ok());
        let p = check_element_depth(&nested(MAX_DEPTH + 1)).expect_err("too deep");
        assert_eq!(p.status, 400);
        assert_eq!(p.kind, format!("urn:tongban:problem:{LIMIT_SLUG}"));
        assert_eq!(p.errors[0].rule, "max-depth");
        let column = (0..MAX_DEPTH)
            .map(|i| format!("<E{i}>").len())
            .sum::<usize>()
            + 1;
        assert_eq!(
            p.errors[0].message,
            format!(
                "the body nests elements deeper than {MAX_DEPTH} levels (at line 2 column {column})"
            )
        );
        let siblings = format!(
            "<R>{}</R>",
            "<A a=\"x>y\" b='<'/><B/><!-- <C> --><![CDATA[<D>]]><?p <E>?>".repeat(100)
        );
        assert!(check_element_depth(&siblings).is_ok());
        let flat = format!("<R>{}</R>", "<L><I>1</I><I>2</I></L>".repeat(1000));
        assert!(check_element_depth(&flat).is_ok());
        assert!(check_element_depth(&"<A>".repeat(1_000_000)).is_err());
        assert!(check_element_depth("").is_ok());
        assert!(check_element_depth("<A").is_ok());
    }

    #[test]
    fn long_strings_and_many_materials_are_reported_at_their_pointers() {
        let long = "长".repeat(MAX_STRING_BYTES / 3 + 1);
        let materials: Vec<Value> = (0..=MAX_MATERIALS).map(|i| json!({"n": i})).collect();
        let body = json!({"form": {"a/b": [long.clone()]}, "materials": materials});
        let p = check_value(&body).expect_err("limits");
        assert_eq!(p.status, 422);
        let at: Vec<(&str, &str)> = p
            .errors
            .iter()
            .map(|v| (v.pointer.as_str(), v.rule.as_str()))
            .collect();
        assert!(
            at.contains(&("/form/a~1b/0", "max-string-length")),
            "{at:?}"
        );
        assert!(at.contains(&("/materials", "max-materials")), "{at:?}");
        assert!(!p.errors.iter().any(|v| v.message.contains(&long)));
        assert!(check_value(&json!({"materials": [], "note": "短"})).is_ok());
    }
}
