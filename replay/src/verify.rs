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
//! recorded elsewhere beforehand tells: signed log heads kept from `GET /v1/log/head`
//! ([`verify_all_with_heads`], [`crate::heads`]), a province's own records, a `verify` output
//! kept, or the data directory's projections, applied up to a position past the log's end
//! ([`LostEnd`], which `verify --data` compares).

use std::collections::HashMap;

use tongban_gateway::domain::lifecycle::{Event, EventDecodeError};
use tongban_gateway::envelope::stored::{judge_stored, link_stored, twins};
use tongban_gateway::envelope::{ChainError, Envelope, PublicKey};
use tongban_gateway::log::index::{AppIndex, Head, Stray};
use tongban_gateway::log::unreadable::Run;
use tongban_gateway::log::{EventLog, LogError};

/// What an intact chain does not show, said beside its verdict where one application's events
/// are shown as verified (`replay`): its links and signatures hold for the events there are, and
/// events removed after its last one leave no trace in it.
pub const LATEST_REMOVED: &str = "note: the events shown link and their signatures verify; \
    whether events after the last one were removed no chain can show: run tongban verify on the \
    whole log, and compare a copy kept before (docs/audit/verify_chain.py --earlier)";

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
        (self.last - self.first).saturating_add(1)
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

/// Log positions past the log's end that the data directory's projections were applied up to
/// (their checkpoint): events the log held once and lost from its end, which no chain shows.
/// Projections are only ever applied from events already durable in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostEnd {
    /// The positions lost: from the log's end + 1 to the projections' checkpoint.
    pub lost: Gap,
    /// The projections' directory, as the finding names it.
    pub projections: String,
}

impl LostEnd {
    /// The positions after the log's end `end` up to the projections' `checkpoint` (`None`: the
    /// checkpoint is within the log).
    pub fn of(end: u64, checkpoint: u64, projections: &str) -> Option<LostEnd> {
        (checkpoint > end).then(|| LostEnd {
            lost: Gap {
                first: end.saturating_add(1),
                last: checkpoint,
            },
            projections: projections.to_string(),
        })
    }

    /// `log position 39` or `log positions 38-39`.
    pub fn positions(&self) -> String {
        match (self.lost.first, self.lost.last) {
            (f, l) if f == l => format!("log position {f}"),
            (f, l) => format!("log positions {f}-{l}"),
        }
    }
}

impl std::fmt::Display for LostEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let several = self.lost.first != self.lost.last;
        write!(
            f,
            "{} {} no event, yet the projections in {} were applied up to log position {}: the \
             log lost {} (cut short, or put back to a backup older than the \
             projections; in a copy of a data directory made file by file while a gateway ran, \
             the log may have been copied before the projections moved on)",
            self.positions(),
            if several { "hold" } else { "holds" },
            self.projections,
            self.lost.last,
            if several {
                format!("its last {} events", self.lost.events())
            } else {
                "its last event".to_string()
            }
        )
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
    /// The schema version the event names (`application.submitted/1`), when this build
    /// registers it and reads the event's type: its stored bytes do not read as that version
    /// (rewritten after sealing), which no newer tongban mends. `None`: a type or version this
    /// build does not know, as a newer gateway writes.
    pub known: Option<String>,
    /// Where the payload holds a whole number written with a fraction or an exponent
    /// (`102400.0`) that the version does not read: the field likely rewritten, since such a
    /// number's canonical form, and so the hash, is the integer's.
    pub field: Option<String>,
}

/// An event whose payload holds an integer beyond ±(2^53 − 1), as events written before that
/// limit (rule `max-integer`) may: its hash covers the JCS form, which writes the nearest IEEE
/// double, so any integer that rounds alike verifies the same. Its chain holds; this one value
/// is not bound exactly by the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inexact {
    pub app: String,
    pub seq: u64,
    pub position: Option<u64>,
    /// Where in the event: `/data/…`.
    pub pointer: String,
}

impl std::fmt::Display for Inexact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "application {} seq {}", self.app, self.seq)?;
        if let Some(p) = self.position {
            write!(f, " (log position {p})")?;
        }
        write!(
            f,
            ": {} holds an integer beyond ±(2^53 − 1); the hash covers the nearest IEEE double, \
             so any integer that rounds alike verifies the same: the signature does not bind this \
             value exactly",
            self.pointer
        )
    }
}

/// The first integer beyond ±(2^53 − 1) in `value`, as a pointer below `at`.
fn inexact_integer(value: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    use tongban_schemas::limits::{MAX_SAFE_INTEGER, beyond_exact_integers};
    match value {
        Value::Number(n) => {
            // A whole number stored as a double (beyond u64 and i64) is one too.
            let beyond = beyond_exact_integers(n)
                || (n.as_u64().is_none()
                    && n.as_i64().is_none()
                    && n.as_f64()
                        .is_some_and(|f| f.fract() == 0.0 && f.abs() > MAX_SAFE_INTEGER as f64));
            beyond.then(|| at.to_string())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| inexact_integer(v, &format!("{at}/{i}"))),
        Value::Object(members) => members.iter().find_map(|(k, v)| {
            inexact_integer(v, &format!("{at}/{}", tongban_schemas::escape_token(k)))
        }),
        _ => None,
    }
}

impl Unreadable {
    /// `e`'s payload, which does not read as its type for `reason`.
    fn of(e: &Envelope, position: Option<u64>, reason: &EventDecodeError) -> Unreadable {
        let registry = tongban_schemas::registry::Registry::builtin();
        let known = match reason {
            EventDecodeError::UnknownType(_) => None,
            EventDecodeError::Data { .. } => tongban_schemas::registry::parse_schema_ref(&e.schema)
                .filter(|(subject, version)| {
                    registry
                        .get(
                            subject,
                            tongban_schemas::registry::VersionRef::Number(*version),
                        )
                        .is_some()
                })
                .map(|_| e.schema.clone()),
        };
        let reason = reason.to_string();
        let field = known
            .as_ref()
            .and_then(|_| whole_number_written_as_float(&e.data, &reason));
        Unreadable {
            app: e.app.clone(),
            seq: e.seq,
            position,
            reason,
            known,
            field,
        }
    }
}

