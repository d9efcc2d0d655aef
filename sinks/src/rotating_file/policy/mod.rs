//! What happens to the files other than the one being written, as plain values and
//! functions: time rotation ([`Schedule`]), the names the sink makes ([`names`]), retention,
//! compression, the caller's staging of a roll-over ([`Stager`]) and the background pass that
//! finishes it ([`Archiver`]).
//!
//! How the writer uses them:
//! - at setup: the file is [`Schedule::current_path`]`(dir, stem, now)`, the next period
//!   starts at [`Schedule::next_start`]`(now)` (`None`: never); it makes a [`Stager`] and an
//!   [`Archiver`], and has the background thread call [`Archiver::run`] once (it finishes or
//!   cleans what a crash left, and applies retention);
//! - a size roll-over: [`Stager::stage`]`(current)` renames the file away (nothing else
//!   happens in the caller), a new file is opened at the same path, and the background thread
//!   calls [`Archiver::run`]`(current, now)`;
//! - a new period: the new period's file is opened (the old one keeps its name) and the
//!   background thread calls [`Archiver::run`] with the new file: it compresses the old
//!   period's file and applies retention.
//!
//! `run` is serialized with itself (and across processes, on unix) and idempotent: calls may
//! be merged, and any call finishes what earlier ones left.

mod archiver;
mod compress;
pub(crate) mod names;
mod period;
mod retention;
mod stage;

pub(crate) use archiver::Archiver;
pub use compress::Compression;
pub use period::Rotation;
pub(crate) use period::Schedule;
pub(crate) use retention::Retention;
pub(crate) use stage::Stager;

/// The rotation, retention and compression settings of a writer, in its `Settings`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Policies {
    pub(crate) schedule: Schedule,
    pub(crate) retention: Retention,
    pub(crate) compression: Compression,
}
