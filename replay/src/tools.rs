//! The operator tools the gateway serves over HTTP (`/ui/applications/{id}`,
//! `/v1/applications/{id}/replay`, `/v1/regions/{region}/reconcile`), installed by the binary at
//! start: the same timeline, checks of `at` / `seq` and JSON as `tongban replay`.

use std::collections::BTreeMap;

use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::{Envelope, PublicKey};
use tongban_gateway::http::operator::{
    AsOf, AsOfRefusal, OperatorTools, PartiesAcked, ReconcileSession, ReportFor, ServedBy,
};
use tongban_gateway::log::{PassedOver, Placed};
use tongban_gateway::time::Timestamp;

use crate::provenance::{CalendarSource, KeyOrigin, KeySource, Provenance};
use crate::timeline::{Point, PointError, TimelineError};

use crate::reconcile::{LogIndex, Records, export_text, parse_records};
use crate::verify;

pub struct ReplayTools;

/// The provenance of what the serving gateway shows: its own key, its calendar (and whether it
/// was read from a `holidays.json`, where the gateway says: `calendar_file`), and, for a page,
/// the gateway's address.
fn served(
    key: &PublicKey,
    (cal, calendar_file): (&Calendar, Option<bool>),
    gateway: Option<&str>,
    requests: Option<crate::requests::Requests>,
    cursors: &PartiesAcked,
) -> Provenance {
    Provenance {
        // Served by the gateway whose key it is: the page says so, since a chain checked with
        // the key of the party that may have forged it proves only that it is consistent.
        key: Some(KeySource::of(key, KeyOrigin::ServingGateway)),
        calendar: Some(CalendarSource::of(cal, "holidays.json", calendar_file)),
        gateway: gateway.map(str::to_string),
        requests,
        cursors: Some(match cursors {
            Ok(read) => crate::feeds::Cursors::Read(read.clone()),
            Err(why) => crate::feeds::Cursors::Unavailable(why.clone()),
        }),
    }
}

/// The point `as_of` names, checked against the events, as `tongban replay` checks it.
fn point(events: &[Envelope], as_of: &AsOf) -> Result<Point, AsOfRefusal> {
    Point::parse(as_of.at.as_deref(), as_of.seq.as_deref())
        .and_then(|p| p.check(events, Timestamp::now()))
        .map_err(|e| e.as_written(as_of.at.as_deref()))
        .map_err(|e| AsOfRefusal::Query {
            param: e.field(),
            rule: e.rule(),
            detail: match e {
                PointError::Both => e.to_string(),
                // A `+` sent as is in a query string reads as a space: the offset's sign is lost.
                PointError::BadAt(ref at) if at.contains(' ') => format!(
                    "at {e} (a + in a query string reads as a space: send the offset's + as %2B)"
                ),
                e => format!("{} {e}", e.field()),
            },
        })
}

/// The timeline of `events` to `point`, as far as they verify under `key`.
fn timeline_to(
    events: &[Envelope],
    key: &PublicKey,
    cal: &Calendar,
    point: Point,
) -> Result<crate::timeline::Timeline, AsOfRefusal> {
    crate::timeline::build(events, key, cal, point, Timestamp::now()).map_err(|e| match e {
        e @ (TimelineError::Fold(_) | TimelineError::NoStart { .. }) => {
            AsOfRefusal::Unreadable(e.to_string())
        }
        e => AsOfRefusal::Query {
            param: "at",
            rule: "range",
            detail: e.to_string(),
        },
    })
}

impl OperatorTools for ReplayTools {
    fn dispute_page(
        &self,
        placed: Placed<'_>,
        key: &PublicKey,
        names: &BTreeMap<String, String>,
        cal: &Calendar,
        as_of: &AsOf,
        served_by: ServedBy<'_>,
    ) -> Result<String, AsOfRefusal> {
        let events = placed.events;
        // The page is asked for by id and its events read by it; the log's read checks they are
        // that application's.
        let app = events.first().map_or("", |e| e.app.as_str());
        let verification = verify::verify_placed(app, placed, key);
        let requests = match served_by.requests {
            Ok(kept) => crate::requests::Requests::Kept(kept),
            Err(_) => crate::requests::Requests::Unavailable(
                "网关的请求签名存储（evidence/）此刻无法读取（原因见网关日志）".to_string(),
            ),
        };
        let provenance = served(
            key,
            (cal, served_by.calendar_file),
            Some(served_by.gateway),
            Some(requests),
            served_by.cursors,
        );
        match point(events, as_of)? {
            // As of now: as far as the events fold, every raw event shown whatever this build
            // makes of them.
            Point::Now => Ok(crate::html::evidence_page(
                placed,
                cal,
                &verification,
                key,
                names,
                &provenance,
            )),
            // Placed as the JSON replay places it: each step's position is what the feed
            // cursors are compared with (the as-of page's feed table was empty without them).
            p => Ok(crate::html::render(
                Some(&timeline_to(events, key, cal, p)?.place(placed)),
                None,
                placed,
                &verification,
                &key.to_hex(),
                names,
                &provenance,
            )),
        }
    }

    fn replay(
        &self,
        placed: Placed<'_>,
        key: &PublicKey,
        cal: &Calendar,
        as_of: &AsOf,
        cursors: &PartiesAcked,
    ) -> Result<serde_json::Value, AsOfRefusal> {
        let events = placed.events;
        let app = events.first().map_or("", |e| e.app.as_str());
        let verification = verify::verify_placed(app, placed, key);
        let t = timeline_to(events, key, cal, point(events, as_of)?)?.place(placed);
        Ok(crate::json::document(
            &t,
            &verification,
            &served(key, (cal, None), None, None, cursors),
        ))
    }

    fn reconcile(
        &self,
        region: &str,
        key: &PublicKey,
        reader: ReportFor,
    ) -> Box<dyn ReconcileSession> {
        let index = LogIndex::new(region).verifying(*key);
        Box::new(Session {
            index: match reader {
                ReportFor::Operators => index,
                ReportFor::Region => index.for_the_region(),
            },
            records: Records::default(),
        })
    }
}

struct Session {
    index: LogIndex,
    records: Records,
}

impl ReconcileSession for Session {
    fn read_records(&mut self, body: &[u8], charset: Option<&str>) -> Result<(), String> {
        self.records = parse_records(&export_text(body, charset)?)?;
        Ok(())
    }

    fn add(&mut self, event: &tongban_gateway::log::Positioned) {
        self.index.add(event);
    }

    fn finish(
        mut self: Box<Self>,
        tolerance_ms: i64,
        passed_over: PassedOver,
    ) -> (bool, serde_json::Value) {
        self.index.passed_over(passed_over);
        let report = self.index.reconcile(self.records, tolerance_ms);
        (
            report.agrees(),
            serde_json::to_value(&report).unwrap_or_default(),
        )
    }
}
