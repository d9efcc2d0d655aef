//! Decimal digits without `fmt`, from `logtree_core::text`.

pub(crate) use logtree_core::text::{three, write_i64, write_u64};
