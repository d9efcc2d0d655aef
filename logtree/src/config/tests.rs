//! Every key, every error, and the order of the layers.

use std::path::{Path, PathBuf};
use std::time::Duration;

use logtree_core::{Error, LevelFilter};

use logtree_formatters::LevelNames;
use logtree_sinks::{ColorMode, Compression, ConsoleStream, FlushPolicy, Rotation};

use super::{Config, FormatSpec, JournaldConfig, SyslogConfig, FILE_KEYS};
use logtree_sinks::{Facility, SyslogAddress, SyslogFormat};

const FULL_TOML: &str = r#"
level = "debug"
root_level = "error"
dir = "/var/log/app"
file_stem = "Shop"
max_size = "10 MiB"
backup_count = 9
flush = "buffered"
flush_interval_ms = 250
overflow = "drop"
file = false
console = true
console_level = "warn"
console_stream = "stderr"
color = "never"
format = "json"
console_format = "millisecond"
file_format = "{time} {level} {message}"
utc = true
level_names = "python"
last_resort = false
log_panics = false
rotate = "hourly"
max_files = 100
max_age = "30d"
max_total_size = "1 GiB"
compress = "zstd"

[levels]
"app.db" = "trace"
"hyper::proto" = "WARNING"

[syslog]
address = "tcp://127.0.0.1:5514"
format = "rfc3164"
facility = "local2"
app_name = "shop"
level = "info"

[journald]
level = "error"
"#;

fn full_config() -> Config {
    Config {
        level: Some(LevelFilter::Debug),
        root_level: Some(LevelFilter::Error),
        levels: [
            ("app.db".to_owned(), LevelFilter::Trace),
            ("hyper.proto".to_owned(), LevelFilter::Warn),
        ]
        .into(),
        dir: Some(PathBuf::from("/var/log/app")),
        file_stem: Some("Shop".into()),
        max_size: Some(10 << 20),
        backup_count: Some(9),
        flush: Some(FlushPolicy::buffered()),
        flush_interval: Some(Duration::from_millis(250)),
        overflow: Some(logtree_sinks::Overflow::Drop),
        file: Some(false),
        console: Some(true),
        console_level: Some(LevelFilter::Warn),
        console_stream: Some(ConsoleStream::Stderr),
        color: Some(ColorMode::Never),
        format: Some(FormatSpec::Json),
        console_format: Some(FormatSpec::Millisecond),
        file_format: Some(FormatSpec::Pattern("{time} {level} {message}".into())),
        utc: Some(true),
        level_names: Some(LevelNames::Python),
        last_resort: Some(false),
        log_panics: Some(false),
        message_filter: None,
        syslog: Some(
            SyslogConfig::new()
                .address(SyslogAddress::Tcp("127.0.0.1:5514".into()))
                .format(SyslogFormat::Rfc3164)
                .facility(Facility::Local2)
                .app_name("shop")
                .level(LevelFilter::Info),
        ),
        journald: Some(JournaldConfig::new().level(LevelFilter::Error)),
        rotate: Some(Rotation::Hourly),
        max_files: Some(100),
        max_age: Some(Duration::from_secs(30 * 86_400)),
        max_total_size: Some(1 << 30),
        compress: Some(Compression::Zstd),
    }
}

#[test]
fn every_key_is_read_from_toml() {
    assert_eq!(
        Config::from_toml_str(FULL_TOML, "t.toml").unwrap(),
        full_config()
    );
    for key in FILE_KEYS {
        assert!(
            FULL_TOML.contains(&format!("{key} =")) || FULL_TOML.contains(&format!("[{key}]")),
            "{key}"
        );
    }
}

