//! Command-line options of the parent runner and of the child processes it starts.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::BoxError;

/// Printed for `--help` and after a bad argument.
pub const USAGE: &str = "\
usage: logtree-bench [--records N] [--only NAME] [--workloads w1,w2,w8,w3,w3-other,w4,latency]
                     [--runs N] [--calls N] [--backups N] [--dir PATH]

  --records N     records per W1/W2/W8/latency run (default 1000000; W2 logs N/2 per
                  thread, W8 N/8)
  --only NAME     run only the cases whose name contains NAME (e.g. logtree, flexi)
  --workloads L   comma-separated workloads to run (default: all but syslog); syslog is
                  opt-in: records over TCP to a local rsyslogd the runner starts
  --runs N        repetitions per case; the median is reported (default 3)
  --calls N       timed calls per W3 run (default 50000000; W4 runs N/10)
  --backups N     rotated files kept beside the live one (default 7: see src/line.rs)
  --dir PATH      where the per-run temporary directories go (default: the system temp dir)";

/// One of the workloads of issue 7.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// One thread, `records` INFO records into a size-rotating file.
    W1,
    /// Two threads, `records / 2` each, same file.
    W2,
    /// Eight threads, `records / 8` each, same file.
    W8,
    /// A disabled `debug!` call.
    W3,
    /// A disabled `debug!` call while another logger is at `Debug`.
    W3Other,
    /// One record through `a.b.c.d` to a no-op sink on `a`.
    W4,
    /// One thread, `records` INFO records over TCP to a local rsyslog (opt-in: not in
    /// [`Workload::ALL`], as it needs `rsyslogd`).
    Syslog,
    /// One thread, `records` INFO records into a size-rotating file, each call timed.
    Latency,
}

impl Workload {
    /// Every workload, in report order.
    pub const ALL: [Workload; 7] = [
        Workload::W1,
        Workload::W2,
        Workload::W8,
        Workload::W3,
        Workload::W3Other,
        Workload::W4,
        Workload::Latency,
    ];

    /// The name on the command line and in the report.
    pub fn name(self) -> &'static str {
        match self {
            Workload::W1 => "w1",
            Workload::W2 => "w2",
            Workload::W8 => "w8",
            Workload::W3 => "w3",
            Workload::W3Other => "w3-other",
            Workload::W4 => "w4",
            Workload::Syslog => "syslog",
            Workload::Latency => "latency",
        }
    }

    /// Whether the workload writes files that the parent then verifies.
    pub fn writes_files(self) -> bool {
        matches!(
            self,
            Workload::W1 | Workload::W2 | Workload::W8 | Workload::Syslog | Workload::Latency
        )
    }

    /// The threads that log the records at once: 2 for W2, 8 for W8, 1 otherwise.
    pub fn threads(self) -> u64 {
        match self {
            Workload::W2 => 2,
            Workload::W8 => 8,
            _ => 1,
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Workload {
    type Err = BoxError;
    fn from_str(s: &str) -> Result<Workload, BoxError> {
        Workload::ALL
            .into_iter()
            .chain([Workload::Syslog])
            .find(|w| w.name() == s)
            .ok_or_else(|| format!("unknown workload {s:?}").into())
    }
}

/// Options of the parent: what to run and how often.
#[derive(Debug, Clone)]
pub struct ParentOptions {
    /// Records per W1/W2/W8/latency run.
    pub records: u64,
    /// Calls per W3 run (W4: a tenth).
    pub calls: u64,
    /// Repetitions per case.
    pub runs: usize,
    /// Substring a case name must contain.
    pub only: Option<String>,
    /// Workloads to run.
    pub workloads: Vec<Workload>,
    /// Rotated files kept beside the live one.
    pub backups: usize,
    /// Parent directory of the per-run temporary directories.
    pub dir: Option<PathBuf>,
}

/// Options of a child: one run of one case.
#[derive(Debug, Clone)]
pub struct ChildOptions {
    /// The case's name ([`crate::peers::Case::name`]).
    pub case: String,
    /// The workload.
    pub workload: Workload,
    /// Records (W1, W2, W8, syslog, latency) or calls (W3, W4).
    pub count: u64,
    /// Rotated files kept beside the live one.
    pub backups: usize,
    /// The fresh directory to write into.
    pub dir: PathBuf,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run the whole suite (or part of it) and print the table.
    Parent(ParentOptions),
    /// Run one case once; started by the parent.
    Child(ChildOptions),
    /// Print the usage.
    Help,
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, BoxError> {
    let mut parent = ParentOptions {
        records: 1_000_000,
        calls: 50_000_000,
        runs: 3,
        only: None,
        workloads: Workload::ALL.to_vec(),
        backups: crate::line::DEFAULT_BACKUPS,
        dir: None,
    };
    let mut child_case = None;
    let mut child_workload = None;
    let mut child_count = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| BoxError::from(format!("{arg} needs a value")))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--records" => parent.records = number(&arg, &value()?)?,
            "--calls" => parent.calls = number(&arg, &value()?)?,
            "--runs" => parent.runs = number(&arg, &value()?)?,
            "--backups" => parent.backups = number(&arg, &value()?)?,
            "--only" => parent.only = Some(value()?),
            "--dir" => parent.dir = Some(PathBuf::from(value()?)),
            "--workloads" => {
                parent.workloads = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "--child" => child_case = Some(value()?),
            "--workload" => child_workload = Some(value()?.parse()?),
            "--count" => child_count = Some(number(&arg, &value()?)?),
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    if parent.runs == 0 || parent.records < 2 || parent.calls == 0 {
        return Err("--runs and --calls must be positive, --records at least 2".into());
    }
    match child_case {
        None => Ok(Command::Parent(parent)),
        Some(case) => Ok(Command::Child(ChildOptions {
            case,
            workload: child_workload.ok_or("--child needs --workload")?,
            count: child_count.ok_or("--child needs --count")?,
            backups: parent.backups,
            dir: parent.dir.ok_or("--child needs --dir")?,
        })),
    }
}

fn number<T: FromStr>(arg: &str, value: &str) -> Result<T, BoxError> {
    value
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{arg} expects a number, got {value:?}").into())
}
