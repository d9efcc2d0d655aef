//! Formatters for logtree.
