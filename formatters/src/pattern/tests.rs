use std::time::{Duration, UNIX_EPOCH};

use logtree_core::Level;

use super::*;
use crate::MillisecondFormatter;

fn format(formatter: &PatternFormatter, message: &str) -> String {
    let kvs = [("user", "alice")];
    let mut out = Vec::new();
    formatter
        .format(
            &Record::builder()
                .level(Level::Debug)
                .logger("app.db")
                .target("app::db")
                .args(format_args!("{message}"))
                .module_path(Some("app::db"))
                .file(Some("src/db.rs"))
                .line(Some(42))
                .thread(3, Some("main"))
                .key_values(&kvs)
                .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_045))
                .build(),
            &mut out,
        )
        .unwrap();
    String::from_utf8(out).unwrap()
}

fn reason(layout: &str) -> String {
    match PatternFormatter::new(layout) {
        Err(Error::InvalidOption { option, reason }) => {
            assert_eq!(option, "layout");
            reason
        }
        other => panic!("{layout:?} gave {other:?}"),
    }
}

#[test]
fn every_placeholder() {
    let formatter = PatternFormatter::new(
        "{time}|{level}|{logger}|{target}|{message}|{module}|{file}|{line}|{thread}|{thread_id}|{kv}",
    )
    .unwrap()
    .utc();
    assert_eq!(
        format(&formatter, "hi"),
        "2025-06-27 14:25:23.045|DEBUG|app.db|app::db|hi|app::db|src/db.rs|42|main|3| user=alice\n"
    );
}

#[test]
fn the_default_layout_is_the_millisecond_line() {
    let pattern = PatternFormatter::default();
    assert_eq!(pattern.layout(), PatternFormatter::DEFAULT_LAYOUT);
    let want = {
        let kvs = [("user", "alice")];
        let mut out = Vec::new();
        MillisecondFormatter::new()
            .format(
                &Record::builder()
                    .level(Level::Debug)
                    .logger("app.db")
                    .args(format_args!("a\nb"))
                    .key_values(&kvs)
                    .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_045))
                    .build(),
                &mut out,
            )
            .unwrap();
        String::from_utf8(out).unwrap()
    };
    assert_eq!(format(&pattern, "a\nb"), want);
}

#[test]
fn strftime_times_and_python_equivalents() {
    let python_asctime = PatternFormatter::new("{time:%Y-%m-%d %H:%M:%S,%3f}")
        .unwrap()
        .utc();
    assert_eq!(format(&python_asctime, ""), "2025-06-27 14:25:23,045\n");
    let short = PatternFormatter::new("{time:%H:%M:%S%.3f} {time:%3f}")
        .unwrap()
        .zone(Zone::Fixed(chrono::FixedOffset::east_opt(3600).unwrap()));
    assert_eq!(format(&short, ""), "15:25:23.045 045\n");
    let spelled_out = PatternFormatter::new("{time:%Y-%m-%d %H:%M:%S%.3f}").unwrap();
    assert!(matches!(spelled_out.segments[..], [Segment::Time]));
}

#[test]
fn time_layouts_split_into_cached_seconds_and_fractions() {
    let formatter = PatternFormatter::new("{time:%Y-%m-%d %H:%M:%S,%3f} {time:%S%.3f|%.6f|%f|%s}")
        .unwrap()
        .utc();
    assert!(matches!(
        formatter.segments[..],
        [
            Segment::TimeSeconds(..),
            Segment::Millis,
            Segment::Literal(_),
            Segment::TimeSeconds(..),
            Segment::DotMillis,
            Segment::TimeSeconds(..),
            Segment::TimeItems(_),
            Segment::TimeSeconds(..),
            Segment::TimeItems(_),
            Segment::TimeSeconds(..),
        ]
    ));
    let line = |millis: u64| {
        let mut out = Vec::new();
        formatter
            .format(
                &Record::builder()
                    .timestamp(UNIX_EPOCH + Duration::from_millis(millis))
                    .build(),
                &mut out,
            )
            .unwrap();
        String::from_utf8(out).unwrap()
    };
    // Hits and misses, out of order, give what chrono gives.
    for millis in [
        1_751_034_323_045,
        1_751_034_323_999,
        1_751_034_324_000,
        1_751_034_323_001,
        1_751_034_325_500,
        1_751_034_323_045,
    ] {
        let at = chrono::DateTime::from_timestamp_millis(millis as i64).unwrap();
        let want = format!(
            "{} {}\n",
            at.format("%Y-%m-%d %H:%M:%S,%3f"),
            at.format("%S%.3f|%.6f|%f|%s")
        );
        assert_eq!(line(millis), want);
    }
}

