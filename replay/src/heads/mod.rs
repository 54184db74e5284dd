//! Saved log heads checked against the log (`tongban verify --heads FILE [--heads FILE]...`,
//! one file per party, [`read_parties`]): each head the gateway signed (`GET /v1/log/head`, kept
//! by a province or an auditor) must be reproduced by the running hash over the log as it is now
//! ([`tongban_gateway::log::head_hash`]). What no hash chain shows is then shown: the log's last
//! events removed (the log ends before a head), an application's last event removed with its
//! index entry, a whole log re-sealed: anything at or before a head's position that is not what
//! the log held when the gateway signed it.
//!
//! A head whose signature does not verify under the key the check uses is not trusted (changed
//! since it was saved, or signed with another key): it is reported, never compared. The trusted
//! heads are also compared among themselves ([`compare`]): two at one position with different
//! hashes are a fork, whatever the log says.

pub mod compare;
pub mod records;

use tongban_gateway::envelope::PublicKey;
use tongban_gateway::log::head_hash::{Running, SignedHead};

/// A head as kept, and where it was read from (`heads.jsonl line 3`): the findings name it, so
/// that the party who kept a head can be asked for it, and it can be handed on as proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    pub head: SignedHead,
    pub from: String,
    /// The file it was read from: heads of one file are one party's, never compared with each
    /// other as another party's would be ([`compare`]).
    pub file: String,
}

/// What a saved head says of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadFinding {
    /// Its signature does not verify under the key: not signed by the gateway.
    Unsigned { head: Kept, kid: String },
    /// The log's running hash at its position is another.
    Differs { head: Kept, found: String },
    /// The log ends (its last event) before its position.
    Lost { head: Kept, end: u64 },
    /// Two trusted heads at one position with different hashes ([`compare`]).
    Forked(compare::Forked),
}

impl std::fmt::Display for HeadFinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let named = |k: &Kept| {
            format!(
                "saved head at log position {} (signed at {}, {})",
                k.head.position, k.head.at, k.from
            )
        };
        match self {
            HeadFinding::Unsigned { head, kid } => write!(
                f,
                "{}: its signature does not verify under key {kid}{}: not signed by the gateway \
                 (changed since it was saved, or signed with another key); not trusted, so not \
                 compared with the log",
                named(head),
                if &head.head.kid == kid {
                    String::new()
                } else {
                    format!(" (the head names key {})", head.head.kid)
                }
            ),
            HeadFinding::Differs { head, found } => write!(
                f,
                "{}: the log's running hash there is {found}, the head's {}: the log up to \
                 position {} is not the log the gateway signed then (events removed, inserted, \
                 changed or reordered at or before it)",
                named(head),
                head.head.hash,
                head.head.position
            ),
            HeadFinding::Lost { head, end } => write!(
                f,
                "{}: the log ends at position {end}: it lost its end since (log positions \
                 {}-{} held events when the gateway signed the head)",
                named(head),
                end.saturating_add(1),
                head.head.position
            ),
            HeadFinding::Forked(fork) => fork.fmt(f),
        }
    }
}

/// The heads still to be compared, and the running hash over the log read so far.
#[derive(Debug, Clone, Default)]
pub struct SavedHeads {
    /// Trusted heads not yet compared, furthest first (the next is popped off the end).
    pending: Vec<Kept>,
    running: Running,
    pub findings: Vec<HeadFinding>,
    /// Heads the log reproduced.
    pub reproduced: u64,
}

impl SavedHeads {
    /// `heads`, those whose signature verifies under `key` to be compared, the others found
    /// [`HeadFinding::Unsigned`] at once, as are the forks among the trusted ones.
    pub fn new(heads: Vec<Kept>, key: &PublicKey) -> SavedHeads {
        let mut saved = SavedHeads::default();
        let (trusted, unsigned) = trusted(heads, key);
        saved
            .findings
            .extend(unsigned.into_iter().map(|head| HeadFinding::Unsigned {
                head,
                kid: key.kid(),
            }));
        saved.findings.extend(
            compare::compare(&trusted, &records::Records::default())
                .forks
                .into_iter()
                .map(HeadFinding::Forked),
        );
        saved.pending = trusted;
        saved.pending.sort_by(|a, b| {
            b.head
                .position
                .cmp(&a.head.position)
                .then(b.head.at.cmp(&a.head.at))
        });
        saved
    }

