//! Entry points for fuzzing: the code paths that take bytes from outside, each as one pure
//! function of those bytes, so the cargo-fuzz targets (`fuzz/`) and the stable short fuzz test
//! (`gateway/tests/short_fuzz.rs`) drive exactly what the gateway runs, without sockets or disk.
//!
//! Each returns whether the input was accepted; the property under test is that none of them
//! panics (or overflows its stack) on any input, and that a refusal is always a typed problem.

use crate::domain::{Action, Event};
use crate::envelope::Envelope;
use crate::http::{actions, body};
use crate::service::{SubmitRequest, prepare_submission};

/// The submission body path: content type, UTF-8, depth, JSON syntax, string and materials
/// limits, the request schema, then every check a submission passes before the log (key, digest,
/// structural rules, the matter's own schema and identifier validators), as region `region`.
pub fn submission(
    content_type: Option<&str>,
    bytes: &[u8],
    region: &str,
    key: Option<&str>,
) -> bool {
    let Ok(value) = body::intake(content_type, bytes) else {
        return false;
    };
    let Ok(request) = body::typed::<SubmitRequest>(value) else {
        return false;
    };
    prepare_submission(region, request, key).is_ok()
}

/// An action's body path: intake, then the action's payload schema. `which` picks the action.
pub fn action(which: u8, content_type: Option<&str>, bytes: &[u8]) -> bool {
    let action = Action::ALL[usize::from(which) % Action::ALL.len()];
    let Ok(value) = body::intake(content_type, bytes) else {
        return false;
    };
    actions::parse(action, value).is_ok()
}

/// The event decoder, as every reader of the log runs it (projections, replay, verification):
/// each line of `bytes` is an envelope; each is decoded with its typed payload and checked as the
/// streaming verifier does, against the previous line's `(seq, hash)` (so hostile seqs and hashes
/// meet the chain arithmetic too). Returns how many envelopes decoded.
pub fn events(bytes: &[u8]) -> usize {
    let key = fuzz_key();
    let mut previous: Option<(u64, String)> = None;
    let mut decoded = 0;
    for line in bytes.split(|b| *b == b'\n') {
        let Ok(envelope) = Envelope::from_json(line) else {
            continue;
        };
        let _ = envelope.verify_after(previous.as_ref().map(|(s, h)| (*s, h.as_str())), &key);
        if Event::decode(&envelope.kind, &envelope.data).is_ok() {
            decoded += 1;
        }
        previous = Some((envelope.seq, envelope.hash.clone()));
    }
    decoded
}

/// The fixed key fuzz inputs are verified against (and seeds are sealed with).
pub fn fuzz_key() -> crate::envelope::PublicKey {
    fuzz_signing_key().public()
}

/// The signing key of [`fuzz_key`], for sealing seed envelopes.
pub fn fuzz_signing_key() -> crate::envelope::GatewayKey {
    crate::envelope::GatewayKey::from_seed([7; 32])
}
