//! 中华人民共和国行政区划代码 (GB/T 2260). Historical codes must still resolve, because ID numbers and old
//! records carry the code of the place of first registration (e.g. 371200 莱芜市, merged into 济南 in 2019).
//!
//! The data is not typed by hand: `data/gb2260-loc.dat` is python-stdnum's `stdnum/cn/loc.dat`
//! (see `data/PROVENANCE.md`), which lists every code with its names and years of validity. It is
//! parsed once, on first use.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

const DATA: &str = include_str!("../../data/gb2260-loc.dat");

/// One name a code had over a span of years (`None` = open-ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamePeriod {
    pub from: Option<u16>,
    pub to: Option<u16>,
    pub name: &'static str,
}

/// A division code and its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: u32,
    /// 省级名称 (as the data file writes it)
    pub province: &'static str,
    /// Every name the code carried, oldest first.
    pub history: Vec<NamePeriod>,
}

impl Division {
    /// The current name, or the last one for a code no longer in use.
    pub fn name(&self) -> &'static str {
        self.history.last().map_or("", |p| p.name)
    }

    /// Still in use (its last name has no end year).
    pub fn is_current(&self) -> bool {
        self.history.last().is_some_and(|p| p.to.is_none())
    }

    /// 6-digit code as text.
    pub fn code_str(&self) -> String {
        format!("{:06}", self.code)
    }
}

/// The table is keyed by the code itself, fixed data that no caller chooses, so it needs no
/// flood-resistant hash: one multiplication (Fibonacci hashing) instead of SipHash, a fair share of
/// every lookup on the hot path of validating an address or an ID number.
#[derive(Default)]
struct CodeHasher(u64);

impl Hasher for CodeHasher {
    fn finish(&self) -> u64 {
        // The product's high bits are the well-mixed ones; fold them into the low bits too, which
        // pick the bucket.
        self.0 ^ (self.0 >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Table = HashMap<u32, Division, BuildHasherDefault<CodeHasher>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| parse(DATA))
}

fn parse(data: &'static str) -> Table {
    let mut out = Table::default();
    let mut province_prefix: Option<u32> = None;
    let mut province_name: &'static str = "";
    for line in data.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let indented = line.starts_with(' ');
        let line = line.trim();
        let Some((code, rest)) = line.split_once(' ') else {
            continue;
        };
        let Some(value) = rest.split_once('=').map(|(_, v)| v.trim_matches('"')) else {
            continue;
        };
        let Ok(num) = code.parse::<u32>() else {
            continue;
        };
        if !indented {
            province_prefix = Some(num);
            province_name = value;
            // A province line also names XX0000, in case no `0000` line follows.
            out.insert(
                num * 10_000,
                Division {
                    code: num * 10_000,
                    province: value,
                    history: periods(value),
                },
            );
        } else if let Some(p) = province_prefix {
            let full = p * 10_000 + num;
            out.insert(
                full,
                Division {
                    code: full,
                    province: province_name,
                    history: periods(value),
                },
            );
        }
    }
    out
}

/// `[-1991]东郊区,[1992-]东丽区` → two periods; a bare name is current.
fn periods(value: &'static str) -> Vec<NamePeriod> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        // Entries are separated by ",[" ; a name itself contains no '['.
        let end = rest
            .match_indices(",[")
            .map(|(i, _)| i)
            .find(|&i| i > 0)
            .unwrap_or(rest.len());
        let entry = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if let Some(body) = entry.strip_prefix('[')
            && let Some((years, name)) = body.split_once(']')
        {
            let (from, to) = years.split_once('-').unwrap_or((years, years));
            out.push(NamePeriod {
                from: from.parse().ok(),
                to: to.parse().ok(),
                name,
            });
            continue;
        }
        out.push(NamePeriod {
            from: None,
            to: None,
            name: entry,
        });
    }
    out
}

/// The first six digits of a 6- or 12-digit code (12-digit codes are the statistical 区划代码 whose
/// first six digits are the GB/T 2260 county code).
pub fn normalise(code: &str) -> Option<&str> {
    let code = code.trim();
    if (code.len() == 6 || code.len() == 12) && code.bytes().all(|b| b.is_ascii_digit()) {
        Some(&code[..6])
    } else {
        None
    }
}