#[test]
fn every_key_is_read_from_json() {
    let json = r#"{
        "level": "debug", "root_level": "error", "dir": "/var/log/app", "file_stem": "Shop",
        "max_size": 10485760, "backup_count": 9, "flush": "buffered", "flush_interval_ms": 250,
        "overflow": "drop",
        "file": false, "console": true, "console_level": "warn", "console_stream": "stderr", "color": "never",
        "format": "json", "console_format": "millisecond",
        "file_format": "{time} {level} {message}", "utc": true,
        "level_names": "python", "last_resort": false, "log_panics": false,
        "rotate": "hourly", "max_files": 100, "max_age": "30d", "max_total_size": "1 GiB",
        "compress": "zstd",
        "levels": {"app.db": "trace", "hyper::proto": "WARNING"},
        "syslog": {"address": "tcp://127.0.0.1:5514", "format": "rfc3164", "facility": "local2",
                   "app_name": "shop", "level": "info"},
        "journald": {"level": "error"}
    }"#;
    assert_eq!(
        Config::from_json_str(json, "t.json").unwrap(),
        full_config()
    );
}

#[test]
fn an_empty_file_sets_nothing() {
    assert_eq!(
        Config::from_toml_str("", "t.toml").unwrap(),
        Config::default()
    );
    assert_eq!(
        Config::from_json_str("{}", "t.json").unwrap(),
        Config::default()
    );
}

#[test]
fn formats_and_flush_spellings() {
    let read = |text: &str| Config::from_toml_str(text, "t.toml").unwrap();
    assert_eq!(
        read("format = \"millisecond\"").format,
        Some(FormatSpec::Millisecond)
    );
    assert_eq!(
        read("format = \"{time} {message}\"").format,
        Some(FormatSpec::Pattern("{time} {message}".into()))
    );
    assert_eq!(
        read("flush = \"every-record\"").flush,
        Some(FlushPolicy::EveryRecord)
    );
    assert_eq!(
        read("flush = \"background\"").flush,
        Some(FlushPolicy::background())
    );
    assert_eq!(
        read("overflow = \"drop\"").overflow,
        Some(logtree_sinks::Overflow::Drop)
    );
    assert_invalid(
        Config::from_toml_str("flush = \"background\"\noverflow = \"spill\"", "t.toml"),
        "t.toml",
        Some("overflow"),
        &["not an overflow policy", "line 2"],
    );
    assert_eq!(read("max_size = 0").max_size, Some(0));
    assert_eq!(read("max_size = \"1MB\"").max_size, Some(1_000_000));
    assert_eq!(
        read("console_stream = \"stdout\"").console_stream,
        Some(ConsoleStream::Stdout)
    );
    assert_eq!(read("color = \"always\"").color, Some(ColorMode::Always));
}

/// Asserts an `InvalidConfig` error naming `source`, `key`, and a reason containing `reason`.
fn assert_invalid(result: Result<Config, Error>, source: &str, key: Option<&str>, reason: &[&str]) {
    match result {
        Err(Error::InvalidConfig {
            source_name,
            key: k,
            reason: r,
        }) => {
            assert_eq!(source_name, source);
            assert_eq!(k.as_deref(), key, "reason: {r}");
            for part in reason {
                assert!(r.contains(part), "{r:?} lacks {part:?}");
            }
        }
        other => panic!("expected InvalidConfig, got {other:?}"),
    }
}

