//! Reading the log and evidence without a running gateway, for the operator commands: from a data
//! directory (embedded log) or from the JetStream stream (`--nats URL [--nats-creds FILE]`). The
//! data directory still supplies the gateway key, the region names and the holiday calendar.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tongban_gateway::auth::RegionBook;
use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::{Envelope, GatewayKey, KeyRefusal, PublicKey};
use tongban_gateway::log::{
    AnyLog, EmbeddedLog, EventLog, JetStreamConfig, JetStreamLog, LogError, PassedOver, Placed,
};
use tongban_gateway::projections::ProjectionStore;
use tongban_gateway::projections::marked::FeedCursors;
use tongban_gateway::server::{DataDir, load_calendar};
use tongban_replay::feeds::Cursors;
use tongban_replay::provenance::{CalendarSource, KeyOrigin, KeySource, Provenance};
use tongban_replay::requests::Requests;
use tongban_replay::timeline::Timeline;
use tongban_replay::verify::{self, Report, Verdict};

use super::{Args, CliError};

/// Why no cursor is shown for a stream whose bucket is not on the server read: the tools say
/// so rather than "nothing acknowledged yet", which the server cannot back.
const NO_BUCKET: &str = "cursors unavailable: no cursor bucket for this stream on this server \
     (a mirror, or a stream restored without its bucket, or one whose bucket names another \
     stream): read them from the server of the gateways that serve it";

/// Why no first acknowledgement is shown on a stream without a history of them.
const NO_HISTORY: &str = "no acknowledgement history for this stream on this server (its \
     gateways are of a build before it, or it was restored without its `<stream>_acks` stream): \
     when each region first acknowledged past an event is not known here";

pub fn data_dir(args: &mut Args) -> DataDir {
    DataDir(PathBuf::from(
        args.value("data").unwrap_or_else(|| "tongban-data".into()),
    ))
}

/// The offline command a [`Source`] reads for: what its refusal of a data directory a running
/// gateway holds names as the way to the same answer while the gateway runs ([`Source::in_use`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    Verify,
    /// Reads no log: named for the key only, never refused for a held directory.
    Heads,
    Replay,
    Dispute,
    Find,
    Rebuild,
    Reconcile,
    Statistics,
}

impl Tool {
    /// How the running gateway answers what this command would, as its refusal says it; `None`
    /// for a rebuild, which replaces the projections the gateway serves and so waits for it
    /// to stop.
    fn while_served(self) -> Option<&'static str> {
        Some(match self {
            Tool::Verify | Tool::Heads => {
                "GET /v1/log/head (keep its signed head) and GET /v1/log/records after it \
                 (`tongban heads --records`) check its live log, as each region's feed does \
                 with docs/audit/verify_chain.py"
            }
            Tool::Replay => {
                "GET /v1/applications/<id>/replay (?at=, ?seq=) answers the same timeline, as \
                 --format json prints it"
            }
            Tool::Dispute => {
                "GET /ui/applications/<id> (?at=, ?seq=), its evidence page, is the same report"
            }
            Tool::Find => {
                "GET /v1/applications?serial=<serial>[&region=<code>] answers the same from its \
                 projections (an operator's token sees every application)"
            }
            Tool::Reconcile => {
                "POST the export to /v1/regions/<code>/reconcile[?tolerance_seconds=N] with an \
                 operator's token and Content-Type text/csv or application/x-ndjson (a charset \
                 parameter for GBK): it answers the report --format json prints, for an export \
                 of up to 64 MiB (docs/operators.md, \"Reconciliation over HTTP\")"
            }
            Tool::Statistics => {
                "GET /v1/regions/<code>/statistics?at=<RFC 3339> answers the same figures"
            }
            Tool::Rebuild => return None,
        })
    }
}

