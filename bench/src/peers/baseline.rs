//! The two lower bounds of issue 7, no logging library involved:
//!
//! - `write(2)`: each line is formatted (cached second prefix + `.mmm`) into a per-thread
//!   buffer and written with one unbuffered `File::write_all` on an `O_APPEND` file, so lines
//!   never interleave and no lock is taken: the limit for "every record reaches the OS".
//! - `BufWriter`: the same line appended to a 64 KiB `BufWriter` under a mutex, flushed at the
//!   end: the limit for buffered logging.
//!
//! Neither rotates: the rotation of W1 is six renames in a million records.

use std::cell::RefCell;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::{Api, Case, Class, Finished, Installed, Kind, LineForm, Setup};
use logtree_core::UnixTime;

use crate::line::SecondCache;
use crate::BoxError;

/// One unbuffered `write` per preformatted line.
pub const WRITE: Case = Case {
    name: "baseline write(2)",
    class: Class::EveryRecord,
    kind: Kind::Baseline,
    api: Api::Baseline,
    install: install_write,
    w3: false,
    w3_other: false,
    note: "no rotation; cached timestamp",
    line: LineForm::Issue7,
};

/// A 64 KiB `BufWriter`.
pub const BUF_WRITER: Case = Case {
    name: "baseline BufWriter",
    class: Class::Buffered,
    kind: Kind::Baseline,
    api: Api::Baseline,
    install: install_buf_writer,
    w3: false,
    w3_other: false,
    note: "no rotation; cached timestamp",
    line: LineForm::Issue7,
};

/// W3's floor: the timed loop with an empty call (`black_box` of the counter only), so that a
/// disabled call's own cost is its figure minus this one.
pub const EMPTY_LOOP: Case = Case {
    name: "baseline empty loop",
    class: Class::EveryRecord,
    kind: Kind::Baseline,
    api: Api::Baseline,
    install: install_nothing,
    w3: true,
    w3_other: true,
    note: "",
    line: LineForm::Issue7,
};

/// W3's floor for any logger behind the `log` facade: a logger that does nothing at all, with
/// the facade's max level set as W3 / W3-other set it. What the `log` macro and its call
/// through the facade cost on their own; a real logger adds its decision to it.
pub const LOG_NO_OP: Case = Case {
    name: "baseline log no-op",
    class: Class::EveryRecord,
    kind: Kind::Baseline,
    api: Api::Log,
    install: install_log_no_op,
    w3: true,
    w3_other: true,
    note: "",
    line: LineForm::Issue7,
};

/// Where the installed baseline writes.
enum Out {
    Write(File),
    BufWriter(Mutex<BufWriter<File>>),
}

static OUT: OnceLock<Out> = OnceLock::new();

thread_local! {
    static LINE: RefCell<(SecondCache, Vec<u8>)> = RefCell::new((SecondCache::default(), Vec::with_capacity(256)));
}

/// Formats `message` into the line of issue 7 and writes it to the installed baseline.
#[inline]
pub fn emit(message: fmt::Arguments<'_>) {
    let out = OUT
        .get()
        .expect("a baseline case is installed before it emits");
    LINE.with_borrow_mut(|(stamp, line)| {
        line.clear();
        stamp.write(UnixTime::now(), line);
        line.extend_from_slice(b" - app.module - INFO - ");
        line.write_fmt(message)
            .expect("writing to a Vec cannot fail");
        line.push(b'\n');
        let written = match out {
            Out::Write(file) => (&*file).write_all(line),
            Out::BufWriter(buf) => buf
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .write_all(line),
        };
        written.expect("the baseline cannot write its file");
    });
}

fn open(setup: &Setup<'_>) -> Result<File, BoxError> {
    Ok(OpenOptions::new()
        .create(true)
        .append(true)
        .open(setup.dir.join("app.log"))?)
}

fn install(out: Out) -> Result<Box<dyn Installed>, BoxError> {
    OUT.set(out)
        .map_err(|_| "a baseline is installed once per process")?;
    Ok(Box::new(Baseline))
}

fn install_write(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install(Out::Write(open(setup)?))
}

fn install_buf_writer(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install(Out::BufWriter(Mutex::new(BufWriter::with_capacity(
        64 * 1024,
        open(setup)?,
    ))))
}

fn install_nothing(_: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    Ok(Box::new(Baseline))
}

/// Accepts every record and does nothing with it.
struct NoOpLogger;

impl log::Log for NoOpLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, _: &log::Record<'_>) {}

    fn flush(&self) {}
}

fn install_log_no_op(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    static LOGGER: NoOpLogger = NoOpLogger;
    log::set_logger(&LOGGER).map_err(|_| "a logger is installed once per process")?;
    // What a tree at `Info` with one logger at `Debug` gives the facade, as W3 / W3-other.
    log::set_max_level(if setup.other_at_debug {
        log::LevelFilter::Debug
    } else {
        log::LevelFilter::Info
    });
    Ok(Box::new(Baseline))
}

struct Baseline;

impl Installed for Baseline {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        if let Some(Out::BufWriter(buf)) = OUT.get() {
            buf.lock().unwrap_or_else(PoisonError::into_inner).flush()?;
        }
        Ok(Finished::default())
    }
}
