//! Errors of the adapters crate. Spec errors are an author's mistakes and name the file and field;
//! form problems are the caller's and are [`crate::LocalProblem`]s, never these.

/// A spec file (or fragment, or code table) that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("{file}: not valid spec JSON: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: field {field}: {message}")]
    Field {
        file: String,
        field: String,
        message: String,
    },
    #[error("{file}: {message}")]
    Spec { file: String, message: String },
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}
