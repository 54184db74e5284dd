//! Which derivation of application ids ([`Derivation`]) a log's own submissions were made under,
//! judged at every start beside what the log records of it.
//!
//! A log records its derivation when it is made (the embedded log in `log/app-ids`, a stream in
//! its metadata), but a record can be lost or wrong while the events stay: a stream promoted from
//! a mirror (whose metadata is its own), a `log/` restored by a tool that skipped the small file,
//! an older log copied over a newer one, a gateway of a version before keyed ids run on a keyed
//! log (a rollback), which writes unkeyed submissions into it. Taken on trust, a missing record
//! would switch a keyed log to unkeyed ids (and a copied record the other way): every retry of
//! a submission made before would then name another application, and be taken as a second one.
//! The submissions themselves tell: each one made under an `Idempotency-Key` keeps the key, and
//! its application id is the key's id under exactly one derivation. So the first and the latest
//! such submissions near the log's two ends are looked at. What they and the record say
//! together decides: a log with submissions (or a record) of both derivations goes on keyed,
//! its unkeyed submissions' retries still found ([`Derivation::KeyedAfterUnkeyed`]); one that
//! says only one derivation goes on with it; a log with no submission yet is keyed.

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
        "the submission at log position {position} was made under an Idempotency-Key, but its \
         application id is derived from the key neither with this gateway's key nor without \
         one: the log was written by gateways of another key, or changed. Nothing was started; \
         run `tongban verify` on it"
    )]
    Neither { position: u64 },
    #[error("reading the log to judge its application ids: {0}")]
    Log(#[from] LogError),
}

/// A submission made under a key, and the derivation its id was made under (`None`: neither).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub position: u64,
    pub under: Option<Derivation>,
}

/// What a start found: the derivation to go on with, and what of the log's submissions an
/// operator must be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judged {
    pub derivation: Derivation,
    /// A submission near the log's start and one near its end made under different derivations
    /// (a version before keyed ids wrote to a keyed log, or the other way).
    pub mixed: Option<(Made, Made)>,
    /// A submission made under another derivation than the one the log records.
    pub against_record: Option<Made>,
    /// Whether the log's submissions said it (false: no submission under a key near its ends,
    /// and the record, or the default, was taken).
    pub from_submissions: bool,
}

/// The derivation of a log's application ids ([`decide`]): `recorded` (`None`: no record),
/// beside the first and the latest submissions made under a key within [`LOOK`] positions of
/// the log's two ends (`end` its last position, read with `read`, as [`EventLog::entries`]
/// reads).
pub async fn judge<R, F>(
    mut read: R,
    end: u64,
    key: &GatewayKey,
    recorded: Option<Derivation>,
) -> Result<Judged, Refused>
where
    R: FnMut(u64, usize) -> F,
    F: Future<Output = Result<Vec<At>, LogError>>,
{
    if end == 0 {
        // A new log: keyed, whatever a record left beside it says (a data directory made from
        // an old one's template), unless it already asks to find unkeyed retries too.
        let derivation = match recorded {
            Some(Derivation::KeyedAfterUnkeyed) => Derivation::KeyedAfterUnkeyed,
            _ => Derivation::Keyed,
        };
        return Ok(Judged {
            derivation,
            mixed: None,
            against_record: None,
            from_submissions: false,
        });
    }
    let keyed = AppIds::new(Derivation::Keyed, key);
    let first = first_made(&mut read, &keyed, 1, end.min(LOOK)).await?;
    // The latest, looked for whatever the start holds: a log whose first thousands of events
    // hold no submission under a key may hold one near its end.
    let from = end.saturating_sub(LOOK - 1).max(1);
    let latest = latest_made(&mut read, &keyed, from, end).await?;
    decide(first, latest, recorded)
}

