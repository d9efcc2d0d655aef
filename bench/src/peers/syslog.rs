//! The syslog workload: W1's records over TCP to the local rsyslogd the runner starts (its
//! port in [`SYSLOG_PORT_VAR`]).
//!
//! - logtree: `SyslogSink`, RFC 5424 with octet-counting framing, from its background thread;
//!   the queue is sized to hold a whole run, so that the row measures sending, not dropping.
//! - fern: its `syslog-6` output (the `syslog` crate's `Formatter5424` over TCP), written in
//!   the caller's thread through a `BufWriter`. The `syslog` crate frames nothing on TCP, so
//!   rsyslog would read one endless message: each message ends with `\n` here, the
//!   non-transparent framing rsyslog accepts.

use std::collections::HashMap;
use std::time::Duration;

use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::{QueueLimits, SyslogAddress, SyslogSink};

use super::{Api, Case, Class, FacadeFlush, Finished, Installed, Kind, LineForm, Setup};
use crate::BoxError;

/// The environment variable the runner passes the daemon's TCP port in.
pub const SYSLOG_PORT_VAR: &str = "LOGTREE_BENCH_SYSLOG_PORT";

/// The cases of the syslog workload.
pub fn cases() -> Vec<Case> {
    vec![LOGTREE, FERN]
}

const LOGTREE: Case = Case {
    name: "logtree syslog",
    class: Class::Buffered,
    kind: Kind::Logtree,
    api: Api::Log,
    install: install_logtree,
    w3: false,
    w3_other: false,
    note: "RFC 5424, octet-counting, background thread",
    line: LineForm::Issue7,
};

const FERN: Case = Case {
    name: "fern syslog",
    class: Class::Buffered,
    kind: Kind::Peer,
    api: Api::Log,
    install: install_fern,
    w3: false,
    w3_other: false,
    note: "syslog 6 crate, RFC 5424, BufWriter, LF-framed",
    line: LineForm::Issue7,
};

fn port() -> Result<u16, BoxError> {
    let text = std::env::var(SYSLOG_PORT_VAR)
        .map_err(|_| format!("{SYSLOG_PORT_VAR} is not set: the runner starts the daemon"))?;
    Ok(text.parse()?)
}

struct FlushTree;

impl Installed for FlushTree {
    fn finish(self: Box<Self>) -> Result<Finished, BoxError> {
        LoggerTree::global().flush()?;
        Ok(Finished::default())
    }
}

fn install_logtree(_: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let sink = SyslogSink::builder()
        .address(SyslogAddress::Tcp(format!("127.0.0.1:{}", port()?)))
        .app_name("bench")
        .queue_limits(QueueLimits {
            max_records: usize::MAX,
            max_bytes: 4 << 30,
        })
        .flush_timeout(Duration::from_secs(300))
        .build()?;
    LoggerTree::setup(
        "app",
        SetupOptions::new().level(LevelFilter::Info).sink(sink),
    )?;
    Ok(Box::new(FlushTree))
}

fn install_fern(_: &Setup<'_>) -> Result<Box<dyn Installed>, BoxError> {
    let formatter = syslog::Formatter5424 {
        facility: syslog::Facility::LOG_USER,
        hostname: None,
        process: "bench".into(),
        pid: std::process::id(),
    };
    let logger = syslog::tcp(formatter, ("127.0.0.1", port()?))
        .map_err(|err| format!("cannot connect: {err}"))?;
    fern::Dispatch::new()
        .level(log::LevelFilter::Info)
        .chain(fern::Output::syslog6_5424(logger, |record| {
            (0, HashMap::new(), format!("{}\n", record.args()))
        }))
        .apply()?;
    Ok(Box::new(FacadeFlush))
}
