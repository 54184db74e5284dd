//! Every event payload is checked against its registered schema before it is appended.
//!
//! The envelope names its payload schema (`application.accepted/1`); other parties validate and
//! replay payloads against the published documents, so the gateway must never seal one they would
//! reject. The built-in registry is built once and compiles each version once, so this check costs
//! one validation per append.

use serde_json::Value;
use tongban_schemas::events::EVENT_TYPES;
use tongban_schemas::registry::{Registry, VersionRef};

use super::ServiceError;

/// The version of `event`'s payload schema the gateway writes today.
fn written_version(event: &str) -> Option<u32> {
    EVENT_TYPES
        .iter()
        .find(|(subject, _)| *subject == event)
        .map(|(_, v)| *v)
}

/// Validates `data` as the payload of `event`; returns the envelope's `schema` (`<subject>/<version>`).
pub(super) fn check(event: &str, data: &Value) -> Result<String, ServiceError> {
    let version = written_version(event).ok_or_else(|| ServiceError::Unregistered {
        event: event.to_string(),
        reason: "not among the event types".into(),
    })?;
    let schema = format!("{event}/{version}");
    let report = Registry::builtin()
        .validate(event, VersionRef::Number(version), data)
        .map_err(|e| ServiceError::Unregistered {
            event: event.to_string(),
            reason: e.to_string(),
        })?;
    if report.is_ok() {
        Ok(schema)
    } else {
        Err(ServiceError::InvalidEvent {
            event: event.to_string(),
            schema,
            violations: report.violations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_event_type_written_today_is_registered() {
        for (subject, version) in EVENT_TYPES {
            let doc = Registry::builtin()
                .schema(subject, VersionRef::Number(version))
                .unwrap_or_else(|| panic!("{subject}/{version} is not registered"));
            let example = &doc["examples"][0];
            assert_eq!(
                check(subject, example).expect("example is valid"),
                format!("{subject}/{version}")
            );
        }
    }

    #[test]
    fn a_payload_the_schema_rejects_is_reported_with_every_violation() {
        let err = check(
            "application.denied",
            &json!({"reason": "", "decision_number": 7, "extra": true}),
        )
        .expect_err("invalid");
        let ServiceError::InvalidEvent {
            event,
            schema,
            violations,
        } = err
        else {
            panic!("expected InvalidEvent, got {err:?}");
        };
        assert_eq!(event, "application.denied");
        assert_eq!(schema, "application.denied/1");
        assert!(violations.len() >= 3, "{violations:?}");
    }

    #[test]
    fn an_unknown_event_type_is_not_written() {
        assert!(matches!(
            check("application.teleported", &json!({})),
            Err(ServiceError::Unregistered { .. })
        ));
    }
}
