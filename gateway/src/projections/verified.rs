//! Verified heads: the gateway's signed word that it checked the seal of every event in a stretch
//! of the log, but those it names, so that a rebuild need not check each signature again.
//!
//! Why: since the projections refuse events whose seal does not hold ([`super::seals`]), a
//! rebuild checks an Ed25519 signature per event (about 45 µs of CPU each), four times the cost
//! of folding the event: a rebuild that had run at 88% of a raw read ran at 10–12%. But the
//! gateway that folded the log live had already checked every event it did not seal itself, and
//! it sealed the others. It says so every [`EVERY`] positions (or [`WITHIN`] an hour), in a line of
//! `verified-heads.jsonl` beside the projections ([`file_beside`]):
//!
//! ```text
//! {"from":0,"position":16402,"hash":"<running hash at 16402>","unverified":[812],"at":…,"kid":…,"sig":…}
//! ```
//!
//! signed by its key over `"tongban-verified-head-v1\n{from}\n{position}\n{hash}\n{unverified,
//! comma-separated}\n{at}"`: "the events after `from` up to `position` of the log whose running
//! hash at `position` is `hash` ([`crate::log::head_hash`]) were sealed here or verified, but
//! those at `unverified`". A rebuild ([`super::rebuild::fill`]) walks the running hash as it
//! reads; where it reaches a head's position with the head's hash, the log up to there is, hash
//! for hash, the one the gateway signed, and each event the head covers needs only its own hash
//! recomputed from its content (a SHA-256, which ties the content to the hash the running hash
//! commits to). The events a head names as unverified, the events no matching head covers, and
//! every event after a head that does not match (a log rewritten and sealed again, heads of
//! another log) are checked one by one, as before. So a rebuild folds exactly what it would fold
//! checking every signature.
//!
//! What a head does not vouch for: an event's `sig` as stored now (it is not part of the hash).
//! A genuine event whose signature was damaged after the head was signed is folded by such a
//! rebuild, as it was live; `tongban verify` and `GET /v1/applications/{id}/events` still name it.
//!
//! The file is the projections' helper, not evidence: a line that does not parse (a torn last
//! line) or does not verify under the checking key is skipped and counted, never trusted. The
//! key that signs heads is the one whose signatures they stand in for: whoever holds it could
//! seal any event anyway.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::envelope::{GatewayKey, PublicKey};
use crate::log::At;
use crate::log::head_hash::Running;

/// What a verified head's signed statement starts with: never read as a log head's
/// (`tongban-log-head-v1`) or an event's hash.
pub const DOMAIN: &str = "tongban-verified-head-v1";

/// Positions between two verified heads the live projector writes: a rebuild holds the events
/// read since the last head that matched until the next one does, so this bounds its memory
/// (about 16,000 events, a batch).
pub const EVERY: u64 = 16_384;

/// How long a stretch stays open at most before the live projector closes it with a head, however
/// few positions it spans.
pub const WITHIN: std::time::Duration = std::time::Duration::from_secs(3600);

/// The file's name, in the data directory beside the projections: it survives a rebuild, which
/// replaces the projections' directory.
pub const FILE: &str = "verified-heads.jsonl";

/// One line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifiedHead {
    /// The stretch starts after this position (0: the log's start).
    pub from: u64,
    /// The stretch ends at this position, an event's.
    pub position: u64,
    /// The log's running hash at `position` ([`crate::log::head_hash`]), lowercase hex.
    pub hash: String,
    /// The positions in the stretch whose seal did not hold when checked, in order.
    pub unverified: Vec<u64>,
    /// When the head was signed (RFC 3339, UTC).
    pub at: String,
    /// The signing key's id.
    pub kid: String,
    /// Ed25519 signature, lowercase hex, over [`statement`]'s bytes.
    pub sig: String,
}

/// The bytes a verified head's signature is over.
pub fn statement(from: u64, position: u64, hash: &str, unverified: &[u64], at: &str) -> String {
    let unverified: Vec<String> = unverified.iter().map(u64::to_string).collect();
    format!(
        "{DOMAIN}\n{from}\n{position}\n{hash}\n{}\n{at}",
        unverified.join(",")
    )
}

impl VerifiedHead {
    /// `key`'s word that the events after `from` up to `running`'s position were sealed here or
    /// verified, but `unverified`.
    pub fn sign(
        from: u64,
        running: &Running,
        unverified: Vec<u64>,
        at: &str,
        key: &GatewayKey,
    ) -> VerifiedHead {
        let sig = key.sign_bytes(
            statement(from, running.position, &running.hash, &unverified, at).as_bytes(),
        );
        VerifiedHead {
            from,
            position: running.position,
            hash: running.hash.clone(),
            unverified,
            at: at.to_string(),
            kid: key.public().kid(),
            sig,
        }
    }

