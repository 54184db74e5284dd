//! Problems in the caller's own words: every problem names the province's field (its pointer in
//! the local form and its 中文 label), the canonical path it maps to, a rule and — masked when it
//! is personal data — the offending value.

use serde::Serialize;
use tongban_schemas::mask;

/// How a field's value may appear in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    /// 公民身份号码 and other personal numbers: `1101**********002X`.
    IdNumber,
    /// Names: `张*`.
    Name,
    /// Phones: `138****5678`.
    Phone,
    /// Other personal data (addresses, dates of birth, accounts): first and last character only.
    Other,
    /// Constants and other fields that are not personal (a 失业日期, a 区划代码, an amount):
    /// shown as sent (what an adapter's author needs to see) when it is plain ([`plain`]:
    /// ASCII, or a date's digits with 年月日), except what has the shape of an ID number or a
    /// mobile number — a clerk may type one into any field — and a value too long to echo;
    /// anything else (a name typed there) is said by its length and kinds of characters.
    Public,
    /// A field read through a code table: as [`Mask::Public`], but shown as sent only when it
    /// has the shape of one of the table's local codes ([`CodeShape`]): a sex code field is
    /// sent `1` or `2`, and `张三丰` there is a name, said by its shape, never echoed.
    Code(CodeShape),
}

/// What a field's local codes look like: how long the longest is, and which kinds of
/// characters they hold (digits, ASCII letters, other ASCII, beyond ASCII). A value is shown as
/// sent only when it could be a code of the table or a typo of one: no more than two
/// characters longer than the longest, and of no kind the codes lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeShape {
    longest: usize,
    kinds: u8,
}

impl CodeShape {
    /// The shape of `codes`, the local codes a field's tables read.
    pub fn of<'a>(codes: impl IntoIterator<Item = &'a str>) -> CodeShape {
        codes.into_iter().fold(
            CodeShape {
                longest: 0,
                kinds: 0,
            },
            |shape, code| CodeShape {
                longest: shape.longest.max(code.chars().count()),
                kinds: shape.kinds | kinds(code),
            },
        )
    }

    /// Whether `s` could be one of the codes, or a typo of one.
    fn fits(self, s: &str) -> bool {
        s.chars().count() <= self.longest + 2 && kinds(s) & !self.kinds == 0
    }
}

/// The kinds of characters `s` holds, as [`CodeShape`] counts them.
fn kinds(s: &str) -> u8 {
    s.chars().fold(0, |k, c| {
        k | match c {
            '0'..='9' => 1,
            c if c.is_ascii_alphabetic() => 2,
            c if c.is_ascii() => 4,
            _ => 8,
        }
    })
}

/// Whether a value of a field that is not personal is plain enough to echo: ASCII (printable,
/// no `@`: an address), full-width forms of it (a clerk's IME), or a date or an amount written
/// with 年月日时分秒 or 万元. A name in 汉字 is not.
fn plain(s: &str) -> bool {
    s.chars()
        .map(crate::transform::text::halfwidth_char)
        .all(|c| {
            (c.is_ascii_graphic() && c != '@')
                || c == ' '
                || matches!(
                    c,
                    '年' | '月' | '日' | '号' | '时' | '分' | '秒' | '万' | '元'
                )
        })
}

/// A value a problem may not echo, said by its length and kinds of characters
/// ([`tongban_schemas::shown::shape`]), as every other answer says such a value.
fn not_shown(s: &str) -> String {
    format!("({}, not shown)", tongban_schemas::shown::shape(s))
}

impl Mask {
    /// The spec's `personal` value (`id-number`, `name`, `phone`, `other`, `none`).
    pub fn parse(s: &str) -> Option<Mask> {
        Some(match s {
            "id-number" => Mask::IdNumber,
            "name" => Mask::Name,
            "phone" => Mask::Phone,
            "other" => Mask::Other,
            "none" => Mask::Public,
            _ => return None,
        })
    }

