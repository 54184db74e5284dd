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
//!   subject's last message: where this gateway last saw the subject end (its own append, the
//!   leader's answer that a gateway's append was last, or the last answer of this search). At
//!   the last message itself nothing is read but the event the tip names (one request).
//!
//! Without a tip (a gateway just started, a subject not acted on lately, another gateway) the
//! whole history is read once, as before, and the tip it leaves serves the actions after it.
//! Stepping back from the last message instead (a direct get's `multi_last` with `up_to_seq`,
//! one request per message, to the nearest message that looks like a gateway's append) was
//! tried and withdrawn: what looks like a gateway's append is its two headers, which any
//! publisher can set, and a copy of an earlier event with both set, followed by anything, would
//! have been taken for the application's last event. A tip is this gateway's own knowledge.
//!
//! The tip only says where to start. What lies after the point is read as every read of a subject
//! is ([`JetStreamLog::read_positioned_from`]: checked against the leader, which may be behind
//! for a moment, as may whoever answered a direct get), and the first event read there must be
//! the point's next, chained onto it. A tip is a hint that may be stale; one the read
//! contradicts is not used, nor one whose event is not where it says, and the whole history is
//! read as before. So it is when neither point is at hand. Named as the subject's last message,
//! the message the read reached last, never the one asked for first, so an append never names a
//! later message than the events read (a publish named short is refused, and asked again).
//!
//! An event of the application under a seq before the point's, met after it (a copy of an
//! earlier event, or another event under its seq), is passed over without being compared with
//! the event it repeats, which would take the history before the point (as
//! [`super::EventLog::read_after`] reads it then). What is asked for here is the application's
//! last event, which neither changes: the subject's order decides, and an action that finds the
//! subject's last message a gateway's append compares nothing before it either. One under the
//! point's own seq is compared with the point's event by content: another event there with no
//! event after it is another version of the application's last event, which this read does not
//! settle (it holds the point's hash, not its sealed event): the subject is read from its start
//! then, where the seals settle it or refuse it ([`super::subject`]). The reads of the whole
//! history compare them all
//! and name what they find (the API's events, the evidence page, `verify`).

use super::subject::{self, End};
use super::{JetStreamLog, Last, SubjectTip};
use crate::log::LogError;

/// A point on a subject as of which the application's last event is known.
struct Known {
    /// The subject's message as of which it is known: the event's own, or a later one.
    position: u64,
    /// The event's seq, hash and own position.
    seq: u64,
    hash: String,
    at: u64,
}

impl Known {
    fn tip(tip: SubjectTip) -> Known {
        Known {
            position: tip.position,
            seq: tip.seq,
            hash: tip.hash,
            at: tip.at,
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
        match tip {
            Some(tip) => self.end_after(app, subject, Known::tip(tip), last).await,
            None => Ok(None),
        }
    }

    /// The end of `app`'s subject from `known` on: the events after it, read up to the last
    /// message (at `last` as the leader answered), the first chained onto the known one.
    async fn end_after(
        &self,
        app: &str,
        subject: &str,
        known: Known,
        last: u64,
    ) -> Result<Option<End>, LogError> {
        let mut events = Vec::new();
        let mut end = known.position;
        if known.position < last {
            let reading = subject::Reading::new(app, known.seq, subject::Copies::Passed)
                .knowing(subject::After {
                    at: known.at,
                    hash: &known.hash,
                })
                .verifying(self.inner.seal_key.as_ref());
            let read = self
                .read_on(subject, known.position + 1, reading, u64::MAX)
                .await;
            match read {
                Ok(read) => {
                    events = read.events;
                    end = end.max(read.end);
                }
                // An event after the point that does not follow it (a seq past the next): a
                // stale point or a history with a hole, which the whole read tells apart; or
                // another event under the point's seq with none after it, which the whole
                // read settles by the seals or refuses, naming it.
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
        let last_event = match events.pop() {
            Some(l) => l,
            None => match self.event_at(app, subject, &known).await? {
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
}
