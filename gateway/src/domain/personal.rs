//! The personal numbers of one application: the 公民身份号码 and phone numbers its submission
//! names, the applicant's and every other person's (随迁人员, a contact's `contact_phone` …).
//!
//! A number a party chose for the application (an Idempotency-Key, a 受理编号 …:
//! [`super::serials`]) is personal data of the application when it is one of these, and only
//! then: a province's numbering by region code, date and sequence has an ID number's shape
//! (`440300261206001`, 6 + yyMMdd + 3, always passes the 15-digit legacy form; 18 digits, 6 +
//! yyyyMMdd + 4, about 1 in 11), and those numbers are the facts of a dispute. So an action's
//! number is warned of, and hidden in the timelines, when it equals one of the application's
//! own numbers ([`Personal::Own`]); the shape alone ([`crate::ids::personal_kind`],
//! [`Personal::Shaped`]) is judged only where no application's submission is at hand (the
//! Idempotency-Key of a submission, an action whose application cannot be read).

use std::collections::BTreeSet;

use serde_json::Value;
use tongban_schemas::ids::{gb11643::ResidentId, phone};

use crate::ids::{PersonalKind, typed_number};

/// The ID numbers and phone numbers of one application's submission, each in one normal form
/// (ID numbers upper-case and 18 characters, a legacy 15-digit one upgraded; phones without
/// spaces, dashes or the country code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnNumbers {
    ids: BTreeSet<String>,
    phones: BTreeSet<String>,
    /// The day the application was submitted (Beijing time), when known: the date a 受理编号 of
    /// region code, date and sequence carries lies near it ([`OwnNumbers::dated_near`]).
    submitted_on: Option<crate::time::CivilDate>,
}

impl OwnNumbers {
    /// The numbers in a submission's payload (or any part of it: applicant, form): every
    /// member named `id_number` (or ending so) and every one ending in `phone`, at any depth.
    pub fn of(data: &Value) -> OwnNumbers {
        let mut own = OwnNumbers::default();
        own.add(data);
        own
    }

    /// These numbers, of an application submitted at `at` (RFC 3339, the submission event's).
    pub fn submitted_at(mut self, at: &str) -> OwnNumbers {
        self.submitted_on = crate::time::Timestamp::parse_rfc3339(at).map(|t| t.china_date());
        self
    }

    /// Whether a serial's date (yyMMdd, six digits, of a number of a legacy ID number's shape,
    /// read as of 2000–2099; or yyyyMMdd, eight, of one of an 18-character number's first 17:
    /// [`crate::time::CivilDate::parse_compact`]) lies within 45 days of the day this
    /// application was submitted: a 受理编号's date is its intake's, a person's birth date
    /// decades before (or, a century before to the day, alike: the six digits cannot tell that
    /// one). False when the day is not known.
    pub fn dated_near(&self, date: &str) -> bool {
        let Some(day) = self.submitted_on else {
            return false;
        };
        crate::time::CivilDate::parse_compact(date).is_some_and(|d| (d.0 - day.0).abs() <= 45)
    }

    /// The numbers of an application's applicant and form, as its view holds them.
    pub fn of_parts(applicant: &Value, form: &Value) -> OwnNumbers {
        let mut own = OwnNumbers::of(applicant);
        own.add(form);
        own
    }

