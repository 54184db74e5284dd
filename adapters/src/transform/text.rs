//! Text clean-ups provinces need inbound: full-width digits and letters (输入法 全角), stray spaces,
//! lower-case check characters. They only normalise; nothing is ever written back full-width.

/// Full-width ASCII (U+FF01–U+FF5E) to its half-width form and the ideographic space (U+3000) to a
/// space: `１３８１２３４５６７８` → `13812345678`. Other characters, 汉字 included, are kept.
pub fn halfwidth(s: &str) -> String {
    s.chars().map(halfwidth_char).collect()
}

/// [`halfwidth`] of one character: the one fold every reader of typed text uses (the adapters,
/// `tongban reconcile`'s cells, the numbers the gateway judges as personal data).
pub fn halfwidth_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Spaces at both ends removed, the ideographic space and no-break space included.
pub fn trim(s: &str) -> &str {
    // Most values have nothing to trim: answered from the first and last characters alone.
    let (Some(first), Some(last)) = (s.chars().next(), s.chars().next_back()) else {
        return s;
    };
    if !trimmed(first) && !trimmed(last) {
        return s;
    }
    s.trim_matches(trimmed)
}

fn trimmed(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}' || c == '\u{FEFF}'
}

/// `s` split at every `separator`, as `str::split` does; a one-character separator (`;`, `|`, the
/// usual case) is searched as a character, much faster than as a string.
pub fn split<'s, 'p>(s: &'s str, separator: &'p str) -> Split<'s, 'p> {
    let mut chars = separator.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Split::Char(s.split(c)),
        _ => Split::Text(s.split(separator)),
    }
}

/// The pieces of [`split`].
pub enum Split<'s, 'p> {
    Char(std::str::Split<'s, char>),
    Text(std::str::Split<'s, &'p str>),
}

impl<'s> Iterator for Split<'s, '_> {
    type Item = &'s str;

    fn next(&mut self) -> Option<&'s str> {
        match self {
            Split::Char(pieces) => pieces.next(),
            Split::Text(pieces) => pieces.next(),
        }
    }
}

/// 复姓 (two-character surnames) a name split must keep together. Not exhaustive: a name whose
/// surname is not listed is split after its first character, and a province that splits
/// differently round-trips only if it sends the split this rule would make.
pub const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "轩辕", "令狐", "端木", "独孤", "南宫", "西门", "呼延", "歐陽", "諸葛", "司馬",
];

/// The 间隔号 (interpunct) that joins the parts of a name transcribed from another language
/// (阿依古丽·买买提, 马克·吐温), as it is found typed: U+00B7, and its look-alikes U+2022, U+2027,
/// U+30FB and U+FF65.
const INTERPUNCTS: [char; 5] = ['\u{00B7}', '\u{2022}', '\u{2027}', '\u{30FB}', '\u{FF65}'];

/// Splits a full name into (surname, given name).
///
/// A name with a 间隔号 is not a Han surname followed by a given name: which of its parts a
/// province files as the surname differs by nationality and by system (a Uyghur name's second
/// part is the father's name). Such a name is sent whole as the surname, with an empty given
/// name, rather than cut after its first character; joined again inbound it is the same name.
pub fn split_name(name: &str) -> (&str, &str) {
    if name.contains(INTERPUNCTS) {
        return (name, "");
    }
    if let Some(s) = COMPOUND_SURNAMES.iter().find(|s| name.starts_with(**s))
        && name.len() > s.len()
    {
        return name.split_at(s.len());
    }
    match name.char_indices().nth(1) {
        Some((i, _)) => name.split_at(i),
        None => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleanups() {
        assert_eq!(halfwidth("１３８１２３４５６７８"), "13812345678");
        assert_eq!(halfwidth("４４０１０６ＡＢ　号"), "440106AB 号");
        assert_eq!(trim("\u{3000} 张三 \t"), "张三");
        for (s, sep) in [
            ("a;b;;c;", ";"),
            ("", ";"),
            ("a||b", "||"),
            ("ab", ""),
            ("区|号", "|"),
        ] {
            assert_eq!(
                split(s, sep).collect::<Vec<_>>(),
                s.split(sep).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn names() {
        assert_eq!(split_name("欧阳娜娜"), ("欧阳", "娜娜"));
        assert_eq!(split_name("李明"), ("李", "明"));
        assert_eq!(split_name("陳嘉欣"), ("陳", "嘉欣"));
        assert_eq!(split_name("王"), ("王", ""));
        assert_eq!(split_name("阿依古丽·买买提"), ("阿依古丽·买买提", ""));
        assert_eq!(split_name("马克・吐温"), ("马克・吐温", ""));
        assert_eq!(split_name(""), ("", ""));
    }
}
