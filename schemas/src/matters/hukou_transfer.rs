//! 户口迁移 (household registration transfer): in 跨省通办 the 迁入地 police accept the application and
//! the 迁出地 police issue the 迁出 part, so it is the typical 多地联办 matter.

use super::submission::{self, base};
use super::{Jurisdiction, MaterialRequirement, Matter, TimeLimits};
use crate::blocks::{Address, ApplicantKind, Person, PersonApplicant};
use crate::mode::Mode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 迁移原因
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum MoveReason {
    /// 投靠亲属 (夫妻、父母子女投靠)
    JoinRelative,
    /// 就业 / 人才引进
    Employment,
    /// 购房落户
    HomeOwnership,
    /// 升学
    Study,
    /// 其他
    Other,
}

/// 随迁人员
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccompanyingMember {
    /// 随迁人员身份信息
    pub person: Person,
    /// 与申请人关系 (如 配偶、子、女)
    #[schemars(length(min = 1, max = 20))]
    pub relationship: String,
}

/// 户口迁移 (迁入) 申请表
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HukouTransferForm {
    /// 迁出地 (现户籍地) 地址
    pub move_out_address: Address,
    /// 迁入地 (拟落户) 地址
    pub move_in_address: Address,
    /// 迁移原因
    pub reason: MoveReason,
    /// 迁入地户主姓名 (投靠落户时填写，按原样)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 100))]
    pub householder_name: Option<String>,
    /// 与迁入地户主关系
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 20))]
    pub relationship_to_householder: Option<String>,
    /// 随迁人员
    #[serde(default)]
    pub accompanying: Vec<AccompanyingMember>,
}

const MATERIALS: &[MaterialRequirement] = &[
    MaterialRequirement {
        kind: "id-card",
        name_zh: "居民身份证",
        required: true,
    },
    MaterialRequirement {
        kind: "household-register",
        name_zh: "居民户口簿",
        required: true,
    },
    MaterialRequirement {
        kind: "move-in-proof",
        name_zh: "落户条件证明 (房产证、劳动合同或亲属关系证明等)",
        required: true,
    },
    MaterialRequirement {
        kind: "marriage-certificate",
        name_zh: "结婚证 (夫妻投靠)",
        required: false,
    },
];

pub(super) const MATTER: Matter = Matter {
    code: "hukou-transfer",
    title_zh: "户口迁移",
    title_en: "Household registration (hukou) transfer",
    description_zh: "跨省户口迁移 (迁移一站式)：迁入地公安机关受理并审批，迁出地公安机关办理迁出，申请人无需往返两地。",
    modes: &[Mode::Proxy, Mode::Joint],
    limits: TimeLimits::STATUTORY,
    materials: MATERIALS,
    applicant_kinds: &[ApplicantKind::Person],
    version: 2,
    jurisdiction: Jurisdiction {
        handled: &[
            "/form/move_in_address/division",
            "/form/move_out_address/division",
        ],
        any_place: false,
        elsewhere: &[],
        rule_zh: "办理地为迁入地，或含迁入地的市、省；多地联办时迁入地、迁出地各有一个办理地 (a handler is the region moved into, /form/move_in_address/division, or a city or province containing it; a joint application has a handler for it and one for the region moved out of, /form/move_out_address/division)",
        decides_zh: "本事项由迁入地公安机关办理，多地联办时由迁入地和迁出地公安机关各办一部分 (the police of the place moved into decide; in a joint application, the police of both places each handle a part)",
    },
    example_route: (Mode::Joint, "440000", &["330000", "340000"]),
    example_applicant: applicant,
    example_form: form,
    example_materials: materials,
    base_schema: base::<PersonApplicant, HukouTransferForm>,
};

fn applicant() -> Value {
    json!({
        "kind": "person",
        "name": "李明",
        "id_number": "440106199003071231",
        "sex": "1",
        "ethnicity": "01",
        "birth_date": "1990-03-07",
        "phone": "13800138000",
        "address": { "division": "340104", "detail": "蜀山区长江西路 100 号" }
    })
}

fn form() -> Value {
    json!({
        "move_out_address": { "division": "340104", "detail": "蜀山区长江西路 100 号" },
        "move_in_address": { "division": "330106", "detail": "西湖区文三路 200 号 3 幢 502 室" },
        "reason": "join-relative",
        "householder_name": "陈秀英",
        "relationship_to_householder": "配偶",
        "accompanying": [{
            "person": { "name": "李子𬌗", "id_number": "440106201505090037", "sex": "1", "birth_date": "2015-05-09" },
            "relationship": "子"
        }]
    })
}

fn materials() -> Value {
    submission::example_materials(MATERIALS)
}
