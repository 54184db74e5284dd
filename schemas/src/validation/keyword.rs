//! The `x-tongban-check` keyword: checks JSON Schema cannot express. A custom keyword can only return
//! errors, so each error message carries `severity`, `rule`, a pointer suffix and the message,
//! separated by U+001F; [`super::errors`] turns them back into violations or warnings.

use crate::ids::date::Date;
use crate::ids::gb2261::Sex;
use crate::ids::gb11643::ResidentId;
use crate::ids::{gb2260, gb32100};
use crate::mask;
use jsonschema::paths::Location;
use jsonschema::{Keyword, ValidationError};
use serde_json::{Map, Value};

pub(super) const SEP: char = '\u{1f}';

/// One finding an identifier check can make, as the check's documentation lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckRule {
    /// The finding's `rule`.
    pub code: &'static str,
    /// Where, below the checked value: `/id_number`, `/birth_date`, `/sex` for a person, `""`
    /// for a checked string itself.
    pub suffix: &'static str,
    /// A warning is reported beside an accepted submission; anything else refuses it.
    pub warning: bool,
    /// What the check requires (Chinese, the English in parentheses).
    pub rule_zh: &'static str,
}

const fn refuses(code: &'static str, suffix: &'static str, rule_zh: &'static str) -> CheckRule {
    CheckRule {
        code,
        suffix,
        warning: false,
        rule_zh,
    }
}

const fn warns(code: &'static str, suffix: &'static str, rule_zh: &'static str) -> CheckRule {
    CheckRule {
        code,
        suffix,
        warning: true,
        rule_zh,
    }
}

/// Every value of `x-tongban-check` and the findings it can make, in the order this file makes
/// them: what `/v1/matters`, the registry pages and docs/adapters.md list, so a province's team
/// reads every rule a published schema holds, not only its JSON Schema keywords. The shape of a
/// value (length, characters) is its `pattern`'s to report, so these apply to a value of the
/// right shape. `every_check_finding_is_listed` holds this table to what the checks report.
pub const CHECKS: [(&str, &[CheckRule]); 4] = [
    (
        "person",
        &[
            refuses(
                "gb11643-birth-date",
                "/id_number",
                "公民身份号码中的出生日期是真实日期 (the birth date inside the ID number is a real date)",
            ),
            refuses(
                "gb11643-checksum",
                "/id_number",
                "公民身份号码校验码正确 (the check character matches, ISO 7064 MOD 11-2)",
            ),
            warns(
                "gb11643-legacy",
                "/id_number",
                "15 位旧号升位为 18 位后存储，仅作提示 (a 15-digit legacy number is accepted and stored upgraded to 18 characters)",
            ),
            warns(
                "gb11643-region-unknown",
                "/id_number",
                "公民身份号码的地址码在行政区划代码表中，仅作提示 (the number's region code is a known division; accepted)",
            ),
            refuses(
                "gb11643-birth-date-future",
                "/id_number",
                "公民身份号码中的出生日期不晚于今天 (the birth date inside the number is not after today, China time)",
            ),
            refuses(
                "birth-date-future",
                "/birth_date",
                "出生日期不晚于今天 (birth_date is not after today, China time)",
            ),
            refuses(
                "birth-date-mismatch",
                "/birth_date",
                "出生日期与公民身份号码中的出生日期一致 (birth_date equals the birth date inside id_number)",
            ),
            refuses(
                "sex-mismatch",
                "/sex",
                "性别 (男 1、女 2) 与公民身份号码顺序码的奇偶一致：奇数为男，偶数为女 (sex 1 or 2 agrees with the parity of id_number's sequence digits: odd male, even female)",
            ),
        ],
    ),
    (
        "gb2260",
        &[refuses(
            "gb2260-unknown",
            "",
            "行政区划代码在 GB/T 2260 代码表中，含历史代码 (a GB/T 2260 division code, historical codes included)",
        )],
    ),
    (
        "gb32100",
        &[
            warns(
                "gb32100-authority",
                "",
                "登记管理部门码在 GB 32100 代码表中，仅作提示 (the registration authority code is known; accepted)",
            ),
            warns(
                "gb32100-division-unknown",
                "",
                "统一社会信用代码中的行政区划码在代码表中，仅作提示 (the code's division is known; accepted)",
            ),
            warns(
                "gb32100-checksum",
                "",
                "校验码正确，仅作提示：部分早期赋码不符 (the check character matches; accepted, since some early real codes fail it)",
            ),
        ],
    ),
    (
        "date",
        &[
            refuses(
                "date-invalid",
                "",
                "YYYY-MM-DD 是真实存在的日期 (a real calendar date)",
            ),
            refuses(
                "date-out-of-range",
                "",
                "年份不早于 1900 年 (the year is 1900 or later)",
            ),
        ],
    ),
];

