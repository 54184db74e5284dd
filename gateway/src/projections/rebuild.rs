//! Rebuilding projections from the log: drop them, then fold every event again from position 1.
//! The result equals the live projection, because both use the same fold ([`super::store`]).

use std::path::{Path, PathBuf};

use super::store::{ProjectionError, ProjectionStore, Submissions};
use super::unchecked::Unchecked;
use super::verified::{self, Coverage, Stretch, VerifiedHead};
use crate::domain::calendar::Calendar;
use crate::envelope::{GatewayKey, PublicKey};
use crate::log::unreadable::Run;
use crate::log::{EventLog, LogError};

#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("reading the verified heads at {path}: {source}")]
    Heads {
        path: String,
        source: std::io::Error,
    },
    #[error("removing the old projections at {path}: {source}")]
    Remove {
        path: String,
        source: std::io::Error,
    },
}

/// Events folded per batch (one atomic projection write each).
const BATCH: usize = 16_384;

/// Replaces the projections in `dir` with ones rebuilt from `log`, folding only events whose
/// seal holds when they are checked ([`fill`], [`Checking`]). `progress(done, head)` is called after each
/// batch. Returns the store and what was folded.
pub async fn rebuild<L: EventLog>(
    log: &L,
    dir: &Path,
    cal: &Calendar,
    checking: Checking,
    progress: impl FnMut(u64, u64),
) -> Result<(ProjectionStore, Filled), RebuildError> {
    let store = clear(dir, Cursors::Keep)?.with_submissions(Submissions::for_log(log));
    let filled = fill(log, &store, cal, checking, progress).await?;
    Ok((store, filled))
}

/// Whether a rebuild checks the events' seals: with what, or why not. Folded without, the
/// projections are marked so ([`Unchecked`]) by [`fill`] itself, so that no caller (the CLI, a
/// bench, a test, a library user) can leave projections that look checked and were not.
pub enum Checking {
    Seals(Box<Seals>),
    /// Every event folded as the log holds it; `why` is what the mark says (e.g. "`tongban
    /// rebuild --trust-log`").
    Trusted {
        why: String,
    },
}

/// How a rebuild checks the events' seals.
pub struct Seals {
    /// The gateway's key the signatures must verify under.
    pub key: PublicKey,
    /// Verified heads ([`verified`]), already verified under `key`: the events a matching one
    /// vouches for have their hash recomputed, not their signature checked.
    pub heads: Vec<VerifiedHead>,
    /// Where to append verified heads over what this rebuild checked one by one, and the key to
    /// sign them with (the private half of `key`), so that the next rebuild need not check them
    /// again. `None`: none are written.
    pub writes: Option<(PathBuf, GatewayKey)>,
}

impl Seals {
    /// Every signature checked under `key`, no head used or written.
    pub fn each(key: PublicKey) -> Seals {
        Seals {
            key,
            heads: Vec::new(),
            writes: None,
        }
    }

    /// Checked under `key`, with the verified heads kept beside the projections in `dir`
    /// ([`verified::file_beside`]), and more written there when `signer` is `key`'s private
    /// half. Also returns how many lines of the file were not taken.
    pub fn beside(
        dir: &Path,
        key: PublicKey,
        signer: Option<GatewayKey>,
    ) -> Result<(Seals, usize), RebuildError> {
        let file = verified::file_beside(dir);
        let kept = verified::read(&file, &key).map_err(|source| RebuildError::Heads {
            path: file.display().to_string(),
            source,
        })?;
        let writes = signer.filter(|s| s.public() == key).map(|s| (file, s));
        Ok((
            Seals {
                key,
                heads: kept.heads,
                writes,
            },
            kept.refused,
        ))
    }
}

/// What a rebuild folded.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filled {
    /// Events read from the log.
    pub events: u64,
    /// Events whose signature a verified head vouched for (their hash was recomputed).
    pub attested: u64,
    /// The positions of verified heads that do not describe this log (another hash there, or
    /// no event): the events after them were checked one by one.
    pub mismatched: Vec<u64>,
    /// The positions of verified heads past the log's end: the gateway signed them over events
    /// this log no longer holds (its end lost, or cut).
    pub beyond: Vec<u64>,
    /// Verified heads written.
    pub written: usize,
}

