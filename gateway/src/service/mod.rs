//! Runs commands: load the application (the state remembered of it, [`states`], checked by the
//! append or against the log's last event and brought up to date; else the projections' view of
//! it, checked against the log's last event; the whole history when neither holds it), decide, seal the event, append it with the concurrency check, and answer once it is
//! durable. Also the authorised reads, which first wait
//! until the projections hold every write acknowledged before them (read-your-writes).
//!
//! Why the wait sits on the read and not on the write: commands decide on what the log holds
//! (a view of the projections only once the log's last event is the one it was folded up to), so a writer has nothing to wait for once its event is durable. Waiting for
//! the projection at the write put a second storage step (the projection batch, with its own
//! stalls) on every submission's path; at the read, it costs only when a read overtakes the
//! projector, which is rare and brief.

mod act;
pub mod clock;
pub mod duplicates;
mod error;
mod feed;
pub mod feed_page;
pub mod log_records;
mod payload;
mod reach;
mod read;
pub mod states;
mod submit;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::auth::RequestSignature;
use crate::domain::calendar::Calendar;
use crate::envelope::{Envelope, GatewayKey, Tip};
use crate::evidence::{EvidenceError, EvidenceStore};
use crate::log::{EventLog, LogError};
use crate::projections::{ApplicationView, ProjectionStore, Projector, verified};

pub use act::{ActCheck, ActOutcome, acting_region};
pub(crate) use error::past_the_end;
pub use error::{BrokenHistory, ChainBreak, FailedAppend, FailedRead, ServiceError};
pub use feed::parties;
pub use feed_page::{FeedItem, HeldMarker, RepeatedMarker};
pub use reach::{ReachStats, ReadAfter};
pub use read::{EventsPage, History, SerialMatches};
pub use submit::{
    CheckOutcome, Intake, SubmitOutcome, SubmitRequest, prepare as prepare_submission,
    submitting_region,
};

/// How long a read waits for the projections to catch up with the writes acknowledged before it
/// before answering from them anyway.
const READ_YOUR_WRITES: Duration = Duration::from_secs(2);
/// How often a command without `expected_seq` is re-decided after losing a race.
const MAX_RETRIES: usize = 8;

pub struct Gateway<L: EventLog> {
    pub log: Arc<L>,
    pub key: GatewayKey,
    pub store: ProjectionStore,
    pub projector: Projector,
    pub calendar: Arc<Calendar>,
    /// Whether the calendar was read from a `holidays.json` in the data directory (`tongban
    /// serve` sets it; `None`: not known): the evidence page says "no holidays.json" only of a
    /// directory without one, and names the file when it lists no date, as `tongban dispute`
    /// does on the same directory.
    pub calendar_file: Option<bool>,
    /// Where the regions' verified request signatures are kept (`None`: nothing signed is
    /// accepted, see [`Gateway::commit`]). `tongban serve` always sets it.
    pub evidence: Option<EvidenceStore>,
    /// The federation's regions (`tongban serve` sets the region book): a submission naming a
    /// handler outside it is refused, since no platform there could accept it. `None` (tests
    /// that wire a gateway without a book) checks only that handlers are region codes.
    pub regions: Option<Arc<crate::auth::RegionBook>>,
    /// The registry a read upcasts submission forms through to their matter's latest version
    /// ([`Gateway::application`]): the built-in one; tests set their own.
    pub registry: &'static tongban_schemas::registry::Registry,
    /// How the ids of applications submitted with an `Idempotency-Key` derive from it: keyed
    /// (the default), unkeyed on a log made before keyed ids, or keyed with unkeyed retries
    /// found (`tongban serve` sets what it judged of the log, [`crate::ids::Derivation`]).
    pub app_ids: crate::ids::AppIds,
    /// The highest log position this gateway has acknowledged to a writer: what a read waits for
    /// the projections to reach (see [`Gateway::caught_up`]).
    acknowledged: Arc<AtomicU64>,
    /// The states of the applications acted on lately, each good while the log's last event
    /// for it is the one it was folded up to ([`states`]); the projector folds other gateways'
    /// events onto them as it reads them.
    states: Arc<states::States>,
    /// How the reads naming a position fared ([`Gateway::reach`]), for `GET /metrics`.
    pub reach_stats: Arc<reach::ReachStats>,
    /// The one read of the whole log this gateway runs at a time for a caller (a region's
    /// statistics as of an instant, [`Gateway::statistics_at`]): each costs a read of every
    /// event, so a second is refused while one runs rather than run beside it.
    whole_log_reads: tokio::sync::Semaphore,
    /// The one page of the log's records ([`log_records`]) this gateway reads at a time;
    /// another asked for meanwhile is refused (`log-read-busy`).
    log_record_reads: tokio::sync::Semaphore,
    /// The feed positions already named in a warning ([`feed_page::Told`]).
    missing_told: feed_page::Told,
    /// The latest event time in the log, against which this host's clock is judged
    /// ([`clock`]).
    latest_stamp: Arc<clock::LatestStamp>,
}

