//! flexi_logger: a file rotated by size with numbered backups, in its `Direct` write mode
//! (unbuffered) and its `BufferAndFlush` mode (a buffer flushed by a background thread).

use flexi_logger::{
    Cleanup, Criterion, DeferredNow, FileSpec, Logger, LoggerHandle, Naming, WriteMode,
};

use super::{Api, Case, Class, Finished, Installed, Kind, Setup};
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
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        self.0.flush();
        self.0.shutdown();
        Ok(Finished::default())
    }
}
