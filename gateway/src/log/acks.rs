//! The history of the regions' feed acknowledgements: one record for every acknowledgement that
//! moved a region's cursor forward, kept as durably as the cursor and written before the
//! acknowledgement is answered.
//!
//! A cursor keeps only its latest move, but a dispute ("we never received it on time") asks when
//! the region's adapter *first* acknowledged past an event, which a later acknowledgement
//! overwrote. Each record says the cursor moved from `from` to `to` at `at`, by the token
//! `actor`: so the first acknowledgement at or past a position P is the record with the lowest
//! `to` at or past P (a cursor only moves forward, so its records' `to` grow with their time),
//! and it is the first only if it moved the cursor from before P. A record that moved it from P
//! or past says the cursor passed P before the history reaches back (an acknowledgement taken
//! by a build before the history, a cursor carried over without one): said so, never answered
//! with a later time.
//!
//! Where the records live is the cursor's store: the projections on the embedded log
//! ([`crate::projections::ProjectionStore::first_ack`]), a stream beside the cursors' bucket on
//! JetStream ([`super::SharedCursors::first_ack`]). Records hold region codes, positions, times
//! and token ids: no applicant's data.

use crate::time::Timestamp;

/// One acknowledgement that moved a region's cursor forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AckRecord {
    /// Where the cursor was before it (0: nothing acknowledged).
    pub from: u64,
    /// Where it moved the cursor: the position the region acknowledged.
    pub to: u64,
    /// When the acknowledgement was taken (the embedded gateway's clock; on JetStream the
    /// server's time of storing the record, shared by every gateway of the stream).
    pub at: Timestamp,
    /// Who acknowledged: `<region>/<token id>`, as the gateway's `feed acknowledged` line says.
    pub actor: String,
}

/// What the history says of the first acknowledgement at or past a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstAck {
    /// This acknowledgement moved the cursor from before the position to it or past it.
    Taken(AckRecord),
    /// The cursor is before the position: not acknowledged yet.
    NotYet,
    /// The cursor passed the position before the history reaches back: the first record at or
    /// past it moved the cursor from `kept_from` (at or past the position), or there is none
    /// (`None`: every move past it was made without a record).
    NotKept { kept_from: Option<u64> },
}

/// The first acknowledgement at or past `position`, given the region's cursor now and the
/// history's first record whose `to` is at or past it (`found`): the one rule both backends
/// answer by.
///
/// The cursor is taken over a record past it: a record is stored after its cursor moves (and
/// on the embedded log with it), but a record stored before its cursor by an earlier build,
/// whose gateway failed in between, is of an acknowledgement never answered. Until the cursor
/// moves, the region is said not to have acknowledged, as the cursor says.
pub fn first_of(position: u64, cursor: u64, found: Option<AckRecord>) -> FirstAck {
    if cursor < position {
        return FirstAck::NotYet;
    }
    match found {
        Some(record) if record.from < position => FirstAck::Taken(record),
        Some(record) => FirstAck::NotKept {
            kept_from: Some(record.from),
        },
        None => FirstAck::NotKept { kept_from: None },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(from: u64, to: u64) -> AckRecord {
        AckRecord {
            from,
            to,
            at: Timestamp(1_700_000_000_000),
            actor: "330000/tok".into(),
        }
    }

    /// Given the records a region's acknowledgements left, when the first at or past a
    /// position is asked, then it is the one that moved the cursor over it; a cursor before it
    /// is not yet; a record that moved the cursor from past it, or none, says the history does
    /// not reach back, never a later acknowledgement's time.
    #[test]
    fn the_first_acknowledgement_is_the_one_that_moved_the_cursor_over_the_position() {
        assert_eq!(
            first_of(5, 9, Some(record(3, 9))),
            FirstAck::Taken(record(3, 9))
        );
        assert_eq!(
            first_of(9, 9, Some(record(3, 9))),
            FirstAck::Taken(record(3, 9))
        );
        assert_eq!(first_of(10, 9, Some(record(3, 12))), FirstAck::NotYet);
        assert_eq!(first_of(10, 9, None), FirstAck::NotYet);
        assert_eq!(
            first_of(3, 9, Some(record(3, 9))),
            FirstAck::NotKept { kept_from: Some(3) }
        );
        assert_eq!(first_of(3, 9, None), FirstAck::NotKept { kept_from: None });
    }
}
