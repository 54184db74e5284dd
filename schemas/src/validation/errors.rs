//! From jsonschema errors to [`Violation`]s: exact pointers (a missing property points at the property
//! itself), one violation per unexpected property, the matching branch of a tagged `oneOf` explained
//! instead of a bare "not valid under any schema", and messages with instance values masked.

use super::keyword::SEP;
use crate::violation::{Report, Violation, escape_token};
use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;

/// Converts every error into a violation or warning, pointers prefixed with `prefix`.
pub fn to_report<'a>(errors: impl Iterator<Item = ValidationError<'a>>, prefix: &str) -> Report {
    let mut report = Report::default();
    for e in errors {
        collect(&e, prefix, &mut report);
    }
    report.violations.dedup();
    report.warnings.dedup();
    report
}

fn collect(e: &ValidationError<'_>, prefix: &str, out: &mut Report) {
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
                out.violations.push(Violation::new(
                    format!("{path}/{}", escape_token(name)),
                    "unknown-property",
                    format!("未定义的字段 {name} (property not allowed here)"),
                ));
            }
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            if let Some(allowed) = const_alternatives(context, e.instance_path().as_str()) {
                out.violations.push(Violation::new(
                    path,
                    "enum",
                    format!(
                        "value is not one of [{}] (取值不在代码表中)",
                        allowed.join(", ")
                    ),
                ));
                return;
            }
            match pick_branch(context, e.instance_path().as_str()) {
                Some(branch) => {
                    for inner in branch {
                        collect(inner, prefix, out);
                    }
                }
                None => out.violations.push(Violation::new(
                    if has_kind_mismatch(context, e.instance_path().as_str()) {
                        format!("{path}/kind")
                    } else {
                        path
                    },
                    if has_kind_mismatch(context, e.instance_path().as_str()) {
                        "enum"
                    } else {
                        "one-of"
                    },
                    e.masked().to_string(),
                )),
            }
        }
        other => out.violations.push(Violation::new(
            path,
            rule_name(other.keyword()),
            e.masked().to_string(),
        )),
    }
}

/// A `oneOf` of documented constants (how schemars writes an enum whose variants have docs): the
/// allowed values, so the violation reads like an `enum` one.
fn const_alternatives(context: &[Vec<ValidationError<'static>>], at: &str) -> Option<Vec<String>> {
    context
        .iter()
        .map(|branch| match branch.as_slice() {
            [only] if only.instance_path().as_str() == at => match only.kind() {
                ValidationErrorKind::Constant { expected_value } => {
                    Some(expected_value.to_string())
                }
                _ => None,
            },
            _ => None,
        })
        .collect::<Option<Vec<String>>>()
        .filter(|v| !v.is_empty())
}

/// The branch the instance was meant for: the one whose failures do not include a discriminating
/// mismatch (its `kind` tag or the instance's type). If several qualify, the one with fewest errors.
fn pick_branch<'c>(
    context: &'c [Vec<ValidationError<'static>>],
    at: &str,
) -> Option<&'c Vec<ValidationError<'static>>> {
    context
        .iter()
        .filter(|branch| !branch.iter().any(|e| discriminates(e, at)))
        .min_by_key(|branch| branch.len())
}

fn discriminates(e: &ValidationError<'_>, at: &str) -> bool {
    let p = e.instance_path().as_str();
    match e.kind() {
        ValidationErrorKind::Type { .. }
        | ValidationErrorKind::Constant { .. }
        | ValidationErrorKind::Enum { .. } => p == at || p == format!("{at}/kind"),
        ValidationErrorKind::Required { property } => p == at && property.as_str() == Some("kind"),
        _ => false,
    }
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
