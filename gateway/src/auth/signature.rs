//! Signed requests: a region that registered an Ed25519 public key signs every state-changing
//! request, so a stolen bearer token alone cannot act for it, and the gateway keeps the region's
//! own signature as evidence of exactly what the region sent (docs/signed-requests.md).
//!
//! The signature covers the canonical string
//!
//! ```text
//! <METHOD>\n<path-with-query>\n<Date header value>\n<lowercase hex SHA-256 of the body>
//! ```
//!
//! and travels as `X-Tongban-Signature: keyid="<region>",sig="<hex>"`, next to `Date` (RFC 3339 or
//! RFC 7231 IMF-fixdate, within [`MAX_SKEW_MS`] of the gateway clock) and
//! `X-Tongban-Content-SHA256: <hex>`. This file is pure: no I/O, no clock of its own.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::envelope::PublicKey;
use crate::time::Timestamp;

/// How far a request's `Date` may be from the gateway clock, either way.
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;
/// The header carrying the key id and the signature.
pub const SIGNATURE_HEADER: &str = "x-tongban-signature";
/// The header carrying the body's SHA-256 (lowercase or uppercase hex).
pub const DIGEST_HEADER: &str = "x-tongban-content-sha256";

/// A verified request signature: everything an auditor needs to recheck it with the region's
/// public key, without the gateway. Kept per event as the region's non-repudiation evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RequestSignature {
    /// The signing region (the `keyid` of the header).
    pub keyid: String,
    /// The region's public key that verified it (hex), as registered at the time.
    pub public_key: String,
    pub method: String,
    /// Path with query, exactly as received.
    pub path: String,
    /// The `Date` header, exactly as received.
    pub date: String,
    /// Lowercase hex SHA-256 of the body bytes.
    pub body_sha256: String,
    /// The exact string that was signed (UTF-8).
    pub canonical: String,
    /// Lowercase hex Ed25519 signature over `canonical`.
    pub sig: String,
    /// The body bytes as received, unpadded base64url: what `body_sha256` is the digest of.
    /// Served only to the signing region and to operators: a local form's body holds the
    /// province's whole form, the fields the gateway ignored included, which are in no event and
    /// so are no other party's to read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_base64url: Option<String>,
    /// Set instead of `body_base64url` where the reader is not served the body: says so and who
    /// is. Never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_withheld: Option<String>,
}

/// Why kept evidence of a signed request does not hold ([`RequestSignature::recheck`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecheckFailure {
    #[error("body_base64url is not unpadded base64url")]
    Body,
    #[error("the SHA-256 of the body kept is not body_sha256")]
    Digest,
    #[error("canonical is not the method, path, Date and digest kept, joined by newlines")]
    Canonical,
    #[error("public_key is not an Ed25519 public key")]
    Key,
    #[error("sig does not verify over canonical under public_key")]
    Signature,
}

impl RecheckFailure {
    /// The same, for the dispute page.
    pub fn zh(self) -> &'static str {
        match self {
            RecheckFailure::Body => "请求正文（body_base64url）不是无填充的 base64url",
            RecheckFailure::Digest => "请求正文的 SHA-256 与 body_sha256 不符",
            RecheckFailure::Canonical => "canonical 不是所存方法、路径、Date 与摘要以换行相连",
            RecheckFailure::Key => "public_key 不是 Ed25519 公钥",
            RecheckFailure::Signature => "签名在 public_key 下不能验证 canonical",
        }
    }
}

impl RequestSignature {
    /// The record as served to a reader that is neither the signing region nor an operator:
    /// without the body. A local form's body is the province's whole form, fields the gateway
    /// answered `unknown-field` (ignored) included, which may hold an internal note or a third
    /// person's ID number; served to the other party it would be theirs for good. The signature
    /// and `body_sha256` stay, so the other party can still check that the region signed a
    /// request with that digest.
    pub fn withheld(mut self) -> Self {
        self.body_base64url = None;
        self.body_withheld = Some(format!(
            "the body is served only to the signing region {} and to operators (it may hold \
             fields of the region's local form that are in no event); they can check it against \
             body_sha256, which the signature covers",
            self.keyid
        ));
        self
    }

    /// This record as `reader` may be served it: whole to the signing region and to operators,
    /// without the body to anyone else ([`RequestSignature::withheld`]).
    pub fn served_to(self, reader: &crate::auth::Principal) -> Self {
        match reader {
            crate::auth::Principal::Operator { .. } => self,
            crate::auth::Principal::Region { code, .. } if *code == self.keyid => self,
            crate::auth::Principal::Region { .. } => self.withheld(),
        }
    }

