//! `tongban serve`: opens a data directory, starts the projector and serves the HTTP API until
//! SIGTERM or Ctrl-C. Every acknowledged event is already fsynced, so shutdown only has to stop
//! taking requests, let in-flight ones finish, and give the projector a moment to take the last
//! writes before the projections are flushed.
//!
//! Data directory layout:
//! - `log/`          the embedded event log (fjall; absent with `--nats`)
//! - `log-source`    which log the projections follow (`embedded` or `jetstream:<stream>:<created>`)
//! - `projections/`  read models (fjall), rebuildable from the log
//! - `evidence/`     the regions' verified request signatures by event id (fjall); not rebuildable,
//!   so a log holding events is not served without it (nor without `regions.json`)
//! - `gateway.key`   the Ed25519 signing key (hex seed, 0600)
//! - `regions.json`  regions and hashed tokens
//! - `holidays.json` optional working-day calendar
//!
//! The directory itself is held by one gateway at a time ([`crate::dir_lock`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::auth::{RegionBook, RegionBookError};
use crate::dir_lock::{DirLock, DirLockError};
use crate::domain::Caps;
use crate::domain::calendar::{Calendar, CalendarError};
use crate::envelope::keys::KeyError;
use crate::envelope::{GatewayKey, PublicKey};
use crate::log::ends::{KeyAtEnds, first_event};
use crate::log::jetstream::{RecordedKey, SIGNER_METADATA, SIGNER_PLACEHOLDER, SetupError};
use crate::log::{EmbeddedLog, EventLog, JetStreamConfig, JetStreamLog, LogError};
use crate::projections::{ProjectionError, ProjectionStore, Submissions};
use crate::service::Gateway;
use crate::time::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    AppIds(#[from] crate::ids::UnknownDerivation),
    #[error(transparent)]
    AppIdsJudged(#[from] crate::log::app_ids::Refused),
    #[error("event log: {0}")]
    Log(#[from] LogError),
    #[error("NATS JetStream: {0}")]
    JetStream(#[from] SetupError),
    #[error("{}", other_log(dir, built_from, now))]
    OtherLog {
        dir: String,
        built_from: String,
        now: String,
    },
    #[error(
        "the projections in {dir} follow the embedded log ({dir}/log, as its log-source says), \
         so this gateway serves no stream from it, and connected to none. To serve the \
         embedded log, start without --nats; its events are not moved onto a stream. To serve \
         a stream, give the gateway a new data directory (docs/operations.md, \"Two ways to \
         run\"), or, with the gateway stopped, `tongban rebuild --nats URL --data {dir}` \
         rebuilds these projections from the stream and binds them to it"
    )]
    FollowsEmbedded { dir: String },
    /// [`ServeError::FollowsEmbedded`] for a directory whose log-source is missing: embedded is
    /// only inferred from `DIR/log` beside the projections, which a directory rebuilt onto a
    /// stream keeps too.
    #[error(
        "{dir} names no log (its log-source is missing: left out of a restore, or from before \
         the file), and an embedded log ({dir}/log) is there beside its projections, so this \
         gateway takes them to follow the embedded log: it serves no stream from them, \
         connected to none, and wrote nothing. If they follow a stream (a directory rebuilt \
         onto one keeps its old log directory), restore log-source with the rest of the \
         directory from its backup, or, with the gateway stopped, `tongban rebuild --nats URL \
         --data {dir}` rebuilds them from the stream and binds them to it. If they follow the \
         embedded log, start without --nats, which writes log-source (docs/operations.md, \
         \"Two ways to run\")"
    )]
    MaybeFollowsEmbedded { dir: String },
    /// A directory a gateway has run on (`found`: its projections or evidence) that names no
    /// log and holds no embedded log, started on the embedded log: it followed a stream, or its
    /// log was left out of a restore. Nothing is made: an empty log there would be bound to it.
    #[error(
        "{dir} names no log (its log-source is missing) and holds no embedded log ({dir}/log), \
         but a gateway has run on it ({found} is there): its projections follow a stream, or \
         its log was left out of a restore. Nothing was started or written. If it served a \
         stream, start with --nats and that stream's servers, which binds it to the stream \
         again; if it served the embedded log, restore {dir}/log and log-source with the rest \
         of the directory from its backup (docs/operations.md, \"Backups\"). To start a new \
         log, use a new data directory, copying in gateway.key, regions.json, holidays.json \
         and adapters/ as they are wanted"
    )]
    NoLogForUsedDir { dir: String, found: String },
    /// A directory whose log-source names the embedded log, without the log: a gateway served
    /// it from there. Nothing is made: an empty log there would be bound to its projections.
    #[error(
        "{dir}'s log-source says it serves the embedded log ({dir}/log), but {dir}/log is not \
         there (left out of a restore, moved, or on a volume that is not mounted): the \
         directory's projections, evidence and the regions' receipts name positions of that \
         log. Nothing was started or written: a new, empty log would number its events from 1 \
         again. Restore {dir}/log from the backup of this data directory (docs/operations.md, \
         \"Backups\"), or mount its volume, and start again. To start a new log, use a new \
         data directory, copying in gateway.key, regions.json, holidays.json and adapters/ as \
         they are wanted"
    )]
    EmbeddedLogMissing { dir: String },
    #[error(
        "{setup}. The projections in {dir} follow {}, so this gateway does not make a new \
         stream there (it would be another log, empty): a gateway creates the stream only on \
         the first start of its data directory. A stream deleted on the right servers is \
         restored from a backup (docs/operations.md, \"Backups\"); to start a new log, use a \
         new data directory",
        describe_log_source(follows)
    )]
    StreamMissing {
        setup: SetupError,
        dir: String,
        follows: String,
    },
    #[error(
        "{setup}. {dir} names no log (its log-source is missing), but a gateway has run on it \
         ({found} is there): it served a stream, and a new one made on these servers would be a \
         second log beside it. Nothing was made. Check --nats, and restore log-source with the \
         rest of the directory from its backup (docs/operations.md, \"Backups\"); to start a \
         new log, use a new data directory, copying in gateway.key, regions.json, holidays.json \
         and adapters/ as they are wanted (without regions.json every province needs a new \
         token)"
    )]
    StreamMissingForUsedDir {
        setup: SetupError,
        dir: String,
        found: String,
    },
    #[error(
        "{dir} holds no gateway.key, and the stream {stream} already has its gateways' key \
         ({has}): copy gateway.key from the data directory of a gateway of this stream into \
         {dir} and start again (docs/operations.md, \"Several gateways on one stream\"). \
         Nothing was started and no key was made: events signed by a new key would never verify \
         under the stream's, and the stream cannot drop them"
    )]
    NoKeyForStream {
        dir: String,
        stream: String,
        /// How the stream has its key: recorded when a gateway made it, or signing its events.
        has: String,
    },
    #[error(
        "the stream {stream} was made by a gateway signing with key id {recorded} (recorded in \
         the stream's metadata, {SIGNER_METADATA}), but {path} is key id {kid}: every gateway of \
         one stream signs with the same key. Copy gateway.key from the data directory of a \
         gateway of this stream (its GET /v1/keys shows the key id) into {dir} and start again. \
         Nothing was started"
    )]
    NotTheRecordedKey {
        stream: String,
        path: String,
        dir: String,
        kid: String,
        recorded: String,
    },
    #[error(
        "the stream {stream} does not record its gateways' public key (its metadata \
         {SIGNER_METADATA}) and holds no event yet, and this gateway could not record its own \
         there: {why}. Nothing was started: without the record, a gateway with another key \
         would start on this stream too, and the events it appended would never verify (the \
         stream refuses deletes). Either grant this gateway's NATS user \
         \"$JS.API.STREAM.UPDATE.{stream}\" for its next start (it records the key then and \
         needs the right no longer), or record \"{SIGNER_METADATA}\": \"{key}\" yourself: read \
         the stream's configuration ($JS.API.STREAM.INFO.{stream}, its \"config\"), add that \
         one entry to its \"metadata\" and send the configuration back to \
         $JS.API.STREAM.UPDATE.{stream}, changing nothing else (docs/operations.md, \"Recording \
         the key on an existing stream\"). The key stays in {path} for that start"
    )]
    KeyNotRecorded {
        stream: String,
        /// The gateway's public key (hex): public, what the operator records.
        key: String,
        path: String,
        why: String,
    },
    #[error(
        "the stream's metadata still holds the docs' placeholder: {SIGNER_METADATA} of the \
         stream {stream} is \"{SIGNER_PLACEHOLDER}\", not a key, from docs/operations.md's \
         configuration sent as it stands. Nothing was started. Record the gateways' public key \
         (64 hex digits: public_key_hex of GET /v1/keys on a gateway that has it) in its place, \
         or, for a stream that holds no event yet, remove the entry and start the first \
         gateway, which records its own or names it: read the stream's configuration \
         ($JS.API.STREAM.INFO.{stream}), change that one entry of its \"metadata\" and send it \
         back to $JS.API.STREAM.UPDATE.{stream} (docs/operations.md, \"Recording the key on an \
         existing stream\")"
    )]
    PlaceholderRecorded { stream: String },
    #[error(
        "the stream {stream} records no readable key in its metadata {SIGNER_METADATA}: {why}. \
         Nothing was started: this gateway cannot tell whether its key is the stream's. Record \
         the gateways' public key there (64 hex digits: public_key_hex of GET /v1/keys on a \
         gateway that has it): read the stream's configuration ($JS.API.STREAM.INFO.{stream}), \
         change that one entry of its \"metadata\" and send it back to \
         $JS.API.STREAM.UPDATE.{stream} (docs/operations.md, \"Recording the key on an \
         existing stream\")"
    )]
    RecordedKeyUnreadable { stream: String, why: String },
    #[error(
        "the first event of the stream {stream} (position {first}) does not verify under \
         {path} (key id {kid}), and the stream records no key of its gateways: the key that \
         sealed its first event is its gateways' key, and every gateway of one stream signs with \
         the same key. Copy gateway.key from the data directory of a gateway of this stream \
         (its GET /v1/keys shows the key id) into {dir} and start again. Nothing was started. \
         If this is the stream's key, the event was altered: `tongban verify --nats URL \
         --public-key HEX` names it"
    )]
    NotTheStreamsKey {
        stream: String,
        path: String,
        dir: String,
        kid: String,
        first: u64,
    },
    #[error(
        "{dir} holds no gateway.key, but its log holds events signed with one (up to position \
         {last}): restore gateway.key from the backup of this data directory \
         (docs/operations.md, \"Backups\") and start again. Nothing was started and no key was \
         made: events signed by a new key would never verify under the log's. If the key is lost \
         for good, the log cannot go on under it: keep this directory to verify what it holds \
         (`tongban verify --public-key HEX`, the key GET /v1/keys served) and start a new log in a \
         new data directory"
    )]
    NoKeyForLog { dir: String, last: u64 },
    #[error(
        "{dir} holds no evidence/, but {log} holds events (up to position {last}): evidence/ \
         keeps the regions' verified request signatures (`request_signatures` of an \
         application's events), which are in no log and cannot be rebuilt. Restore evidence/ \
         from the backup of this data directory (docs/operations.md, \"Backups\") and start \
         again. Nothing was started: a gateway would make an empty one and serve every signed \
         request as if it had not been signed. If the evidence is lost for good, or this \
         directory comes from a version that kept none, create it empty (`mkdir {path}`) and \
         start again: the events appended before then show no request signatures"
    )]
    NoEvidenceForLog {
        dir: String,
        path: String,
        /// The log described: "its log", or the stream the directory follows.
        log: String,
        last: u64,
    },
    #[error(
        "{dir} holds no regions.json, but {log} holds events (up to position {last}): \
         regions.json holds the regions' and operators' token hashes and the regions' \
         request-signing keys, and nothing else has them. Restore it from the backup of this \
         data directory (docs/operations.md, \"Backups\"){also} and start again. Nothing was \
         started. Registering the regions again (`tongban regions add`) is no restore: it \
         issues new tokens, and the provinces' systems hold the old ones. If the book is lost \
         for good, create an empty one (`echo '{{}}' > {path}`), start, and register each \
         region and operator again, giving each province its new token (and registering its \
         signing key again with `tongban regions key`)"
    )]
    NoRegionsForLog {
        dir: String,
        path: String,
        log: String,
        last: u64,
        /// Where else a copy is, on a stream: another gateway's data directory.
        also: String,
    },
    #[error(
        "the events of the log in {dir} ({}) do not verify under {path} (key id {kid}): a \
         gateway goes on signing with the key its log was signed with. Restore that key from \
         the backup of this data directory (docs/operations.md, \"Backups\") and start again. \
         Nothing was started. If this is the log's key, the events were altered: `tongban \
         verify --data {dir} --public-key HEX` names them",
        match (first, last) {
            (f, l) if f == l => format!("position {f}"),
            (f, l) => format!("positions {f} and {l}"),
        }
    )]
    NotTheLogsKey {
        dir: String,
        path: String,
        kid: String,
        first: u64,
        last: u64,
    },
    #[error(
        "the projections in {dir} were applied up to log position {applied}, but the event log \
         ends at {end}: the log lost its last events (a damaged log, or one restored from an \
         older backup than the projections), or this is a copy of a data directory made file by \
         file while a gateway ran (the log copied before the projections moved on: copy the \
         directory again with its gateway stopped). No check of the log alone shows whether \
         the events it lost were sound: {names} names the positions lost, from the \
         projections. Nothing was started: a gateway would append new events at positions the \
         projections count as seen, and never project them. Restore the log from a backup that \
         holds position {applied} (docs/operations.md, \"Backups\"); if those events are gone \
         for good, keep a copy of {dir} (the one record that they existed) and run `tongban \
         rebuild --accept-lost` with the gateway stopped, which rebuilds the projections from \
         the log as it is; `tongban reconcile` against each province's records finds what was \
         lost"
    )]
    LogBehindProjections {
        dir: String,
        applied: u64,
        end: u64,
        /// The command that names the positions lost: `tongban verify` reads the embedded
        /// log's projections; on a stream, `tongban rebuild` (without `--accept-lost`) does.
        names: &'static str,
    },
    #[error(
        "the projections in {dir} were applied up to log position {position}, but the event at \
         that position is not the one they applied there: the log was put back to an older copy \
         and written to since (by another gateway), replaced by another gateway's log, or \
         altered. Nothing was started: this \
         gateway would serve applications the log no longer holds and never show the ones \
         written since. With the gateway stopped, `tongban rebuild` (the same --data and --nats) \
         rebuilds the projections from the log as it is, and `tongban reconcile` against each \
         province's records finds what was lost (docs/operations.md, \"Backups\")"
    )]
    ProjectionsOfAnotherHistory { dir: String, position: u64 },
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error(transparent)]
    Regions(#[from] RegionBookError),
    #[error(transparent)]
    Evidence(#[from] crate::evidence::EvidenceError),
    #[error("{path}: {source}")]
    Calendar { path: String, source: CalendarError },
    #[error("{0}")]
    TestHook(String),
    #[error(
        "the data directory {dir} {why} ({source}): tongban writes its log, projections, key \
         and log-source there from the start. Nothing was started; make the directory writable \
         by the user tongban runs as (or free space), or name another with --data, and start \
         again"
    )]
    DataDirNotWritable {
        dir: String,
        why: &'static str,
        source: std::io::Error,
    },
    #[error(
        "the data directory {dir} is in use by another process: a gateway serving it, or one \
         starting on it. Nothing was started or written. Stop that gateway first (one data \
         directory serves one gateway; several gateways of one stream each have their own), \
         or name another directory with --data"
    )]
    DataDirInUse { dir: String },
    #[error(
        "the data directory {dir} is not a directory (it, or a directory above it, is a file): \
         name a directory with --data (one that is missing is made). Nothing was started"
    )]
    DataDirNotADirectory { dir: String },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// Paths inside a data directory.
#[derive(Debug, Clone)]
pub struct DataDir(pub PathBuf);