#[test]
fn bad_toml_values_name_the_file_the_key_and_the_place() {
    let toml = |text: &str| Config::from_toml_str(text, "app.toml");
    assert_invalid(
        toml("level = \"loud\""),
        "app.toml",
        Some("level"),
        &["invalid level \"loud\"", "line 1"],
    );
    assert_invalid(
        toml("\n\nmax_size = \"ten\""),
        "app.toml",
        Some("max_size"),
        &["not a size", "line 3"],
    );
    assert_invalid(
        toml("max_size = -5"),
        "app.toml",
        Some("max_size"),
        &["negative"],
    );
    assert_invalid(
        toml("max_size = 1.5"),
        "app.toml",
        Some("max_size"),
        &["whole number"],
    );
    assert_invalid(
        toml("backup_count = \"five\""),
        "app.toml",
        Some("backup_count"),
        &["invalid type"],
    );
    assert_invalid(
        toml("backup_count = 99999999999"),
        "app.toml",
        Some("backup_count"),
        &[],
    );
    assert_invalid(
        toml("flush = \"sometimes\""),
        "app.toml",
        Some("flush"),
        &["not a flush policy"],
    );
    assert_invalid(
        toml("console = \"yes\""),
        "app.toml",
        Some("console"),
        &["invalid type"],
    );
    assert_invalid(
        toml("color = \"pink\""),
        "app.toml",
        Some("color"),
        &["colour"],
    );
    assert_invalid(
        toml("console_stream = \"file\""),
        "app.toml",
        Some("console_stream"),
        &["stream"],
    );
    for key in ["format", "console_format", "file_format"] {
        assert_invalid(
            toml(&format!("{key} = \"fancy\"")),
            "app.toml",
            Some(key),
            &["neither"],
        );
    }
    assert_invalid(
        toml("file_format = \"{nope}\""),
        "app.toml",
        Some("file_format"),
        &["nope"],
    );
    assert_invalid(
        toml("file_stem = \"\""),
        "app.toml",
        Some("file_stem"),
        &["empty"],
    );
    assert_invalid(
        toml("file_stem = \"../x\""),
        "app.toml",
        Some("file_stem"),
        &["separator"],
    );
    assert_invalid(
        toml("flush_interval_ms = 0"),
        "app.toml",
        Some("flush_interval_ms"),
        &["is 0"],
    );
    assert_invalid(
        toml("[levels]\n\"a..b\" = \"info\""),
        "app.toml",
        Some("levels.a..b"),
        &["invalid logger name"],
    );
    assert_invalid(
        toml("[levels]\napp = \"chatty\""),
        "app.toml",
        Some("levels.app"),
        &["invalid level"],
    );
    assert_invalid(
        toml("max_bytes = 5"),
        "app.toml",
        Some("max_bytes"),
        &["unknown field `max_bytes`", "max_size"],
    );
    assert_invalid(toml("level = \"info"), "app.toml", None, &["line 1"]);
    assert_invalid(
        toml("levels = 3"),
        "app.toml",
        Some("levels"),
        &["invalid type"],
    );
}

#[test]
fn bad_json_values_name_the_file_the_key_and_the_place() {
    let json = |text: &str| Config::from_json_str(text, "app.json");
    assert_invalid(
        json("{\n  \"max_size\": \"ten\"\n}"),
        "app.json",
        Some("max_size"),
        &["not a size", "line 2"],
    );
    assert_invalid(
        json("{\"level\": 3}"),
        "app.json",
        Some("level"),
        &["invalid type"],
    );
    assert_invalid(
        json("{\"levels\": {\"app\": \"x\"}}"),
        "app.json",
        Some("levels.app"),
        &["invalid level"],
    );
    assert_invalid(
        json("{\"dir\": \"logs\""),
        "app.json",
        None,
        &["EOF", "line 1"],
    );
    assert_invalid(json("{} {}"), "app.json", None, &["trailing"]);
    assert_invalid(json("[]"), "app.json", None, &["expected a JSON object"]);
    assert_invalid(json(""), "app.json", None, &["expected a JSON object"]);
}