impl<L: EventLog> Gateway<L> {
    /// Wires the parts and starts the projector (needs a tokio runtime).
    pub fn start(
        log: Arc<L>,
        key: GatewayKey,
        store: ProjectionStore,
        calendar: Calendar,
    ) -> Gateway<L> {
        Gateway::start_with_projector_delay(log, key, store, calendar, Duration::ZERO)
    }

    /// Like [`Gateway::start`], with the projector holding back every batch for `delay`: a test
    /// hook that widens the window between an acknowledged append and its projection, so a crash
    /// can be placed inside it.
    pub fn start_with_projector_delay(
        log: Arc<L>,
        key: GatewayKey,
        store: ProjectionStore,
        calendar: Calendar,
        delay: Duration,
    ) -> Gateway<L> {
        Gateway::start_hooked(log, key, store, calendar, delay, verified::EVERY)
    }

    /// Like [`Gateway::start`], with the projector signing a verified head every `every`
    /// positions instead of [`verified::EVERY`] (a test hook).
    #[cfg(test)]
    pub fn start_attesting_every(
        log: Arc<L>,
        key: GatewayKey,
        store: ProjectionStore,
        calendar: Calendar,
        every: u64,
    ) -> Gateway<L> {
        Gateway::start_hooked(log, key, store, calendar, Duration::ZERO, every)
    }

    fn start_hooked(
        log: Arc<L>,
        key: GatewayKey,
        store: ProjectionStore,
        calendar: Calendar,
        delay: Duration,
        every: u64,
    ) -> Gateway<L> {
        // The projector indexes applicants under the gateway key's secret, and submissions
        // look them up under it ([`crate::projections::applicants`]).
        let store = store.with_applicant_key(&key);
        let calendar = Arc::new(calendar);
        let states = Arc::new(states::States::default());
        let following = Arc::clone(&states);
        let latest_stamp = Arc::new(clock::LatestStamp::default());
        let stamps = Arc::clone(&latest_stamp);
        let seen: crate::projections::projector::Seen = Arc::new(move |p| {
            following.follow(&p.event, p.position);
            stamps.see(&p.event.at);
        });
        let projector = Projector::spawn_delayed(
            Arc::clone(&log),
            store.clone(),
            Arc::clone(&calendar),
            Some(key.public()),
            Some((key.clone(), every)),
            delay,
            Some(seen),
        );
        let app_ids = crate::ids::AppIds::new(crate::ids::Derivation::Keyed, &key);
        Gateway {
            log,
            key,
            app_ids,
            store,
            projector,
            calendar,
            calendar_file: None,
            evidence: None,
            regions: None,
            registry: tongban_schemas::registry::Registry::builtin(),
            acknowledged: Arc::new(AtomicU64::new(0)),
            states,
            reach_stats: Arc::default(),
            whole_log_reads: tokio::sync::Semaphore::new(1),
            log_record_reads: tokio::sync::Semaphore::new(1),
            missing_told: feed_page::Told::default(),
            latest_stamp,
        }
    }

    /// The caps actions are decided by ([`crate::domain::decide::Caps`]): the projection
    /// store's, given before the projector started, so that the inbox lines offer what an
    /// action would be allowed.
    pub fn caps(&self) -> crate::domain::decide::Caps {
        self.store.caps()
    }

    /// How far this host's clock is behind the latest event time in the log, in milliseconds,
    /// when more than a minute ([`clock`]): the events it stamps now read as happened before
    /// events the log holds. Warned of once an episode begins.
    pub fn clock_behind_ms(&self) -> Option<i64> {
        self.latest_stamp.behind_ms()
    }

