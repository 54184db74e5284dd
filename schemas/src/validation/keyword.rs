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
    if raw.len() == 15 {
        out.push(warning(
            "gb11643-legacy",
            "/id_number",
            format!(
                "公民身份号码 {} 为 15 位旧号，应存储升位后的 18 位号码",
                masked()
            ),
        ));
    }
    if !gb2260::is_known(id.region()) {
        out.push(warning(
            "gb11643-region-unknown",
            "/id_number",
            format!("公民身份号码 {} 的地址码不在行政区划代码表中", masked()),
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
            format!("出生日期与公民身份号码 {} 中的出生日期不一致", masked()),
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
                "性别与公民身份号码 {} 的顺序码奇偶不一致 (odd = 男, even = 女)",
                masked()
            ),
        ));
    }
    out
}

fn division(s: &str) -> Option<Finding> {
    let six = gb2260::normalise(s)?;
    (!gb2260::is_known(six)).then(|| {
        error(
            "gb2260-unknown",
            "",
            format!("行政区划代码 {six} 不在 GB/T 2260 代码表 (含历史代码) 中"),
        )
    })
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
