//! Everything that happens to the files other than the one being written: finishing staged
//! roll-overs into numbered backups, compressing, and retention. Run by the writer's
//! background thread after each roll-over and once at start-up (which finishes or cleans what
//! a crash left); every step is idempotent, so a run cut short at any point is completed by
//! the next.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use logtree_core::Error;

use super::compress::{append_to_archive, archive_ends_with, compress_file};
use super::names::{Form, Kind, LogName};
use super::period::Period;
use super::retention::Entry;
use super::Policies;

const ARCHIVES: [Form; 2] = [Form::Gzip, Form::Zstd];

/// Finishes roll-overs, compresses and applies retention for one stem in one directory.
/// Runs are serialized: with each other in the process (a mutex), and with other processes'
/// on unix (an advisory lock on `.<stem>.archiver.lock` in the directory).
pub(crate) struct Archiver {
    dir: PathBuf,
    stem: String,
    policies: Policies,
    /// `0`: no backup is ever deleted for its number (size roll-overs are off).
    backup_count: u32,
    serial: Mutex<()>,
}

impl Archiver {
    /// The archiver of `<dir>/<stem>_*`; `dir` exists.
    pub(crate) fn new(dir: PathBuf, stem: &str, policies: Policies, backup_count: u32) -> Archiver {
        Archiver {
            dir,
            stem: stem.to_owned(),
            policies,
            backup_count,
            serial: Mutex::new(()),
        }
    }

