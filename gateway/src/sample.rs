//! Synthetic but realistic event histories, for benchmarks: each matter's published example
//! carried through its lifecycle (submit → forward → accept → approve → issue → deliver), decided
//! by the real domain core and sealed and signed exactly as the gateway seals.
//!
//! Shared by `tongban bench` and `cargo bench --bench replay`, so that every figure in
//! docs/performance.md is measured on the same events; and [`sealed`], the making of a history
//! from commands, by the tests of this crate and of replay too.

use std::sync::Arc;

use tongban_schemas::{Mode, events as ev, matters};

use crate::domain::{Application, Caps, Command, DomainError, decide};
use crate::envelope::{Content, Envelope, GatewayKey};
use crate::log::{EventLog, LogError};

/// Events in one [`lifecycle`].
pub const EVENTS_PER_APP: u64 = 6;

/// Why a sample could not be built: a matter's example no longer fits the domain (a bug, so
/// benchmarks stop rather than measure something else).
#[derive(Debug, thiserror::Error)]
#[error("sample application {index}: {reason}")]
pub struct SampleError {
    pub index: usize,
    pub reason: String,
}

/// The commands of application number `i` (matters in turn), each with the acting region.
/// Joint examples are reduced to their lead handler, so every history has the same length.
pub fn commands(i: usize) -> Result<Vec<(String, Command)>, SampleError> {
    let all = matters::all();
    let matter = &all[i % all.len()];
    let example = matter.example();
    let fail = |reason: String| SampleError { index: i, reason };
    let mut s: ev::Submitted = serde_json::from_value(serde_json::json!({
        "matter": example["matter"], "mode": example["mode"], "origin": example["origin"],
        "handlers": example["handlers"], "applicant": example["applicant"], "form": example["form"],
        "materials": example["materials"], "request_digest": "0".repeat(64),
    }))
    .map_err(|e| fail(format!("{} example: {e}", matter.code)))?;
    if s.mode == Mode::Joint {
        s.mode = Mode::Proxy;
        s.handlers.truncate(1);
    }
    let origin = s.origin.clone();
    let lead = s
        .handlers
        .first()
        .cloned()
        .ok_or_else(|| fail(format!("{} example has no handler", matter.code)))?;
    Ok(vec![
        (origin.clone(), Command::Submit(s)),
        (
            origin,
            Command::Forward(ev::Forwarded {
                materials_checked: true,
                note: None,
            }),
        ),
        (
            lead.clone(),
            Command::Accept(ev::Accepted {
                reference: Some(format!("SL{i}")),
            }),
        ),
        (lead.clone(), Command::Approve(ev::Approved::default())),
        (lead.clone(), Command::IssueResult(result(matter, i))),
        (
            lead,
            Command::Deliver(ev::Delivered {
                channel: ev::DeliveryChannel::Post,
                tracking: Some(format!("SF{:010}", i + 1)),
            }),
        ),
    ])
}

/// What application number `i` of `matter` is issued: an 电子证照 of the matter's kind with a
/// made-up number (a result names what was issued). For the demo's applications too.
pub fn result(matter: &matters::Matter, i: usize) -> ev::ResultIssued {
    ev::ResultIssued {
        licence: Some(ev::LicenceRef {
            kind: matter.title_zh.to_string(),
            number: format!("ZZ{:06}", i + 1),
        }),
        document: None,
    }
}

/// The sealed events of application number `i` under a fresh application id, in seq order.
pub fn lifecycle(i: usize, key: &GatewayKey) -> Result<Vec<Envelope>, SampleError> {
    let app = crate::ids::new_v7();
    let steps = commands(i)?
        .into_iter()
        .map(|(region, cmd)| (region, cmd, crate::time::Timestamp::now().to_rfc3339()));
    sealed(&app, steps, "bench", key).map_err(|e| SampleError {
        index: i,
        reason: e.to_string(),
    })
}

