//! Limits on what a JSON request body may contain, checked before anything is decided or appended.
//!
//! The body size is capped by the transport guard ([`super::guard`]); these limits bound the work
//! and the memory one accepted body can cost afterwards (schema validation, hashing, projections,
//! every later read of the event) and keep hostile shapes away from recursive code:
//!
//! - nesting depth is scanned on the raw bytes, iteratively, before the JSON parser (which
//!   recurses) ever sees them;
//! - string length (values and member names) and the number of materials are checked on the parsed
//!   value, each violation at its JSON pointer.

use axum::http::StatusCode;
use serde_json::Value;
use tongban_schemas::Violation;

use super::problem::Problem;

/// The deepest nesting of objects and arrays accepted. Canonical forms are a handful of levels
/// deep; 32 leaves room for any province's form without letting a body reach the parser's own
/// recursion limit.
pub const MAX_DEPTH: usize = 32;

/// The longest string (value or member name) accepted, in UTF-8 bytes. Generous: free-text notes
/// and reasons fit many times over, while one string cannot take a whole body's budget unnoticed.
pub const MAX_STRING_BYTES: usize = 64 * 1024;

/// The most materials (申请材料 / 补正材料) one submission or supplement may list.
pub const MAX_MATERIALS: usize = 100;

/// How many limit violations one problem reports at most (the rest are counted in `detail`).
const MAX_REPORTED: usize = 20;

/// The problem type of every exceeded content limit.
pub const LIMIT_SLUG: &str = "limit-exceeded";

/// Refuses bodies nested deeper than [`MAX_DEPTH`], without recursion and without parsing.
///
/// Runs on bytes that may not be valid JSON yet: brackets inside strings are skipped, everything
/// else that is malformed is left for the parser to report with its line and column.
pub fn check_depth(text: &str) -> Result<(), Problem> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let (mut line, mut column) = (1usize, 0usize);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            column = 0;
        } else {
            column += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    let message = format!(
                        "the body nests objects and arrays deeper than {MAX_DEPTH} levels \
                         (at line {line} column {column})"
                    );
                    return Err(Problem::new(
                        StatusCode::BAD_REQUEST,
                        LIMIT_SLUG,
                        "A request limit was exceeded",
                        message.clone(),
                    )
                    .with_errors(vec![Violation::new(
                        "",
                        "max-depth",
                        message,
                    )]));
                }
            }
            '}' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Refuses over-long strings and over-long materials lists, every one at its pointer.
///
/// Recursion here is bounded by [`MAX_DEPTH`], which [`check_depth`] enforced before parsing.
pub fn check_value(value: &Value) -> Result<(), Problem> {
    let mut found = Vec::new();
    let mut count = 0usize;
    walk(value, &mut String::new(), &mut found, &mut count);
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

fn report(found: &mut Vec<Violation>, count: &mut usize, pointer: &str, rule: &str, msg: String) {
    *count += 1;
    if found.len() < MAX_REPORTED {
        found.push(Violation::new(pointer, rule, msg));
    }
}

fn too_long(found: &mut Vec<Violation>, count: &mut usize, pointer: &str, s: &str, what: &str) {
    if s.len() > MAX_STRING_BYTES {
        report(
            found,
            count,
            pointer,
            "max-string-length",
            format!(
                "{what} is {} bytes long; at most {MAX_STRING_BYTES} bytes are accepted",
                s.len()
            ),
        );
    }
}

fn walk(value: &Value, pointer: &mut String, found: &mut Vec<Violation>, count: &mut usize) {
    match value {
        Value::String(s) => too_long(found, count, pointer, s, "the string"),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk(item, pointer, found, count);
                pointer.truncate(len);
            }
        }
        Value::Object(members) => {
            for (key, item) in members {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape_token(key));
                too_long(found, count, pointer, key, "the member name");
                if key == "materials"
                    && let Value::Array(list) = item
                    && list.len() > MAX_MATERIALS
                {
                    report(
                        found,
                        count,
                        pointer,
                        "max-materials",
                        format!(
                            "{} materials listed; at most {MAX_MATERIALS} are accepted",
                            list.len()
                        ),
                    );
                }
                walk(item, pointer, found, count);
                pointer.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
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
