//! Proves the delete contract: `delete` answers whether the key was there,
//! deleting an absent key writes nothing, and a deleted key stays deleted
//! after reopen, after compaction, and after compaction + reopen, even when
//! its old put and its tombstone live in different segments.

mod common;

use anyhow::Result;
use common::{key, segment_bytes_on_disk, segment_files, value};
use mini_kvstore::{KvStore, Options};

#[test]
fn delete_reports_presence() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.set("k", "v")?;
    assert!(store.contains_key("k"));
    assert!(store.delete("k")?, "deleting a present key");
    assert!(!store.contains_key("k"));
    assert_eq!(store.get("k")?, None);
    assert!(!store.delete("k")?, "deleting it again");
    assert!(!store.delete("never-there")?);
    assert!(store.is_empty());
    assert_eq!(store.len(), 0);
    assert!(store.keys().is_empty());
    Ok(())
}

#[test]
fn deleting_an_absent_key_writes_nothing() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.set("present", "v")?;
    store.set("gone", "v")?;
    assert!(store.delete("gone")?);

    let stats_before = store.stats();
    let disk_before = segment_bytes_on_disk(dir.path())?;
    for absent in ["gone", "never-there", "present-not"] {
        assert!(!store.delete(absent)?, "{absent} is not in the store");
    }
    let stats_after = store.stats();
    assert_eq!(stats_after.total_bytes, stats_before.total_bytes);
    assert_eq!(
        stats_after.next_seq, stats_before.next_seq,
        "no sequence number used"
    );
    assert_eq!(segment_bytes_on_disk(dir.path())?, disk_before);
    assert_eq!(store.get("present")?, Some(b"v".to_vec()));
    Ok(())
}

#[test]
fn deleted_key_stays_deleted_after_reopen() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        store.set("keep", "1")?;
        store.set("drop", "2")?;
        assert!(store.delete("drop")?);
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("drop")?, None);
    assert!(!store.contains_key("drop"));
    assert_eq!(store.keys(), vec![b"keep".to_vec()]);
    assert!(
        !store.delete("drop")?,
        "the tombstone was replayed, so the key is absent"
    );
    Ok(())
}

#[test]
fn deleted_key_stays_deleted_after_compaction_and_reopen() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(256);
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        // The victim's put goes into the first segment ...
        store.set("victim", "old value")?;
        // ... many writes push the store through several segments ...
        for i in 0..40 {
            store.set(key(i), value(i, 0))?;
        }
        // ... and the tombstone lands far away from the put.
        assert!(store.delete("victim")?);
        for i in 40..60 {
            store.set(key(i), value(i, 0))?;
        }
        assert!(segment_files(dir.path())?.len() > 3);
        store.compact()?;
        assert_eq!(store.get("victim")?, None, "after compaction");
    }
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        assert_eq!(store.get("victim")?, None, "after compaction + reopen");
        assert_eq!(store.len(), 60);
        // Compact again from the reopened state and reopen once more.
        store.set("after", "x")?;
        store.compact()?;
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert_eq!(
        store.get("victim")?,
        None,
        "after a second compaction + reopen"
    );
    assert_eq!(store.get("after")?, Some(b"x".to_vec()));
    for i in 0..60 {
        assert_eq!(store.get(key(i))?, Some(value(i, 0)), "key {i}");
    }
    Ok(())
}

#[test]
fn delete_then_set_again_is_present() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        store.set("k", "one")?;
        assert!(store.delete("k")?);
        store.set("k", "two")?;
        assert_eq!(store.get("k")?, Some(b"two".to_vec()));
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("k")?, Some(b"two".to_vec()));
    store.compact()?;
    drop(store);
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("k")?, Some(b"two".to_vec()));
    Ok(())
}

#[test]
fn deleting_everything_leaves_an_empty_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(512);
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for i in 0..30 {
            store.set(key(i), value(i, 0))?;
        }
        for i in 0..30 {
            assert!(store.delete(key(i))?);
        }
        assert!(store.is_empty());
        store.compact()?;
        assert!(store.is_empty());
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert!(store.is_empty());
    assert_eq!(store.iter().count(), 0);
    Ok(())
}
