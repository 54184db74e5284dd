//! `GET /registry/{subject}`: one subject's page. For every subject: its field table, its versions
//! with links to each JSON document, and a diff between any two (`?from=1&to=2`). For a matter also
//! its modes, statutory limits, required materials, the regions with adapters and an example.
//! `?version=N` shows the field table of an older version.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;
use tongban_schemas::Matter;
use tongban_schemas::matters::{self, RuleKind};
use tongban_schemas::registry::{
    Numeral, SubjectKind, VERSION_FORMS, VERSION_FORMS_ZH, VersionRef,
};

use super::{Page, RawQuery, diff, escape, fields, labels, query_params, url_component};
use crate::http::schemas::registry;

/// The version the query parameter `name` asks for, or the page that says why it names none: a
/// 400 for a value that cannot be a version (`abc`, `01`, ` 1`: how a version is written), a
/// 404 for a version number the subject does not have (`3`, `4294967296`: which it has). Both
/// name the parameter.
fn version_param(
    params: &BTreeMap<String, String>,
    name: &str,
    subject: &str,
    versions: &[u32],
) -> Result<Option<u32>, Page> {
    // Not trimmed: `?version=+1` arrives as " 1", another spelling of version 1.
    let Some(raw) = params
        .get(name)
        .map(String::as_str)
        .filter(|s| !s.is_empty())
    else {
        return Ok(None);
    };
    let latest = versions.last().copied().unwrap_or(1);
    let listed: Vec<String> = versions.iter().map(u32::to_string).collect();
    match VersionRef::parse(raw) {
        Some(VersionRef::Latest) => Ok(Some(latest)),
        Some(VersionRef::Number(n)) if versions.contains(&n) => Ok(Some(n)),
        None if Numeral::read(raw) == Numeral::Misspelt => Err(Page::error(
            StatusCode::BAD_REQUEST,
            "查询参数有误",
            "Malformed query",
            &match quoted(raw) {
                Some(shown) => format!(
                    "查询参数 {name} 的值 {shown} 不是版本号：版本号写作{VERSION_FORMS_ZH}。\
                     / query parameter {name}: {shown} is not a version; a version is written \
                     as {VERSION_FORMS}."
                ),
                None => format!(
                    "查询参数 {name} 的值不是版本号：版本号写作{VERSION_FORMS_ZH}。\
                     / query parameter {name}: the value is not a version; a version is \
                     written as {VERSION_FORMS}."
                ),
            },
        )),
        // A number, shown unquoted; with six digits in a row (a phone's, an ID number's) not
        // shown at all.
        _ => Err(Page::not_found(&match crate::http::shown::version(raw) {
            true => format!(
                "{subject} 没有版本 {raw}（查询参数 {name}；现有版本：{}）\
                 / {subject} has no version {raw} (query parameter {name}; it has {})",
                listed.join("、"),
                listed.join(", "),
            ),
            false => format!(
                "{subject} 没有该版本（查询参数 {name}；现有版本：{}）\
                 / {subject} has no version by that number (query parameter {name}; it has {})",
                listed.join("、"),
                listed.join(", "),
            ),
        })),
    }
}

/// A version the caller typed, quoted so that spaces show; none when it does not even have a
/// version's form (over 20 characters, six digits in a row, not ASCII): it may be an ID number or
/// a phone typed in the wrong place, which a page never shows.
fn quoted(raw: &str) -> Option<String> {
    crate::http::shown::quoted(raw, crate::http::shown::version)
}

fn json_href(subject: &str, version: &str) -> String {
    format!(
        "/v1/schemas/{}/versions/{}",
        url_component(subject),
        url_component(version)
    )
}

