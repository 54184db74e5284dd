//! Files an operator may take for a province's records export and give to reconciliation: the
//! gateway's own answers saved with curl (an application's events, a feed page, a replay, an
//! application, a list, a problem document, a log head), a reconciliation report, a JSON
//! document written over several lines, a web page or XML. Read line by line as JSON Lines or
//! CSV, each made a report of discrepancies (`missing field "status"` per line, and every
//! application of the region missing at the province) instead of a refusal. They are refused as a
//! whole, saying what the file looks like instead.

use serde_json::{Map, Value};

/// What an export is, for the refusals: the operator's next step.
const EXPORT: &str = "a province's records export is one record per application it took part \
                      in, as JSON Lines ({\"app\": …, \"status\": …, \"updated_at\": …} on each \
                      line) or CSV with a header line (app or serial, status, updated_at)";

/// The members a record of an export is read by: one of them at least.
const MEMBERS: [&str; 4] = ["app", "serial", "status", "updated_at"];

/// Why a file whose first record (`first`, at `line`) starts with `{` is no export, if it is
/// none: a JSON document written over several lines (`text`, the whole file, parses as one
/// object where its first line does not), one of the gateway's answers, or an object with none
/// of the members an export's record is read by (their names shown as [`super::names_shown`]
/// shows them). `None` for an export, or a line that is only broken (told as that record).
pub(super) fn json(line: usize, first: &str, text: &str) -> Option<String> {
    let (object, spread) = match serde_json::from_str::<Value>(first) {
        Ok(Value::Object(object)) => (object, false),
        Ok(_) => return None,
        Err(_) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(object)) => (object, true),
            _ => return None,
        },
    };
    if spread {
        let what = gateways_answer(&object)
            .map(|w| format!(": {w}"))
            .unwrap_or_default();
        return Some(format!(
            "line {line}: the file is one JSON document written over {} lines{what}, not JSON \
             Lines; {EXPORT}",
            text.lines().count()
        ));
    }
    // A record with every member it is read by is one, whatever else it holds (a province's
    // own `events` column): the gateway's answers each lack one.
    let has = |m: &str| object.contains_key(m);
    let named = has("app") || has("serial");
    if named && has("status") && has("updated_at") {
        return None;
    }
    // A record naming its application is an export's, whatever else it holds or lacks (a
    // province's `events`, `items` or `handlers` column), unless it has what only the gateway's
    // answers that name one hold.
    let what = gateways_answer(&object).filter(|_| !named || answer_only(&object));
    if let Some(what) = what {
        return Some(format!(
            "line {line}: this is {what}, not a province's records export; {EXPORT}"
        ));
    }
    if MEMBERS.iter().any(|m| object.contains_key(*m)) {
        return None;
    }
    let names: Vec<&str> = object.keys().map(String::as_str).collect();
    let read = match names.is_empty() {
        true => "it has none".to_string(),
        false => format!(
            "members read: {}",
            super::names_shown(&names, false).join(", ")
        ),
    };
    Some(format!(
        "line {line}: its first record has none of the members app, serial, status and \
         updated_at ({read}): not a province's records export, whose every record has them; \
         {EXPORT}"
    ))
}

/// Why a file whose first line (`first`) starts with `<` is no export, if it is none: a web page
/// (the dispute page, an error page, a sign-in page saved instead of a download) or XML.
pub(super) fn markup(line: usize, first: &str) -> Option<String> {
    let start = first.trim_start().to_ascii_lowercase();
    let what = if start.starts_with("<!doctype html") || start.starts_with("<html") {
        "an HTML page (a page saved from a browser or with curl: the dispute page, an error or \
         sign-in page)"
    } else if start.starts_with("<?xml") {
        "XML"
    } else {
        return None;
    };
    Some(format!(
        "line {line}: the file is {what}, not a province's records export; {EXPORT}"
    ))
}

/// Whether `object` is the answer of GET /v1/applications?serial=: the serial and the
/// applications it names.
fn serial_lookup(object: &Map<String, Value>) -> bool {
    object.contains_key("serial") && object.get("applications").is_some_and(Value::is_array)
}

/// Whether `object`, which names an application by `app` or `serial`, holds what only those of
/// the gateway's answers that name one do: an application's events (with their
/// `request_signatures`), its timeline (`steps` and `verification`), or the serial lookup.
fn answer_only(object: &Map<String, Value>) -> bool {
    let has = |name: &str| object.contains_key(name);
    has("request_signatures") || (has("steps") && has("verification")) || serial_lookup(object)
}

