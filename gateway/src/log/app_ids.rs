//! Which derivation of application ids ([`Derivation`]) a log's own submissions were made under,
//! judged at every start against what the log records of it.
//!
//! A log records its derivation when it is made (the embedded log in `log/app-ids`, a stream in
//! its metadata), but a record can be lost or wrong while the events stay: a stream promoted from
//! a mirror (whose metadata is its own), a `log/` restored by a tool that skipped the small file,
//! an older log copied over a newer one. Taken on trust, a missing record would switch a keyed
//! log to unkeyed ids (and a copied record the other way): every retry of a submission made
//! before would then name another application, and be taken as a second one. The submissions
//! themselves tell: each one made under an `Idempotency-Key` keeps the key, and its application
//! id is the key's id under exactly one derivation. So the first and the latest such submissions
//! near the log's ends are looked at, and the start goes with what they say: a record they
//! contradict refuses it; a missing one is what they say.

use crate::envelope::{Envelope, GatewayKey};
use crate::ids::{AppIds, Derivation};

use super::{At, EventLog, LogError};

/// How many positions from each end of the log a start looks through for a submission made
/// under a key: a log whose submissions carry keys (nearly all, from a province's platform) has
/// one within the first few.
pub const LOOK: u64 = 4096;

/// Positions read at a time while looking.
const BATCH: usize = 256;

/// Why a start does not go on with a log's derivation.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    #[error(
        "{record} records that the log's application ids are {recorded}, but the submission at \
         log position {position} was made under an Idempotency-Key with an id derived {found}: \
         the record is not this log's (a log copied over another, or a record changed by hand). \
         Nothing was started: with the record's derivation, the retries of the log's \
         submissions would name other applications. Restore the record of this log ({}), or \
         the log the record belongs to",
        found_under.word()
    )]
    Contradicted {
        record: String,
        recorded: &'static str,
        position: u64,
        found: &'static str,
        found_under: Derivation,
    },
    #[error(
        "the submission at log position {position} was made under an Idempotency-Key, but its \
         application id is derived from the key neither with this gateway's key nor without \
         one: the log was written by gateways of another key, or changed. Nothing was started; \
         run `tongban verify` on it"
    )]
    Neither { position: u64 },
    #[error("reading the log to judge its application ids: {0}")]
    Log(#[from] LogError),
}

/// How a derivation is said in a refusal.
fn said(derivation: Derivation) -> &'static str {
    match derivation {
        Derivation::Keyed => "keyed (under the gateway key)",
        Derivation::Unkeyed => "unkeyed (as before keyed ids)",
    }
}

/// A submission made under a key, and the derivation its id was made under (`None`: neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub position: u64,
    pub under: Option<Derivation>,
}

/// What a start found: the derivation to go on with, and whether the submissions at the log's
/// two ends were made under different ones (a version before keyed ids wrote to a keyed log:
/// the retries of one stretch of it name other applications whichever is taken).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    pub derivation: Derivation,
    /// The first and latest submissions under a key, when their derivations differ.
    pub mixed: Option<(Made, Made)>,
    /// Whether the log's submissions said it (false: no submission under a key near its ends,
    /// and the record, or the default, was taken).
    pub from_submissions: bool,
}

/// The derivation of a log's application ids: `recorded` (where its record is `at`; `None`:
/// no record), checked against the first and the latest submissions made under a key within
/// [`LOOK`] positions of the log's two ends (`end` its last position, read with `read`, as
/// [`EventLog::entries`] reads); without a record, what those say, and without either,
/// `default` (a new log's derivation, or a record-less log's).
pub async fn judge<R, F>(
    mut read: R,
    end: u64,
    key: &GatewayKey,
    recorded: Option<Derivation>,
    at: &str,
    default: Derivation,
) -> Result<Judged, Refused>
where
    R: FnMut(u64, usize) -> F,
    F: Future<Output = Result<Vec<At>, LogError>>,
{
    let keyed = AppIds::new(Derivation::Keyed, key);
    let first = first_made(&mut read, &keyed, 1, end.min(LOOK)).await?;
    let latest = match first {
        None => None,
        Some(_) => {
            let from = end.saturating_sub(LOOK - 1).max(1);
            latest_made(&mut read, &keyed, from, end).await?
        }
    };
    decide(first, latest, recorded, at, default)
}

