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
//! ends: also when it is interrupted (Ctrl-C, SIGTERM), and a copy left by a command that was
//! killed outright is removed by the next one that copies beside it. A copy holds the log's
//! personal data: it must not outlive the command that needed it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::CliError;

/// What every copy's name starts with, then the process id and a timestamp.
const PREFIX: &str = ".tongban-log-copy-";

/// The copies this process holds, for the signal handler to remove.
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Held while a copy is being made: the signal handler waits for it, so that it never removes
/// a copy that the copying then writes again.
static COPYING: Mutex<()> = Mutex::new(());

/// Set by the signal handler before it removes the copies: the command's own error (a copy
/// gone from under it) is then not said, the handler ends the process ([`interrupted`]).
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a signal is ending the process (its copies being removed): a failure the command
/// meets now is the removal's, not the log's, and must not be reported as the log's.
pub fn interrupted() -> bool {
    INTERRUPTED.load(std::sync::atomic::Ordering::SeqCst)
}

/// Test hook: `TONGBAN_TEST_PAUSE_AFTER_COPY_MS=<ms>` makes an offline tool wait once its copy
/// is made, so a test can interrupt it while the copy exists. Never set in production.
pub const PAUSE_AFTER_COPY_ENV: &str = "TONGBAN_TEST_PAUSE_AFTER_COPY_MS";

/// A copy of a log directory, removed on drop.
pub struct LogCopy {
    root: PathBuf,
}

impl LogCopy {
    /// The copy's log directory, to open.
    pub fn log(&self) -> PathBuf {
        self.root.join("log")
    }

    /// Where the copy is (beside the data directory, or in the temporary directory).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// [`LogCopy::of`], with `None` for a store a running gateway holds: for a caller that
    /// goes on without it, or says so in its own words.
    pub fn unless_held(store: &Path) -> Result<Option<LogCopy>, CliError> {
        let held = std::cell::Cell::new(false);
        match LogCopy::of(store, || {
            held.set(true);
            CliError(String::new())
        }) {
            Err(_) if held.get() => Ok(None),
            copy => copy.map(Some),
        }
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
            "{PREFIX}{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        remove_on_interrupt();
        let _copying = COPYING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let parent = data_dir_parent(log);
        if let Some(parent) = &parent {
            remove_orphans(parent);
        }
        remove_orphans(&std::env::temp_dir());
        let beside = parent
            .map(|p| p.join(&name))
            .filter(|p| private_dir(p).is_ok());
        let root = match beside {
            Some(root) => root,
            None => {
                let root = std::env::temp_dir().join(&name);
                private_dir(&root).map_err(|e| {
                    CliError(format!(
                        "making a copy of {} to read: {}: {e}",
                        log.display(),
                        root.display()
                    ))
                })?;
                root
            }
        };
        if let Ok(mut held) = HELD.lock() {
            held.push(root.clone());
        }
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
        if let Ok(mut held) = HELD.lock() {
            held.retain(|p| p != &self.root);
        }
    }
}

/// The directory the data directory of `log` (its `log/`) is in, where the copy goes: its real
/// path first, since a bare relative `--data dfs` has the empty path for a parent, which names no
/// directory to read (a copy left there by a killed tool was never removed), and `--data ..`
/// from inside the log would put the copy inside the very directory being copied (copied into
/// itself at every level); a symbolic link to the data directory leads to the file system the
/// log is on, where its files can be linked rather than copied.
fn data_dir_parent(log: &Path) -> Option<PathBuf> {
    let log = std::fs::canonicalize(log)
        .or_else(|_| std::path::absolute(log))
        .ok()?;
    log.parent()?.parent().map(Path::to_path_buf)
}

/// Once per process: on Ctrl-C or SIGTERM, removes every copy this process holds (after a copy
/// under way is made), then ends it as the signal would have (exit status 130 or 143). The
/// signals are watched on a thread of their own, with a runtime of its own, so that no command's
/// runtime ending (`replay` reads, then writes its answer) leaves them caught and unheeded.
fn remove_on_interrupt() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
        else {
            return;
        };
        // Taken over here, before any copy exists, so that no signal between the copy and the
        // watcher's first run ends the process the default way.
        let signals = {
            let _entered = runtime.enter();
            (
                signal(SignalKind::interrupt()),
                signal(SignalKind::terminate()),
            )
        };
        let (Ok(mut interrupt), Ok(mut terminate)) = signals else {
            return;
        };
        let spawned = std::thread::Builder::new()
            .name("tongban-copy-guard".into())
            .spawn(move || {
                let status = runtime.block_on(async {
                    tokio::select! {
                        _ = interrupt.recv() => 130,
                        _ = terminate.recv() => 143,
                    }
                });
                INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
                let _copying = COPYING
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let held = HELD.lock().map(|h| h.clone()).unwrap_or_default();
                for root in held {
                    remove_while_open(&root);
                }
                eprintln!("tongban: interrupted; the copy of the log it was reading is removed");
                std::process::exit(status);
            });
        if spawned.is_err() {
            eprintln!("tongban: cannot watch for Ctrl-C; an interrupted run may leave its copy");
        }
    });
}

