//! What the embedded log says when a write fails: the reason every later write is refused with,
//! which `/healthz` gives operators as `why` and the gateway's ERROR line carries.
//!
//! fjall's own words name neither the directory nor, most often, the cause: a table it could not
//! write in the background (a full disk, a permission, a read-only file system) stops it taking
//! writes, and the next one is refused with only `FjallError: Poisoned`, the cause said only in
//! fjall's own worker lines. An operator reading `why` alone could not tell a disk to fix from a
//! log to restore. So the reason names the log's directory, gives an I/O error in the operating
//! system's words (never bytes of the log), and for a store fjall stopped, says where its cause
//! was logged. Either way the log's files are not in question: nothing acknowledged is lost.

use std::path::Path;

/// The reason a write to the event log in `dir` failed with `e`.
pub(super) fn of(dir: &Path, e: &fjall::Error) -> String {
    use crate::open_failure::OpenFailure;
    let dir = dir.display();
    if matches!(e, fjall::Error::Poisoned) {
        return format!(
            "fjall stopped taking writes to the event log in {dir} after a write of its own \
             failed in the background (FjallError: Poisoned); fjall's own log lines just before \
             name the cause: look for fjall::flush::worker, or a fjall worker that crashed \
             (a full disk, a permission, a read-only file system)"
        );
    }
    match OpenFailure::of(e) {
        OpenFailure::Host { why, io } => format!("the event log in {dir} {why} ({io})"),
        OpenFailure::Missing { io } => {
            format!("a file of the event log in {dir} is missing ({io})")
        }
        OpenFailure::Failed { what } | OpenFailure::Damaged { what } => {
            format!("writing the event log in {dir} failed ({what})")
        }
        OpenFailure::InUse => format!("writing the event log in {dir} failed ({e})"),
    }
}

/// The reason the test hook's failed fsync gives, with the directory as a real one names it.
pub(super) fn injected(dir: &Path) -> String {
    format!(
        "writing the event log in {} failed (injected fsync failure, test hook)",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::{EmbeddedLog, EventLog, LogError, conformance};
    use crate::testutil::TempDir;
    use std::io::{Error, ErrorKind};

    /// Given a log whose events keyspace cannot write its tables (a file where their folder
    /// goes, which root cannot write through either), when fjall flushes it in the background,
    /// fails and stops taking writes, then the next append is refused, and the reason every
    /// later write and `/healthz` give names the log's directory and where fjall logged the
    /// cause, not fjall's bare `FjallError: Poisoned`. (Found by an operator's walkthrough.)
    #[tokio::test]
    async fn a_store_fjall_stopped_names_its_directory_and_where_the_cause_is() {
        let dir = TempDir::new("embedded-poisoned");
        let log = EmbeddedLog::open(dir.path()).expect("open");
        let app = "0190f0c4-0000-7000-8000-00000000000f";
        let written = conformance::append_chain(&log, app, 1).await;
        let tables = log.stores.events.path().join("tables");
        std::fs::remove_dir(&tables).expect("no table yet");
        std::fs::write(&tables, b"").expect("in the way");
        log.stores.events.rotate_memtable().expect("rotate");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while log.stores.db.persist(fjall::PersistMode::Buffer).is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "the flush did not fail"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let next = conformance::event(app, 2, &written[0].hash);
        let Err(LogError::Storage(reason)) = log.append(next, 1).await else {
            panic!("the append was not refused");
        };
        let why = log.refusal().expect("refused").why;
        for said in [&reason, &why] {
            assert!(
                said.contains(&dir.path().display().to_string())
                    && said.contains("look for fjall::flush::worker"),
                "{said}"
            );
        }
    }

    /// Given the errors a write meets, when said, then each names the directory; an I/O error is
    /// given in the operating system's words, and a store fjall stopped says where the cause was
    /// logged, not fjall's bare `Poisoned`.
    #[test]
    fn a_failed_write_names_the_directory_and_the_cause_or_where_it_is() {
        let dir = Path::new("/srv/tongban/log");
        let full = of(dir, &fjall::Error::Io(Error::from_raw_os_error(28)));
        assert!(
            full.contains("/srv/tongban/log is on a full disk")
                && full.contains("No space left on device"),
            "{full}"
        );
        let denied = of(
            dir,
            &fjall::Error::Io(Error::from(ErrorKind::PermissionDenied)),
        );
        assert!(denied.contains("is not writable by this user"), "{denied}");
        let eio = of(dir, &fjall::Error::Io(Error::from_raw_os_error(5)));
        assert!(
            eio.contains("writing the event log in /srv/tongban/log failed")
                && eio.contains("Input/output error"),
            "{eio}"
        );
        let poisoned = of(dir, &fjall::Error::Poisoned);
        assert!(
            poisoned.contains("/srv/tongban/log") && poisoned.contains("fjall::flush::worker"),
            "{poisoned}"
        );
        for said in [full, denied, eio] {
            assert!(!said.contains("Os {") && !said.contains("kind:"), "{said}");
        }
    }
}