/// The JSON pointer of the number in `data` that serde refused as a float where an integer is
/// due (`invalid type: floating point `102400.0``): the one whose written form the reason
/// names, or else the only whole number written as a float.
fn whole_number_written_as_float(data: &serde_json::Value, reason: &str) -> Option<String> {
    if !reason.contains("floating point") {
        return None;
    }
    fn walk(v: &serde_json::Value, at: &str, found: &mut Vec<(String, f64)>) {
        match v {
            serde_json::Value::Number(n) => {
                if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                    found.push((at.to_string(), f));
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{at}/{i}"), found);
                }
            }
            serde_json::Value::Object(members) => {
                for (k, item) in members {
                    let token = tongban_schemas::escape_token(k);
                    walk(item, &format!("{at}/{token}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(data, "", &mut found);
    // serde writes a whole float with its decimal point: `102400.0`.
    let named = found
        .iter()
        .find(|(_, f)| reason.contains(&format!("`{f}.0`")) || reason.contains(&format!("`{f}`")));
    match (named, found.as_slice()) {
        (Some((at, _)), _) => Some(at.clone()),
        (None, [(at, _)]) => Some(at.clone()),
        _ => None,
    }
}

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_place(f, &self.app, self.seq, self.position)?;
        match &self.known {
            None => write!(f, ": unreadable by this build: {}", self.reason),
            Some(schema) => {
                write!(
                    f,
                    ": its stored bytes do not read as {schema}, which this build knows"
                )?;
                if let Some(field) = &self.field {
                    write!(
                        f,
                        "; {field} holds a whole number written as a fraction or an exponent \
                         where an integer is due (rewritten after sealing: the hash does not \
                         tell the two forms apart)"
                    )?;
                }
                write!(f, ": {}", self.reason)
            }
        }
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

/// Where the log's index (the embedded log's (application, seq) → position entries and
/// per-application heads, which every read of one application goes through) disagrees with the
/// events. Counted as broken: a reader of the application is shown another history than the log
/// holds, and no signature covers the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexFinding {
    /// An event that is not where the index places its (application, seq).
    Unindexed {
        app: String,
        seq: u64,
        position: u64,
        /// Where the index places it instead (`None`: no entry).
        indexed: Option<u64>,
    },
    /// An entry whose position does not hold the event it names.
    Stray(Stray),
    /// An application's head that is not its last event's seq.
    Head {
        app: String,
        /// `None`: the index has no head for it.
        head: Option<Head>,
        /// The application's last seq in the log (0: no events).
        last: u64,
    },
}

impl std::fmt::Display for IndexFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexFinding::Unindexed {
                app,
                seq,
                position,
                indexed,
            } => {
                write_place(f, app, *seq, Some(*position))?;
                match indexed {
                    Some(q) => write!(
                        f,
                        ": the log's index places this seq at log position {q} instead"
                    ),
                    None => write!(f, ": the log's index has no entry for it"),
                }
            }
            IndexFinding::Stray(s) => write!(
                f,
                "the log's index places application {} seq {} at log position {}, which {}",
                s.app, s.seq, s.position, s.holds
            ),
            IndexFinding::Head { app, head, last } => {
                match head {
                    None => write!(f, "the log's index has no head for application {app}")?,
                    Some(Head::Seq(h)) => write!(
                        f,
                        "the log's index gives application {app} seq {h} as its last"
                    )?,
                    Some(Head::Malformed(n)) => write!(
                        f,
                        "the log's index holds {n} bytes as application {app}'s last seq, not 8"
                    )?,
                }
                match last {
                    0 => write!(f, "; the log holds no event of it"),
                    n => write!(f, "; its last event in the log is seq {n}"),
                }
            }
        }
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
    /// Where the log's own index disagrees with the events (a log that keeps one).
    pub index: Vec<IndexFinding>,
    /// Positions past the log's end that the data directory's projections had applied
    /// (`verify --data`, embedded log: set by the caller, which reads the projections).
    pub lost_end: Option<LostEnd>,
    pub unreadable: Vec<Unreadable>,
    /// Events whose payload holds an integer the signature does not bind exactly: their chain
    /// holds, so the verdict stands, and each is said ([`Inexact`]).
    pub inexact: Vec<Inexact>,
    /// The application checked alone (`verify --app`, `replay`, `dispute`), where it was. A
    /// position that holds no event, or no readable one, may have held one of its events: the
    /// log cannot tell whose it was, so it is reported for the application too.
    pub scope: Option<String>,
    /// The key was given by whoever checks (`--public-key`), not the gateway's own as the log's
    /// directory holds it: a signature that does not verify is said to fail under the given key.
    pub given_key: bool,
    /// Saved log heads the log does not reproduce, or not signed by the gateway
    /// (`verify --heads`, whole log only: [`crate::heads`]).
    pub heads: Vec<crate::heads::HeadFinding>,
    /// Saved log heads the log reproduced.
    pub heads_reproduced: u64,
    /// Messages stored among the application's events that are not its history, which its read
    /// passed over (`verify --app` on JetStream: what something other than a gateway published
    /// on its subject). Each is named, and none is a break: the verdict is its history's.
    pub passed: tongban_gateway::log::foreign::Passed,
    /// Runs of events stamped well before an event the log holds before them (whole-log
    /// verification only): a gateway's clock behind. No break: the verdict stands, and each run
    /// is said ([`crate::clock`]).
    pub backdated: Vec<crate::clock::Backdated>,
}

impl Report {
    /// What an empty or unreadable position means when one application was checked alone:
    /// whose event it held, the log cannot tell (empty for the whole-log check).
    fn whose(&self, several: bool) -> String {
        match (&self.scope, several) {
            (None, _) => String::new(),
            (Some(app), false) => format!(
                "; whose event it held the log cannot tell: it may have been application {app}'s"
            ),
            (Some(app), true) => format!(
                "; whose events they held the log cannot tell: they may have been application \
                 {app}'s"
            ),
        }
    }

    /// A broken link, as its finding says it: a signature that does not verify under the key
    /// the checker gave is said so.
    pub fn broken_line(&self, b: &BrokenLink) -> String {
        match b.error {
            ChainError::Signature if self.given_key => {
                let mut place = format!("application {} seq {}", b.app, b.seq);
                if let Some(p) = b.position {
                    place.push_str(&format!(" (log position {p})"));
                }
                format!("{place}: signature does not verify under the given key")
            }
            _ => b.to_string(),
        }
    }

    /// A run of removed positions, as its finding says it.
    pub fn gap_line(&self, g: &Gap) -> String {
        format!("{g}{}", self.whose(g.first != g.last))
    }

    /// A position holding no event, as its finding says it.
    pub fn garbled_line(&self, g: &Garbled) -> String {
        format!("{g}{}", self.whose(false))
    }

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
        self.broken.is_empty()
            && self.lost_end.is_none()
            && self.missing.is_empty()
            && self.garbled.is_empty()
            && self.index.is_empty()
            && self.heads.is_empty()
    }

    /// One line per finding: `BROKEN …` for broken links and removed events, `UNREADABLE …`
    /// for events this build cannot read, `FOREIGN …` for messages among one application's
    /// events that are not its history (no break).
    /// Where `finding`'s event belongs when the event found there belongs where `finding`'s
    /// is: two events stored in each other's places (of two applications, which no chain
    /// shows, or of one), said as such beside the two index findings (an auditor read the pair
    /// of lines as two separate faults).
    fn swapped_with(&self, finding: &IndexFinding) -> Option<u64> {
        let IndexFinding::Unindexed {
            position,
            indexed: Some(q),
            ..
        } = finding
        else {
            return None;
        };
        self.index
            .iter()
            .any(|other| {
                matches!(other, IndexFinding::Unindexed { position: p, indexed: Some(o), .. }
                    if p == q && o == position)
            })
            .then_some(*q)
    }

    pub fn findings(&self) -> Vec<String> {
        let broken = self
            .broken
            .iter()
            .map(|b| format!("BROKEN {}", self.broken_line(b)));
        let missing = self
            .missing
            .iter()
            .map(|g| format!("BROKEN {}", self.gap_line(g)));
        let garbled = self
            .garbled
            .iter()
            .map(|g| format!("BROKEN {}", self.garbled_line(g)));
        let index = self.index.iter().map(|i| match self.swapped_with(i) {
            Some(other) => format!(
                "BROKEN {i}, and the event at log position {other} is the one the index \
                 places here: the two were stored in each other's places"
            ),
            None => format!("BROKEN {i}"),
        });
        let unreadable = self.unreadable.iter().map(|u| format!("UNREADABLE {u}"));
        let inexact = self.inexact.iter().map(|i| format!("INEXACT {i}"));
        let unsaid = self.backdated.len().saturating_sub(TIME_LINES);
        let backdated = self
            .backdated
            .iter()
            .take(TIME_LINES)
            .map(|b| format!("TIME {b}"))
            .chain((unsaid > 0).then(|| {
                format!("TIME {unsaid} more such run(s), after the first {TIME_LINES} named")
            }));
        let heads = self.heads.iter().map(|h| format!("BROKEN {h}"));
        let more = self.passed.count - self.passed.shown.len() as u64;
        let passed = self
            .passed
            .shown
            .iter()
            .map(|f| format!("FOREIGN {f}"))
            .chain((more > 0).then(|| {
                format!(
                    "FOREIGN {more} more such message(s) on the application's subject, after \
                     the first {} named",
                    self.passed.shown.len()
                )
            }));
        let lost = self.lost_end.iter().map(|l| {
            let several = l.lost.first != l.lost.last;
            format!("BROKEN {l}{}", self.whose(several))
        });
        broken
            .chain(missing)
            .chain(lost)
            .chain(garbled)
            .chain(index)
            .chain(heads)
            .chain(unreadable)
            .chain(inexact)
            .chain(backdated)
            .chain(passed)
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
        let mut s = match (&self.scope, self.events) {
            // Nothing of it was found, yet the log is not whole: what is missing may be it.
            (Some(app), 0) => format!("{verdict}: no event of application {app} in the log"),
            _ => format!(
                "{verdict}: {} in {} checked, {} broken link(s)",
                count(self.events, "event"),
                count(self.applications, "application"),
                self.broken.len()
            ),
        };
        if !self.missing.is_empty() {
            // Saturating: a position planted near the end of the range makes a gap of nearly
            // 2^64 positions, which is to be said, not to overflow.
            let removed: u64 = self
                .missing
                .iter()
                .map(Gap::events)
                .fold(0, u64::saturating_add);
            s.push_str(&format!(", {removed} removed event(s)"));
        }
        if let Some(l) = &self.lost_end {
            s.push_str(&format!(
                ", {} event(s) lost from the log's end",
                l.lost.events()
            ));
        }
        if !self.garbled.is_empty() {
            s.push_str(&format!(
                ", {} position(s) holding no event",
                self.garbled.len()
            ));
        }
        if !self.index.is_empty() {
            s.push_str(&format!(
                ", {} disagreement(s) of the log's index with its events",
                self.index.len()
            ));
        }
        if !self.heads.is_empty() {
            s.push_str(&format!(
                ", {} saved log head(s) not reproduced or not signed by the gateway",
                self.heads.len()
            ));
        }
        if self.heads_reproduced > 0 {
            s.push_str(&format!(
                ", {} saved log head(s) reproduced",
                self.heads_reproduced
            ));
        }
        if !self.unreadable.is_empty() {
            s.push_str(&format!(
                ", {} event(s) unreadable by this build",
                self.unreadable.len()
            ));
            if self.chain_intact() {
                let known = self.unreadable.iter().filter(|u| u.known.is_some()).count();
                s.push_str(&match (known, self.unreadable.len() - known) {
                    (0, _) => " (their chain is intact; a newer tongban reads them)".to_string(),
                    (_, 0) => " (their chain is intact, but their stored bytes do not read as \
                               the schema version they name, which this build knows: rewritten \
                               after sealing)"
                        .to_string(),
                    (k, n) => format!(
                        " (their chain is intact; {k} do not read as the schema version they \
                         name, which this build knows: rewritten after sealing; {n} of a type or \
                         version a newer tongban reads)"
                    ),
                });
            }
        }
        if !self.inexact.is_empty() {
            s.push_str(&format!(
                ", {} event(s) holding an integer the signature does not bind exactly (INEXACT: \
                 written before requests were held to ±(2^53 − 1))",
                self.inexact.len()
            ));
        }
        if !self.backdated.is_empty() {
            let events: u64 = self.backdated.iter().map(|b| b.events).sum();
            s.push_str(&format!(
                ", {events} event(s) stamped more than a minute before an event the log holds \
                 before them (TIME: a gateway's clock behind, or an earlier event's ahead)"
            ));
        }
        if !self.passed.is_empty() {
            s.push_str(&format!(
                ", {} message(s) on its subject that are not its history, passed over (FOREIGN: \
                 published there by something other than a gateway)",
                self.passed.count
            ));
        }
        s
    }
}

/// At most this many runs of events stamped out of order are named one by one ([`Report`]'s
/// `backdated`), the rest counted.
const TIME_LINES: usize = 100;

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
                report.unreadable.push(Unreadable::of(e, position, &reason));
            }
            if let Some(pointer) = inexact_integer(&e.data, "/data") {
                report.inexact.push(Inexact {
                    app: e.app.clone(),
                    seq: e.seq,
                    position,
                    pointer,
                });
            }
        }
    }
}

