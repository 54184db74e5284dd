//! Each change the compatibility check finds, made once each way round: the version that narrows
//! is read backward (what the candidate removed), the one that widens forward (what the
//! candidate added that the older version refuses). The wording is asserted whole: a forward
//! finding once reused the backward phrase ("value \"express\" is no longer allowed" for a value
//! the candidate had just added).

use super::super::compatibility::{self, OpenObjects, Rule};
use serde_json::{Value, json};

/// One change: `narrow` refuses what `wide` allows at `path`. Backward: `narrow` is the
/// candidate, `wide` version 1. Forward: `wide` is the candidate, `narrow` version 1.
struct Change {
    kind: &'static str,
    narrow: Value,
    wide: Value,
    path: &'static str,
    backward: (Rule, &'static str),
    forward: (Rule, &'static str),
}

fn changes() -> Vec<Change> {
    use Rule::*;
    vec![
        Change {
            kind: "reader accepts nothing",
            narrow: json!(false),
            wide: json!({}),
            path: "/",
            backward: (
                TypeNarrowed,
                "the candidate accepts nothing here (`false`); version 1 accepted data here: data written under version 1 here does not validate under the candidate",
            ),
            forward: (
                TypeWidened,
                "the candidate accepts data here; version 1 accepts nothing here (`false`): data written here cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "enum value",
            narrow: json!({"enum": ["post"]}),
            wide: json!({"enum": ["post", "express"]}),
            path: "/",
            backward: (
                EnumValueRemoved,
                "value \"express\" is no longer allowed in the candidate (version 1 allowed it): data written under version 1 with it does not validate under the candidate",
            ),
            forward: (
                EnumValueAdded,
                "value \"express\" is new in the candidate; version 1 does not accept it: data written with it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "fixed values",
            narrow: json!({"enum": ["post"]}),
            wide: json!({"type": "string"}),
            path: "/",
            backward: (
                ValuesRestricted,
                "restricted to [\"post\"] in the candidate; version 1 allowed other values: data written under version 1 with another value does not validate under the candidate",
            ),
            forward: (
                ValuesUnrestricted,
                "the candidate allows values other than [\"post\"], the only ones version 1 accepts: data written with another value cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a fixed value's type",
            narrow: json!({"type": "string"}),
            wide: json!({"enum": ["post", 1]}),
            path: "/",
            backward: (
                TypeNarrowed,
                "value 1 has a type the candidate no longer accepts (version 1 allowed it): data written under version 1 with it does not validate under the candidate",
            ),
            forward: (
                TypeWidened,
                "the candidate allows value 1, whose type version 1 does not accept: data written with it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a fixed value refused",
            narrow: json!({"type": "string", "maxLength": 4}),
            wide: json!({"enum": ["post", "express"]}),
            path: "/",
            backward: (
                ConstraintChanged,
                "value \"express\" is refused by the candidate (version 1 allowed it): data written under version 1 with it does not validate under the candidate",
            ),
            forward: (
                ConstraintChanged,
                "the candidate allows value \"express\", which version 1 refuses: data written with it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a schema that does not compile",
            narrow: json!({"type": "string", "pattern": "("}),
            wide: json!({"enum": ["post"]}),
            path: "/",
            backward: (
                ConstraintChanged,
                "the candidate's schema here does not compile on its own, so the values version 1 fixes here cannot be judged by it; compatibility cannot be proven",
            ),
            forward: (
                ConstraintChanged,
                "version 1's schema here does not compile on its own, so the values the candidate fixes here cannot be judged by it; compatibility cannot be proven",
            ),
        },
        Change {
            kind: "no branch reads",
            narrow: json!({"anyOf": [{"type": "integer"}, {"type": "boolean"}]}),
            wide: json!({"type": ["string", "null"]}),
            path: "/",
            backward: (
                BranchNotAccepted,
                "no `anyOf` branch of the candidate accepts the data version 1 allows here",
            ),
            forward: (
                BranchNotAccepted,
                "no `anyOf` branch of version 1 accepts the data the candidate allows here",
            ),
        },
        Change {
            kind: "an empty union",
            narrow: json!({"anyOf": []}),
            wide: json!({"type": "string"}),
            path: "/",
            backward: (
                BranchNotAccepted,
                "the candidate's `anyOf` is empty: it accepts nothing version 1 allows here",
            ),
            forward: (
                BranchNotAccepted,
                "version 1's `anyOf` is empty: it accepts nothing the candidate allows here",
            ),
        },
        Change {
            kind: "a type",
            narrow: json!({"type": "integer"}),
            wide: json!({"type": ["integer", "string"]}),
            path: "/",
            backward: (
                TypeNarrowed,
                "type string is no longer accepted: the candidate accepts only integer (version 1 allowed string): data written under version 1 as string does not validate under the candidate",
            ),
            forward: (
                TypeWidened,
                "type string is new in the candidate; version 1 accepts only integer: data written as string cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "any type",
            narrow: json!({"type": "integer"}),
            wide: json!({}),
            path: "/",
            backward: (
                TypeNarrowed,
                "version 1 allowed any type here; the candidate accepts only integer: data written under version 1 as another type does not validate under the candidate",
            ),
            forward: (
                TypeWidened,
                "the candidate allows any type here; version 1 accepts only integer: data written as another type cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a lower bound moved",
            narrow: json!({"type": "integer", "minimum": 1}),
            wide: json!({"type": "integer", "minimum": 0}),
            path: "/",
            backward: (
                RangeNarrowed,
                "minimum raised to 1 in the candidate (version 1: 0): data written under version 1 below it does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "minimum lowered to 0 in the candidate; version 1's minimum is 1: data written below it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a lower bound dropped",
            narrow: json!({"type": "integer", "minimum": 0}),
            wide: json!({"type": "string"}),
            path: "/",
            backward: (
                RangeNarrowed,
                "minimum raised to 0 in the candidate (version 1 had none): data written under version 1 below it does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "the candidate has no minimum here; version 1's minimum is 0: data written below it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a maximum made exclusive",
            narrow: json!({"type": "number", "exclusiveMaximum": 10}),
            wide: json!({"type": "number", "maximum": 10}),
            path: "/",
            backward: (
                RangeNarrowed,
                "the largest value allowed goes from 10 (inclusive) in version 1 to below 10 in the candidate (maximum 10 → exclusiveMaximum 10): data written under version 1 with 10 does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "the largest value allowed goes from below 10 in version 1 to 10 (inclusive) in the candidate (exclusiveMaximum 10 → maximum 10): data written with 10 cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a maximum made exclusive and lowered",
            narrow: json!({"type": "number", "exclusiveMaximum": 9}),
            wide: json!({"type": "number", "maximum": 10}),
            path: "/",
            backward: (
                RangeNarrowed,
                "the largest value allowed goes from 10 (inclusive) in version 1 to below 9 in the candidate (maximum 10 → exclusiveMaximum 9): data written under version 1 with a number at least 9 and at most 10 does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "the largest value allowed goes from below 9 in version 1 to 10 (inclusive) in the candidate (exclusiveMaximum 9 → maximum 10): data written with a number at least 9 and at most 10 cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "an exclusive minimum made inclusive and raised",
            narrow: json!({"type": "number", "minimum": 1}),
            wide: json!({"type": "number", "exclusiveMinimum": 0}),
            path: "/",
            backward: (
                RangeNarrowed,
                "the smallest value allowed goes from above 0 in version 1 to 1 (inclusive) in the candidate (exclusiveMinimum 0 → minimum 1): data written under version 1 with a number above 0 and below 1 does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "the smallest value allowed goes from 1 (inclusive) in version 1 to above 0 in the candidate (minimum 1 → exclusiveMinimum 0): data written with a number above 0 and below 1 cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a minimum made exclusive",
            narrow: json!({"type": "number", "exclusiveMinimum": 0}),
            wide: json!({"type": "number", "minimum": 0}),
            path: "/",
            backward: (
                RangeNarrowed,
                "the smallest value allowed goes from 0 (inclusive) in version 1 to above 0 in the candidate (minimum 0 → exclusiveMinimum 0): data written under version 1 with 0 does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "the smallest value allowed goes from above 0 in version 1 to 0 (inclusive) in the candidate (exclusiveMinimum 0 → minimum 0): data written with 0 cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "an upper bound moved",
            narrow: json!({"type": "string", "maxLength": 5}),
            wide: json!({"type": "string", "maxLength": 10}),
            path: "/",
            backward: (
                RangeNarrowed,
                "maxLength lowered to 5 in the candidate (version 1: 10): data written under version 1 above it does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "maxLength raised to 10 in the candidate; version 1's maxLength is 5: data written above it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "an upper bound dropped",
            narrow: json!({"type": "array", "maxItems": 3}),
            wide: json!({"type": "array"}),
            path: "/",
            backward: (
                RangeNarrowed,
                "maxItems lowered to 3 in the candidate (version 1 had none): data written under version 1 above it does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "the candidate has no maxItems here; version 1's maxItems is 3: data written above it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "multipleOf",
            narrow: json!({"type": "integer", "multipleOf": 5}),
            wide: json!({"type": "integer"}),
            path: "/",
            backward: (
                RangeNarrowed,
                "multipleOf 5 added in the candidate (version 1 had none): data written under version 1 with other numbers does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "multipleOf 5 of version 1 is removed in the candidate: data written with other numbers cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "multipleOf changed to one the other's is no multiple of",
            narrow: json!({"type": "integer", "multipleOf": 4}),
            wide: json!({"type": "integer", "multipleOf": 2}),
            path: "/",
            backward: (
                ConstraintChanged,
                "multipleOf changed from 2 in version 1 to 4 in the candidate: data written under version 1 that is a multiple of 2 but not of 4 does not validate under the candidate",
            ),
            forward: (
                ConstraintChanged,
                "multipleOf changed from 4 in version 1 to 2 in the candidate: data written that is a multiple of 2 but not of 4 cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "unique items",
            narrow: json!({"type": "array", "uniqueItems": true}),
            wide: json!({"type": "array"}),
            path: "/",
            backward: (
                RangeNarrowed,
                "items must now be unique in the candidate (version 1 allowed repeats): data written under version 1 with a repeated item does not validate under the candidate",
            ),
            forward: (
                RangeWidened,
                "the candidate allows repeated items; version 1 requires them unique: data written with a repeated item cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a pattern",
            narrow: json!({"type": "string", "pattern": "^[0-9]{6}$"}),
            wide: json!({"type": "string"}),
            path: "/",
            backward: (
                PatternChanged,
                "pattern added or changed to \"^[0-9]{6}$\" in the candidate: data written under version 1 that does not match it does not validate under the candidate",
            ),
            forward: (
                PatternChanged,
                "pattern \"^[0-9]{6}$\" of version 1 is removed or changed in the candidate: data written that does not match it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "an identifier check",
            narrow: json!({"type": "string", "x-tongban-check": "gb2260"}),
            wide: json!({"type": "string"}),
            path: "/",
            backward: (
                CheckAdded,
                "identifier check \"gb2260\" added or changed in the candidate: data written under version 1 that fails it does not validate under the candidate",
            ),
            forward: (
                CheckRemoved,
                "identifier check \"gb2260\" of version 1 is removed or changed in the candidate: data written that fails it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a conditional constraint",
            narrow: json!({"not": {"type": "null"}}),
            wide: json!({}),
            path: "/",
            backward: (
                ConstraintChanged,
                "`not` added or changed in the candidate; compatibility cannot be proven",
            ),
            forward: (
                ConstraintChanged,
                "`not` of version 1 is removed or changed in the candidate; compatibility cannot be proven",
            ),
        },
        Change {
            kind: "a writer's tuple",
            narrow: json!({"type": "array", "items": {"type": "string"}}),
            wide: json!({"type": "array", "prefixItems": [{"type": "string"}]}),
            path: "/",
            backward: (
                ConstraintChanged,
                "version 1's `prefixItems` are not compared with the candidate's `items`; compatibility cannot be proven",
            ),
            forward: (
                ConstraintChanged,
                "the candidate's `prefixItems` are not compared with version 1's `items`; compatibility cannot be proven",
            ),
        },
        Change {
            kind: "a property of a closed object",
            narrow: json!({"type": "object", "properties": {}, "additionalProperties": false}),
            wide: json!({"type": "object", "properties": {"channel": {}}, "additionalProperties": false}),
            path: "/channel",
            backward: (
                PropertyRemovedFromClosedObject,
                "property channel is no longer listed in the candidate, whose object is closed; version 1 allowed it: data written under version 1 with it does not validate under the candidate",
            ),
            forward: (
                PropertyAddedToClosedObject,
                "property channel is new in the candidate; version 1's closed object does not accept it: data written with it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a property of an open object",
            narrow: json!({"type": "object", "properties": {"channel": {"type": "string"}}}),
            wide: json!({"type": "object"}),
            path: "/channel",
            backward: (
                PropertyAddedToOpenObject,
                "property channel added in the candidate while version 1's object is open: data written under version 1 may already hold channel with other values",
            ),
            forward: (
                PropertyRemovedFromOpenObject,
                "property channel is no longer listed in the candidate, whose object is open: data written under the candidate may hold channel with values version 1 does not accept",
            ),
        },
        Change {
            kind: "a required property",
            narrow: json!({"type": "object", "properties": {"insured_region": {}}, "required": ["insured_region"]}),
            wide: json!({"type": "object", "properties": {"insured_region": {}}}),
            path: "/insured_region",
            backward: (
                RequiredAdded,
                "property insured_region is newly required in the candidate; version 1 did not require it: data written under version 1 without it does not validate under the candidate (a default is not filled in)",
            ),
            forward: (
                RequiredRemoved,
                "property insured_region is no longer required in the candidate; version 1 requires it: data written without it cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "an object closed",
            narrow: json!({"type": "object", "additionalProperties": false}),
            wide: json!({"type": "object"}),
            path: "/",
            backward: (
                ObjectClosed,
                "the candidate no longer allows properties it does not list; version 1 allowed them: data written under version 1 with them does not validate under the candidate",
            ),
            forward: (
                ObjectOpened,
                "the candidate allows properties it does not list; version 1's object is closed: data written with them cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "an object closed to a schema",
            narrow: json!({"type": "object", "additionalProperties": false}),
            wide: json!({"type": "object", "additionalProperties": {"type": "string"}}),
            path: "/",
            backward: (
                ObjectClosed,
                "the candidate no longer allows additional properties; version 1 allowed them: data written under version 1 with them does not validate under the candidate",
            ),
            forward: (
                ObjectOpened,
                "the candidate allows additional properties; version 1's object is closed: data written with them cannot be read by readers of version 1",
            ),
        },
        Change {
            kind: "a reference that cannot be followed",
            narrow: json!({"$ref": "https://example.com/other"}),
            wide: json!({}),
            path: "/",
            backward: (
                ConstraintChanged,
                "the candidate's $ref \"https://example.com/other\" cannot be followed (only JSON pointers into the document itself, `#/…`, percent-encoded or not, or through its own $id, are): what it allows is unknown, so compatibility cannot be proven",
            ),
            forward: (
                ConstraintChanged,
                "version 1's $ref \"https://example.com/other\" cannot be followed (only JSON pointers into the document itself, `#/…`, percent-encoded or not, or through its own $id, are): what it allows is unknown, so compatibility cannot be proven",
            ),
        },
        Change {
            kind: "a dynamic reference",
            narrow: json!({"$dynamicRef": "#node"}),
            wide: json!({}),
            path: "/",
            backward: (
                ConstraintChanged,
                "the candidate uses $dynamicRef, which this check does not follow: compatibility cannot be proven",
            ),
            forward: (
                ConstraintChanged,
                "version 1 uses $dynamicRef, which this check does not follow: compatibility cannot be proven",
            ),
        },
    ]
}

fn found(findings: Vec<compatibility::Finding>, path: &str, rule: Rule) -> Vec<String> {
    findings
        .into_iter()
        .filter(|f| f.path == path && f.rule == rule)
        .map(|f| f.reason)
        .collect()
}

#[test]
fn every_change_is_worded_from_the_candidates_side_both_ways() {
    let strict = OpenObjects::Strict;
    for c in changes() {
        let back = compatibility::backward(&c.narrow, &c.wide, strict, 1);
        let fwd = compatibility::forward(&c.wide, &c.narrow, strict, 1);
        assert_eq!(
            found(back, c.path, c.backward.0),
            vec![c.backward.1],
            "{}, read backward",
            c.kind
        );
        assert_eq!(
            found(fwd, c.path, c.forward.0),
            vec![c.forward.1],
            "{}, read forward",
            c.kind
        );
    }
}

/// Given a `multipleOf` that moves to a whole multiple of itself (2 to 4, 0.01 to 0.05) or the
/// same value written otherwise (2 and 2.0), when the writer holds the multiple, then nothing is
/// found either way: every multiple of 4 is one of 2. (Read forward, 2 to 4 was said to be
/// `range-widened`; read backward, 4 to 2 `range-narrowed`, data that "does not validate".)
#[test]
fn a_writers_multiple_of_the_readers_multiple_of_is_no_finding() {
    let strict = OpenObjects::Strict;
    for (divisor, multiple) in [
        (json!(2), json!(4)),
        (json!(0.01), json!(0.05)),
        (json!(2), json!(2.0)),
    ] {
        let divisor = json!({"type": "number", "multipleOf": divisor});
        let multiple = json!({"type": "number", "multipleOf": multiple});
        // Forward: version 1 allows the divisor's multiples, the candidate writes the multiple's.
        let fwd = compatibility::forward(&multiple, &divisor, strict, 1);
        assert!(
            fwd.is_empty(),
            "{multiple} after {divisor}, forward: {fwd:?}"
        );
        // Backward: version 1 wrote the multiple's, the candidate reads the divisor's.
        let back = compatibility::backward(&divisor, &multiple, strict, 1);
        assert!(
            back.is_empty(),
            "{divisor} after {multiple}, backward: {back:?}"
        );
    }
}

/// Given version 1 a string and a candidate listing `"post"` and `1`, when it is read forward,
/// then the value 1 is told once, as a type version 1 does not accept, not again as a value its
/// schema refuses. (Found by a review: two findings for one value.)
#[test]
fn a_value_its_type_refuses_is_told_once() {
    let fwd = compatibility::forward(
        &json!({"enum": ["post", 1]}),
        &json!({"type": "string"}),
        OpenObjects::Strict,
        1,
    );
    assert_eq!(fwd.len(), 1, "{fwd:?}");
    assert_eq!(fwd[0].rule, Rule::TypeWidened, "{fwd:?}");
}

/// Given a number's bound moved between its inclusive and exclusive keywords (each change of
/// [`changes`] of that kind), when the narrower is the older version and the wider the
/// candidate read backward, or the wider older and the narrower candidate read forward, then
/// nothing is found: every number below 10 is at most 10, every one of at least 1 above 0.
/// (Read forward, `exclusiveMaximum: 10` after `maximum: 10` was said to widen, its values
/// below 10 refused by a maximum of 10; read backward, `exclusiveMinimum: 0` after
/// `minimum: 1` that the minimum was dropped.)
#[test]
fn a_bound_moved_between_its_keywords_breaks_one_way_only() {
    let strict = OpenObjects::Strict;
    for c in changes().into_iter().filter(|c| {
        ["exclusive", "inclusive"]
            .iter()
            .any(|k| c.kind.contains(k))
    }) {
        // The wider as the candidate reading the narrower's data: all of it is in range.
        let back = compatibility::backward(&c.wide, &c.narrow, strict, 1);
        assert!(
            back.is_empty(),
            "{}, widened, read backward: {back:?}",
            c.kind
        );
        // The narrower as the candidate, its data read by the wider version 1.
        let fwd = compatibility::forward(&c.narrow, &c.wide, strict, 1);
        assert!(
            fwd.is_empty(),
            "{}, narrowed, read forward: {fwd:?}",
            c.kind
        );
    }
}

/// Given whole numbers only (`"type": "integer"`), when a bound moves between its keywords
/// without changing which whole numbers it allows (`exclusiveMinimum: 0` and `minimum: 1`,
/// `exclusiveMaximum: 10` and `maximum: 9`), then nothing is found either way; given numbers
/// (`"type": "number"`), then the same move is found (0.5 is above 0 and below 1).
#[test]
fn a_bound_that_allows_the_same_whole_numbers_is_no_change_for_integers() {
    let strict = OpenObjects::Strict;
    for (a, b) in [
        (json!({"exclusiveMinimum": 0}), json!({"minimum": 1})),
        (json!({"exclusiveMaximum": 10}), json!({"maximum": 9})),
        (json!({"exclusiveMinimum": 0.5}), json!({"minimum": 1})),
    ] {
        let typed = |t: &str, s: &Value| {
            let mut s = s.clone();
            s["type"] = json!(t);
            s
        };
        let (ia, ib) = (typed("integer", &a), typed("integer", &b));
        for (candidate, old) in [(&ia, &ib), (&ib, &ia)] {
            let back = compatibility::backward(candidate, old, strict, 1);
            let fwd = compatibility::forward(candidate, old, strict, 1);
            assert!(
                back.is_empty() && fwd.is_empty(),
                "{old} → {candidate}: {back:?} {fwd:?}"
            );
        }
        let (na, nb) = (typed("number", &a), typed("number", &b));
        let found: usize = [(&na, &nb), (&nb, &na)]
            .iter()
            .map(|(candidate, old)| {
                compatibility::backward(candidate, old, strict, 1).len()
                    + compatibility::forward(candidate, old, strict, 1).len()
            })
            .sum();
        assert!(found > 0, "{a} and {b} as numbers");
    }
}

/// Given a side that writes both keywords, when compared, then the tighter of the two is its
/// bound: `{"minimum": 0, "exclusiveMinimum": 0}` is above 0, so after `minimum: 0` alone it
/// narrows (0 refused) and before `exclusiveMinimum: 0` alone it changes nothing.
#[test]
fn both_keywords_on_one_side_make_the_tighter_bound() {
    let strict = OpenObjects::Strict;
    let both = json!({"type": "number", "minimum": 0, "exclusiveMinimum": 0});
    let inclusive = json!({"type": "number", "minimum": 0});
    let exclusive = json!({"type": "number", "exclusiveMinimum": 0});
    let back = compatibility::backward(&both, &inclusive, strict, 1);
    assert_eq!(back.len(), 1, "{back:?}");
    assert_eq!(back[0].rule, Rule::RangeNarrowed);
    assert!(
        back[0].reason.contains("with 0 does not validate"),
        "{back:?}"
    );
    assert!(compatibility::backward(&both, &exclusive, strict, 1).is_empty());
    assert!(compatibility::forward(&both, &exclusive, strict, 1).is_empty());
}

/// Given an exclusive bound on both sides (or on the reader's alone) that refuses data the
/// writer's allows, when worded, then the data refused is said to lie at or beyond the bound,
/// the bound itself included: `exclusiveMinimum` 0 → 5 refuses 5 as well as what is below it,
/// and, for whole numbers, 0 → 1 refuses exactly 1.
#[test]
fn an_exclusive_bound_refuses_the_bound_itself_too() {
    let strict = OpenObjects::Strict;
    for (older, newer, beyond) in [
        (
            json!({"type": "number", "exclusiveMinimum": 0}),
            json!({"type": "number", "exclusiveMinimum": 5}),
            "at or below it",
        ),
        (
            json!({"type": "integer", "exclusiveMinimum": 0}),
            json!({"type": "integer", "exclusiveMinimum": 1}),
            "at or below it",
        ),
        (
            json!({"type": "number"}),
            json!({"type": "number", "exclusiveMaximum": 5}),
            "at or above it",
        ),
        (
            json!({"type": "number", "minimum": 0}),
            json!({"type": "number", "minimum": 5}),
            "below it",
        ),
    ] {
        let back = compatibility::backward(&newer, &older, strict, 1);
        assert_eq!(back.len(), 1, "{older} → {newer}: {back:?}");
        let said = &back[0].reason;
        assert!(said.contains(beyond), "{older} → {newer}: {said}");
        if beyond == "below it" {
            assert!(!said.contains("at or below"), "{said}");
        }
    }
}
