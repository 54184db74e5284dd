//! Code tables: a province's codes ↔ the canonical codes. Code lists disagree between systems (sex
//! 1/2, 男/女, M/F; ID document type "10" vs "01"; 57/58 for 97/98), so every table is data: pairs
//! that map both ways, plus inbound-only aliases for values a province still sends but that the
//! gateway never writes back (old ethnicity names, misused codes).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;
use tongban_schemas::ids::gb3304;

/// A table as spec files write it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// What the table is for (documentation only).
    #[serde(default)]
    pub description: Option<String>,
    /// `[local, canonical]` pairs; for a canonical value the first pair naming it is written outbound.
    pub pairs: Vec<(String, Value)>,
    /// `[local, canonical]` accepted inbound only.
    #[serde(default)]
    pub aliases: Vec<(String, Value)>,
}

/// A compiled table.
#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    inbound: HashMap<String, Value>,
    outbound: Vec<(Value, String)>,
    /// The local codes in order, for "expected one of …" messages.
    locals: Vec<String>,
    /// Every local code read inbound (pairs, then aliases), once each in spec order: for the
    /// load check of what the table writes ([`Table::inbound_pairs`]).
    read: Vec<String>,
}

impl TableSpec {
    /// Refuses a table in which one local code means two canonical values (in its pairs, or an
    /// alias against a pair): a form's code would mean whichever came first, and a value written
    /// back as that code would read as the other one. A spec file's mistake, said when it loads.
    pub fn check(&self) -> Result<(), String> {
        let mut seen: HashMap<&str, &Value> = HashMap::new();
        for (local, canonical) in self.pairs.iter().chain(&self.aliases) {
            match seen.get(local.as_str()) {
                Some(&first) if first != canonical => {
                    return Err(format!(
                        "local code {local:?} is listed for {first} and for {canonical}: a form's \
                         {local:?} would mean either (give each local code one canonical value; \
                         several local codes may share one)"
                    ));
                }
                Some(_) => {}
                None => {
                    seen.insert(local, canonical);
                }
            }
        }
        Ok(())
    }
}

impl Table {
    pub fn compile(name: &str, spec: &TableSpec) -> Table {
        let mut inbound = HashMap::new();
        let mut outbound: Vec<(Value, String)> = Vec::new();
        let mut locals = Vec::new();
        let mut read = Vec::new();
        for (local, canonical) in &spec.pairs {
            if !inbound.contains_key(local) {
                read.push(local.clone());
            }
            inbound
                .entry(local.clone())
                .or_insert_with(|| canonical.clone());
            if !outbound.iter().any(|(c, _)| c == canonical) {
                outbound.push((canonical.clone(), local.clone()));
            }
            locals.push(local.clone());
        }
        for (local, canonical) in &spec.aliases {
            if !inbound.contains_key(local) {
                read.push(local.clone());
            }
            inbound
                .entry(local.clone())
                .or_insert_with(|| canonical.clone());
        }
        Table {
            name: name.to_string(),
            inbound,
            outbound,
            locals,
            read,
        }
    }

    /// Each local code read inbound with the canonical value it gives, in spec order (pairs, then
    /// aliases; a code named twice only as it is read).
    pub fn inbound_pairs(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.read
            .iter()
            .filter_map(|l| self.inbound.get(l).map(|c| (l.as_str(), c)))
    }

    /// The canonical value for a local code (aliases included).
    pub fn to_canonical(&self, local: &str) -> Option<&Value> {
        self.inbound.get(local)
    }

    /// The local code written for a canonical value.
    pub fn to_local(&self, canonical: &Value) -> Option<&str> {
        self.outbound
            .iter()
            .find(|(c, _)| c == canonical)
            .map(|(_, l)| l.as_str())
    }

    /// The local codes, for messages (at most a dozen, then "…").
    pub fn expected(&self) -> String {
        let mut shown: Vec<&str> = self.locals.iter().take(12).map(String::as_str).collect();
        if self.locals.len() > 12 {
            shown.push("…");
        }
        shown.join(", ")
    }
}

