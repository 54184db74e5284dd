//! 统一社会信用代码 (GB 32100-2015): registration authority, organisation type, 6-digit division code,
//! 9-character organisation code and a MOD 31 check character.
//!
//! Some codes issued in the first years fail the check character yet are real and in use, so a
//! checksum failure is a *warning* for callers ([`CreditCode::checksum_ok`]), never a rejection;
//! only the shape (length, alphabet) rejects.

/// The 31 characters the standard uses: digits and upper-case letters without I, O, S, V, Z.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Why a string cannot be a 统一社会信用代码 at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gb32100Error {
    #[error("a unified social credit code has 18 characters")]
    Length,
    #[error("character {position} is outside the code alphabet (0-9, A-Y without I O S V Z)")]
    Character { position: usize },
    #[error("characters 3 to 8 are a division code and must be digits")]
    Division,
}

impl Gb32100Error {
    pub fn rule(&self) -> &'static str {
        match self {
            Gb32100Error::Length => "gb32100-length",
            Gb32100Error::Character { .. } => "gb32100-characters",
            Gb32100Error::Division => "gb32100-division",
        }
    }

    /// What is wrong, as the problems say it: Chinese first, the English in parentheses.
    pub fn zh(&self) -> String {
        match self {
            Gb32100Error::Length => "应为 18 位 (18 characters)".into(),
            Gb32100Error::Character { position } => format!(
                "第 {position} 位不在代码字符集中：数字及除 I、O、S、V、Z 外的大写字母 \
                 (character {position} is outside the code alphabet)"
            ),
            Gb32100Error::Division => {
                "第 3–8 位为行政区划码，应为数字 (characters 3 to 8 are a division code)".into()
            }
        }
    }
}

/// A 统一社会信用代码 of the right shape; `checksum_ok` tells whether its check character matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode {
    code: String,
    checksum_ok: bool,
}

impl CreditCode {
    /// Parses an 18-character code (lower case accepted and normalised).
    pub fn parse(s: &str) -> Result<CreditCode, Gb32100Error> {
        let code = s.trim().to_ascii_uppercase();
        if code.chars().count() != 18 {
            return Err(Gb32100Error::Length);
        }
        let b = code.as_bytes();
        if let Some(i) = b.iter().position(|c| value_of(*c).is_none()) {
            return Err(Gb32100Error::Character { position: i + 1 });
        }
        if !b[2..8].iter().all(u8::is_ascii_digit) {
            return Err(Gb32100Error::Division);
        }
        let checksum_ok = check_char(&b[..17]) == Some(b[17]);
        Ok(CreditCode { code, checksum_ok })
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }

    /// False for codes whose check character fails (report as a warning).
    pub fn checksum_ok(&self) -> bool {
        self.checksum_ok
    }

    /// 登记管理部门代码 (1 机构编制, 5 民政, 9 工商/市场监管, Y 其他 …).
    pub fn authority(&self) -> char {
        char::from(self.code.as_bytes()[0])
    }

    /// 登记管理机关行政区划码.
    pub fn division(&self) -> &str {
        &self.code[2..8]
    }

    /// What looks wrong in a code of the right shape, worst first: a registration authority the
    /// standard has no code for, a division code that is in no GB/T 2260 table (historical codes
    /// included; `100000` is the national level, which central registrations carry), a check
    /// character that does not match. Each is a doubt for the caller to report as a warning,
    /// never a refusal: the authorities' tables have grown since 2015, and some early codes fail
    /// their check character yet are real and in use.
    pub fn doubt(&self) -> Option<Doubt> {
        if !AUTHORITIES.contains(self.authority()) {
            Some(Doubt::Authority(self.authority()))
        } else if self.division() != "100000" && !super::gb2260::is_known(self.division()) {
            Some(Doubt::Division(self.division().to_string()))
        } else if !self.checksum_ok {
            Some(Doubt::Checksum)
        } else {
            None
        }
    }
}

