//! What is wrong with a submission, said so that a caller can point at the field and a log line can
//! carry it: a JSON pointer, a machine rule name and a message that never repeats personal data.

use serde::{Deserialize, Serialize};

/// One problem found in a submission (or, as a warning, one doubt that does not reject it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Violation {
    /// JSON pointer from the body root, e.g. `/applicant/id_number`.
    pub pointer: String,
    /// Short machine rule name, e.g. `gb11643-checksum`, `required`, `type`.
    pub rule: String,
    /// For people. Never contains the offending personal value in clear: identifiers, phones and names
    /// are masked (e.g. `1101**********002X`), because violations end up in logs and problem documents.
    pub message: String,
    /// For an `enum` or `const` finding, the canonical values the rule allows, which the message
    /// names: a caller that maps its own codes onto them (the adapters' code tables) says them in
    /// those codes instead. Not part of the problem document (the message says them).
    #[serde(skip)]
    pub allowed: Vec<serde_json::Value>,
}

impl Violation {
    pub fn new(
        pointer: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Violation {
            pointer: pointer.into(),
            rule: rule.into(),
            message: message.into(),
            allowed: Vec::new(),
        }
    }

    /// The violation, with the canonical values its rule allows ([`Violation::allowed`]).
    pub fn allowing(mut self, allowed: Vec<serde_json::Value>) -> Self {
        self.allowed = allowed;
        self
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]: {}", self.pointer, self.rule, self.message)
    }
}

/// The outcome of checking a submission: violations reject it, warnings are reported but accepted
/// (e.g. a 统一社会信用代码 whose check character fails, as some early real codes do).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub violations: Vec<Violation>,
    pub warnings: Vec<Violation>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// `Ok` when nothing rejects the submission (warnings are dropped; read them from the report).
    pub fn into_result(self) -> Result<(), Vec<Violation>> {
        if self.violations.is_empty() {
            Ok(())
        } else {
            Err(self.violations)
        }
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// One step of the path to where a walk through a JSON value is, kept borrowed: a walk spells
/// the pointer out ([`pointer`]) only where it finds something, so a value with nothing to
/// report (nearly every one) costs no allocation per member.
pub enum Step<'a> {
    Member(&'a str),
    Item(usize),
}

/// The JSON pointer (RFC 6901) a walk's `path` leads to.
pub fn pointer(path: &[Step<'_>]) -> String {
    let mut out = String::new();
    for step in path {
        out.push('/');
        match step {
            Step::Member(name) => out.push_str(&escape_token(name)),
            Step::Item(i) => out.push_str(&i.to_string()),
        }
    }
    out
}

/// Whether a problem at `pointer` is a consequence of one already found at `found` (the same
/// pointer or one of its ancestors), so that it is not reported a second time: a handler whose
/// code is no GB/T 2260 code is not also reported as no region of the federation.
pub fn covers(found: &str, pointer: &str) -> bool {
    pointer == found
        || (pointer.starts_with(found) && pointer.as_bytes().get(found.len()) == Some(&b'/'))
}

/// The findings of a check run beside the schema (the gateway's handlers that are no region of
/// the federation) that are not a consequence of one already found at a pointer of `found` (see
/// [`covers`]). Written once because two routes ask it: the canonical body route and the adapters'
/// local form route, which must report the same problems for the same body.
pub fn uncovered(found: &[&str], extra: Vec<Violation>) -> Vec<Violation> {
    extra
        .into_iter()
        .filter(|v| !found.iter().any(|f| covers(f, &v.pointer)))
        .collect()
}

/// Whether a finding of the schema's check with `rule` at `pointer` gives way to one of the
/// gateway's (`extra`) at the same field: a handler that is no region of the federation is that,
/// not also a region without jurisdiction over the form's places. Such a finding neither covers
/// the gateway's ([`uncovered`]) nor is reported beside it.
pub fn gives_way(rule: &str, pointer: &str, extra: &[Violation]) -> bool {
    rule == crate::matters::jurisdiction::CODE && extra.iter().any(|e| e.pointer == pointer)
}

/// Whether a finding with `rule` covers the gateway's at its field ([`uncovered`]): every one
/// but a handler's jurisdiction, which gives way to them ([`gives_way`]).
pub fn covers_gateways(rule: &str) -> bool {
    rule != crate::matters::jurisdiction::CODE
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_pointer_is_covered_by_itself_and_its_ancestors_only() {
        assert!(super::covers("/handlers/0", "/handlers/0"));
        assert!(super::covers("/handlers", "/handlers/0"));
        assert!(super::covers("", "/handlers/0"));
        assert!(!super::covers("/handlers/1", "/handlers/10"));
        assert!(!super::covers("/handlers/0", "/handlers"));
    }

    #[test]
    fn only_findings_no_earlier_one_covers_are_added() {
        let v = |p: &str| super::Violation::new(p, "unknown-region", "no such region");
        let extra = vec![v("/handlers/0"), v("/handlers/1"), v("/handlers/10")];
        let kept = super::uncovered(&["/handlers/1", "/applicant"], extra);
        assert_eq!(kept, vec![v("/handlers/0"), v("/handlers/10")]);
        assert_eq!(
            super::uncovered(&["/handlers"], vec![v("/handlers/0")]),
            vec![]
        );
    }
}
