//! `logtree-bench`: whole-process benchmarks of logtree against its peers (issue 7).
//!
//! The `log` facade and tracing's dispatcher are global per process, so the parent runs every
//! (library, workload) case in a fresh child process of this same executable, each in a fresh
//! temporary directory, repeats it, verifies the files it wrote and prints a Markdown table:
//!
//! ```text
//! cargo run --release --manifest-path bench/Cargo.toml -- [--records N] [--only NAME]
//! ```
//!
//! - W1: `--records` INFO records from one thread into a size-rotating file (10 MiB, 5 backups),
//!   timed from the first record until the last byte has reached the OS (flushed, async workers
//!   joined), verified by counting the lines in every file.
//! - W2: the same from two threads, half each; W8 from eight threads, an eighth each.
//! - W3: a disabled `debug!` call, alone (`w3`) and while another logger is at `Debug`
//!   (`w3-other`), in ns per call.
//! - W4: one record through a 4-level hierarchy (`a.b.c.d`, sink on `a`) to a no-op sink.
//! - Syslog (opt-in, `--workloads syslog`): W1's records over TCP to a local `rsyslogd` the
//!   runner starts, logtree's `SyslogSink` beside fern's syslog output.
//! - latency: `--records` INFO records from one thread into the rotating file, each call timed:
//!   p50, p99, p99.9, p99.99 and max, with compression off and (where the library can) gzip.
//!
//! Each peer lives in its own module under [`peers`] and is described by one [`peers::Case`];
//! every case runs the same workload code in [`workload`].

mod child;
mod cli;
mod latency;
mod line;
mod peers;
mod report;
mod rsyslog;
mod runner;
mod workload;

use std::process::ExitCode;

/// An error from setting up a peer or running a case, with its message for the user.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let result = match cli::parse(std::env::args().skip(1)) {
        Ok(cli::Command::Parent(options)) => runner::run(&options),
        Ok(cli::Command::Child(options)) => child::run(&options),
        Ok(cli::Command::Help) => {
            println!("{}", cli::USAGE);
            Ok(())
        }
        Err(err) => Err(format!("{err}\n\n{}", cli::USAGE).into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("logtree-bench: {err}");
            ExitCode::FAILURE
        }
    }
}
