use super::*;
use crate::blocks::MaterialRef;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

const REGENERATE: &str =
    "TONGBAN_REGENERATE_SCHEMAS=1 cargo test -p tongban-schemas generated_files";

/// The checked-in files must equal what the Rust types generate. With TONGBAN_REGENERATE_SCHEMAS=1 the
/// test writes them instead (only the current version of each subject: older files are frozen).
#[test]
fn generated_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("json");
    let regenerate = std::env::var("TONGBAN_REGENERATE_SCHEMAS").is_ok_and(|v| v == "1");
    let mut drift = Vec::new();
    for (subject, version, doc) in current_documents() {
        let path = dir.join(&subject).join(format!("{version}.json"));
        let text = format!("{}\n", serde_json::to_string_pretty(&doc).unwrap());
        if regenerate {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            drift.push(format!("{subject}/{version}"));
        }
    }
    assert!(
        drift.is_empty(),
        "schema files under schemas/json differ from the Rust types for: {}\n\
         If the change is intended, regenerate them with\n    {REGENERATE}\n\
         and review the diff. Never change a published version in place: bump the version \
         (matter.version or EVENT_TYPES) and register an upcaster instead.",
        drift.join(", ")
    );
}

#[test]
fn checked_in_files_are_complete_and_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("json");
    let mut count = 0;
    for subject in std::fs::read_dir(&dir).unwrap() {
        for file in std::fs::read_dir(subject.unwrap().path()).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            let _: Value = serde_json::from_str(&text).unwrap();
            count += 1;
        }
    }
    assert_eq!(count, checked_in().len());
    let reg = Registry::builtin();
    for (subject, version, _) in current_documents() {
        assert_eq!(reg.latest(&subject), Some(version), "{subject}");
        assert_eq!(
            reg.versions(&subject).unwrap(),
            (1..=version).collect::<Vec<_>>(),
            "{subject}"
        );
    }
}

/// Every published document passes jsonschema's own draft 2020-12 meta-schema check, compiles, and
/// its examples are valid under it.
#[test]
fn published_schemas_pass_meta_validation_and_examples_validate() {
    let reg = Registry::builtin();
    let subjects = reg.subjects();
    assert!(subjects.len() >= 8 + crate::events::EVENT_TYPES.len());
    for s in &subjects {
        for v in &s.versions {
            let doc = reg.schema(&s.subject, VersionRef::Number(*v)).unwrap();
            assert!(jsonschema::meta::is_valid(doc), "{}/{v}", s.subject);
            check_document(doc).unwrap_or_else(|e| panic!("{}/{v}: {e}", s.subject));
            let examples = doc["examples"].as_array().unwrap();
            assert!(!examples.is_empty(), "{}/{v}", s.subject);
            // Independently of our keyword: a plain draft 2020-12 validator accepts the examples.
            let plain = jsonschema::draft202012::new(doc).unwrap();
            for ex in examples {
                assert!(plain.is_valid(ex), "{}/{v}", s.subject);
            }
        }
    }
}

/// Every published version registers, in order, under its subject's policy with the upcasters of
/// `builtin::UPCASTERS`: a new version that stored data cannot be read under fails here, naming
/// each incompatibility and who it hurts, until its upcaster is listed.
#[test]
fn builtin_history_obeys_each_subject_policy() {
    let reg = Registry::builtin();
    for s in reg.subjects() {
        let mut replay = Registry::new();
        replay.set_config(&s.subject, s.config);
        for v in &s.versions {
            if let Some(step) = reg.upcaster(&s.subject, *v - 1) {
                replay.register_upcaster(&s.subject, *v - 1, step);
            }
            let doc = reg
                .schema(&s.subject, VersionRef::Number(*v))
                .unwrap()
                .clone();
            if let Err(e) = replay.register(&s.subject, doc) {
                panic!(
                    "{}/{v} cannot be published after version {}: {e}\n\
                     A change stored data cannot be read under needs an upcaster from version {} \
                     in schemas/src/registry/builtin.rs (UPCASTERS); see schemas/README.md.",
                    s.subject,
                    v - 1,
                    v - 1
                );
            }
        }
        assert_eq!(replay.versions(&s.subject), Some(s.versions.clone()));
    }
    for (subject, from, _) in upcasters() {
        assert!(
            reg.latest(subject).is_some_and(|latest| latest > *from),
            "UPCASTERS lists {subject} from version {from}, which is not an older version of it"
        );
    }
}

/// The maintainer's path for a breaking change (a field renamed): refused under BACKWARD, naming
/// the fields and whom the change hurts; registered once the upcaster from the latest version is;
/// refused again, naming the example, when the upcaster does not produce what the new version
/// accepts; and stored data of every older version then reads as the new version.
#[test]
fn a_rename_is_published_with_its_upcaster() {
    let subject = "matter.medical-filing";
    let mut reg = Registry::with_builtin();
    let latest = reg.latest(subject).unwrap();
    let mut next = reg.schema(subject, VersionRef::Latest).unwrap().clone();
    let form = &mut next["$defs"]["MedicalFilingForm"];
    let phone = form["properties"]["phone"].take();
    form["properties"].as_object_mut().unwrap().remove("phone");
    form["properties"]["contact_phone"] = phone;
    for r in form["required"].as_array_mut().unwrap() {
        if r == "phone" {
            *r = json!("contact_phone");
        }
    }
    let mut examples = next["examples"].take();
    for ex in examples.as_array_mut().unwrap() {
        let p = ex["form"].as_object_mut().unwrap().remove("phone").unwrap();
        ex["form"]["contact_phone"] = p;
    }
    next["examples"] = examples;

    let err = reg.register(subject, next.clone()).unwrap_err().to_string();
    for part in [
        "/form/phone",
        "/form/contact_phone",
        "required-added",
        &format!("data written under version {latest}"),
        "without an upcaster, which the gateway's maintainers register",
    ] {
        assert!(err.contains(part), "{part:?} missing from: {err}");
    }

    fn rename(mut data: Value) -> Result<Value, String> {
        let form = data
            .get_mut("form")
            .and_then(Value::as_object_mut)
            .ok_or("form is not an object")?;
        let phone = form.remove("phone").ok_or("form has no phone")?;
        form.insert("contact_phone".into(), phone);
        Ok(data)
    }
    fn forgets(data: Value) -> Result<Value, String> {
        Ok(data)
    }
    reg.register_upcaster(subject, latest, forgets);
    let err = reg.register(subject, next.clone()).unwrap_err().to_string();
    assert!(
        err.contains("examples/0") && err.contains("contact_phone"),
        "{err}"
    );
    reg.register_upcaster(subject, latest, rename);
    assert_eq!(reg.register(subject, next), Ok(latest + 1));

    let stored = reg.schema(subject, VersionRef::Number(1)).unwrap()["examples"][0].clone();
    let (version, data) = reg.upcast(subject, 1, stored).unwrap();
    assert_eq!(version, latest + 1);
    assert_eq!(data["form"]["contact_phone"], json!("13812345678"));
    assert!(data["form"].get("phone").is_none());

    // A latest version without examples gives the upcaster nothing to be checked on: refused,
    // rather than any step (the forgetful one too) taken on trust.
    let mut bare = Registry::new();
    let mut v1 = reg
        .schema(subject, VersionRef::Number(latest))
        .unwrap()
        .clone();
    v1.as_object_mut().unwrap().remove("examples");
    assert_eq!(bare.register(subject, v1), Ok(1));
    bare.register_upcaster(subject, 1, forgets);
    let mut renamed = reg.schema(subject, VersionRef::Latest).unwrap().clone();
    renamed.as_object_mut().unwrap().remove("examples");
    let err = bare.register(subject, renamed).unwrap_err().to_string();
    assert!(err.contains("version 1 has no `examples`"), "{err}");

    // Under FULL the forward direction is not the upcaster's to answer: still refused, saying so.
    let mut full = Registry::with_builtin();
    full.set_config(
        subject,
        SubjectConfig {
            compatibility: Compatibility::Full,
            ..SubjectConfig::default()
        },
    );
    full.register_upcaster(subject, latest, rename);
    let mut added = full.schema(subject, VersionRef::Latest).unwrap().clone();
    added["$defs"]["MedicalFilingForm"]["properties"]["hospital"] =
        json!({"type": "string", "description": "就医医院"});
    let err = full.register(subject, added).unwrap_err().to_string();
    assert!(
        err.contains("/form/hospital") && err.contains("other provinces' systems"),
        "{err}"
    );
}

