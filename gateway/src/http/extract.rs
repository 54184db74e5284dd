//! axum's `Query` and `Path`, answering a malformed query string or path segment as every other
//! refusal is answered: problem+json, 400, naming the parameter (`query:limit`, `path:id`) and
//! the rule. axum's own rejections are plain text ("Failed to deserialize query string: …"),
//! which a client parsing problem+json cannot read.

use axum::extract::FromRequestParts;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use tongban_schemas::registry::Numeral;

use super::problem::Problem;

/// A query string deserialized into `T`, or a 400 naming the parameter that did not fit.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(query_problem(&rejection)),
        }
    }
}

/// Path parameters deserialized into `T`, or a 400 naming the segment that did not fit.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(path_problem(&rejection)),
        }
    }
}

/// axum's rejection as a problem at `query:<name>`. Each query struct denies unknown fields, so
/// serde names a misspelt parameter (`?limt=1` would otherwise be ignored, the default limit
/// answered as if asked for) and one given twice; numbers are taken as text and judged by
/// [`whole_number`], so serde's "invalid digit found in string" is not what a caller reads.
fn query_problem(rejection: &QueryRejection) -> Problem {
    let text = rejection.body_text();
    // axum reports the parameter first ("…query string: limit: invalid digit found in string").
    let reason = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    // serde's own words after the parameter's name, when axum gives one (it does for an unknown
    // parameter too: "limt: unknown field `limt`, …"). Found wherever they are: a made-up name
    // axum writes before them may hold anything (`张三13800138000: unknown field …`), and is
    // never echoed unmasked.
    let why = ["unknown field `", "duplicate field `"]
        .iter()
        .find_map(|words| reason.find(words).map(|at| &reason[at..]))
        .unwrap_or(match reason.split_once(": ") {
            Some((name, why)) if is_parameter_name(name) => why,
            _ => reason,
        });
    // serde writes "unknown field `{name}`, expected …" (or ", there are no fields"): the
    // name ends where the LAST such ending begins, as the route's own names hold no backtick. A
    // made-up name may hold backticks itself (`?13800138000%6013800138000=1`), and cut at its
    // first, the name's rest was read as the route's list and echoed (a review found a phone
    // number in "this route takes only …").
    if let Some(rest) = why.strip_prefix("unknown field `")
        && let Some(at) = ["`, expected ", "`, there are no fields"]
            .iter()
            .filter_map(|ending| rest.rfind(ending))
            .max()
        && let Some((raw_name, expected)) = rest.get(..at).zip(rest.get(at + 1..))
    {
        let takes = expected
            .trim_start_matches(", ")
            .replace("expected one of ", "")
            .replace("expected ", "")
            .replace('`', "");
        // serde quotes each name it expects: "expected `limit` or `after`", "expected one of
        // `a`, `b`, `c`".
        let meant = meant(raw_name, expected.split('`').skip(1).step_by(2));
        let takes = match takes.as_str() {
            "" | "there are no fields" => "no query parameters".to_string(),
            list => format!("only {list}"),
        };
        // A name that is one the route takes but for its spelling is named as given: it holds
        // nothing but that name's letters (and as many `_` and `-` as it likes, so only up to a
        // parameter name's length: `l-i-m-i-t-----…` of 16 KiB was sent back twice).
        let alike = meant.is_some() && is_parameter_name(raw_name);
        let (name, pointer) = match (alike, super::shown::code(raw_name)) {
            (true, _) | (false, true) => (raw_name.to_string(), format!("query:{raw_name}")),
            (false, false) => (super::shown::name(raw_name), "query".to_string()),
        };
        let hint = meant
            .map(|meant| format!("did you mean {meant}? "))
            .unwrap_or_default();
        return Problem::bad_request(
            &pointer,
            "unknown",
            format!("unknown query parameter {name}: {hint}this route takes {takes}"),
        );
    }
    if let Some(name) = why
        .strip_prefix("duplicate field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        let name = tongban_schemas::mask::field_name(name);
        return Problem::bad_request(
            &format!("query:{name}"),
            "once",
            format!("query parameter {name} is given more than once: send it once"),
        );
    }
    let (pointer, reason) = match reason.split_once(": ") {
        Some((name, why)) if is_parameter_name(name) => (format!("query:{name}"), why),
        _ => ("query".to_string(), reason),
    };
    let reason: Vec<_> = reason
        .split(' ')
        .map(tongban_schemas::mask::field_name)
        .collect();
    Problem::bad_request(
        &pointer,
        "query",
        format!("the query string does not fit: {}", reason.join(" ")),
    )
}

