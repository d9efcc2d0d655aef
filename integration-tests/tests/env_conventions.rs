//! `RUST_LOG` as env_logger reads it (`env_filter`, its own parser), in processes of their own:
//! a bare module name and a `/regex` work, a bad value is reported once on stderr and the app
//! goes on.

use std::path::Path;

use integration_tests::child;
use logtree::Setup;

fn install(dir: &str, name: &str) {
    Setup::new().dir(dir).console(false).install(name).unwrap();
}

fn file_text(dir: &Path) -> String {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect()
}

fn run(test: &str, rust_log: &str) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = child::command(test)
        .env("LOGTREE_TEST_DIR", dir.path())
        .env("RUST_LOG", rust_log)
        .env_remove("LOGTREE_LEVEL")
        .env_remove("LOGTREE_CONFIG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    (
        file_text(dir.path()),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn child_dir() -> String {
    std::env::var("LOGTREE_TEST_DIR").unwrap()
}

#[test]
fn a_bare_module_name_and_a_regex_work_as_in_env_logger() {
    const TEST: &str = "a_bare_module_name_and_a_regex_work_as_in_env_logger";
    if child::is_child(TEST) {
        install(&child_dir(), "app");
        log::trace!(target: "hyper::proto::h1", "keep: a bare name is every level");
        log::trace!(target: "tokio", "dropped: below root_level");
        log::info!(target: "app", "keep this one");
        log::info!(target: "app", "drop: the regex does not match");
        return;
    }
    let (text, stderr) = run(TEST, "hyper::proto,app=info/keep");
    let lines: Vec<&str> = text.lines().map(|l| &l[23..]).collect();
    assert_eq!(
        lines,
        [
            " - hyper.proto.h1 - TRACE - keep: a bare name is every level",
            " - app - INFO - keep this one"
        ],
        "{stderr}"
    );
}

#[test]
fn a_bad_rust_log_is_reported_once_and_ignored() {
    const TEST: &str = "a_bad_rust_log_is_reported_once_and_ignored";
    if child::is_child(TEST) {
        install(&child_dir(), "app");
        install(&child_dir(), "app::db");
        log::debug!(target: "app::db", "the default level applies");
        return;
    }
    let (text, stderr) = run(TEST, "app=loud");
    assert!(
        text.ends_with(" - app.db - DEBUG - the default level applies\n"),
        "{text}"
    );
    let reports: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("logtree:"))
        .collect();
    assert_eq!(
        reports,
        [
            "logtree: ignoring the environment variable: invalid configuration in RUST_LOG, \
          key \"app=loud\": error parsing logger filter: invalid logging spec 'loud'"
        ],
        "{stderr}"
    );
}