#[test]
fn listing_and_documents() {
    let reg = Registry::builtin();
    let list = reg.subjects();
    let hukou = list
        .iter()
        .find(|s| s.subject == "matter.hukou-transfer")
        .unwrap();
    assert_eq!(hukou.kind, SubjectKind::Matter);
    // Version 2 added the materials' format (材料格式).
    assert_eq!(hukou.latest, 2);
    assert!(hukou.title.contains("户口迁移"));
    let accepted = list
        .iter()
        .find(|s| s.subject == "application.accepted")
        .unwrap();
    assert_eq!(accepted.kind, SubjectKind::Event);
    assert!(
        reg.schema("application.accepted", VersionRef::Latest)
            .is_some()
    );
    assert!(
        reg.schema("application.accepted", VersionRef::Number(9))
            .is_none()
    );
    assert_eq!(VersionRef::parse("latest"), Some(VersionRef::Latest));
    assert_eq!(VersionRef::parse("2"), Some(VersionRef::Number(2)));
    assert_eq!(VersionRef::parse("0"), None);
    assert_eq!(
        parse_schema_ref("application.accepted/1"),
        Some(("application.accepted", 1))
    );
    assert_eq!(
        reg.fields("nope", VersionRef::Latest),
        Err(SchemaError::UnknownSubject("nope".into()))
    );
    let r = reg
        .validate(
            "application.not-accepted",
            VersionRef::Latest,
            &json!({"reason": ""}),
        )
        .unwrap();
    assert_eq!(r.violations[0].pointer, "/reason");
}

#[test]
fn field_table_of_a_matter() {
    let reg = Registry::builtin();
    let fields = reg
        .fields("matter.hukou-transfer", VersionRef::Latest)
        .unwrap();
    let f = |p: &str| {
        fields
            .iter()
            .find(|f| f.path == p)
            .unwrap_or_else(|| panic!("{p} missing"))
    };
    let id = f("/applicant/id_number");
    assert_eq!(id.variant.as_deref(), Some("person"));
    assert!(id.title.contains("公民身份号码"));
    assert!(id.required);
    assert_eq!(id.example, Some(json!("440106199003071231")));
    let sex = f("/applicant/sex");
    assert_eq!(sex.kind, "enum");
    assert!(sex.values.iter().any(|(v, d)| v == "1" && d.contains("男")));
    let division = f("/form/move_in_address/division");
    assert_eq!(division.format.as_deref(), Some("gb2260"));
    // A field titled in its own words, not its shared type's (every date is a 日期).
    let fields_mf = reg
        .fields("matter.medical-filing", VersionRef::Latest)
        .unwrap();
    let title = |p: &str| {
        fields_mf
            .iter()
            .find(|f| f.path == p)
            .map(|f| f.title.clone())
            .unwrap_or_else(|| panic!("{p} missing"))
    };
    assert_eq!(title("/form/start_date"), "备案开始日期");
    assert_eq!(title("/form/end_date"), "备案结束日期");
    assert_eq!(title("/form/insured_region"), "参保地");
    let member = f("/form/accompanying/*/person/name");
    assert!(member.required);
    assert!(!f("/form/householder_name").required);
    assert_eq!(f("/mode").kind, "enum");
    // The organisation applicant of business registration appears as its own variant.
    let fields = reg
        .fields("matter.business-registration", VersionRef::Latest)
        .unwrap();
    assert!(fields.iter().any(
        |f| f.path == "/applicant/credit_code" && f.variant.as_deref() == Some("organisation")
    ));
}

// ---------------------------------------------------------------------------------------------
// Compatibility rules, each both ways.

