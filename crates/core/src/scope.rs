//! Sharing scopes set by the provider (M2.2).
