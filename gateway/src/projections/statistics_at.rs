//! A region's statistics as they stood at an instant ("as of 2026-11-30 24:00 Beijing time", a
//! province's monthly report): what `GET /v1/regions/{region}/statistics?at=` and
//! `tongban statistics` answer.
//!
//! The counters of [`super::statistics`] stand where the projections stand, now: they keep no
//! history. So the log is read whole, in position order, and each application the region takes
//! part in is folded from its events accepted at or before the instant, by the fold and the rules
//! the projections fold by ([`super::store`]): an event the view already holds (a copy) is passed
//! over, and one that does not fold holds its application at the view before it. Each view is
//! then counted as the counters count a view ([`statistics::tallies`]), and its running clocks
//! are judged on the instant's Beijing date as the statistics of now judge the index of running
//! clocks ([`RegionStatistics::add_running`] of [`running::entries`]). As of now, the answer is
//! the statistics of now.
//!
//! An application's events are stamped in the order of their seqs (a host whose clock is behind
//! stamps an event at its predecessor's time), so those accepted at or before the instant are the
//! first of its history: the first one after it ends that application's fold.
//!
//! Cost: a read of the whole log, whatever the instant, and a fold of every event of the region's
//! applications, a batch at a time on the blocking pool (never on a worker the other requests
//! need). Memory: one batch of events, and the view of each of the region's applications without
//! the applicant, form and materials (what the fold needs, as the projection store keeps views).
//! Another region's application is passed over from its submission on: its parties are set
//! there, and the region responsible for any of its clocks is always one of them.
//!
//! A record of the log that is not an event ([`crate::log::unreadable`]) is passed over, as the
//! projections pass over it, and named in the answer (`unreadable`, `unreadable_count`): the
//! figures leave it out. An event of the region's stored there is not counted, and its
//! application is counted at the view before it (its next event does not follow), as the
//! projections hold it. Refusing to count would leave a damaged log with no statistics as of
//! any instant at all; counting without a word would pass a short count off as the log's.

use std::collections::HashMap;
use std::sync::Arc;

use super::running;
use super::statistics::{self, RegionStatistics};
use super::view::ApplicationView;
use crate::domain::calendar::Calendar;
use crate::envelope::PublicKey;
use crate::log::{EventLog, LogError, Positioned, Whole};
use crate::shown;
use crate::time::Timestamp;

/// Events read, then folded, at a time.
const BATCH: usize = 4096;

/// Region `region`'s statistics as they stood at `at`, counted from `log` read whole, past the
/// records that are not events, which the answer names (see the module). `progress(done, head)`
/// is called after each batch, as a rebuild calls it.
/// With `key`, only events whose seal holds are counted, as the projections fold them.
pub async fn count<L: EventLog>(
    log: &L,
    region: &str,
    at: Timestamp,
    cal: &Arc<Calendar>,
    key: Option<PublicKey>,
    mut progress: impl FnMut(u64, u64),
) -> Result<RegionStatistics, LogError> {
    let head = *log.head().borrow();
    let mut folding = AsOf::new(region, at);
    folding.key = key;
    let mut whole = Whole::new(log, BATCH);
    let mut done = 0u64;
    while let Some(batch) = whole.next().await? {
        done += batch.len() as u64;
        let cal = Arc::clone(cal);
        folding = tokio::task::spawn_blocking(move || {
            let mut batch = batch;
            for p in &mut batch {
                folding.take(p, &cal);
            }
            folding
        })
        .await
        .map_err(|e| match e.try_into_panic() {
            // A fold that panicked is a bug: as if it had run here.
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => LogError::Unavailable(format!("the count was stopped: {e}")),
        })?;
        progress(done, head);
    }
    let mut counted = folding.statistics();
    counted.passed_over = whole.into_passed_over();
    Ok(counted)
}

