//! How a compatibility finding is worded, for the direction it was found in.
//!
//! [`super::compatibility::compare`] asks one question, "what does the writer allow that the
//! reader refuses?", in both directions: backward the newer version reads the older's data,
//! forward the older reads the newer's. The same difference is then a different change seen
//! from the newer version's side (the candidate's, on the compatibility route): a value the
//! older version allows and the newer refuses was removed, one the newer allows and the older
//! refuses was added. Each finding is worded here, once per direction, with the rule that names
//! that change and the versions named as the caller knows them ("the candidate", "version 2"),
//! so a province reads what its candidate did and whose data it would break.

use super::compatibility::{Direction, Rule};

/// Which version reads in one comparison, and the names both are given in its findings.
#[derive(Debug, Clone)]
pub struct Voice {
    newer: String,
    older: String,
    /// The data checked is written under the newer version (forward), read by the older.
    writer_newer: bool,
}

/// A finding's rule and reason.
pub type Said = (Rule, String);

/// Which end of a range a bound closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `minimum`, `exclusiveMinimum`, `minLength` …
    Lower,
    /// `maximum`, `exclusiveMaximum`, `maxLength` …
    Upper,
}

/// A number bound as a reader of the finding says it: `10 (inclusive)`, `below 10`, `above 0`.
fn number_bound(side: Side, (value, exclusive): (f64, bool)) -> String {
    match (side, exclusive) {
        (_, false) => format!("{value} (inclusive)"),
        (Side::Lower, true) => format!("above {value}"),
        (Side::Upper, true) => format!("below {value}"),
    }
}

/// The keyword a number bound is written with.
pub(super) fn number_keyword(side: Side, exclusive: bool) -> &'static str {
    match (side, exclusive) {
        (Side::Lower, false) => "minimum",
        (Side::Lower, true) => "exclusiveMinimum",
        (Side::Upper, false) => "maximum",
        (Side::Upper, true) => "exclusiveMaximum",
    }
}

impl Voice {
    /// The newer version reading data written under the older (backward).
    pub fn newer_reads(newer: impl Into<String>, older: impl Into<String>) -> Voice {
        Voice {
            newer: newer.into(),
            older: older.into(),
            writer_newer: false,
        }
    }

    /// The older version reading data written under the newer (forward).
    pub fn older_reads(newer: impl Into<String>, older: impl Into<String>) -> Voice {
        Voice {
            newer: newer.into(),
            older: older.into(),
            writer_newer: true,
        }
    }

    /// A candidate compared in `direction` with the registered version `against`.
    pub fn candidate(direction: Direction, against: u32) -> Voice {
        let older = format!("version {against}");
        match direction {
            Direction::Backward => Voice::newer_reads("the candidate", older),
            Direction::Forward => Voice::older_reads("the candidate", older),
        }
    }

    fn reader(&self) -> &str {
        if self.writer_newer {
            &self.older
        } else {
            &self.newer
        }
    }

    fn writer(&self) -> &str {
        if self.writer_newer {
            &self.newer
        } else {
            &self.older
        }
    }

    /// What breaks, backward: data already written under the older version.
    fn stored(&self, with: &str) -> String {
        format!(
            "data written under {} {with} does not validate under {}",
            self.older, self.newer
        )
    }

    /// What breaks, forward: data written under the newer version, read by the older's readers.
    fn unread(&self, with: &str) -> String {
        format!(
            "data written {with} cannot be read by readers of {}",
            self.older
        )
    }

