//! How an application's view is kept in the projection store: in two parts, written at different
//! rates.
//!
//! - the **state** (status, seq, deadlines, material references, timestamps): small, rewritten by
//!   every event of the application;
//! - the **content** (applicant and form): the largest part, fixed by the submission, written once.
//!
//! One document per view rewrote the applicant and form with every event (and again in every
//! compaction of that keyspace) though they never change after the submission. Reads stay on the
//! projection store alone, so an application can be read while the log is unreachable (a NATS
//! outage).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tongban_schemas::blocks::material::MaterialRef;

use super::view::ApplicationView;
use crate::domain::Application;
use crate::domain::deadlines::Deadlines;

/// The state part of an [`ApplicationView`], borrowed for writing.
#[derive(Serialize)]
struct StateRef<'a> {
    state: &'a Application,
    submitted_at: &'a str,
    updated_at: &'a str,
    last_hash: &'a str,
    materials: &'a [MaterialRef],
    deadlines: &'a Deadlines,
}

/// The state part of an [`ApplicationView`], read back.
#[derive(Deserialize)]
struct State {
    state: Application,
    submitted_at: String,
    updated_at: String,
    last_hash: String,
    materials: Vec<MaterialRef>,
    deadlines: Deadlines,
}

/// The content part, borrowed for writing.
#[derive(Serialize)]
struct ContentRef<'a> {
    applicant: &'a Value,
    form: &'a Value,
}

/// The content part, read back.
#[derive(Deserialize)]
struct Content {
    applicant: Value,
    form: Value,
}

pub fn encode_state(view: &ApplicationView) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&StateRef {
        state: &view.state,
        submitted_at: &view.submitted_at,
        updated_at: &view.updated_at,
        last_hash: &view.last_hash,
        materials: &view.materials,
        deadlines: &view.deadlines,
    })
}

pub fn encode_content(view: &ApplicationView) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&ContentRef {
        applicant: &view.applicant,
        form: &view.form,
    })
}

/// The view from its state part, with applicant and form `null` (what folding later events needs).
pub fn decode_state(bytes: &[u8]) -> serde_json::Result<ApplicationView> {
    let s: State = serde_json::from_slice(bytes)?;
    Ok(ApplicationView {
        state: s.state,
        submitted_at: s.submitted_at,
        updated_at: s.updated_at,
        last_hash: s.last_hash,
        applicant: Value::Null,
        form: Value::Null,
        materials: s.materials,
        deadlines: s.deadlines,
    })
}

/// Fills a view decoded by [`decode_state`] with its content part.
pub fn add_content(view: &mut ApplicationView, bytes: &[u8]) -> serde_json::Result<()> {
    let c: Content = serde_json::from_slice(bytes)?;
    view.applicant = c.applicant;
    view.form = c.form;
    Ok(())
}
