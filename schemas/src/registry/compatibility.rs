//! Schema compatibility: could data valid under the *writer* schema be rejected by the *reader*?
//!
//! BACKWARD means the new version reads data written under the old one (reader = new, writer = old);
//! FORWARD the reverse; FULL both; the `_TRANSITIVE` forms check against every earlier version instead
//! of only the latest. The check walks both documents side by side (following `$ref`s into their own
//! `$defs`) and reports every place where the writer allows something the reader does not, with the
//! instance path (`*` for any array item) and the reason. Where containment cannot be decided (two
//! different regexes, changed conditionals) it reports conservatively.
//!
//! Open objects: Confluent's strict rule treats a property added to the reader while the writer's
//! object is open (no `additionalProperties: false`) as incompatible, because the writer may already
//! have written that name with another type. The lenient rule allows it. Chosen per subject.

use crate::violation::escape_token;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use super::nodes::{follow, required};
use super::wording::{Said, Side, Voice, number_keyword};
use crate::validation::CompiledSchema;

/// Compatibility policy of a subject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Compatibility {
    #[default]
    Backward,
    BackwardTransitive,
    Forward,
    ForwardTransitive,
    Full,
    FullTransitive,
    None,
}

impl Compatibility {
    pub const ALL: [Compatibility; 7] = [
        Compatibility::Backward,
        Compatibility::BackwardTransitive,
        Compatibility::Forward,
        Compatibility::ForwardTransitive,
        Compatibility::Full,
        Compatibility::FullTransitive,
        Compatibility::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Compatibility::Backward => "BACKWARD",
            Compatibility::BackwardTransitive => "BACKWARD_TRANSITIVE",
            Compatibility::Forward => "FORWARD",
            Compatibility::ForwardTransitive => "FORWARD_TRANSITIVE",
            Compatibility::Full => "FULL",
            Compatibility::FullTransitive => "FULL_TRANSITIVE",
            Compatibility::None => "NONE",
        }
    }

    pub fn parse(s: &str) -> Option<Compatibility> {
        Compatibility::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(s))
    }

    /// New versions must read old data.
    pub fn checks_backward(self) -> bool {
        matches!(
            self,
            Compatibility::Backward
                | Compatibility::BackwardTransitive
                | Compatibility::Full
                | Compatibility::FullTransitive
        )
    }

    /// Old versions must read new data.
    pub fn checks_forward(self) -> bool {
        matches!(
            self,
            Compatibility::Forward
                | Compatibility::ForwardTransitive
                | Compatibility::Full
                | Compatibility::FullTransitive
        )
    }

    /// Against every earlier version rather than only the latest.
    pub fn transitive(self) -> bool {
        matches!(
            self,
            Compatibility::BackwardTransitive
                | Compatibility::ForwardTransitive
                | Compatibility::FullTransitive
        )
    }
}

/// How a property the reader knows but an open writer object does not is judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpenObjects {
    /// Confluent's rule: adding a property to an open content model is incompatible.
    #[default]
    Strict,
    /// Adding a property is fine as long as nothing else changes.
    Lenient,
}

/// Which direction a finding was checked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The candidate reading data written under an earlier version.
    Backward,
    /// An earlier version reading data written under the candidate.
    Forward,
}

/// The kind of an incompatibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The writer allows a JSON type the reader does not (e.g. null, or number where integer).
    TypeNarrowed,
    /// The same seen forward: the newer version allows a JSON type (or any type, or data
    /// where the older accepts none) the older version refuses.
    TypeWidened,
    /// An enum or const value the writer allows is not allowed by the reader.
    EnumValueRemoved,
    /// The same seen forward: a fixed value new in the newer version, which the older refuses.
    EnumValueAdded,
    /// The reader restricts to fixed values where the writer allowed any.
    ValuesRestricted,
    /// The same seen forward: the newer version allows any value where the older version
    /// accepts only fixed ones.
    ValuesUnrestricted,
    /// A property the reader knows, added while the writer's object is open (strict rule).
    PropertyAddedToOpenObject,
    /// The same seen forward: the newer version no longer lists a property of an open object,
    /// so data written under it may hold that name with values the older version refuses.
    PropertyRemovedFromOpenObject,
    /// A property the writer may write is unknown to a closed reader object: the newer reader
    /// dropped it (data written under the older version holds it).
    PropertyRemovedFromClosedObject,
    /// The same seen the other way: the newer writer added a property the older version's
    /// closed object does not accept (parties validating against it refuse such data).
    PropertyAddedToClosedObject,
    /// The reader closed an object (`additionalProperties: false`) the writer left open.
    ObjectClosed,
    /// The same seen forward: the newer version opened an object the older version closes.
    ObjectOpened,
    /// A property required by the reader but optional for the writer, without a default.
    RequiredAdded,
    /// The same seen forward: a property the older version requires is optional in the newer.
    RequiredRemoved,
    /// A minimum raised or a maximum lowered (length, items, value, properties).
    RangeNarrowed,
    /// The same seen forward: the newer version lowers a minimum or raises a maximum (or drops
    /// one) the older version holds data to.
    RangeWidened,
    /// A pattern added or changed (regex containment is not decidable here); forward, a pattern
    /// of the older version removed or changed.
    PatternChanged,
    /// An identifier check (`x-tongban-check`) added or changed.
    CheckAdded,
    /// The same seen forward: an identifier check of the older version removed or changed.
    CheckRemoved,
    /// A conditional or combined constraint (`allOf`, `if`, `not` …) added or changed; or a
    /// `multipleOf` changed to one the other's is no whole multiple of.
    ConstraintChanged,
    /// A branch of the writer's `anyOf`/`oneOf` that no reader branch accepts.
    BranchNotAccepted,
    /// The schemas need more comparisons than the check makes ([`MAX_STEPS`]) or nest deeper
    /// than it follows: `$ref`s that loop back, or branches multiplied through references.
    /// Nothing is shown compatible then.
    TooComplex,
    /// More findings than one answer lists ([`MAX_FINDINGS`]): the last one says how many more.
    TooManyProblems,
}

