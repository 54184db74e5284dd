//! The aggregate states of the applications this gateway acted on lately, so that the next
//! action on one of them folds nothing, or only what other writers appended since.
//!
//! An action needs the application's state to decide on (who the parties are, what status it
//! is in). Folding it from the whole history costs a read and a decode of every event the
//! application holds, once per action: on an application with many events (each suspension
//! and resumption of a long procedure is two) that grows with its length, and on JetStream each
//! event read is a request to the server. So an action uses a state remembered here in one of
//! three ways ([`crate::service::act`]):
//!
//! - **On trust, first.** It decides on the remembered state without reading the log. The
//!   append's own concurrency check refuses the event if another one came in between; then the
//!   action decides again, checked. Only what is appended is answered that way: a refusal
//!   decided on a remembered state is checked before it is given.
//! - **Checked.** It reads the log's last event ([`crate::log::EventLog::last`]): if it is the
//!   one the state was folded up to (same seq, same hash: the chain makes that the same
//!   history), the state is the log's.
//! - **Brought up to date.** If other writers (another gateway on a shared stream) appended
//!   since, it reads only their events ([`crate::log::EventLog::read_after`], told where the
//!   remembered event is in the log when this gateway appended it) and folds them onto the
//!   state, the first one's `prev_hash` naming the remembered event.
//!
//! - **Followed.** The projector reads every event of the log, other gateways' too, and folds
//!   each onto the state remembered of its application when it is the next one
//!   ([`States::follow`]), so an action after another gateway's, once the projector has read
//!   it, is decided on trust and appended with one request.
//!
//! An application this gateway has not acted on lately (since a restart, or only through other
//! gateways) starts from the state its projections hold (`Gateway::projected`), checked and
//! brought up to date the same way but never taken on trust: a view is the projector's, kept on
//! disk across restarts, backups and builds. Anything else folds the whole history: a wrong
//! state cannot be served, only a remembered one not used.
//!
//! Bounded ([`Generations`]): at most 2 × [`GENERATION`] entries of a few hundred bytes each,
//! kept for the applications acted on lately.

use crate::domain::Application;
use crate::envelope::Envelope;
use crate::generations::Generations;

/// Entries per generation.
pub const GENERATION: usize = 2048;

/// A state and the last event it was folded up to.
#[derive(Clone)]
pub struct Remembered {
    pub seq: u64,
    pub hash: String,
    /// Where that event is in the log, when known (this gateway appended it); 0 otherwise.
    pub position: u64,
    pub state: Application,
    /// When that event happened (its `at`): the next one is never stamped earlier.
    pub at: String,
}

impl Remembered {
    /// This state with `since`, the events appended after it, folded on, if they follow it (the
    /// first one's `prev_hash` is its hash, their seqs run on from it, all of `app`) and each
    /// folds; `None` otherwise. Where the last of them is in the log is not known here (0).
    pub fn followed_by(self, app: &str, since: &[Envelope]) -> Option<Remembered> {
        let first = since.first()?;
        if first.prev_hash != self.hash {
            return None;
        }
        let Remembered { seq, mut state, .. } = self;
        for (e, expected) in since.iter().zip(seq + 1..) {
            if e.seq != expected || e.app != app {
                return None;
            }
            let (event, _) = crate::projections::ApplicationView::readable(e).ok()?;
            state = Application::apply_from(Some(state), &e.app, &e.region, &event);
        }
        let last = since.last()?;
        Some(Remembered {
            seq: last.seq,
            hash: last.hash.clone(),
            position: 0,
            state,
            at: last.at.clone(),
        })
    }
}

pub struct States {
    entries: Generations<Remembered>,
}

impl Default for States {
    fn default() -> States {
        States {
            entries: Generations::new(GENERATION),
        }
    }
}

impl States {
    /// The latest state remembered of `app`, whatever the log holds now.
    pub fn latest(&self, app: &str) -> Option<Remembered> {
        self.entries.get(app, |_| true)
    }

    /// Remembers a state of `app`.
    pub fn put(&self, app: &str, remembered: Remembered) {
        self.entries.put(app, remembered);
    }

