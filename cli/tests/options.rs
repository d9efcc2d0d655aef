//! The command line: a bad option or configuration stops the tool with status 2 and one line
//! naming it; the rolling options take effect; `--tee`, `--level`,
//! `--format`, `--config` and the command line over the file.

mod common;

use std::fs;

use common::*;

/// Runs the tool with `args` on one line of input; expects status 2 and one line on stderr
/// holding every `names`, and no file written.
fn refused(args: &[&str], names: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    fs::write(&config, "max_size = \"ten\"\n").unwrap();
    let output = run(dir.path(), args, b"a line\n".to_vec());
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(
        stderr.lines().count(),
        1,
        "{args:?}: one line, got {stderr:?}"
    );
    assert!(stderr.starts_with("logtree: "), "{stderr}");
    for name in names {
        assert!(stderr.contains(name), "{args:?}: {stderr:?} names {name:?}");
    }
    assert!(
        !dir.path().join("logs").exists(),
        "{args:?}: nothing written"
    );
}

#[test]
fn a_bad_option_exits_2_with_one_line_naming_it() {
    refused(&["--max-size", "10 parsecs"], &["--max-size", "parsecs"]);
    refused(&["--backups", "many"], &["--backups", "many"]);
    refused(&["--rotate", "weekly"], &["--rotate", "weekly", "daily"]);
    refused(&["--flush", "sometimes"], &["--flush", "every-record"]);
    refused(&["--level", "loud"], &["--level", "loud"]);
    refused(&["--format", "{time} {lvl}"], &["--format", "{lvl}"]);
    refused(&["--max-age", "soon"], &["--max-age", "soon"]);
    refused(&["--raw", "--format", "json"], &["--raw", "--format"]);
    refused(&["--raw", "--level", "warn"], &["--raw", "--level"]);
    refused(&["--stem", "../escape"], &["stem"]);
    refused(&["--verbose"], &["--verbose"]);
    refused(&["extra"], &["extra"]);
}

#[test]
fn a_bad_config_exits_2_with_one_line_naming_the_file_and_key() {
    refused(&["--config", "bad.toml"], &["bad.toml", "max_size", "ten"]);
    refused(&["--config", "missing.toml"], &["missing.toml"]);
}

/// The rolling options reach the files: gzip'd backups that decompress to the lines, at most
/// `--max-files` files, hourly names, and `--flush background` losing nothing.
#[test]
fn rolling_options_take_effect() {
    let input: Vec<u8> = (0..20_000)
        .flat_map(|i| format!("line {i:05} {}\n", "x".repeat(40)).into_bytes())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--raw",
        "--max-size",
        "64KiB",
        "--backups",
        "100",
        "--compress",
        "gzip",
        "--rotate",
        "hourly",
        "--flush",
        "background",
    ];
    let output = run(dir.path(), &args, input.clone());
    assert!(output.status.success(), "{}", stderr_of(&output));
    let logs = dir.path().join("logs");
    let mut names: Vec<String> = fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    let current = names
        .iter()
        .find(|n| n.ends_with(".log"))
        .expect("the current file");
    assert!(
        current.starts_with("log_") && current.contains('T'),
        "hourly: {current}"
    );
    let archives: Vec<&String> = names.iter().filter(|n| n.ends_with(".gz")).collect();
    assert!(archives.len() >= 10, "{names:?}");
    assert!(
        names.iter().all(|n| n.ends_with(".gz") || n == current),
        "{names:?}"
    );
    // Oldest (highest number) first, then the current file: the input, byte for byte.
    let number = |n: &str| -> u32 {
        n.trim_end_matches(".gz")
            .rsplit('.')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    let mut backups = archives.clone();
    backups.sort_by_key(|n| std::cmp::Reverse(number(n)));
    let mut all = Vec::new();
    for name in backups {
        let file = fs::File::open(logs.join(name)).unwrap();
        std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(file), &mut all).unwrap();
    }
    all.extend(fs::read(logs.join(current)).unwrap());
    assert!(all == input, "the files hold the input, byte for byte");

    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--raw",
        "--max-size",
        "64KiB",
        "--backups",
        "100",
        "--max-files",
        "3",
    ];
    let output = run(dir.path(), &args, input);
    assert!(output.status.success(), "{}", stderr_of(&output));
    let kept = fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(kept, 3, "--max-files 3");
}

