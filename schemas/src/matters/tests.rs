use super::*;
use serde_json::json;

fn example_parts(m: &Matter) -> (Value, Value) {
    let ex = m.example();
    (ex["applicant"].clone(), ex["form"].clone())
}

#[test]
fn eight_matters_with_stable_unique_codes() {
    assert!(all().len() >= 8);
    for m in all() {
        assert!(
            m.code.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            m.code
        );
        assert_eq!(get(m.code).map(|x| x.code), Some(m.code));
        assert_eq!(all().iter().filter(|x| x.code == m.code).count(), 1);
        assert!(!m.modes.is_empty() && !m.materials.is_empty());
    }
    assert!(get("no-such-matter").is_none());
}

#[test]
fn every_example_is_valid_and_routed_correctly() {
    for m in all() {
        let ex = m.example();
        let (a, f) = example_parts(m);
        assert_eq!(m.validate(&a, &f), Ok(()), "{}", m.code);
        let report = m.check_submission(&ex);
        assert!(
            report.violations.is_empty() && report.warnings.is_empty(),
            "{}: {report:?}",
            m.code
        );
        let mode = Mode::parse(ex["mode"].as_str().unwrap()).unwrap();
        assert!(m.modes.contains(&mode), "{}", m.code);
        let handlers = ex["handlers"].as_array().unwrap();
        match mode {
            Mode::Joint => assert!(handlers.len() >= 2),
            _ => assert_eq!(handlers.len(), 1),
        }
        assert!(!handlers.contains(&ex["origin"]));
    }
}

#[test]
fn examples_deserialize_into_the_rust_types() {
    use crate::blocks::{Applicant, PersonApplicant};
    fn de<A: serde::de::DeserializeOwned, F: serde::de::DeserializeOwned>(code: &str) {
        let ex = get(code).unwrap().example();
        serde_json::from_value::<Submission<A, F>>(ex).unwrap_or_else(|e| panic!("{code}: {e}"));
    }
    de::<PersonApplicant, MedicalFilingForm>("medical-filing");
    de::<PersonApplicant, PensionTransferForm>("pension-transfer");
    de::<PersonApplicant, HukouTransferForm>("hukou-transfer");
    de::<PersonApplicant, HousingFundTransferForm>("housing-fund-transfer");
    de::<PersonApplicant, SocialSecurityCardForm>("social-security-card");
    de::<Applicant, BusinessRegistrationForm>("business-registration");
    de::<PersonApplicant, CriminalRecordCertificateForm>("criminal-record-certificate");
    de::<PersonApplicant, UnemploymentRegistrationForm>("unemployment-registration");
}

#[test]
fn all_problems_are_collected_with_pointers_and_masked_messages() {
    let m = get("hukou-transfer").unwrap();
    let (mut a, mut f) = example_parts(m);
    a["id_number"] = json!("110105194912310021"); // bad check digit
    a["sex"] = json!("3");
    a["phone"] = json!("12345");
    a.as_object_mut().unwrap().remove("name");
    f["reason"] = json!("marriage");
    f["move_in_address"]["division"] = json!("999999");
    f["unexpected"] = json!(1);
    let errs = m.validate(&a, &f).unwrap_err();
    let has = |p: &str, r: &str| errs.iter().any(|v| v.pointer == p && v.rule == r);
    assert!(has("/applicant/id_number", "gb11643-checksum"), "{errs:#?}");
    assert!(has("/applicant/sex", "enum"), "{errs:#?}");
    assert!(has("/applicant/phone", "pattern"), "{errs:#?}");
    assert!(has("/applicant/name", "required"), "{errs:#?}");
    assert!(has("/form/reason", "enum"), "{errs:#?}");
    // Documented constants (a `oneOf`) and a plain `enum` both carry the values they allow.
    for at in ["/applicant/sex", "/form/reason"] {
        let v = errs.iter().find(|v| v.pointer == at).expect("found");
        assert!(v.allowed.len() > 1, "{v:?}");
        assert!(
            v.allowed.iter().all(|a| v.message.contains(&a.to_string())),
            "{v:?}"
        );
    }
    assert!(
        errs.iter()
            .filter(|v| v.rule != "enum")
            .all(|v| v.allowed.is_empty())
    );
    // A `kind` no branch of a tagged `oneOf` takes: the kinds they take, in words.
    let (mut other, form) = example_parts(get("medical-filing").unwrap());
    other["kind"] = json!("organisation");
    let kind_errs = get("medical-filing")
        .unwrap()
        .validate(&other, &form)
        .unwrap_err();
    let v = kind_errs
        .iter()
        .find(|v| v.pointer == "/applicant/kind")
        .expect("kind");
    assert_eq!(v.rule, "enum");
    assert_eq!(v.allowed, vec![json!("person")]);
    assert!(
        v.message.starts_with("取值不在允许范围内，应为 \"person\""),
        "{v:?}"
    );
    assert!(
        has("/form/move_in_address/division", "gb2260-unknown"),
        "{errs:#?}"
    );
    assert!(has("/form/unexpected", "unknown-property"), "{errs:#?}");
    for v in &errs {
        assert!(!v.message.contains("110105194912310021"), "{v}");
        assert!(!v.message.contains("12345\""), "{v}");
    }
    assert!(
        errs.iter()
            .any(|v| v.message.contains("1101**********0021"))
    );
}

