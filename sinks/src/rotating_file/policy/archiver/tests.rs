use std::collections::BTreeMap;
use std::time::Duration;

use super::super::compress::read_decompressed;
use super::super::{Compression, Retention, Rotation, Schedule};
use super::*;

const TODAY: &str = "App_2025-06-28.log";

fn archiver(dir: &Path, backup_count: u32, policies: Policies) -> Archiver {
    Archiver::new(dir.to_owned(), "App", policies, backup_count)
}

fn utc_daily() -> Schedule {
    Schedule {
        rotation: Rotation::Daily,
        utc: true,
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    fs::write(dir.join(name), text).unwrap();
}

/// Every file of the directory but the archiver's lock, by name, archives decompressed.
fn contents(dir: &Path) -> BTreeMap<String, String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().into_string().unwrap())
        .filter(|name| name != ".App.archiver.lock")
        .map(|name| {
            let form = if name.ends_with(".gz") {
                Form::Gzip
            } else if name.ends_with(".zst") {
                Form::Zstd
            } else {
                Form::Plain
            };
            let text = read_decompressed(&dir.join(&name), form).unwrap();
            (name, String::from_utf8(text).unwrap())
        })
        .collect()
}

fn expect(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

fn now() -> SystemTime {
    SystemTime::now()
}

#[test]
fn staged_roll_overs_become_backups_in_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, TODAY, "current");
    write(d, &format!("{TODAY}.1"), "b1");
    write(d, &format!("{TODAY}.2"), "b2");
    write(d, &format!("{TODAY}.roll-9"), "second");
    write(d, &format!("{TODAY}.roll-10"), "third"); // numeric order, not the text's
    write(d, &format!("{TODAY}.roll-5"), "first");
    write(d, "App_2025-06-27.log.roll-3", "yesterday's");
    archiver(d, 10, Policies::default())
        .run(&d.join(TODAY), now())
        .unwrap();
    assert_eq!(
        contents(d),
        expect(&[
            (TODAY, "current"),
            ("App_2025-06-28.log.1", "third"),
            ("App_2025-06-28.log.2", "second"),
            ("App_2025-06-28.log.3", "first"),
            ("App_2025-06-28.log.4", "b1"),
            ("App_2025-06-28.log.5", "b2"),
            ("App_2025-06-27.log.1", "yesterday's"),
        ])
    );
}

#[test]
fn backup_count_drops_the_oldest_and_zero_never_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for i in 1..=4 {
        write(d, &format!("{TODAY}.{i}"), &format!("b{i}"));
    }
    write(d, &format!("{TODAY}.roll-1"), "new");
    archiver(d, 3, Policies::default())
        .run(&d.join(TODAY), now())
        .unwrap();
    assert_eq!(
        contents(d),
        expect(&[
            ("App_2025-06-28.log.1", "new"),
            ("App_2025-06-28.log.2", "b1"),
            ("App_2025-06-28.log.3", "b2"),
        ])
    );
    write(d, &format!("{TODAY}.roll-2"), "kept");
    archiver(d, 0, Policies::default())
        .run(&d.join(TODAY), now())
        .unwrap();
    assert_eq!(
        contents(d),
        expect(&[
            ("App_2025-06-28.log.1", "kept"),
            ("App_2025-06-28.log.2", "new"),
            ("App_2025-06-28.log.3", "b1"),
            ("App_2025-06-28.log.4", "b2"),
        ])
    );
}

#[test]
fn a_shift_cut_short_is_completed_in_order() {
    // A crash during the shift for `roll-7`: `.1` was already moved to `.2` and `.2` to `.3`;
    // the staged file and the gap at `.1` remain.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, &format!("{TODAY}.2"), "b1");
    write(d, &format!("{TODAY}.3.gz.tmp"), "garbage");
    write(d, &format!("{TODAY}.roll-7"), "staged");
    write(d, &format!("{TODAY}.roll-8"), "staged later");
    let a = archiver(d, 5, Policies::default());
    a.run(&d.join(TODAY), now()).unwrap();
    let after = expect(&[
        ("App_2025-06-28.log.1", "staged later"),
        ("App_2025-06-28.log.2", "staged"),
        ("App_2025-06-28.log.3", "b1"),
    ]);
    assert_eq!(contents(d), after);
    a.run(&d.join(TODAY), now()).unwrap();
    assert_eq!(contents(d), after, "a second run changes nothing");
}