/// One place where data valid for the writer may be rejected by the reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incompatibility {
    /// Instance JSON pointer (`*` stands for any array item), e.g. `/form/accompanying/*/person/sex`.
    pub path: String,
    pub rule: Rule,
    pub reason: String,
    pub direction: Direction,
    /// The registered version the candidate was compared with.
    pub against_version: u32,
}

impl Rule {
    /// The rule in Chinese, for the registry's pages (the wire name stays the machine's key).
    pub fn label_zh(self) -> &'static str {
        match self {
            Rule::TypeNarrowed => "类型收窄",
            Rule::TypeWidened => "类型放宽，旧版本不接受",
            Rule::EnumValueRemoved => "取值被删除",
            Rule::EnumValueAdded => "新增取值，旧版本不接受",
            Rule::ValuesRestricted => "限定为固定取值",
            Rule::ValuesUnrestricted => "不再限定固定取值，旧版本不接受",
            Rule::PropertyAddedToOpenObject => "开放对象新增字段",
            Rule::PropertyRemovedFromOpenObject => "开放对象删除字段",
            Rule::PropertyRemovedFromClosedObject => "封闭对象不再接受该字段",
            Rule::PropertyAddedToClosedObject => "旧版本封闭对象不接受新增字段",
            Rule::ObjectClosed => "对象被封闭",
            Rule::ObjectOpened => "对象被开放，旧版本不接受",
            Rule::RequiredAdded => "新增必填字段",
            Rule::RequiredRemoved => "必填字段改为选填，旧版本不接受",
            Rule::RangeNarrowed => "取值范围收窄",
            Rule::RangeWidened => "取值范围放宽，旧版本不接受",
            Rule::PatternChanged => "格式 (pattern) 新增或变更",
            Rule::CheckAdded => "校验规则新增或变更",
            Rule::CheckRemoved => "校验规则删除或变更，旧版本不接受",
            Rule::ConstraintChanged => "组合或条件约束变更",
            Rule::BranchNotAccepted => "可选结构不再被接受",
            Rule::TooComplex => "过于复杂，无法判定",
            Rule::TooManyProblems => "问题过多，未全部列出",
        }
    }
}

impl Incompatibility {
    /// A finding of a comparison in `direction` with the registered version `against_version`
    /// (its rule and reason already worded for that direction, [`Voice`]).
    pub fn found(f: Finding, direction: Direction, against_version: u32) -> Incompatibility {
        Incompatibility {
            path: f.path,
            rule: f.rule,
            reason: f.reason,
            direction,
            against_version,
        }
    }

    /// Who is hurt if the version is published anyway, and what the reader can do about it, in
    /// Chinese and English. Read by provinces (the compatibility route, `tongban schemas check`,
    /// the registry's diff pages), who cannot change the gateway: the advice is what to ask of
    /// its maintainers, never a step in its code.
    pub fn affects(&self) -> String {
        let v = self.against_version;
        match self.direction {
            Direction::Backward => format!(
                "已按版本 {v} 存储的数据 (日志中的事件、已提交的表单) 在新版本下无法原样读取，须由网关维护方\
                 注册升级转换 (upcaster)：请向他们提出此变更 / events already in the log and forms \
                 submitted under version {v} would not read under the new version without an \
                 upcaster, which the gateway's maintainers register: propose the change to them"
            ),
            Direction::Forward => format!(
                "仍按版本 {v} 校验的各方 (其他省份的系统、按版本 {v} 编写的适配) 会拒收按新版本写出的数据，\
                 网关无法替他们转换：请保持变更兼容，或向网关维护方提出，由他们先向各方公布新版本 / \
                 parties still validating against version {v} (other provinces' systems, adapters \
                 written against it) would refuse data written under the new version, and the \
                 gateway cannot convert it for them: keep the change compatible, or propose it to \
                 the gateway's maintainers, who announce the new version to them before such data \
                 is sent"
            ),
        }
    }
}

impl std::fmt::Display for Incompatibility {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        let wire = |v: serde_json::Result<Value>| match v {
            Ok(Value::String(s)) => s,
            _ => String::new(),
        };
        write!(
            f,
            "{path} [{}, {} against v{}]: {}",
            wire(serde_json::to_value(self.rule)),
            wire(serde_json::to_value(self.direction)),
            self.against_version,
            self.reason
        )
    }
}

