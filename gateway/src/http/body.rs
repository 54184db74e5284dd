//! Request bodies: JSON only, every problem reported at its JSON pointer, in the caller's own field
//! names, before anything is decided or appended.

use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::{HeaderMap, header};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tongban_schemas::validation::CompiledSchema;
use tongban_schemas::{Step, Violation, pointer};

use super::limits;
use super::problem::Problem;

/// The largest body accepted anywhere but the reconcile route (larger ones get 413 before they
/// are read).
pub const MAX_BODY: usize = 1 << 20;

/// The largest body the reconcile route takes: a province's export, whose ordinary month (about
/// 13,000 records) is already about a MiB. 64 MiB holds years of a large province's; a larger
/// file is reconciled by `tongban reconcile`, which reads a file of any size, and the 413 says so.
pub const MAX_EXPORT_BODY: usize = 64 << 20;

/// Whether `method` `path` is the reconcile route (`POST /v1/regions/{region}/reconcile`), the one
/// route that takes [`MAX_EXPORT_BODY`]: asked by the guard, which runs before routing.
pub fn takes_an_export(method: &axum::http::Method, path: &str) -> bool {
    let mut steps = path.split('/');
    *method == axum::http::Method::POST
        && matches!(
            (steps.next(), steps.next(), steps.next(), steps.next(), steps.next(), steps.next()),
            (Some(""), Some("v1"), Some("regions"), Some(region), Some("reconcile"), None)
                if !region.is_empty()
        )
}

fn validator<T: JsonSchema + 'static>() -> Result<Arc<CompiledSchema>, Problem> {
    static CACHE: OnceLock<Mutex<HashMap<TypeId, Arc<CompiledSchema>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&TypeId::of::<T>()).cloned())
    {
        return Ok(v);
    }
    let schema = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
    let compiled = Arc::new(CompiledSchema::compile(&schema).map_err(|e| {
        tracing::error!(error = %e, "request schema does not compile");
        Problem::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "request schema",
        )
    })?);
    if let Ok(mut c) = cache.lock() {
        c.insert(TypeId::of::<T>(), Arc::clone(&compiled));
    }
    Ok(compiled)
}

/// Checks the content type and parses JSON text into a value (see [`intake`]).
pub fn json_value(headers: &HeaderMap, bytes: &[u8]) -> Result<Value, Problem> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not ASCII)"));
    intake(content_type, bytes)
}

