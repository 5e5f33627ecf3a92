//! What the engine tells a metrics recorder about events that a snapshot
//! such as [`Stats`](crate::report::Stats) cannot show: how long each fsync took,
//! how many writes one group-commit fsync made durable, how long each merge
//! and the recovery at open took.
//!
//! Everything countable lives in [`Stats`](crate::report::Stats), read whenever
//! someone asks; a distribution has to be seen one event at a time, so
//! those go through the [`metrics`](https://docs.rs/metrics) facade, to
//! whatever recorder the program installed (the server installs a
//! Prometheus one). Only with the crate's `metrics` feature, and never on
//! wasm32, where `std::time::Instant` panics and no recorder exists: there
//! every function here compiles to nothing, so the call sites need no
//! `cfg` of their own and the browser build pulls in no metrics crate.
//!
//! The names are public so that an exporter can describe them; the
//! recording functions are the engine's own.

/// Histogram, seconds: one fsync. Labelled `by`: `group_commit` (the fsync
/// an acknowledged write waits for, and `KvStore::sync`)
/// or `compaction` (a merge's outputs).
pub const FSYNC_DURATION_SECONDS: &str = "kvstore_fsync_duration_seconds";

/// Histogram: the writes (records: a batch of n counts n) that one
/// group-commit fsync made durable. Forced syncs that found nothing new
/// are not observed.
pub const GROUP_COMMIT_WRITES: &str = "kvstore_group_commit_writes";

/// Histogram, seconds: one merge that committed, full or chosen by the
/// policy, by the store's clock (whole milliseconds).
pub const COMPACTION_DURATION_SECONDS: &str = "kvstore_compaction_duration_seconds";

/// Gauge, seconds: how long the last store opened took to read its
/// segments, repair them and rebuild its index.
pub const RECOVERY_DURATION_SECONDS: &str = "kvstore_recovery_duration_seconds";

/// The `by` label of [`FSYNC_DURATION_SECONDS`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum SyncBy {
    GroupCommit,
    Compaction,
}

#[cfg(all(feature = "metrics", not(target_arch = "wasm32")))]
mod recording {
    use std::time::Instant;

    use crate::report::CompactionReport;
    use crate::telemetry::{
        COMPACTION_DURATION_SECONDS, FSYNC_DURATION_SECONDS, GROUP_COMMIT_WRITES,
        RECOVERY_DURATION_SECONDS, SyncBy,
    };

    /// When something started.
    pub(crate) struct Stopwatch(Instant);

    impl Stopwatch {
        pub(crate) fn start() -> Self {
            Stopwatch(Instant::now())
        }
    }

    pub(crate) fn synced(by: SyncBy, took: Stopwatch) {
        let by = match by {
            SyncBy::GroupCommit => "group_commit",
            SyncBy::Compaction => "compaction",
        };
        metrics::histogram!(FSYNC_DURATION_SECONDS, "by" => by).record(took.0.elapsed());
    }

    pub(crate) fn group_commit(writes: u64) {
        if writes > 0 {
            metrics::histogram!(GROUP_COMMIT_WRITES).record(writes as f64);
        }
    }

    pub(crate) fn compacted(report: &CompactionReport) {
        metrics::histogram!(COMPACTION_DURATION_SECONDS).record(report.duration_ms as f64 / 1e3);
    }

    pub(crate) fn recovered(took: Stopwatch) {
        metrics::gauge!(RECOVERY_DURATION_SECONDS).set(took.0.elapsed());
    }
}

#[cfg(not(all(feature = "metrics", not(target_arch = "wasm32"))))]
mod recording {
    use crate::report::CompactionReport;
    use crate::telemetry::SyncBy;

    /// Nothing to time without a recorder.
    pub(crate) struct Stopwatch;

    impl Stopwatch {
        pub(crate) fn start() -> Self {
            Stopwatch
        }
    }

    pub(crate) fn synced(_: SyncBy, _: Stopwatch) {}

    pub(crate) fn group_commit(_: u64) {}

    pub(crate) fn compacted(_: &CompactionReport) {}

    pub(crate) fn recovered(_: Stopwatch) {}
}

/// Call sites: `let took = Stopwatch::start();` before, one of these after.
pub(crate) use recording::{Stopwatch, compacted, group_commit, recovered, synced};
