//! Chain verification: every application's events are consecutive, each links to its
//! predecessor's hash, each hash recomputes from the canonical envelope, and each signature
//! verifies under the gateway key; over the whole log, the log's positions run without a gap from
//! 1 (a gap is a removed event); and each payload reads as its type (what a replay needs), which
//! is reported apart, since an event a newer gateway wrote may be sound yet unreadable here.
//! Streams the log in position order, keeping one small record per application (never the
//! events), so memory does not grow with the log's length.
//!
//! What no hash chain shows: the removal of the newest events of the log as a whole (its last
//! positions), which leaves a shorter log that is intact in every respect. Only a count or head
//! recorded elsewhere beforehand (a province's own records, a `verify` output kept) tells.

use std::collections::HashMap;

use tongban_gateway::domain::lifecycle::Event;
use tongban_gateway::envelope::{ChainError, Envelope, PublicKey};
use tongban_gateway::log::{EventLog, LogError};

/// One broken link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokenLink {
    pub app: String,
    pub seq: u64,
    pub position: Option<u64>,
    pub error: ChainError,
}

/// `application A seq N (log position P)`: where a finding is, as every finding line starts.
fn write_place(
    f: &mut std::fmt::Formatter<'_>,
    app: &str,
    seq: u64,
    position: Option<u64>,
) -> std::fmt::Result {
    write!(f, "application {app} seq {seq}")?;
    if let Some(p) = position {
        write!(f, " (log position {p})")?;
    }
    Ok(())
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_place(f, &self.app, self.seq, self.position)?;
        write!(f, ": {}", self.error)
    }
}

/// Log positions that hold no event though later ones do (or the log's head says they should):
/// events removed from the log. Inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub first: u64,
    pub last: u64,
}

impl Gap {
    /// How many events were removed: the positions the gap spans.
    pub fn events(&self) -> u64 {
        self.last - self.first + 1
    }
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last {
            write!(f, "log position {} holds no event", self.first)?;
        } else {
            write!(
                f,
                "log positions {}-{} hold no event ({} events)",
                self.first,
                self.last,
                self.events()
            )?;
        }
        write!(f, ": removed from the log")
    }
}

/// An event whose chain link is sound but whose payload this build cannot read as its type (a
/// newer gateway's event, or bytes rewritten without changing their canonical form): not a
/// broken link, yet a replay of its application stops before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub app: String,
    pub seq: u64,
    pub position: Option<u64>,
    pub reason: String,
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_place(f, &self.app, self.seq, self.position)?;
        write!(f, ": unreadable by this build: {}", self.reason)
    }
}

/// A log position whose stored bytes are not an event at all (whole-log verification only):
/// written over, or damaged. Counted as broken, and the check goes on past it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Garbled {
    pub position: u64,
    pub reason: String,
}

impl std::fmt::Display for Garbled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "log position {} holds bytes that are not an event: {}",
            self.position, self.reason
        )
    }
}

/// What a verification found, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A broken link or a removed event.
    Broken,
    /// Every link sound, but some events this build cannot read.
    Unreadable,
    /// Nothing to check: no events at all.
    Empty,
    /// Every event checked, every link sound, every event readable.
    Intact,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub events: u64,
    pub applications: u64,
    pub broken: Vec<BrokenLink>,
    /// Runs of removed positions (whole-log verification only).
    pub missing: Vec<Gap>,
    /// Positions holding something that is not an event (whole-log verification only).
    pub garbled: Vec<Garbled>,
    pub unreadable: Vec<Unreadable>,
}

impl Report {
    pub fn verdict(&self) -> Verdict {
        if !self.chain_intact() {
            Verdict::Broken
        } else if !self.unreadable.is_empty() {
            Verdict::Unreadable
        } else if self.events == 0 {
            Verdict::Empty
        } else {
            Verdict::Intact
        }
    }

