//! The difference between two versions of a subject as HTML (from `Registry::diff`).

use tongban_schemas::registry::{Incompatibility, SchemaDiff};

use super::escape;
use super::fields;
use crate::http::schemas::IncompatibilityItem;

fn incompatibilities(heading: &str, items: &[Incompatibility]) -> String {
    if items.is_empty() {
        return format!(
            "<h3>{}</h3>\n<p class=\"none\">无 / none</p>\n",
            escape(heading)
        );
    }
    // The rule in Chinese beside its machine name, and who the change hurts: a maintainer reading
    // the page decides from it whether the version needs an upcaster or an agreement.
    let rows: String = items
        .iter()
        .map(|i| {
            let item = IncompatibilityItem::from(i);
            format!(
                "<tr><td class=\"path\"><code>{}</code></td><td>{}<br><code>{}</code></td><td>{}</td><td class=\"affects\">{}</td></tr>\n",
                escape(&item.path),
                escape(i.rule.label_zh()),
                escape(&item.rule),
                escape(&item.reason),
                escape(&item.affects)
            )
        })
        .collect();
    format!(
        "<h3>{}</h3>\n<table class=\"incompatibilities\"><thead><tr><th>路径 path</th><th>规则 rule</th><th>原因 reason</th><th>影响 affects</th></tr></thead><tbody>\n{rows}</tbody></table>\n",
        escape(heading)
    )
}

/// The diff section's body.
pub fn render(d: &SchemaDiff) -> String {
    if d.from == d.to {
        return format!(
            "<p class=\"none\">版本 {} 与自身相同，没有差异 / version {} against itself: no differences.</p>\n",
            d.from, d.to
        );
    }
    let mut out = format!(
        "<p>版本 <strong>{}</strong> → <strong>{}</strong>：新增 {} 个字段，删除 {} 个，变更 {} 个 / {} added, {} removed, {} changed.</p>\n",
        d.from,
        d.to,
        d.added.len(),
        d.removed.len(),
        d.changed.len(),
        d.added.len(),
        d.removed.len(),
        d.changed.len()
    );
    out.push_str("<h3 class=\"added\">新增字段 / added</h3>\n");
    let none = fields::Checked::new();
    out.push_str(&fields::table("diff-added", &d.subject, &d.added, &none));
    out.push_str("<h3 class=\"removed\">删除字段 / removed</h3>\n");
    out.push_str(&fields::table(
        "diff-removed",
        &d.subject,
        &d.removed,
        &none,
    ));
    out.push_str("<h3>变更字段 / changed</h3>\n");
    if d.changed.is_empty() {
        out.push_str("<p class=\"none\">无 / none</p>\n");
    } else {
        out.push_str("<table id=\"diff-changed\"><thead><tr><th>路径 path</th><th>变更 changes</th></tr></thead><tbody>\n");
        for c in &d.changed {
            let variant = c
                .variant
                .as_deref()
                .map(|v| format!(" <span class=\"tag\">{}</span>", escape(v)))
                .unwrap_or_default();
            let changes: String = c
                .changes
                .iter()
                .map(|x| format!("<li>{}</li>", escape(x)))
                .collect();
            out.push_str(&format!(
                "<tr><td class=\"path\"><code>{}</code>{variant}</td><td><ul>{changes}</ul></td></tr>\n",
                escape(&c.path)
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(&incompatibilities(
        "向后不兼容：新版本无法原样读取旧版本的数据 / backward: the newer version cannot read",
        &d.backward,
    ));
    out.push_str(&incompatibilities(
        "向前不兼容：旧版本会拒收新版本的数据 / forward: the older version cannot read",
        &d.forward,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tongban_schemas::registry::{Registry, VersionRef};

    fn doc(props: serde_json::Value, example: serde_json::Value) -> serde_json::Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "测试",
            "type": "object",
            "additionalProperties": false,
            "required": ["reason"],
            "properties": props,
            "examples": [example],
        })
    }

    #[test]
    fn renders_added_changed_and_escapes() {
        let mut reg = Registry::new();
        reg.register(
            "application.test",
            doc(
                json!({"reason": {"type": "string", "description": "理由"}}),
                json!({"reason": "x"}),
            ),
        )
        .expect("v1");
        reg.register(
            "application.test",
            doc(
                json!({
                    "reason": {"type": "string", "description": "理由 <b>新</b>"},
                    "note": {"type": "string", "description": "备注 <b>x</b>"}
                }),
                json!({"reason": "x", "note": "y"}),
            ),
        )
        .expect("v2");
        let d = reg
            .diff(
                "application.test",
                VersionRef::Number(1),
                VersionRef::Number(2),
            )
            .expect("diff");
        let html = render(&d);
        assert!(html.contains("新增 1 个字段"), "{html}");
        assert!(html.contains("<code>/note</code>"), "{html}");
        assert!(html.contains("description changed"), "{html}");
        assert!(!html.contains("<b>"), "unescaped markup: {html}");
        assert!(html.contains("备注 &lt;b&gt;x&lt;/b&gt;"), "{html}");
        let same = reg
            .diff(
                "application.test",
                VersionRef::Number(2),
                VersionRef::Number(2),
            )
            .expect("diff");
        assert!(render(&same).contains("no differences"));
    }
}
