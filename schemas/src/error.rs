//! The crate's error type at its boundary.

use crate::registry::Incompatibility;

/// Errors of the schema machinery itself (not of the data it validates: that is a [`crate::Violation`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A schema document could not be compiled (a bug in a published schema).
    #[error("schema does not compile: {0}")]
    Compile(String),
    /// A candidate document is not a valid draft 2020-12 schema, or its examples fail it.
    #[error("invalid schema: {0}")]
    InvalidSchema(String),
    /// A candidate document's `examples` fail it: every violation of every example, at
    /// `/examples/<i><pointer>` with its rule (at most `limits::MAX_PROBLEMS`).
    #[error("examples fail the schema: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidExamples(Vec<crate::Violation>),
    /// A candidate document too large to judge once its `$ref`s are written out
    /// (`registry::MAX_EXPANDED_NODES`).
    #[error("schema too complex: {0}")]
    TooComplex(String),
    #[error("unknown subject {0}")]
    UnknownSubject(String),
    /// Version 0 stands for `latest` of a subject without versions.
    #[error("subject {subject} has no version {version}")]
    UnknownVersion { subject: String, version: u32 },
    #[error("{} incompatibilit{} with subject {subject}: {}", incompatibilities.len(),
        if incompatibilities.len() == 1 { "y" } else { "ies" },
        incompatibilities.iter().map(|i| format!("{i} ({})", i.affects())).collect::<Vec<_>>().join("; "))]
    Incompatible {
        subject: String,
        incompatibilities: Vec<Incompatibility>,
    },
    /// A step of the upcasting chain has no upcaster and the versions are not compatible.
    #[error("no upcaster for {subject} from version {from}")]
    MissingUpcaster { subject: String, from: u32 },
    #[error("upcasting {subject} from version {from} failed: {message}")]
    Upcast {
        subject: String,
        from: u32,
        message: String,
    },
}
