//! What the adapters do with real-world input: normalisation of messy values, every problem at
//! once in the caller's own field names with personal values masked, warnings that do not
//! reject, traditional-character matching copies, charsets and XML edge cases.

use serde_json::{Value, json};
use tongban_adapters::{Adapter, Registry};

fn adapter(region: &str, matter: &str) -> &'static Adapter {
    Registry::builtin()
        .expect("builtin specs")
        .get(region, matter)
        .unwrap_or_else(|| panic!("no adapter {region}/{matter}"))
}

fn golden_local(region: &str, file: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/regions/{region}/golden/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn golden_json(region: &str, file: &str) -> Value {
    serde_json::from_slice(&golden_local(region, file)).unwrap()
}

#[test]
fn messy_values_are_normalised_inbound() {
    let a = adapter("330000", "hukou-transfer");
    let mut local = golden_json("330000", "hukou-transfer.local.json");
    let want = golden_json("330000", "hukou-transfer.canonical.json");
    // Full-width digits and stray ideographic spaces, an old ethnicity name, a 男性 alias.
    local["申请人"]["身份证号"] = json!("３３０１０６１９９００３０７１２３６");
    local["申请人"]["姓名"] = json!("\u{3000}李明 ");
    local["申请人"]["民族"] = json!("崩龙族");
    local["申请人"]["性别"] = json!("男性");
    local["申请人"]["出生日期"] = json!("１９９０年３月７日");
    let t = a.inbound(&local).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(t.canonical, want);

    // 15-digit legacy numbers are upgraded; a lower-case x is upper-cased.
    let a = adapter("340000", "pension-transfer");
    let mut local = golden_json("340000", "pension-transfer.local.json");
    local["AAC002"] = json!("110105491231002");
    local["AAC006"] = json!("19491231");
    local["AAC004"] = json!("2");
    local["AAC001"] = json!("11010519491231002x");
    local["AAC005"] = json!("58");
    let t = a.inbound(&local).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(t.canonical["applicant"]["id_number"], "11010519491231002X");
    assert_eq!(
        t.canonical["form"]["insurance_number"],
        "11010519491231002X"
    );
    assert_eq!(t.canonical["applicant"]["ethnicity"], "98");
}

#[test]
fn every_problem_at_once_in_the_callers_words_with_personal_data_masked() {
    let a = adapter("510000", "criminal-record-certificate");
    let mut local = golden_json("510000", "criminal-record-certificate.local.json");
    let id = local["SQR_GMSFHM"].as_str().unwrap().to_string();
    local["SQR_GMSFHM"] = json!(format!("{}0", &id[..17])); // checksum broken
    local["SQR_XB_DM"] = json!("M"); // not a GB/T 2261.1 code
    local["SQR_CSRQ"] = json!("19950230"); // not a real date
    local["SQR_LXDH"] = json!("12345");
    local["ZMYT_DM"] = json!("07");
    local["KJD_SSXQDM"] = json!("999999000000");
    local["SSBM"] = json!("something else");
    local.as_object_mut().unwrap().remove("BLD_XZQHDM");
    local["CLXX"][0]["CLDX"] = json!("big");
    let r = a.inbound(&local).expect_err("must be refused");
    let by_field: Vec<(&str, &str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.canonical.as_str(), p.rule.as_str()))
        .collect();
    for expected in [
        ("/SQR_GMSFHM", "/applicant/id_number", "gb11643-checksum"),
        ("/SQR_XB_DM", "/applicant/sex", "code"),
        ("/SQR_CSRQ", "/applicant/birth_date", "date-format"),
        ("/SQR_LXDH", "/applicant/phone", "phone"),
        ("/ZMYT_DM", "/form/purpose", "code"),
        ("/KJD_SSXQDM", "/form/issuing_region", "gb2260-unknown"),
        ("/SSBM", "", "const"),
        ("/BLD_XZQHDM", "/handlers", "required"),
        ("/CLXX/0/CLDX", "/materials/0/size", "integer"),
    ] {
        assert!(
            by_field.contains(&expected),
            "missing {expected:?} in {by_field:#?}"
        );
    }
    // Labels in Chinese, the field's own name, and masked personal values.
    let p = r.problems.iter().find(|p| p.field == "SQR_GMSFHM").unwrap();
    assert_eq!(p.label.as_deref(), Some("公民身份号码"));
    assert_eq!(
        p.value.as_deref(),
        Some(tongban_schemas::mask::id_number(&p_id(&id)).as_str())
    );
    let all = serde_json::to_string(&r).unwrap();
    assert!(!all.contains(&id[..17]), "an ID number in clear: {all}");
    assert!(!all.contains("何静"), "a name in clear: {all}");
    assert!(!all.contains("85551234"), "a phone in clear: {all}");
    // A value that is not in the table and has no shape of its codes (a letter, where they
    // are digits) is said by its shape: it may be anything a clerk typed there.
    let sex = r.problems.iter().find(|p| p.field == "SQR_XB_DM").unwrap();
    assert_eq!(
        sex.value.as_deref(),
        Some("(1 character: 1 ASCII letter, not shown)")
    );
}

/// A clerk's ID number, phone or name typed into a code field: refused as not a code, and
/// neither the message nor the shown value carries it in clear.
#[test]
fn personal_data_in_a_code_field_is_masked_like_any_other() {
    let a = adapter("510000", "criminal-record-certificate");
    let local = golden_json("510000", "criminal-record-certificate.local.json");
    let id = local["SQR_GMSFHM"].as_str().unwrap().to_string();
    // A name cannot be told from a code in 汉字 (男, 全程网办), which are shown as sent; an ID
    // number and a mobile number can, and are masked as what they are.
    let grouped = format!("{} {} {}", &id[..6], &id[6..14], &id[14..]);
    let full_width: String = id
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
        .collect();
    for typed in [
        id.clone(),
        "13812345678".to_string(),
        // However it was typed: inside text, grouped, full-width, after +86.
        format!("身份证{id}"),
        grouped,
        full_width,
        "138 1234 5678".to_string(),
        "+8613812345678".to_string(),
        "１３８１２３４５６７８".to_string(),
    ] {
        let mut form = local.clone();
        form["SQR_XB_DM"] = json!(typed);
        let r = a.inbound(&form).expect_err("not a code");
        let p = r.problems.iter().find(|p| p.field == "SQR_XB_DM").unwrap();
        assert_eq!(p.rule, "code");
        let all = serde_json::to_string(&r).unwrap();
        let clear: String = typed.chars().take(6).collect();
        assert!(!all.contains(&clear), "{typed} in clear: {all}");
        let middle: String = typed.chars().skip(4).take(6).collect();
        assert!(!all.contains(&middle), "{typed} in clear: {all}");
        assert!(
            p.message.contains("sex-"),
            "the table is named: {}",
            p.message
        );
    }
}

