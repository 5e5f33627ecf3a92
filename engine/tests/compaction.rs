//! Proves that `compact()` reclaims the space of overwritten records: a store
//! that overwrote the same 100 keys 200 times shrinks to under a tenth of its
//! size (by its own stats and by the real file sizes on disk), keeps every
//! latest value, and reads the same after reopen; the report adds up; the
//! store keeps working after compaction.

mod common;

use anyhow::Result;
use common::{key, segment_bytes_on_disk, segment_files, value};
use mini_kvstore::{CompactionPolicy, KvStore, MemStorage, Options, SyncPolicy};

const KEYS: usize = 100;
const ROUNDS: usize = 200;

fn options() -> Options {
    // 20,000 writes: one fsync each would only measure the disk.
    // These tests are about `compact()`; the background merges stay off.
    Options::default()
        .compaction_policy(CompactionPolicy::default().background(false))
        .max_segment_size(64 * 1024)
        .sync_policy(SyncPolicy::Never)
}

fn check_latest(store: &KvStore) -> Result<()> {
    assert_eq!(store.len(), KEYS);
    for i in 0..KEYS {
        assert_eq!(store.get(key(i))?, Some(value(i, ROUNDS - 1)), "key {i}");
    }
    Ok(())
}

#[test]
fn compaction_reclaims_overwritten_records() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let bytes_before_compaction = {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for round in 0..ROUNDS {
            for i in 0..KEYS {
                store.set(key(i), value(i, round))?;
            }
        }
        store.sync()?;

        let before = store.stats();
        assert_eq!(before.keys, KEYS);
        assert_eq!(before.live_bytes + before.dead_bytes, before.total_bytes);
        assert_eq!(segment_bytes_on_disk(dir.path())?, before.total_bytes);
        assert!(before.segments > 1, "64 KiB segments should have rotated");
        assert!(
            before.dead_ratio() > 0.9,
            "dead ratio {}",
            before.dead_ratio()
        );

        let report = store.compact()?;
        // Unsynced appends (here the fresh active segment's header) may sit
        // in the storage's write buffer; after a sync the files are complete.
        store.sync()?;
        let after = store.stats();
        let on_disk = segment_bytes_on_disk(dir.path())?;

        assert!(
            after.total_bytes * 10 < before.total_bytes,
            "stats: {} bytes before, {} after",
            before.total_bytes,
            after.total_bytes
        );
        assert!(
            on_disk * 10 < before.total_bytes,
            "disk: {} bytes before, {on_disk} after",
            before.total_bytes
        );
        assert_eq!(on_disk, after.total_bytes, "stats agree with the files");
        assert_eq!(after.live_bytes + after.dead_bytes, after.total_bytes);
        assert!(after.segments < before.segments);
        assert_eq!(after.keys, KEYS);

        assert!(report.bytes_after < report.bytes_before);
        assert!(report.bytes_after * 10 < report.bytes_before);
        assert_eq!(
            report.bytes_reclaimed(),
            report.bytes_before - report.bytes_after
        );
        assert!(report.segments_before >= report.segments_after);
        assert!(report.segments_before > 1);
        assert!(
            (1..=KEYS as u64).contains(&report.records_copied),
            "copied {} records, there are {KEYS} live keys",
            report.records_copied
        );
        check_latest(&store)?;
        before.total_bytes
    };
    let store = KvStore::open_with_options(dir.path(), options())?;
    check_latest(&store)?;
    assert!(store.verify()?.is_clean());
    let after_reopen = segment_bytes_on_disk(dir.path())?;
    assert!(
        after_reopen * 10 < bytes_before_compaction,
        "reopening grew the files back to {after_reopen} bytes"
    );
    Ok(())
}