/// The parameter of `takes` (the names the route takes) that `given`, a name it does not take,
/// most likely means: the one it is but for letter case and `-` for `_` (`LIMIT`, `After_Seq`,
/// `after-seq`), as clients that build query strings from their own field names write them.
/// Query parameters are matched exactly (serde's names), so such a name is refused, and the
/// refusal says which it means rather than leave the caller to spot the difference (the one rule
/// of [`tongban_schemas::spelling`], where a local form's fields find theirs too).
fn meant<'a>(given: &str, takes: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    tongban_schemas::spelling::spelt_alike(given, takes)
}

fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// How every number of a query string is written, as the refusals and the API's description
/// say it.
pub const WHOLE_NUMBER_SPELLING: &str =
    "digits alone, without a sign, spaces, a fraction or leading zeros (0 alone is zero)";

/// The query parameter `name`, sent as `text`, as a whole number from `min` to `max`: a problem
/// at `query:<name>` otherwise, rule `type` when it is no whole number as written (`abc`, `-1`,
/// `1.5`, `02`) and `range` when it is one outside the range (however many digits), both
/// saying what is taken. The one reader of every numeric query parameter, 400 on every route.
///
/// A number has one spelling ([`Numeral`], as a registry version and `tongban replay --seq`
/// have): digits without a sign, spaces or leading zeros. What an adapter sends back is a
/// number it read from an answer's JSON (a `next`, a `next_after_seq`, a seq), and JSON writes
/// none with a leading zero; a run of digits that starts with `0` is a 受理编号, an area code or
/// a phone pasted into the wrong place more often than a padded number, and taken as one it
/// would page from somewhere nobody asked for. The text is echoed only in a seq's form
/// ([`super::shown::seq`]: digits, a sign, `.` and spaces, never the digits of an ID number or
/// a phone, nor a letter: `?limit=zhangsan` is a person's name in pinyin).
pub fn whole_number(name: &str, text: &str, min: u64, max: u64) -> Result<u64, Problem> {
    let wanted = format!("{name} must be a whole number from {min} to {max}");
    let got = |text: &str| {
        super::shown::quoted(text, super::shown::seq)
            .map(|t| format!(", got {t}"))
            .unwrap_or_default()
    };
    match Numeral::read(text) {
        Numeral::Number(n) if (min..=max).contains(&n) => Ok(n),
        Numeral::Number(_) | Numeral::TooLarge => Err(Problem::bad_request(
            &format!("query:{name}"),
            "range",
            format!("{wanted}, got {}", shown_number(text)),
        )),
        Numeral::Misspelt => Err(Problem::bad_request(
            &format!("query:{name}"),
            "type",
            format!("{wanted}, written in {WHOLE_NUMBER_SPELLING}{}", got(text)),
        )),
    }
}

/// A number as echoed: as written up to six digits; beyond, only how many digits it has, since
/// a run that long is the shape of an ID number or a phone pasted in the wrong place.
fn shown_number(digits: &str) -> String {
    match digits.len() {
        0..=6 => digits.to_string(),
        n => format!("a number of {n} digits"),
    }
}