/// A value no branch of a union takes is named for what it is: a phone sent as a number is a
/// `type` problem at the province's field (not the validator's English "not valid under any of
/// the schemas"), and an investor type outside the code table is one `code` problem, with no
/// second finding on the whole investor.
#[test]
fn union_findings_are_in_the_provinces_words_and_said_once() {
    let a = adapter("440000", "business-registration");
    let mut local = golden_json("440000", "business-registration.local.json");
    local["formData"]["investors"][0]["mobile"] = json!(13512345678u64);
    let r = a.inbound(&local).expect_err("a number for a phone");
    let found: Vec<(&str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(found, [("/formData/investors/0/mobile", "type")]);
    assert!(
        r.problems[0].message.starts_with("应为文本，收到整数"),
        "{}",
        r.problems[0].message
    );

    let mut local = golden_json("440000", "business-registration.local.json");
    local["formData"]["investors"][0]["invType"] = json!("3");
    let r = a.inbound(&local).expect_err("an unknown investor type");
    let found: Vec<(&str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(found, [("/formData/investors/0/invType", "code")]);
}

/// A member name a province made up is named in problems without the personal data typed
/// into it (a record keyed by a phone number): the digits are masked in the pointer, the field
/// and the message alike, and the problem still says where it is.
#[test]
fn made_up_member_names_are_named_without_the_numbers_in_them() {
    let a = adapter("440000", "medical-filing");
    let mut local = golden_json("440000", "medical-filing.local.json");
    local["formData"]["13601701234"] = json!("备注");
    let problems: Vec<tongban_adapters::LocalProblem> = match a.inbound(&local) {
        Ok(t) => t.warnings,
        Err(r) => r.problems.into_iter().chain(r.warnings).collect(),
    };
    let named: Vec<&tongban_adapters::LocalProblem> = problems
        .iter()
        .filter(|p| p.rule == "unknown-field")
        .collect();
    assert_eq!(named.len(), 1, "{problems:?}");
    assert_eq!(named[0].pointer, "/formData/136******34");
    for p in &problems {
        let text = format!("{} {} {}", p.pointer, p.field, p.message);
        assert!(!text.contains("13601701234"), "{text}");
    }
}

/// One record where the spec has a list is a list of one, in JSON as in XML (converters of XML
/// write a list of one so): its fields are read and checked as the item's.
#[test]
fn a_json_record_where_a_list_belongs_is_a_list_of_one() {
    let a = adapter("440000", "business-registration");
    let mut local = golden_json("440000", "business-registration.local.json");
    let mut only = local["formData"]["investors"][1].clone();
    only["subConAm"] = json!("1000000");
    local["formData"]["investors"] = only;
    let t = a.inbound(&local).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        t.canonical["form"]["investors"].as_array().map(Vec::len),
        Some(1),
        "{}",
        t.canonical["form"]["investors"]
    );
}

/// A list is held to the canonical route's limit (1,000 items, `max-items`) through an adapter
/// too, at the province's own field: 600 investors go through as they do canonically, 1,001 are
/// refused at `/formData/investors`.
#[test]
fn a_local_list_is_held_to_the_canonical_item_limit() {
    use tongban_schemas::limits::MAX_ITEMS;
    let a = adapter("440000", "business-registration");
    let with_investors = |n: usize| {
        let mut local = golden_json("440000", "business-registration.local.json");
        let one = local["formData"]["investors"][1].clone();
        local["formData"]["investors"] = json!(
            (0..n)
                .map(|i| {
                    let mut inv = one.clone();
                    inv["invName"] = json!(format!("示例控股第{i}有限公司"));
                    inv["subConAm"] = json!("1000");
                    inv
                })
                .collect::<Vec<_>>()
        );
        local["formData"]["regCap"] = json!((n * 1000).to_string());
        local
    };
    let taken = a.inbound(&with_investors(600));
    assert!(
        taken.is_ok(),
        "{:?}",
        taken
            .err()
            .map(|r| r.problems.into_iter().take(3).collect::<Vec<_>>())
    );
    let refused = a
        .inbound(&with_investors(MAX_ITEMS + 1))
        .expect_err("over the limit");
    let by_field: Vec<(&str, &str)> = refused
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(by_field, [("/formData/investors", "max-items")]);
    assert!(
        refused.problems[0].message.contains("1000"),
        "{}",
        refused.problems[0].message
    );
}

/// The limits a JSON body is held to hold for a local form as well, in the province's names:
/// more than 100 materials and a string over 64 KiB.
#[test]
fn local_forms_are_held_to_the_submission_limits_in_their_own_field_names() {
    use tongban_schemas::limits::{MAX_MATERIALS, MAX_STRING_BYTES};
    let a = adapter("510000", "criminal-record-certificate");
    let mut local = golden_json("510000", "criminal-record-certificate.local.json");
    let one = local["CLXX"][0].clone();
    local["CLXX"] = json!(
        (0..=MAX_MATERIALS)
            .map(|i| {
                let mut m = one.clone();
                m["SXH"] = json!((i + 1).to_string());
                m
            })
            .collect::<Vec<_>>()
    );
    local["SQR_QHNXXDZ"] = json!("长".repeat(MAX_STRING_BYTES / 3 + 1));
    let r = a.inbound(&local).expect_err("over the limits");
    let by_field: Vec<(&str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.rule.as_str()))
        .collect();
    assert!(
        by_field.contains(&("/CLXX", "max-materials")),
        "{by_field:?}"
    );
    assert!(
        by_field.contains(&("/SQR_QHNXXDZ", "max-string-length")),
        "{by_field:?}"
    );
    // At the limit it is taken.
    let mut local = golden_json("510000", "criminal-record-certificate.local.json");
    local["CLXX"] = json!(vec![one; MAX_MATERIALS]);
    let ok = a.inbound(&local);
    assert!(
        ok.as_ref()
            .err()
            .is_none_or(|r| !r.problems.iter().any(|p| p.rule == "max-materials")),
        "{ok:?}"
    );
}

/// A material name holding the separator of a province's joined list (`FJMC` = names joined by
/// `;`) cannot be written into that form: it would read back as one more name than ids, each
/// later name paired with the wrong file. Refused, naming the item.
#[test]
fn a_value_holding_a_joined_lists_separator_is_refused_outbound() {
    let a = adapter("340000", "medical-filing");
    let mut canonical = golden_json("340000", "medical-filing.canonical.json");
    assert!(a.outbound(&canonical).is_ok());
    canonical["materials"][0]["name"] = json!("居民身份证;正反面");
    let r = a.outbound(&canonical).expect_err("cannot be joined");
    let p = r
        .problems
        .iter()
        .find(|p| p.rule == "separator-in-value")
        .unwrap_or_else(|| panic!("{:?}", r.problems));
    assert_eq!(p.canonical, "/materials/0");
    assert!(p.message.contains("第 1 项"), "{}", p.message);
}

fn p_id(id: &str) -> String {
    format!("{}0", &id[..17])
}

