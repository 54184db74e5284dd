//! The forms' rules: what a canonical form must satisfy across its fields, which JSON Schema alone
//! cannot say (a filing that ends before it starts, a 跨省 transfer whose two regions are in one
//! province, a posted card without an address).
//!
//! Every rule is a pure function of the applicant and the form, so the same body gets the same
//! answer wherever it is checked: a canonical body over HTTP, a province's local form through its
//! adapter (which traces the violation's pointer back to the province's own field), `tongban
//! adapt` offline, and the golden tests. A rule that needs the date of submission (an unemployment
//! date in the future) is not here: the body does not carry that date.
//!
//! A violation names the field the rule is about (its JSON pointer from the body root), a stable
//! rule code and a message that says the fields' roles, never their values (some are personal).
//! A rule is silent when a field it reads already has a finding (a date that is no date, a missing
//! region): its answer would only follow from that one.

use crate::ids::date::Date;
use crate::ids::gb11643::ResidentId;
use crate::violation::{Violation, covers};
use serde::Serialize;
use serde_json::Value;

/// One rule of a matter's form.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FormRule {
    /// Stable machine code: the `rule` of the violation, e.g. `end-before-start`.
    pub code: &'static str,
    /// The field a violation names (JSON pointer from the body root; `*` for any item of a list).
    pub pointer: &'static str,
    /// What the rule requires, for the registry's pages, `GET /v1/matters` and province teams.
    pub rule_zh: &'static str,
    /// Every field the rule reads: a finding at, above or below one of them silences the rule.
    #[serde(skip)]
    reads: &'static [&'static str],
    /// The violations of the rule in `(applicant, form)`.
    #[serde(skip)]
    check: fn(&Value, &Value) -> Vec<Violation>,
}

/// The rules of the matter with this code (none for a matter without any).
pub fn of(matter: &str) -> &'static [FormRule] {
    match matter {
        "medical-filing" => MEDICAL_FILING,
        "pension-transfer" => PENSION_TRANSFER,
        "housing-fund-transfer" => HOUSING_FUND_TRANSFER,
        "hukou-transfer" => HUKOU_TRANSFER,
        "social-security-card" => SOCIAL_SECURITY_CARD,
        "criminal-record-certificate" => CRIMINAL_RECORD_CERTIFICATE,
        "business-registration" => BUSINESS_REGISTRATION,
        _ => &[],
    }
}

/// The violations of `matter`'s rules in `applicant` and `form`, leaving out every rule that reads
/// a field where `found` (the schema's findings) already has one.
pub fn check(matter: &str, applicant: &Value, form: &Value, found: &[Violation]) -> Vec<Violation> {
    let mut out = Vec::new();
    for rule in of(matter) {
        let follows = found.iter().any(|v| {
            rule.reads
                .iter()
                .any(|r| covers(r, &v.pointer) || covers(&v.pointer, r))
        });
        if !follows {
            out.extend((rule.check)(applicant, form));
        }
    }
    out
}

// ---- 异地就医登记备案 -------------------------------------------------------------------------

const MEDICAL_FILING: &[FormRule] = &[
    FormRule {
        code: END_BEFORE_START,
        pointer: "/form/end_date",
        rule_zh: "备案结束日期不早于备案开始日期 (end_date is not before start_date)",
        reads: &["/form/start_date", "/form/end_date"],
        check: |_, form| {
            let (Some(start), Some(end)) = (date(form, "start_date"), date(form, "end_date"))
            else {
                return vec![];
            };
            if end >= start {
                return vec![];
            }
            vec![Violation::new(
                "/form/end_date",
                END_BEFORE_START,
                "备案结束日期早于备案开始日期 (the filing's end date is before its start date)",
            )]
        },
    },
    FormRule {
        code: SAME_PROVINCE,
        pointer: "/form/treatment_region",
        rule_zh: "就医地与参保地不在同一省份：本事项是跨省异地就医备案 (treatment_region is in another province than insured_region)",
        reads: &["/form/insured_region", "/form/treatment_region"],
        check: |_, form| {
            one_province(
                form,
                "/insured_region",
                "/treatment_region",
                "就医地与参保地在同一省份，跨省异地就医备案的就医地应在参保地以外的省份 \
                 (the treatment region is in the insured region's province; this filing is for treatment in another province)",
            )
        },
    },
];

// ---- 转移接续、户口迁移 ------------------------------------------------------------------------