fn obj(props: Value, required: &[&str], closed: bool) -> Value {
    let mut o = json!({ "$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "properties": props, "required": required });
    if closed {
        o["additionalProperties"] = json!(false);
    }
    o
}

fn rules(reader: &Value, writer: &Value, open: OpenObjects) -> Vec<Rule> {
    compatibility::compare(reader, writer, open)
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn compatibility_table() {
    use Rule::*;
    let s = |t: Value| obj(json!({ "a": t }), &["a"], true);
    let strict = OpenObjects::Strict;
    // (name, old, new, rule expected for BACKWARD (new reads old), or None when compatible)
    let table: Vec<(&str, Value, Value, Option<Rule>)> = vec![
        (
            "null removed",
            s(json!({"type": ["string", "null"]})),
            s(json!({"type": "string"})),
            Some(TypeNarrowed),
        ),
        (
            "null added",
            s(json!({"type": "string"})),
            s(json!({"type": ["string", "null"]})),
            None,
        ),
        (
            "number to integer",
            s(json!({"type": "number"})),
            s(json!({"type": "integer"})),
            Some(TypeNarrowed),
        ),
        (
            "integer to number",
            s(json!({"type": "integer"})),
            s(json!({"type": "number"})),
            None,
        ),
        (
            "string to object",
            s(json!({"type": "string"})),
            s(json!({"type": "object"})),
            Some(TypeNarrowed),
        ),
        (
            "enum value removed",
            s(json!({"enum": ["a", "b"]})),
            s(json!({"enum": ["a"]})),
            Some(EnumValueRemoved),
        ),
        (
            "enum value added",
            s(json!({"enum": ["a"]})),
            s(json!({"enum": ["a", "b"]})),
            None,
        ),
        (
            "documented enum value removed",
            s(
                json!({"oneOf": [{"const": "a", "description": "A"}, {"const": "b", "description": "B"}]}),
            ),
            s(json!({"oneOf": [{"const": "a", "description": "A"}]})),
            Some(EnumValueRemoved),
        ),
        (
            "values restricted",
            s(json!({"type": "string"})),
            s(json!({"type": "string", "enum": ["x"]})),
            Some(ValuesRestricted),
        ),
        (
            "values opened",
            s(json!({"type": "string", "enum": ["x"]})),
            s(json!({"type": "string"})),
            None,
        ),
        (
            "property added to closed object",
            obj(json!({"a": {"type": "string"}}), &["a"], true),
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
                true,
            ),
            None,
        ),
        (
            "property removed from closed object",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
                true,
            ),
            obj(json!({"a": {"type": "string"}}), &["a"], true),
            Some(PropertyRemovedFromClosedObject),
        ),
        (
            "property removed from open object",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
                false,
            ),
            obj(json!({"a": {"type": "string"}}), &["a"], false),
            None,
        ),
        (
            "property added to open object (strict)",
            obj(json!({"a": {"type": "string"}}), &["a"], false),
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
                false,
            ),
            Some(PropertyAddedToOpenObject),
        ),
        (
            "object closed",
            obj(json!({"a": {"type": "string"}}), &["a"], false),
            obj(json!({"a": {"type": "string"}}), &["a"], true),
            Some(ObjectClosed),
        ),
        (
            "object opened",
            obj(json!({"a": {"type": "string"}}), &["a"], true),
            obj(json!({"a": {"type": "string"}}), &["a"], false),
            None,
        ),
        (
            "newly required without default",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
                true,
            ),
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a", "b"],
                true,
            ),
            Some(RequiredAdded),
        ),
        (
            // Validation never fills a default in: old data without `b` fails the new reader.
            "newly required with default",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
                true,
            ),
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string", "default": "x"}}),
                &["a", "b"],
                true,
            ),
            Some(RequiredAdded),
        ),
        (
            "required dropped",
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a", "b"],
                true,
            ),
            obj(
                json!({"a": {"type": "string"}, "b": {"type": "string"}}),
                &["a"],
                true,
            ),
            None,
        ),
        (
            "maxLength lowered",
            s(json!({"type": "string", "maxLength": 10})),
            s(json!({"type": "string", "maxLength": 5})),
            Some(RangeNarrowed),
        ),
        (
            "maxLength raised",
            s(json!({"type": "string", "maxLength": 5})),
            s(json!({"type": "string", "maxLength": 10})),
            None,
        ),
        (
            "minimum added",
            s(json!({"type": "integer"})),
            s(json!({"type": "integer", "minimum": 1})),
            Some(RangeNarrowed),
        ),
        (
            "pattern added",
            s(json!({"type": "string"})),
            s(json!({"type": "string", "pattern": "^[0-9]+$"})),
            Some(PatternChanged),
        ),
        (
            "pattern removed",
            s(json!({"type": "string", "pattern": "^[0-9]+$"})),
            s(json!({"type": "string"})),
            None,
        ),
        (
            "check added",
            s(json!({"type": "string"})),
            s(json!({"type": "string", "x-tongban-check": "gb2260"})),
            Some(CheckAdded),
        ),
        (
            "check removed",
            s(json!({"type": "string", "x-tongban-check": "gb2260"})),
            s(json!({"type": "string"})),
            None,
        ),
        (
            "allOf added",
            s(json!({"type": "string"})),
            s(json!({"type": "string", "allOf": [{"minLength": 2}]})),
            Some(ConstraintChanged),
        ),
        (
            "allOf removed",
            s(json!({"type": "string", "allOf": [{"minLength": 2}]})),
            s(json!({"type": "string"})),
            None,
        ),
        (
            "items narrowed",
            s(json!({"type": "array", "items": {"type": ["integer", "string"]}})),
            s(json!({"type": "array", "items": {"type": "integer"}})),
            Some(TypeNarrowed),
        ),
        (
            "items widened",
            s(json!({"type": "array", "items": {"type": "integer"}})),
            s(json!({"type": "array", "items": {"type": ["integer", "string"]}})),
            None,
        ),
    ];
    let a = json!({"type": "object", "properties": {"kind": {"const": "a"}, "x": {"type": "string"}}, "required": ["kind"], "additionalProperties": false});
    let b = json!({"type": "object", "properties": {"kind": {"const": "b"}, "y": {"type": "integer"}, "z": {"type": "string"}}, "required": ["kind", "y"], "additionalProperties": false});
    let union = |branches: Vec<Value>| s(json!({ "oneOf": branches }));
    let mut table = table;
    table.push((
        "union variant removed",
        union(vec![a.clone(), b.clone()]),
        union(vec![a.clone()]),
        Some(BranchNotAccepted),
    ));
    table.push((
        "union variant added",
        union(vec![a.clone()]),
        union(vec![a, b]),
        None,
    ));

    for (name, old, new, expected) in &table {
        let found = rules(new, old, strict);
        match expected {
            Some(rule) => assert!(
                found.contains(rule),
                "{name}: expected {rule:?}, found {found:?}"
            ),
            None => assert!(
                found.is_empty(),
                "{name}: expected compatible, found {found:?}"
            ),
        }
    }
    // Paths are exact instance pointers.
    let old = obj(
        json!({"a": {"type": "array", "items": obj(json!({"b": {"enum": ["x", "y"]}}), &["b"], true)}}),
        &["a"],
        true,
    );
    let new = obj(
        json!({"a": {"type": "array", "items": obj(json!({"b": {"enum": ["x"]}}), &["b"], true)}}),
        &["a"],
        true,
    );
    let f = compatibility::compare(&new, &old, strict);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].path, "/a/*/b");
    assert!(f[0].reason.contains("\"y\""));
}

#[test]
fn lenient_open_objects_allow_added_properties() {
    let old = obj(json!({"a": {"type": "string"}}), &["a"], false);
    let new = obj(
        json!({"a": {"type": "string"}, "b": {"type": "string"}}),
        &["a"],
        false,
    );
    assert_eq!(
        rules(&new, &old, OpenObjects::Strict),
        vec![Rule::PropertyAddedToOpenObject]
    );
    assert!(rules(&new, &old, OpenObjects::Lenient).is_empty());
    // Per subject.
    let mut reg = Registry::new();
    reg.set_config("x.strict", SubjectConfig::default());
    reg.set_config(
        "x.lenient",
        SubjectConfig {
            open_objects: OpenObjects::Lenient,
            ..SubjectConfig::default()
        },
    );
    for s in ["x.strict", "x.lenient"] {
        assert_eq!(reg.register(s, old.clone()), Ok(1));
    }
    assert!(matches!(
        reg.register("x.strict", new.clone()),
        Err(SchemaError::Incompatible { .. })
    ));
    assert_eq!(reg.register("x.lenient", new), Ok(2));
}

#[test]
fn policies_directions_and_transitivity() {
    let v1 = obj(
        json!({"a": {"type": "string"}, "b": {"type": "string"}}),
        &["a"],
        true,
    );
    let v2 = obj(json!({"a": {"type": "string"}}), &["a"], true); // drops b: not backward, but forward
    let v3 = obj(
        json!({"a": {"type": "string"}, "b": {"type": "integer"}}),
        &["a"],
        true,
    ); // b back with another type
    let run = |policy: Compatibility, docs: &[&Value]| {
        let mut reg = Registry::new();
        reg.set_config(
            "s",
            SubjectConfig {
                compatibility: policy,
                open_objects: OpenObjects::Strict,
            },
        );
        docs.iter()
            .map(|d| reg.register("s", (*d).clone()))
            .collect::<Vec<_>>()
    };
    // Backward: v2 can't read v1 data holding b.
    let r = run(Compatibility::Backward, &[&v1, &v2]);
    let Err(SchemaError::Incompatible {
        incompatibilities, ..
    }) = &r[1]
    else {
        panic!("{r:?}")
    };
    assert_eq!(incompatibilities[0].path, "/b");
    assert_eq!(
        incompatibilities[0].rule,
        Rule::PropertyRemovedFromClosedObject
    );
    assert_eq!(incompatibilities[0].direction, Direction::Backward);
    assert_eq!(incompatibilities[0].against_version, 1);
    // Forward: v1 reads v2 data fine.
    assert_eq!(run(Compatibility::Forward, &[&v1, &v2]), vec![Ok(1), Ok(2)]);
    assert!(run(Compatibility::Full, &[&v1, &v2])[1].is_err());
    assert_eq!(
        run(Compatibility::None, &[&v1, &v2, &v3]),
        vec![Ok(1), Ok(2), Ok(3)]
    );
    // Forward: v2 reads v3 data? v2 is closed and lacks b: no. So use a chain that only transitivity catches:
    // v3 vs v2 is BACKWARD-compatible (v3 reads v2 data: no b), but v3 vs v1 is not (b string vs integer).
    let mut reg = Registry::new();
    reg.set_config(
        "t",
        SubjectConfig {
            compatibility: Compatibility::None,
            open_objects: OpenObjects::Strict,
        },
    );
    reg.register("t", v1.clone()).unwrap();
    reg.register("t", v2.clone()).unwrap();
    reg.set_config(
        "t",
        SubjectConfig {
            compatibility: Compatibility::Backward,
            open_objects: OpenObjects::Strict,
        },
    );
    assert_eq!(reg.check("t", &v3), Ok(vec![]));
    reg.set_config(
        "t",
        SubjectConfig {
            compatibility: Compatibility::BackwardTransitive,
            open_objects: OpenObjects::Strict,
        },
    );
    let found = reg.check("t", &v3).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        (
            found[0].path.as_str(),
            found[0].rule,
            found[0].against_version
        ),
        ("/b", Rule::TypeNarrowed, 1)
    );
    for c in Compatibility::ALL {
        assert_eq!(Compatibility::parse(c.as_str()), Some(c));
    }
}

