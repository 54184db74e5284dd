//! 申请人: a person or an organisation, tagged by `"kind"` so a reader never has to guess.

use super::organisation::Organisation;
use super::person::Person;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// 申请人 (自然人 `person` 或 法人/其他组织 `organisation`)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Applicant {
    /// 自然人
    Person(Person),
    /// 法人或其他组织
    Organisation(Organisation),
}

/// 申请人 (仅限自然人，`"kind": "person"`), for matters only a person can apply for.
///
/// Its schema is the person's object with the `kind` tag, not the `oneOf` of one branch a
/// derived schema would be: a standard validator (a province's CI) reports a failing branch of a
/// `oneOf` as the whole applicant failing the `oneOf`, and an inlined object's failures at their
/// own fields (`/applicant/id_number`). Both accept the same applicants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PersonApplicant {
    /// 自然人
    Person(Person),
}

// The shape [`PersonApplicant`] (de)serialises as, derived for its schema only: the tagged union
// of one branch that [`PersonApplicant`]'s schema writes as that branch. Its doc comment is the
// published description.
/// 申请人 (仅限自然人，`"kind": "person"`), for matters only a person can apply for.
#[derive(JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[allow(dead_code)] // never built: only its schema is read
enum PersonApplicantUnion {
    /// 自然人
    Person(Person),
}

impl JsonSchema for PersonApplicant {
    fn schema_name() -> Cow<'static, str> {
        "PersonApplicant".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let union = PersonApplicantUnion::json_schema(generator);
        let branch = match union.get("oneOf") {
            Some(Value::Array(one)) if one.len() == 1 => one.first().and_then(Value::as_object),
            _ => None,
        };
        let Some(branch) = branch else {
            // schemars wrote the union otherwise than as one branch: published as written.
            return union;
        };
        let mut object = branch.clone();
        // The applicant's own words, not the branch's bare 自然人.
        match union.get("description") {
            Some(d) => object.insert("description".into(), d.clone()),
            None => object.remove("description"),
        };
        Schema::from(object)
    }
}

/// Which kinds of applicant a matter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApplicantKind {
    Person,
    Organisation,
}

impl ApplicantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicantKind::Person => "person",
            ApplicantKind::Organisation => "organisation",
        }
    }
}
