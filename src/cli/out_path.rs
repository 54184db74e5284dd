//! Files the user names for a command to write (`dispute --out FILE`, `schemas export --out
//! DIR`). A path typed wrong must not cost what was there: a command writes no file over another
//! unless told to (`--force`), and never into a gateway's data directory, whatever it is told:
//! `--out DIR/gateway.key` would replace the signing key, `--out DIR/log/0.jnl` the log's
//! journal. Checked before the command reads anything, and again by the write itself, which
//! never replaces a file it was not told to ([`tongban_gateway::fsutil::write_private_new`]).

use std::path::{Component, Path, PathBuf};

use super::CliError;

/// What a command is about to write at a path the user named, and may it.
pub struct OutPath<'a> {
    /// The option that named it, for messages (`--out`).
    option: &'static str,
    path: &'a Path,
    /// `--force`: an existing file (outside any data directory) may be replaced.
    force: bool,
}

impl<'a> OutPath<'a> {
    /// Checks `path`, named with `option`, before anything is written or read: refused when it
    /// is in the data directory `data` (the command's `--data`, when it has one) or in any other
    /// directory that holds a gateway's key ([`data_directory_of`]), compared after `..` and
    /// symbolic links of the path's directories are resolved (the file itself need not exist);
    /// when it is a directory; and, without `force`, when something is there already.
    pub fn check(
        option: &'static str,
        path: &'a Path,
        data: Option<&Path>,
        force: bool,
    ) -> Result<OutPath<'a>, CliError> {
        let out = OutPath {
            option,
            path,
            force,
        };
        let resolved =
            resolve(path).map_err(|e| out.refused(&format!("cannot be resolved: {e}")))?;
        // The data directory both as named (resolved as the path is: `--out /srv/tongban`
        // names the link itself, which replacing would take the gateway's directory away) and
        // followed, when it is a link (`/srv/tongban` to a volume: the path is compared with
        // where its files are too).
        let named = data
            .map(resolve)
            .transpose()
            .map_err(|e| out.refused(&format!("the data directory cannot be resolved: {e}")))?;
        let followed = data.and_then(|d| d.canonicalize().ok());
        if let Some(data) = [named, followed]
            .into_iter()
            .flatten()
            .find(|d| resolved.starts_with(d))
        {
            return Err(out.refused(&format!(
                "is inside the data directory {} (resolved, as {}): nothing is ever written \
                 there but by the gateway; name a file outside it",
                data.display(),
                resolved.display()
            )));
        }
        if let Some(other) = data_directory_of(&resolved) {
            return Err(out.refused(&inside(&other, "a file")));
        }
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => Err(out.refused("is a directory: name a file")),
            Ok(_) if !force => Err(out.exists()),
            _ => Ok(out),
        }
    }

    /// Writes `bytes` there for its owner only (the dispute page holds personal data): over
    /// what is there only with `--force`, else refused if something appeared there since the
    /// check.
    pub fn write_private(&self, bytes: &[u8]) -> Result<(), CliError> {
        let written = match self.force {
            true => tongban_gateway::fsutil::write_private_atomically(self.path, bytes),
            false => tongban_gateway::fsutil::write_private_new(self.path, bytes),
        };
        written.map_err(|e| self.failed(e))
    }

    /// Writes `bytes` there, readable by all (public documents: the schemas).
    pub fn write_public(&self, bytes: &[u8]) -> Result<(), CliError> {
        let written = match self.force {
            true => tongban_gateway::fsutil::write_atomically(self.path, bytes),
            false => tongban_gateway::fsutil::write_new(self.path, bytes),
        };
        written.map_err(|e| self.failed(e))
    }

    fn failed(&self, e: std::io::Error) -> CliError {
        // Made there since the check. (A directory on the way that is a file fails with the
        // same kind: that is said as the error it is.)
        match e.kind() == std::io::ErrorKind::AlreadyExists
            && std::fs::symlink_metadata(self.path).is_ok()
        {
            true => self.exists(),
            false => CliError(format!("writing {}: {e}", self.path.display())),
        }
    }

    fn exists(&self) -> CliError {
        self.refused(
            "is there already: nothing is written over a file unless --force is given (to \
             replace it); name a path where there is none",
        )
    }

    fn refused(&self, why: &str) -> CliError {
        CliError(format!("{} {} {why}", self.option, self.path.display()))
    }
}

/// Refuses `made`, a directory a command makes for its own files under `named` (the directory
/// named with `option`: `bench --work DIR` makes `DIR/tongban-bench-<pid>`), when it would be
/// inside a gateway's data directory ([`data_directory_of`], resolved as [`OutPath::check`]
/// resolves a file's path): the bench's gateways, logs and keys would be made among that
/// gateway's own files, and removed from there afterwards.
pub fn refuse_in_data_directory(
    option: &'static str,
    named: &Path,
    made: &Path,
) -> Result<(), CliError> {
    let refused = |why: String| CliError(format!("{option} {} {why}", named.display()));
    let resolved = resolve(made).map_err(|e| refused(format!("cannot be resolved: {e}")))?;
    match data_directory_of(&resolved) {
        Some(data) => Err(refused(inside(&data, "a directory"))),
        None => Ok(()),
    }
}