#[test]
fn canonical_findings_are_traced_back_to_local_fields() {
    // Birth date consistent in form but not with the ID number: the schema's finding, reported
    // against the province's CSRQ field.
    let a = adapter("510000", "housing-fund-transfer");
    let mut local = golden_json("510000", "housing-fund-transfer.local.json");
    local["SQR_CSRQ"] = json!("19880229");
    local["ZR_GRZH"] = json!("ab");
    let r = a.inbound(&local).expect_err("refused");
    let p = r
        .problems
        .iter()
        .find(|p| p.rule == "birth-date-mismatch")
        .expect("mismatch found");
    assert_eq!(
        (p.pointer.as_str(), p.canonical.as_str()),
        ("/SQR_CSRQ", "/applicant/birth_date")
    );
    let p = r
        .problems
        .iter()
        .find(|p| p.field == "ZR_GRZH")
        .expect("account");
    assert_eq!(p.canonical, "/form/to_account");
    assert_eq!(p.rule, "pattern");
}

/// The form's rules across fields (the canonical `form_rules`) refuse a local form at the
/// province's own field, with its label, the canonical field and the rule's stable code.
#[test]
fn a_form_rule_across_fields_is_refused_at_the_provinces_field() {
    // Given 广东's filing that ends before it starts
    let a = adapter("440000", "medical-filing");
    let mut local = golden_json("440000", "medical-filing.local.json");
    local["formData"]["endDate"] = json!("2024-02-01");
    // When it is translated, then the problem is at endDate, said as a rule, not a date format
    let r = a.inbound(&local).expect_err("refused");
    let found: Vec<(&str, &str, &str, Option<&str>)> = r
        .problems
        .iter()
        .map(|p| {
            (
                p.pointer.as_str(),
                p.canonical.as_str(),
                p.rule.as_str(),
                p.label.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [(
            "/formData/endDate",
            "/form/end_date",
            "end-before-start",
            Some("备案结束日期")
        )]
    );
    assert_eq!(r.problems[0].field, "endDate");
    assert!(
        r.problems[0].message.contains("早于"),
        "{}",
        r.problems[0].message
    );

    // Given 四川's hukou transfer moving within 四川 (12-digit codes, as 四川 writes them)
    let a = adapter("510000", "hukou-transfer");
    let mut local = golden_json("510000", "hukou-transfer.local.json");
    local["QRD_SSXQDM"] = json!("510107000000");
    let r = a.inbound(&local).expect_err("refused");
    let p = &r.problems[..];
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(
        (
            p[0].field.as_str(),
            p[0].canonical.as_str(),
            p[0].rule.as_str()
        ),
        (
            "QRD_SSXQDM",
            "/form/move_in_address/division",
            "same-province"
        )
    );
    assert_eq!(p[0].label.as_deref(), Some("迁入地所属辖区"));
    // The value shown is what 四川 sent
    assert_eq!(p[0].value.as_deref(), Some("510107000000"));

    // Given 广东's card by post without the address to post it to, whose members (not the
    // address itself) the spec maps
    let a = adapter("440000", "social-security-card");
    let mut local = golden_json("440000", "social-security-card.local.json");
    local["formData"]
        .as_object_mut()
        .expect("formData")
        .remove("postAddress");
    let r = a.inbound(&local).expect_err("refused");
    let p = &r.problems[..];
    assert_eq!(p.len(), 1, "{p:#?}");
    // Then it is named at the local object holding them, without saying the spec maps nothing
    assert_eq!(
        (
            p[0].pointer.as_str(),
            p[0].field.as_str(),
            p[0].canonical.as_str(),
            p[0].rule.as_str()
        ),
        (
            "/formData/postAddress",
            "postAddress",
            "/form/delivery_address",
            "required-when"
        )
    );
    assert!(!p[0].message.contains("未映射"), "{}", p[0].message);
}

#[test]
fn a_credit_code_failing_its_check_character_is_only_a_warning() {
    let a = adapter("500000", "housing-fund-transfer");
    let mut local = golden_json("500000", "housing-fund-transfer.local.json");
    local["txnBodyCom"]["zrDwxydm"] = json!("91110000600037341m");
    let t = a.inbound(&local).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        t.canonical["form"]["to_employer"]["credit_code"],
        "91110000600037341M"
    );
    assert_eq!(t.warnings.len(), 1, "{:?}", t.warnings);
    assert_eq!(t.warnings[0].rule, "gb32100-checksum");
    assert_eq!(t.warnings[0].pointer, "/txnBodyCom/zrDwxydm");
}

#[test]
fn traditional_names_are_kept_with_a_simplified_copy_for_matching() {
    let a = adapter("440000", "medical-filing");
    let t = a
        .translate(&golden_local("440000", "medical-filing.local.json"), None)
        .unwrap();
    assert_eq!(t.canonical["applicant"]["name"], "陳嘉欣");
    assert_eq!(t.matching["/applicant/name"], "陈嘉欣");
    assert_eq!(
        t.matching["/applicant/address/detail"],
        "天河路 385 号 1201 房"
    );
    // Chongqing's split name: the copy is of the joined name.
    let a = adapter("500000", "criminal-record-certificate");
    let mut local = golden_json("500000", "criminal-record-certificate.local.json");
    local["txnBodyCom"]["sqrXing"] = json!("馬");
    let t = a.inbound(&local).unwrap();
    assert_eq!(t.canonical["applicant"]["name"], "馬丽");
    assert_eq!(t.matching["/applicant/name"], "马丽");
}

/// A surname or given name that is no text (a list, a number, an object) is refused at its own
/// field, never joined into the stored name as `[…]斌` or `5斌`.
#[test]
fn name_parts_that_are_not_text_are_refused_at_their_field() {
    let a = adapter("500000", "criminal-record-certificate");
    let golden = golden_json("500000", "criminal-record-certificate.local.json");
    for (field, sent, message, shown) in [
        (
            "sqrXing",
            json!(["罗", "司马"]),
            "应为文本，收到列表 (expected text, got a list)",
            None,
        ),
        (
            "sqrXing",
            json!(5),
            "应为文本，收到数字 (expected text, got a number)",
            Some("5*"),
        ),
        (
            "sqrMing",
            json!({"a": "丽"}),
            "应为文本，收到对象 (expected text, got an object)",
            None,
        ),
    ] {
        let mut local = golden.clone();
        local["txnBodyCom"][field] = sent;
        let r = a.inbound(&local).expect_err("refused");
        assert_eq!(r.problems.len(), 1, "{r}");
        let p = &r.problems[0];
        assert_eq!(p.pointer, format!("/txnBodyCom/{field}"));
        assert_eq!((p.rule.as_str(), p.message.as_str()), ("type", message));
        assert_eq!(p.canonical, "/applicant/name");
        assert_eq!(p.value.as_deref(), shown);
    }
}

/// The field table says what is required as the translation holds it: of a required name in
/// two parts, the surname; a form without a given name is taken (the surname is the name).
#[test]
fn the_field_table_requires_the_surname_of_a_name_in_two_parts_not_the_given_name() {
    let a = adapter("500000", "criminal-record-certificate");
    let table = a.field_table();
    let required = |local: &str| {
        table
            .iter()
            .find(|r| r.local == local)
            .unwrap_or_else(|| panic!("{local}"))
            .required
    };
    assert!(required("/txnBodyCom/sqrXing"));
    assert!(!required("/txnBodyCom/sqrMing"));
    let mut local = golden_json("500000", "criminal-record-certificate.local.json");
    local["txnBodyCom"]
        .as_object_mut()
        .unwrap()
        .remove("sqrMing");
    let t = a.inbound(&local).expect("taken without a given name");
    assert_eq!(
        t.canonical["applicant"]["name"],
        local["txnBodyCom"]["sqrXing"]
    );
}

#[test]
fn unknown_fields_warn_and_missing_ones_are_named() {
    let a = adapter("440000", "social-security-card");
    let mut local = golden_json("440000", "social-security-card.local.json");
    local["SBLSH"] = json!("4400002024030100001");
    local["applicant"]["nickname"] = json!("x");
    let t = a.inbound(&local).unwrap();
    let unknown: Vec<&str> = t.warnings.iter().map(|w| w.pointer.as_str()).collect();
    assert_eq!(unknown, ["/SBLSH", "/applicant/nickname"]);
    local["formData"]
        .as_object_mut()
        .unwrap()
        .remove("applyType");
    let r = a.inbound(&local).unwrap_err();
    assert_eq!(r.problems.len(), 1, "{r}");
    assert_eq!(r.problems[0].pointer, "/formData/applyType");
    assert_eq!(r.problems[0].rule, "required");
}

#[test]
fn xml_charsets_follow_the_content_type_then_the_declaration() {
    let a = adapter("310000", "social-security-card");
    let gbk = golden_local("310000", "social-security-card.local.xml");
    let want = golden_json("310000", "social-security-card.canonical.json");
    assert_eq!(
        a.translate(&gbk, Some("application/xml; charset=GBK"))
            .unwrap()
            .canonical,
        want
    );
    assert_eq!(
        a.translate(&gbk, None).unwrap().canonical,
        want,
        "declaration says GBK"
    );
    // The same document re-encoded as UTF-8 and declared so by the Content-Type.
    let text = encoding_rs::GBK
        .decode(&gbk)
        .0
        .replace("encoding=\"GBK\"", "encoding=\"UTF-8\"");
    assert_eq!(
        a.translate(text.as_bytes(), Some("application/xml; charset=utf-8"))
            .unwrap()
            .canonical,
        want
    );
    // GBK bytes declared as UTF-8 are refused, not mangled: by the disagreement with their own
    // declaration, or, without one, as bytes that are not UTF-8.
    let r = a
        .translate(&gbk, Some("application/xml; charset=UTF-8"))
        .unwrap_err();
    assert_eq!(r.problems[0].rule, "charset");
    assert!(
        r.problems[0]
            .message
            .contains("Content-Type 的字符集 UTF-8"),
        "{r}"
    );
    // The same disagreement, the charset given with a command-line option: named as that.
    let r = a
        .translate_from(
            &gbk,
            Some(tongban_adapters::codec::CharsetSource::Option {
                option: "--charset",
                label: Some("UTF-8"),
            }),
            &|_| Vec::new(),
        )
        .unwrap_err();
    assert_eq!(r.problems[0].rule, "charset");
    assert!(
        r.problems[0]
            .message
            .contains("--charset 给出的字符集 UTF-8")
            && !r.problems[0].message.contains("Content-Type"),
        "{r}"
    );
    let undeclared = encoding_rs::GBK
        .encode(
            &encoding_rs::GBK
                .decode(&gbk)
                .0
                .replace(" encoding=\"GBK\"", ""),
        )
        .0
        .into_owned();
    let r = a
        .translate(&undeclared, Some("application/xml; charset=UTF-8"))
        .unwrap_err();
    assert_eq!(r.problems[0].rule, "encoding");
    // Told how a GBK form says so, as an HTTP client does.
    assert!(
        r.problems[0]
            .message
            .contains("application/xml; charset=GBK")
            && r.problems[0].message.contains("encoding=\"GBK\""),
        "{r}"
    );
    // UTF-8 text labelled GBK by the Content-Type: its bytes may well decode as GBK, into
    // other characters; the disagreement with the declaration refuses it instead.
    let r = a
        .translate(text.as_bytes(), Some("application/xml; charset=GBK"))
        .unwrap_err();
    assert_eq!(r.problems[0].rule, "charset");
    // GB 18030 and GBK read GBK text alike: no disagreement.
    assert_eq!(
        a.translate(&gbk, Some("application/xml; charset=GB18030"))
            .unwrap()
            .canonical,
        want
    );
    let r = a
        .translate(&gbk, Some("application/xml; charset=ISO-8859-1"))
        .unwrap_err();
    assert_eq!(r.problems[0].rule, "charset");
    let r = a.translate(b"<OTHER/>", None).unwrap_err();
    assert_eq!(r.problems[0].rule, "xml-root");
    let r = a
        .translate(b"<APPROVEDATAINFO><SXBM>x</APPROVEDATAINFO>", None)
        .unwrap_err();
    assert_eq!(r.problems[0].rule, "xml-syntax");
}

#[test]
fn characters_gbk_cannot_hold_become_character_references() {
    // 𬱖 is outside GBK: written as a character reference, read back intact.
    let a = adapter("310000", "pension-transfer");
    let mut canonical = golden_json("310000", "pension-transfer.canonical.json");
    canonical["applicant"]["name"] = json!("陶喆𬱖");
    let bytes = a.render(&canonical).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("&#"), "{text}");
    assert_eq!(a.translate(&bytes, None).unwrap().canonical, canonical);
}

