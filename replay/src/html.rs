//! The dispute report: one self-contained HTML page (no scripts, no external resources) that a
//! non-engineer can read and an engineer can check: the chain of events with hashes and
//! signatures, the verification result, which statutory deadlines were met or missed and by whom,
//! and the raw events to download.

use std::collections::BTreeMap;
use std::fmt::Write;

use tongban_gateway::domain::Status;
use tongban_gateway::envelope::{Envelope, PublicKey};
use tongban_gateway::time::Timestamp;

pub use crate::provenance::{CalendarSource, KeyOrigin, KeySource, NoDates, Provenance};
use crate::timeline::{DeadlineAt, Timeline, Unfolded, event_label_zh, event_title_zh};
use crate::verify::{Report, Verdict};
use tongban_gateway::log::Placed;

/// Escapes text for HTML element content and attribute values; [`isolated`] for text a party
/// wrote. The registry pages' own, so the two kinds of page escape alike.
pub use tongban_gateway::http::pages::{escape, isolated};

/// Percent-encodes for a `data:` URI.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// An RFC 3339 UTC time as Beijing time to the millisecond, `YYYY-MM-DD HH:MM:SS.mmm`: events
/// of one second (a forward and a supplement request sent together) stay apart, and in order.
/// The page's headings say 北京时间.
pub fn beijing(rfc3339: &str) -> String {
    match Timestamp::parse_rfc3339(rfc3339) {
        Some(t) => {
            let shifted = Timestamp(t.0 + 8 * 3_600_000).to_rfc3339();
            match (shifted.get(..10), shifted.get(11..23)) {
                (Some(date), Some(time)) => format!("{date} {time}"),
                _ => shifted,
            }
        }
        None => rfc3339.to_string(),
    }
}

/// `申请 A 第 N 号事件（日志位置 P）`: where a finding is.
fn place_zh(app: &str, seq: u64, position: Option<u64>) -> String {
    match position {
        Some(p) => format!("申请 {app} 第 {seq} 号事件（日志位置 {p}）"),
        None => format!("申请 {app} 第 {seq} 号事件"),
    }
}

/// A broken link, in the page's words (the command line's are English).
fn broken_zh(b: &crate::verify::BrokenLink, given_key: bool) -> String {
    use tongban_gateway::envelope::ChainError;
    let why = match &b.error {
        ChainError::SeqGap { previous, found } => format!(
            "序号 {found} 紧接在序号 {previous} 之后，应为 {}（中间的事件缺失或序号被改动）",
            previous.saturating_add(1)
        ),
        ChainError::PrevHash { expected, found } => {
            format!("上一哈希（prev_hash）为 {found}，应为前一事件的哈希 {expected}")
        }
        ChainError::Hash { expected, found } => {
            format!("记录的哈希为 {found}，按事件内容重新计算为 {expected}：内容已被改动")
        }
        ChainError::Signature if given_key => "签名无法用核对人提供的公钥验证".into(),
        ChainError::Signature => "签名无法用网关公钥验证".into(),
        ChainError::SigFormat(form) => {
            format!("签名（sig）不是 128 位小写十六进制数字（{form}）：事件已被改动")
        }
        ChainError::WrongApp { expected, found } => {
            format!("该事件属于申请 {found}，不属于申请 {expected}")
        }
        ChainError::Undecodable(reason) => format!("事件内容不符合其类型（{reason}）"),
        ChainError::Copy { of: Some(p) } => {
            format!(
                "同一事件（序号与哈希相同）的第二份副本，保留的一份在日志位置 {p}；不计入证据链"
            )
        }
        ChainError::Copy { of: None } => {
            "同一事件（序号与哈希相同）的第二份副本；不计入证据链".into()
        }
        ChainError::Displaced { after, before } => format!(
            "存放在{}，不在其序号的位置（该申请的事件一个不少，按序号衔接的哈希链完整；日志中的存放次序被改动）",
            match (after, before) {
                (Some(a), Some(b)) => format!("第 {a} 号与第 {b} 号事件之间"),
                (Some(a), None) => format!("最后，第 {a} 号事件之后"),
                (None, Some(b)) => format!("最前，第 {b} 号事件之前"),
                (None, None) => "别处".to_string(),
            }
        ),
    };
    format!("{}：{why}", place_zh(&b.app, b.seq, b.position))
}

/// A disagreement of the log's index with the events, in the page's words.
fn index_zh(i: &crate::verify::IndexFinding) -> String {
    use crate::verify::IndexFinding;
    use tongban_gateway::log::index::{Head, Holds};
    match i {
        IndexFinding::Unindexed {
            app,
            seq,
            position,
            indexed,
        } => {
            let place = place_zh(app, *seq, Some(*position));
            match indexed {
                Some(q) => format!("{place}：日志索引却把该序号指向日志位置 {q}"),
                None => format!("{place}：日志索引中没有该事件"),
            }
        }
        IndexFinding::Stray(s) => {
            let holds = match &s.holds {
                Holds::Nothing => "没有事件".to_string(),
                Holds::NotAnEvent(why) => format!("不是事件（{why}）"),
                Holds::Event { app, seq } => format!("是申请 {app} 第 {seq} 号事件"),
            };
            format!(
                "日志索引把申请 {} 第 {} 号事件指向日志位置 {}，该位置{holds}",
                s.app, s.seq, s.position
            )
        }
        IndexFinding::Head { app, head, last } => {
            let head = match head {
                None => "没有记录".to_string(),
                Some(Head::Seq(h)) => format!("记为第 {h} 号"),
                Some(Head::Malformed(n)) => format!("是 {n} 字节，不是序号"),
            };
            let last = match last {
                0 => "日志中没有该申请的事件".to_string(),
                n => format!("日志中最后一个事件是第 {n} 号"),
            };
            format!("日志索引中申请 {app} 的最后序号{head}，而{last}")
        }
    }
}

/// Removed log positions, in the page's words.
fn gap_zh(g: &crate::verify::Gap, scope: Option<&str>) -> String {
    let gap = if g.first == g.last {
        format!("日志位置 {} 没有事件：已从日志中删除", g.first)
    } else {
        format!(
            "日志位置 {}–{} 没有事件（{} 个）：已从日志中删除",
            g.first,
            g.last,
            g.events()
        )
    };
    format!("{gap}{}", whose_zh(scope))
}

/// A position whose bytes are no event, in the page's words.
fn garbled_zh(g: &crate::verify::Garbled, scope: Option<&str>) -> String {
    format!(
        "日志位置 {} 存放的内容不是事件（{}）{}",
        g.position,
        g.reason,
        whose_zh(scope)
    )
}

/// When one application was checked: an empty or unreadable position may have held its event.
fn whose_zh(scope: Option<&str>) -> String {
    scope.map_or_else(String::new, |app| {
        format!("；日志无法表明原属哪个申请，可能是申请 {app} 的事件")
    })
}

/// A matter as a person reads it: its Chinese title and code, linked to its registry page on the
/// gateway that serves the page (`gateway`, `http://host[:port]`), absolutely, so that the link
/// still leads there from the page saved to a file; the code alone when this build does not
/// know the matter. A report made offline (no gateway) names it without a link: no registry
/// answers there.
fn matter(code: &str, gateway: Option<&str>) -> String {
    match (tongban_schemas::matters::get(code), gateway) {
        (Some(m), None) => format!("{}（{}）", escape(m.title_zh), escape(m.code)),
        (Some(m), Some(gateway)) => format!(
            "<a id=\"matter\" href=\"{}{}\">{}（{}）</a>",
            escape(gateway),
            escape(&tongban_gateway::http::pages::subject_href(&format!(
                "matter.{}",
                m.code
            ))),
            escape(m.title_zh),
            escape(m.code)
        ),
        (None, _) => escape(code),
    }
}

