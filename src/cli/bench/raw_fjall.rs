//! The embedded backend's ceiling: fjall appends with the gateway log's durability (one writer,
//! group commit, one `persist(SyncAll)` per group) and nothing else: no envelope, no checks, no
//! secondary keys. Opened with the same memory settings as the gateway's log, and like it sealing its
//! memtables itself (`fjall_tuning::Memtables`).
//!
//! Run closed loop it is the ceiling; run open loop at tongban's half-peak rate it is the floor
//! under that stage's tail: what this machine's disk and fjall give an append at that rate with
//! nothing of tongban around it, so a tail the raw engine shares is told from one tongban adds.

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use fjall::PersistMode;
use tokio::sync::oneshot;
use tongban_gateway::fjall_tuning;

use super::measure::{Measured, closed_loop, open_loop};
use crate::cli::CliError;

type Append = (Vec<u8>, oneshot::Sender<Result<(), String>>);

/// `clients` appenders, each appending the next payload and waiting for it to be durable: as
/// fast as they can (`rate` None), or at `rate` appends per second in all, open loop.
pub async fn run(
    dir: &Path,
    payloads: Arc<Vec<Vec<u8>>>,
    clients: usize,
    duration: Duration,
    rate: Option<f64>,
) -> Result<Measured, CliError> {
    let db = fjall_tuning::log_database(dir)
        .open()
        .map_err(|e| CliError(format!("fjall at {}: {e}", dir.display())))?;
    let mut memtables = fjall_tuning::Memtables::default();
    let events = memtables
        .keyspace(
            &db,
            "events",
            fjall_tuning::BULK_MEMTABLE_BYTES,
            fjall_tuning::Values::Plain,
        )
        .map_err(|e| CliError(format!("fjall keyspace: {e}")))?;
    let (tx, rx) = mpsc::channel::<Append>();
    let writer = std::thread::Builder::new()
        .name("bench-fjall-writer".into())
        .spawn(move || {
            let mut position: u64 = 0;
            while let Ok(first) = rx.recv() {
                let mut group = vec![first];
                while let Ok(next) = rx.try_recv() {
                    group.push(next);
                }
                let mut batch = db.batch();
                let mut replies = Vec::with_capacity(group.len());
                for (bytes, reply) in group {
                    position += 1;
                    batch.insert(&events, position.to_be_bytes(), bytes);
                    replies.push(reply);
                }
                let result = batch
                    .commit()
                    .and_then(|()| db.persist(PersistMode::SyncAll))
                    .map_err(|e| e.to_string());
                for reply in replies {
                    let _ = reply.send(result.clone());
                }
                memtables.seal_full();
            }
        })?;
    let append = {
        let tx = tx.clone();
        move |client: usize, n: u64| {
            let tx = tx.clone();
            let bytes = payloads[(client + n as usize) % payloads.len()].clone();
            async move {
                let (reply, done) = oneshot::channel();
                tx.send((bytes, reply))
                    .map_err(|_| "the fjall writer stopped".to_string())?;
                done.await
                    .map_err(|_| "the fjall writer stopped".to_string())?
            }
        }
    };
    let measured = match rate {
        None => closed_loop(clients, duration, append).await,
        Some(rate) => open_loop(clients, rate, duration, append).await,
    };
    drop(tx);
    writer
        .join()
        .map_err(|_| CliError("the fjall writer panicked".into()))?;
    Ok(measured)
}
