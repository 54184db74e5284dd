//! 管辖: which regions may handle a matter's application. A handler is the authority that
//! decides, and only the authority of the place the form names may decide: the insured region
//! (参保地) files a medical treatment elsewhere, the police of the places moved out of and into
//! transfer a hukou, the registration authority of the enterprise's seat registers it. An
//! application routed to any other region reached a platform that has no power to decide it, and
//! was found out only when that platform refused it, days later, or worse, decided it.
//!
//! Each matter names its places ([`Jurisdiction`]); a submission's handlers are checked against
//! the form's values there ([`check`]). A region governs a place when it is that region or
//! contains it (a province governs its cities and counties): the federation's regions are
//! provincial platforms or cities, the forms name counties.

use serde_json::Value;

use crate::ids::gb2260;
use crate::violation::{Violation, covers};

/// The rule's code, as findings and the rule lists name it.
pub const CODE: &str = "handler-jurisdiction";

/// Where a matter's application is decided.
#[derive(Debug, Clone, Copy)]
pub struct Jurisdiction {
    /// Pointers (from the body's root) to the division codes of the places whose authorities
    /// decide. Each handler must govern one of them, and a joint application (several handlers)
    /// must have every one governed by a handler.
    pub handled: &'static [&'static str],
    /// With one handler: whether it may govern any of the places (a transfer: the region moved
    /// from or to), or must govern the first (a hukou transfer: the police of the place moved
    /// into approve the move and have the other place complete the move-out, 一站式迁移).
    pub any_place: bool,
    /// Places the applicant is at, away from the handler (the treatment region of a medical
    /// filing): where [`relocate`] puts the origin. Not checked.
    pub elsewhere: &'static [&'static str],
    /// What the rule requires, in Chinese with the English in parentheses, naming the fields:
    /// for the rule lists.
    pub rule_zh: &'static str,
    /// Who decides, in words without field names (a finding of a local form names the
    /// province's own field, not the canonical one): for the findings' messages.
    pub decides_zh: &'static str,
}

/// Whether region `handler` (a 6-digit code) governs `place` (a 6- or 12-digit division code): it
/// is that region, or a province or city that contains it (`440000` governs `440305`; `440300`
/// governs `440305` but not `440106`).
pub fn governs(handler: &str, place: &str) -> bool {
    if handler.len() != 6 || !handler.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let mut prefix = handler;
    while prefix.len() > 2 && prefix.ends_with("00") {
        prefix = &prefix[..prefix.len() - 2];
    }
    place.starts_with(prefix)
}

/// The findings of the rule in `body`. Silent where `found` (the findings so far) has one at the
/// handlers or at a place: its answer would follow from that one.
pub fn check(j: &Jurisdiction, body: &Value, found: &[Violation]) -> Vec<Violation> {
    let reads = j.handled.iter().copied().chain(["/handlers"]);
    let follows = |r: &str| {
        found
            .iter()
            .any(|v| covers(r, &v.pointer) || covers(&v.pointer, r))
    };
    if reads.clone().any(follows) {
        return vec![];
    }
    let Some(handlers) = body.get("handlers").and_then(Value::as_array) else {
        return vec![];
    };
    let handlers: Vec<&str> = handlers.iter().filter_map(Value::as_str).collect();
    let origin = body.get("origin").and_then(Value::as_str);
    let by_origin = |place: &str| origin.is_some_and(|o| governs(o, place));
    // The places the form names, an optional one left out being no place. A code no longer in
    // use is not judged: its digits follow the boundaries of its day (510202 was Sichuan's
    // before Chongqing's, and a household region copied from an ID number is often that old),
    // so who governs it now cannot be read from them; a handler may be governing it.
    let mut old = false;
    let mut places: Vec<(&str, &str)> = Vec::new();
    for &pointer in j.handled {
        let Some(code) = body.pointer(pointer).and_then(Value::as_str) else {
            continue;
        };
        if gb2260::lookup(code).is_some_and(|d| d.is_current()) {
            places.push((pointer, code));
        } else {
            old = true;
        }
    }
    if handlers.is_empty() || places.is_empty() {
        return vec![];
    }
    // Where the first place decides (a move: the police of the place moved into), the lead
    // must govern it, unless the origin does: then its window took the application there (迁入地
    // 一站式) and the handler is the other place's authority.
    let first = j.handled.first().copied();
    let lead_place = places
        .iter()
        .find(|(p, code)| !j.any_place && Some(*p) == first && !by_origin(code));
    let mut out = Vec::new();
    for (i, h) in handlers.iter().enumerate() {
        let lead = lead_place.filter(|_| i == 0);
        let fits = match lead {
            Some((_, place)) => governs(h, place),
            // A place not judged may be the one this handler governs.
            None => old || places.iter().any(|(_, place)| governs(h, place)),
        };
        if !fits {
            let named: Vec<&str> = match lead {
                Some((_, place)) => vec![place],
                None => places.iter().map(|(_, place)| *place).collect(),
            };
            out.push(Violation::new(
                format!("/handlers/{i}"),
                CODE,
                format!(
                    "此办理地对本申请无管辖权 (this handler has no jurisdiction over the \
                     application): {}; 表单所填地区 (the form names): {}",
                    j.decides_zh,
                    named_places(&named)
                ),
            ));
        }
    }
    // In a joint application every place has its authority among the handlers, but one the
    // origin governs: its own window took the application.
    let places: Vec<(&str, &str)> = places.into_iter().filter(|(_, c)| !by_origin(c)).collect();
    if handlers.len() > 1 {
        for (pointer, place) in &places {
            if !handlers.iter().any(|h| governs(h, place)) {
                out.push(Violation::new(
                    *pointer,
                    CODE,
                    format!(
                        "多地联办的办理地中没有此地的机关 (no handler of this joint application \
                         governs this place, {}): {}",
                        named_places(&[place]),
                        j.decides_zh
                    ),
                ));
            }
        }
    }
    out
}

