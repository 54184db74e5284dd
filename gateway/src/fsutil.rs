//! Small durable-file helpers: write to a temporary file, fsync it, rename over the target, fsync
//! the directory. A crash leaves either the old file or the new one, never half of either.

use std::io::Write;
use std::path::Path;

pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, 0o644)
}

/// Like [`write_atomically`], readable by the owner only (keys, token hashes).
pub fn write_private_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode(path, bytes, 0o600)
}

/// Like [`write_private_atomically`], but never over a file: fails with
/// [`std::io::ErrorKind::AlreadyExists`] when `path` exists (a dangling symbolic link
/// included), even one made by another process between a check and the write. For a file the
/// user names, which may be anything of theirs.
pub fn write_private_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode_new(path, bytes, 0o600)
}

/// Like [`write_atomically`] (readable by all), but never over a file, as
/// [`write_private_new`].
pub fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_with_mode_new(path, bytes, 0o644)
}

fn write_with_mode(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    write_with_mode_from(path, mode, |f| f.write_all(bytes))
}

/// [`write_atomically`] of what `write` writes, a piece at a time (through a buffer): for a
/// file too large to be held in memory whole (the acknowledgement history a rebuild carries
/// over). Nothing is left beside `path` when `write` fails.
pub fn write_atomically_from(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    write_with_mode_from(path, 0o644, |f| {
        let mut buffered = std::io::BufWriter::new(f);
        write(&mut buffered)?;
        buffered.flush()
    })
}

fn write_with_mode_from(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let (dir, tmp) = write_temporary(path, mode, write)?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        // A full or read-only disk: no half-written copy is left beside the file.
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    sync_dir(dir)
}

/// The temporary file, written whole and synced, is linked at `path` rather than renamed over
/// it: a link fails where a file exists, so nothing is replaced. A file system without hard
/// links (some network and FAT mounts) gets the rename, once `path` is seen missing.
fn write_with_mode_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let (dir, tmp) = write_temporary(path, mode, |f| f.write_all(bytes))?;
    let placed = match std::fs::hard_link(&tmp, path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
            match std::fs::symlink_metadata(path) {
                Err(missing) if missing.kind() == std::io::ErrorKind::NotFound => {
                    std::fs::rename(&tmp, path)
                }
                Ok(_) => Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists)),
                Err(unknown) => Err(unknown),
            }
        }
        linked => linked,
    };
    let _ = std::fs::remove_file(&tmp);
    placed?;
    sync_dir(dir)
}

/// Writes what `write` writes to a temporary file beside `path` (its directory made when
/// missing, for its owner alone) and syncs it: the directory and the temporary file's path.
/// Nothing is left behind when it fails.
fn write_temporary(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<(&Path, std::path::PathBuf)> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dir(dir)?;
    let (tmp, mut f) = create_temporary(path, mode)?;
    let written = write(&mut f).and_then(|()| f.sync_all());
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok((dir, tmp))
}

/// Makes a new temporary file beside `path`, `path.tmp.<pid>` (the name
/// [`remove_stale_temporaries`] knows), with `mode` from the start. Made, never opened: a file
/// or a symbolic link already under that name (one left by a process killed before, or put
/// there by another user of a shared directory to catch the page) is neither truncated, nor
/// followed, nor taken over; a name after it (`.tmp.<pid>.<n>`) is tried instead.
fn create_temporary(
    path: &Path,
    mode: u32,
) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    let pid = std::process::id();
    let mut last = None;
    for n in 0..64u32 {
        let tmp = match n {
            0 => path.with_extension(format!("tmp.{pid}")),
            n => path.with_extension(format!("tmp.{pid}.{n}")),
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
        match opts.open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    let _ = mode;
    // Not `AlreadyExists`, which a caller takes for the file it writes being there.
    let taken = last.map_or_else(String::new, |e| format!(": {e}"));
    Err(std::io::Error::other(format!(
        "every temporary name beside {} is taken{taken}",
        path.display()
    )))
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    let _ = dir;
    Ok(())
}

/// Makes the directory `dir` (and any parent of it missing) for its owner alone (mode 0700): a
/// data directory holds applicants' personal data (the log, the projections, the evidence), and
/// fjall writes its files under the process's umask, 0644 as a rule, readable by every local
/// user inside a directory they may enter. A directory there already is left as it is
/// ([`open_to_others`] tells whether it is open).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// The mode of the directory `dir` when users other than its owner may enter or list it (any of
/// its group's or others' bits set), `None` when they may not or where there are no such modes.
pub fn open_to_others(dir: &Path) -> std::io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir)?.permissions().mode() & 0o777;
        Ok((mode & 0o077 != 0).then_some(mode))
    }
    #[cfg(not(unix))]
    {
        let _ = std::fs::metadata(dir)?;
        Ok(None)
    }
}

