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
    // Each party's acknowledged cursor beside the events' positions, where they were read.
    if let (Value::Object(m), Some(cursors)) = (&mut value, &provenance.cursors) {
        m.extend(crate::feeds::json(t, cursors));
    }
    with_verification(value, verification, provenance)
}

/// What `tongban replay --format json` prints of an application whose events start no chain
/// (its seq 1 gone): `app`, `no_start` (why), and the verification and calendar as
/// [`document`] gives them, so that a script reads the verdict where it always does.
pub fn no_start(app: &str, reason: &str, verification: &Report, provenance: &Provenance) -> Value {
    with_verification(
        json!({"app": app, "no_start": reason}),
        verification,
        provenance,
    )
}

/// `value` with `verification` and `calendar` added ([`document`]).
fn with_verification(mut value: Value, verification: &Report, provenance: &Provenance) -> Value {
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

#[cfg(test)]
mod tests {
    /// Given an application's events without its seq 1, when replay prints JSON, then the
    /// document names the application, why nothing folds, and the verdict where a script
    /// reads it for any other history (`verification.intact`, `summary`).
    #[test]
    fn a_history_without_its_start_keeps_the_verdict_in_its_place() {
        let events = crate::reconcile::tests::suspended("GD-J0");
        let key = tongban_gateway::envelope::GatewayKey::from_seed([5; 32]).public();
        let verification = crate::verify::verify_events(&events[0].app, &events[1..], &key);
        let value = super::no_start(
            &events[0].app,
            "seq 1 is missing",
            &verification,
            &Default::default(),
        );
        assert_eq!(value["app"], events[0].app.as_str());
        assert_eq!(value["no_start"], "seq 1 is missing");
        assert_eq!(value["verification"]["intact"], false, "{value}");
        assert!(
            value["verification"]["summary"]
                .as_str()
                .is_some_and(|s| s.starts_with("BROKEN")),
            "{value}"
        );
    }
}
