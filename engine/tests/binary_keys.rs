//! Proves that keys are arbitrary bytes: every single byte value (0x00 and
//! 0xFF included), keys that are prefixes of one another, and keys with
//! embedded NULs round trip, and `keys()`/`iter()` list them in plain
//! lexicographic byte order, before and after reopen and compaction.

use std::collections::BTreeMap;

use anyhow::Result;
use mini_kvstore::{KvStore, Options};

/// Binary keys chosen to trip up anything that treats keys as text or as
/// NUL-terminated, or that compares them by length first.
fn awkward_keys() -> Vec<Vec<u8>> {
    let mut keys: Vec<Vec<u8>> = (0..=255u8).map(|b| vec![b]).collect();
    keys.extend([
        vec![0x00, 0x00],
        vec![0x00, 0xFF],
        vec![0xFF, 0x00],
        vec![0xFF, 0xFF],
        vec![0xFF, 0xFF, 0xFF, 0xFF],
        vec![0x00; 17],
        b"a\0b".to_vec(),
        b"a\0".to_vec(),
        b"a".to_vec(),
        b"ab".to_vec(),
        "\u{e9}t\u{e9}".as_bytes().to_vec(),
        vec![0xC3, 0x28], // invalid UTF-8
        (0..=255u8).collect(),
        (0..=255u8).rev().collect(),
    ]);
    keys
}

/// The value stored under `key`: the key reversed plus its length, so every
/// key has a distinct value.
fn value_for(key: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = key.iter().rev().copied().collect();
    v.extend_from_slice(&(key.len() as u32).to_le_bytes());
    v
}

fn check(store: &KvStore, model: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<()> {
    let expected_keys: Vec<Vec<u8>> = model.keys().cloned().collect();
    assert_eq!(store.keys(), expected_keys, "keys() must be in byte order");
    assert_eq!(store.len(), model.len());
    for (k, v) in model {
        assert_eq!(store.get(k)?.as_ref(), Some(v), "key {k:02x?}");
    }
    let scanned = store.iter().collect::<Result<Vec<_>, _>>()?;
    let expected: Vec<(Vec<u8>, Vec<u8>)> =
        model.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    assert_eq!(scanned, expected, "iter() must be in byte order");
    Ok(())
}

#[test]
fn binary_keys_round_trip_in_byte_order() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(1024);
    let mut model = BTreeMap::new();
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        // Insert in a scrambled order so sorted output is the engine's doing.
        let mut keys = awkward_keys();
        keys.sort_by_key(|k| (value_for(k), k.len()));
        for k in keys {
            store.set(&k, value_for(&k))?;
            model.insert(k.clone(), value_for(&k));
        }
        check(&store, &model)?;
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    check(&store, &model)?;

    // Delete the NUL key and the 0xFF key, overwrite a few, then compact.
    for k in [vec![0x00], vec![0xFF]] {
        assert!(store.delete(&k)?);
        model.remove(&k);
    }
    for k in [vec![0x00, 0x00], b"a\0".to_vec()] {
        store.set(&k, b"\xFF\x00overwritten")?;
        model.insert(k, b"\xFF\x00overwritten".to_vec());
    }
    check(&store, &model)?;
    store.compact()?;
    check(&store, &model)?;
    drop(store);
    let store = KvStore::open_with_options(dir.path(), options())?;
    check(&store, &model)?;
    Ok(())
}

#[test]
fn shorter_key_sorts_before_its_extensions() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    for k in [&b"ab"[..], b"a\xFF", b"a", b"a\x00", b"b", b"\xFF", b"\x00"] {
        store.set(k, k)?;
    }
    let expected: Vec<Vec<u8>> = [&b"\x00"[..], b"a", b"a\x00", b"ab", b"a\xFF", b"b", b"\xFF"]
        .iter()
        .map(|k| k.to_vec())
        .collect();
    assert_eq!(store.keys(), expected);
    Ok(())
}
