//! How an application's view is kept in the projection store: its state, deadlines and material
//! references, and the log position of its submission instead of the applicant and form.
//!
//! The applicant and form are the personal data of the application and the largest part of it.
//! They are in the log already (the submission event); keeping a second copy in every view would
//! double what each submission writes (views are rewritten on every event, and again by every
//! compaction) and put the same personal data in two stores. A read of the view takes them from
//! the submission event at the recorded position: one point read of the log.

use serde::{Deserialize, Serialize};
use tongban_schemas::blocks::material::MaterialRef;

use super::view::ApplicationView;
use crate::domain::Application;
use crate::domain::deadlines::Deadlines;

/// The stored form of an [`ApplicationView`], borrowed for writing.
#[derive(Serialize)]
struct StoredRef<'a> {
    state: &'a Application,
    submitted_at: &'a str,
    updated_at: &'a str,
    last_hash: &'a str,
    materials: &'a [MaterialRef],
    deadlines: &'a Deadlines,
    submission: u64,
}

/// The stored form of an [`ApplicationView`], read back.
#[derive(Deserialize)]
struct Stored {
    state: Application,
    submitted_at: String,
    updated_at: String,
    last_hash: String,
    materials: Vec<MaterialRef>,
    deadlines: Deadlines,
    submission: u64,
}

/// A view as the store holds it: everything but the applicant and form (left `null`), and where
/// in the log the submission event that carries them is.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredView {
    pub view: ApplicationView,
    /// The log position of the application's submission event.
    pub submission: u64,
}

pub fn encode(view: &ApplicationView, submission: u64) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&StoredRef {
        state: &view.state,
        submitted_at: &view.submitted_at,
        updated_at: &view.updated_at,
        last_hash: &view.last_hash,
        materials: &view.materials,
        deadlines: &view.deadlines,
        submission,
    })
}

pub fn decode(bytes: &[u8]) -> serde_json::Result<StoredView> {
    let s: Stored = serde_json::from_slice(bytes)?;
    Ok(StoredView {
        view: ApplicationView {
            state: s.state,
            submitted_at: s.submitted_at,
            updated_at: s.updated_at,
            last_hash: s.last_hash,
            applicant: serde_json::Value::Null,
            form: serde_json::Value::Null,
            materials: s.materials,
            deadlines: s.deadlines,
        },
        submission: s.submission,
    })
}
