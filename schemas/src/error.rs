//! The crate's error type at its boundary.

/// Errors of the schema machinery itself (not of the data it validates: that is a [`crate::Violation`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A schema document could not be compiled (a bug in a published schema).
    #[error("schema does not compile: {0}")]
    Compile(String),
}
