//! Proves that what a store acknowledged is what a reopened store reads:
//! values survive drop + reopen (once, repeatedly, across many segments, and
//! through `open_with(FileStorage)`), and writes made after a reopen are kept
//! alongside the old ones.

mod common;

use anyhow::Result;
use common::{key, segment_files, value};
use mini_kvstore::{FileStorage, KvStore, Options};

#[test]
fn values_survive_drop_and_reopen() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        for i in 0..50 {
            store.set(key(i), value(i, 0))?;
        }
        assert_eq!(store.len(), 50);
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.len(), 50);
    assert!(!store.is_empty());
    for i in 0..50 {
        assert_eq!(store.get(key(i))?, Some(value(i, 0)), "key {i}");
    }
    assert_eq!(store.get(b"never-written")?, None);
    assert_eq!(store.keys(), (0..50).map(key).collect::<Vec<_>>());
    Ok(())
}

#[test]
fn open_creates_a_missing_directory() -> Result<()> {
    let parent = tempfile::tempdir()?;
    let dir = parent.path().join("nested").join("data");
    let store = KvStore::open(&dir)?;
    assert!(store.is_empty());
    store.set("k", "v")?;
    drop(store);
    assert!(dir.is_dir());
    assert_eq!(KvStore::open(&dir)?.get("k")?, Some(b"v".to_vec()));
    Ok(())
}

#[test]
fn writes_after_reopen_join_the_old_ones() -> Result<()> {
    let dir = tempfile::tempdir()?;
    // Five generations, each reopening the store, adding ten keys and
    // overwriting the previous generation's keys.
    for generation in 0..5 {
        let store = KvStore::open(dir.path())?;
        assert_eq!(store.len(), generation * 10);
        for i in 0..generation * 10 {
            assert_eq!(
                store.get(key(i))?,
                Some(value(i, generation - 1)),
                "gen {generation} key {i}"
            );
        }
        for i in 0..(generation + 1) * 10 {
            store.set(key(i), value(i, generation))?;
        }
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.len(), 50);
    for i in 0..50 {
        assert_eq!(store.get(key(i))?, Some(value(i, 4)));
    }
    Ok(())
}

#[test]
fn many_segments_survive_reopen() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(256);
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for i in 0..200 {
            store.set(key(i), value(i, 1))?;
        }
    }
    assert!(
        segment_files(dir.path())?.len() > 10,
        "a 256-byte limit should rotate often"
    );
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert_eq!(store.len(), 200);
    for i in 0..200 {
        assert_eq!(store.get(key(i))?, Some(value(i, 1)), "key {i}");
    }
    assert!(store.verify()?.is_clean());
    Ok(())
}

#[test]
fn file_storage_and_open_see_the_same_store() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open_with(FileStorage::open(dir.path())?, Options::default())?;
        store.set("written-through", "file-storage")?;
    }
    {
        let store = KvStore::open(dir.path())?;
        assert_eq!(
            store.get("written-through")?,
            Some(b"file-storage".to_vec())
        );
        store.set("written-by", "open")?;
    }
    let store = KvStore::open_with(FileStorage::open(dir.path())?, Options::default())?;
    assert_eq!(
        store.keys(),
        vec![b"written-by".to_vec(), b"written-through".to_vec()]
    );
    assert_eq!(store.get("written-by")?, Some(b"open".to_vec()));
    Ok(())
}

#[test]
fn reopening_without_writes_changes_nothing_visible() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        store.set("a", "1")?;
        store.set("b", "2")?;
    }
    for _ in 0..5 {
        let store = KvStore::open(dir.path())?;
        assert_eq!(store.keys(), vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(store.get("a")?, Some(b"1".to_vec()));
        assert_eq!(store.recovery_report().truncated.len(), 0);
        assert_eq!(store.recovery_report().corrupt.len(), 0);
    }
    Ok(())
}
