//! Property tests of the three formatters, through the public API only.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use logtree_core::log::kv;
use logtree_core::{Formatter, Record};
use logtree_formatters::{JsonFormatter, MillisecondFormatter, PatternFormatter, Zone};
use proptest::prelude::*;

// Shared across cases, so the per-second caches see random seconds in random order.
static UTC: LazyLock<MillisecondFormatter> = LazyLock::new(MillisecondFormatter::utc);
static LOCAL: LazyLock<MillisecondFormatter> = LazyLock::new(MillisecondFormatter::new);
static JSON: LazyLock<JsonFormatter> = LazyLock::new(JsonFormatter::new);
static PYTHON: LazyLock<PatternFormatter> = LazyLock::new(|| {
    PatternFormatter::new("{time:%Y-%m-%d %H:%M:%S,%3f %z|%.6f|%a %b %e} {message}")
        .unwrap()
        .zone(Zone::Fixed(FixedOffset::east_opt(-12_600).unwrap()))
});

fn time(secs: i64, nanos: u32) -> SystemTime {
    let nanos = Duration::from_nanos(u64::from(nanos));
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs()) + nanos
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs()) + nanos
    }
}

fn format(
    formatter: &dyn Formatter,
    message: &str,
    kvs: &[(&str, kv::Value<'_>)],
    at: SystemTime,
) -> Vec<u8> {
    let mut out = Vec::new();
    formatter
        .format(
            &Record::builder()
                .logger("app.prop")
                .args(format_args!("{message}"))
                .key_values(&kvs)
                .timestamp(at)
                .build(),
            &mut out,
        )
        .unwrap();
    out
}

/// A key-value value of each type the JSON formatter keeps.
#[derive(Clone, Debug)]
enum Typed {
    Str(String),
    I64(i64),
    U64(u64),
    F64(f64),
    Bool(bool),
}

impl Typed {
    fn to_value(&self) -> kv::Value<'_> {
        match self {
            Typed::Str(s) => kv::Value::from(s.as_str()),
            Typed::I64(n) => kv::Value::from(*n),
            Typed::U64(n) => kv::Value::from(*n),
            Typed::F64(f) => kv::Value::from(*f),
            Typed::Bool(b) => kv::Value::from(*b),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        match self {
            Typed::Str(s) => s.as_str().into(),
            Typed::I64(n) => (*n).into(),
            Typed::U64(n) => (*n).into(),
            Typed::F64(f) => (*f).into(),
            Typed::Bool(b) => (*b).into(),
        }
    }
}

fn typed() -> impl Strategy<Value = Typed> {
    prop_oneof![
        any::<String>().prop_map(Typed::Str),
        any::<i64>().prop_map(Typed::I64),
        (i64::MAX as u64..=u64::MAX).prop_map(Typed::U64),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Typed::F64),
        any::<bool>().prop_map(Typed::Bool),
    ]
}

/// Messages rich in what must be escaped: controls, quotes, backslashes, C1, any char.
fn message() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[\\x00-\\x1f\\x7f\\u{80}-\\u{a0}\"\\\\a é]{0,40}",
        ".{0,100}",
    ]
}

/// Seconds of years 0–9999.
const YEAR_0: i64 = -62_167_219_200;
const YEAR_10000: i64 = 253_402_300_800;

