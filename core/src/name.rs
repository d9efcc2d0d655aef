//! Logger names: dotted, case-sensitive, validated once at setup.

use std::borrow::Cow;

use crate::Error;

/// Checks a logger name: the empty name (the root) or dot-separated segments that are
/// non-empty and hold no whitespace and no control characters. Names are case-sensitive.
///
/// # Errors
/// [`Error::InvalidName`] naming the rule the name breaks.
///
/// ```
/// use logtree_core::{validate_name, Error};
/// assert!(validate_name("app.utils.logger").is_ok());
/// assert!(validate_name("").is_ok()); // the root
/// assert!(matches!(validate_name("app..db"), Err(Error::InvalidName { .. })));
/// assert!(matches!(validate_name("my app"), Err(Error::InvalidName { .. })));
/// ```
pub fn validate_name(name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Ok(());
    }
    let reason = if name.split('.').any(str::is_empty) {
        Some("empty segment (leading, trailing or doubled '.')")
    } else if name.chars().any(char::is_whitespace) {
        Some("contains whitespace")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidName {
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

/// The logger name for a `log` target: `a::b::c` becomes `a.b.c`.
///
/// ```
/// assert_eq!(logtree_core::target_to_name("app::db::pool"), "app.db.pool");
/// assert_eq!(logtree_core::target_to_name("app.db"), "app.db");
/// ```
pub fn target_to_name(target: &str) -> Cow<'_, str> {
    if target.contains("::") {
        Cow::Owned(target.replace("::", "."))
    } else {
        Cow::Borrowed(target)
    }
}

/// The parent of a non-root name: `a.b.c` -> `a.b`, `a` -> `` (the root).
pub(crate) fn parent_name(name: &str) -> Option<&str> {
    if name.is_empty() {
        None
    } else {
        Some(name.rfind('.').map_or("", |dot| &name[..dot]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dotted_names() {
        for name in [
            "",
            "app",
            "app.utils.logger",
            "App.Db",
            "a-b.c_d",
            "crate-1.ünï",
        ] {
            assert!(validate_name(name).is_ok(), "{name:?}");
        }
    }

    #[test]
    fn rejects_bad_names_with_reason() {
        for (name, reason) in [
            (".", "empty segment"),
            ("app.", "empty segment"),
            (".app", "empty segment"),
            ("a..b", "empty segment"),
            ("a b", "whitespace"),
            ("a\tb", "whitespace"),
            ("a\u{1b}[31m", "control"),
            ("a\0", "control"),
        ] {
            match validate_name(name) {
                Err(Error::InvalidName { name: n, reason: r }) => {
                    assert_eq!(n, name);
                    assert!(r.contains(reason), "{name:?}: {r}");
                }
                other => panic!("{name:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn parents_walk_to_the_root() {
        assert_eq!(parent_name("a.b.c"), Some("a.b"));
        assert_eq!(parent_name("a"), Some(""));
        assert_eq!(parent_name(""), None);
    }

    #[test]
    fn targets_map_double_colons_to_dots() {
        assert_eq!(target_to_name("a::b::c"), "a.b.c");
        assert_eq!(target_to_name("plain"), "plain");
        assert!(matches!(target_to_name("plain"), Cow::Borrowed(_)));
    }
}
