//! The local side of a spec held together, once, when the spec is loaded.
//!
//! Field by field a spec can compile and still write its local form wrongly as a whole: two
//! fields on one local member (`/YWXX/CBD` mapped from `/form/insured_region` and again from
//! `/form/end_date`), or one field on a member inside another's (`/YWXX` and `/YWXX/CBD`, a value
//! beside a local `const` on the same path). Inbound each reads its value and nothing seems
//! wrong; outbound (canonical → local) the later one overwrites the earlier, and the province
//! receives a corrupted form without any error. Here such a spec stops the load instead, naming
//! both fields, as [`crate::canonical`] does for two fields writing one canonical member.
//!
//! What counts:
//! - the local paths of value fields, local constants, splits, both parts of a name and list
//!   items' order numbers, with include prefixes applied (a fragment's fields are the including
//!   spec's);
//! - a list of records writes its array whole at its own path; its items are a scope of their
//!   own (each item is a separate object), held against each other only;
//! - the columns of a joined list lie beside the other fields (`/FJMC` in the form itself, below
//!   the list's path), so they are held against them;
//! - XML attributes (`/ZJ/@LX`) and an element's text beside children (`/ZJ/#text`) are members
//!   of the element's record like its children: `/ZJ/@LX` and `/ZJ/ZJHM` do not overlap, but a
//!   value written at `/ZJ` itself would overwrite both.

use crate::engine::{Field, Kind};
use crate::error::SpecError;
use crate::pointer::Path;

/// One local member a spec field writes outbound.
struct Claim<'a> {
    /// From the scope's root (the form, or one list item).
    tokens: Vec<&'a str>,
    /// The fields that write into one object tree: the form (0), or one list's items.
    scope: usize,
    /// The member as errors name it: from the form's root, `*` for list items (`/CLXX/*/CLLX`).
    shown: String,
    /// The spec field as load errors name it (its local path as shown; a name by its surname).
    field: String,
    /// What the field is, for the other field's error: `→ /form/insured_region`, `const "10"`.
    what: String,
    /// The spec field itself (a name claims two members).
    of: &'a Field,
}

fn shown(prefix: &str, p: &Path) -> String {
    format!("{prefix}{p}")
}

/// The local claims of `fields`, in spec order (a list before its items).
fn collect<'a>(
    fields: &'a [Field],
    base: &[&'a str],
    prefix: &str,
    scope: usize,
    scopes: &mut usize,
    out: &mut Vec<Claim<'a>>,
) {
    let tokens = |p: &'a Path| -> Vec<&'a str> {
        let mut t = base.to_vec();
        t.extend(p.tokens().iter().map(String::as_str));
        t
    };
    let claim = |f: &'a Field, p: &'a Path, field: String, what: String| Claim {
        of: f,
        tokens: tokens(p),
        scope,
        shown: shown(prefix, p),
        field,
        what,
    };
    for f in fields {
        match &f.kind {
            Kind::Value {
                local, canonical, ..
            } => out.push(claim(
                f,
                local,
                shown(prefix, local),
                format!("→ {canonical}"),
            )),
            Kind::LocalConst { local, value } => out.push(claim(
                f,
                local,
                shown(prefix, local),
                format!("const {value}"),
            )),
            Kind::Split { local, parts, .. } => {
                let parts: Vec<String> = parts.iter().map(Path::to_string).collect();
                out.push(claim(
                    f,
                    local,
                    shown(prefix, local),
                    format!("split → {}", parts.join(", ")),
                ));
            }
            Kind::Name {
                surname,
                given,
                canonical,
            } => {
                let field = shown(prefix, surname);
                out.push(claim(
                    f,
                    surname,
                    field.clone(),
                    format!("surname → {canonical}"),
                ));
                out.push(claim(f, given, field, format!("given name → {canonical}")));
            }
            Kind::Index { local, .. } => {
                out.push(claim(f, local, shown(prefix, local), "order number".into()))
            }
            Kind::CanonicalConst { .. } => {}
            Kind::List {
                local,
                canonical,
                joined: None,
                item,
            } => {
                let field = shown(prefix, local);
                out.push(claim(
                    f,
                    local,
                    field.clone(),
                    format!("list → {canonical}"),
                ));
                *scopes += 1;
                let inner = *scopes;
                collect(item, &[], &format!("{field}/*"), inner, scopes, out);
            }
            // The columns lie in this scope, below the list's path.
            Kind::List {
                local,
                joined: Some(_),
                item,
                ..
            } => collect(
                item,
                &tokens(local),
                &shown(prefix, local),
                scope,
                scopes,
                out,
            ),
        }
    }
}

/// Refuses the compiled `fields` of the spec `file` when two of them write one local member, or
/// one writes inside a member another writes whole (see the module's documentation).
pub(crate) fn check(file: &str, fields: &[Field]) -> Result<(), SpecError> {
    let mut claims = Vec::new();
    collect(fields, &[], "", 0, &mut 0, &mut claims);
    for (i, w) in claims.iter().enumerate() {
        let Some(e) = claims[..i].iter().find(|e| {
            e.scope == w.scope
                && (e.tokens.starts_with(&w.tokens) || w.tokens.starts_with(&e.tokens))
        }) else {
            continue;
        };
        let message = if e.tokens == w.tokens && std::ptr::eq(e.of, w.of) {
            format!(
                "writes local {} twice ({} and {}): map each local member from one field",
                w.shown, e.what, w.what
            )
        } else if e.tokens == w.tokens {
            format!(
                "local {} ({}) is written by field {} ({}) too: outbound (canonical → local) the \
                 later would overwrite the earlier; map each local member from one field",
                w.shown, w.what, e.field, e.what
            )
        } else if w.tokens.starts_with(&e.tokens) {
            format!(
                "local {} ({}) is inside {}, which field {} ({}) writes whole: outbound \
                 (canonical → local) one would overwrite the other",
                w.shown, w.what, e.shown, e.field, e.what
            )
        } else {
            format!(
                "local {} ({}) holds {}, which field {} ({}) writes: outbound (canonical → local) \
                 one would overwrite the other",
                w.shown, w.what, e.shown, e.field, e.what
            )
        };
        return Err(match &w.of.origin {
            Some(origin) => origin.error(message),
            None => SpecError::Field {
                file: file.to_string(),
                field: w.field.clone(),
                message,
            },
        });
    }
    Ok(())
}