    /// Whether `sig` is `key`'s signature over this head (lowercase hex only).
    pub fn verifies(&self, key: &PublicKey) -> bool {
        !self.sig.bytes().any(|b| b.is_ascii_uppercase())
            && self.from < self.position
            && key.verify_bytes(
                statement(
                    self.from,
                    self.position,
                    &self.hash,
                    &self.unverified,
                    &self.at,
                )
                .as_bytes(),
                &self.sig,
            )
    }
}

/// The file of verified heads for the projections in `projections`.
pub fn file_beside(projections: &Path) -> PathBuf {
    projections.with_file_name(FILE)
}

/// Appends `head` to the file at `path` as one line and makes it durable (the file's data, and
/// the directory's entry when the file is new).
pub fn append(path: &Path, head: &VerifiedHead) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(head).map_err(std::io::Error::other)?;
    line.push(b'\n');
    let new = !path.exists();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(&line)?;
    file.sync_data()?;
    if new && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Moves the lines of the heads file at `path` whose head stands past position `end` to a new
/// file `aside`, keeping the others in place (rewritten atomically); lines that do not parse
/// stay, as [`read`] refuses them anyway. Returns how many were moved. For a log that lost its
/// events after `end` for good (`tongban rebuild --accept-lost`): those heads vouch for events
/// it no longer holds; the ones within it still vouch for what it holds, and a rewrite of that
/// sealed again is what they catch.
pub fn set_aside_past(path: &Path, end: u64, aside: &Path) -> std::io::Result<usize> {
    #[derive(Deserialize)]
    struct Position {
        position: u64,
    }
    let text = std::fs::read(path)?;
    let (mut kept, mut past) = (Vec::new(), Vec::new());
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let out = match serde_json::from_slice::<Position>(line) {
            Ok(p) if p.position > end => &mut past,
            _ => &mut kept,
        };
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    if past.is_empty() {
        return Ok(0);
    }
    // The heads set aside are durable before the file loses them.
    crate::fsutil::write_atomically(aside, &past)?;
    crate::fsutil::write_atomically(path, &kept)?;
    Ok(past.iter().filter(|b| **b == b'\n').count())
}

/// The heads of a file that verify under the checking key, and how many lines were not taken.
#[derive(Debug, Default)]
pub struct Kept {
    pub heads: Vec<VerifiedHead>,
    /// Lines that do not parse (a torn last line) or do not verify under the key.
    pub refused: usize,
}

/// The heads in the file at `path` (none when there is no file) that verify under `key`.
pub fn read(path: &Path, key: &PublicKey) -> std::io::Result<Kept> {
    let text = match std::fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Kept::default()),
        Err(e) => return Err(e),
    };
    let mut kept = Kept::default();
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        match serde_json::from_slice::<VerifiedHead>(line) {
            Ok(head) if head.verifies(key) => kept.heads.push(head),
            _ => kept.refused += 1,
        }
    }
    Ok(kept)
}

/// The stretch of the log a writer of verified heads (the live projector, a rebuild) has folded
/// since its last head: where it starts and which of its events did not verify.
#[derive(Debug)]
pub struct Stretch {
    from: u64,
    unverified: BTreeSet<u64>,
    /// Whether any event of the stretch had its signature checked here (not only its hash
    /// under a head that matched): a stretch of nothing else is already vouched for.
    checked: bool,
    /// Positions a head spans at least, but the last.
    every: u64,
    /// When the stretch started: one older than [`WITHIN`] is closed however short, so that a
    /// gateway of little traffic, restarted now and then, still vouches for what it folded.
    opened: std::time::Instant,
}

impl Stretch {
    /// A stretch after position `from` (a start's checkpoint: what was folded before it, by a
    /// process whose list of unverified events is gone, is not vouched for).
    pub fn after(from: u64) -> Stretch {
        Stretch {
            from,
            unverified: BTreeSet::new(),
            checked: false,
            every: EVERY,
            opened: std::time::Instant::now(),
        }
    }

    /// The stretch, closed every `every` positions instead of [`EVERY`] (tests).
    pub fn every(mut self, every: u64) -> Stretch {
        self.every = every.max(1);
        self
    }

    /// Takes in a run folded onto the stretch, whose events at `unverified` did not verify;
    /// `checked`: some of its events were checked one by one.
    pub fn took(&mut self, unverified: impl IntoIterator<Item = u64>, checked: bool) {
        self.unverified.extend(unverified);
        self.checked |= checked;
    }