    fn add(&mut self, value: &Value) {
        match value {
            Value::Object(members) => {
                for (name, v) in members {
                    match v.as_str().filter(|s| !s.trim().is_empty()) {
                        Some(s) if name.ends_with("id_number") => {
                            self.ids.insert(id_form(s));
                        }
                        Some(s) if name.ends_with("phone") => {
                            self.phones.insert(phone_form(s));
                            // A landline with its extension is that landline too, as another
                            // number names it (`020-87654321` of `020-87654321-123`).
                            if let Some(line) = crate::ids::landline_without_extension(s) {
                                self.phones.insert(phone_form(&line));
                            }
                        }
                        _ => self.add(v),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.add(v)),
            _ => {}
        }
    }

    /// What `value` is of these numbers, if it is one: after normalising both sides (case, the
    /// 15 → 18-character upgrade, full-width characters and what numbers are grouped with:
    /// [`typed_number`], a phone's country code).
    pub fn kind_of(&self, value: &str) -> Option<PersonalKind> {
        if typed_number(value).is_empty() {
            return None;
        }
        if self.ids.contains(&id_form(value)) || self.first17_of_id(&typed_number(value)) {
            return Some(PersonalKind::ResidentId);
        }
        let phone = phone_form(value);
        self.phones.contains(&phone).then(|| {
            match phone::classify(&phone) == Some(phone::PhoneKind::Mobile) {
                true => PersonalKind::Mobile,
                false => PersonalKind::Phone,
            }
        })
    }
}

impl OwnNumbers {
    /// Whether the submission names an ID number: only then does one it does not name say
    /// that a number of that shape is none of the application's people's
    /// ([`crate::ids::own_serial_clear`]).
    pub fn has_ids(&self) -> bool {
        !self.ids.is_empty()
    }

    /// Whether `typed` ([`typed_number`]'s form) is the first 17 digits of one of the ID numbers
    /// (the number written without its check character, which they give).
    fn first17_of_id(&self, typed: &str) -> bool {
        typed.len() == 17
            && typed.bytes().all(|b| b.is_ascii_digit())
            && self
                .ids
                .iter()
                .any(|id| id.len() == 18 && id.starts_with(typed))
    }

    /// Whether the submission names a phone number (as [`OwnNumbers::has_ids`] for phones).
    pub fn has_phones(&self) -> bool {
        !self.phones.is_empty()
    }

    /// Whether `value` holds one of these numbers, whole or among other characters
    /// ([`OwnNumbers::kind_held_in`]).
    pub fn held_in(&self, value: &str) -> bool {
        self.kind_held_in(value).is_some()
    }

    /// The kind of these numbers `value` holds, whole or among other characters
    /// (`SL-13712345678`, `GD-330106580301002`), read as typed ([`typed_number`]: an `x` as
    /// `X`, full-width characters as their ASCII): an ID number in its 18 characters, its first
    /// 17 (which give the 18th) or its legacy 15-digit form, a phone in its national digits, a
    /// landline also without the extension the submission gave it. A
    /// serial that embeds the applicant's number is the applicant's number to whoever reads it.
    pub fn kind_held_in(&self, value: &str) -> Option<PersonalKind> {
        let typed = typed_number(value).to_ascii_uppercase();
        if typed.is_empty() {
            return None;
        }
        let legacy = |id: &str| {
            ResidentId::parse(id)
                .ok()
                .filter(|_| id.get(6..8) == Some("19"))
                .and_then(|_| Some(format!("{}{}", id.get(..6)?, id.get(8..17)?)))
        };
        // An 18-character number by its first 17 digits, which give the check character: the
        // number written without it, or with a wrong one, is the number still.
        let first17 = |id: &str| match ResidentId::parse(id) {
            Ok(_) => id.get(..17).unwrap_or(id).to_string(),
            Err(_) => id.to_string(),
        };
        let id = self.ids.iter().filter(|id| !id.is_empty()).any(|id| {
            typed.contains(&first17(id)) || legacy(id).is_some_and(|l| typed.contains(&l))
        });
        let phone = self
            .phones
            .iter()
            .find(|p| !p.is_empty() && typed.contains(p.as_str()));
        match (id, phone) {
            (true, _) => Some(PersonalKind::ResidentId),
            (false, Some(p)) if phone::classify(p) == Some(phone::PhoneKind::Mobile) => {
                Some(PersonalKind::Mobile)
            }
            (false, Some(_)) => Some(PersonalKind::Phone),
            (false, None) => None,
        }
    }
}

/// Who applies, as one identifier: the person's 公民身份号码 or the organisation's 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicantId {
    /// `person` or `organisation`, as the applicant's `kind` names it: a number is compared
    /// only with numbers of its own kind.
    pub kind: &'static str,
    /// The identifier in its one form: an ID number as [`OwnNumbers`] compares them (checked 18
    /// characters, a legacy 15-digit one upgraded, `x` as `X`), a credit code as typed
    /// ([`typed_number`]) in capitals.
    pub number: String,
}

impl ApplicantId {
    /// Where the canonical body gives it (`/applicant/id_number`, `/applicant/credit_code`):
    /// what a warning about the applicant points at.
    pub fn pointer(&self) -> &'static str {
        match self.kind {
            "organisation" => "/applicant/credit_code",
            _ => "/applicant/id_number",
        }
    }
}