    /// Folds `event`, read from the log at `position`, onto the state remembered of its
    /// application when it is the next event after it (its seq, and its `prev_hash` naming the
    /// remembered event): another gateway's action on a shared stream, as the projector reads
    /// it. The next action here then decides on it straight away and appends with one request,
    /// where the remembered state would have been refused by the append and the event read
    /// again. Anything else is left as it is: a state not remembered, one already past the
    /// event (this gateway's own), an event that does not fold.
    pub fn follow(&self, event: &Envelope, position: u64) {
        // Checked first without copying anything: most events read are not the next one of a
        // state remembered here (this gateway's own are already folded in).
        let next = |r: &Remembered| r.seq + 1 == event.seq && r.hash == event.prev_hash;
        if !self.entries.holds(&event.app, next) {
            return;
        }
        self.entries.update(&event.app, |r| {
            // Another action here may have moved it on meanwhile; `followed_by` checks again.
            if let Some(followed) = r
                .clone()
                .followed_by(&r.state.id, std::slice::from_ref(event))
            {
                *r = Remembered {
                    position,
                    ..followed
                };
            }
        });
    }

    /// Forgets every state, as a restart does.
    #[cfg(test)]
    pub fn forget(&self) {
        self.entries.clear();
    }

    /// How many states are remembered (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Status;
    use tongban_schemas::Mode;

    fn state(app: &str, seq: u64) -> Application {
        Application {
            id: app.to_string(),
            matter: "medical-filing".into(),
            mode: Mode::Online,
            origin: "440000".into(),
            handlers: vec!["330000".into()],
            status: Status::Accepted,
            seq,
            resume_to: None,
            supplement_requested: false,
            deadline_extended: false,
            suspensions: 0,
            parts_completed: Vec::new(),
        }
    }

    fn remembered(app: &str, seq: u64, hash: &str) -> Remembered {
        Remembered {
            seq,
            hash: hash.into(),
            position: seq * 10,
            state: state(app, seq),
            at: String::new(),
        }
    }

    /// Given a state remembered at seq 3, when the projector reads events of the log, then
    /// only the next one, chained onto the remembered event, is folded on (with its position);
    /// nothing is added for an application not remembered.
    #[test]
    fn the_next_event_read_from_the_log_is_folded_onto_the_state_remembered() {
        let key = crate::envelope::GatewayKey::from_seed([3; 32]);
        let history = |app: &str| {
            let steps = crate::sample::commands(0)
                .expect("commands")
                .into_iter()
                .map(|(region, command)| (region, command, "2026-11-02T03:00:00.000Z".into()));
            crate::sample::sealed(app, steps, "clerk", &key).expect("sealed")
        };
        let events = history("app-follow");
        let folded = |upto: usize| {
            let (state, unreadable) = super::super::act::fold_history(&events[..upto]);
            assert!(unreadable.is_none());
            state.expect("a state")
        };
        let states = States::default();
        let at_3 = Remembered {
            seq: 3,
            hash: events[2].hash.clone(),
            position: 30,
            state: folded(3),
            at: events[2].at.clone(),
        };
        states.put("app-follow", at_3);
        let seq = || states.latest("app-follow").map(|r| r.seq);

        states.follow(&events[4], 50);
        assert_eq!(seq(), Some(3), "not the next event");
        let mut forked = events[3].clone();
        forked.prev_hash = "00".repeat(32);
        states.follow(&forked, 40);
        assert_eq!(seq(), Some(3), "the next seq, chained onto another event");

        states.follow(&events[3], 40);
        let r = states.latest("app-follow").expect("remembered");
        assert_eq!(
            (r.seq, r.position, r.hash.as_str()),
            (4, 40, events[3].hash.as_str())
        );
        assert_eq!(r.state, folded(4));
        // Already past it: nothing changes.
        states.follow(&events[3], 40);
        assert_eq!(seq(), Some(4));

        let other = history("app-other");
        states.follow(&other[0], 1);
        assert!(states.latest("app-other").is_none());
        assert_eq!(states.len(), 1);
    }

    #[test]
    fn the_latest_state_is_remembered_per_application() {
        let states = States::default();
        states.put("a", remembered("a", 3, "h3"));
        let latest = states.latest("a").expect("remembered");
        assert_eq!(
            (
                latest.seq,
                latest.hash.as_str(),
                latest.position,
                latest.state.seq
            ),
            (3, "h3", 30, 3)
        );
        assert!(states.latest("b").is_none());
        // Moving on replaces it.
        states.put("a", remembered("a", 4, "h4"));
        assert_eq!(states.latest("a").map(|r| r.seq), Some(4));
        assert_eq!(states.len(), 1);
    }
}
