//! The log's records between two positions, as the running hash takes them (`GET
//! /v1/log/records?after=N&to=M`): what joins a signed head at N to one at M.
//!
//! Why: heads kept by different parties are almost never at the same position, and a running
//! hash cannot be carried from one position to another without what the log holds between. With
//! the records between, anyone carries the head at N forward and must arrive at the gateway's
//! signed head at M (`tongban heads --records`, `docs/audit/verify_chain.py --records`): two
//! signed heads of different histories cannot be joined so (that would take a SHA-256 collision),
//! which is what shows a gateway that signed one history to one party and another to another.
//! Certificate Transparency's consistency proofs do the same, in a logarithmic size; these are
//! linear (about 80 bytes a position), paged.
//!
//! Each page is signed by the gateway ([`statement`]): a page that does not join two heads the
//! gateway signed is then the gateway's own word against itself, proof to anyone it is handed
//! to, as two signed heads at one position are.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Gateway, ServiceError};
use crate::log::EventLog;

/// Positions one page covers at most: a few milliseconds of reading on the embedded log.
pub const PAGE: u64 = 4096;

/// What the running hash takes at one position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Record {
    pub position: u64,
    /// The event's hash, or, for a record that is not an event, the SHA-256 of its bytes
    /// (lowercase hex).
    pub hash: String,
}

/// What a page's signed statement starts with: never read as a log head's
/// (`tongban-log-head-v1`), a verified head's or an event's hash.
pub const DOMAIN: &str = "tongban-log-records-v1";

/// The bytes a page's signature is over: the ASCII of
/// `"tongban-log-records-v1\n{after}\n{end}\n{digest}\n{at}"`, where `end` is where the page
/// stops (`next`, or `to` on the last) and `digest` the lowercase hex SHA-256 of, per record in
/// order, `"{position} {n} {hash}\n"`, `n` the byte length of the hash (UTF-8). The length makes
/// the list unambiguous whatever a hash holds: a damaged event's stored hash (which the head took
/// as it is) cannot make one signed page read as another list.
pub fn statement<'a>(
    after: u64,
    end: u64,
    records: impl IntoIterator<Item = (u64, &'a str)>,
    at: &str,
) -> String {
    let mut digest = Sha256::new();
    for (position, hash) in records {
        digest.update(format!("{position} {} {hash}\n", hash.len()).as_bytes());
    }
    format!(
        "{DOMAIN}\n{after}\n{end}\n{}\n{at}",
        crate::hex::encode(&digest.finalize())
    )
}

/// One page of records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RecordsPage {
    /// The page covers the positions after this one…
    pub after: u64,
    /// …up to `next` when there is one, else up to this one (where the request asked to stop).
    pub to: u64,
    /// Every record the log holds in the range the page covers, in position order; a position
    /// of that range not listed holds nothing.
    pub records: Vec<Record>,
    /// Where this page stops when it stops before `to`: ask again with `after` set to it. Null
    /// on the last page.
    pub next: Option<u64>,
    /// When the gateway signed the page (RFC 3339, UTC).
    pub at: String,
    /// The signing key's id, as `GET /v1/keys` names it.
    pub kid: String,
    /// Ed25519 signature, lowercase hex, over the ASCII bytes of
    /// `"tongban-log-records-v1\n{after}\n{end}\n{digest}\n{at}"` (`end`: `next`, or `to` on
    /// the last page; `digest`: the lowercase hex SHA-256 of `"{position} {n} {hash}\n"` per
    /// record in order, `n` the hash's length in bytes).
    pub sig: String,
}

/// Why a page is not answered.
#[derive(Debug)]
pub enum RecordsRefused {
    /// The projections keep no head yet to bound the range by.
    NotReady,
    /// `to` (or `after`) is past the head the projections stand at (its position).
    NotReached {
        head: u64,
    },
    /// `after` is past `to`.
    Backwards,
    Service(ServiceError),
}

impl From<crate::projections::store::ProjectionError> for RecordsRefused {
    fn from(e: crate::projections::store::ProjectionError) -> Self {
        RecordsRefused::Service(e.into())
    }
}

impl From<crate::log::LogError> for RecordsRefused {
    fn from(e: crate::log::LogError) -> Self {
        RecordsRefused::Service(e.into())
    }
}

