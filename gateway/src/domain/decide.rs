//! The decision function: given the current state, may this region do this? If so, which event.
//!
//! Rules (行政许可法 and 国办发〔2020〕35号):
//! - the origin submits, forwards, hands in supplements and may withdraw until the decision; in
//!   proxy mode (异地代收代办) its forward says that its window checked the applicant's identity
//!   and materials (`materials_checked: true`), or it is refused;
//! - the lead handler (first of `handlers`) accepts or refuses, gives the one 补正告知, suspends and
//!   resumes the clock (up to the gateway's cap on suspensions, [`Caps`]), extends the decision
//!   limit once, decides and issues the result;
//! - in joint mode every handler completes its own part, and approval waits for all parts; a
//!   refusal does not: when one authority refuses its part (迁入地 refusing the move in), the lead
//!   refuses the application, parts outstanding or not, or it would wait for parts that will
//!   never be done, with only the origin's withdrawal to end it;
//! - a reason, and each item of a 补正告知, is text: one of spaces alone is refused, since a
//!   refusal must state why and the one 补正告知 must list what is missing; so is an identifier
//!   of spaces alone (受理编号, 文书编号, 证照编号, 快递单号…), which names nothing: one not
//!   known is left out;
//! - the result names what was issued: its 电子证照 (licence), its document, or both;
//! - the result is delivered by the origin's window or the lead handler; a delivery by post
//!   (邮寄) names its 快递单号 (`tracking`), and no other delivery has one.

use tongban_schemas::events::DeliveryChannel;
use tongban_schemas::{Mode, matters};

use super::application::{Application, Role};
use super::error::DomainError;
use super::lifecycle::{Action, Command, Event, Step};
use super::status::Status;

/// How many times an action the lifecycle lets come back may be taken on one application.
///
/// Every other action is bounded by the lifecycle itself (each once, or once per handler), but
/// suspend and resume return to where they started: without a cap a handler could grow one
/// application's history without end, a pair of small requests at a time, and with it what
/// every reader of the application pays (its parties' feeds and views, the dispute page, the
/// operators' replay). The law puts no number on 特别程序 (行政许可法 Art. 45: a hearing, an
/// inspection, testing, quarantine or an expert review does not count toward the limit), and a
/// real handler suspends an application a few times at most: [`Caps::DEFAULT`] leaves room for
/// each of those more than once. A decision rule, never a fold rule: a log kept under a higher
/// cap still folds and replays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    /// The suspensions one application may have, resumed or not.
    pub suspensions: u32,
}

impl Caps {
    /// The cap a gateway decides by unless told otherwise (`tongban serve --max-suspensions`).
    pub const DEFAULT: Caps = Caps { suspensions: 20 };
    /// No cap at all (`--max-suspensions off`): for measurements that grow long histories.
    pub const NONE: Caps = Caps {
        suspensions: u32::MAX,
    };
}

impl Caps {
    /// Whether an application that has had `suspensions` suspensions may have another under
    /// this cap: the one statement of it, asked when a suspension is decided and when an inbox
    /// or outbox line is served (a line keeps the count, so that its `allowed` is judged under
    /// the serving gateway's cap, not the one it was written under).
    pub fn takes_another_suspension(self, suspensions: u32) -> bool {
        suspensions < self.suspensions
    }
}

impl Default for Caps {
    fn default() -> Caps {
        Caps::DEFAULT
    }
}

/// Decides `command` by `region` against `state` (None: the application does not exist yet),
/// under `caps`.
pub fn decide(
    state: Option<&Application>,
    region: &str,
    command: Command,
    caps: Caps,
) -> Result<Event, DomainError> {
    let act = match command.step() {
        Step::Submit(s) => {
            if let Some(app) = state {
                return Err(DomainError::AlreadyExists {
                    app: app.id.clone(),
                });
            }
            check_submission(region, s)?;
            if let Some(fault) = body_faults(&command).into_iter().next() {
                return Err(fault);
            }
            return Ok(command.into_event());
        }
        Step::Act(act) => act,
    };
    // The edge answers 404 before deciding; an action on nothing is never legal.
    let Some(app) = state else {
        return Err(DomainError::IllegalTransition {
            state: Status::Submitted,
            action: act.as_str(),
        });
    };
    // Known before the body is looked at: not a party is said before the body's own faults.
    let role = role_of(app, region)?;
    // The body's own fault, whatever the state: said before a state or a stale seq is, so that
    // the caller does not refresh and retry only to hear it then. (Over HTTP every such fault is
    // answered at the edge, before the application is looked up: [`body_faults`].)
    if let Some(fault) = body_faults(&command).into_iter().next() {
        return Err(fault);
    }
    permitted_as(app, region, role, act, caps)?;
    // 异地代收代办: the origin's window checks the applicant's identity and materials before it
    // hands them on; the forward is the record that it did.
    if let Command::Forward(f) = &command
        && app.mode == Mode::Proxy
        && !f.materials_checked
    {
        return Err(DomainError::MaterialsNotChecked);
    }
    Ok(command.into_event())
}

