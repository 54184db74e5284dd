//! The spec file format (see `docs/adapters.md`): what a province's form looks like and how each of
//! its fields maps to the canonical form. Files are data — a new province is added with files only —
//! and are compiled once into [`crate::engine::Field`]s, so no path or table is parsed per request.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use crate::check::Check;
use crate::engine::{Field, Kind};
use crate::error::SpecError;
use crate::pointer::Path;
use crate::problem::{CodeShape, Mask};
use crate::transform::{IntegerForm, Layout, Table, Transform, codes::TableSpec};

/// `adapters/regions/<region>/<matter>.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// 6-digit province code, e.g. `440000`.
    pub region: String,
    /// Canonical matter code, e.g. `medical-filing`.
    pub matter: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// `json` (default) or `xml`.
    #[serde(default)]
    pub format: Format,
    /// For `xml`: the root element and the charset written outbound.
    #[serde(default)]
    pub xml: Option<XmlSpec>,
    /// What to do with local fields the spec does not know: `warn` (default), `reject`, `ignore`.
    #[serde(default)]
    pub unknown_fields: UnknownFields,
    /// Code tables this spec names (besides the shared ones and `gb3304`, `gb3304-name`).
    #[serde(default)]
    pub tables: BTreeMap<String, TableSpec>,
    pub fields: Vec<FieldSpec>,
}

/// A fragment shared by a region's specs (`_person.json`): fields with relative paths.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    #[serde(default)]
    pub description: Option<String>,
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Json,
    Xml,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XmlSpec {
    /// The root element, e.g. `APPROVEDATAINFO`.
    pub root: String,
    /// `GBK`, `GB18030` or `UTF-8`: written outbound; inbound follows the declared charset.
    #[serde(default = "utf8")]
    pub charset: String,
}

fn utf8() -> String {
    "UTF-8".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownFields {
    #[default]
    Warn,
    Reject,
    Ignore,
}

/// One entry of `fields`. Which members are present decides the kind (see `docs/adapters.md`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Insert a fragment (`_person`) here, its paths below `local` and `canonical`.
    #[serde(default)]
    pub include: Option<String>,
    /// With `include`: text put before the first name of each local path of the fragment, for
    /// flat dialects (`QYR_` turns the fragment's `/XM` into `/QYR_XM`).
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub local: Option<String>,
    #[serde(default)]
    pub canonical: Option<String>,
    /// 中文 name of the local field, for messages.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub transforms: Vec<Value>,
    #[serde(default)]
    pub check: Option<String>,
    #[serde(default, rename = "const")]
    pub constant: Option<Value>,
    #[serde(default)]
    pub default: Option<Value>,
    /// One local field holding several canonical ones: `{"separator": "|", "canonical": [..]}`.
    #[serde(default)]
    pub split: Option<SplitSpec>,
    /// Surname and given name in two local fields ↔ one canonical name: `["/XING", "/MING"]`.
    #[serde(default)]
    /// A list, not a pair, so that a wrong count is refused with its own message rather than as
    /// a JSON syntax error ("trailing characters").
    pub name_parts: Option<Vec<String>>,
    #[serde(default)]
    pub list: Option<ListSpec>,
    /// A 1-based (or `index`-based) order number written for each list item (`SXH`).
    #[serde(default)]
    pub index: Option<u64>,
    /// How the value is masked in messages: `id-number`, `name`, `phone`, `other`, `none`.
    #[serde(default)]
    pub personal: Option<String>,
    /// Also give a simplified-character copy of this value for matching.
    #[serde(default, rename = "match")]
    pub matching: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SplitSpec {
    pub separator: String,
    pub canonical: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSpec {
    /// Items as parallel `separator`-joined strings (`"CLBH": "a;b"`, `"CLMC": "x;y"`) instead of
    /// an array of objects.
    #[serde(default)]
    pub joined: Option<String>,
    pub item: Vec<FieldSpec>,
}

/// What compiling needs from outside a spec file.
pub struct Context<'a> {
    pub file: &'a str,
    /// Tables by name (shared, standard and the spec's own).
    pub tables: &'a BTreeMap<String, Arc<Table>>,
    /// Fragments of the spec's region by name (`_person`).
    pub fragments: &'a BTreeMap<String, Fragment>,
}

/// Where field specs being compiled are written, for load errors: a field of a fragment is named
/// in the fragment's file by its path there, with the include that brought it in and its path in
/// the form (`310000/_person.json: field /XB (included by 310000/medical-filing.json at /SQRXX
/// as /SQRXX/XB)`); a list's items by their path below the list (`/CLXX/*/CLLX`).
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// The file the specs are written in: the spec, or a fragment (`310000/_person.json`).
    file: String,
    /// Their local paths' prefix as shown within that file: a list's items are `/CLXX/*`.
    shown: String,
    /// The same from the form's root, include prefixes applied (`/SQR`, `/SQR/CLXX/*`).
    full: String,
    /// Their canonical paths' prefix as shown within the file, and from the body's root.
    shown_canonical: String,
    full_canonical: String,
    /// The includes that brought the specs in, innermost first (`included by F at /SQR`).
    via: Vec<String>,
    /// A flat include's prefix (`QYR_`), put before the first name of the specs' local paths.
    name_prefix: Option<String>,
    /// Whether the specs are a list's items (or a fragment included there): only an item has an
    /// order number (`index`).
    in_list: bool,
}

