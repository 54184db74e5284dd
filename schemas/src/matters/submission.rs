//! The submission body every matter shares, and the assembly of a matter's published schema from it.

use super::Matter;
use crate::blocks::{DivisionCode, MaterialRef};
use crate::ids::gb2260;
use crate::mode::Mode;
use crate::violation::{Report, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// 跨省通办申请 (canonical submission body): `applicant` and `form` as the matter's schema
/// (`matter.<code>` in /v1/schemas) describes them.
// A is the applicant type, F the matter's form: each matter's schema is assembled with its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Submission<A, F> {
    /// 事项编码 (canonical matter code)
    pub matter: String,
    /// 办理模式：online 全程网办，proxy 异地代收代办，joint 多地联办
    pub mode: Mode,
    /// 收件地 (受理申请的地区) 行政区划代码
    pub origin: DivisionCode,
    /// 办理地行政区划代码；第一个为牵头办理地 (受理并作出决定)。joint 至少 2 个，online/proxy 恰好 1 个，不含收件地
    #[schemars(length(min = 1))]
    pub handlers: Vec<DivisionCode>,
    /// 申请人
    pub applicant: A,
    /// 事项表单
    pub form: F,
    /// 申请材料
    #[serde(default)]
    pub materials: Vec<MaterialRef>,
}

/// Generates the base schema for a submission type (the function pointer each matter keeps).
pub(super) fn base<A: JsonSchema, F: JsonSchema>() -> schemars::Schema {
    schemars::schema_for!(Submission<A, F>)
}

/// The published document: the base schema plus the matter's code, modes, mode rules, titles and
/// example, so the file alone tells a reader everything the matter requires.
pub(super) fn document(m: &Matter) -> Value {
    let mut doc = (m.base_schema)().to_value();
    let modes: Vec<&str> = m.modes.iter().map(|x| x.as_str()).collect();
    let modes_zh: Vec<String> = m
        .modes
        .iter()
        .map(|x| format!("{} {}", x.as_str(), x.title_zh()))
        .collect();
    if let Some(obj) = doc.as_object_mut() {
        obj.insert(
            "$id".into(),
            json!(format!("urn:tongban:schema:{}:{}", m.subject(), m.version)),
        );
        obj.insert(
            "title".into(),
            json!(format!("{} ({})", m.title_zh, m.title_en)),
        );
        obj.insert("description".into(), json!(m.description_zh));
        obj.insert(
            "allOf".into(),
            json!([{
                "if": { "properties": { "mode": { "const": "joint" } }, "required": ["mode"] },
                "then": { "properties": { "handlers": { "minItems": 2 } } },
                "else": { "properties": { "handlers": { "maxItems": 1 } } }
            }]),
        );
        obj.insert("examples".into(), json!([m.example()]));
        obj.insert(
            "x-tongban-matter".into(),
            json!({
                "code": m.code,
                "title_zh": m.title_zh,
                "title_en": m.title_en,
                "modes": modes,
                "limits": m.limits,
                "materials": m.materials,
                "applicant_kinds": m.applicant_kinds,
            }),
        );
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.insert(
                "matter".into(),
                json!({ "const": m.code, "description": format!("事项编码：{}", m.title_zh) }),
            );
            props.insert(
                "mode".into(),
                json!({ "enum": modes, "description": format!("办理模式 (本事项允许：{})", modes_zh.join("，")) }),
            );
        }
    }
    doc
}

/// The part of a document that covers only `applicant` and `form` (what [`Matter::validate`] checks).
pub(super) fn content_schema(doc: &Value) -> Value {
    let mut content = doc.clone();
    if let Some(obj) = content.as_object_mut() {
        obj.remove("allOf");
        obj.remove("examples");
        obj.insert("required".into(), json!(["applicant", "form"]));
        if let Some(props) = obj.get_mut("properties").and_then(Value::as_object_mut) {
            props.retain(|k, _| k == "applicant" || k == "form");
        }
    }
    content
}

/// One rule about the route (origin and handlers), as the matters' rule lists show it.
#[derive(Debug, Clone, Copy)]
pub struct RouteRule {
    pub code: &'static str,
    pub pointer: &'static str,
    pub rule_zh: &'static str,
}

