//! Commands, actions and events of the lifecycle, defined together so they cannot drift apart.
//!
//! Every action (`forward`, `accept` …) is one command carrying the payload of the one event it
//! produces when allowed. The payload types are the registered event schemas in `tongban-schemas`.

use serde_json::Value;
use tongban_schemas::events as ev;

/// What a command is, for a decision that handles each kind once: a submission, which starts
/// an application and names no action, or an action on an application ([`Command::step`]).
/// Matched on instead of [`Command::action`]'s `None`, a decision has no case left over that
/// no command reaches (an action that is a submission, a submission without its payload).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step<'a> {
    Submit(&'a ev::Submitted),
    Act(Action),
}

macro_rules! lifecycle {
    ($( $variant:ident ( $payload:ident ) action $action:literal ),* $(,)?) => {
        /// An action a region can take on an existing application, named as in the HTTP path.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action { $($variant),* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant),*];

            /// kebab-case name used in `POST /v1/applications/{id}/{action}`.
            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $action),* }
            }

            pub fn parse(s: &str) -> Option<Action> {
                match s { $($action => Some(Action::$variant),)* _ => None }
            }

            /// Builds the command from a JSON body in the payload's own shape.
            pub fn command(self, body: Value) -> Result<Command, serde_json::Error> {
                Ok(match self { $(Action::$variant => Command::$variant(serde_json::from_value(body)?)),* })
            }

            /// The event type this action produces.
            pub fn event_type(self) -> &'static str {
                match self { $(Action::$variant => ev::$payload::TYPE),* }
            }
        }

        /// A request to change an application.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Command {
            Submit(ev::Submitted),
            $($variant(ev::$payload)),*
        }

        impl Command {
            /// The action, or `None` for a submission.
            pub fn action(&self) -> Option<Action> {
                match self { Command::Submit(_) => None, $(Command::$variant(_) => Some(Action::$variant)),* }
            }

            /// What the command is ([`Step`]): a submission, with what it submits, or an action.
            pub fn step(&self) -> Step<'_> {
                match self { Command::Submit(s) => Step::Submit(s), $(Command::$variant(_) => Step::Act(Action::$variant)),* }
            }

            /// The event this command produces once allowed.
            pub fn into_event(self) -> Event {
                match self { Command::Submit(p) => Event::Submitted(p), $(Command::$variant(p) => Event::$variant(p)),* }
            }
        }

        /// A fact: something that happened to an application.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            Submitted(ev::Submitted),
            $($variant(ev::$payload)),*
        }

        impl Event {
            /// The envelope `type`.
            pub fn type_name(&self) -> &'static str {
                match self { Event::Submitted(_) => ev::Submitted::TYPE, $(Event::$variant(_) => ev::$payload::TYPE),* }
            }

            /// The envelope `data`.
            pub fn data(&self) -> Value {
                let v = match self {
                    Event::Submitted(p) => serde_json::to_value(p),
                    $(Event::$variant(p) => serde_json::to_value(p)),*
                };
                v.unwrap_or(Value::Null)
            }

            /// [`Event::data`] of an event the caller gives up: a submission's applicant and
            /// form move into the data instead of being copied.
            pub fn into_data(self) -> Value {
                match self {
                    Event::Submitted(mut s) => {
                        let applicant = std::mem::take(&mut s.applicant);
                        let form = std::mem::take(&mut s.form);
                        let mut data = serde_json::to_value(&s).unwrap_or(Value::Null);
                        if let Value::Object(map) = &mut data {
                            map.insert("applicant".to_string(), applicant);
                            map.insert("form".to_string(), form);
                        }
                        data
                    }
                    other => other.data(),
                }
            }

            /// Decodes an envelope's `type` and `data`.
            pub fn decode(type_name: &str, data: &Value) -> Result<Event, EventDecodeError> {
                let err = |e: serde_json::Error| EventDecodeError::Data { type_name: type_name.to_string(), reason: tongban_schemas::mask::serde_error(&e) };
                // Deserialize from the borrowed value: no copy of the payload.
                use serde::Deserialize as _;
                if type_name == ev::Submitted::TYPE {
                    return ev::Submitted::deserialize(data).map(Event::Submitted).map_err(err);
                }
                $(if type_name == ev::$payload::TYPE {
                    return ev::$payload::deserialize(data).map(Event::$variant).map_err(err);
                })*
                Err(EventDecodeError::UnknownType(type_name.to_string()))
            }

            /// [`Event::decode`] of `data` the caller gives up: moved into the event, not copied.
            pub fn decode_owned(type_name: &str, data: Value) -> Result<Event, EventDecodeError> {
                let err = |e: serde_json::Error| EventDecodeError::Data { type_name: type_name.to_string(), reason: tongban_schemas::mask::serde_error(&e) };
                use serde::Deserialize as _;
                if type_name == ev::Submitted::TYPE {
                    // Applicant and form moved in whole (`super::moved`).
                    return super::moved::with_applicant_and_form_moved(data).map(Event::Submitted).map_err(err);
                }
                $(if type_name == ev::$payload::TYPE {
                    return ev::$payload::deserialize(data).map(Event::$variant).map_err(err);
                })*
                Err(EventDecodeError::UnknownType(type_name.to_string()))
            }
        }
    };
}

