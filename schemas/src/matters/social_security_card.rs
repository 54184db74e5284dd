//! 社会保障卡申领 (social security card application): first issue, replacement or renewal of the card,
//! applied for where the applicant lives and issued by the insuring region.

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{Address, ApplicantKind, DivisionCode, PersonApplicant};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 申领类型
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CardApplicationType {
    /// 首次申领
    FirstIssue,
    /// 补领 (遗失)
    Replacement,
    /// 换领 (损坏、到期)
    Renewal,
}

/// 领卡方式
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CardDelivery {
    /// 窗口领取
    Window,
    /// 邮寄
    Post,
}

/// 社会保障卡申领表
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SocialSecurityCardForm {
    /// 参保地行政区划代码
    pub insured_region: DivisionCode,
    /// 申领类型
    pub application_type: CardApplicationType,
    /// 金融功能合作银行 (可不填，由发卡地指定)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 50))]
    pub bank: Option<String>,
    /// 领卡方式
    pub delivery: CardDelivery,
    /// 邮寄地址 (领卡方式为邮寄时必填)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery_address: Option<Address>,
}

const MATERIALS: &[MaterialRequirement] = &[
    MaterialRequirement {
        kind: "id-card",
        name_zh: "居民身份证",
        required: true,
    },
    MaterialRequirement {
        kind: "photo",
        name_zh: "本人近期免冠证件照 (电子照片)",
        required: true,
    },
];

pub(super) const MATTER: Matter = Matter {
    code: "social-security-card",
    title_zh: "社会保障卡申领",
    title_en: "Social security card application",
    description_zh: "在居住地申请参保地社会保障卡的首次申领、补领或换领，可选择窗口领取或邮寄。",
    modes: &[Mode::Online, Mode::Proxy],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &["/form/insured_region"],
        any_place: false,
        elsewhere: &[],
        rule_zh: "办理地为参保地，或含参保地的市、省 (a handler is the insured region, /form/insured_region, or a city or province containing it)",
        decides_zh: "本事项由参保地的社保经办机构办理 (the insured region's authority decides)",
    },
    example_route: (Mode::Proxy, "310000", &["440000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<PersonApplicant, SocialSecurityCardForm>,
};

fn applicant() -> Value {
    json!({
        "kind": "person",
        "name": "黄志强",
        "id_number": "440305196010150019",
        "sex": "1",
        "ethnicity": "01",
        "phone": "13612345678"
    })
}

fn form() -> Value {
    json!({
        "insured_region": "440300",
        "application_type": "replacement",
        "delivery": "post",
        "delivery_address": { "division": "310101", "detail": "南京东路 100 号 8 楼" }
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
