//! The schema registry: subjects (`matter.<code>`, `application.<event>`) with versions 1..n, a
//! compatibility policy per subject, checked registration, upcasting of old events, and the read
//! side an HTTP layer serves (subject list, versions, documents, candidate checks, field tables, diffs).
//!
//! [`Registry::builtin`] holds every subject this crate defines, each version read from the checked-in
//! files under `schemas/json/<subject>/<version>.json` (frozen history) and checked in order under the
//! subject's policy.

mod builtin;
pub mod compatibility;
pub mod diff;
pub mod fields;
pub mod nodes;
pub mod upcast;
pub mod wording;

pub use builtin::{checked_in, current_documents, upcasters};
pub use compatibility::{
    Compatibility, Direction, Incompatibility, MAX_FINDINGS, MAX_STEPS, OpenObjects, Rule,
};
pub use diff::{FieldChange, SchemaDiff};
pub use fields::Field;
pub use upcast::Upcaster;
pub use wording::Voice;

use crate::SchemaError;
use crate::validation::CompiledSchema;
use crate::violation::{Report, Violation};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Which family a subject belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    /// `matter.<code>`: a canonical submission body.
    Matter,
    /// `application.<event>`: a lifecycle event payload.
    Event,
    Other,
}

impl SubjectKind {
    pub fn of(subject: &str) -> SubjectKind {
        if subject.starts_with("matter.") {
            SubjectKind::Matter
        } else if subject.starts_with("application.") {
            SubjectKind::Event
        } else {
            SubjectKind::Other
        }
    }
}

/// Per-subject rules for new versions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubjectConfig {
    pub compatibility: Compatibility,
    pub open_objects: OpenObjects,
}

/// A version selector as URLs spell it: a number or `latest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionRef {
    Latest,
    Number(u32),
}

/// How a version is written, for messages that refuse another spelling (English).
pub const VERSION_FORMS: &str =
    "a whole number without leading zeros, a sign or spaces (1, 2, …), or `latest`";
/// [`VERSION_FORMS`] in Chinese.
pub const VERSION_FORMS_ZH: &str = "不带前导零、正负号或空格的整数（1、2……）或 latest";

/// What a text written where a whole number belongs in a URL (a version, an event's `seq`)
/// reads as. A number has one spelling, digits without a sign, spaces or leading zeros (`0`
/// alone is zero): `01`, `+1` or ` 1` would otherwise be further names of the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Numeral {
    Number(u64),
    /// Written as a number, but larger than any this reads (beyond 2^64 − 1): a range problem,
    /// not a spelling one.
    TooLarge,
    /// Not a number as written (`abc`, `01`, `+1`, ` 1`, `1.0`, empty).
    Misspelt,
}

impl Numeral {
    pub fn read(s: &str) -> Numeral {
        let b = s.as_bytes();
        let spelled = match b {
            [b'0'] => true,
            [first, ..] => (b'1'..=b'9').contains(first) && b.iter().all(u8::is_ascii_digit),
            [] => false,
        };
        match (spelled, s.parse::<u64>()) {
            (false, _) => Numeral::Misspelt,
            (true, Ok(n)) => Numeral::Number(n),
            (true, Err(_)) => Numeral::TooLarge,
        }
    }
}

impl VersionRef {
    /// `latest` or a version number in its one spelling, `[1-9][0-9]*`: `01`, `+1` or ` 1`
    /// would otherwise be further URLs of the same immutable document (cached apart, linked
    /// apart), so they name nothing.
    pub fn parse(s: &str) -> Option<VersionRef> {
        if s == "latest" {
            Some(VersionRef::Latest)
        } else {
            version_number(s).map(VersionRef::Number)
        }
    }
}

/// A version number in its one spelling (see [`VersionRef::parse`], [`Numeral`]).
fn version_number(s: &str) -> Option<u32> {
    match Numeral::read(s) {
        Numeral::Number(n) if n > 0 => u32::try_from(n).ok(),
        _ => None,
    }
}