impl DataDir {
    pub fn log(&self) -> PathBuf {
        self.0.join("log")
    }
    pub fn projections(&self) -> PathBuf {
        self.0.join("projections")
    }
    pub fn evidence(&self) -> PathBuf {
        self.0.join("evidence")
    }
    pub fn key(&self) -> PathBuf {
        self.0.join("gateway.key")
    }
    pub fn regions(&self) -> PathBuf {
        self.0.join("regions.json")
    }
    pub fn holidays(&self) -> PathBuf {
        self.0.join("holidays.json")
    }
    /// A key made for a first start on a stream, until the stream is known to take it.
    pub fn new_key(&self) -> PathBuf {
        self.0.join("gateway.key.new")
    }
    /// Which log the projections were built from (`embedded`, `jetstream:<stream>:<created>`).
    pub fn log_source(&self) -> PathBuf {
        self.0.join("log-source")
    }
}

/// Ties the data directory's projections to one log. Positions are only meaningful within the
/// log that assigned them, so projections built from one log must never be resumed on another
/// (the embedded log and a stream, or two streams that happen to share a name).
///
/// The file is written whenever it is missing: also for a directory it is inferred for (one
/// from before the marker, or restored without it, holding an embedded log and its projections:
/// [`followed`]). A start calls it only once its checks passed ([`open_embedded`]), so that a
/// refused one leaves a directory naming no log as it came.
pub fn bind_log_source(dir: &DataDir, source: &str) -> Result<(), ServeError> {
    if follows_none(dir, followed(dir)?.as_deref(), source)? || !dir.log_source().exists() {
        rebind_log_source(dir, source)?;
    }
    Ok(())
}

/// Whether the data directory's projections, which follow `follows` ([`followed`]), may follow
/// `source`, and follow no log yet (`true`: `source` is still to be recorded, with
/// [`rebind_log_source`]); refused when they follow another. Writes nothing, so a start refused
/// after this check leaves the directory as it was.
fn follows_none(dir: &DataDir, follows: Option<&str>, source: &str) -> Result<bool, ServeError> {
    match follows {
        Some(existing) if existing == source => Ok(false),
        Some(existing) => Err(ServeError::OtherLog {
            dir: dir.0.display().to_string(),
            built_from: existing.to_string(),
            now: source.to_string(),
        }),
        None => Ok(true),
    }
}

/// The log the data directory's projections follow: as `DIR/log-source` records it, or
/// `embedded` for a directory from before that marker holding an embedded log and its
/// projections; `None` for a directory that follows no log yet.
pub fn followed(dir: &DataDir) -> Result<Option<String>, ServeError> {
    match std::fs::read_to_string(dir.log_source()) {
        Ok(existing) => Ok(Some(existing.trim().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok((dir.log().exists() && dir.projections().exists()).then(|| "embedded".to_string()))
        }
        Err(source) => Err(ServeError::Io {
            what: dir.log_source().display().to_string(),
            source,
        }),
    }
}

/// Records that the data directory's projections now follow `source`, whatever they followed
/// before: for `tongban rebuild`, once the old projections are gone and before the new ones are
/// written.
pub fn rebind_log_source(dir: &DataDir, source: &str) -> Result<(), ServeError> {
    let path = dir.log_source();
    crate::fsutil::write_atomically(&path, format!("{source}\n").as_bytes())
        .map_err(|source| data_dir_io(dir, &path, source))
}

/// Loads the working-day calendar: `holidays.json` in the data dir if present, else Monday–Friday.
pub fn load_calendar(path: &Path) -> Result<Calendar, ServeError> {
    match std::fs::read(path) {
        // Text that is not UTF-8 is said with where, as every file of the operator's is.
        Ok(bytes) => tongban_adapters::codec::utf8_text(bytes)
            .map_err(CalendarError::Text)
            .and_then(|text| Calendar::from_json(&text))
            .map_err(|source| ServeError::Calendar {
                path: path.display().to_string(),
                source,
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Calendar::weekdays()),
        Err(source) => Err(ServeError::Io {
            what: path.display().to_string(),
            source,
        }),
    }
}

/// Says at start what the calendar does not cover, once: a `holidays.json` that lists no date
/// (deadlines count Monday to Friday, as without the file), or one whose last listed year is
/// before the current one (deadlines running into this year count its holidays as working
/// days). Returns the warning, for tests.
fn warn_of_calendar_gaps(calendar: &Calendar, file: bool, now: Timestamp) -> Option<String> {
    let year = now.china_date().ymd().0;
    let warning = match calendar.covered_through() {
        None if file => "holidays.json lists no dates: deadlines count Monday to Friday, public \
             holidays included; add the State Council's holidays and 调休 days"
            .to_string(),
        // Without the file every statutory deadline counts public holidays as working days:
        // said at each start, not only when a file is there but empty.
        None => "no holidays.json in the data directory: deadlines count Monday to Friday, \
             public holidays included; add one with the State Council's holidays and 调休 days \
             (docs/architecture.md, \"holidays.json\"), then restart"
            .to_string(),
        Some(last) if last < year => format!(
            "holidays.json lists dates through {last} only: deadlines due after {last} count \
             Monday to Friday, public holidays included; add the State Council's dates for \
             {year}, then restart and run `tongban rebuild`"
        ),
        _ => return None,
    };
    tracing::warn!("{warning}");
    Some(warning)
}

/// A gateway opened from a data directory, on the embedded log unless said otherwise.
pub struct Opened<L: EventLog = EmbeddedLog> {
    pub gateway: Arc<Gateway<L>>,
    pub book: Arc<RegionBook>,
    /// The data directory, held for as long as the gateway serves from it: keep it until then.
    pub lock: DirLock,
}

/// Makes the data directory if it is missing, and holds it ([`DirLock`]) before anything in it
/// is looked at. A path that is a file, or one the user cannot write, is said as such rather
/// than in the operating system's words alone ("File exists" for a file given as `--data`).
fn take_dir(dir: &DataDir) -> Result<DirLock, ServeError> {
    if let Ok(meta) = std::fs::metadata(&dir.0)
        && !meta.is_dir()
    {
        return Err(ServeError::DataDirNotADirectory {
            dir: dir.0.display().to_string(),
        });
    }
    crate::fsutil::create_private_dir(&dir.0).map_err(|source| data_dir_io(dir, &dir.0, source))?;
    let lock = DirLock::take(&dir.0).map_err(|e| match e {
        DirLockError::Held => ServeError::DataDirInUse {
            dir: dir.0.display().to_string(),
        },
        DirLockError::Io(source) => data_dir_io(dir, &dir.0, source),
    })?;
    // One made by an earlier version, or by hand, may be open to every local user: said at
    // every start, not changed (an operator may have opened it to a backup's group on purpose).
    if let Ok(Some(mode)) = crate::fsutil::open_to_others(&dir.0) {
        tracing::warn!(
            dir = %dir.0.display(),
            mode = %format!("{mode:03o}"),
            "the data directory is open to other local users, and its log, projections and \
             evidence hold applicants' personal data, in files fjall makes readable to all who \
             may enter it: `chmod 700` it unless others must read it (SECURITY.md)"
        );
    }
    crate::fsutil::remove_stale_temporaries(&dir.0);
    Ok(lock)
}

/// An I/O failure writing in the data directory: one that says the directory cannot be written
/// (no permission, a read-only file system, a full disk) is said as such, as the embedded log
/// says it of its own directory; a part of the path that is a file, too. Others name the path.
fn data_dir_io(dir: &DataDir, path: &Path, source: std::io::Error) -> ServeError {
    use std::io::ErrorKind::*;
    let why = match source.kind() {
        PermissionDenied => "is not writable by this user",
        ReadOnlyFilesystem => "is on a read-only file system",
        StorageFull | QuotaExceeded => "is on a full disk",
        NotADirectory => {
            return ServeError::DataDirNotADirectory {
                dir: dir.0.display().to_string(),
            };
        }
        _ => {
            return ServeError::Io {
                what: path.display().to_string(),
                source,
            };
        }
    };
    ServeError::DataDirNotWritable {
        dir: dir.0.display().to_string(),
        why,
        source,
    }
}

/// Wires a gateway on `log` with the data directory's key, projections (opened, and checked
/// against the log, by the caller), calendar and regions, deciding actions under `caps`.
fn open_with<L: EventLog>(
    dir: &DataDir,
    log: L,
    derivation: crate::ids::Derivation,
    store: ProjectionStore,
    caps: Caps,
) -> Result<Wired<L>, ServeError> {
    let key = GatewayKey::load_or_create(&dir.key())?;
    // Before the projector starts, which keeps a clone of the store: its inbox lines offer
    // what the gateway's actions are allowed under these caps.
    let store = store
        .with_submissions(Submissions::for_log(&log))
        .with_caps(caps);
    // Projections are only ever applied from events already durable in the log, so a checkpoint
    // past the log's end means the log lost events since.
    let (applied, end) = (store.checkpoint()?, *log.head().borrow());
    if applied > end {
        return Err(ServeError::LogBehindProjections {
            dir: dir.projections().display().to_string(),
            applied,
            end,
            names: match log.is_local() {
                true => "`tongban verify`",
                false => "`tongban rebuild` (the same --nats and --data, without --accept-lost)",
            },
        });
    }
    let calendar = load_calendar(&dir.holidays())?;
    let calendar_file = dir.holidays().exists();
    warn_of_calendar_gaps(&calendar, calendar_file, Timestamp::now());
    let book = Arc::new(RegionBook::open(&dir.regions())?);
    let delay = match std::env::var_os(PROJECTOR_DELAY_ENV) {
        Some(text) => {
            let ms: u64 = text
                .to_str()
                .and_then(|t| t.trim().parse().ok())
                .ok_or_else(|| {
                    ServeError::TestHook(format!("{PROJECTOR_DELAY_ENV}: expected milliseconds"))
                })?;
            tracing::warn!(
                ms,
                "test hook {PROJECTOR_DELAY_ENV} armed: projections lag on purpose"
            );
            std::time::Duration::from_millis(ms)
        }
        None => std::time::Duration::ZERO,
    };
    if let Some(text) = std::env::var_os(FAIL_PROJECTIONS_AFTER_ENV) {
        let n: u64 = text
            .to_str()
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| {
                ServeError::TestHook(format!(
                    "{FAIL_PROJECTIONS_AFTER_ENV}: expected a count of batches"
                ))
            })?;
        tracing::warn!(
            batches = n,
            "test hook {FAIL_PROJECTIONS_AFTER_ENV} armed: the projection store will fail as \
             on a full disk"
        );
        store.fail_applies_after(n);
    }
    let evidence = crate::evidence::EvidenceStore::open(&dir.evidence())?;
    let mut gateway =
        Gateway::start_with_projector_delay(Arc::new(log), key, store, calendar, delay);
    gateway.evidence = Some(evidence);
    gateway.calendar_file = Some(calendar_file);
    gateway.regions = Some(Arc::clone(&book));
    gateway.app_ids = crate::ids::AppIds::new(derivation, &gateway.key);
    let gateway = Arc::new(gateway);
    Ok(Wired { gateway, book })
}

/// A gateway wired on its stores, not yet holding its data directory's lock ([`Opened`]).
struct Wired<L: EventLog> {
    gateway: Arc<Gateway<L>>,
    book: Arc<RegionBook>,
}

impl<L: EventLog> Wired<L> {
    fn holding(self, lock: DirLock) -> Opened<L> {
        Opened {
            gateway: self.gateway,
            book: self.book,
            lock,
        }
    }
}

/// Refuses to serve a log that holds events (up to `head`) from a data directory without its
/// `regions.json`, or without its `evidence/` while a region of the book signs its requests: what no log holds and nothing rebuilds, so a directory
/// restored without them must not start as if they were empty. Opening would make an empty
/// evidence store and serve every signed request as unsigned; an empty book leaves every region
/// locked out, and registering the regions again issues new tokens in place of the ones the
/// provinces hold. As with a missing `gateway.key` ([`check_log_key`]), nothing is made: the
/// operator restores the file, or makes an empty one by hand to go on knowingly. `stream` is the
/// stream a directory that follows one serves (a directory joining a stream is not checked: it
/// has no evidence yet, and its book is copied in).
fn check_kept_files(dir: &DataDir, head: u64, stream: Option<&str>) -> Result<(), ServeError> {
    if head == 0 {
        return Ok(());
    }
    let exists = |path: &Path| {
        path.try_exists().map_err(|source| ServeError::Io {
            what: path.display().to_string(),
            source,
        })
    };
    let log = match stream {
        Some(stream) => format!("the stream {stream} it follows"),
        None => "its log".to_string(),
    };
    if !exists(&dir.regions())? {
        return Err(ServeError::NoRegionsForLog {
            dir: dir.0.display().to_string(),
            path: dir.regions().display().to_string(),
            log,
            last: head,
            also: match stream {
                Some(stream) => format!(
                    ", or copy it from the data directory of another gateway of the stream \
                     {stream} (they all serve the same book)"
                ),
                None => String::new(),
            },
        });
    }
    // Evidence is kept only of signed requests: without a region that signs or ever signed
    // (its key removed since), none was ever kept (a directory from before evidence was kept,
    // or one whose regions never sign), and an empty store loses nothing.
    let signs = || {
        crate::auth::book::RegionBook::open(&dir.regions())
            .map(|book| {
                book.snapshot()
                    .regions
                    .values()
                    .any(|r| r.signing_key.is_some() || r.has_signed)
            })
            .unwrap_or(true)
    };
    if !exists(&dir.evidence())? && signs() {
        return Err(ServeError::NoEvidenceForLog {
            dir: dir.0.display().to_string(),
            path: dir.evidence().display().to_string(),
            log,
            last: head,
        });
    }
    Ok(())
}

/// Test hook: `TONGBAN_TEST_FAIL_FSYNC_AFTER=<n>` makes the embedded log's fsync after the next
/// `n` fail, so end-to-end tests can watch the running binary meet a broken disk (503s, nothing
/// unacknowledged visible, reads still served). Never set in production; a warning says it is.
pub const FAIL_FSYNC_AFTER_ENV: &str = "TONGBAN_TEST_FAIL_FSYNC_AFTER";

/// Test hook: `TONGBAN_TEST_PROJECTOR_DELAY_MS=<ms>` makes the projector wait before applying each
/// batch, so an end-to-end test can kill the process after acknowledged appends and before their
/// projection (writers are answered once their events are durable; reads wait 2 s at most for
/// the projections, then answer from what they hold). Never set in production; a warning says
/// it is.
pub const PROJECTOR_DELAY_ENV: &str = "TONGBAN_TEST_PROJECTOR_DELAY_MS";

/// Test hook: `TONGBAN_TEST_FAIL_PROJECTIONS_AFTER=<n>` lets the projector apply `n` batches,
/// then makes every apply fail as fjall does once a write or flush failed on a full disk
/// (`Poisoned`), so end-to-end tests can watch the running binary meet a projection store that
/// does not recover (`/healthz` degraded, reads answered at once and marked stale, writes still
/// taken). Never set in production; a warning says it is.
pub const FAIL_PROJECTIONS_AFTER_ENV: &str = "TONGBAN_TEST_FAIL_PROJECTIONS_AFTER";

/// Opens the gateway on the data directory's embedded log. Nothing in the directory is bound to
/// the embedded log until every check has passed: a refused start writes no `log-source`, and
/// removes the log, projections and evidence directories and the key it made, so that the
/// directory is left as it came (a stream's directory started here by mistake stays the
/// stream's). Removing them is sound because the directory is held ([`DirLock`]) from before
/// anything in it was looked at: what this start found missing, no other process made since.
pub fn open_embedded(dir: &DataDir) -> Result<Opened, ServeError> {
    open_embedded_capped(dir, Caps::DEFAULT)
}

/// [`open_embedded`], deciding actions under `caps` (`tongban serve --max-suspensions`).
pub fn open_embedded_capped(dir: &DataDir, caps: Caps) -> Result<Opened, ServeError> {
    let lock = take_dir(dir)?;
    let follows = followed(dir)?;
    let named = dir.log_source().exists();
    let record = follows_none(dir, follows.as_deref(), "embedded")? || !named;
    // Named by its log-source, the embedded log was here when a gateway last started: gone, or
    // an empty directory (the mount point of a volume not mounted), it was lost, moved, or is
    // on a volume not mounted now. A new, empty one would take the positions the projections,
    // evidence and regions' receipts already name.
    if named && follows.as_deref() == Some("embedded") && holds_no_store(&dir.log()) {
        return Err(ServeError::EmbeddedLogMissing {
            dir: dir.0.display().to_string(),
        });
    }
    if !dir.log().exists()
        && follows.is_none()
        && let Some(found) = earlier_life(dir)
    {
        return Err(ServeError::NoLogForUsedDir {
            dir: dir.0.display().to_string(),
            found,
        });
    }
    let made = missing([dir.log(), dir.projections(), dir.evidence(), dir.key()]);
    let opened = open_embedded_checked(dir, caps).and_then(|wired| {
        if record {
            rebind_log_source(dir, "embedded")?;
        }
        Ok(wired)
    });
    match opened {
        Ok(wired) => Ok(wired.holding(lock)),
        Err(refused) => {
            // Refused because another process holds the log though not the directory (a
            // gateway of an earlier version, which took no directory lock): what this one found
            // missing may be that one's now, and is left alone.
            if !matches!(&refused, ServeError::Log(LogError::InUse { .. })) {
                remove_made(&made, &lock);
            }
            Err(refused)
        }
    }
}

/// Which of `paths` are not there at all: what a start that is refused removes again. Only
/// what the file system says is missing: a path whose metadata does not read for another reason
/// (an I/O error, a stale handle) may be the log or the key, and is never counted. A symbolic
/// link to a volume not mounted yet is there.
fn missing<const N: usize>(paths: [PathBuf; N]) -> Vec<PathBuf> {
    paths
        .into_iter()
        .filter(|p| {
            std::fs::symlink_metadata(p).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        })
        .collect()
}

/// Removes what a refused start made (directories, or the key file), best effort: what cannot
/// be removed is warned of, to be removed by hand before the next start. Only while the data
/// directory is held (`_held`): no other start can have found these and opened them since.
fn remove_made(made: &[PathBuf], _held: &DirLock) {
    for path in made {
        let removed = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(e) => Err(e),
        };
        if let Err(e) = removed
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(
                path = %path.display(),
                error = %e,
                "a refused start could not remove what it made; remove it before the next"
            );
        }
    }
}

