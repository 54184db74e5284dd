//! The mapping engine: one compiled [`Adapter`] per (region, matter) translates a local form to
//! the canonical submission body (inbound) and a canonical body back to the local form (outbound).
//!
//! Inbound collects every problem before answering — transform failures, identifier checks and
//! then the canonical schema's own findings, each traced back to the local field that produced it —
//! so a province fixes its form in one round trip, in its own field names.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::{Map, Value};
use tongban_schemas::matters::CheckedSubmission;
use tongban_schemas::{Matter, covers};

use crate::check::Check;
use crate::hanzi;
use crate::local::Local;
use crate::pointer::Path;
use crate::problem::{LocalProblem, Mask};
use crate::spec::{Format, UnknownFields, XmlSpec};
use crate::transform::{self, Transform, text};

/// The words of an `unknown-field` warning under `warn`: the field is in no event. The gateway
/// says otherwise for a signed request, whose body is kept as evidence, and keeps what follows
/// these words (the field a name most likely slipped from).
pub const UNKNOWN_FIELD_IGNORED: &str =
    "本地区规格中没有此字段，已忽略 (field not in this region's spec)";

/// More items than this in one local list is refused: the limit a canonical body's lists are
/// held to (`max-items`), so a list is refused through an adapter exactly when it would be on
/// the canonical route, and before the adapter translates every item of a longer one.
pub const MAX_ITEMS: usize = tongban_schemas::limits::MAX_ITEMS;
/// At most this many unknown local fields are reported, so a garbage form gets a bounded answer.
const MAX_UNKNOWN: usize = 50;
/// At most this many exceeded limits are reported, as the gateway does for a JSON body.
const MAX_LIMITS: usize = 20;
/// At most this many problems are reported for one form, the last of them saying how many more
/// there were: a form of a megabyte can hold a hundred thousand wrong values.
pub const MAX_PROBLEMS: usize = tongban_schemas::limits::MAX_PROBLEMS;

/// The message of every "required" problem.
const REQUIRED: &str = "缺少必填字段 (required field is missing)";

/// How an unknown field's hint names the field it was near: `SFDZZM (是否电子证明)`.
fn named(name: &str, label: Option<&str>) -> String {
    match label {
        Some(label) => format!("{name} ({label})"),
        None => name.to_string(),
    }
}

/// What an unknown local field most likely is, found in the spec's shape ([`Known::meant`]).
enum Meant {
    /// A slip from `name`, a field under the same parent
    /// ([`tongban_schemas::spelling::near`]): `SFDZDZM` for `SFDZZM`. An optional field misspelt
    /// is otherwise silently absent (`SFDZZM` absent is 否), and a required one reported missing
    /// with nothing tying it to the unknown name beside it.
    Slip { name: String, said: String },
    /// A field's very name, sent under the wrong parent (`<ZJHM>` at the root, not inside
    /// `<SQRXX>`): `places` are where the spec has it, a list's items as `*`. Hinting "did you
    /// mean ZJHM?" would only repeat what the caller wrote.
    Misplaced { places: Vec<String> },
}

/// A compiled spec field.
#[derive(Debug, Clone)]
pub struct Field {
    pub(crate) kind: Kind,
    /// For a field a fragment brought in: the fragment's file and the field's name there, which
    /// load errors give (the including spec has no such path).
    pub(crate) origin: Option<crate::spec::Blame>,
    pub(crate) label: Option<String>,
    pub(crate) required: bool,
    pub(crate) mask: Mask,
    pub(crate) matching: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    /// local ↔ canonical through transforms.
    Value {
        local: Path,
        canonical: Path,
        transforms: Vec<Transform>,
        check: Option<Check>,
        default: Option<Local<'static>>,
    },
    /// Written outbound; inbound, a different value is refused (e.g. the province's 事项编码).
    LocalConst { local: Path, value: Value },
    /// Set inbound (e.g. `/applicant/kind` = `person`); nothing written outbound, where a body
    /// with another value is refused (`const-outbound`).
    CanonicalConst { canonical: Path, value: Value },
    /// One local text ↔ several canonical texts (`"440106|天河路 385 号"`).
    Split {
        local: Path,
        separator: String,
        parts: Vec<Path>,
    },
    /// Surname + given name ↔ one canonical name.
    Name {
        surname: Path,
        given: Path,
        canonical: Path,
    },
    /// A list of records (materials, family members, investors).
    List {
        local: Path,
        canonical: Path,
        joined: Option<String>,
        item: Vec<Field>,
    },
    /// The order number of a list item (`SXH`), written outbound, ignored inbound.
    Index { local: Path, start: u64 },
}

/// The pointers at which a spec's shape has a member of each name ([`Known::places`]).
type Places = std::collections::HashMap<String, Vec<String>>;

/// The local fields a spec knows, in spec order: for unknown-field reports and XML element order.
#[derive(Debug, Clone, Default)]
pub struct Known {
    children: Vec<(String, Known)>,
    /// `children` by name (indices), for the unknown-field scan's merge with a record's members.
    by_name: Vec<usize>,
    leaf: bool,
    item: Option<Box<Known>>,
    /// This node's number among the nodes reached through `children` from the tree's root: where
    /// [`Known::resolve`] puts the value found at this path.
    id: usize,
    /// The 中文 name of the field at this path (its spec's `label`), for hints.
    label: Option<String>,
}

impl Known {
    fn build(fields: &[Field]) -> Known {
        let mut k = Known::default();
        k.add(fields);
        k.index(&mut 0);
        k
    }

    fn index(&mut self, next: &mut usize) {
        self.id = *next;
        *next += 1;
        let mut order: Vec<usize> = (0..self.children.len()).collect();
        order.sort_by(|&a, &b| self.children[a].0.cmp(&self.children[b].0));
        self.by_name = order;
        for (_, c) in &mut self.children {
            c.index(next);
        }
    }

    /// The child named `name`, for members visited in name order: `cursor` walks `by_name` along
    /// with them, so a whole record is matched in one merge instead of a search per member.
    fn child_named(&self, name: &str, cursor: &mut usize) -> Option<&Known> {
        while let Some(&i) = self.by_name.get(*cursor) {
            let (child_name, child) = &self.children[i];
            match child_name.as_str().cmp(name) {
                std::cmp::Ordering::Less => *cursor += 1,
                std::cmp::Ordering::Equal => {
                    *cursor += 1;
                    return Some(child);
                }
                std::cmp::Ordering::Greater => return None,
            }
        }
        None
    }

    /// How many nodes [`Known::index`] numbered.
    fn count(&self) -> usize {
        1 + self.children.iter().map(|(_, c)| c.count()).sum::<usize>()
    }

    /// The number of the node at `path`.
    fn id_of(&self, path: &Path) -> Option<usize> {
        let mut cur = self;
        for t in path.tokens() {
            cur = cur.child(t)?;
        }
        Some(cur.id)
    }

    /// Walks a local form once, in step with the spec's shape (both sorted by name): puts the
    /// value found at every known path into `found` (by node number), so that fields read their
    /// values without searching, and — when `report` — collects the unknown fields exactly as
    /// [`Known::unknown`] does.
    fn resolve<'v, 'l>(
        &self,
        v: &'v Local<'l>,
        at: Option<&At<'_>>,
        found: &mut [Option<&'v Local<'l>>],
        out: &mut Vec<String>,
        report: bool,
    ) {
        if let Some(slot) = found.get_mut(self.id) {
            *slot = Some(v);
        }
        let report = report && !self.leaf && out.len() < MAX_UNKNOWN;
        let report_members = if self.item.is_some() {
            // A list: its items are reported on their own shape, and have no numbers here.
            if report {
                self.unknown(v, at, out);
            }
            false
        } else {
            report
        };
        let Local::Record(members) = v else {
            return;
        };
        if self.children.is_empty() && !report_members {
            return;
        }
        let mut cursor = 0;
        for (k, x) in members {
            match self.child_named(k, &mut cursor) {
                Some(c) => {
                    let here = At {
                        parent: at,
                        step: Step::Name(k),
                    };
                    c.resolve(x, Some(&here), found, out, report_members);
                }
                None if report_members && out.len() < MAX_UNKNOWN => {
                    let mut pointer = String::new();
                    At::write(at, &mut pointer);
                    Step::Name(k).write(&mut pointer);
                    out.push(pointer);
                }
                None => {}
            }
        }
    }

    fn add(&mut self, fields: &[Field]) {
        for f in fields {
            match &f.kind {
                Kind::Value { local, .. }
                | Kind::LocalConst { local, .. }
                | Kind::Split { local, .. }
                | Kind::Index { local, .. } => self.leaf(local, f),
                Kind::Name { surname, given, .. } => {
                    self.leaf(surname, f);
                    self.leaf(given, f);
                }
                Kind::CanonicalConst { .. } => {}
                Kind::List {
                    local,
                    joined: None,
                    item,
                    ..
                } => {
                    let node = self.node(local);
                    node.item = Some(Box::new(Known::build(item)));
                    node.label.clone_from(&f.label);
                }
                Kind::List {
                    local,
                    joined: Some(_),
                    item,
                    ..
                } => {
                    let node = self.node(local);
                    node.add(item);
                    node.label.clone_from(&f.label);
                }
            }
        }
    }

    fn leaf(&mut self, path: &Path, f: &Field) {
        let node = self.node(path);
        node.leaf = true;
        node.label.clone_from(&f.label);
    }

