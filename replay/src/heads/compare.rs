//! Saved log heads compared among themselves, without the log (`tongban heads FILE...
//! [--records FILE]...`, `docs/audit/verify_chain.py --heads A --heads B [--records FILE]...`).
//!
//! Why: a head only proves what the log was to whoever kept it. A gateway (or whoever holds its
//! key) can sign one history to one province and another to another — a split view — and each
//! province's heads are then reproduced by the log it is shown. Certificate Transparency answers
//! this with gossip: parties exchange the heads they keep. Two heads the gateway signed naming
//! one position with different running hashes cannot both be of one log ([`Forked`]). Heads at
//! different positions are joined by the log's records between them (`GET /v1/log/records`,
//! [`super::records`]): carried forward over them, the earlier head must arrive at the later
//! one's hash ([`Inconsistent`] otherwise). A gateway cannot give records that join two heads of
//! different histories (that would take a SHA-256 collision). So every head must be compared
//! with another party's: at its position, or joined to it over records ([`Compared::alone`]
//! names those that were not); a head compared with nothing, or only with its own party's, proves
//! nothing against a split view.
//!
//! Only heads whose signature verifies under the checking key are compared: anyone can write an
//! unsigned line, so a disagreement with one proves nothing.

use std::collections::BTreeMap;

use tongban_gateway::log::head_hash::Running;

use super::Kept;
use super::records::Records;

/// Two heads the gateway signed that cannot both be of one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forked {
    /// The head read first at that position.
    pub first: Kept,
    /// A head at the same position with another running hash.
    pub other: Kept,
}

impl std::fmt::Display for Forked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (&self.first, &self.other);
        write!(
            f,
            "log position {}: two heads signed by the gateway hold different running hashes \
             there: {} (signed at {}, {}) and {} (signed at {}, {}): the gateway, or whoever \
             holds its key, signed two histories of the log up to that position; keep both \
             heads as they are, they are the proof",
            a.head.position, a.head.hash, a.head.at, a.from, b.head.hash, b.head.at, b.from
        )
    }
}

/// A head at a later position that the earlier one, carried forward over the records given for
/// the positions between, does not arrive at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistent {
    /// The earlier head (`None`: the log's start, position 0, before any record).
    pub from: Option<Kept>,
    pub to: Kept,
    /// The running hash the earlier head arrives at, carried over the records.
    pub carried: String,
}

impl std::fmt::Display for Inconsistent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q = &self.to.head;
        if q.position == 0 {
            return write!(
                f,
                "log position 0: the head at 0 ({}, signed at {}, {}) carries a running hash \
                 where the log's start carries \"\" (no record before position 1): it is not a \
                 head of any log",
                q.hash, q.at, self.to.from
            );
        }
        let (p, first) = match &self.from {
            Some(k) => (
                k.head.position,
                format!(
                    "the head at {} ({}, signed at {}, {})",
                    k.head.position, k.head.hash, k.head.at, k.from
                ),
            ),
            None => (0, "the log's start (position 0)".to_string()),
        };
        let between = match p.saturating_add(1) {
            next if next == q.position => format!("position {next}"),
            next => format!("positions {next}-{}", q.position),
        };
        write!(
            f,
            "log positions {p}-{}: {first} and the head at {} ({}, signed at {}, {}) are not of \
             one log: the running hash carried from the first over the records given for \
             {between} is {}, not the second's: the gateway signed two histories, or its log \
             changed after it signed the earlier head (a record damaged or removed since: \
             `tongban verify --heads` on the log names it); the heads and the records pages are \
             all signed by the gateway: keep them, they are the proof",
            q.position,
            q.position,
            q.hash,
            q.at,
            self.to.from,
            match self.carried.as_str() {
                "" => "\"\"",
                carried => carried,
            }
        )
    }
}

/// Records to fetch: the positions after `after` up to `to`, which no records page given
/// covers, between consecutive positions heads name that the records given do not join. Written
/// alike by the audit script, as one request: every page of it, saved in a file given with
/// `--records`, joins those heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fetch {
    pub after: u64,
    pub to: u64,
    /// Between the log's start (position 0, the running hash "") and the lowest head past 0:
    /// not needed to compare the heads with each other (the log's start is no party's head, so
    /// it vouches for none); it adds checking the lowest head against the log's start.
    pub optional: bool,
}

