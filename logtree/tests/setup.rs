//! The one-call setup on explicit trees: layers, idempotence, and errors that change nothing.

use std::path::{Path, PathBuf};

use logtree::config::FormatSpec;
use logtree::{Error, LevelFilter, LoggerTree, MemorySink, Setup};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn read_all(dir: &Path) -> String {
    files_in(dir)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

fn quiet() -> Setup {
    Setup::new().console(false).ignore_env()
}

#[test]
fn installs_a_dated_rotating_file_with_millisecond_lines() {
    let dir = tempfile::tempdir().unwrap();
    let tree = LoggerTree::new();
    let app = quiet()
        .dir(dir.path())
        .file_stem("Shop")
        .install_on(&tree, "shop")
        .unwrap();
    app.trace(format_args!(
        "hidden: Debug is the default level, as the seed's"
    ));
    app.info(format_args!("open"));
    app.debug(format_args!("shown: the seed's setup_logger logs at DEBUG"));
    let files = files_in(dir.path());
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(files, [dir.path().join(format!("Shop_{today}.log"))]);
    let text = read_all(dir.path());
    let line = text.lines().next().unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(line.starts_with(&today), "{line}");
    assert_eq!(&line[19..20], ".");
    assert!(line[20..23].bytes().all(|b| b.is_ascii_digit()), "{line}");
    assert!(line.ends_with(" - shop - INFO - open"), "{line}");
    let debug = text.lines().nth(1).unwrap();
    assert!(debug.ends_with(" - shop - DEBUG - shown: the seed's setup_logger logs at DEBUG"));
}

#[test]
fn modules_installing_again_write_each_line_once() {
    let dir = tempfile::tempdir().unwrap();
    let tree = LoggerTree::new();
    let extra = MemorySink::new();
    let setup = quiet().dir(dir.path()).sink(extra.clone());
    setup.install_on(&tree, "app").unwrap();
    let db = setup.install_on(&tree, "app::db").unwrap();
    let db_again = setup.install_on(&tree, "app.db").unwrap();
    assert!(db.same_as(&db_again));
    assert_eq!(db.name(), "app.db");
    db.info(format_args!("once"));
    assert_eq!(extra.lines(), ["INFO app.db - once"]);
    assert_eq!(read_all(dir.path()).lines().count(), 1);
    assert_eq!(db.sink_ids().len(), 2, "the file and the memory sink");
}

#[test]
fn code_then_file_then_environment() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logtree.toml");
    std::fs::write(
        &config,
        "level = \"debug\"\nbackup_count = 2\nfile_stem = \"FromFile\"\n[levels]\n\"app.db\" = \"error\"\n",
    )
    .unwrap();
    let env_dir = dir.path().join("env-logs");
    let env_dir_text = env_dir.display().to_string();
    let setup = Setup::new()
        .console(false)
        .dir(dir.path().join("code-logs"))
        .file_stem("FromCode")
        .backup_count(7)
        .max_bytes(4096)
        .level(LevelFilter::Warn)
        .config_file(&config)
        .env_with(move |name| match name {
            "LOGTREE_DIR" => Some(env_dir_text.clone()),
            "RUST_LOG" => Some("app.net=trace".into()),
            _ => None,
        });
    let resolved = setup.resolve().unwrap();
    assert_eq!(
        resolved.max_size,
        Some(4096),
        "code, untouched by file and environment"
    );
    assert_eq!(resolved.backup_count, Some(2), "file over code");
    assert_eq!(resolved.file_stem.as_deref(), Some("FromFile"));
    assert_eq!(resolved.level, Some(LevelFilter::Debug), "file over code");
    assert_eq!(resolved.dir, Some(env_dir.clone()), "environment over code");

    let tree = LoggerTree::new();
    let app = setup.install_on(&tree, "app").unwrap();
    assert_eq!(app.level(), Some(LevelFilter::Debug));
    assert_eq!(
        tree.logger("app.db").unwrap().level(),
        Some(LevelFilter::Error)
    );
    assert_eq!(
        tree.logger("app.net").unwrap().level(),
        Some(LevelFilter::Trace)
    );
    app.debug(format_args!("x"));
    assert!(files_in(&env_dir)[0]
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("FromFile_"));
}

