//! What each event asked for or recorded, from its payload: the 补正 items requested, the
//! reasons for a refusal, a suspension or a withdrawal, the licence issued. In a "what did you
//! ask for" dispute these are the facts in question, so the timeline carries them beside who
//! acted and when, in every output (text, JSON, the dispute page).
//!
//! The submission's applicant and form are left out: they are the application, not something
//! done to it, and stay in the raw events. So is a number a party chose (an Idempotency-Key, a
//! 受理编号 …: [`Event::serial`]) that is an ID number or a phone number of the application's
//! submission (in the history replayed), the numbers the intake warns of: described, not shown,
//! as reconciliation describes such serials. Only those: a 受理编号 built of region code, date
//! and sequence has an ID number's shape, and is a fact of the dispute. A timeline is what
//! operators paste into tickets; the raw events are the evidence, and keep it.

use serde::Serialize;
use serde_json::{Value, json};
use tongban_gateway::domain::lifecycle::Event;
use tongban_gateway::domain::personal::{OwnNumbers, Personal};
use tongban_gateway::envelope::Envelope;
use tongban_schemas::blocks::material::MaterialRef;
use tongban_schemas::events::{DeliveryChannel, SuspensionKind};

/// One fact of an event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detail {
    /// The payload's own name for it (`items`, `reason`, `licence.number` …), as the event
    /// contract spells it.
    pub field: &'static str,
    /// Its value as the payload has it: a string, a boolean, or a list of strings (materials are
    /// named by their `name`).
    pub value: Value,
    /// The field's name in Chinese, for the dispute page.
    #[serde(skip)]
    pub label_zh: &'static str,
    /// The value in Chinese where the payload holds a code (a suspension's kind, a delivery
    /// channel, a yes/no); the page shows it instead of the code.
    #[serde(skip)]
    pub value_zh: Option<&'static str>,
    /// Why the value is not shown (`value` is then null): the number is personal data of the
    /// application, described by what it is and its shape, never its characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_shown: Option<String>,
    /// The same for the page, in Chinese.
    #[serde(skip)]
    pub not_shown_zh: Option<String>,
}

impl Detail {
    fn new(field: &'static str, label_zh: &'static str, value: Value) -> Detail {
        Detail {
            field,
            value,
            label_zh,
            value_zh: None,
            not_shown: None,
            not_shown_zh: None,
        }
    }

    /// The value left out, as what it is (`personal`) and its shape.
    fn withhold(&mut self, personal: Personal) {
        let value = self.text();
        // A number a region quotes is matched by looking it up, not by reading it here.
        let (find, find_zh) = match self.field {
            "idempotency_key" | "reference" => (
                "; `tongban find --serial` or GET /v1/applications?serial= names the \
                 application of a number a region quotes",
                "；核对地区所报编号，请用 tongban find --serial 或 GET /v1/applications?serial= 查询",
            ),
            _ => ("", ""),
        };
        self.not_shown = Some(format!(
            "{} ({}); the raw events hold it{find}",
            personal.said(),
            tongban_gateway::shown::shape(&value)
        ));
        self.not_shown_zh = Some(format!(
            "{}（{} 个字符），不在此显示，原值见原始事件{find_zh}",
            personal.said_zh(),
            value.chars().count()
        ));
        self.value = Value::Null;
    }

    /// The value as the page shows it, part by part: each item of a list (`items`, materials'
    /// names), else [`Detail::text_zh`] alone. The page isolates each part, so that a
    /// bidirectional control in one item reorders none of the others.
    pub fn parts_zh(&self) -> Vec<String> {
        match (&self.value, self.value_zh, &self.not_shown_zh) {
            (Value::Array(items), None, None) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
            _ => vec![self.text_zh()],
        }
    }

    /// The value as one line of text: list items joined with `、`.
    pub fn text(&self) -> String {
        if let Some(why) = &self.not_shown {
            return format!("not shown: {why}");
        }
        match &self.value {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join("、"),
            other => other.to_string(),
        }
    }

    /// The value for a Chinese reader.
    pub fn text_zh(&self) -> String {
        if let Some(why) = &self.not_shown_zh {
            return why.clone();
        }
        match (self.value_zh, &self.value) {
            (Some(zh), _) => zh.to_string(),
            (None, Value::Bool(b)) => if *b { "是" } else { "否" }.to_string(),
            _ => self.text(),
        }
    }
}

/// An optional string of the payload, when present.
fn opt(out: &mut Vec<Detail>, field: &'static str, label: &'static str, value: &Option<String>) {
    if let Some(v) = value {
        out.push(Detail::new(field, label, json!(v)));
    }
}

fn names(materials: &[MaterialRef]) -> Value {
    json!(
        materials
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
    )
}

fn suspension_zh(kind: SuspensionKind) -> &'static str {
    match kind {
        SuspensionKind::Hearing => "听证",
        SuspensionKind::Inspection => "检验、检测、检疫",
        SuspensionKind::ExpertReview => "鉴定、专家评审",
        SuspensionKind::Other => "其他特别程序",
    }
}