/// The findings the check named `check` can make (none for an unknown check).
pub fn check_rules(check: &str) -> &'static [CheckRule] {
    CHECKS
        .iter()
        .find(|(name, _)| *name == check)
        .map_or(&[], |(_, rules)| rules)
}

#[derive(Clone, Copy)]
enum Check {
    Person,
    Division,
    CreditCode,
    Date,
}

struct CheckKeyword(Check);

pub(super) fn factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _path: Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let check = match value.as_str() {
        Some("person") => Check::Person,
        Some("gb2260") => Check::Division,
        Some("gb32100") => Check::CreditCode,
        Some("date") => Check::Date,
        _ => {
            return Err(ValidationError::custom(format!(
                "unknown x-tongban-check {value}"
            )));
        }
    };
    Ok(Box::new(CheckKeyword(check)))
}

struct Finding {
    warning: bool,
    rule: &'static str,
    suffix: &'static str,
    message: String,
}

fn error(rule: &'static str, suffix: &'static str, message: String) -> Finding {
    Finding {
        warning: false,
        rule,
        suffix,
        message,
    }
}

fn warning(rule: &'static str, suffix: &'static str, message: String) -> Finding {
    Finding {
        warning: true,
        rule,
        suffix,
        message,
    }
}

impl CheckKeyword {
    fn findings(&self, instance: &Value) -> Vec<Finding> {
        match self.0 {
            Check::Person => instance.as_object().map(person).unwrap_or_default(),
            Check::Division => instance
                .as_str()
                .map(division)
                .into_iter()
                .flatten()
                .collect(),
            Check::CreditCode => instance
                .as_str()
                .map(credit_code)
                .into_iter()
                .flatten()
                .collect(),
            Check::Date => instance.as_str().map(date).into_iter().flatten().collect(),
        }
    }
}

impl<'i> Keyword<'i> for CheckKeyword {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        match self.iter_errors(instance).next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.findings(instance).is_empty()
    }

    fn iter_errors(
        &self,
        instance: &'i Value,
    ) -> Box<dyn Iterator<Item = ValidationError<'i>> + 'i> {
        let errors: Vec<ValidationError<'i>> = self
            .findings(instance)
            .into_iter()
            .map(|f| {
                let severity = if f.warning { "warning" } else { "error" };
                ValidationError::custom(format!(
                    "{severity}{SEP}{}{SEP}{}{SEP}{}",
                    f.rule, f.suffix, f.message
                ))
            })
            .collect();
        Box::new(errors.into_iter())
    }
}

/// Only strings of the pattern's shape are checked here: shape errors are the pattern's to report.
fn id_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        18 => {
            b[..17].iter().all(u8::is_ascii_digit)
                && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x')
        }
        15 => b.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

