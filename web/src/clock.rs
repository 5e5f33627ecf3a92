//! [`BrowserClock`]: the time as the browser tells it, for the engine's
//! expiry and for the clock times the page prints.
//!
//! `wasm32-unknown-unknown` has no system clock — asking std for one panics
//! there — so the engine's default `SystemClock` says 0 on that target. A
//! store opened with it would stamp every TTL as "0 + ttl" and never see
//! that time pass: no record would ever expire. Every store the page opens
//! therefore gets this clock, which reads `Date.now()`. Natively (the unit
//! tests, the doctests) it reads the system clock, so the type builds
//! everywhere and tests that need control pass a `ManualClock` instead.

use mini_kvstore::Clock;

/// The browser's wall clock (`Date.now()`); the system clock natively.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserClock;

impl Clock for BrowserClock {
    fn now_millis(&self) -> u64 {
        #[cfg(target_arch = "wasm32")]
        {
            // Whole milliseconds since the epoch: exact in an f64, and never
            // negative on a machine whose clock is set.
            js_sys::Date::now().max(0.0) as u64
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            mini_kvstore::SystemClock.now_millis()
        }
    }
}

/// Minutes local time is ahead of UTC right now, for printing clock times
/// (0 natively: tests read UTC).
pub fn utc_offset_minutes() -> i32 {
    #[cfg(target_arch = "wasm32")]
    {
        // `getTimezoneOffset` is UTC minus local time, in whole minutes.
        -(js_sys::Date::new_0().get_timezone_offset() as i32)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_reads_the_wall_clock() {
        // 2020-01-01: any machine running the tests is later than that.
        assert!(BrowserClock.now_millis() > 1_577_836_800_000);
        assert_eq!(utc_offset_minutes(), 0);
    }
}
