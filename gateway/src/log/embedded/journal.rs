//! Tells a torn journal tail from a damaged journal, before fjall opens the log.
//!
//! fjall's recovery reads each journal file batch by batch and, at the first bytes that do not
//! read as the next entry of a batch, cuts the file there and goes on without a word: right for
//! the one group commit a crash interrupted (it was never fsynced, so never acknowledged), wrong
//! for a byte damaged in the middle of the file, after which every whole batch, each one an
//! acknowledged group commit, would be cut off for good. An auditor's `tongban verify` then
//! reported the shortened log as intact.
//!
//! A crash leaves at most one batch unfinished, and an unfinished batch has no end marker. So
//! any end marker after the point where the batches stop reading means whole batches were
//! written after it: the journal is damaged, and the log is not opened.
//!
//! The framing read here is fjall 3's journal format (fjall's `journal/entry.rs`): a batch is
//! a start entry (tag 1, item count u32, seqno u64), that many items (tag 2) or clears (tag 4),
//! and an end entry (tag 3, checksum u64, the magic bytes `FJL\x03`). Only the framing is read,
//! not the checksums (a bad checksum fjall reports itself, as an error); and more leniently than
//! fjall, so that the point found here is never before fjall's.
//!
//! fjall's report of a bad checksum names neither the file nor the place, so when it refuses
//! the journal the batches are read again with their checksums ([`bad_checksum`]): the first
//! that fails is named with where it is and how many bytes follow it, which tells a write torn
//! at the file's end from damage in its middle.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// fjall's journal magic, which ends every end-of-batch entry.
const MAGIC: [u8; 4] = [b'F', b'J', b'L', 3];
const START: u8 = 1;
const ITEM: u8 = 2;
const END: u8 = 3;
const CLEAR: u8 = 4;
/// An end entry: tag, checksum, magic.
const END_LEN: usize = 1 + 8 + MAGIC.len();

/// Whole batches found after the point where a journal file stops reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub file: PathBuf,
    /// Where the batches stop reading (bytes from the file's start).
    pub readable_to: u64,
    /// End-of-batch entries after that point: whole group commits that would be cut off.
    pub batches_after: u64,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the log's journal {} does not read from byte {} on, yet {} whole group commit(s) \
             follow that point: the file was damaged or changed outside tongban, and opening \
             the log would cut acknowledged events off for good. Nothing was opened or \
             changed; keep a copy of the directory as it is, and restore the log from a backup \
             (docs/operations.md, \"Backups\")",
            self.file.display(),
            self.readable_to,
            self.batches_after
        )
    }
}

/// A group commit whose checksum fails: the first in the journal files' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadChecksum {
    pub file: PathBuf,
    /// Where the group commit starts and ends (bytes from the file's start).
    pub start: u64,
    pub end: u64,
    /// The whole group commits after it in the file, and their bytes (what a crash could not
    /// have left: the zeros fjall preallocates a journal with are not counted).
    pub batches_after: u64,
    pub bytes_after: u64,
}

impl std::fmt::Display for BadChecksum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} fails its checksum in the group commit at byte {} (to byte {}), the first that \
             fails, and {} byte(s) of {} whole group commit(s) follow it: ",
            self.file.display(),
            self.start,
            self.end,
            self.bytes_after,
            self.batches_after
        )?;
        match self.batches_after {
            0 => write!(
                f,
                "it is the journal's last group commit, as a write cut short by a crash or a \
                 disk failing at the end of the file leaves it"
            ),
            _ => write!(
                f,
                "acknowledged group commits follow it, so it is damage in the middle of the \
                 journal, not a torn tail"
            ),
        }
    }
}

/// The journal files of the log in `dir` (`*.jnl`), in the order fjall replays them: by the
/// number each is named with (`99.jnl` before `100.jnl`, which name order would put first),
/// names that are no number after them in name order.
fn journal_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("jnl")))
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let id = |p: &PathBuf| {
        p.file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    files.sort_by(|a, b| id(a).cmp(&id(b)).then_with(|| a.cmp(b)));
    Ok(files)
}