/// Tables every spec may name without defining them, computed from the schemas crate's standard
/// data so they cannot drift from it.
pub fn standard() -> Vec<Table> {
    // GB/T 3304 by name (汉族 ↔ 01), the old names 崩龙族 / 毛难族 and names without 族 inbound only.
    let by_name = TableSpec {
        description: Some("民族名称 ↔ GB/T 3304 代码".into()),
        pairs: gb3304::TABLE
            .iter()
            .map(|(code, name)| ((*name).to_string(), Value::from(*code)))
            .collect(),
        aliases: gb3304::OLD_NAMES
            .iter()
            .filter_map(|(old, _)| gb3304::code_for_name(old).map(|c| ((*old).to_string(), c)))
            .chain(gb3304::TABLE.iter().filter_map(|(code, name)| {
                name.strip_suffix('族')
                    .filter(|s| !s.is_empty())
                    .map(|short| (short.to_string(), *code))
            }))
            .map(|(l, c)| (l, Value::from(c)))
            .collect(),
    };
    // GB/T 3304 by code, with 57/58 (used by some systems for 其他 / 外国血统) as inbound aliases.
    let by_code = TableSpec {
        description: Some("GB/T 3304 代码 (57/58 视为 97/98)".into()),
        pairs: gb3304::TABLE
            .iter()
            .map(|(code, _)| ((*code).to_string(), Value::from(*code)))
            .collect(),
        aliases: vec![
            ("57".into(), Value::from("97")),
            ("58".into(), Value::from("98")),
        ],
    };
    vec![
        Table::compile("gb3304-name", &by_name),
        Table::compile("gb3304", &by_code),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn both_ways_and_aliases() {
        let spec: TableSpec = serde_json::from_value(json!({
            "pairs": [["M", "1"], ["F", "2"]],
            "aliases": [["男", "1"], ["女", "2"]]
        }))
        .unwrap();
        let t = Table::compile("sex-mf", &spec);
        assert_eq!(t.to_canonical("男"), Some(&json!("1")));
        assert_eq!(t.to_local(&json!("2")), Some("F"));
        assert_eq!(t.to_local(&json!("9")), None);
        assert_eq!(t.expected(), "M, F");
        let read: Vec<(&str, &Value)> = t.inbound_pairs().collect();
        assert_eq!(
            read,
            [
                ("M", &json!("1")),
                ("F", &json!("2")),
                ("男", &json!("1")),
                ("女", &json!("2"))
            ]
        );
    }

    /// One local code for two canonical values is refused (a form could not say which); two
    /// local codes for one canonical value are aliases, and a code listed twice alike is taken.
    #[test]
    fn a_local_code_meaning_two_values_is_refused() {
        let spec = |v: serde_json::Value| -> TableSpec { serde_json::from_value(v).unwrap() };
        let twice = spec(json!({"pairs": [["职工", "employee"], ["职工", "resident"]]}));
        let why = twice.check().expect_err("ambiguous");
        assert!(why.contains("职工") && why.contains("resident"), "{why}");
        let alias = spec(json!({"pairs": [["1", "employee"]], "aliases": [["1", "resident"]]}));
        assert!(alias.check().is_err());
        let shared = spec(
            json!({"pairs": [["1", "employee"], ["职工", "employee"]], "aliases": [["1", "employee"]]}),
        );
        assert_eq!(shared.check(), Ok(()));
        for t in standard() {
            assert!(!t.name.is_empty());
        }
    }

    #[test]
    fn ethnicity_tables() {
        let tables = standard();
        let names = &tables[0];
        assert_eq!(names.to_canonical("崩龙族"), Some(&json!("46")));
        assert_eq!(names.to_canonical("毛难族"), Some(&json!("36")));
        assert_eq!(names.to_canonical("汉"), Some(&json!("01")));
        assert_eq!(names.to_local(&json!("46")), Some("德昂族"));
        let codes = &tables[1];
        assert_eq!(codes.to_canonical("58"), Some(&json!("98")));
        assert_eq!(codes.to_local(&json!("98")), Some("98"));
    }
}
