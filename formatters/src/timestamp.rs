//! The cached millisecond time lives in `logtree_core::timestamp`, public for downstream
//! sinks; the formatters use it from there.

pub(crate) use logtree_core::timestamp::{Clock, SecondText, Stamp};
pub(crate) use logtree_core::Zone;
