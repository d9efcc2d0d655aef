//! The per-thread line buffer lives in `logtree_core::text`, public for downstream sinks.

pub(crate) use logtree_core::text::LineBuffer;
