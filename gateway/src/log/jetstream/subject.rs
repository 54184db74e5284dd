//! One application's subject as its reads take it: the application's own events in seq order,
//! and whatever else is there passed over.
//!
//! Only the gateways should publish on `<prefix>.<app id>`, but anything with publish rights can
//! (a misconfigured client): another application's event, a copy of one of the application's
//! own earlier events, bytes that are not an event. None of them is the application's history,
//! and none may stop it being read or appended to: a read passes over them, saying so once in
//! the log, and an append names the subject's last message, whatever it is, to the server while
//! it chains the event onto the application's own last one ([`End`]), found behind what else is
//! there from a point already known ([`super::behind`]). (The reads of the whole stream record
//! each as unreadable at its position: [`super::Inner::entry`].)
//!
//! A copy is the same event stored again: the same seal over content that canonicalizes the
//! same ([`Envelope::is_copy_of`]), however its JSON is written (`2.0` for `2`), not the same
//! parsed envelope: a copy written otherwise is not another sealed event under its seq.
//!
//! What still stops a read is what would serve a history with a hole: an event of the
//! application whose seq jumps past the next one. The read of the whole history
//! ([`super::EventLog::read`]: the API's events, the evidence page, disputes, `verify --app`)
//! refuses a copy of one of the application's events, and another event under a seq already
//! read (rewritten or forged after it was stored), at its position ([`Copies::Refused`]): it is
//! the evidence of a stream written to from outside, which those show as found (the whole log
//! read, each one named).
//!
//! The reads an action makes (the last event, the events after a remembered one, the subject's
//! end for an append) pass over both ([`Copies::Passed`]), so that one message published by
//! anything with publish rights does not stop the application for good (the stream denies
//! deletes): each is stored after the event the application holds under its seq, which the
//! application's next events link to and its projection folded, so the subject's order says
//! which is its history. Two are still refused by those reads:
//!
//! - another event under the application's *last* seq (no event of the application after it)
//!   that the seals do not settle: nothing after it says which of the two the history goes on
//!   from, and an action decides on the last event and chains the next onto it, so the seals
//!   say ([`Reading::finish`], [`foreign::settle_beside_last`]). When the one stored first
//!   verifies under the gateway's key and the later one does not (a rewritten event: its hash
//!   no longer its content's, or no gateway's signature), the later one is passed over and the
//!   next event links to the first; when the first does not verify, or both do (truly
//!   ambiguous), the read is refused, and so it is by a log opened without the gateway's key
//!   (the read-only tools). The gateway never links a new event to a forged one, nor decides
//!   while it cannot tell. A read starting after a known event (a tip, [`super::behind`])
//!   compares a message under that event's seq with it by content, and is refused there
//!   (its caller reads the subject from its start, which holds the first event to verify).
//! - an event under a seq the application does not hold yet that jumps past its next (a hole
//!   at the head), as above. One under exactly its next seq is read as its next event: whether
//!   its seal holds and it links to the one before is the service's check before it decides
//!   (`service::act`), as for every event read.
//!
//! Where the subject's last message is read alone (one request, [`Message::appended_event_of`]),
//! a message is taken as the application's last event only with a gateway's headers; a forged
//! one with them is then not the event the action remembered or the projections folded there
//! (another seq or hash), and the action reads the whole history, which refuses it.

use axum::body::Bytes;

use super::{Last, SubjectTip};
use crate::envelope::{Envelope, PublicKey};
use crate::log::LogError;
use crate::log::foreign::{self, Foreign, What};

/// A message of the stream as one request answered it.
pub(super) struct Message {
    /// Its stream sequence.
    pub position: u64,
    pub payload: Bytes,
    /// The event id its publisher gave it (`Nats-Msg-Id`): every gateway's append gives its
    /// event's; a client that published a copy of the bytes mostly gives none.
    pub id: Option<String>,
    /// Whether its publisher named the subject's last message (`Nats-Expected-Last-Subject-
    /// Sequence`, which the server keeps with the message): every gateway's append does, and the
    /// server stored it only if that was the subject's last message then.
    pub checked: bool,
}

impl Message {
    pub fn of(m: async_nats::jetstream::message::StreamMessage) -> Message {
        let id = m
            .headers
            .get(async_nats::header::NATS_MESSAGE_ID)
            .map(|v| v.as_str().to_string());
        let checked = m
            .headers
            .get(async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE)
            .is_some();
        Message {
            position: m.sequence,
            payload: m.payload,
            id,
            checked,
        }
    }

