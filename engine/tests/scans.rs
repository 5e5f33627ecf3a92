//! Proves the ordered reads: `keys`, `keys_with_prefix`, `scan_prefix`,
//! `iter` and `keys_page` return exactly the live keys that match, in byte
//! order, with the right values; deleted and overwritten keys show up once or
//! not at all; prefixes ending in 0xFF bytes do not leak into the next range;
//! paging with `after` walks every key exactly once; and an iterator that
//! outlives a compaction (which moves every record it has yet to read, many
//! at a time) still yields every value, and one whose records go bad on
//! disk reports the bad one and yields the others.

use std::collections::BTreeMap;

use anyhow::Result;
use mini_kvstore::{Error, KvStore, Options};

mod common;

/// What the store should hold, as a plain ordered map.
type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn populated(dir: &std::path::Path) -> Result<(KvStore, Model)> {
    let store = KvStore::open_with_options(dir, Options::default().max_segment_size(512))?;
    let mut model = BTreeMap::new();
    let mut set = |k: &[u8], v: &[u8]| -> Result<()> {
        store.set(k, v)?;
        model.insert(k.to_vec(), v.to_vec());
        Ok(())
    };
    for user in ["alice", "bob", "carol"] {
        for item in 0..7 {
            set(
                format!("users/{user}/item-{item}").as_bytes(),
                format!("{user}:{item}").as_bytes(),
            )?;
        }
    }
    set(b"users", b"the bare prefix")?;
    set(b"users0", b"just after users/ in byte order")?;
    set(b"user", b"shorter than the prefix")?;
    set(b"a", b"first")?;
    set(b"z", b"last")?;
    set(b"\xFF", b"ff")?;
    set(b"\xFF\x00", b"ff00")?;
    set(b"\xFF\xFF", b"ffff")?;
    set(b"\xFF\xFF\x01", b"ffff01")?;
    set(b"\xFE\xFF", b"feff")?;
    // Overwrite and delete some so the index has history to ignore.
    set(b"users/bob/item-3", b"bob:3 v2")?;
    set(b"users/bob/item-3", b"bob:3 v3")?;
    store.delete("users/carol/item-0")?;
    model.remove(&b"users/carol/item-0"[..]);
    store.delete("a")?;
    model.remove(&b"a"[..]);
    Ok((store, model))
}

fn model_prefix(model: &Model, prefix: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    model
        .iter()
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

const PREFIXES: [&[u8]; 12] = [
    b"",
    b"users/",
    b"users/bob/",
    b"users/carol/",
    b"users",
    b"user",
    b"users/dave/",
    b"\xFF",
    b"\xFF\xFF",
    b"\xFE",
    b"z",
    b"nothing-here",
];

#[test]
fn prefix_scans_match_the_model() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, model) = populated(dir.path())?;
    for prefix in PREFIXES {
        let expected = model_prefix(&model, prefix);
        let expected_keys: Vec<Vec<u8>> = expected.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(
            store.keys_with_prefix(prefix),
            expected_keys,
            "keys_with_prefix({prefix:?})"
        );
        let scanned = store.scan_prefix(prefix).collect::<Result<Vec<_>, _>>()?;
        assert_eq!(scanned, expected, "scan_prefix({prefix:?})");
    }
    let all = store.iter().collect::<Result<Vec<_>, _>>()?;
    assert_eq!(all, model_prefix(&model, b""));
    assert_eq!(store.keys(), model.keys().cloned().collect::<Vec<_>>());
    Ok(())
}

#[test]
fn prefix_scans_survive_reopen_and_compaction() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let model = {
        let (store, model) = populated(dir.path())?;
        store.compact()?;
        model
    };
    let store = KvStore::open_with_options(dir.path(), Options::default().max_segment_size(512))?;
    for prefix in PREFIXES {
        let scanned = store.scan_prefix(prefix).collect::<Result<Vec<_>, _>>()?;
        assert_eq!(
            scanned,
            model_prefix(&model, prefix),
            "scan_prefix({prefix:?}) after reopen"
        );
    }
    Ok(())
}

#[test]
fn paging_visits_every_key_once() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let (store, model) = populated(dir.path())?;
    for prefix in PREFIXES {
        let expected: Vec<Vec<u8>> = model_prefix(&model, prefix)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for limit in [1, 2, 3, 5, 100] {
            let mut seen = Vec::new();
            let mut after: Option<Vec<u8>> = None;
            loop {
                let page = store.keys_page(prefix, after.as_deref(), limit);
                assert!(page.len() <= limit, "page longer than limit {limit}");
                if let (Some(first), Some(a)) = (page.first(), after.as_ref()) {
                    assert!(first > a, "page must start after {a:?}");
                }
                let Some(last) = page.last().cloned() else {
                    break;
                };
                seen.extend(page);
                after = Some(last);
                assert!(
                    seen.len() <= expected.len(),
                    "paging does not terminate for {prefix:?}"
                );
            }
            assert_eq!(seen, expected, "paging {prefix:?} by {limit}");
        }
    }
    Ok(())
}