#[test]
fn compression_shifts_with_its_backup_and_round_trips() {
    for compression in [Compression::Gzip, Compression::Zstd] {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let ext = if compression == Compression::Gzip {
            "gz"
        } else {
            "zst"
        };
        let policies = Policies {
            compression,
            schedule: utc_daily(),
            ..Policies::default()
        };
        let a = archiver(d, 3, policies);
        write(d, TODAY, "current");
        write(d, "App_2025-06-27.log", "yesterday");
        for n in 1..=4 {
            write(d, &format!("{TODAY}.roll-{n}"), &format!("roll {n}"));
            a.run(&d.join(TODAY), now()).unwrap();
        }
        assert_eq!(
            contents(d),
            expect(&[
                (TODAY, "current"),
                (&format!("App_2025-06-27.log.{ext}"), "yesterday"),
                (&format!("{TODAY}.1.{ext}"), "roll 4"),
                (&format!("{TODAY}.2.{ext}"), "roll 3"),
                (&format!("{TODAY}.3.{ext}"), "roll 2"),
            ]),
            "{compression:?}"
        );
    }
}

#[test]
fn leftovers_of_a_crash_are_finished_or_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let policies = Policies {
        compression: Compression::Gzip,
        ..Policies::default()
    };
    let a = archiver(d, 5, policies);
    // A complete archive of `.1` whose plain file was not yet removed, a partial archive of
    // `.2`, and a period file written again after its archive was made.
    write(d, &format!("{TODAY}.1"), "one");
    write(d, &format!("{TODAY}.2"), "two");
    a.run(&d.join(TODAY), now()).unwrap();
    write(d, &format!("{TODAY}.1"), "one");
    write(d, &format!("{TODAY}.2.gz.tmp"), "half an arch");
    write(d, "App_2025-06-01.log", "old");
    write(d, "App_2025-06-01.log.gz.tmp", "half");
    a.run(&d.join(TODAY), now()).unwrap();
    write(d, "App_2025-06-01.log", "written again");
    a.run(&d.join(TODAY), now()).unwrap();
    assert_eq!(
        contents(d),
        expect(&[
            ("App_2025-06-28.log.1.gz", "one"),
            ("App_2025-06-28.log.2.gz", "two"),
            ("App_2025-06-01.log.gz", "old"),
            ("App_2025-06-01.log", "written again"),
        ])
    );
}

#[test]
fn retention_deletes_only_the_sinks_names_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let others = [
        "Other_2025-06-01.log",
        "Other_2025-06-01.log.1",
        "App_2025-06-01.log.bak",
        "App_2025-06-01.txt",
        "App-2025-06-01.log",
        "notes.md",
        "App_2025-06-01.log.01",
    ];
    let reset = || {
        for name in fs::read_dir(d).unwrap() {
            let _ = fs::remove_file(name.unwrap().path());
        }
        for other in others {
            write(d, other, "not the sink's");
        }
        fs::create_dir_all(d.join("App_2025-05-01.log.1")).unwrap();
        write(d, "App_2025-06-01.log", "1");
        write(d, "App_2025-06-02.log.2", "22");
        write(d, "App_2025-06-02.log.1", "333");
        write(d, "App_2025-06-02.log", "4444");
        write(d, TODAY, "55555");
    };
    let run = |retention: Retention| {
        reset();
        let policies = Policies {
            retention,
            schedule: utc_daily(),
            ..Policies::default()
        };
        archiver(d, 5, policies).run(&d.join(TODAY), now()).unwrap();
        let left = contents(d);
        for other in others {
            assert!(left.contains_key(other), "{other} survives {retention:?}");
        }
        assert!(d.join("App_2025-05-01.log.1").is_dir());
        let mut mine: Vec<String> = left
            .into_keys()
            .filter(|n| n.starts_with("App_") && !others.contains(&n.as_str()))
            .collect();
        mine.sort();
        mine
    };
    assert_eq!(
        run(Retention {
            max_files: 3,
            ..Retention::default()
        }),
        ["App_2025-06-02.log", "App_2025-06-02.log.1", TODAY],
        "the oldest first: day 1, then day 2's backup 2"
    );
    assert_eq!(
        run(Retention {
            max_total_size: 9,
            ..Retention::default()
        }),
        ["App_2025-06-02.log", TODAY]
    );
    assert_eq!(
        run(Retention {
            max_total_size: 1,
            ..Retention::default()
        }),
        [TODAY],
        "the current file is never deleted"
    );
    // The files were just written: by age, none is old until its period is over too.
    assert_eq!(
        run(Retention {
            max_age: Duration::from_secs(3600),
            ..Retention::default()
        })
        .len(),
        5
    );
}

