//! Replay speed against simply reading: a log of realistic applications (see
//! `tongban_gateway::sample`) written through the embedded log with many appends in flight, then
//! a raw scan of it (every event decoded), three projection rebuilds (`tongban rebuild`'s code
//! path: every signature checked, then with verified heads, then `--trust-log`, the fold alone),
//! each followed by another raw scan (each rebuild is judged against the scans on either side of
//! it), and a full chain-and-signature verification (`tongban verify`'s code path).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use tongban_gateway::domain::calendar::Calendar;
use tongban_gateway::envelope::GatewayKey;
use tongban_gateway::log::EmbeddedLog;
use tongban_gateway::projections::rebuild::rebuild;
use tongban_gateway::sample::{
    EVENTS_PER_APP, REBUILDS, read_everything, rebuild_seals, write_lifecycles,
};

use crate::cli::CliError;

/// Events per second of each pass over a log of about `events` events.
#[derive(Debug, Clone)]
pub struct ReplayFigures {
    pub events: u64,
    pub write_per_sec: f64,
    pub events_per_fsync: f64,
    /// Every raw read: the first, then one after each rebuild (without heads, with them,
    /// trusted). Each rebuild is judged against the reads on either side of it
    /// ([`ReplayFigures::raw_read_beside`]), not against the first: this machine's pace drifts by
    /// a fifth and more within a minute (the first read ranged over 208,000–306,000 events/s
    /// between runs of the same code, round 51), and half a minute passes between the first read and
    /// the rebuild with heads.
    pub raw_reads_per_sec: [f64; 4],
    /// `tongban rebuild` of a log without verified heads: every event's signature checked.
    pub rebuild_each_per_sec: f64,
    /// `tongban rebuild` with the verified heads a gateway keeps: every event's seal checked,
    /// its signature where no head vouches for it, its hash everywhere.
    pub rebuild_per_sec: f64,
    /// `tongban rebuild --trust-log`: the fold alone.
    pub rebuild_trusted_per_sec: f64,
    pub verify_per_sec: f64,
}

impl ReplayFigures {
    /// The raw read beside rebuild `stage` (0: without heads, 1: with them, 2: trusted): the
    /// reads just before and just after it, their events over their mean time. NaN, which meets
    /// no goal, where either is missing or not a rate.
    pub fn raw_read_beside(&self, stage: usize) -> f64 {
        let reads = &self.raw_reads_per_sec;
        match (reads.get(stage), reads.get(stage + 1)) {
            (Some(&before), Some(&after)) if before > 0.0 && after > 0.0 => {
                2.0 / (1.0 / before + 1.0 / after)
            }
            _ => f64::NAN,
        }
    }

    /// The rebuild with heads over the first raw read alone, as the goal was judged before
    /// round 51: printed beside the goal, so that what the reads beside it changed shows.
    pub fn rebuild_vs_first_read(&self) -> f64 {
        self.rebuild_per_sec / self.raw_reads_per_sec[0]
    }

    /// Each rebuild over the raw read beside it: without heads, with them (the goal's), trusted.
    pub fn rebuild_ratios(&self) -> [f64; 3] {
        let rates = [
            self.rebuild_each_per_sec,
            self.rebuild_per_sec,
            self.rebuild_trusted_per_sec,
        ];
        std::array::from_fn(|stage| rates[stage] / self.raw_read_beside(stage))
    }

    pub fn json(&self) -> Value {
        let [each, heads, trusted] = self.rebuild_ratios();
        json!({
            "events": self.events,
            "write_per_sec": self.write_per_sec.round(),
            "events_per_fsync": (self.events_per_fsync * 10.0).round() / 10.0,
            "raw_read_per_sec": self.raw_reads_per_sec[0].round(),
            "raw_reads_per_sec": self.raw_reads_per_sec.map(f64::round),
            "rebuild_each_per_sec": self.rebuild_each_per_sec.round(),
            "rebuild_per_sec": self.rebuild_per_sec.round(),
            "rebuild_trusted_per_sec": self.rebuild_trusted_per_sec.round(),
            "verify_per_sec": self.verify_per_sec.round(),
            "rebuild_each_vs_raw": each,
            "rebuild_vs_raw": heads,
            "rebuild_trusted_vs_raw": trusted,
            "rebuild_vs_first_read": self.rebuild_vs_first_read(),
            // Against the read just before it, after the last rebuild.
            "verify_vs_raw": self.verify_per_sec / self.raw_reads_per_sec[3].max(1e-9),
        })
    }
}