/// The rules about the route every matter's submission is held to beyond its schema: those
/// [`route_rules`] checks, and `unknown-region`, which the gateway checks against its region
/// book. Listed with each matter (`/v1/matters`, the registry page).
pub const ROUTE_RULES: [RouteRule; 6] = [
    RouteRule {
        code: "region-code",
        pointer: "/origin",
        rule_zh: "收件地为地区的 6 位行政区划代码，不用 12 位统计用区划代码 (origin is a region's 6-digit division code, not a 12-digit one)",
    },
    RouteRule {
        code: "region-code",
        pointer: "/handlers/*",
        rule_zh: "办理地为地区的 6 位行政区划代码，不用 12 位统计用区划代码 (each handler is a region's 6-digit division code, not a 12-digit one)",
    },
    RouteRule {
        code: "origin-is-handler",
        pointer: "/handlers/*",
        rule_zh: "收件地不同时为办理地 (the origin is not one of the handlers)",
    },
    RouteRule {
        code: SAME_PROVINCE,
        pointer: "/handlers/*",
        rule_zh: "跨省通办：网办、代办的办理地在收件地以外的省份；联办至少一个办理地在收件地以外的省份 (every matter here is cross-province: the handler of an online or proxy application is in another province than the origin; a joint one has at least one handler in another province, and may have others in the origin's)",
    },
    RouteRule {
        code: "duplicate-handler",
        pointer: "/handlers/*",
        rule_zh: "每个办理地只列一次 (no handler is named twice)",
    },
    RouteRule {
        code: "unknown-region",
        pointer: "/handlers/*",
        rule_zh: "办理地是本联邦的地区，由网关按地区名册检查 (each handler is a region of this federation, GET /v1/regions; checked by the gateway)",
    },
];

/// Rules about the route that JSON Schema cannot express ([`ROUTE_RULES`]).
pub(super) fn route_rules(body: &Value, report: &mut Report) {
    let origin = body.get("origin").and_then(Value::as_str);
    let Some(handlers) = body.get("handlers").and_then(Value::as_array) else {
        return;
    };
    // Regions are named by their 6-digit codes, as the region book and every inbox know them:
    // a 12-digit statistical code (which the division check accepts) would name the same
    // region under another spelling, pass the checks below, and reach no inbox. Anything else
    // that is no 6 digits (a place's name, `重庆`) is told the same, not the division pattern's
    // "6 or 12 digits" (which `without_followers` leaves out beside it): a caller that follows
    // the first message is not refused again for the 12 digits it allowed.
    let six = |pointer: String, code: &str, report: &mut Report| {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            report.violations.push(Violation::new(
                pointer,
                "region-code",
                "应为地区的 6 位行政区划代码 (a region's 6-digit division code, e.g. 440000)",
            ));
        }
    };
    if let Some(o) = origin {
        six("/origin".into(), o, report);
    }
    // Each code once: a set, so a long list (refused by the limits, but checked here when a
    // caller does not apply them) costs linear time, not quadratic.
    let mut seen = std::collections::HashSet::new();
    // A mode that is missing or unknown (refused at /mode by the schema) is held to the
    // single handler's rule, the stricter one.
    let joint = body
        .get("mode")
        .and_then(Value::as_str)
        .and_then(Mode::parse)
        == Some(Mode::Joint);
    let inside = match origin {
        Some(origin) => {
            let codes: Vec<&str> = handlers.iter().map(|h| h.as_str().unwrap_or("")).collect();
            same_province_handlers(joint, origin, &codes)
        }
        None => Vec::new(),
    };
    for (i, code) in handlers.iter().map(Value::as_str).enumerate() {
        let Some(code) = code else { continue };
        six(format!("/handlers/{i}"), code, report);
        if Some(code) == origin {
            report.violations.push(Violation::new(
                format!("/handlers/{i}"),
                "origin-is-handler",
                "收件地不能同时为办理地 (the origin is not a handler in a cross-region application)",
            ));
        } else if let Some(origin) = origin
            && code.len() == 6
            && inside.contains(&i)
        {
            report.violations.push(Violation::new(
                format!("/handlers/{i}"),
                SAME_PROVINCE,
                same_province_message(&[code], origin, joint),
            ));
        }
        if !seen.insert(code) {
            report.violations.push(Violation::new(
                format!("/handlers/{i}"),
                "duplicate-handler",
                "办理地重复：每个办理地只列一次 (this handler is already named: name each region once)",
            ));
        }
    }
}

/// The rule of a route whose origin and a handler are in one province; the form's rules say the
/// same of two places of a form (`form_rules`).
const SAME_PROVINCE: &str = "same-province";

