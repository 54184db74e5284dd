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
//!
//! An operator watching the log lines was the only one told, while the regions it concerns
//! learned nothing and the application's history read answered 500 for good (the copy can
//! never be removed: the stream denies deletes). So each one is also recorded, from the log
//! (a restart keeps it, `tongban rebuild` finds it again): where it is, whose, under which seq,
//! and the application's parties as of the view that passed over it. Each party finds a
//! `repeated` marker at its position in its feed (never the message's content: it may be another
//! event than the one the application holds there; docs/adapters.md, "Markers"), operators find
//! it under `repeated` in `GET /v1/projections/held`, and the application's history read serves
//! the history the projections folded with the copy named beside it
//! ([`crate::service::Gateway::events`] says why it is served, not refused).
//!
//! The embedded log holds one event per seq (its index refuses another append), so none arises
//! there but from bytes changed on its disk, which a rebuild then meets and records alike.

use serde::{Deserialize, Serialize};

/// A message holding an event under a seq its application's projection had folded already.
/// Ids, codes and positions only: no personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Repeated {
    /// The application whose subject holds it.
    pub app: String,
    /// Its log position.
    pub position: u64,
    /// The seq it holds an event under, which the application's history holds at an earlier
    /// position.
    pub seq: u64,
    /// The regions party to the application as of its view then: whose feeds are marked at
    /// `position`.
    pub parties: Vec<String>,
}

/// What a copy is, in the words its feed marker and the operators' list say (no personal data:
/// the application's id, the seq and the position).
pub fn what(app: &str, seq: u64, position: u64) -> String {
    format!(
        "log position {position} holds an event of application {app} under its seq {seq}, which \
         its history holds at an earlier position: a copy of that event, or another event under \
         that seq, published onto the stream by something other than a gateway. It is not the \
         application's history and was not folded: its history (GET /v1/applications/{app}/events) \
         holds the event the gateways appended under seq {seq} and names this position under \
         `not_history`. Acknowledge past it; the gateway's operators find who published it \
         (docs/operations.md, \"A copy on the stream\")"
    )
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
             (tongban_log_repeated_events counts them, GET /v1/projections/held lists each under \
             `repeated`, the parties' feeds mark each); `tongban verify` names each. Find who \
             holds publish rights on the stream's subjects (docs/operations.md, \"A copy on \
             the stream\")"
        );
    }
}