/// Given a GBK adapter, when a value holds €, then it is written as a character reference, not
/// as the byte 0x80 the WHATWG GBK encoder gives it: GB 18030 and many GBK decoders (Python's,
/// Java's GB18030) refuse that byte, so a province's system would fail to read the whole form.
/// (Found by a red team's walkthrough of `?view=local`.)
#[test]
fn a_euro_sign_is_written_as_a_reference_in_gbk() {
    let a = adapter("310000", "pension-transfer");
    let mut canonical = golden_json("310000", "pension-transfer.canonical.json");
    canonical["applicant"]["name"] = json!("陶喆€");
    let bytes = a.render(&canonical).unwrap();
    assert!(!bytes.contains(&0x80), "the byte 0x80 is no GB 18030");
    assert!(String::from_utf8_lossy(&bytes).contains("&#8364;"));
    assert_eq!(a.translate(&bytes, None).unwrap().canonical, canonical);
}

#[test]
fn outbound_names_the_local_field_when_a_value_has_no_local_code() {
    let a = adapter("440000", "medical-filing");
    let mut canonical = golden_json("440000", "medical-filing.canonical.json");
    canonical["applicant"]["sex"] = json!("5");
    let r = a.outbound(&canonical).unwrap_err();
    assert_eq!(r.problems[0].pointer, "/applicant/gender");
    assert_eq!(r.problems[0].rule, "code-outbound");
}

