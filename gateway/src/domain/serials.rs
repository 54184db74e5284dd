//! The numbers a party's own system chose that an event carries: the origin's Idempotency-Key
//! of a submission, a handler's 受理编号 (`reference`), a decision's 决定文书编号, the issued
//! licence's 证照编号 and the 快递单号 of a delivery by post. Each is free text to the gateway,
//! and nothing stops a province from numbering with an applicant's ID number or phone: the
//! intake warns of one that is the application's own ([`super::personal`]), and the timelines
//! (`replay`, its JSON, the dispute page's event table) leave it out, as reconciliation does its
//! serials; the raw events, the evidence, keep it.

use super::Event;

/// One number an event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Serial<'a> {
    /// As the payload names it (`reference`, `licence.number`), as a timeline's details do.
    pub field: &'static str,
    /// Where the request gave it: a JSON pointer into the action's body, or the submission's
    /// header.
    pub pointer: &'static str,
    pub value: &'a str,
}

/// `value`, when given, as the number at `field` (`pointer` in the request).
fn of<'a>(
    field: &'static str,
    pointer: &'static str,
    value: &'a Option<String>,
) -> Option<Serial<'a>> {
    value.as_deref().map(|value| Serial {
        field,
        pointer,
        value,
    })
}

impl Event {
    /// The number the event's party chose, if it carries one (none carries two).
    pub fn serial(&self) -> Option<Serial<'_>> {
        match self {
            Event::Submitted(p) => of(
                "idempotency_key",
                "header:Idempotency-Key",
                &p.idempotency_key,
            ),
            Event::Accept(p) => of("reference", "/reference", &p.reference),
            Event::Approve(p) => of("decision_number", "/decision_number", &p.decision_number),
            Event::Deny(p) => of("decision_number", "/decision_number", &p.decision_number),
            Event::IssueResult(p) => p.licence.as_ref().map(|l| Serial {
                field: "licence.number",
                pointer: "/licence/number",
                value: &l.number,
            }),
            Event::Deliver(p) => of("tracking", "/tracking", &p.tracking),
            _ => None,
        }
    }

    /// The number an action's event carries that a warning may concern: none for a
    /// submission, whose key is warned of at its header ([`crate::ids::personal_key_warning`]).
    pub fn action_serial(&self) -> Option<Serial<'_>> {
        self.serial()
            .filter(|s| !matches!(self, Event::Submitted(_)) && !s.value.is_empty())
    }

    /// The warning an action producing this event is answered with when the number it carries
    /// is personal data of the application, judged against `own`, the application's numbers,
    /// or by its shape where they could not be read ([`super::personal::Personal::of`];
    /// [`crate::ids::personal_serial_warning`]).
    pub fn personal_serial_warnings(
        &self,
        own: Option<&super::personal::OwnNumbers>,
    ) -> Vec<tongban_schemas::Violation> {
        self.action_serial()
            .and_then(|s| {
                super::personal::Personal::of(s.value, own)
                    .map(|p| crate::ids::personal_serial_warning(s.pointer, s.field, p))
            })
            .into_iter()
            .collect()
    }
}
