//! `WriteBatch` applies all of its changes or none: across reopen, across
//! compaction (whose copies must stand alone), past the segment size, and
//! with limits checked before anything is written. Deletes of absent keys in
//! a batch write nothing, like `delete` does.

use anyhow::Result;
use mini_kvstore::{Error, KvStore, MemStorage, Options, SyncPolicy, WriteBatch};

fn options() -> Options {
    Options::default()
        .max_segment_size(256)
        .sync_policy(SyncPolicy::Always)
}

#[test]
fn a_batch_applies_every_change_and_survives_reopen() -> Result<()> {
    let storage = MemStorage::new();
    {
        let store = KvStore::open_with(storage.clone(), options())?;
        store.set("old", "1")?;
        let mut batch = WriteBatch::new();
        batch
            .set("a", "1")
            .set("b", "2")
            .delete("old")
            .set("a", "3");
        assert_eq!(batch.len(), 4);
        store.apply(batch)?;
        assert_eq!(store.get("a")?, Some(b"3".to_vec()));
        assert_eq!(store.get("b")?, Some(b"2".to_vec()));
        assert_eq!(store.get("old")?, None);
    }
    let store = KvStore::open_with(storage, options())?;
    assert_eq!(store.keys(), vec![b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(store.get("a")?, Some(b"3".to_vec()));
    Ok(())
}

#[test]
fn deletes_of_absent_keys_write_nothing() -> Result<()> {
    let store = KvStore::open_with(MemStorage::new(), options())?;
    let before = store.stats();
    let mut batch = WriteBatch::new();
    batch.delete("nobody").delete("nobody else");
    store.apply(batch)?;
    assert_eq!(store.stats().total_bytes, before.total_bytes);
    assert_eq!(store.stats().next_seq, before.next_seq);
    // A key set and deleted within one batch ends up absent.
    let mut batch = WriteBatch::new();
    batch.set("brief", "x").delete("brief");
    store.apply(batch)?;
    assert_eq!(store.get("brief")?, None);
    Ok(())
}

#[test]
fn a_bad_change_rejects_the_whole_batch() -> Result<()> {
    let store = KvStore::open_with(MemStorage::new(), options().max_value_size(10))?;
    let before = store.stats();
    let mut batch = WriteBatch::new();
    batch.set("fine", "ok").set("too big", [0u8; 11]);
    assert!(matches!(
        store.apply(batch),
        Err(Error::ValueTooLarge { .. })
    ));
    let mut batch = WriteBatch::new();
    batch.set("fine", "ok").delete("");
    assert!(matches!(store.apply(batch), Err(Error::EmptyKey)));
    assert_eq!(store.get("fine")?, None);
    assert_eq!(store.stats().total_bytes, before.total_bytes);
    Ok(())
}

#[test]
fn a_batch_larger_than_a_segment_stays_in_one_segment() -> Result<()> {
    let storage = MemStorage::new();
    let store = KvStore::open_with(storage.clone(), options())?;
    store.set("before", "x")?;
    let mut batch = WriteBatch::new();
    for i in 0..20 {
        batch.set(format!("k{i:02}"), format!("value {i}"));
    }
    store.apply(batch)?;
    let layout = store.layout()?;
    let holding: Vec<_> = layout
        .segments
        .iter()
        .filter(|s| s.records.iter().any(|r| r.key.starts_with(b"k")))
        .map(|s| s.id)
        .collect();
    assert_eq!(holding.len(), 1, "batch split across {holding:?}");
    drop(store);
    let store = KvStore::open_with(storage, options())?;
    assert_eq!(store.len(), 21);
    Ok(())
}

#[test]
fn compaction_keeps_batch_members_that_outlive_their_batch() -> Result<()> {
    let storage = MemStorage::new();
    {
        let store = KvStore::open_with(storage.clone(), options())?;
        let mut batch = WriteBatch::new();
        batch.set("first", "1").set("middle", "2").set("last", "3");
        store.apply(batch)?;
        // Overwrite the batch's last member: the copies of the first two
        // must not wait for a batch end that compaction drops.
        store.set("last", "new")?;
        store.compact()?;
    }
    let store = KvStore::open_with(storage, options())?;
    assert_eq!(store.get("first")?, Some(b"1".to_vec()));
    assert_eq!(store.get("middle")?, Some(b"2".to_vec()));
    assert_eq!(store.get("last")?, Some(b"new".to_vec()));
    assert!(store.recovery_report().is_clean());
    Ok(())
}

#[test]
fn a_torn_batch_is_dropped_whole_on_real_files() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open_with_options(dir.path(), Options::default())?;
        store.set("kept", "yes")?;
        let mut batch = WriteBatch::new();
        for i in 0..5 {
            batch.set(format!("batch-{i}"), "v");
        }
        store.apply(batch)?;
    }
    let path = dir.path().join("segment-00000001.dat");
    let len = std::fs::metadata(&path)?.len();
    // Cut inside the batch's last record: none of the batch may survive.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)?
        .set_len(len - 5)?;
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.keys(), vec![b"kept".to_vec()]);
    // And a new write after the repair is not mistaken for the batch's end.
    store.set("next", "write")?;
    drop(store);
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.keys(), vec![b"kept".to_vec(), b"next".to_vec()]);
    Ok(())
}
