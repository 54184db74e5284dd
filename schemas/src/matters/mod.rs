//! The matters (事项) tongban carries, each with its canonical form, allowed modes, statutory time
//! limits and required materials. One file per matter; this module holds what they share.

mod business_registration;
mod checked;
mod criminal_record_certificate;
pub mod form_rules;
mod housing_fund_transfer;
mod hukou_transfer;
pub mod jurisdiction;
pub mod legacy_ids;
mod listed;
mod medical_filing;
mod pension_transfer;
mod social_security_card;
mod submission;
mod unemployment_registration;

pub use business_registration::BusinessRegistrationForm;
pub use checked::CheckedSubmission;
pub use criminal_record_certificate::CriminalRecordCertificateForm;
pub use form_rules::FormRule;
pub use housing_fund_transfer::HousingFundTransferForm;
pub use hukou_transfer::HukouTransferForm;
pub use jurisdiction::Jurisdiction;
pub use listed::{CheckAt, ListedRule, RuleKind, identity_rules};
pub use medical_filing::MedicalFilingForm;
pub use pension_transfer::PensionTransferForm;
pub use social_security_card::SocialSecurityCardForm;
pub use submission::{
    ROUTE_RULES, RouteRule, Submission, same_province_handlers, same_province_message,
};
pub use unemployment_registration::UnemploymentRegistrationForm;

use crate::blocks::ApplicantKind;
use crate::mode::Mode;
use crate::validation::{self, CompiledSchema};
use crate::violation::{Report, Violation};
use serde_json::Value;
use std::sync::OnceLock;

/// Statutory time limits in working days (行政许可法 Art. 32, 42, 44). These are the legal maxima;
/// provinces' shorter 承诺时限 belong to their adapters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct TimeLimits {
    /// 补正告知 / 受理 window (Art. 32: 5 days; after it the application counts as accepted)
    pub acceptance_days: u32,
    /// 审查决定 (Art. 42: 20 days)
    pub decision_days: u32,
    /// 延长 (Art. 42: +10 days, once)
    pub extension_days: u32,
    /// 颁发、送达证件 (Art. 44: 10 days)
    pub issue_days: u32,
}

impl TimeLimits {
    /// The 行政许可法 defaults: 5 / 20 / +10 / 10 working days.
    pub const STATUTORY: TimeLimits = TimeLimits {
        acceptance_days: 5,
        decision_days: 20,
        extension_days: 10,
        issue_days: 10,
    };
}

/// The rule of the warning that a material the matter's catalogue marks `required` is missing.
pub const MATERIAL_MISSING: &str = "material-missing";

/// A material the applicant hands in (its kind is the `kind` of a [`crate::blocks::MaterialRef`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct MaterialRequirement {
    pub kind: &'static str,
    pub name_zh: &'static str,
    pub required: bool,
}