/// Splits an envelope's `schema` field, `application.accepted/1`, into subject and version.
pub fn parse_schema_ref(s: &str) -> Option<(&str, u32)> {
    let (subject, version) = s.rsplit_once('/')?;
    Some((subject, version_number(version)?))
}

/// The verdict on a candidate ([`Registry::judge`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// What the subject's policy refuses: registering the candidate needs none of these.
    pub incompatibilities: Vec<Incompatibility>,
    /// What the policy does not refuse but other parties would meet: under `BACKWARD`, the
    /// forward incompatibilities with the latest version. Empty under the other policies.
    pub notices: Vec<Incompatibility>,
}

/// A subject in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectSummary {
    pub subject: String,
    pub kind: SubjectKind,
    /// The latest document's `title`.
    pub title: String,
    pub latest: u32,
    pub versions: Vec<u32>,
    pub config: SubjectConfig,
}

/// One registered version.
pub struct SchemaVersion {
    pub version: u32,
    pub schema: Value,
    compiled: OnceLock<Result<CompiledSchema, SchemaError>>,
    /// Whether this version reads the previous version's data as it is (backward compatible
    /// under the subject's config): worked out once, since every event or form read from an
    /// older version asks ([`upcast`]).
    reads_previous: OnceLock<bool>,
}

impl std::fmt::Debug for SchemaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaVersion")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl SchemaVersion {
    fn new(version: u32, schema: Value) -> SchemaVersion {
        SchemaVersion {
            version,
            schema,
            compiled: OnceLock::new(),
            reads_previous: OnceLock::new(),
        }
    }

    /// Validates an instance (structure and identifier checks), compiling on first use.
    pub fn check(&self, instance: &Value) -> Result<Report, SchemaError> {
        match self
            .compiled
            .get_or_init(|| CompiledSchema::compile(&self.schema))
        {
            Ok(c) => Ok(c.check(instance, "")),
            Err(e) => Err(e.clone()),
        }
    }
}

#[derive(Debug, Default)]
struct Subject {
    config: SubjectConfig,
    versions: Vec<SchemaVersion>,
    upcasters: BTreeMap<u32, Upcaster>,
}