#[test]
fn nested_persons_are_checked_too() {
    let m = get("hukou-transfer").unwrap();
    let (a, mut f) = example_parts(m);
    f["accompanying"][0]["person"]["birth_date"] = json!("2015-05-10");
    f["accompanying"][0]["person"]["sex"] = json!("2");
    let errs = m.validate(&a, &f).unwrap_err();
    assert!(
        errs.iter()
            .any(|v| v.pointer == "/form/accompanying/0/person/birth_date"
                && v.rule == "birth-date-mismatch"),
        "{errs:#?}"
    );
    assert!(
        errs.iter()
            .any(|v| v.pointer == "/form/accompanying/0/person/sex" && v.rule == "sex-mismatch"),
        "{errs:#?}"
    );
}

#[test]
fn rare_characters_in_names_are_kept() {
    let m = get("hukou-transfer").unwrap();
    let (mut a, f) = example_parts(m);
    a["name"] = json!("王𬌗㐱");
    assert_eq!(m.validate(&a, &f), Ok(()));
}

#[test]
fn credit_code_checksum_is_a_warning_only() {
    let m = get("business-registration").unwrap();
    let (_, f) = example_parts(m);
    let a = json!({ "kind": "organisation", "name": "示例有限公司", "credit_code": "91110000600037341M" });
    let report = m.check(&a, &f);
    assert!(report.violations.is_empty(), "{report:?}");
    assert_eq!(report.warnings.len(), 1);
    assert_eq!(report.warnings[0].pointer, "/applicant/credit_code");
    assert_eq!(report.warnings[0].rule, "gb32100-checksum");
    assert_eq!(m.validate(&a, &f), Ok(()));
}

#[test]
fn applicant_kind_is_enforced() {
    let m = get("medical-filing").unwrap();
    let (_, f) = example_parts(m);
    let a = json!({ "kind": "organisation", "name": "示例有限公司", "credit_code": "91110000600037341L" });
    let errs = m.validate(&a, &f).unwrap_err();
    assert!(
        errs.iter().any(|v| v.pointer == "/applicant/kind"),
        "{errs:#?}"
    );
    let errs = m.validate(&json!({"name": "x"}), &f).unwrap_err();
    assert!(!errs.is_empty());
}

#[test]
fn org_applicant_field_errors_point_inside_the_branch() {
    let m = get("business-registration").unwrap();
    let (_, f) = example_parts(m);
    let a = json!({ "kind": "organisation", "name": "", "credit_code": "91110000600037341L" });
    let errs = m.validate(&a, &f).unwrap_err();
    assert!(
        errs.iter()
            .any(|v| v.pointer == "/applicant/name" && v.rule == "min-length"),
        "{errs:#?}"
    );
}

#[test]
fn route_rules() {
    let m = get("hukou-transfer").unwrap();
    let mut ex = m.example();
    ex["handlers"] = json!(["330000"]);
    let r = m.check_submission(&ex);
    assert!(
        r.violations.iter().any(|v| v.pointer == "/handlers"),
        "{r:?}"
    );
    ex["handlers"] = json!(["440000", "330000"]);
    let r = m.check_submission(&ex);
    assert!(
        r.violations.iter().any(|v| v.rule == "origin-is-handler"),
        "{r:?}"
    );
    // A region under its 12-digit statistical spelling is the same region: refused, not let
    // through as a handler beside itself or as the origin's own.
    let origin = ex["origin"].as_str().expect("origin").to_string();
    for handlers in [
        json!([format!("{origin}000000")]),
        json!(["330000", "330000000000"]),
    ] {
        let mut twelve = ex.clone();
        twelve["handlers"] = handlers;
        let r = m.check_submission(&twelve);
        assert!(
            r.violations.iter().any(|v| v.rule == "region-code"),
            "{r:?}"
        );
    }
    ex["mode"] = json!("online");
    let r = m.check_submission(&ex);
    assert!(r.violations.iter().any(|v| v.pointer == "/mode"), "{r:?}");
    let r = check_submission(&json!({"matter": "nope"}));
    assert_eq!(r.violations[0].rule, "unknown-matter");
}

