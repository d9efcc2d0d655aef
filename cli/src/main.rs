//! `logtree`: standard input into rotating, timestamped log files. See the crate's
//! documentation, or `logtree --help`.

use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::Parser;
use logtree_cli::{run, Args, Failure};

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ) =>
        {
            let _ = err.print();
            return ExitCode::SUCCESS;
        }
        // clap's message names the option; the usage lines after it are left out, so that
        // the error is one line (`--help` shows the rest).
        Err(err) => return fail(&Failure::usage(first_line(&err.to_string()))),
    };
    match run(&args) {
        Ok(never) => match never {},
        Err(failure) => fail(&failure),
    }
}

fn fail(failure: &Failure) -> ExitCode {
    eprintln!("logtree: {failure}");
    ExitCode::from(failure.code)
}

/// clap's message before its usage lines (`Failure::usage` joins its lines): `invalid value
/// 'weekly' for '--rotate <WHEN>' [possible values: daily, hourly, never]`.
fn first_line(text: &str) -> &str {
    let message = text.split("\n\n").next().unwrap_or(text);
    message.strip_prefix("error: ").unwrap_or(message)
}
