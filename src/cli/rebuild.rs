//! `tongban rebuild [--accept-lost] [--public-key HEX | --trust-log] [--data DIR] [--nats URL [--nats-creds FILE]]`: drop every
//! projection in the data directory and rebuild it from the log: the embedded log in `DIR/log`,
//! or with `--nats` the JetStream stream. Run it with the gateway on that data directory stopped
//! (its projections are locked while it runs).
//!
//! Projections of this log applied up to a position past its end are the one record left that
//! the log lost its last events: the rebuild refuses to drop them, naming the positions lost,
//! unless `--accept-lost` says those events are gone for good (it names them then too).
//!
//! Every event's seal is checked (`--public-key HEX`, else the directory's `gateway.key`), as the
//! gateway's projector checks the events it did not seal: an event that does not verify holds its
//! application, as it does live, and the rebuild says how many are held. `--trust-log` skips
//! that check (most of the rebuild's cost) for a log `tongban verify` has just passed. The key is
//! named, and one that signed neither end of the log refused before anything is dropped
//! ([`super::rebuild_key`]).

use std::process::ExitCode;

use tongban_gateway::dir_lock::{DirLock, DirLockError};
use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::log::{AnyLog, EventLog};
use tongban_gateway::projections::rebuild::{Checking, Cursors, Seals, clear_noting, fill};
use tongban_gateway::projections::verified;
use tongban_gateway::projections::{ProjectionError, ProjectionStore, Submissions};
use tongban_gateway::server::{check_key_for_stream, load_calendar, rebind_log_source};
use tongban_replay::verify::LostEnd;

use super::output::outln;
use super::progress::Progress;
use super::{Args, CliError};