fn person(obj: &Map<String, Value>) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(raw) = obj.get("id_number").and_then(Value::as_str) else {
        return out;
    };
    if !id_shaped(raw) {
        return out;
    }
    // Masked only when a message needs it: a valid person costs no allocation here.
    let masked = || mask::id_number(raw);
    let id = match ResidentId::parse(raw) {
        Ok(id) => id,
        Err(e) => {
            out.push(error(
                e.rule(),
                "/id_number",
                format!("公民身份号码 {} 无效：{}", masked(), e.zh()),
            ));
            return out;
        }
    };
    // The submission routes store the number upgraded where this finding is
    // (`matters::legacy_ids`), so the warning says what is done, not what should be.
    if raw.len() == 15 {
        out.push(warning(
            crate::matters::legacy_ids::LEGACY,
            "/id_number",
            crate::matters::legacy_ids::upgraded_message(raw),
        ));
    }
    if !gb2260::is_known(id.region()) {
        out.push(warning(
            "gb11643-region-unknown",
            "/id_number",
            format!(
                "公民身份号码 {} 的地址码不在行政区划代码表中 (the number's region code is no \
                 known division)",
                masked()
            ),
        ));
    }
    // A person is born by the day their application is taken in: a later date is a typing
    // error (or a made-up number) that the check character does not catch.
    let today = Date::today_in_china();
    if id.birth_date().is_some_and(|born| born > today) {
        out.push(error(
            "gb11643-birth-date-future",
            "/id_number",
            format!(
                "公民身份号码 {} 中的出生日期晚于今天 (the birth date inside the number is after today)",
                masked()
            ),
        ));
    }
    let given = obj
        .get("birth_date")
        .and_then(Value::as_str)
        .and_then(Date::parse_iso);
    if given.is_some_and(|born| born > today) {
        out.push(error(
            "birth-date-future",
            "/birth_date",
            "出生日期晚于今天 (the birth date is after today)".to_string(),
        ));
    }
    if let (Some(given), Some(in_id)) = (given, id.birth_date())
        && given != in_id
    {
        out.push(error(
            "birth-date-mismatch",
            "/birth_date",
            format!(
                "出生日期与公民身份号码 {} 中的出生日期不一致 (birth_date differs from the birth \
                 date inside the number)",
                masked()
            ),
        ));
    }
    let sex = obj
        .get("sex")
        .and_then(Value::as_str)
        .and_then(Sex::from_code);
    if let Some(s @ (Sex::Male | Sex::Female)) = sex
        && s != id.sex()
    {
        out.push(error(
            "sex-mismatch",
            "/sex",
            format!(
                "性别与公民身份号码 {} 的顺序码奇偶不一致 (sex disagrees with the parity of \
                 the number's sequence digits: odd = 男 male, even = 女 female)",
                masked()
            ),
        ));
    }
    out
}

fn division(s: &str) -> Option<Finding> {
    let six = gb2260::normalise(s)?;
    (!gb2260::is_known(six)).then(|| error("gb2260-unknown", "", gb2260::unknown_message(six)))
}

fn credit_code(s: &str) -> Option<Finding> {
    let code = gb32100::CreditCode::parse(s).ok()?;
    let doubt = code.doubt()?;
    Some(warning(
        doubt.rule(),
        "",
        format!(
            "统一社会信用代码 {} (GB 32100)：{doubt}",
            mask::other(code.as_str())
        ),
    ))
}

/// The earliest year a date on a form may fall in: no one alive was born before it, and no
/// filing or licence a province records starts before it, so a year 0000 is a placeholder or a
/// typing error, never a date. No latest year: systems write an open-ended period's end as
/// 9999-12-31 (长期).
pub const EARLIEST_YEAR: u16 = 1900;

