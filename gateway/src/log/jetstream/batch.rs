//! One subject's messages in a few requests: the batched direct get (`$JS.API.DIRECT.GET.<stream>`
//! with `batch`, nats-server 2.11+), where walking the subject with `next_by_subject` takes one
//! request per message.
//!
//! An application's whole history is read for `GET /v1/applications/{id}/events`, the evidence
//! page, disputes, and an action on an application the projections do not hold yet. Walked one
//! request per event, that is a round trip to the stream per event: on servers a province away,
//! a long procedure's history takes seconds. A batch answers up to [`BATCH`] messages to one
//! request, then an end-of-batch status (204, with how many matching messages remain).
//!
//! Direct gets may be answered by any replica of the stream, or by a mirror set to answer them,
//! and either can lag behind the leader. So a batch is only a fast start: the caller asks the
//! leader for the subject's last message afterwards and reads on one request per message from
//! where the batches ended, if they ended before it
//! ([`super::JetStreamLog::read_positioned_from`]).
//!
//! A run of the whole stream ([`super::JetStreamLog`]'s `read_all`: the projector reading other
//! gateways' events, rebuilds, verification) is read the same way, with `>` as the subject:
//! what the batches answer in order, up to the positions the leader's stream state names; the
//! rest from the leader.
//!
//! The right to send it is `$JS.API.DIRECT.GET.<stream>` (docs/operations.md, "NATS
//! permissions"). Without it, or on a server that does not answer batches, a log reads as
//! before, one request per event; it finds out once, when it opens ([`probe`]).

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use axum::body::Bytes;

/// Messages asked for per batch request (a few in the tests, so that they read across batches).
#[cfg(not(test))]
pub const BATCH: usize = 256;
#[cfg(test)]
pub const BATCH: usize = 16;

/// Bytes asked for at most per batch request (the server sends at least one message). The
/// server pushes a batch without flow control, and a client more than its `max_pending`
/// (64 MiB by default) behind is closed as a slow consumer: with events of up to 1 MiB, 256 of
/// them unbounded could cost the gateway its connection, its appends in flight with it.
const BATCH_BYTES: usize = 4 << 20;

/// How long the probe at open waits for an answer.
const PROBE_PATIENCE: Duration = Duration::from_secs(2);

/// The messages of a batch, and whether the batch said more remain.
pub struct Batch {
    /// Each message, in stream order.
    pub messages: Vec<Batched>,
    /// Whether messages on the subject remain after these (the end-of-batch status says how
    /// many; a server that answered one message without a batch's headers says nothing, and
    /// the caller reads on from there).
    pub more: bool,
}

/// One message of a batch.
pub struct Batched {
    /// Its stream sequence.
    pub position: u64,
    /// The subject it was stored on (`Nats-Subject`; empty when the server did not say).
    pub subject: String,
    pub payload: Bytes,
}

/// Why a batch could not be read.
#[derive(Debug)]
pub struct Failed {
    pub reason: String,
    /// The server refused it for what it is (a status other than "no responders" or a
    /// timeout): asking again will not help.
    pub lasting: bool,
}

impl Failed {
    fn passing(reason: impl Into<String>) -> Failed {
        Failed {
            reason: reason.into(),
            lasting: false,
        }
    }
}