    /// The default for a canonical path when the spec does not say: by the canonical field's
    /// name, personal unless known to be a code. Masking too much is the safe mistake.
    pub fn for_canonical(path: &str) -> Mask {
        // A list item is its list's kind (`/handlers/0` is a handler: a region code).
        let leaf = path
            .rsplit('/')
            .find(|step| step.parse::<usize>().is_err())
            .unwrap_or("");
        match leaf {
            "id_number" | "insurance_number" | "from_account" | "to_account" | "credit_code" => {
                Mask::IdNumber
            }
            "name" | "householder_name" | "proposed_name" => Mask::Name,
            "phone" => Mask::Phone,
            "matter"
            | "mode"
            | "origin"
            | "handlers"
            | "kind"
            | "sex"
            | "ethnicity"
            | "insurance_type"
            | "filing_type"
            | "reason"
            | "purpose"
            | "application_type"
            | "delivery"
            | "entity_type"
            | "from_scheme"
            | "to_scheme"
            | "electronic"
            | "insured_region"
            | "treatment_region"
            | "from_region"
            | "to_region"
            | "issuing_region"
            | "household_region"
            | "division"
            | "size"
            | "sha256"
            | "format"
            | "start_date"
            | "end_date"
            | "unemployed_since"
            | "insured_since"
            | "claim_benefit"
            | "registered_capital_yuan"
            | "subscribed_capital_yuan"
            | "relationship"
            | "relationship_to_householder" => Mask::Public,
            _ => Mask::Other,
        }
    }

    pub fn apply(self, s: &str) -> String {
        match self {
            Mask::IdNumber => mask::id_number(s),
            Mask::Name => mask::name(s),
            Mask::Phone => mask::phone(s),
            Mask::Other => mask::other(s),
            Mask::Public | Mask::Code(_) if looks_like_an_id_number(s) => mask::id_number(s),
            Mask::Public | Mask::Code(_) if looks_like_a_mobile(s) => mask::phone(s),
            Mask::Public | Mask::Code(_)
                if s.chars().count() > MAX_SHOWN || holds_a_personal_number(s) =>
            {
                mask::other(s)
            }
            Mask::Code(shape) if !shape.fits(s) => not_shown(s),
            Mask::Public if !plain(s) => not_shown(s),
            Mask::Public | Mask::Code(_) => s.to_string(),
        }
    }
}

/// A value not personal is shown up to this many characters (a constant such as
/// `370800-RS-XXXX`, a date such as `2024年2月30日`, a code in 汉字 such as 全程网办).
const MAX_SHOWN: usize = 32;

/// 15 digits, or 17 and a check character: a 公民身份号码 typed where it does not belong.
fn looks_like_an_id_number(s: &str) -> bool {
    let b = s.trim().as_bytes();
    match b.len() {
        15 => b.iter().all(u8::is_ascii_digit),
        18 => b[..17].iter().all(u8::is_ascii_digit) && matches!(b[17], b'0'..=b'9' | b'X' | b'x'),
        _ => false,
    }
}

/// 11 digits from 1: a mobile number typed where it does not belong.
fn looks_like_a_mobile(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit)
}

/// Whether `s` holds an ID number or a mobile number however it was typed: inside other text
/// (`身份证420106…`), in full-width digits (`１３８…`), grouped by spaces or dashes
/// (`138 1234 5678`), after `+86`. A run of digits — full-width ones read as ASCII, a space or
/// dash between two digits skipped — of 15 or 18 digits, 17 and an `X`, 11 from `1`, or 13 from
/// `861`. A 12-digit division code or a date is none of these.
fn holds_a_personal_number(s: &str) -> bool {
    // A full-width digit, letter or space as its ASCII one (a clerk's IME types them).
    let chars: Vec<char> = s
        .chars()
        .map(crate::transform::text::halfwidth_char)
        .collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let mut run = String::new();
        while i < chars.len() {
            let c = chars[i];
            let joins = matches!(c, ' ' | '-')
                && !run.is_empty()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if c.is_ascii_digit() {
                run.push(c);
            } else if !joins {
                break;
            }
            i += 1;
        }
        let x = chars.get(i).is_some_and(|c| matches!(c, 'X' | 'x'));
        let personal = match run.len() {
            15 | 18 => true,
            17 => x,
            11 => run.starts_with('1'),
            13 => run.starts_with("861"),
            _ => false,
        };
        if personal {
            return true;
        }
    }
    false
}

