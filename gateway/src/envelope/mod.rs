//! The event envelope: the contract other parties verify.
//!
//! ```text
//! {"id","app","seq","type","schema","region","actor","at","data","prev_hash","hash","sig"}
//! ```
//! `seq` counts from 1 per application; `prev_hash` is the previous event's `hash` ("" for seq 1);
//! `hash` is the lowercase hex SHA-256 of the RFC 8785 canonical JSON of the envelope without
//! `hash` and `sig`; `sig` is the gateway's Ed25519 signature over the ASCII bytes of `hash`, as
//! lowercase hex. Anyone holding the log and the public key can recheck every link.

pub mod jcs;
pub mod keys;
pub mod stored;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use keys::{GatewayKey, KeyRefusal, PublicKey};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// Event id (UUIDv7); also the NATS `Nats-Msg-Id`.
    pub id: String,
    /// Application id.
    pub app: String,
    /// 1-based position within the application.
    pub seq: u64,
    /// Event type, e.g. `application.accepted`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `<subject>/<version>` of `data` in the schema registry.
    pub schema: String,
    /// GB/T 2260 code of the region that acted.
    pub region: String,
    /// The authenticated principal that acted (token id within the region).
    pub actor: String,
    /// When the gateway accepted the command (RFC 3339, UTC).
    pub at: String,
    /// The event payload.
    pub data: Value,
    /// The previous event's hash; empty for seq 1.
    pub prev_hash: String,
    pub hash: String,
    pub sig: String,
}

/// What a broken link looks like.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("seq {found} follows seq {previous}; expected {}", match previous.checked_add(1) {
        Some(next) => next.to_string(),
        None => "none (no seq follows the largest there is)".to_string(),
    })]
    SeqGap { previous: u64, found: u64 },
    #[error("prev_hash is {found:?}, expected {expected:?}")]
    PrevHash { expected: String, found: String },
    /// Said with what it means, as the operators' tools say it (an auditor read the bare hashes
    /// as a puzzle where the evidence page said the content was changed).
    #[error("hash is {found}, recomputed {expected}: its content was changed after it was sealed")]
    Hash { expected: String, found: String },
    #[error("signature does not verify under the gateway key")]
    Signature,
    /// `sig` is not written as the contract writes it (128 lowercase hex digits): a changed
    /// event, whatever the key; told apart from a signature that does not verify, which may be
    /// the mark of another key.
    #[error("sig is not 128 lowercase hex digits: {0}")]
    SigFormat(SigForm),
    #[error("event belongs to application {found}, expected {expected}")]
    WrongApp { expected: String, found: String },
    /// Sealed and signed, yet not readable as its type says: the gateway could not have sealed
    /// it so, or its stored bytes were rewritten without changing their canonical form (an
    /// integer written as `102400.0`, which the hash does not tell apart). Either way the log
    /// cannot be replayed past it.
    #[error("the event does not read as its type: {0}")]
    Undecodable(String),
    /// The same event (its seq and hash) already read at another place: stored twice. Left out
    /// of the chain's check, so that the events around it are not blamed for it.
    #[error("a second copy of this event (the same seq and hash){}: left out of the chain", match of {
        Some(p) => format!(", the one kept at log position {p}"),
        None => String::new(),
    })]
    Copy { of: Option<u64> },
    /// Sealed, signed and linked to the event of the seq before it, but stored out of that
    /// order: between the events of seq `after` and `before` as the log keeps them (`None`: it
    /// is stored first, or last). The application's events are all there, each once, and their
    /// chain is intact in seq order; the order the log keeps them in was changed (two stored in
    /// each other's places, one moved). Told apart from a gap, which would say events are
    /// missing.
    #[error("stored {}, out of its place in seq order (none of the application's events is missing and their chain is intact in seq order; the log's order of them was changed)", match (after, before) {
        (Some(a), Some(b)) => format!("between seq {a} and seq {b}"),
        (Some(a), None) => format!("last, after seq {a}"),
        (None, Some(b)) => format!("first, before seq {b}"),
        (None, None) => "alone".to_string(),
    })]
    Displaced {
        after: Option<u64>,
        before: Option<u64>,
    },
}

/// How a `sig` departs from 128 lowercase hex digits ([`ChainError::SigFormat`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigForm {
    /// Another length than 128 (what the length is).
    Length(usize),
    /// Hex digits in upper case at this character (1-based).
    UpperCase(usize),
    /// A character that is no hex digit at this character (1-based).
    NotHex(usize),
}

