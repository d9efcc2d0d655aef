//! flexi_logger: a file rotated by size with numbered backups, in its `Direct` write mode
//! (unbuffered), its `BufferAndFlush` mode (a buffer flushed by a background thread) and its
//! `Async` mode (issue 18: the line is formatted in the caller and sent through an unbounded
//! channel to a writer thread, which writes it into a buffer and rotates; lossless).

use flexi_logger::{
    Cleanup, Criterion, DeferredNow, FileSpec, Logger, LoggerHandle, Naming, WriteMode,
};

use super::{Api, Case, Class, Finished, Installed, Kind, LineForm, Setup};
use crate::line::{MAX_BYTES, TIMESTAMP};
use crate::BoxError;

/// flexi_logger, `WriteMode::Direct`.
pub const DIRECT: Case = Case {
    name: "flexi Direct",
    class: Class::EveryRecord,
    kind: Kind::Peer,
    api: Api::Log,
    install: install_direct,
    w3: true,
    w3_other: true,
    note: "",
    line: LineForm::Issue7,
};

/// flexi_logger, `WriteMode::BufferAndFlush`.
pub const BUFFERED: Case = Case {
    name: "flexi buffered",
    class: Class::Buffered,
    kind: Kind::Peer,
    api: Api::Log,
    install: install_buffered,
    w3: false,
    w3_other: false,
    note: "",
    line: LineForm::Issue7,
};

/// flexi_logger, `WriteMode::Async` (its defaults: a pool of 50 message buffers of 200 bytes,
/// an unbounded channel to the writer thread, flushed every second). flexi_logger 0.31 opens
/// the file without a `BufWriter` in this mode (`WriteMode::buffersize` is `None` for it), so
/// the writer thread makes one `write` per line (strace: 150,001 for 150,000 records).
pub const ASYNC: Case = Case {
    name: "flexi Async",
    class: Class::Buffered,
    kind: Kind::Peer,
    api: Api::Log,
    install: install_async,
    w3: false,
    w3_other: false,
    note: "writer thread: one write(2) per line",
    line: LineForm::Issue7,
};

/// flexi_logger, `WriteMode::Direct`, backups gzipped (by its cleanup thread).
pub const DIRECT_GZIP: Case = Case {
    name: "flexi Direct gzip",
    install: install_direct_gzip,
    w3: false,
    w3_other: false,
    ..DIRECT
};

fn install_direct(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install(
        setup,
        WriteMode::Direct,
        Cleanup::KeepLogFiles(setup.backups),
    )
}

fn install_buffered(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install(
        setup,
        WriteMode::BufferAndFlush,
        Cleanup::KeepLogFiles(setup.backups),
    )
}

fn install_async(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    install(
        setup,
        WriteMode::Async,
        Cleanup::KeepLogFiles(setup.backups),
    )
}

fn install_direct_gzip(setup: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    // Every backup compressed: all kept as archives, none plain.
    install(
        setup,
        WriteMode::Direct,
        Cleanup::KeepLogAndCompressedFiles(0, setup.backups),
    )
}

fn install(
    setup: &Setup<'_>,
    mode: WriteMode,
    cleanup: Cleanup,
) -> Result<Box<dyn Installed>, BoxError> {
    let spec = if setup.other_at_debug {
        "info, other = debug"
    } else {
        "info"
    };
    let handle = Logger::try_with_str(spec)?
        .log_to_file(
            FileSpec::default()
                .directory(setup.dir)
                .basename("app")
                .suppress_timestamp(),
        )
        .rotate(Criterion::Size(MAX_BYTES), Naming::Numbers, cleanup)
        .format(line)
        .write_mode(mode)
        .start()?;
    Ok(Box::new(Flexi(handle)))
}

fn line(
    w: &mut dyn std::io::Write,
    now: &mut DeferredNow,
    record: &log::Record<'_>,
) -> std::io::Result<()> {
    write!(
        w,
        "{} - {} - {} - {}",
        now.format(TIMESTAMP),
        record.target(),
        record.level(),
        record.args()
    )
}

struct Flexi(LoggerHandle);

impl Installed for Flexi {
    /// `flush` writes out the buffer (`Async`: asks the writer thread to, through its
    /// channel); `shutdown` stops the cleanup thread and, in `Async`, sends the writer thread
    /// its stop message behind every line and joins it (it flushes its file before it ends).
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        self.0.flush();
        self.0.shutdown();
        Ok(Finished::default())
    }
}
