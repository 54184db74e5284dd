//! What the registry's pages call a field or an event where the published documents say it
//! otherwise. The documents under `schemas/json/` are frozen (other provinces validate against
//! them byte for byte), so a label they lack, a title their description repeats, or a sentence
//! written for another subject is put right here, as the page is rendered, never in them.

use tongban_schemas::registry::{Field, Registry, VersionRef, fields};

use crate::http::schemas::registry;

/// Chinese labels of the fields whose documents name them only in English (the property's own
/// name, or an English description), by the end of their path.
const FIELD_LABELS: &[(&str, &str)] = &[
    ("/applicant/kind", "申请人类型"),
    ("/party/kind", "主体类型"),
    ("/idempotency_key", "幂等键"),
    ("/request_digest", "请求摘要"),
];

/// The sentence the shared material reference (`blocks/material.rs`) carries into every subject
/// that holds one, written for the matters: in an event's document it names the wrong subject.
const MATTERS_FIRST_VERSION: &str = "(matter schemas version 1)";

/// Whether `s` holds a Chinese character (CJK unified ideographs).
fn has_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// The field's title as the page shows it: its own when Chinese, else the label
/// [`FIELD_LABELS`] gives it beside the document's name (`申请人类型 kind`).
pub fn title(f: &Field) -> String {
    if has_chinese(&f.title) {
        return f.title.clone();
    }
    match FIELD_LABELS.iter().find(|(end, _)| f.path.ends_with(end)) {
        Some((_, label)) if f.title.chars().count() <= 40 => format!("{label} {}", f.title),
        Some((_, label)) => label.to_string(),
        None => f.title.clone(),
    }
}

/// The field's description as the page shows it under its title, in `subject`: without the
/// title it begins with and the punctuation after it ([`fields::PHRASE_ENDS`]: `材料格式: the
/// file's format…` under 材料格式 is `the file's format…`),
/// and with the version a field was added in named for this subject (nothing named when the
/// subject had it from its first version). `None` when nothing is left to say.
pub fn description(subject: &str, f: &Field) -> Option<String> {
    description_in(registry(), subject, f)
}

/// [`description`], with the versions of `subject` in `reg`.
fn description_in(reg: &Registry, subject: &str, f: &Field) -> Option<String> {
    let d = f.description.as_deref()?;
    let rest = match d.strip_prefix(f.title.as_str()) {
        Some(rest) => {
            rest.trim_start_matches(|c: char| fields::PHRASE_ENDS.contains(&c) || c.is_whitespace())
        }
        None => d,
    };
    if rest.trim().is_empty() || rest == f.title {
        return None;
    }
    // Most descriptions do not hold the sentence: the versions' field tables are built only for
    // those that do.
    if !rest.contains(MATTERS_FIRST_VERSION) {
        return Some(rest.to_string());
    }
    Some(match first_version_with(reg, subject, &f.path) {
        // In the subject's first version, nothing was written before the field was there.
        Some(1) => rest
            .replace(&format!(" {MATTERS_FIRST_VERSION}"), "")
            .replace(MATTERS_FIRST_VERSION, ""),
        Some(first) => rest.replace(
            MATTERS_FIRST_VERSION,
            &format!("(versions of {subject} before {first})"),
        ),
        None => rest.to_string(),
    })
}

/// The first version of `subject` whose field table has `path`.
fn first_version_with(reg: &Registry, subject: &str, path: &str) -> Option<u32> {
    reg.versions(subject)?.into_iter().find(|v| {
        reg.fields(subject, VersionRef::Number(*v))
            .is_ok_and(|fields| fields.iter().any(|f| f.path == path))
    })
}

/// An event's name, from the one table of them (`events::title_zh`, as the evidence page's
/// timeline names it), and what its document's description says beside its own name for it:
/// `出证 (办结): the result document …` is shown as 出具结果（证照或结果文书） and `the result document …`.
pub fn event(subject: &str, description: &str) -> Option<(&'static str, String)> {
    let name = tongban_schemas::events::title_zh(subject)?;
    let d = description.trim();
    let rest = match d.split_once([':', '：']) {
        Some((own, rest)) if !own.chars().any(|c| c.is_ascii_alphabetic()) => rest.trim(),
        // `撤回 (before the decision only).`: the Chinese words before the English are the name.
        _ => d.trim_start_matches(|c: char| !c.is_ascii()).trim_start(),
    };
    Some((name, rest.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Given a subject whose first version already has a field carrying the materials' sentence
    /// "(matter schemas version 1)", and a field its second version adds with it, when their
    /// descriptions are shown, then the first names no version (it said "before 1", a version
    /// that does not exist) and the second names the subject's version 2.
    #[test]
    fn a_field_of_the_first_version_names_no_version_before_it() {
        let sentence = format!("Absent before it was recorded {MATTERS_FIRST_VERSION}.");
        let property =
            json!({"type": "string", "description": format!("格式: the format. {sentence}")});
        let doc = |props: serde_json::Value| {
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": props,
                "additionalProperties": false,
            })
        };
        let mut reg = Registry::new();
        let subject = "application.noted";
        reg.register(subject, doc(json!({"format": property})))
            .expect("version 1");
        reg.register(subject, doc(json!({"format": property, "size": property})))
            .expect("version 2");
        let fields = reg.fields(subject, VersionRef::Latest).expect("the fields");
        let shown = |path: &str| {
            let f = fields.iter().find(|f| f.path == path).expect(path);
            description_in(&reg, subject, f)
        };
        assert_eq!(
            shown("/format").as_deref(),
            Some("the format. Absent before it was recorded.")
        );
        assert_eq!(
            shown("/size").as_deref(),
            Some(
                "the format. Absent before it was recorded (versions of application.noted before 2)."
            )
        );
    }
}