    /// The node of the spec's shape an unknown field's parent `pointer` (as the unknown-field
    /// scan writes it: a list's items by number) leads to.
    fn at_pointer(&self, pointer: &str) -> Option<&Known> {
        let mut cur = self;
        for t in pointer.split('/').skip(1) {
            cur = match &cur.item {
                Some(item) if t.parse::<usize>().is_ok() => item,
                _ => cur.child(&t.replace("~1", "/").replace("~0", "~"))?,
            };
        }
        Some(cur)
    }

    /// Every member name of the spec's shape below this node, with each pointer at which it
    /// stands (a list's items as `*`), in spec order: built once per spec ([`Adapter::places`]),
    /// where each unknown field walked the whole shape again for its own name.
    fn places(&self) -> Places {
        let mut out = Places::new();
        self.places_below(&mut String::new(), &mut out);
        out
    }

    fn places_below(&self, at: &mut String, out: &mut Places) {
        if let Some(item) = &self.item {
            let len = at.len();
            at.push_str("/*");
            item.places_below(at, out);
            at.truncate(len);
        }
        for (k, c) in &self.children {
            let len = at.len();
            Step::Name(k).write(at);
            out.entry(k.clone()).or_default().push(at.clone());
            c.places_below(at, out);
            at.truncate(len);
        }
    }

    /// What the unknown field at `pointer` most likely is: the field it misspells among its
    /// parent's (only there: a name near a field elsewhere is no slip, and the same name in two
    /// places, `mobile` of the applicant and of the legal representative, is told apart by its
    /// parent), else, when it is a field's very name, where that field belongs (`places`: the
    /// spec's members by name, [`Known::places`]).
    fn meant(&self, pointer: &str, places: &Places) -> Option<Meant> {
        let (up, given) = pointer.rsplit_once('/')?;
        let given = given.replace("~1", "/").replace("~0", "~");
        let parent = self.at_pointer(up)?;
        if let Some(places) = places.get(&given) {
            return Some(Meant::Misplaced {
                places: places.clone(),
            });
        }
        let name = tongban_schemas::spelling::near(
            &given,
            parent.children.iter().map(|(k, _)| k.as_str()),
        )?;
        let label = parent.child(name).and_then(|c| c.label.as_deref());
        Some(Meant::Slip {
            name: name.to_string(),
            said: named(name, label),
        })
    }

    fn node(&mut self, path: &Path) -> &mut Known {
        let mut cur = self;
        for t in path.tokens() {
            let i = match cur.children.iter().position(|(k, _)| k == t) {
                Some(i) => i,
                None => {
                    cur.children.push((t.clone(), Known::default()));
                    cur.children.len() - 1
                }
            };
            cur = &mut cur.children[i].1;
        }
        cur
    }

    /// The child named `name`.
    pub fn child(&self, name: &str) -> Option<&Known> {
        self.children
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, c)| c)
    }

    /// Where `name` comes in spec order (unknown names after all known ones).
    pub fn rank(&self, name: &str) -> usize {
        self.children
            .iter()
            .position(|(k, _)| k == name)
            .unwrap_or(usize::MAX)
    }

    /// The item shape, for a list node.
    pub fn item(&self) -> Option<&Known> {
        self.item.as_deref()
    }

    /// Collects the local fields `v` has that the spec does not know, as pointers. Where the scan
    /// is (`at`) is a chain of steps on the stack, only written out for an unknown field, so a
    /// clean form allocates nothing here.
    fn unknown(&self, v: &Local<'_>, at: Option<&At<'_>>, out: &mut Vec<String>) {
        if self.leaf || out.len() >= MAX_UNKNOWN {
            return;
        }
        if let Some(item) = &self.item {
            match v {
                Local::List(items) => {
                    for (i, x) in items.iter().enumerate() {
                        let here = At {
                            parent: at,
                            step: Step::Index(i),
                        };
                        item.unknown(x, Some(&here), out);
                    }
                }
                // XML: one element where a list may repeat it is item 0, as the list reads it
                // (`/FJLB/FJ/0/YS`, like the known fields' problems).
                Local::Record(_) => {
                    let here = At {
                        parent: at,
                        step: Step::Index(0),
                    };
                    item.unknown(v, Some(&here), out);
                }
                _ => {}
            }
            return;
        }
        if let Local::Record(members) = v {
            // Both sides are sorted by name: one merge instead of a search per member.
            let mut cursor = 0;
            for (k, x) in members {
                match self.child_named(k, &mut cursor) {
                    Some(c) => {
                        let here = At {
                            parent: at,
                            step: Step::Name(k),
                        };
                        c.unknown(x, Some(&here), out);
                    }
                    None if out.len() < MAX_UNKNOWN => {
                        let mut pointer = String::new();
                        At::write(at, &mut pointer);
                        Step::Name(k).write(&mut pointer);
                        out.push(pointer);
                    }
                    None => {}
                }
            }
        }
    }
}

/// A place in a local form during the unknown-field scan: the steps from the root, innermost last.
struct At<'s> {
    parent: Option<&'s At<'s>>,
    step: Step<'s>,
}

enum Step<'s> {
    Name(&'s str),
    Index(usize),
}

impl At<'_> {
    /// The JSON pointer of `at` (`""` for the root).
    fn write(at: Option<&At<'_>>, out: &mut String) {
        if let Some(a) = at {
            At::write(a.parent, out);
            a.step.write(out);
        }
    }
}

impl Step<'_> {
    fn write(&self, out: &mut String) {
        out.push('/');
        match self {
            Step::Name(k) if k.contains(['~', '/']) => {
                out.push_str(&k.replace('~', "~0").replace('/', "~1"));
            }
            Step::Name(k) => out.push_str(k),
            Step::Index(i) => out.push_str(&i.to_string()),
        }
    }
}

/// From a canonical path (list indices as `*`) back to the local field it came from.
#[derive(Debug, Clone)]
struct Mapping {
    canonical: Vec<String>,
    local: String,
    label: Option<String>,
    mask: Mask,
    /// The separator of the joined list the field is in (its items say `第 n 项`).
    joined: Option<String>,
    /// The canonical value is the local one transformed (a value field): a finding shows the
    /// local value, as the province sent it. Otherwise (a name's parts, a split) the canonical.
    sent: bool,
    /// A value field's transforms, to say the canonical values a finding allows in the
    /// province's own codes.
    transforms: Vec<Transform>,
}

fn mapping(
    cp: &[String],
    lp: &str,
    joined: Option<&str>,
    canonical: &Path,
    local: &Path,
    f: &Field,
) -> Mapping {
    let mut c = cp.to_vec();
    c.extend(canonical.tokens().iter().cloned());
    Mapping {
        canonical: c,
        local: local.under(lp),
        label: f.label.clone(),
        mask: f.mask.clone(),
        joined: joined.map(str::to_string),
        sent: matches!(f.kind, Kind::Value { .. }),
        transforms: match &f.kind {
            Kind::Value { transforms, .. } => transforms.clone(),
            _ => Vec::new(),
        },
    }
}

fn mappings(
    fields: &[Field],
    cp: &[String],
    lp: &str,
    joined: Option<&str>,
    out: &mut Vec<Mapping>,
) {
    for f in fields {
        match &f.kind {
            Kind::Value {
                local, canonical, ..
            } => out.push(mapping(cp, lp, joined, canonical, local, f)),
            Kind::Name {
                surname, canonical, ..
            } => out.push(mapping(cp, lp, joined, canonical, surname, f)),
            Kind::Split { local, parts, .. } => {
                for p in parts {
                    out.push(mapping(cp, lp, joined, p, local, f));
                }
            }
            Kind::List {
                local,
                canonical,
                joined: j,
                item,
            } => {
                out.push(mapping(cp, lp, joined, canonical, local, f));
                let mut c = cp.to_vec();
                c.extend(canonical.tokens().iter().cloned());
                c.push("*".into());
                let inner_lp = match j {
                    None => format!("{}/*", local.under(lp)),
                    Some(_) => local.under(lp),
                };
                mappings(item, &c, &inner_lp, j.as_deref().or(joined), out);
            }
            Kind::LocalConst { .. } | Kind::CanonicalConst { .. } | Kind::Index { .. } => {}
        }
    }
}

/// One row of an adapter's field table: which local field maps to which canonical path, for a
/// province that writes its form (or reads another's) without the spec file at hand.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldRow {
    /// The local pointer; `*` stands for any item of a list (`/CLXX/CL/*/CLMC`). The columns of
    /// a joined list are the joined texts themselves (`/FJMC`).
    pub local: String,
    /// The canonical pointer, `*` for any item (`/materials/*/name`); empty for a local constant
    /// and a list item's order number, which have none.
    pub canonical: String,
    pub label: Option<String>,
    pub required: bool,
    /// `value`, `const` (a local constant), `canonical-const`, `split`, `surname`, `given-name`,
    /// `list`, `joined-list` or `index`.
    pub kind: &'static str,
    /// The fixed value of a constant.
    pub value: Option<Value>,
    /// A field read through a code table: each local code with the canonical value it gives,
    /// in the table's order (aliases included), so another province can read the codes this one
    /// sends without the spec file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codes: Option<Vec<CodeRow>>,
    /// What is done to the value on its way in, in order, in an integrator's terms
    /// ([`Transform::described`]: a date's layout, a list's separator, a code table, trimming),
    /// and what an absent value is taken as: an integrator learnt these only from a refusal.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transforms: Vec<String>,
}

/// One code of a field's table ([`FieldRow::codes`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CodeRow {
    pub local: String,
    pub canonical: Value,
}