    /// Whether the stretch up to `position` is long enough for a head: [`EVERY`] positions, or
    /// open for [`WITHIN`] (the cheap test before the running hash is read).
    pub fn spans(&self, position: u64) -> bool {
        position > self.from
            && (position - self.from >= self.every || self.opened.elapsed() >= WITHIN)
    }

    /// Whether a head is due with the log's running hash at `running`: the stretch
    /// [`Stretch::spans`] up to it, or ends there (`end`: a rebuild's last run), and something
    /// in it was checked.
    pub fn due(&self, running: &Running, end: bool) -> bool {
        self.checked && running.position > self.from && (end || self.spans(running.position))
    }

    /// The head over the stretch up to `running`, signed by `key` as of `at`; the next stretch
    /// starts there.
    pub fn close(&mut self, running: &Running, at: &str, key: &GatewayKey) -> VerifiedHead {
        let unverified = std::mem::take(&mut self.unverified).into_iter().collect();
        let head = VerifiedHead::sign(self.from, running, unverified, at, key);
        self.restart(running.position);
        head
    }

    /// Starts the stretch again after `position`, vouching for nothing before it.
    pub fn restart(&mut self, position: u64) {
        self.from = position;
        self.unverified.clear();
        self.checked = false;
        self.opened = std::time::Instant::now();
    }
}

/// A rebuild's use of the verified heads: it walks the running hash over the events as it reads
/// them, holds those read since the last head that matched, and gives them out once one does
/// ([`Coverage::take`]), saying which of them the heads vouch for ([`Coverage::attested`]).
#[derive(Debug)]
pub struct Coverage {
    /// Heads not reached yet, by position.
    ahead: BTreeMap<u64, Vec<VerifiedHead>>,
    running: Running,
    /// The stretches of heads that matched: (from, position, unverified), in the order reached.
    matched: Vec<(u64, u64, BTreeSet<u64>)>,
    /// Heads whose position the log reached with another hash, or holds no event at.
    pub mismatched: Vec<u64>,
    /// Entries read and walked, not given out yet: events, and records that are not events
    /// (walked by their bytes' digest, never vouched for).
    pending: Vec<At>,
    /// How many of `pending` (from its start) a matched head covers the end of.
    settled: usize,
    /// Events held at most before they are given out unvouched for (checked one by one).
    hold: usize,
}

impl Coverage {
    /// Over `heads` (already verified under the checking key), holding at most `hold` events.
    pub fn new(heads: Vec<VerifiedHead>, hold: usize) -> Coverage {
        let mut ahead: BTreeMap<u64, Vec<VerifiedHead>> = BTreeMap::new();
        for head in heads {
            ahead.entry(head.position).or_default().push(head);
        }
        Coverage {
            ahead,
            running: Running::default(),
            matched: Vec::new(),
            mismatched: Vec::new(),
            pending: Vec::new(),
            settled: 0,
            hold,
        }
    }

    /// Takes in the next entries of the log, in order after every one taken before.
    pub fn push(&mut self, entries: impl IntoIterator<Item = impl Into<At>>) {
        for p in entries {
            let p: At = p.into();
            let (position, hash) = match &p {
                At::Event(e) => (e.position, &e.event.hash),
                At::Unreadable(u) => (u.position, &u.digest),
                At::Nothing(_) => continue,
            };
            // With no head ahead, no running hash is wanted: none is walked (a rebuild without
            // heads, or past the last one).
            if self.ahead.is_empty() {
                self.pending.push(p);
                continue;
            }
            // A head at a position passed without an event there does not describe this log.
            while let Some(entry) = self.ahead.first_entry()
                && *entry.key() < position
            {
                self.mismatched.push(entry.remove_entry().0);
            }
            self.running.take(position, hash);
            if let Some(heads) = self.ahead.remove(&position) {
                for head in heads {
                    if head.hash == self.running.hash {
                        self.matched.push((
                            head.from,
                            head.position,
                            head.unverified.into_iter().collect(),
                        ));
                        self.settled = self.pending.len() + 1;
                    } else {
                        self.mismatched.push(head.position);
                    }
                }
            }
            self.pending.push(p);
        }
    }

    /// The events to fold next, in order: those up to the last head that matched; all of them
    /// at the log's `end`, when no head lies ahead, or when more than the hold are waiting.
    pub fn take(&mut self, end: bool) -> Vec<At> {
        let all = end || self.ahead.is_empty() || self.pending.len() >= self.hold;
        let n = if all {
            self.pending.len()
        } else {
            self.settled
        };
        let rest = self.pending.split_off(n);
        self.settled = 0;
        std::mem::replace(&mut self.pending, rest)
    }

