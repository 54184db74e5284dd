//! The projected view of one application: its state, the canonical submission, deadlines.
//!
//! Built by folding events, the same way whether it comes from the live projection, a rebuild, or
//! a point-in-time replay.

use serde::{Deserialize, Serialize};
use tongban_schemas::blocks::material::MaterialRef;
use tongban_schemas::matters;

use crate::domain::calendar::Calendar;
use crate::domain::deadlines::Deadlines;
use crate::domain::{Application, Event, EventDecodeError};
use crate::envelope::Envelope;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub state: Application,
    pub submitted_at: String,
    pub updated_at: String,
    pub last_hash: String,
    pub applicant: serde_json::Value,
    pub form: serde_json::Value,
    pub materials: Vec<MaterialRef>,
    pub deadlines: Deadlines,
}

#[derive(Debug, thiserror::Error)]
pub enum FoldError {
    #[error("application {app} seq {seq}: {source}")]
    Decode {
        app: String,
        seq: u64,
        source: EventDecodeError,
    },
    #[error("application {app} seq {seq}: event time {at:?} is not RFC 3339")]
    Time { app: String, seq: u64, at: String },
}

impl ApplicationView {
    /// Folds one envelope into `previous` (None before the first event).
    pub fn fold(
        previous: Option<ApplicationView>,
        env: &Envelope,
        cal: &Calendar,
    ) -> Result<ApplicationView, FoldError> {
        let event = Event::from_envelope(env).map_err(|source| FoldError::Decode {
            app: env.app.clone(),
            seq: env.seq,
            source,
        })?;
        let at = Timestamp::parse_rfc3339(&env.at).ok_or_else(|| FoldError::Time {
            app: env.app.clone(),
            seq: env.seq,
            at: env.at.clone(),
        })?;
        // The previous state moves into the fold and the submission's parts into the view:
        // nothing of the view is copied.
        let mut view = match previous {
            Some(mut v) => {
                let before = v.state;
                v.state = Application::apply_from(Some(before), &env.app, &env.region, &event);
                v
            }
            None => ApplicationView {
                state: Application::apply_from(None, &env.app, &env.region, &event),
                submitted_at: env.at.clone(),
                updated_at: String::new(),
                last_hash: String::new(),
                applicant: serde_json::Value::Null,
                form: serde_json::Value::Null,
                materials: Vec::new(),
                deadlines: Deadlines::default(),
            },
        };
        view.updated_at = env.at.clone();
        view.last_hash = env.hash.clone();
        if let Some(matter) = matters::get(&view.state.matter) {
            view.deadlines
                .apply(&view.state, &event, at, &matter.limits, cal);
        }
        match event {
            Event::Submitted(s) => {
                view.submitted_at = env.at.clone();
                view.applicant = s.applicant;
                view.form = s.form;
                view.materials = s.materials;
            }
            Event::Supplement(s) => view.materials.extend(s.materials),
            _ => {}
        }
        Ok(view)
    }

    /// Folds a whole history.
    pub fn from_events(
        events: &[Envelope],
        cal: &Calendar,
    ) -> Result<Option<ApplicationView>, FoldError> {
        let mut view = None;
        for e in events {
            view = Some(ApplicationView::fold(view, e, cal)?);
        }
        Ok(view)
    }
}
