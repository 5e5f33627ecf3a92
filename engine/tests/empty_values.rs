//! Proves that an empty value is a value: it round trips as `Some(vec![])`,
//! distinct from an absent key (`None`), counts as a key, and stays that way
//! through reopen, compaction and scans.

use anyhow::Result;
use mini_kvstore::{KvStore, Options};

#[test]
fn empty_value_is_not_absent() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.set("empty", b"")?;
    assert_eq!(store.get("empty")?, Some(Vec::new()));
    assert_eq!(store.get("absent")?, None);
    assert!(store.contains_key("empty"));
    assert!(!store.contains_key("absent"));
    assert_eq!(store.len(), 1);
    assert_eq!(store.keys(), vec![b"empty".to_vec()]);
    let versioned = store.get_versioned("empty")?;
    assert!(versioned.is_some_and(|v| v.value.is_empty()));
    Ok(())
}

#[test]
fn empty_value_survives_reopen_and_compaction() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open(dir.path())?;
        store.set("e1", "")?;
        store.set("full", "not empty")?;
        store.set("e2", "was full")?;
        store.set("e2", "")?; // overwrite with empty
        store.set("e3", "")?;
        store.set("e3", "now full")?; // overwrite empty with full
    }
    let check = |store: &KvStore| -> Result<()> {
        assert_eq!(store.get("e1")?, Some(Vec::new()));
        assert_eq!(store.get("e2")?, Some(Vec::new()));
        assert_eq!(store.get("e3")?, Some(b"now full".to_vec()));
        assert_eq!(store.get("full")?, Some(b"not empty".to_vec()));
        assert_eq!(store.len(), 4);
        Ok(())
    };
    let store = KvStore::open(dir.path())?;
    check(&store)?;
    store.compact()?;
    check(&store)?;
    drop(store);
    let store = KvStore::open(dir.path())?;
    check(&store)?;
    Ok(())
}

#[test]
fn empty_value_can_be_deleted() -> Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let store = KvStore::open_with_options(dir.path(), Options::default())?;
        store.set("e", "")?;
        assert!(
            store.delete("e")?,
            "an empty value is present, so delete finds it"
        );
        assert_eq!(store.get("e")?, None);
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get("e")?, None);
    assert!(store.is_empty());
    Ok(())
}

#[test]
fn scans_include_empty_values() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    store.set("p/a", "")?;
    store.set("p/b", "x")?;
    store.set("q", "")?;
    let scanned = store.scan_prefix("p/").collect::<Result<Vec<_>, _>>()?;
    assert_eq!(
        scanned,
        vec![
            (b"p/a".to_vec(), Vec::new()),
            (b"p/b".to_vec(), b"x".to_vec())
        ]
    );
    let all = store.iter().collect::<Result<Vec<_>, _>>()?;
    assert_eq!(all.len(), 3);
    assert_eq!(all[2], (b"q".to_vec(), Vec::new()));
    Ok(())
}