/// Every action `region` may take next on `app`, whatever its body would say: what an inbox
/// line lists beside what the application waits for ([`Application::awaiting`] names only the
/// expected step: a lead handler awaited to accept may also refuse or request a supplement).
pub fn allowed(app: &Application, region: &str, caps: Caps) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| permitted(app, region, *a, caps).is_ok())
        .collect()
}

/// Whether `act` is still open on an application the law counts as accepted (行政许可法 Art. 32:
/// its acceptance window ran out unanswered, [`super::deadlines::Deadlines::deemed_acceptance`]):
/// all but `not-accept`. A refusal of an accepted application is a decision after review
/// (`deny`, once accepted), not a refusal to accept it. A late `request-supplement` stays
/// open, though the law's five days for it are past (its answer warns too): the handler may
/// need the materials to decide, and the supplement opens no new acceptance window, so it
/// costs the applicant nothing of the decision clock running from the receipt. [`decide`], pure on the state, does not
/// see the clock and still takes a `not-accept` (its answer warns, rule `deemed-accepted`); what
/// a region is offered leaves it out ([`allowed_by_law`]).
pub fn open_once_accepted_by_law(act: Action) -> bool {
    act != Action::NotAccept
}

/// [`allowed`] of an application the law may count as accepted (`accepted_by_law`, judged from
/// its deadlines at the moment of asking): then without what [`open_once_accepted_by_law`]
/// leaves out.
pub fn allowed_by_law(
    app: &Application,
    region: &str,
    accepted_by_law: bool,
    caps: Caps,
) -> Vec<Action> {
    let mut actions = allowed(app, region, caps);
    if accepted_by_law {
        actions.retain(|a| open_once_accepted_by_law(*a));
    }
    actions
}

/// Whether `region` may take `act` on `app` as it stands: its role, the state, and what the
/// application's history rules out (a second 补正告知 or extension, a part done twice, approval
/// with parts outstanding, withdrawal after a part, a suspension past `caps`). The one
/// statement of these rules ([`permitted_as`]), which [`decide`] and [`allowed`] both ask; what
/// depends on the body is [`decide`]'s.
fn permitted(app: &Application, region: &str, act: Action, caps: Caps) -> Result<(), DomainError> {
    permitted_as(app, region, role_of(app, region)?, act, caps)
}

/// `region`'s role in `app`, or the refusal of a region that is none of its parties.
fn role_of(app: &Application, region: &str) -> Result<Role, DomainError> {
    app.role_of(region).ok_or_else(|| DomainError::NotAParty {
        app: app.id.clone(),
        region: region.to_string(),
    })
}

