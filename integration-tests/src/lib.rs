//! Shared helpers for the logtree integration tests.
