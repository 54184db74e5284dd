//! Each rule: given the matter's example changed in one field, when the matter checks it, then
//! the rule's violation (or none) is what comes back.

use crate::matters::{self, Matter};
use crate::violation::Violation;
use serde_json::{Value, json};

fn matter(code: &str) -> &'static Matter {
    matters::get(code).expect("matter")
}

/// The example of `code` with `change` applied to its body.
fn given(code: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut body = matter(code).example();
    change(&mut body);
    body
}

/// The violations of a whole body, as `(pointer, rule)`.
fn when_checked(body: &Value) -> Vec<(String, String)> {
    let code = body["matter"].as_str().expect("matter");
    matter(code)
        .check_submission(body)
        .violations
        .into_iter()
        .map(|v| (v.pointer, v.rule))
        .collect()
}

fn one(pointer: &str, rule: &str) -> Vec<(String, String)> {
    vec![(pointer.to_string(), rule.to_string())]
}

#[test]
fn every_example_passes_every_rule_of_its_matter() {
    for m in matters::all() {
        let body = m.example();
        let v = super::check(m.code, &body["applicant"], &body["form"], &[]);
        assert_eq!(v, Vec::<Violation>::new(), "{}", m.code);
    }
}

#[test]
fn a_medical_filing_ending_before_it_starts_is_refused_at_its_end_date() {
    // Given a filing from 2024-03-01 that ends the day before
    let body = given("medical-filing", |b| {
        b["form"]["end_date"] = json!("2024-02-29");
    });
    // When it is checked, then its end date is refused
    assert_eq!(
        when_checked(&body),
        one("/form/end_date", "end-before-start")
    );
    // And the message says the roles, not the dates
    let m = matter("medical-filing").check_submission(&body).violations;
    assert!(m[0].message.contains("备案结束日期早于备案开始日期"));
    assert!(!m[0].message.contains("2024"));
}

#[test]
fn a_medical_filing_of_one_day_or_without_an_end_passes() {
    let same_day = given("medical-filing", |b| {
        b["form"]["end_date"] = b["form"]["start_date"].clone();
    });
    assert_eq!(when_checked(&same_day), vec![]);
    let open = given("medical-filing", |b| {
        b["form"].as_object_mut().map(|f| f.remove("end_date"));
    });
    assert_eq!(when_checked(&open), vec![]);
}

#[test]
fn an_end_date_that_is_no_date_is_refused_once_by_its_own_rule() {
    // Given an end date that is no calendar date
    let body = given("medical-filing", |b| {
        b["form"]["end_date"] = json!("2024-02-30");
    });
    // Then only the date check speaks; the order of dates is not also judged
    assert_eq!(when_checked(&body), one("/form/end_date", "date-invalid"));
}

#[test]
fn treatment_in_the_insured_province_is_refused_at_the_treatment_region() {
    // Given a Hangzhou-insured person filing for treatment in Ningbo (same province)
    let body = given("medical-filing", |b| {
        b["form"]["treatment_region"] = json!("330200");
    });
    assert_eq!(
        when_checked(&body),
        one("/form/treatment_region", "same-province")
    );
    // And in the very region insured, a 12-digit spelling included
    let same = given("medical-filing", |b| {
        b["form"]["treatment_region"] = json!("330100000000");
    });
    assert_eq!(
        when_checked(&same),
        one("/form/treatment_region", "same-province")
    );
}

#[test]
fn a_region_code_the_schema_refuses_is_not_also_compared() {
    // Given a treatment region that is no GB/T 2260 code but starts like the insured province
    let body = given("medical-filing", |b| {
        b["form"]["treatment_region"] = json!("339999");
    });
    assert_eq!(
        when_checked(&body),
        one("/form/treatment_region", "gb2260-unknown")
    );
}