    /// The event of `app` this message holds, if it decodes as one.
    pub fn event_of(&self, app: &str) -> Option<Last> {
        let event = Envelope::from_stored(&self.payload).ok()?;
        (event.app == app).then_some(Last {
            seq: event.seq,
            position: self.position,
            event,
        })
    }

    /// The event of `app` this message holds when a gateway appended it: the message carries
    /// the event's id, and the subject's last message its publisher named, as every gateway's
    /// publish does. Being the subject's last message, it is then the application's last event:
    /// the server stored it only after the message that publish named, which held the event
    /// before it or something passed over. A copy published by another client may be of an
    /// earlier event, and is not trusted: without the id, or without the named last message (a
    /// copy replayed with both headers unchanged is refused by the server, since the message it
    /// names is no longer the subject's last). The headers are the publisher's to set: a copy
    /// whose publisher named the subject's last message afresh passes as a gateway's append
    /// while it is the last message (a deliberate forgery with publish rights; SECURITY.md).
    pub fn appended_event_of(&self, app: &str) -> Option<Last> {
        if !self.checked {
            return None;
        }
        self.event_of(app)
            .filter(|l| self.id.as_deref() == Some(l.event.id.as_str()))
    }
}

/// The end of an application's subject: where its last message is, and the application's last
/// event, which is that message unless something other than a gateway published after it.
pub(super) struct End {
    /// The stream sequence of the subject's last message: what an append names to the server
    /// (`Nats-Expected-Last-Subject-Sequence`), which checks it against exactly that.
    pub message: u64,
    /// The application's last event (`None`: it has none), which an append chains onto.
    pub last: Option<Last>,
}

impl End {
    /// How many events the application has.
    pub fn seq(&self) -> u64 {
        self.last.as_ref().map_or(0, |l| l.seq)
    }

    /// Whether an event appended after `expected_seq`, chained onto `prev_hash`, follows the
    /// application's last event.
    pub fn chains(&self, expected_seq: u64, prev_hash: &str) -> bool {
        match &self.last {
            None => expected_seq == 0,
            Some(l) => l.seq == expected_seq && l.event.hash == prev_hash,
        }
    }

    pub fn tip(&self) -> SubjectTip {
        SubjectTip {
            seq: self.seq(),
            position: self.message,
            hash: self
                .last
                .as_ref()
                .map(|l| l.event.hash.clone())
                .unwrap_or_default(),
            at: self.last.as_ref().map_or(0, |l| l.position),
        }
    }
}

/// What a read of an application's subject found.
pub(super) struct Read {
    /// The application's events, in seq order.
    pub events: Vec<Last>,
    /// The last position read on the subject (0: none), whatever it held.
    pub end: u64,
    /// It passed over an event of the application under a seq before the one the read started
    /// after, which it could not compare with the event read there: a whole read can.
    pub unchecked: bool,
    /// What it passed over ([`foreign`]).
    pub passed: foreign::Passed,
}

/// What a message on an application's subject is to its history.
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every message judged is the next event, taken at once: boxing it would cost \
              an allocation per event to save space on the rare one passed over"
)]
pub(super) enum Judged {
    /// Its next event.
    Next(Last),
    /// Not one of its events (bytes that are not an event, another application's event), a
    /// copy of one read before it, or an event under a seq before the one the read started
    /// after, which the read could not compare ([`What::Earlier`]).
    Passed(What),
}

/// What a read makes of an event of the application later on its subject under a seq it has
/// read already: a copy of one of its events, or another event under that seq.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Copies {
    /// Passed over, as anything else on the subject that is not the next event, but for
    /// another event under the last seq read that the seals do not settle
    /// ([`Reading::finish`]): the reads an action makes.
    Passed,
    /// Refused as corruption at its position, for a caller that finds and shows each.
    Refused,
}

/// Another event than the application's under the seq of the last event read when it was met
/// ([`What::Another`]), kept for its seal to be checked when the read ends with no event after
/// it ([`Reading::finish`]).
struct BesideLast {
    position: u64,
    seq: u64,
    of: u64,
    event: Envelope,
}

/// The application's event the read starts after, when known: a message under its seq met
/// before any event is compared with it.
#[derive(Clone, Copy)]
pub(super) struct After<'a> {
    /// Its position.
    pub at: u64,
    /// Its hash, as its seal says.
    pub hash: &'a str,
}

