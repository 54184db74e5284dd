//! The region book: which regions take part and which token hashes act for them.
//!
//! Kept as one JSON file written atomically, so `tongban regions add` can change it while a gateway
//! runs; the gateway reloads it when its modification time changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::principal::Principal;
use crate::shown;
use crate::time::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum RegionBookError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// Said by `tongban regions` and at start alike, neither of which writes over the file: the
    /// operator fixes it or restores it.
    #[error(
        "{path} is not a valid region book: {reason}. Fix it by hand or restore it from the \
         backup of its data directory (docs/operations.md, \"Backups\"); nothing was changed"
    )]
    Malformed { path: String, reason: String },
    /// A change `tongban regions` was asked for that would leave a book breaking one of its
    /// rules, which every reader would refuse: not written, the file on disk being the book it
    /// was (a command's own checks missed the rule; no command's input is known to).
    #[error(
        "{path}: the change would break a rule of the region book ({why}), which every reader \
         would then refuse; nothing was written, and the book on disk is as it was"
    )]
    BreaksRule { path: String, why: String },
    /// The code as the operator typed it, quoted only when it has a region code's form: an ID
    /// number typed there is said by its length ([`shown::region`]).
    #[error(
        "region code {} is not a 6-digit GB/T 2260 code",
        shown::said(.0, shown::region)
    )]
    BadCode(String),
    #[error(
        "region code {0} is not in the GB/T 2260 code table that submissions are checked \
         against: no application could name it as a party"
    )]
    UnknownCode(String),
    #[error(
        "region {code} is registered already (as {name}); for another token of it run \
         `tongban regions token {code}`"
    )]
    AlreadyRegistered { code: String, name: String },
    #[error("region name {0}")]
    BadName(&'static str),
    /// Quoted only when it has a region code's form, as [`RegionBookError::BadCode`].
    #[error("{}", unknown_region(.0))]
    UnknownRegion(String),
    /// Quoted only when it has a token id's form ([`shown::token_id`]).
    #[error("no token with id {}", shown::said(.0, shown::token_id))]
    UnknownToken(String),
    #[error("token label {0}")]
    BadLabel(&'static str),
    /// The key is not quoted: `why` says what is wrong with it (its length, the character that
    /// is no hex digit), and anything may have been pasted there.
    #[error("the key given as a request signing key: {why}")]
    BadSigningKey {
        key: String,
        why: crate::envelope::KeyRefusal,
    },
}

/// A region the book does not hold, and how to add it: the code quoted when it has a region
/// code's form, else said by its length, and the command then names `<code>`.
fn unknown_region(code: &str) -> String {
    match shown::quoted(code, shown::region) {
        Some(_) => format!(
            "region {code} is not registered; add it with `tongban regions add {code} <name>`"
        ),
        None => format!(
            "region {} is not registered (a region code is six digits, GB/T 2260); add one \
             with `tongban regions add <code> <name>`",
            shown::said(code, shown::region)
        ),
    }
}

/// The file `regions.json` holds. Operators edit it by hand at times (a region's signing key
/// pasted in), so a member it does not know is refused, named, rather than passed over: a
/// misspelt `signing_key` read as no key would let the region's unsigned requests act, and a
/// misspelt `regions` would serve a book with no region, which the next `tongban regions`
/// command would then write back without what was misspelt. (A book written by a newer build
/// is refused by an older one for the same reason: rewriting it would drop what it holds.)
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BookFile {
    /// A region listed twice is refused ([`unique_regions`]).
    #[serde(default, deserialize_with = "unique_regions")]
    pub regions: BTreeMap<String, RegionEntry>,
    #[serde(default)]
    pub operators: Vec<TokenEntry>,
}

/// The book's regions, refusing a code listed twice: JSON readers take the last of two members
/// of one name, and a second, older entry pasted in would silently drop the first's signing key
/// (the region's unsigned requests acting) or bring back a token it revoked.
fn unique_regions<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, RegionEntry>, D::Error> {
    struct Unique;
    impl<'de> serde::de::Visitor<'de> for Unique {
        type Value = BTreeMap<String, RegionEntry>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of regions by code")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((code, entry)) = map.next_entry::<String, RegionEntry>()? {
                if out.contains_key(&code) {
                    return Err(serde::de::Error::custom(format!(
                        "region {} is listed twice among the regions: keep one entry (the last \
                         would be read alone, dropping what the first holds)",
                        super::book_rules::shown_code(&code)
                    )));
                }
                out.insert(code, entry);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Unique)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RegionEntry {
    pub name: String,
    #[serde(default)]
    pub tokens: Vec<TokenEntry>,
    /// The region's Ed25519 request-signing public key (lowercase hex). When present, every
    /// state-changing request of the region must be signed with it (docs/signed-requests.md), so
    /// a stolen token alone no longer acts for the region and the region's own signature is kept
    /// as evidence of what it sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    /// Whether the region ever had a signing key, kept when the key is removed: its signed
    /// requests' evidence may be in `evidence/`, which a start then does not let go missing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub has_signed: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    pub id: String,
    /// Lowercase hex SHA-256 of the token.
    pub sha256: String,
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// What the operator said the token is for ("window system", "adapter"), so that an actor
    /// named by token id in the log can be told apart. Books written before labels have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What [`RegionBook::revoke`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// The token acted until now and no longer does.
    Revoked,
    /// It had been revoked already, at this time (RFC 3339, UTC); the book is unchanged.
    AlreadyRevoked { at: String },
}

/// The longest label kept, in characters: a note, not a document.
const LABEL_MAX_CHARS: usize = 64;

/// A label as stored ([`one_line`]).
fn checked_label(label: Option<&str>) -> Result<Option<String>, RegionBookError> {
    label
        .map(|label| one_line(label).map_err(RegionBookError::BadLabel))
        .transpose()
}

/// A region's name or a token's label as stored: trimmed, one line of printable text (both are
/// shown in `regions list`'s tab-separated lines, and a terminal escape in one would be played
/// on the operator's terminal), not empty, at most [`LABEL_MAX_CHARS`] characters. Err: the
/// rule broken.
pub(super) fn one_line(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty");
    }
    if text.chars().any(char::is_control) {
        return Err("must be one line without tabs, escapes or other control characters");
    }
    if text.chars().count() > LABEL_MAX_CHARS {
        return Err("must be at most 64 characters");
    }
    Ok(text.to_string())
}

/// A newly minted token: the secret is shown once, then only its hash is kept.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub id: String,
    pub secret: String,
}

