//! The canonical side of a spec held against its matter's schema, once, when the spec is loaded.
//!
//! Field by field a spec can compile and still be broken as a whole: a typo in a canonical path
//! (`/form/residnce/division`), a member the schema requires that no field writes, two fields
//! writing one member, a constant or a code table's value the schema refuses. Each of these would
//! otherwise surface on every form of the province, as a 422 that reads as if the province's data
//! were wrong (`required /form/residence/division`), so the province debugs its data rather than
//! the spec. Here they stop the load instead, with the spec file and field named, like an unknown
//! transform does:
//! - every canonical path a field writes is in the matter's schema (list items below the list),
//!   and a list writes what the schema has as an array;
//! - a value field's last transform gives the type the schema has there (an array from
//!   `{"list": …}`, an integer from `{"integer": …}`, text from the others);
//! - no two fields write the same member, or one inside a member another writes whole (the later
//!   would overwrite the earlier, and problems would name the wrong field);
//! - a canonical `const` is a value the schema accepts there, and so is what a date field's
//!   canonical layout writes, and each canonical value a field's code table gives (per field,
//!   against that field's member: a table many specs share is refused only where it is mapped
//!   onto a member that refuses one of its values, and no other matter takes; see
//!   [`Schema::codes`]), and a value field's `default` as its transforms and check give it;
//! - every member the schema requires is written, as far as that is certain (see
//!   [`Schema::member`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use tongban_schemas::registry::nodes;
use tongban_schemas::validation::CompiledSchema;
use tongban_schemas::{Matter, escape_token, matters};

use crate::check::Check;
use crate::engine::{Field, Kind};
use crate::error::SpecError;
use crate::local::Local;
use crate::transform::Transform;
use crate::transform::date::Parts;

/// Deeper than any matter's schema: a bound on following `$ref`s and unions, not a limit a real
/// schema meets.
const MAX_DEPTH: usize = 32;

/// A step of a canonical path: a member, or any item of a list (written `*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step<'a> {
    Member(&'a str),
    Item,
}

/// `steps` as a pointer, `*` for list items (`/materials/*/sha256`).
fn text(steps: &[Step<'_>]) -> String {
    let mut out = String::new();
    for s in steps {
        out.push('/');
        match s {
            Step::Member(m) => out.push_str(&escape_token(m)),
            Step::Item => out.push('*'),
        }
    }
    out
}

/// One canonical member a spec field writes.
struct Write<'a> {
    /// From the body's root; `Item` for the items of the lists above.
    path: Vec<Step<'a>>,
    /// The fields that write into one object tree: the top level (0), or one list's items.
    scope: usize,
    /// The spec field as load errors name it: its local path (a list item's below the list's,
    /// `/attachments/*/fileName`), or for a canonical constant its canonical path.
    field: String,
    /// Where a fragment's field is written (its file and name there), for its own errors.
    origin: Option<&'a crate::spec::Blame>,
    what: What<'a>,
}

