//! The JetStream backend's ceiling: plain JetStream publishes, each awaited until the server
//! acknowledges it as stored, into a stream configured exactly as the gateway's (file storage,
//! same duplicate window; the servers fsync every write, `sync_interval: always`), on one server
//! (R1) or a three-node cluster (R3). No envelope, no per-subject sequence check.

use std::sync::Arc;
use std::time::Duration;

use tongban_gateway::log::JetStreamConfig;
use tongban_gateway::log::jetstream::{connect, ensure_stream};

use super::measure::{Measured, closed_loop};
use crate::cli::CliError;

pub async fn run(
    url: &str,
    replicas: usize,
    payloads: Arc<Vec<Vec<u8>>>,
    clients: usize,
    duration: Duration,
) -> Result<Measured, CliError> {
    let mut config = JetStreamConfig::new(url);
    config.stream = "BENCH".into();
    config.subject_prefix = "bench.app".into();
    config.replicas = replicas;
    let (client, denied) = connect(&config)
        .await
        .map_err(|e| CliError(format!("raw JetStream: {e}")))?;
    let js = async_nats::jetstream::new(client);
    ensure_stream(&js, &config, &denied)
        .await
        .map_err(|e| CliError(format!("raw JetStream stream: {e}")))?;
    ready(&js).await?;
    let js = Arc::new(js);
    Ok(closed_loop(clients, duration, move |client, n| {
        let js = Arc::clone(&js);
        let bytes = payloads[(client + n as usize) % payloads.len()].clone();
        // One subject per application, as the gateway publishes.
        let subject = format!("bench.app.c{client}n{n}");
        async move {
            let ack = js
                .publish(subject, bytes.into())
                .await
                .map_err(|e| format!("publish: {e}"))?;
            ack.await.map(|_| ()).map_err(|e| format!("ack: {e}"))
        }
    })
    .await)
}

/// Waits until a publish into the new stream is acknowledged. On a three-node cluster the stream's
/// creation is answered before every server routes its subjects, and publishes until then fail
/// with "no stream found for given subject": a one-second stage (the test suite's) could be
/// spent entirely in that window and count nothing but errors.
async fn ready(js: &async_nats::jetstream::Context) -> Result<(), CliError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let outcome = match js.publish("bench.app.ready", "ready".into()).await {
            Ok(ack) => ack.await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(()) => return Ok(()),
            Err(e) if std::time::Instant::now() >= deadline => {
                return Err(CliError(format!(
                    "raw JetStream: the stream took no publish within 30 s: {e}"
                )));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