/// The first group commit of the log in `dir` whose checksum fails, if any: read only once
/// fjall has refused the journal, since hashing every batch costs a read of the whole journal.
///
/// Only the last group commit of the last (active) journal can be a torn tail: a failure at the
/// end of an older, sealed journal is followed by every whole group commit of the journals
/// after it, which are counted with it.
pub fn bad_checksum(dir: &Path) -> std::io::Result<Option<BadChecksum>> {
    let files = journal_files(dir)?;
    for (i, file) in files.iter().enumerate() {
        let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
        let mut first = None;
        let mut batches_after = 0;
        let mut check = |start: u64, end: u64, sound: bool| match first {
            None if !sound => first = Some((start, end)),
            None => {}
            Some(_) => batches_after += 1,
        };
        let last_end = whole_batches(&mut reader, Some(&mut check))?;
        if let Some((start, end)) = first {
            let mut bytes_after = last_end.saturating_sub(end);
            for later in &files[i + 1..] {
                let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(later)?);
                let mut count = |_: u64, _: u64, _: bool| batches_after += 1;
                bytes_after += whole_batches(&mut reader, Some(&mut count))?;
            }
            return Ok(Some(BadChecksum {
                file: file.clone(),
                start,
                end,
                batches_after,
                bytes_after,
            }));
        }
    }
    Ok(None)
}

/// The first damaged journal file of the log in `dir` (files `*.jnl`, in the order fjall replays
/// them), if any.
pub fn damage(dir: &Path) -> std::io::Result<Option<Damage>> {
    for file in journal_files(dir)? {
        let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(&file)?);
        let readable_to = whole_batches(&mut reader, None)?;
        // From there again: the entry that did not read may be a damaged length, which sent
        // the reading past whole batches.
        reader.seek(SeekFrom::Start(readable_to))?;
        let batches_after = ends_in(&mut reader)?;
        if batches_after > 0 {
            return Ok(Some(Damage {
                file,
                readable_to,
                batches_after,
            }));
        }
    }
    Ok(None)
}

/// Called for each whole batch with where it starts and ends and whether its checksum holds.
type Check<'a> = &'a mut dyn FnMut(u64, u64, bool);

/// Reads whole batches from the start; answers where the last one ends. Stops (leaving the
/// reader past that point) at the first byte that is not the next entry of a batch. With
/// `check`, each batch's entries are kept and hashed as fjall's writer hashed them (every item
/// and clear entry as written, tag first) and compared with its end entry's checksum.
fn whole_batches(reader: &mut impl Read, mut check: Option<Check<'_>>) -> std::io::Result<u64> {
    let (mut at, mut last_end) = (0u64, 0u64);
    // Entries still due in the open batch (`None`: between batches).
    let mut due: Option<u32> = None;
    // Where the open batch starts, and its hashed bytes (kept only with `check`).
    let (mut start, mut hashed) = (0u64, Vec::new());
    let checking = check.is_some();
    loop {
        let Some(tag) = read_array::<1>(reader, &mut at)? else {
            return Ok(last_end);
        };
        match (tag[0], due) {
            (START, None) => {
                let Some(head) = read_array::<12>(reader, &mut at)? else {
                    return Ok(last_end);
                };
                due = Some(u32::from_le_bytes([head[0], head[1], head[2], head[3]]));
                start = at - 13;
                hashed.clear();
            }
            (ITEM, Some(n)) if n > 0 => {
                // value type, compression, keyspace, key length, value length, stored length.
                let Some(head) = read_array::<20>(reader, &mut at)? else {
                    return Ok(last_end);
                };
                let key = u64::from(u16::from_le_bytes([head[10], head[11]]));
                let stored =
                    u64::from(u32::from_le_bytes([head[16], head[17], head[18], head[19]]));
                let whole = match checking {
                    true => {
                        hashed.push(ITEM);
                        hashed.extend_from_slice(&head);
                        keep(reader, key + stored, &mut at, &mut hashed)?
                    }
                    false => skip(reader, key + stored, &mut at)?,
                };
                if !whole {
                    return Ok(last_end);
                }
                due = Some(n - 1);
            }
            (CLEAR, Some(n)) if n > 0 => {
                let Some(keyspace) = read_array::<8>(reader, &mut at)? else {
                    return Ok(last_end);
                };
                if checking {
                    hashed.push(CLEAR);
                    hashed.extend_from_slice(&keyspace);
                }
                due = Some(n - 1);
            }
            (END, Some(0)) => {
                let Some(tail) = read_array::<12>(reader, &mut at)? else {
                    return Ok(last_end);
                };
                if tail[8..] != MAGIC {
                    return Ok(last_end);
                }
                if let Some(check) = check.as_mut() {
                    let written = u64::from_le_bytes([
                        tail[0], tail[1], tail[2], tail[3], tail[4], tail[5], tail[6], tail[7],
                    ]);
                    check(start, at, xxhash_rust::xxh3::xxh3_64(&hashed) == written);
                }
                due = None;
                last_end = at;
            }
            _ => return Ok(last_end),
        }
    }
}