/// A status as the timeline writes it (`withdrawn`), if this build knows it.
fn status_of(s: &str) -> Option<Status> {
    serde_json::from_value::<Status>(serde_json::Value::String(s.to_string())).ok()
}

fn status_zh(s: &str) -> &'static str {
    status_of(s).map_or("未知", Status::title_zh)
}

pub(crate) fn region(names: &BTreeMap<String, String>, code: &str) -> String {
    match names.get(code) {
        Some(n) => format!("{} {}", escape(code), isolated(n)),
        None => escape(code),
    }
}

/// The clock's suspensions: each from and to (北京时间), and the working days used before the
/// last one; "—" for a clock never paused.
fn pauses_zh(d: &DeadlineAt) -> String {
    if d.pauses.is_empty() {
        return "—".into();
    }
    let each: Vec<String> = d
        .pauses
        .iter()
        .map(|p| match &p.to {
            Some(to) => format!("{} 至 {}", beijing(&p.from), beijing(to)),
            None => format!("{} 起暂停中", beijing(&p.from)),
        })
        .collect();
    format!(
        "{}；暂停前累计已用 {} 个工作日",
        each.join("；"),
        d.used_days
    )
}

/// Who was responsible for the clock (HTML): its region; for a clock handed on (the issue clock,
/// from the issuer to the region that delivers), each region that held it with the span it held
/// it (北京时间), so that a dispute about who was late reads who held it over which days.
fn holders_zh(d: &DeadlineAt, names: &BTreeMap<String, String>) -> String {
    if d.handed_over.is_empty() {
        return region(names, &d.responsible);
    }
    let since = tongban_gateway::domain::deadlines::held_since(&d.started_at, &d.handed_over);
    let earlier = d.handed_over.iter().map(|h| {
        format!(
            "<li>{}：{} 至 {}</li>",
            region(names, &h.region),
            escape(&beijing(&h.from)),
            escape(&beijing(&h.to))
        )
    });
    let now = match &d.closed_at {
        Some(closed) => format!(
            "<li>{}：{} 至 {}（期限办结）</li>",
            region(names, &d.responsible),
            escape(&beijing(since)),
            escape(&beijing(closed))
        ),
        None => format!(
            "<li>{}：{} 起，期限尚未办结</li>",
            region(names, &d.responsible),
            escape(&beijing(since))
        ),
    };
    format!(
        "{}<ul class=\"details holders\">{}{now}</ul>",
        region(names, &d.responsible),
        earlier.collect::<String>()
    )
}

fn deadline_rows(
    out: &mut String,
    ds: &[DeadlineAt],
    names: &BTreeMap<String, String>,
    mark_uncovered: bool,
) {
    for d in ds {
        let class = match d.situation {
            tongban_gateway::domain::deadlines::Situation::Missed
            | tongban_gateway::domain::deadlines::Situation::Overdue => "bad",
            tongban_gateway::domain::deadlines::Situation::Met => "good",
            _ => "",
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} 个工作日</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            // The round tells apart two clocks of one kind (a supplement starts the acceptance
            // clock again), which may start in the same second and share a due date.
            {
                let mut kind = match d.round {
                    Some(n) => format!("{}（第 {n} 次计时）", escape(d.kind.title_zh())),
                    None => escape(d.kind.title_zh()),
                };
                if d.deemed {
                    kind.push_str("（受理期限届满未作处理，依《行政许可法》第三十二条自收到申请材料之日起视为受理）");
                }
                kind
            },
            holders_zh(d, names),
            escape(&beijing(&d.started_at)),
            // A paused clock has no due date yet: the one it would have if it ran again now.
            {
                let mut due = escape(&d.due);
                if d.paused_since.is_some() {
                    due.push_str("（暂停中：若此时恢复计时）");
                }
                if mark_uncovered && !d.calendar_covers {
                    due.push_str("（超出工作日历所列年份：仅按周一至周五计算，可能偏早）");
                }
                due
            },
            d.limit_days,
            escape(&pauses_zh(d)),
            escape(d.situation.title_zh()),
            d.closed_at
                .as_deref()
                .map(beijing)
                .map(|s| escape(&s))
                .unwrap_or_else(|| "—".into()),
        );
    }
}

/// The evidence page of one application as of now: [`render`] of its timeline as far as its
/// events fold and verify under `key` ([`crate::timeline::build_readable`]). The verification,
/// the key and every raw event are on it whatever this build makes of the events.
pub fn evidence_page(
    events: Placed<'_>,
    cal: &tongban_gateway::domain::calendar::Calendar,
    verification: &Report,
    key: &PublicKey,
    names: &BTreeMap<String, String>,
    provenance: &Provenance,
) -> String {
    let (t, unfolded) = crate::timeline::build_readable(
        events.events,
        key,
        cal,
        tongban_gateway::time::Timestamp::now(),
    );
    // Each step at its position, which the feed cursors are compared with.
    let t = t.map(|t| t.place(events));
    render(
        t.as_ref(),
        unfolded.as_ref(),
        events,
        verification,
        &key.to_hex(),
        names,
        provenance,
    )
}