/// What a rebuild does with the regions' feed cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursors {
    /// Kept: the same log as before, so a position means the same event. ([`fill`] then moves
    /// any cursor past the rebuilt log's end back to it.)
    Keep,
    /// [`Cursors::Keep`], of a stream, whose bucket holds every region's cursor as well (the
    /// gateways share them there): projections that do not open lose none of them.
    KeepShared,
    /// Dropped: another log, whose positions name other events; every region reads its feed
    /// from the start again (its consumer knows events by id).
    Drop,
}

/// Drops the projections in `dir` and returns an empty store in their place, holding only the
/// regions' feed cursors (their own progress, not derived from the log) when `cursors` keeps
/// them.
///
/// The cursors are written to a file beside `dir` ([`saved_cursors`]) before the projections
/// are removed, and that file is removed once the new store holds them: a clear interrupted in
/// between (killed, power lost) finds them there the next time, instead of losing every region's
/// progress.
pub fn clear(dir: &Path, cursors: Cursors) -> Result<ProjectionStore, RebuildError> {
    clear_noting(dir, cursors, &mut |note| tracing::warn!("{note}"))
}

/// [`clear`], telling `note` what the operator must know: projections that did not open, set
/// aside (not removed: a damaged store may be wanted to find out what damaged it), and whether
/// the regions' feed cursors were saved before.
///
/// A store that does not open is no reason to refuse a rebuild: it holds nothing the log does
/// not, but the regions' cursors, which come from the file [`clear`] keeps while it works when
/// there is one (an interrupted rebuild), and are otherwise lost: those regions read their feeds
/// from the start again (their consumers know events by id).
pub fn clear_noting(
    dir: &Path,
    cursors: Cursors,
    note: &mut dyn FnMut(&str),
) -> Result<ProjectionStore, RebuildError> {
    let saved = saved_cursors(dir);
    let saved_history = saved_acks(dir);
    let io = |source: std::io::Error| RebuildError::Remove {
        path: saved.display().to_string(),
        source,
    };
    let kept: Vec<(String, u64)> = match cursors {
        Cursors::Drop => {
            // Dropped with their cursors; one that does not open is set aside all the same, to
            // find out what damaged it.
            // (Another refusal to open is no matter here: they are removed below either way.)
            if dir.exists()
                && let Err(e @ RebuildError::Remove { .. }) = open_or_set_aside(dir, "", note)
            {
                return Err(e);
            }
            Vec::new()
        }
        Cursors::Keep | Cursors::KeepShared => {
            let mut opened = None;
            // Left by a clear that was interrupted: what the projections held then.
            let mut kept: std::collections::BTreeMap<String, u64> = if saved.exists() {
                let text = std::fs::read(&saved).map_err(io)?;
                let saved: Vec<(String, u64)> =
                    super::store::decode(&text, || saved.display().to_string())?;
                saved.into_iter().collect()
            } else {
                Default::default()
            };
            // And what the projections hold now, if they are still there (a gateway may have
            // run on them since): each region's furthest of the two.
            if dir.exists() {
                let cursors_then = match (saved.exists(), cursors) {
                    (true, _) => {
                        "The regions' feed cursors are those saved by the interrupted rebuild \
                         before"
                    }
                    (false, Cursors::KeepShared) => {
                        "On the stream, each region reads on from the cursor its gateways keep \
                         in the stream's bucket"
                    }
                    (false, _) => {
                        "Their regions' feed cursors are lost: each region's feed starts again \
                         from the beginning"
                    }
                };
                let more = format!(" and built again from the log. {cursors_then}");
                opened = open_or_set_aside(dir, &more, note)?;
                if let Some(store) = &opened {
                    for (region, position) in store.feed_cursors()? {
                        let at = kept.entry(region).or_default();
                        *at = (*at).max(position);
                    }
                }
            }
            save_history(opened.as_ref(), dir)?;
            drop(opened);
            let kept: Vec<(String, u64)> = kept.into_iter().collect();
            let bytes =
                serde_json::to_vec(&kept).map_err(|e| ProjectionError::Storage(e.to_string()))?;
            crate::fsutil::write_atomically(&saved, &bytes).map_err(io)?;
            kept
        }
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|source| RebuildError::Remove {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let store = ProjectionStore::open(dir)?;
    store.restore_feed_cursors(&kept)?;
    if !matches!(cursors, Cursors::Drop) {
        restore_history(&store, &saved_history)?;
    }
    // Every cursor and record is durable in the new store (written with an fsync): the copies
    // can go, the history's first, so that a clear interrupted between finds the cursors' copy
    // and the store's history, not a copy of a history the store has moved on from.
    for path in [&legacy_saved_acks(dir), &saved_history, &saved] {
        match std::fs::remove_file(path) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => {
                return Err(RebuildError::Remove {
                    path: path.display().to_string(),
                    source,
                });
            }
            _ => {}
        }
    }
    Ok(store)
}

/// A record of the acknowledgement history as [`clear`] keeps it while it works, one JSON line
/// each: region, from, to, milliseconds since the epoch, actor.
type SavedAck = (String, u64, u64, i64, String);

/// Where [`clear`] keeps the acknowledgement history while it replaces the projections in `dir`:
/// JSON Lines, written and read a record at a time, so that a history of millions of records
/// is carried over in bounded memory.
pub fn saved_acks(dir: &Path) -> std::path::PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".acks.jsonl");
    dir.with_file_name(name)
}

