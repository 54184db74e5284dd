//! Chain verification: every application's events are consecutive, each links to its
//! predecessor's hash, each hash recomputes from the canonical envelope, and each signature
//! verifies under the gateway key. Streams the log in position order, keeping one small record per
//! application (never the events), so memory does not grow with the log's length.

use std::collections::HashMap;

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

/// Verifies one application's events in seq order.
pub fn verify_events(events: &[Envelope], key: &PublicKey) -> Report {
    let mut report = Report {
        applications: u64::from(!events.is_empty()),
        ..Report::default()
    };
    let mut previous: Option<&Envelope> = None;
    for e in events {
        report.events += 1;
        if let Err(error) = e.verify_link(previous, key) {
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

pub async fn verify_app<L: EventLog>(
    log: &L,
    app: &str,
    key: &PublicKey,
) -> Result<Report, LogError> {
    Ok(verify_events(&log.read(app).await?, key))
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
            if let Err(error) = e.verify_after(previous, key) {
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
