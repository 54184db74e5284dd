//! Reaching a position before a read (`X-Tongban-Read-After`): read-your-writes across gateways.
//!
//! Every read already waits for the writes this gateway acknowledged and for the head it knows
//! ([`Gateway::caught_up`]). Behind a load balancer that is not enough for certainty: a write
//! acknowledged through another gateway is seen here once the stream's server pushes its
//! position (milliseconds) or the poll asks (100 ms). A client that must see its own write
//! carries the position the write answered (`X-Tongban-Position`) to the read
//! (`X-Tongban-Read-After`), and the read waits until this gateway's projections hold every
//! event up to it, asking the log where it ends when this gateway has not heard of it yet. Or it
//! asks for `latest`: everything the log had acknowledged to anyone when the read came, at the
//! cost of one request to the log.

use std::time::Duration;

use tokio::time::Instant;

use super::{Gateway, ServiceError};
use crate::log::EventLog;

/// How long a read waits for the position it names before it is refused (503, retry).
const PATIENCE: Duration = Duration::from_secs(2);
/// How often a shared log is asked again for a position beyond the end its leader names (a
/// leader elected a moment ago may still be applying what was committed).
const ASK_AGAIN: Duration = Duration::from_millis(20);

/// What a read must have seen before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAfter {
    /// Every event up to this log position: one a write answered.
    Position(u64),
    /// Every event the log holds when the read arrives.
    Latest,
}

impl<L: EventLog> Gateway<L> {
    /// Waits until the projections hold every event `after` names, and every event this gateway
    /// knows to be stored (as every read waits), and answers the position they hold then: at
    /// least the one named.
    ///
    /// Refused, with nothing read, when the position is beyond the end of a log only this
    /// gateway writes (it was never written here: another deployment's, or mistyped;
    /// [`ServiceError::BeyondLog`]), and when it is not reached within [`PATIENCE`]
    /// ([`ServiceError::NotCaughtUp`]: a retry may find it).
    pub async fn reach(&self, after: ReadAfter) -> Result<u64, ServiceError> {
        let deadline = Instant::now() + PATIENCE;
        let mut end = self.known_end();
        let wanted = match after {
            ReadAfter::Position(position) => position,
            ReadAfter::Latest => {
                end = end.max(self.log.refresh_head().await?);
                end
            }
        };
        if wanted > end {
            end = end.max(self.log.refresh_head().await?);
        }
        if wanted > end && self.log.is_local() {
            return Err(ServiceError::BeyondLog { wanted, end });
        }
        while wanted > end {
            if Instant::now() + ASK_AGAIN >= deadline {
                return Err(ServiceError::NotCaughtUp {
                    wanted,
                    reached: self.projector.applied(),
                });
            }
            tokio::time::sleep(ASK_AGAIN).await;
            end = end.max(self.log.refresh_head().await?);
        }
        // And what every read waits for ([`Gateway::caught_up`]): the answer then says what
        // the read that follows reflects.
        let target = wanted.max(self.known_end());
        let patience = deadline.saturating_duration_since(Instant::now());
        if self.projector.applied() < target {
            self.projector.wait_for(target, patience).await;
        }
        let reached = self.projector.applied();
        if reached >= wanted {
            Ok(reached)
        } else {
            Err(ServiceError::NotCaughtUp { wanted, reached })
        }
    }
}
