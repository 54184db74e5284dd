//! 地址: a division code plus a detail line, the shape most provincial systems use (`SSXQDM` + `QHNXXDZ`).

use super::scalars::DivisionCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// 地址 (行政区划 + 详细地址)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// 所属行政区划代码 (GB/T 2260)
    pub division: DivisionCode,
    /// 详细地址 (街道、门牌号等，不含省市县)
    #[schemars(length(min = 1, max = 200))]
    pub detail: String,
}
