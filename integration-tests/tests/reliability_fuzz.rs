//! Bad input is refused with a typed error, never a panic, and never writes outside the log
//! directory. Fuzzed with proptest:
//!
//! - logger names (setup, lookup, and as `log` targets) and level strings;
//! - configuration text through `Config::from_toml_str` / `from_json_str` (random text,
//!   key-value files with random keys, wrong types and huge numbers, truncated valid files),
//!   level directives through `Config::from_env_with`, and every configuration that parses, set
//!   up for real (`Setup::options`) in a temporary directory;
//! - rotating-file options: stems with `../x`, `/abs`, separators, NUL, empty; directories with
//!   `..`, NUL and non-UTF-8 bytes; `max_bytes` 0, 1, `u64::MAX`; `backup_count` 0, `u32::MAX`;
//!   zero buffer capacity or interval — each with a few records. The temporary directory's tree
//!   is compared before and after: every new path lies in the directory the sink was given.
//!
//! `PROPTEST_CASES` changes the number of cases (512 per property here by default).

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use integration_tests::log_dir::file_and_backups;
use logtree::config::{Config, FILE_KEYS};
use logtree::Setup;
use logtree_core::{
    validate_name, Error, Level, LevelFilter, LoggerTree, MemorySink, Record, SetupOptions, Sink,
};
use logtree_sinks::{FlushPolicy, RotatingFileSink};
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(512),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Every path below `root`, directories included.
fn tree_of(root: &Path) -> BTreeSet<PathBuf> {
    let mut all = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path.clone());
            }
            all.insert(path);
        }
    }
    all
}

/// `path` with `.` and `..` resolved lexically (no symlinks are involved in these tests).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Names and levels

fn names() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z.]{0,12}",
        "([a-zA-Z0-9_]{1,5}(\\.|::)){0,4}[a-z]{0,5}",
        "[a-z. \\t\\n\\x00\\x1b\\u{85}\\u{2028}]{0,10}",
        "\\PC{0,16}",
    ]
}

