//! 申请人: a person or an organisation, tagged by `"kind"` so a reader never has to guess.

use super::organisation::Organisation;
use super::person::Person;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PersonApplicant {
    /// 自然人
    Person(Person),
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