    /// Takes in the event at `position` (after every one so far), hash `event_hash`: first
    /// compares every head before it, which the events so far cover whole.
    pub fn take(&mut self, position: u64, event_hash: &str) {
        self.judge_before(position);
        self.running.take(position, event_hash);
    }

    /// The log ended: every head left is compared, or found past its end.
    pub fn end(&mut self) {
        while let Some(head) = self.pending.pop() {
            if head.head.position > self.running.position {
                let end = self.running.position;
                self.findings.push(HeadFinding::Lost { head, end });
            } else {
                self.judge(head);
            }
        }
    }

    /// Compares every head before `position`: the events taken so far are all the log holds up
    /// to each.
    fn judge_before(&mut self, position: u64) {
        while self
            .pending
            .last()
            .is_some_and(|h| h.head.position < position)
        {
            if let Some(head) = self.pending.pop() {
                self.judge(head);
            }
        }
    }

    fn judge(&mut self, head: Kept) {
        if head.head.hash == self.running.hash {
            self.reproduced += 1;
        } else {
            let found = self.running.hash.clone();
            self.findings.push(HeadFinding::Differs { head, found });
        }
    }
}

/// The heads of the file at `path` ([`parse`]); errors as [`parse`]'s, or why it does not read.
pub fn read(path: &str) -> Result<Vec<Kept>, String> {
    let text = tongban_adapters::codec::read_utf8(path)?;
    parse(&text, path)
}

/// The heads of every file in `files` ([`read`]), and how many parties they are. A party is a
/// file by its real path, each head's [`Kept::file`]: a file named twice (`x`, `./x`, a symbolic
/// link to it) is one party, read once, so its heads are neither counted twice nor compared with
/// themselves ([`compare`]); as the audit script takes its `--heads` files. A pipe (`/dev/stdin`,
/// `/dev/fd/63` of `<(curl …)`) has no real path: it is the party its path made absolute names
/// ([`std::path::absolute`], as the script names it too). Errors name the file as given.
pub fn read_parties(files: &[String]) -> Result<(Vec<Kept>, usize), String> {
    let mut kept = Vec::new();
    let mut parties: Vec<String> = Vec::new();
    for file in files {
        let party = match std::fs::canonicalize(file) {
            Ok(real) => real,
            // No such file (or no way to it): said as the real path's error, before reading.
            Err(e) if std::fs::metadata(file).is_err() => return Err(format!("{file}: {e}")),
            // There, but with no real path: a pipe, whose link names no file (`pipe:[…]`).
            Err(_) => std::path::absolute(file).map_err(|e| format!("{file}: {e}"))?,
        }
        .display()
        .to_string();
        if parties.contains(&party) {
            continue;
        }
        let heads = read(file).map_err(|e| format!("{file}: {e}"))?;
        kept.extend(heads.into_iter().map(|k| Kept {
            file: party.clone(),
            ..k
        }));
        parties.push(party);
    }
    Ok((kept, parties.len()))
}

/// `heads` split into those whose signature verifies under `key` and those it does not.
pub fn trusted(heads: Vec<Kept>, key: &PublicKey) -> (Vec<Kept>, Vec<Kept>) {
    heads.into_iter().partition(|k| k.head.verifies(key))
}

/// The heads of a file of them (`file` names it in each head's [`Kept::from`]), each a
/// [`SignedHead`] as `GET /v1/log/head` answers it: one per line, or written one after the other
/// with nothing between (answers appended by a client that added no line break); a byte order
/// mark before the first is passed over, as the audit script and [`records`] pass it over.
/// Errors name the line.
pub fn parse(text: &str, file: &str) -> Result<Vec<Kept>, String> {
    let text = text.trim_start_matches('\u{feff}');
    let mut heads = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<SignedHead>();
    loop {
        let from = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(head)) => heads.push(Kept {
                head,
                from: format!("{file} line {}", line_at(text, from)),
                file: file.to_string(),
            }),
            Some(Err(e)) => {
                let line = line_at(text, from);
                // serde quotes the value it could not take and an unknown member's name as
                // the file gave them: an ID number or a phone written there is masked.
                return Err(format!(
                    "line {line}: not a head as GET /v1/log/head answers it ({})",
                    crate::printable::line(tongban_schemas::mask::serde_error(&e))
                ));
            }
        }
    }
    if heads.is_empty() {
        return Err(
            "holds no heads (one JSON object per line, as GET /v1/log/head answers)".into(),
        );
    }
    Ok(heads)
}

