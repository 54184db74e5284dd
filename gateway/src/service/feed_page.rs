//! A page of a region's feed: at each position the feed lists, the event the log holds there,
//! or a marker saying why there is none to give.
//!
//! The feed lists positions ([`crate::projections::store`]); the events are read from the log.
//! Two kinds of position have no event to give, and each is answered with a marker in its place,
//! so that a region's adapter is neither stuck at it nor blind to it:
//!
//! - **missing**: the log holds no event where the feed lists one (removed from the embedded
//!   log's disk, deleted from the stream). The whole page answered 500 for it, on every read, so
//!   no page past it could be read or acknowledged: the region's feed stopped there for good. The
//!   marker lets the adapter go on past it, and a warning tells the operator where. A log that
//!   cannot be read now (out of reach, a disk failing, a stream server catching up) is no
//!   marker: the read fails and is asked again ([`crate::log::At`]).
//! - **held**: the event there holds its application and is given to no feed
//!   ([`crate::projections::held`]): it does not verify, does not follow the application's view,
//!   or is a submission that does not fold. Its content is not given (it may have been planted);
//!   the marker names the application and why, so that the region's staff learn it stopped.
//! - **repeated**: the event there is under a seq its application's history holds at an earlier
//!   position ([`crate::projections::repeated`]): published onto the stream by something other
//!   than a gateway, a copy or another event under that seq. The projections pass over it, and
//!   it was in no feed, so the regions party to the application learned nothing of it. Its
//!   content is not given (it is not the application's history, and may differ from the event
//!   the application holds under that seq); the marker names the application, the seq and what
//!   it means.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use serde::Serialize;

use super::{Gateway, ServiceError};
use crate::envelope::Envelope;
use crate::log::{At, EventLog, Positioned};
use crate::projections::Held;

/// One item of a feed page, at a log position: the event, or a marker in its place.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every item is an event: boxing it would cost an allocation per event to \
              save space on the rare marker"
)]
pub enum FeedItem {
    /// The event stored at `position`, as the log holds it.
    Event { position: u64, event: Envelope },
    /// The log holds no event at `position`, though the region's feed lists one there: `missing`
    /// says so in English. The gateway's operators are told (a warning naming the position and
    /// the region) and find every such position with `tongban verify`. Acknowledge past it.
    Missing { position: u64, missing: String },
    /// The event at `position` holds its application and is not given: `held` names the
    /// application and why. Acknowledge past it; the application answers 503
    /// `application-held` until the operators resolve it.
    Held { position: u64, held: HeldMarker },
    /// The event at `position` is under a seq the application's history holds at an earlier
    /// position: published onto the stream by something other than a gateway, and not its
    /// history. `repeated` names the application and the seq, never the content. Acknowledge
    /// past it; the application reads on as before.
    Repeated {
        position: u64,
        repeated: RepeatedMarker,
    },
}

/// What a `repeated` marker says: whose seq the message at the position is under, and what
/// that means. Never the message's content.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct RepeatedMarker {
    /// The application on whose subject it was published.
    pub app: String,
    /// The seq it is under, which the application's history holds at an earlier position.
    pub seq: u64,
    /// What it is and what to do, in English.
    pub reason: String,
}

/// Which markers the log has ever needed, read once per page: what each event of the page is
/// looked up for.
#[derive(Debug, Clone, Copy)]
struct Marks {
    /// An application is held now.
    held: bool,
    /// A copy was ever passed over.
    repeated: bool,
}

/// What a `held` marker says: which application is held at the position, and why. Never the
/// event's content.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct HeldMarker {
    /// The application held.
    pub app: String,
    /// Why the event does not fold, as `GET /v1/projections/held` and the application's 503 say.
    pub reason: String,
}

impl FeedItem {
    /// The item's log position.
    pub fn position(&self) -> u64 {
        match self {
            FeedItem::Event { position, .. }
            | FeedItem::Missing { position, .. }
            | FeedItem::Held { position, .. }
            | FeedItem::Repeated { position, .. } => *position,
        }
    }

