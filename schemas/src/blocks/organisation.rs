//! 法人和其他组织, identified by the 统一社会信用代码 (GB 32100). A failing check character is only a
//! warning (some early real codes fail it), so the schema checks the shape and the annotation the sum.

use super::address::Address;
use super::person::Person;
use super::scalars::PhoneNumber;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// 法人或其他组织
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// 单位名称 (按登记原样填写)
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    /// 统一社会信用代码 (GB 32100)，18 位
    #[schemars(
        regex(pattern = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"),
        extend("x-tongban-check" = "gb32100")
    )]
    pub credit_code: String,
    /// 法定代表人或负责人
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_representative: Option<Person>,
    /// 住所
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// 联系电话
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
}

/// 单位 (只需名称与代码时，如原工作单位)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationRef {
    /// 单位名称
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    /// 统一社会信用代码 (GB 32100)，18 位
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        regex(pattern = r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"),
        extend("x-tongban-check" = "gb32100")
    )]
    pub credit_code: Option<String>,
}