#[test]
fn retention_by_age_needs_both_the_period_and_the_last_write_to_be_old() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let policies = Policies {
        retention: Retention {
            max_age: Duration::from_secs(7 * 86_400),
            ..Retention::default()
        },
        schedule: utc_daily(),
        ..Policies::default()
    };
    let a = archiver(d, 5, policies);
    write(d, "App_2025-06-01.log.1", "old day, old write");
    write(d, "App_2025-06-02.log", "old day, written since");
    write(d, "App_2025-06-25.log", "recent day");
    write(d, TODAY, "current");
    let set_mtime = |name: &str, t: SystemTime| {
        fs::File::options()
            .write(true)
            .open(d.join(name))
            .unwrap()
            .set_modified(t)
            .unwrap();
    };
    let day = |d: u32| -> SystemTime {
        chrono::NaiveDate::from_ymd_opt(2025, 6, d)
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .into()
    };
    set_mtime("App_2025-06-01.log.1", day(1));
    set_mtime("App_2025-06-02.log", day(27));
    set_mtime("App_2025-06-25.log", day(25));
    set_mtime(TODAY, day(28));
    a.run(&d.join(TODAY), day(28)).unwrap();
    let left: Vec<String> = contents(d).into_keys().collect();
    assert_eq!(
        left,
        ["App_2025-06-02.log", "App_2025-06-25.log", TODAY],
        "only the file both named and written more than 7 days ago goes"
    );
}

#[test]
fn hourly_files_are_ordered_by_hour() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let policies = Policies {
        retention: Retention {
            max_files: 3,
            ..Retention::default()
        },
        schedule: Schedule {
            rotation: Rotation::Hourly,
            utc: true,
        },
        ..Policies::default()
    };
    for name in [
        "App_2025-06-28T09.log",
        "App_2025-06-28T10.log.1",
        "App_2025-06-28T10.log",
        "App_2025-06-27T23.log",
        "App_2025-06-28T11.log",
    ] {
        write(d, name, name);
    }
    archiver(d, 5, policies)
        .run(&d.join("App_2025-06-28T11.log"), now())
        .unwrap();
    let left: Vec<String> = contents(d).into_keys().collect();
    assert_eq!(
        left,
        [
            "App_2025-06-28T10.log",
            "App_2025-06-28T10.log.1",
            "App_2025-06-28T11.log"
        ]
    );
}

#[test]
fn a_newer_periods_file_is_never_deleted_nor_compressed() {
    // The writer moved on to a new period after handing over the job.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, TODAY, "old current");
    write(d, "App_2025-06-29.log", "new current");
    let policies = Policies {
        retention: Retention {
            max_files: 1,
            ..Retention::default()
        },
        compression: Compression::Gzip,
        ..Policies::default()
    };
    archiver(d, 5, policies).run(&d.join(TODAY), now()).unwrap();
    assert_eq!(
        contents(d),
        expect(&[
            (TODAY, "old current"),
            ("App_2025-06-29.log", "new current")
        ])
    );
}

#[test]
fn a_failing_step_is_reported_and_later_staged_files_wait() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, &format!("{TODAY}.roll-1"), "first");
    write(d, &format!("{TODAY}.roll-2"), "second");
    // `.1` is a non-empty directory: the rename of the staged file onto it fails.
    fs::create_dir(d.join(format!("{TODAY}.1"))).unwrap();
    write(&d.join(format!("{TODAY}.1")), "x", "x");
    let a = archiver(d, 5, Policies::default());
    let err = a.run(&d.join(TODAY), now()).unwrap_err();
    assert!(matches!(err, Error::Rename { .. }), "{err}");
    let left: Vec<String> = contents(d).into_keys().collect();
    assert_eq!(
        left,
        [format!("{TODAY}.roll-1"), format!("{TODAY}.roll-2")],
        "the second waits for the first"
    );
    fs::remove_dir_all(d.join(format!("{TODAY}.1"))).unwrap();
    a.run(&d.join(TODAY), now()).unwrap();
    assert_eq!(
        contents(d),
        expect(&[
            ("App_2025-06-28.log.1", "second"),
            ("App_2025-06-28.log.2", "first"),
        ])
    );
}

#[test]
fn a_run_with_nothing_to_do_takes_no_lock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, TODAY, "current");
    write(d, &format!("{TODAY}.1"), "b1");
    let lock = d.join(".App.archiver.lock");
    archiver(d, 5, Policies::default())
        .run(&d.join(TODAY), now())
        .unwrap();
    assert!(
        !lock.exists(),
        "nothing staged, no retention, no compression"
    );
    write(d, &format!("{TODAY}.roll-1"), "new");
    archiver(d, 5, Policies::default())
        .run(&d.join(TODAY), now())
        .unwrap();
    assert!(lock.exists());
    assert_eq!(
        contents(d),
        expect(&[
            (TODAY, "current"),
            ("App_2025-06-28.log.1", "new"),
            ("App_2025-06-28.log.2", "b1"),
        ])
    );
}

#[test]
fn a_current_path_not_of_the_sinks_naming_protects_every_periods_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "App_2025-06-27.log", "a");
    write(d, "App_2025-06-27.log.1", "b");
    write(d, TODAY, "c");
    let policies = Policies {
        retention: Retention {
            max_files: 1,
            ..Retention::default()
        },
        ..Policies::default()
    };
    archiver(d, 5, policies)
        .run(&d.join("something-else.log"), now())
        .unwrap();
    assert_eq!(
        contents(d),
        expect(&[("App_2025-06-27.log", "a"), (TODAY, "c")])
    );
}