#[test]
fn logtree_config_names_the_file_and_env_levels_win() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("other.json");
    std::fs::write(
        &config,
        r#"{"level": "error", "format": "{level}|{message}", "dir": "unused"}"#,
    )
    .unwrap();
    let config_text = config.display().to_string();
    let logs = dir.path().join("logs").display().to_string();
    let tree = LoggerTree::new();
    let app = Setup::new()
        .console(false)
        .config_file("does-not-exist.toml")
        .env_with(move |name| match name {
            "LOGTREE_CONFIG" => Some(config_text.clone()),
            "LOGTREE_DIR" => Some(logs.clone()),
            "LOGTREE_LEVEL" => Some("info".into()),
            _ => None,
        })
        .install_on(&tree, "app")
        .unwrap();
    assert_eq!(app.level(), Some(LevelFilter::Info));
    app.info(format_args!("patterned"));
    assert_eq!(read_all(&dir.path().join("logs")), "INFO|patterned\n");
}

#[test]
fn errors_name_their_cause_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad_config = dir.path().join("bad.toml");
    std::fs::write(&bad_config, "max_size = \"lots\"").unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let tree = LoggerTree::new();

    let err = quiet()
        .config_file(&bad_config)
        .install_on(&tree, "app")
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidConfig { source_name, key: Some(key), .. }
        if source_name.ends_with("bad.toml") && key == "max_size"),
        "{err}"
    );

    let err = quiet()
        .dir(&not_a_dir)
        .install_on(&tree, "app")
        .unwrap_err();
    assert!(
        err.to_string().contains(&not_a_dir.display().to_string()),
        "{err}"
    );

    let err = quiet()
        .dir(dir.path())
        .install_on(&tree, "bad name")
        .unwrap_err();
    assert!(matches!(err, Error::InvalidName { .. }));

    let err = quiet()
        .dir(dir.path())
        .format(FormatSpec::Pattern("{nope}".into()))
        .install_on(&tree, "app")
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");

    assert_eq!(
        tree.logger_names(),
        [""],
        "no logger was created by a failed setup"
    );
    assert_eq!(files_in(dir.path()).len(), 2, "no log file was created");
}

#[test]
fn console_and_file_can_be_switched_off_and_json_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let tree = LoggerTree::new();
    let app = quiet()
        .dir(dir.path())
        .format(FormatSpec::Json)
        .install_on(&tree, "app")
        .unwrap();
    assert_eq!(app.sink_ids().len(), 1, "file only");
    log::Log::log(
        &tree,
        &log::Record::builder()
            .level(log::Level::Info)
            .target("app::api")
            .key_values(&[("user", "ann")])
            .args(format_args!("login"))
            .build(),
    );
    let text = read_all(dir.path());
    assert!(
        text.starts_with('{')
            && text.contains("\"message\":\"login\"")
            && text.contains("\"user\":\"ann\""),
        "{text}"
    );

    let none = quiet().file(false).install_on(&tree, "nothing").unwrap();
    assert!(none.sink_ids().is_empty());
}

/// Each sink's own layout wins over the common one, whichever layer each comes from: here the
/// file's JSON (from code) over a pattern (from the configuration file), while the console's
/// own layout leaves the file alone.
#[test]
fn the_files_own_format_wins_over_the_common_one() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logtree.toml");
    std::fs::write(
        &config,
        "format = \"{level}|{message}\"\nconsole_format = \"millisecond\"\n",
    )
    .unwrap();
    let logs = dir.path().join("logs");
    let tree = LoggerTree::new();
    let app = quiet()
        .dir(&logs)
        .config_file(&config)
        .file_format(FormatSpec::Json)
        .install_on(&tree, "app")
        .unwrap();
    app.info(format_args!("to the file as JSON"));
    let text = read_all(&logs);
    assert!(
        text.starts_with('{') && text.contains("\"message\":\"to the file as JSON\""),
        "{text}"
    );

    // Without a layout of its own the file takes the common one.
    let plain_logs = dir.path().join("plain");
    let plain = quiet()
        .dir(&plain_logs)
        .config_file(&config)
        .console_format(FormatSpec::Json)
        .install_on(&tree, "plain")
        .unwrap();
    plain.info(format_args!("patterned"));
    assert_eq!(read_all(&plain_logs), "INFO|patterned\n");
}

