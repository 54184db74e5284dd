//! A region's feed cursor: where it lives depends on who owns the log.
//!
//! The embedded log has one gateway, which keeps the cursors in its projections (fsynced with
//! them, carried over a rebuild). A JetStream stream is shared by several gateways, and an
//! adapter may reach any of them, so there the cursors live beside the stream
//! ([`crate::log::SharedCursors`]) and every gateway reads and moves the same one.

use super::{Gateway, ServiceError};
use crate::log::EventLog;

impl<L: EventLog> Gateway<L> {
    /// The position up to which `region` has acknowledged its feed (0: nothing yet).
    pub async fn feed_cursor(&self, region: &str) -> Result<u64, ServiceError> {
        Ok(match self.log.shared_cursors() {
            Some(shared) => shared.get(region).await?,
            None => self.store.feed_cursor(region)?,
        })
    }

    /// [`Gateway::feed_cursor`] with when an acknowledgement moved it there, where that is
    /// stored: what the dispute tools show beside each event's log position.
    pub async fn feed_acked(&self, region: &str) -> Result<crate::log::Acked, ServiceError> {
        Ok(match self.log.shared_cursors() {
            Some(shared) => shared.acked(region).await?,
            None => self.store.feed_acked(region)?,
        })
    }

    /// The first acknowledgement of `region` at or past each of `positions`, from the history
    /// of its acknowledgements where its cursor lives ([`crate::log::acks`]).
    pub async fn first_acks(
        &self,
        region: &str,
        positions: &[u64],
    ) -> Result<std::collections::BTreeMap<u64, crate::log::FirstAck>, ServiceError> {
        Ok(match self.log.shared_cursors() {
            Some(shared) => shared.first_acks(region, positions).await?,
            None => self.store.first_acks(region, positions)?,
        })
    }

    /// The acknowledged cursor of each region party to the application of `events`
    /// ([`parties`]), the first acknowledgement of each at or past each of `positions` (the
    /// history, [`crate::log::acks`]), and which of them the parties' feeds give as markers
    /// instead of the events ([`crate::projections::marked`]), for its dispute tools: a cursor
    /// past a withheld event says the region took a marker, not the event.
    ///
    /// A history that does not read now costs that party its first acknowledgements, not the
    /// feeds: its cursor is still given, and the history is said unread (`history_unread`),
    /// where the whole section was blanked for it.
    pub async fn parties_acked(
        &self,
        events: &[crate::envelope::Envelope],
        positions: &[u64],
    ) -> Result<crate::projections::marked::FeedCursors, ServiceError> {
        let mut acked = std::collections::BTreeMap::new();
        let mut first = std::collections::BTreeMap::new();
        let mut history_unread = None;
        for region in parties(events) {
            let cursor = self.feed_acked(&region).await?;
            match self.first_acks(&region, positions).await {
                Ok(found) => {
                    first.insert(region.clone(), found);
                }
                Err(e) => {
                    tracing::warn!(%region, error = %e, "the history of a region's acknowledgements could not be read; its first acknowledgements are said unread");
                    history_unread = Some(
                        "the history of the region's acknowledgements could not be read now \
                         (the gateway's log says why)"
                            .to_string(),
                    );
                }
            }
            acked.insert(region, cursor);
        }
        let marked = match events.first() {
            Some(e) => self.store.marked(&e.app, positions)?,
            None => std::collections::BTreeMap::new(),
        };
        Ok(crate::projections::marked::FeedCursors {
            acked,
            first,
            history_unread,
            marked,
            marked_unread: None,
        })
    }

    /// Moves `region`'s cursor forward to `position` (never back) and returns the cursor and
    /// whether this moved it, with the acknowledgement recorded in the history (taken now, by
    /// `actor`: the token's `<region>/<token id>`) when it did; both are durable when this
    /// returns.
    pub async fn ack_feed(
        &self,
        region: &str,
        position: u64,
        actor: &str,
    ) -> Result<crate::log::Advanced, ServiceError> {
        Ok(match self.log.shared_cursors() {
            Some(shared) => shared.advance(region, position, actor).await?,
            None => self.store.ack_feed(region, position, actor)?,
        })
    }

