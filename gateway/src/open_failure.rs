//! Why a fjall store did not open, one classification for the event log, the projections and
//! the request evidence.
//!
//! What an operator should do next depends on it, and the wrong advice does harm: a log called
//! damaged when the process only ran out of file descriptors is restored from a backup (an
//! older log put over a good one), and projections called damaged are set aside and rebuilt for
//! nothing. Each store used to sort fjall's errors by its own list of kinds, and they disagreed
//! at the edges ("too many open files" was the host's to the projections and damage to the log).
//! Each store still says it in its own words, since what follows differs (a log and the
//! evidence are restored from a backup, projections rebuilt), but from this one answer.

use std::io::{self, ErrorKind};

/// What a fjall error at open says of the store's files.
#[derive(Debug)]
pub enum OpenFailure<'a> {
    /// Another process holds the store (fjall `Locked`): a gateway or a tool running on the
    /// same directory.
    InUse,
    /// The host refused what the store needs, and said what: `why` completes "the store …"
    /// ("is on a read-only file system"). Its files are not in question.
    Host {
        why: &'static str,
        io: &'a io::Error,
    },
    /// A file the store needs is missing, as when a copy or a backup left files out.
    Missing { io: &'a io::Error },
    /// The operating system failed a read or a write without its being the files' fault or
    /// plainly the host's (an I/O error of the disk, too many open files, out of memory), or
    /// fjall stopped after such a failure (`Poisoned`): nothing is said of the files either way.
    Failed { what: String },
    /// The store's files do not read as fjall wrote them: damaged, cut short or changed outside
    /// tongban.
    Damaged { what: String },
}

impl OpenFailure<'_> {
    /// Sorts `e`, fjall's refusal to open a store or one of its keyspaces.
    pub fn of(e: &fjall::Error) -> OpenFailure<'_> {
        let io = match e {
            fjall::Error::Io(io) | fjall::Error::Storage(fjall::LsmError::Io(io)) => io,
            fjall::Error::Locked => return OpenFailure::InUse,
            fjall::Error::Poisoned | fjall::Error::KeyspaceDeleted => {
                return OpenFailure::Failed {
                    what: format!("{e:?}"),
                };
            }
            // A journal failing its checksum, a version or tag fjall does not know, a block
            // that does not decompress, fjall's own "unrecoverable": the bytes on disk.
            _ => {
                return OpenFailure::Damaged {
                    what: format!("{e:?}"),
                };
            }
        };
        match io.kind() {
            ErrorKind::ReadOnlyFilesystem => OpenFailure::Host {
                why: "is on a read-only file system",
                io,
            },
            ErrorKind::PermissionDenied => OpenFailure::Host {
                why: "is not writable by this user",
                io,
            },
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded => OpenFailure::Host {
                why: "is on a full disk",
                io,
            },
            ErrorKind::NotFound => OpenFailure::Missing { io },
            // What fjall reads back is not what it wrote: a file cut short, bytes it cannot
            // parse, a file where it makes a new one.
            ErrorKind::InvalidData | ErrorKind::UnexpectedEof | ErrorKind::AlreadyExists => {
                OpenFailure::Damaged {
                    what: io.to_string(),
                }
            }
            _ => OpenFailure::Failed {
                what: io.to_string(),
            },
        }
    }
}

impl<'e> OpenFailure<'e> {
    /// [`OpenFailure::of`] for the store in `dir`: a journal fjall refuses is named by where
    /// its first failing checksum is (the file, the group commit's bytes, what follows it:
    /// [`crate::log::embedded::journal::bad_checksum`]), since fjall says neither; where none is
    /// found, fjall's own words stay.
    pub fn in_dir(e: &'e fjall::Error, dir: &std::path::Path) -> OpenFailure<'e> {
        match (OpenFailure::of(e), e) {
            (OpenFailure::Damaged { what }, fjall::Error::JournalRecovery(_)) => {
                let what = match crate::log::embedded::journal::bad_checksum(dir) {
                    Ok(Some(bad)) => format!("its journal {bad}"),
                    _ => what,
                };
                OpenFailure::Damaged { what }
            }
            (failure, _) => failure,
        }
    }
}

/// The advice for [`OpenFailure::Failed`], the same for every store.
pub const FAILED_ADVICE: &str = "this says nothing about whether its files are whole. Check the \
     disk (the kernel's log), the process's open-file limit and its memory, and start again; \
     if it fails the same way, run `tongban verify` on a copy of the data directory";

#[cfg(test)]
mod tests {
    use super::*;

    /// Given fjall's refusals at open, when sorted, then the host's plain refusals are the
    /// host's, a missing file is missing, bytes that do not read are damage, and anything else
    /// the operating system failed (too many open files, an I/O error) is neither: it was damage
    /// to the log (restore from a backup) and the host's to the projections.
    #[test]
    fn every_store_sorts_a_refusal_the_same_way() {
        let io = |kind: ErrorKind| fjall::Error::Io(io::Error::from(kind));
        for kind in [
            ErrorKind::ReadOnlyFilesystem,
            ErrorKind::PermissionDenied,
            ErrorKind::StorageFull,
            ErrorKind::QuotaExceeded,
        ] {
            let e = io(kind);
            assert!(
                matches!(OpenFailure::of(&e), OpenFailure::Host { .. }),
                "{kind:?}"
            );
        }
        let e = io(ErrorKind::NotFound);
        assert!(matches!(OpenFailure::of(&e), OpenFailure::Missing { .. }));
        for kind in [ErrorKind::InvalidData, ErrorKind::UnexpectedEof] {
            let e = io(kind);
            let failure = OpenFailure::of(&e);
            assert!(matches!(failure, OpenFailure::Damaged { .. }), "{kind:?}");
        }
        // EMFILE and EIO, as the operating system gives them.
        for errno in [24, 5] {
            let e = fjall::Error::Io(io::Error::from_raw_os_error(errno));
            let failure = OpenFailure::of(&e);
            assert!(matches!(failure, OpenFailure::Failed { .. }), "{errno}");
        }
        let e = fjall::Error::Storage(fjall::LsmError::Io(io::Error::from_raw_os_error(24)));
        assert!(matches!(OpenFailure::of(&e), OpenFailure::Failed { .. }));
        assert!(matches!(
            OpenFailure::of(&fjall::Error::Locked),
            OpenFailure::InUse
        ));
        assert!(matches!(
            OpenFailure::of(&fjall::Error::Poisoned),
            OpenFailure::Failed { .. }
        ));
        for e in [fjall::Error::Unrecoverable, fjall::Error::InvalidTrailer] {
            assert!(matches!(OpenFailure::of(&e), OpenFailure::Damaged { .. }));
        }
    }
}
