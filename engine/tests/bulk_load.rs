//! A store loaded the fast way — sorted write batches past the last key,
//! which the index appends as whole runs — then written to every other way:
//! keys between the loaded ones (enough to split runs many times over),
//! overwrites, deletes of whole ranges, keys below and above everything.
//! Every key, every absent key and every page must read as a `BTreeMap` of
//! the same writes says, before and after a reopen (which builds the index
//! anew from hints and segments).

use std::collections::BTreeMap;

use anyhow::Result;
use mini_kvstore::{KvStore, MemStorage, Options, SyncPolicy, WriteBatch};

fn key(i: u32) -> Vec<u8> {
    // Every seventh key is too long to be stored inline in the index.
    if i.is_multiple_of(7) {
        format!("k{i:08}/with-a-tail-past-twenty-two-bytes").into_bytes()
    } else {
        format!("k{i:08}").into_bytes()
    }
}

fn check(store: &KvStore, model: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<()> {
    assert_eq!(store.len(), model.len());
    assert_eq!(store.keys(), model.keys().cloned().collect::<Vec<_>>());
    for (key, value) in model {
        assert_eq!(store.get(key)?.as_ref(), Some(value), "{key:?}");
    }
    for absent in [key(1), key(3_000_001), b"a".to_vec(), b"z".to_vec()] {
        if !model.contains_key(&absent) {
            assert_eq!(store.get(&absent)?, None, "{absent:?}");
        }
    }
    let page = store.keys_page(b"k0001", Some(&key(10_500)), 50);
    let expected: Vec<Vec<u8>> = model
        .keys()
        .filter(|k| k.starts_with(b"k0001") && k.as_slice() > key(10_500).as_slice())
        .take(50)
        .cloned()
        .collect();
    assert_eq!(page, expected);
    let scanned: Vec<(Vec<u8>, Vec<u8>)> =
        store.scan_prefix(b"k00020").collect::<Result<_, _>>()?;
    let expected: Vec<(Vec<u8>, Vec<u8>)> = model
        .iter()
        .filter(|(k, _)| k.starts_with(b"k00020"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(scanned, expected);
    Ok(())
}

#[test]
fn a_bulk_loaded_store_reads_like_a_map_through_every_kind_of_write() -> Result<()> {
    let storage = MemStorage::new();
    let options = Options::default()
        .max_segment_size(1 << 20)
        .sync_policy(SyncPolicy::Never);
    let mut model = BTreeMap::new();
    {
        let store = KvStore::open_with(storage.clone(), options.clone())?;
        // 40,000 even keys in sorted batches of 1,000, plus two of 10 (too
        // small to become runs of their own).
        for batch_start in (0..80_000u32).step_by(2_000) {
            let mut batch = WriteBatch::new();
            for i in (batch_start..batch_start + 2_000).step_by(2) {
                batch.set(key(i), format!("loaded {i}"));
                model.insert(key(i), format!("loaded {i}").into_bytes());
            }
            store.apply(batch)?;
        }
        for small_start in [80_000u32, 80_020] {
            let mut batch = WriteBatch::new();
            for i in (small_start..small_start + 20).step_by(2) {
                batch.set(key(i), format!("small {i}"));
                model.insert(key(i), format!("small {i}").into_bytes());
            }
            store.apply(batch)?;
        }
        check(&store, &model)?;

        // The odd keys of one stretch: 20,000 inserts between loaded keys.
        for i in (10_001..50_000u32).step_by(2) {
            store.set(key(i), format!("between {i}"))?;
            model.insert(key(i), format!("between {i}").into_bytes());
        }
        // Overwrites, one by one and as an unsorted batch.
        for i in (0..80_000u32).step_by(30) {
            store.set(key(i), format!("over {i}"))?;
            model.insert(key(i), format!("over {i}").into_bytes());
        }
        let mut batch = WriteBatch::new();
        for i in (0..80_000u32).step_by(998).rev() {
            batch.set(key(i), format!("batched {i}"));
            model.insert(key(i), format!("batched {i}").into_bytes());
        }
        store.apply(batch)?;
        // A whole range deleted, and keys below and above everything.
        for i in 60_000..70_000u32 {
            if model.remove(&key(i)).is_some() {
                assert!(store.delete(key(i))?);
            }
        }
        for extreme in [b"a".to_vec(), b"z".to_vec()] {
            store.set(&extreme, "edge")?;
            model.insert(extreme, b"edge".to_vec());
        }
        check(&store, &model)?;
    }
    let store = KvStore::open_with(storage, options)?;
    check(&store, &model)?;
    Ok(())
}
