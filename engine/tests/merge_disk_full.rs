//! Proves that a merge that hits a full disk changes nothing: its partial
//! outputs are removed, the inputs stay in charge, the failure is counted
//! and reported, and the store goes on serving reads and writes — a failed
//! background merge does not poison the store. Once there is room again,
//! the same merge succeeds.

use anyhow::{Context, Result};
use mini_kvstore::storage::{Fault, FaultyStorage};
use mini_kvstore::{CompactionPolicy, Error, KvStore, MemStorage, Options, Storage, SyncPolicy};

fn options(policy: CompactionPolicy) -> Options {
    Options::default()
        .max_segment_size(2048)
        .sync_policy(SyncPolicy::Always)
        .background_hints(false)
        .compaction_policy(policy)
}

/// Overwrites twenty keys ten times: the older segments are worth merging.
fn overwrite(store: &KvStore, round: u32) -> Result<()> {
    for i in 0..20 {
        store.set(format!("key{i:02}"), format!("{round}:{i:0>60}"))?;
    }
    Ok(())
}

fn check_values(store: &KvStore, round: u32) -> Result<()> {
    for i in 0..20 {
        let value = store
            .get(format!("key{i:02}"))?
            .context("a key went missing")?;
        assert_eq!(value, format!("{round}:{i:0>60}").into_bytes());
    }
    Ok(())
}

/// The first segment a merge started now would write.
fn next_output(store: &KvStore) -> mini_kvstore::SegmentId {
    let highest = store.stats().active_segment;
    mini_kvstore::SegmentId(highest.0 + 1)
}

#[test]
fn a_merge_on_a_full_disk_leaves_the_store_as_it_was_and_serving() -> Result<()> {
    let storage = FaultyStorage::new(MemStorage::new())?;
    let store = KvStore::open_with(
        storage.clone(),
        options(CompactionPolicy::default().background(false)),
    )?;
    for round in 0..10 {
        overwrite(&store, round)?;
    }
    let segments_before = storage.list()?;
    let stats_before = store.stats();
    let planned = store.policy_plan().selected();
    assert!(!planned.is_empty());

    storage.inject(Fault::FullFrom {
        from: next_output(&store),
    });
    let error = store
        .compact_by_policy()
        .err()
        .context("the disk is full")?;
    let Error::Io { source, .. } = &error else {
        panic!("expected an I/O error, got {error:?}");
    };
    assert_eq!(source.kind(), std::io::ErrorKind::StorageFull);
    assert_eq!(
        storage.list()?,
        segments_before,
        "partial outputs are removed"
    );
    let stats = store.stats();
    assert_eq!(stats.compaction_failures, 1);
    assert_eq!(stats.compactions, 0);
    assert_eq!(stats.total_bytes, stats_before.total_bytes);
    let message = stats
        .last_compaction_failure
        .context("the failure is kept")?;
    assert!(message.contains("injected full disk"), "{message}");

    // Still serving: reads, and writes into the active segment.
    check_values(&store, 9)?;
    store.set("key00", format!("10:{:0>60}", 0))?;
    assert_eq!(
        store.get("key00")?,
        Some(format!("10:{:0>60}", 0).into_bytes())
    );
    store.set("key00", format!("9:{:0>60}", 0))?;

    // Room again: the merge runs and nothing was lost.
    storage.clear_faults();
    let report = store
        .compact_by_policy()?
        .context("the merge is still due")?;
    assert_eq!(report.inputs, planned);
    assert_eq!(store.stats().compactions, 1);
    check_values(&store, 9)?;
    drop(store);
    let store = KvStore::open_with(
        storage,
        options(CompactionPolicy::default().background(false)),
    )?;
    check_values(&store, 9)?;
    Ok(())
}