/// [`judge`] on the embedded log, whose reads answer at once (its offline reads).
pub fn judge_embedded(
    log: &super::EmbeddedLog,
    key: &GatewayKey,
    recorded: Option<Derivation>,
    at: &str,
    default: Derivation,
) -> Result<Judged, Refused> {
    let end = *log.head().borrow();
    let judged = judge(
        |from, max| std::future::ready(log.entries_sync(from, max)),
        end,
        key,
        recorded,
        at,
        default,
    );
    let mut judged = std::pin::pin!(judged);
    match judged
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(judged) => judged,
        // Every read above is ready when asked: nothing here waits.
        std::task::Poll::Pending => Err(Refused::Log(LogError::Storage(
            "the embedded log's reads did not answer at once".into(),
        ))),
    }
}

/// The start's judgement from the submissions found at the log's two ends.
fn decide(
    first: Option<Made>,
    latest: Option<Made>,
    recorded: Option<Derivation>,
    at: &str,
    default: Derivation,
) -> Result<Judged, Refused> {
    for made in first.iter().chain(latest.iter()) {
        if made.under.is_none() {
            return Err(Refused::Neither {
                position: made.position,
            });
        }
    }
    // The latest says what a retry most likely needs.
    let found = latest.or(first).and_then(|m| m.under);
    let mixed = match (first, latest) {
        (Some(f), Some(l)) if f.under != l.under => Some((f, l)),
        _ => None,
    };
    if let (Some(recorded), Some(found)) = (recorded, found)
        && recorded != found
    {
        let position = latest.or(first).map_or(0, |m| m.position);
        return Err(Refused::Contradicted {
            record: at.to_string(),
            recorded: said(recorded),
            position,
            found: said(found),
            found_under: found,
        });
    }
    Ok(Judged {
        derivation: recorded.or(found).unwrap_or(default),
        mixed,
        from_submissions: found.is_some(),
    })
}

/// The derivation `event`'s application id was made under, when it is a submission made under
/// an Idempotency-Key (`None` when it is not one; `Some(None)` when it is, under neither).
fn made_under(event: &Envelope, keyed: &AppIds) -> Option<Option<Derivation>> {
    if event.kind != "application.submitted" || event.seq != 1 {
        return None;
    }
    let key = event.data.get("idempotency_key")?.as_str()?;
    Some(if keyed.for_key(&event.region, key) == event.app {
        Some(Derivation::Keyed)
    } else if crate::ids::app_id_for_key(&event.region, key) == event.app {
        Some(Derivation::Unkeyed)
    } else {
        None
    })
}

/// The first submission under a key at positions `from..=to`.
async fn first_made<R, F>(
    read: &mut R,
    keyed: &AppIds,
    from: u64,
    to: u64,
) -> Result<Option<Made>, LogError>
where
    R: FnMut(u64, usize) -> F,
    F: Future<Output = Result<Vec<At>, LogError>>,
{
    let mut next = from;
    while next <= to {
        let entries = read(next, BATCH).await?;
        let Some(last) = entries.last().map(At::position) else {
            return Ok(None);
        };
        for entry in &entries {
            if let At::Event(p) = entry
                && p.position <= to
                && let Some(under) = made_under(&p.event, keyed)
            {
                return Ok(Some(Made {
                    position: p.position,
                    under,
                }));
            }
        }
        next = last + 1;
    }
    Ok(None)
}