/// [`permitted`] for a region whose `role` is known: [`decide`] asks for it before the body's
/// faults, and judges the action by it without asking again.
fn permitted_as(
    app: &Application,
    region: &str,
    role: Role,
    act: Action,
    caps: Caps,
) -> Result<(), DomainError> {
    let action = act.as_str();
    let need = |allowed: &[Role], label: &'static str| -> Result<(), DomainError> {
        if allowed.contains(&role) {
            Ok(())
        } else {
            Err(DomainError::WrongRole {
                action,
                allowed: label,
                region: region.to_string(),
                role,
            })
        }
    };
    let in_state = |allowed: &[Status]| -> Result<(), DomainError> {
        if allowed.contains(&app.status) {
            Ok(())
        } else {
            Err(DomainError::IllegalTransition {
                state: app.status,
                action,
            })
        }
    };
    const ORIGIN: &[Role] = &[Role::Origin];
    const LEAD: &[Role] = &[Role::LeadHandler];
    const DECIDING: &[Status] = &[Status::Accepted, Status::PartCompleted];

    match act {
        Action::Forward => {
            need(ORIGIN, "origin")?;
            in_state(&[Status::Submitted])
        }
        Action::Accept => {
            need(LEAD, "lead handler")?;
            in_state(&[Status::Forwarded, Status::Supplemented])
        }
        Action::NotAccept => {
            need(LEAD, "lead handler")?;
            in_state(&[
                Status::Forwarded,
                Status::Supplemented,
                Status::SupplementRequested,
            ])
        }
        Action::RequestSupplement => {
            need(LEAD, "lead handler")?;
            in_state(&[Status::Forwarded, Status::Supplemented])?;
            if app.supplement_requested {
                return Err(DomainError::SupplementAlreadyRequested);
            }
            Ok(())
        }
        Action::Supplement => {
            need(ORIGIN, "origin")?;
            in_state(&[Status::SupplementRequested])
        }
        Action::Suspend => {
            need(LEAD, "lead handler")?;
            in_state(DECIDING)?;
            if !caps.takes_another_suspension(app.suspensions) {
                return Err(DomainError::SuspensionsExhausted {
                    cap: caps.suspensions,
                });
            }
            Ok(())
        }
        Action::Resume => {
            need(LEAD, "lead handler")?;
            in_state(&[Status::Suspended])
        }
        Action::ExtendDeadline => {
            need(LEAD, "lead handler")?;
            in_state(&[Status::Accepted, Status::PartCompleted, Status::Suspended])?;
            if app.deadline_extended {
                return Err(DomainError::DeadlineAlreadyExtended);
            }
            Ok(())
        }
        Action::CompletePart => {
            need(&[Role::LeadHandler, Role::Handler], "handlers")?;
            // Said before the state: no state of this application will ever allow it.
            if app.mode != Mode::Joint {
                return Err(DomainError::NotJoint {
                    mode: app.mode.as_str(),
                });
            }
            // Also, by the other handlers, while the lead handler's 特别程序 pauses its decision
            // clock: a hearing or an inspection by the 迁入地 does not stop the 迁出地 doing its
            // own part. The lead's own part waits for its resumption.
            match role {
                Role::LeadHandler => in_state(DECIDING)?,
                _ => in_state(&[Status::Accepted, Status::PartCompleted, Status::Suspended])?,
            }
            if app.parts_completed.iter().any(|r| r == region) {
                return Err(DomainError::PartAlreadyCompleted {
                    region: region.to_string(),
                });
            }
            Ok(())
        }
        Action::Deny => {
            need(LEAD, "lead handler")?;
            in_state(DECIDING)
        }
        Action::Approve => {
            need(LEAD, "lead handler")?;
            in_state(DECIDING)?;
            let outstanding = app.parts_outstanding();
            if !outstanding.is_empty() {
                return Err(DomainError::PartsOutstanding {
                    action,
                    outstanding,
                });
            }
            Ok(())
        }
        Action::IssueResult => {
            need(LEAD, "lead handler")?;
            in_state(&[Status::Approved])
        }
        Action::Deliver => {
            need(
                &[Role::Origin, Role::LeadHandler],
                "origin or the lead handler",
            )?;
            in_state(&[Status::ResultIssued, Status::Denied])
        }
        // 撤回 before the decision; in joint mode (多地联办) only while no handler has completed
        // its part: a part done (the 迁出地 has moved the record out) is an authority's act
        // that a withdrawal would leave standing with no application behind it.
        Action::Withdraw => {
            need(ORIGIN, "origin")?;
            in_state(&[
                Status::Submitted,
                Status::Forwarded,
                Status::SupplementRequested,
                Status::Supplemented,
                Status::Accepted,
                Status::Suspended,
                Status::PartCompleted,
            ])?;
            if !app.parts_completed.is_empty() {
                return Err(DomainError::PartsDone {
                    completed: app.parts_completed.clone(),
                });
            }
            Ok(())
        }
    }
}

/// Everything wrong with `command`'s body whatever the state, in the body's order: each text that
/// says nothing ([`blank_text`]), then what the fields say together: a result names what was
/// issued (its 电子证照 or its document); a delivery by post names its 快递单号, and only a
/// delivery by post has one. [`decide`] refuses with the first; the HTTP edge answers them all
/// at once, beside the schema's findings.
pub fn body_faults(command: &Command) -> Vec<DomainError> {
    let blanks = blank_text(command);
    let mut faults: Vec<DomainError> = blanks
        .iter()
        .map(|field| DomainError::Blank {
            field: field.clone(),
        })
        .collect();
    // An identifier that says something, but holds what shows nothing or reorders it.
    faults.extend(
        identifiers(command)
            .into_iter()
            .filter(|(pointer, _)| !blanks.contains(pointer))
            .filter_map(|(field, text)| {
                let found = tongban_schemas::unseen::found_in(text);
                (!found.is_empty()).then_some(DomainError::Unseen { field, found })
            }),
    );
    match command {
        Command::IssueResult(r) if r.licence.is_none() && r.document.is_none() => {
            faults.push(DomainError::NoResultReference)
        }
        Command::Deliver(d) => match (d.channel, &d.tracking) {
            (DeliveryChannel::Post, None) => faults.push(DomainError::TrackingRequired),
            (DeliveryChannel::Window, Some(_)) => {
                faults.push(DomainError::TrackingNotPost { channel: "window" })
            }
            (DeliveryChannel::Online, Some(_)) => {
                faults.push(DomainError::TrackingNotPost { channel: "online" })
            }
            _ => {}
        },
        _ => {}
    }
    faults
}