/// Subjects and their versions.
#[derive(Debug, Default)]
pub struct Registry {
    subjects: BTreeMap<String, Subject>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::default()
    }

    /// Every subject this crate defines, from the checked-in files (built once).
    pub fn builtin() -> &'static Registry {
        static BUILTIN: OnceLock<Registry> = OnceLock::new();
        BUILTIN.get_or_init(builtin::build)
    }

    /// A fresh, mutable copy of the built-in registry (e.g. for a gateway that registers more).
    pub fn with_builtin() -> Registry {
        builtin::build()
    }

    /// Sets a subject's policy (creating the subject, without versions, if it is new).
    pub fn set_config(&mut self, subject: &str, config: SubjectConfig) {
        let s = self.subjects.entry(subject.to_string()).or_default();
        s.config = config;
        // Compatibility depends on the config: work it out again.
        for v in &mut s.versions {
            v.reads_previous = OnceLock::new();
        }
    }

    pub fn config(&self, subject: &str) -> Option<SubjectConfig> {
        self.subjects.get(subject).map(|s| s.config)
    }

    /// Every subject with its latest version, sorted by name. Subjects without versions are left out.
    pub fn subjects(&self) -> Vec<SubjectSummary> {
        self.subjects
            .iter()
            .filter_map(|(name, s)| {
                let latest = s.versions.last()?;
                Some(SubjectSummary {
                    subject: name.clone(),
                    kind: SubjectKind::of(name),
                    title: latest
                        .schema
                        .get("title")
                        .and_then(Value::as_str)
                        .unwrap_or(name)
                        .to_string(),
                    latest: latest.version,
                    versions: s.versions.iter().map(|v| v.version).collect(),
                    config: s.config,
                })
            })
            .collect()
    }

    /// The versions of a subject, oldest first.
    pub fn versions(&self, subject: &str) -> Option<Vec<u32>> {
        let s = self.subjects.get(subject)?;
        (!s.versions.is_empty()).then(|| s.versions.iter().map(|v| v.version).collect())
    }

    pub fn latest(&self, subject: &str) -> Option<u32> {
        self.subjects
            .get(subject)?
            .versions
            .last()
            .map(|v| v.version)
    }

    /// A registered version.
    pub fn get(&self, subject: &str, version: VersionRef) -> Option<&SchemaVersion> {
        let s = self.subjects.get(subject)?;
        match version {
            VersionRef::Latest => s.versions.last(),
            VersionRef::Number(n) => s.versions.iter().find(|v| v.version == n),
        }
    }

    /// A version's JSON Schema document.
    pub fn schema(&self, subject: &str, version: VersionRef) -> Option<&Value> {
        self.get(subject, version).map(|v| &v.schema)
    }

    fn version_or_err(
        &self,
        subject: &str,
        version: VersionRef,
    ) -> Result<&SchemaVersion, SchemaError> {
        if !self.subjects.contains_key(subject) {
            return Err(SchemaError::UnknownSubject(subject.to_string()));
        }
        self.get(subject, version)
            .ok_or_else(|| SchemaError::UnknownVersion {
                subject: subject.to_string(),
                version: match version {
                    VersionRef::Latest => 0,
                    VersionRef::Number(n) => n,
                },
            })
    }

    /// Validates an instance against a registered version.
    pub fn validate(
        &self,
        subject: &str,
        version: VersionRef,
        instance: &Value,
    ) -> Result<Report, SchemaError> {
        self.version_or_err(subject, version)?.check(instance)
    }

    /// Checks a candidate document against a subject without registering it: first that it is a
    /// valid draft 2020-12 schema whose examples validate, then every incompatibility under the
    /// subject's policy. An unknown subject has nothing to be incompatible with.
    pub fn check(
        &self,
        subject: &str,
        candidate: &Value,
    ) -> Result<Vec<Incompatibility>, SchemaError> {
        check_document(candidate)?;
        let Some(s) = self.subjects.get(subject) else {
            return Ok(Vec::new());
        };
        Ok(incompatibilities(s, candidate))
    }

    /// The whole verdict on a candidate, with the document checked (and compiled) once: what
    /// [`Registry::check`] answers, and the notices (see [`Verdict::notices`]). What the HTTP
    /// route and `tongban schemas check` both answer.
    pub fn judge(&self, subject: &str, candidate: &Value) -> Result<Verdict, SchemaError> {
        check_document(candidate)?;
        let Some(s) = self.subjects.get(subject) else {
            return Ok(Verdict::default());
        };
        Ok(Verdict {
            incompatibilities: incompatibilities(s, candidate),
            notices: notices(s, candidate),
        })
    }

    /// Registers `candidate` as the next version of `subject` if it passes [`Registry::check`];
    /// returns the new version number. Registering a document equal to the latest returns the latest.
    ///
    /// A change stored data cannot be read under as it is (a rename, a restructured field, a new
    /// required member) is registered by first registering the upcaster from the latest version
    /// ([`Registry::register_upcaster`]): the upcaster then answers for the backward direction, so
    /// backward incompatibilities are not refusals, but the upcaster must turn every example of
    /// the latest version into data the candidate accepts. Forward incompatibilities (a policy of
    /// FORWARD or FULL: readers still on an older version) are refused all the same, since no
    /// upcaster runs in another party's validator.
    pub fn register(&mut self, subject: &str, candidate: Value) -> Result<u32, SchemaError> {
        if let Some(latest) = self.subjects.get(subject).and_then(|s| s.versions.last())
            && latest.schema == candidate
        {
            return Ok(latest.version);
        }
        let mut found = self.check(subject, &candidate)?;
        if let Some((from, step, examples)) = self.step_from_latest(subject) {
            found.retain(|i| i.direction != Direction::Backward);
            if found.is_empty() {
                upcast::check_step(subject, from, step, &examples, &candidate)?;
            }
        }
        if !found.is_empty() {
            return Err(SchemaError::Incompatible {
                subject: subject.to_string(),
                incompatibilities: found,
            });
        }
        let s = self.subjects.entry(subject.to_string()).or_default();
        let version = s.versions.last().map_or(1, |v| v.version + 1);
        s.versions.push(SchemaVersion::new(version, candidate));
        Ok(version)
    }

    /// Registers the upcaster that turns data written under `from` into data of version `from + 1`.
    pub fn register_upcaster(&mut self, subject: &str, from: u32, upcaster: Upcaster) {
        self.subjects
            .entry(subject.to_string())
            .or_default()
            .upcasters
            .insert(from, upcaster);
    }

    /// The upcaster registered for `subject` from version `from`, if any.
    pub fn upcaster(&self, subject: &str, from: u32) -> Option<Upcaster> {
        self.subjects.get(subject)?.upcasters.get(&from).copied()
    }

    /// The latest version of `subject`, the upcaster registered from it (to a version not yet
    /// registered) and that version's examples.
    fn step_from_latest(&self, subject: &str) -> Option<(u32, Upcaster, Vec<Value>)> {
        let s = self.subjects.get(subject)?;
        let latest = s.versions.last()?;
        let step = *s.upcasters.get(&latest.version)?;
        let examples = latest
            .schema
            .get("examples")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Some((latest.version, step, examples))
    }

    /// Brings `data` written under `subject/version` up to the latest version through the chain of
    /// upcasters (a step without one is the identity, allowed only where the newer version reads the
    /// older's data unchanged). Returns the latest version and the upcast data, validated under it
    /// when an upcaster changed it (a chain of identity steps keeps valid data valid).
    pub fn upcast(
        &self,
        subject: &str,
        version: u32,
        data: Value,
    ) -> Result<(u32, Value), SchemaError> {
        upcast::run(self, subject, version, data)
    }

    /// The field table of a version, for web pages: path, Chinese title/description, type, required,
    /// format, example.
    pub fn fields(&self, subject: &str, version: VersionRef) -> Result<Vec<Field>, SchemaError> {
        Ok(fields::table(
            &self.version_or_err(subject, version)?.schema,
        ))
    }

    /// What changed from one version to another: fields added, removed or changed, and the
    /// incompatibilities in both directions.
    pub fn diff(
        &self,
        subject: &str,
        from: VersionRef,
        to: VersionRef,
    ) -> Result<SchemaDiff, SchemaError> {
        let a = self.version_or_err(subject, from)?;
        let b = self.version_or_err(subject, to)?;
        let open = self.config(subject).unwrap_or_default().open_objects;
        Ok(diff::diff(
            subject, a.version, &a.schema, b.version, &b.schema, open,
        ))
    }
}