    /// One pass, `current` being the file written now and `now` the writer's clock:
    /// 1. removes partial archives; removes a plain file whose archive ends with its content
    ///    (a crash between the rename and the removal), or appends it to the archive (a
    ///    period's file written again after it was compressed), unless it is current;
    /// 2. finishes every staged roll-over, period by period in the order of their numbers:
    ///    backups `.1`, `.2`, … (plain or compressed) shift up to the first free number, the
    ///    oldest removed when they reach `backup_count`, and the staged file becomes `.1`;
    /// 3. removes backups numbered above `backup_count` (unless it is 0);
    /// 4. compresses every plain backup, and the files of periods before the current one;
    /// 5. applies retention (`max_age`, `max_files`, `max_total_size`) to all the stem's files,
    ///    oldest first, never deleting `current` or a file of a later period.
    ///
    /// Only names the sink makes are touched. A step that fails is reported and the others go
    /// on, except that the staged files of a period wait for their elders: their order is
    /// kept.
    ///
    /// # Errors
    /// The first failure: [`Error::ReadDir`], [`Error::Rename`], [`Error::RemoveFile`],
    /// [`Error::Compress`], or [`Error::OpenFile`] for the lock file.
    pub(crate) fn run(&self, current: &Path, now: SystemTime) -> Result<(), Error> {
        let _serial = self.serial.lock().unwrap_or_else(PoisonError::into_inner);
        let current = current
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| LogName::parse(&self.stem, n));
        // Most runs of a sink without retention or compression find nothing to do: they take
        // no lock (and leave no lock file behind).
        let seen = self.scan()?;
        if !self.has_work(&seen, current.map(|c| c.period)) {
            return Ok(());
        }
        let _lock = self.lock_across_processes()?;
        let mut first = None;
        let mut names = self.scan()?;
        self.clean(&mut names, current.map(|c| c.period), &mut first);
        self.finish_staged(&mut names, newest_staged(&seen), &mut first);
        self.remove_surplus(&mut names, &mut first);
        if let Some(form) = self.policies.compression.form() {
            self.compress(&mut names, current.map(|c| c.period), form, &mut first);
        }
        if self.policies.retention.is_on() {
            keep_first(&mut first, self.apply_retention(current, now));
        }
        first.map_or(Ok(()), Err)
    }

    /// Whether a run over `names` would change anything (or must look at sizes and ages).
    fn has_work(&self, names: &BTreeSet<LogName>, current: Option<Period>) -> bool {
        let compressing = self.policies.compression.form().is_some();
        self.policies.retention.is_on()
            || names.iter().any(|name| match name.kind {
                Kind::Partial { .. } | Kind::Staged { .. } => true,
                Kind::File { index, .. } if self.backup_count > 0 && index > self.backup_count => {
                    true
                }
                Kind::File { .. } => {
                    finished(name, current)
                        && (compressing || archive_beside(names, *name).is_some())
                }
            })
    }

    fn path(&self, name: &LogName) -> PathBuf {
        self.dir.join(name.render(&self.stem))
    }

    /// The names of the sink's in the directory (directories with such names aside).
    fn scan(&self) -> Result<BTreeSet<LogName>, Error> {
        let read_dir = |source| Error::ReadDir {
            path: self.dir.clone(),
            source,
        };
        let mut names = BTreeSet::new();
        let entries = match fs::read_dir(&self.dir) {
            // The directory was deleted: nothing is left to finish (the writer creates it
            // again with its next record, and asks for another run at its next roll-over).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
            entries => entries.map_err(read_dir)?,
        };
        for entry in entries {
            let entry = entry.map_err(read_dir)?;
            let Some(name) = entry
                .file_name()
                .to_str()
                .and_then(|n| LogName::parse(&self.stem, n))
            else {
                continue;
            };
            if entry.file_type().is_ok_and(|t| !t.is_dir()) {
                names.insert(name);
            }
        }
        Ok(names)
    }

    /// Removes partial archives, and resolves a plain file beside an archive of the same name
    /// (unless it is the current file, or a newer one): the archive already ends with its
    /// content (a crash between the rename and the removal), so it goes; or it was written
    /// again after it was compressed (the clock set back), so its content is appended to the
    /// archive.
    fn clean(
        &self,
        names: &mut BTreeSet<LogName>,
        current: Option<Period>,
        first: &mut Option<Error>,
    ) {
        let partial: Vec<LogName> = names
            .iter()
            .filter(|n| matches!(n.kind, Kind::Partial { .. }))
            .copied()
            .collect();
        for name in partial {
            keep_first(first, self.remove(names, name));
        }
        let doubled: Vec<(LogName, LogName)> = names
            .iter()
            .filter(|plain| finished(plain, current))
            .filter_map(|&plain| Some((plain, archive_beside(names, plain)?)))
            .collect();
        for (plain, archive) in doubled {
            let Kind::File { index, form } = archive.kind else {
                continue;
            };
            let (plain_path, archive_path) = (self.path(&plain), self.path(&archive));
            match archive_ends_with(&plain_path, &archive_path, form) {
                Ok(true) => keep_first(first, self.remove(names, plain)),
                Ok(false) => {
                    let partial = self.path(&LogName {
                        period: plain.period,
                        kind: Kind::Partial { index, form },
                    });
                    match append_to_archive(&plain_path, &partial, &archive_path, form) {
                        Ok(()) => {
                            names.remove(&plain);
                        }
                        Err(source) => {
                            let _ = fs::remove_file(&partial);
                            keep_first(
                                first,
                                Err(Error::Compress {
                                    path: plain_path,
                                    source,
                                }),
                            );
                        }
                    }
                }
                // An archive that cannot be read keeps the plain file beside it.
                Err(source) => keep_first(
                    first,
                    Err(Error::Compress {
                        path: archive_path,
                        source,
                    }),
                ),
            }
        }
    }

    /// Makes the staged files numbered at most `until` backups `.1`, oldest first. Those
    /// staged later wait for the next run (their writer asks for one): a directory listing is
    /// no snapshot, and one taken while a roll-over was staged may hold a later staged file
    /// but miss an earlier one, which would then become the newer backup (found under load:
    /// two backups out of order). Everything staged up to the newest file the first listing
    /// held was staged before the second listing began, so the second holds all of it.
    fn finish_staged(
        &self,
        names: &mut BTreeSet<LogName>,
        until: Option<u64>,
        first: &mut Option<Error>,
    ) {
        let staged: Vec<LogName> = names
            .iter()
            .filter(|n| matches!(n.kind, Kind::Staged { seq } if Some(seq) <= until))
            .copied()
            .collect();
        let mut blocked: Option<Period> = None;
        for name in staged {
            if blocked == Some(name.period) {
                continue;
            }
            let done = self.shift(names, name.period).and_then(|()| {
                self.rename(names, name, LogName::file(name.period, 1, Form::Plain))
            });
            if let Err(err) = done {
                keep_first(first, Err(err));
                blocked = Some(name.period);
            }
        }
    }

    /// Frees backup number 1 of `period`: shifts `.1` … up to the first free number, removing
    /// the oldest first when that number would pass `backup_count`.
    fn shift(&self, names: &mut BTreeSet<LogName>, period: Period) -> Result<(), Error> {
        let forms = |names: &BTreeSet<LogName>, index: u32| -> Vec<LogName> {
            [Form::Plain, Form::Gzip, Form::Zstd]
                .into_iter()
                .map(|form| LogName::file(period, index, form))
                .filter(|n| names.contains(n))
                .collect()
        };
        let mut gap = 1;
        while !forms(names, gap).is_empty() {
            gap += 1; // bounded by the number of names
        }
        if self.backup_count > 0 && gap > self.backup_count {
            for name in forms(names, self.backup_count) {
                self.remove(names, name)?;
            }
            gap = self.backup_count;
        }
        for index in (1..gap).rev() {
            for name in forms(names, index) {
                let Kind::File { form, .. } = name.kind else {
                    continue;
                };
                self.rename(names, name, LogName::file(period, index + 1, form))?;
            }
        }
        Ok(())
    }

    fn remove_surplus(&self, names: &mut BTreeSet<LogName>, first: &mut Option<Error>) {
        if self.backup_count == 0 {
            return;
        }
        let surplus: Vec<LogName> = names
            .iter()
            .filter(|n| matches!(n.kind, Kind::File { index, .. } if index > self.backup_count))
            .copied()
            .collect();
        for name in surplus {
            keep_first(first, self.remove(names, name));
        }
    }

    fn compress(
        &self,
        names: &mut BTreeSet<LogName>,
        current: Option<Period>,
        to: Form,
        first: &mut Option<Error>,
    ) {
        let plain: Vec<LogName> = names
            .iter()
            .filter(|n| finished(n, current) && archive_beside(names, **n).is_none())
            .copied()
            .collect();
        for name in plain {
            let Kind::File { index, .. } = name.kind else {
                continue;
            };
            let archive = LogName::file(name.period, index, to);
            let partial = LogName {
                period: name.period,
                kind: Kind::Partial { index, form: to },
            };
            let path = self.path(&name);
            match compress_file(&path, &self.path(&partial), &self.path(&archive), to) {
                Ok(()) => {
                    names.remove(&name);
                    names.insert(archive);
                }
                Err(source) => {
                    // Whatever it left under the partial name goes now or at the next run.
                    let _ = fs::remove_file(self.path(&partial));
                    keep_first(first, Err(Error::Compress { path, source }));
                }
            }
        }
    }

    fn apply_retention(&self, current: Option<LogName>, now: SystemTime) -> Result<(), Error> {
        let schedule = self.policies.schedule;
        let mut entries = Vec::new();
        for name in self.scan()? {
            let Kind::File { index, .. } = name.kind else {
                continue;
            };
            let Ok(meta) = fs::symlink_metadata(self.path(&name)) else {
                continue; // gone meanwhile
            };
            // Without a current file of the sink's naming, every period's file is kept.
            let protected = current.map_or(index == 0, |c| {
                c == name || (index == 0 && name.period >= c.period) || name.period > c.period
            });
            entries.push(Entry {
                name,
                size: meta.len(),
                modified: meta.modified().unwrap_or(now),
                period_end: schedule.end_of(name.period, SystemTime::UNIX_EPOCH),
                protected,
            });
        }
        let mut first = None;
        for i in self.policies.retention.select(&entries, now) {
            let path = self.path(&entries[i].name);
            keep_first(&mut first, remove_if_exists(&path));
        }
        first.map_or(Ok(()), Err)
    }

    fn remove(&self, names: &mut BTreeSet<LogName>, name: LogName) -> Result<(), Error> {
        remove_if_exists(&self.path(&name))?;
        names.remove(&name);
        Ok(())
    }

    fn rename(
        &self,
        names: &mut BTreeSet<LogName>,
        from: LogName,
        to: LogName,
    ) -> Result<(), Error> {
        let (from_path, to_path) = (self.path(&from), self.path(&to));
        fs::rename(&from_path, &to_path).map_err(|source| Error::Rename {
            from: from_path,
            to: to_path,
            source,
        })?;
        names.remove(&from);
        names.insert(to);
        Ok(())
    }
}