/// Given a handler or an origin that is no digits at all (a place's name, `重庆`, or a code
/// with a letter), when the body is checked, then the one finding there is `region-code`, which
/// says what the field takes (a region's 6-digit code), not the division pattern's "6 or 12
/// digits", which a caller would follow into a second refusal (12 digits are no region's code).
/// (Found by an adapter author's walkthrough: `重庆` was told "6 or 12 digits", and
/// `500000000000` then "a region's 6-digit code".)
#[test]
fn a_region_that_is_no_code_is_told_it_takes_six_digits() {
    let m = get("criminal-record-certificate").unwrap();
    for (field, value) in [
        ("handlers", json!(["重庆"])),
        ("handlers", json!(["50000A"])),
        ("handlers", json!(["500000000000"])),
        ("origin", json!("四川")),
    ] {
        let mut ex = m.example();
        ex[field] = value.clone();
        let at = if field == "handlers" {
            "/handlers/0"
        } else {
            "/origin"
        };
        let r = m.check_submission(&ex);
        let found: Vec<&str> = r
            .violations
            .iter()
            .filter(|v| v.pointer == at)
            .map(|v| v.rule.as_str())
            .collect();
        assert_eq!(found, ["region-code"], "{value}: {r:?}");
        let v = r
            .violations
            .iter()
            .find(|v| v.pointer == at)
            .expect("found");
        assert!(v.message.contains("6 位行政区划代码"), "{}", v.message);
        assert!(!v.message.contains("12"), "{}", v.message);
    }
}

/// Given a matter's example routed from its origin to cities of the origin's own province (a
/// region of the federation that runs its own platform, as 深圳 might), when it is checked,
/// then each handler is refused at its item with `same-province`, naming both codes, and only
/// with it (not also without jurisdiction). (Found by an adapter author's walkthrough: 四川
/// could send an application to 成都, 510100, once it was registered: an application inside
/// one province, where every matter here is 跨省.) A joint example with one handler so moved
/// and the others in other provinces is still 跨省: no `same-province` (深圳 sends a joint
/// pension transfer to 上海 and 广东, each completing a part).
#[test]
fn a_handler_in_the_origins_province_is_refused() {
    for m in all() {
        let ex = m.example();
        let origin = ex["origin"].as_str().expect("origin").to_string();
        let joint = ex["mode"] == "joint";
        let n = ex["handlers"].as_array().expect("handlers").len();
        let cities: Vec<String> = (1..=n)
            .map(|k| format!("{}{:02}00", &origin[..2], k))
            .collect();
        let mut inside = ex.clone();
        inside["handlers"] = json!(cities);
        let r = m.check_submission(&inside);
        for (i, city) in cities.iter().enumerate() {
            let at = format!("/handlers/{i}");
            let found: Vec<&Violation> = r.violations.iter().filter(|v| v.pointer == at).collect();
            assert_eq!(found.len(), 1, "{}: {r:?}", m.code);
            assert_eq!(found[0].rule, "same-province", "{}: {r:?}", m.code);
            let message = &found[0].message;
            assert!(
                message.contains(city) && message.contains(&origin),
                "{message}"
            );
            assert_eq!(message.contains("联办"), joint, "{message}");
        }
        if joint {
            let mut mixed = ex.clone();
            mixed["handlers"][n - 1] = json!(cities[0]);
            let r = m.check_submission(&mixed);
            assert!(
                r.violations.iter().all(|v| v.rule != "same-province"),
                "{}: {r:?}",
                m.code
            );
        }
        assert!(m.check_submission(&m.example()).is_ok(), "{}", m.code);
    }
}

#[test]
fn invalid_dates_are_rejected() {
    let m = get("unemployment-registration").unwrap();
    let (a, mut f) = example_parts(m);
    f["unemployed_since"] = json!("2023-02-29");
    let errs = m.validate(&a, &f).unwrap_err();
    assert!(
        errs.iter()
            .any(|v| v.pointer == "/form/unemployed_since" && v.rule == "date-invalid"),
        "{errs:#?}"
    );
}

