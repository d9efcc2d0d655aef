//! File names: `<dir>/<stem>_<YYYY-MM-DD>.log` and its numbered backups.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Local, NaiveDate};
use logtree_core::Error;

use super::policy::names::LogName;
use super::policy::Period;

/// Checks a file stem: refuses one that is empty or that could name a file outside the log
/// directory (a path separator, `..`).
///
/// # Errors
/// [`Error::InvalidOption`] with the reason.
///
/// ```
/// assert!(logtree_sinks::validate_stem("App").is_ok());
/// assert!(logtree_sinks::validate_stem("../x").is_err());
/// ```
pub fn validate_stem(stem: &str) -> Result<(), Error> {
    let reason = if stem.is_empty() {
        "the file stem is empty"
    } else if stem.contains(['/', '\\']) || stem.chars().any(std::path::is_separator) {
        "the file stem contains a path separator"
    } else if stem.contains("..") {
        "the file stem contains `..`"
    } else {
        return Ok(());
    };
    Err(Error::InvalidOption {
        option: "stem".to_owned(),
        reason: format!("{reason}: {stem:?}"),
    })
}

/// The local date of `at`, as the file name shows it.
pub(crate) fn local_date(at: SystemTime) -> NaiveDate {
    DateTime::<Local>::from(at).date_naive()
}

/// `<dir>/<stem>_<YYYY-MM-DD>.log`.
pub(crate) fn file_path(dir: &Path, stem: &str, date: NaiveDate) -> PathBuf {
    dir.join(LogName::current(Period { date, hour: None }).render(stem))
}

/// `<file>.<n>`: backup 1 is the newest.
pub(crate) fn backup_path(file: &Path, n: u32) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_backup_names() {
        let date = NaiveDate::from_ymd_opt(2025, 6, 7).unwrap();
        let file = file_path(Path::new("logs"), "App", date);
        assert_eq!(file, Path::new("logs/App_2025-06-07.log"));
        assert_eq!(
            backup_path(&file, 1),
            Path::new("logs/App_2025-06-07.log.1")
        );
        assert_eq!(
            backup_path(&file, 12),
            Path::new("logs/App_2025-06-07.log.12")
        );
    }

    #[test]
    fn stems_are_checked() {
        for good in ["App", "my.app", "a-b_c", "v1.2"] {
            assert!(validate_stem(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "a\\b", "..", "a..b", "/abs"] {
            let err = validate_stem(bad).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidOption { option, .. } if option == "stem"),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn local_date_follows_the_local_zone() {
        let now = SystemTime::now();
        assert_eq!(local_date(now), Local::now().date_naive());
    }
}