/// Renders the report: the timeline `t` (None when not even the first event folds or verifies),
/// and, when the events fold no further, where and why (`unfolded`). `placed` are the events the
/// timeline was built from, each shown at its position in the log where known. `names` maps
/// region codes to names where known; `public_key_hex` is the key the signatures were checked
/// against, `provenance` where it and the calendar came from.
pub fn render(
    t: Option<&Timeline>,
    unfolded: Option<&Unfolded>,
    placed: Placed<'_>,
    verification: &Report,
    public_key_hex: &str,
    names: &BTreeMap<String, String>,
    provenance: &Provenance,
) -> String {
    let events = placed.events;
    let mut out = String::new();
    let app = t.map_or_else(
        || events.first().map_or("", |e| e.app.as_str()),
        |t| t.app.as_str(),
    );
    let title = format!("跨省通办申请证据报告 · {app}");
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title>\
<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>\
body{{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",sans-serif;margin:2em;color:#222;max-width:1200px;overflow-wrap:anywhere}}\
.scroll{{overflow-x:auto}}\
h1{{font-size:1.5em}}h2{{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}}\
table{{border-collapse:collapse;width:100%;font-size:.9em}}td,th{{border:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top}}\
th{{background:#f3f3f3}}tr.bad td{{background:#fde8e8}}tr.good td{{background:#eaf6ea}}\
.hash{{font-family:monospace;font-size:.8em;word-break:break-all}}.ok{{color:#16632b;font-weight:bold}}.broken{{color:#a00;font-weight:bold}}\
ul.details{{margin:.3em 0 0;padding-left:1.2em}}dl{{display:grid;grid-template-columns:max-content auto;gap:.3em 1.2em}}dt{{font-weight:bold}}pre{{background:#f7f7f7;padding:1em;overflow:auto;font-size:.8em}}\
@media (max-width:600px){{body{{margin:1em .75em}}dl{{grid-template-columns:minmax(0,1fr)}}dd{{margin:0 0 .4em}}.scroll>table{{min-width:44em}}}}\
@media print{{.scroll{{overflow:visible}}body{{margin:0;max-width:none;font-size:9pt}}table{{font-size:8pt}}tr{{break-inside:avoid}}details{{display:none}}}}\
</style></head><body>",
        escape(&title),
        // Saved to a file, the page still runs nothing and loads nothing.
        escape(tongban_gateway::http::headers::HTML_POLICY)
    );
    let _ = write!(out, "<h1>{}</h1>", escape(&title));
    if let Some(gateway) = &provenance.gateway {
        // Saved to a file, the page still says where it came from (the address the request
        // used, which its links lead to).
        let _ = write!(
            out,
            "<p id=\"served-by\">本页由网关 <span class=\"hash\">{}</span> 提供（按请求所用的地址），页内链接指向该网关。</p>",
            escape(gateway)
        );
    }
    match unfolded {
        Some(Unfolded::Unreadable { seq, reason }) => {
            let _ = write!(
                out,
                "<p class=\"broken\" id=\"unreadable\">第 {seq} 号事件无法解读：{}。以下状态与期限止于其前一事件；证据链校验与全部原始事件不受影响，见下文。</p>",
                escape(reason)
            );
        }
        Some(Unfolded::NoStart(stop)) => {
            let _ = write!(
                out,
                "<p class=\"broken\" id=\"chain-stops\">证据链从第 1 号事件起即不成立：{}。没有校验通过的事件可以计入，因此不显示申请状态与法定期限；全部事件列于下文，均未计入。</p>",
                escape(&stop.reason_zh)
            );
        }
        None => {}
    }
    let Some(t) = t else {
        out.push_str("<h2>基本信息</h2><dl><dt>申请编号</dt><dd class=\"hash\">");
        out.push_str(&escape(app));
        let _ = write!(out, "</dd><dt>事件数</dt><dd>{}</dd></dl>", events.len());
        verdict(&mut out, verification, public_key_hex, provenance);
        let fallback = match unfolded {
            Some(Unfolded::NoStart(_)) => crate::chain::Left::AfterBreak.said_zh(),
            _ => "无法解读",
        };
        let all: Vec<(usize, &Envelope)> = events.iter().enumerate().collect();
        event_rows(&mut out, &all, placed, &[], &[], fallback, names);
        request_signatures(&mut out, &all, provenance);
        raw_events(&mut out, app, events);
        return out;
    };
    let last = t.steps.last();
    let last_folded = last.map_or(0, |s| s.seq);
    if let (Some(stop), Some(last)) = (&t.chain_stops, last) {
        let _ = write!(
            out,
            "<p class=\"broken\" id=\"chain-stops\">证据链在第 {} 号事件之后断开：{}。以下状态与期限截至第 {} 号事件（{}，北京时间 {}），即按序衔接、校验通过的最后一个事件；其后的事件列于下文，均未计入。</p>",
            stop.after,
            escape(&stop.reason_zh),
            last.seq,
            escape(label_of(events, last)),
            escape(&beijing(&last.at)),
        );
    }
    // A timeline to a point in time shows the events up to it (a second copy of one of them
    // too); one that stopped folding, or whose chain broke, every event.
    let shown: Vec<(usize, &Envelope)> = match (unfolded, &t.chain_stops) {
        (None, None) => events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.seq <= last_folded)
            .collect(),
        _ => events.iter().enumerate().collect(),
    };
    // Where the chain broke, the state is named by the last event counted.
    let as_of = match (&t.chain_stops, last) {
        (Some(_), Some(last)) => format!(
            "截至第 {} 号事件（{}），北京时间 {}；其后的事件未计入",
            last.seq,
            label_of(events, last),
            beijing(&t.as_of)
        ),
        _ => format!("截至北京时间 {}", beijing(&t.as_of)),
    };
    let _ = write!(
        out,
        "<h2>基本信息</h2><dl><dt>申请编号</dt><dd class=\"hash\">{}</dd><dt>事项</dt><dd>{}</dd><dt>办理模式</dt><dd>{}</dd>\
<dt>收件地</dt><dd>{}</dd><dt>办理地</dt><dd>{}</dd><dt>状态（{}）</dt><dd>{}（{}）</dd><dt>事件数</dt><dd>{}</dd></dl>",
        escape(&t.app),
        matter(&t.matter, provenance.gateway.as_deref()),
        escape(
            tongban_schemas::Mode::parse(&t.mode)
                .map(|m| m.title_zh())
                .unwrap_or(&t.mode)
        ),
        region(names, &t.origin),
        t.handlers
            .iter()
            .map(|h| region(names, h))
            .collect::<Vec<_>>()
            .join("、"),
        escape(&as_of),
        escape(status_zh(&t.status)),
        escape(&t.status),
        // A page to a point names it beside the whole chain's count, which the verdict and
        // the download are of.
        match shown.len() == events.len() {
            true => shown.len().to_string(),
            false => format!(
                "{}（截至第 {} 号事件；全链共 {} 个，校验与下载均为全链）",
                shown.len(),
                last_folded,
                events.len()
            ),
        },
    );
    verdict(&mut out, verification, public_key_hex, provenance);
    out.push_str("<h2>法定期限</h2>");
    if let Some(calendar) = &provenance.calendar {
        let class = match calendar {
            CalendarSource::WeekdaysOnly(_) => " class=\"broken\"",
            CalendarSource::Holidays { .. } => "",
        };
        let _ = write!(
            out,
            "<p id=\"calendar\"{class}>{}</p>",
            escape(&calendar.note_zh())
        );
    }
    if t.deadlines.is_empty() {
        // Submitted and not yet forwarded: no statutory clock runs yet, and a table of headings
        // with no row would read as if the deadlines were lost. Closed before it was forwarded
        // (withdrawn): none ever will, and "not yet" would promise one.
        let closed = status_of(&t.status).is_some_and(Status::is_final);
        out.push_str(match closed {
            true => "<p id=\"no-deadlines\">无法定期限：申请在转交办理地、开始计算任何法定期限之前已终结</p>",
            false => "<p id=\"no-deadlines\">尚无法定期限（申请转交办理地后开始计算）</p>",
        });
    } else {
        out.push_str(
            "<div class=\"scroll\"><table><tr><th>期限</th><th>责任地区</th><th>起算（北京时间）</th><th>到期日</th><th>时限</th><th>暂停（特别程序，北京时间）</th><th>结果</th><th>办结时间（北京时间）</th></tr>",
        );
        // Past the calendar's last year a deadline is marked; with no calendar at all the note
        // above says it of every one.
        let mark_uncovered = !matches!(provenance.calendar, Some(CalendarSource::WeekdaysOnly(_)));
        deadline_rows(&mut out, &t.deadlines, names, mark_uncovered);
        out.push_str("</table></div>");
    }
    event_rows(
        &mut out,
        &shown,
        placed,
        &t.steps,
        &t.not_counted,
        "无法解读",
        names,
    );
    if let Some(cursors) = &provenance.cursors {
        crate::feeds::html(&mut out, t, cursors, names);
    }
    request_signatures(&mut out, &shown, provenance);
    raw_events(&mut out, &t.app, events);
    out
}