fn channel_zh(channel: DeliveryChannel) -> &'static str {
    match channel {
        DeliveryChannel::Window => "窗口领取",
        DeliveryChannel::Post => "邮寄",
        DeliveryChannel::Online => "网上送达",
    }
}

/// The facts of `event`'s payload, in the payload's order; empty where it records none (an
/// accept without a 受理编号) or does not read as its type (the timeline says so apart). `own`
/// is the application's numbers ([`own_numbers`]), which a party's number is hidden for
/// being; without them (a history without its submission) it is judged by its shape.
pub fn of(event: &Envelope, own: Option<&OwnNumbers>) -> Vec<Detail> {
    let Ok(decoded) = Event::from_envelope(event) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    match &decoded {
        Event::Submitted(p) => {
            opt(
                &mut out,
                "idempotency_key",
                "收件地申请编号（Idempotency-Key）",
                &p.idempotency_key,
            );
            if !p.materials.is_empty() {
                out.push(Detail::new("materials", "申请材料", names(&p.materials)));
            }
        }
        Event::Forward(p) => {
            out.push(Detail::new(
                "materials_checked",
                "已核验身份与材料",
                json!(p.materials_checked),
            ));
            opt(&mut out, "note", "备注", &p.note);
        }
        Event::Accept(p) => opt(&mut out, "reference", "受理编号", &p.reference),
        Event::NotAccept(p) => out.push(Detail::new("reason", "不予受理理由", json!(p.reason))),
        Event::RequestSupplement(p) => {
            out.push(Detail::new("items", "需补正的材料或事项", json!(p.items)));
            opt(&mut out, "note", "说明", &p.note);
        }
        Event::Supplement(p) => {
            // As a submission's: a supplement with no materials listed has none to show, not
            // an empty `materials: ` line.
            if !p.materials.is_empty() {
                out.push(Detail::new("materials", "补正材料", names(&p.materials)));
            }
            opt(&mut out, "note", "说明", &p.note);
        }
        Event::Suspend(p) => {
            let mut kind = Detail::new("kind", "特别程序种类", json!(p.kind));
            kind.value_zh = Some(suspension_zh(p.kind));
            out.push(kind);
            out.push(Detail::new("reason", "理由", json!(p.reason)));
        }
        Event::Resume(p) => opt(&mut out, "note", "说明", &p.note),
        Event::ExtendDeadline(p) => out.push(Detail::new("reason", "延长理由", json!(p.reason))),
        Event::CompletePart(p) => {
            opt(&mut out, "part", "所办环节", &p.part);
            opt(&mut out, "note", "说明", &p.note);
        }
        Event::Approve(p) => opt(
            &mut out,
            "decision_number",
            "决定文书编号",
            &p.decision_number,
        ),
        Event::Deny(p) => {
            out.push(Detail::new("reason", "不予许可理由", json!(p.reason)));
            opt(
                &mut out,
                "decision_number",
                "决定文书编号",
                &p.decision_number,
            );
        }
        Event::IssueResult(p) => {
            if let Some(l) = &p.licence {
                out.push(Detail::new("licence.kind", "证照类型代码", json!(l.kind)));
                out.push(Detail::new("licence.number", "证照编号", json!(l.number)));
            }
            if let Some(d) = &p.document {
                out.push(Detail::new("document", "结果文书", json!(d.name)));
            }
        }
        Event::Deliver(p) => {
            let mut channel = Detail::new("channel", "送达方式", json!(p.channel));
            channel.value_zh = Some(channel_zh(p.channel));
            out.push(channel);
            opt(&mut out, "tracking", "快递单号", &p.tracking);
        }
        Event::Withdraw(p) => opt(&mut out, "reason", "撤回理由", &p.reason),
    }
    // The party's number, judged as `tongban find` judges a serial (one rule for every
    // serial a timeline shows: the application's own number, whole or among other characters,
    // and what it holds by its shape, unless the submission tells it is none of its people's).
    // The intake warns of an action's number only where it is the application's own; the
    // timelines printed `ZJ-330106198506122344` that find hid (found by a review).
    if let Some(serial) = decoded.serial()
        && let Some(personal) = Personal::of_serial(serial.value, own)
        && let Some(detail) = out.iter_mut().find(|d| d.field == serial.field)
    {
        detail.withhold(personal);
    }
    out
}

