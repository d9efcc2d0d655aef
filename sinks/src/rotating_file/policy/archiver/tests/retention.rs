//! Retention by each rule, beside files that are not the sink's.

use super::*;

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
