//! A log's own index by application, where it keeps one apart from the events: the embedded
//! log's (application, seq) → position entries and its per-application heads. Every read of one
//! application, and every action's check of an application's last seq, goes through it, so an
//! index that disagrees with the events shows readers another history than the log holds, and
//! the signatures, which cover the events only, cannot tell. Verification checks it
//! ([`EventLog::index`](super::EventLog::index)); a JetStream stream answers an application's
//! events from the messages themselves and has none.
//!
//! The calls are synchronous reads of the local store: only the offline tools make them.

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