    /// The reader's schema here is `false`.
    pub fn reader_accepts_nothing(&self) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::TypeWidened,
                format!(
                    "{n} accepts data here; {o} accepts nothing here (`false`): {}",
                    self.unread("here")
                ),
            )
        } else {
            (
                Rule::TypeNarrowed,
                format!(
                    "{n} accepts nothing here (`false`); {o} accepted data here: {}",
                    self.stored("here")
                ),
            )
        }
    }

    /// A fixed value (`enum`, `const`) of the writer the reader's fixed values lack.
    pub fn value_not_listed(&self, v: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::EnumValueAdded,
                format!(
                    "value {v} is new in {n}; {o} does not accept it: {}",
                    self.unread("with it")
                ),
            )
        } else {
            (
                Rule::EnumValueRemoved,
                format!(
                    "value {v} is no longer allowed in {n} ({o} allowed it): {}",
                    self.stored("with it")
                ),
            )
        }
    }

    /// The reader allows only the fixed values `list`, the writer any.
    pub fn values_fixed(&self, list: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::ValuesUnrestricted,
                format!(
                    "{n} allows values other than [{list}], the only ones {o} accepts: {}",
                    self.unread("with another value")
                ),
            )
        } else {
            (
                Rule::ValuesRestricted,
                format!(
                    "restricted to [{list}] in {n}; {o} allowed other values: {}",
                    self.stored("with another value")
                ),
            )
        }
    }

    /// A fixed value of the writer whose JSON type the reader refuses.
    pub fn value_type_refused(&self, v: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::TypeWidened,
                format!(
                    "{n} allows value {v}, whose type {o} does not accept: {}",
                    self.unread("with it")
                ),
            )
        } else {
            (
                Rule::TypeNarrowed,
                format!(
                    "value {v} has a type {n} no longer accepts ({o} allowed it): {}",
                    self.stored("with it")
                ),
            )
        }
    }

    /// A fixed value of the writer the reader's schema refuses (a pattern, a length, a check).
    pub fn value_refused(&self, v: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::ConstraintChanged,
                format!(
                    "{n} allows value {v}, which {o} refuses: {}",
                    self.unread("with it")
                ),
            )
        } else {
            (
                Rule::ConstraintChanged,
                format!(
                    "value {v} is refused by {n} ({o} allowed it): {}",
                    self.stored("with it")
                ),
            )
        }
    }

    /// The reader's schema cannot be compiled alone to judge the writer's fixed values.
    pub fn reader_uncompiled(&self) -> Said {
        (
            Rule::ConstraintChanged,
            format!(
                "{}'s schema here does not compile on its own, so the values {} fixes here \
                 cannot be judged by it; compatibility cannot be proven",
                self.reader(),
                self.writer()
            ),
        )
    }

    /// No branch of the reader's `key` (`anyOf`, `oneOf`) reads what the writer allows.
    pub fn no_branch(&self, key: &str) -> Said {
        (
            Rule::BranchNotAccepted,
            format!(
                "no `{key}` branch of {} accepts the data {} allows here",
                self.reader(),
                self.writer()
            ),
        )
    }

    /// The reader's `key` has no branches.
    pub fn empty_union(&self, key: &str) -> Said {
        (
            Rule::BranchNotAccepted,
            format!(
                "{}'s `{key}` is empty: it accepts nothing {} allows here",
                self.reader(),
                self.writer()
            ),
        )
    }

    /// The writer allows type `t`, the reader only `reader_types`.
    pub fn type_refused(&self, t: &str, reader_types: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::TypeWidened,
                format!(
                    "type {t} is new in {n}; {o} accepts only {reader_types}: {}",
                    self.unread(&format!("as {t}"))
                ),
            )
        } else {
            (
                Rule::TypeNarrowed,
                format!(
                    "type {t} is no longer accepted: {n} accepts only {reader_types} ({o} \
                     allowed {t}): {}",
                    self.stored(&format!("as {t}"))
                ),
            )
        }
    }

    /// The writer allows any type, the reader only `reader_types`.
    pub fn any_type_refused(&self, reader_types: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::TypeWidened,
                format!(
                    "{n} allows any type here; {o} accepts only {reader_types}: {}",
                    self.unread("as another type")
                ),
            )
        } else {
            (
                Rule::TypeNarrowed,
                format!(
                    "{o} allowed any type here; {n} accepts only {reader_types}: {}",
                    self.stored("as another type")
                ),
            )
        }
    }

    /// A lower bound `k` (`minimum`, `minLength` …) of the reader, `bound`, that the writer
    /// lacks (`None`) or has lower.
    pub fn lower_bound(&self, k: &str, bound: f64, writer: Option<f64>) -> Said {
        self.bound(("lowered", "raised", "below it"), k, bound, writer)
    }

    /// An upper bound `k` (`maximum`, `maxLength` …) of the reader, `bound`, that the writer
    /// lacks (`None`) or has higher.
    pub fn upper_bound(&self, k: &str, bound: f64, writer: Option<f64>) -> Said {
        self.bound(("raised", "lowered", "above it"), k, bound, writer)
    }

    /// A number's bound of the reader on `side`, `bound` (`exclusive`: the bound itself refused
    /// too, so the data refused lies at or beyond it), that the writer lacks or has looser,
    /// both in the same keyword.
    pub fn number_bound(
        &self,
        side: Side,
        k: &str,
        (bound, exclusive): (f64, bool),
        writer: Option<f64>,
    ) -> Said {
        let words = match (side, exclusive) {
            (Side::Lower, false) => ("lowered", "raised", "below it"),
            (Side::Lower, true) => ("lowered", "raised", "at or below it"),
            (Side::Upper, false) => ("raised", "lowered", "above it"),
            (Side::Upper, true) => ("raised", "lowered", "at or above it"),
        };
        self.bound(words, k, bound, writer)
    }

    /// A bound of the reader the writer lacks or has looser: `(loosened, tightened, beyond)`
    /// say how a bound on this side moves each way, and where the data it refuses lies.
    fn bound(
        &self,
        (loosened, tightened, beyond): (&str, &str, &str),
        k: &str,
        bound: f64,
        writer: Option<f64>,
    ) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            let change = match writer {
                Some(w) => format!("{k} {loosened} to {w} in {n}"),
                None => format!("{n} has no {k} here"),
            };
            (
                Rule::RangeWidened,
                format!("{change}; {o}'s {k} is {bound}: {}", self.unread(beyond)),
            )
        } else {
            let was = match writer {
                Some(w) => format!("{o}: {w}"),
                None => format!("{o} had none"),
            };
            (
                Rule::RangeNarrowed,
                format!(
                    "{k} {tightened} to {bound} in {n} ({was}): {}",
                    self.stored(beyond)
                ),
            )
        }
    }

    /// A number's bound on `side` that moved between its inclusive and exclusive keywords
    /// (`maximum: 10` → `exclusiveMaximum: 10`, `exclusiveMinimum: 0` → `minimum: 1`), where
    /// the reader's, `(value, exclusive)`, refuses numbers the writer's allows: said as what the
    /// smallest or largest value allowed became, and which numbers that refuses (10 itself;
    /// those above 0 and below 1), not as one keyword added.
    pub fn number_bound_moved(&self, side: Side, reader: (f64, bool), writer: (f64, bool)) -> Said {
        let (n, o) = (&self.newer, &self.older);
        let (newer, older) = if self.writer_newer {
            (writer, reader)
        } else {
            (reader, writer)
        };
        let end = match side {
            Side::Lower => "smallest",
            Side::Upper => "largest",
        };
        let moved = format!(
            "the {end} value allowed goes from {} in {o} to {} in {n} ({} {} → {} {})",
            number_bound(side, older),
            number_bound(side, newer),
            number_keyword(side, older.1),
            older.0,
            number_keyword(side, newer.1),
            newer.0,
        );
        // The numbers the writer allows and the reader refuses: between the two bounds.
        let refused = if reader.0 == writer.0 {
            format!("{}", reader.0)
        } else {
            let (w, r) = (writer, reader);
            let (from, to) = match side {
                Side::Lower => (
                    format!("{} {}", if w.1 { "above" } else { "at least" }, w.0),
                    format!("{} {}", if r.1 { "at most" } else { "below" }, r.0),
                ),
                Side::Upper => (
                    format!("{} {}", if r.1 { "at least" } else { "above" }, r.0),
                    format!("{} {}", if w.1 { "below" } else { "at most" }, w.0),
                ),
            };
            format!("a number {from} and {to}")
        };
        if self.writer_newer {
            (
                Rule::RangeWidened,
                format!("{moved}: {}", self.unread(&format!("with {refused}"))),
            )
        } else {
            (
                Rule::RangeNarrowed,
                format!("{moved}: {}", self.stored(&format!("with {refused}"))),
            )
        }
    }

    /// The reader's `multipleOf`, `reader`, is one the writer's is no whole multiple of
    /// (`None`: the writer has none). Added or removed, it narrows or widens; changed, from 2 to
    /// 3 or 4, it is said as changed, naming the numbers one side allows and the other does not.
    pub fn multiple_of(&self, reader: &str, writer: Option<&str>) -> Said {
        let (n, o) = (&self.newer, &self.older);
        let Some(w) = writer else {
            return if self.writer_newer {
                (
                    Rule::RangeWidened,
                    format!(
                        "multipleOf {reader} of {o} is removed in {n}: {}",
                        self.unread("with other numbers")
                    ),
                )
            } else {
                (
                    Rule::RangeNarrowed,
                    format!(
                        "multipleOf {reader} added in {n} ({o} had none): {}",
                        self.stored("with other numbers")
                    ),
                )
            };
        };
        let (was, now) = match self.writer_newer {
            true => (reader, w),
            false => (w, reader),
        };
        let numbers = format!("that is a multiple of {w} but not of {reader}");
        (
            Rule::ConstraintChanged,
            format!(
                "multipleOf changed from {was} in {o} to {now} in {n}: {}",
                match self.writer_newer {
                    true => self.unread(&numbers),
                    false => self.stored(&numbers),
                }
            ),
        )
    }

    /// The reader requires unique items, the writer does not.
    pub fn unique_items(&self) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::RangeWidened,
                format!(
                    "{n} allows repeated items; {o} requires them unique: {}",
                    self.unread("with a repeated item")
                ),
            )
        } else {
            (
                Rule::RangeNarrowed,
                format!(
                    "items must now be unique in {n} ({o} allowed repeats): {}",
                    self.stored("with a repeated item")
                ),
            )
        }
    }

    /// The reader's `pattern` is one the writer does not have.
    pub fn pattern(&self, pattern: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::PatternChanged,
                format!(
                    "pattern {pattern} of {o} is removed or changed in {n}: {}",
                    self.unread("that does not match it")
                ),
            )
        } else {
            (
                Rule::PatternChanged,
                format!(
                    "pattern added or changed to {pattern} in {n}: {}",
                    self.stored("that does not match it")
                ),
            )
        }
    }

    /// The reader's identifier check (`x-tongban-check`) is one the writer does not have.
    pub fn check(&self, check: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::CheckRemoved,
                format!(
                    "identifier check {check} of {o} is removed or changed in {n}: {}",
                    self.unread("that fails it")
                ),
            )
        } else {
            (
                Rule::CheckAdded,
                format!(
                    "identifier check {check} added or changed in {n}: {}",
                    self.stored("that fails it")
                ),
            )
        }
    }

    /// The reader's conditional or combined keyword `k` differs from the writer's.
    pub fn constraint(&self, k: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        let change = if self.writer_newer {
            format!("`{k}` of {o} is removed or changed in {n}")
        } else {
            format!("`{k}` added or changed in {n}")
        };
        (
            Rule::ConstraintChanged,
            format!("{change}; compatibility cannot be proven"),
        )
    }

    /// The writer's `prefixItems` against the reader's `items`.
    pub fn prefix_items(&self) -> Said {
        (
            Rule::ConstraintChanged,
            format!(
                "{}'s `prefixItems` are not compared with {}'s `items`; compatibility cannot \
                 be proven",
                self.writer(),
                self.reader()
            ),
        )
    }

    /// A property the writer lists that the reader's closed object does not.
    pub fn property_closed_out(&self, name: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::PropertyAddedToClosedObject,
                format!(
                    "property {name} is new in {n}; {o}'s closed object does not accept it: {}",
                    self.unread("with it")
                ),
            )
        } else {
            (
                Rule::PropertyRemovedFromClosedObject,
                format!(
                    "property {name} is no longer listed in {n}, whose object is closed; {o} \
                     allowed it: {}",
                    self.stored("with it")
                ),
            )
        }
    }

    /// A property the reader lists that the writer's open object does not (strict rule).
    pub fn property_open_elsewhere(&self, name: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::PropertyRemovedFromOpenObject,
                format!(
                    "property {name} is no longer listed in {n}, whose object is open: data \
                     written under {n} may hold {name} with values {o} does not accept"
                ),
            )
        } else {
            (
                Rule::PropertyAddedToOpenObject,
                format!(
                    "property {name} added in {n} while {o}'s object is open: data written \
                     under {o} may already hold {name} with other values"
                ),
            )
        }
    }

    /// A property the reader requires and the writer does not. A `default` does not help:
    /// JSON Schema validation never fills one in.
    pub fn required(&self, name: &str) -> Said {
        let (n, o) = (&self.newer, &self.older);
        if self.writer_newer {
            (
                Rule::RequiredRemoved,
                format!(
                    "property {name} is no longer required in {n}; {o} requires it: {}",
                    self.unread("without it")
                ),
            )
        } else {
            (
                Rule::RequiredAdded,
                format!(
                    "property {name} is newly required in {n}; {o} did not require it: {} (a \
                     default is not filled in)",
                    self.stored("without it")
                ),
            )
        }
    }

    /// The reader's object is closed, the writer's open (`schema`: to properties of a schema).
    pub fn object_closed(&self, schema: bool) -> Said {
        let (n, o) = (&self.newer, &self.older);
        let extra = if schema {
            "additional properties"
        } else {
            "properties it does not list"
        };
        if self.writer_newer {
            (
                Rule::ObjectOpened,
                format!(
                    "{n} allows {extra}; {o}'s object is closed: {}",
                    self.unread("with them")
                ),
            )
        } else {
            (
                Rule::ObjectClosed,
                format!(
                    "{n} no longer allows {extra}; {o} allowed them: {}",
                    self.stored("with them")
                ),
            )
        }
    }

    /// A `$ref` of `reader`'s side (or the writer's) that cannot be followed.
    pub fn unfollowed(&self, reader: bool, reference: &str) -> Said {
        let side = if reader { self.reader() } else { self.writer() };
        (
            Rule::ConstraintChanged,
            format!(
                "{side}'s $ref {reference} cannot be followed (only JSON pointers into the \
                 document itself, `#/…`, percent-encoded or not, or through its own $id, are): \
                 what it allows is unknown, so compatibility cannot be proven"
            ),
        )
    }

    /// A `$dynamicRef` on the reader's side (or the writer's).
    pub fn dynamic(&self, reader: bool) -> Said {
        let side = if reader { self.reader() } else { self.writer() };
        (
            Rule::ConstraintChanged,
            format!(
                "{side} uses $dynamicRef, which this check does not follow: compatibility \
                 cannot be proven"
            ),
        )
    }
}

#[cfg(test)]
#[path = "wording_tests.rs"]
mod tests;
