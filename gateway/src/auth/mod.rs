//! Who is calling: bearer tokens that map to one region or to the operator role.
//!
//! Tokens are shown once when created and stored only as SHA-256 hashes in `<data>/regions.json`
//! (a 256-bit random token needs no slow hash: there is nothing to brute-force). The acting region
//! is always the authenticated one, never a field of a request body.

pub mod book;
mod book_rules;
pub mod principal;
pub mod replay;
pub mod signature;

pub use book::{IssuedToken, RegionBook, RegionBookError, Revocation};
pub use principal::Principal;
pub use replay::ReplayCache;
pub use signature::{RequestSignature, SignatureError};
