//! How an application's events, as the log stores them, link into its chain: each after the
//! one stored before it, or, where they are a whole chain intact in seq order stored in another
//! order, with the fewest events named out of their place ([`ChainError::Displaced`]). One
//! judgement for every reader that checks stored events: `tongban verify --app`, `replay`,
//! `dispute`, the evidence page, and the refusal of `GET /v1/applications/{id}/events`.

use super::{ChainError, Envelope, PublicKey};

/// Each of an application's events as stored, with the log position it was read at, judged: a
/// second event under the seal (seq and hash) of one read before is left out of the chain
/// ([`twins`]: a copy, naming where the one kept is, or rewritten, by what its seal says); the
/// others are linked by [`link_stored`]. What the refusal of `/events` and the whole-log
/// `verify`'s second look at an application say.
pub fn judge_stored(events: &[(u64, &Envelope)], key: &PublicKey) -> Vec<Result<(), ChainError>> {
    let envelopes: Vec<&Envelope> = events.iter().map(|&(_, e)| e).collect();
    let outside = twins(&envelopes, key, |_| false);
    let chained: Vec<&Envelope> = envelopes
        .iter()
        .zip(&outside)
        .filter(|(_, out)| out.is_none())
        .map(|(&e, _)| e)
        .collect();
    let mut links = link_stored(&chained, key).0.into_iter();
    outside
        .into_iter()
        .map(|out| match out {
            Some(twin) => Err(twin.error(|kept| events.get(kept).map(|&(p, _)| p))),
            None => links.next().unwrap_or(Ok(())),
        })
        .collect()
}

/// Why an event stored under the seal (seq and hash) of another is left out of the chain.
#[derive(Debug, Clone, PartialEq)]
pub enum Twin {
    /// The same event stored again: the one kept (in the chain) is at this index.
    Copy { kept: usize },
    /// Another content under the seal: what its own seal says (its hash, its signature).
    Rewritten(ChainError),
}

impl Twin {
    /// The twin as a break, the kept one's index turned into its log position by `at`.
    pub fn error(self, at: impl Fn(usize) -> Option<u64>) -> ChainError {
        match self {
            Twin::Copy { kept } => ChainError::Copy { of: at(kept) },
            Twin::Rewritten(found) => found,
        }
    }
}

/// Of one application's events as stored, those under the same seal (seq and hash) as another:
/// one of each such group is kept in the chain, the others are left out of it, each said as a
/// [`Twin`]. The one kept is the first whose own seal holds (its hash recomputes, its signature
/// verifies) and that `indexed` names (where the log's index places the event), else the first
/// whose seal holds, else the first. A twin whose seal holds too is a copy; one whose seal does
/// not is an event rewritten under a seal it does not match. Without that, a rewritten event
/// stored beside the genuine one was said to be a harmless "second copy", never checked.
pub fn twins(
    events: &[&Envelope],
    key: &PublicKey,
    indexed: impl Fn(usize) -> bool,
) -> Vec<Option<Twin>> {
    let mut groups: std::collections::HashMap<(u64, &str), Vec<usize>> =
        std::collections::HashMap::new();
    for (i, e) in events.iter().enumerate() {
        groups.entry((e.seq, e.hash.as_str())).or_default().push(i);
    }
    let mut out: Vec<Option<Twin>> = vec![None; events.len()];
    for group in groups.values().filter(|g| g.len() > 1) {
        let seals: Vec<Option<ChainError>> = group
            .iter()
            .map(|&i| events.get(i).and_then(|e| e.seal_error(key)))
            .collect();
        let holds = |k: usize| seals.get(k).is_some_and(Option::is_none);
        let kept = (0..group.len())
            .find(|&k| holds(k) && group.get(k).is_some_and(|&i| indexed(i)))
            .or_else(|| (0..group.len()).find(|&k| holds(k)))
            .unwrap_or(0);
        let kept_at = group.get(kept).copied().unwrap_or_default();
        for (k, (&i, seal)) in group.iter().zip(seals).enumerate() {
            if k == kept {
                continue;
            }
            if let Some(slot) = out.get_mut(i) {
                *slot = Some(match seal {
                    None => Twin::Copy { kept: kept_at },
                    Some(found) => Twin::Rewritten(found),
                });
            }
        }
    }
    out
}

/// Each event's link, and the index of the event the chain ends with ([`link_stored`]).
pub type Linked = (Vec<Result<(), ChainError>>, Option<usize>);

/// One application's events, in the order stored (copies and other applications' events left
/// out), linked into its chain: each checked against the one stored before it. But where they
/// are seqs 1 to n, each once, each linked and signed after the event of the seq before, and
/// only stored in another order (two in each other's places, one moved), the events out of
/// place are said so ([`ChainError::Displaced`]) and the rest link: checked one after the
/// other, the events around each would read as gaps, and a gap says events are missing when
/// all are there. The fewest events are called out of place: those off the longest run stored
/// in seq order. Returns each event's link and the index of the event the chain ends with.
pub fn link_stored(events: &[&Envelope], key: &PublicKey) -> Linked {
    if let Some(displaced) = displaced(events, key) {
        return displaced;
    }
    let links = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let previous = i
                .checked_sub(1)
                .and_then(|j| events.get(j))
                .map(|p| (p.seq, p.hash.as_str()));
            e.verify_after(previous, key)
        })
        .collect();
    (links, events.len().checked_sub(1))
}

