//! 异地就医登记备案 (cross-region medical treatment filing): an insured person registers to have
//! treatment in another province settled directly against their home scheme.

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{ApplicantKind, CalendarDate, DivisionCode, PersonApplicant, PhoneNumber};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 参保险种
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MedicalInsuranceType {
    /// 职工基本医疗保险
    Employee,
    /// 城乡居民基本医疗保险
    Resident,
}

/// 备案类型 (人员类别)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FilingType {
    /// 异地长期居住人员
    LongTermResidence,
    /// 常驻异地工作人员
    LongTermWork,
    /// 异地安置退休人员
    RetiredResettlement,
    /// 异地转诊就医人员
    Referral,
    /// 临时外出就医人员
    Temporary,
}

/// 异地就医登记备案表
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MedicalFilingForm {
    /// 参保地 (医保统筹区) 行政区划代码
    pub insured_region: DivisionCode,
    /// 就医地行政区划代码
    pub treatment_region: DivisionCode,
    /// 参保险种
    pub insurance_type: MedicalInsuranceType,
    /// 备案类型
    pub filing_type: FilingType,
    /// 备案开始日期
    pub start_date: CalendarDate,
    /// 备案结束日期 (长期备案可不填)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date: Option<CalendarDate>,
    /// 就医地联系电话
    pub phone: PhoneNumber,
}

const MATERIALS: &[MaterialRequirement] = &[
    MaterialRequirement {
        kind: "id-card",
        name_zh: "居民身份证",
        required: true,
    },
    MaterialRequirement {
        kind: "filing-commitment",
        name_zh: "异地就医备案个人承诺书",
        required: true,
    },
    MaterialRequirement {
        kind: "referral-certificate",
        name_zh: "转诊转院证明 (转诊人员)",
        required: false,
    },
];

pub(super) const MATTER: Matter = Matter {
    code: "medical-filing",
    title_zh: "异地就医登记备案",
    title_en: "Cross-region medical treatment filing",
    description_zh: "参保人员跨省异地就医前办理登记备案，备案后在就医地定点医药机构直接结算。",
    modes: &[Mode::Online, Mode::Proxy],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &["/form/insured_region"],
        any_place: false,
        elsewhere: &["/form/treatment_region"],
        rule_zh: "办理地为参保地，或含参保地的市、省 (a handler is the insured region, /form/insured_region, or a city or province containing it)",
        decides_zh: "本事项由参保地的医保经办机构办理 (the insured region's authority decides)",
    },
    example_route: (Mode::Online, "440000", &["330000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<PersonApplicant, MedicalFilingForm>,
};

fn applicant() -> Value {
    json!({
        "kind": "person",
        "name": "陈秀英",
        "id_number": "330106198506122344",
        "sex": "2",
        "ethnicity": "01",
        "birth_date": "1985-06-12",
        "phone": "13812345678",
        "address": { "division": "440106", "detail": "天河路 385 号 1201 房" }
    })
}

fn form() -> Value {
    json!({
        "insured_region": "330100",
        "treatment_region": "440100",
        "insurance_type": "employee",
        "filing_type": "long-term-residence",
        "start_date": "2024-03-01",
        "phone": "13812345678"
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
