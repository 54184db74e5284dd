//! The event decoder: envelopes (one per line), their typed payloads, and the streaming chain
//! check against the previous line (seq arithmetic, hash recomputation, signature).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tongban_gateway::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::events(data);
});