#[test]
fn files_are_read_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("logtree.toml");
    std::fs::write(&toml, "backup_count = 2").unwrap();
    assert_eq!(Config::from_file(&toml).unwrap().backup_count, Some(2));
    let json = dir.path().join("logtree.JSON");
    std::fs::write(&json, "{\"backup_count\": 3}").unwrap();
    assert_eq!(Config::from_file(&json).unwrap().backup_count, Some(3));

    let missing = dir.path().join("missing.toml");
    match Config::from_file(&missing) {
        Err(err @ Error::ReadConfig { .. }) => {
            let text = err.to_string();
            assert!(text.starts_with("cannot read configuration file"), "{text}");
            assert!(!text.contains("log file"), "{text}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(Config::from_optional_file(&missing).unwrap(), None);
    assert_eq!(
        Config::from_optional_file(&toml)
            .unwrap()
            .unwrap()
            .backup_count,
        Some(2)
    );
    std::fs::write(&toml, "backup_count = [").unwrap();
    let err = Config::from_file(&toml).unwrap_err().to_string();
    assert!(
        err.contains("logtree.toml") && err.contains("line 1"),
        "{err}"
    );
}

fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn environment_variables() {
    let config = Config::from_env_with(env(&[
        ("LOGTREE_DIR", "/tmp/elsewhere"),
        ("RUST_LOG", "debug,hyper=info,app::db=warn"),
        ("LOGTREE_LEVEL", "error,app.db=trace"),
    ]))
    .unwrap();
    assert_eq!(config.dir, Some(PathBuf::from("/tmp/elsewhere")));
    // LOGTREE_LEVEL is applied after RUST_LOG, item by item.
    assert_eq!(config.level, Some(LevelFilter::Error));
    assert_eq!(config.levels["app.db"], LevelFilter::Trace);
    assert_eq!(config.levels["hyper"], LevelFilter::Info);
    assert_eq!(Config::from_env_with(env(&[])).unwrap(), Config::default());
}

#[test]
fn bad_environment_values_name_the_variable_and_item() {
    let check = |vars, source, key: &str, reason| match Config::from_env_with(env(vars)) {
        Err(Error::InvalidConfig {
            source_name,
            key: k,
            reason: r,
        }) => {
            assert_eq!(source_name, source);
            assert_eq!(k.as_deref(), Some(key));
            assert!(r.contains(reason), "{r}");
        }
        other => panic!("{other:?}"),
    };
    check(
        &[("RUST_LOG", "info,app=noisy")],
        "RUST_LOG",
        "app=noisy",
        "invalid logging spec 'noisy'",
    );
    check(
        &[("LOGTREE_LEVEL", "a b=info")],
        "LOGTREE_LEVEL",
        "a b=info",
        "invalid logger name",
    );
    assert!(matches!(
        Config::from_env_with(env(&[("LOGTREE_DIR", " ")])),
        Err(Error::InvalidConfig { ref source_name, .. }) if source_name == "LOGTREE_DIR"
    ));
}

#[test]
fn a_bad_variable_is_left_out_and_the_others_kept() {
    let (config, errors) = Config::from_env_skipping_errors(env(&[
        ("RUST_LOG", "info,app=noisy"),
        ("LOGTREE_LEVEL", "my_crate,app.db=debug"),
        ("LOGTREE_DIR", "/tmp/elsewhere"),
    ]));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0]
        .to_string()
        .starts_with("invalid configuration in RUST_LOG"));
    assert_eq!(config.level, None, "nothing of RUST_LOG is kept");
    assert_eq!(config.levels["my_crate"], LevelFilter::Trace);
    assert_eq!(config.levels["app.db"], LevelFilter::Debug);
    assert_eq!(config.dir, Some(PathBuf::from("/tmp/elsewhere")));
}

#[test]
fn later_layers_win_setting_by_setting() {
    let mut config = Config {
        level: Some(LevelFilter::Info),
        dir: Some("code-dir".into()),
        backup_count: Some(1),
        levels: [
            ("a".to_owned(), LevelFilter::Info),
            ("b".to_owned(), LevelFilter::Info),
        ]
        .into(),
        ..Config::default()
    };
    config.merge(
        Config::from_toml_str(
            "dir = \"file-dir\"\nbackup_count = 2\n[levels]\na = \"debug\"",
            "f",
        )
        .unwrap(),
    );
    config.merge(Config::from_env_with(env(&[("LOGTREE_DIR", "env-dir")])).unwrap());
    assert_eq!(config.level, Some(LevelFilter::Info), "code default kept");
    assert_eq!(config.backup_count, Some(2), "file over code");
    assert_eq!(
        config.dir,
        Some(PathBuf::from("env-dir")),
        "environment over file"
    );
    assert_eq!(config.levels["a"], LevelFilter::Debug);
    assert_eq!(config.levels["b"], LevelFilter::Info);
}

