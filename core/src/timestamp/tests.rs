use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{TimeZone as _, Utc};

use super::*;

fn at(secs: i64, nanos: u32) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::new(secs as u64, nanos)
    } else {
        UNIX_EPOCH - Duration::new(secs.unsigned_abs(), 0) + Duration::new(0, nanos)
    }
}

fn text(clock: &Clock, time: SystemTime) -> String {
    let mut out = Vec::new();
    clock.stamp(UnixTime::from(time)).write_text(&mut out);
    String::from_utf8(out).unwrap()
}

fn rfc3339(clock: &Clock, time: SystemTime) -> String {
    let mut out = Vec::new();
    clock.stamp(UnixTime::from(time)).write_rfc3339(&mut out);
    String::from_utf8(out).unwrap()
}

fn reference(time: SystemTime, offset: i32) -> String {
    DateTime::<chrono::Utc>::from(time)
        .with_timezone(&FixedOffset::east_opt(offset).unwrap())
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

/// 2025-03-30 01:00:00 UTC and 2025-10-26 01:00:00 UTC: the EU's changes in 2025.
const SPRING: i64 = 1_743_296_400;
const AUTUMN: i64 = 1_761_440_400;

/// Berlin's offsets in 2025, standing in for a time-zone database.
fn berlin_2025(secs: i64) -> i32 {
    if (SPRING..AUTUMN).contains(&secs) {
        7200
    } else {
        3600
    }
}

#[test]
fn the_eu_change_instants_are_right() {
    assert_eq!(
        Utc.with_ymd_and_hms(2025, 3, 30, 1, 0, 0)
            .unwrap()
            .timestamp(),
        SPRING
    );
    assert_eq!(
        Utc.with_ymd_and_hms(2025, 10, 26, 1, 0, 0)
            .unwrap()
            .timestamp(),
        AUTUMN
    );
}

#[test]
fn offset_is_recomputed_when_the_second_changes_across_dst() {
    let clock = Clock::with_offset_fn(berlin_2025);
    let cases = [
        (at(SPRING - 1, 999_999_999), "2025-03-30 01:59:59.999"),
        (at(SPRING, 0), "2025-03-30 03:00:00.000"),
        (at(AUTUMN - 1, 999_000_000), "2025-10-26 02:59:59.999"),
        (at(AUTUMN, 1_000_000), "2025-10-26 02:00:00.001"),
    ];
    // In order, in reverse, and again: hits and misses must agree.
    for (time, want) in cases.iter().chain(cases.iter().rev()).chain(cases.iter()) {
        assert_eq!(text(&clock, *time), *want);
    }
    assert_eq!(
        rfc3339(&clock, at(SPRING, 0)),
        "2025-03-30T03:00:00.000+02:00"
    );
    assert_eq!(
        rfc3339(&clock, at(SPRING - 1, 0)),
        "2025-03-30T01:59:59.000+01:00"
    );
}

#[test]
fn utc_text_matches_chrono_around_midnight_new_year_and_1970() {
    let clock = Clock::new(Zone::Utc);
    let new_year = Utc
        .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
        .unwrap()
        .timestamp();
    for secs in [
        new_year - 1,
        new_year,
        new_year + 86_399,
        0,
        -1,
        951_825_600,     // 2000-02-29 12:00
        253_402_300_799, // 9999-12-31 23:59:59
        -62_167_219_200, // 0000-01-01 00:00:00
    ] {
        for nanos in [0, 1_000_000, 999_999_999, 500_000] {
            let time = at(secs, nanos);
            assert_eq!(text(&clock, time), reference(time, 0), "{secs} {nanos}");
        }
    }
    assert_eq!(
        text(&clock, at(new_year - 1, 999_999_999)),
        "2024-12-31 23:59:59.999"
    );
}

#[test]
fn before_1970_milliseconds_count_forward_from_the_earlier_second() {
    let clock = Clock::new(Zone::Utc);
    let time = UNIX_EPOCH - Duration::from_millis(1);
    let unix = UnixTime::from(time);
    assert_eq!((unix.secs(), unix.subsec_nanos()), (-1, 999_000_000));
    assert_eq!(text(&clock, time), "1969-12-31 23:59:59.999");
}

#[test]
fn fixed_offsets_move_the_date() {
    let east = Clock::new(Zone::Fixed(FixedOffset::east_opt(5 * 3600 + 1800).unwrap()));
    let west = Clock::new(Zone::Fixed(FixedOffset::west_opt(3 * 3600 + 1800).unwrap()));
    let time = at(
        Utc.with_ymd_and_hms(2024, 12, 31, 20, 0, 0)
            .unwrap()
            .timestamp(),
        42_000_000,
    );
    assert_eq!(text(&east, time), "2025-01-01 01:30:00.042");
    assert_eq!(rfc3339(&east, time), "2025-01-01T01:30:00.042+05:30");
    assert_eq!(rfc3339(&west, time), "2024-12-31T16:30:00.042-03:30");
    assert_eq!(
        rfc3339(&Clock::new(Zone::Utc), time),
        "2024-12-31T20:00:00.042Z"
    );
}

#[test]
fn an_offset_with_seconds_is_written_in_utc_in_rfc_3339() {
    let lmt = Clock::new(Zone::Fixed(FixedOffset::east_opt(561).unwrap()));
    assert_eq!(rfc3339(&lmt, at(0, 5_000_000)), "1970-01-01T00:00:00.005Z");
    assert_eq!(text(&lmt, at(0, 5_000_000)), "1970-01-01 00:09:21.005");
}

#[test]
fn years_beyond_four_digits_and_beyond_chrono_do_not_panic() {
    let clock = Clock::new(Zone::Utc);
    let wide = at(253_402_300_800, 7_000_000); // 10000-01-01
    assert_eq!(text(&clock, wide), reference(wide, 0));
    assert_eq!(text(&clock, wide), "+10000-01-01 00:00:00.007");
    assert_eq!(rfc3339(&clock, wide), "+10000-01-01T00:00:00.007Z");

    let far = at(i64::MAX / 2, 1_000_000);
    assert_eq!(text(&clock, far), format!("{}.001", i64::MAX / 2));
    let mut out = Vec::new();
    clock
        .stamp(UnixTime::from(far))
        .write_items(&mut out, &items("%H"))
        .unwrap();
    assert_eq!(out, format!("{}.001", i64::MAX / 2).as_bytes());
}

/// Owned strftime items, as the pattern formatter keeps them.
fn items(spec: &str) -> Vec<chrono::format::Item<'static>> {
    chrono::format::StrftimeItems::new(spec)
        .parse_to_owned()
        .unwrap()
}

