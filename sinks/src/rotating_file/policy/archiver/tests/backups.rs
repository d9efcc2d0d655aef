//! Staged roll-overs, backup numbers, compression and what a crash left.

use super::*;

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
    // `.2`, and a past period's file written again after its archive was made.
    write(d, &format!("{TODAY}.1"), "one\n");
    write(d, &format!("{TODAY}.2"), "two\n");
    a.run(&d.join(TODAY), now()).unwrap();
    write(d, &format!("{TODAY}.1"), "one\n");
    write(d, &format!("{TODAY}.2.gz.tmp"), "half an arch");
    write(d, "App_2025-06-01.log", "old\n");
    write(d, "App_2025-06-01.log.gz.tmp", "half");
    a.run(&d.join(TODAY), now()).unwrap();
    let compressed = expect(&[
        ("App_2025-06-28.log.1.gz", "one\n"),
        ("App_2025-06-28.log.2.gz", "two\n"),
        ("App_2025-06-01.log.gz", "old\n"),
    ]);
    assert_eq!(contents(d), compressed);
    write(d, "App_2025-06-01.log", "written again\n");
    a.run(&d.join(TODAY), now()).unwrap();
    let appended = expect(&[
        ("App_2025-06-28.log.1.gz", "one\n"),
        ("App_2025-06-28.log.2.gz", "two\n"),
        ("App_2025-06-01.log.gz", "old\nwritten again\n"),
    ]);
    assert_eq!(contents(d), appended);
    // A crash after the appended archive was renamed into place, before the plain file
    // went: the next run removes the plain file, without appending it twice.
    write(d, "App_2025-06-01.log", "written again\n");
    a.run(&d.join(TODAY), now()).unwrap();
    assert_eq!(contents(d), appended);
}

#[test]
fn the_current_file_beside_an_archive_of_its_name_is_left_alone() {
    // The clock was set back to a period whose file was compressed: the writer writes that
    // name again. It is the current file: neither compressed, appended nor removed.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let policies = Policies {
        compression: Compression::Zstd,
        ..Policies::default()
    };
    fs::write(
        d.join("App_2025-06-01.log.zst"),
        zstd::encode_all(&b"before\n"[..], 1).unwrap(),
    )
    .unwrap();
    write(d, "App_2025-06-01.log", "after\n");
    let a = archiver(d, 5, policies);
    a.run(&d.join("App_2025-06-01.log"), now()).unwrap();
    let both = expect(&[
        ("App_2025-06-01.log.zst", "before\n"),
        ("App_2025-06-01.log", "after\n"),
    ]);
    assert_eq!(contents(d), both);
    assert!(!d.join(".App.archiver.lock").exists(), "no work, no lock");
    // Once the writer moved on, the file's records follow the archived ones.
    a.run(&d.join(TODAY), now()).unwrap();
    assert_eq!(
        contents(d),
        expect(&[("App_2025-06-01.log.zst", "before\nafter\n")])
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

/// A listing taken while a roll-over was staged may hold a later staged file and miss an
/// earlier one: a run finishes only the files staged up to the newest its first listing held,
/// so the earlier one, found by the second listing, is never overtaken.
#[test]
fn a_staged_file_a_listing_missed_is_not_overtaken() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, TODAY, "current");
    write(d, &format!("{TODAY}.roll-5"), "first");
    write(d, &format!("{TODAY}.roll-9"), "second");
    let a = archiver(d, 10, Policies::default());
    let mut names = a.scan().unwrap();
    let mut first = None;
    // As if the first listing held only roll-5 (roll-9 was staged while it ran).
    a.finish_staged(&mut names, Some(5), &mut first);
    assert!(first.is_none());
    assert_eq!(
        contents(d),
        expect(&[
            (TODAY, "current"),
            ("App_2025-06-28.log.1", "first"),
            ("App_2025-06-28.log.roll-9", "second"),
        ])
    );
    a.run(&d.join(TODAY), now()).unwrap();
    assert_eq!(
        contents(d),
        expect(&[
            (TODAY, "current"),
            ("App_2025-06-28.log.1", "second"),
            ("App_2025-06-28.log.2", "first"),
        ])
    );
}