impl Scope {
    /// The specs of the spec file `file` itself.
    pub(crate) fn spec(file: &str) -> Scope {
        Scope {
            file: file.to_string(),
            shown: String::new(),
            full: String::new(),
            shown_canonical: String::new(),
            full_canonical: String::new(),
            via: Vec::new(),
            name_prefix: None,
            in_list: false,
        }
    }

    /// A local path as the specs are compiled: with the flat include's prefix.
    fn local(&self, l: &str) -> String {
        match &self.name_prefix {
            Some(p) => prefixed(l, p),
            None => l.to_string(),
        }
    }

    /// How errors name the field: `local` (as written), else `canonical`, else its `label`.
    /// A path that names nothing (`"local": ""` at the top of the form) is passed over, so the
    /// error never starts `field : …`.
    fn blame(&self, local: Option<&str>, canonical: Option<&str>, label: Option<&str>) -> Blame {
        let local = local
            .map(|l| {
                (
                    format!("{}{l}", self.shown),
                    format!("{}{}", self.full, self.local(l)),
                )
            })
            .filter(|(here, _)| !here.is_empty());
        let canonical = canonical
            .map(|c| {
                (
                    format!("{}{c}", self.shown_canonical),
                    format!("{}{c}", self.full_canonical),
                )
            })
            .filter(|(here, _)| !here.is_empty());
        let (here, full) = match (local, canonical, label) {
            (Some(named), _, _) | (None, Some(named), _) => named,
            (None, None, Some(label)) => (format!("{label:?}"), format!("{label:?}")),
            (None, None, None) => ("(unnamed)".to_string(), "(unnamed)".to_string()),
        };
        let field = if self.via.is_empty() {
            here
        } else {
            let shown_full = if full.is_empty() { "the form" } else { &full };
            format!("{here} ({} as {shown_full})", self.via.join(", "))
        };
        Blame {
            file: self.file.clone(),
            field,
        }
    }
}

/// A spec field as load errors name it: its file and its name there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blame {
    pub(crate) file: String,
    pub(crate) field: String,
}

impl Blame {
    pub(crate) fn error(&self, message: impl Into<String>) -> SpecError {
        SpecError::Field {
            file: self.file.clone(),
            field: self.field.clone(),
            message: message.into(),
        }
    }
}

fn join(prefix: &str, path: &str) -> String {
    format!("{prefix}{path}")
}

/// `/XM` with prefix `QYR_` → `/QYR_XM` (only the first name: deeper ones stay as they are).
fn prefixed(path: &str, prefix: &str) -> String {
    match path.strip_prefix('/') {
        Some(rest) if !rest.is_empty() => format!("/{prefix}{rest}"),
        _ => path.to_string(),
    }
}