fn level_texts() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(?i)(trace|debug|info|warn|warning|error|critical|off|none)",
        " ?(?i)(trace|debug|info|warn|error|off)[ \\x00]?",
        "[a-zA-Z ]{0,9}",
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn logger_names_are_accepted_or_refused_with_a_typed_error(name in names()) {
        let tree = LoggerTree::new();
        let mem = MemorySink::new();
        // Names holding `:` may be taken as given or mapped (`::` to `.`) or refused; any other
        // name is accepted exactly when `validate_name` accepts it.
        let mapped = logtree_core::target_to_name(&name).into_owned();
        let colons = name.contains(':');
        let valid = validate_name(&name).is_ok();
        match tree.setup_logger(&name, SetupOptions::new().level(LevelFilter::Info).sink(mem.clone())) {
            Ok(logger) => {
                prop_assert!(valid || colons);
                prop_assert!(validate_name(logger.name()).is_ok());
                prop_assert!(logger.name() == name || logger.name() == mapped, "{:?}", logger.name());
                logger.info(format_args!("direct"));
                prop_assert_eq!(mem.len(), 1);
                prop_assert!(tree.logger(&name).unwrap().same_as(&logger));
            }
            Err(Error::InvalidName { name: refused, .. }) => {
                prop_assert!(!valid || colons);
                prop_assert!(refused == name || refused == mapped, "{refused:?}");
                prop_assert_eq!(tree.logger_names(), vec![String::new()], "nothing changed");
            }
            Err(other) => prop_assert!(false, "not a typed name error: {other}"),
        }
        // As a `log` target, any text reaches some logger (the root if need be), never a panic.
        let root = MemorySink::new();
        tree.root().set_level(Some(LevelFilter::Trace));
        tree.setup_logger("", SetupOptions::new().sink(root.clone())).unwrap();
        let record = log::Record::builder()
            .target(&name)
            .level(log::Level::Error)
            .args(format_args!("via target"))
            .build();
        prop_assert!(log::Log::enabled(&tree, record.metadata()));
        log::Log::log(&tree, &record);
        prop_assert_eq!(root.len(), 1, "the root sees every record once");
    }

    #[test]
    fn level_strings_parse_or_give_a_typed_error(text in level_texts()) {
        match text.parse::<LevelFilter>() {
            Ok(level) => prop_assert_eq!(level.to_string().parse::<LevelFilter>().unwrap(), level),
            Err(Error::InvalidLevel { value }) => prop_assert_eq!(value, text.clone()),
            Err(other) => prop_assert!(false, "not a typed level error: {other}"),
        }
        match text.parse::<Level>() {
            Ok(level) => prop_assert!(text.parse::<LevelFilter>().is_ok(), "{level}"),
            Err(Error::InvalidLevel { value }) => prop_assert_eq!(value, text.clone()),
            Err(other) => prop_assert!(false, "not a typed level error: {other}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration text

const VALID_TOML: &str = r#"level = "info"
root_level = "warn"
dir = "logs"
file_stem = "App"
max_size = "10 MiB"
backup_count = 5
flush = "buffered"
flush_interval_ms = 1000
file = true
console = true
console_level = "warn"
console_stream = "stderr"
color = "never"
format = "{time} [{level}] {logger}: {message}{kv}"
utc = true

[levels]
"app.db" = "debug"
"hyper::proto" = "warn"
"#;

const VALID_JSON: &str = r#"{"level": "info", "root_level": "warn", "dir": "logs",
 "file_stem": "App", "max_size": "1MB", "backup_count": 3, "flush": "every-record",
 "flush_interval_ms": 10, "file": true, "console": false, "console_level": "error",
 "console_stream": "stdout", "color": "auto", "format": "json", "utc": false,
 "levels": {"app.db": "debug", "app::net": "trace"}}"#;

/// A value of some type, often the wrong one, sometimes huge.
fn toml_values() -> impl Strategy<Value = String> {
    prop_oneof![
        "\"[a-zA-Z0-9 ._{}\\\\/-]{0,16}\"",
        Just("\"10 MiB\"".to_owned()),
        Just("\"99999999999999999999 GiB\"".to_owned()),
        Just("\"18446744073709551615\"".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("-1".to_owned()),
        Just("1e400".to_owned()),
        Just("nan".to_owned()),
        Just("-inf".to_owned()),
        Just("4294967296".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("[1, \"a\", true]".to_owned()),
        Just("{ a = 1 }".to_owned()),
        Just("1979-05-27T07:32:00Z".to_owned()),
        "(?i)\"(trace|debug|info|warn|error|off|buffered|every-record|json|millisecond|auto|always|never|stdout|stderr)\"",
        "\"\\{[a-z]{0,8}\\}?\"",
    ]
}

fn keys() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(FILE_KEYS.to_vec()).prop_map(str::to_owned),
        1 => "[a-z_]{1,12}",
    ]
}

fn toml_texts() -> impl Strategy<Value = String> {
    let file = (
        proptest::collection::vec((keys(), toml_values()), 0..8),
        proptest::collection::vec(("\\PC{0,12}", toml_values()), 0..4),
    )
        .prop_map(|(pairs, levels)| {
            let mut text: String = pairs.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
            if !levels.is_empty() {
                text += "[levels]\n";
                for (name, value) in levels {
                    text += &format!("{name:?} = {value}\n");
                }
            }
            text
        });
    let truncated = (0..VALID_TOML.len()).prop_map(|n| VALID_TOML[..n].to_owned());
    prop_oneof![
        3 => file,
        2 => truncated,
        1 => any::<String>(),
        1 => "[a-z_ =\"\\[\\]{}.,0-9\\n#]{0,80}",
    ]
}

fn json_values() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "\"[a-zA-Z0-9 ._{}/-]{0,16}\"",
        Just("null".to_owned()),
        Just("18446744073709551616".to_owned()),
        Just("1e400".to_owned()),
        Just("-1".to_owned()),
        Just("4294967296".to_owned()),
        Just("\"99999999999999999999 GiB\"".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "(?i)\"(trace|debug|info|warn|error|off|buffered|every-record|json|auto|stdout)\"",
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3)
                .prop_map(|v| format!("[{}]", v.join(","))),
            proptest::collection::vec(("[a-z.:]{1,8}", inner), 0..3).prop_map(|v| {
                let fields: Vec<String> = v.iter().map(|(k, x)| format!("\"{k}\": {x}")).collect();
                format!("{{{}}}", fields.join(","))
            }),
        ]
    })
}

fn json_texts() -> impl Strategy<Value = String> {
    let object = proptest::collection::vec((keys(), json_values()), 0..8).prop_map(|pairs| {
        let fields: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        format!("{{{}}}", fields.join(", "))
    });
    let truncated = (0..VALID_JSON.len()).prop_map(|n| VALID_JSON[..n].to_owned());
    prop_oneof![
        3 => object,
        2 => truncated,
        1 => json_values(),
        1 => any::<String>(),
    ]
}