fn field_rows(fields: &[Field], lp: &str, cp: &str, out: &mut Vec<FieldRow>) {
    for f in fields {
        let mut row =
            |local: String, canonical: String, kind: &'static str, value: Option<Value>| {
                out.push(FieldRow {
                    local,
                    canonical,
                    label: f.label.clone(),
                    required: f.required,
                    kind,
                    value,
                    codes: None,
                    transforms: Vec::new(),
                })
            };
        match &f.kind {
            Kind::Value {
                local,
                canonical,
                transforms,
                default,
                ..
            } => {
                row(local.under(lp), canonical.under(cp), "value", None);
                if let Some(last) = out.last_mut() {
                    last.transforms = transforms.iter().map(Transform::described).collect();
                    if let Some(default) = default {
                        last.transforms.push(format!(
                            "absent, null or blank: taken as {}",
                            default.to_value()
                        ));
                    }
                }
                let table = transforms.iter().find_map(|t| match t {
                    Transform::Codes(table) => Some(table),
                    _ => None,
                });
                if let (Some(table), Some(last)) = (table, out.last_mut()) {
                    last.codes = Some(
                        table
                            .inbound_pairs()
                            .map(|(local, canonical)| CodeRow {
                                local: local.to_string(),
                                canonical: canonical.clone(),
                            })
                            .collect(),
                    );
                }
            }
            Kind::LocalConst { local, value } => {
                row(local.under(lp), String::new(), "const", Some(value.clone()))
            }
            Kind::CanonicalConst { canonical, value } => row(
                String::new(),
                canonical.under(cp),
                "canonical-const",
                Some(value.clone()),
            ),
            Kind::Split {
                local,
                separator,
                parts,
            } => {
                for p in parts {
                    row(local.under(lp), p.under(cp), "split", None);
                }
                let joined = format!("parts joined by {separator}");
                for split in out.iter_mut().rev().take(parts.len()) {
                    split.transforms = vec![joined.clone()];
                }
            }
            Kind::Name {
                surname,
                given,
                canonical,
            } => {
                row(surname.under(lp), canonical.under(cp), "surname", None);
                row(given.under(lp), canonical.under(cp), "given-name", None);
                // Only the surname is required: a given name may be missing or empty (the
                // surname alone is the name; a name joined by a 间隔号 goes out whole in it).
                if let Some(given) = out.last_mut() {
                    given.required = false;
                }
            }
            Kind::Index { local, .. } => row(local.under(lp), String::new(), "index", None),
            Kind::List {
                local,
                canonical,
                joined,
                item,
            } => {
                let kind = if joined.is_some() {
                    "joined-list"
                } else {
                    "list"
                };
                row(local.under(lp), canonical.under(cp), kind, None);
                if let (Some(separator), Some(last)) = (joined, out.last_mut()) {
                    last.transforms = vec![format!("items joined by {separator}")];
                }
                let inner_lp = match joined {
                    None => format!("{}/*", local.under(lp)),
                    Some(_) => local.under(lp),
                };
                field_rows(item, &inner_lp, &format!("{}/*", canonical.under(cp)), out);
            }
        }
    }
}

/// [`Adapter::unmapped`] below `path` (its tokens, list indices as `*`).
fn unmapped_in(
    v: &Value,
    path: &mut Vec<String>,
    templates: &[Vec<String>],
    out: &mut Vec<String>,
) {
    let covered = |path: &[String]| {
        templates
            .iter()
            .any(|t| t.len() <= path.len() && t.iter().zip(path).all(|(a, b)| a == b))
    };
    if covered(path) {
        return;
    }
    match v {
        Value::Null => {}
        Value::Object(m) => {
            for (k, x) in m {
                path.push(k.clone());
                unmapped_in(x, path, templates, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            path.push("*".into());
            for x in items {
                unmapped_in(x, path, templates, out);
            }
            path.pop();
        }
        _ => {
            let text: String = path.iter().map(|t| format!("/{t}")).collect();
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
}

/// A successful inbound translation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Translation {
    /// The canonical submission body, checked in full against the matter's schema (the gateway
    /// takes it as it is, without checking it again).
    pub canonical: CheckedSubmission,
    /// Doubts that do not reject the form (a failing credit-code check character, unknown fields).
    pub warnings: Vec<LocalProblem>,
    /// Simplified-character copies of fields marked `match`, by canonical path, for matching only;
    /// never part of the canonical record.
    pub matching: BTreeMap<String, String>,
}

/// A refused form: every problem at once.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejection {
    pub problems: Vec<LocalProblem>,
    pub warnings: Vec<LocalProblem>,
    /// Problems found but not listed: the last of `problems` (`too-many-problems`) says how many.
    #[serde(skip)]
    pub unlisted: usize,
    /// The canonical body the form was translated into (as sent: a 15-digit ID number the checks
    /// upgraded stays as it was), when the translation was whole and only the checks of the
    /// canonical body refused it: what the gateway recognises a retried
    /// submission by (an earlier sending under the same Idempotency-Key, taken under other
    /// rules). Never shown to the caller.
    #[serde(skip)]
    pub translated: Option<Value>,
}

impl Rejection {
    pub fn one(problem: LocalProblem) -> Rejection {
        Rejection {
            problems: vec![problem],
            warnings: Vec::new(),
            unlisted: 0,
            translated: None,
        }
    }

    /// How many problems the form has: those listed and those past the list's bound (the
    /// `too-many-problems` entry that says so is not one of them).
    pub fn total(&self) -> usize {
        if self.unlisted > 0 {
            self.problems.len() - 1 + self.unlisted
        } else {
            self.problems.len()
        }
    }
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

/// A form-level problem not tied to one field (syntax, encoding, wrong root).
pub fn form_problem(rule: &str, message: impl Into<String>) -> LocalProblem {
    LocalProblem {
        pointer: String::new(),
        field: String::new(),
        label: None,
        canonical: String::new(),
        rule: rule.to_string(),
        message: message.into(),
        value: None,
    }
}

/// The last of a list of problems cut to [`MAX_PROBLEMS`] ([`tongban_schemas::limits::cut`]):
/// how many were left out, and how many there were in all.
fn too_many(message: String) -> LocalProblem {
    form_problem("too-many-problems", message)
}

/// A compiled adapter for one region and one matter.
#[derive(Debug, Clone)]
pub struct Adapter {
    pub region: String,
    pub matter: &'static Matter,
    pub title: Option<String>,
    pub format: Format,
    pub xml: Option<XmlSpec>,
    /// Where the spec came from (`builtin:440000/medical-filing.json` or a file path).
    pub source: String,
    unknown: UnknownFields,
    fields: Vec<Field>,
    known: Known,
    /// Where `known` has a member of each name, for the unknown fields' hints.
    places: Places,
    mappings: Vec<Mapping>,
    /// How many nodes `known` numbers, and for each field its local paths' node numbers (a
    /// name's surname and given name; one path for the other kinds).
    nodes: usize,
    field_nodes: Vec<[Option<usize>; 2]>,
}

/// Where the top-level fields find their local values: what [`Known::resolve`] found, by node.
struct Found<'f, 'v, 'l> {
    values: &'f [Option<&'v Local<'l>>],
    ids: [Option<usize>; 2],
}

/// The value at `path` (the field's `which` path) in `src`: from the resolved values for a
/// top-level field, else by searching.
fn find<'v, 'l>(
    found: Option<&Found<'_, 'v, 'l>>,
    which: usize,
    path: &Path,
    src: &'v Local<'l>,
) -> Option<&'v Local<'l>> {
    match found.and_then(|f| Some((f, f.ids[which]?))) {
        Some((f, id)) => f.values.get(id).copied().flatten(),
        None => path.find(src),
    }
}

/// Where a field is read during an inbound run: at the top, or inside an item of a list. The
/// local and canonical pointers are only written out when a problem or a matching copy needs them,
/// so a clean form formats no paths.
#[derive(Clone, Copy)]
enum Pos<'p> {
    Root,
    Item {
        /// Where the list is.
        parent: &'p Pos<'p>,
        /// The list field's paths.
        local: &'p Path,
        canonical: &'p Path,
        index: usize,
        /// Items of a joined list have no local pointer of their own (`第 n 项` in messages).
        joined: bool,
    },
}

impl Pos<'_> {
    fn write_local(&self, out: &mut String) {
        if let Pos::Item {
            parent,
            local,
            index,
            joined,
            ..
        } = self
        {
            parent.write_local(out);
            out.push_str(local.as_str());
            if !joined {
                out.push('/');
                out.push_str(&index.to_string());
            }
        }
    }

    fn write_canonical(&self, out: &mut String) {
        if let Pos::Item {
            parent,
            canonical,
            index,
            ..
        } = self
        {
            parent.write_canonical(out);
            out.push_str(canonical.as_str());
            out.push('/');
            out.push_str(&index.to_string());
        }
    }

    /// The local pointer of `path` read here.
    fn local(&self, path: &Path) -> String {
        let mut out = String::new();
        self.write_local(&mut out);
        out.push_str(path.as_str());
        out
    }

    /// The canonical pointer of `path` written here.
    fn canonical(&self, path: &Path) -> String {
        let mut out = String::new();
        self.write_canonical(&mut out);
        out.push_str(path.as_str());
        out
    }

    /// The item number for messages, inside a joined list.
    fn joined_item(&self) -> Option<usize> {
        match self {
            Pos::Item {
                index,
                joined: true,
                ..
            } => Some(*index),
            _ => None,
        }
    }
}

