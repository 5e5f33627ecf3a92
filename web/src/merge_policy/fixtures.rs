//! For tests: one real merge by the page's policy, shared by the tests of
//! the stage, the replay and the map's drawing, so each of them needs no
//! store, writes and merge of its own.

use mini_kvstore::Layout;

use super::settings::PolicySettings;

/// For tests: a real merge by the page's policy over a tiny store — the
/// layout before it, its report and the layout after. Every third key is
/// written once and the rest three times, so the first segments are mostly
/// dead but still hold live records to move.
#[cfg(test)]
pub(crate) fn real_merge()
-> Result<(Layout, mini_kvstore::CompactionReport, Layout), Box<dyn std::error::Error>> {
    let store = mini_kvstore::KvStore::open_with(
        mini_kvstore::MemStorage::new(),
        mini_kvstore::Options::default()
            .max_segment_size(256)
            .compaction_policy(PolicySettings::default().policy(256).background(false)),
    )?;
    for round in 0..3 {
        for i in 0..12 {
            if round == 0 || i % 3 != 0 {
                store.set(format!("k{i:02}"), format!("value {round} of k{i:02}"))?;
            }
        }
    }
    let before = store.layout()?;
    let report = store.compact_by_policy()?.ok_or("a merge")?;
    let after = store.layout()?;
    Ok((before, report, after))
}
