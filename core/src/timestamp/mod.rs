//! The timestamp code the three formatters of `logtree-formatters` share, public so that a
//! downstream text sink writes the same time as cheaply: a per-formatter cache of the
//! date-time text of the current second, with the zone's offset looked up only when that
//! second changes. [`Clock`] is the entry point.
//!
//! # Why a per-formatter seqlock
//! A record needs `YYYY-MM-DD HH:MM:SS`, which only changes once a second, plus milliseconds.
//! The cache lives in the formatter (so two formatters with different zones never evict each
//! other, and no thread-local lookup is paid per record) and is read without any write: a hit is
//! a handful of relaxed loads between two loads of a sequence number, so any number of threads
//! read it at once without moving its cache line. A miss computes the text on the stack and
//! publishes it if no other thread is publishing; a reader that meets a publication in progress
//! just uses the text it computed itself, so nobody ever waits. Two slots, chosen by the parity
//! of the second, let records of adjacent seconds (two threads straddling a tick, or records
//! that reach a sink out of order) both hit.

use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, Local, Offset, TimeZone, Timelike};

use crate::text::{three, two, write_i64};
use crate::{write_display, Error, UnixTime};

mod cache;

use cache::PerSecond;
pub use cache::SecondText;

/// The clock a formatter shows its timestamps in.
///
/// ```
/// use logtree_core::timestamp::{Clock, Zone};
/// let paris_winter = logtree_core::chrono::FixedOffset::east_opt(3600).expect("valid offset");
/// let clock = Clock::new(Zone::Fixed(paris_winter));
/// # let _ = clock;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Zone {
    /// The machine's local time (`TZ`, else `/etc/localtime`), with the offset in force at each
    /// record's instant, so lines on both sides of a daylight-saving change are right.
    Local,
    /// Coordinated Universal Time.
    Utc,
    /// A fixed offset from UTC.
    Fixed(FixedOffset),
}

/// Where offsets come from: a [`Zone`], or in tests a function standing in for a zone with
/// daylight-saving changes (chrono alone has no time-zone database).
#[derive(Clone, Copy, Debug)]
enum Offsets {
    Zone(Zone),
    #[cfg(test)]
    Func(fn(i64) -> i32),
}

/// A formatter's clock: turns a record's timestamp into a [`Stamp`], cheaply; what the
/// millisecond, pattern and JSON formatters use, for a downstream text sink to use too.
///
/// ```
/// use logtree_core::timestamp::{Clock, Zone};
/// use logtree_core::UnixTime;
/// use std::time::{Duration, UNIX_EPOCH};
///
/// let clock = Clock::new(Zone::Utc); // one per sink or formatter: it holds the cache
/// let time = UnixTime::from(UNIX_EPOCH + Duration::from_millis(1_751_034_323_123));
/// let mut line = Vec::new();
/// clock.stamp(time).write_text(&mut line);
/// assert_eq!(line, b"2025-06-27 14:25:23.123");
/// line.clear();
/// clock.stamp(time).write_rfc3339(&mut line);
/// assert_eq!(line, b"2025-06-27T14:25:23.123Z");
/// ```
pub struct Clock {
    offsets: Offsets,
    /// The text and offset of the last even and odd seconds, as [`pack`] lays them out.
    cache: PerSecond<3>,
}

impl Clock {
    /// A clock showing `zone`, with an empty cache.
    pub fn new(zone: Zone) -> Clock {
        Clock::with_offsets(Offsets::Zone(zone))
    }

    #[cfg(test)]
    pub(crate) fn with_offset_fn(f: fn(i64) -> i32) -> Clock {
        Clock::with_offsets(Offsets::Func(f))
    }

    fn with_offsets(offsets: Offsets) -> Clock {
        Clock {
            offsets,
            cache: PerSecond::new(),
        }
    }

    /// The broken-down form of `time` in this clock's zone.
    #[inline]
    pub fn stamp(&self, time: UnixTime) -> Stamp {
        let (secs, nanos) = (time.secs(), time.subsec_nanos());
        if let Some(words) = self.cache.get(secs) {
            return Stamp(Kind::Civil { secs, nanos, words });
        }
        self.stamp_slow(secs, nanos)
    }

