//! The registry pages in a real browser: headless Chromium (Debian's `chromium`, which
//! `scripts/test` installs) loads the pages from the real gateway, and the test checks the DOM it
//! rendered and the screenshots it took.
//!
//! The screenshot check is deliberately simple: a valid PNG of the requested size whose file is
//! many times larger than a screenshot of a blank page taken the same way, so a page that failed to
//! render (blank, or a single flat colour, which compresses to almost nothing) fails the test.
//! Set `TONGBAN_SCREENSHOTS` to a directory to keep the screenshots for a look.
//!
//! Without Chromium the test fails, telling how to install it: a browser test that silently passes
//! would prove nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Gateway, TempDir};

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 1600;
/// A rendered page's screenshot must be at least this many times larger than a blank page's.
const BLANK_FACTOR: u64 = 5;

fn chromium() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromium"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "chromium is not installed (not found on PATH). The browser test needs Debian's \
             `chromium` package: run ./scripts/test, which installs it, or \
             `apt-get update && apt-get install -y chromium`."
        )
    })
}

/// Runs headless Chromium with a fresh profile and the flags that keep it off the network except
/// for the page itself; kills it after a minute.
fn run_chromium(profile: &Path, extra: &[String], url: &str) -> Output {
    let mut cmd = Command::new(chromium());
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--window-size={WIDTH},{HEIGHT}"))
    .args(extra)
    .arg(url)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let out = child.wait_with_output().expect("chromium output");
                panic!(
                    "chromium did not finish within a minute on {url}; stderr:\n{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        }
    }
    let out = child.wait_with_output().expect("chromium output");
    assert!(
        out.status.success(),
        "chromium failed on {url} ({}); stderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn screenshot(dir: &Path, name: &str, url: &str) -> (PathBuf, u64) {
    let file = dir.join(format!("{name}.png"));
    let profile = dir.join(format!("profile-{name}"));
    run_chromium(&profile, &[format!("--screenshot={}", file.display())], url);
    let bytes = std::fs::read(&file).unwrap_or_else(|e| panic!("no screenshot of {url}: {e}"));
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{name}.png has no PNG signature"
    );
    assert_eq!(
        &bytes[12..16],
        b"IHDR",
        "{name}.png does not start with IHDR"
    );
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    assert_eq!((be(16), be(20)), (WIDTH, HEIGHT), "{name}.png dimensions");
    if let Some(keep) = std::env::var_os("TONGBAN_SCREENSHOTS") {
        let keep = PathBuf::from(keep);
        let _ = std::fs::create_dir_all(&keep);
        let _ = std::fs::copy(&file, keep.join(format!("{name}.png")));
    }
    (file, bytes.len() as u64)
}

fn dump_dom(dir: &Path, name: &str, url: &str) -> String {
    let profile = dir.join(format!("profile-dom-{name}"));
    let out = run_chromium(&profile, &["--dump-dom".to_string()], url);
    String::from_utf8(out.stdout).expect("DOM is UTF-8")
}

