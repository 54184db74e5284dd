//! The regions' own signatures over the requests that caused an application's events, on the
//! dispute page.
//!
//! An event is signed by the gateway: it proves the gateway recorded it, not that a region
//! asked for it. A region that registered a key signs every request that changes state, and the
//! gateway keeps that signature with the request's exact bytes beside the log (`evidence/`,
//! docs/signed-requests.md). Shown beside the events, and checked again here from what was kept
//! alone, it answers the other half of "who did what": the region itself sent this request, and
//! the gateway did not make it up. Where none is kept, the page says why none can be shown, not
//! nothing.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tongban_gateway::auth::RequestSignature;
use tongban_gateway::envelope::Envelope;

use crate::html::escape;

/// The request evidence a page can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requests {
    /// What the evidence store holds, by event id (events whose request was not signed have
    /// none).
    Kept(BTreeMap<String, RequestSignature>),
    /// None can be shown, and why (for people, in Chinese: the page's language).
    Unavailable(String),
}

/// The section of the page: each shown event's request signature, checked again, or why there
/// is none.
pub fn section(out: &mut String, events: &[&Envelope], requests: &Requests) {
    out.push_str("<h2 id=\"request-signatures\">地区请求签名</h2>");
    out.push_str(
        "<p>登记了签名公钥的地区，其每个改变状态的请求都带有本地区的 Ed25519 签名。网关把签名连同请求原文保存在日志之外（数据目录的 evidence/），下表逐一用所存内容重新校验：校验通过，说明该请求确由持有该私钥的地区发出，而非网关编造。公钥是否确为该地区当时所用，请以该地区自己的密钥记录为准。未登记公钥的地区只凭令牌调用，其请求没有签名记录。</p>",
    );
    let kept = match requests {
        Requests::Unavailable(why) => {
            let _ = write!(
                out,
                "<p id=\"request-signatures-unavailable\">本页不显示请求签名：{}</p>",
                escape(why)
            );
            return;
        }
        Requests::Kept(kept) => kept,
    };
    let signed: Vec<(&Envelope, &RequestSignature)> = events
        .iter()
        .filter_map(|e| kept.get(&e.id).map(|s| (*e, s)))
        .collect();
    if signed.is_empty() {
        out.push_str(
            "<p id=\"no-request-signatures\">本申请的事件均无请求签名记录：发起这些请求的地区未登记签名公钥，或请求由同一日志的其他网关接收（多网关部署中，各网关只保存自己接收的请求签名）。</p>",
        );
        return;
    }
    out.push_str(
        "<div class=\"scroll\"><table><tr><th>序号</th><th>签名地区</th><th>请求</th><th>请求时间（Date，原样）</th><th>公钥</th><th>重新校验</th></tr>",
    );
    for (e, s) in &signed {
        let (class, checked) = match s.recheck() {
            Ok(()) => ("good", "<span class=\"ok\">通过</span>".to_string()),
            Err(why) => (
                "bad",
                format!("<span class=\"broken\">不通过：{}</span>", escape(why.zh())),
            ),
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td class=\"hash\">{}</td><td>{checked}</td></tr>",
            e.seq,
            escape(&s.keyid),
            escape(&s.method),
            escape(&s.path),
            escape(&s.date),
            escape(&s.public_key),
        );
    }
    out.push_str("</table></div>");
    // Everything needed to check them without this page: docs/signed-requests.md says how.
    let by_event: BTreeMap<&str, &RequestSignature> =
        signed.iter().map(|(e, s)| (e.id.as_str(), *s)).collect();
    let raw = serde_json::to_string_pretty(&by_event).unwrap_or_default();
    let _ = write!(
        out,
        "<details><summary>查看所存请求签名（JSON，按事件 id；复核方法见 docs/signed-requests.md）</summary><pre id=\"request-signatures-json\">{}</pre></details>",
        escape(&raw)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_gateway::auth::signature::signed_evidence;
    use tongban_gateway::envelope::GatewayKey;

    /// A request of 310000 signed with `key`, as the gateway keeps it.
    fn kept(key: &GatewayKey, path: &str) -> RequestSignature {
        signed_evidence(
            key,
            "310000",
            path,
            "2026-11-23T12:00:00.5Z",
            br#"{"expected_seq":1}"#,
        )
    }

    /// Given events of which two have kept request signatures, one of them altered since, then
    /// the section shows one row checked, one failing with why, and none for the third event;
    /// given none kept, or none available, it says which.
    #[test]
    fn each_kept_signature_is_shown_and_checked_again() {
        let events = crate::reconcile::tests::to_accepted("SH-1", "SL-1");
        let key = GatewayKey::from_seed([4; 32]);
        let mut altered = kept(&key, "/v1/applications/a/forward");
        altered.path = "/v1/applications/a/accept".into();
        let requests = Requests::Kept(BTreeMap::from([
            (events[0].id.clone(), kept(&key, "/v1/applications")),
            (events[1].id.clone(), altered),
        ]));
        let shown: Vec<&Envelope> = events.iter().collect();
        let mut out = String::new();
        section(&mut out, &shown, &requests);
        assert_eq!(out.matches("<tr class=\"good\">").count(), 1, "{out}");
        assert_eq!(out.matches("<tr class=\"bad\">").count(), 1, "{out}");
        assert!(
            out.contains("不通过：canonical 不是所存方法、路径、Date 与摘要以换行相连"),
            "{out}"
        );
        assert!(out.contains(&key.public().to_hex()), "{out}");
        assert!(out.contains("id=\"request-signatures-json\""), "{out}");

        let mut out = String::new();
        section(&mut out, &shown, &Requests::Kept(BTreeMap::new()));
        assert!(out.contains("id=\"no-request-signatures\""), "{out}");
        assert!(!out.contains("<table>"), "{out}");
        let mut out = String::new();
        section(
            &mut out,
            &shown,
            &Requests::Unavailable("数据目录中没有 evidence".into()),
        );
        assert!(
            out.contains("本页不显示请求签名：数据目录中没有 evidence"),
            "{out}"
        );
    }
}