/// Every identifier `command` gives, with its pointer, in the body's order: the numbers a party's
/// system chose (受理编号, 决定文书编号, 证照编号, 快递单号) and the type codes of a licence, a
/// result document and the materials a submission or a supplement lists. None may hold an invisible character
/// ([`tongban_schemas::unseen::is_invisible`]): a number shown otherwise than it is stored is
/// never found by the reader who copies it. Names, reasons, notes and a joint handler's part are
/// text, which may be written in a right-to-left script, and are not listed.
fn identifiers<'a>(command: &'a Command) -> Vec<(String, &'a str)> {
    let mut out: Vec<(String, &'a str)> = Vec::new();
    let mut at = |pointer: String, text: Option<&'a str>| {
        if let Some(text) = text {
            out.push((pointer, text));
        }
    };
    match command {
        Command::Accept(a) => at("/reference".into(), a.reference.as_deref()),
        Command::Approve(a) => at("/decision_number".into(), a.decision_number.as_deref()),
        Command::Deny(d) => at("/decision_number".into(), d.decision_number.as_deref()),
        Command::IssueResult(r) => {
            if let Some(l) = &r.licence {
                at("/licence/kind".into(), Some(&l.kind));
                at("/licence/number".into(), Some(&l.number));
            }
            if let Some(d) = &r.document {
                at("/document/kind".into(), Some(&d.kind));
            }
        }
        Command::Supplement(s) => {
            for (i, m) in s.materials.iter().enumerate() {
                at(format!("/materials/{i}/kind"), Some(&m.kind));
            }
        }
        Command::Submit(s) => {
            for (i, m) in s.materials.iter().enumerate() {
                at(format!("/materials/{i}/kind"), Some(&m.kind));
            }
        }
        Command::Deliver(d) => at("/tracking".into(), d.tracking.as_deref()),
        _ => {}
    }
    out
}

/// Every text of `command` that must say something and is empty or holds only characters that
/// show nothing ([`shows_nothing`]), as pointers into its body, in the body's order: a reason,
/// each item of a 补正告知, and every identifier that is given (受理编号, 决定文书编号, the
/// 电子证照's type and number, a result document's or supplied material's name and type, 快递单号,
/// the part a joint handler completed). An identifier of spaces names nothing (a blank 受理编号 would sit in the serial
/// index where no search finds it): one not known is left out. The payload schemas ask
/// `minLength` of the reasons and the licence's fields, and nothing of the rest.
fn blank_text(command: &Command) -> Vec<String> {
    let given = |s: &Option<String>| s.as_deref().is_some_and(blank);
    let mut out = Vec::new();
    let mut at = |pointer: &str, is_blank: bool| {
        if is_blank {
            out.push(pointer.to_string());
        }
    };
    match command {
        Command::NotAccept(r) => at("/reason", blank(&r.reason)),
        Command::Deny(d) => {
            at("/reason", blank(&d.reason));
            at("/decision_number", given(&d.decision_number));
        }
        Command::Suspend(s) => at("/reason", blank(&s.reason)),
        Command::ExtendDeadline(e) => at("/reason", blank(&e.reason)),
        Command::RequestSupplement(r) => {
            for (i, item) in r.items.iter().enumerate() {
                at(&format!("/items/{i}"), blank(item));
            }
        }
        Command::Supplement(s) => {
            for (i, m) in s.materials.iter().enumerate() {
                out.extend(blank_material(m, &format!("/materials/{i}")));
            }
        }
        Command::Accept(a) => at("/reference", given(&a.reference)),
        Command::Approve(a) => at("/decision_number", given(&a.decision_number)),
        Command::IssueResult(r) => {
            if let Some(l) = &r.licence {
                at("/licence/kind", blank(&l.kind));
                at("/licence/number", blank(&l.number));
            }
            if let Some(d) = &r.document {
                out.extend(blank_material(d, "/document"));
            }
        }
        Command::Deliver(d) => at("/tracking", given(&d.tracking)),
        Command::CompletePart(p) => at("/part", given(&p.part)),
        _ => {}
    }
    out
}

/// Whether `s` says nothing: empty, or only characters that show nothing.
fn blank(s: &str) -> bool {
    s.chars().all(shows_nothing)
}

