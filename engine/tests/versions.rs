//! Proves the sequence-number contract: the first write of a fresh store has
//! seq 1; every write (put or tombstone) takes a strictly greater seq than the
//! last; `set_versioned` says whether it replaced a value and
//! `get_versioned` returns the seq of the value it read; `stats().next_seq`
//! tracks it; and a seq is never handed out twice, not even after compaction
//! dropped the records that carried it and the store was reopened.

use anyhow::{Context, Result};
use mini_kvstore::{KvStore, Options};

#[test]
fn sequence_numbers_start_at_one_and_increase() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = KvStore::open(dir.path())?;
    assert_eq!(
        store.stats().next_seq,
        1,
        "a fresh store's first write is seq 1"
    );

    let first = store.set_versioned("a", "1")?;
    assert_eq!((first.seq, first.replaced), (1, false));
    let second = store.set_versioned("a", "2")?;
    assert_eq!((second.seq, second.replaced), (2, true));
    let other = store.set_versioned("b", "x")?;
    assert_eq!((other.seq, other.replaced), (3, false));
    assert_eq!(store.stats().next_seq, 4);

    let got = store.get_versioned("a")?.context("a is present")?;
    assert_eq!((got.seq, got.value), (2, b"2".to_vec()));
    assert!(store.get_versioned("absent")?.is_none());

    // A delete writes a tombstone, which takes a seq of its own ...
    assert!(store.delete("a")?);
    assert_eq!(store.stats().next_seq, 5);
    // ... a delete of an absent key writes nothing and takes none ...
    assert!(!store.delete("a")?);
    assert_eq!(store.stats().next_seq, 5);
    // ... and a set after a delete is not a replacement.
    let reborn = store.set_versioned("a", "3")?;
    assert_eq!((reborn.seq, reborn.replaced), (5, false));
    // `set` uses seqs too.
    store.set("c", "c")?;
    assert_eq!(store.get_versioned("c")?.map(|v| v.seq), Some(6));
    Ok(())
}

#[test]
fn versions_survive_reopen_and_compaction() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(256);
    let (seq_a, seq_b) = {
        let store = KvStore::open_with_options(dir.path(), options())?;
        for i in 0..20 {
            store.set("a", format!("a{i}"))?;
        }
        let a = store.set_versioned("a", "final a")?.seq;
        let b = store.set_versioned("b", "final b")?.seq;
        (a, b)
    };
    {
        let store = KvStore::open_with_options(dir.path(), options())?;
        assert_eq!(store.get_versioned("a")?.map(|v| v.seq), Some(seq_a));
        assert_eq!(store.get_versioned("b")?.map(|v| v.seq), Some(seq_b));
        assert_eq!(store.stats().next_seq, seq_b + 1);
        store.compact()?;
        assert_eq!(
            store.get_versioned("a")?.map(|v| v.seq),
            Some(seq_a),
            "compaction keeps seqs"
        );
        assert_eq!(store.get_versioned("b")?.map(|v| v.seq), Some(seq_b));
    }
    let store = KvStore::open_with_options(dir.path(), options())?;
    let a = store.get_versioned("a")?.context("a")?;
    assert_eq!((a.seq, a.value), (seq_a, b"final a".to_vec()));
    assert_eq!(store.get_versioned("b")?.map(|v| v.seq), Some(seq_b));
    assert!(store.set_versioned("c", "c")?.seq > seq_b);
    Ok(())
}

#[test]
fn seqs_are_never_reused_after_compaction_drops_their_records() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let options = || Options::default().max_segment_size(256);
    let highest = {
        let store = KvStore::open_with_options(dir.path(), options())?;
        store.set("keep", "k")?;
        for i in 0..30 {
            store.set(format!("doomed-{i:02}"), "x")?;
        }
        for i in 0..30 {
            assert!(store.delete(format!("doomed-{i:02}"))?);
        }
        // The highest seqs were carried by tombstones; compaction may drop
        // every one of them along with the puts they shadow.
        let highest = store.stats().next_seq - 1;
        store.compact()?;
        highest
    };
    let store = KvStore::open_with_options(dir.path(), options())?;
    assert!(
        store.stats().next_seq > highest,
        "next_seq {} after reopen, but seq {highest} was already used",
        store.stats().next_seq
    );
    let outcome = store.set_versioned("new", "n")?;
    assert!(outcome.seq > highest, "seq {} reused", outcome.seq);
    assert_eq!(store.keys(), vec![b"keep".to_vec(), b"new".to_vec()]);
    Ok(())
}
