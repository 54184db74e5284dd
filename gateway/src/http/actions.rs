//! Action bodies: each action's payload is its event's registered schema, checked with every
//! problem reported at its pointer.

use serde_json::Value;
use tongban_schemas::events as ev;

use super::body::typed;
use super::problem::Problem;
use crate::domain::{Action, Command};

pub fn parse(action: Action, body: Value) -> Result<Command, Problem> {
    Ok(match action {
        Action::Forward => Command::Forward(typed::<ev::Forwarded>(body)?),
        Action::Accept => Command::Accept(typed::<ev::Accepted>(body)?),
        Action::NotAccept => Command::NotAccept(typed::<ev::NotAccepted>(body)?),
        Action::RequestSupplement => {
            Command::RequestSupplement(typed::<ev::SupplementRequested>(body)?)
        }
        Action::Supplement => Command::Supplement(typed::<ev::Supplemented>(body)?),
        Action::Suspend => Command::Suspend(typed::<ev::Suspended>(body)?),
        Action::Resume => Command::Resume(typed::<ev::Resumed>(body)?),
        Action::ExtendDeadline => Command::ExtendDeadline(typed::<ev::DeadlineExtended>(body)?),
        Action::CompletePart => Command::CompletePart(typed::<ev::PartCompleted>(body)?),
        Action::Approve => Command::Approve(typed::<ev::Approved>(body)?),
        Action::Deny => Command::Deny(typed::<ev::Denied>(body)?),
        Action::IssueResult => Command::IssueResult(typed::<ev::ResultIssued>(body)?),
        Action::Deliver => Command::Deliver(typed::<ev::Delivered>(body)?),
        Action::Withdraw => Command::Withdraw(typed::<ev::Withdrawn>(body)?),
    })
}

/// The JSON Schema of each action's body, for the OpenAPI document.
pub fn schema(action: Action) -> Value {
    let s = match action {
        Action::Forward => schemars::schema_for!(ev::Forwarded),
        Action::Accept => schemars::schema_for!(ev::Accepted),
        Action::NotAccept => schemars::schema_for!(ev::NotAccepted),
        Action::RequestSupplement => schemars::schema_for!(ev::SupplementRequested),
        Action::Supplement => schemars::schema_for!(ev::Supplemented),
        Action::Suspend => schemars::schema_for!(ev::Suspended),
        Action::Resume => schemars::schema_for!(ev::Resumed),
        Action::ExtendDeadline => schemars::schema_for!(ev::DeadlineExtended),
        Action::CompletePart => schemars::schema_for!(ev::PartCompleted),
        Action::Approve => schemars::schema_for!(ev::Approved),
        Action::Deny => schemars::schema_for!(ev::Denied),
        Action::IssueResult => schemars::schema_for!(ev::ResultIssued),
        Action::Deliver => schemars::schema_for!(ev::Delivered),
        Action::Withdraw => schemars::schema_for!(ev::Withdrawn),
    };
    serde_json::to_value(s).unwrap_or_default()
}
