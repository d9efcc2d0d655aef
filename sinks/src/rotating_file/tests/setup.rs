//! Naming, defaults, setup errors, restarts and shared writers.

use std::fs;
use std::sync::Arc;

use logtree_core::{Error, LevelFilter, LoggerTree, MemorySink, SetupOptions, Sink, SinkId};

use super::super::{Compression, Rotation};
use super::*;

#[test]
fn file_is_stem_and_local_date_of_setup_in_dir() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App").build().unwrap();
    let expected = format!("App_{}.log", Local::now().date_naive().format("%Y-%m-%d"));
    // The date may change between the two reads only at midnight; compare with the sink's.
    let name = name_of(&sink.path());
    assert!(
        name == expected
            || name == format!("App_{}.log", Local::now().date_naive().format("%Y-%m-%d")),
        "{name}"
    );
    assert_eq!(
        sink.path().parent().unwrap(),
        fs::canonicalize(dir.path()).unwrap()
    );
    assert!(sink.path().exists(), "the file is created at setup");
    assert_eq!(sink.id(), SinkId::new(sink.path().to_string_lossy()));
}

#[test]
fn defaults_are_the_documented_ones() {
    let dir = tempfile::tempdir().unwrap();
    let debug = format!("{:?}", RotatingFileSink::builder("App"));
    assert!(debug.contains("dir: \"logs\""), "{debug}");
    assert!(debug.contains("max_bytes: 1048576"), "{debug}");
    assert!(debug.contains("backup_count: 5"), "{debug}");
    assert!(debug.contains("flush_policy: EveryRecord"), "{debug}");
    assert!(debug.contains("rotate: Daily"), "{debug}");
    assert!(debug.contains("utc: false"), "{debug}");
    assert!(debug.contains("max_files: 0"), "{debug}");
    assert!(debug.contains("max_age: 0ns"), "{debug}");
    assert!(debug.contains("max_total_size: 0"), "{debug}");
    assert!(debug.contains("compress: None"), "{debug}");
    assert_eq!(super::super::DEFAULT_MAX_BYTES, 1_048_576);

    // The default directory is relative to the working directory; use it through a nested path
    // of the same shape instead of changing the process's working directory.
    let sink = RotatingFileSink::builder("Def")
        .dir(dir.path().join("logs"))
        .build()
        .unwrap();
    assert_eq!(sink.level(), LevelFilter::Trace);
    sink.log(
        &Record::builder()
            .logger("app.x")
            .args(format_args!("hello"))
            .build(),
    )
    .unwrap();
    let text = fs::read_to_string(sink.path()).unwrap();
    // The millisecond formatter is the default: `YYYY-MM-DD HH:MM:SS.mmm - app.x - INFO - hello`.
    assert_eq!(&text[23..], " - app.x - INFO - hello\n", "{text}");
    assert_eq!(text.as_bytes()[19], b'.');
}

#[test]
fn missing_directories_are_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c");
    let sink = builder(&nested, "App").build().unwrap();
    log(&sink, "x").unwrap();
    assert!(nested.is_dir());
    assert_eq!(fs::read_to_string(sink.path()).unwrap(), "x\n");
}

#[test]
fn restart_appends_and_counts_the_existing_size() {
    let dir = tempfile::tempdir().unwrap();
    let path = {
        let sink = builder(dir.path(), "App").max_bytes(10).build().unwrap();
        log(&sink, "abcd").unwrap();
        path_of(&sink)
    };
    // The first sink is gone: this is a new writer on the same file, as after a restart.
    let sink = builder(dir.path(), "App").max_bytes(10).build().unwrap();
    log(&sink, "efgh").unwrap();
    assert_eq!(fs::read_to_string(&path).unwrap(), "abcd\nefgh\n");
    // 10 bytes are there: one more byte would pass max_bytes, so the file rolls over.
    log(&sink, "i").unwrap();
    sink.flush().unwrap();
    let name = name_of(&path);
    let all = files(dir.path());
    assert_eq!(all[&name], "i\n");
    assert_eq!(all[&backup(&name, 1)], "abcd\nefgh\n");
}

#[test]
fn bad_stems_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for stem in ["", "a/b", "a\\b", "..", "x..y"] {
        let err = builder(dir.path(), stem).build().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidOption { option, .. } if option == "stem"),
            "{stem:?}: {err}"
        );
    }
    assert_eq!(
        files(dir.path()).len(),
        0,
        "nothing is created for a bad stem"
    );
}