impl SigForm {
    /// How `sig` departs from the contract's form (`None`: 128 lowercase hex digits).
    pub fn of(sig: &str) -> Option<SigForm> {
        let bytes = sig.as_bytes();
        if let Some(i) = bytes.iter().position(|b| !b.is_ascii_hexdigit()) {
            return Some(SigForm::NotHex(i + 1));
        }
        if let Some(i) = bytes.iter().position(|b| b.is_ascii_uppercase()) {
            return Some(SigForm::UpperCase(i + 1));
        }
        (bytes.len() != 128).then_some(SigForm::Length(bytes.len()))
    }
}

impl std::fmt::Display for SigForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SigForm::Length(n) => write!(f, "it has {n} characters"),
            SigForm::UpperCase(i) => write!(f, "character {i} is an upper-case hex digit"),
            SigForm::NotHex(i) => write!(f, "character {i} is not a hex digit"),
        }
    }
}

/// What the author of an event decides; its place in the chain (`id`, `seq`, `prev_hash`) and
/// its seal (`hash`, `sig`) follow from the previous event and the gateway key.
#[derive(Debug, Clone, PartialEq)]
pub struct Content {
    pub kind: String,
    pub schema: String,
    pub region: String,
    pub actor: String,
    pub at: String,
    pub data: Value,
}

/// Where an application's chain ends: the seq and hash of its last event, all that the next
/// event is sealed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip<'a> {
    pub seq: u64,
    pub hash: &'a str,
}

impl Envelope {
    /// Whether a submission names `region` as its origin or a handler, read from its raw data
    /// (`None`: it names neither in a form that reads): for the readers of the whole log that
    /// decide which region an event is about without folding it (the statistics as of an
    /// instant, reconciliation's look at a submission this build cannot read).
    pub fn submission_names(&self, region: &str) -> Option<bool> {
        let origin = self.data.get("origin").and_then(|o| o.as_str());
        let handlers = self.data.get("handlers").and_then(|h| h.as_array());
        if origin.is_none() && handlers.is_none() {
            return None;
        }
        Some(
            origin == Some(region)
                || handlers.is_some_and(|hs| hs.iter().any(|h| h.as_str() == Some(region))),
        )
    }

    /// The sealed event that follows `previous` (None: the application's first) in `app`.
    pub fn sealed_after(
        previous: Option<&Envelope>,
        app: &str,
        content: Content,
        key: &GatewayKey,
    ) -> Envelope {
        Envelope::sealed_on(previous.map(Envelope::tip), app, content, key)
    }

