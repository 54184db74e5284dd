//! From jsonschema errors to [`Violation`]s: exact pointers (a missing property points at the property
//! itself), one violation per unexpected property, the matching branch of a tagged `oneOf` (or the
//! one branch of an optional `T | null` member) explained instead of a bare "not valid under any
//! schema", and messages with instance values masked.

use super::keyword::SEP;
use crate::violation::{Report, Violation, escape_token};
use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};

/// Converts every error into a violation or warning, pointers prefixed with `prefix`. `document`
/// is the schema the errors came from: a union's branches are told apart by a `kind` member only
/// where the document gives that member a `const` or `enum` (a tag), not where `kind` is an
/// ordinary field (a licence's or a material's type code).
pub fn to_report<'a>(
    errors: impl Iterator<Item = ValidationError<'a>>,
    document: &serde_json::Value,
    prefix: &str,
) -> Report {
    let mut report = Report::default();
    let errors: Vec<ValidationError<'a>> = errors.collect();
    let mistagged = mistagged_objects(&errors, document);
    for e in &errors {
        let at = e.instance_path().as_str();
        match mistagged.iter().find(|p| within(at, p)) {
            // The tag itself, said as a union's tag is: the kinds the object may be.
            Some(object) if at == format!("{object}/kind") => {
                if let ValidationErrorKind::Constant { expected_value } = e.kind() {
                    report.violations.push(kind_refused(
                        format!("{prefix}{at}"),
                        vec![expected_value.as_ref().clone()],
                        e,
                    ));
                }
            }
            Some(object) if at == *object && lacks_tag(e, document) => {
                report
                    .violations
                    .push(kind_required(format!("{prefix}{at}/kind")));
            }
            // The rest of a mistagged object's checks are for the kind it is not.
            Some(_) => {}
            None => collect(e, document, prefix, &mut report),
        }
    }
    report.violations.dedup();
    report.warnings.dedup();
    report
}

fn collect(e: &ValidationError<'_>, doc: &serde_json::Value, prefix: &str, out: &mut Report) {
    let path = format!("{prefix}{}", e.instance_path().as_str());
    match e.kind() {
        ValidationErrorKind::Custom { message, .. } => {
            let mut parts = message.splitn(4, SEP);
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some(sev), Some(rule), Some(suffix), Some(msg)) => {
                    let v = Violation::new(format!("{path}{suffix}"), rule, msg);
                    if sev == "warning" {
                        out.warnings.push(v)
                    } else {
                        out.violations.push(v)
                    }
                }
                _ => out
                    .violations
                    .push(Violation::new(path, "custom", message.clone())),
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            out.violations.push(Violation::new(
                format!("{path}/{}", escape_token(name)),
                "required",
                format!("缺少必填字段 {name} (required property is missing)"),
            ));
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            for name in unexpected {
                // A name the caller made up, which may hold personal data typed into it.
                let name = crate::mask::field_name(name);
                out.violations.push(Violation::new(
                    format!("{path}/{}", escape_token(&name)),
                    "unknown-property",
                    format!("未定义的字段 {name} (property not allowed here)"),
                ));
            }
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            if let Some(allowed) = const_alternatives(context, e.instance_path().as_str()) {
                let said: Vec<String> = allowed.iter().map(ToString::to_string).collect();
                out.violations.push(
                    Violation::new(
                        path,
                        "enum",
                        format!(
                            "取值不在代码表中，应为 {} 之一 (value is not one of {})",
                            said.join("、"),
                            said.join(", ")
                        ),
                    )
                    .allowing(allowed),
                );
                return;
            }
            match pick_branch(context, doc, e.instance_path().as_str()) {
                Some(branch) => {
                    for inner in branch {
                        collect(inner, doc, prefix, out);
                    }
                }
                None if has_kind_mismatch(context, e.instance_path().as_str()) => {
                    // No branch takes the `kind` sent: the kinds the branches take.
                    let kinds = kind_alternatives(context, e.instance_path().as_str());
                    out.violations
                        .push(kind_refused(format!("{path}/kind"), kinds, e));
                }
                None if lacks_kind(context, doc, e.instance_path().as_str()) => {
                    out.violations.push(kind_required(format!("{path}/kind")));
                }
                None => match type_across(context, e.instance_path().as_str(), e.instance()) {
                    Some(message) => out.violations.push(Violation::new(path, "type", message)),
                    None => {
                        out.violations
                            .push(Violation::new(path, "one-of", e.masked().to_string()))
                    }
                },
            }
        }
        other => out.violations.push(
            Violation::new(path, rule_name(other.keyword()), message(e)).allowing(allowed(e)),
        ),
    }
}

