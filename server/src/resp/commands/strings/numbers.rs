//! Values as numbers: the `INCR` family on 64-bit integers and
//! `INCRBYFLOAT`. Each keeps the key's expiry, as Redis does.
//!
//! Redis does `INCRBYFLOAT` in C's `long double`; this store does it in
//! `f64`, and writes the result as the shortest decimal that reads back as
//! the same `f64` (never an exponent), which is what Redis's trimmed
//! `%.17Lf` gives for every value a client is likely to keep: `10.5` plus
//! `0.1` is `10.6` in both.

use mini_kvstore::Expect;

use crate::resp::commands::spec::{
    Call, not_an_integer, or_store_error, parse_i64, retry_on_conflict,
};
use crate::resp::commands::strings::write::{Expiry, write_expecting};
use crate::resp::reply::Reply;

/// The longest text taken as a float, as Redis's `MAX_LONG_DOUBLE_CHARS`.
const MAX_FLOAT_LEN: usize = 5 * 1024;

/// Adds `delta` to the integer at `key` (0 when absent), keeping its expiry.
fn add(call: &mut Call<'_>, delta: i64) -> Reply {
    let store = call.store();
    let key = call.arg(1);
    or_store_error(retry_on_conflict(|| {
        let (number, expect) = match store.get_versioned(key)? {
            None => (0, Expect::Absent),
            Some(v) => match parse_i64(&v.value) {
                Some(number) => (number, Expect::Version(v.seq)),
                None => return Ok(not_an_integer()),
            },
        };
        let Some(next) = number.checked_add(delta) else {
            return Ok(Reply::err("increment or decrement would overflow"));
        };
        write_expecting(
            store,
            key,
            next.to_string().as_bytes(),
            expect,
            Expiry::Keep,
        )?;
        Ok(Reply::Integer(next))
    }))
}

pub(crate) fn incr(call: &mut Call<'_>) -> Reply {
    add(call, 1)
}

pub(crate) fn decr(call: &mut Call<'_>) -> Reply {
    add(call, -1)
}

pub(crate) fn incrby(call: &mut Call<'_>) -> Reply {
    match parse_i64(call.arg(2)) {
        Some(delta) => add(call, delta),
        None => not_an_integer(),
    }
}

pub(crate) fn decrby(call: &mut Call<'_>) -> Reply {
    match parse_i64(call.arg(2)).map(i64::checked_neg) {
        Some(Some(delta)) => add(call, delta),
        Some(None) => Reply::err("decrement would overflow"),
        None => not_an_integer(),
    }
}

fn not_a_float() -> Reply {
    Reply::err("value is not a valid float")
}

/// Parses a float as Redis does (`strtold` over the whole text): no spaces
/// around it, not NaN; `inf` is a number (that no increment survives). A
/// literal out of `f64`'s range is refused, as `strtold` refuses one out
/// of `long double`'s — `f64` overflows to infinity and underflows to
/// zero without a word, so both are caught here.
fn parse_float(bytes: &[u8]) -> Option<f64> {
    if bytes.is_empty() || bytes.len() > MAX_FLOAT_LEN {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let number: f64 = text.parse().ok()?;
    let unsigned = text.trim_start_matches(['+', '-']);
    let spelled_infinity =
        unsigned.eq_ignore_ascii_case("inf") || unsigned.eq_ignore_ascii_case("infinity");
    let mantissa = unsigned.split(['e', 'E']).next().unwrap_or_default();
    let nonzero_digits = mantissa.bytes().any(|b| matches!(b, b'1'..=b'9'));
    let overflowed = number.is_infinite() && !spelled_infinity;
    let underflowed = number == 0.0 && nonzero_digits;
    (!number.is_nan() && !overflowed && !underflowed).then_some(number)
}

/// The text `INCRBYFLOAT` stores and answers.
fn format_float(number: f64) -> String {
    // `Display` for f64 is the shortest round-trip decimal, without an
    // exponent however large or small the number.
    number.to_string()
}

pub(crate) fn incrbyfloat(call: &mut Call<'_>) -> Reply {
    let Some(delta) = parse_float(call.arg(2)) else {
        return not_a_float();
    };
    let store = call.store();
    let key = call.arg(1);
    or_store_error(retry_on_conflict(|| {
        let (number, expect) = match store.get_versioned(key)? {
            None => (0.0, Expect::Absent),
            Some(v) => match parse_float(&v.value) {
                Some(number) => (number, Expect::Version(v.seq)),
                None => return Ok(not_a_float()),
            },
        };
        let next = number + delta;
        if !next.is_finite() {
            return Ok(Reply::err("increment would produce NaN or Infinity"));
        }
        let text = format_float(next);
        write_expecting(store, key, text.as_bytes(), expect, Expiry::Keep)?;
        Ok(Reply::bulk(text))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_parse_as_redis_takes_them() {
        assert_eq!(parse_float(b"10.50"), Some(10.5));
        assert_eq!(parse_float(b"5.0e3"), Some(5000.0));
        assert_eq!(parse_float(b"-.5"), Some(-0.5));
        assert_eq!(parse_float(b"+3"), Some(3.0));
        assert_eq!(parse_float(b"0e10"), Some(0.0));
        assert_eq!(parse_float(b"inf"), Some(f64::INFINITY));
        for bad in [
            &b""[..],
            b" 1",
            b"1 ",
            b"abc",
            b"nan",
            b"1e400",
            b"1e-400",
            b"1,5",
        ] {
            assert_eq!(parse_float(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn floats_format_without_trailing_zeros_or_exponents() {
        assert_eq!(format_float(10.5 + 0.1), "10.6");
        assert_eq!(format_float(5200.0), "5200");
        assert_eq!(format_float(-5.25), "-5.25");
        assert_eq!(format_float(1e21), "1000000000000000000000");
        assert_eq!(format_float(1e-7), "0.0000001");
    }
}
