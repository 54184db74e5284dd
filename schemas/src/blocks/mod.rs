//! Shared building blocks of canonical forms. Each is defined once and referenced by every matter,
//! so a rule about (say) 身份证号 is fixed in one place.
pub mod address;
pub mod applicant;
pub mod material;
pub mod organisation;
pub mod person;
pub mod scalars;

pub use address::Address;
pub use applicant::{Applicant, ApplicantKind, PersonApplicant};
pub use material::{MaterialFormat, MaterialRef};
pub use organisation::{Organisation, OrganisationRef};
pub use person::Person;
pub use scalars::{CalendarDate, DivisionCode, PhoneNumber};

/// The schema keyword that asks for the identifier checks JSON Schema cannot express (checksums,
/// cross-field consistency, code-table lookups). Other validators ignore it as an annotation; ours
/// runs [`crate::validation`]'s checks where it appears.
pub const CHECK_KEYWORD: &str = "x-tongban-check";
