//! The shared language of the tongban federation: canonical matter forms, lifecycle event payloads,
//! identifier validators (GB 11643, GB 32100, GB/T 2260, GB/T 2261.1, GB/T 3304) and the schema
//! registry. Pure data and checks: no I/O beyond reading the checked-in schema files.
#![deny(unsafe_code)]

pub mod blocks;
mod error;
pub mod event_schemas;
pub mod events;
pub mod ids;
pub mod json_text;
pub mod limits;
pub mod mask;
pub mod matters;
pub mod mode;
pub mod registry;
pub mod shown;
pub mod spelling;
pub mod unseen;
pub mod validation;
mod violation;
pub mod xorshift;

pub use error::SchemaError;
pub use matters::Matter;
pub use mode::Mode;
pub use violation::{
    Report, Step, Violation, covers, covers_gateways, escape_token, gives_way, pointer, uncovered,
};
