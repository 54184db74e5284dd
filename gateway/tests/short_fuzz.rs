//! A short fuzz run on stable Rust, so CI needs no nightly: a few thousand inputs per entry point,
//! generated from real seeds (the published matter examples, action bodies, sealed events) by a
//! seeded, hand-rolled mutator — byte-level (bit flips, inserted JSON tokens, cut and duplicated
//! ranges) and structural (a random node of the parsed JSON replaced by a hostile value) — through
//! the same entry points as the cargo-fuzz targets in `fuzz/`. The property: no panic, ever.
//!
//! Longer runs: `cargo +nightly fuzz run <target>` in `fuzz/` (see SECURITY.md). To reproduce a
//! failure here, the message names the seed and iteration; `TONGBAN_FUZZ_SEED` and
//! `TONGBAN_FUZZ_ITERATIONS` change them.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde_json::{Value, json};
use tongban_gateway::domain::Action;
use tongban_gateway::envelope::Envelope;
use tongban_gateway::fuzzing;

/// xorshift64*: tiny, deterministic, good enough to pick mutations.
use tongban_schemas::xorshift::XorShift as Rng;

const TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ":",
    ",",
    "\\",
    "\\u",
    "\\ud800",
    "\\u0000",
    "null",
    "true",
    "-0",
    "1e999",
    "-1e-999",
    "18446744073709551616",
    "9007199254740993",
    "0.1e",
    "NaN",
    "\u{0}",
    "\u{feff}",
    "𠀀",
    "長",
    "\u{202e}",
    "\r\n",
    "\t",
    " ",
];

fn hostile(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(u64::MAX),
        3 => json!(i64::MIN),
        4 => json!(1e308),
        5 => json!(-0.0),
        6 => json!(""),
        7 => json!("𠀀\u{0}\u{202e}\\\"/"),
        8 => json!("x".repeat(64 * 1024 + 1)),
        9 => json!([]),
        10 => json!({}),
        11 => json!(vec![json!({"kind": "k", "name": "n"}); 101]),
        12 => {
            let mut v = json!(1);
            for _ in 0..rng.below(40) {
                v = json!([v]);
            }
            v
        }
        13 => json!("11010519491231002X"),
        14 => json!("91110000600037341L"),
        _ => json!(rng.next_u64().to_string()),
    }
}

/// Replaces, removes or adds one node somewhere in `v`.
fn mutate_value(v: &mut Value, rng: &mut Rng, depth: usize) {
    let descend = depth < 12 && rng.below(3) != 0;
    match v {
        Value::Object(map) if !map.is_empty() && descend => {
            let keys: Vec<String> = map.keys().cloned().collect();
            let key = rng.pick(&keys).clone();
            match rng.below(8) {
                0 => {
                    map.remove(&key);
                }
                1 => {
                    map.insert(format!("unknown_{}", rng.below(100)), hostile(rng));
                }
                _ => {
                    if let Some(child) = map.get_mut(&key) {
                        mutate_value(child, rng, depth + 1);
                    }
                }
            }
        }
        Value::Array(items) if !items.is_empty() && descend => {
            let i = rng.below(items.len());
            match rng.below(6) {
                0 => {
                    items.remove(i);
                }
                1 => {
                    let copy = items[i].clone();
                    items.push(copy);
                }
                _ => mutate_value(&mut items[i], rng, depth + 1),
            }
        }
        _ => *v = hostile(rng),
    }
}

fn mutate_bytes(input: &mut Vec<u8>, rng: &mut Rng) {
    let len = input.len();
    match rng.below(7) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 => {
            let token = rng.pick(TOKENS).as_bytes().to_vec();
            let at = rng.below(len + 1);
            input.splice(at..at, token);
        }
        2 if len > 0 => {
            let a = rng.below(len);
            let b = (a + rng.below(32) + 1).min(len);
            input.drain(a..b);
        }
        3 if len > 0 => {
            let a = rng.below(len);
            let b = (a + rng.below(64) + 1).min(len);
            let chunk = input[a..b].to_vec();
            let at = rng.below(input.len() + 1);
            input.splice(at..at, chunk);
        }
        4 if len > 0 => input.truncate(rng.below(len)),
        5 => {
            let at = rng.below(len + 1);
            let byte = (rng.next_u64() & 0xff) as u8;
            input.insert(at, byte);
        }
        _ => {
            let at = rng.below(len + 1);
            let brackets = "[".repeat(rng.below(64));
            input.splice(at..at, brackets.into_bytes());
        }
    }
}