/// Given a company's application and Guangdong's business-registration form, whose spec fixes
/// `/applicant/kind` to `person`, when the form is written (`--reverse`, `?view=local`), then it
/// is refused at `/applicant/kind` naming the value the form takes; before, the company was
/// written into the form as a person (its name under the person's name, exit 0).
#[test]
fn outbound_refuses_a_value_the_forms_canonical_constant_does_not_take() {
    let a = adapter("440000", "business-registration");
    let mut canonical = golden_json("440000", "business-registration.canonical.json");
    assert!(a.outbound(&canonical).is_ok(), "the person's own form");
    canonical["applicant"] = json!({
        "kind": "organisation",
        "name": "苏州示例控股有限公司",
        "credit_code": "91110000600037341L"
    });
    let r = a
        .outbound(&canonical)
        .expect_err("a company in a person's form");
    let found: Vec<(&str, &str, &str)> = r
        .problems
        .iter()
        .map(|p| (p.pointer.as_str(), p.canonical.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(found, [("", "/applicant/kind", "const-outbound")]);
    let said = r.to_string();
    assert!(said.contains("\"person\""), "{said}");
    assert!(said.contains("(value organisation)"), "{said}");
    assert!(!said.contains("苏州示例"), "{said}");
}

/// 材料格式 travels: Sichuan's scans (`jpg`) arrive as JPEG materials and go back out as `jpg`;
/// upper case is read; a format no table knows is refused at the caller's own field.
#[test]
fn material_formats_travel_both_ways_and_unknown_ones_are_named() {
    let a = adapter("510000", "hukou-transfer");
    let mut local = golden_json("510000", "hukou-transfer.local.json");
    local["CLXX"][0]["CLGS"] = json!("jpg");
    local["CLXX"][1]["CLGS"] = json!("OFD");
    let t = a.inbound(&local).unwrap();
    let formats: Vec<&Value> = t.canonical["materials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["format"])
        .collect();
    assert_eq!(formats[..2], [&json!("jpeg"), &json!("ofd")]);
    let back = a.outbound(&t.canonical).unwrap();
    assert_eq!(
        (&back["CLXX"][0]["CLGS"], &back["CLXX"][1]["CLGS"]),
        (&json!("jpg"), &json!("ofd"))
    );

    local["CLXX"][0]["CLGS"] = json!("exe");
    let r = a.inbound(&local).unwrap_err();
    assert_eq!(r.problems.len(), 1, "{r}");
    let p = &r.problems[0];
    assert_eq!(
        (p.pointer.as_str(), p.field.as_str(), p.canonical.as_str()),
        ("/CLXX/0/CLGS", "CLGS", "/materials/0/format")
    );
    assert_eq!(p.label.as_deref(), Some("材料格式"));
}

/// A 办理地 list of thousands is refused at the caller's field by the handlers limit, without
/// the schema's checks per code; a form with very many wrong values gets a bounded answer that
/// says how many more there were.
#[test]
fn long_lists_and_many_problems_get_a_bounded_answer() {
    let a = adapter("340000", "pension-transfer");
    let mut local = golden_json("340000", "pension-transfer.local.json");
    let codes: Vec<String> = (0..20_000).map(|i| format!("{}", 310_000 + i)).collect();
    local["BLD"] = json!(codes.join(";"));
    let started = std::time::Instant::now();
    let r = a.inbound(&local).unwrap_err();
    assert_eq!(r.problems.len(), 1, "{r}");
    assert_eq!(
        (r.problems[0].pointer.as_str(), r.problems[0].rule.as_str()),
        ("/BLD", "max-handlers")
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));

    // 60 attachments, each with a digest and a size that do not read: 120 problems.
    let mut local = golden_json("340000", "pension-transfer.local.json");
    let n = 60;
    for (field, value) in [
        ("FJID", "not-a-digest"),
        ("FJMC", "附件"),
        ("FJLX", "id-card"),
        ("FJDX", "big"),
    ] {
        local[field] = json!(vec![value; n].join(";"));
    }
    let r = a.inbound(&local).unwrap_err();
    assert_eq!(
        r.problems.len(),
        tongban_adapters::engine::MAX_PROBLEMS,
        "{r}"
    );
    let last = r.problems.last().unwrap();
    assert_eq!(last.rule, "too-many-problems");
    let listed = tongban_adapters::engine::MAX_PROBLEMS - 1;
    assert!(
        last.message.contains(&format!("{} more", 2 * n - listed))
            && last.message.contains(&format!("{} in all", 2 * n)),
        "{}",
        last.message
    );
    // The count a caller says ("has N problems") is every problem, not the ones listed.
    assert_eq!(r.total(), 2 * n);
}

/// Anhui's joined attachment columns ending in their separator (`a;b;c;`) hold three
/// attachments, not a fourth empty one.
#[test]
fn joined_columns_ending_in_their_separator_hold_no_extra_item() {
    let a = adapter("340000", "pension-transfer");
    let golden = golden_json("340000", "pension-transfer.local.json");
    let want = a.inbound(&golden).unwrap().canonical;
    let mut local = golden.clone();
    for field in ["FJID", "FJMC", "FJLX", "FJDX"] {
        local[field] = json!(format!("{};", golden[field].as_str().unwrap()));
    }
    let t = a.inbound(&local).unwrap();
    assert_eq!(t.canonical, want);
    // An item empty in the middle is still one, and named.
    local["FJMC"] = json!("居民身份证;;基本养老保险关系转移接续申请表");
    let r = a.inbound(&local).unwrap_err();
    assert_eq!(r.problems.len(), 1, "{r}");
    assert_eq!(r.problems[0].pointer, "/FJMC");
}

/// Pretty-printed XML indents an element's text: a fixed field (证件类型 `10`) written so
/// still reads as its constant, as every other field's text is read trimmed.
#[test]
fn a_fixed_field_reads_trimmed_like_every_other() {
    let a = adapter("310000", "social-security-card");
    let golden = golden_local("310000", "social-security-card.local.xml");
    let want = golden_json("310000", "social-security-card.canonical.json");
    let needle = b"<ZJLX>10</ZJLX>";
    let at = golden
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("ZJLX in the golden");
    let mut pretty = golden[..at].to_vec();
    pretty.extend_from_slice(b"<ZJLX>\n      10\n    </ZJLX>");
    pretty.extend_from_slice(&golden[at + needle.len()..]);
    let t = a
        .translate(&pretty, Some("application/xml; charset=GBK"))
        .unwrap();
    assert_eq!(*t.canonical, want);
}

/// A control character in a form's text is refused at the province's own field: no system can
/// be sent it as XML.
#[test]
fn a_control_character_is_refused_at_the_local_field() {
    let a = adapter("440000", "social-security-card");
    let mut local = golden_json("440000", "social-security-card.local.json");
    let detail = local["applicant"]["address"]["detail"]
        .as_str()
        .unwrap()
        .to_string();
    local["applicant"]["address"]["detail"] = json!(format!("{detail}\u{1}"));
    let r = a.inbound(&local).unwrap_err();
    assert_eq!(r.problems.len(), 1, "{r}");
    assert_eq!(
        (r.problems[0].pointer.as_str(), r.problems[0].rule.as_str()),
        ("/applicant/address/detail", "control-character")
    );
}

/// Material digests printed in upper case (as many Java systems print hex) read as the
/// canonical lower case.
#[test]
fn upper_case_digests_read_as_lower_case() {
    let a = adapter("440000", "social-security-card");
    let golden = golden_json("440000", "social-security-card.local.json");
    let want = a.inbound(&golden).unwrap().canonical;
    let mut local = golden.clone();
    for m in local["attachments"].as_array_mut().unwrap() {
        let upper = m["fileHash"].as_str().unwrap().to_ascii_uppercase();
        m["fileHash"] = json!(upper);
    }
    assert_eq!(a.inbound(&local).unwrap().canonical, want);
}

/// A 12-digit statistical code of a county or above is its 6-digit GB/T 2260 code: read so
/// inbound, and written so into a 6-digit field even when the canonical record holds 12 digits.
#[test]
fn twelve_digit_division_codes_take_their_six_digit_spelling() {
    let gd = adapter("440000", "medical-filing");
    let mut local = golden_json("440000", "medical-filing.local.json");
    local["formData"]["insuredArea"] = json!("330100000000");
    let t = gd.inbound(&local).unwrap();
    assert_eq!(t.canonical["form"]["insured_region"], "330100");

    let ah = adapter("340000", "medical-filing");
    let mut canonical = golden_json("340000", "medical-filing.canonical.json");
    canonical["form"]["insured_region"] = json!("440300000000");
    let out = ah.outbound(&canonical).unwrap();
    assert_eq!(out["AAB301_CB"], "440300");
    // A town's code keeps its twelve digits: its first six count, the rest is not lost.
    local["formData"]["insuredArea"] = json!("330106001000");
    let t = gd.inbound(&local).unwrap();
    assert_eq!(t.canonical["form"]["insured_region"], "330106001000");
}

/// A name joined by a 间隔号 goes out whole in Chongqing's surname field, not cut after its first
/// character as a Han name is, and comes back in as the same name.
#[test]
fn a_name_with_an_interpunct_travels_whole() {
    let a = adapter("500000", "criminal-record-certificate");
    let mut canonical = golden_json("500000", "criminal-record-certificate.canonical.json");
    let out = a.outbound(&canonical).unwrap_or_else(|r| panic!("{r}"));
    assert_ne!(
        out["txnBodyCom"]["sqrMing"],
        json!(""),
        "a Han name is split"
    );
    canonical["applicant"]["name"] = json!("阿依古丽·买买提");
    let out = a.outbound(&canonical).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(out["txnBodyCom"]["sqrXing"], json!("阿依古丽·买买提"));
    assert_eq!(out["txnBodyCom"]["sqrMing"], json!(""));
    let back = a.inbound(&out).unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        back.canonical["applicant"]["name"],
        json!("阿依古丽·买买提")
    );
}

/// The canonical schema's findings come back in the province's words: the value it sent (its
/// code `3`, not the canonical `joint`; `2EE47AF2` before `lower`), one finding per field, none
/// that only follows from another, and messages in the crate's bilingual style.
#[test]
fn schema_findings_show_what_the_province_sent() {
    let a = adapter("340000", "unemployment-registration");
    let golden = golden_json("340000", "unemployment-registration.local.json");
    let problems = |change: &dyn Fn(&mut Value)| {
        let mut local = golden.clone();
        change(&mut local);
        a.inbound(&local).expect_err("must be refused").problems
    };
    // 多地联办 for a matter that allows online and proxy: the mode alone, not also the two
    // handlers joint mode would need.
    let p = problems(&|l| l["BLMS"] = json!("3"));
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(
        (p[0].pointer.as_str(), p[0].rule.as_str()),
        ("/BLMS", "enum")
    );
    assert_eq!(p[0].value.as_deref(), Some("3"));
    // The modes the matter allows, in the province's own codes.
    assert!(
        p[0].message
            .starts_with("本事项不受理此办理模式，应为 1 (全程网办)、2 (异地代收代办) 之一"),
        "{p:#?}"
    );
    // The digest as sent, upper case, in the item's words.
    let p = problems(&|l| {
        let fjid = l["FJID"].as_str().unwrap().to_string();
        let rest = fjid.split_once(';').unwrap().1;
        l["FJID"] = json!(format!("{rest}; 2EE47AF2 "));
    });
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].pointer, "/FJID");
    assert_eq!(p[0].canonical, "/materials/1/sha256");
    assert_eq!(p[0].value.as_deref(), Some("2EE47AF2"));
    assert!(
        p[0].message
            .starts_with("第 2 项：格式不符：应为 64 位小写十六进制数字"),
        "{p:#?}"
    );
    // A five-digit handler: the specific rule only, not also the generic pattern.
    let p = problems(&|l| l["BLD"] = json!("44000"));
    let rules: Vec<(&str, &str)> = p
        .iter()
        .map(|x| (x.pointer.as_str(), x.rule.as_str()))
        .collect();
    assert_eq!(rules, vec![("/BLD", "region-code")], "{p:#?}");
    // A number where text is wanted, in words, not the validator's.
    let p = problems(&|l| l["AAB004"] = json!(12345));
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].pointer, "/AAB004");
    assert_eq!(
        p[0].message,
        "应为文本，收到整数 (expected text, got an integer)"
    );
}