#[test]
fn a_directory_that_is_a_file_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("taken");
    fs::write(&file, "").unwrap();
    for target in [file.clone(), file.join("below")] {
        let err = builder(&target, "App").build().unwrap_err();
        match &err {
            Error::CreateDir { path, .. } => assert_eq!(path, &target),
            other => panic!("expected CreateDir, got {other}"),
        }
        assert!(err.to_string().contains("taken"), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn an_unwritable_directory_is_refused_with_its_path() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    fs::create_dir(&locked).unwrap();
    // An existing log file that is itself writable: the directory still must be.
    let existing = builder(&locked, "Old").build().unwrap();
    let existing_path = existing.path();
    drop(existing);
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    let root_ignores_modes = fs::write(locked.join("probe"), "").is_ok();
    if !root_ignores_modes {
        for stem in ["Old", "New"] {
            let err = builder(&locked, stem).build().unwrap_err();
            match &err {
                Error::OpenFile { path, .. } => {
                    assert!(path.starts_with(fs::canonicalize(&locked).unwrap()))
                }
                other => panic!("expected OpenFile, got {other}"),
            }
            assert!(err.to_string().contains("locked"), "{err}");
        }
        assert!(existing_path.exists());
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    let uncreatable = locked.join("sub");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    if !root_ignores_modes {
        let err = builder(&uncreatable, "App").build().unwrap_err();
        assert!(
            matches!(&err, Error::CreateDir { path, .. } if path == &uncreatable),
            "{err}"
        );
    }
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn two_sinks_on_one_file_share_one_writer_and_identity() {
    let dir = tempfile::tempdir().unwrap();
    let a = builder(dir.path(), "Shared").max_bytes(6).build().unwrap();
    // Another spelling of the same directory.
    fs::create_dir(dir.path().join("sub")).unwrap();
    let b = builder(&dir.path().join(".").join("sub").join(".."), "Shared")
        .max_bytes(6)
        .build()
        .unwrap();
    assert_eq!(a.id(), b.id());
    assert!(Arc::ptr_eq(&a.writer, &b.writer));
    for i in 0..4 {
        log(&a, &format!("a{i}")).unwrap();
        log(&b, &format!("b{i}")).unwrap();
    }
    a.flush().unwrap();
    // One byte count for both: each file holds what fits in 6 bytes, in order.
    let name = name_of(&a.path());
    let all = files(dir.path());
    assert_eq!(all[&name], "a3\nb3\n");
    assert_eq!(all[&backup(&name, 1)], "a2\nb2\n");
    assert_eq!(all[&backup(&name, 2)], "a1\nb1\n");
    assert_eq!(all[&backup(&name, 3)], "a0\nb0\n");

    // The tree never attaches both to one logger, so no line is written twice.
    let tree = LoggerTree::new();
    let logger = tree
        .setup_logger(
            "app",
            SetupOptions::new().level(LevelFilter::Info).sink(a).sink(b),
        )
        .unwrap();
    logger.info(format_args!("once"));
    let all = files(dir.path());
    assert_eq!(all[&name].matches("once").count(), 1);
}

#[test]
fn sharing_a_writer_with_other_options_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _a = builder(dir.path(), "App").max_bytes(100).build().unwrap();
    let cases = [
        ("max_bytes", builder(dir.path(), "App").max_bytes(200)),
        (
            "backup_count",
            builder(dir.path(), "App").max_bytes(100).backup_count(1),
        ),
        (
            "rotate",
            builder(dir.path(), "App")
                .max_bytes(100)
                .rotate(Rotation::Hourly),
        ),
        ("utc", builder(dir.path(), "App").max_bytes(100).utc(true)),
        (
            "max_files",
            builder(dir.path(), "App").max_bytes(100).max_files(3),
        ),
        (
            "max_age",
            builder(dir.path(), "App")
                .max_bytes(100)
                .max_age(Duration::from_secs(60)),
        ),
        (
            "max_total_size",
            builder(dir.path(), "App").max_bytes(100).max_total_size(1),
        ),
        (
            "compress",
            builder(dir.path(), "App")
                .max_bytes(100)
                .compress(Compression::Zstd),
        ),
        (
            "flush_policy",
            builder(dir.path(), "App")
                .max_bytes(100)
                .flush_policy(FlushPolicy::buffered()),
        ),
    ];
    for (option, b) in cases {
        let err = b.build().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidOption { option: o, .. } if o == option),
            "{option}: {err}"
        );
    }
    // Formatter and level are the sink's own: they may differ.
    let c = RotatingFileSink::builder("App")
        .dir(dir.path())
        .max_bytes(100)
        .level(LevelFilter::Error)
        .build()
        .unwrap();
    assert_eq!(c.level(), LevelFilter::Error);
}

