//! Byte sizes written the way people write them: `10 MiB`, `1MB`, `512k`, `1048576`.

/// Parses a size: a whole or decimal number, optionally followed (with or without a space) by
/// a unit, case-insensitive: `B`; `KB`, `MB`, `GB`, `TB` (powers of 1000); `KiB`, `MiB`, `GiB`,
/// `TiB` and the short `K`, `M`, `G`, `T` (powers of 1024). Fractions round down to whole bytes.
///
/// # Errors
/// The reason, when the text is not a size or does not fit in 64 bits.
///
/// ```
/// use logtree::config::parse_size;
/// assert_eq!(parse_size("10MiB"), Ok(10 << 20));
/// assert!(parse_size("ten").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (number, unit) = (t[..split].replace('_', ""), t[split..].trim());
    if number.is_empty() {
        return Err(format!(
            "{text:?} is not a size: expected a number such as \"10 MiB\""
        ));
    }
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "{text:?} has an unknown unit {unit:?}: use B, KB, MB, GB, KiB, MiB or GiB"
            ))
        }
    };
    let too_large = || format!("{text:?} is too large");
    match number.split_once('.') {
        None => number
            .parse::<u64>()
            .map_err(|_| too_large())?
            .checked_mul(multiplier)
            .ok_or_else(too_large),
        Some((whole, fraction)) => {
            if fraction.contains('.') || (whole.is_empty() && fraction.is_empty()) {
                return Err(format!("{text:?} is not a number"));
            }
            let whole: u64 = if whole.is_empty() {
                0
            } else {
                whole.parse().map_err(|_| too_large())?
            };
            // Exact decimal arithmetic on at most 9 fraction digits; rounding down.
            let digits = &fraction[..fraction.len().min(9)];
            let scale = 10u64.pow(digits.len() as u32);
            let fraction: u64 = if digits.is_empty() {
                0
            } else {
                digits
                    .parse()
                    .map_err(|_| format!("{text:?} is not a number"))?
            };
            let whole_bytes = whole.checked_mul(multiplier).ok_or_else(too_large)?;
            let fraction_bytes =
                (u128::from(fraction) * u128::from(multiplier) / u128::from(scale)) as u64;
            whole_bytes
                .checked_add(fraction_bytes)
                .ok_or_else(too_large)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_usual_spellings() {
        for (text, bytes) in [
            ("1048576", 1_048_576),
            ("10 MiB", 10 << 20),
            ("10MiB", 10 << 20),
            ("1MB", 1_000_000),
            ("1 mb", 1_000_000),
            ("512k", 512 << 10),
            ("512 KiB", 512 << 10),
            ("2G", 2 << 30),
            ("1.5 MiB", 3 << 19),
            ("0.5k", 512),
            ("1_000 B", 1000),
            ("0", 0),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_size() {
        for (text, reason) in [
            ("", "not a size"),
            ("MiB", "not a size"),
            ("ten", "not a size"),
            ("10 parsecs", "unknown unit"),
            ("-1", "not a size"),
            ("1.2.3 MB", "not a number"),
            ("99999999999999999999", "too large"),
            ("20000000 TiB", "too large"),
        ] {
            let err = parse_size(text).unwrap_err();
            assert!(err.contains(reason), "{text:?}: {err}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_plain_numbers_round_trip(text in ".{0,24}", n in any::<u64>()) {
            let _ = parse_size(&text);
            prop_assert_eq!(parse_size(&n.to_string()), Ok(n));
        }
    }
}