    /// `what`: what happened to the event (removed, or its bytes damaged).
    fn missing(position: u64, what: &str) -> FeedItem {
        FeedItem::Missing {
            position,
            missing: format!(
                "the event log holds no event at position {position}, though this region's feed \
                 lists one there: {what} after the gateway took it. The gateway's operators \
                 have been told (a warning in its log names this position) and find every such \
                 position with `tongban verify`; ask them what the event was. Acknowledge past \
                 it to read on"
            ),
        }
    }

    fn held(position: u64, held: &Held) -> FeedItem {
        FeedItem::Held {
            position,
            held: HeldMarker {
                app: held.app.clone(),
                reason: held.reason.clone(),
            },
        }
    }
}

/// About the bytes `event` takes in a feed page: its texts as JSON writes them (the payload's
/// strings and member names, which the caller chose) and a fixed allowance for the envelope's own fields (ids,
/// hashes, the signature, the JSON around them). An estimate, without writing it out.
fn about_bytes(event: &crate::envelope::Envelope) -> usize {
    fn texts(v: &serde_json::Value) -> usize {
        match v {
            // The quotes, and a second byte for each character JSON writes escaped (`\"`, `\n`;
            // another control as `\u00XX`).
            serde_json::Value::String(s) => {
                s.len()
                    + 2
                    + s.bytes()
                        .map(|b| match b {
                            b'"' | b'\\' | b'\n' | b'\r' | b'\t' => 1,
                            0..=0x1f => 5,
                            _ => 0,
                        })
                        .sum::<usize>()
            }
            serde_json::Value::Array(a) => a.iter().map(texts).sum::<usize>() + a.len(),
            serde_json::Value::Object(m) => m.iter().map(|(k, v)| k.len() + 4 + texts(v)).sum(),
            _ => 8,
        }
    }
    const ENVELOPE: usize = 600;
    ENVELOPE + texts(&event.data)
}

/// The feed positions a warning has named, each once: an adapter polls its page every few
/// seconds, and a missing position on it would otherwise repeat the same warning on every read
/// for as long as the page is not acknowledged past. Bounded: once it names [`TOLD_MAX`]
/// positions it starts over, so a position may be named again after thousands of others.
#[derive(Default)]
pub(super) struct Told(Mutex<HashSet<(String, u64)>>);

/// How many positions [`Told`] remembers before it starts over.
const TOLD_MAX: usize = 4096;

impl Told {
    /// Whether `position` of `region`'s feed is named for the first time (and remembers it).
    fn first(&self, region: &str, position: u64) -> bool {
        let Ok(mut told) = self.0.lock() else {
            return true;
        };
        if told.contains(&(region.to_string(), position)) {
            return false;
        }
        if told.len() >= TOLD_MAX {
            told.clear();
        }
        told.insert((region.to_string(), position))
    }
}

/// About how many bytes of events one feed page gives at most: a page ends early, after the event
/// that passes this, however many `limit` asked for (at least one item, whatever its size). A
/// thousand events whose notes and reasons are long (64 KiB each) would make a page of 40 MB and
/// more, read into memory and written out whole for each request, and a region reading many such
/// pages at once would take the gateway's memory from every other region. A follower reads on
/// from `next` as after every page.
pub const PAGE_BYTES: usize = 4 << 20;

/// How many positions a page reads from the log at a time, so that no more than about this many
/// events beyond [`PAGE_BYTES`] are in memory when a page ends early.
const READ_AT_ONCE: usize = 64;

impl<L: EventLog> Gateway<L> {
    /// Up to `limit` items of `region`'s feed after position `after`, in log order, ending early
    /// past [`PAGE_BYTES`].
    pub async fn feed_page(
        &self,
        region: &str,
        after: u64,
        limit: usize,
    ) -> Result<Vec<FeedItem>, ServiceError> {
        let positions = self.store.feed(region, after, limit)?;
        // Most logs hold no held application and no copy: then no event is looked up, and a
        // log that held a copy once (for good: a stream denies deletes) looks up copies only.
        let marks = Marks {
            held: self.store.held_count()? > 0,
            repeated: self.store.repeated_count()? > 0,
        };
        let mut held: HashMap<String, Option<Held>> = HashMap::new();
        let mut items = Vec::with_capacity(positions.len());
        let mut bytes = 0;
        for chunk in positions.chunks(READ_AT_ONCE) {
            if bytes > PAGE_BYTES {
                break;
            }
            for at in self.log.read_at(chunk).await? {
                if bytes > PAGE_BYTES {
                    break;
                }
                if let At::Event(p) = &at {
                    bytes += about_bytes(&p.event);
                }
                items.push(self.item(region, at, marks, &mut held)?);
            }
        }
        Ok(items)
    }

