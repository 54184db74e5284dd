//! The tongban gateway: the domain core (the cross-region application aggregate), the event log
//! with its backends, projections, the HTTP API and authentication.
//!
//! Dependencies point inwards: `domain` is pure; `envelope` seals events for the log; `log` and
//! `projections` are stores behind traits; `service` runs commands against them; `http` is the edge.
#![deny(unsafe_code)]

pub mod adapters;
pub mod auth;
pub mod connections;
pub mod demo;
pub mod dir_lock;
pub mod domain;
pub mod envelope;
pub mod evidence;
pub mod fjall_tuning;
pub mod fsutil;
pub mod fuzzing;
pub mod generations;
pub mod hex;
pub mod http;
pub mod ids;
pub mod log;
pub mod metrics;
pub mod open_failure;
pub mod projections;
pub mod random;
pub mod sample;
pub mod server;
pub mod service;
pub use tongban_schemas::shown;
pub mod time;

#[cfg(test)]
pub mod testnats;
#[cfg(test)]
pub mod testproxy;
#[cfg(test)]
mod testutil;