struct Loaded {
    /// The file's version when it was read (`None`: there was no file).
    version: Option<Version>,
    /// token hash → principal
    index: BTreeMap<String, Principal>,
    file: BookFile,
}

pub struct RegionBook {
    path: PathBuf,
    loaded: RwLock<Loaded>,
    /// The version of the file that last failed to read, and why: a broken file is warned of
    /// once and not re-read until it changes again (it was a WARN line and a full re-read on
    /// every request), and `/healthz` shows it ([`RegionBook::unreadable`]).
    failed: Mutex<Option<Failed>>,
    /// How often the file was read, for the tests of when it is.
    #[cfg(test)]
    reads: std::sync::atomic::AtomicUsize,
}

/// A version of the file that could not be read.
#[derive(Debug, Clone)]
struct Failed {
    version: Option<Version>,
    why: String,
}

/// Why the region book on disk is not the one in use, as `/healthz` shows it: no path, no token
/// hash, quoted values masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    /// What is wrong with the file, e.g. "not a valid region book: expected `,` or `}` at line
    /// 3 column 5".
    pub why: String,
    /// The failed file's modification time (RFC 3339) and length: the version that is not
    /// re-read until it changes.
    pub modified: Option<String>,
    pub len: u64,
}

fn hash_token(token: &str) -> String {
    crate::hex::encode(&Sha256::digest(token.as_bytes()))
}

/// Which file the book was read from: the modification time alone would miss two writes within
/// one tick of a coarse clock; a rename (how `tongban regions` writes) changes the inode, an
/// edit in place most often the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

impl Version {
    fn of(m: &std::fs::Metadata) -> Version {
        use std::os::unix::fs::MetadataExt;
        Version {
            modified: m.modified().ok(),
            len: m.len(),
            inode: m.ino(),
        }
    }
}

/// A new token, its id unused in `file` (ids are 8 hex digits: two may meet, and a book with an
/// id twice is refused by every reader).
fn mint(file: &BookFile, now: &str, label: Option<String>) -> (IssuedToken, TokenEntry) {
    mint_from(
        std::iter::repeat_with(|| crate::random::hex(4)),
        file,
        now,
        label,
    )
}

/// [`mint`], its id the first of `ids` that `file` does not hold: random ids in use, the ones a
/// test names in its tests (the meeting of two random ids cannot be arranged otherwise).
fn mint_from(
    ids: impl IntoIterator<Item = String>,
    file: &BookFile,
    now: &str,
    label: Option<String>,
) -> (IssuedToken, TokenEntry) {
    let secret = format!("tb_{}", crate::random::hex(32));
    let taken = |id: &str| {
        file.regions
            .values()
            .flat_map(|r| r.tokens.iter())
            .chain(file.operators.iter())
            .any(|t| t.id == id)
    };
    // Ids without end in use; a test's list that runs out leaves the id empty, which the book's
    // rules refuse before anything is written.
    let id = ids.into_iter().find(|id| !taken(id)).unwrap_or_default();
    let entry = TokenEntry {
        id: id.clone(),
        sha256: hash_token(&secret),
        created: now.to_string(),
        revoked: None,
        label,
    };
    (IssuedToken { id, secret }, entry)
}

fn build_index(file: &BookFile) -> BTreeMap<String, Principal> {
    let mut index = BTreeMap::new();
    for (code, region) in &file.regions {
        for t in region.tokens.iter().filter(|t| t.revoked.is_none()) {
            index.insert(
                t.sha256.clone(),
                Principal::Region {
                    code: code.clone(),
                    token_id: t.id.clone(),
                },
            );
        }
    }
    for t in file.operators.iter().filter(|t| t.revoked.is_none()) {
        index.insert(
            t.sha256.clone(),
            Principal::Operator {
                token_id: t.id.clone(),
            },
        );
    }
    index
}

