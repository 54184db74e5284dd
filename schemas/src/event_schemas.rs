//! The published JSON Schema of every lifecycle event payload (`events.rs`), one registry subject per
//! event type (`application.<event>`), each with a complete example other parties can test against.

use crate::events::*;
use serde_json::{Value, json};

/// The document of an event subject at the version written today, or `None` for an unknown subject.
pub fn document(subject: &str) -> Option<Value> {
    let (version, schema, example) = parts(subject)?;
    let mut doc = schema.to_value();
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "$id".into(),
            json!(format!("urn:tongban:schema:{subject}:{version}")),
        );
        let title = obj
            .get("title")
            .and_then(Value::as_str)
            .unwrap_or(subject)
            .to_string();
        obj.insert("title".into(), json!(format!("{subject} ({title})")));
        obj.insert("examples".into(), json!([example]));
    }
    Some(doc)
}

/// The version of `subject` written today, from [`EVENT_TYPES`].
pub fn current_version(subject: &str) -> Option<u32> {
    EVENT_TYPES
        .iter()
        .find(|(s, _)| *s == subject)
        .map(|(_, v)| *v)
}

fn parts(subject: &str) -> Option<(u32, schemars::Schema, Value)> {
    use schemars::schema_for;
    let version = current_version(subject)?;
    let digest = "3f0a7c1e9b2d4a6f8e0c1b3d5f7a9c2e4b6d8f0a1c3e5a7b9d0f2e4c6a8b0d1e";
    let material = json!({ "name": "补充材料：劳动合同", "kind": "labour-contract", "sha256": format!("{:064x}", 0x5eed_u64), "size": 204_800 });
    let (schema, example) = match subject {
        Submitted::TYPE => {
            let matter = crate::matters::get("hukou-transfer");
            let mut ex = matter.map(|m| m.example()).unwrap_or(Value::Null);
            if let Some(o) = ex.as_object_mut() {
                o.insert(
                    "matter_version".into(),
                    json!(matter.map_or(1, |m| m.version)),
                );
                o.insert("idempotency_key".into(), json!("gd-2024-000123"));
                o.insert("request_digest".into(), json!(digest));
            }
            (schema_for!(Submitted), ex)
        }
        Forwarded::TYPE => (
            schema_for!(Forwarded),
            json!({ "materials_checked": true, "note": "已核验身份及材料原件" }),
        ),
        Accepted::TYPE => (
            schema_for!(Accepted),
            json!({ "reference": "ZJGA-2024-031500012" }),
        ),
        NotAccepted::TYPE => (
            schema_for!(NotAccepted),
            json!({ "reason": "申请事项不属于本机关职权范围" }),
        ),
        SupplementRequested::TYPE => (
            schema_for!(SupplementRequested),
            json!({ "items": ["劳动合同", "结婚证"], "note": "请一次性补齐" }),
        ),
        Supplemented::TYPE => (
            schema_for!(Supplemented),
            json!({ "materials": [material], "note": "已补齐" }),
        ),
        Suspended::TYPE => (
            schema_for!(Suspended),
            json!({ "kind": "hearing", "reason": "依申请举行听证" }),
        ),
        Resumed::TYPE => (schema_for!(Resumed), json!({ "note": "听证结束" })),
        DeadlineExtended::TYPE => (
            schema_for!(DeadlineExtended),
            json!({ "reason": "情况复杂，经负责人批准延长十日" }),
        ),
        PartCompleted::TYPE => (
            schema_for!(PartCompleted),
            json!({ "part": "迁出", "note": "已办理迁出" }),
        ),
        Approved::TYPE => (
            schema_for!(Approved),
            json!({ "decision_number": "浙公户准字〔2024〕第 0012 号" }),
        ),
        Denied::TYPE => (
            schema_for!(Denied),
            json!({ "reason": "不符合落户条件", "decision_number": "浙公户不准字〔2024〕第 0003 号" }),
        ),
        ResultIssued::TYPE => (
            schema_for!(ResultIssued),
            json!({ "licence": { "kind": "hukou-move-in-certificate", "number": "330106202403150001" } }),
        ),
        Delivered::TYPE => (
            schema_for!(Delivered),
            json!({ "channel": "post", "tracking": "SF1234567890123" }),
        ),
        Withdrawn::TYPE => (
            schema_for!(Withdrawn),
            json!({ "reason": "申请人主动撤回" }),
        ),
        _ => return None,
    };
    Some((version, schema, example))
}
