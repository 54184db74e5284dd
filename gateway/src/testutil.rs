//! Helpers shared by this crate's tests.
#![cfg(test)]

use std::path::{Path, PathBuf};

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("tongban-{label}-{}", crate::random::hex(8)));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Copies the tree `from` to `to` (a server's store, while the server is stopped).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("dir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A chain of events of application `app` sealed by `key` one after another, as a gateway would
/// seal them: one per `(kind, data)`, its schema `kind/1`, from region 310000's window.
pub fn sealed_chain<'a>(
    key: &crate::envelope::GatewayKey,
    app: &str,
    events: impl IntoIterator<Item = (&'a str, serde_json::Value)>,
) -> Vec<crate::envelope::Envelope> {
    let mut out: Vec<crate::envelope::Envelope> = Vec::new();
    for (kind, data) in events {
        let content = crate::envelope::Content {
            kind: kind.to_string(),
            schema: format!("{kind}/1"),
            region: "310000".to_string(),
            actor: "window".to_string(),
            at: "2026-12-06T08:00:00Z".to_string(),
            data,
        };
        let next = crate::envelope::Envelope::sealed_after(out.last(), app, content, key);
        out.push(next);
    }
    out
}