    /// The feed's item for what the log holds at a position of `region`'s feed.
    fn item(
        &self,
        region: &str,
        at: At,
        marks: Marks,
        held: &mut HashMap<String, Option<Held>>,
    ) -> Result<FeedItem, ServiceError> {
        Ok(match at {
            At::Nothing(position) => {
                // The position and the region only: nothing of any event.
                if self.missing_told.first(region, position) {
                    tracing::warn!(
                        region,
                        position,
                        "the event log holds no event at a position of the region's feed: the \
                         feed marks it missing and goes on; `tongban verify` names every such \
                         position"
                    );
                }
                FeedItem::missing(
                    position,
                    "it was removed from the log (from the embedded log's disk, or deleted \
                         from the stream)",
                )
            }
            At::Unreadable(u) => {
                if self.missing_told.first(region, u.position) {
                    tracing::warn!(
                        region,
                        position = u.position,
                        "the bytes the event log holds at a position of the region's feed \
                             are not an event: the feed marks it missing and goes on; `tongban \
                             verify` names every such position"
                    );
                }
                FeedItem::missing(
                    u.position,
                    "the bytes stored there are no longer an event (damaged on the embedded \
                         log's disk, or in a stream restored from a damaged copy)",
                )
            }
            At::Event(p) => {
                // Recorded at this very position for this application: a copy the projections
                // passed over, its parties' feeds marked there.
                let copy = match marks.repeated {
                    true => self.store.repeated_of(&p.event.app, p.position)?,
                    false => None,
                };
                let withheld = match (&copy, marks.held) {
                    (None, true) => self.withheld_at(&p, held)?,
                    _ => None,
                };
                match (copy, withheld) {
                    (Some(r), _) => FeedItem::Repeated {
                        position: p.position,
                        repeated: RepeatedMarker {
                            reason: crate::projections::repeated::what(&r.app, r.seq, r.position),
                            app: r.app,
                            seq: r.seq,
                        },
                    },
                    (None, Some(h)) => FeedItem::held(p.position, h),
                    (None, None) => FeedItem::Event {
                        position: p.position,
                        event: p.event,
                    },
                }
            }
        })
    }

    /// The record of the application `p` holds, when `p` is the event it is held at and is
    /// given to no feed. `known`: the records looked up for this page, by application.
    fn withheld_at<'k>(
        &self,
        p: &Positioned,
        known: &'k mut HashMap<String, Option<Held>>,
    ) -> Result<Option<&'k Held>, ServiceError> {
        let app = &p.event.app;
        if !known.contains_key(app) {
            known.insert(app.clone(), self.store.held(app)?);
        }
        Ok(known
            .get(app)
            .and_then(Option::as_ref)
            .filter(|h| h.withheld && h.position == p.position))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimate of an event's bytes in a page is at least what JSON writes, also for texts
    /// that JSON writes escaped: quotes, backslashes and line breaks take two bytes each. (Found
    /// by a review: notes of quotes made pages twice the budget.)
    #[test]
    fn the_estimate_counts_what_json_writes() {
        for text in ["理".repeat(1000), "\"".repeat(3000), "\\\n\t".repeat(1000)] {
            let event = crate::envelope::Envelope {
                id: "0190a0b0-0000-7000-8000-000000000001".into(),
                app: "0190a0b0-0000-7000-8000-000000000002".into(),
                seq: 2,
                kind: "application.suspended".into(),
                schema: "application.suspended/1".into(),
                region: "440000".into(),
                actor: "440000/abcdef01".into(),
                at: "2026-12-06T08:00:00.000Z".into(),
                data: serde_json::json!({"kind": "hearing", "reason": text}),
                prev_hash: "0".repeat(64),
                hash: "0".repeat(64),
                sig: "0".repeat(128),
            };
            let written = serde_json::to_vec(&event).expect("json").len();
            let estimate = about_bytes(&event);
            assert!(estimate >= written, "{estimate} < {written}");
            assert!(estimate < written + 1000, "{estimate} ≫ {written}");
        }
    }
}