/// The verification verdict, the events this build cannot read (apart from the breaks: their
/// chain may be sound), and the key it was checked against.
fn verdict(out: &mut String, verification: &Report, public_key_hex: &str, provenance: &Provenance) {
    out.push_str("<h2>证据链校验</h2>");
    match verification.verdict() {
        Verdict::Broken => {
            let _ = write!(
                out,
                "<p class=\"broken\" id=\"verdict\">发现 {} 处断裂：</p><ul>",
                verification.broken.len()
                    + verification.missing.len()
                    + verification.garbled.len()
                    + verification.index.len()
            );
            let scope = verification.scope.as_deref();
            for b in &verification.broken {
                let _ = write!(
                    out,
                    "<li>{}</li>",
                    escape(&broken_zh(b, verification.given_key))
                );
            }
            for g in &verification.missing {
                let _ = write!(out, "<li>{}</li>", escape(&gap_zh(g, scope)));
            }
            for g in &verification.garbled {
                let _ = write!(out, "<li>{}</li>", escape(&garbled_zh(g, scope)));
            }
            for i in &verification.index {
                let _ = write!(out, "<li>{}</li>", escape(&index_zh(i)));
            }
            out.push_str("</ul>");
        }
        Verdict::Unreadable => {
            let _ = write!(
                out,
                "<p class=\"ok\" id=\"verdict\">本页所列 {} 个事件的哈希链衔接与签名全部校验通过（其中 {} 个事件本版本无法解读，见下）。</p>",
                verification.events,
                verification.unreadable.len()
            );
        }
        Verdict::Intact | Verdict::Empty => {
            let _ = write!(
                out,
                "<p class=\"ok\" id=\"verdict\">本页所列 {} 个事件的哈希链衔接与签名全部校验通过。</p>",
                verification.events
            );
        }
    }
    // A chain's end cannot show events removed after it: what holds is the events shown, not
    // that they are all there were.
    out.push_str(
        "<p id=\"latest-removed\">仅凭本页无法表明最后一个事件之后是否还有事件被删除：删去最新的事件不会在哈希链上留下痕迹。请用 tongban verify 核对整个日志，或与此前保存的副本比对（docs/audit/verify_chain.py --earlier）。</p>",
    );
    if !verification.inexact.is_empty() {
        let _ = write!(
            out,
            "<p class=\"broken\" id=\"inexact-events\">{} 个事件含超出 ±(2^53 − 1) 的整数，签名不能精确约束其值（哈希按最接近的双精度数计算，舍入相同的其他整数同样通过校验；链未断裂）：</p><ul>",
            verification.inexact.len()
        );
        for i in &verification.inexact {
            let _ = write!(
                out,
                "<li>{}：{}</li>",
                escape(&place_zh(&i.app, i.seq, i.position)),
                escape(&i.pointer)
            );
        }
        out.push_str("</ul>");
    }
    if !verification.unreadable.is_empty() {
        // A newer tongban reads a newer gateway's events, not stored bytes rewritten under a
        // version this build knows: the advice goes only with the former.
        let newer = verification.unreadable.iter().any(|u| u.known.is_none());
        let _ = write!(
            out,
            "<p class=\"broken\" id=\"unreadable-events\">{} 个事件本版本无法解读（并非断裂{}）：</p><ul>",
            verification.unreadable.len(),
            if newer {
                "；类型或版本未知的事件请用更新版本的 tongban 查看"
            } else {
                ""
            }
        );
        for u in &verification.unreadable {
            let why = match (&u.known, &u.field) {
                (None, _) => "本版本无法解读".to_string(),
                (Some(schema), None) => {
                    format!("存储的内容不符合本版本已知的 {schema}：封存后被改写")
                }
                (Some(schema), Some(field)) => format!(
                    "存储的内容不符合本版本已知的 {schema}：{field} 处应为整数，却写成带小数点或指数的形式（封存后被改写，哈希无法区分两种写法）"
                ),
            };
            let _ = write!(
                out,
                "<li>{}：{}（{}）</li>",
                escape(&place_zh(&u.app, u.seq, u.position)),
                escape(&why),
                escape(&u.reason)
            );
        }
        out.push_str("</ul>");
    }
    let _ = write!(
        out,
        "<p>网关公钥（Ed25519）：<span class=\"hash\">{}</span>。每个事件的哈希是去掉 hash 与 sig 字段后按 RFC 8785 规范化的 JSON 的 SHA-256；签名针对哈希字符串。</p>",
        escape(public_key_hex)
    );
    if let Some(note) = &provenance.key {
        let _ = write!(
            out,
            "<p id=\"key-source\">公钥来源：{}</p>",
            escape(&note.note_zh())
        );
    }
}

/// The 中文 name of the event a step was folded from ([`crate::timeline::event_label_zh`]), by
/// its type where it is not among `events`.
fn label_of(events: &[Envelope], step: &crate::timeline::Step) -> &'static str {
    events
        .get(step.index)
        .map_or_else(|| event_title_zh(&step.kind), event_label_zh)
}

/// One row per event (each with its index in the events given), with its position in the log
/// (`placed`), its hash, previous hash and signature: what the timeline made of it where it was
/// counted (`steps`), why not where it was not (`not_counted`), else `fallback` (the events past
/// one that does not read).
fn event_rows(
    out: &mut String,
    events: &[(usize, &Envelope)],
    placed: Placed<'_>,
    steps: &[crate::timeline::Step],
    not_counted: &[crate::timeline::NotCounted],
    fallback: &str,
    names: &BTreeMap<String, String>,
) {
    // The position is what "we never received it" turns on: the same number as a write's
    // answer, a region's feed items and the cursor the region acknowledged.
    out.push_str(
        "<h2>事件经过</h2><p id=\"positions\">日志位置：事件在网关事件日志中的位置（使用 JetStream 时为流序号），与写入应答头 X-Tongban-Position、地区事件流 /v1/regions/{地区代码}/feed 各条目的 position、该地区已确认的游标 acked 及签名日志头的 position 是同一编号。地区已确认的游标达到或超过某事件的日志位置，即表明该地区的系统已确认处理过含有该事件的一页。无法得知位置时显示“—”。</p>\
<div class=\"scroll\"><table><tr><th>序号</th><th>日志位置</th><th>时间（北京时间）</th><th>地区</th><th>操作人</th><th>事件</th><th>办理后状态</th><th>哈希 / 上一哈希 / 签名</th></tr>",
    );
    // Each event's step is the one folded from it (the chain's order may not be the log's),
    // found by its index: a search of every step for every event made a long history's page
    // cost the square of its length.
    let steps: std::collections::HashMap<usize, &crate::timeline::Step> =
        steps.iter().map(|s| (s.index, s)).collect();
    let not_counted: std::collections::HashMap<usize, &crate::timeline::NotCounted> =
        not_counted.iter().map(|n| (n.index, n)).collect();
    for &(i, e) in events {
        let step = steps.get(&i).copied();
        let after = match (step, not_counted.get(&i)) {
            (Some(s), _) => status_zh(&s.status_after),
            (None, Some(n)) => n.why.said_zh(),
            (None, None) => fallback,
        };
        // What was asked or done: the 补正 items, a reason, the licence.
        let details = match step {
            Some(s) if !s.details.is_empty() => {
                let items: String = s
                    .details
                    .iter()
                    .map(|d| {
                        let parts: Vec<String> = d.parts_zh().iter().map(|p| isolated(p)).collect();
                        format!("<li>{}：{}</li>", escape(d.label_zh), parts.join("、"))
                    })
                    .collect();
                format!("<ul class=\"details\">{items}</ul>")
            }
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"position\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}<br><small>{}</small>{}</td><td>{}</td>\
<td class=\"hash\">{}<br>← {}<br>✎ {}</td></tr>",
            e.seq,
            placed
                .position(i)
                .map_or_else(|| "—".to_string(), |p| p.to_string()),
            escape(&beijing(&e.at)),
            region(names, &e.region),
            isolated(&e.actor),
            escape(event_label_zh(e)),
            isolated(&e.kind),
            details,
            escape(after),
            escape(&e.hash),
            if e.prev_hash.is_empty() {
                "（首个事件）".to_string()
            } else {
                escape(&e.prev_hash)
            },
            escape(&e.sig),
        );
    }
    out.push_str("</table></div>");
}

/// The regions' request signatures of the events shown, where the caller stated them.
fn request_signatures(out: &mut String, shown: &[(usize, &Envelope)], provenance: &Provenance) {
    if let Some(requests) = &provenance.requests {
        let events: Vec<&Envelope> = shown.iter().map(|(_, e)| *e).collect();
        crate::requests::section(out, &events, requests);
    }
}

