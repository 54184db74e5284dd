//! The gateway's Ed25519 signing key.
//!
//! The secret seed lives in `<data>/gateway.key` (hex, mode 0600) so signatures stay verifiable
//! with the same public key across restarts; the public key is served at `GET /v1/keys`.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use std::path::Path;

use crate::hex;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("reading or writing the gateway key {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the gateway key file {path} is not 64 hex digits")]
    Malformed { path: String },
    /// A link where the key was kept, to nothing: a volume not mounted, or a key moved. A new
    /// key made there would replace the link and sign on instead of the one it led to.
    #[error(
        "the gateway key file {path} is a symbolic link to {target}, which is not there (a \
         volume not mounted, or the key moved): mount or restore it and start again. No key was \
         made"
    )]
    DanglingLink { path: String, target: String },
}

#[derive(Clone)]
pub struct GatewayKey {
    signing: SigningKey,
}

impl GatewayKey {
    /// Loads the key from `path`, creating it (and syncing it to disk) if absent.
    pub fn load_or_create(path: &Path) -> Result<GatewayKey, KeyError> {
        match GatewayKey::load(path)? {
            Some(key) => Ok(key),
            None => {
                let key = GatewayKey::generate();
                key.save(path)?;
                Ok(key)
            }
        }
    }

    /// Loads the key from `path` (`None`: there is no key file).
    pub fn load(path: &Path) -> Result<Option<GatewayKey>, KeyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let bytes = hex::decode(text.trim()).filter(|b| b.len() == 32);
                let seed: [u8; 32] =
                    bytes
                        .and_then(|b| b.try_into().ok())
                        .ok_or_else(|| KeyError::Malformed {
                            path: path.display().to_string(),
                        })?;
                Ok(Some(GatewayKey {
                    signing: SigningKey::from_bytes(&seed),
                }))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match std::fs::read_link(path) {
                Ok(target) => Err(KeyError::DanglingLink {
                    path: path.display().to_string(),
                    target: target.display().to_string(),
                }),
                Err(_) => Ok(None),
            },
            Err(source) => Err(KeyError::Io {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// A new random key, in memory only until [`GatewayKey::save`]d: a gateway joining a stream
    /// writes one only once it knows the stream has no key of its own yet.
    pub fn generate() -> GatewayKey {
        let mut seed = [0u8; 32];
        crate::random::fill(&mut seed);
        GatewayKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// Writes the key's seed to `path` (hex, mode 0600, synced to disk).
    pub fn save(&self, path: &Path) -> Result<(), KeyError> {
        crate::fsutil::write_private_atomically(
            path,
            hex::encode(&self.signing.to_bytes()).as_bytes(),
        )
        .map_err(|source| KeyError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// A key from a fixed seed, for tests and benchmarks.
    pub fn from_seed(seed: [u8; 32]) -> GatewayKey {
        GatewayKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// A secret of its own for `purpose`, derived from the key's seed (SHA-256 of a label naming
    /// the purpose and the seed): every gateway of one log holds the same key, so each derives
    /// the same secret with nothing more to hand out or keep, and the secret says nothing of the
    /// seed or the signatures. Used for the keyed application ids ([`crate::ids::AppIds`]).
    pub fn derived_secret(&self, purpose: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"tongban/derived-secret\0");
        h.update(purpose.as_bytes());
        h.update([0]);
        h.update(self.signing.to_bytes());
        h.finalize().into()
    }

    /// Signs the ASCII bytes of a lowercase hex hash; returns the signature as lowercase hex.
    pub fn sign_hash(&self, hash_hex: &str) -> String {
        hex::encode(&self.signing.sign(hash_hex.as_bytes()).to_bytes())
    }

    /// Signs arbitrary bytes (tests use it to play a region signing its requests).
    pub fn sign_bytes(&self, message: &[u8]) -> String {
        hex::encode(&self.signing.sign(message).to_bytes())
    }

    pub fn public(&self) -> PublicKey {
        PublicKey(self.signing.verifying_key())
    }
}

/// A gateway public key, as an auditor holds it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

/// Why text is refused as an Ed25519 public key ([`PublicKey::parse_hex`]), each said as what it
/// is: a weak key is a point of the curve, and no typo is told it is a weak key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    #[error("not 64 hex digits (an Ed25519 public key is 32 bytes, in hex)")]
    NotHex,
    #[error("64 hex digits, but no point of the Ed25519 curve: most likely a typo")]
    NotAPoint,
    #[error(
        "a weak key (small order), refused: under it one made-up signature verifies for every \
         message, so nothing signed with it would prove anything"
    )]
    Weak,
}

impl PublicKey {
    /// A key from 64 hex digits; refused, saying which, for anything else, for 32 bytes that
    /// are no point of the curve, and for a weak key (a point of small order, such as the
    /// identity), under which one forged signature verifies for every message: registered by
    /// mistake or on purpose, it would make signing meaningless.
    pub fn parse_hex(s: &str) -> Result<PublicKey, KeyRefusal> {
        let bytes: [u8; 32] = hex::decode(s)
            .and_then(|b| b.try_into().ok())
            .ok_or(KeyRefusal::NotHex)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyRefusal::NotAPoint)?;
        match key.is_weak() {
            true => Err(KeyRefusal::Weak),
            false => Ok(PublicKey(key)),
        }
    }

    /// [`PublicKey::parse_hex`], without why.
    pub fn from_hex(s: &str) -> Option<PublicKey> {
        PublicKey::parse_hex(s).ok()
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// Key id: the first 16 hex digits of SHA-256 of the raw public key.
    pub fn kid(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }

    /// JWK (RFC 8037) form.
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": hex::base64url(self.0.as_bytes()), "kid": self.kid()})
    }

    /// Checks an event's `sig` over the ASCII bytes of its hex hash. The contract writes `sig` in
    /// lowercase hex and nothing hashes it: a `sig` rewritten in capitals is a changed event,
    /// refused here as docs/audit/verify_chain.py refuses it.
    pub fn verify_hash(&self, hash_hex: &str, sig_hex: &str) -> bool {
        !sig_hex.bytes().any(|b| b.is_ascii_uppercase())
            && self.verify_bytes(hash_hex.as_bytes(), sig_hex)
    }

    /// Checks a hex Ed25519 signature over arbitrary bytes (a region's signed request).
    pub fn verify_bytes(&self, message: &[u8], sig_hex: &str) -> bool {
        let Some(bytes) = hex::decode(sig_hex) else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
            return false;
        };
        // Strict: also refuses a signature whose R is of small order, which the lenient check
        // takes (RFC 8032 leaves that to the verifier; the stricter choice never refuses a
        // signature an honest signer makes).
        self.0.verify_strict(message, &sig).is_ok()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_and_persists() {
        let dir = crate::testutil::TempDir::new("keys");
        let path = dir.path().join("gateway.key");
        let k1 = GatewayKey::load_or_create(&path).expect("create");
        let k2 = GatewayKey::load_or_create(&path).expect("load");
        assert_eq!(k1.public(), k2.public());
        let hash = "ab".repeat(32);
        let sig = k1.sign_hash(&hash);
        assert_eq!(sig.len(), 128);
        assert!(k2.public().verify_hash(&hash, &sig));
        assert!(!k2.public().verify_hash(&"cd".repeat(32), &sig));
        // The same signature in capitals: the same bytes, but not the event as it was written.
        assert!(!k2.public().verify_hash(&hash, &sig.to_uppercase()));
        assert!(PublicKey::from_hex(&k1.public().to_hex()).is_some());
    }

    /// The identity point as a key: the signature (R = identity, S = 0) would verify for
    /// every message under the lenient check. Refused as a key; and a signature with a
    /// small-order R is refused by the strict check under any key.
    #[test]
    fn weak_keys_are_refused_and_small_order_signatures_do_not_verify() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(PublicKey::from_hex(&hex::encode(&identity)).is_none());
        assert_eq!(
            PublicKey::parse_hex(&hex::encode(&identity)),
            Err(KeyRefusal::Weak)
        );
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert_eq!(
            PublicKey::parse_hex(&hex::encode(&off_curve)),
            Err(KeyRefusal::NotAPoint)
        );
        assert_eq!(PublicKey::parse_hex("abcd"), Err(KeyRefusal::NotHex));
        let forged = format!("{}{}", hex::encode(&identity), "00".repeat(32));
        let weak = PublicKey(VerifyingKey::from_bytes(&identity).expect("a point"));
        assert!(!weak.verify_bytes(b"any message", &forged));
        let honest = GatewayKey::from_seed([9; 32]);
        assert!(!honest.public().verify_bytes(b"any message", &forged));
        let sig = honest.sign_bytes(b"any message");
        assert!(honest.public().verify_bytes(b"any message", &sig));
    }

