//! Expiry on the wire: the `?ttl=SECONDS` a write may carry, and the
//! `Expires` header (RFC 9111 §5.3) a read of an expiring key is sent with.
//!
//! `Expires` is the standard way to say when a response stops being good,
//! and every HTTP client and cache already reads it; it is an absolute
//! time, computed from the store's clock, so a client works out what is
//! left as `Expires` minus the same response's `Date`, without trusting
//! its own clock. HTTP-dates count whole seconds, so the header rounds the
//! expiry down: never later than the key really expires.
//!
//! On its own, `Expires` would make a cache treat the value as fresh until
//! then, and serve it even after a later write replaced it. So it always
//! comes with `Cache-Control: no-cache`: a cache must ask again before each
//! reuse (`If-None-Match`, answered 304 while the value is current), and
//! `Expires` only tells when the value goes away.
//!
//! A leaf like `preconditions`: it knows queries, headers and times, not
//! the store.

use std::time::Duration;

use axum::http::header::{CACHE_CONTROL, EXPIRES};
use axum::http::{HeaderMap, HeaderValue};

use crate::error::ApiError;
use crate::keys;

/// The last second an HTTP-date can name: 9999-12-31 23:59:59 UTC. An
/// expiry past it (a time to live of millennia) is sent as that.
const LAST_HTTP_DATE: u64 = 253_402_300_799;

/// The time to live a write's query asks for: `ttl=SECONDS`, a whole
/// number of seconds from 1 on (the last one wins when there are several).
/// `None` without one; 400 for anything else, since ignoring it would
/// store a value that never expires.
pub(crate) fn ttl_from_query(query: Option<&str>) -> Result<Option<Duration>, ApiError> {
    let mut ttl = None;
    for (name, value) in keys::query_pairs(query.unwrap_or_default()) {
        if name == b"ttl" {
            ttl = Some(parse_seconds(&value)?);
        }
    }
    Ok(ttl)
}

fn parse_seconds(value: &[u8]) -> Result<Duration, ApiError> {
    std::str::from_utf8(value)
        .ok()
        .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|text| text.parse::<u64>().ok())
        .filter(|&seconds| seconds > 0)
        .map(Duration::from_secs)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "ttl must be a whole number of seconds, at least 1, not {:?}",
                String::from_utf8_lossy(value)
            ))
        })
}

/// Adds `Expires` and `Cache-Control: no-cache` (see the module docs) for
/// a value that expires at `expires_at`, in milliseconds since the Unix
/// epoch.
pub(crate) fn insert_expires(headers: &mut HeaderMap, expires_at: u64) {
    let date = http_date(expires_at / 1000);
    if let Ok(value) = HeaderValue::try_from(date) {
        headers.insert(EXPIRES, value);
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
}

/// `seconds` since the Unix epoch as an IMF-fixdate (RFC 9110 §5.6.7),
/// `Sun, 06 Nov 1994 08:49:37 GMT`; past the year 9999, its last second.
fn http_date(seconds: u64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = seconds.min(LAST_HTTP_DATE);
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[(days % 7) as usize],
        MONTHS[(month - 1) as usize],
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60,
    )
}

/// The proleptic Gregorian date (year, month 1–12, day 1–31) `days` after
/// 1970-01-01: Howard Hinnant's `civil_from_days`, for days on or after
/// the epoch, in eras of 400 years that start on a 1 March.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let shifted = days + 719_468; // days from 0000-03-01
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_imf_fixdates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // RFC 9110 §5.6.7's example.
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(http_date(951_868_799), "Tue, 29 Feb 2000 23:59:59 GMT");
        assert_eq!(http_date(951_868_800), "Wed, 01 Mar 2000 00:00:00 GMT");
        assert_eq!(http_date(4_107_542_400), "Mon, 01 Mar 2100 00:00:00 GMT");
        assert_eq!(http_date(LAST_HTTP_DATE), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(http_date(u64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    }

    #[test]
    fn every_day_follows_the_one_before() {
        // Walks 1970 to 2399 a day at a time: no gaps, no repeats, and
        // every month as long as the calendar says.
        let mut last = civil_from_days(0);
        assert_eq!(last, (1970, 1, 1));
        for days in 1..157_000 {
            let (year, month, day) = civil_from_days(days);
            let next_day = (last.0, last.1, last.2 + 1);
            let next_month = (last.0, last.1 + 1, 1);
            let next_year = (last.0 + 1, 1, 1);
            assert!(
                [next_day, next_month, next_year].contains(&(year, month, day)),
                "{last:?} then {:?}",
                (year, month, day)
            );
            let leap = |year: u64| {
                year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400))
            };
            if (year, month, day) != next_day {
                let month_length = match last.1 {
                    2 if leap(last.0) => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                assert_eq!(last.2, month_length, "{last:?} ends its month");
            }
            last = (year, month, day);
        }
    }

    #[test]
    fn ttl_is_whole_seconds_from_one() {
        assert_eq!(ttl_from_query(None).ok(), Some(None));
        assert_eq!(ttl_from_query(Some("other=1")).ok(), Some(None));
        assert_eq!(
            ttl_from_query(Some("ttl=30")).ok(),
            Some(Some(Duration::from_secs(30)))
        );
        assert_eq!(
            ttl_from_query(Some("ttl=5&ttl=7")).ok(),
            Some(Some(Duration::from_secs(7)))
        );
        for bad in [
            "ttl=0",
            "ttl=-1",
            "ttl=",
            "ttl",
            "ttl=1.5",
            "ttl=30s",
            "ttl=+3",
            "ttl=%201",
            "ttl=99999999999999999999",
        ] {
            assert!(ttl_from_query(Some(bad)).is_err(), "{bad} was accepted");
        }
    }
}
