//! Errors raised when input or an action breaks a domain rule.

/// A rule of the domain was broken. Each variant carries a message meant for the
/// person who sent the input, so the server can pass it on unchanged.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    /// A field's value is malformed, too long or out of range.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field, as named in the API.
        field: &'static str,
        /// Why the value was refused.
        reason: String,
    },
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The action does not fit the current state (e.g. approving an active member).
    #[error("{0}")]
    Conflict(String),
}

impl DomainError {
    /// Shorthand for [`DomainError::Invalid`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }
}
