//! Which of an application's events a state shown may be folded from: the chain they sign, in
//! seq order from seq 1, as far as every event's link and seal hold. One rule for every state
//! the operators' tools show (`replay`, `dispute`, the evidence page, `/replay`, at any point):
//! an event whose hash does not recompute, whose signature does not verify, that does not link
//! to the event of the seq before, or that another event claims the seq of, is not counted, nor
//! is any event after it. A state folded past it would be one the gateway may never have had
//! (a decision rewritten in place, an approval forged and appended). Such events are still
//! shown, as evidence, each marked as not counted ([`Left`]).
//!
//! The judgement is the verifiers' ([`Envelope::verify_after`], and [`twins`] for two events
//! under one seal), so the state shown stops where `verify --app` finds the first break in seq
//! order. Events stored out of their order are taken in seq order: where all are there and
//! their chain is intact in seq order, the history they sign is whole.

use serde::Serialize;
use tongban_gateway::envelope::stored::{Twin, twins};
use tongban_gateway::envelope::{ChainError, Envelope, PublicKey};

/// Where an application's events stop forming one chain that verifies, in seq order: a seq
/// missing, two different events claiming one seq, an event whose `prev_hash` is not its
/// predecessor's hash, or whose own hash or signature does not verify. Nothing from there on is
/// folded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainStop {
    /// The last seq folded (0: not even the first).
    pub after: u64,
    pub reason: String,
    /// The same, in Chinese, for the evidence page (which is in Chinese throughout).
    #[serde(skip)]
    pub reason_zh: String,
}

/// Why an event given is not counted in the state shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Left {
    /// A second copy of an event counted (the same seq, hash and content).
    Copy,
    /// Another content under the seal (seq and hash) of an event counted: its own hash or
    /// signature does not verify.
    Rewritten,
    /// The chain breaks at it: its seal or link fails, or another event claims its seq.
    BreaksHere,
    /// The chain is broken before it.
    AfterBreak,
}

impl Left {
    /// As the command line says it, in a timeline's row.
    pub fn said(self) -> &'static str {
        match self {
            Left::Copy => "not counted: a second copy of an event counted",
            Left::Rewritten => {
                "not counted: another content under the seq and hash of an event counted (its \
                 own hash or signature does not verify)"
            }
            Left::BreaksHere => "not counted: the chain breaks here",
            Left::AfterBreak => "not counted: the chain is broken before it",
        }
    }

    /// As the evidence page says it, in the row's status column.
    pub fn said_zh(self) -> &'static str {
        match self {
            Left::Copy => "重复副本，未计入",
            Left::Rewritten => "沿用已计入事件的序号与哈希改写而成，校验不通过，未计入",
            Left::BreaksHere => "证据链在此断开，未计入",
            Left::AfterBreak => "证据链断开，未计入",
        }
    }
}

