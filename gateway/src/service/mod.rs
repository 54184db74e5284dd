//! Runs commands: load the application from the log, decide, seal the event, append it with the
//! concurrency check, and wait until the projection shows it. Also the authorised reads.

mod act;
mod error;
mod payload;
mod read;
mod submit;

use std::sync::Arc;
use std::time::Duration;

use crate::auth::RequestSignature;
use crate::domain::calendar::Calendar;
use crate::envelope::{Envelope, GatewayKey};
use crate::evidence::{EvidenceError, EvidenceStore};
use crate::log::EventLog;
use crate::projections::{ApplicationView, ProjectionStore, Projector};

pub use act::ActOutcome;
pub use error::ServiceError;
pub use submit::{Intake, SubmitOutcome, SubmitRequest, prepare as prepare_submission};

/// How long a writer waits for its event to show in the projections before answering anyway.
const READ_YOUR_WRITES: Duration = Duration::from_secs(2);
/// How often a command without `expected_seq` is re-decided after losing a race.
const MAX_RETRIES: usize = 8;

pub struct Gateway<L: EventLog> {
    pub log: Arc<L>,
    pub key: GatewayKey,
    pub store: ProjectionStore,
    pub projector: Projector,
    pub calendar: Arc<Calendar>,
    /// Where the regions' verified request signatures are kept (`None`: nothing signed is
    /// accepted, see [`Gateway::append`]). `tongban serve` always sets it.
    pub evidence: Option<EvidenceStore>,
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
        let calendar = Arc::new(calendar);
        let projector = Projector::spawn_delayed(
            Arc::clone(&log),
            store.clone(),
            Arc::clone(&calendar),
            delay,
        );
        Gateway {
            log,
            key,
            store,
            projector,
            calendar,
            evidence: None,
        }
    }

    /// Checks the payload against its registered schema, then seals and appends the next event of
    /// an application. Nothing the registry would reject ever reaches the log: other parties verify
    /// and replay these payloads against the published schemas. The request signature of a signed
    /// request is stored (fsynced) under the event's id before the event is appended, so an
    /// acknowledged event never lacks its evidence.
    async fn append(
        &self,
        previous: Option<&Envelope>,
        app: &str,
        event: &crate::domain::Event,
        principal: &crate::auth::Principal,
        region: &str,
        signed: Option<&RequestSignature>,
    ) -> Result<(Envelope, u64), ServiceError> {
        let data = event.data();
        let schema = payload::check(event.type_name(), &data)?;
        let content = crate::envelope::Content {
            kind: event.type_name().to_string(),
            schema,
            region: region.to_string(),
            actor: principal.actor(),
            at: crate::time::Timestamp::now().to_rfc3339(),
            data,
        };
        let envelope = Envelope::sealed_after(previous, app, content, &self.key);
        let seq = envelope.seq;
        if let Some(signature) = signed {
            let store = self.evidence.as_ref().ok_or_else(|| {
                EvidenceError::Storage("no request evidence store is configured".into())
            })?;
            store.record(&envelope.id, signature)?;
        }
        let position = self.log.append(envelope.clone(), seq - 1).await?;
        tracing::info!(
            app,
            seq,
            event = envelope.kind,
            region,
            position,
            "appended"
        );
        Ok((envelope, position))
    }

    async fn await_projection(&self, position: u64) {
        if !self.projector.wait_for(position, READ_YOUR_WRITES).await {
            tracing::warn!(position, "projection lags behind an acknowledged write");
        }
    }

    /// The view of an application: from the projection, or folded from the log when the
    /// projection has not caught up with it yet.
    async fn view(&self, app: &str) -> Result<Option<ApplicationView>, ServiceError> {
        if let Some(v) = self.store.get(app)? {
            return Ok(Some(v));
        }
        let events = self.log.read(app).await?;
        Ok(ApplicationView::from_events(&events, &self.calendar)?)
    }
}

#[cfg(test)]
mod tests;