/// 登记管理部门码 in GB 32100-2015 and its amendments: 1 机构编制, 2 外交, 3 司法行政, 4 文化,
/// 5 民政, 6 旅游, 7 宗教, 8 工会, 9 工商 (市场监管), A 中央军委改革和编制办公室, N 农业, Y 其他.
pub const AUTHORITIES: &str = "123456789ANY";

/// Why a code of the right shape is doubtful ([`CreditCode::doubt`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doubt {
    Authority(char),
    Division(String),
    Checksum,
}

impl Doubt {
    pub fn rule(&self) -> &'static str {
        match self {
            Doubt::Authority(_) => "gb32100-authority",
            Doubt::Division(_) => "gb32100-division-unknown",
            Doubt::Checksum => "gb32100-checksum",
        }
    }
}

impl std::fmt::Display for Doubt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Doubt::Authority(c) => write!(
                f,
                "登记管理部门码 {c} 不在 GB 32100 代码表中，仅作提示 (registration authority code \
                 unknown; accepted)"
            ),
            Doubt::Division(d) => write!(
                f,
                "登记管理机关行政区划码 {d} 不在 GB/T 2260 代码表 (含历史代码) 中，仅作提示 \
                 (division code unknown; accepted)"
            ),
            Doubt::Checksum => write!(
                f,
                "校验码不符，部分早期代码如此，仅作提示 (check character does not match; accepted)"
            ),
        }
    }
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters: weights 3^(i-1) mod 31, C18 = (31 − Σ mod 31) mod 31.
pub fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 {
        return None;
    }
    let mut weight = 1u32;
    let mut sum = 0u32;
    for c in first17 {
        sum += value_of(*c)? * weight;
        weight = weight * 3 % 31;
    }
    Some(ALPHABET[((31 - sum % 31) % 31) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_vector() {
        let c = CreditCode::parse("91110000600037341L").unwrap();
        assert!(c.checksum_ok());
        assert_eq!(c.authority(), '9');
        assert_eq!(c.division(), "110000");
        assert_eq!(check_char(b"91110000600037341"), Some(b'L'));
    }

    #[test]
    fn lower_case_normalised() {
        assert_eq!(
            CreditCode::parse("91110000600037341l").unwrap().as_str(),
            "91110000600037341L"
        );
    }

    /// Given codes of the right shape, the doubts are the authority, then the division, then
    /// the check character; a central registration's national division is no doubt.
    #[test]
    fn doubts_worst_first() {
        let doubt = |s: &str| CreditCode::parse(s).unwrap().doubt();
        assert_eq!(doubt("91110000600037341L"), None);
        assert_eq!(doubt("91110000600037341M"), Some(Doubt::Checksum));
        let with_check = |first17: &str| {
            format!(
                "{first17}{}",
                check_char(first17.as_bytes()).unwrap() as char
            )
        };
        assert_eq!(doubt(&with_check("11100000000013127")), None);
        assert_eq!(
            doubt(&with_check("91999999600037341")),
            Some(Doubt::Division("999999".into()))
        );
        assert_eq!(
            doubt(&with_check("01110000600037341")),
            Some(Doubt::Authority('0'))
        );
        assert_eq!(
            doubt("01999999600037341M").map(|d| d.rule()),
            Some("gb32100-authority")
        );
    }

    #[test]
    fn bad_check_character_parses_with_warning_flag() {
        let c = CreditCode::parse("91110000600037341M").unwrap();
        assert!(!c.checksum_ok());
    }

    #[test]
    fn shape_failures() {
        assert_eq!(
            CreditCode::parse("91110000600037341"),
            Err(Gb32100Error::Length)
        );
        assert_eq!(
            CreditCode::parse("9111000060003734IL"),
            Err(Gb32100Error::Character { position: 17 })
        );
        assert_eq!(
            CreditCode::parse("911100O0600037341L"),
            Err(Gb32100Error::Character { position: 7 })
        );
        assert_eq!(
            CreditCode::parse("91A10000600037341L"),
            Err(Gb32100Error::Division)
        );
    }
}