/// Whether process `pid` no longer runs, as this system's `/proc` says; `false` (not known to be
/// gone) where there is no `/proc` to ask. For leftovers named by the process that made them.
pub fn process_is_gone(pid: &str) -> bool {
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()
}

/// The data directory's files [`write_atomically`] writes, by the stem of their temporary name
/// (`gateway.key` → `gateway.tmp.<pid>`): the key, the key kept aside, the region book, the log
/// source, the demo's tokens, the saved feed cursors, the calendar.
const TEMPORARY_STEMS: &[&str] = &[
    "gateway",
    "gateway.key",
    "regions",
    "log-source",
    "demo-tokens",
    "projections.cursors",
    "holidays",
];

/// How old a temporary file must be before its process counts as gone: a process of another pid
/// namespace (a sidecar container on the same volume) is not in this one's `/proc`, and its
/// write takes milliseconds.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Removes the temporary files [`write_atomically`] left in `dir` when its process was killed
/// between writing one and renaming it (`gateway.tmp.<pid>`: the signing key's, for one, mode
/// 0600 and whole). Left behind they stay unmentioned in every later backup of the directory.
/// Only the names this gateway writes ([`TEMPORARY_STEMS`]), a minute old or more, of a pid not
/// running here: a command still writing keeps its own, and a file of the operator's that only
/// looks alike (`regions.json.tmp.20250101`) is not touched. Best effort: what cannot be removed
/// stays.
pub fn remove_stale_temporaries(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.rsplit_once(".tmp."))
            .filter(|(stem, _)| TEMPORARY_STEMS.contains(stem))
            // `<pid>`, or `<pid>.<n>` when the first name was taken ([`create_temporary`]).
            .map(|(_, rest)| match rest.split_once('.') {
                Some((pid, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => pid,
                _ => rest,
            })
            .filter(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        // This process's own pid on a file a minute old or more is an earlier process's that
        // had the same pid (a container's gateway is pid 1 at every start): no write of this
        // one lasts that long.
        let alive = pid != std::process::id().to_string() && !process_is_gone(pid);
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= STALE_AFTER);
        if !alive && stale && entry.file_type().is_ok_and(|t| t.is_file()) {
            match std::fs::remove_file(entry.path()) {
                Ok(()) => tracing::warn!(
                    file = %entry.path().display(),
                    "removed a temporary file its process, killed before renaming it, left"
                ),
                Err(e) => tracing::warn!(
                    file = %entry.path().display(),
                    error = %e,
                    "a temporary file left by a killed process could not be removed"
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Given no data directory, when one is made (and a parent missing with it), then only its
    /// owner may enter either, and it is not said to be open; given one made open to all, it is
    /// said with its mode. (Made with the umask's 0755, fjall's 0644 files inside were readable
    /// by every local user.)
    #[cfg(unix)]
    #[test]
    fn a_data_directory_is_made_for_its_owner_alone() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = crate::testutil::TempDir::new("private-dir");
        let dir = tmp.path().join("parent/data");
        super::create_private_dir(&dir).expect("made");
        for made in [&dir, &tmp.path().join("parent")] {
            let mode = std::fs::metadata(made).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", made.display());
        }
        assert_eq!(super::open_to_others(&dir).expect("read"), None);
        super::create_private_dir(&dir).expect("there already: fine");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        super::create_private_dir(&dir).expect("left as it is");
        assert_eq!(super::open_to_others(&dir).expect("read"), Some(0o755));
    }

    /// Given a file, a dangling symbolic link and a free name, when a file is written there
    /// never over another, then the first two are refused as existing and left as they were,
    /// the third is written whole, for its owner alone, and no temporary file stays.
    #[cfg(unix)]
    #[test]
    fn a_new_file_is_never_written_over_another() {
        use std::os::unix::fs::PermissionsExt;
        let dir = crate::testutil::TempDir::new("write-new");
        let taken = dir.path().join("taken.html");
        std::fs::write(&taken, b"mine").expect("write");
        let dangling = dir.path().join("dangling.html");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("link");
        for there in [&taken, &dangling] {
            let refused = super::write_private_new(there, b"page").expect_err("refused");
            assert_eq!(refused.kind(), std::io::ErrorKind::AlreadyExists);
        }
        assert_eq!(std::fs::read(&taken).expect("read"), b"mine");
        assert!(!dir.path().join("nowhere").exists());
        let free = dir.path().join("sub/free.html");
        super::write_private_new(&free, b"page").expect("written");
        assert_eq!(std::fs::read(&free).expect("read"), b"page");
        let mode = std::fs::metadata(&free).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let left: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from("free.html")]);
        let left = std::fs::read_dir(dir.path()).expect("dir").count();
        assert_eq!(left, 3, "taken, dangling and sub/ only");
    }

    /// Given temporary files of a process that is gone, of a live one and of this one's pid a
    /// minute old (an earlier process's with the same pid: a container's gateway is pid 1),
    /// and files whose names only look alike, when the directory is cleared of stale
    /// temporaries, then those of the process gone and of the earlier pid go.
    #[test]
    fn only_temporaries_of_processes_that_are_gone_are_removed() {
        let dir = crate::testutil::TempDir::new("stale-temps");
        let gone = dir.path().join("gateway.tmp.4294967290");
        // The name after it, taken when the first was there already.
        let gone_next = dir.path().join("gateway.tmp.4294967290.1");
        let recent = dir.path().join("log-source.tmp.4294967291");
        let mine = dir
            .path()
            .join(format!("regions.tmp.{}", std::process::id()));
        let alike = dir.path().join("notes.tmp.txt");
        let operators = dir.path().join("regions.json.tmp.20250101");
        for f in [&gone, &gone_next, &recent, &mine, &alike, &operators] {
            std::fs::write(f, b"x").expect("write");
        }
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(120);
        for f in [&gone, &gone_next, &mine, &alike, &operators] {
            std::fs::File::options()
                .write(true)
                .open(f)
                .and_then(|file| file.set_modified(old))
                .expect("age it");
        }
        let live = dir.path().join("regions.tmp.1");
        std::fs::write(&live, b"x").expect("write");
        std::fs::File::options()
            .write(true)
            .open(&live)
            .and_then(|file| file.set_modified(old))
            .expect("age it");
        super::remove_stale_temporaries(dir.path());
        assert!(!gone.exists() && !gone_next.exists());
        assert!(!mine.exists(), "an earlier process's with this pid");
        assert!(
            recent.exists(),
            "a write of a moment ago may be another namespace's"
        );
        assert!(alike.exists() && operators.exists());
        assert!(
            live.exists() || std::process::id() == 1,
            "a live process's (pid 1 here)"
        );
    }

    /// Given a shared directory where another user left a file and a symbolic link under the
    /// temporary names a write would take (to catch the page, or left by a killed process),
    /// when a page is written beside them, then neither is truncated, followed or removed, the
    /// page is written whole for its owner alone under its own name, and no temporary file of
    /// its own stays.
    #[cfg(unix)]
    #[test]
    fn a_write_takes_over_no_temporary_name_it_did_not_make() {
        use std::os::unix::fs::PermissionsExt;
        let dir = crate::testutil::TempDir::new("write-temporary");
        let page = dir.path().join("dispute.html");
        let pid = std::process::id();
        let planted = dir.path().join(format!("dispute.tmp.{pid}"));
        std::fs::write(&planted, b"theirs").expect("plant");
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o666)).expect("chmod");
        let target = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&target, dir.path().join(format!("dispute.tmp.{pid}.1")))
            .expect("link");
        super::write_private_new(&page, b"<html>evidence</html>").expect("written");
        assert_eq!(
            std::fs::read(&page).expect("page"),
            b"<html>evidence</html>"
        );
        let mode = std::fs::metadata(&page).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read(&planted).expect("theirs"), b"theirs");
        assert!(!target.exists(), "the link was followed");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "dispute.html".to_string(),
                format!("dispute.tmp.{pid}"),
                format!("dispute.tmp.{pid}.1")
            ]
        );
    }
}
