//! The `data` of every lifecycle event, one type per event.
//!
//! These are the payloads other parties verify and replay, so they are deliberately plain: strings,
//! numbers and small enums. Every type is registered in the schema registry under the subject
//! `application.<event>` (e.g. `application.accepted`), and envelopes name it as `<subject>/<version>`.
//! The acting region is always the envelope's `region`, never a field here.

use crate::blocks::material::MaterialRef;
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Every event type's subject name and the version written today.
pub const EVENT_TYPES: [(&str, u32); 15] = [
    // 2: `matter_version` (which version of the matter's schema the form was checked against),
    // and the materials' `format`.
    (Submitted::TYPE, 2),
    (Forwarded::TYPE, 1),
    (Accepted::TYPE, 1),
    (NotAccepted::TYPE, 1),
    (SupplementRequested::TYPE, 1),
    // 2: the materials' `format`.
    (Supplemented::TYPE, 2),
    (Suspended::TYPE, 1),
    (Resumed::TYPE, 1),
    (DeadlineExtended::TYPE, 1),
    (PartCompleted::TYPE, 1),
    (Approved::TYPE, 1),
    (Denied::TYPE, 1),
    // 2: the document's `format`.
    (ResultIssued::TYPE, 2),
    (Delivered::TYPE, 1),
    (Withdrawn::TYPE, 1),
];

/// 申请提交: the origin submits a canonical application.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submitted {
    /// 事项编码 (canonical matter code)
    pub matter: String,
    /// 事项表单版本: the version of `matter.<matter>` the applicant and form were validated against;
    /// readers upcast them from it to the matter's latest version. Absent before version 2 of
    /// this event, when every matter was at version 1: it reads as 1.
    #[serde(default = "unrecorded_matter_version")]
    #[schemars(range(min = 1))]
    pub matter_version: u32,
    /// 办理模式
    pub mode: Mode,
    /// 收件地 region code (GB/T 2260)
    pub origin: String,
    /// 办理地 region codes; the first is the lead handler that accepts and decides
    pub handlers: Vec<String>,
    /// 申请人 (validated against the matter's schema)
    pub applicant: serde_json::Value,
    /// 表单 (validated against the matter's schema)
    pub form: serde_json::Value,
    /// 申请材料
    #[serde(default)]
    pub materials: Vec<MaterialRef>,
    /// The submitting region's Idempotency-Key, if it sent one
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    /// SHA-256 of the canonical request, so a reused Idempotency-Key with another body is caught
    pub request_digest: String,
}

/// The matter version of a form recorded before submissions recorded one (before version 2 of
/// `application.submitted`): every matter was at version 1 then. Also the default of whatever
/// keeps a submission's form with its version (the gateway's projected view).
pub fn unrecorded_matter_version() -> u32 {
    1
}

/// 转交办理地: the origin forwards the application (in proxy mode after checking identity and materials).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forwarded {
    /// 核验: the origin window checked the applicant's identity and the form of the materials
    #[serde(default)]
    pub materials_checked: bool,
    /// 备注
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Forwarded {
    /// A forward after the window's check: what a proxy (异地代收代办) forward must say, and
    /// what any forward may.
    pub fn checked() -> Forwarded {
        Forwarded {
            materials_checked: true,
            note: None,
        }
    }
}

/// 受理
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// 受理编号 in the handler's own system
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// 不予受理
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotAccepted {
    /// 不予受理理由
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// 补正告知: everything missing, all at once (行政许可法 Art. 32).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplementRequested {
    /// 需补正的材料或事项 (at least one)
    #[schemars(length(min = 1))]
    pub items: Vec<String>,
    /// 说明
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// 补正提交: the origin hands in what was asked for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Supplemented {
    /// 补正材料
    #[serde(default)]
    pub materials: Vec<MaterialRef>,
    /// 说明
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why the clock is paused (行政许可法 Art. 45).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SuspensionKind {
    /// 听证
    Hearing,
    /// 检验、检测、检疫
    Inspection,
    /// 鉴定、专家评审
    ExpertReview,
    /// 其他特别程序
    Other,
}

/// 特别程序开始 (挂起): the statutory clock pauses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suspended {
    /// 特别程序种类
    pub kind: SuspensionKind,
    /// 理由
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// 特别程序结束: the statutory clock runs again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resumed {
    /// 说明
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// 延长审查期限: the decision limit is extended once (行政许可法 Art. 42, +10 days).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadlineExtended {
    /// 延长理由 (经本行政机关负责人批准)
    #[schemars(length(min = 1))]
    pub reason: String,
}

