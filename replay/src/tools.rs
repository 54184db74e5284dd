//! The operator tools the gateway serves over HTTP (`/ui/applications/{id}`,
//! `/v1/regions/{region}/reconcile`), installed by the binary at start.

use std::collections::BTreeMap;

use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::{Envelope, PublicKey};
use tongban_gateway::http::operator::{OperatorTools, ReconcileSession};
use tongban_gateway::time::Timestamp;

use crate::reconcile::{LogIndex, parse_records};
use crate::timeline::{self, Point};
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
        match timeline::build(events, cal, Point::Now, Timestamp::now()) {
            Ok(t) => crate::html::render(&t, events, &verification, &key.to_hex(), names),
            Err(e) => format!(
                "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>证据报告</title><p>无法重建时间线：{}</p></html>",
                crate::html::escape(&e.to_string())
            ),
        }
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
