//! Problems in the caller's own words: every problem names the province's field (its pointer in
//! the local form and its 中文 label), the canonical path it maps to, a rule and — masked when it
//! is personal data — the offending value.

use serde::Serialize;
use tongban_schemas::ids::phone::{self, PhoneKind};
use tongban_schemas::mask;

/// How a field's value may appear in messages.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// is one of the table's local codes or could be a typo of one and of no person
    /// ([`CodeShape`]): a sex code field is sent `1` or `2`, and `张三丰` there is a name, said
    /// by its shape, never echoed.
    Code(CodeShape),
}

/// What a field's local codes are, for judging what a problem may echo of a value sent there.
/// A value that is one of the codes is shown as sent. Any other is shown only when it cannot be
/// a person's name or number: never when the codes are not all ASCII (in a table of 汉字 codes,
/// 男/女 or 汉族, a name is one more string of 汉字, so `张三丰` and `李明` look like codes), and
/// for ASCII codes only when it is of their own kinds of characters (a table of digits: digits
/// alone, no separators; of letters: in the codes' case and no longer than the longest code, so
/// the surname `Li` is not taken for a typo of `M`), no more than two characters longer than the
/// longest code, and with fewer than seven digits however grouped (a phone's, an ID number's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeShape {
    codes: std::sync::Arc<[String]>,
    longest: usize,
    kinds: u8,
    /// Every code is ASCII.
    ascii: bool,
    /// The cases the codes' letters are written in: all upper, all lower, mixed ([`case`]).
    cases: u8,
}