/// How many schema nodes a document may amount to with its `$ref`s written out
/// ([`nodes::expanded_size`]). The largest published document is a few hundred
/// (`published_documents_stay_far_below_the_size_bound` holds them under a tenth of this); a
/// candidate past it would cost its examples' validation and the compatibility walk time
/// exponential in its size, so it is refused before either runs.
pub const MAX_EXPANDED_NODES: usize = 5_000;

/// The largest product of a candidate's expanded size and one example's nodes whose problems
/// are listed one by one (the builtin documents' largest is under 50,000).
pub const MAX_EXPLAINED_WORK: usize = 200_000;

/// The meta-schema every registry document names in `$schema`.
const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Why a document that does not compile fails, when a `$ref` of it is the cause: the first
/// that points outside the document (the registry resolves nothing over the network, and a
/// published document must stand alone) or at nothing inside it, located at that `$ref`
/// (`/properties/a/$ref: …`). The validator's own words name neither where the reference is
/// nor what to do about it. `None` when every reference resolves: the failure is another.
fn unresolved_ref(doc: &Value) -> Option<SchemaError> {
    let mut found = None;
    walk_refs(doc, doc, &mut String::new(), &mut found);
    found.map(SchemaError::Compile)
}

fn walk_refs(root: &Value, v: &Value, at: &mut String, found: &mut Option<String>) {
    if found.is_some() {
        return;
    }
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let problem = match r.strip_prefix('#') {
                    None => Some(
                        "external $refs are not supported: inline the definition (under \
                         `$defs`, referred to as `#/$defs/<name>`)"
                            .to_string(),
                    ),
                    Some(fragment) if !resolves(root, fragment) => Some(format!(
                        "`#{}` names nothing in this document: define it (under `$defs`) or \
                         correct the reference",
                        crate::mask::field_path(fragment)
                    )),
                    Some(_) => None,
                };
                if let Some(problem) = problem {
                    *found = Some(format!("{at}/$ref: {problem}"));
                    return;
                }
            }
            for (k, c) in m {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                walk_refs(root, c, at, found);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                walk_refs(root, c, at, found);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a `$ref`'s fragment names something in `root`: a JSON pointer (percent-decoded, as
/// a URI fragment is) or a plain name some `$anchor` declares.
fn resolves(root: &Value, fragment: &str) -> bool {
    if fragment.is_empty() {
        return true;
    }
    if fragment.starts_with('/') {
        let decoded = percent_decoded(fragment);
        return root.pointer(&decoded).is_some();
    }
    has_anchor(root, fragment)
}

fn has_anchor(v: &Value, name: &str) -> bool {
    match v {
        Value::Object(m) => {
            m.get("$anchor").and_then(Value::as_str) == Some(name)
                || m.values().any(|c| has_anchor(c, name))
        }
        Value::Array(items) => items.iter().any(|c| has_anchor(c, name)),
        _ => false,
    }
}

/// `%XX` escapes of a URI fragment decoded (invalid ones kept as written).
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A document the registry accepts: valid under its meta-schema (draft 2020-12), not larger than
/// [`MAX_EXPANDED_NODES`] with its references written out, compilable with the identifier
/// checks, and every `examples` entry valid under it.
pub fn check_document(doc: &Value) -> Result<(), SchemaError> {
    // Located at `/$schema` (`<pointer>: <message>`, as the meta-schema's findings are), so
    // that a candidate's author is pointed at the member to add or change.
    match doc.get("$schema") {
        Some(Value::String(s)) if s == DRAFT_2020_12 => {}
        Some(_) => {
            return Err(SchemaError::InvalidSchema(format!(
                "/$schema: names another draft, and the registry takes draft 2020-12 only \
                 (`\"$schema\": \"{DRAFT_2020_12}\"`)"
            )));
        }
        None => {
            return Err(SchemaError::InvalidSchema(format!(
                "/$schema: required: the registry takes draft 2020-12 only, named by \
                 `\"$schema\": \"{DRAFT_2020_12}\"`"
            )));
        }
    }
    let meta = jsonschema::draft202012::meta::validator();
    let problems: Vec<String> = meta
        .iter_errors(doc)
        .map(|e| format!("{}: {}", e.instance_path().as_str(), e.masked()))
        .collect();
    if !problems.is_empty() {
        return Err(SchemaError::InvalidSchema(problems.join("; ")));
    }
    let size = nodes::expanded_size(doc, MAX_EXPANDED_NODES);
    if size > MAX_EXPANDED_NODES {
        return Err(SchemaError::TooComplex(format!(
            "with its $refs written out the document has more than {MAX_EXPANDED_NODES} schema \
             nodes (unions of references multiplying through $defs): validating its examples \
             and checking its compatibility would take too long; flatten the unions"
        )));
    }
    let compiled = CompiledSchema::compile(doc).map_err(|e| unresolved_ref(doc).unwrap_or(e))?;
    // Every violation of every example, where it is: a maintainer fixes them all in one go.
    // Read lazily up to one past what is listed: a candidate is anyone's, and its examples can
    // hold more violations than memory (a thousand objects missing a thousand members each).
    // An example is explained problem by problem only while the schema's size times the
    // example's stays small: a union's error holds every branch's errors for each item, so a
    // few hundred branches over a thousand items would be built in memory before any cut. A
    // larger invalid example is named without its problems.
    let limit = crate::limits::MAX_PROBLEMS;
    let mut problems = Vec::new();
    if let Some(examples) = doc.get("examples").and_then(Value::as_array) {
        for (i, ex) in examples.iter().enumerate() {
            let room = limit + 1 - problems.len().min(limit + 1);
            if room == 0 {
                break;
            }
            let work = size.saturating_mul(nodes::json_nodes(ex, MAX_EXPLAINED_WORK));
            if work > MAX_EXPLAINED_WORK {
                if !compiled.passes(ex) {
                    problems.push(Violation::new(
                        format!("/examples/{i}"),
                        "invalid-example",
                        format!(
                            "example {i} does not validate against the candidate; it is too \
                             large against a schema this size for each problem to be listed: \
                             check it with a JSON Schema validator of your own"
                        ),
                    ));
                }
                continue;
            }
            let found = compiled.check_at_most(ex, &format!("/examples/{i}"), room);
            problems.extend(found.violations);
        }
    }
    if problems.len() > limit {
        problems.truncate(limit - 1);
        problems.push(Violation::new(
            "/examples",
            "too-many-problems",
            "其余问题未列出 (more problems not listed; fix these first)",
        ));
    }
    if !problems.is_empty() {
        return Err(SchemaError::InvalidExamples(problems));
    }
    Ok(())
}

/// What `candidate` would break that the subject's policy does not refuse, for information:
/// under a policy that checks only the backward direction (`BACKWARD`), the forward
/// incompatibilities with the latest version, i.e. data written under `candidate` that parties
/// still validating against the latest would refuse (a new member of a closed object). Nothing
/// runs in their systems to read it: the version must be announced to them first.
fn notices(s: &Subject, candidate: &Value) -> Vec<Incompatibility> {
    let policy = s.config.compatibility;
    // Only where the backward direction alone is refused: under NONE nothing is, and the
    // forward policies refuse these already.
    let (Some(latest), true, false) = (
        s.versions.last(),
        policy.checks_backward(),
        policy.checks_forward(),
    ) else {
        return Vec::new();
    };
    compatibility::forward(
        candidate,
        &latest.schema,
        s.config.open_objects,
        latest.version,
    )
    .into_iter()
    .map(|f| Incompatibility::found(f, Direction::Forward, latest.version))
    .collect()
}

fn incompatibilities(s: &Subject, candidate: &Value) -> Vec<Incompatibility> {
    let policy = s.config.compatibility;
    let against: Vec<&SchemaVersion> = if policy.transitive() {
        s.versions.iter().collect()
    } else {
        s.versions.last().into_iter().collect()
    };
    let mut out = Vec::new();
    for old in against {
        let tie = |direction: Direction| {
            move |f: compatibility::Finding| Incompatibility::found(f, direction, old.version)
        };
        if policy.checks_backward() {
            out.extend(
                compatibility::backward(candidate, &old.schema, s.config.open_objects, old.version)
                    .into_iter()
                    .map(tie(Direction::Backward)),
            );
        }
        if policy.checks_forward() {
            out.extend(
                compatibility::forward(candidate, &old.schema, s.config.open_objects, old.version)
                    .into_iter()
                    .map(tie(Direction::Forward)),
            );
        }
    }
    out
}

/// Builds a registry subject by subject from documents, for tests and tools.
pub(crate) fn push_unchecked(reg: &mut Registry, subject: &str, version: u32, schema: Value) {
    reg.subjects
        .entry(subject.to_string())
        .or_default()
        .versions
        .push(SchemaVersion::new(version, schema));
}

#[cfg(test)]
mod tests;