lifecycle! {
    Forward(Forwarded) action "forward",
    Accept(Accepted) action "accept",
    NotAccept(NotAccepted) action "not-accept",
    RequestSupplement(SupplementRequested) action "request-supplement",
    Supplement(Supplemented) action "supplement",
    Suspend(Suspended) action "suspend",
    Resume(Resumed) action "resume",
    ExtendDeadline(DeadlineExtended) action "extend-deadline",
    CompletePart(PartCompleted) action "complete-part",
    Approve(Approved) action "approve",
    Deny(Denied) action "deny",
    IssueResult(ResultIssued) action "issue-result",
    Deliver(Delivered) action "deliver",
    Withdraw(Withdrawn) action "withdraw",
}

impl Action {
    /// Who may take the action and when, as [`super::decide`] allows it, for the people who
    /// integrate with it (each action's summary in the OpenAPI document).
    pub fn rule(self) -> &'static str {
        match self {
            Action::Forward => {
                "The origin, once, from submitted; in proxy mode (异地代收代办) with \
                 `materials_checked: true`"
            }
            Action::Accept => "The lead handler, from forwarded or supplemented",
            Action::NotAccept => {
                "The lead handler, from forwarded, supplement-requested or supplemented"
            }
            Action::RequestSupplement => {
                "The lead handler, once (补正告知, all at once), from forwarded or supplemented"
            }
            Action::Supplement => "The origin, from supplement-requested",
            Action::Suspend => "The lead handler, while accepted or part-completed",
            Action::Resume => "The lead handler, from suspended",
            Action::ExtendDeadline => {
                "The lead handler, once, while accepted, part-completed or suspended"
            }
            Action::CompletePart => {
                "Each handler of a joint (多地联办) application, once, while accepted or \
                 part-completed; the other handlers also while the lead has suspended"
            }
            Action::Approve => {
                "The lead handler, while accepted or part-completed, once every joint part is done"
            }
            Action::Deny => "The lead handler, while accepted or part-completed",
            Action::IssueResult => {
                "The lead handler, from approved, naming its licence (电子证照) or its document"
            }
            Action::Deliver => {
                "The origin or the lead handler, from result-issued or denied; by post with its \
                 tracking number"
            }
            Action::Withdraw => {
                "The origin, before the decision; in joint mode only while no handler has \
                 completed its part"
            }
        }
    }
}

impl Event {
    /// Decodes a stored envelope's payload, upcasting it first when it was written under an older
    /// version of its schema than the one this build reads: events stay readable after a new
    /// version lands.
    pub fn from_envelope(env: &crate::envelope::Envelope) -> Result<Event, EventDecodeError> {
        Event::from_envelope_in(env, tongban_schemas::registry::Registry::builtin())
    }

    /// [`Event::from_envelope`] against a given registry (its latest version is what this build
    /// reads).
    pub fn from_envelope_in(
        env: &crate::envelope::Envelope,
        registry: &tongban_schemas::registry::Registry,
    ) -> Result<Event, EventDecodeError> {
        match Event::written_before_latest(env, registry) {
            Some((subject, version)) => {
                Event::upcast(env, registry, subject, version, env.data.clone())
            }
            None => Event::decode(&env.kind, &env.data),
        }
    }

    /// [`Event::from_envelope`] for an envelope whose payload the caller no longer needs: its
    /// `data` is taken (left `null`) and moved into the event instead of copied. The projections
    /// fold every event once and keep nothing of its `data` but what the fold keeps.
    pub fn take_from_envelope(
        env: &mut crate::envelope::Envelope,
    ) -> Result<Event, EventDecodeError> {
        let registry = tongban_schemas::registry::Registry::builtin();
        let data = env.data.take();
        match Event::written_before_latest(env, registry) {
            Some((subject, version)) => Event::upcast(env, registry, subject, version, data),
            None => Event::decode_owned(&env.kind, data),
        }
    }

    /// The `(subject, version)` an envelope's payload was written under, when that is older than
    /// the version this build reads (so it must be upcast first).
    fn written_before_latest<'e>(
        env: &'e crate::envelope::Envelope,
        registry: &tongban_schemas::registry::Registry,
    ) -> Option<(&'e str, u32)> {
        tongban_schemas::registry::parse_schema_ref(&env.schema).filter(|(subject, version)| {
            registry
                .latest(subject)
                .is_some_and(|latest| *version < latest)
        })
    }

    fn upcast(
        env: &crate::envelope::Envelope,
        registry: &tongban_schemas::registry::Registry,
        subject: &str,
        version: u32,
        data: Value,
    ) -> Result<Event, EventDecodeError> {
        let (_, data) =
            registry
                .upcast(subject, version, data)
                .map_err(|e| EventDecodeError::Data {
                    type_name: env.kind.clone(),
                    reason: format!("upcasting from version {version}: {e}"),
                })?;
        Event::decode_owned(&env.kind, data)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventDecodeError {
    #[error("unknown event type {0:?}")]
    UnknownType(String),
    #[error("event {type_name} has malformed data: {reason}")]
    Data { type_name: String, reason: String },
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