/// [`judge`] on the embedded log, whose reads answer at once (its offline reads).
pub fn judge_embedded(
    log: &super::EmbeddedLog,
    key: &GatewayKey,
    recorded: Option<Derivation>,
) -> Result<Judged, Refused> {
    let end = *log.head().borrow();
    let judged = judge(
        |from, max| std::future::ready(log.entries_sync(from, max)),
        end,
        key,
        recorded,
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

/// The start's judgement from the record and the submissions found at the log's two ends: a
/// submission under no derivation refuses the start; submissions, or a record and a submission,
/// of both derivations make the log [`Derivation::KeyedAfterUnkeyed`] (new keys keyed, unkeyed
/// retries still found: never a second application, whichever was made when); otherwise the
/// record, or what the submissions say. A log that says nothing (no record, no submission under
/// a key near its ends) may hold either anywhere, and is keyed with unkeyed retries found too,
/// whatever another gateway of it judged.
fn decide(
    first: Option<Made>,
    latest: Option<Made>,
    recorded: Option<Derivation>,
) -> Result<Judged, Refused> {
    use Derivation::{Keyed, KeyedAfterUnkeyed, Unkeyed};
    let mut found = Vec::new();
    for made in first.iter().chain(latest.iter()) {
        match made.under {
            None => {
                return Err(Refused::Neither {
                    position: made.position,
                });
            }
            Some(under) => found.push((*made, under)),
        }
    }
    let seen = |d: Derivation| found.iter().any(|(_, under)| *under == d);
    let mixed = match (first, latest) {
        (Some(f), Some(l)) if f.under != l.under => Some((f, l)),
        _ => None,
    };
    let against = |d: Derivation| found.iter().find(|(_, under)| *under != d).map(|(m, _)| *m);
    let (derivation, against_record) = match recorded {
        Some(KeyedAfterUnkeyed) => (KeyedAfterUnkeyed, None),
        Some(Keyed) if seen(Unkeyed) => (KeyedAfterUnkeyed, against(Keyed)),
        Some(Unkeyed) if seen(Keyed) => (KeyedAfterUnkeyed, against(Unkeyed)),
        Some(recorded) => (recorded, None),
        None => match (seen(Keyed), seen(Unkeyed)) {
            (true, true) => (KeyedAfterUnkeyed, None),
            (true, false) => (Keyed, None),
            (false, true) => (Unkeyed, None),
            (false, false) => (KeyedAfterUnkeyed, None),
        },
    };
    Ok(Judged {
        derivation,
        mixed,
        against_record,
        from_submissions: !found.is_empty(),
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
            log.append(submission(key, *key_given, *derivation), 0)
                .await
                .expect("append");
        }
        log
    }

    /// A submission sealed under `key`, made under the Idempotency-Key `key_given` with its id
    /// derived so (a UUIDv7 without a key).
    pub(crate) fn submission(
        key: &GatewayKey,
        key_given: Option<&str>,
        derivation: Derivation,
    ) -> Envelope {
        let (origin, submit) = crate::sample::commands(0)
            .expect("commands")
            .into_iter()
            .next()
            .expect("a submission");
        let Command::Submit(mut submitted) = submit else {
            panic!("the first command submits");
        };
        let app = match key_given {
            Some(k) => AppIds::new(derivation, key).for_key(&origin, k),
            None => crate::ids::new_v7(),
        };
        submitted.idempotency_key = key_given.map(str::to_string);
        let steps = [(
            origin.as_str(),
            Command::Submit(submitted),
            "2026-12-06T08:00:00Z".to_string(),
        )];
        let mut events = crate::sample::sealed(&app, steps, "t0", key).expect("sealed");
        events.pop().expect("one event")
    }

    /// Given a log's submissions under keys, then the derivation they were made under is found
    /// at either end; a missing record is what they say; a record of one derivation beside
    /// submissions of the other, or submissions of both, make the log keyed with its unkeyed
    /// retries still found (a rollback's, or a log moved to keyed ids), never refused; a
    /// submission under neither refuses the start; a new log is keyed whatever its record.
    #[tokio::test]
    async fn the_submissions_say_how_the_log_derives_its_ids() {
        use Derivation::{Keyed, KeyedAfterUnkeyed, Unkeyed};
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
        let judged = judge_embedded(&log, &key, None).expect("judged");
        assert_eq!(
            judged.derivation, Unkeyed,
            "a lost record is what the log says"
        );
        assert!(judged.from_submissions && judged.mixed.is_none());
        // A keyed record beside unkeyed submissions: a keyed log that a version before keyed
        // ids wrote to, or a record copied over an unkeyed log. Both kinds of retry are found.
        let judged = judge_embedded(&log, &key, Some(Keyed)).expect("judged");
        assert_eq!(judged.derivation, KeyedAfterUnkeyed);
        assert_eq!(judged.against_record.map(|m| m.position), Some(2));
        // What an operator records to move a log made before keyed ids to them.
        let judged = judge_embedded(&log, &key, Some(KeyedAfterUnkeyed)).expect("judged");
        assert_eq!(judged.derivation, KeyedAfterUnkeyed);
        assert_eq!(judged.against_record, None);
        drop(log);

        let dir = TempDir::new("app-ids-mixed");
        let log = log_of(
            &dir,
            &key,
            &[(Some("gd-1"), Keyed), (Some("gd-2"), Unkeyed)],
        )
        .await;
        for recorded in [None, Some(Keyed)] {
            let judged = judge_embedded(&log, &key, recorded).expect("judged");
            assert_eq!(judged.derivation, KeyedAfterUnkeyed, "{recorded:?}");
            let (first, latest) = judged.mixed.expect("mixed");
            assert_eq!((first.position, latest.position), (1, 2));
        }
        drop(log);

        // Under another gateway key (or changed): neither.
        let dir = TempDir::new("app-ids-neither");
        let other = GatewayKey::from_seed([4; 32]);
        let log = log_of(&dir, &other, &[(Some("gd-1"), Keyed)]).await;
        assert!(matches!(
            judge_embedded(&log, &key, None),
            Err(Refused::Neither { position: 1 })
        ));
        drop(log);

        // No submission under a key: the record, else keyed with unkeyed retries found.
        let dir = TempDir::new("app-ids-none");
        let log = log_of(&dir, &key, &[(None, Keyed)]).await;
        for (recorded, expected) in [
            (Some(Keyed), Keyed),
            (Some(Unkeyed), Unkeyed),
            (None, KeyedAfterUnkeyed),
        ] {
            let judged = judge_embedded(&log, &key, recorded).expect("judged");
            assert_eq!(judged.derivation, expected);
            assert!(!judged.from_submissions);
        }
        drop(log);

        // A new log: keyed, even beside a record of an old one's.
        let dir = TempDir::new("app-ids-new");
        let log = log_of(&dir, &key, &[]).await;
        let judged = judge_embedded(&log, &key, Some(Unkeyed)).expect("judged");
        assert_eq!(judged.derivation, Keyed);
    }

    /// Given a log whose first 4,096 positions hold no submission under a key and whose end
    /// holds a keyed one, when its record is lost, then the latest is found all the same: the
    /// log stays keyed. (Found by a walkthrough: it was judged unkeyed, for good.)
    #[tokio::test]
    async fn a_submission_near_the_end_alone_says_it() {
        let key = GatewayKey::from_seed([3; 32]);
        let dir = TempDir::new("app-ids-late");
        let mut made: Vec<(Option<&str>, Derivation)> = vec![(None, Derivation::Keyed); 4200];
        made.push((Some("sh-late-1"), Derivation::Keyed));
        let log = log_of(&dir, &key, &made).await;
        let judged = judge_embedded(&log, &key, None).expect("judged");
        assert_eq!(judged.derivation, Derivation::Keyed);
        assert!(judged.from_submissions);
    }
}
