//! Identifier checks a spec can ask for on a field (`"check": "gb11643"`). They run on the value
//! after its transforms, so a problem is reported against the province's own field name before
//! the canonical schema is consulted. All of them call the schemas crate's validators: there is
//! one implementation of each standard in the workspace.

use serde_json::Value;
use tongban_schemas::ids::{date::Date, gb2260, gb2261, gb3304, gb11643, gb32100, phone};

/// A named check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// 公民身份号码 (GB 11643), 18 characters (15-digit numbers are upgraded by the `id-number` transform).
    Gb11643,
    /// 统一社会信用代码 (GB 32100); a failing check character is a warning only.
    Gb32100,
    /// 行政区划代码 (GB/T 2260), historical codes included, 6 or 12 digits.
    Gb2260,
    /// 性别代码 (GB/T 2261.1).
    Sex,
    /// 民族代码 (GB/T 3304).
    Ethnicity,
    /// Mainland mobile or landline number.
    Phone,
    /// Canonical `YYYY-MM-DD`, a real date.
    Date,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static str,
    pub message: String,
    /// A warning reports a doubt but does not reject the form.
    pub warning: bool,
}

fn error(rule: &'static str, message: impl Into<String>) -> Option<Finding> {
    Some(Finding {
        rule,
        message: message.into(),
        warning: false,
    })
}

impl Check {
    pub fn parse(name: &str) -> Option<Check> {
        Some(match name {
            "gb11643" => Check::Gb11643,
            "gb32100" => Check::Gb32100,
            "gb2260" => Check::Gb2260,
            "sex" | "gb2261" => Check::Sex,
            "ethnicity" | "gb3304" => Check::Ethnicity,
            "phone" => Check::Phone,
            "date" => Check::Date,
            _ => return None,
        })
    }

    pub const NAMES: &'static str = "gb11643, gb32100, gb2260, sex, ethnicity, phone, date";