/// A matter: what it is, how it may be handled and what its canonical submission looks like.
#[derive(Debug)]
pub struct Matter {
    /// Stable canonical code, lowercase kebab, e.g. `medical-filing`.
    pub code: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    /// 事项说明, for pages and the schema's description.
    pub description_zh: &'static str,
    /// Which modes the matter allows.
    pub modes: &'static [Mode],
    pub limits: TimeLimits,
    pub materials: &'static [MaterialRequirement],
    /// Who may apply.
    pub applicant_kinds: &'static [ApplicantKind],
    /// Version of the canonical schema written today (`matter.<code>/<version>` in the registry).
    pub version: u32,
    /// Which regions may handle an application: those governing the places the form names.
    pub jurisdiction: Jurisdiction,
    /// The mode, origin and handlers of [`Matter::example`].
    example_route: (Mode, &'static str, &'static [&'static str]),
    example_applicant: fn() -> Value,
    example_form: fn() -> Value,
    example_materials: fn() -> Value,
    /// The submission schema as schemars generates it, before this module adds the matter's specifics.
    base_schema: fn() -> schemars::Schema,
}

/// The registry subject of a matter's canonical schema, e.g. `matter.hukou-transfer`.
pub fn subject_of(code: &str) -> String {
    format!("matter.{code}")
}

impl Matter {
    pub fn subject(&self) -> String {
        subject_of(self.code)
    }

    /// One complete, valid submission body a newcomer can POST as is.
    pub fn example(&self) -> Value {
        let (mode, origin, handlers) = self.example_route;
        serde_json::json!({
            "matter": self.code,
            "mode": mode,
            "origin": origin,
            "handlers": handlers,
            "applicant": (self.example_applicant)(),
            "form": (self.example_form)(),
            "materials": (self.example_materials)(),
        })
    }

    /// The example routed from `origin` to `handlers` in `mode`, its places moved into that route
    /// ([`jurisdiction::relocate`]): a valid submission for regions other than the example's
    /// (load generators, benchmarks, tests).
    pub fn routed(&self, mode: Mode, origin: &str, handlers: &[&str]) -> Value {
        let mut body = self.example();
        body["mode"] = serde_json::json!(mode);
        body["origin"] = serde_json::json!(origin);
        body["handlers"] = serde_json::json!(handlers);
        jurisdiction::relocate(&self.jurisdiction, &mut body);
        body
    }

    /// The published JSON Schema (draft 2020-12) of the whole submission body, built once.
    pub fn schema(&self) -> &'static Value {
        let docs = DOCS.get_or_init(|| MATTERS.iter().map(submission::document).collect());
        &docs[self.index()]
    }

    /// The field table of the matter's schema (path, 中文标题, type, required, format, example), for pages.
    pub fn fields(&self) -> Vec<crate::registry::Field> {
        crate::registry::fields::table(self.schema())
    }

    /// The rules across the form's fields that JSON Schema cannot say ([`form_rules`]), which
    /// [`Matter::check`] and [`Matter::check_submission`] apply after the schema.
    pub fn rules(&self) -> &'static [FormRule] {
        form_rules::of(self.code)
    }

    /// Adds the violations of the form's rules to a report of the schema's findings (a rule
    /// reading a field the schema already found wrong is silent).
    fn apply_rules(&self, applicant: &Value, form: &Value, report: &mut Report) {
        let broken = form_rules::check(self.code, applicant, form, &report.violations);
        report.violations.extend(broken);
    }

    /// A warning ([`MATERIAL_MISSING`], at `/materials`) for each material the catalogue marks
    /// required that `body`'s `materials` lists no item of (by `kind`). Not a refusal: the law's
    /// answer to an incomplete application is the handler's 补正告知, not the origin's refusal to
    /// send it; but said, since a submission missing one was taken without a word and an adapter
    /// went on to accept it.
    fn missing_materials(&self, body: &Value) -> Vec<Violation> {
        let given: Vec<&str> = body
            .get("materials")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|m| m.get("kind").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        self.materials
            .iter()
            .filter(|m| m.required && !given.contains(&m.kind))
            .map(|m| {
                Violation::new(
                    "/materials",
                    MATERIAL_MISSING,
                    format!(
                        "缺少本事项必交材料 {}（{}），办理地可据此要求补正 (the required material \
                         kind {} is not among the materials: the handler may request a \
                         supplement for it)",
                        m.kind, m.name_zh, m.kind
                    ),
                )
            })
            .collect()
    }

    fn index(&self) -> usize {
        MATTERS
            .iter()
            .position(|m| m.code == self.code)
            .unwrap_or(0)
    }

    /// Validate the canonical applicant and form of a submission: the schema, then the form's
    /// rules ([`Matter::rules`]). Collects all problems; pointers start with `/applicant` or `/form`. Warnings (e.g. a 统一社会信用代码 with a failing check character)
    /// do not reject: read them with [`Matter::check`].
    pub fn validate(&self, applicant: &Value, form: &Value) -> Result<(), Vec<Violation>> {
        self.check(applicant, form).into_result()
    }

