//! The short names people search the registry by (社保卡 for 社会保障卡申领): a matter's title is
//! the statutory one, and a province's staff type the everyday one. One table, read by the
//! catalogue's search (`/registry?q=`).

/// Each matter's code and the everyday names it is also found by: names of that matter only
/// (失业金 is 失业保险金申领, another matter than 失业登记; 社保转移 is as much 医保关系转移 as
/// 养老保险关系转移), so a search never leads to the wrong one.
const ALIASES: &[(&str, &[&str])] = &[
    (
        "social-security-card",
        &["社保卡", "社会保障卡", "社保卡办理"],
    ),
    (
        "housing-fund-transfer",
        &["公积金转移", "公积金", "住房公积金"],
    ),
    ("pension-transfer", &["养老保险转移", "养老金转移"]),
    (
        "medical-filing",
        &["异地就医", "医保备案", "就医备案", "医保异地"],
    ),
    ("hukou-transfer", &["迁户口", "户口", "落户", "户籍迁移"]),
    (
        "criminal-record-certificate",
        &["无犯罪证明", "无犯罪记录", "无犯罪"],
    ),
    (
        "business-registration",
        &["营业执照", "工商登记", "企业登记", "公司注册"],
    ),
    ("unemployment-registration", &["失业证", "就业失业登记"]),
];

/// The everyday names of the matter `code` (none for a matter the table does not list).
pub fn of(code: &str) -> impl Iterator<Item = &'static str> {
    ALIASES
        .iter()
        .filter(move |(c, _)| *c == code)
        .flat_map(|(_, names)| names.iter().copied())
}

#[cfg(test)]
mod tests {
    /// Every code of the table is a matter's: a renamed matter would lose its aliases silently.
    #[test]
    fn every_alias_names_a_matter() {
        for (code, names) in super::ALIASES {
            assert!(
                tongban_schemas::matters::get(code).is_some(),
                "{code} is no matter"
            );
            assert!(!names.is_empty(), "{code}");
        }
    }

    /// The everyday names of other matters, or of more than one, are no alias: 失业金 (失业保险金
    /// 申领) led to 失业登记, 社保转移 (医保关系转移 as well) to 养老保险关系转移接续.
    #[test]
    fn no_alias_names_another_matter() {
        for (code, names) in super::ALIASES {
            for other in [
                "失业金",
                "失业保险金",
                "社保转移",
                "医保转移",
                "医保关系转移",
            ] {
                assert!(!names.contains(&other), "{code}: {other}");
            }
        }
    }
}
