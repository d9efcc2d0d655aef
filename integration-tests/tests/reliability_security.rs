//! What a log file must not give away or let others do:
//!
//! - files are created with mode `0o640` and directories with `0o750` (before the umask) by
//!   default, and `mode` / `dir_mode` change it, for the first file, the files created at each
//!   roll-over, and every missing directory on the way;
//! - a symlink planted at a backup's name (`<file>.1`, the oldest `<file>.N`, or above the
//!   count) pointing at a victim file outside the log directory never makes the sink write to,
//!   truncate or remove the victim, whatever the roll-overs do; nor does one planted at the
//!   log file's own name, before setup or in place of the file while logging (refused with an
//!   error);
//! - a message cannot forge lines: through a real file, a message, a target or a key-value
//!   holding `\n2025-01-01 00:00:00.000 - app - ERROR - forged`, `\r`, NUL, C1 controls or
//!   ANSI escapes, and a thread named so, yield exactly one line per record, with none of those
//!   bytes raw (the millisecond, JSON and pattern formatters, the pattern showing every field;
//!   with `multiline(true)` continuation lines are indented and so never look like records).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use integration_tests::log_dir::file_and_backups;
use integration_tests::trees::{info_logger, Errors};
use logtree_core::{Error, LevelFilter, LoggerTree, Record, SetupOptions, Sink};
use logtree_formatters::{JsonFormatter, MillisecondFormatter, PatternFormatter};
use logtree_sinks::RotatingFileSink;

/// The process's umask, read without changing it (`umask(2)` would, for every thread).
fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
        .unwrap_or(0o022)
}