#[test]
fn candidates_must_be_valid_documents() {
    let reg = Registry::builtin();
    assert!(matches!(
        reg.check("matter.hukou-transfer", &json!({"type": "object"})),
        Err(SchemaError::InvalidSchema(_))
    ));
    let bad =
        json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "no-such-type"});
    assert!(matches!(
        reg.check("x", &bad),
        Err(SchemaError::InvalidSchema(_))
    ));
    let bad_example = json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "string", "examples": [1]});
    assert!(matches!(
        reg.check("x", &bad_example),
        Err(SchemaError::InvalidExamples(_))
    ));
}

/// Given a candidate whose examples fail in several places (the check answered only the first
/// violation of the first failing example, at pointer ""), when checked, then every violation
/// of every example is reported at `/examples/<i><pointer>` with its rule; and a flood of them
/// is cut at `limits::MAX_PROBLEMS`, the last saying how many more.
#[test]
fn every_violation_of_every_example_is_reported_where_it_is() {
    let reg = Registry::builtin();
    let doc = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"reason": {"type": "string", "minLength": 2}, "days": {"type": "integer"}},
        "required": ["reason"],
        "examples": [{"reason": "ok", "days": 1}, {"reason": "x", "days": "ten"}, {"days": 2}]
    });
    let Err(SchemaError::InvalidExamples(found)) = reg.check("x", &doc) else {
        panic!("examples fail");
    };
    let at: Vec<(&str, &str)> = found
        .iter()
        .map(|v| (v.pointer.as_str(), v.rule.as_str()))
        .collect();
    for expected in [
        ("/examples/1/reason", "min-length"),
        ("/examples/1/days", "type"),
        ("/examples/2/reason", "required"),
    ] {
        assert!(at.contains(&expected), "{expected:?} in {at:?}");
    }
    assert!(
        !at.iter().any(|(p, _)| p.starts_with("/examples/0")),
        "{at:?}"
    );

    let flood = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "array",
        "items": {"type": "string"},
        "examples": [(0..150).collect::<Vec<u32>>()]
    });
    let Err(SchemaError::InvalidExamples(found)) = reg.check("x", &flood) else {
        panic!("examples fail");
    };
    assert_eq!(found.len(), crate::limits::MAX_PROBLEMS);
    assert_eq!(found[0].pointer, "/examples/0/0");
    let last = found.last().expect("last");
    assert_eq!(last.rule, "too-many-problems");
    assert!(last.message.contains("more problems not listed"), "{last}");
}