#[test]
fn a_pension_or_housing_fund_transfer_inside_one_province_is_refused_at_the_region_moved_to() {
    let pension = given("pension-transfer", |b| {
        b["form"]["to_region"] = json!("310115");
    });
    assert_eq!(
        when_checked(&pension),
        one("/form/to_region", "same-province")
    );
    let fund = given("housing-fund-transfer", |b| {
        b["form"]["from_region"] = json!("510104");
    });
    assert_eq!(when_checked(&fund), one("/form/to_region", "same-province"));
}

#[test]
fn a_hukou_transfer_inside_one_province_is_refused_at_the_address_moved_to() {
    let body = given("hukou-transfer", |b| {
        b["form"]["move_in_address"]["division"] = json!("340102");
    });
    assert_eq!(
        when_checked(&body),
        one("/form/move_in_address/division", "same-province")
    );
}

#[test]
fn the_applicant_among_the_accompanying_members_is_refused_at_that_member() {
    // Given the applicant listed as a second accompanying member
    let body = given("hukou-transfer", |b| {
        let me = b["applicant"].clone();
        b["form"]["accompanying"]
            .as_array_mut()
            .expect("list")
            .push(json!({
                "person": { "name": me["name"], "id_number": me["id_number"], "sex": me["sex"] },
                "relationship": "本人"
            }));
    });
    assert_eq!(
        when_checked(&body),
        one(
            "/form/accompanying/1/person/id_number",
            "accompanying-is-applicant"
        )
    );
    let v = matter("hukou-transfer").check_submission(&body).violations;
    assert!(!v[0].message.contains("440106"), "{}", v[0].message);
}

#[test]
fn an_accompanying_member_listed_twice_is_refused_at_the_second() {
    let body = given("hukou-transfer", |b| {
        let first = b["form"]["accompanying"][0].clone();
        b["form"]["accompanying"]
            .as_array_mut()
            .expect("list")
            .push(first);
    });
    assert_eq!(
        when_checked(&body),
        one(
            "/form/accompanying/1/person/id_number",
            "duplicate-accompanying"
        )
    );
    // The message names the member it repeats by place, not by the number both carry
    let v = matter("hukou-transfer").check_submission(&body).violations;
    assert!(
        v[0].message.contains("与第 1 位随迁人员相同"),
        "{}",
        v[0].message
    );
    let id = body["form"]["accompanying"][0]["person"]["id_number"]
        .as_str()
        .expect("id");
    assert!(!v[0].message.contains(id), "{}", v[0].message);
}

#[test]
fn a_posted_card_without_an_address_is_refused_and_a_collected_one_passes() {
    let posted = given("social-security-card", |b| {
        b["form"]
            .as_object_mut()
            .map(|f| f.remove("delivery_address"));
    });
    assert_eq!(
        when_checked(&posted),
        one("/form/delivery_address", "required-when")
    );
    let collected = given("social-security-card", |b| {
        b["form"]["delivery"] = json!("window");
        b["form"]
            .as_object_mut()
            .map(|f| f.remove("delivery_address"));
    });
    assert_eq!(when_checked(&collected), vec![]);
}

#[test]
fn a_certificate_for_another_purpose_needs_its_detail() {
    let body = given("criminal-record-certificate", |b| {
        b["form"]["purpose"] = json!("other");
        b["form"]
            .as_object_mut()
            .map(|f| f.remove("purpose_detail"));
    });
    assert_eq!(
        when_checked(&body),
        one("/form/purpose_detail", "required-when")
    );
    let detailed = given("criminal-record-certificate", |b| {
        b["form"]["purpose"] = json!("other");
        b["form"]["purpose_detail"] = json!("申请赴港工作签证");
    });
    assert_eq!(when_checked(&detailed), vec![]);
}

