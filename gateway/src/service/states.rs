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
//! Bounded: two generations of at most [`GENERATION`] entries each. Entries are added to the
//! young one; when it is full the old one is dropped and the young one becomes old, and an old
//! entry used again moves back to the young one. So what was acted on lately stays, memory
//! does not grow with the number of applications (a few hundred bytes per entry, at most
//! 2 × [`GENERATION`] entries), and no clock or list is kept per entry.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::domain::Application;

/// Entries per generation.
pub const GENERATION: usize = 2048;

/// A state and the last event it was folded up to.
#[derive(Clone)]
struct Entry {
    seq: u64,
    hash: String,
    state: Application,
}

#[derive(Default)]
struct Generations {
    young: HashMap<String, Entry>,
    old: HashMap<String, Entry>,
}

#[derive(Default)]
pub struct States {
    generations: Mutex<Generations>,
}

impl States {
    /// The state of `app` folded up to its event `seq` whose hash is `hash`, if remembered.
    pub fn get(&self, app: &str, seq: u64, hash: &str) -> Option<Application> {
        let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        let fits = |e: &Entry| e.seq == seq && e.hash == hash;
        if let Some(e) = g.young.get(app) {
            return fits(e).then(|| e.state.clone());
        }
        let e = g.old.remove(app)?;
        let state = fits(&e).then(|| e.state.clone());
        if state.is_some() {
            g.insert(app.to_string(), e);
        }
        state
    }

    /// Whether a state of `app` is remembered, at whatever event: only then is the log's last
    /// event worth reading to check it against.
    pub fn contains(&self, app: &str) -> bool {
        let g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        g.young.contains_key(app) || g.old.contains_key(app)
    }

    /// Remembers `state`, folded up to the event `seq` whose hash is `hash`.
    pub fn put(&self, app: &str, seq: u64, hash: &str, state: Application) {
        let mut g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        g.old.remove(app);
        g.insert(
            app.to_string(),
            Entry {
                seq,
                hash: hash.to_string(),
                state,
            },
        );
    }

    /// How many states are remembered (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.generations.lock().unwrap_or_else(|p| p.into_inner());
        g.young.len() + g.old.len()
    }
}

impl Generations {
    fn insert(&mut self, app: String, entry: Entry) {
        if self.young.len() >= GENERATION && !self.young.contains_key(&app) {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(app, entry);
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
        // Moving on replaces it.
        states.put("a", 4, "h4", state("a", 4));
        assert!(states.get("a", 3, "h3").is_none());
        assert_eq!(states.get("a", 4, "h4").map(|s| s.seq), Some(4));
        assert_eq!(states.len(), 1);
    }

    #[test]
    fn memory_is_bounded_and_what_is_used_again_stays() {
        let states = States::default();
        let app = |i: usize| format!("app-{i}");
        for i in 0..GENERATION {
            states.put(&app(i), 1, "h", state(&app(i), 1));
        }
        // The first one is used again while the next generation fills: it moves along.
        for i in GENERATION..3 * GENERATION {
            states.put(&app(i), 1, "h", state(&app(i), 1));
            if i % 100 == 0 {
                assert!(states.get(&app(0), 1, "h").is_some(), "lost at {i}");
            }
            assert!(states.len() <= 2 * GENERATION);
        }
        assert!(states.get(&app(0), 1, "h").is_some());
        // One not used since two generations ago is gone.
        assert!(states.get(&app(1), 1, "h").is_none());
        assert!(states.get(&app(3 * GENERATION - 1), 1, "h").is_some());
    }
}
