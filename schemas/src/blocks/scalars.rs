//! Small typed strings used across forms. On the wire they are plain strings; their schemas carry the
//! pattern and, where a pattern is not enough, the [`super::CHECK_KEYWORD`] annotation.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// 行政区划代码 (GB/T 2260), 6 digits (12-digit statistical codes are accepted; their first six count).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DivisionCode(pub String);

impl JsonSchema for DivisionCode {
    fn schema_name() -> Cow<'static, str> {
        "DivisionCode".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "title": "行政区划代码",
            "description": "行政区划代码 (GB/T 2260)，6 位；12 位统计用区划代码取前 6 位。历史代码 (如 371200 莱芜市) 仍然有效。",
            "pattern": "^([0-9]{6}|[0-9]{12})$",
            "x-tongban-check": "gb2260",
            "examples": ["440106"]
        })
    }
}

/// 联系电话: mainland mobile or landline with area code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PhoneNumber(pub String);

impl JsonSchema for PhoneNumber {
    fn schema_name() -> Cow<'static, str> {
        "PhoneNumber".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "title": "联系电话",
            "description": "手机号 (1[3-9] 开头 11 位) 或带区号的固定电话 (如 020-87654321，可带分机 -123)",
            "pattern": crate::ids::phone::PATTERN,
            "examples": ["13812345678"]
        })
    }
}

/// 日期 `YYYY-MM-DD`, a real calendar date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CalendarDate(pub String);

impl JsonSchema for CalendarDate {
    fn schema_name() -> Cow<'static, str> {
        "CalendarDate".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "title": "日期",
            "description": "日期，格式 YYYY-MM-DD，须为真实存在的日期",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
            "format": "date",
            "x-tongban-check": "date",
            "examples": ["2024-03-01"]
        })
    }
}
