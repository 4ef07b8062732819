//! Shared items (M2.1): threat information, analyses, countermeasures, best practices.