enum What<'a> {
    /// The member's whole value: a value field (its transforms and check, which say what it can
    /// write, and its default), or what the adapter fills in itself (none).
    Value(&'a [Transform], Option<Check>, Option<&'a Local<'static>>),
    /// Text, whatever the form holds: a split's part, or the name `name_parts` joins (what gives
    /// it, for load errors).
    Text(&'static str),
    /// A canonical constant.
    Const(&'a Value),
    /// An array, whose items the list's own fields write.
    List,
}

/// The canonical writes of `fields`, in spec order (a list before its items).
fn collect<'a>(
    fields: &'a [Field],
    base: &[Step<'a>],
    local: &str,
    scope: usize,
    scopes: &mut usize,
    out: &mut Vec<Write<'a>>,
) {
    let at = |p: &'a crate::pointer::Path| -> Vec<Step<'a>> {
        let mut path = base.to_vec();
        path.extend(p.tokens().iter().map(|t| Step::Member(t.as_str())));
        path
    };
    // A joined list at the form's root has no local path of its own: named by its canonical one.
    let named = |l: &crate::pointer::Path, path: &[Step<'_>]| match format!("{local}{l}") {
        n if n.is_empty() => text(path),
        n => n,
    };
    for f in fields {
        match &f.kind {
            Kind::Value {
                local: l,
                canonical,
                transforms,
                check,
                default,
            } => {
                let path = at(canonical);
                out.push(Write {
                    field: named(l, &path),
                    path,
                    scope,
                    origin: f.origin.as_ref(),
                    what: What::Value(transforms, *check, default.as_ref()),
                });
            }
            Kind::CanonicalConst { canonical, value } => {
                let path = at(canonical);
                out.push(Write {
                    field: text(&path),
                    path,
                    scope,
                    origin: f.origin.as_ref(),
                    what: What::Const(value),
                });
            }
            Kind::Split {
                local: l, parts, ..
            } => {
                for p in parts {
                    let path = at(p);
                    out.push(Write {
                        field: named(l, &path),
                        path,
                        scope,
                        origin: f.origin.as_ref(),
                        what: What::Text("a part of the split"),
                    });
                }
            }
            Kind::Name {
                surname, canonical, ..
            } => out.push(Write {
                path: at(canonical),
                scope,
                origin: f.origin.as_ref(),
                field: format!("{local}{surname}"),
                what: What::Text("the name joined from name_parts"),
            }),
            Kind::List {
                local: l,
                canonical,
                joined,
                item,
            } => {
                let path = at(canonical);
                let mut items = path.clone();
                items.push(Step::Item);
                out.push(Write {
                    field: named(l, &path),
                    path,
                    scope,
                    origin: f.origin.as_ref(),
                    what: What::List,
                });
                *scopes += 1;
                let inner = *scopes;
                let item_local = match joined {
                    None => format!("{local}{l}/*"),
                    Some(_) => format!("{local}{l}"),
                };
                collect(item, &items, &item_local, inner, scopes, out);
            }
            Kind::LocalConst { .. } | Kind::Index { .. } => {}
        }
    }
}

/// Holds the compiled `fields` of the spec `file` against `matter`'s canonical schema (see the
/// module's documentation); the first mistake found is the error.
pub(crate) fn check(
    file: &str,
    matter: &'static Matter,
    fields: &[Field],
) -> Result<(), SpecError> {
    let mut writes = Vec::new();
    collect(fields, &[], "", 0, &mut 0, &mut writes);
    let field_error = |w: &Write<'_>, message: String| match w.origin {
        Some(origin) => origin.error(message),
        None => SpecError::Field {
            file: file.to_string(),
            field: w.field.clone(),
            message,
        },
    };
    // A union (the applicant: person or organisation) whose `kind` a constant fixes has only
    // that branch's members.
    let kinds: BTreeMap<String, &str> = writes
        .iter()
        .filter_map(|w| match (w.path.split_last(), &w.what) {
            (Some((Step::Member("kind"), parent)), What::Const(Value::String(k))) => {
                Some((text(parent), k.as_str()))
            }
            _ => None,
        })
        .collect();
    let schema = Schema {
        root: matter.schema(),
        matter: matter.code,
        version: matter.version,
        kinds,
    };
    for (i, w) in writes.iter().enumerate() {
        let path = text(&w.path);
        if w.path == [Step::Member("matter")] {
            return Err(field_error(
                w,
                "canonical /matter is set from the spec's \"matter\"; no field writes it".into(),
            ));
        }
        let nodes = schema.nodes_at(&w.path).map_err(|m| field_error(w, m))?;
        match &w.what {
            What::List if !nodes.iter().any(|n| n.get("items").is_some()) => {
                return Err(field_error(
                    w,
                    format!(
                        "canonical {path} is not a list in the schema of {}: a list field writes an array",
                        schema.matter
                    ),
                ));
            }
            What::Const(value) => {
                schema.accepts(&nodes, value).map_err(|why| {
                    field_error(
                        w,
                        format!(
                            "const {value} is not valid at {path} in the canonical schema of {}: {why}",
                            schema.matter
                        ),
                    )
                })?;
            }
            What::Text(source) => {
                if let Some(why) = unfit(source, TEXT, "", &nodes, &path, schema.matter) {
                    return Err(field_error(w, why));
                }
            }
            What::Value(transforms, check, default) => {
                if let Some(why) = misfit(transforms, &nodes, &path, schema.matter) {
                    return Err(field_error(w, why));
                }
                // The canonical member's own check (a division code's `gb2260`): the spec's
                // check there is the same one, or every form would be refused by the wrong one.
                let own = nodes
                    .iter()
                    .find_map(|n| n.get("x-tongban-check").and_then(Value::as_str))
                    .filter(|c| ["gb2260", "gb32100", "date"].contains(c));
                if let (Some(own), Some(given)) = (own, check)
                    && given.schema_name() != Some(own)
                {
                    return Err(field_error(
                        w,
                        format!(
                            "check {} does not fit canonical {path}, which the canonical schema of {} checks as {own}: use \"check\": \"{own}\" (or none)",
                            given.name(),
                            schema.matter
                        ),
                    ));
                }
                schema
                    .codes(&w.path, &nodes, transforms, *check)
                    .map_err(|m| field_error(w, m))?;
                // A default is what every form without the field is read as: one the schema
                // refuses (`"江苏"` for `/origin`) would refuse each such form as if the province
                // had sent it. Transforms and check have passed it at compile time already.
                if let Some(d) = default
                    && let Some(written) = transforms
                        .iter()
                        .try_fold(d.to_value(), |v, t| t.inbound(v).ok())
                {
                    let written = match check {
                        Some(c) => c.normalise(written),
                        None => written,
                    };
                    schema.accepts(&nodes, &written).map_err(|why| {
                        let given = d.to_value();
                        let became = if written == given {
                            String::new()
                        } else {
                            format!(" (through the field's transforms: {written})")
                        };
                        field_error(
                            w,
                            format!(
                                "default {given}{became} is not valid at {path} in the canonical schema of {}: {why}; every form without the field would be refused",
                                schema.matter
                            ),
                        )
                    })?;
                }
                // Any real date written in the canonical layout: a layout the schema refuses
                // (`yyyyMMdd` for a `yyyy-MM-dd` date) refuses every value.
                let sample = Parts {
                    year: Some(2024),
                    month: Some(3),
                    day: Some(1),
                    hour: Some(8),
                    minute: Some(30),
                    second: Some(0),
                };
                if let Some(Transform::Date {
                    canonical: layout, ..
                }) = transforms.last()
                    && let Some(written) = layout.format(&sample)
                {
                    schema
                        .accepts(&nodes, &Value::String(written.clone()))
                        .map_err(|why| {
                            field_error(
                                w,
                                format!(
                                    "the canonical date layout {:?} writes {written:?}, which the canonical schema of {} refuses at {path}: {why}",
                                    layout.as_str(),
                                    schema.matter
                                ),
                            )
                        })?;
                }
            }
            _ => {}
        }
        if let Some(e) = writes[..i].iter().find(|e| {
            e.scope == w.scope && (e.path.starts_with(&w.path) || w.path.starts_with(&e.path))
        }) {
            let earlier = text(&e.path);
            let message = if e.path == w.path && e.field == w.field {
                format!("writes canonical {path} twice")
            } else if e.path == w.path {
                format!(
                    "canonical {path} is written by field {} too: the later field would overwrite the earlier (map each canonical member from one field)",
                    e.field
                )
            } else if w.path.starts_with(&e.path) {
                format!(
                    "canonical {path} is inside {earlier}, which field {} writes whole",
                    e.field
                )
            } else {
                format!(
                    "canonical {path} would overwrite {earlier}, which field {} writes",
                    e.field
                )
            };
            return Err(field_error(w, message));
        }
    }
    // What the adapter fills in itself: `matter` always, `origin` (the spec's region) unless a
    // field writes it.
    for member in ["matter", "origin"] {
        writes.push(Write {
            path: vec![Step::Member(member)],
            scope: 0,
            field: String::new(),
            origin: None,
            what: What::Value(&[], None, None),
        });
    }
    let mut missing = BTreeSet::new();
    let mut body = Vec::new();
    schema.alternatives(schema.root, "", 0, &mut body);
    schema.objects(&body, &mut Vec::new(), &writes, None, 0, &mut missing);
    let it = |n: usize| if n == 1 { "it" } else { "them" };
    let top: Vec<&str> = missing
        .iter()
        .filter(|(list, _)| list.is_none())
        .map(|(_, p)| p.as_str())
        .collect();
    if !top.is_empty() {
        return Err(SpecError::Spec {
            file: file.to_string(),
            message: format!(
                "the canonical schema of {} requires {}, but no field maps {} and no const sets {}: every form would be refused",
                schema.matter,
                top.join(", "),
                it(top.len()),
                it(top.len())
            ),
        });
    }
    if let Some((Some(list), _)) = missing.first() {
        let items: Vec<&str> = missing
            .iter()
            .filter(|(l, _)| l == &Some(*list))
            .map(|(_, p)| p.as_str())
            .collect();
        let w = &writes[*list];
        return Err(field_error(
            w,
            format!(
                "the canonical schema of {} requires {} of each item of the list {}, but no item field maps {} and no const sets {}: every form with an item would be refused",
                schema.matter,
                items.join(", "),
                text(&w.path),
                it(items.len()),
                it(items.len())
            ),
        ));
    }
    Ok(())
}

/// The JSON type of `v` as a schema names it.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_u64() || n.is_i64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The JSON types a value meeting one of `nodes` may have: each node's `type`, or the types of
/// its `const` or `enum` values; `None` when a node says nothing of its type (anything goes).
fn types(nodes: &[&Value]) -> Option<BTreeSet<&'static str>> {
    const NAMES: [&str; 7] = [
        "null", "boolean", "integer", "number", "string", "array", "object",
    ];
    let mut out = BTreeSet::new();
    for n in nodes {
        if let Some(t) = n.get("type") {
            let named: Vec<&str> = match t {
                Value::String(one) => vec![one.as_str()],
                Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
                _ => return None,
            };
            for name in named {
                out.insert(*NAMES.iter().find(|x| **x == name)?);
            }
        } else if let Some(c) = n.get("const") {
            out.insert(json_type(c));
        } else if let Some(e) = n.get("enum").and_then(Value::as_array) {
            out.extend(e.iter().map(json_type));
        } else {
            return None;
        }
    }
    Some(out)
}

