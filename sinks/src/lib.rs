//! Sinks for logtree.
