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
/// refused is not quoted: it is whatever the caller sent. `https://` where the request came
/// through a proxy that terminated TLS and said so (`X-Forwarded-Proto: https`, the one value
/// besides `http` taken): the gateway itself speaks plain HTTP, and behind such a proxy a page
/// naming `http://` would lead its reader to an address that is not served, or not safely.
pub fn from_host(headers: &HeaderMap) -> Result<String, Problem> {
    let mut values = headers.get_all(header::HOST).iter();
    let refused = |rule: &str| Problem::bad_request(HEADER_POINTER, rule, HOST_RULE);
    let value = values.next().ok_or_else(|| refused("required"))?;
    if values.next().is_some() {
        return Err(refused("once"));
    }
    match value.to_str() {
        Ok(host) if is_host_port(host) => Ok(format!(
            "{}://{}",
            scheme(headers),
            host.to_ascii_lowercase()
        )),
        _ => Err(refused("host")),
    }
}

/// The scheme the request came in on: `https` when a proxy in front said so in its one
/// `X-Forwarded-Proto` (case aside), else `http`, which is what the gateway itself serves.
fn scheme(headers: &HeaderMap) -> &'static str {
    let mut values = headers.get_all("x-forwarded-proto").iter();
    match (values.next().map(|v| v.to_str()), values.next()) {
        (Some(Ok(proto)), None) if proto.trim().eq_ignore_ascii_case("https") => "https",
        _ => "http",
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

    /// Behind a proxy that terminated TLS and says so, the address is `https://`; any other
    /// value, or two, leaves it `http://` (the gateway's own). (Every saved page named
    /// `http://`, an address a TLS proxy in front does not serve.)
    #[test]
    fn a_proxy_that_terminated_tls_makes_it_https() {
        let with = |protos: &[&str]| {
            let mut headers = HeaderMap::new();
            headers.append(header::HOST, HeaderValue::from_static("gw.gd.gov.cn"));
            for p in protos {
                headers.append(
                    "x-forwarded-proto",
                    HeaderValue::from_bytes(p.as_bytes()).expect("value"),
                );
            }
            from_host(&headers).expect("taken")
        };
        assert_eq!(with(&["https"]), "https://gw.gd.gov.cn");
        assert_eq!(with(&["HTTPS"]), "https://gw.gd.gov.cn");
        for protos in [&[][..], &["http"], &["javascript"], &["https", "http"]] {
            assert_eq!(with(protos), "http://gw.gd.gov.cn", "{protos:?}");
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
