//! This test binary, re-run as a child process filtered to one test: for what needs a process
//! of its own (the process-wide tree, a crash, an exit, the real standard streams).
//!
//! [`command`] marks the child with [`MARKER`] (set to the test's name), and the test asks
//! [`is_child`] which side it is on; anything else the child needs travels in further
//! environment variables of the test's own.

use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Set in a child process to the name of the test it runs.
pub const MARKER: &str = "LOGTREE_TEST_CHILD";

/// How often [`wait_within`] looks whether the child has ended.
const POLL: Duration = Duration::from_millis(20);

/// True in the child process that runs `test` (started by [`command`]).
pub fn is_child(test: &str) -> bool {
    std::env::var(MARKER).is_ok_and(|t| t == test)
}

/// This test binary, set to run exactly the test `test` as a child ([`is_child`] is true
/// there): one test thread; `--nocapture` lets what the child prints through, and `--quiet`
/// keeps libtest's `test name ... ` prefix off the lines it writes.
pub fn command(test: &str) -> Command {
    let exe = std::env::current_exe().expect("the path of the running test binary");
    let mut command = Command::new(exe);
    command
        .args([
            test,
            "--exact",
            "--nocapture",
            "--quiet",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(MARKER, test);
    command
}

/// In the child process of `test`: runs `body` and returns `None`. Otherwise runs `test` in a
/// child process (its [`command`] further set up by `configure`), checks that it succeeded and
/// returns its output.
pub fn run_in_child(
    test: &str,
    configure: impl FnOnce(&mut Command),
    body: impl FnOnce(),
) -> Option<Output> {
    if is_child(test) {
        body();
        return None;
    }
    let mut command = command(test);
    configure(&mut command);
    let output = command.output().expect("the test binary runs as a child");
    assert!(output.status.success(), "{test}: child failed: {output:?}");
    Some(output)
}

/// Waits for `child` to end, at most `limit` from now; past it, kills and reaps the child and
/// returns `None`.
pub fn wait_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("the child's status") {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(POLL); // polling a deadline, not synchronising
    }
}

/// Runs `command` to its end with its stdout and stderr going to the files `child.out` and
/// `child.err` in `scratch` (a file never fills up, as an unread pipe does, so a child that
/// prints a lot cannot block), and returns its output. Panics, naming `what`, if the child has
/// not ended within `limit` (it is killed first).
pub fn output_within(command: &mut Command, scratch: &Path, limit: Duration, what: &str) -> Output {
    let (out, err) = (scratch.join("child.out"), scratch.join("child.err"));
    let mut child = command
        .stdout(Stdio::from(
            std::fs::File::create(&out).expect("a file for the child's stdout"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&err).expect("a file for the child's stderr"),
        ))
        .spawn()
        .expect("the test binary runs as a child");
    let status = wait_within(&mut child, limit)
        .unwrap_or_else(|| panic!("{what}: the child did not end within {limit:?} (deadlock?)"));
    Output {
        status,
        stdout: std::fs::read(&out).expect("the child's stdout"),
        stderr: std::fs::read(&err).expect("the child's stderr"),
    }
}