/// What a gateway that ran on the data directory left: its projections or its evidence (the
/// first found), whatever log it followed.
fn earlier_life(dir: &DataDir) -> Option<String> {
    [dir.projections(), dir.evidence()]
        .iter()
        .find(|p| holds_anything(p))
        .map(|p| p.display().to_string())
}

/// Whether a directory holds anything: an empty one (a mount point made ready, with
/// `lost+found` at most), or none there, holds no store.
fn holds_anything(path: &Path) -> bool {
    std::fs::read_dir(path)
        .is_ok_and(|mut entries| entries.any(|e| e.is_ok_and(|e| e.file_name() != "lost+found")))
}

/// Whether `path` is known to hold no store: not there (or a link to nothing), or an empty
/// directory. One that cannot be read is not known to be empty: opening it says why.
fn holds_no_store(path: &Path) -> bool {
    match std::fs::read_dir(path) {
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        Ok(_) => !holds_anything(path),
    }
}

/// [`open_embedded`]'s opening and checks, which may make the log, projections, evidence and
/// key.
fn open_embedded_checked(dir: &DataDir, caps: Caps) -> Result<Wired<EmbeddedLog>, ServeError> {
    let log = EmbeddedLog::open(&dir.log())?;
    log.check_last_event()?;
    check_log_key(dir, &log)?;
    let store = ProjectionStore::open(&dir.projections())?;
    // Its single writer numbers the log, so projections of another history can only come
    // from outside: a log directory copied in from another gateway's data directory (with the
    // same key), its projections left in place.
    if let Some((applied, expected)) = checkpoint_to_check(&store, *log.head().borrow())? {
        judge_checkpoint(dir, applied, &expected, log.read_at_sync(&[applied]))?;
    }
    if let Some(text) = std::env::var_os(FAIL_FSYNC_AFTER_ENV) {
        let n: u64 = text
            .to_str()
            .and_then(|t| t.trim().parse().ok())
            .ok_or_else(|| {
                ServeError::TestHook(format!("{FAIL_FSYNC_AFTER_ENV}: expected a count"))
            })?;
        tracing::warn!(
            fsyncs = n,
            "test hook {FAIL_FSYNC_AFTER_ENV} armed: the event log will fail an fsync"
        );
        log.fail_fsync_after(n);
    }
    check_kept_files(dir, *log.head().borrow(), None)?;
    let derivation = embedded_derivation(dir, &log)?;
    open_with(dir, log, derivation, store, caps)
}

/// How the embedded log's application ids derive: its record (`log/app-ids`) judged against its
/// own submissions ([`crate::log::app_ids`]); a new log is keyed. What was judged is recorded
/// where the record is missing or narrower (a log of a version before keyed ids, a record lost,
/// submissions of both derivations), so that the next start has it.
fn embedded_derivation(
    dir: &DataDir,
    log: &EmbeddedLog,
) -> Result<crate::ids::Derivation, ServeError> {
    use crate::ids::{Derivation, UnknownDerivation};
    let path = dir.log().join(crate::log::embedded::APP_IDS_FILE);
    let at = path.display().to_string();
    let io = |e: std::io::Error| ServeError::Log(LogError::Storage(format!("{at}: {e}")));
    let recorded = match std::fs::read_to_string(&path) {
        Ok(text) => Some(
            Derivation::recorded(&text).ok_or_else(|| UnknownDerivation {
                at: at.clone(),
                empty: text.trim().is_empty(),
            })?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    // A log that holds events has its key (`check_log_key`); a new one has none yet, nor a
    // submission to judge by it, and is judged keyed whatever key is given.
    let key = GatewayKey::load(&dir.key())?.unwrap_or_else(GatewayKey::generate);
    let judged = crate::log::app_ids::judge_embedded(log, &key, recorded)?;
    told_of(&judged, recorded, &at);
    // Recorded as judged, for the next start and a backup: a record missing, a new log's, or
    // one the log's own submissions widened.
    if recorded != Some(judged.derivation) {
        crate::fsutil::write_atomically(
            &path,
            format!("{}\n", judged.derivation.word()).as_bytes(),
        )
        .map_err(io)?;
    }
    Ok(judged.derivation)
}

/// Warns of what a start judged of its log's application ids that an operator must know (the
/// positions of submissions, never their keys: a province's numbers): a record found missing
/// where the submissions tell, submissions made under both derivations or under another than
/// the record's, and a log that stays unkeyed.
fn told_of(
    judged: &crate::log::app_ids::Judged,
    recorded: Option<crate::ids::Derivation>,
    at: &str,
) {
    use crate::ids::Derivation;
    let derivation = judged.derivation.word();
    if recorded.is_none() && judged.from_submissions {
        tracing::warn!(
            record = at,
            derivation,
            "the log records no derivation of its application ids: its own submissions under \
             Idempotency-Keys tell it, and the gateway goes on with it"
        );
    }
    if let Some((first, latest)) = judged.mixed {
        tracing::warn!(
            first = first.position,
            latest = latest.position,
            derivation,
            "the log's submissions under Idempotency-Keys were made under two derivations of \
             application ids (the first near its start, the latest near its end): a gateway of \
             a version before keyed ids wrote to a keyed log (a rollback), or the other way. New \
             keys get keyed ids, and a retry of a submission made unkeyed is still answered \
             with its application. Stop every gateway of a version before keyed ids on this log: \
             a retry through one of a keyed submission is taken as a second application"
        );
    }
    if let (Some(made), Some(recorded)) = (judged.against_record, recorded) {
        tracing::warn!(
            record = at,
            recorded = recorded.word(),
            position = made.position,
            derivation,
            "the submission at this log position under an Idempotency-Key was made under another \
             derivation of application ids than the log records (a gateway of a version before \
             keyed ids wrote to a keyed log, or a record copied in from another log): new keys \
             get keyed ids, and a retry of a submission made unkeyed is still answered with its \
             application"
        );
    }
    if judged.derivation == Derivation::Unkeyed {
        tracing::warn!(
            record = at,
            "this log was made before keyed application ids: the id of an application \
             submitted with an Idempotency-Key is a hash of the region and the key that anyone \
             who guesses the key can recompute. To move it to keyed ids with every retry still \
             answered, record keyed/v2+unkeyed-retries (docs/operations.md, \"Application ids\")"
        );
    }
}

/// A gateway whose log is a JetStream stream (shared with other gateways); projections, key and
/// regions stay in the data directory. Refuses servers below 2.10 and unsafe streams.
pub async fn open_jetstream(
    dir: &DataDir,
    config: &JetStreamConfig,
) -> Result<Opened<JetStreamLog>, ServeError> {
    open_jetstream_capped(dir, config, Caps::DEFAULT).await
}

/// [`open_jetstream`], deciding actions under `caps` (`tongban serve --max-suspensions`).
pub async fn open_jetstream_capped(
    dir: &DataDir,
    config: &JetStreamConfig,
    caps: Caps,
) -> Result<Opened<JetStreamLog>, ServeError> {
    let lock = take_dir(dir)?;
    // A data directory that follows a log already (a stream, or the embedded log) is never given
    // a new stream: a missing stream there is a wrong --nats (or a stream deleted), not a first
    // start, and a stream made there would be another log, which the start refuses anyway.
    let follows = followed(dir)?;
    // Projections of the embedded log are never served from a stream: refused before anything
    // connects, so that the refusal is this one, whether the servers are reachable or not.
    if follows.as_deref() == Some("embedded") {
        let named = dir.log_source().exists();
        let dir = dir.0.display().to_string();
        return Err(match named {
            true => ServeError::FollowsEmbedded { dir },
            false => ServeError::MaybeFollowsEmbedded { dir },
        });
    }
    let mut config = config.clone();
    // Nor is one that a gateway has run on, though it names no log (its `log-source` left out
    // of a restore): its projections or its evidence say it served a stream, and a stream made
    // now, on whatever servers --nats reaches, would be a second log beside that one.
    let earlier_life = earlier_life(dir);
    config.create_missing = follows.is_none() && earlier_life.is_none();
    // The directory's key, or one made for it and kept aside (`gateway.key.new`) until the stream
    // is known to have no other: recorded in the stream if this start makes it. Kept on disk
    // before the stream can record it, so that a start interrupted between the two finds the
    // key the stream recorded next time, instead of a stream whose key nobody holds.
    let (saved, kept_aside) = stream_key_candidate(dir)?;
    if saved.is_some() && dir.new_key().exists() {
        // Left by a first start interrupted before a key was copied in: it may be the only copy
        // of the key a stream made then recorded, so it is not removed here.
        tracing::warn!(
            path = %dir.new_key().display(),
            "a key kept aside by an interrupted first start is still here beside gateway.key; \
             remove it once no stream records it (docs/operations.md, \"Adding a gateway\")"
        );
    }
    let made_now = saved.is_none() && kept_aside.is_none();
    let key = match (&saved, kept_aside) {
        (Some(key), _) => key.clone(),
        (None, Some(key)) => key,
        (None, None) => {
            let key = GatewayKey::generate();
            key.save(&dir.new_key())?;
            key
        }
    };
    config.signer = Some(key.public().to_hex());
    // The projections' log is checked before the cursors' bucket is bound to the stream (which
    // drops another stream's cursors), and recorded only once the key and the projections'
    // checkpoint are checked too: a start that is refused changes nothing in the data directory.
    let mut first_start: Option<String> = None;
    let opening = JetStreamLog::open_checked(&config, |source| {
        if follows_none(dir, follows.as_deref(), source)? {
            first_start = Some(source.to_string());
        }
        Ok::<(), ServeError>(())
    })
    .await;
    // A start refused before it made a stream (NATS down, a wrong password, an unsafe stream
    // already there) recorded its new key nowhere: it does not stay, to be warned of at every
    // later start as if a stream might hold it.
    if made_now
        && let Err(ServeError::JetStream(setup)) = &opening
        && setup.made_no_stream()
    {
        let _ = std::fs::remove_file(dir.new_key());
    }
    let log = match opening {
        Err(ServeError::JetStream(setup @ SetupError::NoStream { .. })) => {
            return Err(match (follows, earlier_life) {
                (Some(follows), _) => ServeError::StreamMissing {
                    setup,
                    dir: dir.0.display().to_string(),
                    follows,
                },
                (None, Some(found)) => ServeError::StreamMissingForUsedDir {
                    setup,
                    dir: dir.0.display().to_string(),
                    found,
                },
                (None, None) => ServeError::JetStream(setup),
            });
        }
        other => other?,
    };
    // Not this stream's key: a key made by this start does not stay. One kept aside by an
    // earlier, interrupted start does: it may be the only copy of the key another stream (the
    // right one, behind a mistyped --nats) recorded.
    let refuse = |refused: ServeError| {
        if made_now {
            let _ = std::fs::remove_file(dir.new_key());
        }
        Err(refused)
    };
    let record = match check_stream_key(dir, &log, &config.stream, &key, saved.is_some()).await {
        Ok(record) => record,
        Err(refused) => return refuse(refused),
    };
    let hex = key.public().to_hex();
    match record {
        KeyRecord::Held => {}
        // A stream in use without the record: this gateway's key sealed its first event, so it
        // is the stream's. Recorded if the gateway may; an upgrade of a fleet whose users hold
        // no stream update right starts anyway, told how to record it.
        KeyRecord::Wanted => match log.record_signer(&hex).await {
            Ok(Some(now)) if now.is(&key.public()) => {
                tracing::info!(kid = %key.public().kid(), "recorded this gateway's public key in the stream's metadata (tongban.public_key)");
            }
            Ok(other) => {
                return refuse(recorded_meanwhile(dir, &config.stream, &key, &saved, other));
            }
            Err(why) => tracing::warn!(
                stream = %config.stream,
                key = %hex,
                error = %why,
                "the stream records no public key of its gateways (tongban.public_key), and this \
                 gateway could not record its own there; it starts, since its key verifies the \
                 stream's first event. Record it once: read the stream's configuration \
                 ($JS.API.STREAM.INFO.<stream>), add \"tongban.public_key\": \"<key>\" to its \
                 metadata and send it back to $JS.API.STREAM.UPDATE.<stream> (docs/operations.md, \
                 \"Recording the key on an existing stream\"), or grant this user that subject for \
                 one start"
            ),
        },
        // An empty stream without the record: recorded, or no start, since a second gateway
        // with a key of its own would start there as well. Read back once more after a request
        // timeout: two gateways recording at once each read their own key back until the later
        // update lands, and the one that lost stops here (the head poll stops one that loses
        // later still, before it appends more: [`JetStreamLog`]'s poll of the metadata).
        KeyRecord::Required => {
            let recorded = match log.record_signer(&hex).await {
                Ok(Some(now)) if now.is(&key.public()) => {
                    tokio::time::sleep(config.op_timeout).await;
                    log.read_signer().await
                }
                other => other,
            };
            match recorded {
                Ok(Some(now)) if now.is(&key.public()) => {}
                Ok(Some(other)) => {
                    let other = Some(other);
                    return refuse(recorded_meanwhile(dir, &config.stream, &key, &saved, other));
                }
                Ok(None) | Err(_) => {
                    let why = match recorded {
                        Err(why) => why,
                        _ => "the stream's metadata does not hold it once updated".to_string(),
                    };
                    return Err(ServeError::KeyNotRecorded {
                        stream: config.stream.clone(),
                        key: hex,
                        path: match saved {
                            Some(_) => dir.key(),
                            None => dir.new_key(),
                        }
                        .display()
                        .to_string(),
                        why,
                    });
                }
            }
        }
    }
    if saved.is_none() {
        // The key kept aside becomes the directory's (a rename: never two keys half-written).
        std::fs::rename(dir.new_key(), dir.key()).map_err(|source| ServeError::Io {
            what: dir.key().display().to_string(),
            source,
        })?;
    }
    // A directory new to the stream (a gateway joining it) has no evidence of its own yet, and
    // its book is copied in from another gateway's, which the start warns of when it is not.
    // (A directory a gateway has run on is not new, whatever its log-source says.)
    let joining = first_start.is_some() && earlier_life.is_none();
    // What a refused start from here on removes: the projections and evidence it made (left,
    // they would make the next start take the directory for one a gateway has run on), and the
    // log-source it wrote. Not the key: the stream may record it now.
    let mut made = missing([dir.projections(), dir.evidence()]);
    let wired = async {
        let store = ProjectionStore::open(&dir.projections())?;
        if let Err(e) = check_checkpoint_event(&store, dir, &log).await {
            // A read the server refused for lack of a right times out: name the right.
            return Err(match log.refused_right() {
                Some(violation) => ServeError::JetStream(SetupError::Denied { violation }),
                None => e,
            });
        }
        if !joining {
            check_kept_files(dir, *log.head().borrow(), Some(&config.stream))?;
        }
        // Recorded once the projections are known to follow this stream: a start refused
        // before leaves the directory naming no log, as it came.
        if let Some(source) = &first_start {
            rebind_log_source(dir, source)?;
            made.push(dir.log_source());
        }
        let recorded = log.recorded_derivation()?;
        // A stream that says nothing of its ids (no record, no submission under a key near its
        // ends) may have keyed and unkeyed submissions anywhere: new keys keyed, both retries
        // found, whatever another gateway of it judged.
        // Read into a binding: a guard borrowed as an argument would live until the statement
        // ends, across the judging's reads, and a head moved meanwhile (another gateway's
        // append pushed) would wait for it while the reads wait behind that writer: a start
        // that hung for good (found by a two-gateway test).
        let end = *log.head().borrow();
        let judged =
            crate::log::app_ids::judge(|from, max| log.entries(from, max), end, &key, recorded)
                .await?;
        told_of(&judged, recorded, &log.derivation_record());
        // Recorded in the stream's metadata where it is missing or narrower, so that every
        // gateway of the stream, and the next start, judges alike even once the submissions
        // that told it are past both ends' windows.
        if recorded != Some(judged.derivation)
            && let Err(why) = log.record_derivation(judged.derivation).await
        {
            tracing::warn!(
                derivation = judged.derivation.word(),
                error = %why,
                "the stream's metadata could not be given its derivation of application ids: \
                 set tongban.app_ids to this word on the stream by hand (docs/operations.md, \
                 \"Application ids\"), or a later start may judge otherwise"
            );
        }
        open_with(dir, log, judged.derivation, store, caps)
    }
    .await;
    let opened = match wired {
        Ok(wired) => wired.holding(lock),
        Err(refused) => {
            remove_made(&made, &lock);
            return Err(refused);
        }
    };
    if let Err(e) = share_cursors(&opened.gateway, &opened.book).await {
        tracing::warn!(error = %e, "the feed cursors are not ready; trying again in the background");
        let (gateway, book) = (Arc::clone(&opened.gateway), Arc::clone(&opened.book));
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CURSORS_RETRY).await;
                match share_cursors(&gateway, &book).await {
                    Ok(()) => break,
                    Err(e) => tracing::warn!(error = %e, "the feed cursors are still not ready"),
                }
            }
        });
    }
    Ok(opened)
}

