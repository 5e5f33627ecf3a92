//! Records that expire, as the page shows them: how long one has left, or
//! how long it has been dead, in words; clock times; and when the page must
//! look at the clock again.
//!
//! Whether a record *has* expired is the engine's call: the layout marks the
//! key's current put [`RecordState::Expired`] once its `expires_at` has
//! passed by the store's clock. The page never decides it from the clock
//! itself. It reads the layout again when the engine's answer is due to
//! change ([`next_change`]), so an expired record turns dead on the map
//! through the same path as a write, and between those moments it only
//! moves the countdown of the record in the details panel on.
//!
//! Plain Rust over the engine's [`Layout`] and a time in milliseconds, so it
//! is tested natively with a `ManualClock`.

use mini_kvstore::{Layout, RecordLayout, RecordState};

/// How the page tells the time: the store's clock and the local offset
/// from UTC (for clock times in words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Now {
    /// Milliseconds since the Unix epoch, by the store's clock.
    pub millis: u64,
    /// Minutes local time is ahead of UTC.
    pub utc_offset_minutes: i32,
}

impl Now {
    /// `millis`, in UTC.
    pub fn utc(millis: u64) -> Now {
        Now {
            millis,
            utc_offset_minutes: 0,
        }
    }
}

/// Where a record with a time to live stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Countdown {
    /// The key's current value, for this many more milliseconds.
    Expires {
        /// Milliseconds left (0: due, the layout has not caught up yet).
        left_ms: u64,
    },
    /// The key's current put, dead for this many milliseconds.
    Expired {
        /// Milliseconds since it expired.
        ago_ms: u64,
    },
}

impl Countdown {
    /// Where `record` stands at `now` (ms since the epoch). `None` for a
    /// record without a time to live, and for one that no longer matters
    /// (overwritten: the key's newer write decides when it goes).
    pub fn of(record: &RecordLayout, now: u64) -> Option<Countdown> {
        let at = record.expires_at?;
        match record.state {
            RecordState::Live => Some(Countdown::Expires {
                left_ms: at.saturating_sub(now),
            }),
            RecordState::Expired => Some(Countdown::Expired {
                ago_ms: now.saturating_sub(at),
            }),
            RecordState::Overwritten | RecordState::Tombstone | RecordState::Meta => None,
        }
    }

    /// The countdown in words: `expires in 12 s`, `expired 3 s ago`. Time
    /// left is rounded up, so a record never reads "0 s" while it is live;
    /// time since is rounded down.
    pub fn words(self) -> String {
        match self {
            Countdown::Expires { left_ms: 0 } => "expires now".to_owned(),
            Countdown::Expires { left_ms } => {
                format!("expires in {}", duration_words(left_ms.div_ceil(1000)))
            }
            Countdown::Expired { ago_ms } if ago_ms < 1000 => "expired just now".to_owned(),
            Countdown::Expired { ago_ms } => {
                format!("expired {} ago", duration_words(ago_ms / 1000))
            }
        }
    }

    /// Milliseconds until [`words`](Self::words) shows another second.
    pub fn changes_in(self) -> u64 {
        match self {
            Countdown::Expires { left_ms } => match left_ms % 1000 {
                0 => 1000,
                part => part,
            },
            Countdown::Expired { ago_ms } => 1000 - ago_ms % 1000,
        }
    }
}

/// A number of seconds in words: `12 s`, `4 min 10 s`, `2 h 5 min`,
/// `3 d 4 h` (two units at most, the larger first).
pub fn duration_words(seconds: u64) -> String {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    let (big, big_unit, small, small_unit) = if seconds < MINUTE {
        return format!("{seconds} s");
    } else if seconds < HOUR {
        (seconds / MINUTE, "min", seconds % MINUTE, "s")
    } else if seconds < DAY {
        (seconds / HOUR, "h", seconds % HOUR / MINUTE, "min")
    } else {
        (seconds / DAY, "d", seconds % DAY / HOUR, "h")
    };
    if small == 0 {
        format!("{big} {big_unit}")
    } else {
        format!("{big} {big_unit} {small} {small_unit}")
    }
}

