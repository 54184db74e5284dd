//! Messages stored among one application's events that are not its history: on JetStream,
//! whatever something other than a gateway published on the application's subject (another
//! application's event, a copy of one of its own, bytes that are not an event). Its reads pass
//! over them ([`super::jetstream`], the subject's reading); `tongban verify --app` names each,
//! so that an auditor of one application learns that its subject was written to from outside.
//! The embedded log stores nothing among an application's events (its index names them), so it
//! has none to name.

use crate::envelope::{Envelope, PublicKey};
use crate::log::LogError;

/// A message among an application's events that is not one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// Its log position.
    pub position: u64,
    pub what: What,
}

/// What a message among an application's events is, since it is not its next event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// Bytes that do not read as an event.
    NotAnEvent,
    /// An event of another application, named as [`crate::shown`] names an id (one that is not
    /// an application id's form is not quoted).
    OtherApplication(String),
    /// A copy of the application's event `seq`, which the event at position `of` is.
    Copy { seq: u64, of: u64 },
    /// Another event than the application's under its seq `seq`, which the event at position
    /// `of` holds (rewritten or forged: a renumbered event, another `data` under its seal).
    /// Passed over only by the reads an action makes: under a seq before its last, and under
    /// its last when [`settle_beside_last`] settles it ([`super::jetstream`], the subject's
    /// reading, says why); the reads of the whole history refuse it.
    Another { seq: u64, of: u64 },
    /// An event of the application under `seq`, at or before the seq the read started after:
    /// not compared with the event the application has there (a copy, or another event under
    /// that seq), which the reads of the whole history do.
    Earlier { seq: u64 },
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "log position {} holds ", self.position)?;
        match &self.what {
            What::NotAnEvent => write!(f, "bytes that are not an event")?,
            What::OtherApplication(app) => write!(f, "an event of application {app}")?,
            What::Copy { seq, of } => write!(
                f,
                "a copy of its event seq {seq}, which log position {of} holds"
            )?,
            What::Another { seq, of } => write!(
                f,
                "another event under its seq {seq} than the one log position {of} holds"
            )?,
            What::Earlier { seq } => write!(f, "an event of it under seq {seq}, not compared")?,
        }
        write!(
            f,
            " on the application's subject: not its history (published there by something other \
             than a gateway)"
        )
    }
}

/// The messages a read of one application passed over: the first [`super::unreadable::SHOWN`]
/// by position, as many as the reads of the whole log name of the records that are not events,
/// and how many in all, so that a subject flooded with them costs no more memory than a few.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passed {
    pub shown: Vec<Foreign>,
    pub count: u64,
}

impl Passed {
    /// Counts `f`, after every one taken so far; kept while fewer than `SHOWN` are.
    pub fn take(&mut self, f: Foreign) {
        self.count += 1;
        if self.shown.len() < super::unreadable::SHOWN {
            self.shown.push(f);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The first one's position.
    pub fn first(&self) -> Option<u64> {
        self.shown.first().map(|f| f.position)
    }
}

/// Settles another event of an application stored under its last seq after the one there
/// (`first`, at its log position, the one its history holds), for the reads an action makes,
/// which decide on the last event and chain the next onto it. `others`: each later event under
/// that seq that is not a copy of `first`, at its position. `Ok` when `first`'s seal verifies
/// under the gateway's `key` and none of the others' does: a gateway sealed `first` (the one the
/// projections folded), and each other one was rewritten or forged by something without the
/// gateway's key, so the history goes on from `first` and they are passed over as a copy is
/// (one planted message would otherwise stop every action on the application for good, since
/// the stream denies deletes). Refused as corrupt at the first later one's position when
/// `first` does not verify (nothing sealed says which the history holds), or when another one
/// verifies too: two events under one seq both sealed with the gateway's key are truly
/// ambiguous, and no action decides on, or links to, either. Only met on the rare read that
/// found two events under one seq, so the signature checks cost the other reads nothing.
pub fn settle_beside_last(
    first: (u64, &Envelope),
    others: &[(u64, &Envelope)],
    key: &PublicKey,
) -> Result<(), LogError> {
    let Some(&(position, _)) = others.first() else {
        return Ok(());
    };
    let (at, first) = first;
    let seq = first.seq;
    let later: Vec<String> = others.iter().map(|(p, _)| p.to_string()).collect();
    let later = later.join(", ");
    if let Some(found) = first.seal_error(key) {
        return Err(LogError::Corrupt {
            position,
            reason: format!(
                "another event under the application's last seq {seq} (log position {later}) \
                 than the one log position {at} holds, published onto its subject by something \
                 other than a gateway, and the one at {at} does not verify under the gateway's \
                 key ({found}): nothing sealed says which the history goes on from, so no action \
                 is decided on the application, nor an event chained after either \
                 (docs/operations.md, \"A copy on the stream\")"
            ),
        });
    }
    if let Some((sealed, _)) = others.iter().find(|(_, e)| e.seal_error(key).is_none()) {
        return Err(LogError::Corrupt {
            position: *sealed,
            reason: format!(
                "two different events under the application's last seq {seq}, at log positions \
                 {at} and {sealed}, both sealed with the gateway's key: truly ambiguous, since \
                 nothing after them says which the history goes on from and either may be a \
                 gateway's; no action is decided on the application, nor an event chained after \
                 either, until its regions settle it (docs/operations.md, \"A copy on the \
                 stream\")"
            ),
        });
    }
    Ok(())
}