    /// Reads the latest times of the log's last events ([`clock::LatestStamp::seed`]): the
    /// projector tells of the events it applies, and after a clean stop it applies none, so a
    /// clock behind would go unsaid until the log moved on. Called as the gateway starts
    /// serving (`server::serve`).
    pub async fn seed_clock(&self) {
        self.latest_stamp.seed(&*self.log, &self.key.public()).await;
    }

    /// The latest event time this gateway has seen in its log (RFC 3339), if any
    /// ([`clock`]).
    pub fn latest_event_time(&self) -> Option<String> {
        self.latest_stamp.latest()
    }

    /// Checks the payload against its registered schema, then seals the next event of an
    /// application. Nothing the registry would reject ever reaches the log: other parties verify
    /// and replay these payloads against the published schemas.
    ///
    /// Takes the event as its type and `data` (from [`crate::domain::Event::data`], or
    /// [`crate::domain::Event::into_data`] where the event is not needed after).
    ///
    /// `previous` is where the chain ends and when its last event happened (None: the
    /// application's first): the event is stamped now, or at that time when this host's clock
    /// is behind it ([`clock::stamp_after`]).
    fn seal(
        &self,
        previous: Option<(Tip<'_>, &str)>,
        app: &str,
        kind: &str,
        data: serde_json::Value,
        principal: &crate::auth::Principal,
        region: &str,
    ) -> Result<Envelope, ServiceError> {
        let schema = payload::check(kind, &data)?;
        let content = crate::envelope::Content {
            kind: kind.to_string(),
            schema,
            region: region.to_string(),
            actor: principal.actor(),
            at: clock::stamp_after(previous.map(|(_, at)| at), &self.latest_stamp).to_rfc3339(),
            data,
        };
        Ok(Envelope::sealed_on(
            previous.map(|(tip, _)| tip),
            app,
            content,
            &self.key,
        ))
    }

    /// Whether the log would take `event` as `seal` seals it (the write's own sealing), asked by
    /// the dry runs without appending: where the log knows the largest message it stores without
    /// asking ([`EventLog::limits_size`]: JetStream), the event is sealed (its payload checked
    /// against its registered schema, as sealing checks it) and measured ([`EventLog::fits`], 413
    /// as the write's); elsewhere only its payload is checked, without the signature nothing
    /// measures. The submission's and the actions' dry runs both ask here.
    fn would_take(
        &self,
        event: crate::domain::Event,
        seal: impl FnOnce(crate::domain::Event) -> Result<Envelope, ServiceError>,
    ) -> Result<(), ServiceError> {
        if self.log.limits_size() {
            self.log.fits(&seal(event)?)?;
        } else {
            payload::check(event.type_name(), &event.into_data())?;
        }
        Ok(())
    }

    /// Appends a sealed event with the concurrency check and answers its log position once it is
    /// durable. The request signature of a signed request is stored (fsynced) under the event's
    /// id before the event is appended, so an acknowledged event never lacks its evidence. The
    /// envelope is handed to the log, not copied: a caller that answers with it keeps a clone.
    async fn commit(
        &self,
        envelope: Envelope,
        signed: Option<&RequestSignature>,
    ) -> Result<u64, ServiceError> {
        if let Some(signature) = signed {
            let store = self.evidence.as_ref().ok_or_else(|| {
                EvidenceError::Storage("no request evidence store is configured".into())
            })?;
            store.record(&envelope.id, signature)?;
        }
        let seq = envelope.seq;
        let app = envelope.app.clone();
        let kind = envelope.kind.clone();
        let region = envelope.region.clone();
        let position = match self.log.append(envelope, seq - 1).await {
            Ok(position) => position,
            Err(error @ (LogError::Unavailable(_) | LogError::Storage(_))) => {
                return Err(ServiceError::Append(Box::new(FailedAppend {
                    app,
                    seq,
                    event: kind,
                    region,
                    error,
                })));
            }
            Err(e) => return Err(e.into()),
        };
        self.acknowledged.fetch_max(position, Ordering::AcqRel);
        tracing::info!(app, seq, event = kind, region, position, "appended");
        Ok(position)
    }

    /// Waits until the projections hold every event acknowledged before this call: those this
    /// gateway acknowledged and those the log's head already shows (another writer's, or a
    /// previous run's not yet projected), at most [`READ_YOUR_WRITES`]. Every read of the
    /// projections goes through here, so an answered write is visible to any read that follows
    /// it.
    ///
    /// Projections that stopped for good ([`Gateway::projections_stopped`]) are not waited for:
    /// nothing more will be applied, so the read answers at once from what they hold (the HTTP
    /// layer marks such answers stale) instead of after the whole wait, every time.
    pub async fn caught_up(&self) {
        if let Err(position) = self.projected_within(READ_YOUR_WRITES).await
            && self.projector.stopped().is_none()
        {
            tracing::warn!(position, "projection lags behind an acknowledged write");
        }
    }

    /// Whether the projections stopped for good (their store failed; see
    /// [`crate::projections::projector::Stopped`]) and are behind the log: every answer drawn
    /// from them then holds events up to `Stopped::at` only.
    pub fn projections_stopped(&self) -> Option<crate::projections::projector::Stopped> {
        self.projector.stopped()
    }

    /// Waits at most `patience` until the projections hold every event acknowledged before this
    /// call (see [`Gateway::caught_up`]); `Err` with the log position they did not reach.
    pub async fn projected_within(&self, patience: Duration) -> Result<(), u64> {
        let target = self.known_end();
        if self.projector.applied() >= target || self.projector.wait_for(target, patience).await {
            Ok(())
        } else {
            Err(target)
        }
    }

    /// The furthest position this gateway knows to be stored without asking the log: the head
    /// it has seen and its own acknowledged appends.
    fn known_end(&self) -> u64 {
        let head = *self.log.head().borrow();
        head.max(self.acknowledged.load(Ordering::Acquire))
    }

    /// `app`'s events as its actions decide on them and its projections fold them: read as
    /// every read an action makes reads them (`read_after` from the start), not as the history is
    /// served. What something other than a gateway published on the application's subject (a
    /// copy of one of its events, another event under a seq before its last, or under its last
    /// where the seals settle it) is passed over, and the events the later ones link to are
    /// read. The whole history's read refuses each of them, and one message on a stream that
    /// denies deletes answered 500 for good to what only needs the application's own events: an
    /// action with nothing remembered, a submission or an action retried after a lost answer,
    /// a view folded from the log, who is a party to a history that does not fold.
    pub(super) async fn decided_history(&self, app: &str) -> Result<Vec<Envelope>, LogError> {
        self.log.read_after(app, 0, 0).await
    }

    /// The view of an application: from the projection, or folded from the log when the
    /// projection has not caught up with it yet.
    ///
    /// With the projections stopped for good behind the log, the view is folded from the log
    /// (one read of the application's events): a province reading what it just wrote gets it
    /// exact, not stale, while the gateway waits for its restart.
    async fn view(&self, app: &str) -> Result<Option<ApplicationView>, ServiceError> {
        self.caught_up().await;
        if self.projector.stopped().is_some() && self.projector.applied() < self.known_end() {
            let events = self.decided_history(app).await?;
            return Ok(ApplicationView::from_events(&events, &self.calendar)?);
        }
        if let Some(held) = self.store.held(app)? {
            return Err(ServiceError::Held(Box::new(held)));
        }
        if let Some(mut v) = self.store.get(app)? {
            // Over a local log the store leaves the submission's content in the log
            // (`Submissions::InLog`): read it back from the submission event.
            if let (Some(position), true) = (v.submission, v.applicant.is_null()) {
                // A position that holds no such submission: the log and its projections
                // disagree (a log altered or restored apart from them), which a read reports as
                // the log's corruption (500 `log-corrupt`, naming the application), not as an
                // internal error.
                let at = self.log.read_at(&[position]).await?;
                let filled = match at.into_iter().next().and_then(crate::log::At::into_event) {
                    Some(found) => v.fill_submission(&found.event),
                    None => Err(crate::projections::FoldError::Submission {
                        app: app.to_string(),
                        position,
                        found: "no event".into(),
                    }),
                };
                if let Err(e) = filled {
                    return Err(ServiceError::Log(crate::log::LogError::Corrupt {
                        position,
                        reason: e.to_string(),
                    }));
                }
            }
            return Ok(Some(v));
        }
        let events = self.decided_history(app).await?;
        Ok(ApplicationView::from_events(&events, &self.calendar)?)
    }
}

#[cfg(test)]
mod act_check_tests;
#[cfg(test)]
mod app_ids_tests;
#[cfg(test)]
mod events_page_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod form_tests;
#[cfg(test)]
mod held_tests;
#[cfg(test)]
mod reach_tests;
#[cfg(test)]
mod statistics_at_tests;
#[cfg(test)]
mod stopped_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod verified_tests;