fn path(blame: &Blame, text: &str) -> Result<Path, SpecError> {
    Path::parse(text).ok_or_else(|| {
        blame.error(format!(
            "{text:?} is not a path like /a/b (JSON pointer: steps not empty, `~` only as ~0 or \
             ~1)"
        ))
    })
}

/// Compiles the field specs of `scope` (the spec file's, a fragment's, a list's items);
/// `local_prefix` / `canonical_prefix` come from an include.
pub(crate) fn compile_fields(
    cx: &Context<'_>,
    scope: &Scope,
    specs: &[FieldSpec],
    local_prefix: &str,
    canonical_prefix: &str,
    depth: usize,
) -> Result<Vec<Field>, SpecError> {
    if depth > 8 {
        return Err(SpecError::Spec {
            file: cx.file.to_string(),
            message: "includes and lists nest more than 8 deep (an include cycle?)".into(),
        });
    }
    let mut out = Vec::with_capacity(specs.len());
    for s in specs {
        if let Some(name) = &s.include {
            let fragment = cx.fragments.get(name).ok_or_else(|| {
                let region = cx.file.rsplit_once('/').map_or("", |(dir, _)| dir);
                let there = if cx.fragments.is_empty() {
                    "it has none".to_string()
                } else {
                    let names: Vec<&str> = cx.fragments.keys().map(String::as_str).collect();
                    format!("its fragments: {}", names.join(", "))
                };
                let from = if scope.via.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", scope.via.join(", "))
                };
                SpecError::Spec {
                    file: scope.file.clone(),
                    message: format!(
                        "include {name:?}{from}: no such fragment in {region}/ ({there}; a \
                         fragment is a file {region}/<name>.json, its name starting with _)"
                    ),
                }
            })?;
            let own_local = s
                .local
                .as_deref()
                .map(|l| scope.local(l))
                .unwrap_or_default();
            let own_canonical = s.canonical.as_deref().unwrap_or("");
            let lp = join(local_prefix, &own_local);
            let cp = join(canonical_prefix, own_canonical);
            let region = cx.file.rsplit_once('/').map_or("", |(dir, _)| dir);
            let at = match s.local.as_deref() {
                Some(l) if !l.is_empty() => format!(" at {}{l}", scope.shown),
                _ if !scope.shown.is_empty() => format!(" at {}", scope.shown),
                _ => String::new(),
            };
            let prefix = s
                .prefix
                .as_deref()
                .map(|p| format!(" with prefix {p:?}"))
                .unwrap_or_default();
            let mut via = vec![format!("included by {}{at}{prefix}", scope.file)];
            via.extend(scope.via.iter().cloned());
            let inner = Scope {
                file: format!("{region}/{name}.json"),
                shown: String::new(),
                full: format!("{}{own_local}", scope.full),
                shown_canonical: String::new(),
                full_canonical: format!("{}{own_canonical}", scope.full_canonical),
                via,
                name_prefix: s.prefix.clone(),
                in_list: scope.in_list,
            };
            out.extend(compile_fields(
                cx,
                &inner,
                &fragment.fields,
                &lp,
                &cp,
                depth + 1,
            )?);
            continue;
        }
        out.push(compile_field(
            cx,
            scope,
            s,
            local_prefix,
            canonical_prefix,
            depth,
        )?);
    }
    Ok(out)
}