impl std::fmt::Display for Fetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let first = self.after.saturating_add(1);
        let positions = match first == self.to {
            true => format!("log position {first}"),
            false => format!("log positions {first}-{}", self.to),
        };
        match self.optional {
            false => write!(
                f,
                "fetch GET /v1/log/records?after={}&to={} (every page, following `next`; give \
                 the file with --records): the records given do not cover {positions}, between \
                 positions saved heads name",
                self.after, self.to
            ),
            true => write!(
                f,
                "fetch GET /v1/log/records?after={}&to={} (optional; every page, following \
                 `next`; give the file with --records): the records given do not cover \
                 {positions}, from the log's start to the lowest head: not needed to compare \
                 the heads with each other, it checks the lowest head against the log's start \
                 (position 0, running hash \"\")",
                self.after, self.to
            ),
        }
    }
}

/// The lines naming `fetch`, as `tongban heads` and the audit script print them: the stretches
/// needed first, then the optional ones (see [`Fetch::optional`]), each kind at most `shown` of
/// them, then one line for the rest of that kind, with one request covering all of them.
pub fn fetch_lines(fetch: &[Fetch], shown: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for optional in [false, true] {
        let kind: Vec<&Fetch> = fetch.iter().filter(|f| f.optional == optional).collect();
        lines.extend(kind.iter().take(shown).map(ToString::to_string));
        if let (Some(first), Some(last)) = (kind.first(), kind.last())
            && kind.len() > shown
        {
            lines.push(format!(
                "… and {} more{} stretch(es) to fetch: GET /v1/log/records?after={}&to={} \
                 covers every one",
                kind.len() - shown,
                if optional { " optional" } else { "" },
                first.after,
                last.to
            ));
        }
    }
    lines
}

/// What comparing trusted heads among themselves found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compared {
    /// The heads compared.
    pub heads: usize,
    /// Positions two heads or more name, whose heads could be compared.
    pub shared: usize,
    /// Consecutive positions held by heads (the log's start counting as one at 0) that the
    /// records given join: every position between covered.
    pub joined: usize,
    /// Consecutive positions held by heads that the records given do not join.
    pub unjoined: usize,
    /// Heads compared with another party's (another file's): at their position, or joined to
    /// it over records, through a stretch of joined positions.
    pub compared: usize,
    /// The heads (past position 0) compared with no other party's head.
    pub alone: Vec<Kept>,
    /// The records to fetch to join the pairs not joined, in position order, stretches that
    /// meet (and are alike needed or optional) taken as one: the pair from the log's start to
    /// the lowest head past 0 optional, the others needed.
    pub to_fetch: Vec<Fetch>,
    /// One per head whose running hash differs from the first head's at its position (so three
    /// histories at one position are two findings).
    pub forks: Vec<Forked>,
    /// One per hash at a position that the first head of the position before, carried forward
    /// over the records, does not arrive at.
    pub inconsistent: Vec<Inconsistent>,
}

impl Compared {
    /// How many findings were made: forks, and heads the one before does not arrive at.
    pub fn found(&self) -> usize {
        self.forks.len() + self.inconsistent.len()
    }
}