#[test]
fn a_new_zone_forgets_text_cached_in_the_old_one() {
    let utc = PatternFormatter::new("{time:%H:%M}").unwrap().utc();
    assert_eq!(format(&utc, ""), "14:25\n");
    let plus_one = utc.zone(Zone::Fixed(chrono::FixedOffset::east_opt(3600).unwrap()));
    assert_eq!(format(&plus_one, ""), "15:25\n");
}

#[test]
fn braces_and_literals() {
    let formatter = PatternFormatter::new("{{literal}} {level} }}{{").unwrap();
    assert_eq!(format(&formatter, ""), "{literal} DEBUG }{\n");
    let formatter = PatternFormatter::new("").unwrap();
    assert_eq!(format(&formatter, "x"), "\n");
    let formatter = PatternFormatter::new("\t{message}\t").unwrap();
    assert_eq!(format(&formatter, "a\tb"), "\ta\\tb\t\n");
}

#[test]
fn bad_layouts_name_the_position() {
    assert_eq!(
        reason("{time} - {lvl}"),
        "unknown placeholder \"{lvl}\" at position 9 (known: time, level, logger, target, \
         message, module, file, line, thread, thread_id, kv)"
    );
    assert!(reason("{}").starts_with("unknown placeholder \"{}\" at position 0"));
    assert!(reason("é {message").starts_with("unclosed \"{\" at position 3"));
    assert!(reason("a } b").starts_with("unmatched \"}\" at position 2"));
    assert!(reason("{level:<5}")
        .starts_with("placeholder \"{level:<5}\" at position 0 takes no format"));
    assert_eq!(
        reason("x {time:%Q}"),
        "invalid time format \"%Q\" in \"{time:%Q}\" at position 2"
    );
    assert!(reason("{time:}").starts_with("invalid time format \"\""));
    assert!(reason("{time:%}").starts_with("invalid time format"));
}

#[test]
fn thread_falls_back_to_its_number_and_missing_call_sites_write_nothing() {
    let formatter = PatternFormatter::new("[{thread}] {module}:{file}:{line}").unwrap();
    let mut out = Vec::new();
    formatter
        .format(&Record::builder().thread(9, None).build(), &mut out)
        .unwrap();
    assert_eq!(out, b"[9] ::\n");
}

#[test]
fn escaping_of_fields_and_multiline_messages() {
    let formatter = PatternFormatter::new("{level} {message}{kv}").unwrap();
    assert_eq!(
        format(&formatter, "one\ntwo\x1b[0m"),
        "DEBUG one\\ntwo\\x1b[0m user=alice\n"
    );
    let formatter = formatter.multiline(true);
    assert_eq!(
        format(&formatter, "one\ntwo\x1b[0m"),
        "DEBUG one\n    two\\x1b[0m user=alice\n"
    );
    let formatter = PatternFormatter::new("{thread}|{file}").unwrap();
    let mut out = Vec::new();
    formatter
        .format(
            &Record::builder()
                .thread(1, Some("a\nb"))
                .file(Some("c\rd"))
                .build(),
            &mut out,
        )
        .unwrap();
    assert_eq!(out, b"a\\nb|c\\rd\n");
}