    /// The end of the chain this event makes.
    pub fn tip(&self) -> Tip<'_> {
        Tip {
            seq: self.seq,
            hash: &self.hash,
        }
    }

    /// The sealed event that follows the chain ending at `tip` (None: the application's first)
    /// in `app`.
    pub fn sealed_on(
        tip: Option<Tip<'_>>,
        app: &str,
        content: Content,
        key: &GatewayKey,
    ) -> Envelope {
        let mut envelope = Envelope {
            id: crate::ids::new_v7(),
            app: app.to_string(),
            seq: tip.map(|p| p.seq).unwrap_or(0) + 1,
            kind: content.kind,
            schema: content.schema,
            region: content.region,
            actor: content.actor,
            at: content.at,
            data: content.data,
            prev_hash: tip.map(|p| p.hash.to_string()).unwrap_or_default(),
            hash: String::new(),
            sig: String::new(),
        };
        envelope.seal(key);
        envelope
    }

    /// The canonical bytes the hash covers: the envelope without `hash` and `sig`.
    ///
    /// Written member by member in JCS order (names sorted by UTF-16 code units) rather than by
    /// copying the envelope into a `Value` first: sealing and verifying do this for every event,
    /// and the copy of `data` was most of its cost (see docs/performance.md, profiles).
    pub fn canonical_unsigned(&self) -> String {
        let mut out = String::with_capacity(2048);
        let text = |out: &mut String, name: &str, value: &str| {
            jcs::write_string(name, out);
            out.push(':');
            jcs::write_string(value, out);
            out.push(',');
        };
        out.push('{');
        text(&mut out, "actor", &self.actor);
        text(&mut out, "app", &self.app);
        text(&mut out, "at", &self.at);
        jcs::write_string("data", &mut out);
        out.push(':');
        jcs::write_value(&self.data, &mut out);
        out.push(',');
        text(&mut out, "id", &self.id);
        text(&mut out, "prev_hash", &self.prev_hash);
        text(&mut out, "region", &self.region);
        text(&mut out, "schema", &self.schema);
        jcs::write_string("seq", &mut out);
        out.push(':');
        jcs::write_value(&Value::from(self.seq), &mut out);
        out.push(',');
        jcs::write_string("type", &mut out);
        out.push(':');
        jcs::write_string(&self.kind, &mut out);
        out.push('}');
        out
    }

    /// [`Envelope::canonical_unsigned`] the slow, obvious way: the serialized envelope without
    /// `hash` and `sig`, canonicalized. Kept to check the fast one against.
    #[cfg(test)]
    fn canonical_unsigned_via_value(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut v {
            map.remove("hash");
            map.remove("sig");
        }
        jcs::canonicalize(&v)
    }

    pub fn compute_hash(&self) -> String {
        crate::hex::encode(&Sha256::digest(self.canonical_unsigned().as_bytes()))
    }

    /// Whether this is the same event as `other` stored again: the same seal (hash and
    /// signature) over content that canonicalizes the same. Compared canonically, not as
    /// parsed: a copy re-published with an integer written as a float (`2` as `2.0`) parses
    /// differently but hashes, and so is sealed, the same, and taking it for another event
    /// under the seq would say the key leaked where nothing but a copy was published.
    pub fn is_copy_of(&self, other: &Envelope) -> bool {
        self.hash == other.hash
            && self.sig == other.sig
            && self.compute_hash() == other.compute_hash()
    }

    /// Fills `hash` and `sig`.
    pub fn seal(&mut self, key: &GatewayKey) {
        self.hash = self.compute_hash();
        self.sig = key.sign_hash(&self.hash);
    }

    /// Checks this event as the successor of `previous` (None for the first event).
    pub fn verify_link(
        &self,
        previous: Option<&Envelope>,
        key: &PublicKey,
    ) -> Result<(), ChainError> {
        if let Some(p) = previous
            && p.app != self.app
        {
            return Err(ChainError::WrongApp {
                expected: p.app.clone(),
                found: self.app.clone(),
            });
        }
        self.verify_after(previous.map(|p| (p.seq, p.hash.as_str())), key)
    }

    /// Checks this event against its predecessor's `(seq, hash)` (None for the first event): what
    /// a streaming verifier remembers per application.
    pub fn verify_after(
        &self,
        previous: Option<(u64, &str)>,
        key: &PublicKey,
    ) -> Result<(), ChainError> {
        self.link_after(previous)?;
        match self.seal_error(key) {
            Some(found) => Err(found),
            None => Ok(()),
        }
    }

    /// [`Envelope::verify_link`] for an event whose signature something already vouches for:
    /// its application, seq and `prev_hash` as there, and its hash recomputed from its content,
    /// but its signature not checked ([`crate::service`]'s reads of a history the projections
    /// folded up to a hash they verified).
    pub fn verify_link_vouched(&self, previous: Option<&Envelope>) -> Result<(), ChainError> {
        if let Some(p) = previous
            && p.app != self.app
        {
            return Err(ChainError::WrongApp {
                expected: p.app.clone(),
                found: self.app.clone(),
            });
        }
        self.link_after(previous.map(|p| (p.seq, p.hash.as_str())))?;
        match self.hash_error() {
            Some(found) => Err(found),
            None => Ok(()),
        }
    }

    /// How this event fails to follow the one of `previous`'s seq and hash (None: it is the
    /// application's first): not the next seq, or `prev_hash` not that hash.
    fn link_after(&self, previous: Option<(u64, &str)>) -> Result<(), ChainError> {
        // A tampered log may carry any seq, u64::MAX included: no arithmetic that can overflow.
        let (previous_seq, want_prev) = match previous {
            Some((seq, hash)) => (seq, hash),
            None => (0, ""),
        };
        if previous_seq.checked_add(1) != Some(self.seq) {
            return Err(ChainError::SeqGap {
                previous: previous_seq,
                found: self.seq,
            });
        }
        if self.prev_hash != want_prev {
            return Err(ChainError::PrevHash {
                expected: want_prev.to_string(),
                found: self.prev_hash.clone(),
            });
        }
        Ok(())
    }

    /// How the event's `hash` departs from the hash of its content, if it does: the part of
    /// its seal a verified head leaves to be checked ([`crate::projections::verified`]).
    pub fn hash_error(&self) -> Option<ChainError> {
        let recomputed = self.compute_hash();
        (recomputed != self.hash).then(|| ChainError::Hash {
            expected: recomputed,
            found: self.hash.clone(),
        })
    }

    /// What is wrong with this event's own seal, whatever its place: its hash not that of its
    /// content, or its signature not the gateway's over that hash; `None` when it holds.
    pub fn seal_error(&self, key: &PublicKey) -> Option<ChainError> {
        if let Some(found) = self.hash_error() {
            return Some(found);
        }
        if let Some(form) = SigForm::of(&self.sig) {
            return Some(ChainError::SigFormat(form));
        }
        if !key.verify_hash(&self.hash, &self.sig) {
            return Some(ChainError::Signature);
        }
        None
    }

    /// The envelope as stored in the log. An error (which no envelope built by this crate
    /// causes) is returned rather than stored: an empty record at an acknowledged position would
    /// stop every reader of the log there.
    pub fn to_json(&self) -> Result<Vec<u8>, serde_json::Error> {
        serde_json::to_vec(self)
    }

    pub fn from_json(bytes: &[u8]) -> Result<Envelope, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// An event as a log stores it, or why its bytes are not one, in the envelope's own terms
    /// and without a value of its content. A `seq` holding a whole number written as a fraction
    /// or an exponent (`3.0`, `3e0`) has the same canonical form, so the same hash: its bytes
    /// were rewritten after sealing, which is said as such (as the verifiers say it of `data`),
    /// not as a type error at a column.
    pub fn from_stored(bytes: &[u8]) -> Result<Envelope, String> {
        Envelope::from_json(bytes).map_err(|e| {
            let seq = serde_json::from_slice::<Value>(bytes)
                .ok()
                .and_then(|v| v.get("seq").cloned());
            match seq {
                Some(Value::Number(n))
                    if n.as_u64().is_none()
                        && n.as_f64().is_some_and(|f| {
                            f.fract() == 0.0 && (1.0..=9_007_199_254_740_991.0).contains(&f)
                        }) =>
                {
                    format!(
                        "its seq is the whole number {n} written as a fraction or an exponent, \
                         where the gateway writes an integer: its stored bytes were rewritten \
                         after sealing (the hash does not tell the two forms apart); restore the \
                         event from a backup"
                    )
                }
                _ => tongban_schemas::mask::serde_error(&e),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Given a stored event whose seq was rewritten as `3.0` or `3e0` (the same canonical form,
    /// so the same hash), when it is read, then the reason says the bytes were rewritten after
    /// sealing, naming `seq`, not a serde type error at a column; other damage keeps serde's
    /// masked words.
    #[test]
    fn a_seq_rewritten_as_a_fraction_is_said_to_be_rewritten() {
        let mut e = sample();
        e.seq = 3;
        let bytes = serde_json::to_string(&e).expect("json");
        assert!(Envelope::from_stored(bytes.as_bytes()).is_ok());
        for form in ["3.0", "3e0"] {
            let rewritten = bytes.replacen("\"seq\":3", &format!("\"seq\":{form}"), 1);
            assert_ne!(rewritten, bytes);
            let why = Envelope::from_stored(rewritten.as_bytes()).expect_err("rewritten");
            assert!(
                why.starts_with("its seq is the whole number")
                    && why.contains("rewritten after sealing"),
                "{why}"
            );
        }
        let why = Envelope::from_stored(b"{\"seq\": 3.5}").expect_err("no event");
        assert!(!why.contains("rewritten"), "{why}");
    }

    #[test]
    fn canonical_form_written_directly_equals_the_canonicalized_serialization() {
        let mut odd = sample();
        odd.actor = "440000/\u{7}\"引号\"/\u{1F600}".into();
        odd.data =
            json!({"z": 1.5e300, "é": [null, false, -0.0, 1e-7], "a\u{0}": {"b": "\u{2028}"}});
        odd.seq = u64::from(u32::MAX) * 3;
        odd.prev_hash = "ab".repeat(32);
        let key = GatewayKey::from_seed([3; 32]);
        let mut all = vec![sample(), odd];
        for i in 0..8 {
            all.extend(crate::sample::lifecycle(i, &key).unwrap());
        }
        for e in &all {
            assert_eq!(
                e.canonical_unsigned(),
                e.canonical_unsigned_via_value(),
                "{e:?}"
            );
        }
    }

    fn sample() -> Envelope {
        Envelope {
            id: "0190f0c4-0000-7000-8000-000000000001".into(),
            app: "0190f0c4-0000-7000-8000-0000000000aa".into(),
            seq: 1,
            kind: "application.forwarded".into(),
            schema: "application.forwarded/1".into(),
            region: "440000".into(),
            actor: "440000/t1".into(),
            at: "2026-11-23T01:02:03.004Z".into(),
            data: json!({"materials_checked": true}),
            prev_hash: String::new(),
            hash: String::new(),
            sig: String::new(),
        }
    }

    #[test]
    fn hash_is_sha256_of_the_canonical_envelope_without_hash_and_sig() {
        let mut e = sample();
        e.seal(&GatewayKey::from_seed([7; 32]));
        // Written out by hand: members sorted, no whitespace, no hash/sig.
        let by_hand = concat!(
            r#"{"actor":"440000/t1","app":"0190f0c4-0000-7000-8000-0000000000aa","at":"2026-11-23T01:02:03.004Z","#,
            r#""data":{"materials_checked":true},"id":"0190f0c4-0000-7000-8000-000000000001","prev_hash":"","#,
            r#""region":"440000","schema":"application.forwarded/1","seq":1,"type":"application.forwarded"}"#
        );
        assert_eq!(e.canonical_unsigned(), by_hand);
        assert_eq!(
            e.hash,
            crate::hex::encode(&Sha256::digest(by_hand.as_bytes()))
        );
        // The digest of that exact text, computed outside Rust (`printf '%s' … | sha256sum`).
        assert_eq!(
            e.hash,
            "a3fec3252b7622162abc472b0be1cd3d7f397e684ab47566584ecc030ffd97f2"
        );
    }

    /// Two sample events sealed under `key`, the second chained to the first.
    fn chain_of_two(key: &GatewayKey) -> (Envelope, Envelope) {
        let mut first = sample();
        first.seal(key);
        let mut second = sample();
        second.id = "0190f0c4-0000-7000-8000-000000000002".into();
        second.seq = 2;
        second.prev_hash = first.hash.clone();
        second.seal(key);
        (first, second)
    }

    /// Given an event whose `sig` is rewritten in capitals, cut to 64 digits or given a
    /// character that is no hex digit, when its link is checked, then it is said to be a `sig`
    /// not in the contract's form, saying how, and not a signature that does not verify under
    /// the key (which reads as the mark of another key). It was reported as the latter.
    #[test]
    fn a_sig_not_in_the_contracts_form_is_said_as_such() {
        let key = GatewayKey::from_seed([9; 32]);
        let public = key.public();
        let (first, second) = chain_of_two(&key);
        let mut upper = second.clone();
        upper.sig = upper.sig.to_uppercase();
        assert_eq!(
            upper.verify_link(Some(&first), &public),
            Err(ChainError::SigFormat(SigForm::UpperCase(
                upper
                    .sig
                    .find(|c: char| c.is_ascii_uppercase())
                    .expect("a letter")
                    + 1
            )))
        );
        let mut short = second.clone();
        short.sig.truncate(64);
        let broken = short.verify_link(Some(&first), &public);
        assert_eq!(broken, Err(ChainError::SigFormat(SigForm::Length(64))));
        assert_eq!(
            broken.map_err(|e| e.to_string()),
            Err("sig is not 128 lowercase hex digits: it has 64 characters".to_string())
        );
        let mut odd = second.clone();
        odd.sig.replace_range(0..1, "g");
        assert_eq!(
            odd.verify_link(Some(&first), &public),
            Err(ChainError::SigFormat(SigForm::NotHex(1)))
        );
    }

    #[test]
    fn verify_link_catches_each_kind_of_break() {
        let key = GatewayKey::from_seed([9; 32]);
        let public = key.public();
        let (first, second) = chain_of_two(&key);
        assert_eq!(first.verify_link(None, &public), Ok(()));
        assert_eq!(second.verify_link(Some(&first), &public), Ok(()));

        let mut tampered = second.clone();
        tampered.data = json!({"materials_checked": false});
        assert!(matches!(
            tampered.verify_link(Some(&first), &public),
            Err(ChainError::Hash { .. })
        ));

        let mut resealed = tampered.clone();
        resealed.seal(&GatewayKey::from_seed([1; 32]));
        assert_eq!(
            resealed.verify_link(Some(&first), &public),
            Err(ChainError::Signature)
        );

        let mut gap = second.clone();
        gap.seq = 3;
        assert!(matches!(
            gap.verify_link(Some(&first), &public),
            Err(ChainError::SeqGap { .. })
        ));

        let mut wrong_prev = second.clone();
        wrong_prev.prev_hash = "00".repeat(32);
        assert!(matches!(
            wrong_prev.verify_link(Some(&first), &public),
            Err(ChainError::PrevHash { .. })
        ));
    }

    #[test]
    fn envelope_json_has_the_contract_field_names() {
        let v = serde_json::to_value(sample()).expect("serialize");
        let mut names: Vec<&str> = v
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "actor",
                "app",
                "at",
                "data",
                "hash",
                "id",
                "prev_hash",
                "region",
                "schema",
                "seq",
                "sig",
                "type"
            ]
        );
    }
}