fn mode_of(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Logs record `i` (`record <i> xxx...`) of the logger `app` straight to `sink`.
fn log_record(sink: &RotatingFileSink, i: usize) -> Result<(), Error> {
    sink.log(
        &Record::builder()
            .logger("app")
            .args(format_args!("record {i:04} {}", "x".repeat(40)))
            .build(),
    )
}

fn log_lines(sink: &RotatingFileSink, count: usize) {
    for i in 0..count {
        log_record(sink, i).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Permissions

/// Logs across several roll-overs to a sink with file stem `stem` in `<tmp>/<top>/logs` (two
/// directories to create), given the modes `modes` (file, directory) or left at the default,
/// and checks every file and both directories have the mode expected, less the umask.
fn assert_modes(stem: &str, top: &str, modes: Option<(u32, u32)>) {
    let (file_mode, dir_mode) = modes.unwrap_or((0o640, 0o750));
    let mask = umask();
    let root = tempfile::tempdir().unwrap();
    let logs = root.path().join(top).join("logs");
    let mut builder = RotatingFileSink::builder(stem)
        .dir(&logs)
        .max_bytes(300)
        .backup_count(10);
    if let Some((file, dir)) = modes {
        builder = builder.mode(file).dir_mode(dir);
    }
    let sink = builder.build().unwrap();
    log_lines(&sink, 20); // several roll-overs: new files are created along the way
    sink.flush().unwrap(); // backups take their names on the archive thread
    let files = file_and_backups(&sink.path());
    assert!(files.len() > 3, "{files:?}");
    for file in &files {
        assert_eq!(
            mode_of(file),
            file_mode & !mask,
            "{} (umask {mask:03o})",
            file.display()
        );
    }
    for dir in [root.path().join(top), logs] {
        assert_eq!(
            mode_of(&dir),
            dir_mode & !mask,
            "{} (umask {mask:03o})",
            dir.display()
        );
    }
}

#[test]
fn files_and_directories_are_private_to_owner_and_group_by_default() {
    assert_modes("Modes", "var", None);
}

#[test]
fn modes_can_be_changed() {
    assert_modes("Private", "private", Some((0o600, 0o700)));

    // Wider than the default, for a log others must read (still within the umask).
    let mask = umask();
    let root = tempfile::tempdir().unwrap();
    let shared = root.path().join("shared");
    let sink = RotatingFileSink::builder("Shared")
        .dir(&shared)
        .mode(0o644)
        .dir_mode(0o755)
        .build()
        .unwrap();
    assert_eq!(mode_of(&sink.path()), 0o644 & !mask);
    assert_eq!(mode_of(&shared), 0o755 & !mask);
}

// ---------------------------------------------------------------------------------------------
// Symlinks planted at backup names

const VICTIM_TEXT: &str = "precious data that a log roll-over must never touch\n";

/// Plants `<file>.<n>` -> a victim outside the log directory, logs enough for many
/// roll-overs, and checks the victim is untouched.
fn planted_backup_symlink(backup_count: u32, planted_at: u32) {
    let root = tempfile::tempdir().unwrap();
    let victim = root.path().join("victim.txt");
    fs::write(&victim, VICTIM_TEXT).unwrap();
    fs::set_permissions(&victim, fs::Permissions::from_mode(0o644)).unwrap();
    let logs = root.path().join("logs");
    let sink = RotatingFileSink::builder("Planted")
        .dir(&logs)
        .max_bytes(300)
        .backup_count(backup_count)
        .build()
        .unwrap();
    let path = sink.path();
    let link = PathBuf::from(format!("{}.{planted_at}", path.display()));
    std::os::unix::fs::symlink(&victim, &link).unwrap();

    // Roll-overs may report errors (a sink may refuse to touch a symlink); they must not write
    // through it.
    for i in 0..60 {
        let _ = log_record(&sink, i);
    }
    let _ = sink.flush();
    drop(sink);

    let meta = fs::symlink_metadata(&victim).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the victim is still a plain file"
    );
    assert_eq!(
        fs::read_to_string(&victim).unwrap(),
        VICTIM_TEXT,
        "backup_count {backup_count}, link at .{planted_at}: the victim was written"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o644);
    let beside: Vec<_> = fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 2, "nothing new beside the victim: {beside:?}");
    // No log file is the victim under another name.
    for file in file_and_backups(&path) {
        if let Ok(target) = fs::read_link(&file) {
            assert_eq!(target, victim, "only the planted link points out");
        }
    }
}

#[test]
fn a_symlink_at_the_first_backup_never_leads_to_the_victim() {
    planted_backup_symlink(3, 1);
}

#[test]
fn a_symlink_at_the_oldest_backup_never_leads_to_the_victim() {
    planted_backup_symlink(3, 3);
}

#[test]
fn a_symlink_above_the_backup_count_never_leads_to_the_victim() {
    planted_backup_symlink(2, 3);
}

#[test]
fn a_symlink_with_a_single_backup_never_leads_to_the_victim() {
    planted_backup_symlink(1, 1);
}

#[test]
fn a_symlink_with_no_backups_never_leads_to_the_victim() {
    planted_backup_symlink(0, 1);
}

// ---------------------------------------------------------------------------------------------
// Forged lines

const FORGED: &str = "\n2025-01-01 00:00:00.000 - app - ERROR - forged";

fn hostile_messages() -> Vec<String> {
    vec![
        format!("login failed for user x{FORGED}"),
        format!("crlf\r{FORGED}\r\n2025-01-01 00:00:00.000 - app - ERROR - forged too"),
        "ansi \x1b[2J\x1b[1;31mred\x1b[0m \x1b]0;title\x07".to_owned(),
        "nul \0 and del \x7f and bell \x07".to_owned(),
        "c1 \u{85}next line\u{9b}31m csi".to_owned(),
        "tab\tstays".to_owned(),
        "plain".to_owned(),
    ]
}

/// Checks `text` holds exactly `records` lines, each a record line starting with today's
/// timestamp, and none of the forbidden bytes raw.
fn assert_one_line_per_record(text: &str, records: usize, what: &str) {
    let lines: Vec<&str> = text.split_terminator('\n').collect();
    assert_eq!(lines.len(), records, "{what}: lines {lines:#?}");
    for line in &lines {
        assert!(!line.contains('\r'), "{what}: raw CR in {line:?}");
        assert!(!line.contains('\x1b'), "{what}: raw ESC in {line:?}");
        assert!(!line.contains('\0'), "{what}: raw NUL in {line:?}");
        assert!(!line.contains('\x07'), "{what}: raw BEL in {line:?}");
        assert!(!line.contains('\u{85}'), "{what}: raw NEL in {line:?}");
        assert!(!line.contains('\u{9b}'), "{what}: raw CSI in {line:?}");
        assert!(!line.starts_with("2025-01-01"), "{what}: forged {line:?}");
    }
}

#[test]
fn messages_cannot_forge_lines_in_a_file() {
    let root = tempfile::tempdir().unwrap();
    let text_sink = RotatingFileSink::builder("Forge")
        .dir(root.path())
        .build()
        .unwrap();
    let json_sink = RotatingFileSink::builder("ForgeJson")
        .dir(root.path())
        .formatter(JsonFormatter::new())
        .build()
        .unwrap();
    let multi_sink = RotatingFileSink::builder("ForgeMulti")
        .dir(root.path())
        .formatter(MillisecondFormatter::new().multiline(true))
        .build()
        .unwrap();
    let pattern_sink = RotatingFileSink::builder("ForgePattern")
        .dir(root.path())
        .formatter(
            PatternFormatter::new(
                "{time}|{level}|{logger}|{target}|{message}|{module}|{file}|{line}|{thread}|{kv}",
            )
            .unwrap(),
        )
        .build()
        .unwrap();
    let (text_path, json_path, multi_path, pattern_path) = (
        text_sink.path(),
        json_sink.path(),
        multi_sink.path(),
        pattern_sink.path(),
    );
    // Through the process-wide tree and `log::info!`, as an application logs.
    // On the root: the target below, which is no logger name, is handled there.
    LoggerTree::setup(
        "",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(text_sink)
            .sink(json_sink)
            .sink(multi_sink)
            .sink(pattern_sink),
    )
    .unwrap();
    let hostile = hostile_messages();
    for message in &hostile {
        log::info!(target: "app", "{message}");
        log::warn!(target: "app::web", user = message.as_str(); "key-value");
    }
    // A thread name is shown by some layouts: it is escaped too.
    std::thread::Builder::new()
        .name(format!("worker\x1b[31m{FORGED}"))
        .spawn(|| log::info!(target: "app", "from a thread with a hostile name"))
        .unwrap()
        .join()
        .unwrap();
    // A target that is no logger name is shown as given: it is escaped too.
    let tree = LoggerTree::global();
    log::Log::log(
        tree,
        &log::Record::builder()
            .target(&format!("app{FORGED}"))
            .level(log::Level::Error)
            .args(format_args!("target"))
            .build(),
    );
    tree.flush().unwrap();

    let records = hostile.len() * 2 + 2;
    let text = fs::read_to_string(&text_path).unwrap();
    assert_one_line_per_record(&text, records, "millisecond");
    let json = fs::read_to_string(&json_path).unwrap();
    assert_one_line_per_record(&json, records, "json");
    for line in json.lines() {
        assert!(line.starts_with('{') && line.ends_with('}'), "{line:?}");
    }
    let pattern = fs::read_to_string(&pattern_path).unwrap();
    assert_one_line_per_record(&pattern, records, "pattern");
    assert!(
        pattern.contains("|worker\\x1b[31m\\n2025-01-01"),
        "the thread name is shown, escaped: {pattern}"
    );
    // Multiline: continuation lines are indented, so every line that is not indented is a
    // record of its own.
    let multi = fs::read_to_string(&multi_path).unwrap();
    let starts = multi.lines().filter(|l| !l.starts_with("    ")).count();
    assert_eq!(starts, records, "multiline: {multi}");
    assert!(
        !multi.contains('\x1b') && !multi.contains('\r'),
        "{multi:?}"
    );
    for line in multi.lines() {
        assert!(!line.starts_with("2025-01-01"), "multiline forged {line:?}");
    }
}

/// A symlink planted at the log file's own name, before setup or while logging (the file
/// removed and the link put in its place), is never followed: the sink refuses it with an error
/// and the victim is untouched.
#[test]
fn a_symlink_at_the_log_file_name_is_never_followed() {
    // Before setup.
    let root = tempfile::tempdir().unwrap();
    let victim = root.path().join("victim.txt");
    fs::write(&victim, VICTIM_TEXT).unwrap();
    let logs = root.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let today = chrono::Local::now().format("%Y-%m-%d");
    std::os::unix::fs::symlink(&victim, logs.join(format!("Planted_{today}.log"))).unwrap();
    match RotatingFileSink::builder("Planted").dir(&logs).build() {
        Err(err) => assert!(matches!(err, Error::OpenFile { .. }), "{err}"),
        Ok(sink) => log_lines(&sink, 10),
    }
    assert_eq!(fs::read_to_string(&victim).unwrap(), VICTIM_TEXT);

    // While logging: the file is replaced by a link; the sink notices within about a second.
    let root = tempfile::tempdir().unwrap();
    let victim = root.path().join("victim.txt");
    fs::write(&victim, VICTIM_TEXT).unwrap();
    let tree = LoggerTree::new();
    let errors = Errors::collect(&tree);
    let sink = RotatingFileSink::builder("Swapped")
        .dir(root.path().join("logs"))
        .build()
        .unwrap();
    let path = sink.path();
    let app = info_logger(&tree, "app", |options| options.sink(sink));
    app.info(format_args!("before"));
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&victim, &path).unwrap();
    let start = std::time::Instant::now();
    let mut i = 0;
    while start.elapsed() < std::time::Duration::from_millis(2_500) {
        app.info(format_args!("record {i}"));
        i += 1;
        std::thread::sleep(std::time::Duration::from_millis(5)); // pacing the records
    }
    assert_eq!(
        fs::read_to_string(&victim).unwrap(),
        VICTIM_TEXT,
        "written through the link"
    );
    assert!(
        fs::symlink_metadata(&victim).unwrap().file_type().is_file(),
        "the victim is still a plain file"
    );
    assert!(!errors.is_empty(), "the replaced file is reported");
}
