//! The engine's numbers as gauges and counters, read from
//! [`Stats`](mini_kvstore::Stats) when someone scrapes: a snapshot the
//! engine keeps anyway, so nothing is counted twice and a value is never
//! older than the scrape that shows it.
//!
//! The engine's counters (bytes written, merges) count since the store
//! opened; they become Prometheus counters by taking their absolute value.

use metrics::{counter, gauge};
use mini_kvstore::Stats;

use crate::metrics::catalogue::{
    COMPACTION_FAILURES, COMPACTION_WRITE_BYTES, COMPACTIONS, CORRUPT_BYTES, CORRUPT_RANGES,
    DEAD_BYTES, KEYS, LIVE_BYTES, POISONED, SEGMENTS, SPACE_AMPLIFICATION, STORAGE_BYTES,
    WRITE_AMPLIFICATION, WRITE_BYTES,
};

/// Sets every store gauge and counter from `stats`, and whether the store
/// is `poisoned`.
pub(crate) fn record(stats: &Stats, poisoned: bool) {
    gauge!(KEYS).set(stats.keys as f64);
    gauge!(SEGMENTS).set(stats.segments as f64);
    gauge!(STORAGE_BYTES).set(stats.total_bytes as f64);
    gauge!(LIVE_BYTES).set(stats.live_bytes as f64);
    gauge!(DEAD_BYTES).set(stats.dead_bytes as f64);
    gauge!(SPACE_AMPLIFICATION).set(stats.space_amplification());
    gauge!(WRITE_AMPLIFICATION).set(stats.write_amplification());
    gauge!(CORRUPT_RANGES).set(stats.corrupt_ranges as f64);
    gauge!(CORRUPT_BYTES).set(stats.corrupt_bytes as f64);
    gauge!(POISONED).set(if poisoned { 1.0 } else { 0.0 });
    counter!(WRITE_BYTES).absolute(stats.user_bytes_written);
    counter!(COMPACTIONS).absolute(stats.compactions);
    counter!(COMPACTION_FAILURES).absolute(stats.compaction_failures);
    counter!(COMPACTION_WRITE_BYTES).absolute(stats.compaction_bytes_written);
}