/// A date is in 1900 or later: a placeholder year 0000 is refused at its field; 1900 is
/// taken, and so is 9999-12-31, how systems write the end of an open-ended period (长期).
#[test]
fn dates_before_the_years_a_form_holds_are_rejected() {
    let m = get("unemployment-registration").unwrap();
    let (a, mut f) = example_parts(m);
    for (date, refused) in [
        ("0000-01-01", true),
        ("1899-12-31", true),
        ("1900-01-01", false),
        ("9999-12-31", false),
    ] {
        f["unemployed_since"] = json!(date);
        let out_of_range = m.validate(&a, &f).err().is_some_and(|errs| {
            errs.iter()
                .any(|v| v.pointer == "/form/unemployed_since" && v.rule == "date-out-of-range")
        });
        assert_eq!(out_of_range, refused, "{date}");
    }
}

/// Given an applicant whose ID number (with a right check character) says they were born after
/// today, and a birth date after today to match, when the form is checked, then both are
/// refused at their fields, the number masked.
#[test]
fn a_birth_date_after_today_is_rejected() {
    use crate::ids::date::Date;
    use crate::ids::gb11643::check_char;
    let m = get("hukou-transfer").unwrap();
    let (mut a, f) = example_parts(m);
    let born = Date::today_in_china().year + 1;
    let first17 = format!("110105{born}0101002");
    let check = check_char(first17.as_bytes()).expect("check character") as char;
    a["id_number"] = json!(format!("{first17}{check}"));
    a["birth_date"] = json!(format!("{born}-01-01"));
    a["sex"] = json!("2");
    let errs = m.validate(&a, &f).unwrap_err();
    let has = |p: &str, r: &str| errs.iter().any(|v| v.pointer == p && v.rule == r);
    assert!(
        has("/applicant/id_number", "gb11643-birth-date-future"),
        "{errs:#?}"
    );
    assert!(
        has("/applicant/birth_date", "birth-date-future"),
        "{errs:#?}"
    );
    assert!(
        errs.iter().all(|v| !v.message.contains(&first17)),
        "{errs:#?}"
    );
    // Born today is no error.
    let today = Date::today_in_china();
    let first17 = format!(
        "110105{:04}{:02}{:02}002",
        today.year, today.month, today.day
    );
    let check = check_char(first17.as_bytes()).expect("check character") as char;
    a["id_number"] = json!(format!("{first17}{check}"));
    a["birth_date"] = json!(today.to_string());
    let found = m.validate(&a, &f).err().unwrap_or_default();
    assert!(
        found.iter().all(|v| !v.rule.contains("future")),
        "{found:#?}"
    );
}

/// One answer per field: no generic finding beside a specific one at the same pointer, no handler
/// count for a mode the matter does not allow, and the validator's findings in the crate's words.
#[test]
fn findings_that_follow_from_another_are_left_out() {
    let m = get("unemployment-registration").expect("matter");
    let ex = m.example();
    let mut five = ex.clone();
    five["handlers"] = json!(["44000"]);
    let r = m.check_submission(&five);
    let at: Vec<&str> = r
        .violations
        .iter()
        .filter(|v| v.pointer == "/handlers/0")
        .map(|v| v.rule.as_str())
        .collect();
    assert_eq!(at, vec!["region-code"], "{r:?}");
    let mut joint = ex.clone();
    joint["mode"] = json!("joint");
    let r = m.check_submission(&joint);
    let rules: Vec<(&str, &str)> = r
        .violations
        .iter()
        .map(|v| (v.pointer.as_str(), v.rule.as_str()))
        .collect();
    assert_eq!(rules, vec![("/mode", "enum")], "{r:?}");
    assert!(
        r.violations[0].message.starts_with("取值不在允许范围内"),
        "{r:?}"
    );
    // The modes the matter allows, as values, for a caller that says them in its own codes.
    let allowed: Vec<String> = m.modes.iter().map(|x| x.as_str().to_string()).collect();
    assert_eq!(r.violations[0].allowed, allowed, "{r:?}");
    assert!(allowed.len() < 3, "the matter refuses a mode: {allowed:?}");
    // An empty list breaks the rule every mode shares, whatever the mode.
    joint["handlers"] = json!([]);
    let r = m.check_submission(&joint);
    assert!(
        r.violations
            .iter()
            .any(|v| v.pointer == "/handlers" && v.rule == "min-items"),
        "{r:?}"
    );
    let mut typed = ex.clone();
    typed["materials"][0]["sha256"] = json!("2ee47af2");
    typed["form"]["job_intention"] = json!(12345);
    let r = m.check_submission(&typed);
    let message = |p: &str| {
        r.violations
            .iter()
            .find(|v| v.pointer == p)
            .map(|v| v.message.clone())
            .unwrap_or_default()
    };
    assert_eq!(
        message("/materials/0/sha256"),
        "格式不符：应为 64 位小写十六进制数字 (SHA-256 摘要) (expected 64 lower-case hex digits, a SHA-256 digest)"
    );
    assert_eq!(
        message("/form/job_intention"),
        "应为文本，收到整数 (expected text, got an integer)"
    );
}

