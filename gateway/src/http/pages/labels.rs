//! What the registry's pages call a field or an event where the published documents say it
//! otherwise. The documents under `schemas/json/` are frozen (other provinces validate against
//! them byte for byte), so a label they lack, a title their description repeats, or a sentence
//! written for another subject is put right here, as the page is rendered, never in them.

use tongban_schemas::registry::{Field, VersionRef};

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
/// title it begins with (`材料格式: the file's format…` under 材料格式 is `the file's format…`),
/// and with the version a field was added in named for this subject. `None` when nothing is
/// left to say.
pub fn description(subject: &str, f: &Field) -> Option<String> {
    let d = f.description.as_deref()?;
    let rest = match d.strip_prefix(f.title.as_str()) {
        Some(rest) => rest.trim_start_matches([':', '：', ',', '，', ' ', '\n']),
        None => d,
    };
    if rest.trim().is_empty() || rest == f.title {
        return None;
    }
    Some(match first_version_with(subject, &f.path) {
        Some(first) if rest.contains(MATTERS_FIRST_VERSION) => rest.replace(
            MATTERS_FIRST_VERSION,
            &format!("(versions of {subject} before {first})"),
        ),
        _ => rest.to_string(),
    })
}

/// The first version of `subject` whose field table has `path`.
fn first_version_with(subject: &str, path: &str) -> Option<u32> {
    let reg = registry();
    reg.versions(subject)?.into_iter().find(|v| {
        reg.fields(subject, VersionRef::Number(*v))
            .is_ok_and(|fields| fields.iter().any(|f| f.path == path))
    })
}

/// An event's name, from the one table of them (`events::title_zh`, as the evidence page's
/// timeline names it), and what its document's description says beside its own name for it:
/// `出证 (办结): the result document …` is shown as 出具结果（证照） and `the result document …`.
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