/// Why the value a field's last transform gives cannot be what the schema has at `path` (the
/// member `nodes`), if it cannot: `{"list": ";"}` gives an array, `{"integer": …}` an integer,
/// the other transforms text. Every form would otherwise be refused at that member, as if the
/// province's data were wrong (`应为列表，收到文本`). A field with no transform passes the local
/// value on as it came, and a code table gives its own values (held against the schema one by
/// one, [`Schema::codes`]): neither is judged here.
fn misfit(transforms: &[Transform], nodes: &[&Value], path: &str, matter: &str) -> Option<String> {
    let last = transforms.last()?;
    let gives = match last {
        Transform::Codes(_) => return None,
        Transform::List(_) => ("an array (a list of texts)", &["array"][..]),
        Transform::Integer(_) => ("an integer", &["integer", "number"][..]),
        _ => TEXT,
    };
    let needs = types(nodes)?;
    let hint = if needs.contains("array") {
        " (a list from one local text ends its transforms with {\"list\": \"<separator>\"})"
    } else if needs.contains("integer") || needs.contains("number") {
        " (a number from local digits ends its transforms with {\"integer\": \"text\"} or {\"integer\": \"number\"})"
    } else if needs.contains("string") {
        " (leave the list or integer transform out: the canonical member is one text)"
    } else {
        ""
    };
    let source = format!("the last transform {}", last.spec_text());
    unfit(&source, gives, hint, nodes, path, matter)
}

