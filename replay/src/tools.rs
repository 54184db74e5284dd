//! The operator tools the gateway serves over HTTP (`/ui/applications/{id}`,
//! `/v1/regions/{region}/reconcile`), installed by the binary at start.

use std::collections::BTreeMap;

use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::{Envelope, PublicKey};
use tongban_gateway::http::operator::{OperatorTools, ReconcileSession};

use crate::reconcile::{LogIndex, parse_records};
use crate::verify;

pub struct ReplayTools;

impl OperatorTools for ReplayTools {
    fn dispute_page(
        &self,
        events: &[Envelope],
        key: &PublicKey,
        names: &BTreeMap<String, String>,
        cal: &Calendar,
    ) -> String {
        // The page is asked for by id and its events read by it; the log's read checks they are
        // that application's.
        let app = events.first().map_or("", |e| e.app.as_str());
        let verification = verify::verify_events(app, events, key);
        // Served by the gateway whose key it is: the page says so, since a chain checked with
        // the key of the party that may have forged it proves only that it is consistent.
        let provenance = crate::html::Provenance {
            key: Some(crate::provenance::KeySource {
                kid: key.kid(),
                origin: crate::provenance::KeyOrigin::ServingGateway,
            }),
            // The page does not know whether the file is there, only what it lists.
            calendar: Some(crate::provenance::CalendarSource::of(
                cal,
                "holidays.json",
                None,
            )),
        };
        crate::html::evidence_page(
            events,
            cal,
            &verification,
            &key.to_hex(),
            names,
            &provenance,
        )
    }

    fn reconcile(&self, region: &str) -> Box<dyn ReconcileSession> {
        Box::new(Session(LogIndex::new(region)))
    }
}

struct Session(LogIndex);

impl ReconcileSession for Session {
    fn add(&mut self, event: &Envelope) {
        self.0.add(event);
    }

    fn finish(self: Box<Self>, records: &str, tolerance_ms: i64) -> (bool, serde_json::Value) {
        let report = self.0.reconcile(parse_records(records), tolerance_ms);
        (
            report.agrees(),
            serde_json::to_value(&report).unwrap_or_default(),
        )
    }
}
