//! 住房公积金转移接续 (housing provident fund transfer): the employee's fund account balance moves from
//! the old city's 公积金中心 to the new one's.

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{ApplicantKind, DivisionCode, OrganisationRef, PersonApplicant};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 住房公积金异地转移接续申请表
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HousingFundTransferForm {
    /// 转出地公积金中心所在行政区划代码
    pub from_region: DivisionCode,
    /// 转出地个人公积金账号
    #[schemars(regex(pattern = r"^[0-9A-Za-z]{6,30}$"))]
    pub from_account: String,
    /// 转入地公积金中心所在行政区划代码
    pub to_region: DivisionCode,
    /// 转入地个人公积金账号 (须已在转入地开户缴存)
    #[schemars(regex(pattern = r"^[0-9A-Za-z]{6,30}$"))]
    pub to_account: String,
    /// 转入地缴存单位
    pub to_employer: OrganisationRef,
}

const MATERIALS: &[MaterialRequirement] = &[MaterialRequirement {
    kind: "id-card",
    name_zh: "居民身份证",
    required: true,
}];

pub(super) const MATTER: Matter = Matter {
    code: "housing-fund-transfer",
    title_zh: "住房公积金转移接续",
    title_en: "Housing provident fund transfer",
    description_zh: "职工跨省就业后，向转入地公积金中心申请，将转出地住房公积金账户余额转移接续至转入地账户。",
    modes: &[Mode::Online, Mode::Proxy],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &["/form/from_region", "/form/to_region"],
        any_place: true,
        elsewhere: &[],
        rule_zh: "办理地为转出地或转入地，或含其一的市、省 (a handler is the region moved from, /form/from_region, or to, /form/to_region, or a city or province containing it)",
        decides_zh: "本事项由转出地或转入地的住房公积金管理中心办理 (the authority of the region moved from or to decides)",
    },
    example_route: (Mode::Online, "510000", &["500000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<PersonApplicant, HousingFundTransferForm>,
};

fn applicant() -> Value {
    json!({
        "kind": "person",
        "name": "张伟",
        "id_number": "510107198802285674",
        "sex": "1",
        "phone": "028-85551234"
    })
}

fn form() -> Value {
    json!({
        "from_region": "500103",
        "from_account": "500100123456789",
        "to_region": "510107",
        "to_account": "510100987654321",
        "to_employer": { "name": "成都示例信息技术有限公司", "credit_code": "91110000600037341L" }
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
