//! 自然人. The name is stored exactly as given (UTF-8, GB 18030 生僻字 included): a normalised copy for
//! matching belongs to the adapters, never to the canonical record.

use super::address::Address;
use super::scalars::{CalendarDate, PhoneNumber};
use crate::ids::gb2261::Sex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// 自然人 (居民身份证持有人)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("x-tongban-check" = "person"))]
pub struct Person {
    /// 姓名 (按证件原样填写，含生僻字，不做繁简转换)
    #[schemars(length(min = 1, max = 100))]
    pub name: String,
    /// 公民身份号码 (GB 11643)，18 位，末位为校验码 (0-9 或 X)
    #[schemars(regex(pattern = r"^([0-9]{17}[0-9Xx]|[0-9]{15})$"))]
    pub id_number: String,
    /// 性别代码 (GB/T 2261.1)：0 未知，1 男，2 女，5 女改男，6 男改女，9 未说明
    pub sex: Sex,
    /// 民族代码 (GB/T 3304)：01–56，97 其他，98 外国血统中国籍人士
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^(0[1-9]|[1-4][0-9]|5[0-6]|97|98)$"))]
    pub ethnicity: Option<String>,
    /// 出生日期，须与身份号码中的出生日期一致
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<CalendarDate>,
    /// 联系电话
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<PhoneNumber>,
    /// 住址
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}