#[test]
fn strftime_items_see_the_zone_offset() {
    let clock = Clock::with_offset_fn(berlin_2025);
    let mut out = Vec::new();
    clock
        .stamp(UnixTime::from(at(SPRING, 123_456_789)))
        .write_items(&mut out, &items("%H:%M:%S%.3f %:z|%3f"))
        .unwrap();
    assert_eq!(out, b"03:00:00.123 +02:00|123");
}

#[test]
fn a_cloned_clock_keeps_its_zone_not_its_cache() {
    let clock = Clock::new(Zone::Fixed(FixedOffset::east_opt(3600).unwrap()));
    assert_eq!(text(&clock, at(0, 0)), "1970-01-01 01:00:00.000");
    let clone = clock.clone();
    assert!(clone.cache.get(0).is_none());
    assert_eq!(text(&clone, at(0, 0)), "1970-01-01 01:00:00.000");
}

#[test]
fn two_threads_in_different_seconds_always_read_their_own_second() {
    let clock = Clock::with_offset_fn(berlin_2025);
    let base = SPRING - 2;
    std::thread::scope(|scope| {
        for thread in 0..2i64 {
            let clock = &clock;
            scope.spawn(move || {
                for i in 0..20_000i64 {
                    // Thread 0 stays on even seconds, thread 1 on odd ones and on both sides
                    // of the change, so both slots are contended and rewritten.
                    let secs = base + thread + 2 * (i % 3);
                    let nanos = (i % 1000) as u32 * 1_000_000;
                    let time = at(secs, nanos);
                    assert_eq!(text(clock, time), reference(time, berlin_2025(secs)));
                }
            });
        }
    });
}