/// Where the events come from, and the key they are checked against.
pub struct Source {
    pub dir: DataDir,
    /// The command reading, which a refusal of a held directory names the way around for.
    tool: Tool,
    pub nats: Option<JetStreamConfig>,
    /// `--public-key HEX`: the gateway's public key as the checker holds it.
    pub public_key: Option<PublicKey>,
    /// The copy of the embedded log that is read ([`super::log_copy`]), kept until the command
    /// ends.
    copy: std::sync::Mutex<Option<super::log_copy::LogCopy>>,
    /// The data directory's projections, opened from a copy made the first time a command
    /// asks ([`Source::projections`]): one copy serves both the checkpoint and the cursors.
    projections: std::sync::Mutex<Option<std::sync::Arc<ProjectionsCopy>>>,
    /// What the command was asked about, checked ([`Source::asked_about`]): the refusal of a held
    /// directory writes the route with them in its placeholders (`<id>`, `<code>`).
    asked: std::sync::Mutex<Vec<(&'static str, String)>>,
}

/// Projections opened from a copy of them, removed when the last holder is done (the store
/// closed first, then its copy removed: fields drop in order).
struct ProjectionsCopy {
    store: ProjectionStore,
    copy: super::log_copy::LogCopy,
}

/// `e`'s message naming the directory copied (`shown`) where it names `copy`: the operator
/// knows the directory, not the copy.
fn as_of_dir(e: impl std::fmt::Display, copy: &super::log_copy::LogCopy, shown: &str) -> String {
    e.to_string()
        .replace(&copy.log().display().to_string(), shown)
}

impl Source {
    /// `--data DIR`, optionally `--nats URL [--nats-creds FILE]` and `--public-key HEX`, which
    /// is checked here, before anything is opened: a mistyped key is a usage error.
    pub fn from_args(args: &mut Args, tool: Tool) -> Result<Source, CliError> {
        let dir = data_dir(args);
        let creds = args.value("nats-creds").map(PathBuf::from);
        let nats = match (args.value("nats"), creds) {
            (Some(url), creds) => {
                let mut config = JetStreamConfig::new(url);
                config.creds = creds;
                // Reading never creates or changes the stream.
                config.create_stream = false;
                Some(config)
            }
            // Credentials with no server to give them to: the --nats URL was left out, and the
            // embedded log would be read instead of the stream meant.
            (None, Some(_)) => {
                return Err(CliError(
                    "--nats-creds goes with --nats URL (the credentials of that server); add \
                     --nats, or drop --nats-creds to read the embedded log in --data"
                        .into(),
                ));
            }
            (None, None) => None,
        };
        let public_key = args
            .value("public-key")
            .map(|hex| parse_public_key(&hex))
            .transpose()?;
        Ok(Source {
            dir,
            tool,
            nats,
            public_key,
            copy: std::sync::Mutex::new(None),
            projections: std::sync::Mutex::new(None),
            asked: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Says what the command asks about, once the value is checked (an application id of the
    /// API's form, a region's 6-digit code): a refusal of a held directory names the running
    /// gateway's route with it (`GET /ui/applications/0192…/`, `/v1/regions/440000/reconcile`)
    /// rather than a placeholder the operator retypes. Never a serial, which may be a person's
    /// number.
    pub fn asked_about(&self, placeholder: &'static str, value: &str) {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push((placeholder, value.to_string()));
        }
    }

    /// Removes the copy of the embedded log read so far (none for a stream), once what was
    /// needed of it is in memory.
    pub fn release_copy(&self) {
        let copy = self.copy.lock().ok().and_then(|mut slot| slot.take());
        drop(copy);
        let projections = self
            .projections
            .lock()
            .ok()
            .and_then(|mut slot| slot.take());
        drop(projections);
    }

    /// The data directory's projections (`projections/`, which must be there), opened from a
    /// copy ([`super::log_copy`]: opening them writes to them), made once a command and kept
    /// until [`Source::release_copy`] or the command's end: the checkpoint and the cursors a
    /// dispute reads come from one copy, where each made its own. `None` while a running
    /// gateway holds them (each caller says so in its own words). An error names the directory,
    /// not the copy.
    fn projections(&self) -> Result<Option<std::sync::Arc<ProjectionsCopy>>, CliError> {
        let mut slot = self
            .projections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(opened) = slot.as_ref() {
            return Ok(Some(std::sync::Arc::clone(opened)));
        }
        let projections = self.dir.projections();
        let Some(copy) = super::log_copy::LogCopy::unless_held(&projections)? else {
            return Ok(None);
        };
        let store = ProjectionStore::open_any_layout(&copy.log())
            .map_err(|e| CliError(as_of_dir(e, &copy, &projections.display().to_string())))?;
        let opened = std::sync::Arc::new(ProjectionsCopy { store, copy });
        *slot = Some(std::sync::Arc::clone(&opened));
        Ok(Some(opened))
    }

    /// Refuses a data directory without an embedded log when no `--nats` is given: opening the
    /// embedded log creates it, and a log made just now holds nothing to check, replay or
    /// compare, which would pass for an empty log that verified. Checked before anything opens.
    pub fn require_log(&self) -> Result<(), CliError> {
        if self.nats.is_none() && !self.dir.log().is_dir() {
            return Err(CliError(format!(
                "{} holds no embedded event log (log/): check --data, or for a JetStream log \
                 pass --nats URL",
                self.dir.0.display()
            )));
        }
        Ok(())
    }

    /// The log, never created and never changed: an embedded log must already be there
    /// ([`Source::require_log`]) and is read from a copy ([`super::log_copy`]); a JetStream
    /// stream is opened without creating it.
    pub async fn open(&self) -> Result<AnyLog, CliError> {
        self.require_log()?;
        if let Some(config) = &self.nats {
            return Ok(AnyLog::JetStream(JetStreamLog::open(config).await?));
        }
        // The one place every offline tool opens the embedded log: say what holds it and what
        // to do, in the tools' own terms.
        let copy = super::log_copy::LogCopy::of(&self.dir.log(), || self.in_use())?;
        let log = EmbeddedLog::open(&copy.log()).map_err(|e| match e {
            // The copy's messages name the copy; the operator knows the directory.
            LogError::Storage(why) => CliError(why.replace(
                &copy.log().display().to_string(),
                &self.dir.log().display().to_string(),
            )),
            // The copy's place, not the log: the log's own advice (make it writable, or run
            // `tongban verify`, the very command refused) would mislead.
            LogError::Unwritable { why, io, .. } => {
                copy_unwritable(&self.dir.log(), copy.root(), why, &io)
            }
            e => e.into(),
        })?;
        if let Ok(mut slot) = self.copy.lock() {
            *slot = Some(copy);
        }
        super::log_copy::test_pause().await;
        Ok(AnyLog::Embedded(log))
    }

    /// The refusal of a data directory a running gateway holds (its embedded log, or its
    /// projections), written once for every offline command: what holds it, how the running
    /// gateway answers the same question ([`Tool::while_served`]), and the ways to run the
    /// command itself (stop the gateway; a snapshot of the directory; a JetStream log read with
    /// --nats).
    pub fn in_use(&self) -> CliError {
        let CliError(mut said) = in_use(&self.dir.0, self.tool);
        if let Ok(asked) = self.asked.lock() {
            for (placeholder, value) in asked.iter() {
                said = said.replace(placeholder, value);
            }
        }
        CliError(said)
    }

    /// Where the data directory's projections were applied up to (their checkpoint), and their
    /// directory: what tells that the log lost events from its end, which no chain shows. Read
    /// from a copy ([`super::log_copy`]), as the log is: opening them writes to them. `follows`
    /// is the log they must follow: `None` for the embedded log (its own `log-source`, or none
    /// from before that marker), the stream's source for JetStream. `None` without projections,
    /// with projections that follow another log (`DIR/log-source`), and on JetStream while a
    /// gateway serves from the directory (its projections move on as this runs; said on stderr).
    pub fn projections_checkpoint(
        &self,
        follows: Option<&str>,
    ) -> Result<Option<(u64, String)>, CliError> {
        let projections = self.dir.projections();
        if !projections.is_dir() {
            return Ok(None);
        }
        match (std::fs::read_to_string(self.dir.log_source()), follows) {
            (Ok(source), None) if source.trim() != "embedded" => return Ok(None),
            (Ok(source), Some(stream)) if source.trim() != stream => return Ok(None),
            (Ok(_), _) => {}
            (Err(e), None) if e.kind() == std::io::ErrorKind::NotFound => {}
            (Err(e), Some(_)) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            (Err(e), _) => {
                return Err(CliError(format!(
                    "{}: {e}",
                    self.dir.log_source().display()
                )));
            }
        }
        let shown = projections.display().to_string();
        let opened = match self.projections()? {
            Some(opened) => opened,
            None if follows.is_some() => {
                eprintln!(
                    "note: the projections in {shown} are in use by a gateway serving the \
                     stream, so the stream's end was not compared with where they were applied \
                     up to (stop that gateway to have it compared)"
                );
                return Ok(None);
            }
            None => return Err(self.in_use()),
        };
        let checkpoint = opened
            .store
            .checkpoint()
            .map_err(|e| CliError(as_of_dir(e, &opened.copy, &shown)))?;
        Ok(Some((checkpoint, shown)))
    }

    /// The acknowledged feed cursor of each of `parties`, as a gateway of this log reads it: on
    /// the embedded log from the data directory's projections, where they live (read from a
    /// copy, as the log is: opening them writes to them); on a stream from its bucket, never
    /// created or changed. A stream with no bucket of its own on this server (a mirror, a
    /// stream restored without its bucket, or a bucket bound to another stream of that name)
    /// is said to have no cursors to read, never "nothing acknowledged": that would be a claim
    /// about the regions the server cannot back. With them, which of `positions` (those of
    /// `app`'s events) the parties' feeds give as markers, from the directory's projections
    /// (on a stream, when they follow it and no gateway holds them). Never an error: why none
    /// could be read is said where they would be.
    pub async fn cursors(
        &self,
        log: &AnyLog,
        app: &str,
        parties: &[String],
        positions: &[u64],
    ) -> Cursors {
        let read = match log {
            AnyLog::JetStream(stream) => self.stream_cursors(stream, app, parties, positions).await,
            AnyLog::Embedded(_) => self.embedded_cursors(app, parties, positions),
        };
        match read {
            Ok(read) => Cursors::Read(read),
            Err(why) => Cursors::Unavailable(why),
        }
    }

    async fn stream_cursors(
        &self,
        stream: &JetStreamLog,
        app: &str,
        parties: &[String],
        positions: &[u64],
    ) -> Result<FeedCursors, String> {
        let Some(bucket) = stream.existing_cursors().await.map_err(|e| e.to_string())? else {
            return Err(NO_BUCKET.to_string());
        };
        let mut acked = BTreeMap::new();
        let mut first = BTreeMap::new();
        // A stream whose gateways kept no history yet (all of a build before it): said so,
        // never read as "no acknowledgement".
        let mut history_unread = (!bucket.keeps_history()).then(|| NO_HISTORY.to_string());
        for region in parties {
            let cursor = bucket.acked(region).await.map_err(|e| e.to_string())?;
            acked.insert(region.clone(), cursor);
            if bucket.keeps_history() {
                // A history that does not read costs the party its first acknowledgements,
                // not the feeds: said why, beside its cursor.
                match bucket.first_acks(region, positions).await {
                    Ok(found) => {
                        first.insert(region.clone(), found);
                    }
                    Err(e) => history_unread = Some(e.to_string()),
                }
            }
        }
        // The cursors are the stream's; which positions the feeds gave as markers only the
        // projections know. Without them that is said, never read as "every event given".
        let marked = match self.projections_copy(Some(&stream.source())) {
            Ok(Some(opened)) => (opened.store)
                .marked(app, positions)
                .map_err(|e| e.to_string()),
            Ok(None) => Err(format!(
                "{} is not there: which positions the feeds gave as markers is kept in the \
                 projections of a gateway following this stream",
                self.dir.projections().display()
            )),
            Err(why) => Err(why),
        };
        Ok(match marked {
            Ok(marked) => FeedCursors {
                acked,
                first,
                history_unread,
                marked,
                marked_unread: None,
            },
            Err(why) => FeedCursors {
                acked,
                first,
                history_unread,
                marked: BTreeMap::new(),
                marked_unread: Some(why),
            },
        })
    }

    fn embedded_cursors(
        &self,
        app: &str,
        parties: &[String],
        positions: &[u64],
    ) -> Result<FeedCursors, String> {
        let opened = self.projections_copy(None)?.ok_or_else(|| {
            format!(
                "{} is not there: the embedded log's cursors live in the projections",
                self.dir.projections().display()
            )
        })?;
        let store = &opened.store;
        let acked = parties
            .iter()
            .map(|region| {
                store
                    .feed_acked(region)
                    .map(|acked| (region.clone(), acked))
                    .map_err(|e| e.to_string())
            })
            .collect::<Result<_, _>>()?;
        // A history that does not read costs the party its first acknowledgements, not the
        // feeds: said why, beside its cursor.
        let mut first = BTreeMap::new();
        let mut history_unread = None;
        for region in parties {
            match store.first_acks(region, positions) {
                Ok(found) => {
                    first.insert(region.clone(), found);
                }
                Err(e) => history_unread = Some(e.to_string()),
            }
        }
        let marked = store.marked(app, positions).map_err(|e| e.to_string())?;
        Ok(FeedCursors {
            acked,
            first,
            history_unread,
            marked,
            marked_unread: None,
        })
    }

    /// The data directory's projections, opened from a copy (opening them writes to them), when
    /// they follow `follows` (`None`: the embedded log; else the stream's source, which they
    /// must name in `DIR/log-source`). `None` when there are none; an error saying why when they
    /// follow another log, or a running gateway holds them. The copy goes with the returned guard.
    fn projections_copy(
        &self,
        follows: Option<&str>,
    ) -> Result<Option<std::sync::Arc<ProjectionsCopy>>, String> {
        let projections = self.dir.projections();
        let shown = projections.display().to_string();
        if !projections.is_dir() {
            return Ok(None);
        }
        match (std::fs::read_to_string(self.dir.log_source()), follows) {
            (Ok(source), None) if source.trim() != "embedded" => {
                return Err(format!(
                    "the projections in {shown} follow another log ({})",
                    source.trim()
                ));
            }
            (Ok(source), Some(stream)) if source.trim() != stream => {
                return Err(format!(
                    "the projections in {shown} follow another log ({})",
                    source.trim()
                ));
            }
            (Err(_), Some(_)) => {
                return Err(format!(
                    "the projections in {shown} name no log they follow"
                ));
            }
            _ => {}
        }
        match self.projections() {
            Ok(Some(opened)) => Ok(Some(opened)),
            Ok(None) => Err(format!("{shown} is in use by a running gateway")),
            Err(e) => Err(e.0),
        }
    }

    /// The regions' request signatures the data directory keeps for `events` (`evidence/`),
    /// read from a copy as the log is (opening the store writes to it), or why none can be
    /// shown. Never an error: the page shows the events whatever the evidence store says.
    pub fn requests(&self, events: &[Envelope]) -> Requests {
        // The page goes to other parties: it names the data directory's parts, not where the
        // operator keeps them (stderr says that).
        let dir = self.dir.evidence();
        if !dir.is_dir() {
            eprintln!(
                "note: {} is not there: the page shows no request signatures",
                dir.display()
            );
            return Requests::Unavailable(
                "所读的数据目录中没有 evidence/（请求签名保存在接收请求的网关的数据目录中：此目录可能不是该网关的，或恢复时未带上它，或来自不保存签名的版本）"
                    .to_string(),
            );
        }
        let shown = "evidence/";
        let copy = match super::log_copy::LogCopy::unless_held(&dir) {
            Ok(Some(copy)) => copy,
            Ok(None) => {
                return Requests::Unavailable(format!(
                    "{shown} 正被运行中的网关使用；请在该网关的证据页面（/ui/applications/{{id}}）查看，或停止网关后再运行本命令"
                ));
            }
            Err(e) => {
                eprintln!("note: the request signatures could not be read: {}", e.0);
                return Requests::Unavailable(format!("无法读取 {shown}（原因见命令的输出）"));
            }
        };
        let read = tongban_gateway::evidence::EvidenceStore::open(&copy.log()).and_then(|store| {
            let mut kept = BTreeMap::new();
            for e in events {
                if let Some(signature) = store.get(&e.id)? {
                    kept.insert(e.id.clone(), signature);
                }
            }
            Ok(kept)
        });
        match read {
            Ok(kept) => Requests::Kept(kept),
            Err(e) => {
                eprintln!(
                    "note: the request signatures could not be read: {}",
                    e.to_string().replace(
                        &copy.log().display().to_string(),
                        &dir.display().to_string()
                    )
                );
                Requests::Unavailable(format!("无法读取 {shown}（原因见命令的输出）"))
            }
        }
    }

    /// The key to check signatures with: `--public-key` when given, else the one derived from
    /// the directory's `gateway.key`.
    pub fn key(&self) -> Result<PublicKey, CliError> {
        if let Some(key) = &self.public_key {
            return Ok(*key);
        }
        if !self.dir.key().exists() {
            return Err(CliError(format!(
                "{} holds no gateway key (gateway.key): pass --public-key HEX, the gateway's \
                 public key as recorded before (GET /v1/keys of a gateway of this log)",
                self.dir.0.display()
            )));
        }
        // Loaded, never made: a key made here would check nothing.
        GatewayKey::load(&self.dir.key())?
            .map(|key| key.public())
            .ok_or_else(|| CliError(format!("{} holds no gateway key", self.dir.0.display())))
    }

    /// Which key the signatures were checked against, and why that matters: a key taken from
    /// the directory being checked proves nothing against someone who could rewrite that
    /// directory, since they could replace the key with it ([`KeySource::note`] says so).
    pub fn key_source(&self, key: &PublicKey) -> KeySource {
        KeySource::of(
            key,
            match &self.public_key {
                Some(_) => KeyOrigin::Given,
                None => KeyOrigin::DataDir(self.dir.key().display().to_string()),
            },
        )
    }

    /// Refuses `region` when the data directory's region book (what `regions list` prints) does
    /// not list it: a code of no region of the federation is a mistake to say, not an empty
    /// answer. An empty book (a `--nats` deployment's bare `--data`) knows no region to refuse.
    pub fn refuse_unknown_region(&self, region: &str) -> Result<(), CliError> {
        let book = RegionBook::open(&self.dir.regions())?;
        if !book.snapshot().regions.is_empty() && !book.has_region(region) {
            return Err(CliError(format!(
                "--region {region} is no region of this federation (see `tongban regions list`)"
            )));
        }
        Ok(())
    }

    /// The holiday calendar of the data directory, and which it was: without `holidays.json`, or
    /// with one that lists no date, deadlines count every weekday, holidays included, and the
    /// outputs say so; with one, they say the last year it lists.
    pub fn calendar(&self) -> Result<(Calendar, CalendarSource), CliError> {
        let path = self.dir.holidays();
        let calendar = load_calendar(&path)?;
        let source =
            CalendarSource::of(&calendar, &path.display().to_string(), Some(path.exists()));
        Ok((calendar, source))
    }
}

/// [`Source::in_use`] of data directory `dir`, for `tool`.
pub fn in_use(dir: &Path, tool: Tool) -> CliError {
    let dir = dir.display();
    CliError(match tool.while_served() {
        Some(while_served) => format!(
            "{dir} is in use by a running gateway (its embedded log is locked while it serves). \
             While it runs, ask it instead: {while_served}. To run this command, stop that \
             gateway first, or give --data a snapshot of the directory (docs/operations.md, \
             \"Checking the log\"); when the log is a JetStream stream, read it with --nats URL"
        ),
        None => format!(
            "{dir} is in use by a running gateway: stop that gateway first (a rebuild replaces \
             the projections it serves, with or without --nats)"
        ),
    })
}

/// The refusal of the copy of `log` made in `copy` ([`super::log_copy`]), which fjall could not
/// write (`why`, `io`: [`LogError::Unwritable`]): the copy's place is at fault, not the log,
/// which was neither opened nor changed. Not the log's own advice, which names `tongban verify`,
/// the very command refused.
fn copy_unwritable(log: &Path, copy: &Path, why: &str, io: &str) -> CliError {
    CliError(format!(
        "the offline tools read a copy of {} (fjall writes to any log it opens), and the copy \
         made in {} {why} ({io}). The log itself was not opened and is not changed; make room \
         where the copy is made (beside the data directory, else the system's temporary \
         directory, TMPDIR) and run the command again",
        log.display(),
        copy.display()
    ))
}

/// Reads the whole log in position order, in batches, calling `each` on every event, with a
/// progress bar on a terminal: what `find` and `reconcile` do with the gateway stopped. The
/// records that are not events are passed over ([`tongban_gateway::log::Whole`]) and answered,
/// for the command to say what its answer leaves out ([`say_passed_over`]).
pub async fn each_event(
    log: &AnyLog,
    mut each: impl FnMut(&tongban_gateway::log::Positioned),
) -> Result<PassedOver, CliError> {
    let head = *log.head().borrow();
    let mut bar = super::progress::Progress::new("reading the log");
    let mut whole = tongban_gateway::log::Whole::new(log, 4096);
    let mut done = 0;
    while let Some(batch) = whole.next().await? {
        done += batch.len() as u64;
        batch.iter().for_each(&mut each);
        bar.update(done, head);
    }
    bar.finish();
    Ok(whole.into_passed_over())
}

/// Says on stderr, when the read of the log `passed` over records that are not events, that
/// `answer` (`this reconciliation`) leaves them out and what that means for it (`consequence`):
/// where, why, never the bytes; and what to do.
pub fn say_passed_over(passed: &PassedOver, answer: &str, consequence: &str) {
    if passed.is_empty() {
        return;
    }
    eprintln!(
        "{answer} leaves out {passed}: {consequence}. Run `tongban verify`; restore the log from \
         a backup if it was damaged, or find who published on the stream's subjects"
    );
}

/// `--public-key HEX`, with an error that says which of four things is wrong: the length, a
/// character that is not a hex digit (and where), 64 hex digits that are no point of the curve
/// (most likely a typo in a copied key), or a weak key ([`KeyRefusal`]).
pub fn parse_public_key(text: &str) -> Result<PublicKey, CliError> {
    const SERVED: &str = "as GET /v1/keys serves it in public_key_hex";
    let hex = text.trim();
    if let Some((i, c)) = hex
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_hexdigit())
    {
        return Err(CliError(format!(
            "--public-key: character {} is {c:?}, not a hex digit (0-9, a-f); expected the 64 \
             hex digits of the gateway's Ed25519 public key, {SERVED}",
            i + 1
        )));
    }
    if hex.len() != 64 {
        return Err(CliError(format!(
            "--public-key: {} hex digits; an Ed25519 public key has 64, {SERVED}",
            hex.len()
        )));
    }
    PublicKey::parse_hex(hex).map_err(|why| {
        let advice = match why {
            // No gateway makes one: a weak key handed over as the gateway's is itself a finding.
            KeyRefusal::Weak => {
                "no gateway makes one; compare it with public_key_hex from GET \
                                 /v1/keys, and ask who handed it to you"
            }
            KeyRefusal::NotHex | KeyRefusal::NotAPoint => {
                "compare it with public_key_hex from GET /v1/keys"
            }
        };
        CliError(format!(
            "--public-key: not a valid Ed25519 public key: {why}; {advice}"
        ))
    })
}

/// Events lost from `log`'s end, by the data directory's projections: on the embedded log as
/// `checkpoint` found them (read before the log was copied; `None`: read now), on a stream as
/// they stand now, the stream's end asked after them (a gateway may write on meanwhile, and an
/// end read before them could be passed by what they applied since).
pub async fn lost_end_of(
    source: &Source,
    log: &AnyLog,
    checkpoint: Option<Result<Option<(u64, String)>, CliError>>,
) -> Result<Option<verify::LostEnd>, CliError> {
    match log {
        AnyLog::JetStream(stream) => {
            let checkpoint = source.projections_checkpoint(Some(&stream.source()));
            let end = log.refresh_head().await?;
            Ok(lost_end(end, checkpoint))
        }
        AnyLog::Embedded(_) => {
            let checkpoint = checkpoint.unwrap_or_else(|| source.projections_checkpoint(None));
            Ok(lost_end(*log.head().borrow(), checkpoint))
        }
    }
}

/// Events lost from the log's end: the projections' `checkpoint`
/// ([`Source::projections_checkpoint`], read before the log was copied) past the log's `end`. A
/// checkpoint that could not be read is warned of, and compares nothing.
fn lost_end(
    end: u64,
    checkpoint: Result<Option<(u64, String)>, CliError>,
) -> Option<verify::LostEnd> {
    match checkpoint {
        Ok(Some((checkpoint, dir))) => verify::LostEnd::of(end, checkpoint, &dir),
        Ok(None) => None,
        Err(e) => {
            eprintln!(
                "warning: the projections' checkpoint could not be read, so it was not checked \
                 whether events were lost from the log's end (past the last position the \
                 projections applied); the chain was verified all the same: {e}"
            );
            None
        }
    }
}

/// How a command that checked a chain exits, as `verify`, `replay` and `dispute` all do: 1 when
/// a link is broken or an event was removed; 3 when every link is sound but some event is
/// unreadable by this build (a newer gateway's, or rewritten after sealing); 0 otherwise. (2 is a usage error or a
/// log that could not be read.)
pub fn verdict(report: &Report) -> std::process::ExitCode {
    match report.verdict() {
        Verdict::Broken => std::process::ExitCode::from(1),
        Verdict::Unreadable => std::process::ExitCode::from(3),
        Verdict::Intact | Verdict::Empty => std::process::ExitCode::SUCCESS,
    }
}

pub struct Evidence {
    pub events: Vec<Envelope>,
    /// Where each of `events` is in the log (the same index), shown beside it.
    pub positions: Vec<u64>,
    pub calendar: Calendar,
    pub key: PublicKey,
    pub verification: Report,
    pub names: BTreeMap<String, String>,
    /// Where the key and the calendar came from, as every output states it.
    pub provenance: Provenance,
}

impl Evidence {
    /// With the regions' request signatures kept for the events ([`Source::requests`]), for a
    /// page: read only for one (the text and JSON outputs do not show them, and the copy it
    /// reads holds every signed request's body).
    pub fn with_requests(mut self, source: &Source) -> Evidence {
        self.provenance.requests = Some(source.requests(&self.events));
        self
    }

    /// The events, each at its position in the log.
    pub fn placed(&self) -> Placed<'_> {
        Placed::new(&self.events, &self.positions)
    }

    /// The evidence page as of now, as far as the events fold.
    pub fn page(&self) -> String {
        tongban_replay::html::evidence_page(
            self.placed(),
            &self.calendar,
            &self.verification,
            &self.key,
            &self.names,
            &self.provenance,
        )
    }

    /// The evidence page of the timeline `t` (to a point in time).
    pub fn report(&self, t: &Timeline) -> String {
        tongban_replay::html::render(
            Some(t),
            None,
            self.placed(),
            &self.verification,
            &self.key.to_hex(),
            &self.names,
            &self.provenance,
        )
    }
}

/// Refuses `app`, given as `option` (`<app-id>`, `--app`), when it cannot name an application
/// by its form ([`tongban_gateway::ids::check_app_id`], the rule and the words of the HTTP
/// API's 400), before the log is read: a mistyped id must not read as "no application … in the
/// log", which in a "we never received it" dispute says it does not exist. A value that is no
/// UUID at all is not quoted (it may be an ID number or a phone), and may be a province's own
/// number, which `tongban find` looks up.
pub fn check_app_id(option: &str, app: &str) -> Result<(), CliError> {
    use tongban_gateway::ids::NotAnAppId;
    tongban_gateway::ids::check_app_id(app).map_err(|refused| {
        let said = refused.message("the id given");
        CliError(match refused {
            NotAnAppId::Capitals { .. } => format!("{option}: {said}"),
            NotAnAppId::Other { .. } => format!(
                "{option}: {said}. A province's own number for an application (the origin's \
                 Idempotency-Key, a handler's 受理编号) is looked up with `tongban find \
                 --serial <number>` (with the same --data or --nats), which prints the \
                 application's id"
            ),
        })
    })
}

pub fn load(source: &Source, app: &str) -> Result<Evidence, CliError> {
    check_app_id("<app-id>", app)?;
    source.asked_about("<id>", app);
    source.require_log()?;
    let key = source.key()?;
    let (calendar, calendar_source) = source.calendar()?;
    let names = RegionBook::open(&source.dir.regions())?
        .snapshot()
        .regions
        .into_iter()
        .map(|(c, r)| (c, r.name))
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    // As `verify` does, so that the three commands give one verdict on one directory.
    let checkpoint = source
        .nats
        .is_none()
        .then(|| source.projections_checkpoint(None));
    let (events, positions, mut verification, cursors) = runtime.block_on(async {
        let log = source.open().await?;
        let (events, positions, mut verification) = verify::read_app(&log, app, &key).await?;
        verification.lost_end = lost_end_of(source, &log, checkpoint).await?;
        let parties = tongban_gateway::service::parties(&events);
        let cursors = source.cursors(&log, app, &parties, &positions).await;
        Ok::<_, CliError>((events, positions, verification, cursors))
    })?;
    verification.given_key = source.public_key.is_some();
    // The events are in memory: the copy of the log (all of its personal data) goes now, not
    // when the page or report is written.
    source.release_copy();
    if events.is_empty() {
        if !verification.chain_intact() {
            // What the log lost may have been this application's events: said, not hidden
            // behind "no application".
            return Err(CliError(format!(
                "no event of application {app} in the log, and the log is not whole (what it \
                 lost may have been this application's): {}",
                verification.findings().join("; ")
            )));
        }
        return Err(CliError(format!("no application {app} in the log")));
    }
    let provenance = Provenance {
        key: Some(source.key_source(&key)),
        calendar: Some(calendar_source),
        gateway: None,
        requests: None,
        cursors: Some(cursors),
    };
    Ok(Evidence {
        events,
        positions,
        calendar,
        key,
        verification,
        names,
        provenance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given each offline command refused a directory a running gateway holds, when the refusal
    /// is written, then it names the directory and what to do instead while the gateway runs,
    /// each its own route (find the serial lookup, reconcile the reconcile route), and how to
    /// run the command itself; a rebuild, which has no such route, says to stop the gateway.
    #[test]
    fn a_held_directory_is_refused_naming_what_answers_while_the_gateway_runs() {
        let dir = Path::new("/srv/tongban-data");
        for (tool, route) in [
            (Tool::Find, "GET /v1/applications?serial=<serial>"),
            (
                Tool::Reconcile,
                "POST the export to /v1/regions/<code>/reconcile",
            ),
            (Tool::Replay, "GET /v1/applications/<id>/replay"),
            (Tool::Dispute, "GET /ui/applications/<id>"),
            (Tool::Statistics, "GET /v1/regions/<code>/statistics?at="),
            (Tool::Verify, "GET /v1/log/head"),
        ] {
            let said = in_use(dir, tool).0;
            assert!(
                said.starts_with("/srv/tongban-data is in use by a running gateway")
                    && said.contains(&format!("While it runs, ask it instead: {route}"))
                    && said.contains("stop that gateway first")
                    && said.contains("--nats URL"),
                "{tool:?}: {said}"
            );
        }
        let said = in_use(dir, Tool::Rebuild).0;
        assert!(
            said.contains("stop that gateway first") && !said.contains("While it runs"),
            "{said}"
        );
        assert!(!said.contains("  "), "{said}");
    }

    /// Given a data directory whose embedded log's projections hold a region's cursor, when a
    /// dispute reads their checkpoint and then the parties' cursors, then both come from one
    /// copy of the projections, made at the first and kept beside the directory until the
    /// copies are released, then removed. (Each read made a copy of its own.)
    #[test]
    fn the_checkpoint_and_the_cursors_are_read_from_one_copy_of_the_projections() {
        let base =
            std::env::temp_dir().join(format!("tongban-projections-once-{}", std::process::id()));
        let data = base.join("data");
        let dir = DataDir(data.clone());
        {
            let store = ProjectionStore::open(&dir.projections()).expect("projections");
            store.ack_feed("330000", 2, "330000/test").expect("ack");
        }
        std::fs::write(dir.log_source(), "embedded\n").expect("log-source");
        let mut args = Args::parse(vec!["--data".into(), data.display().to_string()]);
        let source = Source::from_args(&mut args, Tool::Dispute).expect("source");
        let copies = || {
            std::fs::read_dir(&base)
                .expect("base")
                .filter(|e| {
                    e.as_ref()
                        .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(".tongban-"))
                })
                .count()
        };

        let (checkpoint, shown) = source
            .projections_checkpoint(None)
            .expect("read")
            .expect("projections");
        assert_eq!(
            (checkpoint, shown),
            (0, dir.projections().display().to_string())
        );
        assert_eq!(copies(), 1);
        let cursors = source
            .embedded_cursors("app-1", &["330000".to_string()], &[])
            .expect("cursors");
        assert_eq!(cursors.acked["330000"].position, 2);
        assert_eq!(copies(), 1, "the same copy");
        source.release_copy();
        assert_eq!(copies(), 0);
        std::fs::remove_dir_all(&base).expect("clean up");
    }

    /// Given the copy an offline tool made that fjall could not write, when refused, then the
    /// refusal names the copy and the log, says the log was not changed, and does not send the
    /// operator to `tongban verify`, which is what was refused. (Found by an operator's
    /// walkthrough: the log's own advice was given, naming the log.)
    #[test]
    fn a_copy_that_cannot_be_written_is_said_as_the_copys() {
        let refused = copy_unwritable(
            Path::new("/srv/d/log"),
            Path::new("/srv/.tongban-log-copy-7-1"),
            "is on a full disk",
            "No space left on device (os error 28)",
        )
        .0;
        assert!(
            refused.contains("read a copy of /srv/d/log")
                && refused
                    .contains("the copy made in /srv/.tongban-log-copy-7-1 is on a full disk")
                && refused.contains("The log itself was not opened and is not changed"),
            "{refused}"
        );
        assert!(!refused.contains("tongban verify"), "{refused}");
    }
}
