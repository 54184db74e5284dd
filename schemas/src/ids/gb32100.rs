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