/// The events of `app` from `steps` (acting region, command, time): each command decided by the
/// domain core on the state the ones before it made, then sealed, chained and signed as the
/// gateway seals, with the actor `<region>/<actor>`. One way to make a history, so that every
/// test and benchmark holds events the gateway itself could have written.
pub fn sealed<R: AsRef<str>>(
    app: &str,
    steps: impl IntoIterator<Item = (R, Command, String)>,
    actor: &str,
    key: &GatewayKey,
) -> Result<Vec<Envelope>, DomainError> {
    let mut state = None;
    let mut out: Vec<Envelope> = Vec::new();
    for (region, cmd, at) in steps {
        let region = region.as_ref();
        // Under no cap: a test's or a measure's history may hold more suspensions than the
        // default cap takes, as one kept under a raised cap does.
        let event = decide(state.as_ref(), region, cmd, Caps::NONE)?;
        let envelope = Envelope::sealed_after(
            out.last(),
            app,
            Content {
                kind: event.type_name().into(),
                schema: format!("{}/1", event.type_name()),
                region: region.into(),
                actor: format!("{region}/{actor}"),
                at,
                data: event.data(),
            },
            key,
        );
        state = Some(Application::apply_from(state, app, region, &event));
        out.push(envelope);
    }
    Ok(out)
}

/// Appends the [`lifecycle`]s of applications `0..apps` to `log` from `writers` concurrent tasks,
/// each application's events in order: many applications in flight, as a busy gateway writes.
pub async fn write_lifecycles<L: EventLog>(
    log: &Arc<L>,
    key: &GatewayKey,
    apps: usize,
    writers: usize,
) -> Result<(), SampleError> {
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (log, key) = (Arc::clone(log), key.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = w;
            while i < apps {
                for (n, e) in lifecycle(i, &key)?.into_iter().enumerate() {
                    log.append(e, n as u64).await.map_err(|e| SampleError {
                        index: i,
                        reason: e.to_string(),
                    })?;
                }
                i += writers;
            }
            Ok::<(), SampleError>(())
        }));
    }
    for (w, t) in tasks.into_iter().enumerate() {
        t.await.map_err(|e| SampleError {
            index: w,
            reason: format!("writer task: {e}"),
        })??;
    }
    Ok(())
}

/// Reads every event of `log` from the start, decoded, in batches of 4,096: the raw read that
/// replay, rebuild and verification are compared with. Returns how many events it read; records
/// that are not events are passed over, as the rebuild it is compared with passes over them, and
/// not counted (the benches write their own logs, which hold none).
pub async fn read_everything<L: EventLog>(log: &L) -> Result<u64, LogError> {
    let mut whole = crate::log::Whole::new(log, 4096);
    let mut read = 0u64;
    while let Some(batch) = whole.next().await? {
        read += batch.len() as u64;
    }
    Ok(read)
}

/// The rebuilds the replay benches time, in order: every seal checked on a log without verified
/// heads (every signature checked; it writes heads), then with the heads it wrote (as a rebuild
/// of a log a gateway ran on finds them), then the fold alone (`--trust-log`).
pub const REBUILDS: [&str; 3] = ["every signature", "verified heads", "--trust-log"];

/// How rebuild `stage` of [`REBUILDS`] checks seals, for projections in `projections` of a log
/// sealed by `key`. The first drops any heads left beside them by an earlier run.
pub fn rebuild_seals(
    stage: usize,
    projections: &std::path::Path,
    key: &GatewayKey,
) -> Result<crate::projections::rebuild::Checking, crate::projections::rebuild::RebuildError> {
    use crate::projections::rebuild::{Checking, Seals};
    Ok(match stage {
        0 => {
            let heads = crate::projections::verified::file_beside(projections);
            let _ = std::fs::remove_file(&heads);
            Checking::Seals(Box::new(Seals {
                writes: Some((heads, key.clone())),
                ..Seals::each(key.public())
            }))
        }
        1 => Checking::Seals(Box::new(Seals::beside(projections, key.public(), None)?.0)),
        _ => Checking::Trusted {
            why: "a bench's rebuild, `--trust-log`".into(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_matter_yields_a_whole_chained_history() {
        let key = GatewayKey::from_seed([7; 32]);
        for i in 0..matters::all().len() {
            let events = lifecycle(i, &key).unwrap();
            assert_eq!(events.len() as u64, EVENTS_PER_APP);
            assert_eq!(events[0].kind, "application.submitted");
            assert_eq!(events[5].kind, "application.delivered");
            for pair in events.windows(2) {
                assert_eq!(pair[1].prev_hash, pair[0].hash);
                assert_eq!(pair[1].seq, pair[0].seq + 1);
            }
        }
    }
}