    #[cold]
    fn stamp_slow(&self, secs: i64, nanos: u32) -> Stamp {
        let offset = self.offset_at(secs);
        if let Some(text) = civil_text(secs, offset) {
            let words = pack(&text, offset);
            self.cache.put(secs, words);
            return Stamp(Kind::Civil { secs, nanos, words });
        }
        match (
            DateTime::from_timestamp(secs, nanos),
            FixedOffset::east_opt(offset),
        ) {
            (Some(at), Some(offset)) => Stamp(Kind::Wide(at.with_timezone(&offset))),
            _ => Stamp(Kind::Unrepresentable { secs, nanos }),
        }
    }

    /// Seconds east of UTC at the instant `secs`.
    fn offset_at(&self, secs: i64) -> i32 {
        match self.offsets {
            Offsets::Zone(Zone::Utc) => 0,
            Offsets::Zone(Zone::Fixed(offset)) => offset.local_minus_utc(),
            Offsets::Zone(Zone::Local) => DateTime::from_timestamp(secs, 0)
                .map(|at| {
                    Local
                        .offset_from_utc_datetime(&at.naive_utc())
                        .fix()
                        .local_minus_utc()
                })
                .unwrap_or(0),
            #[cfg(test)]
            Offsets::Func(f) => f(secs),
        }
    }
}

impl Clone for Clock {
    /// The same zone with an empty cache: the cache is an optimisation, not state.
    fn clone(&self) -> Clock {
        Clock::with_offsets(self.offsets)
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Clock")
            .field("zone", &self.offsets)
            .finish_non_exhaustive()
    }
}

/// A record's timestamp, broken down in a zone by a [`Clock`]: what a text formatter writes.
#[derive(Clone, Copy, Debug)]
pub struct Stamp(Kind);

/// The forms of a [`Stamp`].
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Years 0–9999: the (usually cached) `YYYY-MM-DD HH:MM:SS` text of the second and the
    /// offset, as [`pack`] lays them out.
    Civil {
        secs: i64,
        nanos: u32,
        words: [u64; 3],
    },
    /// A year chrono can represent but that does not have four digits.
    Wide(DateTime<FixedOffset>),
    /// Beyond chrono's range (±262,000 years): only a crafted record gets here.
    Unrepresentable { secs: i64, nanos: u32 },
}

impl Stamp {
    /// Appends `YYYY-MM-DD HH:MM:SS.mmm`.
    #[inline]
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match self.0 {
            Kind::Civil { nanos, words, .. } => write_civil(out, &words, b' ', nanos),
            Kind::Wide(at) => {
                // chrono's `%Y` signs years outside 0–9999; nothing better exists for them.
                // These items always format a full date-time.
                let _ = write_display(out, &at.format("%Y-%m-%d %H:%M:%S%.3f"), "chrono");
            }
            Kind::Unrepresentable { secs, nanos } => write_unix(out, secs, nanos),
        }
    }

    /// Appends RFC 3339 with milliseconds: `2025-06-27T14:25:23.123Z` at offset zero, else
    /// `…23.123+02:00`. An offset with seconds (local mean time, before ~1900) cannot be written
    /// in RFC 3339, so such an instant is written in UTC instead. Years outside 0–9999 are
    /// signed (`+10000-01-01T…`), and an instant beyond chrono's range is written as seconds
    /// since the epoch, as in [`Stamp::write_text`].
    pub fn write_rfc3339(&self, out: &mut Vec<u8>) {
        match self.0 {
            Kind::Civil { secs, nanos, words } => {
                let words = match offset_of(&words) % 60 {
                    0 => words,
                    _ => civil_text(secs, 0).map_or(words, |utc| pack(&utc, 0)),
                };
                write_civil(out, &words, b'T', nanos);
                write_offset(out, offset_of(&words));
            }
            Kind::Wide(at) => {
                let at = match at.offset().local_minus_utc() % 60 {
                    0 => at,
                    _ => at.with_timezone(&chrono::Utc.fix()),
                };
                let _ = write_display(out, &at.format("%Y-%m-%dT%H:%M:%S%.3f"), "chrono");
                write_offset(out, at.offset().local_minus_utc());
            }
            Kind::Unrepresentable { secs, nanos } => write_unix(out, secs, nanos),
        }
    }

    /// The second to cache text of this instant under: `None` for years outside 0–9999, which
    /// are not worth a cache.
    pub fn cache_key(&self) -> Option<i64> {
        match self.0 {
            Kind::Civil { secs, .. } => Some(secs),
            _ => None,
        }
    }

    /// The milliseconds, 0–999.
    #[inline]
    pub fn millis(&self) -> u32 {
        match self.0 {
            Kind::Civil { nanos, .. } | Kind::Unrepresentable { nanos, .. } => nanos / 1_000_000,
            Kind::Wide(at) => at.timestamp_subsec_millis(),
        }
    }

    /// The instant in its zone, for strftime-style layouts.
    pub fn datetime(&self) -> Option<DateTime<FixedOffset>> {
        match self.0 {
            Kind::Civil { secs, nanos, words } => Some(
                DateTime::from_timestamp(secs, nanos)?
                    .with_timezone(&FixedOffset::east_opt(offset_of(&words))?),
            ),
            Kind::Wide(at) => Some(at),
            Kind::Unrepresentable { .. } => None,
        }
    }

    /// Appends the instant with a strftime-style layout; see [`Stamp::datetime`].
    ///
    /// # Errors
    /// [`Error::Format`] when chrono cannot format it.
    pub fn write_items(
        &self,
        out: &mut Vec<u8>,
        items: &[chrono::format::Item<'static>],
    ) -> Result<(), Error> {
        match self.datetime() {
            Some(at) => write_display(out, &at.format_with_items(items.iter()), "the time layout"),
            None => {
                self.write_text(out);
                Ok(())
            }
        }
    }
}

