//! 15-digit (pre-1999) 公民身份号码 are stored upgraded to 18 characters (GB 11643: `19` inserted
//! before the year, the check character computed), whichever route a submission comes by. A
//! region's adapter upgrades a local form's number with its `id-number` transform; a canonical
//! body's are upgraded here, where the identity check found them (`gb11643-legacy`, at each
//! person's `/id_number`). One person then has one number in every application, as the
//! provinces' record matching needs, not two depending on how the application arrived. Both
//! upgrade through [`ResidentId::parse`], the one implementation of GB 11643's rule.

use serde_json::Value;

use crate::ids::gb11643::ResidentId;
use crate::violation::Violation;

/// The rule of the check's finding that a number is in the 15-digit form.
pub const LEGACY: &str = "gb11643-legacy";

/// The warning's words for the 15-digit number `raw`, shown masked: one message whichever route
/// the number came by (a canonical body's check, a local form's `id-number` transform), since it
/// is stored upgraded on both.
pub fn upgraded_message(raw: &str) -> String {
    format!(
        "公民身份号码 {} 为 15 位旧号，按 GB 11643 升位为 18 位号码存储 (a 15-digit legacy number: \
         it is stored upgraded to 18 characters)",
        crate::mask::id_number(raw)
    )
}

/// Replaces every number `warnings` reports in the legacy form (rule [`LEGACY`], at its pointer
/// in `body`) by its 18-character form. Returns each number replaced as it was sent, with its
/// pointer: what the submitter sent is still what its idempotent retry is recognised by. A
/// pointer that holds no such number (the check found none there) is left alone.
pub fn upgrade(body: &mut Value, warnings: &[Violation]) -> Vec<(String, Value)> {
    let mut sent = Vec::new();
    for w in warnings.iter().filter(|w| w.rule == LEGACY) {
        let Some(at) = body.pointer_mut(&w.pointer) else {
            continue;
        };
        let upgraded = match at.as_str().map(ResidentId::parse) {
            Some(Ok(id)) if at.as_str() != Some(id.as_str()) => id,
            _ => continue,
        };
        let before = std::mem::replace(at, Value::String(upgraded.as_str().to_string()));
        sent.push((w.pointer.clone(), before));
    }
    sent
}

/// `body` with the numbers [`upgrade`] replaced put back as they were sent.
pub fn as_sent(body: &Value, sent: &[(String, Value)]) -> Value {
    let mut out = body.clone();
    for (pointer, value) in sent {
        if let Some(at) = out.pointer_mut(pointer) {
            *at = value.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Given a body whose check reported two legacy numbers (one of them a nested person's),
    /// when they are upgraded, then each is its 18-character form, the numbers as sent come
    /// back with their pointers, and putting them back gives the body as it was; a warning of
    /// another rule, or at a pointer holding no legacy number, changes nothing.
    #[test]
    fn reported_legacy_numbers_are_upgraded_in_place() {
        let sent = json!({
            "applicant": {"id_number": "110105491231002"},
            "form": {"people": [{"person": {"id_number": "310101921120345"}}], "other": "110105491231002"}
        });
        let mut body = sent.clone();
        let warnings = [
            Violation::new("/applicant/id_number", LEGACY, "m"),
            Violation::new("/form/people/0/person/id_number", LEGACY, "m"),
            Violation::new("/form/other", "gb32100-checksum", "m"),
            Violation::new("/form/missing", LEGACY, "m"),
        ];
        let replaced = upgrade(&mut body, &warnings);
        assert_eq!(body["applicant"]["id_number"], "11010519491231002X");
        assert_eq!(
            body["form"]["people"][0]["person"]["id_number"],
            "310101199211203453"
        );
        assert_eq!(body["form"]["other"], "110105491231002");
        assert_eq!(
            replaced,
            [
                ("/applicant/id_number".to_string(), json!("110105491231002")),
                (
                    "/form/people/0/person/id_number".to_string(),
                    json!("310101921120345")
                ),
            ]
        );
        assert_eq!(as_sent(&body, &replaced), sent);
        // Upgrading again finds nothing left to upgrade.
        assert!(upgrade(&mut body, &warnings).is_empty());
    }
}