    /// Checks the kept evidence again, as anyone holding it and nothing else can: the body kept
    /// is the one digested, the signed string is made of the parts kept, and the signature
    /// verifies under the public key kept. Whether that key was the region's then is for the
    /// checker to know (the region's own record of its keys); the freshness of `Date` was
    /// judged when the request came and is not judged again.
    ///
    /// Evidence served without its body ([`RequestSignature::withheld`]) is checked without the
    /// first step: the signature still binds `body_sha256`, which the signer and operators can
    /// match with the body they are served.
    pub fn recheck(&self) -> Result<(), RecheckFailure> {
        if let Some(kept) = &self.body_base64url {
            let body = crate::hex::base64url_decode(kept).ok_or(RecheckFailure::Body)?;
            if crate::hex::encode(&Sha256::digest(&body)) != self.body_sha256 {
                return Err(RecheckFailure::Digest);
            }
        }
        if canonical_string(&self.method, &self.path, &self.date, &self.body_sha256)
            != self.canonical
        {
            return Err(RecheckFailure::Canonical);
        }
        let key = PublicKey::parse_hex(&self.public_key).map_err(|_| RecheckFailure::Key)?;
        if !key.verify_bytes(self.canonical.as_bytes(), &self.sig) {
            return Err(RecheckFailure::Signature);
        }
        Ok(())
    }
}

/// Why a request of a key-holding region is refused (401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "region {0} signs its requests: send Date, X-Tongban-Content-SHA256 and X-Tongban-Signature \
         (docs/signed-requests.md)"
    )]
    Missing(String),
    #[error("the signed request has no {0} header")]
    MissingHeader(&'static str),
    #[error("X-Tongban-Signature must be keyid=\"<region>\",sig=\"<128 hex digits>\": {0}")]
    Malformed(String),
    #[error("the signature's keyid {keyid:?} is not the token's region {region}")]
    WrongKeyId { keyid: String, region: String },
    #[error("Date {0:?} is neither RFC 3339 nor an RFC 7231 IMF-fixdate")]
    BadDate(String),
    #[error("Date {date:?} is {skew_seconds} s from the gateway clock (at most 300 s allowed)")]
    Stale { date: String, skew_seconds: i64 },
    #[error("X-Tongban-Content-SHA256 is {sent} but the body's SHA-256 is {actual}")]
    DigestMismatch { sent: String, actual: String },
    #[error(
        "the signature does not verify with region {0}'s registered public key: check that it \
         was made with the private key of that public key, over the four lines joined by \\n \
         (no trailing newline): the method in upper case, the path with its query exactly as in \
         the request line, the Date header byte for byte, and the body's SHA-256 in lowercase \
         hex (docs/signed-requests.md)"
    )]
    BadSignature(String),
    /// Ed25519 signatures are deterministic: the same canonical string always signs to the same
    /// signature, so a client re-signing an identical request within one second of a seconds-only
    /// `Date` sends a signature already seen. The message says so, and how to avoid it, rather
    /// than leaving the client to suspect a captured request.
    #[error(
        "this signature came with an earlier request (carried out or refused, a signature is \
         taken once): sign a repeat afresh, with a new Date. An identical request (same method, \
         path, body and Date) signed again has an identical signature, so with a whole-second \
         Date two identical requests signed within the same second collide; send Date with \
         fractional seconds (e.g. 2026-11-23T12:00:00.123Z) so that each signing differs"
    )]
    Replayed,
}

/// Every slug [`SignatureError::slug`] answers, for the OpenAPI document's 401s.
pub const SLUGS: [&str; 6] = [
    "signature-missing",
    "signature-malformed",
    "signature-stale",
    "signature-digest-mismatch",
    "signature-invalid",
    "signature-replayed",
];

impl SignatureError {
    /// The problem type's last segment, stable for clients (one of [`SLUGS`]).
    pub fn slug(&self) -> &'static str {
        match self {
            SignatureError::Missing(_) | SignatureError::MissingHeader(_) => "signature-missing",
            SignatureError::Malformed(_) | SignatureError::WrongKeyId { .. } => {
                "signature-malformed"
            }
            SignatureError::BadDate(_) | SignatureError::Stale { .. } => "signature-stale",
            SignatureError::DigestMismatch { .. } => "signature-digest-mismatch",
            SignatureError::BadSignature(_) => "signature-invalid",
            SignatureError::Replayed => "signature-replayed",
        }
    }
}