/// A finding before it is tied to a direction and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub rule: Rule,
    pub reason: String,
}

/// Everything the `reader` may reject of what the `writer` allows: each finding once, at most
/// [`MAX_FINDINGS`] of them (the last then says how many more there were). Worded as a newer
/// reader ("the new version") of older data ("the old version"); [`compare_in`] words them
/// as the caller names the versions, in either direction.
pub fn compare(reader: &Value, writer: &Value, open: OpenObjects) -> Vec<Finding> {
    compare_counted(reader, writer, open).0
}

/// [`compare`], each finding worded by `voice`: which of `reader` and `writer` is the newer
/// version, and the names both go by.
pub fn compare_in(
    reader: &Value,
    writer: &Value,
    open: OpenObjects,
    voice: &Voice,
) -> Vec<Finding> {
    compare_voiced(reader, writer, open, voice).0
}

/// [`compare`] and the steps it took, for the tests that keep [`MAX_STEPS`] well above what real
/// schemas need.
pub(crate) fn compare_counted(
    reader: &Value,
    writer: &Value,
    open: OpenObjects,
) -> (Vec<Finding>, usize) {
    let voice = Voice::newer_reads("the new version", "the old version");
    compare_voiced(reader, writer, open, &voice)
}

fn compare_voiced(
    reader: &Value,
    writer: &Value,
    open: OpenObjects,
    voice: &Voice,
) -> (Vec<Finding>, usize) {
    let budget = Rc::new(Budget::default());
    let mut ctx = Ctx {
        rroot: reader,
        wroot: writer,
        open,
        voice,
        out: Vec::new(),
        dropped: 0,
        budget: Rc::clone(&budget),
    };
    ctx.walk(reader, writer, "", 0);
    if budget.steps.get() > MAX_STEPS {
        // Cut short: what was found is partial, and what was not looked at may break.
        ctx.add(Finding {
            path: "/".into(),
            rule: Rule::TooComplex,
            reason: format!(
                "comparing these schemas takes more than {MAX_STEPS} steps or goes deeper than \
                 {MAX_DEPTH} levels ($ref cycles, or branches multiplied through references): \
                 compatibility cannot be shown"
            ),
        });
    }
    let mut out = ctx.out;
    if ctx.dropped > 0 {
        out.push(Finding {
            path: "/".into(),
            rule: Rule::TooManyProblems,
            reason: format!(
                "{} more incompatibilities are not listed (at most {MAX_FINDINGS} are)",
                ctx.dropped
            ),
        });
    }
    (out, budget.steps.get())
}

/// Backward check of `candidate` against `old`, registered as version `against`: the candidate
/// reads old data. The findings say what the candidate removed or narrowed.
pub fn backward(candidate: &Value, old: &Value, open: OpenObjects, against: u32) -> Vec<Finding> {
    compare_in(
        candidate,
        old,
        open,
        &Voice::candidate(Direction::Backward, against),
    )
}

/// Forward check: `old`, registered as version `against`, reads data written under
/// `candidate`. The findings say what the candidate added or widened that `old` refuses.
pub fn forward(candidate: &Value, old: &Value, open: OpenObjects, against: u32) -> Vec<Finding> {
    compare_in(
        old,
        candidate,
        open,
        &Voice::candidate(Direction::Forward, against),
    )
}

const MAX_DEPTH: usize = 64;

/// How many steps one comparison may take: a schema node visited, a `$ref` followed, a branch
/// tried, a fixed value collected, and [`COMPILE_COST`] for each reader schema compiled to judge
/// a writer's fixed values. Nesting is bounded by [`MAX_DEPTH`], but a `$ref` can lead back into
/// a union (`{"anyOf": [{"$ref": "#"}, {"$ref": "#"}]}`) and each level multiplies the branches:
/// without a count, one request to the public compatibility check could keep a core busy for
/// ever (or, through [`Ctx::values`], overflow the stack). The largest real comparison here (a
/// matter's submission against its previous version, either direction) takes under 2,000 steps
/// (`real_comparisons_stay_far_below_the_step_bound` holds it under a tenth of this); a
/// kilobyte candidate of unions multiplied through references reaches the bound within
/// milliseconds and is answered [`Rule::TooComplex`].
pub const MAX_STEPS: usize = 20_000;

/// The steps one compilation of a reader's schema counts (compiling is far dearer than a visit),
/// plus one per [`DEFS_NODES_PER_STEP`] nodes of the definitions it copies in: a candidate
/// padded with unused `$defs` would otherwise make each compilation dear at a fixed price.
const COMPILE_COST: usize = 200;

/// Nodes of the copied definitions that cost one step more per compilation.
const DEFS_NODES_PER_STEP: usize = 10;

/// How many findings one comparison lists: a union of references multiplies the same finding
/// once per path through it, and nobody reads past the first hundred.
pub const MAX_FINDINGS: usize = 100;

/// How deep [`Ctx::values`] follows unions of fixed values.
const MAX_VALUE_DEPTH: usize = 16;