/// [`link_stored`] for events that are a whole, intact chain stored out of its order; `None`
/// when they are not (stored in order, a seq missing or twice, a link or seal broken).
fn displaced(events: &[&Envelope], key: &PublicKey) -> Option<Linked> {
    let in_order = |(i, e): (usize, &&Envelope)| usize::try_from(e.seq).ok() == i.checked_add(1);
    if events.iter().enumerate().all(in_order) {
        return None;
    }
    // Where the event of each seq is stored; every slot filled once, or it is no whole chain.
    let mut by_seq: Vec<Option<usize>> = vec![None; events.len()];
    for (i, e) in events.iter().enumerate() {
        let slot = usize::try_from(e.seq)
            .ok()
            .and_then(|seq| seq.checked_sub(1))
            .and_then(|s| by_seq.get_mut(s))?;
        if slot.replace(i).is_some() {
            return None;
        }
    }
    let mut previous: Option<(u64, &str)> = None;
    for &i in &by_seq {
        let e = events.get(i?)?;
        e.verify_after(previous, key).ok()?;
        previous = Some((e.seq, e.hash.as_str()));
    }
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    let in_place = longest_increasing(&seqs);
    let links = in_place
        .iter()
        .enumerate()
        .map(|(i, &kept)| match kept {
            true => Ok(()),
            false => Err(ChainError::Displaced {
                after: i.checked_sub(1).and_then(|j| seqs.get(j)).copied(),
                before: seqs.get(i + 1).copied(),
            }),
        })
        .collect();
    Some((links, by_seq.last().copied().flatten()))
}

/// Which of `values` make up a longest strictly increasing run of them (not necessarily next to
/// each other), in O(n log n).
fn longest_increasing(values: &[u64]) -> Vec<bool> {
    // ends[k]: the index of the smallest value a run of length k + 1 ends with so far.
    let mut ends: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; values.len()];
    for (i, v) in values.iter().enumerate() {
        let k = ends.partition_point(|&e| values.get(e).is_some_and(|w| w < v));
        if let Some(slot) = before.get_mut(i) {
            *slot = k.checked_sub(1).and_then(|p| ends.get(p)).copied();
        }
        match ends.get_mut(k) {
            Some(end) => *end = i,
            None => ends.push(i),
        }
    }
    let mut kept = vec![false; values.len()];
    let mut at = ends.last().copied();
    while let Some(i) = at {
        if let Some(k) = kept.get_mut(i) {
            *k = true;
        }
        at = before.get(i).copied().flatten();
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::{Twin, longest_increasing, twins};
    use crate::envelope::{ChainError, Envelope, GatewayKey};

    fn chain(key: &GatewayKey) -> Vec<Envelope> {
        let each = ["application.submitted", "application.forwarded"]
            .map(|kind| (kind, serde_json::json!({"materials_checked": true})));
        crate::testutil::sealed_chain(key, "app-1", each)
    }

    /// Given an event stored twice, once as sealed and once with its data rewritten under the
    /// same seal, in either order, when their twins are judged, then the genuine one is kept
    /// and the rewritten one is said by its hash; an identical second copy is a copy of the one
    /// kept, and where the index places one of two equal copies, that one is kept.
    #[test]
    fn a_rewritten_event_under_anothers_seal_is_not_called_a_copy() {
        let key = GatewayKey::from_seed([7; 32]);
        let public = key.public();
        let events = chain(&key);
        let mut rewritten = events[1].clone();
        rewritten.data = serde_json::json!({"materials_checked": false});
        for (stored, genuine, bad) in [
            (vec![&events[0], &events[1], &rewritten], 1, 2),
            (vec![&events[0], &rewritten, &events[1]], 2, 1),
        ] {
            let judged = twins(&stored, &public, |_| false);
            assert_eq!(judged[0], None);
            assert_eq!(judged[genuine], None);
            assert!(
                matches!(&judged[bad], Some(Twin::Rewritten(ChainError::Hash { .. }))),
                "{judged:?}"
            );
        }
        let copies = vec![&events[0], &events[1], &events[1]];
        assert_eq!(
            twins(&copies, &public, |_| false),
            [None, None, Some(Twin::Copy { kept: 1 })]
        );
        assert_eq!(
            twins(&copies, &public, |i| i == 2),
            [None, Some(Twin::Copy { kept: 2 }), None]
        );
    }

    #[test]
    fn the_longest_increasing_run_is_found() {
        assert_eq!(longest_increasing(&[]), Vec::<bool>::new());
        assert_eq!(longest_increasing(&[1, 2, 3]), [true, true, true]);
        assert_eq!(
            longest_increasing(&[2, 3, 4, 5, 1]),
            [true, true, true, true, false]
        );
        assert_eq!(
            longest_increasing(&[1, 3, 4, 2, 5]),
            [true, true, true, false, true]
        );
        let kept = longest_increasing(&[3, 1, 2]);
        assert_eq!(kept, [false, true, true]);
    }
}
