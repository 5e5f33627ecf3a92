//! Proves that the size limits are enforced before anything is written: an
//! empty key is `EmptyKey`, a key of `MAX_KEY_LEN + 1` bytes is
//! `KeyTooLarge`, a value over `max_value_size` is `ValueTooLarge`; the
//! rejected write leaves no bytes, no sequence number and no key behind, and
//! the store stays usable. Values and keys exactly at the limit are accepted.

mod common;

use anyhow::Result;
use common::segment_bytes_on_disk;
use mini_kvstore::{Error, KvStore, MAX_KEY_LEN, Options};

#[test]
fn max_key_len_is_64_kib() {
    assert_eq!(MAX_KEY_LEN, 65_536);
}

#[test]
fn empty_key_is_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    let before = store.stats();
    match store.set(b"", b"value") {
        Err(Error::EmptyKey) => {}
        other => panic!("expected EmptyKey, got {other:?}"),
    }
    match store.set_versioned("", "value") {
        Err(Error::EmptyKey) => {}
        Err(other) => panic!("expected EmptyKey, got {other}"),
        Ok(outcome) => panic!("empty key accepted with seq {}", outcome.seq),
    }
    let after = store.stats();
    assert_eq!(after.total_bytes, before.total_bytes);
    assert_eq!(after.next_seq, before.next_seq);
    assert!(store.is_empty());
    assert!(!store.contains_key(b""));
    Ok(())
}

#[test]
fn key_at_the_limit_is_accepted_one_more_byte_is_refused() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let longest: Vec<u8> = (0..MAX_KEY_LEN).map(|i| (i % 251) as u8).collect();
    let too_long: Vec<u8> = vec![b'k'; MAX_KEY_LEN + 1];
    {
        let store = KvStore::open(dir.path())?;
        store.set(&longest, "fits")?;

        let before = store.stats();
        let disk_before = segment_bytes_on_disk(dir.path())?;
        match store.set(&too_long, "too long") {
            Err(Error::KeyTooLarge { len, max, .. }) => {
                assert_eq!(len, MAX_KEY_LEN + 1);
                assert_eq!(max, MAX_KEY_LEN);
            }
            other => panic!("expected KeyTooLarge, got {other:?}"),
        }
        assert_eq!(
            store.stats().total_bytes,
            before.total_bytes,
            "nothing written"
        );
        assert_eq!(
            store.stats().next_seq,
            before.next_seq,
            "no sequence number used"
        );
        assert_eq!(segment_bytes_on_disk(dir.path())?, disk_before);
        assert!(!store.contains_key(&too_long));
        assert_eq!(store.len(), 1);
    }
    let store = KvStore::open(dir.path())?;
    assert_eq!(store.get(&longest)?, Some(b"fits".to_vec()));
    assert_eq!(store.get(&too_long)?, None);
    assert_eq!(store.keys(), vec![longest]);
    Ok(())
}

#[test]
fn value_over_max_value_size_is_refused_and_nothing_written() -> Result<()> {
    const MAX: u64 = 1024;
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_value_size(MAX);
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        store.set("at-limit", vec![7u8; MAX as usize])?;
        store.set("k", "old")?;

        let before = store.stats();
        let disk_before = segment_bytes_on_disk(dir.path())?;
        for (key, len) in [("k", MAX + 1), ("new", MAX + 1), ("new", 10 * MAX)] {
            match store.set(key, vec![1u8; len as usize]) {
                Err(Error::ValueTooLarge { len: got, max, .. }) => {
                    assert_eq!(got, len);
                    assert_eq!(max, MAX);
                }
                other => panic!("expected ValueTooLarge for {len} bytes, got {other:?}"),
            }
        }
        let after = store.stats();
        assert_eq!(after.total_bytes, before.total_bytes, "nothing written");
        assert_eq!(after.next_seq, before.next_seq, "no sequence number used");
        assert_eq!(segment_bytes_on_disk(dir.path())?, disk_before);
        assert_eq!(
            store.get("k")?,
            Some(b"old".to_vec()),
            "a refused overwrite keeps the old value"
        );
        assert_eq!(store.get("new")?, None);

        // The store is not poisoned by a refused write.
        store.set("later", "ok")?;
        assert_eq!(store.get("later")?, Some(b"ok".to_vec()));
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert_eq!(store.get("k")?, Some(b"old".to_vec()));
    assert_eq!(store.get("new")?, None);
    assert_eq!(store.get("at-limit")?, Some(vec![7u8; MAX as usize]));
    assert_eq!(store.get("later")?, Some(b"ok".to_vec()));
    assert_eq!(store.len(), 3);
    Ok(())
}

#[test]
fn errors_are_descriptive() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open_with_options(dir.path(), Options::default().max_value_size(4))?;
    let messages: Vec<String> = [
        store.set("", "v"),
        store.set(vec![b'k'; MAX_KEY_LEN + 1], "v"),
        store.set("k", "too long"),
    ]
    .into_iter()
    .map(|r| match r {
        Err(e) => e.to_string(),
        Ok(()) => String::new(),
    })
    .collect();
    for m in &messages {
        assert!(
            !m.is_empty(),
            "every refused write has a message: {messages:?}"
        );
    }
    assert!(
        messages[0] != messages[1] && messages[1] != messages[2],
        "each refusal says what was wrong: {messages:?}"
    );
    Ok(())
}