#[test]
fn matter_changes_are_checked() {
    let reg = Registry::builtin();
    let mut doc = reg
        .schema("matter.hukou-transfer", VersionRef::Latest)
        .unwrap()
        .clone();
    // Remove a reason (an enum value) and make householder_name required.
    let reasons = doc
        .pointer_mut("/$defs/MoveReason/oneOf")
        .unwrap()
        .as_array_mut()
        .unwrap();
    reasons.retain(|b| b["const"] != "study");
    doc.pointer_mut("/$defs/HukouTransferForm/required")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(json!("householder_name"));
    let found = reg.check("matter.hukou-transfer", &doc).unwrap();
    assert!(
        found
            .iter()
            .any(|i| i.path == "/form/reason" && i.rule == Rule::EnumValueRemoved),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|i| i.path == "/form/householder_name" && i.rule == Rule::RequiredAdded),
        "{found:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// A real v2 of an event, and upcasting.

/// v2 of `application.supplement-requested`: each item is structured (what kind of material, and
/// what is wrong with it) instead of free text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SupplementItemV2 {
    /// 材料类型代码 (未知时为 other)
    kind: String,
    /// 需补正的内容
    #[schemars(length(min = 1))]
    description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SupplementRequestedV2 {
    /// 需补正的材料或事项
    #[schemars(length(min = 1))]
    items: Vec<SupplementItemV2>,
    /// 说明
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// 补正期限 (自然日)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_days: Option<u32>,
    #[serde(default)]
    materials: Vec<MaterialRef>,
}

fn supplement_v1_to_v2(mut v: Value) -> Result<Value, String> {
    let items = v
        .get_mut("items")
        .and_then(Value::as_array_mut)
        .ok_or("items missing")?;
    for item in items.iter_mut() {
        let text = item.as_str().ok_or("item is not a string")?.to_string();
        *item = json!({ "kind": "other", "description": text });
    }
    Ok(v)
}

fn v2_doc() -> Value {
    let mut doc = schemars::schema_for!(SupplementRequestedV2).to_value();
    doc["examples"] = json!([{ "items": [{ "kind": "labour-contract", "description": "劳动合同缺少签章页" }], "due_days": 5 }]);
    doc
}

#[test]
fn upcasting_keeps_old_events_readable() {
    let subject = crate::events::SupplementRequested::TYPE;
    let mut reg = Registry::with_builtin();
    // Under the default BACKWARD policy the new shape is rejected, at the exact place.
    let found = reg.check(subject, &v2_doc()).unwrap();
    assert!(
        found
            .iter()
            .any(|i| i.path == "/items/*" && i.rule == Rule::TypeNarrowed),
        "{found:#?}"
    );
    assert!(matches!(
        reg.register(subject, v2_doc()),
        Err(SchemaError::Incompatible { .. })
    ));

    // The owners decide the break is worth it: NONE for this change, with an upcaster.
    reg.set_config(
        subject,
        SubjectConfig {
            compatibility: Compatibility::None,
            ..SubjectConfig::default()
        },
    );
    assert_eq!(reg.register(subject, v2_doc()), Ok(2));
    let old = json!({ "items": ["劳动合同", "结婚证"], "note": "请一次性补齐" });
    assert_eq!(
        reg.upcast(subject, 1, old.clone()),
        Err(SchemaError::MissingUpcaster {
            subject: subject.into(),
            from: 1
        })
    );
    reg.register_upcaster(subject, 1, supplement_v1_to_v2);
    let (version, data) = reg.upcast(subject, 1, old).unwrap();
    assert_eq!(version, 2);
    let typed: SupplementRequestedV2 = serde_json::from_value(data).unwrap();
    assert_eq!(
        typed.items[1],
        SupplementItemV2 {
            kind: "other".into(),
            description: "结婚证".into()
        }
    );
    // v2 data passes through unchanged; v1 data that is not v1 fails loudly.
    let v2_data = json!({ "items": [{ "kind": "photo", "description": "照片不清晰" }] });
    assert_eq!(reg.upcast(subject, 2, v2_data.clone()), Ok((2, v2_data)));
    assert!(matches!(
        reg.upcast(subject, 1, json!({"items": [1]})),
        Err(SchemaError::Upcast { .. })
    ));
    assert!(matches!(
        reg.upcast(subject, 3, json!({})),
        Err(SchemaError::UnknownVersion { .. })
    ));

    // The diff tells a reviewer what changed.
    let d = reg
        .diff(subject, VersionRef::Number(1), VersionRef::Latest)
        .unwrap();
    assert!(d.added.iter().any(|f| f.path == "/due_days"));
    assert!(d.added.iter().any(|f| f.path == "/items/*/kind"));
    assert!(d.backward.iter().any(|i| i.path == "/items/*"));
}

#[test]
fn compatible_versions_upcast_by_identity() {
    // v2 of application.accepted adds an optional field: BACKWARD accepts it, FULL would not.
    let subject = crate::events::Accepted::TYPE;
    let mut reg = Registry::with_builtin();
    let mut v2 = reg.schema(subject, VersionRef::Latest).unwrap().clone();
    v2["properties"]["accepted_by"] = json!({ "type": "string", "description": "受理人员编号" });
    let mut full = Registry::with_builtin();
    full.set_config(
        subject,
        SubjectConfig {
            compatibility: Compatibility::Full,
            ..SubjectConfig::default()
        },
    );
    let found = full.check(subject, &v2).unwrap();
    assert!(
        found
            .iter()
            .any(|i| i.direction == Direction::Forward && i.path == "/accepted_by"),
        "{found:#?}"
    );
    assert_eq!(reg.register(subject, v2), Ok(2));
    let data = json!({ "reference": "ZJGA-1" });
    assert_eq!(reg.upcast(subject, 1, data.clone()), Ok((2, data)));
    let d = reg
        .diff(subject, VersionRef::Number(1), VersionRef::Number(2))
        .unwrap();
    assert_eq!(d.added.len(), 1);
    assert!(d.backward.is_empty());
    assert_eq!(d.forward.len(), 1);
}

/// A `$ref` back into a union, on either side, and a union multiplied through references: each
/// comparison ends (no stack overflow, no endless work) and refuses to call them compatible.
#[test]
fn schemas_that_loop_or_multiply_through_refs_are_too_complex_not_endless() {
    let strict = OpenObjects::Strict;
    let looped = json!({"anyOf": [{"$ref": "#"}]});
    let twice = json!({"anyOf": [{"$ref": "#"}, {"$ref": "#"}]});
    // 2^40 paths through forty definitions, each a union of two references to the next.
    let mut defs = serde_json::Map::new();
    for i in 0..40 {
        let next = format!("#/$defs/d{}", i + 1);
        defs.insert(
            format!("d{i}"),
            json!({"anyOf": [{"$ref": next}, {"$ref": next}]}),
        );
    }
    defs.insert("d40".into(), json!({"type": "string"}));
    let multiplied = json!({"$defs": defs, "$ref": "#/$defs/d0"});
    let plain = json!({"type": "string"});
    let number = json!({"type": "number"});
    // A reader's union stops at the first branch that reads the writer's data: no blow-up.
    assert_eq!(rules(&multiplied, &plain, strict), vec![]);
    for (reader, writer) in [
        (&looped, &plain),
        (&plain, &looped),
        (&twice, &twice),
        (&multiplied, &number),
        (&plain, &multiplied),
        (&multiplied, &multiplied),
    ] {
        let started = std::time::Instant::now();
        let found = rules(reader, writer, strict);
        assert!(
            found.contains(&Rule::TooComplex),
            "{reader} against {writer}: {found:?}"
        );
        // The bound is reached within milliseconds (generous for a loaded debug build): a
        // comparison is anonymous work, so it must be cheap to hit.
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
    // The bound leaves real schemas alone: every matter against itself in both directions.
    let reg = Registry::builtin();
    for summary in reg.subjects() {
        let latest = reg
            .schema(&summary.subject, VersionRef::Latest)
            .expect("latest");
        assert_eq!(rules(latest, latest, strict), vec![], "{}", summary.subject);
    }
}

/// A writer that fixes its values against a reader that constrains them: every value goes
/// through the reader's own schema.
#[test]
fn fixed_writer_values_are_judged_by_the_readers_constraints() {
    let strict = OpenObjects::Strict;
    let writer = json!({"type": "string", "enum": ["window", "post", "online"]});
    let reader = json!({"type": "string", "maxLength": 4, "pattern": "^post$"});
    let found = compatibility::compare(&reader, &writer, strict);
    let refused: Vec<&str> = found
        .iter()
        .filter(|f| f.rule == Rule::ConstraintChanged)
        .map(|f| f.reason.as_str())
        .collect();
    assert_eq!(refused.len(), 2, "{found:?}");
    assert!(
        refused.iter().any(|r| r.contains("window"))
            && refused.iter().any(|r| r.contains("online"))
    );
    // Through a reference, too.
    let reader = json!({"$defs": {"Channel": {"type": "string", "minLength": 5}}, "$ref": "#/$defs/Channel"});
    let found = compatibility::compare(&reader, &writer, strict);
    assert_eq!(
        found
            .iter()
            .filter(|f| f.rule == Rule::ConstraintChanged)
            .count(),
        1,
        "only post is shorter than 5: {found:?}"
    );
    // A reader that takes every value: nothing to report.
    assert_eq!(rules(&json!({"type": "string"}), &writer, strict), vec![]);
}

/// Every published version's examples read into the latest version of their subject: the data of
/// every event and form ever written under a built-in schema can still be read.
#[test]
fn every_published_version_reads_into_the_latest() {
    let reg = Registry::builtin();
    let mut checked = 0;
    for info in reg.subjects() {
        for version in reg.versions(&info.subject).unwrap() {
            let doc = reg
                .schema(&info.subject, VersionRef::Number(version))
                .unwrap();
            for example in doc["examples"].as_array().into_iter().flatten() {
                let (latest, _) = reg
                    .upcast(&info.subject, version, example.clone())
                    .unwrap_or_else(|e| panic!("{}/{version}: {e}", info.subject));
                assert_eq!(latest, info.latest);
                checked += 1;
            }
        }
    }
    // Every subject has an example in each version, and three event subjects and every matter
    // have two versions.
    assert!(checked >= 15 + 3 + 2 * 8, "only {checked} examples");
}

/// Version 2 of `application.submitted` added `matter_version`: submissions written under
/// version 1 read under it unchanged (no upcaster needed) and as matter version 1.
#[test]
fn submissions_written_under_version_1_read_as_matter_version_1() {
    use crate::events::Submitted;
    let reg = Registry::builtin();
    // Given a version 1 submission, which has no `matter_version`
    let v1 = reg.schema(Submitted::TYPE, VersionRef::Number(1)).unwrap()["examples"][0].clone();
    assert!(v1.get("matter_version").is_none());
    assert_eq!(reg.latest(Submitted::TYPE), Some(2));
    // When it is upcast to the version written today and decoded
    let (version, upcast) = reg.upcast(Submitted::TYPE, 1, v1.clone()).unwrap();
    // Then it is unchanged, valid under version 2, and reads as matter version 1
    assert_eq!((version, &upcast), (2, &v1));
    let decoded: Submitted = serde_json::from_value(upcast).unwrap();
    assert_eq!(decoded.matter_version, 1);
    // while version 2 data carries the version it was validated against
    let v2 = reg.schema(Submitted::TYPE, VersionRef::Number(2)).unwrap();
    let current: Submitted = serde_json::from_value(v2["examples"][0].clone()).unwrap();
    assert_eq!(
        current.matter_version,
        crate::matters::get(&current.matter).unwrap().version
    );
}

/// Given every published document and every comparison the registry makes of them (each version
/// against the one before and against itself, both directions), when they are measured, then
/// they stay under a tenth of the bounds that stop hostile candidates ([`MAX_STEPS`],
/// [`super::MAX_EXPANDED_NODES`]): the bounds can stay low without refusing a real schema.
#[test]
fn real_schemas_stay_far_below_the_bounds() {
    let reg = Registry::builtin();
    let (mut most_steps, mut largest) = (0, 0);
    for summary in reg.subjects() {
        let docs: Vec<&Value> = summary
            .versions
            .iter()
            .filter_map(|v| reg.schema(&summary.subject, VersionRef::Number(*v)))
            .collect();
        for (i, doc) in docs.iter().enumerate() {
            let size = super::nodes::expanded_size(doc, super::MAX_EXPANDED_NODES);
            largest = largest.max(size);
            let previous = docs.get(i.wrapping_sub(1)).unwrap_or(doc);
            for (r, w) in [(*doc, *previous), (*previous, *doc), (*doc, *doc)] {
                let (_, steps) = compatibility::compare_counted(r, w, OpenObjects::Strict);
                most_steps = most_steps.max(steps);
            }
        }
    }
    eprintln!("most steps {most_steps}, largest document {largest} nodes");
    assert!(most_steps < MAX_STEPS / 10, "{most_steps}");
    assert!(largest < super::MAX_EXPANDED_NODES / 10, "{largest}");
}

/// A candidate of `levels` definitions, each a union of eight references to the next.
fn multiplied(levels: usize, leaf: Value) -> Value {
    let mut defs = serde_json::Map::new();
    for i in 0..levels {
        let next = format!("#/$defs/L{}", i + 1);
        let refs: Vec<Value> = (0..8).map(|_| json!({"$ref": next})).collect();
        defs.insert(format!("L{i}"), json!({"anyOf": refs}));
    }
    defs.insert(format!("L{levels}"), leaf);
    json!({"$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": "#/$defs/L0", "$defs": defs})
}

/// Given the walkthrough's kilobyte candidate (five levels of unions of eight references, 8⁵
/// paths), when judged, then it is refused as too complex before its examples are validated or
/// a comparison starts (it took seconds, and answered the same notice 32,768 times); and given
/// a small one, every finding is listed once (the comparison's own bound is tested by
/// `schemas_that_loop_or_multiply_through_refs_are_too_complex_not_endless`).
#[test]
fn multiplied_candidates_are_refused_or_judged_cheaply() {
    let reg = Registry::builtin();
    let subject = "matter.pension-transfer";
    let started = std::time::Instant::now();
    let mut five = multiplied(5, json!({"type": "string"}));
    five["examples"] = json!([1]);
    match reg.judge(subject, &five) {
        Err(SchemaError::TooComplex(m)) => assert!(m.contains("$ref"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(1));

    let three = multiplied(3, json!({"type": "string"}));
    let verdict = reg.judge(subject, &three).expect("judged");
    assert!(!verdict.incompatibilities.is_empty());
    for list in [&verdict.incompatibilities, &verdict.notices] {
        for (i, a) in list.iter().enumerate() {
            assert!(!list[..i].contains(a), "{a} twice");
        }
        assert!(list.len() <= MAX_FINDINGS + 1);
    }
}

/// The latest pension-transfer document with `origin` replaced by `origin` and the definitions
/// `defs` added: a candidate as a maintainer would write it.
fn pension_with_origin(origin: Value, defs: Value) -> (Value, Value) {
    let reg = Registry::builtin();
    let latest = reg
        .schema("matter.pension-transfer", VersionRef::Latest)
        .expect("latest")
        .clone();
    let mut candidate = latest.clone();
    candidate["properties"]["origin"] = origin;
    if let (Some(all), Some(more)) = (
        candidate["$defs"].as_object_mut(),
        defs.as_object().cloned(),
    ) {
        all.extend(more);
    }
    (candidate, latest)
}

/// Given a candidate that narrows `origin` with a keyword beside its `$ref`
/// (`{"$ref": "#/$defs/DivisionCode", "enum": ["440000"]}`), which the check judged compatible
/// because it followed the reference and dropped what stood beside it, when compared in both
/// directions, then the narrowing is found (it is `allOf: [target, beside]`); and the same
/// document compared with itself, or annotations beside a reference, find nothing.
#[test]
fn keywords_beside_a_ref_constrain_too() {
    let strict = OpenObjects::Strict;
    let (candidate, latest) = pension_with_origin(
        json!({"$ref": "#/$defs/DivisionCode", "enum": ["440000"]}),
        json!({}),
    );
    let found = compatibility::backward(&candidate, &latest, strict, 1);
    assert!(
        found
            .iter()
            .any(|f| f.path == "/origin" && f.rule == Rule::ValuesRestricted),
        "{found:?}"
    );
    // Beside a pattern or a required member, too.
    let (candidate, _) = pension_with_origin(
        json!({"$ref": "#/$defs/DivisionCode", "maxLength": 6}),
        json!({}),
    );
    let found = compatibility::backward(&candidate, &latest, strict, 1);
    assert!(
        found
            .iter()
            .any(|f| f.path == "/origin" && f.rule == Rule::RangeNarrowed),
        "{found:?}"
    );
    // Nothing where nothing narrows: the candidate against itself (the writer's data passes
    // both the target and the enum beside it), and a description beside a reference.
    let (narrowed, _) = pension_with_origin(
        json!({"$ref": "#/$defs/DivisionCode", "enum": ["440000"]}),
        json!({}),
    );
    assert_eq!(rules(&narrowed, &narrowed, strict), vec![]);
    // The writer's narrowed data is read by the wider latest.
    assert_eq!(rules(&latest, &narrowed, strict), vec![]);
    let (described, _) = pension_with_origin(
        json!({"$ref": "#/$defs/DivisionCode", "description": "收件地", "$comment": "x"}),
        json!({}),
    );
    assert_eq!(rules(&described, &latest, strict), vec![]);
}

/// Given candidates whose `origin` goes through references the check could not follow and so
/// read as "any data" (judged compatible): an `$anchor`, a percent-encoded pointer, the
/// document's own `$id`, a `$dynamicRef`; and a reader's `prefixItems` or `unevaluatedItems`,
/// when compared with the latest, then those it can follow (percent-encoding, its own `$id`)
/// are followed and their narrowing found, and the rest are reported as unprovable
/// (`constraint-changed`), never passed.
#[test]
fn references_the_check_cannot_follow_are_reported_not_passed() {
    let strict = OpenObjects::Strict;
    let only_zj = json!({"Only Zj": {"const": "330000"}, "OnlyZj": {"const": "330000"}, "Zj": {"$anchor": "zj", "$dynamicAnchor": "zjd", "const": "330000"}});
    let id = "urn:tongban:schema:matter.pension-transfer:3";
    for (origin, rule) in [
        (json!({"$ref": "#/$defs/Only%20Zj"}), Rule::ValuesRestricted),
        (
            json!({"$ref": format!("{id}#/$defs/OnlyZj")}),
            Rule::ValuesRestricted,
        ),
        (json!({"$ref": "#zj"}), Rule::ConstraintChanged),
        (
            json!({"$ref": "urn:elsewhere#/$defs/OnlyZj"}),
            Rule::ConstraintChanged,
        ),
        (json!({"$ref": "#/$defs/Nothing"}), Rule::ConstraintChanged),
        (json!({"$dynamicRef": "#zjd"}), Rule::ConstraintChanged),
    ] {
        let (mut candidate, latest) = pension_with_origin(origin.clone(), only_zj.clone());
        candidate["$id"] = json!(id);
        let found = compatibility::backward(&candidate, &latest, strict, 1);
        assert!(
            found.iter().any(|f| f.path == "/origin" && f.rule == rule),
            "{origin}: {found:?}"
        );
        // Nor is the writer's unknown reference read as nothing at all.
        let found = compatibility::forward(&candidate, &latest, strict, 1);
        if rule == Rule::ConstraintChanged {
            assert!(
                found.iter().any(|f| f.path == "/origin" && f.rule == rule),
                "{origin} forward: {found:?}"
            );
        }
    }
    let latest = Registry::builtin()
        .schema("matter.pension-transfer", VersionRef::Latest)
        .expect("latest")
        .clone();
    for extra in [
        json!({"prefixItems": [{"const": "330000"}]}),
        json!({"unevaluatedItems": false}),
    ] {
        let mut candidate = latest.clone();
        if let (Some(h), Some(extra)) = (
            candidate["properties"]["handlers"].as_object_mut(),
            extra.as_object(),
        ) {
            h.extend(extra.clone());
        }
        let found = compatibility::backward(&candidate, &latest, strict, 1);
        assert!(
            found
                .iter()
                .any(|f| f.path == "/handlers" && f.rule == Rule::ConstraintChanged),
            "{extra}: {found:?}"
        );
    }
}

/// Given a version written otherwise than `[1-9][0-9]*` or `latest`, when parsed, then it names
/// nothing (each spelling would be another URL of one immutable document); envelopes' schema
/// references are read the same way.
#[test]
fn versions_are_read_in_one_spelling() {
    assert_eq!(VersionRef::parse("1"), Some(VersionRef::Number(1)));
    assert_eq!(VersionRef::parse("12"), Some(VersionRef::Number(12)));
    assert_eq!(VersionRef::parse("latest"), Some(VersionRef::Latest));
    for other in [
        "01",
        "+1",
        "-1",
        "0",
        " 1",
        "1 ",
        "1.0",
        "",
        "Latest",
        "99999999999",
    ] {
        assert_eq!(VersionRef::parse(other), None, "{other:?}");
    }
    assert_eq!(
        parse_schema_ref("application.accepted/2"),
        Some(("application.accepted", 2))
    );
    assert_eq!(parse_schema_ref("application.accepted/02"), None);
}

/// Given a reader whose union's branches each refuse the writer's fixed value by a pattern (each
/// branch compiled to judge the value), when the reader
/// carries a large block of unused `$defs`, then the comparison spends its bound on the
/// compilations (each copies the definitions in) and ends `too-complex`, where the same reader
/// without the padding is judged within the bound. (Found by a review: a fixed price per
/// compilation let padding make each one dear.)
#[test]
fn compilations_cost_what_they_copy() {
    use super::compatibility::{MAX_STEPS, compare_counted};
    let branches: Vec<Value> = (0..50)
        .map(|i| {
            json!({"type": "object", "properties": {"matter": {"type": "string", "pattern": format!("^m{i}$")}}})
        })
        .collect();
    let writer = json!({"type": "object", "properties": {"matter": {"const": "other"}}, "required": ["matter"]});
    let plain = json!({"anyOf": branches});
    let mut padded = plain.clone();
    let padding: serde_json::Map<String, Value> = (0..2000)
        .map(|i| (format!("pad{i}"), json!({"type": "object", "properties": {"a": {"type": "string"}, "b": {"enum": [1, 2, 3]}}})))
        .collect();
    padded["$defs"] = Value::Object(padding);
    let (_, plain_steps) = compare_counted(&plain, &writer, OpenObjects::Strict);
    assert!(plain_steps <= MAX_STEPS, "{plain_steps}");
    let (found, padded_steps) = compare_counted(&padded, &writer, OpenObjects::Strict);
    assert!(
        padded_steps > plain_steps,
        "{padded_steps} vs {plain_steps}"
    );
    assert!(
        found.iter().any(|f| f.rule == Rule::TooComplex),
        "{padded_steps} steps: {found:?}"
    );
}

/// Given candidates whose examples fail a union of many branches over many items (each item's
/// error holds every branch's errors), when checked, then a candidate whose references and
/// required members written out pass the size bound is refused `too-complex`, and one under it
/// has each such example named once as `invalid-example`, without its problems built in
/// memory. (Found by a verification run: a 17 KB anonymous request took the gateway past 8 GB.)
#[test]
fn examples_too_large_to_explain_are_named_not_explained() {
    let reg = Registry::builtin();
    let candidate = |levels: usize, required: usize, items: usize| {
        let mut defs = serde_json::Map::new();
        for i in 0..levels {
            for k in 0..8 {
                let def = if i + 1 == levels {
                    json!({"type": "object", "required": (0..required).map(|j| format!("m{j}_{k}")).collect::<Vec<_>>()})
                } else {
                    json!({"anyOf": (0..8).map(|m| json!({"$ref": format!("#/$defs/L{}_{m}", i + 1)})).collect::<Vec<_>>()})
                };
                defs.insert(format!("L{i}_{k}"), def);
            }
        }
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$defs": defs,
            "type": "object",
            "properties": {"a": {"type": "array", "items": {"$ref": "#/$defs/L0_0"}}},
            "examples": [{"a": vec![json!({}); items]}]
        })
    };
    let Err(SchemaError::TooComplex(_)) = reg.check("x", &candidate(4, 100, 1000)) else {
        panic!("too complex");
    };
    let Err(SchemaError::InvalidExamples(found)) = reg.check("x", &candidate(3, 50, 1000)) else {
        panic!("examples fail");
    };
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].pointer.as_str(), found[0].rule.as_str()),
        ("/examples/0", "invalid-example")
    );
    // A small example of the same candidate is still explained problem by problem.
    let Err(SchemaError::InvalidExamples(found)) = reg.check("x", &candidate(3, 50, 1)) else {
        panic!("examples fail");
    };
    assert!(
        found.iter().all(|v| v.rule != "invalid-example"),
        "{found:?}"
    );
}

