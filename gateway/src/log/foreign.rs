//! Messages stored among one application's events that are not its history: on JetStream,
//! whatever something other than a gateway published on the application's subject (another
//! application's event, a copy of one of its own, bytes that are not an event). Its reads pass
//! over them ([`super::jetstream`], the subject's reading); `tongban verify --app` names each,
//! so that an auditor of one application learns that its subject was written to from outside.
//! The embedded log stores nothing among an application's events (its index names them), so it
//! has none to name.

/// A message among an application's events that is not one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// Its log position.
    pub position: u64,
    pub what: What,
}

/// What a message among an application's events is, since it is not its next event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// Bytes that do not read as an event.
    NotAnEvent,
    /// An event of another application, named as [`crate::shown`] names an id (one that is not
    /// an application id's form is not quoted).
    OtherApplication(String),
    /// A copy of the application's event `seq`, which the event at position `of` is.
    Copy { seq: u64, of: u64 },
    /// Another event than the application's under its seq `seq`, which the event at position
    /// `of` holds (rewritten or forged: a renumbered event, another `data` under its seal).
    /// Passed over only by the reads an action makes, and only under a seq before its last
    /// ([`super::jetstream`], the subject's reading, says why); the reads of the whole history
    /// refuse it.
    Another { seq: u64, of: u64 },
    /// An event of the application under `seq`, at or before the seq the read started after:
    /// not compared with the event the application has there (a copy, or another event under
    /// that seq), which the reads of the whole history do.
    Earlier { seq: u64 },
}

impl std::fmt::Display for Foreign {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "log position {} holds ", self.position)?;
        match &self.what {
            What::NotAnEvent => write!(f, "bytes that are not an event")?,
            What::OtherApplication(app) => write!(f, "an event of application {app}")?,
            What::Copy { seq, of } => write!(
                f,
                "a copy of its event seq {seq}, which log position {of} holds"
            )?,
            What::Another { seq, of } => write!(
                f,
                "another event under its seq {seq} than the one log position {of} holds"
            )?,
            What::Earlier { seq } => write!(f, "an event of it under seq {seq}, not compared")?,
        }
        write!(
            f,
            " on the application's subject: not its history (published there by something other \
             than a gateway)"
        )
    }
}

/// The messages a read of one application passed over: the first [`super::unreadable::SHOWN`]
/// by position, as many as the reads of the whole log name of the records that are not events,
/// and how many in all, so that a subject flooded with them costs no more memory than a few.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Passed {
    pub shown: Vec<Foreign>,
    pub count: u64,
}

impl Passed {
    /// Counts `f`, after every one taken so far; kept while fewer than `SHOWN` are.
    pub fn take(&mut self, f: Foreign) {
        self.count += 1;
        if self.shown.len() < super::unreadable::SHOWN {
            self.shown.push(f);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The first one's position.
    pub fn first(&self) -> Option<u64> {
        self.shown.first().map(|f| f.position)
    }
}
