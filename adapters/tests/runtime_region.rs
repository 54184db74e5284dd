//! The worked example of `docs/adapters.md`: a seventh region, 620000 甘肃, defined only by
//! files (`adapters/examples/620000/`), copied into a temporary directory, loaded at run time and
//! passing its golden round trip — no Rust code involved. Also: a broken spec fails loading with
//! its file and field named, including mistakes only the matter's canonical schema shows (a path
//! not in it, a required member nothing maps, two fields writing one member, a constant it
//! refuses), and what unknown fields say under `reject`.

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
        // A default the field's own transforms or check refuse: said at load, not reported for
        // every form that leaves the field out, as if the form had sent it.
        (
            base(
                r#"{"local": "/a", "canonical": "/form/insurance_type", "default": "9", "transforms": [{"codes": {"pairs": [["1", "employee"], ["2", "resident"]]}}]}"#,
            ),
            "field /a: default \"9\" does not pass the field's transforms",
        ),
        (
            base(
                r#"{"local": "/a", "canonical": "/form/insured_region", "default": "999999", "check": "gb2260"}"#,
            ),
            "field /a: default \"999999\" fails the field's check",
        ),
        // A default the member's schema refuses: every form without the field would be refused
        // as if the province had sent it.
        (
            base(r#"{"local": "/sjd", "canonical": "/origin", "default": "江苏"}"#),
            "field /sjd: default \"江苏\" is not valid at /origin in the canonical schema of medical-filing",
        ),
        (
            base(
                r#"{"local": "/a", "canonical": "/form/start_date", "default": " 2024/03/01 ", "transforms": ["trim"]}"#,
            ),
            "field /a: default \" 2024/03/01 \" (through the field's transforms: \"2024/03/01\") is not valid at /form/start_date",
        ),
        // A check that does not fit the canonical member's own (`gb2261`, the sex codes, typed
        // for `gb2260`): every form's region would be refused as a sex code.
        (
            base(
                r#"{"local": "/a", "canonical": "/form/insured_region", "check": "gb2261"}"#,
            ),
            "field /a: check sex does not fit canonical /form/insured_region, which the canonical schema of medical-filing checks as gb2260",
        ),
        // These compile, but read no real date: every form would be refused (`mm` is minutes).
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyymmdd"}]}"#),
            "field /a: bad date layout \"yyyymmdd\": it has a day but no month",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyy-MM HH:mm"}]}"#),
            "field /a: bad date layout \"yyyy-MM HH:mm\": it has a time of day but not a whole date",
        ),
        // Letters of another convention: said which, and what is meant.
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "YYYY年M月D日"}]}"#),
            "field /a: bad date layout \"YYYY年M月D日\": \"YYYY\" is no token (upper-case: the \
             year is lower-case yyyy); the tokens are yyyy (year), MM or M (month), dd or d (day)",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyy年M月D日"}]}"#),
            "\"D\" is no token (upper-case: the day is lower-case dd or d)",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyyMM"}]}"#),
            "field /a: date layouts \"yyyyMM\" and \"yyyy-MM-dd\" do not match",
        ),
        // A one-digit month or day touching another number: `2024111` is 2024-11-01 or
        // 2024-01-11, and both write alike.
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyyMd"}]}"#),
            "field /a: bad date layout \"yyyyMd\": M (one or two digits) is next to d with \
             nothing between them",
        ),
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"date": "yyyyMdHH"}]}"#),
            "use MM (always two digits) or put a separator between them",
        ),
        (base(r#"{"local": "a", "canonical": "/b"}"#), "not a path"),
        (
            base(r#"{"local": "/a", "canonical": "/b", "check": "gb9999"}"#),
            "unknown check",
        ),
        (base(r#"{"local": "/a"}"#), "needs local and canonical"),
        (
            base(r#"{"include": "_missing"}"#),
            "include \"_missing\": no such fragment in 620000/ (it has none;",
        ),
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
        // Three name parts were a JSON syntax error ("trailing characters"); a field whose
        // local path is the whole form was named as `field : …`.
        (
            base(r#"{"name_parts": ["/xing", "/ming", "/zi"], "canonical": "/applicant/name"}"#),
            "field /applicant/name: name_parts takes exactly two local paths, the surname's and the given name's ([\"/XING\", \"/MING\"]); it has 3",
        ),
        (
            base(r#"{"name_parts": ["/xm"], "canonical": "/applicant/name"}"#),
            "name_parts takes exactly two local paths",
        ),
        (
            base(r#"{"local": "", "canonical": "/applicant/name", "label": "姓名"}"#),
            "field /applicant/name: a field's local and canonical paths name a member",
        ),
        (
            base(r#"{"local": "", "canonical": "", "label": "姓名"}"#),
            "field \"姓名\": a field's local and canonical paths name a member",
        ),
        // Members a field's kind has no use for: accepted once, then ignored.
        (
            base(
                r#"{"local": "/fj", "canonical": "/materials", "check": "phone", "list": {"item": [{"local": "/mc", "canonical": "/name"}]}}"#,
            ),
            "field /fj: check has no effect on a list field",
        ),
        (
            base(
                r#"{"local": "/fj", "canonical": "/materials", "default": [], "list": {"item": [{"local": "/mc", "canonical": "/name"}]}}"#,
            ),
            "field /fj: default has no effect on a list field",
        ),
        (
            base(r#"{"local": "/xh", "index": 1}"#),
            "field /xh: index numbers the items of a list",
        ),
        (
            base(r#"{"local": "/sxbm", "const": "620000-YB-001", "transforms": ["trim"]}"#),
            "field /sxbm: transforms has no effect on a const",
        ),
        (
            base(r#"{"canonical": "/applicant/kind", "const": "person", "check": "sex"}"#),
            "field /applicant/kind: check has no effect on a const",
        ),
        // An empty joined separator was read as no separator: the list became one of records.
        (
            base(
                r#"{"local": "", "canonical": "/materials", "list": {"joined": "", "item": [{"local": "/FJMC", "canonical": "/name"}]}}"#,
            ),
            "list.joined \"\" is no separator",
        ),
        // A charset alias is echoed in every form's Content-Type and declaration while the
        // bytes are another charset's (GB2312 named, GBK written): the name to write is said.
        (
            r#"{"region": "620000", "matter": "medical-filing", "format": "xml", "xml": {"root": "R", "charset": "GB2312"}, "fields": []}"#
                .to_string(),
            "xml.charset \"GB2312\": write \"GBK\"",
        ),
        (
            r#"{"region": "620000", "matter": "medical-filing", "format": "xml", "xml": {"root": "R", "charset": "utf8"}, "fields": []}"#
                .to_string(),
            "xml.charset \"utf8\": write \"UTF-8\"",
        ),
        (
            r#"{"region": "620000", "matter": "medical-filing", "format": "xml", "xml": {"root": "R", "charset": "UTF-16"}, "fields": []}"#
                .to_string(),
            "xml.charset \"UTF-16\": use UTF-8, GBK or GB18030",
        ),
        // Mistakes that loaded once and then refused every form, or changed data on its way
        // out (found by an adapter author's walkthrough).
        (
            base(r#"{"local": "/a", "canonical": "/b", "transforms": [{"list": ";"}, "trim"]}"#),
            "must come last",
        ),
        (
            base(
                r#"{"local": "/a", "canonical": "/b", "transforms": [{"integer": "number"}, "trim"]}"#,
            ),
            "must come last",
        ),
        (
            base(r#"{"local": "", "canonical": "/b"}"#),
            "not the whole form",
        ),
        (
            base(r#"{"local": "/sqr/x~2m", "canonical": "/b"}"#),
            "not a path",
        ),
        (
            base(
                r#"{"local": "/a", "canonical": "/b", "transforms": [{"codes": {"pairs": [["职工", "employee"], ["职工", "resident"]]}}]}"#,
            ),
            "local code \"职工\" is listed for",
        ),
        (
            r#"{"region": "620000", "matter": "medical-filing", "tables": {"xz": {"pairs": [["职工", "employee"], ["职工", "resident"]]}}, "fields": []}"#
                .to_string(),
            "code table \"xz\"",
        ),
    ];
    for (spec, expected) in cases {
        let err = load_one(&spec).expect_err(&spec).to_string();
        assert!(err.contains("medical-filing.json"), "{err}");
        assert!(err.contains(expected), "{expected:?} not in {err:?}");
    }
}

/// Given the worked example's spec saved with a byte-order mark, when loaded, then it loads
/// (before: "not valid spec JSON: expected value at line 1 column 1"); saved as GBK, the load
/// stops naming the file as other spec errors do, relative to the directory, and saying to save
/// it as UTF-8 (before: the absolute path and "stream did not contain valid UTF-8").
#[test]
fn a_spec_file_with_a_bom_loads_and_one_in_gbk_is_named_as_such() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/620000");
    let text = std::fs::read_to_string(example.join("medical-filing.json")).unwrap();
    let with = |bytes: Vec<u8>| {
        let tmp = TempDir::new("encoding");
        std::fs::create_dir_all(tmp.0.join("620000")).unwrap();
        std::fs::copy(example.join("codes.json"), tmp.0.join("620000/codes.json")).unwrap();
        std::fs::write(tmp.0.join("620000/medical-filing.json"), bytes).unwrap();
        let loaded = Registry::with_dir(&tmp.0);
        (loaded, tmp.0.display().to_string())
    };
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(text.as_bytes());
    let (loaded, _) = with(bom);
    let registry = loaded.unwrap_or_else(|e| panic!("{e}"));
    assert!(registry.get("620000", "medical-filing").is_some());

    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    let (loaded, dir) = with(gbk.into_owned());
    let Err(err) = loaded else {
        panic!("a GBK spec loaded");
    };
    let err = err.to_string();
    assert!(
        err.starts_with("620000/medical-filing.json: spec files must be UTF-8"),
        "{err}"
    );
    assert!(err.contains("saved as GBK?"), "{err}");
    assert!(!err.contains(&dir), "{err}");
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

/// The worked example's spec with `mutate` applied, loaded from a directory of its own (with the
/// example's code tables).
/// A change made to the 620000 example spec before it is loaded.
type Mutation = Box<dyn FnOnce(&mut Value)>;

/// Each case's mutation of the 620000 example spec stops the load, naming the spec file and
/// every expected part of its error.
fn refused_with(cases: Vec<(&str, Mutation, Vec<&str>)>) {
    for (what, mutate, expected) in cases {
        let err = load_example_with(mutate)
            .err()
            .unwrap_or_else(|| panic!("{what}: loaded"))
            .to_string();
        assert!(err.contains("620000/medical-filing.json"), "{what}: {err}");
        for e in expected {
            assert!(err.contains(e), "{what}: {e:?} not in {err:?}");
        }
    }
}

fn load_example_with(mutate: impl FnOnce(&mut Value)) -> Result<Registry, SpecError> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/620000");
    let mut spec: Value =
        serde_json::from_slice(&std::fs::read(example.join("medical-filing.json")).unwrap())
            .unwrap();
    mutate(&mut spec);
    let tmp = TempDir::new("mutated");
    std::fs::create_dir_all(tmp.0.join("620000")).unwrap();
    std::fs::copy(example.join("codes.json"), tmp.0.join("620000/codes.json")).unwrap();
    std::fs::write(
        tmp.0.join("620000/medical-filing.json"),
        serde_json::to_vec(&spec).unwrap(),
    )
    .unwrap();
    Registry::with_dir(&tmp.0)
}

/// The example's field whose `local` (or, for a constant, `canonical`) is `name`.
fn field<'v>(spec: &'v mut Value, name: &str) -> &'v mut Value {
    spec["fields"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|f| f["local"] == name || (f.get("local").is_none() && f["canonical"] == name))
        .unwrap_or_else(|| panic!("no field {name}"))
}

fn item_fields(spec: &mut Value) -> &mut Vec<Value> {
    field(spec, "/fj")["list"]["item"].as_array_mut().unwrap()
}

fn push(spec: &mut Value, f: Value) {
    spec["fields"].as_array_mut().unwrap().push(f);
}

fn remove(spec: &mut Value, name: &str) {
    spec["fields"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["local"] != name);
}

/// Spec mistakes that compile field by field but would refuse every form at run time (each
/// canonical body failing the matter's schema, reported as if the province's data were wrong)
/// stop the load instead, naming the file, the spec field and the rule.
#[test]
fn spec_mistakes_against_the_canonical_schema_stop_the_load() {
    let cases: Vec<(&str, Mutation, Vec<&str>)> = vec![
        (
            "a typo in a canonical path",
            Box::new(|s| field(s, "/sqr/xm")["canonical"] = json!("/applicant/nmae")),
            vec![
                "field /sqr/xm",
                "canonical /applicant/nmae is not in the canonical schema of medical-filing",
                "/applicant has no member \"nmae\"",
                "name",
            ],
        ),
        (
            "a typo in an object on the way",
            Box::new(|s| field(s, "/ywxx/cbd")["canonical"] = json!("/from/insured_region")),
            vec!["field /ywxx/cbd", "the body has no member \"from\"", "form"],
        ),
        (
            "a typo in a list item's path",
            Box::new(|s| item_fields(s)[2]["canonical"] = json!("/sha265")),
            vec![
                "field /fj/*/zy",
                "canonical /materials/*/sha265 is not in the canonical schema",
                "sha256",
            ],
        ),
        (
            "a member inside a text",
            Box::new(|s| field(s, "/sqr/xm")["canonical"] = json!("/applicant/name/given")),
            vec![
                "field /sqr/xm",
                "/applicant/name has no member \"given\" (it has no members)",
            ],
        ),
        (
            "a list where the schema has no array",
            Box::new(|s| field(s, "/fj")["canonical"] = json!("/form")),
            vec!["field /fj", "canonical /form is not a list"],
        ),
        (
            "a required member nothing maps",
            Box::new(|s| remove(s, "/ywxx/xz")),
            vec![
                "requires /form/insurance_type",
                "no field maps it and no const sets it",
            ],
        ),
        (
            "a required member of each list item nothing maps",
            Box::new(|s| {
                item_fields(s).remove(2);
            }),
            vec!["field /fj", "requires /materials/*/sha256 of each item"],
        ),
        (
            "two fields writing one member",
            Box::new(|s| {
                push(
                    s,
                    json!({"local": "/ywxx/jyd2", "canonical": "/form/treatment_region"}),
                )
            }),
            vec![
                "field /ywxx/jyd2",
                "canonical /form/treatment_region is written by field /ywxx/jyd too",
            ],
        ),
        (
            "a field writing over what another writes inside",
            Box::new(|s| push(s, json!({"local": "/sqr", "canonical": "/applicant"}))),
            vec![
                "field /sqr",
                "canonical /applicant would overwrite /applicant/kind, which field /applicant/kind writes",
            ],
        ),
        (
            "a constant and a field writing one member",
            Box::new(|s| {
                let fields = s["fields"].as_array_mut().unwrap();
                fields.insert(
                    0,
                    json!({"canonical": "/form/phone", "const": "13800138000"}),
                );
            }),
            vec![
                "field /ywxx/lxdh",
                "canonical /form/phone is written by field /form/phone too",
            ],
        ),
        (
            "a field writing inside what another writes whole",
            Box::new(|s| {
                let fields = s["fields"].as_array_mut().unwrap();
                fields.insert(0, json!({"local": "/sqr", "canonical": "/applicant"}));
            }),
            vec![
                "field /applicant/kind",
                "canonical /applicant/kind is inside /applicant, which field /sqr writes whole",
            ],
        ),
        (
            "a constant the schema refuses (a code)",
            Box::new(|s| field(s, "/applicant/kind")["const"] = json!("people")),
            vec![
                "field /applicant/kind",
                "const \"people\" is not valid at /applicant/kind",
                "one of \"person\"",
            ],
        ),
        (
            "a constant the schema refuses (a pattern)",
            Box::new(|s| push(s, json!({"canonical": "/origin", "const": "62000"}))),
            vec![
                "field /origin",
                "const \"62000\" is not valid at /origin",
                "格式不符：应为 6 位或 12 位数字的行政区划代码",
            ],
        ),
        (
            "a constant in a list item the schema refuses",
            Box::new(|s| {
                item_fields(s).push(json!({"canonical": "/format", "const": "docx"}));
            }),
            vec![
                "field /materials/*/format",
                "const \"docx\" is not valid",
                "\"pdf\"",
            ],
        ),
        (
            "a field writing the matter",
            Box::new(|s| {
                push(
                    s,
                    json!({"canonical": "/matter", "const": "medical-filing"}),
                )
            }),
            vec!["field /matter", "set from the spec's \"matter\""],
        ),
        (
            "a canonical date layout the schema refuses",
            Box::new(|s| {
                field(s, "/ywxx/ksrq")["transforms"] =
                    json!([{"date": ["yyyy/MM/dd", "yyyyMMdd"]}]);
            }),
            vec![
                "field /ywxx/ksrq",
                "the canonical date layout \"yyyyMMdd\" writes \"20240301\"",
                "refuses at /form/start_date",
            ],
        ),
        (
            "a code table value the schema refuses",
            Box::new(|s| {
                field(s, "/ywxx/xz")["transforms"] =
                    json!([{"codes": {"pairs": [["职工", "employee"], ["居民", "residents"]]}}]);
            }),
            vec![
                "field /ywxx/xz",
                "code table /ywxx/xz maps \"居民\" to \"residents\"",
                "refuses at /form/insurance_type",
                "one of \"employee\", \"resident\"",
                "every form with that code would be refused",
            ],
        ),
        (
            "a code table alias the schema refuses",
            Box::new(|s| {
                field(s, "/sqr/xb")["transforms"] = json!([{"codes": {
                    "pairs": [["男", "1"], ["女", "2"]],
                    "aliases": [["男性", "M"]]
                }}]);
            }),
            vec![
                "field /sqr/xb",
                "maps \"男性\" to \"M\"",
                "refuses at /applicant/sex",
                "\"9\"",
            ],
        ),
        (
            "a shared code table mapped onto a member that refuses its values",
            Box::new(|s| field(s, "/ywxx/balx")["transforms"] = json!([{"codes": "gs-insurance"}])),
            vec![
                "field /ywxx/balx",
                "code table gs-insurance maps \"职工\" to \"employee\"",
                "refuses at /form/filing_type",
                "\"long-term-residence\"",
            ],
        ),
        (
            "a code table in a list item the schema refuses",
            Box::new(|s| {
                item_fields(s).push(json!({"local": "/gs", "canonical": "/format",
                    "transforms": [{"codes": {"pairs": [["PDF", "pdf"], ["WORD", "docx"]]}}]}));
            }),
            vec![
                "field /fj/*/gs",
                "maps \"WORD\" to \"docx\"",
                "refuses at /materials/*/format",
                "\"pdf\"",
            ],
        ),
    ];
    refused_with(cases);
}

/// What the load checks must leave alone: members the schema does not require, constants it
/// accepts, a layout of a year and month for a year and month.
#[test]
fn legitimate_specs_still_load() {
    let cases: Vec<(&str, Mutation)> = vec![
        ("as it is", Box::new(|_| {})),
        (
            "optional members left out",
            Box::new(|s| {
                remove(s, "/sqr/csrq");
                remove(s, "/sqr/sjhm");
            }),
        ),
        ("no materials at all", Box::new(|s| remove(s, "/fj"))),
        (
            "constants the schema accepts",
            Box::new(|s| {
                push(s, json!({"canonical": "/origin", "const": "620000"}));
                item_fields(s).push(json!({"canonical": "/format", "const": "pdf"}));
            }),
        ),
        (
            // `mode-123` names 多地联办 too, which medical filing does not offer: a form asking
            // for it is refused as such, but the table serves every matter of a region.
            "a shared 办理模式 table with a mode this matter does not offer",
            Box::new(|s| field(s, "/blms")["transforms"] = json!([{"codes": "mode-123"}])),
        ),
        (
            "a code table whose values a later transform puts right",
            Box::new(|s| {
                field(s, "/ywxx/xz")["transforms"] = json!([
                    {"codes": {"pairs": [["职工", "EMPLOYEE"], ["居民", "RESIDENT"]]}},
                    "lower"
                ]);
            }),
        ),
        (
            "a date with a time of day, and a 中文 layout",
            Box::new(|s| {
                field(s, "/sqr/csrq")["transforms"] = json!([{"date": "yyyy-MM-dd HH:mm:ss"}]);
                field(s, "/ywxx/ksrq")["transforms"] = json!([{"date": "yyyy年M月d日"}]);
            }),
        ),
    ];
    for (what, mutate) in cases {
        if let Err(e) = load_example_with(mutate) {
            panic!("{what}: {e}");
        }
    }
}

/// A union's required members are only required for certain when a constant fixes its branch:
/// Guangdong's investors are persons or organisations by a local code, so a person's ID number
/// may be left unmapped, but a name (which both need) may not.
#[test]
fn a_union_whose_kind_is_mapped_requires_only_what_every_kind_needs() {
    let load = |drop: &str| {
        let builtin =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("regions/440000/business-registration.json");
        let mut spec: Value = serde_json::from_slice(&std::fs::read(builtin).unwrap()).unwrap();
        field(&mut spec, "/formData/investors")["list"]["item"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f["local"] != drop);
        let tmp = TempDir::new("union");
        std::fs::create_dir_all(tmp.0.join("440000")).unwrap();
        std::fs::write(
            tmp.0.join("440000/business-registration.json"),
            serde_json::to_vec(&spec).unwrap(),
        )
        .unwrap();
        Registry::with_dir(&tmp.0)
    };
    load("/certNo").unwrap_or_else(|e| panic!("an ID number only persons need: {e}"));
    let err = load("/invName")
        .expect_err("a name every investor needs")
        .to_string();
    assert!(err.contains("440000/business-registration.json"), "{err}");
    assert!(err.contains("field /formData/investors"), "{err}");
    assert!(
        err.contains("requires /form/investors/*/party/name of each item"),
        "{err}"
    );

    // With the applicant fixed as a person, an organisation's member is not in the schema.
    let builtin =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("regions/440000/business-registration.json");
    let mut spec: Value = serde_json::from_slice(&std::fs::read(builtin).unwrap()).unwrap();
    push(
        &mut spec,
        json!({"local": "/uniscid", "canonical": "/applicant/credit_code"}),
    );
    let tmp = TempDir::new("union-kind");
    std::fs::create_dir_all(tmp.0.join("440000")).unwrap();
    std::fs::write(
        tmp.0.join("440000/business-registration.json"),
        serde_json::to_vec(&spec).unwrap(),
    )
    .unwrap();
    let err = Registry::with_dir(&tmp.0)
        .expect_err("credit code of a person")
        .to_string();
    assert!(err.contains("field /uniscid"), "{err}");
    assert!(
        err.contains(
            "not in the canonical schema of business-registration for /applicant/kind \"person\""
        ),
        "{err}"
    );
}

/// `form` (GBK XML) translated by Shanghai's builtin social-security-card adapter, which takes it.
fn translated_by_shanghai(form: &[u8]) -> tongban_adapters::Translation {
    Registry::builtin()
        .unwrap()
        .get("310000", "social-security-card")
        .unwrap()
        .translate(form, None)
        .unwrap_or_else(|r| panic!("{r}"))
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

    let warned = translated_by_shanghai(&form);
    // The record taken out was a material the matter requires: warned too, at the form's list.
    let unknown: Vec<_> = warned
        .warnings
        .iter()
        .filter(|w| w.rule == "unknown-field")
        .collect();
    let pointers: Vec<&str> = unknown.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(pointers, want);
    assert!(unknown.iter().all(|w| w.message.contains("已忽略")));
    assert!(
        warned
            .warnings
            .iter()
            .any(|w| w.rule == "material-missing" && w.pointer == "/CLXX/CL"),
        "{:?}",
        warned.warnings
    );

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

/// A code in the region's table whose canonical value this matter refuses but another takes (a
/// table wider than the matter: an organisation applicant, a mode it does not offer) is refused
/// with the values the schema allows in the region's own codes, the codes it can send instead:
/// not the canonical `person`. (A value no matter takes stops the spec's load instead.)
#[test]
fn a_refused_code_is_answered_with_the_allowed_values_in_the_regions_codes() {
    let registry = load_example_with(|s| {
        let fields = s["fields"].as_array_mut().unwrap();
        fields.retain(|f| f["canonical"] != "/applicant/kind");
        fields.push(
            json!({"local": "/sqr/lx", "canonical": "/applicant/kind", "label": "申请人类型",
            "transforms": [{"codes": {"pairs": [["个人", "person"], ["单位", "organisation"]]}}],
            "default": "个人"}),
        );
    })
    .expect("the spec loads");
    let a = registry.get("620000", "medical-filing").expect("loaded");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/620000/golden");
    let sent: Value =
        serde_json::from_slice(&std::fs::read(golden.join("medical-filing.local.json")).unwrap())
            .unwrap();
    let refused = |change: &dyn Fn(&mut Value)| {
        let mut bad = sent.clone();
        change(&mut bad);
        let r = a.inbound(&bad).unwrap_err();
        assert_eq!(r.problems.len(), 1, "{r}");
        r.problems.into_iter().next().unwrap()
    };

    let p = refused(&|l| l["sqr"]["lx"] = json!("单位"));
    assert_eq!((p.pointer.as_str(), p.rule.as_str()), ("/sqr/lx", "enum"));
    assert_eq!(p.message, "应为 个人 (must be 个人)", "{p:?}");

    let p = refused(&|l| l["blms"] = json!("多地联办"));
    assert_eq!((p.pointer.as_str(), p.rule.as_str()), ("/blms", "enum"));
    // mode-zh's codes are the modes' names: said once.
    assert!(
        p.message
            .starts_with("本事项不受理此办理模式，应为 全程网办、异地代收代办 之一"),
        "{p:?}"
    );
}

/// A builtin region's spec for `matter`, with `mutate` applied, loaded as an override (the
/// region's builtin fragments and tables stay available to it).
fn load_builtin_with(
    region: &str,
    matter: &str,
    mutate: impl FnOnce(&mut Value),
) -> Result<Registry, SpecError> {
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regions")
        .join(region)
        .join(format!("{matter}.json"));
    let mut spec: Value = serde_json::from_slice(&std::fs::read(builtin).unwrap()).unwrap();
    mutate(&mut spec);
    let tmp = TempDir::new("builtin-mutated");
    std::fs::create_dir_all(tmp.0.join(region)).unwrap();
    std::fs::write(
        tmp.0.join(region).join(format!("{matter}.json")),
        serde_json::to_vec(&spec).unwrap(),
    )
    .unwrap();
    Registry::with_dir(&tmp.0)
}

/// Given a company-only form (Guangdong's business registration with its applicant fixed to
/// `organisation`), when a person's application is written in it, then it is refused at
/// `/applicant/kind` (`const-outbound`); before, the person was written as a company.
#[test]
fn a_person_is_not_written_into_a_company_only_form() {
    let registry = load_builtin_with("440000", "business-registration", |spec| {
        let fields = spec["fields"].as_array_mut().unwrap();
        fields.retain(|f| f["canonical"] != "/applicant/kind" && f["canonical"] != "/applicant");
        fields.push(json!({"canonical": "/applicant/kind", "const": "organisation"}));
        fields.push(json!({"local": "/applicant/entName", "canonical": "/applicant/name", "label": "单位名称", "personal": "none"}));
        fields.push(json!({"local": "/applicant/uniscid", "canonical": "/applicant/credit_code", "label": "统一社会信用代码", "check": "gb32100"}));
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let a = registry.get("440000", "business-registration").unwrap();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regions/440000/golden/business-registration.canonical.json");
    let mut canonical: Value = serde_json::from_slice(&std::fs::read(golden).unwrap()).unwrap();
    let r = a
        .outbound(&canonical)
        .expect_err("a person in a company's form");
    let found: Vec<(&str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.canonical.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(found, [("/applicant/kind", "const-outbound")]);
    canonical["applicant"] = json!({
        "kind": "organisation",
        "name": "苏州示例控股有限公司",
        "credit_code": "91110000600037341L"
    });
    let form = a.outbound(&canonical).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(form["applicant"]["uniscid"], "91110000600037341L");
}

/// Given a spec where two fields write one local member, or one writes inside a member another
/// writes whole (in the spec itself, through an included fragment, among a list's items, or
/// beside a joined list's columns), when it is loaded, then the load is refused naming the spec
/// file, both fields and the outbound overwrite; before, such a spec loaded and the outbound
/// (canonical → local) form was silently corrupted (the end date written over the insured
/// region). Each case would load if the check ignored that way of overlapping.
#[test]
fn overlapping_local_paths_stop_the_load() {
    let example: Vec<(&str, Mutation, Vec<&str>)> = vec![
        (
            "two value fields on one local member",
            Box::new(|s| {
                push(
                    s,
                    json!({"local": "/ywxx/cbd", "canonical": "/form/end_date",
                        "transforms": [{"date": "yyyy/MM/dd"}]}),
                )
            }),
            vec![
                "field /ywxx/cbd: local /ywxx/cbd (→ /form/end_date) is written by field \
                 /ywxx/cbd (→ /form/insured_region) too",
                "the later would overwrite the earlier",
            ],
        ),
        (
            "a value field on a record other fields write into",
            Box::new(|s| {
                let fields = s["fields"].as_array_mut().unwrap();
                fields.insert(0, json!({"local": "/ywxx", "canonical": "/form/end_date"}));
            }),
            vec![
                "field /ywxx/cbd: local /ywxx/cbd (→ /form/insured_region) is inside /ywxx, \
                 which field /ywxx (→ /form/end_date) writes whole",
            ],
        ),
        (
            "a value field beside a local constant on the same path",
            Box::new(|s| push(s, json!({"local": "/sxbm", "canonical": "/form/end_date"}))),
            vec![
                "field /sxbm",
                "is written by field /sxbm (const \"620000-YB-001\") too",
            ],
        ),
        (
            "two items of a list on one member",
            Box::new(|s| item_fields(s).push(json!({"local": "/mc", "canonical": "/format"}))),
            vec![
                "field /fj/*/mc: local /fj/*/mc (→ /format) is written by field /fj/*/mc \
                 (→ /name) too",
            ],
        ),
        (
            "a constant holding a list",
            Box::new(|s| push(s, json!({"local": "/fj/0", "const": "x"}))),
            vec![
                "field /fj/0: local /fj/0 (const \"x\") is inside /fj, which field /fj (list → /materials) writes whole",
            ],
        ),
    ];
    refused_with(example);

    let builtin: Vec<(&str, &str, &str, Mutation, Vec<&str>)> = vec![
        (
            "a field on a member an included fragment writes (prefix applied)",
            "310000",
            "social-security-card",
            Box::new(|s| push(s, json!({"local": "/SQRXX/XB", "const": "1"}))),
            vec![
                "310000/social-security-card.json",
                "is written by field /SQRXX/XB (→ /applicant/sex) too",
            ],
        ),
        (
            "a field on the record of a fragment's list",
            "310000",
            "social-security-card",
            Box::new(|s| push(s, json!({"local": "/CLXX", "const": "1"}))),
            vec![
                "local /CLXX (const \"1\") holds /CLXX/CL, which field /CLXX/CL (list → /materials) writes",
            ],
        ),
        (
            "a field on a joined list's column",
            "340000",
            "medical-filing",
            Box::new(|s| push(s, json!({"local": "/FJMC", "const": "材料"}))),
            vec![
                "340000/medical-filing.json",
                "is written by field /FJMC (→ /name) too",
            ],
        ),
    ];
    for (what, region, matter, mutate, expected) in builtin {
        let err = load_builtin_with(region, matter, mutate)
            .err()
            .unwrap_or_else(|| panic!("{what}: loaded"))
            .to_string();
        for e in expected {
            assert!(err.contains(e), "{what}: {e:?} not in {err:?}");
        }
    }
}

/// Given fields whose local paths share a prefix without one holding the other (siblings in one
/// record, XML attributes and an element's text beside its children, a list item's member named
/// like a top-level one), when the spec is loaded, then it loads: only a path equal to or inside
/// another's is an overlap, and a list's items are a scope of their own.
#[test]
fn local_paths_that_only_share_a_prefix_still_load() {
    load_example_with(|s| {
        push(s, json!({"local": "/zj/@lx", "const": "01"}));
        push(
            s,
            json!({"local": "/zj/#text", "canonical": "/form/end_date",
            "transforms": [{"date": "yyyy/MM/dd"}]}),
        );
        push(s, json!({"local": "/zj/zjhm", "const": "x"}));
        push(
            s,
            json!({"local": "/mc", "const": "top-level, not the item's /mc"}),
        );
    })
    .unwrap_or_else(|e| panic!("{e}"));
}

/// Given a spec directory with a spec file at its top (`medical-filing.json` beside the region
/// directories, not `620000/medical-filing.json`), when it is loaded, then the load is refused
/// saying to put it under its region's directory (named from the file's `region` when it has
/// one); before, the file was silently left unread and the region had no adapter. The shared
/// `codes.json` at the top is still read, and JSON files there that are no spec are left alone.
#[test]
fn a_spec_file_at_the_top_of_the_spec_directory_is_refused() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/620000");
    let tmp = TempDir::new("top-level");
    std::fs::copy(
        example.join("medical-filing.json"),
        tmp.0.join("medical-filing.json"),
    )
    .unwrap();
    let err = Registry::with_dir(&tmp.0)
        .expect_err("a spec at the top")
        .to_string();
    assert!(
        err.contains(
            "medical-filing.json: a spec file at the top of the spec directory is not read"
        ),
        "{err}"
    );
    assert!(
        err.contains("put it under its region's directory, as 620000/medical-filing.json"),
        "{err}"
    );

    let tmp = TempDir::new("top-level-no-region");
    std::fs::write(tmp.0.join("notes.json"), r#"{"fields": []}"#).unwrap();
    let err = Registry::with_dir(&tmp.0)
        .expect_err("a stray spec at the top")
        .to_string();
    assert!(
        err.contains("as <region>/notes.json, e.g. 110000/notes.json"),
        "{err}"
    );

    // A JSON file that is no spec (a package.json of the province's spec repository, an
    // editor's settings) is none of the loader's business: the directory loads.
    let tmp = TempDir::new("top-level-other");
    std::fs::write(tmp.0.join("package.json"), r#"{"name": "gansu-specs"}"#).unwrap();
    std::fs::write(tmp.0.join("broken.json"), "{").unwrap();
    Registry::with_dir(&tmp.0).unwrap_or_else(|e| panic!("other files at the top: {e}"));

    let tmp = TempDir::new("top-level-codes");
    std::fs::write(tmp.0.join("codes.json"), r#"{"tables": {}}"#).unwrap();
    Registry::with_dir(&tmp.0).unwrap_or_else(|e| panic!("codes.json at the top: {e}"));
}

/// Given a spec for a matter that does not exist, or one including a fragment by a mistyped
/// name, when it is loaded, then the error explains itself: it lists the matter codes there
/// are, or calls the mistake an include and lists the region's fragments (the builtin ones an
/// override can use included); before, it said only `unknown matter` or `field _rout: no such
/// fragment`, as if `_rout` were a field.
#[test]
fn unknown_matters_and_fragments_list_what_there_is() {
    let tmp = TempDir::new("unknown-matter");
    std::fs::create_dir_all(tmp.0.join("620000")).unwrap();
    std::fs::write(
        tmp.0.join("620000/marriage-registration.json"),
        r#"{"region": "620000", "matter": "marriage-registration", "fields": []}"#,
    )
    .unwrap();
    let err = Registry::with_dir(&tmp.0)
        .expect_err("no such matter")
        .to_string();
    assert!(
        err.starts_with("620000/marriage-registration.json: unknown matter \"marriage-registration\": the matter codes are "),
        "{err}"
    );
    for m in tongban_schemas::matters::all() {
        assert!(err.contains(m.code), "{} not in {err}", m.code);
    }

    let err = load_builtin_with("310000", "social-security-card", |s| {
        s["fields"].as_array_mut().unwrap()[1] = json!({"include": "_rout"});
    })
    .expect_err("a mistyped include")
    .to_string();
    assert!(
        err.contains(
            "310000/social-security-card.json: include \"_rout\": no such fragment in 310000/ \
             (its fragments: _person, _route;"
        ),
        "{err}"
    );
    assert!(!err.contains("field _rout"), "{err}");
}

/// Given a field whose last transform gives a kind of value the canonical member cannot be (no
/// `{"list": ";"}` on the field mapped to the `/handlers` array, a list or an integer on a text
/// member, text on an integer member of a list item), when the spec is loaded, then the load is
/// refused naming the field, the transform and the type the member needs; before, it loaded
/// and refused every form as if the province's data were wrong (`应为列表，收到文本`). A field
/// with no transform passes the local value on as it came (a JSON array is an array), so it is
/// not judged.
#[test]
fn a_transform_giving_what_the_canonical_member_cannot_be_stops_the_load() {
    let cases: Vec<(&str, Mutation, Vec<&str>)> = vec![
        (
            "text for an array",
            Box::new(|s| field(s, "/bld")["transforms"] = json!(["trim"])),
            vec![
                "field /bld: the last transform \"trim\" gives text, but canonical /handlers is \
                 of type array in the schema of medical-filing: every form would be refused at /handlers",
                "ends its transforms with {\"list\": \"<separator>\"}",
            ],
        ),
        (
            "a list for a text",
            Box::new(|s| field(s, "/ywxx/cbd")["transforms"] = json!(["trim", {"list": ";"}])),
            vec![
                "field /ywxx/cbd: the last transform {\"list\": \";\"} gives an array (a list of \
                 texts), but canonical /form/insured_region is of type string",
                "leave the list or integer transform out",
            ],
        ),
        (
            "an integer for a text",
            Box::new(|s| field(s, "/sqr/xm")["transforms"] = json!([{"integer": "number"}])),
            vec![
                "field /sqr/xm: the last transform {\"integer\": \"number\"} gives an integer, but \
                 canonical /applicant/name is of type string",
            ],
        ),
        (
            "text for an integer in a list item",
            Box::new(|s| item_fields(s)[3]["transforms"] = json!(["trim"])),
            vec![
                "field /fj/*/dx: the last transform \"trim\" gives text, but canonical \
                 /materials/*/size is of type integer",
                "{\"integer\": \"text\"}",
            ],
        ),
    ];
    refused_with(cases);
    load_example_with(|s| {
        field(s, "/bld")
            .as_object_mut()
            .unwrap()
            .remove("transforms");
    })
    .unwrap_or_else(|e| panic!("no transform: the value as sent: {e}"));
}

/// The worked example's spec with `mutate` applied and `fragments` (`(name, file)`) written
/// beside it in the region's directory.
fn load_example_with_fragments(
    mutate: impl FnOnce(&mut Value),
    fragments: &[(&str, Value)],
) -> Result<Registry, SpecError> {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/620000");
    let mut spec: Value =
        serde_json::from_slice(&std::fs::read(example.join("medical-filing.json")).unwrap())
            .unwrap();
    mutate(&mut spec);
    let tmp = TempDir::new("fragments");
    std::fs::create_dir_all(tmp.0.join("620000")).unwrap();
    std::fs::copy(example.join("codes.json"), tmp.0.join("620000/codes.json")).unwrap();
    for (name, fragment) in fragments {
        std::fs::write(
            tmp.0.join(format!("620000/{name}.json")),
            serde_json::to_vec(fragment).unwrap(),
        )
        .unwrap();
    }
    std::fs::write(
        tmp.0.join("620000/medical-filing.json"),
        serde_json::to_vec(&spec).unwrap(),
    )
    .unwrap();
    Registry::with_dir(&tmp.0)
}

/// The example with its applicant's fields (but `kind`) moved into `_person.json`, included at
/// `local` (with `prefix`), the fragment's `/xb` given `xb` instead.
fn person_fragment(local: &str, prefix: Option<&str>, xb: Value) -> Result<Registry, SpecError> {
    let local = local.to_string();
    let prefix = prefix.map(str::to_string);
    let fragment = json!({"fields": [
        {"local": "/xm", "canonical": "/name", "transforms": ["trim"], "required": true},
        {"local": "/sfzh", "canonical": "/id_number", "check": "gb11643", "required": true},
        xb,
    ]});
    load_example_with_fragments(
        move |s| {
            let fields = s["fields"].as_array_mut().unwrap();
            fields.retain(|f| !f["local"].as_str().is_some_and(|l| l.starts_with("/sqr/")));
            let mut include =
                json!({"include": "_person", "local": local, "canonical": "/applicant"});
            if let Some(p) = prefix {
                include["prefix"] = json!(p);
            }
            fields.push(include);
        },
        &[("_person", fragment)],
    )
}

/// Given a mistake in a field an included fragment brings in (a code table that does not
/// exist, a canonical path not in the schema), or in a list's item, when the spec is loaded,
/// then the error names the fragment's file and the field's path there, with the include and
/// the field's full local path in the form (`_person.json: field /xb (included by
/// medical-filing.json at /sqr as /sqr/xb)`), and a list's item by its path below the list
/// (`/fj/*/dx`); before, it named the including spec and a path that is in neither file (`field
/// /xb` of the spec, `field /dx`).
#[test]
fn errors_in_fragments_and_list_items_name_where_the_field_is_written() {
    let err = person_fragment(
        "/sqr",
        None,
        json!({"local": "/xb", "canonical": "/sex", "transforms": [{"codes": "nope"}]}),
    )
    .expect_err("no such table")
    .to_string();
    assert_eq!(
        err,
        "620000/_person.json: field /xb (included by 620000/medical-filing.json at /sqr as \
         /sqr/xb): no code table \"nope\""
    );

    // Found by the check against the canonical schema, after compiling: named the same way.
    let err = person_fragment(
        "/sqr",
        None,
        json!({"local": "/xb", "canonical": "/sexx", "transforms": [{"codes": "sex-zh"}]}),
    )
    .expect_err("not in the schema")
    .to_string();
    assert!(
        err.starts_with(
            "620000/_person.json: field /xb (included by 620000/medical-filing.json at /sqr as \
             /sqr/xb): canonical /applicant/sexx is not in the canonical schema"
        ),
        "{err}"
    );

    // A flat include: the prefix is said, and the path in the form has it.
    let err = person_fragment(
        "",
        Some("SQR_"),
        json!({"local": "/xb", "canonical": "/sex", "transforms": ["bogus"]}),
    )
    .expect_err("unknown transform")
    .to_string();
    assert!(
        err.starts_with(
            "620000/_person.json: field /xb (included by 620000/medical-filing.json with prefix \
             \"SQR_\" as /SQR_xb): unknown transform \"bogus\""
        ),
        "{err}"
    );

    // A list's item in the spec itself.
    let err = load_example_with(|s| item_fields(s)[3]["transforms"] = json!(["bogus"]))
        .expect_err("unknown transform")
        .to_string();
    assert!(
        err.starts_with("620000/medical-filing.json: field /fj/*/dx: unknown transform"),
        "{err}"
    );

    // A list's item in a fragment.
    let err = load_example_with_fragments(
        |s| {
            let fields = s["fields"].as_array_mut().unwrap();
            let list = fields.iter().position(|f| f["local"] == "/fj").unwrap();
            fields[list] = json!({"include": "_materials"});
        },
        &[(
            "_materials",
            json!({"fields": [{"local": "/fj", "canonical": "/materials", "list": {"item": [
                {"local": "/mc", "canonical": "/name"},
                {"local": "/lx", "canonical": "/kind"},
                {"local": "/zy", "canonical": "/sha256"},
                {"local": "/dx", "canonical": "/size", "transforms": [{"integer": "num"}]}
            ]}}]}),
        )],
    )
    .expect_err("bad integer form")
    .to_string();
    assert!(
        err.starts_with(
            "620000/_materials.json: field /fj/*/dx (included by 620000/medical-filing.json as \
             /fj/*/dx): integer takes"
        ),
        "{err}"
    );
}

/// Given a split whose part, or a `name_parts` field whose joined name, is mapped to a canonical
/// member that is not text (an attachment's integer `size`, the `/handlers` array), when the spec
/// is loaded, then the load is refused naming the field, what gives the text and the type the
/// member needs; before, it loaded and refused every form at that member. Mapped to text members,
/// both load.
#[test]
fn a_split_part_or_a_joined_name_on_a_member_that_is_not_text_stops_the_load() {
    let err = load_example_with(|s| {
        let items = item_fields(s);
        items.retain(|f| f["local"] != "/mc" && f["local"] != "/dx");
        items.push(
            json!({"local": "/mcdx", "split": {"separator": "|", "canonical": ["/name", "/size"]}}),
        );
    })
    .err()
    .unwrap_or_else(|| panic!("a split part on an integer loaded"))
    .to_string();
    assert!(
        err.contains(
            "field /fj/*/mcdx: a part of the split gives text, but canonical /materials/*/size is \
             of type integer in the schema of medical-filing"
        ),
        "{err}"
    );
    let err = load_example_with(|s| {
        remove(s, "/bld");
        push(
            s,
            json!({"name_parts": ["/bld/xing", "/bld/ming"], "canonical": "/handlers"}),
        );
    })
    .err()
    .unwrap_or_else(|| panic!("a joined name on an array loaded"))
    .to_string();
    assert!(
        err.contains(
            "the name joined from name_parts gives text, but canonical /handlers is of type array"
        ),
        "{err}"
    );
    assert!(err.contains("/bld/xing"), "names the field: {err}");

    load_example_with(|s| {
        remove(s, "/sqr/xm");
        push(
            s,
            json!({"name_parts": ["/sqr/xing", "/sqr/ming"], "canonical": "/applicant/name"}),
        );
        let items = item_fields(s);
        items.retain(|f| f["local"] != "/mc" && f["local"] != "/lx");
        items.push(
            json!({"local": "/mclx", "split": {"separator": "|", "canonical": ["/name", "/kind"]}}),
        );
    })
    .unwrap_or_else(|e| panic!("text members: {e}"));
}

/// Given Shanghai's golden form whose two materials are of kinds the matter does not require,
/// when it is translated, then each required material missing (the 居民身份证 and the photo) is
/// its own `material-missing` warning at the form's list: two warnings at one pointer were one.
#[test]
fn each_required_material_missing_is_warned_of() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regions/310000/golden/social-security-card.local.xml");
    let bytes = std::fs::read(golden).unwrap();
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let text = text
        .replace("<CLLBDM>id-card</CLLBDM>", "<CLLBDM>other</CLLBDM>")
        .replace("<CLLBDM>photo</CLLBDM>", "<CLLBDM>other</CLLBDM>");
    let warned = translated_by_shanghai(&encoding_rs::GBK.encode(&text).0);
    let missing: Vec<&str> = warned
        .warnings
        .iter()
        .filter(|w| w.rule == "material-missing")
        .map(|w| w.message.as_str())
        .collect();
    assert_eq!(missing.len(), 2, "{:?}", warned.warnings);
    assert!(missing.iter().any(|m| m.contains("id-card")), "{missing:?}");
    assert!(missing.iter().any(|m| m.contains("photo")), "{missing:?}");
}