/// The same rolling keys from `--config` (the library's configuration file) as from the
/// command line: zstd backups of an hourly UTC file, at most 4 files kept.
#[test]
fn rolling_keys_of_the_configuration_file_take_effect() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logtree.toml");
    fs::write(
        &config,
        "max_size = \"16 KiB\"\nbackup_count = 50\nrotate = \"hourly\"\nutc = true\n\
         compress = \"zstd\"\nmax_files = 4\nflush = \"background\"\n",
    )
    .unwrap();
    let input: Vec<u8> = (0..5_000)
        .flat_map(|i| format!("line {i:05} {}\n", "x".repeat(40)).into_bytes())
        .collect();
    let output = run(
        dir.path(),
        &["--raw", "--config", config.to_str().unwrap()],
        input.clone(),
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let mut names: Vec<String> = fs::read_dir(dir.path().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "max_files = 4: {names:?}");
    let current = names.iter().find(|n| n.ends_with(".log")).expect("current");
    assert!(current.contains('T'), "hourly: {current}");
    assert!(
        names.iter().all(|n| n == current || n.ends_with(".zst")),
        "zstd backups: {names:?}"
    );
    // The newest records are kept, whole: the current file ends the input.
    let text = fs::read(dir.path().join("logs").join(current)).unwrap();
    assert!(input.ends_with(&text) && text.ends_with(b"\n"));
}

#[test]
fn help_and_version_exit_0() {
    let dir = tempfile::tempdir().unwrap();
    let help = run(dir.path(), &["--help"], Vec::new());
    assert!(help.status.success());
    let text = String::from_utf8(help.stdout).unwrap();
    for option in [
        "--dir",
        "--stem",
        "--max-size",
        "--backups",
        "--rotate",
        "--compress",
        "--max-age",
        "--max-total-size",
        "--max-files",
        "--flush",
        "--format",
        "--raw",
        "--level",
        "--tee",
        "--config",
    ] {
        assert!(text.contains(option), "--help lists {option}");
    }
    let version = run(dir.path(), &["--version"], Vec::new());
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap(),
        format!("logtree {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn tee_copies_the_input_to_stdout_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let input = b"one\n\xff two\nno newline".to_vec();
    let output = run(
        dir.path(),
        &["--tee", "--format", "{message}"],
        input.clone(),
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(output.stdout, input);
    assert_eq!(
        concatenated(&dir.path().join("logs")),
        b"one\n\\xff two\nno newline\n"
    );

    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &[], input);
    assert!(output.stdout.is_empty(), "no copy without --tee");
}

#[test]
fn level_sets_the_level_of_each_line_and_the_config_level_filters_it() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--level",
        "warn",
        "--format",
        "{level} {logger}: {message}",
        "--stem",
        "app",
    ];
    let output = run(dir.path(), &args, b"disk almost full\n".to_vec());
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(
        concatenated(&dir.path().join("logs")),
        b"WARN app: disk almost full\n"
    );

    // The file's `level` is the logger's: lines below it are not written.
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("logtree.toml"), "level = \"error\"\n").unwrap();
    let args = ["--config", "logtree.toml", "--level", "warn", "--tee"];
    let output = run(dir.path(), &args, b"skipped\n".to_vec());
    assert!(output.status.success(), "{}", stderr_of(&output));
    assert_eq!(output.stdout, b"skipped\n", "still copied");
    assert_eq!(concatenated(&dir.path().join("logs")), b"");
}

#[test]
fn the_config_file_sets_what_the_command_line_does_not() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("logtree.toml"),
        "dir = \"from-config\"\nfile_stem = \"Config\"\nmax_size = \"8 B\"\nbackup_count = 1\nformat = \"[{level}] {message}\"\n",
    )
    .unwrap();
    let output = run(
        dir.path(),
        &["--config", "logtree.toml", "--stem", "Cli"],
        b"a\nb\nc\n".to_vec(),
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let files = files_oldest_first(&dir.path().join("from-config"));
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(names.len(), 2, "1 backup: {names:?}");
    assert!(
        names.iter().all(|n| n.starts_with("Cli_")),
        "the command line's stem: {names:?}"
    );
    assert_eq!(fs::read_to_string(&files[0]).unwrap(), "[INFO] b\n");
    assert_eq!(fs::read_to_string(&files[1]).unwrap(), "[INFO] c\n");

    // The command line's layout wins over the file's.
    let output = run(
        dir.path(),
        &[
            "--config",
            "logtree.toml",
            "--format",
            "{message}",
            "--max-size",
            "0",
            "--stem",
            "Cli",
        ],
        b"d\n".to_vec(),
    );
    assert!(output.status.success(), "{}", stderr_of(&output));
    let current = files_oldest_first(&dir.path().join("from-config"))
        .pop()
        .unwrap();
    assert!(fs::read_to_string(current).unwrap().ends_with("\nd\n"));
}
