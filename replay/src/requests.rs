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

use crate::html::{escape, isolated};

/// The request evidence a page can show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requests {
    /// What the evidence store holds, by event id (events whose request was not signed have
    /// none).
    Kept(BTreeMap<String, RequestSignature>),
    /// None can be shown, and why (for people, in Chinese: the page's language).
    Unavailable(String),
}

/// How far a request's `Date` may be from the time of the event it caused: the gateway refuses
/// a `Date` more than five minutes from its clock, and stamps the event when it takes the
/// request (a minute more for a clock stepped between the two). Never after the event by more;
/// before it by more only where the event's time was held at its previous event's (a clock
/// behind that one's: the stamp is then not the gateway's clock).
const DATE_FROM_EVENT_MS: i64 = 6 * 60 * 1000;

/// Why the kept request, sound in itself, is not the one behind `e` (evidence stored under
/// another event's id, by a fault or by hand), if it is not: signed by another region than the
/// one that acted, naming another application, a submission's request behind a later event or
/// an action's behind a submission, or signed at another time.
fn not_this_event(
    s: &RequestSignature,
    e: &Envelope,
    previous_at: Option<&str>,
) -> Option<&'static str> {
    if s.keyid != e.region {
        return Some("签名地区（keyid）不是该事件记载的行为地区");
    }
    let path = s.path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let submission = matches!(segments.as_slice(), ["v1", "applications"])
        || matches!(segments.as_slice(), ["v1", "regions", _, "forms", _]);
    match segments.as_slice() {
        ["v1", "applications", app, _action] if *app != e.app => {
            return Some("请求路径中的申请编号不是该事件所属的申请");
        }
        ["v1", "applications", _, _] if e.seq == 1 => {
            return Some("办理操作的请求不能产生申请的首个事件（提交）");
        }
        _ if submission && e.seq != 1 => {
            return Some("提交申请的请求只能产生申请的首个事件");
        }
        _ => {}
    }
    let signed = tongban_gateway::time::Timestamp::parse_rfc3339(&s.date)
        .or_else(|| tongban_gateway::time::Timestamp::parse_http_date(&s.date));
    let at = tongban_gateway::time::Timestamp::parse_rfc3339(&e.at);
    let held = previous_at == Some(e.at.as_str());
    match (signed, at) {
        (Some(signed), Some(at))
            if signed.0 - at.0 <= DATE_FROM_EVENT_MS
                && (held || at.0 - signed.0 <= DATE_FROM_EVENT_MS) =>
        {
            None
        }
        _ => Some("请求时间（Date）与事件时间相差超过 6 分钟"),
    }
}