#[test]
fn keys_page_edge_cases() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    for k in ["b", "d", "f", "h"] {
        store.set(k, k)?;
    }
    let keys = |ks: &[&str]| ks.iter().map(|k| k.as_bytes().to_vec()).collect::<Vec<_>>();
    assert_eq!(store.keys_page(b"", None, 0), keys(&[]), "limit 0");
    assert_eq!(store.keys_page(b"", None, 2), keys(&["b", "d"]));
    // `after` need not be a stored key; the page starts at the next one.
    assert_eq!(store.keys_page(b"", Some(&b"c"[..]), 2), keys(&["d", "f"]));
    assert_eq!(
        store.keys_page(b"", Some(&b"d"[..]), 10),
        keys(&["f", "h"]),
        "after is exclusive"
    );
    assert_eq!(store.keys_page(b"", Some(&b"a"[..]), 1), keys(&["b"]));
    assert_eq!(store.keys_page(b"", Some(&b"h"[..]), 10), keys(&[]));
    assert_eq!(store.keys_page(b"", Some(&b"zzz"[..]), 10), keys(&[]));
    // `after` before the prefix range starts the page at the prefix.
    store.set("x/1", "1")?;
    store.set("x/2", "2")?;
    assert_eq!(
        store.keys_page(b"x/", Some(&b"a"[..]), 10),
        keys(&["x/1", "x/2"])
    );
    assert_eq!(
        store.keys_page(b"x/", Some(&b"x/1"[..]), 10),
        keys(&["x/2"])
    );
    assert_eq!(store.keys_page(b"x/", Some(&b"y"[..]), 10), keys(&[]));
    Ok(())
}

#[test]
fn an_iterator_reads_on_across_a_compaction() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path(), Options::default().max_segment_size(4096))?;
    let mut model = Model::new();
    // Enough keys for several read-ahead chunks, over many segments, with
    // overwrites so that compaction really moves things.
    for round in 0..2 {
        for i in 0..300 {
            let (key, value) = (format!("k{i:03}"), format!("value {i} round {round}"));
            store.set(&key, &value)?;
            model.insert(key.into_bytes(), value.into_bytes());
        }
    }
    let mut iter = store.iter();
    let mut seen = vec![iter.next().transpose()?.expect("the store is not empty")];
    store.compact()?;
    for entry in iter {
        seen.push(entry?);
    }
    assert_eq!(seen, model.into_iter().collect::<Vec<_>>());
    Ok(())
}

#[test]
fn a_record_damaged_under_an_iterator_is_reported_and_the_rest_yielded() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    for i in 0..100 {
        store.set(format!("k{i:03}"), format!("value number {i:03}"))?;
    }
    store.sync()?;
    // The records lie side by side and are read many at a time; damage one
    // in the middle after the store has opened (and checked) the file.
    let (_, segment) = common::last_segment(dir.path())?;
    let bytes = std::fs::read(&segment)?;
    let at = bytes
        .windows(16)
        .position(|w| w == b"value number 042")
        .expect("the value is on disk");
    common::flip_bit(&segment, at as u64 + 3, 0)?;

    let mut good = 0;
    let mut bad = Vec::new();
    for entry in store.iter() {
        match entry {
            Ok((key, value)) => {
                assert_eq!(
                    value,
                    format!("value number {}", &String::from_utf8(key)?[1..]).into_bytes()
                );
                good += 1;
            }
            Err(e) => bad.push(e),
        }
    }
    assert_eq!(good, 99);
    assert!(
        matches!(bad[..], [Error::Corruption { .. }]),
        "one corruption error, got {bad:?}"
    );
    Ok(())
}

#[test]
fn mutating_while_iterating_never_yields_garbage() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    for i in 0..20 {
        store.set(format!("k{i:02}"), format!("v{i}"))?;
    }
    let mut iter = store.iter();
    let first = iter.next().transpose()?;
    assert_eq!(first, Some((b"k00".to_vec(), b"v0".to_vec())));
    // Mutate while the iterator is alive: it must neither panic nor deadlock,
    // and whatever it yields must be a real (key, value) pair in key order.
    store.delete("k05")?;
    store.set("k10", "changed")?;
    store.set("k99", "added")?;
    let rest = iter.collect::<Result<Vec<_>, _>>()?;
    let mut previous = b"k00".to_vec();
    for (k, v) in &rest {
        assert!(*k > previous, "iterator went backwards at {k:?}");
        previous = k.clone();
        let i: usize = std::str::from_utf8(&k[1..])?.parse()?;
        let allowed: Vec<Vec<u8>> = match i {
            10 => vec![b"v10".to_vec(), b"changed".to_vec()],
            99 => vec![b"added".to_vec()],
            i => vec![format!("v{i}").into_bytes()],
        };
        assert!(allowed.contains(v), "key {i} yielded {v:?}");
    }
    Ok(())
}
