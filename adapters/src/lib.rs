//! Adapters between provinces' local forms and tongban's canonical matter forms.
//!
//! Each province speaks its own dialect — police-style pinyin initials (`SQR_GMSFHM`), social
//! insurance codes (`AAC002`), camelCase, Chinese keys, GBK XML, envelopes — and one declarative
//! spec file per (region, matter) says how it maps to the canonical body. Specs are compiled once
//! ([`Registry`]); an [`Adapter`] then translates inbound (local → canonical, every problem at
//! once, in the caller's own field names) and outbound (canonical → local).
#![deny(unsafe_code)]

mod builtin;
mod canonical;
pub mod check;
pub mod codec;
pub mod engine;
pub mod error;
pub mod hanzi;
pub mod local;
mod locals;
pub mod pointer;
pub mod problem;
pub mod registry;
pub mod spec;
pub mod transform;
pub mod xml;

pub use engine::{Adapter, CodeRow, FieldRow, Rejection, Translation};
pub use error::SpecError;
pub use problem::{LocalProblem, Mask};
pub use registry::Registry;