/// Reads the whole log raw ([`read_everything`]): the events read and the seconds it took.
/// `when` names the read in an error.
async fn timed_read(log: &EmbeddedLog, when: &str) -> Result<(u64, f64), CliError> {
    let started = Instant::now();
    let read = read_everything(log)
        .await
        .map_err(|e| CliError(format!("the raw read {when}: {e}")))?;
    Ok((read, started.elapsed().as_secs_f64()))
}

pub async fn run(work: &Path, events: u64) -> Result<ReplayFigures, CliError> {
    let dir = work.join("replay");
    let _ = std::fs::remove_dir_all(&dir);
    let apps = (events / EVENTS_PER_APP).max(1) as usize;
    let log = Arc::new(EmbeddedLog::open(&dir.join("log"))?);
    let key = GatewayKey::from_seed([42; 32]);

    let started = Instant::now();
    let writers = 64;
    write_lifecycles(&log, &key, apps, writers)
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let total = log.durable_position();
    let write_secs = started.elapsed().as_secs_f64();
    let stats = log.sync_stats();

    // `tongban rebuild` three ways (`sample::REBUILDS`).
    let projections = dir.join("projections");
    let mut rebuild_secs = [0.0; 3];
    let mut rebuilt = [0; 3];
    let mut attested = [0; 3];
    // The raw reads before the first rebuild, between each two and after the last.
    let mut reads = [(0, 0.0); REBUILDS.len() + 1];
    reads[0] = timed_read(&log, "after the write").await?;
    for stage in 0..REBUILDS.len() {
        let seals = rebuild_seals(stage, &projections, &key)
            .map_err(|e| CliError(format!("rebuild: {e}")))?;
        let started = Instant::now();
        let (_, filled) = rebuild(&*log, &projections, &Calendar::weekdays(), seals, |_, _| {})
            .await
            .map_err(|e| CliError(format!("rebuild: {e}")))?;
        rebuild_secs[stage] = started.elapsed().as_secs_f64();
        rebuilt[stage] = filled.events;
        attested[stage] = filled.attested;
        reads[stage + 1] =
            timed_read(&log, &format!("after the rebuild ({})", REBUILDS[stage])).await?;
    }

    let started = Instant::now();
    let report = tongban_replay::verify::verify_all(&*log, &key.public(), |_, _| {})
        .await
        .map_err(|e| CliError(format!("verify: {e}")))?;
    let verify_secs = started.elapsed().as_secs_f64();
    if report.verdict() != tongban_replay::verify::Verdict::Intact
        || report.events != total
        || reads.iter().any(|(read, _)| *read != total)
        || rebuilt != [total; 3]
        || attested != [0, total, 0]
    {
        return Err(CliError(format!(
            "replay stage: wrote {total} events but read {:?}, rebuilt {rebuilt:?} ({attested:?} vouched for by verified heads), verified {} with {} broken links",
            reads.map(|(read, _)| read),
            report.events,
            report.broken.len()
        )));
    }
    drop(log);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ReplayFigures {
        events: total,
        write_per_sec: total as f64 / write_secs,
        events_per_fsync: stats.events as f64 / stats.syncs.max(1) as f64,
        raw_reads_per_sec: reads.map(|(read, secs)| read as f64 / secs),
        rebuild_each_per_sec: rebuilt[0] as f64 / rebuild_secs[0],
        rebuild_per_sec: rebuilt[1] as f64 / rebuild_secs[1],
        rebuild_trusted_per_sec: rebuilt[2] as f64 / rebuild_secs[2],
        verify_per_sec: report.events as f64 / verify_secs,
    })
}