/// `events` (one application, in any order: the log's positions or its seqs) judged as the chain
/// they sign ([`in_chain_order`]).
#[derive(Debug)]
pub struct Chain<'a> {
    /// The events counted, in seq order from seq 1, each with its index in the events given.
    pub counted: Vec<(usize, &'a Envelope)>,
    /// Where the chain stops verifying, if it does.
    pub stop: Option<ChainStop>,
    /// Every other event given, with its index and why it is not counted, in seq order.
    pub left: Vec<(usize, &'a Envelope, Left)>,
}

/// `events` as the chain they sign, from seq 1 on, by seq: one of each group of events under one
/// seal (the one whose own seal holds, [`twins`]), each checked after the one before it
/// ([`Envelope::verify_after`]: seq, `prev_hash`, hash and signature under `key`), up to the
/// first that fails, or that another event claims the seq of (neither claimant is counted: which
/// one the gateway appended, the chain cannot tell). An intact history comes back whole.
pub fn in_chain_order<'a>(events: &'a [Envelope], key: &PublicKey) -> Chain<'a> {
    let all: Vec<&Envelope> = events.iter().collect();
    let twinned = twins(&all, key, |_| false);
    let mut sorted: Vec<(usize, &Envelope)> = events
        .iter()
        .enumerate()
        .filter(|(i, _)| twinned.get(*i).is_some_and(Option::is_none))
        .collect();
    sorted.sort_by_key(|(_, e)| e.seq);
    let mut counted: Vec<(usize, &Envelope)> = Vec::with_capacity(sorted.len());
    let mut stop = None;
    for (k, &(i, e)) in sorted.iter().enumerate() {
        let previous = counted.last().map(|(_, p)| (p.seq, p.hash.as_str()));
        // Two different events under one seq: neither is counted.
        let claimed = sorted
            .get(k + 1)
            .filter(|(_, next)| next.seq == e.seq && e.seq == next_seq(previous))
            .map(|(_, next)| next.hash.as_str());
        let broken = match claimed {
            Some(other) => Some(two_claim(e, other)),
            None => e
                .verify_after(previous, key)
                .err()
                .map(|error| said(e, previous, &error)),
        };
        if let Some((reason, reason_zh)) = broken {
            let after = previous.map_or(0, |(seq, _)| seq);
            stop = Some(ChainStop {
                after,
                reason,
                reason_zh,
            });
            break;
        }
        counted.push((i, e));
    }
    let mut is_counted = vec![false; events.len()];
    for &(i, _) in &counted {
        if let Some(mark) = is_counted.get_mut(i) {
            *mark = true;
        }
    }
    let mut left: Vec<(usize, &Envelope, Left)> = events
        .iter()
        .enumerate()
        .filter(|(i, _)| !is_counted.get(*i).copied().unwrap_or(false))
        .map(|(i, e)| {
            let before_stop = stop.as_ref().is_none_or(|s| e.seq <= s.after);
            let why = match (twinned.get(i).cloned().flatten(), &stop) {
                (Some(Twin::Copy { .. }), _) if before_stop => Left::Copy,
                (Some(Twin::Rewritten(_)), _) if before_stop => Left::Rewritten,
                (_, Some(s)) if e.seq <= s.after.saturating_add(1) => Left::BreaksHere,
                _ => Left::AfterBreak,
            };
            (i, e, why)
        })
        .collect();
    left.sort_by_key(|&(i, e, _)| (e.seq, i));
    Chain {
        counted,
        stop,
        left,
    }
}

/// The seq the chain expects after `previous` (1 at the start).
fn next_seq(previous: Option<(u64, &str)>) -> u64 {
    previous.map_or(1, |(seq, _)| seq.saturating_add(1))
}

/// Two different events claiming `e`'s seq, in both languages.
fn two_claim(e: &Envelope, other: &str) -> (String, String) {
    (
        format!(
            "two different events claim seq {} (hashes {} and {other}); neither is folded",
            e.seq, e.hash
        ),
        format!(
            "两个不同的事件都标为第 {} 号（哈希 {} 与 {other}），均不计入",
            e.seq, e.hash
        ),
    )
}

/// Why `e` does not follow `previous` (seq, hash), in both languages.
fn said(e: &Envelope, previous: Option<(u64, &str)>, error: &ChainError) -> (String, String) {
    let expected = next_seq(previous);
    let before = previous.map_or(0, |(seq, _)| seq);
    let seq = e.seq;
    match error {
        ChainError::SeqGap { .. } if seq > expected => (
            format!("seq {expected} is missing (the next event is seq {seq})"),
            format!("缺少第 {expected} 号事件（下一个事件为第 {seq} 号）"),
        ),
        ChainError::SeqGap { .. } => (
            format!("seq {seq} follows seq {before}; expected {expected}"),
            format!("第 {seq} 号事件紧接在第 {before} 号之后，应为第 {expected} 号"),
        ),
        ChainError::PrevHash { .. } => (
            format!(
                "seq {seq} does not follow seq {before}: its prev_hash is not that event's hash"
            ),
            format!(
                "第 {seq} 号事件的上一哈希（prev_hash）不是第 {before} 号事件的哈希，二者不相衔接"
            ),
        ),
        ChainError::Hash { expected, found } => (
            format!(
                "seq {seq}'s hash is {found}, recomputed {expected}: its content was changed \
                 after it was sealed"
            ),
            format!(
                "第 {seq} 号事件记录的哈希为 {found}，按事件内容重新计算为 {expected}：封存后内容被改动"
            ),
        ),
        ChainError::Signature => (
            format!(
                "seq {seq}'s signature does not verify under the key the chain is checked with"
            ),
            format!("第 {seq} 号事件的签名无法用核对所用的公钥验证"),
        ),
        ChainError::SigFormat(form) => (
            format!("seq {seq}'s sig is not 128 lowercase hex digits: {form}"),
            format!(
                "第 {seq} 号事件的签名（sig）不是 128 位小写十六进制数字（{form}）：事件已被改动"
            ),
        ),
        other => (
            format!("seq {seq}: {other}"),
            format!("第 {seq} 号事件：{other}"),
        ),
    }
}
