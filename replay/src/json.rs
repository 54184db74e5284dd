//! The JSON form of a timeline with its verification, key and calendar: what `tongban replay
//! --format json` prints and `GET /v1/applications/{id}/replay` answers, built here once.

use serde_json::{Value, json};

use crate::provenance::Provenance;
use crate::timeline::Timeline;
use crate::verify::Report;

/// `t` with `verification` (`intact`, `summary`, `broken`, `unreadable`, `key`) and `calendar`
/// ([`crate::provenance::CalendarSource::to_json`]); `key` and `calendar` are null where the
/// provenance does not say.
pub fn document(t: &Timeline, verification: &Report, provenance: &Provenance) -> Value {
    let mut value = serde_json::to_value(t).unwrap_or_default();
    if let Value::Object(m) = &mut value {
        // Every break: links, removed positions, positions holding no event, and where the
        // log's index disagrees with the events.
        let broken: Vec<String> = verification
            .broken
            .iter()
            .map(|b| verification.broken_line(b))
            .chain(
                verification
                    .missing
                    .iter()
                    .map(|g| verification.gap_line(g)),
            )
            .chain(
                verification
                    .garbled
                    .iter()
                    .map(|g| verification.garbled_line(g)),
            )
            .chain(verification.index.iter().map(|i| i.to_string()))
            .collect();
        let unreadable: Vec<String> = verification
            .unreadable
            .iter()
            .map(|u| u.to_string())
            .collect();
        m.insert(
            "verification".into(),
            json!({
                "intact": verification.chain_intact(),
                "summary": verification.summary(),
                "broken": broken,
                "unreadable": unreadable,
                "inexact": verification.inexact.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "key": provenance.key.as_ref().map(|k| k.to_json()),
            }),
        );
        m.insert(
            "calendar".into(),
            provenance
                .calendar
                .as_ref()
                .map_or(Value::Null, |c| c.to_json()),
        );
    }
    value
}
