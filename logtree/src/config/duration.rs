//! Ages written the way people write them: `30d`, `12h`, `90m`, `45s`, `2w`, `1 day`.

use std::time::Duration;

/// Parses an age: a whole number followed (with or without a space) by a unit,
/// case-insensitive: `s` (seconds), `m` (minutes), `h` (hours), `d` (days), `w` (weeks), or
/// their names (`sec`, `min`, `hour`, `day`, `week`, singular or plural). A unit is required:
/// a bare number could be seconds or days.
///
/// Returns the reason when the text is not an age or does not fit.
pub(crate) fn parse_age(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(t.len());
    let (number, unit) = (t[..split].replace('_', ""), t[split..].trim());
    if number.is_empty() {
        return Err(format!(
            "{text:?} is not an age: expected a whole number and a unit, such as \"30d\""
        ));
    }
    let seconds: u64 = match unit.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        "" => {
            return Err(format!(
                "{text:?} has no unit: write \"{number}d\" for days, \"{number}h\", \"{number}m\" or \"{number}s\""
            ))
        }
        _ => {
            return Err(format!(
                "{text:?} has an unknown unit {unit:?}: use s, m, h, d or w"
            ))
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds))
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::parse_age;
    use proptest::prelude::*;
    use std::time::Duration;

    #[test]
    fn accepts_the_usual_spellings() {
        for (text, seconds) in [
            ("30d", 30 * 86_400),
            ("12h", 12 * 3600),
            ("90m", 90 * 60),
            ("45s", 45),
            ("2w", 14 * 86_400),
            ("1 day", 86_400),
            ("7 Days", 7 * 86_400),
            (" 3H ", 3 * 3600),
            ("1_000s", 1000),
            ("0d", 0),
        ] {
            assert_eq!(parse_age(text), Ok(Duration::from_secs(seconds)), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_age() {
        for (text, reason) in [
            ("", "not an age"),
            ("d", "not an age"),
            ("-1d", "not an age"),
            ("30", "no unit"),
            ("1.5d", "unknown unit"),
            ("3 fortnights", "unknown unit"),
            ("99999999999999999999d", "too large"),
            ("999999999999999999w", "too large"),
        ] {
            let err = parse_age(text).unwrap_err();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_seconds_round_trip(text in ".{0,24}", n in any::<u32>()) {
            let _ = parse_age(&text);
            prop_assert_eq!(parse_age(&format!("{n}s")), Ok(Duration::from_secs(n.into())));
        }
    }
}