/// One problem with a local form (or, among warnings, one doubt that does not reject it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LocalProblem {
    /// Where in the caller's form: a pointer in the caller's own field names, e.g.
    /// `/txnBodyCom/sqrZjhm` or `/CLXX/CL/1/CLMC` (for XML, below the root element).
    pub pointer: String,
    /// The caller's field name itself, e.g. `SQR_GMSFHM`.
    pub field: String,
    /// The field's 中文 name from the spec, when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The canonical path the field maps to, e.g. `/applicant/id_number`; for a member of the
    /// wrong structure, the canonical object the fields below it write into (empty when none).
    pub canonical: String,
    /// Machine rule name: `required`, `date-format`, `code`, `gb11643-checksum`, …
    pub rule: String,
    /// For people; never holds personal data in clear.
    pub message: String,
    /// The offending value, masked when personal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl std::fmt::Display for LocalProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A problem of the whole form (its syntax, its root) has the empty pointer: said so, not
        // left as a line starting with a space.
        match self.pointer.as_str() {
            "" => write!(f, "(the whole form)")?,
            pointer => write!(f, "{pointer}")?,
        }
        if let Some(l) = &self.label {
            write!(f, " ({l})")?;
        }
        if !self.canonical.is_empty() {
            write!(f, " → {}", self.canonical)?;
        }
        write!(f, " [{}]: {}", self.rule, self.message)?;
        if let Some(v) = &self.value {
            write!(f, " (value {v})")?;
        }
        Ok(())
    }
}