/// A wrong structure is said where it is, once, and not as "missing" fields below it: a text or
/// a list where the spec expects an object, an XML element sent twice or with attributes, a JSON
/// member given twice.
#[test]
fn a_wrong_structure_is_named_where_it_is_not_reported_missing() {
    let a = adapter("330000", "hukou-transfer");
    let golden = golden_json("330000", "hukou-transfer.local.json");
    let refused = |local: &Value| a.inbound(local).expect_err("must be refused").problems;
    for (wrong, message) in [
        (
            json!("西湖区文三路 200 号"),
            "应为对象，收到文本 (expected an object, got text)",
        ),
        (
            json!([golden["业务信息"]["迁入地址"].clone()]),
            "应为对象，收到列表 (expected an object, got a list)",
        ),
    ] {
        let mut local = golden.clone();
        local["业务信息"]["迁入地址"] = wrong;
        let p = refused(&local);
        assert_eq!(p.len(), 1, "{p:#?}");
        assert_eq!(p[0].pointer, "/业务信息/迁入地址");
        // The canonical object its fields write into.
        assert_eq!(p[0].canonical, "/form/move_in_address");
        assert_eq!(
            (p[0].rule.as_str(), p[0].message.as_str()),
            ("type", message)
        );
        assert_eq!(p[0].value, None);
    }
    // The whole body in a list: one problem, no "no local field maps to it".
    let mut local = golden.clone();
    local["业务信息"] = json!([golden["业务信息"].clone()]);
    let p = refused(&local);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_eq!(p[0].pointer, "/业务信息");
    assert_eq!(p[0].canonical, "/form", "what its fields write share /form");

    // JSON: a member given twice is refused by name at its pointer, not read as its last value;
    // one inside a record is named inside it. (The pointer was left empty: found by an adapter
    // author's walkthrough.)
    let text = String::from_utf8(golden_local("330000", "hukou-transfer.local.json")).unwrap();
    let twice = text.replacen("{", "{\"业务信息\": {},", 1);
    let r = a
        .translate(twice.as_bytes(), Some("application/json"))
        .expect_err("refused");
    assert_eq!(r.problems.len(), 1, "{r:#?}");
    assert_eq!(r.problems[0].rule, "duplicate-member");
    assert_eq!(r.problems[0].field, "业务信息");
    assert_eq!(r.problems[0].pointer, "/业务信息");
    assert!(r.problems[0].message.starts_with("字段 业务信息 重复出现"));
    let inner = text.replacen(
        "\"业务信息\": {",
        "\"业务信息\": {\"a/b\": 1, \"a/b\": 2,",
        1,
    );
    assert_ne!(inner, text);
    let r = a
        .translate(inner.as_bytes(), Some("application/json"))
        .expect_err("refused");
    assert_eq!(
        (r.problems[0].pointer.as_str(), r.problems[0].field.as_str()),
        ("/业务信息/a~1b", "a/b"),
        "{r:#?}"
    );

    // XML: an element twice, an attribute, a record where text is wanted.
    let x = adapter("310000", "criminal-record-certificate");
    let xml = String::from_utf8(
        encoding_rs::GB18030
            .decode(&golden_local(
                "310000",
                "criminal-record-certificate.local.xml",
            ))
            .0
            .into_owned()
            .into_bytes(),
    )
    .unwrap()
    .replace("encoding=\"GB18030\"", "encoding=\"UTF-8\"");
    for (from, to, pointer, rule, message, canonical) in [
        (
            "<ZJHM>31010419990909071X</ZJHM>",
            "<ZJHM>31010419990909071X</ZJHM><ZJHM>31010419990909071X</ZJHM>",
            "/SQRXX/ZJHM",
            "repeated-element",
            "元素重复 (element repeated)",
            "/applicant/id_number",
        ),
        (
            "<SQRXM>",
            "<SQRXM lang=\"zh\">",
            "/SQRXX/SQRXM",
            "attributes",
            "不接受属性 (attributes not allowed)",
            "/applicant/name",
        ),
        (
            "<SQRXX>",
            "<SQRXX><SQRXM>x</SQRXM></SQRXX><SQRXX>",
            "/SQRXX",
            "repeated-element",
            "元素重复 (element repeated)",
            "/applicant",
        ),
    ] {
        let form = xml.replacen(from, to, 1);
        let r = x
            .translate(form.as_bytes(), Some("application/xml; charset=UTF-8"))
            .expect_err("refused");
        let p = &r.problems;
        assert_eq!(p.len(), 1, "{to}: {p:#?}");
        assert_eq!(
            (
                p[0].pointer.as_str(),
                p[0].rule.as_str(),
                p[0].message.as_str()
            ),
            (pointer, rule, message),
            "{to}"
        );
        assert_eq!(p[0].canonical, canonical, "{to}");
        assert_eq!(p[0].value, None, "{to}");
    }
}