#[test]
fn a_limited_company_whose_capital_is_not_its_investors_sum_is_refused() {
    // Given 600 000 + 400 000 subscribed against 1 200 000 registered
    let body = given("business-registration", |b| {
        b["form"]["registered_capital_yuan"] = json!(1_200_000);
    });
    assert_eq!(
        when_checked(&body),
        one("/form/registered_capital_yuan", "capital-mismatch")
    );
    // A partnership's 出资 is not a registered capital: no rule
    let partnership = given("business-registration", |b| {
        b["form"]["entity_type"] = json!("partnership");
        b["form"]["registered_capital_yuan"] = json!(1_200_000);
    });
    assert_eq!(when_checked(&partnership), vec![]);
    // Sums beyond u64 are no false match
    let huge = given("business-registration", |b| {
        b["form"]["registered_capital_yuan"] = json!(u64::MAX - 1);
        b["form"]["investors"][0]["subscribed_capital_yuan"] = json!(u64::MAX);
        b["form"]["investors"][1]["subscribed_capital_yuan"] = json!(u64::MAX);
    });
    assert_eq!(
        when_checked(&huge),
        one("/form/registered_capital_yuan", "capital-mismatch")
    );
}

#[test]
fn a_limited_company_without_its_capital_or_investors_is_refused() {
    // Given a limited company that leaves out its registered capital
    let body = given("business-registration", |b| {
        b["form"]
            .as_object_mut()
            .expect("form")
            .remove("registered_capital_yuan");
    });
    // Then the capital is required, not silently unchecked against the investors
    assert_eq!(
        when_checked(&body),
        one("/form/registered_capital_yuan", "required-when")
    );
    // Given one that lists no investor (an empty list, or none at all)
    for investors in [Some(json!([])), None] {
        let body = given("business-registration", |b| {
            let form = b["form"].as_object_mut().expect("form");
            match &investors {
                Some(list) => form.insert("investors".into(), list.clone()),
                None => form.remove("investors"),
            };
        });
        assert_eq!(
            when_checked(&body),
            one("/form/investors", "required-when"),
            "{investors:?}"
        );
    }
    // A partnership (an 出资 without a registered capital) needs neither
    let partnership = given("business-registration", |b| {
        b["form"]["entity_type"] = json!("partnership");
        let form = b["form"].as_object_mut().expect("form");
        form.remove("registered_capital_yuan");
        form.insert("investors".into(), json!([]));
    });
    assert_eq!(when_checked(&partnership), vec![]);
}

#[test]
fn the_applicant_and_form_check_applies_the_rules_too() {
    // The path that checks only `applicant` and `form` (a typed request through the library)
    let body = given("pension-transfer", |b| {
        b["form"]["to_region"] = json!("310115");
    });
    let v = matter("pension-transfer")
        .validate(&body["applicant"], &body["form"])
        .expect_err("refused");
    assert_eq!(v.len(), 1);
    assert_eq!(
        (v[0].pointer.as_str(), v[0].rule.as_str()),
        ("/form/to_region", "same-province")
    );
}

#[test]
fn a_checked_submission_means_the_rules_passed() {
    let body = given("medical-filing", |b| {
        b["form"]["end_date"] = json!("2023-12-31");
    });
    let (report, checked) = matter("medical-filing").check_owned(body);
    assert!(!report.violations.is_empty());
    assert!(checked.is_err());
}

#[test]
fn every_rule_is_listed_with_a_field_of_its_matter_and_a_stable_code() {
    for m in matters::all() {
        let fields: Vec<String> = m.fields().into_iter().map(|f| f.path).collect();
        for r in m.rules() {
            assert!(
                r.code.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.code
            );
            assert!(!r.rule_zh.is_empty());
            // The field the rule names is a field of the matter's schema (and so of its pages)
            assert!(
                fields.iter().any(|f| f == r.pointer),
                "{}: {} not among {fields:?}",
                m.code,
                r.pointer
            );
        }
    }
    assert_eq!(
        matter("medical-filing")
            .rules()
            .iter()
            .map(|r| r.code)
            .collect::<Vec<_>>(),
        ["end-before-start", "same-province"]
    );
}