/// The section of the page: each shown event's request signature, checked again, or why there
/// is none.
pub fn section(out: &mut String, events: &[&Envelope], requests: &Requests) {
    out.push_str("<h2 id=\"request-signatures\">地区请求签名</h2>");
    out.push_str(
        "<p>登记了签名公钥的地区，其每个改变状态的请求都带有本地区的 Ed25519 签名。网关把签名连同请求原文保存在日志之外（数据目录的 evidence/），下表逐一用所存内容重新校验（请求原文只向签名地区与运维人员提供：地方表单的原文含有未进入事件的字段；其他各方看到签名与正文摘要，不看原文）：校验通过，说明该请求确由持有该私钥的地区发出，而非网关编造。公钥是否确为该地区当时所用，请以该地区自己的密钥记录为准。未登记公钥的地区只凭令牌调用，其请求没有签名记录；同一日志由多个网关服务时，各网关只保存自己接收的请求签名，其他网关接收的请求也不在此列。</p>",
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
        // The time of the application's event before it, which a clock behind holds it to.
        let previous_at = events
            .iter()
            .find(|p| p.app == e.app && p.seq + 1 == e.seq)
            .map(|p| p.at.as_str());
        let failed = match s.recheck() {
            Err(why) => Some(why.zh()),
            Ok(()) => not_this_event(s, e, previous_at),
        };
        let (class, checked) = match failed {
            // Served without the body (to a party that did not sign it): the signature over
            // the digest holds, the body is for the signer and operators to match.
            None if s.body_base64url.is_none() => (
                "good",
                format!(
                    "<span class=\"ok\">通过</span>（请求正文不向本方提供，只向签名地区 {} 与运维人员提供，由其核对正文摘要）",
                    isolated(&s.keyid)
                ),
            ),
            None => ("good", "<span class=\"ok\">通过</span>".to_string()),
            Some(why) => (
                "bad",
                format!("<span class=\"broken\">不通过：{}</span>", escape(why)),
            ),
        };
        let _ = write!(
            out,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td class=\"hash\">{}</td><td>{checked}</td></tr>",
            e.seq,
            isolated(&s.keyid),
            escape(&s.method),
            isolated(&s.path),
            isolated(&s.date),
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
        escape(&crate::printable::json_visible(&raw))
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongban_gateway::auth::signature::signed_evidence;
    use tongban_gateway::envelope::GatewayKey;

    /// The request behind `e`, at `path`, signed by its region with `key` when `e` was stamped,
    /// as the gateway keeps it.
    fn kept(key: &GatewayKey, e: &Envelope, path: &str) -> RequestSignature {
        signed_evidence(key, &e.region, path, &e.at, br#"{"expected_seq":1}"#)
    }

    /// Given events of which three have kept request signatures, one of them altered since and
    /// one another application's request stored under this one's event, then the section shows
    /// one row checked and two failing with why, and none for the other events; given none
    /// kept, or none available, it says which.
    #[test]
    fn each_kept_signature_is_shown_and_checked_against_its_event() {
        let events = crate::reconcile::tests::to_accepted("SH-1", "SL-1");
        assert!(events.len() >= 3, "{events:?}");
        let key = GatewayKey::from_seed([4; 32]);
        let forward = format!("/v1/applications/{}/forward", events[1].app);
        let mut altered = kept(&key, &events[1], &forward);
        altered.path = format!("/v1/applications/{}/accept", events[1].app);
        let elsewhere = kept(
            &key,
            &events[2],
            "/v1/applications/0195f1b2-0000-7000-8000-000000000000/accept",
        );
        let requests = Requests::Kept(BTreeMap::from([
            (
                events[0].id.clone(),
                kept(&key, &events[0], "/v1/applications"),
            ),
            (events[1].id.clone(), altered),
            (events[2].id.clone(), elsewhere),
        ]));
        let shown: Vec<&Envelope> = events.iter().collect();
        let mut out = String::new();
        section(&mut out, &shown, &requests);
        assert_eq!(out.matches("<tr class=\"good\">").count(), 1, "{out}");
        assert_eq!(out.matches("<tr class=\"bad\">").count(), 2, "{out}");
        assert!(
            out.contains("不通过：canonical 不是所存方法、路径、Date 与摘要以换行相连"),
            "{out}"
        );
        assert!(
            out.contains("不通过：请求路径中的申请编号不是该事件所属的申请"),
            "{out}"
        );
        assert!(out.contains(&key.public().to_hex()), "{out}");
        assert!(out.contains("id=\"request-signatures-json\""), "{out}");

        // A submission's request behind a later event, another region's, another time.
        let later = kept(&key, &events[1], "/v1/applications");
        assert_eq!(
            not_this_event(&later, &events[1], None),
            Some("提交申请的请求只能产生申请的首个事件")
        );
        let mut other = kept(&key, &events[0], "/v1/applications");
        other.keyid = "990000".into();
        assert_eq!(
            not_this_event(&other, &events[0], None),
            Some("签名地区（keyid）不是该事件记载的行为地区")
        );
        let mut late = kept(&key, &events[0], "/v1/applications");
        late.date = "2020-01-01T00:00:00Z".into();
        assert_eq!(
            not_this_event(&late, &events[0], None),
            Some("请求时间（Date）与事件时间相差超过 6 分钟")
        );
        // An event held at its previous event's time (the gateway's clock was behind it) may
        // be stamped well after its request's Date; never well before.
        let forward = format!("/v1/applications/{}/forward", events[1].app);
        let mut held = kept(&key, &events[1], &forward);
        held.date = "2020-01-01T00:00:00Z".into();
        assert_eq!(not_this_event(&held, &events[1], Some(&events[1].at)), None);
        assert_eq!(
            not_this_event(&held, &events[1], Some("2019-01-01T00:00:00.000Z")),
            Some("请求时间（Date）与事件时间相差超过 6 分钟")
        );
        let mut ahead = kept(&key, &events[1], &forward);
        ahead.date = "2099-01-01T00:00:00Z".into();
        assert_eq!(
            not_this_event(&ahead, &events[1], Some(&events[1].at)),
            Some("请求时间（Date）与事件时间相差超过 6 分钟")
        );

        let mut out = String::new();
        section(&mut out, &shown, &Requests::Kept(BTreeMap::new()));
        assert!(out.contains("id=\"no-request-signatures\""), "{out}");
        assert!(!out.contains("<table>"), "{out}");
        let mut out = String::new();
        section(
            &mut out,
            &shown,
            &Requests::Unavailable("数据目录中没有 evidence/".into()),
        );
        assert!(
            out.contains("本页不显示请求签名：数据目录中没有 evidence/"),
            "{out}"
        );
    }
}
