//! The request evidence store: each event appended for a signed request, keyed by event id, with
//! the region's verified request signature ([`RequestSignature`]).
//!
//! Why beside the log rather than in it: the envelope is a fixed, hash-chained contract and `data`
//! is the event's registered payload schema, so neither can carry it. The evidence does not need
//! the chain's protection either: it is self-verifying with the region's public key, and it binds
//! to its event by the event id (and to the event's content by the body it carries).
//!
//! A record is written and fsynced *before* its event is appended, so every acknowledged event of
//! a signed request has its evidence even after a crash. An append that then fails leaves a record
//! for an event id that never appears in the log: harmless, nothing reads it.
//!
//! `<data>/evidence` (fjall), keyspace `requests`: event id → [`RequestSignature`] JSON. It is not
//! a projection: it cannot be rebuilt from the log, so back it up with the log. With a JetStream
//! log each gateway keeps the evidence of the requests it received.

use std::path::Path;

use fjall::{Database, Keyspace, PersistMode};

use crate::auth::RequestSignature;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("request evidence store: {0}")]
    Storage(String),
    #[error("request evidence for event {id} is unreadable: {reason}")]
    Corrupt { id: String, reason: String },
}

fn storage(e: impl std::fmt::Display) -> EvidenceError {
    EvidenceError::Storage(e.to_string())
}

/// What an evidence store that does not open says, by [`OpenFailure`]: it is restored from a
/// backup like the log (nothing rebuilds it), and only when its files are at fault.
fn unopenable(dir: &Path, e: &fjall::Error) -> EvidenceError {
    use crate::open_failure::{FAILED_ADVICE, OpenFailure};
    let failure = OpenFailure::in_dir(e, dir);
    let dir = dir.display();
    storage(match failure {
        OpenFailure::InUse => {
            format!(
                "{dir} is in use by another process (is a gateway running on this data directory?)"
            )
        }
        OpenFailure::Host { why, io } => format!(
            "the evidence store in {dir} {why} ({io}); nothing in it is damaged by that: fix it \
             and start again"
        ),
        OpenFailure::Missing { io } => format!(
            "the evidence store in {dir} does not open: a file it needs is missing ({io}), as \
             when a copy or backup left files out; copy it again from where it came from, or \
             restore it from the backup of this data directory (docs/operations.md, \"Backups\")"
        ),
        OpenFailure::Failed { what } => format!(
            "the evidence store in {dir} does not open: the operating system failed it \
             ({what}); {FAILED_ADVICE}"
        ),
        OpenFailure::Damaged { what } => format!(
            "the evidence store in {dir} does not open ({what}): one of its files is damaged, \
             cut short or was changed outside tongban; keep a copy of it as it is, and restore \
             it from the backup of this data directory (docs/operations.md, \"Backups\"): \
             nothing rebuilds it"
        ),
    })
}

#[derive(Clone)]
pub struct EvidenceStore {
    db: Database,
    requests: Keyspace,
    /// The keyspace and its memtable budget: sealed after each write, counted for `memory`.
    memtables: crate::fjall_tuning::Memtables,
}

impl EvidenceStore {
    pub fn open(dir: &Path) -> Result<EvidenceStore, EvidenceError> {
        std::fs::create_dir_all(dir).map_err(|e| storage(format!("{}: {e}", dir.display())))?;
        if let Err(missing) = crate::fjall_tuning::ready_to_open(dir) {
            return Err(storage(format!(
                "the evidence store in {} does not open: {missing}",
                dir.display()
            )));
        }
        let db = Database::builder(dir)
            .cache_size(crate::fjall_tuning::CACHE_BYTES)
            .open()
            .map_err(|e| unopenable(dir, &e))?;
        let mut memtables = crate::fjall_tuning::Memtables::default();
        let requests = memtables
            .keyspace(
                &db,
                "requests",
                crate::fjall_tuning::SMALL_MEMTABLE_BYTES,
                crate::fjall_tuning::Values::Plain,
            )
            .map_err(|e| unopenable(dir, &e))?;
        Ok(EvidenceStore {
            db,
            requests,
            memtables,
        })
    }

    /// What the store holds in memory, for `/metrics`.
    pub fn memory(&self) -> crate::fjall_tuning::StoreMemory {
        crate::fjall_tuning::StoreMemory::of(&self.db, &self.memtables)
    }

    /// Stores the evidence of event `id` durably (fsync) before returning.
    pub fn record(&self, id: &str, signature: &RequestSignature) -> Result<(), EvidenceError> {
        let bytes = serde_json::to_vec(signature).map_err(storage)?;
        self.requests
            .insert(id.as_bytes(), bytes)
            .map_err(storage)?;
        self.db.persist(PersistMode::SyncAll).map_err(storage)?;
        self.memtables.seal_full();
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<Option<RequestSignature>, EvidenceError> {
        match self.requests.get(id.as_bytes()).map_err(storage)? {
            Some(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| EvidenceError::Corrupt {
                        id: id.to_string(),
                        reason: tongban_schemas::mask::serde_error(&e),
                    })
            }
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_survives_reopening_and_a_damaged_journal_is_named() {
        let dir = crate::testutil::TempDir::new("evidence");
        let sig = RequestSignature {
            keyid: "440000".into(),
            public_key: "ab".into(),
            method: "POST".into(),
            path: "/v1/applications".into(),
            date: "2026-11-23T12:00:00Z".into(),
            body_sha256: "cd".into(),
            canonical: "POST\n/v1/applications\n2026-11-23T12:00:00Z\ncd".into(),
            sig: "ef".into(),
            body_base64url: Some("e30".into()),
            body_withheld: None,
        };
        {
            let store = EvidenceStore::open(dir.path()).expect("open");
            store.record("e1", &sig).expect("record");
        }
        let store = EvidenceStore::open(dir.path()).expect("reopen");
        assert_eq!(store.get("e1").expect("get"), Some(sig.clone()));
        assert_eq!(store.get("e2").expect("get"), None);
        store.record("e2", &sig).expect("record");
        drop(store);

        // Given a byte of the first request's stored body changed on disk, with the second's
        // group commit after it, when the store is opened, then the refusal names the journal
        // file, where the group commit that fails its checksum starts, and that whole group
        // commits follow it: damage in the middle, not a torn tail.
        let journal = dir.path().join("0.jnl");
        let mut bytes = std::fs::read(&journal).expect("journal");
        let at = bytes
            .windows(3)
            .position(|w| w == b"e30")
            .expect("the first request's body");
        bytes[at] = b'f';
        std::fs::write(&journal, &bytes).expect("write");
        let refused = EvidenceStore::open(dir.path())
            .err()
            .expect("refused")
            .to_string();
        assert!(
            refused.contains(&format!(
                "its journal {} fails its checksum in the group commit at byte ",
                journal.display()
            )) && refused.contains("damage in the middle of the journal, not a torn tail"),
            "{refused}"
        );
    }
}
