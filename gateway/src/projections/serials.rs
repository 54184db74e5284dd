//! The serial index: from a province's own number for an application to the application.
//!
//! Provinces name applications by their own serials, not by our ids: the origin by the
//! `Idempotency-Key` it submitted with (often its 申办流水号), the handler by the 受理编号 it gave
//! when accepting (`reference` of `application.accepted`). The projections keep, for each serial,
//! which region gave it and as what, so an operator (or a party) finds the application without
//! scanning the log (`GET /v1/applications?serial=`).
//!
//! A serial is whatever the province's system chose, and nothing stops a province from numbering
//! with something personal (an ID number as a case key), so the key holds a hash of it, never
//! the serial itself: `sha256("tongban/serial/v1\0" + serial)` (first 16 bytes, hex), 0x00, the
//! region that gave it, 0x00, the application id. Handlers number independently, so one serial
//! may name several applications; they sit side by side under one prefix.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::envelope::Envelope;

/// As what a region gave the serial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SerialKind {
    /// The origin's `Idempotency-Key` of the submission.
    IdempotencyKey,
    /// The handler's 受理编号 (`reference` of `application.accepted`).
    Reference,
}

impl SerialKind {
    /// As the API names it (`given_as`).
    pub fn as_str(self) -> &'static str {
        match self {
            SerialKind::IdempotencyKey => "idempotency-key",
            SerialKind::Reference => "reference",
        }
    }

    fn as_bytes(self) -> &'static [u8] {
        self.as_str().as_bytes()
    }

    fn from_bytes(bytes: &[u8]) -> Option<SerialKind> {
        match bytes {
            b"idempotency-key" => Some(SerialKind::IdempotencyKey),
            b"reference" => Some(SerialKind::Reference),
            _ => None,
        }
    }
}

/// One application a serial names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerialHit {
    pub app: String,
    /// The region that gave the serial (the origin for a key, the accepting handler for a
    /// 受理编号).
    pub region: String,
    pub kind: SerialKind,
}

/// The serial an event gives its application, if any: the submission's `Idempotency-Key`, or
/// the 受理编号 of an acceptance. Read before the event is folded (the fold takes its data); also
/// what `tongban find` looks for in the log.
pub fn of_event(e: &Envelope) -> Option<(SerialKind, String)> {
    let (kind, field) = match e.kind.as_str() {
        "application.submitted" => (SerialKind::IdempotencyKey, "idempotency_key"),
        "application.accepted" => (SerialKind::Reference, "reference"),
        _ => return None,
    };
    let serial = e.data.get(field)?.as_str()?;
    (!serial.is_empty()).then(|| (kind, serial.to_string()))
}

/// The serials the log may hold that a serial typed to look one up (`serial`, as an operator or
/// a window typed it: `GET /v1/applications?serial=`, `tongban find --serial`) names: itself,
/// its half-width form (full-width digits and letters, as an input method in full-width mode
/// types them, and the ideographic space, as their ASCII), and, where that form is a
/// 公民身份号码's (17 digits and a check character `x` or `X`: a province that keys its cases
/// by the applicant's number), the same number with the check character in either case: people
/// type the `X` in lower case as often as not, and GB 11643 reads both as one. Any other serial
/// is a province's own text, matched as written (`gd-1` is not `GD-1`). A serial the log holds
/// in full-width characters is found only as typed so. Shared by the projections' index and
/// `tongban find`, so the two name the same applications.
pub fn typed_forms(serial: &str) -> Vec<String> {
    let mut forms = vec![serial.to_string()];
    let half = tongban_adapters::transform::text::halfwidth(serial);
    let b = half.as_bytes();
    let id_number =
        b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && matches!(b[17], b'x' | b'X');
    let mut more = vec![half.clone()];
    if id_number {
        let first17 = &half[..17];
        more = vec![format!("{first17}X"), format!("{first17}x")];
    }
    for form in more {
        if !forms.contains(&form) {
            forms.push(form);
        }
    }
    forms
}

/// The prefix every entry of `serial` starts with.
pub(super) fn prefix(serial: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"tongban/serial/v1\0");
    h.update(serial.as_bytes());
    let mut k = String::with_capacity(33);
    crate::hex::push(&h.finalize()[..16], &mut k);
    k.push('\0');
    k.into_bytes()
}

/// The entry's key and value.
pub(super) fn entry(serial: &str, region: &str, app: &str, kind: SerialKind) -> (Vec<u8>, Vec<u8>) {
    let mut k = prefix(serial);
    k.extend_from_slice(region.as_bytes());
    k.push(0);
    k.extend_from_slice(app.as_bytes());
    (k, kind.as_bytes().to_vec())
}

/// An entry read back (`None` for one this build does not know how to read).
pub(super) fn hit(key: &[u8], value: &[u8]) -> Option<SerialHit> {
    let rest = key.get(33..)?;
    let split = rest.iter().position(|b| *b == 0)?;
    Some(SerialHit {
        region: String::from_utf8(rest[..split].to_vec()).ok()?,
        app: String::from_utf8(rest[split + 1..].to_vec()).ok()?,
        kind: SerialKind::from_bytes(value)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Given serials as people type them, when their forms are looked up, then an ID number's
    /// check character is matched in either case and full-width characters as their ASCII,
    /// while any other serial keeps its letter case.
    #[test]
    fn a_typed_serial_names_its_id_numbers_either_check_character() {
        let forms = |s: &str| {
            let mut f = typed_forms(s);
            f.sort();
            f
        };
        let id = ["11010519491231002X", "11010519491231002x"];
        assert_eq!(forms("11010519491231002x"), id);
        assert_eq!(forms("11010519491231002X"), id);
        assert_eq!(
            forms("１１０１０５１９４９１２３１００２ｘ"),
            [
                "11010519491231002X",
                "11010519491231002x",
                "１１０１０５１９４９１２３１００２ｘ"
            ]
        );
        assert_eq!(forms("ＧＤ-1"), ["GD-1", "ＧＤ-1"]);
        assert_eq!(forms("gd-1"), ["gd-1"]);
        assert_eq!(forms("110105194912310021"), ["110105194912310021"]);
        // Seventeen digits and another letter: no ID number, matched as written.
        assert_eq!(forms("11010519491231002y"), ["11010519491231002y"]);
    }

    #[test]
    fn keys_hold_a_hash_of_the_serial_and_read_back() {
        let (key, value) = entry(
            "11010519491231002X",
            "440000",
            "0192aaaa-0000-7000-8000-000000000001",
            SerialKind::Reference,
        );
        assert!(!String::from_utf8_lossy(&key).contains("11010519491231002X"));
        assert!(key.starts_with(&prefix("11010519491231002X")));
        assert!(!key.starts_with(&prefix("11010519491231002x")));
        assert_eq!(
            hit(&key, &value),
            Some(SerialHit {
                app: "0192aaaa-0000-7000-8000-000000000001".into(),
                region: "440000".into(),
                kind: SerialKind::Reference,
            })
        );
    }
}
