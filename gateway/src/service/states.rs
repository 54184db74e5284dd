//! The aggregate states of the applications this gateway acted on lately, so that the next
//! action on one of them folds nothing.
//!
//! An action needs the application's state to decide on (who the parties are, what status it
//! is in). Folding it from the whole history costs a read and a decode of every event the
//! application holds, once per action: on an application with many events (each suspension
//! and resumption of a long procedure is two) that grows with its length, and on JetStream each
//! event read is a request to the server. A state remembered here is used only while the log's
//! last event for the application is still the one it was folded up to (same seq, same hash:
//! the chain makes that the same history), which the log answers with one read
//! ([`crate::log::EventLog::last`]). Anything else, another gateway's append on a shared stream
//! included, misses and folds from the log as before: a wrong state cannot be served, only a
//! remembered one not used.
//!
//! An action may also decide on a remembered state without reading the log first
//! ([`States::latest`]): the append's own concurrency check then refuses it if another event
//! came in between, and the action decides again from the log. Only what can be appended is
//! answered that way; a refusal decided on a remembered state is checked against the log
//! before it is given ([`crate::service::act`]).
//!
//! Bounded ([`Generations`]): at most 2 × [`GENERATION`] entries of a few hundred bytes each,
//! kept for the applications acted on lately.

use crate::domain::Application;
use crate::generations::Generations;

/// Entries per generation.
pub const GENERATION: usize = 2048;

/// A state and the last event it was folded up to.
#[derive(Clone)]
pub struct Remembered {
    pub seq: u64,
    pub hash: String,
    pub state: Application,
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
    /// The state of `app` folded up to its event `seq` whose hash is `hash`, if remembered.
    pub fn get(&self, app: &str, seq: u64, hash: &str) -> Option<Application> {
        self.entries
            .get(app, |e| e.seq == seq && e.hash == hash)
            .map(|e| e.state)
    }

    /// The latest state remembered of `app`, whatever the log holds now: what an action may
    /// decide on before reading the log, as long as the append checks it.
    pub fn latest(&self, app: &str) -> Option<Remembered> {
        self.entries.get(app, |_| true)
    }

    /// Whether a state of `app` is remembered, at whatever event: only then is the log's last
    /// event worth reading to check it against.
    pub fn contains(&self, app: &str) -> bool {
        self.entries.contains(app)
    }

    /// Remembers `state`, folded up to the event `seq` whose hash is `hash`.
    pub fn put(&self, app: &str, seq: u64, hash: &str, state: Application) {
        let hash = hash.to_string();
        self.entries.put(app, Remembered { seq, hash, state });
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
            parts_completed: Vec::new(),
        }
    }

    #[test]
    fn a_state_serves_only_the_event_it_was_folded_up_to() {
        let states = States::default();
        states.put("a", 3, "h3", state("a", 3));
        assert_eq!(states.get("a", 3, "h3").map(|s| s.seq), Some(3));
        assert!(states.contains("a") && !states.contains("b"));
        // Another writer's event 4, or another event 3 (a log that is not the one folded).
        assert!(states.get("a", 4, "h4").is_none());
        assert!(states.get("a", 3, "other").is_none());
        assert!(states.get("b", 3, "h3").is_none());
        // The latest one, whatever the log holds: for an action the append will check.
        let latest = states.latest("a").expect("remembered");
        assert_eq!(
            (latest.seq, latest.hash.as_str(), latest.state.seq),
            (3, "h3", 3)
        );
        assert!(states.latest("b").is_none());
        // Moving on replaces it.
        states.put("a", 4, "h4", state("a", 4));
        assert!(states.get("a", 3, "h3").is_none());
        assert_eq!(states.get("a", 4, "h4").map(|s| s.seq), Some(4));
        assert_eq!(states.len(), 1);
    }
}