/// Compares `trusted` (heads whose signatures verified) position by position: every head at a
/// position must carry the first one's running hash there; and, where `records` cover every
/// position between two consecutive positions held by heads, the first head at the earlier one
/// carried forward over them must arrive at each head's hash at the later one.
pub fn compare(trusted: &[Kept], records: &Records) -> Compared {
    let mut by_position: BTreeMap<u64, Vec<&Kept>> = BTreeMap::new();
    // Every file holding each head: a copy of a head another file holds (heads exchanged
    // between parties) is the same head, named by its first occurrence; it compares nothing.
    let mut holders: BTreeMap<(u64, &str, &str, &str), Vec<&str>> = BTreeMap::new();
    for kept in trusted {
        let files = holders.entry(identity(kept)).or_default();
        if files.is_empty() {
            by_position
                .entry(kept.head.position)
                .or_default()
                .push(kept);
        }
        if !files.contains(&kept.file.as_str()) {
            files.push(&kept.file);
        }
    }
    let mut compared = Compared {
        heads: trusted.len(),
        ..Compared::default()
    };
    // The head before, to carry forward: the log's start at first (position 0, hash "").
    let mut before: (Option<&Kept>, Running) = (None, Running::default());
    // Heads joined to each other, position after position: each stretch's parties.
    let mut stretches: Vec<Vec<&Kept>> = vec![Vec::new()];
    for (position, heads) in &by_position {
        let Some((first, rest)) = heads.split_first() else {
            continue;
        };
        if *position == 0 {
            // Every log starts from "": a head at 0 says nothing, or is of no log.
            for head in heads.iter().filter(|h| !h.head.hash.is_empty()) {
                compared.inconsistent.push(Inconsistent {
                    from: None,
                    to: (*head).clone(),
                    carried: String::new(),
                });
            }
            continue;
        }
        if records.covers(before.1.position, *position) {
            compared.joined += 1;
            let mut carried = before.1.clone();
            for (p, hash) in records.between(before.1.position, *position) {
                carried.take(p, hash);
            }
            let mut told: Vec<&str> = Vec::new();
            for head in heads {
                let hash = head.head.hash.as_str();
                if hash != carried.hash && !told.contains(&hash) {
                    told.push(hash);
                    compared.inconsistent.push(Inconsistent {
                        from: before.0.cloned(),
                        to: (*head).clone(),
                        carried: carried.hash.clone(),
                    });
                }
            }
        } else {
            compared.unjoined += 1;
            stretches.push(Vec::new());
            // From the log's start, the stretch only checks the lowest head against it.
            let optional = before.0.is_none();
            for (after, to) in records.uncovered(before.1.position, *position) {
                match compared.to_fetch.last_mut() {
                    Some(last) if last.to == after && last.optional == optional => last.to = to,
                    _ => compared.to_fetch.push(Fetch {
                        after,
                        to,
                        optional,
                    }),
                }
            }
        }
        if let Some(stretch) = stretches.last_mut() {
            stretch.extend(heads.iter().copied());
        }
        before = (
            Some(first),
            Running {
                position: *position,
                hash: first.head.hash.clone(),
            },
        );
        if rest.is_empty() {
            continue;
        }
        compared.shared += 1;
        // One finding per other history, not per head: the same forged head kept by ten
        // parties is one fork.
        let mut seen = vec![first.head.hash.as_str()];
        for other in rest {
            if !seen.contains(&other.head.hash.as_str()) {
                seen.push(&other.head.hash);
                compared.forks.push(Forked {
                    first: (*first).clone(),
                    other: (*other).clone(),
                });
            }
        }
    }
    // A head is compared when another party holds a head of its own at its position or later
    // in its stretch: that head's history passes through this one's position, with its hash.
    // A party whose heads stop earlier vouches for nothing after them; and only a head one file
    // alone holds is a party's own: a head in several files was copied from one to another,
    // and who fetched it no one can tell. Per stretch, each party's highest own head.
    for stretch in stretches {
        let mut highest: BTreeMap<&str, u64> = BTreeMap::new();
        for head in &stretch {
            if let Some([file]) = holders.get(&identity(head)).map(Vec::as_slice) {
                let at = highest.entry(file).or_default();
                *at = (*at).max(head.head.position);
            }
        }
        for head in stretch {
            let own = holders.get(&identity(head)).map_or(&[][..], Vec::as_slice);
            let vouched = highest
                .iter()
                .any(|(file, at)| !own.contains(file) && *at >= head.head.position);
            if vouched {
                compared.compared += 1;
            } else {
                compared.alone.push(head.clone());
            }
        }
    }
    compared
}