#[test]
fn a_sinks_own_level_is_checked_by_the_tree() {
    let dir = tempfile::tempdir().unwrap();
    let sink = builder(dir.path(), "App")
        .level(LevelFilter::Warn)
        .build()
        .unwrap();
    let path = sink.path();
    let memory = MemorySink::new();
    let tree = LoggerTree::new();
    let app = tree
        .setup_logger(
            "app",
            SetupOptions::new()
                .level(LevelFilter::Info)
                .sink(sink)
                .sink(memory.clone()),
        )
        .unwrap();
    app.info(format_args!("info"));
    app.warn(format_args!("warn"));
    assert_eq!(fs::read_to_string(path).unwrap(), "warn\n");
    assert_eq!(memory.len(), 2);
}

#[cfg(unix)]
#[test]
fn created_files_and_directories_get_the_default_modes() {
    let umask = umask();
    let dir = tempfile::tempdir().unwrap();
    let before = mode_of(dir.path());
    let nested = dir.path().join("a/b/c");
    let sink = builder(&nested, "App").max_bytes(2).build().unwrap();
    log(&sink, "a").unwrap();
    log(&sink, "b").unwrap();
    sink.flush().unwrap();
    assert_eq!(super::super::DEFAULT_FILE_MODE, 0o640);
    assert_eq!(super::super::DEFAULT_DIR_MODE, 0o750);
    for created in ["a", "a/b", "a/b/c"] {
        assert_eq!(
            mode_of(&dir.path().join(created)),
            0o750 & !umask,
            "{created}, umask {umask:o}"
        );
    }
    let name = name_of(&sink.path());
    for file in [name.clone(), backup(&name, 1)] {
        assert_eq!(
            mode_of(&nested.join(&file)),
            0o640 & !umask,
            "{file}, umask {umask:o}"
        );
    }
    assert_eq!(
        mode_of(dir.path()),
        before,
        "an existing directory keeps its mode"
    );
    let debug = format!("{:?}", RotatingFileSink::builder("App"));
    assert!(debug.contains("mode: 0o640, dir_mode: 0o750"), "{debug}");
}

#[cfg(unix)]
#[test]
fn an_existing_file_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = path_of(&builder(dir.path(), "App").build().unwrap());
    fs::set_permissions(&path, fs::Permissions::from_mode(0o604)).unwrap();
    let sink = builder(dir.path(), "App").build().unwrap();
    log(&sink, "appended").unwrap();
    assert_eq!(sink.path(), path);
    assert_eq!(mode_of(&path), 0o604);
}

#[cfg(unix)]
#[test]
fn created_files_and_directories_take_the_modes_set() {
    let umask = umask();
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("x/y");
    let sink = builder(&nested, "Secret")
        .mode(0o600)
        .dir_mode(0o700)
        .max_bytes(2)
        .build()
        .unwrap();
    log(&sink, "a").unwrap();
    log(&sink, "b").unwrap();
    sink.flush().unwrap();
    let name = name_of(&sink.path());
    for file in [name.clone(), backup(&name, 1)] {
        assert_eq!(mode_of(&nested.join(&file)), 0o600 & !umask, "{file}");
    }
    for created in ["x", "x/y"] {
        assert_eq!(
            mode_of(&dir.path().join(created)),
            0o700 & !umask,
            "{created}"
        );
    }
    // Sinks sharing the writer must agree on both modes.
    for (option, other) in [
        ("mode", builder(&nested, "Secret").dir_mode(0o700)),
        ("dir_mode", builder(&nested, "Secret").mode(0o600)),
    ] {
        let err = other.max_bytes(2).build().unwrap_err();
        assert!(
            matches!(&err, Error::InvalidOption { option: o, .. } if o == option),
            "{option}: {err}"
        );
    }
    builder(&nested, "Secret")
        .mode(0o600)
        .dir_mode(0o700)
        .max_bytes(2)
        .build()
        .unwrap();
}
