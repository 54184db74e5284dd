//! The regions' feed cursors, kept in a JetStream key-value bucket beside the stream, so that every
//! gateway of one stream sees one cursor per region.
//!
//! A region's adapter acknowledges what it has processed (`POST /v1/regions/{region}/feed/ack`)
//! and, without `after=`, reads on from there. On the embedded log the cursor lives in the
//! gateway's own projections, which is right: one gateway owns that log. On JetStream several
//! gateways serve one stream, and an adapter behind a load balancer reaches whichever answers;
//! a cursor kept in each gateway's projections would lag on the others, which would deliver
//! again what the region had processed. So here the cursor is one key per region in the bucket
//! `<stream>_cursors` (the region's code; the value its position, in decimal, readable with
//! `nats kv get`). Stored on the server like the events, replicated like them, and as durable
//! as the server's `sync_interval` makes every JetStream write.
//!
//! A cursor only moves forward. Two gateways acknowledging at once for one region compare and
//! set on the key's revision (`Nats-Expected-Last-Subject-Sequence`), and the loser reads the
//! winner's position and tries again only while its own is further.

use async_nats::jetstream::{self, kv};

use super::SetupError;
use crate::domain::is_region_code;
use crate::log::LogError;

/// How many times an acknowledgement retries after losing a compare-and-set to another gateway
/// before it reports the log unavailable. Each loss means someone else moved the cursor, so a
/// run of them is as many concurrent acknowledgements for one region: a handful at most.
const RACES: usize = 16;

/// The bucket holding the cursors of the regions that read from `stream`. Bucket names take
/// letters, digits, `_` and `-`; any other character of the stream's name becomes `_`.
pub fn bucket_name(stream: &str) -> String {
    let clean: String = stream
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{clean}_cursors")
}

/// The regions' feed cursors in the stream's key-value bucket.
#[derive(Clone)]
pub struct SharedCursors {
    store: kv::Store,
    bucket: String,
    op_timeout: std::time::Duration,
}

/// A cursor as stored: its position and the key's revision to compare and set against (0: no
/// cursor yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stored {
    position: u64,
    revision: u64,
}

impl SharedCursors {
    /// Opens the bucket, creating it (with the stream's replicas) when it is missing.
    pub async fn open(
        js: &jetstream::Context,
        stream: &str,
        replicas: usize,
        op_timeout: std::time::Duration,
    ) -> Result<SharedCursors, SetupError> {
        let bucket = bucket_name(stream);
        let store = match js.get_key_value(bucket.clone()).await {
            Ok(store) => store,
            Err(_) => {
                let config = kv::Config {
                    bucket: bucket.clone(),
                    description: format!(
                        "tongban: each region's acknowledged feed position in stream {stream}"
                    ),
                    history: 1,
                    storage: jetstream::stream::StorageType::File,
                    num_replicas: replicas.max(1),
                    ..Default::default()
                };
                match js.create_key_value(config).await {
                    Ok(store) => {
                        tracing::info!(%bucket, "created the feed cursors' bucket");
                        store
                    }
                    // Another gateway created it in between.
                    Err(created) => js.get_key_value(bucket.clone()).await.map_err(|_| {
                        SetupError::JetStream(format!(
                            "cannot create the feed cursors' bucket {bucket}: {created}"
                        ))
                    })?,
                }
            }
        };
        Ok(SharedCursors {
            store,
            bucket,
            op_timeout,
        })
    }

