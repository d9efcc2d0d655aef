//! The process-wide table of open writers: sinks of the same file share one writer, so two of
//! them never rotate the file under each other.

use std::collections::BTreeMap;
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Once, PoisonError, TryLockError, Weak};
use std::time::{Duration, Instant};

use logtree_core::Error;

use super::create::{create_dir_all, Modes};
use super::flush::FlushPolicy;
use super::writer::{Settings, Writer};

/// Canonical `<dir>/<stem>` -> writer. Weak: a writer lives as long as some sink holds it. The
/// key leaves the date out so that a sink set up after midnight still finds the writer that
/// rolled into the new date.
static WRITERS: Mutex<BTreeMap<PathBuf, Weak<Writer>>> = Mutex::new(BTreeMap::new());

fn lock() -> MutexGuard<'static, BTreeMap<PathBuf, Weak<Writer>>> {
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
    let buffered = matches!(settings.policy, FlushPolicy::Buffered { .. });
    let mut writers = lock();
    if let Some(existing) = writers.get(&key).and_then(Weak::upgrade) {
        existing.check_settings(&settings)?;
        return Ok(existing);
    }
    let writer = Writer::create(dir, stem, settings)?;
    writers.retain(|_, w| w.strong_count() > 0);
    writers.insert(key, Arc::downgrade(&writer));
    drop(writers);
    if buffered {
        flush_buffers_on_panic();
    }
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

/// Installs (once) a panic hook that writes every buffered record before the panic message,
/// then calls the hook that was there before.
fn flush_buffers_on_panic() {
    static INSTALLED: Once = Once::new();
    // Replacing the hook from a panicking thread would itself panic.
    if std::thread::panicking() {
        return;
    }
    INSTALLED.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            flush_all();
            previous(info);
        }));
    });
}

/// How long the panic hook waits for a lock in all: the panicking thread itself may hold one
/// (a panicking clock), and waiting for it would never end.
const PANIC_FLUSH_BUDGET: Duration = Duration::from_millis(200);

/// Best effort: a lock still held when the budget is spent is skipped.
fn flush_all() {
    let deadline = Instant::now() + PANIC_FLUSH_BUDGET;
    let writers: Vec<Arc<Writer>> = match lock_before(&WRITERS, deadline) {
        Some(map) => map.values().filter_map(Weak::upgrade).collect(),
        None => return,
    };
    for writer in writers {
        writer.flush_before(deadline);
    }
}

/// Takes `mutex` unless `deadline` passes first; a poisoned lock is taken all the same.
pub(crate) fn lock_before<T>(mutex: &Mutex<T>, deadline: Instant) -> Option<MutexGuard<'_, T>> {
    loop {
        match mutex.try_lock() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => std::thread::yield_now(),
            Err(TryLockError::WouldBlock) => return None,
        }
    }
}
