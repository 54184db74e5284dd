//! 失业登记 (unemployment registration): registered at the place of permanent residence, which may be
//! another province than the household registration.

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{
    Address, ApplicantKind, CalendarDate, DivisionCode, OrganisationRef, PersonApplicant,
};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 失业原因
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum UnemploymentReason {
    /// 劳动合同期满终止
    ContractEnded,
    /// 用人单位解除劳动合同
    Dismissed,
    /// 本人辞职
    Resigned,
    /// 用人单位关闭、破产
    EmployerClosed,
    /// 毕业后未就业
    GraduateNotEmployed,
    /// 个体经营停业
    BusinessStopped,
    /// 其他
    Other,
}

/// 失业登记表
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UnemploymentRegistrationForm {
    /// 常住地地址
    pub residence: Address,
    /// 户籍地行政区划代码
    pub household_region: DivisionCode,
    /// 失业原因
    pub reason: UnemploymentReason,
    /// 失业日期 (劳动关系终止日期)
    pub unemployed_since: CalendarDate,
    /// 原工作单位
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_employer: Option<OrganisationRef>,
    /// 求职意向
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub job_intention: Option<String>,
    /// 同时申领失业保险金
    #[serde(default)]
    pub claim_benefit: bool,
}

const MATERIALS: &[MaterialRequirement] = &[
    MaterialRequirement {
        kind: "id-card",
        name_zh: "居民身份证",
        required: true,
    },
    MaterialRequirement {
        kind: "termination-certificate",
        name_zh: "解除或终止劳动关系证明",
        required: false,
    },
];

pub(super) const MATTER: Matter = Matter {
    code: "unemployment-registration",
    title_zh: "失业登记",
    title_en: "Unemployment registration",
    description_zh: "劳动年龄内、有劳动能力、有就业要求、处于无业状态的人员，在常住地办理失业登记。",
    modes: &[Mode::Online, Mode::Proxy],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &["/form/residence/division", "/form/household_region"],
        any_place: true,
        elsewhere: &[],
        rule_zh: "办理地为常住地或户籍地，或含其一的市、省 (a handler is the region of residence, /form/residence/division, or of household registration, /form/household_region, or a city or province containing it)",
        decides_zh: "本事项由常住地或户籍地的公共就业服务机构办理 (the authority of the region of residence or of household registration decides)",
    },
    example_route: (Mode::Online, "310000", &["330000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<PersonApplicant, UnemploymentRegistrationForm>,
};

fn applicant() -> Value {
    json!({
        "kind": "person",
        "name": "孙丽",
        "id_number": "33010619580301002X",
        "sex": "2",
        "phone": "13712345678"
    })
}

fn form() -> Value {
    json!({
        "residence": { "division": "330106", "detail": "西湖区古墩路 88 号" },
        "household_region": "310101",
        "reason": "contract-ended",
        "unemployed_since": "2024-02-29",
        "last_employer": { "name": "上海示例贸易有限公司", "credit_code": "91110000600037341L" },
        "job_intention": "财务",
        "claim_benefit": true
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
