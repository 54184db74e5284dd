//! The domain core: the cross-region application aggregate, pure and free of I/O.
//!
//! A command is decided against the current state ([`decide`]), producing one event; state is the
//! left fold of events ([`Application::apply`]). Stores, clocks and HTTP live at the edge.

pub mod application;
pub mod calendar;
pub mod deadlines;
pub mod decide;
pub mod error;
pub mod lifecycle;
pub mod moved;
pub mod personal;
pub mod serials;
pub mod status;

pub use application::{Application, FOLD_RULES, Role, parties_of};
pub use decide::{Caps, check_parties, decide, is_region_code};
pub use error::{DomainError, ErrorKind};
pub use lifecycle::{Action, Command, Event, EventDecodeError};
pub use status::Status;

#[cfg(test)]
mod tests;