impl LocalProblem {
    /// As a schemas-crate violation (pointer = the local pointer), for APIs that carry only those.
    pub fn to_violation(&self) -> tongban_schemas::Violation {
        let mut message = self.message.clone();
        if !self.canonical.is_empty() {
            message.push_str(&format!(" [canonical {}]", self.canonical));
        }
        if let Some(v) = &self.value {
            message.push_str(&format!(" [value {v}]"));
        }
        tongban_schemas::Violation::new(self.pointer.clone(), self.rule.clone(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a problem of the whole form (empty pointer) and one of a field, when printed (as
    /// `tongban adapt` prints them), then each line starts with where it is.
    #[test]
    fn a_whole_form_problem_says_so() {
        let mut p = LocalProblem {
            pointer: String::new(),
            field: String::new(),
            label: None,
            canonical: String::new(),
            rule: "xml-syntax".into(),
            message: "标签未闭合".into(),
            value: None,
        };
        assert_eq!(p.to_string(), "(the whole form) [xml-syntax]: 标签未闭合");
        p.pointer = "/YWXX/SQRXM".into();
        assert_eq!(p.to_string(), "/YWXX/SQRXM [xml-syntax]: 标签未闭合");
    }

    /// Given a field read through a code table (a sex code: `1`, `2`, `9`; a mode in 汉字: 全程网办,
    /// 异地代收代办), when a problem echoes what was sent there, then a value with a code's
    /// shape is shown as sent (a typo of one: `3`, `12`, 全程网), and a name typed there (`张三丰`
    /// in the sex code, `zhangsan`) is said by its length and kinds of characters only; an ID
    /// number is masked as one whatever the table.
    #[test]
    fn a_code_field_echoes_only_what_could_be_one_of_its_codes() {
        let sex = Mask::Code(CodeShape::of(["1", "2", "9"]));
        for typo in ["3", "12", "0"] {
            assert_eq!(sex.apply(typo), typo);
        }
        assert_eq!(
            sex.apply("张三丰"),
            "(3 characters: 3 non-ASCII letters, not shown)"
        );
        assert_eq!(
            sex.apply("zhangsan"),
            "(8 characters: 8 ASCII letters, not shown)"
        );
        assert_eq!(sex.apply("M"), "(1 character: 1 ASCII letter, not shown)");
        let mode = Mask::Code(CodeShape::of(["全程网办", "异地代收代办", "多地联办"]));
        for clear in ["全程网", "全程网办", "是"] {
            assert_eq!(mode.apply(clear), clear);
        }
        assert_eq!(mode.apply("1"), "(1 character: 1 digit, not shown)");
        assert_eq!(sex.apply("11010519491231002X"), "1101**********002X");
    }

    #[test]
    fn masks_by_kind() {
        assert_eq!(
            Mask::IdNumber.apply("11010519491231002X"),
            "1101**********002X"
        );
        assert_eq!(Mask::Name.apply("陳嘉欣"), "陳**");
        assert_eq!(Mask::Public.apply("3"), "3");
        assert_eq!(Mask::for_canonical("/applicant/name"), Mask::Name);
        assert_eq!(Mask::for_canonical("/applicant/birth_date"), Mask::Other);
        assert_eq!(Mask::for_canonical("/applicant/sex"), Mask::Public);
        // A list item is masked as its list: a handler is a region code, an accompanying
        // member's ID number is one.
        assert_eq!(Mask::for_canonical("/handlers/0"), Mask::Public);
        assert_eq!(
            Mask::for_canonical("/form/accompanying/3/person/id_number"),
            Mask::IdNumber
        );
        assert_eq!(Mask::for_canonical("/materials/1"), Mask::Other);
        // A value that is not personal is shown as sent — constants, 12-digit division codes,
        // dates — but an ID number or a mobile number typed into such a field is masked as one,
        // and nothing long is echoed.
        for clear in [
            "440000",
            "M",
            "370800-RS-XXXX",
            "330000000000",
            "2024年2月30日",
        ] {
            assert_eq!(Mask::Public.apply(clear), clear);
        }
        // A name typed there is said by its shape, in 汉字 or in full-width letters.
        assert_eq!(
            Mask::Public.apply("张三丰"),
            "(3 characters: 3 non-ASCII letters, not shown)"
        );
        assert!(!Mask::Public.apply("li@qq.cn").contains("qq"));
        assert_eq!(
            Mask::Public.apply("810000199408230021"),
            "8100**********0021"
        );
        assert_eq!(Mask::Public.apply("13812345678"), "138****5678");
        assert!(Mask::Public.apply(&"9".repeat(900_000)).chars().count() <= 20);
        assert_eq!(Mask::for_canonical("/form/unemployed_since"), Mask::Public);
        // However a clerk typed them, an ID number or a mobile number in a field that is not
        // personal is not echoed: inside other text, in full-width digits, grouped, after +86.
        for typed in [
            "身份证420106199003070024",
            "ID 42010619900307002X",
            "４２０１０６１９９００３０７００２４",
            "420106 19900307 0024",
            "420106-1990-0307-0024",
            "139 8300 1234",
            "139-8300-1234",
            "+8613983001234",
            "１３９８３００１２３４",
            "电话13983001234",
        ] {
            let shown = Mask::Public.apply(typed);
            assert!(
                !shown.contains("1990") && !shown.contains("8300"),
                "{typed} → {shown}"
            );
            assert!(
                !shown.contains("１９９０") && !shown.contains("８３００"),
                "{typed} → {shown}"
            );
        }
        // Codes, constants, division codes and dates with digits stay as sent.
        for clear in [
            "11440000MB2C9237XG4440115001000",
            "440000;330000",
            "2024-01-15",
            "２０２４年３月１日",
            "420100000000",
            "1234567890",
        ] {
            assert_eq!(Mask::Public.apply(clear), clear);
        }
    }
}