/// The applicant's identifier in a submission's `applicant` (a person's `id_number`, an
/// organisation's `credit_code`), in one form whichever way it was typed, so that the same
/// applicant entered twice is one applicant; `None` for an applicant that gives neither (a
/// body the schema has not passed).
pub fn applicant_id(applicant: &Value) -> Option<ApplicantId> {
    let text = |name: &str| {
        applicant
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !typed_number(s).is_empty())
    };
    match applicant.get("kind").and_then(Value::as_str)? {
        "person" => Some(ApplicantId {
            kind: "person",
            number: id_form(text("id_number")?),
        }),
        "organisation" => Some(ApplicantId {
            kind: "organisation",
            number: typed_number(text("credit_code")?).to_ascii_uppercase(),
        }),
        _ => None,
    }
}

/// An ID number's one form: its checked 18 characters (a 15-digit one upgraded), or as given
/// upper-cased when it does not check (compared all the same: a number the submission gave);
/// read as typed ([`typed_number`]: full-width characters folded, grouping dropped).
fn id_form(s: &str) -> String {
    let c = typed_number(s);
    ResidentId::parse(&c)
        .map(|id| id.as_str().to_string())
        .unwrap_or_else(|_| c.to_ascii_uppercase())
}

/// A phone's one form: its digits as typed ([`typed_number`]: full-width ones too, without
/// spaces, dashes, dots, slashes or brackets), without the country code (`+86`, `0086`, `86`:
/// no number dialled inside China begins with 86) or a landline's trunk `0`, so that
/// `+86 28 8555 1234`, `(028)8555-1234` and `028.8555.1234` are one number. Anything else (a
/// letter among them, fewer than 7 digits) is compared in [`typed_number`]'s form.
fn phone_form(s: &str) -> String {
    let typed = typed_number(s);
    let digits = typed.strip_prefix('+').unwrap_or(&typed);
    if digits.len() < 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return typed;
    }
    let national = digits
        .strip_prefix("0086")
        .or_else(|| digits.strip_prefix("86"))
        .unwrap_or(digits);
    national.strip_prefix('0').unwrap_or(national).to_string()
}

/// Why a number a party chose counts as personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    /// It is one of the application's own numbers ([`OwnNumbers`]).
    Own(PersonalKind),
    /// No submission was at hand, and it has the shape of one ([`crate::ids::personal_kind`]).
    Shaped(PersonalKind),
    /// It holds one of the application's own numbers among other characters
    /// (`ZJ-330106198506122344`, [`OwnNumbers::kind_held_in`]).
    OwnHeld(PersonalKind),
    /// It holds one by its shape, whole or among other characters (`SL-13912345678`), as
    /// `tongban find` judges a serial ([`crate::ids::own_serial_shown`]).
    Held(PersonalKind),
}

impl Personal {
    /// Judges `value` against the application's numbers where they are at hand, by its shape
    /// where not.
    pub fn of(value: &str, own: Option<&OwnNumbers>) -> Option<Personal> {
        if value.trim().is_empty() {
            return None;
        }
        match own {
            Some(own) => own.kind_of(value).map(Personal::Own),
            None => crate::ids::personal_kind(value).map(Personal::Shaped),
        }
    }

