//! 公民身份号码 (GB 11643-1999): 6-digit division code, 8-digit birth date, 3-digit sequence (odd for
//! men, even for women) and an ISO 7064 MOD 11-2 check character.

use super::date::Date;
use super::gb2261::Sex;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// Why a string is not a valid 公民身份号码.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Gb11643Error {
    #[error("an ID number has 18 characters (or 15 digits in the legacy form)")]
    Length,
    #[error("an ID number is digits with an optional final X")]
    Characters,
    #[error("the birth date inside the ID number is not a real date")]
    BirthDate,
    #[error("the check character does not match (ISO 7064 MOD 11-2)")]
    Checksum,
}

impl Gb11643Error {
    /// The machine rule name used in violations.
    pub fn rule(&self) -> &'static str {
        match self {
            Gb11643Error::Length => "gb11643-length",
            Gb11643Error::Characters => "gb11643-characters",
            Gb11643Error::BirthDate => "gb11643-birth-date",
            Gb11643Error::Checksum => "gb11643-checksum",
        }
    }

    /// What is wrong, as the problems say it: Chinese first, the English in parentheses (one
    /// wording for the canonical check and the adapters').
    pub fn zh(&self) -> &'static str {
        match self {
            Gb11643Error::Length => "应为 18 位，或 15 位旧号 (18 characters, or 15 digits)",
            Gb11643Error::Characters => "应为数字，末位可为 X (digits with an optional final X)",
            Gb11643Error::BirthDate => {
                "出生日期不是有效日期 (birth date inside the number is not a real date)"
            }
            Gb11643Error::Checksum => {
                "校验码错误 (check character does not match, ISO 7064 MOD 11-2)"
            }
        }
    }
}

/// A checked 18-character 公民身份号码 (upper-case `X`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

impl ResidentId {
    /// Checks an 18-character number (lower-case `x` accepted and normalised) or upgrades a 15-digit
    /// legacy number (born 19xx: "19" is inserted before the year and the check character computed).
    pub fn parse(s: &str) -> Result<ResidentId, Gb11643Error> {
        let s = s.trim();
        match s.len() {
            18 => {
                let b = s.as_bytes();
                if !b[..17].iter().all(u8::is_ascii_digit) {
                    return Err(Gb11643Error::Characters);
                }
                let last = b[17].to_ascii_uppercase();
                if !(last.is_ascii_digit() || last == b'X') {
                    return Err(Gb11643Error::Characters);
                }
                if Date::parse_compact(&s[6..14]).is_none() {
                    return Err(Gb11643Error::BirthDate);
                }
                if check_char(&b[..17]) != Some(last) {
                    return Err(Gb11643Error::Checksum);
                }
                Ok(ResidentId(s.to_ascii_uppercase()))
            }
            15 => upgrade_legacy(s),
            _ => {
                if s.chars()
                    .all(|c| c.is_ascii_digit() || c == 'x' || c == 'X')
                {
                    Err(Gb11643Error::Length)
                } else {
                    Err(Gb11643Error::Characters)
                }
            }
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// 行政区划代码 of the place of first registration (may be a historical code).
    pub fn region(&self) -> &str {
        &self.0[..6]
    }

    pub fn birth_date(&self) -> Option<Date> {
        Date::parse_compact(&self.0[6..14])
    }

    /// The sex the sequence number encodes: odd for men, even for women.
    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes()[16] - b'0';
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }
}

impl std::fmt::Display for ResidentId {
    /// Masked, because the number is personal data: `1101**********002X`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::mask::id_number(&self.0))
    }
}

/// The ISO 7064 MOD 11-2 check character for the first 17 digits, or `None` if they are not 17 digits.
pub fn check_char(first17: &[u8]) -> Option<u8> {
    if first17.len() != 17 || !first17.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    Some(CHECK[(sum % 11) as usize])
}

/// The 1985 15-digit form: `RRRRRRYYMMDDSSS`, all born in the 1900s.
fn upgrade_legacy(s: &str) -> Result<ResidentId, Gb11643Error> {
    if !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Gb11643Error::Characters);
    }
    let mut body = String::with_capacity(18);
    body.push_str(&s[..6]);
    body.push_str("19");
    body.push_str(&s[6..]);
    if Date::parse_compact(&body[6..14]).is_none() {
        return Err(Gb11643Error::BirthDate);
    }
    let check = check_char(body.as_bytes()).ok_or(Gb11643Error::Characters)?;
    body.push(char::from(check));
    Ok(ResidentId(body))
}

/// Convenience: is `s` a valid number (18 characters, or an upgradable 15-digit one)?
pub fn is_valid(s: &str) -> bool {
    ResidentId::parse(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_vector() {
        let id = ResidentId::parse("11010519491231002X").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(id.region(), "110105");
        assert_eq!(id.birth_date(), Date::new(1949, 12, 31));
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.to_string(), "1101**********002X");
        assert_eq!(check_char(b"11010519491231002"), Some(b'X'));
    }

    #[test]
    fn lowercase_x_is_normalised() {
        assert_eq!(
            ResidentId::parse("11010519491231002x").unwrap().as_str(),
            "11010519491231002X"
        );
    }

    #[test]
    fn other_valid_numbers() {
        for s in [
            "440106199003071231",
            "330106198506122344",
            "440305196010150019",
        ] {
            assert!(is_valid(s), "{s}");
        }
        assert_eq!(
            ResidentId::parse("440106199003071231").unwrap().sex(),
            Sex::Male
        );
    }

    #[test]
    fn legacy_15_digits_upgrade() {
        // 110105491231002 is the 15-digit form of the standard vector.
        let id = ResidentId::parse("110105491231002").unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
    }

    #[test]
    fn failures() {
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(Gb11643Error::Checksum)
        );
        assert_eq!(
            ResidentId::parse("110105194902300028").unwrap_err(),
            Gb11643Error::BirthDate
        );
        assert_eq!(
            ResidentId::parse("11010519491231002"),
            Err(Gb11643Error::Length)
        );
        assert_eq!(
            ResidentId::parse("1101051949123100XX"),
            Err(Gb11643Error::Characters)
        );
        assert_eq!(
            ResidentId::parse("11010519491231002Y"),
            Err(Gb11643Error::Characters)
        );
        assert_eq!(
            ResidentId::parse("110105491331002"),
            Err(Gb11643Error::BirthDate)
        );
        assert_eq!(
            ResidentId::parse("11010549123100A"),
            Err(Gb11643Error::Characters)
        );
        assert_eq!(ResidentId::parse(""), Err(Gb11643Error::Length));
    }
}