/// Fields that are not personal show their value as sent, as the docs say: a constant, a code
/// of the shape of the table's codes (`2` where they are `1` and `0`), a date that is no birth
/// date; a code field's value of another shape (`是` where the codes are digits) is said by its
/// shape; personal fields stay masked.
#[test]
fn codes_constants_and_dates_that_are_not_personal_are_shown_as_sent() {
    let a = adapter("340000", "unemployment-registration");
    let mut local = golden_json("340000", "unemployment-registration.local.json");
    local["JYLX"] = json!("370800-RS-XXXX");
    local["SFSLSYBXJ"] = json!("2");
    local["AJC090"] = json!("20240230");
    local["AAC002"] = json!("34010219880301003X");
    let r = a.inbound(&local).expect_err("refused");
    let value = |field: &str| {
        r.problems
            .iter()
            .find(|p| p.field == field)
            .unwrap_or_else(|| panic!("{field}: {r:#?}"))
            .value
            .clone()
    };
    assert_eq!(value("JYLX").as_deref(), Some("370800-RS-XXXX"));
    assert_eq!(value("SFSLSYBXJ").as_deref(), Some("2"));
    assert_eq!(value("AJC090").as_deref(), Some("20240230"));
    assert_eq!(value("AAC002").as_deref(), Some("3401**********003X"));
    local["SFSLSYBXJ"] = json!("是");
    let r = a.inbound(&local).expect_err("refused");
    let sent = r.problems.iter().find(|p| p.field == "SFSLSYBXJ");
    assert_eq!(
        sent.and_then(|p| p.value.as_deref()),
        Some("(1 character: 1 non-ASCII letter, not shown)"),
        "{r:#?}"
    );
}

/// What a local form has no field for is named by canonical path (never by value): nothing for a
/// region's own golden body, the material format for a region whose form has no place for it.
#[test]
fn the_canonical_paths_a_local_form_leaves_out_are_named() {
    let reg = Registry::builtin().unwrap();
    for a in reg.all() {
        let own = golden_json(&a.region, &format!("{}.canonical.json", a.matter.code));
        assert_eq!(a.unmapped(&own), Vec::<String>::new(), "{}", a.source);
    }
    let gd = adapter("440000", "social-security-card");
    let mut sh = golden_json("310000", "social-security-card.canonical.json");
    assert_eq!(gd.unmapped(&sh), ["/materials/*/format"]);
    sh["applicant"]["ethnicity"] = Value::Null;
    sh["form"]["unheard_of"] = json!({"deep": [1, 2]});
    assert_eq!(
        gd.unmapped(&sh),
        ["/form/unheard_of/deep/*", "/materials/*/format"]
    );
}

