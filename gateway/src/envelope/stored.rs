//! How an application's events, as the log stores them, link into its chain: each after the
//! one stored before it, or, where they are a whole chain intact in seq order stored in another
//! order, with the fewest events named out of their place ([`ChainError::Displaced`]). One
//! judgement for every reader that checks stored events: `tongban verify --app`, `replay`,
//! `dispute`, the evidence page, and the refusal of `GET /v1/applications/{id}/events`.

use super::{ChainError, Envelope, PublicKey};

/// Each of an application's events as stored, with the log position it was read at, judged: a
/// second copy of an event read before (its seq and hash) is [`ChainError::Copy`], naming where
/// the first is, and left out of the chain; the others are linked by [`link_stored`]. What the
/// refusal of `/events` and the whole-log `verify`'s second look at an application say.
pub fn judge_stored(events: &[(u64, &Envelope)], key: &PublicKey) -> Vec<Result<(), ChainError>> {
    let mut first: std::collections::HashMap<(u64, &str), u64> = std::collections::HashMap::new();
    let copies: Vec<Option<u64>> = events
        .iter()
        .map(
            |&(position, e)| match first.get(&(e.seq, e.hash.as_str())) {
                Some(&of) => Some(of),
                None => {
                    first.insert((e.seq, e.hash.as_str()), position);
                    None
                }
            },
        )
        .collect();
    let chained: Vec<&Envelope> = events
        .iter()
        .zip(&copies)
        .filter(|(_, copy)| copy.is_none())
        .map(|(&(_, e), _)| e)
        .collect();
    let mut links = link_stored(&chained, key).0.into_iter();
    copies
        .into_iter()
        .map(|copy| match copy {
            Some(of) => Err(ChainError::Copy { of: Some(of) }),
            None => links.next().unwrap_or(Ok(())),
        })
        .collect()
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
    use super::longest_increasing;

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
