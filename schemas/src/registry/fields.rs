//! The field table of a schema document, for web pages: one row per field with its path, Chinese
//! title and description, type, whether it is required, its format or code table, and an example
//! value taken from the document's own `examples`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::nodes::{required, resolve};

/// One row of a field table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Instance JSON pointer, `*` for any array item, e.g. `/form/accompanying/*/person/name`.
    pub path: String,
    /// For fields inside a tagged union (the applicant) or an object whose `kind` is fixed (a
    /// person-only applicant): the `kind` they belong to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// 中文标题: the schema title or the description's first phrase.
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON type (`string`, `integer`, `object`, `array`, `enum` …).
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    /// Identifier check, `format` or pattern.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Allowed values with their meaning, for code tables (e.g. `"1": 男性`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<(Value, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
}

const MAX_DEPTH: usize = 16;

/// The field table of a document.
pub fn table(doc: &Value) -> Vec<Field> {
    let example = doc
        .get("examples")
        .and_then(Value::as_array)
        .and_then(|e| e.first());
    let mut out = Vec::new();
    walk_object(doc, doc, "", example, None, &mut out, 0);
    out
}

/// `anyOf: [X, {type: null}]` → X (an optional value), and a union of one branch → that branch;
/// other schemas unchanged.
fn unwrap_nullable<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    if let Some(branches) = s.get("anyOf").and_then(Value::as_array) {
        let non_null: Vec<&Value> = branches
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) != Some("null"))
            .collect();
        if let [only] = non_null.as_slice() {
            return one_branch(root, resolve(root, only));
        }
    }
    one_branch(root, resolve(root, s))
}

/// The branch of a `oneOf` or `anyOf` of one branch, which says what the branch alone does: a
/// document that writes a person-only applicant so (as the registry's did before it was
/// published inlined) has the same rows as one that writes the branch in its place, and two
/// versions differing only so show no change.
fn one_branch<'a>(root: &'a Value, s: &'a Value) -> &'a Value {
    for key in ["oneOf", "anyOf"] {
        if let Some([only]) = s.get(key).and_then(Value::as_array).map(Vec::as_slice) {
            return resolve(root, only);
        }
    }
    s
}

fn code_values(root: &Value, s: &Value) -> Vec<(Value, String)> {
    if let Some(e) = s.get("enum").and_then(Value::as_array) {
        return e.iter().map(|v| (v.clone(), String::new())).collect();
    }
    if let Some(c) = s.get("const") {
        return vec![(c.clone(), text(s, "description").unwrap_or_default())];
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(branches) = s.get(key).and_then(Value::as_array) {
            let vals: Vec<(Value, String)> = branches
                .iter()
                .map(|b| resolve(root, b))
                .filter_map(|b| {
                    b.get("const")
                        .map(|c| (c.clone(), text(b, "description").unwrap_or_default()))
                })
                .collect();
            if vals.len() == branches.len() {
                return vals;
            }
        }
    }
    Vec::new()
}

fn text(s: &Value, key: &str) -> Option<String> {
    s.get(key).and_then(Value::as_str).map(str::to_string)
}

/// The punctuation a description's first phrase ends at ([`first_phrase`], which also ends it
/// where a bracket opens): what follows the phrase begins after it, so a page showing the rest
/// under the title trims these from its start (`办理地行政区划代码；第一个为牵头办理地…`).
pub const PHRASE_ENDS: [char; 7] = ['：', ':', '，', ',', '。', ';', '；'];

/// The first phrase of a description, as a short title: `性别代码 (GB/T 2261.1)：…` → `性别代码`.
fn first_phrase(d: &str) -> String {
    let end = d
        .find(|c: char| PHRASE_ENDS.contains(&c) || matches!(c, '(' | '（'))
        .unwrap_or(d.len());
    let t = d[..end].trim();
    if t.is_empty() {
        d.to_string()
    } else {
        t.to_string()
    }
}

fn type_name(root: &Value, s: &Value) -> String {
    if !code_values(root, s).is_empty() {
        return "enum".into();
    }
    match s.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .collect::<Vec<_>>()
            .join("|"),
        _ if s.get("oneOf").is_some() || s.get("anyOf").is_some() => "union".into(),
        _ => "any".into(),
    }
}

fn format_of(s: &Value) -> Option<String> {
    text(s, crate::blocks::CHECK_KEYWORD)
        .or_else(|| text(s, "format"))
        .or_else(|| text(s, "pattern"))
}

fn walk_object(
    root: &Value,
    s: &Value,
    path: &str,
    example: Option<&Value>,
    variant: Option<&str>,
    out: &mut Vec<Field>,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(props) = s.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required = required(s);
    for (name, raw) in props {
        let p = format!("{path}/{}", crate::violation::escape_token(name));
        let target = unwrap_nullable(root, raw);
        let description = text(raw, "description").or_else(|| text(target, "description"));
        // The field's own words before its type's: `/form/end_date` is 备案结束日期, not the
        // 日期 every date field shares through `$ref`.
        let title = text(raw, "title")
            .or_else(|| text(raw, "description").as_deref().map(first_phrase))
            .or_else(|| text(target, "title"))
            .or_else(|| description.as_deref().map(first_phrase))
            .unwrap_or_else(|| name.clone());
        let ex = example.and_then(|e| e.get(name));
        out.push(Field {
            path: p.clone(),
            variant: variant.map(str::to_string),
            title,
            description,
            kind: type_name(root, target),
            required: required.contains(&name.as_str()),
            format: format_of(target).or_else(|| format_of(raw)),
            values: code_values(root, target),
            example: ex.cloned(),
        });
        descend(root, target, &p, ex, variant, out, depth + 1);
    }
}

fn descend(
    root: &Value,
    target: &Value,
    p: &str,
    ex: Option<&Value>,
    variant: Option<&str>,
    out: &mut Vec<Field>,
    depth: usize,
) {
    if target.get("properties").is_some() {
        // An object of one kind (its `kind` fixed, as a person-only applicant): its fields
        // labelled with that kind, as a tagged union's branch's are.
        let tag = target
            .pointer("/properties/kind/const")
            .and_then(Value::as_str);
        walk_object(root, target, p, ex, tag.or(variant), out, depth);
    } else if let Some(items) = target.get("items") {
        let items = unwrap_nullable(root, items);
        let item_ex = ex.and_then(Value::as_array).and_then(|a| a.first());
        if items.get("properties").is_some() || items.get("oneOf").is_some() {
            descend(root, items, &format!("{p}/*"), item_ex, variant, out, depth);
        }
    } else if let Some(branches) = target.get("oneOf").and_then(Value::as_array) {
        // A tagged union: each branch's fields, labelled with its `kind`.
        for b in branches {
            let b = resolve(root, b);
            let tag = b.pointer("/properties/kind/const").and_then(Value::as_str);
            let bex = ex.filter(|e| e.get("kind").and_then(Value::as_str) == tag);
            if b.get("properties").is_some() {
                walk_object(root, b, p, bex, tag.or(variant), out, depth);
            }
        }
    }
}