/// Appends the text of `words` with `separator` between date and time, then `.mmm`.
///
/// The words go out as whole `u64` stores: rebuilding the text on the stack first would make
/// the copy's wide loads wait on narrow stores (a store-forwarding stall, a third of the
/// formatter's time when measured).
#[inline]
fn write_civil(out: &mut Vec<u8>, words: &[u64; 3], separator: u8, nanos: u32) {
    let at = out.len();
    out.extend_from_slice(&words[0].to_ne_bytes());
    out.extend_from_slice(&words[1].to_ne_bytes());
    out.extend_from_slice(&words[2].to_ne_bytes());
    out.truncate(at + 19);
    if separator != b' ' {
        out[at + 10] = separator;
    }
    let [a, b, c] = three(nanos / 1_000_000);
    out.extend_from_slice(&[b'.', a, b, c]);
}

/// The cache's form of a second: bytes 0–18 the text, 20–23 the offset (native endian), in
/// three words, so that a slot holds them in atomics and a writer stores them whole.
fn pack(text: &[u8; 19], offset: i32) -> [u64; 3] {
    let mut bytes = [0u8; 24];
    bytes[..19].copy_from_slice(text);
    bytes[20..].copy_from_slice(&offset.to_ne_bytes());
    let mut words = [0u64; 3];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(chunk);
        *word = u64::from_ne_bytes(eight);
    }
    words
}

/// The offset [`pack`] stored.
#[inline]
fn offset_of(words: &[u64; 3]) -> i32 {
    let [_, _, _, _, a, b, c, d] = words[2].to_ne_bytes();
    i32::from_ne_bytes([a, b, c, d])
}

/// `Z`, or `±HH:MM` (seconds of the offset dropped).
fn write_offset(out: &mut Vec<u8>, offset: i32) {
    if offset == 0 {
        out.push(b'Z');
        return;
    }
    out.push(if offset < 0 { b'-' } else { b'+' });
    let minutes = offset.unsigned_abs() / 60;
    out.extend_from_slice(&two(minutes / 60));
    out.push(b':');
    out.extend_from_slice(&two(minutes % 60));
}

/// Seconds since the epoch, for instants no calendar can show.
fn write_unix(out: &mut Vec<u8>, secs: i64, nanos: u32) {
    write_i64(out, secs);
    out.push(b'.');
    out.extend_from_slice(&three(nanos / 1_000_000));
}

/// `YYYY-MM-DD HH:MM:SS` of the second `secs` seen at `offset`, for years 0–9999.
fn civil_text(secs: i64, offset: i32) -> Option<[u8; 19]> {
    let local = DateTime::from_timestamp(secs.checked_add(i64::from(offset))?, 0)?.naive_utc();
    let year = u32::try_from(local.year()).ok().filter(|&y| y <= 9999)?;
    let mut text = *b"0000-00-00 00:00:00";
    text[0..2].copy_from_slice(&two(year / 100));
    text[2..4].copy_from_slice(&two(year));
    text[5..7].copy_from_slice(&two(local.month()));
    text[8..10].copy_from_slice(&two(local.day()));
    text[11..13].copy_from_slice(&two(local.hour()));
    text[14..16].copy_from_slice(&two(local.minute()));
    text[17..19].copy_from_slice(&two(local.second()));
    Some(text)
}

#[cfg(test)]
mod tests;
