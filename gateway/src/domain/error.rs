//! Why a command was refused. Each error names what the caller needs to fix it: the current state
//! and the attempted action, or the region and the role it would need.

use super::application::Role;
use super::status::Status;

/// How an edge (HTTP) should classify a refusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The region may not do this (403).
    Forbidden,
    /// Not possible in the application's current state (409).
    Conflict,
    /// The command itself is malformed (422).
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("region {region} is not a party to application {app}")]
    NotAParty { app: String, region: String },
    #[error("{action} is for the {allowed}; region {region} is the {role} of this application")]
    WrongRole {
        action: &'static str,
        allowed: &'static str,
        region: String,
        role: Role,
    },
    #[error("cannot {action} an application that is {state}")]
    IllegalTransition { state: Status, action: &'static str },
    #[error(
        "the supplement notice (补正告知) was already given; it is made once, listing everything at once"
    )]
    SupplementAlreadyRequested,
    #[error("the decision deadline was already extended once")]
    DeadlineAlreadyExtended,
    /// The application has had as many suspensions as the gateway takes ([`super::decide::Caps`]).
    #[error(
        "the application was suspended {cap} time(s) already, the most this gateway takes for one \
         application (特别程序, 行政许可法 Art. 45: a hearing, an inspection, testing or an expert \
         review pauses the clock a few times at most): decide on it, or extend the decision \
         limit"
    )]
    SuspensionsExhausted { cap: u32 },
    #[error("complete-part is only for joint (多地联办) applications; this one is {mode}")]
    NotJoint { mode: &'static str },
    #[error("region {region} already completed its part")]
    PartAlreadyCompleted { region: String },
    #[error("{action} needs every handler's part first; outstanding: {}", outstanding.join(", "))]
    PartsOutstanding {
        action: &'static str,
        outstanding: Vec<String>,
    },
    #[error(
        "withdraw is refused once a joint handler has completed its part (多地联办): {} did, and \
         a part done is that authority's act, which a withdrawal cannot undo; the lead handler \
         may still deny",
        completed.join(", ")
    )]
    PartsDone { completed: Vec<String> },
    #[error("application {app} already exists")]
    AlreadyExists { app: String },
    #[error(
        "unknown matter {}; see GET /v1/matters",
        crate::shown::said(matter, crate::shown::code)
    )]
    UnknownMatter { matter: String },
    #[error("matter {matter} cannot be handled in mode {mode}; it allows {allowed}")]
    ModeNotAllowed {
        matter: String,
        mode: &'static str,
        allowed: String,
    },
    #[error("mode {mode} needs {expected} handler(s) in handlers, got {got}")]
    HandlerCount {
        mode: &'static str,
        expected: &'static str,
        got: usize,
    },
    #[error(
        "收件地须为提交申请的地区 {region}，而非 {origin}: origin {origin} must be the submitting \
         region {region}"
    )]
    OriginNotSubmitter { origin: String, region: String },
    #[error(
        "handlers must not include the origin {origin}: a cross-region application crosses regions"
    )]
    OriginIsHandler { origin: String, index: usize },
    /// A handler in the origin's province (a city of it that runs its own platform) where the
    /// mode allows none (online, proxy), or every handler of a joint application there: an
    /// application inside one province, which is no 跨省 matter's. Every such handler is named
    /// (`handlers`, in the body's order), as the route names each; the pointer is the first's
    /// (`index`).
    #[error("{}", tongban_schemas::matters::same_province_message(handlers, origin, *joint))]
    SameProvince {
        origin: String,
        handlers: Vec<String>,
        index: usize,
        joint: bool,
    },
    #[error("handlers lists region {region} twice")]
    DuplicateHandler { region: String, index: usize },
    #[error("{field} {value:?} is not a 6-digit GB/T 2260 region code")]
    BadRegionCode { field: String, value: String },
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error(
        "materials_checked must be true to forward a proxy (异地代收代办) application: the origin's \
         window checks the applicant's identity and materials before it hands them on"
    )]
    MaterialsNotChecked,
    #[error(
        "issue-result names what was issued: a licence (电子证照, its kind and number), a result \
         document (结果文书), or both"
    )]
    NoResultReference,
    #[error("a delivery by post (邮寄) names its tracking number (快递单号) in tracking")]
    TrackingRequired,
    #[error(
        "tracking (快递单号) is only for a delivery by post (邮寄); this one is {channel}: leave \
         it out"
    )]
    TrackingNotPost { channel: &'static str },
    #[error(
        "{field} is empty or holds only spaces: write it out (a refusal states its reason; a 补正告知 lists what is missing; an identifier such as a 受理编号, 文书编号, 证照编号 or 快递单号 names one), or leave out an identifier that is not known"
    )]
    Blank { field: String },
    /// An identifier holding characters that show nothing or reorder what follows them
    /// ([`tongban_schemas::unseen`]): shown on a page it reads as another number than the one
    /// stored, which a reader who copies it never finds.
    #[error("{}", unseen_message(field, found))]
    Unseen { field: String, found: Vec<char> },
}

