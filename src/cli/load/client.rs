//! A minimal HTTP/1.1 client on one keep-alive tokio `TcpStream`: enough to drive the gateway
//! (Content-Length or chunked responses, JSON bodies) without a client library. One per worker,
//! so each worker is one persistent connection, as a province's platform would hold.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Bound on one request, connection included.
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
pub enum ClientError {
    Io(std::io::Error),
    Timeout,
    Malformed(String),
    /// The server closed an idle kept-alive connection before answering: safe to resend.
    Closed,
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Io(e) => write!(f, "{e}"),
            ClientError::Timeout => write!(f, "timed out after {TIMEOUT:?}"),
            ClientError::Malformed(m) => write!(f, "malformed response: {m}"),
            ClientError::Closed => f.write_str("connection closed before the response"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<std::io::Error> for ClientError {
    fn from(e: std::io::Error) -> ClientError {
        ClientError::Io(e)
    }
}

/// An answer: status, body, and the log position a write answered (`X-Tongban-Position`).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub position: Option<u64>,
}

pub struct Client {
    addr: String,
    conn: Option<BufReader<TcpStream>>,
}

impl Client {
    pub fn new(addr: &str) -> Client {
        Client {
            addr: addr.to_string(),
            conn: None,
        }
    }

    /// Sends one request; on a kept-alive connection the server had already closed, reconnects
    /// and sends once more (nothing was read by the server, so nothing is repeated).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Answer, ClientError> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        if let Some(t) = token {
            head.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if let Some(b) = body {
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                head.push_str("Content-Type: application/json\r\n");
            }
            head.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        head.push_str("\r\n");
        let reused = self.conn.is_some();
        match self.exchange(head.as_bytes(), body).await {
            Err(ClientError::Closed) if reused => self.exchange(head.as_bytes(), body).await,
            other => other,
        }
    }

    async fn exchange(&mut self, head: &[u8], body: Option<&[u8]>) -> Result<Answer, ClientError> {
        let result = tokio::time::timeout(TIMEOUT, self.exchange_inner(head, body)).await;
        let result = result.unwrap_or(Err(ClientError::Timeout));
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    async fn exchange_inner(
        &mut self,
        head: &[u8],
        body: Option<&[u8]>,
    ) -> Result<Answer, ClientError> {
        let conn = match &mut self.conn {
            Some(c) => c,
            None => {
                let stream = TcpStream::connect(&self.addr).await?;
                stream.set_nodelay(true)?;
                self.conn.insert(BufReader::new(stream))
            }
        };
        let mut request = head.to_vec();
        request.extend_from_slice(body.unwrap_or_default());
        if conn.get_mut().write_all(&request).await.is_err() {
            return Err(ClientError::Closed);
        }
        let mut line = String::new();
        if conn.read_line(&mut line).await? == 0 {
            return Err(ClientError::Closed);
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ClientError::Malformed(format!("status line {line:?}")))?;
        let mut length: Option<usize> = None;
        let mut chunked = false;
        let mut close = false;
        let mut position = None;
        loop {
            line.clear();
            if conn.read_line(&mut line).await? == 0 {
                return Err(ClientError::Malformed("headers cut short".into()));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let Some((k, v)) = l.split_once(':') else {
                continue;
            };
            let v = v.trim();
            if k.eq_ignore_ascii_case("content-length") {
                length = v.parse().ok();
            } else if k.eq_ignore_ascii_case("transfer-encoding") {
                chunked = v.eq_ignore_ascii_case("chunked");
            } else if k.eq_ignore_ascii_case("connection") {
                close = v.eq_ignore_ascii_case("close");
            } else if k.eq_ignore_ascii_case("x-tongban-position") {
                position = v.parse().ok();
            }
        }
        let body = if chunked {
            read_chunked(conn).await?
        } else if let Some(n) = length {
            let mut b = vec![0; n];
            conn.read_exact(&mut b).await?;
            b
        } else {
            close = true;
            let mut b = Vec::new();
            conn.read_to_end(&mut b).await?;
            b
        };
        if close {
            self.conn = None;
        }
        Ok(Answer {
            status,
            body,
            position,
        })
    }
}

async fn read_chunked(conn: &mut BufReader<TcpStream>) -> Result<Vec<u8>, ClientError> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        conn.read_line(&mut line).await?;
        let size_text = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| ClientError::Malformed(format!("chunk size {size_text:?}")))?;
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                line.clear();
                if conn.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        conn.read_exact(&mut body[start..]).await?;
        let mut crlf = [0u8; 2];
        conn.read_exact(&mut crlf).await?;
    }
}
