//! `GET /registry`: every matter and event subject, searchable by code or Chinese/English title
//! (`?q=`, filtered on the server so the page needs no script).

use serde_json::Value;
use tongban_schemas::matters::{self, Matter};
use tongban_schemas::registry::{SubjectKind, SubjectSummary, VersionRef};

use super::{Page, RawQuery, aliases, escape, isolated, labels, query_params, subject_href};
use crate::http::schemas::registry;

/// Whether every whitespace-separated term of `q` (lowercase) is a substring of one of `texts`,
/// ignoring case: `pension transfer` finds "Pension insurance transfer", as a search box is
/// expected to, though the words are not adjacent. An empty query matches all.
fn matches(q: &str, texts: &[&str]) -> bool {
    let texts: Vec<String> = texts.iter().map(|t| t.to_lowercase()).collect();
    q.split_whitespace()
        .all(|term| texts.iter().any(|t| t.contains(term)))
}

/// The description of `subject`'s latest document, as published.
fn published_description(subject: &str) -> &'static str {
    registry()
        .schema(subject, VersionRef::Latest)
        .and_then(|d| d.get("description"))
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// An event's one name and what its description `d` says beside it ([`labels::event`]), as its
/// own page shows them; another subject's description as it is.
fn description(subject: &str, d: &str) -> String {
    match labels::event(subject, d) {
        Some((name, rest)) if rest.is_empty() => name.to_string(),
        Some((name, rest)) if rest.starts_with('(') => format!("{name} {rest}"),
        Some((name, rest)) => format!("{name}: {rest}"),
        None => d.to_string(),
    }
}

fn matter_rows(q: &str, subjects: &[SubjectSummary]) -> (usize, String) {
    let found: Vec<&Matter> = matters::all()
        .iter()
        .filter(|m| {
            let subject = m.subject();
            let mut texts: Vec<&str> =
                vec![m.code, &subject, m.title_zh, m.title_en, m.description_zh];
            for alias in aliases::of(m.code) {
                texts.push(alias);
            }
            matches(q, &texts)
        })
        .collect();
    let rows = found
        .iter()
        .map(|m| {
            let subject = m.subject();
            let latest = subjects
                .iter()
                .find(|s| s.subject == subject)
                .map(|s| s.latest.to_string())
                .unwrap_or_else(|| "—".into());
            let modes: String = m
                .modes
                .iter()
                .map(|mode| format!("<span class=\"chip\">{}</span>", escape(mode.title_zh())))
                .collect();
            format!(
                "<tr class=\"matter\"><td><a href=\"{href}\"><code>{code}</code></a></td><td class=\"title-zh\"><a href=\"{href}\">{zh}</a></td><td>{en}</td><td>{modes}</td><td>{latest}</td></tr>\n",
                href = escape(&subject_href(&subject)),
                code = escape(m.code),
                zh = escape(m.title_zh),
                en = escape(m.title_en),
                latest = escape(&latest),
            )
        })
        .collect();
    (found.len(), rows)
}

fn event_rows(q: &str, subjects: &[SubjectSummary]) -> (usize, String) {
    // Found by what the row shows, and by the words the published description names the event
    // with (`出证`, `挂起`, `申请提交`), which the row puts the one name of in place of.
    let found: Vec<(&SubjectSummary, String)> = subjects
        .iter()
        .filter(|s| s.kind != SubjectKind::Matter)
        .filter_map(|s| {
            let published = published_description(&s.subject);
            let shown = description(&s.subject, published);
            matches(q, &[&s.subject, &s.title, &shown, published]).then_some((s, shown))
        })
        .collect();
    let rows = found
        .iter()
        .map(|(s, d)| {
            format!(
                "<tr class=\"event\"><td><a href=\"{href}\"><code>{subject}</code></a></td><td>{d}</td><td>{title}</td><td>{latest}</td></tr>\n",
                href = escape(&subject_href(&s.subject)),
                subject = escape(&s.subject),
                d = escape(d),
                title = escape(&s.title),
                latest = s.latest,
            )
        })
        .collect();
    (found.len(), rows)
}

pub async fn page(query: RawQuery) -> Page {
    let params = match query_params(query, &["q"]) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let raw_q = params.get("q").map(|q| q.trim()).unwrap_or_default();
    let q = raw_q.to_lowercase();
    let subjects = registry().subjects();
    let (n_matters, matters) = matter_rows(&q, &subjects);
    let (n_events, events) = event_rows(&q, &subjects);

    let mut main = String::from(
        "<h1>模式注册表 <span class=\"en\">Schema registry</span></h1>\n<p class=\"sub\">跨省通办事项的规范表单与生命周期事件的 JSON Schema，含版本与兼容性规则 / canonical matter forms and lifecycle event payloads, versioned, with compatibility rules.</p>\n",
    );
    main.push_str("<p class=\"json-links\">JSON: <a href=\"/v1/schemas\">/v1/schemas</a> <a href=\"/v1/matters\">/v1/matters</a> <a href=\"/openapi.json\">/openapi.json</a></p>\n");
    main.push_str(&format!(
        "<form class=\"search\" method=\"get\" action=\"/registry\" role=\"search\"><label for=\"q\">搜索 / Search </label><input type=\"search\" id=\"q\" name=\"q\" value=\"{}\" placeholder=\"事项编码、中文或英文名称 / code or title\"> <button type=\"submit\">搜索 Search</button></form>\n",
        escape(raw_q)
    ));
    if !raw_q.is_empty() {
        main.push_str(&format!(
            "<p id=\"result-count\">“{}” 的结果：{n_matters} 个事项，{n_events} 个事件 / {n_matters} matter(s), {n_events} event subject(s). <a href=\"/registry\">清除 / clear</a> · <a href=\"/v1/schemas\">JSON</a></p>\n",
            isolated(raw_q)
        ));
    }

    main.push_str(&format!(
        "<h2 id=\"matters\">事项 <span class=\"en\">Matters ({n_matters})</span></h2>\n"
    ));
    if n_matters == 0 {
        main.push_str("<p class=\"none\">没有匹配的事项 / no matching matters</p>\n");
    } else {
        main.push_str("<table id=\"matter-list\"><thead><tr><th>编码 code</th><th>事项名称</th><th>English</th><th>办理模式 modes</th><th>最新版本 latest</th></tr></thead><tbody>\n");
        main.push_str(&matters);
        main.push_str("</tbody></table>\n");
    }

    main.push_str(&format!(
        "<h2 id=\"events\">事件 <span class=\"en\">Event subjects ({n_events})</span></h2>\n"
    ));
    if n_events == 0 {
        main.push_str("<p class=\"none\">没有匹配的事件 / no matching event subjects</p>\n");
    } else {
        main.push_str("<table id=\"event-list\"><thead><tr><th>主题 subject</th><th>说明</th><th>标题 title</th><th>最新版本 latest</th></tr></thead><tbody>\n");
        main.push_str(&events);
        main.push_str("</tbody></table>\n");
    }
    let title = if raw_q.is_empty() {
        "模式注册表 Schema registry".to_string()
    } else {
        format!("搜索 {raw_q}")
    };
    Page::ok(title, main)
}
