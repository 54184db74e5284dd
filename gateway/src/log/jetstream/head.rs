//! Follows the stream's last sequence so projections see every gateway's writes, not only ours.
//!
//! Our own appends move the head as soon as they are acknowledged; this task catches the rest by
//! asking the stream leader for its state every `poll`. Polling, rather than a push consumer, keeps
//! working unchanged across disconnects and leader changes (each poll is a fresh request) and costs
//! one small request per interval per gateway. The task stops when the log is dropped.

use std::sync::Weak;
use std::time::Duration;

use async_nats::connection::State;

use super::{Inner, advance};

pub(super) fn spawn(inner: Weak<Inner>, poll: Duration) {
    tokio::spawn(async move {
        let mut warned = false;
        loop {
            tokio::time::sleep(poll).await;
            let Some(inner) = inner.upgrade() else {
                return;
            };
            if inner.client.connection_state() != State::Connected {
                continue;
            }
            match tokio::time::timeout(inner.op_timeout, inner.stream.get_info()).await {
                Ok(Ok(info)) => {
                    warned = false;
                    advance(&inner.head, info.state.last_sequence);
                }
                Ok(Err(e)) if !warned => {
                    warned = true;
                    tracing::warn!(error = %e, "cannot read the stream state; projections wait");
                }
                Err(_) if !warned => {
                    warned = true;
                    tracing::warn!("no answer for the stream state; projections wait");
                }
                _ => {}
            }
        }
    });
}
