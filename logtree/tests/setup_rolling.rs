//! The rotation, retention and compression keys reach the file sink: from the builder, a
//! configuration file and `Setup`, each setting is the one the sink's writer was opened with
//! (a second sink on the same file with another value is refused, naming the value in force).

use std::path::Path;
use std::time::Duration;

use logtree::sinks::{Compression, RotatingFileSink, Rotation};
use logtree::{Error, LoggerTree, Setup};

fn quiet() -> Setup {
    Setup::new().console(false).ignore_env()
}

/// Builds a second sink on the file of the installed setup with `differ` applied and returns
/// the message of the refusal, which names the option and the value in force.
fn refusal(
    dir: &Path,
    option: &str,
    differ: impl FnOnce(
        logtree::sinks::RotatingFileSinkBuilder,
    ) -> logtree::sinks::RotatingFileSinkBuilder,
) -> String {
    let builder = RotatingFileSink::builder("App").dir(dir);
    match differ(builder).build() {
        Err(Error::InvalidOption { option: o, reason }) => {
            assert_eq!(o, option, "{reason}");
            reason
        }
        other => panic!("{option}: expected a refusal, got {other:?}"),
    }
}

#[test]
fn config_file_keys_reach_the_file_sink() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let config = dir.path().join("logtree.toml");
    std::fs::write(
        &config,
        format!(
            "dir = {:?}\nrotate = \"never\"\nutc = true\nmax_files = 30\nmax_age = \"12h\"\nmax_total_size = \"1 GiB\"\ncompress = \"gzip\"\n",
            logs.to_str().unwrap()
        ),
    )
    .unwrap();
    let tree = LoggerTree::new();
    let _app = quiet()
        .config_file(&config)
        .install_on(&tree, "app")
        .unwrap();
    // Each row of the sink's conflict check, against the value the file set.
    let same = |b: logtree::sinks::RotatingFileSinkBuilder| {
        b.rotate(Rotation::Never)
            .utc(true)
            .max_files(30)
            .max_age(Duration::from_secs(12 * 3600))
            .max_total_size(1 << 30)
            .compress(Compression::Gzip)
    };
    assert!(
        same(RotatingFileSink::builder("App").dir(&logs))
            .build()
            .is_ok(),
        "the same settings share the writer"
    );
    assert!(refusal(&logs, "rotate", |b| same(b).rotate(Rotation::Daily)).contains("= Never"));
    assert!(refusal(&logs, "utc", |b| same(b).utc(false)).contains("= true"));
    assert!(refusal(&logs, "max_files", |b| same(b).max_files(5)).contains("= 30"));
    assert!(refusal(&logs, "max_age", |b| same(b).max_age(Duration::ZERO)).contains("= 43200s"));
    assert!(
        refusal(&logs, "max_total_size", |b| same(b).max_total_size(0)).contains("= 1073741824")
    );
    assert!(refusal(&logs, "compress", |b| same(b).compress(Compression::Zstd)).contains("= Gzip"));
}

#[test]
fn setup_methods_reach_the_file_sink() {
    let dir = tempfile::tempdir().unwrap();
    let tree = LoggerTree::new();
    let _app = quiet()
        .dir(dir.path())
        .rotate(Rotation::Hourly)
        .max_files(7)
        .max_age(Duration::from_secs(90 * 60))
        .max_total_size(123)
        .compress(Compression::Zstd)
        .install_on(&tree, "app")
        .unwrap();
    let same = |b: logtree::sinks::RotatingFileSinkBuilder| {
        b.rotate(Rotation::Hourly)
            .max_files(7)
            .max_age(Duration::from_secs(90 * 60))
            .max_total_size(123)
            .compress(Compression::Zstd)
    };
    assert!(refusal(dir.path(), "compress", |b| same(b)
        .compress(Compression::None))
    .contains("= Zstd"));
    assert!(refusal(dir.path(), "max_total_size", |b| same(b).max_total_size(1)).contains("= 123"));
}

#[test]
fn a_bad_value_fails_setup_naming_file_key_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("logtree.toml");
    std::fs::write(&config, "dir = \"logs\"\nmax_age = \"forever\"\n").unwrap();
    let err = quiet()
        .dir(dir.path())
        .config_file(&config)
        .install_on(&LoggerTree::new(), "app")
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::InvalidConfig { .. }), "{text}");
    for part in ["logtree.toml", "\"max_age\"", "line 2", "column"] {
        assert!(text.contains(part), "{text:?} lacks {part:?}");
    }
}

#[test]
fn the_readme_configuration_example_is_a_valid_configuration() {
    let readme = include_str!("../../README.md");
    let block = readme
        .split_once("## Configuration file and environment")
        .and_then(|(_, section)| section.split("```toml\n").nth(1))
        .and_then(|rest| rest.split("```").next())
        .expect("a TOML block in the README");
    let config = logtree::config::Config::from_toml_str(block, "README.md").unwrap();
    assert_eq!(config.rotate, Some(Rotation::Daily));
    assert_eq!(config.max_age, Some(Duration::from_secs(30 * 86_400)));
    assert_eq!(config.max_total_size, Some(1 << 30));
    assert_eq!(config.compress, Some(Compression::Gzip));
}
