//! Validators for the national identifier and code standards the canonical forms use. Checksums
//! cannot be expressed in JSON Schema, so these run beside the structural validation.
pub mod date;
pub mod gb11643;
pub mod gb2260;
pub mod gb2261;
pub mod gb32100;
pub mod gb3304;
pub mod phone;