/// The matter's facts; `(shown, latest)`: the version whose fields the page shows, and the latest.
fn matter_section(m: &Matter, (shown, latest): (u32, u32)) -> String {
    let modes: String = m
        .modes
        .iter()
        .map(|mode| {
            format!(
                "<span class=\"chip\">{} <code>{}</code></span>",
                escape(mode.title_zh()),
                escape(mode.as_str())
            )
        })
        .collect();
    let applicants: String = m
        .applicant_kinds
        .iter()
        .map(|k| {
            let zh = match k.as_str() {
                "person" => "自然人",
                "organisation" => "法人或其他组织",
                _ => "",
            };
            format!(
                "<span class=\"tag\">{} {}</span>",
                escape(zh),
                escape(k.as_str())
            )
        })
        .collect();
    let l = m.limits;
    let mut out = format!(
        "<h2 id=\"matter\">事项信息 <span class=\"en\">Matter</span></h2>\n<p>{}</p>\n<dl class=\"facts\"><dt>事项编码 code</dt><dd><code>{}</code></dd><dt>办理模式 modes</dt><dd id=\"modes\">{modes}</dd><dt>申请人 applicants</dt><dd>{applicants}</dd></dl>\n",
        escape(m.description_zh),
        escape(m.code),
    );
    out.push_str(&format!(
        "<h2 id=\"limits\">法定时限 <span class=\"en\">Statutory limits (working days)</span></h2>\n<table id=\"limit-table\"><thead><tr><th>环节 stage</th><th>工作日 working days</th><th>依据 basis</th></tr></thead><tbody>\n<tr><td>补正告知 / 受理 acceptance</td><td>{}</td><td>行政许可法 第三十二条</td></tr>\n<tr><td>审查决定 decision</td><td>{}</td><td>行政许可法 第四十二条</td></tr>\n<tr><td>延长 extension (once)</td><td>+{}</td><td>行政许可法 第四十二条</td></tr>\n<tr><td>颁发、送达 issue</td><td>{}</td><td>行政许可法 第四十四条</td></tr>\n</tbody></table>\n",
        l.acceptance_days, l.decision_days, l.extension_days, l.issue_days
    ));
    out.push_str(
        "<h2 id=\"materials\">申请材料 <span class=\"en\">Required materials</span></h2>\n",
    );
    if m.materials.is_empty() {
        out.push_str("<p class=\"none\">无需材料 / none</p>\n");
    } else {
        out.push_str("<table id=\"material-table\"><thead><tr><th>材料 material</th><th>类型 kind</th><th>必要 required</th></tr></thead><tbody>\n");
        for r in m.materials {
            out.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
                escape(r.name_zh),
                escape(r.kind),
                if r.required {
                    "<span class=\"req\">必要 required</span>"
                } else {
                    "<span class=\"opt\">可选 optional</span>"
                }
            ));
        }
        out.push_str("</tbody></table>\n");
    }
    out.push_str(&rules_section(m, (shown, latest)));
    out
}