    /// The positions of the heads not reached, one per head: past the end of the log pushed so
    /// far.
    pub fn beyond(&self) -> Vec<u64> {
        self.ahead
            .iter()
            .flat_map(|(at, heads)| std::iter::repeat_n(*at, heads.len()))
            .collect()
    }

    /// Whether every event taken in was given out.
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// For each of `entries` (given out by [`Coverage::take`]), whether a head that matched
    /// vouches for its seal: it is an event, lies in the head's stretch and is not named
    /// unverified there. A record that is not an event is vouched for by none.
    pub fn attested(&self, entries: &[At]) -> Vec<bool> {
        entries
            .iter()
            .map(|p| match p {
                At::Event(p) => self
                    .matching(p.position)
                    .any(|(_, _, unverified)| !unverified.contains(&p.position)),
                At::Unreadable(_) | At::Nothing(_) => false,
            })
            .collect()
    }

    /// Whether a head that matched speaks of the event at `position`, vouching for it or naming
    /// it unverified: a head written over it would say nothing new.
    pub fn covers(&self, position: u64) -> bool {
        self.matching(position).next().is_some()
    }

    /// The stretches of heads that matched holding `position`.
    fn matching(&self, position: u64) -> impl Iterator<Item = &(u64, u64, BTreeSet<u64>)> {
        let first = self.matched.partition_point(|(_, to, _)| *to < position);
        self.matched[first..]
            .iter()
            .filter(move |(from, to, _)| *from < position && position <= *to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::Positioned;

    fn event(n: u64) -> Positioned {
        let key = GatewayKey::from_seed([1; 32]);
        let first = [("application.forwarded", serde_json::json!({"n": n}))];
        let mut sealed = crate::testutil::sealed_chain(&key, "app-1", first);
        Positioned::read(n, sealed.remove(0))
    }

    fn running_at(events: &[Positioned], position: u64) -> Running {
        let mut r = Running::default();
        for p in events.iter().filter(|p| p.position <= position) {
            r.take(p.position, &p.event.hash);
        }
        r
    }

    #[test]
    fn heads_verify_and_changed_ones_do_not() {
        let key = GatewayKey::from_seed([7; 32]);
        let events: Vec<_> = (1..=3).map(event).collect();
        let head = VerifiedHead::sign(0, &running_at(&events, 3), vec![2], "t", &key);
        assert!(head.verifies(&key.public()));
        let mut fewer = head.clone();
        fewer.unverified.clear();
        assert!(!fewer.verifies(&key.public()), "the list is signed");
        let mut wider = head.clone();
        wider.from = 0;
        wider.position = 4;
        assert!(!wider.verifies(&key.public()));
        assert!(!head.verifies(&GatewayKey::from_seed([8; 32]).public()));
    }

    /// Given heads at 4, 8 and 12 and a torn line, when the log ends at 8 for good, then only
    /// the head at 12 is set aside: the ones within the log still vouch for what it holds
    /// (setting all aside, as `--accept-lost` did, lost what catches a rewrite sealed again).
    #[test]
    fn only_heads_past_the_end_are_set_aside() {
        let dir = crate::testutil::TempDir::new("heads-aside");
        let key = GatewayKey::from_seed([7; 32]);
        let events: Vec<_> = (1..=12).map(event).collect();
        let path = dir.path().join(FILE);
        for (from, position) in [(0, 4), (4, 8), (8, 12)] {
            let head = VerifiedHead::sign(from, &running_at(&events, position), vec![], "t", &key);
            append(&path, &head).expect("append");
        }
        let mut text = std::fs::read(&path).expect("read");
        text.extend_from_slice(b"{\"torn");
        std::fs::write(&path, &text).expect("torn");
        let aside = dir.path().join("aside.jsonl");
        assert_eq!(set_aside_past(&path, 8, &aside).expect("aside"), 1);
        let kept = read(&path, &key.public()).expect("kept");
        let positions: Vec<u64> = kept.heads.iter().map(|h| h.position).collect();
        assert_eq!((positions, kept.refused), (vec![4, 8], 1));
        let moved = read(&aside, &key.public()).expect("moved");
        assert_eq!(
            moved.heads.iter().map(|h| h.position).collect::<Vec<_>>(),
            [12]
        );
        assert_eq!(
            set_aside_past(&path, 8, &aside).expect("again"),
            0,
            "nothing more"
        );
    }

    /// Given heads at 4 (from 0, naming 2 unverified) and at 8 (from 4), when a log of ten
    /// events is pushed in batches, then events are given out only up to a matched head until
    /// the end, and exactly those the heads vouch for are attested.
    #[test]
    fn events_are_given_out_up_to_a_matched_head_and_attested_within_it() {
        let key = GatewayKey::from_seed([7; 32]);
        let events: Vec<_> = (1..=10).map(event).collect();
        let heads = vec![
            VerifiedHead::sign(0, &running_at(&events, 4), vec![2], "t", &key),
            VerifiedHead::sign(4, &running_at(&events, 8), vec![], "t", &key),
        ];
        let mut c = Coverage::new(heads, 100);
        c.push(events[..6].to_vec());
        let first = c.take(false);
        assert_eq!(
            first.iter().map(At::position).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(c.attested(&first), [true, false, true, true]);
        c.push(events[6..].to_vec());
        let second = c.take(false);
        // No head lies ahead past 8: everything read is given out.
        assert_eq!(second.len(), 6);
        assert_eq!(c.attested(&second), [true, true, true, true, false, false]);
        assert!(c.mismatched.is_empty());
        assert!(c.take(true).is_empty());
        assert!(c.beyond().is_empty());
    }

    /// Given a head over a log one of whose events was sealed again (another hash), when the log
    /// is pushed, then the head does not match, nothing it covers is attested, and it is named.
    #[test]
    fn a_head_over_another_log_vouches_for_nothing() {
        let key = GatewayKey::from_seed([7; 32]);
        let events: Vec<_> = (1..=5).map(event).collect();
        let head = VerifiedHead::sign(0, &running_at(&events, 4), vec![], "t", &key);
        let mut other = events.clone();
        other[1] = event(20);
        other[1].position = 2;
        let mut c = Coverage::new(vec![head], 100);
        c.push(other);
        let out = c.take(true);
        assert_eq!(c.attested(&out), [false; 5]);
        assert_eq!(c.mismatched, [4]);
    }

    /// Given a head far ahead, when more events than the hold are waiting, then they are given
    /// out unvouched for rather than held without bound.
    #[test]
    fn the_hold_bounds_what_waits_for_a_head() {
        let key = GatewayKey::from_seed([7; 32]);
        let events: Vec<_> = (1..=10).map(event).collect();
        let head = VerifiedHead::sign(0, &running_at(&events, 10), vec![], "t", &key);
        let mut c = Coverage::new(vec![head], 4);
        c.push(events[..3].to_vec());
        assert!(c.take(false).is_empty());
        c.push(events[3..5].to_vec());
        assert_eq!(c.take(false).len(), 5);
    }

    #[test]
    fn a_stretch_is_due_every_interval_or_at_the_end_once_something_was_checked() {
        let key = GatewayKey::from_seed([7; 32]);
        let mut s = Stretch::after(10);
        let at = |position| Running {
            position,
            hash: "h".to_string(),
        };
        assert!(!s.due(&at(10 + EVERY), false), "nothing checked yet");
        s.took([12], true);
        assert!(!s.due(&at(11), false));
        assert!(s.due(&at(11), true));
        assert!(s.due(&at(10 + EVERY), false));
        let head = s.close(&at(10 + EVERY), "t", &key);
        assert_eq!((head.from, head.position), (10, 10 + EVERY));
        assert_eq!(head.unverified, [12]);
        assert!(
            !s.due(&at(10 + 2 * EVERY), true),
            "a new stretch, nothing in it yet"
        );
    }

    #[test]
    fn the_file_keeps_what_verifies_and_counts_the_rest() {
        let dir = crate::testutil::TempDir::new("verified-heads");
        let path = file_beside(&dir.path().join("projections"));
        let key = GatewayKey::from_seed([7; 32]);
        let events: Vec<_> = (1..=3).map(event).collect();
        let head = VerifiedHead::sign(0, &running_at(&events, 3), vec![], "t", &key);
        append(&path, &head).expect("append");
        let other = VerifiedHead::sign(
            0,
            &running_at(&events, 2),
            vec![],
            "t",
            &GatewayKey::from_seed([9; 32]),
        );
        append(&path, &other).expect("append");
        // A torn last line, as a crash in the middle of a write leaves.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"{\"from\":3,\"posi"))
            .expect("torn");
        let kept = read(&path, &key.public()).expect("read");
        assert_eq!(kept.heads, [head]);
        assert_eq!(kept.refused, 2);
        let none = read(&dir.path().join("none.jsonl"), &key.public()).expect("read");
        assert!(none.heads.is_empty() && none.refused == 0);
    }
}
