//! 人的性别代码 (GB/T 2261.1-2003).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// 性别代码 (GB/T 2261.1): 0 未知的性别, 1 男性, 2 女性, 5 女性改(变)为男性, 6 男性改(变)为女性, 9 未说明的性别.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum Sex {
    /// 未知的性别
    #[serde(rename = "0")]
    Unknown,
    /// 男性
    #[serde(rename = "1")]
    Male,
    /// 女性
    #[serde(rename = "2")]
    Female,
    /// 女性改(变)为男性
    #[serde(rename = "5")]
    FemaleToMale,
    /// 男性改(变)为女性
    #[serde(rename = "6")]
    MaleToFemale,
    /// 未说明的性别
    #[serde(rename = "9")]
    Unstated,
}

impl Sex {
    pub const ALL: [Sex; 6] = [
        Sex::Unknown,
        Sex::Male,
        Sex::Female,
        Sex::FemaleToMale,
        Sex::MaleToFemale,
        Sex::Unstated,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Sex::Unknown => "0",
            Sex::Male => "1",
            Sex::Female => "2",
            Sex::FemaleToMale => "5",
            Sex::MaleToFemale => "6",
            Sex::Unstated => "9",
        }
    }

    /// Only the standard's codes; systems that misuse 3/4 or M/F are mapped by their adapters.
    pub fn from_code(code: &str) -> Option<Sex> {
        Sex::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Sex::Unknown => "未知的性别",
            Sex::Male => "男性",
            Sex::Female => "女性",
            Sex::FemaleToMale => "女性改(变)为男性",
            Sex::MaleToFemale => "男性改(变)为女性",
            Sex::Unstated => "未说明的性别",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for s in Sex::ALL {
            assert_eq!(Sex::from_code(s.code()), Some(s));
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::json!(s.code())
            );
        }
        assert_eq!(Sex::from_code("3"), None);
        assert_eq!(Sex::from_code("4"), None);
    }
}