    /// Whether every event checked failed its signature and nothing else: the mark of a key that
    /// is not the one the log was signed with, rather than of tampering (which leaves the other
    /// events' signatures sound).
    pub fn no_signature_verifies(&self) -> bool {
        self.events > 0
            && self.broken.len() as u64 == self.events
            && self
                .broken
                .iter()
                .all(|b| matches!(b.error, ChainError::Signature))
    }

    /// No broken link and no removed event (unreadable events aside).
    pub fn chain_intact(&self) -> bool {
        self.broken.is_empty() && self.missing.is_empty() && self.garbled.is_empty()
    }

    /// One line per finding: `BROKEN …` for broken links and removed events, `UNREADABLE …`
    /// for events this build cannot read.
    pub fn findings(&self) -> Vec<String> {
        let broken = self.broken.iter().map(|b| format!("BROKEN {b}"));
        let missing = self.missing.iter().map(|g| format!("BROKEN {g}"));
        let garbled = self.garbled.iter().map(|g| format!("BROKEN {g}"));
        let unreadable = self.unreadable.iter().map(|u| format!("UNREADABLE {u}"));
        broken
            .chain(missing)
            .chain(garbled)
            .chain(unreadable)
            .collect()
    }

    pub fn summary(&self) -> String {
        let verdict = match self.verdict() {
            Verdict::Empty => {
                return "EMPTY: the log holds no events; nothing was checked".to_string();
            }
            Verdict::Intact => "intact",
            Verdict::Unreadable => "UNREADABLE",
            Verdict::Broken => "BROKEN",
        };
        let count = |n: u64, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let mut s = format!(
            "{verdict}: {} in {} checked, {} broken link(s)",
            count(self.events, "event"),
            count(self.applications, "application"),
            self.broken.len()
        );
        if !self.missing.is_empty() {
            let removed: u64 = self.missing.iter().map(Gap::events).sum();
            s.push_str(&format!(", {removed} removed event(s)"));
        }
        if !self.garbled.is_empty() {
            s.push_str(&format!(
                ", {} position(s) holding no event",
                self.garbled.len()
            ));
        }
        if !self.unreadable.is_empty() {
            s.push_str(&format!(
                ", {} event(s) unreadable by this build",
                self.unreadable.len()
            ));
            if self.chain_intact() {
                s.push_str(" (their chain is intact; a newer tongban reads them)");
            }
        }
        s
    }
}

/// Checks one event after its application's `previous` (seq, hash) into `report`.
fn check(report: &mut Report, e: &Envelope, position: Option<u64>, linked: Result<(), ChainError>) {
    match linked {
        Err(error) => report.broken.push(BrokenLink {
            app: e.app.clone(),
            seq: e.seq,
            position,
            error,
        }),
        Ok(()) => {
            if let Err(reason) = Event::from_envelope(e) {
                report.unreadable.push(Unreadable {
                    app: e.app.clone(),
                    seq: e.seq,
                    position,
                    reason: reason.to_string(),
                });
            }
        }
    }
}

/// Verifies one application's events in seq order: each one `app`'s, chained, sealed, signed
/// under `key`, and readable as its type.
pub fn verify_events(app: &str, events: &[Envelope], key: &PublicKey) -> Report {
    let mut report = Report {
        applications: u64::from(!events.is_empty()),
        ..Report::default()
    };
    let mut previous: Option<&Envelope> = None;
    for e in events {
        report.events += 1;
        let linked = if e.app != app {
            Err(ChainError::WrongApp {
                expected: app.to_string(),
                found: e.app.clone(),
            })
        } else {
            e.verify_link(previous, key)
        };
        check(&mut report, e, None, linked);
        previous = Some(e);
    }
    report
}

pub async fn verify_app<L: EventLog>(
    log: &L,
    app: &str,
    key: &PublicKey,
) -> Result<Report, LogError> {
    Ok(verify_events(app, &log.read(app).await?, key))
}

/// What is remembered of an application's last event while streaming.
struct Tail {
    seq: u64,
    hash: String,
}

