//! The process-wide table of open writers: sinks of the same file share one writer, so two of
//! them never rotate the file under each other.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use logtree_core::Error;

use super::create::{create_dir_all, Modes};
use super::fork;
use super::writer::{Settings, Writer};

/// Canonical `<dir>/<stem>` -> writer, and the fork generation it was made in. Weak: a writer
/// lives as long as some sink holds it. The key leaves the date out so that a sink set up
/// after midnight still finds the writer that rolled into the new date. A forked child does
/// not share its parent's writers (see `fork.rs`): their entries count as absent there.
static WRITERS: Mutex<Writers> = Mutex::new(BTreeMap::new());

type Writers = BTreeMap<PathBuf, (u64, Weak<Writer>)>;

fn lock() -> MutexGuard<'static, Writers> {
    WRITERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The writer of `stem` in `dir`: the one already open in this process, or a new one.
///
/// # Errors
/// [`Error::CreateDir`] when `dir` cannot be created (or is a file), [`Error::OpenFile`] when
/// the file cannot be opened or the directory is not writable, [`Error::InvalidOption`] when
/// the writer already open has other settings.
pub(crate) fn writer(dir: &Path, stem: &str, settings: Settings) -> Result<Arc<Writer>, Error> {
    let dir = prepare_dir(dir, settings.modes)?;
    let key = dir.join(stem);
    let generation = fork::generation();
    let mut writers = lock();
    let existing = writers
        .get(&key)
        .filter(|(born, _)| *born == generation)
        .and_then(|(_, writer)| writer.upgrade());
    if let Some(existing) = existing {
        existing.check_settings(&settings)?;
        return Ok(existing);
    }
    let writer = Writer::create(dir, stem, settings)?;
    writers.retain(|_, (born, w)| *born == generation && w.strong_count() > 0);
    writers.insert(key, (generation, Arc::downgrade(&writer)));
    Ok(writer)
}

/// Creates `dir` (with `modes`) and returns its canonical form.
fn prepare_dir(dir: &Path, modes: Modes) -> Result<PathBuf, Error> {
    create_dir_all(dir, modes)?;
    fs::canonicalize(dir).map_err(|source| Error::CreateDir {
        path: dir.to_owned(),
        source,
    })
}
