//! A panic is logged at `Error` through the tree by the standard setup (message, location,
//! thread, and the backtrace when `RUST_BACKTRACE` asks for one), as the `log-panics` crate
//! does; `log_panics(false)` turns it off. Each case runs in a child process (the process-wide
//! tree and the panic hook are per process).

use std::path::Path;

use integration_tests::child;
use logtree::Setup;

/// In the child: sets logging up in `LOGTREE_TEST_DIR`, panics on a thread named `worker`, and
/// ends normally.
fn panic_on_a_worker(log_panics: bool) {
    let dir = std::env::var("LOGTREE_TEST_DIR").expect("the child's log directory");
    Setup::new()
        .dir(dir)
        .console(false)
        .ignore_env()
        .log_panics(log_panics)
        .install("app")
        .unwrap();
    log::info!(target: "app", "before");
    let worker = std::thread::Builder::new()
        .name("worker".into())
        .spawn(|| panic!("boom {}", 42))
        .unwrap();
    assert!(worker.join().is_err());
    log::info!(target: "app", "after");
}

fn file_text(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        text += &std::fs::read_to_string(entry.unwrap().path()).unwrap();
    }
    text
}

fn run(test: &str, backtrace: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = child::command(test)
        .env("LOGTREE_TEST_DIR", dir.path())
        .env("RUST_BACKTRACE", backtrace)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("boom 42"),
        "the default hook still prints: {stderr}"
    );
    file_text(dir.path())
}

#[test]
fn a_panic_is_logged_at_error_with_thread_location_and_message() {
    if child::is_child("a_panic_is_logged_at_error_with_thread_location_and_message") {
        return panic_on_a_worker(true);
    }
    let text = run(
        "a_panic_is_logged_at_error_with_thread_location_and_message",
        "0",
    );
    let lines: Vec<&str> = text.lines().map(|l| &l[23..]).collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0], " - app - INFO - before");
    let expected = format!(
        " - panic - ERROR - thread 'worker' panicked at {}:",
        file!()
    );
    assert!(lines[1].starts_with(&expected), "{}", lines[1]);
    assert!(lines[1].ends_with(": boom 42"), "{}", lines[1]);
    assert_eq!(lines[2], " - app - INFO - after");
}

#[test]
fn the_backtrace_is_logged_when_rust_backtrace_asks() {
    if child::is_child("the_backtrace_is_logged_when_rust_backtrace_asks") {
        return panic_on_a_worker(true);
    }
    let text = run("the_backtrace_is_logged_when_rust_backtrace_asks", "1");
    let panic_line = text
        .lines()
        .find(|l| l.contains(" - panic - ERROR - "))
        .unwrap();
    // One record, one line: the backtrace's line breaks are escaped.
    assert!(
        panic_line.contains("boom 42\\nstack backtrace:\\n"),
        "{panic_line}"
    );
}

#[test]
fn log_panics_false_logs_nothing() {
    if child::is_child("log_panics_false_logs_nothing") {
        return panic_on_a_worker(false);
    }
    let text = run("log_panics_false_logs_nothing", "0");
    assert!(!text.contains("panic"), "{text}");
    assert_eq!(text.lines().count(), 2, "{text}");
}