pub fn run(mut args: Args) -> Result<ExitCode, CliError> {
    // The rebuild's warnings are the operator's to read: a feed cursor moved back names the
    // regions that had taken events the log no longer holds.
    super::init_tracing();
    let source = super::offline::Source::from_args(&mut args, super::offline::Tool::Rebuild)?;
    let dir = source.dir.clone();
    let accept_lost = args.flag("accept-lost");
    let trust_log = args.flag("trust-log");
    args.finish()?;
    // Held for the whole rebuild, as a gateway holds it while it serves: a rebuild replaces the
    // projections a gateway on the directory would be serving, whichever log they follow (with
    // --nats the embedded log's own lock is never asked). A directory that is not there is left
    // to the checks below to name.
    let _held = match DirLock::take(&dir.0) {
        Ok(held) => Some(held),
        Err(DirLockError::Held) => return Err(source.in_use()),
        Err(DirLockError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(DirLockError::Io(e)) => return Err(CliError(format!("{}: {e}", dir.0.display()))),
    };
    // Opening the embedded log creates it: rebuilding from a log that was never there would
    // silently replace the projections with empty ones. Checked first: a mistyped --data is
    // that, not a directory without its key.
    source.require_log()?;
    // Each event's seal is checked as the gateway's projector checks the events it did not
    // seal: one that does not verify (planted without the key) holds its application rather
    // than being folded. The key is `--public-key`'s, else the directory's; without either the
    // rebuild is refused, as `verify` and `replay` are, since folding unchecked is what
    // `--trust-log` alone says to do. The check is most of a rebuild's cost (an Ed25519
    // verification per event): `--trust-log` skips it, for a log `tongban verify` has just
    // passed.
    let key = match trust_log {
        true => {
            eprintln!(
                "--trust-log: the events' seals are not checked; every event is folded as the \
                 log holds it (run `tongban verify` first)"
            );
            None
        }
        false => Some(source.key().map_err(|e| {
            CliError(format!(
                "{e}; or --trust-log to fold every event unchecked, for a log `tongban verify` \
                 has just passed"
            ))
        })?),
    };
    if let Some(key) = &key {
        super::rebuild_key::announce(&source, key)?;
    }
    let cal = load_calendar(&dir.holidays())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = std::time::Instant::now();
    let (filled, checked, held, unreadable) = runtime.block_on(async {
        let log = source.open().await?;
        let log_source = match &log {
            AnyLog::Embedded(_) => "embedded".to_string(),
            AnyLog::JetStream(l) => {
                // A gateway refuses a stream whose key is not the directory's: say so now,
                // before a rebuild of the whole stream for a start that would be refused.
                check_key_for_stream(&dir, l).await?;
                l.source()
            }
        };
        // A key that signed neither end of the log would hold every application: refused
        // before anything is dropped.
        if let Some(key) = &key {
            super::rebuild_key::refuse_if_not_the_logs(&source, &log, key).await?;
        }
        // The regions' feed cursors are positions in the log the projections followed: kept
        // for that same log, dropped for another (every region then reads its feed again).
        // Read as the gateway reads it: a directory from before the marker, with its embedded
        // log and projections, followed the embedded log (not whatever is rebuilt from now:
        // its checkpoint, compared with a stream's end, would claim events lost).
        let before = tongban_gateway::server::followed(&dir).ok().flatten();
        let same_log = before.as_deref().is_none_or(|b| b == log_source);
        let cursors = if same_log && log_source == "embedded" {
            Cursors::Keep
        } else if same_log {
            Cursors::KeepShared
        } else {
            let kept = if log_source == "embedded" {
                "each region's feed starts again from the beginning"
            } else {
                "on the stream, each region reads on from the cursor its gateways keep in the \
                 stream's bucket (a bucket left by another stream of this name is dropped by \
                 the first gateway to start, and those regions' feeds start again from the \
                 beginning)"
            };
            eprintln!(
                "the projections followed {}, now {log_source}: the regions' feed cursors these \
                 projections kept for the old log are dropped; {kept}",
                before.as_deref().unwrap_or_default().trim()
            );
            Cursors::Drop
        };
        // Projections of this log applied past its end: the log lost events they had applied,
        // and they are the one record left of that. Not dropped unless the operator says so.
        let projections = dir.projections();
        // Projections that do not open are set aside by the clear below; what they applied
        // cannot be compared with the log's end.
        let checkpoint = match projections.is_dir() && same_log {
            false => None,
            true => match ProjectionStore::open_any_layout(&projections) {
                Ok(store) => Some(store.checkpoint()?),
                Err(ProjectionError::Unopenable { .. }) => {
                    eprintln!(
                        "the projections in {} do not open: how far they were applied cannot \
                         be compared with the log's end (events lost from the log's end would \
                         not be found by it; `tongban verify` checks the log itself)",
                        projections.display()
                    );
                    None
                }
                Err(e) => return Err(e.into()),
            },
        };
        let end = *log.head().borrow();
        if let Some(checkpoint) = checkpoint
            && let Some(lost) = LostEnd::of(end, checkpoint, &projections.display().to_string())
        {
            let positions = lost.positions();
            if !accept_lost {
                return Err(CliError(format!(
                    "the projections in {} were applied up to log position {checkpoint}, \
                     but the log ends at {end}: {positions} {} lost from it, and these \
                     projections are the one record left that {} existed; a rebuild would \
                     drop them. Nothing was changed. Restore the log from a backup that \
                     holds position {checkpoint} (docs/operations.md, \"Backups\"); if \
                     those events are gone for good, keep a copy of {} and run `tongban \
                     rebuild --accept-lost`",
                    lost.projections,
                    if lost.lost.events() == 1 {
                        "was"
                    } else {
                        "were"
                    },
                    if lost.lost.events() == 1 {
                        "it"
                    } else {
                        "they"
                    },
                    lost.projections,
                )));
            }
            eprintln!(
                "--accept-lost: the projections in {} were applied up to log position \
                 {checkpoint}, but the log ends at {end}: {positions} ({} event(s)) are \
                 lost from the log, and the rebuilt projections hold nothing of them; \
                 `tongban reconcile` against each province's records finds what they held",
                lost.projections,
                lost.lost.events()
            );
        }
        let store = clear_noting(&dir.projections(), cursors, &mut |note| eprintln!("{note}"))?
            .with_submissions(Submissions::for_log(&log));
        // The applicant index is keyed under a secret of the gateway key, as the gateway keys
        // it: without the key at hand, nothing is indexed, and the projections say from where
        // their index is whole (the gateway indexes from there).
        let store = match GatewayKey::load(&dir.key()).ok().flatten() {
            Some(own) => store.with_applicant_key(&own),
            None => {
                eprintln!(
                    "no gateway key in {}: the index of open applications by applicant is left \
                     empty (a submission is warned of a possible duplicate only of applications \
                     submitted after the gateway starts); run the rebuild again with the key \
                     in place to fill it",
                    dir.0.display()
                );
                store
            }
        };
        // From here the projections follow this log, whether or not they followed it before
        // (a stream recreated under the same name is another log). Bound before anything is
        // written, so that an interrupted rebuild leaves projections bound to the log they hold.
        rebind_log_source(&dir, &log_source)?;
        let heads = verified::file_beside(&dir.projections());
        if cursors == Cursors::Drop && heads.exists() {
            // Heads of the old log vouch for nothing in this one: set aside, not deleted.
            let aside = heads.with_extension(format!("jsonl.other-log-{}", unix_secs()));
            std::fs::rename(&heads, &aside)?;
            eprintln!(
                "the verified heads of the old log were set aside as {}",
                aside.display()
            );
        }
        let mut checking = match key {
            Some(key) => {
                // Heads are signed by the directory's key, when it is the checking key.
                let signer = GatewayKey::load(&dir.key()).ok().flatten();
                let (seals, refused) = Seals::beside(&dir.projections(), key, signer)?;
                if refused > 0 {
                    eprintln!(
                        "{refused} line(s) of {} not taken (torn by a crash, or not signed by \
                         the checking key): the events they would cover have their signatures \
                         checked",
                        heads.display()
                    );
                }
                Checking::Seals(Box::new(seals))
            }
            // Folded unchecked, the projections say so for as long as they last (`/healthz`,
            // the held list): `fill` marks them.
            None => Checking::Trusted {
                why: match trust_log {
                    true => "`tongban rebuild --trust-log`".into(),
                    false => "`tongban rebuild` had no public key to check them with".into(),
                },
            },
        };
        // Events lost for good (`--accept-lost`): heads signed over them would say so at every
        // later rebuild, advising a restore the operator has ruled out. Set aside, not deleted;
        // this rebuild checks every signature and writes heads over the log as it is.
        let past_end = match &checking {
            Checking::Seals(seals) => seals.heads.iter().any(|h| h.position > end),
            Checking::Trusted { .. } => false,
        };
        if accept_lost && past_end {
            let aside = heads.with_extension(format!("jsonl.lost-{}", unix_secs()));
            let moved = verified::set_aside_past(&heads, end, &aside)?;
            eprintln!(
                "--accept-lost: {moved} verified head(s) past this log's end (position {end}), \
                 signed over events it no longer holds, were set aside as {} (delete it once \
                 it is not wanted); the heads within it are kept, and the events after the last \
                 of them have their signatures checked one by one",
                aside.display()
            );
            if let Checking::Seals(seals) = &mut checking {
                seals.heads.retain(|h| h.position <= end);
            }
        }
        let checked = matches!(checking, Checking::Seals(_));
        let mut bar = Progress::new("rebuilding projections");
        let out = fill(&log, &store, &cal, checking, |done, head| {
            bar.update(done, head)
        })
        .await;
        bar.finish();
        let filled = out?;
        let unreadable = store.unreadable_list(6)?;
        Ok::<_, CliError>((filled, checked, Held::count(&store)?, unreadable))
    })?;
    outln!(
        "rebuilt projections from {} events in {:.2}s",
        filled.events,
        started.elapsed().as_secs_f64()
    )?;
    if checked {
        outln!(
            "seals checked: {} event(s) vouched for by verified heads (hash recomputed), {} \
             signature(s) checked one by one; {} verified head(s) written",
            filled.attested,
            filled.events - filled.attested,
            filled.written
        )?;
    }
    if !filled.mismatched.is_empty() {
        let shown: Vec<String> = filled
            .mismatched
            .iter()
            .take(5)
            .map(u64::to_string)
            .collect();
        eprintln!(
            "{} verified head(s) do not describe this log (at position {}{}): the log up to \
             there is not the one the gateway signed (rewritten, or cut and written again); the \
             events after them had their signatures checked one by one. Run `tongban verify`",
            filled.mismatched.len(),
            shown.join(", "),
            if filled.mismatched.len() > 5 {
                ", …"
            } else {
                ""
            }
        );
    }
    if let Some(last) = filled.beyond.last() {
        // Signed over events this log no longer holds: what a log cut at its end leaves.
        eprintln!(
            "{} verified head(s) stand past the end of this log (the last at position {last}): \
             the gateway signed that it had folded events up to there, which this log no longer \
             holds (its end lost or cut). Run `tongban verify`, and restore the log from a backup \
             that holds position {last} (docs/operations.md, \"Backups\"); if those events are \
             gone for good, `tongban rebuild --accept-lost` sets these heads aside",
            filled.beyond.len()
        );
    }
    if let Some(first) = unreadable.first() {
        // Passed over as the gateway does live, and recorded; never the bytes.
        let shown: Vec<String> = unreadable
            .iter()
            .take(5)
            .map(|u| u.position.to_string())
            .collect();
        eprintln!(
            "the log holds bytes that are not an event at position {}{} (at {}: {}): passed over and \
             recorded (GET /v1/projections/held lists them under `unreadable`). Run `tongban \
             verify`; restore the log from a backup if it was damaged, or find who published \
             on the stream's subjects",
            shown.join(", "),
            if unreadable.len() > 5 { ", …" } else { "" },
            first.position,
            first.reason
        );
    }
    // The rebuild went on past them; each is listed by GET /v1/projections/held.
    if let Some(key) = key.filter(|_| held.unverified > 0) {
        outln!(
            "{} application(s) held at an event that does not verify under key {} (its seal, \
             or its link to the event before it): their views stop before it. `tongban verify` \
             names each such event; GET /v1/projections/held lists them, with the reason",
            held.unverified,
            key.kid()
        )?;
    }
    if held.unfolded > 0 {
        outln!(
            "{} application(s) held at an event this build does not fold: their views stop \
             before it (GET /v1/projections/held lists them, with the event and the reason)",
            held.unfolded
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The applications held after a rebuild, by why: an event that does not verify under the
/// checking key, or one this build does not fold. Said apart, since what to do differs (the
/// key and the log, or the build).
struct Held {
    unverified: u64,
    unfolded: u64,
}

impl Held {
    fn count(store: &ProjectionStore) -> Result<Held, CliError> {
        const PAGE: usize = 1024;
        let mut held = Held {
            unverified: 0,
            unfolded: 0,
        };
        let mut after: Option<String> = None;
        loop {
            let page = store.held_list(after.as_deref(), PAGE)?;
            for h in &page {
                match h.unverified() {
                    true => held.unverified += 1,
                    false => held.unfolded += 1,
                }
            }
            match page.last() {
                Some(last) if page.len() == PAGE => after = Some(last.app.clone()),
                _ => return Ok(held),
            }
        }
    }
}

/// Seconds since the epoch, naming a file set aside.
fn unix_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