#[test]
fn store_keeps_working_after_compaction() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || {
        Options::default()
            .max_segment_size(512)
            .compaction_policy(CompactionPolicy::default().background(false))
    };
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for round in 0..10 {
            for i in 0..20 {
                store.set(key(i), value(i, round))?;
            }
        }
        store.compact()?;
        // Overwrite half, delete a quarter, add some, all after compaction.
        for i in 0..10 {
            store.set(key(i), value(i, 100))?;
        }
        for i in 15..20 {
            assert!(store.delete(key(i))?);
        }
        for i in 20..25 {
            store.set(key(i), value(i, 100))?;
        }
        store.compact()?;
        store.set(key(25), value(25, 100))?;
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    for i in 0..10 {
        assert_eq!(store.get(key(i))?, Some(value(i, 100)), "key {i}");
    }
    for i in 10..15 {
        assert_eq!(store.get(key(i))?, Some(value(i, 9)), "key {i}");
    }
    for i in 15..20 {
        assert_eq!(store.get(key(i))?, None, "key {i} was deleted");
    }
    for i in 20..26 {
        assert_eq!(store.get(key(i))?, Some(value(i, 100)), "key {i}");
    }
    assert_eq!(store.len(), 21);
    Ok(())
}

#[test]
fn compacting_twice_and_compacting_empty_are_harmless() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.compact()?;
    assert!(store.is_empty());

    for i in 0..10 {
        store.set(key(i), value(i, 0))?;
        store.set(key(i), value(i, 1))?;
    }
    store.compact()?;
    let once = store.stats();
    let second = store.compact()?;
    let twice = store.stats();
    assert!(
        twice.total_bytes <= once.total_bytes + 256,
        "a second compaction of a compacted store grew it from {} to {} bytes",
        once.total_bytes,
        twice.total_bytes
    );
    assert!(second.records_copied <= 10);
    for i in 0..10 {
        assert_eq!(store.get(key(i))?, Some(value(i, 1)));
    }
    drop(store);
    let store = KvStore::open(dir.path())?;
    for i in 0..10 {
        assert_eq!(store.get(key(i))?, Some(value(i, 1)));
    }
    Ok(())
}

#[test]
fn compaction_drops_files_of_fully_dead_segments() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(
        dir.path(),
        Options::default()
            .max_segment_size(256)
            .compaction_policy(CompactionPolicy::default().background(false)),
    )?;
    for round in 0..20 {
        for i in 0..4 {
            store.set(key(i), value(i, round))?;
        }
    }
    let files_before = segment_files(dir.path())?.len();
    assert!(files_before > 5);
    store.compact()?;
    let files_after = segment_files(dir.path())?.len();
    assert!(
        files_after < files_before,
        "{files_before} segment files before compaction, {files_after} after"
    );
    assert_eq!(store.stats().segments, files_after);
    Ok(())
}

fn small_in_memory() -> Options {
    Options::default()
        .compaction_policy(CompactionPolicy::default().background(false))
        .max_segment_size(256)
        .sync_policy(SyncPolicy::Never)
}

#[test]
fn writes_during_compaction_win_over_the_copies() -> Result<()> {
    let storage = MemStorage::new();
    let store = KvStore::open_with(storage.clone(), small_in_memory())?;
    for i in 0..200 {
        store.set(format!("k{}", i % 20), format!("v{i}"))?;
    }
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || -> mini_kvstore::Result<()> {
            for i in 0..500 {
                store.set(format!("k{}", i % 20), format!("late{i}"))?;
                if i % 7 == 0 {
                    store.delete(format!("k{}", (i + 3) % 20))?;
                }
            }
            Ok(())
        })
    };
    for _ in 0..5 {
        store.compact()?;
    }
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("writer panicked"))??;
    let expected: Vec<(Vec<u8>, Vec<u8>)> = store.iter().collect::<mini_kvstore::Result<_>>()?;
    store.compact()?;
    drop(store);
    let store = KvStore::open_with(storage, small_in_memory())?;
    let reopened: Vec<(Vec<u8>, Vec<u8>)> = store.iter().collect::<mini_kvstore::Result<_>>()?;
    assert_eq!(expected, reopened);
    assert!(reopened.iter().all(|(_, v)| v.starts_with(b"late")));
    Ok(())
}

#[test]
fn an_empty_store_compacts_to_one_output_and_the_active_segment() -> Result<()> {
    let store = KvStore::open_with(MemStorage::new(), small_in_memory())?;
    let report = store.compact()?;
    assert_eq!(report.records_copied, 0);
    assert_eq!(report.outputs.len(), 1);
    let again = store.compact()?;
    assert_eq!(again.segments_after, 2, "one output and the active segment");
    Ok(())
}
