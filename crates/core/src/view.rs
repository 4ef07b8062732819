//! The policy view (M2.3, M2.4): the one function through which item data leaves.