fn path_problem(rejection: &PathRejection) -> Problem {
    let PathRejection::FailedToDeserializePathParams(failed) = rejection else {
        // Parameters missing from a route that declares them: a routing bug, not the caller's.
        return Problem::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            rejection.body_text(),
        );
    };
    let (pointer, rule, reason) = match failed.kind() {
        ErrorKind::InvalidUtf8InPathParam { key } => (
            format!("path:{key}"),
            "utf-8",
            format!("the path segment {key} is not UTF-8 once percent-decoded"),
        ),
        ErrorKind::ParseErrorAtKey {
            key, expected_type, ..
        } => (
            format!("path:{key}"),
            "type",
            format!("the path segment {key} is not a {expected_type}"),
        ),
        ErrorKind::DeserializeError { key, message, .. } => {
            (format!("path:{key}"), "type", message.clone())
        }
        _ => ("path".to_string(), "path", failed.body_text()),
    };
    Problem::bad_request(&pointer, rule, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(query: &str) -> Problem {
        let uri: axum::http::Uri = format!("/v1/regions/440000/inbox?{query}")
            .parse()
            .expect("uri");
        match axum::extract::Query::<super::super::regions::Paging>::try_from_uri(&uri) {
            Ok(_) => panic!("{query} taken"),
            Err(rejection) => query_problem(&rejection),
        }
    }

    /// Given query parameters with made-up names (an ID number or a phone in one, a name, dots),
    /// when they are refused, then the answer names a name of a parameter's form as it is
    /// (`unknown` at `query:limt`) and any other by its length only, at `query`: never in clear.
    /// A known one given twice is `once`. (Found by reviews: names that do not look like
    /// parameters went out through serde's words unmasked, and a name typed as one was shown.)
    #[test]
    fn made_up_parameter_names_are_refused_masked() {
        for (query, pointer) in [
            ("%E5%BC%A0%E4%B8%8913800138000=1", "query"),
            ("%E6%AC%A7%E9%98%B3=1", "query"),
            ("a.110105194912310020=1", "query"),
            ("limt=1", "query:limt"),
            // Backticks in the name, which serde writes between backticks: neither the name
            // nor the route's list may carry any of it.
            ("13800138000%6013800138000%6013800138000=1", "query"),
            ("x%60%E5%BC%A0%E4%B8%8913800138000=1", "query"),
            ("limit%60,%20expected%20%6013800138000=1", "query"),
        ] {
            let p = refused(query);
            let text = serde_json::to_string(&p).expect("json");
            assert!(
                text.contains("this route takes only limit or after"),
                "the route's own names, and only them: {text}"
            );
            assert!(!text.contains("13800138000"), "{text}");
            assert!(!text.contains("110105194912310020"), "{text}");
            assert!(!text.contains("张三") && !text.contains("欧阳"), "{text}");
            assert_eq!(p.errors[0].rule, "unknown", "{text}");
            assert_eq!(p.errors[0].pointer, pointer, "{text}");
        }
        // A name the route takes, in another case: named, and what it means said.
        let p = refused("LIMIT=1");
        assert_eq!(
            (p.errors[0].pointer.as_str(), p.errors[0].rule.as_str()),
            ("query:LIMIT", "unknown")
        );
        let p = refused("limit=1&limit=2");
        assert_eq!(
            (p.errors[0].pointer.as_str(), p.errors[0].rule.as_str()),
            ("query:limit", "once")
        );
    }

    /// Given a number of a query string written otherwise than in its one spelling (a leading
    /// zero, a sign, a space, a fraction, full-width digits), when it is read, then it is
    /// refused at `query:<name>`, rule `type`, saying how numbers are written and quoting it
    /// only in a seq's form; a number in its spelling is taken, or refused as `range` outside
    /// the range however many digits it has, by their count past six. (Found by a walkthrough:
    /// `?after_seq=02` was taken where `?seq=03` was refused.)
    #[test]
    fn a_query_number_has_one_spelling() {
        assert_eq!(
            whole_number("after_seq", "0", 0, 9).map_err(|p| p.detail),
            Ok(0)
        );
        assert_eq!(
            whole_number("limit", "20", 1, 1000).map_err(|p| p.detail),
            Ok(20)
        );
        for (text, quoted) in [
            ("02", Some("\"02\"")),
            ("00", Some("\"00\"")),
            ("+3", Some("\"+3\"")),
            (" 3", Some("\" 3\"")),
            ("1.0", Some("\"1.0\"")),
            ("", None),
            ("１", None),
            ("013800138000", None),
            ("-1", Some("\"-1\"")),
            ("zhangsan", None),
            ("li@qq.cn", None),
            ("wang wei", None),
        ] {
            let p = whole_number("after_seq", text, 0, 100).expect_err(text);
            assert_eq!(p.status, 400, "{text}");
            assert_eq!(
                (p.errors[0].pointer.as_str(), p.errors[0].rule.as_str()),
                ("query:after_seq", "type"),
                "{text}"
            );
            assert!(
                p.detail.starts_with(
                    "after_seq must be a whole number from 0 to 100, written in digits alone, \
                     without a sign, spaces, a fraction or leading zeros"
                ),
                "{text}: {}",
                p.detail
            );
            match quoted {
                Some(q) => assert!(p.detail.ends_with(&format!(", got {q}")), "{}", p.detail),
                None => assert!(!p.detail.contains("got"), "{}", p.detail),
            }
            assert!(!p.detail.contains("13800138000"), "{}", p.detail);
        }
        for (text, got) in [
            ("101", "got 101"),
            ("13800138000", "got a number of 11 digits"),
            ("18446744073709551616", "got a number of 20 digits"),
        ] {
            let p = whole_number("limit", text, 0, 100).expect_err(text);
            assert_eq!(
                (p.status, p.errors[0].rule.as_str()),
                (400, "range"),
                "{text}"
            );
            assert!(p.detail.ends_with(got), "{}", p.detail);
        }
    }

    /// Given a parameter the route takes spelt in another case or with `-` for `_`, when it is
    /// refused, then the refusal names it as given at `query:<name>`, rule `unknown`, and says
    /// which parameter it means; a name near none, or one holding a number, gets no hint, and
    /// no value is ever echoed. (Found by a walkthrough: `?LIMIT=10` was refused as unknown,
    /// named by its length alone.)
    #[test]
    fn a_parameter_in_another_case_is_refused_saying_which_it_means() {
        for (query, given, meant) in [
            ("LIMIT=10", "LIMIT", "limit"),
            ("After=abc", "After", "after"),
            ("AFTER=13800138000", "AFTER", "after"),
            ("lImIt=1&after=x", "lImIt", "limit"),
        ] {
            let p = refused(query);
            let text = serde_json::to_string(&p).expect("json");
            assert_eq!(p.errors[0].pointer, format!("query:{given}"), "{text}");
            assert_eq!(p.errors[0].rule, "unknown", "{text}");
            assert!(
                p.detail.starts_with(&format!(
                    "unknown query parameter {given}: did you mean {meant}? this route takes \
                     only "
                )),
                "{text}"
            );
            assert!(!text.contains("13800138000"), "{text}");
        }
        for query in [
            "limt=1",
            "LIMIT2=1",
            "%E9%99%90%E5%88%B6=1",
            "LIMIT13800138000=1",
        ] {
            let p = refused(query);
            let text = serde_json::to_string(&p).expect("json");
            assert!(!p.detail.contains("did you mean"), "{text}");
            assert!(!text.contains("13800138000"), "{text}");
        }
        // Spelt alike but longer than any parameter name: meant, and not sent back as given.
        let long = format!("l{}imit", "-".repeat(200));
        let p = refused(&format!("{long}=1"));
        let text = serde_json::to_string(&p).expect("json");
        assert!(p.detail.contains("did you mean limit?"), "{text}");
        assert!(!text.contains(&long), "{text}");
        assert_eq!(
            meant("After_Seq", ["after_seq", "limit"].into_iter()),
            Some("after_seq")
        );
        assert_eq!(
            meant("after-seq", ["after_seq", "limit"].into_iter()),
            Some("after_seq")
        );
        assert_eq!(
            meant("Region", ["serial", "region"].into_iter()),
            Some("region")
        );
        assert_eq!(meant("regions", ["serial", "region"].into_iter()), None);
        assert_eq!(meant("", [""].into_iter()), None);
    }
}