/// Where a build before [`saved_acks`] kept the history (one JSON array), read once if a clear
/// of that build was interrupted.
fn legacy_saved_acks(dir: &Path) -> std::path::PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".acks.json");
    dir.with_file_name(name)
}

/// Writes the history beside `dir` ([`saved_acks`]), a record a line: the records of the
/// projections `store` (when they opened), then those of a copy an interrupted clear left
/// (`path` itself, or a build before's [`legacy_saved_acks`]) that the projections do not hold,
/// since a gateway may have run on them since and the projections' own are the newer.
fn save_history(store: Option<&ProjectionStore>, dir: &Path) -> Result<(), RebuildError> {
    let path = &saved_acks(dir);
    let legacy = legacy_saved_acks(dir);
    let io = |source: std::io::Error| RebuildError::Remove {
        path: path.display().to_string(),
        source,
    };
    let line = |out: &mut dyn std::io::Write, saved: &SavedAck| -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, saved).map_err(std::io::Error::other)?;
        out.write_all(b"\n")
    };
    let unheld = |saved: &SavedAck| -> std::io::Result<bool> {
        match store {
            Some(store) => store
                .has_ack(&saved.0, saved.2)
                .map(|held| !held)
                .map_err(std::io::Error::other),
            None => Ok(true),
        }
    };
    crate::fsutil::write_atomically_from(path, |out| {
        if let Some(store) = store {
            store
                .each_ack(|region, r| {
                    let saved = (region.to_string(), r.from, r.to, r.at.0, r.actor);
                    line(out, &saved).map_err(|e| ProjectionError::Storage(e.to_string()))
                })
                .map_err(std::io::Error::other)?;
        }
        if path.exists() {
            for saved in read_saved(path) {
                let saved = saved?;
                if unheld(&saved)? {
                    line(out, &saved)?;
                }
            }
        }
        if legacy.exists() {
            let text = std::fs::read(&legacy)?;
            let saved: Vec<SavedAck> = serde_json::from_slice(&text).map_err(|e| {
                std::io::Error::other(format!(
                    "{}: {}",
                    legacy.display(),
                    tongban_schemas::mask::serde_error(&e)
                ))
            })?;
            for saved in saved {
                if unheld(&saved)? {
                    line(out, &saved)?;
                }
            }
        }
        Ok(())
    })
    .map_err(io)
}

/// The records of a history [`save_history`] wrote, read a line at a time.
fn read_saved(path: &Path) -> impl Iterator<Item = std::io::Result<SavedAck>> {
    use std::io::BufRead as _;
    let lines = std::fs::File::open(path).map(std::io::BufReader::new);
    let (lines, opened) = match lines {
        Ok(lines) => (Some(lines.lines()), None),
        Err(e) => (None, Some(Err(e))),
    };
    let shown = path.display().to_string();
    opened.into_iter().chain(
        lines
            .into_iter()
            .flatten()
            .filter(|line| !matches!(line, Ok(l) if l.is_empty()))
            .map(move |line| {
                serde_json::from_str::<SavedAck>(&line?).map_err(|e| {
                    std::io::Error::other(format!(
                        "{shown}: {}",
                        tongban_schemas::mask::serde_error(&e)
                    ))
                })
            }),
    )
}

