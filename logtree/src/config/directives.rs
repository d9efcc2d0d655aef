//! `RUST_LOG`-style level directives: `info,app.db=debug,hyper::proto=warn`.

use logtree_core::{target_to_name, validate_name, LevelFilter};

/// Levels parsed from a directive string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Directives {
    /// A bare level: the level of the logger being set up.
    pub(crate) level: Option<LevelFilter>,
    /// `name=level` pairs, names with `::` turned into `.`.
    pub(crate) levels: Vec<(String, LevelFilter)>,
}

/// Parses comma-separated directives: a bare level, and `name=level` pairs; `::` in names is
/// accepted. Empty items are skipped. Returns the offending item and the reason on error.
pub(crate) fn parse_directives(text: &str) -> Result<Directives, (String, String)> {
    let mut directives = Directives::default();
    for item in text.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let fail = |reason: String| (item.to_owned(), reason);
        match item.split_once('=') {
            None => {
                directives.level = Some(item.parse().map_err(|e| fail(format!("{e}")))?);
            }
            Some((name, level)) => {
                let name = target_to_name(name.trim()).into_owned();
                if name.is_empty() {
                    return Err(fail("empty logger name before '='".to_owned()));
                }
                validate_name(&name).map_err(|e| fail(e.to_string()))?;
                let level = level.parse().map_err(|e| fail(format!("{e}")))?;
                directives.levels.push((name, level));
            }
        }
    }
    Ok(directives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_and_named_levels() {
        let d = parse_directives("info, app.db=debug,hyper::proto=WARN,,").unwrap();
        assert_eq!(d.level, Some(LevelFilter::Info));
        assert_eq!(
            d.levels,
            [
                ("app.db".to_owned(), LevelFilter::Debug),
                ("hyper.proto".to_owned(), LevelFilter::Warn)
            ]
        );
        assert_eq!(parse_directives("").unwrap(), Directives::default());
        assert_eq!(
            parse_directives("noisy=off").unwrap().levels,
            [("noisy".to_owned(), LevelFilter::Off)]
        );
    }

    #[test]
    fn names_the_bad_item() {
        for (text, item, reason) in [
            ("info,app=loud", "app=loud", "invalid level"),
            ("verbose", "verbose", "invalid level"),
            ("=debug", "=debug", "empty logger name"),
            ("a..b=info", "a..b=info", "invalid logger name"),
        ] {
            let (bad, why) = parse_directives(text).unwrap_err();
            assert_eq!(bad, item);
            assert!(why.contains(reason), "{text}: {why}");
        }
    }
}
