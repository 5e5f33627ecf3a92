//! Proves that `MemStorage` is a complete backend: a store over it behaves
//! like one over files, and dropping the store and calling `open_with` on a
//! clone of the same `MemStorage` is a reopen that keeps every write, delete,
//! rotation and compaction, while a fresh `MemStorage` starts empty.

use anyhow::Result;
use mini_kvstore::{KvStore, MemStorage, Options};

fn options() -> Options {
    Options::default().max_segment_size(256)
}

#[test]
fn reopen_on_the_same_mem_storage_keeps_data() -> Result<()> {
    let mem = MemStorage::new();
    {
        let store = KvStore::open_with(mem.clone(), options())?;
        for i in 0..40u32 {
            store.set(format!("k{i:02}"), i.to_le_bytes())?;
        }
        assert!(store.delete("k07")?);
        store.set("k08", "overwritten")?;
        assert!(store.stats().segments > 3, "256-byte segments rotate");
    }
    let check = |store: &KvStore| -> Result<()> {
        assert_eq!(store.len(), 39);
        assert_eq!(store.get("k07")?, None);
        assert_eq!(store.get("k08")?, Some(b"overwritten".to_vec()));
        for i in (0..40u32).filter(|i| *i != 7 && *i != 8) {
            assert_eq!(
                store.get(format!("k{i:02}"))?,
                Some(i.to_le_bytes().to_vec()),
                "k{i:02}"
            );
        }
        Ok(())
    };
    let store = KvStore::open_with(mem.clone(), options())?;
    check(&store)?;
    store.compact()?;
    check(&store)?;
    drop(store);
    let store = KvStore::open_with(mem.clone(), options())?;
    check(&store)?;
    assert!(store.verify()?.is_clean());
    assert_eq!(store.recovery_report().truncated.len(), 0);
    Ok(())
}

#[test]
fn a_fresh_mem_storage_is_empty_and_independent() -> Result<()> {
    let first = MemStorage::new();
    {
        let store = KvStore::open_with(first.clone(), Options::default())?;
        store.set("only-in-first", "x")?;
    }
    let store = KvStore::open_with(MemStorage::new(), Options::default())?;
    assert!(store.is_empty());
    assert_eq!(store.get("only-in-first")?, None);
    assert_eq!(store.stats().next_seq, 1);
    drop(store);
    let store = KvStore::open_with(first, Options::default())?;
    assert_eq!(store.get("only-in-first")?, Some(b"x".to_vec()));
    Ok(())
}

#[test]
fn seq_numbers_continue_across_mem_reopen() -> Result<()> {
    let mem = MemStorage::new();
    let last_seq = {
        let store = KvStore::open_with(mem.clone(), Options::default())?;
        store.set("a", "1")?;
        store.set("b", "2")?;
        store.set_versioned("a", "3")?.seq
    };
    let store = KvStore::open_with(mem, Options::default())?;
    let versioned = store.get_versioned("a")?.map(|v| (v.seq, v.value));
    assert_eq!(versioned, Some((last_seq, b"3".to_vec())));
    let next = store.set_versioned("c", "4")?;
    assert!(
        next.seq > last_seq,
        "seq {} reused after reopen (last was {last_seq})",
        next.seq
    );
    Ok(())
}
