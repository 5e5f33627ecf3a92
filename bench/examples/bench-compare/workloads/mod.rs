//! The workloads, each run the same way against every store, and the
//! measuring helpers they share: the sizes of a run and the parts it can
//! pick live here; keys in `keys`, the timers and counters in `measure`, the
//! workloads on a filled store in `filled`, the sustained overwrites in
//! `overwrite`.

use std::time::Duration;

mod filled;
mod keys;
mod measure;
mod overwrite;

pub(crate) use filled::{compaction, fill, range_scans};
pub(crate) use keys::{Rng, missing_key, random_key, seq_key, value};
pub(crate) use measure::{disk_usage, for_duration, rate, rss, threaded};
pub(crate) use overwrite::{Overwrite, overwrite};

/// Sizes of one run: the full one, whose figures `docs/BENCHMARKS.md`
/// reports, or the quick one CI uses, whose figures mean nothing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    pub keys: u64,
    pub durable_for: Duration,
    /// Prefix scans, and range scans of [`SHORT_RANGE`] keys.
    pub scans: u64,
    /// Range scans of [`LONG_RANGE`] keys: fewer, as each reads far more
    /// keys.
    pub long_scans: u64,
    /// Divides the operation counts of the value-size workloads.
    pub value_size_divisor: u64,
    /// Keys of the sustained-overwrite workload, and how long it overwrites.
    pub overwrite_keys: u64,
    pub overwrite_for: Duration,
}

impl Scale {
    pub(crate) const FULL: Scale = Scale {
        keys: 1_000_000,
        durable_for: Duration::from_secs(10),
        scans: 1_000,
        long_scans: 100,
        value_size_divisor: 1,
        overwrite_keys: 100_000,
        overwrite_for: Duration::from_secs(60),
    };
    pub(crate) const QUICK: Scale = Scale {
        keys: 20_000,
        durable_for: Duration::from_millis(500),
        scans: 100,
        long_scans: 10,
        value_size_divisor: 20,
        overwrite_keys: 5_000,
        overwrite_for: Duration::from_millis(1500),
    };

    /// How many range scans of `keys` keys a run makes.
    pub(crate) fn range_scans(self, keys: u64) -> u64 {
        if keys > SHORT_RANGE {
            self.long_scans
        } else {
            self.scans
        }
    }
}

pub(crate) const VALUE_LEN: usize = 100;

/// Keys in a short and in a long range scan.
pub(crate) const SHORT_RANGE: u64 = 100;
pub(crate) const LONG_RANGE: u64 = 10_000;

/// The parts of a run that `--workloads` can pick, in the order a run
/// measures them. `Fill` to `Reopen` share one filled store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Workload {
    /// The fill, and the bytes on disk per key after it.
    Fill,
    RandomGet,
    MissingGet,
    Mixed,
    PrefixScan,
    Ranges,
    Compaction,
    /// Reopen time and memory, in a child process.
    Reopen,
    RandomSet,
    DurableSet,
    ValueSizes,
    SustainedOverwrite,
}

impl Workload {
    pub(crate) const ALL: [Workload; 12] = [
        Workload::Fill,
        Workload::RandomGet,
        Workload::MissingGet,
        Workload::Mixed,
        Workload::PrefixScan,
        Workload::Ranges,
        Workload::Compaction,
        Workload::Reopen,
        Workload::RandomSet,
        Workload::DurableSet,
        Workload::ValueSizes,
        Workload::SustainedOverwrite,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Workload::Fill => "fill",
            Workload::RandomGet => "random-get",
            Workload::MissingGet => "missing-get",
            Workload::Mixed => "mixed",
            Workload::PrefixScan => "prefix-scan",
            Workload::Ranges => "ranges",
            Workload::Compaction => "compaction",
            Workload::Reopen => "reopen",
            Workload::RandomSet => "random-set",
            Workload::DurableSet => "durable-set",
            Workload::ValueSizes => "value-sizes",
            Workload::SustainedOverwrite => "sustained-overwrite",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// Whether it measures the store filled by [`Workload::Fill`].
    pub(crate) fn on_filled_store(self) -> bool {
        self <= Workload::Reopen
    }
}