fn assert_one_clean_line(line: &[u8]) {
    assert_eq!(line.last(), Some(&b'\n'), "{line:?}");
    let text = std::str::from_utf8(line).unwrap();
    let body = &text[..text.len() - 1];
    assert!(
        !body.chars().any(|c| c.is_control()),
        "control character in {body:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_lines_are_one_line_whatever_the_message(
        message in message(),
        values in proptest::collection::vec(message(), 0..3),
        secs in YEAR_0..YEAR_10000,
    ) {
        let kvs: Vec<(&str, kv::Value<'_>)> =
            values.iter().map(|v| ("k", kv::Value::from(v.as_str()))).collect();
        let at = time(secs, 0);
        let custom = PatternFormatter::new("{level} {logger} {thread} {message}{kv}").unwrap();
        for formatter in [&*UTC as &dyn Formatter, &*LOCAL, &PatternFormatter::default(), &custom] {
            assert_one_clean_line(&format(formatter, &message, &kvs, at));
        }
    }

    #[test]
    fn json_lines_parse_back_to_the_original_message_and_values(
        message in message(),
        fields in proptest::collection::hash_map(any::<String>(), typed(), 0..5),
        secs in YEAR_0..YEAR_10000,
        nanos in 0u32..1_000_000_000,
    ) {
        let kvs: Vec<(&str, kv::Value<'_>)> =
            fields.iter().map(|(k, v)| (k.as_str(), v.to_value())).collect();
        let at = time(secs, nanos);
        let line = format(&*JSON, &message, &kvs, at);
        prop_assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
        prop_assert!(!line.iter().any(|&b| b < 0x20 && b != b'\n' || b == 0x7f));
        let value: serde_json::Value = serde_json::from_slice(&line).unwrap();
        prop_assert_eq!(value["message"].as_str(), Some(message.as_str()));
        let reference = DateTime::from_timestamp(secs, nanos)
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        prop_assert_eq!(value["timestamp"].as_str(), Some(reference.as_str()));
        if fields.is_empty() {
            prop_assert!(value.get("fields").is_none());
        } else {
            let want: serde_json::Map<String, serde_json::Value> =
                fields.iter().map(|(k, v)| (k.clone(), v.to_json())).collect();
            prop_assert_eq!(&value["fields"], &serde_json::Value::Object(want));
        }
    }

    #[test]
    fn a_record_keeps_its_time_exactly_in_both_forms(
        secs in DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
        nanos in 0u32..1_000_000_000,
    ) {
        let at = time(secs, nanos);
        let record = Record::builder().timestamp(at).build();
        prop_assert_eq!(record.timestamp(), at);
        let unix = record.unix_time();
        prop_assert_eq!((unix.secs(), unix.subsec_nanos()), (secs, nanos));
    }

    #[test]
    fn the_millisecond_field_is_three_digits_and_matches_chrono(
        secs in prop_oneof![
            YEAR_0..YEAR_10000,
            DateTime::<Utc>::MIN_UTC.timestamp()..=DateTime::<Utc>::MAX_UTC.timestamp(),
        ],
        nanos in 0u32..1_000_000_000,
    ) {
        let at = time(secs, nanos);
        let reference = DateTime::from_timestamp(secs, nanos)
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string();
        let line = String::from_utf8(format(&*UTC, "m", &[], at)).unwrap();
        prop_assert_eq!(line, format!("{reference} - app.prop - INFO - m\n"));
    }

    #[test]
    fn strftime_layouts_match_chrono_in_any_order(
        secs in YEAR_0 + 86_400..YEAR_10000 - 86_400,
        nanos in 0u32..1_000_000_000,
    ) {
        let at = time(secs, nanos);
        let line = String::from_utf8(format(&*PYTHON, "m", &[], at)).unwrap();
        let reference = DateTime::from_timestamp(secs, nanos)
            .unwrap()
            .with_timezone(&FixedOffset::east_opt(-12_600).unwrap())
            .format("%Y-%m-%d %H:%M:%S,%3f %z|%.6f|%a %b %e")
            .to_string();
        prop_assert_eq!(line, format!("{reference} m\n"));
    }

    #[test]
    fn four_digit_years_have_a_fixed_shape_in_any_zone(
        secs in YEAR_0 + 86_400..YEAR_10000 - 86_400,
        nanos in 0u32..1_000_000_000,
        offset in -86_399i32..86_400,
    ) {
        let zone = FixedOffset::east_opt(offset).unwrap();
        let formatter = MillisecondFormatter::new().zone(Zone::Fixed(zone));
        let at = time(secs, nanos);
        let line = format(&formatter, "m", &[], at);
        let reference = DateTime::from_timestamp(secs, nanos)
            .unwrap()
            .with_timezone(&zone)
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string();
        prop_assert_eq!(&line[..23], reference.as_bytes());
        prop_assert_eq!(line[19], b'.');
        prop_assert!(line[20..23].iter().all(u8::is_ascii_digit));
        prop_assert_eq!(&line[23..26], b" - ");
    }
}