/// Pension and housing fund: both forms name the regions moved from and to.
const TRANSFER: FormRule = FormRule {
    code: SAME_PROVINCE,
    pointer: "/form/to_region",
    rule_zh: "转入地与转出地不在同一省份：本事项是跨省转移接续 (to_region is in another province than from_region)",
    reads: &["/form/from_region", "/form/to_region"],
    check: |_, form| {
        one_province(
            form,
            "/from_region",
            "/to_region",
            "转入地与转出地在同一省份，跨省转移接续的转入地应在转出地以外的省份 \
             (the region moved to is in the province moved from; this transfer is between provinces)",
        )
    },
};

const PENSION_TRANSFER: &[FormRule] = &[TRANSFER];

const HOUSING_FUND_TRANSFER: &[FormRule] = &[TRANSFER];

const HUKOU_TRANSFER: &[FormRule] = &[
    FormRule {
        code: SAME_PROVINCE,
        pointer: "/form/move_in_address/division",
        rule_zh: "迁入地与迁出地不在同一省份：本事项是跨省户口迁移 (move_in_address is in another province than move_out_address)",
        reads: &["/form/move_out_address", "/form/move_in_address"],
        check: |_, form| {
            one_province(
                form,
                "/move_out_address/division",
                "/move_in_address/division",
                "迁入地与迁出地在同一省份，跨省户口迁移的迁入地应在迁出地以外的省份 \
                 (the address moved to is in the province moved from; this transfer is between provinces)",
            )
        },
    },
    FormRule {
        code: "accompanying-is-applicant",
        pointer: "/form/accompanying/*/person/id_number",
        rule_zh: "随迁人员不是申请人本人 (no accompanying member has the applicant's id_number)",
        reads: &["/applicant/id_number", "/form/accompanying"],
        check: |applicant, form| {
            let Some(own) = applicant
                .get("id_number")
                .and_then(Value::as_str)
                .and_then(id_number)
            else {
                return vec![];
            };
            accompanying_ids(form)
                .filter(|(_, id)| *id == own)
                .map(|(i, _)| {
                    Violation::new(
                        format!("/form/accompanying/{i}/person/id_number"),
                        "accompanying-is-applicant",
                        "随迁人员的公民身份号码与申请人相同：申请人本人不列为随迁人员 \
                         (an accompanying member is the applicant)",
                    )
                })
                .collect()
        },
    },
    FormRule {
        code: "duplicate-accompanying",
        pointer: "/form/accompanying/*/person/id_number",
        rule_zh: "每位随迁人员只列一次 (no id_number twice among the accompanying members)",
        reads: &["/form/accompanying"],
        check: |_, form| {
            // Each repeat names the member it repeats, by its place in the list (the numbers
            // a province's form shows), never by the number itself.
            let mut first_at = std::collections::HashMap::new();
            accompanying_ids(form)
                .filter_map(|(i, id)| match first_at.entry(id) {
                    std::collections::hash_map::Entry::Occupied(first) => Some((i, *first.get())),
                    std::collections::hash_map::Entry::Vacant(slot) => {
                        slot.insert(i);
                        None
                    }
                })
                .map(|(i, first): (usize, usize)| {
                    Violation::new(
                        format!("/form/accompanying/{i}/person/id_number"),
                        "duplicate-accompanying",
                        format!(
                            "随迁人员重复：此公民身份号码与第 {} 位随迁人员相同 \
                             (an accompanying member is listed twice: the same as member {})",
                            first + 1,
                            first + 1
                        ),
                    )
                })
                .collect()
        },
    },
];

// ---- 依申请条件必填 (the field docs' "…时必填") -------------------------------------------------

const SOCIAL_SECURITY_CARD: &[FormRule] = &[FormRule {
    code: REQUIRED_WHEN,
    pointer: "/form/delivery_address",
    rule_zh: "领卡方式为邮寄 (post) 时必须填写邮寄地址 (delivery_address is required when delivery is post)",
    reads: &["/form/delivery", "/form/delivery_address"],
    check: |_, form| {
        required_when(
            form,
            ("delivery", "post"),
            "delivery_address",
            "领卡方式为邮寄，缺少邮寄地址 (a card sent by post needs a delivery address)",
        )
    },
}];

const CRIMINAL_RECORD_CERTIFICATE: &[FormRule] = &[FormRule {
    code: REQUIRED_WHEN,
    pointer: "/form/purpose_detail",
    rule_zh: "证明用途为其他 (other) 时必须填写用途说明 (purpose_detail is required when purpose is other)",
    reads: &["/form/purpose", "/form/purpose_detail"],
    check: |_, form| {
        required_when(
            form,
            ("purpose", "other"),
            "purpose_detail",
            "证明用途为其他，缺少用途说明 (the purpose 'other' needs a purpose detail)",
        )
    },
}];

// ---- 市场主体登记注册 -------------------------------------------------------------------------

