//! 市场主体登记注册 (business entity registration): registering a company, partnership, sole
//! proprietorship or individual business with the market regulator of the place of business.

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{Address, Applicant, ApplicantKind, Person};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 市场主体类型
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EntityType {
    /// 有限责任公司
    LimitedCompany,
    /// 股份有限公司
    JointStockCompany,
    /// 分公司
    Branch,
    /// 合伙企业
    Partnership,
    /// 个人独资企业
    SoleProprietorship,
    /// 个体工商户
    IndividualBusiness,
}

/// 出资人 (股东、合伙人、投资人)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Investor {
    /// 出资人 (自然人或单位)
    pub party: Applicant,
    /// 认缴出资额 (人民币元，整数)
    pub subscribed_capital_yuan: u64,
}

/// 市场主体设立登记申请书
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessRegistrationForm {
    /// 市场主体类型
    pub entity_type: EntityType,
    /// 拟设立名称 (已自主申报的名称)
    #[schemars(length(min = 2, max = 100))]
    pub proposed_name: String,
    /// 住所 (主要经营场所)
    pub registered_address: Address,
    /// 经营范围
    #[schemars(length(min = 1, max = 2000))]
    pub business_scope: String,
    /// 注册资本 (人民币元，整数；个体工商户可不填)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered_capital_yuan: Option<u64>,
    /// 法定代表人 (负责人、执行事务合伙人、经营者)
    pub legal_representative: Person,
    /// 出资人
    #[serde(default)]
    pub investors: Vec<Investor>,
}

const MATERIALS: &[MaterialRequirement] = &[
    MaterialRequirement {
        kind: "registration-application",
        name_zh: "登记申请书",
        required: true,
    },
    MaterialRequirement {
        kind: "articles-of-association",
        name_zh: "公司章程 (合伙协议)",
        required: true,
    },
    MaterialRequirement {
        kind: "premises-proof",
        name_zh: "住所 (经营场所) 使用证明",
        required: true,
    },
    MaterialRequirement {
        kind: "id-card",
        name_zh: "法定代表人、出资人身份证明",
        required: true,
    },
];

pub(super) const MATTER: Matter = Matter {
    code: "business-registration",
    title_zh: "市场主体登记注册",
    title_en: "Business entity registration",
    description_zh: "在经营地以外的地区提交市场主体设立登记申请，由经营地登记机关审核并核发营业执照 (电子营业执照)。",
    modes: &[Mode::Online, Mode::Proxy],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person, ApplicantKind::Organisation],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &["/form/registered_address/division"],
        any_place: false,
        elsewhere: &[],
        rule_zh: "办理地为住所所在地，或含该地的市、省 (a handler is the region of the registered address, /form/registered_address/division, or a city or province containing it)",
        decides_zh: "本事项由住所所在地的登记机关办理 (the registration authority of the registered address decides)",
    },
    example_route: (Mode::Proxy, "330000", &["440000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<Applicant, BusinessRegistrationForm>,
};

fn representative() -> Value {
    json!({
        "name": "刘洋",
        "id_number": "310101199211203453",
        "sex": "1",
        "birth_date": "1992-11-20",
        "phone": "13512345678"
    })
}

fn applicant() -> Value {
    let mut a = representative();
    if let Some(o) = a.as_object_mut() {
        o.insert("kind".into(), json!("person"));
    }
    a
}

fn form() -> Value {
    let mut party = representative();
    if let Some(o) = party.as_object_mut() {
        o.insert("kind".into(), json!("person"));
    }
    json!({
        "entity_type": "limited-company",
        "proposed_name": "深圳示例贸易有限公司",
        "registered_address": { "division": "440305", "detail": "粤海街道科技园路 1 号 101" },
        "business_scope": "一般经营项目：日用百货销售；电子产品销售。",
        "registered_capital_yuan": 1_000_000,
        "legal_representative": representative(),
        "investors": [
            { "party": party, "subscribed_capital_yuan": 600_000 },
            { "party": {
                "kind": "organisation",
                "name": "示例控股有限公司",
                "credit_code": "91110000600037341L"
            }, "subscribed_capital_yuan": 400_000 }
        ]
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