    #[test]
    fn rejects_a_malformed_key_file() {
        let dir = crate::testutil::TempDir::new("keys-bad");
        let path = dir.path().join("gateway.key");
        std::fs::write(&path, "not hex").expect("write");
        assert!(matches!(
            GatewayKey::load_or_create(&path),
            Err(KeyError::Malformed { .. })
        ));
    }

    /// Given a key file that is a symbolic link to nothing (its volume not mounted), when the
    /// key is loaded for a start, then it is refused naming the link, and nothing replaces it.
    #[cfg(unix)]
    #[test]
    fn a_key_linked_to_nothing_is_refused_not_made_anew() {
        let tmp = crate::testutil::TempDir::new("key-link");
        let path = tmp.path().join("gateway.key");
        let target = tmp.path().join("volume/gateway.key");
        std::os::unix::fs::symlink(&target, &path).expect("link");
        let refused = GatewayKey::load_or_create(&path).err().expect("refused");
        assert!(
            matches!(refused, KeyError::DanglingLink { .. }),
            "{refused}"
        );
        assert!(
            refused.to_string().contains("volume/gateway.key"),
            "{refused}"
        );
        assert!(
            std::fs::symlink_metadata(&path)
                .expect("still there")
                .file_type()
                .is_symlink()
        );
        assert!(!target.exists());
    }
}
