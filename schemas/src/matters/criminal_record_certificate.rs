//! 无犯罪记录证明 (certificate of no criminal record): issued by the police of the place of household
//! registration or residence, applied for where the applicant is now.

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{ApplicantKind, DivisionCode, PersonApplicant};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 证明用途
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CertificatePurpose {
    /// 就业
    Employment,
    /// 入学、考试
    Study,
    /// 出国 (境) 签证、居留
    Emigration,
    /// 收养
    Adoption,
    /// 资格认定、行政许可
    Licensing,
    /// 其他
    Other,
}

/// 无犯罪记录证明申请表
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CriminalRecordCertificateForm {
    /// 开具地 (户籍地或居住地) 行政区划代码
    pub issuing_region: DivisionCode,
    /// 证明用途
    pub purpose: CertificatePurpose,
    /// 用途说明 (用途为其他时必填)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub purpose_detail: Option<String>,
    /// 接收单位名称
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 200))]
    pub recipient: Option<String>,
    /// 需要电子证明 (否则出具纸质证明)
    #[serde(default)]
    pub electronic: bool,
}

const MATERIALS: &[MaterialRequirement] = &[
    MaterialRequirement {
        kind: "id-card",
        name_zh: "居民身份证",
        required: true,
    },
    MaterialRequirement {
        kind: "power-of-attorney",
        name_zh: "授权委托书 (委托代办时)",
        required: false,
    },
];

pub(super) const MATTER: Matter = Matter {
    code: "criminal-record-certificate",
    title_zh: "无犯罪记录证明",
    title_en: "Certificate of no criminal record",
    description_zh: "向户籍地或居住地公安机关申请开具无犯罪记录证明，可在现居住地代收或网上申请。",
    modes: &[Mode::Online, Mode::Proxy],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &["/form/issuing_region"],
        any_place: false,
        elsewhere: &[],
        rule_zh: "办理地为出具证明的地区，或含该地区的市、省 (a handler is the issuing region, /form/issuing_region, or a city or province containing it)",
        decides_zh: "本事项由出具证明地区的公安机关办理 (the police of the issuing region decide)",
    },
    example_route: (Mode::Online, "500000", &["510000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<PersonApplicant, CriminalRecordCertificateForm>,
};

fn applicant() -> Value {
    json!({
        "kind": "person",
        "name": "赵敏",
        "id_number": "500103199501016785",
        "sex": "2",
        "ethnicity": "03",
        "birth_date": "1995-01-01",
        "phone": "023-63851234"
    })
}

fn form() -> Value {
    json!({
        "issuing_region": "510107",
        "purpose": "employment",
        "recipient": "重庆示例教育集团",
        "electronic": true
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