#[test]
fn an_optional_config_file_may_be_absent_but_not_bad() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("data/config/logtree.toml");
    let setup = quiet()
        .dir(dir.path().join("logs"))
        .optional_config_file(&config);
    let tree = LoggerTree::new();
    let app = setup.install_on(&tree, "app").unwrap();
    assert_eq!(
        app.level(),
        Some(logtree::DEFAULT_LEVEL),
        "absent: the defaults"
    );

    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(&config, "level = \"warn\"\n").unwrap();
    let app = setup.install_on(&LoggerTree::new(), "app").unwrap();
    assert_eq!(app.level(), Some(LevelFilter::Warn), "present: read");

    std::fs::write(&config, "level = \"loud\"\n").unwrap();
    let err = setup.install_on(&LoggerTree::new(), "app").unwrap_err();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{err}");
    assert!(err.to_string().contains("line 1 column 9"), "{err}");

    // A required file that is missing is an error about a configuration file.
    let err = quiet()
        .config_file(dir.path().join("missing.toml"))
        .install_on(&LoggerTree::new(), "app")
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("cannot read configuration file"), "{err}");
}

#[test]
fn the_first_setup_serves_other_crates_and_a_second_file_stays_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let (main_dir, jobs_dir) = (dir.path().join("main"), dir.path().join("jobs"));
    let tree = LoggerTree::new();
    let app = quiet().dir(&main_dir).install_on(&tree, "app").unwrap();
    let jobs = quiet()
        .dir(&jobs_dir)
        .file_stem("Jobs")
        .install_on(&tree, "jobs")
        .unwrap();
    assert_eq!(
        tree.root().sink_ids(),
        app.sink_ids(),
        "the first setup's file"
    );
    tree.logger("hyper.proto")
        .unwrap()
        .warn(format_args!("other crate"));
    jobs.info(format_args!("job"));
    app.info(format_args!("app"));
    let main_text = read_all(&main_dir);
    assert!(main_text.contains(" - hyper.proto - WARN - other crate\n"));
    assert!(main_text.contains(" - app - INFO - app\n"));
    // `jobs` propagates to the root, whose sinks are the first setup's: as in Python, where a
    // record goes to its logger's handlers and then the root's.
    assert!(main_text.contains(" - jobs - INFO - job\n"));
    assert_eq!(main_text.lines().count(), 3, "each line once:\n{main_text}");
    assert_eq!(read_all(&jobs_dir).lines().count(), 1);
}

#[test]
fn a_bad_environment_value_is_ignored_and_code_values_still_fail() {
    let dir = tempfile::tempdir().unwrap();
    let tree = LoggerTree::new();
    // As env_logger: a bad RUST_LOG is reported on stderr and left out, the app goes on.
    let app = quiet()
        .dir(dir.path())
        .env_with(|name| (name == "LOGTREE_LEVEL").then(|| "app=chatty".to_owned()))
        .install_on(&tree, "app")
        .unwrap();
    assert_eq!(app.level(), Some(logtree::DEFAULT_LEVEL));
    // The same mistake in a configuration file fails, naming the file, key, line and column.
    let config = dir.path().join("app.toml");
    std::fs::write(&config, "[levels]\napp = \"chatty\"\n").unwrap();
    let err = quiet()
        .dir(dir.path())
        .config_file(&config)
        .install_on(&tree, "app")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("app.toml") && err.contains("levels.app") && err.contains("line 2 column 7"),
        "{err}"
    );
}