const BUSINESS_REGISTRATION: &[FormRule] = &[
    FormRule {
        code: REQUIRED_WHEN,
        pointer: "/form/registered_capital_yuan",
        rule_zh: "有限责任公司必须填写注册资本 (registered_capital_yuan is required for a limited company)",
        reads: &["/form/entity_type", "/form/registered_capital_yuan"],
        check: |_, form| {
            required_when(
                form,
                ("entity_type", "limited-company"),
                "registered_capital_yuan",
                "有限责任公司缺少注册资本 (a limited company needs its registered capital)",
            )
        },
    },
    FormRule {
        code: REQUIRED_WHEN,
        pointer: "/form/investors",
        rule_zh: "有限责任公司必须列出出资人 (股东) (investors must list at least one for a limited company)",
        reads: &["/form/entity_type", "/form/investors"],
        check: |_, form| {
            required_when(
                form,
                ("entity_type", "limited-company"),
                "investors",
                "有限责任公司缺少出资人 (股东) (a limited company needs at least one investor)",
            )
        },
    },
    CAPITAL_MISMATCH,
];

const CAPITAL_MISMATCH: FormRule = FormRule {
    code: "capital-mismatch",
    pointer: "/form/registered_capital_yuan",
    rule_zh: "有限责任公司的注册资本等于全体出资人认缴出资额之和 (公司法 第四十七条；registered_capital_yuan is the sum of the investors' subscribed_capital_yuan for a limited company)",
    reads: &[
        "/form/entity_type",
        "/form/registered_capital_yuan",
        "/form/investors",
    ],
    check: |_, form| {
        if form.get("entity_type").and_then(Value::as_str) != Some("limited-company") {
            return vec![];
        }
        let Some(capital) = form.get("registered_capital_yuan").and_then(Value::as_u64) else {
            return vec![];
        };
        let Some(investors) = form.get("investors").and_then(Value::as_array) else {
            return vec![];
        };
        if investors.is_empty() {
            return vec![];
        }
        // In u128: many investors of large sums do not overflow into a false match.
        let mut sum: u128 = 0;
        for i in investors {
            match i.get("subscribed_capital_yuan").and_then(Value::as_u64) {
                Some(x) => sum += u128::from(x),
                None => return vec![],
            }
        }
        if sum == u128::from(capital) {
            return vec![];
        }
        vec![Violation::new(
            "/form/registered_capital_yuan",
            "capital-mismatch",
            "注册资本不等于全体出资人认缴出资额之和 \
             (a limited company's registered capital is the sum of its investors' subscribed capital)",
        )]
    },
};

// ---- shared ---------------------------------------------------------------------------------

const END_BEFORE_START: &str = "end-before-start";
const SAME_PROVINCE: &str = "same-province";
const REQUIRED_WHEN: &str = "required-when";

fn date(form: &Value, key: &str) -> Option<Date> {
    form.get(key)
        .and_then(Value::as_str)
        .and_then(Date::parse_iso)
}

/// A violation at `/form<to>` when the regions at `from` and `to` (pointers in the form) of a
/// 跨省 form are in one province.
fn one_province(form: &Value, from: &str, to: &str, message: &str) -> Vec<Violation> {
    let region = |p: &str| {
        form.pointer(p)
            .and_then(Value::as_str)
            .and_then(crate::ids::gb2260::province)
    };
    match (region(from), region(to)) {
        (Some(a), Some(b)) if a == b => {
            vec![Violation::new(format!("/form{to}"), SAME_PROVINCE, message)]
        }
        _ => vec![],
    }
}

/// A violation at `/form/<field>` when `/form/<key>` is `value` and `field` is missing (absent,
/// null, or an empty list).
fn required_when(
    form: &Value,
    (key, value): (&str, &str),
    field: &str,
    message: &str,
) -> Vec<Violation> {
    let applies = form.get(key).and_then(Value::as_str) == Some(value);
    let given = form
        .get(field)
        .is_some_and(|v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()));
    if applies && !given {
        vec![Violation::new(
            format!("/form/{field}"),
            REQUIRED_WHEN,
            message,
        )]
    } else {
        vec![]
    }
}

/// An ID number as one person has it: checked and normalised (upper-case `X`, a 15-digit legacy
/// number upgraded), so two spellings of one number compare equal.
fn id_number(s: &str) -> Option<String> {
    ResidentId::parse(s).ok().map(|id| id.as_str().to_string())
}

/// The index and normalised ID number of each accompanying member that has a valid one.
fn accompanying_ids(form: &Value) -> impl Iterator<Item = (usize, String)> + '_ {
    form.get("accompanying")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, m)| {
            m.pointer("/person/id_number")
                .and_then(Value::as_str)
                .and_then(id_number)
                .map(|id| (i, id))
        })
}

#[cfg(test)]
#[path = "form_rules_tests.rs"]
mod tests;