/// The line of `text` that the JSON document starting at byte `from` (after any JSON white
/// space) is on, counted from 1: where both tools say a head or a records page was read.
pub(crate) fn line_at(text: &str, from: usize) -> usize {
    let skipped = text.get(from..).map_or(0, |rest| {
        rest.len() - rest.trim_start_matches([' ', '\t', '\n', '\r']).len()
    });
    text.get(..from + skipped)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_gateway::envelope::GatewayKey;

    fn head_after(events: &[(u64, &str)], key: &GatewayKey) -> Kept {
        let mut r = Running::default();
        for (p, h) in events {
            r.take(*p, h);
        }
        Kept {
            head: SignedHead::sign(&r, "2026-01-01T00:00:00.000Z", key),
            from: format!("kept.jsonl line {}", events.len()),
            file: "kept.jsonl".into(),
        }
    }

    fn judged(log: &[(u64, &str)], heads: Vec<Kept>, key: &GatewayKey) -> SavedHeads {
        let mut saved = SavedHeads::new(heads, &key.public());
        for (p, h) in log {
            saved.take(*p, h);
        }
        saved.end();
        saved
    }

    /// Given a heads file with an ID number or a phone where a head's number or hash belongs,
    /// or as a member's name, when it is refused, then the reason names the line and what was
    /// expected, never the digits.
    #[test]
    fn a_head_refused_does_not_echo_what_it_holds() {
        let key = GatewayKey::from_seed([5; 32]);
        let head = serde_json::to_value(&head_after(&[(1, "a")], &key).head).expect("head");
        for (member, value) in [
            ("position", serde_json::json!("11010519491231002X")),
            ("hash", serde_json::json!(11010519491231002u64)),
            ("13987654321", serde_json::json!(1)),
        ] {
            let mut h = head.clone();
            h[member] = value;
            let e = parse(&format!("{head}\n{h}\n"), "h.jsonl").expect_err("refused");
            assert!(
                e.starts_with("line 2: not a head as GET /v1/log/head answers it ("),
                "{e}"
            );
            assert!(!e.contains("0519491231") && !e.contains("8765"), "{e}");
        }
    }

    #[test]
    fn heads_are_reproduced_lost_differ_or_are_not_trusted() {
        let key = GatewayKey::from_seed([5; 32]);
        let log = [(1, "a"), (2, "b"), (4, "c")];
        let early = head_after(&log[..1], &key);
        let late = head_after(&log, &key);
        let ok = judged(&log, vec![late.clone(), early.clone()], &key);
        assert_eq!((ok.reproduced, ok.findings.len()), (2, 0));

        // The last event removed: the later head is past the log's end.
        let cut = judged(&log[..2], vec![early.clone(), late.clone()], &key);
        assert_eq!(cut.reproduced, 1);
        assert_eq!(
            cut.findings,
            vec![HeadFinding::Lost {
                head: late.clone(),
                end: 2
            }]
        );

        // The middle event rewritten: the early head holds, the later one differs.
        let changed = judged(
            &[(1, "a"), (2, "x"), (4, "c")],
            vec![early.clone(), late.clone()],
            &key,
        );
        assert_eq!(changed.reproduced, 1);
        assert!(
            matches!(&changed.findings[..], [HeadFinding::Differs { head, .. }] if *head == late)
        );

        // A head's hash changed after it was saved: not trusted.
        let mut forged = late.clone();
        forged.head.hash = head_after(&log[..2], &key).head.hash;
        let untrusted = judged(&log, vec![forged], &key);
        assert_eq!(untrusted.reproduced, 0);
        assert!(matches!(
            &untrusted.findings[..],
            [HeadFinding::Unsigned { .. }]
        ));
        assert!(
            untrusted.findings[0]
                .to_string()
                .contains("not signed by the gateway")
        );
    }

    /// Given heads kept by two parties, one of a history the log holds and one of another
    /// history the gateway signed at the same position, when they are checked against the log,
    /// then the second differs from the log and the two are also named as a fork, with where
    /// each was read.
    #[test]
    fn two_signed_histories_at_one_position_are_named_a_fork_beside_the_log() {
        let key = GatewayKey::from_seed([5; 32]);
        let log = [(1, "a"), (2, "b"), (4, "c")];
        let mine = head_after(&log, &key);
        let mut theirs = head_after(&[(1, "a"), (2, "x"), (4, "c")], &key);
        theirs.from = "theirs.jsonl line 7".into();
        let saved = judged(&log, vec![mine.clone(), theirs.clone()], &key);
        assert_eq!(saved.reproduced, 1);
        assert!(
            saved
                .findings
                .contains(&HeadFinding::Forked(compare::Forked {
                    first: mine.clone(),
                    other: theirs.clone()
                })),
            "{:?}",
            saved.findings
        );
        assert!(
            saved
                .findings
                .iter()
                .any(|f| matches!(f, HeadFinding::Differs { head, .. } if *head == theirs)),
            "{:?}",
            saved.findings
        );
        assert!(
            saved.findings.iter().any(|f| f
                .to_string()
                .contains("(signed at 2026-01-01T00:00:00.000Z, theirs.jsonl line 7)")),
            "{:?}",
            saved.findings
        );
    }

    #[test]
    fn a_file_that_is_not_heads_is_refused_naming_the_line() {
        assert!(parse("", "heads.jsonl").is_err());
        let e = parse("\n{\"position\": 1}\n", "heads.jsonl").expect_err("refused");
        assert!(e.starts_with("line 2:"), "{e}");
    }

    /// Given a heads file that starts with a byte order mark (as an editor on Windows saves
    /// it), then its heads are read, each named by its line as without it. (It was refused at
    /// line 1, while the audit script and the records pages pass the mark over.)
    #[test]
    fn a_byte_order_mark_before_the_first_head_is_passed_over() {
        let key = GatewayKey::from_seed([9; 32]);
        let running = Running {
            position: 3,
            hash: "3".repeat(64),
        };
        let head = serde_json::to_string(&SignedHead::sign(&running, "2026-12-06T00:00:00Z", &key))
            .expect("json");
        let heads = parse(&format!("\u{feff}{head}\n\n{head}\n"), "bom.jsonl").expect("heads");
        assert_eq!(
            heads.iter().map(|h| h.from.as_str()).collect::<Vec<_>>(),
            ["bom.jsonl line 1", "bom.jsonl line 3"]
        );
    }

    /// Given heads appended one after the other with no line break between (as `curl >>`
    /// appended answers that ended without one), when the file is read, then every head is
    /// read; a bad one after them is named by its line. (The file was refused whole.)
    #[test]
    fn heads_appended_without_line_breaks_are_read() {
        let key = GatewayKey::from_seed([9; 32]);
        let one = |position: u64| {
            let running = Running {
                position,
                hash: format!("{position:064x}"),
            };
            serde_json::to_string(&SignedHead::sign(&running, "2026-12-06T00:00:00Z", &key))
                .expect("json")
        };
        let glued = format!("{}{}\n{}", one(1), one(2), one(3));
        let heads = parse(&glued, "glued.jsonl").expect("heads");
        assert_eq!(
            heads
                .iter()
                .map(|h| (h.head.position, h.from.as_str()))
                .collect::<Vec<_>>(),
            [
                (1, "glued.jsonl line 1"),
                (2, "glued.jsonl line 1"),
                (3, "glued.jsonl line 2")
            ]
        );
        let e = parse(
            &format!("{}\n{}\nnot a head", one(1), one(2)),
            "glued.jsonl",
        )
        .expect_err("refused");
        assert!(e.starts_with("line 3:"), "{e}");
    }
}