/// Mutable state of one inbound run.
#[derive(Default)]
struct Run {
    problems: Vec<LocalProblem>,
    warnings: Vec<LocalProblem>,
    matching: BTreeMap<String, String>,
    /// Canonical paths whose field already failed: the schema's findings there are not repeated.
    failed: Vec<String>,
    /// Local pointers already reported as the wrong shape (reported once for all fields below),
    /// each with its problem's index in `problems`.
    misshapen: Vec<(String, usize)>,
}

impl Run {
    /// The rejection of this run: its problems, at most [`MAX_PROBLEMS`] of them.
    fn rejection(self) -> Rejection {
        let unlisted = match self.problems.len() > MAX_PROBLEMS {
            true => self.problems.len() - (MAX_PROBLEMS - 1),
            false => 0,
        };
        Rejection {
            problems: tongban_schemas::limits::cut(self.problems, too_many),
            warnings: tongban_schemas::limits::cut(self.warnings, too_many),
            unlisted,
            translated: None,
        }
    }
}

/// Text of a local value for messages (containers are described, never dumped).
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".into(),
        Value::Array(_) => "[…]".into(),
        Value::Object(_) => "{…}".into(),
    }
}

/// A local pointer pattern (`/SQRY/*/XM`) with the finding's list indices put in for its `*`s,
/// in order (`*` left where the finding has fewer).
fn instantiate(pattern: &str, indices: &[&str]) -> String {
    let mut idx = indices.iter();
    let mut local = String::with_capacity(pattern.len());
    for (i, part) in pattern.split("/*").enumerate() {
        if i > 0 {
            local.push('/');
            local.push_str(idx.next().copied().unwrap_or("*"));
        }
        local.push_str(part);
    }
    local
}

/// The value the province sent at `pointer` (a pointer into its form, list indices included), as
/// text for a problem: trimmed as every local value is read; `None` for a container or nothing.
/// In a joined list (`separator`, item number) the item's part of the joined text.
fn sent_at(form: &Local<'_>, pointer: &str, joined: Option<(&str, usize)>) -> Option<String> {
    let mut cur = form;
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        cur = match cur {
            Local::List(items) => items.get(token.parse::<usize>().ok()?)?,
            // XML: one element where a list may repeat it is item 0.
            Local::Record(_) if token == "0" && cur.get("0").is_none() => cur,
            Local::Record(_) => cur.get(&token)?,
            _ => return None,
        };
    }
    let text = match (cur, joined) {
        (Local::List(_) | Local::Record(_) | Local::Null, _) => return None,
        (Local::Text(s), Some((sep, i))) => text::split(s, sep).nth(i)?.to_string(),
        (other, _) => shown_local(other),
    };
    Some(text::trim(&text).to_string())
}

/// [`shown_local`] for a problem's value: nothing for a container (never `[…]` masked to `[**`).
fn sent(v: &Local<'_>) -> Option<String> {
    match v {
        Local::List(_) | Local::Record(_) => None,
        other => Some(shown_local(other)),
    }
}

/// The first member on the way to `path` (below `at`) that is present but not a record, as its
/// pointer, its name and its value: the field below it cannot be read, and is not missing.
fn misshapen<'v, 'l, 'p>(
    path: &'p Path,
    at: &Pos<'_>,
    src: &'v Local<'l>,
) -> Option<(String, &'p str, &'v Local<'l>)> {
    let tokens = path.tokens();
    let mut cur = src;
    for (i, t) in tokens
        .iter()
        .enumerate()
        .take(tokens.len().saturating_sub(1))
    {
        match present(cur.get(t))? {
            next @ Local::Record(_) => cur = next,
            other => {
                let mut pointer = String::new();
                at.write_local(&mut pointer);
                for s in &tokens[..=i] {
                    Step::Name(s).write(&mut pointer);
                }
                return Some((pointer, t.as_str(), other));
            }
        }
    }
    None
}

/// The object a canonical member is in (`/form/move_in_address` of
/// `/form/move_in_address/division`; the empty root pointer for a top-level member).
fn parent(pointer: &str) -> &str {
    pointer.rsplit_once('/').map_or("", |(up, _)| up)
}

/// The innermost object holding both canonical objects `a` and `b` (pointers), whole tokens
/// only: `/form` of `/form/move_in_address` and `/form/move_out_address`.
fn shared<'a>(a: &'a str, b: &str) -> &'a str {
    let mut end = 0;
    let (mut ta, mut tb) = (a.split('/').skip(1), b.split('/').skip(1));
    loop {
        match (ta.next(), tb.next()) {
            (Some(x), Some(y)) if x == y => end += 1 + x.len(),
            _ => return &a[..end],
        }
    }
}

/// [`shown`] for a value of the local form.
fn shown_local(v: &Local<'_>) -> String {
    match v {
        Local::Text(s) => s.to_string(),
        Local::Number(n) => n.to_string(),
        Local::Bool(b) => b.to_string(),
        Local::Null => "null".into(),
        Local::List(_) => "[…]".into(),
        Local::Record(_) => "{…}".into(),
    }
}

/// Whether a local value reads as the constant `c` (compared as shown, without copying texts).
/// Text is compared trimmed, as every other local value is read: pretty-printed XML puts the
/// indentation inside an element's text.
fn shows_as(v: &Local<'_>, c: &Value) -> bool {
    match (v, c) {
        (Local::Text(a), Value::String(b)) => text::trim(a) == b,
        (Local::Text(a), _) => text::trim(a) == shown(c),
        _ => shown_local(v) == shown(c),
    }
}

/// Absent for the purpose of mapping: missing, `null` or empty text (provinces send all three).
fn present<'v, 'a>(v: Option<&'v Local<'a>>) -> Option<&'v Local<'a>> {
    match v {
        None | Some(Local::Null) => None,
        Some(Local::Text(s)) if text::trim(s).is_empty() => None,
        other => other,
    }
}

