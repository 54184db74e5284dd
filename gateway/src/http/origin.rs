//! The gateway's own address as a request names it (`Host`), for the links of a page that must
//! work once the page has left the gateway: the evidence page is saved (by the browser, with
//! curl) as evidence in a dispute and opened later from a file, where a link to `/registry/…`
//! leads to `file:///registry/…`.
//!
//! The gateway has no setting for its public address, so the request's `Host` header names it.
//! That header is the caller's own text, written into a page: it is taken only when it is a
//! plain `host[:port]` (a DNS name, an IPv4 address or a bracketed IPv6 address; no user, path,
//! query, space or markup), and otherwise the page is refused, naming the header, rather than
//! served with a link made of whatever was sent.

use axum::http::{HeaderMap, header};

use super::problem::Problem;

/// How a refusal names the header (the caller's own spelling).
pub const HEADER_POINTER: &str = "header:Host";

/// What a `Host` header must be, as the refusal says it.
pub const HOST_RULE: &str = "Host must name this gateway as host[:port]: a DNS name, an IPv4 \
     address or a bracketed IPv6 address, then optionally `:` and a port from 1 to 65535 (the \
     evidence page links to this gateway's registry pages at that address)";

/// `http://<host[:port]>` from the request's one `Host` header, or the 400 that says why the
/// header cannot name the gateway (missing, sent twice, not a plain `host[:port]`). The value
/// refused is not quoted: it is whatever the caller sent.
pub fn from_host(headers: &HeaderMap) -> Result<String, Problem> {
    let mut values = headers.get_all(header::HOST).iter();
    let refused = |rule: &str| Problem::bad_request(HEADER_POINTER, rule, HOST_RULE);
    let value = values.next().ok_or_else(|| refused("required"))?;
    if values.next().is_some() {
        return Err(refused("once"));
    }
    match value.to_str() {
        Ok(host) if is_host_port(host) => Ok(format!("http://{}", host.to_ascii_lowercase())),
        _ => Err(refused("host")),
    }
}

/// Whether `s` is `host[:port]` and nothing else.
fn is_host_port(s: &str) -> bool {
    let (host, port) = match s.strip_prefix('[') {
        // `[v6]` or `[v6]:port`
        Some(rest) => match rest.split_once(']') {
            Some((v6, after)) if v6.parse::<std::net::Ipv6Addr>().is_ok() => {
                match after.strip_prefix(':') {
                    Some(port) => return is_port(port),
                    None => return after.is_empty(),
                }
            }
            _ => return false,
        },
        None => match s.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (s, None),
        },
    };
    port.is_none_or(is_port) && (is_dns_name(host) || host.parse::<std::net::Ipv4Addr>().is_ok())
}

/// A port from 1 to 65535, in digits.
fn is_port(s: &str) -> bool {
    (1..=5).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.parse::<u16>().is_ok_and(|p| p > 0)
}

/// A DNS name: dot-separated labels of ASCII letters, digits and inner hyphens, each 1 to 63
/// long, 253 in all (a trailing dot allowed).
fn is_dns_name(s: &str) -> bool {
    let name = s.strip_suffix('.').unwrap_or(s);
    (1..=253).contains(&name.len())
        && name.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn origin(hosts: &[&str]) -> Result<String, String> {
        let mut headers = HeaderMap::new();
        for h in hosts {
            headers.append(
                header::HOST,
                HeaderValue::from_bytes(h.as_bytes()).expect("a header value"),
            );
        }
        from_host(&headers).map_err(|p| format!("{p:?}"))
    }

    #[test]
    fn takes_a_plain_host_and_port() {
        for (host, expected) in [
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("gateway.gd.gov.cn", "http://gateway.gd.gov.cn"),
            ("Tongban-1.Example:443", "http://tongban-1.example:443"),
            ("[::1]:8080", "http://[::1]:8080"),
            ("[2001:db8::1]", "http://[2001:db8::1]"),
            ("localhost", "http://localhost"),
        ] {
            assert_eq!(origin(&[host]).as_deref(), Ok(expected), "{host}");
        }
    }

    /// Anything but a plain host[:port] is refused: markup, a path, a user, a scheme, spaces, a
    /// port out of range, an unbracketed IPv6 address, two headers, none.
    #[test]
    fn refuses_anything_else() {
        for host in [
            "evil.example\"><script>x</script>",
            "evil.example/registry",
            "user@evil.example",
            "http://evil.example",
            "evil example",
            "evil.example:0",
            "evil.example:65536",
            "evil.example:",
            "evil.example:80:80",
            "::1",
            "[::1",
            "[::1]x",
            "[not-v6]:80",
            "-evil.example",
            "evil..example",
            "",
            "例子.中国",
        ] {
            let refused = origin(&[host]);
            assert!(refused.is_err(), "{host:?} was taken: {refused:?}");
            assert!(
                !refused.unwrap_err().contains("evil"),
                "the refusal quotes the header ({host:?})"
            );
        }
        assert!(origin(&["a.example", "b.example"]).is_err());
        assert!(origin(&[]).is_err());
    }
}
