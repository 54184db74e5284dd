//! The operators' side of tongban: reading the log to answer "who did what, when" and to prove it.
//! Reads through the same `EventLog` trait as the gateway, on either backend, without a running
//! gateway.
#![deny(unsafe_code)]

pub mod chain;
pub mod clock;
pub mod details;
pub mod feeds;
pub mod heads;
pub mod html;
pub mod json;
pub mod printable;
pub mod provenance;
pub mod reconcile;
pub mod requests;
pub mod text;
pub mod timeline;
pub mod tools;
pub mod verify;
