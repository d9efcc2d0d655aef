//! The stem of the file names (the names themselves: `policy/names.rs`).

use logtree_core::Error;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