/// Writes the history [`save_history`] kept at `path` (if any) into `store`, 4,096 records a
/// batch.
fn restore_history(store: &ProjectionStore, path: &Path) -> Result<(), RebuildError> {
    if !path.exists() {
        return Ok(());
    }
    let io = |source: std::io::Error| RebuildError::Remove {
        path: path.display().to_string(),
        source,
    };
    let mut chunk = Vec::with_capacity(4096);
    for saved in read_saved(path) {
        let (region, from, to, at, actor) = saved.map_err(io)?;
        let at = crate::time::Timestamp(at);
        chunk.push((
            region,
            crate::log::AckRecord {
                from,
                to,
                at,
                actor,
            },
        ));
        if chunk.len() == 4096 {
            store.restore_ack_history(&chunk)?;
            chunk.clear();
        }
    }
    store.restore_ack_history(&chunk)?;
    Ok(())
}

/// The projections in `dir` opened, or, when they do not open, set aside ([`set_aside`]) and
/// `None`, telling `note` so, with `more` after what it says.
fn open_or_set_aside(
    dir: &Path,
    more: &str,
    note: &mut dyn FnMut(&str),
) -> Result<Option<ProjectionStore>, RebuildError> {
    match ProjectionStore::open_any_layout(dir) {
        Ok(store) => Ok(Some(store)),
        Err(ProjectionError::Unopenable { reason, .. }) => {
            let aside = set_aside(dir)?;
            note(&format!(
                "the projections in {} do not open ({reason}); set aside as {} (delete it once \
                 it is not wanted){more}",
                dir.display(),
                aside.display()
            ));
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Renames the projections in `dir` to a sibling named for this moment
/// (`projections.unopenable-<seconds since the epoch>`), and returns its path.
fn set_aside(dir: &Path) -> Result<std::path::PathBuf, RebuildError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".unopenable-{secs}"));
    let aside = dir.with_file_name(name);
    std::fs::rename(dir, &aside).map_err(|source| RebuildError::Remove {
        path: dir.display().to_string(),
        source,
    })?;
    Ok(aside)
}

/// Where [`clear`] keeps the cursors while it replaces the projections in `dir`.
pub fn saved_cursors(dir: &Path) -> std::path::PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".cursors.json");
    dir.with_file_name(name)
}