/// Why a path inside the data directory `data` is refused, and what to name instead (`a file`,
/// `a directory`).
fn inside(data: &Path, instead: &str) -> String {
    format!(
        "is inside {}, a gateway's data directory (it holds gateway.key): nothing is ever \
         written there but by the gateway; name {instead} outside it",
        data.display()
    )
}

/// `path` made absolute, with the symbolic links and `..` of its directories resolved: the
/// deepest of them that exists as the file system resolves it, the rest (to be made) read as
/// written, `..` taking off the name before it. The last name is not followed: a file is
/// written in place of a link, never through it.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::env::current_dir()?.join(path);
    let (dir, name) = match absolute.components().next_back() {
        Some(Component::Normal(name)) => (absolute.parent().unwrap_or(Path::new("/")), Some(name)),
        _ => (absolute.as_path(), None),
    };
    let mut there: Vec<Component> = dir.components().collect();
    let mut to_make = Vec::new();
    let mut resolved = loop {
        match there.iter().collect::<PathBuf>().canonicalize() {
            Ok(resolved) => break resolved,
            Err(e) => match there.pop() {
                Some(part) if !there.is_empty() => to_make.push(part),
                _ => return Err(e),
            },
        }
    };
    let name = name.map(Component::Normal);
    for part in to_make.into_iter().rev().chain(name) {
        match part {
            Component::ParentDir => {
                resolved.pop();
            }
            Component::Normal(name) => resolved.push(name),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
        }
    }
    Ok(resolved)
}

/// The nearest directory at or above `resolved`'s directory that holds a gateway's signing key
/// (`gateway.key`), taken for a gateway's data directory: another gateway's than the one the
/// command reads, or the one it reads named another way than `--data`.
fn data_directory_of(resolved: &Path) -> Option<PathBuf> {
    resolved
        .parent()?
        .ancestors()
        .find(|dir| dir.join("gateway.key").is_file())
        .map(Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given paths through `..`, a symbolic link to a directory and directories not made yet,
    /// when resolved, then each is where the file system would put it; the last name is not
    /// followed.
    #[cfg(unix)]
    #[test]
    fn a_path_is_resolved_where_a_write_would_land() {
        let base = std::env::temp_dir()
            .canonicalize()
            .expect("tmp")
            .join(format!("tongban-out-path-{}", std::process::id()));
        let data = base.join("data");
        std::fs::create_dir_all(&data).expect("dirs");
        std::os::unix::fs::symlink(&data, base.join("alias")).expect("link");
        std::os::unix::fs::symlink(data.join("gateway.key"), base.join("key-link")).expect("link");
        for (given, lands) in [
            (base.join("data/../data/x.html"), data.join("x.html")),
            (base.join("alias/x.html"), data.join("x.html")),
            (base.join("alias/new/../x.html"), data.join("x.html")),
            (base.join("other/new/../../data/x"), data.join("x")),
            (base.join("alias/new/deeper/x"), data.join("new/deeper/x")),
            (base.join("key-link"), base.join("key-link")),
            (base.join("data/new/.."), data.clone()),
        ] {
            assert_eq!(
                resolve(&given).expect("resolves"),
                lands,
                "{}",
                given.display()
            );
        }
        std::fs::remove_dir_all(&base).expect("clean up");
    }

    /// Given a data directory named through a symbolic link (`/srv/tongban` to a volume), when
    /// `--out` names the link itself, even with `--force`, or a file through it, then it is
    /// refused: replacing the link would take the gateway's directory away.
    #[cfg(unix)]
    #[test]
    fn the_data_directorys_own_link_is_never_written_over() {
        let base = std::env::temp_dir()
            .canonicalize()
            .expect("tmp")
            .join(format!("tongban-out-link-{}", std::process::id()));
        let volume = base.join("volume");
        std::fs::create_dir_all(&volume).expect("dirs");
        let link = base.join("tongban");
        std::os::unix::fs::symlink(&volume, &link).expect("link");
        for out in [
            link.clone(),
            link.join("page.html"),
            volume.join("page.html"),
        ] {
            let refused = OutPath::check("--out", &out, Some(&link), true)
                .err()
                .unwrap_or_else(|| panic!("{} taken", out.display()));
            assert!(
                refused.0.contains("inside the data directory"),
                "{}",
                refused.0
            );
        }
        OutPath::check("--out", &base.join("page.html"), Some(&link), true).expect("beside it");
        std::fs::remove_dir_all(&base).expect("clean up");
    }
}