/// Verifies one application's events as given (the log's order): each one `app`'s, chained,
/// sealed, signed under `key`, and readable as its type. A second event under the seal (seq and
/// hash) of another is left out of the chain, said as a copy or as rewritten ([`twins`]), as is
/// an event of another application.
pub fn verify_events(app: &str, events: &[Envelope], key: &PublicKey) -> Report {
    verify_placed(app, tongban_gateway::log::Placed::unplaced(events), key)
}

/// [`verify_events`] of events whose log positions are known (`placed`, as the gateway's
/// evidence page and `/replay` read them): each finding names its event's position, and a copy
/// the position of the one kept, as `tongban replay` and `dispute` name them offline (the
/// served pages' findings named none, a walkthrough found).
pub fn verify_placed(
    app: &str,
    placed: tongban_gateway::log::Placed<'_>,
    key: &PublicKey,
) -> Report {
    let events = placed.events;
    let mut report = Report {
        applications: u64::from(!events.is_empty()),
        scope: Some(app.to_string()),
        events: events.len() as u64,
        ..Report::default()
    };
    // What keeps each event out of the chain, if anything: another application's, or a second
    // event under the seal of one of `app`'s ([`twins`]).
    let own: Vec<(usize, &Envelope)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.app == app)
        .collect();
    let own_events: Vec<&Envelope> = own.iter().map(|&(_, e)| e).collect();
    let mut twinned = twins(&own_events, key, |_| false).into_iter();
    let mut outside: Vec<Option<ChainError>> = Vec::with_capacity(events.len());
    let mut chained: Vec<&Envelope> = Vec::with_capacity(events.len());
    for e in events {
        if e.app != app {
            outside.push(Some(ChainError::WrongApp {
                expected: app.to_string(),
                found: e.app.clone(),
            }));
        } else if let Some(twin) = twinned.next().flatten() {
            outside.push(Some(
                twin.error(|k| own.get(k).and_then(|&(i, _)| placed.position(i))),
            ));
        } else {
            outside.push(None);
            chained.push(e);
        }
    }
    let mut links = link_stored(&chained, key).0.into_iter();
    for (i, (e, outside)) in events.iter().zip(outside).enumerate() {
        let linked = match outside {
            Some(error) => Err(error),
            None => links.next().unwrap_or(Ok(())),
        };
        check(&mut report, e, placed.position(i), linked);
    }
    report
}

/// One application's events and their verification, as `verify --app`, `replay` and `dispute`
/// read them. Where the log keeps an index (the embedded log), the application is read from the
/// events themselves, over the whole log ([`scan_app`]), never through the index: an event of it
/// the index does not name (a copy slipped in, its latest events hidden with the head moved back
/// to match) is found, every disagreement of the index is reported as broken, and so is every
/// position that holds no event or no readable one, which may have held one of its events: a
/// history cut short is never shown as the whole one, and the three commands give one verdict.
/// Else (JetStream) by the log's read of the application, which names what it passed over on
/// the application's subject ([`Report::passed`]); a copy of one of its events there is refused
/// by that read, and the whole log is read as the embedded log's is: the copy is a break.
///
/// Besides the events, where each is in the log (the index's scan and the stream's read both
/// know it: `positions[i]` is `events[i]`'s), which `replay` and `dispute` show beside it.
pub async fn read_app<L: EventLog>(
    log: &L,
    app: &str,
    key: &PublicKey,
) -> Result<AppRead, LogError> {
    if log.index().is_some() {
        return scan_app(log, app, key).await;
    }
    match log.read_with_passed(app).await {
        Ok((read, passed)) => {
            let (events, positions): (Vec<Envelope>, Vec<u64>) =
                read.into_iter().map(|p| (p.event, p.position)).unzip();
            let mut report = verify_events(app, &events, key);
            report.passed = passed;
            Ok((events, positions, report))
        }
        // A stream whose messages of the application do not follow each other (a copy, one
        // removed, two swapped): its own read refuses them, and the dispute needs them most
        // then. Read as the whole-log check reads, every message in order, and checked so.
        Err(LogError::Corrupt { .. }) => scan_app(log, app, key).await,
        Err(e) => Err(e),
    }
}

/// `verify --app`: [`read_app`]'s verification.
pub async fn verify_app<L: EventLog>(
    log: &L,
    app: &str,
    key: &PublicKey,
) -> Result<Report, LogError> {
    Ok(read_app(log, app, key).await?.2)
}

/// One application's events, where each is in the log (`positions[i]` is `events[i]`'s), and
/// their verification ([`read_app`]).
pub type AppRead = (Vec<Envelope>, Vec<u64>, Report);

/// The events of `app` found by reading the whole log, in position order, verified as one chain
/// and against the log's index: what an application's history is by the signed events alone,
/// whatever the index says. Positions that hold no event, or no readable one, are reported too:
/// whose they were the log cannot tell, and they may have been `app`'s.
pub async fn scan_app<L: EventLog>(
    log: &L,
    app: &str,
    key: &PublicKey,
) -> Result<AppRead, LogError> {
    let scan = Scan::new(log, key, Some(app)).run(log, |_, _| {}).await?;
    let mut report = scan.report;
    report.applications = u64::from(report.events > 0);
    report.scope = Some(app.to_string());
    Ok((scan.kept, scan.kept_at, report))
}

/// What is remembered of an application's last event while streaming.
struct Tail {
    seq: u64,
    hash: String,
    /// Whether the index's head for the application was seen.
    headed: bool,
}

/// Verifies the whole log, streaming; `progress(events checked, log head)` after each batch.
/// Besides every chain, the log's positions must run from 1 to its head without a gap (both
/// backends number them so: a JetStream stream that refuses deletes, the embedded log one by
/// one), so an event removed from the middle of the log is found even where it was the last of
/// its application. (A JetStream reader passes over the messages its server lists as removed,
/// so they arrive here as gaps too.) Where the log keeps an index, every event must be where it
/// places it, and every entry and head must agree with the events.
pub async fn verify_all<L: EventLog>(
    log: &L,
    key: &PublicKey,
    progress: impl FnMut(u64, u64),
) -> Result<Report, LogError> {
    verify_all_with_heads(log, key, None, progress).await
}

/// [`verify_all`], also comparing each of `heads` (saved log heads) with the running hash over
/// the log as it is read ([`crate::heads`]).
pub async fn verify_all_with_heads<L: EventLog>(
    log: &L,
    key: &PublicKey,
    heads: Option<crate::heads::SavedHeads>,
    progress: impl FnMut(u64, u64),
) -> Result<Report, LogError> {
    let mut scan = Scan::new(log, key, None);
    scan.heads = heads;
    let mut report = scan.run(log, progress).await?.report;
    rejudge_gapped(log, key, &mut report).await?;
    Ok(report)
}

/// At most this many applications with gaps are read again by [`rejudge_gapped`]: a log
/// tampered throughout is reported as the first pass found it beyond them.
const REJUDGED_AT_MOST: usize = 1_000;

/// The applications the first pass found with gaps, read again. The whole-log check remembers
/// each application's last event only, so events stored in each other's places read there as
/// gaps around them ("seq 4 follows seq 2", "seq 3 follows seq 4", …), as if events were missing, and so does an event stored again under a seq its
/// application already holds: a copy ("seq 4 follows seq 4"), or another content under its
/// seal, whose hash no longer recomputes (an auditor's walkthrough was told a seq was out of
/// order where `verify --app` said the content was changed). The applications with such gaps are
/// read again, their events together, and where that judgement ([`judge_stored`]: each event
/// under the seal of another said as a copy or as rewritten, the rest linked in seq order)
/// finds no seq missing, its findings are the ones `verify --app` gives: the events out of
/// their place, the copies and the rewritten events, each named so. Where a seq is missing
/// there too, the break stands as found. A second read of the log, made only when the first
/// found gaps.
async fn rejudge_gapped<L: EventLog>(
    log: &L,
    key: &PublicKey,
    report: &mut Report,
) -> Result<(), LogError> {
    let mut gapped: Vec<&str> = report
        .broken
        .iter()
        .filter(|b| matches!(b.error, ChainError::SeqGap { .. }))
        .map(|b| b.app.as_str())
        .collect();
    gapped.sort_unstable();
    gapped.dedup();
    gapped.truncate(REJUDGED_AT_MOST);
    if gapped.is_empty() {
        return Ok(());
    }
    let mut kept: HashMap<String, Vec<tongban_gateway::log::Positioned>> = HashMap::new();
    for p in tongban_gateway::log::read_whole(log, |app| gapped.binary_search(&app).is_ok()).await?
    {
        kept.entry(p.event.app.clone()).or_default().push(p);
    }
    for (app, events) in kept {
        let stored: Vec<(u64, &Envelope)> = events.iter().map(|p| (p.position, &p.event)).collect();
        let judged = judge_stored(&stored, key);
        if judged
            .iter()
            .any(|l| matches!(l, Err(ChainError::SeqGap { .. })))
        {
            continue;
        }
        // Events found broken before and sound now were never checked for being readable.
        let before: std::collections::HashSet<u64> = report
            .broken
            .iter()
            .filter(|b| b.app == app)
            .filter_map(|b| b.position)
            .collect();
        report.broken.retain(|b| b.app != app);
        for (p, linked) in events.iter().zip(judged) {
            if linked.is_err() || before.contains(&p.position) {
                check(report, &p.event, Some(p.position), linked);
            }
        }
    }
    Ok(())
}