/// The number of the newest staged roll-over in `names`.
fn newest_staged(names: &BTreeSet<LogName>) -> Option<u64> {
    names
        .iter()
        .filter_map(|n| match n.kind {
            Kind::Staged { seq } => Some(seq),
            _ => None,
        })
        .max()
}

/// Whether `name` is a plain file that is done with: a backup, or the file of a period before
/// the current one (none when the current one is not known).
fn finished(name: &LogName, current: Option<Period>) -> bool {
    match name.kind {
        Kind::File {
            index,
            form: Form::Plain,
        } => index > 0 || current.is_some_and(|c| name.period < c),
        _ => false,
    }
}

/// The archive of the same period and number as the plain file `plain`, if there is one.
fn archive_beside(names: &BTreeSet<LogName>, plain: LogName) -> Option<LogName> {
    let Kind::File { index, .. } = plain.kind else {
        return None;
    };
    ARCHIVES
        .into_iter()
        .map(|form| LogName::file(plain.period, index, form))
        .find(|archive| names.contains(archive))
}

/// Removes the file (a symbolic link itself, never its target); one already gone is fine.
pub(crate) fn remove_if_exists(path: &Path) -> Result<(), Error> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(Error::RemoveFile {
            path: path.to_owned(),
            source: e,
        }),
        _ => Ok(()),
    }
}

fn keep_first(slot: &mut Option<Error>, result: Result<(), Error>) {
    if let Err(err) = result {
        slot.get_or_insert(err);
    }
}

#[cfg(all(test, unix))]
mod crash_tests;
mod lock;
#[cfg(test)]
mod tests;
