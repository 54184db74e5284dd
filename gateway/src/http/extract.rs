//! axum's `Query` and `Path`, answering a malformed query string or path segment as every other
//! refusal is answered: problem+json, 400, naming the parameter (`query:limit`, `path:id`) and
//! the rule. axum's own rejections are plain text ("Failed to deserialize query string: …"),
//! which a client parsing problem+json cannot read.

use axum::extract::FromRequestParts;
use axum::extract::path::ErrorKind;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

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

fn query_problem(rejection: &QueryRejection) -> Problem {
    let text = rejection.body_text();
    // axum reports the parameter first ("…query string: limit: invalid digit found in string").
    let reason = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    let (pointer, reason) = match reason.split_once(": ") {
        Some((name, why)) if is_parameter_name(name) => (format!("query:{name}"), why),
        _ => ("query".to_string(), reason),
    };
    Problem::bad_request(
        &pointer,
        "query",
        format!("the query string does not fit: {reason}"),
    )
}

fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
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