fn compile_field(
    cx: &Context<'_>,
    scope: &Scope,
    s: &FieldSpec,
    lp: &str,
    cp: &str,
    depth: usize,
) -> Result<Field, SpecError> {
    let blame = scope.blame(
        s.local
            .as_deref()
            .or_else(|| {
                s.name_parts
                    .as_ref()
                    .and_then(|p| p.first().map(String::as_str))
            })
            .filter(|_| s.local.is_some() || s.canonical.is_none()),
        s.canonical.as_deref(),
        s.label.as_deref(),
    );
    // A surname and a given name: a third path would be silently dropped, or the name split
    // wrongly outbound.
    if let Some(parts) = s.name_parts.as_ref().filter(|p| p.len() != 2) {
        return Err(blame.error(format!(
            "name_parts takes exactly two local paths, the surname's and the given name's \
             ([\"/XING\", \"/MING\"]); it has {}",
            parts.len()
        )));
    }
    // The local paths as compiled (a flat include's prefix applied).
    let own_local = s.local.as_deref().map(|l| scope.local(l));
    let name_parts = s.name_parts.as_deref().and_then(|p| match p {
        [a, b] => Some((scope.local(a), scope.local(b))),
        _ => None,
    });
    // An inline code table's name, as before: the field's local path in its list or fragment.
    let who = own_local
        .clone()
        .or_else(|| s.canonical.clone())
        .or_else(|| name_parts.as_ref().map(|p| p.0.clone()))
        .unwrap_or_else(|| "(unnamed)".into());
    let local = own_local
        .as_deref()
        .map(|l| path(&blame, &join(lp, l)))
        .transpose()?;
    let canonical = s
        .canonical
        .as_deref()
        .map(|c| path(&blame, &join(cp, c)))
        .transpose()?;
    let mut transforms = Vec::new();
    for t in &s.transforms {
        transforms.push(compile_transform(cx, &blame, &who, t)?);
    }
    // A list or an integer is no text: a transform after one would refuse every form.
    if let Some(i) = transforms
        .iter()
        .position(|t| matches!(t, Transform::List(_) | Transform::Integer(_)))
        && i + 1 < transforms.len()
    {
        return Err(blame.error(format!(
            "transform {} must come last: it turns the text into {}, which the transforms \
                 after it cannot read (put text transforms such as trim before it)",
            s.transforms[i],
            if matches!(transforms[i], Transform::List(_)) {
                "a list"
            } else {
                "a number"
            }
        )));
    }
    let check = s
        .check
        .as_deref()
        .map(|c| {
            Check::parse(c)
                .ok_or_else(|| blame.error(format!("unknown check {c:?}; one of {}", Check::NAMES)))
        })
        .transpose()?;
    let mask = match &s.personal {
        Some(p) => Mask::parse(p)
            .ok_or_else(|| blame.error("personal must be id-number, name, phone, other or none"))?,
        // Read through code tables: shown as sent only when it could be one of their codes.
        None if transforms.iter().any(Transform::is_code) => Mask::Code(CodeShape::of(
            transforms
                .iter()
                .filter_map(Transform::table)
                .flat_map(|t| t.inbound_pairs().map(|(local, _)| local)),
        )),
        None if s.constant.is_some() => Mask::Public,
        None => canonical
            .as_ref()
            .map_or(Mask::Other, |c| Mask::for_canonical(c.as_str())),
    };
    // Members the field's kind has no use for would be accepted and then ignored, leaving the
    // author to believe they act: a list's values are its items', a constant is written and
    // compared as given, and only a list's item has an order number.
    let given = [
        ("transforms", !s.transforms.is_empty()),
        ("check", s.check.is_some()),
        ("default", s.default.is_some()),
    ];
    if s.list.is_some()
        && let Some((member, _)) = given.iter().find(|(_, on)| *on)
    {
        return Err(blame.error(format!(
            "{member} has no effect on a list field: put it on the item fields that hold the \
             values (\"list\": {{\"item\": [...]}})"
        )));
    }
    let is_const = s.constant.is_some()
        && s.list.is_none()
        && s.split.is_none()
        && s.name_parts.is_none()
        && s.index.is_none();
    if is_const && let Some((member, _)) = given.iter().find(|(_, on)| *on) {
        return Err(blame.error(format!(
            "{member} has no effect on a const: the constant is written and compared as given \
             (write it as the form holds it)"
        )));
    }
    if s.index.is_some() && !scope.in_list {
        return Err(blame.error(
            "index numbers the items of a list (SXH): it goes among a list's item fields \
             (\"list\": {\"item\": [...]}), not outside a list",
        ));
    }
    let kind = if let Some(list) = &s.list {
        let (Some(local), Some(canonical)) = (local.or_else(|| Path::parse(lp)), canonical) else {
            return Err(blame.error("a list needs local and canonical"));
        };
        if list.item.is_empty() {
            return Err(blame.error("a list needs item fields"));
        }
        // An empty separator joins nothing: the list would silently be read as records instead.
        if list.joined.as_deref() == Some("") {
            return Err(blame.error(
                "list.joined \"\" is no separator: give the text between the items (\";\"), or \
                 leave joined out for a list of records",
            ));
        }
        let shown_local = |l: &Path| {
            let l = l.to_string();
            l.strip_prefix(lp).map(str::to_string).unwrap_or(l)
        };
        let items = Scope {
            file: scope.file.clone(),
            shown: match (&s.local, &list.joined) {
                (Some(l), None) => format!("{}{l}/*", scope.shown),
                (Some(l), Some(_)) => format!("{}{l}", scope.shown),
                (None, None) => format!("{}/*", scope.shown),
                (None, Some(_)) => scope.shown.clone(),
            },
            full: match &list.joined {
                None => format!("{}{}/*", scope.full, shown_local(&local)),
                Some(_) => format!("{}{}", scope.full, shown_local(&local)),
            },
            shown_canonical: format!(
                "{}{}/*",
                scope.shown_canonical,
                s.canonical.as_deref().unwrap_or("")
            ),
            full_canonical: format!(
                "{}{}/*",
                scope.full_canonical,
                canonical.to_string().strip_prefix(cp).unwrap_or("")
            ),
            via: scope.via.clone(),
            name_prefix: None,
            in_list: true,
        };
        let item = compile_fields(cx, &items, &list.item, "", "", depth + 1)?;
        Kind::List {
            local,
            canonical,
            joined: list.joined.clone(),
            item,
        }
    } else if let Some(split) = &s.split {
        let local = local.ok_or_else(|| blame.error("split needs local"))?;
        if split.canonical.len() < 2 || split.separator.is_empty() {
            return Err(blame.error("split needs a separator and two or more canonical paths"));
        }
        let parts = split
            .canonical
            .iter()
            .map(|c| path(&blame, &join(cp, c)))
            .collect::<Result<Vec<_>, _>>()?;
        Kind::Split {
            local,
            separator: split.separator.clone(),
            parts,
        }
    } else if let Some((a, b)) = &name_parts {
        let canonical = canonical.ok_or_else(|| blame.error("name_parts needs canonical"))?;
        Kind::Name {
            surname: path(&blame, &join(lp, a))?,
            given: path(&blame, &join(lp, b))?,
            canonical,
        }
    } else if let Some(start) = s.index {
        let local = local.ok_or_else(|| blame.error("index needs local"))?;
        Kind::Index { local, start }
    } else if let Some(value) = &s.constant {
        match (local, canonical) {
            (Some(local), None) => Kind::LocalConst {
                local,
                value: value.clone(),
            },
            (None, Some(canonical)) => Kind::CanonicalConst {
                canonical,
                value: value.clone(),
            },
            _ => {
                return Err(blame.error(
                    "const goes with exactly one of local (written outbound, checked inbound) or canonical (set inbound)",
                ));
            }
        }
    } else {
        let (Some(local), Some(canonical)) = (local, canonical) else {
            return Err(blame.error(
                "a field needs local and canonical (or const, split, name_parts, list, index)",
            ));
        };
        // The whole form as one field's value would refuse every form.
        if local.is_root() || canonical.is_root() {
            return Err(blame.error(
                "a field's local and canonical paths name a member (\"/name\"), not the whole \
                 form (\"\")",
            ));
        }
        // A default is what the form is read as without the field: it goes through the same
        // transforms and check, so one they refuse is a mistake of the spec, said now, not
        // reported for every form that leaves the field out as if the form had sent it.
        if let Some(d) = &s.default {
            let mut v = d.clone();
            for t in &transforms {
                v = t.inbound(v).map_err(|e| {
                    blame.error(format!(
                        "default {d} does not pass the field's transforms: {} ({})",
                        e.message, e.rule
                    ))
                })?;
            }
            if let Some(c) = &check {
                v = c.normalise(v);
                if let Some(finding) = c.run(&v).filter(|f| !f.warning) {
                    return Err(blame.error(format!(
                        "default {d} fails the field's check: {} ({})",
                        finding.message, finding.rule
                    )));
                }
            }
        }
        Kind::Value {
            local,
            canonical,
            transforms,
            check,
            default: s.default.as_ref().map(crate::local::Local::owned),
        }
    };
    Ok(Field {
        kind,
        origin: (!scope.via.is_empty()).then_some(blame),
        label: s.label.clone(),
        required: s.required,
        mask,
        matching: s.matching,
    })
}