/// The string a region signs.
pub fn canonical_string(
    method: &str,
    path_and_query: &str,
    date: &str,
    body_sha256: &str,
) -> String {
    format!("{method}\n{path_and_query}\n{date}\n{body_sha256}")
}

/// What verification reads from a request.
#[derive(Debug, Clone, Copy)]
pub struct SignedParts<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub date: Option<&'a str>,
    pub digest: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub body: &'a [u8],
}

/// Parses `keyid="…",sig="…"` (parameters in any order, optional spaces).
fn parse_header(value: &str) -> Result<(String, String), SignatureError> {
    let (mut keyid, mut sig) = (None, None);
    for param in value.split(',') {
        let (name, quoted) = param.trim().split_once('=').ok_or_else(|| {
            SignatureError::Malformed(format!("{:?} is not name=\"value\"", param.trim()))
        })?;
        let v = quoted
            .trim()
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| SignatureError::Malformed(format!("{name} must be quoted")))?;
        match name.trim() {
            "keyid" => keyid = Some(v.to_string()),
            "sig" => sig = Some(v.to_ascii_lowercase()),
            other => {
                return Err(SignatureError::Malformed(format!(
                    "unknown parameter {other:?}"
                )));
            }
        }
    }
    let keyid = keyid.ok_or_else(|| SignatureError::Malformed("keyid is missing".into()))?;
    let sig = sig.ok_or_else(|| SignatureError::Malformed("sig is missing".into()))?;
    if sig.len() != 128 || crate::hex::decode(&sig).is_none() {
        return Err(SignatureError::Malformed(
            "sig is not 128 hex digits".into(),
        ));
    }
    Ok((keyid, sig))
}

/// The signature, `Date` and digest headers of a request of `region`, or which is missing: the
/// first of [`verify`]'s checks, which needs no body (a route runs it before it reads one).
pub fn present<'p>(
    region: &str,
    parts: &SignedParts<'p>,
) -> Result<(&'p str, &'p str, &'p str), SignatureError> {
    let Some(header) = parts.signature else {
        return Err(SignatureError::Missing(region.to_string()));
    };
    let date = parts.date.ok_or(SignatureError::MissingHeader("Date"))?;
    let digest = parts
        .digest
        .ok_or(SignatureError::MissingHeader("X-Tongban-Content-SHA256"))?;
    Ok((header, date, digest))
}

/// Verifies a request of `region`, whose registered key is `key`, at gateway time `now`. Checks,
/// in order: the headers are there, the key id is the token's region, the date is fresh, the body
/// digest matches, and the signature verifies. Replay is the caller's concern (it needs state).
pub fn verify(
    region: &str,
    key: &PublicKey,
    parts: SignedParts<'_>,
    now: Timestamp,
) -> Result<RequestSignature, SignatureError> {
    let (header, date, sent_digest) = present(region, &parts)?;
    let (keyid, sig) = parse_header(header)?;
    if keyid != region {
        return Err(SignatureError::WrongKeyId {
            keyid,
            region: region.to_string(),
        });
    }
    let at = Timestamp::parse_rfc3339(date)
        .or_else(|| Timestamp::parse_http_date(date))
        .ok_or_else(|| SignatureError::BadDate(date.to_string()))?;
    let skew = at.0.saturating_sub(now.0);
    if skew.saturating_abs() > MAX_SKEW_MS {
        return Err(SignatureError::Stale {
            date: date.to_string(),
            skew_seconds: skew / 1000,
        });
    }
    let actual = crate::hex::encode(&Sha256::digest(parts.body));
    if !sent_digest.trim().eq_ignore_ascii_case(&actual) {
        return Err(SignatureError::DigestMismatch {
            sent: sent_digest.trim().to_string(),
            actual,
        });
    }
    let canonical = canonical_string(parts.method, parts.path_and_query, date, &actual);
    if !key.verify_bytes(canonical.as_bytes(), &sig) {
        return Err(SignatureError::BadSignature(region.to_string()));
    }
    Ok(RequestSignature {
        keyid,
        public_key: key.to_hex(),
        method: parts.method.to_string(),
        path: parts.path_and_query.to_string(),
        date: date.to_string(),
        body_sha256: actual,
        canonical,
        sig,
        body_base64url: Some(crate::hex::base64url(parts.body)),
        body_withheld: None,
    })
}