/// The values an `enum` or `const` finding allows ([`Violation::allowed`]); none for the others.
fn allowed(e: &ValidationError<'_>) -> Vec<serde_json::Value> {
    match e.kind() {
        ValidationErrorKind::Enum { options } => match options.as_array() {
            Some(a) => a.clone(),
            None => vec![options.as_ref().clone()],
        },
        ValidationErrorKind::Constant { expected_value } => vec![expected_value.as_ref().clone()],
        _ => Vec::new(),
    }
}

/// A JSON Schema finding in the words of the crate's other messages (中文 first, English in
/// parentheses), naming the rule rather than quoting the validator: a province reads these in
/// its own field's name, and `value does not match "^[0-9a-f]{64}$"` tells a clerk little. No
/// message quotes the value (problems show it masked beside the message).
fn message(e: &ValidationError<'_>) -> String {
    match e.kind() {
        ValidationErrorKind::Type { kind } => {
            type_message(&expected_types(kind), instance_type(e.instance()))
        }
        ValidationErrorKind::Pattern { pattern } => match plain_pattern(pattern) {
            Some((zh, en)) => format!("格式不符：应为{zh} (expected {en})"),
            None => format!("格式不符：应匹配 {pattern} (does not match the pattern {pattern})"),
        },
        ValidationErrorKind::MinItems { limit } => {
            format!("至少 {limit} 项 (at least {limit} item(s))")
        }
        ValidationErrorKind::MaxItems { limit } => {
            format!("最多 {limit} 项 (at most {limit} item(s))")
        }
        ValidationErrorKind::MinLength { limit } => {
            format!("至少 {limit} 个字符 (at least {limit} character(s))")
        }
        ValidationErrorKind::MaxLength { limit } => {
            format!("最多 {limit} 个字符 (at most {limit} character(s))")
        }
        ValidationErrorKind::Enum { options } => {
            let allowed: Vec<String> = match options.as_array() {
                Some(a) => a.iter().map(ToString::to_string).collect(),
                None => vec![options.to_string()],
            };
            format!(
                "取值不在允许范围内，应为 {} 之一 (value is not one of {})",
                allowed.join("、"),
                allowed.join(", ")
            )
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("应为 {expected_value} (must be {expected_value})")
        }
        ValidationErrorKind::Minimum { limit } => {
            format!("不得小于 {limit} (must be at least {limit})")
        }
        ValidationErrorKind::ExclusiveMinimum { limit } => {
            format!("应大于 {limit} (must be greater than {limit})")
        }
        ValidationErrorKind::Maximum { limit } => {
            format!("不得大于 {limit} (must be at most {limit})")
        }
        ValidationErrorKind::ExclusiveMaximum { limit } => {
            format!("应小于 {limit} (must be less than {limit})")
        }
        ValidationErrorKind::Format { format } => {
            format!("格式不符：应为 {format} (not a valid {format})")
        }
        ValidationErrorKind::UniqueItems => "列表项不得重复 (items must be unique)".into(),
        _ => e.masked().to_string(),
    }
}

/// The types a `type` keyword asks for. `null` beside a type is how an optional member is
/// written, not what it asks for.
fn expected_types(kind: &TypeKind) -> Vec<jsonschema::JsonType> {
    match kind {
        TypeKind::Single(t) => vec![*t],
        TypeKind::Multiple(set) => set
            .iter()
            .filter(|t| *t != jsonschema::JsonType::Null)
            .collect(),
    }
}