/// Given version 2 of result-issued, whose closed `document` object gained `format`, when the
/// diff is read either way round, then a property the newer version added and the older
/// version's closed object refuses is named `property-added-to-closed-object` ("旧版本封闭对象
/// 不接受新增字段"), whichever direction finds it; it was "removed from closed object" (封闭对象
/// 不再接受该字段) though nothing was removed. A candidate's forward finding is named the same.
#[test]
fn a_property_added_to_a_closed_object_is_named_added() {
    let reg = Registry::builtin();
    let subject = "application.result-issued";
    let d = reg
        .diff(subject, VersionRef::Number(1), VersionRef::Number(2))
        .unwrap();
    let at = |list: &[Incompatibility]| {
        list.iter()
            .find(|i| i.path == "/document/format")
            .map(|i| (i.rule, i.reason.clone()))
    };
    let (rule, reason) = at(&d.forward).expect("a forward finding at /document/format");
    assert_eq!(rule, Rule::PropertyAddedToClosedObject);
    assert!(
        reason.contains("property format is new in version 2"),
        "{reason}"
    );
    assert_eq!(rule.label_zh(), "旧版本封闭对象不接受新增字段");
    assert_eq!(
        serde_json::to_value(rule).unwrap(),
        json!("property-added-to-closed-object")
    );
    let back = reg
        .diff(subject, VersionRef::Number(2), VersionRef::Number(1))
        .unwrap();
    assert_eq!(
        at(&back.backward).map(|f| f.0),
        Some(Rule::PropertyAddedToClosedObject)
    );
    // A candidate that drops a member from a closed object is still "removed" looking back.
    let v1 = reg.schema(subject, VersionRef::Number(1)).unwrap().clone();
    let v2 = reg.schema(subject, VersionRef::Number(2)).unwrap().clone();
    let found = compatibility::forward(&v2, &v1, OpenObjects::Strict, 1)
        .into_iter()
        .map(|f| Incompatibility::found(f, Direction::Forward, 1))
        .find(|i| i.path == "/document/format")
        .expect("found");
    assert_eq!(found.rule, Rule::PropertyAddedToClosedObject);
    let removed = compatibility::backward(&v1, &v2, OpenObjects::Strict, 2)
        .into_iter()
        .map(|f| Incompatibility::found(f, Direction::Backward, 2))
        .find(|i| i.path == "/document/format")
        .expect("found");
    assert_eq!(removed.rule, Rule::PropertyRemovedFromClosedObject);
}