/// The pointers of a material's name and type, below `at`, that say nothing.
fn blank_material(m: &tongban_schemas::blocks::material::MaterialRef, at: &str) -> Vec<String> {
    [("name", &m.name), ("kind", &m.kind)]
        .into_iter()
        .filter(|(_, text)| blank(text))
        .map(|(member, _)| format!("{at}/{member}"))
        .collect()
}

/// Whether `c` shows nothing on a page: whitespace, Unicode's default-ignorable characters (soft
/// hyphen, zero-width spaces and joiners, direction marks, variation selectors, a byte order
/// mark…: [`tongban_schemas::unseen::is_invisible`]), the Hangul fillers and the blank Braille
/// pattern, or a combining mark with nothing to combine with (a text of marks alone).
fn shows_nothing(c: char) -> bool {
    c.is_whitespace()
        || tongban_schemas::unseen::is_invisible(c)
        || matches!(
            c,
            '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{2800}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{ffa0}'
                | '\u{0300}'..='\u{036f}'
                | '\u{1ab0}'..='\u{1aff}'
                | '\u{20d0}'..='\u{20ff}'
                | '\u{fe20}'..='\u{fe2f}'
                | '\u{e0080}'..='\u{e0fff}'
        )
}

/// Whether `s` has the form of a region's code: six digits (GB/T 2260), not starting with 0. Only
/// such a code names a region anywhere: in events, in the region book, as a feed cursor's key.
pub fn is_region_code(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0')
}

fn check_submission(
    region: &str,
    s: &tongban_schemas::events::Submitted,
) -> Result<(), DomainError> {
    check_parties(region, &s.matter, s.mode, &s.origin, &s.handlers)
}

/// The checks of a submission's matter, mode, origin and handlers, submitted by `region`: the
/// first that fails. Also run by the local-form route on the adapter's canonical body, so that
/// what fails is reported at the province's own field.
pub fn check_parties<H: AsRef<str>>(
    region: &str,
    matter: &str,
    mode: Mode,
    origin: &str,
    handlers: &[H],
) -> Result<(), DomainError> {
    if matter.is_empty() {
        return Err(DomainError::Empty { field: "/matter" });
    }
    let spec = matters::get(matter).ok_or_else(|| DomainError::UnknownMatter {
        matter: matter.to_string(),
    })?;
    if !spec.modes.contains(&mode) {
        let allowed: Vec<&str> = spec.modes.iter().map(|m| m.as_str()).collect();
        return Err(DomainError::ModeNotAllowed {
            matter: matter.to_string(),
            mode: mode.as_str(),
            allowed: allowed.join(", "),
        });
    }
    if !is_region_code(origin) {
        return Err(DomainError::BadRegionCode {
            field: "/origin".into(),
            value: origin.to_string(),
        });
    }
    if origin != region {
        return Err(DomainError::OriginNotSubmitter {
            origin: origin.to_string(),
            region: region.to_string(),
        });
    }
    let (ok, expected) = match mode {
        Mode::Online | Mode::Proxy => (handlers.len() == 1, "exactly 1"),
        Mode::Joint => (handlers.len() >= 2, "at least 2"),
    };
    if !ok {
        return Err(DomainError::HandlerCount {
            mode: mode.as_str(),
            expected,
            got: handlers.len(),
        });
    }
    let joint = mode == Mode::Joint;
    let same_province = matters::same_province_handlers(joint, origin, handlers);
    for (i, h) in handlers.iter().map(AsRef::as_ref).enumerate() {
        if !is_region_code(h) {
            return Err(DomainError::BadRegionCode {
                field: format!("/handlers/{i}"),
                value: h.to_string(),
            });
        }
        if h == origin {
            return Err(DomainError::OriginIsHandler {
                origin: origin.to_string(),
                index: i,
            });
        }
        // Every matter here is 跨省 (matters::same_province_handlers, the route's rule too):
        // refused at the first such handler, every one of them named once (a joint
        // application's all), as the route names each; the origin among them is refused for
        // itself (origin-is-handler), as the route does.
        if same_province.first() == Some(&i) {
            let mut named: Vec<String> = Vec::new();
            for code in same_province.iter().map(|&j| handlers[j].as_ref()) {
                if code != origin && !named.iter().any(|n| n == code) {
                    named.push(code.to_string());
                }
            }
            return Err(DomainError::SameProvince {
                origin: origin.to_string(),
                handlers: named,
                index: i,
                joint,
            });
        }
        if handlers[..i].iter().any(|x| x.as_ref() == h) {
            return Err(DomainError::DuplicateHandler {
                region: h.to_string(),
                index: i,
            });
        }
    }
    Ok(())
}