#[test]
fn registry_pages_render_in_headless_chromium() {
    let dir = TempDir::new("browser");
    let shots = dir.0.join("shots");
    std::fs::create_dir_all(&shots).expect("shots dir");
    let gw = Gateway::start(&dir.0.join("data"), true);
    let base = format!("http://{}", gw.addr);
    let matters = gw.client(None).get("/v1/matters").json();
    let matters = matters["matters"].as_array().expect("matters").clone();
    assert_eq!(matters.len(), 8);

    // The list page: every matter's Chinese and English title, and the event subjects.
    let dom = dump_dom(&shots, "list", &format!("{base}/registry"));
    for m in &matters {
        for key in ["title_zh", "title_en"] {
            let title = m[key].as_str().expect("title");
            assert!(dom.contains(title), "list page lacks {title}");
        }
    }
    assert_eq!(dom.matches("<tr class=\"matter\">").count(), 8);
    assert_eq!(dom.matches("<tr class=\"event\">").count(), 15);
    assert!(dom.contains("模式注册表") && dom.contains("事项名称"));

    // Search is done on the server: the browser gets only the match.
    let dom = dump_dom(
        &shots,
        "search",
        &format!("{base}/registry?q=%E5%A4%B1%E4%B8%9A"),
    );
    assert_eq!(dom.matches("<tr class=\"matter\">").count(), 1);
    assert!(dom.contains("失业登记"));
    // Several words, as typed into the box: each is looked for, not the phrase.
    let dom = dump_dom(
        &shots,
        "search-words",
        &format!("{base}/registry?q=pension+transfer"),
    );
    assert_eq!(dom.matches("<tr class=\"matter\">").count(), 1);
    assert!(dom.contains("Pension insurance transfer"));

    // A matter's page: title, field table rows, Chinese labels, facts, region adapters.
    let hukou = format!("{base}/registry/matter.hukou-transfer");
    let dom = dump_dom(&shots, "hukou", &hukou);
    assert!(dom.contains("户口迁移") && dom.contains("Household registration"));
    let rows = dom.matches("<tr class=\"field\">").count();
    assert!(rows >= 20, "only {rows} field rows");
    for label in [
        "中文标题",
        "必填",
        "法定时限",
        "申请材料",
        "办理模式",
        "多地联办",
    ] {
        assert!(dom.contains(label), "matter page lacks {label}");
    }
    assert!(dom.contains("<code>/applicant/id_number</code>"));
    // The rules beyond the schema: route, identifier checks and the form's, in one table.
    for rule in [
        "duplicate-handler",
        "gb11643-checksum",
        "sex-mismatch",
        "region-code",
    ] {
        assert!(
            dom.contains(&format!("<code>{rule}</code>")),
            "matter page lacks the rule {rule}"
        );
    }
    assert!(dom.contains("居民户口簿"), "required material listed");
    // The latest version's page says nothing of older versions' rules.
    assert!(!dom.contains("older-version-rules") && !dom.contains("rules-today"));
    // An older version's page: the rules listed are today's, not version 1's.
    let dom = dump_dom(&shots, "hukou-v1", &format!("{hukou}?version=1"));
    assert!(
        dom.contains("id=\"older-version-rules\"")
            && dom.contains("版本 1 不是最新版本（最新为版本 2）")
            && dom.contains("Rules are not versioned"),
        "version 1's page says whose rules it lists"
    );
    assert!(
        dom.contains(
            "rules are not versioned: these are today's, for new submissions (validated under version 2)"
        ),
        "under the 表单规则 heading"
    );
    // Adapters from the adapters crate: 浙江 and 四川 have hukou-transfer specs.
    assert!(dom.contains("adapter-table") && dom.contains("浙江省") && dom.contains("四川省"));

    // The diff between two versions, as a maintainer or a province reads it: each
    // incompatibility's rule in Chinese beside its machine name, and whom it affects.
    let dom = dump_dom(
        &shots,
        "diff",
        &format!("{base}/registry/matter.hukou-transfer?from=1&to=2"),
    );
    assert!(
        dom.contains("向前不兼容：旧版本会拒收新版本的数据"),
        "diff heading"
    );
    assert!(dom.contains("<th>影响 affects</th>"), "affects column");
    assert!(
        dom.contains(
            "旧版本封闭对象不接受新增字段<br><code>property-added-to-closed-object</code>"
        ),
        "the rule's Chinese label: a field the newer version added, not one removed"
    );
    assert!(
        dom.contains("仍按版本 1 校验的各方"),
        "whom the forward incompatibility hurts"
    );

    // Screenshots: right size, valid PNG, and clearly more than a blank page.
    let (_, blank) = screenshot(&shots, "blank", "about:blank");
    for (name, url) in [
        ("registry", format!("{base}/registry")),
        ("hukou-transfer", hukou),
    ] {
        let (_, size) = screenshot(&shots, name, &url);
        assert!(
            size > blank * BLANK_FACTOR,
            "{name}.png is {size} bytes, a blank page is {blank}: the page did not render"
        );
    }
}

