//! The positions of an application's events that its parties' feeds give as markers, not as
//! the events: what the dispute tools must say instead of "received" when a cursor is past one.
//!
//! A feed gives each party every event of its applications, except where the projections
//! withheld one (an event that does not verify or does not follow the one before it: a `held`
//! marker, [`super::held::Held::withheld`]) or passed one over as a second event under a folded
//! seq (a `repeated` marker, [`super::repeated`]). A region whose cursor is past such a position
//! acknowledged a marker naming the position, never the event's content; the replay still counts
//! the event when it is in its chain (two events stored out of seq order: the later seq at the
//! earlier position is withheld, then counted in seq order).

use std::collections::BTreeMap;

use super::store::{ProjectionError, ProjectionStore};
use crate::log::{Acked, FirstAck};

/// What a party's feed gives at a position instead of the event stored there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A `held` marker: the projection of the application is held at this event, given to no
    /// feed.
    Held,
    /// A `repeated` marker: a second event under a seq the projection had folded.
    Repeated,
}

/// A marker given at a position, and to whom (the regions party to the application as of the
/// projection that gave it: a region that joined later finds nothing there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub marker: Marker,
    pub parties: Vec<String>,
}

/// The acknowledged cursor of each party of an application, and the positions of its events
/// that their feeds give as markers: what the dispute tools compare each event's position with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCursors {
    /// Each party's cursor, by region code.
    pub acked: BTreeMap<String, Acked>,
    /// For each party (by region code), the first acknowledgement at or past each of the
    /// events' positions, from the history of its acknowledgements ([`crate::log::acks`]).
    /// A party missing here: its history was not read ([`FeedCursors::history_unread`]).
    pub first: BTreeMap<String, BTreeMap<u64, FirstAck>>,
    /// Why the history could not be read (a stream whose gateways kept none yet): then no
    /// first acknowledgement is said, and the latest move's time is never shown as the first.
    pub history_unread: Option<String>,
    /// By log position.
    pub marked: BTreeMap<u64, Marked>,
    /// Why the positions given as markers could not be read (an offline tool on a stream whose
    /// data directory has no projections following it, or a running gateway holds them): then
    /// `marked` is empty for want of knowing, not because the feeds gave every event, and no
    /// cursor past a position is a receipt of the event there.
    pub marked_unread: Option<String>,
}

impl ProjectionStore {
    /// Of `positions` (those of `app`'s events), those its parties' feeds give as markers: the
    /// position its projection is held at when that event was withheld, and those recorded as
    /// repeated for `app`. Read by the gateway and by the offline tools (from a copy of the
    /// projections) alike.
    pub fn marked(
        &self,
        app: &str,
        positions: &[u64],
    ) -> Result<BTreeMap<u64, Marked>, ProjectionError> {
        let mut out = BTreeMap::new();
        if let Some(h) = self.held(app)?.filter(|h| h.withheld) {
            out.insert(
                h.position,
                Marked {
                    marker: Marker::Held,
                    parties: h.parties,
                },
            );
        }
        for &position in positions {
            if let Some(r) = self.repeated_of(app, position)? {
                out.insert(
                    position,
                    Marked {
                        marker: Marker::Repeated,
                        parties: r.parties,
                    },
                );
            }
        }
        Ok(out)
    }
}