/// Removes the copy at `root` while the command may still have it open: fjall's background
/// threads may write a file into it (a flush, a new journal) while it is being removed, and
/// `remove_dir_all` then fails on a directory no longer empty. Tried again a few times, so that
/// an interrupted command leaves no copy of the log's personal data behind (seen once under
/// load in the test of this).
fn remove_while_open(root: &Path) {
    for _ in 0..20 {
        match std::fs::remove_dir_all(root) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            _ => return,
        }
    }
}

/// Removes the copies in `dir` whose process is gone (killed before it could remove its own),
/// where the system says which processes run (`/proc`).
fn remove_orphans(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(PREFIX))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if tongban_gateway::fsutil::process_is_gone(&pid.to_string()) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Makes the copy's root for its owner alone (0700), whatever the umask: the copy holds the
/// log's (or the evidence's) personal data in fjall's 0644 files, as the data directory does,
/// which is 0700 for that reason; beside it, or in the temporary directory, a root made 0755
/// would let every local user read them while the tool runs.
fn private_dir(root: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().mode(0o700).create(root)
}

/// [`PAUSE_AFTER_COPY_ENV`]'s wait, when it is set.
pub async fn test_pause() {
    if let Some(ms) = std::env::var(PAUSE_AFTER_COPY_ENV)
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
    {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// Copies the tree `from` to `to`; files under a `tables` or `blobs` directory (immutable once
/// written) are hard links where possible.
///
/// A copied file is made writable by its owner (this user): `std::fs::copy` keeps the source's
/// mode, and a log kept read-only (a backup's 0444 files) gave a copy fjall could not open, so
/// the tool refused the very log it only reads. A hard link is left as it is: it is the source's
/// own file, whose mode is not the tool's to change, and fjall only reads those.
fn copy_tree(from: &Path, to: &Path, immutable: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    owner_writable(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            let name = entry.file_name();
            let below = immutable || name == "tables" || name == "blobs";
            copy_tree(&source, &target, below)?;
        } else if !(immutable && std::fs::hard_link(&source, &target).is_ok()) {
            copy_writable(&source, &target)?;
        }
    }
    Ok(())
}

/// Copies the file `from` to a new file `to`, made with `from`'s mode and owner write (u+w)
/// from the start: never, even for a moment, a read-only copy (which another process looking at
/// the copy, or fjall opening it, would find).
fn copy_writable(from: &Path, to: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut source = std::fs::File::open(from)?;
    let mode = source.metadata()?.permissions().mode() & 0o777;
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode | 0o200)
        .open(to)?;
    std::io::copy(&mut source, &mut target)?;
    Ok(())
}

/// Adds owner write (u+w) to `path`'s mode, when it lacks it.
fn owner_writable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = std::fs::metadata(path)?.permissions();
    let mode = permissions.mode();
    if mode & 0o200 == 0 {
        permissions.set_mode(mode | 0o200);
        std::fs::set_permissions(path, permissions)?;
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
        // Its owner's alone: it holds the log's personal data.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(copy.root())
            .expect("root")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
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

    /// A copy left beside the data directory by a process that is gone (killed outright) is
    /// removed by the next copy made there; a live process's is left alone.
    #[test]
    fn a_copy_whose_process_is_gone_is_removed_by_the_next_one() {
        let base =
            std::env::temp_dir().join(format!("tongban-log-orphan-test-{}", std::process::id()));
        let log = base.join("data").join("log");
        std::fs::create_dir_all(&log).expect("dirs");
        // No process has this id (Linux's pid_max is at most 4,194,304).
        let orphan = base.join(format!("{PREFIX}999999999-1"));
        let live = base.join(format!("{PREFIX}{}-1", std::process::id()));
        std::fs::create_dir_all(orphan.join("log")).expect("orphan");
        std::fs::create_dir_all(live.join("log")).expect("live");
        let copy = LogCopy::of(&log, || CliError("in use".into())).expect("copy");
        assert!(!orphan.exists(), "the orphan is removed");
        assert!(live.exists(), "a live process's copy stays");
        drop(copy);
        let _ = std::fs::remove_dir_all(&base);
    }
}