    /// Judges a number a party chose for the application that a timeline shows (an event's
    /// serial: an Idempotency-Key, a 受理编号, a 决定文书编号, a 证照编号, a 快递单号) as
    /// `tongban find` and `GET /v1/applications?serial=` judge a serial
    /// ([`crate::ids::own_serial_shown`]), so that the timelines show no serial find hides:
    /// `None` when it may be shown, else why not, the application's own number first (whole,
    /// then among other characters), then what it holds by its shape. A number no rule gives a
    /// kind for (an address, `@`, with no submission at hand) is shown as the intake took it.
    pub fn of_serial(value: &str, own: Option<&OwnNumbers>) -> Option<Personal> {
        if value.trim().is_empty() || crate::ids::own_serial_shown(value, own) {
            return None;
        }
        Personal::of(value, own)
            .or_else(|| {
                own.and_then(|o| o.kind_held_in(value))
                    .map(Personal::OwnHeld)
            })
            .or_else(|| crate::ids::held_kind(value).map(Personal::Held))
    }

    pub fn kind(self) -> PersonalKind {
        match self {
            Personal::Own(k) | Personal::OwnHeld(k) | Personal::Shaped(k) | Personal::Held(k) => k,
        }
    }

    /// In English, as a warning or a timeline says it ("… the value {said}").
    pub fn said(self) -> String {
        match self {
            Personal::Own(k) => format!("is {} the application's submission names", k.said()),
            Personal::OwnHeld(k) => {
                format!("holds {} the application's submission names", k.said())
            }
            Personal::Shaped(k) => format!("reads as {}", k.said()),
            Personal::Held(k) => format!("holds {} by its shape", k.said()),
        }
    }