/// What makes a head the same head: what its signature is over, and the signature (`kid` is
/// not signed).
fn identity(k: &Kept) -> (u64, &str, &str, &str) {
    (
        k.head.position,
        k.head.hash.as_str(),
        k.head.at.as_str(),
        k.head.sig.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_gateway::envelope::GatewayKey;
    use tongban_gateway::log::head_hash::SignedHead;

    fn h(c: char) -> String {
        c.to_string().repeat(64)
    }

    /// A head over `events`, signed at a time of its own (two heads of one history are two
    /// signatures, as a gateway gives them: only a copy of one is the same head).
    fn kept(events: &[(u64, char)], from: &str, key: &GatewayKey) -> Kept {
        static SIGNED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SIGNED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut r = Running::default();
        for (p, c) in events {
            r.take(*p, &h(*c));
        }
        let at = format!("2026-12-06T07:{:02}:{:02}.000Z", n / 60 % 60, n % 60);
        Kept {
            head: SignedHead::sign(&r, &at, key),
            from: from.into(),
            file: from.split(" line ").next().unwrap_or(from).into(),
        }
    }

    /// The records of `events` after `after` up to `to`, as one page of GET /v1/log/records
    /// signed by the gateway's key of these tests.
    fn records(events: &[(u64, char)], after: u64, to: u64) -> Records {
        let key = GatewayKey::from_seed([3; 32]);
        let listed: Vec<(u64, String)> = events
            .iter()
            .filter(|(p, _)| *p > after && *p <= to)
            .map(|(p, c)| (*p, h(*c)))
            .collect();
        let page = super::super::records::tests::signed_page(after, to, None, &listed, &key);
        let mut r = Records::default();
        r.read(&page.to_string(), "records.json", &key.public())
            .expect("page");
        assert!(r.unsigned.is_empty());
        r
    }

    /// Given heads kept by two provinces of one log, at shared and other positions, when they are
    /// compared without records, then nothing is found and only the heads at the shared position
    /// are compared with the other province's; with the records from the start, every head is,
    /// through the stretch of joined positions, but the one at 5, past every head the other
    /// province kept; with records from position 2 on, the head at 1 is not either.
    #[test]
    fn heads_of_one_log_agree() {
        let key = GatewayKey::from_seed([3; 32]);
        let log = [(1, 'a'), (2, 'b'), (5, 'c')];
        let heads = [
            kept(&log[..2], "zj.jsonl line 1", &key),
            kept(&log, "zj.jsonl line 2", &key),
            kept(&log[..2], "sh.jsonl line 1", &key),
            kept(&log[..1], "sh.jsonl line 2", &key),
        ];
        let compared = compare(&heads, &Records::default());
        assert_eq!(compared.found(), 0);
        assert_eq!(
            (
                compared.heads,
                compared.shared,
                compared.joined,
                compared.unjoined
            ),
            (4, 1, 0, 3)
        );
        assert_eq!(compared.compared, 2);
        let alone: Vec<&str> = compared.alone.iter().map(|k| k.from.as_str()).collect();
        assert_eq!(alone, ["sh.jsonl line 2", "zj.jsonl line 2"]);
        // The pairs 0-1, 1-2 and 2-5 not joined: 1-2 and 2-5, meeting, are one stretch to
        // fetch; 0-1, from the log's start, is apart and optional: the heads are compared with
        // each other without it.
        let need = |after, to| Fetch {
            after,
            to,
            optional: false,
        };
        let may = |after, to| Fetch {
            after,
            to,
            optional: true,
        };
        assert_eq!(compared.to_fetch, [may(0, 1), need(1, 5)]);
        assert_eq!(
            fetch_lines(&compared.to_fetch, 5),
            [
                "fetch GET /v1/log/records?after=1&to=5 (every page, following `next`; give the \
                 file with --records): the records given do not cover log positions 2-5, \
                 between positions saved heads name",
                "fetch GET /v1/log/records?after=0&to=1 (optional; every page, following \
                 `next`; give the file with --records): the records given do not cover log \
                 position 1, from the log's start to the lowest head: not needed to compare the \
                 heads with each other, it checks the lowest head against the log's start \
                 (position 0, running hash \"\")"
            ]
        );
        // Given them, the heads are compared as with every record (below): the start adds
        // nothing to that.
        let compared = compare(&heads, &records(&log, 1, 5));
        assert_eq!(compared.to_fetch, [may(0, 1)]);
        assert_eq!((compared.compared, compared.alone.len()), (3, 1));

        let compared = compare(&heads, &records(&log, 0, 5));
        assert_eq!((compared.joined, compared.unjoined), (3, 0));
        assert!(compared.to_fetch.is_empty());
        assert_eq!((compared.found(), compared.compared), (0, 3));
        let alone: Vec<&str> = compared.alone.iter().map(|k| k.from.as_str()).collect();
        assert_eq!(alone, ["zj.jsonl line 2"]);

        let compared = compare(&heads, &records(&log, 2, 5));
        assert_eq!((compared.joined, compared.unjoined), (1, 2));
        assert_eq!(compared.to_fetch, [may(0, 1), need(1, 2)]);
        assert!(
            compared.to_fetch[1]
                .to_string()
                .contains("cover log position 2,")
        );
        assert_eq!(compared.compared, 2);
        let alone: Vec<&str> = compared.alone.iter().map(|k| k.from.as_str()).collect();
        assert_eq!(alone, ["sh.jsonl line 2", "zj.jsonl line 2"]);

        // Records from 1 to 2 only: the pair 0-1 is not joined, the log's first position.
        let partial = compare(&heads, &records(&log, 1, 2));
        assert_eq!(partial.to_fetch, [may(0, 1), need(2, 5)]);
        assert!(
            partial.to_fetch[0]
                .to_string()
                .contains("cover log position 1,")
        );
        // Each kind is capped on its own.
        assert_eq!(fetch_lines(&partial.to_fetch, 1).len(), 2);

        // A later head of the other province at 5 vouches for all of them.
        let mut more = heads.to_vec();
        more.push(kept(&log, "sh.jsonl line 3", &key));
        let compared = compare(&more, &records(&log, 0, 5));
        assert_eq!((compared.found(), compared.compared), (0, 5));
        assert!(compared.alone.is_empty());
    }

    /// Given two provinces' heads at 50 and 55, when no records are given, then the records
    /// between the heads are needed and those from the log's start to 50 are named apart, as
    /// optional; with the records between given, only the optional stretch is left; with
    /// stretches between heads apart, each kind is named up to the cap, then one request.
    #[test]
    fn records_between_heads_are_needed_from_the_start_optional() {
        let key = GatewayKey::from_seed([3; 32]);
        let log: Vec<(u64, char)> = (1..=90).map(|p| (p, 'a')).collect();
        let heads = [
            kept(&log[..50], "zj.jsonl line 1", &key),
            kept(&log[..55], "sh.jsonl line 1", &key),
        ];
        let fetch = |records: &Records| -> Vec<(u64, u64, bool)> {
            compare(&heads, records)
                .to_fetch
                .iter()
                .map(|f| (f.after, f.to, f.optional))
                .collect()
        };
        assert_eq!(fetch(&Records::default()), [(0, 50, true), (50, 55, false)]);
        let between = records(&log, 50, 55);
        assert_eq!(fetch(&between), [(0, 50, true)]);
        // Compared as with every record: the head at 50 with the other party's at 55.
        let compared = compare(&heads, &between);
        assert_eq!((compared.found(), compared.compared), (0, 1));
        assert_eq!(compare(&heads, &records(&log, 0, 55)).to_fetch, []);

        // Heads at 10, 20, … 90, records covering 11-15, 21-25, …: the five needed stretches
        // 15-20, …, 55-60 named, then one request for the rest; the optional stretch apart.
        let heads: Vec<Kept> = (1..=9)
            .map(|n| kept(&log[..n * 10], &format!("p{n}.jsonl line 1"), &key))
            .collect();
        let mut given = Records::default();
        for n in 1..=8u64 {
            let listed: Vec<(u64, String)> =
                (n * 10 + 1..=n * 10 + 5).map(|p| (p, h('a'))).collect();
            let page = super::super::records::tests::signed_page(
                n * 10,
                n * 10 + 5,
                None,
                &listed,
                &GatewayKey::from_seed([3; 32]),
            );
            given
                .read(&page.to_string(), "records.json", &key.public())
                .expect("page");
        }
        let compared = compare(&heads, &given);
        let lines = fetch_lines(&compared.to_fetch, 5);
        assert_eq!(lines.len(), 7, "{lines:#?}");
        assert!(lines[0].starts_with("fetch GET /v1/log/records?after=15&to=20 (every page"));
        assert!(lines[4].starts_with("fetch GET /v1/log/records?after=55&to=60 (every page"));
        assert_eq!(
            lines[5],
            "… and 3 more stretch(es) to fetch: GET /v1/log/records?after=15&to=90 covers every one"
        );
        assert!(lines[6].starts_with("fetch GET /v1/log/records?after=0&to=10 (optional;"));
    }

    /// Given a head one province kept and handed to another, which keeps it in its own file, then
    /// the copy is the same head: it compares nothing.
    #[test]
    fn a_copy_of_another_partys_head_compares_nothing() {
        let key = GatewayKey::from_seed([3; 32]);
        let log = [(1, 'a'), (2, 'b')];
        let mine = kept(&log, "zj.jsonl line 1", &key);
        let mut copy = mine.clone();
        copy.from = "sh.jsonl line 1".into();
        copy.file = "sh.jsonl".into();
        // `kid` is not signed: a copy with it edited is still the same head.
        copy.head.kid = "edited".into();
        let compared = compare(&[mine.clone(), copy.clone()], &records(&log, 0, 2));
        assert_eq!(
            (compared.shared, compared.compared, compared.alone.len()),
            (0, 0, 1)
        );

        // One party with two heads at 2, the other holding a copy of one of them: whatever the
        // order the files are read in, the copy vouches for neither.
        let mine_too = kept(&log, "zj.jsonl line 2", &key);
        for order in [
            vec![mine.clone(), mine_too.clone(), copy.clone()],
            vec![copy.clone(), mine.clone(), mine_too.clone()],
        ] {
            let compared = compare(&order, &records(&log, 0, 2));
            assert_eq!(compared.compared, 0, "{order:?}");
            assert_eq!(compared.alone.len(), 2, "{order:?}");
        }
    }

    /// Given one province's heads only, joined by records from the start (which the gateway
    /// served that same province), then none is compared with another party's: the records join
    /// them, and nothing shows whether another party was shown the same history.
    #[test]
    fn one_partys_heads_are_compared_with_no_one() {
        let key = GatewayKey::from_seed([3; 32]);
        let log = [(1, 'a'), (2, 'b'), (5, 'c')];
        let heads = [
            kept(&log[..2], "zj.jsonl line 1", &key),
            kept(&log, "zj.jsonl line 2", &key),
        ];
        let compared = compare(&heads, &records(&log, 0, 5));
        assert_eq!((compared.joined, compared.found()), (2, 0));
        assert_eq!((compared.compared, compared.alone.len()), (0, 2));
    }

    /// Given a head at position 0 with the empty hash, then it says nothing and is compared with
    /// nothing; one with another hash is of no log, whatever else is given.
    #[test]
    fn a_head_at_position_0_must_carry_the_empty_hash() {
        let key = GatewayKey::from_seed([3; 32]);
        let log = [(1, 'a')];
        let start = kept(&[], "zj.jsonl line 1", &key);
        assert_eq!(start.head.hash, "");
        let honest = [start.clone(), kept(&log, "sh.jsonl line 1", &key)];
        let compared = compare(&honest, &records(&log, 0, 1));
        assert_eq!((compared.found(), compared.alone.len()), (0, 1));
        let mut forged = start.clone();
        forged.head = SignedHead::sign(
            &Running {
                position: 0,
                hash: h('a'),
            },
            "2026-12-06T07:00:00.000Z",
            &key,
        );
        let compared = compare(&[forged.clone()], &Records::default());
        assert_eq!(compared.inconsistent.len(), 1);
        let line = compared.inconsistent[0].to_string();
        assert!(
            line.starts_with(&format!(
                "log position 0: the head at 0 ({}, signed at 2026-12-06T07:00:00.000Z, \
                 zj.jsonl line 1) carries a running hash where the log's start carries \"\"",
                h('a')
            )),
            "{line}"
        );
    }

    /// Given a gateway that showed one province a log and another province a log with position 2
    /// changed, when their heads at position 5 are compared, then the fork is named with both
    /// heads and where each was read; a third party holding the first history adds nothing, a
    /// third history is a second finding.
    #[test]
    fn two_histories_signed_at_one_position_are_a_fork() {
        let key = GatewayKey::from_seed([3; 32]);
        let shown_zj = [(1, 'a'), (2, 'b'), (5, 'c')];
        let shown_sh = [(1, 'a'), (2, 'x'), (5, 'c')];
        let shown_ah = [(1, 'a'), (2, 'y'), (5, 'c')];
        let zj = kept(&shown_zj, "zj.jsonl line 4", &key);
        let sh = kept(&shown_sh, "sh.jsonl line 9", &key);
        let compared = compare(
            &[
                zj.clone(),
                sh.clone(),
                kept(&shown_zj, "auditor.jsonl line 1", &key),
                kept(&shown_ah, "ah.jsonl line 2", &key),
            ],
            &Records::default(),
        );
        assert_eq!(compared.shared, 1);
        assert_eq!(compared.forks.len(), 2, "{compared:?}");
        assert_eq!(
            compared.forks[0],
            Forked {
                first: zj.clone(),
                other: sh.clone()
            }
        );
        let line = compared.forks[0].to_string();
        assert!(
            line.starts_with("log position 5: two heads signed by the gateway")
                && line.contains(&format!(
                    "{} (signed at {}, zj.jsonl line 4)",
                    zj.head.hash, zj.head.at
                ))
                && line.contains(&format!(
                    "{} (signed at {}, sh.jsonl line 9)",
                    sh.head.hash, sh.head.at
                )),
            "{line}"
        );
        assert_eq!(compared.forks[1].other.from, "ah.jsonl line 2");
    }

    /// Given a gateway that showed one province a history up to 4 and another a different one
    /// from position 2 on, each signing heads at positions the other never holds (so no position
    /// is shared and no fork shows), when the heads are compared with the records of the first
    /// history, then the second's head is found inconsistent with the first's before it, naming
    /// both and the hash carried; with the second history's records, the first's head is.
    #[test]
    fn heads_at_different_positions_of_two_histories_are_not_joined_by_any_records() {
        let key = GatewayKey::from_seed([4; 32]);
        let zj_log = [(1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')];
        let sh_log = [(1, 'a'), (2, 'e'), (3, 'f'), (4, '9')];
        let zj = kept(&zj_log[..2], "zj.jsonl line 1", &key);
        let sh = kept(&sh_log[..3], "sh.jsonl line 1", &key);
        let zj_later = kept(&zj_log, "zj.jsonl line 2", &key);
        let heads = [zj.clone(), sh.clone(), zj_later.clone()];
        assert!(compare(&heads, &Records::default()).forks.is_empty());

        let compared = compare(&heads, &records(&zj_log, 0, 4));
        assert_eq!((compared.joined, compared.shared), (3, 0));
        // 2 → 3 fails (sh's head is not zj's history carried); 3 → 4 is carried from sh's
        // head, which zj's later head is not either.
        assert_eq!(compared.inconsistent.len(), 2, "{compared:?}");
        assert_eq!(compared.inconsistent[0].from, Some(zj.clone()));
        assert_eq!(compared.inconsistent[0].to, sh);
        let mut carried = Running::default();
        for (p, c) in &zj_log[..3] {
            carried.take(*p, &h(*c));
        }
        assert_eq!(compared.inconsistent[0].carried, carried.hash);
        let line = compared.inconsistent[0].to_string();
        assert!(
            line.starts_with(&format!(
                "log positions 2-3: the head at 2 ({}, signed at {}, zj.jsonl line 1) and the \
                 head at 3 ({}, signed at {}, sh.jsonl line 1) are not of one log",
                zj.head.hash, zj.head.at, sh.head.hash, sh.head.at
            )) && line.contains(&format!("records given for position 3 is {}", carried.hash)),
            "{line}"
        );
        // From the log's start with the other history's records: zj's first head fails.
        let compared = compare(&heads, &records(&sh_log, 0, 2));
        assert_eq!((compared.joined, compared.unjoined), (1, 2));
        assert_eq!(compared.inconsistent.len(), 1);
        assert!(
            compared.inconsistent[0]
                .to_string()
                .starts_with("log positions 0-2: the log's start (position 0) and the head at 2"),
            "{}",
            compared.inconsistent[0]
        );
    }
}
