//! Proves that a crash inside compaction's two windows loses nothing and
//! brings no deleted key back: after the commit is durable but before any
//! input is removed (recovery finishes the removal), and before the commit
//! is whole (recovery keeps the inputs and the store still reads right).
//! Also that the sequence never goes back when compaction dropped the
//! records that held the highest seqs.

use anyhow::{Context, Result};
use mini_kvstore::{KvStore, MemStorage, Options, RecordKind, SegmentId, Storage, SyncPolicy};

fn small() -> Options {
    Options::default()
        .max_segment_size(256)
        .sync_policy(SyncPolicy::Never)
}

fn snapshot(storage: &MemStorage) -> Vec<(SegmentId, Vec<u8>)> {
    storage
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|id| storage.segment_bytes(id).map(|b| (id, b)))
        .collect()
}

/// A store where `gone` was deleted after being written several times,
/// and `kept` holds its last value; returns the storage after closing.
fn store_with_a_deleted_key() -> Result<MemStorage> {
    let storage = MemStorage::new();
    let store = KvStore::open_with(storage.clone(), small())?;
    for i in 0..20 {
        store.set("gone", format!("old value {i}"))?;
        store.set("kept", format!("value {i}"))?;
    }
    store.delete("gone")?;
    Ok(storage)
}

#[test]
fn a_crash_before_the_inputs_are_removed_never_resurrects_a_key() -> Result<()> {
    let storage = store_with_a_deleted_key()?;
    let before = snapshot(&storage);
    {
        let store = KvStore::open_with(storage.clone(), small())?;
        let report = store.compact()?;
        let mut inputs = report.inputs.clone();
        inputs.sort_unstable();
        let ids: Vec<SegmentId> = before.iter().map(|(id, _)| *id).collect();
        assert_eq!(inputs, ids, "every segment there was is an input");
    }
    // Put every input back, as if the crash came right after the commit
    // was durable and before any input was removed.
    for (id, bytes) in &before {
        storage.put_segment_bytes(*id, bytes.clone());
    }
    let store = KvStore::open_with(storage.clone(), small())?;
    assert_eq!(store.get("gone")?, None);
    assert_eq!(store.get("kept")?, Some(b"value 19".to_vec()));
    let report = store.recovery_report();
    assert_eq!(report.removed_segments.len(), before.len());
    for (id, _) in &before {
        assert!(
            storage.segment_bytes(*id).is_none(),
            "segment {id} should be gone"
        );
    }
    Ok(())
}

#[test]
fn a_crash_before_the_commit_keeps_the_inputs_and_loses_nothing() -> Result<()> {
    let storage = store_with_a_deleted_key()?;
    let before = snapshot(&storage);
    let (last, commit_at) = {
        let store = KvStore::open_with(storage.clone(), small())?;
        let last = *store.compact()?.outputs.last().context("no outputs")?;
        let layout = store.layout()?;
        let output = layout
            .segments
            .iter()
            .find(|segment| segment.id == last)
            .context("the last output is not in the layout")?;
        let commit = output
            .records
            .iter()
            .find(|record| record.kind == RecordKind::CompactionCommit)
            .context("no commit record in the last output")?;
        (last, commit.offset)
    };
    // Cut the commit and seal off the last output and restore the inputs:
    // the compaction never committed.
    let mut bytes = storage.segment_bytes(last).context("output missing")?;
    bytes.truncate(commit_at as usize + 7); // and tear the commit itself
    storage.put_segment_bytes(last, bytes);
    for (id, bytes) in &before {
        storage.put_segment_bytes(*id, bytes.clone());
    }
    let store = KvStore::open_with(storage.clone(), small())?;
    assert_eq!(store.get("gone")?, None);
    assert_eq!(store.get("kept")?, Some(b"value 19".to_vec()));
    assert!(store.recovery_report().removed_segments.is_empty());
    assert!(store.verify()?.is_clean());
    // A later compaction cleans up the duplicates.
    store.compact()?;
    assert_eq!(store.keys(), vec![b"kept".to_vec()]);
    Ok(())
}

#[test]
fn the_sequence_never_goes_back_after_compaction_drops_records() -> Result<()> {
    let storage = MemStorage::new();
    let seq = {
        let store = KvStore::open_with(storage.clone(), small())?;
        store.set("a", "1")?;
        let outcome = store.set_versioned("b", "2")?;
        store.delete("b")?;
        store.delete("a")?;
        store.compact()?;
        outcome.seq
    };
    let store = KvStore::open_with(storage, small())?;
    // Two deletes followed `b`'s write, so the next seq is past all three.
    assert_eq!(store.set_versioned("b", "3")?.seq, seq + 3);
    Ok(())
}