/// One pass over the log in position order: the whole log, or one application's events in it.
struct Scan<'a> {
    key: &'a PublicKey,
    /// Only this application's events are checked (and kept).
    only: Option<&'a str>,
    index: Option<&'a dyn AppIndex>,
    report: Report,
    tails: HashMap<String, Tail>,
    /// The next position to read.
    from: u64,
    /// Set once the largest position there is was read: nothing follows it (an event planted
    /// there must not make the check wrap round and read the log again, for ever).
    ended: bool,
    /// Events found where the index places them.
    indexed: u64,
    /// The application's events, when only one is checked.
    kept: Vec<Envelope>,
    /// Where each of `kept` was read.
    kept_at: Vec<u64>,
    /// Saved log heads to compare with the running hash over the whole log.
    heads: Option<crate::heads::SavedHeads>,
    /// Event times against the log's order (whole log only).
    clock: crate::clock::ClockCheck,
}

impl<'a> Scan<'a> {
    fn new<L: EventLog>(log: &'a L, key: &'a PublicKey, only: Option<&'a str>) -> Scan<'a> {
        Scan {
            key,
            only,
            index: log.index(),
            report: Report::default(),
            tails: HashMap::new(),
            from: 1,
            ended: false,
            indexed: 0,
            kept: Vec::new(),
            kept_at: Vec::new(),
            heads: None,
            clock: crate::clock::ClockCheck::default(),
        }
    }

    async fn run<L: EventLog>(
        mut self,
        log: &L,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<Scan<'a>, LogError> {
        let head = *log.head().borrow();
        while !self.ended {
            let batch = log.entries(self.from, 4096).await?;
            if batch.is_empty() {
                break;
            }
            // A position whose bytes are not an event is reported, and the check goes on after
            // it, so one damaged record neither stops the check nor hides the rest of the log.
            // The saved heads took its bytes' digest there, as the gateway's head does.
            for run in Run::all(batch) {
                match run {
                    Run::Events(events) => self.take(events)?,
                    Run::Unreadable(u) => {
                        self.gap(u.position);
                        if self.only.is_none()
                            && let Some(heads) = &mut self.heads
                        {
                            heads.take(u.position, &u.digest);
                        }
                        self.report.garbled.push(Garbled {
                            position: u.position,
                            reason: u.reason,
                        });
                        self.move_past(u.position);
                    }
                }
            }
            progress(self.report.events, head);
        }
        // The head said events were there when the check began: positions up to it that none
        // was read at were removed too.
        // After the largest position there is, nothing can be missing past it (and `from` was
        // left where it was).
        if !self.ended {
            self.gap(head.saturating_add(1));
        }
        if let Some(mut heads) = self.heads.take() {
            heads.end();
            self.report.heads = heads.findings;
            self.report.heads_reproduced = heads.reproduced;
        }
        self.report.backdated = std::mem::take(&mut self.clock).finish();
        self.check_kept()?;
        self.check_index()?;
        Ok(self)
    }

    /// Positions from the next one to read up to `next` (exclusive) hold no event: removed. Also
    /// when one application is checked: whose they were the log cannot tell.
    fn gap(&mut self, next: u64) {
        if next > self.from {
            self.report.missing.push(Gap {
                first: self.from,
                last: next - 1,
            });
        }
    }

    /// The next read starts after `position`; after the largest there is, there is none.
    fn move_past(&mut self, position: u64) {
        match position.checked_add(1) {
            Some(next) => self.from = next,
            None => self.ended = true,
        }
    }

    /// Checks a run of the log, each event against its application's last one so far, and
    /// against the index; moves past it, a skipped position counted as removed. One application
    /// checked alone has its events kept and checked once all are read ([`Scan::check_kept`]).
    fn take(&mut self, run: Vec<tongban_gateway::log::Positioned>) -> Result<(), LogError> {
        for p in run {
            self.gap(p.position);
            self.move_past(p.position);
            let e = p.event;
            match self.only {
                Some(app) if app != e.app => {}
                Some(_) => {
                    self.report.events += 1;
                    self.kept.push(e);
                    self.kept_at.push(p.position);
                }
                None => {
                    self.report.events += 1;
                    if let Some(heads) = &mut self.heads {
                        heads.take(p.position, &e.hash);
                    }
                    self.link(&e, p.position)?;
                }
            }
        }
        Ok(())
    }

    /// Checks `e`, read at `position`, against its application's last event so far and against
    /// the index, and makes it that application's last.
    fn link(&mut self, e: &Envelope, position: u64) -> Result<(), LogError> {
        let previous = self.tails.get(&e.app).map(|t| (t.seq, t.hash.as_str()));
        if previous.is_none() {
            self.report.applications += 1;
        }
        let linked = e.verify_after(previous, self.key);
        if linked.is_ok() {
            self.clock.take(position, e);
        }
        self.record(e, position, linked)?;
        self.tails.insert(
            e.app.clone(),
            Tail {
                seq: e.seq,
                hash: e.hash.clone(),
                headed: false,
            },
        );
        Ok(())
    }

    /// Records how `e`, read at `position`, links, and checks it against the index.
    fn record(
        &mut self,
        e: &Envelope,
        position: u64,
        linked: Result<(), ChainError>,
    ) -> Result<(), LogError> {
        let report = &mut self.report;
        check(report, e, Some(position), linked);
        if let Some(index) = self.index {
            match index.position(&e.app, e.seq)? {
                Some(q) if q == position => self.indexed += 1,
                indexed => report.index.push(IndexFinding::Unindexed {
                    app: e.app.clone(),
                    seq: e.seq,
                    position,
                    indexed,
                }),
            }
        }
        Ok(())
    }

    /// The events of the one application checked alone, in the order of their positions: each
    /// stored under the seal (seq and hash) of another is said as a copy, or as rewritten, and
    /// left out of the chain ([`twins`]), so that the genuine events around it are not reported
    /// as out of order. Of such events, the one whose seal holds where the index places the
    /// event (where the log keeps one) is the genuine one, else the first whose seal holds. (The whole-log check remembers each application's last event only; there
    /// a copy is reported as a break of the chain.)
    fn check_kept(&mut self) -> Result<(), LogError> {
        let kept = std::mem::take(&mut self.kept);
        let at = std::mem::take(&mut self.kept_at);
        // Where the index places each event (where the log keeps one): of events stored under
        // one seal, the one there is the genuine one.
        let mut indexed: Vec<bool> = Vec::with_capacity(kept.len());
        for (e, position) in kept.iter().zip(&at) {
            indexed.push(match self.index {
                Some(index) => index.position(&e.app, e.seq)? == Some(*position),
                None => false,
            });
        }
        let refs: Vec<&Envelope> = kept.iter().collect();
        let outside = twins(&refs, self.key, |i| {
            indexed.get(i).copied().unwrap_or(false)
        });
        let chained: Vec<&Envelope> = refs
            .iter()
            .zip(&outside)
            .filter(|(_, out)| out.is_none())
            .map(|(&e, _)| e)
            .collect();
        let (links, end) = link_stored(&chained, self.key);
        let end = end
            .and_then(|i| chained.get(i))
            .map(|e| (e.app.clone(), e.seq, e.hash.clone()));
        let mut links = links.into_iter();
        for ((e, &position), out) in kept.iter().zip(&at).zip(outside) {
            let linked = match out {
                Some(twin) => {
                    let found = twin.error(|k| at.get(k).copied());
                    check(&mut self.report, e, Some(position), Err(found));
                    continue;
                }
                None => links.next().unwrap_or(Ok(())),
            };
            self.record(e, position, linked)?;
        }
        if let Some((app, seq, hash)) = end {
            self.report.applications += 1;
            self.tails.insert(
                app,
                Tail {
                    seq,
                    hash,
                    headed: false,
                },
            );
        }
        self.kept = kept;
        self.kept_at = at;
        Ok(())
    }

    /// After the events: the index's entries that point at no such event, and its heads
    /// against each application's last event.
    fn check_index(&mut self) -> Result<(), LogError> {
        let Some(index) = self.index else {
            return Ok(());
        };
        let report = &mut self.report;
        // Every event found where the index places it accounts for one entry; only when there
        // are more entries is each read.
        if index.entries(self.only)? != self.indexed {
            for stray in index.strays(self.only)? {
                // An event found elsewhere than its entry already says where the entry points.
                let said = report.index.iter().any(|f| {
                    matches!(f, IndexFinding::Unindexed { app, seq, indexed, .. }
                        if *app == stray.app && *seq == stray.seq && *indexed == Some(stray.position))
                });
                if !said {
                    report.index.push(IndexFinding::Stray(stray));
                }
            }
        }
        let tails = &mut self.tails;
        let mut heads = Vec::new();
        index.for_each_head(self.only, &mut |app, head| match tails.get_mut(app) {
            Some(t) => {
                t.headed = true;
                if head != Head::Seq(t.seq) {
                    heads.push((app.to_string(), Some(head), t.seq));
                }
            }
            None => heads.push((app.to_string(), Some(head), 0)),
        })?;
        for (app, t) in tails.iter() {
            if !t.headed {
                heads.push((app.clone(), None, t.seq));
            }
        }
        heads.sort_by(|a, b| (&a.0, a.2).cmp(&(&b.0, b.2)));
        report.index.extend(
            heads
                .into_iter()
                .map(|(app, head, last)| IndexFinding::Head { app, head, last }),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::collections::BTreeMap;
    use tongban_gateway::envelope::{Content, GatewayKey};
    use tongban_gateway::log::Positioned;
    use tongban_gateway::log::index::Holds;

    fn key() -> GatewayKey {
        GatewayKey::from_seed([3; 32])
    }

    /// A first event of `app`, sealed and signed over `data` as a forwarding.
    fn forwarded(app: &str, data: Value) -> Envelope {
        Envelope::sealed_after(None, app, content(data), &key())
    }

    fn content(data: Value) -> Content {
        Content {
            kind: "application.forwarded".into(),
            schema: "application.forwarded/1".into(),
            region: "440000".into(),
            actor: "440000/t".into(),
            at: "2026-11-02T01:00:00Z".into(),
            data,
        }
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

    /// Given an intact application whose read passed over more messages on its subject than are
    /// named one by one, then the verdict is its history's (intact), the first line counts them
    /// all, and the findings name the first 100 and count the rest.
    #[test]
    fn messages_passed_over_are_named_and_counted_without_breaking_the_chain() {
        use tongban_gateway::log::foreign::{Foreign, Passed, What};
        let e = forwarded("app-a", json!({"materials_checked": true}));
        let mut r = verify_events("app-a", &[e], &key().public());
        let mut passed = Passed::default();
        for position in 2..=103 {
            let what = match position % 2 {
                0 => What::NotAnEvent,
                _ => What::OtherApplication("\"app-b\"".into()),
            };
            passed.take(Foreign { position, what });
        }
        r.passed = passed;
        assert_eq!(r.verdict(), Verdict::Intact);
        assert!(
            r.summary()
                .contains(", 102 message(s) on its subject that are not its history"),
            "{}",
            r.summary()
        );
        let findings = r.findings();
        assert_eq!(findings.len(), 101, "{findings:?}");
        assert!(
            findings[0].starts_with("FOREIGN log position 2 holds bytes that are not an event"),
            "{}",
            findings[0]
        );
        assert!(
            findings[1]
                .starts_with("FOREIGN log position 3 holds an event of application \"app-b\""),
            "{}",
            findings[1]
        );
        assert_eq!(
            findings[100],
            "FOREIGN 2 more such message(s) on the application's subject, after the first 100 named"
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

    /// Given an event sealed before requests were held to ±(2^53 − 1), whose supplied material's
    /// size is 2^60 + 1, when it is verified, then its chain is intact (2^60 + 23, which rounds
    /// alike, verifies the same) and the report says the signature does not bind that value
    /// exactly, at its pointer, without turning the verdict broken. (A leftover of round 33:
    /// neither verifier said so.)
    #[test]
    fn an_integer_beyond_two_to_the_53_is_said_to_be_bound_inexactly() {
        let material = |size: u64| json!({"materials": [{"name": "照片", "kind": "photo", "sha256": "a".repeat(64), "size": size}]});
        let mut c = content(material((1 << 60) + 1));
        (c.kind, c.schema) = (
            "application.supplemented".into(),
            "application.supplemented/1".into(),
        );
        let mut sealed = Envelope::sealed_after(None, "app-a", c, &key());
        sealed.data = material((1 << 60) + 23);
        let r = verify_events("app-a", &[sealed], &key().public());
        assert_eq!(r.broken, vec![], "{r:?}");
        assert_eq!(r.verdict(), Verdict::Intact, "{r:?}");
        assert_eq!(r.inexact.len(), 1, "{r:?}");
        assert_eq!(r.inexact[0].pointer, "/data/materials/0/size");
        assert!(
            r.summary()
                .contains("1 event(s) holding an integer the signature does not bind exactly")
        );
        assert!(
            r.findings()[0].starts_with("INEXACT application app-a seq 1: /data/materials/0/size")
        );
        // Within the limit nothing is said.
        let exact = forwarded("app-b", json!({"materials_checked": true}));
        assert!(
            verify_events("app-b", &[exact], &key().public())
                .inexact
                .is_empty()
        );
    }

    /// Given no events, the report says nothing was checked rather than intact.
    #[test]
    fn nothing_checked_is_empty_not_intact() {
        let r = verify_events("app-a", &[], &key().public());
        assert_eq!(r.verdict(), Verdict::Empty);
        assert!(r.summary().starts_with("EMPTY:"), "{}", r.summary());
    }

    /// An index's entries: (app, seq) → position.
    type Entries = BTreeMap<(String, u64), u64>;

    /// A log of fixed positions, as a store from which some were removed.
    struct Fixed {
        events: Vec<tongban_gateway::log::Positioned>,
        head: tokio::sync::watch::Receiver<u64>,
        /// Positions whose bytes are no event: a read reaching one fails, as the embedded log's.
        garbled: Vec<u64>,
        /// An index by application, as the embedded log keeps: (app, seq) → position, and
        /// each application's head.
        index: Option<(Entries, BTreeMap<String, u64>)>,
        /// The application's read refuses messages that do not follow each other, as a
        /// stream's does.
        strict_read: bool,
    }

    impl AppIndex for Fixed {
        fn position(&self, app: &str, seq: u64) -> Result<Option<u64>, LogError> {
            let (entries, _) = self.index.as_ref().expect("an index");
            Ok(entries.get(&(app.to_string(), seq)).copied())
        }
        fn entries(&self, app: Option<&str>) -> Result<u64, LogError> {
            let (entries, _) = self.index.as_ref().expect("an index");
            Ok(entries
                .keys()
                .filter(|(a, _)| app.is_none_or(|app| app == a))
                .count() as u64)
        }
        fn strays(&self, app: Option<&str>) -> Result<Vec<Stray>, LogError> {
            let (entries, _) = self.index.as_ref().expect("an index");
            Ok(entries
                .iter()
                .filter(|((a, _), _)| app.is_none_or(|app| app == a))
                .filter_map(|((a, seq), &position)| {
                    let holds = match self.events.iter().find(|p| p.position == position) {
                        None => Holds::Nothing,
                        Some(p) if p.event.app == *a && p.event.seq == *seq => return None,
                        Some(p) => Holds::Event {
                            app: p.event.app.clone(),
                            seq: p.event.seq,
                        },
                    };
                    Some(Stray {
                        app: a.clone(),
                        seq: *seq,
                        position,
                        holds,
                    })
                })
                .collect())
        }
        fn for_each_head(
            &self,
            app: Option<&str>,
            each: &mut dyn FnMut(&str, Head),
        ) -> Result<(), LogError> {
            let (_, heads) = self.index.as_ref().expect("an index");
            for (a, &seq) in heads {
                if app.is_none_or(|app| app == a) {
                    each(a, Head::Seq(seq));
                }
            }
            Ok(())
        }
    }

    impl Fixed {
        /// `events` at `positions`, the head at `head`.
        fn new(events: &[Envelope], positions: &[u64], head: u64) -> Fixed {
            let (_tx, rx) = tokio::sync::watch::channel(head);
            Fixed {
                events: events
                    .iter()
                    .zip(positions)
                    .map(|(e, &position)| {
                        tongban_gateway::log::Positioned::read(position, e.clone())
                    })
                    .collect(),
                head: rx,
                garbled: Vec::new(),
                index: None,
                strict_read: false,
            }
        }

        /// With an index that agrees with the events.
        fn indexed(mut self) -> Fixed {
            let entries = self
                .events
                .iter()
                .map(|p| ((p.event.app.clone(), p.event.seq), p.position))
                .collect();
            let heads = self
                .events
                .iter()
                .map(|p| (p.event.app.clone(), p.event.seq))
                .collect();
            self.index = Some((entries, heads));
            self
        }

        fn index_entries(&mut self) -> &mut Entries {
            &mut self.index.as_mut().expect("an index").0
        }
    }

    impl EventLog for Fixed {
        async fn append(&self, _: Envelope, _: u64) -> Result<u64, LogError> {
            Err(LogError::Unavailable("read-only".into()))
        }
        async fn read(&self, app: &str) -> Result<Vec<Envelope>, LogError> {
            let read = self.read_with_passed(app).await?.0;
            Ok(read.into_iter().map(|p| p.event).collect())
        }
        async fn read_with_passed(
            &self,
            app: &str,
        ) -> Result<(Vec<Positioned>, tongban_gateway::log::foreign::Passed), LogError> {
            let events: Vec<Positioned> = self
                .events
                .iter()
                .filter(|p| p.event.app == app)
                .cloned()
                .collect();
            let follow = events.iter().zip(1..).all(|(p, seq)| p.event.seq == seq);
            match self.strict_read && !follow {
                true => Err(LogError::Corrupt {
                    position: 0,
                    reason: "event on an application's subject has another seq".into(),
                }),
                false => Ok((events, Default::default())),
            }
        }
        async fn entries(
            &self,
            from: u64,
            max: usize,
        ) -> Result<Vec<tongban_gateway::log::At>, LogError> {
            use tongban_gateway::log::{At, Unreadable};
            let mut all: Vec<At> = self
                .events
                .iter()
                .filter(|p| p.position >= from)
                .cloned()
                .map(At::Event)
                .chain(self.garbled.iter().filter(|&&g| g >= from).map(|&g| {
                    At::Unreadable(Unreadable::of(
                        g,
                        b"garbled",
                        "expected value at line 1 column 1".into(),
                    ))
                }))
                .collect();
            all.sort_by_key(At::position);
            all.truncate(max);
            Ok(all)
        }
        async fn read_at(&self, _: &[u64]) -> Result<Vec<tongban_gateway::log::At>, LogError> {
            Err(LogError::Unavailable("not needed".into()))
        }
        fn head(&self) -> tokio::sync::watch::Receiver<u64> {
            self.head.clone()
        }
        fn backend(&self) -> &'static str {
            "fixed"
        }
        fn index(&self) -> Option<&dyn AppIndex> {
            self.index.as_ref().map(|_| self as &dyn AppIndex)
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

    /// One application's chain of three events at positions 1-3, another's one event at 4.
    fn chain() -> Fixed {
        let k = key();
        let first = forwarded("app-a", json!({"materials_checked": true}));
        let more = || content(json!({"materials_checked": true}));
        let second = Envelope::sealed_after(Some(&first), "app-a", more(), &k);
        let third = Envelope::sealed_after(Some(&second), "app-a", more(), &k);
        let other = forwarded("app-b", json!({"materials_checked": true}));
        Fixed::new(&[first, second, third, other], &[1, 2, 3, 4], 4).indexed()
    }

    fn scan(log: &Fixed) -> (Vec<Envelope>, Report) {
        let (events, _, report) = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(scan_app(log, "app-a", &key().public()))
            .expect("scanned");
        (events, report)
    }

    /// Given a log whose index agrees with its events, when it is verified whole and by
    /// application, then both are intact and the scan finds the application's events alone.
    #[test]
    fn an_index_that_agrees_is_intact() {
        let log = chain();
        assert_eq!(verify_fixed(&log).verdict(), Verdict::Intact);
        let (events, r) = scan(&log);
        assert_eq!(r.verdict(), Verdict::Intact, "{r:?}");
        assert_eq!((r.events, r.applications), (3, 1));
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    }

    /// Given an index entry pointed at the application's previous event (the chain itself
    /// intact), when the log is verified, then the whole-log and the per-application checks both
    /// name it once, as broken.
    #[test]
    fn an_entry_pointing_at_another_event_is_broken() {
        let mut log = chain();
        log.index_entries().insert(("app-a".into(), 3), 2);
        let whole = verify_fixed(&log);
        let (_, one) = scan(&log);
        for r in [&whole, &one] {
            assert_eq!(r.broken, vec![]);
            assert_eq!(r.verdict(), Verdict::Broken);
            assert_eq!(
                r.findings(),
                vec![
                    "BROKEN application app-a seq 3 (log position 3): the log's index places \
                     this seq at log position 2 instead"
                ]
            );
            assert!(
                r.summary()
                    .ends_with(", 1 disagreement(s) of the log's index with its events"),
                "{}",
                r.summary()
            );
        }
    }

    /// Given an event planted at the largest position there is (no index entry), when the log
    /// is verified whole, then the check ends (it does not wrap round and read the log again
    /// for ever) and names the event the index does not have.
    #[test]
    fn an_event_planted_at_the_last_position_ends_the_check_and_is_named() {
        let mut log = chain();
        log.events.push(tongban_gateway::log::Positioned::read(
            u64::MAX,
            forwarded("app-c", json!({"materials_checked": true})),
        ));
        let (_tx, head) = tokio::sync::watch::channel(u64::MAX);
        log.head = head;
        let r = verify_fixed(&log);
        assert_eq!(r.events, 5, "{r:?}");
        // The positions between the log's end and the planted one, said once, and summed
        // without overflowing.
        assert_eq!(
            r.missing,
            vec![Gap {
                first: 5,
                last: u64::MAX - 1
            }],
            "{r:?}"
        );
        assert!(
            r.summary()
                .contains(&format!("{} removed event(s)", u64::MAX - 5)),
            "{}",
            r.summary()
        );
        assert!(
            r.index.iter().any(|f| matches!(f,
                IndexFinding::Unindexed { app, position, indexed: None, .. }
                    if app == "app-c" && *position == u64::MAX)),
            "{r:?}"
        );
        assert_ne!(r.verdict(), Verdict::Intact);
    }

    /// Given two events of two applications stored in each other's places (no chain shows it:
    /// each application's events are in seq order), when the log is verified, then each index
    /// finding says that the two were stored in each other's places, naming the other position.
    #[test]
    fn two_events_of_two_applications_in_each_others_places_are_said_swapped() {
        let mut log = chain();
        for p in &mut log.events {
            p.position = match p.position {
                3 => 4,
                4 => 3,
                other => other,
            };
        }
        log.events.sort_by_key(|p| p.position);
        let r = verify_fixed(&log);
        let findings = r.findings();
        for (app, seq, at, there) in [("app-b", 1, 3, 4), ("app-a", 3, 4, 3)] {
            let said = format!(
                "BROKEN application {app} seq {seq} (log position {at}): the log's index places \
                 this seq at log position {there} instead, and the event at log position {there} \
                 is the one the index places here: the two were stored in each other's places"
            );
            assert!(findings.contains(&said), "{said}\n{findings:#?}");
        }
        // An event the index places elsewhere with nothing stored in its own place is said alone.
        let mut log = chain();
        log.events.retain(|p| p.position != 3);
        log.events.push(tongban_gateway::log::Positioned::read(
            5,
            chain().events[2].event.clone(),
        ));
        let findings = verify_fixed(&log).findings();
        assert!(
            findings
                .iter()
                .any(|f| f.ends_with("places this seq at log position 3 instead")),
            "{findings:#?}"
        );
        assert!(
            !findings.iter().any(|f| f.contains("each other's places")),
            "{findings:#?}"
        );
    }

    /// Given an index entry left behind for an event that was removed, and a head that names a
    /// seq the application does not have, when the log is verified, then each is named.
    #[test]
    fn an_entry_at_an_empty_position_and_a_wrong_head_are_broken() {
        let mut log = chain();
        log.events.retain(|p| p.position != 3);
        log.events.push(tongban_gateway::log::Positioned::read(
            5,
            log.events[0].event.clone(),
        ));
        log.index_entries().remove(&("app-a".into(), 1));
        let (_, r) = scan(&log);
        assert_eq!(
            r.index,
            vec![
                IndexFinding::Unindexed {
                    app: "app-a".into(),
                    seq: 1,
                    position: 1,
                    indexed: None
                },
                IndexFinding::Stray(Stray {
                    app: "app-a".into(),
                    seq: 3,
                    position: 3,
                    holds: Holds::Nothing
                }),
                IndexFinding::Head {
                    app: "app-a".into(),
                    head: Some(Head::Seq(3)),
                    last: 2
                },
            ],
            "{r:?}"
        );
        let findings = r.findings();
        assert!(
            findings.contains(
                &"BROKEN the log's index places application app-a seq 3 at log \
                 position 3, which holds no event"
                    .to_string()
            ) && findings.contains(
                &"BROKEN the log's index gives application app-a seq 3 as its last; its \
                      last event in the log is seq 2"
                    .to_string()
            ),
            "{findings:?}"
        );
        // The copy at position 5 repeats seq 1: said as a copy of the event at position 1.
        assert_eq!(r.broken.len(), 1, "{r:?}");
        assert_eq!(r.broken[0].error, ChainError::Copy { of: Some(1) });
    }

    /// Given an application's three events with a byte-identical copy of its seq 3 stored before
    /// its seq 2 (positions 1, 3, 4 genuine, the index pointing at them; the copy at 2), when
    /// the application is checked alone, then the copy is the one finding, naming where the
    /// genuine event is, and no genuine event is blamed; with the copy after them instead, the
    /// later one is the copy. (It reported "seq 3 follows seq 1" and "seq 2 follows seq 3".)
    #[test]
    fn an_extra_copy_of_an_event_is_said_as_a_copy_not_blamed_on_its_neighbours() {
        let genuine = chain();
        let events: Vec<Envelope> = genuine.events.iter().map(|p| p.event.clone()).collect();
        let (a1, a2, a3) = (&events[0], &events[1], &events[2]);
        let mut log = Fixed::new(
            &[a1.clone(), a3.clone(), a2.clone(), a3.clone()],
            &[1, 2, 3, 4],
            4,
        )
        .indexed();
        log.index_entries().insert(("app-a".into(), 2), 3);
        log.index_entries().insert(("app-a".into(), 3), 4);
        let (kept, r) = scan(&log);
        assert_eq!(kept.len(), 4);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN application app-a seq 3 (log position 2): a second copy of this event \
                 (the same seq and hash), the one kept at log position 4: left out of the chain"
            ],
            "{r:?}"
        );
        assert_eq!(r.verdict(), Verdict::Broken);

        let log = Fixed::new(
            &[a1.clone(), a2.clone(), a3.clone(), a2.clone()],
            &[1, 2, 3, 4],
            4,
        )
        .indexed();
        let mut log = log;
        log.index_entries().insert(("app-a".into(), 2), 2);
        if let Some((_, heads)) = log.index.as_mut() {
            heads.insert("app-a".into(), 3);
        }
        let (_, r) = scan(&log);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN application app-a seq 2 (log position 4): a second copy of this event \
                 (the same seq and hash), the one kept at log position 2: left out of the chain"
            ],
            "{r:?}"
        );
    }

    /// Given a log without an index (a stream) whose read of an application refuses its
    /// messages because a copy of seq 2 follows seq 3, when the application is read for
    /// `verify --app`, `replay` or `dispute`, then it is read over the whole log instead, the
    /// copy said as such, and its events kept: the dispute is not refused.
    #[test]
    fn a_stream_whose_read_refuses_an_application_is_scanned_instead() {
        let genuine = chain();
        let events: Vec<Envelope> = genuine.events.iter().map(|p| p.event.clone()).collect();
        let mut log = Fixed::new(
            &[
                events[0].clone(),
                events[1].clone(),
                events[2].clone(),
                events[1].clone(),
            ],
            &[1, 2, 3, 4],
            4,
        );
        log.strict_read = true;
        let (kept, positions, r) = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(read_app(&log, "app-a", &key().public()))
            .expect("read");
        assert_eq!(kept.len(), 4);
        // Each at its own position, the copy too: that is where an auditor finds it.
        assert_eq!(positions, [1, 2, 3, 4]);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN application app-a seq 2 (log position 4): a second copy of this event \
                 (the same seq and hash), the one kept at log position 2: left out of the chain"
            ],
            "{r:?}"
        );
    }

    /// A chain of `n` events of app-a.
    fn chain_of(n: usize) -> Vec<Envelope> {
        let k = key();
        let mut events: Vec<Envelope> =
            vec![forwarded("app-a", json!({"materials_checked": true}))];
        while events.len() < n {
            let more = content(json!({"materials_checked": true}));
            let next = Envelope::sealed_after(events.last(), "app-a", more, &k);
            events.push(next);
        }
        events
    }

    /// Given an application whose events 3 and 4 are stored in each other's places, when it is
    /// verified (as the evidence page and `replay` do, in the order given, and as `verify --app`
    /// does on a stream, by scanning the log), then one event is said to be out of its place,
    /// with what it is stored after, and none is said to be missing: checked one after the
    /// other they were three gaps "with events missing".
    #[test]
    fn two_events_in_each_others_places_are_said_out_of_place_not_missing() {
        let events = chain_of(5);
        let stored: Vec<Envelope> = [0, 1, 3, 2, 4].iter().map(|&i| events[i].clone()).collect();
        let r = verify_events("app-a", &stored, &key().public());
        assert_eq!(r.verdict(), Verdict::Broken);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN application app-a seq 4: stored between seq 2 and seq 3, out of its place \
                 in seq order (none of the application's events is missing and their chain is intact \
                 in seq order; the log's order of them was changed)"
            ],
            "{r:?}"
        );