/// The message of [`DomainError::Unseen`]: the field, the characters by code point (never the
/// value), and the rule.
fn unseen_message(field: &str, found: &[char]) -> String {
    use tongban_schemas::unseen;
    let names: Vec<String> = found.iter().take(4).map(|c| unseen::name(*c)).collect();
    let more = match found.len() > 4 {
        true => format!(" and {} more", found.len() - 4),
        false => String::new(),
    };
    let why = match found.iter().any(|c| unseen::is_bidi_control(*c)) {
        true => format!(
            "a bidirectional control makes the number show in another order than it is \
             stored, so a reader who copies it from a page finds nothing; an identifier may not \
             hold {}",
            unseen::BIDI_CONTROLS
        ),
        false => "an invisible character makes the number show as another that a reader who \
                  copies it from a page never finds; an identifier may not hold control or \
                  invisible format characters (zero-width spaces and joiners, soft hyphens, \
                  byte order marks, line breaks)"
            .to_string(),
    };
    format!(
        "{field} holds {}{more}: {why}. Send the identifier (受理编号, 文书编号, 证照编号, \
         快递单号, a type code) as the issuing system shows it, without them",
        names.join(", ")
    )
}

impl DomainError {
    pub fn kind(&self) -> ErrorKind {
        use DomainError::*;
        match self {
            NotAParty { .. } | WrongRole { .. } | OriginNotSubmitter { .. } => ErrorKind::Forbidden,
            IllegalTransition { .. }
            | SupplementAlreadyRequested
            | DeadlineAlreadyExtended
            | SuspensionsExhausted { .. }
            | PartAlreadyCompleted { .. }
            | PartsOutstanding { .. }
            | PartsDone { .. }
            | AlreadyExists { .. }
            | NotJoint { .. } => ErrorKind::Conflict,
            UnknownMatter { .. }
            | ModeNotAllowed { .. }
            | HandlerCount { .. }
            | OriginIsHandler { .. }
            | SameProvince { .. }
            | DuplicateHandler { .. }
            | BadRegionCode { .. }
            | Empty { .. }
            | Blank { .. }
            | Unseen { .. }
            | NoResultReference
            | TrackingRequired
            | TrackingNotPost { .. }
            | MaterialsNotChecked => ErrorKind::Invalid,
        }
    }

    /// The rule a refused command broke. Of an invalid command, as a problem's errors name it:
    /// `blank` for text of spaces alone, `bidi-control` for an identifier holding a bidi control
    /// and `invisible-character` for one holding another invisible character, `proxy-check` for a proxy forward without the window's
    /// check, `licence-or-document` for a result that names neither, `required-for-post` for a
    /// delivery by post without its 快递单号, `post-only` for a 快递单号 on another channel,
    /// `same-province` for a handler in the origin's province; a submission's parties by the
    /// names the route's own checks give the same fault (`origin-is-handler`,
    /// `duplicate-handler`, `region-code`, `enum` for a mode the matter does not allow,
    /// `min-items`/`max-items` for the handler count), and `origin-not-submitter` for an origin
    /// that is not the caller (a 403 on the canonical route, which names it too), so a local
    /// form's 422 names the rule a canonical body's answer names; `domain` for the rest (the
    /// message says which). Of a conflict, as its problem type
    /// names it: `not-joint` for a part completed in an application that is not joint (its mode
    /// never changes, so no later state allows it), `suspension-limit` for a suspension past the
    /// gateway's cap (no later state allows it either), `illegal-transition` for the rest.
    pub fn rule(&self) -> &'static str {
        match self {
            DomainError::Blank { .. } => "blank",
            DomainError::Unseen { found, .. }
                if found
                    .iter()
                    .any(|c| tongban_schemas::unseen::is_bidi_control(*c)) =>
            {
                "bidi-control"
            }
            DomainError::Unseen { .. } => "invisible-character",
            DomainError::MaterialsNotChecked => "proxy-check",
            DomainError::NoResultReference => "licence-or-document",
            DomainError::TrackingRequired => "required-for-post",
            DomainError::TrackingNotPost { .. } => "post-only",
            DomainError::NotJoint { .. } => "not-joint",
            DomainError::SuspensionsExhausted { .. } => "suspension-limit",
            DomainError::UnknownMatter { .. } => "unknown-matter",
            DomainError::SameProvince { .. } => "same-province",
            DomainError::OriginIsHandler { .. } => "origin-is-handler",
            DomainError::DuplicateHandler { .. } => "duplicate-handler",
            DomainError::BadRegionCode { .. } => "region-code",
            DomainError::ModeNotAllowed { .. } => "enum",
            DomainError::HandlerCount { got, .. } if *got < 2 => "min-items",
            DomainError::HandlerCount { .. } => "max-items",
            DomainError::OriginNotSubmitter { .. } => "origin-not-submitter",
            _ if self.kind() == ErrorKind::Conflict => "illegal-transition",
            _ => "domain",
        }
    }

    /// The body field an invalid command got wrong, as a JSON pointer, where there is one: the
    /// handler itself (`/handlers/1`) where one handler is wrong.
    pub fn pointer(&self) -> Option<String> {
        use DomainError::*;
        match self {
            UnknownMatter { .. } => Some("/matter".into()),
            ModeNotAllowed { .. } => Some("/mode".into()),
            HandlerCount { .. } => Some("/handlers".into()),
            OriginIsHandler { index, .. }
            | SameProvince { index, .. }
            | DuplicateHandler { index, .. } => Some(format!("/handlers/{index}")),
            OriginNotSubmitter { .. } => Some("/origin".into()),
            BadRegionCode { field, .. } => Some(field.clone()),
            Empty { field } => Some((*field).into()),
            Blank { field } | Unseen { field, .. } => Some(field.clone()),
            NoResultReference => Some("/licence".into()),
            TrackingRequired | TrackingNotPost { .. } => Some("/tracking".into()),
            MaterialsNotChecked => Some("/materials_checked".into()),
            _ => None,
        }
    }
}
