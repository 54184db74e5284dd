//! An action's body path: intake and the action's payload schema. The first input byte picks the
//! action, the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tongban_gateway::fuzzing;

fuzz_target!(|data: &[u8]| {
    let Some((which, body)) = data.split_first() else {
        return;
    };
    fuzzing::action(*which, Some("application/json"), body);
});