fn compile_transform(
    cx: &Context<'_>,
    blame: &Blame,
    who: &str,
    t: &Value,
) -> Result<Transform, SpecError> {
    let bad = |m: String| blame.error(m);
    match t {
        Value::String(name) => Ok(match name.as_str() {
            "trim" => Transform::Trim,
            "halfwidth" => Transform::Halfwidth,
            "upper" => Transform::Upper,
            "lower" => Transform::Lower,
            "id-number" => Transform::IdNumber,
            "division12" => Transform::Division12,
            "text" => Transform::Text,
            other => {
                return Err(bad(format!(
                    "unknown transform {other:?} (trim, halfwidth, upper, lower, id-number, division12, text, or an object: date, codes, integer, list)"
                )));
            }
        }),
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map
                .iter()
                .next()
                .ok_or_else(|| bad("empty transform".into()))?;
            match key.as_str() {
                "date" => {
                    let (local, canonical) =
                        match arg {
                            Value::String(l) => (l.as_str(), "yyyy-MM-dd"),
                            Value::Array(a) if a.len() == 2 => {
                                (a[0].as_str().unwrap_or(""), a[1].as_str().unwrap_or(""))
                            }
                            _ => return Err(bad(
                                "date takes \"layout\" or [\"local layout\", \"canonical layout\"]"
                                    .into(),
                            )),
                        };
                    let local = Layout::try_compile(local)
                        .map_err(|e| bad(format!("bad date layout {local:?}: {e}")))?;
                    let canonical = Layout::try_compile(canonical)
                        .map_err(|e| bad(format!("bad date layout {canonical:?}: {e}")))?;
                    // Both compile, yet would refuse every real date: said here, not per form.
                    for l in [&local, &canonical] {
                        if let Some(why) = l.not_a_date() {
                            return Err(bad(format!("bad date layout {:?}: {why}", l.as_str())));
                        }
                    }
                    if local.carries() != canonical.carries() {
                        return Err(bad(format!(
                            "date layouts {:?} and {:?} do not match: the local one carries {}, \
                             the canonical one {} (a value read in one cannot be written in the other)",
                            local.as_str(),
                            canonical.as_str(),
                            local.carries(),
                            canonical.carries()
                        )));
                    }
                    Ok(Transform::Date { local, canonical })
                }
                "codes" => match arg {
                    Value::String(name) => cx
                        .tables
                        .get(name)
                        .cloned()
                        .map(Transform::Codes)
                        .ok_or_else(|| bad(format!("no code table {name:?}"))),
                    Value::Object(_) => {
                        let spec: TableSpec = serde_json::from_value(arg.clone())
                            .map_err(|e| bad(format!("inline code table: {e}")))?;
                        spec.check()
                            .map_err(|m| bad(format!("inline code table: {m}")))?;
                        Ok(Transform::Codes(Arc::new(Table::compile(who, &spec))))
                    }
                    _ => Err(bad("codes takes a table name or an inline table".into())),
                },
                "integer" => match arg.as_str() {
                    Some("text") => Ok(Transform::Integer(IntegerForm::Text)),
                    Some("number") => Ok(Transform::Integer(IntegerForm::Number)),
                    _ => Err(bad(
                        "integer takes \"text\" or \"number\" (the local form)".into()
                    )),
                },
                "list" => match arg.as_str() {
                    Some(sep) if !sep.is_empty() => Ok(Transform::List(sep.to_string())),
                    _ => Err(bad("list takes a separator".into())),
                },
                other => Err(bad(format!("unknown transform {other:?}"))),
            }
        }
        _ => Err(bad(format!(
            "a transform is a name or a one-key object, not {t}"
        ))),
    }
}