/// Places by name and code (`广东省广州市 440100`), for a message: a division code is no personal
/// data, and the name says which field the handler was held against.
fn named_places(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| match gb2260::full_name(c) {
            Some(name) => format!("{name} {c}"),
            None => (*c).to_string(),
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// Moves `body`'s places into its route: the handled places into the handlers' regions (with one
/// handler, the first place; the others, and the places elsewhere, into the origin's). An example
/// re-routed to other regions (load generators, benchmarks, tests) stays a valid submission.
pub fn relocate(j: &Jurisdiction, body: &mut Value) {
    let origin = body
        .get("origin")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let handlers: Vec<String> = body
        .get("handlers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|h| h.as_str().map(str::to_owned))
        .collect();
    let joint = handlers.len() > 1;
    let mut set = |pointer: &str, code: Option<&String>| {
        if let (Some(slot), Some(code)) = (body.pointer_mut(pointer), code) {
            *slot = Value::String(code.clone());
        }
    };
    for (i, pointer) in j.handled.iter().enumerate() {
        let to = if i == 0 || joint {
            handlers.get(i)
        } else {
            None
        };
        set(pointer, to.or(origin.as_ref()));
    }
    for pointer in j.elsewhere {
        set(pointer, origin.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TRANSFER: Jurisdiction = Jurisdiction {
        handled: &["/form/from_region", "/form/to_region"],
        any_place: true,
        elsewhere: &[],
        rule_zh: "办理地为转出地或转入地",
        decides_zh: "转出地或转入地",
    };

    const MOVE: Jurisdiction = Jurisdiction {
        handled: &["/form/move_in", "/form/move_out"],
        any_place: false,
        elsewhere: &[],
        rule_zh: "办理地为迁入地",
        decides_zh: "迁入地",
    };

    const FILING: Jurisdiction = Jurisdiction {
        handled: &["/form/insured_region"],
        any_place: false,
        elsewhere: &["/form/treatment_region"],
        rule_zh: "办理地为参保地",
        decides_zh: "参保地",
    };

    #[test]
    fn a_region_governs_itself_and_what_it_contains() {
        assert!(governs("440000", "440305"));
        assert!(governs("440000", "440305001000"));
        assert!(governs("440300", "440305"));
        assert!(governs("440305", "440305"));
        assert!(governs("110000", "110105"));
        assert!(!governs("440300", "440106"));
        assert!(!governs("440300", "440000"));
        assert!(!governs("330000", "440305"));
        assert!(!governs("4400", "440305"));
        assert!(!governs("44000a", "440305"));
    }

    fn pointers(v: &[Violation]) -> Vec<&str> {
        v.iter().map(|v| v.pointer.as_str()).collect()
    }

    /// Given a filing insured in 330100, when it is routed to 330000, 330100 or 440000, then
    /// only 440000 is refused, at the handler, naming the place's field.
    #[test]
    fn one_handler_governs_the_place() {
        let body = |h: &str| json!({"handlers": [h], "form": {"insured_region": "330100", "treatment_region": "440100"}});
        assert!(check(&FILING, &body("330000"), &[]).is_empty());
        assert!(check(&FILING, &body("330100"), &[]).is_empty());
        let found = check(&FILING, &body("440000"), &[]);
        assert_eq!(pointers(&found), ["/handlers/0"]);
        assert_eq!(found[0].rule, CODE);
        assert!(
            found[0].message.contains(FILING.decides_zh),
            "{}",
            found[0].message
        );
        assert!(
            found[0].message.contains("浙江省杭州市 330100"),
            "{}",
            found[0].message
        );
    }

    /// Given a transfer from 310101 to 340104, when one handler is either region it is taken;
    /// when a joint application names both, it is taken; when it names one and a third region,
    /// the third handler and the place no handler governs are each named.
    #[test]
    fn either_place_for_one_handler_every_place_for_a_joint_application() {
        let body = |h: Value| json!({"handlers": h, "form": {"from_region": "310101", "to_region": "340104"}});
        assert!(check(&TRANSFER, &body(json!(["310000"])), &[]).is_empty());
        assert!(check(&TRANSFER, &body(json!(["340000"])), &[]).is_empty());
        assert!(check(&TRANSFER, &body(json!(["340000", "310000"])), &[]).is_empty());
        let found = check(&TRANSFER, &body(json!(["310000", "440000"])), &[]);
        assert_eq!(pointers(&found), ["/handlers/1", "/form/to_region"]);
    }

    /// Given a move from 340104 into 330106, when one handler is named, then it must be the
    /// place moved into, unless the origin is (the window of the place moved into took it, and
    /// the place moved out of handles it); a joint application has both, the lead moved into.
    #[test]
    fn one_handler_of_a_move_is_the_place_moved_into() {
        let at = |origin: &str, h: Value| json!({"origin": origin, "handlers": h, "form": {"move_in": "330106", "move_out": "340104"}});
        assert!(check(&MOVE, &at("440000", json!(["330000"])), &[]).is_empty());
        assert_eq!(
            pointers(&check(&MOVE, &at("440000", json!(["340000"])), &[])),
            ["/handlers/0"]
        );
        assert!(check(&MOVE, &at("330000", json!(["340000"])), &[]).is_empty());
        assert!(check(&MOVE, &at("440000", json!(["330000", "340000"])), &[]).is_empty());
        assert_eq!(
            pointers(&check(
                &MOVE,
                &at("440000", json!(["340000", "330000"])),
                &[]
            )),
            ["/handlers/0"]
        );
    }

    /// The same, without an origin in the body.
    #[test]
    fn a_move_without_an_origin_is_judged_by_its_handlers() {
        let body =
            |h: Value| json!({"handlers": h, "form": {"move_in": "330106", "move_out": "340104"}});
        assert!(check(&MOVE, &body(json!(["330000"])), &[]).is_empty());
        assert_eq!(
            pointers(&check(&MOVE, &body(json!(["340000"])), &[])),
            ["/handlers/0"]
        );
        assert!(check(&MOVE, &body(json!(["330000", "340000"])), &[]).is_empty());
    }

    /// Given a place named by a code no longer in use (510202, Chongqing's 渝中区 when it was
    /// Sichuan's), when the rule runs, then it says nothing of it: the digits do not say who
    /// governs it now.
    #[test]
    fn a_code_no_longer_in_use_is_not_judged() {
        let body = |h: &str| json!({"handlers": [h], "form": {"insured_region": "510202"}});
        assert!(check(&FILING, &body("510000"), &[]).is_empty());
        assert!(check(&FILING, &body("500000"), &[]).is_empty());
        let current = json!({"handlers": ["510000"], "form": {"insured_region": "500103"}});
        assert_eq!(check(&FILING, &current, &[]).len(), 1);
        // With two places, one old: a handler is not refused for not governing the current one.
        let transfer = |h: Value| json!({"handlers": h, "form": {"from_region": "510202", "to_region": "340104"}});
        assert!(check(&TRANSFER, &transfer(json!(["500000"])), &[]).is_empty());
        assert!(check(&TRANSFER, &transfer(json!(["500000", "340000"])), &[]).is_empty());
        // The current place still needs its handler in a joint application.
        assert_eq!(
            pointers(&check(
                &TRANSFER,
                &transfer(json!(["500000", "510000"])),
                &[]
            )),
            ["/form/to_region"]
        );
    }

    /// Given a finding already at a place or a handler, the rule says nothing more there.
    #[test]
    fn silent_after_a_finding_at_what_it_reads() {
        let body = json!({"handlers": ["440000"], "form": {"insured_region": "330100"}});
        let at = |p: &str| vec![Violation::new(p, "pattern", "x")];
        assert!(check(&FILING, &body, &at("/form/insured_region")).is_empty());
        assert!(check(&FILING, &body, &at("/handlers/0")).is_empty());
        assert!(check(&FILING, &body, &at("/form")).is_empty());
        assert_eq!(check(&FILING, &body, &at("/applicant/name")).len(), 1);
    }

    /// Given an example re-routed, when its places are relocated, then the handled place is the
    /// handler's and the place elsewhere the origin's, and the rule holds.
    #[test]
    fn relocating_moves_the_places_into_the_route() {
        let mut body = json!({"origin": "510000", "handlers": ["500000"],
            "form": {"insured_region": "330100", "treatment_region": "440100"}});
        relocate(&FILING, &mut body);
        assert_eq!(body["form"]["insured_region"], "500000");
        assert_eq!(body["form"]["treatment_region"], "510000");
        assert!(check(&FILING, &body, &[]).is_empty());
        let mut joint = json!({"origin": "440000", "handlers": ["330000", "340000"],
            "form": {"from_region": "310101", "to_region": "340104"}});
        relocate(&TRANSFER, &mut joint);
        assert_eq!(joint["form"]["from_region"], "330000");
        assert_eq!(joint["form"]["to_region"], "340000");
        let mut single = json!({"origin": "440000", "handlers": ["330000"],
            "form": {"from_region": "310101", "to_region": "340104"}});
        relocate(&TRANSFER, &mut single);
        assert_eq!(single["form"]["from_region"], "330000");
        assert_eq!(single["form"]["to_region"], "440000");
    }
}