/// Verifies the whole log, streaming; `progress(events checked, log head)` after each batch.
/// Besides every chain, the log's positions must run from 1 to its head without a gap (both
/// backends number them so: a JetStream stream that refuses deletes, the embedded log one by
/// one), so an event removed from the middle of the log is found even where it was the last of
/// its application. (A JetStream reader passes over the messages its server lists as removed,
/// so they arrive here as gaps too.)
pub async fn verify_all<L: EventLog>(
    log: &L,
    key: &PublicKey,
    mut progress: impl FnMut(u64, u64),
) -> Result<Report, LogError> {
    let head = *log.head().borrow();
    let mut report = Report::default();
    let mut tails: HashMap<String, Tail> = HashMap::new();
    let mut from = 1;
    loop {
        let batch = match log.read_all(from, 4096).await {
            Ok(batch) => batch,
            // A position that holds no event's bytes: what is before it is read one event at a
            // time, the position is reported, and the check goes on after it, so one damaged
            // event neither stops the check nor hides the rest of the log.
            Err(LogError::Corrupt { position, reason }) if position >= from => {
                loop {
                    match log.read_all(from, 1).await {
                        Ok(one) if one.first().is_some_and(|p| p.position < position) => {
                            take(&mut report, &mut tails, &mut from, one, key);
                        }
                        Ok(_) | Err(LogError::Corrupt { .. }) => break,
                        Err(e) => return Err(e),
                    }
                }
                if position > from {
                    report.missing.push(Gap {
                        first: from,
                        last: position - 1,
                    });
                }
                report.garbled.push(Garbled { position, reason });
                from = position + 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        if batch.is_empty() {
            break;
        }
        take(&mut report, &mut tails, &mut from, batch, key);
        progress(report.events, head);
    }
    // The head said events were there when the check began: positions up to it that none was
    // read at were removed too.
    if head >= from {
        report.missing.push(Gap {
            first: from,
            last: head,
        });
    }
    Ok(report)
}

/// Checks a run of the log read from `from` on, each event against its application's last one
/// so far; moves `from` past it, a skipped position counted as removed.
fn take(
    report: &mut Report,
    tails: &mut HashMap<String, Tail>,
    from: &mut u64,
    run: Vec<tongban_gateway::log::Positioned>,
    key: &PublicKey,
) {
    for p in run {
        if p.position > *from {
            report.missing.push(Gap {
                first: *from,
                last: p.position - 1,
            });
        }
        *from = p.position + 1;
        report.events += 1;
        let e = &p.event;
        let previous = tails.get(&e.app).map(|t| (t.seq, t.hash.as_str()));
        if previous.is_none() {
            report.applications += 1;
        }
        check(report, e, Some(p.position), e.verify_after(previous, key));
        tails.insert(
            e.app.clone(),
            Tail {
                seq: e.seq,
                hash: e.hash.clone(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use tongban_gateway::envelope::{Content, GatewayKey};

    fn key() -> GatewayKey {
        GatewayKey::from_seed([3; 32])
    }

    /// A first event of `app`, sealed and signed over `data` as a forwarding.
    fn forwarded(app: &str, data: Value) -> Envelope {
        let content = Content {
            kind: "application.forwarded".into(),
            schema: "application.forwarded/1".into(),
            region: "440000".into(),
            actor: "440000/t".into(),
            at: "2026-11-02T01:00:00Z".into(),
            data,
        };
        Envelope::sealed_after(None, app, content, &key())
    }

    #[test]
    fn an_event_of_another_application_is_a_broken_link() {
        let public = key().public();
        let own = forwarded("app-a", json!({"materials_checked": true}));
        assert_eq!(verify_events("app-a", &[own], &public).broken, vec![]);
        let other = forwarded("app-b", json!({"materials_checked": true}));
        let r = verify_events("app-a", &[other], &public);
        assert!(
            matches!(&r.broken[0].error, ChainError::WrongApp { found, .. } if found == "app-b"),
            "{r:?}"
        );
    }

    /// Given an event sealed and signed over a payload that does not read as its type, when it
    /// is verified, then the chain is intact and the event is unreadable by this build, not a
    /// broken link: a replay cannot pass it, and verification says so in its own words.
    #[test]
    fn a_signed_event_that_does_not_read_as_its_type_is_unreadable_not_broken() {
        let odd = forwarded("app-a", json!({"materials_checked": "yes"}));
        let r = verify_events("app-a", &[odd], &key().public());
        assert_eq!(r.broken, vec![], "{r:?}");
        assert_eq!(r.unreadable.len(), 1, "{r:?}");
        assert_eq!(r.verdict(), Verdict::Unreadable);
        assert!(r.chain_intact());
        let summary = r.summary();
        assert!(
            summary.starts_with("UNREADABLE:")
                && summary.contains("0 broken link(s)")
                && summary.contains("1 event(s) unreadable by this build"),
            "{summary}"
        );
        assert_eq!(r.findings().len(), 1);
        assert!(r.findings()[0].starts_with("UNREADABLE application app-a seq 1"));
    }

    /// Given no events, the report says nothing was checked rather than intact.
    #[test]
    fn nothing_checked_is_empty_not_intact() {
        let r = verify_events("app-a", &[], &key().public());
        assert_eq!(r.verdict(), Verdict::Empty);
        assert!(r.summary().starts_with("EMPTY:"), "{}", r.summary());
    }

    /// A log of fixed positions, as a store from which some were removed.
    struct Fixed {
        events: Vec<tongban_gateway::log::Positioned>,
        head: tokio::sync::watch::Receiver<u64>,
        /// Positions whose bytes are no event: a read reaching one fails, as the embedded log's.
        garbled: Vec<u64>,
    }

    impl Fixed {
        /// `events` at `positions`, the head at `head`.
        fn new(events: &[Envelope], positions: &[u64], head: u64) -> Fixed {
            let (_tx, rx) = tokio::sync::watch::channel(head);
            Fixed {
                events: events
                    .iter()
                    .zip(positions)
                    .map(|(e, &position)| tongban_gateway::log::Positioned {
                        position,
                        event: e.clone(),
                    })
                    .collect(),
                head: rx,
                garbled: Vec::new(),
            }
        }
    }

    impl EventLog for Fixed {
        async fn append(&self, _: Envelope, _: u64) -> Result<u64, LogError> {
            Err(LogError::Unavailable("read-only".into()))
        }
        async fn read(&self, app: &str) -> Result<Vec<Envelope>, LogError> {
            Ok(self
                .events
                .iter()
                .filter(|p| p.event.app == app)
                .map(|p| p.event.clone())
                .collect())
        }
        async fn read_all(
            &self,
            from: u64,
            max: usize,
        ) -> Result<Vec<tongban_gateway::log::Positioned>, LogError> {
            let run: Vec<tongban_gateway::log::Positioned> = self
                .events
                .iter()
                .filter(|p| p.position >= from)
                .take(max)
                .cloned()
                .collect();
            let last = run.last().map_or(u64::MAX, |p| p.position);
            match self.garbled.iter().find(|&&g| g >= from && g <= last) {
                Some(&position) => Err(LogError::Corrupt {
                    position,
                    reason: "expected value at line 1 column 1".into(),
                }),
                None => Ok(run),
            }
        }
        async fn read_at(
            &self,
            _: &[u64],
        ) -> Result<Vec<tongban_gateway::log::Positioned>, LogError> {
            Err(LogError::Unavailable("not needed".into()))
        }
        fn head(&self) -> tokio::sync::watch::Receiver<u64> {
            self.head.clone()
        }
        fn backend(&self) -> &'static str {
            "fixed"
        }
        async fn refresh_head(&self) -> Result<u64, LogError> {
            Ok(*self.head.borrow())
        }
        async fn last_position(&self, _: &str) -> Result<Option<u64>, LogError> {
            Err(LogError::Unavailable("not needed".into()))
        }
    }

    /// Four applications' first events, each its own intact chain.
    fn four() -> Vec<Envelope> {
        ["a", "b", "c", "d"]
            .iter()
            .map(|app| forwarded(app, json!({"materials_checked": true})))
            .collect()
    }

    fn verify_fixed(log: &Fixed) -> Report {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(verify_all(log, &key().public(), |_, _| {}))
            .expect("verified")
    }

    /// Given a log whose positions run 1..=4 up to its head, when it is verified, then it is
    /// intact.
    #[test]
    fn a_log_without_gaps_is_intact() {
        let r = verify_fixed(&Fixed::new(&four(), &[1, 2, 3, 4], 4));
        assert_eq!(r.verdict(), Verdict::Intact, "{r:?}");
        assert_eq!(
            r.summary(),
            "intact: 4 events in 4 applications checked, 0 broken link(s)"
        );
    }

    /// Given a log from which position 2 (the only event of its application, so no chain shows
    /// it) and the positions 5-6 below the head were removed, when it is verified, then it is
    /// broken and names each run of missing positions.
    #[test]
    fn removed_events_are_gaps_in_the_positions() {
        let r = verify_fixed(&Fixed::new(&four(), &[1, 3, 4, 7], 8));
        assert_eq!(r.broken, vec![]);
        assert_eq!(
            r.missing,
            vec![
                Gap { first: 2, last: 2 },
                Gap { first: 5, last: 6 },
                Gap { first: 8, last: 8 },
            ]
        );
        assert_eq!(r.verdict(), Verdict::Broken);
        assert!(
            r.summary().contains("4 removed event(s)"),
            "{}",
            r.summary()
        );
        let findings = r.findings();
        assert_eq!(
            findings[1],
            "BROKEN log positions 5-6 hold no event (2 events): removed from the log"
        );
    }

    /// Given a log whose position 2 holds bytes that are no event, when it is verified, then that
    /// position is reported broken and every other event is still checked (it used to stop the
    /// whole check with "unreadable", checking nothing after it).
    #[test]
    fn a_position_holding_no_event_is_broken_and_the_rest_is_checked() {
        let mut log = Fixed::new(&four(), &[1, 2, 3, 4], 4);
        log.events.remove(1);
        log.garbled = vec![2];
        let r = verify_fixed(&log);
        assert_eq!(r.events, 3);
        assert_eq!(r.missing, vec![]);
        assert_eq!(
            r.garbled,
            vec![Garbled {
                position: 2,
                reason: "expected value at line 1 column 1".into()
            }]
        );
        assert_eq!(r.verdict(), Verdict::Broken);
        assert!(
            r.summary().ends_with(", 1 position(s) holding no event"),
            "{}",
            r.summary()
        );
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN log position 2 holds bytes that are not an event: expected value at line 1 column 1"
            ]
        );
    }

    /// Given an intact log, when it is checked against another key, then every signature fails
    /// and nothing else: told apart from tampering, which leaves other signatures sound.
    #[test]
    fn a_wrong_key_is_told_from_tampering() {
        let log = Fixed::new(&four(), &[1, 2, 3, 4], 4);
        let other = GatewayKey::from_seed([8; 32]).public();
        let r = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(verify_all(&log, &other, |_, _| {}))
            .expect("verified");
        assert_eq!(r.broken.len(), 4);
        assert!(r.no_signature_verifies());
        assert!(!verify_fixed(&log).no_signature_verifies());
        let mut tampered = four();
        tampered[0].actor = "440000/forged".into();
        let r = verify_fixed(&Fixed::new(&tampered, &[1, 2, 3, 4], 4));
        assert_eq!(r.verdict(), Verdict::Broken);
        assert!(!r.no_signature_verifies());
    }

    /// Given an empty log, when it is verified, then it says nothing was checked.
    #[test]
    fn an_empty_log_is_empty_not_intact() {
        let r = verify_fixed(&Fixed::new(&[], &[], 0));
        assert_eq!(r.verdict(), Verdict::Empty);
    }
}
