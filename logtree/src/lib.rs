//! logtree: Python-style hierarchical logging for Rust.

pub mod config;

pub use logtree_core::*;
