//! `POST /v1/applications/{id}/{action}`: a party moves an application along its lifecycle.

use serde::Serialize;

use super::{Gateway, MAX_RETRIES, ServiceError};
use crate::auth::Principal;
use crate::domain::{self, Application, Command};
use crate::envelope::Envelope;
use crate::log::{EventLog, LogError};
use crate::projections::FoldError;

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ActOutcome {
    pub id: String,
    pub status: String,
    pub seq: u64,
    /// The sealed event that was appended.
    pub event: Envelope,
}

impl<L: EventLog> Gateway<L> {
    /// Runs `command` on application `app`. With `expected_seq`, a mismatch is reported (409) rather
    /// than re-decided.
    pub async fn act(
        &self,
        principal: &Principal,
        app: &str,
        command: Command,
        expected_seq: Option<u64>,
    ) -> Result<ActOutcome, ServiceError> {
        self.act_signed(principal, app, command, expected_seq, None)
            .await
    }

    /// [`Gateway::act`], keeping the region's verified request signature as the evidence of the
    /// appended event.
    pub async fn act_signed(
        &self,
        principal: &Principal,
        app: &str,
        command: Command,
        expected_seq: Option<u64>,
        signed: Option<&crate::auth::RequestSignature>,
    ) -> Result<ActOutcome, ServiceError> {
        let region = principal
            .region()
            .ok_or_else(|| {
                ServiceError::Forbidden(
                    "operators read and replay; they do not act on applications".into(),
                )
            })?
            .to_string();
        for _ in 0..MAX_RETRIES {
            // A remembered state, if the log's last event is still the one it was folded up to
            // (the last event is read only when there is a state to check it against).
            let remembered = match self.states.contains(app) {
                true => match self.log.last(app).await? {
                    Some(last) => self
                        .states
                        .get(app, last.seq, &last.hash)
                        .map(|state| (state, last)),
                    None => return Err(ServiceError::NotFound(app.to_string())),
                },
                false => None,
            };
            let ((state, unreadable), last) = match remembered {
                Some((state, last)) => ((Some(state), None), last),
                None => {
                    let mut events = self.log.read(app).await?;
                    let folded = fold_history(&events);
                    let Some(last) = events.pop() else {
                        return Err(ServiceError::NotFound(app.to_string()));
                    };
                    if let (Some(state), None) = &folded {
                        self.states.put(app, last.seq, &last.hash, state.clone());
                    }
                    (folded, last)
                }
            };
            let last = &last;
            // Refuse non-parties before revealing anything about the application's state, even
            // that its history does not fold.
            if !self.party_to_history(app, state.as_ref(), &region).await? {
                return Err(super::error::not_a_party(app, &region));
            }
            // Judged as the projections judge it, so what they hold cannot be acted on.
            if let Some(e) = unreadable {
                return Err(e.into());
            }
            let Some(state) = state else {
                return Err(ServiceError::NotFound(app.to_string()));
            };
            if let Some(expected) = expected_seq
                && expected != state.seq
            {
                return Err(ServiceError::StaleSeq {
                    expected,
                    actual: state.seq,
                    status: state.status,
                });
            }
            let event = domain::decide(Some(&state), &region, command.clone()).map_err(
                |error| match error.kind() {
                    domain::ErrorKind::Conflict => ServiceError::Refused {
                        error,
                        status: state.status,
                        seq: state.seq,
                    },
                    _ => error.into(),
                },
            )?;
            let envelope = self.seal(
                Some(last),
                app,
                event.type_name(),
                event.data(),
                principal,
                &region,
            )?;
            match self.commit(envelope.clone(), signed).await {
                Ok(_) => {
                    let next = Application::apply_from(Some(state), app, &region, &event);
                    self.states
                        .put(app, envelope.seq, &envelope.hash, next.clone());
                    return Ok(ActOutcome {
                        id: app.to_string(),
                        status: next.status.as_str().to_string(),
                        seq: envelope.seq,
                        event: envelope,
                    });
                }
                // Another writer appended first: decide again on what is there now. With
                // expected_seq the next pass answers stale-seq, with the state that won.
                Err(ServiceError::Log(LogError::Conflict { .. })) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(ServiceError::Contended)
    }
}

/// The aggregate state from the application's events as far as they fold, as the projections
/// judge them ([`crate::projections::ApplicationView::readable`]), and why the first that does
/// not fold does not (then the state is as of the event before it; None when not even the first
/// folds). One pass serves both who the parties are and whether the history can be acted on.
pub(super) fn fold_history(events: &[Envelope]) -> (Option<Application>, Option<FoldError>) {
    let mut state = None;
    for e in events {
        match crate::projections::ApplicationView::readable(e) {
            Ok((event, _)) => {
                state = Some(Application::apply_from(state, &e.app, &e.region, &event));
            }
            Err(unreadable) => return (state, Some(unreadable)),
        }
    }
    (state, None)
}
