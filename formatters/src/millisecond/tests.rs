use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Local, Utc};
use logtree_core::Level;

use super::*;

/// 2025-06-27 14:25:23 UTC.
const SECS: u64 = 1_751_034_323;

fn line_at(formatter: &MillisecondFormatter, time: SystemTime, message: &str) -> String {
    let mut out = Vec::new();
    formatter
        .format(
            &Record::builder()
                .logger("app.utils.logger")
                .args(format_args!("{message}"))
                .timestamp(time)
                .build(),
            &mut out,
        )
        .unwrap();
    String::from_utf8(out).unwrap()
}

fn at_nanos(nanos: u32) -> SystemTime {
    UNIX_EPOCH + Duration::new(SECS, nanos)
}

#[test]
fn utc_line_with_milliseconds_000_001_999_truncated() {
    let utc = MillisecondFormatter::utc();
    for (nanos, ms) in [
        (0, "000"),
        (1_000_000, "001"),
        (999_000_000, "999"),
        (999_999_999, "999"),
        (123_999_999, "123"),
        (999_999, "000"),
    ] {
        assert_eq!(
            line_at(&utc, at_nanos(nanos), "message"),
            format!("2025-06-27 14:25:23.{ms} - app.utils.logger - INFO - message\n")
        );
    }
}

#[test]
fn midnight_and_new_year() {
    let utc = MillisecondFormatter::utc();
    let new_year = 1_735_689_600; // 2025-01-01 00:00:00 UTC
    let before = UNIX_EPOCH + Duration::new(new_year - 1, 999_999_999);
    let after = UNIX_EPOCH + Duration::new(new_year, 0);
    assert!(line_at(&utc, before, "x").starts_with("2024-12-31 23:59:59.999 - "));
    assert!(line_at(&utc, after, "x").starts_with("2025-01-01 00:00:00.000 - "));
    assert!(line_at(&utc, before, "x").starts_with("2024-12-31 23:59:59.999 - "));
}

#[test]
fn local_time_matches_chrono_local() {
    let local = MillisecondFormatter::new();
    for time in [
        at_nanos(5_000_000),
        UNIX_EPOCH + Duration::new(1_735_689_599, 999_000_000),
        UNIX_EPOCH + Duration::new(1_720_000_000, 0),
    ] {
        let want = DateTime::<Local>::from(time)
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string();
        assert!(line_at(&local, time, "x").starts_with(&want), "{want}");
    }
}

#[test]
fn uses_the_record_timestamp_not_the_time_of_formatting() {
    let line = line_at(&MillisecondFormatter::utc(), UNIX_EPOCH, "x");
    assert_eq!(
        line,
        "1970-01-01 00:00:00.000 - app.utils.logger - INFO - x\n"
    );
}

#[test]
fn out_of_order_records_each_get_their_own_second() {
    let utc = MillisecondFormatter::utc();
    for secs in [
        SECS,
        SECS - 1,
        SECS + 2,
        SECS,
        SECS + 3600,
        SECS - 86_400,
        SECS,
    ] {
        let time = UNIX_EPOCH + Duration::new(secs, 7_000_000);
        let want = DateTime::<Utc>::from(time)
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string();
        assert!(line_at(&utc, time, "x").starts_with(&want), "{want}");
    }
}

#[test]
fn levels_and_key_values() {
    let kvs: [(&str, logtree_core::log::kv::Value<'_>); 3] = [
        ("user", "alice".into()),
        ("rows", 3.into()),
        ("note", "two words".into()),
    ];
    for level in Level::ALL {
        let record = Record::builder()
            .level(level)
            .logger("app")
            .args(format_args!("done"))
            .key_values(&kvs)
            .timestamp(at_nanos(0))
            .build();
        let mut out = Vec::new();
        MillisecondFormatter::utc()
            .format(&record, &mut out)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "2025-06-27 14:25:23.000 - app - {} - done user=alice rows=3 note=\"two words\"\n",
                level.as_str()
            )
        );
    }
}

#[test]
fn a_message_cannot_forge_a_record_or_drive_a_terminal() {
    let line = line_at(
        &MillisecondFormatter::utc(),
        at_nanos(0),
        "ok\n2025-06-27 14:25:23.000 - app - ERROR - forged\r\x1b[2K\u{9b}31m",
    );
    assert_eq!(
        line,
        "2025-06-27 14:25:23.000 - app.utils.logger - INFO - \
         ok\\n2025-06-27 14:25:23.000 - app - ERROR - forged\\r\\x1b[2K\\u{9b}31m\n"
    );
}

#[test]
fn a_hand_built_logger_name_is_escaped_in_both_modes() {
    for formatter in [
        MillisecondFormatter::utc(),
        MillisecondFormatter::utc().multiline(true),
    ] {
        let record = Record::builder()
            .logger("evil\nname")
            .args(format_args!("a\nb"))
            .timestamp(at_nanos(0))
            .build();
        let mut out = Vec::new();
        formatter.format(&record, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(" - evil\\nname - INFO - a"), "{out}");
    }
}