/// The fold of the log's events, in position order, as of an instant, for one region.
#[derive(Debug)]
pub struct AsOf {
    region: String,
    at: Timestamp,
    /// The region's applications submitted at or before `at`, each as folded so far.
    apps: HashMap<String, App>,
    /// The last log position holding an event accepted at or before `at`.
    position: u64,
    /// The gateway's key, when an event is folded only if its seal holds (and it links to the
    /// view), as the live projections fold ([`super::seals`]): else an event planted without
    /// the key was counted here while the live statistics held its application.
    pub key: Option<PublicKey>,
}

#[derive(Debug)]
struct App {
    /// Always a view once submitted; an `Option` for [`ApplicationView::fold_taking_into`].
    view: Option<ApplicationView>,
    /// No later event of it is folded: one was accepted after `at`, or one did not fold.
    ended: bool,
}

impl AsOf {
    pub fn new(region: &str, at: Timestamp) -> AsOf {
        AsOf {
            region: region.to_string(),
            at,
            apps: HashMap::new(),
            position: 0,
            key: None,
        }
    }

    /// Folds the next event of the log (in position order). Its `data` is taken, as the
    /// projection store takes it.
    pub fn take(&mut self, p: &mut Positioned, cal: &Calendar) {
        // A time that does not read is neither before nor after: the fold refuses that event,
        // and the projections hold its application there.
        let by_then = Timestamp::parse_rfc3339(&p.event.at).is_some_and(|t| t <= self.at);
        if by_then {
            self.position = self.position.max(p.position);
        }
        let key = self.key;
        match self.apps.get_mut(&p.event.app) {
            Some(app) => {
                let held = app
                    .view
                    .as_ref()
                    .is_some_and(|v| v.state.seq >= p.event.seq);
                if app.ended || held {
                    return;
                }
                // An event that does not fold, or does not verify, leaves the view as it was.
                if !by_then
                    || super::seals::refused(key.as_ref(), app.view.as_ref(), &p.event)
                    || ApplicationView::fold_taking_into(&mut app.view, &mut p.event, cal).is_err()
                {
                    app.ended = true;
                    return;
                }
                // A supplement's materials: not counted, not kept.
                if let Some(view) = &mut app.view {
                    view.materials.clear();
                }
            }
            // The submission: the region's application from here, when it is a party.
            None if p.event.seq == 1 && by_then => {
                // Checked (before the fold takes its data) only when it names the region: the
                // seal costs what the fold does many times over, and other regions'
                // submissions are none of this count's business.
                if p.event.submission_names(&self.region) == Some(true)
                    && super::seals::refused(key.as_ref(), None, &p.event)
                {
                    return;
                }
                let mut folded = None;
                if ApplicationView::fold_taking_into(&mut folded, &mut p.event, cal).is_err() {
                    // Held without a view by the projections: nothing to count.
                    return;
                }
                if let Some(mut view) = folded.filter(|v| v.state.is_party(&self.region)) {
                    view.leave_submission_at(p.position);
                    let app = App {
                        view: Some(view),
                        ended: false,
                    };
                    self.apps.insert(p.event.app.clone(), app);
                }
            }
            // Another region's application, one submitted after `at`, one whose submission did
            // not fold, or an event without its submission before it: none counted.
            None => {}
        }
    }

    /// The region's statistics as of `at`, from the views folded so far.
    pub fn statistics(&self) -> RegionStatistics {
        let mut out = RegionStatistics::new(&self.region, self.position);
        out.at = Some(self.at.to_rfc3339());
        let today = self.at.china_date();
        let counters = statistics::region_prefix(&self.region);
        let clocks = running::region_prefix(&self.region);
        for view in self.apps.values().filter_map(|app| app.view.as_ref()) {
            // As the counters count a view, read back as the store reads its own.
            for key in statistics::tallies(view) {
                if let Some(rest) = key.strip_prefix(counters.as_slice()) {
                    out.add(rest, 1);
                }
            }
            // As the index of running clocks holds them, read as the store reads its order.
            for entry in running::entries(view) {
                let parts = entry
                    .by_region
                    .strip_prefix(clocks.as_slice())
                    .and_then(running::parts);
                if let Some((due, _, kind)) = parts {
                    out.add_running(due, kind, || entry.clock.deemed, today);
                }
            }
        }
        out
    }
}