/// The handlers refused `same-province` (by their index), the one definition of the rule for
/// the route's check and the domain core's. Every matter here is 跨省: an application whose
/// handling stays inside the origin's province (a city of it registered as a region, with its
/// own platform) is that province's own business. The single handler of an online or proxy
/// application is therefore in another province; a joint one (多地联办, several handlers each
/// completing a part) may have a handler in the origin's province beside one elsewhere (深圳
/// sending a 广州 → 上海 pension transfer to 上海 and 广东), and is refused only when every
/// handler is in the origin's province, each of them then named. A code that is no division
/// code (refused as `region-code`) is in no province.
pub fn same_province_handlers<H: AsRef<str>>(
    joint: bool,
    origin: &str,
    handlers: &[H],
) -> Vec<usize> {
    let Some(province) = gb2260::province(origin) else {
        return Vec::new();
    };
    let inside: Vec<usize> = handlers
        .iter()
        .enumerate()
        .filter(|(_, h)| gb2260::province(h.as_ref()) == Some(province))
        .map(|(i, _)| i)
        .collect();
    if joint && inside.len() < handlers.len() {
        return Vec::new();
    }
    inside
}

/// What handlers refused `same-province` are told: their codes and the origin's (region codes,
/// no personal data) and why the application cannot go there, as the mode has it. The route
/// tells each handler at its item (one code); the domain core, which refuses the submission as
/// one, names every handler of the origin's province in one refusal (a joint application's all).
pub fn same_province_message<H: AsRef<str>>(handlers: &[H], origin: &str, joint: bool) -> String {
    let codes: Vec<&str> = handlers.iter().map(AsRef::as_ref).collect();
    let (zh, en) = (codes.join("、"), codes.join(", "));
    let (noun, verb) = if codes.len() == 1 {
        ("handler", "is")
    } else {
        ("handlers", "are")
    };
    if joint {
        format!(
            "办理地 {zh} 与收件地 {origin} 同在一省，且联办的办理地全在该省：跨省通办须至少有一个办理地在收件地以外的省份 \
             ({noun} {en} {verb} in the province of the origin {origin}, as every handler of \
             this joint application is: a cross-province application has at least one handler \
             in another province; one inside a province is that province's own business)"
        )
    } else {
        format!(
            "办理地 {zh} 与收件地 {origin} 同在一省：网办、代办的办理地须在收件地以外的省份 \
             ({noun} {en} {verb} in the province of the origin {origin}: the handler of a \
             cross-province online or proxy application is in another province; one inside a \
             province is that province's own business)"
        )
    }
}

/// The findings of a whole body without those that only follow from another, so a caller reads
/// one answer per field and never two that contradict each other: at a pointer with a specific
/// finding (a tongban rule: `region-code`, `gb11643-checksum` …) the generic JSON Schema ones
/// about the same text (`pattern`, `min-length`, `max-length`, `format`) are left out — `44000`
/// is "a region's 6-digit code", not also "6 or 12 digits"; and with a mode the matter does not
/// allow, the handler count that mode would need (`min-items`/`max-items` at `/handlers`) says
/// nothing (an empty list still breaks the rule every mode shares).
pub(super) fn without_followers(body: &Value, violations: Vec<Violation>) -> Vec<Violation> {
    const GENERIC: [&str; 4] = ["pattern", "min-length", "max-length", "format"];
    let specific = |v: &Violation| !GENERIC.contains(&v.rule.as_str());
    let some_handlers = body
        .get("handlers")
        .and_then(Value::as_array)
        .is_some_and(|h| !h.is_empty());
    let mode_refused = some_handlers && violations.iter().any(|v| v.pointer == "/mode");
    let keep: Vec<bool> = violations
        .iter()
        .map(|v| {
            if mode_refused
                && v.pointer == "/handlers"
                && matches!(v.rule.as_str(), "min-items" | "max-items")
            {
                return false;
            }
            specific(v)
                || !violations
                    .iter()
                    .any(|w| w.pointer == v.pointer && specific(w))
        })
        .collect();
    violations
        .into_iter()
        .zip(keep)
        .filter_map(|(v, k)| k.then_some(v))
        .collect()
}

/// Example materials: one entry per required material, with a made-up digest.
pub(super) fn example_materials(m: &[super::MaterialRequirement]) -> Value {
    Value::Array(
        m.iter()
            .filter(|r| r.required)
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "name": r.name_zh,
                    "kind": r.kind,
                    "sha256": format!("{:064x}", 0x5eed_0000_u64 + i as u64),
                    "size": 102_400 + 1_024 * i as u64,
                })
            })
            .collect(),
    )
}
