//! The difference between two versions of a subject, for people reviewing a change: fields added,
//! removed and changed, plus the incompatibilities in both directions.

use super::compatibility::{self, Direction, Incompatibility, OpenObjects};
use super::fields::{Field, table};
use super::wording::Voice;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A field present in both versions whose description changed in a way that matters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Human lines such as `type: string → integer`, `required: false → true`.
    pub changes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemaDiff {
    pub subject: String,
    pub from: u32,
    pub to: u32,
    pub added: Vec<Field>,
    pub removed: Vec<Field>,
    pub changed: Vec<FieldChange>,
    /// What the newer version cannot read of the older one's data.
    pub backward: Vec<Incompatibility>,
    /// What the older version cannot read of the newer one's data.
    pub forward: Vec<Incompatibility>,
}

pub(super) fn diff(
    subject: &str,
    from: u32,
    a: &Value,
    to: u32,
    b: &Value,
    open: OpenObjects,
) -> SchemaDiff {
    let fa = table(a);
    let fb = table(b);
    let key = |f: &Field| (f.path.clone(), f.variant.clone());
    let added = fb
        .iter()
        .filter(|f| !fa.iter().any(|g| key(g) == key(f)))
        .cloned()
        .collect();
    let removed = fa
        .iter()
        .filter(|f| !fb.iter().any(|g| key(g) == key(f)))
        .cloned()
        .collect();
    let mut changed = Vec::new();
    for old in &fa {
        let Some(new) = fb.iter().find(|g| key(g) == key(old)) else {
            continue;
        };
        let mut changes = Vec::new();
        if old.kind != new.kind {
            changes.push(format!("type: {} → {}", old.kind, new.kind));
        }
        if old.required != new.required {
            changes.push(format!("required: {} → {}", old.required, new.required));
        }
        if old.format != new.format {
            changes.push(format!(
                "format: {} → {}",
                old.format.as_deref().unwrap_or("-"),
                new.format.as_deref().unwrap_or("-")
            ));
        }
        let ov: Vec<&Value> = old.values.iter().map(|(v, _)| v).collect();
        let nv: Vec<&Value> = new.values.iter().map(|(v, _)| v).collect();
        for v in ov.iter().filter(|v| !nv.contains(v)) {
            changes.push(format!("value removed: {v}"));
        }
        for v in nv.iter().filter(|v| !ov.contains(v)) {
            changes.push(format!("value added: {v}"));
        }
        if old.description != new.description {
            changes.push("description changed".into());
        }
        if !changes.is_empty() {
            changed.push(FieldChange {
                path: old.path.clone(),
                variant: old.variant.clone(),
                changes,
            });
        }
    }
    // Forward: `from` reads data written under `to`; backward: `to` reads `from`'s data. The
    // findings are worded from the newer version's side, whichever way round the two were asked.
    let (a_name, b_name) = (format!("version {from}"), format!("version {to}"));
    let voice = |b_reads: bool| match (b_reads, to > from) {
        (true, true) => Voice::newer_reads(&b_name, &a_name),
        (true, false) => Voice::older_reads(&a_name, &b_name),
        (false, true) => Voice::older_reads(&b_name, &a_name),
        (false, false) => Voice::newer_reads(&a_name, &b_name),
    };
    let tie = |direction: Direction| {
        move |f: compatibility::Finding| Incompatibility::found(f, direction, from)
    };
    SchemaDiff {
        subject: subject.to_string(),
        from,
        to,
        added,
        removed,
        changed,
        backward: compatibility::compare_in(b, a, open, &voice(true))
            .into_iter()
            .map(tie(Direction::Backward))
            .collect(),
        forward: compatibility::compare_in(a, b, open, &voice(false))
            .into_iter()
            .map(tie(Direction::Forward))
            .collect(),
    }
}
