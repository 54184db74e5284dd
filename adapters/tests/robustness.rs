//! Robustness: random and malformed local forms (wrong types, huge strings, deep nesting, invalid
//! encodings, broken XML, random bytes) must never panic and must come back as errors or as
//! canonical bodies that pass the canonical schema; and a round-trip property over random names,
//! dates and phones. A small hand-rolled generator with a fixed seed keeps runs reproducible.

use serde_json::{Value, json};
use tongban_adapters::spec::Format;
use tongban_adapters::{Adapter, Registry};

/// xorshift64*: deterministic, good enough to shuffle test inputs.
use tongban_schemas::xorshift::XorShift as Rng;

fn golden(a: &Adapter, which: &str) -> Vec<u8> {
    let ext = match (which, a.format) {
        ("canonical", _) => "json",
        (_, Format::Json) => "json",
        (_, Format::Xml) => "xml",
    };
    std::fs::read(format!(
        "{}/regions/{}/golden/{}.{which}.{ext}",
        env!("CARGO_MANIFEST_DIR"),
        a.region,
        a.matter.code
    ))
    .unwrap()
}

fn nasty(rng: &mut Rng) -> Value {
    match rng.below(12) {
        0 => Value::Null,
        1 => json!(true),
        2 => json!(-1),
        3 => json!(1.5e300),
        4 => json!([]),
        5 => json!({"x": {"y": [1, {"z": null}]}}),
        6 => Value::String("𬌗".repeat(50_000)),
        7 => Value::String("１２３４５６７８９０ＡＢＣ".into()),
        8 => Value::String("\u{0}\u{FFFF}\u{202E}<&>\"';|".into()),
        9 => {
            let mut v = json!("deep");
            for _ in 0..100 {
                v = json!({ "a": v });
            }
            v
        }
        10 => Value::String(String::new()),
        _ => Value::String(format!("{}", rng.next_u64())),
    }
}

/// Every path to a leaf or container in `v`.
fn paths(v: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let mut p = at.clone();
                p.push(k.clone());
                paths(x, p, out);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                let mut p = at.clone();
                p.push(i.to_string());
                paths(x, p, out);
            }
        }
        _ => {}
    }
}

