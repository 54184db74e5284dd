//! Test harness: a loopback TCP proxy in front of a real nats-server that passes every byte both
//! ways except the client's publishes a test names, which it drops and counts.
//!
//! How a test loses one message on the wire against a real server (a flow-control reply, say),
//! which no server or client option does. Only `std`, like `crate::testnats`.
//!
//! It reads the client's side of the NATS protocol op by op: a `PUB` or `HPUB` is held until its
//! payload is whole, then passed on or dropped by its subject; every other op (`CONNECT`, `SUB`,
//! `PING` ...) is one line, passed on as it is. The server's side is copied unread.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// A running proxy; stops accepting when dropped (connections made end with the server's).
pub struct DroppingProxy {
    port: u16,
    dropped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl DroppingProxy {
    /// Proxies `127.0.0.1:<upstream>`, dropping the client's publishes whose subject `drops`.
    pub fn start(upstream: u16, drops: fn(&str) -> bool) -> DroppingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
        let port = listener.local_addr().expect("its address").port();
        let dropped = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (counter, stopping) = (dropped.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let (Ok(mut from_server), Ok(mut to_client)) =
                    (server.try_clone(), client.try_clone())
                else {
                    continue;
                };
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(Shutdown::Both);
                });
                let counter = counter.clone();
                std::thread::spawn(move || filter(client, server, drops, &counter));
            }
        });
        DroppingProxy {
            port,
            dropped,
            stop,
        }
    }

    /// The URL a client connects to instead of the server's.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// How many publishes it has dropped so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for DroppingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies the client's ops to the server, less the publishes `drops` names.
fn filter(
    mut client: TcpStream,
    mut server: TcpStream,
    drops: fn(&str) -> bool,
    dropped: &AtomicU64,
) {
    let mut pending: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match client.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        pending.extend_from_slice(&chunk[..n]);
        let mut out = Vec::with_capacity(pending.len());
        let mut at = 0;
        while let Some(end) = pending[at..].windows(2).position(|w| w == b"\r\n") {
            let line = &pending[at..at + end];
            let whole = match publish(line) {
                // The op line, the payload and its CRLF.
                Some((_, size)) => end + 2 + size + 2,
                None => end + 2,
            };
            if pending.len() - at < whole {
                break;
            }
            match publish(line) {
                Some((subject, _)) if drops(&subject) => {
                    dropped.fetch_add(1, Ordering::Relaxed);
                }
                _ => out.extend_from_slice(&pending[at..at + whole]),
            }
            at += whole;
        }
        pending.drain(..at);
        if server.write_all(&out).is_err() {
            break;
        }
    }
    let _ = server.shutdown(Shutdown::Both);
}

/// For a `PUB subject [reply] size` or `HPUB subject [reply] header-size total-size` line: the
/// subject and the payload's size in bytes (headers included).
fn publish(line: &[u8]) -> Option<(String, usize)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split_ascii_whitespace();
    let op = words.next()?;
    if !op.eq_ignore_ascii_case("PUB") && !op.eq_ignore_ascii_case("HPUB") {
        return None;
    }
    let subject = words.next()?.to_string();
    let size = words.last()?.parse().ok()?;
    Some((subject, size))
}

#[cfg(test)]
mod tests {
    use super::publish;

    #[test]
    fn publishes_are_told_by_op_with_their_payload_size() {
        assert_eq!(publish(b"PUB a.b 5"), Some(("a.b".into(), 5)));
        assert_eq!(publish(b"PUB a.b _INBOX.x 0"), Some(("a.b".into(), 0)));
        assert_eq!(
            publish(b"HPUB a.b _INBOX.x 22 40"),
            Some(("a.b".into(), 40))
        );
        assert_eq!(publish(b"hpub a.b 12 12"), Some(("a.b".into(), 12)));
        assert_eq!(publish(b"SUB a.b 1"), None);
        assert_eq!(publish(b"PING"), None);
        assert_eq!(publish(br#"CONNECT {"verbose":false}"#), None);
    }
}
