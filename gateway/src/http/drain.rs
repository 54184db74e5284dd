//! Reading the rest of a body already refused as too large, so that its client reads the 413.
//!
//! Why read it at all: many clients (Python's urllib, most HTTP libraries that do not send
//! `Expect: 100-continue`) write the whole body before they read the answer. A gateway that
//! answers and closes with the body still arriving makes the kernel reset the connection, and
//! such a client sees `Broken pipe` instead of the 413 (an integrator saw it 55 times in 60).
//! Reading the rest lets it finish writing and read the answer, as nginx's lingering close does.
//!
//! Why it cannot be used to tie up the gateway: nothing read is kept (each frame is dropped as it
//! comes), so a drain costs one connection's task and socket, no memory; it stops at
//! [`DRAIN_BYTES`] past the limit or its time, whichever comes first, and a body declared larger
//! than that is not read at all (closed at once, as before). A declared length is drained before
//! the caller's token is read, so anyone may start one: at most [`MAX_DRAINS`] run at once in the
//! process and at most [`MAX_DRAINS_PER_CLIENT`] for one client address, and past either a
//! refused body is answered and closed at once, as before the drain existed. A chunked body cut
//! off at the limit is drained the same way, under the same caps, once its route has read it:
//! after the token and the rate limit on most routes, but with no token on those that take none
//! (`POST /v1/schemas/{subject}/compatibility`).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

/// How much of a body already refused as too large is read and thrown away before the 413 is
/// sent: 8 MiB past the limit, within [`drain_time`].
pub const DRAIN_BYTES: usize = 8 << 20;

/// How many refused bodies are drained at once in the whole process: bounds the connections
/// clients that declare a large body and send nothing can hold through drains.
pub const MAX_DRAINS: usize = 64;

/// How many of the [`MAX_DRAINS`] one client address may hold at once (an IPv4 address, or an
/// IPv6 address's /64 network, which one host is commonly given whole). Without it, 64
/// connections declaring a body and sending nothing, from one host and with no token, kept every
/// drain taken for their drain time, and every other client over the limit saw the broken pipe
/// again (found by a review). Eight is more than one province's platform sends over the limit at
/// once: its clients send one body at a time per connection, and an oversized body is a fault of
/// the form, not of the load.
pub const MAX_DRAINS_PER_CLIENT: usize = 8;

/// The drains running ([`MAX_DRAINS`]).
static DRAINS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(MAX_DRAINS);

/// How long a refused body is read for at least before the 413 is sent regardless: all of a
/// chunked body's drain, whose size is not declared (8 MiB at 1.7 MB/s).
pub const DRAIN_TIME: Duration = Duration::from_secs(5);

/// The rate the body's deadline assumes of a slow but legitimate client (`BODY_TIMEOUT`):
/// 35 KB/s, in bytes a second.
const SLOWEST_RATE: u64 = 35_000;

/// How long a body declared `declared` bytes long is drained for: its time at
/// [`SLOWEST_RATE`], at least [`DRAIN_TIME`], at most `deadline`, the body's own (30 s, about
/// 1 MiB at that rate; a slower client's rest is cut off and it may see the connection reset).
pub fn drain_time(declared: u64, deadline: Duration) -> Duration {
    let at_rate = Duration::from_millis(declared.saturating_mul(1000) / SLOWEST_RATE);
    at_rate.max(DRAIN_TIME).min(deadline)
}

/// Reads and drops `body` until it ends, `at_most` bytes have been dropped, `time` has passed or
/// it fails, whichever comes first; at once when [`MAX_DRAINS`] are already running, or
/// [`MAX_DRAINS_PER_CLIENT`] for the client whose request this is (its connection says which:
/// `connections::PEER`; a request served without a connection, as in the router's own tests,
/// counts only towards the process's cap).
pub async fn drain(body: &mut axum::body::Body, at_most: usize, time: Duration) {
    use axum::body::HttpBody;
    let client = crate::connections::PEER.try_with(|ip| Client::of(*ip)).ok();
    // The client's own count first, so that a client at its cap takes none of the process's.
    let _client = match client {
        Some(client) => match ClientDrain::take(client) {
            Some(taken) => Some(taken),
            None => return,
        },
        None => None,
    };
    let Ok(_permit) = DRAINS.try_acquire() else {
        return;
    };
    let reading = async {
        let mut dropped = 0usize;
        while dropped <= at_most {
            let frame =
                std::future::poll_fn(|cx| std::pin::Pin::new(&mut *body).poll_frame(cx)).await;
            match frame {
                Some(Ok(frame)) => {
                    dropped += frame.data_ref().map_or(0, |d| d.len());
                }
                Some(Err(_)) | None => return,
            }
        }
    };
    let _ = tokio::time::timeout(time, reading).await;
}

/// One client for [`MAX_DRAINS_PER_CLIENT`]: an IPv4 address (an IPv4-mapped IPv6 address is
/// one), or the /64 network of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    V4(u32),
    V6Network(u64),
}

impl Client {
    fn of(ip: IpAddr) -> Client {
        match ip {
            IpAddr::V4(v4) => Client::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client::V4(u32::from(v4)),
                None => Client::V6Network((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// The drains each client holds now. A client holding none has no entry, so the map holds about
/// as many entries as drains run (a client's count is taken before the process's cap is asked).
static HELD: LazyLock<Mutex<HashMap<Client, usize>>> = LazyLock::new(Mutex::default);

/// One drain counted for its client, given back when dropped.
struct ClientDrain(Client);

impl ClientDrain {
    /// One more drain for `client`, unless it holds [`MAX_DRAINS_PER_CLIENT`] already.
    fn take(client: Client) -> Option<ClientDrain> {
        let mut held = HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = held.entry(client).or_insert(0);
        if *count >= MAX_DRAINS_PER_CLIENT {
            return None;
        }
        *count += 1;
        Some(ClientDrain(client))
    }
}

impl Drop for ClientDrain {
    fn drop(&mut self) {
        let mut held = HELD.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = held.get_mut(&self.0) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                held.remove(&self.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_is_an_ipv4_address_or_an_ipv6_network() {
        let ip = |s: &str| s.parse::<IpAddr>().expect("address");
        assert_eq!(
            Client::of(ip("10.0.0.1")),
            Client::of(ip("::ffff:10.0.0.1"))
        );
        assert_ne!(Client::of(ip("10.0.0.1")), Client::of(ip("10.0.0.2")));
        assert_eq!(
            Client::of(ip("2001:db8:1:2::1")),
            Client::of(ip("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            Client::of(ip("2001:db8:1:2::1")),
            Client::of(ip("2001:db8:1:3::1"))
        );
    }

    #[test]
    fn a_client_takes_at_most_its_share_and_gets_it_back() {
        // An address no other test uses: the counts are process-wide.
        let client = Client::of("192.0.2.77".parse().expect("address"));
        let other = Client::of("192.0.2.78".parse().expect("address"));
        let taken: Vec<ClientDrain> = (0..MAX_DRAINS_PER_CLIENT)
            .map(|_| ClientDrain::take(client).expect("within the share"))
            .collect();
        assert!(ClientDrain::take(client).is_none(), "one past the share");
        let for_other = ClientDrain::take(other).expect("another client's own share");
        drop(taken);
        assert!(
            ClientDrain::take(client).is_some(),
            "given back when dropped"
        );
        drop(for_other);
        let held = HELD.lock().expect("lock");
        assert!(!held.contains_key(&client) && !held.contains_key(&other));
    }
}