fn at_mut<'v>(v: &'v mut Value, path: &[String]) -> Option<&'v mut Value> {
    let mut cur = v;
    for t in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => a.get_mut(t.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn mutate(rng: &mut Rng, v: &mut Value) {
    let mut all = Vec::new();
    paths(v, Vec::new(), &mut all);
    let path = rng.pick(&all).clone();
    match rng.below(3) {
        0 => {
            if let Some(x) = at_mut(v, &path) {
                *x = nasty(rng);
            }
        }
        1 => {
            if let Some((last, parent)) = path.split_last()
                && let Some(Value::Object(m)) = at_mut(v, parent)
            {
                m.remove(last);
            }
        }
        _ => {
            if let Some(Value::Object(m)) = at_mut(v, &path) {
                m.insert(format!("X{}", rng.next_u64() % 100), nasty(rng));
            }
        }
    }
}

fn must_not_panic(a: &Adapter, bytes: &[u8], content_type: Option<&str>) {
    let outcome = std::panic::catch_unwind(|| a.translate(bytes, content_type));
    match outcome {
        Err(_) => panic!(
            "{} panicked on {:?}",
            a.source,
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ),
        Ok(Ok(t)) => {
            assert!(a.matter.check_submission(&t.canonical).is_ok());
            let _ = a.render(&t.canonical);
        }
        Ok(Err(r)) => assert!(!r.problems.is_empty(), "a rejection lists its problems"),
    }
}

#[test]
fn mutated_and_malformed_forms_never_panic() {
    let registry = Registry::builtin().unwrap();
    let mut rng = Rng(0x7017_0BA4_2024);
    let mut rejected = 0;
    let mut runs = 0;
    for a in registry.all() {
        let local = golden(a, "local");
        let ct = a.content_type();
        let tree = a.read_local(&local, Some(&ct)).unwrap();
        for _ in 0..150 {
            let mut v = tree.clone();
            for _ in 0..=rng.below(4) {
                mutate(&mut rng, &mut v);
            }
            // Through the engine directly and, for JSON regions, through the bytes path too.
            let r = std::panic::catch_unwind(|| a.inbound(&v));
            let r = r.unwrap_or_else(|_| panic!("{} panicked on {v}", a.source));
            rejected += usize::from(r.is_err());
            if a.format == Format::Json {
                let bytes = serde_json::to_vec(&v).unwrap();
                must_not_panic(a, &bytes, None);
                // The bytes path (the JSON scanner) and the tree path (a view of the Value) read
                // the same form, so they answer alike — unless the text is too deep to read back.
                if serde_json::from_slice::<Value>(&bytes).is_ok() {
                    assert_eq!(a.translate(&bytes, None), r, "{}: {v}", a.source);
                }
            }
            runs += 1;
        }
        // Truncations, random bytes, bad encodings, deep nesting, wrong top-level types.
        for cut in (0..local.len()).step_by(local.len() / 40 + 1) {
            must_not_panic(a, &local[..cut], Some(&ct));
        }
        for _ in 0..30 {
            let n = rng.below(300);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next_u64() as u8).collect();
            must_not_panic(a, &bytes, Some(&ct));
            must_not_panic(a, &bytes, Some("application/xml; charset=GBK"));
            must_not_panic(a, &bytes, Some("application/json; charset=gb18030"));
        }
        for body in [
            "[".repeat(100_000),
            format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000)),
            "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<APPROVEDATAINFO>\u{FF}</APPROVEDATAINFO>"
                .into(),
            "null".into(),
            "42".into(),
            "\"text\"".into(),
            "[1,2,3]".into(),
            "<APPROVEDATAINFO><CLXX><CL>1</CL><CL><SXH>2</SXH></CL></CLXX></APPROVEDATAINFO>"
                .into(),
        ] {
            must_not_panic(a, body.as_bytes(), Some(&ct));
        }
        let huge = vec![b' '; 2 << 20];
        assert!(a.translate(&huge, Some(&ct)).is_err());
    }
    assert!(runs >= 18 * 150);
    assert!(
        rejected > runs / 2,
        "most mutations should be refused ({rejected}/{runs})"
    );
}

fn random_name(rng: &mut Rng) -> String {
    const CHARS: &[char] = &[
        '陳', '张', '欧', '阳', '黃', '志', '強', '𬌗', '𬱖', '娜', '李', '明', '司', '馬', '龍',
        '雪', '&', '<',
    ];
    let n = 2 + rng.below(4);
    (0..n).map(|_| *rng.pick(CHARS)).collect()
}

/// A random real date, yyyy-MM-dd, before 2010: as a start date, before every golden filing's
/// end date (the form rule `end-before-start`).
fn random_date(rng: &mut Rng) -> String {
    let y = 1950 + rng.below(60);
    let m = 1 + rng.below(12);
    let d = 1 + rng.below(28);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn random_canonical_values_round_trip_through_every_adapter() {
    let registry = Registry::builtin().unwrap();
    let mut rng = Rng(0x5EED);
    for a in registry.all() {
        let canonical: Value = serde_json::from_slice(&golden(a, "canonical")).unwrap();
        for _ in 0..40 {
            let mut c = canonical.clone();
            c["applicant"]["name"] = json!(random_name(&mut rng));
            if c["form"].get("start_date").is_some() {
                c["form"]["start_date"] = json!(random_date(&mut rng));
            }
            if c["applicant"].get("phone").is_some() {
                c["applicant"]["phone"] = json!(format!("13{:09}", rng.next_u64() % 1_000_000_000));
            }
            if let Some(Value::Array(ms)) = c.get_mut("materials") {
                for m in ms {
                    m["size"] = json!(rng.next_u64() % 10_000_000);
                }
            }
            let bytes = a.render(&c).unwrap_or_else(|r| panic!("{}: {r}", a.source));
            let t = a
                .translate(&bytes, Some(&a.content_type()))
                .unwrap_or_else(|r| {
                    panic!("{}: {r}\n{}", a.source, String::from_utf8_lossy(&bytes))
                });
            assert_eq!(t.canonical, c, "{}", a.source);
            assert_eq!(a.render(&t.canonical).unwrap(), bytes, "{}", a.source);
        }
    }
}
