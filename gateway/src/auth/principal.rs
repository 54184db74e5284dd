//! The authenticated caller.

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A province's platform, acting for its region.
    Region { code: String, token_id: String },
    /// An operator: reads and replays everything, acts on nothing.
    Operator { token_id: String },
}

impl Principal {
    /// The envelope's `actor`: `<region>/<token id>` or `operator/<token id>`.
    pub fn actor(&self) -> String {
        match self {
            Principal::Region { code, token_id } => format!("{code}/{token_id}"),
            Principal::Operator { token_id } => format!("operator/{token_id}"),
        }
    }

    pub fn region(&self) -> Option<&str> {
        match self {
            Principal::Region { code, .. } => Some(code),
            Principal::Operator { .. } => None,
        }
    }

    pub fn is_operator(&self) -> bool {
        matches!(self, Principal::Operator { .. })
    }
}