/// How many end-of-batch entries the rest of `reader` holds: an end tag, eight checksum bytes,
/// the magic.
fn ends_in(reader: &mut impl Read) -> std::io::Result<u64> {
    let mut window: Vec<u8> = Vec::with_capacity(1 << 16);
    let mut chunk = vec![0u8; 1 << 16];
    let mut found = 0u64;
    loop {
        let n = reader.read(&mut chunk)?;
        if n == 0 {
            return Ok(found);
        }
        window.extend_from_slice(&chunk[..n]);
        let mut i = 0;
        while i + END_LEN <= window.len() {
            if window[i] == END && window[i + 9..i + END_LEN] == MAGIC {
                found += 1;
                i += END_LEN;
            } else {
                i += 1;
            }
        }
        // Keep what could still begin an entry that ends in the next chunk.
        window.drain(..i);
    }
}

fn read_array<const N: usize>(
    reader: &mut impl Read,
    at: &mut u64,
) -> std::io::Result<Option<[u8; N]>> {
    let mut buf = [0u8; N];
    match reader.read_exact(&mut buf) {
        Ok(()) => {
            *at += N as u64;
            Ok(Some(buf))
        }
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads `n` bytes onto `out`; false when the file ends first.
fn keep(reader: &mut impl Read, n: u64, at: &mut u64, out: &mut Vec<u8>) -> std::io::Result<bool> {
    let kept = reader.take(n).read_to_end(out)? as u64;
    *at += kept;
    Ok(kept == n)
}

/// Skips `n` bytes; false when the file ends first.
fn skip(reader: &mut impl Read, n: u64, at: &mut u64) -> std::io::Result<bool> {
    let skipped = std::io::copy(&mut reader.take(n), &mut std::io::sink())?;
    *at += skipped;
    Ok(skipped == n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::EventLog;
    use crate::log::conformance;
    use crate::log::embedded::EmbeddedLog;
    use crate::testutil::TempDir;

    /// A log of three group commits (one event each), closed cleanly; its journal's bytes.
    async fn three_commits(dir: &Path) -> (PathBuf, Vec<u8>) {
        let log = EmbeddedLog::open(dir).expect("open");
        for _ in 0..3 {
            conformance::append_chain(&log, &crate::ids::new_v7(), 1).await;
        }
        drop(log);
        let journal = dir.join("0.jnl");
        let bytes = std::fs::read(&journal).expect("journal");
        (journal, bytes)
    }

    /// Where each batch starts: the byte after each end entry, and 0.
    fn batch_starts(bytes: &[u8]) -> Vec<usize> {
        let mut starts = vec![0];
        for i in 0..bytes.len().saturating_sub(END_LEN) {
            if bytes[i] == END && bytes[i + 9..i + END_LEN] == MAGIC {
                starts.push(i + END_LEN);
            }
        }
        starts
    }

    #[tokio::test]
    async fn a_clean_journal_and_a_torn_last_batch_are_not_damage() {
        let dir = TempDir::new("journal-clean");
        let (journal, bytes) = three_commits(dir.path()).await;
        assert_eq!(damage(dir.path()).expect("scan"), None);
        // A crash during a fourth group commit: its start and half an item, never acknowledged.
        let starts = batch_starts(&bytes);
        let (second, third) = (starts[1], starts[2]);
        let end = *starts.last().expect("ends");
        let mut torn = bytes[..end].to_vec();
        torn.extend_from_slice(&bytes[second..second + (third - second) / 2]);
        std::fs::write(&journal, &torn).expect("write");
        assert_eq!(damage(dir.path()).expect("scan"), None);
        let log = EmbeddedLog::open(dir.path()).expect("a torn tail opens");
        assert_eq!(log.read_all(1, 10).await.expect("read").len(), 3);
    }

    #[tokio::test]
    async fn whole_batches_after_a_damaged_byte_refuse_the_open_and_change_nothing() {
        let dir = TempDir::new("journal-damaged");
        let (journal, mut bytes) = three_commits(dir.path()).await;
        let starts = batch_starts(&bytes);
        // The second batch's start tag, which no checksum covers.
        bytes[starts[1]] = 9;
        std::fs::write(&journal, &bytes).expect("write");
        let found = damage(dir.path()).expect("scan").expect("damage");
        assert_eq!(found.readable_to, starts[1] as u64);
        assert_eq!(found.batches_after, 2);
        let refused = EmbeddedLog::open(dir.path()).err().expect("refused");
        assert!(
            refused.to_string().contains("does not read from byte"),
            "{refused}"
        );
        assert_eq!(
            std::fs::read(&journal).expect("journal"),
            bytes,
            "left as it was"
        );
    }

    /// Every whole batch of `journal` with whether its checksum holds.
    fn checked(journal: &Path) -> Vec<(u64, u64, bool)> {
        let mut reader = BufReader::new(std::fs::File::open(journal).expect("journal"));
        let mut seen = Vec::new();
        let mut check = |start: u64, end: u64, sound: bool| seen.push((start, end, sound));
        whole_batches(&mut reader, Some(&mut check)).expect("read");
        seen
    }

    /// Given a journal fjall wrote, with a batch for each length of entry from the shortest (a
    /// key and no value) past the lengths where XXH3 changes method (128, 240 bytes) to longer
    /// than a block of stripes (1 KiB), a batch of several items and a keyspace's clear, when
    /// each batch's checksum is computed here, then it is the one fjall wrote for every batch.
    #[test]
    fn the_checksum_of_every_batch_fjall_wrote_is_computed_as_fjall_did() {
        let dir = TempDir::new("journal-checksums");
        {
            let db = fjall::Database::builder(dir.path()).open().expect("open");
            let ks = db
                .keyspace("k", fjall::KeyspaceCreateOptions::default)
                .expect("keyspace");
            let sizes = (0..300).chain([1003, 1024, 2100, 5000]);
            for (i, size) in sizes.enumerate() {
                let value: Vec<u8> = (0..size).map(|b| (b * 7 + i) as u8).collect();
                ks.insert(format!("key{i}"), value).expect("insert");
            }
            let mut batch = db.batch();
            for i in 0..5 {
                batch.insert(&ks, format!("batch{i}"), vec![i as u8; 40 * i]);
            }
            batch.commit().expect("commit");
            db.persist(fjall::PersistMode::SyncAll).expect("persist");
        }
        let journal = journal_files(dir.path()).expect("files");
        let seen: Vec<(u64, u64, bool)> = journal.iter().flat_map(|j| checked(j)).collect();
        assert!(seen.len() > 300, "{} batches", seen.len());
        let failing: Vec<_> = seen.iter().filter(|(_, _, sound)| !sound).collect();
        assert!(failing.is_empty(), "{failing:?}");
        assert_eq!(bad_checksum(dir.path()).expect("scan"), None);
    }

    /// Given a log whose journal has a byte changed inside the second of three group commits
    /// (an event's bytes, which only the checksum covers), when the log is opened, then it is
    /// refused naming the file, the byte where that group commit starts and how many bytes
    /// follow it (the third's: damage in the middle); with the last group commit changed
    /// instead, nothing follows it, and the refusal says it is the last thing in the file.
    #[tokio::test]
    async fn a_checksum_that_fails_is_named_with_its_file_and_place() {
        for (which, tail) in [(1, false), (2, true)] {
            let dir = TempDir::new("journal-checksum");
            let (journal, mut bytes) = three_commits(dir.path()).await;
            let starts = batch_starts(&bytes);
            let (start, end) = (starts[which], starts[which + 1]);
            // A byte of the event itself, in the middle of the group commit.
            bytes[(start + end) / 2] ^= 0x20;
            std::fs::write(&journal, &bytes).expect("write");
            assert_eq!(damage(dir.path()).expect("scan"), None, "the framing holds");
            let refused = EmbeddedLog::open(dir.path())
                .err()
                .expect("refused")
                .to_string();
            // What follows up to the last end entry; the rest of the file is fjall's zeros.
            let after = *starts.last().expect("ends") - end;
            let batches = starts.len() - which - 2;
            assert_eq!(after == 0, tail);
            let said = format!(
                "the log's journal {} fails its checksum in the group commit at byte {start} (to \
                 byte {end}), the first that fails, and {after} byte(s) of {batches} whole group \
                 commit(s) follow it: ",
                journal.display()
            );
            assert!(refused.contains(&said), "{refused}");
            let judged = match tail {
                true => "it is the journal's last group commit",
                false => "damage in the middle of the journal, not a torn tail",
            };
            assert!(refused.contains(judged), "{refused}");
            assert!(
                refused.contains("restore the log from a backup"),
                "{refused}"
            );
            assert_eq!(
                std::fs::read(&journal).expect("journal"),
                bytes,
                "left as it was"
            );
        }
    }

    /// Given a log of two journals, `9.jnl` whose last group commit fails its checksum and
    /// `10.jnl` after it (fjall replays by number, not name), when the checksums are read, then
    /// the failure is damage in the middle, with the later journal's group commits counted as
    /// following it: only the active journal's last group commit can be a torn tail.
    #[tokio::test]
    async fn a_failure_at_the_end_of_a_sealed_journal_is_not_a_torn_tail() {
        let dir = TempDir::new("journal-sealed");
        let (journal, clean) = three_commits(dir.path()).await;
        let starts = batch_starts(&clean);
        let mut bytes = clean.clone();
        let (start, end) = (starts[2], starts[3]);
        bytes[(start + end) / 2] ^= 0x20;
        std::fs::remove_file(&journal).expect("remove");
        let (sealed, active) = (dir.path().join("9.jnl"), dir.path().join("10.jnl"));
        std::fs::write(&sealed, &bytes).expect("write");
        std::fs::write(&active, &clean).expect("write");
        assert_eq!(
            journal_files(dir.path()).expect("files"),
            [sealed.clone(), active]
        );
        let bad = bad_checksum(dir.path()).expect("scan").expect("a failure");
        assert_eq!(
            (bad.file, bad.start, bad.end),
            (sealed, start as u64, end as u64)
        );
        assert_eq!(bad.batches_after, starts.len() as u64 - 1);
        assert_eq!(bad.bytes_after, *starts.last().expect("ends") as u64);
    }
}