/// Refuses projections applied from another history than the log's: the event at their
/// checkpoint is not the one they applied there. A stream put back to an older copy and written
/// to since (by another gateway) reuses positions, and a gateway whose projections are past the
/// older copy's end but not past what was written since would start and serve what the log no
/// longer holds, and never show what it now holds there. A store from before the checkpoint's
/// event was recorded is not checked.
async fn check_checkpoint_event<L: EventLog>(
    store: &ProjectionStore,
    dir: &DataDir,
    log: &L,
) -> Result<(), ServeError> {
    let Some((applied, expected)) = checkpoint_to_check(store, *log.head().borrow())? else {
        return Ok(());
    };
    judge_checkpoint(dir, applied, &expected, log.read_at(&[applied]).await)
}

/// The projections' checkpoint and the event they applied there, when the log can be asked
/// for it: only where the record names the checkpoint (a build that does not record it may
/// have moved the checkpoint on since), and not past the log's end `head` (`open_with`'s to
/// refuse, naming both).
fn checkpoint_to_check(
    store: &ProjectionStore,
    head: u64,
) -> Result<Option<(u64, String)>, ServeError> {
    let applied = store.checkpoint()?;
    if applied == 0 || applied > head {
        return Ok(None);
    }
    Ok(store
        .checkpoint_event()?
        .filter(|(position, _)| *position == applied))
}

/// [`check_checkpoint_event`]'s verdict on what the log answered at the checkpoint.
fn judge_checkpoint(
    dir: &DataDir,
    applied: u64,
    expected: &str,
    read: Result<Vec<crate::log::At>, LogError>,
) -> Result<(), ServeError> {
    let found = match read {
        Ok(found) => found.into_iter().next(),
        // Damaged bytes there (`tongban verify` names them): as if nothing were there.
        Err(LogError::Corrupt { .. }) => None,
        // A leader elected a moment ago, not there yet, is unavailable, as the key's check just
        // before meets it too: the start fails and is tried again.
        Err(e) => return Err(e.into()),
    };
    // No event there (removed from the disk; a message the server lists as deleted): nothing
    // proven, and the gateway starts, its head poll watching a stream.
    let Some(found) = found.and_then(crate::log::At::into_event) else {
        tracing::warn!(
            position = applied,
            "the log answers no event at the projections' checkpoint; starting without \
             checking that the projections follow this log"
        );
        return Ok(());
    };
    let holds = (found.position == applied).then_some(found.event.id);
    if holds.as_deref() == Some(expected) {
        return Ok(());
    }
    Err(ServeError::ProjectionsOfAnotherHistory {
        dir: dir.projections().display().to_string(),
        position: applied,
    })
}

/// Refuses to serve an embedded log that holds events with a key that signed none of them, as
/// a gateway on a stream does ([`check_stream_key`]): a data directory restored without its
/// `gateway.key` would otherwise make a new key, and one given another key would sign with it,
/// and every event after would verify under no key the log's auditors hold. The key must
/// verify the log's first event or its last (either, so that one altered event does not stop
/// the gateway: `tongban verify` reports it); a missing key is not made, even for a log none of
/// whose records reads as an event (its writer wrote them signed: [`EmbeddedLog::check_last_event`]).
fn check_log_key(dir: &DataDir, log: &EmbeddedLog) -> Result<(), ServeError> {
    let end = log.durable_position();
    if end == 0 {
        return Ok(());
    }
    let Some(key) = GatewayKey::load(&dir.key())? else {
        return Err(ServeError::NoKeyForLog {
            dir: dir.0.display().to_string(),
            last: end,
        });
    };
    let key = key.public();
    // Nothing that reads: nothing to check the key against (`tongban verify` reports every
    // record).
    match KeyAtEnds::of(&log.ends()?, &key) {
        KeyAtEnds::Signs | KeyAtEnds::Unchecked => Ok(()),
        KeyAtEnds::SignsNeither { first, last } => Err(ServeError::NotTheLogsKey {
            dir: dir.0.display().to_string(),
            path: dir.key().display().to_string(),
            kid: key.kid(),
            first,
            last,
        }),
    }
}

/// What a gateway starting on `dir` and `log` would answer about its key ([`check_stream_key`]),
/// writing nothing: for `tongban rebuild`, so that projections rebuilt for a gateway that will
/// not start on that stream are refused before the rebuild, not after it.
pub async fn check_key_for_stream(dir: &DataDir, log: &JetStreamLog) -> Result<(), ServeError> {
    let (saved, kept_aside) = stream_key_candidate(dir)?;
    let key = match (&saved, kept_aside) {
        (Some(key), _) => key.clone(),
        (None, Some(key)) => key,
        // What a first start would make: no key of the stream's.
        (None, None) => GatewayKey::generate(),
    };
    let source = log.source();
    let stream = stream_of(&source).map_or(source.as_str(), |(name, _)| name);
    // A start that would record the key records it, or for an empty stream is refused only
    // for lack of the right to, which the rebuild does not change: nothing to refuse here.
    check_stream_key(dir, log, stream, &key, saved.is_some())
        .await
        .map(|_| ())
}

/// The data directory's key (`gateway.key`), and one kept aside by a first start on a stream
/// interrupted before the stream was known to take it (`gateway.key.new`, the key that stream
/// may have recorded), read only when there is no `gateway.key`.
fn stream_key_candidate(
    dir: &DataDir,
) -> Result<(Option<GatewayKey>, Option<GatewayKey>), ServeError> {
    let saved = GatewayKey::load(&dir.key())?;
    let kept_aside = match saved {
        Some(_) => None,
        None => GatewayKey::load(&dir.new_key())?,
    };
    Ok((saved, kept_aside))
}

/// The stream's name and creation time (ns since 1970) of a `jetstream:<stream>:<created>`
/// log source; `None` for another source.
fn stream_of(source: &str) -> Option<(&str, &str)> {
    source
        .strip_prefix("jetstream:")
        .and_then(|rest| rest.rsplit_once(':'))
}

/// What a start does about the stream's record of its gateways' key ([`SIGNER_METADATA`]) once
/// [`check_stream_key`] let it start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyRecord {
    /// The stream records this gateway's key: nothing to do.
    Held,
    /// The stream records no key and holds no event (made by hand): the key is recorded before
    /// the first append, or the gateway does not start, since a second gateway with a key of its
    /// own would start there too.
    Required,
    /// The stream records no key and its first event verifies under this gateway's (a stream
    /// made by hand, or by a gateway from before the record, in use): the key is recorded if
    /// the gateway may, and it starts either way, so that an upgrade does not stop a fleet.
    Wanted,
}

/// Refuses to serve a stream whose key is not this data directory's (`key`: the directory's, or a
/// new one not saved yet when `saved` is false). Every gateway of one stream must sign with the
/// same key (docs/operations.md): a gateway given a fresh data directory would otherwise make a
/// key of its own and append events that verify under no other gateway's key, breaking every
/// chain it touches for good (the stream refuses deletes).
///
/// The stream's key is the one recorded in its metadata ([`SIGNER_METADATA`]), even before any
/// event, read as a key (upper case hex or a trailing newline typed by hand is the same key).
/// A gateway with that key starts without looking at the events: any message on the stream's
/// subjects can be made to look like an event sealed by another key, and must not lock the
/// stream's gateways out. For a stream without the record that holds events, a missing
/// `gateway.key` is not made, and an existing one must verify the stream's first event (the
/// first that reads as one): the key that sealed the stream's first event is its key. Its last
/// does not count: a stray second key's events would otherwise make it the stream's key, which
/// it would then record, locking the genuine gateways out.
async fn check_stream_key(
    dir: &DataDir,
    log: &JetStreamLog,
    stream: &str,
    key: &GatewayKey,
    saved: bool,
) -> Result<KeyRecord, ServeError> {
    let key = key.public();
    if let Some(value) = log.recorded_signer() {
        return match RecordedKey::read(&value) {
            RecordedKey::Key(recorded) if recorded == key => Ok(KeyRecord::Held),
            RecordedKey::Key(recorded) => Err(another_key_recorded(
                dir,
                stream,
                &key,
                saved,
                &format!(
                    "key id {}, recorded when a gateway made the stream",
                    recorded.kid()
                ),
            )),
            RecordedKey::Placeholder => Err(ServeError::PlaceholderRecorded {
                stream: stream.to_string(),
            }),
            RecordedKey::Unreadable(why) => Err(ServeError::RecordedKeyUnreadable {
                stream: stream.to_string(),
                why: why.to_string(),
            }),
        };
    }
    let head = *log.head().borrow();
    // Messages that do not read as events prove nothing either way (the projector and
    // `verify` report them); a stream of nothing else is as good as empty. Any other failure
    // to read fails the start: a key that was never checked is no key the stream's.
    let Some((first, event)) = first_event(log, head).await? else {
        return Ok(KeyRecord::Required);
    };
    if !saved {
        return Err(no_key_for_stream(
            dir,
            stream,
            "its events are signed with it".to_string(),
        ));
    }
    if key.verify_hash(&event.hash, &event.sig) {
        return Ok(KeyRecord::Wanted);
    }
    Err(ServeError::NotTheStreamsKey {
        stream: stream.to_string(),
        path: dir.key().display().to_string(),
        dir: dir.0.display().to_string(),
        kid: key.kid(),
        first,
    })
}

/// The refusal of a gateway whose key is not `recorded` (how the stream has its key): one
/// without a key of its own ( `saved` false) is told to copy one in, one with its own that it
/// is another.
fn another_key_recorded(
    dir: &DataDir,
    stream: &str,
    key: &PublicKey,
    saved: bool,
    recorded: &str,
) -> ServeError {
    if !saved {
        return no_key_for_stream(dir, stream, recorded.to_string());
    }
    ServeError::NotTheRecordedKey {
        stream: stream.to_string(),
        path: dir.key().display().to_string(),
        dir: dir.0.display().to_string(),
        kid: key.kid(),
        recorded: recorded.to_string(),
    }
}

/// The refusal of a gateway that found another key (`other`: what the stream's metadata holds
/// now) recorded on the stream than its own just after it recorded or checked its own: another
/// gateway recorded its key meanwhile.
fn recorded_meanwhile(
    dir: &DataDir,
    stream: &str,
    key: &GatewayKey,
    saved: &Option<GatewayKey>,
    other: Option<RecordedKey>,
) -> ServeError {
    let other = match other {
        Some(RecordedKey::Key(other)) => format!("key id {}", other.kid()),
        Some(RecordedKey::Placeholder) => format!("the docs' placeholder {SIGNER_PLACEHOLDER}"),
        Some(RecordedKey::Unreadable(why)) => format!("no readable key ({why})"),
        None => "no key".to_string(),
    };
    another_key_recorded(
        dir,
        stream,
        &key.public(),
        saved.is_some(),
        &format!("{other}, recorded by another gateway or by hand as this one recorded its own"),
    )
}

/// The refusal of a gateway without a key on a stream that has one (`has`: how).
fn no_key_for_stream(dir: &DataDir, stream: &str, has: String) -> ServeError {
    ServeError::NoKeyForStream {
        dir: dir.0.display().to_string(),
        stream: stream.to_string(),
        has,
    }
}

/// Why a start on `now` is refused for projections built from `built_from`, and the way out for
/// the log the start names: `--nats` (check the URL, then rebuild) or none (the embedded log).
fn other_log(dir: &str, built_from: &str, now: &str) -> String {
    let (from, to) = (describe_log_source(built_from), describe_log_source(now));
    if now == "embedded" {
        return format!(
            "the projections in {dir} were built from {from}, not from {to}, which a start \
             without --nats serves: to serve the log they follow, start with its --nats. The \
             events of the embedded log are not moved onto a stream: `tongban rebuild` without \
             --nats (the gateway stopped) rebuilds the projections from the embedded log instead"
        );
    }
    format!(
        "the projections in {dir} were built from {from}, not from {to}, which --nats names: \
         first check that --nats names the federation's servers (a mistyped URL reaches another \
         server's stream). If this is the right log (a stream restored from a snapshot, or made \
         again), `tongban rebuild` with the same --nats and the gateway stopped rebuilds the \
         projections from it and binds them to it; or use another data directory for this log \
         (its projections are built from the log at start). The events of an embedded log are \
         not moved onto a stream by either"
    )
}

/// A log's identity as `DIR/log-source` records it, for people: `jetstream:<stream>:<created>`
/// with its creation time in RFC 3339 (the nanoseconds since 1970 say nothing to a reader).
pub fn describe_log_source(source: &str) -> String {
    match stream_of(source) {
        Some((stream, created)) => match created.parse::<i128>() {
            Ok(nanos) => format!(
                "the stream {stream} created {} ({source})",
                Timestamp((nanos / 1_000_000) as i64).to_rfc3339()
            ),
            Err(_) => format!("the stream {stream} ({source})"),
        },
        None if source == "embedded" => "the embedded log (DIR/log)".to_string(),
        None => format!("{source:?}"),
    }
}

/// How often a gateway that could not ready the shared feed cursors at start tries again.
const CURSORS_RETRY: Duration = Duration::from_secs(5);