#[test]
fn multiline_keeps_line_breaks_indented_but_escapes_terminal_controls() {
    let formatter = MillisecondFormatter::utc().multiline(true);
    assert_eq!(
        line_at(
            &formatter,
            at_nanos(0),
            "panic:\r\n  at main\n\tat \x1b[1mstart\r"
        ),
        "2025-06-27 14:25:23.000 - app.utils.logger - INFO - \
         panic:\n      at main\n    \tat \\x1b[1mstart\\r\n"
    );
}

#[test]
fn default_and_clone() {
    let time = at_nanos(0);
    assert_eq!(
        line_at(&MillisecondFormatter::default(), time, "x"),
        line_at(&MillisecondFormatter::new(), time, "x")
    );
    let utc = MillisecondFormatter::utc();
    let _warm = line_at(&utc, time, "x");
    assert_eq!(line_at(&utc.clone(), time, "x"), line_at(&utc, time, "x"));
    assert!(format!("{utc:?}").contains("Utc"));
}

#[test]
fn a_failing_display_in_the_message_is_an_error_not_a_panic() {
    struct Bad;
    impl std::fmt::Display for Bad {
        fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            Err(std::fmt::Error)
        }
    }
    let err = MillisecondFormatter::utc()
        .format(
            &Record::builder().args(format_args!("{}", Bad)).build(),
            &mut Vec::new(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Format { .. }));
}

const CHILD: &str = "LOGTREE_FORMATTERS_DST_CHILD";

/// Local time across the EU's 2025 daylight-saving changes, with `TZ` set in a child process
/// only (tests share the process environment): a POSIX rule, which chrono reads without a
/// time-zone database, and `Europe/Berlin` where the system has one.
#[test]
fn local_time_follows_daylight_saving_in_a_named_zone() {
    let exe = std::env::current_exe().unwrap();
    let mut zones = vec!["CET-1CEST,M3.5.0,M10.5.0/3"];
    if std::path::Path::new("/usr/share/zoneinfo/Europe/Berlin").exists() {
        zones.push("Europe/Berlin");
    }
    for tz in zones {
        let output = Command::new(&exe)
            .args([
                "--exact",
                "millisecond::tests::dst_child",
                "--ignored",
                "--test-threads=1",
            ])
            .env("TZ", tz)
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "TZ={tz}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
#[ignore = "run by local_time_follows_daylight_saving_in_a_named_zone, with TZ set"]
fn dst_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    // 2025-03-30 01:00:00 UTC and 2025-10-26 01:00:00 UTC.
    let spring = 1_743_296_400;
    let autumn = 1_761_440_400;
    let cases = [
        (spring - 1, 999_999_999, "2025-03-30 01:59:59.999"),
        (spring, 0, "2025-03-30 03:00:00.000"),
        (autumn - 1, 999_000_000, "2025-10-26 02:59:59.999"),
        (autumn, 0, "2025-10-26 02:00:00.000"),
        (autumn + 3600, 0, "2025-10-26 03:00:00.000"),
    ];
    let formatter = MillisecondFormatter::new();
    for &(secs, nanos, want) in cases.iter().chain(cases.iter().rev()) {
        let time = UNIX_EPOCH + Duration::new(secs, nanos);
        let line = line_at(&formatter, time, "x");
        assert!(line.starts_with(want), "{line} != {want}");
    }
}

#[test]
fn python_level_names_give_the_seeds_exact_line() {
    let python = MillisecondFormatter::utc().level_names(LevelNames::Python);
    let rust = MillisecondFormatter::utc();
    for (level, seed_name, rust_name) in [
        (Level::Error, "ERROR", "ERROR"),
        (Level::Warn, "WARNING", "WARN"),
        (Level::Info, "INFO", "INFO"),
        (Level::Debug, "DEBUG", "DEBUG"),
        (Level::Trace, "TRACE", "TRACE"),
    ] {
        let line = |formatter: &MillisecondFormatter| {
            let mut out = Vec::new();
            let record = Record::builder()
                .level(level)
                .logger("app.utils.logger")
                .args(format_args!("message"))
                .timestamp(at_nanos(123_000_000))
                .build();
            formatter.format(&record, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        // Python: "%(asctime)s.%(msecs)03d - %(name)s - %(levelname)s - %(message)s".
        assert_eq!(
            line(&python),
            format!("2025-06-27 14:25:23.123 - app.utils.logger - {seed_name} - message\n")
        );
        assert_eq!(
            line(&rust),
            format!("2025-06-27 14:25:23.123 - app.utils.logger - {rust_name} - message\n")
        );
    }
}

#[test]
fn no_field_or_line_can_be_faked() {
    let kvs = [("a=b c", "v")];
    let record = Record::builder()
        .level(Level::Info)
        .logger("app - ERROR - x")
        .args(format_args!("sep\u{2028}INFO forged \u{202e}gnp.exe"))
        .key_values(&kvs)
        .timestamp(at_nanos(0))
        .build();
    let mut out = Vec::new();
    MillisecondFormatter::utc()
        .format(&record, &mut out)
        .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2025-06-27 14:25:23.000 - app\\x20-\\x20ERROR\\x20-\\x20x - INFO - \
         sep\\u{2028}INFO forged \\u{202e}gnp.exe \"a=b c\"=v\n"
    );
}
