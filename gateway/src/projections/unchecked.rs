//! The mark a rebuild that did not check the events' seals leaves in the projections it made.
//!
//! `tongban rebuild --trust-log` (or one with no public key to check with) folds every event as
//! the log holds it, an event planted without the gateway's key included, where the live
//! projector and a checked rebuild hold its application instead ([`super::seals`]). Nothing in
//! the projections said so afterwards: an operator or an auditor reading the held list could
//! not tell "nothing was held" from "nothing was checked". The mark says up to which log
//! position the projections were folded unchecked, when and why; `/healthz` (to an operator's
//! token) and `GET /v1/projections/held` carry it. A rebuild with the seals checked starts from
//! an empty store, so it leaves none; the live projector checks every event after the mark.

use serde::{Deserialize, Serialize};

use super::store::{ProjectionError, ProjectionStore, decode, json, storage};

/// The meta key the mark is kept under.
const KEY: &str = "unchecked";

/// Projections folded without the events' seals checked, up to a log position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Unchecked {
    /// The log position up to which events were folded without their seals checked: the log's
    /// end when the rebuild began, so a rebuild stopped part way claims no less than it folded.
    pub up_to: u64,
    /// When the rebuild ran (RFC 3339).
    pub at: String,
    /// Why the seals were not checked (`tongban rebuild --trust-log`, no public key to check
    /// them with, or the reason the program that rebuilt them gave for trusting the log).
    // (A library caller's, in `super::rebuild::Checking::Trusted`: not in the doc comment, which
    // the OpenAPI document copies for province teams.)
    pub why: String,
}

impl ProjectionStore {
    /// Marks these projections as folded without the seals checked ([`Unchecked`]); durable
    /// before it returns, so a rebuild that is stopped after folding anything leaves it.
    pub fn mark_unchecked(&self, mark: &Unchecked) -> Result<(), ProjectionError> {
        self.meta.insert(KEY, json(mark)?).map_err(storage)?;
        self.persist()
    }

    /// Writes bytes that do not decode where the mark is kept, for the tests of a store that
    /// cannot say.
    #[cfg(test)]
    pub(crate) fn damage_unchecked_mark(&self) {
        self.meta.insert(KEY, b"{not a mark").expect("damage");
    }

    /// The mark a rebuild without the seals checked left, if any.
    pub fn unchecked(&self) -> Result<Option<Unchecked>, ProjectionError> {
        match self.meta.get(KEY).map_err(storage)? {
            Some(value) => Ok(Some(decode(&value, || KEY.to_string())?)),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    /// Given a store, when it is marked unchecked, then the mark reads back as written, and
    /// survives the store being opened again; a fresh store has none.
    #[test]
    fn the_mark_reads_back_and_survives_a_reopen() {
        let dir = TempDir::new("unchecked-mark");
        let path = dir.path().join("projections");
        let mark = Unchecked {
            up_to: 42,
            at: "2026-12-06T05:00:00Z".into(),
            why: "--trust-log".into(),
        };
        {
            let store = ProjectionStore::open(&path).expect("store");
            assert_eq!(store.unchecked().expect("read"), None);
            store.mark_unchecked(&mark).expect("mark");
            assert_eq!(store.unchecked().expect("read"), Some(mark.clone()));
        }
        let store = ProjectionStore::open(&path).expect("again");
        assert_eq!(store.unchecked().expect("read"), Some(mark));
    }
}