/// The raw events, to download and to read, and the page's end.
fn raw_events(out: &mut String, app: &str, events: &[Envelope]) {
    let raw = serde_json::to_string_pretty(events).unwrap_or_default();
    let _ = write!(
        out,
        "<h2>原始事件</h2><p><a id=\"download\" download=\"{}-events.json\" href=\"data:application/json;charset=utf-8,{}\">下载原始事件（JSON）</a></p>\
<details><summary>查看原始事件</summary><pre>{}</pre></details>",
        escape(app),
        percent_encode(&raw),
        // Shown with their hidden characters escaped (the same JSON): a right-to-left override
        // in a reason would otherwise turn the rest of its line around.
        escape(&crate::printable::json_visible(&raw))
    );
    let _ = write!(
        out,
        "<p><small>报告生成于 {}（北京时间）· tongban</small></p></body></html>",
        escape(&beijing(&Timestamp::now().to_rfc3339()))
    );
}

#[cfg(test)]
mod tests {
    use tongban_gateway::domain::calendar::Calendar;
    use tongban_gateway::envelope::GatewayKey;
    use tongban_gateway::log::Placed;
    use tongban_gateway::time::Timestamp;

    use crate::timeline::{self, Point};

    /// The evidence page of `events` verified under `key`, on a weekdays-only calendar, with no
    /// region names.
    fn page(
        events: &[tongban_gateway::envelope::Envelope],
        key: &tongban_gateway::envelope::PublicKey,
        provenance: &super::Provenance,
    ) -> String {
        let verification = crate::verify::verify_events(&events[0].app, events, key);
        super::evidence_page(
            Placed::unplaced(events),
            &Calendar::weekdays(),
            &verification,
            key,
            &Default::default(),
            provenance,
        )
    }