/// The province of a 6- or 12-digit code: its first two digits. Two places with the same are in
/// one province, which the places of a 跨省 (cross-province) application never are: a form's
/// places moved between (the matters' `same-province` rules) and an application's origin and
/// handlers (the route's).
pub fn province(code: &str) -> Option<&str> {
    (matches!(code.len(), 6 | 12) && code.bytes().all(|b| b.is_ascii_digit())).then(|| &code[..2])
}

/// Looks a 6- or 12-digit code up, historical codes included.
pub fn lookup(code: &str) -> Option<&'static Division> {
    let six = normalise(code)?;
    table().get(&six.parse::<u32>().ok()?)
}

pub fn is_known(code: &str) -> bool {
    lookup(code).is_some()
}

/// What a problem says of a well-formed code that is no division (rule `gb2260-unknown`), in the
/// problems' style: Chinese first, the English in parentheses. One wording for the canonical
/// check and the adapters'.
pub fn unknown_message(code: &str) -> String {
    format!(
        "行政区划代码 {code} 不在 GB/T 2260 代码表中，含历史代码 (not a GB/T 2260 division code, \
         historical codes included)"
    )
}

/// Province, prefecture and county names joined, e.g. `广东省广州市天河区`, for pages and messages.
pub fn full_name(code: &str) -> Option<String> {
    let d = lookup(code)?;
    let province = d.code / 10_000 * 10_000;
    let prefecture = d.code / 100 * 100;
    let mut names = vec![table().get(&province).map_or(d.province, |p| p.name())];
    if prefecture != province
        && prefecture != d.code
        && let Some(p) = table().get(&prefecture)
        && !p.name().contains("市辖区")
        && !p.name().ends_with("县")
    {
        names.push(p.name());
    }
    if d.code != province {
        names.push(d.name());
    }
    Some(names.concat())
}

/// Number of codes known (current and historical).
pub fn len() -> usize {
    table().len()
}

/// Every code known (current and historical), ascending: for tools that need places to draw
/// from (`tongban bench` makes each submission another person's), without formatting and
/// looking up every number that could be one.
pub fn codes() -> Vec<u32> {
    let mut codes: Vec<u32> = table().keys().copied().collect();
    codes.sort_unstable();
    codes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_codes() {
        assert_eq!(lookup("110105").map(Division::name), Some("朝阳区"));
        assert_eq!(lookup("440000").map(Division::name), Some("广东省"));
        assert_eq!(lookup("110000").map(Division::name), Some("北京市"));
        assert!(lookup("440106").is_some_and(Division::is_current));
        assert_eq!(full_name("440106").as_deref(), Some("广东省广州市天河区"));
    }

    #[test]
    fn historical_codes_resolve() {
        let laiwu = lookup("371200").unwrap();
        assert_eq!(laiwu.name(), "莱芜市");
        assert!(!laiwu.is_current());
        assert_eq!(laiwu.history[0].from, Some(1992));
        assert_eq!(laiwu.history[0].to, Some(2018));
        let dongli = lookup("120110").unwrap();
        assert_eq!(dongli.history.len(), 2);
        assert_eq!(dongli.history[0].name, "东郊区");
        assert_eq!(dongli.name(), "东丽区");
    }

    #[test]
    fn twelve_digit_codes_use_first_six() {
        assert_eq!(
            lookup("511602000000").map(Division::name),
            lookup("511602").map(Division::name)
        );
        assert!(lookup("511602").is_some());
    }

    #[test]
    fn unknown_and_malformed() {
        assert!(lookup("999999").is_none());
        assert!(lookup("44010").is_none());
        assert!(lookup("4401061").is_none());
        assert!(lookup("44010a").is_none());
        assert!(len() > 6000);
    }

    #[test]
    fn special_regions() {
        assert!(lookup("710000").is_some());
        assert!(lookup("810000").is_some());
        assert!(lookup("820000").is_some());
    }
}