impl Adapter {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        region: String,
        matter: &'static Matter,
        title: Option<String>,
        format: Format,
        xml: Option<XmlSpec>,
        source: String,
        unknown: UnknownFields,
        fields: Vec<Field>,
    ) -> Adapter {
        let known = Known::build(&fields);
        let places = known.places();
        let nodes = known.count();
        let field_nodes = fields
            .iter()
            .map(|f| match &f.kind {
                Kind::Value { local, .. }
                | Kind::LocalConst { local, .. }
                | Kind::Split { local, .. }
                | Kind::Index { local, .. }
                | Kind::List { local, .. } => [known.id_of(local), None],
                Kind::Name { surname, given, .. } => [known.id_of(surname), known.id_of(given)],
                Kind::CanonicalConst { .. } => [None, None],
            })
            .collect();
        let mut maps = Vec::new();
        mappings(&fields, &[], "", None, &mut maps);
        // Longest canonical template first, so the most specific field wins.
        maps.sort_by_key(|m| std::cmp::Reverse(m.canonical.len()));
        Adapter {
            region,
            matter,
            title,
            format,
            xml,
            source,
            unknown,
            fields,
            known,
            places,
            mappings: maps,
            nodes,
            field_nodes,
        }
    }

    /// The field table, in spec order: every local field and the canonical path it maps to.
    pub fn field_table(&self) -> Vec<FieldRow> {
        let mut out = Vec::new();
        field_rows(&self.fields, "", "", &mut out);
        out
    }

    /// The canonical paths holding values that the local form has no field for (`*` for any list
    /// item; each once, in the body's order): what [`Adapter::outbound`] leaves out, so that a
    /// reader of the local view can be told that something is missing — never what. `matter`
    /// is implied by the adapter, as is an `origin` that is its own region.
    pub fn unmapped(&self, canonical: &Value) -> Vec<String> {
        let templates: Vec<Vec<String>> = self
            .field_table()
            .into_iter()
            .filter(|r| {
                matches!(
                    r.kind,
                    "value" | "split" | "surname" | "given-name" | "canonical-const"
                )
            })
            .map(|r| r.canonical.split('/').skip(1).map(str::to_string).collect())
            .collect();
        let mut out = Vec::new();
        let mut path = Vec::new();
        unmapped_in(canonical, &mut path, &templates, &mut out);
        out.retain(|p| {
            p != "/matter"
                && !(p == "/origin" && canonical["origin"].as_str() == Some(self.region.as_str()))
        });
        out
    }

    /// What the adapter does with local fields its spec does not know: `warn`, `reject` or
    /// `ignore`.
    pub fn unknown_fields(&self) -> &'static str {
        match self.unknown {
            UnknownFields::Warn => "warn",
            UnknownFields::Reject => "reject",
            UnknownFields::Ignore => "ignore",
        }
    }

    /// The local shape, in spec order.
    pub fn known(&self) -> &Known {
        &self.known
    }

    /// Local form (already parsed into a JSON-like tree) → canonical submission body.
    pub fn inbound(&self, local: &Value) -> Result<Translation, Rejection> {
        self.inbound_local(&Local::from_value(local))
    }

    /// [`Adapter::inbound`] on a form read straight from its bytes (see [`crate::codec`]).
    pub fn inbound_local(&self, local: &Local<'_>) -> Result<Translation, Rejection> {
        self.inbound_local_with(local, &|_| Vec::new())
    }

    /// [`Adapter::inbound_local`] with the caller's own checks of the canonical body (the
    /// gateway's: a handler that is no region of the federation), run beside the matter's schema
    /// so that what they find is reported with everything else, traced back to the province's
    /// field like any other finding. A finding at a pointer (or below one) that already failed is
    /// a consequence and is left out.
    pub fn inbound_local_with(
        &self,
        local: &Local<'_>,
        extra: &dyn Fn(&Value) -> Vec<tongban_schemas::Violation>,
    ) -> Result<Translation, Rejection> {
        if !local.is_record() {
            return Err(Rejection::one(form_problem(
                "type",
                "本地表单应为对象 (the local form must be an object / element with children)",
            )));
        }
        let mut run = Run::default();
        // One walk of the form finds every known path's value and the unknown fields.
        let mut values = vec![None; self.nodes];
        let mut unknown = Vec::new();
        let report = self.unknown != UnknownFields::Ignore;
        self.known
            .resolve(local, None, &mut values, &mut unknown, report);
        let mut out = Value::Object(Map::new());
        for (f, ids) in self.fields.iter().zip(&self.field_nodes) {
            let found = Found {
                values: &values,
                ids: *ids,
            };
            self.field_in(f, local, &mut out, &Pos::Root, Some(&found), &mut run);
        }
        if let Value::Object(map) = &mut out {
            map.insert("matter".into(), Value::from(self.matter.code));
            map.entry("origin")
                .or_insert_with(|| Value::from(self.region.as_str()));
        }
        if report {
            // The same finding refuses the form under `reject` and is only a warning under
            // `warn`: the message says which, so a refused form never reads "ignored".
            let message = match self.unknown {
                UnknownFields::Reject => {
                    "本地区规格中没有此字段，表单被拒收 (field not in this region's spec: the form is refused)"
                }
                _ => UNKNOWN_FIELD_IGNORED,
            };
            for pointer in unknown {
                let meant = self.known.meant(&pointer, &self.places);
                let up = parent(&pointer).to_string();
                // Names the province made up: shown as [`mask::field_path`] shows them.
                let pointer = tongban_schemas::mask::field_path(&pointer).into_owned();
                let field = pointer.rsplit('/').next().unwrap_or("").to_string();
                let message = match meant {
                    Some(Meant::Slip { name, said }) => {
                        // The field it slipped from, when required, is missing: said there too,
                        // so the two findings are read as one slip; only the one under the same
                        // parent (the applicant's `mobile` is not the legal representative's).
                        for missing in run.problems.iter_mut().filter(|m| {
                            m.rule == "required" && m.field == name && parent(&m.pointer) == up
                        }) {
                            missing.message.push_str(&format!(
                                "; 表单中有 {field}，是否拼错？ (the form has {field}: a \
                                 misspelling of {name}?)"
                            ));
                        }
                        format!("{message}; did you mean {said}?")
                    }
                    Some(Meant::Misplaced { places }) => {
                        // Said at the missing field of that name only when it is the one missing:
                        // with two missing (the applicant's and the legal representative's
                        // `mobile`), "it belongs here" at both would be wrong at one of them.
                        let missing = |m: &LocalProblem| m.rule == "required" && m.field == field;
                        if run.problems.iter().filter(|m| missing(m)).count() == 1
                            && let Some(m) = run.problems.iter_mut().find(|m| missing(m))
                        {
                            m.message.push_str(&format!(
                                "; 表单中的 {field} 在 {pointer}，位置不对 (the form has \
                                 {field} at {pointer}: it belongs here)"
                            ));
                        }
                        format!("{message}; {field} belongs at {}", places.join(" or "))
                    }
                    None => message.to_string(),
                };
                let p = LocalProblem {
                    field,
                    pointer,
                    label: None,
                    canonical: String::new(),
                    rule: "unknown-field".into(),
                    message,
                    value: None,
                };
                match self.unknown {
                    UnknownFields::Reject => run.problems.push(p),
                    _ => run.warnings.push(p),
                }
            }
        }
        // The limits every submission is held to, however it arrives (a string's length, the
        // number of materials), in the province's field names.
        let (exceeded, _) = tongban_schemas::limits::exceeded(&out, MAX_LIMITS);
        if !exceeded.is_empty() {
            // Past a limit, the schema's checks would only cost more (one finding per item of a
            // list that is too long): the limits are the answer.
            for v in exceeded {
                let p = self.traced(&v, &out, Some(local));
                run.problems.push(p);
            }
            return Err(run.rejection());
        }
        // Whether every field translated: then a refusal below is the canonical body's checks'.
        let whole = run.problems.is_empty() && run.failed.is_empty();
        // The canonical schema last: what it finds is traced back to the local field.
        let (report, checked) = self.matter.check_owned(out);
        let out: &Value = match &checked {
            Ok(c) => c,
            Err(v) => v,
        };
        let mut found: Vec<String> = Vec::new();
        for v in report.violations {
            // A finding at or below a field that failed follows from it; so does a member the
            // schema misses above one (nothing was written there because the field failed).
            let follows = run.failed.iter().any(|f| {
                covers(f, &v.pointer)
                    || (matches!(v.rule.as_str(), "required" | "required-when")
                        && covers(&v.pointer, f))
            });
            if !follows {
                let p = self.traced(&v, out, Some(local));
                run.problems.push(p);
            }
            if tongban_schemas::covers_gateways(&v.rule) {
                found.push(v.pointer);
            }
        }
        let covered: Vec<&str> = run
            .failed
            .iter()
            .chain(&found)
            .map(String::as_str)
            .collect();
        let extra = tongban_schemas::uncovered(&covered, extra(out));
        run.problems
            .retain(|p| !tongban_schemas::gives_way(&p.rule, &p.canonical, &extra));
        for v in extra {
            let p = self.traced(&v, out, Some(local));
            run.problems.push(p);
        }
        // A warning the field's own check gave already (a check character, said in the
        // province's terms) is not said again by the schema's report; the report's warnings are
        // each their own, also several at one pointer (two required materials missing, both at
        // the list, were one warning).
        let own = run.warnings.len();
        for w in report.warnings {
            let p = self.traced(&w, out, Some(local));
            if !run.warnings[..own]
                .iter()
                .any(|x| x.canonical == p.canonical && x.rule == p.rule)
            {
                run.warnings.push(p);
            }
        }
        match checked {
            // A body with schema violations always has problems: each is either reported here or
            // covered by a field that already failed (and reported it).
            Ok(canonical) if run.problems.is_empty() => Ok(Translation {
                canonical,
                // Bounded as a refusal's are: an adapter that warns of unknown fields would
                // otherwise answer one warning per member a body holds.
                warnings: tongban_schemas::limits::cut(run.warnings, too_many),
                matching: run.matching,
            }),
            checked => {
                let mut rejection = run.rejection();
                if whole {
                    rejection.translated = Some(match checked {
                        // As its sender wrote it (a 15-digit ID number the check upgraded put
                        // back): what an earlier sending under the same key was kept by.
                        Ok(canonical) => canonical
                            .as_sent()
                            .unwrap_or_else(|| canonical.into_value()),
                        Err(body) => body,
                    });
                }
                Err(rejection)
            }
        }
    }

    /// For a handler without jurisdiction: the province's own fields that name the places whose
    /// authorities decide (`/formData/insuredArea (参保地)`), so that its team sees which field
    /// the handler was held against, in its own words, not the canonical one's.
    fn places_named(&self, v: &tongban_schemas::Violation) -> Option<String> {
        if v.rule != tongban_schemas::matters::jurisdiction::CODE
            || !v.pointer.starts_with("/handlers/")
        {
            return None;
        }
        let named: Vec<String> = self
            .matter
            .jurisdiction
            .handled
            .iter()
            .filter_map(|place| {
                let tokens: Vec<&str> = place.trim_start_matches('/').split('/').collect();
                self.mappings
                    .iter()
                    .find(|m| {
                        m.canonical
                            .iter()
                            .map(String::as_str)
                            .eq(tokens.iter().copied())
                    })
                    .map(|m| match &m.label {
                        Some(label) => format!("{} ({label})", m.local),
                        None => m.local.clone(),
                    })
            })
            .collect();
        (!named.is_empty()).then(|| named.join(", "))
    }

    /// A finding the gateway makes of a form's canonical body once it is translated (a
    /// submission's `possible-duplicate` warning, at the applicant's number), at the province's
    /// own field, as the translation's own findings are ([`Adapter::traced`]): the local pointer,
    /// field name and label, the canonical path beside them. Without a value: such a finding is
    /// about the application, not what the field holds, and the form is no longer at hand.
    pub fn at_local_field(&self, v: &tongban_schemas::Violation) -> LocalProblem {
        self.traced(v, &Value::Null, None)
    }

    /// A canonical finding, in the local field's words; with the value the province sent where
    /// `form` is given and `canonical` holds one at the finding's pointer.
    fn traced(
        &self,
        v: &tongban_schemas::Violation,
        canonical: &Value,
        form: Option<&Local<'_>>,
    ) -> LocalProblem {
        let tokens: Vec<&str> = if v.pointer.is_empty() {
            Vec::new()
        } else {
            v.pointer.trim_start_matches('/').split('/').collect()
        };
        let indices: Vec<&str> = tokens
            .iter()
            .copied()
            .filter(|t| t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty())
            .collect();
        let normal: Vec<&str> = tokens
            .iter()
            .map(|t| {
                if t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty() {
                    "*"
                } else {
                    t
                }
            })
            .collect();
        let found = self.mappings.iter().find(|m| {
            m.canonical.len() <= normal.len()
                && m.canonical.iter().zip(&normal).all(|(a, b)| a == b)
        });
        let value = canonical
            .pointer(&v.pointer)
            .filter(|x| !x.is_object() && !x.is_array());
        match found {
            Some(m) => {
                let local = instantiate(&m.local, &indices);
                // The item of a joined list: the last index (the list's own).
                let item = indices.last().and_then(|i| i.parse::<usize>().ok());
                let said = self
                    .in_local_codes(v, m)
                    .unwrap_or_else(|| v.message.clone());
                let message = match (&m.joined, item) {
                    (Some(_), n) => format!("第 {} 项：{said}", n.unwrap_or(0) + 1),
                    (None, _) => said,
                };
                let message = match self.places_named(v) {
                    Some(places) => format!(
                        "{message}；本表单中的地区字段 (this form's fields for those places): {places}"
                    ),
                    None => message,
                };
                // What the province sent, when the canonical value came from it; the canonical
                // value when it did not (a default, a name joined from its parts).
                let sent = match form {
                    Some(form) if m.sent && value.is_some() => {
                        sent_at(form, &local, m.joined.as_deref().zip(item))
                    }
                    _ => None,
                };
                LocalProblem {
                    field: local.rsplit('/').next().unwrap_or("").to_string(),
                    pointer: local,
                    label: m.label.clone(),
                    canonical: v.pointer.clone(),
                    rule: v.rule.clone(),
                    message,
                    value: sent.or_else(|| value.map(shown)).map(|x| m.mask.apply(&x)),
                }
            }
            // A finding about a whole object (a delivery address required and missing) whose
            // members are mapped one by one: named at the local object that holds them.
            None => match self.holding(&normal) {
                Some(holder) => {
                    let local = instantiate(&holder, &indices);
                    LocalProblem {
                        field: local.rsplit('/').next().unwrap_or("").to_string(),
                        pointer: local,
                        label: None,
                        canonical: v.pointer.clone(),
                        rule: v.rule.clone(),
                        message: v.message.clone(),
                        value: None,
                    }
                }
                None => LocalProblem {
                    pointer: String::new(),
                    field: String::new(),
                    label: None,
                    canonical: v.pointer.clone(),
                    rule: v.rule.clone(),
                    message: format!(
                        "{} (本地区规格未映射此规范字段 / no local field maps to it)",
                        v.message
                    ),
                    value: value.map(|x| Mask::for_canonical(&v.pointer).apply(&shown(x))),
                },
            },
        }
    }

    /// The local object (a pointer pattern, `*` for list items) holding every local field mapped
    /// below the canonical path `normal`: the deepest pointer their local pointers share, when
    /// some are and that is not the form's root.
    fn holding(&self, normal: &[&str]) -> Option<String> {
        let beneath = self.mappings.iter().filter(|m| {
            m.canonical.len() > normal.len() && m.canonical.iter().zip(normal).all(|(a, b)| a == b)
        });
        let beneath: Vec<&Mapping> = beneath.collect();
        let first = beneath.first()?;
        // One local field split into the canonical members (`czdz` into a division and a
        // detail): that field holds them.
        if beneath.iter().all(|m| m.local == first.local) {
            return Some(first.local.clone());
        }
        let mut common: Vec<&str> = first.local.split('/').collect();
        for m in &beneath[1..] {
            let shared = common
                .iter()
                .zip(m.local.split('/'))
                .take_while(|(a, b)| **a == *b)
                .count();
            common.truncate(shared);
        }
        // A list item is named by its list.
        while common.last() == Some(&"*") {
            common.pop();
        }
        // `["", "formData", "postAddress"]` for `/formData/postAddress`. The root (`[""]`) or a
        // section of the whole form (`/formData`) holds too much to name the field: then the
        // finding is said as unmapped, with the canonical path.
        (common.len() > 2).then(|| common.join("/"))
    }

    /// An `enum` or `const` finding at a field read through a code table, said with the values
    /// the schema allows in the province's own codes (`1`, `2` of `mode-123`), which is what it
    /// can send instead: the schema can only name the canonical `online` and `proxy`. A mode the
    /// matter does not allow says so, each code with the mode's name. `None` when the field has
    /// no code table or an allowed value has no local code (the canonical message stands).
    fn in_local_codes(&self, v: &tongban_schemas::Violation, m: &Mapping) -> Option<String> {
        let coded = m
            .transforms
            .iter()
            .any(|t| matches!(t, Transform::Codes(_)));
        if v.allowed.is_empty() || !coded || !matches!(v.rule.as_str(), "enum" | "const") {
            return None;
        }
        let mode = v.pointer == "/mode";
        let mut codes = Vec::with_capacity(v.allowed.len());
        for allowed in &v.allowed {
            let mut x = allowed.clone();
            // A finding is at one value: a joined list's item, not the list.
            for t in m.transforms.iter().rev() {
                if !matches!(t, Transform::List(_)) {
                    x = t.outbound(x).ok()?;
                }
            }
            let code = shown(&x);
            let title = allowed
                .as_str()
                .and_then(tongban_schemas::Mode::parse)
                .filter(|t| mode && t.title_zh() != code);
            codes.push(match title {
                Some(t) => format!("{code} ({})", t.title_zh()),
                None => code,
            });
        }
        let (zh, en) = (codes.join("、"), codes.join(", "));
        Some(match (mode, codes.len()) {
            (true, _) => format!(
                "本事项不受理此办理模式，应为 {zh} 之一 (the matter does not allow this mode; one of {en})"
            ),
            (false, 1) => format!("应为 {zh} (must be {en})"),
            (false, _) => format!("取值不在允许范围内，应为 {zh} 之一 (value is not one of {en})"),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn problem(
        &self,
        f: &Field,
        local: &Path,
        at: &Pos<'_>,
        canonical: &str,
        rule: &str,
        message: &str,
        value: Option<String>,
    ) -> LocalProblem {
        LocalProblem {
            pointer: at.local(local),
            field: local.leaf().to_string(),
            label: f.label.clone(),
            canonical: canonical.to_string(),
            rule: rule.to_string(),
            message: match at.joined_item() {
                Some(i) => format!("第 {} 项：{message}", i + 1),
                None => message.to_string(),
            },
            value: value.map(|v| f.mask.apply(&v)),
        }
    }

    /// Records a problem with a field and marks its canonical path as failed (so later checks
    /// of the canonical body do not report it a second time).
    #[allow(clippy::too_many_arguments)]
    fn reject(
        &self,
        run: &mut Run,
        f: &Field,
        local: &Path,
        at: &Pos<'_>,
        cpath: String,
        rule: &str,
        message: &str,
        value: Option<String>,
    ) {
        run.problems
            .push(self.problem(f, local, at, &cpath, rule, message, value));
        run.failed.push(cpath);
    }

    /// A missing field: a problem only where the spec says the field is required — unless it is
    /// not missing at all but below something of the wrong shape (`"zrdw": "某公司"` where
    /// `zrdw` holds `dwmc`; a body wrapped in a list; an XML element sent twice). That is said
    /// once, at the misshapen member, and the fields below it are not also "missing".
    #[allow(clippy::too_many_arguments)]
    fn missing(
        &self,
        run: &mut Run,
        f: &Field,
        local: &Path,
        at: &Pos<'_>,
        cpath: String,
        src: &Local<'_>,
    ) {
        if let Some((pointer, name, found)) = misshapen(local, at, src) {
            // Its canonical is the object that holds what the fields below it write, narrowed
            // to what they share as each of them comes by.
            let holder = parent(&cpath);
            match run.misshapen.iter().find(|(p, _)| *p == pointer) {
                Some((_, i)) => {
                    if let Some(p) = run.problems.get_mut(*i) {
                        p.canonical = shared(&p.canonical, holder).to_string();
                    }
                }
                None => {
                    let (rule, message) = self.not_a_record(found);
                    run.misshapen.push((pointer.clone(), run.problems.len()));
                    run.problems.push(LocalProblem {
                        field: name.to_string(),
                        pointer,
                        label: None,
                        canonical: holder.to_string(),
                        rule: rule.into(),
                        message: message.into(),
                        value: None,
                    });
                }
            }
            run.failed.push(cpath);
            return;
        }
        if f.required {
            self.reject(run, f, local, at, cpath, "required", REQUIRED, None);
        }
    }

    /// Why a present value where the spec expects a record (members below it) is not one, in
    /// the words of the form's own format.
    fn not_a_record(&self, found: &Local<'_>) -> (&'static str, &'static str) {
        match (self.format, found) {
            (Format::Xml, Local::List(_)) => ("repeated-element", "元素重复 (element repeated)"),
            (Format::Xml, _) => (
                "type",
                "应含子元素，收到文本 (expected child elements, got text)",
            ),
            (_, Local::Number(_)) => (
                "type",
                "应为对象，收到数字 (expected an object, got a number)",
            ),
            (_, Local::Bool(_)) => (
                "type",
                "应为对象，收到布尔值 (expected an object, got a boolean)",
            ),
            (_, Local::List(_)) => (
                "type",
                "应为对象，收到列表 (expected an object, got a list)",
            ),
            _ => ("type", "应为对象，收到文本 (expected an object, got text)"),
        }
    }

    /// Why a present value where the spec expects text is not text, in the words of the form's
    /// own format; `None` for text.
    fn not_text(&self, found: &Local<'_>) -> Option<(&'static str, &'static str)> {
        if let Some(said) = self.not_xml_text(found) {
            return Some(said);
        }
        match found {
            Local::Text(_) | Local::Null => None,
            Local::Number(_) => Some(("type", "应为文本，收到数字 (expected text, got a number)")),
            Local::Bool(_) => Some((
                "type",
                "应为文本，收到布尔值 (expected text, got a boolean)",
            )),
            Local::List(_) => Some(("type", "应为文本，收到列表 (expected text, got a list)")),
            Local::Record(_) => Some(("type", "应为文本，收到对象 (expected text, got an object)")),
        }
    }

    /// Why an XML element where the spec expects text is not text: sent twice, or with
    /// attributes (the province's XML has no lists or objects to speak of).
    fn not_xml_text(&self, found: &Local<'_>) -> Option<(&'static str, &'static str)> {
        match (self.format, found) {
            (Format::Xml, Local::List(_)) => {
                Some(("repeated-element", "元素重复 (element repeated)"))
            }
            (Format::Xml, Local::Record(m)) if m.iter().any(|(k, _)| k.starts_with('@')) => {
                Some(("attributes", "不接受属性 (attributes not allowed)"))
            }
            (Format::Xml, Local::Record(_)) => Some((
                "type",
                "应为文本，收到子元素 (expected text, got child elements)",
            )),
            _ => None,
        }
    }

    /// A list longer than [`MAX_ITEMS`].
    fn too_many(&self, run: &mut Run, f: &Field, local: &Path, at: &Pos<'_>, cpath: String) {
        let message =
            format!("列表最多 {MAX_ITEMS} 项 (a list may hold at most {MAX_ITEMS} items)");
        self.reject(run, f, local, at, cpath, "max-items", &message, None);
    }

    #[allow(clippy::too_many_arguments)]
    fn field_in<'v, 'l>(
        &self,
        f: &Field,
        src: &'v Local<'l>,
        out: &mut Value,
        at: &Pos<'_>,
        found: Option<&Found<'_, 'v, 'l>>,
        run: &mut Run,
    ) {
        match &f.kind {
            Kind::Value {
                local,
                canonical,
                transforms,
                check,
                default,
            } => {
                let original: &Local<'_> = match (present(find(found, 0, local, src)), default) {
                    (Some(v), _) => v,
                    (None, Some(d)) => d,
                    (None, None) => {
                        self.missing(run, f, local, at, at.canonical(canonical), src);
                        return;
                    }
                };
                let mut v = original.to_value();
                for t in transforms {
                    match t.inbound(v) {
                        Ok(next) => v = next,
                        Err(e) => {
                            let cpath = at.canonical(canonical);
                            let (rule, message) = match self.not_xml_text(original) {
                                Some(said) if e.rule == "type" => said,
                                _ => (e.rule, e.message.as_str()),
                            };
                            self.reject(run, f, local, at, cpath, rule, message, sent(original));
                            return;
                        }
                    }
                }
                // A 15-digit number the `id-number` transform upgraded is stored upgraded, as a
                // canonical body's is, which is warned `gb11643-legacy`: so is this one, at the
                // province's own field, or the form's caller never learns its number changed.
                if transforms.iter().any(|t| matches!(t, Transform::IdNumber))
                    && let (Some(raw), Some(now)) = (original.as_str(), v.as_str())
                    && raw.len() == 15
                    && raw != now
                {
                    let cpath = at.canonical(canonical);
                    let message = tongban_schemas::matters::legacy_ids::upgraded_message(raw);
                    let p = self.problem(
                        f,
                        local,
                        at,
                        &cpath,
                        tongban_schemas::matters::legacy_ids::LEGACY,
                        &message,
                        sent(original),
                    );
                    run.warnings.push(p);
                }
                if let Some(c) = check {
                    v = c.normalise(v);
                }
                if let Some(finding) = check.and_then(|c| c.run(&v)) {
                    let cpath = at.canonical(canonical);
                    let p = self.problem(
                        f,
                        local,
                        at,
                        &cpath,
                        finding.rule,
                        &finding.message,
                        sent(original).or_else(|| Some(shown(&v))),
                    );
                    if finding.warning {
                        run.warnings.push(p);
                    } else {
                        run.problems.push(p);
                        run.failed.push(cpath);
                    }
                }
                if f.matching
                    && let Some(s) = v.as_str()
                    && hanzi::has_traditional(s)
                {
                    run.matching
                        .insert(at.canonical(canonical), hanzi::simplified(s));
                }
                self.put(f, local, at, canonical, out, v, run);
            }
            Kind::LocalConst { local, value } => {
                let v = present(find(found, 0, local, src));
                if let Some((rule, message)) = v.and_then(|v| self.not_xml_text(v)) {
                    run.problems
                        .push(self.problem(f, local, at, "", rule, message, None));
                } else if let Some(v) = v
                    && !shows_as(v, value)
                {
                    let msg = format!(
                        "应为 {} (this field is fixed for this matter)",
                        shown(value)
                    );
                    run.problems.push(self.problem(
                        f,
                        local,
                        at,
                        "",
                        "const",
                        &msg,
                        sent(v).map(|t| text::trim(&t).to_string()),
                    ));
                } else if f.required && v.is_none() {
                    run.problems
                        .push(self.problem(f, local, at, "", "required", REQUIRED, None));
                }
            }
            Kind::CanonicalConst { canonical, value } => {
                canonical.set(out, value.clone());
            }
            Kind::Split {
                local,
                separator,
                parts,
            } => {
                let cpath = parts.first().map(|p| at.canonical(p)).unwrap_or_default();
                let Some(v) = present(find(found, 0, local, src)) else {
                    self.missing(run, f, local, at, cpath, src);
                    return;
                };
                let Some(s) = v.as_str() else {
                    let (rule, message) = self
                        .not_text(v)
                        .unwrap_or(("type", "应为文本 (expected text)"));
                    self.reject(run, f, local, at, cpath, rule, message, sent(v));
                    return;
                };
                let pieces: Vec<&str> = s.splitn(parts.len(), separator.as_str()).collect();
                if pieces.len() != parts.len() {
                    let msg = format!(
                        "应为 {} 段、以 {separator:?} 分隔 (expected {} parts)",
                        parts.len(),
                        parts.len()
                    );
                    self.reject(
                        run,
                        f,
                        local,
                        at,
                        cpath,
                        "split",
                        &msg,
                        Some(shown_local(v)),
                    );
                    return;
                }
                for (p, piece) in parts.iter().zip(pieces) {
                    let piece = text::trim(piece);
                    if f.matching && hanzi::has_traditional(piece) {
                        run.matching
                            .insert(at.canonical(p), hanzi::simplified(piece));
                    }
                    self.put(f, local, at, p, out, Value::from(piece), run);
                }
            }
            Kind::Name {
                surname,
                given,
                canonical,
            } => {
                let a = present(find(found, 0, surname, src));
                let b = present(find(found, 1, given, src));
                if a.is_none() && b.is_none() {
                    self.missing(run, f, surname, at, at.canonical(canonical), src);
                    return;
                }
                let (Some(a), b) = (a, b) else {
                    let cpath = at.canonical(canonical);
                    self.reject(
                        run,
                        f,
                        surname,
                        at,
                        cpath,
                        "required",
                        "有名无姓 (given name without surname)",
                        None,
                    );
                    return;
                };
                // Each part is text: a surname sent twice (XML) or as a list or number (JSON)
                // is refused at its own field, never joined into the name as `[…]` or `5`.
                let mut wrong = false;
                for (part, v) in [(surname, Some(a)), (given, b)] {
                    if let Some(v) = v
                        && let Some((rule, message)) = self.not_text(v)
                    {
                        let cpath = at.canonical(canonical);
                        self.reject(run, f, part, at, cpath, rule, message, sent(v));
                        wrong = true;
                    }
                }
                if wrong {
                    return;
                }
                let full = format!(
                    "{}{}",
                    text::trim(&shown_local(a)),
                    b.map(|x| text::trim(&shown_local(x)).to_string())
                        .unwrap_or_default()
                );
                if f.matching && hanzi::has_traditional(&full) {
                    run.matching
                        .insert(at.canonical(canonical), hanzi::simplified(&full));
                }
                self.put(f, surname, at, canonical, out, Value::String(full), run);
            }
            Kind::Index { .. } => {}
            Kind::List {
                local,
                canonical,
                joined,
                item: fields,
            } => match joined {
                None => self.list_in(f, local, canonical, fields, src, out, at, found, run),
                Some(sep) => {
                    let container = if local.is_root() {
                        Some(src)
                    } else {
                        find(found, 0, local, src)
                    };
                    let mut columns: Vec<(&Path, Vec<Cow<'_, str>>)> = Vec::new();
                    for p in item_paths(fields) {
                        let parts = match container.and_then(|c| present(p.find(c))) {
                            Some(Local::Text(s)) => {
                                text::split(s, sep).map(Cow::Borrowed).collect()
                            }
                            Some(other) => vec![Cow::Owned(shown_local(other))],
                            None => Vec::new(),
                        };
                        columns.push((p, parts));
                    }
                    let mut n = columns.iter().map(|(_, c)| c.len()).max().unwrap_or(0);
                    // Trailing items that are empty in every column are no items: systems often
                    // end each joined column with its separator (`a;b;`), as they do single lists.
                    while n > 0
                        && columns.iter().all(|(_, c)| {
                            c.get(n - 1).is_none_or(|part| text::trim(part).is_empty())
                        })
                    {
                        n -= 1;
                    }
                    if n == 0 {
                        self.missing(run, f, local, at, at.canonical(canonical), src);
                        return;
                    }
                    if n > MAX_ITEMS {
                        self.too_many(run, f, local, at, at.canonical(canonical));
                        return;
                    }
                    let mut arr = Vec::with_capacity(n);
                    for i in 0..n {
                        let mut virt = Local::Record(Vec::with_capacity(columns.len()));
                        for (p, col) in &columns {
                            if let Some(part) = col.get(i).filter(|s| !s.is_empty()) {
                                virt.set(p.tokens(), Local::Text(Cow::Borrowed(part)));
                            }
                        }
                        let mut o = Value::Object(Map::new());
                        let here = Pos::Item {
                            parent: at,
                            local,
                            canonical,
                            index: i,
                            joined: true,
                        };
                        for g in fields {
                            self.field_in(g, &virt, &mut o, &here, None, run);
                        }
                        arr.push(o);
                    }
                    self.put(f, local, at, canonical, out, Value::Array(arr), run);
                }
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn list_in<'v, 'l>(
        &self,
        f: &Field,
        local: &Path,
        canonical: &Path,
        fields: &[Field],
        src: &'v Local<'l>,
        out: &mut Value,
        at: &Pos<'_>,
        found: Option<&Found<'_, 'v, 'l>>,
        run: &mut Run,
    ) {
        let v = present(find(found, 0, local, src));
        let items: Vec<&Local<'_>> = match v {
            None => {
                self.missing(run, f, local, at, at.canonical(canonical), src);
                return;
            }
            Some(Local::List(a)) => a.iter().collect(),
            // XML: one element where a list may repeat it. JSON from a converter of XML says a
            // list of one so too, and is read alike (its problems name the item as item 0).
            Some(o @ Local::Record(_)) => vec![o],
            Some(other) => {
                let cpath = at.canonical(canonical);
                self.reject(
                    run,
                    f,
                    local,
                    at,
                    cpath,
                    "type",
                    "应为列表 (expected a list of records)",
                    Some(shown_local(other)),
                );
                return;
            }
        };
        if items.len() > MAX_ITEMS {
            self.too_many(run, f, local, at, at.canonical(canonical));
            return;
        }
        let mut arr = Vec::with_capacity(items.len());
        for (i, it) in items.into_iter().enumerate() {
            let here = Pos::Item {
                parent: at,
                local,
                canonical,
                index: i,
                joined: false,
            };
            if !it.is_record() {
                let cpath = at.canonical(canonical);
                run.problems.push(LocalProblem {
                    pointer: format!("{}/{i}", at.local(local)),
                    field: local.leaf().to_string(),
                    label: f.label.clone(),
                    canonical: format!("{cpath}/{i}"),
                    rule: "type".into(),
                    message: "列表项应为对象 (each item must be a record)".into(),
                    value: None,
                });
                run.failed.push(format!("{cpath}/{i}"));
                continue;
            }
            let mut o = Value::Object(Map::new());
            for g in fields {
                self.field_in(g, it, &mut o, &here, None, run);
            }
            arr.push(o);
        }
        self.put(f, local, at, canonical, out, Value::Array(arr), run);
    }

    #[allow(clippy::too_many_arguments)]
    fn put(
        &self,
        f: &Field,
        local: &Path,
        at: &Pos<'_>,
        canonical: &Path,
        out: &mut Value,
        v: Value,
        run: &mut Run,
    ) {
        if !canonical.set(out, v) {
            run.problems.push(self.problem(f, local, at, &at.canonical(canonical), "spec-conflict",
                "规格中两个字段对规范结构的定义冲突 (two spec fields disagree about this canonical path)",
                None,
            ));
        }
    }

    /// Canonical body → the local form (as a JSON-like tree; see [`crate::codec`] for bytes).
    pub fn outbound(&self, canonical: &Value) -> Result<Value, Rejection> {
        let mut problems = Vec::new();
        let mut out = Value::Object(Map::new());
        for f in &self.fields {
            self.field_out(f, canonical, &mut out, "", "", &mut problems);
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Rejection {
                problems,
                warnings: Vec::new(),
                unlisted: 0,
                translated: None,
            })
        }
    }

    fn field_out(
        &self,
        f: &Field,
        src: &Value,
        out: &mut Value,
        lp: &str,
        cp: &str,
        problems: &mut Vec<LocalProblem>,
    ) {
        let fail = |local: &Path, canonical: &str, rule: &str, message: &str, v: Option<&Value>| {
            LocalProblem {
                pointer: local.under(lp),
                field: local.leaf().to_string(),
                label: f.label.clone(),
                canonical: canonical.to_string(),
                rule: rule.to_string(),
                message: message.to_string(),
                value: v.map(|x| f.mask.apply(&shown(x))),
            }
        };
        match &f.kind {
            Kind::Value {
                local,
                canonical,
                transforms,
                check,
                ..
            } => {
                let Some(v) = canonical.get(src).filter(|v| !v.is_null()) else {
                    return;
                };
                // A canonical record may hold a 12-digit code sent through the API; the field
                // gets the one spelling (which `division12` then writes as 12 digits where the
                // region's system wants them).
                let mut v = match check {
                    Some(c) => c.normalise(v.clone()),
                    None => v.clone(),
                };
                for t in transforms.iter().rev() {
                    match t.outbound(v.clone()) {
                        Ok(next) => v = next,
                        Err(e) => {
                            problems.push(fail(
                                local,
                                &canonical.under(cp),
                                e.rule,
                                &e.message,
                                Some(&v),
                            ));
                            return;
                        }
                    }
                }
                local.set(out, v);
            }
            Kind::LocalConst { local, value } => {
                local.set(out, value.clone());
            }
            // The spec fixes this member for every form of the region (a person-only form's
            // `/applicant/kind`): a body holding another value cannot be written in the form
            // without turning into something else (a company written as a person), so it is
            // refused at the member, not left out with a header hint.
            Kind::CanonicalConst { canonical, value } => {
                let Some(v) = canonical.get(src).filter(|v| !v.is_null()) else {
                    return;
                };
                if v == value {
                    return;
                }
                let member = canonical.under(cp);
                problems.push(LocalProblem {
                    pointer: lp.to_string(),
                    field: lp.rsplit('/').next().unwrap_or("").to_string(),
                    label: f.label.clone(),
                    canonical: member.clone(),
                    rule: "const-outbound".to_string(),
                    message: format!(
                        "本地表单的 {member} 只能是 {value}，无法写入其他值 (the local form holds only {value} at {member}, so it cannot hold this value)"
                    ),
                    value: Some(f.mask.apply(&shown(v))),
                });
            }
            Kind::Split {
                local,
                separator,
                parts,
            } => {
                let texts: Vec<Option<&str>> = parts
                    .iter()
                    .map(|p| p.get(src).and_then(Value::as_str))
                    .collect();
                if texts.iter().all(Option::is_none) {
                    return;
                }
                let joined: Vec<&str> = texts.iter().map(|t| t.unwrap_or("")).collect();
                local.set(out, Value::String(joined.join(separator)));
            }
            Kind::Name {
                surname,
                given,
                canonical,
            } => {
                if let Some(name) = canonical.get(src).and_then(Value::as_str) {
                    let (a, b) = text::split_name(name);
                    surname.set(out, Value::from(a));
                    given.set(out, Value::from(b));
                }
            }
            Kind::Index { .. } => {}
            Kind::List {
                local,
                canonical,
                joined,
                item,
            } => {
                let Some(items) = canonical.get(src).and_then(Value::as_array) else {
                    return;
                };
                let base = local.under(lp);
                let mut locals = Vec::with_capacity(items.len());
                for (i, it) in items.iter().enumerate() {
                    let mut o = Value::Object(Map::new());
                    let icp = format!("{}/{i}", canonical.under(cp));
                    for g in item {
                        if let Kind::Index { local, start } = &g.kind {
                            local.set(&mut o, Value::String((start + i as u64).to_string()));
                            continue;
                        }
                        let ilp = match joined {
                            None => format!("{base}/{i}"),
                            Some(_) => base.clone(),
                        };
                        self.field_out(g, it, &mut o, &ilp, &icp, problems);
                    }
                    locals.push(o);
                }
                match joined {
                    None => {
                        local.set(out, Value::Array(locals));
                    }
                    Some(sep) => {
                        for p in item_paths(item) {
                            let texts: Vec<String> = locals
                                .iter()
                                .map(|o| p.get(o).map(shown).unwrap_or_default())
                                .collect();
                            if texts.iter().all(String::is_empty) {
                                continue;
                            }
                            let mut full = local.tokens().to_vec();
                            full.extend(p.tokens().iter().cloned());
                            let text = format!("/{}", full.join("/"));
                            if let Some((i, refused)) = transform::holding_separator(&texts, sep) {
                                problems.push(LocalProblem {
                                    pointer: format!("{}{text}", lp),
                                    field: p.leaf().to_string(),
                                    label: f.label.clone(),
                                    canonical: format!("{}/{i}", canonical.under(cp)),
                                    rule: refused.rule.into(),
                                    message: refused.message,
                                    value: Some(f.mask.apply(&texts[i])),
                                });
                                continue;
                            }
                            if let Some(target) = Path::parse(&text) {
                                target.set(out, Value::String(texts.join(sep)));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The local paths a joined list's items read (one joined text per path).
fn item_paths(fields: &[Field]) -> Vec<&Path> {
    let mut out = Vec::new();
    for f in fields {
        match &f.kind {
            Kind::Value { local, .. }
            | Kind::LocalConst { local, .. }
            | Kind::Split { local, .. }
            | Kind::Index { local, .. } => out.push(local),
            Kind::Name { surname, given, .. } => {
                out.push(surname);
                out.push(given);
            }
            Kind::CanonicalConst { .. } | Kind::List { .. } => {}
        }
    }
    out
}
