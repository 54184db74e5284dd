//! Every rule a matter's submission is held to beyond its JSON Schema's structure, in one list:
//! the route's rules ([`super::submission::ROUTE_RULES`]), the identifier checks its published
//! document carries (`x-tongban-check`, at every field that has one) and the rules across the
//! form's fields ([`super::form_rules`]). A province's team reads from it what each refusal's (or
//! warning's) code means and which field it names, without reading the code.

use super::Matter;
use crate::blocks::CHECK_KEYWORD;
use crate::registry::nodes::resolve;
use crate::validation::check_rules;
use serde::Serialize;
use serde_json::Value;

/// Where a listed rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// The application's regions: origin and handlers.
    Route,
    /// An identifier check of the schema (`x-tongban-check`).
    Identity,
    /// A rule across the form's fields.
    Form,
}

/// One rule of a matter, as `/v1/matters` and the registry page list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListedRule {
    /// Stable machine code: the finding's `rule`.
    pub code: &'static str,
    /// The field a finding names: a JSON pointer from the body's root, `*` for any list item.
    pub pointer: String,
    /// What the rule requires, in Chinese with the English in parentheses.
    pub rule_zh: &'static str,
    pub kind: RuleKind,
    /// A warning is reported beside an accepted submission; every other finding refuses it.
    pub warning: bool,
    /// For an identifier check: its `x-tongban-check` value and the field it is on (for a person,
    /// the person object: `/applicant`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<CheckAt>,
}

/// An `x-tongban-check` and the field that carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckAt {
    pub name: &'static str,
    pub on: String,
}

/// How deep [`checks_in`] follows a document (a `$ref` cycle ends there).
const MAX_DEPTH: usize = 32;

/// Every `(instance pointer, check)` of the document, each once, in document order.
fn checks_in(root: &Value) -> Vec<(String, String)> {
    fn walk(root: &Value, s: &Value, path: &str, depth: usize, out: &mut Vec<(String, String)>) {
        if depth > MAX_DEPTH {
            return;
        }
        let s = resolve(root, s);
        if let Some(check) = s.get(CHECK_KEYWORD).and_then(Value::as_str) {
            let found = (path.to_string(), check.to_string());
            if !out.contains(&found) {
                out.push(found);
            }
        }
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (name, p) in props {
                walk(root, p, &format!("{path}/{name}"), depth + 1, out);
            }
        }
        if let Some(items) = s.get("items") {
            walk(root, items, &format!("{path}/*"), depth + 1, out);
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            for b in s.get(key).and_then(Value::as_array).into_iter().flatten() {
                walk(root, b, path, depth + 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, "", 0, &mut out);
    out
}

/// The identifier checks a document carries (`x-tongban-check`), each finding at each field it
/// checks: of the matter's current document in [`Matter::listed_rules`], of an older version's
/// own document on that version's registry page, since the checks a validator of a version runs
/// are those its document names (a check added in a later version is not one of them).
pub fn identity_rules(doc: &Value) -> Vec<ListedRule> {
    checks_in(doc)
        .into_iter()
        .flat_map(|(on, name)| {
            let rules = check_rules(&name);
            let name = crate::validation::CHECKS
                .iter()
                .map(|(n, _)| *n)
                .find(|n| *n == name)
                .unwrap_or("");
            rules.iter().map(move |c| ListedRule {
                code: c.code,
                pointer: format!("{on}{}", c.suffix),
                rule_zh: c.rule_zh,
                kind: RuleKind::Identity,
                warning: c.warning,
                check: Some(CheckAt {
                    name,
                    on: on.clone(),
                }),
            })
        })
        .collect()
}

impl Matter {
    /// Every rule of the matter beyond its schema's structure: route, identifier checks (each
    /// finding at each field its document checks), then the form's rules.
    pub fn listed_rules(&self) -> Vec<ListedRule> {
        let route = super::submission::ROUTE_RULES.iter().map(|r| ListedRule {
            code: r.code,
            pointer: r.pointer.to_string(),
            rule_zh: r.rule_zh,
            kind: RuleKind::Route,
            warning: false,
            check: None,
        });
        // At each handler; in a joint application also at each place no handler governs.
        let joint = self.modes.contains(&crate::mode::Mode::Joint);
        let places = self.jurisdiction.handled.iter().filter(|_| joint);
        let jurisdiction = std::iter::once("/handlers/*")
            .chain(places.copied())
            .map(|pointer| ListedRule {
                code: super::jurisdiction::CODE,
                pointer: pointer.into(),
                rule_zh: self.jurisdiction.rule_zh,
                kind: RuleKind::Route,
                warning: false,
                check: None,
            });
        let identity = identity_rules(self.schema());
        let form = self.rules().iter().map(|r| ListedRule {
            code: r.code,
            pointer: r.pointer.to_string(),
            rule_zh: r.rule_zh,
            kind: RuleKind::Form,
            warning: false,
            check: None,
        });
        route
            .chain(jurisdiction)
            .chain(identity)
            .chain(form)
            .collect()
    }
}
