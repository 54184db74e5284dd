//! 中国各民族名称的罗马字母拼写和代码 (GB/T 3304-1991): codes 01–56 for the 56 nationalities, 97 其他,
//! 98 外国血统中国籍人士. Old names that still appear in provincial records resolve to today's code.

/// (code, name) in the standard's order.
pub const TABLE: [(&str, &str); 58] = [
    ("01", "汉族"),
    ("02", "蒙古族"),
    ("03", "回族"),
    ("04", "藏族"),
    ("05", "维吾尔族"),
    ("06", "苗族"),
    ("07", "彝族"),
    ("08", "壮族"),
    ("09", "布依族"),
    ("10", "朝鲜族"),
    ("11", "满族"),
    ("12", "侗族"),
    ("13", "瑶族"),
    ("14", "白族"),
    ("15", "土家族"),
    ("16", "哈尼族"),
    ("17", "哈萨克族"),
    ("18", "傣族"),
    ("19", "黎族"),
    ("20", "傈僳族"),
    ("21", "佤族"),
    ("22", "畲族"),
    ("23", "高山族"),
    ("24", "拉祜族"),
    ("25", "水族"),
    ("26", "东乡族"),
    ("27", "纳西族"),
    ("28", "景颇族"),
    ("29", "柯尔克孜族"),
    ("30", "土族"),
    ("31", "达斡尔族"),
    ("32", "仫佬族"),
    ("33", "羌族"),
    ("34", "布朗族"),
    ("35", "撒拉族"),
    ("36", "毛南族"),
    ("37", "仡佬族"),
    ("38", "锡伯族"),
    ("39", "阿昌族"),
    ("40", "普米族"),
    ("41", "塔吉克族"),
    ("42", "怒族"),
    ("43", "乌孜别克族"),
    ("44", "俄罗斯族"),
    ("45", "鄂温克族"),
    ("46", "德昂族"),
    ("47", "保安族"),
    ("48", "裕固族"),
    ("49", "京族"),
    ("50", "塔塔尔族"),
    ("51", "独龙族"),
    ("52", "鄂伦春族"),
    ("53", "赫哲族"),
    ("54", "门巴族"),
    ("55", "珞巴族"),
    ("56", "基诺族"),
    ("97", "其他"),
    ("98", "外国血统中国籍人士"),
];

/// Names replaced since the records were written: 崩龙族 became 德昂族 (1985), 毛难族 became 毛南族 (1986).
pub const OLD_NAMES: [(&str, &str); 2] = [("崩龙族", "德昂族"), ("毛难族", "毛南族")];

/// The JSON Schema pattern for a code: 01–56, 97, 98.
pub const PATTERN: &str = "^(0[1-9]|[1-4][0-9]|5[0-6]|97|98)$";

/// The current name for a code.
pub fn name(code: &str) -> Option<&'static str> {
    TABLE.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The code for a name, old names and names without the trailing 族 included (e.g. 汉, 崩龙族).
pub fn code_for_name(name: &str) -> Option<&'static str> {
    let name = name.trim();
    let current = OLD_NAMES
        .iter()
        .find(|(old, _)| *old == name)
        .map_or(name, |(_, new)| *new);
    TABLE
        .iter()
        .find(|(_, n)| {
            *n == current || (n.strip_suffix('族') == Some(current) && !current.is_empty())
        })
        .map(|(c, _)| *c)
}

pub fn is_valid_code(code: &str) -> bool {
    name(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(name("01"), Some("汉族"));
        assert_eq!(name("56"), Some("基诺族"));
        assert_eq!(name("97"), Some("其他"));
        assert_eq!(name("98"), Some("外国血统中国籍人士"));
        assert_eq!(name("57"), None);
        assert_eq!(name("00"), None);
        assert_eq!(name("1"), None);
    }

    #[test]
    fn old_and_short_names() {
        assert_eq!(code_for_name("崩龙族"), Some("46"));
        assert_eq!(code_for_name("德昂族"), Some("46"));
        assert_eq!(code_for_name("毛难族"), Some("36"));
        assert_eq!(code_for_name("汉"), Some("01"));
        assert_eq!(code_for_name("火星族"), None);
    }
}