/// The numbers of the submission in `events`, an application's history, if it holds it.
pub fn own_numbers<'a>(events: impl IntoIterator<Item = &'a Envelope>) -> Option<OwnNumbers> {
    events
        .into_iter()
        .find(|e| e.kind == tongban_schemas::events::Submitted::TYPE)
        .map(|e| OwnNumbers::of(&e.data).submitted_at(&e.at))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    /// Given an application whose submission names the demo applicant's ID number and phone,
    /// when a handler's 受理编号 embeds one of them (`ZJ-330106198506122344`, `SL-13812345678`),
    /// is the ID number mistyped, or is a mobile number of nobody the submission names, then the
    /// timeline does not show it, as `tongban find` would not quote it
    /// (`ids::own_serial_shown`), saying what it holds; a 受理编号 of region code, date and
    /// sequence and a province's serial are shown as given. (Found by a review: the timelines
    /// showed what find hid, judging an action's number by an exact match only.)
    #[test]
    fn an_actions_number_is_shown_only_where_find_would_quote_it() {
        let own = |events: &[tongban_gateway::envelope::Envelope]| {
            super::OwnNumbers::of(&json!({
                "applicant": {"id_number": "330106198506122344", "phone": "13812345678"}
            }))
            .submitted_at(&events[0].at)
        };
        for (reference, said) in [
            (
                "ZJ-330106198506122344",
                "holds a 公民身份号码 (resident ID number) the application's submission names",
            ),
            (
                "SL-13812345678",
                "holds a mobile number the application's submission names",
            ),
            (
                "13812345678",
                "is a mobile number the application's submission names",
            ),
            (
                "330106198513122344",
                "holds a 公民身份号码 (resident ID number) by its shape",
            ),
            ("13900139000", "holds a mobile number by its shape"),
        ] {
            let events = crate::reconcile::tests::to_accepted("GD-2026-1", reference);
            let own = own(&events);
            let accepted = events.last().expect("accepted");
            let details = super::of(accepted, Some(&own));
            let detail = details
                .iter()
                .find(|d| d.field == "reference")
                .expect("reference");
            assert_eq!(detail.value, serde_json::Value::Null, "{reference}");
            let why = detail.not_shown.as_deref().unwrap_or_default();
            assert!(why.starts_with(said), "{reference}: {why}");
            assert!(
                !serde_json::to_string(&details)
                    .expect("json")
                    .contains(&reference[reference.len() - 8..]),
                "{reference}"
            );
            assert!(!tongban_gateway::ids::own_serial_shown(
                reference,
                Some(&own)
            ));
        }
        for reference in ["440300261102001", "ZJSL-2026-000123"] {
            let events = crate::reconcile::tests::to_accepted("GD-2026-1", reference);
            let own = own(&events);
            let details = super::of(events.last().expect("accepted"), Some(&own));
            let detail = details
                .iter()
                .find(|d| d.field == "reference")
                .expect("reference");
            assert_eq!(detail.value, json!(reference));
            assert!(tongban_gateway::ids::own_serial_shown(
                reference,
                Some(&own)
            ));
        }
    }

    /// Given submissions whose Idempotency-Key holds a mobile number (`SL-13912345678`), is an
    /// ID number typed with a wrong check character, or is a province's serial, when their
    /// details are read (with the submission's numbers, which name none of them, and without),
    /// then the first two are not shown, described by what they hold and their shape, pointing
    /// to `tongban find --serial` to match a key a region quotes, and the serial is shown as
    /// given: the rule `tongban find` quotes a serial by. (Found by a walkthrough: replay
    /// printed the key that find hid.)
    #[test]
    fn an_idempotency_key_holding_a_personal_number_is_not_shown() {
        for (key, said) in [
            (
                "SL-13912345678",
                "holds a mobile number by its shape (14 characters: ",
            ),
            (
                "110105194912310021",
                "holds a 公民身份号码 (resident ID number) by its shape (18 characters: ",
            ),
        ] {
            let events = crate::reconcile::tests::supplemented(key);
            let own = super::own_numbers(&events);
            for own in [own.as_ref(), None] {
                let details = super::of(&events[0], own);
                let shown = serde_json::to_string(&details).expect("json");
                assert!(!shown.contains(&key[3..]), "{shown}");
                assert_eq!(details[0].field, "idempotency_key");
                assert_eq!(details[0].value, serde_json::Value::Null);
                let why = details[0].not_shown.as_deref().unwrap_or_default();
                assert!(why.starts_with(said), "{why}");
                assert!(why.contains("tongban find --serial"), "{why}");
                assert!(details[0].text_zh().contains("tongban find --serial"));
                assert!(!details[0].text_zh().contains(&key[3..]));
            }
        }
        let events = crate::reconcile::tests::supplemented("HBZW20261206000005");
        let details = super::of(&events[0], super::own_numbers(&events).as_ref());
        assert_eq!(details[0].value, json!("HBZW20261206000005"));
    }

    /// Given a supplement request with two items and a note, when its details are read, then
    /// both items and the note are there under the payload's own names.
    #[test]
    fn a_supplement_request_names_what_was_asked() {
        let events = crate::reconcile::tests::supplemented("GD-7");
        let asked = super::of(&events[2], None);
        assert_eq!(asked.len(), 1, "{asked:?}");
        assert_eq!(asked[0].field, "items");
        assert_eq!(asked[0].value, json!(["照片"]));
        assert_eq!(asked[0].text_zh(), "照片");
        // As replay's JSON carries it: the field and the value, no Chinese labels.
        assert_eq!(
            serde_json::to_value(&asked[0]).expect("json"),
            json!({"field": "items", "value": ["照片"]})
        );
        // A supplement that lists no materials shows none.
        assert_eq!(super::of(&events[3], None), Vec::new());
        // A forward records whether the window checked the materials (a proxy forward must).
        let forwarded = super::of(&events[1], None);
        assert_eq!(forwarded[0].field, "materials_checked");
        assert_eq!(forwarded[0].text_zh(), "是");
    }
}
