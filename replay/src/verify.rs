//! Chain verification: every application's events are consecutive, each links to its
//! predecessor's hash, each hash recomputes from the canonical envelope, and each signature
//! verifies under the gateway key, and each payload reads as its type (what a replay needs).
//! Streams the log in position order, keeping one small record per application (never the
//! events), so memory does not grow with the log's length.

use std::collections::HashMap;

use tongban_gateway::domain::lifecycle::Event;
use tongban_gateway::envelope::{ChainError, Envelope, PublicKey};
use tongban_gateway::log::{EventLog, LogError};

/// One broken link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub app: String,
    pub seq: u64,
    pub position: Option<u64>,
    pub error: ChainError,
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "application {} seq {}", self.app, self.seq)?;
        if let Some(p) = self.position {
            write!(f, " (log position {p})")?;
        }
        write!(f, ": {}", self.error)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub events: u64,
    pub applications: u64,
    pub broken: Vec<BrokenLink>,
}

impl Report {
    pub fn summary(&self) -> String {
        let verdict = if self.broken.is_empty() {
            "intact"
        } else {
            "BROKEN"
        };
        format!(
            "{verdict}: {} events in {} applications checked, {} broken link(s)",
            self.events,
            self.applications,
            self.broken.len()
        )
    }
}

/// Verifies one application's events in seq order: each one `app`'s, chained, sealed, signed
/// under `key` and readable as its type.
pub fn verify_events(app: &str, events: &[Envelope], key: &PublicKey) -> Report {
    let mut report = Report {
        applications: u64::from(!events.is_empty()),
        ..Report::default()
    };
    let mut previous: Option<&Envelope> = None;
    for e in events {
        report.events += 1;
        let checked = if e.app != app {
            Err(ChainError::WrongApp {
                expected: app.to_string(),
                found: e.app.clone(),
            })
        } else {
            e.verify_link(previous, key).and_then(|()| readable(e))
        };
        if let Err(error) = checked {
            report.broken.push(BrokenLink {
                app: e.app.clone(),
                seq: e.seq,
                position: None,
                error,
            });
        }
        previous = Some(e);
    }
    report
}

/// Whether the event's payload reads as its type says, as a replay will read it.
fn readable(e: &Envelope) -> Result<(), ChainError> {
    Event::from_envelope(e)
        .map(drop)
        .map_err(|err| ChainError::Undecodable(err.to_string()))
}

pub async fn verify_app<L: EventLog>(
    log: &L,
    app: &str,
    key: &PublicKey,
) -> Result<Report, LogError> {
    Ok(verify_events(app, &log.read(app).await?, key))
}

/// What is remembered of an application's last event while streaming.
struct Tail {
    seq: u64,
    hash: String,
}

/// Verifies the whole log, streaming; `progress(events checked, log head)` after each batch.
pub async fn verify_all<L: EventLog>(
    log: &L,
    key: &PublicKey,
    mut progress: impl FnMut(u64, u64),
) -> Result<Report, LogError> {
    let head = *log.head().borrow();
    let mut report = Report::default();
    let mut tails: HashMap<String, Tail> = HashMap::new();
    let mut from = 1;
    loop {
        let batch = log.read_all(from, 4096).await?;
        let Some(last) = batch.last() else { break };
        from = last.position + 1;
        for p in batch {
            report.events += 1;
            let e = &p.event;
            let previous = tails.get(&e.app).map(|t| (t.seq, t.hash.as_str()));
            if previous.is_none() {
                report.applications += 1;
            }
            if let Err(error) = e.verify_after(previous, key).and_then(|()| readable(e)) {
                report.broken.push(BrokenLink {
                    app: e.app.clone(),
                    seq: e.seq,
                    position: Some(p.position),
                    error,
                });
            }
            tails.insert(
                e.app.clone(),
                Tail {
                    seq: e.seq,
                    hash: e.hash.clone(),
                },
            );
        }
        progress(report.events, head);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use tongban_gateway::envelope::{Content, GatewayKey};

    fn key() -> GatewayKey {
        GatewayKey::from_seed([3; 32])
    }

    /// A first event of `app`, sealed and signed over `data` as a forwarding.
    fn forwarded(app: &str, data: Value) -> Envelope {
        let content = Content {
            kind: "application.forwarded".into(),
            schema: "application.forwarded/1".into(),
            region: "440000".into(),
            actor: "440000/t".into(),
            at: "2026-11-02T01:00:00Z".into(),
            data,
        };
        Envelope::sealed_after(None, app, content, &key())
    }

    #[test]
    fn an_event_of_another_application_is_a_broken_link() {
        let public = key().public();
        let own = forwarded("app-a", json!({"materials_checked": true}));
        assert_eq!(verify_events("app-a", &[own], &public).broken, vec![]);
        let other = forwarded("app-b", json!({"materials_checked": true}));
        let r = verify_events("app-a", &[other], &public);
        assert!(
            matches!(&r.broken[0].error, ChainError::WrongApp { found, .. } if found == "app-b"),
            "{r:?}"
        );
    }

    /// Sealed and signed over a payload that does not read as its type: the chain is sound, the
    /// log cannot be replayed past it, and verification says so.
    #[test]
    fn a_signed_event_that_does_not_read_as_its_type_is_a_broken_link() {
        let odd = forwarded("app-a", json!({"materials_checked": "yes"}));
        let r = verify_events("app-a", &[odd], &key().public());
        assert!(
            matches!(r.broken[0].error, ChainError::Undecodable(_)),
            "{r:?}"
        );
    }
}