    /// The canonical schemas' own name of this check (`x-tongban-check` on a leaf), for the
    /// checks a canonical member carries itself: a spec's check on such a member must be that
    /// one (a `gb2261` typed for `gb2260` would refuse every form's region as a sex code).
    pub fn schema_name(self) -> Option<&'static str> {
        match self {
            Check::Gb2260 => Some("gb2260"),
            Check::Gb32100 => Some("gb32100"),
            Check::Date => Some("date"),
            _ => None,
        }
    }

    /// How the spec names this check, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Check::Gb11643 => "gb11643",
            Check::Gb32100 => "gb32100",
            Check::Gb2260 => "gb2260",
            Check::Sex => "sex",
            Check::Ethnicity => "ethnicity",
            Check::Phone => "phone",
            Check::Date => "date",
        }
    }

    /// The one spelling of a value this check accepts in two: a 12-digit statistical division
    /// code of a county or above (`440100000000`) is its GB/T 2260 code (`440100`). So one
    /// region is spelled one way in the canonical record, and a 6-digit field never receives 12
    /// digits. Codes of towns and below keep their 12 digits (their first six count).
    pub fn normalise(self, value: Value) -> Value {
        match (self, &value) {
            (Check::Gb2260, Value::String(s))
                if s.len() == 12
                    && s.ends_with("000000")
                    && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                Value::String(s[..6].to_string())
            }
            _ => value,
        }
    }

    /// The finding for `value` (a canonical value), if any. Non-text values are left to the
    /// canonical schema's type check.
    pub fn run(self, value: &Value) -> Option<Finding> {
        let s = value.as_str()?;
        match self {
            Check::Gb11643 => match gb11643::ResidentId::parse(s) {
                Ok(id) if id.as_str() == s => None,
                Ok(_) => error(
                    "gb11643-form",
                    "身份号码应为 18 位 (大写 X)；请在规范化后提交 (not in 18-character form)",
                ),
                Err(e) => error(e.rule(), format!("公民身份号码无效：{}", e.zh())),
            },
            Check::Gb32100 => match gb32100::CreditCode::parse(s) {
                Ok(c) => c.doubt().map(|doubt| Finding {
                    rule: doubt.rule(),
                    message: format!("统一社会信用代码：{doubt}"),
                    warning: true,
                }),
                Err(e) => error(e.rule(), format!("统一社会信用代码无效：{}", e.zh())),
            },
            Check::Gb2260 => match gb2260::normalise(s) {
                None => error(
                    "gb2260-format",
                    "行政区划代码应为 6 位或 12 位数字 (6 or 12 digits)",
                ),
                Some(six) if !gb2260::is_known(six) => {
                    error("gb2260-unknown", gb2260::unknown_message(six))
                }
                Some(_) => None,
            },
            Check::Sex => match gb2261::Sex::from_code(s) {
                Some(_) => None,
                None => error(
                    "gb2261",
                    "性别代码应为 0、1、2、5、6、9 (GB/T 2261.1 sex code: 0, 1, 2, 5, 6 or 9)",
                ),
            },
            Check::Ethnicity => {
                if gb3304::is_valid_code(s) {
                    None
                } else {
                    error(
                        "gb3304",
                        "民族代码应为 01–56、97、98 (GB/T 3304 ethnicity code: 01 to 56, 97 or 98)",
                    )
                }
            }
            Check::Phone => match phone::classify(s) {
                Some(_) => None,
                // Spaces within the number are the usual slip (`138 1234 5678`, as it is read
                // aloud): said as such, not as "not a phone", but only when the number without
                // them is one (`无 电话` is no phone with spaces in it). Full-width digits are not
                // promised: only a field with the `halfwidth` transform takes them.
                None if s.trim().contains([' ', '\u{3000}'])
                    && phone::classify(&s.replace([' ', '\u{3000}'], "")).is_some() =>
                {
                    error(
                        "phone",
                        "联系电话请去掉空格，只填数字 (send the digits without spaces: the 11 of a \
                         mobile, or a landline's with its area code, joined by - if at all)",
                    )
                }
                None => error(
                    "phone",
                    "联系电话应为手机号或带区号的固定电话 (a mobile number, or a landline with its area code)",
                ),
            },
            Check::Date => match Date::parse_iso(s) {
                Some(_) => None,
                None => error(
                    "date",
                    "日期应为真实存在的 YYYY-MM-DD (a real calendar date)",
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Given a mobile number typed with spaces as it is read aloud, when it is checked, then the
    /// finding says to send the digits without spaces, where it said only "a mobile number, or
    /// a landline"; a number that is none, even without its spaces (`无 电话`), keeps that
    /// message, no full-width digits are promised (a field without `halfwidth` refuses them),
    /// and the digits of neither are echoed.
    #[test]
    fn a_phone_with_spaces_is_told_to_send_its_digits_without_them() {
        let spaced = Check::Phone.run(&json!("138 1234 5678")).expect("refused");
        assert_eq!(spaced.rule, "phone");
        assert!(
            spaced.message.contains("send the digits without spaces")
                && !spaced.message.contains("full-width"),
            "{}",
            spaced.message
        );
        assert!(!spaced.message.contains("1234"), "{}", spaced.message);
        let none = Check::Phone.run(&json!("12345")).expect("refused");
        assert!(!none.message.contains("spaces"), "{}", none.message);
        // Words with a space between them are no phone with spaces in it.
        let words = Check::Phone.run(&json!("无 电话")).expect("refused");
        assert!(!words.message.contains("spaces"), "{}", words.message);
        assert_eq!(Check::Phone.run(&json!("13812345678")), None);
    }

    #[test]
    fn reuse_schema_validators() {
        assert_eq!(Check::Gb11643.run(&json!("11010519491231002X")), None);
        assert_eq!(
            Check::Gb11643
                .run(&json!("110105194912310021"))
                .unwrap()
                .rule,
            "gb11643-checksum"
        );
        // Their messages in the problems' style: Chinese first, the English in parentheses.
        let bad = Check::Gb32100.run(&json!("91110000600037341I")).unwrap();
        assert_eq!(bad.rule, "gb32100-characters");
        assert!(
            bad.message
                .starts_with("统一社会信用代码无效：第 18 位不在代码字符集中")
                && bad
                    .message
                    .ends_with("(character 18 is outside the code alphabet)"),
            "{}",
            bad.message
        );
        let bad = Check::Gb11643.run(&json!("11010519491231002")).unwrap();
        assert_eq!(
            bad.message,
            "公民身份号码无效：应为 18 位，或 15 位旧号 (18 characters, or 15 digits)"
        );
        let warn = Check::Gb32100.run(&json!("91110000600037341M")).unwrap();
        assert!(warn.warning);
        assert_eq!(Check::Gb32100.run(&json!("91110000600037341L")), None);
        assert_eq!(Check::Gb2260.run(&json!("371200")), None);
        let unknown = Check::Gb2260.run(&json!("999999")).unwrap();
        assert_eq!(unknown.rule, "gb2260-unknown");
        // The canonical check's wording, code and English included.
        assert_eq!(unknown.message, gb2260::unknown_message("999999"));
        assert!(
            unknown
                .message
                .ends_with("(not a GB/T 2260 division code, historical codes included)"),
            "{}",
            unknown.message
        );
        assert_eq!(Check::Sex.run(&json!("3")).unwrap().rule, "gb2261");
        assert_eq!(Check::Ethnicity.run(&json!("57")).unwrap().rule, "gb3304");
        assert_eq!(Check::Phone.run(&json!("13812345678")), None);
        assert_eq!(Check::Date.run(&json!("2023-02-29")).unwrap().rule, "date");
        assert_eq!(Check::Phone.run(&json!(1)), None);
        // Every refusal says it in Chinese, then in English in parentheses.
        for (check, value) in [
            (Check::Gb2260, "99"),
            (Check::Gb2260, "999999"),
            (Check::Sex, "3"),
            (Check::Ethnicity, "57"),
            (Check::Phone, "123"),
            (Check::Date, "2023-02-29"),
        ] {
            let found = check.run(&json!(value)).unwrap();
            let english = found
                .message
                .strip_suffix(')')
                .and_then(|m| m.rsplit_once(" ("))
                .map(|(_, inside)| inside)
                .unwrap_or_default();
            assert!(
                english.is_ascii() && english.split(' ').count() >= 3,
                "{check:?}: {}",
                found.message
            );
        }
    }
}
