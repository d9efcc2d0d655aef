//! `RUST_LOG`-style level directives, in env_logger's full syntax:
//! `info,app.db=debug,hyper::proto=warn,my_crate/some regex`.
//!
//! The text is parsed by `env_filter`, env_logger's own parser, so that what env_logger
//! accepts is accepted here and means the same; each logger it names then gets the level
//! that `env_filter`'s filter gives that name, under its dotted name.

use logtree_core::{target_to_name, validate_name, LevelFilter};

/// Levels parsed from a directive string.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Directives {
    /// A bare level: the level of the logger being set up.
    pub(crate) level: Option<LevelFilter>,
    /// `name=level` pairs (a bare name is `name=trace`), names with `::` turned into `.`.
    pub(crate) levels: Vec<(String, LevelFilter)>,
    /// The `/regex` part: only records whose message matches it are written.
    pub(crate) message_filter: Option<String>,
}

/// Parses comma-separated directives as env_logger does: a bare level, `name=level`, a bare
/// `name` (every level), and an optional `/regex` at the end; `::` in names is accepted.
/// Returns the offending item (or the whole text) and the reason on error.
pub(crate) fn parse_directives(text: &str) -> Result<Directives, (String, String)> {
    let mut builder = env_filter::Builder::new();
    if let Err(err) = builder.try_parse(text) {
        // Name the item that env_filter refuses on its own, when one does (not so for a bad
        // regex or a second '/').
        let item = text
            .split(',')
            .map(str::trim)
            .find(|item| !item.contains('/') && env_filter::Builder::new().try_parse(item).is_err())
            .unwrap_or(text);
        return Err((item.to_owned(), err.to_string()));
    }
    let filter = builder.build();
    let (spec, regex) = match text.split_once('/') {
        Some((spec, regex)) => (spec, Some(regex.to_owned())),
        None => (text, None),
    };
    let mut directives = Directives {
        message_filter: regex,
        ..Directives::default()
    };
    for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let name = item.split('=').next().unwrap_or_default().trim();
        if !item.contains('=') {
            if let Ok(level) = name.parse::<log::LevelFilter>() {
                directives.level = Some(level.into());
                continue;
            }
        }
        if name.is_empty() {
            // `=debug`: env_filter reads a directive for every target, a bare level.
            directives.level = Some(level_of(&filter, name));
            continue;
        }
        let dotted = target_to_name(name).into_owned();
        validate_name(&dotted).map_err(|e| (item.to_owned(), e.to_string()))?;
        let level = level_of(&filter, name);
        directives.levels.retain(|(n, _)| *n != dotted);
        directives.levels.push((dotted, level));
    }
    Ok(directives)
}

/// The most verbose level `filter` lets through for the target `name`.
fn level_of(filter: &env_filter::Filter, name: &str) -> LevelFilter {
    // Most verbose first.
    [
        log::Level::Trace,
        log::Level::Debug,
        log::Level::Info,
        log::Level::Warn,
        log::Level::Error,
    ]
    .into_iter()
    .find(|&level| filter.enabled(&log::Metadata::builder().level(level).target(name).build()))
    .map_or(LevelFilter::Off, |level| level.to_level_filter().into())
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
    fn accepts_env_loggers_whole_syntax() {
        // A bare module name is every level of that module (failed setup before).
        let d = parse_directives("my_crate").unwrap();
        assert_eq!(d.levels, [("my_crate".to_owned(), LevelFilter::Trace)]);
        assert_eq!(d.level, None);
        // `name=` is every level too; a later directive for a name wins.
        let d = parse_directives("a=,b=info,b=error").unwrap();
        assert_eq!(
            d.levels,
            [
                ("a".to_owned(), LevelFilter::Trace),
                ("b".to_owned(), LevelFilter::Error)
            ]
        );
        // A `/regex` filters messages (failed setup before).
        let d = parse_directives("warn,app::db=debug/connect(ed|ing)").unwrap();
        assert_eq!(d.level, Some(LevelFilter::Warn));
        assert_eq!(d.levels, [("app.db".to_owned(), LevelFilter::Debug)]);
        assert_eq!(d.message_filter.as_deref(), Some("connect(ed|ing)"));
        assert_eq!(
            parse_directives("/x").unwrap().message_filter.as_deref(),
            Some("x")
        );
    }

    #[test]
    fn names_the_bad_item() {
        for (text, item, reason) in [
            ("info,app=loud", "app=loud", "invalid logging spec 'loud'"),
            ("a=b=c", "a=b=c", "invalid logging spec"),
            ("x/(", "x/(", "invalid regex"),
            ("a/b/c", "a/b/c", "too many '/'s"),
            ("a..b=info", "a..b=info", "invalid logger name"),
        ] {
            let (bad, why) = parse_directives(text).unwrap_err();
            assert_eq!(bad, item);
            assert!(why.contains(reason), "{text}: {why}");
        }
    }
}
