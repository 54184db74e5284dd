//! Either backend behind one type, for tools that pick the log at run time (`--data` or `--nats`)
//! and then run the same generic code on it.

use tokio::sync::watch;

use super::{At, EmbeddedLog, EventLog, JetStreamLog, LogError, LogStats};
use crate::envelope::Envelope;

pub enum AnyLog {
    Embedded(EmbeddedLog),
    JetStream(JetStreamLog),
}

impl EventLog for AnyLog {
    async fn append(&self, event: Envelope, expected_seq: u64) -> Result<u64, LogError> {
        match self {
            AnyLog::Embedded(l) => l.append(event, expected_seq).await,
            AnyLog::JetStream(l) => l.append(event, expected_seq).await,
        }
    }

    async fn read(&self, app: &str) -> Result<Vec<Envelope>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.read(app).await,
            AnyLog::JetStream(l) => l.read(app).await,
        }
    }

    async fn read_with_passed(
        &self,
        app: &str,
    ) -> Result<(Vec<super::Positioned>, super::foreign::Passed), LogError> {
        match self {
            AnyLog::Embedded(l) => l.read_with_passed(app).await,
            AnyLog::JetStream(l) => l.read_with_passed(app).await,
        }
    }

    async fn read_decided(
        &self,
        app: &str,
    ) -> Result<(Vec<super::Positioned>, super::foreign::Passed), LogError> {
        match self {
            AnyLog::Embedded(l) => l.read_decided(app).await,
            AnyLog::JetStream(l) => l.read_decided(app).await,
        }
    }

    async fn last(&self, app: &str) -> Result<Option<Envelope>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.last(app).await,
            AnyLog::JetStream(l) => l.last(app).await,
        }
    }

    async fn read_after(
        &self,
        app: &str,
        seq: u64,
        position: u64,
    ) -> Result<Vec<Envelope>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.read_after(app, seq, position).await,
            AnyLog::JetStream(l) => l.read_after(app, seq, position).await,
        }
    }

    async fn read_page(
        &self,
        app: &str,
        first: u64,
        max: usize,
        position: u64,
    ) -> Result<Vec<Envelope>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.read_page(app, first, max, position).await,
            AnyLog::JetStream(l) => l.read_page(app, first, max, position).await,
        }
    }

    async fn entries(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.entries(from, max).await,
            AnyLog::JetStream(l) => l.entries(from, max).await,
        }
    }

    async fn follow_entries(&self, from: u64, max: usize) -> Result<Vec<At>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.follow_entries(from, max).await,
            AnyLog::JetStream(l) => l.follow_entries(from, max).await,
        }
    }

    async fn read_at(&self, positions: &[u64]) -> Result<Vec<At>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.read_at(positions).await,
            AnyLog::JetStream(l) => l.read_at(positions).await,
        }
    }

    fn head(&self) -> watch::Receiver<u64> {
        match self {
            AnyLog::Embedded(l) => l.head(),
            AnyLog::JetStream(l) => l.head(),
        }
    }

    async fn refresh_head(&self) -> Result<u64, LogError> {
        match self {
            AnyLog::Embedded(l) => l.refresh_head().await,
            AnyLog::JetStream(l) => l.refresh_head().await,
        }
    }

    async fn last_position(&self, app: &str) -> Result<Option<u64>, LogError> {
        match self {
            AnyLog::Embedded(l) => l.last_position(app).await,
            AnyLog::JetStream(l) => l.last_position(app).await,
        }
    }

    fn fits(&self, event: &Envelope) -> Result<(), LogError> {
        match self {
            AnyLog::Embedded(l) => l.fits(event),
            AnyLog::JetStream(l) => l.fits(event),
        }
    }

    fn limits_size(&self) -> bool {
        match self {
            AnyLog::Embedded(l) => l.limits_size(),
            AnyLog::JetStream(l) => l.limits_size(),
        }
    }

    fn backend(&self) -> &'static str {
        match self {
            AnyLog::Embedded(l) => l.backend(),
            AnyLog::JetStream(l) => l.backend(),
        }
    }

    fn is_local(&self) -> bool {
        match self {
            AnyLog::Embedded(l) => l.is_local(),
            AnyLog::JetStream(l) => l.is_local(),
        }
    }

    fn shared_cursors(&self) -> Option<&super::SharedCursors> {
        match self {
            AnyLog::Embedded(l) => l.shared_cursors(),
            AnyLog::JetStream(l) => l.shared_cursors(),
        }
    }

    fn available(&self) -> bool {
        match self {
            AnyLog::Embedded(l) => l.available(),
            AnyLog::JetStream(l) => l.available(),
        }
    }

    fn refusal(&self) -> Option<super::Refusal> {
        match self {
            AnyLog::Embedded(l) => l.refusal(),
            AnyLog::JetStream(l) => l.refusal(),
        }
    }

    fn index(&self) -> Option<&dyn super::index::AppIndex> {
        match self {
            AnyLog::Embedded(l) => l.index(),
            AnyLog::JetStream(l) => l.index(),
        }
    }

    fn stats(&self) -> LogStats {
        match self {
            AnyLog::Embedded(l) => l.stats(),
            AnyLog::JetStream(l) => l.stats(),
        }
    }
}
