//! The worked example of `docs/adapters.md`: a seventh region, 620000 甘肃, defined only by
//! files (`adapters/examples/620000/`), copied into a temporary directory, loaded at run time and
//! passing its golden round trip — no Rust code involved. Also: a broken spec fails loading with
//! its file and field named.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tongban_adapters::{Registry, SpecError};

struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let p = std::env::temp_dir().join(format!(
            "tongban-adapters-{label}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn a_seventh_region_from_files_only_passes_its_golden_round_trip() {
    let tmp = TempDir::new("gansu");
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/620000"),
        &tmp.0.join("620000"),
    );
    let registry = Registry::with_dir(&tmp.0).expect("the example specs compile");
    assert!(
        registry.get("440000", "medical-filing").is_some(),
        "builtins stay"
    );
    let a = registry
        .get("620000", "medical-filing")
        .expect("loaded at run time");
    assert!(a.source.ends_with("620000/medical-filing.json"));

    let golden = tmp.0.join("620000/golden");
    let local = std::fs::read(golden.join("medical-filing.local.json")).unwrap();
    let canonical: Value = serde_json::from_slice(
        &std::fs::read(golden.join("medical-filing.canonical.json")).unwrap(),
    )
    .unwrap();
    let t = a.translate(&local, None).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(t.canonical, canonical);
    assert!(a.matter.check_submission(&t.canonical).is_ok());
    let back: Value = serde_json::from_slice(&a.render(&t.canonical).unwrap()).unwrap();
    let sent: Value = serde_json::from_slice(&local).unwrap();
    assert_eq!(back, sent, "lossless round trip");

    // Problems come back in 甘肃's own words.
    let mut bad = sent.clone();
    bad["sqr"]["csrq"] = json!("1987-03-15");
    bad["ywxx"]["xz"] = json!("公务员");
    let r = a.inbound(&bad).unwrap_err();
    let got: Vec<(&str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(got, [("/sqr/csrq", "date-format"), ("/ywxx/xz", "code")]);
}

fn load_one(spec: &str) -> Result<Registry, SpecError> {
    let tmp = TempDir::new("broken");
    std::fs::create_dir_all(tmp.0.join("620000")).unwrap();
    std::fs::write(tmp.0.join("620000/medical-filing.json"), spec).unwrap();
    Registry::with_dir(&tmp.0)
}

#[test]
fn broken_specs_are_refused_with_file_and_field_named() {
    let base = |fields: &str| {
        format!(r#"{{"region": "620000", "matter": "medical-filing", "fields": [{fields}]}}"#)
    };
    let cases = [
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": ["bogus"]}"#),
            "unknown transform",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"codes": "nope"}]}"#),
            "no code table",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "dd-MM"}]}"#),
            "bad date layout",
        ),
        // These compile, but read no real date: every form would be refused (`mm` is minutes).
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyymmdd"}]}"#),
            "field /a: bad date layout \"yyyymmdd\": it has a day but no month",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyyDDmm"}]}"#),
            "field /a: bad date layout \"yyyyDDmm\": it has a time of day but not a whole date",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyyMM"}]}"#),
            "field /a: date layouts \"yyyyMM\" and \"yyyy-MM-dd\" do not match",
        ),
        (base(r#"{"local": "a", "canonical": "/b"}"#), "not a path"),
        (
            base(r#"{"local": "/a", "canonical": "/b", "check": "gb9999"}"#),
            "unknown check",
        ),
        (base(r#"{"local": "/a"}"#), "needs local and canonical"),
        (base(r#"{"include": "_missing"}"#), "no such fragment"),
        (
            base(r#"{"local": "/a", "canonical": "/b", "typo": 1}"#),
            "unknown field",
        ),
        (
            r#"{"region": "610000", "matter": "medical-filing", "fields": []}"#.to_string(),
            "does not match its directory",
        ),
        (
            r#"{"region": "620000", "matter": "medical-filing", "format": "xml", "fields": []}"#
                .to_string(),
            "format xml needs",
        ),
        ("{".to_string(), "not valid spec JSON"),
    ];
    for (spec, expected) in cases {
        let err = load_one(&spec).expect_err(&spec).to_string();
        assert!(err.contains("medical-filing.json"), "{err}");
        assert!(err.contains(expected), "{expected:?} not in {err:?}");
    }
}

/// Overriding one builtin matter needs only its file: the builtin region's fragments
/// (`_route`, `_person`) stay available to it, and the override is what is served.
#[test]
fn one_builtin_matter_is_overridden_by_its_file_alone() {
    let tmp = TempDir::new("override");
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("regions/440000/medical-filing.json");
    let mut spec: Value = serde_json::from_slice(&std::fs::read(builtin).unwrap()).unwrap();
    spec["title"] = json!("广东 医保备案 (本地覆盖)");
    std::fs::create_dir_all(tmp.0.join("440000")).unwrap();
    std::fs::write(
        tmp.0.join("440000/medical-filing.json"),
        serde_json::to_vec(&spec).unwrap(),
    )
    .unwrap();
    let registry = Registry::with_dir(&tmp.0).unwrap_or_else(|e| panic!("{e}"));
    let a = registry
        .get("440000", "medical-filing")
        .expect("overridden");
    assert!(
        a.source.starts_with(&tmp.0.display().to_string()),
        "{}",
        a.source
    );
    // It still translates the region's golden form, through the builtin fragments.
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("regions/440000/golden");
    let local = std::fs::read(golden.join("medical-filing.local.json")).unwrap();
    let want: Value = serde_json::from_slice(
        &std::fs::read(golden.join("medical-filing.canonical.json")).unwrap(),
    )
    .unwrap();
    let t = a.translate(&local, None).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(*t.canonical, want);
}

/// Shanghai's golden form with one material record (XML: one `<CL>`, read as a list of one)
/// holding an element the spec does not know, and one more under `<YWXX>`.
fn shanghai_form_with_unknown_elements() -> Vec<u8> {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regions/310000/golden/social-security-card.local.xml");
    let bytes = std::fs::read(golden).unwrap();
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let second = text
        .find("<CL>\n      <SXH>2</SXH>")
        .expect("a second record");
    let end = text[second..].find("</CL>").unwrap() + second + "</CL>".len();
    let text = format!("{}{}", &text[..second], &text[end..])
        .replace("<CLDX>102400</CLDX>", "<CLDX>102400</CLDX><YS>3</YS>")
        .replace("</YWXX>", "<BZ>备注</BZ></YWXX>");
    assert_eq!(text.matches("<CL>").count(), 1);
    encoding_rs::GBK.encode(&text).0.into_owned()
}

/// Under `"unknown_fields": "reject"` an unknown field refuses the form, and its message says
/// so (not "已忽略", ignored, as the warning under `warn` does); an unknown element inside the
/// one record of an XML list has the item's index in its pointer, like the known fields'.
#[test]
fn unknown_fields_say_whether_they_refuse_and_keep_a_list_items_index() {
    let form = shanghai_form_with_unknown_elements();
    let want = ["/CLXX/CL/0/YS", "/YWXX/BZ"];

    let warned = Registry::builtin()
        .unwrap()
        .get("310000", "social-security-card")
        .unwrap()
        .translate(&form, None)
        .unwrap_or_else(|r| panic!("{r}"));
    let pointers: Vec<&str> = warned.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(pointers, want);
    assert!(warned.warnings.iter().all(|w| w.message.contains("已忽略")));

    let builtin =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("regions/310000/social-security-card.json");
    let mut spec: Value = serde_json::from_slice(&std::fs::read(builtin).unwrap()).unwrap();
    spec["unknown_fields"] = json!("reject");
    let tmp = TempDir::new("reject");
    std::fs::create_dir_all(tmp.0.join("310000")).unwrap();
    std::fs::write(
        tmp.0.join("310000/social-security-card.json"),
        serde_json::to_vec(&spec).unwrap(),
    )
    .unwrap();
    let registry = Registry::with_dir(&tmp.0).unwrap_or_else(|e| panic!("{e}"));
    let refused = registry
        .get("310000", "social-security-card")
        .unwrap()
        .translate(&form, None)
        .expect_err("unknown fields refuse the form");
    let got: Vec<(&str, &str)> = refused
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(
        got,
        [(want[0], "unknown-field"), (want[1], "unknown-field")]
    );
    for p in &refused.problems {
        assert!(!p.message.contains("忽略"), "{}", p.message);
        assert!(
            p.message.contains("拒收") && p.message.contains("refused"),
            "{}",
            p.message
        );
    }
}