/// Why an instant asked for (`?at=`, `--at`) is refused. The caller names the field in its own
/// terms; the value is quoted only when it has a time's form ([`shown::time`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AtError {
    #[error(
        "must be an RFC 3339 instant with its offset, such as 2026-12-01T00:00:00+08:00 (the end \
         of 2026-11-30, Beijing time); got {}",
        shown::said(.0, shown::time)
    )]
    Format(String),
    /// A moment yet to come: the log holds what happened up to now, and events may still come
    /// before it.
    #[error(
        "{at} is after now ({now}): the log holds what happened up to now, not a state yet to \
         come; ask for an instant in the past, or without it for the statistics of now"
    )]
    Future { at: String, now: String },
}

impl AtError {
    /// The rule broken, as problem `errors` name rules.
    pub fn rule(&self) -> &'static str {
        match self {
            AtError::Format(_) => "format",
            AtError::Future { .. } => "range",
        }
    }
}

/// The instant `text` names (RFC 3339), not after `now`.
pub fn instant(text: &str, now: Timestamp) -> Result<Timestamp, AtError> {
    let at = Timestamp::parse_rfc3339(text).ok_or_else(|| AtError::Format(text.to_string()))?;
    if at > now {
        // As written, and as read (UTC) where the two differ.
        let utc = at.to_rfc3339();
        let written = shown::said(text, shown::time);
        return Err(AtError::Future {
            at: if text == utc {
                written
            } else {
                format!("{written} ({utc})")
            },
            now: now.to_rfc3339(),
        });
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EmbeddedLog;
    use crate::projections::ProjectionStore;
    use crate::testutil::TempDir;

    fn time(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).expect("time")
    }

    /// What the live statistics said at `at`: those of a projection that applied the events
    /// accepted at or before it (in log order), its clocks judged on that day.
    fn live_then(events: &[Positioned], region: &str, at: Timestamp) -> RegionStatistics {
        let dir = TempDir::new("statistics-at-live");
        let store = ProjectionStore::open(dir.path()).expect("open");
        let mut then: Vec<Positioned> = events
            .iter()
            .filter(|p| Timestamp::parse_rfc3339(&p.event.at).is_some_and(|t| t <= at))
            .cloned()
            .collect();
        store
            .apply(&mut then, &Calendar::weekdays())
            .expect("apply");
        let mut s = store
            .statistics(region, at.china_date())
            .expect("statistics");
        s.at = Some(at.to_rfc3339());
        s
    }

    /// The instants the statistics are asked as of: before the first event; each moment an
    /// event was accepted and a millisecond before it; the end of November, Beijing time, and
    /// the last moment of that day (the clocks due that day not yet late); and long after.
    fn instants(events: &[Positioned]) -> Vec<Timestamp> {
        let mut times: Vec<Timestamp> = events
            .iter()
            .filter_map(|p| Timestamp::parse_rfc3339(&p.event.at))
            .collect();
        times.sort();
        times.dedup();
        let mut out = vec![time("2026-10-01T00:00:00+08:00")];
        for t in times.iter().step_by(3) {
            out.extend([Timestamp(t.0 - 1), *t]);
        }
        out.extend([
            time("2026-11-30T23:59:59.999+08:00"),
            time("2026-12-01T00:00:00+08:00"),
            time("2027-06-01T00:00:00Z"),
        ]);
        out
    }

    /// Given a log of forty applications in six regions whose clocks start, pause, resume and
    /// close over weeks, with an application whose second event does not fold (held there), a
    /// submission that does not fold (held without a view) and a copy of an event stored again
    /// at the log's end, when each region's statistics are counted from the whole log as of
    /// each instant, then each equals what the live statistics said then: the counters of a
    /// projection that applied the events accepted by then, position and all, their clocks
    /// judged on that day. Before the first event, every count is 0; in between, counts move.
    #[test]
    fn the_statistics_as_of_an_instant_are_the_live_statistics_then() {
        let mut events = crate::projections::store::tests::mixed(40);
        let second_of = |events: &[Positioned], n: usize| {
            let app = events
                .iter()
                .filter(|p| p.event.seq == 1)
                .nth(n)?
                .event
                .app
                .clone();
            events
                .iter()
                .position(|p| p.event.app == app && p.event.seq == 2)
        };
        let unknown = second_of(&events, 11).expect("a second event");
        events[unknown].event.kind = "application.transferred".into();
        let submission = events
            .iter()
            .filter(|p| p.event.seq == 1)
            .nth(13)
            .map(|p| p.position as usize - 1)
            .expect("a submission");
        events[submission].event.data["mode"] = serde_json::json!("by-carrier-pigeon");
        let copied = second_of(&events, 17).expect("a second event");
        let mut copy = events[copied].clone();
        copy.position = events.len() as u64 + 1;
        events.push(copy);

        let regions: Vec<&str> = crate::demo::REGIONS.iter().map(|(code, _)| *code).collect();
        let cal = Calendar::weekdays();
        let mut moved: std::collections::BTreeMap<&str, std::collections::BTreeSet<String>> =
            Default::default();
        for at in instants(&events) {
            let mut folding: Vec<AsOf> = regions.iter().map(|r| AsOf::new(r, at)).collect();
            for p in &events {
                for f in &mut folding {
                    f.take(&mut p.clone(), &cal);
                }
            }
            for (region, f) in regions.iter().zip(&folding) {
                let counted = f.statistics();
                assert_eq!(counted, live_then(&events, region, at), "{region} at {at}");
                let counts = RegionStatistics {
                    position: 0,
                    at: None,
                    ..counted
                };
                let counts = serde_json::to_string(&counts).expect("json");
                moved.entry(*region).or_default().insert(counts);
            }
        }
        // Before the first event, nothing.
        let before = time("2026-10-01T00:00:00+08:00");
        let mut zero = RegionStatistics::new("440000", 0);
        zero.at = Some(before.to_rfc3339());
        assert_eq!(live_then(&events, "440000", before), zero);
        // Each region's counts moved from instant to instant, overdue clocks among them.
        for region in &regions {
            assert!(moved[region].len() >= 4, "{region}: {:?}", moved[region]);
        }
        let late = time("2026-12-01T00:00:00+08:00");
        let overdue: u64 = regions
            .iter()
            .flat_map(|r| live_then(&events, r, late).clocks.into_values())
            .map(|c| c.overdue)
            .sum();
        assert!(overdue > 0);
    }

    /// The events of forty applications ([`crate::projections::store::tests::mixed`]) appended
    /// to an embedded log in a new directory named for `name` (there while it lives).
    async fn logged(name: &str) -> (TempDir, EmbeddedLog, Vec<Positioned>) {
        let dir = TempDir::new(name);
        let log = EmbeddedLog::open(&dir.path().join("log")).expect("log");
        let events = crate::projections::store::tests::mixed(40);
        for p in &events {
            log.append(p.event.clone(), p.event.seq - 1)
                .await
                .expect("append");
        }
        (dir, log, events)
    }

    /// Given those events in an embedded log, when a region's statistics are counted from it as
    /// of an instant, then they are the fold's of the same events in memory, and the progress
    /// is told every event.
    #[tokio::test]
    async fn the_count_reads_the_whole_log() {
        let (_dir, log, events) = logged("statistics-at-log").await;
        let cal = Arc::new(Calendar::weekdays());
        for at in [time("2026-11-20T12:00:00+08:00"), Timestamp::now()] {
            for region in ["440000", "330000"] {
                let mut told = (0, 0);
                let counted = count(&log, region, at, &cal, None, |done, head| {
                    told = (done, head)
                })
                .await
                .expect("count");
                let n = events.len() as u64;
                assert_eq!(told, (n, n));
                assert_eq!(counted, live_then(&events, region, at), "{region} at {at}");
            }
        }
    }

    /// Given those events in an embedded log whose bytes at its first position and at a
    /// position in the middle (a region's acceptance, say) were damaged, when each region's
    /// statistics are counted from it as of an instant and as of now, then they are the live
    /// statistics of the events left, those on both sides of the damage, each counted (as the
    /// projector passes over such records), and they name both positions as left out; nothing
    /// of the bytes.
    #[tokio::test]
    async fn records_that_are_not_events_are_left_out_and_named() {
        let (_dir, log, events) = logged("statistics-at-unreadable").await;
        let middle = events.len() as u64 / 2;
        let garbage = b"{\"id_number\": \"110101199003077777\", ";
        for position in [1, middle] {
            log.overwrite(position, garbage);
        }
        let left: Vec<Positioned> = events
            .iter()
            .filter(|p| ![1, middle].contains(&p.position))
            .cloned()
            .collect();
        let cal = Arc::new(Calendar::weekdays());
        let mut differs = false;
        for at in [time("2026-11-20T12:00:00+08:00"), Timestamp::now()] {
            for region in ["440000", "330000"] {
                let counted = count(&log, region, at, &cal, None, |_, _| {})
                    .await
                    .expect("count");
                let named: Vec<u64> = counted
                    .passed_over
                    .unreadable
                    .iter()
                    .map(|u| u.position)
                    .collect();
                assert_eq!(named, vec![1, middle], "{region} at {at}");
                assert_eq!(counted.passed_over.unreadable_count, 2);
                let shown = serde_json::to_string(&counted).expect("json");
                assert!(!shown.contains("1101011990"), "{shown}");
                let figures = RegionStatistics {
                    passed_over: Default::default(),
                    ..counted
                };
                assert_eq!(figures, live_then(&left, region, at), "{region} at {at}");
                differs |= figures != live_then(&events, region, at);
            }
        }
        // The damage took events of these regions' applications: the count shows it.
        assert!(differs);
    }

    /// An instant is RFC 3339 with its offset, not after now: anything else is refused by rule
    /// (`format`, `range`), the value quoted only when it has a time's form; an ID number typed
    /// there is not.
    #[test]
    fn an_instant_is_rfc_3339_and_not_after_now() {
        let now = time("2026-12-05T12:00:00Z");
        assert_eq!(
            instant("2026-12-01T00:00:00+08:00", now),
            Ok(time("2026-11-30T16:00:00Z"))
        );
        assert_eq!(instant("2026-12-05T12:00:00Z", now), Ok(now));
        for bad in [
            "2026-11-30 24:00",
            "2026-11-30",
            "2026-12-01T00:00:00",
            "",
            "yesterday",
        ] {
            let e = instant(bad, now).expect_err(bad);
            assert_eq!(e.rule(), "format", "{bad}");
            assert!(e.to_string().contains("RFC 3339"), "{e}");
        }
        let quoted = instant("2026-11-30 24:00", now).expect_err("24:00");
        assert!(
            quoted.to_string().contains("\"2026-11-30 24:00\""),
            "{quoted}"
        );
        let personal = instant("110101199003077777", now).expect_err("an ID number");
        assert!(!personal.to_string().contains("1101011990"), "{personal}");
        assert!(personal.to_string().contains("18 characters"), "{personal}");
        let future = instant("2026-12-06T00:00:00+08:00", now).expect_err("future");
        assert_eq!(future.rule(), "range");
        assert_eq!(
            future.to_string(),
            "\"2026-12-06T00:00:00+08:00\" (2026-12-05T16:00:00.000Z) is after now \
             (2026-12-05T12:00:00.000Z): the log holds what happened up to now, not a state yet \
             to come; ask for an instant in the past, or without it for the statistics of now"
        );
    }
}