/// Given a handler named twice, when the route is checked, then `duplicate-handler` says so in
/// Chinese and English, as every other finding does (it was 办理地重复 alone).
#[test]
fn a_duplicate_handler_is_told_in_both_languages() {
    let m = get("hukou-transfer").unwrap();
    let mut ex = m.example();
    ex["mode"] = json!("joint");
    ex["handlers"] = json!(["330000", "510000", "330000"]);
    let r = m.check_submission(&ex);
    let dup = r
        .violations
        .iter()
        .find(|v| v.rule == "duplicate-handler")
        .expect("duplicate-handler");
    assert_eq!(dup.pointer, "/handlers/2");
    assert!(
        dup.message.contains("办理地重复") && dup.message.contains("name each region once"),
        "{dup}"
    );
}

/// Given a matter whose schema carries identifier checks (`x-tongban-check`) and whose route has
/// rules, which `/v1/matters` and the registry page did not list (only the form's rules), when
/// its rules are listed, then the route's rules, each identifier check's findings at every field
/// that carries it (a person's at `/applicant/id_number` …, the check shown on `/applicant`)
/// and the form's rules are all there, each with its code, pointer and requirement.
#[test]
fn every_rule_of_a_matter_is_listed() {
    let m = get("hukou-transfer").unwrap();
    let rules = m.listed_rules();
    let has = |kind: RuleKind, code: &str, pointer: &str| {
        rules
            .iter()
            .any(|r| r.kind == kind && r.code == code && r.pointer == pointer)
    };
    for (code, pointer) in [
        ("region-code", "/origin"),
        ("region-code", "/handlers/*"),
        ("origin-is-handler", "/handlers/*"),
        ("same-province", "/handlers/*"),
        ("duplicate-handler", "/handlers/*"),
        ("unknown-region", "/handlers/*"),
    ] {
        assert!(has(RuleKind::Route, code, pointer), "{code} {pointer}");
    }
    for (code, pointer) in [
        ("gb11643-checksum", "/applicant/id_number"),
        ("sex-mismatch", "/applicant/sex"),
        ("birth-date-mismatch", "/applicant/birth_date"),
        ("gb11643-checksum", "/form/accompanying/*/person/id_number"),
        ("gb2260-unknown", "/origin"),
        ("gb2260-unknown", "/handlers/*"),
        ("date-invalid", "/applicant/birth_date"),
    ] {
        assert!(has(RuleKind::Identity, code, pointer), "{code} {pointer}");
    }
    let person = rules
        .iter()
        .find(|r| r.code == "gb11643-checksum" && r.pointer == "/applicant/id_number")
        .and_then(|r| r.check.clone())
        .expect("the person check");
    assert_eq!((person.name, person.on.as_str()), ("person", "/applicant"));
    assert!(
        rules
            .iter()
            .any(|r| r.code == "gb11643-legacy" && r.warning),
        "a legacy number is only a warning"
    );
    for r in m.rules() {
        assert!(has(RuleKind::Form, r.code, r.pointer), "{}", r.code);
    }
    // An organisation's matter lists the credit code's checks, as warnings.
    let business = get("business-registration").unwrap().listed_rules();
    assert!(
        business
            .iter()
            .any(|r| r.code == "gb32100-checksum" && r.warning),
        "{business:?}"
    );
    for r in &rules {
        assert!(!r.rule_zh.is_empty() && r.rule_zh.contains('('), "{r:?}");
    }
}

/// Every matter's decision limit is longer than its acceptance window: the index of running
/// clocks files the decision clock of a deemed acceptance (Art. 32) under its due date from the
/// day the window opens, and lists it as overdue once that date has passed; one due before the
/// window's own end would be listed while the window still runs.
#[test]
fn every_decision_limit_outlasts_its_acceptance_window() {
    for m in all() {
        assert!(
            m.limits.decision_days > m.limits.acceptance_days,
            "{}: decision {} days, acceptance {}",
            m.code,
            m.limits.decision_days,
            m.limits.acceptance_days
        );
    }
}
