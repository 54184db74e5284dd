//! Follows the stream's last sequence so projections see every gateway's writes, not only ours.
//!
//! Our own appends move the head as soon as they are acknowledged; this task catches the rest by
//! asking the stream leader for its state every `poll`. Polling, rather than a push consumer, keeps
//! working unchanged across disconnects and leader changes (each poll is a fresh request) and costs
//! one small request per interval per gateway. The task stops when the log is dropped.
//!
//! The same answer carries the stream's settings: a limit or retention set on it after the
//! gateway opened it (NATS accepts them on a stream that refuses deletes) makes it remove events,
//! and the log refuses appends until the settings are restored ([`Inner::discarding`]).

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
                    note_replacement(&inner, &info);
                    advance(&inner.head, info.state.last_sequence);
                    note_removal(&inner, &info.config);
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

/// Stops appends and reads for good once the stream answering is not the one the log opened (deleted and
/// created again under its name): this gateway's projections, and the subject positions it
/// remembers, are the old stream's. A restart then asks for `tongban rebuild` (the projections'
/// log source differs).
pub(super) fn note_replacement(inner: &Inner, info: &async_nats::jetstream::stream::Info) {
    let created = info.created.unix_timestamp_nanos();
    if created == inner.created || inner.replaced.get().is_some() {
        return;
    }
    let why = format!(
        "stream {} was deleted and created again since this gateway opened it: no event is \
         appended to it or read from it; restart the gateway (docs/operations.md, \"The stream\")",
        info.config.name
    );
    tracing::error!(stream = %info.config.name, "the stream was replaced; appends and reads are refused");
    let _ = inner.replaced.set(why);
}

/// Records whether `config` makes the stream remove events, saying so in the log once each time
/// it starts or stops.
fn note_removal(inner: &Inner, config: &async_nats::jetstream::stream::Config) {
    let problems = super::connect::removes_events(config);
    let now = (!problems.is_empty()).then(|| problems.join("; "));
    let mut discarding = inner.discarding.lock().unwrap_or_else(|p| p.into_inner());
    match (&*discarding, &now) {
        (None, Some(why)) => tracing::error!(
            stream = %config.name,
            reason = %why,
            "the stream now removes events by its own settings; appends are refused until they are restored"
        ),
        (Some(_), None) => tracing::warn!(
            stream = %config.name,
            "the stream keeps its events again; appends are taken"
        ),
        _ => {}
    }
    *discarding = now;
}