impl CodeShape {
    /// The shape of `codes`, the local codes a field's tables read.
    pub fn of<'a>(codes: impl IntoIterator<Item = &'a str>) -> CodeShape {
        let codes: std::sync::Arc<[String]> = codes.into_iter().map(str::to_string).collect();
        CodeShape {
            longest: codes.iter().map(|c| c.chars().count()).max().unwrap_or(0),
            kinds: codes.iter().fold(0, |k, c| k | kinds(c)),
            ascii: codes.iter().all(|c| c.is_ascii()),
            cases: codes.iter().fold(0, |k, c| k | case(c)),
            codes,
        }
    }

    /// Whether `s` may be echoed: one of the codes, or a typo of an ASCII code that cannot be a
    /// name or a number of a person.
    fn fits(&self, s: &str) -> bool {
        if self.codes.iter().any(|c| c == s) {
            return true;
        }
        let n = s.chars().count();
        let letters = kinds(s) & 2 != 0;
        self.ascii
            && kinds(s) & !self.kinds == 0
            && n <= self.longest + 2
            && (!letters || (n <= self.longest && case(s) & !self.cases == 0))
            && !tongban_schemas::shown::has_seven_digits(s)
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

/// The case `s`'s ASCII letters are written in: 1 all upper, 2 all lower, 4 mixed (`Li`), 0
/// when it has none.
fn case(s: &str) -> u8 {
    let upper = s.chars().any(|c| c.is_ascii_uppercase());
    let lower = s.chars().any(|c| c.is_ascii_lowercase());
    match (upper, lower) {
        (true, false) => 1,
        (false, true) => 2,
        (true, true) => 4,
        (false, false) => 0,
    }
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

    pub fn apply(&self, s: &str) -> String {
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

/// Whether `s` holds an ID number or a phone number however it was typed: inside other text
/// (`身份证420106…`), in full-width digits (`１３８…`), grouped by spaces, dashes, dots or
/// brackets (`138 1234 5678`, `138.0013.8000`, `(0571)88888888`), after `+86`. A run of digits —
/// full-width ones read as ASCII, any ASCII punctuation or space between two digits skipped — of
/// 15 or 18 digits, 17 and an `X`, 11 from `1`, 13 from `861`, or a landline with its area code
/// (`0571-88888888`, as [`phone::classify`] reads one). A 12-digit division code or a date is
/// none of these.
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
            let joins = (c == ' ' || c.is_ascii_punctuation())
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
            11 if run.starts_with('1') => true,
            13 => run.starts_with("861"),
            _ => phone::classify(&run) == Some(PhoneKind::Landline),
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

    /// Given a field read through a table of digit codes (a sex code: `1`, `2`, `9`), when a
    /// problem echoes what was sent there, then a typo of a code is shown as sent (`3`, `12`),
    /// and anything that is not digits alone (`张三丰`, `zhangsan`, `M`, `1-2`) is said by its
    /// length and kinds of characters only; an ID number is masked as one.
    #[test]
    fn a_digit_code_field_echoes_only_digits_that_could_be_a_code() {
        let sex = Mask::Code(CodeShape::of(["1", "2", "9"]));
        for typo in ["3", "12", "0", "1", "123"] {
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
        assert_eq!(
            sex.apply("1-2"),
            "(3 characters: 2 digits, 1 other character, not shown)"
        );
        assert_eq!(sex.apply("11010519491231002X"), "1101**********002X");
    }

    /// Given a table whose codes are 汉字 (性别 男/女/未说明, 民族 汉族/维吾尔族, 是/否, a mode
    /// 全程网办), when a problem echoes a value that is not one of them, then it is said by its
    /// shape whatever it is — a name (`张三丰`, `欧阳娜娜`, `司马相如`, `李明`) is one more string
    /// of 汉字 — and a value that is one of the codes is shown as sent.
    #[test]
    fn a_field_of_hanzi_codes_echoes_nothing_but_its_codes() {
        let sex = Mask::Code(CodeShape::of([
            "男",
            "女",
            "未知",
            "未说明",
            "男性",
            "女性",
        ]));
        let ethnicity = Mask::Code(CodeShape::of(["汉族", "蒙古族", "维吾尔族", "汉"]));
        let yes_no = Mask::Code(CodeShape::of(["是", "否"]));
        let mode = Mask::Code(CodeShape::of(["全程网办", "异地代收代办", "多地联办"]));
        for (table, name) in [
            (&sex, "张三丰"),
            (&sex, "欧阳娜娜"),
            (&ethnicity, "司马相如"),
            (&ethnicity, "李明"),
            (&yes_no, "李明"),
            (&yes_no, "王小"),
            (&mode, "全程网"),
        ] {
            let shown = table.apply(name);
            assert_eq!(
                shown,
                format!(
                    "({n} characters: {n} non-ASCII letters, not shown)",
                    n = name.chars().count()
                ),
                "{name}"
            );
        }
        assert_eq!(yes_no.apply("1"), "(1 character: 1 digit, not shown)");
        assert_eq!(
            sex.apply("Li"),
            "(2 characters: 2 ASCII letters, not shown)"
        );
        for code in ["男", "未说明"] {
            assert_eq!(sex.apply(code), code);
        }
        assert_eq!(mode.apply("全程网办"), "全程网办");
    }

    /// Given a table of letter codes (M/F/U/X with m/f; material formats pdf, PDF, jpeg), when a
    /// problem echoes a value that is none of them, then it is shown only in the codes' case and
    /// no longer than the longest code: a surname in pinyin (`Li`, `Wu`, `Wang`) is said by its
    /// shape, a typo of a code (`Y`, `docx`) as sent.
    #[test]
    fn a_field_of_letter_codes_echoes_only_what_has_their_case_and_length() {
        let sex = Mask::Code(CodeShape::of(["M", "F", "U", "X", "m", "f"]));
        for surname in ["Li", "Wu", "LI", "li"] {
            assert_eq!(
                sex.apply(surname),
                "(2 characters: 2 ASCII letters, not shown)",
                "{surname}"
            );
        }
        for typo in ["Y", "y", "M"] {
            assert_eq!(sex.apply(typo), typo);
        }
        let format = Mask::Code(CodeShape::of(["pdf", "PDF", "jpeg", "JPEG"]));
        for typo in ["docx", "DOCX", "jpg"] {
            assert_eq!(format.apply(typo), typo);
        }
        for name in ["Wang", "Zhang", "pdf1"] {
            assert!(format.apply(name).ends_with("not shown)"), "{name}");
        }
    }

    /// Given a phone or any number of seven digits or more typed into a field that echoes plain
    /// values — a 区划代码 (`personal: none`) or a table of digit codes — however it is grouped
    /// (dots, a landline's dash, brackets), when a problem echoes it, then its digits are not
    /// shown; a 12-digit division code, a date and a six-digit code's typo still are.
    #[test]
    fn a_phone_grouped_by_dots_or_a_landline_is_not_echoed() {
        let division = Mask::Public;
        let region = Mask::Code(CodeShape::of(["110000", "330000", "440000"]));
        for typed in [
            "138.0013.8000",
            "0571-88888888",
            "(0571)88888888",
            "0571 8888 8888",
            "010-62345678",
            "021.6234.5678",
        ] {
            for mask in [&division, &region] {
                let shown = mask.apply(typed);
                assert!(
                    !shown.contains("0013") && !shown.contains("8888") && !shown.contains("2345"),
                    "{typed} → {shown}"
                );
            }
        }
        for clear in ["330000000000", "2024-01-15", "2024.01.15"] {
            assert_eq!(division.apply(clear), clear);
        }
        assert_eq!(region.apply("330001"), "330001");
        assert_eq!(
            region.apply("3300011"),
            "(7 characters: 7 digits, not shown)"
        );
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
