//! The application aggregate: the state every decision is made against, folded from events.

use serde::{Deserialize, Serialize};
use tongban_schemas::Mode;

use super::lifecycle::{Action, Event};
use super::status::Status;

/// A region's part in one application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// 收件地: submits, forwards, hands in supplements, withdraws.
    Origin,
    /// 主办地: the first handler; accepts, asks for supplements, suspends, decides, issues.
    LeadHandler,
    /// 协办地 (joint mode): completes its own part.
    Handler,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Origin => "origin",
            Role::LeadHandler => "lead-handler",
            Role::Handler => "handler",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The version of the rules [`Application::apply_from`] folds events by. A state folded once is
/// kept outside this build (the projections' views, on disk across upgrades and rollbacks), and
/// an action may start from it instead of folding the whole history again; it may only when the
/// state was folded by these rules. Raise it with any change to what a fold makes of an event
/// (`tests::the_fold_rules_are_pinned` fails until it is raised), and with any change to how an
/// event's data is read or upcast that reaches the state (which the pinned digest does not
/// see).
///
/// 2: a part completed while the lead handler has suspended keeps the status suspended and
/// makes the resumption return to part-completed (1 never met one: it refused them).
///
/// 3: the deadlines folded beside the state (the views hold both) record the deemed acceptance
/// (行政许可法 Art. 32, [`super::deadlines`]): an acceptance window records the due date of the
/// decision clock its lapse would start, and the first event after it ran out finds that clock
/// running from the receipt (a late 补正告知 no longer leaves it unstarted). Views folded by 2
/// are read right all the same ([`super::deadlines::Deadlines::as_of`] derives the clock).
/// They also record who held a clock before its holder (`handed_over`: the issue clock passes to
/// the delivering region at the issue, and kept by the issuer when it delivers the result
/// itself); views folded by 2 show its final holder alone.
///
/// 4: a supplement to an application already accepted by law (the deemed acceptance above: its
/// 补正告知 came after the window ran out) opens no second acceptance window; views folded by 3
/// keep that window, overdue beside the deemed decision clock, until `tongban rebuild`.
///
/// 5: the state counts the suspensions (`suspensions`), which the cap on them is decided by
/// ([`super::decide::Caps`]); a state folded by 4 has none counted, and an action on it would
/// take more than the cap allows.
pub const FOLD_RULES: u32 = 5;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    pub matter: String,
    pub mode: Mode,
    pub origin: String,
    /// The first is the lead handler.
    pub handlers: Vec<String>,
    pub status: Status,
    /// The seq of the last event folded in.
    pub seq: u64,
    /// The status to return to when a suspension ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_to: Option<Status>,
    /// 补正告知 is made once, all at once.
    #[serde(default)]
    pub supplement_requested: bool,
    /// The decision limit can be extended once.
    #[serde(default)]
    pub deadline_extended: bool,
    /// Handlers (joint mode) whose part is done, in completion order.
    #[serde(default)]
    pub parts_completed: Vec<String>,
    /// How many times the clock was suspended (特别程序), resumed or not: what the cap on
    /// suspensions is decided by ([`super::decide::Caps`]). Counted, never refused by the fold:
    /// a log with more than this gateway's cap (one kept under a higher cap) still folds.
    #[serde(default)]
    pub suspensions: u32,
}