/// The evidence the gateway keeps of a request `region` signed with `key` (its private half) at
/// `date`: what a region's client and the gateway's [`verify`] make of it together, without the
/// freshness of `date` judged. For tests and tools that need evidence as the gateway keeps it.
pub fn signed_evidence(
    key: &crate::envelope::GatewayKey,
    region: &str,
    path: &str,
    date: &str,
    body: &[u8],
) -> RequestSignature {
    let digest = crate::hex::encode(&Sha256::digest(body));
    let canonical = canonical_string("POST", path, date, &digest);
    RequestSignature {
        keyid: region.to_string(),
        public_key: key.public().to_hex(),
        method: "POST".to_string(),
        path: path.to_string(),
        date: date.to_string(),
        body_sha256: digest,
        sig: key.sign_bytes(canonical.as_bytes()),
        canonical,
        body_base64url: Some(crate::hex::base64url(body)),
        body_withheld: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::GatewayKey;

    fn sign(key: &GatewayKey, canonical: &str) -> String {
        key.sign_bytes(canonical.as_bytes())
    }

    #[test]
    fn verifies_and_names_what_is_wrong() {
        let key = GatewayKey::from_seed([9; 32]);
        let public = key.public();
        let now = Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").expect("now");
        let body = br#"{"reason":"x"}"#;
        let digest = crate::hex::encode(&Sha256::digest(body));
        let date = "2026-11-23T12:01:00Z";
        let canonical = canonical_string("POST", "/v1/applications/a/accept", date, &digest);
        assert_eq!(
            canonical,
            format!("POST\n/v1/applications/a/accept\n2026-11-23T12:01:00Z\n{digest}")
        );
        let header = format!("keyid=\"440000\",sig=\"{}\"", sign(&key, &canonical));
        let parts = SignedParts {
            method: "POST",
            path_and_query: "/v1/applications/a/accept",
            date: Some(date),
            digest: Some(&digest),
            signature: Some(&header),
            body,
        };
        let ok = verify("440000", &public, parts, now).expect("verifies");
        assert_eq!(ok.canonical, canonical);
        assert!(public.verify_bytes(ok.canonical.as_bytes(), &ok.sig));

        let err = |p: SignedParts<'_>| verify("440000", &public, p, now).map(|_| ()).unwrap_err();
        assert!(matches!(
            err(SignedParts {
                signature: None,
                ..parts
            }),
            SignatureError::Missing(_)
        ));
        assert!(matches!(
            err(SignedParts {
                date: None,
                ..parts
            }),
            SignatureError::MissingHeader("Date")
        ));
        assert!(matches!(
            err(SignedParts {
                date: Some("2026-11-23T11:54:00Z"),
                ..parts
            }),
            SignatureError::Stale {
                skew_seconds: -360,
                ..
            }
        ));
        assert!(matches!(
            err(SignedParts {
                body: b"{}",
                ..parts
            }),
            SignatureError::DigestMismatch { .. }
        ));
        let changed = err(SignedParts {
            path_and_query: "/v1/applications/b/accept",
            ..parts
        });
        assert!(matches!(changed, SignatureError::BadSignature(_)));
        // What a signer gets wrong is what it is told to check.
        let said = changed.to_string();
        for part in ["method", "path", "Date", "SHA-256", "lowercase hex"] {
            assert!(said.contains(part), "{said}");
        }
        assert!(matches!(
            verify("310000", &public, parts, now),
            Err(SignatureError::WrongKeyId { .. })
        ));
        assert!(matches!(
            err(SignedParts {
                signature: Some("sig=abc"),
                ..parts
            }),
            SignatureError::Malformed(_)
        ));
        // An IMF-fixdate is as good as RFC 3339.
        let http_date = "Mon, 23 Nov 2026 12:00:30 GMT";
        let canonical = canonical_string("POST", "/x", http_date, &digest);
        let header = format!("keyid=\"440000\",sig=\"{}\"", sign(&key, &canonical));
        let p = SignedParts {
            path_and_query: "/x",
            date: Some(http_date),
            signature: Some(&header),
            ..parts
        };
        assert!(verify("440000", &public, p, now).is_ok());
    }

    /// Given two identical requests signed within the same second, when each `Date` carries
    /// fractional seconds (as docs/signed-requests.md's client sends it), then both verify and
    /// their signatures differ, so the replay cache keeps neither from the other. Guards the
    /// documented way out of `signature-replayed` for clients re-signing quickly.
    #[test]
    fn fractional_second_dates_verify_and_sign_apart() {
        let key = GatewayKey::from_seed([9; 32]);
        let public = key.public();
        let now = Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").expect("now");
        let body = br#"{"expected_seq":1}"#;
        let digest = crate::hex::encode(&Sha256::digest(body));
        let mut sigs = Vec::new();
        for date in [
            "2026-11-23T12:00:00.123Z",
            "2026-11-23T12:00:00.123456+00:00",
        ] {
            let canonical = canonical_string("POST", "/x", date, &digest);
            let header = format!("keyid=\"440000\",sig=\"{}\"", sign(&key, &canonical));
            let parts = SignedParts {
                method: "POST",
                path_and_query: "/x",
                date: Some(date),
                digest: Some(&digest),
                signature: Some(&header),
                body,
            };
            let ok = verify("440000", &public, parts, now).expect("a fractional Date verifies");
            assert_eq!(ok.date, date, "kept byte for byte");
            sigs.push(ok.sig);
        }
        assert_ne!(sigs[0], sigs[1]);
        // The refusal of a repeated signature says why it repeats and how to avoid it.
        let message = SignatureError::Replayed.to_string();
        assert!(message.contains("same second"), "{message}");
        assert!(message.contains("fractional seconds"), "{message}");
    }

    /// Given the evidence a verified request leaves, then it rechecks on its own; with any part
    /// of it changed (the body, the digest, the signed string, the key, the signature), the
    /// recheck names that part.
    #[test]
    fn kept_evidence_rechecks_and_names_what_was_changed() {
        let key = GatewayKey::from_seed([9; 32]);
        let now = Timestamp::parse_rfc3339("2026-11-23T12:00:00Z").expect("now");
        let body = br#"{"expected_seq":1,"materials_checked":true}"#;
        let digest = crate::hex::encode(&Sha256::digest(body));
        let (date, path) = ("2026-11-23T12:00:01Z", "/v1/applications/a/forward");
        let canonical = canonical_string("POST", path, date, &digest);
        let header = format!("keyid=\"440000\",sig=\"{}\"", sign(&key, &canonical));
        let parts = SignedParts {
            method: "POST",
            path_and_query: path,
            date: Some(date),
            digest: Some(&digest),
            signature: Some(&header),
            body,
        };
        let kept = verify("440000", &key.public(), parts, now).expect("verifies");
        // What the gateway keeps is what a client's signing and the check make of it together.
        assert_eq!(kept, signed_evidence(&key, "440000", path, date, body));
        assert_eq!(kept.recheck(), Ok(()));
        let changed = |change: &dyn Fn(&mut RequestSignature)| {
            let mut e = kept.clone();
            change(&mut e);
            e.recheck()
        };
        let other = crate::hex::base64url(br#"{"expected_seq":1,"materials_checked":false}"#);
        assert_eq!(
            changed(&|e| e.body_base64url = Some(other.clone())),
            Err(RecheckFailure::Digest)
        );
        assert_eq!(
            changed(&|e| e.body_base64url = e.body_base64url.clone().map(|b| b + "=")),
            Err(RecheckFailure::Body)
        );
        assert_eq!(
            changed(&|e| e.path = "/v1/applications/a/accept".into()),
            Err(RecheckFailure::Canonical)
        );
        assert_eq!(
            changed(&|e| e.public_key = GatewayKey::from_seed([8; 32]).public().to_hex()),
            Err(RecheckFailure::Signature)
        );
        assert_eq!(
            changed(&|e| e.public_key = "zz".into()),
            Err(RecheckFailure::Key)
        );
        assert_eq!(
            changed(&|e| e.sig = sign(&key, "something else")),
            Err(RecheckFailure::Signature)
        ); // Served without its body to a reader other than the signer and operators: the body is
        // gone, the reader is told who holds it, and the signature still rechecks (and a
        // changed path is still caught).
        let withheld = kept.clone().withheld();
        assert_eq!(withheld.body_base64url, None);
        let why = withheld.body_withheld.clone().expect("says it is withheld");
        assert!(
            why.contains("signing region 440000") && why.contains("operators"),
            "{why}"
        );
        assert_eq!(withheld.recheck(), Ok(()));
        let mut moved = withheld.clone();
        moved.path = "/v1/applications/a/accept".into();
        assert_eq!(moved.recheck(), Err(RecheckFailure::Canonical));
    }
}