// ---------------------------------------------------------------------------------------------
// A person-only applicant is published as the person's object, not as a `oneOf` of one branch.

/// The subjects of the matters only a person applies for.
fn person_only_subjects() -> Vec<String> {
    crate::matters::all()
        .iter()
        .filter(|m| m.applicant_kinds == [crate::blocks::ApplicantKind::Person])
        .map(|m| m.subject())
        .collect()
}

/// `doc` with its person applicant written as the `oneOf` of one branch it was published as
/// before: the same constraints in the shape a standard validator reports at `/applicant` only.
fn with_one_branch_union(doc: &Value) -> Value {
    let mut old = doc.clone();
    let branch = old["$defs"]["PersonApplicant"].clone();
    let mut inner = branch.clone();
    inner["description"] = json!("自然人");
    old["$defs"]["PersonApplicant"] = json!({
        "description": branch["description"],
        "oneOf": [inner],
    });
    old
}

/// Given every published version of a person-only matter, when a standard draft 2020-12
/// validator (the jsonschema crate, knowing nothing of `x-tongban-check`) checks its example
/// with a malformed ID number, then its one error is at `/applicant/id_number`, as the
/// registry's own validation says; under the old one-branch `oneOf` it was at `/applicant`.
#[test]
fn a_standard_validator_reports_a_person_applicants_error_at_the_field() {
    let reg = Registry::builtin();
    let subjects = person_only_subjects();
    assert_eq!(subjects.len(), 7, "{subjects:?}");
    for subject in &subjects {
        for v in reg.versions(subject).unwrap() {
            let doc = reg.schema(subject, VersionRef::Number(v)).unwrap();
            let mut body = doc["examples"][0].clone();
            body["applicant"]["id_number"] = json!("1101051949123100");
            let plain = jsonschema::draft202012::new(doc).unwrap();
            let at: Vec<String> = plain
                .iter_errors(&body)
                .map(|e| e.instance_path().as_str().to_string())
                .collect();
            assert_eq!(at, ["/applicant/id_number"], "{subject}/{v}");
            let ours = reg.validate(subject, VersionRef::Number(v), &body).unwrap();
            let ours: Vec<(&str, &str)> = ours
                .violations
                .iter()
                .map(|x| (x.pointer.as_str(), x.rule.as_str()))
                .collect();
            assert_eq!(ours, [("/applicant/id_number", "pattern")], "{subject}/{v}");

            // The shape it replaced: the same body, reported at the applicant as a whole.
            let old = with_one_branch_union(doc);
            let plain_old = jsonschema::draft202012::new(&old).unwrap();
            let at_old: Vec<String> = plain_old
                .iter_errors(&body)
                .map(|e| e.instance_path().as_str().to_string())
                .collect();
            assert_eq!(at_old, ["/applicant"], "{subject}/{v}");
        }
    }
}