impl RegionBook {
    /// Opens the book at `path`; a missing file is an empty book.
    pub fn open(path: &Path) -> Result<RegionBook, RegionBookError> {
        let book = RegionBook {
            path: path.to_path_buf(),
            loaded: RwLock::new(Loaded {
                version: None,
                index: BTreeMap::new(),
                file: BookFile::default(),
            }),
            failed: Mutex::new(None),
            #[cfg(test)]
            reads: Default::default(),
        };
        book.reload()?;
        Ok(book)
    }

    fn io(&self, source: std::io::Error) -> RegionBookError {
        RegionBookError::Io {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// The file's content and the version it was read at, both from one open handle: a
    /// version taken from the path after reading could be a newer file's (renamed in between by
    /// `tongban regions`), and then that newer file would never be read.
    fn read_file(&self) -> Result<(Option<Version>, BookFile), RegionBookError> {
        use std::io::Read;
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((None, BookFile::default()));
            }
            Err(e) => return Err(self.io(e)),
        };
        let version = f
            .metadata()
            .map(|m| Version::of(&m))
            .map_err(|e| self.io(e))?;
        #[cfg(test)]
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|e| self.io(e))?;
        let malformed = |reason: String| RegionBookError::Malformed {
            path: self.path.display().to_string(),
            reason,
        };
        let file: BookFile = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(tongban_schemas::mask::config_error(&e)))?;
        super::book_rules::check(&file).map_err(malformed)?;
        Ok((Some(version), file))
    }

    /// Re-reads the file; once read, no earlier failure stands.
    pub fn reload(&self) -> Result<(), RegionBookError> {
        self.load()?;
        if let Ok(mut failed) = self.failed.lock() {
            *failed = None;
        }
        Ok(())
    }

    fn load(&self) -> Result<(), RegionBookError> {
        let (version, file) = self.read_file()?;
        let index = build_index(&file);
        if let Ok(mut l) = self.loaded.write() {
            *l = Loaded {
                version,
                index,
                file,
            };
        }
        Ok(())
    }

    /// Re-reads the file when its version is neither the one in use nor one that already
    /// failed. Requests arriving meanwhile wait for the one reading (they would each read it
    /// otherwise).
    fn reload_if_changed(&self) {
        let current = std::fs::metadata(&self.path).ok().map(|m| Version::of(&m));
        let stale = self
            .loaded
            .read()
            .map(|l| l.version != current)
            .unwrap_or(true);
        if !stale {
            return;
        }
        let Ok(mut failed) = self.failed.lock() else {
            return;
        };
        if failed.as_ref().is_some_and(|f| f.version == current) {
            return;
        }
        match self.load() {
            Ok(()) => *failed = None,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "keeping the previous region book, which this gateway goes on serving \
                     (revocations and keys in the file since take no effect); this version of \
                     the file is not read again, and `tongban regions` refuses it, as a start \
                     of the gateway would"
                );
                *failed = Some(Failed {
                    version: current,
                    why: match &e {
                        RegionBookError::Malformed { reason, .. } => {
                            format!("not a valid region book: {reason}")
                        }
                        RegionBookError::Io { source, .. } => {
                            format!("cannot be read: {}", source.kind())
                        }
                        other => other.to_string(),
                    },
                });
            }
        }
    }

    /// Why the file on disk is not the book in use, while a version of it that failed to read
    /// is there; `None` once it reads again.
    ///
    /// The file in use put back (renamed back, or copied with its times, so that it is the
    /// version the book holds) is not stale, so no request reads it again: the failure is
    /// cleared here, where it is reported, instead.
    pub fn unreadable(&self) -> Option<Unreadable> {
        let mut guard = self.failed.lock().ok()?;
        let failed = guard.clone()?;
        let current = std::fs::metadata(&self.path).ok().map(|m| Version::of(&m));
        let in_use = self
            .loaded
            .read()
            .map(|l| l.version == current)
            .unwrap_or(false);
        if in_use && current != failed.version {
            *guard = None;
            return None;
        }
        drop(guard);
        let version = failed.version;
        Some(Unreadable {
            why: failed.why,
            modified: version
                .and_then(|v| v.modified)
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .and_then(|d| i64::try_from(d.as_millis()).ok())
                .map(|ms| Timestamp(ms).to_rfc3339()),
            len: version.map_or(0, |v| v.len),
        })
    }

    /// Reads the file again if it changed since it was read (as each authentication does), so
    /// that what is reported of it (`/metrics`) is current on a gateway no region calls.
    pub fn refresh(&self) {
        self.reload_if_changed();
    }

    /// The principal a bearer token acts as, if any. The file is re-read whenever it changed (one
    /// `stat` per call), so a token added, revoked or rotated by `tongban regions` takes effect on
    /// the next request without a restart.
    pub fn authenticate(&self, token: &str) -> Option<Principal> {
        self.reload_if_changed();
        let hash = hash_token(token);
        self.loaded
            .read()
            .ok()
            .and_then(|l| l.index.get(&hash).cloned())
    }

    pub fn snapshot(&self) -> BookFile {
        self.loaded
            .read()
            .map(|l| l.file.clone())
            .unwrap_or_default()
    }

    /// Whether `code` is a region of this federation (registered in the book).
    pub fn has_region(&self, code: &str) -> bool {
        self.loaded
            .read()
            .map(|l| l.file.regions.contains_key(code))
            .unwrap_or(false)
    }

    pub fn region_name(&self, code: &str) -> Option<String> {
        self.loaded
            .read()
            .ok()
            .and_then(|l| l.file.regions.get(code).map(|r| r.name.clone()))
    }

    /// Reads the book, changes it and writes it back, holding an exclusive lock on
    /// `regions.json.lock` throughout: `tongban regions` commands run at once (a script issuing
    /// tokens, an operator revoking one meanwhile) would otherwise each write back what they
    /// read, the last one undoing the others, so that a token printed as issued does not work
    /// and a revocation reported done is not. The lock is the operating system's (released when
    /// the process ends, however it ends).
    fn update<T>(
        &self,
        change: impl FnOnce(&mut BookFile) -> Result<T, RegionBookError>,
    ) -> Result<T, RegionBookError> {
        let lock_path = self.path.with_extension("json.lock");
        if let Some(dir) = lock_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // `tongban regions add` is how a data directory is begun: made for its owner alone,
            // as `serve` makes one.
            crate::fsutil::create_private_dir(dir).map_err(|e| self.io(e))?;
        }
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|source| RegionBookError::Io {
                path: lock_path.display().to_string(),
                source,
            })?;
        lock.lock().map_err(|source| RegionBookError::Io {
            path: lock_path.display().to_string(),
            source,
        })?;
        let (_, mut file) = self.read_file()?;
        let out = change(&mut file)?;
        // Never a book every reader would refuse: nothing is written then.
        super::book_rules::check(&file).map_err(|why| RegionBookError::BreaksRule {
            path: self.path.display().to_string(),
            why,
        })?;
        let bytes = serde_json::to_vec_pretty(&file).map_err(|e| RegionBookError::Malformed {
            path: self.path.display().to_string(),
            reason: tongban_schemas::mask::config_error(&e),
        })?;
        crate::fsutil::write_private_atomically(&self.path, &bytes).map_err(|e| self.io(e))?;
        drop(lock);
        self.reload()?;
        Ok(out)
    }

    /// Registers a region and issues it a first token, labelled `label` if given.
    pub fn add_region(
        &self,
        code: &str,
        name: &str,
        label: Option<&str>,
    ) -> Result<IssuedToken, RegionBookError> {
        if !crate::domain::is_region_code(code) {
            return Err(RegionBookError::BadCode(code.to_string()));
        }
        if !tongban_schemas::ids::gb2260::is_known(code) {
            return Err(RegionBookError::UnknownCode(code.to_string()));
        }
        let name = one_line(name).map_err(RegionBookError::BadName)?;
        let label = checked_label(label)?;
        let now = Timestamp::now().to_rfc3339();
        self.update(|file| {
            // Adding it again would rename it and issue a token without a word.
            if let Some(known) = file.regions.get(code) {
                return Err(RegionBookError::AlreadyRegistered {
                    code: code.to_string(),
                    name: known.name.clone(),
                });
            }
            let (issued, entry) = mint(file, &now, label);
            file.regions.insert(
                code.to_string(),
                RegionEntry {
                    name,
                    tokens: vec![entry],
                    signing_key: None,
                    has_signed: false,
                },
            );
            Ok(issued)
        })
    }

    /// Issues another token for a registered region (rotation: issue, switch, revoke the old).
    pub fn issue_token(
        &self,
        code: &str,
        label: Option<&str>,
    ) -> Result<IssuedToken, RegionBookError> {
        let label = checked_label(label)?;
        let now = Timestamp::now().to_rfc3339();
        self.update(|file| {
            if !file.regions.contains_key(code) {
                return Err(RegionBookError::UnknownRegion(code.to_string()));
            }
            let (issued, entry) = mint(file, &now, label);
            if let Some(region) = file.regions.get_mut(code) {
                region.tokens.push(entry);
            }
            Ok(issued)
        })
    }

    pub fn issue_operator_token(
        &self,
        label: Option<&str>,
    ) -> Result<IssuedToken, RegionBookError> {
        let label = checked_label(label)?;
        let now = Timestamp::now().to_rfc3339();
        self.update(|file| {
            let (issued, entry) = mint(file, &now, label);
            file.operators.push(entry);
            Ok(issued)
        })
    }

    /// The region's request-signing public key, if it registered one, as the book stood when the
    /// request was authenticated: [`RegionBook::authenticate`] re-reads the file when it changed,
    /// once per request, so `tongban regions key` takes effect on the next request without a
    /// second `stat` here.
    pub fn signing_key(&self, code: &str) -> Option<crate::envelope::PublicKey> {
        self.loaded
            .read()
            .ok()
            .and_then(|l| l.file.regions.get(code)?.signing_key.clone())
            .and_then(|hex| crate::envelope::PublicKey::from_hex(&hex))
    }

    /// Registers (or replaces) a region's request-signing public key; `None` removes it, and the
    /// region's requests are then authenticated by token alone again.
    pub fn set_signing_key(&self, code: &str, key: Option<&str>) -> Result<(), RegionBookError> {
        let key = match key {
            Some(hex) => {
                let hex = hex.trim().to_ascii_lowercase();
                if let Err(why) = crate::envelope::PublicKey::parse_hex(&hex) {
                    return Err(RegionBookError::BadSigningKey { key: hex, why });
                }
                Some(hex)
            }
            None => None,
        };
        self.update(|file| {
            let region = file
                .regions
                .get_mut(code)
                .ok_or_else(|| RegionBookError::UnknownRegion(code.to_string()))?;
            region.has_signed |= key.is_some() || region.signing_key.is_some();
            region.signing_key = key;
            Ok(())
        })
    }

    /// Revokes a token by id, wherever it is. A token revoked already keeps its first
    /// revocation time and the file is not rewritten: the answer says when it was revoked.
    pub fn revoke(&self, token_id: &str) -> Result<Revocation, RegionBookError> {
        let (_, file) = self.read_file()?;
        let mut matching = file
            .regions
            .values()
            .flat_map(|r| r.tokens.iter())
            .chain(file.operators.iter())
            .filter(|t| t.id == token_id)
            .peekable();
        if matching.peek().is_none() {
            return Err(RegionBookError::UnknownToken(token_id.to_string()));
        }
        if let Some(at) = matching
            .map(|t| t.revoked.clone())
            .collect::<Option<Vec<String>>>()
            .and_then(|times| times.into_iter().min())
        {
            return Ok(Revocation::AlreadyRevoked { at });
        }
        let now = Timestamp::now().to_rfc3339();
        self.update(|file| {
            let all = file
                .regions
                .values_mut()
                .flat_map(|r| r.tokens.iter_mut())
                .chain(file.operators.iter_mut());
            let mut found = false;
            for t in all.filter(|t| t.id == token_id) {
                t.revoked.get_or_insert_with(|| now.clone());
                found = true;
            }
            if found {
                Ok(Revocation::Revoked)
            } else {
                Err(RegionBookError::UnknownToken(token_id.to_string()))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    /// Given a book, when sixteen writers (as sixteen `tongban regions` commands) each issue a
    /// token at once, each through a book of its own on the same file, then every token is in
    /// the book and authenticates: no writer undoes another's. (Found by an operator's
    /// walkthrough: 17 of 20 printed tokens were lost, and a revocation reported done could be
    /// undone.)
    #[test]
    fn writers_at_once_lose_nothing() {
        let dir = TempDir::new("book-writers");
        let path = dir.path().join("regions.json");
        RegionBook::open(&path)
            .expect("open")
            .add_region("440000", "广东省", None)
            .expect("add");
        let issued: Vec<IssuedToken> = std::thread::scope(|s| {
            let writers: Vec<_> = (0..16)
                .map(|i| {
                    let path = &path;
                    s.spawn(move || {
                        RegionBook::open(path)
                            .expect("open")
                            .issue_token("440000", Some(&format!("w{i}")))
                            .expect("issue")
                    })
                })
                .collect();
            writers
                .into_iter()
                .map(|w| w.join().expect("writer"))
                .collect()
        });
        let book = RegionBook::open(&path).expect("open");
        assert_eq!(book.snapshot().regions["440000"].tokens.len(), 17);
        for token in &issued {
            assert!(book.authenticate(&token.secret).is_some(), "{}", token.id);
        }
    }

    /// Given a running book whose file is then broken, when requests keep authenticating, then
    /// the broken version is read once (not on every request), the book read before stays in
    /// use, and [`RegionBook::unreadable`] says why with the failed version, its quoted values
    /// masked; once the file changes to a valid one it is read and the failure is gone. Guards
    /// against a WARN line and a full re-read per request.
    #[test]
    fn a_broken_file_is_read_once_per_version_and_reported() {
        let dir = TempDir::new("book-broken");
        let path = dir.path().join("regions.json");
        let book = RegionBook::open(&path).expect("open");
        let gd = book.add_region("440000", "广东省", None).expect("add");
        let good = std::fs::read(&path).expect("read");
        std::fs::write(&path, br#"{"regions": {"440000": "secret-ish"}}"#).expect("break");
        let reads = || book.reads.load(std::sync::atomic::Ordering::Relaxed);
        let before = reads();
        for _ in 0..5 {
            assert!(book.authenticate(&gd.secret).is_some(), "the previous book");
        }
        assert_eq!(reads(), before + 1, "one read of the broken version");
        let u = book.unreadable().expect("reported");
        assert!(u.why.starts_with("not a valid region book"), "{}", u.why);
        assert!(!u.why.contains("secret-ish"), "{}", u.why);
        assert!(u.modified.is_some());
        assert_eq!(u.len, 37);
        // Fixed (another length, so another version): read again, the failure gone.
        std::fs::write(&path, &good).expect("fix");
        assert!(book.authenticate(&gd.secret).is_some());
        assert_eq!(reads(), before + 2);
        assert_eq!(book.unreadable(), None);

        // Broken by a file put in its place, then the file in use put back (its version is the
        // one the book holds, so nothing reads it again): no failure is reported then.
        // (Found by a review: /healthz went on naming the broken file.)
        let aside = dir.path().join("regions.good");
        std::fs::rename(&path, &aside).expect("aside");
        std::fs::write(&path, b"{broken").expect("break");
        assert!(book.authenticate(&gd.secret).is_some());
        assert!(book.unreadable().is_some());
        std::fs::rename(&aside, &path).expect("put back");
        assert!(book.authenticate(&gd.secret).is_some());
        assert_eq!(book.unreadable(), None);
    }

    /// Given a book edited by hand with a member misspelt (the region's signing key, the
    /// regions themselves, a token's label), when it is opened, then it is refused naming the
    /// member and the ones expected, its quoted values masked, and the file is left as it was.
    /// Before, each was passed over: the region acted unsigned, or the book held no region.
    #[test]
    fn a_misspelt_member_is_refused_by_name() {
        let dir = TempDir::new("book-misspelt");
        let path = dir.path().join("regions.json");
        let key = "ab".repeat(32);
        for (file, named) in [
            (
                format!(r#"{{"regions": {{"440000": {{"name": "广东省", "signingkey": "{key}"}}}}}}"#),
                "unknown field `signingkey`, expected one of `name`, `tokens`, `signing_key`",
            ),
            (
                r#"{"region": {"440000": {"name": "广东省"}}}"#.to_string(),
                "unknown field `region`, expected `regions` or `operators`",
            ),
            (
                r#"{"operators": [{"id": "t1", "sha256": "00", "created": "x", "lable": "张三的窗口"}]}"#
                    .to_string(),
                "unknown field `lable`",
            ),
        ] {
            std::fs::write(&path, &file).expect("write");
            let e = RegionBook::open(&path).err().expect("refused").to_string();
            assert!(e.contains(named), "{e}");
            assert!(e.contains("nothing was changed"), "{e}");
            assert_eq!(std::fs::read_to_string(&path).expect("read"), file);
        }
        // A signing key that is no key, or a weak one, pasted in by hand: refused, saying which,
        // rather than read as no key (the region acting unsigned).
        for (value, why) in [
            ("ab".repeat(31), "not 64 hex digits"),
            (
                format!("02{}", "00".repeat(31)),
                "no point of the Ed25519 curve",
            ),
            (
                format!("01{}", "00".repeat(31)),
                "a weak key (small order), refused",
            ),
        ] {
            let file = format!(
                r#"{{"regions": {{"440000": {{"name": "广东省", "signing_key": "{value}"}}}}}}"#
            );
            std::fs::write(&path, &file).expect("write");
            let e = RegionBook::open(&path).err().expect("refused").to_string();
            assert!(
                e.contains("regions.440000.signing_key is ")
                    && e.contains(why)
                    && e.contains("unsigned requests would act"),
                "{e}"
            );
            assert_eq!(std::fs::read_to_string(&path).expect("read"), file);
        }
        // A value of the wrong type is named by its member's rule, the value itself masked;
        // and a person's name put where a member belongs is masked like a value.
        for (file, rule, value) in [
            (
                r#"{"regions": {"440000": {"name": 13987654321}}}"#,
                "invalid type: integer",
                "8765",
            ),
            (
                r#"{"regions": {"440000": {"name": "广东省", "has_signed": "张三丰"}}}"#,
                "invalid type: string",
                "张三",
            ),
            (
                r#"{"regions": {"440000": {"name": "广东省", "张三丰": 1}}}"#,
                "unknown field",
                "三丰",
            ),
        ] {
            std::fs::write(&path, file).expect("w");
            let e = RegionBook::open(&path).err().expect("refused").to_string();
            assert!(e.contains(rule), "{e}");
            assert!(!e.contains(value), "{e}");
        }
    }

    /// Given a running book with a region's signing key, when the file is edited by hand to a
    /// key that is not one, then the book read before stays in use (the region still must sign)
    /// and the failure names `signing_key`; before, the value was read as no key and the
    /// region's unsigned requests acted.
    #[test]
    fn a_signing_key_edited_into_something_else_keeps_the_key_in_use() {
        let dir = TempDir::new("book-bad-key");
        let path = dir.path().join("regions.json");
        let book = RegionBook::open(&path).expect("open");
        let gd = book.add_region("440000", "广东省", None).expect("add");
        let key = crate::envelope::GatewayKey::from_seed([4; 32]).public();
        book.set_signing_key("440000", Some(&key.to_hex()))
            .expect("key");
        let mut file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        file["regions"]["440000"]["signing_key"] = "not a key, 李四".into();
        std::fs::write(&path, serde_json::to_vec(&file).expect("json")).expect("edit");
        assert!(book.authenticate(&gd.secret).is_some());
        assert_eq!(
            book.signing_key("440000").map(|k| k.to_hex()),
            Some(key.to_hex())
        );
        let why = book.unreadable().expect("reported").why;
        assert!(why.contains("regions.440000.signing_key is not"), "{why}");
        assert!(!why.contains("李四"), "{why}");
        let refused = RegionBook::open(&path)
            .err()
            .expect("refused at start")
            .to_string();
        assert!(refused.contains("signing_key is not"), "{refused}");
    }

    /// Given a book edited by hand with a region listed twice, the second entry without the
    /// first's signing key, when it is read, then it is refused naming the region: JSON takes the
    /// last of two members of one name, so the region's unsigned requests acted.
    #[test]
    fn a_region_listed_twice_is_refused() {
        let dir = TempDir::new("book-twice");
        let path = dir.path().join("regions.json");
        let key = crate::envelope::GatewayKey::from_seed([4; 32])
            .public()
            .to_hex();
        let file = format!(
            r#"{{"regions": {{"440000": {{"name": "广东省", "signing_key": "{key}"}},
                "440000": {{"name": "广东省"}}}}}}"#
        );
        std::fs::write(&path, &file).expect("write");
        let e = RegionBook::open(&path).err().expect("refused").to_string();
        assert!(e.contains("region 440000 is listed twice"), "{e}");
    }

    #[test]
    fn tokens_authenticate_until_revoked_and_only_hashes_are_stored() {
        let dir = TempDir::new("book");
        let path = dir.path().join("regions.json");
        let book = RegionBook::open(&path).expect("open");
        let gd = book.add_region("440000", "广东省", None).expect("add");
        let op = book.issue_operator_token(None).expect("operator");
        assert_eq!(
            book.authenticate(&gd.secret),
            Some(Principal::Region {
                code: "440000".into(),
                token_id: gd.id.clone()
            })
        );
        assert!(matches!(
            book.authenticate(&op.secret),
            Some(Principal::Operator { .. })
        ));
        assert_eq!(book.authenticate("tb_guess"), None);
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            !text.contains(&gd.secret),
            "the token itself must not be stored"
        );
        assert!(text.contains(&hash_token(&gd.secret)));

        // Another process (the CLI) adds a token: this book sees it without a restart.
        let other = RegionBook::open(&path).expect("second handle");
        let zj = other.add_region("330000", "浙江省", None).expect("add");
        assert!(book.authenticate(&zj.secret).is_some());

        other.revoke(&gd.id).expect("revoke");
        assert_eq!(book.authenticate(&gd.secret), None);
        assert!(matches!(
            book.revoke("nope"),
            Err(RegionBookError::UnknownToken(_))
        ));
    }

    /// A revocation written with the same modification time as the book it replaces (a rename
    /// within one tick of a coarse clock, or between the gateway's read and its stat) is still
    /// seen: the book tells files apart by inode and length too.
    #[test]
    fn a_revocation_with_the_old_modification_time_is_still_seen() {
        let dir = TempDir::new("book-same-mtime");
        let path = dir.path().join("regions.json");
        let book = RegionBook::open(&path).expect("open");
        let gd = book.add_region("440000", "广东省", None).expect("add");
        assert!(book.authenticate(&gd.secret).is_some());
        let before = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        RegionBook::open(&path)
            .expect("the CLI's handle")
            .revoke(&gd.id)
            .expect("revoke");
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(before))
            .expect("set the old mtime");
        assert_eq!(book.authenticate(&gd.secret), None);
    }

    /// Labels are kept with the token and checked; a book written before labels existed (no
    /// `label` member) still reads, and a token without one is written without the member.
    /// Revoking twice keeps the first time and says so, without rewriting the book.
    #[test]
    fn labels_are_kept_and_a_second_revocation_says_when_the_first_was() {
        let dir = TempDir::new("book-label");
        let path = dir.path().join("regions.json");
        std::fs::write(
            &path,
            r#"{"regions":{"440000":{"name":"广东省","tokens":[{"id":"0a0b0c0d","sha256":"0000000000000000000000000000000000000000000000000000000000000000","created":"2026-01-01T00:00:00.000Z"}]}},"operators":[]}"#,
        )
        .expect("an old book");
        let book = RegionBook::open(&path).expect("open an old book");
        let t = book
            .issue_token("440000", Some("  window system "))
            .expect("labelled");
        let op = book.issue_operator_token(None).expect("operator");
        let file = book.snapshot();
        let tokens = &file.regions["440000"].tokens;
        assert_eq!(tokens[0].label, None);
        assert_eq!(tokens[1].id, t.id);
        assert_eq!(tokens[1].label.as_deref(), Some("window system"));
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.matches("\"label\"").count(), 1, "{text}");
        assert!(!text.contains(&op.secret));
        for bad in ["", " ", "a\tb", "two\nlines", &"长".repeat(65)] {
            assert!(
                matches!(
                    book.issue_token("440000", Some(bad)),
                    Err(RegionBookError::BadLabel(_))
                ),
                "{bad:?}"
            );
        }
        assert_eq!(book.revoke(&t.id).expect("revoke"), Revocation::Revoked);
        let first = book.snapshot().regions["440000"].tokens[1]
            .revoked
            .clone()
            .expect("revoked");
        let before = std::fs::read(&path).expect("read");
        assert_eq!(
            book.revoke(&t.id).expect("again"),
            Revocation::AlreadyRevoked { at: first }
        );
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }

    #[test]
    fn signing_keys_are_registered_validated_and_removed() {
        let dir = TempDir::new("book-key");
        let book = RegionBook::open(&dir.path().join("regions.json")).expect("open");
        book.add_region("440000", "广东省", None).expect("add");
        let public = crate::envelope::GatewayKey::from_seed([7; 32]).public();
        assert!(book.signing_key("440000").is_none());
        book.set_signing_key("440000", Some(&public.to_hex()))
            .expect("set");
        assert_eq!(
            book.signing_key("440000").map(|k| k.to_hex()),
            Some(public.to_hex())
        );
        assert!(matches!(
            book.set_signing_key("440000", Some("abcd")),
            Err(RegionBookError::BadSigningKey {
                why: crate::envelope::KeyRefusal::NotHex,
                ..
            })
        ));
        // A point of small order is a point: refused as weak, not as no point.
        let weak = book
            .set_signing_key("440000", Some(&format!("01{}", "00".repeat(31))))
            .expect_err("weak");
        assert!(
            weak.to_string()
                .contains("a weak key (small order), refused")
                && !weak.to_string().contains("no point"),
            "{weak}"
        );
        assert!(matches!(
            book.set_signing_key("350000", Some(&public.to_hex())),
            Err(RegionBookError::UnknownRegion(_))
        ));
        book.set_signing_key("440000", None).expect("remove");
        assert!(book.signing_key("440000").is_none());
    }

    /// Given a book whose tokens' ids are the next candidates a mint draws (a region's and an
    /// operator's), when a token is minted into it as `tongban regions` does, then it takes the
    /// first candidate the book does not hold, and the book written holds every id once. Before,
    /// the first candidate was taken as it came: two random ids meet now and then, and the
    /// command then failed (the book's rules refuse an id twice) where a new draw succeeds.
    #[test]
    fn a_minted_token_takes_an_id_the_book_does_not_hold() {
        let dir = TempDir::new("book-mint");
        let path = dir.path().join("regions.json");
        let book = RegionBook::open(&path).expect("open");
        let gd = book.add_region("440000", "广东省", None).expect("add");
        let op = book.issue_operator_token(None).expect("operator");
        let candidates = [gd.id.clone(), op.id.clone(), "0000beef".to_string()];
        let now = Timestamp::now().to_rfc3339();
        let minted = book
            .update(|file| {
                let (issued, entry) = mint_from(candidates, file, &now, None);
                file.regions
                    .get_mut("440000")
                    .expect("region")
                    .tokens
                    .push(entry);
                Ok(issued)
            })
            .expect("minted");
        assert_eq!(minted.id, "0000beef");
        assert_eq!(
            book.authenticate(&minted.secret),
            Some(Principal::Region {
                code: "440000".into(),
                token_id: "0000beef".into()
            })
        );
        let file = book.snapshot();
        let ids: Vec<&str> = file.regions["440000"]
            .tokens
            .iter()
            .chain(&file.operators)
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(ids, [gd.id.as_str(), "0000beef", op.id.as_str()]);
    }

    /// Given a book on disk, when a change would leave it breaking a rule of the book (here a
    /// token id it holds already, which no reader takes), then `tongban regions`' write refuses
    /// it saying so, naming the member, and the file is unchanged byte for byte and still the
    /// book in use. Before, the file was written and then refused by every reader, the gateway
    /// starting no more.
    #[test]
    fn a_change_that_breaks_a_rule_is_not_written() {
        let dir = TempDir::new("book-check-before-write");
        let path = dir.path().join("regions.json");
        let book = RegionBook::open(&path).expect("open");
        let gd = book.add_region("440000", "广东省", None).expect("add");
        let before = std::fs::read(&path).expect("book");
        let refused = book
            .update(|file| {
                let copy = file.regions["440000"].tokens[0].clone();
                file.operators.push(TokenEntry {
                    sha256: "cd".repeat(32),
                    ..copy
                });
                Ok(())
            })
            .expect_err("refused");
        let said = refused.to_string();
        assert!(
            matches!(refused, RegionBookError::BreaksRule { .. })
                && said.contains("the change would break a rule of the region book")
                && said.contains(&format!(
                    "operators[0].id {} is also the id of regions.440000.tokens[0]",
                    tongban_schemas::mask::field_name(&gd.id)
                ))
                && said.contains("nothing was written")
                && !said.contains("Fix it by hand"),
            "{said}"
        );
        assert_eq!(std::fs::read(&path).expect("book"), before);
        assert!(
            RegionBook::open(&path).is_ok(),
            "still a book every reader takes"
        );
        assert!(book.authenticate(&gd.secret).is_some());
    }

    #[test]
    fn bad_codes_and_names_are_refused() {
        let dir = TempDir::new("book-bad");
        let book = RegionBook::open(&dir.path().join("regions.json")).expect("open");
        assert!(matches!(
            book.add_region("44000", "x", None),
            Err(RegionBookError::BadCode(_))
        ));
        assert!(matches!(
            book.add_region("999999", "火星", None),
            Err(RegionBookError::UnknownCode(_))
        ));
        assert!(matches!(
            book.add_region("440000", " ", None),
            Err(RegionBookError::BadName("must not be empty"))
        ));
        // Shown in `regions list`'s tab-separated lines, on the operator's terminal.
        for bad in ["evil\nname", "\u{1b}[2J\u{1b}[31mFJ", "广东\t省"] {
            assert!(
                matches!(
                    book.add_region("440000", bad, None),
                    Err(RegionBookError::BadName(rule)) if rule.contains("control characters")
                ),
                "{bad:?}"
            );
        }
        book.add_region("440000", "广东省", None).expect("add");
        let again = book.add_region("440000", "广东", None);
        assert!(
            matches!(&again, Err(RegionBookError::AlreadyRegistered { name, .. }) if name == "广东省"),
            "{again:?}"
        );
        assert_eq!(book.region_name("440000").as_deref(), Some("广东省"));
        assert!(matches!(
            book.issue_token("350000", None),
            Err(RegionBookError::UnknownRegion(_))
        ));
    }
}
