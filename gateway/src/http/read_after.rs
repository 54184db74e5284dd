//! `X-Tongban-Position` and `X-Tongban-Read-After`: read-your-writes through any gateway.
//!
//! Every write answers the log position of the event it appended (`X-Tongban-Position`; a
//! repeated submission, a position at or after the original's). A request carrying that
//! position as `X-Tongban-Read-After` is answered only once the gateway it reaches holds every
//! event up to it, whichever gateway took the write; `latest` asks for every event the log holds
//! when the request arrives (one request to the log). See [`crate::service::ReadAfter`].
//!
//! Checked with the caller's token ([`super::auth::Caller`]), so every authenticated route
//! honours it and no handler can forget it; a request without the header costs a lookup.

use axum::http::{HeaderMap, HeaderName};

use super::AppState;
use super::problem::Problem;
use crate::log::EventLog;
use crate::service::ReadAfter;

/// The request header naming what the answer must reflect.
pub const READ_AFTER: HeaderName = HeaderName::from_static("x-tongban-read-after");
/// The response header of a write: the log position of its event.
pub const POSITION: HeaderName = HeaderName::from_static("x-tongban-position");
/// How a refusal names the request header (the caller's own spelling).
pub const HEADER_POINTER: &str = "header:X-Tongban-Read-After";

/// The `X-Tongban-Position` header of a write's answer.
pub fn position(position: u64) -> (HeaderName, String) {
    (POSITION, position.to_string())
}

/// What `X-Tongban-Read-After` asks for, if sent.
pub fn parse(headers: &HeaderMap) -> Result<Option<ReadAfter>, Problem> {
    let mut values = headers.get_all(&READ_AFTER).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Problem::bad_request(
            HEADER_POINTER,
            "once",
            "X-Tongban-Read-After is sent more than once: send one position (the highest a \
             write answered)",
        ));
    }
    let text = value.to_str().unwrap_or_default().trim();
    if text.eq_ignore_ascii_case("latest") {
        return Ok(Some(ReadAfter::Latest));
    }
    // One spelling, as every number of a query string ([`super::extract::whole_number`]): a
    // position is sent back as a write answered it, which writes no leading zero, and `007`
    // is a serial or a code pasted into the wrong header more often than a padded number.
    match tongban_schemas::registry::Numeral::read(text) {
        tongban_schemas::registry::Numeral::Number(position) => {
            Ok(Some(ReadAfter::Position(position)))
        }
        _ => Err(Problem::bad_request(
            HEADER_POINTER,
            "position",
            format!(
                "X-Tongban-Read-After must be a log position (a whole number from 0 to {}, as a \
                 write's X-Tongban-Position answered it, written in {}) or `latest`",
                u64::MAX,
                super::extract::WHOLE_NUMBER_SPELLING
            ),
        )),
    }
}

/// Waits, when the request names a position, until the gateway's projections hold it.
pub async fn wait<L: EventLog>(state: &AppState<L>, headers: &HeaderMap) -> Result<(), Problem> {
    let Some(after) = parse(headers)? else {
        return Ok(());
    };
    state
        .gateway
        .reach(after)
        .await
        .map(|_| ())
        .map_err(Problem::reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            READ_AFTER,
            HeaderValue::from_str(value).expect("a header value"),
        );
        headers
    }

    #[test]
    fn a_position_or_latest_is_read() {
        assert_eq!(parse(&HeaderMap::new()).expect("none"), None);
        assert_eq!(
            parse(&with("42")).expect("a position"),
            Some(ReadAfter::Position(42))
        );
        assert_eq!(
            parse(&with(" 7 ")).expect("spaces around"),
            Some(ReadAfter::Position(7))
        );
        assert_eq!(
            parse(&with("LATEST")).expect("latest"),
            Some(ReadAfter::Latest)
        );
    }

    #[test]
    fn two_values_are_refused() {
        let mut headers = with("3");
        headers.append(READ_AFTER, HeaderValue::from_static("5"));
        let body = serde_json::to_value(parse(&headers).expect_err("two")).expect("json");
        assert_eq!(body["errors"][0]["rule"], "once", "{body}");
    }

    #[test]
    fn anything_else_is_refused_naming_the_header() {
        // A leading zero too, as in a query string (a review found `007` taken).
        for bad in [
            "",
            "-1",
            "+3",
            "4.0",
            "1e3",
            "18446744073709551616",
            "soon",
            "007",
            "00",
            "-0",
        ] {
            let problem = parse(&with(bad)).expect_err(bad);
            let body = serde_json::to_value(&problem).expect("json");
            assert_eq!(body["status"], 400, "{bad:?}: {body}");
            assert_eq!(body["errors"][0]["pointer"], HEADER_POINTER, "{bad:?}");
            assert_eq!(body["errors"][0]["rule"], "position", "{bad:?}");
            assert!(
                body["detail"].as_str().is_some_and(
                    |d| d.contains("without a sign, spaces, a fraction or leading zeros")
                ),
                "{body}"
            );
        }
    }
}
