//! The `logtree` command: any program's output into timestamped, rotating, never-lossy log
//! files.
//!
//! ```sh
//! some-daemon 2>&1 | logtree --dir logs --stem app --max-size 10MiB --backups 5
//! ```
//!
//! Each line read from standard input becomes a line of `logs/app_<YYYY-MM-DD>.log`,
//! `2025-06-27 14:25:23.123 the line`, written before the next is read; the file rolls over
//! into `.1` … `.5` by size and starts anew at midnight. The library behind it,
//! [`logtree`], never splits a line and never loses one in a roll-over.
//!
//! The binary is [`Args`] parsed by clap, then [`run`]; the same parts work in-process:
//!
//! ```
//! use clap::Parser;
//! use logtree_cli::{Args, Plan, Pump};
//!
//! let dir = tempfile::tempdir()?;
//! let dir_arg = dir.path().to_str().unwrap();
//! let args = Args::try_parse_from(["logtree", "--dir", dir_arg, "--stem", "app", "--level", "warn"])?;
//! let mut pump = Pump::new(Plan::new(&args)?);
//! pump.feed(b"disk almost full\n");
//! assert!(pump.finish());
//!
//! let text = std::fs::read_to_string(pump.sink().path())?;
//! assert!(text.ends_with(" disk almost full\n"));
//! assert_eq!(text.as_bytes()[23], b' ', "YYYY-MM-DD HH:MM:SS.mmm, then the line");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Library code reports failures instead of panicking: no unwrap outside tests.
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

mod args;
mod pump;
mod run;
mod settings;

pub use args::{Args, Compress, Flush, Rotate};
pub use pump::{Pump, MAX_LINE};
pub use run::run;
pub use settings::{Failure, Layout, Plan, DEFAULT_FORMAT, DEFAULT_STEM};