fn type_message(expected: &[jsonschema::JsonType], got: jsonschema::JsonType) -> String {
    let zh: Vec<&str> = expected.iter().map(|t| type_zh(*t)).collect();
    let en: Vec<&str> = expected.iter().map(|t| type_en(*t)).collect();
    format!(
        "应为{}，收到{} (expected {}, got {})",
        zh.join("或"),
        type_zh(got),
        en.join(" or "),
        type_en(got)
    )
}

/// When every branch of a union refuses the value's type itself (a phone sent as a number where
/// each branch takes a string): the message of one `type` finding naming the types the branches
/// take, as a single `type` keyword's would.
fn type_across(
    context: &[Vec<ValidationError<'static>>],
    at: &str,
    instance: &serde_json::Value,
) -> Option<String> {
    let mut expected: Vec<jsonschema::JsonType> = Vec::new();
    for branch in context {
        let kind = branch.iter().find_map(|e| match e.kind() {
            ValidationErrorKind::Type { kind } if e.instance_path().as_str() == at => Some(kind),
            _ => None,
        })?;
        for t in expected_types(kind) {
            if !expected.contains(&t) {
                expected.push(t);
            }
        }
    }
    // A `null` branch is how an optional member is written, as beside a type.
    if expected.len() > 1 {
        expected.retain(|t| *t != jsonschema::JsonType::Null);
    }
    (!expected.is_empty()).then(|| type_message(&expected, instance_type(instance)))
}

/// A `kind` tag no kind the schema allows: the kinds it does (`e`'s own words when none is known).
fn kind_refused(
    pointer: String,
    kinds: Vec<serde_json::Value>,
    e: &ValidationError<'_>,
) -> Violation {
    let said: Vec<String> = kinds.iter().map(ToString::to_string).collect();
    let message = if said.is_empty() {
        e.masked().to_string()
    } else {
        format!(
            "取值不在允许范围内，应为 {} 之一 (value is not one of {})",
            said.join("、"),
            said.join(", ")
        )
    };
    Violation::new(pointer, "enum", message).allowing(kinds)
}

/// A `kind` tag missing.
fn kind_required(pointer: String) -> Violation {
    Violation::new(
        pointer,
        "required",
        "缺少必填字段 kind (required property is missing)",
    )
}

/// The objects (instance paths) whose `kind` tag is wrong or missing, where the schema fixes it
/// to one value (`"kind": {"const": …}`): an object of one kind only, as a union of one branch
/// is published ([`crate::blocks::PersonApplicant`]). Reported as a union's tag is, at the tag
/// alone: its other checks are those of the kind it does not claim to be (an organisation sent
/// where a person is asked for lacks no `id_number` worth telling), and the gateway said the
/// same when the object was written as a `oneOf` of itself.
fn mistagged_objects(errors: &[ValidationError<'_>], doc: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in errors {
        let at = e.instance_path().as_str();
        let object = match e.kind() {
            ValidationErrorKind::Constant { .. } => at.strip_suffix("/kind"),
            ValidationErrorKind::Required { .. } if lacks_tag(e, doc) => Some(at),
            _ => None,
        };
        if let Some(object) = object
            && !out.iter().any(|o| o == object)
        {
            out.push(object.to_string());
        }
    }
    out
}

/// Whether `e` is a missing `kind` member that the schema fixes to one value (a tag).
fn lacks_tag(e: &ValidationError<'_>, doc: &serde_json::Value) -> bool {
    matches!(e.kind(), ValidationErrorKind::Required { property } if property.as_str() == Some("kind"))
        && e.schema_path()
            .as_str()
            .strip_suffix("/required")
            .and_then(|holder| doc.pointer(&format!("{holder}/properties/kind/const")))
            .is_some()
}

/// Whether instance path `at` is `object` or inside it.
fn within(at: &str, object: &str) -> bool {
    at.strip_prefix(object)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether every branch of a tagged union misses the `kind` tag: no branch can be told, and the
/// tag is what is wrong (often because a province's code for it did not translate).
fn lacks_kind(
    context: &[Vec<ValidationError<'static>>],
    doc: &serde_json::Value,
    at: &str,
) -> bool {
    !context.is_empty()
        && context.iter().all(|b| {
            b.iter().any(|e| {
                e.instance_path().as_str() == at
                    && matches!(e.kind(), ValidationErrorKind::Required { property }
                        if property.as_str() == Some("kind"))
                    && tags(e, doc)
            })
        })
}

/// Whether the `kind` member an error is about is a union's tag: the schema the error's keyword
/// sits in gives `kind` a `const` or an `enum` (directly or through one local `$ref`). A `kind`
/// the schema takes as any text (LicenceRef's, MaterialRef's type codes) is a field like another.
fn tags(e: &ValidationError<'_>, doc: &serde_json::Value) -> bool {
    // The keyword's location without `$ref` traversals: a pointer into `doc`.
    let location = e.schema_path().as_str();
    let Some((holder, keyword)) = location.rsplit_once('/') else {
        return false;
    };
    let kind = match keyword {
        // `required` sits beside `properties`; a `type` finding sits in the member's own schema.
        "required" => doc.pointer(&format!("{holder}/properties/kind")),
        _ => doc.pointer(holder),
    };
    let resolved = kind.and_then(
        |k| match k.get("$ref").and_then(serde_json::Value::as_str) {
            Some(reference) => reference.strip_prefix('#').and_then(|p| doc.pointer(p)),
            None => Some(k),
        },
    );
    resolved.is_some_and(|k| k.get("const").is_some() || k.get("enum").is_some())
}

/// A branch that takes only `null`: how schemars writes an optional member (`T | null`).
fn takes_only_null(branch: &[ValidationError<'static>], at: &str) -> bool {
    match branch {
        [only] if only.instance_path().as_str() == at => match only.kind() {
            ValidationErrorKind::Type { kind } => match kind {
                TypeKind::Single(t) => *t == jsonschema::JsonType::Null,
                TypeKind::Multiple(set) => set.iter().all(|t| t == jsonschema::JsonType::Null),
            },
            _ => false,
        },
        _ => false,
    }
}

fn instance_type(v: &serde_json::Value) -> jsonschema::JsonType {
    use jsonschema::JsonType;
    match v {
        serde_json::Value::Null => JsonType::Null,
        serde_json::Value::Bool(_) => JsonType::Boolean,
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
        serde_json::Value::Number(_) => JsonType::Number,
        serde_json::Value::String(_) => JsonType::String,
        serde_json::Value::Array(_) => JsonType::Array,
        serde_json::Value::Object(_) => JsonType::Object,
    }
}

fn type_zh(t: jsonschema::JsonType) -> &'static str {
    use jsonschema::JsonType;
    match t {
        JsonType::Null => " null",
        JsonType::Boolean => "布尔值",
        JsonType::Integer => "整数",
        JsonType::Number => "数字",
        JsonType::String => "文本",
        JsonType::Array => "列表",
        JsonType::Object => "对象",
    }
}

fn type_en(t: jsonschema::JsonType) -> &'static str {
    use jsonschema::JsonType;
    match t {
        JsonType::Null => "null",
        JsonType::Boolean => "a boolean",
        JsonType::Integer => "an integer",
        JsonType::Number => "a number",
        JsonType::String => "text",
        JsonType::Array => "a list",
        JsonType::Object => "an object",
    }
}

/// What the published schemas' patterns mean, said plainly (中文, English); others are quoted.
fn plain_pattern(pattern: &str) -> Option<(&'static str, &'static str)> {
    Some(match pattern {
        "^[0-9a-f]{64}$" => (
            " 64 位小写十六进制数字 (SHA-256 摘要)",
            "64 lower-case hex digits, a SHA-256 digest",
        ),
        "^([0-9]{6}|[0-9]{12})$" => (
            " 6 位或 12 位数字的行政区划代码",
            "a 6- or 12-digit division code",
        ),
        "^[0-9A-Za-z]{6,30}$" => (" 6 至 30 位字母或数字", "6 to 30 letters or digits"),
        "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" => (" yyyy-MM-dd 形式的日期", "a date as yyyy-MM-dd"),
        "^[0-9]{4}-(0[1-9]|1[0-2])$" => (" yyyy-MM 形式的年月", "a month as yyyy-MM"),
        "^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$" => (
            " 18 位统一社会信用代码",
            "an 18-character unified social credit code",
        ),
        "^([0-9]{17}[0-9Xx]|[0-9]{15})$" => (
            " 18 位 (或旧 15 位) 公民身份号码",
            "an 18-digit (or old 15-digit) resident ID number",
        ),
        "^(0[1-9]|[1-4][0-9]|5[0-6]|97|98)$" => (
            " GB/T 3304 民族代码 (01–56、97、98)",
            "a GB/T 3304 ethnicity code (01-56, 97, 98)",
        ),
        crate::ids::phone::PATTERN => (
            "手机号码或固定电话号码",
            "a mobile or fixed-line phone number",
        ),
        _ => return None,
    })
}

/// A `oneOf` of documented constants (how schemars writes an enum whose variants have docs): the
/// allowed values, so the violation reads like an `enum` one.
fn const_alternatives(
    context: &[Vec<ValidationError<'static>>],
    at: &str,
) -> Option<Vec<serde_json::Value>> {
    context
        .iter()
        .map(|branch| match branch.as_slice() {
            [only] if only.instance_path().as_str() == at => match only.kind() {
                ValidationErrorKind::Constant { expected_value } => {
                    Some(expected_value.as_ref().clone())
                }
                _ => None,
            },
            _ => None,
        })
        .collect::<Option<Vec<serde_json::Value>>>()
        .filter(|v| !v.is_empty())
}

/// The branch the instance was meant for. Of an optional member (`T | null`, every branch but one
/// taking only `null`), the one that is not null: a value sent is meant for it, whatever it
/// lacks. Otherwise the one whose failures do not include a discriminating mismatch (its `kind`
/// tag or the instance's type); if several qualify, the one with fewest errors.
fn pick_branch<'c>(
    context: &'c [Vec<ValidationError<'static>>],
    doc: &serde_json::Value,
    at: &str,
) -> Option<&'c Vec<ValidationError<'static>>> {
    let mut not_null = context.iter().filter(|b| !takes_only_null(b, at));
    if let (Some(only), None) = (not_null.next(), not_null.next())
        && context.len() > 1
    {
        return Some(only);
    }
    context
        .iter()
        .filter(|branch| !branch.iter().any(|e| discriminates(e, doc, at)))
        .min_by_key(|branch| branch.len())
}

fn discriminates(e: &ValidationError<'_>, doc: &serde_json::Value, at: &str) -> bool {
    let p = e.instance_path().as_str();
    match e.kind() {
        ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. } => {
            p == at || p == format!("{at}/kind")
        }
        ValidationErrorKind::Type { .. } => p == at || (p == format!("{at}/kind") && tags(e, doc)),
        ValidationErrorKind::Required { property } => {
            p == at && property.as_str() == Some("kind") && tags(e, doc)
        }
        _ => false,
    }
}

