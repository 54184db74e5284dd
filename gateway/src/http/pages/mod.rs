//! The registry's web pages (`/registry…`): server-rendered HTML for people reviewing matters and
//! event schemas. No scripts, no external assets: every page is one self-contained UTF-8 document,
//! so it works on an air-gapped government network and in a headless browser alike.
//!
//! Everything interpolated into a page goes through [`escape`] (text and attributes) or
//! [`url_component`] (inside URLs), including values that come from the registry itself.

mod aliases;
pub mod catalogue;
mod diff;
mod fields;
mod labels;
pub mod refused;
pub mod subject;

use std::collections::BTreeMap;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text a caller or a party wrote (a search, a reason, a number, an actor, a region's name) as
/// a page shows it: escaped and isolated in a `<bdi>`, so that a bidirectional control in it (a
/// right-to-left override, [`tongban_schemas::unseen::is_bidi_control`]) reorders nothing
/// outside it, and a name in a right-to-left script (Uyghur in Arabic script) reads in its own
/// direction without turning the text around it.
pub fn isolated(s: &str) -> String {
    format!("<bdi>{}</bdi>", escape(s))
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one path segment or query value.
pub fn url_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The link to a subject's page.
pub fn subject_href(subject: &str) -> String {
    format!("/registry/{}", url_component(subject))
}

/// An HTML page: its status, `<title>` and the inside of `<main>` (already escaped HTML).
pub struct Page {
    pub status: StatusCode,
    pub title: String,
    pub main: String,
}

impl Page {
    pub fn ok(title: impl Into<String>, main: String) -> Page {
        Page {
            status: StatusCode::OK,
            title: title.into(),
            main,
        }
    }

    /// An error page that names the problem in Chinese and English, and its status (a saved
    /// page no longer has the answer's).
    pub fn error(status: StatusCode, heading_zh: &str, heading_en: &str, detail: &str) -> Page {
        Page {
            status,
            title: format!("{heading_zh} / {heading_en}"),
            main: format!(
                "<h1>{} <span class=\"en\">{}</span></h1>\n<p class=\"sub\">HTTP {}</p>\n<p class=\"notice\">{}</p>\n<p><a href=\"/registry\">← 返回注册表 / back to the registry</a></p>\n",
                escape(heading_zh),
                escape(heading_en),
                status.as_u16(),
                escape(detail)
            ),
        }
    }

    pub fn not_found(detail: &str) -> Page {
        Page::error(StatusCode::NOT_FOUND, "未找到", "Not found", detail)
    }
}

const STYLE: &str = r#"
:root { --ink:#1f2933; --muted:#5f6b7a; --line:#d9dee5; --accent:#b3261e; --bg:#ffffff; --soft:#f5f7fa; --ok:#1b7f3b; }
* { box-sizing: border-box; }
body { margin:0; color:var(--ink); background:var(--bg);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; }
header.top { background:var(--accent); color:#fff; padding:12px 28px; display:flex; gap:24px; align-items:baseline; }
header.top a { color:#fff; text-decoration:none; }
header.top .brand { font-size:20px; font-weight:700; letter-spacing:1px; }
main { padding:20px 28px 40px; max-width:1240px; }
body { overflow-wrap:anywhere; }
header.top { flex-wrap:wrap; row-gap:4px; }
.scroll { overflow-x:auto; margin:6px 0 12px; }
.scroll > table { margin:0; }
h1 { font-size:26px; margin:8px 0 4px; }
h2 { font-size:19px; margin:28px 0 8px; padding-bottom:4px; border-bottom:2px solid var(--line); }
.en { color:var(--muted); font-weight:400; font-size:0.8em; margin-left:6px; }
.sub { color:var(--muted); margin:0 0 12px; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size:13px; }
code { background:var(--soft); padding:1px 4px; border-radius:3px; }
pre { background:var(--soft); padding:12px; overflow:auto; border:1px solid var(--line); border-radius:4px; }
table { border-collapse:collapse; width:100%; margin:6px 0 12px; }
th, td { border:1px solid var(--line); padding:6px 8px; text-align:left; vertical-align:top; }
th { background:var(--soft); font-weight:600; white-space:nowrap; }
tr:nth-child(even) td { background:#fbfcfd; }
td.path { min-width:15em; }
table.fields td { overflow-wrap:anywhere; }
td.path code { background:none; padding:0; overflow-wrap:anywhere; }
.tag { display:inline-block; border:1px solid var(--line); border-radius:10px; padding:0 8px; font-size:12px; color:var(--muted); margin:2px 4px 2px 0; }
.chip { display:inline-block; background:#fde8e6; color:var(--accent); border-radius:10px; padding:1px 10px; margin:2px 6px 2px 0; font-size:13px; }
.req { color:var(--accent); font-weight:700; }
.opt { color:var(--muted); }
.notice { background:#fff8e1; border:1px solid #f0d98c; padding:10px 14px; border-radius:4px; }
.none { color:var(--muted); font-style:italic; }
.json-links a { margin-right:14px; }
form.search input[type=search] { width:420px; max-width:70%; padding:7px 10px; font-size:15px; border:1px solid var(--line); border-radius:4px; }
button, select { padding:6px 12px; font-size:14px; }
dl.facts { display:grid; grid-template-columns: max-content minmax(0, 1fr); gap:4px 16px; margin:8px 0; }
dl.facts dt { color:var(--muted); }
dl.facts dd { margin:0; }
.added { color:var(--ok); } .removed { color:var(--accent); }
footer { color:var(--muted); font-size:13px; padding:12px 28px; border-top:1px solid var(--line); }
@media (max-width: 600px) {
  header.top { padding:10px 12px; column-gap:14px; }
  main { padding:12px 12px 28px; }
  footer { padding:12px; }
  form.search input[type=search] { width:100%; max-width:none; }
}
"#;

/// What every page's footer says: which of what the pages show has a JSON counterpart (the
/// subjects, their versions and documents) and which has none (the search, the version diff,
/// whose compatibility verdict the compatibility route gives for a posted document).
const FOOTER: &str = "跨省通办联邦网关 · 模式注册表 — tongban federation gateway, schema registry. \
主题、版本和模式文档另有 JSON 版本（<a href=\"/v1/schemas\">/v1/schemas</a>）；搜索结果和版本比较只有网页，\
版本间的兼容性判定可将文档 POST 到 <code>/v1/schemas/{主题}/compatibility</code> / subjects, versions \
and schema documents have JSON counterparts (<a href=\"/v1/schemas\">/v1/schemas</a>); search results \
and version diffs are pages only: for a compatibility verdict, POST a document to \
<code>/v1/schemas/{subject}/compatibility</code>.";

/// `main` with every table in a box of its own that scrolls sideways: on a narrow screen (a
/// phone, a window 360 px wide) a wide table scrolls inside it, and the page, its headings and
/// its text keep to the screen's width instead of the whole page scrolling sideways. Every
/// table of the pages is markup of this module's own (what is interpolated is escaped, so no
/// value holds a `<table`), which is why the boxes are added here, once, for all of them.
fn tables_scroll(main: &str) -> String {
    main.replace("<table", "<div class=\"scroll\"><table")
        .replace("</table>", "</table></div>")
}

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title} · tongban 模式注册表</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header class=\"top\"><a class=\"brand\" href=\"/registry\">通办 tongban</a><a href=\"/registry\">模式注册表 / Schema registry</a><a href=\"/v1/schemas\">JSON</a><a href=\"/openapi.json\">OpenAPI</a></header>\n<main>\n{main}</main>\n<footer>{FOOTER}</footer>\n</body>\n</html>\n",
            title = escape(&self.title),
            main = tables_scroll(&self.main),
        );
        let mut res = (self.status, html).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        res
    }
}

/// A page's query string, as sent: every name and value, in order (duplicates kept, so that
/// [`query_params`] can refuse them).
pub type RawQuery = Result<Query<Vec<(String, String)>>, QueryRejection>;

/// The query string of a page as name → value, or a 400 page when it cannot be read, names a
/// parameter the page does not take (`?foo=bar` was ignored, the page shown as if not asked)
/// or gives one twice (`?version=1&version=2` used the last): the pages' one reader, refusing
/// what `/ui/applications/{id}` and the API's routes refuse.
pub fn query_params(query: RawQuery, takes: &[&str]) -> Result<BTreeMap<String, String>, Page> {
    let refused = |detail: String| {
        Page::error(
            StatusCode::BAD_REQUEST,
            "查询参数有误",
            "Malformed query",
            &detail,
        )
    };
    let Query(pairs) = query.map_err(|e| refused(e.body_text()))?;
    let mut params = BTreeMap::new();
    for (name, value) in pairs {
        if !takes.contains(&name.as_str()) {
            // A made-up name may hold anything typed into it: shown only when it has a
            // parameter name's form, as the API does.
            let name = crate::http::shown::name(&name);
            let takes = match takes {
                [] => (
                    "不接受任何查询参数".to_string(),
                    "no query parameters".to_string(),
                ),
                _ => (
                    format!("只接受 {}", takes.join("、")),
                    format!("only {}", takes.join(", ")),
                ),
            };
            return Err(refused(format!(
                "未定义的查询参数 {name}：本页{} / unknown query parameter {name}: this page takes {}",
                takes.0, takes.1
            )));
        }
        if params.insert(name.clone(), value).is_some() {
            return Err(refused(format!(
                "查询参数 {name} 出现了不止一次：只能给一次 / query parameter {name} is given \
                 more than once: send it once"
            )));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("户口迁移"), "户口迁移");
    }

    #[test]
    fn encodes_url_components() {
        assert_eq!(
            url_component("matter.hukou-transfer"),
            "matter.hukou-transfer"
        );
        assert_eq!(url_component("a b/\"<"), "a%20b%2F%22%3C");
        assert_eq!(url_component("户"), "%E6%88%B7");
    }
}
