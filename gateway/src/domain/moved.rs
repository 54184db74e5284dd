//! Decoding a submission from JSON it owns, with its applicant and form moved in whole.
//!
//! The applicant and the form are free-form trees and the bulk of a submission. serde rebuilds a
//! `serde_json::Value` field map node by node, even when it deserializes from an owned tree, so
//! decoding a submission that way copies them. Both places that decode one from a tree they own
//! (a checked local form becoming the request, a stored event being folded) take the two members
//! out first, decode the small rest, and put them back.

use serde::de::DeserializeOwned;
use serde_json::Value;
use tongban_schemas::events::Submitted;
use tongban_schemas::matters::Submission;

/// A submission type whose applicant and form are free-form JSON trees.
pub trait ApplicantAndForm {
    fn put(&mut self, applicant: Value, form: Value);
}

/// A stored submission event's payload.
impl ApplicantAndForm for Submitted {
    fn put(&mut self, applicant: Value, form: Value) {
        self.applicant = applicant;
        self.form = form;
    }
}

/// A canonical submission request, its applicant and form not yet typed by a matter.
impl ApplicantAndForm for Submission<Value, Value> {
    fn put(&mut self, applicant: Value, form: Value) {
        self.applicant = applicant;
        self.form = form;
    }
}

/// Decodes `T` from `data`, moving its `applicant` and `form` members into it instead of
/// rebuilding them. A body without either member, or that is not an object, is refused as
/// decoding it directly would refuse it, with the same error.
pub fn with_applicant_and_form_moved<T: DeserializeOwned + ApplicantAndForm>(
    mut data: Value,
) -> Result<T, serde_json::Error> {
    let (applicant, form) = match &mut data {
        // `take` leaves `null` behind, which any `Value` field accepts.
        Value::Object(map) => (
            map.get_mut("applicant").map(Value::take),
            map.get_mut("form").map(Value::take),
        ),
        _ => (None, None),
    };
    let mut decoded = T::deserialize(data)?;
    if let (Some(applicant), Some(form)) = (applicant, form) {
        decoded.put(applicant, form);
    }
    Ok(decoded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Request = Submission<Value, Value>;

    #[test]
    fn moved_or_rebuilt_the_request_is_the_same() {
        for matter in tongban_schemas::matters::all() {
            let example = matter.example();
            let rebuilt: Request = serde_json::from_value(example.clone()).expect("example");
            let moved: Request = with_applicant_and_form_moved(example).expect("moved");
            assert_eq!(moved, rebuilt, "{}", matter.code);
        }
    }

    #[test]
    fn what_direct_decoding_refuses_is_refused_alike() {
        let example = tongban_schemas::matters::all()[0].example();
        let mut without_form = example.clone();
        without_form.as_object_mut().expect("object").remove("form");
        let mut unknown = example.clone();
        unknown["extra"] = json!(1);
        for body in [without_form, unknown, json!([1, 2]), json!(null)] {
            let direct = serde_json::from_value::<Request>(body.clone()).map_err(|e| e.to_string());
            let moved = with_applicant_and_form_moved::<Request>(body).map_err(|e| e.to_string());
            assert!(direct.is_err());
            assert_eq!(moved.map(|_| ()), direct.map(|_| ()));
        }
    }
}