/// Which of the gateway's answers (or a reconciliation's report) `object` is, by the members
/// that make it: `None` for anything else.
fn gateways_answer(object: &Map<String, Value>) -> Option<String> {
    let has = |name: &str| object.contains_key(name);
    let list = |name: &str| object.get(name).is_some_and(Value::is_array);
    let answer = if let Some(problem) = object
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| t.starts_with("urn:tongban:problem:"))
    {
        // The gateway's own vocabulary: quoting it shows nothing of anyone's.
        return Some(format!(
            "an error the gateway answered instead (a problem document, type {problem:?}): the \
             request that saved it was refused"
        ));
    } else if list("events") && has("region") && has("next") {
        "a page of a region's feed, as GET /v1/regions/{region}/feed answers it"
    } else if list("events") {
        "an application's events, as GET /v1/applications/{id}/events answers them"
    } else if list("steps") && has("verification") {
        "an application's timeline, as GET /v1/applications/{id}/replay or `tongban replay \
         --format json` answers it"
    } else if list("discrepancies") && has("agrees") {
        "a reconciliation's report, as `tongban reconcile --format json` or POST \
         /v1/regions/{region}/reconcile answers it"
    } else if list("records") && has("sig") {
        "a page of the log's records, as GET /v1/log/records answers it"
    } else if has("position") && has("hash") && has("sig") {
        "a signed log head, as GET /v1/log/head answers it"
    } else if serial_lookup(object) {
        "the applications a serial names, as GET /v1/applications?serial= answers them"
    } else if list("items") && has("next") {
        "a page of one of the gateway's lists (an inbox, an outbox, the overdue clocks, the \
         held applications)"
    } else if has("id") && has("matter") && list("handlers") {
        "one application, as GET /v1/applications/{id} answers it (an export names it by \
         `app`, one record per line)"
    } else {
        return None;
    };
    Some(answer.to_string())
}

#[cfg(test)]
mod tests {
    /// Given exports as provinces write them (a record first, one with other members, a first
    /// line that is only broken), when judged, then none is refused as a whole; given a
    /// reconciliation report pretty-printed, an empty object, XML and a page, then each is
    /// refused for what it is.
    #[test]
    fn only_what_is_no_export_is_refused_as_a_whole() {
        for export in [
            "{\"app\": \"x\", \"status\": \"accepted\", \"updated_at\": \"2026-11-02\"}",
            "{\"serial\": \"GD-1\", \"姓名\": \"张三\", \"events\": [], \"status\": \"accepted\", \"updated_at\": \"2026-11-02\"}",
            "{\"app\": \"x\", \"status\": \"accepted\"}",
            "{\"status\":",
            // A record lacking one member, with a column named as a gateway answer's member:
            // each line is told as that record, not the file refused as the answer.
            "{\"serial\": \"GD-1\", \"status\": \"accepted\", \"events\": []}",
            "{\"app\": \"x\", \"updated_at\": \"2026-11-02\", \"items\": [], \"next\": null}",
            "{\"serial\": \"GD-1\", \"id\": 7, \"matter\": \"m\", \"handlers\": []}",
        ] {
            assert_eq!(super::json(1, export, export), None, "{export}");
        }
        let report = "{\n  \"agreeing\": 0,\n  \"agrees\": true,\n  \"discrepancies\": []\n}\n";
        let refused = super::json(1, "{", report).expect("refused");
        assert!(
            refused.starts_with(
                "line 1: the file is one JSON document written over 5 lines: a reconciliation's \
                 report"
            ),
            "{refused}"
        );
        for (answer, what) in [
            ("{\"events\": []}", "an application's events"),
            (
                "{\"app\": \"x\", \"events\": [], \"request_signatures\": []}",
                "an application's events",
            ),
            (
                "{\"app\": \"x\", \"status\": \"accepted\", \"steps\": [], \"verification\": {}}",
                "an application's timeline",
            ),
            (
                "{\"serial\": \"GD-1\", \"applications\": []}",
                "the applications a serial names",
            ),
        ] {
            let refused = super::json(1, answer, answer).expect("refused");
            assert!(
                refused.starts_with(&format!("line 1: this is {what}")),
                "{refused}"
            );
        }
        let refused = super::json(2, "{}", "\n{}").expect("refused");
        assert!(refused.contains("(it has none)"), "{refused}");
        let refused = super::markup(1, "<?xml version=\"1.0\"?>").expect("refused");
        assert!(
            refused.starts_with("line 1: the file is XML, not"),
            "{refused}"
        );
        let refused = super::markup(1, "<!DOCTYPE html>").expect("refused");
        assert!(refused.contains("an HTML page"), "{refused}");
        assert_eq!(super::markup(1, "<app>,status"), None);
    }
}