/// The latest submission under a key at positions `from..=to`, read back from `to` a batch at
/// a time.
async fn latest_made<R, F>(
    read: &mut R,
    keyed: &AppIds,
    from: u64,
    to: u64,
) -> Result<Option<Made>, LogError>
where
    R: FnMut(u64, usize) -> F,
    F: Future<Output = Result<Vec<At>, LogError>>,
{
    let mut upto = to;
    while upto >= from && upto > 0 {
        let start = upto.saturating_sub(BATCH as u64 - 1).max(from);
        let entries = read(start, BATCH).await?;
        let found = entries.iter().rev().find_map(|entry| match entry {
            At::Event(p) if p.position <= upto => made_under(&p.event, keyed).map(|under| Made {
                position: p.position,
                under,
            }),
            _ => None,
        });
        if found.is_some() {
            return Ok(found);
        }
        if start == from {
            break;
        }
        upto = start - 1;
    }
    Ok(None)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::Command;
    use crate::log::EmbeddedLog;
    use crate::testutil::TempDir;

    /// An embedded log holding, in order, one submission per `(key, derivation)`: `None` keys
    /// are submissions without one (UUIDv7 ids).
    pub(crate) async fn log_of(
        dir: &TempDir,
        key: &GatewayKey,
        made: &[(Option<&str>, Derivation)],
    ) -> EmbeddedLog {
        log_in(&dir.path().join("log"), key, made).await
    }

    /// [`log_of`] in the directory `path`.
    pub(crate) async fn log_in(
        path: &std::path::Path,
        key: &GatewayKey,
        made: &[(Option<&str>, Derivation)],
    ) -> EmbeddedLog {
        let log = EmbeddedLog::open(path).expect("log");
        for (key_given, derivation) in made {
            let (origin, submit) = crate::sample::commands(0)
                .expect("commands")
                .into_iter()
                .next()
                .expect("a submission");
            let Command::Submit(mut submitted) = submit else {
                panic!("the first command submits");
            };
            let app = match key_given {
                Some(k) => AppIds::new(*derivation, key).for_key(&origin, k),
                None => crate::ids::new_v7(),
            };
            submitted.idempotency_key = key_given.map(str::to_string);
            let events = crate::sample::sealed(
                &app,
                [(
                    origin.as_str(),
                    Command::Submit(submitted),
                    "2026-12-06T08:00:00Z".to_string(),
                )],
                "t0",
                key,
            )
            .expect("sealed");
            for event in events {
                log.append(event, 0).await.expect("append");
            }
        }
        log
    }

    /// Given a log's submissions under keys, then the derivation they were made under is found
    /// at either end; a record they contradict is refused, naming the position; a missing
    /// record is what they say; and a log whose ends disagree is told as mixed.
    #[tokio::test]
    async fn the_submissions_say_how_the_log_derives_its_ids() {
        use Derivation::{Keyed, Unkeyed};
        let key = GatewayKey::from_seed([3; 32]);
        let dir = TempDir::new("app-ids-judged");
        let log = log_of(
            &dir,
            &key,
            &[
                (None, Keyed),
                (Some("gd-1"), Unkeyed),
                (Some("gd-2"), Unkeyed),
            ],
        )
        .await;
        let judged = judge_embedded(&log, &key, None, "log/app-ids", Keyed).expect("judged");
        assert_eq!(
            judged.derivation, Unkeyed,
            "a lost record is what the log says"
        );
        assert!(judged.from_submissions && judged.mixed.is_none());
        match judge_embedded(&log, &key, Some(Keyed), "log/app-ids", Keyed) {
            Err(e @ Refused::Contradicted { position: 3, .. }) => {
                let said = e.to_string();
                assert!(
                    said.contains("log/app-ids") && said.contains("unkeyed/v1"),
                    "{said}"
                );
            }
            other => panic!("expected a contradiction, got {other:?}"),
        }
        drop(log);

        let dir = TempDir::new("app-ids-mixed");
        let log = log_of(
            &dir,
            &key,
            &[(Some("gd-1"), Unkeyed), (Some("gd-2"), Keyed)],
        )
        .await;
        let judged = judge_embedded(&log, &key, None, "log/app-ids", Unkeyed).expect("judged");
        assert_eq!(
            judged.derivation, Keyed,
            "the latest says what a retry needs"
        );
        let (first, latest) = judged.mixed.expect("mixed");
        assert_eq!((first.position, latest.position), (1, 2));
        drop(log);

        // Under another gateway key (or changed): neither.
        let dir = TempDir::new("app-ids-neither");
        let other = GatewayKey::from_seed([4; 32]);
        let log = log_of(&dir, &other, &[(Some("gd-1"), Keyed)]).await;
        assert!(matches!(
            judge_embedded(&log, &key, None, "log/app-ids", Keyed),
            Err(Refused::Neither { position: 1 })
        ));
        drop(log);

        // No submission under a key: the record, else the default.
        let dir = TempDir::new("app-ids-none");
        let log = log_of(&dir, &key, &[(None, Keyed)]).await;
        for (recorded, default, expected) in [
            (Some(Keyed), Unkeyed, Keyed),
            (Some(Unkeyed), Keyed, Unkeyed),
            (None, Unkeyed, Unkeyed),
        ] {
            let judged = judge_embedded(&log, &key, recorded, "r", default).expect("judged");
            assert_eq!(judged.derivation, expected);
            assert!(!judged.from_submissions);
        }
    }
}
