//! A message of the log holding an event under a seq its application's projection has folded
//! already, at a later position. The projections are handed each position once (the checkpoint
//! covers what was applied) and the gateways append each event once, so it is never the
//! application's next event: on JetStream, something other than a gateway published it onto the
//! application's subject, a copy of one of its events or another event under that seq. It is
//! not folded.
//!
//! It was passed over in silence, and an operator had no sign that someone publishes onto the
//! stream from outside. Now the projections count it (the store's `repeated`, `/metrics`
//! `tongban_log_repeated_events`), and the gateway logs a WARN with the first position and how
//! many, once per run that holds any, when it is committed (a rebuild counts and says the same). Its position finds it:
//! `tongban verify` names it a second copy of its event, or another event under its seq, and
//! `tongban verify --app` names it among the messages on the application's subject that are not
//! its history.
//!
//! It is not recorded among the records that are not events ([`crate::log::unreadable`]),
//! though that list is where another application's event on the subject goes: every reader of
//! the log takes this one as the event it is, which that list's promises would contradict (the
//! log head takes in the event's hash there, not its bytes' digest; `tongban verify` names it
//! as a repeated event, not as bytes that are not an event; a verified head may vouch for its
//! seal). Nor can the projections say which of the two it is without the history before it.
//!
//! The log line names no application, only the position and the seq.

/// A message holding an event under a seq its application's projection had folded already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeated {
    /// Its log position.
    pub position: u64,
    /// The seq it holds an event under.
    pub seq: u64,
}

impl Repeated {
    /// Says those of one committed run in the gateway's log, once they are counted: one line
    /// for the run, with the first position and how many (a flood of copies is one line per
    /// run, not one per copy).
    pub fn warn(run: &[Repeated]) {
        let Some(first) = run.first() else {
            return;
        };
        tracing::warn!(
            position = first.position,
            seq = first.seq,
            in_this_run = run.len(),
            "the event log holds, at this position, an event under a seq its application's \
             projection folded already (a copy of one of its events, or another event under that \
             seq, published onto the stream by something other than a gateway), and in_this_run \
             such events in all among what the projections just applied: they pass over them \
             (tongban_log_repeated_events counts them); `tongban verify` names each. Find who \
             holds publish rights on the stream's subjects (docs/operations.md, \"NATS \
             permissions\")"
        );
    }
}