/// A parsed configuration, set up for real in `dir` (no console, no environment): a typed
/// error or sinks whose files all lie in `dir`.
fn set_up_in(config: Config, root: &Path) -> Result<(), TestCaseError> {
    let logs = root.join("logs");
    let before = tree_of(root);
    let result = Setup::new()
        .config(config)
        .dir(&logs)
        .console(false)
        .ignore_env()
        .options();
    match result {
        Ok((_, options)) => {
            let tree = LoggerTree::new();
            let app = tree.setup_logger("app", options).unwrap();
            app.error(format_args!("configured"));
            match tree.flush() {
                Ok(()) => {}
                // A `journald` or `syslog` table sends to a daemon this host may not run: its
                // records wait, bounded, and flush says so; files must still flush.
                Err(Error::Flush { target, .. })
                    if target.starts_with("journald") || target.starts_with("syslog") => {}
                Err(other) => prop_assert!(false, "flush failed: {other:?}"),
            }
        }
        Err(
            Error::InvalidOption { .. }
            | Error::InvalidConfig { .. }
            | Error::CreateDir { .. }
            | Error::OpenFile { .. },
        ) => {}
        Err(other) => prop_assert!(false, "unexpected error kind: {other:?}"),
    }
    for path in tree_of(root).difference(&before) {
        prop_assert!(
            *path == logs || path.starts_with(&logs),
            "written outside the log directory: {}",
            path.display()
        );
    }
    Ok(())
}

