//! The console sink writes the standard line to the real standard output (or error) of a
//! process: each test re-runs this test binary as a child, filtered to itself, with a marker
//! in the environment, and reads what the child printed.

use std::process::Output;

use integration_tests::child;
use integration_tests::log_line::after_timestamp;
use integration_tests::trees::info_logger;
use logtree_core::LoggerTree;
use logtree_sinks::{ColorMode, ConsoleSink};

/// In the child: runs `body` and returns `None`. In the parent: runs this test in a child
/// process (with `NO_COLOR` unset) and returns its output.
fn child_or_run(test_name: &str, body: impl FnOnce()) -> Option<Output> {
    child::run_in_child(
        test_name,
        |command| {
            command.env_remove("NO_COLOR");
        },
        body,
    )
}

fn lines_with<'o>(stream: &'o [u8], needle: &str) -> Vec<&'o str> {
    std::str::from_utf8(stream)
        .unwrap()
        .lines()
        .filter(|line| line.contains(needle))
        .collect()
}

/// The one line of `stream` that holds `needle` (there must be exactly one).
fn only_line_with<'o>(stream: &'o [u8], needle: &str, output: &Output) -> &'o str {
    let lines = lines_with(stream, needle);
    assert_eq!(lines.len(), 1, "{output:?}");
    lines[0]
}

#[test]
fn console_sink_writes_the_standard_line_to_stdout() {
    let output = child_or_run("console_sink_writes_the_standard_line_to_stdout", || {
        let tree = LoggerTree::new();
        let app = info_logger(&tree, "child.app", |options| {
            options.sink(ConsoleSink::stdout())
        });
        app.info(format_args!("hello from the child"));
        app.debug(format_args!("hidden debug from the child"));
        app.error(format_args!("failure {} from the child", 42));
    });
    let Some(output) = output else { return };
    let info = only_line_with(&output.stdout, "hello from the child", &output);
    assert_eq!(
        after_timestamp(info),
        Some(" - child.app - INFO - hello from the child"),
        "{info:?}"
    );
    let error = only_line_with(&output.stdout, "failure 42 from the child", &output);
    assert_eq!(
        after_timestamp(error),
        Some(" - child.app - ERROR - failure 42 from the child"),
        "a pipe is not a terminal, so no colour: {error:?}"
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
            let app = info_logger(&tree, "child.err", |options| options.sink(console));
            app.warn(format_args!("warning for stderr"));
        },
    );
    let Some(output) = output else { return };
    assert!(lines_with(&output.stdout, "warning for stderr").is_empty());
    let warn = only_line_with(&output.stderr, "warning for stderr", &output);
    let line = warn
        .strip_prefix("\x1b[33m")
        .and_then(|l| l.strip_suffix("\x1b[0m"))
        .unwrap_or_else(|| panic!("not wrapped in yellow: {warn:?}"));
    assert_eq!(
        after_timestamp(line),
        Some(" - child.err - WARN - warning for stderr"),
        "{line:?}"
    );
}

/// In the child: one warning through an `Auto` console on stdout. In the parent: what the
/// child printed with `env` set (and `NO_COLOR`, `CLICOLOR*`, `TERM` otherwise unset).
fn auto_colour_with(test_name: &str, env: &[(&str, &str)]) -> Option<String> {
    let output = child::run_in_child(
        test_name,
        |command| {
            for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM"] {
                command.env_remove(name);
            }
            command.envs(env.iter().copied());
        },
        || {
            let tree = LoggerTree::new();
            let app = info_logger(&tree, "child.auto", |options| {
                options.sink(ConsoleSink::stdout())
            });
            app.warn(format_args!("auto colour"));
        },
    )?;
    Some(only_line_with(&output.stdout, "auto colour", &output).to_owned())
}

#[test]
fn clicolor_force_colours_a_pipe() {
    const TEST: &str = "clicolor_force_colours_a_pipe";
    if let Some(line) = auto_colour_with(TEST, &[("CLICOLOR_FORCE", "1")]) {
        assert!(line.starts_with("\x1b[33m"), "{line:?}");
    }
}

#[test]
fn no_color_wins_over_clicolor_force() {
    const TEST: &str = "no_color_wins_over_clicolor_force";
    if let Some(line) = auto_colour_with(TEST, &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]) {
        assert!(!line.contains('\x1b'), "{line:?}");
    }
}

#[test]
fn a_pipe_is_plain_without_clicolor_force() {
    const TEST: &str = "a_pipe_is_plain_without_clicolor_force";
    if let Some(line) = auto_colour_with(TEST, &[("TERM", "xterm-256color")]) {
        assert!(!line.contains('\x1b'), "{line:?}");
    }
}

/// What the child of `test_name` prints on a terminal (a pseudo-terminal this test opens) with
/// `env` set and `NO_COLOR`, `CLICOLOR*` and `TERM` otherwise unset: the `auto colour` line.
#[cfg(target_os = "linux")]
fn auto_colour_on_a_terminal(test_name: &str, env: &[(&str, &str)]) -> Option<String> {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};

    if child::is_child(test_name) {
        let tree = LoggerTree::new();
        let app = info_logger(&tree, "child.tty", |options| {
            options.sink(ConsoleSink::stdout())
        });
        app.warn(format_args!("auto colour"));
        return None;
    }
    let (mut leader, mut follower) = (-1, -1);
    // SAFETY: openpty writes two descriptors into the integers it is given; the name, the
    // terminal settings and the window size are optional and left null.
    let opened = unsafe {
        libc::openpty(
            &mut leader,
            &mut follower,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    let (leader, follower) =
        unsafe { (OwnedFd::from_raw_fd(leader), OwnedFd::from_raw_fd(follower)) };
    let mut command = child::command(test_name);
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "CI"] {
        command.env_remove(name);
    }
    let status = command
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::from(follower))
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    // The command holds the follower until dropped; once it is closed here too and the child
    // has ended, reading ends with EIO after the text.
    drop(command);
    let mut text = Vec::new();
    let _ = std::fs::File::from(leader).read_to_end(&mut text);
    let text = String::from_utf8_lossy(&text).into_owned();
    let line = text.lines().find(|l| l.contains("auto colour"));
    Some(
        line.unwrap_or_else(|| panic!("no line on the terminal: {text:?}"))
            .to_owned(),
    )
}

#[cfg(target_os = "linux")]
#[test]
fn a_terminal_is_coloured_unless_term_is_dumb_or_no_color_is_set() {
    for (env, coloured) in [
        (&[("TERM", "xterm-256color")][..], true),
        (&[("TERM", "dumb")][..], false),
        (&[("TERM", "xterm-256color"), ("NO_COLOR", "1")][..], false),
    ] {
        let name = "a_terminal_is_coloured_unless_term_is_dumb_or_no_color_is_set";
        let Some(line) = auto_colour_on_a_terminal(name, env) else {
            return;
        };
        assert_eq!(line.contains("\x1b[33m"), coloured, "{env:?}: {line:?}");
    }
}