impl<L: EventLog> Gateway<L> {
    /// The records after `after` up to `to` (default: the head the projections stand at, every
    /// event acknowledged before the call), at most [`PAGE`] positions of them. One page is read
    /// at a time on this gateway: another asked for meanwhile is refused at once
    /// ([`ServiceError::Busy`], 503 with `Retry-After`), so that one caller asking page after
    /// page on many connections cannot queue everyone else behind it.
    pub async fn log_records(
        &self,
        after: u64,
        to: Option<u64>,
    ) -> Result<RecordsPage, RecordsRefused> {
        self.caught_up().await;
        let head = self.store.log_head()?.ok_or(RecordsRefused::NotReady)?;
        let to = to.unwrap_or(head.position);
        if to > head.position || after > head.position {
            return Err(RecordsRefused::NotReached {
                head: head.position,
            });
        }
        if after > to {
            return Err(RecordsRefused::Backwards);
        }
        let (end, next) = page_end(after, to);
        let _only = self.log_record_reads.try_acquire().map_err(|_| {
            RecordsRefused::Service(ServiceError::Busy {
                what: "a page of the log's records",
            })
        })?;
        let mut records = Vec::new();
        crate::log::head_hash::records(&*self.log, after, end, |position, hash| {
            records.push(Record {
                position,
                hash: hash.to_string(),
            })
        })
        .await?;
        let at = crate::time::Timestamp::now().to_rfc3339();
        let signed = statement(
            after,
            end,
            records.iter().map(|r| (r.position, r.hash.as_str())),
            &at,
        );
        Ok(RecordsPage {
            after,
            to,
            records,
            next,
            kid: self.key.public().kid(),
            sig: self.key.sign_bytes(signed.as_bytes()),
            at,
        })
    }
}

/// Where a page asked for after `after` up to `to` ends, and its `next` (`None` on the last).
fn page_end(after: u64, to: u64) -> (u64, Option<u64>) {
    let end = to.min(after.saturating_add(PAGE));
    (end, (end < to).then_some(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statement's known answer, which docs/audit/verify_chain.py computes too
    /// (tests/e2e_operators.rs checks both against one signed page).
    #[test]
    fn a_page_statement_commits_to_its_range_records_and_time() {
        let hash = "ab".repeat(32);
        let one = statement(8, 16, [(9, hash.as_str())], "2026-12-06T07:30:00.000Z");
        // The known answer, computed by Python's hashlib over b"9 64 " + hash + b"\n".
        assert_eq!(
            one,
            "tongban-log-records-v1\n8\n16\n\
             34aaf9ad3a530687da73dd39411d2705f97fb66384cf562b24babf124db2e91f\n\
             2026-12-06T07:30:00.000Z"
        );
        // A hash holding a line break cannot stand for two records.
        let glued = format!("{hash}\n10 {hash}");
        assert_ne!(
            statement(8, 16, [(9, glued.as_str())], "t"),
            statement(8, 16, [(9, hash.as_str()), (10, hash.as_str())], "t")
        );
        assert_ne!(
            one,
            statement(8, 17, [(9, hash.as_str())], "2026-12-06T07:30:00.000Z")
        );
        assert_ne!(
            one,
            statement(8, 16, [(10, hash.as_str())], "2026-12-06T07:30:00.000Z")
        );
        assert_ne!(one, statement(8, 16, [], "2026-12-06T07:30:00.000Z"));
    }

    /// A range of up to [`PAGE`] positions is one page; a longer one ends after [`PAGE`] and
    /// names where the next starts, up to the last, which names none.
    #[test]
    fn a_page_covers_at_most_page_positions_and_names_the_next() {
        assert_eq!(page_end(0, 0), (0, None));
        assert_eq!(page_end(8, 16), (16, None));
        assert_eq!(page_end(0, PAGE), (PAGE, None));
        assert_eq!(page_end(0, PAGE + 1), (PAGE, Some(PAGE)));
        assert_eq!(page_end(PAGE, PAGE + 1), (PAGE + 1, None));
        assert_eq!(page_end(u64::MAX - 1, u64::MAX), (u64::MAX, None));
    }
}