/// What the contexts of one comparison share: the steps taken, and the reader schemas compiled
/// so far (by node: a union of references to one definition compiles it once).
#[derive(Default)]
struct Budget {
    steps: Cell<usize>,
    compiled: RefCell<HashMap<*const Value, Option<Rc<CompiledSchema>>>>,
    /// What one compilation costs ([`COMPILE_COST`] and the copied definitions), once known.
    compile_cost: Cell<Option<usize>>,
}

struct Ctx<'a> {
    rroot: &'a Value,
    wroot: &'a Value,
    open: OpenObjects,
    /// How findings are worded: which side is the newer version, and the names of both.
    voice: &'a Voice,
    out: Vec<Finding>,
    /// Findings past [`MAX_FINDINGS`], counted instead of kept.
    dropped: usize,
    /// Shared with the contexts that try a reader's branches.
    budget: Rc<Budget>,
}

enum Additional<'a> {
    Open,
    Closed,
    Schema(&'a Value),
}

static TRUE: Value = Value::Bool(true);

/// Members beside a `$ref` that only annotate: anything else constrains the data too.
const ANNOTATIONS: [&str; 15] = [
    "$ref",
    "$schema",
    "$id",
    "$anchor",
    "$dynamicAnchor",
    "$comment",
    "$defs",
    "definitions",
    "title",
    "description",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Whether `s` constrains the data beside its `$ref` (an `enum`, a `pattern`, an identifier
/// check …), not only annotates it. Extension keywords (`x-…`) annotate, but for the
/// identifier check.
fn constrains_beside_ref(s: &Value) -> bool {
    s.as_object().is_some_and(|members| {
        members.keys().any(|k| {
            !ANNOTATIONS.contains(&k.as_str())
                && (!k.starts_with("x-") || k == crate::blocks::CHECK_KEYWORD)
        })
    })
}

fn types(s: &Value) -> Option<Vec<&str>> {
    match s.get("type")? {
        Value::String(t) => Some(vec![t.as_str()]),
        Value::Array(ts) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    }
}

/// A number's bound on one side, as `minimum` / `exclusiveMinimum` (or the maxima) make it: the
/// tighter of the two where both are written.
#[derive(Debug, Clone, Copy, PartialEq)]
struct NumberBound {
    value: f64,
    exclusive: bool,
}

impl NumberBound {
    fn of(s: &Value, side: Side) -> Option<NumberBound> {
        let (inclusive, exclusive) = (number_keyword(side, false), number_keyword(side, true));
        let read = |k: &str, exclusive: bool| {
            s.get(k)
                .and_then(Value::as_f64)
                .map(|value| NumberBound { value, exclusive })
        };
        match (read(inclusive, false), read(exclusive, true)) {
            (Some(a), Some(b)) => Some(if a.tighter_than(b, side) { a } else { b }),
            (a, b) => a.or(b),
        }
    }

    /// Whether this bound allows less than `other` on `side` (at equal values, the exclusive).
    fn tighter_than(self, other: NumberBound, side: Side) -> bool {
        match side {
            Side::Lower => {
                self.value > other.value
                    || (self.value == other.value && self.exclusive && !other.exclusive)
            }
            Side::Upper => {
                self.value < other.value
                    || (self.value == other.value && self.exclusive && !other.exclusive)
            }
        }
    }

    /// The same bound over whole numbers, inclusive: `exclusiveMinimum: 0` is `minimum: 1`.
    fn whole(self, side: Side) -> NumberBound {
        let value = match (side, self.exclusive) {
            (Side::Lower, true) => self.value.floor() + 1.0,
            (Side::Lower, false) => self.value.ceil(),
            (Side::Upper, true) => self.value.ceil() - 1.0,
            (Side::Upper, false) => self.value.floor(),
        };
        NumberBound {
            value,
            exclusive: false,
        }
    }

    /// Whether every number this (the writer's) bound allows, `reader`'s allows too; `whole`:
    /// the writer writes whole numbers only.
    fn within(self, reader: NumberBound, side: Side, whole: bool) -> bool {
        let (w, r) = if whole {
            (self.whole(side), reader.whole(side))
        } else {
            (self, reader)
        };
        !r.tighter_than(w, side)
    }
}

fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn type_accepts(allowed: &[&str], t: &str) -> bool {
    allowed.contains(&t) || (t == "integer" && allowed.contains(&"number"))
}

fn additional(s: &Value) -> Additional<'_> {
    for key in ["additionalProperties", "unevaluatedProperties"] {
        match s.get(key) {
            Some(Value::Bool(false)) => return Additional::Closed,
            Some(Value::Bool(true)) | None => {}
            Some(other) => return Additional::Schema(other),
        }
    }
    Additional::Open
}

/// Whether the JSON number `writer` is a whole multiple of the JSON number `reader` (`multipleOf`
/// values, both above zero): every multiple of the writer's is then one of the reader's. Told
/// within floating point's error (`0.05` of `0.01` is 5.000000000000001 times it); the same
/// value is one.
fn whole_multiple(writer: &Value, reader: &Value) -> bool {
    if writer == reader {
        return true;
    }
    let (Some(w), Some(r)) = (writer.as_f64(), reader.as_f64()) else {
        return false;
    };
    if !(w > 0.0 && r > 0.0) {
        return false;
    }
    let times = w / r;
    times >= 1.0 - 1e-9 && (times - times.round()).abs() <= 1e-9 * times
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

impl<'a> Ctx<'a> {
    /// Keeps a finding at `path`, worded by [`Voice`].
    fn say(&mut self, path: &str, (rule, reason): Said) {
        let path = if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        };
        self.add(Finding { path, rule, reason });
    }

    /// Keeps a finding unless it is already there (every path through a union of references
    /// finds the same thing again) or [`MAX_FINDINGS`] are.
    fn add(&mut self, f: Finding) {
        if self.out.contains(&f) {
            return;
        }
        if self.out.len() >= MAX_FINDINGS {
            self.dropped += 1;
            return;
        }
        self.out.push(f);
    }

    /// A context for trying one of the reader's branches: its findings are its own until chosen.
    fn trial(&self) -> Ctx<'a> {
        Ctx {
            rroot: self.rroot,
            wroot: self.wroot,
            open: self.open,
            voice: self.voice,
            out: Vec::new(),
            dropped: 0,
            budget: Rc::clone(&self.budget),
        }
    }

    /// Takes the findings of a chosen trial.
    fn adopt(&mut self, trial: Ctx<'a>) {
        self.dropped += trial.dropped;
        for f in trial.out {
            self.add(f);
        }
    }

    /// Those of the writer's fixed `values` that the reader's schema `r` refuses (its `$ref`s
    /// resolved against the reader's document); `None` when `r` cannot be compiled alone or the
    /// comparison has no steps left for compiling it.
    fn refused_by_reader(&self, r: &Value, values: &[Value]) -> Option<Vec<Value>> {
        let compiled = self.compiled_reader(r)?;
        Some(
            values
                .iter()
                .filter(|v| !compiled.is_valid(v))
                .cloned()
                .collect(),
        )
    }

    /// The reader's schema `r` compiled alone, once per node.
    fn compiled_reader(&self, r: &Value) -> Option<Rc<CompiledSchema>> {
        let key: *const Value = r;
        if let Some(c) = self.budget.compiled.borrow().get(&key) {
            return c.clone();
        }
        let cost = match self.budget.compile_cost.get() {
            Some(cost) => cost,
            None => {
                let defs: usize = ["$defs", "definitions"]
                    .iter()
                    .filter_map(|d| self.rroot.get(d))
                    .map(|d| super::nodes::json_nodes(d, MAX_STEPS * DEFS_NODES_PER_STEP))
                    .sum();
                let cost = COMPILE_COST + defs / DEFS_NODES_PER_STEP;
                self.budget.compile_cost.set(Some(cost));
                cost
            }
        };
        if !self.spend(cost) {
            return None;
        }
        let Value::Object(sub) = r else {
            return None;
        };
        let mut document = sub.clone();
        for defs in ["$defs", "definitions"] {
            if let Some(d) = self.rroot.get(defs) {
                document.entry(defs).or_insert_with(|| d.clone());
            }
        }
        // The document's own dialect and `$id`, so references through the `$id` resolve too.
        for key in ["$schema", "$id"] {
            if let Some(v) = self.rroot.get(key) {
                document.entry(key).or_insert_with(|| v.clone());
            }
        }
        let compiled = CompiledSchema::compile(&Value::Object(document))
            .ok()
            .map(Rc::new);
        self.budget
            .compiled
            .borrow_mut()
            .insert(key, compiled.clone());
        compiled
    }

    /// Counts `n` steps; false once the comparison has used up [`MAX_STEPS`].
    fn spend(&self, n: usize) -> bool {
        let total = self.budget.steps.get().saturating_add(n);
        self.budget.steps.set(total);
        total <= MAX_STEPS
    }

    /// Counts one visited node; false once the comparison has used up [`MAX_STEPS`].
    fn step(&self) -> bool {
        self.spend(1)
    }

    /// The fixed values a schema allows (`enum`, `const`, or a `oneOf`/`anyOf` of them), if any.
    /// `None` too for unions nested deeper than [`MAX_VALUE_DEPTH`] (a `$ref` cycle among them).
    fn values(&self, root: &'a Value, s: &'a Value, depth: usize) -> Option<Vec<Value>> {
        if depth > MAX_VALUE_DEPTH || !self.step() {
            return None;
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            // Each value is collected and later compared: a step each.
            return self.spend(e.len()).then(|| e.clone());
        }
        if let Some(c) = s.get("const") {
            return Some(vec![c.clone()]);
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(branches) = s.get(key).and_then(Value::as_array) {
                let mut all = Vec::new();
                for b in branches {
                    all.extend(self.values_through(root, b, depth + 1)?);
                }
                return (!branches.is_empty()).then_some(all);
            }
        }
        None
    }

    /// The fixed values of a union's branch `s`, through its `$ref` (one step each): `None` for a
    /// reference with constraints beside it (the values are those of both, which this does not
    /// work out), one that cannot be followed, or a `$dynamicRef`.
    fn values_through(&self, root: &'a Value, s: &'a Value, depth: usize) -> Option<Vec<Value>> {
        if s.get("$dynamicRef").is_some() {
            return None;
        }
        match s.get("$ref") {
            Some(reference) if !constrains_beside_ref(s) && self.step() => {
                let target = follow(root, reference.as_str()?)?;
                self.values_through(root, target, depth + 1)
            }
            Some(_) => None,
            None => self.values(root, s, depth),
        }
    }

    /// Compares the reader's node `r` with the writer's `w`, following a `$ref` on either side
    /// one step at a time (each a step of [`MAX_STEPS`]). `{"$ref": T, …beside}` means
    /// `allOf: [T, beside]`: the reader's data must pass both, so the writer's data is compared
    /// with each; the writer's data passes both, so the reader reading either is enough. A
    /// reference this cannot follow ([`follow`]) and a `$dynamicRef` are findings, never "any
    /// data": what they allow is unknown, so compatibility cannot be proven.
    fn walk(&mut self, r: &'a Value, w: &'a Value, path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            // Deeper than any real schema nests: a `$ref` cycle. Not compatible by default.
            self.budget.steps.set(MAX_STEPS + 1);
        }
        if !self.step() {
            return;
        }
        if matches!(r, Value::Bool(true)) || matches!(w, Value::Bool(false)) {
            return;
        }
        // Plain references (nothing but annotations beside them) are followed in place: a chain
        // of them is one node, not a level deeper each.
        let Some(r) = self.through_plain_refs(self.rroot, r, true, path) else {
            return;
        };
        let Some(w) = self.through_plain_refs(self.wroot, w, false, path) else {
            return;
        };
        if matches!(r, Value::Bool(true)) || matches!(w, Value::Bool(false)) {
            return;
        }
        if let Some(reference) = r.get("$ref") {
            let Some(target) = reference.as_str().and_then(|x| follow(self.rroot, x)) else {
                self.say(path, self.voice.unfollowed(true, &short(reference)));
                return;
            };
            self.walk(target, w, path, depth + 1);
            if constrains_beside_ref(r) {
                self.walk_here(r, w, path, depth);
            }
            return;
        }
        if r.get("$dynamicRef").is_some() {
            self.say(path, self.voice.dynamic(true));
            return;
        }
        if let Some(reference) = w.get("$ref") {
            let Some(target) = reference.as_str().and_then(|x| follow(self.wroot, x)) else {
                self.say(path, self.voice.unfollowed(false, &short(reference)));
                return;
            };
            if !constrains_beside_ref(w) {
                self.walk(r, target, path, depth + 1);
                return;
            }
            let mut through = self.trial();
            through.walk(r, target, path, depth + 1);
            if through.out.is_empty() {
                return;
            }
            let mut beside = self.trial();
            beside.walk_here(r, w, path, depth);
            if beside.out.is_empty() {
                return;
            }
            self.adopt(if beside.out.len() < through.out.len() {
                beside
            } else {
                through
            });
            return;
        }
        if w.get("$dynamicRef").is_some() {
            self.say(path, self.voice.dynamic(false));
            return;
        }
        self.walk_here(r, w, path, depth);
    }

    /// `s` with its plain `$ref`s followed (at most 32, a step each), stopping at a node that is
    /// not a reference or has constraints beside one; `None`, with the finding made, for a
    /// reference [`follow`] cannot follow or a chain too long (a loop of references).
    fn through_plain_refs(
        &mut self,
        root: &'a Value,
        mut s: &'a Value,
        reader: bool,
        path: &str,
    ) -> Option<&'a Value> {
        for _ in 0..32 {
            let Some(reference) = s.get("$ref") else {
                return Some(s);
            };
            if constrains_beside_ref(s) {
                return Some(s);
            }
            if !self.step() {
                return None;
            }
            match reference.as_str().and_then(|x| follow(root, x)) {
                Some(target) => s = target,
                None => {
                    self.say(path, self.voice.unfollowed(reader, &short(reference)));
                    return None;
                }
            }
        }
        // A loop of references: not compatible by default.
        self.budget.steps.set(MAX_STEPS + 1);
        None
    }

    /// Compares the keywords of `r` and `w` themselves, their `$ref`s aside ([`Ctx::walk`] has
    /// followed or set them aside).
    fn walk_here(&mut self, r: &'a Value, w: &'a Value, path: &str, depth: usize) {
        match (r, w) {
            (Value::Bool(true), _) | (_, Value::Bool(false)) => return,
            (Value::Bool(false), _) => {
                self.say(path, self.voice.reader_accepts_nothing());
                return;
            }
            _ => {}
        }
        let w: &Value = if w == &TRUE { &EMPTY_OBJECT } else { w };

        // Fixed values first: they describe the whole schema.
        let rv = self.values(self.rroot, r, 0);
        let wv = self.values(self.wroot, w, 0);
        match (&rv, &wv) {
            (Some(rv), Some(wv)) => {
                for v in wv.iter().filter(|v| !rv.contains(v)) {
                    self.say(path, self.voice.value_not_listed(&short(v)));
                }
                return;
            }
            (Some(rv), None) => {
                let list: Vec<String> = rv.iter().map(short).collect();
                self.say(path, self.voice.values_fixed(&list.join(", ")));
                return;
            }
            (None, Some(wv)) => {
                let mut by_type = Vec::new();
                if let Some(rt) = types(r) {
                    for v in wv.iter().filter(|v| !type_accepts(&rt, type_of(v))) {
                        self.say(path, self.voice.value_type_refused(&short(v)));
                        by_type.push(v);
                    }
                }
                // The writer's values are few and known: each one goes through the reader's
                // schema itself, so a pattern, a length, a range or an identifier check the
                // reader adds is judged on them rather than passed over. A value its type
                // already refused is told once.
                match self.refused_by_reader(r, wv) {
                    Some(refused) => {
                        for v in refused.iter().filter(|v| !by_type.contains(v)) {
                            self.say(path, self.voice.value_refused(&short(v)));
                        }
                    }
                    // Not "every value passes": unknown.
                    None => self.say(path, self.voice.reader_uncompiled()),
                }
                return;
            }
            (None, None) => {}
        }

        // A writer union: every branch must be readable.
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = w.get(key).and_then(Value::as_array) {
                for b in branches {
                    self.walk(r, b, path, depth + 1);
                }
                return;
            }
        }
        // A reader union: some branch must read the writer's data.
        for key in ["anyOf", "oneOf"] {
            if let Some(branches) = r.get(key).and_then(Value::as_array) {
                let mut best: Option<Ctx<'a>> = None;
                for b in branches {
                    let mut sub = self.trial();
                    sub.walk(b, w, path, depth + 1);
                    if sub.out.is_empty() {
                        return;
                    }
                    if best.as_ref().is_none_or(|x| sub.out.len() < x.out.len()) {
                        best = Some(sub);
                    }
                }
                match best {
                    Some(trial) if trial.out.len() == 1 => self.adopt(trial),
                    Some(trial) => {
                        self.say(path, self.voice.no_branch(key));
                        self.adopt(trial);
                    }
                    None => self.say(path, self.voice.empty_union(key)),
                }
                return;
            }
        }

        self.types(r, w, path);
        self.bounds(r, w, path);
        self.strings(r, w, path);
        self.constraints(r, w, path);
        self.objects(r, w, path, depth);
        self.arrays(r, w, path, depth);
    }

    /// A number's bound on one side, `minimum` and `exclusiveMinimum` (or the two maxima) read
    /// together as the one bound they make: a bound that moves from one keyword to the other
    /// (`maximum: 10` to `exclusiveMaximum: 10`) is one change, found where it refuses a value
    /// the writer allows (10) and worded as what the smallest or largest value allowed became,
    /// not as a keyword added and another dropped (which read forward found `exclusiveMaximum:
    /// 10` after `maximum: 10` refusing values below 10). A writer of whole numbers only is
    /// judged on whole numbers: `exclusiveMinimum: 0` and `minimum: 1` allow the same ones.
    fn number_bound(&mut self, r: &Value, w: &Value, path: &str, side: Side) {
        let Some(rb) = NumberBound::of(r, side) else {
            return;
        };
        let wb = NumberBound::of(w, side);
        let whole = types(w).is_some_and(|t| {
            t.contains(&"integer") && t.iter().all(|t| matches!(*t, "integer" | "null"))
        });
        if wb.is_some_and(|wb| wb.within(rb, side, whole)) {
            return;
        }
        let said = match wb {
            Some(wb) if wb.exclusive != rb.exclusive => self.voice.number_bound_moved(
                side,
                (rb.value, rb.exclusive),
                (wb.value, wb.exclusive),
            ),
            _ => {
                let (k, wv) = (number_keyword(side, rb.exclusive), wb.map(|b| b.value));
                self.voice
                    .number_bound(side, k, (rb.value, rb.exclusive), wv)
            }
        };
        self.say(path, said);
    }

    fn types(&mut self, r: &Value, w: &Value, path: &str) {
        let Some(rt) = types(r) else { return };
        match types(w) {
            Some(wt) => {
                for t in wt.iter().filter(|t| !type_accepts(&rt, t)) {
                    self.say(path, self.voice.type_refused(t, &rt.join("|")));
                }
            }
            None => self.say(path, self.voice.any_type_refused(&rt.join("|"))),
        }
    }

    fn bounds(&mut self, r: &Value, w: &Value, path: &str) {
        let num = |s: &Value, k: &str| s.get(k).and_then(Value::as_f64);
        for k in ["minLength", "minItems", "minProperties"] {
            if let Some(rb) = num(r, k)
                && num(w, k).is_none_or(|wb| wb < rb)
            {
                self.say(path, self.voice.lower_bound(k, rb, num(w, k)));
            }
        }
        for k in ["maxLength", "maxItems", "maxProperties"] {
            if let Some(rb) = num(r, k)
                && num(w, k).is_none_or(|wb| wb > rb)
            {
                self.say(path, self.voice.upper_bound(k, rb, num(w, k)));
            }
        }
        for side in [Side::Lower, Side::Upper] {
            self.number_bound(r, w, path, side);
        }
        // Every number the writer allows is one the reader does when the writer's multipleOf is
        // a whole multiple of the reader's (4 under 2), whichever way the two moved.
        if let Some(rm) = r.get("multipleOf")
            && !w.get("multipleOf").is_some_and(|wm| whole_multiple(wm, rm))
        {
            let wm = w.get("multipleOf").map(short);
            self.say(path, self.voice.multiple_of(&short(rm), wm.as_deref()));
        }
        if r.get("uniqueItems") == Some(&Value::Bool(true))
            && w.get("uniqueItems") != Some(&Value::Bool(true))
        {
            self.say(path, self.voice.unique_items());
        }
    }

    fn strings(&mut self, r: &Value, w: &Value, path: &str) {
        if let Some(rp) = r.get("pattern")
            && w.get("pattern") != Some(rp)
        {
            self.say(path, self.voice.pattern(&short(rp)));
        }
        if let Some(rc) = r.get(crate::blocks::CHECK_KEYWORD)
            && w.get(crate::blocks::CHECK_KEYWORD) != Some(rc)
        {
            self.say(path, self.voice.check(&short(rc)));
        }
    }

    fn constraints(&mut self, r: &Value, w: &Value, path: &str) {
        for k in [
            "allOf",
            "if",
            "then",
            "else",
            "not",
            "dependentRequired",
            "dependentSchemas",
            "propertyNames",
            "contains",
            "patternProperties",
            // Not compared item by item: the reader's tuple or its items left unevaluated by
            // the rest constrain in ways this check does not work out.
            "prefixItems",
            "unevaluatedItems",
        ] {
            if let Some(rk) = r.get(k)
                && w.get(k) != Some(rk)
            {
                self.say(path, self.voice.constraint(k));
            }
        }
    }

    fn objects(&mut self, r: &'a Value, w: &'a Value, path: &str, depth: usize) {
        let empty: &Map<String, Value> = &EMPTY_MAP;
        let rp = r
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(empty);
        let wp = w
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(empty);
        let is_object = |s: &Value| {
            types(s).is_some_and(|t| t.contains(&"object")) || s.get("properties").is_some()
        };
        if !is_object(r) && !is_object(w) {
            return;
        }
        let radd = additional(r);
        let wadd = additional(w);
        for (name, ws) in wp {
            let p = format!("{path}/{}", escape_token(name));
            match (rp.get(name), &radd) {
                (Some(rs), _) => self.walk(rs, ws, &p, depth + 1),
                (None, Additional::Closed) => self.say(&p, self.voice.property_closed_out(name)),
                (None, Additional::Schema(s)) => self.walk(s, ws, &p, depth + 1),
                (None, Additional::Open) => {}
            }
        }
        for (name, rs) in rp.iter().filter(|(n, _)| !wp.contains_key(*n)) {
            let p = format!("{path}/{}", escape_token(name));
            match &wadd {
                Additional::Closed => {}
                Additional::Schema(ws) => self.walk(rs, ws, &p, depth + 1),
                Additional::Open => {
                    if self.open == OpenObjects::Strict {
                        self.say(&p, self.voice.property_open_elsewhere(name));
                    }
                }
            }
        }
        let wreq = required(w);
        // A `default` does not help: JSON Schema validation never fills one in, so data
        // written without the property fails the reader whatever its default (and events
        // upcast by identity would stop reading). Such a change needs an upcaster.
        for name in required(r).into_iter().filter(|n| !wreq.contains(n)) {
            let p = format!("{path}/{}", escape_token(name));
            self.say(&p, self.voice.required(name));
        }
        match (&radd, &wadd) {
            (Additional::Closed, Additional::Open) => {
                self.say(path, self.voice.object_closed(false))
            }
            (Additional::Closed, Additional::Schema(_)) => {
                self.say(path, self.voice.object_closed(true))
            }
            (Additional::Schema(rs), Additional::Schema(ws)) => {
                self.walk(rs, ws, &format!("{path}/*"), depth + 1)
            }
            (Additional::Schema(rs), Additional::Open) => {
                self.walk(rs, &TRUE, &format!("{path}/*"), depth + 1)
            }
            _ => {}
        }
    }

    fn arrays(&mut self, r: &'a Value, w: &'a Value, path: &str, depth: usize) {
        let p = format!("{path}/*");
        match (r.get("items"), w.get("items")) {
            (Some(ri), Some(wi)) => self.walk(ri, wi, &p, depth + 1),
            // A writer's tuple (`prefixItems`) holds items the reader's `items` must read; they
            // are not compared one by one.
            (Some(_), None)
                if w.get("prefixItems").is_some()
                    && r.get("prefixItems") != w.get("prefixItems") =>
            {
                self.say(path, self.voice.prefix_items())
            }
            (Some(ri), None)
                if types(w).is_none_or(|t| t.contains(&"array"))
                    && types(r).is_some_and(|t| t.contains(&"array")) =>
            {
                self.walk(ri, &TRUE, &p, depth + 1)
            }
            _ => {}
        }
    }
}

static EMPTY_MAP: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
static EMPTY_OBJECT: std::sync::LazyLock<Value> =
    std::sync::LazyLock::new(|| Value::Object(Map::new()));