/// Readies the regions' shared feed cursors ([`crate::log::SharedCursors`]) at start.
///
/// Cursors this gateway kept in its projections, from before the cursors were shared, are handed
/// over once: merged in (a cursor only moves forward, so the furthest any gateway had wins), then
/// removed from the projections, so that a later start cannot move a cursor forward again after
/// it was moved back on purpose. Then a cursor past the stream's end (a stream restored from a
/// backup that ends before it) is moved back to the end, as a rebuild does on the embedded log,
/// so that the region does not skip the events appended next.
///
/// Until this succeeds, the feed reads and acknowledgements go to the bucket as always; what is
/// not done yet is the hand-over of old cursors and the clamp.
async fn share_cursors(
    gateway: &Gateway<JetStreamLog>,
    book: &RegionBook,
) -> Result<(), ServeError> {
    let Some(shared) = gateway.log.shared_cursors() else {
        return Ok(());
    };
    let mut local = gateway.store.feed_cursors()?;
    local.retain(|(region, _)| crate::domain::is_region_code(region));
    for (region, position) in &local {
        // The acknowledgement's time goes with it where this gateway kept it for the position.
        let moved = gateway.store.feed_acked(region)?.moved;
        shared.hand_over(region, *position, moved).await?;
    }
    let mut regions: Vec<String> = book.snapshot().regions.into_keys().collect();
    regions.extend(local.iter().map(|(region, _)| region.clone()));
    regions.sort();
    regions.dedup();
    gateway.store.forget_feed_cursors()?;
    for (region, position) in shared.clamp(regions).await? {
        tracing::warn!(
            %region,
            acknowledged = position,
            bucket = shared.bucket(),
            "a feed cursor was past the end of the stream; moved back to it"
        );
    }
    Ok(())
}

/// How long a clean shutdown waits for the projections to take the events acknowledged before it.
/// A projector that needs longer continues from its checkpoint at the next start.
const SHUTDOWN_PROJECTION_WAIT: Duration = Duration::from_secs(5);

/// Binds the address to serve on. `tongban serve` binds before it opens (or creates) the data
/// directory, so that an address in use fails the start before a key, log or projections are
/// made for a gateway that never runs.
pub async fn bind(listen: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Io {
            what: format!("listening on {listen}"),
            source,
        })
}

/// How long a shutdown waits by default for the requests in flight (`tongban serve
/// --shutdown-grace`) before it closes their connections and exits.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Serves on `listener` ([`bind`]) until a shutdown signal. `on_ready` gets the bound address
/// (port 0 picks a free one). Every region (all its tokens together) is held to `limits`: its
/// requests per second and the bytes its writes carry per day.
///
/// At the first SIGTERM or SIGINT it stops taking connections and waits for the requests in
/// flight, at most `grace`. The connections open go on serving meanwhile, each answer with
/// `Connection: close`, and an idle one is closed after [`crate::connections::DRAIN_IDLE`] (at
/// most half the grace), so that a request already on its way on a kept-alive connection is
/// answered rather than reset. The grace is bounded because a client that sends its body a
/// byte a second would otherwise keep the process (and the lock on the data directory, so a
/// restart fails) alive for as long as it likes. A second signal ends the wait at once. Either way the connections still open are
/// closed with their requests unanswered, which loses nothing acknowledged: a write is answered
/// only once its event is durable (fsynced, or stored by the stream), so an unanswered one was
/// never acknowledged, and a retry with its Idempotency-Key is safe. The projections are then
/// given a moment to take the last writes and flushed.
pub async fn serve<L: EventLog>(
    gateway: Arc<Gateway<L>>,
    book: Arc<RegionBook>,
    listener: tokio::net::TcpListener,
    limits: crate::http::Limits,
    grace: Duration,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let local = listener.local_addr().map_err(|source| ServeError::Io {
        what: "local address".into(),
        source,
    })?;
    let app = crate::http::router_with(Arc::clone(&gateway), book, limits);
    let head_timeout = crate::connections::head_timeout();
    tracing::info!(%local, backend = gateway.log.backend(), "serving");
    // The counts of refusals that wrote nothing are written when the log is back, not in the
    // next outage's line.
    let weak = Arc::downgrade(&gateway);
    crate::http::problem::report_nothing_written(move || weak.upgrade().map(|g| g.log.available()));
    // The latest event time in the log, which this host's clock is judged against, beside the
    // serving (a stream may take a moment to answer).
    let seeding = Arc::clone(&gateway);
    tokio::spawn(async move { seeding.seed_clock().await });
    let mut signals = Signals::install();
    on_ready(local);
    let connections = crate::connections::Connections::new();
    let (begin, begun) = tokio::sync::oneshot::channel::<()>();
    let drain_idle = crate::connections::DRAIN_IDLE.min(grace / 2);
    let accepting = connections.accept_until(listener, app, head_timeout, drain_idle, async move {
        let _ = begun.await;
    });
    let mut accepting = std::pin::pin!(accepting);
    let signal = tokio::select! {
        () = &mut accepting => None,
        signal = signals.recv() => Some(signal),
    };
    if let Some(signal) = signal {
        // Counted before the connections are told to finish, after which each closes after
        // its next answer, or after the drain delay if idle.
        let (open, busy) = (connections.open(), connections.busy());
        let _ = begin.send(());
        // The listener closes and every connection is told to finish.
        accepting.await;
        tracing::info!(
            signal,
            connections = open,
            requests_in_flight = busy,
            grace_seconds = grace.as_secs(),
            "shutting down: no new connections; waiting for the requests in flight (a second \
             signal stops waiting)"
        );
        tokio::select! {
            () = connections.ended() => {}
            () = tokio::time::sleep(grace) => {
                tracing::warn!(
                    connections = connections.open(),
                    requests_in_flight = connections.busy(),
                    grace_seconds = grace.as_secs(),
                    "the shutdown grace passed; closing the connections still open, their \
                     requests unanswered (nothing unanswered was acknowledged)"
                );
            }
            signal = signals.recv() => {
                tracing::warn!(
                    signal,
                    connections = connections.open(),
                    requests_in_flight = connections.busy(),
                    "a second signal: closing the connections still open now, their requests \
                     unanswered (nothing unanswered was acknowledged)"
                );
            }
        }
    }
    tracing::info!("shut down; every acknowledged event is on disk");
    // The projections follow the log after each answer, so the last writes may not be in them
    // yet. Letting the projector take them before the store is flushed leaves a cleanly stopped
    // gateway's projections current: the next start has nothing to catch up, and a copy of the
    // stopped data directory holds projections that match its log.
    if let Err(position) = gateway.projected_within(SHUTDOWN_PROJECTION_WAIT).await {
        tracing::warn!(
            position,
            "projections still behind the log at shutdown; they catch up at the next start"
        );
    }
    if let Err(e) = gateway.store.persist() {
        tracing::warn!(error = %e, "could not flush projections; they will catch up at start");
    }
    Ok(())
}