/// The `kind` tags the branches of a tagged `oneOf` take, in order, once each.
fn kind_alternatives(
    context: &[Vec<ValidationError<'static>>],
    at: &str,
) -> Vec<serde_json::Value> {
    let kind = format!("{at}/kind");
    let mut out: Vec<serde_json::Value> = Vec::new();
    for e in context.iter().flatten() {
        if e.instance_path().as_str() == kind {
            for v in allowed(e) {
                if !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

fn has_kind_mismatch(context: &[Vec<ValidationError<'static>>], at: &str) -> bool {
    let kind = format!("{at}/kind");
    !context.is_empty()
        && context.iter().all(|b| {
            b.iter().any(|e| {
                e.instance_path().as_str() == kind
                    && matches!(
                        e.kind(),
                        ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. }
                    )
            })
        })
}

/// `additionalProperties` → `additional-properties`, `minLength` → `min-length`.
fn rule_name(keyword: &str) -> String {
    let mut out = String::with_capacity(keyword.len() + 4);
    for c in keyword.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::CompiledSchema;
    use serde_json::json;

    fn findings(
        schema: serde_json::Value,
        instance: serde_json::Value,
    ) -> Vec<(String, String, String)> {
        let compiled = CompiledSchema::compile(&schema).expect("compiles");
        compiled
            .check(&instance, "")
            .violations
            .into_iter()
            .map(|v| (v.pointer, v.rule, v.message))
            .collect()
    }

    /// Given a union whose every branch takes a string, when a number is sent, then one `type`
    /// finding in the crate's words, not the validator's "not valid under any of the schemas".
    #[test]
    fn a_value_of_a_type_no_branch_takes_is_a_type_finding() {
        let schema = json!({"type": "object", "properties": {"phone": {"anyOf": [
            {"type": "string", "pattern": "^1[3-9][0-9]{9}$"},
            {"type": "string", "pattern": "^0[0-9]{2,3}-[0-9]{7,8}$"}
        ]}}});
        let found = findings(schema, json!({"phone": 13512345678u64}));
        assert_eq!(found.len(), 1, "{found:?}");
        let (pointer, rule, message) = &found[0];
        assert_eq!((pointer.as_str(), rule.as_str()), ("/phone", "type"));
        assert!(message.starts_with("应为文本，收到整数"), "{message}");
        assert!(!message.contains("13512345678"), "{message}");
    }

    /// Given a tagged union, when the `kind` tag is missing, then `required` at the tag: the
    /// finding a caller reports at its own field for the tag (and drops as a follow-on of a code
    /// it could not translate there), never a bare `one-of` on the whole object.
    #[test]
    fn a_tagged_union_without_its_tag_is_refused_at_the_tag() {
        let schema = json!({"type": "object", "properties": {"party": {"oneOf": [
            {"type": "object", "required": ["kind", "name"], "properties": {"kind": {"const": "person"}, "name": {"type": "string"}}},
            {"type": "object", "required": ["kind", "code"], "properties": {"kind": {"const": "org"}, "code": {"type": "string"}}}
        ]}}});
        let found = findings(schema, json!({"party": {"name": "x"}}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].0.as_str(), found[0].1.as_str()),
            ("/party/kind", "required")
        );
    }

    /// An optional member written as schemars writes `Option<LicenceRef>`: a `$ref` to an object
    /// whose `kind` is a plain text field, or `null`.
    fn optional_licence() -> serde_json::Value {
        json!({
            "$defs": {"LicenceRef": {"type": "object", "additionalProperties": false,
                "required": ["kind", "number"],
                "properties": {"kind": {"type": "string", "minLength": 1},
                               "number": {"type": "string", "minLength": 1}}}},
            "type": "object", "additionalProperties": false,
            "properties": {"licence": {"anyOf": [{"$ref": "#/$defs/LicenceRef"}, {"type": "null"}]}}
        })
    }

    /// Given an optional licence (`LicenceRef | null`) whose `kind` is an ordinary required field,
    /// when the licence lacks `kind` (or everything), then `required` at `/licence/kind` (and at
    /// every other missing member): the object is meant for the one branch that is not null, and
    /// its `kind` is no union tag. Before, a missing `kind` was taken for a missing tag, ruled out
    /// every branch, and the caller got the validator's bare "not valid under any of the schemas"
    /// at `/licence`, naming no field.
    #[test]
    fn an_optional_object_lacking_a_plain_kind_is_refused_at_the_field() {
        let found = findings(optional_licence(), json!({"licence": {"number": "A1"}}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].0.as_str(), found[0].1.as_str()),
            ("/licence/kind", "required")
        );
        let found = findings(optional_licence(), json!({"licence": {}}));
        let mut said: Vec<(&str, &str)> = found
            .iter()
            .map(|(p, r, _)| (p.as_str(), r.as_str()))
            .collect();
        said.sort();
        assert_eq!(
            said,
            [
                ("/licence/kind", "required"),
                ("/licence/number", "required")
            ]
        );
    }

    /// Given the same optional licence, when it carries a member the licence does not define
    /// beside a missing `kind`, then the member is named `unknown-property` and `kind` `required`,
    /// never a `one-of` on the licence; a `kind` of the wrong type is a `type` finding at the field.
    #[test]
    fn an_optional_object_with_an_unknown_member_names_it() {
        let found = findings(
            optional_licence(),
            json!({"licence": {"number": "A1", "x": 1}}),
        );
        let said: Vec<(&str, &str)> = found
            .iter()
            .map(|(p, r, _)| (p.as_str(), r.as_str()))
            .collect();
        assert!(said.contains(&("/licence/kind", "required")), "{found:?}");
        assert!(
            said.contains(&("/licence/x", "unknown-property")),
            "{found:?}"
        );
        assert!(!said.iter().any(|(_, r)| *r == "one-of"), "{found:?}");
        let found = findings(
            optional_licence(),
            json!({"licence": {"kind": 1, "number": "A1"}}),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].0.as_str(), found[0].1.as_str()),
            ("/licence/kind", "type")
        );
    }

    /// Given the published result-issued schema, when issue-result bodies miss a licence's or a
    /// document's `kind`, then each finding names the field (`/licence/kind`, `/document/kind`,
    /// rule `required`), as a licence missing its `number` always did.
    #[test]
    fn a_result_missing_a_kind_names_the_field() {
        let schema = serde_json::to_value(schemars::schema_for!(crate::events::ResultIssued))
            .expect("a schema");
        let zeros = "0".repeat(64);
        for (body, expected) in [
            (
                json!({"licence": {}}),
                vec!["/licence/kind", "/licence/number"],
            ),
            (json!({"licence": {"number": "A1"}}), vec!["/licence/kind"]),
            (json!({"licence": {"kind": "x"}}), vec!["/licence/number"]),
            (
                json!({"document": {"name": "结果", "sha256": zeros, "size": 1}}),
                vec!["/document/kind"],
            ),
        ] {
            let found = findings(schema.clone(), body.clone());
            let mut pointers: Vec<&str> = found.iter().map(|(p, _, _)| p.as_str()).collect();
            pointers.sort();
            assert_eq!(pointers, expected, "{body}: {found:?}");
            assert!(found.iter().all(|(_, r, _)| r == "required"), "{found:?}");
        }
    }

    /// Given a union of two objects whose `kind` is plain text (no branch gives it a `const`),
    /// when an object lacking `kind` and more is sent, then it is not reported as a missing union
    /// tag alone (`required` at `/kind`, hiding the other gaps): the branch with fewest findings
    /// is explained, every missing member named.
    #[test]
    fn a_plain_kind_does_not_tell_branches_apart() {
        let schema = json!({"anyOf": [
            {"type": "object", "required": ["kind", "number"], "properties": {"kind": {"type": "string"}, "number": {"type": "string"}}},
            {"type": "object", "required": ["kind", "a", "b"], "properties": {"kind": {"type": "string"}}}
        ]});
        let found = findings(schema, json!({}));
        let said: Vec<(&str, &str)> = found
            .iter()
            .map(|(p, r, _)| (p.as_str(), r.as_str()))
            .collect();
        assert_eq!(said, [("/kind", "required"), ("/number", "required")]);
    }

    /// A union the value fails for other reasons than its type keeps the finding that says why
    /// (the branch it was meant for), not a `type` one.
    #[test]
    fn a_union_of_the_right_type_failed_otherwise_is_not_a_type_finding() {
        let schema = json!({"anyOf": [{"type": "string", "minLength": 3}, {"type": "integer"}]});
        let found = findings(schema, json!("ab"));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].1, "min-length", "{found:?}");
    }
}
