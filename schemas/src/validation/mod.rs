//! Validation of instances against the published schemas: jsonschema for the structure plus the
//! identifier checks named by [`crate::blocks::CHECK_KEYWORD`], all problems collected at once and
//! turned into [`Violation`]s with JSON pointers and masked messages.

mod errors;
mod keyword;

pub use errors::to_report;
pub use keyword::{CHECKS, CheckRule, check_rules};

use crate::blocks::CHECK_KEYWORD;
use crate::violation::{Report, Violation};
use serde_json::Value;

/// A compiled schema: structure and identifier checks in one pass.
pub struct CompiledSchema {
    validator: jsonschema::Validator,
    /// The document compiled: findings are explained against it (whether a branch's `kind` is a
    /// tag, see [`to_report`]).
    document: Value,
}

impl std::fmt::Debug for CompiledSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CompiledSchema")
    }
}

impl CompiledSchema {
    /// Compiles a draft 2020-12 document; fails only for a broken document (a bug, not bad input).
    pub fn compile(schema: &Value) -> Result<CompiledSchema, crate::SchemaError> {
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_keyword(CHECK_KEYWORD, keyword::factory)
            .build(schema)
            .map_err(|e| crate::SchemaError::Compile(e.masked().to_string()))?;
        Ok(CompiledSchema {
            validator,
            document: schema.clone(),
        })
    }

    /// Every problem with `instance`; pointers are prefixed with `prefix` (e.g. `""` for a body root).
    ///
    /// A valid instance — the common case — is answered by jsonschema's `is_valid`, which builds no
    /// errors and tracks no locations; only an instance with findings is walked again to collect
    /// them. Warnings are findings too (the `x-tongban-check` keyword reports them as errors), so
    /// an instance with only warnings takes the second walk and keeps them.
    pub fn check(&self, instance: &Value, prefix: &str) -> Report {
        if self.validator.is_valid(instance) {
            return Report::default();
        }
        to_report(self.validator.iter_errors(instance), &self.document, prefix)
    }

    /// [`CompiledSchema::check`] reading at most `max` of jsonschema's errors, lazily: for
    /// instances nobody vouches for (a candidate schema's examples), where every error would be
    /// as many as the instance makes (a thousand objects missing a thousand members each) and
    /// would be built in memory before any cut.
    pub fn check_at_most(&self, instance: &Value, prefix: &str, max: usize) -> Report {
        if self.validator.is_valid(instance) {
            return Report::default();
        }
        to_report(
            self.validator.iter_errors(instance).take(max),
            &self.document,
            prefix,
        )
    }

    /// Whether `instance` passes, warnings counting as findings, without building a single
    /// error: for instances too large to explain (see the registry's examples check).
    pub fn passes(&self, instance: &Value) -> bool {
        self.validator.is_valid(instance)
    }

    pub fn is_valid(&self, instance: &Value) -> bool {
        self.check(instance, "").is_ok()
    }
}

/// A violation for a schema that could not be compiled: reported instead of panicking, so a broken
/// build shows up as a clear error on every request rather than a crash.
pub(crate) fn internal(message: &str) -> Violation {
    Violation::new("", "internal-schema", message)
}