/// 多地联办: one handler completed its part. The part is the acting region's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartCompleted {
    /// 所办环节, e.g. 迁出 / 迁入
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// 说明
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// 准予许可
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Approved {
    /// 决定文书编号
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_number: Option<String>,
}

/// 不予许可
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Denied {
    /// 不予许可理由
    #[schemars(length(min = 1))]
    pub reason: String,
    /// 决定文书编号
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_number: Option<String>,
}

/// 电子证照 reference: which licence was issued, never the licence itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LicenceRef {
    /// 证照类型代码
    #[schemars(length(min = 1))]
    pub kind: String,
    /// 证照编号
    #[schemars(length(min = 1))]
    pub number: String,
}

/// 出证 (办结): the result document or electronic licence was issued.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultIssued {
    /// 电子证照
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<LicenceRef>,
    /// 结果文书
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<MaterialRef>,
}

impl ResultIssued {
    /// This result's 中文 name, by what was issued: the type's own ([`title_zh`]) names either
    /// (证照或结果文书), and one result is a licence, a document or both (an auditor found a
    /// document alone labelled 证照 on an evidence page).
    pub fn title_zh(&self) -> &'static str {
        match (self.licence.is_some(), self.document.is_some()) {
            (true, false) => "出具结果（证照）",
            (false, true) => "出具结果（结果文书）",
            (true, true) => "出具结果（证照及结果文书）",
            (false, false) => "出具结果",
        }
    }
}

/// How a result reaches the applicant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryChannel {
    /// 窗口领取
    Window,
    /// 邮寄 (快递)
    Post,
    /// 网上送达
    Online,
}

/// 送达
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Delivered {
    /// 送达方式
    pub channel: DeliveryChannel,
    /// 快递单号, for post
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
}

/// 撤回 (before the decision only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawn {
    /// 撤回理由
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The 中文 name of an event type (`application.part-completed` or `part-completed`), the one
/// every page shows for it (the registry's subject page, the evidence page's timeline); `None`
/// for a type this build does not know.
pub fn title_zh(kind: &str) -> Option<&'static str> {
    Some(match kind.strip_prefix("application.").unwrap_or(kind) {
        "submitted" => "提交申请",
        "forwarded" => "转交办理地",
        "accepted" => "受理",
        "not-accepted" => "不予受理",
        "supplement-requested" => "补正告知",
        "supplemented" => "补正提交",
        "suspended" => "特别程序开始（计时暂停）",
        "resumed" => "特别程序结束（恢复计时）",
        "deadline-extended" => "延长审查期限",
        "part-completed" => "联办环节完成",
        "approved" => "准予许可",
        "denied" => "不予许可",
        "result-issued" => "出具结果（证照或结果文书）",
        "delivered" => "送达",
        "withdrawn" => "撤回申请",
        _ => return None,
    })
}

macro_rules! event_types {
    ($($ty:ident => $name:literal),* $(,)?) => {
        $(impl $ty {
            /// The event's `type` in the envelope and its registry subject.
            pub const TYPE: &'static str = $name;
        })*
    };
}

event_types! {
    Submitted => "application.submitted",
    Forwarded => "application.forwarded",
    Accepted => "application.accepted",
    NotAccepted => "application.not-accepted",
    SupplementRequested => "application.supplement-requested",
    Supplemented => "application.supplemented",
    Suspended => "application.suspended",
    Resumed => "application.resumed",
    DeadlineExtended => "application.deadline-extended",
    PartCompleted => "application.part-completed",
    Approved => "application.approved",
    Denied => "application.denied",
    ResultIssued => "application.result-issued",
    Delivered => "application.delivered",
    Withdrawn => "application.withdrawn",
}