/// The local clock time of `at` (ms since the epoch): `14:03:27`, with the
/// date in front (`2025-03-04 14:03:27`) when it is not today's.
pub fn clock_time(at: u64, now: Now) -> String {
    let offset = i64::from(now.utc_offset_minutes) * 60_000;
    let local = |millis: u64| {
        i64::try_from(millis)
            .unwrap_or(i64::MAX)
            .saturating_add(offset)
    };
    let (day, ms_of_day) = {
        let at = local(at);
        (at.div_euclid(86_400_000), at.rem_euclid(86_400_000))
    };
    let seconds = ms_of_day / 1000;
    let time = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if day == local(now.millis).div_euclid(86_400_000) {
        time
    } else {
        let (year, month, day) = civil_date(day);
        format!("{year:04}-{month:02}-{day:02} {time}")
    }
}

/// The proleptic Gregorian date of day `days` after 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The first moment a live record of `layout` expires: when the engine
/// will answer differently for the map, the index and the stats.
pub fn next_expiry(layout: &Layout) -> Option<u64> {
    layout
        .segments
        .iter()
        .flat_map(|segment| &segment.records)
        .filter(|record| record.state == RecordState::Live)
        .filter_map(|record| record.expires_at)
        .min()
}

/// Milliseconds from `now` until something the page shows changes with the
/// time alone: a live record of `layout` expires, or the countdown of
/// `shown` (the record in the details panel) moves on a second. `None` when
/// nothing on show depends on the time, and the page can stop looking at
/// the clock. 0 means a record is due to expire already: read the layout.
pub fn next_change(layout: &Layout, shown: Option<&RecordLayout>, now: u64) -> Option<u64> {
    let expiry = next_expiry(layout).map(|at| at.saturating_sub(now));
    let countdown = shown
        .and_then(|record| Countdown::of(record, now))
        .map(Countdown::changes_in);
    match (expiry, countdown) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use mini_kvstore::{KvStore, ManualClock, MemStorage, Options, SyncPolicy};

    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    /// 2025-03-04 14:03:00 UTC.
    const T0: u64 = 1_741_096_980_000;

    fn store(clock: &Arc<ManualClock>) -> Result<KvStore, mini_kvstore::Error> {
        KvStore::open_with(
            MemStorage::new(),
            Options::default()
                .sync_policy(SyncPolicy::Never)
                .compaction_policy(mini_kvstore::CompactionPolicy::default().background(false))
                .clock(Arc::clone(clock)),
        )
    }

    fn record<'a>(layout: &'a Layout, key: &str) -> Result<&'a RecordLayout, String> {
        layout
            .segments
            .iter()
            .flat_map(|s| &s.records)
            .rfind(|r| r.key == key.as_bytes())
            .ok_or_else(|| format!("no record of {key}"))
    }

    #[test]
    fn a_countdown_runs_down_and_the_record_turns_expired() -> TestResult {
        let clock = Arc::new(ManualClock::new(T0));
        let store = store(&clock)?;
        store.set_with_ttl("session", "abc", Duration::from_secs(30))?;

        let layout = store.layout()?;
        let put = record(&layout, "session")?;
        assert_eq!(put.state, RecordState::Live);
        assert_eq!(put.expires_at, Some(T0 + 30_000));
        let words = |now| Countdown::of(put, now).map(Countdown::words);
        assert_eq!(words(T0).as_deref(), Some("expires in 30 s"));
        assert_eq!(words(T0 + 500).as_deref(), Some("expires in 30 s"));
        assert_eq!(words(T0 + 18_000).as_deref(), Some("expires in 12 s"));
        assert_eq!(words(T0 + 29_999).as_deref(), Some("expires in 1 s"));
        // The layout read before the deadline still says live: "now" until
        // the page reads it again.
        assert_eq!(words(T0 + 30_000).as_deref(), Some("expires now"));

        clock.set(T0 + 30_000);
        let layout = store.layout()?;
        let put = record(&layout, "session")?;
        assert_eq!(
            put.state,
            RecordState::Expired,
            "no write: only time passed"
        );
        let words = |now| Countdown::of(put, now).map(Countdown::words);
        assert_eq!(words(T0 + 30_000).as_deref(), Some("expired just now"));
        assert_eq!(words(T0 + 33_400).as_deref(), Some("expired 3 s ago"));
        assert_eq!(
            words(T0 + 30_000 + 125_000).as_deref(),
            Some("expired 2 min 5 s ago")
        );
        assert!(!store.contains_key("session"));
        Ok(())
    }

    #[test]
    fn records_without_a_ttl_have_no_countdown() -> TestResult {
        let clock = Arc::new(ManualClock::new(T0));
        let store = store(&clock)?;
        store.set("plain", "1")?;
        store.set_with_ttl("gone", "1", Duration::from_secs(5))?;
        store.set("gone", "2")?;
        let layout = store.layout()?;
        assert_eq!(Countdown::of(record(&layout, "plain")?, T0), None);
        let overwritten = layout
            .segments
            .iter()
            .flat_map(|s| &s.records)
            .find(|r| r.key == b"gone" && r.state == RecordState::Overwritten)
            .ok_or("the overwritten put")?;
        assert!(overwritten.expires_at.is_some());
        assert_eq!(
            Countdown::of(overwritten, T0),
            None,
            "its TTL no longer matters"
        );
        assert_eq!(next_expiry(&layout), None);
        Ok(())
    }

    #[test]
    fn the_page_looks_again_when_a_second_or_a_record_turns() -> TestResult {
        let clock = Arc::new(ManualClock::new(T0));
        let store = store(&clock)?;
        store.set("plain", "1")?;
        assert_eq!(
            next_change(&store.layout()?, None, T0),
            None,
            "nothing expires"
        );

        store.set_with_ttl("soon", "1", Duration::from_millis(2_500))?;
        store.set_with_ttl("later", "1", Duration::from_secs(60))?;
        let layout = store.layout()?;
        let later = record(&layout, "later")?;
        assert_eq!(next_expiry(&layout), Some(T0 + 2_500));
        assert_eq!(next_change(&layout, None, T0), Some(2_500));
        // Showing a countdown: its next second comes first.
        assert_eq!(next_change(&layout, Some(later), T0 + 200), Some(800));
        assert_eq!(next_change(&layout, Some(later), T0 + 2_300), Some(200));
        assert_eq!(
            next_change(&layout, None, T0 + 3_000),
            Some(0),
            "due: read again"
        );

        clock.set(T0 + 3_000);
        let layout = store.layout()?;
        let soon = record(&layout, "soon")?;
        assert_eq!(soon.state, RecordState::Expired);
        assert_eq!(next_change(&layout, None, T0 + 3_000), Some(57_000));
        // An expired record on show counts up its seconds.
        assert_eq!(next_change(&layout, Some(soon), T0 + 3_200), Some(300));

        clock.set(T0 + 61_000);
        let layout = store.layout()?;
        assert_eq!(
            next_change(&layout, None, T0 + 61_000),
            None,
            "all expired: stop"
        );
        let soon = record(&layout, "soon")?;
        assert_eq!(next_change(&layout, Some(soon), T0 + 61_000), Some(500));
        Ok(())
    }

    #[test]
    fn durations_read_in_two_units_at_most() {
        assert_eq!(duration_words(0), "0 s");
        assert_eq!(duration_words(59), "59 s");
        assert_eq!(duration_words(60), "1 min");
        assert_eq!(duration_words(250), "4 min 10 s");
        assert_eq!(duration_words(7_500), "2 h 5 min");
        assert_eq!(duration_words(3 * 86_400 + 4 * 3_600 + 59), "3 d 4 h");
    }

    #[test]
    fn clock_times_are_local_with_a_date_when_not_today() {
        let now = Now::utc(T0);
        assert_eq!(clock_time(T0 + 27_000, now), "14:03:27");
        assert_eq!(clock_time(T0 + 10 * 3_600_000, now), "2025-03-05 00:03:00");
        let paris = Now {
            millis: T0,
            utc_offset_minutes: 60,
        };
        assert_eq!(clock_time(T0, paris), "15:03:00");
        let honolulu = Now {
            millis: T0,
            utc_offset_minutes: -600,
        };
        assert_eq!(clock_time(T0, honolulu), "04:03:00");
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(-1), (1969, 12, 31));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
    }
}
