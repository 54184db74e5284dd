//! A log's own index by application, where it keeps one apart from the events: the embedded
//! log's (application, seq) → position entries and its per-application heads. Every read of one
//! application, and every action's check of an application's last seq, goes through it, so an
//! index that disagrees with the events shows readers another history than the log holds, and
//! the signatures, which cover the events only, cannot tell. Verification checks it
//! ([`EventLog::index`](super::EventLog::index)); a JetStream stream answers an application's
//! events from the messages themselves and has none.
//!
//! The [`AppIndex`] calls are synchronous reads of the local store: only the offline tools make
//! them. What every read of one application checks on the way, in the gateway as in the tools,
//! is [`agrees`]: that what it followed agrees with the index's own head, so that an index that
//! contradicts itself is refused ([`Disagreement`]) rather than served as a shorter or another
//! history, or decided on.

use super::LogError;

/// What a log position holds, where an index entry points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holds {
    /// No event: removed, or never written.
    Nothing,
    /// Bytes that are not an event.
    NotAnEvent(String),
    /// Another event than the entry names.
    Event { app: String, seq: u64 },
}

impl std::fmt::Display for Holds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Holds::Nothing => write!(f, "holds no event"),
            Holds::NotAnEvent(why) => write!(f, "holds bytes that are not an event ({why})"),
            Holds::Event { app, seq } => write!(f, "holds seq {seq} of application {app}"),
        }
    }
}

/// An index entry whose position does not hold the event it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stray {
    pub app: String,
    pub seq: u64,
    pub position: u64,
    pub holds: Holds,
}

/// An application's head as the index stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    Seq(u64),
    /// Not the eight bytes of a seq: that many bytes.
    Malformed(usize),
}

pub trait AppIndex: Send + Sync {
    /// Where the index places event `seq` of `app` (`None`: it has no entry for it, or the entry
    /// is not a position).
    fn position(&self, app: &str, seq: u64) -> Result<Option<u64>, LogError>;

    /// How many (application, seq) entries the index holds: of `app`, or of every application.
    fn entries(&self, app: Option<&str>) -> Result<u64, LogError>;

    /// The entries (of `app`, or of all) whose position does not hold the event they name. Reads
    /// the event at every entry: for when [`AppIndex::entries`] counts more entries than events
    /// were found where the index places them.
    fn strays(&self, app: Option<&str>) -> Result<Vec<Stray>, LogError>;

    /// Calls `each` with every application's head (only `app`'s, when given).
    fn for_each_head(
        &self,
        app: Option<&str>,
        each: &mut dyn FnMut(&str, Head),
    ) -> Result<(), LogError>;
}

/// What a log's index says about one application that contradicts what a read through it
/// followed (or itself): the read is refused, as the log's corruption, instead of answering a
/// shorter or another history than the log holds, or an action being decided on one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the log's index of application {app} disagrees with its events: {what}")]
pub struct Disagreement {
    /// An application id (no personal data: a UUID).
    pub app: String,
    pub what: Disagrees,
}

/// What disagreed. Names seqs and log positions only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disagrees {
    /// The head names `head` as the application's last seq; its entries followed end at `entries`
    /// (the head names a seq it has no entry for), or an event was read within the log at
    /// `read` (past the head).
    Head { head: u64, read: u64, entries: u64 },
    /// No entry for `seq`, where the entries go on at `next` (`None`: the head names `seq`).
    Missing { seq: u64, next: Option<u64> },
    /// The entry for `seq` places it at `position`, which holds something else.
    Points {
        seq: u64,
        position: u64,
        holds: Holds,
    },
    /// The entry for `seq` places it at `position`, past the log's end (`end`), yet a later seq
    /// is within the log: not an append under way, which only the last entries can be.
    PastEnd { seq: u64, position: u64, end: u64 },
    /// The entry for `seq` places it at `position`, past the log's end (`end`) and past every
    /// position an append has been given: no append is under way there.
    Unwritten { seq: u64, position: u64, end: u64 },
    /// The entry after `after` is not an (application, seq) key, or its value is not a
    /// position (`bytes` long).
    Malformed { after: u64, bytes: usize },
    /// The head is not the eight bytes of a seq: that many bytes.
    MalformedHead(usize),
    /// The entry for `seq` places it at `position`, not after `previous`, where the entry for
    /// the seq before places that one: an application's events are appended in seq order, so
    /// their positions rise with it (two events stored in each other's places, the index
    /// rewritten to match).
    Order {
        seq: u64,
        position: u64,
        previous: u64,
    },
}