fn date(s: &str) -> Option<Finding> {
    let shaped = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    if !shaped {
        return None;
    }
    match Date::parse_iso(s) {
        None => Some(error(
            "date-invalid",
            "",
            "不是真实存在的日期 (not a real calendar date)".to_string(),
        )),
        Some(d) if d.year < EARLIEST_YEAR => Some(error(
            "date-out-of-range",
            "",
            format!("年份不得早于 {EARLIEST_YEAR} 年 (the year must be {EARLIEST_YEAR} or later)"),
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blocks::CHECK_KEYWORD;
    use crate::validation::CompiledSchema;
    use serde_json::json;

    /// The check character GB 11643 gives the first 17 characters.
    fn with_check(first17: &str) -> String {
        const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = first17
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| u32::from(b - b'0') * w)
            .sum();
        let check = b"10X98765432"[(sum % 11) as usize] as char;
        format!("{first17}{check}")
    }

    /// Whether `message` is in the problems' style: Chinese first, then the English in
    /// parentheses at the end (a few words of it, not only a code list).
    pub(crate) fn bilingual(message: &str) -> bool {
        let chinese = message
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let english = message
            .strip_suffix(')')
            .and_then(|m| m.rsplit_once(" ("))
            .is_some_and(|(_, inside)| {
                inside
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| w.len() >= 3)
                    .count()
                    >= 3
            });
        chinese && english
    }

    /// Given instances that make each identifier check find what it can, when checked, then every
    /// rule found is in [`CHECKS`] for that check, at the suffix listed, with the severity listed,
    /// and says what it found in Chinese and in English: the documented table (docs/adapters.md,
    /// `/v1/matters`, the registry page) cannot leave one out or call a refusal a warning.
    /// (Found by an HTTP walkthrough: `gb2260-unknown`, the legacy and region warnings and
    /// `birth-date-mismatch` spoke Chinese alone.)
    #[test]
    fn every_check_finding_is_listed() {
        let cases: [(&str, Vec<serde_json::Value>); 4] = [
            (
                "person",
                vec![
                    json!({"id_number": with_check("11010519491231002"), "sex": "1", "birth_date": "1950-01-01"}),
                    json!({"id_number": with_check("11010519491231002"), "birth_date": "2999-01-01"}),
                    json!({"id_number": with_check("11010529991231002")}),
                    json!({"id_number": with_check("11010519491331002")}),
                    json!({"id_number": "110105194912310021"}),
                    json!({"id_number": "110105491231002"}),
                    json!({"id_number": with_check("99010519491231002")}),
                ],
            ),
            ("gb2260", vec![json!("990000")]),
            (
                "gb32100",
                vec![json!("91110000600037341A"), json!("91110000600037341L")],
            ),
            ("date", vec![json!("2023-02-30"), json!("0001-01-01")]),
        ];
        let mut seen = Vec::new();
        for (check, instances) in cases {
            let compiled =
                CompiledSchema::compile(&json!({CHECK_KEYWORD: check})).expect("compiles");
            for instance in instances {
                let report = compiled.check(&instance, "");
                for (v, warning) in report
                    .violations
                    .iter()
                    .map(|v| (v, false))
                    .chain(report.warnings.iter().map(|v| (v, true)))
                {
                    let listed = check_rules(check)
                        .iter()
                        .find(|r| r.code == v.rule)
                        .unwrap_or_else(|| panic!("{check}: {} is not listed", v.rule));
                    assert_eq!(v.pointer, listed.suffix, "{check}: {v}");
                    assert_eq!(warning, listed.warning, "{check}: {v}");
                    assert!(bilingual(&v.message), "{check}: {v}");
                    seen.push(v.rule.clone());
                }
            }
        }
        // The instances reach most of the table: it lists what is found, not guesses.
        for code in [
            "gb11643-birth-date",
            "gb11643-checksum",
            "gb11643-legacy",
            "gb11643-region-unknown",
            "gb11643-birth-date-future",
            "birth-date-future",
            "birth-date-mismatch",
            "sex-mismatch",
            "gb2260-unknown",
            "gb32100-checksum",
            "date-invalid",
            "date-out-of-range",
        ] {
            assert!(
                seen.iter().any(|s| s == code),
                "{code} not reached: {seen:?}"
            );
        }
    }
}
