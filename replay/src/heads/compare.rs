//! Saved log heads compared among themselves, without the log (`tongban heads FILE...`,
//! `docs/audit/verify_chain.py --heads A --heads B`).
//!
//! Why: a head only proves what the log was to whoever kept it. A gateway (or whoever holds its
//! key) can sign one history to one province and another to another — a split view — and each
//! province's heads are then reproduced by the log it is shown. Certificate Transparency answers
//! this with gossip: parties exchange the heads they keep. Two heads the gateway signed naming
//! one position with different running hashes cannot both be of one log: they are the proof,
//! and nobody needs the log to see it. Heads at different positions say nothing of each other
//! (a running hash cannot be extended without the events between), so a party that holds
//! another's head at position N asks the gateway for its head at N
//! (`GET /v1/log/head?position=N`) and compares the two here.
//!
//! Only heads whose signature verifies under the checking key are compared: anyone can write an
//! unsigned line, so a disagreement with one proves nothing.

use std::collections::BTreeMap;

use super::Kept;

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

/// What comparing trusted heads among themselves found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Compared {
    /// The heads compared.
    pub heads: usize,
    /// Positions two heads or more name, whose heads could be compared.
    pub shared: usize,
    /// Positions named by one head only: compared with nothing here.
    pub alone: usize,
    /// One per head whose running hash differs from the first head's at its position (so three
    /// histories at one position are two findings).
    pub forks: Vec<Forked>,
}

/// Compares `trusted` (heads whose signatures verified) position by position: every head at a
/// position must carry the first one's running hash there.
pub fn compare(trusted: &[Kept]) -> Compared {
    let mut by_position: BTreeMap<u64, Vec<&Kept>> = BTreeMap::new();
    for kept in trusted {
        by_position
            .entry(kept.head.position)
            .or_default()
            .push(kept);
    }
    let mut compared = Compared {
        heads: trusted.len(),
        ..Compared::default()
    };
    for heads in by_position.values() {
        let Some((first, rest)) = heads.split_first() else {
            continue;
        };
        if rest.is_empty() {
            compared.alone += 1;
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
    compared
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_gateway::envelope::GatewayKey;
    use tongban_gateway::log::head_hash::{Running, SignedHead};

    fn kept(events: &[(u64, &str)], from: &str, key: &GatewayKey) -> Kept {
        let mut r = Running::default();
        for (p, h) in events {
            r.take(*p, h);
        }
        Kept {
            head: SignedHead::sign(&r, "2026-12-06T07:00:00.000Z", key),
            from: from.into(),
        }
    }

    /// Given heads kept by two provinces of one log, at shared and other positions, when they are
    /// compared, then nothing is found, and the counts say what could be compared.
    #[test]
    fn heads_of_one_log_agree() {
        let key = GatewayKey::from_seed([3; 32]);
        let log = [(1, "a"), (2, "b"), (5, "c")];
        let heads = [
            kept(&log[..2], "zj.jsonl line 1", &key),
            kept(&log, "zj.jsonl line 2", &key),
            kept(&log[..2], "sh.jsonl line 1", &key),
            kept(&log[..1], "sh.jsonl line 2", &key),
        ];
        let compared = compare(&heads);
        assert_eq!(
            compared,
            Compared {
                heads: 4,
                shared: 1,
                alone: 2,
                forks: vec![]
            }
        );
    }

    /// Given a gateway that showed one province a log and another province a log with position 2
    /// changed, when their heads at position 5 are compared, then the fork is named with both
    /// heads and where each was read; a third party holding the first history adds nothing, a
    /// third history is a second finding.
    #[test]
    fn two_histories_signed_at_one_position_are_a_fork() {
        let key = GatewayKey::from_seed([3; 32]);
        let shown_zj = [(1, "a"), (2, "b"), (5, "c")];
        let shown_sh = [(1, "a"), (2, "x"), (5, "c")];
        let shown_ah = [(1, "a"), (2, "y"), (5, "c")];
        let zj = kept(&shown_zj, "zj.jsonl line 4", &key);
        let sh = kept(&shown_sh, "sh.jsonl line 9", &key);
        let compared = compare(&[
            zj.clone(),
            sh.clone(),
            kept(&shown_zj, "auditor.jsonl line 1", &key),
            kept(&shown_ah, "ah.jsonl line 2", &key),
        ]);
        assert_eq!((compared.shared, compared.alone), (1, 0));
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
}
