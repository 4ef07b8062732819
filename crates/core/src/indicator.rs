//! Typed, normalised indicators of compromise and other identifiers (CVE, ATT&CK, TLP).
