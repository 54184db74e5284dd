//! A submission body that passed its matter's whole check, as a type.
//!
//! A local form arrives through a region's adapter, which checks the canonical body against the
//! matter's full schema so that every problem can be reported in the province's own field names.
//! The gateway's submission gate would otherwise check the same body again. Holding the checked
//! body in a type that only [`Matter::check_owned`] makes, and that cannot be changed afterwards,
//! lets the gate skip the second check without opening a way around it: whatever it receives as a
//! [`CheckedSubmission`] is exactly what was checked, but for the 15-digit ID numbers the check
//! found, which it holds upgraded to 18 characters ([`super::legacy_ids`]): the body as it is to
//! be stored.

use std::ops::Deref;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::Matter;
use crate::violation::Report;

/// A canonical submission body with no violations under its matter's full schema, route rules and
/// form rules ([`Matter::rules`]) (warnings are allowed: they do not reject). Read it through `Deref`; take it apart with
/// [`CheckedSubmission::into_value`].
#[derive(Debug, Clone)]
pub struct CheckedSubmission {
    body: Value,
    matter: &'static Matter,
    /// The ID numbers upgraded from the 15-digit form, as sent, at their pointers.
    upgraded: Vec<(String, Value)>,
}

impl CheckedSubmission {
    /// The matter whose schema the body passed.
    pub fn matter(&self) -> &'static Matter {
        self.matter
    }

    pub fn into_value(self) -> Value {
        self.body
    }

    /// The body as its sender wrote it, when that differs from the body to store (a 15-digit
    /// ID number upgraded): what a submission's idempotent retry is recognised by, so that a
    /// retry is known whether or not the gateway that took the first upgraded its numbers.
    /// `None` when the two are the same, as for nearly every body.
    pub fn as_sent(&self) -> Option<Value> {
        (!self.upgraded.is_empty()).then(|| super::legacy_ids::as_sent(&self.body, &self.upgraded))
    }
}

impl Deref for CheckedSubmission {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.body
    }
}

impl PartialEq for CheckedSubmission {
    fn eq(&self, other: &CheckedSubmission) -> bool {
        self.matter.code == other.matter.code && self.body == other.body
    }
}

impl PartialEq<Value> for CheckedSubmission {
    fn eq(&self, other: &Value) -> bool {
        self.body == *other
    }
}

impl Serialize for CheckedSubmission {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.body.serialize(s)
    }
}

impl Matter {
    /// [`Matter::check_submission`], keeping the body: checked when the report has no violations,
    /// with its 15-digit ID numbers upgraded to 18 characters as they are stored (each still
    /// reported, `gb11643-legacy`); handed back as it was otherwise (for tracing the violations
    /// to where they came from).
    pub fn check_owned(&'static self, body: Value) -> (Report, Result<CheckedSubmission, Value>) {
        let report = self.check_submission(&body);
        let checked = if report.violations.is_empty() {
            let mut body = body;
            let upgraded = super::legacy_ids::upgrade(&mut body, &report.warnings);
            Ok(CheckedSubmission {
                body,
                matter: self,
                upgraded,
            })
        } else {
            Err(body)
        };
        (report, checked)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_a_body_without_violations_is_checked() {
        let m = super::super::get("social-security-card").expect("matter");
        let example = m.example();
        let (report, checked) = m.check_owned(example.clone());
        assert!(report.violations.is_empty(), "{:?}", report.violations);
        let checked = checked.expect("the example is valid");
        assert_eq!(checked, example);
        assert_eq!(checked.matter().code, "social-security-card");
        assert_eq!(serde_json::to_value(&checked).expect("json"), example);

        let mut bad = example.clone();
        bad["handlers"] = serde_json::json!([]);
        let (report, unchecked) = m.check_owned(bad.clone());
        assert!(!report.violations.is_empty());
        assert_eq!(unchecked.expect_err("not checked"), bad);
    }
}
