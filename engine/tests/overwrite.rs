//! Proves that the latest write of a key wins: in memory, after reopen, when
//! the versions sit in different segments, and that overwriting keeps the key
//! count at one and makes the old record dead bytes.

mod common;

use anyhow::Result;
use common::{key, segment_files, value};
use mini_kvstore::{KvStore, Options};

#[test]
fn overwrite_returns_latest_value() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.set("k", "first")?;
    store.set("k", "second")?;
    assert_eq!(store.get("k")?, Some(b"second".to_vec()));
    store.set("k", "third, and longer than the others")?;
    assert_eq!(
        store.get("k")?,
        Some(b"third, and longer than the others".to_vec())
    );
    store.set("k", "4")?;
    assert_eq!(store.get("k")?, Some(b"4".to_vec()));
    assert_eq!(store.len(), 1);
    assert_eq!(store.keys(), vec![b"k".to_vec()]);
    drop(store);

    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("k")?, Some(b"4".to_vec()));
    assert_eq!(store.len(), 1);
    Ok(())
}

#[test]
fn latest_wins_across_segments_after_reopen() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(256);
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for version in 0..30 {
            for i in 0..5 {
                store.set(key(i), value(i, version))?;
            }
        }
        for i in 0..5 {
            assert_eq!(store.get(key(i))?, Some(value(i, 29)));
        }
    }
    assert!(segment_files(dir.path())?.len() > 5);
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert_eq!(store.len(), 5);
    for i in 0..5 {
        assert_eq!(store.get(key(i))?, Some(value(i, 29)), "key {i}");
    }
    Ok(())
}

#[test]
fn overwrite_turns_old_record_into_dead_bytes() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.set("k", "v1")?;
    let before = store.stats();
    store.set("k", "v2")?;
    let after = store.stats();
    // The first record is 21 + 1 + 2 bytes long and now dead.
    assert!(
        after.dead_bytes >= before.dead_bytes + 24,
        "dead_bytes went from {} to {} after one overwrite",
        before.dead_bytes,
        after.dead_bytes
    );
    assert!(after.total_bytes > before.total_bytes);
    assert_eq!(after.keys, 1);
    Ok(())
}
