//! The projected view of one application: its state, the canonical submission, deadlines.
//!
//! Built by folding events, the same way whether it comes from the live projection, a rebuild, or
//! a point-in-time replay.
//!
//! Over a log on the gateway's own disk, the projection store keeps a view without the
//! submission's applicant, form and materials ([`crate::projections::store::Submissions`]): they
//! are most of a view's bytes, never change after the submission, and the log already holds them
//! in the submission event. The store's view names that event's log position instead
//! ([`ApplicationView::submission`]), and a read fills them in from there
//! ([`ApplicationView::fill_submission`]).
//!
//! Either way the view holds the applicant and form as the submission recorded them, under the
//! matter version it was validated against; a read hands them out in the latest version's shape
//! ([`ApplicationView::upcast_form`], in `super::upcast`).

use serde::{Deserialize, Serialize};
use tongban_schemas::blocks::material::MaterialRef;
use tongban_schemas::matters;

use crate::domain::calendar::Calendar;
use crate::domain::deadlines::Deadlines;
use crate::domain::{Application, Event, EventDecodeError, FOLD_RULES};
use crate::envelope::Envelope;
use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub state: Application,
    pub submitted_at: String,
    pub updated_at: String,
    pub last_hash: String,
    /// Null in a view the projection store left without its submission, until
    /// [`ApplicationView::fill_submission`] puts the submission event's back (views of a JetStream
    /// log, and those stored by earlier versions, hold it).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub applicant: serde_json::Value,
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub form: serde_json::Value,
    /// The version of the matter's schema `applicant` and `form` are in: the one the submission
    /// was validated against, as the view folds it, and the latest once a read has upcast them
    /// ([`ApplicationView::upcast_form`]). A view keeps the version because it may be stored and
    /// read again after a build with a newer matter version lands. Views stored before the
    /// version was recorded read as 1, as do the submissions they were folded from.
    #[serde(default = "tongban_schemas::events::unrecorded_matter_version")]
    pub matter_version: u32,
    /// The submission's materials, then each supplement's. In a view read from the projection
    /// store, only the supplements' until [`ApplicationView::fill_submission`].
    pub materials: Vec<MaterialRef>,
    pub deadlines: Deadlines,
    /// The log position of the submission event, whose applicant, form and materials the
    /// projection store left there; None in a view folded straight from the events, which holds
    /// them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission: Option<u64>,
    /// The log position of the last event folded in (the one `last_hash` names), as the
    /// projection store folded it; None in a view folded from events read without their
    /// positions, and in those stored by earlier versions. An action that starts from the view
    /// reads only the events after it from there ([`crate::log::EventLog::read_after`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u64>,
    /// The [`FOLD_RULES`] `state` was folded by, event by event from the first; 0 when not
    /// known (stored by an earlier version, or folded partly by a build with other rules). An
    /// action decides on a view's state only when they are this build's: a view is kept across
    /// upgrades and rollbacks, and a state folded by other rules is another state.
    #[serde(default)]
    pub rules: u32,
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
    #[error(
        "application {app}: its view names log position {position} as its submission, which holds \
         {found}"
    )]
    Submission {
        app: String,
        position: u64,
        found: String,
    },
}

impl ApplicationView {
    /// Folds one envelope into `previous` (None before the first event).
    pub fn fold(
        previous: Option<ApplicationView>,
        env: &Envelope,
        cal: &Calendar,
    ) -> Result<ApplicationView, FoldError> {
        let event = Event::from_envelope(env);
        ApplicationView::fold_event(previous, env, event, cal)
    }

    /// [`ApplicationView::fold`] of an event the caller no longer needs whole, into `slot` (None
    /// before the first event): its `data` is taken (left `null`), and a submission's applicant,
    /// form and materials move into the view instead of being copied out of it. The projection
    /// store folds every event this way.
    ///
    /// An event that does not fold leaves `slot` as it was, so the store can keep the last view
    /// that folded and hold the application there (`super::held`).
    pub fn fold_taking_into(
        slot: &mut Option<ApplicationView>,
        env: &mut Envelope,
        cal: &Calendar,
    ) -> Result<(), FoldError> {
        // The time first: an event refused for it keeps its data, for the caller to read whose
        // it is.
        let at = ApplicationView::time_of(env)?;
        let event = Event::take_from_envelope(env);
        let event = ApplicationView::decoded(env, event)?;
        *slot = Some(ApplicationView::fold_read(slot.take(), env, event, at, cal));
        Ok(())
    }

    /// Whether `env` folds, as the projections fold it: its time reads as RFC 3339 and its data
    /// as its type. The paths that fold a history from the log (acting on an application, who
    /// may read its events) judge it by this too, so an application held by the projections is
    /// one those paths cannot fold either.
    pub fn readable(env: &Envelope) -> Result<(Event, Timestamp), FoldError> {
        let at = ApplicationView::time_of(env)?;
        let event = ApplicationView::decoded(env, Event::from_envelope(env))?;
        Ok((event, at))
    }