/// Every rule beyond the schema's structure (the route's, the identifier checks at each field
/// that carries one, the form's across fields), so a province's team reads what a finding's code
/// means and which field it names without reading the code.
fn rules_section(m: &Matter, (shown, latest): (u32, u32)) -> String {
    let mut out = String::from(
        "<h2 id=\"rules\">表单规则 <span class=\"en\">Rules beyond the schema: route, identifier checks, across fields</span></h2>\n",
    );
    // On an older version's page, whose version these are not (the note by its fields says why).
    if shown != latest {
        out.push_str(&format!(
            "<p class=\"note\" id=\"rules-today\">规则不分版本：此为网关今天的规则，用于新申请（按版本 {latest} 校验） / rules are not versioned: these are today's, for new submissions (validated under version {latest})</p>\n"
        ));
    }
    let rules = m.listed_rules();
    if rules.is_empty() {
        out.push_str("<p class=\"none\">无 / none</p>\n");
        return out;
    }
    out.push_str("<table id=\"rule-table\"><thead><tr><th>规则 rule</th><th>字段 field</th><th>类别 kind</th><th>要求 requirement</th></tr></thead><tbody>\n");
    for r in rules {
        let kind = match r.kind {
            RuleKind::Route => "路由 route".to_string(),
            RuleKind::Form => "表单 form".to_string(),
            RuleKind::Identity => match &r.check {
                Some(c) => format!(
                    "校验 check <code>{}</code> @ <code>{}</code>",
                    escape(c.name),
                    escape(&c.on)
                ),
                None => "校验 check".to_string(),
            },
        };
        let severity = if r.warning {
            " <span class=\"opt\">仅提示 warning</span>"
        } else {
            ""
        };
        out.push_str(&format!(
            "<tr class=\"rule\"><td><code>{}</code>{severity}</td><td><code>{}</code></td><td>{kind}</td><td>{}</td></tr>\n",
            escape(r.code),
            escape(&r.pointer),
            escape(r.rule_zh)
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

/// The identifier checks' rules of the version shown, `doc`: at the field that carries the check
/// (`/applicant`, whose `person` check names every rule of the person), and at the field each
/// rule's finding names (`/applicant/id_number` for `gb11643-checksum`), where the schema alone
/// shows only a pattern. From the version's own document, not the matter's current one: an
/// older version's rows show the checks its validator runs, not those a later version added.
fn checked(doc: &Value) -> fields::Checked {
    let mut out = fields::Checked::new();
    for r in matters::identity_rules(doc) {
        let Some(at) = &r.check else { continue };
        for path in [&at.on, &r.pointer] {
            let rules = out.entry(path.clone()).or_default();
            if !rules.contains(&(r.code, r.rule_zh)) {
                rules.push((r.code, r.rule_zh));
            }
        }
    }
    out
}

/// What an older version's page says of the rules beside its field table: the 表单规则 table
/// holds today's rules, which judge new submissions (all under the latest version), and rules
/// are not versioned, so nothing on the page tells what a form stored under the older version
/// was held to beyond its schema. Without it the table read as the older version's rules.
fn older_version_note(shown: u32, latest: u32) -> String {
    format!(
        "<p class=\"note\" id=\"older-version-rules\">版本 {shown} 不是最新版本（最新为版本 {latest}）。\
         字段行上的校验是版本 {shown} 文档自带的标识校验（x-tongban-check），以网关今天的校验规则列出。\
         上方“表单规则”表是网关今天对新申请执行的规则，新申请一律按版本 {latest} 校验。\
         规则不分版本：按版本 {shown} 提交的申请按当时的规则检查，登记处不保存当时的规则，\
         存储后也不按今天的规则重新检查。\
         / Version {shown} is not the latest (version {latest} is). The checks on its rows are the \
         identifier checks version {shown}'s own document carries (x-tongban-check), listed with \
         the rules the gateway's checks give today. The 表单规则 table above holds the rules \
         the gateway applies today to new submissions, which are all validated under version \
         {latest}. Rules are not versioned: applications submitted under version {shown} were \
         held to the rules of their day, which the registry does not keep, and are not checked \
         again under today's.</p>\n"
    )
}

fn adapters_section(m: &Matter) -> String {
    let mut out = String::from(
        "<h2 id=\"adapters\">地区适配器 <span class=\"en\">Region adapters</span></h2>\n",
    );
    let adapters = crate::adapters::for_matter(m.code);
    if adapters.is_empty() {
        out.push_str("<p class=\"none\" id=\"no-adapters\">尚无适配器 / no adapters yet</p>\n");
        return out;
    }
    out.push_str(&format!(
        "<p class=\"json\"><a id=\"adapters-json\" href=\"/v1/adapters?matter={}\">JSON</a></p>\n",
        escape(m.code)
    ));
    out.push_str("<table id=\"adapter-table\"><thead><tr><th>地区 region</th><th>名称 name</th><th>本地表单 local form</th><th>规范版本 canonical version</th><th>字段表 fields</th></tr></thead><tbody>\n");
    for a in adapters {
        out.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td><a href=\"{}\">JSON</a></td></tr>\n",
            escape(&a.region),
            escape(&a.region_name),
            escape(&a.local_form),
            a.canonical_version,
            escape(&crate::http::adapters::href(&a.region, m.code))
        ));
    }
    out.push_str("</tbody></table>\n");
    out
}

/// The versions table and the compare form. What the page was asked for is carried along: the
/// table's field-table links keep `from`/`to` (the diff shown stays), and the form keeps
/// `version` (the field table shown stays) in a hidden input.
fn versions_section(
    subject: &str,
    versions: &[u32],
    (shown, asked): (u32, Option<u32>),
    from: Option<u32>,
    to: Option<u32>,
) -> String {
    let reg = registry();
    let config = reg.config(subject).unwrap_or_default();
    let mut out = format!(
        "<h2 id=\"versions\">版本 <span class=\"en\">Versions</span></h2>\n<p>兼容策略 / compatibility policy: <code>{}</code> · 开放对象 / open objects: <code>{}</code></p>\n<table id=\"version-table\"><thead><tr><th>版本 version</th><th>标题 title</th><th>JSON</th><th>字段 fields</th></tr></thead><tbody>\n",
        escape(config.compatibility.as_str()),
        match config.open_objects {
            tongban_schemas::registry::OpenObjects::Strict => "strict",
            tongban_schemas::registry::OpenObjects::Lenient => "lenient",
        }
    );
    let compared: String = [("from", from), ("to", to)]
        .iter()
        .filter_map(|(name, v)| v.map(|v| format!("&amp;{name}={v}")))
        .collect();
    for v in versions {
        let title = reg
            .schema(subject, VersionRef::Number(*v))
            .and_then(|d| d.get("title"))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let marker = if *v == shown {
            " (当前显示 shown)"
        } else {
            ""
        };
        out.push_str(&format!(
            "<tr><td>{v}{marker}</td><td>{}</td><td><a href=\"{}\">{}/{v}.json</a></td><td><a href=\"?version={v}{compared}#fields\">字段表 fields</a></td></tr>\n",
            escape(title),
            escape(&json_href(subject, &v.to_string())),
            escape(subject),
        ));
    }
    out.push_str("</tbody></table>\n");

    let options = |selected: u32| -> String {
        versions
            .iter()
            .map(|v| {
                let sel = if *v == selected { " selected" } else { "" };
                format!("<option value=\"{v}\"{sel}>{v}</option>")
            })
            .collect()
    };
    let latest = versions.last().copied().unwrap_or(1);
    let first = versions.first().copied().unwrap_or(1);
    out.push_str(&format!(
        "<h2 id=\"diff\">版本比较 <span class=\"en\">Compare versions</span></h2>\n<form method=\"get\" action=\"#diff\">{}<label>从 from <select name=\"from\">{}</select></label> <label>到 to <select name=\"to\">{}</select></label> <button type=\"submit\">比较 Compare</button></form>\n",
        asked
            .map(|v| format!("<input type=\"hidden\" name=\"version\" value=\"{v}\">"))
            .unwrap_or_default(),
        options(from.unwrap_or(first)),
        options(to.unwrap_or(latest)),
    ));
    if from.is_none() && to.is_none() {
        if versions.len() < 2 {
            out.push_str("<p class=\"none\">只有一个版本，暂无可比较的差异 / only one version so far: nothing to compare.</p>\n");
        }
        return out;
    }
    let (a, b) = (from.unwrap_or(first), to.unwrap_or(latest));
    // From the older to the newer, whichever way they were picked: the comparison judges what a
    // newer version does to data stored under the older (and advises upcasters that way), which
    // read backwards would advise an upcaster from the newer to the older.
    let (a, b) = if a > b {
        out.push_str(&format!(
            "<p class=\"note\">按旧版本到新版本比较：版本 {b} → {a} / compared from the older version to the newer: {b} → {a}</p>\n"
        ));
        (b, a)
    } else {
        (a, b)
    };
    match reg.diff(subject, VersionRef::Number(a), VersionRef::Number(b)) {
        Ok(d) => {
            out.push_str("<div id=\"diff-result\">\n");
            out.push_str(&diff::render(&d));
            out.push_str("</div>\n");
        }
        Err(e) => out.push_str(&format!(
            "<p class=\"notice\">{}</p>\n",
            escape(&e.to_string())
        )),
    }
    out
}

/// The subject's page; a matter's code where its subject belongs (`/registry/hukou-transfer`, as
/// the page shows 事项编码) is sent to the matter's page, `/registry/matter.hukou-transfer`.
/// Whether `/registry/<name>` is a page: a subject of the registry, or a matter's code (which
/// leads to its subject).
pub fn is_page(name: &str) -> bool {
    registry().versions(name).is_some() || matters::get(name).is_some()
}

pub async fn page(
    subject: Result<Path<String>, axum::extract::rejection::PathRejection>,
    uri: Uri,
    query: RawQuery,
) -> Response {
    if let Ok(Path(code)) = &subject
        && registry().versions(code).is_none()
        && let Some(m) = matters::get(code)
    {
        let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        let to = format!(
            "{}{query}",
            super::subject_href(&format!("matter.{}", m.code))
        );
        return Redirect::permanent(&to).into_response();
    }
    subject_page(subject, query).into_response()
}

fn subject_page(
    subject: Result<Path<String>, axum::extract::rejection::PathRejection>,
    query: RawQuery,
) -> Page {
    // A page answers a page, also for a path that does not read (not UTF-8).
    let Ok(Path(subject)) = subject else {
        return Page::not_found("没有这个主题 / no schema subject by that name");
    };
    let params = match query_params(query, &["version", "from", "to"]) {
        Ok(p) => p,
        Err(page) => return page,
    };
    let reg = registry();
    let Some(versions) = reg.versions(&subject) else {
        // Quoted only in a subject's form: what was typed in the path may be personal data.
        return Page::not_found(
            &match crate::http::shown::quoted(&subject, crate::http::shown::code) {
                Some(subject) => format!("没有这个主题 / no schema subject {subject}"),
                None => "没有这个主题 / no schema subject by that name".to_string(),
            },
        );
    };
    let latest = versions.last().copied().unwrap_or(1);
    let picked = (|| {
        Ok::<_, Page>((
            version_param(&params, "version", &subject, &versions)?,
            version_param(&params, "from", &subject, &versions)?,
            version_param(&params, "to", &subject, &versions)?,
        ))
    })();
    let (asked, from, to) = match picked {
        Ok(picked) => picked,
        Err(page) => return page,
    };
    let shown = asked.unwrap_or(latest);
    let doc = reg
        .schema(&subject, VersionRef::Number(shown))
        .cloned()
        .unwrap_or_default();
    let field_rows = match reg.fields(&subject, VersionRef::Number(shown)) {
        Ok(f) => f,
        Err(e) => {
            return Page::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "无法读取字段",
                "Cannot read the fields",
                &e.to_string(),
            );
        }
    };
    let matter = match SubjectKind::of(&subject) {
        SubjectKind::Matter => subject.strip_prefix("matter.").and_then(matters::get),
        _ => None,
    };
    let description = doc
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut main = match matter {
        Some(m) => format!(
            "<h1 id=\"title\">{} <span class=\"en\">{}</span></h1>\n<p class=\"sub\"><code>{}</code> · 事项 matter</p>\n",
            escape(m.title_zh),
            escape(m.title_en),
            escape(&subject)
        ),
        None => {
            // An event's one name (the index shows the same), and what its description says
            // beside its own name for it; otherwise `补正告知: everything missing …` → heading
            // 补正告知, the whole sentence below it.
            let event = labels::event(&subject, description)
                .filter(|_| SubjectKind::of(&subject) == SubjectKind::Event);
            let (heading, description) = match &event {
                Some((name, rest)) => (*name, rest.as_str()),
                None => (
                    description
                        .split([':', '：', '(', '（'])
                        .next()
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .unwrap_or(&subject),
                    description,
                ),
            };
            format!(
                "<h1 id=\"title\">{} <span class=\"en\"><code>{}</code></span></h1>\n<p class=\"sub\">生命周期事件 lifecycle event payload · {}</p>\n<p>{}</p>\n",
                escape(heading),
                escape(&subject),
                escape(doc.get("title").and_then(Value::as_str).unwrap_or_default()),
                escape(description),
            )
        }
    };
    main.push_str(&format!(
        "<p class=\"json-links\">JSON: <a href=\"{}\">最新文档 latest document</a> <a href=\"{}\">版本列表 versions</a>{} <a href=\"/registry\">← 全部 all subjects</a></p>\n",
        escape(&json_href(&subject, "latest")),
        escape(&format!("/v1/schemas/{}/versions", url_component(&subject))),
        if matter.is_some() {
            " <a href=\"/v1/matters\">/v1/matters</a>"
        } else {
            ""
        }
    ));
    if let Some(m) = matter {
        main.push_str(&matter_section(m, (shown, latest)));
    }
    main.push_str(&format!(
        "<h2 id=\"fields\">字段 <span class=\"en\">Fields (version {shown}, {} rows)</span></h2>\n",
        field_rows.len()
    ));
    if matter.is_some() && shown != latest {
        main.push_str(&older_version_note(shown, latest));
    }
    main.push_str(&fields::table(
        "field-table",
        &subject,
        &field_rows,
        &matter.map(|_| checked(&doc)).unwrap_or_default(),
    ));
    main.push_str(&versions_section(
        &subject,
        &versions,
        (shown, asked),
        from,
        to,
    ));
    if let Some(m) = matter {
        main.push_str(&adapters_section(m));
        let example = serde_json::to_string_pretty(&m.example()).unwrap_or_default();
        main.push_str(&format!(
            "<h2 id=\"example\">示例 <span class=\"en\">Example submission</span></h2>\n<details><summary>完整示例申请（可直接 POST /v1/applications）/ a complete example body</summary><pre>{}</pre></details>\n",
            escape(&example)
        ));
    }
    let title = match (matter, tongban_schemas::events::title_zh(&subject)) {
        (Some(m), _) => format!("{} {}", m.title_zh, subject),
        (None, Some(zh)) => format!("{zh} {subject}"),
        (None, None) => subject.clone(),
    };
    Page::ok(title, main)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given a version's document whose person carries no identifier check (as a version
    /// published before the check would), when its rows' rules are read, then neither the
    /// applicant's row nor the ID number's lists the check's rules, though the matter's
    /// current document (and so the 表单规则 table) has them: each version's rows show what
    /// its own document has its validator run.
    #[test]
    fn a_versions_rows_list_the_checks_its_own_document_carries() {
        let m = matters::get("hukou-transfer").expect("hukou-transfer");
        let today = checked(m.schema());
        assert!(
            today
                .get("/applicant/id_number")
                .is_some_and(|r| r.iter().any(|(code, _)| *code == "gb11643-checksum")),
            "{today:?}"
        );
        let mut older = m.schema().clone();
        older["$defs"]["PersonApplicant"]
            .as_object_mut()
            .expect("the person applicant")
            .remove("x-tongban-check");
        let then = checked(&older);
        assert!(!then.contains_key("/applicant"), "{then:?}");
        assert!(!then.contains_key("/applicant/id_number"), "{then:?}");
        // The other checks of that document are still listed at their fields.
        assert!(
            then.contains_key("/form/move_in_address/division"),
            "{then:?}"
        );
    }
}