/// Every check a JSON body passes before its schema, in order: content type (415), UTF-8 (400),
/// nesting depth (400, scanned before parsing), JSON syntax (400 with line and column), string
/// lengths and materials count (422 at their pointers). A pure function of the header and the
/// bytes, so the fuzz targets drive exactly what the routes run.
pub fn intake(content_type: Option<&str>, bytes: &[u8]) -> Result<Value, Problem> {
    let content_type = content_type.unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = essence == "application/json" || essence.ends_with("+json");
    if json && let Some(charset) = charset(content_type) {
        let utf8 = charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("utf8");
        // Bytes of ASCII alone read the same in every charset a client labels JSON with
        // (ISO-8859-1 from older Java clients, GBK with everything else escaped as \uXXXX).
        if !utf8 && !charset.is_empty() && !bytes.is_ascii() {
            // Read as UTF-8 anyway, GBK bytes would be refused as "not valid UTF-8" or, worse,
            // decode to other characters without an error.
            return Err(Problem::new(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported content type",
                format!(
                    "canonical JSON bodies are UTF-8 (got charset={}); a local form in GBK or \
                     GB18030 goes to POST /v1/regions/{{region}}/forms/{{matter}}, through the \
                     region's adapter",
                    tongban_schemas::mask::field_name(charset)
                ),
            ));
        }
    }
    // No body is an empty object, with or without a JSON content type: many HTTP clients send
    // `Content-Type: application/json` on every POST, an action without fields among them.
    if bytes.is_empty() && (content_type.is_empty() || json) {
        return Ok(Value::Object(Default::default()));
    }
    if !json {
        return Err(Problem::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported content type",
            format!(
                "send the body as application/json (got {})",
                if content_type.is_empty() {
                    "none".to_string()
                } else {
                    super::shown::said(content_type, super::shown::media_type)
                }
            ),
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Problem::bad_request(
            "",
            "utf-8",
            format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    // A byte order mark, which some Windows editors and platforms put first (RFC 8259 §8.1: a
    // parser may ignore it), is no JSON to serde. Only the text read drops it: a signature's
    // digest is over the bytes as sent.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    limits::check_depth(text)?;
    let value = parse(text)?;
    limits::check_value(&value)?;
    Ok(value)
}

/// JSON text as a value, refusing a member given twice in one object (400 `duplicate-member` at
/// its pointer): serde_json would keep the last of `{"expected_seq":7,"expected_seq":1}` and act
/// on a value the client may not have meant. Read by the local forms' reader, so one detector
/// serves both kinds of route, in the same single pass over the text that parses it; every other
/// error is serde_json's own, with its line and column.
fn parse(text: &str) -> Result<Value, Problem> {
    match tongban_adapters::local::from_json(text) {
        Ok(local) => Ok(local.to_value()),
        Err(e) => Err(match tongban_adapters::local::duplicate_member(&e) {
            Some(duplicate) => Problem::bad_request(
                &tongban_schemas::mask::field_path(&duplicate.pointer),
                "duplicate-member",
                format!(
                    "member {:?} is given twice in one object (line {}, column {}); send each \
                     member once",
                    tongban_schemas::mask::field_name(&duplicate.name),
                    e.line(),
                    e.column()
                ),
            ),
            None => Problem::bad_request(
                "",
                "json-syntax",
                format!(
                    "the body is not valid JSON at line {} column {}: {}",
                    e.line(),
                    e.column(),
                    syntax_reason(&e)
                ),
            ),
        }),
    }
}

/// The `charset` parameter of a content type, unquoted, if there is one.
fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

/// serde_json's message without its trailing position (which [`intake`] states itself) and
/// without echoing any of the body.
fn syntax_reason(e: &serde_json::Error) -> String {
    let full = e.to_string();
    match full.rfind(" at line ") {
        Some(i) => full[..i].to_string(),
        None => full,
    }
}

/// Writes every number with no fraction (`102400.0`, `5e3`) as the integer it is. JSON Schema's
/// `integer` takes them (a number is an integer by value, not by how it is written), and the
/// schema check above passed them; serde's integer fields would refuse them as floats, with a
/// message naming no field. Only numbers a double holds exactly (below 2^53) are rewritten; the
/// stored form does not change, as the hash's canonical JSON (RFC 8785) writes them as integers
/// too. Recursion is bounded by the nesting limit checked before parsing.
///
/// Returns the pointer of the first whole number it left as it was because a double does not
/// hold it exactly (JSON integers beyond 2^64, which the parser could only read as doubles): if
/// serde then refuses the body, that is the field to name.
pub(super) fn whole_numbers_as_integers(value: &mut Value) -> Option<String> {
    let mut first_inexact = None;
    integers_at(value, &mut Vec::new(), &mut first_inexact);
    first_inexact
}

/// Doubles hold whole numbers exactly below this (2^53).
const EXACT: f64 = 9_007_199_254_740_992.0;

/// `f` as an integer, when it is a whole number a double holds exactly (below 2^53).
fn exact_whole(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < EXACT).then(|| {
        // Exact: a whole number below 2^53 converts without rounding.
        #[allow(clippy::cast_possible_truncation)]
        let whole = f as i64;
        whole
    })
}

/// The path is kept as borrowed steps and spelled out only for the first inexact number: this
/// walk visits every member of every body, and a pointer built per member was a tenth of the
/// CPU of a large one (docs/performance.md, "Round 21").
fn integers_at<'a>(
    value: &'a mut Value,
    path: &mut Vec<Step<'a>>,
    first_inexact: &mut Option<String>,
) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
            {
                match exact_whole(f) {
                    Some(whole) => *value = Value::from(whole),
                    None if first_inexact.is_none() => *first_inexact = Some(pointer(path)),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(Step::Item(i));
                integers_at(item, path, first_inexact);
                path.pop();
            }
        }
        Value::Object(members) => {
            for (key, item) in members.iter_mut() {
                path.push(Step::Member(key));
                integers_at(item, path, first_inexact);
                path.pop();
            }
        }
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

/// Checks `value` against `T`'s JSON Schema (all problems, with pointers), then builds `T`.
pub fn typed<T: DeserializeOwned + JsonSchema + 'static>(value: Value) -> Result<T, Problem> {
    let report = validator::<T>()?.check(&value, "");
    if !report.is_ok() {
        let n = report.violations.len();
        return Err(Problem::unprocessable(
            format!("the body has {n} problem(s)"),
            report.violations,
        ));
    }
    let mut value = value;
    let inexact = whole_numbers_as_integers(&mut value);
    serde_json::from_value(value).map_err(|e| match inexact {
        // Most likely what serde refused: name the field, not "floating point".
        Some(pointer) => Problem::unprocessable(
            format!("the number at {pointer} is out of range"),
            vec![Violation::new(
                pointer,
                "range",
                "a whole number this large cannot be taken: integers go up to \
                 18446744073709551615",
            )],
        ),
        None => Problem::unprocessable(
            "the body does not fit",
            vec![Violation::new("", "shape", e.to_string())],
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, PartialEq, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Sized {
        size: u64,
        offsets: Vec<i64>,
        ratio: f64,
    }

    #[test]
    fn no_body_is_an_empty_object_whatever_json_type_it_is_labelled() {
        for content_type in [
            None,
            Some("application/json"),
            Some("application/json; charset=utf-8"),
        ] {
            assert_eq!(
                intake(content_type, b"").expect("empty"),
                json!({}),
                "{content_type:?}"
            );
        }
        let p = intake(Some("text/plain"), b"").expect_err("not JSON");
        assert_eq!(p.status, 415);
        let p = intake(Some("application/json"), b" ").expect_err("a space is no JSON");
        assert_eq!(p.status, 400);
    }

    /// Given a JSON content type whose charset is not UTF-8, when a body with bytes beyond ASCII
    /// comes with it, then it is refused with 415 pointing GBK/GB18030 forms to the local-form
    /// route; a body of ASCII alone, and UTF-8 however spelt (quoted, any case, `utf8`), is
    /// taken. Guards against GBK bytes read as UTF-8.
    #[test]
    fn a_charset_other_than_utf8_is_unsupported() {
        for content_type in [
            "application/json; charset=UTF-8",
            "application/json;charset=\"utf-8\"",
            "application/problem+json; charset=utf8",
        ] {
            assert_eq!(intake(Some(content_type), b"{}").expect("UTF-8"), json!({}));
        }
        for content_type in [
            "application/json; charset=GBK",
            "application/json; charset=\"gb18030\"",
            "application/json; charset=latin1",
        ] {
            let gbk = b"{\"note\": \"\xd2\xd1\xba\xcb\xd1\xe9\"}";
            let p = intake(Some(content_type), gbk).expect_err(content_type);
            assert_eq!(p.status, 415, "{content_type}");
            assert!(
                p.detail.contains("UTF-8") && p.detail.contains("/forms/"),
                "{}",
                p.detail
            );
            // ASCII alone reads the same whatever the label: taken.
            assert_eq!(intake(Some(content_type), b"{}").expect("ASCII"), json!({}));
        }
    }

    /// Given a body starting with a UTF-8 byte order mark, when it is read, then the mark is
    /// ignored and the JSON after it taken; a mark anywhere else is still no JSON. Guards
    /// against "not valid JSON at line 1 column 1" for bodies from editors that write one.
    #[test]
    fn a_leading_byte_order_mark_is_ignored() {
        let body = b"\xef\xbb\xbf{\"expected_seq\": 1}";
        assert_eq!(
            intake(Some("application/json"), body).expect("BOM stripped"),
            json!({"expected_seq": 1})
        );
        let p = intake(Some("application/json"), b"{\"a\": \xef\xbb\xbf1}").expect_err("not first");
        assert_eq!(p.status, 400);
    }

    #[test]
    fn whole_numbers_written_with_a_fraction_are_integers() {
        let value = json!({"size": 102400.0, "offsets": [-3.0, 5e3, 7], "ratio": 2.0});
        assert_eq!(
            typed::<Sized>(value).expect("integers by value"),
            Sized {
                size: 102_400,
                offsets: vec![-3, 5000, 7],
                ratio: 2.0
            }
        );
        // A fraction is still refused by the schema, at its pointer.
        let p = typed::<Sized>(json!({"size": 1.5, "offsets": [], "ratio": 0.5}))
            .expect_err("not an integer");
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].pointer, "/size");
        // An integer beyond 2^64 (read as a double) is named, at its pointer, as out of range.
        let value: Value = serde_json::from_str(
            r#"{"size": 1, "offsets": [1, 18446744073709551616], "ratio": 1}"#,
        )
        .expect("json");
        let p = typed::<Sized>(value).expect_err("out of range");
        assert_eq!(p.status, 422);
        assert_eq!(
            (p.errors[0].pointer.as_str(), p.errors[0].rule.as_str()),
            ("/offsets/1", "range")
        );
    }
}
