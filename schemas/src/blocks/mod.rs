//! Shared building blocks of canonical forms.
pub mod material;