/// The dispute evidence page served at `/ui/applications/{id}` (bearer-authenticated, so fetched
/// over HTTP and then opened from a file) renders in a real browser with the verdict, the
/// deadline table and every event.
#[test]
fn dispute_page_renders_in_headless_chromium() {
    let dir = TempDir::new("browser-dispute");
    let shots = dir.0.join("shots");
    std::fs::create_dir_all(&shots).expect("shots dir");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = common::tokens(&data);
    let operator = gw.client(Some(&tokens["operator"]));
    // A demo application that has come some way: from an inbox, the one with the most events.
    let app = common::demo_application(&gw, &tokens);
    let events = operator
        .get(&format!("/v1/applications/{app}/events"))
        .json()["events"]
        .as_array()
        .map(Vec::len)
        .unwrap_or(0);
    assert!(events >= 2);

    let r = operator.get(&format!("/ui/applications/{app}"));
    assert_eq!(r.status, 200);
    // It says whose key proved the chain (the gateway's own) and how to check without it, and
    // which calendar counted the deadlines (the demo gateway has no holidays.json).
    let page = String::from_utf8_lossy(&r.body);
    assert!(
        page.contains("提供本页面的网关自己的公钥") && page.contains("--public-key"),
        "the key's source"
    );
    assert!(page.contains("仅按周一至周五计算"), "the calendar");
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    // It holds personal data: no cache keeps it; and it runs nothing, is framed by nothing.
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert!(
        r.header("content-security-policy").is_some_and(
            |p| p.starts_with("default-src 'none'") && p.contains("frame-ancestors 'none'")
        ),
        "{:?}",
        r.header("content-security-policy")
    );
    assert_eq!(
        gw.client(None)
            .get(&format!("/ui/applications/{app}"))
            .status,
        401
    );
    let file = shots.join("dispute.html");
    std::fs::write(&file, &r.body).expect("write page");
    let url = format!("file://{}", file.display());

    let dom = dump_dom(&shots, "dispute", &url);
    for needle in [
        "证据链校验",
        "哈希链衔接与签名全部校验通过",
        "法定期限",
        "事件经过",
        "原始事件",
        app.as_str(),
    ] {
        assert!(dom.contains(needle), "the rendered page lacks {needle:?}");
    }
    // One table row per event in the chain table (plus its header).
    let chain = dom
        .split("事件经过")
        .nth(1)
        .unwrap_or_default()
        .split("接收确认")
        .next()
        .unwrap_or_default();
    assert_eq!(
        chain.matches("<tr").count(),
        events + 1,
        "one row per event"
    );
    // Beside them, each party's acknowledged feed cursor as the browser lays it out: one row per
    // party, and one per event with whether each party acknowledged it (the operator moved
    // none: nothing acknowledged).
    let feeds = dom
        .split("接收确认")
        .nth(1)
        .unwrap_or_default()
        .split("地区请求签名")
        .next()
        .unwrap_or_default();
    let cursors = feeds.split("id=\"feed-events\"").next().unwrap_or_default();
    let parties = cursors.matches("尚未确认任何事件").count();
    assert!(parties >= 2, "a row per party: {feeds}");
    assert_eq!(cursors.matches("<tr").count(), parties + 1, "{feeds}");
    let after = feeds.split("id=\"feed-events\"").nth(1).unwrap_or_default();
    let by_event = after.split("id=\"feed-first\"").next().unwrap_or_default();
    assert_eq!(by_event.matches("<tr").count(), events + 1, "{feeds}");
    // And each event's first acknowledgement by each party, from the history: none yet.
    let first = after.split("id=\"feed-first\"").nth(1).unwrap_or_default();
    assert_eq!(first.matches("<tr").count(), events + 1, "{feeds}");
    assert_eq!(
        first.matches("从未确认至此").count(),
        events * parties,
        "{feeds}"
    );
    assert_eq!(
        by_event.matches("尚未确认").count(),
        events * parties,
        "{feeds}"
    );

    let (_, blank) = screenshot(&shots, "dispute-blank", "about:blank");
    let (_, size) = screenshot(&shots, "dispute", &url);
    assert!(
        size > blank * BLANK_FACTOR,
        "dispute page screenshot ({size} B) looks blank (blank page {blank} B)"
    );
}

/// The value of the attribute `name` of the element whose `id` is `id`, in a dumped DOM.
fn attribute_of(dom: &str, id: &str, name: &str) -> Option<String> {
    let start = dom.find(&format!("id=\"{id}\""))?;
    let tag_start = dom[..start].rfind('<')?;
    let tag_end = start + dom[start..].find('>')?;
    let tag = &dom[tag_start..tag_end];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = at + tag[at..].find('"')?;
    Some(tag[at..end].replace("&amp;", "&"))
}

