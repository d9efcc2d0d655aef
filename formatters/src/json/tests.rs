use std::time::{Duration, UNIX_EPOCH};

use chrono::FixedOffset;
use logtree_core::Level;
use serde_json::{json, Value};

use super::*;

fn parse(line: &[u8]) -> Value {
    assert_eq!(line.last(), Some(&b'\n'));
    assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1);
    serde_json::from_slice(line).unwrap()
}

#[test]
fn every_field_with_a_full_record() {
    let kvs: [(&str, kv::Value<'_>); 6] = [
        ("user", "alice".into()),
        ("rows", 3u64.into()),
        ("delta", (-7i64).into()),
        ("ratio", 0.25f64.into()),
        ("ok", true.into()),
        ("big", u64::MAX.into()),
    ];
    let mut out = Vec::new();
    JsonFormatter::new()
        .format(
            &Record::builder()
                .level(Level::Warn)
                .logger("app.db")
                .args(format_args!("{} rows", 3))
                .module_path(Some("app::db"))
                .file(Some("src/db.rs"))
                .line(Some(42))
                .thread(7, Some("worker-1"))
                .key_values(&kvs)
                .timestamp(UNIX_EPOCH + Duration::from_millis(1_751_034_323_009))
                .build(),
            &mut out,
        )
        .unwrap();
    assert_eq!(
        parse(&out),
        json!({
            "timestamp": "2025-06-27T14:25:23.009Z",
            "level": "WARN",
            "logger": "app.db",
            "message": "3 rows",
            "module": "app::db",
            "file": "src/db.rs",
            "line": 42,
            "thread": "worker-1",
            "thread_id": 7,
            "fields": {
                "user": "alice", "rows": 3, "delta": -7, "ratio": 0.25, "ok": true,
                "big": u64::MAX
            }
        })
    );
}

#[test]
fn unknown_call_site_is_null_and_no_key_values_means_no_fields() {
    let mut out = Vec::new();
    JsonFormatter::new()
        .format(&Record::builder().args(format_args!("x")).build(), &mut out)
        .unwrap();
    let value = parse(&out);
    assert_eq!(value["module"], Value::Null);
    assert_eq!(value["line"], Value::Null);
    assert_eq!(value["thread"], Value::Null);
    assert!(value.get("fields").is_none());
}

#[test]
fn a_key_named_like_a_built_in_field_stays_in_fields() {
    let kvs = [("message", "not the message"), ("level", "not the level")];
    let mut out = Vec::new();
    JsonFormatter::new()
        .format(
            &Record::builder()
                .args(format_args!("the message"))
                .key_values(&kvs)
                .build(),
            &mut out,
        )
        .unwrap();
    let value = parse(&out);
    assert_eq!(value["message"], "the message");
    assert_eq!(value["level"], "INFO");
    assert_eq!(value["fields"]["message"], "not the message");
}

#[test]
fn non_finite_floats_and_other_values_are_strings() {
    let kvs: [(&str, kv::Value<'_>); 5] = [
        ("nan", f64::NAN.into()),
        ("inf", f64::INFINITY.into()),
        ("ninf", f64::NEG_INFINITY.into()),
        ("c", 'x'.into()),
        ("huge", kv::Value::from(u128::MAX)),
    ];
    let mut out = Vec::new();
    JsonFormatter::new()
        .format(&Record::builder().key_values(&kvs).build(), &mut out)
        .unwrap();
    assert_eq!(
        parse(&out)["fields"],
        json!({"nan": "NaN", "inf": "inf", "ninf": "-inf", "c": "x",
               "huge": u128::MAX.to_string()})
    );
}

#[test]
fn everything_is_escaped() {
    let nasty =
        "quote \" backslash \\ nl \n cr \r tab \t nul \0 esc \x1b[31m del \x7f c1 \u{9b} é 😀";
    let kvs = [("k\"ey\n", nasty)];
    let mut out = Vec::new();
    JsonFormatter::new()
        .format(
            &Record::builder()
                .logger("lo\"gger")
                .args(format_args!("{nasty}"))
                .file(Some("a\\b.rs"))
                .thread(1, Some("th\nread"))
                .key_values(&kvs)
                .build(),
            &mut out,
        )
        .unwrap();
    assert!(!out.iter().any(|&b| b < 0x20 && b != b'\n' || b == 0x7f));
    let value = parse(&out);
    assert_eq!(value["message"], nasty);
    assert_eq!(value["logger"], "lo\"gger");
    assert_eq!(value["file"], "a\\b.rs");
    assert_eq!(value["thread"], "th\nread");
    assert_eq!(value["fields"]["k\"ey\n"], nasty);
}

#[test]
fn zones_write_their_offset() {
    let time = UNIX_EPOCH + Duration::from_millis(1_751_034_323_123);
    let stamp = |formatter: JsonFormatter| {
        let mut out = Vec::new();
        formatter
            .format(&Record::builder().timestamp(time).build(), &mut out)
            .unwrap();
        parse(&out)["timestamp"].as_str().unwrap().to_owned()
    };
    assert_eq!(stamp(JsonFormatter::default()), "2025-06-27T14:25:23.123Z");
    assert_eq!(
        stamp(JsonFormatter::new().zone(Zone::Fixed(FixedOffset::east_opt(7200).unwrap()))),
        "2025-06-27T16:25:23.123+02:00"
    );
    let local = stamp(JsonFormatter::new().zone(Zone::Local));
    let want = chrono::DateTime::<chrono::Local>::from(time)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(local, want);
}