/// What a transform, a split's part or a joined name gives, and the schema types that take it.
type Gives = (&'static str, &'static [&'static str]);

/// Text: what every transform but a list, an integer or a code table gives, and what a split's
/// parts and a joined name are.
const TEXT: Gives = ("text", &["string"]);

/// Why `gives`, from `source`, cannot be what the schema has at `path` (the member `nodes`), if
/// it cannot; `hint` says how a spec gets the right type.
fn unfit(
    source: &str,
    (gives, fits): Gives,
    hint: &str,
    nodes: &[&Value],
    path: &str,
    matter: &str,
) -> Option<String> {
    let types = types(nodes)?;
    if fits.iter().any(|t| types.contains(t)) {
        return None;
    }
    let needs: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
    let needs = match needs.as_slice() {
        [] => "null".to_string(),
        many => many.join(" or "),
    };
    Some(format!(
        "{source} gives {gives}, but canonical {path} is of type {needs} in the schema of \
         {matter}: every form would be refused at {path}{hint}"
    ))
}

/// A matter's schema seen from a spec.
struct Schema<'a> {
    root: &'a Value,
    matter: &'static str,
    /// The matter's current version, named where a path is missing: a spec written for an
    /// earlier version fails on a renamed field, and its author needs to know where to look.
    version: u32,
    /// A union's path (`/applicant`) → the `kind` a canonical constant fixes for it.
    kinds: BTreeMap<String, &'a str>,
}

impl<'a> Schema<'a> {
    fn resolve(&self, s: &'a Value) -> &'a Value {
        nodes::resolve(self.root, s)
    }

    /// The schemas a value at `at` may meet: `s` with `$ref`s followed and `oneOf`/`anyOf`
    /// opened into their branches (an optional member's `null` among them), a union narrowed to
    /// the branch whose `kind` a constant fixes.
    fn alternatives(&self, s: &'a Value, at: &str, depth: usize, out: &mut Vec<&'a Value>) {
        let s = self.resolve(s);
        let Some(branches) = s
            .get("oneOf")
            .or_else(|| s.get("anyOf"))
            .and_then(Value::as_array)
            .filter(|_| depth < MAX_DEPTH)
        else {
            out.push(s);
            return;
        };
        let branches: Vec<&Value> = branches.iter().map(|b| self.resolve(b)).collect();
        let chosen: Vec<&Value> = match self.kinds.get(at) {
            Some(kind) => branches
                .iter()
                .copied()
                .filter(|b| {
                    b.pointer("/properties/kind/const").and_then(Value::as_str) == Some(kind)
                })
                .collect(),
            None => Vec::new(),
        };
        // A constant no branch has is reported as such; the path is looked up in every branch.
        for b in if chosen.is_empty() { branches } else { chosen } {
            self.alternatives(b, at, depth + 1, out);
        }
    }

    /// The schemas at `path`, or why it is not in the schema.
    fn nodes_at(&self, path: &[Step<'_>]) -> Result<Vec<&'a Value>, String> {
        let mut cur = Vec::new();
        self.alternatives(self.root, "", 0, &mut cur);
        for (i, step) in path.iter().enumerate() {
            let at = text(&path[..=i]);
            let mut next = Vec::new();
            for n in &cur {
                let child = match step {
                    Step::Member(m) => n.get("properties").and_then(|p| p.get(*m)),
                    Step::Item => n.get("items"),
                };
                if let Some(c) = child {
                    self.alternatives(c, &at, 0, &mut next);
                }
            }
            if next.is_empty() {
                return Err(self.not_in_schema(path, i, &cur));
            }
            cur = next;
        }
        Ok(cur)
    }

    fn not_in_schema(&self, path: &[Step<'_>], i: usize, parents: &[&Value]) -> String {
        let parent = if i == 0 {
            "the body".to_string()
        } else {
            text(&path[..i])
        };
        let members: BTreeSet<&str> = parents
            .iter()
            .filter_map(|n| n.get("properties").and_then(Value::as_object))
            .flat_map(|p| p.keys().map(String::as_str))
            .collect();
        let step = match path[i] {
            Step::Member(m) => format!("no member {m:?}"),
            Step::Item => "no items".into(),
        };
        let has = if members.is_empty() {
            " (it has no members)".to_string()
        } else {
            let list: Vec<&str> = members.into_iter().collect();
            format!(" (its members: {})", list.join(", "))
        };
        let narrowed: Vec<String> = (0..=i)
            .filter_map(|j| {
                let p = text(&path[..j]);
                self.kinds.get(&p).map(|k| format!(" for {p}/kind {k:?}"))
            })
            .collect();
        let changes = match self.version {
            0 | 1 => String::new(),
            v => format!(
                " (the schema is version {v}; what changed since version {}: /registry/matter.{}?from={}&to={v})",
                v - 1,
                self.matter,
                v - 1
            ),
        };
        format!(
            "canonical {} is not in the canonical schema of {}{}: {parent} has {step}{has}{changes}",
            text(path),
            self.matter,
            narrowed.concat()
        )
    }

    /// Whether one of `nodes` accepts `v`; if none does, why (the values allowed, or the
    /// validator's finding).
    fn accepts(&self, nodes: &[&Value], v: &Value) -> Result<(), String> {
        let mut allowed: Vec<&Value> = Vec::new();
        let mut finding = None;
        for n in nodes {
            // A code (`{"const": "person"}` or an `enum`) is compared; anything else is checked
            // by the schemas crate's validator, with the document's definitions beside it.
            if let Some(c) = n.get("const") {
                if c == v {
                    return Ok(());
                }
                allowed.push(c);
                continue;
            }
            if let Some(e) = n.get("enum").and_then(Value::as_array) {
                if e.contains(v) {
                    return Ok(());
                }
                allowed.extend(e);
                continue;
            }
            let mut doc = (*n).clone();
            if let (Some(obj), Some(defs)) = (doc.as_object_mut(), self.root.get("$defs")) {
                obj.insert("$defs".into(), defs.clone());
            }
            match CompiledSchema::compile(&doc) {
                Ok(c) => {
                    let report = c.check(v, "");
                    if report.is_ok() {
                        return Ok(());
                    }
                    finding = finding.or(report.violations.into_iter().next().map(|x| x.message));
                }
                // A schema that does not compile is the schemas crate's bug, reported on every
                // check of a body; it is not the spec's mistake.
                Err(_) => return Ok(()),
            }
        }
        Err(match finding {
            Some(f) if allowed.is_empty() => f,
            _ => {
                let list: Vec<String> = allowed.iter().map(|a| a.to_string()).collect();
                format!("one of {}", list.join(", "))
            }
        })
    }

    /// Whether every code of each code table among a value field's `transforms` writes a value
    /// `nodes` (the member at `path`) accept: one that it refuses would refuse every form with
    /// that code, as if the province's data were wrong. The table's value goes through the
    /// transforms after the table and the field's check, as a form's would. A value another
    /// matter's schema accepts at the same member is left to each form: it is that matter's
    /// code, which this one does not take (a 办理模式 it does not offer, from a table a region's
    /// matters share), and a form with it is refused saying so in the region's own codes.
    fn codes(
        &self,
        path: &[Step<'_>],
        nodes: &[&'a Value],
        transforms: &[Transform],
        check: Option<Check>,
    ) -> Result<(), String> {
        for (i, t) in transforms.iter().enumerate() {
            let Transform::Codes(table) = t else {
                continue;
            };
            for (local, canonical) in table.inbound_pairs() {
                // A value a later transform cannot take is refused by it on every form, with the
                // table's code named; nothing is certain here.
                let Some(written) = transforms[i + 1..]
                    .iter()
                    .try_fold(canonical.clone(), |v, t| t.inbound(v).ok())
                else {
                    continue;
                };
                let written = match check {
                    Some(c) => c.normalise(written),
                    None => written,
                };
                let Err(why) = self.accepts(nodes, &written) else {
                    continue;
                };
                if self.accepted_by_another_matter(path, &written) {
                    continue;
                }
                return Err(format!(
                    "code table {} maps {local:?} to {canonical}, which the canonical schema of {} refuses at {}: {why}; every form with that code would be refused",
                    table.name,
                    self.matter,
                    text(path)
                ));
            }
        }
        Ok(())
    }

    /// Whether the schema of a matter other than this one accepts `v` at `path`.
    fn accepted_by_another_matter(&self, path: &[Step<'_>], v: &Value) -> bool {
        matters::all()
            .iter()
            .filter(|m| m.code != self.matter)
            .any(|m| {
                let other = Schema {
                    root: m.schema(),
                    matter: m.code,
                    version: m.version,
                    kinds: self.kinds.clone(),
                };
                other
                    .nodes_at(path)
                    .is_ok_and(|nodes| other.accepts(&nodes, v).is_ok())
            })
    }

    /// Collects into `out` the members an object `node` at `at` requires that no write gives:
    /// `(the list whose items lack it, path)`.
    fn object(
        &self,
        node: &'a Value,
        at: &mut Vec<Step<'a>>,
        writes: &[Write<'_>],
        list: Option<usize>,
        depth: usize,
        out: &mut BTreeSet<(Option<usize>, String)>,
    ) {
        let Some(props) = node.get("properties").and_then(Value::as_object) else {
            return;
        };
        if depth > MAX_DEPTH {
            return;
        }
        let required = nodes::required(node);
        for (name, schema) in props {
            at.push(Step::Member(name));
            let req = required.contains(&name.as_str());
            self.member(schema, at, req, writes, list, depth + 1, out);
            at.pop();
        }
    }

    /// One member of an object that is present on every form (the body; a required member of
    /// it; an object some field writes into; an item of a list some field writes).
    ///
    /// Only what is certain is reported: a required member nothing writes, or writes below. An
    /// optional object counts as present once a field writes into it (it is then there whenever
    /// that field has a value, and lacks the member on every such form); one nothing writes into
    /// is not looked into. A union whose branch is not fixed by a constant (`kind` mapped from a
    /// local code) reports only what every branch lacks. A value or constant written at or above
    /// a member writes it whole: what it holds is the province's data, not the spec's.
    #[allow(clippy::too_many_arguments)]
    fn member(
        &self,
        schema: &'a Value,
        at: &mut Vec<Step<'a>>,
        required: bool,
        writes: &[Write<'_>],
        list: Option<usize>,
        depth: usize,
        out: &mut BTreeSet<(Option<usize>, String)>,
    ) {
        if writes
            .iter()
            .any(|w| !matches!(w.what, What::List) && at.starts_with(&w.path))
        {
            return;
        }
        let below = writes.iter().any(|w| w.path.starts_with(at));
        if !below {
            if required {
                out.insert((list, text(at)));
            }
            return;
        }
        let here = text(at);
        let mut alts = Vec::new();
        self.alternatives(schema, &here, 0, &mut alts);
        self.objects(&alts, at, writes, list, depth, out);
        if let Some(l) = writes
            .iter()
            .position(|w| matches!(w.what, What::List) && w.path == *at)
        {
            at.push(Step::Item);
            let item_at = text(at);
            let mut items = Vec::new();
            for a in &alts {
                if let Some(i) = a.get("items") {
                    self.alternatives(i, &item_at, 0, &mut items);
                }
            }
            self.objects(&items, at, writes, Some(l), depth, out);
            at.pop();
        }
    }

    /// [`Schema::object`] over the alternatives of one member: what every object branch lacks.
    fn objects(
        &self,
        alts: &[&'a Value],
        at: &mut Vec<Step<'a>>,
        writes: &[Write<'_>],
        list: Option<usize>,
        depth: usize,
        out: &mut BTreeSet<(Option<usize>, String)>,
    ) {
        let mut common: Option<BTreeSet<(Option<usize>, String)>> = None;
        for o in alts.iter().filter(|a| a.get("properties").is_some()) {
            let mut lacks = BTreeSet::new();
            self.object(o, at, writes, list, depth, &mut lacks);
            common = Some(match common {
                None => lacks,
                Some(c) => c.intersection(&lacks).cloned().collect(),
            });
        }
        out.extend(common.unwrap_or_default());
    }
}
