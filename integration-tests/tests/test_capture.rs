//! `logtree::init_for_tests()` prints through the test harness's capture: `cargo test` shows
//! the log lines of a failing test, under its name, and hides those of a passing one. The two
//! tests below that log are run as a child process of this binary, with capture on (the
//! default of `cargo test`).

use std::process::Command;

/// Set in the child so that the two logging tests below do their part.
const CHILD: &str = "LOGTREE_TEST_CAPTURE_CHILD";

fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

#[test]
fn logging_test_that_passes() {
    if !in_child() {
        return;
    }
    logtree::init_for_tests();
    log::debug!(target: "app::cart", "line of the passing test");
}

#[test]
fn logging_test_that_fails() {
    if !in_child() {
        return;
    }
    logtree::init_for_tests();
    log::debug!(target: "app::cart", "line of the failing test");
    log::info!(target: "hyper::proto", "another crate's line");
    panic!("the failure");
}

#[test]
fn only_the_failing_tests_log_lines_are_shown() {
    if in_child() {
        return;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["logging_test_that", "--test-threads=2"])
        .env(CHILD, "1")
        .env_remove("RUST_LOG")
        .env_remove("LOGTREE_LEVEL")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "one child test fails: {stdout}");
    let failing_section = stdout
        .split("---- logging_test_that_fails stdout ----")
        .nth(1)
        .unwrap_or_else(|| panic!("no captured output of the failing test: {stdout}"));
    let lines: Vec<&str> = failing_section
        .lines()
        .filter(|l| l.contains(" - "))
        .map(|l| l.get(23..).unwrap_or(l))
        .collect();
    assert_eq!(
        lines,
        [
            " - app.cart - DEBUG - line of the failing test",
            " - hyper.proto - INFO - another crate's line",
            " - panic - ERROR - thread 'logging_test_that_fails' panicked at \
             integration-tests/tests/test_capture.rs:32:5: the failure",
        ],
        "{stdout}"
    );
    assert!(
        !stdout.contains("line of the passing test"),
        "a passing test's lines stay captured: {stdout}"
    );
}
