//! Hint files: written for sealed segments (at rotation, by compaction and by
//! `open`), used by the next `open` instead of decoding those segments, and
//! never trusted when they do not fit: a damaged hint, a hint whose segment
//! changed (bit rot, a cut), or a hint left for a segment that is gone is
//! ignored, and the store opens exactly as without it.

use anyhow::Result;
use mini_kvstore::{KvStore, MemStorage, Options, SegmentId, Storage, SyncPolicy};

/// Every `(key, value)` in key order.
type Contents = Vec<(Vec<u8>, Vec<u8>)>;

fn options() -> Options {
    Options::default()
        .max_segment_size(512)
        .sync_policy(SyncPolicy::Never)
}

/// A store with several sealed segments; returns it closed, and its contents.
fn build() -> Result<(MemStorage, Contents)> {
    let storage = MemStorage::new();
    let store = KvStore::open_with(storage.clone(), options())?;
    for round in 0..3 {
        for i in 0..40 {
            store.set(format!("key-{i:03}"), format!("round {round} value {i}"))?;
        }
        store.delete(format!("key-{:03}", round * 7))?;
    }
    let contents = store.iter().collect::<mini_kvstore::Result<Vec<_>>>()?;
    drop(store);
    Ok((storage, contents))
}

fn sealed_segments(storage: &MemStorage) -> Result<Vec<SegmentId>> {
    let store = KvStore::open_with(storage.clone(), options())?;
    let layout = store.layout()?;
    Ok(layout
        .segments
        .iter()
        .filter(|s| s.sealed)
        .map(|s| s.id)
        .collect())
}

fn reopen(storage: &MemStorage) -> Result<(KvStore, Contents)> {
    let store = KvStore::open_with(storage.clone(), options())?;
    let contents = store.iter().collect::<mini_kvstore::Result<Vec<_>>>()?;
    Ok((store, contents))
}

#[test]
fn rotation_leaves_hints_that_the_next_open_uses() -> Result<()> {
    let (storage, contents) = build()?;
    let sealed = sealed_segments(&storage)?;
    assert!(sealed.len() >= 3);
    for id in &sealed {
        assert!(
            storage.hint_bytes(*id).is_some(),
            "segment {id} has no hint"
        );
    }
    let (store, reopened) = reopen(&storage)?;
    assert_eq!(reopened, contents);
    let report = store.recovery_report();
    assert_eq!(report.hinted_segments, sealed.len(), "{report:?}");
    assert_eq!(
        store.stats().dead_bytes + store.stats().live_bytes,
        store.stats().total_bytes
    );
    Ok(())
}

#[test]
fn the_same_store_opens_the_same_with_or_without_hints() -> Result<()> {
    let (storage, _) = build()?;
    let (with, with_contents) = reopen(&storage)?;
    let with_stats = with.stats();
    drop(with);
    let bare = MemStorage::new();
    for id in storage.list()? {
        bare.put_segment_bytes(id, storage.segment_bytes(id).unwrap_or_default());
    }
    let (without, without_contents) = reopen(&bare)?;
    assert_eq!(without.recovery_report().hinted_segments, 0);
    assert_eq!(with_contents, without_contents);
    let without_stats = without.stats();
    assert_eq!(
        (
            with_stats.keys,
            with_stats.live_bytes,
            with_stats.dead_bytes,
            with_stats.next_seq
        ),
        (
            without_stats.keys,
            without_stats.live_bytes,
            without_stats.dead_bytes,
            without_stats.next_seq
        )
    );
    Ok(())
}

#[test]
fn a_damaged_hint_is_ignored_and_rewritten() -> Result<()> {
    let (storage, contents) = build()?;
    let sealed = sealed_segments(&storage)?;
    let victim = sealed[0];
    let mut hint = storage.hint_bytes(victim).expect("hint");
    let middle = hint.len() / 2;
    hint[middle] ^= 0x10;
    storage.put_hint_bytes(victim, Some(hint));
    let (store, reopened) = reopen(&storage)?;
    assert_eq!(reopened, contents);
    assert_eq!(store.recovery_report().hinted_segments, sealed.len() - 1);
    drop(store);
    let (store, _) = reopen(&storage)?;
    assert_eq!(
        store.recovery_report().hinted_segments,
        sealed.len(),
        "rewritten by the open before"
    );
    Ok(())
}

#[test]
fn a_hint_never_hides_a_changed_segment() -> Result<()> {
    let (storage, _) = build()?;
    let sealed = sealed_segments(&storage)?;
    // Bit rot inside a sealed segment's first record: same length, same seal.
    let victim = sealed[0];
    let mut bytes = storage.segment_bytes(victim).expect("segment");
    bytes[16 + 21 + 3] ^= 0x01;
    storage.put_segment_bytes(victim, bytes);
    let (store, _) = reopen(&storage)?;
    let report = store.recovery_report();
    assert_eq!(
        report.corrupt.len(),
        1,
        "found at open, as without hints: {report:?}"
    );
    assert_eq!(report.corrupt[0].segment, victim);
    assert_eq!(report.hinted_segments, sealed.len() - 1);
    Ok(())
}

#[test]
fn hints_for_cut_or_missing_segments_are_ignored() -> Result<()> {
    let (storage, contents) = build()?;
    let sealed = sealed_segments(&storage)?;
    // A hint for a segment that does not exist names nothing.
    storage.put_hint_bytes(SegmentId(999), storage.hint_bytes(sealed[0]));
    // A sealed segment that lost its seal no longer fits its hint.
    let last = *sealed.last().expect("sealed");
    let bytes = storage.segment_bytes(last).expect("segment");
    storage.put_segment_bytes(last, bytes[..bytes.len() - 29].to_vec());
    let (store, reopened) = reopen(&storage)?;
    assert_eq!(reopened, contents, "only the seal was cut");
    assert_eq!(store.recovery_report().hinted_segments, sealed.len() - 1);
    assert!(!storage.list()?.contains(&SegmentId(999)));
    Ok(())
}

#[test]
fn compaction_outputs_get_hints_on_real_files() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let contents = {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for i in 0..200 {
            store.set(format!("k{i:04}"), format!("v{i}"))?;
        }
        let report = store.compact()?;
        for id in &report.outputs {
            assert!(
                dir.path().join(id.hint_file_name()).is_file(),
                "no hint for output {id}"
            );
        }
        store.iter().collect::<mini_kvstore::Result<Vec<_>>>()?
    };
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert!(store.recovery_report().hinted_segments > 0);
    assert_eq!(
        store.iter().collect::<mini_kvstore::Result<Vec<_>>>()?,
        contents
    );
    Ok(())
}
