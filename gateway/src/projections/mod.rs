//! Projections: read models derived from the log, always rebuildable from it.

pub mod applicants;
pub mod feed;
pub mod head;
pub mod held;
pub mod marked;
pub mod projector;
pub mod rebuild;
pub mod repeated;
pub mod running;
pub mod seals;
pub mod serials;
pub mod statistics;
pub mod statistics_at;
pub mod store;
pub mod unchecked;
pub mod upcast;
pub mod verified;
pub mod view;

pub use held::Held;
pub use projector::Projector;
pub use running::OverdueClock;
pub use serials::{SerialHit, SerialKind};
pub use store::{BoxEntry, ProjectionError, ProjectionStore, Submissions};
pub use upcast::FormUpcastError;
pub use view::{ApplicationView, FoldError};
