//! 养老保险关系转移接续 (transfer of basic pension insurance): the insured's record and funds move
//! from the old scheme (转出地) to the new one (转入地).

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{ApplicantKind, DivisionCode, OrganisationRef, PersonApplicant};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 养老保险险种
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PensionScheme {
    /// 企业职工基本养老保险
    EnterpriseEmployee,
    /// 机关事业单位养老保险
    PublicInstitution,
    /// 城乡居民基本养老保险
    UrbanRuralResident,
}

/// 养老保险关系转移接续申请表
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PensionTransferForm {
    /// 转出地险种
    pub from_scheme: PensionScheme,
    /// 转入地险种
    pub to_scheme: PensionScheme,
    /// 转出地 (原参保地) 行政区划代码
    pub from_region: DivisionCode,
    /// 转入地 (新参保地) 行政区划代码
    pub to_region: DivisionCode,
    /// 社会保障号码 / 个人社保编号 (通常与公民身份号码一致)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 30))]
    pub insurance_number: Option<String>,
    /// 新就业单位 (灵活就业人员可不填)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_employer: Option<OrganisationRef>,
    /// 开始参保年月 (YYYY-MM)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$"))]
    pub insured_since: Option<String>,
}

const MATERIALS: &[MaterialRequirement] = &[
    MaterialRequirement {
        kind: "id-card",
        name_zh: "居民身份证",
        required: true,
    },
    MaterialRequirement {
        kind: "contribution-certificate",
        name_zh: "参保缴费凭证",
        required: true,
    },
    MaterialRequirement {
        kind: "transfer-application",
        name_zh: "基本养老保险关系转移接续申请表",
        required: false,
    },
];

pub(super) const MATTER: Matter = Matter {
    code: "pension-transfer",
    title_zh: "养老保险关系转移接续",
    title_en: "Pension insurance transfer",
    description_zh: "参保人员跨省流动就业时，将基本养老保险关系和资金由转出地转移至转入地并接续。",
    modes: &[Mode::Online, Mode::Proxy, Mode::Joint],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &["/form/from_region", "/form/to_region"],
        any_place: true,
        elsewhere: &[],
        rule_zh: "办理地为转出地或转入地，或含其一的市、省；多地联办时两地各有一个办理地 (a handler is the region moved from, /form/from_region, or to, /form/to_region, or a city or province containing it; a joint application has a handler for each)",
        decides_zh: "本事项由转出地或转入地的社保经办机构办理 (the authority of the region moved from or to decides)",
    },
    example_route: (Mode::Online, "340000", &["310000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<PersonApplicant, PensionTransferForm>,
};

fn applicant() -> Value {
    json!({
        "kind": "person",
        "name": "王建国",
        "id_number": "340104197809154567",
        "sex": "2",
        "phone": "13955512345"
    })
}

fn form() -> Value {
    json!({
        "from_scheme": "enterprise-employee",
        "to_scheme": "enterprise-employee",
        "from_region": "310101",
        "to_region": "340104",
        "insurance_number": "340104197809154567",
        "new_employer": { "name": "合肥示例科技有限公司", "credit_code": "91110000600037341L" },
        "insured_since": "2001-07"
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