/// The shutdown signals (SIGTERM, Ctrl-C), listened for from [`Signals::install`] on: the
/// handlers are installed then, not when first awaited, so a SIGTERM that comes as soon as the
/// gateway announces its address (a supervisor, a test) stops it cleanly instead of killing it
/// by the default action; and they stay installed, so that a second signal is heard too.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Signals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Signals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Signals {}
        }
    }

    /// The next signal's name.
    async fn recv(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        if s.recv().await.is_none() {
                            std::future::pending::<()>().await;
                        }
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = next(&mut self.term) => "SIGTERM",
                () = next(&mut self.int) => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    /// Asserts that `$start` (what a start gave) is a refusal that matches `$refusal`, and gives
    /// its message, for the assertions on what it says: every refused start here is checked so.
    macro_rules! refused_as {
        ($start:expr, $refusal:pat) => {{
            let refused = $start.err().expect("refused");
            let message = refused.to_string();
            assert!(matches!(refused, $refusal), "{message}");
            message
        }};
    }

    /// Given a calendar whose last year is behind the current one, a file listing no date, or
    /// no file, when the gateway starts, then it warns once naming the last year (or the empty
    /// file, or the missing one: every deadline then counts public holidays as working days,
    /// which went unsaid); a calendar of this year draws no warning.
    #[test]
    fn a_calendar_behind_the_year_or_listing_nothing_is_warned_of() {
        let now = Timestamp::parse_rfc3339("2027-03-01T00:00:00Z").expect("now");
        let cal = |text: &str| Calendar::from_json(text).expect("calendar");
        let old = warn_of_calendar_gaps(&cal(r#"{"holidays":["2026-10-01"]}"#), true, now)
            .expect("a warning");
        assert!(
            old.contains("through 2026 only") && old.contains("2027"),
            "{old}"
        );
        let empty = warn_of_calendar_gaps(&cal("{}"), true, now).expect("a warning");
        assert!(empty.contains("lists no dates"), "{empty}");
        assert_eq!(
            warn_of_calendar_gaps(&cal(r#"{"workdays":["2027-02-07"]}"#), true, now),
            None
        );
        let missing = warn_of_calendar_gaps(&Calendar::weekdays(), false, now).expect("warned");
        assert!(missing.contains("no holidays.json"), "{missing}");
    }

    #[test]
    fn projections_stay_with_the_log_they_were_built_from() {
        let tmp = TempDir::new("log-source");
        let dir = DataDir(tmp.path().to_path_buf());
        bind_log_source(&dir, "jetstream:TONGBAN:1").expect("first binding");
        bind_log_source(&dir, "jetstream:TONGBAN:1").expect("same log again");
        assert!(matches!(
            bind_log_source(&dir, "jetstream:TONGBAN:2"),
            Err(ServeError::OtherLog { .. })
        ));
        assert!(matches!(
            bind_log_source(&dir, "embedded"),
            Err(ServeError::OtherLog { .. })
        ));
    }

    #[test]
    fn data_dirs_from_before_the_marker_are_embedded() {
        let tmp = TempDir::new("log-source-legacy");
        let dir = DataDir(tmp.path().to_path_buf());
        std::fs::create_dir_all(dir.log()).expect("log");
        std::fs::create_dir_all(dir.projections()).expect("projections");
        assert!(matches!(
            bind_log_source(&dir, "jetstream:TONGBAN:1"),
            Err(ServeError::OtherLog { .. })
        ));
        bind_log_source(&dir, "embedded").expect("embedded");
    }

    /// A gateway that kept its regions' cursors in its projections (from before they were shared)
    /// hands them to the stream's bucket at its next start, each moved back to the stream's end
    /// where it was past it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cursors_kept_in_the_projections_move_to_the_shared_bucket_at_start() {
        let (server, _tmp, dir, config) = a_server_and_dir("share-cursors");
        write_key(&dir, [3; 32]);
        // A directory a gateway ran on: its book is there with its projections.
        write_book(&dir);
        {
            let log = JetStreamLog::open(&config).await.expect("open");
            crate::log::conformance::append_chain(&log, &crate::ids::new_v7(), 4).await;
            let store = ProjectionStore::open(&dir.projections()).expect("projections");
            store.ack_feed("330000", 2, "330000/test").expect("ack");
            store.ack_feed("440000", 60, "440000/test").expect("ack");
        }
        let opened = open_jetstream(&dir, &config).await.expect("serve");
        let shared = opened.gateway.log.shared_cursors().expect("shared");
        assert_eq!(shared.get("330000").await.expect("get"), 2);
        assert_eq!(
            shared.get("440000").await.expect("get"),
            4,
            "clamped to the end"
        );
        // What the feed and its acknowledgement now go through.
        assert_eq!(opened.gateway.feed_cursor("330000").await.expect("get"), 2);
        assert_eq!(
            opened
                .gateway
                .ack_feed("330000", 3, "330000/test")
                .await
                .expect("ack"),
            crate::log::Advanced {
                cursor: 3,
                moved: true
            }
        );
        assert_eq!(shared.get("330000").await.expect("get"), 3);
        assert_eq!(
            opened.gateway.store.feed_cursors().expect("local"),
            [],
            "handed over once, then forgotten"
        );
        // Moved back on purpose (an operator making a region read again): what a later start
        // does with the cursors leaves it there.
        let client = async_nats::connect(server.url()).await.expect("connect");
        let kv = async_nats::jetstream::new(client)
            .get_key_value("TONGBAN_cursors")
            .await
            .expect("bucket");
        kv.put("330000", "1".into()).await.expect("put");
        share_cursors(&opened.gateway, &opened.book)
            .await
            .expect("start again");
        assert_eq!(opened.gateway.feed_cursor("330000").await.expect("get"), 1);
    }

    /// A start refused because the projections were built from another stream of this name (a
    /// stream deleted and made again; a snapshot restored) changes nothing: the bucket's cursors
    /// are still there for whoever decides what to do with them.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_start_refused_for_another_log_leaves_the_feed_cursors_alone() {
        let (server, _tmp, dir, config) = a_server_and_dir("refused-cursors");
        {
            let opened = open_jetstream(&dir, &config).await.expect("serve");
            crate::log::conformance::append_chain(&*opened.gateway.log, &crate::ids::new_v7(), 3)
                .await;
            assert_eq!(
                opened
                    .gateway
                    .ack_feed("330000", 2, "330000/test")
                    .await
                    .expect("ack"),
                crate::log::Advanced {
                    cursor: 2,
                    moved: true
                }
            );
        }
        let js = async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("nats"));
        let mut stream = js.get_stream("TONGBAN").await.expect("stream");
        let stream_config = stream.info().await.expect("info").config.clone();
        js.delete_stream("TONGBAN").await.expect("delete");
        js.create_stream(stream_config).await.expect("made again");

        let message = refused_as!(
            open_jetstream(&dir, &config).await,
            ServeError::OtherLog { .. }
        );
        assert!(message.contains("tongban rebuild"), "{message}");
        let kv = js.get_key_value("TONGBAN_cursors").await.expect("bucket");
        let kept = kv
            .get("330000")
            .await
            .expect("get")
            .expect("the cursor is still there");
        assert_eq!(&kept[..], b"2");
    }

    /// Given two gateways on a stream, the second's projections applied up to position 4, when
    /// the stream is put back to a copy that ends at 2 and the first gateway (rebuilt) writes
    /// positions 3 and 4 again, then the second does not start: its projections hold what the
    /// log no longer holds there, and it would never show what it holds now. (Found by an
    /// operator's walkthrough: it started, and the two gateways answered differently.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn projections_of_events_the_log_no_longer_holds_are_refused_at_start() {
        let mut server = crate::testnats::NatsServer::start();
        let tmp = TempDir::new("another-history");
        let (first, second) = (
            DataDir(tmp.path().join("first")),
            DataDir(tmp.path().join("second")),
        );
        let config = JetStreamConfig::new(server.url());
        {
            let opened = open_jetstream(&first, &config).await.expect("first");
            crate::log::conformance::append_chain(&*opened.gateway.log, &crate::ids::new_v7(), 2)
                .await;
        }
        copy_key(&first, &second);
        server.stop();
        let backup = tmp.path().join("store-at-2");
        crate::testutil::copy_dir(&server.store_dir(), &backup);
        server.restart();
        {
            let opened = open_jetstream(&second, &config).await.expect("second");
            append_two_projected(&opened, 4).await;
        }
        server.stop();
        std::fs::remove_dir_all(server.store_dir()).expect("remove the store");
        crate::testutil::copy_dir(&backup, &server.store_dir());
        server.restart();
        // (A gateway opened in this process keeps its projections locked until the process
        // ends: the second's directory as it was left is read from a copy, and a third gateway
        // writes in the first's place.) A gateway whose projections end before the copy's end
        // starts, and writes positions 3 and 4 again, with other events.
        let later = DataDir(tmp.path().join("second-later"));
        crate::testutil::copy_dir(&second.0, &later.0);
        let third = with_key_of(&first, tmp.path().join("third"));
        {
            let opened = open_jetstream(&third, &config).await.expect("third");
            crate::log::conformance::append_chain(&*opened.gateway.log, &crate::ids::new_v7(), 2)
                .await;
        }
        let refused = refused_as!(
            open_jetstream(&later, &config).await,
            ServeError::ProjectionsOfAnotherHistory { position: 4, .. }
        );
        assert!(refused.contains("tongban rebuild"), "{refused}");
        // The same directory restored without its log-source: refused alike, and it is not
        // recorded either (it was, before the check: the next start then took the directory for
        // one that follows the stream).
        let unnamed = DataDir(tmp.path().join("second-unnamed"));
        crate::testutil::copy_dir(&second.0, &unnamed.0);
        std::fs::remove_file(unnamed.log_source()).expect("remove log-source");
        refused_as!(
            open_jetstream(&unnamed, &config).await,
            ServeError::ProjectionsOfAnotherHistory { position: 4, .. }
        );
        assert!(!unnamed.log_source().exists(), "log-source was written");
    }

    /// A server without a stream, and a new data directory (the temporary directory `name`).
    fn a_server_and_dir(
        name: &str,
    ) -> (
        crate::testnats::NatsServer,
        TempDir,
        DataDir,
        JetStreamConfig,
    ) {
        let server = crate::testnats::NatsServer::start();
        let tmp = TempDir::new(name);
        let dir = DataDir(tmp.path().to_path_buf());
        let config = JetStreamConfig::new(server.url());
        (server, tmp, dir, config)
    }

    /// Writes a gateway key from `seed` into the data directory, as copying one there does
    /// (`conformance::event` signs with seed 3).
    fn write_key(dir: &DataDir, seed: [u8; 32]) {
        std::fs::create_dir_all(&dir.0).expect("dir");
        std::fs::write(dir.key(), crate::hex::encode(&seed)).expect("key");
    }

    /// Given an embedded log whose events are signed with the directory's key, when the key is
    /// gone (a directory restored without it) or another one is in its place, then the gateway
    /// does not start, makes no key, and names what to restore; with the key back it starts.
    /// (Found by an auditor's walkthrough: it made a new key and signed on with it.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_embedded_log_is_served_only_with_the_key_that_signed_it() {
        let tmp = TempDir::new("embedded-log-key");
        let dir = DataDir(tmp.path().to_path_buf());
        write_key(&dir, [1; 32]);
        let original = std::fs::read(dir.key()).expect("key");
        an_embedded_log_of_one_event(&dir, &crate::ids::new_v7()).await;
        std::fs::remove_file(dir.key()).expect("remove the key");
        match open_embedded(&dir) {
            Err(e @ ServeError::NoKeyForLog { .. }) => {
                assert!(e.to_string().contains("restore gateway.key"), "{e}");
            }
            Err(e) => panic!("expected NoKeyForLog, got {e}"),
            Ok(_) => panic!("started without the log's key"),
        }
        assert!(!dir.key().exists(), "no key made");

        write_key(&dir, [2; 32]);
        match open_embedded(&dir) {
            Err(e @ ServeError::NotTheLogsKey { .. }) => {
                assert!(e.to_string().contains("position 1"), "{e}");
            }
            Err(e) => panic!("expected NotTheLogsKey, got {e}"),
            Ok(_) => panic!("started with another key"),
        }

        std::fs::write(dir.key(), original).expect("restore the key");
        // (The rest of a served directory, which this log written by hand lacks.)
        write_book(&dir);
        std::fs::create_dir(dir.evidence()).expect("evidence");
        open_embedded(&dir).expect("the log's key restored");
    }

    /// Given a new data directory, when a gateway starts on it, then its log records that its
    /// application ids are keyed (before any event), and the ids a key gets are the keyed ones.
    /// Given a log holding events and no record, then it is judged by its submissions and what
    /// was judged recorded: unkeyed where they were made before keyed ids, keyed with unkeyed
    /// retries found where they say nothing or say both, keyed where they are keyed; a record
    /// this version does not know refuses the start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_log_keys_its_application_ids_and_an_older_one_keeps_its_own() {
        use crate::ids::{AppIds, Derivation};
        use crate::log::embedded::APP_IDS_FILE;
        let tmp = TempDir::new("app-ids");
        let made = DataDir(tmp.path().join("made"));
        let opened = open_embedded(&made).expect("a new directory");
        let ids = &opened.gateway.app_ids;
        assert_eq!(ids.derivation(), Derivation::Keyed);
        assert_eq!(app_ids_record(&made), "keyed/v2\n");
        let key = saved_key(&made);
        let keyed = AppIds::new(Derivation::Keyed, &key).for_key("440000", "k1");
        assert_eq!(ids.for_key("440000", "k1"), keyed);
        assert_ne!(keyed, crate::ids::app_id_for_key("440000", "k1"));
        drop(opened);

        // What the log of `dir` records of its application ids.
        fn app_ids_record(dir: &DataDir) -> String {
            std::fs::read_to_string(dir.log().join(APP_IDS_FILE)).expect("recorded")
        }
        // Writes into the embedded log of `dir` one submission under the key gd-1, its
        // application id derived as `derivation` derives it.
        async fn submitted_under_a_key(dir: &DataDir, derivation: Derivation) {
            let key = GatewayKey::from_seed([1; 32]);
            let logged = [(Some("gd-1"), derivation)];
            drop(crate::log::app_ids::tests::log_in(&dir.log(), &key, &logged).await);
        }
        // A directory whose log holds an application submitted under a key, its id unkeyed,
        // and whose log records `record` (none: a log of an earlier version).
        async fn holding(root: &Path, name: &str, record: Option<&str>) -> (DataDir, String) {
            let dir = a_served_dir(root.join(name));
            let app = crate::ids::app_id_for_key("440000", "gd-2024-000123");
            an_embedded_log_of_one_event(&dir, &app).await;
            if let Some(record) = record {
                std::fs::write(dir.log().join(APP_IDS_FILE), record).expect("record");
            }
            (dir, app)
        }
        // A log without a record whose ends hold no submission under a key says nothing of its
        // ids: new keys keyed, and a retry found under either id.
        let (silent, app) = holding(tmp.path(), "silent", None).await;
        {
            let opened = open_embedded(&silent).expect("a log that says nothing");
            let ids = &opened.gateway.app_ids;
            assert_eq!(ids.derivation(), Derivation::KeyedAfterUnkeyed);
            assert_eq!(ids.unkeyed_retry("440000", "gd-2024-000123"), Some(app));
        }
        assert_eq!(
            app_ids_record(&silent),
            "keyed/v2+unkeyed-retries\n",
            "recorded as judged, for the next start"
        );
        // A log of an earlier version, its submissions under keys unkeyed: it stays unkeyed,
        // a retry naming the application its first sending made.
        let older = a_served_dir(tmp.path().join("older"));
        submitted_under_a_key(&older, Derivation::Unkeyed).await;
        {
            let opened = open_embedded(&older).expect("an older log");
            let ids = &opened.gateway.app_ids;
            assert_eq!(ids.derivation(), Derivation::Unkeyed);
            let origin = crate::sample::commands(0).expect("commands")[0].0.clone();
            assert_eq!(
                ids.for_key(&origin, "gd-1"),
                crate::ids::app_id_for_key(&origin, "gd-1")
            );
        }
        assert_eq!(app_ids_record(&older), "unkeyed/v1\n");

        // A keyed log that lost its record (a restore that left the file out) is told by its
        // own submissions, and recorded again; a record that contradicts them refuses the start.
        let lost = a_served_dir(tmp.path().join("lost"));
        let contradicted = a_served_dir(tmp.path().join("contradicted"));
        for dir in [&lost, &contradicted] {
            submitted_under_a_key(dir, Derivation::Keyed).await;
        }
        drop(open_embedded(&lost).expect("a keyed log without its record"));
        assert_eq!(app_ids_record(&lost), "keyed/v2\n");
        // A record of the other derivation (a rollback's, or one copied in): both kinds of
        // retry are found from now on, and that is recorded.
        std::fs::write(contradicted.log().join(APP_IDS_FILE), "unkeyed/v1\n")
            .expect("a wrong record");
        let opened = open_embedded(&contradicted).expect("starts");
        assert_eq!(
            opened.gateway.app_ids.derivation(),
            Derivation::KeyedAfterUnkeyed
        );
        drop(opened);
        assert_eq!(app_ids_record(&contradicted), "keyed/v2+unkeyed-retries\n");

        // The record is what counts once the log holds events: read back as it was written.
        let (keyed_log, _) = holding(tmp.path(), "keyed", Some("keyed/v2\n")).await;
        let opened = open_embedded(&keyed_log).expect("a keyed log");
        assert_eq!(opened.gateway.app_ids.derivation(), Derivation::Keyed);
        drop(opened);

        let (later, _) = holding(tmp.path(), "later", Some("keyed/v3\n")).await;
        let refused = open_embedded(&later).err().expect("refused");
        let message = refused.to_string();
        let record = later.log().join(APP_IDS_FILE);
        assert!(
            message.contains(&record.display().to_string()) && message.contains("keyed/v2"),
            "{message}"
        );
    }

    /// A data directory (with its book and evidence) whose embedded log holds `n` events of one
    /// application signed with its key (seed 1), the last one's bytes then damaged (bit rot).
    async fn damaged_at_the_end(name: &str, n: u64) -> (TempDir, DataDir) {
        let tmp = TempDir::new(name);
        let dir = a_served_dir(tmp.path().to_path_buf());
        let log = EmbeddedLog::open(&dir.log()).expect("open");
        let app = crate::ids::new_v7();
        let mut hash = String::new();
        for seq in 1..=n {
            let mut event = crate::log::conformance::event(&app, seq, &hash);
            event.seal(&GatewayKey::from_seed([1; 32]));
            hash = event.hash.clone();
            log.append(event, seq - 1).await.expect("append");
        }
        drop(log);
        damage(&dir, n);
        (tmp, dir)
    }

    /// Overwrites the bytes at `position` of the data directory's embedded log.
    fn damage(dir: &DataDir, position: u64) {
        EmbeddedLog::open(&dir.log())
            .expect("open")
            .overwrite(position, b"{\"torn\": ");
    }

    /// Given an embedded log signed with the directory's key whose last record's bytes were
    /// then damaged, when a gateway starts on it, then it starts, its key checked against the
    /// events that read nearest each end: with another key in place it is refused naming them
    /// (the first and the one before the last; once the first is damaged too, the one between),
    /// and without its key it is refused and no key is made, also once nothing reads (the writer
    /// wrote every record, signed); with the key back it starts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_damaged_last_record_leaves_the_key_checked_against_the_events_that_read() {
        let (_tmp, dir) = damaged_at_the_end("embedded-damaged-last-key", 2).await;
        drop(open_embedded(&dir).expect("starts"));

        let (_tmp, dir) = damaged_at_the_end("embedded-damaged-last-other-key", 3).await;
        let original = std::fs::read(dir.key()).expect("key");
        write_key(&dir, [2; 32]);
        let not_the_key = |named: &str| match open_embedded(&dir) {
            Err(e @ ServeError::NotTheLogsKey { .. }) => {
                assert!(e.to_string().contains(named), "{e}");
            }
            Err(e) => panic!("expected NotTheLogsKey, got {e}"),
            Ok(_) => panic!("started with another key"),
        };
        not_the_key("(positions 1 and 2)");
        damage(&dir, 1);
        not_the_key("(position 2)");
        std::fs::remove_file(dir.key()).expect("remove the key");
        damage(&dir, 2);
        match open_embedded(&dir) {
            Err(e @ ServeError::NoKeyForLog { last: 3, .. }) => {
                assert!(e.to_string().contains("restore gateway.key"), "{e}");
            }
            Err(e) => panic!("expected NoKeyForLog, got {e}"),
            Ok(_) => panic!("started without the log's key"),
        }
        assert!(!dir.key().exists(), "no key made");
        std::fs::write(dir.key(), original).expect("restore the key");
        drop(open_embedded(&dir).expect("nothing to check the key against"));
    }

    /// A data directory at `path` as a gateway leaves one beside its log: its key (seed 1), an
    /// empty region book and an evidence store.
    fn a_served_dir(path: std::path::PathBuf) -> DataDir {
        let dir = DataDir(path);
        write_key(&dir, [1; 32]);
        write_book(&dir);
        std::fs::create_dir(dir.evidence()).expect("evidence");
        dir
    }

    /// Appends to the embedded log of `dir` the submission of `app` (seq 1), sealed with seed
    /// 1 (the key [`a_served_dir`] writes), as a gateway on that key wrote it.
    async fn an_embedded_log_of_one_event(dir: &DataDir, app: &str) {
        let log = EmbeddedLog::open(&dir.log()).expect("open");
        let mut event = crate::log::conformance::event(app, 1, "");
        event.seal(&GatewayKey::from_seed([1; 32]));
        log.append(event, 0).await.expect("append");
    }

    /// The key saved in `dir` (`gateway.key`), which must be there.
    fn saved_key(dir: &DataDir) -> GatewayKey {
        GatewayKey::load(&dir.key())
            .expect("load")
            .expect("a saved key")
    }

    /// Copies the key of `from` into `to`, made if missing, as an operator gives a gateway
    /// joining a stream the stream's key.
    fn copy_key(from: &DataDir, to: &DataDir) {
        std::fs::create_dir_all(&to.0).expect("dir");
        std::fs::copy(from.key(), to.key()).expect("copy the key");
    }

    /// A data directory at `path` holding a copy of the key of `from` and nothing else.
    fn with_key_of(from: &DataDir, path: std::path::PathBuf) -> DataDir {
        let dir = DataDir(path);
        copy_key(from, &dir);
        dir
    }

    /// Appends two events of a new application through `opened` (the conformance events,
    /// sealed with seed 3) and waits until its projections applied the log up to `through`.
    async fn append_two_projected<L: EventLog>(opened: &Opened<L>, through: u64) {
        crate::log::conformance::append_chain(&*opened.gateway.log, &crate::ids::new_v7(), 2).await;
        opened
            .gateway
            .projected_within(std::time::Duration::from_secs(10))
            .await
            .expect("projected");
        assert_eq!(
            opened.gateway.store.checkpoint().expect("checkpoint"),
            through
        );
    }

    /// An empty region book in the data directory, as `tongban regions` leaves one.
    fn write_book(dir: &DataDir) {
        std::fs::write(dir.regions(), "{}").expect("regions.json");
    }

    /// A region book in which 440000 signs its requests (so evidence of them is kept).
    fn write_signing_book(dir: &DataDir) {
        write_book(dir);
        let book = crate::auth::book::RegionBook::open(&dir.regions()).expect("book");
        book.add_region("440000", "广东省", None).expect("region");
        let key = GatewayKey::from_seed([8; 32]).public().to_hex();
        book.set_signing_key("440000", Some(&key)).expect("key");
    }

    /// Given an embedded log holding events, when its data directory was restored without
    /// `evidence/` or without `regions.json`, then the gateway does not start, makes neither,
    /// and names what to restore and how to go on knowingly; with an empty one made by hand, as
    /// the message says, it starts. (Found by an SRE's walkthrough: it made an empty evidence
    /// store and served the signed requests as unsigned.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_embedded_log_is_not_served_without_its_evidence_or_its_region_book() {
        let tmp = TempDir::new("embedded-kept-files");
        let dir = DataDir(tmp.path().to_path_buf());
        write_key(&dir, [1; 32]);
        an_embedded_log_of_one_event(&dir, &crate::ids::new_v7()).await;
        write_signing_book(&dir);
        let message = refused_as!(
            open_embedded(&dir),
            ServeError::NoEvidenceForLog { last: 1, .. }
        );
        assert!(
            message.contains("Restore evidence/ from the backup"),
            "{message}"
        );
        assert!(
            message.contains(&format!("mkdir {}", dir.evidence().display())),
            "{message}"
        );
        assert!(!dir.evidence().exists(), "no evidence store made");

        std::fs::create_dir(dir.evidence()).expect("evidence, made empty by hand");
        std::fs::remove_file(dir.regions()).expect("remove the book");
        let message = refused_as!(
            open_embedded(&dir),
            ServeError::NoRegionsForLog { last: 1, .. }
        );
        assert!(message.contains("Restore it from the backup"), "{message}");
        assert!(
            message.contains(&format!("echo '{{}}' > {}", dir.regions().display())),
            "{message}"
        );
        assert!(!message.contains("another gateway"), "{message}");
        assert!(!dir.regions().exists(), "no book made");

        write_book(&dir);
        open_embedded(&dir).expect("an empty book made by hand");
    }

    /// Given a stream holding events, a directory new to the stream starts without evidence or
    /// a book of its own (a gateway joining); one that follows the stream already does not
    /// start without them, and says the book is also on the stream's other gateways.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_directory_following_a_stream_is_not_served_without_its_evidence_or_its_book() {
        let (_server, tmp, config) = a_stream_with_events("stream-kept-files").await;
        let joining = DataDir(tmp.path().join("joining"));
        write_key(&joining, [3; 32]);
        drop(
            open_jetstream(&joining, &config)
                .await
                .expect("a gateway joining"),
        );
        assert!(joining.log_source().exists(), "follows the stream");

        // (A gateway opened in this process keeps its stores locked until the process ends:
        // the directory is started again from a copy.)
        let restored = DataDir(tmp.path().join("restored"));
        crate::testutil::copy_dir(&joining.0, &restored.0);
        std::fs::remove_dir_all(restored.evidence()).expect("remove the evidence");
        write_signing_book(&restored);
        let message = refused_as!(
            open_jetstream(&restored, &config).await,
            ServeError::NoEvidenceForLog { last: 2, .. }
        );
        assert!(message.contains("the stream TONGBAN"), "{message}");
        assert!(!restored.evidence().exists(), "no evidence store made");

        std::fs::create_dir(restored.evidence()).expect("evidence, made empty by hand");
        std::fs::remove_file(restored.regions()).expect("remove the book");
        let message = refused_as!(
            open_jetstream(&restored, &config).await,
            ServeError::NoRegionsForLog { last: 2, .. }
        );
        assert!(
            message.contains("another gateway of the stream TONGBAN"),
            "{message}"
        );
        assert!(!restored.regions().exists(), "no book made");

        write_book(&restored);
        open_jetstream(&restored, &config)
            .await
            .expect("an empty book made by hand");
    }

    /// Given a data directory a gateway has run on (its evidence/ there) restored without its
    /// log-source, when it starts against servers where the stream is missing (a mistyped
    /// --nats), then it is refused, saying to restore log-source, and nothing is made: no
    /// stream on the servers, no log-source in the directory. (Found by an operator's
    /// walkthrough: it made a new stream there and served a second log.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_used_directory_without_its_log_source_makes_no_stream() {
        let server = crate::testnats::NatsServer::start();
        let tmp = TempDir::new("used-no-source");
        let dir = DataDir(tmp.path().join("restored"));
        // An evidence store as a gateway leaves it (an empty directory is no sign of one).
        drop(crate::evidence::EvidenceStore::open(&dir.evidence()).expect("evidence"));
        write_key(&dir, [4; 32]);
        write_book(&dir);
        let config = JetStreamConfig::new(server.url());
        let message = refused_as!(
            open_jetstream(&dir, &config).await,
            ServeError::StreamMissingForUsedDir { .. }
        );
        assert!(message.contains("restore log-source"), "{message}");
        assert!(!dir.log_source().exists());
        let mut probe = config.clone();
        probe.create_missing = false;
        assert!(
            matches!(
                JetStreamLog::open(&probe).await.err(),
                Some(SetupError::NoStream { .. })
            ),
            "a stream was made"
        );
    }

    /// Given two embedded gateways with one key, each with projections applied up to position
    /// 2, when the second's log is copied into a copy of the first's directory, then that
    /// gateway does not start: its projections applied other events at 2. The first's own
    /// directory, copied as it was left, starts.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn embedded_projections_of_another_log_are_refused_at_start() {
        let tmp = TempDir::new("embedded-another-history");
        let [first, second, own, swapped] =
            ["first", "second", "own", "swapped"].map(|name| DataDir(tmp.path().join(name)));
        for dir in [&first, &second] {
            write_key(dir, [3; 32]);
            write_book(dir);
            let opened = open_embedded(dir).expect("open");
            append_two_projected(&opened, 2).await;
        }
        // (A gateway opened in this process keeps its stores locked until the process ends:
        // the directories are started from copies.)
        crate::testutil::copy_dir(&first.0, &own.0);
        crate::testutil::copy_dir(&first.0, &swapped.0);
        std::fs::remove_dir_all(swapped.log()).expect("remove the log");
        crate::testutil::copy_dir(&second.log(), &swapped.log());

        let refused = refused_as!(
            open_embedded(&swapped),
            ServeError::ProjectionsOfAnotherHistory { position: 2, .. }
        );
        assert!(refused.contains("tongban rebuild"), "{refused}");
        open_embedded(&own).expect("its own log");
    }

    /// A gateway joining a stream that holds events signs with the stream's key or does not
    /// start: without a key of its own it makes none (docs/operations.md, "Several gateways on
    /// one stream"), and with another key it names it. One event signed by another key does not
    /// stop a gateway whose key signed the stream's first event.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_gateway_joining_a_stream_signs_with_the_streams_key_or_does_not_start() {
        // The stream's first gateway's events, signed with seed 3.
        let (_server, tmp, config) = a_stream_with_events("stream-key").await;

        let fresh = DataDir(tmp.path().join("fresh"));
        let message = refused_as!(
            open_jetstream(&fresh, &config).await,
            ServeError::NoKeyForStream { .. }
        );
        assert!(message.contains("copy gateway.key"), "{message}");
        assert!(!fresh.key().exists(), "no key made: {message}");
        assert!(
            !fresh.log_source().exists(),
            "not bound to the stream: {message}"
        );

        let other = DataDir(tmp.path().join("other"));
        write_key(&other, [4; 32]);
        let refused = open_jetstream(&other, &config)
            .await
            .err()
            .expect("refused");
        let message = refused.to_string();
        let kid = GatewayKey::from_seed([4; 32]).public().kid();
        assert!(
            matches!(refused, ServeError::NotTheStreamsKey { first: 1, .. }),
            "{message}"
        );
        assert!(message.contains(&kid), "{message}");
        assert!(message.contains("Copy gateway.key"), "{message}");
        // Refused, the directory follows no stream yet: with the right key it starts as a first
        // start, not as another log's projections.
        assert!(!other.log_source().exists(), "not bound to the stream");

        // The stream's key copied in: it starts.
        write_key(&other, [3; 32]);
        open_jetstream(&other, &config)
            .await
            .expect("the stream's key");

        // An event signed by another key as the stream's last: the first still proves the key.
        let log = JetStreamLog::open(&config).await.expect("open");
        let mut foreign = crate::log::conformance::event(&crate::ids::new_v7(), 1, "");
        foreign.seal(&GatewayKey::from_seed([4; 32]));
        log.append(foreign, 0).await.expect("append");
        // (A data directory of its own: a gateway opened in this process keeps its projections
        // locked until the process ends.)
        let third = DataDir(tmp.path().join("third"));
        write_key(&third, [3; 32]);
        open_jetstream(&third, &config)
            .await
            .expect("first event verifies");
    }

    /// The gateway that makes the stream records its key there, so a gateway joining the stream
    /// before any event is in it signs with that key or does not start: without a key of its own
    /// it makes none, and with another key it names both.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_gateway_joining_an_empty_stream_signs_with_the_key_its_maker_recorded() {
        let (_server, tmp, config, maker, opened) =
            a_first_gateway("stream-recorded-key", None).await;
        let made = saved_key(&maker);
        assert_eq!(
            opened.gateway.log.recorded_signer().as_deref(),
            Some(made.public().to_hex().as_str())
        );
        assert_eq!(*opened.gateway.log.head().borrow(), 0, "no event yet");

        let fresh = DataDir(tmp.path().join("fresh"));
        let message = refused_as!(
            open_jetstream(&fresh, &config).await,
            ServeError::NoKeyForStream { .. }
        );
        assert!(message.contains(&made.public().kid()), "{message}");
        assert!(!fresh.key().exists(), "no key made: {message}");
        assert!(!fresh.new_key().exists(), "none kept aside: {message}");
        assert!(!fresh.log_source().exists(), "not bound: {message}");

        let other = DataDir(tmp.path().join("other"));
        write_key(&other, [4; 32]);
        let message = refused_as!(
            open_jetstream(&other, &config).await,
            ServeError::NotTheRecordedKey { .. }
        );
        let kid = GatewayKey::from_seed([4; 32]).public().kid();
        assert!(
            message.contains(&kid) && message.contains(&made.public().kid()),
            "{message}"
        );

        // What `tongban rebuild` asks before rebuilding for a gateway: the same answers, and
        // nothing written.
        let log = &*opened.gateway.log;
        assert!(matches!(
            check_key_for_stream(&fresh, log).await,
            Err(ServeError::NoKeyForStream { .. })
        ));
        assert!(matches!(
            check_key_for_stream(&other, log).await,
            Err(ServeError::NotTheRecordedKey { .. })
        ));
        assert!(!fresh.key().exists());
        check_key_for_stream(&maker, log)
            .await
            .expect("the maker's key");

        std::fs::copy(maker.key(), fresh.key()).expect("copy the key");
        open_jetstream(&fresh, &config)
            .await
            .expect("the stream's key copied in");
    }

    /// The gateway user of `server` ([`crate::log::jetstream::tests::documented_permissions`]).
    fn as_gateway_user(server: &crate::testnats::NatsServer) -> JetStreamConfig {
        let mut config = JetStreamConfig::new(format!(
            "nats://tongban-gateway:gateway-secret@127.0.0.1:{}",
            server.port()
        ));
        config.op_timeout = Duration::from_secs(1);
        config
    }

    /// A gateway with another key than the one the stream records (seed 4) does not start,
    /// naming both.
    async fn refused_with_another_key(tmp: &TempDir, config: &JetStreamConfig) {
        let other = DataDir(tmp.path().join("other"));
        write_key(&other, [4; 32]);
        refused_as!(
            open_jetstream(&other, config).await,
            ServeError::NotTheRecordedKey { .. }
        );
    }

    /// Given a stream created by hand from docs/operations.md's configuration without a key (a
    /// new deployment) and a gateway user with the documented rights (no stream update), when
    /// the first gateway starts, then it refuses, naming its key and both ways to record it, and
    /// keeps the key; when the operator records it as the docs say (the configuration read and
    /// sent back with the one entry added, the rest of the metadata kept), then that gateway
    /// starts and one with another key does not. (Found by an operator's walkthrough: the gateway started
    /// without the record, and so did a second with a key of its own, whose events never
    /// verified.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_gateway_that_cannot_record_its_key_on_a_stream_made_by_hand_does_not_start() {
        use crate::log::jetstream::tests::{
            documented_permissions, record_key_as_documented, stream_metadata,
        };
        let server = a_stream_made_by_hand(&documented_permissions()).await;
        let tmp = TempDir::new("stream-by-hand-unrecorded");
        let config = as_gateway_user(&server);

        let first = DataDir(tmp.path().join("first"));
        let message = refused_as!(
            open_jetstream(&first, &config).await,
            ServeError::KeyNotRecorded { .. }
        );
        let kept = GatewayKey::load(&first.new_key())
            .expect("load")
            .expect("the key kept for the next start");
        let hex = kept.public().to_hex();
        for named in [
            format!("\"tongban.public_key\": \"{hex}\""),
            "\"$JS.API.STREAM.UPDATE.TONGBAN\"".to_string(),
            "Recording the key on an existing stream".to_string(),
            "$JS.API.STREAM.INFO.TONGBAN".to_string(),
            "$JS.API.STREAM.UPDATE.TONGBAN".to_string(),
        ] {
            assert!(message.contains(&named), "{named}: {message}");
        }
        assert!(!first.key().exists(), "{message}");
        assert!(!first.log_source().exists(), "not bound: {message}");

        record_key_as_documented(&server, &hex);
        let metadata = stream_metadata(&server).await;
        assert_eq!(metadata["tongban.app_ids"], "keyed/v2", "kept: {metadata}");
        let opened = open_jetstream(&first, &config)
            .await
            .expect("starts once its key is recorded");
        let key = saved_key(&first);
        assert_eq!(key.public().to_hex(), hex);
        assert_eq!(
            opened.gateway.log.recorded_signer().as_deref(),
            Some(hex.as_str())
        );

        refused_with_another_key(&tmp, &config).await;
    }

    /// Given a stream created by hand without a key and a gateway user granted the stream
    /// update for the first start, when the first gateway starts, then it records its key on
    /// the stream, and a second gateway, with no key or its own, does not start on it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_first_gateway_on_a_stream_made_by_hand_records_its_key_there() {
        use crate::log::jetstream::tests::documented_permissions;
        let permissions = documented_permissions().replacen(
            "\"$JS.API.STREAM.INFO.TONGBAN\",",
            "\"$JS.API.STREAM.INFO.TONGBAN\", \"$JS.API.STREAM.UPDATE.TONGBAN\",",
            1,
        );
        assert_ne!(permissions, documented_permissions());
        let server = a_stream_made_by_hand(&permissions).await;
        let tmp = TempDir::new("stream-by-hand-recorded");
        let config = as_gateway_user(&server);
        let first = DataDir(tmp.path().join("first"));
        let opened = open_jetstream(&first, &config)
            .await
            .expect("the first gateway records its key");
        let key = saved_key(&first);
        assert_eq!(
            opened.gateway.log.recorded_signer(),
            Some(key.public().to_hex())
        );
        assert!(!first.new_key().exists());

        let fresh = DataDir(tmp.path().join("fresh"));
        refused_as!(
            open_jetstream(&fresh, &config).await,
            ServeError::NoKeyForStream { .. }
        );
        assert!(!fresh.key().exists() && !fresh.new_key().exists());
        refused_with_another_key(&tmp, &config).await;
    }

    /// A server with a stream holding two events of its first gateway (sealed with seed 3, the
    /// conformance events' key, [`crate::log::conformance::event`]), and a directory for the
    /// data directories of the gateways that then join it.
    async fn a_stream_with_events(
        name: &str,
    ) -> (crate::testnats::NatsServer, TempDir, JetStreamConfig) {
        let server = crate::testnats::NatsServer::start();
        let config = JetStreamConfig::new(server.url());
        let log = JetStreamLog::open(&config).await.expect("open");
        crate::log::conformance::append_chain(&log, &crate::ids::new_v7(), 2).await;
        (server, TempDir::new(name), config)
    }

    /// A server whose users have `permissions`, with the stream TONGBAN created by hand (by its
    /// admin) from docs/operations.md's configuration, which records no key.
    async fn a_stream_made_by_hand(permissions: &str) -> crate::testnats::NatsServer {
        use crate::log::jetstream::tests::{as_admin, documented_stream};
        let server = crate::testnats::NatsServer::start_with_config(permissions);
        as_admin(
            &server,
            "$JS.API.STREAM.CREATE.TONGBAN",
            documented_stream(None),
        )
        .await;
        server
    }

    /// A server and a gateway that made the stream there, started on the data directory
    /// `maker` of a directory named `name`, with the key of `seed` or, without one, a key it
    /// made.
    async fn a_first_gateway(
        name: &str,
        seed: Option<[u8; 32]>,
    ) -> (
        crate::testnats::NatsServer,
        TempDir,
        JetStreamConfig,
        DataDir,
        Opened<JetStreamLog>,
    ) {
        let server = crate::testnats::NatsServer::start();
        let tmp = TempDir::new(name);
        let config = JetStreamConfig::new(server.url());
        let maker = DataDir(tmp.path().join("maker"));
        if let Some(seed) = seed {
            write_key(&maker, seed);
        }
        let opened = open_jetstream(&maker, &config)
            .await
            .expect("first gateway");
        (server, tmp, config, maker, opened)
    }

    /// A server, a data directory and a gateway started on a stream it made, with the key the
    /// conformance events are sealed with (seed 3), that appended two of them.
    async fn a_gateway_with_events(
        name: &str,
    ) -> (
        crate::testnats::NatsServer,
        TempDir,
        JetStreamConfig,
        Opened<JetStreamLog>,
    ) {
        let (server, tmp, config, _, opened) = a_first_gateway(name, Some([3; 32])).await;
        crate::log::conformance::append_chain(&*opened.gateway.log, &crate::ids::new_v7(), 2).await;
        (server, tmp, config, opened)
    }

    /// Sets the stream's metadata entry `name` to `value` as an operator would by hand: its
    /// configuration read and sent back with the entry changed.
    async fn set_stream_metadata(server: &crate::testnats::NatsServer, name: &str, value: &str) {
        crate::log::jetstream::tests::change_stream(server, |stream| {
            stream.metadata.insert(name.to_string(), value.to_string());
        })
        .await;
    }

    /// Given a stream whose events were sealed with one key (seed 3), when its metadata is made
    /// to record another (seed 4) by hand, typed in upper case hex with a line end, then a
    /// gateway with that other key starts: the record is the stream's key, read as a key, and
    /// its events are not checked (a message on the stream can look like an event of any
    /// key); a gateway with the events' key is refused as not the recorded one. When the
    /// record is the docs' placeholder, then no gateway starts, and the refusal says so.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_gateway_with_the_key_the_stream_records_starts_whatever_its_events_say() {
        let (server, tmp, config, _maker) = a_gateway_with_events("stream-recorded-by-hand").await;
        let other_key = GatewayKey::from_seed([4; 32]).public();
        let typed = format!("{}\n", other_key.to_hex().to_uppercase());
        set_stream_metadata(&server, SIGNER_METADATA, &typed).await;

        let other = DataDir(tmp.path().join("other"));
        write_key(&other, [4; 32]);
        open_jetstream(&other, &config)
            .await
            .expect("the recorded key, typed otherwise");
        let events_key = DataDir(tmp.path().join("events-key"));
        write_key(&events_key, [3; 32]);
        let refused = refused_as!(
            open_jetstream(&events_key, &config).await,
            ServeError::NotTheRecordedKey { .. }
        );
        assert!(refused.contains(&other_key.kid()), "{refused}");

        set_stream_metadata(&server, SIGNER_METADATA, SIGNER_PLACEHOLDER).await;
        let placeholder = DataDir(tmp.path().join("placeholder"));
        write_key(&placeholder, [3; 32]);
        let message = refused_as!(
            open_jetstream(&placeholder, &config).await,
            ServeError::PlaceholderRecorded { .. }
        );
        assert!(
            message.contains("the stream's metadata still holds the docs' placeholder"),
            "{message}"
        );
        assert!(!placeholder.log_source().exists(), "{message}");
    }

    /// Given a stream made by hand without the key record, holding events sealed by the
    /// gateways' key (seed 3) and, last, one event of a stray second key (seed 4), and gateway
    /// users with the documented rights (no stream update): when a gateway with the events'
    /// key starts (an upgrade of a running fleet), then it starts, though it cannot record its
    /// key; when one with the stray key starts, then it is refused, naming the first event,
    /// though it verifies the stream's last event, and the stream still records no key.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_upgrade_without_the_update_right_starts_and_a_stray_key_does_not() {
        use crate::log::jetstream::tests::{documented_permissions, stream_metadata};
        let server = a_stream_made_by_hand(&documented_permissions()).await;
        {
            let mut admin =
                JetStreamConfig::new(format!("nats://admin:admin@127.0.0.1:{}", server.port()));
            admin.create_missing = false;
            let log = JetStreamLog::open(&admin).await.expect("open as admin");
            crate::log::conformance::append_chain(&log, &crate::ids::new_v7(), 2).await;
            let mut stray = crate::log::conformance::event(&crate::ids::new_v7(), 1, "");
            stray.seal(&GatewayKey::from_seed([4; 32]));
            log.append(stray, 0).await.expect("the stray event");
        }
        let tmp = TempDir::new("stream-by-hand-upgrade");
        let config = as_gateway_user(&server);

        let fleet = DataDir(tmp.path().join("fleet"));
        write_key(&fleet, [3; 32]);
        let opened = open_jetstream(&fleet, &config)
            .await
            .expect("starts on its events' key, unrecorded");
        assert_eq!(opened.gateway.log.recorded_signer(), None);

        let stray = DataDir(tmp.path().join("stray"));
        write_key(&stray, [4; 32]);
        let message = refused_as!(
            open_jetstream(&stray, &config).await,
            ServeError::NotTheStreamsKey { first: 1, .. }
        );
        assert!(
            message.contains(&GatewayKey::from_seed([4; 32]).public().kid()),
            "{message}"
        );
        let metadata = stream_metadata(&server).await;
        assert!(metadata.get(SIGNER_METADATA).is_none(), "{metadata}");
    }

    /// Given a running gateway on a stream that records its key, when the stream's metadata is
    /// made to record another key (another gateway's record landing late), then within a few
    /// head polls its appends are refused for good, saying the stream records another key.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_gateway_whose_key_the_stream_no_longer_records_stops_appending() {
        let (server, _tmp, _config, opened) = a_gateway_with_events("stream-record-changed").await;

        let other = GatewayKey::from_seed([4; 32]).public();
        set_stream_metadata(&server, SIGNER_METADATA, &other.to_hex()).await;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let refused = loop {
            let event = crate::log::conformance::event(&crate::ids::new_v7(), 1, "");
            match opened.gateway.log.append(event, 0).await {
                Err(e) if e.to_string().contains("now records") => break e,
                _ if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => panic!("still appending: {other:?}"),
            }
        };
        assert!(refused.to_string().contains(&other.kid()), "{refused}");
        // For good: the record put back does not undo it (a restart checks the key again).
        set_stream_metadata(
            &server,
            SIGNER_METADATA,
            &GatewayKey::from_seed([3; 32]).public().to_hex(),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let event = crate::log::conformance::event(&crate::ids::new_v7(), 1, "");
        let still = opened.gateway.log.append(event, 0).await;
        assert!(still.is_err(), "{still:?}");
    }

    /// Given a stream a gateway makes, then it records in its metadata that its application ids
    /// are keyed, and every gateway of it derives the same keyed ids (from the key they share);
    /// with the record gone (a stream promoted from a mirror), a gateway goes by the stream's
    /// keyed submissions. Given an empty stream made without the record (by hand), then it is
    /// keyed too.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stream_a_gateway_makes_keys_its_application_ids_and_so_does_one_made_by_hand() {
        use crate::ids::Derivation;
        let (server, tmp, config, maker, first) = a_first_gateway("stream-app-ids", None).await;
        assert_eq!(first.gateway.app_ids.derivation(), Derivation::Keyed);
        let joining = with_key_of(&maker, tmp.path().join("joining"));
        let second = open_jetstream(&joining, &config)
            .await
            .expect("second gateway");
        assert_eq!(second.gateway.app_ids.derivation(), Derivation::Keyed);
        assert_eq!(
            first.gateway.app_ids.for_key("440000", "k1"),
            second.gateway.app_ids.for_key("440000", "k1")
        );

        // A submission under a key, then the stream's record gone (as on a stream promoted
        // from a mirror, whose metadata is its own): a gateway starting on it goes by the
        // submission.
        let made = saved_key(&maker);
        let submitted =
            crate::log::app_ids::tests::submission(&made, Some("gd-1"), Derivation::Keyed);
        first
            .gateway
            .log
            .append(submitted, 0)
            .await
            .expect("append");
        crate::log::jetstream::tests::change_stream(&server, |stream| {
            stream
                .metadata
                .remove(crate::log::jetstream::APP_IDS_METADATA);
        })
        .await;
        let after = with_key_of(&maker, tmp.path().join("after"));
        let third = open_jetstream(&after, &config)
            .await
            .expect("third gateway");
        assert_eq!(third.gateway.app_ids.derivation(), Derivation::Keyed);
        // And recorded on the stream again, for every later start.
        let recorded = crate::log::jetstream::tests::stream_config_of(&server)
            .await
            .metadata
            .get(crate::log::jetstream::APP_IDS_METADATA)
            .cloned();
        assert_eq!(recorded.as_deref(), Some("keyed/v2"));

        let mut by_hand = JetStreamConfig::new(server.url());
        by_hand.stream = "BY_HAND".into();
        by_hand.subject_prefix = "byhand.app".into();
        let mut stream = crate::log::jetstream::stream_config(&by_hand);
        stream.metadata.clear();
        let js =
            async_nats::jetstream::new(async_nats::connect(server.url()).await.expect("connect"));
        js.create_stream(stream)
            .await
            .expect("a stream made by hand");
        let other = DataDir(tmp.path().join("other"));
        let opened = open_jetstream(&other, &by_hand)
            .await
            .expect("a stream made by hand");
        // Empty: keyed, as every gateway of it will judge by the keyed submissions it gets.
        assert_eq!(opened.gateway.app_ids.derivation(), Derivation::Keyed);
    }

    /// A first start interrupted after the stream recorded the new key and before the key was
    /// the directory's: the next start finds the key kept aside, the one the stream recorded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_first_start_interrupted_after_the_stream_recorded_its_key_resumes_with_that_key() {
        let server = crate::testnats::NatsServer::start();
        let tmp = TempDir::new("stream-key-interrupted");
        let dir = DataDir(tmp.path().to_path_buf());
        let key = GatewayKey::from_seed([5; 32]);
        key.save(&dir.new_key()).expect("kept aside");
        let mut config = JetStreamConfig::new(server.url());
        config.signer = Some(key.public().to_hex());
        drop(
            JetStreamLog::open(&config)
                .await
                .expect("the stream, made with the record"),
        );

        open_jetstream(&dir, &JetStreamConfig::new(server.url()))
            .await
            .expect("resumes");
        let kept = saved_key(&dir);
        assert_eq!(kept.public().to_hex(), key.public().to_hex());
        assert!(!dir.new_key().exists(), "kept aside no more");
    }

    /// Given a first start refused before it made a stream (no server listening; a single
    /// server asked for three replicas), then the key it made for the stream does not stay
    /// beside the directory as `gateway.key.new`, to be warned of at every later start as if a
    /// stream might hold it; and the replicas refusal names `--nats-replicas`. (Found by a
    /// JetStream walkthrough.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_first_start_refused_before_a_stream_was_made_keeps_no_key_aside() {
        let tmp = TempDir::new("refused-first-start");
        let dir = DataDir(tmp.path().join("down"));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut down = JetStreamConfig::new(format!("nats://127.0.0.1:{port}"));
        down.op_timeout = std::time::Duration::from_secs(1);
        let refused = open_jetstream(&dir, &down).await.err().expect("refused");
        assert!(!dir.new_key().exists(), "kept aside: {refused}");
        assert!(!dir.key().exists(), "{refused}");

        let server = crate::testnats::NatsServer::start();
        let dir = DataDir(tmp.path().join("single"));
        let mut three = JetStreamConfig::new(server.url());
        three.replicas = 3;
        let refused = open_jetstream(&dir, &three).await.err().expect("refused");
        let message = refused.to_string();
        assert!(message.contains("--nats-replicas 3"), "{message}");
        assert!(!dir.new_key().exists(), "kept aside: {message}");
        open_jetstream(&dir, &JetStreamConfig::new(server.url()))
            .await
            .expect("one replica");
        assert!(dir.key().exists() && !dir.new_key().exists());
    }

    /// A data directory that follows a stream is never given a new one on a server that has
    /// none (a mistyped --nats): the start is refused naming the URL, and that server is left
    /// without a stream, instead of holding a new empty log the directory then refuses.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_gateway_that_follows_a_stream_makes_none_on_other_servers() {
        let (right, wrong) = (
            crate::testnats::NatsServer::start(),
            crate::testnats::NatsServer::start(),
        );
        let tmp = TempDir::new("wrong-nats");
        let dir = DataDir(tmp.path().to_path_buf());
        // The first start binds the directory to the stream it made (only the log: a gateway
        // opened in this process would keep the projections locked until the process ends).
        JetStreamLog::open_checked(&JetStreamConfig::new(right.url()), |source| {
            bind_log_source(&dir, source)
        })
        .await
        .expect("first start");
        let message = refused_as!(
            open_jetstream(&dir, &JetStreamConfig::new(wrong.url())).await,
            ServeError::StreamMissing { .. }
        );
        assert!(message.contains(&wrong.url()), "{message}");
        assert!(
            message.contains("the stream TONGBAN created 20"),
            "{message}"
        );
        let js = async_nats::jetstream::new(async_nats::connect(wrong.url()).await.expect("nats"));
        assert!(js.get_stream("TONGBAN").await.is_err(), "no stream made");
        // Its own servers still serve it.
        open_jetstream(&dir, &JetStreamConfig::new(right.url()))
            .await
            .expect("right servers");
        // A directory of the embedded log is not a first start either: no stream is made for it,
        // on servers without one or with one.
        let embedded = DataDir(tmp.path().join("embedded"));
        std::fs::create_dir_all(&embedded.0).expect("dir");
        bind_log_source(&embedded, "embedded").expect("embedded");
        for servers in [&wrong, &right] {
            let message = refused_as!(
                open_jetstream(&embedded, &JetStreamConfig::new(servers.url())).await,
                ServeError::FollowsEmbedded { .. }
            );
            assert!(message.contains("follow the embedded log"), "{message}");
        }
        assert!(js.get_stream("TONGBAN").await.is_err(), "no stream made");
    }

    /// The names in a data directory, sorted: what a start left there.
    fn entries(dir: &DataDir) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&dir.0)
            .expect("read the data directory")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A calendar that does not read: a start is refused by it after the stores were opened.
    fn write_bad_calendar(dir: &DataDir) {
        std::fs::create_dir_all(&dir.0).expect("dir");
        std::fs::write(dir.holidays(), r#"{"holidays": "2026-10-01"}"#).expect("holidays.json");
    }

    /// Given a gateway serving a data directory, when a second start is made on it, then that
    /// start is refused before it looks at anything, saying another process holds it, and the
    /// directory is as the first left it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_data_directory_serves_one_gateway_at_a_time() {
        let tmp = TempDir::new("dir-held");
        let dir = DataDir(tmp.path().join("data"));
        let first = open_embedded(&dir).expect("first");
        let before = entries(&dir);
        let message = refused_as!(open_embedded(&dir), ServeError::DataDirInUse { .. });
        assert!(message.contains("in use by another process"), "{message}");
        assert_eq!(entries(&dir), before);
        drop(first);
    }

    /// Given a data directory whose log-source names the embedded log, when its log is gone
    /// (left out of a restore, or on a volume not mounted), then the gateway does not start a
    /// new, empty log there: it is refused, naming the log to restore, and makes nothing.
    /// (Found by a review: with the projections lost too and only evidence kept, a start began
    /// numbering events from 1 again.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_directory_naming_the_embedded_log_is_not_served_without_it() {
        let tmp = TempDir::new("embedded-log-missing");
        let served = DataDir(tmp.path().join("served"));
        drop(open_embedded(&served).expect("first start"));
        assert_eq!(
            std::fs::read_to_string(served.log_source())
                .expect("log-source")
                .trim(),
            "embedded"
        );
        // (A gateway opened in this process keeps its stores locked until the process ends:
        // the directory is started again from a copy.)
        for (lost, empty) in [
            (vec!["log"], false),
            (vec!["log", "projections"], false),
            // The mount point of the log's volume, not mounted.
            (vec!["log", "projections"], true),
        ] {
            let restored = DataDir(tmp.path().join(format!("{}-{empty}", lost.join("-"))));
            crate::testutil::copy_dir(&served.0, &restored.0);
            for part in &lost {
                std::fs::remove_dir_all(restored.0.join(part)).expect("remove");
            }
            if empty {
                std::fs::create_dir_all(restored.log().join("lost+found")).expect("mount point");
            }
            let before = entries(&restored);
            let refused = open_embedded(&restored).err().expect("refused");
            let message = refused.to_string();
            assert!(
                matches!(refused, ServeError::EmbeddedLogMissing { .. }),
                "{lost:?}: {message}"
            );
            assert!(
                message.contains("Restore") && message.contains("/log from the backup"),
                "{message}"
            );
            assert_eq!(entries(&restored), before, "{lost:?}: something was made");
        }
    }

    /// Given a new data directory, when the embedded start is refused after it made its stores
    /// and its key (a `holidays.json` that does not read), then it leaves the directory as it
    /// came: no log, projections, evidence, log-source or key.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_embedded_start_leaves_a_new_directory_as_it_came() {
        let tmp = TempDir::new("embedded-refused-new");
        let dir = DataDir(tmp.path().join("data"));
        write_bad_calendar(&dir);
        refused_as!(open_embedded(&dir), ServeError::Calendar { .. });
        assert_eq!(entries(&dir), ["holidays.json"]);
    }

    /// Given a stream holding events and a new data directory joining it, whose book has a region
    /// that signs its requests, when the first start is refused after it opened its projections
    /// (a `holidays.json` that does not read), then it removes the projections and log-source it
    /// made, and the next start, with the calendar fixed, joins the stream. (Found by a review:
    /// the projections left behind made the next start take the directory for one a gateway had
    /// run on, and ask for evidence it never had.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_start_on_a_stream_leaves_a_joining_directory_joining() {
        let (_server, tmp, config) = a_stream_with_events("stream-refused-joining").await;
        let joining = DataDir(tmp.path().join("joining"));
        write_key(&joining, [3; 32]);
        write_signing_book(&joining);
        write_bad_calendar(&joining);
        refused_as!(
            open_jetstream(&joining, &config).await,
            ServeError::Calendar { .. }
        );
        assert_eq!(
            entries(&joining),
            [
                "gateway.key",
                "holidays.json",
                "regions.json",
                "regions.json.lock"
            ]
        );
        std::fs::write(joining.holidays(), r#"{"holidays": ["2026-10-01"]}"#)
            .expect("holidays.json");
        let opened = open_jetstream(&joining, &config)
            .await
            .expect("joins the stream");
        assert_eq!(*opened.gateway.log.head().borrow(), 2);
        assert!(joining.log_source().exists(), "follows the stream");
    }
}
