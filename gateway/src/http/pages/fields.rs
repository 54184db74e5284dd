//! A schema's field table as HTML: one row per field (path, 中文标题/说明, type, required, format,
//! example), from `Registry::fields`.

use serde_json::Value;
use std::collections::BTreeMap;
use tongban_schemas::registry::Field;

use super::{escape, labels};

/// The rules that check a field's identifier (`x-tongban-check`), by the field's path: each
/// rule's code and requirement, as the matter's 表单规则 table lists them, shown again on the
/// field's own row so that `gb11643` is read with the findings it gives.
pub type Checked = BTreeMap<String, Vec<(&'static str, &'static str)>>;

/// Longest example shown in a cell, in characters; longer ones are cut with an ellipsis.
const MAX_EXAMPLE: usize = 60;
/// Code tables longer than this are folded into a `<details>` element.
const INLINE_VALUES: usize = 6;

/// Compact JSON of an example, shortened for a table cell.
pub fn short_json(v: &Value) -> String {
    let text = match v {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    if text.chars().count() > MAX_EXAMPLE {
        let cut: String = text.chars().take(MAX_EXAMPLE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

fn values_cell(f: &Field) -> String {
    if f.values.is_empty() {
        return String::new();
    }
    let items: String = f
        .values
        .iter()
        .map(|(v, meaning)| {
            let meaning = if meaning.is_empty() {
                String::new()
            } else {
                format!(" {}", escape(meaning))
            };
            format!("<li><code>{}</code>{meaning}</li>", escape(&short_json(v)))
        })
        .collect();
    if f.values.len() > INLINE_VALUES {
        format!(
            "<details><summary>{} 个取值 / values</summary><ul>{items}</ul></details>",
            f.values.len()
        )
    } else {
        format!("<ul>{items}</ul>")
    }
}

/// The table of `subject`'s `fields`; `id` lets tests and links find it; `checked` the rules of
/// the fields that carry an identifier check.
pub fn table(id: &str, subject: &str, fields: &[Field], checked: &Checked) -> String {
    if fields.is_empty() {
        return "<p class=\"none\">没有字段 / no fields</p>\n".into();
    }
    let mut out = format!(
        "<table id=\"{}\" class=\"fields\">\n<thead><tr><th>路径 path</th><th>中文标题 / 说明 title</th><th>类型 type</th><th>必填 required</th><th>格式 format</th><th>示例 example</th></tr></thead>\n<tbody>\n",
        escape(id)
    );
    for f in fields {
        let variant = f
            .variant
            .as_deref()
            .map(|v| format!("<br><span class=\"tag\">{}</span>", escape(v)))
            .unwrap_or_default();
        let description = labels::description(subject, f)
            .map(|d| format!("<br><small>{}</small>", escape(&d)))
            .unwrap_or_default();
        let rules: String = checked
            .get(&f.path)
            .map(|rules| {
                let items: String = rules
                    .iter()
                    .map(|(code, rule)| {
                        format!("<li><code>{}</code> {}</li>", escape(code), escape(rule))
                    })
                    .collect();
                format!("<ul class=\"checks\">{items}</ul>")
            })
            .unwrap_or_default();
        let required = if f.required {
            "<span class=\"req\">是 yes</span>"
        } else {
            "<span class=\"opt\">否 no</span>"
        };
        let example = match &f.example {
            // Objects are shown field by field in the rows below them.
            Some(Value::Object(_)) | None => String::new(),
            Some(v) => format!("<code>{}</code>", escape(&short_json(v))),
        };
        out.push_str(&format!(
            "<tr class=\"field\"><td class=\"path\"><code>{}</code>{variant}</td><td>{}{description}</td><td><code>{}</code>{}</td><td>{required}</td><td>{}{rules}</td><td>{example}</td></tr>\n",
            escape(&f.path),
            escape(&labels::title(f)),
            escape(&f.kind),
            values_cell(f),
            f.format
                .as_deref()
                .map(|x| format!("<code>{}</code>", escape(x)))
                .unwrap_or_default(),
        ));
    }
    out.push_str("</tbody>\n</table>\n");
    out
}
