//! What happens to the files other than the one being written, as plain values and
//! functions: time rotation ([`Schedule`]), the names the sink makes ([`names`]), retention,
//! compression, the caller's staging of a roll-over ([`Stager`]) and the background pass that
//! finishes it ([`Archiver`]).
//!
//! A roll-over, in the design these serve: the caller renames the current file to a staged
//! name ([`Stager::stage`]) and opens a new one; the writer's background thread then calls
//! [`Archiver::run`], which turns staged files into backups, compresses and deletes.

mod archiver;
mod compress;
pub(crate) mod names;
mod period;
mod retention;
mod stage;

pub(crate) use archiver::{remove_if_exists, Archiver};
pub(crate) use compress::read_decompressed;
pub use compress::Compression;
pub use period::Rotation;
pub(crate) use period::{Period, Schedule};
pub(crate) use retention::Retention;
pub(crate) use stage::Stager;

/// The rotation, retention and compression settings of a writer, in its `Settings`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Policies {
    pub(crate) schedule: Schedule,
    pub(crate) retention: Retention,
    pub(crate) compression: Compression,
}
