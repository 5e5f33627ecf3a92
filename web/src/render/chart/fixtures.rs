//! Series to chart in the tests: a store really run, merging by its
//! policy or never.

use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options};

use crate::series::Series;

pub(super) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// A series of a store overwritten `rounds` times, merged by policy
/// as it goes (`auto`) or never.
pub(super) fn run(auto: bool, rounds: usize) -> Result<Series, mini_kvstore::Error> {
    let store = KvStore::open_with(
        MemStorage::new(),
        Options::default()
            .max_segment_size(256)
            .compaction_policy(CompactionPolicy::default().background(false)),
    )?;
    let mut series = Series::new();
    for round in 0..rounds {
        for i in 0..4 {
            store.set(format!("k{i}"), "a value of some length")?;
        }
        let t = round as u64 * 500;
        if auto && let Some(report) = store.compact_by_policy()? {
            series.merge(t, report);
        }
        series.record(t, &store.stats());
    }
    Ok(series)
}