        let mut log = Fixed::new(&stored, &[1, 2, 3, 4, 5], 5);
        log.strict_read = true;
        let (kept, _, r) = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(read_app(&log, "app-a", &key().public()))
            .expect("read");
        assert_eq!(kept.len(), 5);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN application app-a seq 4 (log position 3): stored between seq 2 and seq 3, \
                 out of its place in seq order (none of the application's events is missing and their chain \
                 is intact in seq order; the log's order of them was changed)"
            ],
            "{r:?}"
        );
    }

    /// Given a log holding an application's seq 3 and 4 in each other's places, when the whole
    /// log is verified, then it says one event out of its place, as `verify --app` does, not
    /// three gaps; another application's gap stands as a gap.
    #[test]
    fn the_whole_log_check_says_a_swap_as_verify_app_does() {
        let events = chain_of(5);
        let mut stored: Vec<Envelope> =
            [0, 1, 3, 2, 4].iter().map(|&i| events[i].clone()).collect();
        let other = forwarded("app-b", json!({"materials_checked": true}));
        let more = content(json!({"materials_checked": true}));
        let second = Envelope::sealed_after(Some(&other), "app-b", more.clone(), &key());
        let third = Envelope::sealed_after(Some(&second), "app-b", more, &key());
        stored.extend([other, third]);
        let log = Fixed::new(&stored, &[1, 2, 3, 4, 5, 6, 7], 7);
        let r = verify_fixed(&log);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN application app-b seq 3 (log position 7): seq 3 follows seq 1; expected 2",
                "BROKEN application app-a seq 4 (log position 3): stored between seq 2 and seq 3, \
                 out of its place in seq order (none of the application's events is missing and \
                 their chain is intact in seq order; the log's order of them was changed)",
            ],
            "{r:?}"
        );
    }

    /// Given a log holding, after an application's last event, that event again (a copy) or
    /// another content under its seq and hash (one character of its data changed, its seal
    /// kept), when the whole log is verified, then each is said as `verify --app` says it: a
    /// second copy naming the one kept, and a hash that does not recompute (content changed
    /// after it was sealed). (The whole-log check said "seq 3 follows seq 3; expected 4" of
    /// both, sending an auditor to look for events out of order.) A seq that is missing too
    /// stands as a gap.
    #[test]
    fn the_whole_log_check_says_a_copy_and_a_rewritten_copy_as_verify_app_does() {
        let events = chain_of(3);
        let mut rewritten = events[2].clone();
        rewritten.actor = "440000/someone-else".into();
        for (extra, said) in [
            (
                events[2].clone(),
                "BROKEN application app-a seq 3 (log position 4): a second copy of this event \
                 (the same seq and hash), the one kept at log position 3: left out of the chain"
                    .to_string(),
            ),
            (
                rewritten.clone(),
                format!(
                    "BROKEN application app-a seq 3 (log position 4): hash is {}, recomputed {}: its \
                     content was changed after it was sealed",
                    rewritten.hash,
                    match rewritten.seal_error(&key().public()) {
                        Some(ChainError::Hash { expected, .. }) => expected,
                        other => panic!("not a hash error: {other:?}"),
                    }
                ),
            ),
        ] {
            let mut stored = events.clone();
            stored.push(extra);
            let r = verify_fixed(&Fixed::new(&stored, &[1, 2, 3, 4], 4));
            assert_eq!(r.findings(), vec![said], "{r:?}");
        }
        // Seq 2 removed as well: the gap stands.
        let stored = [events[0].clone(), events[2].clone(), rewritten];
        let r = verify_fixed(&Fixed::new(&stored, &[1, 2, 3], 3));
        assert!(
            r.broken
                .iter()
                .any(|b| matches!(b.error, ChainError::SeqGap { .. })),
            "{r:?}"
        );
    }

    /// Given an application's first event moved to the end, or one event moved two places on,
    /// when verified, then only the moved event is out of place; given events stored out of
    /// order where one is also missing, or one of them altered, then they are breaks as before:
    /// "out of place" is said only of a whole chain intact in seq order.
    #[test]
    fn only_a_whole_intact_chain_stored_out_of_order_is_said_out_of_place() {
        let events = chain_of(5);
        let public = key().public();
        let order =
            |ix: &[usize]| -> Vec<Envelope> { ix.iter().map(|&i| events[i].clone()).collect() };
        let out_of_place = |r: &Report| -> Vec<(u64, Option<u64>, Option<u64>)> {
            r.broken
                .iter()
                .map(|b| match b.error {
                    ChainError::Displaced { after, before } => (b.seq, after, before),
                    ref other => panic!("not out of place: {other:?}"),
                })
                .collect()
        };
        let r = verify_events("app-a", &order(&[1, 2, 3, 4, 0]), &public);
        assert_eq!(out_of_place(&r), [(1, Some(5), None)], "{r:?}");
        let r = verify_events("app-a", &order(&[0, 2, 3, 1, 4]), &public);
        assert_eq!(out_of_place(&r), [(2, Some(4), Some(5))], "{r:?}");
        let r = verify_events("app-a", &order(&[4, 0, 1, 2, 3]), &public);
        assert_eq!(out_of_place(&r), [(5, None, Some(1))], "{r:?}");
        // In order: intact, nothing out of place.
        assert!(verify_events("app-a", &events, &public).chain_intact());

        // Seq 2 missing as well: gaps, as before.
        let r = verify_events("app-a", &order(&[0, 3, 2, 4]), &public);
        assert!(
            r.broken
                .iter()
                .all(|b| matches!(b.error, ChainError::SeqGap { .. })),
            "{r:?}"
        );
        // Seq 3 rewritten after sealing and stored out of place: not a whole intact chain.
        let mut altered = order(&[0, 1, 3, 2, 4]);
        altered[3].actor = "440000/someone-else".into();
        let r = verify_events("app-a", &altered, &public);
        assert_eq!(r.verdict(), Verdict::Broken);
        assert!(
            !r.broken
                .iter()
                .any(|b| matches!(b.error, ChainError::Displaced { .. })),
            "{r:?}"
        );
    }

    /// `chain()` with app-a's latest event (seq 3, log position 3) removed, its index entry
    /// removed and its head moved back to seq 2: an index that agrees with itself and with the
    /// events that are left.
    fn latest_removed() -> Fixed {
        let mut log = chain();
        log.events.retain(|p| p.position != 3);
        log.index_entries().remove(&("app-a".into(), 3));
        if let Some((_, heads)) = log.index.as_mut() {
            heads.insert("app-a".into(), 2);
        }
        log
    }

    /// Given a log from which an application's latest event was removed, with its index entry
    /// and head moved back to match, when that application is checked alone (verify --app,
    /// replay, dispute), then the empty position is broken there too, as in the whole-log check,
    /// saying that whose event it held the log cannot tell. (It said "intact: 2 events": the gap
    /// was left to the whole-log check, which an auditor of one application does not run.)
    #[test]
    fn an_application_checked_alone_reports_the_empty_positions_of_the_log() {
        let log = latest_removed();
        assert_eq!(verify_fixed(&log).missing, vec![Gap { first: 3, last: 3 }]);
        let (events, r) = scan(&log);
        assert_eq!(events.len(), 2);
        assert_eq!(r.index, vec![], "the index agrees with what is left: {r:?}");
        assert_eq!(r.missing, vec![Gap { first: 3, last: 3 }]);
        assert_eq!(r.verdict(), Verdict::Broken);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN log position 3 holds no event: removed from the log; whose event it \
                 held the log cannot tell: it may have been application app-a's"
            ]
        );
        assert!(
            r.summary().starts_with(
                "BROKEN: 2 events in 1 application checked, 0 broken link(s), 1 removed event(s)"
            ),
            "{}",
            r.summary()
        );
    }

    /// Given a log with an empty position, when an application with no event left in it is
    /// checked alone, then it is broken, saying no event of it is there and the positions it may
    /// have had, rather than only "no application".
    #[test]
    fn an_application_with_no_events_in_a_log_with_holes_is_broken_not_absent() {
        let log = latest_removed();
        let r = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(read_app(&log, "app-z", &key().public()))
            .expect("scanned")
            .2;
        assert_eq!(r.events, 0);
        assert_eq!(r.verdict(), Verdict::Broken);
        assert_eq!(
            r.summary(),
            "BROKEN: no event of application app-z in the log, 1 removed event(s)"
        );
        assert!(r.findings()[0].ends_with("it may have been application app-z's"));
    }

    /// Given a log whose position 2 holds bytes that are no event, when one application is
    /// checked alone, then that position is broken for it too (it was dropped: only the
    /// whole-log check reported it), and its events after it are still checked.
    #[test]
    fn an_application_checked_alone_reports_a_position_holding_no_event() {
        let mut log = chain();
        log.events.retain(|p| p.position != 4);
        log.events.push(tongban_gateway::log::Positioned::read(
            5,
            forwarded("app-b", json!({"materials_checked": true})),
        ));
        log.garbled = vec![4];
        let (events, r) = scan(&log);
        assert_eq!(events.len(), 3);
        assert_eq!(r.verdict(), Verdict::Broken);
        assert_eq!(
            r.findings(),
            vec![
                "BROKEN log position 4 holds bytes that are not an event: expected value at \
                 line 1 column 1; whose event it held the log cannot tell: it may have been \
                 application app-a's"
            ]
        );
    }

    /// Given projections applied up to position 39 and a log that ends at 37, when the loss is
    /// worked out, then positions 38-39 are named as lost, the report is broken and says so in
    /// its first line; projections at or before the log's end show nothing. (`verify --data`
    /// said "intact" after the log's last positions were cut, never looking at them.)
    #[test]
    fn projections_past_the_logs_end_name_the_positions_lost() {
        assert_eq!(LostEnd::of(37, 37, "d/projections"), None);
        assert_eq!(LostEnd::of(37, 12, "d/projections"), None);
        let lost = LostEnd::of(37, 39, "d/projections").expect("lost");
        assert_eq!(
            lost.lost,
            Gap {
                first: 38,
                last: 39
            }
        );
        assert_eq!(lost.positions(), "log positions 38-39");
        assert_eq!(
            LostEnd::of(37, 38, "d").map(|l| l.positions()),
            Some("log position 38".into())
        );
        let mut r = verify_fixed(&Fixed::new(&four(), &[1, 2, 3, 4], 4));
        assert_eq!(r.verdict(), Verdict::Intact);
        r.lost_end = Some(lost);
        assert_eq!(r.verdict(), Verdict::Broken);
        assert!(
            r.summary().starts_with("BROKEN: 4 events")
                && r.summary()
                    .ends_with(", 2 event(s) lost from the log's end"),
            "{}",
            r.summary()
        );
        assert!(
            r.findings()[0].starts_with(
                "BROKEN log positions 38-39 hold no event, yet the projections in d/projections \
                 were applied up to log position 39: the log lost its last 2 events ("
            ),
            "{:?}",
            r.findings()
        );
    }

    /// Given an intact log checked against a key the checker gave (`--public-key`) that did not
    /// sign it, and an event whose `sig` was rewritten in capitals, when the findings are said,
    /// then the first names "the given key" (not "the gateway key", which reads as the key the
    /// gateway holds), and the second a `sig` not in the contract's form, not a failed signature.
    #[test]
    fn a_failed_signature_names_the_given_key_and_a_malformed_sig_its_form() {
        let log = Fixed::new(&four(), &[1, 2, 3, 4], 4);
        let other = GatewayKey::from_seed([8; 32]).public();
        let mut r = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(verify_all(&log, &other, |_, _| {}))
            .expect("verified");
        assert!(r.findings()[0].ends_with("signature does not verify under the gateway key"));
        r.given_key = true;
        assert_eq!(
            r.findings()[0],
            "BROKEN application a seq 1 (log position 1): signature does not verify under the \
             given key"
        );
        let mut events = four();
        events[1].sig = events[1].sig.to_uppercase();
        let r = verify_fixed(&Fixed::new(&events, &[1, 2, 3, 4], 4));
        assert_eq!(r.broken.len(), 1, "{r:?}");
        assert!(
            r.findings()[0].starts_with(
                "BROKEN application b seq 1 (log position 2): sig is not 128 lowercase hex \
                 digits: character "
            ),
            "{:?}",
            r.findings()
        );
        assert!(!r.no_signature_verifies());
    }

    /// An `application.submitted/2` event sealed over `data`.
    fn submitted(data: Value) -> Envelope {
        let mut c = content(data);
        c.kind = "application.submitted".into();
        c.schema = "application.submitted/2".into();
        Envelope::sealed_after(None, "app-a", c, &key())
    }

    /// Given an event of a type and schema version this build registers whose integer was
    /// written as `1.0` (canonically the same number, so the hash still holds), when it is
    /// verified, then it is unreadable, said as stored bytes that do not read as that version,
    /// naming the field, and never as "a newer tongban reads them", which no newer build would.
    /// And given one of a schema version this build does not know, then the "newer tongban"
    /// wording stays.
    #[test]
    fn a_rewritten_number_in_a_known_version_is_not_left_to_a_newer_tongban() {
        let data = json!({
            "matter": "m", "matter_version": 1, "mode": "proxy", "origin": "440000",
            "handlers": ["110000"], "applicant": {}, "form": {}, "request_digest": "d"
        });
        let readable = submitted(data.clone());
        assert_eq!(
            verify_events("app-a", &[readable], &key().public()).verdict(),
            Verdict::Intact
        );
        let mut rewritten = submitted(data.clone());
        rewritten.data["matter_version"] = json!(1.0);
        // The canonical form, and so the hash, is the integer's.
        assert_eq!(rewritten.compute_hash(), rewritten.hash);
        let r = verify_events("app-a", &[rewritten], &key().public());
        assert_eq!(r.verdict(), Verdict::Unreadable, "{r:?}");
        assert_eq!(
            r.unreadable[0].known.as_deref(),
            Some("application.submitted/2")
        );
        assert_eq!(r.unreadable[0].field.as_deref(), Some("/matter_version"));
        let finding = &r.findings()[0];
        assert!(
            finding.starts_with(
                "UNREADABLE application app-a seq 1: its stored bytes do not read as \
                 application.submitted/2, which this build knows; /matter_version holds a whole \
                 number written as a fraction or an exponent where an integer is due"
            ),
            "{finding}"
        );
        assert!(!r.summary().contains("newer tongban"), "{}", r.summary());
        assert!(
            r.summary().contains("rewritten after sealing"),
            "{}",
            r.summary()
        );

        let mut c = content(json!({"materials_checked": true}));
        c.schema = "application.forwarded/9".into();
        c.data = json!({"materials_checked": "yes"});
        let newer = Envelope::sealed_after(None, "app-a", c, &key());
        let r = verify_events("app-a", &[newer], &key().public());
        assert_eq!(r.unreadable[0].known, None, "{r:?}");
        assert!(r.findings()[0].contains(": unreadable by this build: "));
        assert!(
            r.summary().contains("a newer tongban reads them"),
            "{}",
            r.summary()
        );
    }
}