    /// The bucket's name, for logs and documentation.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn unavailable(&self, what: &str, e: impl std::fmt::Display) -> LogError {
        LogError::Unavailable(format!("{what} in bucket {}: {e}", self.bucket))
    }

    async fn bounded<T, E: std::fmt::Display>(
        &self,
        what: &str,
        f: impl Future<Output = Result<T, E>>,
    ) -> Result<T, LogError> {
        match tokio::time::timeout(self.op_timeout, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(self.unavailable(what, e)),
            Err(_) => Err(self.unavailable(
                what,
                format!("no answer from NATS within {:?}", self.op_timeout),
            )),
        }
    }

    async fn stored(&self, region: &str) -> Result<Stored, LogError> {
        let entry = self
            .bounded("reading a feed cursor", self.store.entry(region))
            .await?;
        match entry {
            Some(e) if e.operation == kv::Operation::Put => {
                let position = std::str::from_utf8(&e.value)
                    .ok()
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| {
                        self.unavailable(
                            "reading a feed cursor",
                            format!(
                                "region {region}'s cursor is not a position ({} bytes)",
                                e.value.len()
                            ),
                        )
                    })?;
                Ok(Stored {
                    position,
                    revision: e.revision,
                })
            }
            // Deleted or purged by hand: no cursor, yet the key's revision is what a write
            // must expect.
            Some(e) => Ok(Stored {
                position: 0,
                revision: e.revision,
            }),
            None => Ok(Stored {
                position: 0,
                revision: 0,
            }),
        }
    }

    /// The position up to which `region` has acknowledged its feed (0: nothing yet).
    pub async fn get(&self, region: &str) -> Result<u64, LogError> {
        if !is_region_code(region) {
            return Ok(0);
        }
        Ok(self.stored(region).await?.position)
    }

    /// Writes `position` if the key is still at `revision`; false when another gateway wrote it
    /// first.
    async fn set(&self, region: &str, position: u64, revision: u64) -> Result<bool, LogError> {
        let write = self
            .store
            .update(region, position.to_string().into(), revision);
        match tokio::time::timeout(self.op_timeout, write).await {
            Ok(Ok(_)) => Ok(true),
            Ok(Err(e)) => {
                // Lost the race (however the server words it: 10071, or 10164 from clustered
                // servers, which the client reports as another error): the key moved on.
                let now = self.stored(region).await?;
                if now.revision != revision {
                    Ok(false)
                } else {
                    Err(self.unavailable("writing a feed cursor", e))
                }
            }
            Err(_) => Err(self.unavailable(
                "writing a feed cursor",
                format!("no answer from NATS within {:?}", self.op_timeout),
            )),
        }
    }

    /// Moves `region`'s cursor to `position` unless it is already there or further, and
    /// returns the cursor as it then is. Answers once the server has stored it.
    pub async fn advance(&self, region: &str, position: u64) -> Result<u64, LogError> {
        if !is_region_code(region) {
            return Err(self.unavailable(
                "writing a feed cursor",
                format!("{region:?} is not a region code"),
            ));
        }
        for _ in 0..RACES {
            let now = self.stored(region).await?;
            if position <= now.position {
                return Ok(now.position);
            }
            if self.set(region, position, now.revision).await? {
                return Ok(position);
            }
        }
        Err(self.unavailable(
            "writing a feed cursor",
            format!("region {region}'s cursor kept changing under {RACES} tries"),
        ))
    }

    /// Moves the cursor of each of `regions` that is past `end` (the stream's last sequence, read after the cursors) back to
    /// it, and returns those regions with the cursor each had. A cursor can only be past the end
    /// of a stream restored from a backup that ends before it; left there, the region would skip
    /// the events appended next, at positions it had acknowledged. A cursor moved by another
    /// gateway in between is left to that gateway.
    pub async fn clamp(
        &self,
        regions: impl IntoIterator<Item = String>,
        end: impl AsyncFnOnce() -> Result<u64, LogError>,
    ) -> Result<Vec<(String, u64)>, LogError> {
        let mut read = Vec::new();
        for region in regions.into_iter().filter(|r| is_region_code(r)) {
            let stored = self.stored(&region).await?;
            read.push((region, stored));
        }
        // Read after the cursors: every cursor read was at most the stream's end when it was
        // written, and the end only grows, so a cursor past this end is past every end.
        let end = end().await?;
        let mut moved = Vec::new();
        for (region, stored) in read {
            if stored.position > end && self.set(&region, end, stored.revision).await? {
                moved.push((region, stored.position));
            }
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::jetstream::{JetStreamConfig, JetStreamLog};
    use crate::log::{EventLog, conformance};
    use crate::testnats::NatsServer;

    async fn gateway(server: &NatsServer) -> JetStreamLog {
        let mut c = JetStreamConfig::new(server.url());
        c.op_timeout = std::time::Duration::from_secs(2);
        JetStreamLog::open(&c)
            .await
            .unwrap_or_else(|e| panic!("open on {}: {e}", crate::testnats::describe(server)))
    }

    fn cursors(log: &JetStreamLog) -> &SharedCursors {
        log.shared_cursors()
            .expect("a serving gateway shares its cursors")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_gateway_of_a_stream_moves_one_cursor_forward_only() {
        let server = NatsServer::start();
        let (a, b) = (gateway(&server).await, gateway(&server).await);
        let (ca, cb) = (cursors(&a), cursors(&b));
        assert_eq!(ca.bucket(), "TONGBAN_cursors");
        assert_eq!(ca.get("330000").await.expect("get"), 0);

        assert_eq!(ca.advance("330000", 7).await.expect("ack"), 7);
        assert_eq!(cb.get("330000").await.expect("get"), 7, "B sees A's ack");
        // Never back: an older ack through B leaves it.
        assert_eq!(cb.advance("330000", 5).await.expect("ack"), 7);
        assert_eq!(cb.advance("330000", 12).await.expect("ack"), 12);
        assert_eq!(ca.get("330000").await.expect("get"), 12);
        // Regions are apart.
        assert_eq!(ca.get("440000").await.expect("get"), 0);

        // Racing acknowledgements through both gateways end at the furthest, and no answer
        // claims a cursor behind what it asked for.
        let mut racers = Vec::new();
        for i in 0..24u64 {
            let c = if i % 2 == 0 { ca.clone() } else { cb.clone() };
            racers.push(tokio::spawn(async move {
                let asked = 100 + i;
                (asked, c.advance("440000", asked).await)
            }));
        }
        for r in racers {
            let (asked, answer) = r.await.expect("racer");
            let answer = answer.expect("ack under a race");
            assert!(answer >= asked, "asked {asked}, answered {answer}");
        }
        assert_eq!(cb.get("440000").await.expect("get"), 123);

        // A gateway started later reads them from the bucket.
        let c = gateway(&server).await;
        assert_eq!(cursors(&c).get("330000").await.expect("get"), 12);
        assert_eq!(cursors(&c).get("440000").await.expect("get"), 123);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cursor_past_the_end_of_the_stream_moves_back_to_it() {
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let app = crate::ids::new_v7();
        conformance::append_chain(&log, &app, 3).await;
        let end = log.last_sequence().await.expect("end");
        assert_eq!(end, 3);
        let c = cursors(&log);
        c.advance("330000", 2).await.expect("ack");
        c.advance("440000", 90).await.expect("ack");
        let regions = ["330000", "440000", "510000"].map(String::from);
        let moved = c
            .clamp(regions, async || log.last_sequence().await)
            .await
            .expect("clamp");
        assert_eq!(moved, vec![("440000".to_string(), 90)]);
        assert_eq!(c.get("440000").await.expect("get"), 3);
        assert_eq!(c.get("330000").await.expect("get"), 2);
        assert_eq!(c.get("510000").await.expect("get"), 0, "no cursor is made");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn what_is_no_region_code_has_no_cursor_and_gets_none() {
        let server = NatsServer::start();
        let log = gateway(&server).await;
        let c = cursors(&log);
        for name in ["33000", "3300000", "tongban.>", "", "a b"] {
            assert_eq!(c.get(name).await.expect("get"), 0, "{name:?}");
            let refused = c.advance(name, 1).await.expect_err(name);
            assert!(
                refused.to_string().contains("not a region code"),
                "{refused}"
            );
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_read_only_tools_open_no_bucket() {
        let server = NatsServer::start();
        let _serving = gateway(&server).await;
        let mut c = JetStreamConfig::new(server.url());
        c.create_stream = false;
        let reader = JetStreamLog::open(&c).await.expect("open for reading");
        assert!(reader.shared_cursors().is_none());
    }

    #[test]
    fn a_bucket_is_named_for_its_stream_in_the_characters_buckets_take() {
        assert_eq!(bucket_name("TONGBAN"), "TONGBAN_cursors");
        assert_eq!(bucket_name("tb-prod.v2"), "tb-prod_v2_cursors");
        assert_eq!(bucket_name("通办"), "___cursors");
    }
}
