//! One gateway per data directory: the directory itself is locked (`flock`) for as long as a
//! gateway serves from it.
//!
//! The stores lock themselves (fjall locks each database it opens), but only once they are
//! opened, one after another, and a JetStream gateway has no log of its own to lock first. Two
//! gateways started on one directory at the same moment could each find what the other had not
//! made yet and take it for missing: a refused start would then remove what the other just made,
//! and two JetStream starts could both take the directory for new. Held before anything in the
//! directory is looked at, the lock makes a start the only one in it: what it finds missing is
//! missing, and what it made on a refusal it may remove.
//!
//! The lock is on the directory's own inode, so there is no lock file to leave behind, back up
//! or restore, and the kernel lets it go with the process however it ends.

use std::fs::{File, TryLockError};
use std::path::Path;

/// The data directory, held while this value lives.
#[derive(Debug)]
pub struct DirLock {
    _held: File,
}

/// Why the data directory could not be held.
#[derive(Debug)]
pub enum DirLockError {
    /// Another process holds it: a gateway serving it, or starting on it.
    Held,
    /// The directory could not be opened or locked at all.
    Io(std::io::Error),
}

impl DirLock {
    /// Takes the directory, without waiting: a second start is refused at once, not queued
    /// behind a gateway that may serve for months.
    pub fn take(dir: &Path) -> Result<DirLock, DirLockError> {
        let held = File::open(dir).map_err(DirLockError::Io)?;
        match held.try_lock() {
            Ok(()) => Ok(DirLock { _held: held }),
            Err(TryLockError::WouldBlock) => Err(DirLockError::Held),
            Err(TryLockError::Error(e)) => Err(DirLockError::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    #[test]
    fn a_directory_is_held_once_until_let_go() {
        let tmp = TempDir::new("dir-lock");
        let first = DirLock::take(tmp.path()).expect("first");
        assert!(matches!(DirLock::take(tmp.path()), Err(DirLockError::Held)));
        drop(first);
        DirLock::take(tmp.path()).expect("free again once let go");
        // Nothing is left in the directory by the lock.
        assert_eq!(std::fs::read_dir(tmp.path()).expect("read").count(), 0);
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_lock() {
        let tmp = TempDir::new("dir-lock-missing");
        assert!(matches!(
            DirLock::take(&tmp.path().join("nowhere")),
            Err(DirLockError::Io(_))
        ));
    }
}