    /// The furthest position a region may read its feed after through this gateway, for
    /// `after`: what the projections hold. A position the log holds but the projections have not
    /// reached yet is refused as [`ServiceError::FeedNotProjected`] (valid: asked again later),
    /// on either log: a page read from the projections before they reach it would be empty,
    /// and an adapter polling would take that for "nothing new". For one past the log's end the
    /// answer is the log's end, which the caller refuses as past it: only then can the position
    /// be another deployment's or one lost in a restore.
    pub async fn readable_after(&self, after: u64) -> Result<u64, ServiceError> {
        let projected = self.projector.applied();
        if after <= projected {
            return Ok(projected);
        }
        self.not_projected(after, "after", projected).await
    }

    /// The furthest position a region may acknowledge through this gateway, for `position`:
    /// what its feed here has shown, refused as for [`Gateway::readable_after`]; or, where the
    /// cursor is shared, what any gateway's feed may have shown: the stream's end, asked of the
    /// server only when `position` is beyond the head this gateway has seen (it hears of other
    /// gateways' writes a moment after them: [`crate::log::EventLog::refresh_head`]).
    pub async fn ackable(&self, position: u64) -> Result<u64, ServiceError> {
        let projected = self.projector.applied();
        if self.log.shared_cursors().is_none() {
            if position <= projected {
                return Ok(projected);
            }
            return self.not_projected(position, "position", projected).await;
        }
        let known = projected.max(*self.log.head().borrow());
        if position <= known {
            return Ok(known);
        }
        Ok(known.max(self.log.refresh_head().await?))
    }

    /// For a feed position (named `what`) beyond what the projections hold (`projected`):
    /// [`ServiceError::FeedNotProjected`] when the log holds it, else the log's end. The log is
    /// asked where it ends only when the position is beyond what this gateway knows of (a
    /// shared stream's other gateways' writes are heard of a moment after them).
    async fn not_projected(
        &self,
        position: u64,
        what: &'static str,
        projected: u64,
    ) -> Result<u64, ServiceError> {
        let mut end = self.known_end();
        if position > end {
            end = end.max(self.log.refresh_head().await?);
        }
        if position <= end {
            return Err(ServiceError::FeedNotProjected {
                what,
                wanted: position,
                end,
                reached: projected,
                stopped: self.projector.stopped().map(|s| s.why),
            });
        }
        Ok(end)
    }
}

/// The regions party to the application of `events`, whose feeds list its events: the origin
/// and the handlers its submission (seq 1) names, as the projections give each of them its
/// events. None when the submission is not among `events` or does not read.
pub fn parties(events: &[crate::envelope::Envelope]) -> Vec<String> {
    let submitted =
        events.iter().filter(|e| e.seq == 1).find_map(
            |e| match crate::domain::Event::from_envelope(e) {
                Ok(crate::domain::Event::Submitted(s)) => Some(s),
                _ => None,
            },
        );
    submitted.map_or_else(Vec::new, |s| {
        crate::domain::parties_of(&s.origin, &s.handlers)
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{forwarded, gateway_on, lead_code, origin_code};
    use crate::log::EventLog;

    /// Given an application's two parties, one of whose acknowledgement histories holds a
    /// record that does not read, when the dispute tools ask for the parties' feeds, then both
    /// cursors are given, the other party's first acknowledgements too, and the damaged one's
    /// history is said unread, where the whole feeds section was lost to it.
    #[tokio::test]
    async fn a_history_that_does_not_read_costs_its_party_its_first_acknowledgements_only() {
        let dir = crate::testutil::TempDir::new("feed-history-unread");
        let log = std::sync::Arc::new(
            crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log"),
        );
        let gw = gateway_on(&log, &dir, "p");
        let app = forwarded(&gw).await;
        let (origin, lead) = (origin_code(), lead_code());
        gw.ack_feed(&origin, 2, &format!("{origin}/t0"))
            .await
            .expect("ack");
        gw.ack_feed(&lead, 1, &format!("{lead}/t0"))
            .await
            .expect("ack");
        gw.store.put_unreadable_ack(&lead, 1).expect("damaged");
        let events = gw.log.read(&app).await.expect("read");
        let cursors = gw.parties_acked(&events, &[1, 2]).await.expect("feeds");
        assert_eq!(cursors.acked[&origin].position, 2);
        assert_eq!(cursors.acked[&lead].position, 1);
        assert!(matches!(
            cursors.first[&origin][&1],
            crate::log::FirstAck::Taken(_)
        ));
        assert!(!cursors.first.contains_key(&lead), "{cursors:?}");
        let why = cursors.history_unread.expect("said unread");
        assert!(why.contains("could not be read"), "{why}");
    }
}
