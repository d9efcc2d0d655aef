//! The cases: one module per library, each described by [`Case`] values in the tables below.
//!
//! A case installs its library (or baseline) writing into a directory and hands back an
//! [`Installed`] whose `finish` waits until every record has reached the OS. The workload code
//! in [`crate::workload`] is the same for all of them; only the macro family differs ([`Api`]).

use std::path::Path;

pub use crate::line::LineForm;
use crate::BoxError;

pub mod baseline;
pub mod fern;
pub mod flexi;
pub mod ftlog;
pub mod log4rs;
pub mod logtree;
pub mod spdlog;
pub mod syslog;
pub mod tracing;

/// How much a case promises about records that were logged before a crash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Every record reaches the OS (one `write`) before the log call returns.
    EveryRecord,
    /// Records may wait in memory (a buffer, a queue to a worker thread).
    Buffered,
}

impl Class {
    /// The name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Class::EveryRecord => "every record",
            Class::Buffered => "buffered",
        }
    }
}

/// Who a case measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// logtree itself.
    Logtree,
    /// Another logging library.
    Peer,
    /// A hand-written lower bound of the class.
    Baseline,
}

/// The call site a case is driven through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `log::info!` / `log::debug!`.
    Log,
    /// `tracing::info!` / `tracing::debug!`.
    Tracing,
    /// A direct call into the baseline writer (no facade).
    Baseline,
}

/// What a case is set up for.
#[derive(Clone, Copy, Debug)]
pub struct Setup<'a> {
    /// A fresh, empty directory for the case's files.
    pub dir: &'a Path,
    /// W3-other: set another logger (`other`) to `Debug` while `app.module` stays at `Info`.
    pub other_at_debug: bool,
    /// Rotated files to keep beside the live one (`--backups`).
    pub backups: usize,
}

/// What a case leaves running once installed.
pub trait Installed {
    /// Blocks until every record logged so far has reached the OS (buffers flushed, worker
    /// threads joined). This is inside the timed span.
    ///
    /// # Errors
    /// A flush or join that failed.
    fn finish(self: Box<Self>) -> Result<Finished, BoxError>;
}

/// What a case says about its run once finished.
#[derive(Clone, Copy, Debug, Default)]
pub struct Finished {
    /// Records the library reports as dropped (a lossy queue), if it counts them, or (ftlog,
    /// which counts them but only prints the count) that the case saw it discard.
    pub dropped: Option<u64>,
}

/// Sets up a case in a directory.
pub type Install = fn(&Setup<'_>) -> Result<Box<dyn Installed>, BoxError>;

/// One (library, configuration) that the workloads run.
#[derive(Clone, Copy, Debug)]
pub struct Case {
    /// Unique name, used by `--only` and in the report.
    pub name: &'static str,
    /// Durability class: ratios are taken within it.
    pub class: Class,
    /// logtree, a peer, or a baseline.
    pub kind: Kind,
    /// Which macros the workload uses.
    pub api: Api,
    /// Sets the case up.
    pub install: Install,
    /// Whether W3 runs this case (one configuration per library is enough).
    pub w3: bool,
    /// Whether the library can set another logger to `Debug` for W3-other.
    pub w3_other: bool,
    /// A remark for the report (what the library cannot do).
    pub note: &'static str,
    /// The shape of its lines, as the parent checks them.
    pub line: LineForm,
}

/// Ends a case whose library is the `log` facade's logger and flushes per record: calls
/// `log::logger().flush()` for good measure.
pub struct FacadeFlush;

impl Installed for FacadeFlush {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        ::log::logger().flush();
        Ok(Finished::default())
    }
}

/// The W1/W2/W8/W3 cases, in report order.
pub fn file_cases() -> Vec<Case> {
    let mut cases = logtree::file_cases();
    cases.extend([
        log4rs::CASE,
        flexi::DIRECT,
        flexi::BUFFERED,
        flexi::ASYNC,
        spdlog::SYNC,
        spdlog::ASYNC,
        fern::CASE,
        tracing::BLOCKING,
        tracing::NON_BLOCKING,
        ftlog::CASE,
        baseline::WRITE,
        baseline::BUF_WRITER,
    ]);
    cases
}

/// The latency cases: every file case with compression off, then those that can compress
/// their backups with gzip on (logtree also with zstd).
pub fn latency_cases() -> Vec<Case> {
    let mut cases = file_cases();
    cases.extend(logtree::compressed_cases());
    cases.extend([log4rs::GZIP, flexi::DIRECT_GZIP]);
    cases
}

/// The W4 cases: a record through `a::b::c::d` (logtree's `a.b.c.d`) to a no-op sink on `a`.
pub fn hierarchy_cases() -> Vec<Case> {
    vec![logtree::HIERARCHY, log4rs::HIERARCHY]
}

/// The cases a workload runs.
pub fn cases_for(workload: crate::cli::Workload) -> Vec<Case> {
    use crate::cli::Workload;
    match workload {
        Workload::W1 | Workload::W2 | Workload::W8 => file_cases(),
        Workload::W3 | Workload::W3Other => file_cases()
            .into_iter()
            .chain([baseline::LOG_NO_OP, baseline::EMPTY_LOOP])
            .filter(|c| c.w3 && (workload == Workload::W3 || c.w3_other))
            .collect(),
        Workload::W4 => hierarchy_cases(),
        Workload::Syslog => syslog::cases(),
        Workload::Latency => latency_cases(),
    }
}