    fn fold_event(
        previous: Option<ApplicationView>,
        env: &Envelope,
        event: Result<Event, EventDecodeError>,
        cal: &Calendar,
    ) -> Result<ApplicationView, FoldError> {
        let at = ApplicationView::time_of(env)?;
        let event = ApplicationView::decoded(env, event)?;
        Ok(ApplicationView::fold_read(previous, env, event, at, cal))
    }

    /// When `env` happened, or why that does not read. Checked before anything of a view is
    /// touched, like [`ApplicationView::decoded`].
    fn time_of(env: &Envelope) -> Result<Timestamp, FoldError> {
        Timestamp::parse_rfc3339(&env.at).ok_or_else(|| FoldError::Time {
            app: env.app.clone(),
            seq: env.seq,
            at: env.at.clone(),
        })
    }

    /// The decoded event, or why `env`'s data does not read as its type.
    fn decoded(env: &Envelope, event: Result<Event, EventDecodeError>) -> Result<Event, FoldError> {
        event.map_err(|source| FoldError::Decode {
            app: env.app.clone(),
            seq: env.seq,
            source,
        })
    }

    fn fold_read(
        previous: Option<ApplicationView>,
        env: &Envelope,
        event: Event,
        at: Timestamp,
        cal: &Calendar,
    ) -> ApplicationView {
        // The previous state moves into the fold and the submission's parts into the view:
        // nothing of the view is copied.
        let mut view = match previous {
            Some(mut v) => {
                let before = v.state;
                v.state = Application::apply_from(Some(before), &env.app, &env.region, &event);
                if v.rules != FOLD_RULES {
                    v.rules = 0;
                }
                v
            }
            None => ApplicationView {
                state: Application::apply_from(None, &env.app, &env.region, &event),
                submitted_at: env.at.clone(),
                updated_at: String::new(),
                last_hash: String::new(),
                applicant: serde_json::Value::Null,
                form: serde_json::Value::Null,
                matter_version: tongban_schemas::events::unrecorded_matter_version(),
                materials: Vec::new(),
                deadlines: Deadlines::default(),
                submission: None,
                position: None,
                rules: FOLD_RULES,
            },
        };
        // The caller that knows where `env` is in the log says so (the projection store).
        view.position = None;
        view.updated_at = env.at.clone();
        view.last_hash = env.hash.clone();
        if let Some(matter) = matters::get(&view.state.matter) {
            view.deadlines
                .apply(&view.state, &env.region, &event, at, &matter.limits, cal);
        }
        match event {
            Event::Submitted(s) => {
                view.submitted_at = env.at.clone();
                view.applicant = s.applicant;
                view.form = s.form;
                view.matter_version = s.matter_version;
                view.materials = s.materials;
            }
            Event::Supplement(s) => view.materials.extend(s.materials),
            _ => {}
        }
        view
    }

    /// The deadlines as they stand at `now`, counted with `cal` ([`Deadlines::as_of`]): those
    /// folded, and the decision clock of a deemed acceptance (行政许可法 Art. 32) that no event
    /// has folded in yet. What every reader shows: the answers, the replay, the evidence page.
    pub fn deadlines_at(&self, now: Timestamp, cal: &Calendar) -> Deadlines {
        match matters::get(&self.state.matter) {
            Some(matter) => self.deadlines.as_of(&self.state, now, &matter.limits, cal),
            None => self.deadlines.clone(),
        }
    }

    /// Leaves the applicant, form and materials in the log: the view keeps `position`, where the
    /// submission event is, instead. For the projection store, once the submission has been
    /// folded (the supplements' materials, folded later, stay in the view).
    pub fn leave_submission_at(&mut self, position: u64) {
        self.applicant = serde_json::Value::Null;
        self.form = serde_json::Value::Null;
        self.materials.clear();
        self.submission = Some(position);
    }

    /// Puts back the applicant, form and materials of a view the projection store left without
    /// them, from `event`, read at [`ApplicationView::submission`]. Refuses an event that is not
    /// this application's submission (a store that does not match its log), leaving the view as
    /// it was.
    pub fn fill_submission(&mut self, event: &Envelope) -> Result<(), FoldError> {
        let position = self.submission.unwrap_or_default();
        let refuse = |found: String| FoldError::Submission {
            app: self.state.id.clone(),
            position,
            found,
        };
        if event.app != self.state.id || event.seq != 1 {
            return Err(refuse(format!(
                "seq {} of application {}",
                event.seq, event.app
            )));
        }
        match Event::from_envelope(event) {
            Ok(Event::Submitted(s)) => {
                self.applicant = s.applicant;
                self.form = s.form;
                self.matter_version = s.matter_version;
                self.materials.splice(0..0, s.materials);
                Ok(())
            }
            Ok(other) => Err(refuse(format!("a {} event", other.type_name()))),
            Err(e) => Err(refuse(format!("a submission that does not read: {e}"))),
        }
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
