//! Proves the tombstone rule of partial merges: a merge that leaves alone
//! the segment holding an older put of a deleted key must copy the key's
//! tombstone, or the put would be the newest record of the key again and
//! the deleted value would come back on the next open (bitcask's PR #156).
//! Once nothing older survives outside a merge, the tombstone goes.

use anyhow::{Context, Result};
use mini_kvstore::{
    CompactionPolicy, CompactionTrigger, KvStore, MemStorage, Options, RecordKind, SegmentId,
    SyncPolicy,
};

fn options() -> Options {
    Options::default()
        .max_segment_size(1000)
        .sync_policy(SyncPolicy::Never)
        .compaction_policy(CompactionPolicy::default().background(false))
}

/// Writes `prefix0`, `prefix1`, … (100-byte values) until the store starts
/// a new active segment; returns how many were written.
fn fill_until_rotation(store: &KvStore, prefix: &str) -> Result<usize> {
    let start = store.stats().active_segment;
    let mut written = 0;
    while store.stats().active_segment == start {
        store.set(format!("{prefix}{written}"), [b'v'; 100])?;
        written += 1;
    }
    Ok(written)
}

/// Overwrites `key` until the store starts a new active segment.
fn overwrite_until_rotation(store: &KvStore, key: &str) -> Result<()> {
    let start = store.stats().active_segment;
    let mut round = 0u32;
    while store.stats().active_segment == start {
        store.set(key, format!("{round:0>100}"))?;
        round += 1;
    }
    Ok(())
}

fn tombstones_on_storage(store: &KvStore) -> Result<usize> {
    Ok(store
        .layout()?
        .segments
        .iter()
        .flat_map(|s| &s.records)
        .filter(|r| r.kind == RecordKind::Tombstone)
        .count())
}

/// Segment A: `gone`'s only put, and live filler. Segment B: the tombstone
/// of `gone` among overwrites of `hot`, so B is mostly dead and A is not.
fn store_with_tombstone_apart_from_its_put(storage: &MemStorage) -> Result<(SegmentId, SegmentId)> {
    let store = KvStore::open_with(storage.clone(), options())?;
    let a = store.stats().active_segment;
    store.set("gone", "the old value")?;
    fill_until_rotation(&store, "a")?;
    let b = store.stats().active_segment;
    assert!(store.delete("gone")?);
    overwrite_until_rotation(&store, "hot")?;
    Ok((a, b))
}

#[test]
fn a_merge_that_leaves_the_older_put_alone_keeps_the_tombstone() -> Result<()> {
    let storage = MemStorage::new();
    let (a, b) = store_with_tombstone_apart_from_its_put(&storage)?;
    let store = KvStore::open_with(storage.clone(), options())?;

    let choice = store.policy_plan();
    assert_eq!(choice.selected(), vec![b], "B is worth merging, A is not");
    let report = store
        .compact_by_policy()?
        .context("segment B should trigger a merge")?;
    assert_eq!(report.trigger, CompactionTrigger::Policy);
    assert_eq!(report.inputs, vec![b]);
    assert!(!report.inputs.contains(&a));
    assert_eq!(report.tombstones_kept, 1, "gone's put still sits in A");
    assert_eq!(report.tombstones_dropped, 0);
    assert_eq!(tombstones_on_storage(&store)?, 1);
    assert_eq!(store.get("gone")?, None);
    drop(store);

    let store = KvStore::open_with(storage, options())?;
    assert_eq!(store.get("gone")?, None, "the deleted value came back");
    assert!(store.verify()?.is_clean());
    Ok(())
}

#[test]
fn the_tombstone_goes_once_no_older_put_survives_outside_the_merge() -> Result<()> {
    let storage = MemStorage::new();
    store_with_tombstone_apart_from_its_put(&storage)?;
    let store = KvStore::open_with(storage.clone(), options())?;
    store.compact_by_policy()?.context("B merges first")?;
    assert_eq!(tombstones_on_storage(&store)?, 1);

    // A full compaction leaves nothing outside: the tombstone and the old
    // put both go.
    let report = store.compact()?;
    assert_eq!(report.tombstones_dropped, 1);
    assert_eq!(report.tombstones_kept, 0);
    assert_eq!(tombstones_on_storage(&store)?, 0);
    drop(store);
    let store = KvStore::open_with(storage, options())?;
    assert_eq!(store.get("gone")?, None);
    Ok(())
}

#[test]
fn a_kept_tombstone_is_still_known_as_needed_after_reopening() -> Result<()> {
    // B's merge output holds live records and the kept tombstone, nothing
    // dead: merging it alone would give nothing back while A holds the old
    // put. Reopening (from the output's hint or its records) must know
    // that too, or the tombstone would count as dead bytes and invite
    // merges that only copy it again.
    let storage = MemStorage::new();
    store_with_tombstone_apart_from_its_put(&storage)?;
    let output = {
        let store = KvStore::open_with(storage.clone(), options())?;
        let report = store.compact_by_policy()?.context("B merges first")?;
        let [output] = report.outputs[..] else {
            anyhow::bail!("one output expected: {report:?}");
        };
        output
    };
    for reopened in 0..2 {
        let store = KvStore::open_with(storage.clone(), options())?;
        let plan = store.policy_plan();
        let seen = plan
            .segments
            .iter()
            .find(|s| s.id == output)
            .context("the output is sealed and assessed")?;
        assert_eq!(seen.dead_bytes, 0, "reopen {reopened}: {seen:?}");
        assert_eq!(store.get("gone")?, None);
    }
    Ok(())
}