/// An application's subject read message by message, in stream order: its events, the first
/// at seq `after + 1`.
pub(super) struct Reading<'a> {
    app: &'a str,
    after: u64,
    copies: Copies,
    known: Option<After<'a>>,
    /// The gateway's key, which settles another event under the last seq by the seals; `None`
    /// (a log opened without it) refuses every such read.
    key: Option<&'a PublicKey>,
    events: Vec<Last>,
    end: u64,
    unchecked: bool,
    passed: foreign::Passed,
    beside_last: Vec<BesideLast>,
}

impl<'a> Reading<'a> {
    pub fn new(app: &'a str, after: u64, copies: Copies) -> Reading<'a> {
        Reading {
            app,
            after,
            copies,
            known: None,
            key: None,
            events: Vec::new(),
            end: 0,
            unchecked: false,
            passed: foreign::Passed::default(),
            beside_last: Vec::new(),
        }
    }

    /// The read, settling another event under the application's last seq by the seals under
    /// `key` (the gateway's) rather than refusing it ([`Reading::finish`]).
    pub fn verifying(mut self, key: Option<&'a PublicKey>) -> Reading<'a> {
        self.key = key;
        self
    }

    /// The read, knowing the event at seq `after` (`known`): a message under that seq met
    /// before any event is compared with it by content, so that another event under the
    /// application's last seq is refused there too, not passed over uncompared.
    pub fn knowing(mut self, known: After<'a>) -> Reading<'a> {
        self.known = Some(known);
        self
    }

    /// The seq of the last event read, or the one the read starts after.
    fn last_seq(&self) -> u64 {
        self.events.last().map_or(self.after, |l| l.seq)
    }

    /// What the message at `position` is to the application's history, without taking it; an
    /// error where the history would have a hole or a second version there.
    pub fn judge(&self, position: u64, payload: &[u8]) -> Result<Judged, LogError> {
        let event = match Envelope::from_stored(payload) {
            Ok(event) => event,
            // An event of this application that this build cannot read (written by a newer
            // build with a member this one does not know, or damaged) may be its next one:
            // passed over, the next append would chain past it and the server would take a
            // second event under its seq. Only what is plainly no event of it is passed over.
            Err(reason) if names_app(payload, self.app) => {
                return Err(LogError::Corrupt {
                    position,
                    reason: format!(
                        "a message on the application's subject names it but does not read as \
                         its event ({reason})"
                    ),
                });
            }
            Err(_) => return Ok(Judged::Passed(What::NotAnEvent)),
        };
        if event.app != self.app {
            let shown = crate::shown::said(&event.app, crate::ids::is_valid);
            return Ok(Judged::Passed(What::OtherApplication(shown)));
        }
        let expected = self.last_seq().saturating_add(1);
        if event.seq > expected {
            return Err(LogError::Corrupt {
                position,
                reason: format!(
                    "the application's event on its subject has seq {} where seq {expected} \
                     comes next: its history has a hole",
                    event.seq
                ),
            });
        }
        if event.seq == expected {
            return Ok(Judged::Next(Last {
                seq: event.seq,
                position,
                event,
            }));
        }
        let earlier = event
            .seq
            .checked_sub(self.after.saturating_add(1))
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.events.get(i));
        let Some(e) = earlier else {
            return Ok(Judged::Passed(self.against_known(&event)));
        };
        // Judged once: a copy's hashes are recomputed to tell it (two canonical forms hashed).
        match (event.is_copy_of(&e.event), self.copies) {
            (false, Copies::Refused) => Err(LogError::Corrupt {
                position,
                reason: format!(
                    "another event under the application's seq {}, which the event at \
                     position {} holds: rewritten or forged after it was stored",
                    event.seq, e.position
                ),
            }),
            (false, Copies::Passed) => Ok(Judged::Passed(What::Another {
                seq: event.seq,
                of: e.position,
            })),
            (true, Copies::Refused) => Err(LogError::Corrupt {
                position,
                reason: format!(
                    "a second copy of the application's event seq {}, which the event at \
                     position {} is: published again on its subject by something other than a \
                     gateway",
                    event.seq, e.position
                ),
            }),
            (true, Copies::Passed) => Ok(Judged::Passed(What::Copy {
                seq: event.seq,
                of: e.position,
            })),
        }
    }

    /// What an event under a seq at or before the one the read starts after is: compared with
    /// the known event there by content (its hash recomputed: a rewritten one may claim the
    /// genuine hash), else not compared.
    fn against_known(&self, event: &Envelope) -> What {
        match self.known {
            Some(known) if event.seq == self.after && self.events.is_empty() => {
                let (seq, of) = (event.seq, known.at);
                if event.compute_hash() == known.hash {
                    What::Copy { seq, of }
                } else {
                    What::Another { seq, of }
                }
            }
            _ => What::Earlier { seq: event.seq },
        }
    }

    /// Whether the events read reach the application's seq `seq`.
    pub fn holds(&self, seq: u64) -> bool {
        self.events.last().is_some_and(|l| l.seq >= seq)
    }

    /// Takes the message at `position`: the application's next event, or passed over.
    pub fn take(&mut self, position: u64, payload: &[u8]) -> Result<(), LogError> {
        let judged = self.judge(position, payload)?;
        // Another event under the last seq read is kept whole, decoded a second time (the rare
        // path), for its seal to be checked if no event follows it.
        if let Judged::Passed(What::Another { seq, of }) = judged
            && seq == self.last_seq()
            && let Ok(event) = Envelope::from_stored(payload)
        {
            self.beside_last.push(BesideLast {
                position,
                seq,
                of,
                event,
            });
        }
        self.accept(position, judged);
        Ok(())
    }

    /// Takes the message at `position` as [`Reading::judge`] judged it (decoded once).
    pub fn accept(&mut self, position: u64, judged: Judged) {
        self.end = position;
        match judged {
            Judged::Next(last) => {
                // An event follows: one passed over under the seq before it is not beside
                // the last event any more, and the chain goes on from the one read there.
                self.beside_last.clear();
                self.events.push(last);
            }
            Judged::Passed(what) => {
                self.unchecked |= matches!(what, What::Earlier { .. });
                self.passed.take(Foreign { position, what });
            }
        }
    }

    /// The events read, saying once in the log what was passed over on `subject` (its
    /// positions, never its content). Another event than the application's stored under its
    /// last seq read, with no event of it after, is settled by the seals
    /// ([`foreign::settle_beside_last`]): an action decides on that last event and chains the
    /// next onto it, and with two versions of it and nothing after them to say which the
    /// history goes on from, only the gateway's seal on the first, and none on the other, says
    /// it. Otherwise (both sealed, the first not, no key to check them with, or the first not
    /// among the events read) the read is refused as corrupt, for good since the stream denies
    /// deletes, until an operator settles it; the history's read names it under `not_history`
    /// meanwhile. (Under an earlier seq the events after it link to the one stored first, which
    /// the projections folded: it is passed over.)
    pub fn finish(self, subject: &str) -> Result<Read, LogError> {
        if let Some(b) = self.beside_last.first() {
            let first = self.events.last().filter(|l| l.seq == b.seq);
            if let (Some(first), Some(key)) = (first, self.key) {
                let others: Vec<(u64, &Envelope)> = self
                    .beside_last
                    .iter()
                    .map(|b| (b.position, &b.event))
                    .collect();
                foreign::settle_beside_last((first.position, &first.event), &others, key)?;
            } else {
                return Err(LogError::Corrupt {
                    position: b.position,
                    reason: format!(
                        "another event under the application's last seq {}, which the event at \
                     position {} holds, published onto its subject by something other than a \
                     gateway: no action is decided on the application, nor an event chained \
                     after either, while its last event has two versions (docs/operations.md, \
                     \"A copy on the stream\")",
                        b.seq, b.of
                    ),
                });
            }
        }
        if let Some(first) = self.passed.first() {
            tracing::warn!(
                subject,
                first,
                passed = self.passed.count,
                "passed over messages on an application's subject that are not its next event \
                 (another application's event, a copy of one of its own, or bytes that are not \
                 an event): only the gateways should publish there (docs/operations.md, \"NATS \
                 permissions\")"
            );
        }
        Ok(Read {
            events: self.events,
            end: self.end,
            unchecked: self.unchecked,
            passed: self.passed,
        })
    }
}

/// Whether `payload`, which does not read as an event, is a JSON object naming `app` as its
/// application: what an event of it that this build cannot read would be.
fn names_app(payload: &[u8], app: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Names<'a> {
        #[serde(borrow)]
        app: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_slice::<Names<'_>>(payload).is_ok_and(|n| n.app.as_deref() == Some(app))
}