    /// In Chinese, as the dispute page says it.
    pub fn said_zh(self) -> String {
        match self {
            Personal::Own(k) => format!("为本申请所载{}", k.said_zh()),
            Personal::OwnHeld(k) => format!("含本申请所载{}", k.said_zh()),
            Personal::Shaped(k) => format!("疑为{}", k.said_zh()),
            Personal::Held(k) => format!("疑含{}", k.said_zh()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Given a submission whose contact landline has an extension, when numbers are judged
    /// against it, then the landline alone, in any grouping, and with its extension, is its
    /// number, and another extension of it too (the line is the person's); another landline
    /// is not. (Found by a review: `SL-020-87654321` was quoted for an application whose
    /// contact phone is `020-87654321-123`.)
    #[test]
    fn a_landline_given_with_its_extension_is_the_landline_too() {
        let own = OwnNumbers::of(&json!({
            "applicant": {"id_number": "33010619580301002X"},
            "form": {"contact_phone": "020-87654321-123"}
        }));
        for held in [
            "SL-020-87654321",
            "(020)8765-4321",
            "020-87654321-123",
            "020-87654321-9",
        ] {
            assert!(own.held_in(held), "{held}");
        }
        assert_eq!(own.kind_of("02087654321"), Some(PersonalKind::Phone));
        assert!(!own.held_in("SL-020-87654322"));
        // Of `0571-8765432-1`, a 7-digit line and its extension, or an 8-digit line grouped
        // oddly: both are its own.
        let odd = OwnNumbers::of(&json!({"form": {"contact_phone": "0571-8765432-1"}}));
        assert!(odd.held_in("0571-87654321") && odd.held_in("SL-0571-8765432"));
        assert!(!odd.held_in("0571-8765433"));
        assert!(!crate::ids::quotable_own_serial(
            "SL-020-87654321",
            &own.clone().submitted_at("2026-12-05T02:00:00Z")
        ));
    }

    /// Given a submission naming the applicant's 18-character ID number and mobile, a
    /// companion's legacy 15-digit number and a contact's landline, when numbers are judged
    /// against it, then each of them is found however it is written (case, legacy form,
    /// dashes, spaces, country code), and a 受理编号 with an ID number's shape
    /// (`440300261206001`) is not, though its shape alone would be.
    #[test]
    fn only_the_applications_own_numbers_are_its_personal_data() {
        let own = OwnNumbers::of(&json!({
            "applicant": {"id_number": "33010619580301002x", "phone": "13712345678"},
            "form": {
                "people": [{"person": {"id_number": "310101921120345"}}],
                "contact_phone": "028-85551234"
            }
        }));
        let id = Some(PersonalKind::ResidentId);
        assert_eq!(own.kind_of("33010619580301002X"), id);
        assert_eq!(own.kind_of("330106580301002"), id);
        assert_eq!(own.kind_of("310101921120345"), id);
        assert_eq!(own.kind_of("310101199211203453"), id);
        assert_eq!(own.kind_of("137 1234 5678"), Some(PersonalKind::Mobile));
        assert_eq!(own.kind_of("+86-137-1234-5678"), Some(PersonalKind::Mobile));
        assert_eq!(own.kind_of("02885551234"), Some(PersonalKind::Phone));
        // A landline in its international form, in brackets; a mobile in full-width digits.
        assert_eq!(own.kind_of("+86 28 8555 1234"), Some(PersonalKind::Phone));
        assert_eq!(own.kind_of("(028)8555-1234"), Some(PersonalKind::Phone));
        assert_eq!(
            own.kind_of("１３７１２３４５６７８"),
            Some(PersonalKind::Mobile)
        );
        // Grouped by dots, slashes or a full-width hyphen, in brackets, a full-width plus and X.
        for mobile in [
            "(+86)13712345678",
            "+86 (137) 1234 5678",
            "137.1234.5678",
            "137/1234/5678",
            "137－1234－5678",
            "＋8613712345678",
        ] {
            assert_eq!(own.kind_of(mobile), Some(PersonalKind::Mobile), "{mobile}");
        }
        assert_eq!(own.kind_of("330106.19580301.002Ｘ"), id);
        assert_eq!(own.kind_of("-()"), None);
        // The 18-character number written without its check character; a lowercase x.
        assert_eq!(own.kind_of("33010619580301002"), id);
        assert!(own.held_in("GD-33010619580301002") && own.held_in("SL-33010619580301002x"));
        assert!(!own.held_in("GD-3301061958030100"));
        for other in ["440300261206001", "330000202612060007", "13612345678", ""] {
            assert_eq!(own.kind_of(other), None, "{other}");
        }
        assert!(crate::ids::personal_kind("440300261206001").is_some());
        assert_eq!(
            Personal::of("440300261206001", None),
            Some(Personal::Shaped(PersonalKind::ResidentId))
        );
        assert_eq!(Personal::of("440300261206001", Some(&own)), None);
    }

    /// Given one person's ID number written four ways (lower-case check character, the legacy
    /// 15 digits, full-width digits, with spaces) and an organisation's credit code in lower
    /// case, when the applicant's identifier is read, then each way is the one identifier of
    /// its kind, and an applicant without one (or of no known kind) has none.
    #[test]
    fn an_applicant_entered_any_way_is_one_identifier() {
        let person = |id: &str| applicant_id(&json!({"kind": "person", "id_number": id}));
        let one = person("11010519491231002X").expect("an identifier");
        assert_eq!(
            (one.kind, one.number.as_str()),
            ("person", "11010519491231002X")
        );
        assert_eq!(one.pointer(), "/applicant/id_number");
        for same in [
            "11010519491231002x",
            "110105491231002",
            "１１０１０５１９４９１２３１００２Ｘ",
            "110105 19491231 002X",
        ] {
            assert_eq!(person(same).as_ref(), Some(&one), "{same}");
        }
        let org =
            applicant_id(&json!({"kind": "organisation", "credit_code": "91110000600037341l"}))
                .expect("an identifier");
        assert_eq!(
            (org.kind, org.number.as_str(), org.pointer()),
            (
                "organisation",
                "91110000600037341L",
                "/applicant/credit_code"
            )
        );
        assert_eq!(person(""), None);
        assert_eq!(
            applicant_id(&json!({"id_number": "11010519491231002X"})),
            None
        );
        assert_eq!(
            applicant_id(&json!({"kind": "robot", "id_number": "1"})),
            None
        );
    }
}