impl std::fmt::Display for Disagrees {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Disagrees::Head { head: 0, read, .. } => write!(
                f,
                "it has no head (last seq) for the application, yet places seq {read} within the log"
            ),
            Disagrees::Head { head, read, .. } if read > head => write!(
                f,
                "its head gives seq {head} as the last, yet it places seq {read} within the log"
            ),
            Disagrees::Head {
                head, entries: 0, ..
            } => write!(
                f,
                "its head gives seq {head} as the last, yet it has no entry for the application"
            ),
            Disagrees::Head { head, entries, .. } => write!(
                f,
                "its head gives seq {head} as the last, yet its entries end at seq {entries}"
            ),
            Disagrees::Missing { seq, next: Some(n) } => {
                write!(f, "it has no entry for seq {seq}, yet one for seq {n}")
            }
            Disagrees::Missing { seq, next: None } => write!(
                f,
                "its head gives seq {seq} as the last, yet it has no entry for seq {seq}"
            ),
            Disagrees::Points {
                seq,
                position,
                ref holds,
            } => write!(
                f,
                "it places seq {seq} at log position {position}, which {holds}"
            ),
            Disagrees::PastEnd { seq, position, end } => write!(
                f,
                "it places seq {seq} at log position {position}, past the log's end ({end}), yet \
                 a later seq within the log"
            ),
            Disagrees::Unwritten { seq, position, end } => write!(
                f,
                "it places seq {seq} at log position {position}, past the log's end ({end}), \
                 where no append is under way"
            ),
            Disagrees::Malformed { after, bytes } => write!(
                f,
                "its entry after seq {after} is not a seq's key and position (its value is \
                 {bytes} bytes)"
            ),
            Disagrees::MalformedHead(n) => {
                write!(f, "its head is {n} bytes, not the 8 of a seq")
            }
            Disagrees::Order {
                seq,
                position,
                previous,
            } => write!(
                f,
                "it places seq {seq} at log position {position}, not after seq {} at log position \
                 {previous}: an application's events are appended in seq order",
                seq.saturating_sub(1)
            ),
        }
    }
}

impl From<Disagreement> for LogError {
    fn from(d: Disagreement) -> LogError {
        LogError::Index(Box::new(d))
    }
}

/// Whether a read of `app` through the index agrees with the index's `head` (0: it has none):
/// the last event it read within the log (`read`: its seq, or the seq the read started after
/// when it read none) is not past the head, and the head is not past the last entry it followed
/// (`entries`, the same way; entries past the log's end included). The head and an append's
/// entries are written together, and an append under way has its entries past the log's end, so
/// a head read before the entries are (and after the log's end is) lies between the two
/// whatever the writer does meanwhile; outside them, the index contradicts itself.
///
/// The one comparison of the index's head with a read through it: the embedded log makes it on
/// every read of one application (so the gateway, `replay` and `dispute` all refuse such a
/// read); `verify` compares every head with the events themselves instead.
pub fn agrees(app: &str, head: u64, read: u64, entries: u64) -> Result<(), Disagreement> {
    if read <= head && head <= entries {
        return Ok(());
    }
    Err(Disagreement {
        app: app.to_string(),
        what: Disagrees::Head {
            head,
            read,
            entries,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A head between the last event read and the last entry agrees (an append under way lies
    /// between them); past the entries, or behind an event read, it does not, and says which.
    #[test]
    fn a_head_agrees_only_between_what_was_read_and_the_last_entry() {
        assert_eq!(agrees("a", 5, 5, 5), Ok(()));
        assert_eq!(agrees("a", 6, 5, 6), Ok(()), "seq 6 being appended");
        assert_eq!(agrees("a", 5, 5, 6), Ok(()), "head read before seq 6's");
        assert_eq!(agrees("a", 0, 0, 0), Ok(()));
        let ahead = agrees("a", 7, 5, 5).expect_err("head past the entries");
        assert_eq!(
            ahead.to_string(),
            "the log's index of application a disagrees with its events: its head gives seq 7 \
             as the last, yet its entries end at seq 5"
        );
        let behind = agrees("a", 6, 8, 8).expect_err("events past the head");
        assert_eq!(
            behind.what.to_string(),
            "its head gives seq 6 as the last, yet it places seq 8 within the log"
        );
        let headless = agrees("a", 0, 1, 1).expect_err("entries without a head");
        assert_eq!(
            headless.what.to_string(),
            "it has no head (last seq) for the application, yet places seq 1 within the log"
        );
        let none = agrees("a", 3, 0, 0).expect_err("a head without entries");
        assert_eq!(
            none.what.to_string(),
            "its head gives seq 3 as the last, yet it has no entry for the application"
        );
    }
}
