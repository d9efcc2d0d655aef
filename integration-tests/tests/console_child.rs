//! The console sink writes the standard line to the real standard output (or error) of a
//! process: each test re-runs this test binary as a child, filtered to itself, with a marker
//! in the environment, and reads what the child printed.

use std::process::{Command, Output};

use logtree_core::{LevelFilter, LoggerTree, SetupOptions};
use logtree_sinks::{ColorMode, ConsoleSink};

const MARKER: &str = "LOGTREE_CONSOLE_CHILD";

/// In the child: runs `child` and returns `None`. In the parent: runs this test in a child
/// process and returns its output.
fn child_or_run(test_name: &str, child: impl FnOnce()) -> Option<Output> {
    if std::env::var_os(MARKER).is_some() {
        child();
        return None;
    }
    let output = Command::new(std::env::current_exe().unwrap())
        // `--quiet`: libtest prints no `test name ... ` prefix on the line the child writes.
        .args([test_name, "--exact", "--nocapture", "--quiet"])
        .env(MARKER, "1")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    assert!(output.status.success(), "child failed: {output:?}");
    Some(output)
}

/// Whether `line` is `YYYY-MM-DD HH:MM:SS.mmm - <rest>`.
fn has_timestamp_then(line: &str, rest: &str) -> bool {
    let bytes = line.as_bytes();
    let shape = b"dddd-dd-dd dd:dd:dd.ddd";
    bytes.len() == shape.len() + rest.len()
        && shape.iter().zip(bytes).all(|(s, b)| match s {
            b'd' => b.is_ascii_digit(),
            other => other == b,
        })
        && &line[shape.len()..] == rest
}

fn lines_with<'o>(stream: &'o [u8], needle: &str) -> Vec<&'o str> {
    std::str::from_utf8(stream)
        .unwrap()
        .lines()
        .filter(|line| line.contains(needle))
        .collect()
}

#[test]
fn console_sink_writes_the_standard_line_to_stdout() {
    let output = child_or_run("console_sink_writes_the_standard_line_to_stdout", || {
        let tree = LoggerTree::new();
        let app = tree
            .setup_logger(
                "child.app",
                SetupOptions::new()
                    .level(LevelFilter::Info)
                    .sink(ConsoleSink::stdout()),
            )
            .unwrap();
        app.info(format_args!("hello from the child"));
        app.debug(format_args!("hidden debug from the child"));
        app.error(format_args!("failure {} from the child", 42));
    });
    let Some(output) = output else { return };
    let info = lines_with(&output.stdout, "hello from the child");
    assert_eq!(info.len(), 1, "{output:?}");
    assert!(
        has_timestamp_then(info[0], " - child.app - INFO - hello from the child"),
        "{:?}",
        info[0]
    );
    let error = lines_with(&output.stdout, "failure 42 from the child");
    assert_eq!(error.len(), 1, "{output:?}");
    assert!(
        has_timestamp_then(error[0], " - child.app - ERROR - failure 42 from the child"),
        "a pipe is not a terminal, so no colour: {:?}",
        error[0]
    );
    assert!(lines_with(&output.stdout, "hidden debug").is_empty());
    assert!(lines_with(&output.stderr, "from the child").is_empty());
}

#[test]
fn console_sink_writes_to_stderr_on_request_and_colours_when_forced() {
    let output = child_or_run(
        "console_sink_writes_to_stderr_on_request_and_colours_when_forced",
        || {
            let tree = LoggerTree::new();
            let console = ConsoleSink::builder()
                .stderr()
                .color(ColorMode::Always)
                .build();
            let app = tree
                .setup_logger(
                    "child.err",
                    SetupOptions::new().level(LevelFilter::Info).sink(console),
                )
                .unwrap();
            app.warn(format_args!("warning for stderr"));
        },
    );
    let Some(output) = output else { return };
    assert!(lines_with(&output.stdout, "warning for stderr").is_empty());
    let warn = lines_with(&output.stderr, "warning for stderr");
    assert_eq!(warn.len(), 1, "{output:?}");
    let line = warn[0]
        .strip_prefix("\x1b[33m")
        .and_then(|l| l.strip_suffix("\x1b[0m"))
        .unwrap_or_else(|| panic!("not wrapped in yellow: {:?}", warn[0]));
    assert!(
        has_timestamp_then(line, " - child.err - WARN - warning for stderr"),
        "{line:?}"
    );
}
