//! Shared helpers for the logtree integration tests.
//!
//! - [`child`]: this test binary re-run as a child process, filtered to one test, and waited
//!   for with a deadline;
//! - [`log_dir`]: what a `RotatingFileSink` wrote, read back from its file and its backups in
//!   the order the records were written;
//! - [`log_line`]: the parts of a standard `YYYY-MM-DD HH:MM:SS.mmm - ...` line;
//! - [`numbered`]: numbered records of several threads, checked to arrive each once and in
//!   order;
//! - [`rsyslog`]: a real rsyslog daemon of the test's own, and what it received;
//! - [`rolled`]: every file a sink kept for a stem (periods, backups, archives) read back in
//!   order, and a clock the test moves;
//! - [`sinks`]: small misbehaving sinks;
//! - [`small_disk`]: a small tmpfs to fill on purpose;
//! - [`trees`]: explicit trees as the tests set them up: a logger at `Info`, and an error
//!   handler that collects every failure.

pub mod child;
pub mod log_dir;
pub mod log_line;
pub mod numbered;
pub mod rolled;
pub mod rsyslog;
pub mod sinks;
pub mod small_disk;
pub mod trees;