impl Application {
    pub fn lead_handler(&self) -> &str {
        self.handlers
            .first()
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The region's role, if it is a party at all.
    pub fn role_of(&self, region: &str) -> Option<Role> {
        if region == self.origin {
            Some(Role::Origin)
        } else if region == self.lead_handler() {
            Some(Role::LeadHandler)
        } else if self.handlers.iter().any(|h| h == region) {
            Some(Role::Handler)
        } else {
            None
        }
    }

    /// Every region party to it ([`parties_of`]).
    pub fn parties(&self) -> Vec<String> {
        parties_of(&self.origin, &self.handlers)
    }

    pub fn is_party(&self, region: &str) -> bool {
        self.role_of(region).is_some()
    }

    /// Handlers whose part (joint mode) is still outstanding.
    pub fn parts_outstanding(&self) -> Vec<String> {
        if self.mode != Mode::Joint {
            return Vec::new();
        }
        self.handlers
            .iter()
            .filter(|h| !self.parts_completed.contains(h))
            .cloned()
            .collect()
    }

    /// Folds one event in. Events come from the log, already decided, so this never refuses.
    pub fn apply(state: Option<Application>, app_id: &str, event: &Event) -> Application {
        let mut app = match (state, event) {
            (_, Event::Submitted(s)) => Application {
                id: app_id.to_string(),
                matter: s.matter.clone(),
                mode: s.mode,
                origin: s.origin.clone(),
                handlers: s.handlers.clone(),
                status: Status::Submitted,
                seq: 0,
                resume_to: None,
                supplement_requested: false,
                deadline_extended: false,
                parts_completed: Vec::new(),
                suspensions: 0,
            },
            (Some(app), _) => app,
            // An event before the submission cannot come out of a verified log; start empty so
            // the fold stays total and the chain check reports the real problem.
            (None, _) => Application {
                id: app_id.to_string(),
                matter: String::new(),
                mode: Mode::Online,
                origin: String::new(),
                handlers: Vec::new(),
                status: Status::Submitted,
                seq: 0,
                resume_to: None,
                supplement_requested: false,
                deadline_extended: false,
                parts_completed: Vec::new(),
                suspensions: 0,
            },
        };
        app.seq += 1;
        match event {
            Event::Submitted(_) => {}
            Event::Forward(_) => app.status = Status::Forwarded,
            Event::Accept(_) => app.status = Status::Accepted,
            Event::NotAccept(_) => app.status = Status::NotAccepted,
            Event::RequestSupplement(_) => {
                app.status = Status::SupplementRequested;
                app.supplement_requested = true;
            }
            Event::Supplement(_) => app.status = Status::Supplemented,
            Event::Suspend(_) => {
                app.resume_to = Some(app.status);
                app.status = Status::Suspended;
                app.suspensions = app.suspensions.saturating_add(1);
            }
            Event::Resume(_) => app.status = app.resume_to.take().unwrap_or(Status::Accepted),
            Event::ExtendDeadline(_) => app.deadline_extended = true,
            // Done during a suspension: the status stays suspended, and the resumption returns
            // to part-completed.
            Event::CompletePart(_) if app.status == Status::Suspended => {
                app.resume_to = Some(Status::PartCompleted)
            }
            Event::CompletePart(_) => app.status = Status::PartCompleted,
            Event::Approve(_) => app.status = Status::Approved,
            Event::Deny(_) => app.status = Status::Denied,
            Event::IssueResult(_) => app.status = Status::ResultIssued,
            Event::Deliver(_) => app.status = Status::Delivered,
            Event::Withdraw(_) => app.status = Status::Withdrawn,
        }
        app
    }

    /// Records which region completed a part; the region is the envelope's, not the payload's.
    pub fn apply_from(
        state: Option<Application>,
        app_id: &str,
        region: &str,
        event: &Event,
    ) -> Application {
        let mut app = Application::apply(state, app_id, event);
        if matches!(event, Event::CompletePart(_))
            && !app.parts_completed.iter().any(|r| r == region)
        {
            app.parts_completed.push(region.to_string());
        }
        app
    }

    /// Who the application is waiting for, and for what: the basis of each region's inbox.
    /// Optional moves (withdrawing, suspending, extending) are not waits.
    pub fn awaiting(&self) -> Vec<(String, Action)> {
        let lead = self.lead_handler().to_string();
        let origin = self.origin.clone();
        let mut out = Vec::new();
        match self.status {
            Status::Submitted => out.push((origin, Action::Forward)),
            Status::Forwarded | Status::Supplemented => out.push((lead, Action::Accept)),
            Status::SupplementRequested => out.push((origin, Action::Supplement)),
            Status::Accepted | Status::PartCompleted => {
                let outstanding = self.parts_outstanding();
                if outstanding.is_empty() {
                    out.push((lead, Action::Approve));
                } else {
                    out.extend(outstanding.into_iter().map(|h| (h, Action::CompletePart)));
                }
            }
            Status::Suspended => {
                // The other handlers' parts are still theirs to do while the lead's clock is
                // paused.
                out.extend(
                    self.parts_outstanding()
                        .into_iter()
                        .filter(|h| *h != lead)
                        .map(|h| (h, Action::CompletePart)),
                );
                out.push((lead, Action::Resume));
            }
            Status::Approved => out.push((lead, Action::IssueResult)),
            Status::ResultIssued | Status::Denied => {
                let deliverer = if self.mode == Mode::Proxy {
                    origin
                } else {
                    lead
                };
                out.push((deliverer, Action::Deliver));
            }
            Status::NotAccepted | Status::Delivered | Status::Withdrawn => {}
        }
        out
    }
}

/// The regions party to an application of `origin` and `handlers`, as its submission names
/// them: the origin, then each handler once, in order. The one list of whose feeds give an
/// application's events (and held or repeated markers) and whose cursors its dispute tools
/// read. Each once: a decided submission names no region twice ([`super::check_parties`]), but
/// a submission read from the log may not be one the gateway decided, and a region listed
/// twice would find one position twice in its feed.
pub fn parties_of(origin: &str, handlers: &[String]) -> Vec<String> {
    let mut out = vec![origin.to_string()];
    for h in handlers {
        if !out.contains(h) {
            out.push(h.clone());
        }
    }
    out
}
