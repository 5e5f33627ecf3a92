//! Times to live in words, both ways: [`parse_duration`] reads what
//! `set --ttl` and `expire` are given (`500ms`, `30s`, `5m`, `2h`, `1d`, or
//! whole seconds), [`human_duration`] writes what `ttl` answers (`29.5 s`).
//!
//! A leaf: the grammar parses with it, the renderer prints with it.

use std::time::Duration;

/// The units a duration may be given in, with their length in milliseconds.
/// Longest suffix first, so `ms` is not read as `m` followed by junk.
const INPUT_UNITS: [(&str, u64); 5] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// The units a duration is printed in, smallest first.
const OUTPUT_UNITS: [(&str, u64); 4] = [
    ("s", 1_000),
    ("min", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
];

/// Reads a time to live: a whole number followed by `ms`, `s`, `m`, `h` or
/// `d`, or a whole number of seconds on its own. It must be more than
/// nothing: a key that expires as it is written is a delete by mistake.
///
/// ```
/// use std::time::Duration;
/// use mini_kvstore_commands::parse_duration;
/// assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
/// assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
/// assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
/// assert!(parse_duration("0s").is_err());
/// assert!(parse_duration("1.5h").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    // The messages leave `text` out: clap quotes it before them.
    let (digits, unit) = INPUT_UNITS
        .iter()
        .find_map(|&(suffix, unit)| text.strip_suffix(suffix).map(|digits| (digits, unit)))
        .unwrap_or((text, 1_000));
    if text.starts_with('-') {
        return Err(MORE_THAN_NOTHING.to_owned());
    }
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(
            "give a whole number with ms, s, m, h or d (500ms, 30s, 5m, 2h, 1d), or whole seconds"
                .to_owned(),
        );
    }
    let too_long = || "longer than the store's clock can count".to_owned();
    let count: u64 = digits.parse().map_err(|_| too_long())?;
    let millis = count.checked_mul(unit).ok_or_else(too_long)?;
    if millis == 0 {
        return Err(MORE_THAN_NOTHING.to_owned());
    }
    Ok(Duration::from_millis(millis))
}

const MORE_THAN_NOTHING: &str = "a time to live must be more than 0";

/// A duration the way `ttl` prints it: whole milliseconds below a second,
/// otherwise one decimal in the largest unit it fills — `500 ms`, `29.5 s`,
/// `4.5 min`, `2.0 h`, `1.0 d`. A value that would round up to the next
/// unit is shown in it (`1.0 min`, not `60.0 s`).
///
/// ```
/// use std::time::Duration;
/// use mini_kvstore_commands::human_duration;
/// assert_eq!(human_duration(Duration::from_millis(29_500)), "29.5 s");
/// assert_eq!(human_duration(Duration::from_millis(999)), "999 ms");
/// assert_eq!(human_duration(Duration::from_secs(86_399)), "1.0 d");
/// ```
pub fn human_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1_000 {
        return format!("{millis} ms");
    }
    let tenths = |unit: u64| (millis * 10 + u128::from(unit) / 2) / u128::from(unit);
    let mut index = OUTPUT_UNITS
        .iter()
        .rposition(|&(_, unit)| millis >= u128::from(unit))
        .unwrap_or(0);
    // Rounding may reach the next unit: 59.96 s is "1.0 min", not "60.0 s".
    if let Some(&(_, next)) = OUTPUT_UNITS.get(index + 1)
        && tenths(OUTPUT_UNITS[index].1) * u128::from(OUTPUT_UNITS[index].1)
            >= u128::from(next) * 10
    {
        index += 1;
    }
    let (name, unit) = OUTPUT_UNITS[index];
    let tenths = tenths(unit);
    format!("{}.{} {name}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_and_bare_seconds() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("500ms"), Ok(ms(500)));
        assert_eq!(parse_duration("30s"), Ok(ms(30_000)));
        assert_eq!(parse_duration("5m"), Ok(ms(300_000)));
        assert_eq!(parse_duration("2h"), Ok(ms(7_200_000)));
        assert_eq!(parse_duration("1d"), Ok(ms(86_400_000)));
        assert_eq!(parse_duration("45"), Ok(ms(45_000)));
        assert_eq!(parse_duration("007s"), Ok(ms(7_000)));
    }

    #[test]
    fn nothing_negative_or_garbage_is_refused_with_a_reason() {
        for (text, says) in [
            ("0", "more than 0"),
            ("0ms", "more than 0"),
            ("-5", "more than 0"),
            ("-5s", "more than 0"),
            ("", "whole number"),
            ("s", "whole number"),
            ("soon", "whole number"),
            ("1.5h", "whole number"),
            ("5 m", "whole number"),
            ("5M", "whole number"),
            ("+5", "whole number"),
            ("1w", "whole number"),
            ("99999999999999999999", "longer than"),
            ("999999999999999999d", "longer than"),
        ] {
            match parse_duration(text) {
                Err(message) => assert!(message.contains(says), "{text:?}: {message}"),
                Ok(duration) => panic!("{text:?} read as {duration:?}"),
            }
        }
    }

    #[test]
    fn printed_in_the_largest_unit_filled() {
        let words = |millis| human_duration(Duration::from_millis(millis));
        assert_eq!(words(0), "0 ms");
        assert_eq!(words(1), "1 ms");
        assert_eq!(words(1_000), "1.0 s");
        assert_eq!(words(29_500), "29.5 s");
        assert_eq!(words(29_449), "29.4 s");
        assert_eq!(words(57_000), "57.0 s");
        assert_eq!(words(59_949), "59.9 s");
        assert_eq!(words(59_950), "1.0 min");
        assert_eq!(words(270_000), "4.5 min");
        assert_eq!(words(7_200_000), "2.0 h");
        assert_eq!(words(86_400_000 - 5), "1.0 d");
        assert_eq!(words(3 * 86_400_000), "3.0 d");
        assert_eq!(words(u64::MAX), "213503982334.6 d");
    }
}
