//! Reading a submission's applicant and form in the latest shape of its matter's schema.
//!
//! Events are immutable: a submission keeps the applicant and form in the shape of the matter
//! version they were validated against (`matter_version` in `application.submitted`). Once a
//! matter has a newer version, whatever hands the form to a reader (the canonical view, a
//! region's local form rendered by its adapter) upcasts it through the registry first, so readers
//! and adapters only ever see the latest shape. The projections keep the form as recorded and
//! upcast on read, not while folding: a form that does not upcast then fails the read of that
//! one application, never the projector (and with it every other application).

use serde_json::{Value, json};
use tongban_schemas::matters;
use tongban_schemas::registry::Registry;

use super::ApplicationView;

/// A submission's form that cannot be brought to the latest version of its matter's schema: a
/// missing or failing upcaster, or upcast data the latest version rejects. Names the application,
/// the matter and the versions; never the personal data in the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "application {app}: its form, recorded under matter.{matter}/{from}, cannot be read as \
     version {to}: {reason}"
)]
pub struct FormUpcastError {
    pub app: String,
    pub matter: String,
    /// The version the submission recorded.
    pub from: u32,
    /// The latest version, which the read asked for.
    pub to: u32,
    /// The registry's reason, with every quoted value masked.
    pub reason: String,
}

impl ApplicationView {
    /// The view with its applicant and form upcast from [`ApplicationView::matter_version`] to the
    /// latest version of the matter's subject in `registry`, and that version recorded. A view
    /// already at (or, read by an older build, past) the latest version, or of a matter the
    /// registry does not hold, is handed back as it is.
    ///
    /// The upcasters see the submission body the matter's schema describes (matter, mode, origin,
    /// handlers, applicant, form), without its materials: the view holds the supplements' too,
    /// which the matter's schema never described. Of what they return, only the applicant and
    /// form are taken: the route belongs to the lifecycle events.
    pub fn upcast_form(mut self, registry: &Registry) -> Result<ApplicationView, FormUpcastError> {
        let subject = matters::subject_of(&self.state.matter);
        let from = self.matter_version;
        let Some(to) = registry.latest(&subject).filter(|latest| from < *latest) else {
            return Ok(self);
        };
        let body = json!({
            "matter": self.state.matter,
            "mode": self.state.mode,
            "origin": self.state.origin,
            "handlers": self.state.handlers,
            "applicant": self.applicant.take(),
            "form": self.form.take(),
        });
        match registry.upcast(&subject, from, body) {
            Ok((version, mut upcast)) => {
                self.applicant = upcast.get_mut("applicant").map_or(Value::Null, Value::take);
                self.form = upcast.get_mut("form").map_or(Value::Null, Value::take);
                self.matter_version = version;
                Ok(self)
            }
            Err(e) => Err(FormUpcastError {
                app: self.state.id,
                matter: self.state.matter,
                from,
                to,
                // An upcaster's message is free text: mask what it quotes, as for stored events
                // that do not decode (violations are masked already).
                reason: tongban_schemas::mask::serde_error(&e),
            }),
        }
    }
}