/// Given 四川's criminal-record form, when an integrator misspells a field (`SFDZDZM` for the
/// optional `SFDZZM`, whose absence means 否; `SQR_GMSFH` for the required `SQR_GMSFHM`), then
/// the unknown-field finding says which field it meant, with its 中文 name, and the missing
/// finding of the required one names the misspelling beside it; a name near no field gets no
/// hint.
#[test]
fn a_misspelt_field_is_named_with_the_field_it_meant() {
    let a = adapter("510000", "criminal-record-certificate");
    let mut local = golden_json("510000", "criminal-record-certificate.local.json");
    let form = local.as_object_mut().expect("a JSON form");
    let electronic = form.remove("SFDZZM").unwrap_or(json!("1"));
    form.insert("SFDZDZM".into(), electronic);
    let id = form.remove("SQR_GMSFHM").expect("an ID number");
    form.insert("SQR_GMSFH".into(), id);
    form.insert("BEIZHU_XYZ".into(), json!("x"));
    let r = a.inbound(&local).expect_err("the ID number is missing");
    let all: Vec<&tongban_adapters::LocalProblem> = r.problems.iter().chain(&r.warnings).collect();
    let message = |field: &str, rule: &str| {
        all.iter()
            .find(|p| p.field == field && p.rule == rule)
            .map(|p| p.message.clone())
            .unwrap_or_else(|| panic!("no {rule} at {field}: {all:?}"))
    };
    assert!(
        message("SFDZDZM", "unknown-field").ends_with("did you mean SFDZZM (是否电子证明)?"),
        "{all:?}"
    );
    assert!(
        message("SQR_GMSFH", "unknown-field").ends_with("did you mean SQR_GMSFHM (公民身份号码)?"),
        "{all:?}"
    );
    assert!(
        message("SQR_GMSFHM", "required").contains("the form has SQR_GMSFH"),
        "{all:?}"
    );
    assert!(
        !message("BEIZHU_XYZ", "unknown-field").contains("did you mean"),
        "{all:?}"
    );
}

/// The findings of a form, refused and warned alike, and one's message by field, pointer and rule.
fn findings(r: &tongban_adapters::Rejection) -> impl Fn(&str, &str) -> String + '_ {
    move |pointer: &str, rule: &str| {
        r.problems
            .iter()
            .chain(&r.warnings)
            .find(|p| p.pointer == pointer && p.rule == rule)
            .map(|p| p.message.clone())
            .unwrap_or_else(|| panic!("no {rule} at {pointer}: {r:#?}"))
    }
}

/// Given 上海's XML form, when the ID number is sent at the root (`<ZJHM>` beside `<SQRXX>`,
/// not inside it), then the unknown-field finding says where ZJHM belongs rather than "did you
/// mean ZJHM?", which repeats what was written, and the missing /SQRXX/ZJHM says the form has it
/// elsewhere, not that it was misspelt.
#[test]
fn a_field_sent_under_the_wrong_parent_is_told_where_it_belongs() {
    let x = adapter("310000", "criminal-record-certificate");
    let xml = encoding_rs::GB18030
        .decode(&golden_local(
            "310000",
            "criminal-record-certificate.local.xml",
        ))
        .0
        .replace("encoding=\"GB18030\"", "encoding=\"UTF-8\"")
        .replacen("<ZJHM>31010419990909071X</ZJHM>", "", 1)
        .replacen("<SQRXX>", "<ZJHM>31010419990909071X</ZJHM><SQRXX>", 1);
    let r = x
        .translate(xml.as_bytes(), Some("application/xml; charset=UTF-8"))
        .expect_err("the ID number is missing from SQRXX");
    let message = findings(&r);
    let unknown = message("/ZJHM", "unknown-field");
    assert!(
        unknown.ends_with("; ZJHM belongs at /SQRXX/ZJHM"),
        "{unknown}"
    );
    assert!(!unknown.contains("did you mean"), "{unknown}");
    let missing = message("/SQRXX/ZJHM", "required");
    assert!(
        missing.contains("the form has ZJHM at /ZJHM: it belongs here"),
        "{missing}"
    );
    assert!(!missing.contains("misspelling"), "{missing}");
}

/// Given 广东's business registration, whose applicant and legal representative are both the
/// `_person` block (`/applicant/certNo` and `/formData/legalPerson/certNo`), when the legal
/// representative's certNo is misspelt `certNoo` and the applicant's is absent too, then the
/// hint names certNo with its label under legalPerson, and only legalPerson's missing certNo is
/// tied to the slip, not the applicant's; a list item's slip (`mobil` in an investor) is
/// labelled from the item's own field, not the applicant's 手机号码.
#[test]
fn a_misspelling_is_matched_within_its_own_parent() {
    let a = adapter("440000", "business-registration");
    let mut local = golden_json("440000", "business-registration.local.json");
    let legal = local["formData"]["legalPerson"]
        .as_object_mut()
        .expect("a legal representative");
    let id = legal.remove("certNo").expect("an ID number");
    legal.insert("certNoo".into(), id);
    local["applicant"]
        .as_object_mut()
        .expect("an applicant")
        .remove("certNo");
    let investor = local["formData"]["investors"][0]
        .as_object_mut()
        .expect("an investor");
    investor.insert("mobil".into(), json!("13512345678"));
    let r = a.inbound(&local).expect_err("two ID numbers are missing");
    let message = findings(&r);
    assert!(
        message("/formData/legalPerson/certNoo", "unknown-field")
            .ends_with("did you mean certNo (证件号码)?"),
        "{r:#?}"
    );
    assert!(
        message("/formData/legalPerson/certNo", "required").contains("the form has certNoo"),
        "{r:#?}"
    );
    assert!(
        !message("/applicant/certNo", "required").contains("certNoo"),
        "{r:#?}"
    );
    assert!(
        message("/formData/investors/0/mobil", "unknown-field")
            .ends_with("did you mean mobile (自然人手机)?"),
        "{r:#?}"
    );
}

/// Given a 广东 form whose applicant's and legal representative's ID numbers are both missing
/// and one `certNo` sent at the form's root, when it is translated, then the root field is told
/// the places it belongs, and neither missing field claims it ("it belongs here" would be wrong
/// at one of them); with only the applicant's missing, that one says so.
#[test]
fn a_misplaced_field_is_claimed_only_by_the_one_place_missing_it() {
    let a = adapter("440000", "business-registration");
    let mut local = golden_json("440000", "business-registration.local.json");
    let id = local["applicant"]
        .as_object_mut()
        .expect("an applicant")
        .remove("certNo")
        .expect("an ID number");
    local["formData"]["legalPerson"]
        .as_object_mut()
        .expect("a legal representative")
        .remove("certNo");
    local
        .as_object_mut()
        .expect("a form")
        .insert("certNo".into(), id.clone());
    let r = a.inbound(&local).expect_err("two ID numbers are missing");
    let message = findings(&r);
    assert!(
        message("/certNo", "unknown-field").contains("certNo belongs at"),
        "{r:#?}"
    );
    for missing in ["/applicant/certNo", "/formData/legalPerson/certNo"] {
        assert!(
            !message(missing, "required").contains("belongs here"),
            "{missing}: {r:#?}"
        );
    }
    let mut local = golden_json("440000", "business-registration.local.json");
    local["applicant"]
        .as_object_mut()
        .expect("an applicant")
        .remove("certNo");
    local
        .as_object_mut()
        .expect("a form")
        .insert("certNo".into(), id);
    let r = a
        .inbound(&local)
        .expect_err("the applicant's ID number is missing");
    let message = findings(&r);
    assert!(
        message("/applicant/certNo", "required").contains("it belongs here"),
        "{r:#?}"
    );
}