/// No published document has a `oneOf` or `anyOf` of one branch anywhere.
#[test]
fn no_published_document_has_a_union_of_one_branch() {
    fn walk(v: &Value, at: &str, found: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, c) in m {
                    if matches!(k.as_str(), "oneOf" | "anyOf")
                        && c.as_array().is_some_and(|b| b.len() == 1)
                    {
                        found.push(format!("{at}/{k}"));
                    }
                    walk(c, &format!("{at}/{k}"), found);
                }
            }
            Value::Array(items) => {
                for (i, c) in items.iter().enumerate() {
                    walk(c, &format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    let reg = Registry::builtin();
    let mut found = Vec::new();
    for s in reg.subjects() {
        for v in &s.versions {
            let doc = reg.schema(&s.subject, VersionRef::Number(*v)).unwrap();
            walk(doc, &format!("{}/{v}#", s.subject), &mut found);
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// Given a person-only matter's document and the same document with the applicant written as
/// the one-branch `oneOf` it was published as before, when the registry compares them either
/// way, then it finds nothing: no incompatibility, no field added, removed or changed. And when
/// either validates a wrong applicant (another kind, no kind, a bad ID number, not an object),
/// then the registry's findings are the same: pointers, rules and words.
#[test]
fn a_one_branch_union_and_its_branch_are_the_same_to_the_registry() {
    let reg = Registry::builtin();
    for subject in person_only_subjects() {
        let new = reg.schema(&subject, VersionRef::Latest).unwrap();
        let old = with_one_branch_union(new);
        assert!(
            compatibility::backward(new, &old, OpenObjects::Strict, 1).is_empty(),
            "{subject}"
        );
        assert!(
            compatibility::forward(new, &old, OpenObjects::Strict, 1).is_empty(),
            "{subject}"
        );
        let d = diff::diff(&subject, 1, &old, 2, new, OpenObjects::Strict);
        assert!(
            d.added.is_empty() && d.removed.is_empty() && d.changed.is_empty(),
            "{subject}: {d:#?}"
        );
        assert!(d.backward.is_empty() && d.forward.is_empty(), "{subject}");
        assert_eq!(fields::table(&old), fields::table(new), "{subject}");

        let example = new["examples"][0].clone();
        let applicant = example["applicant"].clone();
        let mut bad_id = applicant.clone();
        bad_id["id_number"] = json!("1101051949123100");
        let mut no_kind = bad_id.clone();
        no_kind.as_object_mut().unwrap().remove("kind");
        let mut numbered_kind = applicant.clone();
        numbered_kind["kind"] = json!(5);
        let organisation = json!({"kind": "organisation", "name": "示例有限公司",
            "credit_code": "91110000600037341L"});
        let compiled_new = CompiledSchema::compile(new).unwrap();
        let compiled_old = CompiledSchema::compile(&old).unwrap();
        for wrong in [bad_id, no_kind, numbered_kind, organisation, json!("张三")] {
            let mut body = example.clone();
            body["applicant"] = wrong.clone();
            let said = |c: &CompiledSchema| {
                let mut v: Vec<(String, String, String, Vec<Value>)> = c
                    .check(&body, "")
                    .violations
                    .into_iter()
                    .map(|v| (v.pointer, v.rule, v.message, v.allowed))
                    .collect();
                v.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
                v
            };
            let (now, before) = (said(&compiled_new), said(&compiled_old));
            assert!(!now.is_empty(), "{subject}: {wrong}");
            assert_eq!(now, before, "{subject}: {wrong}");
        }
    }
}
