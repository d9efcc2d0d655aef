//! The roll-over at local midnight, with an injected clock.

use std::fs;

use super::super::Rotation;
use super::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, d).unwrap()
}

fn date_name(stem: &str, date: NaiveDate) -> String {
    format!("{stem}_{}.log", date.format("%Y-%m-%d"))
}

#[test]
fn the_file_takes_the_date_of_setup_and_keeps_it_without_midnight_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new(local(day(7), 23, 59, 59));
    let sink = builder(dir.path(), "App")
        .rotate(Rotation::Never)
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(name_of(&sink.path()), date_name("App", day(7)));
    log(&sink, "late").unwrap();
    clock.set(local(day(8), 0, 0, 1));
    log(&sink, "after midnight, same file").unwrap();
    assert_eq!(name_of(&sink.path()), date_name("App", day(7)));
    assert_eq!(files(dir.path()).len(), 1);
}

#[test]
fn midnight_starts_a_file_of_the_new_date_and_old_backups_keep_their_names() {
    for policy in policies() {
        let dir = tempfile::tempdir().unwrap();
        let clock = TestClock::new(local(day(7), 23, 0, 0));
        let sink = builder(dir.path(), "App")
            .max_bytes(4)
            .backup_count(3)
            .rotate(Rotation::Daily)
            .flush_policy(policy)
            .clock(clock.clone())
            .build()
            .unwrap();
        log(&sink, "a1").unwrap();
        log(&sink, "a2").unwrap();
        clock.set(local(day(7), 23, 59, 59));
        log(&sink, "a3").unwrap();
        clock.set(local(day(8), 0, 0, 0));
        log(&sink, "b1").unwrap();
        assert_eq!(
            name_of(&sink.path()),
            date_name("App", day(8)),
            "{policy:?}"
        );
        log(&sink, "b2").unwrap();
        clock.set(local(day(9), 12, 0, 0));
        log(&sink, "c1").unwrap();
        sink.flush().unwrap();

        let old = date_name("App", day(7));
        let new = date_name("App", day(8));
        let expected: BTreeMap<String, String> = [
            (backup(&old, 2), "a1\n"),
            (backup(&old, 1), "a2\n"),
            (old.clone(), "a3\n"),
            (backup(&new, 1), "b1\n"),
            (new.clone(), "b2\n"),
            (date_name("App", day(9)), "c1\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
        assert_eq!(files(dir.path()), expected, "{policy:?}");
    }
}

#[test]
fn a_restart_after_midnight_appends_to_that_dates_file() {
    let dir = tempfile::tempdir().unwrap();
    let clock = TestClock::new(local(day(7), 10, 0, 0));
    let first = builder(dir.path(), "App")
        .rotate(Rotation::Daily)
        .clock(clock.clone())
        .build()
        .unwrap();
    clock.set(local(day(8), 0, 30, 0));
    log(&first, "from the first run").unwrap();
    drop(first);
    let second = builder(dir.path(), "App")
        .rotate(Rotation::Daily)
        .clock(clock.clone())
        .build()
        .unwrap();
    log(&second, "from the second run").unwrap();
    assert_eq!(
        fs::read_to_string(second.path()).unwrap(),
        "from the first run\nfrom the second run\n"
    );
}
