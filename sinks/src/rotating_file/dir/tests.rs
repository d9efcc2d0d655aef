//! The held directory: files in it whatever its name, and never through a link.

use super::*;

fn modes() -> Modes {
    Modes {
        file: 0o640,
        dir: 0o750,
    }
}

#[test]
fn files_are_made_renamed_listed_and_removed_in_the_directory_held() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("logs");
    let dir = LogDir::open(&path, modes()).unwrap();
    let (name, other) = (OsStr::new("a.log"), OsStr::new("b.log"));
    use std::io::Write;
    dir.open_log(name).unwrap().0.write_all(b"one\n").unwrap();
    // Moved away and replaced by a link: the directory held is the moved one.
    let moved = root.path().join("moved");
    std::fs::rename(&path, &moved).unwrap();
    std::fs::create_dir(root.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(root.path().join("elsewhere"), &path).unwrap();
    assert!(dir.replaced());
    dir.ensure_present().unwrap();
    dir.open_log(name).unwrap().0.write_all(b"two\n").unwrap();
    assert_eq!(
        std::fs::read_to_string(moved.join(name)).unwrap(),
        "one\ntwo\n"
    );
    dir.rename(name, other).unwrap();
    assert_eq!(dir.stat(other).unwrap().len, 8);
    assert!(dir.create_new(other).is_err(), "taken");
    dir.create_new(name).unwrap();
    let mut names = dir.entries().unwrap();
    names.sort();
    assert_eq!(names, [name, other]);
    dir.remove(other).unwrap();
    assert!(dir.open_read(other).is_err());
    assert_eq!(
        std::fs::read_dir(root.path().join("elsewhere"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn a_deleted_directory_is_made_again_but_never_through_a_link() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("logs");
    let dir = LogDir::open(&path, modes()).unwrap();
    std::fs::remove_dir(&path).unwrap();
    std::fs::create_dir(root.path().join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(root.path().join("elsewhere"), &path).unwrap();
    let err = dir.ensure_present().unwrap_err();
    assert!(err.to_string().contains("symbolic link"), "{err}");
    std::fs::remove_file(&path).unwrap();
    dir.ensure_present().unwrap();
    dir.open_log(OsStr::new("a.log")).unwrap();
    assert!(path.join("a.log").is_file());
    let link = dir.stat(OsStr::new("a.log")).unwrap();
    assert!(!link.symlink);
}