/// Folds every event of `log` into `store` (empty, from [`clear`]) and makes the result durable.
///
/// With [`Checking::Seals`], each event's seal is checked first, as the live projector checks every event it
/// did not seal ([`super::seals`]): one that does not verify holds its application there, as it
/// does live, so a rebuild never folds what the live projections refused (an event planted in
/// the log without the gateway's key). Where a verified head matches the log, the events it
/// vouches for have only their hash recomputed ([`verified`]); the rest have their signature
/// checked too, and verified heads are written over them when `seals` say where. With
/// [`Checking::Trusted`] every event is taken as the log gives it, and the store is marked so.
///
/// Each batch is written atomically with its checkpoint, as the live projector does, so a rebuild
/// that is killed leaves projections that are exact up to their checkpoint: the gateway's
/// projector continues from there when it starts (or `tongban rebuild` starts over). An event is
/// folded only once it is checked: those a head may vouch for wait, read, until the head is
/// reached ([`verified::Coverage`]).
pub async fn fill<L: EventLog>(
    log: &L,
    store: &ProjectionStore,
    cal: &Calendar,
    checking: Checking,
    mut progress: impl FnMut(u64, u64),
) -> Result<Filled, RebuildError> {
    let head = *log.head().borrow();
    let (seals, trusted) = match checking {
        Checking::Seals(seals) => (Some(*seals), None),
        Checking::Trusted { why } => (None, Some(why)),
    };
    // Folded unchecked, the projections say so for as long as they last (`/healthz`, the held
    // list): marked before the first batch, so a rebuild stopped part way leaves it, and again
    // at the end with where the fold reached.
    let unchecked = |up_to: u64, why: &str| Unchecked {
        up_to,
        at: crate::time::Timestamp::now().to_rfc3339(),
        why: why.to_string(),
    };
    if let Some(why) = &trusted {
        store.mark_unchecked(&unchecked(head, why))?;
    }
    let cal = std::sync::Arc::new(cal.clone());
    let key = seals.as_ref().map(|s| s.key);
    let mut writes = seals.as_ref().and_then(|s| s.writes.clone());
    let mut coverage = Coverage::new(seals.map(|s| s.heads).unwrap_or_default(), 2 * BATCH);
    let mut stretch = Stretch::after(0);
    // Read the next batch, and check its seals, while the previous one is folded and written: on
    // a machine with more than one core the rebuild then costs about as much as the fold, which
    // runs on one thread, not the sum of the three (the hashes a verified head leaves to
    // recompute had added a tenth to the fold's path).
    type Applied = (Result<u64, ProjectionError>, Vec<Run>, Vec<u64>);
    let mut applying: Option<(tokio::task::JoinHandle<Applied>, bool)> = None;
    let mut from = 1;
    let mut filled = Filled::default();
    let mut end = false;
    loop {
        let batch = match end {
            true => Vec::new(),
            false => log.entries(from, BATCH).await?,
        };
        match batch.last() {
            Some(last) => {
                from = last.position() + 1;
                filled.events += batch.len() as u64;
                coverage.push(batch);
            }
            None => end = true,
        }
        let ready = coverage.take(end);
        let checking = (!ready.is_empty()).then(|| {
            let attested = key.map(|_| coverage.attested(&ready));
            let vouched = attested
                .as_ref()
                .map_or(0, |a| a.iter().filter(|v| **v).count());
            filled.attested += vouched as u64;
            // Checked here for the first time: a head over them says something new.
            let checked = key.is_some() && ready.iter().any(|p| !coverage.covers(p.position()));
            let task = tokio::task::spawn_blocking(move || {
                let runs = Run::all(ready);
                let unverified = key.map(|key| check(&runs, &key, attested.as_deref()));
                (runs, unverified)
            });
            (task, checked)
        });
        if let Some((task, checked)) = applying.take() {
            let (applied, events, unverified) = task
                .await
                .map_err(|e| ProjectionError::Storage(e.to_string()))?;
            // Freeing a batch of decoded events takes about a third as long as folding it: off
            // the path from one batch to the next.
            tokio::task::spawn_blocking(move || drop(events));
            applied?;
            stretch.took(unverified, checked);
            let last = end && checking.is_none() && coverage.is_empty();
            if let Some((file, signer)) = &writes
                && let Some(running) = store.log_head()?
                && stretch.due(&running, last)
            {
                let at = crate::time::Timestamp::now().to_rfc3339();
                let written = stretch.close(&running, &at, signer);
                match verified::append(file, &written) {
                    Ok(()) => filled.written += 1,
                    Err(e) => {
                        // Only the next rebuild's speed depends on it: said, and not tried again.
                        tracing::warn!(file = %file.display(), error = %e, "a verified head could not be written");
                        writes = None;
                    }
                }
            } else if !checked {
                // All spoken of by heads that matched: nothing new to say over it.
                if let Some(running) = store.log_head()? {
                    stretch.restart(running.position);
                }
            }
            progress(filled.events, head);
        }
        let Some((task, checked)) = checking else {
            if end {
                break;
            }
            continue;
        };
        let (runs, unverified) = task
            .await
            .map_err(|e| ProjectionError::Storage(e.to_string()))?;
        let (store, cal) = (store.clone(), std::sync::Arc::clone(&cal));
        applying = Some((
            tokio::task::spawn_blocking(move || apply(&store, runs, &cal, unverified)),
            checked,
        ));
    }
    filled.mismatched = std::mem::take(&mut coverage.mismatched);
    filled.beyond = coverage.beyond();
    store.persist()?;
    if let Some(why) = &trusted {
        store.mark_unchecked(&unchecked(store.checkpoint()?, why))?;
    }
    // A cursor past the end of this log (one restored from a backup that ends before it) would
    // make the region skip the events appended next, at positions it already acknowledged.
    let end = store.checkpoint()?;
    for (region, position) in store.clamp_feed_cursors(end)? {
        tracing::warn!(
            region = %region,
            acknowledged = position,
            log_end = end,
            "a feed cursor was past the end of the rebuilt log; moved back to it"
        );
    }
    Ok(filled)
}

/// The events of `runs` whose seal does not hold under `key`, checked over every core; where
/// `attested` says so (aligned with the entries `runs` were cut from), a verified head vouches
/// for the signature and only the hash is recomputed ([`super::seals::check_all`]).
fn check(runs: &[Run], key: &PublicKey, attested: Option<&[bool]>) -> super::seals::Unverified {
    let mut unverified = super::seals::Unverified::new();
    let mut at = 0;
    for run in runs {
        let taken = run.entries();
        if let Run::Events(events) = run {
            let attested = attested.and_then(|a| a.get(at..at + taken));
            unverified.extend(super::seals::check_all(events, key, attested));
        }
        at += taken;
    }
    unverified
}