/// Given the evidence page fetched from the gateway and saved to a file, as operators keep it
/// for a dispute, when Chromium opens the file, then the link to the matter's registry page is
/// an absolute URL to the serving gateway that loads that page, and the page says which gateway
/// it came from; a `Host` header that is no plain host[:port] gets a 400 naming the header, and
/// nothing of it reaches the answer. (Found by a walkthrough: the saved page linked to
/// `file:///registry/…`.)
#[test]
fn a_saved_evidence_page_links_to_its_gateway() {
    let dir = TempDir::new("browser-saved");
    let shots = dir.0.join("shots");
    std::fs::create_dir_all(&shots).expect("shots dir");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = common::tokens(&data);
    let operator = gw.client(Some(&tokens["operator"]));
    let app = common::demo_application(&gw, &tokens);
    let code = operator.get(&format!("/v1/applications/{app}")).json()["matter"]
        .as_str()
        .expect("the application's matter")
        .to_string();
    let matter = tongban_schemas::matters::get(&code).expect("a known matter");

    let r = operator.get(&format!("/ui/applications/{app}"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let file = shots.join("saved.html");
    std::fs::write(&file, &r.body).expect("write page");
    let dom = dump_dom(&shots, "saved", &format!("file://{}", file.display()));
    let base = format!("http://{}", gw.addr);
    let href = attribute_of(&dom, "matter", "href").expect("the matter's link");
    assert_eq!(href, format!("{base}/registry/matter.{code}"));
    let served_by = dom
        .split("id=\"served-by\"")
        .nth(1)
        .and_then(|p| p.split("</p>").next())
        .expect("the page says which gateway served it");
    assert!(served_by.contains(&base), "{served_by}");
    // The link works from the file: it loads the matter's page from the gateway.
    let linked = dump_dom(&shots, "linked", &href);
    assert!(
        linked.contains(matter.title_zh) && linked.contains("field-table"),
        "the link did not load the matter's page: {linked}"
    );

    // A Host that is no plain host[:port] names no gateway: refused, never written anywhere.
    for host in [
        "evil.example\"><script>alert(1)</script>",
        "evil.example/registry?",
        "user@evil.example",
        "evil.example:99999",
    ] {
        let request = format!(
            "GET /ui/applications/{app} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            tokens["operator"]
        );
        let r = operator.raw(request.as_bytes()).expect("an answer");
        let body = String::from_utf8_lossy(&r.body);
        assert_eq!(r.status, 400, "Host {host:?}: {body}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(body.contains("Malformed Host header"), "{body}");
        assert!(!body.contains("evil"), "Host {host:?} echoed: {body}");
    }
    let request = format!(
        "GET /ui/applications/{app} HTTP/1.1\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        tokens["operator"]
    );
    let r = operator.raw(request.as_bytes()).expect("an answer");
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
}

/// Given a proxy application approved and its result issued by the handler and delivered by the
/// origin's window, when its evidence page is opened in Chromium, then the issue clock's row
/// shows each region that held the clock with the span it held it (北京时间): the handler from
/// the approval to the issue, the origin from the issue to the delivery; and the API's deadline
/// records the handover. (Found by a walkthrough: the row named the origin alone, as if it had
/// held the clock from the approval.)
#[test]
fn the_evidence_page_shows_who_held_the_issue_clock_when() {
    let dir = TempDir::new("browser-holders");
    let shots = dir.0.join("shots");
    std::fs::create_dir_all(&shots).expect("shots dir");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let (body, origin, handlers) = common::parties(&gw, &data, "proxy");
    let lead = &handlers[0];
    let app = common::application(
        &origin,
        &body,
        &[
            (
                &origin,
                "forward",
                serde_json::json!({"materials_checked": true}),
            ),
            (lead, "accept", serde_json::json!({})),
            (lead, "approve", serde_json::json!({})),
            (
                lead,
                "issue-result",
                serde_json::json!({"licence": {"kind": "社会保障卡", "number": "SSC-0001"}}),
            ),
            (&origin, "deliver", serde_json::json!({"channel": "window"})),
        ],
    );
    let (origin_code, lead_code) = (
        body["origin"].as_str().expect("origin"),
        body["handlers"][0].as_str().expect("lead"),
    );
    let events = origin.get(&format!("/v1/applications/{app}/events")).json();
    let at = |kind: &str| {
        events["events"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["type"] == format!("application.{kind}").as_str())
            .and_then(|e| e["at"].as_str())
            .unwrap_or_else(|| panic!("no {kind} event"))
            .to_string()
    };
    let (approved, issued, delivered) = (at("approved"), at("result-issued"), at("delivered"));

    // The API records the handover on the issue clock.
    let view = origin.get(&format!("/v1/applications/{app}")).json();
    let issue = view["deadlines"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["kind"] == "issue")
        .expect("the issue clock");
    assert_eq!(issue["responsible"], origin_code, "{issue}");
    assert_eq!(
        issue["handed_over"],
        serde_json::json!([{"region": lead_code, "from": approved, "to": issued}]),
        "{issue}"
    );

    let r = origin.get(&format!("/ui/applications/{app}"));
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let file = shots.join("holders.html");
    std::fs::write(&file, &r.body).expect("write page");
    let dom = dump_dom(&shots, "holders", &format!("file://{}", file.display()));
    let row = dom
        .split("<td>颁发送达期限</td>")
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .expect("the issue clock's row");
    let beijing = tongban_replay::html::beijing;
    let holders: Vec<&str> = row
        .split("<li>")
        .skip(1)
        .map(|li| li.split("</li>").next().unwrap_or_default())
        .collect();
    assert_eq!(holders.len(), 2, "{row}");
    assert!(
        holders[0].starts_with(lead_code)
            && holders[0].ends_with(&format!("：{} 至 {}", beijing(&approved), beijing(&issued))),
        "the handler from the approval to the issue: {row}"
    );
    assert!(
        holders[1].starts_with(origin_code)
            && holders[1].ends_with(&format!(
                "：{} 至 {}（期限办结）",
                beijing(&issued),
                beijing(&delivered)
            )),
        "the origin from the issue to the delivery: {row}"
    );
}

/// A phone's width, in CSS pixels.
const NARROW: u32 = 360;

/// `(document.documentElement.scrollWidth, window.innerWidth)` of `html` as Chromium lays it out
/// `NARROW` pixels wide. A headless window is at least 500 px wide, and the gateway's pages run
/// no script (their Content-Security-Policy forbids it), so the page as served is saved to a file
/// and shown in a frame `NARROW` px wide of another file, whose script measures it once loaded
/// (the two files are of one origin with `--allow-file-access-from-files`).
fn widths_at_narrow(dir: &Path, name: &str, html: &[u8]) -> (u32, u32) {
    std::fs::write(dir.join(format!("{name}.html")), html).expect("write page");
    let frame = dir.join(format!("{name}-at-{NARROW}.html"));
    std::fs::write(
        &frame,
        format!(
            "<!DOCTYPE html><html><head><title>-</title></head><body style=\"margin:0\">\
             <iframe src=\"{name}.html\" style=\"width:{NARROW}px;height:800px;border:0\" \
             onload=\"document.title = 'measured ' + \
             this.contentDocument.documentElement.scrollWidth + ' ' + \
             this.contentWindow.innerWidth\"></iframe></body></html>"
        ),
    )
    .expect("write frame");
    let out = run_chromium(
        &dir.join(format!("profile-narrow-{name}")),
        &[
            "--dump-dom".to_string(),
            "--allow-file-access-from-files".to_string(),
        ],
        &format!("file://{}", frame.display()),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    let title = dom
        .split("<title>measured ")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_else(|| panic!("{name}: the page was not measured: {dom}"));
    let mut widths = title.split(' ').map(|w| w.parse::<u32>().expect("a width"));
    let (scroll, inner) = (
        widths.next().expect("scrollWidth"),
        widths.next().expect("innerWidth"),
    );
    assert_eq!(inner, NARROW, "{name}: the frame is not {NARROW} px wide");
    (scroll, inner)
}

/// Given a phone's width (360 px), when each registry page (the list, a search, a matter with its
/// fields, limits, rules and adapters, a diff, an event's page, a page not found) and the evidence
/// page are laid out by Chromium, then none is wider than the window: wide tables scroll inside
/// their own box and long field names, schema ids and hashes break, instead of the whole page
/// scrolling sideways with its headings out of view. (Found by a walkthrough at 360 px.)
#[test]
fn pages_fit_a_phones_width() {
    let dir = TempDir::new("browser-narrow");
    let shots = dir.0.join("shots");
    std::fs::create_dir_all(&shots).expect("shots dir");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = common::tokens(&data);
    let app = common::demo_application(&gw, &tokens);
    let anon = gw.client(None);
    let mut pages: Vec<(&str, common::Response)> = [
        ("list", "/registry"),
        ("search", "/registry?q=transfer"),
        ("matter", "/registry/matter.hukou-transfer"),
        ("diff", "/registry/matter.hukou-transfer?from=1&to=2"),
        ("event", "/registry/application.supplement-requested"),
        ("not-found", "/registry/no.such-subject"),
    ]
    .into_iter()
    .map(|(name, path)| (name, anon.get(path)))
    .collect();
    pages.push((
        "evidence",
        gw.client(Some(&tokens["operator"]))
            .get(&format!("/ui/applications/{app}")),
    ));
    let mut wide = Vec::new();
    for (name, r) in &pages {
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("text/html")),
            "{name}: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        let (scroll, inner) = widths_at_narrow(&shots, name, &r.body);
        if scroll > inner {
            wide.push(format!("{name}: {scroll} px wide in a {inner} px window"));
        }
    }
    assert!(wide.is_empty(), "pages wider than a phone: {wide:#?}");
}

/// Given links to the evidence page that name no application a caller may read (an unknown
/// id, one that is no id at all, one in capitals), or none at all (no token), when they are
/// opened, then each answers with its status as a short HTML page in the pages' style, Chinese
/// first and English beside it, saying what went wrong (the id not known, not well-formed) with a
/// link back to the registry, and never quoting what is no id; a real Chromium shows that text
/// and the status. The API's routes keep problem+json. (They answered the API's English JSON, so
/// a person following a stale link read `{"type":"urn:tongban:problem:not-found",…}`.)
#[test]
fn the_evidence_pages_refusals_are_pages() {
    let dir = TempDir::new("browser-refused");
    let shots = dir.0.join("shots");
    std::fs::create_dir_all(&shots).expect("shots dir");
    let data = dir.0.join("data");
    let gw = Gateway::start(&data, true);
    let tokens = common::tokens(&data);
    let operator = gw.client(Some(&tokens["operator"]));
    let unknown = "0192f0c4-8a51-7d2e-9c3b-5a6e7f8091a2";
    let upper = unknown.to_ascii_uppercase();
    // An ID number typed where the id goes: refused, and not shown back.
    let typed = "11010519491231002X";
    let cases = [
        (
            unknown.to_string(),
            404,
            vec!["未找到该申请", "Application not found", unknown],
        ),
        (
            typed.to_string(),
            400,
            vec!["这不是申请编号", "Not an application id", "小写的 UUID"],
        ),
        (
            upper.clone(),
            400,
            vec!["这不是申请编号", "请改用", unknown],
        ),
    ];
    for (id, status, said) in &cases {
        let r = operator.get(&format!("/ui/applications/{id}"));
        let page = String::from_utf8_lossy(&r.body).into_owned();
        assert_eq!(r.status, *status, "{id}: {page}");
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{id}"
        );
        assert!(page.contains("href=\"/registry\""), "{id}: {page}");
        assert!(
            !page.contains(typed) && !page.contains("urn:tongban:problem"),
            "{id}: {page}"
        );
        // Opened in a browser, from the file a token fetched it into.
        let file = shots.join(format!("refused-{status}-{}.html", said[0].len()));
        std::fs::write(&file, &r.body).expect("write page");
        let dom = dump_dom(
            &shots,
            &format!("refused-{id}"),
            &format!("file://{}", file.display()),
        );
        for needle in said
            .iter()
            .copied()
            .chain([format!("HTTP {status}").as_str()])
        {
            assert!(
                dom.contains(needle),
                "{id}: the page lacks {needle:?}: {dom}"
            );
        }
    }
    // Without a token: the browser opens the address itself, and is told what the page needs.
    let page = format!("/ui/applications/{unknown}");
    let r = gw.client(None).get(&page);
    assert_eq!(r.status, 401);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer realm=\"tongban\"")
    );
    let dom = dump_dom(&shots, "refused-401", &format!("http://{}{page}", gw.addr));
    for needle in [
        "需要凭据",
        "Authentication required",
        "Authorization: Bearer",
        "HTTP 401",
    ] {
        assert!(dom.contains(needle), "the page lacks {needle:?}: {dom}");
    }
    // A link with a slash too many, or a segment after the id: a page too.
    for typo in [
        format!("/ui/applications/{unknown}/"),
        format!("/ui/applications/{unknown}/x"),
    ] {
        let r = operator.get(&typo);
        assert_eq!(r.status, 404, "{typo}");
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{typo}"
        );
        assert!(
            String::from_utf8_lossy(&r.body).contains("/ui/applications/{id}"),
            "{typo}"
        );
    }
    // The API's routes answer as before.
    let r = operator.get(&format!("/v1/applications/{unknown}/events"));
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
}
