//! Tests of the rotating file sink. Every directory is a `tempfile` one; nothing sleeps to
//! synchronise (waits for the timer thread poll the file against a deadline).

mod background;
mod buffered;
mod concurrency;
mod failures;
mod midnight;
mod model;
mod reopen;
mod rollover;
mod setup;
#[cfg(unix)]
mod symlinks;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use chrono::{Local, NaiveDate, TimeZone};
use logtree_core::{write_args, Error, Formatter, Record, Sink};

use super::{Clock, FlushPolicy, Overflow, RotatingFileSink, RotatingFileSinkBuilder};

/// Writes the message and a newline only, so tests control each record's exact bytes.
pub(super) struct Message;

impl Formatter for Message {
    fn format(&self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), Error> {
        write_args(out, record.args())?;
        out.push(b'\n');
        Ok(())
    }
}

/// A builder in `dir` formatting with [`Message`].
pub(super) fn builder(dir: &Path, stem: &str) -> RotatingFileSinkBuilder {
    RotatingFileSink::builder(stem).dir(dir).formatter(Message)
}

/// Logs `msg` (written as `msg\n` by [`Message`]).
pub(super) fn log(sink: &RotatingFileSink, msg: &str) -> Result<(), Error> {
    sink.log(
        &Record::builder()
            .logger("t")
            .args(format_args!("{msg}"))
            .build(),
    )
}

/// Logs `msg` stamped `at`.
pub(super) fn log_at(sink: &RotatingFileSink, msg: &str, at: SystemTime) -> Result<(), Error> {
    sink.log(
        &Record::builder()
            .logger("t")
            .args(format_args!("{msg}"))
            .timestamp(at)
            .build(),
    )
}

/// Every regular file of `dir` but the hidden ones (the archiver's lock): name -> contents.
pub(super) fn files(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_file())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .map(|entry| {
            (
                entry.file_name().into_string().unwrap(),
                fs::read_to_string(entry.path()).unwrap(),
            )
        })
        .collect()
}

/// The name of the sink's current file.
pub(super) fn name_of(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_owned()
}

/// `<file>.<n>` as a name.
pub(super) fn backup(name: &str, n: u32) -> String {
    format!("{name}.{n}")
}

/// A clock tests set by hand.
#[derive(Clone)]
pub(super) struct TestClock(Arc<AtomicU64>);

impl TestClock {
    pub(super) fn new(at: SystemTime) -> TestClock {
        let clock = TestClock(Arc::new(AtomicU64::new(0)));
        clock.set(at);
        clock
    }

    pub(super) fn set(&self, at: SystemTime) {
        let nanos = at
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        self.0.store(nanos as u64, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_nanos(self.0.load(Ordering::SeqCst))
    }
}

/// A local wall-clock time.
pub(super) fn local(date: NaiveDate, h: u32, m: u32, s: u32) -> SystemTime {
    Local
        .from_local_datetime(&date.and_hms_opt(h, m, s).unwrap())
        .earliest()
        .unwrap()
        .into()
}

/// Waits until `done` holds, failing after a generous deadline. Polls: a file's contents
/// cannot be waited on otherwise.
pub(super) fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::yield_now();
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The path of a sink's file, for checks after the sink is gone.
pub(super) fn path_of(sink: &RotatingFileSink) -> PathBuf {
    sink.path()
}

/// The process's umask, read without changing it (tests run in parallel): the permission bits
/// it takes away from a probe file created with `0o777`.
#[cfg(unix)]
pub(super) fn umask() -> u32 {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = tempfile::tempdir().unwrap();
    let probe = dir.path().join("probe");
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o777)
        .open(&probe)
        .unwrap();
    !mode_of(&probe) & 0o777
}

/// The permission bits of `path`.
#[cfg(unix)]
pub(super) fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Both flush policies, with a buffer small enough to fill in tests.
/// The policies whose log call does the checks itself (a file deleted or moved, a new date),
/// so that a test can see their outcome in the call's result.
pub(super) fn synchronous_policies() -> [FlushPolicy; 2] {
    let [every_record, buffered, ..] = policies();
    [every_record, buffered]
}

pub(super) fn policies() -> [FlushPolicy; 4] {
    [
        FlushPolicy::EveryRecord,
        FlushPolicy::Buffered {
            capacity: 4096,
            interval: Duration::from_millis(50),
        },
        FlushPolicy::Background {
            capacity: 4096,
            overflow: Overflow::Block,
        },
        FlushPolicy::Background {
            capacity: 4096,
            overflow: Overflow::Drop,
        },
    ]
}
