//! A reference to a supporting material (申请材料). The blob itself never travels through the log:
//! only its name, kind, digest and size, so anyone holding the file can prove it is the one referred to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialRef {
    /// 材料名称
    #[schemars(length(min = 1, max = 200))]
    pub name: String,
    /// 材料类型代码, e.g. `id-card-copy`, `household-register`
    #[schemars(length(min = 1, max = 64))]
    pub kind: String,
    /// 文件摘要: lowercase hex SHA-256 of the file
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
    /// 文件大小 (bytes)
    pub size: u64,
    /// 材料格式: the file's format, where the submitting system says it (版式文件 OFD, PDF, or a
    /// scan). Absent in materials referred to before it was recorded (matter schemas version 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<MaterialFormat>,
}

/// 材料格式: the formats provincial systems exchange materials in. OFD is the national standard
/// for electronic documents (GB/T 33190); scans arrive as JPEG, PNG or TIFF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum MaterialFormat {
    /// PDF
    Pdf,
    /// OFD 版式文档 (GB/T 33190)
    Ofd,
    /// JPEG image
    Jpeg,
    /// PNG image
    Png,
    /// TIFF image
    Tiff,
}
