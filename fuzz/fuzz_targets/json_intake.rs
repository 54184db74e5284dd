//! The submission body path: content type, UTF-8, depth, JSON, limits, request schema, structural
//! rules and the matter's schema with its identifier validators. The first input byte picks the
//! content type and the submitting region, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tongban_gateway::fuzzing;

const CONTENT_TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    None,
];
const REGIONS: [&str; 4] = ["310000", "440000", "330000", "999999"];

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else {
        return;
    };
    let content_type = CONTENT_TYPES[usize::from(selector & 3)];
    let region = REGIONS[usize::from((selector >> 2) & 3)];
    let key = if selector & 16 == 0 {
        None
    } else {
        Some("fuzz-key")
    };
    fuzzing::submission(content_type, body, region, key);
});
