//! The offline tools (`verify`, `replay`, `dispute`, `reconcile`) read a copy of the embedded log,
//! never the log itself: fjall has no read-only open, and opening a database writes to it (its
//! journal trimmed, superseded version files removed, and a damaged journal cut short). A check
//! that changes what it checks is no evidence; an auditor's `verify` must leave the directory as
//! it found it.
//!
//! The copy is made while holding the log's lock, so no gateway starts on the directory
//! meanwhile (and a running one is named, as before). Table and blob files, which fjall never
//! changes once written, are hard links where the file system allows; everything else (journals,
//! version files) is copied. It sits beside the data directory, on the same file system, or in
//! the system's temporary directory when that is not writable, and is removed when the command
//! ends.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::CliError;

/// A copy of a log directory, removed on drop.
pub struct LogCopy {
    root: PathBuf,
}

impl LogCopy {
    /// The copy's log directory, to open.
    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }

    /// Copies `log` (a data directory's `log/`) while holding its lock. `in_use` is the
    /// error for a log a running gateway holds.
    pub fn of(log: &Path, in_use: impl FnOnce() -> CliError) -> Result<LogCopy, CliError> {
        let _lock = match File::open(log.join("lock")) {
            Ok(file) => match file.try_lock() {
                Ok(()) => Some(file),
                Err(std::fs::TryLockError::WouldBlock) => return Err(in_use()),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(CliError(format!("locking {}: {e}", log.display())));
                }
            },
            // No lock file: a log no fjall ever opened, copied as it is.
            Err(_) => None,
        };
        let name = format!(
            ".tongban-log-copy-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let beside = log
            .parent()
            .and_then(Path::parent)
            .map(|p| p.join(&name))
            .filter(|p| std::fs::create_dir(p).is_ok());
        let root = match beside {
            Some(root) => root,
            None => {
                let root = std::env::temp_dir().join(&name);
                std::fs::create_dir(&root).map_err(|e| {
                    CliError(format!(
                        "making a copy of {} to read: {}: {e}",
                        log.display(),
                        root.display()
                    ))
                })?;
                root
            }
        };
        let copy = LogCopy { root };
        copy_tree(log, &copy.log(), false).map_err(|e| {
            CliError(format!(
                "making a copy of {} to read in {}: {e}",
                log.display(),
                copy.root.display()
            ))
        })?;
        Ok(copy)
    }
}

impl Drop for LogCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Copies the tree `from` to `to`; files under a `tables` or `blobs` directory (immutable once
/// written) are hard links where possible.
fn copy_tree(from: &Path, to: &Path, immutable: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            let name = entry.file_name();
            let below = immutable || name == "tables" || name == "blobs";
            copy_tree(&source, &target, below)?;
        } else if !(immutable && std::fs::hard_link(&source, &target).is_ok()) {
            std::fs::copy(&source, &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_holds_the_same_files_and_goes_away_and_a_held_lock_is_refused() {
        let base =
            std::env::temp_dir().join(format!("tongban-log-copy-test-{}", std::process::id()));
        let log = base.join("data").join("log");
        std::fs::create_dir_all(log.join("keyspaces/0/tables")).expect("dirs");
        std::fs::write(log.join("0.jnl"), b"journal").expect("write");
        std::fs::write(log.join("lock"), b"").expect("write");
        std::fs::write(log.join("keyspaces/0/tables/1"), b"table").expect("write");
        let copy = LogCopy::of(&log, || CliError("in use".into())).expect("copy");
        for file in ["0.jnl", "lock", "keyspaces/0/tables/1"] {
            let read = |root: &Path| std::fs::read(root.join(file)).expect(file);
            assert_eq!(read(&copy.log()), read(&log), "{file}");
        }
        assert!(copy.log().starts_with(&base), "beside the data directory");
        // Writing to the copy's journal leaves the original as it was.
        std::fs::write(copy.log().join("0.jnl"), b"cut").expect("write");
        assert_eq!(std::fs::read(log.join("0.jnl")).expect("read"), b"journal");
        let root = copy.log();
        drop(copy);
        assert!(!root.exists());

        let held = File::open(log.join("lock")).expect("lock");
        held.try_lock().expect("held");
        let refused = LogCopy::of(&log, || CliError("in use".into()));
        assert_eq!(refused.err().map(|e| e.0), Some("in use".into()));
        drop(held);
        let _ = std::fs::remove_dir_all(&base);
    }
}