    /// Like [`Matter::validate`], returning warnings too.
    pub fn check(&self, applicant: &Value, form: &Value) -> Report {
        let compiled = CONTENT.get_or_init(|| {
            MATTERS
                .iter()
                .map(|m| CompiledSchema::compile(&submission::content_schema(m.schema())))
                .collect()
        });
        let mut report = match &compiled[self.index()] {
            Ok(c) => c.check(
                &serde_json::json!({ "applicant": applicant, "form": form }),
                "",
            ),
            Err(e) => Report {
                violations: vec![validation::internal(&e.to_string())],
                warnings: vec![],
            },
        };
        self.apply_rules(applicant, form, &mut report);
        report
    }

    /// Validate a whole submission body: the matter's schema (including mode rules: `joint` needs at
    /// least two handlers, `online`/`proxy` exactly one) plus the rules JSON Schema cannot say: the
    /// route's (the origin is not among the handlers, no handler twice), the form's
    /// ([`Matter::rules`]: an end date not before the start date …) and the handlers'
    /// jurisdiction ([`jurisdiction::check`]: each governs a place whose authority decides).
    pub fn check_submission(&self, body: &Value) -> Report {
        let compiled = FULL.get_or_init(|| {
            MATTERS
                .iter()
                .map(|m| CompiledSchema::compile(m.schema()))
                .collect()
        });
        let mut report = match &compiled[self.index()] {
            Ok(c) => c.check(body, ""),
            Err(e) => Report {
                violations: vec![validation::internal(&e.to_string())],
                warnings: vec![],
            },
        };
        submission::route_rules(body, &mut report);
        report.warnings.extend(self.missing_materials(body));
        self.apply_rules(
            body.get("applicant").unwrap_or(&Value::Null),
            body.get("form").unwrap_or(&Value::Null),
            &mut report,
        );
        // After the form's rules: a place they found wrong (a move within one province) is the
        // finding there, not also that no handler governs it.
        let outside = jurisdiction::check(&self.jurisdiction, body, &report.violations);
        report.violations.extend(outside);
        report.violations = submission::without_followers(body, report.violations);
        report
    }
}

static DOCS: OnceLock<Vec<Value>> = OnceLock::new();
static CONTENT: OnceLock<Vec<Result<CompiledSchema, crate::SchemaError>>> = OnceLock::new();
static FULL: OnceLock<Vec<Result<CompiledSchema, crate::SchemaError>>> = OnceLock::new();

static MATTERS: [Matter; 8] = [
    medical_filing::MATTER,
    pension_transfer::MATTER,
    hukou_transfer::MATTER,
    housing_fund_transfer::MATTER,
    social_security_card::MATTER,
    business_registration::MATTER,
    criminal_record_certificate::MATTER,
    unemployment_registration::MATTER,
];

/// Every matter, in a stable order.
pub fn all() -> &'static [Matter] {
    &MATTERS
}

/// The matter with this canonical code.
pub fn get(code: &str) -> Option<&'static Matter> {
    MATTERS.iter().find(|m| m.code == code)
}

/// Validate a whole submission body, looking the matter up from its `matter` field.
pub fn check_submission(body: &Value) -> Report {
    match body.get("matter").and_then(Value::as_str) {
        Some(code) => match get(code) {
            Some(m) => m.check_submission(body),
            None => Report {
                violations: vec![Violation::new(
                    "/matter",
                    "unknown-matter",
                    format!("未知事项编码 {code}"),
                )],
                warnings: vec![],
            },
        },
        None => Report {
            violations: vec![Violation::new(
                "/matter",
                "required",
                "缺少事项编码 matter (required)",
            )],
            warnings: vec![],
        },
    }
}

#[cfg(test)]
mod tests;