/// One input from a seed: structural mutations of its JSON, then byte mutations, either or both.
fn generate(seed: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut out = seed.to_vec();
    if rng.below(3) != 0
        && let Ok(mut v) = serde_json::from_slice::<Value>(seed)
    {
        for _ in 0..=rng.below(3) {
            mutate_value(&mut v, rng, 0);
        }
        out = serde_json::to_vec(&v).unwrap_or_default();
    }
    if rng.below(2) == 0 {
        for _ in 0..=rng.below(4) {
            mutate_bytes(&mut out, rng);
        }
    }
    out
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `target` on `iterations` inputs generated from `seeds`; a panic fails with the input.
fn run(name: &str, seeds: &[Vec<u8>], iterations: u64, target: impl Fn(&[u8], &mut Rng)) {
    let seed = setting("TONGBAN_FUZZ_SEED", 0x7043_6261_6e21);
    let mut rng = Rng(seed ^ name.len() as u64 ^ 0x9E37_79B9_7F4A_7C15);
    // Seeds themselves first: they must not panic either.
    let mut pool: Vec<Vec<u8>> = seeds.to_vec();
    for i in 0..iterations {
        let input = if (i as usize) < seeds.len() {
            seeds[i as usize].clone()
        } else {
            let base = rng.pick(&pool).clone();
            generate(&base, &mut rng)
        };
        let mut inner = Rng(rng.next_u64() | 1);
        if catch_unwind(AssertUnwindSafe(|| target(&input, &mut inner))).is_err() {
            let shown: String = String::from_utf8_lossy(&input).chars().take(2000).collect();
            panic!("{name}: panic at iteration {i} (TONGBAN_FUZZ_SEED={seed}) on input:\n{shown}");
        }
        // Keep a few mutants that still parse as JSON, so mutations compound.
        if pool.len() < 256 && serde_json::from_slice::<Value>(&input).is_ok() {
            pool.push(input);
        }
    }
}

fn examples() -> Vec<Value> {
    tongban_schemas::matters::all()
        .iter()
        .map(|m| m.example())
        .collect()
}

const CONTENT_TYPES: &[Option<&str>] = &[
    Some("application/json"),
    Some("application/json; charset=utf-8"),
    Some("application/problem+json"),
    Some("text/plain"),
    None,
];

#[test]
fn submission_intake_never_panics() {
    let examples = examples();
    let seeds: Vec<Vec<u8>> = examples
        .iter()
        .map(|e| e.to_string().into_bytes())
        .collect();
    let origins: Vec<String> = examples
        .iter()
        .filter_map(|e| e["origin"].as_str().map(str::to_string))
        .chain(["".to_string(), "999999".to_string()])
        .collect();
    // The unmutated examples are accepted: the run starts from inputs that reach every check.
    for (e, origin) in examples.iter().zip(&origins) {
        assert!(
            fuzzing::submission(
                Some("application/json"),
                e.to_string().as_bytes(),
                origin,
                Some("k")
            ),
            "example for {} refused",
            e["matter"]
        );
    }
    let iterations = setting("TONGBAN_FUZZ_ITERATIONS", 3000);
    run("submission", &seeds, iterations, |input, rng| {
        let content_type = *rng.pick(CONTENT_TYPES);
        let region = rng.pick(&origins).clone();
        let key = *rng.pick(&[None, Some("k"), Some(""), Some("\u{7f}")]);
        fuzzing::submission(content_type, input, &region, key);
    });
}

#[test]
fn action_intake_never_panics() {
    let bodies = [
        json!({"materials_checked": true, "note": "已核验"}),
        json!({"reference": "YS-2026-0001"}),
        json!({"reason": "不属于受理范围"}),
        json!({"items": ["近期免冠照片"], "note": "一次性告知"}),
        json!({"materials": [{"kind": "photo", "name": "照片"}], "note": "已补齐"}),
        json!({"kind": "hearing", "reason": "听证"}),
        json!({"licence": {"kind": "社会保障卡", "number": "SSC-0001"}}),
        json!({"channel": "window"}),
        json!({}),
    ];
    let seeds: Vec<Vec<u8>> = bodies.iter().map(|b| b.to_string().into_bytes()).collect();
    let iterations = setting("TONGBAN_FUZZ_ITERATIONS", 3000);
    run("action", &seeds, iterations, |input, rng| {
        let which = (rng.next_u64() % Action::ALL.len() as u64) as u8;
        fuzzing::action(which, *rng.pick(CONTENT_TYPES), input);
    });
}

/// Sealed, chained events of one application: a submission and its forwarding.
fn sealed_events() -> Vec<Envelope> {
    let key = fuzzing::fuzz_signing_key();
    let example = examples().remove(0);
    let origin = example["origin"].as_str().unwrap_or_default().to_string();
    let request: tongban_gateway::service::SubmitRequest =
        serde_json::from_value(example).expect("example is a request");
    let (event, _, _) =
        tongban_gateway::service::prepare_submission(&origin, request, None).expect("example");
    let app = "0190f0c4-0000-7000-8000-0000000000f0".to_string();
    let mut first = Envelope {
        id: "0190f0c4-0000-7000-8000-0000000000f1".into(),
        app: app.clone(),
        seq: 1,
        kind: event.type_name().into(),
        schema: format!("{}/1", event.type_name()),
        region: origin.clone(),
        actor: format!("{origin}/fuzz"),
        at: "2026-01-05T09:00:00.000Z".into(),
        data: event.data(),
        prev_hash: String::new(),
        hash: String::new(),
        sig: String::new(),
    };
    first.seal(&key);
    let mut second = Envelope {
        id: "0190f0c4-0000-7000-8000-0000000000f2".into(),
        seq: 2,
        kind: "application.forwarded".into(),
        schema: "application.forwarded/1".into(),
        data: json!({"materials_checked": true}),
        prev_hash: first.hash.clone(),
        ..first.clone()
    };
    second.seal(&key);
    vec![first, second]
}

#[test]
fn event_decoding_never_panics() {
    let events = sealed_events();
    let line = |e: &Envelope| String::from_utf8(e.to_json().expect("encode")).expect("utf-8");
    let chain = format!("{}\n{}", line(&events[0]), line(&events[1]));
    // The genuine chain decodes and verifies in full.
    assert_eq!(fuzzing::events(chain.as_bytes()), 2);
    let mut overflow: Value =
        serde_json::from_slice(&events[0].to_json().expect("encode")).expect("json");
    overflow["seq"] = json!(u64::MAX);
    let seeds = vec![
        line(&events[0]).into_bytes(),
        line(&events[1]).into_bytes(),
        chain.into_bytes(),
        format!("{overflow}\n{}", line(&events[1])).into_bytes(),
    ];
    let iterations = setting("TONGBAN_FUZZ_ITERATIONS", 3000);
    run("events", &seeds, iterations, |input, _| {
        fuzzing::events(input);
    });
}