/// Asks for up to `max` messages on `subject` (which may be a wildcard: `>` for every message
/// of the stream) from stream sequence `from` on, waiting at most `patience` for the whole
/// answer.
pub async fn read(
    client: &async_nats::Client,
    stream: &str,
    subject: &str,
    from: u64,
    max: usize,
    patience: Duration,
) -> Result<Batch, Failed> {
    let inbox = client.new_inbox();
    let mut answers = client
        .subscribe(inbox.clone())
        .await
        .map_err(|e| Failed::passing(format!("subscribing to the answer: {e}")))?;
    let request = serde_json::json!({
        "seq": from,
        "next_by_subj": subject,
        "batch": max,
        "max_bytes": BATCH_BYTES,
    });
    let deadline = tokio::time::Instant::now() + patience;
    let read = async {
        client
            .publish_with_reply(
                format!("$JS.API.DIRECT.GET.{stream}"),
                inbox,
                Bytes::from(request.to_string()),
            )
            .await
            .map_err(|e| Failed::passing(format!("asking for a batch: {e}")))?;
        let mut messages = Vec::new();
        loop {
            let next = poll_fn(|cx| futures_core::Stream::poll_next(Pin::new(&mut answers), cx));
            let message = tokio::time::timeout_at(deadline, next)
                .await
                .map_err(|_| {
                    Failed::passing(format!("no whole answer to a batch within {patience:?}"))
                })?
                .ok_or_else(|| Failed::passing("the answer's subscription closed"))?;
            let header = |name: &str| {
                message
                    .headers
                    .as_ref()
                    .and_then(|h| h.get(name))
                    .map(|v| v.as_str().to_string())
            };
            match message.status.map(|s| s.as_u16()) {
                // End of batch: how many matching messages remain after it.
                Some(204) => {
                    let pending = header("Nats-Num-Pending").and_then(|p| p.parse::<u64>().ok());
                    return Ok(Batch {
                        messages,
                        more: pending.is_none_or(|p| p > 0),
                    });
                }
                Some(404) => {
                    return Ok(Batch {
                        messages,
                        more: false,
                    });
                }
                Some(other) => {
                    return Err(Failed {
                        reason: format!(
                            "a batch was answered {other} {}",
                            message.description.as_deref().unwrap_or("")
                        ),
                        // No replica subscribed yet (a stream just created, a leader election).
                        lasting: other != 503,
                    });
                }
                None => {
                    let position = header("Nats-Sequence")
                        .and_then(|s| s.parse::<u64>().ok())
                        .ok_or_else(|| Failed {
                            reason: "a batch's message names no sequence".into(),
                            lasting: true,
                        })?;
                    let batched = header("Nats-Num-Pending").is_some();
                    messages.push(Batched {
                        position,
                        subject: header("Nats-Subject").unwrap_or_default(),
                        payload: message.payload,
                    });
                    // A server that does not batch answers one message, without the count.
                    if !batched {
                        return Ok(Batch {
                            messages,
                            more: true,
                        });
                    }
                }
            }
        }
    };
    let result = read.await;
    let _ = answers.unsubscribe().await;
    result
}

/// Whether a log opened on this connection reads histories in batches: the server is 2.11 or
/// later and answers the [`probe`]. Says why not, once, when not.
pub async fn answered(
    client: &async_nats::Client,
    stream: &str,
    prefix: &str,
    denied: &super::connect::Denied,
) -> bool {
    let version = client.server_info().version;
    let why_not = match super::connect::parse_version(&version) {
        Some((major, minor, _)) if (major, minor) >= (2, 11) => {
            probe(client, stream, prefix, || denied.batches_refused())
                .await
                .err()
        }
        _ => Some(format!(
            "nats-server {version} does not answer batches (2.11 does)"
        )),
    };
    match why_not {
        None => true,
        Some(reason) => {
            tracing::warn!(
                %reason,
                "an application's history is read one event per request, not in batches (docs/operations.md, \"NATS permissions\")"
            );
            false
        }
    }
}

/// Whether this connection may read batches from `stream`: one batch asked for on a subject no
/// application has (`<prefix>._probe`), which a server that batches answers "not found" at
/// once. `refused` says whether the server has reported the request as beyond this user's
/// rights (it answers nothing then, so waiting would take the whole patience).
pub async fn probe(
    client: &async_nats::Client,
    stream: &str,
    prefix: &str,
    refused: impl Fn() -> bool,
) -> Result<(), String> {
    let subject = format!("{prefix}._probe");
    let asked = read(client, stream, &subject, 1, 1, PROBE_PATIENCE);
    tokio::pin!(asked);
    loop {
        tokio::select! {
            answer = &mut asked => {
                return match answer {
                    Ok(batch) if batch.messages.is_empty() && !batch.more => Ok(()),
                    Ok(_) => Err("the server did not answer as a batch".into()),
                    Err(failed) => Err(failed.reason),
                };
            }
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                if refused() {
                    return Err(format!("this NATS user may not send $JS.API.DIRECT.GET.{stream}"));
                }
            }
        }
    }
}