    /// The page's own words are Chinese: once the parts that are data (ids, hashes, keys, paths,
    /// event type codes, raw events) are taken out, no English word of three letters or more is
    /// left.
    fn assert_chinese(html: &str) {
        let body = html
            .split("<body>")
            .nth(1)
            .and_then(|b| b.split("<h2>原始事件</h2>").next())
            .expect("the page's body");
        let mut text = String::new();
        let mut in_tag = false;
        for c in body.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        // Data shown as it is: commands and options, file names, JSON field names, codes.
        let data = |w: &str| {
            w.contains('/')
                || w.contains('.')
                || w.contains('_')
                || w.contains('-')
                || w.chars().any(|c| c.is_ascii_digit())
                || [
                    "tongban", "verify", "Ed25519", "RFC", "JSON", "SHA", "hash", "sig",
                    // The scheme of the serving gateway's address.
                    "http",
                    // The log a position is a stream sequence of, and the feed's JSON fields
                    // the position is compared with.
                    "JetStream", "position", "acked",
                ]
                .contains(&w)
                // A status code, shown beside its Chinese name.
                || serde_json::from_value::<tongban_gateway::domain::Status>(w.into()).is_ok()
        };
        let english: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || "/._-".contains(c)))
            .filter(|w| w.len() >= 3 && w.chars().any(|c| c.is_ascii_alphabetic()))
            .filter(|w| !data(w))
            .collect();
        assert!(
            english.is_empty(),
            "English on the page: {english:?}\n{text}"
        );
    }

    /// Given a broken link and two events in one second, when the page is made, then the break
    /// is told in Chinese and the two times differ (to the millisecond, Beijing time).
    #[test]
    fn breaks_and_times_read_in_chinese() {
        let mut events = crate::reconcile::tests::supplemented("GD-7");
        let key = GatewayKey::from_seed([5; 32]).public();
        // Two events 400 ms apart in one second.
        let t = Timestamp::parse_rfc3339(&events[1].at).expect("at");
        assert_eq!(
            super::beijing(&Timestamp(t.0 + 433).to_rfc3339()),
            "2026-11-02 10:00:00.433"
        );
        events[2].data = serde_json::json!({"items": ["另一份材料"]});
        let html = page(&events, &key, &Default::default());
        assert!(
            html.contains(&format!(
                "申请 {} 第 3 号事件：记录的哈希为 {}，按事件内容重新计算为",
                events[0].app, events[2].hash
            )),
            "{html}"
        );
        assert!(!html.contains("recomputed"), "{html}");
        assert!(html.contains("<td>2026-11-02 10:00:00.000</td>"), "{html}");
        assert_chinese(&html);
    }

    /// Given an application whose result is a document alone (no licence), its events at log
    /// positions 4, 7, 9, 10 and 15, when its evidence page is made, then the result is named by
    /// what was issued, 出具结果（结果文书）, not 证照, and every event's row shows its position
    /// in the 日志位置 column, which the page says is the number of the feed and its
    /// acknowledged cursor; one whose result is a licence is still named 出具结果（证照）, and a
    /// page whose positions are not known shows a dash, never a number.
    #[test]
    fn a_result_is_named_by_what_was_issued_and_each_event_by_its_position() {
        use tongban_schemas::events as ev;
        let events = crate::reconcile::tests::issued(
            "GD-DOC",
            ev::ResultIssued {
                licence: None,
                document: Some(tongban_schemas::blocks::material::MaterialRef {
                    name: "准予许可决定书".into(),
                    kind: "decision".into(),
                    sha256: "ab".repeat(32),
                    size: 1024,
                    format: None,
                }),
            },
        );
        let key = GatewayKey::from_seed([5; 32]).public();
        let verification = crate::verify::verify_events(&events[0].app, &events, &key);
        let positions = [4, 7, 9, 10, 15];
        let made = |placed| {
            super::evidence_page(
                placed,
                &Calendar::weekdays(),
                &verification,
                &key,
                &Default::default(),
                &Default::default(),
            )
        };
        let html = made(Placed::new(&events, &positions));
        assert!(html.contains("<td>出具结果（结果文书）<br>"), "{html}");
        assert!(!html.contains("出具结果（证照）"), "{html}");
        assert!(html.contains("<th>序号</th><th>日志位置</th>"), "{html}");
        for (seq, at) in [(1, 4), (3, 9), (5, 15)] {
            assert!(
                html.contains(&format!(
                    "<tr><td>{seq}</td><td class=\"position\">{at}</td>"
                )),
                "seq {seq} at {at}: {html}"
            );
        }
        assert!(
            html.contains(
                "地区事件流 /v1/regions/{地区代码}/feed 各条目的 position、该地区已确认的游标 acked"
            ),
            "{html}"
        );
        assert_chinese(&html);
        let html = made(Placed::unplaced(&events));
        assert!(
            html.contains("<tr><td>1</td><td class=\"position\">—</td>"),
            "{html}"
        );
        // A licence is a 证照.
        let licensed = crate::reconcile::tests::delivered_by_origin("GD-LIC");
        let html = page(&licensed, &key, &Default::default());
        assert!(html.contains("<td>出具结果（证照）<br>"), "{html}");
    }

    /// Given an application's page, which showed 事项 as the bare code (`hukou-transfer`), when
    /// it is made, then 事项 reads `户口迁移（hukou-transfer）`, linked to the matter's registry page
    /// on the gateway that serves the page, by its absolute address, and the page names that
    /// gateway; in a report made offline (`tongban dispute`), which no gateway serves, it is not
    /// a link. (Found by walkthroughs: the saved report's link led to `file:///registry/…`, and
    /// so did the served page's once saved.)
    #[test]
    fn the_matter_is_named_and_linked() {
        let key = GatewayKey::from_seed([5; 32]).public();
        let events = crate::reconcile::tests::to_accepted("GD-8", "SL-8");
        let matter = tongban_schemas::matters::get(
            events[0].data["matter"].as_str().expect("a matter code"),
        )
        .expect("a known matter");
        let saved = page(&events, &key, &Default::default());
        assert!(
            saved.contains(&format!(
                "<dt>事项</dt><dd>{}（{code}）</dd>",
                matter.title_zh,
                code = matter.code
            )),
            "{saved}"
        );
        assert!(!saved.contains("href=\"/registry"), "{saved}");
        assert!(!saved.contains("id=\"served-by\""), "{saved}");
        let served = super::Provenance {
            key: Some(crate::provenance::KeySource::of(
                &key,
                crate::provenance::KeyOrigin::ServingGateway,
            )),
            calendar: None,
            gateway: Some("http://gw.example:8080".into()),
            requests: None,
            cursors: None,
        };
        let html = page(&events, &key, &served);
        assert!(
            html.contains(&format!(
                "<dt>事项</dt><dd><a id=\"matter\" href=\"http://gw.example:8080/registry/matter.{code}\">{}（{code}）</a></dd>",
                matter.title_zh,
                code = matter.code
            )),
            "{html}"
        );
        assert!(!html.contains("href=\"/"), "a relative link: {html}");
        assert!(
            html.contains("本页由网关 <span class=\"hash\">http://gw.example:8080</span> 提供"),
            "{html}"
        );
        assert_chinese(&html);
    }

    /// Given an application withdrawn before it was forwarded, when its page is made, then the
    /// deadlines say it ended before any statutory clock started, not that one will start once
    /// it is forwarded (it never will: it is closed for good).
    #[test]
    fn an_application_closed_before_forwarding_has_no_clock_to_come() {
        use crate::reconcile::tests::{GD, ZJ, history, submit_to};
        use tongban_gateway::domain::Command;
        let key = GatewayKey::from_seed([5; 32]).public();
        let events = history(
            "GD-W",
            vec![
                (GD, submit_to("GD-W", ZJ), "2026-11-02T01:00:00Z"),
                (
                    GD,
                    Command::Withdraw(tongban_schemas::events::Withdrawn::default()),
                    "2026-11-02T03:00:00Z",
                ),
            ],
        );
        let html = page(&events, &key, &Default::default());
        let deadlines = html
            .split("<h2>法定期限</h2>")
            .nth(1)
            .and_then(|rest| rest.split("<h2>").next())
            .expect("the deadlines section");
        assert!(
            deadlines.contains("开始计算任何法定期限之前已终结"),
            "{deadlines}"
        );
        assert!(!deadlines.contains("转交办理地后开始计算"), "{deadlines}");
    }

    /// Given an application only submitted, when its page is made, then the deadlines say
    /// there are none yet instead of showing an empty table; given a supplement with no
    /// materials, then no empty 补正材料 is shown.
    #[test]
    fn no_deadlines_and_no_empty_materials_are_said_as_such() {
        let key = GatewayKey::from_seed([5; 32]).public();
        let events = crate::reconcile::tests::to_accepted("GD-9", "SL-9");
        let html = page(&events[..1], &key, &Default::default());
        let deadlines = html
            .split("<h2>法定期限</h2>")
            .nth(1)
            .and_then(|rest| rest.split("<h2>").next())
            .expect("the deadlines section");
        assert!(deadlines.contains("尚无法定期限"), "{deadlines}");
        assert!(!deadlines.contains("<table>"), "{deadlines}");
        let html = page(
            &crate::reconcile::tests::supplemented("GD-7"),
            &key,
            &Default::default(),
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(!html.contains("补正材料："), "{html}");
    }

    /// A report to a point in time counts and lists the events up to it, and says that the
    /// verdict and the download are of the whole chain.
    #[test]
    fn a_report_to_a_point_counts_the_events_up_to_it() {
        let events = crate::reconcile::tests::to_accepted("GD-9", "SL-9");
        assert_eq!(events.len(), 3);
        let t = timeline::build(
            &events,
            &crate::reconcile::tests::key(),
            &Calendar::weekdays(),
            Point::Seq(1),
            Timestamp::now(),
        )
        .expect("timeline");
        let key = GatewayKey::from_seed([5; 32]).public();
        let verification = crate::verify::verify_events(&events[0].app, &events, &key);
        let html = super::render(
            Some(&t),
            None,
            Placed::unplaced(&events),
            &verification,
            "k",
            &Default::default(),
            &Default::default(),
        );
        assert_eq!(html.matches("<tr><td>").count(), 1);
        assert!(
            html.contains(
                "<dt>事件数</dt><dd>1（截至第 1 号事件；全链共 3 个，校验与下载均为全链）</dd>"
            ),
            "{html}"
        );
    }

    /// Given a supplement requested and supplied in the same second, when the evidence page is
    /// made, then its two acceptance rows say which clock each is, instead of two identical rows.
    #[test]
    fn two_clocks_of_one_kind_are_told_apart() {
        let events = crate::reconcile::tests::supplemented("GD-7");
        let key = GatewayKey::from_seed([5; 32]).public();
        let html = page(&events, &key, &Default::default());
        let table = html
            .split("<h2>法定期限</h2>")
            .nth(1)
            .and_then(|rest| rest.split("</table>").next())
            .expect("the deadlines table");
        let all: Vec<&str> = table.split("<tr class=").skip(1).collect();
        let rows: Vec<&str> = all
            .iter()
            .copied()
            .filter(|r| r.contains("<td>受理期限"))
            .collect();
        assert_eq!(rows.len(), 2, "{table}");
        assert_ne!(rows[0], rows[1], "{table}");
        // Never accepted, the second window long run out: accepted by law on receipt, and the
        // decision clock runs from it (行政许可法 Art. 32).
        assert_eq!(all.len(), 3, "{table}");
        assert!(
            all[2].contains("审查决定期限（受理期限届满未作处理，依《行政许可法》第三十二条自收到申请材料之日起视为受理）"),
            "{table}"
        );
        assert!(
            rows[0].contains("受理期限（5个工作日）（第 1 次计时）"),
            "{table}"
        );
        assert!(
            rows[1].contains("受理期限（5个工作日）（第 2 次计时）"),
            "{table}"
        );
        // The first met, the second and the decision clock still running long past their
        // dates: each says it still runs, not a word that reads as closed late.
        assert!(rows[0].contains("<td>按期完成</td>"), "{table}");
        for row in [rows[1], all[2]] {
            assert!(row.contains("<td>已超期，仍在计时</td>"), "{table}");
        }
    }

    /// Given a proxy application approved by Zhejiang on Monday 11-02, the result issued by it on
    /// Friday 11-06 and delivered by Guangdong's window on 11-20, when the evidence page is made,
    /// then the issue clock's row shows who held it from when to when: Zhejiang from the approval
    /// to the issue, Guangdong from the issue to the delivery; before the delivery, Guangdong
    /// since the issue. (Found by a walkthrough: the row named Guangdong alone, as if it had held
    /// the clock from the approval.)
    #[test]
    fn the_issue_clock_shows_who_held_it_when() {
        use crate::reconcile::tests::{GD, ZJ};
        let key = GatewayKey::from_seed([5; 32]).public();
        let events = crate::reconcile::tests::delivered_by_origin("GD-I");
        let names: std::collections::BTreeMap<String, String> = [(GD, "广东省"), (ZJ, "浙江省")]
            .into_iter()
            .map(|(c, n)| (c.to_string(), n.to_string()))
            .collect();
        let verification = crate::verify::verify_events(&events[0].app, &events, &key);
        let issue_row = |point| {
            let t = timeline::build(
                &events,
                &key,
                &Calendar::weekdays(),
                point,
                Timestamp::now(),
            )
            .expect("timeline");
            let html = super::render(
                Some(&t),
                None,
                Placed::unplaced(&events),
                &verification,
                "k",
                &names,
                &Default::default(),
            );
            assert_chinese(&html);
            html.split("<td>颁发送达期限</td>")
                .nth(1)
                .and_then(|r| r.split("</tr>").next())
                .expect("the issue row")
                .to_string()
        };
        let delivered = issue_row(Point::Now);
        assert!(
            delivered.contains(
                "<li>330000 <bdi>浙江省</bdi>：2026-11-02 10:00:00.000 至 2026-11-06 10:00:00.000</li>\
                 <li>440000 <bdi>广东省</bdi>：2026-11-06 10:00:00.000 至 2026-11-20 10:00:00.000（期限办结）</li>"
            ),
            "{delivered}"
        );
        assert!(delivered.contains("<td>逾期完成</td>"), "{delivered}");
        let issued = issue_row(Point::Seq(5));
        assert!(
            issued.contains(
                "<li>330000 <bdi>浙江省</bdi>：2026-11-02 10:00:00.000 至 2026-11-06 10:00:00.000</li>\
                 <li>440000 <bdi>广东省</bdi>：2026-11-06 10:00:00.000 起，期限尚未办结</li>"
            ),
            "{issued}"
        );
    }

    /// Given a supplement request, when the evidence page is made, then its event row names what
    /// was asked for, in Chinese.
    #[test]
    fn the_event_table_shows_what_was_asked() {
        let events = crate::reconcile::tests::supplemented("GD-7");
        let key = GatewayKey::from_seed([5; 32]).public();
        let html = page(&events, &key, &Default::default());
        let row = html
            .split("<tr><td>3</td>")
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .expect("the row of seq 3");
        assert!(
            row.contains("<ul class=\"details\"><li>需补正的材料或事项：<bdi>照片</bdi></li></ul>"),
            "{row}"
        );
    }

    /// Given a 补正告知 whose first item holds a right-to-left override, when the evidence page
    /// is made, then each item is isolated on its own (the override turns no other item, nor
    /// the text after it, around), and the raw events show the override as `\u202e`, the same
    /// JSON. (Found by a red-team walkthrough: the page rendered such text raw.)
    #[test]
    fn text_a_party_wrote_is_isolated_on_the_page() {
        let mut events = crate::reconcile::tests::supplemented("GD-B");
        let key = GatewayKey::from_seed([5; 32]);
        let asked = events
            .iter()
            .position(|e| e.kind == "application.supplement-requested")
            .expect("a supplement request");
        events.truncate(asked);
        let content = tongban_gateway::envelope::Content {
            kind: "application.supplement-requested".into(),
            schema: "application.supplement-requested/1".into(),
            region: "330000".into(),
            actor: "330000/\u{202e}tnega".into(),
            at: "2026-11-02T03:00:00Z".into(),
            data: serde_json::json!({"items": ["\u{202e}照片 乙", "户口簿"]}),
        };
        events.push(tongban_gateway::envelope::Envelope::sealed_after(
            events.last(),
            &events[0].app,
            content,
            &key,
        ));
        let html = page(&events, &key.public(), &Default::default());
        assert!(
            html.contains(
                "<li>需补正的材料或事项：<bdi>\u{202e}照片 乙</bdi>、<bdi>户口簿</bdi></li>"
            ),
            "{html}"
        );
        assert!(
            html.contains("<td><bdi>330000/\u{202e}tnega</bdi></td>"),
            "{html}"
        );
        let raw = html.split("<pre>").nth(1).expect("the raw events");
        assert!(raw.contains("\\u202e照片 乙"), "{raw}");
        assert!(!raw.contains('\u{202e}'), "{raw}");
    }

    /// Given any evidence page, as `tongban dispute --out` and `replay --format html` save it,
    /// when a browser opens the file, then it carries the served pages' Content-Security-Policy
    /// as a `<meta http-equiv>` (the one policy, `headers::HTML_POLICY`), before any content;
    /// and its text breaks anywhere, so that a note of 60,000 characters without a break
    /// shrinks into its cell instead of pushing the table's columns off the screen
    /// (`overflow-wrap: anywhere`, which table cells' widths obey; `break-word` they do not).
    /// (Found by a red-team walkthrough: saved pages carried no policy.)
    #[test]
    fn a_saved_page_carries_the_policy_and_breaks_long_text() {
        let events = crate::reconcile::tests::to_accepted("GD-P", "SL-P");
        let key = GatewayKey::from_seed([5; 32]).public();
        let html = page(&events, &key, &Default::default());
        let policy = tongban_gateway::http::headers::HTML_POLICY;
        let meta = format!(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
            super::escape(policy)
        );
        let head = html.split("<body>").next().expect("the head");
        assert!(head.contains(&meta), "{head}");
        assert!(policy.starts_with("default-src 'none'"), "{policy}");
        assert!(
            head.contains("overflow-wrap:anywhere") && !head.contains("break-word"),
            "{head}"
        );
    }

    /// Given a decision clock suspended and resumed, when the page is made at each point, then
    /// its row shows the pause (from, to, days used) and, while paused, the due date as it would
    /// be if the clock ran again then, marked as such.
    #[test]
    fn the_deadline_table_shows_the_suspension() {
        let events = crate::reconcile::tests::suspended("GD-5");
        let key = GatewayKey::from_seed([5; 32]).public();
        let verification = crate::verify::verify_events(&events[0].app, &events, &key);
        let row_at = |point| {
            let t = timeline::build(
                &events,
                &key,
                &Calendar::weekdays(),
                point,
                Timestamp::now(),
            )
            .expect("timeline");
            let html = super::render(
                Some(&t),
                None,
                Placed::unplaced(&events),
                &verification,
                "k",
                &Default::default(),
                &Default::default(),
            );
            html.split("<td>审查决定期限</td>")
                .nth(1)
                .and_then(|r| r.split("</tr>").next())
                .expect("the decision row")
                .to_string()
        };
        // Suspended Tue 11-10 (3 days used of 20); as of Mon 11-16, resumed then it would run
        // 17 working days to 12-09.
        let paused = row_at(Point::At(
            Timestamp::parse_rfc3339("2026-11-16T01:00:00Z")
                .expect("at")
                .0,
        ));
        assert!(
            paused.contains("<td>2026-12-09（暂停中：若此时恢复计时）"),
            "{paused}"
        );
        assert!(
            paused.contains("2026-11-10 11:00:00.000 起暂停中；暂停前累计已用 3 个工作日"),
            "{paused}"
        );
        let resumed = row_at(Point::Now);
        assert!(
            resumed.contains(
                "2026-11-10 11:00:00.000 至 2026-11-20 11:00:00.000；暂停前累计已用 3 个工作日"
            ),
            "{resumed}"
        );
        assert!(resumed.contains("<td>2026-12-15"), "{resumed}");
    }

    /// Given an application whose second event is sealed and signed but does not read as its
    /// type, when its evidence page is made, then the page says the events' links and signatures
    /// hold and names the event as unreadable by this build, never as a break.
    #[test]
    fn an_unreadable_event_is_not_called_a_break() {
        let mut events = crate::reconcile::tests::to_accepted("GD-9", "SL-9");
        events.truncate(1);
        let key = GatewayKey::from_seed([5; 32]);
        let odd = tongban_gateway::envelope::Envelope::sealed_after(
            events.last(),
            &events[0].app,
            tongban_gateway::envelope::Content {
                kind: "application.forwarded".into(),
                schema: "application.forwarded/1".into(),
                region: "440000".into(),
                actor: "440000/t".into(),
                at: "2026-11-02T02:00:00Z".into(),
                data: serde_json::json!({"materials_checked": "yes"}),
            },
            &key,
        );
        events.push(odd);
        let html = page(&events, &key.public(), &Default::default());
        assert!(!html.contains("处断裂"), "{html}");
        assert!(html.contains("id=\"unreadable-events\""), "{html}");
        assert!(html.contains("本版本无法解读（"), "{html}");
        assert!(!html.contains("unreadable by this build"), "{html}");
        assert!(
            html.contains("本页所列 2 个事件的哈希链衔接与签名全部校验通过（其中 1 个"),
            "{html}"
        );
    }

    /// Given a log holding a second copy of an application's seq 2 after its last event, or
    /// missing its seq 3, when the evidence page is made, then the status is the chain's in
    /// order (accepted, or forwarded where seq 3 is missing, with the break said at the top),
    /// and each row not folded says why: a copy, or past the break.
    #[test]
    fn a_page_of_a_broken_log_folds_its_chain_in_order() {
        let events = crate::reconcile::tests::suspended("GD-8");
        let key = GatewayKey::from_seed([5; 32]).public();
        let row_of = |html: &str, label: &str| html.matches(label).count();

        let mut copied = events.clone();
        copied.push(events[1].clone());
        let html = page(&copied, &key, &Default::default());
        assert!(html.contains("<dd>已受理（accepted）</dd>"), "{html}");
        assert_eq!(row_of(&html, "重复副本，未计入"), 1, "{html}");
        assert!(!html.contains("id=\"chain-stops\""), "{html}");

        let mut gap = events.clone();
        gap.remove(2);
        let html = page(&gap, &key, &Default::default());
        assert!(html.contains("<dd>已转交（forwarded）</dd>"), "{html}");
        assert!(html.contains("id=\"chain-stops\""), "{html}");
        assert!(
            html.contains("证据链在第 2 号事件之后断开：缺少第 3 号事件（下一个事件为第 4 号）")
                && !html.contains("is missing"),
            "{html}"
        );
        assert_eq!(row_of(&html, "证据链断开，未计入"), 2, "{html}");
    }

    /// Given an application's fourth event (a suspension) rewritten in place, its hash and
    /// signature left, when the evidence page is made, then its state is the third event's
    /// (accepted), named by that event, the fourth row says the chain breaks there and the
    /// fifth that it is broken before it, and no row shows a status folded past the break; under
    /// a key that signed none of them, no state at all. (A walkthrough found the page showing a
    /// rewritten decision, and a forged approval, as the application's state.)
    #[test]
    fn a_page_counts_no_event_whose_seal_fails() {
        let events = crate::reconcile::tests::suspended("GD-R");
        let key = GatewayKey::from_seed([5; 32]).public();
        let mut rewritten = events.clone();
        rewritten[3].data["reason"] = serde_json::json!("申请人主动放弃");
        let html = page(&rewritten, &key, &Default::default());
        assert!(html.contains("<dd>已受理（accepted）</dd>"), "{html}");
        assert!(
            html.contains("<dt>状态（截至第 3 号事件（受理），北京时间 2026-11-05 11:00:00.000；其后的事件未计入）</dt>"),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "证据链在第 3 号事件之后断开：第 4 号事件记录的哈希为 {}，按事件内容重新计算为",
                events[3].hash
            )),
            "{html}"
        );
        let rows = html
            .split("<h2>事件经过</h2>")
            .nth(1)
            .and_then(|r| r.split("</table>").next())
            .expect("the event table");
        assert_eq!(rows.matches("证据链在此断开，未计入").count(), 1, "{rows}");
        assert_eq!(rows.matches("证据链断开，未计入").count(), 1, "{rows}");
        assert!(!rows.contains("<td>已暂停</td>"), "{rows}");
        assert!(html.contains("发现 1 处断裂"), "{html}");
        assert_chinese(&html);

        let other = GatewayKey::from_seed([9; 32]).public();
        let html = page(&events, &other, &Default::default());
        assert!(html.contains("id=\"chain-stops\">证据链从第 1 号事件起即不成立：第 1 号事件的签名无法用核对所用的公钥验证"), "{html}");
        assert!(!html.contains("<dt>状态"), "{html}");
        assert_eq!(html.matches("证据链断开，未计入").count(), 5, "{html}");
        assert_chinese(&html);
    }

    /// Given an intact chain, when its page is made, then it says the links and signatures of
    /// the events shown hold, not that the history is complete (完整): that events after the
    /// last one were removed no chain shows, and the page says where to look.
    #[test]
    fn an_intact_page_does_not_claim_the_history_is_complete() {
        let events = crate::reconcile::tests::suspended("GD-C");
        let key = GatewayKey::from_seed([5; 32]).public();
        let html = page(&events, &key, &Default::default());
        assert!(
            html.contains("id=\"verdict\">本页所列 5 个事件的哈希链衔接与签名全部校验通过。</p>"),
            "{html}"
        );
        assert!(!html.contains("完整"), "{html}");
        assert!(
            html.contains("仅凭本页无法表明最后一个事件之后是否还有事件被删除")
                && html.contains("tongban verify")
                && html.contains("verify_chain.py --earlier"),
            "{html}"
        );
        assert_chinese(&html);
    }

    /// Given a log holding an application's seq 3 and 4 in each other's places, when the
    /// evidence page is made, then it says one break, the event out of its place and between
    /// which it is stored, that none is missing, and folds the whole chain (suspended): it said
    /// three breaks, each "中间的事件缺失".
    #[test]
    fn a_page_of_two_events_in_each_others_places_says_so() {
        let events = crate::reconcile::tests::suspended("GD-9");
        let key = GatewayKey::from_seed([5; 32]).public();
        let mut swapped = events.clone();
        swapped.swap(2, 3);
        let html = page(&swapped, &key, &Default::default());
        assert!(html.contains("发现 1 处断裂"), "{html}");
        assert!(
            html.contains(
                "第 4 号事件：存放在第 2 号与第 3 号事件之间，不在其序号的位置（该申请的事件一个不少"
            ),
            "{html}"
        );
        assert!(!html.contains("缺失"), "{html}");
        assert!(!html.contains("id=\"chain-stops\""), "{html}");
        assert_chinese(&html);
    }

    /// Given the offline tools' knowledge of where the key and the calendar came from, when the
    /// page is made, then it states both, and a weekdays-only calendar as such.
    #[test]
    fn the_page_says_where_its_key_and_calendar_came_from() {
        let events = crate::reconcile::tests::to_accepted("GD-9", "SL-9");
        let key = GatewayKey::from_seed([5; 32]).public();
        let provenance = super::Provenance {
            key: Some(super::KeySource {
                kid: "k1".into(),
                public_key_hex: key.to_hex(),
                origin: super::KeyOrigin::DataDir("/srv/tongban/gateway.key".into()),
            }),
            calendar: Some(super::CalendarSource::WeekdaysOnly(super::NoDates::NoFile)),
            gateway: None,
            requests: None,
            cursors: None,
        };
        let html = page(&events, &key, &provenance);
        assert!(
            html.contains("公钥来源：公钥 k1，读取自被核对的数据目录 /srv/tongban/gateway.key"),
            "{html}"
        );
        assert!(
            html.contains("工作日历：数据目录中没有 holidays.json，仅按周一至周五计算"),
            "{html}"
        );
        // The note says it of every deadline; the rows do not repeat it.
        assert!(!html.contains("超出工作日历所列年份"), "{html}");
        assert_chinese(&html);
        // A calendar whose last year is before the deadlines: its rows say so.
        let listed = super::Provenance {
            calendar: Some(super::CalendarSource::Holidays {
                path: "holidays.json".into(),
                through: 2025,
            }),
            ..provenance
        };
        let html = page(&events, &key, &listed);
        assert!(
            html.contains("含 2025 年及以前的法定节假日与调休"),
            "{html}"
        );
        assert!(
            html.contains("（超出工作日历所列年份：仅按周一至周五计算，可能偏早）"),
            "{html}"
        );
        assert_chinese(&html);
        let without = page(&events, &key, &Default::default());
        assert!(!without.contains("公钥来源") && !without.contains("id=\"calendar\""));
    }
}
