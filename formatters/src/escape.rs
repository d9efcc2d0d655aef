//! The escaping of the text formatters lives in `logtree_core::text`, public for downstream
//! sinks; this module keeps the formatters' short names for it.

pub(crate) use logtree_core::text::{escape_from, needs_quotes, EscapeMode as Mode};