#[test]
fn what_is_not_a_small_regular_file_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // /dev/zero was read until memory ran out; a directory and a device fail before reading.
    for path in [Path::new("/dev/zero"), dir.path()] {
        let started = std::time::Instant::now();
        match Config::from_file(path) {
            Err(err @ Error::ReadConfig { .. }) => {
                assert!(err.to_string().contains("not a regular file"), "{err}")
            }
            other => panic!("{path:?}: {other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert!(
            Config::from_optional_file(path).is_err(),
            "present but unusable: {path:?}"
        );
    }
    let big = dir.path().join("big.toml");
    let comment = format!("# {}\n", "x".repeat(1000));
    std::fs::write(&big, comment.repeat(1100)).unwrap();
    let err = Config::from_file(&big).unwrap_err().to_string();
    assert!(
        err.contains("larger than a configuration file may be"),
        "{err}"
    );
}

#[test]
fn bad_rotation_retention_and_compression_values_name_the_key_and_the_place() {
    let toml = |text: &str| Config::from_toml_str(text, "app.toml");
    for (text, key, reason) in [
        ("rotate = \"weekly\"", "rotate", "not a rotation"),
        ("\nmax_age = \"30\"", "max_age", "no unit"),
        ("max_age = \"a month\"", "max_age", "not an age"),
        ("max_age = \"3 fortnights\"", "max_age", "unknown unit"),
        ("max_age = 30", "max_age", "an age such as"),
        ("max_total_size = \"lots\"", "max_total_size", "not a size"),
        ("max_total_size = -1", "max_total_size", "negative"),
        ("max_files = \"ten\"", "max_files", "invalid type"),
        ("max_files = -3", "max_files", ""),
        ("compress = \"bzip2\"", "compress", "not a compression"),
        ("utc = \"yes\"", "utc", "invalid type"),
    ] {
        let line = if text.starts_with('\n') {
            "line 2"
        } else {
            "line 1"
        };
        assert_invalid(toml(text), "app.toml", Some(key), &[reason, line, "column"]);
    }
    assert_invalid(
        Config::from_json_str("{\n \"compress\": \"lz4\"}", "app.json"),
        "app.json",
        Some("compress"),
        &["not a compression", "line 2"],
    );
    assert_invalid(
        Config::from_json_str("{\"max_age\": \"12 parsecs\"}", "app.json"),
        "app.json",
        Some("max_age"),
        &["unknown unit", "line 1"],
    );
}

#[test]
fn values_checked_beyond_their_type_still_give_line_and_column() {
    for (text, key, place) in [
        (
            "backup_count = 1\nflush_interval_ms = 0",
            "flush_interval_ms",
            "line 2 column 21",
        ),
        ("format = \"{nope}\"", "format", "line 1 column 10"),
        (
            "\nfile_format = \"fancy\"",
            "file_format",
            "line 2 column 15",
        ),
        ("file_stem = \"../x\"", "file_stem", "line 1 column 13"),
        ("[levels]\n\"a..b\" = \"info\"", "levels", "line 2 column 1"),
    ] {
        let err = Config::from_toml_str(text, "app.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("app.toml") && err.contains(key) && err.contains(place),
            "{text:?}: {err}"
        );
    }
    let json = "{\n  \"file_stem\": \"../x\"\n}";
    let err = Config::from_json_str(json, "app.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("file_stem") && err.contains("line 2 column"),
        "{err}"
    );
}

#[test]
fn zero_turns_a_retention_limit_off() {
    let config = Config::from_toml_str(
        "max_files = 0\nmax_age = \"0d\"\nmax_total_size = 0",
        "t.toml",
    )
    .unwrap();
    assert_eq!(config.max_files, Some(0));
    assert_eq!(config.max_age, Some(Duration::ZERO));
    assert_eq!(config.max_total_size, Some(0));
}
