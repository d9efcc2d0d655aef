//! Symbolic links planted in the log directory (by whoever may write it) never lead the sink
//! into another file: not at the log file's name, not at a backup's, not at the setup probe's.

use std::fs;
use std::os::unix::fs::symlink;

use logtree_core::Error;

use super::super::current::probe_writable;
use super::*;

/// A directory outside the log directory with files the sink must never touch.
struct Victims {
    dir: tempfile::TempDir,
}

impl Victims {
    fn new(names: &[&str]) -> Victims {
        let dir = tempfile::tempdir().unwrap();
        for name in names {
            fs::write(
                dir.path().join(name),
                format!("{name} must stay as it is\n"),
            )
            .unwrap();
        }
        Victims { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Every victim still holds its text, and no file was added (through a dangling link).
    fn assert_untouched(&self, names: &[&str], context: &str) {
        let expected: BTreeMap<String, String> = names
            .iter()
            .map(|name| (name.to_string(), format!("{name} must stay as it is\n")))
            .collect();
        assert_eq!(files(self.dir.path()), expected, "{context}");
        assert_eq!(
            fs::read_dir(self.dir.path()).unwrap().count(),
            names.len(),
            "{context}"
        );
    }
}

fn is_symlink(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The error a refused link gives: `OpenFile`, naming the path, saying why.
fn assert_refused(err: &Error, path: &Path, context: &str) {
    assert!(
        matches!(err, Error::OpenFile { path: p, .. } if p == path),
        "{context}: {err}"
    );
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(
        text.contains("refuses to follow a symbolic link"),
        "{context}: {text}"
    );
}

#[test]
fn a_symlink_at_the_log_files_name_fails_setup() {
    let victims = Victims::new(&["config"]);
    let dir = tempfile::tempdir().unwrap();
    let path = path_of(&builder(dir.path(), "App").build().unwrap());
    fs::remove_file(&path).unwrap();
    // A link to a file that exists would be appended to; a dangling one would create its
    // target.
    for target in [victims.path("config"), victims.path("created")] {
        symlink(&target, &path).unwrap();
        let err = builder(dir.path(), "App").build().unwrap_err();
        assert_refused(&err, &path, &target.display().to_string());
        fs::remove_file(&path).unwrap();
    }
    victims.assert_untouched(&["config"], "setup");
}

#[test]
fn a_symlink_planted_after_setup_is_refused_when_the_file_is_reopened() {
    for policy in synchronous_policies() {
        let victims = Victims::new(&["config"]);
        let dir = tempfile::tempdir().unwrap();
        let sink = builder(dir.path(), "App")
            .flush_policy(policy)
            .build()
            .unwrap();
        let path = sink.path();
        log(&sink, "before").unwrap();
        sink.flush().unwrap();
        fs::remove_file(&path).unwrap();
        symlink(victims.path("config"), &path).unwrap();

        // Stamped past the window of setup: the check finds the link, and the reopen refuses
        // it, for this record and every later one while the link is there.
        let t = SystemTime::now() + Duration::from_secs(5);
        for msg in ["refused", "refused again"] {
            let err = log_at(&sink, msg, t).unwrap_err();
            assert_refused(&err, &path, &format!("{policy:?}"));
        }
        let _ = sink.flush();
        victims.assert_untouched(&["config"], &format!("{policy:?}"));

        // Once the link is gone, the sink creates a file of its own and goes on.
        fs::remove_file(&path).unwrap();
        // This call may also return the failure of the check, which no call returned yet.
        let _ = log_at(&sink, "after", t);
        log_at(&sink, "later", t).unwrap();
        sink.flush().unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "after\nlater\n",
            "{policy:?}"
        );
        assert!(!is_symlink(&path));
        victims.assert_untouched(&["config"], &format!("{policy:?}"));
    }
}

/// Links at `.1`, `.2` and `.<backup_count>` are renamed as links (never their targets) and
/// removed as links when they are the oldest backup; records only ever go to real files.
#[test]
fn symlinks_at_backup_names_are_moved_and_removed_never_followed() {
    const BACKUPS: u32 = 5;
    for policy in policies() {
        let names = ["one", "two"];
        let victims = Victims::new(&names);
        let dir = tempfile::tempdir().unwrap();
        // Each record `rN\n` is 3 bytes: every record after the first rolls over.
        let sink = builder(dir.path(), "App")
            .max_bytes(3)
            .backup_count(BACKUPS)
            .flush_policy(policy)
            .build()
            .unwrap();
        let path = sink.path();
        let name = name_of(&path);
        let planted = [
            (1, victims.path("one")),
            (2, victims.path("two")),
            // Dangling: following it would create a file.
            (BACKUPS, victims.path("created")),
        ];
        for (n, target) in &planted {
            symlink(target, dir.path().join(backup(&name, *n))).unwrap();
        }

        // 5 roll-overs: the links are shifted up, then removed one by one as the oldest.
        let records: Vec<String> = (0..=BACKUPS).map(|i| format!("r{i}")).collect();
        for record in &records {
            log(&sink, record).unwrap();
            sink.flush().unwrap();
            victims.assert_untouched(&names, &format!("{policy:?}, after {record}"));
        }

        let entries: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|entry| entry.unwrap().path())
            // The archiver's lock file.
            .filter(|path| !path.file_name().unwrap().to_string_lossy().starts_with('.'))
            .collect();
        assert!(
            entries.iter().all(|entry| !is_symlink(entry)),
            "{policy:?}: {entries:?}"
        );
        // Every record is in a real file: the newest in the file, the oldest in `.5`.
        let mut expected = BTreeMap::new();
        expected.insert(name.clone(), format!("r{BACKUPS}\n"));
        for n in 1..=BACKUPS {
            expected.insert(backup(&name, n), format!("r{}\n", BACKUPS - n));
        }
        assert_eq!(files(dir.path()), expected, "{policy:?}");
        assert_eq!(entries.len(), expected.len(), "{policy:?}");
    }
}

#[test]
fn the_setup_probe_never_opens_what_is_at_its_name() {
    let victims = Victims::new(&["config"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("App.log");
    let linked = dir.path().join("probe-linked");
    let dangling = dir.path().join("probe-dangling");
    let leftover = dir.path().join("probe-leftover");
    let free = dir.path().join("probe-free");
    symlink(victims.path("config"), &linked).unwrap();
    symlink(victims.path("created"), &dangling).unwrap();
    fs::write(&leftover, "a crashed process's probe").unwrap();

    let taken = [linked.clone(), dangling.clone(), leftover.clone()];
    probe_writable(
        dir.path(),
        &file,
        taken.iter().cloned().chain([free.clone()]),
    )
    .unwrap();
    victims.assert_untouched(&["config"], "probe");
    assert!(is_symlink(&linked) && is_symlink(&dangling));
    assert_eq!(
        fs::read_to_string(&leftover).unwrap(),
        "a crashed process's probe"
    );
    assert!(!free.exists(), "the probe is removed again");

    // Every name taken: an error naming the file and the directory, nothing touched.
    let err = probe_writable(dir.path(), &file, taken).unwrap_err();
    assert!(
        matches!(&err, Error::OpenFile { path, .. } if path == &file),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("every probe file name tried was taken"),
        "{err}"
    );
    victims.assert_untouched(&["config"], "probe");

    // A real setup leaves no probe behind.
    let logs = dir.path().join("logs");
    let sink = builder(&logs, "App").build().unwrap();
    let left: Vec<_> = fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, [sink.path()]);
}