/// What parsing the configuration `source` gave: a configuration, set up for real
/// ([`set_up_in`] a new temporary directory), or a typed error naming `source` with a reason.
fn parsed_or_typed_error(parsed: Result<Config, Error>, source: &str) -> Result<(), TestCaseError> {
    match parsed {
        Ok(config) => {
            let root = tempfile::tempdir().unwrap();
            set_up_in(config, root.path())?;
        }
        Err(Error::InvalidConfig {
            source_name,
            reason,
            ..
        }) => {
            prop_assert_eq!(source_name, source);
            prop_assert!(!reason.is_empty());
        }
        Err(other) => prop_assert!(false, "not a typed configuration error: {other:?}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn toml_configuration_parses_or_gives_a_typed_error(text in toml_texts()) {
        parsed_or_typed_error(Config::from_toml_str(&text, "fuzz.toml"), "fuzz.toml")?;
    }

    #[test]
    fn json_configuration_parses_or_gives_a_typed_error(text in json_texts()) {
        parsed_or_typed_error(Config::from_json_str(&text, "fuzz.json"), "fuzz.json")?;
    }

    #[test]
    fn level_directives_parse_or_give_a_typed_error(
        text in prop_oneof![
            any::<String>(),
            "([a-z:.]{0,8}=?(?i)(trace|debug|info|warn|error|off|x)?,?){0,4}",
        ],
        variable in proptest::sample::select(vec!["RUST_LOG", "LOGTREE_LEVEL", "LOGTREE_DIR"]),
    ) {
        let env = |name: &str| (name == variable).then(|| text.clone());
        match Config::from_env_with(env) {
            Ok(config) => {
                for name in config.levels.keys() {
                    prop_assert!(validate_name(name).is_ok(), "{name:?}");
                }
            }
            Err(Error::InvalidConfig { source_name, .. }) => prop_assert_eq!(source_name, variable),
            Err(other) => prop_assert!(false, "not a typed configuration error: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rotating-file options

fn stems() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z0-9_.-]{1,12}",
        1 => Just(String::new()),
        1 => Just("../x".to_owned()),
        1 => Just("/abs".to_owned()),
        1 => Just("a/b".to_owned()),
        1 => Just("a\\b".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just(".".to_owned()),
        1 => Just("a\0b".to_owned()),
        1 => Just("x/../../y".to_owned()),
        2 => "\\PC{0,12}",
        2 => any::<String>(),
    ]
}

/// A directory below the test's base, as bytes: plain, dotted, with NUL, not UTF-8.
fn dirs() -> impl Strategy<Value = OsString> {
    prop_oneof![
        3 => "[a-z]{1,6}(/[a-z]{1,6}){0,2}".prop_map(OsString::from),
        1 => Just(OsString::new()),
        1 => Just(OsString::from(".")),
        1 => Just(OsString::from("a/../b")),
        1 => Just(OsString::from("../sibling")),
        1 => Just(OsString::from("a\0b")),
        2 => proptest::collection::vec(1u8..=255, 1..12).prop_map(|mut bytes| {
            bytes.retain(|b| *b != b'/');
            if bytes.is_empty() {
                bytes.push(0xff);
            }
            OsString::from_vec(bytes)
        }),
    ]
}

fn policies() -> impl Strategy<Value = FlushPolicy> {
    prop_oneof![
        3 => Just(FlushPolicy::EveryRecord),
        2 => (1usize..200).prop_map(|capacity| FlushPolicy::Buffered {
            capacity,
            interval: Duration::from_secs(3600),
        }),
        1 => Just(FlushPolicy::Buffered { capacity: 0, interval: Duration::from_secs(1) }),
        1 => Just(FlushPolicy::Buffered { capacity: 10, interval: Duration::ZERO }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rotating_file_options_are_accepted_or_refused_and_stay_in_their_directory(
        stem in stems(),
        dir in dirs(),
        max_bytes in prop_oneof![Just(0u64), Just(1), Just(u64::MAX), 0u64..300, any::<u64>()],
        backup_count in prop_oneof![Just(0u32), Just(1), Just(u32::MAX), 0u32..6],
        policy in policies(),
        records in 0usize..8,
    ) {
        let outer = tempfile::tempdir().unwrap();
        let base = outer.path().join("base");
        std::fs::create_dir(&base).unwrap();
        let given = base.join(&dir);
        let before = tree_of(outer.path());
        let built = RotatingFileSink::builder(stem.clone())
            .dir(&given)
            .max_bytes(max_bytes)
            .backup_count(backup_count)
            .flush_policy(policy)
            .build();
        let allowed = normalize(&given);
        match built {
            Ok(sink) => {
                let path = sink.path();
                prop_assert_eq!(normalize(path.parent().unwrap()), allowed.clone());
                let mut ok = 0;
                for i in 0..records {
                    let logged = sink.log(
                        &Record::builder()
                            .logger("app")
                            .args(format_args!("record {i}"))
                            .build(),
                    );
                    if logged.is_ok() {
                        ok += 1;
                    }
                }
                let _ = sink.flush();
                drop(sink);
                // Every record logged is on disk if the backups could keep them all.
                let files = file_and_backups(&path);
                let lines: usize = files
                    .iter()
                    .map(|file| std::fs::read_to_string(file).unwrap().lines().count())
                    .sum();
                let files = files.len();
                prop_assert!(files as u64 <= u64::from(backup_count) + 1);
                if backup_count as usize >= records || max_bytes == 0 {
                    prop_assert_eq!(lines, ok, "records lost");
                } else {
                    prop_assert!(lines <= ok);
                }
            }
            Err(Error::InvalidOption { .. } | Error::CreateDir { .. } | Error::OpenFile { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind: {other:?}"),
        }
        // Directories named on the way (`a` of `a/../b`) may be created; files only inside.
        let on_the_way: Vec<PathBuf> = given.ancestors().map(normalize).collect();
        for path in tree_of(outer.path()).difference(&before) {
            let created_dir = path.is_dir() && on_the_way.contains(&normalize(path));
            let path = normalize(path);
            prop_assert!(
                path.starts_with(&allowed) || created_dir,
                "{} written outside {} (stem {stem:?})",
                path.display(),
                allowed.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Found by the fuzzing above: inputs accepted where they should map or be refused

/// `module_path!()` gives `app::db`; a logger set up under that name must receive the records
/// of target `app::db` (which the bridge maps to `app.db`), or the name must be refused.
#[test]
fn a_name_written_with_colons_is_mapped_or_refused() {
    let tree = LoggerTree::new();
    let mem = MemorySink::new();
    let set_up = tree.setup_logger(
        "app::db",
        SetupOptions::new()
            .level(LevelFilter::Info)
            .sink(mem.clone()),
    );
    match set_up {
        Err(Error::InvalidName { .. }) => {}
        Err(other) => panic!("not a typed name error: {other}"),
        Ok(logger) => {
            log::Log::log(
                &tree,
                &log::Record::builder()
                    .target("app::db")
                    .level(log::Level::Error)
                    .args(format_args!("from module app::db"))
                    .build(),
            );
            assert_eq!(
                mem.len(),
                1,
                "logger {:?} set up from `app::db` never sees the records of `app::db`",
                logger.name()
            );
        }
    }
}

/// A configuration file's bad value fails setup with an error naming the file and the key
/// (README, "Configuration file and environment"), also when the value only proves bad once
/// the sink is built.
#[test]
fn bad_values_in_a_configuration_file_are_refused_naming_the_file_and_key() {
    for (text, key) in [
        (
            "flush = \"buffered\"\nflush_interval_ms = 0\n",
            "flush_interval_ms",
        ),
        ("file_stem = \"../x\"\n", "file_stem"),
        ("file_stem = \"\"\n", "file_stem"),
    ] {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("app.toml");
        std::fs::write(&file, text).unwrap();
        let err = Setup::new()
            .config_file(&file)
            .dir(root.path().join("logs"))
            .console(false)
            .ignore_env()
            .options()
            .map(|_| ())
            .expect_err(text);
        let message = err.to_string();
        assert!(
            message.contains("app.toml") && message.contains(key),
            "{text:?}: the error names neither the file nor the key: {message}"
        );
    }
}
