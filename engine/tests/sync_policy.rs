//! Proves that every `SyncPolicy` keeps acknowledged writes across a clean
//! drop + reopen, and that `sync()` under `SyncPolicy::Never` makes the bytes
//! reach the segment files (visible to an independent reader of the
//! directory) without changing what the store reads.

mod common;

use std::fs;

use anyhow::Result;
use common::format::{self, PUT};
use common::{key, segment_files, value};
use mini_kvstore::{KvStore, Options, SyncPolicy};

fn round_trip(policy: SyncPolicy) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || {
        Options::default()
            .sync_policy(policy)
            .max_segment_size(1024)
    };
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for i in 0..100 {
            store.set(key(i), value(i, 0))?;
        }
        assert!(store.delete(key(0))?);
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert_eq!(store.len(), 99, "{policy:?}");
    assert_eq!(store.get(key(0))?, None);
    for i in 1..100 {
        assert_eq!(store.get(key(i))?, Some(value(i, 0)), "{policy:?} key {i}");
    }
    Ok(())
}

#[test]
fn always_keeps_writes() -> Result<()> {
    round_trip(SyncPolicy::Always)
}

#[test]
fn every_millis_keeps_writes() -> Result<()> {
    round_trip(SyncPolicy::EveryMillis(5))
}

#[test]
fn never_keeps_writes_on_a_clean_drop() -> Result<()> {
    round_trip(SyncPolicy::Never)
}

#[test]
fn never_then_explicit_sync_puts_every_record_on_disk() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(
        dir.path(),
        Options::default().sync_policy(SyncPolicy::Never),
    )?;
    for i in 0..50 {
        store.set(key(i), value(i, 0))?;
    }
    store.sync()?;

    // Read the directory behind the store's back: after sync, every
    // acknowledged record is in a segment file.
    let mut on_disk = Vec::new();
    for (_, path) in segment_files(dir.path())? {
        let bytes = fs::read(&path)?;
        let (_, records) = format::decode_segment(&bytes).map_err(anyhow::Error::msg)?;
        on_disk.extend(
            records
                .into_iter()
                .filter(|r| r.kind == PUT)
                .map(|r| (r.key, r.value)),
        );
    }
    let expected: Vec<_> = (0..50).map(|i| (key(i), value(i, 0))).collect();
    assert_eq!(on_disk, expected);

    // Syncing twice, and syncing with nothing new, are fine.
    store.sync()?;
    store.sync()?;
    for i in 0..50 {
        assert_eq!(store.get(key(i))?, Some(value(i, 0)));
    }
    drop(store);
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.len(), 50);
    Ok(())
}
