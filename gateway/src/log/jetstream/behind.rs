//! Where an application's last event is when its subject's last message is something else.
//!
//! Anything with publish rights on the stream can put a message last on an application's
//! subject ([`super::subject`]). The application's last event is then further back, and every
//! action on the application that asks for it (its last event; an append when this gateway
//! holds no tip the event chains onto) has to find it. Found by reading the whole history, every
//! such action cost a read of the whole history until the next genuine append: for a busy
//! application with a long history, a denial of service bought with one publish. It is found
//! from a point already known instead, and only what lies after that point is read:
//!
//! - this gateway's tip for the subject ([`super::Inner::tips`]), when it is at or before the
//!   subject's last message: where this gateway last saw the subject end (its own append, or
//!   the last answer of this search, which names the message found last). At the last message
//!   itself nothing is read but the event the tip names (one request). Tips are held only for
//!   subjects acted on lately, and not across a restart or by another gateway, hence:
//! - stepping back from the last message, one request per message (a direct get's `multi_last`
//!   with `up_to_seq`, [`batch::last_up_to`]), to the nearest gateway's append of the
//!   application's event: that was its last event as of its position
//!   ([`Message::appended_event_of`]). It needs no tip, so it serves a gateway just started;
//!   it needs the direct get right, as batches do, and it costs a request per message where the
//!   whole read costs one per batch, so it stops after [`STEPS_BACK`] messages.
//!
//! Either only says where to start. What lies after the point is read as every read of a subject
//! is ([`JetStreamLog::read_positioned_from`]: checked against the leader, which may be behind
//! for a moment, as may whoever answered a direct get), and the first event read there must be
//! the point's next, chained onto it. A tip is a hint that may be stale; one the read
//! contradicts is not used, nor one whose event is not where it says, and the whole history is
//! read as before. So it is when neither point is at hand. Named as the subject's last message,
//! the message the read reached last, never the one asked for first, so an append never names a
//! later message than the events read (a publish named short is refused, and asked again).
//!
//! An event of the application under a seq at or before the point's, met after it (a copy of an
//! earlier event, or another event under its seq), is passed over without being compared with
//! the event it repeats, which would take the history before the point (as
//! [`super::EventLog::read_after`] reads it then). What is asked for here is the application's
//! last event, which neither changes: the subject's order decides, and an action that finds the
//! subject's last message a gateway's append compares nothing before it either. The reads of
//! the whole history compare them and name what they find (the API's events, the evidence page,
//! `verify`).

use super::subject::{self, End, Message};
use super::{JetStreamLog, Last, SubjectTip, batch};
use crate::log::LogError;

/// Most messages stepped back over before the whole history is read instead: a run this long
/// was published on purpose, and each step is a request.
const STEPS_BACK: usize = 16;

/// A point on a subject as of which the application's last event is known.
struct Known {
    /// The subject's message as of which it is known: the event's own, or a later one.
    position: u64,
    /// The event's seq, hash and own position.
    seq: u64,
    hash: String,
    at: u64,
    /// The event itself, when at hand.
    event: Option<Last>,
}

impl Known {
    fn tip(tip: SubjectTip) -> Known {
        Known {
            position: tip.position,
            seq: tip.seq,
            hash: tip.hash,
            at: tip.at,
            event: None,
        }
    }

    fn event(last: Last) -> Known {
        Known {
            position: last.position,
            seq: last.seq,
            hash: last.event.hash.clone(),
            at: last.position,
            event: Some(last),
        }
    }
}

impl JetStreamLog {
    /// The end of `app`'s subject, whose last message, at `last`, is not a gateway's append of
    /// the application's event, found from a point already known; `None` when there is none at
    /// hand or the read after it contradicts it (the caller reads the whole history).
    pub(super) async fn end_behind(
        &self,
        app: &str,
        subject: &str,
        last: u64,
    ) -> Result<Option<End>, LogError> {
        // A tip past the last message is from a leader ahead of this one (elected a moment
        // ago), or from before the stream was put back: not a point on what this one holds.
        let tip = self
            .inner
            .tips
            .get(subject, |t| t.seq > 0 && t.at > 0 && t.position <= last);
        if let Some(tip) = tip
            && let Some(end) = self.end_after(app, subject, Known::tip(tip), last).await?
        {
            return Ok(Some(end));
        }
        match self.step_back(app, subject, last).await {
            Some(start) => {
                self.end_after(app, subject, Known::event(start), last)
                    .await
            }
            None => Ok(None),
        }
    }

    /// The end of `app`'s subject from `known` on: the events after it, read up to the last
    /// message (at `last` as the leader answered), the first chained onto the known one.
    async fn end_after(
        &self,
        app: &str,
        subject: &str,
        mut known: Known,
        last: u64,
    ) -> Result<Option<End>, LogError> {
        let mut events = Vec::new();
        let mut end = known.position;
        if known.position < last {
            let read = self
                .read_positioned_from(
                    app,
                    subject,
                    known.position + 1,
                    known.seq,
                    subject::Copies::Passed,
                )
                .await;
            match read {
                Ok(read) => {
                    events = read.events;
                    end = end.max(read.end);
                }
                // An event after the point that does not follow it (a seq past the next): a
                // stale point or a history with a hole, which the whole read tells apart.
                Err(LogError::Corrupt { .. }) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
        if events
            .first()
            .is_some_and(|first| first.event.prev_hash != known.hash)
        {
            return Ok(None);
        }
        let last_event = match (events.pop(), known.event.take()) {
            (Some(l), _) | (None, Some(l)) => l,
            (None, None) => match self.event_at(app, subject, &known).await? {
                Some(l) => l,
                None => return Ok(None),
            },
        };
        Ok(Some(End {
            message: end,
            last: Some(last_event),
        }))
    }

    /// The event `known` names, from the leader, if it is where `known` says.
    async fn event_at(
        &self,
        app: &str,
        subject: &str,
        known: &Known,
    ) -> Result<Option<Last>, LogError> {
        Ok(self
            .next_on(subject, known.at)
            .await?
            .filter(|m| m.position == known.at)
            .and_then(|m| m.event_of(app))
            .filter(|l| l.seq == known.seq && l.event.hash == known.hash))
    }

    /// The nearest gateway's append of `app`'s event before position `last` on `subject`, one
    /// request per message stepped back over; `None` past [`STEPS_BACK`] of them, at the
    /// subject's first message, or where direct gets are not answered.
    async fn step_back(&self, app: &str, subject: &str, last: u64) -> Option<Last> {
        let name = &self.inner.stream.cached_info().config.name;
        let mut before = last;
        for _ in 0..STEPS_BACK {
            if !self.batching() {
                return None;
            }
            let asked = batch::last_up_to(
                &self.inner.client,
                name,
                subject,
                before - 1,
                self.inner.op_timeout,
            )
            .await;
            let m = match asked {
                Ok(Some(m)) if m.position < before => Message::batched(m),
                Ok(_) => return None,
                Err(failed) => {
                    // Batches are turned off for a right refused, not for this request alone.
                    let failed = batch::Failed {
                        lasting: false,
                        ..failed
                    };
                    self.batch_failed(&failed, "a step back along an application's subject");
                    return None;
                }
            };
            if let Some(start) = m.appended_event_of(app) {
                return Some(start);
            }
            before = m.position;
        }
        None
    }
}