/// Folds `runs` into `store` in order, as the live projector does: each run of events applied,
/// but those `unverified` names (checked by [`check`]; `None`: not checked), each record that is
/// not an event passed over and recorded ([`crate::log::unreadable`]). Answers the checkpoint,
/// the runs (to be freed off the path), and the positions whose seal did not hold, with the
/// records that are not events: no verified head vouches for those.
fn apply(
    store: &ProjectionStore,
    mut runs: Vec<Run>,
    cal: &Calendar,
    unverified: Option<super::seals::Unverified>,
) -> (Result<u64, ProjectionError>, Vec<Run>, Vec<u64>) {
    let mut unverified_at: Vec<u64> = unverified
        .as_ref()
        .map(|u| u.keys().copied().collect())
        .unwrap_or_default();
    let mut applied = store.checkpoint();
    for run in &mut runs {
        applied = match run {
            Run::Unreadable(u) => {
                unverified_at.push(u.position);
                store.pass_unreadable(u)
            }
            Run::Events(events) => store.apply_checked(events, cal, unverified.as_ref()),
        };
        if applied.is_err() {
            break;
        }
    }
    (applied, runs, unverified_at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempDir;

    /// Given a log of three events, when it is rebuilt trusted by a library call (not the CLI),
    /// then the projections carry the mark from before the first batch is folded (a rebuild
    /// stopped part way leaves it) and, at the end, up to the log's end with the caller's
    /// reason; rebuilt again with every seal checked, they carry none. Before, only `tongban
    /// rebuild` marked them: a bench or a library user's rebuild left projections that looked
    /// checked.
    #[test]
    fn a_trusted_rebuild_marks_the_projections_whoever_calls_it() {
        let dir = TempDir::new("rebuild-trusted");
        let key = GatewayKey::from_seed([3; 32]);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let log = crate::log::EmbeddedLog::open(&dir.path().join("log")).expect("log");
            let each = (0..3).map(|n| ("application.forwarded", serde_json::json!({"n": n})));
            for (seq, event) in crate::testutil::sealed_chain(&key, "app-1", each)
                .into_iter()
                .enumerate()
            {
                log.append(event, seq as u64).await.expect("append");
            }
            let cal = Calendar::weekdays();
            let path = dir.path().join("projections");
            let why = "a library call, trusted".to_string();
            let store = clear(&path, Cursors::Keep).expect("clear");
            let mut marked_while_folding = Vec::new();
            let filled = fill(
                &log,
                &store,
                &cal,
                Checking::Trusted { why: why.clone() },
                |_, _| marked_while_folding.push(store.unchecked().expect("read")),
            )
            .await
            .expect("rebuild");
            assert_eq!(filled.events, 3);
            assert!(!marked_while_folding.is_empty());
            assert!(
                marked_while_folding.iter().all(|m| m.is_some()),
                "{marked_while_folding:?}"
            );
            let mark = store.unchecked().expect("read").expect("marked");
            assert_eq!((mark.up_to, mark.why), (3, why));
            drop(store);
            let (store, _) = rebuild(
                &log,
                &path,
                &cal,
                Checking::Seals(Box::new(Seals::each(key.public()))),
                |_, _| {},
            )
            .await
            .expect("rebuild");
            assert_eq!(store.unchecked().expect("read"), None);
        });
    }

    /// The regions' cursors survive a rebuild from the same log, moved back to its end where
    /// they were past it (a log restored from a backup), and are dropped for another log.
    #[test]
    fn cursors_are_kept_for_the_same_log_within_its_end_and_dropped_for_another() {
        let dir = TempDir::new("rebuild-cursors");
        let path = dir.path().join("projections");
        let store = ProjectionStore::open(&path).expect("open");
        store.ack_feed("310000", 82, "310000/test").expect("ack");
        store.ack_feed("440000", 10, "440000/test").expect("ack");
        drop(store);

        // The same log, which now ends at 22.
        let store = clear(&path, Cursors::Keep).expect("clear");
        assert_eq!(store.feed_cursor("310000").expect("cursor"), 82);
        assert_eq!(
            store.clamp_feed_cursors(22).expect("clamp"),
            [("310000".to_string(), 82)]
        );
        assert_eq!(store.feed_cursor("310000").expect("cursor"), 22);
        assert_eq!(store.feed_cursor("440000").expect("cursor"), 10);
        // Moved back for good: a new store reads it so.
        drop(store);
        let store = ProjectionStore::open(&path).expect("reopen");
        assert_eq!(store.feed_cursor("310000").expect("cursor"), 22);
        drop(store);

        // Another log: every cursor starts again.
        let store = clear(&path, Cursors::Drop).expect("clear");
        assert_eq!(store.feed_cursors().expect("cursors"), []);
    }

    /// Given projections that do not open (their `version` file emptied, as a process killed
    /// while creating them leaves it), with and without the cursors an interrupted rebuild
    /// saved, when they are cleared, then they are set aside, not refused: the store opens
    /// afresh, with the saved cursors or none, and the note says which. (Neither `rebuild`
    /// nor `serve` started again: the clear opened the old store first, and failed with it.)
    #[test]
    fn projections_that_do_not_open_are_set_aside_and_built_again() {
        let dir = TempDir::new("rebuild-unopenable");
        let path = dir.path().join("projections");
        let damage = |path: &Path| {
            let store = ProjectionStore::open(path).expect("open");
            store.ack_feed("310000", 5, "310000/test").expect("ack");
            drop(store);
            std::fs::write(path.join("version"), b"").expect("damage");
        };
        damage(&path);
        let refused = ProjectionStore::open(&path).err().expect("does not open");
        assert!(
            refused.to_string().contains("run `tongban rebuild`"),
            "{refused}"
        );
        std::fs::write(
            saved_cursors(&path),
            serde_json::to_vec(&[("310000", 82u64)]).expect("json"),
        )
        .expect("saved");
        let mut notes = Vec::new();
        let store = clear_noting(&path, Cursors::Keep, &mut |n| notes.push(n.to_string()))
            .expect("cleared");
        assert_eq!(store.feed_cursor("310000").expect("cursor"), 82);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("do not open") && notes[0].contains("saved by the interrupted"),
            "{notes:?}"
        );
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("projections.unopenable-"))
            .collect();
        assert_eq!(aside.len(), 1, "{aside:?}");
        drop(store);

        // No saved cursors: they are said to be lost, and the store still opens.
        std::fs::remove_dir_all(dir.path().join(&aside[0])).expect("remove");
        damage(&path);
        let mut notes = Vec::new();
        let store = clear_noting(&path, Cursors::Keep, &mut |n| notes.push(n.to_string()))
            .expect("cleared");
        assert_eq!(store.feed_cursors().expect("cursors"), []);
        assert!(notes[0].contains("feed starts again"), "{notes:?}");
    }

    /// A clear interrupted after it removed the projections (the state it leaves: their cursors
    /// saved beside them, the directory gone) gives them back the next time.
    #[test]
    fn an_interrupted_clear_loses_no_cursor() {
        let dir = TempDir::new("rebuild-interrupted");
        let path = dir.path().join("projections");
        std::fs::write(
            saved_cursors(&path),
            serde_json::to_vec(&[("310000", 82u64)]).expect("json"),
        )
        .expect("saved");
        let store = clear(&path, Cursors::Keep).expect("clear");
        assert_eq!(store.feed_cursor("310000").expect("cursor"), 82);
        assert!(
            !saved_cursors(&path).exists(),
            "the copy is removed once held"
        );
        // And a completed clear leaves no copy behind.
        drop(store);
        let store = clear(&path, Cursors::Keep).expect("clear again");
        assert_eq!(store.feed_cursor("310000").expect("cursor"), 82);
        assert!(!saved_cursors(&path).exists());

        // Interrupted before the projections went, and a gateway ran on them since: each
        // region's furthest cursor of the two is kept.
        store.ack_feed("310000", 90, "310000/test").expect("ack");
        drop(store);
        std::fs::write(
            saved_cursors(&path),
            serde_json::to_vec(&[("310000", 82u64), ("440000", 7u64)]).expect("json"),
        )
        .expect("saved");
        let store = clear(&path, Cursors::Keep).expect("clear");
        assert_eq!(store.feed_cursor("310000").expect("cursor"), 90);
        assert_eq!(store.feed_cursor("440000").expect("cursor"), 7);
    }

    /// Given a region's acknowledgement history, when the projections are rebuilt from the same
    /// log, then the history is carried over with the cursors (each record's time and token as
    /// taken), also by a clear interrupted after it removed them (the copy beside them); from
    /// another log it is dropped with them.
    #[test]
    fn the_acknowledgement_history_is_carried_over_a_rebuild_of_the_same_log() {
        use crate::log::FirstAck;
        let dir = TempDir::new("rebuild-acks");
        let path = dir.path().join("projections");
        let store = ProjectionStore::open(&path).expect("open");
        store.ack_feed("310000", 5, "310000/first").expect("ack");
        store.ack_feed("310000", 9, "310000/second").expect("ack");
        let history = store.ack_history().expect("history");
        assert_eq!(history.len(), 2);
        drop(store);

        let store = clear(&path, Cursors::Keep).expect("clear");
        assert_eq!(store.ack_history().expect("history"), history);
        let FirstAck::Taken(first) = &store.first_acks("310000", &[3]).expect("first")[&3] else {
            panic!("the first acknowledgement")
        };
        assert_eq!(first, &history[0].1);
        assert!(!saved_acks(&path).exists(), "the copy is removed once held");
        drop(store);

        // Interrupted after the projections went: the copy gives the history back.
        let store = ProjectionStore::open(&path).expect("open");
        drop(store);
        let copy: Vec<SavedAck> = history
            .iter()
            .map(|(region, r)| (region.clone(), r.from, r.to, r.at.0, r.actor.clone()))
            .collect();
        // A record a line, as a clear writes it.
        let lines: String = copy
            .iter()
            .map(|r| format!("{}\n", serde_json::to_string(r).expect("json")))
            .collect();
        std::fs::write(saved_acks(&path), lines).expect("saved");
        std::fs::write(
            saved_cursors(&path),
            serde_json::to_vec(&[("310000", 9u64)]).expect("json"),
        )
        .expect("saved");
        std::fs::remove_dir_all(&path).expect("removed");
        let store = clear(&path, Cursors::Keep).expect("clear");
        assert_eq!(store.ack_history().expect("history"), history);
        assert!(!saved_acks(&path).exists() && !saved_cursors(&path).exists());
        drop(store);

        // A build before kept one JSON array: read once, and removed.
        std::fs::write(
            legacy_saved_acks(&path),
            serde_json::to_vec(&copy).expect("json"),
        )
        .expect("saved");
        std::fs::remove_dir_all(&path).expect("removed");
        let store = clear(&path, Cursors::Keep).expect("clear");
        assert_eq!(store.ack_history().expect("history"), history);
        assert!(!legacy_saved_acks(&path).exists());
        drop(store);

        let store = clear(&path, Cursors::Drop).expect("clear for another log");
        assert_eq!(store.ack_history().expect("history"), vec![]);
    }

    /// Given a history of 10,000 records (more than one batch of the store's writes), when the
    /// projections are rebuilt from the same log, then every record is carried over as it
    /// was, and the copy kept meanwhile holds one record a line (written and read a line at a
    /// time, in bounded memory, where the whole history was held in memory and one JSON text).
    #[test]
    fn a_long_history_is_carried_over_a_record_a_line() {
        let dir = TempDir::new("rebuild-acks-long");
        let path = dir.path().join("projections");
        let store = ProjectionStore::open(&path).expect("open");
        let records: Vec<(String, crate::log::AckRecord)> = (1..=10_000u64)
            .map(|to| {
                let record = crate::log::AckRecord {
                    from: to - 1,
                    to,
                    at: crate::time::Timestamp(1_700_000_000_000 + to as i64),
                    actor: "310000/tok".into(),
                };
                ("310000".to_string(), record)
            })
            .collect();
        store.restore_ack_history(&records).expect("history");
        // Interrupted once before: its copy's one record the projections do not hold is kept.
        let extra = (
            "440000".to_string(),
            0u64,
            3u64,
            1_700_000_000_000i64,
            "440000/t".to_string(),
        );
        std::fs::write(
            saved_acks(&path),
            format!("{}\n", serde_json::to_string(&extra).expect("json")),
        )
        .expect("saved");
        drop(store);
        save_history(Some(&ProjectionStore::open(&path).expect("open")), &path).expect("saved");
        let text = std::fs::read_to_string(saved_acks(&path)).expect("copy");
        assert_eq!(text.lines().count(), 10_001, "a record a line");
        let store = clear(&path, Cursors::Keep).expect("clear");
        let mut expected = records;
        expected.push((
            "440000".to_string(),
            crate::log::AckRecord {
                from: 0,
                to: 3,
                at: crate::time::Timestamp(extra.3),
                actor: extra.4,
            },
        ));
        assert_eq!(store.ack_history().expect("history"), expected);
        assert!(!saved_acks(&path).exists());
    }
}
